//! The event-driven side of the gateway contract: [`PolledGateway`], for a transport whose
//! sockets the runtime's own event loop can wait on, so that a received datagram wakes the
//! thread that handles it and no other.

use kad_core::KeyType;
use mio::{Registry, Token};
use multiaddr::Multiaddr;

use crate::gateway::{GatewayError, Inbound};
use crate::wire::WireMessage;

/// Where [`PolledGateway::receive`] hands what it reads: the code of the task that owns the
/// node, called on the event loop's thread.
///
/// ```
/// use kad_core::Key;
/// use kad_proto::{MessageSink, Multiaddr, WireMessage};
///
/// /// Keeps what arrives, turning away one address before its datagrams are even decoded.
/// struct Collect {
///     banned: Multiaddr,
///     arrived: Vec<(Multiaddr, WireMessage<Key<20>>)>,
/// }
///
/// impl MessageSink<Key<20>> for Collect {
///     fn admit(&mut self, from: &Multiaddr) -> bool {
///         *from != self.banned
///     }
///     fn deliver(&mut self, from: Multiaddr, message: WireMessage<Key<20>>) {
///         self.arrived.push((from, message));
///     }
/// }
/// ```
pub trait MessageSink<K> {
    /// Whether a datagram that came from `from` is to be read at all. The gateway asks
    /// before it decodes the datagram and drops it unread on `false`, so that a source over
    /// its rate (see kad-core's `Node::admit`) costs no decoding. Admits everything by default.
    fn admit(&mut self, from: &Multiaddr) -> bool {
        let _ = from;
        true
    }

    /// A message that decoded, with the address it came from.
    fn deliver(&mut self, from: Multiaddr, message: WireMessage<K>);
}

/// A closure is a sink that admits everything.
impl<K, F: FnMut(Multiaddr, WireMessage<K>)> MessageSink<K> for F {
    fn deliver(&mut self, from: Multiaddr, message: WireMessage<K>) {
        self(from, message);
    }
}

/// A [`Gateway`](crate::Gateway) that can run without threads of its own, driven by the
/// caller's [mio](https://docs.rs/mio) event loop: it registers its sockets with the caller's
/// [`Registry`] and reads them when the caller sees them ready.
///
/// A runtime that waits on a [`mio::Poll`] asks each gateway for this side with
/// [`Gateway::as_polled`](crate::Gateway::as_polled) and, when there is one, calls:
///
/// 1. [`start_polled`](PolledGateway::start_polled) once, instead of
///    [`Gateway::start`](crate::Gateway::start);
/// 2. [`receive`](PolledGateway::receive) when an event for the gateway's token is readable,
///    and again without waiting for as long as it returns `true`, with the function that
///    hands each message straight to the node;
/// 3. [`flush`](PolledGateway::flush) when an event for the token is writable, and after each
///    round of [`Gateway::send`](crate::Gateway::send)s, so that datagrams queued while the
///    socket's buffer was full go out as soon as there is room;
/// 4. [`Gateway::shutdown`](crate::Gateway::shutdown) at the end, as in threaded mode.
///
/// The other methods of [`Gateway`](crate::Gateway) keep their meaning. Everything is called
/// from the thread that runs the event loop.
pub trait PolledGateway<K: KeyType> {
    /// Binds the gateway's sockets and registers them with `registry` under `token`, without
    /// starting any thread. [`receive`](PolledGateway::receive) hands what it reads to the
    /// function it is given, and counts it in `inbound`'s [`stats`](Inbound::stats); the
    /// gateway may also deliver to `inbound` from anywhere else (its `send`, a thread of its
    /// own), which costs the runtime a wake-up. Called once;
    /// [`Gateway::shutdown`](crate::Gateway::shutdown) must deregister or close every source
    /// registered here.
    fn start_polled(
        &mut self,
        registry: &Registry,
        token: Token,
        inbound: Inbound<K>,
    ) -> Result<(), GatewayError>;

    /// Reads what has arrived, at most a bounded batch, and hands each message that decodes
    /// to `sink` (when [`MessageSink::admit`] lets its source in), counting it in the stats
    /// of the [`Inbound`] given at start; never blocks. Returns `true` if the batch was full, so that more may be waiting: the caller
    /// then calls again before it next sleeps (mio reports readiness once per edge, not
    /// while data is left).
    fn receive(&mut self, sink: &mut dyn MessageSink<K>) -> bool;

    /// Sends what was queued for lack of room in the socket's buffer, as far as it goes
    /// now, and keeps the registration watching for room while anything is left. Cheap when
    /// nothing is queued.
    fn flush(&mut self, registry: &Registry);
}
