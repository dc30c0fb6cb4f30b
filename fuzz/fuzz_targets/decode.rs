//! `kad_proto::decode` on arbitrary bytes: it must return, never panic, and whatever it
//! accepts must be the one encoding of its message.

#![no_main]

use kad_core::{Key, KeyType};
use kad_proto::{decode, encode};
use libfuzzer_sys::fuzz_target;

fn check<K: KeyType>(data: &[u8]) {
    if let Ok(message) = decode::<K>(data) {
        let again = encode(&message).expect("a decoded message encodes");
        assert_eq!(
            again, data,
            "decode accepted a datagram that is not its message's encoding"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    check::<Key<20>>(data);
    check::<Key<32>>(data);
});
