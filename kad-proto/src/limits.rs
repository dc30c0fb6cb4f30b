//! Hard limits of the wire format, checked when encoding and again when decoding.
//!
//! The limits are chosen together so that every request fits one datagram that the internet
//! carries without IP fragmentation:
//!
//! | message | largest encoding |
//! | --- | --- |
//! | `STORE` with 64-byte keys and a [`MAX_VALUE_SIZE`] value | 1185 bytes |
//! | `Value` response with a 64-byte sender and a [`MAX_VALUE_SIZE`] value | 1119 bytes |
//! | `STORE` with 32-byte keys and the largest signed mutable record, expected sequence number included | 1212 bytes |
//! | `Value` response with a 64-byte sender and the largest signed mutable record | 1201 bytes |
//! | `Nodes` response with 20 contacts of 32-byte keys and 24-byte multiaddrs | 1215 bytes |
//! | `Nodes` response with 20 contacts of 20-byte keys and 37-byte multiaddrs | 1223 bytes |
//!
//! The `STORE`, `Value` and `Nodes` sizes include the 8-byte write token these messages
//! carry. A signed mutable record's value and salt take at most 1000 bytes together
//! (kad-core's `MAX_MUTABLE_VALUE`), which keeps its `STORE` within a datagram for keys of
//! up to 32 bytes, the built-in hashers' largest; with longer keys, `encode` refuses the
//! largest ones.
//!
//! A `Nodes` response is the one message whose worst case does not fit: twenty contacts with
//! [`MAX_MULTIADDR_LEN`]-byte addresses would take about 2 KiB. Rather than shrink the
//! multiaddr limit below what a `/dns4/…` or `/p2p/…` address needs, or give up on
//! fragmentation-free datagrams, [`encode`](crate::encode) trims such a response, farthest
//! contacts first, to what fits (as [`fit_contacts`](crate::fit_contacts) does), and
//! [`encode_strict`](crate::encode_strict) refuses it with
//! [`EncodeError::LimitExceeded`](crate::EncodeError::LimitExceeded). Every contact reached over IP and
//! UDP (`/ip4/…/udp/…` is 9 bytes, `/ip6/…/udp/…/quic-v1` is 23) is short enough for a full
//! response of [`MAX_CONTACTS_PER_RESPONSE`] contacts with keys of up to 32 bytes, so trimming
//! only happens with long addresses.

use kad_core::{Body, KeyType, Message, Record, Request, Response, MAX_MUTABLE_VALUE, MAX_SALT};
use multiaddr::Multiaddr;

use crate::error::{EncodeError, Limit};

/// Largest datagram, header included, that is encoded or accepted: 1232 bytes.
///
/// IPv6 requires every link to carry packets of 1280 bytes (RFC 8200, section 5); without its
/// 40-byte IPv6 header and the 8-byte UDP header that leaves 1232 bytes of payload that no
/// IPv6 path fragments. It is the same figure DNS settled on (DNS Flag Day 2020) as the
/// default EDNS buffer size for the same reason. Over IPv4 the packet is 1260 bytes, below the
/// 1500-byte Ethernet MTU with room for PPPoE, IPsec or WireGuard encapsulation. Larger
/// datagrams (1452 bytes fits an Ethernet IPv6 path) would allow longer values, but a
/// datagram that is fragmented on some path is lost on every path that drops fragments, and a
/// DHT cannot tell that loss from a dead node.
pub const MAX_DATAGRAM_SIZE: usize = 1232;

/// Longest key (node id or record key), in bytes: 64, enough for 512-bit hashes.
///
/// Keys have a fixed length set by the key type (20 bytes for SHA-1, 32 for SHA-256 and
/// BLAKE3); a decoder rejects any key whose length is not its own.
pub const MAX_KEY_LEN: usize = 64;

