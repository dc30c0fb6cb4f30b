//! [`UdpGateway`]: kad-proto's [`Gateway`] over one UDP socket, in threaded or polled mode.

use std::fmt;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use kad_core::KeyType;
use kad_proto::mio::{Registry, Token};
use kad_proto::{
    decode, encode_into, DeliverError, Gateway, GatewayError, GatewayStats, Inbound, MessageSink,
    Multiaddr, PolledGateway, SendError, WireMessage, MAX_DATAGRAM_SIZE,
};
use socket2::SockRef;

use crate::addr::{multiaddr_to_socket, parse_listen_addr, socket_to_multiaddr, BadListenAddr};
use crate::drops::DropCounters;
use crate::event_loop::{EventLoop, Shared, SOCKET};
use crate::send_queue::SendQueue;
use crate::socket::{Deliver, Socket};

/// Datagrams queued for a full socket send buffer before new ones are dropped: 1024.
pub const DEFAULT_SEND_QUEUE: usize = 1024;

/// Bytes asked of the system for the socket's receive buffer: 1 MiB, room for about 450
/// datagrams that arrive faster than they are read (the kernel counts some 2 KiB per small
/// datagram). The system may grant less (Linux caps it at `net.core.rmem_max`).
pub const DEFAULT_RECV_BUFFER: usize = 1 << 20;

/// A UDP transport: one socket, IPv4 or IPv6, bound at [`start`](Gateway::start) (or
/// [`start_polled`](PolledGateway::start_polled)).
///
/// It reaches every `/ip4/…/udp/…` address if bound to an IPv4 address, every
/// `/ip6/…/udp/…` address if bound to an IPv6 one. See the [crate documentation](crate) for how
/// it receives and sends.
///
/// ```
/// use kad_udp::UdpGateway;
/// let v4 = UdpGateway::new("127.0.0.1:0");        // any free port
/// let v6 = UdpGateway::new("[::1]:4000");
/// let also_v4 = UdpGateway::new("/ip4/0.0.0.0/udp/4000").send_queue(4096);
/// ```
pub struct UdpGateway {
    listen: Result<SocketAddr, BadListenAddr>,
    send_queue: usize,
    recv_buffer: usize,
    drops: DropCounters,
    started: Option<StartedGateway>,
}

/// A started gateway.
struct StartedGateway {
    local: SocketAddr,
    local_multiaddr: Multiaddr,
    /// A clone of the receiving socket, for sending from the caller's thread.
    socket: UdpSocket,
    queue: Arc<SendQueue>,
    stats: Arc<GatewayStats>,
    reader: Reader,
}

/// Who reads the socket of a started gateway.
enum Reader {
    /// An event loop on a thread of its own ([`Gateway::start`]).
    Threaded {
        shared: Arc<Shared>,
        thread: Option<JoinHandle<()>>,
    },
    /// The caller's event loop ([`PolledGateway::start_polled`]).
    Polled(Box<Socket>),
}

/// A bound socket's sending side, while its receiving side is set up.
struct Bound {
    local: SocketAddr,
    sender: UdpSocket,
}

impl UdpGateway {
    /// A gateway that will listen at `addr`: `"ip:port"` for IPv4, `"[ip6]:port"` for IPv6, or
    /// a multiaddr `"/ip4/…/udp/…"` / `"/ip6/…/udp/…"`. Port 0 lets the system choose; read
    /// the chosen port with [`local_addrs`](Gateway::local_addrs) after starting. A malformed
    /// address is reported by [`start`](Gateway::start).
    pub fn new(addr: impl AsRef<str>) -> Self {
        Self::with_listen(parse_listen_addr(addr.as_ref()))
    }

    /// A gateway that will listen at a socket address.
    pub fn bind(addr: SocketAddr) -> Self {
        Self::with_listen(Ok(addr))
    }

    fn with_listen(listen: Result<SocketAddr, BadListenAddr>) -> Self {
        UdpGateway {
            listen,
            send_queue: DEFAULT_SEND_QUEUE,
            recv_buffer: DEFAULT_RECV_BUFFER,
            drops: DropCounters::default(),
            started: None,
        }
    }

    /// Sets how many datagrams may wait for room in the socket's send buffer before new ones
    /// are dropped (default [`DEFAULT_SEND_QUEUE`]).
    pub fn send_queue(mut self, capacity: usize) -> Self {
        self.send_queue = capacity;
        self
    }

