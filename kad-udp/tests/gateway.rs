//! Two UDP gateways on loopback: messages go across, garbage is counted and dropped,
//! addresses of the other family are refused, shutdown joins the event loop, and a polled
//! gateway runs on its caller's poll.

use std::net::UdpSocket;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use kad_core::{Body, Contact, Key, Message, Request, Response, TxId};
use kad_proto::mio::{Events, Poll, Token};
use kad_proto::{Gateway, GatewayError, Inbound, Multiaddr, PolledGateway, SendError, WireMessage};
use kad_udp::{multiaddr_to_socket, UdpGateway};

type K = Key<20>;

/// What a started gateway delivers to.
type Delivered = Receiver<(Multiaddr, WireMessage<K>)>;

fn started(addr: &str) -> (UdpGateway, Delivered, Inbound<K>) {
    let mut gateway = UdpGateway::new(addr);
    let (tx, rx) = mpsc::sync_channel(1024);
    let inbound = Inbound::from_sender(tx);
    Gateway::<K>::start(&mut gateway, inbound.clone()).expect("start");
    (gateway, rx, inbound)
}

fn ping(tx: u64) -> WireMessage<K> {
    Message {
        tx: TxId::from_u64(tx),
        sender: Key::new([tx as u8; 20]),
        body: Body::Request(Request::Ping),
    }
}

fn addr_of(gateway: &UdpGateway) -> Multiaddr {
    Gateway::<K>::local_addrs(gateway)[0].clone()
}

const WAIT: Duration = Duration::from_secs(5);

#[test]
fn messages_cross_between_two_gateways() {
    let (a, a_rx, _) = started("127.0.0.1:0");
    let (b, b_rx, b_inbound) = started("127.0.0.1:0");
    let (a_addr, b_addr) = (addr_of(&a), addr_of(&b));
    assert_ne!(multiaddr_to_socket(&a_addr).expect("udp").port(), 0);

    for tx in 0..100 {
        a.send(&b_addr, ping(tx)).expect("send");
    }
    for tx in 0..100 {
        let (from, message) = b_rx.recv_timeout(WAIT).expect("delivered");
        assert_eq!(from, a_addr);
        assert_eq!(message, ping(tx));
    }
    let pong: WireMessage<K> = Message {
        tx: TxId::from_u64(1),
        sender: Key::new([2; 20]),
        body: Body::Response(Response::Pong),
    };
    b.send(&a_addr, pong.clone()).expect("send");
    assert_eq!(a_rx.recv_timeout(WAIT).expect("delivered"), (b_addr, pong));
    let stats = b_inbound.stats().snapshot();
    assert_eq!((stats.received, stats.delivered, stats.sent), (100, 100, 1));
}

#[test]
fn long_contact_lists_are_trimmed_to_one_datagram() {
    let (a, _a_rx, _) = started("127.0.0.1:0");
    let (b, b_rx, _) = started("127.0.0.1:0");
    let long: Multiaddr = format!("/dns4/{}/udp/4000", "a".repeat(50))
        .parse()
        .expect("multiaddr");
    let contacts = (0..20)
        .map(|i| Contact::new(Key::new([i; 20]), long.clone()))
        .collect();
    let nodes: WireMessage<K> = Message {
        tx: TxId::from_u64(9),
        sender: Key::new([1; 20]),
        body: Body::Response(Response::Nodes {
            contacts,
            token: kad_core::Token::default(),
        }),
    };
    a.send(&addr_of(&b), nodes).expect("send");
    let (_, message) = b_rx.recv_timeout(WAIT).expect("delivered");
    let Body::Response(Response::Nodes { contacts, .. }) = message.body else {
        panic!("not a Nodes response");
    };
    assert!(
        !contacts.is_empty() && contacts.len() < 20,
        "{}",
        contacts.len()
    );
    assert_eq!(contacts[0].id, Key::new([0; 20]), "closest kept");
}

#[test]
fn garbage_is_counted_not_delivered() {
    let (gateway, rx, inbound) = started("127.0.0.1:0");
    let reasons = gateway.drop_counters();
    let target = multiaddr_to_socket(&addr_of(&gateway)).expect("udp");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let next_version = [b'K', b'A', b'D', kad_proto::VERSION + 1, 0];
    let junk: [&[u8]; 5] = [
        b"",
        b"KAD",
        b"GET / HTTP/1.1\r\n",
        &next_version,
        &[0xff; 3000],
    ];
    for datagram in junk {
        socket.send_to(datagram, target).expect("send");
    }
    let valid = kad_proto::encode(&ping(5)).expect("encode");
    socket.send_to(&valid, target).expect("send");
    let (_, message) = rx.recv_timeout(WAIT).expect("the valid one arrives");
    assert_eq!(message, ping(5));
    let stats = inbound.stats().snapshot();
    assert_eq!((stats.received, stats.dropped_malformed), (6, 5));
    let by_reason = (
        reasons.foreign(),
        reasons.other_version(),
        reasons.oversize(),
        reasons.malformed(),
    );
    assert_eq!(by_reason, (3, 1, 1, 0));
    assert!(rx.try_recv().is_err());
}

