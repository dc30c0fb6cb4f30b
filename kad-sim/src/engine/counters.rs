//! What the engine counts while a run goes on: events, joins and leaves, datagrams and bytes,
//! bootstrap and preload outcomes. All start at zero; the report reads them at the end.

/// The running counts of a simulation.
#[derive(Clone, Debug, Default)]
pub(super) struct Counters {
    /// Events taken from the queue.
    pub(super) events: u64,
    /// Most datagrams in flight at once (the slab's high-water mark).
    pub(super) peak_flights: usize,
    /// Nodes created, initial ones and churn replacements.
    pub(super) joins: u64,
    /// Nodes taken by churn.
    pub(super) leaves: u64,
    /// Datagrams sent, lost ones included.
    pub(super) messages_sent: u64,
    /// Datagrams the network model dropped.
    pub(super) messages_lost: u64,
    /// Datagrams that arrived at a node that had left.
    pub(super) messages_to_departed: u64,
    /// Encoded bytes of all datagrams sent.
    pub(super) bytes_sent: u64,
    /// `messages_sent` when the measured operations started.
    pub(super) messages_at_measure: u64,
    /// Initial nodes whose join is over (finished, failed or taken by churn).
    pub(super) initial_joined: usize,
    /// Bootstrap tries after the first.
    pub(super) bootstrap_retries: u64,
    /// Joins that found nobody after every try.
    pub(super) bootstrap_failed: u64,
    /// Initial nodes that left before their bootstrap finished.
    pub(super) bootstrap_left: u64,
    /// Preload puts issued.
    pub(super) preload_puts: usize,
    /// Preload puts that reached at least one other node.
    pub(super) preload_ok: usize,
    /// Replicas acknowledged over all preload puts.
    pub(super) preload_replicas: usize,
    /// Measured operations that have ended.
    pub(super) ops_done: usize,
    /// Adversaries created.
    pub(super) adversaries: u32,
    /// Requests adversaries answered with lies (or dropped, as their behaviour has it).
    pub(super) adversary_requests: u64,
    /// Pings eclipsing adversaries sent to push into honest tables.
    pub(super) adversary_pushes: u64,
    /// Measured gets that returned a wrong value.
    pub(super) wrong_values: usize,
}
