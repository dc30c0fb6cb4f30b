//! One k-bucket: up to k contacts that share the same prefix length with the local id, ordered
//! from least to most recently seen, plus a small cache of replacements.

use std::time::{Duration, Instant};

use crate::contact::Contact;
use crate::key::KeyType;

/// A contact in the routing table with what the table knows about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<A, K> {
    pub(crate) contact: Contact<A, K>,
    pub(crate) last_seen: Instant,
    pub(crate) failures: u8,
    /// A ping to this contact is in flight; if it fails the contact is removed.
    pub(crate) pinging: bool,
}

impl<A, K> Entry<A, K> {
    /// The contact.
    pub fn contact(&self) -> &Contact<A, K> {
        &self.contact
    }

    /// When a message from this contact was last received.
    pub fn last_seen(&self) -> Instant {
        self.last_seen
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

/// A removed entry and the replacement promoted in its place.
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

    /// A message arrived from `contact`: refresh it, add it, or cache it. A full bucket asks
    /// for a check of its least-recently-seen contact only if that one has been silent for
    /// `ping_after`.
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
            entry.last_seen = now;
            entry.failures = 0;
            entry.pinging = false;
            self.entries.push(entry);
            return Offer::Refreshed;
        }
        let entry = Entry {
            contact,
            last_seen: now,
            failures: 0,
            pinging: false,
        };
        if self.entries.len() < k {
            // Grow 4, 8, 16, ..., k: a full bucket holds exactly k slots, not the next power
            // of two (a simulator keeps a million of these tables).
            if self.entries.len() == self.entries.capacity() {
                let want = (self.entries.len() * 2).max(4).min(k);
                self.entries.reserve_exact(want - self.entries.len());
            }
            self.entries.push(entry);
            return Offer::Added;
        }
        self.replacements
            .retain(|r| r.contact.id != entry.contact.id);
        if cache_size > 0 {
            if self.replacements.len() >= cache_size {
                self.replacements.remove(0);
            } else if self.replacements.len() == self.replacements.capacity() {
                let want = (self.replacements.len() * 2).max(2).min(cache_size);
                self.replacements
                    .reserve_exact(want - self.replacements.len());
            }
            self.replacements.push(entry);
        }
        let lru = &mut self.entries[0];
        if lru.pinging || now.saturating_duration_since(lru.last_seen) < ping_after {
            Offer::Cached(None)
        } else {
            lru.pinging = true;
            Offer::Cached(Some(lru.contact.clone()))
        }
    }

    /// Records a failed request to `id`. The contact is removed, and the most recently seen
    /// replacement takes its place, when `evict` is set or it has failed `max_failures` times in
    /// a row. Returns the removed entry and the promoted replacement.
    pub(crate) fn fail(&mut self, id: &K, evict: bool, max_failures: u8) -> Option<Eviction<A, K>> {
        let i = self.position(id)?;
        let entry = &mut self.entries[i];
        entry.failures = entry.failures.saturating_add(1);
        if evict && entry.pinging || entry.failures >= max_failures {
            let removed = self.entries.remove(i);
            // A replacement whose id came back into the bucket meanwhile is stale.
            let entries = &self.entries;
            self.replacements
                .retain(|r| !entries.iter().any(|e| e.contact.id == r.contact.id));
            let promoted = self.replacements.pop().map(|r| {
                let contact = r.contact.clone();
                // Keep least-recently-seen order: the replacement goes where its age puts it.
                let at = self
                    .entries
                    .iter()
                    .position(|e| e.last_seen > r.last_seen)
                    .unwrap_or(self.entries.len());
                self.entries.insert(at, r);
                contact
            });
            return Some((removed, promoted));
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
