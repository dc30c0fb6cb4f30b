//! Membership: nodes joining (the initial ones on the join schedule, churn replacements at
//! once), bootstrapping through a random joined node (kad-core tries again, with backoff, when that
//! found nobody), and leaving when their session ends.

use kad_core::{Key, Node};
use rand::rngs::SmallRng;
use rand::Rng;

use super::{Kind, Sim, Slot, Tracked, NONE};
use crate::address::SimAddr;
use crate::error::SimError;
use crate::metrics::Outcome;
use crate::progress::Phase;

/// Why a node is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// One of the honest nodes the network is built of.
    Initial,
    /// An honest node that takes the place of one churn took.
    Replacement,
    /// Adversary number `.0`, joining after the preload; it never leaves.
    Adversary(u32),
}

/// Draws from the live list before [`Sim::random_joined`] settles for a node that has not
/// finished joining.
const RANDOM_JOINED_DRAWS: usize = 64;

impl<const N: usize> Sim<'_, N> {
    /// A random live honest node that has joined, other than `not`; any live honest node if
    /// none has joined after a few draws. Nodes bootstrap through, and operations start at,
    /// honest nodes only.
    pub(super) fn random_joined(
        live: &[u32],
        slots: &[Slot<N>],
        not: u32,
        rng: &mut SmallRng,
    ) -> Option<u32> {
        if live.is_empty() || (live.len() == 1 && live[0] == not) {
            return None;
        }
        let mut fallback = None;
        for _ in 0..RANDOM_JOINED_DRAWS {
            let a = live[rng.random_range(0..live.len())];
            if a == not || slots[a as usize].addr.is_adversary() {
                continue;
            }
            if slots[a as usize].joined {
                return Some(a);
            }
            fallback = Some(a);
        }
        fallback
    }

    /// A random joined node to start an operation at.
    pub(super) fn random_querier(&mut self) -> Option<u32> {
        Self::random_joined(&self.live, &self.slots, u32::MAX, &mut self.rng_work)
    }

    /// Creates a node at the next address and bootstraps it from a random joined node.
    pub(super) fn spawn(&mut self, role: Role) -> Result<u32, SimError> {
        let addr = self.slots.len() as u32;
        let initial = role == Role::Initial;
        let (sim_addr, seed_node, id, node_seed) = match role {
            Role::Adversary(number) => {
                let rng = &mut self.rng_adversaries;
                let seed_node = Self::random_joined(&self.live, &self.slots, addr, rng);
                let (sim_addr, id) = self.adversary_identity(addr, number);
                (sim_addr, seed_node, id, self.rng_adversaries.random())
            }
            Role::Initial | Role::Replacement => {
                let rng = &mut self.rng_nodes;
                let seed_node = Self::random_joined(&self.live, &self.slots, addr, rng);
                let id = Key::random(rng);
                (SimAddr(addr), seed_node, id, rng.random())
            }
        };
        let mut node = Box::new(
            Node::new(id, self.config.clone(), node_seed, self.instant())?
                .with_validator(self.validator.clone()),
        );
        self.slots.push(Slot {
            node: None,
            addr: sim_addr,
            timer: NONE,
            live_pos: self.live.len() as u32,
            joined: seed_node.is_none(),
            joining: false,
        });
        self.live.push(addr);
        if sim_addr.is_adversary() {
            self.adversaries.insert(id, addr);
        } else {
            self.oracle.insert(id, addr);
        }
        self.count.joins += 1;
        if let Some(seed_node) = seed_node {
            // A fresh node has no query running: the command cannot be refused.
            let seed = self.slots[seed_node as usize].addr;
            if let Ok(qid) = node.bootstrap(self.instant(), [seed]) {
                let tracked = Tracked::Bootstrap {
                    initial,
                    started: self.now,
                };
                self.queries.insert((addr, qid), tracked);
                self.slots[addr as usize].joining = true;
            }
        }
        self.drain(addr, &mut node, None);
        self.slots[addr as usize].node = Some(node);
        if let (Some(sessions), Role::Replacement) = (self.sessions, role) {
            let end = self.now + sessions.sample(&mut self.rng_churn);
            self.queue.push(end, Kind::Leave, addr, 0);
        }
        Ok(addr)
    }

    pub(super) fn initial_join(&mut self, index: u32) -> Result<(), SimError> {
        let addr = self.spawn(Role::Initial)?;
        if addr == 0 {
            // The first node has nobody to bootstrap from.
            self.count.initial_joined += 1;
            self.check_joined();
        }
        let next = index as u64 + 1;
        if next < self.scenario.honest_nodes() as u64 {
            let at = Self::micros_of(self.scenario.join.join_time(next));
            self.queue
                .push(at.max(self.now), Kind::Join, next as u32, 0);
        } else {
            self.start_preload()?;
        }
        Ok(())
    }

    pub(super) fn start_preload(&mut self) -> Result<(), SimError> {
        self.phase = Phase::Preloading;
        if let Some(sessions) = self.sessions {
            for i in 0..self.live.len() {
                let addr = self.live[i];
                let end = self.now + sessions.sample(&mut self.rng_churn);
                self.queue.push(end, Kind::Leave, addr, 0);
            }
        }
        self.queue.push(self.now, Kind::Preload, 0, 0);
        Ok(())
    }

    pub(super) fn leave(&mut self, addr: u32) -> Result<(), SimError> {
        let Some(node) = self.slots[addr as usize].node.take() else {
            return Ok(());
        };
        self.count.leaves += 1;
        if self.slots[addr as usize].addr.is_adversary() {
            self.adversaries.remove(*node.id(), addr);
        } else {
            self.oracle.remove(*node.id(), addr);
        }
        drop(node);
        if self.slots[addr as usize].joining && (addr as usize) < self.scenario.honest_nodes() {
            // An initial node that churn took before its bootstrap finished.
            self.count.bootstrap_left += 1;
            self.count.initial_joined += 1;
            self.check_joined();
        }
        let pos = self.slots[addr as usize].live_pos as usize;
        self.live.swap_remove(pos);
        if let Some(&moved) = self.live.get(pos) {
            self.slots[moved as usize].live_pos = pos as u32;
        }
        if let Some(ops) = self.active.remove(&addr) {
            for (op, _) in ops {
                self.finish_op(op, Outcome::Abandoned);
            }
        }
        self.spawn(Role::Replacement)?;
        Ok(())
    }
}
