//! Plain values on [`DHTService`]: [`save`](DHTService::save) and the lookups of
//! [`query`](DHTService::query), blocking or as a future ([`QueryFuture`]). Every lookup,
//! signed and content-addressed records' too, is one future: the blocking calls wait on it
//! with a timeout.

use std::time::Duration;

use kad_core::{CommandError, Hasher, Record, RecordKind};

use crate::command::Command;
use crate::error::Error;
use crate::handle::SaveHandle;
use crate::pending::{Pending, ReplyTo};
use crate::query_future::QueryFuture;
use crate::service::DHTService;

impl<H: Hasher> DHTService<H> {
    /// Stores `value` under `key` (hashed with the service's hasher) here and at the k nodes
    /// closest to the key, without blocking. The returned handle tells, if waited on, how
    /// many nodes took a copy; dropping it does not cancel the save. This node re-puts the
    /// value before it expires, for as long as it runs.
    ///
    /// A value over [`MAX_VALUE_SIZE`](kad_proto::MAX_VALUE_SIZE) (what fits one datagram)
    /// is refused: the handle's [`wait`](SaveHandle::wait) returns [`Error::Command`].
    pub fn save(&self, key: impl AsRef<[u8]>, value: Vec<u8>) -> SaveHandle {
        let key = self.hasher().hash(key.as_ref());
        let len = value.len();
        self.put_with(len, |reply| Command::Put {
            key,
            record: Record::Plain(value),
            reply,
        })
    }

    /// Sends the put `command` makes of a reply channel, once a value of `len` bytes is
    /// known to fit a datagram; the handle of its result.
    pub(crate) fn put_with(
        &self,
        len: usize,
        command: impl FnOnce(ReplyTo<usize>) -> Command<H::Key>,
    ) -> SaveHandle {
        let running = match self.live() {
            Ok(running) => running,
            Err(error) => return SaveHandle::failed(error),
        };
        if len > running.max_value_size {
            return SaveHandle::failed(Error::Command(CommandError::ValueTooLarge {
                len,
                max: running.max_value_size,
            }));
        }
        SaveHandle::new(running.ask(command))
    }

    /// Finds the value stored under `key`: here first, then across the network. Blocks until
    /// the lookup ends, at most the query timeout (four request timeouts unless set with
    /// [`Builder::query_timeout`](crate::Builder::query_timeout)). Returns `None` if no node
    /// has the value, on timeout, and if the service is not running. For a lookup that does
    /// not block, see [`query_async`](Self::query_async).
    pub fn query(&self, key: impl AsRef<[u8]>) -> Option<Vec<u8>> {
        self.try_query(key).ok().flatten()
    }

    /// Like [`query`](Self::query), telling "not found" (`Ok(None)`) apart from "not
    /// running" and "timed out" (`Err`).
    pub fn try_query(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, Error> {
        self.query_within(key, self.query_timeout())
    }

    /// Like [`try_query`](Self::try_query), waiting at most `timeout`.
    pub fn query_within(
        &self,
        key: impl AsRef<[u8]>,
        timeout: Duration,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.query_async(key).wait_timeout(timeout)
    }

    /// Like [`try_query`](Self::try_query), without blocking: starts the lookup and returns
    /// a future of its result, for any executor (the service needs no async runtime).
    ///
    /// The future resolves to `Ok(Some(value))`, `Ok(None)` if no node has the value, or
    /// [`Error::Stopped`] (or [`Error::NotStarted`]) if the service is not running. It always
    /// resolves, as the lookup ends within a few request timeouts; see [`QueryFuture`] for
    /// how to bound it more tightly.
    ///
    /// ```
    /// use futures_executor::block_on; // any executor: tokio, async-std, smol, ...
    /// use kad_runtime::{DHTService, UdpGateway};
    ///
    /// let mut service = DHTService::builder().build()?;
    /// service.register_gateway(UdpGateway::new("127.0.0.1:0"));
    /// service.start()?;
    /// block_on(async {
    ///     service.save(b"key", b"value".to_vec()).await?;
    ///     let value = service.query_async(b"key").await?;
    ///     assert_eq!(value.as_deref(), Some(&b"value"[..]));
    ///     Ok::<(), kad_runtime::Error>(())
    /// })?;
    /// # Ok::<(), kad_runtime::Error>(())
    /// ```
    pub fn query_async(&self, key: impl AsRef<[u8]>) -> QueryFuture<Vec<u8>> {
        let key = self.hasher().hash(key.as_ref());
        self.get_async(key, RecordKind::Plain, |record| Some(record.into_value()))
    }

    /// Starts the lookup of the record of `kind` under `key`; the future gives what `value`
    /// makes of the record found.
    pub(crate) fn get_async<T>(
        &self,
        key: H::Key,
        kind: RecordKind,
        value: fn(Record) -> Option<T>,
    ) -> QueryFuture<T> {
        let record = match self.live() {
            Ok(running) => running.ask(|reply| Command::Get { key, kind, reply }),
            Err(error) => Pending::failed(error),
        };
        QueryFuture::new(record, value)
    }
}
