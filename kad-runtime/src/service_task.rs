//! [`ServiceTask`]: one service as its reactor thread runs it. It owns the kad-core node and
//! the gateways; each run reads the polled gateways that the poll reported readable, handing
//! their messages straight to the node, handles the inputs waiting in the service's inbox
//! (commands, messages of threaded gateways, the order to stop) and the node's expired
//! timers as one batch, then sends the node's transmits straight out through the gateways'
//! non-blocking `send` and answers finished queries.

use std::collections::{HashMap, VecDeque};
use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use kad_core::{Body, CommandError, Driver, Event, KeyType, Node, QueryId, Response, Transmit};
use kad_proto::mio::Registry;
use kad_proto::{Gateway, MessageSink, Multiaddr, PolledGateway, SendError, WireMessage};
use tracing::Span;

use crate::command::{Command, Input, MutablePut, Reply};
use crate::drop_log::DropLog;
use crate::error::Error;
use crate::inbox_sink::InboxSink;
use crate::mailbox::Inbox;
use crate::pending::ReplyTo;
use crate::persistence::{HeldPut, Persistence};
use crate::query_log;
use crate::stats::Published;
use crate::task::{Task, Turn};

/// Inputs handled in one run before the node's outputs are drained: bounds the delay that
/// a burst of traffic adds to timers and answers, and what one service takes of its thread
/// before the others' turn.
const BATCH: usize = 256;

/// A registered gateway, as the service's task drives it.
pub(crate) struct Registered<K: KeyType> {
    pub(crate) gateway: Box<dyn Gateway<K>>,
    /// Whether it was started on the reactor's poll (else it runs threads of its own).
    pub(crate) polled: bool,
    /// Whether datagrams may be waiting in its socket: reported readable, or left after a
    /// full batch.
    pub(crate) unread: bool,
}

impl<K: KeyType> Registered<K> {
    /// The started `gateways`, each polled or not as `polled` says.
    pub(crate) fn all(gateways: Vec<Box<dyn Gateway<K>>>, polled: Vec<bool>) -> Vec<Self> {
        gateways
            .into_iter()
            .zip(polled)
            .map(|(gateway, polled)| Registered {
                gateway,
                polled,
                // What arrived before the reactor took the service is read at its first run.
                unread: polled,
            })
            .collect()
    }

    /// The gateway's event-driven side, if it was started on the reactor's poll.
    fn polled(&mut self) -> Option<&mut dyn PolledGateway<K>> {
        if self.polled {
            self.gateway.as_polled()
        } else {
            None
        }
    }
}

/// What the polled gateways read in one run: each datagram's source is checked against its
/// rate by the node before the gateway decodes it.
struct Arrivals<'a, K: KeyType> {
    node: &'a mut Node<Multiaddr, K>,
    now: Instant,
    arrived: Vec<(Multiaddr, WireMessage<K>)>,
}

impl<K: KeyType> MessageSink<K> for Arrivals<'_, K> {
    fn admit(&mut self, from: &Multiaddr) -> bool {
        self.node.admit(self.now, from)
    }

    fn deliver(&mut self, from: Multiaddr, message: WireMessage<K>) {
        self.arrived.push((from, message));
    }
}

/// The state of one running service, owned by its reactor thread.
pub(crate) struct ServiceTask<K: KeyType> {
    node: Node<Multiaddr, K>,
    gateways: Vec<Registered<K>>,
    inbox: Inbox<K>,
    /// Messages of threaded gateways in the inbox, shared with their sinks to bound the
    /// queue.
    queued: Arc<AtomicUsize>,
    /// Messages read from the polled gateways in this run, before the node takes them; kept
    /// for its capacity.
    arrived: Vec<(Multiaddr, WireMessage<K>)>,
    published: Arc<Published>,
    replies: HashMap<QueryId, Reply>,
    /// The data directory, if the service has one.
    persistence: Option<Persistence<K>>,
    /// Results of finished puts held until their records are on disk.
    held: Vec<HeldPut<K>>,
    /// Saves and queries given while the node knew no contact but was bootstrapping: they
    /// run once the first contact answers (or the bootstrap ends), so that `connect` then
    /// `save` stores the value on the network and not only here.
    deferred: VecDeque<Command<K>>,
    /// Whether the last run left inputs in the inbox: the sockets are not read until they
    /// are handled, so that an overloaded service leaves datagrams in the kernel's buffer
    /// rather than reading them only to drop them.
    backlog: bool,
    /// The service's drop events, shared with its inbox sink.
    drops: Arc<DropLog>,
    /// The service's span, entered whenever its reactor thread works for it.
    span: Span,
    /// Dropped with the task: tells `stop` that the service is down.
    _down: Sender<()>,
}

