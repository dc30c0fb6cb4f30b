//! Hostile or careless input: a STORE that would clobber a record, a third party lying about
//! addresses, settings that would overflow the clock, a flood of records to hand over.
use kad_core::{
    Body, Config, Contact, Event, Key, Message, Node, Record, Request, Response, Token, TxId,
};
use std::time::{Duration, Instant};

type Id = Key<20>;

fn id(first: u8, last: u8) -> Id {
    let mut b = [0u8; 20];
    b[0] = first;
    b[19] = last;
    Id::new(b)
}
fn req(sender: Id, tx: u64, r: Request<Id>) -> Message<u32, Id> {
    Message {
        tx: TxId::from_u64(tx),
        sender,
        body: Body::Request(r),
    }
}

/// The write token `node` gives requesters (all alike for opaque `u32` addresses), asked
/// for with a FIND_NODE from address 999.
fn token(node: &mut Node<u32, Id>, now: Instant) -> Token {
    node.handle_message(
        now,
        999,
        req(id(0xee, 0xee), 0xee, Request::find_node(id(0, 1))),
    );
    let mut token = None;
    while let Some(t) = node.poll_transmit() {
        if let Body::Response(Response::Nodes { token: given, .. }) = t.message.body {
            token = Some(given);
        }
    }
    token.expect("a FIND_NODE is answered with a token")
}

#[test]
fn durations_that_would_overflow_the_clock_are_refused() {
    let now = Instant::now();
    for set in [
        |c: &mut Config| c.storage_timeout = Duration::MAX,
        |c: &mut Config| c.republish_interval = Duration::MAX,
        |c: &mut Config| c.maintenance_interval = Duration::MAX,
        |c: &mut Config| c.request_timeout = Duration::MAX,
    ] {
        let mut c = Config::default();
        set(&mut c);
        assert!(Node::<u32, Id>::new(id(0, 0), c, 1, now).is_err());
    }
}

#[test]
fn unbounded_max_pending_requests_does_not_panic() {
    let now = Instant::now();
    let c = Config::builder()
        .max_pending_requests(usize::MAX)
        .build()
        .unwrap();
    let mut n: Node<u32, Id> = Node::new(id(0, 0), c, 1, now).unwrap();
    n.ping(now, 7).unwrap(); // `2 * self.max + 16` overflows in pending.rs
}

#[test]
fn a_remote_store_cannot_kill_the_publishers_record() {
    let now = Instant::now();
    let mut n: Node<u32, Id> = Node::new(id(0, 0), Config::default(), 1, now).unwrap();
    let tok = token(&mut n, now);
    let key = id(1, 1);
    n.put(now, key, b"mine".to_vec()).unwrap();
    n.handle_message(
        now,
        5,
        req(
            id(0x80, 5),
            1,
            Request::Store {
                key,
                record: Record::Plain(b"mine".to_vec()),
                ttl_secs: 1,
                token: tok,
                cas: None,
            },
        ),
    );
    let later = now + Duration::from_secs(20);
    n.handle_timeout(later); // maintenance expires it
    assert_eq!(
        n.get_local(later, &key),
        Some(&b"mine"[..]),
        "publisher lost its record to a ttl=1 STORE"
    );
}

#[test]
fn a_remote_store_cannot_replace_the_publishers_value() {
    let now = Instant::now();
    let mut n: Node<u32, Id> = Node::new(id(0, 0), Config::default(), 1, now).unwrap();
    let tok = token(&mut n, now);
    let key = id(1, 1);
    n.put(now, key, b"v2".to_vec()).unwrap();
    // a holder that missed the update republishes the old value
    n.handle_message(
        now,
        5,
        req(
            id(0x80, 5),
            1,
            Request::Store {
                key,
                record: Record::Plain(b"v1".to_vec()),
                ttl_secs: 3000,
                token: tok,
                cas: None,
            },
        ),
    );
    assert_eq!(
        n.get_local(now, &key),
        Some(&b"v2"[..]),
        "publisher will re-put the stale/foreign value"
    );
}

