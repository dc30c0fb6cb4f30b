//! Messages to datagrams and back: the header, the body, and the limits, put together.

use kad_core::{Body, KeyType, Response};

use crate::codec;
use crate::error::{DecodeError, EncodeError, Limit};
use crate::header::{self, HEADER_LEN};
use crate::limits::{self, MAX_CONTACTS_PER_RESPONSE, MAX_DATAGRAM_SIZE, MAX_MULTIADDR_LEN};
use crate::wire::{ContactRepr, ContactsIn, MessageRepr, WireMessage};

/// Encodes `message` into a new datagram of exactly its length, ready to send: the one entry
/// point for a gateway that sends kad-proto datagrams.
///
/// A `Nodes` response over the contact, multiaddr or datagram limit is trimmed as
/// [`fit_contacts`] does (long multiaddrs dropped, then the farthest contacts) and the trimmed
/// response is encoded, so every gateway sends the same contacts for the same response. Any
/// other message over a [limit](crate#limits) is refused, without side effects.
///
/// ```
/// use kad_core::{Body, Key, Message, Request, TxId};
///
/// let ping: kad_proto::WireMessage<Key<20>> = Message {
///     tx: TxId::from_u64(7),
///     sender: Key::new([1; 20]),
///     body: Body::Request(Request::Ping),
/// };
/// let datagram = kad_proto::encode(&ping)?;
/// assert_eq!(&datagram[..4], b"KAD\x04");
/// assert_eq!(datagram.len(), kad_proto::encoded_len(&ping));
/// assert_eq!(kad_proto::decode::<Key<20>>(&datagram)?, ping);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode<K: KeyType>(message: &WireMessage<K>) -> Result<Vec<u8>, EncodeError> {
    let mut buf = [0u8; MAX_DATAGRAM_SIZE];
    let len = encode_into(message, &mut buf)?;
    Ok(buf[..len].to_vec())
}

/// Encodes `message`, trimmed as [`encode`] trims it, at the start of `out` and returns the
/// length of the datagram.
///
/// A buffer of [`MAX_DATAGRAM_SIZE`] bytes holds any message that can be encoded. On error, the
/// content of `out` is unspecified.
pub fn encode_into<K: KeyType>(
    message: &WireMessage<K>,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    match encode_exactly_into(message, out) {
        Err(EncodeError::LimitExceeded {
            limit: Limit::Datagram | Limit::Contacts | Limit::Multiaddr,
            ..
        }) if matches!(message.body, Body::Response(Response::Nodes { .. })) => {
            // Only a response with long multiaddrs or too many contacts gets here, so the
            // copy is off the common path.
            let mut trimmed = message.clone();
            fit_contacts(&mut trimmed);
            encode_exactly_into(&trimmed, out)
        }
        result => result,
    }
}

/// Encodes `message` exactly as given, refusing it if it is over any
/// [limit](crate#limits), a `Nodes` response included.
///
/// Not for sending (gateways use [`encode`] or [`encode_into`], which trim a `Nodes`
/// response): it is for tests and tools that check whether a message fits as it is, and what
/// it is over.
///
/// ```
/// use kad_core::{Body, Contact, Key, Message, Response, Token, TxId};
/// use kad_proto::{EncodeError, Limit, Multiaddr};
///
/// let addr: Multiaddr = "/ip4/192.0.2.7/udp/4000".parse()?;
/// let contacts = (0..21).map(|i| Contact::new(Key::new([i; 20]), addr.clone())).collect();
/// let response: kad_proto::WireMessage<Key<20>> = Message {
///     tx: TxId::from_u64(1),
///     sender: Key::new([0; 20]),
///     body: Body::Response(Response::Nodes { contacts, token: Token::default() }),
/// };
/// assert_eq!(
///     kad_proto::encode_strict(&response),
///     Err(EncodeError::LimitExceeded { limit: Limit::Contacts, len: 21, max: 20 })
/// );
/// assert!(kad_proto::encode(&response).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_strict<K: KeyType>(message: &WireMessage<K>) -> Result<Vec<u8>, EncodeError> {
    let mut buf = [0u8; MAX_DATAGRAM_SIZE];
    let len = encode_exactly_into(message, &mut buf)?;
    Ok(buf[..len].to_vec())
}

/// Encodes `message` as given at the start of `out`, checking every limit.
fn encode_exactly_into<K: KeyType>(
    message: &WireMessage<K>,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    limits::check(message)?;
    let repr = MessageRepr::new(message);
    let room = out.len().min(MAX_DATAGRAM_SIZE);
    let written = match out[..room].split_first_chunk_mut::<HEADER_LEN>() {
        Some((head, body)) => {
            header::write(head);
            codec::encode_into(&repr, body).ok()
        }
        None => None,
    };
    match written {
        Some(body_len) => Ok(HEADER_LEN + body_len),
        None => {
            let len = HEADER_LEN.saturating_add(codec::encoded_len(&repr));
            if len > MAX_DATAGRAM_SIZE {
                Err(EncodeError::LimitExceeded {
                    limit: Limit::Datagram,
                    len,
                    max: MAX_DATAGRAM_SIZE,
                })
            } else {
                Err(EncodeError::BufferTooSmall {
                    needed: len,
                    available: out.len(),
                })
            }
        }
    }
}

