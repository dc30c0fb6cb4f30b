//! The records a user can trust, on [`DHTService`]: signed mutable records (BEP 44) and
//! content-addressed immutable ones, beside the plain `save` and `query`.

use kad_core::{mutable_key, Hasher, Record, RecordKind};

use crate::command::{Command, MutablePut};
use crate::error::Error;
use crate::handle::SaveHandle;
use crate::keypair::Keypair;
use crate::query_future::QueryFuture;
use crate::service::DHTService;
use crate::{MutableRecord, PublicKey};

impl<H: Hasher> DHTService<H> {
    /// Publishes `value` as the next version of the mutable record of `keypair` and `salt`
    /// (at most [`MAX_MUTABLE_VALUE`](crate::MAX_MUTABLE_VALUE) bytes of value and salt
    /// together), without blocking.
    ///
    /// The record is stored under the hash of the public key and the salt. Its lookup asks
    /// the closest nodes for the newest version, signs the one after it (1 if there is none)
    /// and stores it at those nodes and here; this node re-puts it, as it does a `save`.
    /// The handle's [`wait`](SaveHandle::wait) returns how many nodes took it, or
    /// [`Error::Command`] with [`CommandError::Superseded`](kad_core::CommandError::Superseded)
    /// if another writer's version got there first.
    ///
    /// ```
    /// use kad_runtime::{DHTService, Keypair, UdpGateway};
    ///
    /// let mut service = DHTService::builder().build()?;
    /// service.register_gateway(UdpGateway::new("127.0.0.1:0"));
    /// service.start()?;
    /// let keypair = Keypair::generate();
    /// service.put_mutable(&keypair, b"status", b"online".to_vec()).wait()?;
    /// let record = service.get_mutable(&keypair.public(), b"status")?;
    /// assert_eq!(record.map(|r| r.value), Some(b"online".to_vec()));
    /// # Ok::<(), kad_runtime::Error>(())
    /// ```
    pub fn put_mutable(&self, keypair: &Keypair, salt: &[u8], value: Vec<u8>) -> SaveHandle {
        self.send_mutable(keypair, salt, value, None)
    }

    /// Like [`put_mutable`](Self::put_mutable), only if `expected_seq` is the newest
    /// version (compare-and-swap): the new one is `expected_seq + 1`. If a node (this one
    /// included) holds a newer version, nothing is stored and the handle's
    /// [`wait`](SaveHandle::wait) returns [`Error::Command`] with
    /// [`CommandError::Superseded`](kad_core::CommandError::Superseded) and its sequence
    /// number.
    pub fn put_mutable_cas(
        &self,
        keypair: &Keypair,
        salt: &[u8],
        value: Vec<u8>,
        expected_seq: u64,
    ) -> SaveHandle {
        self.send_mutable(keypair, salt, value, Some(expected_seq))
    }

    fn send_mutable(
        &self,
        keypair: &Keypair,
        salt: &[u8],
        value: Vec<u8>,
        cas: Option<u64>,
    ) -> SaveHandle {
        let key = mutable_key(self.hasher(), &keypair.public(), salt);
        let put = MutablePut {
            keypair: keypair.inner().clone(),
            salt: salt.to_vec(),
            value,
            cas,
        };
        self.put_with(put.value.len(), |reply| Command::PutMutable {
            key,
            put: Box::new(put),
            reply,
        })
    }

    /// The newest version of the mutable record of `public_key` and `salt` that the closest
    /// nodes hold: every version heard is checked against its signature, and the newest is
    /// written back to those of the closest that held an older one. Blocks as
    /// [`try_query`](Self::try_query) does; `Ok(None)` if no node has one.
    pub fn get_mutable(
        &self,
        public_key: &PublicKey,
        salt: &[u8],
    ) -> Result<Option<MutableRecord>, Error> {
        self.get_mutable_async(public_key, salt)
            .wait_timeout(self.query_timeout())
    }

    /// Like [`get_mutable`](Self::get_mutable), without blocking: starts the lookup and
    /// returns a future of its result, as [`query_async`](Self::query_async) does.
    pub fn get_mutable_async(
        &self,
        public_key: &PublicKey,
        salt: &[u8],
    ) -> QueryFuture<MutableRecord> {
        let key = mutable_key(self.hasher(), public_key, salt);
        self.get_async(key, RecordKind::Mutable, |record| match record {
            Record::Mutable(record) => Some(*record),
            _ => None,
        })
    }

    /// Stores `value` under its own hash, here and at the k closest nodes, without
    /// blocking: nodes refuse it under any other key, so whoever gets that key gets these
    /// bytes or nothing. Returns the key, to share, and the handle of the save.
    pub fn put_immutable(&self, value: Vec<u8>) -> (H::Key, SaveHandle) {
        let key = self.hasher().hash(&value);
        let handle = self.put_with(value.len(), |reply| Command::Put {
            key,
            record: Record::Immutable(value),
            reply,
        });
        (key, handle)
    }

    /// The value stored under `key` by [`put_immutable`](Self::put_immutable): only a value
    /// that hashes to `key` is taken. Blocks as [`try_query`](Self::try_query) does;
    /// `Ok(None)` if no node has it.
    pub fn get_immutable(&self, key: &H::Key) -> Result<Option<Vec<u8>>, Error> {
        self.get_immutable_async(key)
            .wait_timeout(self.query_timeout())
    }

    /// Like [`get_immutable`](Self::get_immutable), without blocking: starts the lookup and
    /// returns a future of its result, as [`query_async`](Self::query_async) does.
    pub fn get_immutable_async(&self, key: &H::Key) -> QueryFuture<Vec<u8>> {
        self.get_async(*key, RecordKind::Immutable, |record| {
            Some(record.into_value())
        })
    }
}
