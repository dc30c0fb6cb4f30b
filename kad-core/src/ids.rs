//! Typed identifiers: a [`QueryId`] names a command the caller gave, a [`TxId`] names one
//! request on the wire.

use std::fmt;

/// Names one command given to a [`Node`](crate::Node) (bootstrap, find_node, get, put, ping);
/// the matching [`Event::QueryFinished`](crate::Event::QueryFinished) carries the same id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueryId(u64);

impl QueryId {
    pub(crate) fn new(n: u64) -> Self {
        QueryId(n)
    }

    /// The number behind the id, for logs.
    pub fn as_u64(&self) -> u64 {
        self.0
    }
}

impl fmt::Debug for QueryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QueryId({})", self.0)
    }
}

/// The random transaction id of a request, echoed by its response.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TxId(u64);

impl TxId {
    /// Wraps a raw transaction id (as decoded from the wire).
    pub const fn from_u64(n: u64) -> Self {
        TxId(n)
    }

    /// The raw transaction id (as encoded on the wire).
    pub const fn as_u64(&self) -> u64 {
        self.0
    }
}

impl fmt::Debug for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxId({:016x})", self.0)
    }
}
