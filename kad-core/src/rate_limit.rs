//! Rate limits on what strangers can make a node do: a token bucket (of datagrams, or of
//! bytes), and a bounded table of them keyed by source IP (an IPv4 address, an IPv6 /64) that a driver asks before it even
//! decodes a datagram (see [`Node::admit`](crate::Node::admit)).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A token bucket: up to `burst` events at once, refilled at `rate` per second.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TokenBucket {
    /// Tokens left, in millionths of a token so that a refill never rounds to nothing.
    micro: u64,
    last: Instant,
}

const MICRO: u64 = 1_000_000;

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn full(burst: u32, now: Instant) -> Self {
        TokenBucket {
            micro: u64::from(burst) * MICRO,
            last: now,
        }
    }

    /// Takes one token if there is one, after refilling for the time since the last call.
    pub(crate) fn take(&mut self, now: Instant, rate: u32, burst: u32) -> bool {
        self.take_n(now, rate, burst, 1)
    }

    /// Takes `n` tokens if there are as many, after refilling for the time since the last
    /// call.
    pub(crate) fn take_n(&mut self, now: Instant, rate: u32, burst: u32, n: u32) -> bool {
        self.refill(now, rate, burst);
        let need = u64::from(n) * MICRO;
        if self.micro >= need {
            self.micro -= need;
            true
        } else {
            false
        }
    }

    fn refill(&mut self, now: Instant, rate: u32, burst: u32) {
        let elapsed = now.saturating_duration_since(self.last);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let add = micros.saturating_mul(u64::from(rate));
        self.micro = self.micro.saturating_add(add).min(u64::from(burst) * MICRO);
        self.last = now;
    }

    /// Whether the bucket would be full again at `now`: it then remembers nothing worth
    /// keeping.
    fn is_refilled(&self, now: Instant, rate: u32, burst: u32) -> bool {
        let missing = (u64::from(burst) * MICRO).saturating_sub(self.micro);
        let elapsed = now.saturating_duration_since(self.last);
        rate > 0 && elapsed >= Duration::from_micros(missing / u64::from(rate))
    }
}

/// What a source is limited by: an IPv4 address, or the /64 of an IPv6 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Source {
    V4([u8; 4]),
    V6([u8; 8]),
}

impl Source {
    fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Source::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source::V4(v4.octets()),
                None => {
                    let mut prefix = [0; 8];
                    prefix.copy_from_slice(&v6.octets()[..8]);
                    Source::V6(prefix)
                }
            },
        }
    }
}

/// What [`SourceLimiter::admit`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Within its source's rate.
    Admitted,
    /// Over its source's rate: drop it.
    Limited,
    /// Over the rate shared by every source the full table could not take: drop it.
    Shared,
}

/// How often, at most, a full table is swept for sources that no longer need tracking.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Token buckets per source, at most `max_sources` of them. Sources that find the table
/// full share one more bucket, so that many sources at once are limited together rather
/// than let through.
#[derive(Clone, Debug)]
pub(crate) struct SourceLimiter {
    buckets: HashMap<Source, TokenBucket>,
    overflow: Option<TokenBucket>,
    last_sweep: Option<Instant>,
}

impl SourceLimiter {
    pub(crate) fn new() -> Self {
        SourceLimiter {
            buckets: HashMap::new(),
            overflow: None,
            last_sweep: None,
        }
    }

    /// Whether a datagram from `ip` at `now` is within `rate` per second and `burst`.
    pub(crate) fn admit(
        &mut self,
        ip: IpAddr,
        now: Instant,
        rate: u32,
        burst: u32,
        max_sources: usize,
    ) -> Admission {
        let source = Source::of(ip);
        if let Some(bucket) = self.buckets.get_mut(&source) {
            return if bucket.take(now, rate, burst) {
                Admission::Admitted
            } else {
                Admission::Limited
            };
        }
        if self.buckets.len() >= max_sources {
            let due = self
                .last_sweep
                .is_none_or(|at| now.saturating_duration_since(at) >= SWEEP_EVERY);
            if due {
                // Sources whose bucket has refilled carry no state: forget them.
                self.buckets.retain(|_, b| !b.is_refilled(now, rate, burst));
                self.last_sweep = Some(now);
            }
            if self.buckets.len() >= max_sources {
                let shared = self
                    .overflow
                    .get_or_insert_with(|| TokenBucket::full(burst, now));
                return if shared.take(now, rate, burst) {
                    Admission::Admitted
                } else {
                    Admission::Shared
                };
            }
        }
        let mut bucket = TokenBucket::full(burst, now);
        let admitted = bucket.take(now, rate, burst);
        self.buckets.insert(source, bucket);
        if admitted {
            Admission::Admitted
        } else {
            Admission::Limited
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_the_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::full(3, t0);
        assert!((0..3).all(|_| b.take(t0, 2, 3)));
        assert!(!b.take(t0, 2, 3));
        assert!(!b.take(t0 + Duration::from_millis(499), 2, 3));
        assert!(b.take(t0 + Duration::from_millis(500), 2, 3));
        let later = t0 + Duration::from_secs(60);
        assert!(
            (0..3).all(|_| b.take(later, 2, 3)),
            "refills up to the burst"
        );
        assert!(!b.take(later, 2, 3));
    }

    #[test]
    fn sources_are_limited_apart_ipv6_by_slash_64() {
        let t0 = Instant::now();
        let mut l = SourceLimiter::new();
        let ip = |s: &str| s.parse::<IpAddr>().expect("an ip");
        let admit = |l: &mut SourceLimiter, s| l.admit(ip(s), t0, 1, 2, 100);
        assert_eq!(admit(&mut l, "1.1.1.1"), Admission::Admitted);
        assert_eq!(admit(&mut l, "1.1.1.1"), Admission::Admitted);
        assert_eq!(admit(&mut l, "1.1.1.1"), Admission::Limited);
        assert_eq!(admit(&mut l, "::ffff:1.1.1.1"), Admission::Limited);
        assert_eq!(admit(&mut l, "1.1.1.2"), Admission::Admitted);
        assert_eq!(admit(&mut l, "2001:db8::1"), Admission::Admitted);
        assert_eq!(admit(&mut l, "2001:db8::2"), Admission::Admitted);
        assert_eq!(admit(&mut l, "2001:db8::3"), Admission::Limited);
        assert_eq!(admit(&mut l, "2001:db8:0:1::1"), Admission::Admitted);
    }

    #[test]
    fn the_table_is_bounded_and_forgets_refilled_sources() {
        let t0 = Instant::now();
        let mut l = SourceLimiter::new();
        let ip = |n: u8| IpAddr::from([9, 9, 9, n]);
        for n in 0..4 {
            assert_eq!(l.admit(ip(n), t0, 1, 1, 4), Admission::Admitted);
        }
        // The full table's newcomers share one bucket: one datagram, then no more.
        assert_eq!(l.admit(ip(9), t0, 1, 1, 4), Admission::Admitted);
        assert_eq!(l.admit(ip(10), t0, 1, 1, 4), Admission::Shared);
        assert_eq!(l.admit(ip(9), t0, 1, 1, 4), Admission::Shared);
        assert_eq!(l.len(), 4);
        let later = t0 + Duration::from_secs(1);
        assert_eq!(l.admit(ip(9), later, 1, 1, 4), Admission::Admitted);
        assert_eq!(l.len(), 1, "refilled sources were forgotten");
    }
}
