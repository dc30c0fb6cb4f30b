//! Replication to a new contact (paper, section 2.5): it is handed every record for which it
//! is among the k closest nodes, by the old holder nearest to the record's key.

use std::collections::BTreeSet;
use std::time::Instant;

use kad_core::{Body, Config, Contact, Key, Message, Node, Record, Request, Response, Token, TxId};
use proptest::prelude::*;

type Id = Key<20>;

fn request(sender: Id, tx: u64, request: Request<Id>) -> Message<u32, Id> {
    Message {
        tx: TxId::from_u64(tx),
        sender,
        body: Body::Request(request),
    }
}

/// The keys a node with id `local`, holding `keys` and offered `table`, hands to `newcomer`,
/// with the contacts its routing table kept of `table`; `None` if `newcomer` found no room.
fn handed_over(
    local: Id,
    table: &[Id],
    keys: &[Id],
    newcomer: Id,
    k: usize,
) -> Option<(BTreeSet<Id>, Vec<Id>)> {
    let now = Instant::now();
    let config = Config::builder().k(k).build().expect("valid");
    let mut n: Node<u32, Id> = Node::new(local, config, 1, now).expect("valid");
    // The records come as STOREs from another node, with the token a FIND_NODE gave it.
    n.handle_message(
        now,
        999,
        request(Key::new([0xee; 20]), 0, Request::find_node(local)),
    );
    let token = std::iter::from_fn(|| n.poll_transmit())
        .find_map(|t| match t.message.body {
            Body::Response(Response::Nodes { token, .. }) => Some(token),
            _ => None,
        })
        .expect("a token");
    for (i, key) in keys.iter().enumerate() {
        let store = Request::Store {
            key: *key,
            record: Record::Plain(vec![1]),
            ttl_secs: 3600,
            token,
            cas: None,
        };
        n.handle_message(now, 999, request(Key::new([0xee; 20]), i as u64 + 1, store));
    }
    for (i, id) in table.iter().enumerate() {
        n.add_contact(now, Contact::new(*id, 1 + i as u32));
    }
    while n.poll_transmit().is_some() {}
    let kept: Vec<Id> = n.routing_table().iter().map(|e| e.contact().id).collect();
    let addr = 10_000;
    n.add_contact(now, Contact::new(newcomer, addr));
    if !n.routing_table().contains(&newcomer) {
        return None;
    }
    // It is asked for a token first, then handed the records.
    let mut handed = BTreeSet::new();
    while let Some(t) = n.poll_transmit() {
        match t.message.body {
            Body::Request(Request::FindNode { .. }) if t.to == addr => {
                let answer = Message {
                    tx: t.message.tx,
                    sender: newcomer,
                    body: Body::Response(Response::Nodes {
                        contacts: vec![],
                        token: Token::default(),
                    }),
                };
                n.handle_message(now, addr, answer);
            }
            Body::Request(Request::Store { key, .. }) if t.to == addr => {
                handed.insert(key);
            }
            _ => {}
        }
    }
    Some((handed, kept))
}

/// The rule, worked out from the ids alone.
fn expected(local: Id, table: &[Id], keys: &[Id], newcomer: Id, k: usize) -> BTreeSet<Id> {
    keys.iter()
        .copied()
        .filter(|key| {
            let own = local.distance(key);
            let small = table.len() + 1 < k; // the newcomer included
            let closest_holder = small || table.iter().all(|c| c.distance(key) > own);
            let theirs = newcomer.distance(key);
            let closer = table
                .iter()
                .chain([&local])
                .filter(|c| c.distance(key) < theirs)
                .count();
            closest_holder && closer < k
        })
        .collect()
}

fn id() -> impl Strategy<Value = Id> {
    any::<[u8; 20]>().prop_map(Key::new)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_new_contact_gets_exactly_the_records_it_is_among_the_k_closest_for(
        local in id(),
        table in prop::collection::btree_set(id(), 0..12),
        keys in prop::collection::btree_set(id(), 1..30),
        newcomer in id(),
        k in 2usize..6,
    ) {
        let table: Vec<Id> = table.into_iter().filter(|c| *c != local && *c != newcomer).collect();
        let keys: Vec<Id> = keys.into_iter().collect();
        prop_assume!(newcomer != local);
        let outcome = handed_over(local, &table, &keys, newcomer, k);
        prop_assume!(outcome.is_some(), "no room for the newcomer");
        if let Some((handed, kept)) = outcome {
            // The table as it is: a full bucket keeps only some of `table`.
            prop_assert_eq!(handed, expected(local, &kept, &keys, newcomer, k));
        }
    }
}

#[test]
fn in_a_network_smaller_than_k_a_newcomer_gets_every_record_even_farther_ones() {
    let local = Key::new([0; 20]);
    // Keys next to the local id: the newcomer, far away, is farther from all of them.
    let keys: Vec<Id> = (1..=10u8)
        .map(|i| {
            let mut b = [0; 20];
            b[19] = i;
            Key::new(b)
        })
        .collect();
    let newcomer = Key::new([0xff; 20]);
    let handed = handed_over(local, &[], &keys, newcomer, 20);
    assert_eq!(handed.map(|(h, _)| h.len()), Some(keys.len()));
}
