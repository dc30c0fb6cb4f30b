//! Joining the network, and not giving up on it.
//!
//! A bootstrap asks each seed address for the contacts closest to this node, then looks this
//! node's id up. One that reaches nobody (no seed or contact answered: an answer lost, a
//! seed restarting) is tried again at once, then after a wait that doubles each
//! time, up to [`Config::bootstrap_attempts`](crate::Config::bootstrap_attempts) attempts in
//! all, under the same query id: the caller sees one
//! [`QueryResult::Bootstrap`](crate::QueryResult::Bootstrap), after the first attempt that
//! found someone or the last one. Each retry asks every seed again and every contact learned
//! since. A bootstrap that leaves fewer than k contacts in the routing table looks the node's
//! id up once more a backoff later, when those it asked have verified their own neighbours
//! (nodes that join together know little of each other at first). A node whose routing table
//! becomes empty later bootstraps again through the seeds of its last bootstrap, quietly.

use std::time::{Duration, Instant};

use crate::address::Address;
use crate::config::Config;
use crate::contact::Contact;
use crate::error::CommandError;
use crate::event::{QueryResult, StatsClock};
use crate::ids::QueryId;
use crate::key::KeyType;
use crate::node::Node;
use crate::query_pool::{Goal, Query};

/// Where one bootstrap stands: what it asks each time and how it went so far.
#[derive(Clone, Debug)]
pub(crate) struct Attempt<A> {
    /// The seeds asked at each attempt, at most [`Config::MAX_BOOTSTRAP_SEEDS`].
    seeds: Vec<A>,
    /// 1 for the first attempt.
    number: u32,
    /// Whether the caller waits for a result (false for a re-bootstrap of an empty table).
    report: bool,
    /// When the first attempt started, and the requests of the attempts before this one.
    earlier: StatsClock,
    /// When a waiting attempt is due.
    retry_at: Instant,
}

impl<A: Address, K: KeyType> Node<A, K> {
    /// Starts a bootstrap through `seeds`; see [`Node::bootstrap`].
    pub(crate) fn start_bootstrap(
        &mut self,
        now: Instant,
        seeds: Vec<A>,
        report: bool,
    ) -> Result<QueryId, CommandError> {
        let remembered: Vec<A> = seeds
            .iter()
            .take(Config::MAX_BOOTSTRAP_SEEDS)
            .cloned()
            .collect();
        if !remembered.is_empty() {
            self.last_seeds.clone_from(&remembered);
        }
        let attempt = Attempt {
            seeds: remembered,
            number: 1,
            report,
            earlier: StatsClock::new(now),
            retry_at: now,
        };
        let id = self.id;
        self.start_lookup(now, id, Goal::Bootstrap(attempt), seeds)
    }

    /// The self-lookup of bootstrap `qid` ended with `closest`: try again later if it reached
    /// nobody and attempts are left, or report it and fill the buckets farther than
    /// `closest`.
    pub(crate) fn finish_bootstrap(
        &mut self,
        now: Instant,
        qid: QueryId,
        closest: Vec<Contact<A, K>>,
        clock: StatsClock,
        mut attempt: Attempt<A>,
    ) {
        let mut clock = clock;
        clock.absorb(attempt.earlier);
        // Someone may have contacted this node meanwhile (its seed got the request but the
        // answer was lost): the next attempt then starts from them too.
        let someone_to_ask = !attempt.seeds.is_empty() || !self.routing.is_empty();
        let retry = closest.is_empty() && someone_to_ask;
        if retry && attempt.number < self.config.bootstrap_attempts {
            let failed = attempt.number;
            attempt.number += 1;
            attempt.earlier = clock;
            self.counters.bootstrap_retries += 1;
            let retry_in = if failed == 1 {
                Duration::ZERO
            } else {
                self.backoff(failed)
            };
            tracing::info!(
                attempts = failed,
                retry_in = ?retry_in,
                "bootstrap reached nobody; trying again"
            );
            if failed == 1 {
                // A lost datagram is the usual cause: ask again at once, once. (Only the
                // first retry runs from here, so this never nests deeper than one level.)
                let seeds = attempt.seeds.clone();
                let id = self.id;
                self.run_lookup(now, qid, id, Goal::Bootstrap(attempt), seeds);
                return;
            }
            attempt.retry_at = now + retry_in;
            self.bootstrap_retry_at = Some(earliest(self.bootstrap_retry_at, attempt.retry_at));
            self.queries.insert(qid, Query::BootstrapWait(attempt));
            return;
        }
        let nearest = closest.first().map(|c| self.id.shared_prefix_len(&c.id));
        // Every node of a bucket deeper than the farthest of the k closest is closer than
        // it, so among them: those buckets are complete.
        let farthest = closest.last().map(|c| self.id.shared_prefix_len(&c.id));
        if nearest.is_some() {
            self.small_network = closest.len() < self.config.k;
        }
        if attempt.report {
            self.report(qid, QueryResult::Bootstrap { closest }, clock, now);
        }
        if nearest.is_some() && self.routing.len() < self.config.k {
            // Those asked may not have verified their own neighbours yet (they joined at the
            // same time): look again once they had the time to.
            self.bootstrap_follow_up_at = Some(now + self.config.bootstrap_backoff);
        }
        if let (true, Some(farthest)) = (self.config.bootstrap_refresh, farthest) {
            self.fill_buckets(now, farthest + 1);
        }
    }

