//! The settings of a node: from the command line, from a TOML file (`--config`), or both,
//! the command line winning.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kad_examples::{unhex, HasherName};
use kad_runtime::Multiaddr;
use serde::Deserialize;

/// The settings shared by `kad-node run` and `kad-node repl`. In a config file the same
/// names are used (`request-timeout-ms = 3000`); each flag given on the command line wins
/// over the file.
#[derive(Clone, Debug, Default, Deserialize, clap::Args)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Address to listen at, `ip:port` or `[ip6]:port`; repeat for IPv4 and IPv6
    /// [default: 127.0.0.1:0].
    #[arg(long)]
    pub listen: Vec<String>,
    /// Multiaddrs of nodes to join through, e.g. /ip4/127.0.0.1/udp/4000.
    #[arg(long, num_args = 1..)]
    pub bootstrap: Vec<String>,
    /// Hash function, and so key size, of the network [default: sha1].
    #[arg(long, value_enum)]
    pub hasher: Option<HasherName>,
    /// Bucket size and copies of each value [default: 20].
    #[arg(long)]
    pub k: Option<usize>,
    /// Requests in flight per lookup [default: 3].
    #[arg(long)]
    pub alpha: Option<usize>,
    /// Request timeout, in milliseconds [default: 3000].
    #[arg(long)]
    pub request_timeout_ms: Option<u64>,
    /// How long a query waits for its answer, in milliseconds [default: four request
    /// timeouts].
    #[arg(long)]
    pub query_timeout_ms: Option<u64>,
    /// Directory that keeps this node's id and records across restarts (created if need
    /// be); without it nothing is kept.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// How often records are written to the data directory, in milliseconds (a put is
    /// answered only once its record is written) [default: 1000].
    #[arg(long)]
    pub flush_interval_ms: Option<u64>,
    /// Serve Prometheus metrics at `http://ADDR/metrics`, e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Log filter, as RUST_LOG takes it (`info`, `kad_runtime=debug`, ...). The flag wins
    /// over RUST_LOG, which wins over the config file [default: info for `run`, warn for
    /// `repl`].
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,
    /// The secret key (64 hex digits) this node signs mutable records with; a new key pair
    /// when not given (`key` in the repl shows it, to reuse it next time).
    #[arg(long)]
    pub secret_key: Option<String>,
    /// Lose this fraction (0 to 1) of the datagrams sent, to try the node on a bad network.
    #[arg(long, value_name = "FRACTION")]
    pub loss: Option<f64>,
}

/// Settings checked and completed with the defaults.
#[derive(Clone, Debug)]
pub struct Checked {
    pub listen: Vec<String>,
    pub bootstrap: Vec<Multiaddr>,
    pub hasher: HasherName,
    pub k: usize,
    pub alpha: usize,
    pub request_timeout: Duration,
    pub query_timeout: Option<Duration>,
    pub data_dir: Option<PathBuf>,
    pub flush_interval: Option<Duration>,
    pub metrics: Option<SocketAddr>,
    pub log: Option<String>,
    pub secret_key: Option<[u8; 32]>,
    pub loss: f64,
}

