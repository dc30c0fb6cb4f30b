//! Where a running simulation is: the [`Phase`] it is in and the [`Progress`] snapshot handed
//! to the callback of [`Scenario::run_with_progress`](crate::Scenario::run_with_progress).

use std::time::Duration;

/// The phase a running simulation is in; see [`Scenario`](crate::Scenario) for what each one does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Initial nodes joining.
    Joining,
    /// Putting the workload's keys.
    Preloading,
    /// Waiting before the measured operations.
    Settling,
    /// Running the measured operations.
    Measuring,
    /// Waiting for the last operations to finish.
    Draining,
}

impl Phase {
    /// A short name for progress displays.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Joining => "joining",
            Phase::Preloading => "preloading",
            Phase::Settling => "settling",
            Phase::Measuring => "measuring",
            Phase::Draining => "draining",
        }
    }
}

/// Where a running simulation is, passed to the callback of [`Scenario::run_with_progress`](crate::Scenario::run_with_progress).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The current phase.
    pub phase: Phase,
    /// Simulated time since the start.
    pub sim_time: Duration,
    /// Events processed so far.
    pub events: u64,
    /// Units of the current phase done: nodes joined, keys put, operations finished.
    pub done: u64,
    /// Units of the current phase in all.
    pub total: u64,
}
