//! What the example programs share: the choice of hash function on the command line and
//! latency percentiles.
//!
//! The programs themselves are in `src/bin/`:
//!
//! - `quickstart`: three nodes in one process save and find a value;
//! - `kad-node`: an interactive node for a terminal;
//! - `cluster`: a local network of N nodes that measures its success rate and latency.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

use std::fmt;
use std::io::{self, IsTerminal};
use std::time::Duration;

use tracing_subscriber::EnvFilter;

/// Sends the libraries' logs (`tracing` events) to stderr, filtered by `filter` (a
/// `RUST_LOG` directive such as `info` or `kad_runtime=debug`) if given, else by the
/// `RUST_LOG` variable, else by `fallback`. Fails on a filter that does not parse.
pub fn install_logs(filter: Option<&str>, fallback: &str) -> Result<(), String> {
    let parse =
        |filter: &str| EnvFilter::try_new(filter).map_err(|e| format!("log {filter:?}: {e}"));
    let filter = match filter {
        Some(filter) => parse(filter)?,
        None => match EnvFilter::try_from_default_env() {
            Ok(filter) => filter,
            Err(_) => parse(fallback)?,
        },
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .try_init()
        .map_err(|e| format!("logs: {e}"))
}

/// The hash functions a program can be asked for with `--hasher`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HasherName {
    /// SHA-1, 160-bit keys, as in the Kademlia paper.
    #[default]
    Sha1,
    /// SHA-256, 256-bit keys.
    Sha256,
    /// BLAKE3, 256-bit keys.
    Blake3,
}

/// Runs `$body` with `$hasher` bound to the hasher named by `$name`: one copy of the body per
/// hash function, since each gives the service another key type.
#[macro_export]
macro_rules! with_hasher {
    ($name:expr, |$hasher:ident| $body:expr) => {
        match $name {
            $crate::HasherName::Sha1 => {
                let $hasher = kad_runtime::hash::Sha1Hasher::new();
                $body
            }
            $crate::HasherName::Sha256 => {
                let $hasher = kad_runtime::hash::Sha256Hasher::new();
                $body
            }
            $crate::HasherName::Blake3 => {
                let $hasher = kad_runtime::hash::Blake3Hasher::new();
                $body
            }
        }
    };
}

/// Percentiles of a set of latencies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latencies {
    /// How many were measured.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
    /// Mean.
    pub mean: Duration,
}

impl Latencies {
    /// The percentiles of `samples` (sorted in place); all zero if there are none.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut samples: Vec<_> = (1..=100).map(Duration::from_micros).collect();
    /// let l = kad_examples::Latencies::of(&mut samples);
    /// assert_eq!(l.p50, Duration::from_micros(50));
    /// assert_eq!(l.p99, Duration::from_micros(99));
    /// assert_eq!(l.max, Duration::from_micros(100));
    /// ```
    pub fn of(samples: &mut [Duration]) -> Self {
        if samples.is_empty() {
            return Latencies::default();
        }
        samples.sort_unstable();
        let at = |p: usize| samples[(samples.len() * p).div_ceil(100).saturating_sub(1)];
        let total: Duration = samples.iter().sum();
        Latencies {
            count: samples.len(),
            p50: at(50),
            p90: at(90),
            p99: at(99),
            max: samples[samples.len() - 1],
            mean: total / u32::try_from(samples.len()).unwrap_or(u32::MAX),
        }
    }
}

impl fmt::Display for Latencies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {}  p90 {}  p99 {}  max {}  (mean {}, n = {})",
            Micros(self.p50),
            Micros(self.p90),
            Micros(self.p99),
            Micros(self.max),
            Micros(self.mean),
            self.count
        )
    }
}

/// A duration shown in the unit that suits it: µs below a millisecond, ms above.
#[derive(Clone, Copy, Debug)]
pub struct Micros(pub Duration);

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0.as_secs_f64() * 1e6;
        if us < 1000.0 {
            write!(f, "{us:.0} µs")
        } else {
            write!(f, "{:.2} ms", us / 1000.0)
        }
    }
}

/// A small, fast, seedable random number generator (SplitMix64), enough to pick nodes and
/// keys in the examples.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 if `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }
}

/// `bytes` in lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex string, if it is one (an even number of hex digits).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() % 2 != 0 || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}
