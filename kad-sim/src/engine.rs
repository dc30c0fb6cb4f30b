//! The discrete-event engine: a priority queue of events on a virtual clock, the nodes in a
//! dense vector addressed by their index, and the loop that feeds each node its inputs and
//! drains its outputs.
//!
//! After every input to a node (a datagram, a timer, a command) the engine drains the node:
//! each transmit is sized with kad-proto, passed through the network model and scheduled for
//! delivery; each finished query is scored; and if the node's next deadline
//! ([`Node::poll_timeout`]) is earlier than the timer already scheduled for it, a new timer is
//! scheduled. Each node keeps the time of its one pending timer; timer events that no longer
//! match it are stale and skipped.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kad_core::{Body, Event, Key, Node, QueryId, QueryResult, Request, Transmit, TxId};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution as _, Exp};

mod queue;
mod slab;

use crate::churn::SessionSampler;
use crate::error::SimError;
use crate::metrics::{Distribution, OpRecord, OpSummary, Outcome};
use crate::network::{splitmix64, Network};
use crate::oracle::Oracle;
use crate::progress::{Phase, Progress};
use crate::report::{
    BootstrapSummary, NetworkSummary, PreloadSummary, Report, RoutingSummary, Samples,
    ScenarioEcho, WallClock,
};
use crate::scenario::Scenario;
use crate::wire::WireSizes;
use crate::workload::{KeyPicker, OpKind};

use queue::{EventQueue, Kind};
use slab::Slab;

/// No timer scheduled, or no operation tag.
const NONE: u64 = u64::MAX;
const NO_TAG: u32 = u32::MAX;

/// A datagram in flight.
#[derive(Debug)]
struct Flight<const N: usize> {
    from: u32,
    /// The measured operation the datagram belongs to, or `NO_TAG`.
    tag: u32,
    message: kad_core::Message<u32, Key<N>>,
}

/// What the simulator holds per address.
#[derive(Debug)]
struct Slot<const N: usize> {
    /// The node, `None` once it has left.
    node: Option<Box<Node<u32, Key<N>>>>,
    /// Virtual time of the pending timer event, or `NONE`.
    timer: u64,
    /// Position in the live list.
    live_pos: u32,
    /// Its bootstrap found contacts (or it was the first node).
    joined: bool,
    /// Its bootstrap is running.
    joining: bool,
}

/// A query the simulator waits for.
#[derive(Clone, Copy, Debug)]
enum Tracked {
    /// Measured operation number `.0`.
    Op(u32),
    Preload,
    /// The bootstrap of a joining node.
    Bootstrap {
        /// One of the initial nodes (not a churn replacement).
        initial: bool,
        /// 1 for the first try.
        attempt: u8,
        /// When the node joined.
        started: u64,
    },
}

/// Tries a joining node makes before it gives up (each after a bootstrap that found nobody).
const BOOTSTRAP_ATTEMPTS: u8 = 8;

/// The whole simulated world.
struct Sim<'s, const N: usize> {
    scenario: &'s Scenario,
    config: kad_core::Config,
    base: Instant,
    now: u64,
    queue: EventQueue,
    slots: Vec<Slot<N>>,
    flights: Slab<Flight<N>>,
    /// Addresses of live nodes.
    live: Vec<u32>,
    oracle: Oracle<N>,
    network: Network,
    wire: WireSizes,
    sessions: Option<SessionSampler>,
    picker: KeyPicker,
    keys: Vec<Key<N>>,
    value: Vec<u8>,
    rng_nodes: SmallRng,
    rng_net: SmallRng,
    rng_churn: SmallRng,
    rng_work: SmallRng,
    interarrival: Exp<f64>,

    queries: HashMap<(u32, QueryId), Tracked>,
    /// Measured operations running at each node, with their key or target.
    active: HashMap<u32, Vec<(u32, Key<N>)>>,
    ops: Vec<OpRecord>,
    ops_done: usize,

    phase: Phase,
    initial_joined: usize,
    bootstrap_latency: Vec<f64>,
    bootstrap_requests: Vec<f64>,
    bootstrap_end: u64,
    bootstrap_retries: u64,
    bootstrap_failed: u64,
    bootstrap_left: u64,
    preload_puts: usize,
    preload_ok: usize,
    preload_replicas: usize,
    measure_start: u64,
    messages_at_measure: u64,

    events: u64,
    peak_flights: usize,
    joins: u64,
    leaves: u64,
    messages_sent: u64,
    messages_lost: u64,
    messages_to_departed: u64,
    bytes_sent: u64,

    wall_start: Instant,
    rss_start: u64,
    wall_join: Option<(f64, u64)>,
    ended: bool,
}

