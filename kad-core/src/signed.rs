//! Signed mutable records (BEP 44 semantics): a record whose key is the hash of an ed25519
//! public key and a salt, whose value only the holder of the secret key can change, and whose
//! sequence number says which of two versions is newer.
//!
//! The signature covers a domain tag, the salt, the sequence number and the value, so that a
//! signature made for one salt or sequence number is worth nothing for another. Signing and
//! verification are ed25519-dalek's; verification is its strict form, which refuses the
//! malleable and small-order encodings.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::hash::Hasher;

/// The most bytes of value a mutable record carries, as in BEP 44, salt included: a value
/// and salt of 1000 bytes together keep a STORE of the record within one unfragmented
/// datagram of kad-proto with keys of up to 32 bytes.
pub const MAX_MUTABLE_VALUE: usize = 1000;

/// The most bytes of salt a mutable record's key takes, as in BEP 44.
pub const MAX_SALT: usize = 64;

/// The length of a [`PublicKey`] in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;

/// The length of a [`Signature`] in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// What every signed message starts with, so that no other use of a key can be replayed as
/// a record.
const DOMAIN: &[u8] = b"kad-mutable-record-v1";

/// An ed25519 key pair: signs the mutable records published under its public key.
///
/// The secret never leaves it (it is wiped on drop), and its `Debug` shows only the public
/// key.
#[derive(Clone)]
pub struct Keypair(SigningKey);

impl Keypair {
    /// The key pair whose secret key is `secret`: the same bytes give the same keys. Draw
    /// them from a cryptographically secure generator (the runtime's `Keypair::generate`
    /// does) and keep them secret.
    pub fn from_secret_bytes(secret: [u8; 32]) -> Self {
        Keypair(SigningKey::from_bytes(&secret))
    }

    /// The secret key's bytes, to save and restore it with
    /// [`from_secret_bytes`](Self::from_secret_bytes).
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key, which names the records this key pair signs.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Keypair").field(&self.public()).finish()
    }
}

/// An ed25519 public key, as its 32 bytes.
///
/// Any 32 bytes decode (the wire stays total); bytes that are no valid key simply fail
/// verification.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// A public key from its bytes.
    pub const fn from_bytes(bytes: [u8; PUBLIC_KEY_LEN]) -> Self {
        PublicKey(bytes)
    }

    /// The key's bytes.
    pub const fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// An ed25519 signature, as its 64 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// A signature from its bytes.
    pub const fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Self {
        Signature(bytes)
    }

    /// The signature's bytes.
    pub const fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }

    /// The signature as two 32-byte halves, the longest arrays serde encodes without a
    /// length prefix.
    pub fn halves(&self) -> ([u8; 32], [u8; 32]) {
        let mut first = [0; 32];
        let mut second = [0; 32];
        first.copy_from_slice(&self.0[..32]);
        second.copy_from_slice(&self.0[32..]);
        (first, second)
    }

    /// A signature from its two halves (see [`halves`](Self::halves)).
    pub fn from_halves(first: [u8; 32], second: [u8; 32]) -> Self {
        let mut bytes = [0; SIGNATURE_LEN];
        bytes[..32].copy_from_slice(&first);
        bytes[32..].copy_from_slice(&second);
        Signature(bytes)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

/// A signed mutable record: a value, its sequence number, and the signature of the key pair
/// whose public key (with the salt) names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MutableRecord {
    /// The key that signed it.
    pub public_key: PublicKey,
    /// Tells apart the records one key pair publishes: at most [`MAX_SALT`] bytes.
    pub salt: Vec<u8>,
    /// The version: a record replaces another only with a higher one.
    pub seq: u64,
    /// At most [`MAX_MUTABLE_VALUE`] bytes, less the salt's length.
    pub value: Vec<u8>,
    /// Over the salt, the sequence number and the value.
    pub signature: Signature,
}

/// Why a mutable record cannot be signed or is not valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedError {
    /// The value and salt together are over [`MAX_MUTABLE_VALUE`].
    ValueTooLarge {
        /// Their length.
        len: usize,
    },
    /// The salt is over [`MAX_SALT`].
    SaltTooLarge {
        /// Its length.
        len: usize,
    },
    /// The signature does not match the public key and contents.
    BadSignature,
}

impl fmt::Display for SignedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignedError::ValueTooLarge { len } => write!(
                f,
                "a mutable record's value and salt take {len} bytes, over the \
                 {MAX_MUTABLE_VALUE} allowed"
            ),
            SignedError::SaltTooLarge { len } => {
                write!(f, "a salt of {len} bytes is over the {MAX_SALT} allowed")
            }
            SignedError::BadSignature => write!(f, "the record's signature is not valid"),
        }
    }
}

impl std::error::Error for SignedError {}

