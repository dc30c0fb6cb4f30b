//! The fixed header that starts every datagram: magic bytes, then the format version.
//!
//! The header lets a node drop a datagram of another protocol, or of another version of this
//! one, after looking at four bytes, and say which of the two it was.

use crate::error::DecodeError;

/// The first three bytes of every datagram: `KAD` in ASCII.
pub const MAGIC: [u8; 3] = *b"KAD";

/// The version of the wire format written after [`MAGIC`].
///
/// Any change to the bytes of an encoded message, however small, comes with a new version; the
/// golden vectors in this crate's tests fail until it does. Version 2 added the write token to
/// `STORE` requests and `Nodes` responses; version 3 added padding to `FIND_NODE` and
/// `FIND_VALUE`; version 4 added record kinds (plain, immutable, signed mutable) to `STORE`
/// and `Value`, the expected sequence number to `STORE`, a write token to `Value` and the
/// superseded outcome to `Stored`. A node drops datagrams of any other version.
pub const VERSION: u8 = 4;

/// Length of the header: [`MAGIC`] and [`VERSION`].
pub const HEADER_LEN: usize = MAGIC.len() + 1;

/// The header as written on the wire.
const HEADER: [u8; HEADER_LEN] = [MAGIC[0], MAGIC[1], MAGIC[2], VERSION];

/// Writes the header into `out`.
pub(crate) fn write(out: &mut [u8; HEADER_LEN]) {
    *out = HEADER;
}

/// Checks the header of `datagram` and returns the body that follows it.
pub(crate) fn strip(datagram: &[u8]) -> Result<&[u8], DecodeError> {
    let Some((header, body)) = datagram.split_first_chunk::<HEADER_LEN>() else {
        return Err(DecodeError::TooShort {
            len: datagram.len(),
        });
    };
    let [m0, m1, m2, version] = *header;
    if [m0, m1, m2] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if version != VERSION {
        return Err(DecodeError::UnsupportedVersion {
            found: version,
            supported: VERSION,
        });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_a_good_header() {
        assert_eq!(strip(b"KAD\x04rest"), Ok(&b"rest"[..]));
        assert_eq!(strip(b"KAD\x04"), Ok(&b""[..]));
    }

    #[test]
    fn rejects_short_foreign_past_and_future_datagrams() {
        assert_eq!(strip(b"KAD"), Err(DecodeError::TooShort { len: 3 }));
        assert_eq!(strip(b""), Err(DecodeError::TooShort { len: 0 }));
        assert_eq!(strip(b"GET / HTTP/1.1"), Err(DecodeError::BadMagic));
        assert_eq!(
            strip(b"KAD\x05body"),
            Err(DecodeError::UnsupportedVersion {
                found: 5,
                supported: VERSION
            })
        );
        assert_eq!(
            strip(b"KAD\x03body"),
            Err(DecodeError::UnsupportedVersion {
                found: 3,
                supported: VERSION
            })
        );
    }
}
