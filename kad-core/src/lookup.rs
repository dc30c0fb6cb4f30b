//! The iterative lookup: the heart of Kademlia.
//!
//! A lookup keeps the candidates it has heard of sorted by distance to the target, keeps up to
//! alpha requests in flight to the closest ones not yet asked, and ends when the k closest
//! candidates that did not fail have all answered (or, for FIND_VALUE, at the first value).
//! When alpha answers in a row bring nothing closer than the closest candidate already known,
//! the lookup asks all of the k closest it has not asked yet at once (paper, section 2.3),
//! which saves several round trips at the end of every lookup.
//! Each candidate remembers its depth: 1 for a contact from the routing table, one more than
//! the depth of the contact that told us about it otherwise.
//!
//! A request that is not answered within its contact's expected round trip (the soft
//! timeout, see `rtt`) is sent once more, `retries` times in all, since a lost datagram is
//! the usual cause; after that the candidate stops holding one of the request slots and the
//! lookup moves on, but its late answer is used until the request's hard timeout, when it
//! counts as failed.

use std::time::Instant;

use crate::contact::Contact;
use crate::event::StatsClock;
use crate::key::KeyType;
use crate::token::Token;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    /// Asked, holding a request slot.
    InFlight,
    /// Asked, past the soft timeout: its answer still counts, but it holds no slot and the
    /// lookup does not wait for it.
    Slow,
    Responded,
    Failed,
}

/// What a soft timeout of a lookup request calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SoftTimeout {
    /// Ask the candidate again (then call [`Lookup::retry_sent`] or [`Lookup::slow`]).
    Retry,
    /// The candidate gave up its slot: the lookup may send on.
    MovedOn,
    /// Nothing: the candidate answered or failed already.
    Nothing,
}

#[derive(Clone, Debug)]
struct Candidate<A, K: KeyType> {
    contact: Contact<A, K>,
    distance: K::Distance,
    state: State,
    depth: u32,
    had_value: bool,
    /// The write token it gave in its answer, for a STORE to it.
    token: Option<Token>,
    /// Requests sent to it, and those of them neither answered nor timed out.
    tries: u8,
    outstanding: u8,
}

/// A value found by a FIND_VALUE lookup.
#[derive(Clone, Debug)]
pub(crate) struct Found<K> {
    pub(crate) value: Vec<u8>,
    pub(crate) ttl_secs: u32,
    pub(crate) from: K,
}

#[derive(Clone, Debug)]
pub(crate) struct Lookup<A, K: KeyType> {
    target: K,
    k: usize,
    alpha: usize,
    max_candidates: usize,
    candidates: Vec<Candidate<A, K>>,
    in_flight: usize,
    /// Requests allowed in flight: alpha, then k once the lookup stops getting closer.
    parallelism: usize,
    /// Answers in a row that brought nothing closer.
    stalled: usize,
    /// Requests to seeds known only by address (bootstrap).
    seeds_in_flight: usize,
    /// Times a candidate is asked again after a soft timeout.
    retries: u8,
    pub(crate) clock: StatsClock,
    pub(crate) found: Option<Found<K>>,
}

impl<A: Clone + Eq, K: KeyType> Lookup<A, K> {
    pub(crate) fn new(
        target: K,
        k: usize,
        alpha: usize,
        max_candidates: usize,
        now: Instant,
    ) -> Self {
        Lookup {
            target,
            k,
            alpha,
            max_candidates,
            candidates: Vec::new(),
            in_flight: 0,
            parallelism: alpha,
            stalled: 0,
            seeds_in_flight: 0,
            retries: 0,
            clock: StatsClock::new(now),
            found: None,
        }
    }

    /// Asks a candidate `retries` more times after soft timeouts before it gives up its slot.
    pub(crate) fn with_retries(mut self, retries: u8) -> Self {
        self.retries = retries;
        self
    }

    pub(crate) fn target(&self) -> &K {
        &self.target
    }

