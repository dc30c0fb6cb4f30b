//! What a node reports to its caller through [`Node::poll_event`](crate::Node::poll_event).

use std::time::{Duration, Instant};

use crate::contact::Contact;
use crate::ids::QueryId;
use crate::record::Record;

/// Something the caller may want to know about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<A, K> {
    /// A command finished.
    QueryFinished {
        /// The id the command returned.
        id: QueryId,
        /// What it found.
        result: QueryResult<A, K>,
        /// How it went.
        stats: QueryStats,
    },
    /// A contact entered the routing table.
    ContactAdded {
        /// The new contact.
        contact: Contact<A, K>,
        /// Its bucket (the length of the prefix it shares with this node's id).
        bucket: usize,
    },
    /// A contact left the routing table (failed too often, silent too long, or evicted).
    ContactRemoved {
        /// The removed contact.
        contact: Contact<A, K>,
    },
}

/// The result of a finished command.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryResult<A, K> {
    /// `bootstrap` finished: the closest contacts to this node's own id (empty if every
    /// attempt reached nobody).
    Bootstrap {
        /// Closest first, at most k.
        closest: Vec<Contact<A, K>>,
    },
    /// `find_node` finished.
    FindNode {
        /// The k closest contacts that answered, closest first.
        closest: Vec<Contact<A, K>>,
    },
    /// `get` (or `get_record`) finished.
    Get {
        /// The record, if any node (or this one) had one the validator takes: for a
        /// mutable record, the newest version heard.
        record: Option<Record>,
        /// How many answers carried it: the paths that found it, or for a mutable record
        /// the nodes that held that version (this node's own copy not counted).
        holders: usize,
        /// For a mutable record: nodes among the closest that held an older version, to
        /// which the newest was written back.
        repaired: usize,
    },
    /// `put` (or `put_record`) finished.
    Put {
        /// How many nodes acknowledged the STORE (this node's own copy not counted).
        replicas: usize,
        /// For a mutable record: the highest sequence number of the newer versions held by
        /// nodes that refused it, if any did (for a `put_mutable` with an expected sequence
        /// number, a newer version found before anything was stored).
        superseded: Option<u64>,
        /// For a mutable record: the sequence number of the version put.
        seq: Option<u64>,
    },
    /// `ping` finished.
    Ping {
        /// Whether the contact answered in time.
        alive: bool,
    },
}

/// Statistics of one command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueryStats {
    /// Requests sent.
    pub requests: u32,
    /// Responses received.
    pub responses: u32,
    /// Requests that failed (timed out).
    pub failures: u32,
    /// Longest chain of "learned from" among contacts that answered: 1 when only contacts from
    /// the routing table answered.
    pub hops: u32,
    /// From the command to its result.
    pub duration: Duration,
}

/// When a command started, kept beside its stats until it finishes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatsClock {
    pub(crate) started: Instant,
    pub(crate) stats: QueryStats,
}

impl StatsClock {
    pub(crate) fn new(now: Instant) -> Self {
        StatsClock {
            started: now,
            stats: QueryStats::default(),
        }
    }

    /// Folds in the attempts before this one (a bootstrap tried again): the start of the
    /// first, and what they sent and heard.
    pub(crate) fn absorb(&mut self, earlier: StatsClock) {
        self.started = self.started.min(earlier.started);
        self.stats.requests += earlier.stats.requests;
        self.stats.responses += earlier.stats.responses;
        self.stats.failures += earlier.stats.failures;
        self.stats.hops = self.stats.hops.max(earlier.stats.hops);
    }

    pub(crate) fn finish(mut self, now: Instant) -> QueryStats {
        self.stats.duration = now.saturating_duration_since(self.started);
        self.stats
    }
}