    /// The wait after attempt `number` (2 or more; the first is retried at once) reached
    /// nobody: `bootstrap_backoff`, doubling with each attempt after the second.
    fn backoff(&self, number: u32) -> Duration {
        let doublings = number
            .saturating_sub(2)
            .min(Config::MAX_BOOTSTRAP_BACKOFF_DOUBLINGS);
        self.config.bootstrap_backoff * (1 << doublings)
    }

    /// Looks this node's id up once more, quietly, if a bootstrap that left the routing
    /// table with fewer than k contacts asked for it and the time has come.
    pub(crate) fn follow_up_bootstrap(&mut self, now: Instant) {
        if self.bootstrap_follow_up_at.is_none_or(|at| at > now) {
            return;
        }
        self.bootstrap_follow_up_at = None;
        if self.routing.len() < self.config.k && !self.routing.is_empty() {
            let id = self.id;
            // Refused only when max_queries are running: the next maintenance refreshes.
            if self.start_lookup(now, id, Goal::Refresh, []).is_ok() {
                self.counters.bootstrap_follow_ups += 1;
            }
        }
    }

    /// Starts again every waiting bootstrap that is due.
    pub(crate) fn retry_bootstraps(&mut self, now: Instant) {
        if self.bootstrap_retry_at.is_none_or(|at| at > now) {
            return;
        }
        let mut due = Vec::new();
        let mut next = None;
        for (id, query) in self.queries.iter() {
            if let Query::BootstrapWait(attempt) = query {
                if attempt.retry_at <= now {
                    due.push(*id);
                } else {
                    next = Some(earliest(next, attempt.retry_at));
                }
            }
        }
        self.bootstrap_retry_at = next;
        for qid in due {
            if let Some(Query::BootstrapWait(attempt)) = self.queries.remove(&qid) {
                let seeds = attempt.seeds.clone();
                let id = self.id;
                self.run_lookup(now, qid, id, Goal::Bootstrap(attempt), seeds);
            }
        }
    }

    /// Whether a bootstrap attempt is asking the network now (one waiting to be tried again
    /// does not count). A driver may hold back commands that need contacts while this is true
    /// and the routing table is empty.
    pub fn is_bootstrapping(&self) -> bool {
        self.queries.iter().any(|(_, query)| {
            matches!(
                query,
                Query::Lookup {
                    goal: Goal::Bootstrap(_),
                    ..
                }
            )
        })
    }

    /// Whether a bootstrap is running or waiting to be tried again.
    fn bootstrap_outstanding(&self) -> bool {
        self.bootstrap_retry_at.is_some() || self.is_bootstrapping()
    }

    /// Bootstraps again, without a report, if the routing table is empty, no bootstrap runs
    /// and [`Config::rebootstrap_when_empty`] allows it.
    pub(crate) fn rebootstrap_if_empty(&mut self, now: Instant) {
        let wanted = self.config.rebootstrap_when_empty
            && self.routing.is_empty()
            && !self.last_seeds.is_empty()
            && !self.bootstrap_outstanding();
        if wanted {
            let seeds = self.last_seeds.clone();
            let count = seeds.len();
            // Refused only when max_queries are running; maintenance tries again.
            if self.start_bootstrap(now, seeds, false).is_ok() {
                self.counters.rebootstraps += 1;
                tracing::warn!(
                    seeds = count,
                    "routing table empty; bootstrapping again through the last seeds"
                );
            }
        }
    }
}

/// The earlier of `at` and `known`, if any.
fn earliest(known: Option<Instant>, at: Instant) -> Instant {
    known.map_or(at, |t| t.min(at))
}
