//! The local record store: values this node holds, each with an absolute expiry and the times of
//! its next republication, bounded in count, in value size, and in what one subnet may store.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::address::Subnet;
use crate::error::CommandError;
use crate::key::KeyType;
use crate::quota::SubnetQuota;
use crate::record::Record;

/// One stored record and its schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stored {
    pub(crate) record: Record,
    /// The record is dropped at this instant.
    pub(crate) expires: Instant,
    /// When this holder next sends the record to the k closest nodes.
    pub(crate) republish_at: Instant,
    /// Set when this node is the original publisher: it re-puts with a fresh lifetime then.
    pub(crate) reput_at: Option<Instant>,
    /// The subnet whose STORE put it here, when it counts against that subnet's quota.
    pub(crate) origin: Option<Subnet>,
}

impl Stored {
    /// Remaining lifetime in whole seconds, as sent on the wire.
    pub(crate) fn ttl_secs(&self, now: Instant) -> u32 {
        ttl_secs(self.expires, now)
    }
}

/// The whole seconds from `now` to `expires`, as a STORE or a value carries them.
pub(crate) fn ttl_secs(expires: Instant, now: Instant) -> u32 {
    let secs = expires.saturating_duration_since(now).as_secs();
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// What [`RecordStore::accept`] did with a record it had room for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// Stored, or merged with the copy held.
    Stored,
    /// Refused: a different value held here lives longer.
    Shortening,
    /// Refused: the sender's subnet has had its quota of records stored here.
    OverQuota,
    /// Refused: the record held here is better (a mutable record as new or newer, or
    /// newer than the writer expected); its sequence number, if it has one.
    Superseded(Option<u64>),
}

/// A round of periodic sending, and how it moves a record's schedule on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Round {
    /// A holder re-sends the records it received, with the lifetime they have left.
    Republish {
        /// Until the next republication.
        interval: Duration,
    },
    /// The original publisher re-puts its own records with a fresh lifetime.
    Reput {
        /// Until the next re-put.
        interval: Duration,
        /// The renewed lifetime.
        lifetime: Duration,
    },
}

impl Round {
    /// Whether `record` is due in this round at `now`; if so, its schedule is moved on.
    fn take(self, record: &mut Stored, now: Instant) -> bool {
        match self {
            // The publisher's own records are re-put instead.
            Round::Republish { interval } => {
                let due =
                    record.reput_at.is_none() && record.republish_at <= now && record.expires > now;
                if due {
                    record.republish_at = now + interval;
                }
                due
            }
            Round::Reput { interval, lifetime } => {
                let due = record.reput_at.is_some_and(|t| t <= now);
                if due {
                    record.reput_at = Some(now + interval);
                    record.expires = now + lifetime;
                    record.republish_at = now + interval;
                }
                due
            }
        }
    }
}

/// A record due to be sent: its key, the record and its expiry.
pub(crate) type Due<K> = (K, Record, Instant);

/// Records keyed by record key. A `BTreeMap` so that iteration (republishing) is deterministic.
#[derive(Clone, Debug)]
pub(crate) struct RecordStore<K> {
    records: BTreeMap<K, Stored>,
    max_records: usize,
    max_value_size: usize,
    quota: SubnetQuota,
    /// Keys whose record was stored, changed or dropped since the changes were last taken,
    /// when they are tracked: at most the keys held plus those dropped since.
    changed: Option<BTreeSet<K>>,
}

impl<K: KeyType> RecordStore<K> {
    pub(crate) fn new(max_records: usize, max_value_size: usize, max_per_subnet: usize) -> Self {
        RecordStore {
            records: BTreeMap::new(),
            max_records,
            max_value_size,
            quota: SubnetQuota::new(max_per_subnet),
            changed: None,
        }
    }

    /// Tracks from now on which keys change, for [`take_changed`](Self::take_changed).
    pub(crate) fn track_changes(&mut self) {
        self.changed.get_or_insert_with(BTreeSet::new);
    }

