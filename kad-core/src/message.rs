//! The protocol's messages: the four Kademlia RPCs and their responses.
//!
//! Every message carries the transaction id that pairs a response with its request and the
//! sender's node id, so that any message teaches its receiver a contact. The wire encoding lives
//! in `kad-proto`; this module only says what is sent.

use crate::contact::Contact;
use crate::ids::TxId;
use crate::record::Record;
use crate::token::Token;

/// One datagram's worth of protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<A, K> {
    /// Pairs a response with its request.
    pub tx: TxId,
    /// The id of the node that sent the message.
    pub sender: K,
    /// What the message says.
    pub body: Body<A, K>,
}

/// A request or a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body<A, K> {
    /// A request, answered by a [`Response`] with the same transaction id.
    Request(Request<K>),
    /// The answer to a request.
    Response(Response<A, K>),
}

/// The four Kademlia RPCs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request<K> {
    /// Is the receiver alive? Answered by [`Response::Pong`].
    Ping,
    /// Asks for the receiver's closest contacts to `target`; answered by [`Response::Nodes`].
    FindNode {
        /// The key whose neighbours are wanted.
        target: K,
        /// Bytes of padding the request carries (see [`Request::padding`]).
        padding: u16,
    },
    /// Asks for the value stored under `key`; answered by [`Response::Value`] if the receiver
    /// holds it, otherwise by [`Response::Nodes`] with its closest contacts to `key`.
    FindValue {
        /// The record key.
        key: K,
        /// Bytes of padding the request carries (see [`Request::padding`]).
        padding: u16,
    },
    /// Asks the receiver to store a record; answered by [`Response::Stored`].
    Store {
        /// The record key.
        key: K,
        /// The record.
        record: Record,
        /// Remaining lifetime of the record in seconds (the receiver caps it at its own storage
        /// timeout).
        ttl_secs: u32,
        /// The write token the receiver gave the sender's IP in a [`Response::Nodes`]; a
        /// STORE without a valid one is refused.
        token: Token,
        /// For a mutable record: the sequence number the writer believes is the newest. A
        /// receiver that holds a newer one refuses the record (compare-and-swap).
        cas: Option<u64>,
    },
}

/// The most padding a request carries: 1024 bytes, which with the longest keys still fits
/// a datagram of kad-proto.
pub const MAX_PADDING: u16 = 1024;

impl<K> Request<K> {
    /// An unpadded [`Request::FindNode`] for `target`.
    pub fn find_node(target: K) -> Self {
        Request::FindNode { target, padding: 0 }
    }

    /// An unpadded [`Request::FindValue`] for `key`.
    pub fn find_value(key: K) -> Self {
        Request::FindValue { key, padding: 0 }
    }

    /// Bytes of padding (zeros on the wire) the request carries.
    ///
    /// A node answers with at most [`Config::response_factor`] times the bytes of the
    /// request, so that a forged source address cannot turn it into an amplifier. A `FIND_NODE` or `FIND_VALUE` is
    /// padded (see [`Config::pad_requests`]) so that a full answer fits within that multiple,
    /// with at most [`MAX_PADDING`] bytes.
    ///
    /// [`Config::response_factor`]: crate::Config::response_factor
    /// [`Config::pad_requests`]: crate::Config::pad_requests
    pub fn padding(&self) -> u16 {
        match self {
            Request::FindNode { padding, .. } | Request::FindValue { padding, .. } => *padding,
            Request::Ping | Request::Store { .. } => 0,
        }
    }
}

/// The answers to [`Request`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response<A, K> {
    /// Answers [`Request::Ping`].
    Pong,
    /// The responder's closest contacts to the requested key.
    Nodes {
        /// At most `max_response_contacts` contacts, closest first.
        contacts: Vec<Contact<A, K>>,
        /// A write token for the requester's IP, to send back with a [`Request::Store`].
        token: Token,
    },
    /// The record asked for by [`Request::FindValue`].
    Value {
        /// The record.
        record: Record,
        /// Remaining lifetime of the record in seconds.
        ttl_secs: u32,
        /// A write token for the requester's IP, as in [`Response::Nodes`]: to store a
        /// newer version there.
        token: Token,
    },
    /// Answers [`Request::Store`].
    Stored {
        /// What the receiver did with the record.
        outcome: StoreOutcome,
    },
}

/// What a node did with the record of a [`Request::Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreOutcome {
    /// Kept (or a copy held was renewed).
    Accepted,
    /// Not kept: the token is not valid, the record is not valid under its key, the store or
    /// the sender's share of it is full, the value is over the limit, or a different value
    /// held lives longer.
    Refused,
    /// Not kept: a mutable record with this sequence number, at least as new as the one
    /// sent (or newer than the one the writer expected), is held.
    Superseded {
        /// The sequence number held.
        seq: u64,
    },
}

impl StoreOutcome {
    /// Whether the record was kept.
    pub fn is_accepted(self) -> bool {
        self == StoreOutcome::Accepted
    }
}
