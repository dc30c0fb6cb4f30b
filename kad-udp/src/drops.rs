//! [`DropCounters`]: why the datagrams a UDP gateway dropped did not decode.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kad_proto::{DecodeError, Limit};

/// Datagrams a [`UdpGateway`](crate::UdpGateway) received and dropped because they did not
/// decode, by reason; each is also counted in the gateway's
/// [`GatewayStats`](kad_proto::GatewayStats) as `dropped_malformed`. A clone reads the
/// same counters: take one with [`UdpGateway::drop_counters`](crate::UdpGateway::drop_counters)
/// before handing the gateway to a service.
#[derive(Clone, Debug, Default)]
pub struct DropCounters {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    foreign: AtomicU64,
    version: AtomicU64,
    oversize: AtomicU64,
    malformed: AtomicU64,
}

impl DropCounters {
    /// Counts a datagram that failed to decode with `error`.
    pub(crate) fn record(&self, error: &DecodeError) {
        let c = &self.inner;
        let counter = match error {
            DecodeError::TooShort { .. } | DecodeError::BadMagic => &c.foreign,
            DecodeError::UnsupportedVersion { .. } => &c.version,
            DecodeError::LimitExceeded {
                limit: Limit::Datagram,
                ..
            } => &c.oversize,
            _ => &c.malformed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Not kad datagrams at all: another protocol's magic bytes, or shorter than the header.
    pub fn foreign(&self) -> u64 {
        self.inner.foreign.load(Ordering::Relaxed)
    }

    /// kad datagrams of another version of the wire format.
    pub fn other_version(&self) -> u64 {
        self.inner.version.load(Ordering::Relaxed)
    }

    /// Datagrams over [`MAX_DATAGRAM_SIZE`](kad_proto::MAX_DATAGRAM_SIZE).
    pub fn oversize(&self) -> u64 {
        self.inner.oversize.load(Ordering::Relaxed)
    }

    /// kad datagrams of this version whose body is not a valid message: truncated, bad
    /// lengths, keys of the wrong size, values or contact lists over the limits.
    pub fn malformed(&self) -> u64 {
        self.inner.malformed.load(Ordering::Relaxed)
    }

    /// All of the above.
    pub fn total(&self) -> u64 {
        self.foreign() + self.other_version() + self.oversize() + self.malformed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_decode_errors_by_reason() {
        let drops = DropCounters::default();
        let copy = drops.clone();
        drops.record(&DecodeError::BadMagic);
        drops.record(&DecodeError::TooShort { len: 2 });
        drops.record(&DecodeError::UnsupportedVersion {
            found: 9,
            supported: 1,
        });
        drops.record(&DecodeError::LimitExceeded {
            limit: Limit::Datagram,
            len: 2000,
            max: 1232,
        });
        drops.record(&DecodeError::NonCanonical);
        assert_eq!(
            (
                copy.foreign(),
                copy.other_version(),
                copy.oversize(),
                copy.malformed()
            ),
            (2, 1, 1, 1)
        );
        assert_eq!(copy.total(), 5);
    }
}
