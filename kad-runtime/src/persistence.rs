//! A running service's side of its data directory. The node's record changes are written in
//! one transaction at least every flush interval, by a thread of the service's own so that
//! the reactor never waits for the disk; a put's caller hears that it is done only once the
//! writer has its record on disk, and a put's own record goes to the writer as soon as the
//! put starts, so that the disk and the network work at the same time. A write that fails (a
//! full disk) is counted and tried again with the next batch, while the node goes on serving
//! from memory. The routing table's contacts are saved every minute and at the end.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kad_core::{KeyType, Node, QueryResult, RecordChange};
use kad_proto::Multiaddr;
use tracing::Span;

use crate::command::Reply;
use crate::error::Error;
use crate::stats::Published;
use crate::storage::Storage;

/// How often the routing table's contacts are saved (and when the service stops): a warm
/// restart needs some of them alive, not all of them current.
pub(crate) const CONTACTS_INTERVAL: Duration = Duration::from_secs(60);

/// The most record changes kept for writing while the disk refuses them; more are dropped
/// (and counted in `storage_errors`) until a write succeeds.
pub(crate) const MAX_UNWRITTEN: usize = 100_000;

/// A finished put and where its result goes once its record is on disk.
pub(crate) type HeldPut<K> = (Reply, QueryResult<Multiaddr, K>);

/// What the writer thread is handed.
struct Batch<K> {
    changes: Vec<RecordChange<K>>,
    /// The wall clock when the changes were taken, which their lifetimes count from.
    wall: SystemTime,
    contacts: Option<Vec<(K, Multiaddr, SystemTime)>>,
    /// Told once everything before them is on disk.
    replies: Vec<HeldPut<K>>,
}

/// The data directory of a running service.
#[derive(Debug)]
pub(crate) struct Persistence<K: KeyType> {
    batches: Option<Sender<Batch<K>>>,
    writer: Option<JoinHandle<()>>,
    interval: Duration,
    /// When the next batch is written.
    next_write: Instant,
    /// When the routing table's contacts are next saved.
    next_contacts: Instant,
}

impl<K: KeyType> std::fmt::Debug for Batch<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("changes", &self.changes.len())
            .finish()
    }
}

impl<K: KeyType> Persistence<K> {
    /// Puts back into `node` the records saved in `storage` that have not expired (one the
    /// node's rules no longer take is left out), has the node report its changes for
    /// writing at least every `interval`, bootstraps it through its saved contacts, and
    /// starts the thread that writes (named after `name`, logging in `span`).
    pub(crate) fn restore(
        node: &mut Node<Multiaddr, K>,
        storage: Storage,
        interval: Duration,
        published: &Arc<Published>,
        name: String,
        span: &Span,
    ) -> Result<Self, Error> {
        let now = Instant::now();
        let wall = SystemTime::now();
        let (saved, expired) = storage.records(wall)?;
        // What expired while the node was down, or its rules no longer take, goes.
        let mut gone: Vec<_> = expired
            .into_iter()
            .map(|key| (RecordChange::Removed { key }, wall))
            .collect();
        for (key, record, remaining, published) in saved {
            if node
                .restore_record(now, key, record, remaining, published)
                .is_err()
            {
                gone.push((RecordChange::Removed { key }, wall));
            }
        }
        storage.write(&gone)?;
        node.track_record_changes();
        // A warm restart: the contacts of the last run are asked first, the most recently
        // heard from first.
        let contacts = storage.contacts()?;
        let seeds = contacts.len();
        if seeds > 0 && node.bootstrap(now, contacts).is_ok() {
            span.in_scope(|| tracing::info!(seeds, "bootstrap started from the saved contacts"));
        }
        let (batches, received) = mpsc::channel();
        let published = Arc::clone(published);
        let span = span.clone();
        let writer = thread::Builder::new()
            .name(name)
            .spawn(move || span.in_scope(|| write_batches(storage, &received, &published)))
            .map_err(Error::Thread)?;
        Ok(Persistence {
            batches: Some(batches),
            writer: Some(writer),
            interval,
            next_write: now + interval,
            next_contacts: now + CONTACTS_INTERVAL,
        })
    }

    /// When the next batch is due.
    pub(crate) fn next_write(&self) -> Instant {
        self.next_write
    }

