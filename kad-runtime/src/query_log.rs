//! The log line of a finished query: its kind, hops and latency at debug level, and how a
//! bootstrap went at info level (or as a warning if it reached nobody).

use kad_core::{QueryResult, QueryStats};
use kad_proto::Multiaddr;

/// Logs a finished query: every kind at debug level, a bootstrap also at info level, or as a
/// warning if it reached nobody.
pub(crate) fn finished<K>(result: &QueryResult<Multiaddr, K>, stats: &QueryStats) {
    let kind = match result {
        QueryResult::Bootstrap { closest } => {
            if closest.is_empty() {
                tracing::warn!(
                    requests = stats.requests,
                    failures = stats.failures,
                    "bootstrap failed: no seed or contact answered"
                );
            } else {
                tracing::info!(contacts = closest.len(), "bootstrap finished");
            }
            "bootstrap"
        }
        QueryResult::FindNode { .. } => "find_node",
        QueryResult::Get { .. } => "get",
        QueryResult::Put { .. } => "put",
        QueryResult::Ping { .. } => "ping",
        _ => "other",
    };
    tracing::debug!(
        kind,
        hops = stats.hops,
        latency = ?stats.duration,
        requests = stats.requests,
        failures = stats.failures,
        "query finished"
    );
}
