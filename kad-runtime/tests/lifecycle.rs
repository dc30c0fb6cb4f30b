//! Starting and stopping: errors are reported by `start`, `stop` returns promptly and leaves
//! no thread behind, and every call on a service that is not running returns at once.

mod common;

use std::net::UdpSocket;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{builder, quickly, start};
use kad_runtime::hash::Sha1Hasher;
use kad_runtime::{DHTService, Error, UdpGateway};

const AT_ONCE: Duration = Duration::from_millis(100);

/// Checks that every call returns at once with the error (or `None`, 0) for `expected`.
fn assert_inert(service: &DHTService<Sha1Hasher>, expected: fn(&Error) -> bool) {
    let seed = "/ip4/127.0.0.1/udp/9".parse().expect("multiaddr");
    quickly(AT_ONCE, "every call", || {
        let error = service.connect(seed).expect_err("connect fails");
        assert!(expected(&error), "connect: {error:?}");
        let error = service
            .save(b"k", b"v".to_vec())
            .wait()
            .expect_err("save fails");
        assert!(expected(&error), "save: {error:?}");
        assert_eq!(service.query(b"k"), None);
        let error = service.try_query(b"k").expect_err("query fails");
        assert!(expected(&error), "query: {error:?}");
        assert_eq!(service.get_number_of_known_peers(), 0);
        assert!(service.local_addrs().is_empty());
        assert!(service.local_id().is_none());
        assert!(!service.is_running());
        service.stop();
    });
}

#[test]
fn calls_on_an_unstarted_service_return_at_once() {
    let mut service = builder(1).build().expect("settings");
    assert_inert(&service, |e| matches!(e, Error::NotStarted));
    assert_eq!(service.stats().peers, 0);
    // Registering and dropping without starting is fine too.
    service.register_gateway(UdpGateway::new("127.0.0.1:0"));
    drop(service);
}

#[test]
fn calls_on_a_stopped_service_return_at_once() {
    let a = start(builder(2));
    let b = start(builder(3));
    b.connect(a.local_addrs()[0].clone()).expect("connect");
    b.save(b"k", b"v".to_vec()).wait().expect("save");
    quickly(Duration::from_secs(1), "stop", || b.stop());
    assert_inert(&b, |e| matches!(e, Error::Stopped));
    let mut b = b;
    assert!(matches!(b.start(), Err(Error::Stopped)));
    // The other node is unaffected.
    assert_eq!(a.query(b"k").as_deref(), Some(&b"v"[..]));
}

#[test]
fn start_reports_bad_settings_and_addresses() {
    let mut none = builder(4).build().expect("settings");
    assert!(matches!(none.start(), Err(Error::NoGateway)));

    let mut bad = builder(5).build().expect("settings");
    bad.register_gateway(UdpGateway::new("localhost:http"));
    let error = bad.start().expect_err("bad address");
    assert!(matches!(error, Error::Gateway(_)), "{error:?}");
    assert!(error.to_string().contains("localhost:http"), "{error}");

    let taken = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let mut clash = builder(6).build().expect("settings");
    clash.register_gateway(UdpGateway::new("127.0.0.1:0"));
    clash.register_gateway(UdpGateway::new(format!("127.0.0.1:{port}")));
    let error = clash.start().expect_err("port in use");
    assert!(matches!(error, Error::Gateway(_)), "{error:?}");
    assert!(error.to_string().contains(&port.to_string()), "{error}");
    assert!(!clash.is_running());

    let mut zero_k = DHTService::new(
        Sha1Hasher::new(),
        0,
        3,
        Duration::from_secs(900),
        Duration::from_secs(3),
        Duration::from_secs(3600),
    );
    zero_k.register_gateway(UdpGateway::new("127.0.0.1:0"));
    assert!(matches!(zero_k.start(), Err(Error::Config(_))));
    assert!(DHTService::builder().alpha(0).build().is_err());

    let mut twice = start(builder(7));
    assert!(matches!(twice.start(), Err(Error::AlreadyStarted)));
}

#[test]
fn stop_releases_callers_waiting_on_other_threads() {
    let service = Arc::new(start(
        builder(20)
            .request_timeout(Duration::from_secs(30))
            .query_timeout(Duration::from_secs(60)),
    ));
    // A seed that never answers: the query waits for a 30 s timeout, unless stopped.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = kad_udp::socket_to_multiaddr(silent.local_addr().expect("addr"));
    service.connect(addr).expect("connect");
    let waiting: Vec<_> = (0..4)
        .map(|i| {
            let service = Arc::clone(&service);
            thread::spawn(move || service.try_query(format!("k{i}")))
        })
        .collect();
    let saving = service.save(b"k", b"v".to_vec());
    thread::sleep(Duration::from_millis(50));
    quickly(Duration::from_secs(1), "stop with callers waiting", || {
        service.stop()
    });
    for caller in waiting {
        let result = quickly(AT_ONCE, "a waiting query", || {
            caller.join().expect("thread")
        });
        assert!(matches!(result, Err(Error::Stopped)), "{result:?}");
    }
    assert!(matches!(saving.wait(), Err(Error::Stopped)));
}
