//! A running service's side of its data directory: the records the node changed, written in
//! one transaction at least every flush interval, and before a put's caller hears that it is
//! done; a write that fails (a full disk) is counted and tried again with the next batch,
//! while the node goes on serving from memory.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kad_core::{KeyType, Node, RecordChange};
use kad_proto::Multiaddr;

use crate::stats::Published;
use crate::storage::{Storage, StorageError};

/// The data directory of a running service.
#[derive(Debug)]
pub(crate) struct Persistence<K> {
    storage: Storage,
    interval: Duration,
    /// When the next batch is written.
    next_write: Instant,
    /// Changes of a batch that could not be written, by key, to write with the next one.
    unwritten: BTreeMap<K, RecordChange<K>>,
    /// When the routing table's contacts are next saved.
    next_contacts: Instant,
}

/// How often the routing table's contacts are saved (and when the service stops): a warm
/// restart needs some of them alive, not all of them current.
pub(crate) const CONTACTS_INTERVAL: Duration = Duration::from_secs(60);

impl<K: KeyType> Persistence<K> {
    /// Writes to `storage` at least every `interval` from `now`.
    fn new(storage: Storage, interval: Duration, now: Instant) -> Self {
        Persistence {
            storage,
            interval,
            next_write: now + interval,
            unwritten: BTreeMap::new(),
            next_contacts: now + CONTACTS_INTERVAL,
        }
    }

    /// Puts back into `node` the records saved in `storage` that have not expired (one the
    /// node's rules no longer take is left out), has the node report its changes for
    /// writing at least every `interval`, and bootstraps it through its saved contacts.
    pub(crate) fn restore(
        node: &mut Node<Multiaddr, K>,
        storage: Storage,
        interval: Duration,
    ) -> Result<Self, StorageError> {
        let now = Instant::now();
        for (key, record, remaining, published) in storage.records(SystemTime::now())? {
            let _ = node.restore_record(now, key, record, remaining, published);
        }
        node.track_record_changes();
        // A warm restart: the contacts of the last run are asked first, the most recently
        // heard from first.
        let contacts = storage.contacts()?;
        if !contacts.is_empty() {
            let _ = node.bootstrap(now, contacts);
        }
        Ok(Persistence::new(storage, interval, now))
    }

    /// When the next batch is due.
    pub(crate) fn next_write(&self) -> Instant {
        self.next_write
    }

    /// Saves the routing table's contacts if they are due (or `now` is the end).
    pub(crate) fn save_contacts(
        &mut self,
        node: &Node<Multiaddr, K>,
        now: Instant,
        end: bool,
        published: &Published,
    ) {
        if !end && now < self.next_contacts {
            return;
        }
        self.next_contacts = now + CONTACTS_INTERVAL;
        let wall = SystemTime::now();
        let contacts: Vec<_> = node
            .routing_table()
            .iter()
            .map(|entry| {
                let contact = entry.contact();
                let ago = now.saturating_duration_since(entry.last_seen());
                let seen = wall.checked_sub(ago).unwrap_or(UNIX_EPOCH);
                (contact.id, contact.addr.clone(), seen)
            })
            .collect();
        if self.storage.save_contacts(&contacts).is_err() {
            published.storage_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes what `node` changed since the last batch; returns whether it is on disk.
    pub(crate) fn write(
        &mut self,
        node: &mut Node<Multiaddr, K>,
        now: Instant,
        published: &Published,
    ) -> bool {
        self.next_write = now + self.interval;
        for change in node.take_record_changes(now) {
            let key = match &change {
                RecordChange::Stored { key, .. } | RecordChange::Removed { key } => *key,
            };
            self.unwritten.insert(key, change);
        }
        if self.unwritten.is_empty() {
            return true;
        }
        let batch: Vec<RecordChange<K>> = self.unwritten.values().cloned().collect();
        match self.storage.write(&batch, SystemTime::now()) {
            Ok(()) => {
                self.unwritten.clear();
                true
            }
            Err(_) => {
                published.storage_errors.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }
}
