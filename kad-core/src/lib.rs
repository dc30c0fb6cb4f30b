//! # kad-core
//!
//! A complete Kademlia node as a pure state machine: no sockets, threads or clocks inside.
//! The caller owns IO and time and drives a [`Node`]:
//!
//! - inputs: [`Node::handle_message`], [`Node::handle_timeout`], and the commands
//!   [`Node::bootstrap`], [`Node::find_node`], [`Node::get`], [`Node::put`], [`Node::ping`],
//!   each returning a [`QueryId`];
//! - outputs: [`Node::poll_transmit`] (a message and where to send it), [`Node::poll_event`]
//!   (finished queries, routing-table changes) and [`Node::poll_timeout`] (when to call
//!   `handle_timeout` next).
//!
//! Time is always passed in as an [`Instant`](std::time::Instant) and randomness comes from a
//! generator seeded by the caller, so the same inputs and seed give the same outputs.
//!
//! The node is generic over the address type `A` (a multiaddr, a socket address, an integer in
//! a simulator) and the key type `K`, chosen by a [`Hasher`]: 160-bit [`Sha1Hasher`], 256-bit
//! [`Sha256Hasher`] and [`Blake3Hasher`], or your own.
//!
//! ```
//! use std::time::Instant;
//! use kad_core::{Config, Event, Hasher, Node, QueryResult, Sha1Hasher};
//!
//! let now = Instant::now();
//! let hasher = Sha1Hasher::new();
//! let mut a: Node<u32, _> = Node::new(hasher.hash(b"a"), Config::default(), 1, now).unwrap();
//! let mut b: Node<u32, _> = Node::new(hasher.hash(b"b"), Config::default(), 2, now).unwrap();
//!
//! // Move datagrams between the two until both are quiet.
//! fn pump(a: &mut Node<u32, kad_core::Key<20>>, b: &mut Node<u32, kad_core::Key<20>>, now: Instant) {
//!     loop {
//!         let mut moved = false;
//!         while let Some(t) = a.poll_transmit() {
//!             b.handle_message(now, 1, t.message);
//!             moved = true;
//!         }
//!         while let Some(t) = b.poll_transmit() {
//!             a.handle_message(now, 2, t.message);
//!             moved = true;
//!         }
//!         if !moved {
//!             return;
//!         }
//!     }
//! }
//!
//! // `a` (at address 1) joins through `b` (at address 2), then stores a value.
//! a.bootstrap(now, [2]).unwrap();
//! pump(&mut a, &mut b, now);
//! let put = a.put(now, hasher.hash(b"key"), b"value".to_vec()).unwrap();
//! pump(&mut a, &mut b, now);
//! let mut replicas = None;
//! while let Some(event) = a.poll_event() {
//!     if let Event::QueryFinished { id, result: QueryResult::Put { replicas: r }, .. } = event {
//!         assert_eq!(id, put);
//!         replicas = Some(r);
//!     }
//! }
//! assert_eq!(replicas, Some(1));
//! assert_eq!(b.get_local(now, &hasher.hash(b"key")), Some(&b"value"[..]));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bucket;
mod config;
mod contact;
mod error;
mod event;
mod hash;
mod ids;
mod key;
mod lookup;
mod message;
mod node;
mod pending;
mod routing;
mod stats;
mod store;

pub use bucket::Entry;
pub use config::{Config, ConfigBuilder, ConfigError};
pub use contact::Contact;
pub use error::CommandError;
pub use event::{Event, QueryResult, QueryStats};
#[cfg(feature = "blake3")]
pub use hash::Blake3Hasher;
pub use hash::Hasher;
#[cfg(feature = "sha1")]
pub use hash::Sha1Hasher;
#[cfg(feature = "sha256")]
pub use hash::Sha256Hasher;
pub use ids::{QueryId, TxId};
pub use key::{Distance, Key, KeyType};
pub use message::{Body, Message, Request, Response};
pub use node::{Node, Transmit};
pub use routing::RoutingTable;
pub use stats::NodeStats;
