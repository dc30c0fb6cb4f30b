//! Requests in flight: who each was sent to, why, and when it times out.
//!
//! A response is accepted only if its transaction id is pending, it comes from the address the
//! request went to, it answers that kind of request, and (when the peer's id is known) it is
//! signed with that id. The table is bounded by `max_pending_requests`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use crate::address::Address;
use crate::ids::{QueryId, TxId};

/// Deadlines of answered requests the heap may hold beyond twice its bound.
const DEADLINE_SLACK: usize = 16;

/// Gives back what an emptied heap held: an idle node (most of a simulator's million) then
/// holds no memory for the requests of its busiest moment.
fn release_if_empty<T: Ord>(heap: &mut BinaryHeap<T>) {
    if heap.is_empty() && heap.capacity() > 0 {
        *heap = BinaryHeap::new();
    }
}

/// Why a request was sent: where its answer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A step of lookup `QueryId`.
    Lookup(QueryId),
    /// A STORE of put `QueryId`.
    Store(QueryId),
    /// A STORE nobody waits for (caching, replication to a newly joined node).
    Replicate,
    /// The user's `ping`.
    Ping(QueryId),
    /// A liveness check of a routing-table contact: removed if it fails.
    Check,
    /// A ping to a routing-table contact met stale in an answer: its failure counts as one
    /// failed request (`max_failures` of them remove it), so that one lost datagram does
    /// not cost a live contact its place.
    Recheck,
    /// A ping to a node not yet in the routing table (a stranger that sent a request, a
    /// replacement about to be promoted): it enters the table only if it answers.
    Verify,
    /// A FIND_NODE to a new contact for the write token that the records it should hold
    /// need.
    Handover,
}

/// The kind of request, to check that a response answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Ping,
    FindNode,
    FindValue,
    Store,
}

#[derive(Clone, Debug)]
pub(crate) struct Pending<A, K> {
    pub(crate) to: A,
    /// The peer's id when known (unknown for seeds given by address only).
    pub(crate) id: Option<K>,
    pub(crate) kind: Kind,
    pub(crate) purpose: Purpose,
    /// When it was sent: it counts as failed the request timeout later.
    pub(crate) sent: Instant,
    /// When, in milliseconds after `sent`, its sender stops waiting for it (a lookup's or a
    /// put's soft timeout), if before the request timeout. Four bytes: a simulator keeps
    /// hundreds of thousands of requests in flight.
    pub(crate) soft_after_ms: Option<NonZeroU32>,
}

#[derive(Clone, Debug)]
pub(crate) struct PendingRequests<A, K> {
    requests: BTreeMap<TxId, Pending<A, K>>,
    /// Deadlines, earliest first; entries whose request was answered are skipped lazily.
    deadlines: BinaryHeap<Reverse<(Instant, TxId)>>,
    /// Soft deadlines, likewise.
    soft_deadlines: BinaryHeap<Reverse<(Instant, TxId)>>,
    /// How long a request waits for its answer: the request timeout.
    timeout: Duration,
    /// Answers owed per destination IP: each request in flight lets one datagram from its
    /// IP through the per-source rate limit, so that a burst of this node's own requests to
    /// one IP is not cut short, and a stranger gains one datagram per request of ours.
    owed: HashMap<IpAddr, u32>,
    /// Whether `owed` is kept: from the first [`track_owed`](Self::track_owed), so that a
    /// node whose driver never rate-limits (a simulator's million) pays nothing for it.
    tracking: bool,
    max: usize,
}

impl<A: Address, K> PendingRequests<A, K> {
    pub(crate) fn new(max: usize, timeout: Duration) -> Self {
        PendingRequests {
            timeout,
            requests: BTreeMap::new(),
            deadlines: BinaryHeap::new(),
            soft_deadlines: BinaryHeap::new(),
            owed: HashMap::new(),
            tracking: false,
            max,
        }
    }

    /// Spends one answer owed by `ip`, if any: a datagram from it that is over its rate may
    /// still pass.
    pub(crate) fn take_owed(&mut self, ip: IpAddr) -> bool {
        let Some(count) = self.owed.get_mut(&ip) else {
            return false;
        };
        *count -= 1;
        if *count == 0 {
            self.owed.remove(&ip);
        }
        true
    }

    /// Whether a request to the node `id` is in flight.
    pub(crate) fn has_request_to(&self, id: &K) -> bool
    where
        K: PartialEq,
    {
        self.requests.values().any(|p| p.id.as_ref() == Some(id))
    }

    /// Keeps count of the answers owed from now on.
    pub(crate) fn track_owed(&mut self) {
        self.tracking = true;
    }

