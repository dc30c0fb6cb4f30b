//! The gateway contract: delivery through `Inbound`, its counters, and what a transport in
//! another crate can build from the public API alone.

use std::sync::{mpsc, Arc, Mutex};

use kad_core::{Body, Key, Message, Request, TxId};
use kad_proto::{
    encode, DecodeError, DeliverError, Gateway, GatewayError, GatewayStats, GatewayStatsSnapshot,
    Inbound, Multiaddr, Protocol, SendError, WireMessage,
};

type K = Key<20>;

fn ping(tx: u64) -> WireMessage<K> {
    Message {
        tx: TxId::from_u64(tx),
        sender: Key::new([1; 20]),
        body: Body::Request(Request::Ping),
    }
}

fn from() -> Multiaddr {
    "/ip4/127.0.0.1/udp/4000".parse().expect("valid")
}

#[test]
fn inbound_handles_are_shareable_across_threads() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<Inbound<K>>();
}

#[test]
fn a_full_queue_drops_and_counts() {
    let (tx, rx) = mpsc::sync_channel(1);
    let inbound = Inbound::from_sender(tx);
    assert_eq!(inbound.deliver(from(), ping(1)), Ok(()));
    assert_eq!(
        inbound.deliver(from(), ping(2)),
        Err(DeliverError::QueueFull)
    );
    assert_eq!(rx.try_recv(), Ok((from(), ping(1))));
    assert_eq!(
        inbound.stats().snapshot(),
        GatewayStatsSnapshot {
            received: 2,
            delivered: 1,
            dropped_inbound_full: 1,
            ..GatewayStatsSnapshot::default()
        }
    );
    drop(rx);
    assert_eq!(inbound.deliver(from(), ping(3)), Err(DeliverError::Closed));
}

#[test]
fn datagrams_are_decoded_and_bad_ones_counted() {
    let (tx, rx) = mpsc::sync_channel(8);
    let stats = Arc::new(GatewayStats::new());
    let inbound = Inbound::with_stats(Arc::clone(&stats), move |from, message| {
        tx.try_send((from, message))
            .map_err(|_| DeliverError::QueueFull)
    });
    let datagram = encode(&ping(7)).expect("encodes");
    assert_eq!(inbound.deliver_datagram(from(), &datagram), Ok(()));
    assert_eq!(
        inbound.deliver_datagram(from(), b"junk"),
        Err(DeliverError::Malformed(DecodeError::BadMagic))
    );
    assert_eq!(rx.try_recv(), Ok((from(), ping(7))));
    assert!(rx.try_recv().is_err());
    let snapshot = stats.snapshot();
    assert_eq!(snapshot.received, 2);
    assert_eq!(snapshot.bytes_received, (datagram.len() + 4) as u64);
    assert_eq!(snapshot.delivered, 1);
    assert_eq!(snapshot.dropped_malformed, 1);
}

/// A message a [`Recorder`] was asked to send, with its destination.
type Sent = (Multiaddr, WireMessage<K>);

/// A gateway that records what it is asked to send: enough to check that the trait can be
/// implemented outside this crate and used as a trait object, as the runtime does.
#[derive(Default)]
struct Recorder {
    sent: Arc<Mutex<Vec<Sent>>>,
    inbound: Option<Inbound<K>>,
}

impl Gateway<K> for Recorder {
    fn can_reach(&self, addr: &Multiaddr) -> bool {
        matches!(addr.iter().next(), Some(Protocol::Ip4(_)))
    }

    fn start(&mut self, inbound: Inbound<K>) -> Result<(), GatewayError> {
        if self.inbound.is_some() {
            return Err(GatewayError::AlreadyStarted);
        }
        self.inbound = Some(inbound);
        Ok(())
    }

    fn local_addrs(&self) -> Vec<Multiaddr> {
        if self.inbound.is_some() {
            vec![from()]
        } else {
            Vec::new()
        }
    }

    fn send(&self, to: &Multiaddr, message: WireMessage<K>) -> Result<(), SendError> {
        let inbound = self.inbound.as_ref().ok_or(SendError::NotRunning)?;
        if !self.can_reach(to) {
            return Err(SendError::Unreachable);
        }
        let len = encode(&message)?.len();
        self.sent
            .lock()
            .map_err(|_| SendError::NotRunning)?
            .push((to.clone(), message));
        inbound.stats().record_sent(len);
        Ok(())
    }

    fn shutdown(&mut self) {
        self.inbound = None;
    }
}

#[test]
fn a_gateway_works_as_a_trait_object() {
    let recorder = Recorder::default();
    let sent = Arc::clone(&recorder.sent);
    let mut gateway: Box<dyn Gateway<K>> = Box::new(recorder);
    let to = from();
    assert!(matches!(
        gateway.send(&to, ping(1)),
        Err(SendError::NotRunning)
    ));
    assert!(gateway.local_addrs().is_empty());

    let (tx, _rx) = mpsc::sync_channel(1);
    let inbound = Inbound::from_sender(tx);
    let stats = Arc::clone(inbound.stats());
    gateway.start(inbound.clone()).expect("starts");
    assert!(matches!(
        gateway.start(inbound),
        Err(GatewayError::AlreadyStarted)
    ));
    assert_eq!(gateway.local_addrs(), vec![from()]);

    gateway.send(&to, ping(2)).expect("sent");
    let memory: Multiaddr = Protocol::Memory(1).into();
    assert!(matches!(
        gateway.send(&memory, ping(3)),
        Err(SendError::Unreachable)
    ));
    gateway.shutdown();
    gateway.shutdown();

    assert_eq!(*sent.lock().expect("not poisoned"), vec![(to, ping(2))]);
    assert_eq!(stats.snapshot().sent, 1);
}
