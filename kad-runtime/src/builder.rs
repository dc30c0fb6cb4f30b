//! [`Builder`]: every setting of a [`DHTService`], for when the six arguments of
//! [`DHTService::new`] are not enough.

use std::path::PathBuf;
use std::time::Duration;

use kad_core::{Config, ConfigBuilder, ConfigError, Hasher};
use kad_proto::{MAX_CONTACTS_PER_RESPONSE, MAX_VALUE_SIZE};

use crate::error::Error;
use crate::reactor::Reactor;
use crate::service::DHTService;

/// Inbound messages that may wait for the reactor thread before new ones are dropped
/// (default of [`Builder::inbound_queue`]).
pub const DEFAULT_INBOUND_QUEUE: usize = 4096;

/// The longest a record stored for another node waits to be written to the data directory,
/// by default (see [`Builder::flush_interval`]).
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// How many request timeouts a [`query`](DHTService::query) waits, by default, before it
/// gives up.
pub const DEFAULT_QUERY_TIMEOUT_FACTOR: u32 = 4;

/// Builds a [`DHTService`] with settings beyond those of [`DHTService::new`].
///
/// ```
/// use std::time::Duration;
/// use kad_runtime::{DHTService, UdpGateway};
/// use kad_runtime::hash::Blake3Hasher;
///
/// let mut service = DHTService::builder()
///     .hasher(Blake3Hasher::new())
///     .k(16)
///     .request_timeout(Duration::from_millis(500))
///     .query_timeout(Duration::from_secs(2))
///     .seed(42)
///     .build()?;
/// service.register_gateway(UdpGateway::new("127.0.0.1:0"));
/// service.start()?;
/// assert_eq!(service.local_addrs().len(), 1);
/// # Ok::<(), kad_runtime::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder<H> {
    hasher: H,
    /// The kad-core settings, which derive from one another as in kad-core.
    config: ConfigBuilder,
    query_timeout: Option<Duration>,
    inbound_queue: usize,
    seed: Option<u64>,
    reactor: Option<Reactor>,
    contact_local_addresses: Option<bool>,
    data_dir: Option<PathBuf>,
    flush_interval: Duration,
}

/// Settings of a service besides its hasher and gateways.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) config: Result<Config, ConfigError>,
    pub(crate) query_timeout: Duration,
    pub(crate) inbound_queue: usize,
    pub(crate) seed: Option<u64>,
    pub(crate) reactor: Option<Reactor>,
    /// `None`: on when a gateway listens at a local address.
    pub(crate) contact_local_addresses: Option<bool>,
    /// Where the node's id and records are kept, if anywhere.
    pub(crate) data_dir: Option<PathBuf>,
    /// How long a record stored for another node may wait to be written to the data
    /// directory.
    pub(crate) flush_interval: Duration,
}

impl<H: Hasher> Builder<H> {
    /// A builder with kad-core's defaults (k = 20, alpha = 3, 3 s request timeout, 15 min
    /// peer timeout, 1 h storage timeout) and hasher `hasher`.
    pub fn new(hasher: H) -> Self {
        Builder {
            hasher,
            config: Config::builder(),
            query_timeout: None,
            inbound_queue: DEFAULT_INBOUND_QUEUE,
            seed: None,
            reactor: None,
            contact_local_addresses: None,
            data_dir: None,
            flush_interval: DEFAULT_FLUSH_INTERVAL,
        }
    }

    /// Uses another hash function, and so another key size; the other settings are kept.
    pub fn hasher<H2: Hasher>(self, hasher: H2) -> Builder<H2> {
        Builder {
            hasher,
            config: self.config,
            query_timeout: self.query_timeout,
            inbound_queue: self.inbound_queue,
            seed: self.seed,
            reactor: self.reactor,
            contact_local_addresses: self.contact_local_addresses,
            data_dir: self.data_dir,
            flush_interval: self.flush_interval,
        }
    }

