//! Thousands of garbage datagrams fired at a node while it serves requests: random bytes,
//! truncated and over-size valid datagrams, foreign magic, other versions. The node keeps
//! answering, counts the drops, and loses no record.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{builder, start};
use kad_core::{Body, Hasher, Key, Message, Record, Request, Response, Sha1Hasher, Token, TxId};
use kad_proto::{decode, encode, WireMessage};
use kad_runtime::UdpGateway;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const VALUES: usize = 20;
const GARBAGE: usize = 6000;

fn key(i: usize) -> String {
    format!("garbage-test-{i}")
}

/// A valid STORE request, as a datagram.
fn store_datagram(rng: &mut SmallRng) -> Vec<u8> {
    let message: WireMessage<Key<20>> = Message {
        tx: TxId::from_u64(rng.random()),
        sender: Key::new(rng.random()),
        body: Body::Request(Request::Store {
            key: Key::new(rng.random()),
            record: Record::Plain(vec![rng.random(); rng.random_range(0..=1024)]),
            ttl_secs: 60,
            token: Token::from_bytes(rng.random()),
            cas: None,
        }),
    };
    encode(&message).expect("encodes")
}

/// One garbage datagram of the `n`-th kind.
fn garbage(n: usize, rng: &mut SmallRng) -> Vec<u8> {
    match n % 6 {
        // Random bytes of any length up to the limit, empty included.
        0 => (0..rng.random_range(0..=1232))
            .map(|_| rng.random())
            .collect(),
        // A valid datagram cut short.
        1 => {
            let mut datagram = store_datagram(rng);
            datagram.truncate(rng.random_range(0..datagram.len()));
            datagram
        }
        // A valid datagram with bytes after it, past the size limit.
        2 => {
            let mut datagram = store_datagram(rng);
            datagram.resize(rng.random_range(1233..4000), 0);
            datagram
        }
        // Another protocol's magic.
        3 => {
            let mut datagram = store_datagram(rng);
            datagram[..3].copy_from_slice(b"XYZ");
            datagram
        }
        // A future version of the format.
        4 => {
            let mut datagram = store_datagram(rng);
            datagram[3] = rng.random_range(kad_proto::VERSION + 1..=255);
            datagram
        }
        // The right header, then noise.
        _ => {
            let mut datagram = b"KAD".to_vec();
            datagram.push(kad_proto::VERSION);
            datagram.extend((0..rng.random_range(0..200)).map(|_| rng.random::<u8>()));
            datagram
        }
    }
}

/// Asks `target` for `key` with a FIND_VALUE of our own, as another node would.
fn find_value(socket: &UdpSocket, target: SocketAddr, key: &str, tx: u64) -> Option<Vec<u8>> {
    let request: WireMessage<Key<20>> = Message {
        tx: TxId::from_u64(tx),
        sender: Key::new([0xee; 20]),
        body: Body::Request(Request::find_value(Sha1Hasher::new().hash(key.as_bytes()))),
    };
    let datagram = encode(&request).expect("encodes");
    let mut buf = [0u8; 2048];
    // Loopback under a flood may drop a datagram: ask again, a bounded number of times.
    for _ in 0..5 {
        socket.send_to(&datagram, target).expect("send");
        while let Ok((len, _)) = socket.recv_from(&mut buf) {
            let Ok(message) = decode::<Key<20>>(&buf[..len]) else {
                continue;
            };
            if message.tx != TxId::from_u64(tx) {
                continue;
            }
            if let Body::Response(Response::Value { record, .. }) = message.body {
                return Some(record.into_value());
            }
            return None;
        }
    }
    None
}

