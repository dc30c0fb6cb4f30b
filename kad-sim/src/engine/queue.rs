//! The event queue: events ordered by (virtual time in microseconds, sequence number), so that
//! events at the same instant run in the order they were scheduled.
//!
//! A queue entry is 24 bytes: time, sequence number with the event kind in its low byte, the
//! node, and a payload (for a delivery, the index of the datagram in the flight slab).

/// Bits of the sequence-number word that hold the event kind.
const KIND_BITS: u32 = 8;

/// Width of the ordering key (time in the high half, sequence number in the low half).
const KEY_BITS: usize = 128;

/// What an event does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Kind {
    /// Deliver the datagram in slab slot `payload` to `node`.
    Deliver = 0,
    /// Call `handle_timeout` on `node` if its timer is still due at this time.
    Timer = 1,
    /// Initial node number `node` joins.
    Join = 2,
    /// `node` leaves; a fresh node joins in its place.
    Leave = 3,
    /// Put key number `payload` of the universe.
    Preload = 4,
    /// Start the next measured operation.
    Operation = 5,
    /// End the run.
    End = 6,
    /// Adversary number `payload` joins.
    Attack = 7,
    /// The eclipsing adversary at `node` pushes itself into honest tables again.
    Push = 8,
}

impl Kind {
    fn from_u8(k: u8) -> Kind {
        match k {
            0 => Kind::Deliver,
            1 => Kind::Timer,
            2 => Kind::Join,
            3 => Kind::Leave,
            4 => Kind::Preload,
            5 => Kind::Operation,
            7 => Kind::Attack,
            8 => Kind::Push,
            _ => Kind::End,
        }
    }
}

/// One queue entry; ordered by time, then by sequence number (unique, kind in the low byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    time: u64,
    seq_kind: u64,
    node: u32,
    payload: u32,
}

impl Entry {
    /// The ordering key: time in the high half, sequence number in the low half.
    fn key(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq_kind)
    }
}

/// The event queue: a radix heap over the 128-bit key (time, sequence number).
///
/// A radix heap needs keys that never go below the last one taken, which holds because no
/// event is scheduled in the past. Bucket `b > 0` holds the entries whose key first differs
/// from the last key taken at bit `b - 1` (counting from the least significant); bucket 0
/// holds the entry equal to it. Taking the minimum empties the lowest non-empty bucket into
/// lower ones around its smallest key; each entry moves a few times at most over its life, so
/// a push and a pop cost a small constant instead of a binary heap's logarithmic number of
/// cache misses. Keys are unique, so the order is exactly (time, sequence number).
#[derive(Debug)]
pub(super) struct EventQueue {
    buckets: Vec<Vec<Entry>>,
    last: u128,
    len: usize,
    next_seq: u64,
    /// Most entries held at once.
    pub(super) peak: usize,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            buckets: (0..=KEY_BITS).map(|_| Vec::new()).collect(),
            last: 0,
            len: 0,
            next_seq: 0,
            peak: 0,
        }
    }
}

impl EventQueue {
    fn bucket_of(&self, key: u128) -> usize {
        (KEY_BITS as u32 - (key ^ self.last).leading_zeros()) as usize
    }

    /// Schedules an event; `time` must not be before the last event taken.
    pub(super) fn push(&mut self, time: u64, kind: Kind, node: u32, payload: u32) {
        let seq_kind = (self.next_seq << KIND_BITS) | kind as u64;
        self.next_seq += 1;
        let entry = Entry {
            time,
            seq_kind,
            node,
            payload,
        };
        debug_assert!(entry.key() > self.last || self.len == 0 && self.next_seq == 1);
        let b = self.bucket_of(entry.key());
        self.buckets[b].push(entry);
        self.len += 1;
        self.peak = self.peak.max(self.len);
    }

    /// Takes the earliest event.
    pub(super) fn pop(&mut self) -> Option<(u64, Kind, u32, u32)> {
        if self.buckets[0].is_empty() {
            let b = self.buckets.iter().position(|v| !v.is_empty())?;
            let moved = std::mem::take(&mut self.buckets[b]);
            self.last = moved.iter().map(Entry::key).min()?;
            for entry in &moved {
                let to = self.bucket_of(entry.key());
                self.buckets[to].push(*entry);
            }
            // Keep the emptied bucket's allocation for reuse.
            let mut moved = moved;
            moved.clear();
            self.buckets[b] = moved;
        }
        let e = self.buckets[0].pop()?;
        self.len -= 1;
        Some((e.time, Kind::from_u8(e.seq_kind as u8), e.node, e.payload))
    }
}
