//! What reaches a service's task through its inbox: messages from the gateways, commands
//! from the service's callers (each with the channel its answer goes back on), and the order
//! to stop.

use std::sync::mpsc::SyncSender;

use kad_core::{CommandError, Keypair, QueryResult, Record, RecordKind};
use kad_proto::{Multiaddr, WireMessage};

use crate::error::Error;

/// One item of a service's inbox.
pub(crate) enum Input<K> {
    /// A message a gateway received.
    Message {
        from: Multiaddr,
        message: WireMessage<K>,
    },
    /// A call on the service.
    Command(Command<K>),
    /// Shut the gateways down and leave the reactor.
    Stop,
}

/// A call on the service, for the node.
pub(crate) enum Command<K> {
    /// Bootstrap from these seeds; acknowledged once the first requests are out.
    Connect {
        seeds: Vec<Multiaddr>,
        ack: SyncSender<Result<(), Error>>,
    },
    /// Look a record of this kind up.
    Get {
        key: K,
        kind: RecordKind,
        reply: SyncSender<Option<Record>>,
    },
    /// Store a record.
    Put {
        key: K,
        record: Record,
        reply: SyncSender<Result<usize, Error>>,
    },
    /// Publish the next version of a mutable record.
    PutMutable {
        key: K,
        put: Box<MutablePut>,
        reply: SyncSender<Result<usize, Error>>,
    },
}

/// What a mutable put signs: the key pair, the salt, the value and the sequence number the
/// writer expects to replace.
pub(crate) struct MutablePut {
    pub(crate) keypair: Keypair,
    pub(crate) salt: Vec<u8>,
    pub(crate) value: Vec<u8>,
    pub(crate) cas: Option<u64>,
}

/// Where the result of a running query goes.
pub(crate) enum Reply {
    Get(SyncSender<Option<Record>>),
    Put(SyncSender<Result<usize, Error>>),
}

impl Reply {
    /// Tells the caller the query failed with `error`.
    pub(crate) fn fail(self, error: Error) {
        match self {
            Reply::Put(reply) => {
                let _ = reply.try_send(Err(error));
            }
            // A get has no error to hear of: dropping the sender ends its wait.
            Reply::Get(_) => {}
        }
    }

    /// Sends the answer; a caller that stopped waiting is not an error.
    pub(crate) fn send<K>(self, result: QueryResult<Multiaddr, K>) {
        match (self, result) {
            (Reply::Get(reply), QueryResult::Get { record, .. }) => {
                let _ = reply.try_send(record);
            }
            (
                Reply::Put(reply),
                QueryResult::Put {
                    replicas,
                    superseded,
                    ..
                },
            ) => {
                let result = match superseded {
                    Some(seq) => Err(Error::Command(CommandError::Superseded { seq })),
                    None => Ok(replicas),
                };
                let _ = reply.try_send(result);
            }
            // A result of another kind cannot come for this id; dropping the sender tells the
            // caller the query ended without an answer.
            _ => {}
        }
    }
}
