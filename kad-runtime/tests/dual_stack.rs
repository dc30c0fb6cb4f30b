//! One service with an IPv4 and an IPv6 gateway joins IPv4-only and IPv6-only nodes into
//! one network.

mod common;

use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

use common::builder;
use kad_runtime::hash::Sha1Hasher;
use kad_runtime::{DHTService, UdpGateway};

fn ipv6_loopback() -> bool {
    UdpSocket::bind("[::1]:0").is_ok()
}

fn start_on(addrs: &[&str], seed: u64) -> DHTService<Sha1Hasher> {
    let mut service = builder(seed).build().expect("settings");
    for addr in addrs {
        service.register_gateway(UdpGateway::new(addr));
    }
    service.start().expect("start");
    service
}

#[test]
fn a_dual_stack_service_bridges_ipv4_and_ipv6_nodes() {
    if !ipv6_loopback() {
        eprintln!("skipped: IPv6 loopback (::1) is not available on this machine");
        return;
    }
    let bridge = start_on(&["127.0.0.1:0", "[::1]:0"], 10);
    let addrs = bridge.local_addrs();
    assert_eq!(addrs.len(), 2);
    let v4 = addrs[0].clone();
    let v6 = addrs[1].clone();
    assert!(v4.to_string().starts_with("/ip4/127.0.0.1/udp/"), "{v4}");
    assert!(v6.to_string().starts_with("/ip6/::1/udp/"), "{v6}");

    let ipv4: Vec<_> = (0..3).map(|i| start_on(&["127.0.0.1:0"], 20 + i)).collect();
    let ipv6: Vec<_> = (0..3).map(|i| start_on(&["[::1]:0"], 30 + i)).collect();
    for node in &ipv4 {
        node.connect(v4.clone()).expect("connect over IPv4");
        assert!(
            node.connect(v6.clone()).is_err(),
            "IPv4-only node cannot reach IPv6"
        );
    }
    for node in &ipv6 {
        node.connect(v6.clone()).expect("connect over IPv6");
    }
    let all: Vec<&DHTService<Sha1Hasher>> =
        std::iter::once(&bridge).chain(&ipv4).chain(&ipv6).collect();
    let wait = Instant::now();
    while bridge.get_number_of_known_peers() < 6 && wait.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(bridge.get_number_of_known_peers(), 6);

    // Values saved on one side are found on the other, through the bridge.
    ipv4[0]
        .save(b"from v4", b"4".to_vec())
        .wait()
        .expect("save");
    ipv6[0]
        .save(b"from v6", b"6".to_vec())
        .wait()
        .expect("save");
    bridge
        .save(b"from bridge", b"b".to_vec())
        .wait()
        .expect("save");
    for node in &all {
        assert_eq!(node.query(b"from v4").as_deref(), Some(&b"4"[..]));
        assert_eq!(node.query(b"from v6").as_deref(), Some(&b"6"[..]));
        assert_eq!(node.query(b"from bridge").as_deref(), Some(&b"b"[..]));
    }

    // No node tried to send to an address it cannot reach: the bridge's answers to each side
    // only carried contacts that side can use.
    for node in &all {
        let stats = node.stats();
        assert_eq!(stats.dropped.unreachable, 0, "{stats:?}");
    }
    for node in &ipv4 {
        assert!(node.get_number_of_known_peers() <= 3, "only IPv4 contacts");
    }
    let bridge_stats = bridge.stats();
    assert_eq!(bridge_stats.gateways.len(), 2);
    assert!(bridge_stats
        .gateways
        .iter()
        .all(|g| g.received > 0 && g.sent > 0));
}
