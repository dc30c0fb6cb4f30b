//! The library API: a [`Scenario`] says what to simulate, [`Scenario::run`] simulates it and
//! returns a [`Report`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use kad_core::Config;
use serde::{Serialize, Serializer};

use crate::adversary::{Adversaries, Behavior, Placement};
use crate::churn::Sessions;
use crate::duration::{format_duration, parse_duration};
use crate::engine;
use crate::error::SimError;
use crate::network::NetworkModel;
use crate::progress::Progress;
use crate::records::Records;
use crate::report::Report;
use crate::workload::{KeyDistribution, Mix};

/// When the initial nodes join.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum JoinSchedule {
    /// A constant number of joins per simulated second: node `i` joins at `i / rate`.
    Rate(f64),
    /// Exponential growth: the network doubles in size every `doubling`, so node `i` joins at
    /// `doubling * log2(i + 1)`. The rate of joins stays proportional to the size of the
    /// network, so a joining node overlaps with as many other joins near its id at 1 000
    /// nodes as at 1 000 000.
    Doubling(Duration),
}

impl Default for JoinSchedule {
    /// Doubling every 30 s.
    fn default() -> Self {
        JoinSchedule::Doubling(Duration::from_secs(30))
    }
}

impl JoinSchedule {
    /// Simulated seconds from the start to the join of initial node `index`.
    pub fn join_time(&self, index: u64) -> f64 {
        match *self {
            JoinSchedule::Rate(rate) => index as f64 / rate,
            JoinSchedule::Doubling(d) => d.as_secs_f64() * ((index + 1) as f64).log2(),
        }
    }

    /// Checks the parameter.
    pub fn validate(&self) -> Result<(), SimError> {
        let ok = match *self {
            JoinSchedule::Rate(rate) => rate > 0.0 && rate.is_finite(),
            JoinSchedule::Doubling(d) => !d.is_zero(),
        };
        if ok {
            Ok(())
        } else {
            Err(SimError::invalid(
                "the join rate or doubling time must be positive",
            ))
        }
    }
}

impl fmt::Display for JoinSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinSchedule::Rate(rate) => write!(f, "rate:{rate}"),
            JoinSchedule::Doubling(d) => write!(f, "doubling:{}", format_duration(*d)),
        }
    }
}

impl Serialize for JoinSchedule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for JoinSchedule {
    type Err = String;

    /// Parses `rate:JOINS_PER_SECOND` or `doubling:DURATION`.
    fn from_str(s: &str) -> Result<Self, String> {
        let schedule = match s.split_once(':') {
            Some(("rate", r)) => {
                JoinSchedule::Rate(r.parse().map_err(|_| format!("bad join rate {r:?}"))?)
            }
            Some(("doubling", d)) => JoinSchedule::Doubling(parse_duration(d)?),
            _ => return Err(format!("expected rate:R or doubling:DURATION, got {s:?}")),
        };
        schedule.validate().map_err(|e| e.to_string())?;
        Ok(schedule)
    }
}

/// Width of node ids and record keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyBits {
    /// 160-bit keys, as with SHA-1 (`Key<20>`).
    #[default]
    Bits160,
    /// 256-bit keys, as with SHA-256 or BLAKE3 (`Key<32>`).
    Bits256,
}

impl KeyBits {
    /// The number of bits.
    pub fn bits(self) -> u32 {
        match self {
            KeyBits::Bits160 => 160,
            KeyBits::Bits256 => 256,
        }
    }
}

