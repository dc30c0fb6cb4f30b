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
//! counts as failed. Once the last of these requests is out, the candidate is more likely
//! gone than slow, so the lookup also asks the next candidate beyond the k closest in its
//! place; it still waits for the candidate until that last request's soft timeout, but the
//! one in its place has answered by then instead of being asked only then.
//!
//! With `d` disjoint paths (S/Kademlia, Baumgart and Mies 2007), the closest contacts of the
//! routing table are dealt out to `d` paths in turn; each path keeps its own request slots
//! and ends on its own terms, and a contact an answer brings joins the path of the contact
//! that told of it (several paths may know it), but once one path has asked it, it is that
//! path's alone: no contact serves two paths. The
//! lookup ends when every path has, and its result is the k closest that answered on any
//! path. Each path keeps its share of the bound on candidates, so that contacts told to one
//! path cannot crowd out another's, and the paths take turns at sending. Each path stops at
//! the first value it finds, and the lookup returns the value most paths found, once no
//! other can catch up, and only if two paths at least found it (with the shortest of their
//! lifetimes): a liar on one path cannot make a get return its value, and liars who all
//! tell the same value win only where they hold more paths than honest nodes do.

use std::time::Instant;

use crate::contact::Contact;
use crate::event::StatsClock;
use crate::key::KeyType;
use crate::record::Record;
use crate::token::Token;

use candidate::{Candidate, State};
use path::Path;

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

