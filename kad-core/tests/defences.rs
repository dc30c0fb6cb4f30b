//! The node's defences against strangers, one rule at a time, with made-up public addresses:
//! only verified contacts enter the routing table, STOREs need a write token, sources are
//! rate-limited, one subnet cannot fill the table, and unroutable or local addresses that
//! others tell of are not contacted.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kad_core::{
    Body, CommandError, Config, Contact, Key, Message, Node, Record, Request, Response, Token,
    Transmit, TxId,
};

type Id = Key<20>;
type TestNode = Node<SocketAddr, Id>;

fn id(first: u8, last: u8) -> Id {
    let mut b = [0u8; 20];
    b[0] = first;
    b[19] = last;
    Id::new(b)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

fn node(config: Config, now: Instant) -> TestNode {
    Node::new(Id::new([0; 20]), config, 1, now).expect("a valid config")
}

fn request(sender: Id, tx: u64, request: Request<Id>) -> Message<SocketAddr, Id> {
    Message {
        tx: TxId::from_u64(tx),
        sender,
        body: Body::Request(request),
    }
}

fn sent(node: &mut TestNode) -> Vec<Transmit<SocketAddr, Id>> {
    std::iter::from_fn(|| node.poll_transmit()).collect()
}

/// Answers `t` as the node `sender` at `t.to` would, with `response`.
fn answer(
    node: &mut TestNode,
    now: Instant,
    t: &Transmit<SocketAddr, Id>,
    sender: Id,
    response: Response<SocketAddr, Id>,
) {
    let message = Message {
        tx: t.message.tx,
        sender,
        body: Body::Response(response),
    };
    node.handle_message(now, t.to, message);
}

fn is_ping(t: &Transmit<SocketAddr, Id>) -> bool {
    t.message.body == Body::Request(Request::Ping)
}

fn table(node: &TestNode) -> Vec<(Id, SocketAddr)> {
    node.routing_table()
        .iter()
        .map(|e| (e.contact().id, e.contact().addr))
        .collect()
}

/// `sender` at `from` pings the node and answers its verification ping: it is then in the
/// table, if the rules let it.
fn join(node: &mut TestNode, now: Instant, sender: Id, from: SocketAddr) {
    node.handle_message(now, from, request(sender, 1, Request::Ping));
    for t in sent(node) {
        if t.to == from && is_ping(&t) {
            answer(node, now, &t, sender, Response::Pong);
        }
    }
}

/// The write token the node gives a requester at `from`.
fn token_for(node: &mut TestNode, now: Instant, from: SocketAddr) -> Token {
    node.handle_message(
        now,
        from,
        request(id(0xee, 1), 77, Request::find_node(id(1, 1))),
    );
    sent(node)
        .into_iter()
        .find_map(|t| match t.message.body {
            Body::Response(Response::Nodes { token, .. }) if t.to == from => Some(token),
            _ => None,
        })
        .expect("a FIND_NODE is answered with a token")
}

fn store(key: Id, value: &[u8], ttl_secs: u32, token: Token) -> Request<Id> {
    Request::Store {
        key,
        record: Record::Plain(value.to_vec()),
        ttl_secs,
        token,
        cas: None,
    }
}

fn stored(node: &mut TestNode) -> Vec<bool> {
    sent(node)
        .into_iter()
        .filter_map(|t| match t.message.body {
            Body::Response(Response::Stored { outcome }) => Some(outcome.is_accepted()),
            _ => None,
        })
        .collect()
}

/// Sends a STORE of `value` under `key` from `from` with `token`; whether it was kept, as
/// the node answered.
fn send_store(
    n: &mut TestNode,
    at: Instant,
    from: SocketAddr,
    key: Id,
    value: &[u8],
    ttl_secs: u32,
    token: Token,
) -> Option<bool> {
    let message = request(id(0x80, 0xfe), 1, store(key, value, ttl_secs, token));
    n.handle_message(at, from, message);
    let verdicts = stored(n);
    (verdicts.len() == 1).then(|| verdicts[0])
}

// ----- verified contacts -----

#[test]
fn a_stranger_enters_the_table_only_after_answering_from_its_address() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    let (stranger, at) = (id(0x80, 1), addr("198.51.100.1:4000"));
    for tx in 0..5 {
        n.handle_message(now, at, request(stranger, tx, Request::Ping));
    }
    let out = sent(&mut n);
    let pings: Vec<_> = out.iter().filter(|t| is_ping(t)).collect();
    assert_eq!(
        pings.len(),
        1,
        "one verification ping, however many requests: {out:?}"
    );
    assert!(table(&n).is_empty(), "a request alone proves nothing");
    // An answer from elsewhere does not count.
    answer(
        &mut n,
        now,
        &Transmit {
            to: addr("198.51.100.2:4000"),
            ..pings[0].clone()
        },
        stranger,
        Response::Pong,
    );
    assert!(table(&n).is_empty());
    answer(&mut n, now, pings[0], stranger, Response::Pong);
    assert_eq!(table(&n), vec![(stranger, at)]);
    assert_eq!(n.stats().verifications_sent, 1);
}

