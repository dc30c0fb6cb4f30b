//! The workload on the virtual clock: the preload puts one key after another, then, after the
//! settle time, the measured operations (get, put, find_node) as a Poisson process from random
//! joined nodes; of plain values, or of signed mutable records (see `mutable`).

use kad_core::{Key, RecordKind};
use rand_distr::Distribution as _;

use super::mutable::MutableWorkload;
use super::{Kind, Sim, Tracked};
use crate::adversary::Placement;
use crate::metrics::{OpRecord, Outcome};
use crate::progress::Phase;
use crate::workload::OpKind;

impl<const N: usize> Sim<'_, N> {
    pub(super) fn preload(&mut self, index: u32) {
        if let Some(addr) = self.random_querier() {
            let key = self.keys[index as usize];
            if let Some(mut node) = self.slots[addr as usize].node.take() {
                let now = self.instant();
                let put = match &self.mutable {
                    Some(w) => {
                        let salt = MutableWorkload::salt(index);
                        node.put_mutable(now, key, &w.keypair, &salt, self.value.clone(), None)
                    }
                    None => node.put(now, key, self.value.clone()),
                };
                if let Ok(qid) = put {
                    self.queries.insert((addr, qid), Tracked::Preload);
                }
                self.drain(addr, &mut node, None);
                self.slots[addr as usize].node = Some(node);
            }
        }
        self.count.preload_puts += 1;
        let next = index as u64 + 1;
        let spacing = Self::micros_of(1.0 / self.scenario.rate).max(1);
        if next < self.keys.len() as u64 {
            self.queue
                .push(self.now + spacing, Kind::Preload, 0, next as u32);
        } else {
            self.phase = Phase::Settling;
            let start = self.now + spacing + Self::micros_of(self.scenario.settle.as_secs_f64());
            self.queue.push(start, Kind::Operation, 0, 0);
            if self.scenario.adversaries.count(self.scenario.nodes) > 0 {
                // The attack on what was just stored.
                self.queue.push(self.now + spacing, Kind::Attack, 0, 0);
            }
        }
    }

    pub(super) fn operation(&mut self) {
        if self.phase == Phase::Settling {
            self.phase = Phase::Measuring;
            self.measure_start = self.now;
            self.count.messages_at_measure = self.count.messages_sent;
        }
        if self.ops.len() < self.scenario.lookups {
            self.start_op();
        }
        if self.ops.len() < self.scenario.lookups {
            let gap = self.interarrival.sample(&mut self.rng_work);
            self.queue
                .push(self.now + Self::micros_of(gap), Kind::Operation, 0, 0);
        } else {
            self.phase = Phase::Draining;
            let end = self.now + Self::micros_of(self.scenario.drain.as_secs_f64());
            self.queue.push(end, Kind::End, 0, 0);
            if self.count.ops_done == self.ops.len() {
                self.ended = true;
            }
        }
    }

    pub(super) fn start_op(&mut self) {
        let op = self.ops.len() as u32;
        let kind = self.scenario.mix.draw(&mut self.rng_work);
        self.ops.push(OpRecord::new(kind));
        let (key, index) = match kind {
            OpKind::Get | OpKind::Put => {
                let mut index = self.picker.pick(&mut self.rng_work);
                if let Placement::Near { keys } = self.scenario.adversaries.placement {
                    index %= keys;
                }
                (self.keys[index as usize], index)
            }
            OpKind::FindNode => (Key::random(&mut self.rng_work), 0),
        };
        let Some(addr) = self.random_querier() else {
            self.finish_op(op, Outcome::Failed);
            return;
        };
        let Some(mut node) = self.slots[addr as usize].node.take() else {
            self.finish_op(op, Outcome::Failed);
            return;
        };
        let now = self.instant();
        let started = match (kind, &mut self.mutable) {
            (OpKind::Get, Some(w)) => {
                w.started(op, index);
                node.get_record(now, key, RecordKind::Mutable)
            }
            (OpKind::Put, Some(w)) => {
                w.started(op, index);
                let salt = MutableWorkload::salt(index);
                node.put_mutable(now, key, &w.keypair, &salt, self.value.clone(), None)
            }
            (OpKind::Get, None) => node.get(now, key),
            (OpKind::Put, None) => node.put(now, key, self.value.clone()),
            (OpKind::FindNode, _) => node.find_node(now, key),
        };
        match started {
            Ok(qid) => {
                self.queries.insert((addr, qid), Tracked::Op(op));
                self.active.entry(addr).or_default().push((op, key));
            }
            Err(_) => self.finish_op(op, Outcome::Failed),
        }
        self.drain(addr, &mut node, None);
        self.slots[addr as usize].node = Some(node);
    }
}
