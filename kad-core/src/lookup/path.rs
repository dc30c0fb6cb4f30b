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

/// Whether `value` counts: one path decides alone; of several, [`CONFIRMATIONS`] must have
/// found it.
pub(super) fn confirmed<K>(paths: &[Path<K>], value: &[u8]) -> bool {
    let agreeing = paths
        .iter()
        .filter(|p| p.value.as_ref().is_some_and(|v| v.value == value))
        .count();
    agreeing >= CONFIRMATIONS.min(paths.len())
}
