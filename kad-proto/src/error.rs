//! Why a message could not be encoded or a datagram could not be decoded.

use std::fmt;

/// Why [`encode`](crate::encode) refused a message. Nothing is sent for a refused message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The key type is longer than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN).
    KeyTooLong {
        /// Length of the key type, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The value of a `STORE` request or a `Value` response is over
    /// [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE).
    ValueTooLarge {
        /// Its length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A `Nodes` response has more than
    /// [`MAX_CONTACTS_PER_RESPONSE`](crate::MAX_CONTACTS_PER_RESPONSE) contacts;
    /// [`fit_contacts`](crate::fit_contacts) trims it.
    TooManyContacts {
        /// Number of contacts in the response.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A contact's multiaddr is longer than [`MAX_MULTIADDR_LEN`](crate::MAX_MULTIADDR_LEN);
    /// [`fit_contacts`](crate::fit_contacts) drops such contacts.
    MultiaddrTooLong {
        /// Its length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The datagram would be larger than [`MAX_DATAGRAM_SIZE`](crate::MAX_DATAGRAM_SIZE).
    /// Only a `Nodes` response with long multiaddrs can be, and
    /// [`fit_contacts`](crate::fit_contacts) trims it to fit.
    TooLarge {
        /// Size the datagram would have, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The buffer given to [`encode_into`](crate::encode_into) is too small for this datagram.
    BufferTooSmall {
        /// Size of the datagram, in bytes.
        needed: usize,
        /// Size of the buffer.
        available: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::KeyTooLong { len, max } => {
                write!(f, "key of {len} bytes is over the limit of {max} bytes")
            }
            EncodeError::ValueTooLarge { len, max } => {
                write!(f, "value of {len} bytes is over the limit of {max} bytes")
            }
            EncodeError::TooManyContacts { count, max } => {
                write!(
                    f,
                    "{count} contacts in one response, over the limit of {max}"
                )
            }
            EncodeError::MultiaddrTooLong { len, max } => {
                write!(
                    f,
                    "multiaddr of {len} bytes is over the limit of {max} bytes"
                )
            }
            EncodeError::TooLarge { len, max } => {
                write!(
                    f,
                    "datagram of {len} bytes is over the limit of {max} bytes"
                )
            }
            EncodeError::BufferTooSmall { needed, available } => write!(
                f,
                "datagram of {needed} bytes does not fit a buffer of {available} bytes"
            ),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Why [`decode`](crate::decode) rejected a datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The datagram is shorter than the header.
    TooShort {
        /// Its length, in bytes.
        len: usize,
    },
    /// The datagram does not start with [`MAGIC`](crate::MAGIC): it is not a kad-proto datagram.
    BadMagic,
    /// The datagram is a kad-proto datagram of another version of the format.
    UnsupportedVersion {
        /// The version in the datagram.
        found: u8,
        /// The version this decoder reads, [`VERSION`](crate::VERSION).
        supported: u8,
    },
    /// The datagram is larger than [`MAX_DATAGRAM_SIZE`](crate::MAX_DATAGRAM_SIZE).
    TooLarge {
        /// Its length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not a message: it ends in the middle of a field, names an unknown message
    /// kind, or has a length prefix pointing past its end.
    Malformed(&'static str),
    /// Bytes follow the end of the message.
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// An integer is encoded in more bytes than needed, so the datagram is not the one
    /// encoding of its message.
    NonCanonical,
    /// A key is longer than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN).
    KeyTooLong {
        /// Its length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A key does not have the length of the decoder's key type.
    KeyLength {
        /// Length of the decoder's key type, in bytes.
        expected: usize,
        /// Length of the key in the datagram, in bytes.
        found: usize,
    },
    /// A value is over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE).
    ValueTooLarge {
        /// Its length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A `Nodes` response has more than
    /// [`MAX_CONTACTS_PER_RESPONSE`](crate::MAX_CONTACTS_PER_RESPONSE) contacts.
    TooManyContacts {
        /// Number of contacts in the datagram.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A multiaddr is longer than [`MAX_MULTIADDR_LEN`](crate::MAX_MULTIADDR_LEN).
    MultiaddrTooLong {
        /// Its length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A contact's address is not a valid binary multiaddr.
    BadMultiaddr(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooShort { len } => {
                write!(f, "datagram of {len} bytes is shorter than the header")
            }
            DecodeError::BadMagic => f.write_str("not a kad datagram (bad magic bytes)"),
            DecodeError::UnsupportedVersion { found, supported } => write!(
                f,
                "unsupported wire format version {found} (this decoder reads version {supported})"
            ),
            DecodeError::TooLarge { len, max } => {
                write!(
                    f,
                    "datagram of {len} bytes is over the limit of {max} bytes"
                )
            }
            DecodeError::Malformed(reason) => write!(f, "malformed message: {reason}"),
            DecodeError::TrailingBytes { count } => {
                write!(f, "{count} bytes after the end of the message")
            }
            DecodeError::NonCanonical => f.write_str("integer encoded in more bytes than needed"),
            DecodeError::KeyTooLong { len, max } => {
                write!(f, "key of {len} bytes is over the limit of {max} bytes")
            }
            DecodeError::KeyLength { expected, found } => {
                write!(f, "key of {found} bytes where {expected} were expected")
            }
            DecodeError::ValueTooLarge { len, max } => {
                write!(f, "value of {len} bytes is over the limit of {max} bytes")
            }
            DecodeError::TooManyContacts { count, max } => {
                write!(
                    f,
                    "{count} contacts in one response, over the limit of {max}"
                )
            }
            DecodeError::MultiaddrTooLong { len, max } => {
                write!(
                    f,
                    "multiaddr of {len} bytes is over the limit of {max} bytes"
                )
            }
            DecodeError::BadMultiaddr(reason) => write!(f, "invalid multiaddr: {reason}"),
        }
    }
}

impl std::error::Error for DecodeError {}
