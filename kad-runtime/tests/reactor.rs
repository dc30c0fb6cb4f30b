//! Services of different key sizes share one reactor; one of them stopping leaves the others
//! running on the same threads.

mod common;

use std::time::Duration;

use common::{quickly, REQUEST_TIMEOUT};
use kad_runtime::hash::{Blake3Hasher, Hasher};
use kad_runtime::{DHTService, Reactor, UdpGateway};

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
