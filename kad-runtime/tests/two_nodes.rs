//! Two services over real UDP on loopback: they find each other and each other's values.

mod common;

use std::time::Duration;

use common::{builder, start};
use kad_runtime::Error;

#[test]
fn two_nodes_save_and_query_both_ways() {
    let a = start(builder(1));
    let b = start(builder(2));
    let a_addr = a.local_addrs()[0].clone();
    assert!(a_addr.to_string().starts_with("/ip4/127.0.0.1/udp/"));
    assert!(
        !a_addr.to_string().ends_with("/udp/0"),
        "port 0 is resolved"
    );

    b.connect(a_addr).expect("connect");
    // Saved right after connect: waits for a's answer, then stores at a.
    assert_eq!(b.save(b"from b", b"1".to_vec()).wait().expect("save"), 1);
    assert_eq!(a.query(b"from b").as_deref(), Some(&b"1"[..]));

    assert_eq!(a.save("from a", b"2".to_vec()).wait().expect("save"), 1);
    assert_eq!(b.query("from a").as_deref(), Some(&b"2"[..]));

    assert_eq!(a.get_number_of_known_peers(), 1);
    assert_eq!(b.get_number_of_known_peers(), 1);
    assert_eq!(b.try_query(b"nobody saved this").expect("query"), None);

    let stats = a.stats();
    assert_eq!(stats.peers, 1);
    assert_eq!(stats.records, 2);
    assert!(stats.requests_received > 0 && stats.requests_sent > 0);
    assert!(stats.datagrams_received > 0 && stats.datagrams_sent > 0);
    assert!(stats.bytes_received > stats.datagrams_received);
    assert!(stats.bytes_sent > stats.datagrams_sent);
    assert_eq!(stats.dropped.total(), 0, "{stats:?}");
    assert_eq!(stats.buckets.iter().sum::<usize>(), 1, "b in one bucket");
    assert!(
        stats.buckets.len() <= 160,
        "at most a bucket per bit of a SHA-1 key"
    );
    let by_kind = stats.node.requests_received_by_kind;
    assert!(by_kind.store >= 1 && by_kind.find_node >= 1, "{by_kind:?}");
    assert_eq!(by_kind.total(), stats.requests_received);
    assert_eq!(
        stats.node.requests_sent_by_kind.total(),
        stats.requests_sent
    );
    // a ran one put and one get itself; b's get, for a value nobody saved, is a lookup
    // that finished too.
    assert_eq!(stats.lookups.put.count(), 1);
    assert_eq!(stats.lookups.get.count(), 1);
    assert!(stats.lookups.put.latency_us.sum < 10_000_000);
    assert!(stats.lookups.put.mean_latency().is_some());
    assert_eq!(b.stats().lookups.get.count(), 2);
    assert!(b.stats().lookups.get.hops.count() == 2);
}

#[test]
fn values_are_overwritten_and_size_limited() {
    let a = start(builder(3));
    let b = start(builder(4));
    b.connect(a.local_addrs()[0].clone()).expect("connect");
    b.save(b"k", b"old".to_vec()).wait().expect("save");
    b.save(b"k", b"new".to_vec()).wait().expect("save");
    assert_eq!(a.query(b"k").as_deref(), Some(&b"new"[..]));

    let max = kad_runtime::MAX_VALUE_SIZE;
    assert_eq!(b.save(b"big", vec![7; max]).wait().expect("save"), 1);
    assert_eq!(a.query(b"big").map(|v| v.len()), Some(max));
    match b.save(b"too big", vec![7; max + 1]).wait() {
        Err(Error::Command(kad_core::CommandError::ValueTooLarge { len, max: m })) => {
            assert_eq!((len, m), (max + 1, max));
        }
        other => panic!("expected ValueTooLarge, got {other:?}"),
    }
    assert_eq!(a.query(b"too big"), None);
}

#[test]
fn connect_to_a_silent_seed_does_not_block() {
    let a = start(builder(5));
    // A port nobody listens on: the bootstrap fails after the request timeout.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = kad_udp::socket_to_multiaddr(silent.local_addr().expect("addr"));
    common::quickly(Duration::from_secs(1), "connect", || {
        a.connect(addr).expect("connect")
    });
    // A save given meanwhile ends, with the local copy only, once the bootstrap gives up.
    let replicas = a
        .save(b"alone", b"v".to_vec())
        .wait_timeout(Duration::from_secs(5))
        .expect("save ends");
    assert_eq!(replicas, 0);
    assert_eq!(a.query(b"alone").as_deref(), Some(&b"v"[..]));
}

#[test]
fn unreachable_seed_is_refused() {
    let a = start(builder(6));
    let v6 = "/ip6/::1/udp/4000".parse().expect("multiaddr");
    assert!(matches!(a.connect(v6), Err(Error::UnreachableAddress(_))));
    let tcp = "/ip4/127.0.0.1/tcp/4000".parse().expect("multiaddr");
    assert!(matches!(a.connect(tcp), Err(Error::UnreachableAddress(_))));
}

/// In a network smaller than k every node holds every record: values saved on `a` before
/// `b` (and `c`) joined are handed to them, whatever their distance to the keys, and are
/// still found once `a` is gone.
#[test]
fn values_saved_before_a_node_joins_outlive_the_node_that_saved_them() {
    let a = start(builder(11));
    for i in 0..20 {
        assert_eq!(
            a.save(format!("early {i}"), vec![i]).wait().expect("save"),
            0
        );
    }
    let b = start(builder(12));
    let c = start(builder(13));
    b.connect(a.local_addrs()[0].clone()).expect("connect");
    c.connect(a.local_addrs()[0].clone()).expect("connect");
    let handed = |s: &kad_runtime::DHTService<_>| s.stats().records == 20;
    let started = std::time::Instant::now();
    while !(handed(&b) && handed(&c)) && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    a.stop();
    for s in [&b, &c] {
        for i in 0..20 {
            assert_eq!(s.query(format!("early {i}")), Some(vec![i]), "value {i}");
        }
    }
}
