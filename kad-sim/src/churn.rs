//! The churn model: how long a node stays online.
//!
//! Once the initial network has joined, every live node draws a session length from the
//! distribution and silently disappears when it ends: no goodbye message, its in-flight
//! datagrams still arrive, datagrams to it are lost. A fresh node (new id, new address) joins
//! at the same instant through a random live node, so the population stays constant. The
//! initial nodes draw their session when churn starts, which for the exponential distribution
//! is exactly the residual session of a node that joined earlier (it is memoryless).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::Rng;
use rand_distr::{Distribution, Exp, Weibull};
use serde::{Serialize, Serializer};

use crate::duration::{format_duration, parse_duration};
use crate::error::SimError;

/// The distribution of session lengths, given by its median.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Sessions {
    /// No churn: nodes stay for the whole run.
    #[default]
    None,
    /// Exponential session lengths with this median (mean = median / ln 2).
    Exponential {
        /// The median session length.
        median: Duration,
    },
    /// Weibull session lengths with this shape and median (shape below 1 gives many short
    /// sessions and a long tail, as measured in deployed DHTs).
    Weibull {
        /// The shape parameter k (must be positive).
        shape: f64,
        /// The median session length.
        median: Duration,
    },
}

impl Sessions {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), SimError> {
        match *self {
            Sessions::None => Ok(()),
            Sessions::Exponential { median } if median.is_zero() => {
                Err(SimError::invalid("median session must be positive"))
            }
            Sessions::Weibull { shape, median }
                if median.is_zero() || shape.is_nan() || shape <= 0.0 =>
            {
                Err(SimError::invalid(
                    "Weibull churn needs a positive shape and median",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Whether nodes leave at all.
    pub fn is_none(&self) -> bool {
        matches!(self, Sessions::None)
    }

    pub(crate) fn sampler(&self) -> Result<Option<SessionSampler>, SimError> {
        fn bad<E>(_: E) -> SimError {
            SimError::invalid("session distribution parameters out of range")
        }
        Ok(match *self {
            Sessions::None => None,
            Sessions::Exponential { median } => {
                let mean_us = median.as_secs_f64() * 1e6 / std::f64::consts::LN_2;
                Some(SessionSampler::Exp(Exp::new(1.0 / mean_us).map_err(bad)?))
            }
            Sessions::Weibull { shape, median } => {
                let scale_us =
                    median.as_secs_f64() * 1e6 / std::f64::consts::LN_2.powf(1.0 / shape);
                Some(SessionSampler::Weibull(
                    Weibull::new(scale_us, shape).map_err(bad)?,
                ))
            }
        })
    }
}

/// Draws session lengths in microseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SessionSampler {
    Exp(Exp<f64>),
    Weibull(Weibull<f64>),
}

impl SessionSampler {
    /// A session length in microseconds, at least 1.
    pub(crate) fn sample<R: Rng>(&self, rng: &mut R) -> u64 {
        let us = match self {
            SessionSampler::Exp(d) => d.sample(rng),
            SessionSampler::Weibull(d) => d.sample(rng),
        };
        // Saturating float-to-int conversion; a session of centuries is "forever" anyway.
        (us as u64).max(1)
    }
}

impl fmt::Display for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sessions::None => f.write_str("none"),
            Sessions::Exponential { median } => write!(f, "exp:{}", format_duration(*median)),
            Sessions::Weibull { shape, median } => {
                write!(f, "weibull:{shape}:{}", format_duration(*median))
            }
        }
    }
}

impl Serialize for Sessions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Sessions {
    type Err = String;

    /// Parses `none`, `exp:MEDIAN` or `weibull:SHAPE:MEDIAN`, durations as in
    /// [`parse_duration`].
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let sessions = match parts.as_slice() {
            ["none"] => Sessions::None,
            ["exp", median] => Sessions::Exponential {
                median: parse_duration(median)?,
            },
            ["weibull", shape, median] => Sessions::Weibull {
                shape: shape
                    .parse()
                    .map_err(|_| format!("bad Weibull shape {shape:?}"))?,
                median: parse_duration(median)?,
            },
            _ => {
                return Err(format!(
                    "expected none, exp:MEDIAN or weibull:SHAPE:MEDIAN, got {s:?}"
                ))
            }
        };
        sessions.validate().map_err(|e| e.to_string())?;
        Ok(sessions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn parses_and_prints_back() {
        for text in ["none", "exp:1h", "weibull:0.5:30m"] {
            let s: Sessions = text.parse().unwrap();
            assert_eq!(s.to_string(), text);
        }
        assert!("exp:0s".parse::<Sessions>().is_err());
        assert!("weibull:-1:1h".parse::<Sessions>().is_err());
        assert!("gamma:1h".parse::<Sessions>().is_err());
    }

    fn median_of(s: Sessions) -> f64 {
        let sampler = s.sampler().unwrap().unwrap();
        let mut rng = SmallRng::seed_from_u64(3);
        let mut v: Vec<u64> = (0..20_001).map(|_| sampler.sample(&mut rng)).collect();
        v.sort_unstable();
        v[10_000] as f64 / 1e6
    }

    #[test]
    fn samples_have_the_requested_median() {
        let hour = Duration::from_secs(3600);
        let exp = median_of(Sessions::Exponential { median: hour });
        assert!((3400.0..3800.0).contains(&exp), "{exp}");
        let weibull = median_of(Sessions::Weibull {
            shape: 0.5,
            median: hour,
        });
        assert!((3300.0..3900.0).contains(&weibull), "{weibull}");
    }
}
