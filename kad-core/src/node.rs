//! The node: the sans-IO state machine's input and output surface. What happens inside lives
//! in files of its own: `rpc` (requests and responses), `query_pool` (running queries),
//! `finish` (how each query ends), `bootstrap`, `membership` (the routing table's changes),
//! `replication` and `maintenance`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use rand::rngs::{SmallRng, StdRng};
use rand::{Rng, SeedableRng};

use crate::address::{Address, AddressScope};
use crate::config::{Config, ConfigError};
use crate::contact::Contact;
use crate::driver::Driver;
use crate::drop_log::DropLog;
use crate::error::CommandError;
use crate::event::{Event, QueryStats, StatsClock};
use crate::ids::QueryId;
use crate::join_fill::Heard;
use crate::key::KeyType;
use crate::message::{Body, Message, Request};
use crate::pending::{PendingRequests, Purpose};
use crate::query_pool::{Goal, Query, QueryPool};
use crate::rate_limit::{Admission, SourceLimiter, TokenBucket};
use crate::routing::{Diversity, RoutingTable};
use crate::rtt::Rtt;
use crate::stats::NodeStats;
use crate::store::RecordStore;
use crate::token::TokenSecrets;
use crate::validator::{PlainRecords, Validator};

/// A message to send and where to send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit<A, K> {
    /// The destination address.
    pub to: A,
    /// The message.
    pub message: Message<A, K>,
}

