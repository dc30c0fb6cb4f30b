//! Keeping records on disk without IO in the core: a node reports every change to the
//! records it holds, a driver that applies them holds exactly what the node holds, and the
//! records handed back after a restart are served at once, expired ones dropped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kad_core::{
    Body, Config, Key, Keypair, Message, MutableRecord, Node, Record, RecordChange, RecordRules,
    Request, Response, Sha1Hasher, Token, TxId,
};
use proptest::prelude::*;

type Id = Key<20>;

fn node(now: Instant) -> Node<u32, Id> {
    let config = Config::builder()
        .storage_timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    Node::new(Key::new([0x10; 20]), config, 1, now)
        .unwrap()
        .with_validator(Arc::new(RecordRules::new(Sha1Hasher::new())))
}

fn key(n: u8) -> Id {
    Key::new([n; 20])
}

fn message(tx: u64, body: Request<Id>) -> Message<u32, Id> {
    Message {
        tx: TxId::from_u64(tx),
        sender: Key::new([0xee; 20]),
        body: Body::Request(body),
    }
}

/// Another node stores `value` under `key` at `n`, for `ttl_secs`.
fn stored_by_another(n: &mut Node<u32, Id>, now: Instant, key: Id, value: &[u8], ttl_secs: u32) {
    n.handle_message(now, 999, message(1, Request::find_node(key)));
    let token = std::iter::from_fn(|| n.poll_transmit())
        .find_map(|t| match t.message.body {
            Body::Response(Response::Nodes { token, .. }) => Some(token),
            _ => None,
        })
        .unwrap_or(Token::default());
    let store = Request::Store {
        key,
        record: Record::Plain(value.to_vec()),
        ttl_secs,
        token,
        cas: None,
    };
    n.handle_message(now, 999, message(2, store));
    while n.poll_transmit().is_some() {}
}

#[test]
fn every_change_is_reported_once() {
    let now = Instant::now();
    let mut n = node(now);
    n.track_record_changes();
    n.put(now, key(1), b"mine".to_vec()).unwrap();
    stored_by_another(&mut n, now, key(2), b"theirs", 60);
    let changes = n.take_record_changes(now);
    assert_eq!(
        changes,
        [
            RecordChange::Stored {
                key: key(1),
                record: Record::Plain(b"mine".to_vec()),
                remaining: Duration::from_secs(600),
                published: true,
            },
            RecordChange::Stored {
                key: key(2),
                record: Record::Plain(b"theirs".to_vec()),
                remaining: Duration::from_secs(60),
                published: false,
            },
        ]
    );
    assert!(n.take_record_changes(now).is_empty(), "reported once");
    // Theirs expires.
    let later = now + Duration::from_secs(120);
    n.handle_timeout(later);
    assert_eq!(
        n.take_record_changes(later),
        [RecordChange::Removed { key: key(2) }]
    );
}

#[test]
fn a_node_that_does_not_track_reports_nothing() {
    let now = Instant::now();
    let mut n = node(now);
    n.put(now, key(1), b"mine".to_vec()).unwrap();
    assert!(n.take_record_changes(now).is_empty());
}

#[test]
fn restored_records_are_served_at_once_and_expired_ones_dropped() {
    let now = Instant::now();
    let mut before = node(now);
    before.track_record_changes();
    before.put(now, key(1), b"mine".to_vec()).unwrap();
    stored_by_another(&mut before, now, key(2), b"short", 60);
    stored_by_another(&mut before, now, key(3), b"long", 500);
    let saved = before.take_record_changes(now);

    // Down for two minutes: what was saved has that much less to live.
    let down = Duration::from_secs(120);
    let restart = now + Duration::from_secs(3600);
    let mut after = node(restart);
    for change in saved {
        if let RecordChange::Stored {
            key,
            record,
            remaining,
            published,
        } = change
        {
            let left = remaining.saturating_sub(down);
            after
                .restore_record(restart, key, record, left, published)
                .unwrap();
        }
    }
    assert_eq!(after.get_local(restart, &key(1)), Some(&b"mine"[..]));
    assert_eq!(
        after.get_local(restart, &key(2)),
        None,
        "expired while down"
    );
    assert_eq!(after.get_local(restart, &key(3)), Some(&b"long"[..]));
    // Its own publication is re-put at the first maintenance, with a fresh lifetime.
    after.track_record_changes();
    let tick = restart + Config::default().maintenance_interval;
    after.handle_timeout(tick);
    let renewed = after.take_record_changes(tick);
    assert!(
        renewed.iter().any(|c| matches!(c,
            RecordChange::Stored { key: k, remaining, published: true, .. }
                if *k == key(1) && *remaining == Duration::from_secs(600))),
        "{renewed:?}"
    );
}

#[test]
fn a_forged_record_is_not_restored() {
    let now = Instant::now();
    let mut n = node(now);
    let keys = Keypair::from_secret_bytes([4; 32]);
    let mut record = MutableRecord::sign(&keys, b"", 1, b"v".to_vec()).unwrap();
    record.seq = 2;
    let key = record.key(&Sha1Hasher::new());
    let restored = n.restore_record(
        now,
        key,
        Record::from(record),
        Duration::from_secs(60),
        false,
    );
    assert!(restored.is_err());
    assert_eq!(n.get_local(now, &key), None);
}

#[derive(Clone, Debug)]
enum Op {
    Put(u8, u8),
    Stored(u8, u8, u32),
    Wait(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..6u8, any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
        (0..6u8, any::<u8>(), 1..900u32).prop_map(|(k, v, t)| Op::Stored(k, v, t)),
        (1..400u32).prop_map(Op::Wait),
    ]
}

proptest! {
    /// A driver that applies every change holds exactly the live records of the node.
    #[test]
    fn applying_the_changes_mirrors_the_store(ops in proptest::collection::vec(op(), 1..40)) {
        let start = Instant::now();
        let mut now = start;
        let mut n = node(now);
        n.track_record_changes();
        let mut disk: BTreeMap<Id, (Record, Instant, bool)> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Put(k, v) => drop(n.put(now, key(k), vec![v])),
                Op::Stored(k, v, ttl) => stored_by_another(&mut n, now, key(k), &[v], ttl),
                Op::Wait(secs) => {
                    now += Duration::from_secs(u64::from(secs));
                    n.handle_timeout(now);
                    while n.poll_transmit().is_some() {}
                    while n.poll_event().is_some() {}
                }
            }
            for change in n.take_record_changes(now) {
                match change {
                    RecordChange::Stored { key, record, remaining, published } => {
                        disk.insert(key, (record, now + remaining, published));
                    }
                    RecordChange::Removed { key } => {
                        disk.remove(&key);
                    }
                }
            }
            for k in 0..6u8 {
                let held = n.get_local_record(now, &key(k));
                let saved = disk.get(&key(k)).filter(|(_, ends, _)| *ends > now).map(|(r, _, _)| r);
                prop_assert_eq!(held, saved, "key {}", k);
            }
        }
    }
}
