//! What a reactor thread runs: one service (its node and gateways) as a [`Task`], a trait
//! object, so that one reactor hosts services of any key size; how poll tokens name a
//! service's gateways; and which service, if any, the current thread is reading sockets for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use kad_proto::mio::{Registry, Token};

/// Gateways one service may register: the low bits of a token name the gateway.
pub(crate) const MAX_GATEWAYS: usize = 256;

/// The number of a service, unique in the process: tokens and inboxes are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Slot(u64);

/// The next slot number of the process.
static NEXT_SLOT: AtomicU64 = AtomicU64::new(0);

impl Slot {
    /// A slot no other service of the process has had.
    pub(crate) fn next() -> Slot {
        Slot(NEXT_SLOT.fetch_add(1, Ordering::Relaxed))
    }
}

/// The poll token of gateway `gateway` (below [`MAX_GATEWAYS`]) of the service in `slot`;
/// `None` if the slot number is too large for a token (after 2^24 services on a 32-bit
/// system) or the gateway number too large.
pub(crate) fn token(slot: Slot, gateway: usize) -> Option<Token> {
    if gateway >= MAX_GATEWAYS {
        return None;
    }
    let token = usize::try_from(slot.0)
        .ok()?
        .checked_mul(MAX_GATEWAYS)?
        .checked_add(gateway)?;
    // The largest token is the reactor's doorbell.
    (token < usize::MAX - MAX_GATEWAYS).then_some(Token(token))
}

/// The service and gateway a token names.
pub(crate) fn untoken(token: Token) -> (Slot, usize) {
    (
        Slot((token.0 / MAX_GATEWAYS) as u64),
        token.0 % MAX_GATEWAYS,
    )
}

/// What a run of a task asks of its reactor thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Turn {
    /// Nothing left to do until an input, a datagram, or this deadline.
    Wait(Option<Instant>),
    /// Work was left for lack of time (a full batch): run again before sleeping.
    Again,
    /// The service stopped: shut it down and forget it.
    Done,
}

/// One service, as its reactor thread drives it.
pub(crate) trait Task: Send {
    /// The poll reported gateway `gateway` of this service ready.
    fn ready(&mut self, gateway: usize, readable: bool, writable: bool, registry: &Registry);

    /// Does what is due at `now`: reads the gateways reported readable, handles waiting
    /// inputs and expired timers, sends what the node has to send and answers callers.
    fn run(&mut self, now: Instant, registry: &Registry) -> Turn;

    /// Shuts the gateways down and releases callers still waiting.
    fn shutdown(&mut self);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_slot_and_gateway() {
        for (slot, gateway) in [(0, 0), (0, 255), (1, 0), (12_345, 7)] {
            let token = token(Slot(slot), gateway).unwrap();
            assert_eq!(untoken(token), (Slot(slot), gateway));
        }
        assert_eq!(token(Slot(1), MAX_GATEWAYS), None);
        assert_eq!(token(Slot(u64::MAX), 0), None);
        // No token is the doorbell's.
        let last = (usize::MAX / MAX_GATEWAYS - 1) as u64;
        assert_eq!(token(Slot(last), 255), None);
    }
}
