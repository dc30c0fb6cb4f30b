//! # kad-core
//!
//! A complete Kademlia node as a pure state machine: no sockets, threads or clocks inside.
//! The caller owns IO and time and drives a [`Node`]:
//!
//! - inputs: [`Node::handle_message`], [`Node::handle_timeout`], and the commands
//!   [`Node::bootstrap`], [`Node::find_node`], [`Node::get`], [`Node::put`], [`Node::ping`],
//!   and for [records](Record) of every kind [`Node::get_record`], [`Node::put_record`] and
//!   [`Node::put_mutable`], each returning a [`QueryId`];
//! - outputs: [`Node::poll_transmit`] (a message and where to send it), [`Node::poll_event`]
//!   (finished queries, routing-table changes) and [`Node::poll_timeout`] (when to call
//!   `handle_timeout` next), all three at once with [`Node::drain`].
//!
//! Time is always passed in as an [`Instant`](std::time::Instant) and randomness comes from a
//! generator seeded by the caller, so the same inputs and seed give the same outputs.
//!
//! The node is generic over the address type `A` (a multiaddr, a socket address, an integer in
//! a simulator) and the key type `K`, chosen by a [`Hasher`]: 160-bit [`Sha1Hasher`], 256-bit
//! [`Sha256Hasher`] and [`Blake3Hasher`], or your own.
//!
//! After every input or command, the driver drains the node with [`Node::drain`], handing
//! its outputs to a [`Driver`] of its own; the [`Node`] documentation states that contract.
//!
//! The node logs through [`tracing`](https://docs.rs/tracing) what its driver cannot see:
//! datagrams it drops on its own (over their source's rate, to or from an unroutable
//! address, requests from a local address it does not talk to) at debug level, at most
//! [`LOG_LIMIT`] a second for each reason (see [`LogLimiter`]), and bootstrap attempts that
//! reached nobody (info) or a routing table that became empty (warn). With no subscriber, or
//! one that wants none of it, a log point costs one atomic load.
//!
//! ```
//! use std::time::Instant;
//! use kad_core::{Config, Driver, Event, Hasher, Key, Node, QueryResult, Sha1Hasher, Transmit};
//!
//! type Id = Key<20>;
//!
//! /// What the nodes handed over when drained: messages with their sender, and events.
//! #[derive(Default)]
//! struct Outbox {
//!     from: u32,
//!     sent: Vec<(u32, Transmit<u32, Id>)>,
//!     events: Vec<Event<u32, Id>>,
//! }
//!
//! impl Driver<u32, Id> for Outbox {
//!     fn transmit(&mut self, transmit: Transmit<u32, Id>) {
//!         self.sent.push((self.from, transmit));
//!     }
//!     fn event(&mut self, event: Event<u32, Id>) {
//!         self.events.push(event);
//!     }
//! }
//!
//! /// Node `i` lives at address `i`: move messages between them until all are quiet.
//! fn run(nodes: &mut [Node<u32, Id>], outbox: &mut Outbox, now: Instant) {
//!     loop {
//!         for (addr, node) in nodes.iter_mut().enumerate() {
//!             outbox.from = addr as u32;
//!             node.drain(outbox);
//!         }
//!         if outbox.sent.is_empty() {
//!             return;
//!         }
//!         for (from, t) in std::mem::take(&mut outbox.sent) {
//!             nodes[t.to as usize].handle_message(now, from, t.message);
//!         }
//!     }
//! }
//!
//! let now = Instant::now();
//! let hasher = Sha1Hasher::new();
//! let a = Node::new(hasher.hash(b"a"), Config::default(), 1, now)?;
//! let b = Node::new(hasher.hash(b"b"), Config::default(), 2, now)?;
//! let mut nodes = [a, b];
//! let mut outbox = Outbox::default();
//!
//! // `a` (at address 0) joins through `b` (at address 1), then stores a value.
//! nodes[0].bootstrap(now, [1])?;
//! run(&mut nodes, &mut outbox, now);
//! let put = nodes[0].put(now, hasher.hash(b"key"), b"value".to_vec())?;
//! run(&mut nodes, &mut outbox, now);
//! let replicas = outbox.events.iter().find_map(|event| match event {
//!     Event::QueryFinished { id, result: QueryResult::Put { replicas, .. }, .. } if *id == put => {
//!         Some(*replicas)
//!     }
//!     _ => None,
//! });
//! assert_eq!(replicas, Some(1));
//! assert_eq!(nodes[1].get_local(now, &hasher.hash(b"key")), Some(&b"value"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod address;
mod answer;
mod bootstrap;
mod bucket;
mod config;
mod config_builder;
mod contact;
mod driver;
mod drop_log;
mod error;
mod event;
mod finish;
mod freshness;
mod hash;
mod ids;
mod join_fill;
mod key;
mod log_limit;
mod lookup;
mod maintenance;
mod membership;
mod message;
mod mutable_put;
mod node;
mod padding;
mod pending;
mod query_pool;
mod quota;
mod rate_limit;
mod record;
mod record_changes;
mod records;
mod replication;
mod routing;
mod rpc;
mod rtt;
mod signed;
mod stamp;
mod stats;
mod store;
mod storing;
mod subnet_filter;
mod token;
mod validator;
mod wire_len;

pub use address::{Address, AddressScope};
pub use bucket::Entry;
pub use config::{Config, ConfigBuilder, ConfigError};
pub use contact::Contact;
pub use driver::Driver;
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
pub use log_limit::{LogLimiter, LOG_LIMIT, LOG_WINDOW};
pub use message::{Body, Message, Request, Response, StoreOutcome, MAX_PADDING};
pub use node::{Node, Transmit};
pub use record::{immutable_key, Record, RecordKind};
pub use record_changes::RecordChange;
pub use routing::RoutingTable;
pub use signed::{
    mutable_key, Keypair, MutableRecord, PublicKey, Signature, SignedError, MAX_MUTABLE_VALUE,
    MAX_SALT, PUBLIC_KEY_LEN, SIGNATURE_LEN,
};
pub use stats::{NodeStats, RequestCounts};
pub use token::{Token, TOKEN_LEN};
pub use validator::{Invalid, PlainRecords, RecordRules, Validator};
pub use wire_len::encoded_len_estimate;
