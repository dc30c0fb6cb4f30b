//! How inputs reach the management thread while it sleeps in its poll: a channel, and a mio
//! [`Waker`] rung when the first input of a batch arrives. Wakes are coalesced: a burst of
//! commands costs one wake-up of the thread, not one per command.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;

use kad_proto::mio::Waker;

use crate::command::Input;

/// The sending side, cheap to clone, usable from any thread.
pub(crate) struct Mailbox<K> {
    sender: Sender<Input<K>>,
    bell: Arc<Bell>,
}

/// The management thread's side.
pub(crate) struct Inbox<K> {
    receiver: Receiver<Input<K>>,
    bell: Arc<Bell>,
}

/// The waker, and whether it has been rung since the management thread last looked.
struct Bell {
    waker: Waker,
    rung: AtomicBool,
}

/// The management thread is gone.
#[derive(Debug)]
pub(crate) struct Closed;

/// A connected mailbox and inbox; `waker` wakes the inbox's poll.
pub(crate) fn mailbox<K>(waker: Waker) -> (Mailbox<K>, Inbox<K>) {
    let (sender, receiver) = mpsc::channel();
    let bell = Arc::new(Bell {
        waker,
        rung: AtomicBool::new(false),
    });
    let inbox = Inbox {
        receiver,
        bell: Arc::clone(&bell),
    };
    (Mailbox { sender, bell }, inbox)
}

impl<K> Clone for Mailbox<K> {
    fn clone(&self) -> Self {
        Mailbox {
            sender: self.sender.clone(),
            bell: Arc::clone(&self.bell),
        }
    }
}

impl<K> Mailbox<K> {
    /// Queues `input` and wakes the management thread unless a wake is already on its way.
    pub(crate) fn send(&self, input: Input<K>) -> Result<(), Closed> {
        self.sender.send(input).map_err(|_| Closed)?;
        // Set after the send and cleared by the thread before it reads the channel: an input
        // queued after the thread's last read always finds the bell unrung and rings it.
        if !self.bell.rung.swap(true, Ordering::AcqRel) {
            // Fails only if the poll is gone, and the thread with it.
            self.bell.waker.wake().map_err(|_| Closed)?;
        }
        Ok(())
    }

    /// Queues `input` without waking: for inputs produced on the management thread itself,
    /// which reads the channel before it next sleeps.
    pub(crate) fn send_quietly(&self, input: Input<K>) -> Result<(), Closed> {
        self.sender.send(input).map_err(|_| Closed)
    }
}

impl<K> Inbox<K> {
    /// Called when the waker's event is seen, before reading: later inputs ring again.
    pub(crate) fn answer_bell(&self) {
        // A read-modify-write, so that it reads the ring of any sender that saw the bell
        // rung and did not wake: that sender's input is then visible to the reads after.
        self.bell.rung.swap(false, Ordering::AcqRel);
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
