//! The async API over real UDP on loopback: a save's handle and the lookups' futures, driven
//! by tokio and by a plain executor with no runtime, resolve to what the blocking calls
//! return; a service that stops (or never started) ends them with an error; a future
//! dropped half-way leaves the service as it was.

mod common;

use std::future::Future;
use std::net::UdpSocket;
use std::pin::Pin;
use std::process;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use common::{builder, network, start};
use futures_executor::block_on;
use kad_runtime::hash::Sha1Hasher;
use kad_runtime::{DHTService, Error, Keypair, QueryFuture, SaveHandle};
use tokio::task::{spawn_blocking, JoinSet};
use tokio::time::timeout;

/// Far more than any lookup here takes: a future still pending then has hung.
const BOUND: Duration = Duration::from_secs(10);

/// Awaits `future` on tokio; fails unless it resolves within [`BOUND`]. A future whose
/// wake-up was lost would resolve only when the timeout's timer polls it again, at the
/// bound: that fails too.
async fn bounded<F: Future>(future: F) -> F::Output {
    let started = Instant::now();
    let output = timeout(BOUND, future).await.expect("resolved in time");
    assert!(
        started.elapsed() < BOUND,
        "resolved only when the timer woke it"
    );
    output
}

/// Runs `future` on futures-executor's `block_on`, with no async runtime; a future still
/// pending after [`BOUND`] (its wake-up lost) ends the test process instead of hanging it.
fn block_on_bounded<F: Future>(future: F) -> F::Output {
    let (done, finished) = mpsc::channel::<()>();
    thread::spawn(move || {
        if finished.recv_timeout(BOUND) == Err(RecvTimeoutError::Timeout) {
            eprintln!("a future driven by block_on did not resolve within {BOUND:?}");
            process::abort();
        }
    });
    let output = block_on(future);
    let _ = done.send(());
    output
}

fn value(i: usize) -> Vec<u8> {
    format!("async value {i}").into_bytes()
}

/// Polls `future` once, with a waker that does nothing.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// A service that joins through a seed that never answers: its saves and lookups wait,
/// inside the service, for the join, which takes three request timeouts of 10 s to fail.
fn joining_forever() -> (DHTService<Sha1Hasher>, UdpSocket) {
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port();
    let service = start(builder(70).request_timeout(Duration::from_secs(10)));
    let seed = format!("/ip4/127.0.0.1/udp/{port}")
        .parse()
        .expect("multiaddr");
    service.connect(seed).expect("connect");
    (service, silent)
}

