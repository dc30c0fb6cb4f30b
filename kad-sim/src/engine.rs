//! The discrete-event engine: the nodes in a dense vector addressed by their index, and the
//! loop that takes each event from the [`queue`], feeds the node its input and drains its
//! outputs.
//!
//! After every input to a node (a datagram, a timer, a command) the engine drains the node:
//! each transmit is sized with kad-proto, passed through the network model and scheduled for
//! delivery; each finished query is scored ([`scoring`]); and if the node's next deadline
//! ([`Node::poll_timeout`]) is earlier than the timer already scheduled for it, a new timer is
//! scheduled. Each node keeps the time of its one pending timer; timer events that no longer
//! match it are stale and skipped.
//!
//! The rest of the engine is in its submodules: joins, leaves and bootstrap retries in
//! [`membership`], the preload and the measured operations in [`operations`], the running
//! counts in [`counters`], the random streams in [`streams`], and the assembly of the
//! [`Report`] in [`summary`].

mod adversary;
mod counters;
mod membership;
mod mutable;
mod operations;
mod queue;
mod scoring;
mod slab;
mod streams;
mod summary;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kad_core::{Body, Driver, Event, Key, Node, QueryId, Request, Transmit, TxId, Validator};
use rand::rngs::SmallRng;
use rand_distr::Exp;

use crate::address::SimAddr;
use crate::churn::SessionSampler;
use crate::error::SimError;
use crate::metrics::OpRecord;
use crate::network::Network;
use crate::oracle::Oracle;
use crate::progress::{Phase, Progress};
use crate::records::Records;
use crate::report::Report;
use crate::scenario::Scenario;
use crate::wire::WireSizes;
use crate::workload::KeyPicker;

use counters::Counters;
use mutable::MutableWorkload;
use queue::{EventQueue, Kind};
use slab::Slab;
use streams::Stream;

/// No timer scheduled.
const NONE: u64 = u64::MAX;
/// No operation tag: the datagram belongs to no measured operation.
const NO_TAG: u32 = u32::MAX;
/// A progress report is handed to the callback every this many events (and at each new phase).
const PROGRESS_EVERY: u64 = 4096;
/// Virtual microseconds per second.
const MICROS_PER_SEC: f64 = 1e6;
/// Virtual microseconds per millisecond.
const MICROS_PER_MS: f64 = 1e3;
/// Nanoseconds per microsecond.
const NANOS_PER_MICRO: u32 = 1000;
/// The byte every stored value is filled with.
const VALUE_BYTE: u8 = 0x5a;

/// A datagram in flight.
#[derive(Debug)]
struct Flight<const N: usize> {
    from: u32,
    /// The measured operation the datagram belongs to, or `NO_TAG`.
    tag: u32,
    message: kad_core::Message<SimAddr, Key<N>>,
}

/// What the simulator holds per address.
#[derive(Debug)]
struct Slot<const N: usize> {
    /// The node, `None` once it has left.
    node: Option<Box<Node<SimAddr, Key<N>>>>,
    /// Its address (which says whether it is an adversary).
    addr: SimAddr,
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
        /// When the node joined.
        started: u64,
    },
}

