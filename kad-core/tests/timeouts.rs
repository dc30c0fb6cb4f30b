//! Request timeouts that follow the network: a lookup asks again after the round trip it
//! expects of a contact, moves on after that, and a timed-out request does not count against
//! a contact that answered since.

use std::time::{Duration, Instant};

use kad_core::{
    Body, Config, Contact, Event, Key, Message, Node, QueryResult, Request, Response, StoreOutcome,
    Token,
};

type Id = Key<20>;

fn id(first: u8) -> Id {
    let mut b = [0u8; 20];
    b[0] = first;
    Id::new(b)
}

const MS: Duration = Duration::from_millis(1);

/// A node that knows `peer` at address 1 and measured a 50 ms round trip to it.
fn node_with_one_peer(now: Instant) -> (Node<u32, Id>, Id) {
    let config = Config::builder().lookup_retries(1).build().expect("valid");
    let mut n: Node<u32, Id> = Node::new(id(0), config, 1, now).expect("valid");
    let peer = id(0x80);
    n.add_contact(now, Contact::new(peer, 1));
    n.ping(now, 1).expect("room");
    let ping = n.poll_transmit().expect("the ping");
    let pong = Message {
        tx: ping.message.tx,
        sender: peer,
        body: Body::Response(Response::Pong),
    };
    n.handle_message(now + MS * 50, 1, pong);
    while n.poll_event().is_some() {}
    (n, peer)
}

fn find_nodes_to(n: &mut Node<u32, Id>, addr: u32) -> Vec<Message<u32, Id>> {
    std::iter::from_fn(|| n.poll_transmit())
        .filter(|t| {
            t.to == addr && matches!(t.message.body, Body::Request(Request::FindNode { .. }))
        })
        .map(|t| t.message)
        .collect()
}

#[test]
fn a_lost_request_is_asked_again_after_the_expected_round_trip() {
    let start = Instant::now();
    let (mut n, peer) = node_with_one_peer(start);
    let t = start + MS * 100;
    n.find_node(t, id(0x81)).expect("room");
    assert_eq!(find_nodes_to(&mut n, 1).len(), 1); // lost
                                                   // 50 ms measured: the expected round trip is the 250 ms minimum, far below the 3 s timeout.
    n.handle_timeout(t + MS * 249);
    assert!(find_nodes_to(&mut n, 1).is_empty());
    n.handle_timeout(t + MS * 250);
    let again = find_nodes_to(&mut n, 1);
    assert_eq!(again.len(), 1, "asked again at the soft timeout");
    assert_eq!(n.stats().lookup_retries, 1);
    // The retry is answered: the lookup ends at once, with the peer.
    let answer = Message {
        tx: again[0].tx,
        sender: peer,
        body: Body::Response(Response::Nodes {
            contacts: vec![],
            token: Token::default(),
        }),
    };
    n.handle_message(t + MS * 300, 1, answer);
    let closest = std::iter::from_fn(|| n.poll_event()).find_map(|e| match e {
        Event::QueryFinished {
            result: QueryResult::FindNode { closest },
            ..
        } => Some(closest),
        _ => None,
    });
    assert_eq!(closest.map(|c| c.len()), Some(1));
    // The first request times out later: the peer answered since, so it is not held against it.
    n.handle_timeout(t + Duration::from_secs(4));
    let entry = n.routing_table().get(&peer).map(|e| e.failures());
    assert_eq!(entry, Some(0));
}

#[test]
fn a_lookup_with_nobody_else_to_ask_waits_for_a_slow_answer() {
    let start = Instant::now();
    let (mut n, peer) = node_with_one_peer(start);
    let t = start + MS * 100;
    n.find_node(t, id(0x81)).expect("room");
    find_nodes_to(&mut n, 1);
    n.handle_timeout(t + MS * 250);
    let retry = find_nodes_to(&mut n, 1);
    assert_eq!(retry.len(), 1);
    n.handle_timeout(t + MS * 500); // the retry's soft timeout: nobody else to ask
    assert!(
        n.poll_event().is_none(),
        "still waiting for the only candidate"
    );
    let late = Message {
        tx: retry[0].tx,
        sender: peer,
        body: Body::Response(Response::Nodes {
            contacts: vec![],
            token: Token::default(),
        }),
    };
    n.handle_message(t + Duration::from_secs(2), 1, late);
    let finished = std::iter::from_fn(|| n.poll_event())
        .any(|e| matches!(e, Event::QueryFinished { result: QueryResult::FindNode { closest }, .. } if closest.len() == 1));
    assert!(finished, "the late answer was used");
}