/// Length of the datagram [`encode_strict`] would produce for `message`, header included,
/// without checking the limits or writing anything; for a message within the limits, that is
/// also what [`encode`] produces.
pub fn encoded_len<K: KeyType>(message: &WireMessage<K>) -> usize {
    HEADER_LEN.saturating_add(codec::encoded_len(&MessageRepr::new(message)))
}

/// Decodes one datagram into a message with keys of type `K`.
///
/// Decoding is total: any byte string gives a message or an error, in time and memory bounded
/// by a small multiple of its length. The datagram must be exactly one message in its one
/// encoding, within the [limits](crate#limits), with every key `K::LEN` bytes long and every
/// address a valid binary multiaddr.
///
/// ```
/// use kad_core::Key;
/// use kad_proto::DecodeError;
///
/// assert_eq!(kad_proto::decode::<Key<20>>(b"GET /"), Err(DecodeError::BadMagic));
/// assert!(matches!(
///     kad_proto::decode::<Key<20>>(b"KAD\x09..."),
///     Err(DecodeError::UnsupportedVersion { found: 9, .. })
/// ));
/// ```
pub fn decode<K: KeyType>(datagram: &[u8]) -> Result<WireMessage<K>, DecodeError> {
    if datagram.len() > MAX_DATAGRAM_SIZE {
        return Err(DecodeError::LimitExceeded {
            limit: Limit::Datagram,
            len: datagram.len(),
            max: MAX_DATAGRAM_SIZE,
        });
    }
    let body = header::strip(datagram)?;
    let (repr, used) = codec::decode::<MessageRepr<'_, ContactsIn<'_>>>(body)?;
    if used < body.len() {
        return Err(DecodeError::TrailingBytes {
            count: body.len() - used,
        });
    }
    let message = repr.to_message()?;
    // A longer-than-needed integer decodes to the same value; measuring the canonical
    // encoding catches it, so that every message has exactly one datagram.
    if codec::encoded_len(&repr) != used {
        return Err(DecodeError::NonCanonical);
    }
    Ok(message)
}

/// Trims a `Nodes` response so that it can be encoded, and returns how many contacts were
/// removed; other messages are left as they are.
///
/// [`encode`] and [`encode_into`] do this themselves, to a copy, when a response needs it: a
/// sender does not call it. It is public to tell which contacts a response will carry.
///
/// Contacts whose multiaddr is longer than [`MAX_MULTIADDR_LEN`] are dropped, then contacts are
/// removed from the end of the list (kad-core lists them closest first) until at most
/// [`MAX_CONTACTS_PER_RESPONSE`] remain and the datagram fits [`MAX_DATAGRAM_SIZE`]. The
/// token and the other fields are kept as they are.
///
/// ```
/// use kad_core::{Body, Contact, Key, Message, Response, Token, TxId};
/// use kad_proto::{Multiaddr, MAX_DATAGRAM_SIZE};
///
/// // A 61-byte /dns4 address: twenty contacts at it do not fit one datagram.
/// let addr: Multiaddr = format!("/dns4/{}/udp/4000", "a".repeat(55)).parse()?;
/// let contacts = (0..20).map(|i| Contact::new(Key::new([i; 32]), addr.clone())).collect();
/// let mut response: kad_proto::WireMessage<Key<32>> = Message {
///     tx: TxId::from_u64(1),
///     sender: Key::new([0; 32]),
///     body: Body::Response(Response::Nodes { contacts, token: Token::from_bytes([5; 8]) }),
/// };
/// assert!(kad_proto::encode_strict(&response).is_err());
/// let sent = kad_proto::encode(&response)?;
/// let removed = kad_proto::fit_contacts(&mut response);
/// assert_eq!(removed, 8);
/// assert_eq!(kad_proto::encode_strict(&response)?, sent);
/// assert!(sent.len() <= MAX_DATAGRAM_SIZE);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_contacts<K: KeyType>(message: &mut WireMessage<K>) -> usize {
    // The contact count stays below 251, so its length prefix is one byte with or without the
    // contacts, and the datagram is this length (the token included) plus that of each contact.
    let mut len =
        HEADER_LEN.saturating_add(codec::encoded_len(&MessageRepr::without_contacts(message)));
    let Body::Response(Response::Nodes { contacts, .. }) = &mut message.body else {
        return 0;
    };
    let before = contacts.len();
    contacts.retain(|contact| contact.addr.len() <= MAX_MULTIADDR_LEN);
    contacts.truncate(MAX_CONTACTS_PER_RESPONSE);
    let fitting = contacts
        .iter()
        .take_while(|contact| {
            len = len.saturating_add(codec::encoded_len(&ContactRepr::new(*contact)));
            len <= MAX_DATAGRAM_SIZE
        })
        .count();
    contacts.truncate(fitting);
    before - contacts.len()
}
