//! What a driver needs to keep a node's records on disk while kad-core does no IO: the node
//! notes which records change, the driver takes the changes and writes them when it likes
//! (in batches), and after a restart hands the saved records back.

use std::time::{Duration, Instant};

use crate::address::Address;
use crate::error::CommandError;
use crate::key::KeyType;
use crate::node::Node;
use crate::record::Record;
use crate::store::Stored;

/// A change to the records a node holds (see [`Node::take_record_changes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordChange<K> {
    /// `key` now holds `record` for `remaining` more.
    Stored {
        /// The record key.
        key: K,
        /// The record.
        record: Record,
        /// Its remaining lifetime: save the wall-clock instant it ends at, so that a record
        /// that expired while the node was down is not served after a restart.
        remaining: Duration,
        /// Whether this node published it (and re-puts it, after a restart too).
        published: bool,
    },
    /// `key` holds nothing any more (the record expired or made room).
    Removed {
        /// The record key.
        key: K,
    },
}

impl<A: Address, K: KeyType> Node<A, K> {
    /// From now on, the node notes which records are stored, changed or dropped, for
    /// [`take_record_changes`](Self::take_record_changes). Restore saved records
    /// ([`restore_record`](Self::restore_record)) first: they need no writing back.
    pub fn track_record_changes(&mut self) {
        self.store.track_changes();
    }

    /// The changes to the records since the last call (each key once, with its record as it
    /// is now), if [`track_record_changes`](Self::track_record_changes) was called; none
    /// otherwise. A driver that keeps the records on disk takes them as often as it wants
    /// them durable, and writes them together.
    pub fn take_record_changes(&mut self, now: Instant) -> Vec<RecordChange<K>> {
        self.store
            .take_changed()
            .into_iter()
            .map(|key| match self.store.get(&key, now) {
                Some(stored) => RecordChange::Stored {
                    key,
                    record: stored.record.clone(),
                    remaining: stored.expires.saturating_duration_since(now),
                    published: stored.reput_at.is_some(),
                },
                None => RecordChange::Removed { key },
            })
            .collect()
    }

    /// Puts back a record saved before a restart, with the lifetime it has left
    /// (`remaining`, at most `storage_timeout`; nothing is done for zero). A record this
    /// node `published` is re-put at the next maintenance, with a fresh lifetime, as its
    /// publisher is back; another is republished on the usual schedule. The validator must
    /// take it, as it must any record that arrives.
    pub fn restore_record(
        &mut self,
        now: Instant,
        key: K,
        record: Record,
        remaining: Duration,
        published: bool,
    ) -> Result<(), CommandError> {
        self.validator
            .validate(&key, &record)
            .map_err(CommandError::InvalidRecord)?;
        let remaining = remaining.min(self.config.storage_timeout);
        if remaining.is_zero() {
            return Ok(());
        }
        let stored = Stored {
            record,
            expires: now + remaining,
            republish_at: now + self.config.republish_interval,
            reput_at: published.then_some(now),
            origin: None,
        };
        if published {
            return self.store.publish(key, stored, &self.id);
        }
        let validator = &self.validator;
        self.store
            .accept(key, stored, None, |a, b| validator.compare(&key, a, b))
            .map(drop)
    }
}
