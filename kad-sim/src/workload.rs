//! The workload: which operations run, how often, from where and on which keys.
//!
//! A workload has a universe of `keys` record keys, drawn at random from the scenario seed.
//! Before measuring, each key is put once (the preload), so that every get has a value to find.
//! Then operations arrive as a Poisson process at `rate` per simulated second, each from a
//! random live node that has finished joining. The kind of each operation is drawn from the
//! [`Mix`]: a get or a put picks its key from the universe with the [`KeyDistribution`] (rank 1
//! is the most popular key), a find_node looks up a uniformly random id.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use rand_distr::{Distribution, Zipf};
use serde::{Serialize, Serializer};

use crate::error::SimError;

/// The kind of a measured operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// `Node::get`: succeeds when the value is found.
    Get,
    /// `Node::put`: succeeds when at least one other node acknowledged the STORE.
    Put,
    /// `Node::find_node`: succeeds when the k contacts returned are exactly the k live nodes
    /// closest to the target (the querier excluded).
    FindNode,
}

impl OpKind {
    /// Every kind, in report order.
    pub const ALL: [OpKind; 3] = [OpKind::Get, OpKind::Put, OpKind::FindNode];

    /// The name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Put => "put",
            OpKind::FindNode => "find_node",
        }
    }
}

/// How popular each key of the universe is.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum KeyDistribution {
    /// Every key equally likely.
    #[default]
    Uniform,
    /// Key of rank r is chosen with probability proportional to 1 / r^exponent.
    Zipf {
        /// The exponent s (positive; 1 is the classic Zipf law).
        exponent: f64,
    },
}

impl fmt::Display for KeyDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyDistribution::Uniform => f.write_str("uniform"),
            KeyDistribution::Zipf { exponent } => write!(f, "zipf:{exponent}"),
        }
    }
}

impl Serialize for KeyDistribution {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for KeyDistribution {
    type Err = String;

    /// Parses `uniform`, `zipf` (exponent 1) or `zipf:EXPONENT`.
    fn from_str(s: &str) -> Result<Self, String> {
        let dist = match s.split_once(':') {
            None if s == "uniform" => KeyDistribution::Uniform,
            None if s == "zipf" => KeyDistribution::Zipf { exponent: 1.0 },
            Some(("zipf", e)) => KeyDistribution::Zipf {
                exponent: e.parse().map_err(|_| format!("bad Zipf exponent {e:?}"))?,
            },
            _ => return Err(format!("expected uniform or zipf:EXPONENT, got {s:?}")),
        };
        if let KeyDistribution::Zipf { exponent } = dist {
            if !(exponent > 0.0 && exponent.is_finite()) {
                return Err("the Zipf exponent must be positive".into());
            }
        }
        Ok(dist)
    }
}

/// Relative weights of gets, puts and find_nodes among the measured operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Weight of gets.
    pub get: u32,
    /// Weight of puts.
    pub put: u32,
    /// Weight of find_nodes.
    pub find_node: u32,
}

impl Default for Mix {
    /// 45 % gets, 10 % puts, 45 % find_nodes.
    fn default() -> Self {
        Mix {
            get: 45,
            put: 10,
            find_node: 45,
        }
    }
}

impl Mix {
    fn total(&self) -> u64 {
        u64::from(self.get) + u64::from(self.put) + u64::from(self.find_node)
    }

    /// Draws the kind of one operation.
    pub(crate) fn draw<R: Rng>(&self, rng: &mut R) -> OpKind {
        let x = rng.random_range(0..self.total());
        if x < u64::from(self.get) {
            OpKind::Get
        } else if x < u64::from(self.get) + u64::from(self.put) {
            OpKind::Put
        } else {
            OpKind::FindNode
        }
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.get, self.put, self.find_node)
    }
}

impl Serialize for Mix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Mix {
    type Err = String;

    /// Parses `GET:PUT:FIND_NODE` weights, such as `45:10:45` or `1:0:0`.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let [get, put, find_node] = parts.as_slice() else {
            return Err(format!("expected GET:PUT:FIND_NODE weights, got {s:?}"));
        };
        let weight = |w: &str| {
            w.trim()
                .parse::<u32>()
                .map_err(|_| format!("bad weight {w:?} in {s:?}"))
        };
        let mix = Mix {
            get: weight(get)?,
            put: weight(put)?,
            find_node: weight(find_node)?,
        };
        if mix.total() == 0 {
            return Err("at least one weight must be positive".into());
        }
        Ok(mix)
    }
}

impl Mix {
    /// Checks that some operation has a positive weight.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.total() == 0 {
            return Err(SimError::invalid(
                "the operation mix has no positive weight",
            ));
        }
        Ok(())
    }
}

/// Picks key ranks (0-based, 0 most popular) from a universe of `n` keys.
#[derive(Clone, Debug)]
pub(crate) enum KeyPicker {
    Uniform(u32),
    Zipf(Zipf<f64>, u32),
}

impl KeyPicker {
    pub(crate) fn new(dist: KeyDistribution, n: u32) -> Result<Self, SimError> {
        if n == 0 {
            return Err(SimError::invalid(
                "the key universe must hold at least one key",
            ));
        }
        Ok(match dist {
            KeyDistribution::Uniform => KeyPicker::Uniform(n),
            KeyDistribution::Zipf { exponent } => KeyPicker::Zipf(
                Zipf::new(f64::from(n), exponent)
                    .map_err(|_| SimError::invalid("the Zipf exponent must be positive"))?,
                n,
            ),
        })
    }

    pub(crate) fn pick<R: Rng>(&self, rng: &mut R) -> u32 {
        match self {
            KeyPicker::Uniform(n) => rng.random_range(0..*n),
            // Zipf samples ranks in [1, n] as floats.
            KeyPicker::Zipf(z, n) => ((z.sample(rng) as u32).max(1) - 1).min(n - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn parses() {
        assert_eq!("45:10:45".parse::<Mix>().unwrap(), Mix::default());
        assert!("0:0:0".parse::<Mix>().is_err());
        assert!("1:2".parse::<Mix>().is_err());
        assert_eq!(
            "zipf:0.8".parse::<KeyDistribution>().unwrap(),
            KeyDistribution::Zipf { exponent: 0.8 }
        );
        assert!("zipf:-1".parse::<KeyDistribution>().is_err());
        assert_eq!(
            "uniform".parse::<KeyDistribution>().unwrap().to_string(),
            "uniform"
        );
    }

    #[test]
    fn zipf_prefers_low_ranks() {
        let picker = KeyPicker::new(KeyDistribution::Zipf { exponent: 1.0 }, 1000).unwrap();
        let mut rng = SmallRng::seed_from_u64(5);
        let mut hits = [0u32; 1000];
        for _ in 0..100_000 {
            hits[picker.pick(&mut rng) as usize] += 1;
        }
        assert!(hits[0] > 10 * hits[99].max(1));
        assert!(hits[0] > 10_000);
    }

    #[test]
    fn mix_follows_weights() {
        let mix = Mix {
            get: 1,
            put: 0,
            find_node: 3,
        };
        let mut rng = SmallRng::seed_from_u64(6);
        let gets = (0..40_000)
            .filter(|_| mix.draw(&mut rng) == OpKind::Get)
            .count();
        assert!((9_000..11_000).contains(&gets), "{gets}");
    }
}
