//! [`StatsCollector`]: a service's [`Stats`] as Prometheus metrics, read afresh at each
//! scrape (feature `prometheus`).
//!
//! Every metric is named `kad_…`; counters get the `_total` suffix in the text format:
//!
//! | metric | type | labels | what |
//! | --- | --- | --- | --- |
//! | `kad_datagrams_received_total` | counter | | datagrams that arrived, valid or not |
//! | `kad_datagrams_sent_total` | counter | | datagrams sent |
//! | `kad_received_bytes_total` | counter | | bytes of the datagrams that arrived |
//! | `kad_sent_bytes_total` | counter | | bytes of the datagrams sent |
//! | `kad_dropped_total` | counter | `reason` | messages dropped: `malformed`, `inbound_full`, `outbound_full`, `send_failed`, `unreachable`, `rate_limited`, `unroutable` ([`Dropped`](crate::Dropped)) |
//! | `kad_requests_sent_total` | counter | `kind` | requests sent: `ping`, `find_node`, `find_value`, `store` |
//! | `kad_requests_received_total` | counter | `kind` | requests received and answered |
//! | `kad_responses_received_total` | counter | | responses that matched a request |
//! | `kad_timeouts_total` | counter | | requests that got no answer in time |
//! | `kad_refused_total` | counter | `reason` | what this node turned down from others: STOREs `store_full`, `store_invalid`, `store_over_quota`, `store_without_token`, `store_shortening`, `store_superseded`, `store_check_limited`; contacts `contact_subnet`; requests from local addresses `local_request` |
//! | `kad_storage_errors_total` | counter | | failed writes to the data directory |
//! | `kad_routing_table_contacts` | gauge | | contacts in the routing table |
//! | `kad_routing_table_bucket_contacts` | gauge | `bucket` | contacts per bucket (index = shared prefix length) |
//! | `kad_records` | gauge | | records held |
//! | `kad_pending_requests` | gauge | | requests in flight |
//! | `kad_running_queries` | gauge | | commands running |
//! | `kad_lookups_total` | counter | `kind` | commands finished: `bootstrap`, `find_node`, `get`, `put`, `ping` |
//! | `kad_lookup_requests_total` | counter | `kind` | requests those commands sent |
//! | `kad_lookup_failures_total` | counter | `kind` | requests of theirs that timed out |
//! | `kad_lookup_duration_seconds` | histogram | `kind` | from the command to its result |
//! | `kad_lookup_hops` | histogram | `kind` | hops of the commands |
//!
//! The metrics carry no label naming the service: a program that runs several services
//! registers each collector in a sub-registry of its own
//! (`Registry::sub_registry_with_label`), or the families would repeat.

use std::fmt::{self, Write};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use crate::lookup_stats::Histogram;
use crate::stats::Stats;

/// A [`Collector`] that reads [`Stats`] at each scrape from `source`, usually a closure
/// calling [`DHTService::stats`](crate::DHTService::stats) on a shared service.
///
/// ```
/// use std::sync::Arc;
/// use kad_runtime::{metrics::StatsCollector, DHTService, UdpGateway};
/// use prometheus_client::registry::Registry;
///
/// let mut service = DHTService::builder().build()?;
/// service.register_gateway(UdpGateway::new("127.0.0.1:0"));
/// service.start()?;
/// let service = Arc::new(service);
/// let mut registry = Registry::default();
/// let shared = Arc::clone(&service);
/// registry.register_collector(Box::new(StatsCollector::new(move || shared.stats())));
///
/// let mut text = String::new();
/// prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains("kad_routing_table_contacts 0"));
/// # Ok::<(), kad_runtime::Error>(())
/// ```
pub struct StatsCollector<F> {
    source: F,
}

impl<F: Fn() -> Stats> StatsCollector<F> {
    /// A collector of the stats `source` returns.
    pub fn new(source: F) -> Self {
        StatsCollector { source }
    }
}

impl<F> fmt::Debug for StatsCollector<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatsCollector").finish_non_exhaustive()
    }
}