#[test]
fn a_lost_store_is_sent_again_and_its_late_acknowledgement_counts() {
    let start = Instant::now();
    let (mut n, peer) = node_with_one_peer(start);
    let t = start + MS * 100;
    n.put(t, id(0x81), b"v".to_vec()).expect("room");
    // The lookup asks the peer, which answers with a token.
    let ask = find_nodes_to(&mut n, 1).pop().expect("asked");
    let nodes = Message {
        tx: ask.tx,
        sender: peer,
        body: Body::Response(Response::Nodes {
            contacts: vec![],
            token: Token::default(),
        }),
    };
    n.handle_message(t + MS * 50, 1, nodes);
    let stores = |n: &mut Node<u32, Id>| {
        std::iter::from_fn(|| n.poll_transmit())
            .filter(|t| matches!(t.message.body, Body::Request(Request::Store { .. })))
            .map(|t| t.message.tx)
            .collect::<Vec<_>>()
    };
    let replicas = |n: &mut Node<u32, Id>| {
        std::iter::from_fn(|| n.poll_event()).find_map(|e| match e {
            Event::QueryFinished {
                result: QueryResult::Put { replicas, .. },
                ..
            } => Some(replicas),
            _ => None,
        })
    };
    assert_eq!(stores(&mut n).len(), 1); // lost
    n.handle_timeout(t + MS * 300);
    let again = stores(&mut n);
    assert_eq!(again.len(), 1, "sent again at the soft timeout");
    // Unanswered past its soft timeout too: with nobody's acknowledgement yet, the put waits
    // on (the node may be slow rather than the STORE lost), and the answer counts.
    n.handle_timeout(t + MS * 550);
    assert_eq!(replicas(&mut n), None);
    let stored = Message {
        tx: again[0],
        sender: peer,
        body: Body::Response(Response::Stored {
            outcome: StoreOutcome::Accepted,
        }),
    };
    n.handle_message(t + MS * 900, 1, stored);
    assert_eq!(replicas(&mut n), Some(1));
}

#[test]
fn one_unanswered_lookup_step_counts_once_against_its_contact() {
    let start = Instant::now();
    let (mut n, peer) = node_with_one_peer(start);
    let t = start + MS * 100;
    n.find_node(t, id(0x81)).expect("room");
    // Two requests go out (the first and one retry), none answered.
    let mut asked = 0;
    for step in 0..=400 {
        n.handle_timeout(t + MS * (10 * step));
        asked += find_nodes_to(&mut n, 1).len();
    }
    assert_eq!(asked, 2);
    let failures = n.routing_table().get(&peer).map(|e| e.failures());
    assert_eq!(failures, Some(1), "still known, charged once");
}

#[test]
fn retries_are_bounded() {
    assert!(Config::builder()
        .lookup_retries(Config::MAX_LOOKUP_RETRIES)
        .build()
        .is_ok());
    assert!(Config::builder()
        .lookup_retries(Config::MAX_LOOKUP_RETRIES + 1)
        .build()
        .is_err());
}

#[test]
fn retries_follow_each_other_closely_and_the_last_is_waited_for_longer() {
    let start = Instant::now();
    let config = Config::builder()
        .lookup_retries(2)
        .min_request_timeout(Duration::ZERO)
        .retry_gap_percent(40)
        .last_retry_deviations(2)
        .build()
        .expect("valid");
    let mut n: Node<u32, Id> = Node::new(id(0), config, 1, start).expect("valid");
    let peer = id(0x80);
    n.add_contact(start, Contact::new(peer, 1));
    n.ping(start, 1).expect("room");
    let ping = n.poll_transmit().expect("the ping");
    let pong = Message {
        tx: ping.message.tx,
        sender: peer,
        body: Body::Response(Response::Pong),
    };
    n.handle_message(start + MS * 50, 1, pong);
    while n.poll_event().is_some() {}
    let t = start + MS * 100;
    n.find_node(t, id(0x81)).expect("room");
    assert_eq!(find_nodes_to(&mut n, 1).len(), 1); // lost
                                                   // 50 ms measured once: 50 + 25 expected, the first soft timeout.
    assert_eq!(n.poll_timeout(), t + MS * 75);
    n.handle_timeout(t + MS * 75);
    assert_eq!(find_nodes_to(&mut n, 1).len(), 1, "the first retry");
    // The next follows after 40 % of that (30 ms), not another 75 ms.
    assert_eq!(n.poll_timeout(), t + MS * 105);
    n.handle_timeout(t + MS * 105);
    assert_eq!(find_nodes_to(&mut n, 1).len(), 1, "the last retry");
    // The last retry is waited for 50 + 2 × 25 ms.
    assert_eq!(n.poll_timeout(), t + MS * 205);
}

#[test]
fn retry_settings_are_bounded() {
    let with = |gap: u32, deviations: u32| {
        Config::builder()
            .retry_gap_percent(gap)
            .last_retry_deviations(deviations)
            .build()
    };
    assert!(with(100, Config::MAX_RTT_DEVIATIONS).is_ok());
    assert!(with(0, 2).is_err());
    assert!(with(101, 2).is_err());
    assert!(with(35, Config::MAX_RTT_DEVIATIONS + 1).is_err());
}
