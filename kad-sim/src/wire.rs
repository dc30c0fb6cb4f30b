//! Bytes on the wire: the size of each simulated datagram as kad-proto encodes it.
//!
//! The simulator's addresses are node indices, each standing for an IPv4 address of its own
//! (see `SimAddr`); on the wire node `i` would be reached at `/ip4/<its address>/udp/4000`.
//! Every such multiaddr has the same binary length, so a datagram's size depends only on its
//! shape: the message kind, the number of contacts, the record's kind and lengths, and the
//! widths of its integers. The size
//! of each shape is computed once with [`kad_proto::encoded_len`] on a representative message
//! and cached; a test checks it against encoding the real message. Sizes include kad-proto's
//! header but not the UDP and IP headers (28 bytes more per datagram over IPv4).

use std::collections::HashMap;

use kad_core::{
    Body, Contact, Key, Message, MutableRecord, PublicKey, Record, Request, Response, Signature,
    StoreOutcome, Token, TxId,
};
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
    /// Width class of the TTL integer (see [`int_class`]).
    ttl_class: u8,
    /// The record's kind: 0 plain, 1 immutable, 2 mutable.
    record: u8,
    /// A mutable record's salt length.
    salt_len: u8,
    /// Width class of a mutable record's sequence number, or of a `Stored` answer's.
    seq_class: u8,
    /// A STORE's expected sequence number: 0 none, else 1 + its width class.
    cas_class: u8,
}

/// Width class of a compact integer: 0 below 251, 1 up to 2^16 - 1, 2 up to 2^32 - 1, 3
/// above.
fn int_class(n: u64) -> u8 {
    match n {
        0..=250 => 0,
        251..=0xffff => 1,
        0x1_0000..=0xffff_ffff => 2,
        _ => 3,
    }
}

/// An integer of width class `class`.
fn of_class(class: u8) -> u64 {
    [0, 251, 0x1_0000, 1 << 32][usize::from(class.min(3))]
}

impl Shape {
    fn of<const N: usize>(message: &Message<SimAddr, Key<N>>) -> Shape {
        let plain = |kind| Shape {
            kind,
            contacts: 0,
            value_len: 0,
            ttl_class: 0,
            record: 0,
            salt_len: 0,
            seq_class: 0,
            cas_class: 0,
        };
        // Of a record: its kind, value length, salt length and sequence number's width.
        let record_shape = |record: &Record, kind, ttl_secs: u32| {
            let value_len = u32::try_from(record.value().len()).unwrap_or(u32::MAX);
            let (record, salt_len, seq_class) = match record {
                Record::Plain(_) => (0, 0, 0),
                Record::Immutable(_) => (1, 0, 0),
                Record::Mutable(m) => (
                    2,
                    u8::try_from(m.salt.len()).unwrap_or(u8::MAX),
                    int_class(m.seq),
                ),
            };
            Shape {
                value_len,
                ttl_class: int_class(u64::from(ttl_secs)),
                record,
                salt_len,
                seq_class,
                ..plain(kind)
            }
        };
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
                record,
                ttl_secs,
                cas,
                ..
            }) => Shape {
                cas_class: cas.map_or(0, |cas| 1 + int_class(cas)),
                ..record_shape(record, 3, *ttl_secs)
            },
            Body::Response(Response::Pong) => plain(4),
            Body::Response(Response::Nodes { contacts, .. }) => Shape {
                contacts: u16::try_from(contacts.len()).unwrap_or(u16::MAX),
                ..plain(5)
            },
            Body::Response(Response::Value {
                record, ttl_secs, ..
            }) => record_shape(record, 6, *ttl_secs),
            Body::Response(Response::Stored { outcome }) => match outcome {
                StoreOutcome::Superseded { seq } => Shape {
                    // 1 + the class, so that it differs from the other outcomes.
                    seq_class: 1 + int_class(*seq),
                    ..plain(7)
                },
                StoreOutcome::Accepted | StoreOutcome::Refused => plain(7),
            },
        }
    }

    /// The record of this shape.
    fn record(&self) -> Record {
        let value = vec![0u8; self.value_len as usize];
        match self.record {
            0 => Record::Plain(value),
            1 => Record::Immutable(value),
            _ => Record::from(MutableRecord {
                public_key: PublicKey::from_bytes([0; 32]),
                salt: vec![0; usize::from(self.salt_len)],
                seq: of_class(self.seq_class),
                value,
                signature: Signature::from_bytes([0; 64]),
            }),
        }
    }

    /// A message of this shape, in multiaddr form.
    fn representative<const N: usize>(&self) -> Message<Multiaddr, Key<N>> {
        let key = Key::new([0xa5; N]);
        let ttl_secs = u32::try_from(of_class(self.ttl_class)).unwrap_or(u32::MAX);
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
                record: self.record(),
                ttl_secs,
                token: Token::default(),
                cas: self.cas_class.checked_sub(1).map(of_class),
            }),
            4 => Body::Response(Response::Pong),
            5 => Body::Response(Response::Nodes {
                contacts: (0..u32::from(self.contacts))
                    .map(|i| Contact::new(key, sim_multiaddr(SimAddr(i))))
                    .collect(),
                token: Token::default(),
            }),
            6 => Body::Response(Response::Value {
                record: self.record(),
                ttl_secs,
                token: Token::default(),
            }),
            _ => Body::Response(Response::Stored {
                outcome: match self.seq_class.checked_sub(1) {
                    Some(class) => StoreOutcome::Superseded {
                        seq: of_class(class),
                    },
                    None => StoreOutcome::Accepted,
                },
            }),
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
    use kad_core::Keypair;

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
                Response::Value {
                    record,
                    ttl_secs,
                    token,
                } => Response::Value {
                    record: record.clone(),
                    ttl_secs: *ttl_secs,
                    token: *token,
                },
                Response::Stored { outcome } => Response::Stored { outcome: *outcome },
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
        let keys = Keypair::from_secret_bytes([5; 32]);
        for (len, ttl) in [(0, 0), (100, 3599), (996, 70_000), (250, 250)] {
            let records = [
                Record::Plain(vec![1; len]),
                Record::Immutable(vec![1; len]),
                Record::from(MutableRecord::sign(&keys, b"salt", 300, vec![1; len]).unwrap()),
                Record::from(MutableRecord::sign(&keys, b"", 1 << 40, vec![1; len]).unwrap()),
            ];
            for (record, cas) in records.into_iter().zip([None, Some(7), Some(70_000), None]) {
                check(msg(Body::Request(Request::Store {
                    key: id,
                    record: record.clone(),
                    ttl_secs: ttl,
                    token: Token::from_bytes([9; 8]),
                    cas,
                })));
                check(msg(Body::Response(Response::Value {
                    record,
                    ttl_secs: ttl,
                    token: Token::from_bytes([9; 8]),
                })));
            }
        }
        check(msg(Body::Response(Response::Pong)));
        for outcome in [
            StoreOutcome::Refused,
            StoreOutcome::Accepted,
            StoreOutcome::Superseded { seq: 9 },
            StoreOutcome::Superseded { seq: 1 << 33 },
        ] {
            check(msg(Body::Response(Response::Stored { outcome })));
        }
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