    fn note_sent(&mut self, to: &A) {
        if !self.tracking {
            return;
        }
        if let Some(socket) = to.socket_addr() {
            *self.owed.entry(socket.ip()).or_insert(0) += 1;
        }
    }

    /// A request to `to` was answered or timed out: it owes nothing more (if its answer
    /// came within the rate, the allowance it left goes now).
    fn note_done(&mut self, to: &A) {
        if !self.tracking {
            return;
        }
        if let Some(socket) = to.socket_addr() {
            self.take_owed(socket.ip());
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.requests.len()
    }

    /// The most deadlines the heap keeps before it sheds those of answered requests: twice
    /// the requests it may hold, plus [`DEADLINE_SLACK`] so that a tiny table does not sweep on
    /// every insert.
    fn max_deadlines(&self) -> usize {
        self.max.saturating_mul(2).saturating_add(DEADLINE_SLACK)
    }

    /// Half the slots still free: what background work (liveness checks, replication) may take,
    /// leaving the rest to lookups.
    pub(crate) fn spare(&self) -> usize {
        self.max.saturating_sub(self.requests.len()) / 2
    }

    pub(crate) fn is_full(&self) -> bool {
        self.requests.len() >= self.max
    }

    pub(crate) fn contains(&self, tx: &TxId) -> bool {
        self.requests.contains_key(tx)
    }

    /// Adds a request; the caller checked `is_full` and picked an unused `tx`.
    pub(crate) fn insert(&mut self, tx: TxId, pending: Pending<A, K>) {
        self.deadlines
            .push(Reverse((pending.sent + self.timeout, tx)));
        if let Some(ms) = pending.soft_after_ms {
            let soft = pending.sent + Duration::from_millis(u64::from(ms.get()));
            self.soft_deadlines.push(Reverse((soft, tx)));
        }
        self.note_sent(&pending.to);
        self.requests.insert(tx, pending);
        // Answered requests leave their deadlines behind; drop them before a heap outgrows
        // the bound.
        let max = self.max_deadlines();
        let requests = &self.requests;
        for heap in [&mut self.deadlines, &mut self.soft_deadlines] {
            if heap.len() > max {
                heap.retain(|Reverse((_, tx))| requests.contains_key(tx));
            }
        }
    }

    pub(crate) fn get(&self, tx: &TxId) -> Option<&Pending<A, K>> {
        self.requests.get(tx)
    }

    /// An emptied map keeps its last leaf (about 800 bytes): give it back.
    fn release_if_idle(&mut self) {
        if self.requests.is_empty() {
            self.requests = BTreeMap::new();
        }
    }

    pub(crate) fn remove(&mut self, tx: &TxId) -> Option<Pending<A, K>> {
        let removed = self.requests.remove(tx);
        self.release_if_idle();
        if let Some(p) = &removed {
            self.note_done(&p.to);
        }
        // Drop answered requests from the top of the heap, so that `next_deadline` names a
        // request still waiting and an idle node does not wake for nothing.
        let requests = &self.requests;
        for heap in [&mut self.deadlines, &mut self.soft_deadlines] {
            while let Some(Reverse((_, top))) = heap.peek() {
                if requests.contains_key(top) {
                    break;
                }
                heap.pop();
            }
            release_if_empty(heap);
        }
        removed
    }

    /// The earliest deadline, soft or not, still in the heaps (possibly of an answered
    /// request: a harmless early wake-up).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let hard = self.deadlines.peek().map(|Reverse((t, _))| *t);
        let soft = self.soft_deadlines.peek().map(|Reverse((t, _))| *t);
        match (hard, soft) {
            (Some(h), Some(s)) => Some(h.min(s)),
            (h, s) => h.or(s),
        }
    }

    /// One request still pending whose soft deadline is at or before `now`. It stays pending
    /// until it is answered or its deadline passes.
    pub(crate) fn pop_soft_expired(&mut self, now: Instant) -> Option<Pending<A, K>>
    where
        A: Clone,
        K: Clone,
    {
        while let Some(Reverse((deadline, tx))) = self.soft_deadlines.peek().copied() {
            if deadline > now {
                return None;
            }
            self.soft_deadlines.pop();
            if let Some(pending) = self.requests.get(&tx) {
                return Some(pending.clone());
            }
        }
        release_if_empty(&mut self.soft_deadlines);
        None
    }

    /// Removes and returns one request whose deadline is at or before `now`.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<(TxId, Pending<A, K>)> {
        while let Some(Reverse((deadline, tx))) = self.deadlines.peek().copied() {
            if deadline > now {
                return None;
            }
            self.deadlines.pop();
            if let Some(p) = self.requests.remove(&tx) {
                self.release_if_idle();
                self.note_done(&p.to);
                return Some((tx, p));
            }
        }
        release_if_empty(&mut self.deadlines);
        None
    }
}
