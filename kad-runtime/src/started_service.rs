//! [`StartedService`]: what a [`DHTService`](crate::DHTService) keeps of itself once
//! started: the way into its task, what tells that it is down, and what it answers without
//! asking the task (addresses, id, stats).

use crate::keypair::Keypair;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use kad_proto::{GatewayStats, Multiaddr};
use tracing::Span;

use crate::command::{Command, Input};
use crate::error::Error;
use crate::mailbox::Mailbox;
use crate::pending::{reply_channel, Pending, ReplyTo};
use crate::reactor::Reactor;
use crate::stats::Published;

/// A started service.
pub(crate) struct StartedService<K> {
    pub(crate) mailbox: Mailbox<K>,
    /// Until `stop`: what tells that the service is down, and the reactor it runs on (the
    /// last clone of a service's own reactor joins its thread when dropped).
    pub(crate) lifetime: Mutex<Option<(Receiver<()>, Reactor)>>,
    /// The reactor thread that runs the service.
    pub(crate) thread: ThreadId,
    pub(crate) stopped: AtomicBool,
    pub(crate) published: Arc<Published>,
    pub(crate) gateway_stats: Vec<Arc<GatewayStats>>,
    pub(crate) local_addrs: Vec<Multiaddr>,
    pub(crate) id: K,
    /// The service's own key pair (kept in the data directory, if there is one).
    pub(crate) keypair: Keypair,
    pub(crate) max_value_size: usize,
    /// The span its events are logged in.
    pub(crate) span: Span,
}

impl<K> StartedService<K> {
    /// Queues a command for the service's task; fails once the task is gone.
    pub(crate) fn send(&self, command: Command<K>) -> Result<(), Error> {
        self.mailbox
            .send(Input::Command(command))
            .map_err(|_| Error::Stopped)
    }

    /// Queues the command `command` makes of a reply channel; the caller's end of the
    /// reply, which fails at once if the task is gone.
    pub(crate) fn ask<T>(&self, command: impl FnOnce(ReplyTo<T>) -> Command<K>) -> Pending<T> {
        let (reply, answer) = reply_channel();
        match self.send(command(reply)) {
            Ok(()) => answer,
            Err(error) => Pending::failed(error),
        }
    }
}