#[test]
fn handles_and_futures_are_unpin_send_and_static() {
    fn assert_traits<T: Unpin + Send + std::fmt::Debug + 'static>() {}
    assert_traits::<SaveHandle>();
    assert_traits::<QueryFuture<Vec<u8>>>();
    assert_traits::<QueryFuture<kad_runtime::MutableRecord>>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_tokio_saves_and_lookups_resolve_to_what_they_find() {
    let services = spawn_blocking(|| network(5, 71)).await.expect("network");

    let replicas = bounded(services[1].save(b"greeting", value(0))).await;
    assert!(replicas.expect("saved") >= 3);
    let found = bounded(services[3].query_async(b"greeting")).await;
    assert_eq!(found.expect("running"), Some(value(0)));
    let missing = bounded(services[2].query_async(b"nobody saved this")).await;
    assert_eq!(missing.expect("running"), None);

    let (key, handle) = services[0].put_immutable(b"a document".to_vec());
    assert!(bounded(handle).await.expect("saved") >= 3);
    let document = bounded(services[4].get_immutable_async(&key)).await;
    assert_eq!(document.expect("running"), Some(b"a document".to_vec()));

    let keypair = Keypair::generate();
    let put = services[2].put_mutable(&keypair, b"status", b"online".to_vec());
    assert!(bounded(put).await.expect("saved") >= 3);
    let record = bounded(services[1].get_mutable_async(&keypair.public(), b"status"))
        .await
        .expect("running")
        .expect("found");
    assert_eq!((record.seq, record.value.as_slice()), (1, &b"online"[..]));
    let other_salt = services[1].get_mutable_async(&keypair.public(), b"other");
    assert_eq!(bounded(other_salt).await.expect("running"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_lookups_run_at_once_under_tokio() {
    let services = spawn_blocking(|| network(6, 72)).await.expect("network");
    let saves: JoinSet<_> = (0..8)
        .map(|i| bounded(services[i % 6].save(format!("key {i}"), value(i))))
        .collect();
    for replicas in saves.join_all().await {
        assert!(replicas.expect("saved") >= 3);
    }

    // 48 lookups in flight together, each on a task of its own: a future does not borrow
    // the service.
    let mut lookups = JoinSet::new();
    for service in &services {
        for i in 0..8 {
            let found = service.query_async(format!("key {i}"));
            lookups.spawn(async move { (i, bounded(found).await) });
        }
    }
    let mut answers = 0;
    while let Some(joined) = lookups.join_next().await {
        let (i, found) = joined.expect("task");
        assert_eq!(found.expect("running"), Some(value(i)), "key {i}");
        answers += 1;
    }
    assert_eq!(answers, 48);
}

#[test]
fn a_plain_executor_drives_save_and_query() {
    let services = network(4, 73);
    block_on_bounded(async {
        let replicas = services[0].save(b"no runtime", value(1)).await;
        assert!(replicas.expect("saved") >= 2);
        for service in &services[1..] {
            let found = service.query_async(b"no runtime").await;
            assert_eq!(found.expect("running"), Some(value(1)));
        }
        let missing = services[2].query_async(b"nobody saved this").await;
        assert_eq!(missing.expect("running"), None);
    });
    // The blocking calls see the same.
    assert_eq!(services[3].query(b"no runtime"), Some(value(1)));
}

#[test]
fn a_poll_returns_at_once_while_the_lookup_waits() {
    let (service, _silent) = joining_forever();
    let mut lookup = service.query_async(b"key");
    let mut save = service.save(b"key", value(2));
    let started = Instant::now();
    assert!(poll_once(&mut lookup).is_pending());
    assert!(poll_once(&mut save).is_pending());
    assert!(started.elapsed() < Duration::from_millis(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_waiting_on_a_service_that_stops_end_with_stopped() {
    let (service, _silent) = joining_forever();
    let lookup = tokio::spawn(service.query_async(b"key"));
    let immutable = tokio::spawn(service.get_immutable_async(&[7; 20].into()));
    let save = tokio::spawn(service.save(b"key", value(3)));
    // Every future is polled, and waiting, before the service stops.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!lookup.is_finished() && !immutable.is_finished() && !save.is_finished());
    let service = spawn_blocking(move || {
        service.stop();
        service
    })
    .await
    .expect("stop");

    let lookup = bounded(lookup).await.expect("task");
    assert!(matches!(lookup, Err(Error::Stopped)), "{lookup:?}");
    let immutable = bounded(immutable).await.expect("task");
    assert!(matches!(immutable, Err(Error::Stopped)), "{immutable:?}");
    let save = bounded(save).await.expect("task");
    assert!(matches!(save, Err(Error::Stopped)), "{save:?}");

    // Made after the stop, they end at once.
    let keypair = Keypair::generate();
    let lookup = bounded(service.query_async(b"key")).await;
    assert!(matches!(lookup, Err(Error::Stopped)), "{lookup:?}");
    let mutable = bounded(service.get_mutable_async(&keypair.public(), b"")).await;
    assert!(matches!(mutable, Err(Error::Stopped)), "{mutable:?}");
    let save = bounded(service.save(b"key", value(3))).await;
    assert!(matches!(save, Err(Error::Stopped)), "{save:?}");
}

#[test]
fn futures_of_a_service_never_started_end_at_once() {
    let service = builder(74).build().expect("settings");
    let keypair = Keypair::generate();
    block_on_bounded(async {
        let lookup = service.query_async(b"key").await;
        assert!(matches!(lookup, Err(Error::NotStarted)), "{lookup:?}");
        let immutable = service.get_immutable_async(&[7; 20].into()).await;
        assert!(matches!(immutable, Err(Error::NotStarted)), "{immutable:?}");
        let mutable = service.get_mutable_async(&keypair.public(), b"").await;
        assert!(matches!(mutable, Err(Error::NotStarted)), "{mutable:?}");
        let save = service.save(b"key", value(4)).await;
        assert!(matches!(save, Err(Error::NotStarted)), "{save:?}");
    });
}

#[test]
fn a_handle_polled_then_waited_on_gets_its_answer() {
    let services = network(3, 75);
    let mut save = services[0].save(b"polled first", value(5));
    let _ = poll_once(&mut save);
    assert!(save.wait_timeout(BOUND).expect("saved") >= 1);
    assert_eq!(services[2].query(b"polled first"), Some(value(5)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_dropped_half_way_leave_the_service_as_it_was() {
    let services = spawn_blocking(|| network(4, 76)).await.expect("network");
    let saved = bounded(services[0].save(b"kept", value(6))).await;
    assert!(saved.expect("saved") >= 2);

    // Lookups and saves given up half-way: polled once then dropped, timed out, or dropped
    // unpolled. A lookup takes a round trip through the reactor thread at least, so nearly
    // all of them are dropped before their answer.
    let mut dropped_waiting = 0;
    for i in 0..16 {
        let mut lookup = services[i % 4].query_async(b"kept");
        if poll_once(&mut lookup).is_pending() {
            dropped_waiting += 1;
        }
        let mut save = services[i % 4].save(format!("polled {i}"), value(i));
        if poll_once(&mut save).is_pending() {
            dropped_waiting += 1;
        }
    }
    for i in 0..16 {
        let late = timeout(Duration::ZERO, services[i % 4].query_async(b"never saved")).await;
        dropped_waiting += usize::from(late.is_err());
    }
    assert!(dropped_waiting > 0);
    for i in 0..16 {
        drop(services[i % 4].save(format!("dropped {i}"), value(i)));
        drop(services[i % 4].query_async(format!("dropped {i}")));
    }

    // The services go on answering, both ways, and the saves dropped went through.
    for service in &services {
        assert!(service.is_running());
        let found = bounded(service.query_async(b"kept")).await;
        assert_eq!(found.expect("running"), Some(value(6)));
    }
    let blocking = spawn_blocking(move || {
        // Asked of the node that saved them, which holds its own copy from the start.
        let found = [
            services[1].query(b"dropped 5"),
            services[2].query(b"polled 6"),
        ];
        for service in &services {
            service.stop();
        }
        found
    });
    let found = blocking.await.expect("task");
    assert_eq!(found, [Some(value(5)), Some(value(6))]);
}
