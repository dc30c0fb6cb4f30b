//! # kad-runtime
//!
//! A Kademlia distributed hash table as a service: [`DHTService`] runs a
//! [kad-core](kad_core) node on a thread of its own and reaches other nodes over the
//! registered [gateways](Gateway), usually one [`UdpGateway`] or two (IPv4 and IPv6).
//!
//! ```
//! use std::time::Duration;
//! use kad_runtime::{DHTService, UdpGateway, Multiaddr};
//! use kad_runtime::hash::Sha1Hasher;
//!
//! let mut service = DHTService::new(Sha1Hasher::new(), 20, 3,
//!     Duration::from_secs(900), Duration::from_secs(3), Duration::from_secs(3600));
//! service.register_gateway(UdpGateway::new("127.0.0.1:0"));   // binds at start()
//! service.start()?;
//! let addrs: Vec<Multiaddr> = service.local_addrs();          // e.g. /ip4/127.0.0.1/udp/41234
//!
//! let mut other = DHTService::builder().build()?;             // SHA-1 and the defaults
//! other.register_gateway(UdpGateway::new("127.0.0.1:0"));
//! other.start()?;
//! other.connect(addrs[0].clone())?;                           // does not block
//!
//! let handle = other.save(b"key", b"value".to_vec());         // does not block
//! let replicas: usize = handle.wait()?;                       // optional: waits for the put
//! assert_eq!(replicas, 1);
//! let value: Option<Vec<u8>> = service.query(b"key");         // blocks, bounded in time
//! assert_eq!(value.as_deref(), Some(&b"value"[..]));
//! assert!(service.get_number_of_known_peers() >= 1);
//! service.stop();                                             // joins every thread; also on drop
//! # Ok::<(), kad_runtime::Error>(())
//! ```
//!
//! ## Threads
//!
//! A service runs on a [`Reactor`] thread, which owns its node and its gateways: by default
//! a reactor of one thread of its own, or one shared with other services
//! ([`Builder::reactor`]). The thread waits in one mio poll on the sockets of its UDP
//! gateways, on a doorbell for commands, and on the node's next deadline. A socket is read
//! on that thread and each message handed straight to the node, so a datagram costs one
//! wake-up at most and no hand-off between threads. Everything waiting when the thread
//! wakes is handled as one batch, and the node's messages go straight out through the
//! gateways' non-blocking `send`. An idle service wakes once per maintenance interval (10 s
//! by default) and uses no CPU in between. Gateways that cannot be polled (other
//! transports, a [`FaultyGateway`]) receive on threads of their own and hand messages over
//! through the service's inbox and the doorbell.
//!
//! Only [`query`](DHTService::query) and the other lookups block, for at most the query
//! timeout, and each has a future that does not (see below);
//! [`save`](DHTService::save) returns a [`SaveHandle`] that may be waited on or awaited.
//! [`connect`](DHTService::connect) waits only for the reactor thread to send the first
//! requests. A service that is not started or already stopped answers every call at once;
//! [`stop`](DHTService::stop) returns once the service's gateways are shut down and, for a
//! service with its own reactor, its thread joined.
//!
//! ## Async callers
//!
//! [`query_async`](DHTService::query_async),
//! [`get_mutable_async`](DHTService::get_mutable_async) and
//! [`get_immutable_async`](DHTService::get_immutable_async) start a lookup and return a
//! [`QueryFuture`] of its result, and a [`SaveHandle`] is itself a future. They resolve to
//! what the blocking calls return, never block the thread that polls them, and need no
//! particular async runtime: tokio, async-std, smol or a plain `block_on` drive them alike,
//! and this crate depends on none. A lookup ends within a few request timeouts, so its
//! future always resolves; for a shorter bound, wrap it in your runtime's timeout. A
//! service that stops ends the futures waiting on it with [`Error::Stopped`].
//!
//! ```
//! use std::time::Duration;
//! use kad_runtime::{DHTService, UdpGateway};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut service = DHTService::builder().build()?;
//! service.register_gateway(UdpGateway::new("127.0.0.1:0"));
//! service.start()?;
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
//! runtime.block_on(async {
//!     let _replicas: usize = service.save(b"key", b"value".to_vec()).await?;
//!     let lookup = service.query_async(b"key");                  // the lookup starts here
//!     let value = tokio::time::timeout(Duration::from_secs(2), lookup).await??;
//!     assert_eq!(value.as_deref(), Some(&b"value"[..]));
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Logging
//!
//! The service, its gateways and its node log through [`tracing`](https://docs.rs/tracing):
//! install a subscriber (tracing-subscriber's `fmt`, say) to see it. With none, a log point
//! costs one atomic load. The events of a service (on its reactor thread, its writer thread
//! and its inbox) are logged in its span, `service{id=…}`, the first eight hex digits of its
//! id; targets are module paths (the drops of each crate come from its `drop_log` module).
//!
//! | Level | Message | Fields |
//! |-------|---------|--------|
//! | info  | `service started` | `listen` (the addresses), `data_dir` if any |
//! | info  | `service stopped` | |
//! | warn  | `service failed to start` | `error` |
//! | info  | `bootstrap started` (`… from the saved contacts` on a warm restart) | `seeds` |
//! | warn  | `bootstrap not started` | `error` |
//! | info  | `bootstrap reached nobody; trying again` (kad-core) | `attempts`, `retry_in` |
//! | info  | `bootstrap finished` | `contacts` |
//! | warn  | `bootstrap failed: no seed or contact answered` | `requests`, `failures` |
//! | warn  | `routing table empty; bootstrapping again through the last seeds` (kad-core) | `seeds` |
//! | debug | `query finished` | `kind` (`bootstrap`, `find_node`, `get`, `put`, `ping`), `hops`, `latency`, `requests`, `failures` |
//! | debug | `datagram dropped` (on arrival) | `from`, `reason`, `error` or `shared`; kad-udp adds `local` |
//! | debug | `message dropped` (on the way out) | `to`, `reason`, `error` if any; kad-udp adds `local` |
//! | warn  | `message dropped` | the same, for a failed send that is not [routine](kad_proto::SendError::is_routine) |
//! | debug | `suppressed N drops of reason R within a second` | `reason`, `suppressed`; kad-udp adds `local` |
//! | debug | `queued datagrams dropped on shutdown` (kad-udp) | `local`, `dropped` |
//! | warn  | `cannot write to the data directory; …`, `cannot open the data directory again`, `record changes not kept …` | `error`, `unwritten`, `lost` |
//! | warn  | `UDP gateway's poll failed; …` (kad-udp), `reactor poll failed; …` | `error` |
//! | error | `a service panicked on its reactor thread and is stopped` | |
//!
//! The `reason` of a drop is the name of its counter in [`Dropped`]: `malformed` (from
//! kad-udp, with the decode error), `inbound_full`, `outbound_full`, `send_failed`,
//! `unreachable`, `rate_limited` and `unroutable` (from kad-core), and `local` (kad-core: a
//! request from a local address, counted in [`NodeStats`]'s `local_requests_dropped`,
//! while the node does not talk to local addresses). kad-udp and kad-core give
//! socket addresses, the service multiaddrs. Anyone can make a node drop datagrams, so at
//! most [`LOG_LIMIT`](kad_core::LOG_LIMIT) drops a second are logged for each reason (for
//! each gateway, service and node), then one summary counts the rest (see
//! [`LogLimiter`](kad_core::LogLimiter)).
//!
//! ## Testing on a bad network
//!
//! [`FaultyGateway`] wraps any gateway and loses or delays a fraction of what it sends.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod builder;
mod command;
mod drop_log;
mod error;
mod fault;
mod handle;
mod inbox_sink;
mod keypair;
mod lookup_stats;
mod mailbox;
#[cfg(feature = "prometheus")]
pub mod metrics;
mod pending;
mod persistence;
mod query_future;
mod query_log;
mod reactor;
mod records;
mod service;
mod service_task;
mod slot;
mod start;
mod started_service;
mod stats;
mod storage;
mod task;
mod token;
mod values;

