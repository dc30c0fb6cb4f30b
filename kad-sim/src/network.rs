//! The network model: how long a datagram takes between two nodes and whether it arrives.
//!
//! Every node sits at a point of the unit square, drawn from the scenario seed and its address,
//! so that coordinates cost no memory. The one-way latency between two nodes grows linearly with
//! their Euclidean distance from `min_latency` (same point) to `max_latency` (opposite
//! corners); each datagram adds a uniform jitter of up to `jitter` times that base latency, so
//! datagrams between the same pair can overtake each other. Each datagram is lost
//! independently with probability `loss`. There is no bandwidth or queueing model.

use std::time::Duration;

use rand::Rng;
use serde::Serialize;

use crate::error::SimError;

/// Parameters of the modelled network.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetworkModel {
    /// One-way latency between two nodes at the same point (default 10 ms).
    #[serde(serialize_with = "crate::metrics::serialize_ms")]
    pub min_latency: Duration,
    /// One-way latency between opposite corners of the plane (default 300 ms).
    #[serde(serialize_with = "crate::metrics::serialize_ms")]
    pub max_latency: Duration,
    /// Largest extra delay of one datagram, as a fraction of the pair's base latency: each
    /// datagram gets a uniform `[0, jitter)` share more (default 0.1).
    pub jitter: f64,
    /// Probability that a datagram is lost, independently of all others (default 0).
    pub loss: f64,
}

impl Default for NetworkModel {
    fn default() -> Self {
        NetworkModel {
            min_latency: Duration::from_millis(10),
            max_latency: Duration::from_millis(300),
            jitter: 0.1,
            loss: 0.0,
        }
    }
}

impl NetworkModel {
    /// Checks that the parameters make sense.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.min_latency.is_zero() {
            return Err(SimError::invalid("min latency must be positive"));
        }
        if self.max_latency < self.min_latency {
            return Err(SimError::invalid(
                "max latency must be at least the min latency",
            ));
        }
        if !(0.0..=10.0).contains(&self.jitter) {
            return Err(SimError::invalid("jitter must be between 0 and 10"));
        }
        if !(0.0..1.0).contains(&self.loss) {
            return Err(SimError::invalid("loss must be in [0, 1)"));
        }
        Ok(())
    }
}

/// The model in the simulator's units (microseconds), with the coordinate seed.
#[derive(Clone, Debug)]
pub(crate) struct Network {
    coord_seed: u64,
    min_us: f64,
    span_us: f64,
    jitter: f64,
    loss: f64,
}

impl Network {
    pub(crate) fn new(model: &NetworkModel, coord_seed: u64) -> Self {
        let min_us = model.min_latency.as_secs_f64() * 1e6;
        let max_us = model.max_latency.as_secs_f64() * 1e6;
        Network {
            coord_seed,
            min_us,
            span_us: max_us - min_us,
            jitter: model.jitter,
            loss: model.loss,
        }
    }

    /// The point of the unit square where node `addr` sits.
    pub(crate) fn position(&self, addr: u32) -> (f64, f64) {
        let bits =
            splitmix64(self.coord_seed ^ u64::from(addr).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let scale = 1.0 / f64::from(u32::MAX);
        let x = f64::from((bits >> 32) as u32) * scale;
        let y = f64::from(bits as u32) * scale;
        (x, y)
    }

    /// Base one-way latency between two nodes, in microseconds.
    pub(crate) fn base_latency_us(&self, a: u32, b: u32) -> f64 {
        let (ax, ay) = self.position(a);
        let (bx, by) = self.position(b);
        let d = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt() / std::f64::consts::SQRT_2;
        self.min_us + self.span_us * d
    }

    /// The fate of one datagram from `a` to `b`: `None` if lost, otherwise its delay in
    /// microseconds (at least 1).
    pub(crate) fn transit<R: Rng>(&self, a: u32, b: u32, rng: &mut R) -> Option<u64> {
        if self.loss > 0.0 && rng.random::<f64>() < self.loss {
            return None;
        }
        let base = self.base_latency_us(a, b);
        let extra = if self.jitter > 0.0 {
            base * self.jitter * rng.random::<f64>()
        } else {
            0.0
        };
        Some(((base + extra) as u64).max(1))
    }
}

/// A fast 64-bit mixer (Steele, Lea and Flood's SplitMix64 finaliser).
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn latency_stays_in_range_and_is_symmetric() {
        let model = NetworkModel::default();
        let net = Network::new(&model, 7);
        let mut rng = SmallRng::seed_from_u64(1);
        for a in 0..200u32 {
            for b in 0..20u32 {
                let base = net.base_latency_us(a, b);
                assert!((10_000.0..=300_000.0).contains(&base), "{base}");
                assert_eq!(base, net.base_latency_us(b, a));
                let t = net.transit(a, b, &mut rng).unwrap();
                assert!(t as f64 >= base.floor() && (t as f64) <= base * 1.1 + 1.0);
            }
        }
    }

    #[test]
    fn loss_rate_is_respected() {
        let model = NetworkModel {
            loss: 0.25,
            ..NetworkModel::default()
        };
        let net = Network::new(&model, 7);
        let mut rng = SmallRng::seed_from_u64(2);
        let lost = (0..100_000)
            .filter(|i| net.transit(*i, 1, &mut rng).is_none())
            .count();
        assert!((24_000..26_000).contains(&lost), "{lost}");
    }
}
