//! When a lookup is over, and what it found: the record its paths settled on, the k closest
//! that answered, where a put stores and where a get caches.

use super::candidate::{Candidate, State};
use super::{path, Found, Lookup};
use crate::contact::Contact;
use crate::key::KeyType;
use crate::token::Token;

impl<A: Clone + Eq, K: KeyType> Lookup<A, K> {
    /// The record the lookup found: for a mutable get the newest heard, otherwise once its
    /// paths settled on one (see [`path::settled`]).
    pub(crate) fn found(&self) -> Option<Found<K>> {
        if self.quorum.is_some() {
            return self.newest.clone();
        }
        if self.paths.iter().all(|p| p.value.is_none()) {
            return None;
        }
        let searching = (0..self.paths.len())
            .filter(|&p| !self.path_finished(p))
            .count();
        path::settled(&self.paths, searching, &self.target)
    }

    /// Whether the lookup is over: its paths settled on a value (a mutable get: enough
    /// answers carried the newest), or the k closest live candidates have all answered (a slow candidate is passed over if enough others answered, and waited
    /// for otherwise).
    pub(crate) fn is_finished(&self) -> bool {
        if self.quorum_reached() || (self.quorum.is_none() && self.found().is_some()) {
            return true;
        }
        if self.seeds_in_flight > 0 {
            return false;
        }
        (0..self.paths.len()).all(|p| self.path_finished(p))
    }

    /// Whether path `p` is over: it found a value, or the k closest live candidates of its
    /// own have all answered (a slow one is passed over if enough others answered).
    fn path_finished(&self, p: usize) -> bool {
        if self.paths[p].value.is_some() {
            return true;
        }
        let mut live = 0;
        let mut slow = false;
        for c in self.candidates.iter().filter(|c| c.on_path(p)) {
            match c.state {
                State::Failed => continue,
                // Not waited for while others can answer instead; waited for when none can.
                State::Slow => {
                    slow = true;
                    continue;
                }
                State::Responded => live += 1,
                State::Waiting | State::InFlight | State::Retrying => return false,
            }
            if live >= self.k {
                return true;
            }
        }
        !slow
    }

    /// The k closest contacts that answered, closest first.
    pub(crate) fn closest(&self) -> Vec<Contact<A, K>> {
        self.responded()
            .take(self.k)
            .map(|c| c.contact.clone())
            .collect()
    }

    /// The k closest contacts that answered with a write token, and the token: where a put
    /// stores its record.
    pub(crate) fn closest_with_tokens(&self) -> Vec<(Contact<A, K>, Token)> {
        self.responded()
            .take(self.k)
            .filter_map(|c| Some((c.contact.clone(), c.token?)))
            .collect()
    }

    /// The closest contact that answered without the value, and its token: where a found
    /// value is cached.
    pub(crate) fn cache_target(&self) -> Option<(Contact<A, K>, Token)> {
        self.responded()
            .find(|c| !c.had_value)
            .and_then(|c| Some((c.contact.clone(), c.token?)))
    }

    pub(super) fn responded(&self) -> impl Iterator<Item = &Candidate<A, K>> {
        self.candidates
            .iter()
            .filter(|c| c.state == State::Responded)
    }
}
