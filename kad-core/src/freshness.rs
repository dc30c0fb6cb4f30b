//! Stale contacts in answers. A contact this node has not heard from for
//! [`Config::stale_after`] may have left the network; handed out in a `Nodes` answer, it would
//! make every lookup that passes by wait on it through its retries, about three round-trip
//! timeouts, before the lookup can end. So each stale contact an answer meets among the
//! closest is pinged (unless a ping to it is out already), and a contact in doubt (its last
//! request failed, or a ping to it has gone unanswered for the round trip expected of it) is
//! left out of answers while at least as many others remain. A live contact answers the ping
//! and is fresh again; a departed one is left out from its first unanswered ping on, and
//! removed after `max_failures` of them. A contact is pinged at most once per `stale_after`
//! while it answers, so however many requests arrive, these pings cost at most the routing
//! table's size per `stale_after`, plus one per failed request to a contact in doubt. A
//! contact that merely went quiet is still handed out: without churn, answers are what they
//! were.
//!
//! [`Config::stale_after`]: crate::Config::stale_after

use std::time::Instant;

use crate::address::Address;
use crate::contact::Contact;
use crate::key::KeyType;
use crate::node::Node;
use crate::pending::Purpose;
use crate::stamp::Stamp;

impl<A: Address, K: KeyType> Node<A, K> {
    /// The contacts of a `Nodes` answer for `target`: the closest, without those in doubt
    /// while at least as many others remain; stale ones met are pinged.
    pub(crate) fn answer_contacts(
        &mut self,
        now: Instant,
        target: &K,
        exclude: Option<&K>,
    ) -> Vec<Contact<A, K>> {
        let after = self.config.stale_after;
        let stamp = Stamp::of(now);
        let mut contacts = Vec::with_capacity(self.config.max_response_contacts);
        let mut doubtful = Vec::new();
        let mut to_check = Vec::new();
        for e in self
            .routing
            .closest_entries(target, self.config.max_response_contacts, exclude)
        {
            let silent = e.last_seen.aged(stamp, after);
            if (silent || e.failures > 0) && !e.pinging {
                to_check.push(e.contact.id);
            }
            if e.failures == 0 {
                contacts.push(e.contact.clone());
            } else {
                doubtful.push((contacts.len() + doubtful.len(), e.contact.clone()));
            }
        }
        for id in to_check.into_iter().take(self.pending.spare()) {
            if self.routing.start_ping(&id) {
                if let Some(contact) = self.routing.get(&id).map(|e| e.contact.clone()) {
                    self.counters.stale_contacts_checked += 1;
                    self.ping_contact(now, contact, Purpose::Recheck);
                }
            }
        }
        if contacts.len() >= doubtful.len() {
            self.counters.contacts_withheld += doubtful.len() as u64;
        } else {
            // Too few others to answer with: all of them, in distance order.
            for (at, contact) in doubtful {
                contacts.insert(at, contact);
            }
        }
        contacts
    }
}
