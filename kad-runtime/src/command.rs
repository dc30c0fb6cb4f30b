//! What reaches a service's task through its inbox: messages from the gateways, commands
//! from the service's callers (each with the channel its answer goes back on), and the order
//! to stop.

use std::sync::mpsc::SyncSender;

use kad_core::{QueryResult, Record};
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
    /// Look a key up.
    Get {
        key: K,
        reply: SyncSender<Option<Vec<u8>>>,
    },
    /// Store a value.
    Put {
        key: K,
        value: Vec<u8>,
        reply: SyncSender<Result<usize, Error>>,
    },
}

/// Where the result of a running query goes.
pub(crate) enum Reply {
    Get(SyncSender<Option<Vec<u8>>>),
    Put(SyncSender<Result<usize, Error>>),
}

impl Reply {
    /// Sends the answer; a caller that stopped waiting is not an error.
    pub(crate) fn send<K>(self, result: QueryResult<Multiaddr, K>) {
        match (self, result) {
            (Reply::Get(reply), QueryResult::Get { record, .. }) => {
                let _ = reply.try_send(record.map(Record::into_value));
            }
            (Reply::Put(reply), QueryResult::Put { replicas, .. }) => {
                let _ = reply.try_send(Ok(replicas));
            }
            // A result of another kind cannot come for this id; dropping the sender tells the
            // caller the query ended without an answer.
            _ => {}
        }
    }
}
