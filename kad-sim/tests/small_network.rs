//! A 1 000-node network without churn or loss: every operation succeeds, and lookups take no
//! more hops than Kademlia's bound.
//!
//! The bound: a node answering a lookup returns contacts from its bucket for the target's
//! range, k random nodes of a subtree the target is in, and the closest of k random nodes
//! shares about log2(k) more leading bits with the target. So each hop resolves about
//! b = log2(k) bits (4.3 for k = 20) and reaching the nodes closest to the target takes about
//! log2(N) / log2(k) hops (2.3 for N = 1000). kad-core reports the longest chain of "learned
//! from" among all contacts that answered, which can be one deeper than the chain that led to
//! the closest node, hence the bound tested: mean hops <= log2(N) / log2(k) + 1 (3.3 here).
//! The paper's basic guarantee, one bit per hop, would only give log2(N) = 10.

use std::time::Duration;

use kad_sim::{OpKind, Report, Scenario, Sessions};

const NODES: usize = 1000;

fn bound(k: usize) -> f64 {
    (NODES as f64).log2() / (k as f64).log2() + 1.0
}

fn check(report: &Report, k: usize) {
    let table = report.table();
    assert_eq!(report.network.live_nodes, NODES);
    assert_eq!(report.bootstrap.finished, NODES - 1, "{table}");
    assert_eq!(report.lookups.issued, 300);
    assert_eq!(report.lookups.succeeded, report.lookups.issued, "{table}");
    assert_eq!(report.preload.succeeded, report.preload.puts, "{table}");
    for kind in OpKind::ALL {
        let s = &report.by_kind[kind.name()];
        assert!(s.issued > 0, "no {} in the mix", kind.name());
        assert_eq!(s.success_rate, 1.0, "{}: {table}", kind.name());
        assert!(
            s.hops.mean <= bound(k),
            "{}: mean hops {} over the bound {}\n{table}",
            kind.name(),
            s.hops.mean,
            bound(k)
        );
    }
    assert_eq!(report.by_kind["find_node"].closest_found_rate, Some(1.0));
    assert!(report.lookups.hops.mean >= 1.0);
    assert!(report.lookups.latency_ms.p50 > 0.0);
    assert!(report.lookups.bytes.p50 > 0.0);
}

#[test]
fn thousand_nodes_every_lookup_succeeds_within_the_hop_bound() {
    let report = Scenario::default()
        .nodes(NODES)
        .lookups(300)
        .keys(100)
        .settle(Duration::from_secs(10))
        .seed(11)
        .run()
        .unwrap();
    check(&report, 20);
    assert!(
        report.routing.neighbour_awareness > 0.99,
        "{}",
        report.table()
    );
}

#[test]
fn thousand_nodes_without_bucket_refresh_still_succeed() {
    let mut scenario = Scenario::default()
        .nodes(NODES)
        .lookups(300)
        .keys(100)
        .settle(Duration::from_secs(10))
        .seed(12);
    scenario.node.bootstrap_refresh = false;
    let report = scenario.run().unwrap();
    let table = report.table();
    assert_eq!(report.lookups.succeeded, report.lookups.issued, "{table}");
    // Without the refresh lookups each node knows fewer contacts, and lookups are longer,
    // but still logarithmic.
    assert!(
        report.lookups.hops.mean <= (NODES as f64).log2() / 2.0,
        "{table}"
    );
}

#[test]
fn invalid_scenarios_are_refused() {
    assert!(Scenario::default().nodes(0).run().is_err());
    assert!(Scenario::default().rate(0.0).run().is_err());
    assert!(Scenario::default().loss(1.0).run().is_err());
    assert!(Scenario::default().value_size(5000).run().is_err());
    let mut s = Scenario::default();
    s.node.k = 0;
    assert!(s.run().is_err());
}

#[test]
fn lossy_network_stays_connected() {
    let report = Scenario::default()
        .nodes(400)
        .lookups(200)
        .keys(50)
        .settle(Duration::from_secs(10))
        .loss(0.05)
        .seed(13)
        .run()
        .unwrap();
    let table = report.table();
    // About one bootstrap in ten loses its only exchange with the seed and is retried.
    assert!(report.bootstrap.retries > 0, "{table}");
    assert_eq!(report.bootstrap.failed, 0, "{table}");
    // 95.0 to 95.6 % over seeds 13 to 21 (verification pings lost are not sent again);
    // about 30 % when a lost bootstrap was not retried.
    assert!(report.routing.neighbour_awareness > 0.94, "{table}");
    assert!(report.by_kind["get"].success_rate > 0.95, "{table}");
    assert!(report.network.messages_lost > 0);
}

/// Lookups that lose a request ask again after the round trip they expect, and move on
/// after that, instead of waiting the whole request timeout: under churn and loss they still
/// find the k closest live nodes (without it, 15 % of find_nodes were exact here, with 90 %
/// recall).
#[test]
fn lookups_hold_up_under_churn_and_loss() {
    let report = Scenario::default()
        .nodes(300)
        .lookups(300)
        .keys(50)
        .churn(Sessions::Exponential {
            median: Duration::from_secs(3600),
        })
        .loss(0.05)
        .settle(Duration::from_secs(600))
        .seed(7)
        .run()
        .unwrap();
    let table = report.table();
    let find_node = &report.by_kind["find_node"];
    assert!(find_node.success_rate >= 0.6, "{table}");
    assert!(find_node.recall.is_some_and(|r| r >= 0.97), "{table}");
    assert!(report.by_kind["get"].success_rate >= 0.99, "{table}");
}

#[test]
fn wide_keys_work() {
    let report = Scenario::default()
        .nodes(100)
        .lookups(50)
        .keys(10)
        .key_bits(kad_sim::KeyBits::Bits256)
        .run()
        .unwrap();
    assert_eq!(report.scenario.key_bits, 256);
    assert_eq!(report.lookups.succeeded, 50, "{}", report.table());
}

/// A larger network, with and without loss; run with `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn ten_thousand_nodes() {
    let report = Scenario::default()
        .nodes(10_000)
        .lookups(2000)
        .seed(14)
        .run()
        .unwrap();
    let table = report.table();
    assert_eq!(report.lookups.succeeded, report.lookups.issued, "{table}");
    let bound = (10_000f64).log2() / 20f64.log2() + 1.0;
    assert!(report.lookups.hops.mean <= bound, "{table}");

    let lossy = Scenario::default()
        .nodes(10_000)
        .lookups(2000)
        .loss(0.05)
        .seed(14)
        .run()
        .unwrap();
    let table = lossy.table();
    assert!(lossy.by_kind["get"].success_rate > 0.98, "{table}");
    assert!(lossy.routing.neighbour_awareness > 0.98, "{table}");
}

/// Nodes leave without a word; those that knew them stop handing them out once they have
/// been silent for `stale_after`, and ping them, so lookups do not wait on departed nodes
/// through all their retries (without it, 94 % of find_nodes were exact here, with a median
/// of 2.6 s; with it all of them, 1.8 s).
#[test]
fn departed_nodes_do_not_hold_up_lookups() {
    let report = Scenario::default()
        .nodes(300)
        .lookups(300)
        .keys(50)
        .churn(Sessions::Exponential {
            median: Duration::from_secs(1800),
        })
        .settle(Duration::from_secs(1200))
        .seed(7)
        .run()
        .unwrap();
    let table = report.table();
    let find_node = &report.by_kind["find_node"];
    assert!(find_node.success_rate >= 0.99, "{table}");
    assert!(find_node.latency_ms.p50 <= 2200.0, "{table}");
}
