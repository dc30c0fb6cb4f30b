//! One k-bucket: up to k contacts that share the same prefix length with the local id, ordered
//! from least to most recently seen, plus a small cache of replacements.

use std::time::{Duration, Instant};

use crate::contact::Contact;
use crate::key::KeyType;
use crate::rtt::CompactRtt;
use crate::stamp::Stamp;

/// A contact in the routing table with what the table knows about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<A, K> {
    pub(crate) contact: Contact<A, K>,
    /// When a message from it was last received (see [`last_seen`](Self::last_seen)): eight
    /// bytes instead of an `Instant`'s sixteen, as a table may hold millions of entries.
    pub(crate) last_seen: Stamp,
    pub(crate) failures: u8,
    /// A ping to this contact is in flight; if it fails the contact is removed.
    pub(crate) pinging: bool,
    /// Its measured round trip.
    pub(crate) rtt: CompactRtt,
}

impl<A, K> Entry<A, K> {
    fn new(contact: Contact<A, K>, now: Instant) -> Self {
        Entry {
            contact,
            last_seen: Stamp::of(now),
            failures: 0,
            pinging: false,
            rtt: CompactRtt::default(),
        }
    }

    /// The contact.
    pub fn contact(&self) -> &Contact<A, K> {
        &self.contact
    }

    /// When a message from this contact was last received.
    pub fn last_seen(&self) -> Instant {
        self.last_seen.instant()
    }

    /// Consecutive requests to this contact that went unanswered.
    pub fn failures(&self) -> u8 {
        self.failures
    }
}

/// What happened to a contact offered to a bucket.
pub(crate) enum Offer<A, K> {
    /// It was already there and is now the most recently seen.
    Refreshed,
    /// It was added.
    Added,
    /// Its id is known at another address; nothing changed.
    Conflict,
    /// The bucket is full; the contact waits in the replacement cache. `Some(lru)` asks the
    /// caller to ping the least-recently-seen contact, which is removed if it does not answer;
    /// `None` when a ping is already out or the contact was heard from too recently to doubt.
    Cached(Option<Contact<A, K>>),
}

/// A removed entry and the replacement to verify in its place.
pub(crate) type Eviction<A, K> = (Entry<A, K>, Option<Contact<A, K>>);

#[derive(Clone, Debug)]
pub(crate) struct Bucket<A, K> {
    /// Least recently seen first.
    entries: Vec<Entry<A, K>>,
    /// Most recently seen last.
    replacements: Vec<Entry<A, K>>,
    /// When a lookup last targeted a key in this bucket's range.
    pub(crate) last_lookup: Instant,
}

impl<A: Clone + Eq, K: KeyType> Bucket<A, K> {
    pub(crate) fn new(now: Instant) -> Self {
        Bucket {
            entries: Vec::new(),
            replacements: Vec::new(),
            last_lookup: now,
        }
    }

    pub(crate) fn entries(&self) -> &[Entry<A, K>] {
        &self.entries
    }

    fn position(&self, id: &K) -> Option<usize> {
        self.entries.iter().position(|e| e.contact.id == *id)
    }

    pub(crate) fn get(&self, id: &K) -> Option<&Entry<A, K>> {
        self.entries.iter().find(|e| e.contact.id == *id)
    }

    pub(crate) fn get_mut(&mut self, id: &K) -> Option<&mut Entry<A, K>> {
        self.entries.iter_mut().find(|e| e.contact.id == *id)
    }

    /// Whether the bucket has room for another contact.
    pub(crate) fn has_room(&self, k: usize) -> bool {
        self.entries.len() < k
    }

