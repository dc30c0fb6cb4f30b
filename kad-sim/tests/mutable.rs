//! Signed mutable records in the simulator: every put publishes the next version, and gets
//! under churn and loss see the newest version put before them; runs stay deterministic.

use std::time::Duration;

use kad_sim::{Records, Scenario, Sessions};

fn scenario(seed: u64) -> Scenario {
    Scenario::default()
        .nodes(300)
        .lookups(400)
        .keys(10)
        .rate(4.0)
        .records(Records::Mutable)
        .settle(Duration::from_secs(600))
        .churn(Sessions::Exponential {
            median: Duration::from_secs(1800),
        })
        .loss(0.05)
        .seed(seed)
}

#[test]
fn gets_after_an_update_see_the_newest_version() {
    let report = scenario(7).run().unwrap();
    let table = report.table();
    let mutable = report.mutable.as_ref().expect("a mutable section");
    assert!(mutable.reads_after_update >= 50, "{table}");
    assert_eq!(
        mutable.newest_after_update, mutable.reads_after_update,
        "{table}"
    );
    assert!(report.network.leaves > 0, "{table}");
    assert_eq!(report.by_kind["get"].success_rate, 1.0, "{table}");
    // Plain runs have no such section.
    let plain = Scenario::default()
        .nodes(100)
        .lookups(20)
        .seed(7)
        .run()
        .unwrap();
    assert!(plain.mutable.is_none());
}

#[test]
fn mutable_runs_are_deterministic() {
    let a = scenario(9).run().unwrap();
    let b = scenario(9).run().unwrap();
    assert_eq!(a.deterministic_json(), b.deterministic_json());
}
