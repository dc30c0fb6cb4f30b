//! Counters a node keeps about its own traffic, for monitoring.

/// A snapshot of a node's counters; see [`Node::stats`](crate::Node::stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Contacts in the routing table.
    pub contacts: usize,
    /// Records held.
    pub records: usize,
    /// Requests in flight.
    pub pending_requests: usize,
    /// Commands running (including internal refreshes and republications).
    pub queries: usize,
    /// Requests sent.
    pub requests_sent: u64,
    /// Requests received and answered.
    pub requests_received: u64,
    /// Responses accepted (matching transaction id, address, kind and sender).
    pub responses_received: u64,
    /// Responses ignored: unknown or expired transaction id, wrong address, kind or sender.
    pub responses_ignored: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// STORE requests refused (value too large, store full).
    pub stores_refused: u64,
    /// Requests not sent because `max_pending_requests` were in flight.
    pub requests_deferred: u64,
    /// Routing-table events dropped because the caller did not drain them.
    pub events_dropped: u64,
    /// Bootstrap attempts made again because the one before reached nobody.
    pub bootstrap_retries: u64,
    /// Bootstraps started because the routing table had become empty.
    pub rebootstraps: u64,
}