    /// A contact answered a request of ours from `contact.addr`: refresh it, add it, or cache
    /// it. A full bucket asks for a check of its least-recently-seen contact only if that one
    /// has been silent for `ping_after`.
    pub(crate) fn offer(
        &mut self,
        contact: Contact<A, K>,
        now: Instant,
        k: usize,
        cache_size: usize,
        ping_after: Duration,
    ) -> Offer<A, K> {
        if let Some(i) = self.position(&contact.id) {
            if self.entries[i].contact.addr != contact.addr {
                // Old contacts are preferred: a known id claimed from another address does not
                // move or refresh the entry. If the old address is dead, failed requests remove
                // it and the id is welcome at its new address.
                return Offer::Conflict;
            }
            let mut entry = self.entries.remove(i);
            entry.last_seen = Stamp::of(now);
            entry.failures = 0;
            entry.pinging = false;
            self.entries.push(entry);
            return Offer::Refreshed;
        }
        if self.has_room(k) {
            // Grow one slot at a time: a bucket holds no unused slot (a simulator keeps a
            // million of these tables, and a contact is added only a few dozen times in a
            // node's life).
            if self.entries.len() == self.entries.capacity() {
                let want = (self.entries.len() + 1).min(k);
                self.entries.reserve_exact(want - self.entries.len());
            }
            self.entries.push(Entry::new(contact, now));
            return Offer::Added;
        }
        self.cache(contact, now, cache_size);
        Offer::Cached(self.doubt_lru(now, ping_after))
    }

    /// The least-recently-seen contact, marked as being pinged, if it has been silent for
    /// `ping_after` and no check of it is running: a newcomer waits for its slot.
    pub(crate) fn doubt_lru(
        &mut self,
        now: Instant,
        ping_after: Duration,
    ) -> Option<Contact<A, K>> {
        let lru = self.entries.first_mut()?;
        if lru.pinging || !lru.last_seen.aged(Stamp::of(now), ping_after) {
            return None;
        }
        lru.pinging = true;
        Some(lru.contact.clone())
    }

    /// Keeps `contact` as the most recent replacement, dropping the oldest beyond
    /// `cache_size`. Replacements are verified by a ping before they are promoted.
    pub(crate) fn cache(&mut self, contact: Contact<A, K>, now: Instant, cache_size: usize) {
        self.replacements.retain(|r| r.contact.id != contact.id);
        if cache_size == 0 {
            return;
        }
        if self.replacements.len() >= cache_size {
            self.replacements.remove(0);
        } else if self.replacements.len() == self.replacements.capacity() {
            let want = (self.replacements.len() * 2).max(2).min(cache_size);
            self.replacements
                .reserve_exact(want - self.replacements.len());
        }
        self.replacements.push(Entry::new(contact, now));
    }

    /// The most recently seen replacement, taken out of the cache to be verified and, if it
    /// answers, added; `None` if the cache is empty or the bucket has no room.
    pub(crate) fn take_replacement(&mut self, k: usize) -> Option<Contact<A, K>> {
        if !self.has_room(k) {
            return None;
        }
        // A replacement whose id came back into the bucket meanwhile is stale.
        let entries = &self.entries;
        self.replacements
            .retain(|r| !entries.iter().any(|e| e.contact.id == r.contact.id));
        self.replacements.pop().map(|r| r.contact)
    }

    /// Records a failed request to `id`. The contact is removed when `evict` is set and it was
    /// being pinged, or when it has failed `max_failures` times in a row. Returns the removed
    /// entry and the replacement to verify in its place (see
    /// [`take_replacement`](Self::take_replacement)).
    pub(crate) fn fail(
        &mut self,
        id: &K,
        evict: bool,
        max_failures: u8,
        k: usize,
    ) -> Option<Eviction<A, K>> {
        let i = self.position(id)?;
        let entry = &mut self.entries[i];
        entry.failures = entry.failures.saturating_add(1);
        if evict && entry.pinging || entry.failures >= max_failures {
            let removed = self.entries.remove(i);
            let replacement = self.take_replacement(k);
            return Some((removed, replacement));
        }
        if evict {
            entry.pinging = false;
        }
        None
    }

    /// Marks `id` as being pinged; false if it is unknown or already being pinged.
    pub(crate) fn start_ping(&mut self, id: &K) -> bool {
        match self.entries.iter_mut().find(|e| e.contact.id == *id) {
            Some(e) if !e.pinging => {
                e.pinging = true;
                true
            }
            _ => false,
        }
    }