impl MutableRecord {
    /// Signs version `seq` of `value` under `keypair` and `salt`.
    pub fn sign(
        keypair: &Keypair,
        salt: &[u8],
        seq: u64,
        value: Vec<u8>,
    ) -> Result<Self, SignedError> {
        check_sizes(salt, &value)?;
        let signature = keypair.sign(&signed_message(salt, seq, &value));
        Ok(MutableRecord {
            public_key: keypair.public(),
            salt: salt.to_vec(),
            seq,
            value,
            signature,
        })
    }

    /// Checks the sizes and the signature.
    pub fn verify(&self) -> Result<(), SignedError> {
        check_sizes(&self.salt, &self.value)?;
        let key = VerifyingKey::from_bytes(self.public_key.as_bytes())
            .map_err(|_| SignedError::BadSignature)?;
        let signature = ed25519_dalek::Signature::from_bytes(self.signature.as_bytes());
        key.verify_strict(
            &signed_message(&self.salt, self.seq, &self.value),
            &signature,
        )
        .map_err(|_| SignedError::BadSignature)
    }

    /// The key it is stored under with `hasher`: see [`mutable_key`].
    pub fn key<H: Hasher>(&self, hasher: &H) -> H::Key {
        mutable_key(hasher, &self.public_key, &self.salt)
    }
}

/// The key the mutable records of `public_key` and `salt` are stored under: the hash of the
/// key's bytes followed by the salt.
pub fn mutable_key<H: Hasher>(hasher: &H, public_key: &PublicKey, salt: &[u8]) -> H::Key {
    let mut bytes = Vec::with_capacity(PUBLIC_KEY_LEN + salt.len());
    bytes.extend_from_slice(public_key.as_bytes());
    bytes.extend_from_slice(salt);
    hasher.hash(&bytes)
}

fn check_sizes(salt: &[u8], value: &[u8]) -> Result<(), SignedError> {
    if salt.len() > MAX_SALT {
        return Err(SignedError::SaltTooLarge { len: salt.len() });
    }
    let len = value.len() + salt.len();
    if len > MAX_MUTABLE_VALUE {
        return Err(SignedError::ValueTooLarge { len });
    }
    Ok(())
}

/// What is signed: the domain tag, the salt with its length, the sequence number, the value.
fn signed_message(salt: &[u8], seq: u64, value: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + 1 + salt.len() + 8 + value.len());
    m.extend_from_slice(DOMAIN);
    // At most MAX_SALT (64): one byte.
    m.push(salt.len().min(usize::from(u8::MAX)) as u8);
    m.extend_from_slice(salt);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(value);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keypair(n: u8) -> Keypair {
        Keypair::from_secret_bytes([n; 32])
    }

    #[test]
    fn a_signed_record_verifies_and_any_change_breaks_it() {
        let record = MutableRecord::sign(&keypair(1), b"salt", 7, b"value".to_vec()).unwrap();
        assert_eq!(record.verify(), Ok(()));
        let changed = [
            MutableRecord {
                seq: 8,
                ..record.clone()
            },
            MutableRecord {
                salt: b"other".to_vec(),
                ..record.clone()
            },
            MutableRecord {
                value: b"valuf".to_vec(),
                ..record.clone()
            },
            MutableRecord {
                public_key: keypair(2).public(),
                ..record.clone()
            },
            MutableRecord {
                public_key: PublicKey::from_bytes([0xff; 32]),
                ..record.clone()
            },
        ];
        for forged in changed {
            assert_eq!(
                forged.verify(),
                Err(SignedError::BadSignature),
                "{forged:?}"
            );
        }
    }

    #[test]
    fn sizes_are_bounded_as_in_bep_44() {
        let k = keypair(1);
        assert!(MutableRecord::sign(&k, b"", 0, vec![0; MAX_MUTABLE_VALUE]).is_ok());
        assert!(MutableRecord::sign(&k, &[0; MAX_SALT], 0, vec![0; 936]).is_ok());
        assert_eq!(
            MutableRecord::sign(&k, b"", 0, vec![0; MAX_MUTABLE_VALUE + 1]),
            Err(SignedError::ValueTooLarge { len: 1001 })
        );
        assert_eq!(
            MutableRecord::sign(&k, b"salt", 0, vec![0; 997]),
            Err(SignedError::ValueTooLarge { len: 1001 })
        );
        assert_eq!(
            MutableRecord::sign(&k, &[0; MAX_SALT + 1], 0, Vec::new()),
            Err(SignedError::SaltTooLarge { len: 65 })
        );
    }

    #[test]
    fn the_secret_bytes_give_back_the_same_key_pair() {
        let k = keypair(9);
        assert_eq!(
            Keypair::from_secret_bytes(k.secret_bytes()).public(),
            k.public()
        );
        assert!(
            format!("{k:?}").starts_with("Keypair(PublicKey("),
            "Debug shows no secret"
        );
    }
}
