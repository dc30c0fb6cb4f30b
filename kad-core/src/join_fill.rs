//! Filling the buckets of a join from what its self-lookup heard.
//!
//! A self-lookup leaves the buckets near the node's own id complete (every node of a bucket
//! deeper than the k-th closest is closer than it, so the lookup found them all) and the
//! farther ones nearly empty, so the join fills each farther bucket to
//! [`Config::bootstrap_refresh_fill`] contacts (more in a network so small that those buckets
//! are few, see [`join_fill`]). The self-lookup's answers already named
//! contacts in most of those buckets (every answer carries k contacts, and the first ones come
//! from far away); a lookup discards them, as they are far from the node's own id. Here
//! the bootstrap keeps up to `bootstrap_refresh_fill` of them per bucket, and the join pings
//! them (they enter the table if they answer, as any contact must) instead of running a
//! lookup into their bucket. Only a bucket the answers said too little about is refreshed
//! with a lookup, one request at a time. A ping costs its recipient far less than a
//! FIND_NODE, and a join needs a few of them instead of a lookup's rounds.
//!
//! What a stranger can make of it: the contacts come from answers to the node's own
//! requests, whose candidates a lookup asks anyway; at most `bootstrap_refresh_fill` per
//! bucket are kept (so at most `bootstrap_refresh_fill` times the key's bits, whatever the
//! answers say) and each is pinged once, so a lying seed makes a joining node send at most
//! one small request per contact it named, as a lookup through it would.
//!
//! [`Config::bootstrap_refresh_fill`]: crate::Config::bootstrap_refresh_fill

use std::time::Instant;

use crate::address::Address;
use crate::config::Config;
use crate::contact::Contact;
use crate::key::KeyType;
use crate::membership::Verification;
use crate::node::Node;
use crate::query_pool::Goal;
use crate::routing::RoutingTable;

/// Contacts a running bootstrap heard of, by bucket, for the join to ping.
#[derive(Clone, Debug)]
pub(crate) struct Heard<A, K> {
    /// `(bucket, contact)` sorted by bucket, at most `per_bucket` of each bucket, ids unique;
    /// emptied (and its memory given back) when the join fills its buckets.
    contacts: Vec<(usize, Contact<A, K>)>,
}

impl<A: Address, K: KeyType> Heard<A, K> {
    pub(crate) fn new() -> Self {
        Heard {
            contacts: Vec::new(),
        }
    }

    /// Keeps those of `contacts` whose bucket in `routing` and among those heard so far still
    /// has fewer than `per_bucket`.
    pub(crate) fn hear(
        &mut self,
        contacts: &[Contact<A, K>],
        routing: &RoutingTable<A, K>,
        per_bucket: usize,
    ) {
        for contact in contacts {
            let Some(bucket) = routing.bucket_index(&contact.id) else {
                continue;
            };
            // Most contacts of an answer fall in buckets the table already fills.
            let in_table = routing.bucket(bucket).len();
            if in_table >= per_bucket {
                continue;
            }
            // An id always falls in the same bucket: only that bucket's contacts are read,
            // and the table's own lookup, a bucket scan, comes last.
            let start = self.contacts.partition_point(|(b, _)| *b < bucket);
            let end = start + self.contacts[start..].partition_point(|(b, _)| *b == bucket);
            if in_table + (end - start) < per_bucket
                && self.contacts[start..end]
                    .iter()
                    .all(|(_, c)| c.id != contact.id)
                && !routing.contains(&contact.id)
            {
                self.contacts.insert(end, (bucket, contact.clone()));
            }
        }
    }

    /// Takes every contact heard of, leaving nothing (and no capacity) behind.
    fn take(&mut self) -> Vec<(usize, Contact<A, K>)> {
        std::mem::take(&mut self.contacts)
    }
}

impl<A: Address, K: KeyType> Node<A, K> {
    /// Fills buckets `0..end` (those the self-lookup of a join did not complete) that hold
    /// fewer than [`join_fill`]: pings what the self-lookup heard of them, and refreshes with
    /// a lookup those it heard too little of.
    pub(crate) fn fill_buckets(&mut self, now: Instant, end: usize) {
        let fill = join_fill(&self.config, end);
        let heard = self.heard.take();
        for bucket in 0..end {
            let mut missing = fill.saturating_sub(self.routing.bucket(bucket).len());
            if missing == 0 {
                continue;
            }
            let start = heard.partition_point(|(b, _)| *b < bucket);
            let in_bucket = heard[start..].iter().take_while(|(b, _)| *b == bucket);
            for (_, contact) in in_bucket {
                if missing == 0 {
                    break;
                }
                if self.routing.contains(&contact.id) {
                    continue;
                }
                if self.verify(now, contact.clone(), Verification::Join) {
                    missing -= 1;
                }
            }
            let refresh =
                missing > 0 && self.refresh_bucket(now, bucket, Goal::Fill(fill)).is_err();
            if refresh {
                // Every query slot is taken: maintenance refreshes the rest later.
                break;
            }
        }
    }
}

/// How many contacts a join fills each of its `far` far buckets to: `bootstrap_refresh_fill`,
/// and in a network so small that its far buckets are few, enough for k in all among them.
/// (A node of a 64-node network has two far buckets, which hold 48 nodes; one of a 10 000-node
/// network has about nine.) A small network's routing tables are then nearly complete, as the
/// paper's bucket refresh leaves them, for a few more pings and requests per join; those of a
/// large one cost what they did.
fn join_fill(config: &Config, far: usize) -> usize {
    config
        .bootstrap_refresh_fill
        .max(config.k.div_ceil(far.max(1)))
}
