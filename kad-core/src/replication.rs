//! Replication to new contacts (paper, section 2.5): a node that joins is handed the records
//! it should now hold by the old holder nearest to each.

use std::time::Instant;

use crate::contact::Contact;
use crate::key::KeyType;
use crate::message::Request;
use crate::node::Node;
use crate::pending::Purpose;

impl<A: Clone + Eq, K: KeyType> Node<A, K> {
    /// Hands `contact` the records it is closer to than this node, where this node was the
    /// closest holder it knew, so that of all the old holders only one sends each record. The
    /// STOREs go out within the spare request slots; the rest are left to the next
    /// republication.
    pub(crate) fn replicate_to(&mut self, now: Instant, contact: &Contact<A, K>) {
        let budget = self.pending.spare();
        let mut stores = Vec::new();
        for (key, record) in self.store.iter(now) {
            if stores.len() >= budget {
                break;
            }
            let own = self.id.distance(key);
            if contact.id.distance(key) >= own {
                continue;
            }
            let nearest_other = self.routing.closest(key, 1, Some(&contact.id));
            if nearest_other
                .first()
                .is_some_and(|c| c.id.distance(key) < own)
            {
                continue;
            }
            stores.push(Request::Store {
                key: *key,
                value: record.value.clone(),
                ttl_secs: record.ttl_secs(now),
            });
        }
        for request in stores {
            let to = contact.addr.clone();
            self.send_request(now, to, Some(contact.id), request, Purpose::Replicate);
        }
    }
}
