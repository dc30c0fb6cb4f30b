//! [`LogLimiter`]: a bound on how often one kind of log event is written, for events that
//! whoever sends datagrams can repeat at will (a dropped datagram, say), so that a flood
//! fills no log. It reads no clock: the caller passes the time in, as it does to the node.

use std::time::{Duration, Instant};

/// Events of one kind that a [`LogLimiter`] lets through in one [`LOG_WINDOW`]: 10.
pub const LOG_LIMIT: u32 = 10;

/// How long a [`LogLimiter`]'s window lasts: one second.
pub const LOG_WINDOW: Duration = Duration::from_secs(1);

/// Lets at most [`LOG_LIMIT`] events of one kind through per [`LOG_WINDOW`] and counts the
/// others, so that the caller can log one summary of them.
///
/// A window opens with the first event after the last one ended. The first event of a
/// window that follows a window with suppressed events hands their number to a summary
/// function first; [`take_suppressed`](Self::take_suppressed) hands over what the current
/// window held back, for a last summary when the limiter is about to go.
///
/// The limiter writes nothing itself: the events and summaries are the caller's, so that
/// they carry the caller's fields and target.
///
/// ```
/// use std::time::{Duration, Instant};
/// use kad_core::{LogLimiter, LOG_LIMIT, LOG_WINDOW};
///
/// let mut limiter = LogLimiter::new();
/// let start = Instant::now();
/// let mut logged = 0;
/// for _ in 0..1000 {
///     if limiter.allow(start, |_| unreachable!("nothing held back yet")) {
///         logged += 1; // log the event here
///     }
/// }
/// assert_eq!(logged, LOG_LIMIT);
///
/// let mut summary = None;
/// assert!(limiter.allow(start + LOG_WINDOW, |suppressed| summary = Some(suppressed)));
/// assert_eq!(summary, Some(1000 - u64::from(LOG_LIMIT)));
/// ```
#[derive(Clone, Debug, Default)]
pub struct LogLimiter {
    /// When the current window opened; `None` before the first event.
    opened: Option<Instant>,
    /// Events let through in the current window.
    logged: u32,
    /// Events held back in the current window.
    suppressed: u64,
}

impl LogLimiter {
    /// A limiter that has seen no event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether an event at `now` may be logged. If it opens a new window and the window
    /// before held events back, `summary` is called first with their number, for the caller
    /// to log before the event.
    pub fn allow(&mut self, now: Instant, summary: impl FnOnce(u64)) -> bool {
        let expired = self
            .opened
            .is_none_or(|opened| now.saturating_duration_since(opened) >= LOG_WINDOW);
        if expired {
            let suppressed = self.take_suppressed();
            if suppressed > 0 {
                summary(suppressed);
            }
            self.opened = Some(now);
        }
        if self.logged < LOG_LIMIT {
            self.logged += 1;
            true
        } else {
            self.suppressed += 1;
            false
        }
    }

    /// The number of events held back in the current window, which is closed: the next
    /// event opens a new one.
    pub fn take_suppressed(&mut self) -> u64 {
        self.opened = None;
        self.logged = 0;
        std::mem::take(&mut self.suppressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_allowed(limiter: &mut LogLimiter, now: Instant, events: u32) -> (u32, Vec<u64>) {
        let mut summaries = Vec::new();
        let allowed = (0..events)
            .filter(|_| limiter.allow(now, |n| summaries.push(n)))
            .count();
        (u32::try_from(allowed).unwrap(), summaries)
    }

    #[test]
    fn lets_the_limit_through_per_window_and_summarises_the_rest() {
        let mut limiter = LogLimiter::new();
        let start = Instant::now();
        assert_eq!(count_allowed(&mut limiter, start, 25), (LOG_LIMIT, vec![]));
        // Still the same window just before it ends.
        let late = start + LOG_WINDOW - Duration::from_millis(1);
        assert_eq!(count_allowed(&mut limiter, late, 5), (0, vec![]));
        // The next window opens with a summary of the 20 held back.
        let next = start + LOG_WINDOW;
        assert_eq!(count_allowed(&mut limiter, next, 3), (3, vec![20]));
        // A window without suppressed events has no summary.
        let quiet = next + 5 * LOG_WINDOW;
        assert_eq!(count_allowed(&mut limiter, quiet, 1), (1, vec![]));
    }

    #[test]
    fn take_suppressed_closes_the_window() {
        let mut limiter = LogLimiter::new();
        let start = Instant::now();
        let _ = count_allowed(&mut limiter, start, LOG_LIMIT + 7);
        assert_eq!(limiter.take_suppressed(), 7);
        assert_eq!(limiter.take_suppressed(), 0);
        // The same instant opens a fresh window, with nothing to summarise.
        assert_eq!(count_allowed(&mut limiter, start, 1), (1, vec![]));
    }

    #[test]
    fn time_going_backwards_keeps_the_window() {
        let mut limiter = LogLimiter::new();
        let start = Instant::now() + LOG_WINDOW;
        let _ = count_allowed(&mut limiter, start, LOG_LIMIT);
        let earlier = start - LOG_WINDOW;
        assert_eq!(count_allowed(&mut limiter, earlier, 2), (0, vec![]));
    }
}
