//! An in-memory network of kad-core nodes on a virtual clock, for tests and benches.
//!
//! Node `i` lives at address `i`. Messages take a fixed latency and may be lost with a given
//! probability; timers fire when each node's `poll_timeout` says. Everything random comes from
//! one seed, so a run is reproducible.

#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::time::{Duration, Instant};

use kad_core::{
    Config, Driver, Event, Key, Message, Node, QueryId, QueryResult, QueryStats, Record,
    RecordRules, Sha1Hasher, Transmit,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

pub type Id = Key<20>;
pub type TestNode = Node<u32, Id>;
/// A message on its way: (from, to, message).
type InFlight = (u32, u32, Message<u32, Id>);
/// A traced message: (time since start, from, to, message).
pub type Traced = (Duration, u32, u32, Message<u32, Id>);

/// A finished query as seen by the network.
#[derive(Clone, Debug)]
pub struct Finished {
    pub node: u32,
    pub id: QueryId,
    pub result: QueryResult<u32, Id>,
    pub stats: QueryStats,
}

pub struct Net {
    pub nodes: Vec<TestNode>,
    /// Nodes that no longer receive or send anything.
    pub dead: HashSet<u32>,
    pub base: Instant,
    pub now: Instant,
    pub latency: Duration,
    pub loss: f64,
    rng: SmallRng,
    seq: u64,
    /// (delivery time, seq) -> index into `in_flight`.
    deliveries: BinaryHeap<Reverse<(Instant, u64, usize)>>,
    in_flight: Vec<Option<InFlight>>,
    free_slots: Vec<usize>,
    /// (time, node): lazily checked against the node's own `poll_timeout`.
    timers: BinaryHeap<Reverse<(Instant, u32)>>,
    pub finished: Vec<Finished>,
    /// Every message sent, if `trace` is set: (time, from, to, message).
    pub trace: Option<Vec<Traced>>,
    pub messages_sent: u64,
    config: Config,
}

impl Net {
    pub fn new(seed: u64, config: Config) -> Self {
        let base = Instant::now();
        Net {
            nodes: Vec::new(),
            dead: HashSet::new(),
            base,
            now: base,
            latency: Duration::from_millis(10),
            loss: 0.0,
            rng: SmallRng::seed_from_u64(seed),
            seq: 0,
            deliveries: BinaryHeap::new(),
            in_flight: Vec::new(),
            free_slots: Vec::new(),
            timers: BinaryHeap::new(),
            finished: Vec::new(),
            trace: None,
            messages_sent: 0,
            config,
        }
    }

    /// The configuration of the nodes added from now on.
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    /// Adds a node with a random id (not yet joined).
    pub fn add_node(&mut self) -> u32 {
        let id = Id::random(&mut self.rng);
        self.add_node_with_id(id)
    }

    pub fn add_node_with_id(&mut self, id: Id) -> u32 {
        let seed = self.rng.random();
        // Every kind of record, checked with the hasher of the tests' keys.
        let node = Node::new(id, self.config.clone(), seed, self.now)
            .unwrap()
            .with_validator(std::sync::Arc::new(RecordRules::new(Sha1Hasher::new())));
        self.nodes.push(node);
        let addr = (self.nodes.len() - 1) as u32;
        self.schedule(addr);
        addr
    }

    /// Builds `n` nodes, each joining through a random earlier node, settling after each.
    pub fn build(seed: u64, config: Config, n: usize) -> Self {
        let mut net = Net::new(seed, config);
        net.add_node();
        for _ in 1..n {
            let addr = net.add_node();
            let seed_addr = net.rng.random_range(0..addr);
            net.join(addr, seed_addr);
        }
        net.finished.clear();
        net
    }

    /// Node `addr` bootstraps through `seed` and the network runs until that is done.
    pub fn join(&mut self, addr: u32, seed: u32) {
        let now = self.now;
        let q = self.nodes[addr as usize].bootstrap(now, [seed]).unwrap();
        self.flush(addr);
        self.run_until_finished(addr, q);
        // Let the refresh lookups that follow the bootstrap run out too.
        self.settle();
    }

    pub fn node(&mut self, addr: u32) -> &mut TestNode {
        &mut self.nodes[addr as usize]
    }

    pub fn ids(&self) -> Vec<Id> {
        self.nodes.iter().map(|n| *n.id()).collect()
    }

    /// Moves a node's transmits into the network and reschedules its timer.
    pub fn flush(&mut self, addr: u32) {
        let Net {
            nodes,
            dead,
            base,
            now,
            latency,
            loss,
            rng,
            seq,
            deliveries,
            in_flight,
            free_slots,
            timers,
            finished,
            trace,
            messages_sent,
            ..
        } = self;
        let mut wire = Wire {
            from: addr,
            dead,
            since_start: *now - *base,
            deliver_at: *now + *latency,
            loss: *loss,
            rng,
            seq,
            deliveries,
            in_flight,
            free_slots,
            finished,
            trace,
            messages_sent,
        };
        let deadline = nodes[addr as usize].drain(&mut wire);
        timers.push(Reverse((deadline, addr)));
    }

    fn schedule(&mut self, addr: u32) {
        let deadline = self.nodes[addr as usize].poll_timeout();
        self.timers.push(Reverse((deadline, addr)));
    }

    /// Processes the next event if it is due at or before `limit`; false when none is.
    fn step(&mut self, limit: Instant) -> bool {
        let next_delivery = self.deliveries.peek().map(|Reverse((t, _, _))| *t);
        let next_timer = self.timers.peek().map(|Reverse((t, _))| *t);
        let take_delivery = match (next_delivery, next_timer) {
            (None, None) => return false,
            (Some(d), Some(t)) => d <= t,
            (Some(_), None) => true,
            (None, Some(_)) => false,
        };
        if take_delivery {
            let Some(Reverse((t, _, slot))) = self.deliveries.peek().copied() else {
                return false;
            };
            if t > limit {
                return false;
            }
            self.deliveries.pop();
            self.now = self.now.max(t);
            let Some((from, to, msg)) = self.in_flight[slot].take() else {
                return true;
            };
            self.free_slots.push(slot);
            if self.dead.contains(&to) || to as usize >= self.nodes.len() {
                return true;
            }
            let now = self.now;
            self.nodes[to as usize].handle_message(now, from, msg);
            self.flush(to);
        } else {
            let Some(Reverse((t, addr))) = self.timers.peek().copied() else {
                return false;
            };
            if t > limit {
                return false;
            }
            self.timers.pop();
            self.now = self.now.max(t);
            if self.dead.contains(&addr) {
                return true;
            }
            // Skip stale timers: the node's deadline moved.
            if self.nodes[addr as usize].poll_timeout() != t {
                return true;
            }
            let now = self.now;
            self.nodes[addr as usize].handle_timeout(now);
            self.flush(addr);
        }
        true
    }

    /// Runs the network for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let limit = self.now + d;
        while self.step(limit) {}
        self.now = limit;
    }

    /// Runs until no message is in flight (timers that are merely periodic do not count).
    pub fn settle(&mut self) {
        let cap = self.now + Duration::from_secs(600);
        while !self.deliveries.is_empty() || self.any_pending() {
            if !self.step(cap) {
                break;
            }
        }
    }

    fn any_pending(&self) -> bool {
        self.nodes
            .iter()
            .enumerate()
            .any(|(i, n)| !self.dead.contains(&(i as u32)) && n.stats().pending_requests > 0)
    }

    /// Runs until query `q` of node `addr` has finished; returns it.
    pub fn run_until_finished(&mut self, addr: u32, q: QueryId) -> Finished {
        let cap = self.now + Duration::from_secs(3600);
        loop {
            if let Some(i) = self
                .finished
                .iter()
                .position(|f| f.node == addr && f.id == q)
            {
                return self.finished.remove(i);
            }
            assert!(self.step(cap), "query {q:?} of node {addr} never finished");
        }
    }

    pub fn find_node(&mut self, addr: u32, target: Id) -> Finished {
        let now = self.now;
        let q = self.nodes[addr as usize].find_node(now, target).unwrap();
        self.flush(addr);
        self.run_until_finished(addr, q)
    }

    pub fn get(&mut self, addr: u32, key: Id) -> Option<Vec<u8>> {
        let now = self.now;
        let q = self.nodes[addr as usize].get(now, key).unwrap();
        self.flush(addr);
        match self.run_until_finished(addr, q).result {
            QueryResult::Get { record, .. } => record.map(Record::into_value),
            other => panic!("unexpected result {other:?}"),
        }
    }

    pub fn put(&mut self, addr: u32, key: Id, value: &[u8]) -> usize {
        let now = self.now;
        let q = self.nodes[addr as usize]
            .put(now, key, value.to_vec())
            .unwrap();
        self.flush(addr);
        match self.run_until_finished(addr, q).result {
            QueryResult::Put { replicas, .. } => replicas,
            other => panic!("unexpected result {other:?}"),
        }
    }

    /// The `k` ids closest to `target` among live nodes other than `except`, closest first.
    pub fn true_closest(&self, target: &Id, k: usize, except: u32) -> Vec<Id> {
        let mut ids: Vec<Id> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| *i as u32 != except && !self.dead.contains(&(*i as u32)))
            .map(|(_, n)| *n.id())
            .collect();
        ids.sort_by_key(|id| id.distance(target));
        ids.truncate(k);
        ids
    }

    pub fn random_key(&mut self) -> Id {
        Id::random(&mut self.rng)
    }

    pub fn random_live(&mut self) -> u32 {
        loop {
            let a = self.rng.random_range(0..self.nodes.len() as u32);
            if !self.dead.contains(&a) {
                return a;
            }
        }
    }
}

