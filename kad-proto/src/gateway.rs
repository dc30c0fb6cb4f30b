//! The contract between the runtime and a transport: the [`Gateway`] trait, and the
//! [`Inbound`] handle through which a gateway hands received messages to the runtime.

use std::fmt;
use std::io;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;

use kad_core::KeyType;
use multiaddr::Multiaddr;

use crate::datagram::decode;
use crate::error::{DecodeError, EncodeError};
use crate::polled::PolledGateway;
use crate::stats::GatewayStats;
use crate::wire::WireMessage;

/// A transport: something that moves [`WireMessage`]s between nodes, for the multiaddrs it can
/// reach.
///
/// The runtime owns its gateways on the thread that owns the kad-core node; a gateway
/// receives on threads of its own, unless it also offers [`PolledGateway`] (see
/// [`as_polled`](Gateway::as_polled)) and the runtime drives it on its own poll. The runtime
/// calls:
///
/// 1. [`can_reach`](Gateway::can_reach) at any time, to pick the gateway for an address;
/// 2. [`start`](Gateway::start) once (or [`PolledGateway::start_polled`] instead), handing
///    over the [`Inbound`] through which every message received from then on is delivered;
/// 3. [`local_addrs`](Gateway::local_addrs) and [`send`](Gateway::send) while the gateway runs;
/// 4. [`shutdown`](Gateway::shutdown) once at the end (also when the runtime is dropped).
///
/// Everything a gateway needs is public: a transport in another crate implements this trait,
/// encodes with [`encode`](crate::encode) (or a format of its own) and delivers with
/// [`Inbound::deliver_datagram`] (or [`Inbound::deliver`]).
///
/// # Example
///
/// A gateway that moves datagrams between gateways of the same process through a shared map,
/// for `/memory/<n>` addresses:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{mpsc, Arc, Mutex};
///
/// use kad_core::{Body, Key, KeyType, Message, Request, TxId};
/// use kad_proto::{
///     DeliverError, Gateway, GatewayError, Inbound, Multiaddr, Protocol, SendError, WireMessage,
/// };
///
/// /// The shared medium: who listens at which address.
/// type Hub<K> = Arc<Mutex<HashMap<Multiaddr, Inbound<K>>>>;
///
/// struct MemoryGateway<K> {
///     hub: Hub<K>,
///     addr: Multiaddr,
///     inbound: Option<Inbound<K>>,
/// }
///
/// impl<K: KeyType> Gateway<K> for MemoryGateway<K> {
///     fn can_reach(&self, addr: &Multiaddr) -> bool {
///         matches!(addr.iter().next(), Some(Protocol::Memory(_)))
///     }
///
///     fn start(&mut self, inbound: Inbound<K>) -> Result<(), GatewayError> {
///         if self.inbound.is_some() {
///             return Err(GatewayError::AlreadyStarted);
///         }
///         let mut hub = self.hub.lock().map_err(|_| GatewayError::other("hub poisoned"))?;
///         hub.insert(self.addr.clone(), inbound.clone());
///         self.inbound = Some(inbound);
///         Ok(())
///     }
///
///     fn local_addrs(&self) -> Vec<Multiaddr> {
///         vec![self.addr.clone()]
///     }
///
///     fn send(&self, to: &Multiaddr, message: WireMessage<K>) -> Result<(), SendError> {
///         let Some(own) = &self.inbound else { return Err(SendError::NotRunning) };
///         let datagram = kad_proto::encode(&message).map_err(SendError::Encode)?;
///         let peer = {
///             let hub = self.hub.lock().map_err(|_| SendError::NotRunning)?;
///             hub.get(to).cloned().ok_or(SendError::Unreachable)?
///         };
///         own.stats().record_sent(datagram.len());
///         // A message lost on the way is the receiver's count, not a send failure.
///         let _ = peer.deliver_datagram(self.addr.clone(), &datagram);
///         Ok(())
///     }
///
///     fn shutdown(&mut self) {
///         if let Ok(mut hub) = self.hub.lock() {
///             hub.remove(&self.addr);
///         }
///         self.inbound = None;
///     }
/// }
///
/// let hub: Hub<Key<20>> = Hub::default();
/// let memory = |n| MemoryGateway { hub: hub.clone(), addr: Protocol::Memory(n).into(), inbound: None };
/// let (mut a, mut b) = (memory(1), memory(2));
///
/// // What a runtime does: one bounded queue per node, read by the thread that runs the node.
/// let (a_tx, _a_rx) = mpsc::sync_channel(64);
/// let (b_tx, b_rx) = mpsc::sync_channel(64);
/// a.start(Inbound::from_sender(a_tx))?;
/// b.start(Inbound::from_sender(b_tx))?;
///
/// let ping = Message { tx: TxId::from_u64(1), sender: Key::new([1; 20]), body: Body::Request(Request::Ping) };
/// let to = b.local_addrs()[0].clone();
/// assert!(a.can_reach(&to));
/// a.send(&to, ping.clone())?;
/// assert_eq!(b_rx.try_recv()?, (a.local_addrs()[0].clone(), ping));
///
/// a.shutdown();
/// b.shutdown();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Gateway<K: KeyType>: Send + 'static {
    /// Whether this gateway can send to `addr`: a UDP gateway over IPv4 answers yes for
    /// `/ip4/…/udp/…`, say. Cheap, and callable before [`start`](Gateway::start).
    fn can_reach(&self, addr: &Multiaddr) -> bool;

    /// Binds and starts the gateway's threads; from then on, every message received is handed
    /// to `inbound` with the multiaddr it came from, an address this gateway can reach so that
    /// the answer goes back the same way. Called once; returns without waiting for traffic.
    fn start(&mut self, inbound: Inbound<K>) -> Result<(), GatewayError>;

    /// The addresses the gateway actually listens at (with the port the system chose, if it
    /// was asked for port 0). Empty before [`start`](Gateway::start).
    fn local_addrs(&self) -> Vec<Multiaddr>;

    /// Sends `message` to `to`, or queues it to be sent, without blocking: when a queue is
    /// full, the message is dropped, counted with
    /// [`GatewayStats::record_dropped_outbound_full`], and [`SendError::QueueFull`] returned.
    ///
    /// Called from the thread that owns the node. Delivery is not guaranteed: the protocol
    /// treats a lost message as a request that timed out.
    fn send(&self, to: &Multiaddr, message: WireMessage<K>) -> Result<(), SendError>;

    /// Stops the gateway: no message is delivered after it returns, and its threads are
    /// joined. Calling it again does nothing.
    fn shutdown(&mut self);

    /// The event-driven side of this gateway, if it has one: a runtime with an event loop of
    /// its own then starts it with [`PolledGateway::start_polled`] instead of
    /// [`start`](Gateway::start), and a received datagram costs no thread hand-off. `None`
    /// (the default) for a gateway that only runs on threads of its own.
    fn as_polled(&mut self) -> Option<&mut dyn PolledGateway<K>> {
        None
    }
}