    /// Sets how many bytes to ask of the system for the socket's receive buffer, which holds
    /// datagrams that arrive while the gateway is busy (default [`DEFAULT_RECV_BUFFER`]; 0
    /// keeps the system's default). A burst larger than the buffer is dropped by the kernel,
    /// uncounted here.
    pub fn recv_buffer(mut self, bytes: usize) -> Self {
        self.recv_buffer = bytes;
        self
    }

    /// Counters of the datagrams dropped because they did not decode, by reason (another
    /// protocol, another version, over-size, malformed); they keep counting once the gateway
    /// is registered with a service.
    ///
    /// ```
    /// let gateway = kad_udp::UdpGateway::new("127.0.0.1:0");
    /// let drops = gateway.drop_counters();
    /// // ... register and start the gateway, then, at any time:
    /// assert_eq!(drops.total(), 0);
    /// ```
    pub fn drop_counters(&self) -> DropCounters {
        self.drops.clone()
    }

    /// The address the gateway is bound to, once started.
    pub fn local_socket_addr(&self) -> Option<SocketAddr> {
        self.started.as_ref().map(|r| r.local)
    }

    /// Whether the gateway sends to IPv4 addresses (else IPv6); `None` if its listen address
    /// is malformed.
    fn is_v4(&self) -> Option<bool> {
        match (&self.started, &self.listen) {
            (Some(running), _) => Some(running.local.is_ipv4()),
            (None, Ok(listen)) => Some(listen.is_ipv4()),
            (None, Err(_)) => None,
        }
    }

    /// Binds the socket (non-blocking): the first half of both ways of starting.
    fn bind_socket(&self) -> Result<(UdpSocket, Bound), GatewayError> {
        if self.started.is_some() {
            return Err(GatewayError::AlreadyStarted);
        }
        let listen = self
            .listen
            .clone()
            .map_err(|e| GatewayError::Io(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
        let bound = UdpSocket::bind(listen)
            .and_then(|socket| {
                socket.set_nonblocking(true)?;
                // Best effort: a system that grants a smaller buffer still works, with less
                // room for bursts.
                if self.recv_buffer > 0 {
                    let _ = SockRef::from(&socket).set_recv_buffer_size(self.recv_buffer);
                }
                let local = socket.local_addr()?;
                let sender = socket.try_clone()?;
                Ok((socket, Bound { local, sender }))
            })
            .map_err(|e| io::Error::new(e.kind(), format!("UDP {listen}: {e}")))?;
        Ok(bound)
    }

    /// The receiving side of `socket`, registered with `registry` under `token`.
    fn receiving_side<K: KeyType>(
        &self,
        socket: UdpSocket,
        registry: &Registry,
        token: Token,
        inbound: &Inbound<K>,
        queue: &Arc<SendQueue>,
    ) -> io::Result<Socket> {
        Socket::register(
            socket,
            registry,
            token,
            Arc::clone(queue),
            Arc::clone(inbound.stats()),
            self.drops.clone(),
        )
    }

    /// Records the gateway as started.
    fn record_started<K: KeyType>(
        &mut self,
        bound: Bound,
        inbound: &Inbound<K>,
        queue: Arc<SendQueue>,
        reader: Reader,
    ) {
        self.started = Some(StartedGateway {
            local: bound.local,
            local_multiaddr: socket_to_multiaddr(bound.local),
            socket: bound.sender,
            queue,
            stats: Arc::clone(inbound.stats()),
            reader,
        });
    }
}

impl fmt::Debug for UdpGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpGateway")
            .field("listen", &self.listen)
            .field("local", &self.local_socket_addr())
            .field("send_queue", &self.send_queue)
            .field("recv_buffer", &self.recv_buffer)
            .finish()
    }
}

impl StartedGateway {
    /// Sends at once if nothing is queued and the socket takes it, else queues it.
    fn transmit(&self, to: SocketAddr, datagram: &[u8]) -> Result<(), SendError> {
        if self.queue.is_empty() {
            match self.socket.send_to(datagram, to) {
                Ok(_) => {
                    self.stats.record_sent(datagram.len());
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    self.stats.record_send_failed();
                    return Err(SendError::Io(e));
                }
            }
        }
        match self.queue.push(to, datagram) {
            Ok(was_empty) => {
                // A polled gateway is flushed by its caller after every round of sends; a
                // threaded one's loop is told.
                if let (true, Reader::Threaded { shared, .. }) = (was_empty, &self.reader) {
                    shared.wake();
                }
                Ok(())
            }
            Err(_) => {
                self.stats.record_dropped_outbound_full();
                Err(SendError::QueueFull)
            }
        }
    }

