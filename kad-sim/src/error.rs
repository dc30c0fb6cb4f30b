//! Errors of the simulator: a scenario that does not make sense, or an output that could not be
//! written.

use std::fmt;

/// Why a scenario could not run or its results could not be written.
#[derive(Debug)]
#[non_exhaustive]
pub enum SimError {
    /// A scenario parameter is out of range.
    InvalidParameter(String),
    /// The kad-core node configuration was refused.
    NodeConfig(kad_core::ConfigError),
    /// Writing an output file failed.
    Io(std::io::Error),
    /// Drawing the plot failed.
    Plot(String),
}

impl SimError {
    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        SimError::InvalidParameter(what.into())
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::InvalidParameter(what) => write!(f, "invalid scenario: {what}"),
            SimError::NodeConfig(e) => write!(f, "invalid node configuration: {e}"),
            SimError::Io(e) => write!(f, "cannot write output: {e}"),
            SimError::Plot(e) => write!(f, "cannot draw plot: {e}"),
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SimError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for SimError {
    fn from(e: std::io::Error) -> Self {
        SimError::Io(e)
    }
}

impl From<kad_core::ConfigError> for SimError {
    fn from(e: kad_core::ConfigError) -> Self {
        SimError::NodeConfig(e)
    }
}
