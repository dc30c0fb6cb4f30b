//! # kad-udp
//!
//! A UDP transport for the kad Kademlia DHT: [`UdpGateway`] implements kad-proto's
//! [`Gateway`](kad_proto::Gateway) over one UDP socket, IPv4 or IPv6.
//!
//! - Receiving reads the socket in batches into one reused buffer, decodes each datagram with
//!   kad-proto and hands the message to the runtime: to its
//!   [`Inbound`](kad_proto::Inbound) in threaded mode, to the function given to
//!   [`PolledGateway::receive`](kad_proto::PolledGateway::receive) in polled mode. A datagram that does not decode (random
//!   bytes, another protocol, another version of the format, over
//!   [`MAX_DATAGRAM_SIZE`](kad_proto::MAX_DATAGRAM_SIZE)) is counted and dropped.
//! - It runs in one of two modes. Started with [`Gateway::start`](kad_proto::Gateway::start),
//!   it receives on a [mio](https://docs.rs/mio) event loop thread of its own. Started with
//!   [`PolledGateway::start_polled`](kad_proto::PolledGateway::start_polled), it registers its
//!   socket with the caller's mio poll and is read on the caller's thread, with no thread of
//!   its own: kad-runtime runs it so, and a datagram then wakes only the thread that handles
//!   it.
//! - Sending happens on the caller's thread, straight onto the socket: one system call, no
//!   thread hand-off. When the kernel's send buffer is full the datagram goes to a bounded
//!   queue, drained as the socket becomes writable; when that queue is full too, the datagram
//!   is dropped and counted. Sending never blocks.
//! - Drops are logged through [`tracing`](https://docs.rs/tracing) at debug level, with the
//!   gateway's address, the other end's, the reason and the error: a datagram that did not
//!   decode (`reason="malformed"`), a queued datagram the socket refused
//!   (`reason="send_failed"`, a warning if the failure is not routine, see
//!   [`SendError::is_routine`](kad_proto::SendError::is_routine)). At most
//!   [`LOG_LIMIT`](kad_core::LOG_LIMIT) a second pass for each reason, then one event
//!   counts the rest (`suppressed=…`), so that a flood of garbage does not flood the log.
//! - [`shutdown`](kad_proto::Gateway::shutdown) wakes the event loop through a mio
//!   [`Waker`](mio::Waker) and joins its thread (threaded mode).
//!
//! Contacts are addressed by multiaddrs; [`socket_to_multiaddr`] and [`multiaddr_to_socket`]
//! convert `/ip4/…/udp/…` and `/ip6/…/udp/…` to and from socket addresses.
//!
//! ```
//! use kad_core::Key;
//! use kad_proto::{Gateway, Inbound};
//! use kad_udp::UdpGateway;
//!
//! let mut gateway = UdpGateway::new("127.0.0.1:0");
//! let (tx, _rx) = std::sync::mpsc::sync_channel(16);
//! Gateway::<Key<20>>::start(&mut gateway, Inbound::from_sender(tx))?;
//! let addr = Gateway::<Key<20>>::local_addrs(&gateway)[0].clone();
//! assert!(addr.to_string().starts_with("/ip4/127.0.0.1/udp/"));
//! Gateway::<Key<20>>::shutdown(&mut gateway);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod addr;
mod drop_log;
mod drops;
mod event_loop;
mod gateway;
mod send_queue;
mod socket;

pub use addr::{multiaddr_to_socket, parse_listen_addr, socket_to_multiaddr, BadListenAddr};
pub use drops::DropCounters;
pub use gateway::{UdpGateway, DEFAULT_RECV_BUFFER, DEFAULT_SEND_QUEUE};
