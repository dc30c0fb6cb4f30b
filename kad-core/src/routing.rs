//! The routing table: one k-bucket per shared-prefix length with the local id.
//!
//! Bucket `i` holds contacts whose ids share exactly `i` leading bits with the local id. Only
//! buckets up to the deepest one in use are allocated, so a table costs memory in proportion to
//! what it holds. [`RoutingTable::closest`] walks buckets in order of distance to the target
//! instead of sorting the whole table.

use std::time::{Duration, Instant};

use crate::address::{same_endpoint, Address, AddressScope, Subnet};
use crate::bucket::{Bucket, Entry, Offer};
use crate::contact::Contact;
use crate::key::KeyType;
use crate::rtt::CompactRtt;
use crate::subnet_filter::SubnetFilter;

mod hints;

use hints::Hints;

/// What [`RoutingTable::offer`] did with a contact.
pub(crate) enum Update<A, K> {
    /// Already known; now the most recently seen.
    Refreshed,
    /// Added to bucket `bucket`.
    Added { bucket: usize },
    /// Its bucket is full; cached as a replacement. `ping` is the least-recently-seen contact
    /// to check, if no check is already running and it has been silent long enough to doubt.
    Cached { ping: Option<Contact<A, K>> },
    /// Kept out by the subnet limits, or another id holds its IP and port.
    Refused,
    /// The local id: never stored.
    Local,
}

/// What [`RoutingTable::offer_unverified`] did with a contact not yet verified.
pub(crate) enum Unverified<A, K> {
    /// Its id is in the table already (at this address or another): nothing to do.
    Known,
    /// Its bucket has room: verify it, then offer it (the subnet limits apply then).
    Room,
    /// Its bucket is full; cached as a replacement, to be verified before any promotion.
    /// `ping` is the least-recently-seen contact to check, as for [`Update::Cached`].
    Cached { ping: Option<Contact<A, K>> },
}

/// A contact removed by [`RoutingTable::fail`], and the replacement to verify in its place.
pub(crate) struct Removal<A, K> {
    pub(crate) removed: Contact<A, K>,
    pub(crate) replacement: Option<Contact<A, K>>,
}

/// The subnet-diversity rule: how many contacts of one IPv4 /24 or IPv6 /64 a bucket and the
/// whole table may hold, and whether local addresses are exempt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Diversity {
    pub(crate) per_bucket: usize,
    pub(crate) per_table: usize,
    pub(crate) exempt_local: bool,
}

/// The k-buckets of one node.
#[derive(Clone, Debug)]
pub struct RoutingTable<A, K> {
    local: K,
    k: usize,
    cache_size: usize,
    diversity: Diversity,
    buckets: Vec<Bucket<A, K>>,
    len: usize,
    /// The subnets of the contacts in the table, for [`diverse`](Self::diverse).
    subnets: SubnetFilter,
    /// What maintenance need not read the table for (see [`Hints`]).
    hints: Hints,
}

impl<A: Address, K: KeyType> RoutingTable<A, K> {
    /// An empty table for the node `local`, with buckets of `k` contacts and `cache_size`
    /// replacements each.
    pub(crate) fn new(local: K, k: usize, cache_size: usize, diversity: Diversity) -> Self {
        RoutingTable {
            local,
            k,
            cache_size,
            diversity,
            buckets: Vec::new(),
            len: 0,
            subnets: SubnetFilter::default(),
            hints: Hints::default(),
        }
    }

    /// The local id.
    pub fn local_id(&self) -> &K {
        &self.local
    }

    /// Number of contacts in the table (replacement caches not counted).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table holds no contact.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bucket `id` belongs in, or `None` for the local id.
    pub fn bucket_index(&self, id: &K) -> Option<usize> {
        let i = self.local.shared_prefix_len(id);
        (i < K::BITS).then_some(i)
    }

    /// Number of buckets allocated (one past the deepest bucket that ever held a contact).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// The contacts of bucket `index`, least recently seen first.
    pub fn bucket(&self, index: usize) -> &[Entry<A, K>] {
        self.buckets.get(index).map_or(&[], |b| b.entries())
    }

