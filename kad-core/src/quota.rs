//! How many records each subnet has had this node store for it: a bound on what one IPv4 /24
//! or IPv6 /64 can take of the record store, with tokens it can legitimately get for its own
//! addresses.

use std::collections::HashMap;

use crate::address::Subnet;

/// Records held per origin subnet, at most `max` each.
#[derive(Clone, Debug)]
pub(crate) struct SubnetQuota {
    counts: HashMap<Subnet, usize>,
    max: usize,
}

impl SubnetQuota {
    pub(crate) fn new(max: usize) -> Self {
        SubnetQuota {
            counts: HashMap::new(),
            max,
        }
    }

    /// Whether `origin` may have one more record stored (a record of no origin always may).
    pub(crate) fn admits(&self, origin: Option<Subnet>) -> bool {
        origin.is_none_or(|s| self.counts.get(&s).copied().unwrap_or(0) < self.max)
    }

    /// A record of `origin` was stored.
    pub(crate) fn add(&mut self, origin: Option<Subnet>) {
        if let Some(subnet) = origin {
            *self.counts.entry(subnet).or_insert(0) += 1;
        }
    }

    /// A record of `origin` left the store.
    pub(crate) fn remove(&mut self, origin: Option<Subnet>) {
        let Some(subnet) = origin else {
            return;
        };
        if let Some(count) = self.counts.get_mut(&subnet) {
            *count -= 1;
            if *count == 0 {
                self.counts.remove(&subnet);
            }
        }
    }
}
