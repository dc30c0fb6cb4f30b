//! Quick start: three nodes in one process join, save a value, and find it.
//!
//! ```text
//! cargo run --release --bin quickstart
//! ```
//!
//! Each node is a `DHTService` with a UDP gateway on a free loopback port. The second and
//! third join through the first; the third saves a value and the others query it.

use std::error::Error;
use std::time::{Duration, Instant};

use kad_runtime::hash::Sha1Hasher;
use kad_runtime::{DHTService, UdpGateway};

fn node(name: &str) -> Result<DHTService<Sha1Hasher>, kad_runtime::Error> {
    let mut service = DHTService::new(
        Sha1Hasher::new(),
        20,                           // k: bucket size, copies of each value
        3,                            // alpha: requests in flight per lookup
        Duration::from_secs(15 * 60), // peer timeout
        Duration::from_secs(3),       // request timeout
        Duration::from_secs(60 * 60), // storage timeout
    );
    service.register_gateway(UdpGateway::new("127.0.0.1:0")); // port 0: any free port
    service.start()?;
    println!("{name}: listening at {}", service.local_addrs()[0]);
    Ok(service)
}

fn main() -> Result<(), Box<dyn Error>> {
    // The libraries' logs on stderr; RUST_LOG=debug shows each lookup and dropped datagram.
    kad_examples::install_logs(None, "warn")?;
    let a = node("a")?;
    let b = node("b")?;
    let c = node("c")?;

    let seed = a.local_addrs()[0].clone();
    b.connect(seed.clone())?;
    c.connect(seed)?;
    println!("b and c: connecting through a");

    let started = Instant::now();
    let copies = c.save(b"greeting", b"hello, kademlia".to_vec()).wait()?;
    println!(
        "c: saved \"greeting\" on {copies} other node(s) in {:?}",
        started.elapsed()
    );

    for (name, node) in [("a", &a), ("b", &b), ("c", &c)] {
        let started = Instant::now();
        let value = node.query(b"greeting");
        let shown = value
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_else(|| "(not found)".into());
        println!(
            "{name}: query \"greeting\" -> {shown:?} in {:?}; knows {} peer(s)",
            started.elapsed(),
            node.get_number_of_known_peers()
        );
    }
    println!("b: query \"nothing\" -> {:?}", b.query(b"nothing"));

    let stats = a.stats();
    println!(
        "a: {} peers, {} records, {} requests answered, {} datagrams dropped",
        stats.peers,
        stats.records,
        stats.requests_received,
        stats.dropped.total()
    );

    for node in [&a, &b, &c] {
        node.stop();
    }
    println!("all stopped");
    Ok(())
}