    /// A ping marked by `start_ping` or `offer` could not be sent.
    pub(crate) fn cancel_ping(&mut self, id: &K) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.contact.id == *id) {
            e.pinging = false;
        }
    }

    pub(crate) fn replacements_len(&self) -> usize {
        self.replacements.len()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::key::Key;

    type Id = Key<20>;
    const K: usize = 3;
    const CACHE: usize = 2;
    const PING_AFTER: Duration = Duration::from_secs(60);

    fn id(n: u8) -> Id {
        let mut id = [0; 20];
        id[19] = n;
        Key::new(id)
    }

    fn c(n: u8) -> Contact<u32, Id> {
        Contact::new(id(n), u32::from(n))
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn ids(b: &Bucket<u32, Id>) -> Vec<u8> {
        b.entries()
            .iter()
            .map(|e| e.contact.id.as_bytes()[19])
            .collect()
    }

    fn offer(b: &mut Bucket<u32, Id>, n: u8, at: Instant) -> Offer<u32, Id> {
        b.offer(c(n), at, K, CACHE, PING_AFTER)
    }

    /// A bucket holding 1, 2 and 3, all last seen at `t0`.
    fn full(t0: Instant) -> Bucket<u32, Id> {
        let mut b = Bucket::new(t0);
        for n in 1..=3 {
            assert!(matches!(offer(&mut b, n, t0), Offer::Added));
        }
        b
    }

    #[derive(Clone, Debug)]
    enum Op {
        Offer(u8, u32, u64),
        Fail(u8, bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u8..10, 0u32..2, 0u64..90).prop_map(|(n, a, s)| Op::Offer(n, a, s)),
            1 => (0u8..10, any::<bool>()).prop_map(|(n, evict)| Op::Fail(n, evict)),
        ]
    }

    proptest! {
        /// At most k unique entries, from least to most recently seen, and at most cache_size
        /// replacements, whatever is offered and fails.
        #[test]
        fn bounded_unique_and_ordered(ops in prop::collection::vec(op(), 1..200)) {
            let mut now = Instant::now();
            let mut b = Bucket::new(now);
            for op in ops {
                match op {
                    Op::Offer(n, addr, s) => {
                        now += secs(s);
                        b.offer(Contact::new(id(n), addr), now, K, CACHE, PING_AFTER);
                    }
                    Op::Fail(n, evict) => {
                        b.fail(&id(n), evict, 2, K);
                    }
                }
                prop_assert!(b.entries().len() <= K);
                prop_assert!(b.replacements_len() <= CACHE);
                let mut unique = ids(&b);
                unique.sort_unstable();
                unique.dedup();
                prop_assert_eq!(unique.len(), b.entries().len());
                prop_assert!(b.entries().windows(2).all(|w| w[0].last_seen <= w[1].last_seen));
            }
        }
    }

    #[test]
    fn offering_a_known_contact_makes_it_the_most_recently_seen() {
        let t0 = Instant::now();
        let mut b = full(t0);
        assert_eq!(ids(&b), [1, 2, 3]);
        assert!(b.fail(&id(1), false, 3, K).is_none());
        assert!(matches!(offer(&mut b, 1, t0 + secs(5)), Offer::Refreshed));
        assert_eq!(ids(&b), [2, 3, 1]);
        let one = b.get(&id(1)).map(|e| (e.last_seen(), e.failures()));
        assert_eq!(one, Some((t0 + secs(5), 0)));
    }

    #[test]
    fn a_known_id_from_another_address_is_a_conflict() {
        let t0 = Instant::now();
        let mut b = full(t0);
        let before = b.entries().to_vec();
        let other = b.offer(Contact::new(id(1), 99), t0 + secs(90), K, CACHE, PING_AFTER);
        assert!(matches!(other, Offer::Conflict));
        assert_eq!(b.entries(), &before[..]);
        assert_eq!(b.replacements_len(), 0);
    }

    #[test]
    fn a_full_bucket_pings_its_lru_once_and_only_when_silent() {
        let t0 = Instant::now();
        let mut b = full(t0);
        assert!(matches!(
            offer(&mut b, 4, t0 + secs(59)),
            Offer::Cached(None)
        ));
        assert!(matches!(offer(&mut b, 5, t0 + secs(60)), Offer::Cached(Some(lru)) if lru == c(1)));
        assert!(matches!(
            offer(&mut b, 6, t0 + secs(61)),
            Offer::Cached(None)
        ));
        assert!(matches!(offer(&mut b, 1, t0 + secs(62)), Offer::Refreshed));
        assert!(matches!(offer(&mut b, 7, t0 + secs(63)), Offer::Cached(Some(lru)) if lru == c(2)));
        assert_eq!(b.replacements_len(), CACHE);
    }

    #[test]
    fn max_failures_remove_the_entry_and_offer_the_latest_replacement_for_verification() {
        let t0 = Instant::now();
        let mut b = full(t0);
        offer(&mut b, 4, t0 + secs(1));
        offer(&mut b, 5, t0 + secs(2));
        assert!(b.fail(&id(3), false, 2, K).is_none());
        assert_eq!(ids(&b), [1, 2, 3]);
        let (removed, replacement) = b.fail(&id(3), false, 2, K).expect("second failure evicts");
        assert_eq!((removed.contact, replacement), (c(3), Some(c(5))));
        assert_eq!(
            ids(&b),
            [1, 2],
            "the replacement is verified before it enters"
        );
        assert_eq!(b.replacements_len(), 1);
        assert_eq!(b.take_replacement(K), Some(c(4)));
        assert_eq!(b.take_replacement(K), None);
    }

    #[test]
    fn a_failed_ping_evicts_but_a_failed_request_alone_does_not() {
        let t0 = Instant::now();
        let mut b = full(t0);
        assert!(matches!(
            offer(&mut b, 4, t0 + secs(60)),
            Offer::Cached(Some(_))
        ));
        assert!(b.fail(&id(2), true, 5, K).is_none()); // 2 was not being pinged
        let (removed, replacement) = b
            .fail(&id(1), true, 5, K)
            .expect("the pinged LRU is evicted");
        assert_eq!((removed.contact, replacement), (c(1), Some(c(4))));
        assert_eq!(ids(&b), [2, 3]);
    }

    #[test]
    fn a_replacement_already_in_the_bucket_is_not_offered() {
        let t0 = Instant::now();
        let mut b = Bucket::new(t0);
        for n in 1..=4 {
            b.offer(c(n), t0 + secs(n.into()), 2, CACHE, PING_AFTER); // 3 and 4 are cached
        }
        assert!(matches!(offer(&mut b, 4, t0 + secs(5)), Offer::Added)); // the bucket grew
        let (_, replacement) = b.fail(&id(1), false, 1, K).expect("one failure evicts");
        assert_eq!(replacement, Some(c(3)));
        assert_eq!(ids(&b), [2, 4]);
        assert_eq!(b.replacements_len(), 0);
    }

    #[test]
    fn a_full_bucket_offers_no_replacement() {
        let t0 = Instant::now();
        let mut b = full(t0);
        offer(&mut b, 4, t0);
        assert_eq!(b.take_replacement(K), None);
        assert_eq!(b.replacements_len(), 1);
    }

    #[test]
    fn start_ping_marks_once_and_cancel_ping_clears() {
        let t0 = Instant::now();
        let mut b = full(t0);
        assert!(!b.start_ping(&id(9)));
        assert!(b.start_ping(&id(1)));
        assert!(!b.start_ping(&id(1)));
        assert!(matches!(
            offer(&mut b, 4, t0 + secs(60)),
            Offer::Cached(None)
        ));
        b.cancel_ping(&id(1));
        assert!(matches!(offer(&mut b, 5, t0 + secs(61)), Offer::Cached(Some(lru)) if lru == c(1)));
        assert!(!b.start_ping(&id(1))); // the offer marked it
        b.cancel_ping(&id(1));
        assert!(b.start_ping(&id(1)));
    }
}
