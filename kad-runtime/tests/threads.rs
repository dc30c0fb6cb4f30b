//! `stop` and drop leave no thread running, and a shared reactor keeps its thread count
//! whatever the number of services. This file holds a single test, so that no other test
//! starts or ends threads while it counts them.

mod common;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{builder, quickly, start};
use kad_runtime::Reactor;

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| tasks.count())
        .unwrap_or(0)
}

/// The thread count once it is at most `most`, or after a second. A joined thread can stay
/// listed in /proc for a moment: `join` returns when the kernel clears the thread's id,
/// just before it removes the thread.
fn threads_down_to(most: usize) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        let count = thread_count();
        if count <= most || std::time::Instant::now() > deadline {
            return count;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn stop_and_drop_join_every_thread() {
    let before = thread_count();
    if before == 0 {
        eprintln!("skipped: /proc/self/task is not readable on this system");
        return;
    }
    let services: Vec<_> = (0..8).map(|i| start(builder(10 + i))).collect();
    let seed = services[0].local_addrs()[0].clone();
    for service in &services[1..] {
        service.connect(seed.clone()).expect("connect");
    }
    assert_eq!(thread_count(), before + 8, "one thread per service");
    // Half are stopped, the other half dropped.
    for service in &services[..4] {
        quickly(Duration::from_secs(1), "stop", || service.stop());
    }
    assert_eq!(
        threads_down_to(before + 4),
        before + 4,
        "stopped services left threads"
    );
    quickly(Duration::from_secs(2), "drop", || drop(services));
    assert_eq!(
        threads_down_to(before),
        before,
        "dropped services left threads"
    );

    // Several threads stop one service at once: each returns only once it is down.
    let service = Arc::new(start(builder(30)));
    let stoppers: Vec<_> = (0..4)
        .map(|_| {
            let service = Arc::clone(&service);
            thread::spawn(move || {
                service.stop();
                threads_down_to(before + 4)
            })
        })
        .collect();
    for stopper in stoppers {
        let after = stopper.join().expect("thread");
        // The service's thread is gone; at most the four stoppers remain.
        assert!(after <= before + 4, "{after} threads, {before} before");
    }
    drop(service);
    assert_eq!(threads_down_to(before), before);

    // Sixteen services on a reactor of two threads: two threads in all, joined once the
    // reactor and the last service are gone.
    let reactor = Reactor::new(2).expect("reactor");
    let shared: Vec<_> = (0..16)
        .map(|i| start(builder(40 + i).reactor(&reactor)))
        .collect();
    for service in &shared[1..] {
        service
            .connect(shared[0].local_addrs()[0].clone())
            .expect("connect");
    }
    assert_eq!(thread_count(), before + 2, "the reactor's two threads");
    for service in &shared[..8] {
        quickly(Duration::from_secs(1), "stop", || service.stop());
    }
    drop(reactor);
    assert_eq!(thread_count(), before + 2, "services still use the reactor");
    quickly(Duration::from_secs(2), "drop", || drop(shared));
    assert_eq!(
        threads_down_to(before),
        before,
        "the reactor's threads are joined"
    );
}
