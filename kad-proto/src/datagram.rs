//! Messages to datagrams and back: the header, the body, and the limits, put together.

use kad_core::{Body, KeyType, Response};

use crate::codec;
use crate::error::{DecodeError, EncodeError, Limit};
use crate::header::{self, HEADER_LEN};
use crate::limits::{self, MAX_CONTACTS_PER_RESPONSE, MAX_DATAGRAM_SIZE, MAX_MULTIADDR_LEN};
use crate::wire::{ContactRepr, ContactsIn, MessageRepr, WireMessage};

/// Encodes `message` into a new datagram of exactly its length.
///
/// Fails, without side effects, if the message breaks one of the [limits](crate#limits).
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
/// assert_eq!(&datagram[..4], b"KAD\x01");
/// assert_eq!(datagram.len(), kad_proto::encoded_len(&ping));
/// assert_eq!(kad_proto::decode::<Key<20>>(&datagram)?, ping);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode<K: KeyType>(message: &WireMessage<K>) -> Result<Vec<u8>, EncodeError> {
    let mut buf = [0u8; MAX_DATAGRAM_SIZE];
    let len = encode_into(message, &mut buf)?;
    Ok(buf[..len].to_vec())
}

/// Encodes `message` at the start of `out` and returns the length of the datagram.
///
/// A buffer of [`MAX_DATAGRAM_SIZE`] bytes holds any message that can be encoded. On error, the
/// content of `out` is unspecified.
pub fn encode_into<K: KeyType>(
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

/// Length of the datagram [`encode`] would produce for `message`, header included, without
/// checking the limits or writing anything.
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
/// Contacts whose multiaddr is longer than [`MAX_MULTIADDR_LEN`] are dropped, then contacts are
/// removed from the end of the list (kad-core lists them closest first) until at most
/// [`MAX_CONTACTS_PER_RESPONSE`] remain and the datagram fits [`MAX_DATAGRAM_SIZE`].
///
/// ```
/// use kad_core::{Body, Contact, Key, Message, Response, TxId};
/// use kad_proto::{Multiaddr, MAX_DATAGRAM_SIZE};
///
/// // A 61-byte /dns4 address: twenty contacts at it do not fit one datagram.
/// let addr: Multiaddr = format!("/dns4/{}/udp/4000", "a".repeat(55)).parse()?;
/// let contacts = (0..20).map(|i| Contact::new(Key::new([i; 32]), addr.clone())).collect();
/// let mut response: kad_proto::WireMessage<Key<32>> = Message {
///     tx: TxId::from_u64(1),
///     sender: Key::new([0; 32]),
///     body: Body::Response(Response::Nodes { contacts }),
/// };
/// assert!(kad_proto::encode(&response).is_err());
/// let removed = kad_proto::fit_contacts(&mut response);
/// assert_eq!(removed, 8);
/// assert!(kad_proto::encode(&response)?.len() <= MAX_DATAGRAM_SIZE);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_contacts<K: KeyType>(message: &mut WireMessage<K>) -> usize {
    // The contact count stays below 251, so its length prefix is one byte with or without the
    // contacts, and the datagram is this length plus that of each contact.
    let mut len =
        HEADER_LEN.saturating_add(codec::encoded_len(&MessageRepr::without_contacts(message)));
    let Body::Response(Response::Nodes { contacts }) = &mut message.body else {
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
