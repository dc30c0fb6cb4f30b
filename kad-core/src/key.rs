//! Keys and the XOR metric.
//!
//! Node ids and record keys share one fixed-size key space. [`Key<N>`] is `N` bytes (20 for
//! SHA-1, 32 for SHA-256 and BLAKE3); [`Distance<N>`] is the XOR of two keys, ordered as a
//! big-endian integer. Nothing here allocates.

use std::cmp::Ordering;
use std::fmt;
use std::hash::Hash;

use rand::Rng;

/// What the protocol needs of a key type; implemented by every [`Key<N>`].
///
/// Code generic over the key size (the routing table, lookups, the node) is written against this
/// trait, so that a [`Hasher`](crate::Hasher) picks the key size through its associated type.
pub trait KeyType:
    Copy + Eq + Ord + Hash + fmt::Debug + fmt::Display + Send + Sync + 'static
{
    /// The XOR distance type for this key.
    type Distance: Copy + Eq + Ord + Hash + fmt::Debug + Send + Sync + 'static;
    /// Number of bits in the key.
    const BITS: usize;
    /// Number of bytes in the key.
    const LEN: usize;
    /// The raw bytes.
    fn as_slice(&self) -> &[u8];
    /// Builds a key from exactly `LEN` bytes.
    fn from_slice(bytes: &[u8]) -> Option<Self>;
    /// XOR distance to `other`.
    fn distance(&self, other: &Self) -> Self::Distance;
    /// Number of leading bits shared with `other` (`BITS` when equal).
    fn shared_prefix_len(&self, other: &Self) -> usize;
    /// A uniformly random key.
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self;
    /// A random key sharing exactly `prefix_len` leading bits with `self`.
    fn random_in_bucket<R: Rng + ?Sized>(&self, prefix_len: usize, rng: &mut R) -> Option<Self>;
}

/// A key of `N` bytes: a node id or a record key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key<const N: usize>([u8; N]);

/// The XOR distance between two keys, compared as an unsigned big-endian integer.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Distance<const N: usize>([u8; N]);

impl<const N: usize> Ord for Distance<N> {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_big_endian(&self.0, &other.0)
    }
}

impl<const N: usize> PartialOrd for Distance<N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `a` and `b` compared as big-endian integers, eight bytes at a time. The same order as
/// comparing the arrays, without the call to the C library's `memcmp` that comparison
/// makes: lookups compare distances more than anything else.
#[inline]
fn compare_big_endian<const N: usize>(a: &[u8; N], b: &[u8; N]) -> Ordering {
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in x.by_ref().zip(y.by_ref()) {
        match word(p).cmp(&word(q)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
    }
    word(x.remainder()).cmp(&word(y.remainder()))
}

/// Up to eight bytes as a big-endian integer, missing low bytes zero.
#[inline]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = bytes.len().min(8);
    w[..n].copy_from_slice(&bytes[..n]);
    u64::from_be_bytes(w)
}

impl<const N: usize> Key<N> {
    /// Number of bits in the key.
    pub const BITS: usize = N * 8;

    /// Wraps raw bytes as a key.
    pub const fn new(bytes: [u8; N]) -> Self {
        Key(bytes)
    }

    /// Builds a key from a slice, or `None` if it does not have exactly `N` bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Key)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// XOR distance to `other`.
    pub fn distance(&self, other: &Self) -> Distance<N> {
        let mut d = [0u8; N];
        for (i, byte) in d.iter_mut().enumerate() {
            *byte = self.0[i] ^ other.0[i];
        }
        Distance(d)
    }

    /// A uniformly random key.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; N];
        rng.fill(&mut bytes[..]);
        Key(bytes)
    }

    /// Number of leading bits `self` shares with `other` (`BITS` when equal).
    ///
    /// This is the index of the k-bucket in which `other` lives in the routing table of the node
    /// whose id is `self`.
    pub fn shared_prefix_len(&self, other: &Self) -> usize {
        self.distance(other).leading_zeros()
    }

    /// A random key that shares exactly `prefix_len` leading bits with `self`, that is, a key
    /// that falls in bucket `prefix_len` of this node's routing table.
    ///
    /// Returns `None` when `prefix_len >= BITS` (the only key sharing every bit is `self`).
    pub fn random_in_bucket<R: Rng + ?Sized>(
        &self,
        prefix_len: usize,
        rng: &mut R,
    ) -> Option<Self> {
        if prefix_len >= Self::BITS {
            return None;
        }
        let mut out = Self::random(rng).0;
        let byte = prefix_len / 8;
        let bit = prefix_len % 8;
        // Copy the shared prefix bytes, then the shared bits of the boundary byte.
        out[..byte].copy_from_slice(&self.0[..byte]);
        let keep_mask: u8 = if bit == 0 { 0 } else { 0xffu8 << (8 - bit) };
        let flip_bit: u8 = 0x80 >> bit;
        let own = self.0[byte];
        out[byte] = (own & keep_mask) | (out[byte] & !keep_mask & !flip_bit) | (!own & flip_bit);
        Some(Key(out))
    }
}

