//! Bytes on the wire: the size of each simulated datagram as kad-proto encodes it.
//!
//! The simulator's addresses are node indices, each standing for an IPv4 address of its own
//! (see `SimAddr`); on the wire node `i` would be reached at `/ip4/<its address>/udp/4000`.
//! Every such multiaddr has the same binary length, so a datagram's size depends only on its shape: the message
//! kind, the number of contacts, the value length and the width of the TTL integer. The size
//! of each shape is computed once with [`kad_proto::encoded_len`] on a representative message
//! and cached; a test checks it against encoding the real message. Sizes include kad-proto's
//! header but not the UDP and IP headers (28 bytes more per datagram over IPv4).

use std::collections::HashMap;

use kad_core::{Body, Contact, Key, Message, Request, Response, Token, TxId};
use kad_proto::{Multiaddr, Protocol};

use crate::address::SimAddr;

/// The multiaddr node `addr` of the simulation stands for.
pub(crate) fn sim_multiaddr(addr: SimAddr) -> Multiaddr {
    Multiaddr::empty()
        .with(Protocol::Ip4(addr.ip()))
        .with(Protocol::Udp(addr.port()))
}

/// What a datagram's size depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Shape {
    kind: u8,
    contacts: u16,
    /// The value's length, or the padding's in a request for contacts or a value.
    value_len: u32,
    /// Width class of the TTL integer: 0 below 251, 1 up to 2^16 - 1, 2 above.
    ttl_class: u8,
}

fn ttl_class(ttl: u32) -> u8 {
    match ttl {
        0..=250 => 0,
        251..=0xffff => 1,
        _ => 2,
    }
}

impl Shape {
    fn of<const N: usize>(message: &Message<SimAddr, Key<N>>) -> Shape {
        let plain = |kind| Shape {
            kind,
            contacts: 0,
            value_len: 0,
            ttl_class: 0,
        };
        let len = |v: &Vec<u8>| u32::try_from(v.len()).unwrap_or(u32::MAX);
        match &message.body {
            Body::Request(Request::Ping) => plain(0),
            Body::Request(request @ Request::FindNode { .. }) => Shape {
                value_len: u32::from(request.padding()),
                ..plain(1)
            },
            Body::Request(request @ Request::FindValue { .. }) => Shape {
                value_len: u32::from(request.padding()),
                ..plain(2)
            },
            Body::Request(Request::Store {
                value, ttl_secs, ..
            }) => Shape {
                value_len: len(value),
                ttl_class: ttl_class(*ttl_secs),
                ..plain(3)
            },
            Body::Response(Response::Pong) => plain(4),
            Body::Response(Response::Nodes { contacts, .. }) => Shape {
                contacts: u16::try_from(contacts.len()).unwrap_or(u16::MAX),
                ..plain(5)
            },
            Body::Response(Response::Value { value, ttl_secs }) => Shape {
                value_len: len(value),
                ttl_class: ttl_class(*ttl_secs),
                ..plain(6)
            },
            Body::Response(Response::Stored { .. }) => plain(7),
        }
    }

    /// A message of this shape, in multiaddr form.
    fn representative<const N: usize>(&self) -> Message<Multiaddr, Key<N>> {
        let key = Key::new([0xa5; N]);
        let ttl_secs = [0, 251, 0x1_0000][usize::from(self.ttl_class)];
        let value = vec![0u8; self.value_len as usize];
        let padding = u16::try_from(self.value_len).unwrap_or(u16::MAX);
        let body = match self.kind {
            0 => Body::Request(Request::Ping),
            1 => Body::Request(Request::FindNode {
                target: key,
                padding,
            }),
            2 => Body::Request(Request::FindValue { key, padding }),
            3 => Body::Request(Request::Store {
                key,
                value,
                ttl_secs,
                token: Token::default(),
            }),
            4 => Body::Response(Response::Pong),
            5 => Body::Response(Response::Nodes {
                contacts: (0..u32::from(self.contacts))
                    .map(|i| Contact::new(key, sim_multiaddr(SimAddr(i))))
                    .collect(),
                token: Token::default(),
            }),
            6 => Body::Response(Response::Value { value, ttl_secs }),
            _ => Body::Response(Response::Stored { accepted: true }),
        };
        Message {
            tx: TxId::from_u64(u64::MAX),
            sender: key,
            body,
        }
    }
}

