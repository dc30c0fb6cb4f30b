//! Hand-made datagrams that `decode` must reject, each with its own error.

use kad_core::Key;
use kad_proto::{decode, DecodeError, Limit, MAX_DATAGRAM_SIZE, MAX_MULTIADDR_LEN, MAX_VALUE_SIZE};

/// Header, transaction id and a 20-byte sender: everything before the message kind.
fn head() -> Vec<u8> {
    let mut bytes = [b'K', b'A', b'D', kad_proto::VERSION].to_vec();
    bytes.extend_from_slice(&[0; 8]);
    bytes.push(20);
    bytes.extend_from_slice(&[0xaa; 20]);
    bytes
}

fn with(parts: &[&[u8]]) -> Vec<u8> {
    let mut bytes = head();
    for part in parts {
        bytes.extend_from_slice(part);
    }
    bytes
}

fn decode20(bytes: &[u8]) -> Result<kad_proto::WireMessage<Key<20>>, DecodeError> {
    decode::<Key<20>>(bytes)
}

/// A `Nodes` response of `count` contacts, each a 20-byte id and `/ip4/10.0.0.1/udp/4000`,
/// and its token.
fn nodes(count: u8) -> Vec<u8> {
    let mut bytes = with(&[&[5, count]]);
    for i in 0..count {
        bytes.push(20);
        bytes.extend_from_slice(&[i; 20]);
        bytes.extend_from_slice(&[9, 0x04, 10, 0, 0, 1, 0x91, 0x02, 0x0f, 0xa0]);
    }
    bytes.extend_from_slice(&TOKEN);
    bytes
}

/// A `STORE` of a 20-byte key, a plain record of 2 bytes and a ttl of 60 seconds, its
/// token, and no expected sequence number.
fn store() -> Vec<u8> {
    let mut bytes = with(&[&[3, 20]]);
    bytes.extend_from_slice(&[0x33; 20]);
    bytes.extend_from_slice(&[0, 2, 0xbe, 0xef, 60]);
    bytes.extend_from_slice(&TOKEN);
    bytes.push(0);
    bytes
}

/// The write token in the datagrams above.
const TOKEN: [u8; 8] = [0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77];

#[test]
fn a_well_formed_ping_decodes() {
    assert!(decode20(&with(&[&[0]])).is_ok());
}

#[test]
fn oversized_datagrams_are_rejected_before_anything_else() {
    let mut bytes = with(&[&[0]]);
    bytes.resize(MAX_DATAGRAM_SIZE + 1, 0);
    assert_eq!(
        decode20(&bytes),
        Err(DecodeError::LimitExceeded {
            limit: Limit::Datagram,
            len: MAX_DATAGRAM_SIZE + 1,
            max: MAX_DATAGRAM_SIZE
        })
    );
}

#[test]
fn trailing_bytes_are_rejected() {
    assert_eq!(
        decode20(&with(&[&[0, 0, 0]])),
        Err(DecodeError::TrailingBytes { count: 2 })
    );
}

#[test]
fn truncated_datagrams_are_rejected() {
    let ping = with(&[&[0]]);
    for len in 4..ping.len() {
        assert!(
            matches!(decode20(&ping[..len]), Err(DecodeError::Malformed(_))),
            "{len}"
        );
    }
}

#[test]
fn a_store_or_nodes_without_its_whole_token_is_rejected() {
    for datagram in [store(), nodes(0), nodes(2)] {
        // A STORE's token is followed by its expected sequence number.
        assert!(decode20(&datagram).is_ok());
        for missing in 1..=8 {
            let cut = &datagram[..datagram.len() - missing];
            assert_eq!(
                decode20(cut),
                Err(DecodeError::Malformed("ends in the middle of a field")),
                "{missing} bytes of the token missing"
            );
        }
    }
}

#[test]
fn unknown_message_kinds_are_rejected() {
    assert_eq!(
        decode20(&with(&[&[8]])),
        Err(DecodeError::Malformed(
            "unknown kind of message, record or outcome"
        ))
    );
}

#[test]
fn unknown_record_and_outcome_kinds_are_rejected() {
    assert!(decode20(&with(&[&[7, 2, 5]])).is_ok());
    assert_eq!(
        decode20(&with(&[&[7, 3]])),
        Err(DecodeError::Malformed(
            "unknown kind of message, record or outcome"
        ))
    );
    let mut value = with(&[&[6, 3, 0, 5]]);
    value.extend_from_slice(&TOKEN);
    assert_eq!(
        decode20(&value),
        Err(DecodeError::Malformed(
            "unknown kind of message, record or outcome"
        ))
    );
}

#[test]
fn an_expected_sequence_number_is_absent_or_present() {
    let mut present = store();
    present.pop();
    present.extend_from_slice(&[1, 9]);
    assert!(decode20(&present).is_ok());
    let mut neither = store();
    neither.pop();
    neither.extend_from_slice(&[2, 9]);
    assert_eq!(
        decode20(&neither),
        Err(DecodeError::Malformed(
            "an optional field is neither absent nor present"
        ))
    );
}