    /// The keys changed since the last call, if changes are tracked.
    pub(crate) fn take_changed(&mut self) -> BTreeSet<K> {
        self.changed
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn mark(&mut self, key: K) {
        if let Some(changed) = &mut self.changed {
            changed.insert(key);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    pub(crate) fn check_value(&self, value: &[u8]) -> Result<(), CommandError> {
        if value.len() > self.max_value_size {
            return Err(CommandError::ValueTooLarge {
                len: value.len(),
                max: self.max_value_size,
            });
        }
        Ok(())
    }

    /// Whether a record for `key` could be stored now.
    pub(crate) fn has_room_for(&self, key: &K) -> Result<(), CommandError> {
        if self.records.len() >= self.max_records && !self.records.contains_key(key) {
            return Err(CommandError::StoreFull {
                max: self.max_records,
            });
        }
        Ok(())
    }

    /// Stores a record this node publishes. When the store is full, a record received from
    /// another node (the one farthest from `local`) makes room: remote STOREs can never lock a
    /// node out of publishing.
    pub(crate) fn publish(
        &mut self,
        key: K,
        record: Stored,
        local: &K,
    ) -> Result<(), CommandError> {
        self.check_value(record.record.value())?;
        if self.has_room_for(&key).is_err() {
            let farthest_remote = self
                .records
                .iter()
                .filter(|(_, r)| r.reput_at.is_none())
                .max_by_key(|(k, _)| k.distance(local))
                .map(|(k, _)| *k);
            match farthest_remote {
                Some(victim) => {
                    if let Some(removed) = self.records.remove(&victim) {
                        self.quota.remove(removed.origin);
                        self.mark(victim);
                    }
                }
                None => self.has_room_for(&key)?,
            }
        }
        if let Some(replaced) = self.records.insert(key, record) {
            self.quota.remove(replaced.origin);
        }
        self.mark(key);
        Ok(())
    }

    /// The record held for `key`, live or not.
    pub(crate) fn peek(&self, key: &K) -> Option<&Stored> {
        self.records.get(key)
    }

    /// Stores a record received from another node; `compare` says which of two records is
    /// better (the validator's rule), and `cas` is the sequence number the writer expects
    /// to replace.
    ///
    /// This node's own publication of the key wins over any remote copy that is not better.
    /// A better record replaces the one held and a worse one is refused. Between records
    /// neither better: a copy of the value already held can only extend its lifetime
    /// (republications carry the remaining lifetime, which may be older); a different value
    /// replaces the old one only if it lives at least as long, so that no STORE can cut
    /// short a copy held for others, and a mutable record never replaces another of the
    /// same sequence number.
    pub(crate) fn accept(
        &mut self,
        key: K,
        new: Stored,
        cas: Option<u64>,
        compare: impl Fn(&Record, &Record) -> Ordering,
    ) -> Result<Accepted, CommandError> {
        let accepted = self.take_in(key, new, cas, compare)?;
        if accepted == Accepted::Stored {
            self.mark(key);
        }
        Ok(accepted)
    }

    /// [`accept`](Self::accept) but for the changes.
    fn take_in(
        &mut self,
        key: K,
        new: Stored,
        cas: Option<u64>,
        compare: impl Fn(&Record, &Record) -> Ordering,
    ) -> Result<Accepted, CommandError> {
        self.check_value(new.record.value())?;
        let Some(old) = self.records.get_mut(&key) else {
            if !self.quota.admits(new.origin) {
                return Ok(Accepted::OverQuota);
            }
            self.has_room_for(&key)?;
            self.quota.add(new.origin);
            self.records.insert(key, new);
            return Ok(Accepted::Stored);
        };
        let held_seq = old.record.seq();
        if let (Some(cas), Some(held)) = (cas, held_seq) {
            if held > cas {
                return Ok(Accepted::Superseded(held_seq));
            }
        }
        match compare(&new.record, &old.record) {
            Ordering::Less => return Ok(Accepted::Superseded(held_seq)),
            Ordering::Greater => {}
            // Another value under the same sequence number never replaces the one held.
            Ordering::Equal if held_seq.is_some() && old.record != new.record => {
                return Ok(Accepted::Superseded(held_seq))
            }
            Ordering::Equal if old.reput_at.is_some() => return Ok(Accepted::Stored),
            Ordering::Equal if old.record == new.record => {
                if new.expires >= old.expires {
                    // A fresher copy was just republished to us: skip our own next round.
                    old.expires = new.expires;
                    old.republish_at = new.republish_at;
                }
                return Ok(Accepted::Stored);
            }
            Ordering::Equal if new.expires < old.expires => return Ok(Accepted::Shortening),
            Ordering::Equal => {}
        }
        if !self.quota.admits(new.origin) {
            return Ok(Accepted::OverQuota);
        }
        self.quota.remove(old.origin);
        self.quota.add(new.origin);
        *old = new;
        Ok(Accepted::Stored)
    }

    /// The live record for `key`.
    pub(crate) fn get(&self, key: &K, now: Instant) -> Option<&Stored> {
        self.records.get(key).filter(|r| r.expires > now)
    }

    /// Drops expired records; returns how many.
    pub(crate) fn expire(&mut self, now: Instant) -> usize {
        let before = self.records.len();
        let quota = &mut self.quota;
        let changed = &mut self.changed;
        self.records.retain(|key, r| {
            let live = r.expires > now;
            if !live {
                quota.remove(r.origin);
                if let Some(changed) = changed {
                    changed.insert(*key);
                }
            }
            live
        });
        before - self.records.len()
    }

    /// At most `max` records due in `round`, in key order, with their schedules moved on.
    pub(crate) fn due(&mut self, now: Instant, round: Round, max: usize) -> Vec<Due<K>> {
        let due: Vec<Due<K>> = self
            .records
            .iter_mut()
            .filter_map(|(key, record)| {
                let due = round.take(record, now);
                due.then(|| (*key, record.record.clone(), record.expires))
            })
            .take(max)
            .collect();
        // A re-put gives the record a new lifetime.
        if let Round::Reput { .. } = round {
            for (key, _, _) in &due {
                self.mark(*key);
            }
        }
        due
    }

    /// Every live record, in key order.
    pub(crate) fn iter(&self, now: Instant) -> impl Iterator<Item = (&K, &Stored)> {
        self.records.iter().filter(move |(_, r)| r.expires > now)
    }
}
