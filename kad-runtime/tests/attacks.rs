//! A node under attack over real UDP on loopback, with the local-address exemption off so
//! that the limits apply on 127.0.0.0/8: honest nodes each listen on a /24 of their own
//! (127.0.1.1, 127.0.2.1, ...), attackers send from 127.0.5.0/24 and 127.0.6.0/24. Each test
//! checks what the attack costs and that honest lookups and records survive it.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use kad_core::{
    Body, Hasher, Key, Message, Record, Request, Response, Sha1Hasher, StoreOutcome, Token, TxId,
};
use kad_proto::{decode, encode, WireMessage};
use kad_runtime::hash::Sha1Hasher as ServiceHasher;
use kad_runtime::{Builder, DHTService, UdpGateway};

type Id = Key<20>;

/// An honest node's settings: the limits apply to loopback too.
fn honest_builder(seed: u64) -> Builder<ServiceHasher> {
    common::builder(seed).exempt_local_addresses(false)
}

/// An honest node listening on 127.0.`net`.1.
fn honest(net: u8, seed: u64) -> DHTService<ServiceHasher> {
    let mut service = honest_builder(seed).build().expect("settings");
    service.register_gateway(UdpGateway::new(format!("127.0.{net}.1:0")));
    service.start().expect("start");
    service
}

/// A target and three honest peers joined to it, with `values` values saved through the
/// peers.
fn honest_network(values: usize) -> Vec<DHTService<ServiceHasher>> {
    // Seven nodes: a FIND_NODE's answer (six contacts) is more than three times its size.
    let services: Vec<_> = (1..=7)
        .map(|net| honest(net, 7000 + u64::from(net)))
        .collect();
    let seed = services[0].local_addrs()[0].clone();
    for service in &services[1..] {
        service.connect(seed.clone()).expect("connect");
    }
    common::wait_for_peers(&services, services.len() - 1, Duration::from_secs(10));
    for i in 0..values {
        let replicas = services[1 + i % (services.len() - 1)]
            .save(key(i), value(i))
            .wait()
            .expect("save");
        assert!(replicas >= 1, "value {i} stored nowhere");
    }
    services
}

fn key(i: usize) -> String {
    format!("attack-test-{i}")
}

fn value(i: usize) -> Vec<u8> {
    format!("honest value {i}").into_bytes()
}

/// Every honest value is still found from every honest node.
fn all_found(services: &[DHTService<ServiceHasher>], values: usize) {
    for (n, service) in services.iter().enumerate() {
        for i in 0..values {
            assert_eq!(service.query(key(i)), Some(value(i)), "node {n}, value {i}");
        }
    }
}

fn socket_of(service: &DHTService<ServiceHasher>) -> SocketAddr {
    kad_udp::multiaddr_to_socket(&service.local_addrs()[0]).expect("a UDP address")
}

/// A hand-driven peer: a socket that speaks the wire format.
struct Peer {
    socket: UdpSocket,
    id: Id,
}

impl Peer {
    fn bind(at: &str, id: Id) -> Peer {
        let socket = UdpSocket::bind(at).expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("timeout");
        Peer { socket, id }
    }

    fn send(&self, to: SocketAddr, tx: u64, body: Body<kad_proto::Multiaddr, Id>) -> usize {
        let message: WireMessage<Id> = Message {
            tx: TxId::from_u64(tx),
            sender: self.id,
            body,
        };
        let datagram = encode(&message).expect("encodes");
        self.socket.send_to(&datagram, to).expect("send")
    }

    /// What arrives within `window`: (bytes, message) of each datagram.
    fn receive_for(&self, window: Duration) -> Vec<(usize, WireMessage<Id>)> {
        let started = Instant::now();
        let mut buf = [0u8; 2048];
        let mut received = Vec::new();
        while started.elapsed() < window {
            if let Ok((len, _)) = self.socket.recv_from(&mut buf) {
                if let Ok(message) = decode::<Id>(&buf[..len]) {
                    received.push((len, message));
                }
            }
        }
        received
    }
}

