//! A lookup's candidate: a contact the lookup heard of, where its request stands, and which
//! disjoint paths may use it.

use crate::contact::Contact;
use crate::key::KeyType;
use crate::token::Token;

/// Where a candidate's request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Waiting,
    /// Asked, holding a request slot.
    InFlight,
    /// Asked again after a soft timeout: it holds no slot (the lookup moves on), but the
    /// lookup still waits for it, until the soft timeout of the request sent again.
    Retrying,
    /// Asked, past the soft timeout: its answer still counts, but it holds no slot and the
    /// lookup does not wait for it.
    Slow,
    Responded,
    Failed,
}

/// A contact a lookup heard of.
#[derive(Clone, Debug)]
pub(super) struct Candidate<A, K: KeyType> {
    pub(super) contact: Contact<A, K>,
    pub(super) distance: K::Distance,
    pub(super) state: State,
    /// The disjoint path that asked it (or, until one does, the first that learned of it).
    pub(super) path: u8,
    /// The paths that learned of it, one bit each.
    pub(super) known_by: u16,
    pub(super) depth: u32,
    pub(super) had_value: bool,
    /// The sequence number of the mutable record it answered with.
    pub(super) held_seq: Option<u64>,
    /// The write token it gave in its answer, for a STORE to it.
    pub(super) token: Option<Token>,
    /// Requests sent to it, and those of them neither answered nor timed out.
    pub(super) tries: u8,
    pub(super) outstanding: u8,
}

impl<A, K: KeyType> Candidate<A, K> {
    /// Whether path `p` may use it: it learned of it, and no other path has asked it.
    pub(super) fn on_path(&self, p: usize) -> bool {
        self.known_by & 1 << p != 0 && (self.state == State::Waiting || usize::from(self.path) == p)
    }
}
