//! Request padding: a `FIND_NODE` or `FIND_VALUE` carries enough bytes that a node which has
//! not verified the sender may answer it in full within
//! [`Config::response_factor`] times its size (see [`Config::pad_requests`]).
//!
//! [`Config::response_factor`]: crate::Config::response_factor
//! [`Config::pad_requests`]: crate::Config::pad_requests

use crate::address::{Address, AddressScope};
use crate::key::KeyType;
use crate::message::{Request, MAX_PADDING};
use crate::node::Node;
use crate::wire_len::{
    contact_len, message_len, mutable_value_response_len, nodes_len, padding_for,
    value_response_len,
};

impl<A: Address, K: KeyType> Node<A, K> {
    /// `request` as it goes to `to`: padded when it asks for contacts or a value and
    /// padding is on; for the largest signed mutable record if `mutable` (a mutable get's
    /// answer carries a key, a salt, a sequence number and a signature besides the value).
    pub(crate) fn padded(&self, to: &A, request: Request<K>, mutable: bool) -> Request<K> {
        let c = &self.config;
        if !c.pad_requests || self.exempt_local(to) {
            return request;
        }
        let factor = c.response_factor.max(1) as usize;
        // The receiver's contacts are taken to be reached at addresses like its own.
        let count = c.max_response_contacts;
        let nodes = message_len::<K>(nodes_len(count, count * contact_len::<A, K>(to)));
        let fitting = |answer: usize| padding_for::<K>(answer.div_ceil(factor)).min(MAX_PADDING);
        match request {
            Request::FindNode { target, .. } => Request::FindNode {
                target,
                padding: fitting(nodes),
            },
            Request::FindValue { key, .. } => {
                let value = match mutable {
                    true => mutable_value_response_len::<K>(),
                    false => value_response_len::<K>(c.max_value_size),
                };
                Request::FindValue {
                    key,
                    padding: fitting(nodes.max(value)),
                }
            }
            other => other,
        }
    }

    /// Whether `addr` is a local address the per-address limits leave alone
    /// ([`Config::exempt_local_addresses`](crate::Config::exempt_local_addresses)).
    pub(crate) fn exempt_local(&self, addr: &A) -> bool {
        self.config.exempt_local_addresses && addr.scope() == Some(AddressScope::Local)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Instant;

    use crate::wire_len::request_len;
    use crate::{Config, Key, Node};

    use super::*;

    fn node(config: Config) -> Node<SocketAddr, Key<20>> {
        Node::new(Key::new([1; 20]), config, 7, Instant::now()).unwrap()
    }

    #[test]
    fn a_padded_request_pays_for_a_full_answer() {
        let n = node(Config::default());
        let to: SocketAddr = "198.51.100.7:4000".parse().unwrap();
        let full_nodes = message_len::<Key<20>>(nodes_len(20, 20 * contact_len::<_, Key<20>>(&to)));
        let find = n.padded(&to, Request::find_node(Key::new([2; 20])), false);
        assert!(3 * request_len(&find) >= full_nodes);
        assert!(
            3 * (request_len(&find) - 1) < full_nodes,
            "no more than needed"
        );
        let get = n.padded(&to, Request::find_value(Key::new([2; 20])), false);
        assert!(3 * request_len(&get) >= value_response_len::<Key<20>>(1024));
        let mutable = n.padded(&to, Request::find_value(Key::new([2; 20])), true);
        assert!(3 * request_len(&mutable) >= mutable_value_response_len::<Key<20>>());
        assert!(mutable.padding() > get.padding());
        assert!(
            get.padding() >= 251,
            "long enough for a three-byte length prefix"
        );
    }

    #[test]
    fn local_and_unpadded_configurations_send_bare_requests() {
        let local: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let request = Request::find_node(Key::new([2; 20]));
        assert_eq!(
            node(Config::default())
                .padded(&local, request.clone(), false)
                .padding(),
            0
        );
        let off = Config::builder().pad_requests(false).build().unwrap();
        let public: SocketAddr = "198.51.100.7:4000".parse().unwrap();
        assert_eq!(node(off).padded(&public, request, false).padding(), 0);
    }

    #[test]
    fn padding_reaches_every_length_exactly() {
        let bare = request_len(&Request::<Key<20>>::find_node(Key::new([0; 20])));
        for wanted in bare..bare + 600 {
            let padding = padding_for::<Key<20>>(wanted);
            let len = request_len(&Request::FindNode {
                target: Key::new([0; 20]),
                padding,
            });
            assert!(len >= wanted && len <= wanted + 2, "{wanted} -> {len}");
        }
    }
}
