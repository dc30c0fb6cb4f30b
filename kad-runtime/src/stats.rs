//! [`Stats`]: a snapshot of what a service knows and what its traffic has been, and the
//! state the service's reactor thread publishes for it.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use kad_core::NodeStats;
use kad_proto::{GatewayStats, GatewayStatsSnapshot};

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
    pub(crate) node: Mutex<NodeStats>,
}

impl Published {
    pub(crate) fn publish(&self, node: NodeStats) {
        self.peers.store(node.contacts, Ordering::Relaxed);
        *self.node.lock().unwrap_or_else(PoisonError::into_inner) = node;
    }

    pub(crate) fn snapshot(&self, gateways: &[Arc<GatewayStats>]) -> Stats {
        let node = *self.node.lock().unwrap_or_else(PoisonError::into_inner);
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
