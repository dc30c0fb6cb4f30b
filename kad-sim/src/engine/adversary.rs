//! The adversaries' side of the engine: which new nodes are adversaries, and how they answer
//! the requests that reach them (see [`Behavior`]). An adversary's own kad-core node still
//! sends its requests, handles the answers to them and answers pings, so it joins and enters
//! honest routing tables as far as kad-core's rules let it.

use kad_core::{Body, Contact, Key, Message, Node, Request, Response, Token, Transmit, TxId};

use super::membership::Role;
use super::{Kind, Sim};
use crate::address::SimAddr;
use crate::adversary::{Behavior, Placement};
use crate::error::SimError;

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
        self.spawn(Role::Adversary(number))?;
        self.count.adversaries += 1;
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
            (Behavior::Lie, Request::Ping) => return Some(message),
            (Behavior::Drop, _) => None,
            (Behavior::Lie, Request::FindNode { target, .. }) => Some(Response::Nodes {
                contacts: self.fellow_adversaries(target, at),
                token: ADVERSARY_TOKEN,
            }),
            (Behavior::Lie, Request::FindValue { .. }) => Some(Response::Value {
                value: vec![WRONG_VALUE_BYTE; self.value.len().max(1)],
                ttl_secs: WRONG_VALUE_TTL_SECS,
            }),
            (Behavior::Lie, Request::Store { .. }) => Some(Response::Stored { accepted: true }),
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
