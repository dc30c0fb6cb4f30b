//! What a service logs through `tracing`: its start with the addresses it listens at, its
//! stop, each garbage datagram it drops with its source and reason (at most `LOG_LIMIT` a
//! second, then a count of the rest, however many arrive), a send the system refused, a
//! bootstrap and the queries that finish.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use common::logs::{capture, logged};
use common::{builder, start};
use kad_core::{Body, Key, Message, Request, TxId, LOG_LIMIT};
use kad_proto::{decode, encode, WireMessage};
use kad_runtime::hash::Sha1Hasher;
use kad_runtime::DHTService;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A started service logging at debug level, and the socket address it listens at.
fn service(seed: u64) -> (DHTService<Sha1Hasher>, SocketAddr) {
    capture(tracing::Level::DEBUG);
    let service = start(builder(seed));
    let addr = service.local_addrs()[0].to_string();
    // "/ip4/127.0.0.1/udp/<port>"
    let port = addr.rsplit('/').next().and_then(|p| p.parse().ok());
    let socket = SocketAddr::from(([127, 0, 0, 1], port.expect("a UDP multiaddr")));
    (service, socket)
}

fn sender() -> (UdpSocket, String) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("binds");
    let addr = socket.local_addr().expect("bound").to_string();
    (socket, addr)
}

/// Waits until `done` holds, at most `bound`; returns whether it did.
fn wait_for(bound: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > bound {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
    true
}

/// The lines of `log` that contain every one of `parts`.
fn lines_with<'a>(log: &'a str, parts: &[&str]) -> Vec<&'a str> {
    log.lines()
        .filter(|line| parts.iter().all(|part| line.contains(part)))
        .collect()
}

fn random_bytes(rng: &mut SmallRng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.random()).collect()
}

#[test]
fn a_service_logs_its_start_and_each_garbage_datagram_with_its_source() {
    let (service, local) = service(1);
    let listen = service.local_addrs()[0].to_string();
    let log = logged();
    let started = lines_with(&log, &["INFO", "service started", &listen]);
    assert_eq!(started.len(), 1, "{log}");

    let mut rng = SmallRng::seed_from_u64(7);
    let ping: WireMessage<Key<20>> = Message {
        tx: TxId::from_u64(1),
        sender: Key::new([1; 20]),
        body: Body::Request(Request::Ping),
    };
    let mut truncated = encode(&ping).expect("encodes");
    truncated.truncate(truncated.len() / 2);
    let garbage = [random_bytes(&mut rng, 100), truncated];
    let (socket, from) = sender();
    for datagram in &garbage {
        socket.send_to(datagram, local).expect("sent");
    }

    let counted = wait_for(Duration::from_secs(5), || {
        service.stats().dropped.malformed >= garbage.len() as u64
    });
    assert!(counted, "dropped: {:?}", service.stats().dropped);
    let from = format!("from={from}");
    let local = format!("local={local}");
    let drop_lines = |log: &str| {
        let parts = [
            "DEBUG",
            "datagram dropped",
            &local,
            &from,
            "reason=\"malformed\"",
        ];
        lines_with(log, &parts).len()
    };
    let logged_all = wait_for(Duration::from_secs(5), || {
        drop_lines(&logged()) == garbage.len()
    });
    assert!(logged_all, "{}", logged());
    let log = logged();
    for datagram in &garbage {
        let error = decode::<Key<20>>(datagram).expect_err("garbage");
        let error = format!("error={error}");
        assert_eq!(
            lines_with(&log, &[&from, &error]).len(),
            1,
            "{error}: {log}"
        );
    }

    service.stop();
    let id = format!("service{{id={}", &service_id(&log, &listen));
    let log = logged();
    assert_eq!(
        lines_with(&log, &["INFO", &id, "service stopped"]).len(),
        1,
        "{log}"
    );
}

/// The id in the span of the service that started listening at `listen`.
fn service_id(log: &str, listen: &str) -> String {
    let line = lines_with(log, &["service started", listen])
        .first()
        .copied()
        .unwrap_or_default();
    let id = line.split("service{id=").nth(1).unwrap_or_default();
    id.chars().take_while(char::is_ascii_hexdigit).collect()
}