#[test]
fn integers_written_longer_than_needed_are_rejected() {
    // Value response, empty plain record, ttl 5 written as a 3-byte integer.
    let value = |ttl: &[u8]| {
        let mut bytes = with(&[&[6, 0, 0], ttl]);
        bytes.extend_from_slice(&TOKEN);
        bytes
    };
    assert!(decode20(&value(&[5])).is_ok());
    assert_eq!(
        decode20(&value(&[251, 5, 0])),
        Err(DecodeError::NonCanonical)
    );
    // The sender's length written as a 3-byte integer.
    let mut bytes = [b'K', b'A', b'D', kad_proto::VERSION].to_vec();
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&[251, 20, 0]);
    bytes.extend_from_slice(&[0xaa; 20]);
    bytes.push(0);
    assert_eq!(decode20(&bytes), Err(DecodeError::NonCanonical));
}

#[test]
fn keys_of_the_wrong_length_are_rejected() {
    let mut find = with(&[&[1, 19]]);
    find.extend_from_slice(&[0; 19]);
    find.push(0); // no padding
    assert_eq!(
        decode20(&find),
        Err(DecodeError::KeyLength {
            expected: 20,
            found: 19
        })
    );
    assert_eq!(
        decode::<Key<32>>(&with(&[&[0]])),
        Err(DecodeError::KeyLength {
            expected: 32,
            found: 20
        })
    );
}

#[test]
fn values_over_the_limit_are_rejected() {
    let value = |len: usize| {
        let mut bytes = with(&[&[6, 0, 251]]);
        bytes.extend_from_slice(&u16::try_from(len).expect("small").to_le_bytes());
        bytes.resize(bytes.len() + len, 0xee);
        bytes.push(0);
        bytes.extend_from_slice(&TOKEN);
        bytes
    };
    assert!(decode20(&value(MAX_VALUE_SIZE)).is_ok());
    assert_eq!(
        decode20(&value(MAX_VALUE_SIZE + 1)),
        Err(DecodeError::LimitExceeded {
            limit: Limit::Value,
            len: MAX_VALUE_SIZE + 1,
            max: MAX_VALUE_SIZE
        })
    );
}

#[test]
fn responses_with_too_many_contacts_are_rejected() {
    assert!(decode20(&nodes(20)).is_ok());
    assert_eq!(
        decode20(&nodes(21)),
        Err(DecodeError::LimitExceeded {
            limit: Limit::Contacts,
            len: 21,
            max: 20
        })
    );
}

#[test]
fn a_huge_contact_count_fails_without_reserving_memory() {
    let mut bytes = with(&[&[5, 253]]);
    bytes.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(decode20(&bytes), Err(DecodeError::Malformed(_))));
    let mut bytes = with(&[&[5, 252]]);
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(decode20(&bytes), Err(DecodeError::Malformed(_))));
}

#[test]
fn a_huge_length_prefix_fails() {
    let mut bytes = with(&[&[1, 253]]);
    bytes.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(decode20(&bytes), Err(DecodeError::Malformed(_))));
}

#[test]
fn long_multiaddrs_are_rejected() {
    let mut bytes = with(&[&[5, 1, 20]]);
    bytes.extend_from_slice(&[1; 20]);
    bytes.push(65);
    bytes.extend_from_slice(&[0; 65]);
    bytes.extend_from_slice(&TOKEN);
    assert_eq!(
        decode20(&bytes),
        Err(DecodeError::LimitExceeded {
            limit: Limit::Multiaddr,
            len: 65,
            max: MAX_MULTIADDR_LEN
        })
    );
}

#[test]
fn invalid_multiaddrs_are_rejected() {
    let mut bytes = with(&[&[5, 1, 20]]);
    bytes.extend_from_slice(&[1; 20]);
    // /ip4 with only two bytes of address.
    bytes.extend_from_slice(&[3, 0x04, 10, 0]);
    bytes.extend_from_slice(&TOKEN);
    assert!(matches!(
        decode20(&bytes),
        Err(DecodeError::BadMultiaddr(_))
    ));
}

#[test]
fn keys_over_the_limit_are_rejected_even_by_a_decoder_of_long_keys() {
    let mut bytes = [b'K', b'A', b'D', kad_proto::VERSION].to_vec();
    bytes.extend_from_slice(&[0; 8]);
    bytes.push(65);
    bytes.extend_from_slice(&[0xaa; 65]);
    bytes.push(0);
    assert_eq!(
        decode::<Key<65>>(&bytes),
        Err(DecodeError::LimitExceeded {
            limit: Limit::Key,
            len: 65,
            max: 64
        })
    );
}