    fn stop(&mut self) {
        match &mut self.reader {
            Reader::Threaded { shared, thread } => {
                shared.request_stop();
                if let Some(thread) = thread.take() {
                    // A panic of the event loop thread has nothing left to clean up.
                    let _ = thread.join();
                }
            }
            Reader::Polled(socket) => socket.close(),
        }
    }
}

impl<K: KeyType> Gateway<K> for UdpGateway {
    fn can_reach(&self, addr: &Multiaddr) -> bool {
        match (self.is_v4(), multiaddr_to_socket(addr)) {
            (Some(v4), Some(to)) => to.is_ipv4() == v4,
            _ => false,
        }
    }

    fn start(&mut self, inbound: Inbound<K>) -> Result<(), GatewayError> {
        let (socket, bound) = self.bind_socket()?;
        let queue = Arc::new(SendQueue::new(self.send_queue));
        let local = bound.local;
        let with_addr = |e: io::Error| io::Error::new(e.kind(), format!("UDP {local}: {e}"));
        let delivering = inbound.clone();
        let deliver: Deliver =
            Box::new(move |from, datagram| delivering.deliver_datagram(from, datagram));
        let (event_loop, shared) = EventLoop::new(
            |poll| self.receiving_side(socket, poll.registry(), SOCKET, &inbound, &queue),
            deliver,
        )
        .map_err(with_addr)?;
        let thread = thread::Builder::new()
            .name(format!("kad-udp {local}"))
            .spawn(move || event_loop.run())
            .map_err(with_addr)?;
        let reader = Reader::Threaded {
            shared,
            thread: Some(thread),
        };
        self.record_started(bound, &inbound, queue, reader);
        Ok(())
    }

    fn local_addrs(&self) -> Vec<Multiaddr> {
        self.started
            .iter()
            .map(|r| r.local_multiaddr.clone())
            .collect()
    }

    fn send(&self, to: &Multiaddr, message: WireMessage<K>) -> Result<(), SendError> {
        let running = self.started.as_ref().ok_or(SendError::NotRunning)?;
        let dest = multiaddr_to_socket(to)
            .filter(|dest| dest.is_ipv4() == running.local.is_ipv4())
            .ok_or(SendError::Unreachable)?;
        let mut buf = [0u8; MAX_DATAGRAM_SIZE];
        let len =
            encode_into(&message, &mut buf).inspect_err(|_| running.stats.record_send_failed())?;
        running.transmit(dest, buf.get(..len).unwrap_or(&[]))
    }

    fn shutdown(&mut self) {
        if let Some(mut running) = self.started.take() {
            running.stop();
        }
    }

    fn as_polled(&mut self) -> Option<&mut dyn PolledGateway<K>> {
        Some(self)
    }
}

impl<K: KeyType> PolledGateway<K> for UdpGateway {
    fn start_polled(
        &mut self,
        registry: &Registry,
        token: Token,
        inbound: Inbound<K>,
    ) -> Result<(), GatewayError> {
        let (socket, bound) = self.bind_socket()?;
        let queue = Arc::new(SendQueue::new(self.send_queue));
        let socket = self
            .receiving_side(socket, registry, token, &inbound, &queue)
            .map_err(|e| io::Error::new(e.kind(), format!("UDP {}: {e}", bound.local)))?;
        self.record_started(bound, &inbound, queue, Reader::Polled(Box::new(socket)));
        Ok(())
    }

    fn receive(&mut self, sink: &mut dyn MessageSink<K>) -> bool {
        let Some(StartedGateway {
            reader: Reader::Polled(socket),
            stats,
            ..
        }) = &mut self.started
        else {
            return false;
        };
        socket.receive(|from, datagram| {
            stats.record_received(datagram.len());
            if !sink.admit(&from) {
                // Turned away unread; the sink counts it.
                return Ok(());
            }
            match decode(datagram) {
                Ok(message) => {
                    stats.record_delivered();
                    sink.deliver(from, message);
                    Ok(())
                }
                Err(error) => {
                    stats.record_dropped_malformed();
                    Err(DeliverError::Malformed(error))
                }
            }
        })
    }

    fn flush(&mut self, registry: &Registry) {
        if let Some(StartedGateway {
            reader: Reader::Polled(socket),
            ..
        }) = &mut self.started
        {
            socket.flush(registry);
        }
    }
}

impl Drop for UdpGateway {
    fn drop(&mut self) {
        if let Some(mut running) = self.started.take() {
            running.stop();
        }
    }
}
