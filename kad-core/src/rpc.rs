//! The node's side of each RPC: taking in the requests it receives (what each gets is in
//! `answer`), sending its own, and matching each response (or timeout) to the request and
//! query it belongs to.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::address::{Address, AddressScope};
use crate::answer::Allowance;
use crate::contact::Contact;
use crate::ids::TxId;
use crate::key::KeyType;
use crate::lookup::SoftTimeout;
use crate::message::{Body, Message, Request, Response, StoreOutcome};
use crate::node::{Node, Transmit};
use crate::pending::{Kind, Pending, Purpose};
use crate::query_pool::{Goal, Query};
use crate::record::RecordKind;
use crate::rtt::TimeoutRule;
use crate::wire_len::request_len;

impl<A: Address, K: KeyType> Node<A, K> {
    /// Answers a request from `from`, whose sender claims the id `sender`.
    pub(crate) fn on_request(
        &mut self,
        now: Instant,
        from: A,
        tx: TxId,
        sender: K,
        request: Request<K>,
    ) {
        match from.scope() {
            Some(AddressScope::Unroutable) => {
                self.counters.unroutable_dropped += 1;
                self.log_unroutable_from(now, &from);
                return;
            }
            Some(AddressScope::Local) if !self.local_peers => {
                self.counters.local_requests_dropped += 1;
                self.log_local_request(now, &from);
                return;
            }
            _ => {}
        }
        self.counters.requests_received += 1;
        self.counters.requests_received_by_kind.count(&request);
        if sender != self.id {
            self.consider_requester(now, Contact::new(sender, from.clone()));
        }
        // Every answer stays within a multiple of its request, even to a contact in the table:
        // its id and address are no secret, so the source may be forged. A node at this
        // address in the table answered us from it: it does not spend the strangers' budget.
        let local = self.exempt_local(&from);
        let allowance = Allowance {
            request: (!local).then(|| request_len(&request)),
            verified: local
                || self
                    .routing
                    .get(&sender)
                    .is_some_and(|e| e.contact().addr == from),
        };
        let response = self.answer(now, &from, &sender, request, allowance);
        self.transmits.push_back(Transmit {
            to: from,
            message: Message {
                tx,
                sender: self.id,
                body: Body::Response(response),
            },
        });
    }

