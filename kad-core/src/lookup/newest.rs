//! A mutable get: a lookup that asks on past the first value, keeps the newest valid
//! version it hears (the validator checked each), ends once enough answers carried it or the
//! k closest have all answered, and knows which of the closest held an older version, to
//! write the newest back to them (read repair).

use super::{Found, Lookup};
use crate::contact::Contact;
use crate::key::KeyType;
use crate::record::Record;
use crate::token::Token;

impl<A: Clone + Eq, K: KeyType> Lookup<A, K> {
    /// Makes the lookup a mutable get, which `quorum` answers carrying the newest version
    /// end early.
    pub(crate) fn with_quorum(mut self, quorum: usize) -> Self {
        self.quorum = Some(quorum.max(1));
        self
    }

    /// This node's own copy, `local` (this node's id), as the newest so far; it counts as
    /// no answer.
    pub(crate) fn offer_local(&mut self, record: Record, ttl_secs: u32, local: K) {
        self.offer_newest(Found {
            record,
            ttl_secs,
            from: local,
            holders: 0,
        });
    }

    /// An answer with a version: it replaces the newest if it is newer; one equal to it
    /// counts towards the quorum.
    pub(super) fn offer_newest(&mut self, found: Found<K>) {
        let seq = found.record.seq();
        match &mut self.newest {
            Some(newest) if newest.record == found.record => {
                newest.holders += found.holders;
                // No one answer can stretch how long the record is written back for.
                newest.ttl_secs = newest.ttl_secs.min(found.ttl_secs);
            }
            Some(newest) if seq <= newest.record.seq() => {}
            _ => self.newest = Some(found),
        }
    }

    /// Whether a mutable get has heard the newest version from its quorum.
    pub(super) fn quorum_reached(&self) -> bool {
        match (self.quorum, &self.newest) {
            (Some(quorum), Some(newest)) => newest.holders >= quorum,
            _ => false,
        }
    }

    /// The k closest that answered with a version older than the newest, and their write
    /// tokens: where a mutable get writes the newest back.
    pub(crate) fn outdated(&self) -> Vec<(Contact<A, K>, Token)> {
        let Some(newest) = self.newest.as_ref().and_then(|n| n.record.seq()) else {
            return Vec::new();
        };
        self.responded()
            .take(self.k)
            .filter(|c| c.held_seq.is_some_and(|seq| seq < newest))
            .filter_map(|c| Some((c.contact.clone(), c.token?)))
            .collect()
    }
}
