//! The node: the sans-IO state machine that ties the routing table, lookups, records and
//! requests in flight together.
//!
//! Inputs are [`Node::handle_message`], [`Node::handle_timeout`] and the commands; outputs are
//! drained with [`Node::poll_transmit`], [`Node::poll_event`] and [`Node::poll_timeout`]. The
//! node never reads a clock and draws randomness only from its seeded generator.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::config::{Config, ConfigError};
use crate::contact::Contact;
use crate::error::CommandError;
use crate::event::{Event, QueryResult, StatsClock};
use crate::ids::{QueryId, TxId};
use crate::key::KeyType;
use crate::lookup::Lookup;
use crate::message::{Body, Message, Request, Response};
use crate::pending::{Kind, Pending, PendingRequests, Purpose};
use crate::routing::{Removal, RoutingTable, Update};
use crate::stats::NodeStats;
use crate::store::{Record, RecordStore};

/// A message to send and where to send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit<A, K> {
    /// The destination address.
    pub to: A,
    /// The message.
    pub message: Message<A, K>,
}

/// What a lookup is for, and so what happens when it ends.
#[derive(Clone, Debug)]
enum Goal {
    FindNode,
    Bootstrap,
    Refresh,
    Get,
    Put {
        value: Vec<u8>,
        /// When the record ends; the STOREs carry what remains of it when they are sent.
        expires: Instant,
        report: bool,
    },
}

#[derive(Clone, Debug)]
enum Query<A, K: KeyType> {
    Lookup {
        lookup: Lookup<A, K>,
        goal: Goal,
    },
    /// The STORE phase of a put, after its lookup.
    Storing {
        clock: StatsClock,
        remaining: usize,
        acks: usize,
        report: bool,
    },
    Ping {
        clock: StatsClock,
    },
}

/// A Kademlia node as a pure state machine.
///
/// `A` is the address type (anything `Clone + Eq`), `K` the key type (see
/// [`Hasher`](crate::Hasher)). See the [crate documentation](crate) for a complete example.
#[derive(Debug)]
pub struct Node<A, K: KeyType> {
    id: K,
    config: Config,
    rng: SmallRng,
    routing: RoutingTable<A, K>,
    store: RecordStore<K>,
    pending: PendingRequests<A, K>,
    queries: BTreeMap<QueryId, Query<A, K>>,
    next_query: u64,
    /// Lookups that could not send for lack of request slots, in the order they stalled.
    starved: VecDeque<QueryId>,
    transmits: VecDeque<Transmit<A, K>>,
    query_events: VecDeque<Event<A, K>>,
    routing_events: VecDeque<Event<A, K>>,
    next_maintenance: Instant,
    counters: NodeStats,
}

