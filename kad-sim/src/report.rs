//! The report of a run: its sections (scenario, network, bootstrap, preload, operations,
//! routing, wall clock), printed as a table and written as JSON.
//!
//! Every figure in [`Report`] except [`Report::wall`] follows from the scenario alone, so two
//! runs with the same scenario and seed give byte-identical
//! [`deterministic_json`](Report::deterministic_json). Wall-clock time, events per second and
//! memory depend on the machine and live in their own section, [`WallClock`], which the full
//! [`to_json`](Report::to_json) output includes under `"wall"`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::metrics::{serialize_secs, Distribution, OpSummary};
use crate::workload::OpKind;
/// The scenario, echoed in the report so that a JSON file says how it was made.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScenarioEcho {
    /// Nodes in the network.
    pub nodes: usize,
    /// Measured operations.
    pub lookups: usize,
    /// Operations per simulated second.
    pub rate: f64,
    /// get:put:find_node weights.
    pub mix: crate::Mix,
    /// Keys in the workload's universe.
    pub keys: usize,
    /// Key popularity.
    pub key_distribution: crate::KeyDistribution,
    /// Value size in bytes.
    pub value_size: usize,
    /// Session lengths.
    pub churn: crate::Sessions,
    /// The network model.
    pub network: crate::NetworkModel,
    /// When the initial nodes joined.
    pub join: crate::JoinSchedule,
    /// Time between the last initial join and the first measured operation (seconds).
    #[serde(serialize_with = "serialize_secs")]
    pub settle: Duration,
    /// Time allowed after the last operation for stragglers (seconds).
    #[serde(serialize_with = "serialize_secs")]
    pub drain: Duration,
    /// Bits in node ids and keys.
    pub key_bits: u32,
    /// The adversaries.
    pub adversaries: crate::Adversaries,
    /// The kind of record of the workload.
    pub records: crate::Records,
    /// Disjoint paths per lookup.
    pub disjoint_paths: usize,
    /// kad-core's k.
    pub k: usize,
    /// kad-core's alpha.
    pub alpha: usize,
    /// Whether joining nodes refresh their buckets after the self-lookup.
    pub bootstrap_refresh: bool,
    /// kad-core's request timeout (seconds).
    #[serde(serialize_with = "serialize_secs")]
    pub request_timeout: Duration,
    /// kad-core's maintenance interval (seconds).
    #[serde(serialize_with = "serialize_secs")]
    pub maintenance_interval: Duration,
    /// The seed.
    pub seed: u64,
}

/// Traffic and population over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NetworkSummary {
    /// Simulated time at the end of the run, in seconds.
    pub sim_seconds: f64,
    /// Simulated time when the measured operations started, in seconds.
    pub measure_start_seconds: f64,
    /// Events processed (deliveries, timers, joins, leaves, operations).
    pub events: u64,
    /// Most events waiting in the queue at once.
    pub peak_queued_events: usize,
    /// Most datagrams in flight at once.
    pub peak_in_flight: usize,
    /// Nodes that joined (initial ones and churn replacements).
    pub joins: u64,
    /// Nodes that left.
    pub leaves: u64,
    /// Live nodes at the end.
    pub live_nodes: usize,
    /// Datagrams sent.
    pub messages_sent: u64,
    /// Datagrams lost by the loss model.
    pub messages_lost: u64,
    /// Datagrams that reached a node that had left.
    pub messages_to_departed: u64,
    /// Bytes sent (kad-proto encoding).
    pub bytes_sent: u64,
    /// Datagrams sent per live node per simulated second over the measured phase.
    pub messages_per_node_per_second: f64,
}

/// How the initial joins went.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BootstrapSummary {
    /// Initial nodes whose bootstrap finished (found contacts, or gave up).
    pub finished: usize,
    /// Bootstraps retried through another node because the previous one found nobody (all
    /// nodes, churn replacements included).
    pub retries: u64,
    /// Joining nodes that found nobody in all their tries and stay out of the workload.
    pub failed: u64,
    /// Initial nodes that churn took before their bootstrap finished.
    pub left_while_joining: u64,
    /// Time from joining to the end of the successful bootstrap lookup (without the bucket
    /// refreshes), in milliseconds.
    pub latency_ms: Distribution,
    /// Requests sent by the last bootstrap lookup.
    pub requests: Distribution,
    /// Simulated seconds from the first join to the last bootstrap lookup's end.
    pub seconds: f64,
}

