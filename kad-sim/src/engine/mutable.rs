//! The mutable-record workload: one key pair owns a signed record per key (the key's index
//! as salt); the preload publishes version 1 of each, every measured put the next version of
//! its key, and a get is right only with a version at least as new as the newest one whose
//! put had finished when the get began.

use std::collections::HashMap;
use std::sync::Arc;

use kad_core::{mutable_key, Hasher, Key, Keypair, Record, RecordRules, Validator};
use rand::Rng;

/// BLAKE3 cut to `N` bytes: the hash of the simulated network's record keys, so that nodes can
/// check mutable records against their keys whatever the key size.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SimHasher<const N: usize>;

impl<const N: usize> Hasher for SimHasher<N> {
    type Key = Key<N>;

    fn hash(&self, data: &[u8]) -> Key<N> {
        let mut out = [0u8; N];
        blake3::Hasher::new()
            .update(data)
            .finalize_xof()
            .fill(&mut out);
        Key::new(out)
    }

    fn name(&self) -> &'static str {
        "blake3-xof"
    }
}

/// The validator every simulated node shares.
pub(crate) fn validator<const N: usize>() -> Arc<dyn Validator<Key<N>>> {
    Arc::new(RecordRules::new(SimHasher::<N>))
}

/// The mutable records of a run, and what the gets must see.
#[derive(Debug)]
pub(crate) struct MutableWorkload {
    pub(crate) keypair: Keypair,
    /// By key index: the newest version whose put has finished.
    acknowledged: Vec<u64>,
    /// By measured operation: its key index and, for a get, the version it must see.
    running: HashMap<u32, (u32, u64)>,
    /// Gets of a key updated since its preload.
    pub(crate) reads_after_update: usize,
    /// Of those, the gets that returned a version at least as new as they had to.
    pub(crate) newest_after_update: usize,
}

impl MutableWorkload {
    /// A workload over `keys` keys whose key pair comes from `rng`.
    pub(crate) fn new<R: Rng>(keys: usize, rng: &mut R) -> Self {
        MutableWorkload {
            keypair: Keypair::from_secret_bytes(rng.random()),
            acknowledged: vec![0; keys],
            running: HashMap::new(),
            reads_after_update: 0,
            newest_after_update: 0,
        }
    }

    /// The salt of key `index`.
    pub(crate) fn salt(index: u32) -> [u8; 4] {
        index.to_be_bytes()
    }

    /// The record keys, by index.
    pub(crate) fn keys<const N: usize>(&self, count: usize) -> Vec<Key<N>> {
        let public = self.keypair.public();
        (0..count as u32)
            .map(|i| mutable_key(&SimHasher::<N>, &public, &Self::salt(i)))
            .collect()
    }

    /// Measured operation `op` on key `index` started.
    pub(crate) fn started(&mut self, op: u32, index: u32) {
        let expected = self.acknowledged.get(index as usize).copied().unwrap_or(0);
        self.running.insert(op, (index, expected));
    }

    /// A put of version `seq` of key `index` was acknowledged.
    pub(crate) fn acknowledged(&mut self, index: u32, seq: u64) {
        if let Some(newest) = self.acknowledged.get_mut(index as usize) {
            *newest = (*newest).max(seq);
        }
    }

    /// Measured put `op` finished: version `seq` if some node took it.
    pub(crate) fn put_finished(&mut self, op: u32, seq: Option<u64>) {
        if let (Some((index, _)), Some(seq)) = (self.running.remove(&op), seq) {
            self.acknowledged(index, seq);
        }
    }

    /// Whether get `op`, which returned `record`, saw a version at least as new as the
    /// newest acknowledged when it began.
    pub(crate) fn get_finished(&mut self, op: u32, record: Option<&Record>) -> bool {
        let Some((_, expected)) = self.running.remove(&op) else {
            return false;
        };
        let seen = record.and_then(Record::seq).unwrap_or(0);
        let right = seen >= expected.max(1);
        if expected > 1 {
            self.reads_after_update += 1;
            self.newest_after_update += usize::from(right);
        }
        right
    }
}