#[test]
fn a_flood_of_garbage_logs_a_bounded_number_of_drops_and_counts_the_rest() {
    const FLOOD: usize = 10_000;
    let (service, local) = service(2);
    let (socket, from) = sender();
    let mut rng = SmallRng::seed_from_u64(8);
    let began = Instant::now();
    for _ in 0..FLOOD {
        let len = rng.random_range(1..200);
        // The kernel may drop some of them; the node counts those it reads.
        let _ = socket.send_to(&random_bytes(&mut rng, len), local);
    }
    // Until the count stops growing: every datagram the kernel kept has been read.
    let mut last = u64::MAX;
    wait_for(Duration::from_secs(10), || {
        let now = service.stats().dropped.malformed;
        let settled = now == last;
        last = now;
        if !settled {
            thread::sleep(Duration::from_millis(200));
        }
        settled
    });
    // Stopping writes the summary of what the last window held back.
    service.stop();
    let elapsed = began.elapsed();
    let malformed = service.stats().dropped.malformed;
    // A window opens at most once a second.
    let windows = elapsed.as_secs() + 1;
    let bound = u64::from(LOG_LIMIT) * windows;
    assert!(
        malformed > 10 * bound,
        "the node read a flood, far over what may be logged: {malformed}"
    );

    let log = logged();
    let from = format!("from={from}");
    let local = format!("local={local}");
    let dropped = lines_with(&log, &["datagram dropped", &local, &from]).len() as u64;
    let summaries = lines_with(&log, &["suppressed", &local, "reason=\"malformed\""]);
    let suppressed: u64 = summaries
        .iter()
        .map(|line| {
            let count = line.rsplit("suppressed=").next().unwrap_or_default();
            let digits: String = count.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u64>().expect("a count")
        })
        .sum();
    assert!(
        (u64::from(LOG_LIMIT)..=bound).contains(&dropped),
        "{dropped} drops logged in {elapsed:?} ({windows} windows of {LOG_LIMIT})"
    );
    assert!(!summaries.is_empty() && summaries.len() as u64 <= windows);
    assert_eq!(
        dropped + suppressed,
        malformed,
        "every drop logged or counted in a summary"
    );
}

#[test]
fn a_bootstrap_and_the_put_that_follows_are_logged() {
    let (a, _) = service(3);
    let (b, _) = service(4);
    let listen = b.local_addrs()[0].to_string();
    let unreachable = "/ip6/::1/udp/4000".parse().expect("a multiaddr");
    assert!(b.connect(unreachable).is_err());
    b.connect(a.local_addrs()[0].clone()).expect("connects");
    assert_eq!(b.save(b"logged", b"value".to_vec()).wait().ok(), Some(1));
    b.stop();

    let log = logged();
    let b_id = format!("service{{id={}", service_id(&log, &listen));
    let of_b = |parts: &[&str]| {
        let mut parts = parts.to_vec();
        parts.push(&b_id);
        lines_with(&log, &parts).len()
    };
    let not_started = ["WARN", "bootstrap not started", "/ip6/::1/udp/4000"];
    assert_eq!(of_b(&not_started), 1, "{log}");
    assert_eq!(of_b(&["INFO", "bootstrap started", "seeds=1"]), 1, "{log}");
    assert_eq!(
        of_b(&["INFO", "bootstrap finished", "contacts=1"]),
        1,
        "{log}"
    );
    for kind in ["bootstrap", "put"] {
        let kind = format!("kind=\"{kind}\"");
        let finished = ["DEBUG", "query finished", &kind, "hops=", "latency="];
        assert_eq!(of_b(&finished), 1, "{log}");
    }
}

/// Linux refuses a datagram from a socket bound to loopback to any other address.
#[cfg(target_os = "linux")]
#[test]
fn a_send_the_system_refuses_is_logged_with_its_destination() {
    let (service, _) = service(5);
    let listen = service.local_addrs()[0].to_string();
    let seed = "/ip4/192.0.2.1/udp/4000";
    service
        .connect(seed.parse().expect("a multiaddr"))
        .expect("connects");
    let failed = wait_for(Duration::from_secs(5), || {
        service.stats().dropped.send_failed > 0
    });
    assert!(failed, "{:?}", service.stats().dropped);
    service.stop();
    let log = logged();
    let id = format!("service{{id={}", service_id(&log, &listen));
    let to = format!("to={seed}");
    let parts = [
        &id,
        "DEBUG",
        "message dropped",
        &to,
        "reason=\"send_failed\"",
        "error=",
    ];
    assert!(!lines_with(&log, &parts).is_empty(), "{log}");
}
