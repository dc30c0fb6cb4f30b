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

use std::time::Instant;

use crate::contact::Contact;
use crate::event::StatsClock;
use crate::key::KeyType;
use crate::token::Token;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    InFlight,
    Responded,
    Failed,
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
            clock: StatsClock::new(now),
            found: None,
        }
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
                },
            );
        }
        // Trim the far end, keeping requests in flight so their answers still count.
        let mut i = self.candidates.len();
        while self.candidates.len() > self.max_candidates && i > 0 {
            i -= 1;
            if self.candidates[i].state != State::InFlight {
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
            if c.state == State::Failed {
                continue;
            }
            if live >= self.k {
                break;
            }
            live += 1;
            if c.state == State::Waiting {
                c.state = State::InFlight;
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
            if c.state == State::InFlight {
                c.state = State::Waiting;
                self.in_flight -= 1;
                self.clock.stats.requests -= 1;
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

    /// A request to `id` timed out.
    pub(crate) fn on_failure(&mut self, id: &K) {
        if self.mark(id, State::Failed).is_some() {
            self.clock.stats.failures += 1;
        }
    }

    /// Moves an in-flight candidate to `state`; returns its depth.
    fn mark(&mut self, id: &K, state: State) -> Option<u32> {
        let c = self.find_mut(id)?;
        if c.state != State::InFlight {
            return None;
        }
        c.state = state;
        let depth = c.depth;
        self.in_flight -= 1;
        Some(depth)
    }

    /// Whether the lookup is over: a value was found, or the k closest live candidates have
    /// all answered.
    pub(crate) fn is_finished(&self) -> bool {
        if self.found.is_some() {
            return true;
        }
        if self.seeds_in_flight > 0 {
            return false;
        }
        let mut live = 0;
        for c in &self.candidates {
            match c.state {
                State::Failed => continue,
                State::Responded => live += 1,
                State::Waiting | State::InFlight => return false,
            }
            if live >= self.k {
                return true;
            }
        }
        true
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
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::key::Key;

    type Id = Key<20>;

    /// The contact at distance `n` from the all-zero target: a lower `n` is closer.
    fn c(n: u8) -> Contact<u32, Id> {
        let mut id = [0; 20];
        id[19] = n;
        Contact::new(Key::new(id), u32::from(n))
    }

    fn lookup(k: usize, alpha: usize) -> Lookup<u32, Id> {
        Lookup::new(Key::new([0; 20]), k, alpha, 4 * k, Instant::now())
    }

    fn ids<'a>(contacts: impl IntoIterator<Item = &'a Contact<u32, Id>>) -> Vec<u8> {
        contacts.into_iter().map(|c| c.id.as_bytes()[19]).collect()
    }

    /// Every request the lookup sends now.
    fn ask(l: &mut Lookup<u32, Id>) -> Vec<u8> {
        ids(&std::iter::from_fn(|| l.next_request()).collect::<Vec<_>>())
    }

    fn answer(l: &mut Lookup<u32, Id>, n: u8, contacts: &[u8]) {
        l.on_nodes(
            &c(n).id,
            contacts.iter().copied().map(c).collect(),
            Token::default(),
        );
    }

    #[test]
    fn alpha_in_flight_until_alpha_answers_in_a_row_bring_nothing_closer() {
        let mut l = lookup(8, 2);
        l.add_contacts((10..=25).map(c), 1);
        assert_eq!(ask(&mut l), [10, 11]);
        answer(&mut l, 10, &[]);
        assert_eq!(ask(&mut l), [12]);
        answer(&mut l, 11, &[5]); // closer: the count starts again
        assert_eq!(ask(&mut l), [5]);
        answer(&mut l, 12, &[]);
        assert_eq!(ask(&mut l), [13]);
        answer(&mut l, 5, &[]); // the second in a row without progress
        assert_eq!(ask(&mut l), [14, 15, 16]); // the rest of the 8 closest at once
        assert_eq!(l.in_flight, 4);
    }

    #[test]
    fn finishes_exactly_when_the_k_closest_live_candidates_have_answered() {
        let mut l = lookup(3, 3);
        l.add_contacts((1..=4).map(c), 1);
        assert_eq!(ask(&mut l), [1, 2, 3]);
        l.on_failure(&c(2).id);
        assert_eq!(ask(&mut l), [4]);
        answer(&mut l, 1, &[]);
        answer(&mut l, 3, &[]);
        assert!(!l.is_finished()); // 4 is one of the 3 closest live ones
        answer(&mut l, 4, &[]);
        assert!(l.is_finished());
        l.add_contacts([c(9)], 2); // farther than the 3 closest: not needed
        assert!(l.is_finished());
        assert!(ask(&mut l).is_empty());
    }

    #[test]
    fn closest_is_at_most_k_answered_contacts_by_distance() {
        let mut l = lookup(2, 2);
        l.add_contacts([c(4), c(3), c(5)], 1);
        assert_eq!(ask(&mut l), [3, 4]);
        l.on_failure(&c(3).id);
        assert_eq!(ask(&mut l), [5]);
        answer(&mut l, 4, &[1]);
        assert_eq!(ask(&mut l), [1]);
        assert_eq!(ids(&l.closest()), [4]); // 1 and 5 in flight, 3 failed
        answer(&mut l, 5, &[]);
        answer(&mut l, 1, &[]);
        assert_eq!(ids(&l.closest()), [1, 4]);
    }

    #[test]
    fn a_timed_out_candidate_is_skipped_and_the_next_one_asked() {
        let mut l = lookup(2, 1);
        l.add_contacts((1..=3).map(c), 1);
        assert_eq!(ask(&mut l), [1]);
        l.on_failure(&c(1).id);
        assert_eq!(ask(&mut l), [2]);
        answer(&mut l, 1, &[]); // too late: ignored
        answer(&mut l, 2, &[]);
        assert_eq!(ask(&mut l), [3]);
        answer(&mut l, 3, &[]);
        assert!(l.is_finished());
        assert_eq!(ids(&l.closest()), [2, 3]);
        assert_eq!((l.clock.stats.responses, l.clock.stats.failures), (2, 1));
    }

    proptest! {
        /// The candidates are always the `max_candidates` closest distinct contacts seen, in
        /// order: sorted, unique and bounded.
        #[test]
        fn candidates_stay_sorted_unique_and_bounded(
            batches in prop::collection::vec(prop::collection::vec(1u8..64, 0..12), 1..12),
        ) {
            let mut l = lookup(2, 1);
            let mut seen = BTreeSet::new();
            for batch in batches {
                seen.extend(batch.iter().copied());
                l.add_contacts(batch.into_iter().map(c), 1);
                let want: Vec<u8> = seen.iter().copied().take(l.max_candidates).collect();
                prop_assert_eq!(ids(l.candidates.iter().map(|x| &x.contact)), want);
            }
        }
    }

    #[test]
    fn a_contact_learned_again_keeps_its_smaller_depth() {
        let mut l = lookup(2, 1);
        l.add_contacts([c(1)], 3);
        l.add_contacts([c(1)], 1);
        l.add_contacts([c(1)], 5);
        assert_eq!(ask(&mut l), [1]);
        answer(&mut l, 1, &[2]);
        assert_eq!(l.clock.stats.hops, 1);
        assert_eq!(ask(&mut l), [2]);
        answer(&mut l, 2, &[]);
        assert_eq!(l.clock.stats.hops, 2);
    }

    #[test]
    fn the_first_value_ends_the_lookup_and_is_cached_at_the_closest_without_it() {
        let mut l = lookup(5, 4);
        l.add_contacts((1..=5).map(c), 1);
        assert_eq!(ask(&mut l), [1, 2, 3, 4]);
        answer(&mut l, 4, &[]);
        answer(&mut l, 3, &[]);
        l.on_value(&c(1).id, b"v".to_vec(), 60);
        assert!(l.is_finished());
        assert!(l.next_request().is_none()); // 5 is never asked
        l.on_value(&c(2).id, b"w".to_vec(), 30);
        let found = l
            .found
            .as_ref()
            .map(|f| (f.value.as_slice(), f.ttl_secs, f.from));
        assert_eq!(found, Some((&b"v"[..], 60, c(1).id)));
        assert_eq!(l.cache_target(), Some((c(3), Token::default())));
    }

    #[test]
    fn unsend_gives_the_slot_back() {
        let mut l = lookup(2, 1);
        l.add_contacts([c(1), c(2)], 1);
        assert_eq!(ask(&mut l), [1]);
        l.unsend(&c(2).id); // not in flight: nothing to give back
        assert!(l.next_request().is_none());
        l.unsend(&c(1).id);
        assert_eq!(l.clock.stats.requests, 0);
        assert_eq!(ask(&mut l), [1]);
    }

    #[test]
    fn seeds_in_flight_keep_the_lookup_unfinished() {
        let mut l = lookup(2, 2);
        l.seed_sent();
        l.seed_sent();
        assert!(!l.is_finished());
        l.seed_done(Some((c(1), Token::default())), vec![c(2)]);
        assert_eq!(ask(&mut l), [2]);
        answer(&mut l, 2, &[]);
        assert!(!l.is_finished()); // the other seed is still out
        l.seed_done(None, vec![]);
        assert!(l.is_finished());
        assert_eq!(ids(&l.closest()), [1, 2]);
    }
}
