//! How what the node hears changes its routing table: a contact heard from is offered to its
//! bucket, a full bucket checks its least-recently-seen contact, and every entry or exit is
//! reported as an event (and an entry may be handed records, see `replication`).

use std::time::Instant;

use crate::contact::Contact;
use crate::event::Event;
use crate::key::KeyType;
use crate::message::Request;
use crate::node::Node;
use crate::pending::Purpose;
use crate::routing::{Removal, Update};

impl<A: Clone + Eq, K: KeyType> Node<A, K> {
    /// A message came from `contact`: update the routing table accordingly.
    pub(crate) fn observe(&mut self, now: Instant, contact: Contact<A, K>) {
        match self
            .routing
            .offer(contact.clone(), now, self.config.lru_ping_after)
        {
            Update::Added { bucket } => {
                self.replicate_to(now, &contact);
                self.push_routing_event(Event::ContactAdded { contact, bucket });
            }
            Update::Cached { ping: Some(lru) } => self.check(now, lru),
            Update::Cached { ping: None } | Update::Refreshed | Update::Local => {}
        }
    }

    /// Pings a routing-table contact (already marked as pinged) that is removed if it fails.
    pub(crate) fn check(&mut self, now: Instant, contact: Contact<A, K>) {
        let id = contact.id;
        if !self.send_request(now, contact.addr, Some(id), Request::Ping, Purpose::Check) {
            self.routing.cancel_ping(&id);
        }
    }

    /// A contact left the table, perhaps for a replacement; bootstrap again if none is left.
    pub(crate) fn on_removal(&mut self, now: Instant, removal: Removal<A, K>) {
        self.push_routing_event(Event::ContactRemoved {
            contact: removal.removed,
        });
        if let Some((contact, bucket)) = removal.promoted {
            self.replicate_to(now, &contact);
            self.push_routing_event(Event::ContactAdded { contact, bucket });
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