/// A Kademlia node as a pure state machine.
///
/// `A` is the address type (anything `Clone + Eq`), `K` the key type (see
/// [`Hasher`](crate::Hasher)). See the [crate documentation](crate) for a complete example.
///
/// # Driving a node
///
/// A node does no IO and reads no clock: its driver (a runtime, a simulator, a test) feeds it
/// and empties it. Its methods are of four kinds:
///
/// - **inputs**: [`handle_message`](Self::handle_message) for each message that arrives, and
///   [`handle_timeout`](Self::handle_timeout) once the instant given by
///   [`poll_timeout`](Self::poll_timeout) has come; before it decodes a datagram, a driver
///   asks [`admit`](Self::admit) whether its source is within its rate;
/// - **commands**: [`bootstrap`](Self::bootstrap), [`find_node`](Self::find_node),
///   [`get`](Self::get), [`put`](Self::put), [`get_record`](Self::get_record),
///   [`put_record`](Self::put_record), [`put_mutable`](Self::put_mutable),
///   [`ping`](Self::ping) and
///   [`add_contact`](Self::add_contact); each query command returns a [`QueryId`] at once, and
///   its result comes later as an [`Event::QueryFinished`] with that id;
/// - **outputs**: [`poll_transmit`](Self::poll_transmit) (messages to send),
///   [`poll_event`](Self::poll_event) (finished queries, routing-table changes) and
///   [`poll_timeout`](Self::poll_timeout) (when to call `handle_timeout` next);
/// - **accessors**: [`id`](Self::id), [`config`](Self::config),
///   [`routing_table`](Self::routing_table), [`get_local`](Self::get_local),
///   [`stats`](Self::stats), [`is_bootstrapping`](Self::is_bootstrapping).
///
/// After every input or command, drain the outputs in this order: every transmit, then every
/// event, then read the timeout, which may have moved earlier. [`drain`](Self::drain) does
/// exactly that with a [`Driver`]; use it rather than a loop of your own. Handling an event may
/// lead the driver to give a new command: drain again after it.
///
/// # Strangers
///
/// Every message may come from an attacker with a forged source address. A node therefore
/// adds to its routing table only contacts that answered a request of its own from their
/// address (a stranger's request draws at most one verification ping, within
/// [`Config::verify_rate`]); keeps a STORE only with the write [`Token`](crate::Token) it gave
/// the sender's IP; lets one subnet hold only a few slots of its table; never sends to an
/// unroutable address, nor to a local one that another node told of; and, through
/// [`admit`](Self::admit), limits what each source IP may send. Each rule is a [`Config`]
/// field and is counted in [`stats`](Self::stats). They need the IP behind an address, which
/// the address type gives through [`Address`](crate::Address).
///
/// Every `now` passed in must be at or after the one before (monotonic time, as
/// [`Instant`] is); a node given an earlier instant may fire timers late, never early, but its
/// figures are then wrong.
#[derive(Debug)]
pub struct Node<A, K: KeyType> {
    pub(crate) id: K,
    pub(crate) config: Arc<Config>,
    /// Protocol randomness: refresh targets and, for a node built from a `u64` seed,
    /// transaction ids.
    pub(crate) rng: SmallRng,
    /// For a node built [`with_secret`](Self::with_secret): the cryptographically secure
    /// generator its transaction ids come from, so that nobody who sees its traffic can guess
    /// the id of a request in flight and forge the answer. Boxed: a simulator keeps a
    /// million nodes that have none.
    pub(crate) tx_rng: Option<Box<StdRng>>,
    pub(crate) routing: RoutingTable<A, K>,
    pub(crate) store: RecordStore<K>,
    pub(crate) pending: PendingRequests<A, K>,
    pub(crate) queries: QueryPool<A, K>,
    pub(crate) transmits: VecDeque<Transmit<A, K>>,
    pub(crate) query_events: VecDeque<Event<A, K>>,
    pub(crate) routing_events: VecDeque<Event<A, K>>,
    pub(crate) next_maintenance: Instant,
    /// The seeds of the last bootstrap that had any, to bootstrap again when the routing table
    /// becomes empty.
    pub(crate) last_seeds: Vec<A>,
    /// When the earliest bootstrap waiting to be tried again is due.
    pub(crate) bootstrap_retry_at: Option<Instant>,
    /// When a bootstrap that left the table short of k contacts looks again.
    pub(crate) bootstrap_follow_up_at: Option<Instant>,
    /// What the running bootstraps heard of the buckets their join fills.
    pub(crate) heard: Heard<A, K>,
    /// Whether the network may be smaller than k: until a bootstrap finds k nodes (a
    /// network's first node never bootstraps).
    pub(crate) small_network: bool,
    /// Whether this node talks to local addresses beyond those it is given:
    /// `contact_local_addresses`, or a bootstrap through a local seed.
    pub(crate) local_peers: bool,
    /// The secrets behind the write tokens this node hands out.
    pub(crate) tokens: TokenSecrets,
    /// What `verify_rate` still allows.
    pub(crate) verify_budget: TokenBucket,
    /// What `signature_check_rate` still allows.
    pub(crate) signature_budget: TokenBucket,
    /// Addresses a verification ping is out to, so that a flood of requests from one address
    /// costs it one ping; bounded by what `verify_rate` lets out in a request timeout.
    pub(crate) verifying: Vec<A>,
    /// Per-source rate limits, for [`admit`](Self::admit).
    pub(crate) limiter: SourceLimiter,
    /// What `unverified_upload_rate` still allows, in bytes.
    pub(crate) upload_budget: TokenBucket,
    /// The round trip to the network, over every answer.
    pub(crate) rtt: Rtt,
    /// Which records may be stored under which key (see [`Node::with_validator`]).
    pub(crate) validator: Arc<dyn Validator<K>>,
    pub(crate) counters: NodeStats,
    /// The limiters of its drop events, made when the first is logged.
    pub(crate) drop_log: Option<Box<DropLog>>,
}

/// 32 fresh secret bytes: from the secure generator if the node has one.
pub(crate) fn secret_from(rng: &mut SmallRng, secure: &mut Option<Box<StdRng>>) -> [u8; 32] {
    match secure {
        Some(secure) => secure.random(),
        None => rng.random(),
    }
}