/// The whole simulated world.
#[derive(Debug)]
struct Sim<'s, const N: usize> {
    scenario: &'s Scenario,
    /// Shared by every node.
    config: Arc<kad_core::Config>,
    base: Instant,
    now: u64,
    queue: EventQueue,
    slots: Vec<Slot<N>>,
    flights: Slab<Flight<N>>,
    /// Addresses of live nodes.
    live: Vec<u32>,
    /// The live honest nodes.
    oracle: Oracle<N>,
    /// The live adversaries.
    adversaries: Oracle<N>,
    network: Network,
    wire: WireSizes,
    sessions: Option<SessionSampler>,
    picker: KeyPicker,
    keys: Vec<Key<N>>,
    value: Vec<u8>,
    /// Signed mutable records instead of plain values (`--records mutable`).
    mutable: Option<MutableWorkload>,
    /// Every node's validator.
    validator: Arc<dyn Validator<Key<N>>>,
    rng_nodes: SmallRng,
    rng_net: SmallRng,
    rng_churn: SmallRng,
    rng_work: SmallRng,
    rng_adversaries: SmallRng,
    interarrival: Exp<f64>,

    queries: HashMap<(u32, QueryId), Tracked>,
    /// Measured operations running at each node, with their key or target.
    active: HashMap<u32, Vec<(u32, Key<N>)>>,
    ops: Vec<OpRecord>,

    phase: Phase,
    bootstrap_latency: Vec<f64>,
    bootstrap_requests: Vec<f64>,
    bootstrap_end: u64,
    measure_start: u64,
    count: Counters,

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
        sim.count.events += 1;
        sim.handle(kind, node, payload)?;
        if sim.ended {
            break;
        }
        if sim.count.events % PROGRESS_EVERY == 0 || sim.phase != last_phase {
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
        let mut rng_keys = Stream::Keys.rng(seed);
        let mutable = (scenario.records == Records::Mutable)
            .then(|| MutableWorkload::new(scenario.keys, &mut rng_keys));
        let keys = match &mutable {
            Some(workload) => workload.keys(scenario.keys),
            None => (0..scenario.keys)
                .map(|_| Key::random(&mut rng_keys))
                .collect(),
        };
        let interarrival = Exp::new(scenario.rate)
            .map_err(|_| SimError::invalid("the operation rate must be positive"))?;
        Ok(Sim {
            scenario,
            config: Arc::new(scenario.node_config()),
            base: Instant::now(),
            now: 0,
            queue: EventQueue::default(),
            slots: Vec::with_capacity(scenario.nodes),
            flights: Slab::new(),
            live: Vec::with_capacity(scenario.nodes),
            oracle: Oracle::new(),
            adversaries: Oracle::new(),
            network: Network::new(&scenario.network, streams::network_seed(seed)),
            wire: WireSizes::new(),
            sessions: scenario.churn.sampler()?,
            picker: KeyPicker::new(scenario.key_distribution, scenario.keys as u32)?,
            keys,
            value: vec![VALUE_BYTE; scenario.value_size],
            mutable,
            validator: mutable::validator(),
            rng_nodes: Stream::Nodes.rng(seed),
            rng_net: Stream::Network.rng(seed),
            rng_churn: Stream::Churn.rng(seed),
            rng_work: Stream::Workload.rng(seed),
            rng_adversaries: Stream::Adversaries.rng(seed),
            interarrival,
            queries: HashMap::new(),
            active: HashMap::new(),
            ops: Vec::with_capacity(scenario.lookups),
            phase: Phase::Joining,
            bootstrap_latency: Vec::with_capacity(scenario.nodes),
            bootstrap_requests: Vec::with_capacity(scenario.nodes),
            bootstrap_end: 0,
            measure_start: 0,
            count: Counters::default(),
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
        us + u64::from(d.subsec_nanos() % NANOS_PER_MICRO != 0)
    }

    /// Virtual microseconds in `secs` seconds.
    fn micros_of(secs: f64) -> u64 {
        (secs * MICROS_PER_SEC).round() as u64
    }

    fn progress(&self) -> Progress {
        let (done, total) = match self.phase {
            Phase::Joining => (self.count.joins, self.scenario.honest_nodes() as u64),
            Phase::Preloading => (self.count.preload_puts as u64, self.scenario.keys as u64),
            Phase::Settling => (0, 0),
            Phase::Measuring | Phase::Draining => {
                (self.count.ops_done as u64, self.scenario.lookups as u64)
            }
        };
        Progress {
            phase: self.phase,
            sim_time: Duration::from_micros(self.now),
            events: self.count.events,
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
            Kind::Attack => self.attack(payload)?,
            Kind::Push => self.push(node),
        }
        Ok(())
    }

    fn deliver(&mut self, to: u32, slot: u32) {
        let Some(flight) = self.flights.remove(slot) else {
            return;
        };
        let Some(mut node) = self.slots[to as usize].node.take() else {
            self.count.messages_to_departed += 1;
            return;
        };
        let reply = match flight.message.body {
            Body::Request(_) if flight.tag != NO_TAG => Some((flight.message.tx, flight.tag)),
            _ => None,
        };
        let from = self.slots[flight.from as usize].addr;
        let message = if self.slots[to as usize].addr.is_adversary() {
            self.adversary_answer(to, &node, from, flight.message, reply)
        } else {
            Some(flight.message)
        };
        if let Some(message) = message {
            node.handle_message(self.instant(), from, message);
            self.drain(to, &mut node, reply);
        }
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
    fn drain(&mut self, addr: u32, node: &mut Node<SimAddr, Key<N>>, reply: Option<(TxId, u32)>) {
        let mut outputs = Outputs {
            sim: self,
            addr,
            reply,
            joined: false,
        };
        let deadline = node.drain(&mut outputs);
        if outputs.joined {
            // The node's bootstrap is over: count the attempts kad-core made again.
            self.count.bootstrap_retries += node.stats().bootstrap_retries;
        }
        let at = self.micros(deadline).max(self.now);
        let slot = &mut self.slots[addr as usize];
        if at < slot.timer {
            slot.timer = at;
            self.queue.push(at, Kind::Timer, addr, 0);
        }
    }

    fn send(&mut self, from: u32, t: Transmit<SimAddr, Key<N>>, reply: Option<(TxId, u32)>) {
        let size = self.wire.size(&t.message);
        self.count.messages_sent += 1;
        self.count.bytes_sent += u64::from(size);
        let tag = match &t.message.body {
            Body::Response(_) => reply
                .filter(|(tx, _)| *tx == t.message.tx)
                .map(|(_, op)| op),
            Body::Request(request) => {
                let key = match request {
                    Request::FindNode { target, .. } => Some(target),
                    Request::FindValue { key, .. } | Request::Store { key, .. } => Some(key),
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
        let to = t.to.index();
        match self.network.transit(from, to, &mut self.rng_net) {
            None => self.count.messages_lost += 1,
            Some(delay) => {
                let slot = self.flights.insert(Flight {
                    from,
                    tag,
                    message: t.message,
                });
                self.count.peak_flights = self.count.peak_flights.max(slot as usize + 1);
                self.queue.push(self.now + delay, Kind::Deliver, to, slot);
            }
        }
    }
}

/// The simulated world as one node's driver while the node is drained.
struct Outputs<'w, 's, const N: usize> {
    sim: &'w mut Sim<'s, N>,
    addr: u32,
    /// The request the node just answered, to tag its response.
    reply: Option<(TxId, u32)>,
    /// Whether the node's bootstrap finished.
    joined: bool,
}

impl<const N: usize> Driver<SimAddr, Key<N>> for Outputs<'_, '_, N> {
    fn transmit(&mut self, transmit: Transmit<SimAddr, Key<N>>) {
        self.sim.send(self.addr, transmit, self.reply);
    }

    fn event(&mut self, event: Event<SimAddr, Key<N>>) {
        if let Event::QueryFinished { id, result, stats } = event {
            self.joined |= self.sim.query_finished(self.addr, id, result, stats);
        }
    }
}
