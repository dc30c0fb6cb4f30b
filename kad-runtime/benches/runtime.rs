//! Measures what a running service costs and how fast it answers:
//!
//! 1. memory (resident set) per idle node, over 50 joined services;
//! 2. CPU time and wake-ups of those 50 idle services over 10 seconds;
//! 3. FIND_NODE requests per second one node answers on loopback, beside the rate of a bare
//!    UDP echo loop measured the same way (same client, same request datagrams).
//!
//! 1 and 2 are measured twice: with a thread per service (the default), and with every
//! service on one shared reactor of a thread per core.
//!
//! ```text
//! cargo bench -p kad-runtime --bench runtime
//! cargo bench -p kad-runtime --bench runtime -- --nodes 100 --idle-secs 10 --load-secs 5
//! ```
//!
//! Figures come from `/proc` (Linux). Latency of saves and queries across a network is
//! measured by the `cluster` example: `cargo run --release --bin cluster -- --nodes 100`.

use std::fs;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use kad_core::{Body, Key, Message, Request, TxId};
use kad_proto::WireMessage;
use kad_runtime::hash::Sha1Hasher;
use kad_runtime::{DHTService, Reactor, UdpGateway};

struct Options {
    nodes: usize,
    idle: Duration,
    load: Duration,
    window: usize,
}

fn options() -> Options {
    let mut options = Options {
        nodes: 50,
        idle: Duration::from_secs(10),
        load: Duration::from_secs(3),
        window: 32,
    };
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    if let Some(n) = value("--nodes") {
        options.nodes = n.max(2) as usize;
    }
    if let Some(s) = value("--idle-secs") {
        options.idle = Duration::from_secs(s);
    }
    if let Some(s) = value("--load-secs") {
        options.load = Duration::from_secs(s);
    }
    if let Some(w) = value("--window") {
        options.window = w.max(1) as usize;
    }
    options
}

/// Resident memory of the process, in bytes.
fn resident() -> u64 {
    fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// CPU time (ns) of the process's threads, and voluntary context switches (wake-ups) of the
/// threads that run services.
#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    cpu: u64,
    wakeups: u64,
}

fn usage() -> Usage {
    let mut usage = Usage::default();
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return usage;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = fs::read_to_string(path.join("comm")).unwrap_or_default();
        if let Ok(stat) = fs::read_to_string(path.join("schedstat")) {
            usage.cpu += stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
        if let Ok(status) = fs::read_to_string(path.join("status")) {
            let switches = status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0);
            // "kad <id>" for a service's own thread, "kad-reactor <n>" for a shared one.
            if name.starts_with("kad") {
                usage.wakeups += switches;
            }
        }
    }
    usage
}

fn start_network(n: usize, reactor: Option<&Reactor>) -> Vec<DHTService<Sha1Hasher>> {
    let services: Vec<_> = (0..n)
        .map(|i| {
            let mut builder = DHTService::builder().seed(i as u64);
            if let Some(reactor) = reactor {
                builder = builder.reactor(reactor);
            }
            let mut service = builder.build().expect("settings");
            service.register_gateway(UdpGateway::new("127.0.0.1:0"));
            service.start().expect("start");
            service
        })
        .collect();
    let seed = services[0].local_addrs()[0].clone();
    for service in &services[1..] {
        service.connect(seed.clone()).expect("connect");
    }
    // Let the joins and their bucket refreshes finish.
    let mut last = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        thread::sleep(Duration::from_millis(300));
        let peers: Vec<usize> = services
            .iter()
            .map(|s| s.get_number_of_known_peers())
            .collect();
        if peers == last {
            break;
        }
        last = peers;
    }
    services
}

/// Pipelines `window` requests at `target` for `duration`; returns answers per second.
fn load(target: SocketAddr, requests: &[Vec<u8>], window: usize, duration: Duration) -> f64 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    let mut buf = [0u8; 2048];
    let mut next = 0;
    let mut send = |socket: &UdpSocket| {
        let _ = socket.send_to(&requests[next % requests.len()], target);
        next += 1;
    };
    let started = Instant::now();
    let mut answered = 0u64;
    while started.elapsed() < duration {
        for _ in 0..window {
            send(&socket);
        }
        // Keep `window` requests in flight; after a loss (a read timeout), fill it again.
        while socket.recv_from(&mut buf).is_ok() {
            answered += 1;
            send(&socket);
            if answered.is_multiple_of(1024) && started.elapsed() >= duration {
                break;
            }
        }
    }
    answered as f64 / started.elapsed().as_secs_f64()
}

