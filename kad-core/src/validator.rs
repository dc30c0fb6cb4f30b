//! Which records a node accepts under which key, and which of two is best.
//!
//! A node asks its [`Validator`] before it stores a record a STORE carries (one that fails is
//! refused and counted) and before a lookup uses a value a node returned (one that fails is
//! skipped, counted, and never cached). [`RecordRules`] checks the three kinds of
//! [`Record`] with the network's hasher; a node built without a validator accepts plain
//! records only, since it cannot check the others.

use std::cmp::Ordering;
use std::fmt;

use crate::hash::Hasher;
use crate::key::KeyType;
use crate::record::{immutable_key, Record, RecordKind};
use crate::signed::{mutable_key, SignedError};

/// Decides whether a record may be stored under a key and, of two valid ones, which is best.
///
/// Implement it for rules of your own (records of an application's schema, say); wrap
/// [`RecordRules`] to keep its checks of the built-in kinds.
pub trait Validator<K>: fmt::Debug + Send + Sync + 'static {
    /// Whether `record` may be stored under `key`.
    fn validate(&self, key: &K, record: &Record) -> Result<(), Invalid>;

    /// Of two records valid under `key`, whether `a` is better than `b` (`Greater`), worse
    /// (`Less`), or neither. A STORE replaces a worse record held and is refused against a
    /// better one; between records neither better, the plain rule holds (a different value
    /// replaces one only if it lives at least as long). The default: a record that proves
    /// itself (immutable or signed) is better than a plain one, which anyone may store
    /// under any key; of two signed records, the higher sequence number is better.
    fn compare(&self, key: &K, a: &Record, b: &Record) -> Ordering {
        let _ = key;
        match (a, b) {
            (Record::Mutable(a), Record::Mutable(b)) => a.seq.cmp(&b.seq),
            (Record::Plain(_), Record::Plain(_)) => Ordering::Equal,
            (Record::Plain(_), _) => Ordering::Less,
            (_, Record::Plain(_)) => Ordering::Greater,
            _ => Ordering::Equal,
        }
    }
}

/// Why a record is not valid under a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// The validator does not take records of this kind.
    KindNotAccepted(RecordKind),
    /// An immutable record's value does not hash to its key.
    HashMismatch,
    /// A mutable record's public key and salt do not hash to its key.
    KeyMismatch,
    /// A mutable record is over a size limit, or its signature is not valid.
    Signed(SignedError),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::KindNotAccepted(kind) => write!(f, "{kind:?} records are not accepted"),
            Invalid::HashMismatch => write!(f, "the value does not hash to its key"),
            Invalid::KeyMismatch => {
                write!(f, "the public key and salt do not hash to the record's key")
            }
            Invalid::Signed(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Invalid {}

/// The rules of the built-in record kinds, with the network's hasher: plain records under
/// any key; immutable ones only under the hash of their value; mutable ones only under the
/// hash of their public key and salt, with a valid signature, the higher sequence number
/// winning.
#[derive(Clone)]
pub struct RecordRules<H> {
    hasher: H,
}

impl<H: Hasher> RecordRules<H> {
    /// The rules for a network whose keys `hasher` makes.
    pub fn new(hasher: H) -> Self {
        RecordRules { hasher }
    }
}

impl<H> fmt::Debug for RecordRules<H>
where
    H: Hasher,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordRules")
            .field("hasher", &self.hasher.name())
            .finish()
    }
}

impl<H: Hasher> Validator<H::Key> for RecordRules<H> {
    fn validate(&self, key: &H::Key, record: &Record) -> Result<(), Invalid> {
        match record {
            Record::Plain(_) => Ok(()),
            Record::Immutable(value) => (immutable_key(&self.hasher, value) == *key)
                .then_some(())
                .ok_or(Invalid::HashMismatch),
            Record::Mutable(m) => {
                if mutable_key(&self.hasher, &m.public_key, &m.salt) != *key {
                    return Err(Invalid::KeyMismatch);
                }
                m.verify().map_err(Invalid::Signed)
            }
        }
    }
}

/// What a node built without a validator accepts: plain records, the only kind it can
/// check without the network's hasher.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlainRecords;

impl<K: KeyType> Validator<K> for PlainRecords {
    fn validate(&self, _key: &K, record: &Record) -> Result<(), Invalid> {
        match record {
            Record::Plain(_) => Ok(()),
            other => Err(Invalid::KindNotAccepted(other.kind())),
        }
    }
}

#[cfg(all(test, feature = "sha1"))]
mod tests {
    use super::*;
    use crate::hash::Sha1Hasher;
    use crate::signed::{Keypair, MutableRecord, Signature};

    fn rules() -> RecordRules<Sha1Hasher> {
        RecordRules::new(Sha1Hasher::new())
    }

    #[test]
    fn an_immutable_record_is_valid_only_under_its_hash() {
        let h = Sha1Hasher::new();
        let record = Record::Immutable(b"content".to_vec());
        assert_eq!(rules().validate(&h.hash(b"content"), &record), Ok(()));
        assert_eq!(
            rules().validate(&h.hash(b"other"), &record),
            Err(Invalid::HashMismatch)
        );
    }

    #[test]
    fn a_mutable_record_needs_its_own_key_and_a_valid_signature() {
        let h = Sha1Hasher::new();
        let keys = Keypair::from_secret_bytes([3; 32]);
        let m = MutableRecord::sign(&keys, b"s", 1, b"v".to_vec()).unwrap();
        let key = m.key(&h);
        assert_eq!(rules().validate(&key, &Record::from(m.clone())), Ok(()));
        assert_eq!(
            rules().validate(&h.hash(b"elsewhere"), &Record::from(m.clone())),
            Err(Invalid::KeyMismatch)
        );
        let forged = MutableRecord {
            signature: Signature::from_bytes([0; 64]),
            ..m
        };
        assert_eq!(
            rules().validate(&key, &Record::from(forged)),
            Err(Invalid::Signed(SignedError::BadSignature))
        );
    }

    #[test]
    fn the_higher_sequence_number_is_better() {
        let keys = Keypair::from_secret_bytes([3; 32]);
        let v = |seq| Record::from(MutableRecord::sign(&keys, b"", seq, Vec::new()).unwrap());
        let key = Sha1Hasher::new().hash(b"k");
        assert_eq!(rules().compare(&key, &v(2), &v(1)), Ordering::Greater);
        assert_eq!(rules().compare(&key, &v(1), &v(2)), Ordering::Less);
        // Anyone may store a plain record under any key: it never beats one that proves
        // itself.
        let plain = Record::Plain(Vec::new());
        assert_eq!(rules().compare(&key, &plain, &v(1)), Ordering::Less);
        assert_eq!(rules().compare(&key, &v(1), &plain), Ordering::Greater);
        let content = Record::Immutable(Vec::new());
        assert_eq!(rules().compare(&key, &plain, &content), Ordering::Less);
        assert_eq!(rules().compare(&key, &plain, &plain), Ordering::Equal);
    }

    #[test]
    fn without_the_hasher_only_plain_records_pass() {
        let key = Sha1Hasher::new().hash(b"k");
        assert_eq!(
            PlainRecords.validate(&key, &Record::Plain(Vec::new())),
            Ok(())
        );
        assert_eq!(
            PlainRecords.validate(&key, &Record::Immutable(Vec::new())),
            Err(Invalid::KindNotAccepted(RecordKind::Immutable))
        );
    }
}
