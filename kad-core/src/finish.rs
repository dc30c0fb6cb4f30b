//! How each kind of query ends: a lookup's result handed to its goal (report it, cache a
//! found value, store a put's record at the k closest), the STORE phase of a put counted
//! down, a ping answered or not, and the [`Event::QueryFinished`] that tells the caller.

use std::time::Instant;

use crate::address::Address;
use crate::event::{Event, QueryResult, StatsClock};
use crate::ids::QueryId;
use crate::key::KeyType;
use crate::lookup::Lookup;
use crate::message::Request;
use crate::node::Node;
use crate::pending::Purpose;
use crate::query_pool::{Goal, Query};
use crate::store::ttl_secs;

impl<A: Address, K: KeyType> Node<A, K> {
    /// Lookup `qid` is over: do what its goal asks.
    pub(crate) fn finish_lookup(&mut self, now: Instant, qid: QueryId) {
        let Some(Query::Lookup { lookup, goal }) = self.queries.remove(&qid) else {
            return;
        };
        match goal {
            Goal::FindNode => {
                let closest = lookup.closest();
                self.report(qid, QueryResult::FindNode { closest }, lookup.clock, now);
            }
            Goal::Bootstrap(attempt) => {
                let closest = lookup.closest();
                self.finish_bootstrap(now, qid, closest, lookup.clock, attempt);
            }
            Goal::Refresh => {}
            Goal::Get => self.finish_get(now, qid, lookup),
            Goal::Put {
                value,
                expires,
                report,
            } => self.start_storing(now, qid, &lookup, value, expires, report),
        }
    }

    /// Reports what a get found, and caches the value at the closest contact that did not
    /// have it.
    fn finish_get(&mut self, now: Instant, qid: QueryId, lookup: Lookup<A, K>) {
        let cache = lookup.cache_target();
        let key = *lookup.target();
        let clock = lookup.clock;
        let value = lookup.found.map(|found| {
            if let Some((to, token)) = cache.filter(|(c, _)| c.id != found.from) {
                let request = Request::Store {
                    key,
                    value: found.value.clone(),
                    ttl_secs: found.ttl_secs,
                    token,
                };
                self.send_request(now, to.addr, Some(to.id), request, Purpose::Replicate);
            }
            found.value
        });
        self.report(qid, QueryResult::Get { value }, clock, now);
    }

    /// The STORE phase of a put: the record goes to the k closest the lookup found.
    fn start_storing(
        &mut self,
        now: Instant,
        qid: QueryId,
        lookup: &Lookup<A, K>,
        value: Vec<u8>,
        expires: Instant,
        report: bool,
    ) {
        let key = *lookup.target();
        let ttl_secs = ttl_secs(expires, now);
        let mut remaining = 0;
        for (to, token) in lookup.closest_with_tokens() {
            let request = Request::Store {
                key,
                value: value.clone(),
                ttl_secs,
                token,
            };
            if self.send_request(now, to.addr, Some(to.id), request, Purpose::Store(qid)) {
                remaining += 1;
            }
        }
        let mut clock = lookup.clock;
        clock.stats.requests += remaining as u32;
        let storing = Query::Storing {
            clock,
            remaining,
            acks: 0,
            report,
        };
        self.queries.insert(qid, storing);
        if remaining == 0 {
            self.finish_put(now, qid);
        }
    }

    /// One STORE of put `qid` was answered (or timed out).
    pub(crate) fn store_done(&mut self, now: Instant, qid: QueryId, accepted: bool) {
        let Some(Query::Storing {
            clock,
            remaining,
            acks,
            ..
        }) = self.queries.get_mut(&qid)
        else {
            return;
        };
        *remaining = remaining.saturating_sub(1);
        if accepted {
            *acks += 1;
            clock.stats.responses += 1;
        } else {
            clock.stats.failures += 1;
        }
        if *remaining == 0 {
            self.finish_put(now, qid);
        }
    }

    fn finish_put(&mut self, now: Instant, qid: QueryId) {
        if let Some(Query::Storing {
            clock,
            acks,
            report,
            ..
        }) = self.queries.remove(&qid)
        {
            if report {
                self.report(qid, QueryResult::Put { replicas: acks }, clock, now);
            }
        }
    }

    /// The user's ping `qid` was answered, or timed out.
    pub(crate) fn ping_done(&mut self, now: Instant, qid: QueryId, alive: bool) {
        if let Some(Query::Ping { mut clock }) = self.queries.remove(&qid) {
            if alive {
                clock.stats.responses = 1;
                clock.stats.hops = 1;
            } else {
                clock.stats.failures = 1;
            }
            self.report(qid, QueryResult::Ping { alive }, clock, now);
        }
    }

    /// Tells the caller that query `id` finished.
    pub(crate) fn report(
        &mut self,
        id: QueryId,
        result: QueryResult<A, K>,
        clock: StatsClock,
        now: Instant,
    ) {
        self.query_events.push_back(Event::QueryFinished {
            id,
            result,
            stats: clock.finish(now),
        });
    }
}