/// Puts made before measuring so that gets have values to find.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PreloadSummary {
    /// Puts started.
    pub puts: usize,
    /// Puts acknowledged by at least one other node.
    pub succeeded: usize,
    /// Mean number of replicas acknowledged per put.
    pub mean_replicas: f64,
}

/// Routing tables of the live nodes at the end of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RoutingSummary {
    /// Contacts per routing table.
    pub contacts: Distribution,
    /// Share of pairs (node, one of its k nearest live nodes) in which the neighbour has the
    /// node in its routing table, over a sample of up to 10 000 nodes. Below 1, lookups for
    /// keys near a node may miss it.
    pub neighbour_awareness: f64,
    /// Nodes in that sample.
    pub sampled_nodes: usize,
}

/// What the adversaries did (present when the scenario has any).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AdversarialSummary {
    /// Adversaries created, initial and churn replacements.
    pub created: u32,
    /// Adversaries live at the end.
    pub live: usize,
    /// Requests that reached adversaries and were answered with lies or dropped.
    pub requests: u64,
    /// Pings eclipsing adversaries sent to push into honest routing tables.
    pub pushes: u64,
    /// Share of the honest nodes' routing-table entries that are adversaries, at the end.
    pub share_of_tables: f64,
    /// Measured gets that returned a wrong value (they count as failed).
    pub wrong_values: usize,
}

/// How fresh the mutable gets were (present with `--records mutable`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MutableSummary {
    /// Measured gets of a key whose newer version (after the preload's) had been put
    /// before the get began.
    pub reads_after_update: usize,
    /// Of those, the gets that returned that version or a newer one.
    pub newest_after_update: usize,
}

/// Measurements that depend on the machine, not on the scenario: excluded from
/// [`Report::deterministic_json`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WallClock {
    /// Wall time of the whole run, in seconds.
    pub seconds: f64,
    /// Wall time of the join phase (until the last initial bootstrap finished), in seconds.
    pub join_seconds: f64,
    /// Simulated events per wall-clock second.
    pub events_per_second: f64,
    /// Peak resident set size of the process, in bytes (Linux; 0 elsewhere).
    pub peak_rss_bytes: u64,
    /// Resident memory added while the network was built, per node, in bytes.
    pub rss_per_node_bytes: u64,
}

/// Raw samples kept for plotting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    /// Latency in milliseconds of each finished operation, by kind.
    pub latency_ms: BTreeMap<OpKind, Vec<f64>>,
    /// Hops of each finished operation, by kind.
    pub hops: BTreeMap<OpKind, Vec<f64>>,
}

/// Everything a run measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// The scenario that ran.
    pub scenario: ScenarioEcho,
    /// Traffic and population.
    pub network: NetworkSummary,
    /// The initial joins.
    pub bootstrap: BootstrapSummary,
    /// The preload puts.
    pub preload: PreloadSummary,
    /// All measured operations together.
    pub lookups: OpSummary,
    /// Measured operations by kind: `get`, `put`, `find_node`.
    pub by_kind: BTreeMap<&'static str, OpSummary>,
    /// Routing tables of the live nodes at the end.
    pub routing: RoutingSummary,
    /// The adversaries, if the scenario has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adversarial: Option<AdversarialSummary>,
    /// The freshness of mutable gets, with `--records mutable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutable: Option<MutableSummary>,
    /// Machine-dependent figures.
    pub wall: WallClock,
    /// Samples for the plot (not serialized).
    #[serde(skip)]
    pub samples: Samples,
}

#[derive(Serialize)]
struct Deterministic<'a> {
    scenario: &'a ScenarioEcho,
    network: &'a NetworkSummary,
    bootstrap: &'a BootstrapSummary,
    preload: &'a PreloadSummary,
    lookups: &'a OpSummary,
    by_kind: &'a BTreeMap<&'static str, OpSummary>,
    routing: &'a RoutingSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    adversarial: &'a Option<AdversarialSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mutable: &'a Option<MutableSummary>,
}

impl Report {
    /// The whole report as pretty JSON, wall-clock section included.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report without the [`wall`](Self::wall) section: identical for identical scenarios
    /// and seeds.
    pub fn deterministic_json(&self) -> String {
        let d = Deterministic {
            scenario: &self.scenario,
            network: &self.network,
            bootstrap: &self.bootstrap,
            preload: &self.preload,
            lookups: &self.lookups,
            by_kind: &self.by_kind,
            routing: &self.routing,
            adversarial: &self.adversarial,
            mutable: &self.mutable,
        };
        serde_json::to_string_pretty(&d).unwrap_or_default()
    }