    /// Adds contacts learned at `depth`, keeping the list sorted and bounded.
    pub(crate) fn add_contacts<I: IntoIterator<Item = Contact<A, K>>>(
        &mut self,
        contacts: I,
        depth: u32,
    ) {
        for contact in contacts {
            let distance = contact.id.distance(&self.target);
            let at = match self
                .candidates
                .binary_search_by(|c| c.distance.cmp(&distance))
            {
                Ok(i) => {
                    // Already known: keep the shortest chain that led to it.
                    let known = &mut self.candidates[i];
                    known.depth = known.depth.min(depth);
                    continue;
                }
                Err(at) => at,
            };
            if at >= self.max_candidates {
                continue;
            }
            self.candidates.insert(
                at,
                Candidate {
                    contact,
                    distance,
                    state: State::Waiting,
                    depth,
                    had_value: false,
                    token: None,
                    tries: 0,
                    outstanding: 0,
                },
            );
        }
        // Trim the far end, keeping requests in flight so their answers still count.
        let mut i = self.candidates.len();
        while self.candidates.len() > self.max_candidates && i > 0 {
            i -= 1;
            if !matches!(self.candidates[i].state, State::InFlight | State::Slow) {
                self.candidates.remove(i);
            }
        }
    }

    /// A request went to a seed known only by its address.
    pub(crate) fn seed_sent(&mut self) {
        self.seeds_in_flight += 1;
        self.clock.stats.requests += 1;
    }

    /// A seed answered (`Some` of its contact and token) or failed (`None`).
    pub(crate) fn seed_done(
        &mut self,
        answered: Option<(Contact<A, K>, Token)>,
        contacts: Vec<Contact<A, K>>,
    ) {
        self.seeds_in_flight = self.seeds_in_flight.saturating_sub(1);
        match answered {
            Some((seed, token)) => {
                self.clock.stats.responses += 1;
                self.add_contacts([seed.clone()], 1);
                if let Some(c) = self.find_mut(&seed.id) {
                    if c.state == State::Waiting {
                        c.state = State::Responded;
                        c.token = Some(token);
                    }
                }
                self.note_depth(1);
                self.add_contacts(contacts, 2);
            }
            None => self.clock.stats.failures += 1,
        }
    }

    fn note_depth(&mut self, depth: u32) {
        self.clock.stats.hops = self.clock.stats.hops.max(depth);
    }

    fn find_mut(&mut self, id: &K) -> Option<&mut Candidate<A, K>> {
        let distance = id.distance(&self.target);
        let at = self
            .candidates
            .binary_search_by(|c| c.distance.cmp(&distance))
            .ok()?;
        Some(&mut self.candidates[at])
    }

    /// The next contact to ask, if a request slot is free; it is marked in flight.
    pub(crate) fn next_request(&mut self) -> Option<Contact<A, K>> {
        if self.in_flight >= self.parallelism || self.found.is_some() {
            return None;
        }
        let mut live = 0;
        for c in self.candidates.iter_mut() {
            if matches!(c.state, State::Failed | State::Slow) {
                continue;
            }
            if live >= self.k {
                break;
            }
            live += 1;
            if c.state == State::Waiting {
                c.state = State::InFlight;
                c.tries = 1;
                c.outstanding = 1;
                self.in_flight += 1;
                self.clock.stats.requests += 1;
                return Some(c.contact.clone());
            }
        }
        None
    }

    /// A request picked by `next_request` could not be sent after all.
    pub(crate) fn unsend(&mut self, id: &K) {
        if let Some(c) = self.find_mut(id) {
            if c.state == State::InFlight && c.tries == 1 {
                c.state = State::Waiting;
                c.tries = 0;
                c.outstanding = 0;
                self.in_flight -= 1;
                self.clock.stats.requests -= 1;
            }
        }
    }

    /// A request to `id` went unanswered for its soft timeout.
    pub(crate) fn soft_timeout(&mut self, id: &K) -> SoftTimeout {
        let retries = self.retries;
        let Some(c) = self.find_mut(id) else {
            return SoftTimeout::Nothing;
        };
        if c.state != State::InFlight {
            return SoftTimeout::Nothing;
        }
        if c.tries <= retries {
            return SoftTimeout::Retry;
        }
        self.slow(id);
        SoftTimeout::MovedOn
    }

