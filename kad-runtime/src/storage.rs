//! A service's data directory: one redb database (crash-safe, ACID) that keeps the node's id,
//! its key pair, its records and its routing table's contacts across restarts. The key pair's
//! secret is in the file: keep the directory as private as the key. The core does no IO: it reports which records changed
//! (`Node::take_record_changes`) and the service task writes them here in one transaction
//! at a time, and reads them back when the service starts.
//!
//! Each record is kept with the wall-clock instant it ends at, so that one that expired
//! while the node was down is not served again, and whether this node published it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kad_core::{KeyType, MutableRecord, PublicKey, Record, RecordChange, Signature};
use kad_proto::Multiaddr;
use redb::{Database, DatabaseError, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

/// The database file in a data directory.
pub const DATABASE_FILE: &str = "kad.redb";

/// The layout of the data this version writes. A data directory written by a newer version
/// is refused rather than read wrongly or overwritten.
pub const SCHEMA_VERSION: u32 = 1;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const RECORDS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("records");
const CONTACTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("contacts");

const SCHEMA_KEY: &str = "schema_version";
const ID_KEY: &str = "node_id";
const KEYPAIR_KEY: &str = "keypair";

/// Why a data directory cannot be used.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum StorageError {
    /// Another process (or service) has the data directory open.
    Locked(PathBuf),
    /// The data was written by a newer version of this library, with another layout.
    NewerSchema {
        /// The version found.
        found: u32,
        /// The newest this version reads.
        supported: u32,
    },
    /// The database file is damaged or not one at all.
    Corrupt(String),
    /// The directory belongs to a node of another hash function (its id has another size).
    OtherKeySize {
        /// The size of the saved id, in bytes.
        found: usize,
        /// The size of this service's keys.
        expected: usize,
    },
    /// The file system refused: no such directory, no permission, a full disk.
    Io(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Locked(path) => write!(
                f,
                "the data directory {} is in use by another process",
                path.display()
            ),
            StorageError::NewerSchema { found, supported } => write!(
                f,
                "the data directory was written by a newer version (schema {found}, this \
                 version reads up to {supported}); it is left untouched"
            ),
            StorageError::Corrupt(why) => write!(f, "the data directory is damaged: {why}"),
            StorageError::OtherKeySize { found, expected } => write!(
                f,
                "the data directory is a node's of {found}-byte ids, this service's hasher \
                 makes {expected}-byte ones"
            ),
            StorageError::Io(why) => write!(f, "the data directory cannot be used: {why}"),
        }
    }
}

impl std::error::Error for StorageError {}

fn io(error: impl fmt::Display) -> StorageError {
    StorageError::Io(error.to_string())
}

/// A record as it is kept on disk.
#[derive(Serialize, Deserialize)]
struct Saved {
    record: SavedRecord,
    /// Milliseconds since the Unix epoch at which the record ends.
    expires_ms: u64,
    published: bool,
}

#[derive(Serialize, Deserialize)]
enum SavedRecord {
    Plain(Vec<u8>),
    Immutable(Vec<u8>),
    Mutable {
        public_key: [u8; 32],
        salt: Vec<u8>,
        seq: u64,
        value: Vec<u8>,
        signature: ([u8; 32], [u8; 32]),
    },
}

impl SavedRecord {
    fn of(record: &Record) -> Self {
        match record {
            Record::Plain(value) => SavedRecord::Plain(value.clone()),
            Record::Immutable(value) => SavedRecord::Immutable(value.clone()),
            Record::Mutable(m) => SavedRecord::Mutable {
                public_key: *m.public_key.as_bytes(),
                salt: m.salt.clone(),
                seq: m.seq,
                value: m.value.clone(),
                signature: m.signature.halves(),
            },
        }
    }