#[test]
fn each_gateway_reaches_its_own_family() {
    let v4 = UdpGateway::new("127.0.0.1:0");
    let ip4: Multiaddr = "/ip4/10.0.0.1/udp/1".parse().expect("multiaddr");
    let ip6: Multiaddr = "/ip6/::1/udp/1".parse().expect("multiaddr");
    let tcp: Multiaddr = "/ip4/10.0.0.1/tcp/1".parse().expect("multiaddr");
    assert!(Gateway::<K>::can_reach(&v4, &ip4));
    assert!(!Gateway::<K>::can_reach(&v4, &ip6));
    assert!(!Gateway::<K>::can_reach(&v4, &tcp));
    let v6 = UdpGateway::new("[::1]:0");
    assert!(Gateway::<K>::can_reach(&v6, &ip6));
    assert!(!Gateway::<K>::can_reach(&v6, &ip4));
    assert!(!Gateway::<K>::can_reach(&UdpGateway::new("nonsense"), &ip4));

    // Not started: nothing to send with.
    assert!(matches!(v4.send(&ip4, ping(1)), Err(SendError::NotRunning)));
    let (started, _rx, _) = started("127.0.0.1:0");
    assert!(matches!(
        started.send(&ip6, ping(1)),
        Err(SendError::Unreachable)
    ));
}

#[test]
fn start_errors_and_shutdown() {
    let (tx, _rx) = mpsc::sync_channel(1);
    let inbound: Inbound<K> = Inbound::from_sender(tx);
    let mut bad = UdpGateway::new("not an address");
    let error = Gateway::<K>::start(&mut bad, inbound.clone()).expect_err("bad address");
    assert!(error.to_string().contains("not an address"), "{error}");

    let taken = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut clash = UdpGateway::bind(taken.local_addr().expect("addr"));
    let error = Gateway::<K>::start(&mut clash, inbound.clone()).expect_err("in use");
    assert!(matches!(error, GatewayError::Io(_)), "{error}");

    let (mut gateway, _rx, _) = started("127.0.0.1:0");
    let again = Gateway::<K>::start(&mut gateway, inbound);
    assert!(matches!(again, Err(GatewayError::AlreadyStarted)));
    Gateway::<K>::shutdown(&mut gateway);
    assert!(Gateway::<K>::local_addrs(&gateway).is_empty());
    Gateway::<K>::shutdown(&mut gateway);
}

/// Reads `gateway` on `poll` until it has handed over `count` messages (or the wait runs
/// out).
fn drive(poll: &mut Poll, gateway: &mut UdpGateway, count: usize) -> Vec<WireMessage<K>> {
    let mut events = Events::with_capacity(16);
    let mut delivered = Vec::new();
    let started = Instant::now();
    while delivered.len() < count && started.elapsed() < WAIT {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("poll");
        for event in events.iter() {
            assert_eq!(event.token(), Token(7));
            // mio reports an edge once: read until the gateway says nothing is left.
            while PolledGateway::<K>::receive(gateway, &mut |_, message| delivered.push(message)) {}
        }
    }
    delivered
}

#[test]
fn a_polled_gateway_runs_on_the_callers_poll() {
    let mut poll = Poll::new().expect("poll");
    let mut gateway = UdpGateway::new("127.0.0.1:0");
    let (tx, _rx) = mpsc::sync_channel(1024);
    let inbound = Inbound::from_sender(tx);
    let polled = Gateway::<K>::as_polled(&mut gateway).expect("UDP can be polled");
    polled
        .start_polled(poll.registry(), Token(7), inbound.clone())
        .expect("start");
    let again = polled.start_polled(poll.registry(), Token(7), inbound.clone());
    assert!(matches!(again, Err(GatewayError::AlreadyStarted)));
    assert!(matches!(
        Gateway::<K>::start(&mut gateway, inbound.clone()),
        Err(GatewayError::AlreadyStarted)
    ));

    // Traffic from a threaded gateway and garbage from a raw socket, read on our poll.
    let (other, other_rx, _) = started("127.0.0.1:0");
    let target = addr_of(&gateway);
    for tx in 0..200 {
        other.send(&target, ping(tx)).expect("send");
    }
    let raw = UdpSocket::bind("127.0.0.1:0").expect("bind");
    raw.send_to(b"KAD\x09", multiaddr_to_socket(&target).expect("udp"))
        .expect("send");
    let delivered = drive(&mut poll, &mut gateway, 200);
    assert_eq!(delivered, (0..200).map(ping).collect::<Vec<_>>());
    assert_eq!(gateway.drop_counters().other_version(), 1);

    // Sending from a polled gateway is the same call as from a threaded one.
    gateway.send(&addr_of(&other), ping(1)).expect("send");
    PolledGateway::<K>::flush(&mut gateway, poll.registry());
    assert_eq!(other_rx.recv_timeout(WAIT).expect("delivered").1, ping(1));
    let stats = inbound.stats().snapshot();
    assert_eq!((stats.received, stats.delivered, stats.sent), (201, 200, 1));

    Gateway::<K>::shutdown(&mut gateway);
    assert!(
        !PolledGateway::<K>::receive(&mut gateway, &mut |_, _| {}),
        "nothing to read once shut down"
    );
}
