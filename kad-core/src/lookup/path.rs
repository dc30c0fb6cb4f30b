//! One disjoint path of a lookup (see the lookup's documentation), and when the values the
//! paths found count.

use super::Found;

/// How many disjoint paths must have found the same value for a lookup over several paths
/// to return it.
const CONFIRMATIONS: usize = 2;

/// One disjoint path of a lookup.
#[derive(Clone, Debug)]
pub(super) struct Path<K> {
    pub(super) in_flight: usize,
    /// Requests allowed in flight: alpha, then k once the path stops getting closer.
    pub(super) parallelism: usize,
    /// Answers in a row that brought nothing closer.
    pub(super) stalled: usize,
    /// The value this path found, if any: it asks nobody more.
    pub(super) value: Option<Found<K>>,
}

impl<K> Path<K> {
    pub(super) fn new(alpha: usize) -> Self {
        Path {
            in_flight: 0,
            parallelism: alpha,
            stalled: 0,
            value: None,
        }
    }
}

/// `value` as the lookup's result, if it counts: one path decides alone; of several,
/// [`CONFIRMATIONS`] must have found it. It keeps the shortest lifetime they were told, so
/// that no single path can stretch how long it is cached.
pub(super) fn confirmed<K: Clone>(paths: &[Path<K>], value: &[u8]) -> Option<Found<K>> {
    let mut agreeing = paths
        .iter()
        .filter_map(|p| p.value.as_ref())
        .filter(|v| v.value == value);
    let first = agreeing.next()?.clone();
    let mut count = 1;
    let mut ttl_secs = first.ttl_secs;
    for v in agreeing {
        count += 1;
        ttl_secs = ttl_secs.min(v.ttl_secs);
    }
    (count >= CONFIRMATIONS.min(paths.len())).then_some(Found { ttl_secs, ..first })
}
