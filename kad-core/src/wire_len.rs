//! How many bytes a message takes on the wire, for the byte budget toward unverified
//! addresses: kad-proto's encoding (a 4-byte header, an 8-byte transaction id, byte strings
//! and integers with a compact length prefix, 8-byte tokens), worked out without encoding.
//! kad-proto's tests check it against the real encoding.

use crate::address::Address;
use crate::key::KeyType;
use crate::message::{Body, Message, Request, Response, StoreOutcome};
use crate::record::Record;
use crate::signed::{MAX_MUTABLE_VALUE, MAX_SALT, PUBLIC_KEY_LEN, SIGNATURE_LEN};
use crate::token::TOKEN_LEN;

/// Header (magic and version), transaction id, message kind.
const FIXED: usize = 4 + 8 + 1;

/// The encoded size of `message`, in bytes, as kad-proto encodes it (for addresses whose
/// [`Address::wire_len`] is exact, as a multiaddr's is).
///
/// ```
/// use kad_core::{encoded_len_estimate, Body, Key, Message, Request, TxId};
///
/// let ping: Message<u32, Key<20>> =
///     Message { tx: TxId::from_u64(1), sender: Key::new([7; 20]), body: Body::Request(Request::Ping) };
/// assert_eq!(encoded_len_estimate(&ping), 34);
/// ```
pub fn encoded_len_estimate<A: Address, K: KeyType>(message: &Message<A, K>) -> usize {
    FIXED + bytes(K::LEN) + body_len(&message.body)
}

fn body_len<A: Address, K: KeyType>(body: &Body<A, K>) -> usize {
    match body {
        Body::Request(request) => request_body_len(request),
        Body::Response(Response::Pong) => 0,
        Body::Response(Response::Nodes { contacts, .. }) => nodes_len(
            contacts.len(),
            contacts.iter().map(|c| contact_len::<A, K>(&c.addr)).sum(),
        ),
        Body::Response(Response::Value {
            record, ttl_secs, ..
        }) => value_len(record, *ttl_secs),
        Body::Response(Response::Stored { outcome }) => match outcome {
            StoreOutcome::Superseded { seq } => 1 + integer(*seq),
            StoreOutcome::Accepted | StoreOutcome::Refused => 1,
        },
    }
}

/// The body of `request`.
fn request_body_len<K: KeyType>(request: &Request<K>) -> usize {
    match request {
        Request::Ping => 0,
        Request::FindNode { padding, .. } | Request::FindValue { padding, .. } => {
            bytes(K::LEN) + bytes(usize::from(*padding))
        }
        Request::Store {
            record,
            ttl_secs,
            cas,
            ..
        } => {
            bytes(K::LEN)
                + record_len(record)
                + integer(u64::from(*ttl_secs))
                + TOKEN_LEN
                + 1
                + cas.map_or(0, integer)
        }
    }
}

/// A whole message carrying `request`.
pub(crate) fn request_len<K: KeyType>(request: &Request<K>) -> usize {
    message_len::<K>(request_body_len(request))
}

/// The padding that makes a `FIND_NODE` or `FIND_VALUE` message at least `wanted` bytes
/// long: the unpadded message takes `message_len(bytes(K::LEN) + 1)` (an empty padding still
/// has its length prefix), and a padding of 251 bytes or more has a 3-byte prefix.
pub(crate) fn padding_for<K: KeyType>(wanted: usize) -> u16 {
    let unpadded = message_len::<K>(bytes(K::LEN) + 1);
    let short = wanted.saturating_sub(unpadded);
    let padding = if short < 251 {
        short
    } else {
        (short - 2).max(251)
    };
    u16::try_from(padding).unwrap_or(u16::MAX)
}

/// A record: its kind, then its fields.
fn record_len(record: &Record) -> usize {
    1 + match record {
        Record::Plain(value) | Record::Immutable(value) => bytes(value.len()),
        Record::Mutable(m) => {
            PUBLIC_KEY_LEN
                + bytes(m.salt.len())
                + integer(m.seq)
                + bytes(m.value.len())
                + SIGNATURE_LEN
        }
    }
}

/// The body of a `Value` response.
pub(crate) fn value_len(record: &Record, ttl_secs: u32) -> usize {
    record_len(record) + integer(u64::from(ttl_secs)) + TOKEN_LEN
}

/// A whole `Value` response carrying a plain value of `value_size` bytes with the longest
/// TTL.
pub(crate) fn value_response_len<K: KeyType>(value_size: usize) -> usize {
    message_len::<K>(1 + bytes(value_size) + integer(u64::from(u32::MAX)) + TOKEN_LEN)
}

/// A whole `Value` response carrying the largest signed mutable record (salt and value
/// of [`MAX_MUTABLE_VALUE`] bytes together, the longest salt) with the longest TTL and
/// sequence number.
pub(crate) fn mutable_value_response_len<K: KeyType>() -> usize {
    let record = 1
        + PUBLIC_KEY_LEN
        + bytes(MAX_SALT)
        + integer(u64::MAX)
        + bytes(MAX_MUTABLE_VALUE - MAX_SALT)
        + SIGNATURE_LEN;
    message_len::<K>(record + integer(u64::from(u32::MAX)) + TOKEN_LEN)
}

/// The body of a `Nodes` response with `count` contacts taking `contacts` bytes in all.
pub(crate) fn nodes_len(count: usize, contacts: usize) -> usize {
    integer(count as u64) + contacts + TOKEN_LEN
}

/// One contact in a `Nodes` response.
pub(crate) fn contact_len<A: Address, K: KeyType>(addr: &A) -> usize {
    bytes(K::LEN) + bytes(addr.wire_len())
}

/// The message around a body of `body` bytes.
pub(crate) fn message_len<K: KeyType>(body: usize) -> usize {
    FIXED + bytes(K::LEN) + body
}

fn bytes(len: usize) -> usize {
    integer(len as u64) + len
}

/// A compact integer: one byte below 251, else a marker and 2, 4 or 8 bytes.
fn integer(n: u64) -> usize {
    match n {
        0..=250 => 1,
        251..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}
