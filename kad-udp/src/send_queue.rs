//! The bounded queue of datagrams that could not be sent at once because the socket's send
//! buffer was full; the event loop drains it when the socket becomes writable.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use kad_proto::GatewayStats;

/// Datagrams waiting for room in the socket's send buffer, oldest first.
#[derive(Debug)]
pub(crate) struct SendQueue {
    items: Mutex<VecDeque<(SocketAddr, Box<[u8]>)>>,
    /// Number of queued datagrams, readable without the lock.
    len: AtomicUsize,
    capacity: usize,
}

/// The queue held `capacity` datagrams; the new one was dropped.
#[derive(Debug)]
pub(crate) struct Full;

impl SendQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        SendQueue {
            items: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
            capacity,
        }
    }

    /// Whether nothing is waiting, so that a new datagram may overtake no other.
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::Acquire) == 0
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<(SocketAddr, Box<[u8]>)>> {
        // The queue holds plain data, consistent after any panic.
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a datagram; returns whether the queue was empty before (the event loop then
    /// needs waking).
    pub(crate) fn push(&self, to: SocketAddr, datagram: &[u8]) -> Result<bool, Full> {
        let mut items = self.lock();
        if items.len() >= self.capacity {
            return Err(Full);
        }
        let was_empty = items.is_empty();
        items.push_back((to, datagram.into()));
        self.len.store(items.len(), Ordering::Release);
        Ok(was_empty)
    }

    /// Sends queued datagrams with `send_to` until the queue is empty or the socket would
    /// block, handing those it refuses to `failed`; returns whether the queue is empty.
    pub(crate) fn flush<F, E>(&self, mut send_to: F, mut failed: E, stats: &GatewayStats) -> bool
    where
        F: FnMut(&[u8], SocketAddr) -> io::Result<usize>,
        E: FnMut(SocketAddr, io::Error),
    {
        let mut items = self.lock();
        while let Some((to, datagram)) = items.front() {
            match send_to(datagram, *to) {
                Ok(_) => stats.record_sent(datagram.len()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    stats.record_send_failed();
                    failed(*to, error);
                }
            }
            items.pop_front();
        }
        self.len.store(items.len(), Ordering::Release);
        items.is_empty()
    }

    /// Drops everything still queued, counting each as a failed send; returns how many.
    pub(crate) fn clear(&self, stats: &GatewayStats) -> usize {
        let mut items = self.lock();
        let dropped = items.len();
        for _ in items.drain(..) {
            stats.record_send_failed();
        }
        self.len.store(0, Ordering::Release);
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_flushed_in_order() {
        let stats = GatewayStats::new();
        let queue = SendQueue::new(2);
        let to: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert!(queue.is_empty());
        assert!(queue.push(to, b"a").unwrap());
        assert!(!queue.push(to, b"b").unwrap());
        assert!(queue.push(to, b"c").is_err());
        assert!(!queue.is_empty());

        // The socket takes one datagram, then would block.
        let mut sent = Vec::new();
        let empty = queue.flush(
            |d, _| {
                if sent.is_empty() {
                    sent.push(d.to_vec());
                    Ok(d.len())
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                }
            },
            |_, error| panic!("nothing failed: {error}"),
            &stats,
        );
        assert!(!empty);
        assert_eq!(sent, vec![b"a".to_vec()]);
        assert!(queue.flush(|d, _| Ok(d.len()), |_, _| {}, &stats));
        assert!(queue.is_empty());
        assert_eq!(stats.snapshot().sent, 2);
    }

    #[test]
    fn refused_datagrams_are_counted_and_handed_over() {
        let stats = GatewayStats::new();
        let queue = SendQueue::new(4);
        let to: SocketAddr = "127.0.0.1:9".parse().unwrap();
        queue.push(to, b"a").unwrap();
        queue.push(to, b"b").unwrap();
        let mut refused = Vec::new();
        let empty = queue.flush(
            |_, _| Err(io::ErrorKind::HostUnreachable.into()),
            |to, error| refused.push((to, error.kind())),
            &stats,
        );
        assert!(empty);
        assert_eq!(refused, vec![(to, io::ErrorKind::HostUnreachable); 2]);
        assert_eq!(stats.snapshot().send_failed, 2);
        queue.push(to, b"c").unwrap();
        assert_eq!(queue.clear(&stats), 1);
    }
}
