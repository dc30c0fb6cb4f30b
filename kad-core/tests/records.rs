//! Records users can trust: the validator refuses forged and mismatched records wherever they
//! arrive (STORE, a get's answers, caching), a mutable record is only ever replaced by a newer
//! one, compare-and-swap reports a newer version, and a mutable get returns the newest version
//! it hears and writes it back to the closest nodes that held an older one.

mod support;

use std::time::Instant;

use kad_core::{
    immutable_key, Body, CommandError, Config, Event, Hasher, Invalid, Key, Keypair, Message,
    MutableRecord, Node, QueryResult, Record, RecordKind, RecordRules, Request, Response,
    Sha1Hasher, Signature, SignedError, StoreOutcome, Token, TxId, Validator,
};
use proptest::prelude::*;
use support::{Id, Net};

fn hasher() -> Sha1Hasher {
    Sha1Hasher::new()
}

fn node(now: Instant) -> Node<u32, Id> {
    Node::new(Key::new([0x10; 20]), Config::default(), 1, now)
        .unwrap()
        .with_validator(std::sync::Arc::new(RecordRules::new(hasher())))
}

fn keys() -> Keypair {
    Keypair::from_secret_bytes([7; 32])
}

fn version(seq: u64, value: &[u8]) -> Record {
    Record::from(MutableRecord::sign(&keys(), b"salt", seq, value.to_vec()).unwrap())
}

fn mutable_key() -> Id {
    kad_core::mutable_key(&hasher(), &keys().public(), b"salt")
}

fn forged(seq: u64) -> Record {
    match version(seq, b"forged") {
        Record::Mutable(m) => Record::from(MutableRecord {
            signature: Signature::from_bytes([9; 64]),
            ..*m
        }),
        _ => unreachable!(),
    }
}

fn request(tx: u64, body: Request<Id>) -> Message<u32, Id> {
    Message {
        tx: TxId::from_u64(tx),
        sender: Key::new([0xee; 20]),
        body: Body::Request(body),
    }
}

/// The write token `n` gives address 999.
fn token(n: &mut Node<u32, Id>, now: Instant) -> Token {
    n.handle_message(now, 999, request(1, Request::find_node(Key::new([1; 20]))));
    std::iter::from_fn(|| n.poll_transmit())
        .find_map(|t| match t.message.body {
            Body::Response(Response::Nodes { token, .. }) => Some(token),
            _ => None,
        })
        .expect("a token")
}

/// Sends `n` a STORE of `record` under `key` from address 999; its answer.
fn store(
    n: &mut Node<u32, Id>,
    now: Instant,
    key: Id,
    record: Record,
    cas: Option<u64>,
) -> StoreOutcome {
    let token = token(n, now);
    let store = Request::Store {
        key,
        record,
        ttl_secs: 3600,
        token,
        cas,
    };
    n.handle_message(now, 999, request(2, store));
    std::iter::from_fn(|| n.poll_transmit())
        .find_map(|t| match t.message.body {
            Body::Response(Response::Stored { outcome }) => Some(outcome),
            _ => None,
        })
        .expect("an answer")
}

#[test]
fn forged_and_mismatched_records_are_refused_at_store() {
    let now = Instant::now();
    let mut n = node(now);
    assert_eq!(
        store(&mut n, now, mutable_key(), forged(1), None),
        StoreOutcome::Refused
    );
    let elsewhere = hasher().hash(b"elsewhere");
    assert_eq!(
        store(&mut n, now, elsewhere, version(1, b"v"), None),
        StoreOutcome::Refused
    );
    let content = Record::Immutable(b"content".to_vec());
    assert_eq!(
        store(&mut n, now, elsewhere, content.clone(), None),
        StoreOutcome::Refused
    );
    assert_eq!(n.stats().stores_invalid, 3);
    assert_eq!(n.get_local(now, &elsewhere), None);
    let right = immutable_key(&hasher(), b"content");
    assert_eq!(
        store(&mut n, now, right, content, None),
        StoreOutcome::Accepted
    );
    assert_eq!(
        store(&mut n, now, mutable_key(), version(1, b"v"), None),
        StoreOutcome::Accepted
    );
}