    fn into_record(self) -> Record {
        match self {
            SavedRecord::Plain(value) => Record::Plain(value),
            SavedRecord::Immutable(value) => Record::Immutable(value),
            SavedRecord::Mutable {
                public_key,
                salt,
                seq,
                value,
                signature: (first, second),
            } => {
                let signature = Signature::from_halves(first, second);
                Record::from(MutableRecord {
                    public_key: PublicKey::from_bytes(public_key),
                    salt,
                    seq,
                    value,
                    signature,
                })
            }
        }
    }
}

const CODEC: bincode::config::Configuration = bincode::config::standard();

/// A contact as it is kept on disk: its address (binary multiaddr) and when it was last
/// heard from.
#[derive(Serialize, Deserialize)]
struct SavedContact {
    addr: Vec<u8>,
    last_seen_ms: u64,
}

/// A record read back: its key, the record, what it has left to live, whether this node
/// published it.
pub(crate) type Restored<K> = (K, Record, Duration, bool);

/// An open data directory.
pub(crate) struct Storage {
    db: Database,
    path: PathBuf,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Storage")
    }
}

impl Storage {
    /// Opens (or creates) the database in `dir`, refusing one in use, damaged, or of a newer
    /// schema.
    pub(crate) fn open(dir: &Path) -> Result<Self, StorageError> {
        // redb may panic on a file damaged outside it: that is a damaged directory too.
        guarded(|| Self::open_checked(dir))
    }

    fn open_checked(dir: &Path) -> Result<Self, StorageError> {
        create_private_dir(dir)?;
        let path = dir.join(DATABASE_FILE);
        let refused = |e: DatabaseError| match e {
            DatabaseError::DatabaseAlreadyOpen => StorageError::Locked(dir.to_path_buf()),
            other => StorageError::Corrupt(other.to_string()),
        };
        // An existing file is read first without writing: one of a newer schema is left
        // exactly as it is. One that a crash left needing repair cannot be read so: a copy
        // of it is repaired and read instead, and the file itself is only opened for
        // writing (and repaired) if its schema is one this version reads.
        if path.exists() {
            match Database::builder()
                .set_check_integrity_on_open(true)
                .open_read_only(&path)
            {
                Ok(read_only) => check_schema(meta(&read_only, SCHEMA_KEY)?)?,
                Err(DatabaseError::RepairAborted) => check_schema_of_copy(dir, &path)?,
                Err(e) => return Err(refused(e)),
            }
        }
        let db = writable(&path).map_err(refused)?;
        restrict_to_owner(&path)?;
        let storage = Storage { db, path };
        match meta(&storage.db, SCHEMA_KEY)? {
            Some(saved) => check_schema(Some(saved))?,
            None => storage.set_meta(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?,
        }
        Ok(storage)
    }

    fn set_meta(&self, name: &str, value: &[u8]) -> Result<(), StorageError> {
        let write = self.db.begin_write().map_err(io)?;
        {
            let mut table = write.open_table(META).map_err(io)?;
            table.insert(name, value).map_err(io)?;
        }
        write.commit().map_err(io)
    }

    /// The node id saved by an earlier run, if there was one of this key size.
    pub(crate) fn node_id<K: KeyType>(&self) -> Result<Option<K>, StorageError> {
        let Some(bytes) = meta(&self.db, ID_KEY)? else {
            return Ok(None);
        };
        K::from_slice(&bytes)
            .map(Some)
            .ok_or(StorageError::OtherKeySize {
                found: bytes.len(),
                expected: K::LEN,
            })
    }

    /// Keeps `id` as the node's id.
    pub(crate) fn save_node_id<K: KeyType>(&self, id: &K) -> Result<(), StorageError> {
        self.set_meta(ID_KEY, id.as_slice())
    }

    /// The secret key of the service's key pair, saved by an earlier run.
    pub(crate) fn secret_key(&self) -> Result<Option<[u8; 32]>, StorageError> {
        meta(&self.db, KEYPAIR_KEY)?
            .map(|bytes| {
                <[u8; 32]>::try_from(bytes)
                    .map_err(|_| StorageError::Corrupt("the saved key pair is not 32 bytes".into()))
            })
            .transpose()
    }

    /// Keeps `secret` as the service's key pair.
    pub(crate) fn save_secret_key(&self, secret: &[u8; 32]) -> Result<(), StorageError> {
        self.set_meta(KEYPAIR_KEY, secret)
    }

    /// The records saved by an earlier run that are still live at `now` (the wall clock).
    pub(crate) fn records<K: KeyType>(
        &self,
        now: SystemTime,
    ) -> Result<(Vec<Restored<K>>, Vec<K>), StorageError> {
        guarded(|| self.read_records(now))
    }

    /// [`records`](Self::records), and the keys of the expired ones, to drop.
    fn read_records<K: KeyType>(
        &self,
        now: SystemTime,
    ) -> Result<(Vec<Restored<K>>, Vec<K>), StorageError> {
        let read = self.db.begin_read().map_err(io)?;
        let table = match read.open_table(RECORDS) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok((Vec::new(), Vec::new())),
            Err(e) => return Err(StorageError::Corrupt(e.to_string())),
        };
        let now_ms = unix_ms(now);
        let mut out = Vec::new();
        let mut expired = Vec::new();
        for entry in table
            .iter()
            .map_err(|e| StorageError::Corrupt(e.to_string()))?
        {
            let (key, value) = entry.map_err(|e| StorageError::Corrupt(e.to_string()))?;
            let Some(key) = K::from_slice(key.value()) else {
                continue;
            };
            let (saved, _): (Saved, usize) =
                bincode::serde::decode_from_slice(value.value(), CODEC)
                    .map_err(|e| StorageError::Corrupt(e.to_string()))?;
            let remaining = Duration::from_millis(saved.expires_ms.saturating_sub(now_ms));
            if remaining.is_zero() {
                expired.push(key);
            } else {
                out.push((key, saved.record.into_record(), remaining, saved.published));
            }
        }
        Ok((out, expired))
    }