#[test]
fn a_forged_ping_costs_its_source_one_pong_and_one_ping_however_many_records() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    // The node holds records it would hand to a newcomer closer to them.
    let holder = addr("203.0.113.9:4000");
    let token = token_for(&mut n, now, holder);
    for i in 0..200u8 {
        n.handle_message(
            now,
            holder,
            request(
                id(0x80, 9),
                u64::from(i),
                store(id(0, i), b"v", 3600, token),
            ),
        );
    }
    assert!(stored(&mut n).iter().all(|&a| a));
    // A "node" whose id differs from ours in the last bit, at an address that never answers.
    let victim = addr("192.0.2.50:6881");
    n.handle_message(now, victim, request(id(0, 1), 1, Request::Ping));
    let mut to_victim = sent(&mut n).into_iter().filter(|t| t.to == victim).count();
    for s in 1..=10 {
        n.handle_timeout(now + Duration::from_secs(s));
        to_victim += sent(&mut n).into_iter().filter(|t| t.to == victim).count();
    }
    assert_eq!(
        to_victim, 2,
        "the pong and one verification ping, nothing else"
    );
    assert!(table(&n).iter().all(|(_, a)| *a != victim));
}

#[test]
fn verification_pings_are_rate_limited() {
    let now = Instant::now();
    let config = Config::builder().verify_rate(5).build().expect("valid");
    let mut n = node(config, now);
    for i in 0..50u8 {
        let from = SocketAddr::from(([198, 51, i, 1], 4000));
        n.handle_message(now, from, request(id(0x80 | i, i), 1, Request::Ping));
    }
    let pings = sent(&mut n).into_iter().filter(is_ping).count();
    assert_eq!(pings, 5);
    assert_eq!(n.stats().verifications_skipped, 45);
    // The budget refills with time.
    let later = now + Duration::from_secs(1);
    n.handle_message(
        later,
        addr("198.51.200.1:1"),
        request(id(0x81, 0xff), 1, Request::Ping),
    );
    assert_eq!(sent(&mut n).into_iter().filter(is_ping).count(), 1);
}

#[test]
fn a_request_from_a_doubted_contact_does_not_save_it() {
    let now = Instant::now();
    let config = Config::builder()
        .k(1)
        .lru_ping_after(Duration::ZERO)
        .build()
        .expect("valid");
    let mut n = node(config, now);
    let (old, old_at) = (id(0x80, 1), addr("198.51.100.1:4000"));
    join(&mut n, now, old, old_at);
    // A newcomer to the full bucket has the old contact checked.
    n.handle_message(
        now,
        addr("198.51.100.2:4000"),
        request(id(0x80, 2), 2, Request::Ping),
    );
    let checks: Vec<_> = sent(&mut n)
        .into_iter()
        .filter(|t| t.to == old_at && is_ping(t))
        .collect();
    assert_eq!(checks.len(), 1);
    // Someone forges requests from the old contact's address and id while it is checked.
    n.handle_message(
        now + Duration::from_secs(1),
        old_at,
        request(old, 3, Request::Ping),
    );
    n.handle_timeout(now + Duration::from_secs(5));
    assert!(
        table(&n).iter().all(|(i, _)| *i != old),
        "the check decides, not a request"
    );
}

