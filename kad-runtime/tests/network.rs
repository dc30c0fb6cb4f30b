//! A 64-service network in one process, over real UDP on loopback: every value saved by any
//! node is found by every other, and still found after a third of the nodes stopped; once
//! with a thread per service, once with all of them on a shared reactor.

mod common;

use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use common::{builder, network, network_with, wait_for_peers};
use kad_runtime::hash::Sha1Hasher;
use kad_runtime::{DHTService, Reactor};

const NODES: usize = 64;

/// Held by each test for its whole run. Two networks of 64 services side by side (cargo runs
/// a file's tests in parallel) on a two-core machine in a debug build make each other's
/// answers queue past the 300 ms request timeout: one network's 4 096 queries landing on the
/// other's saves left those saves with few acknowledged copies. One network at a time
/// measures each of them alone.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn key(i: usize) -> String {
    format!("key-{i}")
}

fn value(i: usize) -> Vec<u8> {
    format!("value saved by node {i}").into_bytes()
}

#[test]
fn every_value_is_found_by_every_node_and_survives_a_third_stopped() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    every_value_found(&network(NODES, 64));
}

#[test]
fn the_same_on_a_shared_reactor() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let reactor = Reactor::new(2).expect("reactor");
    let services = network_with(NODES, |i| builder(6400 + i as u64).reactor(&reactor));
    every_value_found(&services);
}

fn every_value_found(services: &[DHTService<Sha1Hasher>]) {
    // Routing tables can stand still for a moment while a late joiner waits to retry its
    // bootstrap: give every node the time to know its neighbours.
    wait_for_peers(services, 10, Duration::from_secs(20));
    for (i, service) in services.iter().enumerate() {
        assert!(
            service.get_number_of_known_peers() >= 10,
            "node {i} knows {} peers",
            service.get_number_of_known_peers()
        );
    }

    // Every node saves one value; the saves run at once.
    let started = Instant::now();
    let handles: Vec<_> = services
        .iter()
        .enumerate()
        .map(|(i, s)| s.save(key(i), value(i)))
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        let replicas = handle.wait().expect("save");
        assert!(replicas >= 10, "value {i} has {replicas} copies");
    }
    eprintln!("{NODES} saves in {:?}", started.elapsed());

    // Every node finds every value: 4096 queries, one thread per node.
    let started = Instant::now();
    thread::scope(|scope| {
        for (n, service) in services.iter().enumerate() {
            scope.spawn(move || {
                for i in 0..NODES {
                    assert_eq!(service.query(key(i)), Some(value(i)), "node {n}, key {i}");
                }
            });
        }
    });
    eprintln!("{} queries in {:?}", NODES * NODES, started.elapsed());

    // A third of the nodes stop; the others still find every value.
    let (stopped, alive): (Vec<_>, Vec<_>) =
        services.iter().enumerate().partition(|(i, _)| i % 3 == 1);
    for (_, service) in &stopped {
        service.stop();
    }
    let started = Instant::now();
    thread::scope(|scope| {
        for (n, service) in &alive {
            scope.spawn(move || {
                for i in 0..NODES {
                    assert_eq!(service.query(key(i)), Some(value(i)), "node {n}, key {i}");
                }
            });
        }
    });
    eprintln!(
        "{} live nodes found all {NODES} values after {} stopped, in {:?}",
        alive.len(),
        stopped.len(),
        started.elapsed()
    );
}
