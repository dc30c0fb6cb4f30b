//! The same scenario and seed give byte-identical reports; another seed gives another run.

use std::time::Duration;

use kad_sim::{KeyDistribution, Scenario, Sessions};

/// A small scenario that exercises every source of randomness: ids, latency jitter, loss,
/// churn, the operation mix and Zipf key popularity.
fn scenario(seed: u64) -> Scenario {
    Scenario::default()
        .nodes(300)
        .lookups(150)
        .keys(50)
        .key_distribution(KeyDistribution::Zipf { exponent: 1.0 })
        .settle(Duration::from_secs(120))
        .churn(Sessions::Exponential {
            median: Duration::from_secs(600),
        })
        .loss(0.05)
        .seed(seed)
}

#[test]
fn same_seed_gives_identical_json() {
    let a = scenario(7).run().unwrap();
    let b = scenario(7).run().unwrap();
    // The wall-clock section (time, events per second, memory) is left out on purpose.
    assert_eq!(a.deterministic_json(), b.deterministic_json());
    assert_eq!(a.samples, b.samples);
    // The run did exercise churn and loss.
    assert!(a.network.leaves > 0, "{}", a.table());
    assert!(a.network.messages_lost > 0);
    assert_eq!(a.lookups.issued, 150);

    let c = scenario(8).run().unwrap();
    assert_ne!(a.deterministic_json(), c.deterministic_json());
}

#[test]
fn adversaries_are_deterministic_too() {
    let with = |seed| {
        scenario(seed)
            .adversaries(0.2)
            .adversary_subnets(4)
            .disjoint_paths(2)
            .run()
            .unwrap()
    };
    let a = with(7);
    let b = with(7);
    assert_eq!(a.deterministic_json(), b.deterministic_json());
    let json: serde_json::Value = serde_json::from_str(&a.deterministic_json()).unwrap();
    assert!(
        json["adversarial"]["created"].as_u64() > Some(0),
        "{}",
        a.table()
    );
    assert_ne!(a.deterministic_json(), with(8).deterministic_json());
}

#[test]
fn full_json_has_the_wall_section_apart() {
    let report = Scenario::default()
        .nodes(50)
        .lookups(10)
        .keys(5)
        .run()
        .unwrap();
    let full: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let det: serde_json::Value = serde_json::from_str(&report.deterministic_json()).unwrap();
    assert!(full.get("wall").is_some());
    assert!(det.get("wall").is_none());
    assert_eq!(full.get("lookups"), det.get("lookups"));
}
