//! [`Slot`]: the number of a service in the process, which names it to its reactor thread
//! (in controls, timers and poll tokens) and is never reused.

use std::sync::atomic::{AtomicU64, Ordering};

/// The number of a service, unique in the process: tokens and inboxes are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Slot(u64);

/// The next slot number of the process.
static NEXT_SLOT: AtomicU64 = AtomicU64::new(0);

impl Slot {
    /// A slot no other service of the process has had.
    pub(crate) fn next() -> Slot {
        Slot(NEXT_SLOT.fetch_add(1, Ordering::Relaxed))
    }

    /// The slot numbered `number`.
    pub(crate) fn from_u64(number: u64) -> Slot {
        Slot(number)
    }

    /// The slot's number.
    pub(crate) fn as_u64(self) -> u64 {
        self.0
    }
}