pub use builder::{
    Builder, DEFAULT_FLUSH_INTERVAL, DEFAULT_INBOUND_QUEUE, DEFAULT_QUERY_TIMEOUT_FACTOR,
};
pub use error::Error;
pub use fault::{FaultCounters, FaultyGateway};
pub use handle::SaveHandle;
pub use kad_core::{
    Config, MutableRecord, NodeStats, PublicKey, RequestCounts, MAX_MUTABLE_VALUE, MAX_SALT,
};
pub use kad_proto::{Gateway, GatewayStatsSnapshot, Multiaddr, MAX_VALUE_SIZE};
pub use kad_udp::{DropCounters, UdpGateway};
pub use keypair::Keypair;
pub use lookup_stats::{Histogram, LookupStats, Lookups, HOP_BOUNDS, LATENCY_BOUNDS_US};
pub use query_future::QueryFuture;
pub use reactor::{Reactor, DEFAULT_BUSY_POLL};
pub use service::DHTService;
pub use stats::{Dropped, Stats};
pub use storage::{StorageError, DATABASE_FILE, SCHEMA_VERSION};

/// What a custom transport needs: implement [`Gateway`] and register it
/// with [`DHTService::register_gateway`]. See kad-proto for the contract.
pub mod gateway {
    pub use kad_proto::{
        decode, encode, encode_into, DeliverError, Gateway, GatewayError, GatewayStats,
        GatewayStatsSnapshot, Inbound, SendError, WireMessage, MAX_DATAGRAM_SIZE,
    };
}

/// The hash functions that map user keys into the key space, and the trait to write your
/// own. The hasher fixes the key size of the whole network: nodes with different hashers do
/// not understand each other.
pub mod hash {
    pub use kad_core::{Blake3Hasher, Hasher, Key, KeyType, Sha1Hasher, Sha256Hasher};
}