// ----- write tokens -----

#[test]
fn a_store_needs_a_token_given_to_its_source_ip() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    let (a, b) = (addr("198.51.100.1:4000"), addr("198.51.100.2:4000"));
    let token_a = token_for(&mut n, now, a);
    let key = id(7, 7);
    for (from, token) in [(a, Token::default()), (b, token_a)] {
        assert_eq!(
            send_store(&mut n, now, from, key, b"forged", 3600, token),
            Some(false)
        );
    }
    assert_eq!(n.get_local(now, &key), None);
    assert_eq!(n.stats().stores_without_token, 2);
    // The same token from another port of the same IP is good.
    n.handle_message(
        now,
        addr("198.51.100.1:5000"),
        request(id(0x80, 1), 1, store(key, b"v", 3600, token_a)),
    );
    assert_eq!(stored(&mut n), vec![true]);
    assert_eq!(n.get_local(now, &key), Some(&b"v"[..]));
}

#[test]
fn a_token_outlives_one_rotation_but_not_two() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    let a = addr("198.51.100.1:4000");
    let token = token_for(&mut n, now, a);
    let rotation = n.config().token_rotation;
    let one = now + rotation + Duration::from_secs(10);
    n.handle_timeout(one);
    n.handle_message(
        one,
        a,
        request(id(0x80, 1), 1, store(id(7, 1), b"v", 3600, token)),
    );
    assert_eq!(
        stored(&mut n),
        vec![true],
        "the previous secret still counts"
    );
    let two = one + rotation + Duration::from_secs(10);
    n.handle_timeout(two);
    assert_eq!(
        send_store(&mut n, two, a, id(7, 2), b"v", 3600, token),
        Some(false)
    );
}

#[test]
fn a_store_cannot_cut_short_a_copy_held_for_others() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    let a = addr("198.51.100.1:4000");
    let token = token_for(&mut n, now, a);
    let key = id(7, 7);
    n.handle_message(
        now,
        a,
        request(id(0x80, 1), 1, store(key, b"real", 3600, token)),
    );
    n.handle_message(
        now,
        a,
        request(id(0x80, 1), 2, store(key, b"evil", 1, token)),
    );
    n.handle_message(
        now,
        a,
        request(id(0x80, 1), 3, store(key, b"real", 1, token)),
    );
    assert_eq!(stored(&mut n), vec![true, false, true]);
    n.handle_timeout(now + Duration::from_secs(20));
    assert_eq!(
        n.get_local(now + Duration::from_secs(20), &key),
        Some(&b"real"[..])
    );
    assert_eq!(n.stats().stores_shortening, 1);
}

// ----- per-source rate limits -----

#[test]
fn a_source_over_its_rate_is_turned_away_and_local_ones_are_exempt() {
    let now = Instant::now();
    let config = Config::builder()
        .source_rate(10)
        .source_burst(20)
        .build()
        .expect("valid");
    let mut n = node(config.clone(), now);
    let flood = addr("198.51.100.1:4000");
    let admitted = (0..1000).filter(|_| n.admit(now, &flood)).count();
    assert_eq!(admitted, 20);
    assert!(
        n.admit(now, &addr("198.51.100.2:4000")),
        "another source has its own budget"
    );
    let second = now + Duration::from_secs(1);
    assert_eq!((0..1000).filter(|_| n.admit(second, &flood)).count(), 10);
    assert_eq!(n.stats().rate_limited, 1970);
    let local = addr("127.0.0.1:4000");
    assert_eq!((0..1000).filter(|_| n.admit(now, &local)).count(), 1000);

    let strict = Config::builder()
        .exempt_local_addresses(false)
        .source_burst(20)
        .build()
        .expect("valid");
    let mut n = node(strict, now);
    assert_eq!((0..1000).filter(|_| n.admit(now, &local)).count(), 20);
}

