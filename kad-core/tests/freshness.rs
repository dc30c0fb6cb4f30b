//! Stale contacts in answers: a contact silent for `Config::stale_after` is pinged when an
//! answer meets it, and left out of answers once that ping goes unanswered (while at least as
//! many others remain), so that lookups passing by do not wait on nodes that have left.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kad_core::{Body, Config, Contact, Key, Message, Node, Request, Response, Transmit, TxId};

type Id = Key<20>;
type TestNode = Node<SocketAddr, Id>;
type Peer = Contact<SocketAddr, Id>;
type Sent = Transmit<SocketAddr, Id>;

fn id(first: u8, last: u8) -> Id {
    let mut b = [0u8; 20];
    b[0] = first;
    b[19] = last;
    Id::new(b)
}

fn sent(node: &mut TestNode) -> Vec<Transmit<SocketAddr, Id>> {
    std::iter::from_fn(|| node.poll_transmit()).collect()
}

fn reply(node: &mut TestNode, now: Instant, t: &Transmit<SocketAddr, Id>, sender: Id) {
    let message = Message {
        tx: t.message.tx,
        sender,
        body: Body::Response(Response::Pong),
    };
    node.handle_message(now, t.to, message);
}

fn is_ping(t: &Transmit<SocketAddr, Id>) -> bool {
    t.message.body == Body::Request(Request::Ping)
}

/// `count` public contacts, each in a /24 of its own, that answered the node at `now`.
fn contacts(count: u8) -> Vec<Contact<SocketAddr, Id>> {
    (0..count)
        .map(|i| {
            Contact::new(
                id(0x80 >> (i % 7), i),
                SocketAddr::from(([203, 0, i, 1], 4000)),
            )
        })
        .collect()
}

/// A node whose table holds `known`, all verified at `now`.
fn node_knowing(known: &[Contact<SocketAddr, Id>], now: Instant) -> TestNode {
    let mut n = Node::new(Id::new([0; 20]), Config::default(), 1, now).expect("valid");
    for c in known {
        let ping = Message {
            tx: TxId::from_u64(1),
            sender: c.id,
            body: Body::Request(Request::Ping),
        };
        n.handle_message(now, c.addr, ping);
        for t in sent(&mut n) {
            if t.to == c.addr && is_ping(&t) {
                reply(&mut n, now, &t, c.id);
            }
        }
    }
    sent(&mut n);
    assert_eq!(n.routing_table().len(), known.len());
    n
}

/// The contacts the node hands `from` for `target`, and the pings it sent meanwhile.
fn ask(
    n: &mut TestNode,
    now: Instant,
    from: &Contact<SocketAddr, Id>,
    target: Id,
) -> (Vec<Peer>, Vec<Sent>) {
    let request = Message {
        tx: TxId::from_u64(9),
        sender: from.id,
        // Padded as a node pads it, so that the answer is not cut.
        body: Body::Request(Request::FindNode {
            target,
            padding: 300,
        }),
    };
    n.handle_message(now, from.addr, request);
    let out = sent(n);
    let answer = out
        .iter()
        .find_map(|t| match &t.message.body {
            Body::Response(Response::Nodes { contacts, .. }) if t.to == from.addr => {
                Some(contacts.clone())
            }
            _ => None,
        })
        .expect("an answer");
    (answer, out.into_iter().filter(is_ping).collect())
}

#[test]
fn stale_contacts_are_pinged_and_those_that_do_not_answer_left_out() {
    let start = Instant::now();
    let known = contacts(21);
    let (asker, others) = known.split_last().expect("21 contacts");
    let mut n = node_knowing(&known, start);
    let target = id(0x11, 1);
    let config = Config::default();

    // Fresh: the answer is the 20 closest, and nobody is pinged.
    let (answer, pings) = ask(&mut n, start + Duration::from_secs(60), asker, target);
    assert_eq!(answer.len(), 20);
    assert!(pings.is_empty());

    // Silent past `stale_after`: still handed out, closest first, and each pinged once.
    let later = start + config.stale_after + Duration::from_secs(1);
    let (answer, pings) = ask(&mut n, later, asker, target);
    let closest = n.routing_table().closest(&target, 20, Some(&asker.id));
    assert_eq!(answer, closest);
    assert_eq!(pings.len(), 20);
    assert_eq!(n.stats().stale_contacts_checked, 20);

    // Half of them answer. Once the others are past the round trip expected of them, the
    // answer holds only those that answered, and no ping is sent twice.
    let (alive, silent) = others.split_at(10);
    for t in &pings {
        if let Some(c) = alive.iter().find(|c| c.addr == t.to) {
            reply(&mut n, later, t, c.id);
        }
    }
    n.handle_timeout(later + config.min_request_timeout + Duration::from_millis(50));
    let (answer, pings) = ask(&mut n, later + Duration::from_secs(1), asker, target);
    let mut handed: Vec<Id> = answer.iter().map(|c| c.id).collect();
    let mut expected: Vec<Id> = alive.iter().map(|c| c.id).collect();
    handed.sort();
    expected.sort();
    assert_eq!(handed, expected);
    assert!(pings.is_empty());
    assert_eq!(n.stats().contacts_withheld, 10);

    // One unanswered ping does not cost a contact its place (it may have been lost); it is
    // pinged again when next met, and removed once `max_failures` requests have failed.
    let timed_out = later + config.request_timeout + Duration::from_millis(1);
    n.handle_timeout(timed_out);
    assert_eq!(n.routing_table().len(), 21);
    let (_, pings) = ask(&mut n, timed_out, asker, target);
    assert_eq!(pings.len(), 10, "the silent ones, again");
    n.handle_timeout(timed_out + config.request_timeout + Duration::from_millis(1));
    for c in silent {
        assert!(n.routing_table().get(&c.id).is_none(), "{c:?} removed");
    }
    assert_eq!(n.routing_table().len(), 11);
}

#[test]
fn stale_contacts_are_pinged_at_most_once_however_many_ask() {
    let start = Instant::now();
    let known = contacts(21);
    let (asker, _) = known.split_last().expect("21 contacts");
    let mut n = node_knowing(&known, start);
    let later = start + Config::default().stale_after;
    let mut pings = 0;
    for i in 0..50u8 {
        pings += ask(&mut n, later, asker, id(i, i)).1.len();
    }
    assert_eq!(pings, 20, "one check per stale contact");
}