impl<K: KeyType> Task for ServiceTask<K> {
    fn ready(&mut self, gateway: usize, readable: bool, writable: bool, registry: &Registry) {
        let _span = self.span.clone().entered();
        let Some(registered) = self.gateways.get_mut(gateway) else {
            return;
        };
        registered.unread |= readable;
        if writable {
            if let Some(polled) = registered.polled() {
                polled.flush(registry);
            }
        }
    }

    fn run(&mut self, now: Instant, registry: &Registry) -> Turn {
        let _span = self.span.clone().entered();
        self.inbox.answer_bell();
        if !self.backlog {
            self.receive_polled(now);
        }
        let Some(backlog) = self.take_inputs(now) else {
            return Turn::Done;
        };
        self.backlog = backlog;
        if self.node.poll_timeout() <= now {
            self.node.handle_timeout(now);
        }
        let mut deadline = self.flush(now, registry);
        if let Some(persistence) = &mut self.persistence {
            if persistence.next_write() <= now {
                persistence.write(&mut self.node, now, Vec::new(), false);
            }
            deadline = deadline.min(persistence.next_write());
        }
        if backlog || self.gateways.iter().any(|registered| registered.unread) {
            Turn::Again
        } else {
            Turn::Wait(Some(deadline))
        }
    }

    fn shutdown(&mut self) {
        let _span = self.span.clone().entered();
        // What the node holds is written before it goes.
        if let Some(persistence) = &mut self.persistence {
            persistence.finish(&mut self.node);
        }
        // Callers still waiting see their channel close and return at once.
        self.replies.clear();
        self.deferred.clear();
        for registered in &mut self.gateways {
            registered.gateway.shutdown();
        }
        self.drops.close();
        self.publish();
    }
}

impl<K: KeyType> ServiceTask<K> {
    /// The task of a service whose node is `node`, reading `inbox` (where the gateways
    /// deliver through `sink`, whose count, drop log and span it shares), publishing to
    /// `published`; `down` is dropped with it.
    pub(crate) fn new(
        node: Node<Multiaddr, K>,
        gateways: Vec<Registered<K>>,
        inbox: Inbox<K>,
        sink: &InboxSink<K>,
        published: &Arc<Published>,
        persistence: Option<Persistence<K>>,
        down: Sender<()>,
    ) -> Self {
        let task = ServiceTask {
            node,
            gateways,
            inbox,
            queued: sink.queued(),
            arrived: Vec::new(),
            published: Arc::clone(published),
            replies: HashMap::new(),
            persistence,
            held: Vec::new(),
            deferred: VecDeque::new(),
            backlog: false,
            drops: sink.drops(),
            span: sink.span().clone(),
            _down: down,
        };
        // The stats show the node as it starts (with its restored records, say) before
        // the reactor thread's first batch.
        task.publish();
        task
    }

    /// Handles up to [`BATCH`] waiting inputs; returns whether some are left, or `None` on
    /// [`Input::Stop`] (or once every mailbox is gone).
    fn take_inputs(&mut self, now: Instant) -> Option<bool> {
        for _ in 0..BATCH {
            match self.inbox.try_recv() {
                Ok(Some(input)) => {
                    if !self.handle(now, input) {
                        return None;
                    }
                }
                Ok(None) => return Some(false),
                Err(_) => return None,
            }
        }
        Some(true)
    }

