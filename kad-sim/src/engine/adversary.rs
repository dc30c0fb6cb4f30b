//! The adversaries' side of the engine: which new nodes are adversaries, and how they answer
//! the requests that reach them (see [`Behavior`]). An adversary's own kad-core node still
//! sends its requests, handles the answers to them and answers pings, so it joins and enters
//! honest routing tables as far as kad-core's rules let it.

use kad_core::{Body, Contact, Key, Message, Node, Request, Response, Token, Transmit, TxId};
use rand::Rng;

use super::Sim;
use crate::address::SimAddr;
use crate::adversary::Behavior;

/// The byte a lying adversary fills the values it returns with (honest values are `0x5a`).
const WRONG_VALUE_BYTE: u8 = 0xbd;
/// Lifetime a lying adversary gives its wrong values.
const WRONG_VALUE_TTL_SECS: u32 = 3600;
/// The write token adversaries hand out.
const ADVERSARY_TOKEN: Token = Token::from_bytes([0xad; 8]);

impl<const N: usize> Sim<'_, N> {
    /// The address of the node created at `index`: an adversary's with the scenario's
    /// probability (never the first node), spread over the adversaries' subnets in turn.
    pub(super) fn draw_role(&mut self, index: u32) -> SimAddr {
        let a = self.scenario.adversaries;
        if index == 0 || a.fraction <= 0.0 || !self.rng_adversaries.random_bool(a.fraction) {
            return SimAddr(index);
        }
        let subnet = self.count.adversaries % a.subnets;
        self.count.adversaries += 1;
        SimAddr::adversary(index, subnet)
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