impl<A: Address, K: KeyType> Node<A, K> {
    /// A node with id `id`, started at `now`, whose randomness (transaction ids included)
    /// comes from `seed`: the same seed gives the same node, as tests and simulations want.
    /// Whoever knows or guesses the seed can predict its transaction ids; a node that faces
    /// the network is built [`with_secret`](Self::with_secret) instead.
    ///
    /// `config` is a [`Config`] or an `Arc<Config>`: nodes built from one `Arc` share a
    /// single copy, as the simulator's million do.
    pub fn new(
        id: K,
        config: impl Into<Arc<Config>>,
        seed: u64,
        now: Instant,
    ) -> Result<Self, ConfigError> {
        Self::build(id, config.into(), SmallRng::seed_from_u64(seed), None, now)
    }

    /// A node with id `id` whose transaction ids come from a cryptographically secure
    /// generator (ChaCha12) seeded with `secret`, and whose other randomness is drawn from
    /// that generator too. Give it 32 bytes from the operating system's generator, drawn
    /// apart from the id: then nothing the node sends tells what its next transaction id is.
    ///
    /// ```
    /// use std::time::Instant;
    /// use kad_core::{Config, Key, Node};
    ///
    /// let secret = [7u8; 32]; // in real use: 32 bytes from the OS
    /// let node: Node<u32, Key<20>> =
    ///     Node::with_secret(Key::new([1; 20]), Config::default(), secret, Instant::now())?;
    /// # Ok::<(), kad_core::ConfigError>(())
    /// ```
    pub fn with_secret(
        id: K,
        config: impl Into<Arc<Config>>,
        secret: [u8; 32],
        now: Instant,
    ) -> Result<Self, ConfigError> {
        let mut tx_rng = StdRng::from_seed(secret);
        let rng = SmallRng::from_rng(&mut tx_rng);
        Self::build(id, config.into(), rng, Some(Box::new(tx_rng)), now)
    }

    fn build(
        id: K,
        config: Arc<Config>,
        mut rng: SmallRng,
        mut tx_rng: Option<Box<StdRng>>,
        now: Instant,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let tokens = TokenSecrets::new(|| secret_from(&mut rng, &mut tx_rng), now);
        Ok(Node {
            id,
            rng,
            tx_rng,
            tokens,
            verify_budget: TokenBucket::full(config.verify_rate, now),
            signature_budget: TokenBucket::full(config.signature_check_rate, now),
            limiter: SourceLimiter::new(),
            upload_budget: TokenBucket::full(config.unverified_upload_rate, now),
            rtt: Rtt::default(),
            validator: Arc::new(PlainRecords),
            routing: RoutingTable::new(
                id,
                config.k,
                config.replacement_cache_size,
                Diversity {
                    per_bucket: config.max_bucket_contacts_per_subnet,
                    per_table: config.max_table_contacts_per_subnet,
                    exempt_local: config.exempt_local_addresses,
                },
            ),
            verifying: Vec::new(),
            store: RecordStore::new(
                config.max_records,
                config.max_value_size,
                config.max_records_per_subnet,
            ),
            pending: PendingRequests::new(config.max_pending_requests, config.request_timeout),
            queries: QueryPool::new(config.max_queries),
            transmits: VecDeque::new(),
            query_events: VecDeque::new(),
            routing_events: VecDeque::new(),
            next_maintenance: now + config.maintenance_interval,
            last_seeds: Vec::new(),
            bootstrap_retry_at: None,
            bootstrap_follow_up_at: None,
            heard: Heard::new(),
            small_network: true,
            local_peers: config.contact_local_addresses,
            counters: NodeStats::default(),
            drop_log: None,
            config,
        })
    }

