//! Round-trip time estimates (RFC 6298, as TCP keeps them), for request timeouts that follow
//! the network: a smoothed RTT and its variation, network-wide in the node and per contact
//! in the routing table. A lookup gives up waiting on a request after the estimate's
//! timeout (it then asks again or moves on), while the request's late answer still counts
//! until the configured request timeout. Retries before the last follow each other after a
//! share of that timeout, since they guard against lost datagrams rather than a slow
//! contact, and the last is waited for longer, so that a far contact is not given up.

use std::time::Duration;

/// How a timeout follows from an estimate: the smoothed RTT plus `deviations` times its
/// variation, between `min` and `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimeoutRule {
    pub(crate) min: Duration,
    pub(crate) max: Duration,
    pub(crate) deviations: u32,
}

/// The smoothed round-trip time and its mean deviation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rtt {
    srtt: Duration,
    rttvar: Duration,
    sampled: bool,
}

impl Rtt {
    /// Folds in one measured round trip.
    pub(crate) fn sample(&mut self, rtt: Duration) {
        if !self.sampled {
            self.srtt = rtt;
            self.rttvar = rtt / 2;
            self.sampled = true;
            return;
        }
        let deviation = self.srtt.abs_diff(rtt);
        self.rttvar = (self.rttvar * 3 + deviation) / 4;
        self.srtt = (self.srtt * 7 + rtt) / 8;
    }

    /// The timeout the estimate suggests under `rule`; `None` before any sample.
    pub(crate) fn timeout(&self, rule: TimeoutRule) -> Option<Duration> {
        let TimeoutRule {
            min,
            max,
            deviations,
        } = rule;
        self.sampled
            .then(|| (self.srtt + self.rttvar * deviations).clamp(min.min(max), max))
    }
}

/// A per-contact estimate in 4 bytes (milliseconds, saturating), so that a routing table
/// entry does not grow: a simulator keeps tens of millions of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CompactRtt {
    /// Smoothed RTT in ms; 0 when nothing was measured yet.
    srtt_ms: u16,
    rttvar_ms: u16,
}

impl CompactRtt {
    fn expand(self) -> Rtt {
        Rtt {
            srtt: Duration::from_millis(u64::from(self.srtt_ms)),
            rttvar: Duration::from_millis(u64::from(self.rttvar_ms)),
            sampled: self.srtt_ms > 0,
        }
    }

    pub(crate) fn sample(&mut self, rtt: Duration) {
        let mut full = self.expand();
        full.sample(rtt.max(Duration::from_millis(1)));
        let ms = |d: Duration| u16::try_from(d.as_millis()).unwrap_or(u16::MAX);
        self.srtt_ms = ms(full.srtt).max(1);
        self.rttvar_ms = ms(full.rttvar);
    }

    pub(crate) fn timeout(self, rule: TimeoutRule) -> Option<Duration> {
        self.expand().timeout(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn rule(min: Duration, max: Duration) -> TimeoutRule {
        TimeoutRule {
            min,
            max,
            deviations: 4,
        }
    }

    #[test]
    fn follows_rfc_6298() {
        let mut rtt = Rtt::default();
        assert_eq!(rtt.timeout(rule(MS, MS * 3000)), None);
        rtt.sample(MS * 100);
        assert_eq!(rtt.timeout(rule(MS, MS * 3000)), Some(MS * 300)); // 100 + 4 * 50
        let two = TimeoutRule {
            deviations: 2,
            ..rule(MS, MS * 3000)
        };
        assert_eq!(rtt.timeout(two), Some(MS * 200));
        rtt.sample(MS * 100);
        assert_eq!(rtt.timeout(rule(MS, MS * 3000)), Some(MS * 250)); // 100 + 4 * 37.5
        for _ in 0..50 {
            rtt.sample(MS * 100);
        }
        assert_eq!(
            rtt.timeout(rule(MS * 200, MS * 3000)),
            Some(MS * 200),
            "at least the minimum"
        );
        rtt.sample(MS * 10_000);
        assert_eq!(
            rtt.timeout(rule(MS, MS * 3000)),
            Some(MS * 3000),
            "at most the maximum"
        );
    }

    #[test]
    fn the_compact_form_keeps_milliseconds() {
        let mut compact = CompactRtt::default();
        assert_eq!(compact.timeout(rule(MS, MS * 3000)), None);
        compact.sample(MS * 80);
        compact.sample(MS * 120);
        let mut full = Rtt::default();
        full.sample(MS * 80);
        full.sample(MS * 120);
        assert_eq!(
            compact.timeout(rule(MS, MS * 3000)),
            full.timeout(rule(MS, MS * 3000))
        );
        compact.sample(Duration::from_secs(3600));
        assert!(compact.timeout(rule(MS, Duration::MAX)).is_some());
    }
}
