//! What a routing table tells maintenance: silent contacts, stale buckets, buckets to top up.

use std::time::{Duration, Instant};

use super::RoutingTable;
use crate::address::Address;
use crate::key::KeyType;
use crate::stamp::Stamp;

/// What a table knows without reading its buckets, so that maintenance (every few seconds,
/// on every node) reads them only when something may be due: a node's buckets are a dozen
/// allocations, and a simulator keeps a million tables. Each bound only ever grows stale in
/// the safe direction: entries are only heard from later, buckets only looked up later, and
/// anything new is stamped with a later time, as every `now` a node is given is at or after
/// the one before (a driver whose time went backwards would delay checks, not lose them).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Hints {
    /// No entry was last heard from before this, if known.
    pub(super) oldest_seen: Option<Stamp>,
    /// No bucket was last looked up before this, if known.
    pub(super) oldest_lookup: Option<Instant>,
    /// Whether a bucket may have both room and a replacement to verify: set when a
    /// replacement is cached or a contact removed, cleared by [`RoutingTable::topped_up`].
    pub(super) top_up: bool,
}

impl<A: Address, K: KeyType> RoutingTable<A, K> {
    /// Contacts silent since before `now - peer_timeout` and not already being pinged.
    ///
    /// Nothing is read until the oldest entry may have been silent that long; then a bucket
    /// (which keeps its entries least recently seen first) is read only up to its first
    /// contact heard from within the timeout: maintenance does not walk the whole table.
    pub(crate) fn silent(&mut self, now: Instant, peer_timeout: Duration) -> Vec<K> {
        let now = Stamp::of(now);
        if let Some(oldest) = self.hints.oldest_seen {
            if !oldest.aged(now, peer_timeout) {
                return Vec::new();
            }
        }
        self.hints.oldest_seen = self
            .buckets
            .iter()
            .filter_map(|b| b.entries().first().map(|e| e.last_seen))
            .min();
        self.buckets
            .iter()
            .flat_map(|b| {
                b.entries()
                    .iter()
                    .take_while(move |e| e.last_seen.aged(now, peer_timeout))
            })
            .filter(|e| !e.pinging)
            .map(|e| e.contact.id)
            .collect()
    }

    /// Notes that a lookup for `target` ran at `now`, which keeps its bucket fresh.
    pub(crate) fn touch(&mut self, target: &K, now: Instant) {
        if let Some(i) = self.bucket_index(target) {
            if let Some(b) = self.buckets.get_mut(i) {
                b.last_lookup = now;
            }
        }
    }

    /// Indices of allocated buckets with no lookup into them for `interval`.
    pub(crate) fn stale_buckets(&mut self, now: Instant, interval: Duration) -> Vec<usize> {
        if let Some(oldest) = self.hints.oldest_lookup {
            if now.saturating_duration_since(oldest) < interval {
                return Vec::new();
            }
        }
        self.hints.oldest_lookup = self.buckets.iter().map(|b| b.last_lookup).min();
        (0..self.buckets.len())
            .filter(|&i| now.saturating_duration_since(self.buckets[i].last_lookup) >= interval)
            .collect()
    }

    /// Whether a bucket may have room and a replacement to verify (if not, a pass of
    /// [`take_replacement_at`](Self::take_replacement_at) over every bucket finds nothing).
    pub(crate) fn may_top_up(&self) -> bool {
        self.hints.top_up
    }

    /// A pass over every bucket found none with room and a replacement.
    pub(crate) fn topped_up(&mut self) {
        self.hints.top_up = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::Contact;
    use crate::key::Key;
    use crate::routing::Diversity;

    type Id = Key<20>;
    const K: usize = 3;
    const MIN: Duration = Duration::from_secs(60);

    fn table() -> RoutingTable<u32, Id> {
        let diversity = Diversity {
            per_bucket: K,
            per_table: usize::MAX,
            exempt_local: true,
        };
        RoutingTable::new(Key::new([0; 20]), K, 2, diversity)
    }

    /// A contact of bucket 0 (its first bit differs from the local id's).
    fn contact(n: u8) -> Contact<u32, Id> {
        let mut id = [0; 20];
        id[0] = 0x80;
        id[19] = n;
        Contact::new(Key::new(id), u32::from(n))
    }

    #[test]
    fn a_contact_becomes_silent_whenever_maintenance_looked_before() {
        let t0 = Instant::now();
        let mut table = table();
        let _ = table.offer(contact(1), t0, MIN);
        let _ = table.offer(contact(2), t0 + 10 * MIN, MIN);
        let timeout = 15 * MIN;
        assert!(table.silent(t0 + 5 * MIN, timeout).is_empty());
        assert_eq!(table.silent(t0 + 15 * MIN, timeout), [contact(1).id]);
        // Heard from again: the other one is next, and stays silent until it is heard from.
        let _ = table.offer(contact(1), t0 + 16 * MIN, MIN);
        assert!(table.silent(t0 + 24 * MIN, timeout).is_empty());
        assert_eq!(table.silent(t0 + 25 * MIN, timeout), [contact(2).id]);
        assert_eq!(table.silent(t0 + 26 * MIN, timeout), [contact(2).id]);
        // A contact added after a look is found in its turn.
        for n in [3, 1, 2] {
            let _ = table.offer(contact(n), t0 + 27 * MIN, MIN);
        }
        assert!(table.silent(t0 + 31 * MIN, timeout).is_empty());
        let all = [contact(3).id, contact(1).id, contact(2).id];
        assert_eq!(table.silent(t0 + 42 * MIN, timeout), all);
    }

    #[test]
    fn a_bucket_becomes_stale_whenever_maintenance_looked_before() {
        let t0 = Instant::now();
        let mut table = table();
        let _ = table.offer(contact(1), t0, MIN);
        let mut deep = [0; 20];
        deep[0] = 0x40;
        let _ = table.offer(Contact::new(Key::new(deep), 9), t0, MIN);
        let hour = 60 * MIN;
        assert!(table.stale_buckets(t0 + 30 * MIN, hour).is_empty());
        table.touch(&contact(7).id, t0 + 40 * MIN);
        assert_eq!(table.stale_buckets(t0 + hour, hour), [1]);
        assert_eq!(table.stale_buckets(t0 + hour + MIN, hour), [1]);
        assert_eq!(table.stale_buckets(t0 + 100 * MIN, hour), [0, 1]);
    }

    #[test]
    fn a_freed_slot_makes_the_buckets_worth_topping_up_again() {
        let t0 = Instant::now();
        let mut table = table();
        for n in 1..=3 {
            let _ = table.offer(contact(n), t0, MIN);
        }
        table.cache(contact(4), t0);
        table.cache(contact(5), t0);
        assert!(table.may_top_up());
        assert_eq!(table.take_replacement_at(0), None, "the bucket is full");
        table.topped_up();
        assert!(!table.may_top_up());
        // The removal hands over the newest replacement; the other waits for the next pass.
        let removed = table.fail(&contact(2).id, &2, t0, true, 1);
        assert_eq!(removed.map(|r| r.replacement), Some(Some(contact(5))));
        assert!(table.may_top_up());
        assert_eq!(table.take_replacement_at(0), Some(contact(4)));
    }
}
