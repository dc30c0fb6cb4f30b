//! The oracle: the ids of all live nodes, to say which nodes truly are closest to a key.
//!
//! Ids are kept in a sorted set. The ids that share at least `p` leading bits with a target form
//! one contiguous range of that order, and every id inside the range is closer to the target
//! than any id outside it. So the k closest live ids lie in the range of the longest prefix that
//! still holds k of them: a binary search over `p` finds it in a few range scans, and only that
//! range (about 2k ids for random ids) is sorted by distance. Exact at any network size.

use std::collections::BTreeSet;
use std::ops::Bound;

use kad_core::Key;

/// The ids of the live nodes with their addresses.
#[derive(Clone, Debug, Default)]
pub(crate) struct Oracle<const N: usize> {
    ids: BTreeSet<(Key<N>, u32)>,
}

impl<const N: usize> Oracle<N> {
    pub(crate) fn new() -> Self {
        Oracle {
            ids: BTreeSet::new(),
        }
    }

    pub(crate) fn insert(&mut self, id: Key<N>, addr: u32) {
        self.ids.insert((id, addr));
    }

    pub(crate) fn remove(&mut self, id: Key<N>, addr: u32) {
        self.ids.remove(&(id, addr));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Ids sharing at least `prefix` leading bits with `target`.
    fn prefix_range(
        &self,
        target: &Key<N>,
        prefix: usize,
    ) -> impl Iterator<Item = &(Key<N>, u32)> + '_ {
        let mut lo = *target.as_bytes();
        let mut hi = lo;
        for bit in prefix..N * 8 {
            let (byte, mask) = (bit / 8, 0x80u8 >> (bit % 8));
            lo[byte] &= !mask;
            hi[byte] |= mask;
        }
        self.ids.range((
            Bound::Included((Key::new(lo), 0)),
            Bound::Included((Key::new(hi), u32::MAX)),
        ))
    }

    /// The addresses of the `k` live nodes closest to `target`, closest first, leaving out
    /// `exclude`.
    pub(crate) fn closest(&self, target: &Key<N>, k: usize, exclude: u32) -> Vec<u32> {
        self.closest_ids(target, k, exclude)
            .into_iter()
            .map(|(_, addr)| addr)
            .collect()
    }

    /// The ids and addresses of the `k` live nodes closest to `target`, closest first,
    /// leaving out `exclude`.
    pub(crate) fn closest_ids(
        &self,
        target: &Key<N>,
        k: usize,
        exclude: u32,
    ) -> Vec<(Key<N>, u32)> {
        // Enough ids to have k left after removing `exclude`.
        let want = k + 1;
        let count = |p: usize| self.prefix_range(target, p).take(want).count();
        // Longest prefix whose range holds `want` ids; prefix 0 holds every id.
        let (mut lo, mut hi) = (0usize, N * 8);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if count(mid) >= want {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let mut found: Vec<(Key<N>, u32)> = self
            .prefix_range(target, lo)
            .filter(|(_, addr)| *addr != exclude)
            .copied()
            .collect();
        found.sort_unstable_by_key(|(id, _)| id.distance(target));
        found.truncate(k);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn matches_brute_force() {
        let mut rng = SmallRng::seed_from_u64(9);
        let ids: Vec<Key<20>> = (0..3000).map(|_| Key::random(&mut rng)).collect();
        let mut oracle = Oracle::new();
        for (i, id) in ids.iter().enumerate() {
            oracle.insert(*id, i as u32);
        }
        for round in 0..200u32 {
            let target = if round % 3 == 0 {
                ids[round as usize]
            } else {
                Key::random(&mut rng)
            };
            let exclude = round * 7;
            let mut brute: Vec<u32> = (0..ids.len() as u32).filter(|&a| a != exclude).collect();
            brute.sort_by_key(|&a| ids[a as usize].distance(&target));
            brute.truncate(20);
            assert_eq!(oracle.closest(&target, 20, exclude), brute);
        }
    }

    #[test]
    fn small_sets() {
        let mut oracle = Oracle::<4>::new();
        assert!(oracle.closest(&Key::new([0; 4]), 3, 0).is_empty());
        oracle.insert(Key::new([1, 0, 0, 0]), 1);
        oracle.insert(Key::new([0, 0, 0, 1]), 2);
        assert_eq!(oracle.closest(&Key::new([0; 4]), 3, 9), vec![2, 1]);
        assert_eq!(oracle.closest(&Key::new([0; 4]), 3, 2), vec![1]);
        oracle.remove(Key::new([1, 0, 0, 0]), 1);
        assert_eq!(oracle.len(), 1);
    }
}
