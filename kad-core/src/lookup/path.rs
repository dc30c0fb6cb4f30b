//! One disjoint path of a lookup (see the lookup's documentation), and when the values the
//! paths found count.

use super::Found;
use crate::key::KeyType;

/// How many disjoint paths at least must have found the same value for a lookup over several
/// paths to return it.
const CONFIRMATIONS: usize = 2;

/// One disjoint path of a lookup.
#[derive(Clone, Debug)]
pub(super) struct Path<K> {
    pub(super) in_flight: usize,
    /// Requests allowed in flight: alpha, then k once the path stops getting closer.
    pub(super) parallelism: usize,
    /// Answers in a row that brought nothing closer.
    pub(super) stalled: usize,
    /// The first value this path found, if any: it asks nobody more.
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

/// The value the paths settled on, if they have, as the lookup's result.
///
/// One path decides alone. Over several, the value most paths found wins once no other can
/// catch up with it, counting the `searching` paths that may still find one, and only if at
/// least [`CONFIRMATIONS`] paths found it: liars who all tell the same value win only where
/// they hold more paths than the honest nodes. When every path is over and two values found
/// by as many paths tie, the one told by the node closest to the target wins, since those
/// who hold a record are the closest to its key. The result keeps the shortest lifetime its
/// paths were told, so that no single path can stretch how long it is cached.
pub(super) fn settled<K: KeyType>(
    paths: &[Path<K>],
    searching: usize,
    target: &K,
) -> Option<Found<K>> {
    let mut tally: Vec<Tally<'_, K>> = Vec::new();
    for found in paths.iter().filter_map(|p| p.value.as_ref()) {
        let distance = found.from.distance(target);
        match tally.iter_mut().find(|t| t.found.record == found.record) {
            Some(t) => {
                t.paths += 1;
                t.ttl_secs = t.ttl_secs.min(found.ttl_secs);
                if distance < t.distance {
                    (t.found, t.distance) = (found, distance);
                }
            }
            None => tally.push(Tally {
                found,
                paths: 1,
                ttl_secs: found.ttl_secs,
                distance,
            }),
        }
    }
    // Most paths first, then the closest source.
    tally.sort_by(|a, b| b.paths.cmp(&a.paths).then(a.distance.cmp(&b.distance)));
    let leader = tally.first()?;
    let runner_up = tally.get(1).map_or(0, |t| t.paths);
    let unbeatable = if searching == 0 {
        true
    } else {
        leader.paths > runner_up + searching
    };
    (unbeatable && leader.paths >= CONFIRMATIONS.min(paths.len())).then(|| Found {
        ttl_secs: leader.ttl_secs,
        holders: leader.paths,
        ..leader.found.clone()
    })
}

/// The paths that found one value.
struct Tally<'a, K: KeyType> {
    /// What the path whose source is closest to the target found.
    found: &'a Found<K>,
    paths: usize,
    ttl_secs: u32,
    /// That source's distance to the target.
    distance: K::Distance,
}