type Sink<K> = dyn Fn(Multiaddr, WireMessage<K>) -> Result<(), DeliverError> + Send + Sync;

/// Where a gateway delivers what it receives: a handle, given by the runtime to
/// [`Gateway::start`], that is cheap to clone and can be used from any thread.
///
/// It counts every delivery in the gateway's [`GatewayStats`], which the gateway also reaches
/// through [`stats`](Inbound::stats) to count what it sends.
pub struct Inbound<K> {
    sink: Arc<Sink<K>>,
    stats: Arc<GatewayStats>,
}

impl<K> Clone for Inbound<K> {
    fn clone(&self) -> Self {
        Inbound {
            sink: Arc::clone(&self.sink),
            stats: Arc::clone(&self.stats),
        }
    }
}

impl<K> fmt::Debug for Inbound<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbound")
            .field("stats", &self.stats.snapshot())
            .finish_non_exhaustive()
    }
}

impl<K: KeyType> Inbound<K> {
    /// A handle that passes each message to `sink`, with fresh counters.
    ///
    /// `sink` must not block: it returns [`DeliverError::QueueFull`] when it cannot take the
    /// message now, and [`DeliverError::Closed`] once the runtime is gone.
    pub fn new<F>(sink: F) -> Self
    where
        F: Fn(Multiaddr, WireMessage<K>) -> Result<(), DeliverError> + Send + Sync + 'static,
    {
        Self::with_stats(Arc::new(GatewayStats::new()), sink)
    }

    /// A handle that passes each message to `sink` and counts in `stats`, which the caller
    /// keeps a clone of to read.
    pub fn with_stats<F>(stats: Arc<GatewayStats>, sink: F) -> Self
    where
        F: Fn(Multiaddr, WireMessage<K>) -> Result<(), DeliverError> + Send + Sync + 'static,
    {
        Inbound {
            sink: Arc::new(sink),
            stats,
        }
    }

    /// A handle that puts each message, with its source, on a bounded channel, with fresh
    /// counters. A full channel drops the message.
    pub fn from_sender(sender: SyncSender<(Multiaddr, WireMessage<K>)>) -> Self {
        Self::new(move |from, message| {
            sender
                .try_send((from, message))
                .map_err(|error| match error {
                    TrySendError::Full(_) => DeliverError::QueueFull,
                    TrySendError::Disconnected(_) => DeliverError::Closed,
                })
        })
    }

    /// Delivers a message received from `from`, counted as received with no byte count.
    /// For a transport that does not carry kad-proto datagrams.
    pub fn deliver(&self, from: Multiaddr, message: WireMessage<K>) -> Result<(), DeliverError> {
        self.stats.record_received(0);
        self.hand_over(from, message)
    }

    /// Decodes a datagram received from `from` and delivers the message; a datagram that does
    /// not decode is counted and dropped.
    pub fn deliver_datagram(&self, from: Multiaddr, datagram: &[u8]) -> Result<(), DeliverError> {
        self.stats.record_received(datagram.len());
        match decode(datagram) {
            Ok(message) => self.hand_over(from, message),
            Err(error) => {
                self.stats.record_dropped_malformed();
                Err(DeliverError::Malformed(error))
            }
        }
    }