    /// `id` was asked once more after a soft timeout.
    pub(crate) fn retry_sent(&mut self, id: &K) {
        if let Some(c) = self.find_mut(id) {
            c.tries = c.tries.saturating_add(1);
            c.outstanding = c.outstanding.saturating_add(1);
            self.clock.stats.requests += 1;
        }
    }

    /// `id` stops holding a request slot; its answer still counts until it fails.
    pub(crate) fn slow(&mut self, id: &K) {
        if let Some(c) = self.find_mut(id) {
            if c.state == State::InFlight {
                c.state = State::Slow;
                self.in_flight -= 1;
            }
        }
    }

    /// `id` answered with `contacts` and a write `token`.
    pub(crate) fn on_nodes(&mut self, id: &K, contacts: Vec<Contact<A, K>>, token: Token) {
        let Some(depth) = self.mark(id, State::Responded) else {
            return;
        };
        if let Some(c) = self.find_mut(id) {
            c.token = Some(token);
        }
        self.clock.stats.responses += 1;
        self.note_depth(depth);
        let before = self.closest_live();
        self.add_contacts(contacts, depth + 1);
        let closer = match (before, self.closest_live()) {
            (Some(before), Some(after)) => after < before,
            (None, after) => after.is_some(),
            (Some(_), None) => false,
        };
        if closer {
            self.stalled = 0;
        } else {
            self.stalled += 1;
            if self.stalled >= self.alpha {
                self.parallelism = self.k;
            }
        }
    }

    /// Distance of the closest candidate that has not failed.
    fn closest_live(&self) -> Option<K::Distance> {
        self.candidates
            .iter()
            .find(|c| c.state != State::Failed)
            .map(|c| c.distance)
    }

    /// `id` answered a FIND_VALUE with the value.
    pub(crate) fn on_value(&mut self, id: &K, value: Vec<u8>, ttl_secs: u32) {
        let Some(depth) = self.mark(id, State::Responded) else {
            return;
        };
        self.clock.stats.responses += 1;
        self.note_depth(depth);
        if let Some(c) = self.find_mut(id) {
            c.had_value = true;
        }
        if self.found.is_none() {
            self.found = Some(Found {
                value,
                ttl_secs,
                from: *id,
            });
        }
    }

    /// A request to `id` timed out for good: it fails once no other request to it is out.
    pub(crate) fn on_failure(&mut self, id: &K) {
        let Some(c) = self.find_mut(id) else {
            return;
        };
        c.outstanding = c.outstanding.saturating_sub(1);
        if c.outstanding == 0 && self.mark(id, State::Failed).is_some() {
            self.clock.stats.failures += 1;
        }
    }

    /// Moves an asked candidate (in flight or slow) to `state`; returns its depth.
    fn mark(&mut self, id: &K, state: State) -> Option<u32> {
        let c = self.find_mut(id)?;
        let held_slot = match c.state {
            State::InFlight => true,
            State::Slow => false,
            _ => return None,
        };
        c.state = state;
        c.outstanding = c.outstanding.saturating_sub(1);
        let depth = c.depth;
        if held_slot {
            self.in_flight -= 1;
        }
        Some(depth)
    }

    /// Whether the lookup is over: a value was found, or the k closest live candidates have
    /// all answered (a slow candidate is passed over if enough others answered, and waited
    /// for otherwise).
    pub(crate) fn is_finished(&self) -> bool {
        if self.found.is_some() {
            return true;
        }
        if self.seeds_in_flight > 0 {
            return false;
        }
        let mut live = 0;
        let mut slow = false;
        for c in &self.candidates {
            match c.state {
                State::Failed => continue,
                // Not waited for while others can answer instead; waited for when none can.
                State::Slow => {
                    slow = true;
                    continue;
                }
                State::Responded => live += 1,
                State::Waiting | State::InFlight => return false,
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

    fn responded(&self) -> impl Iterator<Item = &Candidate<A, K>> {
        self.candidates
            .iter()
            .filter(|c| c.state == State::Responded)
    }
}

#[cfg(test)]
mod tests;
