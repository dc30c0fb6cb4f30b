//! Publishing a new version of a signed mutable record in one lookup, as BEP 44 does: the
//! lookup asks the k closest nodes for the record (a mutable get, which also collects their
//! write tokens), then signs the version after the newest it heard and stores it at those
//! same nodes. With an expected sequence number (compare-and-swap) the put stops, storing
//! nothing, if a newer version than the one expected exists.

use std::time::Instant;

use crate::address::Address;
use crate::error::CommandError;
use crate::event::QueryResult;
use crate::ids::QueryId;
use crate::key::KeyType;
use crate::lookup::Lookup;
use crate::node::Node;
use crate::query_pool::Goal;
use crate::record::Record;
use crate::signed::{Keypair, MutableRecord};
use crate::validator::Invalid;

/// A mutable put waiting for its lookup.
#[derive(Clone, Debug)]
pub(crate) struct MutablePut {
    pub(crate) keypair: Keypair,
    pub(crate) salt: Vec<u8>,
    pub(crate) value: Vec<u8>,
    /// The sequence number the caller believes is the newest.
    pub(crate) cas: Option<u64>,
    /// This node's own copy and its lifetime in seconds, the newest so far.
    pub(crate) local: Option<(Record, u32)>,
}

impl<A: Address, K: KeyType> Node<A, K> {
    /// Publishes `value` as the next version of the mutable record of `keypair` and `salt`,
    /// stored under [`mutable_key`](crate::mutable_key) with the network's hasher, which
    /// `key` must be (the node cannot hash: it checks `key` against the record it signs with
    /// its validator).
    ///
    /// The lookup asks the k closest nodes for the record, then signs the version after the
    /// newest one it heard (this node's own copy included; 1 if none) and stores it at those
    /// nodes and here. With `cas`, the sequence number the caller believes is the newest, a
    /// newer version anywhere stops the put: nothing is stored and [`QueryResult::Put`]
    /// reports it in `superseded`. Finishes with [`QueryResult::Put`], whose `seq` is the
    /// sequence number signed.
    pub fn put_mutable(
        &mut self,
        now: Instant,
        key: K,
        keypair: &Keypair,
        salt: &[u8],
        value: Vec<u8>,
        cas: Option<u64>,
    ) -> Result<QueryId, CommandError> {
        // Checks the sizes, the key and the validator with a version signed for the check.
        let probe = MutableRecord::sign(keypair, salt, 0, value.clone())
            .map_err(|e| CommandError::InvalidRecord(Invalid::Signed(e)))?;
        self.store.check_value(&probe.value)?;
        self.validator
            .validate(&key, &Record::from(probe))
            .map_err(CommandError::InvalidRecord)?;
        let local = self
            .store
            .get(&key, now)
            .filter(|held| held.record.seq().is_some())
            .map(|held| (held.record.clone(), held.ttl_secs(now)));
        if let (Some(cas), Some(held)) = (cas, local.as_ref().and_then(|(r, _)| r.seq())) {
            if held > cas {
                return Err(CommandError::Superseded { seq: held });
            }
        }
        let put = MutablePut {
            keypair: keypair.clone(),
            salt: salt.to_vec(),
            value,
            cas,
            local,
        };
        self.start_lookup(now, key, Goal::PutMutable(Box::new(put)), [])
    }

    /// The lookup of mutable put `qid` is over: sign the next version and store it, or report
    /// that a newer version than the one expected exists.
    pub(crate) fn finish_put_mutable(
        &mut self,
        now: Instant,
        qid: QueryId,
        lookup: Lookup<A, K>,
        put: MutablePut,
    ) {
        // This node's own copy counts too: another put of its own may have ended meanwhile.
        let held = self
            .store
            .get(lookup.target(), now)
            .and_then(|h| h.record.seq());
        let newest = lookup
            .found()
            .and_then(|found| found.record.seq())
            .max(held);
        let next = newest
            .max(put.cas)
            .map_or(Some(1), |seq| seq.checked_add(1));
        let superseded = match (put.cas, newest, next) {
            (Some(cas), Some(newest), _) if newest > cas => Some(newest),
            // No version after the last one can be signed.
            (_, _, None) => Some(u64::MAX),
            _ => None,
        };
        let signed =
            MutableRecord::sign(&put.keypair, &put.salt, next.unwrap_or(u64::MAX), put.value);
        let (Some(record), None) = (signed.ok(), superseded) else {
            let result = QueryResult::Put {
                replicas: 0,
                superseded,
                seq: None,
            };
            self.report(qid, result, lookup.clock, now);
            return;
        };
        let key = *lookup.target();
        let record = Record::from(record);
        let expires = now + self.config.storage_timeout;
        // A store full of this node's own records cannot take one more: the others still do.
        let _ = self.publish_here(now, key, record.clone());
        self.start_storing(now, qid, &lookup, (key, record, expires, put.cas), true);
    }
}
