//! What reaches a service's task through its inbox: messages from the gateways, commands
//! from the service's callers (each with the channel its answer goes back on), and the order
//! to stop.

use kad_core::{CommandError, Keypair, QueryResult, Record, RecordKind};
use kad_proto::{Multiaddr, WireMessage};

use crate::error::Error;
use crate::pending::ReplyTo;

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
        ack: ReplyTo<()>,
    },
    /// Look a record of this kind up.
    Get {
        key: K,
        kind: RecordKind,
        reply: ReplyTo<Option<Record>>,
    },
    /// Store a record.
    Put {
        key: K,
        record: Record,
        reply: ReplyTo<usize>,
    },
    /// Publish the next version of a mutable record.
    PutMutable {
        key: K,
        put: Box<MutablePut>,
        reply: ReplyTo<usize>,
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
    Get(ReplyTo<Option<Record>>),
    Put(ReplyTo<usize>),
}

impl Reply {
    /// Tells the caller the query failed with `error`.
    pub(crate) fn fail(self, error: Error) {
        // A caller that stopped waiting is not an error.
        match self {
            Reply::Get(reply) => {
                let _ = reply.send(Err(error));
            }
            Reply::Put(reply) => {
                let _ = reply.send(Err(error));
            }
        }
    }

    /// Sends the answer; a caller that stopped waiting is not an error.
    pub(crate) fn send<K>(self, result: QueryResult<Multiaddr, K>) {
        match (self, result) {
            (Reply::Get(reply), QueryResult::Get { record, .. }) => {
                let _ = reply.send(Ok(record));
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
                let _ = reply.send(result);
            }
            // A result of another kind cannot come for this id; dropping the sender tells the
            // caller the query ended without an answer.
            _ => {}
        }
    }
}