    /// A response arrived: if it is the awaited answer of a request in flight, hand it to
    /// whatever sent that request.
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        from: A,
        tx: TxId,
        sender: K,
        response: Response<A, K>,
    ) {
        let valid = self.pending.get(&tx).is_some_and(|p| {
            p.to == from
                && p.id.is_none_or(|id| id == sender)
                && sender != self.id
                && answers(p.kind, &response)
        });
        // Anything but the awaited answer leaves the request pending, untouched.
        let Some(pending) = valid.then(|| self.pending.remove(&tx)).flatten() else {
            self.counters.responses_ignored += 1;
            return;
        };
        self.counters.responses_received += 1;
        let contact = Contact::new(sender, from);
        let token = match &response {
            Response::Nodes { token, .. } | Response::Value { token, .. } => Some(*token),
            _ => None,
        };
        self.observe(now, contact.clone(), token);
        let rtt = now.saturating_duration_since(pending.sent);
        self.rtt.sample(rtt);
        self.routing.note_rtt(&contact.id, &contact.addr, rtt);
        match pending.purpose {
            Purpose::Lookup(qid) => {
                let by_seed = pending.id.is_none();
                self.on_lookup_response(qid, contact, by_seed, response);
                self.advance(now, qid);
            }
            Purpose::Store(qid) => {
                let outcome = match response {
                    Response::Stored { outcome } => outcome,
                    _ => StoreOutcome::Refused,
                };
                self.store_answered(now, qid, &contact.id, outcome);
            }
            Purpose::Ping(qid) => self.ping_done(now, qid, true),
            Purpose::Verify => self.verify_done(now, &contact, true),
            Purpose::Handover => self.replicate_to(now, &contact, token),
            Purpose::Check | Purpose::Recheck | Purpose::Replicate => {}
        }
    }

    /// Feeds a lookup step's answer from `contact` to lookup `qid`.
    fn on_lookup_response(
        &mut self,
        qid: crate::ids::QueryId,
        contact: Contact<A, K>,
        by_seed: bool,
        response: Response<A, K>,
    ) {
        let Some(Query::Lookup { lookup, goal }) = self.queries.get_mut(&qid) else {
            return;
        };
        match response {
            Response::Nodes {
                mut contacts,
                token,
            } => {
                contacts.retain(|c| c.id != self.id);
                contacts.truncate(self.config.k);
                let before = contacts.len();
                let local_ok = self.local_peers;
                contacts.retain(|c| match c.addr.scope() {
                    Some(AddressScope::Unroutable) => false,
                    Some(AddressScope::Local) => local_ok,
                    Some(AddressScope::Global) | None => true,
                });
                self.counters.addresses_filtered += (before - contacts.len()) as u64;
                // Trust the address this node already knows for an id over what a third
                // party says.
                for c in contacts.iter_mut() {
                    if let Some(known) = self.routing.get(&c.id) {
                        c.addr = known.contact().addr.clone();
                    }
                }
                if matches!(goal, Goal::Bootstrap(_)) && self.config.bootstrap_refresh {
                    let fill = self.config.bootstrap_refresh_fill;
                    self.heard.hear(&contacts, &self.routing, fill);
                }
                if by_seed {
                    lookup.seed_done(Some((contact, token)), contacts);
                } else {
                    lookup.on_nodes(&contact.id, contacts, token);
                }
            }
            Response::Value {
                record,
                ttl_secs,
                token,
            } => {
                let wanted = match goal {
                    Goal::Get { kind, .. } => Some(*kind),
                    Goal::PutMutable(_) => Some(RecordKind::Mutable),
                    _ => None,
                };
                let valid = wanted == Some(record.kind())
                    && self.validator.validate(lookup.target(), &record).is_ok();
                if valid {
                    lookup.on_value(&contact.id, record, ttl_secs, token);
                } else {
                    self.counters.values_invalid += 1;
                    lookup.on_invalid(&contact.id);
                }
            }
            Response::Pong | Response::Stored { .. } => {}
        }
    }

    /// A lookup request or a put's STORE went unanswered for the round trip expected of its
    /// contact: send it again, or stop waiting for it.
    pub(crate) fn on_soft_timeout(&mut self, now: Instant, pending: Pending<A, K>) {
        let (purpose, Some(id)) = (pending.purpose, pending.id) else {
            return;
        };
        if now >= pending.sent + self.config.request_timeout {
            return; // woken late: its hard timeout is handled next
        }
        let qid = match purpose {
            Purpose::Lookup(qid) => qid,
            Purpose::Store(qid) => return self.store_soft_timeout(now, qid, &id),
            Purpose::Check | Purpose::Recheck => return self.routing.doubt(&id, &pending.to),
            _ => return,
        };
        let Some(Query::Lookup { lookup, goal }) = self.queries.get_mut(&qid) else {
            return;
        };
        match lookup.soft_timeout(&id) {
            SoftTimeout::Retry => {
                let request = goal.request(*lookup.target());
                let attempt = if lookup.last_retry_next(&id) {
                    Attempt::LastRetry
                } else {
                    Attempt::Retry
                };
                let (to, purpose) = (pending.to, pending.purpose);
                let sent = self.send_attempt(now, to, Some(id), request, purpose, attempt);
                if let Some(Query::Lookup { lookup, .. }) = self.queries.get_mut(&qid) {
                    if sent {
                        self.counters.lookup_retries += 1;
                        lookup.retry_sent(&id);
                    } else {
                        lookup.slow(&id);
                    }
                }
            }
            SoftTimeout::MovedOn => {}
            SoftTimeout::Nothing => return,
        }
        self.advance(now, qid);
    }

    /// A request went unanswered for the request timeout.
    pub(crate) fn on_timeout(&mut self, now: Instant, pending: Pending<A, K>) {
        self.counters.timeouts += 1;
        // A lookup or put that asked again charges the contact once, when its last
        // request times out.
        let asked_again = matches!(pending.purpose, Purpose::Lookup(_) | Purpose::Store(_))
            && pending
                .id
                .is_some_and(|id| self.pending.has_request_to(&id));
        if let Some(id) = pending.id.filter(|_| !asked_again) {
            let evict = pending.purpose == Purpose::Check;
            let max_failures = self.config.max_failures;
            let sent = pending.sent;
            if let Some(removal) = self
                .routing
                .fail(&id, &pending.to, sent, evict, max_failures)
            {
                self.on_removal(now, removal);
            } else if pending.purpose == Purpose::Recheck {
                self.routing.cancel_ping(&id);
            }
        }
        match pending.purpose {
            Purpose::Lookup(qid) => {
                if let Some(Query::Lookup { lookup, .. }) = self.queries.get_mut(&qid) {
                    match pending.id {
                        Some(id) => lookup.on_failure(&id),
                        None => lookup.seed_done(None, Vec::new()),
                    }
                    self.advance(now, qid);
                }
            }
            Purpose::Store(qid) => {
                if let Some(id) = pending.id {
                    self.store_timed_out(now, qid, &id);
                }
            }
            Purpose::Ping(qid) => self.ping_done(now, qid, false),
            Purpose::Verify => {
                if let Some(id) = pending.id {
                    self.verify_done(now, &Contact::new(id, pending.to), false);
                }
            }
            Purpose::Check | Purpose::Recheck | Purpose::Replicate | Purpose::Handover => {}
        }
    }

    /// Sends a request unless `max_pending_requests` are in flight; returns whether it went.
    pub(crate) fn send_request(
        &mut self,
        now: Instant,
        to: A,
        id: Option<K>,
        request: Request<K>,
        purpose: Purpose,
    ) -> bool {
        self.send_attempt(now, to, id, request, purpose, Attempt::First)
    }

    /// Sends a request as [`send_request`](Self::send_request) does, with the soft timeout
    /// of `attempt`.
    fn send_attempt(
        &mut self,
        now: Instant,
        to: A,
        id: Option<K>,
        request: Request<K>,
        purpose: Purpose,
        attempt: Attempt,
    ) -> bool {
        if to.scope() == Some(AddressScope::Unroutable) {
            self.counters.unroutable_dropped += 1;
            self.log_unroutable_to(now, &to);
            return false;
        }
        if self.pending.is_full() {
            self.counters.requests_deferred += 1;
            return false;
        }
        let mut tx = self.next_tx();
        while self.pending.contains(&tx) {
            tx = self.next_tx();
        }
        let mutable = matches!(purpose, Purpose::Lookup(qid) if self.queries.wants_mutable(&qid));
        let request = self.padded(&to, request, mutable);
        self.counters.requests_sent_by_kind.count(&request);
        let kind = match request {
            Request::Ping => Kind::Ping,
            Request::FindNode { .. } => Kind::FindNode,
            Request::FindValue { .. } => Kind::FindValue,
            Request::Store { .. } => Kind::Store,
        };
        self.pending.insert(
            tx,
            Pending {
                to: to.clone(),
                id,
                kind,
                purpose,
                sent: now,
                soft_after_ms: match (purpose, id) {
                    (
                        Purpose::Lookup(_) | Purpose::Store(_) | Purpose::Check | Purpose::Recheck,
                        Some(id),
                    ) => self
                        .soft_timeout(&id, attempt)
                        .and_then(|t| u32::try_from(t.as_micros().div_ceil(1000)).ok())
                        .and_then(|ms| NonZeroU32::new(ms.max(1))),
                    _ => None,
                },
            },
        );
        self.counters.requests_sent += 1;
        self.transmits.push_back(Transmit {
            to,
            message: Message {
                tx,
                sender: self.id,
                body: Body::Request(request),
            },
        });
        true
    }
}