/// FIND_NODE requests with random targets, from one client id.
fn find_node_requests() -> Vec<Vec<u8>> {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut random = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..1024)
        .map(|i| {
            let mut target = [0u8; 20];
            for chunk in target.chunks_mut(8) {
                let bytes = random().to_le_bytes();
                chunk.copy_from_slice(&bytes[..chunk.len()]);
            }
            let message: WireMessage<Key<20>> = Message {
                tx: TxId::from_u64(i),
                sender: Key::new([0xc1; 20]),
                body: Body::Request(Request::find_node(Key::new(target))),
            };
            kad_proto::encode(&message).expect("encodes")
        })
        .collect()
}

/// A bare UDP echo loop on its own thread, until `stop`.
fn echo_server(stop: &'static AtomicBool) -> (SocketAddr, thread::JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let addr = socket.local_addr().expect("addr");
    let thread = thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while !stop.load(Ordering::Relaxed) {
            if let Ok((len, from)) = socket.recv_from(&mut buf) {
                let _ = socket.send_to(&buf[..len], from);
            }
        }
    });
    (addr, thread)
}

/// Starts `n` services, joins them, and prints their memory and idle CPU; returns them.
fn idle_cost(
    options: &Options,
    what: &str,
    reactor: Option<&Reactor>,
) -> Vec<DHTService<Sha1Hasher>> {
    let n = options.nodes;
    let before = resident();
    let services = start_network(n, reactor);
    thread::sleep(Duration::from_millis(500));
    let after = resident();
    let peers: usize = services.iter().map(|s| s.get_number_of_known_peers()).sum();
    println!(
        "{what}: memory {:.1} MiB resident for {n} joined services ({} peers each on \
         average): {:.0} KiB per idle node",
        (after.saturating_sub(before)) as f64 / (1 << 20) as f64,
        peers / n,
        (after.saturating_sub(before)) as f64 / 1024.0 / n as f64
    );

    // Once the last request of the joins is past its timeout (kad-core keeps the deadlines
    // of answered requests and wakes once at each, for a request timeout).
    thread::sleep(Duration::from_secs(4));
    let u0 = usage();
    let started = Instant::now();
    thread::sleep(options.idle);
    let u1 = usage();
    let secs = started.elapsed().as_secs_f64();
    let cpu_ms = (u1.cpu.saturating_sub(u0.cpu)) as f64 / 1e6;
    let wakeups = u1.wakeups.saturating_sub(u0.wakeups);
    println!(
        "{what}: idle {cpu_ms:.1} ms of CPU for {n} services over {secs:.1} s: {:.3} ms per \
         node ({:.4}% of a core each); {wakeups} wake-ups of the threads that run them ({:.2} \
         per node)",
        cpu_ms / n as f64,
        100.0 * cpu_ms / 1e3 / secs / n as f64,
        wakeups as f64 / n as f64,
    );
    services
}

fn main() {
    let options = options();
    let n = options.nodes;
    let cores = thread::available_parallelism().map_or(1, |p| p.get());
    println!("kad-runtime benchmark: {n} services, {cores} cores");

    // 1 and 2, on a shared reactor.
    let reactor = Reactor::new(cores).expect("reactor");
    let shared = idle_cost(&options, "shared reactor", Some(&reactor));
    drop(shared);
    drop(reactor);

    // 1 and 2, a thread per service.
    let services = idle_cost(&options, "thread per service", None);

    // 3. FIND_NODE answered per second, beside a bare UDP echo loop.
    let requests = find_node_requests();
    let target = kad_udp::multiaddr_to_socket(&services[0].local_addrs()[0]).expect("udp");
    static STOP: AtomicBool = AtomicBool::new(false);
    let (echo, echo_thread) = echo_server(&STOP);
    // The two alternate in short rounds, so that other load on the machine weighs on both
    // alike.
    let rounds = 6;
    let slice = options.load / rounds;
    let before = services[0].stats();
    let (mut node_rate, mut echo_rate) = (0.0, 0.0);
    for _ in 0..rounds {
        node_rate += load(target, &requests, options.window, slice) / f64::from(rounds);
        echo_rate += load(echo, &requests, options.window, slice) / f64::from(rounds);
    }
    let after = services[0].stats();
    STOP.store(true, Ordering::Relaxed);
    let _ = echo_thread.join();
    println!(
        "FIND_NODE: one node answered {node_rate:.0} requests/s ({} contacts known, {} \
         answered, {} dropped); bare UDP echo loop: {echo_rate:.0}/s; ratio {:.2}",
        after.peers,
        after.requests_received - before.requests_received,
        after.dropped.total() - before.dropped.total(),
        node_rate / echo_rate
    );

    let started = Instant::now();
    drop(services);
    println!("stopped {n} services in {:?}", started.elapsed());
}
