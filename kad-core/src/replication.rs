//! Replication to new contacts (paper, section 2.5): a node that joins is handed every record
//! for which it is among the k closest, by the old holder nearest to each. A STORE needs the new contact's
//! write token: when the answer that verified it carried none (a pong), the node first asks
//! it for one with a FIND_NODE.

use std::time::Instant;

use crate::address::Address;
use crate::contact::Contact;
use crate::key::KeyType;
use crate::message::Request;
use crate::node::Node;
use crate::pending::Purpose;
use crate::token::Token;

impl<A: Address, K: KeyType> Node<A, K> {
    /// Hands `contact`, a verified contact that just entered the routing table, every record
    /// for which it is now among the k closest nodes this node knows (itself included),
    /// where this node is the closest holder it knows, so that of all the old holders only
    /// one sends each record (paper, section 2.5). In a network smaller than k (fewer than k
    /// contacts known, and the last bootstrap found fewer than k nodes) that is every record, and every holder sends it:
    /// the closer holder may have joined as recently. At most a burst of
    /// [`Config::source_burst`](crate::Config::source_burst) STOREs go out, within the spare
    /// request slots; the rest are left to the next republication. Without a `token` from `contact`, asks it for one first, and only
    /// if there is anything to hand over.
    pub(crate) fn replicate_to(
        &mut self,
        now: Instant,
        contact: &Contact<A, K>,
        token: Option<Token>,
    ) {
        // At most a burst the newcomer's rate limit takes; the rest waits for republication.
        let budget = self.pending.spare().min(self.config.source_burst as usize);
        let k = self.config.k;
        let small = self.small_network && self.routing.len() < k;
        let mut stores = Vec::new();
        for (key, record) in self.store.iter(now) {
            if stores.len() >= budget {
                break;
            }
            let own = self.id.distance(key);
            let nearest_other = self.routing.closest(key, 1, Some(&contact.id));
            let closer_holder = nearest_other
                .first()
                .is_some_and(|c| c.id.distance(key) < own);
            // A closer holder hands it over. In a network smaller than k, where every node
            // holds every record, every holder does: that closer node may be new itself.
            if closer_holder && !small {
                continue;
            }
            let others = self.routing.closest(key, k, Some(&contact.id));
            // Those known to be closer to the key than the newcomer, this node included.
            let theirs = contact.id.distance(key);
            let closer = others
                .iter()
                .take_while(|c| c.id.distance(key) < theirs)
                .count()
                + usize::from(own < theirs);
            if closer >= k {
                continue;
            }
            stores.push((*key, record.record.clone(), record.ttl_secs(now)));
            if token.is_none() {
                break;
            }
        }
        let Some(token) = token else {
            if !stores.is_empty() {
                let request = Request::find_node(contact.id);
                let to = contact.addr.clone();
                self.send_request(now, to, Some(contact.id), request, Purpose::Handover);
            }
            return;
        };
        for (key, record, ttl_secs) in stores {
            let request = Request::Store {
                key,
                record,
                ttl_secs,
                token,
                cas: None,
            };
            let to = contact.addr.clone();
            self.send_request(now, to, Some(contact.id), request, Purpose::Replicate);
        }
    }
}
