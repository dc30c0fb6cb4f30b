//! Services of different key sizes share one reactor; one of them stopping, or panicking,
//! leaves the others running on the same threads; their timers fire.

mod common;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::{quickly, REQUEST_TIMEOUT};
use kad_runtime::gateway::{GatewayError, Inbound, SendError, WireMessage};
use kad_runtime::hash::{Blake3Hasher, Hasher, KeyType};
use kad_runtime::{DHTService, Error, Gateway, Multiaddr, Reactor, UdpGateway};

fn start<H: Hasher>(hasher: H, reactor: &Reactor, seed: u64) -> DHTService<H> {
    let mut service = DHTService::builder()
        .hasher(hasher)
        .request_timeout(REQUEST_TIMEOUT)
        .seed(seed)
        .reactor(reactor)
        .build()
        .expect("settings");
    service.register_gateway(UdpGateway::new("127.0.0.1:0"));
    service.start().expect("start");
    service
}

/// Three services joined through the first.
fn trio<H: Hasher>(hasher: H, reactor: &Reactor, seed: u64) -> Vec<DHTService<H>> {
    let services: Vec<_> = (0..3)
        .map(|i| start(hasher.clone(), reactor, seed + i))
        .collect();
    for service in &services[1..] {
        service
            .connect(services[0].local_addrs()[0].clone())
            .expect("connect");
    }
    // Contacts enter a table once they answered from their address: a round trip or two.
    let started = Instant::now();
    while services.iter().any(|s| s.get_number_of_known_peers() < 2)
        && started.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    services
}

#[test]
fn services_of_any_hasher_share_a_reactor() {
    let reactor = Reactor::new(2).expect("reactor");
    assert_eq!(reactor.threads(), 2);
    let sha1 = trio(kad_runtime::hash::Sha1Hasher::new(), &reactor, 1);
    let blake3 = trio(Blake3Hasher::new(), &reactor, 11);

    assert!(sha1[2].save(b"k", b"sha1".to_vec()).wait().expect("save") >= 1);
    assert!(
        blake3[2]
            .save(b"k", b"blake3".to_vec())
            .wait()
            .expect("save")
            >= 1
    );
    for service in &sha1 {
        assert_eq!(service.query(b"k").as_deref(), Some(&b"sha1"[..]));
    }
    for service in &blake3 {
        assert_eq!(service.query(b"k").as_deref(), Some(&b"blake3"[..]));
    }

    // Stopping a service takes it off the reactor at once; the others keep working.
    quickly(Duration::from_secs(1), "stop", || sha1[0].stop());
    assert!(!sha1[0].is_running());
    assert_eq!(sha1[1].query(b"k").as_deref(), Some(&b"sha1"[..]));
    assert_eq!(blake3[0].query(b"k").as_deref(), Some(&b"blake3"[..]));

    // The reactor outlives the handle it was made with, for as long as services use it.
    drop(reactor);
    assert!(blake3[1].save(b"k2", b"v2".to_vec()).wait().expect("save") >= 1);
    assert_eq!(blake3[2].query(b"k2").as_deref(), Some(&b"v2"[..]));
}

#[test]
fn timers_fire_on_a_shared_reactor() {
    let reactor = Reactor::new(1).expect("reactor");
    // A busy neighbour on the same thread, and a node whose seed never answers.
    let _neighbours = trio(kad_runtime::hash::Sha1Hasher::new(), &reactor, 21);
    let lonely = start(kad_runtime::hash::Sha1Hasher::new(), &reactor, 31);
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    silent
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    lonely
        .connect(kad_udp::socket_to_multiaddr(
            silent.local_addr().expect("addr"),
        ))
        .expect("connect");
    // The bootstrap is tried again each time its request times out: three requests in all,
    // a request timeout apart, and then the save waiting for it ends.
    let started = Instant::now();
    let mut buf = [0; 2048];
    for _ in 0..3 {
        silent.recv_from(&mut buf).expect("a bootstrap request");
    }
    assert!(
        started.elapsed() >= REQUEST_TIMEOUT * 2,
        "{:?}",
        started.elapsed()
    );
    let replicas = lonely
        .save(b"alone", b"v".to_vec())
        .wait_timeout(Duration::from_secs(5))
        .expect("save ends");
    assert_eq!(replicas, 0);
}

/// A transport with a bug: it panics when asked to send.
struct Panicking;

impl<K: KeyType> Gateway<K> for Panicking {
    fn can_reach(&self, _: &Multiaddr) -> bool {
        true
    }

    fn start(&mut self, _: Inbound<K>) -> Result<(), GatewayError> {
        Ok(())
    }

    fn local_addrs(&self) -> Vec<Multiaddr> {
        Vec::new()
    }

    fn send(&self, _: &Multiaddr, _: WireMessage<K>) -> Result<(), SendError> {
        panic!("a bug in a gateway");
    }

    fn shutdown(&mut self) {}
}

#[test]
fn a_panicking_service_leaves_the_others_on_its_thread_running() {
    let reactor = Reactor::new(1).expect("reactor");
    let healthy = trio(kad_runtime::hash::Sha1Hasher::new(), &reactor, 41);
    let mut faulty = DHTService::builder()
        .reactor(&reactor)
        .build()
        .expect("settings");
    faulty.register_gateway(Panicking);
    faulty.start().expect("start");
    // Its first request panics inside the reactor thread.
    let _ = faulty.connect(healthy[0].local_addrs()[0].clone());
    let started = Instant::now();
    while faulty.is_running() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !faulty.is_running(),
        "the panicked service is reported down"
    );
    assert!(matches!(faulty.try_query(b"k"), Err(Error::Stopped)));
    quickly(Duration::from_secs(1), "stop", || faulty.stop());

    // The services that share its thread are unharmed.
    assert!(healthy[1].save(b"k", b"v".to_vec()).wait().expect("save") >= 1);
    assert_eq!(healthy[2].query(b"k").as_deref(), Some(&b"v"[..]));
}