impl<F: Fn() -> Stats + Send + Sync + 'static> Collector for StatsCollector<F> {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let stats = (self.source)();
        let node = &stats.node;
        let e = &mut encoder;
        counter(
            e,
            "kad_datagrams_received",
            "Datagrams that arrived, valid or not.",
            stats.datagrams_received,
        )?;
        counter(
            e,
            "kad_datagrams_sent",
            "Datagrams sent.",
            stats.datagrams_sent,
        )?;
        counter(
            e,
            "kad_received_bytes",
            "Bytes of the datagrams that arrived.",
            stats.bytes_received,
        )?;
        counter(
            e,
            "kad_sent_bytes",
            "Bytes of the datagrams sent.",
            stats.bytes_sent,
        )?;
        let d = stats.dropped;
        labelled_counters(
            e,
            "kad_dropped",
            "Messages dropped, by reason.",
            "reason",
            &[
                ("malformed", d.malformed),
                ("inbound_full", d.inbound_full),
                ("outbound_full", d.outbound_full),
                ("send_failed", d.send_failed),
                ("unreachable", d.unreachable),
                ("rate_limited", d.rate_limited),
                ("unroutable", d.unroutable),
            ],
        )?;
        for (name, help, by_kind) in [
            (
                "kad_requests_sent",
                "Requests sent, by kind.",
                node.requests_sent_by_kind,
            ),
            (
                "kad_requests_received",
                "Requests received and answered, by kind.",
                node.requests_received_by_kind,
            ),
        ] {
            let kinds = [
                ("ping", by_kind.ping),
                ("find_node", by_kind.find_node),
                ("find_value", by_kind.find_value),
                ("store", by_kind.store),
            ];
            labelled_counters(e, name, help, "kind", &kinds)?;
        }
        counter(
            e,
            "kad_responses_received",
            "Responses that matched a request.",
            node.responses_received,
        )?;
        counter(
            e,
            "kad_timeouts",
            "Requests that got no answer in time.",
            node.timeouts,
        )?;
        labelled_counters(
            e,
            "kad_refused",
            "What this node turned down from others, by reason.",
            "reason",
            &[
                ("store_full", node.stores_refused),
                ("store_invalid", node.stores_invalid),
                ("store_over_quota", node.stores_over_quota),
                ("store_without_token", node.stores_without_token),
                ("store_shortening", node.stores_shortening),
                ("store_superseded", node.stores_superseded),
                ("store_check_limited", node.stores_check_limited),
                ("contact_subnet", node.contacts_refused_subnet),
                ("local_request", node.local_requests_dropped),
            ],
        )?;
        counter(
            e,
            "kad_storage_errors",
            "Failed writes to the data directory.",
            stats.storage_errors,
        )?;
        gauge(
            e,
            "kad_routing_table_contacts",
            "Contacts in the routing table.",
            stats.peers,
        )?;
        let mut buckets = e.encode_descriptor(
            "kad_routing_table_bucket_contacts",
            "Contacts per bucket of the routing table (index: shared id prefix length).",
            None,
            MetricType::Gauge,
        )?;
        let mut index = String::new();
        for (i, contacts) in stats.buckets.iter().enumerate() {
            index.clear();
            write!(index, "{i}")?;
            let labels = [("bucket", index.as_str())];
            ConstGauge::new(as_i64(*contacts)).encode(buckets.encode_family(&labels)?)?;
        }
        gauge(e, "kad_records", "Records held.", stats.records)?;
        gauge(
            e,
            "kad_pending_requests",
            "Requests in flight.",
            node.pending_requests,
        )?;
        gauge(e, "kad_running_queries", "Commands running.", node.queries)?;
        lookups(e, &stats)
    }
}

/// The `kad_lookup*` metrics: counts, requests, failures and histograms by kind.
fn lookups(e: &mut DescriptorEncoder, stats: &Stats) -> Result<(), fmt::Error> {
    let kinds = stats.lookups.by_kind();
    let column = |f: fn(&crate::LookupStats) -> u64| kinds.map(|(kind, l)| (kind, f(l)));
    labelled_counters(
        e,
        "kad_lookups",
        "Commands finished, by kind.",
        "kind",
        &column(|l| l.count()),
    )?;
    labelled_counters(
        e,
        "kad_lookup_requests",
        "Requests sent by the commands, by kind.",
        "kind",
        &column(|l| l.requests),
    )?;
    labelled_counters(
        e,
        "kad_lookup_failures",
        "Requests of the commands that got no answer in time, by kind.",
        "kind",
        &column(|l| l.failures),
    )?;
    let mut latency = e.encode_descriptor(
        "kad_lookup_duration_seconds",
        "From a command to its result, by kind.",
        None,
        MetricType::Histogram,
    )?;
    for (kind, lookup) in kinds {
        histogram(&mut latency, kind, &lookup.latency_us, 1e-6)?;
    }
    let mut hops = e.encode_descriptor(
        "kad_lookup_hops",
        "Hops of the commands (the longest chain of contacts learned from one another), by kind.",
        None,
        MetricType::Histogram,
    )?;
    for (kind, lookup) in kinds {
        histogram(&mut hops, kind, &lookup.hops, 1.0)?;
    }
    Ok(())
}

/// One series of a histogram family, its values multiplied by `scale`.
fn histogram(
    family: &mut MetricEncoder,
    kind: &str,
    histogram: &Histogram,
    scale: f64,
) -> Result<(), fmt::Error> {
    let buckets: Vec<(f64, u64)> = histogram
        .bounds
        .iter()
        .map(|&bound| bound as f64 * scale)
        .chain([f64::INFINITY])
        .zip(histogram.counts.iter().copied())
        .collect();
    let labels = [("kind", kind)];
    family
        .encode_family(&labels)?
        .encode_histogram::<NoLabelSet>(
            histogram.sum as f64 * scale,
            histogram.count(),
            &buckets,
            None,
        )
}

fn counter(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), fmt::Error> {
    let counter = ConstCounter::new(value);
    counter.encode(e.encode_descriptor(name, help, None, counter.metric_type())?)
}

fn labelled_counters(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &str,
    values: &[(&str, u64)],
) -> Result<(), fmt::Error> {
    let mut family = e.encode_descriptor(name, help, None, MetricType::Counter)?;
    for &(value_label, value) in values {
        let labels = [(label, value_label)];
        ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

fn gauge(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: usize,
) -> Result<(), fmt::Error> {
    let gauge = ConstGauge::new(as_i64(value));
    gauge.encode(e.encode_descriptor(name, help, None, gauge.metric_type())?)
}

fn as_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
