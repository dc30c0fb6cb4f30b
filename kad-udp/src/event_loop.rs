//! The receiving side of a UDP gateway: a mio event loop, on a thread of its own, that reads
//! datagrams, decodes them into messages for the runtime, drains the send queue when the
//! socket becomes writable again, and stops when woken with the stop flag set.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kad_core::KeyType;
use kad_proto::{DeliverError, Inbound, Multiaddr, MAX_DATAGRAM_SIZE};
use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::addr::socket_to_multiaddr;
use crate::drops::DropCounters;
use crate::send_queue::SendQueue;

const SOCKET: Token = Token(0);
const WAKER: Token = Token(1);

/// Datagrams read in one go before the loop looks at its other duties (stop flag, send
/// queue); the rest are read on the next turn.
const READ_BATCH: usize = 256;

/// Source addresses remembered, so that a datagram from a known peer costs no multiaddr
/// allocation; the cache is emptied when it grows past this.
const ADDR_CACHE: usize = 4096;

/// What the event loop shares with the gateway handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) queue: SendQueue,
    pub(crate) waker: Waker,
    pub(crate) stop: AtomicBool,
}

impl Shared {
    /// Asks the loop to stop; it exits at its next turn.
    pub(crate) fn request_stop(&self) {
        self.stop.store(true, Ordering::Release);
        // If waking fails the eventfd is gone, and so is the loop.
        let _ = self.waker.wake();
    }
}

/// The event loop, built on the caller's thread (so that errors surface in `start`) and then
/// moved to its own thread with [`EventLoop::run`].
pub(crate) struct EventLoop<K> {
    poll: Poll,
    socket: UdpSocket,
    shared: Arc<Shared>,
    inbound: Inbound<K>,
    buf: Box<[u8]>,
    addrs: HashMap<SocketAddr, Multiaddr>,
    drops: DropCounters,
}

impl<K: KeyType> EventLoop<K> {
    /// Registers `socket` (already non-blocking) with a new poll and builds the shared state.
    pub(crate) fn new(
        socket: std::net::UdpSocket,
        inbound: Inbound<K>,
        queue_capacity: usize,
        drops: DropCounters,
    ) -> io::Result<(Self, Arc<Shared>)> {
        let poll = Poll::new()?;
        let mut socket = UdpSocket::from_std(socket);
        // Writability is only watched while the send queue holds something: every datagram
        // sent would otherwise wake the loop when the kernel frees its buffer.
        poll.registry()
            .register(&mut socket, SOCKET, Interest::READABLE)?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let shared = Arc::new(Shared {
            queue: SendQueue::new(queue_capacity),
            waker,
            stop: AtomicBool::new(false),
        });
        let event_loop = EventLoop {
            poll,
            socket,
            shared: Arc::clone(&shared),
            inbound,
            // One byte more than the limit, so that an over-size datagram is seen as such
            // rather than silently cut to a valid-looking length.
            buf: vec![0; MAX_DATAGRAM_SIZE + 1].into_boxed_slice(),
            addrs: HashMap::new(),
            drops,
        };
        Ok((event_loop, shared))
    }

    /// Runs until [`Shared::request_stop`]. Sleeps in the kernel while nothing happens.
    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(8);
        // Whether datagrams may be left in the socket after a full batch.
        let mut unread = false;
        // Whether the socket is registered for writability too.
        let mut watching_writes = false;
        loop {
            let timeout = unread.then_some(Duration::ZERO);
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // The poll itself is broken: nothing more can be received.
                break;
            }
            if self.shared.stop.load(Ordering::Acquire) {
                break;
            }
            let mut read = unread;
            let mut write = false;
            for event in events.iter() {
                match event.token() {
                    SOCKET => {
                        read |= event.is_readable();
                        write |= event.is_writable();
                    }
                    _ => write = true,
                }
            }
            if write {
                let socket = &self.socket;
                let stats = self.inbound.stats();
                let drained = self.shared.queue.is_empty()
                    || self
                        .shared
                        .queue
                        .flush(|datagram, to| socket.send_to(datagram, to), stats);
                // Still full: wait for the socket's next writable edge (reported at once if
                // it is writable already).
                if drained == watching_writes {
                    let interest = if drained {
                        Interest::READABLE
                    } else {
                        Interest::READABLE | Interest::WRITABLE
                    };
                    let registry = self.poll.registry();
                    if registry
                        .reregister(&mut self.socket, SOCKET, interest)
                        .is_ok()
                    {
                        watching_writes = !drained;
                    }
                }
            }
            if read {
                unread = self.receive();
            }
        }
        self.shared.queue.clear(self.inbound.stats());
    }

    /// Reads up to [`READ_BATCH`] datagrams and delivers them; returns whether the batch was
    /// full, so that more may be waiting.
    fn receive(&mut self) -> bool {
        for _ in 0..READ_BATCH {
            match self.socket.recv_from(&mut self.buf) {
                Ok((len, from)) => {
                    let from = self.multiaddr_of(from);
                    let datagram = self.buf.get(..len).unwrap_or(&[]);
                    match self.inbound.deliver_datagram(from, datagram) {
                        // Counted by `Inbound` (and by reason here); a bad datagram never
                        // stops the loop.
                        Err(DeliverError::Malformed(error)) => self.drops.record(&error),
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

    fn multiaddr_of(&mut self, from: SocketAddr) -> Multiaddr {
        if let Some(addr) = self.addrs.get(&from) {
            return addr.clone();
        }
        if self.addrs.len() >= ADDR_CACHE {
            self.addrs.clear();
        }
        let addr = socket_to_multiaddr(from);
        self.addrs.insert(from, addr.clone());
        addr
    }
}