    /// Opens the file again: redb refuses every transaction after one that failed (a full
    /// disk), until then.
    pub(crate) fn reopen(&mut self) -> Result<(), StorageError> {
        // The old handle (and its lock) goes before the new one takes them.
        let placeholder = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(io)?;
        drop(std::mem::replace(&mut self.db, placeholder));
        self.db = writable(&self.path).map_err(io)?;
        Ok(())
    }

    /// Writes `changes`, each with the wall-clock time it was taken at, in one
    /// transaction, durable when it returns.
    pub(crate) fn write<K: KeyType>(
        &self,
        changes: &[(RecordChange<K>, SystemTime)],
    ) -> Result<(), StorageError> {
        if changes.is_empty() {
            return Ok(());
        }
        let write = self.db.begin_write().map_err(io)?;
        {
            let mut table = write.open_table(RECORDS).map_err(io)?;
            for (change, wall) in changes {
                match change {
                    RecordChange::Stored {
                        key,
                        record,
                        remaining,
                        published,
                    } => {
                        let saved = Saved {
                            record: SavedRecord::of(record),
                            expires_ms: unix_ms(*wall + *remaining),
                            published: *published,
                        };
                        let bytes = bincode::serde::encode_to_vec(&saved, CODEC).map_err(io)?;
                        table.insert(key.as_slice(), bytes.as_slice()).map_err(io)?;
                    }
                    RecordChange::Removed { key } => {
                        table.remove(key.as_slice()).map_err(io)?;
                    }
                }
            }
        }
        write.commit().map_err(io)
    }
}

/// `read`, with a panic of redb's on a damaged file taken as the damage it is.
fn guarded<T>(read: impl FnOnce() -> Result<T, StorageError>) -> Result<T, StorageError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(StorageError::Corrupt(
            "the database file cannot be read".into(),
        ))
    })
}

/// The database at `path`, opened for writing (and repaired, after a crash), its integrity
/// checked.
fn writable(path: &Path) -> Result<Database, DatabaseError> {
    Database::builder()
        .set_check_integrity_on_open(true)
        .create(path)
}

