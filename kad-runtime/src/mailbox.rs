//! How inputs from other threads (commands, messages of threaded gateways) reach a service
//! asleep on its reactor thread: each service has a channel of its own, and each reactor
//! thread a doorbell (a channel of controls and a mio [`Waker`]). Messages of polled
//! gateways do not come this way: the service's task reads them itself.
//! Both levels coalesce: a burst of commands to one service costs one `Ready` on the
//! doorbell, and a burst of `Ready`s one wake-up of the thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;

use kad_proto::mio::Waker;

use crate::command::Input;
use crate::slot::Slot;
use crate::task::Task;

/// The receiver is gone: the service, or its reactor thread, has stopped.
#[derive(Debug)]
pub(crate) struct Closed;

/// A flag set by the first sender of a batch and cleared by the reader before it reads.
#[derive(Debug, Default)]
struct Bell(AtomicBool);

impl Bell {
    /// Rings; returns whether it was silent, in which case the caller must wake the reader.
    fn ring(&self) -> bool {
        !self.0.swap(true, Ordering::AcqRel)
    }

    /// Clears, before the reader reads. A read-modify-write, so that it sees the ring of any
    /// sender that found the bell rung and did not wake the reader: that sender's input is
    /// then visible to the reads that follow.
    fn answer(&self) {
        self.0.swap(false, Ordering::AcqRel);
    }
}

/// What a reactor thread is told.
pub(crate) enum Control {
    /// Host this task from now on.
    Add(Slot, Box<dyn Task>),
    /// The service in this slot has inputs waiting.
    Ready(Slot),
    /// Shut every task down and end the thread.
    Exit,
}

/// The way into one reactor thread, shared by every service it hosts.
pub(crate) struct Doorbell {
    sender: Sender<Control>,
    bell: Bell,
    waker: Waker,
}

/// The reactor thread's side of its doorbell.
pub(crate) struct Controls {
    receiver: Receiver<Control>,
    doorbell: Arc<Doorbell>,
}

impl Doorbell {
    /// A doorbell that wakes a poll through `waker`, and the receiving side.
    pub(crate) fn new(waker: Waker) -> (Arc<Doorbell>, Controls) {
        let (sender, receiver) = mpsc::channel();
        let doorbell = Arc::new(Doorbell {
            sender,
            bell: Bell::default(),
            waker,
        });
        let controls = Controls {
            receiver,
            doorbell: Arc::clone(&doorbell),
        };
        (doorbell, controls)
    }

    /// Queues `control` and wakes the thread unless a wake is already on its way.
    pub(crate) fn send(&self, control: Control) -> Result<(), Closed> {
        self.sender.send(control).map_err(|_| Closed)?;
        if self.bell.ring() {
            // Fails only if the poll is gone, and the thread with it.
            self.waker.wake().map_err(|_| Closed)?;
        }
        Ok(())
    }
}

impl Controls {
    /// Called when the waker's event is seen, before reading: later controls ring again.
    pub(crate) fn answer(&self) {
        self.doorbell.bell.answer();
    }

    /// The next control, if one is waiting (never `Err`: the reactor holds a sender).
    pub(crate) fn try_recv(&self) -> Option<Control> {
        self.receiver.try_recv().ok()
    }
}

/// The sending side of one service's inputs, cheap to clone, usable from any thread.
pub(crate) struct Mailbox<K> {
    sender: Sender<Input<K>>,
    bell: Arc<Bell>,
    slot: Slot,
    doorbell: Arc<Doorbell>,
}

/// The service's side, read on its reactor thread.
pub(crate) struct Inbox<K> {
    receiver: Receiver<Input<K>>,
    bell: Arc<Bell>,
}

/// A connected mailbox and inbox for the service in `slot` of the thread behind `doorbell`.
pub(crate) fn mailbox<K>(slot: Slot, doorbell: Arc<Doorbell>) -> (Mailbox<K>, Inbox<K>) {
    let (sender, receiver) = mpsc::channel();
    let bell = Arc::new(Bell::default());
    let inbox = Inbox {
        receiver,
        bell: Arc::clone(&bell),
    };
    let mailbox = Mailbox {
        sender,
        bell,
        slot,
        doorbell,
    };
    (mailbox, inbox)
}