#[test]
fn a_node_without_the_rules_takes_plain_records_only() {
    let now = Instant::now();
    let mut n = Node::new(Key::new([0x10; 20]), Config::default(), 1, now).unwrap();
    let key = immutable_key(&hasher(), b"content");
    let content = Record::Immutable(b"content".to_vec());
    assert_eq!(
        store(&mut n, now, key, content.clone(), None),
        StoreOutcome::Refused
    );
    assert_eq!(
        n.put_record(now, key, content, None),
        Err(CommandError::InvalidRecord(Invalid::KindNotAccepted(
            RecordKind::Immutable
        )))
    );
    assert_eq!(
        store(&mut n, now, key, Record::Plain(b"p".to_vec()), None),
        StoreOutcome::Accepted
    );
}

#[test]
fn an_older_version_never_replaces_a_newer_one() {
    let now = Instant::now();
    let mut n = node(now);
    let key = mutable_key();
    assert_eq!(
        store(&mut n, now, key, version(5, b"five"), None),
        StoreOutcome::Accepted
    );
    for older in [version(4, b"four"), version(5, b"other five")] {
        assert_eq!(
            store(&mut n, now, key, older, None),
            StoreOutcome::Superseded { seq: 5 }
        );
    }
    assert_eq!(n.get_local(now, &key), Some(&b"five"[..]));
    assert_eq!(
        store(&mut n, now, key, version(6, b"six"), None),
        StoreOutcome::Accepted
    );
    assert_eq!(n.get_local(now, &key), Some(&b"six"[..]));
    assert_eq!(n.stats().stores_superseded, 2);
    // Nor locally: a put of an older version is refused at once.
    assert_eq!(
        n.put_record(now, key, version(3, b"three"), None),
        Err(CommandError::Superseded { seq: 6 })
    );
}

#[test]
fn compare_and_swap_refuses_a_writer_who_missed_a_version() {
    let now = Instant::now();
    let mut n = node(now);
    let key = mutable_key();
    store(&mut n, now, key, version(5, b"five"), None);
    // The writer believes 4 is the newest: a newer one (5) is held.
    assert_eq!(
        store(&mut n, now, key, version(6, b"six"), Some(4)),
        StoreOutcome::Superseded { seq: 5 }
    );
    assert_eq!(
        store(&mut n, now, key, version(6, b"six"), Some(5)),
        StoreOutcome::Accepted
    );
    assert_eq!(
        n.put_record(now, key, version(7, b"seven"), Some(5)),
        Err(CommandError::Superseded { seq: 6 })
    );
}

/// A network of 30 nodes (which take every kind of record).
fn network() -> Net {
    Net::build(11, Config::default(), 30)
}

fn put(
    net: &mut Net,
    from: u32,
    key: Id,
    record: Record,
    cas: Option<u64>,
) -> (usize, Option<u64>) {
    let now = net.now;
    let q = net.node(from).put_record(now, key, record, cas).unwrap();
    net.flush(from);
    match net.run_until_finished(from, q).result {
        QueryResult::Put {
            replicas,
            superseded,
            ..
        } => (replicas, superseded),
        other => panic!("{other:?}"),
    }
}