#[test]
fn a_stale_republish_does_not_shorten_a_fresh_record() {
    let now = Instant::now();
    let mut n: Node<u32, Id> = Node::new(id(0, 0), Config::default(), 1, now).unwrap();
    let tok = token(&mut n, now);
    let key = id(1, 1);
    n.handle_message(
        now,
        5,
        req(
            id(0x80, 5),
            1,
            Request::Store {
                key,
                record: Record::Plain(b"v".to_vec()),
                ttl_secs: 3600,
                token: tok,
                cas: None,
            },
        ),
    );
    n.handle_message(
        now,
        6,
        req(
            id(0x80, 6),
            2,
            Request::Store {
                key,
                record: Record::Plain(b"v".to_vec()),
                ttl_secs: 5,
                token: tok,
                cas: None,
            },
        ),
    );
    let later = now + Duration::from_secs(10);
    assert_eq!(n.get_local(later, &key), Some(&b"v"[..]));
}

/// A message claiming a known id from another address must not keep a dead entry alive.
#[test]
fn a_message_from_another_address_does_not_keep_a_dead_contact() {
    let now = Instant::now();
    // Every newcomer to a full bucket has its oldest contact checked.
    let config = Config::builder()
        .k(2)
        .lru_ping_after(Duration::ZERO)
        .build()
        .unwrap();
    let mut node: Node<u32, Id> = Node::new(Id::new([0; 20]), config, 1, now).unwrap();
    for n in 1..=3u8 {
        node.handle_message(now, u32::from(n), req(id(0x80, n), n as u64, Request::Ping));
    }
    while node.poll_transmit().is_some() {}
    // far(1) is dead at address 1 and being checked. Someone at address 66 claims its id.
    node.handle_message(
        now + Duration::from_secs(1),
        66,
        req(id(0x80, 1), 99, Request::Ping),
    );
    node.handle_timeout(now + Duration::from_secs(5));
    let table: Vec<(Id, u32)> = node
        .routing_table()
        .iter()
        .map(|e| (e.contact().id, e.contact().addr))
        .collect();
    assert!(
        !table.contains(&(id(0x80, 1), 1)),
        "dead contact at addr 1 kept: {table:?}"
    );
}

/// Failures are charged to a contact only at the address the table knows it by.
#[test]
fn a_bogus_address_from_a_third_party_does_not_evict_a_good_contact() {
    let mut now = Instant::now();
    let config = Config::builder().k(2).build().unwrap();
    let mut node: Node<u32, Id> = Node::new(Id::new([0; 20]), config, 1, now).unwrap();
    let c1 = id(0x40, 1); // addr 10, honest-ish responder (malicious)
    let c2 = id(0x41, 2); // addr 20, offline
    let x = id(0x80, 3); // addr 30, the victim, alive
    node.add_contact(now, Contact::new(c1, 10));
    node.add_contact(now, Contact::new(c2, 20));
    node.add_contact(now, Contact::new(x, 30));
    let target = id(0x40, 0xff);
    let mut asked_99 = false;
    for _ in 0..3 {
        node.find_node(now, target).unwrap();
        // c1 answers with x at a bogus address; x answers at its real one; c2 is offline.
        for _ in 0..2 {
            while let Some(t) = node.poll_transmit() {
                asked_99 |= t.to == 99;
                let answer = |sender, contacts| Message {
                    tx: t.message.tx,
                    sender,
                    body: Body::Response(Response::Nodes {
                        contacts,
                        token: Token::default(),
                    }),
                };
                match t.to {
                    10 => node.handle_message(now, 10, answer(c1, vec![Contact::new(x, 99)])),
                    30 => node.handle_message(now, 30, answer(x, vec![])),
                    _ => {}
                }
            }
            now += Duration::from_secs(4);
            node.handle_timeout(now);
        }
    }
    assert!(
        !asked_99,
        "the table's address of x is trusted over a third party's"
    );
    let removed: Vec<_> = std::iter::from_fn(|| node.poll_event())
        .filter_map(|e| match e {
            Event::ContactRemoved { contact } => Some(contact),
            _ => None,
        })
        .collect();
    assert!(
        node.routing_table().contains(&x),
        "x (never asked at its real address 30) was evicted; removed = {removed:?}"
    );
}

