//! A service with a data directory comes back from a restart with its id and its records;
//! a directory in use, written by a newer version or damaged is refused with a clear error
//! and left as it was.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::builder;
use kad_runtime::hash::Sha1Hasher;
use kad_runtime::{DHTService, Error, StorageError, UdpGateway, DATABASE_FILE, SCHEMA_VERSION};

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("kad-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start_in(dir: &Path, storage_timeout: Duration) -> Result<DHTService<Sha1Hasher>, Error> {
    let mut service = builder(1)
        .storage_timeout(storage_timeout)
        .data_dir(dir)
        .build()?;
    service.register_gateway(UdpGateway::new("127.0.0.1:0"));
    service.start()?;
    Ok(service)
}

#[test]
fn a_restarted_service_keeps_its_id_and_serves_its_records() {
    let dir = TempDir::new("restart");
    let first = start_in(&dir.0, Duration::from_secs(3600)).expect("starts");
    let id = first.local_id();
    let public = first.keypair().map(|k| k.public());
    first
        .save(b"kept", b"a value".to_vec())
        .wait()
        .expect("saved");
    first.stop();

    let second = start_in(&dir.0, Duration::from_secs(3600)).expect("starts again");
    assert_eq!(second.local_id(), id, "the same id");
    assert_eq!(
        second.keypair().map(|k| k.public()),
        public,
        "the same key pair"
    );
    assert!(public.is_some());
    assert_eq!(second.query(b"kept"), Some(b"a value".to_vec()));
    assert_eq!(second.stats().records, 1);
}

#[test]
fn records_that_expired_while_the_service_was_down_are_not_served() {
    let dir = TempDir::new("expired");
    let first = start_in(&dir.0, Duration::from_secs(1)).expect("starts");
    first
        .save(b"brief", b"gone soon".to_vec())
        .wait()
        .expect("saved");
    first.stop();
    std::thread::sleep(Duration::from_millis(1200));
    let second = start_in(&dir.0, Duration::from_secs(1)).expect("starts again");
    assert_eq!(second.query(b"brief"), None);
    assert_eq!(second.stats().records, 0);
}

#[test]
fn a_directory_in_use_is_refused() {
    let dir = TempDir::new("locked");
    let _first = start_in(&dir.0, Duration::from_secs(3600)).expect("starts");
    match start_in(&dir.0, Duration::from_secs(3600)) {
        Err(Error::Storage(StorageError::Locked(path))) => assert_eq!(path, dir.0),
        other => panic!("{other:?}"),
    }
}

/// A database at `file` as a newer version writes it, still open.
fn newer_schema(file: &Path) -> redb::Database {
    let db = redb::Database::create(file).unwrap();
    let write = db.begin_write().unwrap();
    {
        let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
        let mut table = write.open_table(meta).unwrap();
        let newer = (SCHEMA_VERSION + 1).to_be_bytes();
        table.insert("schema_version", newer.as_slice()).unwrap();
    }
    write.commit().unwrap();
    db
}

#[test]
fn a_directory_of_a_newer_version_is_refused_and_left_alone() {
    let dir = TempDir::new("newer");
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join(DATABASE_FILE);
    drop(newer_schema(&file));
    let before = std::fs::read(&file).unwrap();
    match start_in(&dir.0, Duration::from_secs(3600)) {
        Err(Error::Storage(StorageError::NewerSchema { found, supported })) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("{other:?}"),
    }
    assert!(std::fs::read(&file).unwrap() == before, "not overwritten");
}

#[test]
fn a_damaged_directory_is_refused_and_left_alone() {
    let dir = TempDir::new("damaged");
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join(DATABASE_FILE);
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &garbage).unwrap();
    let result = start_in(&dir.0, Duration::from_secs(3600));
    assert!(
        matches!(result, Err(Error::Storage(StorageError::Corrupt(_)))),
        "{result:?}"
    );
    assert!(std::fs::read(&file).unwrap() == garbage, "not overwritten");
}

#[test]
fn records_held_for_other_nodes_survive_a_restart() {
    let dir = TempDir::new("replica");
    let holder = start_in(&dir.0, Duration::from_secs(3600)).expect("starts");
    let seed = holder.local_addrs()[0].clone();
    let publisher = common::start(builder(2));
    publisher.connect(seed).expect("connect");
    let both = [holder, publisher];
    common::wait_for_peers(&both, 1, Duration::from_secs(5));
    let [holder, publisher] = both;
    let copies = publisher
        .save(b"theirs", b"held for them".to_vec())
        .wait()
        .expect("saved");
    assert_eq!(copies, 1, "the holder took a copy");
    publisher.stop();
    // Written within the flush interval, or at the latest when the holder stops.
    holder.stop();
    let again = start_in(&dir.0, Duration::from_secs(3600)).expect("starts again");
    assert_eq!(again.query(b"theirs"), Some(b"held for them".to_vec()));
    assert_eq!(again.stats().records, 1);
}

