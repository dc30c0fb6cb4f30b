//! The wire mirror of kad-core's messages: [`WireMessage`], the message type that travels,
//! and the private serde types whose fields and variants, in their declared order, are the
//! wire format.
//!
//! kad-core's Rust types can change without the bytes on the wire changing, because only these
//! types are serialized. Decoding borrows every byte string from the datagram; the one
//! allocation before validation is the contact list, bounded by
//! [`MAX_CONTACTS_PER_RESPONSE`].
//!
//! The body of a datagram, in order:
//!
//! | field | encoding |
//! | --- | --- |
//! | transaction id | 8 bytes, big-endian |
//! | sender id | byte string |
//! | message kind | integer: 0 `PING`, 1 `FIND_NODE`, 2 `FIND_VALUE`, 3 `STORE`, 4 `Pong`, 5 `Nodes`, 6 `Value`, 7 `Stored` |
//! | `FIND_NODE` | target: byte string, padding: byte string |
//! | `FIND_VALUE` | key: byte string, padding: byte string |
//! | `STORE` | key: byte string, record, ttl in seconds: integer, write token: 8 bytes, expected sequence number: 0, or 1 and an integer |
//! | `Nodes` | integer count, then per contact its id and its binary multiaddr, both byte strings; then the write token: 8 bytes |
//! | `Value` | record, ttl in seconds: integer, write token: 8 bytes |
//! | `Stored` | integer: 0 accepted, 1 refused, 2 superseded followed by the sequence number held: integer |
//!
//! A record is an integer kind, then: 0 (plain) or 1 (immutable): value: byte string; 2
//! (signed mutable): public key: 32 bytes, salt: byte string, sequence number: integer,
//! value: byte string, signature: 64 bytes.
//!
//! An integer is one byte below 251, otherwise a marker byte (251, 252, 253) followed by 2, 4
//! or 8 little-endian bytes; a byte string is its length as an integer followed by its bytes.
//! Padding is zeros; a datagram whose padding is not is refused as non-canonical.

use std::fmt;

use kad_core::{Body, Contact, KeyType, Message, Request, Response, Token, TxId};
use multiaddr::Multiaddr;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{DecodeError, Limit};
use crate::limits::{MAX_CONTACTS_PER_RESPONSE, MAX_DATAGRAM_SIZE, MAX_KEY_LEN, MAX_MULTIADDR_LEN};
use crate::record_repr::{OutcomeRepr, RecordRepr};

/// A kad-core message whose contacts are reached at multiaddrs: what travels between nodes.
pub type WireMessage<K> = Message<Multiaddr, K>;

/// A length-prefixed byte string, borrowed from the datagram when decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Bytes<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BorrowedBytes;

        impl<'de> Visitor<'de> for BorrowedBytes {
            type Value = &'de [u8];

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte string")
            }

            fn visit_borrowed_bytes<E: de::Error>(
                self,
                bytes: &'de [u8],
            ) -> Result<Self::Value, E> {
                Ok(bytes)
            }
        }

        deserializer.deserialize_bytes(BorrowedBytes).map(Bytes)
    }
}

/// A whole message; `C` is the contact list, [`ContactsOut`] when encoding and [`ContactsIn`]
/// when decoding.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct MessageRepr<'a, C> {
    tx: [u8; 8],
    #[serde(borrow)]
    sender: Bytes<'a>,
    #[serde(borrow)]
    body: BodyRepr<'a, C>,
}

/// The message kinds, requests and responses in one list. The order of the variants is their
/// number on the wire.
///
/// Write tokens are `[u8; 8]` rather than `[u8; kad_core::TOKEN_LEN]`, so that a change of
/// kad-core's token length stops the build here instead of changing the wire.
#[derive(Debug, Serialize, Deserialize)]
enum BodyRepr<'a, C> {
    Ping,
    FindNode {
        #[serde(borrow)]
        target: Bytes<'a>,
        #[serde(borrow)]
        padding: Bytes<'a>,
    },
    FindValue {
        #[serde(borrow)]
        key: Bytes<'a>,
        #[serde(borrow)]
        padding: Bytes<'a>,
    },
    Store {
        #[serde(borrow)]
        key: Bytes<'a>,
        #[serde(borrow)]
        record: RecordRepr<'a>,
        ttl_secs: u32,
        token: [u8; 8],
        cas: Option<u64>,
    },
    Pong,
    Nodes {
        contacts: C,
        token: [u8; 8],
    },
    Value {
        #[serde(borrow)]
        record: RecordRepr<'a>,
        ttl_secs: u32,
        token: [u8; 8],
    },
    Stored(OutcomeRepr),
}