fn flip_last_bit(id: &Id) -> Id {
    let mut bytes = *id.as_bytes();
    bytes[19] ^= 1;
    Key::new(bytes)
}

#[test]
fn a_ping_from_a_forged_address_draws_a_pong_and_one_verification_ping() {
    let mut target = honest_builder(7100).build().expect("settings");
    target.register_gateway(UdpGateway::new("127.0.1.1:0"));
    target.start().expect("start");
    for i in 0..300 {
        target.save(key(i), value(i));
    }
    let target_id = target.local_id().expect("running");
    // Claims an id next to the target's own, where every record would be handed over; never
    // answers.
    let victim = Peer::bind("127.0.5.1:0", flip_last_bit(&target_id));
    let sent = victim.send(socket_of(&target), 1, Body::Request(Request::Ping));
    let received = victim.receive_for(Duration::from_secs(5));
    let bytes: usize = received.iter().map(|(len, _)| len).sum();
    eprintln!(
        "sent 1 datagram of {sent} bytes; received {} datagrams, {bytes} bytes",
        received.len()
    );
    assert!(received.len() <= 2, "{received:?}");
    assert!(
        received.iter().all(|(_, m)| matches!(
            m.body,
            Body::Response(Response::Pong) | Body::Request(Request::Ping)
        )),
        "{received:?}"
    );
    assert!(bytes <= 3 * sent, "{bytes} bytes back for {sent}");
    assert_eq!(target.get_number_of_known_peers(), 0);
    assert_eq!(target.stats().records, 300, "no record lost");
}

#[test]
fn a_find_node_flood_from_one_address_gets_answers_within_the_rate_limit() {
    let services = honest_network(10);
    let target = socket_of(&services[0]);
    let flooder = Peer::bind("127.0.5.2:0", Key::new([0x5a; 20]));
    let config = services[0].config().expect("running").clone();
    let started = Instant::now();
    let mut sent = 0;
    for tx in 0..2000u64 {
        let target_id = Sha1Hasher::new().hash(&tx.to_be_bytes());
        sent += flooder.send(target, tx, Body::Request(Request::find_node(target_id)));
        if tx % 100 == 99 {
            // Spread over about a second, and drain the socket meanwhile.
            std::thread::sleep(Duration::from_millis(45));
        }
    }
    let received = flooder.receive_for(Duration::from_millis(500));
    let elapsed = started.elapsed().as_secs_f64();
    let answers = received
        .iter()
        .filter(|(_, m)| matches!(m.body, Body::Response(_)))
        .count();
    let bytes: usize = received.iter().map(|(len, _)| len).sum();
    let allowed = f64::from(config.source_burst) + f64::from(config.source_rate) * elapsed;
    eprintln!(
        "2000 FIND_NODEs ({sent} bytes) over {elapsed:.2} s: {answers} answers, {bytes} bytes; \
         allowed about {allowed:.0}"
    );
    assert!(answers as f64 <= allowed + 1.0, "{answers} answers");
    // Each answer to this stranger is at most three times its request.
    let request_len = sent / 2000;
    assert!(
        received
            .iter()
            .filter(|(_, m)| matches!(m.body, Body::Response(_)))
            .all(|(len, _)| *len <= 3 * request_len),
        "answers over three times the {request_len}-byte request"
    );
    assert!(
        answers >= config.source_burst as usize / 2,
        "the first ones are answered"
    );
    assert!(services[0].stats().dropped.rate_limited >= 1500);
    all_found(&services, 10);
}