    /// A node with a random id drawn from `seed`, like [`new`](Self::new) for tests and
    /// simulations: its id and its transaction ids come from the same seed.
    pub fn with_random_id(
        config: impl Into<Arc<Config>>,
        seed: u64,
        now: Instant,
    ) -> Result<Self, ConfigError> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let id = K::random(&mut rng);
        Node::new(id, config, rng.random(), now)
    }

    /// This node's id.
    pub fn id(&self) -> &K {
        &self.id
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The routing table, read-only.
    pub fn routing_table(&self) -> &RoutingTable<A, K> {
        &self.routing
    }

    /// Counters and sizes.
    pub fn stats(&self) -> NodeStats {
        NodeStats {
            contacts: self.routing.len(),
            records: self.store.len(),
            pending_requests: self.pending.len(),
            queries: self.queries.len(),
            rate_limited_sources: self.limiter.len(),
            ..self.counters
        }
    }

    // ----- outputs -----

    /// The next message to send. A queue drained empty gives its memory back: an idle node
    /// holds nothing for the bursts of its busiest moment.
    pub fn poll_transmit(&mut self) -> Option<Transmit<A, K>> {
        let t = self.transmits.pop_front();
        if t.is_none() && self.transmits.capacity() > 0 {
            self.transmits = VecDeque::new();
        }
        t
    }

    /// The next event: finished queries first, then routing-table changes.
    pub fn poll_event(&mut self) -> Option<Event<A, K>> {
        let e = self
            .query_events
            .pop_front()
            .or_else(|| self.routing_events.pop_front());
        if e.is_none() {
            if self.query_events.capacity() > 0 {
                self.query_events = VecDeque::new();
            }
            if self.routing_events.capacity() > 0 {
                self.routing_events = VecDeque::new();
            }
        }
        e
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called. There is always
    /// such an instant: periodic maintenance never stops. It may be in the past; then call
    /// `handle_timeout` at once.
    pub fn poll_timeout(&self) -> Instant {
        let mut next = self.next_maintenance;
        if let Some(t) = self.pending.next_deadline() {
            next = next.min(t);
        }
        for t in [self.bootstrap_retry_at, self.bootstrap_follow_up_at]
            .into_iter()
            .flatten()
        {
            next = next.min(t);
        }
        next
    }

    /// Hands every pending output to `driver`, in the order the driver contract asks (every
    /// transmit, then every event), and returns the instant at which
    /// [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn drain<D: Driver<A, K> + ?Sized>(&mut self, driver: &mut D) -> Instant {
        while let Some(transmit) = self.poll_transmit() {
            driver.transmit(transmit);
        }
        while let Some(event) = self.poll_event() {
            driver.event(event);
        }
        self.poll_timeout()
    }

    // ----- commands -----

    /// Joins the network: asks each seed address (whose id need not be known) for the contacts
    /// closest to this node, then looks this node's id up. With
    /// [`Config::bootstrap_refresh`], every bucket farther than the k closest is then filled
    /// to [`Config::bootstrap_refresh_fill`] contacts. A bootstrap that reaches nobody is tried again with backoff (see
    /// [`Config::bootstrap_attempts`]); the first [`Config::MAX_BOOTSTRAP_SEEDS`] seeds are
    /// asked at each attempt, and kept to bootstrap again should the routing table become
    /// empty. A seed at a loopback, private or link-local address tells the node that it is
    /// on such a network: from then on it talks to local addresses as
    /// [`Config::contact_local_addresses`] would have it. Finishes with
    /// [`QueryResult::Bootstrap`](crate::QueryResult::Bootstrap).
    pub fn bootstrap<I: IntoIterator<Item = A>>(
        &mut self,
        now: Instant,
        seeds: I,
    ) -> Result<QueryId, CommandError> {
        let seeds: Vec<A> = seeds.into_iter().collect();
        // Told to join through its local network: it is on one.
        self.local_peers |= seeds
            .iter()
            .any(|seed| seed.scope() == Some(AddressScope::Local));
        self.start_bootstrap(now, seeds, true)
    }

    /// Finds the k nodes closest to `target`. Finishes with [`QueryResult::FindNode`](crate::QueryResult::FindNode).
    pub fn find_node(&mut self, now: Instant, target: K) -> Result<QueryId, CommandError> {
        self.start_lookup(now, target, Goal::FindNode, [])
    }

    /// Pings the node at `addr`. Finishes with [`QueryResult::Ping`](crate::QueryResult::Ping).
    pub fn ping(&mut self, now: Instant, addr: A) -> Result<QueryId, CommandError> {
        if addr.scope() == Some(AddressScope::Unroutable) {
            return Err(CommandError::UnroutableAddress);
        }
        if self.pending.is_full() {
            return Err(CommandError::TooManyPendingRequests {
                max: self.config.max_pending_requests,
            });
        }
        let id = self.queries.next_id()?;
        self.send_request(now, addr, None, Request::Ping, Purpose::Ping(id));
        let clock = StatsClock {
            started: now,
            stats: QueryStats {
                requests: 1,
                ..Default::default()
            },
        };
        self.queries.insert(id, Query::Ping { clock });
        Ok(id)
    }

    /// Offers a contact the caller vouches for to the routing table, as if it had answered
    /// a request: it is not verified first. Contacts from anywhere less trusted are better
    /// given to [`ping`](Self::ping), or as seeds to [`bootstrap`](Self::bootstrap).
    pub fn add_contact(&mut self, now: Instant, contact: Contact<A, K>) {
        self.observe(now, contact, None);
    }

    // ----- inputs -----

    /// Whether a datagram that arrived from `from` at `now` is within its source's rate
    /// ([`Config::source_rate`], [`Config::source_burst`]): a driver asks this before it
    /// decodes the datagram, and drops it unread when the answer is no (counted in
    /// [`NodeStats::rate_limited`]). Opaque addresses, local ones while
    /// [`Config::exempt_local_addresses`] holds, are always admitted; over its rate, a
    /// source still gets one datagram through for each request of this node it has not
    /// answered, so that the answers to a burst of its own requests are not dropped (those
    /// requests are counted from the first call of `admit` on: a driver that limits sources
    /// asks about every datagram, and a node whose driver never asks keeps no such count).
    pub fn admit(&mut self, now: Instant, from: &A) -> bool {
        self.pending.track_owed();
        let Some(socket) = from.socket_addr() else {
            return true;
        };
        if self.exempt_local(from) {
            return true;
        }
        let c = &self.config;
        let admission = self.limiter.admit(
            socket.ip(),
            now,
            c.source_rate,
            c.source_burst,
            c.max_rate_limited_sources,
        );
        // Over the rate, an answer it owes to a request of ours still passes.
        if admission != Admission::Admitted && self.pending.take_owed(socket.ip()) {
            return true;
        }
        match admission {
            Admission::Admitted => true,
            Admission::Shared => {
                self.counters.rate_limited += 1;
                self.counters.rate_limited_shared += 1;
                self.log_rate_limited(now, socket, true);
                false
            }
            Admission::Limited => {
                self.counters.rate_limited += 1;
                self.log_rate_limited(now, socket, false);
                false
            }
        }
    }

    /// Handles a message that arrived from `from`.
    pub fn handle_message(&mut self, now: Instant, from: A, message: Message<A, K>) {
        let Message { tx, sender, body } = message;
        match body {
            Body::Request(request) => self.on_request(now, from, tx, sender, request),
            Body::Response(response) => self.on_response(now, from, tx, sender, response),
        }
        self.drive_starved(now);
    }

    /// Handles the passing of time: request timeouts, bootstraps to try again, and periodic
    /// maintenance (expiry, republication, bucket refresh, liveness checks).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(pending) = self.pending.pop_soft_expired(now) {
            self.on_soft_timeout(now, pending);
        }
        while let Some((_, pending)) = self.pending.pop_expired(now) {
            self.on_timeout(now, pending);
        }
        self.retry_bootstraps(now);
        self.follow_up_bootstrap(now);
        if now >= self.next_maintenance {
            self.maintain(now);
            self.next_maintenance = now + self.config.maintenance_interval;
        }
        self.drive_starved(now);
    }
}