/// Runs `scenario` with keys of `N` bytes.
pub(crate) fn run<const N: usize, F: FnMut(&Progress)>(
    scenario: &Scenario,
    mut progress: F,
) -> Result<Report, SimError> {
    let wall_start = Instant::now();
    let rss_start = crate::memory::current_rss();
    let mut sim = Sim::<N>::new(scenario, wall_start, rss_start)?;
    sim.queue.push(0, Kind::Join, 0, 0);
    let mut last_phase = sim.phase;
    while let Some((time, kind, node, payload)) = sim.queue.pop() {
        sim.now = time;
        sim.events += 1;
        sim.handle(kind, node, payload)?;
        if sim.ended {
            break;
        }
        if sim.events % 4096 == 0 || sim.phase != last_phase {
            last_phase = sim.phase;
            progress(&sim.progress());
        }
    }
    progress(&sim.progress());
    Ok(sim.report())
}

impl<'s, const N: usize> Sim<'s, N> {
    fn new(scenario: &'s Scenario, wall_start: Instant, rss_start: u64) -> Result<Self, SimError> {
        let seed = scenario.seed;
        let stream = |i: u64| SmallRng::seed_from_u64(splitmix64(seed ^ splitmix64(i)));
        let mut rng_keys = stream(5);
        let keys = (0..scenario.keys)
            .map(|_| Key::random(&mut rng_keys))
            .collect();
        let interarrival = Exp::new(scenario.rate)
            .map_err(|_| SimError::invalid("the operation rate must be positive"))?;
        Ok(Sim {
            scenario,
            config: scenario.node_config(),
            base: Instant::now(),
            now: 0,
            queue: EventQueue::default(),
            slots: Vec::with_capacity(scenario.nodes),
            flights: Slab::new(),
            live: Vec::with_capacity(scenario.nodes),
            oracle: Oracle::new(),
            network: Network::new(&scenario.network, splitmix64(seed ^ 0x6e65_7477)),
            wire: WireSizes::new(),
            sessions: scenario.churn.sampler()?,
            picker: KeyPicker::new(scenario.key_distribution, scenario.keys as u32)?,
            keys,
            value: vec![0x5a; scenario.value_size],
            rng_nodes: stream(1),
            rng_net: stream(2),
            rng_churn: stream(3),
            rng_work: stream(4),
            interarrival,
            queries: HashMap::new(),
            active: HashMap::new(),
            ops: Vec::with_capacity(scenario.lookups),
            ops_done: 0,
            phase: Phase::Joining,
            initial_joined: 0,
            bootstrap_latency: Vec::with_capacity(scenario.nodes),
            bootstrap_requests: Vec::with_capacity(scenario.nodes),
            bootstrap_end: 0,
            bootstrap_retries: 0,
            bootstrap_failed: 0,
            bootstrap_left: 0,
            preload_puts: 0,
            preload_ok: 0,
            preload_replicas: 0,
            measure_start: 0,
            messages_at_measure: 0,
            events: 0,
            peak_flights: 0,
            joins: 0,
            leaves: 0,
            messages_sent: 0,
            messages_lost: 0,
            messages_to_departed: 0,
            bytes_sent: 0,
            wall_start,
            rss_start,
            wall_join: None,
            ended: false,
        })
    }

    fn instant(&self) -> Instant {
        self.base + Duration::from_micros(self.now)
    }

