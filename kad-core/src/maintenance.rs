//! Periodic work, run every `maintenance_interval`: rotate the write-token secret, expire
//! records, re-put and republish them, refresh stale buckets, check contacts silent for the
//! peer timeout, verify waiting replacements where a bucket has room, and bootstrap again if
//! the routing table is empty. Internal queries take at most the spare query slots
//! and checks the spare request slots, so that the caller's commands are not starved.

use std::time::Instant;

use crate::address::Address;
use crate::error::CommandError;
use crate::ids::QueryId;
use crate::key::KeyType;
use crate::node::{secret_from, Node};
use crate::query_pool::Goal;
use crate::store::Round;

impl<A: Address, K: KeyType> Node<A, K> {
    pub(crate) fn maintain(&mut self, now: Instant) {
        let (rng, secure) = (&mut self.rng, &mut self.tx_rng);
        self.tokens
            .rotate(now, self.config.token_rotation, || secret_from(rng, secure));
        self.store.expire(now);
        self.send_records(now);
        self.refresh_stale_buckets(now);
        self.check_silent(now);
        self.top_up_buckets(now);
        self.rebootstrap_if_empty(now);
    }

    /// Re-puts the records this node published and republishes those it holds for others.
    fn send_records(&mut self, now: Instant) {
        let c = &self.config;
        let reput = Round::Reput {
            interval: c.reput_interval,
            lifetime: c.storage_timeout,
        };
        let republish = Round::Republish {
            interval: c.republish_interval,
        };
        let reputs = self.store.due(now, reput, self.queries.spare());
        let room = self.queries.spare().saturating_sub(reputs.len());
        let republishes = self.store.due(now, republish, room);
        for (key, record, expires) in reputs.into_iter().chain(republishes) {
            let goal = Goal::Put {
                record,
                expires,
                cas: None,
                report: false,
            };
            if self.start_lookup(now, key, goal, []).is_err() {
                break;
            }
        }
    }

    fn refresh_stale_buckets(&mut self, now: Instant) {
        if self.routing.is_empty() {
            return;
        }
        for bucket in self
            .routing
            .stale_buckets(now, self.config.refresh_interval)
        {
            if self.queries.spare() == 0 || self.refresh_bucket(now, bucket, Goal::Refresh).is_err()
            {
                break;
            }
        }
    }

    /// Pings contacts silent for the peer timeout; those that fail are removed.
    fn check_silent(&mut self, now: Instant) {
        let budget = self.pending.spare();
        for id in self
            .routing
            .silent(now, self.config.peer_timeout)
            .into_iter()
            .take(budget)
        {
            if self.routing.start_ping(&id) {
                if let Some(contact) = self.routing.get(&id).map(|e| e.contact().clone()) {
                    self.check(now, contact);
                }
            }
        }
    }

    /// Looks up a random id in `bucket`, to fill it and to learn whether its contacts live.
    pub(crate) fn refresh_bucket(
        &mut self,
        now: Instant,
        bucket: usize,
        goal: Goal<A>,
    ) -> Result<QueryId, CommandError> {
        let target = self
            .id
            .random_in_bucket(bucket, &mut self.rng)
            .unwrap_or(self.id);
        self.start_lookup(now, target, goal, [])
    }
}