/// Contacts reserved for before any has decoded.
const INITIAL_CONTACTS: usize = 4;

/// One contact: its id and its binary multiaddr.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ContactRepr<'a> {
    #[serde(borrow)]
    id: Bytes<'a>,
    #[serde(borrow)]
    addr: Bytes<'a>,
}

impl<'a> ContactRepr<'a> {
    /// The wire view of `contact`.
    pub(crate) fn new<K: KeyType>(contact: &'a Contact<Multiaddr, K>) -> Self {
        ContactRepr {
            id: Bytes(contact.id.as_slice()),
            addr: Bytes(contact.addr.as_ref()),
        }
    }
}

/// The contact list of a message being encoded, read straight from kad-core's contacts.
#[derive(Debug)]
pub(crate) struct ContactsOut<'a, K>(&'a [Contact<Multiaddr, K>]);

impl<K: KeyType> Serialize for ContactsOut<'_, K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for contact in self.0 {
            seq.serialize_element(&ContactRepr::new(contact))?;
        }
        seq.end()
    }
}

/// The contact list of a decoded message: at most [`MAX_CONTACTS_PER_RESPONSE`] contacts are
/// kept, and `count` says how many the datagram held.
#[derive(Debug)]
pub(crate) struct ContactsIn<'a> {
    kept: Vec<ContactRepr<'a>>,
    count: usize,
}

impl<'de: 'a, 'a> Deserialize<'de> for ContactsIn<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bounded;

        impl<'de> Visitor<'de> for Bounded {
            type Value = ContactsIn<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of contacts")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // The count is the sender's claim: reserve for a few contacts at first and
                // grow with those that actually decode, so that a short datagram claiming
                // many contacts allocates little.
                let claimed = seq.size_hint().unwrap_or(0);
                let mut kept = Vec::with_capacity(claimed.min(INITIAL_CONTACTS));
                let mut count = 0usize;
                // Every contact takes at least two bytes (two length prefixes), so this loop
                // ends within half the datagram's length, whatever count the datagram claims.
                while let Some(contact) = seq.next_element::<ContactRepr<'de>>()? {
                    if kept.len() < MAX_CONTACTS_PER_RESPONSE {
                        if kept.len() == kept.capacity() {
                            let more = (kept.len() * 2).min(MAX_CONTACTS_PER_RESPONSE);
                            kept.reserve_exact(more - kept.len());
                        }
                        kept.push(contact);
                    }
                    count += 1;
                }
                Ok(ContactsIn { kept, count })
            }
        }

        deserializer.deserialize_seq(Bounded)
    }
}

impl Serialize for ContactsIn<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.kept.len()))?;
        for contact in &self.kept {
            seq.serialize_element(contact)?;
        }
        seq.end()
    }
}

impl<'a, K: KeyType> MessageRepr<'a, ContactsOut<'a, K>> {
    /// The wire view of `message`, borrowing all its bytes.
    pub(crate) fn new(message: &'a WireMessage<K>) -> Self {
        let body = match &message.body {
            Body::Request(Request::Ping) => BodyRepr::Ping,
            Body::Request(Request::FindNode { target, padding }) => BodyRepr::FindNode {
                target: Bytes(target.as_slice()),
                padding: zeros(*padding),
            },
            Body::Request(Request::FindValue { key, padding }) => BodyRepr::FindValue {
                key: Bytes(key.as_slice()),
                padding: zeros(*padding),
            },
            Body::Request(Request::Store {
                key,
                record,
                ttl_secs,
                token,
                cas,
            }) => BodyRepr::Store {
                key: Bytes(key.as_slice()),
                record: RecordRepr::new(record),
                ttl_secs: *ttl_secs,
                token: *token.as_bytes(),
                cas: *cas,
            },
            Body::Response(Response::Pong) => BodyRepr::Pong,
            Body::Response(Response::Nodes { contacts, token }) => BodyRepr::Nodes {
                contacts: ContactsOut(contacts),
                token: *token.as_bytes(),
            },
            Body::Response(Response::Value {
                record,
                ttl_secs,
                token,
            }) => BodyRepr::Value {
                record: RecordRepr::new(record),
                ttl_secs: *ttl_secs,
                token: *token.as_bytes(),
            },
            Body::Response(Response::Stored { outcome }) => {
                BodyRepr::Stored(OutcomeRepr::new(*outcome))
            }
        };
        MessageRepr {
            tx: message.tx.as_u64().to_be_bytes(),
            sender: Bytes(message.sender.as_slice()),
            body,
        }
    }

    /// The same message without its contacts (its token kept), to measure what the contacts
    /// add to it.
    pub(crate) fn without_contacts(message: &'a WireMessage<K>) -> Self {
        let mut repr = Self::new(message);
        if let BodyRepr::Nodes { contacts, .. } = &mut repr.body {
            *contacts = ContactsOut(&[]);
        }
        repr
    }
}