    /// Virtual microseconds of `t`, rounded up.
    fn micros(&self, t: Instant) -> u64 {
        let d = t.saturating_duration_since(self.base);
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX - 1);
        us + u64::from(d.subsec_nanos() % 1000 != 0)
    }

    /// Virtual microseconds in `secs` seconds.
    fn micros_of(secs: f64) -> u64 {
        (secs * 1e6).round() as u64
    }

    fn progress(&self) -> Progress {
        let (done, total) = match self.phase {
            Phase::Joining => (self.joins, self.scenario.nodes as u64),
            Phase::Preloading => (self.preload_puts as u64, self.scenario.keys as u64),
            Phase::Settling => (0, 0),
            Phase::Measuring | Phase::Draining => {
                (self.ops_done as u64, self.scenario.lookups as u64)
            }
        };
        Progress {
            phase: self.phase,
            sim_time: Duration::from_micros(self.now),
            events: self.events,
            done,
            total,
        }
    }

    fn handle(&mut self, kind: Kind, node: u32, payload: u32) -> Result<(), SimError> {
        match kind {
            Kind::Deliver => self.deliver(node, payload),
            Kind::Timer => self.timer(node),
            Kind::Join => self.initial_join(node)?,
            Kind::Leave => self.leave(node)?,
            Kind::Preload => self.preload(payload),
            Kind::Operation => self.operation(),
            Kind::End => self.ended = true,
        }
        Ok(())
    }

    // ----- nodes -----

    /// A random live node that has joined, other than `not`; any live node if none has joined
    /// after a few draws.
    fn random_joined(live: &[u32], slots: &[Slot<N>], not: u32, rng: &mut SmallRng) -> Option<u32> {
        if live.is_empty() || (live.len() == 1 && live[0] == not) {
            return None;
        }
        let mut fallback = None;
        for _ in 0..64 {
            let a = live[rng.random_range(0..live.len())];
            if a == not {
                continue;
            }
            if slots[a as usize].joined {
                return Some(a);
            }
            fallback = Some(a);
        }
        fallback
    }

    /// A random joined node to start an operation at.
    fn random_querier(&mut self) -> Option<u32> {
        Self::random_joined(&self.live, &self.slots, u32::MAX, &mut self.rng_work)
    }

    /// Creates a node at the next address and bootstraps it from a random joined node.
    fn spawn(&mut self, initial: bool) -> Result<u32, SimError> {
        let addr = self.slots.len() as u32;
        let seed_node = Self::random_joined(&self.live, &self.slots, addr, &mut self.rng_nodes);
        let id = Key::random(&mut self.rng_nodes);
        let node_seed = self.rng_nodes.random();
        let mut node = Box::new(Node::new(
            id,
            self.config.clone(),
            node_seed,
            self.instant(),
        )?);
        self.slots.push(Slot {
            node: None,
            timer: NONE,
            live_pos: self.live.len() as u32,
            joined: seed_node.is_none(),
            joining: false,
        });
        self.live.push(addr);
        self.oracle.insert(id, addr);
        self.joins += 1;
        if let Some(seed_node) = seed_node {
            // A fresh node has no query running: the command cannot be refused.
            if let Ok(qid) = node.bootstrap(self.instant(), [seed_node]) {
                let tracked = Tracked::Bootstrap {
                    initial,
                    attempt: 1,
                    started: self.now,
                };
                self.queries.insert((addr, qid), tracked);
                self.slots[addr as usize].joining = true;
            }
        }
        self.drain(addr, &mut node, None);
        self.slots[addr as usize].node = Some(node);
        if let (Some(sessions), false) = (self.sessions, initial) {
            let end = self.now + sessions.sample(&mut self.rng_churn);
            self.queue.push(end, Kind::Leave, addr, 0);
        }
        Ok(addr)
    }

    fn initial_join(&mut self, index: u32) -> Result<(), SimError> {
        let addr = self.spawn(true)?;
        if addr == 0 {
            // The first node has nobody to bootstrap from.
            self.initial_joined += 1;
            self.check_joined();
        }
        let next = index as u64 + 1;
        if next < self.scenario.nodes as u64 {
            let at = Self::micros_of(self.scenario.join.join_time(next));
            self.queue
                .push(at.max(self.now), Kind::Join, next as u32, 0);
        } else {
            self.start_preload()?;
        }
        Ok(())
    }

    fn start_preload(&mut self) -> Result<(), SimError> {
        self.phase = Phase::Preloading;
        if let Some(sessions) = self.sessions {
            for i in 0..self.live.len() {
                let addr = self.live[i];
                let end = self.now + sessions.sample(&mut self.rng_churn);
                self.queue.push(end, Kind::Leave, addr, 0);
            }
        }
        self.queue.push(self.now, Kind::Preload, 0, 0);
        Ok(())
    }

    fn leave(&mut self, addr: u32) -> Result<(), SimError> {
        let Some(node) = self.slots[addr as usize].node.take() else {
            return Ok(());
        };
        self.leaves += 1;
        self.oracle.remove(*node.id(), addr);
        drop(node);
        if self.slots[addr as usize].joining && (addr as usize) < self.scenario.nodes {
            // An initial node that churn took before its bootstrap finished.
            self.bootstrap_left += 1;
            self.initial_joined += 1;
            self.check_joined();
        }
        let pos = self.slots[addr as usize].live_pos as usize;
        self.live.swap_remove(pos);
        if let Some(&moved) = self.live.get(pos) {
            self.slots[moved as usize].live_pos = pos as u32;
        }
        if let Some(ops) = self.active.remove(&addr) {
            for (op, _) in ops {
                self.finish_op(op, Outcome::Abandoned);
            }
        }
        self.spawn(false)?;
        Ok(())
    }

    fn deliver(&mut self, to: u32, slot: u32) {
        let Some(flight) = self.flights.remove(slot) else {
            return;
        };
        let Some(mut node) = self.slots[to as usize].node.take() else {
            self.messages_to_departed += 1;
            return;
        };
        let reply = match flight.message.body {
            Body::Request(_) if flight.tag != NO_TAG => Some((flight.message.tx, flight.tag)),
            _ => None,
        };
        node.handle_message(self.instant(), flight.from, flight.message);
        self.drain(to, &mut node, reply);
        self.slots[to as usize].node = Some(node);
    }

    fn timer(&mut self, addr: u32) {
        let slot = &mut self.slots[addr as usize];
        if slot.timer != self.now {
            return;
        }
        let Some(mut node) = slot.node.take() else {
            return;
        };
        slot.timer = NONE;
        node.handle_timeout(self.instant());
        self.drain(addr, &mut node, None);
        self.slots[addr as usize].node = Some(node);
    }

    /// Takes every output of `node` (at `addr`, out of its slot for the call). `reply` is the
    /// transaction id and operation of the request it just handled, to tag its answer.
    fn drain(&mut self, addr: u32, node: &mut Node<u32, Key<N>>, reply: Option<(TxId, u32)>) {
        loop {
            while let Some(t) = node.poll_transmit() {
                self.send(addr, t, reply);
            }
            let mut quiet = true;
            while let Some(event) = node.poll_event() {
                if let Event::QueryFinished { id, result, stats } = event {
                    // A retried bootstrap sends again: go round once more.
                    quiet &= !self.query_finished(addr, node, id, result, stats);
                }
            }
            if quiet {
                break;
            }
        }
        if let Some(deadline) = node.poll_timeout() {
            let at = self.micros(deadline).max(self.now);
            let slot = &mut self.slots[addr as usize];
            if at < slot.timer {
                slot.timer = at;
                self.queue.push(at, Kind::Timer, addr, 0);
            }
        }
    }

    fn send(&mut self, from: u32, t: Transmit<u32, Key<N>>, reply: Option<(TxId, u32)>) {
        let size = self.wire.size(&t.message);
        self.messages_sent += 1;
        self.bytes_sent += u64::from(size);
        let tag = match &t.message.body {
            Body::Response(_) => reply
                .filter(|(tx, _)| *tx == t.message.tx)
                .map(|(_, op)| op),
            Body::Request(request) => {
                let key = match request {
                    Request::FindNode { target } => Some(target),
                    Request::FindValue { key } | Request::Store { key, .. } => Some(key),
                    Request::Ping => None,
                };
                key.and_then(|key| {
                    self.active
                        .get(&from)?
                        .iter()
                        .find(|(_, k)| k == key)
                        .map(|(op, _)| *op)
                })
            }
        }
        .unwrap_or(NO_TAG);
        if let Some(op) = self.ops.get_mut(tag as usize) {
            op.messages += 1;
            op.bytes += u64::from(size);
        }
        match self.network.transit(from, t.to, &mut self.rng_net) {
            None => self.messages_lost += 1,
            Some(delay) => {
                let slot = self.flights.insert(Flight {
                    from,
                    tag,
                    message: t.message,
                });
                self.peak_flights = self.peak_flights.max(slot as usize + 1);
                self.queue.push(self.now + delay, Kind::Deliver, t.to, slot);
            }
        }
    }

    // ----- queries -----

    /// Scores a finished query; returns whether the node was given a new command.
    fn query_finished(
        &mut self,
        addr: u32,
        node: &mut Node<u32, Key<N>>,
        id: QueryId,
        result: QueryResult<u32, Key<N>>,
        stats: kad_core::QueryStats,
    ) -> bool {
        let Some(tracked) = self.queries.remove(&(addr, id)) else {
            return false;
        };
        match tracked {
            Tracked::Bootstrap {
                initial,
                attempt,
                started,
            } => {
                let found =
                    matches!(&result, QueryResult::Bootstrap { closest } if !closest.is_empty());
                if !found && attempt < BOOTSTRAP_ATTEMPTS {
                    // Nobody answered (the seed's answer or the request was lost): try again
                    // through another node, as a real client would.
                    let seed =
                        Self::random_joined(&self.live, &self.slots, addr, &mut self.rng_nodes);
                    if let Some(qid) = seed.and_then(|s| node.bootstrap(self.instant(), [s]).ok()) {
                        self.bootstrap_retries += 1;
                        let tracked = Tracked::Bootstrap {
                            initial,
                            attempt: attempt + 1,
                            started,
                        };
                        self.queries.insert((addr, qid), tracked);
                        return true;
                    }
                }
                self.slots[addr as usize].joining = false;
                if found {
                    self.slots[addr as usize].joined = true;
                } else {
                    self.bootstrap_failed += 1;
                }
                if initial {
                    self.initial_joined += 1;
                    let latency = self.now.saturating_sub(started) as f64 / 1e3;
                    self.bootstrap_latency.push(latency);
                    self.bootstrap_requests.push(f64::from(stats.requests));
                    self.check_joined();
                }
            }
            Tracked::Preload => {
                if let QueryResult::Put { replicas } = result {
                    self.preload_ok += usize::from(replicas > 0);
                    self.preload_replicas += replicas;
                }
            }
            Tracked::Op(op) => {
                let mut target = None;
                if let Some(list) = self.active.get_mut(&addr) {
                    if let Some(i) = list.iter().position(|(o, _)| *o == op) {
                        target = Some(list.swap_remove(i).1);
                    }
                    if list.is_empty() {
                        self.active.remove(&addr);
                    }
                }
                let mut recall = (0u16, 0u16);
                let (ok, closest_found) = match (&result, target) {
                    (QueryResult::Get { value }, _) => (value.is_some(), false),
                    (QueryResult::Put { replicas }, _) => (*replicas > 0, false),
                    (QueryResult::FindNode { closest }, Some(target)) => {
                        let truth = self.oracle.closest(&target, self.config.k, addr);
                        let got: Vec<u32> = closest.iter().map(|c| c.addr).collect();
                        let hits = truth.iter().filter(|a| got.contains(a)).count();
                        recall = (hits as u16, truth.len() as u16);
                        (
                            got == truth,
                            !got.is_empty() && got.first() == truth.first(),
                        )
                    }
                    _ => (false, false),
                };
                if let Some(r) = self.ops.get_mut(op as usize) {
                    r.hops = stats.hops;
                    r.latency_us = u64::try_from(stats.duration.as_micros()).unwrap_or(u64::MAX);
                    r.closest_found = closest_found;
                    (r.recall, r.recall_of) = recall;
                }
                self.finish_op(
                    op,
                    if ok {
                        Outcome::Succeeded
                    } else {
                        Outcome::Failed
                    },
                );
            }
        }
        false
    }

    /// Notes the end of the join phase when the last initial bootstrap has finished.
    fn check_joined(&mut self) {
        if self.initial_joined == self.scenario.nodes && self.wall_join.is_none() {
            self.bootstrap_end = self.now;
            self.wall_join = Some((
                self.wall_start.elapsed().as_secs_f64(),
                crate::memory::current_rss(),
            ));
        }
    }

    fn finish_op(&mut self, op: u32, outcome: Outcome) {
        if let Some(r) = self.ops.get_mut(op as usize) {
            if r.outcome == Outcome::Running {
                r.outcome = outcome;
                self.ops_done += 1;
            }
        }
        if self.phase == Phase::Draining && self.ops_done == self.ops.len() {
            self.ended = true;
        }
    }

    // ----- workload -----

    fn preload(&mut self, index: u32) {
        if let Some(addr) = self.random_querier() {
            let key = self.keys[index as usize];
            if let Some(mut node) = self.slots[addr as usize].node.take() {
                if let Ok(qid) = node.put(self.instant(), key, self.value.clone()) {
                    self.queries.insert((addr, qid), Tracked::Preload);
                }
                self.drain(addr, &mut node, None);
                self.slots[addr as usize].node = Some(node);
            }
        }
        self.preload_puts += 1;
        let next = index as u64 + 1;
        let spacing = Self::micros_of(1.0 / self.scenario.rate).max(1);
        if next < self.keys.len() as u64 {
            self.queue
                .push(self.now + spacing, Kind::Preload, 0, next as u32);
        } else {
            self.phase = Phase::Settling;
            let start = self.now + spacing + Self::micros_of(self.scenario.settle.as_secs_f64());
            self.queue.push(start, Kind::Operation, 0, 0);
        }
    }

    fn operation(&mut self) {
        if self.phase == Phase::Settling {
            self.phase = Phase::Measuring;
            self.measure_start = self.now;
            self.messages_at_measure = self.messages_sent;
        }
        if self.ops.len() < self.scenario.lookups {
            self.start_op();
        }
        if self.ops.len() < self.scenario.lookups {
            let gap = self.interarrival.sample(&mut self.rng_work);
            self.queue
                .push(self.now + Self::micros_of(gap), Kind::Operation, 0, 0);
        } else {
            self.phase = Phase::Draining;
            let end = self.now + Self::micros_of(self.scenario.drain.as_secs_f64());
            self.queue.push(end, Kind::End, 0, 0);
            if self.ops_done == self.ops.len() {
                self.ended = true;
            }
        }
    }

    fn start_op(&mut self) {
        let op = self.ops.len() as u32;
        let kind = self.scenario.mix.draw(&mut self.rng_work);
        self.ops.push(OpRecord::new(kind));
        let key = match kind {
            OpKind::Get | OpKind::Put => self.keys[self.picker.pick(&mut self.rng_work) as usize],
            OpKind::FindNode => Key::random(&mut self.rng_work),
        };
        let Some(addr) = self.random_querier() else {
            self.finish_op(op, Outcome::Failed);
            return;
        };
        let Some(mut node) = self.slots[addr as usize].node.take() else {
            self.finish_op(op, Outcome::Failed);
            return;
        };
        let now = self.instant();
        let started = match kind {
            OpKind::Get => node.get(now, key),
            OpKind::Put => node.put(now, key, self.value.clone()),
            OpKind::FindNode => node.find_node(now, key),
        };
        match started {
            Ok(qid) => {
                self.queries.insert((addr, qid), Tracked::Op(op));
                self.active.entry(addr).or_default().push((op, key));
            }
            Err(_) => self.finish_op(op, Outcome::Failed),
        }
        self.drain(addr, &mut node, None);
        self.slots[addr as usize].node = Some(node);
    }

    // ----- report -----

    /// Samples up to 10 000 live nodes and checks which of their k nearest live nodes have
    /// them in their routing table.
    fn neighbour_awareness(&self) -> RoutingSummary {
        let step = (self.live.len() / 10_000).max(1);
        let (mut pairs, mut known, mut sampled) = (0u64, 0u64, 0usize);
        for &addr in self.live.iter().step_by(step) {
            let Some(id) = self.slots[addr as usize].node.as_ref().map(|n| *n.id()) else {
                continue;
            };
            sampled += 1;
            for near in self.oracle.closest(&id, self.config.k, addr) {
                let Some(table) = self.slots[near as usize]
                    .node
                    .as_ref()
                    .map(|n| n.routing_table())
                else {
                    continue;
                };
                pairs += 1;
                let bucket = table.bucket_index(&id).map_or(&[][..], |b| table.bucket(b));
                known += u64::from(bucket.iter().any(|e| e.contact().id == id));
            }
        }
        RoutingSummary {
            contacts: Distribution::default(),
            neighbour_awareness: if pairs == 0 {
                1.0
            } else {
                known as f64 / pairs as f64
            },
            sampled_nodes: sampled,
        }
    }

    fn report(mut self) -> Report {
        let s = self.scenario;
        let mut by_kind = std::collections::BTreeMap::new();
        let mut samples = Samples::default();
        for kind in OpKind::ALL {
            let summary = OpSummary::of(self.ops.iter().filter(|r| r.kind == kind));
            by_kind.insert(kind.name(), summary);
            let finished = || {
                self.ops.iter().filter(move |r| {
                    r.kind == kind && matches!(r.outcome, Outcome::Succeeded | Outcome::Failed)
                })
            };
            samples.latency_ms.insert(
                kind,
                finished().map(|r| r.latency_us as f64 / 1e3).collect(),
            );
            samples
                .hops
                .insert(kind, finished().map(|r| f64::from(r.hops)).collect());
        }
        let mut tables: Vec<f64> = self
            .slots
            .iter()
            .filter_map(|slot| slot.node.as_ref())
            .map(|node| node.routing_table().len() as f64)
            .collect();
        let routing = RoutingSummary {
            contacts: Distribution::of(&mut tables),
            ..self.neighbour_awareness()
        };
        let measured_secs = (self.now.saturating_sub(self.measure_start)) as f64 / 1e6;
        let measured_msgs = self.messages_sent - self.messages_at_measure;
        let network = NetworkSummary {
            sim_seconds: self.now as f64 / 1e6,
            measure_start_seconds: self.measure_start as f64 / 1e6,
            events: self.events,
            peak_queued_events: self.queue.peak,
            peak_in_flight: self.peak_flights,
            joins: self.joins,
            leaves: self.leaves,
            live_nodes: self.live.len(),
            messages_sent: self.messages_sent,
            messages_lost: self.messages_lost,
            messages_to_departed: self.messages_to_departed,
            bytes_sent: self.bytes_sent,
            messages_per_node_per_second: if measured_secs > 0.0 && !self.live.is_empty() {
                measured_msgs as f64 / measured_secs / self.live.len() as f64
            } else {
                0.0
            },
        };
        let bootstrap = BootstrapSummary {
            finished: self.bootstrap_latency.len(),
            retries: self.bootstrap_retries,
            failed: self.bootstrap_failed,
            left_while_joining: self.bootstrap_left,
            latency_ms: Distribution::of(&mut self.bootstrap_latency),
            requests: Distribution::of(&mut self.bootstrap_requests),
            seconds: self.bootstrap_end as f64 / 1e6,
        };
        let preload = PreloadSummary {
            puts: self.preload_puts,
            succeeded: self.preload_ok,
            mean_replicas: if self.preload_puts > 0 {
                self.preload_replicas as f64 / self.preload_puts as f64
            } else {
                0.0
            },
        };
        let wall_seconds = self.wall_start.elapsed().as_secs_f64();
        let (join_seconds, rss_joined) = self
            .wall_join
            .unwrap_or((wall_seconds, crate::memory::current_rss()));
        let wall = WallClock {
            seconds: wall_seconds,
            join_seconds,
            events_per_second: self.events as f64 / wall_seconds.max(1e-9),
            peak_rss_bytes: crate::memory::peak_rss(),
            rss_per_node_bytes: rss_joined.saturating_sub(self.rss_start) / s.nodes.max(1) as u64,
        };
        let scenario = ScenarioEcho {
            nodes: s.nodes,
            lookups: s.lookups,
            rate: s.rate,
            mix: s.mix,
            keys: s.keys,
            key_distribution: s.key_distribution,
            value_size: s.value_size,
            churn: s.churn,
            network: s.network.clone(),
            join: s.join,
            settle: s.settle,
            drain: s.drain,
            key_bits: s.key_bits.bits(),
            k: self.config.k,
            alpha: self.config.alpha,
            bootstrap_refresh: self.config.bootstrap_refresh,
            request_timeout: self.config.request_timeout,
            maintenance_interval: self.config.maintenance_interval,
            seed: s.seed,
        };
        Report {
            scenario,
            network,
            bootstrap,
            preload,
            lookups: OpSummary::of(self.ops.iter()),
            by_kind,
            routing,
            wall,
            samples,
        }
    }
}
