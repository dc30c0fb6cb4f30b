//! How each kind of query ends: a lookup's result handed to its goal (report it, cache a
//! found value, store a put's record at the k closest), the STORE phase of a put counted
//! down, a ping answered or not, and the [`Event::QueryFinished`] that tells the caller.

use std::time::Instant;

use crate::address::Address;
use crate::event::{Event, QueryResult, StatsClock};
use crate::ids::QueryId;
use crate::key::KeyType;
use crate::lookup::Lookup;
use crate::message::{Request, StoreOutcome};
use crate::node::Node;
use crate::pending::Purpose;
use crate::query_pool::{Goal, Query};
use crate::storing::{Outgoing, Storing};

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
            Goal::Refresh | Goal::Fill(_) => {}
            Goal::Get { .. } => self.finish_get(now, qid, lookup),
            Goal::PutMutable(put) => self.finish_put_mutable(now, qid, lookup, *put),
            Goal::Put {
                record,
                expires,
                cas,
                report,
            } => {
                let record = (*lookup.target(), record, expires, cas);
                self.start_storing(now, qid, &lookup, record, report);
            }
        }
    }

    /// Reports what a get found. A mutable record is written back to those of the closest
    /// that held an older version; any other is cached at the closest contact that did not
    /// have it.
    fn finish_get(&mut self, now: Instant, qid: QueryId, lookup: Lookup<A, K>) {
        let key = *lookup.target();
        let clock = lookup.clock;
        let found = lookup.found();
        let targets = match &found {
            Some(found) if found.record.seq().is_some() => lookup.outdated(),
            Some(found) => lookup
                .cache_target()
                .filter(|(c, _)| c.id != found.from)
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let repaired = if found.as_ref().is_some_and(|f| f.record.seq().is_some()) {
            targets.len()
        } else {
            0
        };
        self.counters.read_repairs += repaired as u64;
        if let Some(found) = &found {
            for (to, token) in targets {
                let request = Request::Store {
                    key,
                    record: found.record.clone(),
                    ttl_secs: found.ttl_secs,
                    token,
                    cas: None,
                };
                self.send_request(now, to.addr, Some(to.id), request, Purpose::Replicate);
            }
        }
        let result = QueryResult::Get {
            holders: found.as_ref().map_or(0, |f| f.holders),
            record: found.map(|f| f.record),
            repaired,
        };
        self.report(qid, result, clock, now);
    }

    /// The STORE phase of a put: the record goes to the k closest the lookup found.
    pub(crate) fn start_storing(
        &mut self,
        now: Instant,
        qid: QueryId,
        lookup: &Lookup<A, K>,
        record: Outgoing<K>,
        report: bool,
    ) {
        let retries = self.config.lookup_retries;
        let mut storing = Storing::new(record, lookup.clock, retries, report);
        for (to, token) in lookup.closest_with_tokens() {
            let request = storing.request(token, now);
            let addr = to.addr.clone();
            if self.send_request(now, addr, Some(to.id), request, Purpose::Store(qid)) {
                storing.sent(to, token);
            }
        }
        self.queries.insert(qid, Query::Storing(storing));
        self.finish_put_if_done(now, qid);
    }

    /// A STORE of put `qid` to `id` was answered.
    pub(crate) fn store_answered(
        &mut self,
        now: Instant,
        qid: QueryId,
        id: &K,
        outcome: StoreOutcome,
    ) {
        if let Some(Query::Storing(storing)) = self.queries.get_mut(&qid) {
            storing.on_answer(id, outcome);
            self.finish_put_if_done(now, qid);
        }
    }

    /// A STORE of put `qid` to `id` timed out for good.
    pub(crate) fn store_timed_out(&mut self, now: Instant, qid: QueryId, id: &K) {
        if let Some(Query::Storing(storing)) = self.queries.get_mut(&qid) {
            storing.on_timeout(id);
            self.finish_put_if_done(now, qid);
        }
    }

    /// A STORE of put `qid` to `id` was not acknowledged within its expected round trip.
    pub(crate) fn store_soft_timeout(&mut self, now: Instant, qid: QueryId, id: &K) {
        let Some(Query::Storing(storing)) = self.queries.get_mut(&qid) else {
            return;
        };
        if let Some((to, token)) = storing.soft_timeout(id) {
            let request = storing.request(token, now);
            let sent = self.send_request(now, to.addr, Some(to.id), request, Purpose::Store(qid));
            if let Some(Query::Storing(storing)) = self.queries.get_mut(&qid) {
                if sent {
                    self.counters.lookup_retries += 1;
                    storing.retry_sent(id);
                } else {
                    storing.give_up(id);
                }
            }
        }
        self.finish_put_if_done(now, qid);
    }

    /// Reports put `qid` once no STORE of it is waited for.
    fn finish_put_if_done(&mut self, now: Instant, qid: QueryId) {
        let done = matches!(self.queries.get_mut(&qid), Some(Query::Storing(s)) if s.is_finished());
        if !done {
            return;
        }
        if let Some(Query::Storing(storing)) = self.queries.remove(&qid) {
            if storing.report {
                let result = QueryResult::Put {
                    replicas: storing.acks(),
                    superseded: storing.superseded(),
                    seq: storing.seq(),
                };
                self.report(qid, result, storing.clock, now);
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
