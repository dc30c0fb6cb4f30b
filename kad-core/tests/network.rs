//! Behaviour of many kad-core nodes together, on the in-memory network of `support`.

mod support;

use std::time::Duration;

use kad_core::{Config, Hasher, QueryResult, Request, Sha1Hasher};
use support::{Id, Net};

fn ids_of(result: &QueryResult<u32, Id>) -> Vec<Id> {
    match result {
        QueryResult::FindNode { closest } | QueryResult::Bootstrap { closest } => {
            closest.iter().map(|c| c.id).collect()
        }
        other => panic!("not a node lookup: {other:?}"),
    }
}

#[test]
fn find_node_returns_the_true_k_closest_in_500_nodes() {
    let mut net = Net::build(1, Config::default(), 500);
    for _ in 0..40 {
        let from = net.random_live();
        let target = net.random_key();
        let found = net.find_node(from, target);
        let expected = net.true_closest(&target, 20, from);
        assert_eq!(ids_of(&found.result), expected, "lookup from {from}");
        assert!(found.stats.hops >= 1 && found.stats.responses >= 20);
    }
    // Looking up an existing node's own id finds it first.
    let target = *net.nodes[123].id();
    let found = net.find_node(7, target);
    assert_eq!(ids_of(&found.result)[0], target);
}

#[test]
fn every_node_finds_every_value() {
    let mut net = Net::build(2, Config::default(), 500);
    let hasher = Sha1Hasher::new();
    let mut keys = Vec::new();
    for i in 0..5u32 {
        let publisher = net.random_live();
        let key = hasher.hash(format!("key-{i}").as_bytes());
        let replicas = net.put(publisher, key, format!("value-{i}").as_bytes());
        assert_eq!(replicas, 20, "a put reaches k replicas");
        keys.push((key, format!("value-{i}").into_bytes()));
    }
    for (key, value) in &keys {
        for reader in 0..net.nodes.len() as u32 {
            assert_eq!(
                net.get(reader, *key).as_ref(),
                Some(value),
                "reader {reader}"
            );
        }
    }
}

#[test]
fn lookups_succeed_with_twenty_percent_message_loss() {
    let config = Config::builder()
        .request_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let mut net = Net::build(3, config, 300);
    let mut keys = Vec::new();
    for _ in 0..10 {
        let key = net.random_key();
        let publisher = net.random_live();
        assert!(net.put(publisher, key, b"v") > 0);
        keys.push(key);
    }
    net.loss = 0.2;
    let (mut ok, total) = (0, 400);
    for i in 0..total {
        let key = keys[i % keys.len()];
        let reader = net.random_live();
        if net.get(reader, key).is_some() {
            ok += 1;
        }
    }
    assert!(
        ok * 100 >= total * 99,
        "only {ok} of {total} gets succeeded under 20% loss"
    );
}

#[test]
fn records_expire_when_their_publisher_is_gone() {
    let config = Config::default();
    let storage = config.storage_timeout;
    let mut net = Net::build(4, config, 60);
    let key = net.random_key();
    net.put(5, key, b"short-lived");
    net.dead.insert(5);
    net.run_for(storage / 2);
    let reader = 9;
    assert_eq!(net.get(reader, key).as_deref(), Some(&b"short-lived"[..]));
    // Holders republish, but with the remaining lifetime: the record still ends with it.
    net.run_for(storage / 2 + Duration::from_secs(60));
    let holders = net
        .nodes
        .iter()
        .filter(|n| n.get_local(net.now, &key).is_some())
        .count();
    assert_eq!(holders, 0, "expired records must be gone");
    assert_eq!(net.get(reader, key), None);
}

#[test]
fn the_publisher_keeps_its_record_alive() {
    let config = Config::default();
    let storage = config.storage_timeout;
    let mut net = Net::build(5, config, 60);
    let key = net.random_key();
    net.put(5, key, b"kept");
    net.run_for(storage * 3);
    assert_eq!(net.get(17, key).as_deref(), Some(&b"kept"[..]));
    let holders = net
        .nodes
        .iter()
        .filter(|n| n.get_local(net.now, &key).is_some())
        .count();
    assert!(
        holders >= 20,
        "only {holders} holders after three lifetimes"
    );
}

#[test]
fn holders_republish_on_their_interval() {
    let config = Config::default();
    let interval = config.republish_interval;
    let mut net = Net::build(6, config, 60);
    let key = net.random_key();
    let publisher = 5;
    net.put(publisher, key, b"r");
    net.trace = Some(Vec::new());
    net.run_for(interval + Duration::from_secs(30));
    let trace = net.trace.take().unwrap();
    let republishers: std::collections::HashSet<u32> = trace
        .iter()
        .filter(|(_, from, _, m)| {
            *from != publisher
                && matches!(&m.body, kad_core::Body::Request(Request::Store { key: k, .. }) if *k == key)
        })
        .map(|(_, from, _, _)| *from)
        .collect();
    assert!(
        !republishers.is_empty(),
        "no holder republished within its interval"
    );
}

