//! Threaded mode: a mio event loop, on a thread of its own, that drives the gateway's
//! [`Socket`], delivers what it reads to the runtime's inbound handle, and stops when woken
//! with the stop flag set.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mio::{Events, Poll, Token, Waker};

use crate::socket::{Deliver, Socket};

/// The socket's token in the loop's poll.
pub(crate) const SOCKET: Token = Token(0);
const WAKER: Token = Token(1);

/// What the event loop shares with the gateway handle.
#[derive(Debug)]
pub(crate) struct Shared {
    waker: Waker,
    stop: AtomicBool,
}

impl Shared {
    /// Wakes the loop so that it flushes the send queue.
    pub(crate) fn wake(&self) {
        // If waking fails the eventfd is gone, and so is the loop.
        let _ = self.waker.wake();
    }

    /// Asks the loop to stop; it exits at its next turn.
    pub(crate) fn request_stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.wake();
    }
}

/// The event loop, built on the caller's thread (so that errors surface in `start`) and then
/// moved to its own thread with [`EventLoop::run`].
pub(crate) struct EventLoop {
    poll: Poll,
    socket: Socket,
    deliver: Deliver,
    shared: Arc<Shared>,
}

impl EventLoop {
    /// A poll for the socket that `register` registers under [`SOCKET`], whose datagrams go
    /// to `deliver`, and the shared state.
    pub(crate) fn new(
        register: impl FnOnce(&Poll) -> io::Result<Socket>,
        deliver: Deliver,
    ) -> io::Result<(Self, Arc<Shared>)> {
        let poll = Poll::new()?;
        let socket = register(&poll)?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let shared = Arc::new(Shared {
            waker,
            stop: AtomicBool::new(false),
        });
        let event_loop = EventLoop {
            poll,
            socket,
            deliver,
            shared: Arc::clone(&shared),
        };
        Ok((event_loop, shared))
    }

    /// Runs until [`Shared::request_stop`]. Sleeps in the kernel while nothing happens.
    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(8);
        // Whether datagrams may be left in the socket after a full batch.
        let mut unread = false;
        loop {
            let timeout = unread.then_some(Duration::ZERO);
            if let Err(error) = self.poll.poll(&mut events, timeout) {
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // The poll itself is broken: nothing more can be received.
                tracing::warn!(
                    local = %self.socket.local_addr(),
                    %error,
                    "UDP gateway's poll failed; it receives nothing more"
                );
                break;
            }
            if self.shared.stop.load(Ordering::Acquire) {
                break;
            }
            let (read, write) = readiness(&events, unread);
            if write {
                self.socket.flush(self.poll.registry());
            }
            if read {
                unread = self.socket.receive(&mut self.deliver);
            }
        }
        self.socket.close();
    }
}

/// Whether to read the socket and whether to flush its queue after a poll: the waker asks
/// for a flush, as does a writable socket.
fn readiness(events: &Events, unread: bool) -> (bool, bool) {
    let (mut read, mut write) = (unread, false);
    for event in events.iter() {
        match event.token() {
            SOCKET => {
                read |= event.is_readable();
                write |= event.is_writable();
            }
            _ => write = true,
        }
    }
    (read, write)
}
