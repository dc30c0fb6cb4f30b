//! Scoring finished queries: a bootstrap ends a join, a preload put counts its
//! replicas, and a measured operation is checked against the [oracle](crate::oracle) and
//! recorded as succeeded or failed. A get succeeds with the value that was put only, and a
//! find_node is judged on the honest nodes it returned: exact when they are the k closest
//! honest live nodes.

use kad_core::{Key, QueryId, QueryResult};

use super::{Sim, Tracked, MICROS_PER_MS};
use crate::address::SimAddr;
use crate::metrics::Outcome;
use crate::progress::Phase;

impl<const N: usize> Sim<'_, N> {
    /// Scores a finished query; returns whether it was the node's bootstrap.
    pub(super) fn query_finished(
        &mut self,
        addr: u32,
        id: QueryId,
        result: QueryResult<SimAddr, Key<N>>,
        stats: kad_core::QueryStats,
    ) -> bool {
        let Some(tracked) = self.queries.remove(&(addr, id)) else {
            return false;
        };
        match tracked {
            Tracked::Bootstrap { initial, started } => {
                let found =
                    matches!(&result, QueryResult::Bootstrap { closest } if !closest.is_empty());
                self.slots[addr as usize].joining = false;
                if found {
                    self.slots[addr as usize].joined = true;
                } else {
                    self.count.bootstrap_failed += 1;
                }
                if initial {
                    self.count.initial_joined += 1;
                    let latency = self.now.saturating_sub(started) as f64 / MICROS_PER_MS;
                    self.bootstrap_latency.push(latency);
                    self.bootstrap_requests.push(f64::from(stats.requests));
                    self.check_joined();
                }
                return true;
            }
            Tracked::Preload => {
                if let QueryResult::Put { replicas, .. } = result {
                    self.count.preload_ok += usize::from(replicas > 0);
                    self.count.preload_replicas += replicas;
                }
            }
            Tracked::Op(op) => {
                let mut target = None;
                if let Some(list) = self.active.get_mut(&addr) {
                    if let Some(i) = list.iter().position(|(o, _)| *o == op) {
                        target = Some(list.swap_remove(i).1);
                    }
                    if list.is_empty() {
                        self.active.remove(&addr);
                    }
                }
                let mut recall = (0u16, 0u16);
                let (ok, closest_found) = match (&result, target) {
                    (QueryResult::Get { record, .. }, _) if self.mutable.is_some() => {
                        let newest = self
                            .mutable
                            .as_mut()
                            .map(|w| w.get_finished(op, record.as_ref()));
                        (newest == Some(true), false)
                    }
                    (
                        QueryResult::Put {
                            replicas,
                            superseded,
                            seq,
                        },
                        _,
                    ) if self.mutable.is_some() => {
                        let ok = *replicas > 0 && superseded.is_none();
                        if let Some(w) = self.mutable.as_mut() {
                            w.put_finished(op, seq.filter(|_| ok));
                        }
                        (ok, false)
                    }
                    (
                        QueryResult::Get {
                            record: Some(record),
                            ..
                        },
                        _,
                    ) => {
                        // Only the value that was put counts: an adversary may lie.
                        let right = record.value() == self.value.as_slice();
                        self.count.wrong_values += usize::from(!right);
                        (right, false)
                    }
                    (QueryResult::Get { record: None, .. }, _) => (false, false),
                    (QueryResult::Put { replicas, .. }, _) => (*replicas > 0, false),
                    (QueryResult::FindNode { closest }, Some(target)) => {
                        // The k closest honest live nodes, against the honest nodes returned.
                        let truth = self.oracle.closest(&target, self.config.k, addr);
                        let got: Vec<u32> = closest
                            .iter()
                            .filter(|c| !c.addr.is_adversary())
                            .map(|c| c.addr.index())
                            .collect();
                        let hits = truth.iter().filter(|a| got.contains(a)).count();
                        recall = (hits as u16, truth.len() as u16);
                        (
                            got == truth,
                            !got.is_empty() && got.first() == truth.first(),
                        )
                    }
                    _ => (false, false),
                };
                if let Some(r) = self.ops.get_mut(op as usize) {
                    r.hops = stats.hops;
                    r.latency_us = u64::try_from(stats.duration.as_micros()).unwrap_or(u64::MAX);
                    r.closest_found = closest_found;
                    (r.recall, r.recall_of) = recall;
                }
                self.finish_op(
                    op,
                    if ok {
                        Outcome::Succeeded
                    } else {
                        Outcome::Failed
                    },
                );
            }
        }
        false
    }

    /// Notes the end of the join phase when the last initial bootstrap has finished.
    pub(super) fn check_joined(&mut self) {
        if self.count.initial_joined == self.scenario.honest_nodes() && self.wall_join.is_none() {
            self.bootstrap_end = self.now;
            self.wall_join = Some((
                self.wall_start.elapsed().as_secs_f64(),
                crate::memory::current_rss(),
            ));
        }
    }

    pub(super) fn finish_op(&mut self, op: u32, outcome: Outcome) {
        if let Some(r) = self.ops.get_mut(op as usize) {
            if r.outcome == Outcome::Running {
                r.outcome = outcome;
                self.count.ops_done += 1;
            }
        }
        if self.phase == Phase::Draining && self.count.ops_done == self.ops.len() {
            self.ended = true;
        }
    }
}
