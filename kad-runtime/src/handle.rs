//! [`SaveHandle`]: the pending result of a [`save`](crate::DHTService::save).

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::error::Error;

/// The result, to come, of a [`save`](crate::DHTService::save): how many nodes took a copy.
///
/// Dropping the handle does not cancel the save; waiting on it is optional.
#[derive(Debug)]
pub struct SaveHandle {
    state: State,
}

#[derive(Debug)]
enum State {
    Pending(Receiver<Result<usize, Error>>),
    Failed(Error),
}

impl SaveHandle {
    pub(crate) fn pending(reply: Receiver<Result<usize, Error>>) -> Self {
        SaveHandle {
            state: State::Pending(reply),
        }
    }

    pub(crate) fn failed(error: Error) -> Self {
        SaveHandle {
            state: State::Failed(error),
        }
    }

    /// Blocks until the save has finished and returns the number of other nodes that
    /// acknowledged a copy (the local copy is not counted, so a lone node returns `Ok(0)`).
    ///
    /// The wait is bounded: the put's lookup and its STOREs each end within the request
    /// timeout of their last answer. Fails with [`Error::Command`] if the node refused the
    /// value (too large, store full, too many queries) or, for a mutable record, a newer
    /// version was found ([`CommandError::Superseded`](kad_core::CommandError::Superseded)),
    /// and with [`Error::Stopped`] if the service stopped first.
    pub fn wait(self) -> Result<usize, Error> {
        match self.state {
            State::Pending(reply) => reply.recv().unwrap_or(Err(Error::Stopped)),
            State::Failed(error) => Err(error),
        }
    }

    /// Like [`wait`](Self::wait), giving up with [`Error::Timeout`] after `timeout`.
    pub fn wait_timeout(self, timeout: Duration) -> Result<usize, Error> {
        match self.state {
            State::Pending(reply) => match reply.recv_timeout(timeout) {
                Ok(result) => result,
                Err(RecvTimeoutError::Timeout) => Err(Error::Timeout),
                Err(RecvTimeoutError::Disconnected) => Err(Error::Stopped),
            },
            State::Failed(error) => Err(error),
        }
    }
}
