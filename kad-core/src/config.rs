//! Protocol parameters and resource bounds of a node, with the paper's defaults.

use std::fmt;
use std::time::Duration;

/// Every tunable of a [`Node`](crate::Node): the protocol parameters and a bound on each
/// resource. Build one with [`Config::builder`] or take [`Config::default`].
///
/// ```
/// use std::time::Duration;
/// let config = kad_core::Config::builder()
///     .k(16)
///     .request_timeout(Duration::from_millis(500))
///     .build()
///     .unwrap();
/// assert_eq!(config.k, 16);
/// assert_eq!(config.alpha, 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Bucket size and number of replicas of a record (default 20).
    pub k: usize,
    /// Requests in flight per lookup (default 3).
    pub alpha: usize,
    /// How long a silent contact is trusted before it must answer a ping to stay (default 15 min).
    pub peer_timeout: Duration,
    /// How long a request may go unanswered before it counts as a failure (default 3 s).
    pub request_timeout: Duration,
    /// Lifetime of a record from its last publication (default 1 h).
    pub storage_timeout: Duration,
    /// A bucket with no lookup into it for this long is refreshed (default 1 h).
    pub refresh_interval: Duration,
    /// How often a holder re-sends its records to the k closest nodes (default 15 min).
    pub republish_interval: Duration,
    /// How often the original publisher re-puts its records with a fresh lifetime (default
    /// 30 min; must be below `storage_timeout`).
    pub reput_interval: Duration,
    /// How often periodic work (expiry, republish, refresh, liveness pings) is checked
    /// (default 10 s).
    pub maintenance_interval: Duration,
    /// How long the least-recently-seen contact of a full bucket must have been silent before a
    /// newcomer to that bucket makes the node ping it (default 60 s). A contact heard from more
    /// recently is kept without a check, and the newcomer waits in the replacement cache until
    /// a failed request or a later check frees a slot (paper, section 4.1: probes are delayed
    /// until they are useful). Zero checks on every newcomer, as in section 2.2.
    pub lru_ping_after: Duration,
    /// Consecutive failed requests after which a contact is removed (default 3).
    pub max_failures: u8,
    /// Replacement contacts kept per bucket (default 8).
    pub replacement_cache_size: usize,
    /// Requests in flight across the whole node (default 1024).
    pub max_pending_requests: usize,
    /// Commands (lookups, puts, pings) running at once (default 1024).
    pub max_queries: usize,
    /// Records held (default 65 536).
    pub max_records: usize,
    /// Largest value accepted, in bytes (default 1024).
    pub max_value_size: usize,
    /// Contacts sent in one `Nodes` response (default 20; never above `k`).
    pub max_response_contacts: usize,
    /// Candidates a lookup remembers, closest first (default 4 × k).
    pub max_lookup_candidates: usize,
    /// Routing-table events queued for [`poll_event`](crate::Node::poll_event) before the
    /// oldest are dropped (default 1024).
    pub max_queued_events: usize,
    /// Whether `bootstrap` refreshes every bucket beyond the closest neighbour after the
    /// self-lookup, as the paper does (default true).
    pub bootstrap_refresh: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            k: 20,
            alpha: 3,
            peer_timeout: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(3),
            storage_timeout: Duration::from_secs(60 * 60),
            refresh_interval: Duration::from_secs(60 * 60),
            republish_interval: Duration::from_secs(15 * 60),
            reput_interval: Duration::from_secs(30 * 60),
            maintenance_interval: Duration::from_secs(10),
            lru_ping_after: Duration::from_secs(60),
            max_failures: 3,
            replacement_cache_size: 8,
            max_pending_requests: 1024,
            max_queries: 1024,
            max_records: 65_536,
            max_value_size: 1024,
            max_response_contacts: 20,
            max_lookup_candidates: 80,
            max_queued_events: 1024,
            bootstrap_refresh: true,
        }
    }
}

impl Config {
    /// Starts a builder from the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::from(Config::default())
    }

    /// The longest duration any setting may take (about 100 years): adding it to an instant
    /// can never overflow.
    pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

    /// Checks that the values make sense together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |what: &'static str| Err(ConfigError(what));
        let durations = [
            self.peer_timeout,
            self.request_timeout,
            self.storage_timeout,
            self.refresh_interval,
            self.republish_interval,
            self.reput_interval,
            self.maintenance_interval,
        ];
        if durations
            .iter()
            .chain([&self.lru_ping_after])
            .any(|d| *d > Self::MAX_DURATION)
        {
            return fail("durations must not exceed Config::MAX_DURATION");
        }
        if durations.iter().any(Duration::is_zero) {
            return fail("durations must be positive");
        }
        if self.max_response_contacts > self.k {
            return fail("max_response_contacts must not exceed k");
        }
        if self.k == 0 {
            return fail("k must be at least 1");
        }
        if self.alpha == 0 {
            return fail("alpha must be at least 1");
        }
        if self.reput_interval >= self.storage_timeout {
            return fail("reput_interval must be shorter than storage_timeout");
        }
        if self.max_failures == 0 {
            return fail("max_failures must be at least 1");
        }
        if self.max_pending_requests < self.alpha {
            return fail("max_pending_requests must be at least alpha");
        }
        if self.max_queries == 0 || self.max_records == 0 {
            return fail("max_queries and max_records must be at least 1");
        }
        if self.max_response_contacts == 0 {
            return fail("max_response_contacts must be at least 1");
        }
        if self.max_lookup_candidates < self.k {
            return fail("max_lookup_candidates must be at least k");
        }
        Ok(())
    }
}

