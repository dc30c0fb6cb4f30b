//! [`InboxSink`]: where the [`Inbound`]s of a service's gateways deliver when a message
//! does not come through the reactor's own poll (threaded gateways, or a polled gateway
//! delivering from elsewhere): the service's inbox, bounded by a shared count. A message
//! that finds it full is dropped and logged, in the service's span.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kad_core::KeyType;
use kad_proto::{DeliverError, GatewayStats, Inbound};
use tracing::Span;

use crate::command::Input;
use crate::drop_log::DropLog;
use crate::mailbox::Mailbox;

/// A bounded share of a service's inbox, for the messages of its gateways.
pub(crate) struct InboxSink<K> {
    mailbox: Mailbox<K>,
    queued: Arc<AtomicUsize>,
    capacity: usize,
    drops: Arc<DropLog>,
    span: Span,
}

impl<K: KeyType> InboxSink<K> {
    /// A sink into `mailbox` that takes at most `capacity` messages not yet read, for the
    /// service whose span is `span`.
    pub(crate) fn new(mailbox: Mailbox<K>, capacity: usize, span: Span) -> Self {
        InboxSink {
            mailbox,
            queued: Arc::new(AtomicUsize::new(0)),
            capacity,
            drops: Arc::default(),
            span,
        }
    }

    /// The count of messages in the inbox, which the reader lowers as it takes them.
    pub(crate) fn queued(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.queued)
    }

    /// The service's drop events, shared by its reactor thread and its gateways' threads.
    pub(crate) fn drops(&self) -> Arc<DropLog> {
        Arc::clone(&self.drops)
    }

    /// The service's span.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// The handle for one gateway, counting in `stats`.
    pub(crate) fn inbound(&self, stats: Arc<GatewayStats>) -> Inbound<K> {
        let mailbox = self.mailbox.clone();
        let queued = Arc::clone(&self.queued);
        let capacity = self.capacity;
        let drops = Arc::clone(&self.drops);
        let span = self.span.clone();
        Inbound::with_stats(stats, move |from, message| {
            if queued.fetch_add(1, Ordering::Relaxed) >= capacity {
                queued.fetch_sub(1, Ordering::Relaxed);
                span.in_scope(|| drops.inbound_full(&from));
                return Err(DeliverError::QueueFull);
            }
            mailbox.send(Input::Message { from, message }).map_err(|_| {
                queued.fetch_sub(1, Ordering::Relaxed);
                DeliverError::Closed
            })
        })
    }
}