/// The network as one node's driver sees it while it is drained: where its transmits go and
/// where its finished queries are written down.
struct Wire<'a> {
    from: u32,
    dead: &'a HashSet<u32>,
    since_start: Duration,
    deliver_at: Instant,
    loss: f64,
    rng: &'a mut SmallRng,
    seq: &'a mut u64,
    deliveries: &'a mut BinaryHeap<Reverse<(Instant, u64, usize)>>,
    in_flight: &'a mut Vec<Option<InFlight>>,
    free_slots: &'a mut Vec<usize>,
    finished: &'a mut Vec<Finished>,
    trace: &'a mut Option<Vec<Traced>>,
    messages_sent: &'a mut u64,
}

impl Driver<u32, Id> for Wire<'_> {
    fn transmit(&mut self, t: Transmit<u32, Id>) {
        *self.messages_sent += 1;
        if let Some(trace) = self.trace.as_mut() {
            trace.push((self.since_start, self.from, t.to, t.message.clone()));
        }
        if self.dead.contains(&self.from) || self.rng.random_bool(self.loss) {
            return;
        }
        let flight = Some((self.from, t.to, t.message));
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.in_flight[s] = flight;
                s
            }
            None => {
                self.in_flight.push(flight);
                self.in_flight.len() - 1
            }
        };
        *self.seq += 1;
        self.deliveries
            .push(Reverse((self.deliver_at, *self.seq, slot)));
    }

    fn event(&mut self, event: Event<u32, Id>) {
        if let Event::QueryFinished { id, result, stats } = event {
            self.finished.push(Finished {
                node: self.from,
                id,
                result,
                stats,
            });
        }
    }
}
