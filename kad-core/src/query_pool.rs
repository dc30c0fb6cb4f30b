//! The pool of running queries: each command's state from the moment it is given until its
//! [`Event::QueryFinished`](crate::Event::QueryFinished), the ids they are known by, and the
//! lookups waiting for a free request slot.
//!
//! The pool itself only holds state; the node drives it ([`Node::advance`] sends what a
//! lookup may send) because sending needs the routing table and the requests in flight.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use crate::address::{Address, AddressScope};
use crate::error::CommandError;
use crate::event::StatsClock;
use crate::ids::QueryId;
use crate::key::KeyType;
use crate::lookup::Lookup;
use crate::message::Request;
use crate::mutable_put::MutablePut;
use crate::node::Node;
use crate::pending::Purpose;
use crate::record::{Record, RecordKind};
use crate::storing::Storing;

/// Requests a join's bucket refresh ([`Goal::Fill`]) keeps in flight. One at a time, it
/// stops as soon as the bucket is filled instead of wasting the answers still due, and
/// every answer steers the next request; a join runs its refreshes side by side anyway.
const FILL_PARALLELISM: usize = 1;

/// What a lookup is for, and so what happens when it ends.
#[derive(Clone, Debug)]
pub(crate) enum Goal<A> {
    FindNode,
    Bootstrap(crate::bootstrap::Attempt<A>),
    Refresh,
    /// A bucket refresh of the join, for a bucket the self-lookup heard too little of: one
    /// request at a time, it ends as soon as the target's bucket holds this many contacts.
    Fill(usize),
    Get {
        /// The kind of record wanted: values of other kinds are skipped.
        kind: RecordKind,
        /// For a mutable get: this node's own copy and its lifetime, the newest so far.
        local: Option<(Record, u32)>,
    },
    /// A new version of a mutable record: a mutable get, then the put.
    PutMutable(Box<MutablePut>),
    Put {
        record: Record,
        /// When the record ends; the STOREs carry what remains of it when they are sent.
        expires: Instant,
        /// The sequence number the writer expects to replace (compare-and-swap).
        cas: Option<u64>,
        report: bool,
    },
}

impl<A> Goal<A> {
    /// The request a lookup for this goal sends about `target`.
    pub(crate) fn request<K>(&self, target: K) -> Request<K> {
        match self {
            Goal::Get { .. } | Goal::PutMutable(_) => Request::find_value(target),
            _ => Request::find_node(target),
        }
    }
}

/// One running command.
#[derive(Clone, Debug)]
pub(crate) enum Query<A, K: KeyType> {
    Lookup {
        lookup: Lookup<A, K>,
        goal: Goal<A>,
    },
    /// The STORE phase of a put, after its lookup.
    Storing(Storing<A, K>),
    Ping {
        clock: StatsClock,
    },
    /// A bootstrap that reached nobody, waiting to be tried again.
    BootstrapWait(crate::bootstrap::Attempt<A>),
}

/// Running queries by id, bounded by `max_queries`.
#[derive(Clone, Debug)]
pub(crate) struct QueryPool<A, K: KeyType> {
    queries: BTreeMap<QueryId, Query<A, K>>,
    last_id: u64,
    max: usize,
    /// Lookups that could not send for lack of request slots, in the order they stalled.
    starved: VecDeque<QueryId>,
}

impl<A, K: KeyType> QueryPool<A, K> {
    pub(crate) fn new(max: usize) -> Self {
        QueryPool {
            queries: BTreeMap::new(),
            last_id: 0,
            max,
            starved: VecDeque::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.queries.len()
    }

    /// Refuses a new query when `max_queries` are running.
    pub(crate) fn check_room(&self) -> Result<(), CommandError> {
        if self.queries.len() >= self.max {
            return Err(CommandError::TooManyQueries { max: self.max });
        }
        Ok(())
    }

    /// Half the query slots still free: what periodic work may start, so that the caller's
    /// commands are not starved.
    pub(crate) fn spare(&self) -> usize {
        self.max.saturating_sub(self.queries.len()) / 2
    }

    /// An id for a new query, if there is room for one.
    pub(crate) fn next_id(&mut self) -> Result<QueryId, CommandError> {
        self.check_room()?;
        self.last_id += 1;
        Ok(QueryId::new(self.last_id))
    }

    pub(crate) fn insert(&mut self, id: QueryId, query: Query<A, K>) {
        self.queries.insert(id, query);
    }

    pub(crate) fn get_mut(&mut self, id: &QueryId) -> Option<&mut Query<A, K>> {
        self.queries.get_mut(id)
    }

    /// Whether query `id` is a lookup for a mutable record, whose answers may carry one.
    pub(crate) fn wants_mutable(&self, id: &QueryId) -> bool {
        matches!(
            self.queries.get(id),
            Some(Query::Lookup {
                goal: Goal::Get {
                    kind: RecordKind::Mutable,
                    ..
                } | Goal::PutMutable(_),
                ..
            })
        )
    }

    pub(crate) fn remove(&mut self, id: &QueryId) -> Option<Query<A, K>> {
        let q = self.queries.remove(id);
        if self.queries.is_empty() {
            self.queries = BTreeMap::new();
        }
        if self.starved.is_empty() && self.starved.capacity() > 0 {
            self.starved = VecDeque::new();
        }
        q
    }

    /// The running queries, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&QueryId, &Query<A, K>)> {
        self.queries.iter()
    }

