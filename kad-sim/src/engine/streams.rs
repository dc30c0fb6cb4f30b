//! The random streams of a run. Each concern draws from its own generator, seeded from the
//! scenario's seed and the stream's number, so that adding draws to one (say, the network)
//! leaves the choices of the others unchanged.

use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::network::splitmix64;

/// Salt mixed into the scenario's seed to seed the network model (`"netw"` in ASCII).
const NETWORK_SALT: u64 = 0x6e65_7477;

/// One random stream; the number is part of its seed, so it must never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub(super) enum Stream {
    /// Node ids, node seeds and bootstrap seed nodes.
    Nodes = 1,
    /// Latency jitter and loss of each datagram.
    Network = 2,
    /// Session lengths.
    Churn = 3,
    /// Operation arrivals, kinds, keys, targets and queriers.
    Workload = 4,
    /// The keys of the workload's universe.
    Keys = 5,
    /// Which nodes are adversaries.
    Adversaries = 6,
}

impl Stream {
    /// The generator of this stream for a run seeded with `seed`.
    pub(super) fn rng(self, seed: u64) -> SmallRng {
        SmallRng::seed_from_u64(splitmix64(seed ^ splitmix64(self as u64)))
    }
}

/// The seed of the network model (node coordinates) for a run seeded with `seed`.
pub(super) fn network_seed(seed: u64) -> u64 {
    splitmix64(seed ^ NETWORK_SALT)
}