// ----- subnet diversity -----

#[test]
fn one_subnet_gets_two_slots_in_a_bucket_and_ten_in_the_table() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    // Five nodes of one /24 in bucket 0.
    for i in 0..5u8 {
        join(
            &mut n,
            now,
            id(0x80, i),
            SocketAddr::from(([198, 51, 100, i + 1], 4000)),
        );
    }
    assert_eq!(table(&n).len(), 2);
    // Forty more of the same /24 spread over buckets 1 to 7.
    for i in 0..40u8 {
        let first = 0x80 >> (1 + i % 7);
        join(
            &mut n,
            now,
            id(first, i),
            SocketAddr::from(([198, 51, 100, 10 + i], 4000)),
        );
    }
    assert_eq!(table(&n).len(), 10);
    // Another /24 is welcome.
    join(&mut n, now, id(0x80, 0xff), addr("198.51.101.1:4000"));
    assert_eq!(table(&n).len(), 11);
    assert!(n.stats().contacts_refused_subnet >= 33);
}

#[test]
fn one_ip_and_port_holds_one_id() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    let at = addr("198.51.100.1:4000");
    join(&mut n, now, id(0x80, 1), at);
    join(&mut n, now, id(0x40, 2), at);
    join(&mut n, now, id(0x40, 3), addr("198.51.100.1:4001"));
    assert_eq!(
        table(&n),
        vec![(id(0x80, 1), at), (id(0x40, 3), addr("198.51.100.1:4001"))]
    );
}

#[test]
fn local_addresses_are_exempt_from_the_subnet_limits_unless_told_otherwise() {
    let now = Instant::now();
    for (exempt, expected) in [(true, 5), (false, 2)] {
        let config = Config::builder()
            .exempt_local_addresses(exempt)
            .contact_local_addresses(true)
            .build()
            .expect("valid");
        let mut n = node(config, now);
        for i in 0..5u8 {
            join(
                &mut n,
                now,
                id(0x80, i),
                SocketAddr::from(([127, 0, 0, 1], 4000 + u16::from(i))),
            );
        }
        assert_eq!(table(&n).len(), expected, "exempt: {exempt}");
    }
}

// ----- address filter -----

#[test]
fn unroutable_and_local_addresses_from_others_are_not_contacted() {
    let now = Instant::now();
    for (local_ok, contacted) in [(false, 1), (true, 3)] {
        let config = Config::builder()
            .contact_local_addresses(local_ok)
            .build()
            .expect("valid");
        let mut n = node(config, now);
        let seed = addr("198.51.100.1:4000");
        n.bootstrap(now, [seed]).expect("room for a query");
        let ask = sent(&mut n).pop().expect("the seed is asked");
        let told = [
            "0.0.0.0:4000",
            "224.0.0.1:4000",
            "255.255.255.255:4000",
            "203.0.113.5:0",
            "10.0.0.1:4000",
            "127.0.0.1:4000",
            "203.0.113.6:4000",
        ];
        let contacts = told
            .iter()
            .enumerate()
            .map(|(i, a)| Contact::new(id(0x80, i as u8), addr(a)))
            .collect();
        answer(
            &mut n,
            now,
            &ask,
            id(0x40, 0),
            Response::Nodes {
                contacts,
                token: Token::default(),
            },
        );
        let asked: Vec<SocketAddr> = sent(&mut n).into_iter().map(|t| t.to).collect();
        assert_eq!(asked.len(), contacted, "{asked:?}");
        assert!(asked.contains(&addr("203.0.113.6:4000")));
        assert_eq!(n.stats().addresses_filtered, 7 - contacted as u64);
    }
}