impl<A: Address, K: KeyType> Node<A, K> {
    /// How long a lookup waits on a request to `id` before it asks again or moves on: the
    /// contact's expected round trip, or the network's (widened for the last retry, a share
    /// of it for a retry before that); `None` when that is no shorter than the request
    /// timeout (nothing measured yet).
    fn soft_timeout(&self, id: &K, attempt: Attempt) -> Option<Duration> {
        let c = &self.config;
        let rule = TimeoutRule {
            min: c.min_request_timeout,
            max: c.request_timeout,
            deviations: match attempt {
                Attempt::LastRetry => c.last_retry_deviations,
                Attempt::First | Attempt::Retry => c.rtt_deviations,
            },
        };
        let max = rule.max;
        let expected = self
            .routing
            .rtt_of(id)
            .and_then(|rtt| rtt.timeout(rule))
            .or_else(|| self.rtt.timeout(rule))?;
        let expected = match attempt {
            Attempt::Retry => expected * c.retry_gap_percent / 100,
            Attempt::First | Attempt::LastRetry => expected,
        };
        (expected < max).then_some(expected)
    }
}

impl<A, K: KeyType> Node<A, K> {
    /// A fresh transaction id: from the secure generator if the node has one.
    fn next_tx(&mut self) -> TxId {
        TxId::from_u64(match &mut self.tx_rng {
            Some(secure) => secure.random(),
            None => self.rng.random(),
        })
    }
}

/// Which of the requests a lookup sends to one contact a request is: its soft timeout
/// depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attempt {
    /// The first (also any request other than a lookup's).
    First,
    /// A lookup's retry with another still to come: it guards against a lost datagram, so
    /// the next follows after [`Config::retry_gap_percent`](crate::Config::retry_gap_percent) of the soft
    /// timeout.
    Retry,
    /// A lookup's last retry: waited for [`Config::last_retry_deviations`](crate::Config::last_retry_deviations).
    LastRetry,
}

/// Whether `response` is a valid answer to a request of `kind`.
fn answers<A, K>(kind: Kind, response: &Response<A, K>) -> bool {
    matches!(
        (kind, response),
        (Kind::Ping, Response::Pong)
            | (Kind::FindNode, Response::Nodes { .. })
            | (
                Kind::FindValue,
                Response::Nodes { .. } | Response::Value { .. }
            )
            | (Kind::Store, Response::Stored { .. })
    )
}
