//! [`SaveHandle`]: the pending result of a [`save`](crate::DHTService::save), to wait on
//! blocking a thread or to `.await`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::Error;
use crate::pending::Pending;

/// The result, to come, of a [`save`](crate::DHTService::save): how many nodes took a copy.
///
/// Either block on it with [`wait`](Self::wait) or [`wait_timeout`](Self::wait_timeout), or
/// `.await` it: it is a [`Future`] that any executor can poll (it needs no particular async
/// runtime), resolving to what `wait` returns. Dropping the handle does not cancel the save;
/// waiting on it is optional.
///
/// Polled again after it resolved, the handle resolves to [`Error::Stopped`].
#[derive(Debug)]
pub struct SaveHandle {
    result: Pending<usize>,
}

impl SaveHandle {
    pub(crate) fn new(result: Pending<usize>) -> Self {
        SaveHandle { result }
    }

    pub(crate) fn failed(error: Error) -> Self {
        SaveHandle::new(Pending::failed(error))
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
        self.result.wait()
    }

    /// Like [`wait`](Self::wait), giving up with [`Error::Timeout`] after `timeout`.
    pub fn wait_timeout(self, timeout: Duration) -> Result<usize, Error> {
        self.result.wait_timeout(timeout)
    }
}

/// Resolves to what [`SaveHandle::wait`] returns, without blocking the executor's thread.
impl Future for SaveHandle {
    type Output = Result<usize, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().result.poll_answer(cx)
    }
}