#[test]
fn nothing_is_sent_to_an_unroutable_address() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    for from in [
        "0.0.0.0:4000",
        "255.255.255.255:4000",
        "224.0.0.1:4000",
        "198.51.100.1:0",
    ] {
        n.handle_message(
            now,
            addr(from),
            request(id(0x80, 1), 1, Request::find_node(id(1, 1))),
        );
    }
    assert!(sent(&mut n).is_empty());
    assert_eq!(n.stats().unroutable_dropped, 4);
    assert_eq!(
        n.ping(now, addr("0.0.0.0:4000")),
        Err(CommandError::UnroutableAddress)
    );
}

#[test]
fn a_store_with_no_lifetime_is_refused_and_not_kept() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    let a = addr("198.51.100.1:4000");
    let token = token_for(&mut n, now, a);
    assert_eq!(
        send_store(&mut n, now, a, id(7, 7), b"v", 0, token),
        Some(false)
    );
    assert_eq!(n.stats().records, 0);
}

#[test]
fn the_answers_to_our_own_requests_pass_the_rate_limit() {
    let now = Instant::now();
    let config = Config::builder()
        .source_rate(1)
        .source_burst(5)
        .build()
        .expect("valid");
    let mut n = node(config, now);
    let busy = addr("198.51.100.1:4000");
    // A driver that limits sources asks about every datagram, from the first on.
    assert!(n.admit(now, &addr("198.51.100.3:4000")));
    for _ in 0..100 {
        n.ping(now, busy).expect("room for a ping");
    }
    assert_eq!((0..100).filter(|_| n.admit(now, &busy)).count(), 100);
    // Another port of the same IP owes nothing, but shares the IP's allowance.
    let idle = addr("198.51.100.2:4000");
    assert_eq!((0..100).filter(|_| n.admit(now, &idle)).count(), 5);
}

#[test]
fn requests_from_local_addresses_are_dropped_by_a_node_on_the_internet() {
    let now = Instant::now();
    for (local_ok, answered) in [(false, 0), (true, 1)] {
        let config = Config::builder()
            .contact_local_addresses(local_ok)
            .build()
            .expect("valid");
        let mut n = node(config, now);
        let inside = addr("10.0.0.53:53");
        n.handle_message(
            now,
            inside,
            request(id(0x80, 1), 1, Request::find_node(id(1, 1))),
        );
        let responses = sent(&mut n)
            .into_iter()
            .filter(|t| matches!(t.message.body, Body::Response(_)))
            .count();
        assert_eq!(responses, answered, "contact_local_addresses: {local_ok}");
        assert_eq!(n.stats().local_requests_dropped, 1 - answered as u64);
    }
}

#[test]
fn strangers_cannot_spend_the_verification_of_replacements() {
    let now = Instant::now();
    let config = Config::builder()
        .k(1)
        .verify_rate(2)
        .lru_ping_after(Duration::ZERO)
        .build()
        .expect("valid");
    let mut n = node(config, now);
    let (old, old_at) = (id(0x80, 1), addr("198.51.100.1:4000"));
    join(&mut n, now, old, old_at);
    // A newcomer to the full bucket waits as a replacement, and the old contact is checked.
    let (new, new_at) = (id(0x80, 2), addr("198.51.100.2:4000"));
    n.handle_message(now, new_at, request(new, 2, Request::Ping));
    sent(&mut n);
    // Strangers spend the verification budget.
    for i in 0..10u8 {
        let from = SocketAddr::from(([203, 0, 113, i], 4000));
        n.handle_message(now, from, request(id(0x40 | i, i), 3, Request::Ping));
    }
    sent(&mut n);
    assert!(n.stats().verifications_skipped > 0);
    // The old contact fails its check: the newcomer is verified all the same.
    let later = now + Duration::from_secs(5);
    n.handle_timeout(later);
    let pinged: Vec<SocketAddr> = sent(&mut n)
        .into_iter()
        .filter(is_ping)
        .map(|t| t.to)
        .collect();
    assert!(pinged.contains(&new_at), "{pinged:?}");
}

#[test]
fn an_ipv4_mapped_address_is_the_same_endpoint() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    join(&mut n, now, id(0x80, 1), addr("198.51.100.1:4000"));
    join(&mut n, now, id(0x40, 2), addr("[::ffff:198.51.100.1]:4000"));
    assert_eq!(table(&n).len(), 1);
}

