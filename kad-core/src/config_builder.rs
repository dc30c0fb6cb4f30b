//! [`ConfigBuilder`]: a [`Config`] built setting by setting, with the settings that derive
//! from others (re-put and republish intervals, lookup candidates) following them.

use std::time::Duration;

use crate::config::{Config, ConfigError};

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
    /// Sets [`Config::stale_after`].
    stale_after: Duration,
    /// Sets [`Config::request_timeout`].
    request_timeout: Duration,
    /// Sets [`Config::min_request_timeout`].
    min_request_timeout: Duration,
    /// Sets [`Config::lookup_retries`].
    lookup_retries: u8,
    /// Sets [`Config::disjoint_paths`].
    disjoint_paths: usize,
    /// Sets [`Config::mutable_quorum`].
    mutable_quorum: usize,
    /// Sets [`Config::rtt_deviations`].
    rtt_deviations: u32,
    /// Sets [`Config::retry_gap_percent`].
    retry_gap_percent: u32,
    /// Sets [`Config::last_retry_deviations`].
    last_retry_deviations: u32,
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
    /// Sets [`Config::max_records_per_subnet`].
    max_records_per_subnet: usize,
    /// Sets [`Config::max_response_contacts`].
    max_response_contacts: usize,
    /// Sets [`Config::max_queued_events`].
    max_queued_events: usize,
    /// Sets [`Config::bootstrap_refresh`].
    bootstrap_refresh: bool,
    /// Sets [`Config::bootstrap_refresh_fill`].
    bootstrap_refresh_fill: usize,
    /// Sets [`Config::bootstrap_attempts`].
    bootstrap_attempts: u32,
    /// Sets [`Config::bootstrap_backoff`].
    bootstrap_backoff: Duration,
    /// Sets [`Config::rebootstrap_when_empty`].
    rebootstrap_when_empty: bool,
    /// Sets [`Config::token_rotation`].
    token_rotation: Duration,
    /// Sets [`Config::verify_rate`].
    verify_rate: u32,
    /// Sets [`Config::signature_check_rate`].
    signature_check_rate: u32,
    /// Sets [`Config::max_bucket_contacts_per_subnet`].
    max_bucket_contacts_per_subnet: usize,
    /// Sets [`Config::max_table_contacts_per_subnet`].
    max_table_contacts_per_subnet: usize,
    /// Sets [`Config::source_rate`].
    source_rate: u32,
    /// Sets [`Config::source_burst`].
    source_burst: u32,
    /// Sets [`Config::max_rate_limited_sources`].
    max_rate_limited_sources: usize,
    /// Sets [`Config::exempt_local_addresses`].
    exempt_local_addresses: bool,
    /// Sets [`Config::contact_local_addresses`].
    contact_local_addresses: bool,
    /// Sets [`Config::unverified_upload_rate`].
    unverified_upload_rate: u32,
    /// Sets [`Config::response_factor`].
    response_factor: u32,
    /// Sets [`Config::pad_requests`].
    pad_requests: bool,
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