    /// Every contact, bucket by bucket.
    pub fn iter(&self) -> impl Iterator<Item = &Entry<A, K>> {
        self.buckets.iter().flat_map(|b| b.entries().iter())
    }

    /// The entry for `id`, if known.
    pub fn get(&self, id: &K) -> Option<&Entry<A, K>> {
        let i = self.bucket_index(id)?;
        self.buckets.get(i)?.get(id)
    }

    /// Whether `id` is in the table.
    pub fn contains(&self, id: &K) -> bool {
        self.get(id).is_some()
    }

    fn bucket_mut(&mut self, index: usize, now: Instant) -> &mut Bucket<A, K> {
        if index >= self.buckets.len() {
            self.buckets.reserve_exact(index + 1 - self.buckets.len());
            self.buckets.resize_with(index + 1, || Bucket::new(now));
        }
        &mut self.buckets[index]
    }

    /// `contact` answered a request of ours from its address at `now`. If its bucket is
    /// full, the least-recently-seen contact is to be checked only if it has been silent for
    /// `ping_after`.
    pub(crate) fn offer(
        &mut self,
        contact: Contact<A, K>,
        now: Instant,
        ping_after: Duration,
    ) -> Update<A, K> {
        let Some(index) = self.bucket_index(&contact.id) else {
            return Update::Local;
        };
        if self.would_add(index, &contact) && !self.diverse(index, &contact) {
            return Update::Refused;
        }
        let (k, cache) = (self.k, self.cache_size);
        let subnet = contact.addr.socket_addr().map(|s| Subnet::of(s.ip()));
        match self
            .bucket_mut(index, now)
            .offer(contact, now, k, cache, ping_after)
        {
            Offer::Refreshed | Offer::Conflict => Update::Refreshed,
            Offer::Added => {
                self.len += 1;
                if let Some(subnet) = subnet {
                    self.subnets.insert(subnet);
                }
                Update::Added { bucket: index }
            }
            Offer::Cached(ping) => Update::Cached { ping },
        }
    }

    /// `contact` sent this node a request: it may be anyone at any address, so no entry
    /// changes. When its bucket is full it waits in the replacement cache (and the bucket's
    /// least-recently-seen contact may be doubted, as for a verified newcomer).
    pub(crate) fn offer_unverified(
        &mut self,
        contact: Contact<A, K>,
        now: Instant,
        ping_after: Duration,
    ) -> Unverified<A, K> {
        let Some(index) = self.bucket_index(&contact.id) else {
            return Unverified::Known;
        };
        if self.contains(&contact.id) {
            return Unverified::Known;
        }
        if self.buckets.get(index).is_none_or(|b| b.has_room(self.k)) {
            // The subnet rule is checked when the answer comes, not on every request.
            return Unverified::Room;
        }
        let cache = self.cache_size;
        let bucket = self.bucket_mut(index, now);
        bucket.cache(contact, now, cache);
        Unverified::Cached {
            ping: bucket.doubt_lru(now, ping_after),
        }
    }

    /// Whether offering `contact` to bucket `index` would add it (unknown id, room left).
    fn would_add(&self, index: usize, contact: &Contact<A, K>) -> bool {
        self.buckets
            .get(index)
            .is_none_or(|b| b.get(&contact.id).is_none() && b.has_room(self.k))
    }

    /// Whether the subnet-diversity rule lets `contact` into bucket `index`: no other entry at
    /// its IP and port, and (unless its address is local and exempt) fewer than the limits of
    /// its subnet in the bucket and in the table. Opaque addresses always pass.
    fn diverse(&self, index: usize, contact: &Contact<A, K>) -> bool {
        let Some(socket) = contact.addr.socket_addr() else {
            return true;
        };
        let d = self.diversity;
        let limited = !(d.exempt_local && AddressScope::of(&socket) == AddressScope::Local);
        let subnet = Subnet::of(socket.ip());
        if !self.subnets.may_contain(subnet) {
            // No contact of its subnet, so none at its IP and port either.
            return true;
        }
        let (mut in_bucket, mut in_table) = (0, 0);
        // One pass over the table: this runs for every contact about to be added.
        for (i, bucket) in self.buckets.iter().enumerate() {
            for e in bucket.entries() {
                let Some(other) = e.contact.addr.socket_addr() else {
                    continue;
                };
                if same_endpoint(other, socket) {
                    return false;
                }
                if limited && Subnet::of(other.ip()) == subnet {
                    in_table += 1;
                    in_bucket += usize::from(i == index);
                }
            }
        }
        !limited || in_bucket < d.per_bucket && in_table < d.per_table
    }

