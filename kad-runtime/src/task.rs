//! What a reactor thread runs: one service (its node and gateways) as a [`Task`], a trait
//! object, so that one reactor hosts services of any key size; and how poll tokens name a
//! service's gateways.

use std::time::Instant;

use kad_proto::mio::{Registry, Token};

/// Gateways one service may register: the low bits of a token name the gateway.
pub(crate) const MAX_GATEWAYS: usize = 256;

/// The number of a service on its reactor, unique for the reactor's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Slot(pub(crate) u64);

/// The poll token of gateway `gateway` (below [`MAX_GATEWAYS`]) of the service in `slot`.
pub(crate) fn token(slot: Slot, gateway: usize) -> Token {
    Token((slot.0 as usize) * MAX_GATEWAYS + gateway % MAX_GATEWAYS)
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
            assert_eq!(untoken(token(Slot(slot), gateway)), (Slot(slot), gateway));
        }
    }
}
