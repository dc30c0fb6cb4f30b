//! How what the node hears changes its routing table. A contact enters the table only after
//! it answered a request of ours from its address (verified): a stranger that sends a request
//! is sent one verification ping (within [`Config::verify_rate`](crate::Config::verify_rate)),
//! and a replacement is pinged before it takes a free slot. A full bucket checks its
//! least-recently-seen contact; every entry or exit is reported as an event, and a new entry
//! is handed the records it should now hold (see `replication`).

use std::time::Instant;

use crate::address::Address;
use crate::contact::Contact;
use crate::event::Event;
use crate::key::KeyType;
use crate::message::Request;
use crate::node::Node;
use crate::pending::Purpose;
use crate::routing::{Removal, Unverified, Update};
use crate::token::Token;

/// Why a node is verified, and so which budget its ping takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verification {
    /// It sent this node a request: within `verify_rate`, which strangers cannot exceed.
    Stranger,
    /// It waits in a replacement cache for a free slot: bounded by the slots that free up
    /// and by one per bucket and maintenance round, so it does not take from `verify_rate`,
    /// which a flood of strangers could spend.
    Replacement,
    /// A join heard of it and its bucket is short: bounded by `bootstrap_refresh_fill` per
    /// bucket and join, it does not take from `verify_rate` either.
    Join,
}

impl<A: Address, K: KeyType> Node<A, K> {
    /// `contact` answered a request of ours from its address, perhaps with a write `token`:
    /// update the routing table accordingly.
    pub(crate) fn observe(&mut self, now: Instant, contact: Contact<A, K>, token: Option<Token>) {
        match self
            .routing
            .offer(contact.clone(), now, self.config.lru_ping_after)
        {
            Update::Added { bucket } => {
                self.replicate_to(now, &contact, token);
                self.push_routing_event(Event::ContactAdded { contact, bucket });
            }
            Update::Cached { ping: Some(lru) } => self.check(now, lru),
            Update::Refused => self.counters.contacts_refused_subnet += 1,
            Update::Cached { ping: None } | Update::Refreshed | Update::Local => {}
        }
    }

    /// `contact` sent this node a request: verify it if its bucket has room for it. Nothing
    /// a request says changes an entry already in the table (a forged request from a dead
    /// contact's address must not keep it alive, nor cancel its liveness check).
    pub(crate) fn consider_requester(&mut self, now: Instant, contact: Contact<A, K>) {
        let ping_after = self.config.lru_ping_after;
        match self
            .routing
            .offer_unverified(contact.clone(), now, ping_after)
        {
            Unverified::Room => {
                if !self.verify(now, contact.clone(), Verification::Stranger) {
                    // Verified later, when maintenance tops the bucket up.
                    self.routing.cache(contact, now);
                }
            }
            Unverified::Cached { ping: Some(lru) } => self.check(now, lru),
            Unverified::Known | Unverified::Cached { ping: None } => {}
        }
    }

    /// Pings `contact`, not in the table, which enters it if it answers; once at a time per
    /// address, and for a stranger within `verify_rate`. Returns false if the ping could not
    /// go now (`verify_rate` spent, every request slot taken).
    pub(crate) fn verify(
        &mut self,
        now: Instant,
        contact: Contact<A, K>,
        why: Verification,
    ) -> bool {
        if self.verifying.contains(&contact.addr) {
            return true;
        }
        let rate = self.config.verify_rate;
        if why == Verification::Stranger && !self.verify_budget.take(now, rate, rate) {
            self.counters.verifications_skipped += 1;
            return false;
        }
        let to = contact.addr.clone();
        if !self.send_request(now, to, Some(contact.id), Request::Ping, Purpose::Verify) {
            return false;
        }
        self.counters.verifications_sent += 1;
        self.verifying.push(contact.addr);
        true
    }

    /// Verifies a cached replacement for each bucket that has room, within `verify_rate`:
    /// how strangers whose verification had to wait get their turn.
    pub(crate) fn top_up_buckets(&mut self, now: Instant) {
        if !self.routing.may_top_up() {
            return;
        }
        let mut found = false;
        for index in 0..self.routing.bucket_count() {
            let Some(replacement) = self.routing.take_replacement_at(index) else {
                continue;
            };
            found = true;
            if !self.verify(now, replacement.clone(), Verification::Replacement) {
                self.routing.cache(replacement, now);
                return;
            }
        }
        if !found {
            self.routing.topped_up();
        }
    }

    /// A verification ping to `contact` was answered (`true`) or not: either way the address
    /// may be verified again; after a failure, the next replacement of its bucket is tried.
    pub(crate) fn verify_done(&mut self, now: Instant, contact: &Contact<A, K>, answered: bool) {
        self.verifying.retain(|a| *a != contact.addr);
        if !answered {
            if let Some(next) = self.routing.take_replacement(&contact.id) {
                if !self.verify(now, next.clone(), Verification::Replacement) {
                    self.routing.cache(next, now);
                }
            }
        }
    }

    /// Pings a routing-table contact (already marked as pinged) that is removed if it fails.
    pub(crate) fn check(&mut self, now: Instant, contact: Contact<A, K>) {
        self.ping_contact(now, contact, Purpose::Check);
    }

    /// Pings a routing-table contact (already marked as pinged) for `purpose`.
    pub(crate) fn ping_contact(&mut self, now: Instant, contact: Contact<A, K>, purpose: Purpose) {
        let id = contact.id;
        if !self.send_request(now, contact.addr, Some(id), Request::Ping, purpose) {
            self.routing.cancel_ping(&id);
        }
    }

    /// A contact left the table; verify a replacement for its slot, and bootstrap again if
    /// none is left.
    pub(crate) fn on_removal(&mut self, now: Instant, removal: Removal<A, K>) {
        self.push_routing_event(Event::ContactRemoved {
            contact: removal.removed,
        });
        if let Some(replacement) = removal.replacement {
            if !self.verify(now, replacement.clone(), Verification::Replacement) {
                self.routing.cache(replacement, now);
            }
        }
        self.rebootstrap_if_empty(now);
    }

    fn push_routing_event(&mut self, event: Event<A, K>) {
        if self.config.max_queued_events == 0 {
            self.counters.events_dropped += 1;
            return;
        }
        if self.routing_events.len() >= self.config.max_queued_events {
            self.routing_events.pop_front();
            self.counters.events_dropped += 1;
        }
        self.routing_events.push_back(event);
    }
}
