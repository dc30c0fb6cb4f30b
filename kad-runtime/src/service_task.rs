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

use kad_core::{Body, CommandError, Event, KeyType, Node, QueryId, Response, Transmit};
use kad_proto::mio::Registry;
use kad_proto::{Gateway, Multiaddr, PolledGateway, SendError, WireMessage};

use crate::command::{Command, Input, Reply};
use crate::error::Error;
use crate::mailbox::Inbox;
use crate::stats::Published;
use crate::task::{Task, Turn};

/// Inputs handled in one run before the node's outputs are drained: bounds the delay that
/// a burst of traffic adds to timers and answers, and what one service takes of its thread
/// before the others' turn.
const BATCH: usize = 256;

/// Times a bootstrap is tried when it reaches nobody, before the node stays alone.
const BOOTSTRAP_ATTEMPTS: u32 = 3;

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
    /// Bootstraps running, with their seeds and how many times they were tried.
    bootstraps: HashMap<QueryId, (Vec<Multiaddr>, u32)>,
    /// Saves and queries given while the node knew no contact but was bootstrapping: they
    /// run once the first contact answers (or the bootstrap ends), so that `connect` then
    /// `save` stores the value on the network and not only here.
    deferred: VecDeque<Command<K>>,
    /// Whether the last run left inputs in the inbox: the sockets are not read until they
    /// are handled, so that an overloaded service leaves datagrams in the kernel's buffer
    /// rather than reading them only to drop them.
    backlog: bool,
    /// Dropped with the task: tells `stop` that the service is down.
    _down: Sender<()>,
}

impl<K: KeyType> Task for ServiceTask<K> {
    fn ready(&mut self, gateway: usize, readable: bool, writable: bool, registry: &Registry) {
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
        self.inbox.answer_bell();
        if !self.backlog {
            self.receive_polled(now);
        }
        let Some(backlog) = self.take_inputs(now) else {
            return Turn::Done;
        };
        self.backlog = backlog;
        if self.next_deadline().is_some_and(|deadline| deadline <= now) {
            self.node.handle_timeout(now);
        }
        self.flush(now, registry);
        if backlog || self.gateways.iter().any(|registered| registered.unread) {
            Turn::Again
        } else {
            Turn::Wait(self.next_deadline())
        }
    }

    fn shutdown(&mut self) {
        // Callers still waiting see their channel close and return at once.
        self.replies.clear();
        self.deferred.clear();
        for registered in &mut self.gateways {
            registered.gateway.shutdown();
        }
        self.publish();
    }
}