    /// A request sent to `id` at `addr` at `sent` went unanswered. See [`Bucket::fail`] for
    /// when the contact goes. A failure at an address other than the table's says nothing
    /// about the contact, nor does one of a contact heard from since `sent`.
    pub(crate) fn fail(
        &mut self,
        id: &K,
        addr: &A,
        sent: Instant,
        evict: bool,
        max_failures: u8,
    ) -> Option<Removal<A, K>> {
        // It answered something since the request went (a request sent again, say): alive.
        if self
            .get(id)
            .is_none_or(|e| e.contact.addr != *addr || e.last_seen() > sent)
        {
            return None;
        }
        let index = self.bucket_index(id)?;
        let k = self.k;
        let (entry, replacement) = self
            .buckets
            .get_mut(index)?
            .fail(id, evict, max_failures, k)?;
        self.len -= 1;
        self.hints.top_up = true;
        self.note_subnets();
        Some(Removal {
            removed: entry.contact,
            replacement,
        })
    }

    /// Rebuilds the summary of the table's subnets, after a removal.
    fn note_subnets(&mut self) {
        self.subnets.clear();
        for e in self.buckets.iter().flat_map(|b| b.entries()) {
            if let Some(socket) = e.contact.addr.socket_addr() {
                self.subnets.insert(Subnet::of(socket.ip()));
            }
        }
    }

    /// The next replacement to verify for the bucket `id` belongs in, if it has room.
    pub(crate) fn take_replacement(&mut self, id: &K) -> Option<Contact<A, K>> {
        self.take_replacement_at(self.bucket_index(id)?)
    }

    /// The next replacement to verify for bucket `index`, if it has room.
    pub(crate) fn take_replacement_at(&mut self, index: usize) -> Option<Contact<A, K>> {
        let k = self.k;
        self.buckets.get_mut(index)?.take_replacement(k)
    }

    /// Keeps `contact`, not verified yet, as the most recent replacement of its bucket, if
    /// that bucket exists: a stranger's id does not allocate buckets.
    pub(crate) fn cache(&mut self, contact: Contact<A, K>, now: Instant) {
        let cache = self.cache_size;
        if let Some(bucket) = self
            .bucket_index(&contact.id)
            .and_then(|index| self.buckets.get_mut(index))
        {
            bucket.cache(contact, now, cache);
            self.hints.top_up = true;
        }
    }

    /// A round trip of `rtt` was measured to `id` at `addr`.
    pub(crate) fn note_rtt(&mut self, id: &K, addr: &A, rtt: Duration) {
        if let Some(entry) = self.entry_mut(id).filter(|e| e.contact.addr == *addr) {
            entry.rtt.sample(rtt);
        }
    }

    /// A ping to `id` at `addr` went unanswered for the round trip expected of it: until it
    /// answers, it counts as having failed once (answers leave it out).
    pub(crate) fn doubt(&mut self, id: &K, addr: &A) {
        if let Some(entry) = self.entry_mut(id).filter(|e| e.contact.addr == *addr) {
            entry.failures = entry.failures.max(1);
        }
    }

    /// What the table knows of the round trip to `id`.
    pub(crate) fn rtt_of(&self, id: &K) -> Option<CompactRtt> {
        self.get(id).map(|e| e.rtt)
    }

    fn entry_mut(&mut self, id: &K) -> Option<&mut Entry<A, K>> {
        let index = self.bucket_index(id)?;
        self.buckets.get_mut(index)?.get_mut(id)
    }

