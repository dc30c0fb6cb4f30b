//! [`Stats`]: a snapshot of what a service knows and what its traffic has been, and the
//! state the service's reactor thread publishes for it.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kad_core::{KeyType, Node, NodeStats, QueryResult, QueryStats};
use kad_proto::{GatewayStats, GatewayStatsSnapshot, Multiaddr};

use crate::lookup_stats::Lookups;

/// A snapshot of a [`DHTService`](crate::DHTService): its routing table and records, the
/// requests it sent and answered, and the datagrams its gateways moved or dropped.
///
/// Node figures are as of the last time the reactor thread finished a batch of work
/// (within microseconds of the call on a busy service); gateway figures are live.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Contacts in the routing table.
    pub peers: usize,
    /// Records held.
    pub records: usize,
    /// Requests sent to other nodes.
    pub requests_sent: u64,
    /// Requests received from other nodes and answered.
    pub requests_received: u64,
    /// Responses received that matched a request.
    pub responses_received: u64,
    /// Requests that got no answer in time.
    pub timeouts: u64,
    /// Datagrams (messages) that arrived, valid or not, over every gateway.
    pub datagrams_received: u64,
    /// Datagrams sent over every gateway.
    pub datagrams_sent: u64,
    /// Bytes of the datagrams that arrived, over every gateway.
    pub bytes_received: u64,
    /// Bytes of the datagrams sent, over every gateway.
    pub bytes_sent: u64,
    /// Contacts in each bucket of the routing table, by bucket index (the length of the id
    /// prefix its contacts share with this node's id), up to the deepest bucket that ever
    /// held a contact.
    pub buckets: Vec<usize>,
    /// How the commands this service ran went, by kind: counts, latency and hops.
    pub lookups: Lookups,
    /// Messages dropped, by reason.
    pub dropped: Dropped,
    /// Every counter of the kad-core node.
    pub node: NodeStats,
    /// Every counter of each gateway, in the order they were registered.
    pub gateways: Vec<GatewayStatsSnapshot>,
    /// Writes to the data directory that failed (a full disk, say): the records stay in
    /// memory and are served; they are written again with the next batch.
    pub storage_errors: u64,
}

/// Messages dropped by a service, by reason. None of them is fatal: a dropped request is
/// one that times out, a dropped datagram one the network lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dropped {
    /// Datagrams that did not decode: random bytes, another protocol (bad magic), another
    /// version of the wire format, truncated or over-size messages.
    pub malformed: u64,
    /// Messages that arrived while the service's inbound queue was full.
    pub inbound_full: u64,
    /// Messages not sent because a gateway's outbound queue was full.
    pub outbound_full: u64,
    /// Messages not sent because of an IO or encoding error.
    pub send_failed: u64,
    /// Messages to an address that no registered gateway can reach.
    pub unreachable: u64,
    /// Datagrams turned away unread because their source went over its rate (kad-core's
    /// `Config::source_rate`).
    pub rate_limited: u64,
    /// Datagrams neither answered nor sent because their address is unroutable
    /// (unspecified, multicast, broadcast, port 0).
    pub unroutable: u64,
}

impl Dropped {
    /// All drops together.
    pub fn total(&self) -> u64 {
        self.malformed
            + self.inbound_full
            + self.outbound_full
            + self.send_failed
            + self.unreachable
            + self.rate_limited
            + self.unroutable
    }
}

/// What the reactor thread publishes for readers on other threads.
#[derive(Debug, Default)]
pub(crate) struct Published {
    /// Set when the service's task is gone.
    pub(crate) down: AtomicBool,
    pub(crate) peers: AtomicUsize,
    pub(crate) unreachable: AtomicU64,
    pub(crate) storage_errors: AtomicU64,
    /// The node's counters and its buckets' sizes, under one lock so that a snapshot
    /// sees them agree.
    pub(crate) node: Mutex<(NodeStats, Vec<usize>)>,
    pub(crate) lookups: Mutex<Lookups>,
}

impl Published {
    pub(crate) fn publish<K: KeyType>(&self, node: &Node<Multiaddr, K>) {
        let stats = node.stats();
        self.peers.store(stats.contacts, Ordering::Relaxed);
        let table = node.routing_table();
        let mut published = lock(&self.node);
        published.0 = stats;
        published.1.clear();
        published
            .1
            .extend((0..table.bucket_count()).map(|i| table.bucket(i).len()));
    }

    /// Counts a command that finished.
    pub(crate) fn finished<A, K>(&self, result: &QueryResult<A, K>, stats: &QueryStats) {
        lock(&self.lookups).record(result, stats);
    }

    pub(crate) fn snapshot(&self, gateways: &[Arc<GatewayStats>]) -> Stats {
        let (node, buckets) = lock(&self.node).clone();
        let gateways: Vec<GatewayStatsSnapshot> = gateways.iter().map(|g| g.snapshot()).collect();
        let sum = |f: fn(&GatewayStatsSnapshot) -> u64| gateways.iter().map(f).sum::<u64>();
        Stats {
            peers: node.contacts,
            records: node.records,
            requests_sent: node.requests_sent,
            requests_received: node.requests_received,
            responses_received: node.responses_received,
            timeouts: node.timeouts,
            datagrams_received: sum(|g| g.received),
            datagrams_sent: sum(|g| g.sent),
            bytes_received: sum(|g| g.bytes_received),
            bytes_sent: sum(|g| g.bytes_sent),
            buckets,
            lookups: lock(&self.lookups).clone(),
            dropped: Dropped {
                malformed: sum(|g| g.dropped_malformed),
                inbound_full: sum(|g| g.dropped_inbound_full),
                outbound_full: sum(|g| g.dropped_outbound_full),
                send_failed: sum(|g| g.send_failed),
                unreachable: self.unreachable.load(Ordering::Relaxed),
                rate_limited: node.rate_limited,
                unroutable: node.unroutable_dropped,
            },
            node,
            gateways,
            storage_errors: self.storage_errors.load(Ordering::Relaxed),
        }
    }
}

/// Locks `mutex`; a panic elsewhere while it was held leaves figures that are still fine to
/// read and overwrite.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