impl<K: KeyType> ServiceTask<K> {
    /// The task of a service whose node is `node`, reading `inbox` (where `queued` counts
    /// the gateways' messages), publishing to `published`; `down` is dropped with it.
    pub(crate) fn new(
        node: Node<Multiaddr, K>,
        gateways: Vec<Registered<K>>,
        inbox: Inbox<K>,
        queued: Arc<AtomicUsize>,
        published: &Arc<Published>,
        down: Sender<()>,
    ) -> Self {
        ServiceTask {
            node,
            gateways,
            inbox,
            queued,
            arrived: Vec::new(),
            published: Arc::clone(published),
            replies: HashMap::new(),
            bootstraps: HashMap::new(),
            deferred: VecDeque::new(),
            backlog: false,
            _down: down,
        }
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
    /// node.
    fn receive_polled(&mut self, now: Instant) {
        // Collected first: filtering a message's contacts asks every gateway, the one being
        // read included.
        let mut arrived = mem::take(&mut self.arrived);
        for registered in &mut self.gateways {
            if registered.unread {
                registered.unread = registered.polled().is_some_and(|gateway| {
                    gateway.receive(&mut |from, message| arrived.push((from, message)))
                });
            }
        }
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

    /// Handles one input; returns false on [`Input::Stop`].
    fn handle(&mut self, now: Instant, input: Input<K>) -> bool {
        match input {
            Input::Message { from, message } => {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                self.handle_message(now, from, message);
            }
            Input::Command(command) => self.command(now, command),
            Input::Stop => return false,
        }
        true
    }

    /// Whether a save or query now would find no contact to ask, though one is coming.
    fn waiting_for_contacts(&self) -> bool {
        !self.bootstraps.is_empty() && self.node.routing_table().is_empty()
    }

    fn command(&mut self, now: Instant, command: Command<K>) {
        match command {
            Command::Connect { seeds, ack } => {
                let result = match seeds.iter().find(|seed| !self.reachable(seed)) {
                    Some(seed) => Err(Error::UnreachableAddress(seed.clone())),
                    None => self.bootstrap(now, seeds, 1).map_err(Error::from),
                };
                let _ = ack.try_send(result);
            }
            command if self.waiting_for_contacts() => self.deferred.push_back(command),
            Command::Get { key, reply } => match self.node.get(now, key) {
                Ok(id) => {
                    self.replies.insert(id, Reply::Get(reply));
                }
                Err(_) => {
                    let _ = reply.try_send(None);
                }
            },
            Command::Put { key, value, reply } => match self.node.put(now, key, value) {
                Ok(id) => {
                    self.replies.insert(id, Reply::Put(reply));
                }
                Err(error) => {
                    let _ = reply.try_send(Err(error.into()));
                }
            },
        }
    }

    /// Starts a bootstrap, remembering its seeds to try again should it find nobody.
    fn bootstrap(
        &mut self,
        now: Instant,
        seeds: Vec<Multiaddr>,
        attempt: u32,
    ) -> Result<(), CommandError> {
        let id = self.node.bootstrap(now, seeds.iter().cloned())?;
        self.bootstraps.insert(id, (seeds, attempt));
        Ok(())
    }

    /// A bootstrap ended: if it reached nobody and the node still knows no one, its seed
    /// answer was probably lost; try again, up to [`BOOTSTRAP_ATTEMPTS`] times.
    fn retry_bootstrap(&mut self, now: Instant, id: QueryId) {
        let Some((seeds, attempt)) = self.bootstraps.remove(&id) else {
            return;
        };
        if attempt < BOOTSTRAP_ATTEMPTS && self.node.routing_table().is_empty() {
            // Refused only when the node is overloaded with queries; then it is not alone.
            let _ = self.bootstrap(now, seeds, attempt + 1);
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
        if let Body::Response(Response::Nodes { contacts }) = &mut message.body {
            contacts.retain(|contact| self.reachable(&contact.addr));
        }
    }

    /// When the node next needs [`Node::handle_timeout`].
    fn next_deadline(&self) -> Option<Instant> {
        self.node.poll_timeout()
    }

    /// Drains the node, sends on what it drained, flushes the polled gateways and publishes
    /// the stats.
    fn flush(&mut self, now: Instant, registry: &Registry) {
        self.drain_node(now);
        for registered in &mut self.gateways {
            if let Some(polled) = registered.polled() {
                polled.flush(registry);
            }
        }
        self.publish();
    }

    /// Sends what the node has to send, answers finished queries and runs the commands that
    /// waited for a contact if one is there, until the node has nothing more.
    fn drain_node(&mut self, now: Instant) {
        // Answering an event can start a query (a bootstrap tried again, a deferred
        // command), whose first requests go out in the same turn.
        loop {
            let mut busy = false;
            while let Some(transmit) = self.node.poll_transmit() {
                self.send(transmit);
                busy = true;
            }
            while let Some(event) = self.node.poll_event() {
                busy = true;
                if let Event::QueryFinished { id, result, .. } = event {
                    self.retry_bootstrap(now, id);
                    if let Some(reply) = self.replies.remove(&id) {
                        reply.send(result);
                    }
                }
            }
            if !self.deferred.is_empty() && !self.waiting_for_contacts() {
                busy = true;
                for command in mem::take(&mut self.deferred) {
                    self.command(now, command);
                }
            }
            if !busy {
                break;
            }
        }
    }

    /// Hands a message to the first gateway that can reach its address. Gateways count their
    /// own drops; only "no gateway at all" is counted here.
    fn send(&mut self, Transmit { to, message }: Transmit<Multiaddr, K>) {
        let gateway = match self.gateways.as_slice() {
            [only] => Some(&only.gateway),
            many => many
                .iter()
                .map(|registered| &registered.gateway)
                .find(|g| g.can_reach(&to)),
        };
        let unreachable = match gateway {
            Some(gateway) => matches!(gateway.send(&to, message), Err(SendError::Unreachable)),
            None => true,
        };
        if unreachable {
            self.published.unreachable.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn publish(&self) {
        self.published.publish(self.node.stats());
    }
}

impl<K: KeyType> Drop for ServiceTask<K> {
    /// However the service ends (stopped, or dropped by a reactor thread after a panic in
    /// it), its handle answers from now on as a stopped service does.
    fn drop(&mut self) {
        self.published.down.store(true, Ordering::Release);
    }
}