/// A record found by a FIND_VALUE lookup.
#[derive(Clone, Debug)]
pub(crate) struct Found<K> {
    pub(crate) record: Record,
    pub(crate) ttl_secs: u32,
    /// The node that told it (or, for the closest of several, the closest of them).
    pub(crate) from: K,
    /// How many paths, or for a mutable record answers, carried it.
    pub(crate) holders: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct Lookup<A, K: KeyType> {
    target: K,
    k: usize,
    alpha: usize,
    max_candidates: usize,
    candidates: Vec<Candidate<A, K>>,
    paths: Vec<Path<K>>,
    /// The path the next contact from the routing table (or a seed) is dealt to.
    deal: u8,
    /// The path whose turn it is to send first.
    turn: u8,
    /// Requests to seeds known only by address (bootstrap).
    seeds_in_flight: usize,
    /// Times a candidate is asked again after a soft timeout.
    retries: u8,
    /// For a mutable get: how many answers with the newest version end it.
    quorum: Option<usize>,
    /// For a mutable get: the newest version heard so far.
    newest: Option<Found<K>>,
    pub(crate) clock: StatsClock,
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
            paths: vec![Path::new(alpha)],
            deal: 0,
            turn: 0,
            seeds_in_flight: 0,
            retries: 0,
            quorum: None,
            newest: None,
            clock: StatsClock::new(now),
        }
    }

    /// Runs the lookup over `d` disjoint paths (1 or more), each with room for as many
    /// candidates as the lookup had.
    pub(crate) fn with_paths(mut self, d: usize) -> Self {
        let d = d.clamp(1, u16::BITS as usize);
        self.paths = vec![Path::new(self.alpha); d];
        self.max_candidates = self.max_candidates.saturating_mul(d);
        self
    }

    /// Asks a candidate `retries` more times after soft timeouts before it gives up its slot.
    pub(crate) fn with_retries(mut self, retries: u8) -> Self {
        self.retries = retries;
        self
    }

    pub(crate) fn target(&self) -> &K {
        &self.target
    }

    /// Requests that hold a slot now (those sent again after a soft timeout do not).
    pub(crate) fn in_flight(&self) -> usize {
        self.seeds_in_flight + self.paths.iter().map(|p| p.in_flight).sum::<usize>()
    }

    /// Adds contacts learned at `depth`, dealt out to the paths in turn.
    pub(crate) fn add_contacts<I: IntoIterator<Item = Contact<A, K>>>(
        &mut self,
        contacts: I,
        depth: u32,
    ) {
        for contact in contacts {
            let path = self.deal;
            self.deal = ((usize::from(self.deal) + 1) % self.paths.len()) as u8;
            self.add_on_path([contact], depth, path);
        }
    }

    /// Adds contacts learned at `depth` on `path`, keeping the list sorted and bounded; a
    /// contact already known stays on its own path.
    fn add_on_path<I: IntoIterator<Item = Contact<A, K>>>(
        &mut self,
        contacts: I,
        depth: u32,
        path: u8,
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
                    known.known_by |= 1 << path;
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
                    path,
                    known_by: 1 << path,
                    depth,
                    had_value: false,
                    held_seq: None,
                    token: None,
                    tries: 0,
                    outstanding: 0,
                },
            );
        }
        self.trim();
    }

    /// Trims the far end, keeping requests in flight so their answers still count. Over
    /// several paths, each keeps the closest candidates it knows up to its share of the
    /// bound, so that contacts one path was told of cannot crowd out another's.
    fn trim(&mut self) {
        if self.candidates.len() <= self.max_candidates {
            return;
        }
        let in_flight = |c: &Candidate<A, K>| {
            matches!(c.state, State::InFlight | State::Retrying | State::Slow)
        };
        if self.paths.len() == 1 {
            let mut i = self.candidates.len();
            while self.candidates.len() > self.max_candidates && i > 0 {
                i -= 1;
                if !in_flight(&self.candidates[i]) {
                    self.candidates.remove(i);
                }
            }
            return;
        }
        let share = self.max_candidates / self.paths.len();
        let mut kept = vec![0usize; self.paths.len()];
        self.candidates.retain(|c| {
            let mut keep = in_flight(c);
            for (p, count) in kept.iter_mut().enumerate() {
                if c.known_by & 1 << p != 0 {
                    *count += 1;
                    keep |= *count <= share;
                }
            }
            keep
        });
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
        // Paths take turns at the first request, so that none waits on the others for
        // request slots.
        let d = self.paths.len();
        let first = usize::from(self.turn);
        self.turn = ((first + 1) % d) as u8;
        for p in (first..d).chain(0..first) {
            let path = &mut self.paths[p];
            if path.in_flight >= path.parallelism || path.value.is_some() {
                continue;
            }
            let mut live = 0;
            let retries = self.retries;
            for c in self.candidates.iter_mut().filter(|c| c.on_path(p)) {
                if matches!(c.state, State::Failed | State::Slow) {
                    continue;
                }
                // Its last request is out: the next candidate is asked in its place too.
                if c.state == State::Retrying && c.tries > retries {
                    continue;
                }
                if live >= self.k {
                    break;
                }
                live += 1;
                if c.state == State::Waiting {
                    c.state = State::InFlight;
                    c.path = p as u8;
                    c.tries = 1;
                    c.outstanding = 1;
                    path.in_flight += 1;
                    self.clock.stats.requests += 1;
                    return Some(c.contact.clone());
                }
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
                let path = usize::from(c.path);
                self.paths[path].in_flight -= 1;
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
        if !matches!(c.state, State::InFlight | State::Retrying) {
            return SoftTimeout::Nothing;
        }
        if c.tries <= retries {
            return SoftTimeout::Retry;
        }
        self.slow(id);
        SoftTimeout::MovedOn
    }

    /// Whether the next request to `id` after a soft timeout is its last.
    pub(crate) fn last_retry_next(&mut self, id: &K) -> bool {
        let retries = self.retries;
        self.find_mut(id).is_some_and(|c| c.tries >= retries)
    }

    /// `id` was asked once more after a soft timeout: it gives up its request slot, so that
    /// the lookup moves on, and is waited for until that request's own soft timeout.
    pub(crate) fn retry_sent(&mut self, id: &K) {
        if let Some(c) = self.find_mut(id) {
            c.tries = c.tries.saturating_add(1);
            c.outstanding = c.outstanding.saturating_add(1);
            if c.state == State::InFlight {
                c.state = State::Retrying;
                let path = usize::from(c.path);
                self.paths[path].in_flight -= 1;
            }
            self.clock.stats.requests += 1;
        }
    }

    /// `id` stops holding a request slot; its answer still counts until it fails.
    pub(crate) fn slow(&mut self, id: &K) {
        if let Some(c) = self.find_mut(id) {
            match c.state {
                State::InFlight => {
                    c.state = State::Slow;
                    let path = usize::from(c.path);
                    self.paths[path].in_flight -= 1;
                }
                State::Retrying => c.state = State::Slow,
                _ => {}
            }
        }
    }

    /// `id` answered with `contacts` and a write `token`.
    pub(crate) fn on_nodes(&mut self, id: &K, contacts: Vec<Contact<A, K>>, token: Token) {
        let Some((depth, path)) = self.mark(id, State::Responded) else {
            return;
        };
        if let Some(c) = self.find_mut(id) {
            c.token = Some(token);
        }
        self.clock.stats.responses += 1;
        self.note_depth(depth);
        let before = self.closest_live(path);
        self.add_on_path(contacts, depth + 1, path);
        let closer = match (before, self.closest_live(path)) {
            (Some(before), Some(after)) => after < before,
            (None, after) => after.is_some(),
            (Some(_), None) => false,
        };
        let (alpha, k) = (self.alpha, self.k);
        let p = &mut self.paths[usize::from(path)];
        if closer {
            p.stalled = 0;
        } else {
            p.stalled += 1;
            if p.stalled >= alpha {
                p.parallelism = k;
            }
        }
    }

    /// Distance of the closest candidate of `path` that has not failed.
    fn closest_live(&self, path: u8) -> Option<K::Distance> {
        self.candidates
            .iter()
            .find(|c| c.on_path(usize::from(path)) && c.state != State::Failed)
            .map(|c| c.distance)
    }

    /// `id` answered a FIND_VALUE with `record` (which the validator took) and a write
    /// `token`.
    pub(crate) fn on_value(&mut self, id: &K, record: Record, ttl_secs: u32, token: Token) {
        let Some((depth, path)) = self.mark(id, State::Responded) else {
            return;
        };
        self.clock.stats.responses += 1;
        self.note_depth(depth);
        if let Some(c) = self.find_mut(id) {
            c.had_value = true;
            c.held_seq = record.seq();
            c.token = Some(token);
        }
        let found = Found {
            record,
            ttl_secs,
            from: *id,
            holders: 1,
        };
        if self.quorum.is_some() {
            self.offer_newest(found);
            return;
        }
        let path = &mut self.paths[usize::from(path)];
        if path.value.is_none() {
            path.value = Some(found);
        }
    }

    /// `id` answered with a value that is not valid: it counts as failed.
    pub(crate) fn on_invalid(&mut self, id: &K) {
        if self.mark(id, State::Failed).is_some() {
            self.clock.stats.failures += 1;
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

    /// Moves an asked candidate (in flight, retrying or slow) to `state`; returns its depth and path.
    fn mark(&mut self, id: &K, state: State) -> Option<(u32, u8)> {
        let c = self.find_mut(id)?;
        let held_slot = match c.state {
            State::InFlight => true,
            State::Retrying | State::Slow => false,
            _ => return None,
        };
        c.state = state;
        c.outstanding = c.outstanding.saturating_sub(1);
        let (depth, path) = (c.depth, c.path);
        if held_slot {
            self.paths[usize::from(path)].in_flight -= 1;
        }
        Some((depth, path))
    }
}

mod candidate;
mod newest;
mod outcome;
mod path;
#[cfg(test)]
mod tests;
