//! Debug events for the datagrams a UDP gateway drops on its own: those that do not decode,
//! and those the socket refuses after they waited in the send queue. Each names the
//! gateway's address, the other end's and the reason; at most
//! [`LOG_LIMIT`](kad_core::LOG_LIMIT) a second pass for each reason (see [`LogLimiter`]),
//! then one summary of the rest. A datagram that [`send`](kad_proto::Gateway::send) could not
//! send at once is its caller's to log: `send` returns the error.

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use kad_core::LogLimiter;
use kad_proto::{DecodeError, SendError};

/// The drop events of one gateway's socket, on the thread that reads it.
#[derive(Debug)]
pub(crate) struct DropLog {
    local: SocketAddr,
    malformed: LogLimiter,
    send_failed: LogLimiter,
}

const MALFORMED: &str = "malformed";
const SEND_FAILED: &str = "send_failed";

/// Whether drop events are wanted at all: checked before the clock is read for them.
fn wanted() -> bool {
    tracing::enabled!(tracing::Level::DEBUG)
}

/// The summary of the drops of one reason held back at the socket bound to `local`.
fn suppressed(local: SocketAddr, reason: &'static str, suppressed: u64) {
    tracing::debug!(
        %local,
        reason,
        suppressed,
        "suppressed {suppressed} drops of reason {reason} within a second"
    );
}

impl DropLog {
    /// The drop events of the socket bound to `local`.
    pub(crate) fn new(local: SocketAddr) -> Self {
        DropLog {
            local,
            malformed: LogLimiter::new(),
            send_failed: LogLimiter::new(),
        }
    }

    /// A datagram from `from` that did not decode.
    pub(crate) fn malformed(&mut self, from: SocketAddr, error: &DecodeError) {
        if !wanted() {
            return;
        }
        let local = self.local;
        let summary = |n| suppressed(local, MALFORMED, n);
        if self.malformed.allow(Instant::now(), summary) {
            tracing::debug!(%local, %from, reason = MALFORMED, %error, "datagram dropped");
        }
    }

    /// A queued datagram to `to` that the socket refused: a warning unless the failure is
    /// routine (see [`SendError::is_routine`]).
    pub(crate) fn send_failed(&mut self, to: SocketAddr, error: io::Error) {
        let error = SendError::Io(error);
        let routine = error.is_routine();
        let wanted = if routine {
            wanted()
        } else {
            tracing::enabled!(tracing::Level::WARN)
        };
        let local = self.local;
        let summary = |n| suppressed(local, SEND_FAILED, n);
        if !wanted || !self.send_failed.allow(Instant::now(), summary) {
            return;
        }
        if routine {
            tracing::debug!(%local, %to, reason = SEND_FAILED, %error, "message dropped");
        } else {
            tracing::warn!(%local, %to, reason = SEND_FAILED, %error, "message dropped");
        }
    }

    /// The socket is closed, with `dropped` datagrams still queued: the summaries of what
    /// was held back, and those datagrams.
    pub(crate) fn close(&mut self, dropped: usize) {
        if dropped > 0 {
            tracing::debug!(
                local = %self.local,
                dropped,
                reason = SEND_FAILED,
                "queued datagrams dropped on shutdown"
            );
        }
        for (reason, limiter) in [
            (MALFORMED, &mut self.malformed),
            (SEND_FAILED, &mut self.send_failed),
        ] {
            match limiter.take_suppressed() {
                0 => {}
                n => suppressed(self.local, reason, n),
            }
        }
    }
}
