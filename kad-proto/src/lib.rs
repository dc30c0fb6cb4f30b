//! # kad-proto
//!
//! The wire of the kad Kademlia DHT: kad-core's [`Message`](kad_core::Message)s as datagrams
//! and back, and (with the `gateway` feature) the `Gateway` trait that every transport
//! implements, with `PolledGateway`, its optional event-driven side, for transports that a
//! runtime's own [mio](https://docs.rs/mio) poll can drive.
//!
//! A datagram holds one message: a four-byte header ([`MAGIC`], then [`VERSION`]) and a
//! bincode body. Contacts carry their address as a binary [`Multiaddr`]. Keys are generic:
//! [`decode`] reads keys of any [`KeyType`](kad_core::KeyType) and rejects a datagram whose
//! keys have another length.
//!
//! ```
//! use kad_core::{Body, Contact, Key, Message, Response, Token, TxId};
//! use kad_proto::{decode, encode, Multiaddr};
//!
//! let addr: Multiaddr = "/ip4/192.0.2.7/udp/4000".parse()?;
//! let response: kad_proto::WireMessage<Key<32>> = Message {
//!     tx: TxId::from_u64(42),
//!     sender: Key::new([9; 32]),
//!     body: Body::Response(Response::Nodes {
//!         contacts: vec![Contact::new(Key::new([3; 32]), addr)],
//!         token: Token::from_bytes([0x5a; 8]),
//!     }),
//! };
//! let datagram = encode(&response)?;
//! assert_eq!(decode::<Key<32>>(&datagram)?, response);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Limits
//!
//! Every datagram fits [`MAX_DATAGRAM_SIZE`] (1232 bytes, so that no IP path fragments it);
//! keys are at most [`MAX_KEY_LEN`] bytes, values at most [`MAX_VALUE_SIZE`], a `Nodes`
//! response has at most [`MAX_CONTACTS_PER_RESPONSE`] contacts, each address at most
//! [`MAX_MULTIADDR_LEN`] bytes. [`decode`] rejects a datagram over a limit.
//!
//! [`encode`] (or [`encode_into`], into a buffer of the caller's) is the one way to encode a
//! message for sending. It trims a `Nodes` response that is over the contact, multiaddr or
//! datagram limit, as [`fit_contacts`] does (long multiaddrs can make twenty contacts too large
//! for one datagram), so that every gateway sends the same contacts, and refuses any other
//! message over a limit. [`encode_strict`] encodes a message exactly as given and refuses
//! every limit, for tests and tools. A node using this crate sets kad-core's
//! `Config::max_value_size` to [`MAX_VALUE_SIZE`], so that a value too large to send is
//! refused when it is stored.
//!
//! ## Features
//!
//! - `gateway` (on by default): the transport contract, `Gateway`, `PolledGateway`, `Inbound`,
//!   `GatewayStats` and the errors that go with them, and the re-export of `mio` that
//!   `PolledGateway` is written against. It is a feature because the codec needs neither mio
//!   nor threads: a codec-only user, or the simulator (kad-sim, which only measures
//!   [`encoded_len`]), depends on this crate with `default-features = false` and does not
//!   compile mio.
//!
//! ## Decoding is total
//!
//! For any bytes, [`decode`] returns a message or an error: it does not panic, loop, or
//! allocate more than a small multiple of its input. Each message has exactly one encoding:
//! trailing bytes and integers written longer than needed are errors, so
//! `encode(decode(d)?) == d` for every datagram `d` that decodes.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod codec;
mod datagram;
mod error;
#[cfg(feature = "gateway")]
mod gateway;
mod header;
mod limits;
#[cfg(feature = "gateway")]
mod polled;
mod record_repr;
#[cfg(feature = "gateway")]
mod stats;
mod wire;

pub use datagram::{decode, encode, encode_into, encode_strict, encoded_len, fit_contacts};
pub use error::{DecodeError, EncodeError, Limit};
#[cfg(feature = "gateway")]
pub use gateway::{DeliverError, Gateway, GatewayError, Inbound, SendError};
pub use header::{HEADER_LEN, MAGIC, VERSION};
pub use limits::{
    MAX_CONTACTS_PER_RESPONSE, MAX_DATAGRAM_SIZE, MAX_KEY_LEN, MAX_MULTIADDR_LEN, MAX_VALUE_SIZE,
};
#[cfg(feature = "gateway")]
pub use mio;
pub use multiaddr::{self, Multiaddr, Protocol};
#[cfg(feature = "gateway")]
pub use polled::{MessageSink, PolledGateway};
#[cfg(feature = "gateway")]
pub use stats::{GatewayStats, GatewayStatsSnapshot};
pub use wire::WireMessage;
