//! Routing-table speed: offering contacts, and `closest()` on a table of 10 000 contacts
//! beside a brute-force sort of the same table.
//!
//! Run with `cargo bench -p kad-core --bench routing`.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use kad_core::{Config, Contact, Key, Node};
use rand::rngs::SmallRng;
use rand::SeedableRng;

type Id = Key<20>;

fn table(k: usize, ids: &[Id]) -> Node<u32, Id> {
    let config = Config::builder()
        .k(k)
        .max_queued_events(0)
        .build()
        .expect("valid config");
    let now = Instant::now();
    let mut node = Node::new(Id::new([0x55; 20]), config, 1, now).expect("valid config");
    for (i, id) in ids.iter().enumerate() {
        node.add_contact(now, Contact::new(*id, i as u32));
    }
    node
}

fn bench(c: &mut Criterion) {
    let mut rng = SmallRng::seed_from_u64(42);
    let ids: Vec<Id> = (0..10_000).map(|_| Id::random(&mut rng)).collect();
    let targets: Vec<Id> = (0..256).map(|_| Id::random(&mut rng)).collect();

    c.bench_function("insert 10000 contacts (k=20)", |b| {
        b.iter_batched(|| ids.clone(), |ids| table(20, &ids), BatchSize::LargeInput)
    });

    // k large enough that all 10 000 contacts are kept.
    let big = table(10_000, &ids);
    assert_eq!(big.routing_table().len(), 10_000);
    let mut i = 0;
    c.bench_function("closest(20) in 10000 contacts", |b| {
        b.iter(|| {
            i = (i + 1) % targets.len();
            big.routing_table().closest(&targets[i], 20, None)
        })
    });
    c.bench_function("brute-force sort of 10000 contacts (baseline)", |b| {
        b.iter(|| {
            i = (i + 1) % targets.len();
            let t = targets[i];
            let mut all: Vec<Contact<u32, Id>> = big
                .routing_table()
                .iter()
                .map(|e| e.contact().clone())
                .collect();
            all.sort_by_key(|c| c.id.distance(&t));
            all.truncate(20);
            all
        })
    });

    let normal = table(20, &ids);
    c.bench_function(
        &format!(
            "closest(20) in a k=20 table ({} contacts)",
            normal.routing_table().len()
        ),
        |b| {
            b.iter(|| {
                i = (i + 1) % targets.len();
                normal.routing_table().closest(&targets[i], 20, None)
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