/// Largest value carried by a `STORE` request or a `Value` response, in bytes: 1024.
///
/// With 64-byte keys, the largest `STORE` is 1183 bytes, so a value of this size always fits
/// [`MAX_DATAGRAM_SIZE`]. A node built for this wire format sets kad-core's
/// `Config::max_value_size` to this value, so that a value that cannot be sent is refused at
/// `put` rather than cut.
pub const MAX_VALUE_SIZE: usize = 1024;

/// Most contacts in one `Nodes` response: 20, the default bucket size k.
pub const MAX_CONTACTS_PER_RESPONSE: usize = 20;

/// Longest multiaddr of a contact, in bytes of its binary form: 64.
///
/// Enough for `/ip6/…/udp/…/quic-v1/p2p/<Ed25519 peer id>` (64 bytes) and for
/// `/dns4/<host name of up to 58 characters>/udp/…`.
pub const MAX_MULTIADDR_LEN: usize = 64;

/// Checks every limit that does not depend on the encoded size.
///
/// It takes kad-core's message type rather than its `WireMessage` alias so that this module,
/// which the wire types and the errors read their limits from, depends on neither of them.
pub(crate) fn check<K: KeyType>(message: &Message<Multiaddr, K>) -> Result<(), EncodeError> {
    if K::LEN > MAX_KEY_LEN {
        return Err(EncodeError::LimitExceeded {
            limit: Limit::Key,
            len: K::LEN,
            max: MAX_KEY_LEN,
        });
    }
    match &message.body {
        Body::Request(Request::Store { record, .. })
        | Body::Response(Response::Value { record, .. }) => check_record(record),
        Body::Response(Response::Nodes { contacts, .. }) => {
            if contacts.len() > MAX_CONTACTS_PER_RESPONSE {
                return Err(EncodeError::LimitExceeded {
                    limit: Limit::Contacts,
                    len: contacts.len(),
                    max: MAX_CONTACTS_PER_RESPONSE,
                });
            }
            contacts
                .iter()
                .try_for_each(|contact| check_multiaddr(contact.addr.len()))
        }
        Body::Request(request @ (Request::FindNode { .. } | Request::FindValue { .. })) => {
            // Longer padding cannot fit in a datagram.
            let len = usize::from(request.padding());
            if len > MAX_DATAGRAM_SIZE {
                return Err(EncodeError::LimitExceeded {
                    limit: Limit::Datagram,
                    len,
                    max: MAX_DATAGRAM_SIZE,
                });
            }
            Ok(())
        }
        Body::Request(Request::Ping) | Body::Response(Response::Pong | Response::Stored { .. }) => {
            Ok(())
        }
    }
}

/// A plain or immutable value is at most [`MAX_VALUE_SIZE`] bytes; a mutable record's salt
/// at most kad-core's `MAX_SALT`, and its value at most `MAX_MUTABLE_VALUE` less the salt.
fn check_record(record: &Record) -> Result<(), EncodeError> {
    let over = |limit, len, max| Err(EncodeError::LimitExceeded { limit, len, max });
    match record {
        Record::Plain(value) | Record::Immutable(value) if value.len() > MAX_VALUE_SIZE => {
            over(Limit::Value, value.len(), MAX_VALUE_SIZE)
        }
        Record::Mutable(m) if m.salt.len() > MAX_SALT => over(Limit::Salt, m.salt.len(), MAX_SALT),
        Record::Mutable(m) if m.value.len() > MAX_MUTABLE_VALUE - m.salt.len() => over(
            Limit::Value,
            m.value.len(),
            MAX_MUTABLE_VALUE - m.salt.len(),
        ),
        _ => Ok(()),
    }
}

fn check_multiaddr(len: usize) -> Result<(), EncodeError> {
    if len > MAX_MULTIADDR_LEN {
        return Err(EncodeError::LimitExceeded {
            limit: Limit::Multiaddr,
            len,
            max: MAX_MULTIADDR_LEN,
        });
    }
    Ok(())
}
