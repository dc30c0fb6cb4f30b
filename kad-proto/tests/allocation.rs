//! `decode` allocates no more than a small multiple of its input, whatever the input.
//!
//! A counting allocator measures every byte allocated while `decode` runs on the test thread.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use kad_core::Key;
use kad_proto::{decode, encode};
use proptest::collection::vec;
use proptest::prelude::*;

struct Counting;

thread_local! {
    /// Bytes allocated by this thread while counting, or `None` when not counting.
    static ALLOCATED: Cell<Option<usize>> = const { Cell::new(None) };
}

fn count(bytes: usize) {
    ALLOCATED.with(|allocated| {
        if let Some(total) = allocated.get() {
            allocated.set(Some(total.saturating_add(bytes)));
        }
    });
}

// SAFETY: every call is passed to the system allocator unchanged; the wrapper only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size.saturating_sub(layout.size()));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes allocated by decoding `bytes` with keys of 20 and of 32 bytes.
fn allocated_by_decode(bytes: &[u8]) -> usize {
    ALLOCATED.with(|allocated| allocated.set(Some(0)));
    let a = decode::<Key<20>>(bytes);
    let b = decode::<Key<32>>(bytes);
    let total = ALLOCATED.with(|allocated| allocated.take()).unwrap_or(0);
    drop((a, b));
    total
}

/// The bound checked: eight times the input, plus room for an error message.
fn bound(len: usize) -> usize {
    8 * len + 512
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn decoding_valid_datagrams_allocates_a_small_multiple_of_them(m in common::message::<20>()) {
        if let Ok(datagram) = encode(&m) {
            let allocated = allocated_by_decode(&datagram);
            prop_assert!(allocated <= bound(datagram.len()), "{allocated} bytes for {}", datagram.len());
        }
    }

    #[test]
    fn decoding_arbitrary_bodies_allocates_a_small_multiple_of_them(body in vec(any::<u8>(), 0..1228)) {
        let mut bytes = [b'K', b'A', b'D', kad_proto::VERSION].to_vec();
        bytes.extend_from_slice(&body);
        let allocated = allocated_by_decode(&bytes);
        prop_assert!(allocated <= bound(bytes.len()), "{allocated} bytes for {}", bytes.len());
    }
}

#[test]
fn a_response_of_empty_contacts_stays_within_the_bound() {
    // The densest allocation per input byte: twenty contacts of 20-byte ids and empty
    // multiaddrs, each 22 bytes on the wire, then the write token.
    let mut bytes = [b'K', b'A', b'D', kad_proto::VERSION].to_vec();
    bytes.extend_from_slice(&[0; 8]);
    bytes.push(20);
    bytes.extend_from_slice(&[1; 20]);
    bytes.extend_from_slice(&[5, 20]);
    for i in 0..20 {
        bytes.push(20);
        bytes.extend_from_slice(&[i; 20]);
        bytes.push(0);
    }
    bytes.extend_from_slice(&[7; 8]);
    assert!(decode::<Key<20>>(&bytes).is_ok());
    let allocated = allocated_by_decode(&bytes);
    assert!(
        allocated <= bound(bytes.len()),
        "{allocated} bytes for {}",
        bytes.len()
    );
    println!(
        "{allocated} bytes allocated for a datagram of {}",
        bytes.len()
    );
}

#[test]
fn a_short_datagram_claiming_many_contacts_allocates_little() {
    // Header, transaction id, an empty sender id, kind 5 (Nodes), and a claim of 20 contacts
    // that never come.
    let mut bytes = b"KAD".to_vec();
    bytes.push(kad_proto::VERSION);
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&[0, 5, 20]);
    assert!(decode::<Key<20>>(&bytes).is_err());
    let allocated = allocated_by_decode(&bytes);
    assert!(
        allocated <= bound(bytes.len()),
        "{allocated} bytes for {}",
        bytes.len()
    );
}