// ----- upload budget toward strangers -----

/// A node that knows 20 public contacts (each in a /24 of its own), with a byte budget of
/// `rate` per second toward strangers.
fn well_connected(rate: u32, now: Instant) -> TestNode {
    let config = Config::builder()
        .unverified_upload_rate(rate)
        .build()
        .expect("valid");
    let mut n = node(config, now);
    for i in 0..20u8 {
        let first = 0x80 >> (i % 7);
        join(
            &mut n,
            now,
            id(first, i),
            SocketAddr::from(([203, 0, i, 1], 4000)),
        );
    }
    sent(&mut n);
    n
}

/// Sizes of the answers to `count` copies of `req` from `sender` at `from`.
fn answer_sizes(
    n: &mut TestNode,
    now: Instant,
    (sender, from): (Id, SocketAddr),
    req: &Request<Id>,
    count: u64,
) -> Vec<usize> {
    (0..count)
        .map(|tx| {
            n.handle_message(now, from, request(sender, tx, req.clone()));
            sent(n)
                .into_iter()
                .filter(|t| t.to == from && matches!(t.message.body, Body::Response(_)))
                .map(|t| kad_core::encoded_len_estimate(&t.message))
                .sum()
        })
        .collect()
}

fn find_node(padding: u16) -> Request<Id> {
    Request::FindNode {
        target: id(0x11, 1),
        padding,
    }
}

fn size_of(req: &Request<Id>) -> usize {
    kad_core::encoded_len_estimate(&request(id(0x99, 9), 0, req.clone()))
}

const STRANGER: &str = "192.0.2.1:4000";

#[test]
fn an_answer_takes_at_most_three_times_its_request() {
    let now = Instant::now();
    let mut n = well_connected(Config::default().unverified_upload_rate, now);
    let stranger = (id(0x99, 9), addr(STRANGER));
    let bare = find_node(0);
    let sizes = answer_sizes(&mut n, now, stranger, &bare, 5);
    assert!(
        sizes.iter().all(|&s| s > 0 && s <= 3 * size_of(&bare)),
        "{sizes:?} for {}",
        size_of(&bare)
    );
    assert_eq!(n.stats().responses_trimmed, 5);
    // Padded as a node pads it, the same request is answered in full.
    let padded = find_node(180);
    let sizes = answer_sizes(&mut n, now, stranger, &padded, 5);
    assert!(
        sizes.iter().all(|&s| s > 600 && s <= 3 * size_of(&padded)),
        "{sizes:?} for {}",
        size_of(&padded)
    );
    assert_eq!(n.stats().responses_trimmed, 5);
    // A request that names a contact in the table, from its address, may be forged all
    // the same (ids and addresses are handed out in every answer): the rule holds for it.
    let known = table(&n)[0];
    let sizes = answer_sizes(&mut n, now, known, &bare, 3);
    assert!(
        sizes.iter().all(|&s| s > 0 && s <= 3 * size_of(&bare)),
        "{sizes:?}"
    );
    assert_eq!(n.stats().responses_trimmed, 8);
}

#[test]
fn a_value_too_large_for_a_stranger_is_replaced_by_contacts() {
    let now = Instant::now();
    let mut n = well_connected(Config::default().unverified_upload_rate, now);
    let key = id(0x11, 1);
    let from = addr("198.51.100.1:4000");
    let token = token_for(&mut n, now, from);
    let kept = send_store(&mut n, now, from, key, &[7; 800], 600, token);
    assert_eq!(kept, Some(true));
    let stranger = (id(0x99, 9), addr(STRANGER));
    let value_answers = |n: &mut TestNode, padding| {
        let req = Request::FindValue { key, padding };
        n.handle_message(now, addr(STRANGER), request(stranger.0, 1, req));
        sent(n)
            .into_iter()
            .filter(|t| matches!(t.message.body, Body::Response(Response::Value { .. })))
            .count()
    };
    assert_eq!(
        value_answers(&mut n, 0),
        0,
        "800 bytes for a 56-byte request"
    );
    assert_eq!(
        value_answers(&mut n, 300),
        1,
        "a padded request pays for it"
    );
}

