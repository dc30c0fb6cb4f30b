//! A full k-bucket keeps a live old contact and replaces a dead one (paper, section 2.2) with
//! a newcomer that answered a verification ping, and does not ping a contact it heard from
//! recently (section 4.1).

use std::time::{Duration, Instant};

use kad_core::{Body, Config, Key, Message, Node, Request, Response, TxId};

type Id = Key<20>;

/// An id in bucket 0 of a node whose id is all zeros.
fn far(n: u8) -> Id {
    let mut b = [0u8; 20];
    b[0] = 0x80;
    b[19] = n;
    Id::new(b)
}

fn ping_from(id: Id) -> Message<u32, Id> {
    Message {
        tx: TxId::from_u64(u64::from(id.as_bytes()[19])),
        sender: id,
        body: Body::Request(Request::Ping),
    }
}

/// Answers the verification ping that a request from `far(n)` at address `n` drew: only
/// then does `far(n)` enter the routing table.
fn answer_verification(node: &mut Node<u32, Id>, now: Instant, n: u8) {
    let ping = std::iter::from_fn(|| node.poll_transmit())
        .find(|t| t.to == u32::from(n) && t.message.body == Body::Request(Request::Ping))
        .expect("a stranger's request is answered by a verification ping");
    let pong = Message {
        tx: ping.message.tx,
        sender: far(n),
        body: Body::Response(Response::Pong),
    };
    node.handle_message(now, u32::from(n), pong);
}

/// The silence after which a full bucket checks its oldest contact, in these tests.
const PING_AFTER: Duration = Duration::from_secs(60);

/// A node with k = 2 whose bucket 0 holds `far(1)` (least recently seen) and `far(2)`, and to
/// which `far(3)` writes `silence` later. Returns the node and the transaction id of the ping
/// it sent to `far(1)`, if any.
fn bucket_after(now: Instant, silence: Duration) -> (Node<u32, Id>, Option<TxId>) {
    let config = Config::builder()
        .k(2)
        .lru_ping_after(PING_AFTER)
        .build()
        .unwrap();
    let mut node = Node::new(Id::new([0; 20]), config, 1, now).unwrap();
    for n in 1..=2u8 {
        node.handle_message(now, u32::from(n), ping_from(far(n)));
        answer_verification(&mut node, now, n);
    }
    node.handle_message(now + silence, 3, ping_from(far(3)));
    let mut probe = None;
    while let Some(t) = node.poll_transmit() {
        if let Body::Request(Request::Ping) = t.message.body {
            assert_eq!(
                t.to, 1,
                "the least recently seen contact is the one checked"
            );
            probe = Some(t.message.tx);
        }
    }
    let ids: Vec<Id> = node
        .routing_table()
        .iter()
        .map(|e| e.contact().id)
        .collect();
    assert_eq!(
        ids,
        vec![far(1), far(2)],
        "the newcomer waits outside a full bucket"
    );
    (node, probe)
}

/// [`bucket_after`] a silence long enough for the oldest contact to be checked.
fn full_bucket(now: Instant) -> (Node<u32, Id>, TxId, Instant) {
    let later = now + PING_AFTER;
    let (node, probe) = bucket_after(now, PING_AFTER);
    (
        node,
        probe.expect("a full bucket pings its oldest contact"),
        later,
    )
}

#[test]
fn a_recently_heard_contact_is_not_pinged() {
    let now = Instant::now();
    let (mut node, probe) = bucket_after(now, PING_AFTER / 2);
    assert_eq!(probe, None, "a contact heard 30 s ago is trusted");
    assert_eq!(node.routing_table().replacements_in(0), 1);
    // Once it has been silent long enough, the next newcomer has it checked.
    let later = now + PING_AFTER;
    node.handle_message(later, 4, ping_from(far(4)));
    let pinged: Vec<u32> = std::iter::from_fn(|| node.poll_transmit())
        .filter(|t| matches!(t.message.body, Body::Request(Request::Ping)))
        .map(|t| t.to)
        .collect();
    assert_eq!(pinged, vec![1]);
}

#[test]
fn a_zero_window_checks_on_every_newcomer() {
    let now = Instant::now();
    let config = Config::builder()
        .k(1)
        .lru_ping_after(Duration::ZERO)
        .build()
        .unwrap();
    let mut node: Node<u32, Id> = Node::new(Id::new([0; 20]), config, 1, now).unwrap();
    node.handle_message(now, 1, ping_from(far(1)));
    node.handle_message(now, 2, ping_from(far(2)));
    let pinged = std::iter::from_fn(|| node.poll_transmit())
        .any(|t| t.to == 1 && matches!(t.message.body, Body::Request(Request::Ping)));
    assert!(
        pinged,
        "the paper's rule: ping the oldest on every newcomer"
    );
}

#[test]
fn a_live_old_contact_is_kept() {
    let now = Instant::now();
    let (mut node, tx, now) = full_bucket(now);
    let pong = Message {
        tx,
        sender: far(1),
        body: Body::Response(Response::Pong),
    };
    node.handle_message(now, 1, pong);
    node.handle_timeout(now + Duration::from_secs(5));
    let ids: Vec<Id> = node
        .routing_table()
        .iter()
        .map(|e| e.contact().id)
        .collect();
    assert_eq!(
        ids,
        vec![far(2), far(1)],
        "the answering contact stays, now most recent"
    );
    assert_eq!(node.routing_table().replacements_in(0), 1);
}

#[test]
fn a_dead_old_contact_is_replaced() {
    let now = Instant::now();
    let (mut node, _, now) = full_bucket(now);
    node.handle_timeout(now + Duration::from_secs(5));
    assert_eq!(
        node.routing_table().len(),
        1,
        "the newcomer is verified first"
    );
    answer_verification(&mut node, now + Duration::from_secs(5), 3);
    let ids: Vec<Id> = node
        .routing_table()
        .iter()
        .map(|e| e.contact().id)
        .collect();
    assert_eq!(
        ids,
        vec![far(2), far(3)],
        "the silent contact gives way to the newcomer"
    );
}

#[test]
fn a_pong_from_the_wrong_address_or_id_is_ignored() {
    let now = Instant::now();
    let (mut node, tx, now) = full_bucket(now);
    let pong = |sender| Message {
        tx,
        sender,
        body: Body::Response(Response::Pong),
    };
    node.handle_message(now, 9, pong(far(1)));
    node.handle_message(now, 1, pong(far(7)));
    let wrong_tx = Message {
        tx: TxId::from_u64(tx.as_u64() ^ 1),
        ..pong(far(1))
    };
    node.handle_message(now, 1, wrong_tx);
    assert_eq!(node.stats().responses_ignored, 3);
    node.handle_timeout(now + Duration::from_secs(5));
    answer_verification(&mut node, now + Duration::from_secs(5), 3);
    let ids: Vec<Id> = node
        .routing_table()
        .iter()
        .map(|e| e.contact().id)
        .collect();
    assert_eq!(ids, vec![far(2), far(3)]);
}