impl<A: Clone + Eq, K: KeyType> Node<A, K> {
    /// A node with id `id`, started at `now`, whose randomness comes from `seed`.
    pub fn new(id: K, config: Config, seed: u64, now: Instant) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Node {
            id,
            rng: SmallRng::seed_from_u64(seed),
            routing: RoutingTable::new(id, config.k, config.replacement_cache_size),
            store: RecordStore::new(config.max_records, config.max_value_size),
            pending: PendingRequests::new(config.max_pending_requests),
            queries: BTreeMap::new(),
            next_query: 0,
            starved: VecDeque::new(),
            transmits: VecDeque::new(),
            query_events: VecDeque::new(),
            routing_events: VecDeque::new(),
            next_maintenance: now + config.maintenance_interval,
            counters: NodeStats::default(),
            config,
        })
    }

    /// A node with a random id drawn from `seed`.
    pub fn with_random_id(config: Config, seed: u64, now: Instant) -> Result<Self, ConfigError> {
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

    /// The live value stored locally under `key`.
    pub fn get_local(&self, now: Instant, key: &K) -> Option<&[u8]> {
        self.store.get(key, now).map(|r| r.value.as_slice())
    }

    /// Counters and sizes.
    pub fn stats(&self) -> NodeStats {
        NodeStats {
            contacts: self.routing.len(),
            records: self.store.len(),
            pending_requests: self.pending.len(),
            queries: self.queries.len(),
            ..self.counters
        }
    }

    // ----- outputs -----

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit<A, K>> {
        self.transmits.pop_front()
    }

    /// The next event: finished queries first, then routing-table changes.
    pub fn poll_event(&mut self) -> Option<Event<A, K>> {
        self.query_events
            .pop_front()
            .or_else(|| self.routing_events.pop_front())
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        Some(match self.pending.next_deadline() {
            Some(t) => t.min(self.next_maintenance),
            None => self.next_maintenance,
        })
    }

    // ----- commands -----

    /// Joins the network: asks each seed address (whose id need not be known) for the contacts
    /// closest to this node, then looks this node's id up. With
    /// [`Config::bootstrap_refresh`], every bucket farther than the closest neighbour is then
    /// refreshed. Finishes with [`QueryResult::Bootstrap`].
    pub fn bootstrap<I: IntoIterator<Item = A>>(
        &mut self,
        now: Instant,
        seeds: I,
    ) -> Result<QueryId, CommandError> {
        let id = self.id;
        self.start_lookup(now, id, Goal::Bootstrap, seeds)
    }

    /// Finds the k nodes closest to `target`. Finishes with [`QueryResult::FindNode`].
    pub fn find_node(&mut self, now: Instant, target: K) -> Result<QueryId, CommandError> {
        self.start_lookup(now, target, Goal::FindNode, [])
    }

    /// Finds the value stored under `key`, locally first. Finishes with [`QueryResult::Get`].
    pub fn get(&mut self, now: Instant, key: K) -> Result<QueryId, CommandError> {
        if let Some(value) = self.get_local(now, &key).map(<[u8]>::to_vec) {
            let id = self.new_query_id()?;
            let clock = StatsClock::new(now);
            self.report(id, QueryResult::Get { value: Some(value) }, clock, now);
            return Ok(id);
        }
        self.start_lookup(now, key, Goal::Get, [])
    }

    /// Stores `value` under `key` here and at the k closest nodes; this node re-puts it every
    /// `reput_interval`. Finishes with [`QueryResult::Put`].
    pub fn put(&mut self, now: Instant, key: K, value: Vec<u8>) -> Result<QueryId, CommandError> {
        self.store.check_value(&value)?;
        self.check_query_room()?;
        let record = Record {
            value: value.clone(),
            expires: now + self.config.storage_timeout,
            republish_at: now + self.config.republish_interval,
            reput_at: Some(now + self.config.reput_interval),
        };
        let expires = record.expires;
        self.store.publish(key, record, &self.id)?;
        let goal = Goal::Put {
            value,
            expires,
            report: true,
        };
        self.start_lookup(now, key, goal, [])
    }

    /// Pings the node at `addr`. Finishes with [`QueryResult::Ping`].
    pub fn ping(&mut self, now: Instant, addr: A) -> Result<QueryId, CommandError> {
        if self.pending.is_full() {
            return Err(CommandError::TooManyPendingRequests {
                max: self.config.max_pending_requests,
            });
        }
        let id = self.new_query_id()?;
        self.send_request(now, addr, None, Request::Ping, Purpose::Ping(id));
        let clock = StatsClock {
            started: now,
            stats: crate::event::QueryStats {
                requests: 1,
                ..Default::default()
            },
        };
        self.queries.insert(id, Query::Ping { clock });
        Ok(id)
    }

    /// Offers a known contact to the routing table, as if a message had come from it.
    pub fn add_contact(&mut self, now: Instant, contact: Contact<A, K>) {
        self.observe(now, contact);
    }

    // ----- inputs -----

    /// Handles a message that arrived from `from`.
    pub fn handle_message(&mut self, now: Instant, from: A, message: Message<A, K>) {
        let Message { tx, sender, body } = message;
        match body {
            Body::Request(request) => {
                self.counters.requests_received += 1;
                if sender != self.id {
                    self.observe(now, Contact::new(sender, from.clone()));
                }
                let response = self.answer(now, &sender, request);
                self.transmits.push_back(Transmit {
                    to: from,
                    message: Message {
                        tx,
                        sender: self.id,
                        body: Body::Response(response),
                    },
                });
            }
            Body::Response(response) => self.on_response(now, from, tx, sender, response),
        }
        self.drive_starved(now);
    }

    /// Handles the passing of time: request timeouts and periodic maintenance (expiry,
    /// republication, bucket refresh, liveness checks).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((_, pending)) = self.pending.pop_expired(now) {
            self.on_timeout(now, pending);
        }
        if now >= self.next_maintenance {
            self.maintain(now);
            self.next_maintenance = now + self.config.maintenance_interval;
        }
        self.drive_starved(now);
    }

    // ----- requests and responses -----

    fn answer(&mut self, now: Instant, sender: &K, request: Request<K>) -> Response<A, K> {
        let exclude = Some(sender);
        match request {
            Request::Ping => Response::Pong,
            Request::FindNode { target } => Response::Nodes {
                contacts: self.closest_for_response(&target, exclude),
            },
            Request::FindValue { key } => match self.store.get(&key, now) {
                Some(record) => Response::Value {
                    value: record.value.clone(),
                    ttl_secs: record.ttl_secs(now),
                },
                None => Response::Nodes {
                    contacts: self.closest_for_response(&key, exclude),
                },
            },
            Request::Store {
                key,
                value,
                ttl_secs,
            } => {
                let lifetime = std::time::Duration::from_secs(u64::from(ttl_secs))
                    .min(self.config.storage_timeout);
                let record = Record {
                    value,
                    expires: now + lifetime,
                    // Someone else just republished it: skip our own next round.
                    republish_at: now + self.config.republish_interval,
                    reput_at: None,
                };
                let accepted = !lifetime.is_zero() && self.store.accept(key, record).is_ok();
                if !accepted {
                    self.counters.stores_refused += 1;
                }
                Response::Stored { accepted }
            }
        }
    }

    fn closest_for_response(&self, target: &K, exclude: Option<&K>) -> Vec<Contact<A, K>> {
        self.routing
            .closest(target, self.config.max_response_contacts, exclude)
    }

    fn on_response(
        &mut self,
        now: Instant,
        from: A,
        tx: TxId,
        sender: K,
        response: Response<A, K>,
    ) {
        let valid = self.pending.get(&tx).is_some_and(|p| {
            p.to == from
                && p.id.is_none_or(|id| id == sender)
                && sender != self.id
                && answers(p.kind, &response)
        });
        // Anything but the awaited answer leaves the request pending, untouched.
        let Some(pending) = valid.then(|| self.pending.remove(&tx)).flatten() else {
            self.counters.responses_ignored += 1;
            return;
        };
        self.counters.responses_received += 1;
        let contact = Contact::new(sender, from);
        self.observe(now, contact.clone());
        match pending.purpose {
            Purpose::Lookup(qid) => {
                if let Some(Query::Lookup { lookup, .. }) = self.queries.get_mut(&qid) {
                    match response {
                        Response::Nodes { mut contacts } => {
                            contacts.retain(|c| c.id != self.id);
                            contacts.truncate(self.config.k);
                            // Trust the address this node already knows for an id over
                            // what a third party says.
                            for c in contacts.iter_mut() {
                                if let Some(known) = self.routing.get(&c.id) {
                                    c.addr = known.contact().addr.clone();
                                }
                            }
                            if pending.id.is_none() {
                                lookup.seed_done(Some(contact), contacts);
                            } else {
                                lookup.on_nodes(&sender, contacts);
                            }
                        }
                        Response::Value { value, ttl_secs } => {
                            lookup.on_value(&sender, value, ttl_secs)
                        }
                        Response::Pong | Response::Stored { .. } => {}
                    }
                    self.advance(now, qid);
                }
            }
            Purpose::Store(qid) => {
                let accepted = matches!(response, Response::Stored { accepted: true });
                self.store_done(now, qid, accepted);
            }
            Purpose::Ping(qid) => self.ping_done(now, qid, true),
            Purpose::Check | Purpose::Replicate => {}
        }
    }

    fn on_timeout(&mut self, now: Instant, pending: Pending<A, K>) {
        self.counters.timeouts += 1;
        if let Some(id) = pending.id {
            let evict = pending.purpose == Purpose::Check;
            let max_failures = self.config.max_failures;
            if let Some(removal) = self.routing.fail(&id, &pending.to, evict, max_failures) {
                self.on_removal(now, removal);
            }
        }
        match pending.purpose {
            Purpose::Lookup(qid) => {
                if let Some(Query::Lookup { lookup, .. }) = self.queries.get_mut(&qid) {
                    match pending.id {
                        Some(id) => lookup.on_failure(&id),
                        None => lookup.seed_done(None, Vec::new()),
                    }
                    self.advance(now, qid);
                }
            }
            Purpose::Store(qid) => self.store_done(now, qid, false),
            Purpose::Ping(qid) => self.ping_done(now, qid, false),
            Purpose::Check | Purpose::Replicate => {}
        }
    }

    /// Sends a request unless `max_pending_requests` are in flight; returns whether it went.
    fn send_request(
        &mut self,
        now: Instant,
        to: A,
        id: Option<K>,
        request: Request<K>,
        purpose: Purpose,
    ) -> bool {
        if self.pending.is_full() {
            self.counters.requests_deferred += 1;
            return false;
        }
        let mut tx = TxId::from_u64(self.rng.random());
        while self.pending.contains(&tx) {
            tx = TxId::from_u64(self.rng.random());
        }
        let kind = match request {
            Request::Ping => Kind::Ping,
            Request::FindNode { .. } => Kind::FindNode,
            Request::FindValue { .. } => Kind::FindValue,
            Request::Store { .. } => Kind::Store,
        };
        self.pending.insert(
            tx,
            Pending {
                to: to.clone(),
                id,
                kind,
                purpose,
                deadline: now + self.config.request_timeout,
            },
        );
        self.counters.requests_sent += 1;
        self.transmits.push_back(Transmit {
            to,
            message: Message {
                tx,
                sender: self.id,
                body: Body::Request(request),
            },
        });
        true
    }

    // ----- routing table -----

    /// A message came from `contact`: update the routing table accordingly.
    fn observe(&mut self, now: Instant, contact: Contact<A, K>) {
        match self
            .routing
            .offer(contact.clone(), now, self.config.lru_ping_after)
        {
            Update::Added { bucket } => {
                self.replicate_to(now, &contact);
                self.push_routing_event(Event::ContactAdded { contact, bucket });
            }
            Update::Cached { ping: Some(lru) } => self.check(now, lru),
            Update::Cached { ping: None } | Update::Refreshed | Update::Local => {}
        }
    }

    /// Pings a routing-table contact (already marked as pinged) that is removed if it fails.
    fn check(&mut self, now: Instant, contact: Contact<A, K>) {
        let id = contact.id;
        if !self.send_request(now, contact.addr, Some(id), Request::Ping, Purpose::Check) {
            self.routing.cancel_ping(&id);
        }
    }

    fn on_removal(&mut self, now: Instant, removal: Removal<A, K>) {
        self.push_routing_event(Event::ContactRemoved {
            contact: removal.removed,
        });
        if let Some((contact, bucket)) = removal.promoted {
            self.replicate_to(now, &contact);
            self.push_routing_event(Event::ContactAdded { contact, bucket });
        }
    }

    fn push_routing_event(&mut self, event: Event<A, K>) {
        if self.config.max_queued_events == 0 {
            self.counters.events_dropped += 1;
            return;
        }
        if self.routing_events.len() >= self.config.max_queued_events {
            self.routing_events.pop_front();
            self.counters.events_dropped += 1;
        }
        self.routing_events.push_back(event);
    }

    /// Hands `contact` the records it should hold now that it has joined (paper, section
    /// 2.5): those it is closer to than this node, where this node was the closest holder it
    /// knew, so that of all the old holders only one sends each record. The STOREs go out
    /// within half the free request slots; the rest are left to the next republication.
    fn replicate_to(&mut self, now: Instant, contact: &Contact<A, K>) {
        let budget = self
            .config
            .max_pending_requests
            .saturating_sub(self.pending.len())
            / 2;
        let mut stores = Vec::new();
        for (key, record) in self.store.iter(now) {
            if stores.len() >= budget {
                break;
            }
            let own = self.id.distance(key);
            if contact.id.distance(key) >= own {
                continue;
            }
            let nearest_other = self.routing.closest(key, 1, Some(&contact.id));
            if nearest_other
                .first()
                .is_some_and(|c| c.id.distance(key) < own)
            {
                continue;
            }
            stores.push(Request::Store {
                key: *key,
                value: record.value.clone(),
                ttl_secs: record.ttl_secs(now),
            });
        }
        for request in stores {
            let to = contact.addr.clone();
            self.send_request(now, to, Some(contact.id), request, Purpose::Replicate);
        }
    }

    // ----- queries -----

    fn check_query_room(&self) -> Result<(), CommandError> {
        if self.queries.len() >= self.config.max_queries {
            return Err(CommandError::TooManyQueries {
                max: self.config.max_queries,
            });
        }
        Ok(())
    }

    fn new_query_id(&mut self) -> Result<QueryId, CommandError> {
        self.check_query_room()?;
        self.next_query += 1;
        Ok(QueryId::new(self.next_query))
    }

    fn start_lookup<I: IntoIterator<Item = A>>(
        &mut self,
        now: Instant,
        target: K,
        goal: Goal,
        seeds: I,
    ) -> Result<QueryId, CommandError> {
        let qid = self.new_query_id()?;
        let c = &self.config;
        let mut lookup = Lookup::new(target, c.k, c.alpha, c.max_lookup_candidates, now);
        lookup.add_contacts(self.routing.closest(&target, c.k, None), 1);
        self.routing.touch(&target, now);
        for seed in seeds {
            let request = Request::FindNode { target };
            if self.send_request(now, seed, None, request, Purpose::Lookup(qid)) {
                lookup.seed_sent();
            }
        }
        self.queries.insert(qid, Query::Lookup { lookup, goal });
        self.advance(now, qid);
        Ok(qid)
    }

    /// Sends what lookup `qid` may send now, and finishes it if it is over.
    fn advance(&mut self, now: Instant, qid: QueryId) {
        loop {
            let Some(Query::Lookup { lookup, goal }) = self.queries.get_mut(&qid) else {
                return;
            };
            if lookup.is_finished() {
                self.finish_lookup(now, qid);
                return;
            }
            if self.pending.is_full() {
                self.starve(qid);
                return;
            }
            let Some(contact) = lookup.next_request() else {
                return;
            };
            let target = *lookup.target();
            let request = match goal {
                Goal::Get => Request::FindValue { key: target },
                _ => Request::FindNode { target },
            };
            let id = contact.id;
            if !self.send_request(now, contact.addr, Some(id), request, Purpose::Lookup(qid)) {
                if let Some(Query::Lookup { lookup, .. }) = self.queries.get_mut(&qid) {
                    lookup.unsend(&id);
                }
                self.starve(qid);
                return;
            }
        }
    }

    fn starve(&mut self, qid: QueryId) {
        if !self.starved.contains(&qid) {
            self.starved.push_back(qid);
        }
    }

    /// Gives lookups that waited for a free request slot another chance, oldest first.
    fn drive_starved(&mut self, now: Instant) {
        while !self.pending.is_full() {
            let Some(qid) = self.starved.pop_front() else {
                return;
            };
            self.advance(now, qid);
        }
    }

    fn finish_lookup(&mut self, now: Instant, qid: QueryId) {
        let Some(Query::Lookup { lookup, goal }) = self.queries.remove(&qid) else {
            return;
        };
        match goal {
            Goal::FindNode => {
                let closest = lookup.closest();
                self.report(qid, QueryResult::FindNode { closest }, lookup.clock, now);
            }
            Goal::Bootstrap => {
                let closest = lookup.closest();
                let nearest = closest.first().map(|c| self.id.shared_prefix_len(&c.id));
                self.report(qid, QueryResult::Bootstrap { closest }, lookup.clock, now);
                if let (true, Some(nearest)) = (self.config.bootstrap_refresh, nearest) {
                    for bucket in 0..nearest {
                        if self.refresh_bucket(now, bucket).is_err() {
                            break;
                        }
                    }
                }
            }
            Goal::Refresh => {}
            Goal::Get => {
                let cache = lookup.cache_target();
                let key = *lookup.target();
                let clock = lookup.clock;
                let value = lookup.found.map(|found| {
                    if let Some(to) = cache.filter(|c| c.id != found.from) {
                        let request = Request::Store {
                            key,
                            value: found.value.clone(),
                            ttl_secs: found.ttl_secs,
                        };
                        self.send_request(now, to.addr, Some(to.id), request, Purpose::Replicate);
                    }
                    found.value
                });
                self.report(qid, QueryResult::Get { value }, clock, now);
            }
            Goal::Put {
                value,
                expires,
                report,
            } => {
                let key = *lookup.target();
                let secs = expires.saturating_duration_since(now).as_secs();
                let ttl_secs = u32::try_from(secs).unwrap_or(u32::MAX);
                let mut remaining = 0;
                for to in lookup.closest() {
                    let request = Request::Store {
                        key,
                        value: value.clone(),
                        ttl_secs,
                    };
                    if self.send_request(now, to.addr, Some(to.id), request, Purpose::Store(qid)) {
                        remaining += 1;
                    }
                }
                let mut clock = lookup.clock;
                clock.stats.requests += remaining as u32;
                self.queries.insert(
                    qid,
                    Query::Storing {
                        clock,
                        remaining,
                        acks: 0,
                        report,
                    },
                );
                if remaining == 0 {
                    self.finish_put(now, qid);
                }
            }
        }
    }

    fn store_done(&mut self, now: Instant, qid: QueryId, accepted: bool) {
        let Some(Query::Storing {
            clock,
            remaining,
            acks,
            ..
        }) = self.queries.get_mut(&qid)
        else {
            return;
        };
        *remaining = remaining.saturating_sub(1);
        if accepted {
            *acks += 1;
            clock.stats.responses += 1;
        } else {
            clock.stats.failures += 1;
        }
        if *remaining == 0 {
            self.finish_put(now, qid);
        }
    }

    fn finish_put(&mut self, now: Instant, qid: QueryId) {
        if let Some(Query::Storing {
            clock,
            acks,
            report,
            ..
        }) = self.queries.remove(&qid)
        {
            if report {
                self.report(qid, QueryResult::Put { replicas: acks }, clock, now);
            }
        }
    }

    fn ping_done(&mut self, now: Instant, qid: QueryId, alive: bool) {
        if let Some(Query::Ping { mut clock }) = self.queries.remove(&qid) {
            if alive {
                clock.stats.responses = 1;
                clock.stats.hops = 1;
            } else {
                clock.stats.failures = 1;
            }
            self.report(qid, QueryResult::Ping { alive }, clock, now);
        }
    }

    fn report(&mut self, id: QueryId, result: QueryResult<A, K>, clock: StatsClock, now: Instant) {
        self.query_events.push_back(Event::QueryFinished {
            id,
            result,
            stats: clock.finish(now),
        });
    }

    // ----- maintenance -----

    fn refresh_bucket(&mut self, now: Instant, bucket: usize) -> Result<QueryId, CommandError> {
        let target = self
            .id
            .random_in_bucket(bucket, &mut self.rng)
            .unwrap_or(self.id);
        self.start_lookup(now, target, Goal::Refresh, [])
    }

    /// Periodic work: expire records, republish and re-put them, refresh stale buckets, and
    /// ping contacts silent for the peer timeout. Internal queries use at most half of the
    /// free query slots so that the caller's commands are not starved.
    fn maintain(&mut self, now: Instant) {
        self.store.expire(now);
        let c = self.config.clone();
        let room = |node: &Self| c.max_queries.saturating_sub(node.queries.len()) / 2;

        let reputs = self
            .store
            .due_reput(now, c.reput_interval, c.storage_timeout, room(self));
        let republishes = self.store.due_republish(
            now,
            c.republish_interval,
            room(self).saturating_sub(reputs.len()),
        );
        for (key, value, expires) in reputs.into_iter().chain(republishes) {
            let goal = Goal::Put {
                value,
                expires,
                report: false,
            };
            if self.start_lookup(now, key, goal, []).is_err() {
                break;
            }
        }

        if !self.routing.is_empty() {
            for bucket in self.routing.stale_buckets(now, c.refresh_interval) {
                if room(self) == 0 || self.refresh_bucket(now, bucket).is_err() {
                    break;
                }
            }
        }

        let budget = c.max_pending_requests.saturating_sub(self.pending.len()) / 2;
        for id in self
            .routing
            .silent(now, c.peer_timeout)
            .into_iter()
            .take(budget)
        {
            if self.routing.start_ping(&id) {
                if let Some(contact) = self.routing.get(&id).map(|e| e.contact().clone()) {
                    self.check(now, contact);
                }
            }
        }
    }
}

/// Whether `response` is a valid answer to a request of `kind`.
fn answers<A, K>(kind: Kind, response: &Response<A, K>) -> bool {
    matches!(
        (kind, response),
        (Kind::Ping, Response::Pong)
            | (Kind::FindNode, Response::Nodes { .. })
            | (
                Kind::FindValue,
                Response::Nodes { .. } | Response::Value { .. }
            )
            | (Kind::Store, Response::Stored { .. })
    )
}