impl MessageRepr<'_, ContactsIn<'_>> {
    /// The kad-core message, if every field is within the limits and every key has the length
    /// of `K`.
    pub(crate) fn to_message<K: KeyType>(&self) -> Result<WireMessage<K>, DecodeError> {
        let body = match &self.body {
            BodyRepr::Ping => Body::Request(Request::Ping),
            BodyRepr::FindNode { target, padding } => Body::Request(Request::FindNode {
                target: key(*target)?,
                padding: padding_len(*padding)?,
            }),
            BodyRepr::FindValue { key: k, padding } => Body::Request(Request::FindValue {
                key: key(*k)?,
                padding: padding_len(*padding)?,
            }),
            BodyRepr::Store {
                key: k,
                record,
                ttl_secs,
                token,
                cas,
            } => Body::Request(Request::Store {
                key: key(*k)?,
                record: record.to_record()?,
                ttl_secs: *ttl_secs,
                token: Token::from_bytes(*token),
                cas: *cas,
            }),
            BodyRepr::Pong => Body::Response(Response::Pong),
            BodyRepr::Nodes { contacts, token } => Body::Response(Response::Nodes {
                contacts: contacts_of(contacts)?,
                token: Token::from_bytes(*token),
            }),
            BodyRepr::Value {
                record,
                ttl_secs,
                token,
            } => Body::Response(Response::Value {
                record: record.to_record()?,
                ttl_secs: *ttl_secs,
                token: Token::from_bytes(*token),
            }),
            BodyRepr::Stored(outcome) => Body::Response(Response::Stored {
                outcome: outcome.to_outcome(),
            }),
        };
        Ok(Message {
            tx: TxId::from_u64(u64::from_be_bytes(self.tx)),
            sender: key(self.sender)?,
            body,
        })
    }
}

/// What padding of `len` bytes is sent as: that many zeros (at most a datagram's worth;
/// [`limits::check`](crate::limits) refuses longer padding before encoding).
fn zeros(len: u16) -> Bytes<'static> {
    static ZEROS: [u8; MAX_DATAGRAM_SIZE] = [0; MAX_DATAGRAM_SIZE];
    Bytes(&ZEROS[..usize::from(len).min(MAX_DATAGRAM_SIZE)])
}

/// The length of a received padding, which must be zeros: a datagram has one encoding.
fn padding_len(bytes: Bytes<'_>) -> Result<u16, DecodeError> {
    if bytes.0.iter().any(|&b| b != 0) {
        return Err(DecodeError::NonCanonical);
    }
    // A datagram is far shorter than `u16::MAX`.
    Ok(u16::try_from(bytes.0.len()).unwrap_or(u16::MAX))
}

fn key<K: KeyType>(bytes: Bytes<'_>) -> Result<K, DecodeError> {
    if bytes.0.len() > MAX_KEY_LEN {
        return Err(DecodeError::LimitExceeded {
            limit: Limit::Key,
            len: bytes.0.len(),
            max: MAX_KEY_LEN,
        });
    }
    K::from_slice(bytes.0).ok_or(DecodeError::KeyLength {
        expected: K::LEN,
        found: bytes.0.len(),
    })
}

fn contacts_of<K: KeyType>(
    contacts: &ContactsIn<'_>,
) -> Result<Vec<Contact<Multiaddr, K>>, DecodeError> {
    if contacts.count > MAX_CONTACTS_PER_RESPONSE {
        return Err(DecodeError::LimitExceeded {
            limit: Limit::Contacts,
            len: contacts.count,
            max: MAX_CONTACTS_PER_RESPONSE,
        });
    }
    contacts
        .kept
        .iter()
        .map(|contact| {
            Ok(Contact {
                id: key(contact.id)?,
                addr: multiaddr(contact.addr)?,
            })
        })
        .collect()
}

fn multiaddr(bytes: Bytes<'_>) -> Result<Multiaddr, DecodeError> {
    if bytes.0.len() > MAX_MULTIADDR_LEN {
        return Err(DecodeError::LimitExceeded {
            limit: Limit::Multiaddr,
            len: bytes.0.len(),
            max: MAX_MULTIADDR_LEN,
        });
    }
    Multiaddr::try_from(bytes.0.to_vec()).map_err(|e| DecodeError::BadMultiaddr(e.to_string()))
}
