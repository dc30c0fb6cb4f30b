//! What each request gets: a pong, the closest contacts with a write token, a record, or the
//! verdict on a STORE (kept only with a token this node gave the sender's IP, if the
//! validator takes it, and within the quota of the sender's subnet). An answer takes at most [`Config::response_factor`]
//! times the size of its request (a request may name a known contact and still come from a
//! forged address), and all answers to nodes not in the routing table together at most
//! [`Config::unverified_upload_rate`], so that forged source addresses cannot make the node a
//! reflector. Exempt local sources get full answers.
//!
//! [`Config::unverified_upload_rate`]: crate::Config::unverified_upload_rate
//! [`Config::response_factor`]: crate::Config::response_factor

use std::time::{Duration, Instant};

use crate::address::{Address, AddressScope, Subnet};
use crate::key::KeyType;
use crate::message::{Request, Response, StoreOutcome};
use crate::node::Node;
use crate::record::Record;
use crate::store::{Accepted, Stored};
use crate::token::Token;
use crate::wire_len::{contact_len, message_len, nodes_len, value_len};

/// What an answer may cost, by who asked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Allowance {
    /// The size of the request, when the answer is held to `response_factor` times it
    /// (every source but an exempt local one).
    pub(crate) request: Option<usize>,
    /// Whether the sender is a contact in the routing table at this address: its answers
    /// do not spend `unverified_upload_rate`.
    pub(crate) verified: bool,
}

impl<A: Address, K: KeyType> Node<A, K> {
    /// The answer to `request` from `from`, whose sender claims the id `sender`, within
    /// `allowance`.
    pub(crate) fn answer(
        &mut self,
        now: Instant,
        from: &A,
        sender: &K,
        request: Request<K>,
        allowance: Allowance,
    ) -> Response<A, K> {
        let exclude = Some(sender);
        match request {
            Request::Ping => Response::Pong,
            Request::FindNode { target, .. } => {
                self.nodes_response(now, from, &target, exclude, allowance)
            }
            Request::FindValue { key, .. } => {
                let found = self.store.get(&key, now).map(|stored| {
                    let ttl_secs = stored.ttl_secs(now);
                    (stored.record.clone(), ttl_secs)
                });
                match found {
                    Some((record, ttl_secs))
                        if self.affordable(
                            now,
                            allowance,
                            message_len::<K>(value_len(&record, ttl_secs)),
                        ) =>
                    {
                        Response::Value {
                            record,
                            ttl_secs,
                            token: self.tokens.issue(from),
                        }
                    }
                    // Too large for the request, or for the budget: where to look instead.
                    _ => self.nodes_response(now, from, &key, exclude, allowance),
                }
            }
            Request::Store {
                key,
                record,
                ttl_secs,
                token,
                cas,
            } => {
                let store = (record, ttl_secs, cas);
                Response::Stored {
                    outcome: self.accept_store(now, from, key, store, &token, allowance.verified),
                }
            }
        }
    }

    /// Whether an answer of `len` bytes may go to the sender: if it is within
    /// `response_factor` times the request and, to a node not in the routing table, within
    /// `unverified_upload_rate` (the bytes are then spent).
    fn affordable(&mut self, now: Instant, allowance: Allowance, len: usize) -> bool {
        if let Some(request) = allowance.request {
            let factor = self.config.response_factor as usize;
            if len > request.saturating_mul(factor) {
                return false;
            }
        }
        if allowance.verified {
            return true;
        }
        let rate = self.config.unverified_upload_rate;
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        self.upload_budget.take_n(now, rate, rate, len)
    }

