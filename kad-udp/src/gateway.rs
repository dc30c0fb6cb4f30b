//! [`UdpGateway`]: kad-proto's [`Gateway`] over one UDP socket.

use std::fmt;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use kad_core::KeyType;
use kad_proto::{
    encode_into, fit_contacts, EncodeError, Gateway, GatewayError, GatewayStats, Inbound,
    Multiaddr, SendError, WireMessage, MAX_DATAGRAM_SIZE,
};

use crate::addr::{multiaddr_to_socket, parse_listen_addr, socket_to_multiaddr, BadListenAddr};
use crate::drops::DropCounters;
use crate::event_loop::{EventLoop, Shared};

/// Datagrams queued for a full socket send buffer before new ones are dropped: 1024.
pub const DEFAULT_SEND_QUEUE: usize = 1024;

/// A UDP transport: one socket, IPv4 or IPv6, bound at [`start`](Gateway::start).
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
    drops: DropCounters,
    running: Option<Running>,
}

/// A started gateway.
struct Running {
    local: SocketAddr,
    local_multiaddr: Multiaddr,
    /// A clone of the event loop's socket, for sending from the caller's thread.
    socket: UdpSocket,
    shared: Arc<Shared>,
    stats: Arc<GatewayStats>,
    thread: Option<JoinHandle<()>>,
    is_v4: bool,
}

impl UdpGateway {
    /// A gateway that will listen at `addr`: `"ip:port"` for IPv4, `"[ip6]:port"` for IPv6, or
    /// a multiaddr `"/ip4/…/udp/…"` / `"/ip6/…/udp/…"`. Port 0 lets the system choose; read
    /// the chosen port with [`local_addrs`](Gateway::local_addrs) after starting. A malformed
    /// address is reported by [`start`](Gateway::start).
    pub fn new(addr: impl AsRef<str>) -> Self {
        UdpGateway {
            listen: parse_listen_addr(addr.as_ref()),
            send_queue: DEFAULT_SEND_QUEUE,
            drops: DropCounters::default(),
            running: None,
        }
    }

    /// A gateway that will listen at a socket address.
    pub fn bind(addr: SocketAddr) -> Self {
        UdpGateway {
            listen: Ok(addr),
            send_queue: DEFAULT_SEND_QUEUE,
            drops: DropCounters::default(),
            running: None,
        }
    }

    /// Sets how many datagrams may wait for room in the socket's send buffer before new ones
    /// are dropped (default [`DEFAULT_SEND_QUEUE`]).
    pub fn send_queue(mut self, capacity: usize) -> Self {
        self.send_queue = capacity;
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
        self.running.as_ref().map(|r| r.local)
    }

    fn is_v4(&self) -> Option<bool> {
        match (&self.running, &self.listen) {
            (Some(running), _) => Some(running.is_v4),
            (None, Ok(listen)) => Some(listen.is_ipv4()),
            (None, Err(_)) => None,
        }
    }

    fn bind_and_spawn<K: KeyType>(&mut self, inbound: Inbound<K>) -> Result<(), GatewayError> {
        let listen = self
            .listen
            .clone()
            .map_err(|e| GatewayError::Io(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
        let with_addr = |e: io::Error| io::Error::new(e.kind(), format!("UDP {listen}: {e}"));
        let socket = UdpSocket::bind(listen).map_err(with_addr)?;
        socket.set_nonblocking(true).map_err(with_addr)?;
        let local = socket.local_addr().map_err(with_addr)?;
        let sender = socket.try_clone().map_err(with_addr)?;
        let stats = Arc::clone(inbound.stats());
        let (event_loop, shared) =
            EventLoop::new(socket, inbound, self.send_queue, self.drops.clone())
                .map_err(with_addr)?;
        let thread = thread::Builder::new()
            .name(format!("kad-udp {local}"))
            .spawn(move || event_loop.run())
            .map_err(with_addr)?;
        self.running = Some(Running {
            local,
            local_multiaddr: socket_to_multiaddr(local),
            socket: sender,
            shared,
            stats,
            thread: Some(thread),
            is_v4: local.is_ipv4(),
        });
        Ok(())
    }
}

impl fmt::Debug for UdpGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpGateway")
            .field("listen", &self.listen)
            .field("local", &self.local_socket_addr())
            .field("send_queue", &self.send_queue)
            .finish()
    }
}

impl Running {
    /// Sends at once if nothing is queued and the socket takes it, else queues it.
    fn transmit(&self, to: SocketAddr, datagram: &[u8]) -> Result<(), SendError> {
        if self.shared.queue.is_empty() {
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
        match self.shared.queue.push(to, datagram) {
            Ok(was_empty) => {
                if was_empty {
                    // The event loop flushes on this wake-up, or on the socket's next
                    // writable edge; if waking fails the loop is gone, and the queue with it.
                    let _ = self.shared.waker.wake();
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
        self.shared.request_stop();
        if let Some(thread) = self.thread.take() {
            // A panic of the event loop thread has nothing left to clean up.
            let _ = thread.join();
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
        if self.running.is_some() {
            return Err(GatewayError::AlreadyStarted);
        }
        self.bind_and_spawn(inbound)
    }

    fn local_addrs(&self) -> Vec<Multiaddr> {
        self.running
            .iter()
            .map(|r| r.local_multiaddr.clone())
            .collect()
    }

    fn send(&self, to: &Multiaddr, mut message: WireMessage<K>) -> Result<(), SendError> {
        let running = self.running.as_ref().ok_or(SendError::NotRunning)?;
        let dest = multiaddr_to_socket(to)
            .filter(|dest| dest.is_ipv4() == running.is_v4)
            .ok_or(SendError::Unreachable)?;
        let mut buf = [0u8; MAX_DATAGRAM_SIZE];
        let len = match encode_into(&message, &mut buf) {
            Ok(len) => len,
            Err(
                EncodeError::TooLarge { .. }
                | EncodeError::TooManyContacts { .. }
                | EncodeError::MultiaddrTooLong { .. },
            ) if fit_contacts(&mut message) > 0 => encode_into(&message, &mut buf)
                .inspect_err(|_| running.stats.record_send_failed())?,
            Err(e) => {
                running.stats.record_send_failed();
                return Err(SendError::Encode(e));
            }
        };
        running.transmit(dest, buf.get(..len).unwrap_or(&[]))
    }

    fn shutdown(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.stop();
        }
    }
}

impl Drop for UdpGateway {
    fn drop(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.stop();
        }
    }
}
