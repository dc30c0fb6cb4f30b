//! [`Task`]: what a reactor thread runs. Each hosted service is one task, a trait object,
//! so that one reactor hosts services of any key size; a run of a task answers with a
//! [`Turn`], what it asks of the thread next.

use std::time::Instant;

use kad_proto::mio::Registry;

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
