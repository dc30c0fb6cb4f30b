//! A contact: a node id and the address it is reached at.

use crate::key::KeyType;

/// A node as seen by another: its id and the address it is reached at.
///
/// `A` is the address type of the transport: a `Multiaddr` in the runtime, a small integer in
/// the simulator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Contact<A, K> {
    /// The node's id.
    pub id: K,
    /// Where the node is reached.
    pub addr: A,
}

impl<A, K: KeyType> Contact<A, K> {
    /// Creates a contact.
    pub fn new(id: K, addr: A) -> Self {
        Contact { id, addr }
    }
}