#[test]
fn a_store_without_a_token_is_not_kept() {
    let services = honest_network(5);
    let target = socket_of(&services[0]);
    let attacker = Peer::bind("127.0.5.3:0", Key::new([0x66; 20]));
    let forged = Sha1Hasher::new().hash(key(0).as_bytes());
    attacker.send(
        target,
        1,
        Body::Request(Request::Store {
            key: forged,
            record: Record::Plain(b"forged".to_vec()),
            ttl_secs: 3600,
            token: Token::from_bytes([0x42; 8]),
            cas: None,
        }),
    );
    let answers = attacker.receive_for(Duration::from_millis(500));
    assert!(
        answers.iter().any(|(_, m)| m.body
            == Body::Response(Response::Stored {
                outcome: StoreOutcome::Refused
            })),
        "{answers:?}"
    );
    assert!(services[0].stats().node.stores_without_token >= 1);
    all_found(&services, 5);
}

#[test]
fn ten_thousand_stores_from_one_slash_24_keep_nothing() {
    let services = honest_network(5);
    let target = socket_of(&services[0]);
    let records = services[0].stats().records;
    let mut sent = 0;
    'hosts: for host in 1..=254u8 {
        for _ in 0..40 {
            if sent == 10_000 {
                break 'hosts;
            }
            let attacker = Peer::bind(&format!("127.0.6.{host}:0"), Key::new([host; 20]));
            let junk = Sha1Hasher::new().hash(&(sent as u64).to_be_bytes());
            attacker.send(
                target,
                sent as u64,
                Body::Request(Request::Store {
                    key: junk,
                    record: Record::Plain(vec![0xab; 100]),
                    ttl_secs: 3600,
                    token: Token::from_bytes((sent as u64).to_be_bytes()),
                    cas: None,
                }),
            );
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(500));
    let stats = services[0].stats();
    eprintln!(
        "{sent} forged STOREs: {} refused for their token, {} turned away by the rate limit",
        stats.node.stores_without_token, stats.dropped.rate_limited
    );
    assert_eq!(stats.records, records, "nothing forged was kept");
    assert!(stats.node.stores_without_token + stats.dropped.rate_limited >= 9_000);
    all_found(&services, 5);
}

#[test]
fn a_hundred_nodes_of_one_slash_24_get_ten_slots() {
    let services = honest_network(5);
    let target = socket_of(&services[0]);
    let honest_peers = services[0].get_number_of_known_peers();
    let sybils: Vec<Peer> = (1..=100u8)
        .map(|host| {
            let id = Sha1Hasher::new().hash(&[0x5b, host]);
            Peer::bind(&format!("127.0.7.{host}:0"), id)
        })
        .collect();
    // Each says hello, then answers the verification ping it draws.
    for (i, sybil) in sybils.iter().enumerate() {
        sybil.send(target, i as u64, Body::Request(Request::Ping));
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        for sybil in &sybils {
            let mut buf = [0u8; 2048];
            sybil.socket.set_nonblocking(true).expect("nonblocking");
            while let Ok((len, from)) = sybil.socket.recv_from(&mut buf) {
                let Ok(message) = decode::<Id>(&buf[..len]) else {
                    continue;
                };
                if let Body::Request(request) = message.body {
                    // Each behaves as an honest node would, so that it stays once in.
                    let answer = match request {
                        Request::Ping => Response::Pong,
                        Request::Store { .. } => Response::Stored {
                            outcome: StoreOutcome::Accepted,
                        },
                        Request::FindNode { .. } | Request::FindValue { .. } => Response::Nodes {
                            contacts: vec![],
                            token: Token::default(),
                        },
                    };
                    let reply: WireMessage<Id> = Message {
                        tx: message.tx,
                        sender: sybil.id,
                        body: Body::Response(answer),
                    };
                    let _ = sybil
                        .socket
                        .send_to(&encode(&reply).expect("encodes"), from);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let peers = services[0].get_number_of_known_peers();
    let stats = services[0].stats();
    eprintln!(
        "table: {peers} contacts ({honest_peers} honest before); {} verifications sent, {} \
         refused by the subnet limits",
        stats.node.verifications_sent, stats.node.contacts_refused_subnet
    );
    assert!(peers <= honest_peers + 10, "{peers} contacts");
    assert!(peers > honest_peers, "the subnet gets its share");
    all_found(&services, 5);
}