/// Sizes of the datagrams of one simulation, by shape.
#[derive(Debug, Default)]
pub(crate) struct WireSizes {
    cache: HashMap<Shape, u32>,
}

impl WireSizes {
    pub(crate) fn new() -> Self {
        WireSizes::default()
    }

    /// Bytes of the datagram carrying `message`, kad-proto's header included.
    pub(crate) fn size<const N: usize>(&mut self, message: &Message<SimAddr, Key<N>>) -> u32 {
        let shape = Shape::of(message);
        *self.cache.entry(shape).or_insert_with(|| {
            let len = kad_proto::encoded_len(&shape.representative::<N>());
            u32::try_from(len).unwrap_or(u32::MAX)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoded message translated to multiaddrs, as a real node would send it.
    fn to_wire<const N: usize>(message: &Message<SimAddr, Key<N>>) -> Message<Multiaddr, Key<N>> {
        let body = match &message.body {
            Body::Request(r) => Body::Request(r.clone()),
            Body::Response(r) => Body::Response(match r {
                Response::Pong => Response::Pong,
                Response::Nodes { contacts, token } => Response::Nodes {
                    contacts: contacts
                        .iter()
                        .map(|c| Contact::new(c.id, sim_multiaddr(c.addr)))
                        .collect(),
                    token: *token,
                },
                Response::Value { value, ttl_secs } => Response::Value {
                    value: value.clone(),
                    ttl_secs: *ttl_secs,
                },
                Response::Stored { accepted } => Response::Stored {
                    accepted: *accepted,
                },
            }),
        };
        Message {
            tx: message.tx,
            sender: message.sender,
            body,
        }
    }

    fn check<const N: usize>(message: Message<SimAddr, Key<N>>) {
        let mut sizes = WireSizes::new();
        let real = kad_proto::encoded_len(&to_wire(&message));
        assert_eq!(sizes.size(&message) as usize, real, "{message:?}");
        // Cached the second time, still right.
        assert_eq!(sizes.size(&message) as usize, real);
    }

    #[test]
    fn cached_sizes_match_the_codec() {
        let id = Key::new([7u8; 20]);
        let msg = |body| Message {
            tx: TxId::from_u64(12345),
            sender: id,
            body,
        };
        check(msg(Body::Request(Request::Ping)));
        for padding in [0, 171, 300] {
            check(msg(Body::Request(Request::FindNode {
                target: id,
                padding,
            })));
            check(msg(Body::Request(Request::FindValue { key: id, padding })));
        }
        for (len, ttl) in [(0, 0), (100, 3599), (1024, 70_000), (250, 250)] {
            check(msg(Body::Request(Request::Store {
                key: id,
                value: vec![1; len],
                ttl_secs: ttl,
                token: Token::from_bytes([9; 8]),
            })));
            check(msg(Body::Response(Response::Value {
                value: vec![2; len],
                ttl_secs: ttl,
            })));
        }
        check(msg(Body::Response(Response::Pong)));
        check(msg(Body::Response(Response::Stored { accepted: false })));
        for n in [0u32, 1, 7, 20] {
            let contacts = (0..n)
                .map(|i| Contact::new(Key::new([i as u8; 20]), SimAddr(i * 40_503 % 1_000_000)))
                .collect();
            check(msg(Body::Response(Response::Nodes {
                contacts,
                token: Token::from_bytes([8; 8]),
            })));
        }
        check(Message {
            tx: TxId::from_u64(1),
            sender: Key::new([3u8; 32]),
            body: Body::Request(Request::find_node(Key::new([4u8; 32]))),
        });
    }

    #[test]
    fn addresses_map_to_distinct_multiaddrs() {
        assert_eq!(
            sim_multiaddr(SimAddr(0x01_02_03)).to_string(),
            "/ip4/12.2.3.1/udp/4000"
        );
        assert_ne!(sim_multiaddr(SimAddr(5)), sim_multiaddr(SimAddr(6)));
    }
}
