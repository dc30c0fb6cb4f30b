//! [`QueryFuture`]: a lookup of a [`DHTService`](crate::DHTService) as a future, which the
//! blocking lookups wait on too.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use kad_core::Record;

use crate::error::Error;
use crate::pending::Pending;

/// The result, to come, of a lookup started by
/// [`query_async`](crate::DHTService::query_async),
/// [`get_mutable_async`](crate::DHTService::get_mutable_async) or
/// [`get_immutable_async`](crate::DHTService::get_immutable_async).
///
/// It resolves to what the blocking call returns: `Ok(Some(value))` if found, `Ok(None)` if
/// no node has one, [`Error::Stopped`] if the service stops first (or had stopped), and
/// [`Error::NotStarted`] if it was never started. Any executor can poll it: it needs no
/// particular async runtime, and never blocks the thread that polls it.
///
/// The lookup starts when the future is made, not when it is first polled, and always ends,
/// so the future always resolves: each request the lookup sends is given up after the
/// node's request timeout, and the lookup ends once the closest nodes it has heard of have
/// answered or failed. For a shorter bound, wrap the future in your runtime's timeout (say
/// `tokio::time::timeout`). Dropping the future does not disturb the service: the lookup
/// runs to its end, and its answer is thrown away.
///
/// Polled again after it resolved, the future resolves to [`Error::Stopped`].
#[must_use = "the lookup runs anyway, but its result is lost unless the future is awaited"]
pub struct QueryFuture<T> {
    record: Pending<Option<Record>>,
    /// What the caller gets of the record found: `None` for a record of another kind.
    value: fn(Record) -> Option<T>,
}

impl<T> QueryFuture<T> {
    /// The lookup whose record comes through `record`, of which the caller gets `value`.
    pub(crate) fn new(record: Pending<Option<Record>>, value: fn(Record) -> Option<T>) -> Self {
        QueryFuture { record, value }
    }

    /// Blocks this thread until the lookup ends, at most `timeout` ([`Error::Timeout`]).
    pub(crate) fn wait_timeout(self, timeout: Duration) -> Result<Option<T>, Error> {
        let record = self.record.wait_timeout(timeout)?;
        Ok(record.and_then(self.value))
    }
}

impl<T> Future for QueryFuture<T> {
    type Output = Result<Option<T>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let value = this.value;
        this.record
            .poll_answer(cx)
            .map(|record| Ok(record?.and_then(value)))
    }
}

impl<T> fmt::Debug for QueryFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryFuture")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}