    /// A human-readable table of the main figures.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let n = &self.network;
        let w = &self.wall;
        let _ = writeln!(
            out,
            "network   {} live nodes, {} joins, {} leaves, {:.0} s simulated, {} events (at most {} queued, {} datagrams in flight)",
            n.live_nodes, n.joins, n.leaves, n.sim_seconds, n.events, n.peak_queued_events, n.peak_in_flight
        );
        let _ = writeln!(
            out,
            "traffic   {} datagrams ({} lost, {} to departed nodes), {:.1} MB, {:.2} datagrams/node/s",
            n.messages_sent,
            n.messages_lost,
            n.messages_to_departed,
            n.bytes_sent as f64 / 1e6,
            n.messages_per_node_per_second
        );
        let b = &self.bootstrap;
        let _ = writeln!(
            out,
            "bootstrap {} finished in {:.1} s simulated ({} retried, {} failed); self-lookup p50 {:.0} ms, p99 {:.0} ms, {:.0} requests p50",
            b.finished, b.seconds, b.retries, b.failed, b.latency_ms.p50, b.latency_ms.p99, b.requests.p50
        );
        let _ = writeln!(
            out,
            "preload   {} puts, {} acknowledged, {:.1} replicas each",
            self.preload.puts, self.preload.succeeded, self.preload.mean_replicas
        );
        let r = &self.routing.contacts;
        let _ = writeln!(
            out,
            "routing   contacts per node: mean {:.1}, p50 {:.0}, p99 {:.0}, max {:.0}; {:.2}% of nearest neighbours know each node",
            r.mean, r.p50, r.p99, r.max, self.routing.neighbour_awareness * 100.0
        );
        if let Some(a) = &self.adversarial {
            let _ = writeln!(
                out,
                "adversary {} created, {} live; {} requests lied to or dropped; {:.2}% of honest routing-table entries; {} gets returned a wrong value",
                a.created, a.live, a.requests, a.share_of_tables * 100.0, a.wrong_values
            );
        }
        if let Some(m) = &self.mutable {
            let share = m.newest_after_update as f64 / m.reads_after_update.max(1) as f64;
            let _ = writeln!(
                out,
                "mutable   {} gets after an update, {:.2}% saw the newest version put before them",
                m.reads_after_update,
                share * 100.0
            );
        }
        let _ = writeln!(
            out,
            "wall      {:.1} s ({:.1} s joining), {:.0} events/s, peak RSS {:.1} MiB, {:.0} bytes/node",
            w.seconds,
            w.join_seconds,
            w.events_per_second,
            w.peak_rss_bytes as f64 / 1048576.0,
            w.rss_per_node_bytes
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<10} {:>7} {:>8} {:>11} {:>11} {:>20} {:>12} {:>14}",
            "operation",
            "count",
            "success",
            "hops p50/99",
            "hops mean",
            "latency ms p50/90/99",
            "msgs p50/99",
            "bytes p50/99"
        );
        let mut row = |name: &str, s: &OpSummary| {
            let _ = writeln!(
                out,
                "{:<10} {:>7} {:>7.2}% {:>5.0}/{:<5.0} {:>11.2} {:>6.0}/{:.0}/{:<6.0} {:>5.0}/{:<6.0} {:>6.0}/{:<7.0}",
                name,
                s.issued,
                s.success_rate * 100.0,
                s.hops.p50,
                s.hops.p99,
                s.hops.mean,
                s.latency_ms.p50,
                s.latency_ms.p90,
                s.latency_ms.p99,
                s.messages.p50,
                s.messages.p99,
                s.bytes.p50,
                s.bytes.p99
            );
        };
        row("all", &self.lookups);
        for (name, s) in &self.by_kind {
            if s.issued > 0 {
                row(name, s);
            }
        }
        if let Some(find) = self.by_kind.get("find_node") {
            if let (Some(rate), Some(recall)) = (find.closest_found_rate, find.recall) {
                let _ = writeln!(
                    out,
                    "find_node: the true closest node came first in {:.2}% of lookups; {:.2}% of the true k closest were found",
                    rate * 100.0,
                    recall * 100.0
                );
            }
        }
        out
    }
}
