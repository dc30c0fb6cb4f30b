//! Why a message could not be encoded or a datagram could not be decoded.

use std::fmt;

/// Which of the wire format's [limits](crate#limits) a message or a datagram is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// The size of a datagram, header included: [`MAX_DATAGRAM_SIZE`](crate::MAX_DATAGRAM_SIZE).
    Datagram,
    /// The length of a key: [`MAX_KEY_LEN`](crate::MAX_KEY_LEN).
    Key,
    /// The length of a value: [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE).
    Value,
    /// The number of contacts in a `Nodes` response:
    /// [`MAX_CONTACTS_PER_RESPONSE`](crate::MAX_CONTACTS_PER_RESPONSE).
    Contacts,
    /// The length of a contact's binary multiaddr:
    /// [`MAX_MULTIADDR_LEN`](crate::MAX_MULTIADDR_LEN).
    Multiaddr,
    /// The length of a mutable record's salt: kad-core's `MAX_SALT`.
    Salt,
}

impl Limit {
    /// What the limit counts, as in "key of 65 bytes is over the limit of 64 bytes".
    fn describe(self, f: &mut fmt::Formatter<'_>, len: usize, max: usize) -> fmt::Result {
        match self {
            Limit::Datagram => write!(
                f,
                "datagram of {len} bytes is over the limit of {max} bytes"
            ),
            Limit::Key => write!(f, "key of {len} bytes is over the limit of {max} bytes"),
            Limit::Value => write!(f, "value of {len} bytes is over the limit of {max} bytes"),
            Limit::Salt => write!(f, "salt of {len} bytes is over the limit of {max} bytes"),
            Limit::Contacts => write!(f, "{len} contacts in one response, over the limit of {max}"),
            Limit::Multiaddr => {
                write!(
                    f,
                    "multiaddr of {len} bytes is over the limit of {max} bytes"
                )
            }
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Datagram => "datagram size",
            Limit::Key => "key length",
            Limit::Value => "value size",
            Limit::Contacts => "contacts per response",
            Limit::Multiaddr => "multiaddr length",
            Limit::Salt => "salt length",
        })
    }
}

/// Why [`encode`](crate::encode), [`encode_into`](crate::encode_into) or
/// [`encode_strict`](crate::encode_strict) refused a message. Nothing is sent for a refused
/// message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The message is over one of the [limits](crate#limits). [`encode`](crate::encode) and
    /// [`encode_into`](crate::encode_into) report only a key type over
    /// [`MAX_KEY_LEN`](crate::MAX_KEY_LEN) or a value over
    /// [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE): a `Nodes` response over the contact,
    /// multiaddr or datagram limit they trim instead. [`encode_strict`](crate::encode_strict)
    /// reports every limit.
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// The length (in bytes, or the number of contacts for [`Limit::Contacts`]) found.
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
            EncodeError::LimitExceeded { limit, len, max } => limit.describe(f, *len, *max),
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
#[non_exhaustive]
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
    /// The body is not a message: it ends in the middle of a field, names an unknown message
    /// kind, or has a length prefix pointing past its end.
    Malformed(&'static str),
    /// Bytes follow the end of the message.
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// An integer is encoded in more bytes than needed, or padding is not zeros, so the
    /// datagram is not the one encoding of its message.
    NonCanonical,
    /// A key does not have the length of the decoder's key type.
    KeyLength {
        /// Length of the decoder's key type, in bytes.
        expected: usize,
        /// Length of the key in the datagram, in bytes.
        found: usize,
    },
    /// The datagram, or a field in it, is over one of the [limits](crate#limits).
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// The length (in bytes, or the number of contacts for [`Limit::Contacts`]) found.
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
            DecodeError::Malformed(reason) => write!(f, "malformed message: {reason}"),
            DecodeError::TrailingBytes { count } => {
                write!(f, "{count} bytes after the end of the message")
            }
            DecodeError::NonCanonical => f.write_str("integer encoded in more bytes than needed"),
            DecodeError::KeyLength { expected, found } => {
                write!(f, "key of {found} bytes where {expected} were expected")
            }
            DecodeError::LimitExceeded { limit, len, max } => limit.describe(f, *len, *max),
            DecodeError::BadMultiaddr(reason) => write!(f, "invalid multiaddr: {reason}"),
        }
    }
}

impl std::error::Error for DecodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_reads_the_same_from_both_sides() {
        let encode = EncodeError::LimitExceeded {
            limit: Limit::Contacts,
            len: 21,
            max: 20,
        };
        let decode = DecodeError::LimitExceeded {
            limit: Limit::Contacts,
            len: 21,
            max: 20,
        };
        assert_eq!(
            encode.to_string(),
            "21 contacts in one response, over the limit of 20"
        );
        assert_eq!(decode.to_string(), encode.to_string());
        let key = DecodeError::LimitExceeded {
            limit: Limit::Key,
            len: 65,
            max: 64,
        };
        assert_eq!(
            key.to_string(),
            "key of 65 bytes is over the limit of 64 bytes"
        );
    }
}
