//! Protocol parameters and resource bounds of a node, with the paper's defaults.

use std::fmt;
use std::time::Duration;

pub use crate::config_builder::ConfigBuilder;

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
    /// How long a silent contact is trusted before it must answer a ping to stay (default
    /// 15 min); one this node hands out in answers is asked sooner (`stale_after`).
    pub peer_timeout: Duration,
    /// How long a contact may stay silent before this node, about to hand it out in an
    /// answer, pings it first (default 2 min). Contacts in doubt (the last request to them
    /// failed, or such a ping went unanswered for the round trip expected of it) are left
    /// out of answers while at least as many others remain, and removed after
    /// `max_failures` unanswered pings: a departed contact handed out costs every lookup
    /// that passes by its retries. Under one-hour sessions, 2 000 simulated nodes had
    /// find_node's median at 1.1 s with this rule and 3.0 s without, for about a fifth more
    /// datagrams (the pings).
    pub stale_after: Duration,
    /// How long a request may go unanswered before it counts as a failure (default 3 s). A
    /// lookup stops waiting on a request earlier, after the round trip it expects of the
    /// contact (see `min_request_timeout`), but uses its late answer until then.
    pub request_timeout: Duration,
    /// The least time a lookup waits on a request before it asks again or moves on (default
    /// 250 ms). It waits the round trip measured for the contact, or for the network when
    /// the contact has none, smoothed and widened by `rtt_deviations` times its variation
    /// (RFC 6298), between this and `request_timeout`; until a round trip is measured,
    /// `request_timeout`.
    pub min_request_timeout: Duration,
    /// How many times its measured variation a request's soft timeout adds to the smoothed
    /// round trip (default 1), at most [`Config::MAX_RTT_DEVIATIONS`]. RFC 6298 has 4 for
    /// TCP, where a needless resend is costly; a lookup's is one small datagram, while every
    /// lost one makes the lookup wait the soft timeout. 10 000 simulated nodes under one-hour
    /// sessions and 5 % loss had find_node's median at 1.56 s with 1 and 1.75 s with 2 (0.97 s
    /// without loss or churn), puts' at 1.93 and 2.12 s (1.34 to 1.38 s); without loss, 1
    /// costs a sixth more find_node messages than 2 (58 against 50), and latency is the same.
    pub rtt_deviations: u32,
    /// How long a lookup waits on a request it sent again before it sends the next, for every
    /// retry but the last, as a percentage of the soft timeout (default 35, from 1 to 100).
    /// The retries guard against lost datagrams, not a slow contact (whose first request
    /// may still be answered), so they need not be a round trip apart; what the lookup
    /// waits on a silent contact is then mostly the last retry's wait (see
    /// `last_retry_deviations`). 10 000 simulated nodes under one-hour sessions and 5 %
    /// loss had find_node's median at 1.38 s with 35 % against 1.51 s with 100 %; without
    /// loss or churn, 0.97 s either way, for 3 % more messages on average (far contacts
    /// asked a third time before their first answer arrived).
    pub retry_gap_percent: u32,
    /// How many times its measured variation the soft timeout of a lookup's last retry adds
    /// to the smoothed round trip (default 2, at most [`Config::MAX_RTT_DEVIATIONS`]): after
    /// it the contact is passed over, so it waits for a far contact's answer rather than
    /// give up on a live one, which would leave the lookup short of the exact k closest.
    /// With retries a whole soft timeout apart, the simulation above found the exact k
    /// closest in 96.8 % of find_nodes with 2 and 95.1 % with 1 (1.51 s against 1.47 s).
    pub last_retry_deviations: u32,
    /// How many times a lookup asks a candidate again (and a put sends a STORE again) when a
    /// request is not answered within its expected round trip, before it moves on (default
    /// 2: under 5 % loss and one-hour sessions, one retry left a fifth of simulated
    /// find_nodes short of the exact k closest, two left 3 %).
    pub lookup_retries: u8,
    /// Disjoint paths a lookup runs over (default 1, at most
    /// [`Config::MAX_DISJOINT_PATHS`]; S/Kademlia's d). The routing table's closest contacts
    /// are dealt out to the paths, no contact serves two paths, and each path must end on
    /// its own: a lookup costs about d times the messages of a single path. In exchange,
    /// adversaries must sit on every path to hide the k closest nodes, and a get returns
    /// the value most paths found, and only one that two paths found at least (a value no
    /// second path confirmed is neither returned nor cached): colluding liars win only
    /// where they hold more paths than honest nodes. With d = 2 a liar on either path fails
    /// the get: use 4 or more. Needs a network of more than d × k nodes for gets to find
    /// confirmations.
    pub disjoint_paths: usize,
    /// How many answers carrying the newest version of a mutable record end a mutable get
    /// early (default 20; a get also ends once the k closest nodes have all answered, so
    /// any value of k or more waits for them all). Fewer ends gets sooner, at a greater
    /// risk of missing a newer version that only some of the closest hold: nodes that
    /// answer fast with an older (validly signed) version can then make up the quorum
    /// before a holder of the newest answers.
    pub mutable_quorum: usize,
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
    /// Records that STOREs from one IPv4 /24 or IPv6 /64 may have this node hold at once
    /// (default 4096, a sixteenth of `max_records`): one network, which can get write tokens
    /// for its own addresses, cannot fill the store. Local addresses are exempt while
    /// `exempt_local_addresses` holds.
    pub max_records_per_subnet: usize,
    /// Contacts sent in one `Nodes` response (default 20; never above `k`).
    pub max_response_contacts: usize,
    /// Candidates a lookup remembers, closest first (default 4 × k).
    pub max_lookup_candidates: usize,
    /// Routing-table events queued for [`poll_event`](crate::Node::poll_event) before the
    /// oldest are dropped (default 1024).
    pub max_queued_events: usize,
    /// Whether `bootstrap` fills the buckets farther than its k closest after the
    /// self-lookup (default true), each until it holds `bootstrap_refresh_fill` contacts, as
    /// the paper's bucket refresh does: with the contacts the self-lookup's answers named in
    /// that bucket, pinged, and with a lookup into the bucket if they were too few.
    pub bootstrap_refresh: bool,
    /// How many contacts a join fills each far bucket to (default 6). Nodes that contact this
    /// one, and its own lookups, fill the rest later. In kad-sim at 10 000 nodes, 6 gives the
    /// lookup hops that refreshing each bucket with a lookup gave; 4 saves 17 % of a run's
    /// messages for 2 % more hops, 8 costs 17 % more for 3 % fewer.
    pub bootstrap_refresh_fill: usize,
    /// How many times a bootstrap that reached nobody is tried in all, first attempt included
    /// (default 8). A bootstrap reaches nobody when no seed or contact answered it: each retry
    /// asks every seed given again, and every contact learned since.
    pub bootstrap_attempts: u32,
    /// The wait before the second retry of a bootstrap that reached nobody (the first comes at
    /// once, a lost datagram being the usual cause); it doubles with each retry after that,
    /// up to [`Config::MAX_BOOTSTRAP_BACKOFF_DOUBLINGS`] times (default 1 s). Zero retries
    /// at once every time.
    pub bootstrap_backoff: Duration,
    /// Whether a node whose routing table became empty bootstraps again through the seeds of
    /// its last bootstrap (default true). Such a bootstrap reports no event.
    pub rebootstrap_when_empty: bool,
    /// How often the secret behind write tokens is replaced (default 5 min). A STORE must carry
    /// a token this node gave the sender's IP under the current or the previous secret, so a
    /// token is good for one to two rotations.
    pub token_rotation: Duration,
    /// Verification pings per second, at most, to unknown nodes that sent this node a request
    /// (default 50, in bursts of as many). A sender enters the routing table only after it
    /// answered a request of ours from its address; these pings are how a node that only
    /// receives learns of its neighbours. A stranger that must wait is cached as a
    /// replacement and verified at a later maintenance round. Zero learns contacts from
    /// answers alone.
    pub verify_rate: u32,
    /// Signed records per second a node checks for STOREs from senders not in its routing
    /// table (default 500, about 3 % of a core: a check takes about 53 µs); the rest are
    /// refused unchecked (`stores_check_limited`), so that strangers who pass the write-token
    /// check cannot make a node spend its time on signatures. Zero checks none of theirs.
    pub signature_check_rate: u32,
    /// Contacts in one bucket from one IPv4 /24 or IPv6 /64, at most (default 2).
    pub max_bucket_contacts_per_subnet: usize,
    /// Contacts in the whole routing table from one IPv4 /24 or IPv6 /64, at most (default 10).
    pub max_table_contacts_per_subnet: usize,
    /// Datagrams per second that one source (an IPv4 address, an IPv6 /64) may send before
    /// [`Node::admit`](crate::Node::admit) turns the rest away (default 20).
    pub source_rate: u32,
    /// Datagrams a source may send at once before its rate applies (default 50).
    pub source_burst: u32,
    /// Sources whose rate is tracked at once (default 65 536); beyond it, sources still being
    /// limited are kept and new ones share one more allowance of `source_rate` and
    /// `source_burst` among them.
    pub max_rate_limited_sources: usize,
    /// Whether loopback, private and link-local addresses are exempt from the per-source rate
    /// limit and the subnet limits (default true), so that a local cluster of many nodes on
    /// one host or network runs unhindered. Set it to false to apply the limits everywhere.
    pub exempt_local_addresses: bool,
    /// Whether this node talks to loopback, private and link-local addresses beyond those
    /// the caller gives it (default false): whether it contacts such addresses that other
    /// nodes tell of, and answers requests that come from them. A node on such a network
    /// needs it true, and kad-runtime sets it so when it listens on a local address; off, a
    /// forged source address cannot make a node on the internet send into its own network.
    /// A bootstrap through a seed at a local address turns it on: a node told to join through
    /// its local network is on one (a node on `0.0.0.0` inside a LAN needs nothing more).
    /// Seeds and pings the caller gives are never filtered; unroutable addresses
    /// (unspecified, multicast, broadcast, port 0) are never contacted at all.
    pub contact_local_addresses: bool,
    /// Bytes per second of answers to nodes not in the routing table, all of them together
    /// (default 256 KiB, in bursts of as much), counted with
    /// [`encoded_len_estimate`](crate::encoded_len_estimate). Past it, such a node gets a
    /// `Nodes` answer without contacts (still with its write token), so that a flood from
    /// many forged addresses cannot make the node send more than this.
    pub unverified_upload_rate: u32,
    /// How many times the size of a request its answer may take (default 3, as QUIC allows
    /// toward an address it has not validated): a `Nodes` answer keeps the closest contacts
    /// that fit, a value that does not fit is not sent (the answer is then `Nodes`). This
    /// holds for requests from contacts in the routing table too, since a request that names
    /// a known contact may still carry a forged source address: the answer would go to that
    /// contact. Local addresses are exempt while
    /// [`exempt_local_addresses`](Self::exempt_local_addresses) holds. Requests are padded
    /// so that full answers fit (see [`pad_requests`](Self::pad_requests)).
    pub response_factor: u32,
    /// Whether this node pads its `FIND_NODE` and `FIND_VALUE` requests (default true) so
    /// that a node can answer them in full within `response_factor` times the request: a
    /// `FIND_NODE` to the size of
    /// `max_response_contacts` contacts at an address like the receiver's, a `FIND_VALUE`
    /// also to that of a value of `max_value_size` bytes, both divided by the factor.
    /// Padding costs about a fifth more bytes per lookup; without it, answers are cut, and
    /// lookups end far from exact. Requests to local
    /// addresses are not padded while `exempt_local_addresses` holds.
    pub pad_requests: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            k: 20,
            alpha: 3,
            peer_timeout: Duration::from_secs(15 * 60),
            stale_after: Duration::from_secs(2 * 60),
            request_timeout: Duration::from_secs(3),
            min_request_timeout: Duration::from_millis(250),
            rtt_deviations: 1,
            retry_gap_percent: 35,
            last_retry_deviations: 2,
            lookup_retries: 2,
            disjoint_paths: 1,
            mutable_quorum: 20,
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
            max_records_per_subnet: 4096,
            max_response_contacts: 20,
            max_lookup_candidates: 80,
            max_queued_events: 1024,
            bootstrap_refresh: true,
            bootstrap_refresh_fill: 6,
            bootstrap_attempts: 8,
            bootstrap_backoff: Duration::from_secs(1),
            rebootstrap_when_empty: true,
            token_rotation: Duration::from_secs(5 * 60),
            verify_rate: 50,
            signature_check_rate: 500,
            max_bucket_contacts_per_subnet: 2,
            max_table_contacts_per_subnet: 10,
            source_rate: 20,
            source_burst: 50,
            max_rate_limited_sources: 65_536,
            exempt_local_addresses: true,
            contact_local_addresses: false,
            unverified_upload_rate: 256 * 1024,
            response_factor: 3,
            pad_requests: true,
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

    /// How many times the wait between bootstrap attempts doubles at most: the longest wait
    /// is `bootstrap_backoff` × 2⁶.
    pub const MAX_BOOTSTRAP_BACKOFF_DOUBLINGS: u32 = 6;

    /// The most deviations [`rtt_deviations`](Config::rtt_deviations) and
    /// [`last_retry_deviations`](Config::last_retry_deviations) may add.
    pub const MAX_RTT_DEVIATIONS: u32 = 16;

    /// The most disjoint paths a lookup may run over.
    pub const MAX_DISJOINT_PATHS: usize = 16;

    /// The most times [`lookup_retries`](Config::lookup_retries) may ask a node again.
    pub const MAX_LOOKUP_RETRIES: u8 = 16;

    /// The most seeds a bootstrap remembers to ask again when it retries; further seeds are
    /// asked once.
    pub const MAX_BOOTSTRAP_SEEDS: usize = 64;

    /// Checks that the values make sense together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let durations = [
            ("peer_timeout", self.peer_timeout),
            ("stale_after", self.stale_after),
            ("request_timeout", self.request_timeout),
            ("storage_timeout", self.storage_timeout),
            ("refresh_interval", self.refresh_interval),
            ("republish_interval", self.republish_interval),
            ("reput_interval", self.reput_interval),
            ("maintenance_interval", self.maintenance_interval),
            ("token_rotation", self.token_rotation),
        ];
        let may_be_zero = [
            ("min_request_timeout", self.min_request_timeout),
            ("lru_ping_after", self.lru_ping_after),
            ("bootstrap_backoff", self.bootstrap_backoff),
        ];
        if let Some((setting, _)) = durations
            .iter()
            .chain(&may_be_zero)
            .find(|(_, d)| *d > Self::MAX_DURATION)
        {
            return Err(ConfigError::DurationTooLong { setting });
        }
        if let Some((setting, _)) = durations.iter().find(|(_, d)| d.is_zero()) {
            return Err(ConfigError::ZeroDuration { setting });
        }
        let counts = [
            ("k", self.k),
            ("alpha", self.alpha),
            ("max_failures", usize::from(self.max_failures)),
            ("max_queries", self.max_queries),
            ("max_records", self.max_records),
            ("max_records_per_subnet", self.max_records_per_subnet),
            ("max_response_contacts", self.max_response_contacts),
            ("bootstrap_attempts", self.bootstrap_attempts as usize),
            ("bootstrap_refresh_fill", self.bootstrap_refresh_fill),
            ("disjoint_paths", self.disjoint_paths),
            ("mutable_quorum", self.mutable_quorum),
            (
                "max_bucket_contacts_per_subnet",
                self.max_bucket_contacts_per_subnet,
            ),
            (
                "max_table_contacts_per_subnet",
                self.max_table_contacts_per_subnet,
            ),
            ("source_rate", self.source_rate as usize),
            ("source_burst", self.source_burst as usize),
            ("max_rate_limited_sources", self.max_rate_limited_sources),
            ("response_factor", self.response_factor as usize),
            ("retry_gap_percent", self.retry_gap_percent as usize),
        ];
        if let Some((setting, _)) = counts.iter().find(|(_, n)| *n == 0) {
            return Err(ConfigError::Zero { setting });
        }
        if self.max_response_contacts > self.k {
            return Err(ConfigError::ResponseContactsAboveK);
        }
        if self.reput_interval >= self.storage_timeout {
            return Err(ConfigError::ReputNotBeforeExpiry);
        }
        if self.max_pending_requests < self.alpha {
            return Err(ConfigError::PendingBelowAlpha);
        }
        if self.max_lookup_candidates < self.k {
            return Err(ConfigError::CandidatesBelowK);
        }
        if self.lookup_retries > Self::MAX_LOOKUP_RETRIES {
            return Err(ConfigError::TooManyRetries);
        }
        if self.rtt_deviations.max(self.last_retry_deviations) > Self::MAX_RTT_DEVIATIONS {
            return Err(ConfigError::TooManyDeviations);
        }
        if self.disjoint_paths > Self::MAX_DISJOINT_PATHS {
            return Err(ConfigError::TooManyPaths);
        }
        if self.retry_gap_percent > 100 {
            return Err(ConfigError::RetryGapAbove100);
        }
        Ok(())
    }
}