    /// The closest contacts to `target` and a write token for `to`: only the closest that
    /// fit in `response_factor` times the request, and, to a node not in the routing table,
    /// none once `unverified_upload_rate` is spent.
    fn nodes_response(
        &mut self,
        now: Instant,
        to: &A,
        target: &K,
        exclude: Option<&K>,
        allowance: Allowance,
    ) -> Response<A, K> {
        let mut contacts = self.answer_contacts(now, target, exclude);
        if let Some(request) = allowance.request {
            let allowed = request.saturating_mul(self.config.response_factor as usize);
            let mut fit = 0;
            let mut used = 0;
            for contact in &contacts {
                let size = contact_len::<A, K>(&contact.addr);
                if message_len::<K>(nodes_len(fit + 1, used + size)) > allowed {
                    break;
                }
                used += size;
                fit += 1;
            }
            if fit < contacts.len() {
                contacts.truncate(fit);
                self.counters.responses_trimmed += 1;
            }
            if !contacts.is_empty()
                && !self.affordable(now, allowance, message_len::<K>(nodes_len(fit, used)))
            {
                contacts.clear();
                self.counters.upload_budget_exhausted += 1;
            }
        }
        Response::Nodes {
            contacts,
            token: self.tokens.issue(to),
        }
    }

    /// The subnet whose quota a record stored for `from` counts against: none for an
    /// opaque address, nor for a local one while local addresses are exempt.
    fn quota_subnet(&self, from: &A) -> Option<Subnet> {
        let socket = from.socket_addr()?;
        let exempt =
            self.config.exempt_local_addresses && AddressScope::of(&socket) == AddressScope::Local;
        (!exempt).then(|| Subnet::of(socket.ip()))
    }

    /// Keeps the record a STORE from `from` carries (with its lifetime in seconds and the
    /// sequence number its writer expects to replace), if its token is one this node gave
    /// `from`'s IP, the validator takes it and the store has room for it. The cheap checks
    /// come first: a copy of a record held needs no second check, and an older version is
    /// refused unchecked; a sender not in the routing table (`verified` false) has its
    /// signed records checked within `signature_check_rate`.
    fn accept_store(
        &mut self,
        now: Instant,
        from: &A,
        key: K,
        (record, ttl_secs, cas): (Record, u32, Option<u64>),
        token: &Token,
        verified: bool,
    ) -> StoreOutcome {
        if !self.tokens.check(from, token) {
            self.counters.stores_without_token += 1;
            self.counters.stores_refused += 1;
            return StoreOutcome::Refused;
        }
        let held = self
            .store
            .peek(&key)
            .map(|held| (held.record == record, held.record.seq()));
        match (held, record.seq()) {
            // Checked when it was stored.
            (Some((true, _)), _) => {}
            (Some((false, Some(held))), Some(sent)) if sent <= held => {
                self.counters.stores_superseded += 1;
                self.counters.stores_refused += 1;
                return StoreOutcome::Superseded { seq: held };
            }
            (_, Some(_))
                if !verified && {
                    let rate = self.config.signature_check_rate;
                    !self.signature_budget.take(now, rate, rate)
                } =>
            {
                self.counters.stores_check_limited += 1;
                self.counters.stores_refused += 1;
                return StoreOutcome::Refused;
            }
            _ => {
                if self.validator.validate(&key, &record).is_err() {
                    self.counters.stores_invalid += 1;
                    self.counters.stores_refused += 1;
                    return StoreOutcome::Refused;
                }
            }
        }
        let lifetime = Duration::from_secs(u64::from(ttl_secs)).min(self.config.storage_timeout);
        let stored = Stored {
            record,
            expires: now + lifetime,
            // Someone else just republished it: skip our own next round.
            republish_at: now + self.config.republish_interval,
            reput_at: None,
            origin: self.quota_subnet(from),
        };
        let outcome = if lifetime.is_zero() {
            Ok(Accepted::Shortening)
        } else {
            let validator = &self.validator;
            self.store
                .accept(key, stored, cas, |a, b| validator.compare(&key, a, b))
        };
        let outcome = match outcome {
            Ok(Accepted::Stored) => return StoreOutcome::Accepted,
            Ok(Accepted::Shortening) => {
                self.counters.stores_shortening += 1;
                StoreOutcome::Refused
            }
            Ok(Accepted::OverQuota) => {
                self.counters.stores_over_quota += 1;
                StoreOutcome::Refused
            }
            Ok(Accepted::Superseded(seq)) => {
                self.counters.stores_superseded += 1;
                seq.map_or(StoreOutcome::Refused, |seq| StoreOutcome::Superseded {
                    seq,
                })
            }
            Err(_) => StoreOutcome::Refused,
        };
        self.counters.stores_refused += 1;
        outcome
    }
}