/// Why a [`Config`] was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(&'static str);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid config: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Builds a [`Config`]; see [`Config::builder`].
#[derive(Clone, Debug)]
pub struct ConfigBuilder {
    config: Config,
    candidates_set: bool,
    reput_set: bool,
    republish_set: bool,
}

/// A builder that starts from `config`. A derived setting (`reput_interval`,
/// `republish_interval`, `max_lookup_candidates`) that still has the value it would be derived
/// to keeps following what it derives from; one that differs counts as set explicitly.
///
/// ```
/// use std::time::Duration;
/// use kad_core::{Config, ConfigBuilder};
///
/// let config = ConfigBuilder::from(Config::default())
///     .storage_timeout(Duration::from_secs(600))
///     .build()?;
/// assert_eq!(config.reput_interval, Duration::from_secs(300));
/// # Ok::<(), kad_core::ConfigError>(())
/// ```
impl From<Config> for ConfigBuilder {
    fn from(config: Config) -> Self {
        ConfigBuilder {
            candidates_set: config.max_lookup_candidates != config.k.saturating_mul(4),
            reput_set: config.reput_interval != config.storage_timeout / 2,
            republish_set: config.republish_interval != config.storage_timeout / 4,
            config,
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        impl ConfigBuilder {
            $(
                $(#[$doc])*
                pub fn $name(mut self, value: $ty) -> Self {
                    self.config.$name = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Sets [`Config::k`]; also the default of `max_response_contacts` and
    /// `max_lookup_candidates`.
    k: usize,
    /// Sets [`Config::alpha`].
    alpha: usize,
    /// Sets [`Config::peer_timeout`].
    peer_timeout: Duration,
    /// Sets [`Config::request_timeout`].
    request_timeout: Duration,
    /// Sets [`Config::refresh_interval`].
    refresh_interval: Duration,
    /// Sets [`Config::maintenance_interval`].
    maintenance_interval: Duration,
    /// Sets [`Config::lru_ping_after`].
    lru_ping_after: Duration,
    /// Sets [`Config::max_failures`].
    max_failures: u8,
    /// Sets [`Config::replacement_cache_size`].
    replacement_cache_size: usize,
    /// Sets [`Config::max_pending_requests`].
    max_pending_requests: usize,
    /// Sets [`Config::max_queries`].
    max_queries: usize,
    /// Sets [`Config::max_records`].
    max_records: usize,
    /// Sets [`Config::max_value_size`].
    max_value_size: usize,
    /// Sets [`Config::max_response_contacts`].
    max_response_contacts: usize,
    /// Sets [`Config::max_queued_events`].
    max_queued_events: usize,
    /// Sets [`Config::bootstrap_refresh`].
    bootstrap_refresh: bool,
}

impl ConfigBuilder {
    /// Sets [`Config::storage_timeout`]. Unless set explicitly, `reput_interval` becomes half
    /// of it and `republish_interval` a quarter.
    pub fn storage_timeout(mut self, value: Duration) -> Self {
        if !self.reput_set {
            self.config.reput_interval = value / 2;
        }
        if !self.republish_set {
            self.config.republish_interval = value / 4;
        }
        self.config.storage_timeout = value;
        self
    }

    /// Sets [`Config::reput_interval`].
    pub fn reput_interval(mut self, value: Duration) -> Self {
        self.config.reput_interval = value;
        self.reput_set = true;
        self
    }

    /// Sets [`Config::republish_interval`].
    pub fn republish_interval(mut self, value: Duration) -> Self {
        self.config.republish_interval = value;
        self.republish_set = true;
        self
    }

    /// Sets [`Config::max_lookup_candidates`].
    pub fn max_lookup_candidates(mut self, value: usize) -> Self {
        self.config.max_lookup_candidates = value;
        self.candidates_set = true;
        self
    }

    /// Validates and returns the config.
    pub fn build(mut self) -> Result<Config, ConfigError> {
        if !self.candidates_set {
            self.config.max_lookup_candidates = self.config.k.saturating_mul(4);
        }
        self.config.max_response_contacts = self.config.max_response_contacts.min(self.config.k);
        self.config.validate()?;
        Ok(self.config)
    }
}