#[test]
fn garbage_is_counted_and_dropped_while_the_node_keeps_answering() {
    let mut target = builder(40).build().expect("settings");
    let gateway = UdpGateway::new("127.0.0.1:0");
    let reasons = gateway.drop_counters();
    target.register_gateway(gateway);
    target.start().expect("start");
    let others: Vec<_> = (0..3).map(|i| start(builder(41 + i))).collect();
    for other in &others {
        other
            .connect(target.local_addrs()[0].clone())
            .expect("connect");
    }
    for i in 0..VALUES {
        let replicas = others[i % 3]
            .save(key(i), format!("v{i}").into_bytes())
            .wait()
            .expect("save");
        assert!(replicas >= 1);
    }
    let before = target.stats();
    assert_eq!(before.records, VALUES);
    let target_addr = kad_udp::multiaddr_to_socket(&target.local_addrs()[0]).expect("udp");

    let flooding = AtomicBool::new(true);
    let sent = thread::scope(|scope| {
        let flood = scope.spawn(|| {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
            let mut rng = SmallRng::seed_from_u64(7);
            let mut sent = 0;
            let dropped = || target.stats().dropped.malformed;
            for n in 0..GARBAGE {
                if socket.send_to(&garbage(n, &mut rng), target_addr).is_ok() {
                    sent += 1;
                }
                // Paced by what the node has dropped, so that the kernel's receive buffer
                // does not overflow: the test is about what the node does with garbage, not
                // about what the kernel drops.
                let paced = Instant::now();
                while dropped() + 64 < sent && paced.elapsed() < Duration::from_secs(1) {
                    thread::sleep(Duration::from_micros(200));
                }
            }
            flooding.store(false, Ordering::Release);
            sent
        });

        // Meanwhile, the node answers FIND_VALUE requests and queries from the network.
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        let mut rounds = 0;
        let mut tx = 0;
        while flooding.load(Ordering::Acquire) || rounds < 2 {
            for i in 0..VALUES {
                tx += 1;
                let value = find_value(&socket, target_addr, &key(i), tx);
                assert_eq!(value, Some(format!("v{i}").into_bytes()), "key {i}");
            }
            assert_eq!(
                target.query(key(rounds % VALUES)),
                Some(format!("v{}", rounds % VALUES).into_bytes())
            );
            rounds += 1;
        }
        eprintln!("{rounds} rounds of {VALUES} FIND_VALUE answered during the flood");
        flood.join().expect("flood thread")
    });

    // The node may still be reading the last of the flood, and the gateway's counts by reason
    // and the service's stats are separate counters: wait (a bounded time) until they agree.
    let settled = Instant::now() + Duration::from_secs(5);
    let mut after = target.stats();
    while after.dropped.malformed != reasons.total() && Instant::now() < settled {
        thread::sleep(Duration::from_millis(20));
        after = target.stats();
    }
    eprintln!("sent {sent} garbage datagrams; target stats: {after:?}");
    // A random datagram may, in theory, be a valid message; none of them removes a record.
    assert!(after.records >= VALUES, "records lost: {after:?}");
    assert!(
        after.dropped.malformed >= sent as u64 * 9 / 10,
        "{} of {sent} garbage datagrams counted",
        after.dropped.malformed
    );
    assert!(after.dropped.malformed <= sent as u64);
    // A thousand of each kind; random bytes are foreign (or too short), truncated
    // datagrams malformed.
    eprintln!(
        "by reason: {} foreign, {} other version, {} over-size, {} malformed",
        reasons.foreign(),
        reasons.other_version(),
        reasons.oversize(),
        reasons.malformed()
    );
    assert_eq!(reasons.total(), after.dropped.malformed);
    assert_eq!(reasons.oversize(), (GARBAGE / 6) as u64);
    assert_eq!(reasons.other_version(), (GARBAGE / 6) as u64);
    assert!(reasons.foreign() >= (GARBAGE / 6 * 195 / 100) as u64);
    assert!(reasons.malformed() >= (GARBAGE / 6 * 195 / 100) as u64);
    for (i, other) in others.iter().enumerate() {
        assert_eq!(other.query(key(i)), Some(format!("v{i}").into_bytes()));
    }
}
