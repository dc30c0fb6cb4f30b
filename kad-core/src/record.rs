//! The records a node stores and serves, by kind: plain values under any key (the original
//! Kademlia record), content-addressed values under their own hash, and signed mutable
//! records under the hash of their public key and salt.

use crate::hash::Hasher;
use crate::signed::MutableRecord;

/// A record: what a STORE carries and a FIND_VALUE returns.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Record {
    /// Any bytes under any key. Nothing proves who wrote it: a later STORE that lives at
    /// least as long replaces it.
    Plain(Vec<u8>),
    /// Bytes stored under their own hash ([`immutable_key`]): a node refuses a value that
    /// does not hash to its key, so whoever asks for a key gets those bytes or nothing.
    Immutable(Vec<u8>),
    /// A signed mutable record: only the key pair that signed it can change it, and a
    /// version replaces another only with a higher sequence number. Boxed, so that the other
    /// kinds stay the size of their value; `Record::from(mutable)` boxes it.
    Mutable(Box<MutableRecord>),
}

impl From<MutableRecord> for Record {
    fn from(record: MutableRecord) -> Self {
        Record::Mutable(Box::new(record))
    }
}

/// The kind of a [`Record`], for counters and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// [`Record::Plain`].
    Plain,
    /// [`Record::Immutable`].
    Immutable,
    /// [`Record::Mutable`].
    Mutable,
}

impl Record {
    /// The value it carries.
    pub fn value(&self) -> &[u8] {
        match self {
            Record::Plain(value) | Record::Immutable(value) => value,
            Record::Mutable(m) => &m.value,
        }
    }

    /// The value it carries, by value.
    pub fn into_value(self) -> Vec<u8> {
        match self {
            Record::Plain(value) | Record::Immutable(value) => value,
            Record::Mutable(m) => m.value,
        }
    }

    /// Its kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Plain(_) => RecordKind::Plain,
            Record::Immutable(_) => RecordKind::Immutable,
            Record::Mutable(_) => RecordKind::Mutable,
        }
    }

    /// A mutable record's sequence number.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Record::Mutable(m) => Some(m.seq),
            Record::Plain(_) | Record::Immutable(_) => None,
        }
    }
}

/// The key an immutable record of `value` is stored under: the value's hash.
pub fn immutable_key<H: Hasher>(hasher: &H, value: &[u8]) -> H::Key {
    hasher.hash(value)
}
