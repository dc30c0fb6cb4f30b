//! One full FIND_NODE lookup in a 1 000-node in-memory network: lookups per second of the
//! protocol logic alone (every message of the lookup, on every node it touches).
//!
//! Run with `cargo bench -p kad-core --bench lookup`.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kad_core::Config;

fn bench(c: &mut Criterion) {
    let mut net = support::Net::build(1, Config::default(), 1000);
    let mut group = c.benchmark_group("lookup");
    group.throughput(Throughput::Elements(1));
    group.bench_function("find_node in 1000 nodes", |b| {
        b.iter(|| {
            let from = net.random_live();
            let target = net.random_key();
            net.find_node(from, target)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
