//! Errors returned by [`Node`](crate::Node) commands.

use std::fmt;

use crate::validator::Invalid;

/// Why a command was refused. Nothing is changed when a command returns an error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandError {
    /// `max_queries` commands are already running.
    TooManyQueries {
        /// The configured bound.
        max: usize,
    },
    /// `max_pending_requests` requests are already in flight.
    TooManyPendingRequests {
        /// The configured bound.
        max: usize,
    },
    /// The value is larger than `max_value_size`.
    ValueTooLarge {
        /// Its length.
        len: usize,
        /// The configured bound.
        max: usize,
    },
    /// The local record store holds `max_records` records and the key is new.
    StoreFull {
        /// The configured bound.
        max: usize,
    },
    /// The address is one no datagram may go to: unspecified, multicast, broadcast or port 0.
    UnroutableAddress,
    /// The node's validator does not take the record under its key.
    InvalidRecord(Invalid),
    /// A version of the mutable record as new or newer (or newer than the one the caller
    /// expected) is held here.
    Superseded {
        /// The sequence number held.
        seq: u64,
    },
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::TooManyQueries { max } => {
                write!(f, "too many queries running (at most {max})")
            }
            CommandError::TooManyPendingRequests { max } => {
                write!(f, "too many requests in flight (at most {max})")
            }
            CommandError::ValueTooLarge { len, max } => {
                write!(f, "value of {len} bytes is over the limit of {max} bytes")
            }
            CommandError::StoreFull { max } => {
                write!(f, "record store is full ({max} records)")
            }
            CommandError::UnroutableAddress => f.write_str(
                "the address is unroutable (unspecified, multicast, broadcast or port 0)",
            ),
            CommandError::InvalidRecord(why) => write!(f, "the record is not valid: {why}"),
            CommandError::Superseded { seq } => {
                write!(
                    f,
                    "a newer version (sequence number {seq}) is already stored"
                )
            }
        }
    }
}

impl std::error::Error for CommandError {}