impl<K> Clone for Mailbox<K> {
    fn clone(&self) -> Self {
        Mailbox {
            sender: self.sender.clone(),
            bell: Arc::clone(&self.bell),
            slot: self.slot,
            doorbell: Arc::clone(&self.doorbell),
        }
    }
}

impl<K> Mailbox<K> {
    /// Queues `input` and, unless the service already has inputs waiting to be read, tells
    /// its reactor thread.
    pub(crate) fn send(&self, input: Input<K>) -> Result<(), Closed> {
        self.sender.send(input).map_err(|_| Closed)?;
        if self.bell.ring() {
            self.doorbell.send(Control::Ready(self.slot))?;
        }
        Ok(())
    }
}

impl<K> Inbox<K> {
    /// Called before reading: inputs queued from now on ring again.
    pub(crate) fn answer_bell(&self) {
        self.bell.answer();
    }

    /// The next input, if one is waiting; `Err` once every mailbox is gone.
    pub(crate) fn try_recv(&self) -> Result<Option<Input<K>>, Closed> {
        match self.receiver.try_recv() {
            Ok(input) => Ok(Some(input)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(Closed),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::thread;
    use std::time::Duration;

    use kad_proto::mio::{Events, Poll, Token};

    use super::*;

    /// Senders on several threads race the reader: every input is read, and none waits for
    /// a wake that never comes.
    #[test]
    fn no_input_is_stranded() {
        const SENDERS: usize = 4;
        const EACH: usize = 20_000;
        let mut poll = Poll::new().unwrap();
        let waker = Waker::new(poll.registry(), Token(0)).unwrap();
        let (doorbell, controls) = Doorbell::new(waker);
        let slot = Slot::next();
        let (mailbox, inbox) = mailbox::<u8>(slot, doorbell);
        let senders: Vec<_> = (0..SENDERS)
            .map(|_| {
                let mailbox = mailbox.clone();
                thread::spawn(move || {
                    for _ in 0..EACH {
                        mailbox.send(Input::Stop).unwrap();
                    }
                })
            })
            .collect();
        let mut events = Events::with_capacity(8);
        let mut read = 0;
        while read < SENDERS * EACH {
            poll.poll(&mut events, Some(Duration::from_secs(5)))
                .unwrap();
            assert!(!events.is_empty(), "stranded after {read} inputs");
            controls.answer();
            while let Some(control) = controls.try_recv() {
                assert!(matches!(control, Control::Ready(ready) if ready == slot));
                inbox.answer_bell();
                while let Ok(Some(_)) = inbox.try_recv() {
                    read += 1;
                }
            }
        }
        for sender in senders {
            sender.join().unwrap();
        }
    }

    /// Inputs sent while the reader is busy cost one `Ready` and one wake-up in all.
    #[test]
    fn a_burst_rings_once() {
        let mut poll = Poll::new().unwrap();
        let waker = Waker::new(poll.registry(), Token(0)).unwrap();
        let (doorbell, controls) = Doorbell::new(waker);
        let (one, two) = (Slot::next(), Slot::next());
        let (first, inbox) = mailbox::<u8>(one, Arc::clone(&doorbell));
        let (second, _other) = mailbox::<u8>(two, doorbell);
        for _ in 0..100 {
            first.send(Input::Stop).unwrap();
            second.send(Input::Stop).unwrap();
        }
        let mut events = Events::with_capacity(8);
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(events.iter().count(), 1);
        controls.answer();
        let readies: Vec<Slot> = std::iter::from_fn(|| controls.try_recv())
            .map(|control| match control {
                Control::Ready(slot) => slot,
                _ => panic!("only readies were sent"),
            })
            .collect();
        assert_eq!(readies, vec![one, two]);
        inbox.answer_bell();
        assert_eq!(
            std::iter::from_fn(|| inbox.try_recv().unwrap()).count(),
            100
        );
        // Read and answered: the next input rings again.
        first.send(Input::Stop).unwrap();
        assert!(matches!(controls.try_recv(), Some(Control::Ready(slot)) if slot == one));
    }
}