/// Creates `dir` if need be, readable by its owner only (it holds the node's secret key).
fn create_private_dir(dir: &Path) -> Result<(), StorageError> {
    std::fs::create_dir_all(dir).map_err(io)?;
    restrict_to_owner(dir)
}

/// Makes `path` readable and writable by its owner only.
#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> Result<(), StorageError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o700 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io)
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> Result<(), StorageError> {
    Ok(())
}

/// The meta entry `name` of `db`.
fn meta(db: &impl ReadableDatabase, name: &str) -> Result<Option<Vec<u8>>, StorageError> {
    let read = db.begin_read().map_err(io)?;
    let table = match read.open_table(META) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(StorageError::Corrupt(e.to_string())),
    };
    let value = table
        .get(name)
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    Ok(value.map(|v| v.value().to_vec()))
}

/// Checks the schema of the file at `path`, which needs repair, on a repaired copy of it in
/// `dir`, leaving the file as it is.
fn check_schema_of_copy(dir: &Path, path: &Path) -> Result<(), StorageError> {
    let copy = dir.join(format!("{DATABASE_FILE}.check"));
    std::fs::copy(path, &copy).map_err(io)?;
    let checked = writable(&copy)
        .map_err(|e| StorageError::Corrupt(e.to_string()))
        .and_then(|db| check_schema(meta(&db, SCHEMA_KEY)?));
    let _ = std::fs::remove_file(&copy);
    checked
}

/// Refuses a schema version newer than this version's.
fn check_schema(saved: Option<Vec<u8>>) -> Result<(), StorageError> {
    let Some(bytes) = saved else {
        return Ok(());
    };
    let found = <[u8; 4]>::try_from(bytes.as_slice())
        .map(u32::from_be_bytes)
        .map_err(|_| StorageError::Corrupt("bad schema version".into()))?;
    if found > SCHEMA_VERSION {
        return Err(StorageError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

impl Storage {
    /// Replaces the saved contacts with `contacts` (id, address, when last heard from).
    pub(crate) fn save_contacts<K: KeyType>(
        &self,
        contacts: &[(K, Multiaddr, SystemTime)],
    ) -> Result<(), StorageError> {
        let write = self.db.begin_write().map_err(io)?;
        write.delete_table(CONTACTS).map_err(io)?;
        {
            let mut table = write.open_table(CONTACTS).map_err(io)?;
            for (id, addr, seen) in contacts {
                let saved = SavedContact {
                    addr: addr.to_vec(),
                    last_seen_ms: unix_ms(*seen),
                };
                let bytes = bincode::serde::encode_to_vec(&saved, CODEC).map_err(io)?;
                table.insert(id.as_slice(), bytes.as_slice()).map_err(io)?;
            }
        }
        write.commit().map_err(io)
    }

    /// The addresses of the saved contacts, the most recently heard from first.
    pub(crate) fn contacts(&self) -> Result<Vec<Multiaddr>, StorageError> {
        guarded(|| self.read_contacts())
    }

    fn read_contacts(&self) -> Result<Vec<Multiaddr>, StorageError> {
        let read = self.db.begin_read().map_err(io)?;
        let table = match read.open_table(CONTACTS) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(StorageError::Corrupt(e.to_string())),
        };
        let mut saved = Vec::new();
        for entry in table
            .iter()
            .map_err(|e| StorageError::Corrupt(e.to_string()))?
        {
            let (_, value) = entry.map_err(|e| StorageError::Corrupt(e.to_string()))?;
            let (contact, _): (SavedContact, usize) =
                bincode::serde::decode_from_slice(value.value(), CODEC)
                    .map_err(|e| StorageError::Corrupt(e.to_string()))?;
            if let Ok(addr) = Multiaddr::try_from(contact.addr) {
                saved.push((contact.last_seen_ms, addr));
            }
        }
        saved.sort_by_key(|(seen, _)| std::cmp::Reverse(*seen));
        Ok(saved.into_iter().map(|(_, addr)| addr).collect())
    }
}

fn unix_ms(t: SystemTime) -> u64 {
    let ms = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX)
}
