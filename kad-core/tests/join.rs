//! What a join costs and what it leaves: the buckets beyond the k closest filled from what the
//! self-lookup heard, with pings rather than lookups.

mod support;

use kad_core::Config;
use support::{Id, Net};

/// Joins a newcomer to the same 400-node network with `config`: the FIND_NODEs and pings it
/// sent, and the newcomer's address.
fn join(config: Config) -> (Net, u32, u64, u64) {
    let mut net = Net::build(21, Config::default(), 400);
    net.set_config(config);
    let newcomer = net.add_node();
    net.join(newcomer, 0);
    let sent = net.node(newcomer).stats().requests_sent_by_kind;
    (net, newcomer, sent.find_node, sent.ping)
}

/// How many nodes of the network other than `except` fall in each bucket of `id`.
fn nodes_per_bucket(net: &Net, id: &Id, except: u32) -> Vec<usize> {
    let mut counts = vec![0; Id::BITS];
    for (i, other) in net.ids().iter().enumerate() {
        if i as u32 != except {
            counts[id.shared_prefix_len(other)] += 1;
        }
    }
    counts
}

#[test]
fn a_join_fills_the_far_buckets_with_pings_not_lookups() {
    let fill = 6;
    let with = |refresh: bool| {
        Config::builder()
            .bootstrap_refresh(refresh)
            .bootstrap_refresh_fill(fill)
            .build()
            .unwrap()
    };
    let (_, _, self_lookup_only, _) = join(with(false));
    let (mut net, newcomer, find_nodes, pings) = join(with(true));
    eprintln!(
        "join: {find_nodes} FIND_NODEs and {pings} pings; {self_lookup_only} FIND_NODEs \
         with the self-lookup alone"
    );
    // Every bucket holds what it can up to the fill: all the nodes there are in the deep
    // buckets the self-lookup completed, at least `fill` in the far ones.
    let id = *net.node(newcomer).id();
    let exist = nodes_per_bucket(&net, &id, newcomer);
    let table = net.node(newcomer).routing_table();
    let mut short = Vec::new();
    for (bucket, &there) in exist.iter().enumerate() {
        let held = table.bucket(bucket).len();
        if held < there.min(fill) {
            short.push((bucket, held, there));
        }
    }
    assert!(short.is_empty(), "(bucket, held, nodes there): {short:?}");
    // The self-lookup's answers named contacts in most far buckets: pinging them leaves a
    // few buckets to refresh, not a lookup's rounds for every bucket (about 9 times the
    // self-lookup's FIND_NODEs here when each far bucket was refreshed with a lookup).
    assert!(
        2 * find_nodes <= 5 * self_lookup_only,
        "{find_nodes} FIND_NODEs against {self_lookup_only} for the self-lookup alone"
    );
    // Lookups from the newcomer are exact.
    for _ in 0..20 {
        let target = net.random_key();
        let found = net.find_node(newcomer, target);
        let ids: Vec<Id> = match found.result {
            kad_core::QueryResult::FindNode { closest } => {
                closest.into_iter().map(|c| c.id).collect()
            }
            other => panic!("unexpected result {other:?}"),
        };
        assert_eq!(ids, net.true_closest(&target, 20, newcomer));
    }
}

#[test]
fn in_a_small_network_a_join_learns_k_contacts_beyond_its_k_closest() {
    let mut net = Net::build(5, Config::default(), 60);
    let newcomer = net.add_node();
    net.join(newcomer, 0);
    let id = *net.node(newcomer).id();
    let exist = nodes_per_bucket(&net, &id, newcomer);
    let table = net.node(newcomer).routing_table();
    // The k closest reach into bucket 1 or 2 of 60 nodes: the one or two far buckets hold
    // at least k contacts between them (or every node there), not 6 each.
    let far: Vec<usize> = (0..3)
        .filter(|&b| table.bucket(b).len() < exist[b])
        .collect();
    let held: usize = far.iter().map(|&b| table.bucket(b).len()).sum();
    let there: usize = far.iter().map(|&b| exist[b]).sum();
    assert!(
        held >= there.min(20),
        "far buckets {far:?} hold {held} of {there} nodes"
    );
}