    /// Reads the polled gateways that have datagrams waiting, and hands each message to the
    /// node; a datagram from a source over its rate is dropped before it is decoded.
    fn receive_polled(&mut self, now: Instant) {
        // Collected first: filtering a message's contacts asks every gateway, the one being
        // read included.
        let mut sink = Arrivals {
            node: &mut self.node,
            now,
            arrived: mem::take(&mut self.arrived),
        };
        for registered in &mut self.gateways {
            if registered.unread {
                registered.unread = registered
                    .polled()
                    .is_some_and(|gateway| gateway.receive(&mut sink));
            }
        }
        let mut arrived = sink.arrived;
        for (from, message) in arrived.drain(..) {
            self.handle_message(now, from, message);
        }
        self.arrived = arrived;
    }

    /// Hands a message a gateway received to the node.
    fn handle_message(&mut self, now: Instant, from: Multiaddr, mut message: WireMessage<K>) {
        self.keep_reachable(&mut message);
        self.node.handle_message(now, from, message);
    }

    /// A message a threaded gateway received: checked against its source's rate here, as it
    /// was decoded on the gateway's thread.
    fn handle_queued(&mut self, now: Instant, from: Multiaddr, message: WireMessage<K>) {
        if self.node.admit(now, &from) {
            self.handle_message(now, from, message);
        }
    }

    /// Handles one input; returns false on [`Input::Stop`].
    fn handle(&mut self, now: Instant, input: Input<K>) -> bool {
        match input {
            Input::Message { from, message } => {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                self.handle_queued(now, from, message);
            }
            Input::Command(command) => self.command(now, command),
            Input::Stop => return false,
        }
        true
    }

    /// Whether a save or query now would find no contact to ask, though one may be coming:
    /// a bootstrap attempt is out.
    fn waiting_for_contacts(&self) -> bool {
        self.node.routing_table().is_empty() && self.node.is_bootstrapping()
    }

    fn command(&mut self, now: Instant, command: Command<K>) {
        match command {
            Command::Connect { seeds, ack } => {
                let count = seeds.len();
                let result = match seeds.iter().find(|seed| !self.reachable(seed)) {
                    Some(seed) => Err(Error::UnreachableAddress(seed.clone())),
                    None => self
                        .node
                        .bootstrap(now, seeds)
                        .map(drop)
                        .map_err(Error::from),
                };
                match &result {
                    Ok(()) => tracing::info!(seeds = count, "bootstrap started"),
                    Err(error) => tracing::warn!(%error, "bootstrap not started"),
                }
                let _ = ack.send(result);
            }
            command if self.waiting_for_contacts() => self.deferred.push_back(command),
            Command::Get { key, kind, reply } => match self.node.get_record(now, key, kind) {
                Ok(id) => {
                    self.replies.insert(id, Reply::Get(reply));
                }
                Err(_) => {
                    let _ = reply.send(Ok(None));
                }
            },
            Command::Put { key, record, reply } => {
                let put = self.node.put_record(now, key, record, None);
                // The local copy goes to disk while the lookup runs.
                if let (Some(persistence), true) = (&mut self.persistence, put.is_ok()) {
                    persistence.write(&mut self.node, now, Vec::new(), false);
                }
                self.await_put(put, reply);
            }
            Command::PutMutable { key, put, reply } => {
                let MutablePut {
                    keypair,
                    salt,
                    value,
                    cas,
                } = *put;
                let put = self.node.put_mutable(now, key, &keypair, &salt, value, cas);
                self.await_put(put, reply);
            }
        }
    }

    /// Sends the put's result to `reply` once it finishes, or its refusal now.
    fn await_put(&mut self, put: Result<QueryId, CommandError>, reply: ReplyTo<usize>) {
        match put {
            Ok(id) => {
                self.replies.insert(id, Reply::Put(reply));
            }
            Err(error) => {
                let _ = reply.send(Err(error.into()));
            }
        }
    }

    fn reachable(&self, addr: &Multiaddr) -> bool {
        self.gateways
            .iter()
            .any(|registered| registered.gateway.can_reach(addr))
    }