    /// The counters of this gateway.
    pub fn stats(&self) -> &Arc<GatewayStats> {
        &self.stats
    }

    fn hand_over(&self, from: Multiaddr, message: WireMessage<K>) -> Result<(), DeliverError> {
        let result = (self.sink)(from, message);
        match &result {
            Ok(()) => self.stats.record_delivered(),
            Err(DeliverError::QueueFull) => self.stats.record_dropped_inbound_full(),
            Err(DeliverError::Malformed(_)) => self.stats.record_dropped_malformed(),
            Err(DeliverError::Closed) => {}
        }
        result
    }
}

/// Why a received message was not delivered; in every case it is dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliverError {
    /// The runtime's inbound queue is full.
    QueueFull,
    /// The runtime has stopped; the gateway is about to be shut down.
    Closed,
    /// The datagram did not decode.
    Malformed(DecodeError),
}

impl fmt::Display for DeliverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliverError::QueueFull => f.write_str("inbound queue full, message dropped"),
            DeliverError::Closed => f.write_str("runtime stopped, message dropped"),
            DeliverError::Malformed(error) => write!(f, "datagram dropped: {error}"),
        }
    }
}

impl std::error::Error for DeliverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeliverError::Malformed(error) => Some(error),
            DeliverError::QueueFull | DeliverError::Closed => None,
        }
    }
}

/// Why a gateway did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum GatewayError {
    /// [`Gateway::start`] was called on a gateway already started.
    AlreadyStarted,
    /// Binding or starting failed.
    Io(io::Error),
    /// Any other reason, for transports with errors of their own.
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl GatewayError {
    /// An [`Other`](GatewayError::Other) error from a message or an error value.
    pub fn other(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        GatewayError::Other(error.into())
    }
}

impl From<io::Error> for GatewayError {
    fn from(error: io::Error) -> Self {
        GatewayError::Io(error)
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatewayError::AlreadyStarted => f.write_str("gateway already started"),
            GatewayError::Io(error) => write!(f, "gateway failed to start: {error}"),
            GatewayError::Other(error) => write!(f, "gateway failed to start: {error}"),
        }
    }
}

impl std::error::Error for GatewayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GatewayError::AlreadyStarted => None,
            GatewayError::Io(error) => Some(error),
            GatewayError::Other(error) => Some(error.as_ref()),
        }
    }
}

/// Why [`Gateway::send`] did not send a message; in every case it is dropped.
#[derive(Debug)]
#[non_exhaustive]
pub enum SendError {
    /// The gateway cannot reach this address (see [`Gateway::can_reach`]).
    Unreachable,
    /// The gateway is not started, or is shut down.
    NotRunning,
    /// The gateway's outbound queue is full.
    QueueFull,
    /// The message cannot be encoded.
    Encode(EncodeError),
    /// The transport failed to send.
    Io(io::Error),
}

impl SendError {
    /// Whether the failure is the everyday lot of a node on a network rather than a fault of
    /// this node: a full queue, or a destination the system cannot reach (no route, refused,
    /// filtered by a firewall, out of reach of the address the socket is bound to). A
    /// runtime logs routine failures quietly and the others as warnings: a message that
    /// cannot be encoded, a gateway that is not running, any other IO error.
    ///
    /// ```
    /// use std::io;
    /// use kad_proto::SendError;
    ///
    /// assert!(SendError::QueueFull.is_routine());
    /// assert!(SendError::Io(io::ErrorKind::NetworkUnreachable.into()).is_routine());
    /// assert!(!SendError::NotRunning.is_routine());
    /// assert!(!SendError::Io(io::ErrorKind::OutOfMemory.into()).is_routine());
    /// ```
    pub fn is_routine(&self) -> bool {
        match self {
            SendError::Unreachable | SendError::QueueFull => true,
            SendError::Io(error) => matches!(
                error.kind(),
                io::ErrorKind::NetworkUnreachable
                    | io::ErrorKind::HostUnreachable
                    | io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::PermissionDenied
                    | io::ErrorKind::AddrNotAvailable
                    // Linux's answer to a socket bound to loopback sending elsewhere.
                    | io::ErrorKind::InvalidInput
            ),
            SendError::NotRunning | SendError::Encode(_) => false,
        }
    }
}

impl From<EncodeError> for SendError {
    fn from(error: EncodeError) -> Self {
        SendError::Encode(error)
    }
}

impl From<io::Error> for SendError {
    fn from(error: io::Error) -> Self {
        SendError::Io(error)
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Unreachable => f.write_str("address not reachable through this gateway"),
            SendError::NotRunning => f.write_str("gateway not running"),
            SendError::QueueFull => f.write_str("outbound queue full, message dropped"),
            SendError::Encode(error) => write!(f, "message not encodable: {error}"),
            SendError::Io(error) => write!(f, "send failed: {error}"),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Encode(error) => Some(error),
            SendError::Io(error) => Some(error),
            SendError::Unreachable | SendError::NotRunning | SendError::QueueFull => None,
        }
    }
}
