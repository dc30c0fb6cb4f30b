//! The adversaries' side of the engine: which new nodes are adversaries, and how they answer
//! the requests that reach them (see [`Behavior`]). An adversary's own kad-core node still
//! sends its requests, handles the answers to them and answers pings, so it joins and enters
//! honest routing tables as far as kad-core's rules let it.

use kad_core::{
    Body, Contact, Key, Message, Node, Record, Request, Response, StoreOutcome, Token, Transmit,
    TxId,
};
use rand::Rng;

use super::membership::Role;
use super::{Kind, Sim};
use crate::address::SimAddr;
use crate::adversary::{Behavior, Placement};
use crate::error::SimError;

/// Random honest nodes an eclipsing adversary pings each round, besides its closest.
const PUSH_RANDOM: usize = 16;
/// Simulated seconds between an eclipsing adversary's rounds of pings.
const PUSH_INTERVAL_SECS: f64 = 60.0;

/// Leading bits an eclipsing adversary's id shares with its key beyond log2 of the network
/// size, which honest ids share on average: 2^-8 is the chance that an honest node is as
/// close.
const NEAR_EXTRA_BITS: usize = 8;

/// The byte a lying adversary fills the values it returns with (honest values are `0x5a`).
const WRONG_VALUE_BYTE: u8 = 0xbd;
/// Lifetime a lying adversary gives its wrong values.
const WRONG_VALUE_TTL_SECS: u32 = 3600;
/// The write token adversaries hand out.
const ADVERSARY_TOKEN: Token = Token::from_bytes([0xad; 8]);

impl<const N: usize> Sim<'_, N> {
    /// Adversary number `number` joins; the next one is scheduled, the adversaries' joins
    /// spread evenly over the first half of the settle time.
    pub(super) fn attack(&mut self, number: u32) -> Result<(), SimError> {
        let at = self.spawn(Role::Adversary(number))?;
        self.count.adversaries += 1;
        if self.scenario.adversaries.behavior == Behavior::Eclipse {
            self.push(at);
        }
        let count = self.scenario.adversaries.count(self.scenario.nodes) as u64;
        let next = u64::from(number) + 1;
        if next < count {
            let spread = self.scenario.settle.as_secs_f64() / 2.0 / count as f64;
            let gap = Self::micros_of(spread).max(1);
            self.queue
                .push(self.now + gap, Kind::Attack, 0, next as u32);
        }
        Ok(())
    }

    /// The eclipsing adversary at `at` pings the honest nodes closest to its id and a few
    /// random ones, which verify it and take it into their tables where the rules allow;
    /// again a minute later.
    pub(super) fn push(&mut self, at: u32) {
        let Some(id) = self.slots[at as usize].node.as_ref().map(|n| *n.id()) else {
            return;
        };
        let mut targets = self.oracle.closest(&id, 2 * self.config.k, at);
        for _ in 0..PUSH_RANDOM {
            if let Some(t) =
                Self::random_joined(&self.live, &self.slots, at, &mut self.rng_adversaries)
            {
                targets.push(t);
            }
        }
        for target in targets {
            let message = Message {
                tx: TxId::from_u64(self.rng_adversaries.random()),
                sender: id,
                body: Body::Request(Request::Ping),
            };
            let to = self.slots[target as usize].addr;
            self.count.adversary_pushes += 1;
            self.send(at, Transmit { to, message }, None);
        }
        let next = self.now + Self::micros_of(PUSH_INTERVAL_SECS);
        self.queue.push(next, Kind::Push, at, 0);
    }

    /// The address and id of adversary `number`, created at `index`: its address in the
    /// adversaries' subnets in turn, its id random or, to eclipse the attacked keys in turn,
    /// sharing with one of them more leading bits than any honest node is likely to.
    pub(super) fn adversary_identity(&mut self, index: u32, number: u32) -> (SimAddr, Key<N>) {
        let a = self.scenario.adversaries;
        let addr = SimAddr::adversary(index, number % a.subnets);
        let mut id = Key::random(&mut self.rng_adversaries);
        if let Placement::Near { keys } = a.placement {
            let key = self.keys[(number % keys) as usize];
            let shared =
                (usize::BITS - self.scenario.nodes.leading_zeros()) as usize + NEAR_EXTRA_BITS;
            let mut bytes = *id.as_bytes();
            for bit in 0..shared.min(N * 8) {
                let (byte, mask) = (bit / 8, 0x80u8 >> (bit % 8));
                bytes[byte] = bytes[byte] & !mask | key.as_bytes()[byte] & mask;
            }
            id = Key::new(bytes);
        }
        (addr, id)
    }

    /// How the adversary at `at` (its `node` out of its slot) takes `message` from `from`:
    /// `Some` to hand it to its kad-core node (answers to its own requests, pings when it
    /// lies), `None` when the adversary dealt with it itself.
    pub(super) fn adversary_answer(
        &mut self,
        at: u32,
        node: &Node<SimAddr, Key<N>>,
        from: SimAddr,
        message: Message<SimAddr, Key<N>>,
        reply: Option<(TxId, u32)>,
    ) -> Option<Message<SimAddr, Key<N>>> {
        let Body::Request(request) = &message.body else {
            return Some(message);
        };
        let response = match (self.scenario.adversaries.behavior, request) {
            (Behavior::Drop, _) => None,
            (Behavior::Lie | Behavior::Eclipse, Request::Ping) => return Some(message),
            (Behavior::Lie | Behavior::Eclipse, Request::FindNode { target, .. }) => {
                Some(Response::Nodes {
                    contacts: self.fellow_adversaries(target, at),
                    token: ADVERSARY_TOKEN,
                })
            }
            (Behavior::Lie | Behavior::Eclipse, Request::FindValue { .. }) => {
                Some(Response::Value {
                    record: Record::Plain(vec![WRONG_VALUE_BYTE; self.value.len().max(1)]),
                    ttl_secs: WRONG_VALUE_TTL_SECS,
                    token: ADVERSARY_TOKEN,
                })
            }
            (Behavior::Lie | Behavior::Eclipse, Request::Store { .. }) => Some(Response::Stored {
                outcome: StoreOutcome::Accepted,
            }),
        };
        self.count.adversary_requests += 1;
        if let Some(response) = response {
            let answer = Message {
                tx: message.tx,
                sender: *node.id(),
                body: Body::Response(response),
            };
            self.send(
                at,
                Transmit {
                    to: from,
                    message: answer,
                },
                reply,
            );
        }
        None
    }

    /// The k live adversaries closest to `target`, other than the one at `at`.
    fn fellow_adversaries(&self, target: &Key<N>, at: u32) -> Vec<Contact<SimAddr, Key<N>>> {
        self.adversaries
            .closest_ids(target, self.config.k, at)
            .into_iter()
            .map(|(id, index)| Contact::new(id, self.slots[index as usize].addr))
            .collect()
    }
}