/// A complete description of one simulation. Every field has a default (see
/// [`Scenario::default`]); the chained setters change one each.
///
/// A run has four phases on the virtual clock:
///
/// 1. **Joining**: `nodes` nodes join one after another on the [`JoinSchedule`]. The first is
///    alone; each later one bootstraps from a random live node that has finished its own
///    bootstrap (kad-core's `bootstrap`: a self-lookup, then, with
///    [`Config::bootstrap_refresh`], a refresh of every bucket farther than its closest
///    neighbour). A bootstrap that finds nobody (its request or the answer was lost) is
///    retried through another node, up to 8 tries in all.
/// 2. **Preloading**: once the last node has joined, churn (if any) starts and each key of the
///    workload's universe is put once from a random node, `rate` puts per second.
/// 3. **Settling** for `settle`, then **measuring**: `lookups` operations arrive at `rate` per
///    second (Poisson), each from a random live node that has joined.
/// 4. **Draining**: the run ends when every measured operation has finished, or `drain` after
///    the last one started.
///
/// ```
/// use kad_sim::Scenario;
///
/// let report = Scenario::default().nodes(200).lookups(50).seed(3).run()?;
/// assert_eq!(report.lookups.issued, 50);
/// assert!(report.lookups.success_rate > 0.9);
/// # Ok::<(), kad_sim::SimError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Nodes in the network (default 1000).
    pub nodes: usize,
    /// Measured operations (default 1000).
    pub lookups: usize,
    /// Operations per simulated second, also the preload put rate (default 100).
    pub rate: f64,
    /// Weights of gets, puts and find_nodes (default 45:10:45).
    pub mix: Mix,
    /// Keys in the workload's universe, each put once before measuring (default 1000).
    pub keys: usize,
    /// Popularity of the keys for gets and puts (default uniform).
    pub key_distribution: KeyDistribution,
    /// Size of each value in bytes (default 100).
    pub value_size: usize,
    /// Session lengths; churn starts when the last initial node has joined (default none).
    pub churn: Sessions,
    /// Latency and loss.
    pub network: NetworkModel,
    /// When the initial nodes join (default: the network doubles every 30 s).
    pub join: JoinSchedule,
    /// Simulated time from the end of the preload to the first measured operation (default
    /// 60 s).
    pub settle: Duration,
    /// Longest simulated time allowed after the last operation started (default 60 s).
    pub drain: Duration,
    /// Width of ids and keys (default 160 bits).
    pub key_bits: KeyBits,
    /// The adversarial nodes (default none); set with [`adversaries`](Self::adversaries),
    /// [`adversary_placement`](Self::adversary_placement),
    /// [`adversary_behavior`](Self::adversary_behavior) and
    /// [`adversary_subnets`](Self::adversary_subnets).
    pub adversaries: Adversaries,
    /// The kind of record the workload puts and gets (default plain; `--records`).
    pub records: Records,
    /// The configuration of every node. The simulator forces `max_queued_events` to 0:
    /// routing-table events are not used, and queueing them costs memory in every node.
    pub node: Config,
    /// Seed of every random choice: ids, latencies, losses, churn and workload (default 1).
    pub seed: u64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            nodes: 1000,
            lookups: 1000,
            rate: 100.0,
            mix: Mix::default(),
            keys: 1000,
            key_distribution: KeyDistribution::Uniform,
            value_size: 100,
            churn: Sessions::None,
            network: NetworkModel::default(),
            join: JoinSchedule::default(),
            settle: Duration::from_secs(60),
            drain: Duration::from_secs(60),
            key_bits: KeyBits::Bits160,
            adversaries: Adversaries::default(),
            records: Records::default(),
            node: Config::default(),
            seed: 1,
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        impl Scenario {
            $(
                $(#[$doc])*
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Sets [`Scenario::nodes`].
    nodes: usize,
    /// Sets [`Scenario::lookups`].
    lookups: usize,
    /// Sets [`Scenario::rate`].
    rate: f64,
    /// Sets [`Scenario::mix`].
    mix: Mix,
    /// Sets [`Scenario::keys`].
    keys: usize,
    /// Sets [`Scenario::key_distribution`].
    key_distribution: KeyDistribution,
    /// Sets [`Scenario::value_size`].
    value_size: usize,
    /// Sets [`Scenario::churn`].
    churn: Sessions,
    /// Sets [`Scenario::network`].
    network: NetworkModel,
    /// Sets [`Scenario::join`].
    join: JoinSchedule,
    /// Sets [`Scenario::settle`].
    settle: Duration,
    /// Sets [`Scenario::drain`].
    drain: Duration,
    /// Sets [`Scenario::key_bits`].
    key_bits: KeyBits,
    /// Sets [`Scenario::node`].
    node: Config,
    /// Sets [`Scenario::seed`].
    seed: u64,
}

impl Scenario {
    /// Sets the share of the nodes that are adversaries (`--adversaries`; see
    /// [`Adversaries::fraction`]).
    pub fn adversaries(mut self, fraction: f64) -> Self {
        self.adversaries.fraction = fraction;
        self
    }

    /// Sets where the adversaries' ids lie (`--adversary-placement`).
    pub fn adversary_placement(mut self, placement: Placement) -> Self {
        self.adversaries.placement = placement;
        self
    }

    /// Sets how the adversaries answer (`--adversary-behavior`).
    pub fn adversary_behavior(mut self, behavior: Behavior) -> Self {
        self.adversaries.behavior = behavior;
        self
    }

    /// Sets the kind of record the workload puts and gets (`--records`).
    pub fn records(mut self, records: Records) -> Self {
        self.records = records;
        self
    }

    /// Sets how many /24s the adversaries' addresses fall in (`--adversary-subnets`).
    pub fn adversary_subnets(mut self, subnets: u32) -> Self {
        self.adversaries.subnets = subnets;
        self
    }

    /// Sets the disjoint paths of every node's lookups (`--disjoint-paths`; kad-core's
    /// [`Config::disjoint_paths`]).
    pub fn disjoint_paths(mut self, paths: usize) -> Self {
        self.node.disjoint_paths = paths;
        self
    }

    /// Sets the datagram loss probability of the network model.
    pub fn loss(mut self, loss: f64) -> Self {
        self.network.loss = loss;
        self
    }

    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.nodes == 0 {
            return Err(SimError::invalid("the network needs at least one node"));
        }
        if self.nodes > 1 << 24 {
            return Err(SimError::invalid("at most 16 777 216 nodes are supported"));
        }
        if !(self.rate > 0.0 && self.rate.is_finite()) {
            return Err(SimError::invalid("the operation rate must be positive"));
        }
        self.join.validate()?;
        if self.keys == 0 || self.keys > u32::MAX as usize {
            return Err(SimError::invalid(
                "the key universe must hold 1 to 2^32 - 1 keys",
            ));
        }
        if self.lookups > u32::MAX as usize - 1 {
            return Err(SimError::invalid("too many lookups"));
        }
        if self.value_size > self.node.max_value_size || self.value_size > kad_proto::MAX_VALUE_SIZE
        {
            return Err(SimError::invalid(format!(
                "values of {} bytes are over the node's limit of {} bytes",
                self.value_size,
                self.node.max_value_size.min(kad_proto::MAX_VALUE_SIZE)
            )));
        }
        self.mix.validate()?;
        self.churn.validate()?;
        self.network.validate()?;
        self.adversaries.validate()?;
        if self.adversaries.count(self.nodes) >= self.nodes {
            return Err(SimError::invalid("at least one node must be honest"));
        }
        if let Placement::Near { keys } = self.adversaries.placement {
            if keys as usize > self.keys {
                return Err(SimError::invalid(
                    "the adversaries cannot attack more keys than the workload has",
                ));
            }
        }
        self.node_config().validate()?;
        Ok(())
    }

    /// The configuration every node gets: [`Scenario::node`] with no routing-table events.
    pub fn node_config(&self) -> Config {
        Config {
            max_queued_events: 0,
            ..self.node.clone()
        }
    }

    /// The honest nodes: [`nodes`](Self::nodes) less the adversaries.
    pub fn honest_nodes(&self) -> usize {
        self.nodes - self.adversaries.count(self.nodes).min(self.nodes)
    }

    /// Runs the simulation to the end.
    pub fn run(&self) -> Result<Report, SimError> {
        self.run_with_progress(|_| {})
    }

    /// Runs the simulation, calling `progress` every few thousand events and at each change of
    /// phase.
    pub fn run_with_progress<F: FnMut(&Progress)>(&self, progress: F) -> Result<Report, SimError> {
        self.validate()?;
        match self.key_bits {
            KeyBits::Bits160 => engine::run::<20, F>(self, progress),
            KeyBits::Bits256 => engine::run::<32, F>(self, progress),
        }
    }
}
