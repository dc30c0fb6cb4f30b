//! A local Kademlia network: starts N services in one process, saves values from random
//! nodes, queries them from random nodes, and prints the success rate and latency
//! percentiles of both.
//!
//! ```text
//! cargo run --release --bin cluster                    # 50 nodes, sensible defaults
//! cargo run --release --bin cluster -- --nodes 100 --values 2000 --queries 20000
//! cargo run --release --bin cluster -- --nodes 64 --stop 0.33   # a third stop first
//! cargo run --release --bin cluster -- --reactor-threads 0       # a thread per node
//! cargo run --release --bin cluster -- --help
//! ```
//!
//! Saves and queries run one at a time (or on `--threads` threads), so their latency is the
//! latency of one operation on an otherwise quiet network. The nodes share a reactor of a
//! thread per core, as services in one process best do; `--reactor-threads 0` gives each node
//! a thread of its own instead, as if each ran in a process of its own.

use std::error::Error;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use kad_examples::{install_logs, with_hasher, HasherName, Latencies, Micros, Rng};
use kad_runtime::hash::Hasher;
use kad_runtime::{DHTService, Reactor, UdpGateway};

/// Runs a local Kademlia network and measures it.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Services (nodes) to start.
    #[arg(long, default_value_t = 50)]
    nodes: usize,
    /// Values to save, each from a random node.
    #[arg(long, default_value_t = 1000)]
    values: usize,
    /// Queries to make, each for a random saved value from a random node.
    #[arg(long, default_value_t = 10000)]
    queries: usize,
    /// Bytes per value (at most 1024).
    #[arg(long, default_value_t = 100)]
    value_size: usize,
    /// Threads issuing saves and queries at once.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Fraction of the nodes to stop after the saves, before the queries.
    #[arg(long, default_value_t = 0.0)]
    stop: f64,
    /// Hash function, and so key size.
    #[arg(long, value_enum, default_value_t)]
    hasher: HasherName,
    /// Bucket size and copies of each value.
    #[arg(long, default_value_t = 20)]
    k: usize,
    /// Requests in flight per lookup.
    #[arg(long, default_value_t = 3)]
    alpha: usize,
    /// Request timeout, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    request_timeout_ms: u64,
    /// Seed for the choice of nodes and keys (and the nodes' ids).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Threads of the reactor that all nodes share (default: one per core); 0 runs each
    /// node on a thread of its own, as separate processes would.
    #[arg(long)]
    reactor_threads: Option<usize>,
    /// Keep each node's id and records in a directory of its own under this one (created
    /// if need be), as nodes that survive restarts do; by default nothing is kept.
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Log filter for the libraries' logs on stderr, as RUST_LOG takes it (`debug`,
    /// `kad_runtime=info`, ...) [default: RUST_LOG, else warn].
    #[arg(long, value_name = "FILTER")]
    log: Option<String>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    install_logs(args.log.as_deref(), "warn")?;
    if args.nodes < 2 {
        return Err("--nodes must be at least 2".into());
    }
    with_hasher!(args.hasher, |hasher| run(hasher, &args))
}

