//! Adversarial nodes in the simulator: liars hand out only each other and wrong values, and
//! the report counts only what honest nodes would accept as right; kad-core's subnet rules
//! bound how much of an honest routing table one /24 of them takes.

use kad_sim::{Behavior, Placement, Report, Scenario};

fn run_placed(fraction: f64, behavior: Behavior, subnets: u32, placement: Placement) -> Report {
    Scenario::default()
        .nodes(400)
        .lookups(300)
        .keys(50)
        .adversaries(fraction)
        .adversary_placement(placement)
        .adversary_behavior(behavior)
        .adversary_subnets(subnets)
        .seed(7)
        .run()
        .unwrap()
}

fn run(fraction: f64, behavior: Behavior, subnets: u32) -> Report {
    run_placed(fraction, behavior, subnets, Placement::Random)
}

#[test]
fn without_adversaries_there_is_no_adversarial_section() {
    let report = run(0.0, Behavior::Lie, 1);
    assert!(report.adversarial.is_none());
    assert_eq!(
        report.by_kind["get"].success_rate,
        1.0,
        "{}",
        report.table()
    );
    assert_eq!(report.by_kind["find_node"].success_rate, 1.0);
}

#[test]
fn liars_make_gets_return_wrong_values_and_find_nodes_miss_honest_nodes() {
    let report = run(0.2, Behavior::Lie, 16);
    let table = report.table();
    let adversarial = report.adversarial.as_ref().expect("adversaries");
    assert!(adversarial.created > 50, "{table}");
    assert!(adversarial.requests > 0, "{table}");
    assert!(adversarial.wrong_values > 0, "{table}");
    let get = &report.by_kind["get"];
    assert!(get.success_rate < 1.0, "{table}");
    // A wrong value counts as a failed get, never as a success.
    assert!(get.failed >= adversarial.wrong_values, "{table}");
    let find_node = &report.by_kind["find_node"];
    assert!(find_node.recall.is_some_and(|r| r < 1.0), "{table}");
}

#[test]
fn one_subnet_of_liars_gets_at_most_ten_slots_of_a_table() {
    let report = run(0.3, Behavior::Lie, 1);
    let adversarial = report.adversarial.as_ref().expect("adversaries");
    let max_share = 10.0 / report.routing.contacts.mean;
    assert!(adversarial.share_of_tables > 0.0, "{}", report.table());
    assert!(
        adversarial.share_of_tables <= max_share,
        "{}",
        report.table()
    );
    // Spread over 16 subnets, the same liars take more of the tables.
    let spread = run(0.3, Behavior::Lie, 16);
    let spread_share = spread
        .adversarial
        .as_ref()
        .expect("adversaries")
        .share_of_tables;
    assert!(
        spread_share > adversarial.share_of_tables,
        "{}",
        spread.table()
    );
}

#[test]
fn adversaries_that_drop_everything_never_enter_a_routing_table() {
    let report = run(0.2, Behavior::Drop, 16);
    let adversarial = report.adversarial.as_ref().expect("adversaries");
    assert_eq!(adversarial.share_of_tables, 0.0, "{}", report.table());
    assert_eq!(adversarial.wrong_values, 0);
    assert_eq!(
        report.by_kind["get"].success_rate,
        1.0,
        "{}",
        report.table()
    );
}

#[test]
fn adversaries_placed_near_keys_eclipse_them() {
    let placement = Placement::Near { keys: 4 };
    let report = run_placed(0.04, Behavior::Lie, 4, placement);
    let table = report.table();
    let adversarial = report.adversarial.as_ref().expect("adversaries");
    assert_eq!(adversarial.created, 16, "{table}");
    // Every get is of an attacked key, whose closest nodes are now all liars: some gets
    // return their value (most still meet an honest holder first on a single path).
    assert!(adversarial.wrong_values > 0, "{table}");
    assert!(report.by_kind["get"].success_rate < 1.0, "{table}");
    // Lookups for other ids hardly meet them.
    assert!(
        report.by_kind["find_node"].recall.is_some_and(|r| r > 0.95),
        "{table}"
    );
    assert_eq!("near:4".parse::<Placement>(), Ok(placement));
    assert!("near:0".parse::<Placement>().is_err());
}

/// S/Kademlia's disjoint paths: with a fifth of the nodes lying (in 16 /24s), one path lets
/// about one get in ten return a liar's value; over eight paths the liars would have to
/// fool more paths than stay honest, and hardly any get returns a wrong value. In 500 nodes
/// the eight paths are not always disjoint enough: over seeds 1 to 30 of this scenario
/// about one get in a thousand still did (1 of the 131 here), so the bound is one in a
/// hundred, ten times below a single path's.
#[test]
fn disjoint_paths_get_the_right_value_past_liars() {
    let gets = |paths: usize| {
        let report = Scenario::default()
            .nodes(500)
            .lookups(300)
            .keys(50)
            .adversaries(0.2)
            .adversary_subnets(16)
            .disjoint_paths(paths)
            .seed(7)
            .run()
            .unwrap();
        (report.by_kind["get"].success_rate, report.table())
    };
    let (one, table) = gets(1);
    assert!(one < 0.95, "{table}");
    let (eight, table) = gets(8);
    assert!(eight >= 0.99, "{table}");
}

#[test]
fn eclipsing_adversaries_push_into_more_honest_tables_than_liars() {
    let lie = run(0.2, Behavior::Lie, 16);
    let eclipse = run(0.2, Behavior::Eclipse, 16);
    let share = |r: &Report| r.adversarial.as_ref().expect("adversaries").share_of_tables;
    assert!(
        eclipse.adversarial.as_ref().is_some_and(|a| a.pushes > 0),
        "{}",
        eclipse.table()
    );
    assert!(
        share(&eclipse) > share(&lie),
        "{}\n{}",
        lie.table(),
        eclipse.table()
    );
    assert_eq!("eclipse".parse::<Behavior>(), Ok(Behavior::Eclipse));
}
