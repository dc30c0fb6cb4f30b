//! The serializer: the only module that calls bincode.
//!
//! bincode 2 runs through its serde integration with its standard configuration: integers as
//! variable-length little-endian (one byte below 251, so lengths and message kinds cost one
//! byte), and a decoding limit, so that no length prefix makes it reserve more than a datagram
//! holds. Replacing bincode means rewriting these three functions to produce the same bytes;
//! the golden vectors check that they do.

use bincode::config::{Configuration, Limit, LittleEndian, Varint};
use bincode::enc::write::SizeWriter;
use bincode::error::DecodeError as BincodeError;
use serde::{Deserialize, Serialize};

use crate::error::DecodeError;
use crate::limits::MAX_DATAGRAM_SIZE;

/// The most bytes bincode may account for while decoding one datagram.
///
/// bincode counts what it decodes by its size in memory, not on the wire: a length prefix
/// counts 8 bytes even when it is written in one, and no field counts more than 8 bytes per
/// byte on the wire. Eight times the largest datagram is therefore never reached by a
/// datagram that fits, and still bounds what any length prefix can claim to a few kilobytes.
/// Byte strings are borrowed from the datagram, so a length prefix larger than what remains
/// fails before anything is reserved.
const DECODE_LIMIT: usize = 8 * MAX_DATAGRAM_SIZE;

type Config = Configuration<LittleEndian, Varint, Limit<DECODE_LIMIT>>;

const CONFIG: Config = bincode::config::standard().with_limit::<DECODE_LIMIT>();

/// The buffer ended before the value was written.
#[derive(Debug)]
pub(crate) struct BufferFull;

/// Writes `value` at the start of `out` and returns the number of bytes written.
pub(crate) fn encode_into<T: Serialize>(value: &T, out: &mut [u8]) -> Result<usize, BufferFull> {
    // Writing into a slice fails only when the slice is full: the wire types' `Serialize`
    // implementations raise no error of their own and always give sequence lengths.
    bincode::serde::encode_into_slice(value, out, CONFIG).map_err(|_| BufferFull)
}

/// Number of bytes [`encode_into`] writes for `value`, without writing them.
pub(crate) fn encoded_len<T: Serialize>(value: &T) -> usize {
    let mut size = SizeWriter::default();
    match bincode::serde::encode_into_writer(value, &mut size, CONFIG) {
        Ok(()) => size.bytes_written,
        // Unreachable: a `SizeWriter` never fails and the wire types raise no error of their
        // own. Should it happen, no limit accepts this size.
        Err(_) => usize::MAX,
    }
}

/// Reads one `T` from the start of `bytes`, borrowing from them, and returns it with the number
/// of bytes it took.
pub(crate) fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<(T, usize), DecodeError> {
    bincode::serde::borrow_decode_from_slice(bytes, CONFIG)
        .map_err(|e| DecodeError::Malformed(reason(&e)))
}

fn reason(error: &BincodeError) -> &'static str {
    match error {
        BincodeError::UnexpectedEnd { .. } => "ends in the middle of a field",
        BincodeError::LimitExceeded => "a length is larger than the datagram",
        // serde reports an enum variant number out of range as a custom error: the message
        // kind, a record's kind and a STORE's outcome are the enums on the wire.
        BincodeError::OtherString(_) => "unknown kind of message, record or outcome",
        BincodeError::UnexpectedVariant { .. } => "an optional field is neither absent nor present",
        BincodeError::InvalidIntegerType { .. } => "invalid integer encoding",
        BincodeError::OutsideUsizeRange(_) => "a length does not fit in memory",
        _ => "not a message",
    }
}
