//! [`DropLog`]: debug events for the messages a service drops on its side of the gateways:
//! those its gateways could not send (outbound queue full, send failed, unreachable) and
//! those that found its inbound queue full. Each names the other end and the reason; at most
//! [`LOG_LIMIT`](kad_core::LOG_LIMIT) a second pass for each reason (see [`LogLimiter`]),
//! then one summary of the rest. A failed send that is not routine
//! ([`SendError::is_routine`]) is a warning. What the gateways drop on their own (datagrams
//! that do not decode) and what the node drops (over their source's rate, unroutable) is
//! logged by kad-udp and kad-core.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use kad_core::LogLimiter;
use kad_proto::{Multiaddr, SendError};

/// The limiters of one service's drop events, shared by its reactor thread and the threads
/// of its threaded gateways.
#[derive(Debug, Default)]
pub(crate) struct DropLog {
    limiters: Mutex<Limiters>,
}

#[derive(Debug, Default)]
struct Limiters {
    inbound_full: LogLimiter,
    outbound_full: LogLimiter,
    send_failed: LogLimiter,
    unreachable: LogLimiter,
}

const INBOUND_FULL: &str = "inbound_full";
const OUTBOUND_FULL: &str = "outbound_full";
const SEND_FAILED: &str = "send_failed";
const UNREACHABLE: &str = "unreachable";

/// Whether drop events are wanted at all: checked before anything else is done for them.
fn wanted() -> bool {
    tracing::enabled!(tracing::Level::DEBUG)
}

fn suppressed(reason: &'static str, suppressed: u64) {
    tracing::debug!(
        reason,
        suppressed,
        "suppressed {suppressed} drops of reason {reason} within a second"
    );
}

impl DropLog {
    /// Whether an event of `reason`, taken from `limiters` by `limiter`, may be logged at
    /// `now`.
    fn allow(
        &self,
        now: Instant,
        reason: &'static str,
        limiter: fn(&mut Limiters) -> &mut LogLimiter,
    ) -> bool {
        let mut limiters = self.limiters.lock().unwrap_or_else(PoisonError::into_inner);
        limiter(&mut limiters).allow(now, |n| suppressed(reason, n))
    }

    /// A message from `from` that found the service's inbound queue full (called on the
    /// gateway's thread).
    pub(crate) fn inbound_full(&self, from: &Multiaddr) {
        if wanted() && self.allow(Instant::now(), INBOUND_FULL, |l| &mut l.inbound_full) {
            tracing::debug!(%from, reason = INBOUND_FULL, "datagram dropped");
        }
    }

    /// A message to `to` that no registered gateway can reach.
    pub(crate) fn unreachable(&self, now: Instant, to: &Multiaddr) {
        if wanted() && self.allow(now, UNREACHABLE, |l| &mut l.unreachable) {
            tracing::debug!(%to, reason = UNREACHABLE, "message dropped");
        }
    }

    /// A message to `to` that a gateway did not send, for `error`.
    pub(crate) fn send_failed(&self, now: Instant, to: &Multiaddr, error: &SendError) {
        match error {
            SendError::Unreachable => self.unreachable(now, to),
            SendError::QueueFull => {
                if wanted() && self.allow(now, OUTBOUND_FULL, |l| &mut l.outbound_full) {
                    tracing::debug!(%to, reason = OUTBOUND_FULL, "message dropped");
                }
            }
            error if error.is_routine() => {
                if wanted() && self.allow(now, SEND_FAILED, |l| &mut l.send_failed) {
                    tracing::debug!(%to, reason = SEND_FAILED, %error, "message dropped");
                }
            }
            error => {
                let warned = tracing::enabled!(tracing::Level::WARN);
                if warned && self.allow(now, SEND_FAILED, |l| &mut l.send_failed) {
                    tracing::warn!(%to, reason = SEND_FAILED, %error, "message dropped");
                }
            }
        }
    }

    /// The service stops: the summaries of what was held back.
    pub(crate) fn close(&self) {
        let mut limiters = self.limiters.lock().unwrap_or_else(PoisonError::into_inner);
        let Limiters {
            inbound_full,
            outbound_full,
            send_failed,
            unreachable,
        } = &mut *limiters;
        for (reason, limiter) in [
            (INBOUND_FULL, inbound_full),
            (OUTBOUND_FULL, outbound_full),
            (SEND_FAILED, send_failed),
            (UNREACHABLE, unreachable),
        ] {
            match limiter.take_suppressed() {
                0 => {}
                n => suppressed(reason, n),
            }
        }
    }
}