#[test]
fn a_restarted_service_rejoins_through_its_saved_contacts() {
    let network = common::network(4, 31);
    let dir = TempDir::new("warm");
    let node = start_in(&dir.0, Duration::from_secs(3600)).expect("starts");
    node.connect(network[0].local_addrs()[0].clone())
        .expect("connect");
    common::wait_for_peers(std::slice::from_ref(&node), 3, Duration::from_secs(5));
    node.stop();
    network[2]
        .save(b"while away", b"saved meanwhile".to_vec())
        .wait()
        .expect("saved");

    // No bootstrap address this time: the saved contacts are enough.
    let again = start_in(&dir.0, Duration::from_secs(3600)).expect("starts again");
    common::wait_for_peers(std::slice::from_ref(&again), 3, Duration::from_secs(5));
    assert!(again.get_number_of_known_peers() >= 3);
    assert_eq!(
        again.query(b"while away"),
        Some(b"saved meanwhile".to_vec())
    );
}

/// A small file system of its own, to fill up: needs root (to mount a tmpfs).
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(name: &str, size: &str) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("kad-disk-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        Some(SmallDisk(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_full_disk_is_counted_and_the_node_serves_from_memory() {
    let Some(disk) = SmallDisk::mount("full", "512k") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    common::logs::capture(tracing::Level::WARN);
    // Room taken by something else, to give back later.
    let filler = disk.0.join("filler");
    std::fs::write(&filler, vec![0u8; 192 * 1024]).unwrap();
    let service = start_in(&disk.0.join("node"), Duration::from_secs(3600)).expect("starts");
    let value = vec![0x5a; 1000];
    let mut refused = None;
    for i in 0..600u32 {
        if let Err(error) = service.save(i.to_be_bytes(), value.clone()).wait() {
            refused = Some(error);
            break;
        }
    }
    // A save that could not be written is not acknowledged as one that was.
    assert!(
        matches!(refused, Some(Error::Storage(_))),
        "the disk filled up: {refused:?}"
    );
    assert!(service.stats().storage_errors > 0);
    let logged = common::logs::logged();
    assert!(
        logged.contains("WARN") && logged.contains("cannot write to the data directory"),
        "{logged}"
    );
    // Everything saved is still served from memory.
    for i in 0..20u32 {
        assert_eq!(service.query(i.to_be_bytes()), Some(value.clone()), "{i}");
    }
    // Once there is room again, saves are written again.
    std::fs::remove_file(&filler).unwrap();
    let saved = service.save(b"after", b"written again".to_vec()).wait();
    assert!(saved.is_ok(), "{saved:?}");
    service.stop();
    let again = start_in(&disk.0.join("node"), Duration::from_secs(3600)).expect("restarts");
    assert_eq!(again.query(b"after"), Some(b"written again".to_vec()));
}

#[test]
fn a_newer_directory_left_by_a_crash_is_refused_and_left_alone() {
    let dir = TempDir::new("newer-crash");
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join(DATABASE_FILE);
    // A process of a newer version wrote it and died without closing it.
    let crashed = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "newer_version_crashes", "--include-ignored"])
        .env("KAD_CRASH_FILE", &file)
        .status()
        .unwrap();
    assert!(crashed.success());
    let before = std::fs::read(&file).unwrap();
    match start_in(&dir.0, Duration::from_secs(3600)) {
        Err(Error::Storage(StorageError::NewerSchema { found, .. })) => {
            assert_eq!(found, SCHEMA_VERSION + 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        std::fs::read(&file).unwrap() == before,
        "not repaired in place"
    );
}

/// Run by the test above as a process of its own: writes a newer schema and exits without
/// closing the database, as a crash would.
#[test]
#[ignore]
fn newer_version_crashes() {
    let Ok(file) = std::env::var("KAD_CRASH_FILE") else {
        return;
    };
    std::mem::forget(newer_schema(Path::new(&file)));
    std::process::exit(0);
}

#[test]
fn a_directory_of_another_hash_function_is_refused() {
    let dir = TempDir::new("other-hasher");
    start_in(&dir.0, Duration::from_secs(3600))
        .expect("starts")
        .stop();
    let mut other = DHTService::builder()
        .hasher(kad_runtime::hash::Sha256Hasher::new())
        .data_dir(&dir.0)
        .build()
        .unwrap();
    other.register_gateway(UdpGateway::new("127.0.0.1:0"));
    match other.start() {
        Err(Error::Storage(StorageError::OtherKeySize { found, expected })) => {
            assert_eq!((found, expected), (20, 32));
        }
        other => panic!("{other:?}"),
    }
}
