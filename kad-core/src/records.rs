//! A node's record commands: get and put of each kind of [`Record`], the local copies, and
//! the [`Validator`] that decides which records the node takes.

use std::cmp::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crate::address::Address;
use crate::error::CommandError;
use crate::event::{QueryResult, StatsClock};
use crate::ids::QueryId;
use crate::key::KeyType;
use crate::node::Node;
use crate::query_pool::Goal;
use crate::record::{Record, RecordKind};
use crate::store::Stored;
use crate::validator::Validator;

impl<A: Address, K: KeyType> Node<A, K> {
    /// The node with `validator` deciding which records it stores and which values its gets
    /// take (see [`Validator`]). A node built without one takes plain records only; give it
    /// [`RecordRules`](crate::RecordRules) with the network's hasher to take immutable and
    /// signed mutable records too. Nodes may share one validator, as a simulator's million
    /// do.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Instant;
    /// use kad_core::{Config, Key, Node, RecordRules, Sha1Hasher};
    ///
    /// let node: Node<u32, Key<20>> = Node::new(Key::new([1; 20]), Config::default(), 7, Instant::now())?
    ///     .with_validator(Arc::new(RecordRules::new(Sha1Hasher::new())));
    /// # Ok::<(), kad_core::ConfigError>(())
    /// ```
    pub fn with_validator(mut self, validator: Arc<dyn Validator<K>>) -> Self {
        self.validator = validator;
        self
    }

    /// The live value stored locally under `key`, of whatever kind.
    pub fn get_local(&self, now: Instant, key: &K) -> Option<&[u8]> {
        self.get_local_record(now, key).map(Record::value)
    }

    /// The live record stored locally under `key`.
    pub fn get_local_record(&self, now: Instant, key: &K) -> Option<&Record> {
        self.store.get(key, now).map(|stored| &stored.record)
    }

    /// Finds the plain value stored under `key`, locally first. Finishes with
    /// [`QueryResult::Get`].
    pub fn get(&mut self, now: Instant, key: K) -> Result<QueryId, CommandError> {
        self.get_record(now, key, RecordKind::Plain)
    }

    /// Finds the record of kind `kind` stored under `key`; values of other kinds, or that
    /// the validator refuses, are skipped. A plain or immutable record held here is returned
    /// at once; a lookup returns the first value found (over disjoint paths, the one most
    /// paths found). A mutable get asks on past the first value until
    /// [`Config::mutable_quorum`](crate::Config::mutable_quorum) answers carried the newest
    /// version (or the k closest nodes all answered), returns the newest valid one, with
    /// this node's own copy counted in, and writes it back to those of the closest that held
    /// an older one. Finishes with [`QueryResult::Get`].
    pub fn get_record(
        &mut self,
        now: Instant,
        key: K,
        kind: RecordKind,
    ) -> Result<QueryId, CommandError> {
        let local = self
            .get_local_record(now, &key)
            .filter(|record| record.kind() == kind)
            .cloned();
        match local {
            Some(record) if kind != RecordKind::Mutable => {
                let id = self.queries.next_id()?;
                let result = QueryResult::Get {
                    record: Some(record),
                    holders: 1,
                    repaired: 0,
                };
                self.report(id, result, StatsClock::new(now), now);
                Ok(id)
            }
            local => {
                let local = local.and_then(|record| {
                    let ttl_secs = self.store.get(&key, now)?.ttl_secs(now);
                    Some((record, ttl_secs))
                });
                self.start_lookup(now, key, Goal::Get { kind, local }, [])
            }
        }
    }

    /// Stores the plain `value` under `key` here and at the k closest nodes; this node
    /// re-puts it every `reput_interval`. Finishes with [`QueryResult::Put`].
    pub fn put(&mut self, now: Instant, key: K, value: Vec<u8>) -> Result<QueryId, CommandError> {
        self.put_record(now, key, Record::Plain(value), None)
    }

    /// Stores `record` under `key` here and at the k closest nodes, as
    /// [`put`](Self::put) does a plain value. The validator must take it
    /// ([`CommandError::InvalidRecord`] otherwise). A mutable record must be newer than any
    /// version held here ([`CommandError::Superseded`] otherwise); with `cas`, the sequence
    /// number the caller believes is the newest, nodes that hold a newer one refuse it, and
    /// the put reports the newest they hold in [`QueryResult::Put`]'s `superseded`.
    pub fn put_record(
        &mut self,
        now: Instant,
        key: K,
        record: Record,
        cas: Option<u64>,
    ) -> Result<QueryId, CommandError> {
        self.store.check_value(record.value())?;
        self.validator
            .validate(&key, &record)
            .map_err(CommandError::InvalidRecord)?;
        if let Some(held) = self.store.get(&key, now) {
            let held_seq = held.record.seq();
            let newer_held = cas.zip(held_seq).is_some_and(|(cas, held)| held > cas)
                || (held_seq.is_some()
                    && held.record != record
                    && self.validator.compare(&key, &record, &held.record) != Ordering::Greater);
            if let (true, Some(seq)) = (newer_held, held_seq) {
                return Err(CommandError::Superseded { seq });
            }
        }
        self.queries.check_room()?;
        let expires = self.publish_here(now, key, record.clone())?;
        let goal = Goal::Put {
            record,
            expires,
            cas,
            report: true,
        };
        self.start_lookup(now, key, goal, [])
    }

    /// Keeps `record` here as this node's own publication, re-put every `reput_interval`;
    /// returns when it ends.
    pub(crate) fn publish_here(
        &mut self,
        now: Instant,
        key: K,
        record: Record,
    ) -> Result<Instant, CommandError> {
        let expires = now + self.config.storage_timeout;
        let stored = Stored {
            record,
            expires,
            republish_at: now + self.config.republish_interval,
            reput_at: Some(now + self.config.reput_interval),
            origin: None,
        };
        self.store.publish(key, stored, &self.id)?;
        Ok(expires)
    }
}
