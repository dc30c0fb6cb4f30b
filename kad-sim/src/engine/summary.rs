//! Summing up a finished run: the [`Report`] assembled from the operation records, the
//! counters, the routing tables of the live nodes and the wall clock.

use std::collections::BTreeMap;

use super::{Sim, MICROS_PER_MS, MICROS_PER_SEC};
use crate::metrics::{Distribution, OpSummary, Outcome};
use crate::report::{
    AdversarialSummary, BootstrapSummary, MutableSummary, NetworkSummary, PreloadSummary, Report,
    RoutingSummary, Samples, ScenarioEcho, WallClock,
};
use crate::workload::OpKind;

/// Most live nodes whose neighbours are checked for neighbour awareness.
const NEIGHBOUR_SAMPLE: usize = 10_000;

impl<const N: usize> Sim<'_, N> {
    /// Samples up to [`NEIGHBOUR_SAMPLE`] live honest nodes and checks which of their k nearest
    /// live honest nodes have them in their routing table.
    pub(super) fn neighbour_awareness(&self) -> RoutingSummary {
        let step = (self.live.len() / NEIGHBOUR_SAMPLE).max(1);
        let (mut pairs, mut known, mut sampled) = (0u64, 0u64, 0usize);
        for &addr in self.live.iter().step_by(step) {
            let slot = &self.slots[addr as usize];
            let Some(id) = slot.node.as_ref().filter(|_| !slot.addr.is_adversary()) else {
                continue;
            };
            let id = *id.id();
            sampled += 1;
            for near in self.oracle.closest(&id, self.config.k, addr) {
                let Some(table) = self.slots[near as usize]
                    .node
                    .as_ref()
                    .map(|n| n.routing_table())
                else {
                    continue;
                };
                pairs += 1;
                let bucket = table.bucket_index(&id).map_or(&[][..], |b| table.bucket(b));
                known += u64::from(bucket.iter().any(|e| e.contact().id == id));
            }
        }
        RoutingSummary {
            contacts: Distribution::default(),
            neighbour_awareness: if pairs == 0 {
                1.0
            } else {
                known as f64 / pairs as f64
            },
            sampled_nodes: sampled,
        }
    }

    /// What the adversaries did, if there are any: their share of the honest routing tables
    /// is read from every live honest node.
    fn adversarial(&self) -> Option<AdversarialSummary> {
        if self.scenario.adversaries.fraction <= 0.0 {
            return None;
        }
        let (mut entries, mut adversarial) = (0u64, 0u64);
        for slot in self.slots.iter().filter(|s| !s.addr.is_adversary()) {
            if let Some(node) = &slot.node {
                for e in node.routing_table().iter() {
                    entries += 1;
                    adversarial += u64::from(e.contact().addr.is_adversary());
                }
            }
        }
        Some(AdversarialSummary {
            created: self.count.adversaries,
            live: self
                .live
                .iter()
                .filter(|&&a| self.slots[a as usize].addr.is_adversary())
                .count(),
            requests: self.count.adversary_requests,
            pushes: self.count.adversary_pushes,
            share_of_tables: if entries == 0 {
                0.0
            } else {
                adversarial as f64 / entries as f64
            },
            wrong_values: self.count.wrong_values,
        })
    }

    pub(super) fn report(mut self) -> Report {
        let s = self.scenario;
        let mut by_kind = BTreeMap::new();
        let mut samples = Samples::default();
        for kind in OpKind::ALL {
            let summary = OpSummary::of(self.ops.iter().filter(|r| r.kind == kind));
            by_kind.insert(kind.name(), summary);
            let finished = || {
                self.ops.iter().filter(move |r| {
                    r.kind == kind && matches!(r.outcome, Outcome::Succeeded | Outcome::Failed)
                })
            };
            samples.latency_ms.insert(
                kind,
                finished()
                    .map(|r| r.latency_us as f64 / MICROS_PER_MS)
                    .collect(),
            );
            samples
                .hops
                .insert(kind, finished().map(|r| f64::from(r.hops)).collect());
        }
        let mut tables: Vec<f64> = self
            .slots
            .iter()
            .filter_map(|slot| slot.node.as_ref())
            .map(|node| node.routing_table().len() as f64)
            .collect();
        let routing = RoutingSummary {
            contacts: Distribution::of(&mut tables),
            ..self.neighbour_awareness()
        };
        let measured_secs = (self.now.saturating_sub(self.measure_start)) as f64 / MICROS_PER_SEC;
        let measured_msgs = self.count.messages_sent - self.count.messages_at_measure;
        let network = NetworkSummary {
            sim_seconds: self.now as f64 / MICROS_PER_SEC,
            measure_start_seconds: self.measure_start as f64 / MICROS_PER_SEC,
            events: self.count.events,
            peak_queued_events: self.queue.peak,
            peak_in_flight: self.count.peak_flights,
            joins: self.count.joins,
            leaves: self.count.leaves,
            live_nodes: self.live.len(),
            messages_sent: self.count.messages_sent,
            messages_lost: self.count.messages_lost,
            messages_to_departed: self.count.messages_to_departed,
            bytes_sent: self.count.bytes_sent,
            messages_per_node_per_second: if measured_secs > 0.0 && !self.live.is_empty() {
                measured_msgs as f64 / measured_secs / self.live.len() as f64
            } else {
                0.0
            },
        };
        let bootstrap = BootstrapSummary {
            finished: self.bootstrap_latency.len(),
            retries: self.count.bootstrap_retries,
            failed: self.count.bootstrap_failed,
            left_while_joining: self.count.bootstrap_left,
            latency_ms: Distribution::of(&mut self.bootstrap_latency),
            requests: Distribution::of(&mut self.bootstrap_requests),
            seconds: self.bootstrap_end as f64 / MICROS_PER_SEC,
        };
        let preload = PreloadSummary {
            puts: self.count.preload_puts,
            succeeded: self.count.preload_ok,
            mean_replicas: if self.count.preload_puts > 0 {
                self.count.preload_replicas as f64 / self.count.preload_puts as f64
            } else {
                0.0
            },
        };
        let wall_seconds = self.wall_start.elapsed().as_secs_f64();
        let (join_seconds, rss_joined) = self
            .wall_join
            .unwrap_or((wall_seconds, crate::memory::current_rss()));
        let wall = WallClock {
            seconds: wall_seconds,
            join_seconds,
            events_per_second: self.count.events as f64 / wall_seconds.max(1e-9),
            peak_rss_bytes: crate::memory::peak_rss(),
            rss_per_node_bytes: rss_joined.saturating_sub(self.rss_start) / s.nodes.max(1) as u64,
        };
        let scenario = ScenarioEcho {
            nodes: s.nodes,
            lookups: s.lookups,
            rate: s.rate,
            mix: s.mix,
            keys: s.keys,
            key_distribution: s.key_distribution,
            value_size: s.value_size,
            churn: s.churn,
            network: s.network.clone(),
            join: s.join,
            settle: s.settle,
            drain: s.drain,
            key_bits: s.key_bits.bits(),
            adversaries: s.adversaries,
            records: s.records,
            disjoint_paths: self.config.disjoint_paths,
            k: self.config.k,
            alpha: self.config.alpha,
            bootstrap_refresh: self.config.bootstrap_refresh,
            request_timeout: self.config.request_timeout,
            maintenance_interval: self.config.maintenance_interval,
            seed: s.seed,
        };
        Report {
            scenario,
            network,
            bootstrap,
            preload,
            lookups: OpSummary::of(self.ops.iter()),
            by_kind,
            routing,
            adversarial: self.adversarial(),
            mutable: self.mutable.as_ref().map(|w| MutableSummary {
                reads_after_update: w.reads_after_update,
                newest_after_update: w.newest_after_update,
            }),
            wall,
            samples,
        }
    }
}
