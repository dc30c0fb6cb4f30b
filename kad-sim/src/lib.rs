//! # kad-sim
//!
//! A deterministic discrete-event simulator that runs real [`kad_core::Node`]s (the same state
//! machine production runs) by the thousand or the million, on a virtual clock and a modelled
//! network: latency from node coordinates, jitter, independent loss, and churn. It answers
//! "how does this DHT behave at internet scale, under churn and loss, with these parameters?"
//! on one machine.
//!
//! - [`Scenario`] describes a run (network size, workload, churn, network model, node
//!   configuration, seed) and [`Scenario::run`] returns a [`Report`]: success rate, hops,
//!   latency, messages and bytes per lookup as percentiles, routing-table sizes, traffic,
//!   events per second and memory.
//! - The same scenario and seed always give the same [`Report::deterministic_json`]: every
//!   random choice comes from seeded generators, no wall-clock time enters the simulation, and
//!   events at the same virtual instant run in the order they were scheduled.
//! - [`write_svg`] draws latency and hop-count CDFs; [`Report::table`] prints a summary.
//!
//! ```
//! use kad_sim::{Scenario, Sessions};
//! use std::time::Duration;
//!
//! let report = Scenario::default()
//!     .nodes(300)
//!     .lookups(100)
//!     .loss(0.01)
//!     .churn(Sessions::Exponential { median: Duration::from_secs(3600) })
//!     .seed(7)
//!     .run()?;
//! println!("{}", report.table());
//! assert_eq!(report.network.live_nodes, 300);
//! # Ok::<(), kad_sim::SimError>(())
//! ```
//!
//! The `kad-sim` binary wraps all of this in a command line; see its `--help`.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod address;
mod adversary;
mod churn;
mod duration;
mod engine;
mod error;
mod memory;
mod metrics;
mod network;
mod oracle;
mod plot;
mod progress;
mod records;
mod report;
mod scenario;
mod wire;
mod workload;

pub use adversary::{Adversaries, Behavior, Placement, MAX_ADVERSARY_SUBNETS};
pub use churn::Sessions;
pub use duration::{format_duration, parse_duration};
pub use error::SimError;
pub use metrics::{Distribution, OpSummary};
pub use network::NetworkModel;
pub use plot::write_svg;
pub use progress::{Phase, Progress};
pub use records::Records;
pub use report::{
    AdversarialSummary, BootstrapSummary, MutableSummary, NetworkSummary, PreloadSummary, Report,
    RoutingSummary, Samples, ScenarioEcho, WallClock,
};
pub use scenario::{JoinSchedule, KeyBits, Scenario};
pub use workload::{KeyDistribution, Mix, OpKind};