/// Why a [`Config`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A duration is longer than [`Config::MAX_DURATION`].
    DurationTooLong {
        /// The field's name.
        setting: &'static str,
    },
    /// A duration that must be positive is zero.
    ZeroDuration {
        /// The field's name.
        setting: &'static str,
    },
    /// A count that must be at least 1 is zero.
    Zero {
        /// The field's name.
        setting: &'static str,
    },
    /// `max_response_contacts` is above `k`.
    ResponseContactsAboveK,
    /// `reput_interval` is not shorter than `storage_timeout`: records would expire before
    /// their publisher renews them.
    ReputNotBeforeExpiry,
    /// `max_pending_requests` is below `alpha`: a lookup could never have alpha requests in
    /// flight.
    PendingBelowAlpha,
    /// `max_lookup_candidates` is below `k`: a lookup could not hold the k closest.
    CandidatesBelowK,
    /// `lookup_retries` is above [`Config::MAX_LOOKUP_RETRIES`].
    TooManyRetries,
    /// `rtt_deviations` or `last_retry_deviations` is above [`Config::MAX_RTT_DEVIATIONS`].
    TooManyDeviations,
    /// `disjoint_paths` is above [`Config::MAX_DISJOINT_PATHS`].
    TooManyPaths,
    /// `retry_gap_percent` is above 100: a retry would wait longer than a first request.
    RetryGapAbove100,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid config: ")?;
        match self {
            ConfigError::DurationTooLong { setting } => {
                write!(f, "{setting} must not exceed Config::MAX_DURATION")
            }
            ConfigError::ZeroDuration { setting } => write!(f, "{setting} must be positive"),
            ConfigError::Zero { setting } => write!(f, "{setting} must be at least 1"),
            ConfigError::ResponseContactsAboveK => {
                f.write_str("max_response_contacts must not exceed k")
            }
            ConfigError::ReputNotBeforeExpiry => {
                f.write_str("reput_interval must be shorter than storage_timeout")
            }
            ConfigError::PendingBelowAlpha => {
                f.write_str("max_pending_requests must be at least alpha")
            }
            ConfigError::TooManyDeviations => write!(
                f,
                "rtt_deviations and last_retry_deviations must not exceed {}",
                Config::MAX_RTT_DEVIATIONS
            ),
            ConfigError::TooManyRetries => write!(
                f,
                "lookup_retries must not exceed {}",
                Config::MAX_LOOKUP_RETRIES
            ),
            ConfigError::CandidatesBelowK => {
                f.write_str("max_lookup_candidates must be at least k")
            }
            ConfigError::TooManyPaths => write!(
                f,
                "disjoint_paths must not exceed {}",
                Config::MAX_DISJOINT_PATHS
            ),
            ConfigError::RetryGapAbove100 => f.write_str("retry_gap_percent must not exceed 100"),
        }
    }
}

impl std::error::Error for ConfigError {}
