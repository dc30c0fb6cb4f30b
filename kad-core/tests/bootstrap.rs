//! A bootstrap that does not give up: a seed's lost answer is asked for again with backoff,
//! the caller sees one result, and a node whose routing table empties joins again by itself.

mod support;

use std::time::Duration;

use kad_core::{Config, ConfigBuilder, QueryId, QueryResult};
use support::{Finished, Net};

fn closest_ids(finished: &Finished) -> Vec<support::Id> {
    match &finished.result {
        QueryResult::Bootstrap { closest } => closest.iter().map(|c| c.id).collect(),
        other => panic!("not a bootstrap: {other:?}"),
    }
}

fn bootstraps(net: &Net) -> usize {
    net.finished
        .iter()
        .filter(|f| matches!(f.result, QueryResult::Bootstrap { .. }))
        .count()
}

/// A network of two nodes where the second starts to bootstrap through the first, which is
/// silent: (the network, the seed, the joiner, the bootstrap's query id).
fn join_through_silent_seed(seed_value: u64, config: Config) -> (Net, u32, u32, QueryId) {
    let mut net = Net::new(seed_value, config);
    let seed = net.add_node();
    let joiner = net.add_node();
    net.dead.insert(seed);
    let now = net.now;
    let q = net.node(joiner).bootstrap(now, [seed]).unwrap();
    net.flush(joiner);
    (net, seed, joiner, q)
}

/// A node joined through a seed, with contacts silent for 30 s checked: (the network, the
/// seed, the joiner).
fn joined_pair(config: ConfigBuilder) -> (Net, u32, u32) {
    let config = config
        .peer_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut net = Net::new(3, config);
    let seed = net.add_node();
    let joiner = net.add_node();
    net.join(joiner, seed);
    (net, seed, joiner)
}

#[test]
fn a_seed_that_answers_late_is_asked_again_and_the_bootstrap_succeeds() {
    let (mut net, seed, joiner, q) = join_through_silent_seed(1, Config::default());
    // The first attempt times out after 3 s and is tried again at once; the second times
    // out at 6 s, and the third waits 1 s more.
    net.run_for(Duration::from_millis(6_500));
    assert_eq!(bootstraps(&net), 0, "no result while attempts are left");
    assert_eq!(net.node(joiner).stats().bootstrap_retries, 2);
    assert!(
        !net.node(joiner).is_bootstrapping(),
        "waiting for the next attempt"
    );

    net.dead.remove(&seed);
    let finished = net.run_until_finished(joiner, q);
    assert_eq!(closest_ids(&finished), vec![*net.nodes[seed as usize].id()]);
    assert!(finished.stats.duration >= Duration::from_secs(7));
    assert_eq!(finished.stats.failures, 2, "the lost attempts are counted");
    assert_eq!(net.node(joiner).routing_table().len(), 1);
    assert!(!net.node(joiner).is_bootstrapping());
}

#[test]
fn a_dead_seed_is_tried_again_at_once_then_with_doubling_waits() {
    let config = Config::builder().bootstrap_attempts(4).build().unwrap();
    let (mut net, _, joiner, q) = join_through_silent_seed(2, config);
    let finished = net.run_until_finished(joiner, q);
    assert!(closest_ids(&finished).is_empty());
    // Four request timeouts of 3 s; the first retry at once, then waits of 1 and 2 s.
    assert_eq!(finished.stats.duration, Duration::from_secs(4 * 3 + 1 + 2));
    assert_eq!(finished.stats.requests, 4);
    assert_eq!(finished.stats.failures, 4);
    assert_eq!(net.node(joiner).stats().bootstrap_retries, 3);
    net.run_for(Duration::from_secs(60));
    assert_eq!(bootstraps(&net), 0, "one result for all the attempts");
}

#[test]
fn a_node_whose_table_empties_bootstraps_again_through_its_seeds() {
    let (mut net, seed, joiner) = joined_pair(Config::builder());
    assert_eq!(net.node(joiner).routing_table().len(), 1);

    // The seed goes silent: the liveness check after the peer timeout removes it.
    net.dead.insert(seed);
    net.run_for(Duration::from_secs(50));
    assert!(net.node(joiner).routing_table().is_empty());
    assert_eq!(net.node(joiner).stats().rebootstraps, 1);

    // It comes back: a later attempt finds it, and no result is reported for a bootstrap
    // nobody asked for.
    net.dead.remove(&seed);
    net.run_for(Duration::from_secs(120));
    assert_eq!(net.node(joiner).routing_table().len(), 1);
    assert_eq!(bootstraps(&net), 0);
}

#[test]
fn without_rebootstrap_an_emptied_table_stays_empty() {
    let (mut net, seed, joiner) = joined_pair(Config::builder().rebootstrap_when_empty(false));
    net.dead.insert(seed);
    net.run_for(Duration::from_secs(50));
    net.dead.remove(&seed);
    net.run_for(Duration::from_secs(120));
    assert!(net.node(joiner).routing_table().is_empty());
    assert_eq!(net.node(joiner).stats().rebootstraps, 0);
}