    /// Remembers that lookup `id` waits for a request slot.
    pub(crate) fn starve(&mut self, id: QueryId) {
        if !self.starved.contains(&id) {
            self.starved.push_back(id);
        }
    }

    /// The lookup that has waited longest for a request slot.
    pub(crate) fn pop_starved(&mut self) -> Option<QueryId> {
        self.starved.pop_front()
    }
}

impl<A: Address, K: KeyType> Node<A, K> {
    /// Starts a lookup of `target` from the routing table's closest contacts and `seeds`
    /// (addresses whose ids are not known).
    pub(crate) fn start_lookup<I: IntoIterator<Item = A>>(
        &mut self,
        now: Instant,
        target: K,
        goal: Goal<A>,
        seeds: I,
    ) -> Result<QueryId, CommandError> {
        let qid = self.queries.next_id()?;
        self.run_lookup(now, qid, target, goal, seeds);
        Ok(qid)
    }

    /// Runs a lookup under the id `qid`, already reserved.
    pub(crate) fn run_lookup<I: IntoIterator<Item = A>>(
        &mut self,
        now: Instant,
        qid: QueryId,
        target: K,
        goal: Goal<A>,
        seeds: I,
    ) {
        let c = &self.config;
        let mut lookup = Lookup::new(target, c.k, c.alpha, c.max_lookup_candidates, now)
            .with_retries(c.lookup_retries)
            .with_paths(c.disjoint_paths);
        // A mutable get ends early once its quorum heard the newest version; the lookup
        // of a mutable put asks the k closest all, as it stores at them.
        let mutable = match &goal {
            Goal::Get {
                kind: RecordKind::Mutable,
                local,
            } => Some((c.mutable_quorum, local)),
            Goal::PutMutable(put) => Some((usize::MAX, &put.local)),
            _ => None,
        };
        if let Some((quorum, local)) = mutable {
            lookup = lookup.with_quorum(quorum);
            if let Some((record, ttl_secs)) = local {
                lookup.offer_local(record.clone(), *ttl_secs, self.id);
            }
        }
        lookup.add_contacts(self.routing.closest(&target, c.k, None), 1);
        self.routing.touch(&target, now);
        for seed in seeds {
            let request = Request::find_node(target);
            if self.send_request(now, seed, None, request, Purpose::Lookup(qid)) {
                lookup.seed_sent();
            }
        }
        self.queries.insert(qid, Query::Lookup { lookup, goal });
        self.advance(now, qid);
    }

    /// Sends what lookup `qid` may send now, and finishes it if it is over.
    pub(crate) fn advance(&mut self, now: Instant, qid: QueryId) {
        loop {
            let Some(Query::Lookup { lookup, goal }) = self.queries.get_mut(&qid) else {
                return;
            };
            let filled = match goal {
                Goal::Fill(fill) => self
                    .routing
                    .bucket_index(lookup.target())
                    .is_some_and(|b| self.routing.bucket(b).len() >= *fill),
                _ => false,
            };
            if lookup.is_finished() || filled {
                self.finish_lookup(now, qid);
                return;
            }
            if matches!(goal, Goal::Fill(_)) && lookup.in_flight() >= FILL_PARALLELISM {
                return;
            }
            if self.pending.is_full() {
                self.queries.starve(qid);
                return;
            }
            let Some(contact) = lookup.next_request() else {
                return;
            };
            if contact.addr.scope() == Some(AddressScope::Unroutable) {
                // Only a contact the caller vouched for can be there; it counts as failed.
                lookup.on_failure(&contact.id);
                self.counters.unroutable_dropped += 1;
                self.log_unroutable_to(now, &contact.addr);
                continue;
            }
            let request = goal.request(*lookup.target());
            let id = contact.id;
            if !self.send_request(now, contact.addr, Some(id), request, Purpose::Lookup(qid)) {
                if let Some(Query::Lookup { lookup, .. }) = self.queries.get_mut(&qid) {
                    lookup.unsend(&id);
                }
                self.queries.starve(qid);
                return;
            }
        }
    }

    /// Gives lookups that waited for a free request slot another chance, oldest first.
    pub(crate) fn drive_starved(&mut self, now: Instant) {
        while !self.pending.is_full() {
            let Some(qid) = self.queries.pop_starved() else {
                return;
            };
            self.advance(now, qid);
        }
    }
}