impl Settings {
    /// The settings of the file at `path`.
    pub fn from_file(path: &Path) -> Result<Settings, String> {
        let text = fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// These settings, with those of `file` where these have none.
    pub fn or(self, file: Settings) -> Settings {
        let list = |mine: Vec<String>, theirs: Vec<String>| {
            if mine.is_empty() {
                theirs
            } else {
                mine
            }
        };
        Settings {
            listen: list(self.listen, file.listen),
            bootstrap: list(self.bootstrap, file.bootstrap),
            hasher: self.hasher.or(file.hasher),
            k: self.k.or(file.k),
            alpha: self.alpha.or(file.alpha),
            request_timeout_ms: self.request_timeout_ms.or(file.request_timeout_ms),
            query_timeout_ms: self.query_timeout_ms.or(file.query_timeout_ms),
            data_dir: self.data_dir.or(file.data_dir),
            flush_interval_ms: self.flush_interval_ms.or(file.flush_interval_ms),
            metrics: self.metrics.or(file.metrics),
            log: self.log.or(file.log),
            secret_key: self.secret_key.or(file.secret_key),
            loss: self.loss.or(file.loss),
        }
    }

    /// Checks the settings and fills in the defaults.
    pub fn check(self) -> Result<Checked, String> {
        let bootstrap = self
            .bootstrap
            .iter()
            .map(|addr| {
                addr.parse::<Multiaddr>()
                    .map_err(|error| format!("bootstrap {addr:?} is not a multiaddr: {error}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let secret_key = match &self.secret_key {
            Some(hex) => Some(
                unhex(hex)
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .ok_or("secret-key: expected 64 hex digits")?,
            ),
            None => None,
        };
        for listen in &self.listen {
            listen.parse::<SocketAddr>().map_err(|_| {
                format!("listen {listen:?} is not an address (ip:port or [ip6]:port)")
            })?;
        }
        let loss = self.loss.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&loss) {
            return Err(format!("loss {loss} is not a fraction between 0 and 1"));
        }
        let millis = |name: &str, ms: u64| {
            if ms == 0 {
                Err(format!("{name} must be above 0 ms"))
            } else {
                Ok(Duration::from_millis(ms))
            }
        };
        Ok(Checked {
            listen: if self.listen.is_empty() {
                vec!["127.0.0.1:0".to_string()]
            } else {
                self.listen
            },
            bootstrap,
            hasher: self.hasher.unwrap_or_default(),
            k: self.k.unwrap_or(20),
            alpha: self.alpha.unwrap_or(3),
            request_timeout: millis(
                "request-timeout-ms",
                self.request_timeout_ms.unwrap_or(3000),
            )?,
            query_timeout: self
                .query_timeout_ms
                .map(|ms| millis("query-timeout-ms", ms))
                .transpose()?,
            data_dir: self.data_dir,
            flush_interval: self
                .flush_interval_ms
                .map(|ms| millis("flush-interval-ms", ms))
                .transpose()?,
            metrics: self.metrics,
            log: self.log,
            secret_key,
            loss,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_wins_over_the_file() {
        let file: Settings = toml::from_str(
            "listen = [\"0.0.0.0:4000\"]\nk = 8\nalpha = 2\nhasher = \"blake3\"\nloss = 0.1\n",
        )
        .unwrap();
        let flags = Settings {
            k: Some(16),
            ..Settings::default()
        };
        let checked = flags.or(file).check().unwrap();
        assert_eq!(checked.k, 16);
        assert_eq!(checked.alpha, 2);
        assert_eq!(checked.hasher, HasherName::Blake3);
        assert_eq!(checked.listen, ["0.0.0.0:4000"]);
        assert_eq!(checked.loss, 0.1);
        assert_eq!(checked.request_timeout, Duration::from_secs(3));
    }

    #[test]
    fn unknown_names_and_bad_values_are_refused() {
        assert!(toml::from_str::<Settings>("kay = 8").is_err());
        let bad = |settings: Settings| settings.check().unwrap_err();
        let settings = |f: fn(&mut Settings)| {
            let mut s = Settings::default();
            f(&mut s);
            s
        };
        assert!(bad(settings(|s| s.loss = Some(1.5))).contains("loss"));
        assert!(bad(settings(|s| s.bootstrap = vec!["nowhere".into()])).contains("multiaddr"));
        assert!(bad(settings(|s| s.secret_key = Some("ab".into()))).contains("hex"));
        assert!(bad(settings(|s| s.request_timeout_ms = Some(0))).contains("above 0"));
        assert!(bad(settings(|s| s.listen = vec!["localhost".into()])).contains("listen"));
    }
}
