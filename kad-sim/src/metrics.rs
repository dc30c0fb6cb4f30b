//! What a run measured, operation by operation: the record of each measured operation, how it
//! ended, and the percentiles ([`Distribution`]) and per-kind summaries ([`OpSummary`]) drawn
//! from those records. The report that gathers them is in [`report`](crate::report).

use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::workload::OpKind;

/// Serializes a duration as fractional milliseconds.
pub(crate) fn serialize_ms<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

/// Serializes a duration as fractional seconds.
pub(crate) fn serialize_secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// How a measured operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Running,
    Succeeded,
    Failed,
    /// The querying node left the network before the operation finished.
    Abandoned,
}

/// One measured operation.
#[derive(Clone, Debug)]
pub(crate) struct OpRecord {
    pub(crate) kind: OpKind,
    pub(crate) outcome: Outcome,
    /// Simulated microseconds from the command to its result.
    pub(crate) latency_us: u64,
    pub(crate) hops: u32,
    /// Datagrams caused by the operation: its requests and the answers to them.
    pub(crate) messages: u32,
    /// Bytes of those datagrams.
    pub(crate) bytes: u64,
    /// For find_node: the first contact returned is the true closest live node.
    pub(crate) closest_found: bool,
    /// For find_node: how many of the true k closest live nodes were returned.
    pub(crate) recall: u16,
    /// For find_node: how many there were to find (k, or fewer in a tiny network).
    pub(crate) recall_of: u16,
}

impl OpRecord {
    pub(crate) fn new(kind: OpKind) -> Self {
        OpRecord {
            kind,
            outcome: Outcome::Running,
            latency_us: 0,
            hops: 0,
            messages: 0,
            bytes: 0,
            closest_found: false,
            recall: 0,
            recall_of: 0,
        }
    }
}

/// Mean, percentiles (nearest rank) and maximum of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Distribution {
    /// Number of values.
    pub count: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

impl Distribution {
    /// Summarises `values` (sorted in place).
    pub fn of(values: &mut [f64]) -> Self {
        if values.is_empty() {
            return Distribution::default();
        }
        values.sort_unstable_by(f64::total_cmp);
        let n = values.len();
        let rank = |p: f64| values[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        Distribution {
            count: n,
            mean: values.iter().sum::<f64>() / n as f64,
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: values[n - 1],
        }
    }
}

/// Figures of one kind of operation (or of all of them).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OpSummary {
    /// Operations started.
    pub issued: usize,
    /// Operations that succeeded.
    pub succeeded: usize,
    /// Operations that finished without success.
    pub failed: usize,
    /// Operations whose querying node left before they finished (not counted in the rate).
    pub abandoned: usize,
    /// Operations still running when the run ended (counted as failures in the rate).
    pub unfinished: usize,
    /// `succeeded / (issued - abandoned)`.
    pub success_rate: f64,
    /// For find_node: share of finished lookups whose first result is the true closest node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closest_found_rate: Option<f64>,
    /// For find_node: share of the true k closest live nodes found, over all finished lookups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recall: Option<f64>,
    /// Hops of finished operations: the longest chain of contacts learned from contacts.
    pub hops: Distribution,
    /// Simulated latency of finished operations, in milliseconds.
    pub latency_ms: Distribution,
    /// Datagrams per operation (requests it sent and answers to them, lost ones included).
    pub messages: Distribution,
    /// Bytes per operation, kad-proto encoding (header included, UDP/IP headers excluded).
    pub bytes: Distribution,
}

impl OpSummary {
    pub(crate) fn of<'a>(records: impl Iterator<Item = &'a OpRecord>) -> Self {
        let mut s = OpSummary::default();
        let (mut hops, mut latency, mut messages, mut bytes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut finds = 0usize;
        let mut closest = 0usize;
        let (mut found, mut to_find) = (0u64, 0u64);
        for r in records {
            s.issued += 1;
            match r.outcome {
                Outcome::Running => {
                    s.unfinished += 1;
                    continue;
                }
                Outcome::Abandoned => {
                    s.abandoned += 1;
                    continue;
                }
                Outcome::Succeeded => s.succeeded += 1,
                Outcome::Failed => s.failed += 1,
            }
            hops.push(f64::from(r.hops));
            latency.push(r.latency_us as f64 / 1e3);
            messages.push(f64::from(r.messages));
            bytes.push(r.bytes as f64);
            if r.kind == OpKind::FindNode {
                finds += 1;
                closest += usize::from(r.closest_found);
                found += u64::from(r.recall);
                to_find += u64::from(r.recall_of);
            }
        }
        let counted = s.issued - s.abandoned;
        s.success_rate = if counted == 0 {
            0.0
        } else {
            s.succeeded as f64 / counted as f64
        };
        s.closest_found_rate = (finds > 0).then(|| closest as f64 / finds as f64);
        s.recall = (to_find > 0).then(|| found as f64 / to_find as f64);
        s.hops = Distribution::of(&mut hops);
        s.latency_ms = Distribution::of(&mut latency);
        s.messages = Distribution::of(&mut messages);
        s.bytes = Distribution::of(&mut bytes);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let d = Distribution::of(&mut v);
        assert_eq!((d.p50, d.p90, d.p99, d.max), (50.0, 90.0, 99.0, 100.0));
        assert_eq!(d.mean, 50.5);
        let mut one = [3.0];
        let d = Distribution::of(&mut one);
        assert_eq!((d.p50, d.p99), (3.0, 3.0));
        assert_eq!(Distribution::of(&mut []).count, 0);
    }

    #[test]
    fn summary_counts_outcomes() {
        let mut recs = vec![OpRecord::new(OpKind::Get); 4];
        recs[0].outcome = Outcome::Succeeded;
        recs[1].outcome = Outcome::Failed;
        recs[2].outcome = Outcome::Abandoned;
        let s = OpSummary::of(recs.iter());
        assert_eq!(
            (s.issued, s.succeeded, s.failed, s.abandoned, s.unfinished),
            (4, 1, 1, 1, 1)
        );
        assert!((s.success_rate - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.latency_ms.count, 2);
    }
}
