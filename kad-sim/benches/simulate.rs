//! Simulation speed: a whole small scenario (joins, preload, lookups) per iteration. The
//! command line reports events per second for any size; this bench tracks regressions.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use kad_sim::Scenario;

fn scenario(refresh: bool) -> Scenario {
    let mut s = Scenario::default()
        .nodes(2000)
        .lookups(500)
        .keys(100)
        .settle(Duration::from_secs(10));
    s.node.bootstrap_refresh = refresh;
    s
}

fn simulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate_2000_nodes");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for refresh in [false, true] {
        let name = if refresh {
            "bootstrap_refresh"
        } else {
            "self_lookup_only"
        };
        let s = scenario(refresh);
        group.bench_function(name, |b| b.iter(|| s.run().map(|r| r.network.events)));
    }
    group.finish();
}

criterion_group!(benches, simulate);
criterion_main!(benches);