    /// Bucket size and number of replicas per record (default 20).
    pub fn k(mut self, k: usize) -> Self {
        self.config = self.config.k(k);
        self
    }

    /// Requests in flight per lookup (default 3).
    pub fn alpha(mut self, alpha: usize) -> Self {
        self.config = self.config.alpha(alpha);
        self
    }

    /// How long a silent contact is trusted before it must answer a ping (default 15 min).
    pub fn peer_timeout(mut self, timeout: Duration) -> Self {
        self.config = self.config.peer_timeout(timeout);
        self
    }

    /// How long one request may go unanswered (default 3 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config = self.config.request_timeout(timeout);
        self
    }

    /// Lifetime of a record (default 1 h); the publisher re-puts it at half of it and holders
    /// republish it at a quarter of it.
    pub fn storage_timeout(mut self, timeout: Duration) -> Self {
        self.config = self.config.storage_timeout(timeout);
        self
    }

    /// How often the node checks for expired records, republication, stale buckets and
    /// silent contacts (default 10 s). An idle service wakes this often and no more.
    pub fn maintenance_interval(mut self, interval: Duration) -> Self {
        self.config = self.config.maintenance_interval(interval);
        self
    }

    /// Disjoint paths each lookup runs over (default 1; see
    /// [`Config::disjoint_paths`](kad_core::Config::disjoint_paths)): more paths cost about
    /// that many times the messages, and make a get return the value most paths found (and
    /// only one that two paths found at least).
    pub fn disjoint_paths(mut self, paths: usize) -> Self {
        self.config = self.config.disjoint_paths(paths);
        self
    }

    /// Records held at most (default 65 536).
    pub fn max_records(mut self, max: usize) -> Self {
        self.config = self.config.max_records(max);
        self
    }

    /// How many times a bootstrap that reached nobody is tried in all (default 8), the wait
    /// between attempts doubling from [`bootstrap_backoff`](Self::bootstrap_backoff).
    pub fn bootstrap_attempts(mut self, attempts: u32) -> Self {
        self.config = self.config.bootstrap_attempts(attempts);
        self
    }

    /// The wait before a bootstrap that reached nobody is first tried again (default 1 s;
    /// zero tries again as soon as the request times out).
    pub fn bootstrap_backoff(mut self, backoff: Duration) -> Self {
        self.config = self.config.bootstrap_backoff(backoff);
        self
    }

    /// Whether loopback, private and link-local addresses are exempt from the per-source
    /// rate limit and the routing table's subnet limits (default true, so that a local
    /// cluster runs unhindered); false applies the limits everywhere, as a test of them on
    /// 127.0.0.0/8 wants. See kad-core's `Config::exempt_local_addresses`.
    pub fn exempt_local_addresses(mut self, exempt: bool) -> Self {
        self.config = self.config.exempt_local_addresses(exempt);
        self
    }

    /// Whether contacts at loopback, private or link-local addresses that other nodes tell
    /// of are contacted. By default they are when one of the service's gateways listens at
    /// such an address itself (a local cluster, a LAN), and not otherwise: a node on the
    /// internet is not made to probe the network it sits in. A node that listens on an
    /// unspecified address (`0.0.0.0`) turns it on when it connects through a seed at a
    /// local address, or sets this to true.
    pub fn contact_local_addresses(mut self, contact: bool) -> Self {
        self.contact_local_addresses = Some(contact);
        self
    }

    /// Starts over from this kad-core configuration instead of the defaults, replacing the
    /// kad-core settings made so far: call it before them. The settings above then apply on
    /// top of it and derive as they do from the defaults (a shorter storage timeout shortens
    /// the re-put interval, say, unless `config` set that one explicitly). Its
    /// `max_value_size` and `max_response_contacts` are capped to what one datagram carries.
    pub fn config(mut self, config: Config) -> Self {
        self.config = ConfigBuilder::from(config);
        self
    }

    /// How long [`query`](DHTService::query) waits for a value before it returns `None`
    /// (default four request timeouts).
    pub fn query_timeout(mut self, timeout: Duration) -> Self {
        self.query_timeout = Some(timeout);
        self
    }

    /// Messages from the gateways that may wait for the reactor thread; more are dropped
    /// and counted (default [`DEFAULT_INBOUND_QUEUE`]).
    pub fn inbound_queue(mut self, capacity: usize) -> Self {
        self.inbound_queue = capacity.max(1);
        self
    }

    /// Seeds the node's randomness (its id, transaction ids, write-token secrets, refresh
    /// targets), for reproducible runs in tests. Whoever knows or guesses the seed can
    /// predict the node's transaction ids and forge its write tokens: never set it on a node
    /// that faces the internet. By default the id and a secret apart from it come from the
    /// operating system's generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Runs the service on `reactor`, shared with other services, instead of on a thread of
    /// its own.
    pub fn reactor(mut self, reactor: &Reactor) -> Self {
        self.reactor = Some(reactor.clone());
        self
    }

    /// The kad-core configuration the service will run with.
    pub fn build_config(&self) -> Result<Config, ConfigError> {
        let mut config = self.config.clone().build()?;
        config.max_value_size = config.max_value_size.min(MAX_VALUE_SIZE);
        config.max_response_contacts = config
            .max_response_contacts
            .min(MAX_CONTACTS_PER_RESPONSE)
            .min(config.k.max(1));
        config.validate()?;
        Ok(config)
    }

    pub(crate) fn settings(&self) -> Settings {
        let config = self.build_config();
        let query_timeout = self.query_timeout.unwrap_or_else(|| {
            let request = config
                .as_ref()
                .map(|c| c.request_timeout)
                .unwrap_or_else(|_| Config::default().request_timeout);
            request * DEFAULT_QUERY_TIMEOUT_FACTOR
        });
        Settings {
            config,
            query_timeout,
            inbound_queue: self.inbound_queue,
            seed: self.seed,
            reactor: self.reactor.clone(),
            contact_local_addresses: self.contact_local_addresses,
            data_dir: self.data_dir.clone(),
            flush_interval: self
                .flush_interval
                .clamp(Duration::from_millis(10), Duration::from_secs(3600)),
        }
    }

    /// Keeps the node's id and its records in `dir` (created if need be), one redb database
    /// file, so that a restarted service comes back with the same id and serves at once
    /// every record that has not expired meanwhile (re-putting its own). Without it, as by
    /// default, nothing is kept.
    ///
    /// What is durable when: a [`save`](DHTService::save) (or another put) whose
    /// [`wait`](crate::SaveHandle::wait) returned `Ok` is on disk before it returned;
    /// records stored for other nodes are written in batches, at most
    /// [`flush_interval`](Self::flush_interval) after they arrived, so a crash loses at
    /// most that much of them (their publishers republish them). A second service or
    /// process opening the same directory gets [`Error::Storage`], as does a directory
    /// written by a newer version, which is left untouched.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The longest a record stored for another node waits to be written to the data
    /// directory (default [`DEFAULT_FLUSH_INTERVAL`], 1 s; held between 10 ms and an hour):
    /// writes are grouped, so that a busy node does not write to disk for every datagram.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// Builds the service, not started yet; fails if the settings do not fit together.
    pub fn build(self) -> Result<DHTService<H>, Error> {
        let settings = self.settings();
        if let Err(error) = &settings.config {
            return Err(Error::Config(*error));
        }
        Ok(DHTService::with_settings(self.hasher, settings))
    }

    /// Builds the service and leaves any error in the settings for
    /// [`start`](DHTService::start) to report.
    pub(crate) fn build_unchecked(self) -> DHTService<H> {
        let settings = self.settings();
        DHTService::with_settings(self.hasher, settings)
    }
}
