//! Helpers shared by the integration tests: small networks of services on loopback.

#![allow(dead_code)]

pub mod logs;

use std::thread;
use std::time::{Duration, Instant};

use kad_runtime::hash::Sha1Hasher;
use kad_runtime::{Builder, DHTService, UdpGateway};

/// Request timeout used by the network tests: short, so that dead nodes cost little.
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(300);

/// A builder with test settings.
pub fn builder(seed: u64) -> Builder<Sha1Hasher> {
    DHTService::builder()
        .request_timeout(REQUEST_TIMEOUT)
        .query_timeout(Duration::from_secs(5))
        .seed(seed)
}

/// A started service on an IPv4 loopback port.
pub fn start(builder: Builder<Sha1Hasher>) -> DHTService<Sha1Hasher> {
    let mut service = builder.build().expect("valid settings");
    service.register_gateway(UdpGateway::new("127.0.0.1:0"));
    service.start().expect("service starts");
    service
}

/// `n` services, each joined through the first, settled.
pub fn network(n: usize, seed: u64) -> Vec<DHTService<Sha1Hasher>> {
    network_with(n, |i| {
        builder(seed.wrapping_mul(1000).wrapping_add(i as u64))
    })
}

/// `n` services built by `builder(i)`, each joined through the first, settled.
pub fn network_with(
    n: usize,
    builder: impl Fn(usize) -> Builder<Sha1Hasher>,
) -> Vec<DHTService<Sha1Hasher>> {
    let services: Vec<_> = (0..n).map(|i| start(builder(i))).collect();
    let seed = services[0].local_addrs()[0].clone();
    for service in &services[1..] {
        service.connect(seed.clone()).expect("connect");
    }
    settle(&services, Duration::from_secs(20));
    services
}

/// Waits until no routing table has changed for a few samples in a row (at most `bound`).
pub fn settle(services: &[DHTService<Sha1Hasher>], bound: Duration) {
    let started = Instant::now();
    let peers = || -> Vec<usize> {
        services
            .iter()
            .map(|s| s.get_number_of_known_peers())
            .collect()
    };
    let mut last = peers();
    let mut stable = 0;
    while stable < 4 && started.elapsed() < bound {
        thread::sleep(Duration::from_millis(100));
        let now = peers();
        if now == last && now.iter().all(|&p| p > 0) {
            stable += 1;
        } else {
            stable = 0;
        }
        last = now;
    }
}

/// Runs `f` and asserts it took less than `bound`.
pub fn quickly<T>(bound: Duration, what: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = f();
    let took = started.elapsed();
    assert!(
        took < bound,
        "{what} took {took:?}, expected under {bound:?}"
    );
    result
}

/// Waits until every service knows at least `min` peers (at most `bound`).
pub fn wait_for_peers(services: &[DHTService<Sha1Hasher>], min: usize, bound: Duration) {
    let started = Instant::now();
    while started.elapsed() < bound && services.iter().any(|s| s.get_number_of_known_peers() < min)
    {
        thread::sleep(Duration::from_millis(20));
    }
}
