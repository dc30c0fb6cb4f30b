//! Traffic counters of one gateway, shared between the gateway's threads and the runtime.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one gateway's traffic, updated from any thread without locking.
///
/// The runtime creates one per gateway and hands it over inside the gateway's
/// [`Inbound`](crate::Inbound); [`Inbound::deliver`](crate::Inbound::deliver) and
/// [`Inbound::deliver_datagram`](crate::Inbound::deliver_datagram) count the inbound side, and
/// the gateway counts its outbound side with the `record_*` methods. Counts only grow.
#[derive(Debug, Default)]
pub struct GatewayStats {
    received: AtomicU64,
    bytes_received: AtomicU64,
    delivered: AtomicU64,
    dropped_malformed: AtomicU64,
    dropped_inbound_full: AtomicU64,
    sent: AtomicU64,
    bytes_sent: AtomicU64,
    dropped_outbound_full: AtomicU64,
    send_failed: AtomicU64,
}

/// The values of a [`GatewayStats`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GatewayStatsSnapshot {
    /// Messages (or datagrams) that arrived, whatever became of them.
    pub received: u64,
    /// Bytes of the datagrams that arrived.
    pub bytes_received: u64,
    /// Messages handed to the runtime.
    pub delivered: u64,
    /// Datagrams dropped because they did not decode.
    pub dropped_malformed: u64,
    /// Messages dropped because the runtime's inbound queue was full.
    pub dropped_inbound_full: u64,
    /// Messages sent.
    pub sent: u64,
    /// Bytes of the datagrams sent.
    pub bytes_sent: u64,
    /// Messages dropped because the gateway's outbound queue was full.
    pub dropped_outbound_full: u64,
    /// Messages that could not be sent for another reason (an IO error, say).
    pub send_failed: u64,
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

fn bytes(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

impl GatewayStats {
    /// New counters, all zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a message or datagram of `len` bytes that arrived (0 when the transport has no
    /// notion of size).
    pub fn record_received(&self, len: usize) {
        bump(&self.received, 1);
        bump(&self.bytes_received, bytes(len));
    }

    /// Counts a message handed to the runtime.
    pub fn record_delivered(&self) {
        bump(&self.delivered, 1);
    }

    /// Counts a datagram dropped because it did not decode.
    pub fn record_dropped_malformed(&self) {
        bump(&self.dropped_malformed, 1);
    }

    /// Counts a message dropped because the runtime's inbound queue was full.
    pub fn record_dropped_inbound_full(&self) {
        bump(&self.dropped_inbound_full, 1);
    }

    /// Counts a message sent as a datagram of `len` bytes.
    pub fn record_sent(&self, len: usize) {
        bump(&self.sent, 1);
        bump(&self.bytes_sent, bytes(len));
    }

    /// Counts a message dropped because the gateway's outbound queue was full.
    pub fn record_dropped_outbound_full(&self) {
        bump(&self.dropped_outbound_full, 1);
    }

    /// Counts a message that could not be sent for another reason.
    pub fn record_send_failed(&self) {
        bump(&self.send_failed, 1);
    }

    /// The current values. Each counter is read atomically, the set of them is not: a snapshot
    /// taken while traffic flows may be a few messages apart between counters.
    pub fn snapshot(&self) -> GatewayStatsSnapshot {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        GatewayStatsSnapshot {
            received: read(&self.received),
            bytes_received: read(&self.bytes_received),
            delivered: read(&self.delivered),
            dropped_malformed: read(&self.dropped_malformed),
            dropped_inbound_full: read(&self.dropped_inbound_full),
            sent: read(&self.sent),
            bytes_sent: read(&self.bytes_sent),
            dropped_outbound_full: read(&self.dropped_outbound_full),
            send_failed: read(&self.send_failed),
        }
    }
}
