//! Hash functions that map user keys (arbitrary bytes) into the key space.
//!
//! The [`Hasher`] trait picks both the function and, through its associated key type, the size
//! of every id in the network. SHA-1 gives the 160-bit space of the original paper; SHA-256 and
//! BLAKE3 give 256-bit keys. Each built-in hasher sits behind a cargo feature of the same name.

use crate::key::{Key, KeyType};

/// A hash function from arbitrary bytes to a fixed-size [`Key`].
///
/// Implement it to use your own function:
///
/// ```
/// use kad_core::{Hasher, Key};
///
/// /// A toy 64-bit hasher (do not use in production).
/// #[derive(Clone, Default)]
/// struct Fnv64;
///
/// impl Hasher for Fnv64 {
///     type Key = Key<8>;
///     fn hash(&self, data: &[u8]) -> Key<8> {
///         let mut h: u64 = 0xcbf29ce484222325;
///         for b in data {
///             h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
///         }
///         Key::new(h.to_be_bytes())
///     }
///     fn name(&self) -> &'static str {
///         "fnv64"
///     }
/// }
///
/// assert_eq!(Fnv64.hash(b"a"), Fnv64.hash(b"a"));
/// ```
pub trait Hasher: Clone + Send + Sync + 'static {
    /// The key type this hasher produces; its size is the size of every id in the network.
    type Key: KeyType;

    /// Hashes `data` into a key.
    fn hash(&self, data: &[u8]) -> Self::Key;

    /// A short, stable name for logs and command lines (`"sha1"`, `"sha256"`, `"blake3"`).
    fn name(&self) -> &'static str;
}

/// SHA-1, 160-bit keys, as in the original Kademlia paper and BitTorrent's mainline DHT.
#[cfg(feature = "sha1")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Sha1Hasher;

#[cfg(feature = "sha1")]
impl Sha1Hasher {
    /// Creates the hasher.
    pub fn new() -> Self {
        Sha1Hasher
    }
}

#[cfg(feature = "sha1")]
impl Hasher for Sha1Hasher {
    type Key = Key<20>;
    fn hash(&self, data: &[u8]) -> Key<20> {
        use sha1::Digest;
        Key::new(sha1::Sha1::digest(data).into())
    }
    fn name(&self) -> &'static str {
        "sha1"
    }
}

/// SHA-256, 256-bit keys.
#[cfg(feature = "sha256")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Sha256Hasher;

#[cfg(feature = "sha256")]
impl Sha256Hasher {
    /// Creates the hasher.
    pub fn new() -> Self {
        Sha256Hasher
    }
}

#[cfg(feature = "sha256")]
impl Hasher for Sha256Hasher {
    type Key = Key<32>;
    fn hash(&self, data: &[u8]) -> Key<32> {
        use sha2::Digest;
        Key::new(sha2::Sha256::digest(data).into())
    }
    fn name(&self) -> &'static str {
        "sha256"
    }
}

/// BLAKE3, 256-bit keys; the fastest of the three.
#[cfg(feature = "blake3")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Blake3Hasher;

#[cfg(feature = "blake3")]
impl Blake3Hasher {
    /// Creates the hasher.
    pub fn new() -> Self {
        Blake3Hasher
    }
}

#[cfg(feature = "blake3")]
impl Hasher for Blake3Hasher {
    type Key = Key<32>;
    fn hash(&self, data: &[u8]) -> Key<32> {
        Key::new(*blake3::hash(data).as_bytes())
    }
    fn name(&self) -> &'static str {
        "blake3"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex<K: KeyType>(k: K) -> String {
        k.to_string()
    }

    #[cfg(feature = "sha1")]
    #[test]
    fn sha1_known_answers() {
        let h = Sha1Hasher::new();
        assert_eq!(
            hex(h.hash(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(h.hash(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    #[cfg(feature = "sha256")]
    #[test]
    fn sha256_known_answers() {
        let h = Sha256Hasher::new();
        assert_eq!(
            hex(h.hash(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(h.hash(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[cfg(feature = "blake3")]
    #[test]
    fn blake3_known_answers() {
        let h = Blake3Hasher::new();
        assert_eq!(
            hex(h.hash(b"")),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        assert_eq!(
            hex(h.hash(b"abc")),
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
    }
}