#[test]
fn past_the_byte_budget_strangers_get_no_contacts() {
    let now = Instant::now();
    let mut n = well_connected(2_000, now);
    let stranger = (id(0x99, 9), addr(STRANGER));
    let padded = find_node(180);
    let sizes = answer_sizes(&mut n, now, stranger, &padded, 10);
    // Full answers while the 2000 bytes last, then only the write token.
    assert!(sizes[0] > 600, "{sizes:?}");
    assert!(
        sizes[4..].iter().all(|&s| s < size_of(&find_node(0))),
        "{sizes:?}"
    );
    assert!(n.stats().upload_budget_exhausted >= 6);
    // A contact in the table does not spend the budget: it is answered in full all the same.
    let known = table(&n)[0];
    let sizes = answer_sizes(&mut n, now, known, &padded, 3);
    assert!(sizes.iter().all(|&s| s > 600), "{sizes:?}");
    // And the budget comes back with time.
    let later = now + Duration::from_secs(1);
    let sizes = answer_sizes(&mut n, later, stranger, &padded, 1);
    assert!(sizes[0] > 600, "{sizes:?}");
}

// ----- record quota per subnet -----

#[test]
fn one_subnet_fills_only_its_quota_of_the_store() {
    let now = Instant::now();
    let config = Config::builder()
        .max_records_per_subnet(5)
        .storage_timeout(Duration::from_secs(600))
        .build()
        .expect("valid");
    let mut n = node(config, now);
    let (a, b) = (addr("198.51.100.1:4000"), addr("198.51.100.2:4000"));
    let (token_a, token_b) = (token_for(&mut n, now, a), token_for(&mut n, now, b));
    for i in 0..8u8 {
        let (from, token) = if i % 2 == 0 {
            (a, token_a)
        } else {
            (b, token_b)
        };
        n.handle_message(
            now,
            from,
            request(id(0x80, i), 1, store(id(9, i), b"v", 60, token)),
        );
    }
    assert_eq!(stored(&mut n).iter().filter(|&&kept| kept).count(), 5);
    assert_eq!(n.stats().stores_over_quota, 3);
    // Another /24 has a quota of its own.
    let other = addr("198.51.101.1:4000");
    let token = token_for(&mut n, now, other);
    assert_eq!(
        send_store(&mut n, now, other, id(9, 100), b"v", 60, token),
        Some(true)
    );
    // Once its records expire, the subnet may store again.
    let later = now + Duration::from_secs(61);
    n.handle_timeout(later);
    let token = token_for(&mut n, later, a);
    assert_eq!(
        send_store(&mut n, later, a, id(9, 200), b"v", 60, token),
        Some(true)
    );
}

#[test]
fn a_node_told_to_join_through_a_local_seed_talks_to_its_local_network() {
    let now = Instant::now();
    let mut n = node(Config::default(), now);
    let seed = addr("10.0.0.2:4000");
    n.bootstrap(now, [seed]).expect("room for a query");
    let ask = sent(&mut n).pop().expect("the seed is asked");
    let contacts = vec![Contact::new(id(0x80, 1), addr("10.0.0.3:4000"))];
    answer(
        &mut n,
        now,
        &ask,
        id(0x40, 0),
        Response::Nodes {
            contacts,
            token: Token::default(),
        },
    );
    let asked: Vec<SocketAddr> = sent(&mut n).into_iter().map(|t| t.to).collect();
    assert!(asked.contains(&addr("10.0.0.3:4000")), "{asked:?}");
    // And its neighbours' requests are answered.
    n.handle_message(
        now,
        addr("10.0.0.4:4000"),
        request(id(0x80, 4), 9, Request::Ping),
    );
    assert!(sent(&mut n).iter().any(|t| t.to == addr("10.0.0.4:4000")));
    assert_eq!(n.stats().local_requests_dropped, 0);
}