impl<const N: usize> Distance<N> {
    /// The zero distance (a key to itself).
    pub const ZERO: Self = Distance([0u8; N]);

    /// Number of leading zero bits: the shared prefix length of the two keys.
    pub fn leading_zeros(&self) -> usize {
        for (i, byte) in self.0.iter().enumerate() {
            if *byte != 0 {
                return i * 8 + byte.leading_zeros() as usize;
            }
        }
        N * 8
    }

    /// The raw big-endian bytes.
    pub const fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }
}

impl<const N: usize> KeyType for Key<N> {
    type Distance = Distance<N>;
    const BITS: usize = N * 8;
    const LEN: usize = N;

    fn as_slice(&self) -> &[u8] {
        &self.0
    }
    fn from_slice(bytes: &[u8]) -> Option<Self> {
        Key::from_slice(bytes)
    }
    fn distance(&self, other: &Self) -> Distance<N> {
        Key::distance(self, other)
    }
    fn shared_prefix_len(&self, other: &Self) -> usize {
        Key::shared_prefix_len(self, other)
    }
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Key::random(rng)
    }
    fn random_in_bucket<R: Rng + ?Sized>(&self, prefix_len: usize, rng: &mut R) -> Option<Self> {
        Key::random_in_bucket(self, prefix_len, rng)
    }
}

impl<const N: usize> From<[u8; N]> for Key<N> {
    fn from(bytes: [u8; N]) -> Self {
        Key(bytes)
    }
}

impl<const N: usize> AsRef<[u8]> for Key<N> {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for byte in bytes {
        write!(f, "{byte:02x}")?;
    }
    Ok(())
}

impl<const N: usize> fmt::Debug for Key<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(")?;
        write_hex(f, &self.0[..N.min(8)])?;
        f.write_str("..)")
    }
}

impl<const N: usize> fmt::Display for Key<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl<const N: usize> fmt::Debug for Distance<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Distance(")?;
        write_hex(f, &self.0)?;
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::SmallRng, SeedableRng};

    proptest::proptest! {
        #[test]
        fn distances_order_as_their_bytes(a: [u8; 20], b: [u8; 20], c: [u8; 32], d: [u8; 32], e: [u8; 3], f: [u8; 3]) {
            proptest::prop_assert_eq!(Distance(a).cmp(&Distance(b)), a.cmp(&b));
            proptest::prop_assert_eq!(Distance(c).cmp(&Distance(d)), c.cmp(&d));
            proptest::prop_assert_eq!(Distance(e).cmp(&Distance(f)), e.cmp(&f));
            // Equal up to one byte: the first difference decides.
            let mut g = a;
            g[13] ^= 1;
            proptest::prop_assert_eq!(Distance(a).cmp(&Distance(g)), a.cmp(&g));
        }
    }

    #[test]
    fn distance_to_self_is_zero() {
        let k = Key::new([7u8; 20]);
        assert_eq!(k.distance(&k), Distance::ZERO);
        assert_eq!(k.shared_prefix_len(&k), 160);
    }

    #[test]
    fn random_in_bucket_lands_in_that_bucket() {
        let mut rng = SmallRng::seed_from_u64(1);
        for _ in 0..50 {
            let own: Key<20> = Key::random(&mut rng);
            for prefix in 0..160 {
                let k = own.random_in_bucket(prefix, &mut rng).unwrap();
                assert_eq!(own.shared_prefix_len(&k), prefix);
            }
            assert!(own.random_in_bucket(160, &mut rng).is_none());
        }
    }

    #[test]
    fn distance_orders_big_endian() {
        let a = Key::new([0u8; 4]);
        let b = Key::new([0, 0, 0, 0xff]);
        let c = Key::new([0, 0, 1, 0]);
        assert!(a.distance(&b) < a.distance(&c));
        assert_eq!(a.distance(&c).leading_zeros(), 23);
    }
}