fn run<H: Hasher>(hasher: H, args: &Args) -> Result<(), Box<dyn Error>> {
    println!(
        "cluster: {} nodes, hasher {}, k = {}, alpha = {}, {} values of {} bytes, {} queries, \
         {} thread(s)",
        args.nodes,
        hasher.name(),
        args.k,
        args.alpha,
        args.values,
        args.value_size,
        args.queries,
        args.threads
    );

    // Start.
    let started = Instant::now();
    let threads = args
        .reactor_threads
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()));
    let reactor = if threads > 0 {
        Some(Reactor::new(threads)?)
    } else {
        None
    };
    let mut services = Vec::with_capacity(args.nodes);
    for i in 0..args.nodes {
        let mut builder = DHTService::builder();
        if let Some(reactor) = &reactor {
            builder = builder.reactor(reactor);
        }
        if let Some(dir) = &args.data_dir {
            builder = builder.data_dir(dir.join(format!("node-{i}")));
        }
        let mut service = builder
            .hasher(hasher.clone())
            .k(args.k)
            .alpha(args.alpha)
            .request_timeout(Duration::from_millis(args.request_timeout_ms))
            .seed(args.seed.wrapping_mul(1_000_003).wrapping_add(i as u64))
            .build()?;
        service.register_gateway(UdpGateway::new("127.0.0.1:0"));
        service.start()?;
        services.push(service);
    }
    println!(
        "started {} nodes in {} on {}",
        args.nodes,
        Micros(started.elapsed()),
        match &reactor {
            Some(reactor) => format!("a shared reactor of {} thread(s)", reactor.threads()),
            None => "a thread each".to_string(),
        }
    );

    // Join: each node through a random node started before it. The first nodes join a
    // network of a handful and learn little; a second round, through any node, fills their
    // routing tables as a later bucket refresh would.
    let started = Instant::now();
    let mut rng = Rng::new(args.seed);
    for i in 1..services.len() {
        let seed = services[rng.below(i)].local_addrs()[0].clone();
        services[i].connect(seed)?;
    }
    settle(&services, Duration::from_secs(30));
    for i in 0..services.len() {
        let other = (i + 1 + rng.below(services.len() - 1)) % services.len();
        let seed = services[other].local_addrs()[0].clone();
        services[i].connect(seed)?;
    }
    settle(&services, Duration::from_secs(30));
    let mut peers: Vec<usize> = services
        .iter()
        .map(|s| s.get_number_of_known_peers())
        .collect();
    peers.sort_unstable();
    println!(
        "joined in {}: peers per node min {} / median {} / max {}",
        Micros(started.elapsed()),
        peers[0],
        peers[peers.len() / 2],
        peers[peers.len() - 1]
    );

    // Save.
    let value = |i: usize| {
        let mut v = format!("value {i} ").into_bytes();
        v.resize(args.value_size.max(v.len()), b'.');
        v
    };
    let started = Instant::now();
    let puts = spread(args.values, args.threads, args.seed ^ 0x5a5a, |rng, i| {
        let node = &services[rng.below(services.len())];
        let began = Instant::now();
        let result = node.save(format!("key {i}"), value(i)).wait();
        (began.elapsed(), matches!(result, Ok(copies) if copies > 0))
    });
    let put_time = started.elapsed();

    // Stop a fraction, if asked.
    let stopping = ((args.nodes as f64 * args.stop.clamp(0.0, 0.9)) as usize).min(args.nodes - 1);
    if stopping > 0 {
        for service in services.iter().skip(args.nodes - stopping) {
            service.stop();
        }
        println!("stopped {stopping} nodes");
    }
    let live = &services[..args.nodes - stopping];

    // Query.
    let started = Instant::now();
    let values = args.values.max(1);
    let gets = spread(args.queries, args.threads, args.seed ^ 0xa5a5, |rng, _| {
        let key = rng.below(values);
        let node = &live[rng.below(live.len())];
        let began = Instant::now();
        let found = node.query(format!("key {key}"));
        (began.elapsed(), found == Some(value(key)))
    });
    let get_time = started.elapsed();

    report("save ", puts, put_time);
    report("query", gets, get_time);
    let (mut dropped, mut sent) = (0, 0);
    for service in live {
        let stats = service.stats();
        dropped += stats.dropped.total();
        sent += stats.datagrams_sent;
    }
    println!("datagrams: {sent} sent, {dropped} dropped");

    let started = Instant::now();
    drop(services);
    println!("stopped every node in {}", Micros(started.elapsed()));
    Ok(())
}

/// Runs `op` `count` times over `threads` threads; returns each latency and success.
fn spread<F>(count: usize, threads: usize, seed: u64, op: F) -> Vec<(Duration, bool)>
where
    F: Fn(&mut Rng, usize) -> (Duration, bool) + Sync,
{
    let threads = threads.clamp(1, count.max(1));
    let results = Mutex::new(Vec::with_capacity(count));
    thread::scope(|scope| {
        for t in 0..threads {
            let (op, results) = (&op, &results);
            scope.spawn(move || {
                let mut rng = Rng::new(seed.wrapping_add(t as u64));
                let mine: Vec<_> = (t..count)
                    .step_by(threads)
                    .map(|i| op(&mut rng, i))
                    .collect();
                if let Ok(mut results) = results.lock() {
                    results.extend(mine);
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

fn report(what: &str, results: Vec<(Duration, bool)>, took: Duration) {
    let ok = results.iter().filter(|(_, ok)| *ok).count();
    let mut latencies: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
    let rate = if results.is_empty() {
        100.0
    } else {
        100.0 * ok as f64 / results.len() as f64
    };
    println!(
        "{what}: {ok}/{} succeeded ({rate:.2}%), {:.0}/s; latency {}",
        results.len(),
        results.len() as f64 / took.as_secs_f64().max(1e-9),
        Latencies::of(&mut latencies)
    );
}

/// Waits until no routing table changed for half a second (at most `bound`).
fn settle<H: Hasher>(services: &[DHTService<H>], bound: Duration) {
    let started = Instant::now();
    let peers = || -> Vec<usize> {
        services
            .iter()
            .map(|s| s.get_number_of_known_peers())
            .collect()
    };
    let mut last = peers();
    let mut stable = 0;
    while stable < 5 && started.elapsed() < bound {
        thread::sleep(Duration::from_millis(100));
        let now = peers();
        stable = if now == last { stable + 1 } else { 0 };
        last = now;
    }
}
