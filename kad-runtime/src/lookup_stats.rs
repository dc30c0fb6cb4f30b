//! [`Lookups`]: how the commands a service ran went, by kind, as counts and histograms of
//! their latency and hops.

use std::time::Duration;

use kad_core::{QueryResult, QueryStats};

/// Upper bounds of the latency histograms' buckets, in microseconds: 1 ms to 5 s (the last
/// bucket, above the largest bound, is implied).
pub const LATENCY_BOUNDS_US: [u64; 12] = [
    1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000,
];

/// Upper bounds of the hop histograms' buckets (the last bucket, above the largest bound, is
/// implied).
pub const HOP_BOUNDS: [u64; 9] = [1, 2, 3, 4, 5, 6, 8, 10, 15];

/// A histogram with fixed buckets: `counts[i]` values fell at or below `bounds[i]` and above
/// the bound before it; the last count holds the values above every bound.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Histogram {
    /// Upper bounds of the buckets, increasing.
    pub bounds: &'static [u64],
    /// Values per bucket (not cumulative), one more than `bounds`.
    pub counts: Vec<u64>,
    /// Sum of every value recorded.
    pub sum: u64,
}

impl Histogram {
    fn new(bounds: &'static [u64]) -> Self {
        Histogram {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0,
        }
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn record(&mut self, value: u64) {
        let bucket = self.bounds.partition_point(|&bound| bound < value);
        if let Some(count) = self.counts.get_mut(bucket) {
            *count += 1;
        }
        self.sum = self.sum.saturating_add(value);
    }
}

/// How the commands of one kind went.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LookupStats {
    /// From the command to its result, in microseconds (bounds [`LATENCY_BOUNDS_US`]).
    pub latency_us: Histogram,
    /// Hops: the longest chain of "learned from" among the contacts that answered, 1 when
    /// only contacts of the routing table did (bounds [`HOP_BOUNDS`]).
    pub hops: Histogram,
    /// Requests the commands sent.
    pub requests: u64,
    /// Requests of theirs that got no answer in time.
    pub failures: u64,
}

impl Default for LookupStats {
    fn default() -> Self {
        LookupStats {
            latency_us: Histogram::new(&LATENCY_BOUNDS_US),
            hops: Histogram::new(&HOP_BOUNDS),
            requests: 0,
            failures: 0,
        }
    }
}

impl LookupStats {
    /// Commands that finished.
    pub fn count(&self) -> u64 {
        self.latency_us.count()
    }

    fn record(&mut self, stats: &QueryStats) {
        let us = u64::try_from(stats.duration.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.record(us);
        self.hops.record(u64::from(stats.hops));
        self.requests += u64::from(stats.requests);
        self.failures += u64::from(stats.failures);
    }

    /// The mean latency, if any command finished.
    pub fn mean_latency(&self) -> Option<Duration> {
        let count = self.count();
        (count > 0).then(|| Duration::from_micros(self.latency_us.sum / count))
    }
}

/// How the commands a service ran went, by kind: the user's and the service's own
/// (bootstrap, refreshes, republication) alike.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lookups {
    /// Bootstraps (joins through seeds or saved contacts).
    pub bootstrap: LookupStats,
    /// Node lookups.
    pub find_node: LookupStats,
    /// Value lookups (`query`, `get_mutable`, `get_immutable`).
    pub get: LookupStats,
    /// Puts (`save`, `put_mutable`, `put_immutable`, republication).
    pub put: LookupStats,
    /// Pings.
    pub ping: LookupStats,
}

impl Lookups {
    /// Counts a command that finished with `result`.
    pub(crate) fn record<A, K>(&mut self, result: &QueryResult<A, K>, stats: &QueryStats) {
        let kind = match result {
            QueryResult::Bootstrap { .. } => &mut self.bootstrap,
            QueryResult::FindNode { .. } => &mut self.find_node,
            QueryResult::Get { .. } => &mut self.get,
            QueryResult::Put { .. } => &mut self.put,
            QueryResult::Ping { .. } => &mut self.ping,
            _ => return,
        };
        kind.record(stats);
    }

    /// Each kind with its name, as the metrics label it.
    pub fn by_kind(&self) -> [(&'static str, &LookupStats); 5] {
        [
            ("bootstrap", &self.bootstrap),
            ("find_node", &self.find_node),
            ("get", &self.get),
            ("put", &self.put),
            ("ping", &self.ping),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_the_first_bucket_whose_bound_holds_them() {
        let mut histogram = Histogram::new(&HOP_BOUNDS);
        for value in [0, 1, 2, 15, 16, 1000] {
            histogram.record(value);
        }
        assert_eq!(histogram.counts[0], 2, "0 and 1 are at or below 1");
        assert_eq!(histogram.counts[1], 1);
        assert_eq!(
            histogram.counts[HOP_BOUNDS.len() - 1],
            1,
            "15 is at its bound"
        );
        assert_eq!(histogram.counts[HOP_BOUNDS.len()], 2, "above every bound");
        assert_eq!(histogram.count(), 6);
        assert_eq!(histogram.sum, 1034);
    }
}