    /// Marks `id` as being pinged; false if unknown or already pinged.
    pub(crate) fn start_ping(&mut self, id: &K) -> bool {
        match self.bucket_index(id) {
            Some(i) => self.buckets.get_mut(i).is_some_and(|b| b.start_ping(id)),
            None => false,
        }
    }

    /// A ping marked by `start_ping` or `offer` could not be sent.
    pub(crate) fn cancel_ping(&mut self, id: &K) {
        if let Some(b) = self.bucket_index(id).and_then(|i| self.buckets.get_mut(i)) {
            b.cancel_ping(id);
        }
    }

    /// The `n` known contacts closest to `target`, closest first, skipping `exclude`.
    ///
    /// Buckets are visited in order of their distance to `target`, so only the buckets that can
    /// contribute are read and only their contacts are sorted.
    pub fn closest(&self, target: &K, n: usize, exclude: Option<&K>) -> Vec<Contact<A, K>> {
        self.closest_entries(target, n, exclude)
            .into_iter()
            .map(|e| e.contact.clone())
            .collect()
    }

    /// The entries of the `n` known contacts closest to `target`, closest first, skipping
    /// `exclude` (see [`closest`](Self::closest)).
    pub(crate) fn closest_entries(
        &self,
        target: &K,
        n: usize,
        exclude: Option<&K>,
    ) -> Vec<&Entry<A, K>> {
        let mut out = Vec::with_capacity(n.min(self.len));
        if n == 0 {
            return out;
        }
        let mut group = Vec::with_capacity(self.k);
        for i in self.buckets_by_distance(target) {
            let Some(bucket) = self.buckets.get(i) else {
                continue;
            };
            group.extend(
                bucket
                    .entries()
                    .iter()
                    .filter(|e| Some(&e.contact.id) != exclude)
                    .map(|e| (e.contact.id.distance(target), e)),
            );
            let room = n - out.len();
            if group.len() > room {
                // Only the `room` closest of the bucket are needed: select, then sort those.
                group.select_nth_unstable_by(room - 1, |a, b| a.0.cmp(&b.0));
                group.truncate(room);
            }
            group.sort_unstable_by_key(|entry| entry.0);
            out.extend(group.drain(..).map(|(_, e)| e));
            if out.len() >= n {
                break;
            }
        }
        out
    }

    /// The indices of the allocated buckets in the order of their contacts' distance to
    /// `target`, closest first: every contact of a bucket is closer to `target` than every
    /// contact of the buckets after it, so a search for the closest can stop at the first
    /// bucket that completes it.
    ///
    /// With `c` the bits `target` shares with the local id: bucket `c` agrees with `target`
    /// one bit further than any other, so it comes first. A deeper bucket `j` agrees with the
    /// local id up to bit `j` and differs from it there, so against the deeper buckets its
    /// contacts win bit `j` if the local id and `target` differ there (they come before every
    /// deeper bucket, shallowest first) and lose it otherwise (after every deeper bucket,
    /// deepest first). Then each shallower bucket `i` differs from `target` first at bit `i`.
    fn buckets_by_distance<'a>(&'a self, target: &'a K) -> impl Iterator<Item = usize> + 'a {
        let cpl = self.local.shared_prefix_len(target);
        let count = self.buckets.len();
        let (local, target) = (self.local.as_slice(), target.as_slice());
        let differ = move |j: &usize| bit(local, *j) != bit(target, *j);
        let deeper = cpl + 1..count.max(cpl + 1);
        std::iter::once(cpl)
            .chain(deeper.clone().filter(differ))
            .chain(deeper.rev().filter(move |j| !differ(j)))
            .chain((0..cpl.min(count)).rev())
    }

    /// Replacement contacts cached in bucket `index`.
    pub fn replacements_in(&self, index: usize) -> usize {
        self.buckets.get(index).map_or(0, |b| b.replacements_len())
    }
}

/// Bit `j` of `key`, counting from the most significant bit of its first byte.
fn bit(key: &[u8], j: usize) -> bool {
    key[j / 8] & (0x80 >> (j % 8)) != 0
}
