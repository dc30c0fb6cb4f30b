//! Invariants of the routing table and the XOR metric, under arbitrary inputs.

use std::time::{Duration, Instant};

use kad_core::{Body, Config, Contact, Key, KeyType, Message, Node, Request, TxId};
use proptest::prelude::*;

type Id = Key<20>;

#[derive(Clone, Debug)]
enum Op {
    /// A request arrives from the node with this id, at this address.
    Hear(Id, u32),
    /// Time passes (requests time out, maintenance runs).
    Wait(u64),
}

fn key() -> impl Strategy<Value = Id> {
    // Few distinct first bytes so that buckets fill up and evictions happen.
    (0u8..4, any::<[u8; 19]>()).prop_map(|(first, rest)| {
        let mut b = [0u8; 20];
        b[0] = first << 6;
        b[1..].copy_from_slice(&rest);
        Id::new(b)
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (key(), 0u32..64).prop_map(|(k, a)| Op::Hear(k, a)),
        1 => (1u64..2000).prop_map(Op::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn routing_table_invariants_hold(ops in prop::collection::vec(op(), 1..300), local in key()) {
        let k = 4;
        let config = Config::builder().k(k).build().unwrap();
        let start = Instant::now();
        let mut now = start;
        let mut node = Node::new(local, config, 7, now).unwrap();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Op::Hear(id, addr) => {
                    let msg = Message {
                        tx: TxId::from_u64(i as u64),
                        sender: id,
                        body: Body::Request(Request::Ping),
                    };
                    node.handle_message(now, addr, msg);
                }
                Op::Wait(secs) => {
                    now += Duration::from_secs(secs);
                    node.handle_timeout(now);
                }
            }
            while node.poll_transmit().is_some() {}
            while node.poll_event().is_some() {}
            let table = node.routing_table();
            let mut seen = std::collections::HashSet::new();
            let mut count = 0;
            for b in 0..table.bucket_count() {
                let bucket = table.bucket(b);
                prop_assert!(bucket.len() <= k, "bucket {} holds {}", b, bucket.len());
                for e in bucket {
                    let id = e.contact().id;
                    prop_assert!(id != local, "own id in the table");
                    prop_assert!(seen.insert(id), "duplicate contact");
                    prop_assert_eq!(local.shared_prefix_len(&id), b);
                    count += 1;
                }
                let times: Vec<Instant> = bucket.iter().map(|e| e.last_seen()).collect();
                prop_assert!(times.windows(2).all(|w| w[0] <= w[1]), "bucket not ordered by last seen");
            }
            prop_assert_eq!(count, table.len());
        }
    }

    #[test]
    fn closest_matches_brute_force(ids in prop::collection::vec(any::<[u8; 20]>(), 0..300),
                                   local in any::<[u8; 20]>(),
                                   target in any::<[u8; 20]>(),
                                   n in 0usize..40) {
        let now = Instant::now();
        let mut node: Node<u32, Id> = Node::new(Id::new(local), Config::default(), 1, now).unwrap();
        for (i, id) in ids.iter().enumerate() {
            node.add_contact(now, Contact::new(Id::new(*id), i as u32));
        }
        let target = Id::new(target);
        let table = node.routing_table();
        let mut all: Vec<Id> = table.iter().map(|e| e.contact().id).collect();
        all.sort_by_key(|id| id.distance(&target));
        all.truncate(n);
        let got: Vec<Id> = table.closest(&target, n, None).into_iter().map(|c| c.id).collect();
        prop_assert_eq!(got, all);
    }

    #[test]
    fn closest_matches_brute_force_near_the_local_id(
        ids in prop::collection::vec((any::<[u8; 20]>(), 0usize..160), 0..300),
        local in any::<[u8; 20]>(),
        target in (any::<[u8; 20]>(), 0usize..=160),
        n in 0usize..40,
        exclude in any::<prop::sample::Index>(),
    ) {
        // Ids and targets that share a random number of leading bits with the local id, so
        // that every bucket is populated and targets fall deep in the table too.
        let near = |(bytes, shared): ([u8; 20], usize)| {
            let mut id = local;
            for bit in shared..160 {
                let flip = bit == shared || bytes[bit / 8] & (0x80 >> (bit % 8)) != 0;
                if flip {
                    id[bit / 8] ^= 0x80 >> (bit % 8);
                }
            }
            Id::new(id)
        };
        let now = Instant::now();
        let mut node: Node<u32, Id> = Node::new(Id::new(local), Config::default(), 1, now).unwrap();
        for (i, id) in ids.iter().enumerate() {
            node.add_contact(now, Contact::new(near(*id), i as u32));
        }
        let target = if target.1 == 160 { Id::new(local) } else { near(target) };
        let table = node.routing_table();
        let mut all: Vec<Id> = table.iter().map(|e| e.contact().id).collect();
        let excluded = (!all.is_empty()).then(|| all[exclude.index(all.len())]);
        all.retain(|id| Some(*id) != excluded);
        all.sort_by_key(|id| id.distance(&target));
        all.truncate(n);
        let got: Vec<Id> = table
            .closest(&target, n, excluded.as_ref())
            .into_iter()
            .map(|c| c.id)
            .collect();
        prop_assert_eq!(got, all);
    }

    #[test]
    fn xor_is_a_metric(a in any::<[u8; 8]>(), b in any::<[u8; 8]>(), c in any::<[u8; 8]>()) {
        let (a, b, c) = (Key::new(a), Key::new(b), Key::new(c));
        let num = |d: kad_core::Distance<8>| u128::from(u64::from_be_bytes(*d.as_bytes()));
        prop_assert_eq!(num(a.distance(&a)), 0);
        prop_assert_eq!(a.distance(&b), b.distance(&a));
        prop_assert!(num(a.distance(&c)) <= num(a.distance(&b)) + num(b.distance(&c)));
        if a != b {
            prop_assert!(num(a.distance(&b)) > 0);
        }
    }

    #[test]
    fn xor_distance_composes(a in any::<[u8; 20]>(), b in any::<[u8; 20]>(), c in any::<[u8; 20]>()) {
        let (a, b, c): (Id, Id, Id) = (Key::new(a), Key::new(b), Key::new(c));
        let ab = a.distance(&b);
        let bc = b.distance(&c);
        let mut x = [0u8; 20];
        for (i, byte) in x.iter_mut().enumerate() {
            *byte = ab.as_bytes()[i] ^ bc.as_bytes()[i];
        }
        // d(a,c) = d(a,b) xor d(b,c), and x xor y <= x + y: the triangle inequality.
        prop_assert_eq!(*a.distance(&c).as_bytes(), x);
        // Unidirectionality: for a given a and distance there is exactly one b.
        prop_assert_eq!(a.distance(&b) == a.distance(&c), b == c);
    }

    #[test]
    fn random_keys_fall_in_the_requested_bucket(local in any::<[u8; 32]>(), bucket in 0usize..256, seed in any::<u64>()) {
        use rand::SeedableRng;
        let local: Key<32> = Key::new(local);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        let k = local.random_in_bucket(bucket, &mut rng).unwrap();
        prop_assert_eq!(KeyType::shared_prefix_len(&local, &k), bucket);
    }
}