    /// Drops the contacts of a `Nodes` response that no gateway can reach: asking them would
    /// only cost a lookup a timeout.
    fn keep_reachable(&self, message: &mut WireMessage<K>) {
        if let Body::Response(Response::Nodes { contacts, .. }) = &mut message.body {
            contacts.retain(|contact| self.reachable(&contact.addr));
        }
    }

    /// Drains the node, sends on what it drained, flushes the polled gateways and publishes
    /// the stats; returns when the node next needs [`Node::handle_timeout`].
    fn flush(&mut self, now: Instant, registry: &Registry) -> Instant {
        let deadline = self.drain_node(now);
        for registered in &mut self.gateways {
            if let Some(polled) = registered.polled() {
                polled.flush(registry);
            }
        }
        self.publish();
        deadline
    }

    /// Sends what the node has to send and answers finished queries, then runs the commands
    /// that waited for a contact if one is there (their first requests go out in the same
    /// turn), until the node has nothing more.
    fn drain_node(&mut self, now: Instant) -> Instant {
        loop {
            let mut outputs = Outputs {
                now,
                gateways: &self.gateways,
                published: &self.published,
                drops: &self.drops,
                replies: &mut self.replies,
                held: self.persistence.is_some().then_some(&mut self.held),
            };
            let deadline = self.node.drain(&mut outputs);
            self.answer_held_puts(now);
            if self.deferred.is_empty() || self.waiting_for_contacts() {
                return deadline;
            }
            for command in mem::take(&mut self.deferred) {
                self.command(now, command);
            }
        }
    }

    fn publish(&self) {
        self.published.publish(&self.node);
    }

    /// Hands the puts that finished to the writer, which tells their callers once their
    /// records are on disk: a put is durable here before its caller hears it is done. If
    /// the write fails, they hear anyway (the records are served from memory and written
    /// with the next batch).
    fn answer_held_puts(&mut self, now: Instant) {
        if let (Some(persistence), false) = (&mut self.persistence, self.held.is_empty()) {
            persistence.write(&mut self.node, now, mem::take(&mut self.held), false);
        }
    }
}

impl<K: KeyType> Drop for ServiceTask<K> {
    /// However the service ends (stopped, or dropped by a reactor thread after a panic in
    /// it), its handle answers from now on as a stopped service does.
    fn drop(&mut self) {
        self.published.down.store(true, Ordering::Release);
    }
}

/// Where the node's outputs go while it is drained: transmits to the gateways, finished
/// queries to the callers waiting for them.
struct Outputs<'a, K: KeyType> {
    now: Instant,
    gateways: &'a [Registered<K>],
    published: &'a Published,
    drops: &'a DropLog,
    replies: &'a mut HashMap<QueryId, Reply>,
    /// Where the results of puts wait until their records are on disk, with a data
    /// directory.
    held: Option<&'a mut Vec<HeldPut<K>>>,
}

impl<K: KeyType> Driver<Multiaddr, K> for Outputs<'_, K> {
    /// Hands a message to the first gateway that can reach its address. Gateways count their
    /// own drops; only "no gateway at all" is counted here. Every drop is logged.
    fn transmit(&mut self, Transmit { to, message }: Transmit<Multiaddr, K>) {
        let gateway = match self.gateways {
            [only] => Some(&only.gateway),
            many => many
                .iter()
                .map(|registered| &registered.gateway)
                .find(|g| g.can_reach(&to)),
        };
        let sent = match gateway {
            Some(gateway) => gateway.send(&to, message),
            None => Err(SendError::Unreachable),
        };
        if let Err(error) = sent {
            if matches!(error, SendError::Unreachable) {
                self.published.unreachable.fetch_add(1, Ordering::Relaxed);
            }
            self.drops.send_failed(self.now, &to, &error);
        }
    }

    fn event(&mut self, event: Event<Multiaddr, K>) {
        if let Event::QueryFinished { id, result, stats } = event {
            self.published.finished(&result, &stats);
            query_log::finished(&result, &stats);
            match (self.replies.remove(&id), &mut self.held) {
                (Some(reply @ Reply::Put(_)), Some(held)) => held.push((reply, result)),
                (Some(reply), _) => reply.send(result),
                (None, _) => {}
            }
        }
    }
}