fn get(net: &mut Net, from: u32, key: Id, kind: RecordKind) -> (Option<Record>, usize, usize) {
    let now = net.now;
    let q = net.node(from).get_record(now, key, kind).unwrap();
    net.flush(from);
    match net.run_until_finished(from, q).result {
        QueryResult::Get {
            record,
            holders,
            repaired,
        } => (record, holders, repaired),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_mutable_get_returns_the_newest_version_and_repairs_the_stale_holders() {
    let mut net = network();
    let key = mutable_key();
    let (replicas, _) = put(&mut net, 0, key, version(1, b"one"), None);
    assert!(replicas >= 20, "{replicas}");
    // Some of the closest miss the second version: they were away.
    let holders: Vec<u32> = (1..30)
        .filter(|&n| net.nodes[n as usize].get_local(net.now, &key).is_some())
        .collect();
    let away: Vec<u32> = holders.iter().copied().take(5).collect();
    net.dead.extend(away.iter().copied());
    let (replicas, superseded) = put(&mut net, 0, key, version(2, b"two"), Some(1));
    assert!(replicas >= 15, "{replicas}");
    assert_eq!(superseded, None);
    for n in &away {
        net.dead.remove(n);
        assert_eq!(
            net.nodes[*n as usize].get_local(net.now, &key),
            Some(&b"one"[..])
        );
    }
    // A reader that is none of them hears both versions and returns the newest.
    let reader = (1..30).find(|n| !holders.contains(n)).unwrap_or(29);
    let (record, agreeing, repaired) = get(&mut net, reader, key, RecordKind::Mutable);
    assert_eq!(record, Some(version(2, b"two")));
    assert!(agreeing >= 10, "{agreeing}");
    assert!(repaired >= 1, "{repaired}");
    net.settle();
    let stale = away
        .iter()
        .filter(|&&n| net.nodes[n as usize].get_local(net.now, &key) == Some(&b"one"[..]))
        .count();
    assert!(stale < away.len(), "read repair wrote the newest back");
    assert!(net.nodes[reader as usize].stats().read_repairs >= 1);
}

#[test]
fn a_writer_who_missed_a_version_is_told_by_the_put() {
    let mut net = network();
    let key = mutable_key();
    put(&mut net, 0, key, version(1, b"one"), None);
    put(&mut net, 1, key, version(2, b"two"), Some(1));
    // A node that holds no copy of its own still believes version 1 is the newest.
    let now = net.now;
    let writer = (2..30)
        .find(|&n| net.node(n).get_local_record(now, &key).is_none())
        .expect("20 of 30 nodes hold the record");
    let (_, superseded) = put(&mut net, writer, key, version(3, b"three"), Some(1));
    assert_eq!(superseded, Some(2));
}

#[test]
fn immutable_records_are_found_under_their_hash_only() {
    let mut net = network();
    let key = immutable_key(&hasher(), b"content");
    put(
        &mut net,
        0,
        key,
        Record::Immutable(b"content".to_vec()),
        None,
    );
    let (record, _, _) = get(&mut net, 7, key, RecordKind::Immutable);
    assert_eq!(record, Some(Record::Immutable(b"content".to_vec())));
    // A plain get of the same key does not take it.
    let (record, _, _) = get(&mut net, 8, key, RecordKind::Plain);
    assert_eq!(record, None);
    let now = net.now;
    assert_eq!(
        net.node(0).put_record(
            now,
            hasher().hash(b"other"),
            Record::Immutable(b"content".to_vec()),
            None
        ),
        Err(CommandError::InvalidRecord(Invalid::HashMismatch))
    );
}

#[test]
fn a_forged_value_in_an_answer_is_skipped_and_never_cached() {
    let now = Instant::now();
    let mut n = node(now);
    n.add_contact(now, kad_core::Contact::new(Key::new([0x20; 20]), 0x20));
    n.add_contact(now, kad_core::Contact::new(Key::new([0x30; 20]), 0x30));
    let key = mutable_key();
    let q = n.get_record(now, key, RecordKind::Mutable).unwrap();
    let asked: Vec<_> = std::iter::from_fn(|| n.poll_transmit()).collect();
    assert_eq!(asked.len(), 2);
    // The first answers with a forged record, the second knows nothing.
    for (t, body) in asked.into_iter().zip([
        Response::Value {
            record: forged(9),
            ttl_secs: 3600,
            token: Token::default(),
        },
        Response::Nodes {
            contacts: vec![],
            token: Token::default(),
        },
    ]) {
        let from = t.to;
        let sender = Key::new([from as u8; 20]);
        let answer = Message {
            tx: t.message.tx,
            sender,
            body: Body::Response(body),
        };
        n.handle_message(now, from, answer);
    }
    let result = std::iter::from_fn(|| n.poll_event()).find_map(|e| match e {
        Event::QueryFinished { id, result, .. } if id == q => Some(result),
        _ => None,
    });
    assert!(
        matches!(result, Some(QueryResult::Get { record: None, .. })),
        "{result:?}"
    );
    assert_eq!(n.stats().values_invalid, 1);
    // Nothing is written anywhere.
    let stores = std::iter::from_fn(|| n.poll_transmit())
        .filter(|t| matches!(t.message.body, Body::Request(Request::Store { .. })))
        .count();
    assert_eq!(stores, 0);
}

proptest! {
    #[test]
    fn what_is_signed_verifies_and_nothing_else_does(
        secret in any::<[u8; 32]>(),
        salt in proptest::collection::vec(any::<u8>(), 0..=64),
        seq in any::<u64>(),
        value in proptest::collection::vec(any::<u8>(), 0..=900),
        flip in any::<usize>(),
    ) {
        let keys = Keypair::from_secret_bytes(secret);
        let record = MutableRecord::sign(&keys, &salt, seq, value.clone()).unwrap();
        prop_assert_eq!(record.verify(), Ok(()));
        prop_assert_eq!(record.public_key, keys.public());
        let key = record.key(&hasher());
        prop_assert_eq!(RecordRules::new(hasher()).validate(&key, &Record::from(record.clone())), Ok(()));
        // Any bit flipped in the signature breaks it.
        let mut bytes = *record.signature.as_bytes();
        bytes[flip % 64] ^= 1 << (flip % 8);
        let broken = MutableRecord { signature: Signature::from_bytes(bytes), ..record.clone() };
        prop_assert_eq!(broken.verify(), Err(SignedError::BadSignature));
        // So does any other sequence number.
        let replayed = MutableRecord { seq: seq.wrapping_add(1), ..record };
        prop_assert_eq!(replayed.verify(), Err(SignedError::BadSignature));
    }
}

fn put_mutable(net: &mut Net, from: u32, value: &[u8], cas: Option<u64>) -> QueryResult<u32, Id> {
    let now = net.now;
    let q = net
        .node(from)
        .put_mutable(now, mutable_key(), &keys(), b"salt", value.to_vec(), cas)
        .unwrap();
    net.flush(from);
    net.run_until_finished(from, q).result
}

#[test]
fn put_mutable_signs_the_version_after_the_newest_it_finds() {
    let mut net = network();
    let first = put_mutable(&mut net, 0, b"one", None);
    assert!(
        matches!(first, QueryResult::Put { replicas, superseded: None, seq: Some(1) } if replicas >= 20),
        "{first:?}"
    );
    // Another node with the same key pair finds version 1 and signs version 2.
    let second = put_mutable(&mut net, 5, b"two", Some(1));
    assert!(
        matches!(
            second,
            QueryResult::Put {
                superseded: None,
                seq: Some(2),
                ..
            }
        ),
        "{second:?}"
    );
    // A writer who still believes version 1 is the newest is told, and stores nothing: at
    // once if it holds version 2 itself, after the lookup otherwise.
    let now = net.now;
    let (holder, other): (Vec<u32>, Vec<u32>) = (1..30).partition(|&n| {
        net.nodes[n as usize]
            .get_local(now, &mutable_key())
            .is_some()
    });
    let refused = net.node(holder[0]).put_mutable(
        now,
        mutable_key(),
        &keys(),
        b"salt",
        b"late".to_vec(),
        Some(1),
    );
    assert_eq!(refused, Err(CommandError::Superseded { seq: 2 }));
    let stale = put_mutable(&mut net, other[0], b"late", Some(1));
    assert_eq!(
        stale,
        QueryResult::Put {
            replicas: 0,
            superseded: Some(2),
            seq: None
        }
    );
    let (record, _, _) = get(&mut net, 12, mutable_key(), RecordKind::Mutable);
    assert_eq!(record.map(Record::into_value), Some(b"two".to_vec()));
}

#[test]
fn the_largest_mutable_record_is_answered_in_full() {
    let mut net = network();
    let salt = [7u8; kad_core::MAX_SALT];
    let value = vec![1u8; kad_core::MAX_MUTABLE_VALUE - salt.len()];
    let key = kad_core::mutable_key(&hasher(), &keys().public(), &salt);
    let now = net.now;
    let q = net
        .node(0)
        .put_mutable(now, key, &keys(), &salt, value.clone(), None)
        .unwrap();
    net.flush(0);
    net.run_until_finished(0, q);
    // Every answer to a request is held to three times its size: a mutable get pads its
    // requests for the largest record.
    let reader = (1..30)
        .find(|&n| net.nodes[n as usize].get_local(net.now, &key).is_none())
        .expect("a node without a copy");
    let (record, holders, _) = get(&mut net, reader, key, RecordKind::Mutable);
    assert_eq!(record.map(Record::into_value), Some(value));
    assert!(holders >= 10, "{holders}");
}

#[test]
fn a_plain_store_never_replaces_a_record_that_proves_itself() {
    let now = Instant::now();
    let mut n = node(now);
    let key = immutable_key(&hasher(), b"content");
    let content = Record::Immutable(b"content".to_vec());
    assert_eq!(
        store(&mut n, now, key, content, None),
        StoreOutcome::Accepted
    );
    let squatter = Record::Plain(b"squatter".to_vec());
    assert_eq!(
        store(&mut n, now, key, squatter.clone(), None),
        StoreOutcome::Refused
    );
    assert_eq!(
        store(&mut n, now, mutable_key(), version(1, b"v"), None),
        StoreOutcome::Accepted
    );
    assert_eq!(
        store(&mut n, now, mutable_key(), squatter, None),
        StoreOutcome::Superseded { seq: 1 }
    );
    assert_eq!(n.get_local(now, &key), Some(&b"content"[..]));
    assert_eq!(n.get_local(now, &mutable_key()), Some(&b"v"[..]));
}

#[test]
fn older_versions_are_refused_before_any_signature_is_checked() {
    let now = Instant::now();
    // One signature check a second for strangers.
    let config = Config::builder().signature_check_rate(1).build().unwrap();
    let mut n = Node::new(Key::new([0x10; 20]), config, 1, now)
        .unwrap()
        .with_validator(std::sync::Arc::new(RecordRules::new(hasher())));
    let key = mutable_key();
    assert_eq!(
        store(&mut n, now, key, version(5, b"five"), None),
        StoreOutcome::Accepted
    );
    // A forged older version: refused as older, its signature never looked at.
    assert_eq!(
        store(&mut n, now, key, forged(3), None),
        StoreOutcome::Superseded { seq: 5 }
    );
    assert_eq!(n.stats().stores_invalid, 0);
    // The same record again needs no check either.
    assert_eq!(
        store(&mut n, now, key, version(5, b"five"), None),
        StoreOutcome::Accepted
    );
    // A newer one would need a check, and the second's budget is spent.
    assert_eq!(
        store(&mut n, now, key, version(6, b"six"), None),
        StoreOutcome::Refused
    );
    assert_eq!(n.stats().stores_check_limited, 1);
    let later = now + std::time::Duration::from_secs(1);
    assert_eq!(
        store(&mut n, later, key, version(6, b"six"), None),
        StoreOutcome::Accepted
    );
}

#[test]
fn no_version_can_follow_the_last_sequence_number() {
    let now = Instant::now();
    let mut n = node(now);
    let q = n
        .put_mutable(
            now,
            mutable_key(),
            &keys(),
            b"salt",
            b"v".to_vec(),
            Some(u64::MAX),
        )
        .unwrap();
    let result = std::iter::from_fn(|| n.poll_event()).find_map(|e| match e {
        Event::QueryFinished { id, result, .. } if id == q => Some(result),
        _ => None,
    });
    assert_eq!(
        result,
        Some(QueryResult::Put {
            replicas: 0,
            superseded: Some(u64::MAX),
            seq: None
        })
    );
    assert_eq!(n.get_local(now, &mutable_key()), None);
}

#[test]
fn two_puts_of_one_node_at_once_sign_two_versions() {
    let now = Instant::now();
    let mut n = node(now);
    n.add_contact(now, kad_core::Contact::new(Key::new([0x20; 20]), 0x20));
    let key = mutable_key();
    let mut put = |value: &[u8]| {
        n.put_mutable(now, key, &keys(), b"salt", value.to_vec(), None)
            .unwrap();
        let asked = std::iter::from_fn(|| n.poll_transmit()).next().unwrap();
        asked.message.tx
    };
    let tx_a = put(b"A");
    let tx_b = put(b"B");
    // The one contact knows nothing, and answers A first, then B.
    for tx in [tx_a, tx_b] {
        let answer = Message {
            tx,
            sender: Key::new([0x20; 20]),
            body: Body::Response(Response::Nodes {
                contacts: vec![],
                token: Token::default(),
            }),
        };
        n.handle_message(now, 0x20, answer);
    }
    let seqs: Vec<_> = std::iter::from_fn(|| n.poll_transmit())
        .filter_map(|t| match t.message.body {
            Body::Request(Request::Store { record, .. }) => record.seq(),
            _ => None,
        })
        .collect();
    // B found no version on the network, but A's was here by then.
    assert_eq!(seqs, [1, 2]);
    assert_eq!(n.get_local(now, &key), Some(&b"B"[..]));
}

#[test]
fn a_liar_with_a_valid_old_version_loses_to_the_newest_and_is_repaired() {
    let now = Instant::now();
    let mut n = node(now);
    for c in [0x20u8, 0x30, 0x40] {
        n.add_contact(now, kad_core::Contact::new(Key::new([c; 20]), u32::from(c)));
    }
    let q = n
        .get_record(now, mutable_key(), RecordKind::Mutable)
        .unwrap();
    let asked: Vec<_> = std::iter::from_fn(|| n.poll_transmit()).collect();
    assert_eq!(asked.len(), 3);
    for t in asked {
        // 0x20 answers first, with version 1 (validly signed, but old).
        let record = match t.to {
            0x20 | 0x40 => version(1, b"old"),
            _ => version(2, b"new"),
        };
        let answer = Message {
            tx: t.message.tx,
            sender: Key::new([t.to as u8; 20]),
            body: Body::Response(Response::Value {
                record,
                ttl_secs: 600,
                token: Token::from_bytes([t.to as u8; 8]),
            }),
        };
        n.handle_message(now, t.to, answer);
    }
    let result = std::iter::from_fn(|| n.poll_event()).find_map(|e| match e {
        Event::QueryFinished { id, result, .. } if id == q => Some(result),
        _ => None,
    });
    assert_eq!(
        result,
        Some(QueryResult::Get {
            record: Some(version(2, b"new")),
            holders: 1,
            repaired: 2,
        })
    );
    // The newest version is written back to both holders of the old one.
    let repairs: Vec<u32> = std::iter::from_fn(|| n.poll_transmit())
        .filter(|t| {
            matches!(&t.message.body, Body::Request(Request::Store { record, .. })
                if *record == version(2, b"new"))
        })
        .map(|t| t.to)
        .collect();
    assert_eq!(repairs, [0x20, 0x40]);
}
