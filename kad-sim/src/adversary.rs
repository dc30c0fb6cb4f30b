//! Adversaries: a share of the nodes that run kad-core for their own traffic (they join,
//! answer pings and so get into honest routing tables as any node would) but answer lookups
//! as an attacker would. They join once the honest network is built and the workload's keys
//! are stored (the attack comes after the puts it attacks), spread over the first half of
//! the settle time, and stay to the end.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::error::SimError;

/// The most /24 subnets the adversaries' addresses can be spread over.
pub const MAX_ADVERSARY_SUBNETS: u32 = 128;

/// How adversarial nodes answer requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behavior {
    /// Answer nothing at all (not even pings, so they never enter a routing table that
    /// verifies its contacts).
    Drop,
    /// Answer pings; answer `FIND_NODE` with the adversaries closest to the target only,
    /// `FIND_VALUE` with a wrong value, and acknowledge `STORE`s and discard them.
    #[default]
    Lie,
    /// Lie, and push into honest routing tables: on joining and every minute after, ping
    /// the `2k` honest nodes closest to its own id (whose buckets for it have room) and 16
    /// random ones, so that they verify it and take it as far as their rules allow.
    Eclipse,
}

impl fmt::Display for Behavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Behavior::Drop => "drop",
            Behavior::Lie => "lie",
            Behavior::Eclipse => "eclipse",
        })
    }
}

impl Serialize for Behavior {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Behavior {
    type Err = String;

    /// Parses `drop`, `lie` or `eclipse`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "drop" => Ok(Behavior::Drop),
            "lie" => Ok(Behavior::Lie),
            "eclipse" => Ok(Behavior::Eclipse),
            _ => Err(format!("expected drop, lie or eclipse, got {s:?}")),
        }
    }
}

/// Where the adversaries' ids lie.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// Random ids, as honest nodes have.
    #[default]
    Random,
    /// Ids closer than any honest node's to the first `keys` keys of the workload, in turn:
    /// an eclipse attempt on those keys. The measured gets and puts then use those keys
    /// only.
    Near {
        /// How many keys are attacked.
        keys: u32,
    },
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placement::Random => f.write_str("random"),
            Placement::Near { keys } => write!(f, "near:{keys}"),
        }
    }
}

impl Serialize for Placement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Placement {
    type Err = String;

    /// Parses `random` or `near:N`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            None if s == "random" => Ok(Placement::Random),
            Some(("near", n)) => match n.parse() {
                Ok(keys) if keys > 0 => Ok(Placement::Near { keys }),
                _ => Err(format!("expected a positive number of keys, got {n:?}")),
            },
            _ => Err(format!("expected random or near:N, got {s:?}")),
        }
    }
}

/// The adversaries of a run: their share of the nodes, where their ids lie, their behaviour,
/// and how many /24s their addresses fall in (honest nodes each have a /24 of their own).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Adversaries {
    /// Share of the nodes that are adversaries (default 0): `round(fraction * nodes)` of
    /// them join after the preload, the rest are honest.
    pub fraction: f64,
    /// Where their ids lie (default random).
    pub placement: Placement,
    /// How they answer (default [`Behavior::Lie`]).
    pub behavior: Behavior,
    /// The /24 subnets their addresses fall in, at most [`MAX_ADVERSARY_SUBNETS`] (default 1):
    /// kad-core's subnet-diversity rules then limit how many of them one routing table
    /// takes.
    pub subnets: u32,
}

impl Default for Adversaries {
    fn default() -> Self {
        Adversaries {
            fraction: 0.0,
            placement: Placement::Random,
            behavior: Behavior::Lie,
            subnets: 1,
        }
    }
}

impl Adversaries {
    /// How many of `nodes` nodes are adversaries.
    pub fn count(&self, nodes: usize) -> usize {
        (self.fraction * nodes as f64).round() as usize
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), SimError> {
        if !(0.0..1.0).contains(&self.fraction) {
            return Err(SimError::invalid(
                "the adversaries' share must be at least 0 and below 1",
            ));
        }
        if self.subnets == 0 || self.subnets > MAX_ADVERSARY_SUBNETS {
            return Err(SimError::invalid(format!(
                "the adversaries need 1 to {MAX_ADVERSARY_SUBNETS} subnets"
            )));
        }
        Ok(())
    }
}
