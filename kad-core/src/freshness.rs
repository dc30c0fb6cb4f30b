//! Stale contacts in answers. A contact this node has not heard from for
//! [`Config::stale_after`] (or whose last request failed) may have left the network; handed
//! out in a `Nodes` answer, it makes every lookup that passes by wait on it through its
//! retries, about three round-trip timeouts, before the lookup can end. So an answer gives
//! only the fresh contacts among the closest when at least half of them are fresh, and each
//! stale contact an answer hands out or leaves out is pinged (unless a ping to it is out
//! already): it answers and is fresh again, or it is removed. Each contact is pinged at most
//! once per `stale_after`, so however many requests arrive, these checks cost at most the
//! routing table's size in pings per `stale_after`.
//!
//! [`Config::stale_after`]: crate::Config::stale_after

use std::time::Instant;

use crate::address::Address;
use crate::contact::Contact;
use crate::key::KeyType;
use crate::node::Node;

impl<A: Address, K: KeyType> Node<A, K> {
    /// The contacts of a `Nodes` answer for `target`, fresh ones preferred; stale ones found
    /// among the closest are checked.
    pub(crate) fn answer_contacts(
        &mut self,
        now: Instant,
        target: &K,
        exclude: Option<&K>,
    ) -> Vec<Contact<A, K>> {
        let after = self.config.stale_after;
        let mut contacts = Vec::new();
        let mut stale = Vec::new();
        let mut to_check = Vec::new();
        for e in self
            .routing
            .closest_entries(target, self.config.max_response_contacts, exclude)
        {
            let is_stale = e.failures > 0 || now.saturating_duration_since(e.last_seen) >= after;
            if !is_stale {
                contacts.push(e.contact.clone());
                continue;
            }
            if !e.pinging {
                to_check.push(e.contact.id);
            }
            stale.push((contacts.len() + stale.len(), e.contact.clone()));
        }
        for id in to_check {
            if self.pending.is_full() {
                break;
            }
            if self.routing.start_ping(&id) {
                if let Some(contact) = self.routing.get(&id).map(|e| e.contact.clone()) {
                    self.counters.stale_contacts_checked += 1;
                    self.check(now, contact);
                }
            }
        }
        if contacts.len() >= stale.len() {
            self.counters.stale_contacts_withheld += stale.len() as u64;
        } else {
            // Too few fresh ones to answer with: all of them, in distance order.
            for (at, contact) in stale {
                contacts.insert(at, contact);
            }
        }
        contacts
    }
}
