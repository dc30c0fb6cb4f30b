//! The wire mirror of kad-core's records and STORE outcomes, part of the body of `STORE`,
//! `Value` and `Stored` messages (see [`wire`](crate::wire) for the whole layout): each
//! record kind's fields, and the limits checked when one is decoded.

use kad_core::{
    MutableRecord, PublicKey, Record, Signature, StoreOutcome, MAX_MUTABLE_VALUE, MAX_SALT,
};
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Limit};
use crate::limits::MAX_VALUE_SIZE;
use crate::wire::Bytes;

/// A record, by kind; the order of the variants is their number on the wire. A signature
/// travels as two 32-byte halves, the longest array serde encodes without a length.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum RecordRepr<'a> {
    Plain(#[serde(borrow)] Bytes<'a>),
    Immutable(#[serde(borrow)] Bytes<'a>),
    Mutable {
        public_key: [u8; 32],
        #[serde(borrow)]
        salt: Bytes<'a>,
        seq: u64,
        #[serde(borrow)]
        value: Bytes<'a>,
        signature: ([u8; 32], [u8; 32]),
    },
}

/// What a node did with a STORE.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum OutcomeRepr {
    Accepted,
    Refused,
    Superseded { seq: u64 },
}

impl<'a> RecordRepr<'a> {
    pub(crate) fn new(record: &'a Record) -> Self {
        match record {
            Record::Plain(value) => RecordRepr::Plain(Bytes(value)),
            Record::Immutable(value) => RecordRepr::Immutable(Bytes(value)),
            Record::Mutable(m) => RecordRepr::Mutable {
                public_key: *m.public_key.as_bytes(),
                salt: Bytes(&m.salt),
                seq: m.seq,
                value: Bytes(&m.value),
                signature: m.signature.halves(),
            },
        }
    }

    /// The record, if its fields are within the limits (its signature is checked later,
    /// by the node's validator).
    pub(crate) fn to_record(&self) -> Result<Record, DecodeError> {
        Ok(match self {
            RecordRepr::Plain(v) => Record::Plain(value(*v, MAX_VALUE_SIZE)?),
            RecordRepr::Immutable(v) => Record::Immutable(value(*v, MAX_VALUE_SIZE)?),
            RecordRepr::Mutable {
                public_key,
                salt,
                seq,
                value: v,
                signature: (first, second),
            } => {
                if salt.0.len() > MAX_SALT {
                    return Err(DecodeError::LimitExceeded {
                        limit: Limit::Salt,
                        len: salt.0.len(),
                        max: MAX_SALT,
                    });
                }
                Record::from(MutableRecord {
                    public_key: PublicKey::from_bytes(*public_key),
                    salt: salt.0.to_vec(),
                    seq: *seq,
                    value: value(*v, MAX_MUTABLE_VALUE - salt.0.len())?,
                    signature: Signature::from_halves(*first, *second),
                })
            }
        })
    }
}

impl OutcomeRepr {
    pub(crate) fn new(outcome: StoreOutcome) -> Self {
        match outcome {
            StoreOutcome::Accepted => OutcomeRepr::Accepted,
            StoreOutcome::Refused => OutcomeRepr::Refused,
            StoreOutcome::Superseded { seq } => OutcomeRepr::Superseded { seq },
        }
    }

    pub(crate) fn to_outcome(&self) -> StoreOutcome {
        match *self {
            OutcomeRepr::Accepted => StoreOutcome::Accepted,
            OutcomeRepr::Refused => StoreOutcome::Refused,
            OutcomeRepr::Superseded { seq } => StoreOutcome::Superseded { seq },
        }
    }
}

/// A value of at most `max` bytes.
fn value(bytes: Bytes<'_>, max: usize) -> Result<Vec<u8>, DecodeError> {
    if bytes.0.len() > max {
        return Err(DecodeError::LimitExceeded {
            limit: Limit::Value,
            len: bytes.0.len(),
            max,
        });
    }
    Ok(bytes.0.to_vec())
}
