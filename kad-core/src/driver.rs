//! The one way to empty a node: a [`Driver`] receives what [`Node::drain`](crate::Node::drain)
//! takes out of it, in the order the driver contract asks.

use crate::event::Event;
use crate::node::Transmit;

/// What a driver does with a node's outputs; see [`Node::drain`](crate::Node::drain).
///
/// ```
/// use std::time::Instant;
/// use kad_core::{Config, Driver, Event, Key, Node, Transmit};
///
/// /// Collects what a node wants sent and what it reports.
/// #[derive(Default)]
/// struct Outbox {
///     sent: Vec<Transmit<u32, Key<20>>>,
///     events: Vec<Event<u32, Key<20>>>,
/// }
///
/// impl Driver<u32, Key<20>> for Outbox {
///     fn transmit(&mut self, transmit: Transmit<u32, Key<20>>) {
///         self.sent.push(transmit);
///     }
///     fn event(&mut self, event: Event<u32, Key<20>>) {
///         self.events.push(event);
///     }
/// }
///
/// let now = Instant::now();
/// let mut node: Node<u32, Key<20>> = Node::new(Key::new([1; 20]), Config::default(), 7, now)?;
/// node.bootstrap(now, [2])?;
/// let mut outbox = Outbox::default();
/// let wake_at = node.drain(&mut outbox);
/// assert_eq!(outbox.sent.len(), 1); // a FIND_NODE to the seed at address 2
/// assert!(wake_at > now);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Driver<A, K> {
    /// Sends `transmit.message` to `transmit.to`.
    fn transmit(&mut self, transmit: Transmit<A, K>);

    /// Handles an event: a finished query, a routing-table change.
    fn event(&mut self, event: Event<A, K>);
}