/// Handing records to new contacts stays within the request bound.
#[test]
fn replication_to_a_new_contact_is_bounded() {
    let now = Instant::now();
    let c = Config::builder().max_records(20_000).build().unwrap();
    let mut n: Node<u32, Id> = Node::new(Id::new([0; 20]), c, 1, now).unwrap();
    let tok = token(&mut n, now);
    let mut rng_state = 0x1234_5678_u64;
    for i in 0..20_000u64 {
        let mut b = [0u8; 20];
        for byte in b.iter_mut() {
            rng_state = rng_state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *byte = (rng_state >> 56) as u8;
        }
        n.handle_message(
            now,
            1,
            req(
                id(0x80, 1),
                i,
                Request::Store {
                    key: Id::new(b),
                    record: Record::Plain(vec![0; 100]),
                    ttl_secs: 3600,
                    token: tok,
                    cas: None,
                },
            ),
        );
    }
    while n.poll_transmit().is_some() {}
    let mut stores = 0usize;
    for j in 0..50u8 {
        // new contacts in otherwise empty buckets
        let mut b = [0u8; 20];
        b[0] = 0x40 | (j & 0x3f);
        b[19] = j;
        n.add_contact(now, Contact::new(Id::new(b), 100 + u32::from(j)));
        // It is asked for its write token first: answer with one.
        while let Some(t) = n.poll_transmit() {
            match t.message.body {
                Body::Request(Request::FindNode { target, .. }) => {
                    let answer = Message {
                        tx: t.message.tx,
                        sender: target,
                        body: Body::Response(Response::Nodes {
                            contacts: vec![],
                            token: Token::default(),
                        }),
                    };
                    n.handle_message(now, t.to, answer);
                }
                Body::Request(Request::Store { .. }) => stores += 1,
                _ => {}
            }
        }
    }
    let s = n.stats();
    assert!(stores > 0, "new closer contacts are handed records");
    assert!(
        s.requests_deferred == 0,
        "replication dropped {} STOREs and filled the pending table",
        s.requests_deferred
    );
}

#[test]
fn remote_stores_cannot_lock_the_node_out_of_publishing() {
    let now = Instant::now();
    let c = Config::builder().max_records(3).build().unwrap();
    let mut n: Node<u32, Id> = Node::new(id(0, 0), c, 1, now).unwrap();
    let tok = token(&mut n, now);
    for i in 0..3u8 {
        let store = Request::Store {
            key: id(0x10, i),
            record: Record::Plain(b"junk".to_vec()),
            ttl_secs: 3600,
            token: tok,
            cas: None,
        };
        n.handle_message(now, 5, req(id(0x80, 5), u64::from(i), store));
    }
    assert_eq!(n.stats().records, 3);
    n.put(now, id(0x01, 1), b"mine".to_vec()).unwrap();
    assert_eq!(n.get_local(now, &id(0x01, 1)), Some(&b"mine"[..]));
    assert_eq!(n.stats().records, 3);
}

/// The transaction ids of the first `n` pings a node sends.
fn ping_txs(node: &mut Node<u32, Id>, n: u32) -> Vec<TxId> {
    let now = Instant::now();
    (0..n)
        .map(|addr| {
            node.ping(now, addr).unwrap();
            node.poll_transmit().unwrap().message.tx
        })
        .collect()
}

#[test]
fn transaction_ids_follow_from_the_secret_alone_never_from_the_id() {
    let now = Instant::now();
    let secret = |byte: u8| [byte; 32];
    let with = |node_id: Id, s: [u8; 32]| -> Node<u32, Id> {
        Node::with_secret(node_id, Config::default(), s, now).unwrap()
    };
    let a = ping_txs(&mut with(id(1, 1), secret(1)), 8);
    // Another secret, same id: other ids. The same secret gives the same ids whatever the
    // node's id, so nothing about them can be learned from the id it announces.
    assert_ne!(a, ping_txs(&mut with(id(1, 1), secret(2)), 8));
    assert_eq!(a, ping_txs(&mut with(id(9, 9), secret(1)), 8));
    // And they are not the ids a node seeded with a small number would use.
    for seed in 0..64 {
        let mut seeded = Node::<u32, Id>::new(id(1, 1), Config::default(), seed, now).unwrap();
        assert_ne!(a, ping_txs(&mut seeded, 8), "seed {seed}");
    }
}
