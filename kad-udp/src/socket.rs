//! A UDP gateway's socket as an event loop sees it: read in bounded batches into one reused
//! buffer, each datagram handed on with its source as a multiaddr, and the send queue drained
//! into it when it becomes writable again. The same code runs on the gateway's own thread
//! (threaded mode) and on the caller's event loop (polled mode); only what is done with a
//! datagram differs.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use kad_proto::{DeliverError, GatewayStats, Multiaddr, MAX_DATAGRAM_SIZE};
use mio::net::UdpSocket;
use mio::{Interest, Registry, Token};

use crate::addr::socket_to_multiaddr;
use crate::drop_log::DropLog;
use crate::drops::DropCounters;
use crate::send_queue::SendQueue;

/// Datagrams read in one go before the loop looks at its other duties; the rest are read
/// on the next turn.
pub(crate) const READ_BATCH: usize = 256;

/// Source addresses remembered, so that a datagram from a known peer costs no multiaddr
/// allocation; the cache is emptied when it grows past this.
const ADDR_CACHE: usize = 4096;

/// What threaded mode does with a received datagram: decode it and deliver it to the
/// runtime's [`Inbound`](kad_proto::Inbound).
pub(crate) type Deliver = Box<dyn FnMut(Multiaddr, &[u8]) -> Result<(), DeliverError> + Send>;

/// The receiving side of a started gateway, registered with one poll.
pub(crate) struct Socket {
    socket: UdpSocket,
    local: SocketAddr,
    token: Token,
    queue: Arc<SendQueue>,
    stats: Arc<GatewayStats>,
    drops: DropCounters,
    log: DropLog,
    buf: Box<[u8]>,
    addrs: HashMap<SocketAddr, Multiaddr>,
    /// Whether the registration includes writability (only while the queue holds
    /// something: every datagram sent would otherwise wake the loop when the kernel frees
    /// its buffer).
    watching_writes: bool,
}

impl Socket {
    /// Registers `socket` (already non-blocking) with `registry` under `token`, for reading.
    pub(crate) fn register(
        socket: std::net::UdpSocket,
        registry: &Registry,
        token: Token,
        queue: Arc<SendQueue>,
        stats: Arc<GatewayStats>,
        drops: DropCounters,
    ) -> io::Result<Self> {
        let local = socket.local_addr()?;
        let mut socket = UdpSocket::from_std(socket);
        registry.register(&mut socket, token, Interest::READABLE)?;
        Ok(Socket {
            socket,
            local,
            token,
            queue,
            stats,
            drops,
            log: DropLog::new(local),
            // One byte more than the limit, so that an over-size datagram is seen as such
            // rather than silently cut to a valid-looking length.
            buf: vec![0; MAX_DATAGRAM_SIZE + 1].into_boxed_slice(),
            addrs: HashMap::new(),
            watching_writes: false,
        })
    }

    /// The address the socket is bound to.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Reads up to [`READ_BATCH`] datagrams and hands each to `deliver`; returns whether the
    /// batch was full, so that more may be waiting.
    pub(crate) fn receive(
        &mut self,
        mut deliver: impl FnMut(Multiaddr, &[u8]) -> Result<(), DeliverError>,
    ) -> bool {
        for _ in 0..READ_BATCH {
            match self.socket.recv_from(&mut self.buf) {
                Ok((len, source)) => {
                    let from = multiaddr_of(&mut self.addrs, source);
                    let datagram = self.buf.get(..len).unwrap_or(&[]);
                    match deliver(from, datagram) {
                        // Counted in the gateway's stats (and by reason here); a bad datagram
                        // never stops the loop.
                        Err(DeliverError::Malformed(error)) => {
                            self.drops.record(&error);
                            self.log.malformed(source, &error);
                        }
                        Ok(()) | Err(DeliverError::QueueFull) => {}
                        // The runtime is gone; the gateway is about to be shut down.
                        Err(DeliverError::Closed) => {}
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // An ICMP error reported on the socket (a port unreachable, say) concerns an
                // earlier send; the request it belonged to will time out.
                Err(_) => {}
            }
        }
        true
    }

    /// Sends what is queued until the socket would block, and watches for writability for
    /// as long as something is left (mio reports it at once if the socket is writable
    /// already).
    pub(crate) fn flush(&mut self, registry: &Registry) {
        if self.queue.is_empty() && !self.watching_writes {
            return;
        }
        let (socket, log) = (&self.socket, &mut self.log);
        let drained = self.queue.flush(
            |datagram, to| socket.send_to(datagram, to),
            |to, error| log.send_failed(to, error),
            &self.stats,
        );
        if drained == self.watching_writes {
            let interest = if drained {
                Interest::READABLE
            } else {
                Interest::READABLE | Interest::WRITABLE
            };
            if registry
                .reregister(&mut self.socket, self.token, interest)
                .is_ok()
            {
                self.watching_writes = !drained;
            }
        }
    }

    /// Drops what is still queued, counting each as a failed send.
    pub(crate) fn close(&mut self) {
        let dropped = self.queue.clear(&self.stats);
        self.log.close(dropped);
    }
}

fn multiaddr_of(addrs: &mut HashMap<SocketAddr, Multiaddr>, from: SocketAddr) -> Multiaddr {
    if let Some(addr) = addrs.get(&from) {
        return addr.clone();
    }
    if addrs.len() >= ADDR_CACHE {
        addrs.clear();
    }
    let addr = socket_to_multiaddr(from);
    addrs.insert(from, addr.clone());
    addr
}
