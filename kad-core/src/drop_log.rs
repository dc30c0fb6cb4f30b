//! Debug events for the datagrams a node drops on its own: those whose source went over its
//! rate ([`Node::admit`](crate::Node::admit)), those from or to an unroutable address, and
//! requests from a local address it does not talk to
//! ([`Config::contact_local_addresses`](crate::Config::contact_local_addresses)).
//! Each reason has a [`LogLimiter`], timed by the caller's `now`. The limiters are made only
//! once such an event is enabled, so that a node that logs nothing (one of a simulator's
//! million) holds a pointer for them and does no more than an atomic load per drop.

use std::net::SocketAddr;
use std::time::Instant;

use tracing::field::display;

use crate::address::Address;
use crate::key::KeyType;
use crate::log_limit::LogLimiter;
use crate::node::Node;

/// The limiters of a node's drop events, one per reason.
#[derive(Debug, Default)]
pub(crate) struct DropLog {
    rate_limited: LogLimiter,
    unroutable: LogLimiter,
    local: LogLimiter,
}

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

impl<A: Address, K: KeyType> Node<A, K> {
    /// Whether a drop of `reason`, counted by the limiter `pick` chooses, may be logged now
    /// (never when debug events are off; a summary of those held back comes first).
    fn drop_allowed(
        &mut self,
        now: Instant,
        pick: fn(&mut DropLog) -> &mut LogLimiter,
        reason: &'static str,
    ) -> bool {
        wanted()
            && pick(self.drop_log.get_or_insert_with(Box::default))
                .allow(now, |n| suppressed(reason, n))
    }

    /// A datagram from `from` turned away for going over its source's rate; `shared` if the
    /// source had no slot of its own (every one was in use).
    pub(crate) fn log_rate_limited(&mut self, now: Instant, from: SocketAddr, shared: bool) {
        let reason = "rate_limited";
        if self.drop_allowed(now, |log| &mut log.rate_limited, reason) {
            tracing::debug!(%from, reason, shared, "datagram dropped");
        }
    }

    /// A request from the unroutable address `from`, not answered.
    pub(crate) fn log_unroutable_from(&mut self, now: Instant, from: &A) {
        let reason = "unroutable";
        if self.drop_allowed(now, |log| &mut log.unroutable, reason) {
            let from = from.socket_addr().map(display);
            tracing::debug!(from, reason, "datagram dropped");
        }
    }

    /// A request from the local address `from`, not answered.
    pub(crate) fn log_local_request(&mut self, now: Instant, from: &A) {
        let reason = "local";
        if self.drop_allowed(now, |log| &mut log.local, reason) {
            let from = from.socket_addr().map(display);
            tracing::debug!(from, reason, "datagram dropped");
        }
    }

    /// A request to the unroutable address `to`, not sent.
    pub(crate) fn log_unroutable_to(&mut self, now: Instant, to: &A) {
        let reason = "unroutable";
        if self.drop_allowed(now, |log| &mut log.unroutable, reason) {
            let to = to.socket_addr().map(display);
            tracing::debug!(to, reason, "message dropped");
        }
    }
}