#[test]
fn a_newly_joined_closer_node_receives_the_record() {
    let mut net = Net::build(7, Config::default(), 100);
    let key = net.random_key();
    net.put(3, key, b"handed-over");
    // A node whose id differs from the key only in its last bit: closer than anyone.
    let mut bytes = *key.as_bytes();
    bytes[19] ^= 1;
    let newcomer = net.add_node_with_id(Id::new(bytes));
    net.join(newcomer, 0);
    let now = net.now;
    assert_eq!(
        net.node(newcomer).get_local(now, &key),
        Some(&b"handed-over"[..]),
        "the closest node must be handed the record without asking"
    );
}

#[test]
fn lookup_stats_count_what_happened() {
    let mut net = Net::build(8, Config::default(), 200);
    let target = net.random_key();
    let found = net.find_node(0, target);
    let s = found.stats;
    assert!(s.requests >= s.responses + s.failures);
    assert_eq!(s.failures, 0);
    assert!(s.hops >= 1 && s.hops <= 8, "hops {}", s.hops);
    assert!(s.duration >= net.latency * 2);
}

#[test]
fn concurrent_lookups_for_the_same_target_do_not_interfere() {
    let mut net = Net::build(9, Config::default(), 200);
    let target = net.random_key();
    let now = net.now;
    let a = net.node(4).find_node(now, target).unwrap();
    let b = net.node(4).find_node(now, target).unwrap();
    assert_ne!(a, b);
    net.flush(4);
    let fa = net.run_until_finished(4, a);
    let fb = net.run_until_finished(4, b);
    let expected = net.true_closest(&target, 20, 4);
    assert_eq!(ids_of(&fa.result), expected);
    assert_eq!(ids_of(&fb.result), expected);
}

#[test]
fn same_seed_same_transmits() {
    let run = |seed: u64| {
        let mut net = Net::build(seed, Config::default(), 40);
        net.trace = Some(Vec::new());
        let key = Sha1Hasher::new().hash(b"determinism");
        net.put(3, key, b"v");
        net.get(17, key);
        net.run_for(Duration::from_secs(1800));
        format!("{:?}", net.trace.take().unwrap())
    };
    let first = run(11);
    assert_eq!(first, run(11));
    assert_ne!(first, run(12));
}

#[test]
fn dead_nodes_leave_the_routing_tables() {
    let config = Config::default();
    let peer_timeout = config.peer_timeout;
    let mut net = Net::build(10, config, 80);
    let victim = 40u32;
    let victim_id = *net.nodes[victim as usize].id();
    let knowers = net
        .nodes
        .iter()
        .filter(|n| n.routing_table().contains(&victim_id))
        .count();
    assert!(knowers > 0);
    net.dead.insert(victim);
    net.run_for(peer_timeout + Duration::from_secs(60));
    let still = net
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| *i as u32 != victim && n.routing_table().contains(&victim_id))
        .count();
    assert_eq!(
        still, 0,
        "a silent dead node must be dropped after the peer timeout"
    );
    // Everyone else is still known: live contacts answer the liveness pings.
    let alive_contacts: usize = net
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i as u32 != victim)
        .map(|(_, n)| n.routing_table().len())
        .sum();
    assert!(alive_contacts > 79 * 20);
}

#[test]
fn lookups_finish_in_few_round_trips() {
    // Virtual time: 10 ms each way, so one round trip is 20 ms.
    let mut net = Net::build(21, Config::default(), 500);
    let mut durations = Vec::new();
    let mut requests = 0;
    for _ in 0..100 {
        let from = net.random_live();
        let target = net.random_key();
        let found = net.find_node(from, target);
        durations.push(found.stats.duration);
        requests += found.stats.requests;
    }
    durations.sort();
    let round_trip = net.latency * 2;
    // Once answers stop bringing closer contacts, the rest of the k closest are asked at once
    // instead of alpha at a time: about 3 round trips instead of 8.
    assert!(
        durations[50] <= round_trip * 4,
        "median lookup took {:?}",
        durations[50]
    );
    assert!(
        requests / 100 <= 30,
        "{} requests per lookup",
        requests / 100
    );
}

#[test]
fn a_join_stops_filling_each_bucket_at_the_refresh_fill() {
    // The same 300-node network each time; a newcomer joins with the given fill, and what
    // the network sent meanwhile is counted.
    let join = |fill: usize| {
        let mut net = Net::build(9, Config::default(), 300);
        let config = Config::builder()
            .bootstrap_refresh_fill(fill)
            .build()
            .unwrap();
        net.set_config(config);
        let newcomer = net.add_node();
        let sent_before = net.messages_sent;
        net.join(newcomer, 0);
        let sent = net.messages_sent - sent_before;
        // Its lookups are exact all the same.
        for _ in 0..10 {
            let target = net.random_key();
            let found = net.find_node(newcomer, target);
            assert_eq!(
                ids_of(&found.result),
                net.true_closest(&target, 20, newcomer)
            );
        }
        sent
    };
    let (full_cost, cost) = (join(20), join(4));
    eprintln!("join: {cost} messages, {full_cost} filling every bucket to k");
    assert!(
        cost * 10 < full_cost * 9,
        "{cost} messages against {full_cost} filling every bucket"
    );
}