    /// Hands the writer what `node` changed since the last batch (with the contacts, if
    /// they are due or this is the `end`), and `replies` to send once it is on disk.
    pub(crate) fn write(
        &mut self,
        node: &mut Node<Multiaddr, K>,
        now: Instant,
        replies: Vec<HeldPut<K>>,
        end: bool,
    ) {
        self.next_write = now + self.interval;
        let contacts = (end || now >= self.next_contacts).then(|| {
            self.next_contacts = now + CONTACTS_INTERVAL;
            contacts_of(node, now)
        });
        let batch = Batch {
            changes: node.take_record_changes(now),
            wall: SystemTime::now(),
            contacts,
            replies,
        };
        if let Some(batches) = &self.batches {
            // The writer only ends when this sender is dropped.
            let _ = batches.send(batch);
        }
    }

    /// Writes what is left and waits until it is on disk.
    pub(crate) fn finish(&mut self, node: &mut Node<Multiaddr, K>) {
        self.write(node, Instant::now(), Vec::new(), true);
        self.batches = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The contacts of `node`'s routing table, with when each was last heard from.
fn contacts_of<K: KeyType>(
    node: &Node<Multiaddr, K>,
    now: Instant,
) -> Vec<(K, Multiaddr, SystemTime)> {
    let wall = SystemTime::now();
    node.routing_table()
        .iter()
        .map(|entry| {
            let contact = entry.contact();
            let ago = now.saturating_duration_since(entry.last_seen());
            let seen = wall.checked_sub(ago).unwrap_or(UNIX_EPOCH);
            (contact.id, contact.addr.clone(), seen)
        })
        .collect()
}

/// The writer thread: the batches waiting together in one transaction (group commit), then
/// the results of their puts, or the error if the write failed.
fn write_batches<K: KeyType>(
    mut storage: Storage,
    batches: &Receiver<Batch<K>>,
    published: &Published,
) {
    // Changes not yet on disk, by key: a failed batch is tried again with the next one.
    let mut unwritten: BTreeMap<K, (RecordChange<K>, SystemTime)> = BTreeMap::new();
    let failed = || {
        published.storage_errors.fetch_add(1, Ordering::Relaxed);
    };
    while let Ok(first) = batches.recv() {
        let mut contacts = None;
        let mut replies = Vec::new();
        let mut lost = 0usize;
        for batch in std::iter::once(first).chain(batches.try_iter()) {
            for change in batch.changes {
                let key = match &change {
                    RecordChange::Stored { key, .. } | RecordChange::Removed { key } => *key,
                };
                if unwritten.len() >= MAX_UNWRITTEN && !unwritten.contains_key(&key) {
                    failed();
                    lost += 1;
                    continue;
                }
                unwritten.insert(key, (change, batch.wall));
            }
            contacts = batch.contacts.or(contacts);
            replies.extend(batch.replies);
        }
        if lost > 0 {
            tracing::warn!(
                lost,
                unwritten = unwritten.len(),
                "record changes not kept for the data directory: too many wait to be written"
            );
        }
        let mut outcome = Ok(());
        if !unwritten.is_empty() {
            let changes: Vec<_> = unwritten.values().cloned().collect();
            outcome = storage.write(&changes);
            if outcome.is_ok() {
                unwritten.clear();
            }
        }
        if let Some(contacts) = contacts {
            if outcome.is_ok() {
                outcome = storage.save_contacts(&contacts);
            }
        }
        match outcome {
            Ok(()) => replies
                .into_iter()
                .for_each(|(reply, result)| reply.send(result)),
            Err(error) => {
                failed();
                tracing::warn!(
                    %error,
                    unwritten = unwritten.len(),
                    "cannot write to the data directory; records are kept in memory and \
                     written again with the next batch"
                );
                for (reply, _) in replies {
                    reply.fail(Error::Storage(error.clone()));
                }
                // redb refuses every transaction after a failed one until it is opened
                // again; a failed reopening is tried again with the next batch.
                if let Err(error) = storage.reopen() {
                    tracing::warn!(%error, "cannot open the data directory again");
                }
            }
        }
    }
}

impl<K: KeyType> Drop for Persistence<K> {
    fn drop(&mut self) {
        self.batches = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
