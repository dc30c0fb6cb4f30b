//! Which kind of record the workload puts and gets: plain values, or signed mutable records
//! whose every put publishes a new version.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// The kind of record of the workload (`--records`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Records {
    /// Plain values: a get succeeds with the value that was put.
    #[default]
    Plain,
    /// Signed mutable records, one per key (one key pair, a salt per key): the preload
    /// publishes version 1, each measured put the next version, and a get succeeds only
    /// with a version at least as new as the newest whose put had finished when the get
    /// began. Every node checks every record with kad-core's `RecordRules`.
    Mutable,
}

impl fmt::Display for Records {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Records::Plain => "plain",
            Records::Mutable => "mutable",
        })
    }
}

impl Serialize for Records {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Records {
    type Err = String;

    /// Parses `plain` or `mutable`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "plain" => Ok(Records::Plain),
            "mutable" => Ok(Records::Mutable),
            _ => Err(format!("expected plain or mutable, got {s:?}")),
        }
    }
}
