//! [`Pending`]: the caller's end of an answer from a service's task, waited on either way:
//! blocking a thread, or polled as a future by any executor. The task answers through a
//! [`ReplyTo`], a `oneshot` sender whose `send` never blocks the reactor thread (it unparks
//! the waiting thread, or wakes the waiting task's waker, which executors keep cheap); a task
//! that goes away without answering (the service stopped) drops it, and the caller gets
//! [`Error::Stopped`].

use std::fmt;
use std::future::{Future, IntoFuture};
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use oneshot::{AsyncReceiver, Receiver, RecvTimeoutError};

use crate::error::Error;

/// Where the service's task sends the answer to one call.
pub(crate) type ReplyTo<T> = oneshot::Sender<Result<T, Error>>;

/// A channel for the answer to one call: the end for the task, and the caller's.
pub(crate) fn reply_channel<T>() -> (ReplyTo<T>, Pending<T>) {
    let (reply, answer) = oneshot::channel();
    (
        reply,
        Pending {
            state: State::Waiting(answer),
        },
    )
}

/// The answer, to come, to one call on the service.
pub(crate) struct Pending<T> {
    state: State<T>,
}

enum State<T> {
    /// Not polled yet: a blocking wait parks on the channel itself.
    Waiting(Receiver<Result<T, Error>>),
    /// Polled once: the channel holds the waker of the last poll.
    Polled(AsyncReceiver<Result<T, Error>>),
    /// Known without asking the task (the service is not running, say), not yet taken.
    Failed(Error),
    /// The answer was taken.
    Done,
}

impl<T> Pending<T> {
    /// An answer known at once: `error`.
    pub(crate) fn failed(error: Error) -> Self {
        Pending {
            state: State::Failed(error),
        }
    }

    /// Blocks until the answer comes; [`Error::Stopped`] if the task went without one.
    pub(crate) fn wait(self) -> Result<T, Error> {
        self.wait_until(None)
    }

    /// Like [`wait`](Self::wait), giving up with [`Error::Timeout`] after `timeout`.
    pub(crate) fn wait_timeout(self, timeout: Duration) -> Result<T, Error> {
        // A timeout too long for an `Instant` is no bound at all.
        self.wait_until(Instant::now().checked_add(timeout))
    }

    fn wait_until(self, deadline: Option<Instant>) -> Result<T, Error> {
        match self.state {
            State::Waiting(answer) => {
                let received = match deadline {
                    Some(deadline) => answer.recv_deadline(deadline),
                    None => answer.recv().map_err(|_| RecvTimeoutError::Disconnected),
                };
                match received {
                    Ok(result) => result,
                    Err(RecvTimeoutError::Timeout) => Err(Error::Timeout),
                    Err(RecvTimeoutError::Disconnected) => Err(Error::Stopped),
                }
            }
            State::Polled(answer) => park_on(answer, deadline),
            State::Failed(error) => Err(error),
            State::Done => Err(Error::Stopped),
        }
    }

    /// Polls for the answer. Once it was taken, the answer is [`Error::Stopped`].
    pub(crate) fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        let mut answer = match mem::replace(&mut self.state, State::Done) {
            State::Waiting(answer) => answer.into_future(),
            State::Polled(answer) => answer,
            State::Failed(error) => return Poll::Ready(Err(error)),
            State::Done => return Poll::Ready(Err(Error::Stopped)),
        };
        match Pin::new(&mut answer).poll(cx) {
            Poll::Pending => {
                self.state = State::Polled(answer);
                Poll::Pending
            }
            Poll::Ready(Ok(result)) => Poll::Ready(result),
            Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Stopped)),
        }
    }
}

/// Blocks this thread on a channel that was polled as a future already (its caller polled
/// it, then chose to wait): polls it with a waker that unparks this thread.
fn park_on<T>(
    mut answer: AsyncReceiver<Result<T, Error>>,
    deadline: Option<Instant>,
) -> Result<T, Error> {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match Pin::new(&mut answer).poll(&mut cx) {
            Poll::Ready(Ok(result)) => return result,
            Poll::Ready(Err(_)) => return Err(Error::Stopped),
            Poll::Pending => {}
        }
        // Parking may end early (a stray unpark, a spurious wake-up): the loop polls again.
        match deadline {
            None => thread::park(),
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => thread::park_timeout(left),
                _ => return Err(Error::Timeout),
            },
        }
    }
}

/// A waker that unparks a thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl<T> fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            State::Waiting(_) | State::Polled(_) => f.write_str("Pending"),
            State::Failed(error) => f.debug_tuple("Failed").field(error).finish(),
            State::Done => f.write_str("Done"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll_once<T>(pending: &mut Pending<T>) -> Poll<Result<T, Error>> {
        pending.poll_answer(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_blocking_wait_gets_the_answer_or_stopped_or_timeout() {
        let (reply, answer) = reply_channel();
        reply.send(Ok(7)).expect("caller waits");
        assert!(matches!(answer.wait(), Ok(7)));

        let (reply, answer) = reply_channel::<u8>();
        drop(reply);
        assert!(matches!(answer.wait(), Err(Error::Stopped)));

        let (_reply, answer) = reply_channel::<u8>();
        let timeout = Duration::from_millis(20);
        assert!(matches!(answer.wait_timeout(timeout), Err(Error::Timeout)));

        let failed = Pending::<u8>::failed(Error::NotStarted);
        assert!(matches!(failed.wait(), Err(Error::NotStarted)));
    }

    #[test]
    fn a_poll_gets_the_answer_once() {
        let (reply, mut answer) = reply_channel();
        assert!(poll_once(&mut answer).is_pending());
        reply.send(Ok(7)).expect("caller waits");
        assert!(matches!(poll_once(&mut answer), Poll::Ready(Ok(7))));
        assert!(matches!(
            poll_once(&mut answer),
            Poll::Ready(Err(Error::Stopped))
        ));

        let mut failed = Pending::<u8>::failed(Error::NotStarted);
        assert!(matches!(
            poll_once(&mut failed),
            Poll::Ready(Err(Error::NotStarted))
        ));
    }

    #[test]
    fn a_wait_after_a_poll_parks_until_the_answer() {
        let (reply, mut answer) = reply_channel();
        assert!(poll_once(&mut answer).is_pending());
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            reply.send(Ok(7)).expect("caller waits");
        });
        assert!(matches!(answer.wait(), Ok(7)));
        sender.join().expect("sender thread");

        let (reply, mut answer) = reply_channel::<u8>();
        assert!(poll_once(&mut answer).is_pending());
        let timeout = Duration::from_millis(20);
        assert!(matches!(answer.wait_timeout(timeout), Err(Error::Timeout)));
        drop(reply);

        let (reply, mut answer) = reply_channel::<u8>();
        assert!(poll_once(&mut answer).is_pending());
        drop(reply);
        assert!(matches!(answer.wait(), Err(Error::Stopped)));
    }
}
