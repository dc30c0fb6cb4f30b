//! Invariants of the codec over arbitrary messages and arbitrary bytes.

mod common;

use common::{contacts, is_nodes, key, message, multiaddr, token};
use kad_core::{Body, Contact, Key, KeyType, Message, Record, Request, Response, Token, TxId};
use kad_proto::{
    decode, encode, encode_into, encode_strict, encoded_len, fit_contacts, DecodeError,
    EncodeError, Limit, Multiaddr, WireMessage, MAX_CONTACTS_PER_RESPONSE, MAX_DATAGRAM_SIZE,
    MAX_MULTIADDR_LEN, MAX_VALUE_SIZE,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// Encodes `m`: a message within the limits either round-trips, or is a `Nodes` response too
/// large for one datagram.
fn check_round_trip<K: KeyType>(m: &WireMessage<K>) -> Result<(), TestCaseError> {
    let len = encoded_len(m);
    // kad-core's byte budgets count messages without encoding them: to the byte.
    prop_assert_eq!(kad_core::encoded_len_estimate(m), len);
    match encode_strict(m) {
        Ok(datagram) => {
            prop_assert_eq!(datagram.len(), len);
            prop_assert!(datagram.len() <= MAX_DATAGRAM_SIZE);
            prop_assert_eq!(decode::<K>(&datagram), Ok(m.clone()));
        }
        Err(EncodeError::LimitExceeded {
            limit: Limit::Datagram,
            len: reported,
            max,
        }) => {
            prop_assert!(is_nodes(m));
            prop_assert_eq!(reported, len);
            prop_assert_eq!(max, MAX_DATAGRAM_SIZE);
            prop_assert!(len > MAX_DATAGRAM_SIZE);
        }
        Err(other) => prop_assert!(false, "unexpected error {other:?}"),
    }
    Ok(())
}

/// Decodes `bytes` as datagrams of 20- and 32-byte keys; whatever decodes re-encodes to the
/// same bytes.
fn check_decode_total(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(m) = decode::<Key<20>>(bytes) {
        prop_assert_eq!(encode(&m), Ok(bytes.to_vec()));
    }
    if let Ok(m) = decode::<Key<32>>(bytes) {
        prop_assert_eq!(encode(&m), Ok(bytes.to_vec()));
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, bits: u8 },
    Set { at: usize, byte: u8 },
    Insert { at: usize, byte: u8 },
    Remove { at: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        (at, 1u8..).prop_map(|(at, bits)| Mutation::Flip { at, bits }),
        (
            at,
            prop_oneof![
                Just(0u8),
                Just(1),
                Just(250),
                Just(251),
                Just(252),
                Just(253),
                Just(255),
                any::<u8>()
            ]
        )
            .prop_map(|(at, byte)| Mutation::Set { at, byte }),
        (at, any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        at.prop_map(|at| Mutation::Remove { at }),
        at.prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn mutate(datagram: &mut Vec<u8>, mutation: &Mutation) {
    let len = datagram.len();
    match *mutation {
        Mutation::Flip { at, bits } if len > 0 => datagram[at % len] ^= bits,
        Mutation::Set { at, byte } if len > 0 => datagram[at % len] = byte,
        Mutation::Insert { at, byte } => datagram.insert(at % (len + 1), byte),
        Mutation::Remove { at } if len > 0 => {
            datagram.remove(at % len);
        }
        Mutation::Truncate { at } => datagram.truncate(at % (len + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn messages_of_20_byte_keys_round_trip(m in message::<20>()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn messages_of_32_byte_keys_round_trip(m in message::<32>()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn encode_into_a_buffer_matches_encode(m in message::<32>(), room in 0..=MAX_DATAGRAM_SIZE + 8) {
        let mut buf = vec![0u8; room];
        match (encode(&m), encode_into(&m, &mut buf)) {
            (Ok(datagram), Ok(len)) => prop_assert_eq!(&buf[..len], &datagram[..]),
            (Ok(datagram), Err(error)) => prop_assert_eq!(
                error,
                EncodeError::BufferTooSmall { needed: datagram.len(), available: room }
            ),
            (Err(expected), Err(error)) => prop_assert_eq!(error, expected),
            (Err(expected), Ok(_)) => prop_assert!(false, "encode failed with {expected:?}"),
        }
    }

    #[test]
    fn fitted_responses_always_encode(
        sender in key::<32>(),
        list in vec((key::<32>(), multiaddr()).prop_map(|(id, addr)| Contact { id, addr }), 0..40),
        given in token(),
    ) {
        let mut m: WireMessage<Key<32>> = Message {
            tx: TxId::from_u64(u64::MAX),
            sender,
            body: Body::Response(Response::Nodes { contacts: list.clone(), token: given }),
        };
        let removed = fit_contacts(&mut m);
        let Body::Response(Response::Nodes { contacts: kept, token: kept_token }) = &m.body else { unreachable!() };
        prop_assert_eq!(removed, list.len() - kept.len());
        prop_assert_eq!(*kept_token, given);
        prop_assert!(kept.len() <= MAX_CONTACTS_PER_RESPONSE);
        // The closest contacts are kept, in order.
        prop_assert_eq!(&kept[..], &list[..kept.len()]);
        let datagram = encode(&m);
        prop_assert!(datagram.is_ok(), "{:?}", datagram);
        // As many contacts as fit are kept.
        if kept.len() < list.len().min(MAX_CONTACTS_PER_RESPONSE) {
            let next = list[kept.len()].clone();
            let mut one_more = m.clone();
            if let Body::Response(Response::Nodes { contacts, .. }) = &mut one_more.body {
                contacts.push(next);
            }
            prop_assert!(encode_strict(&one_more).is_err());
        }
    }

    #[test]
    fn encode_sends_what_fit_contacts_keeps(
        sender in key::<32>(),
        list in vec((key::<32>(), multiaddr()).prop_map(|(id, addr)| Contact { id, addr }), 0..40),
        token in token(),
    ) {
        let m: WireMessage<Key<32>> = Message {
            tx: TxId::from_u64(3),
            sender,
            body: Body::Response(Response::Nodes { contacts: list, token }),
        };
        let mut fitted = m.clone();
        fit_contacts(&mut fitted);
        let expected = encode_strict(&fitted);
        prop_assert!(expected.is_ok(), "{:?}", expected);
        prop_assert_eq!(encode(&m), expected.clone());
        let mut buf = [0u8; MAX_DATAGRAM_SIZE];
        let len = encode_into(&m, &mut buf);
        prop_assert_eq!(len.map(|len| buf[..len].to_vec()), expected);
    }

    #[test]
    fn short_addresses_always_fit_a_full_response(
        sender in key::<32>(),
        ids in vec(key::<32>(), MAX_CONTACTS_PER_RESPONSE),
        addrs in vec(multiaddr().prop_filter("24 bytes at most", |a| a.len() <= 24), MAX_CONTACTS_PER_RESPONSE),
        token in token(),
    ) {
        let contacts = ids.into_iter().zip(addrs).map(|(id, addr)| Contact { id, addr }).collect();
        let m: WireMessage<Key<32>> = Message {
            tx: TxId::from_u64(u64::MAX),
            sender,
            body: Body::Response(Response::Nodes { contacts, token }),
        };
        prop_assert!(encode(&m).is_ok());
    }

    #[test]
    fn decode_of_arbitrary_bytes_is_total(bytes in vec(any::<u8>(), 0..1400)) {
        check_decode_total(&bytes)?;
    }

    #[test]
    fn decode_of_arbitrary_bodies_is_total(body in vec(any::<u8>(), 0..1300)) {
        let mut bytes = [b'K', b'A', b'D', kad_proto::VERSION].to_vec();
        bytes.extend_from_slice(&body);
        check_decode_total(&bytes)?;
    }

    #[test]
    fn decode_of_mutated_datagrams_is_total(
        m in message::<20>(),
        mutations in vec(mutation(), 1..4),
    ) {
        if let Ok(mut datagram) = encode(&m) {
            for mutation in &mutations {
                mutate(&mut datagram, mutation);
            }
            check_decode_total(&datagram)?;
        }
    }

    #[test]
    fn keys_of_another_length_are_rejected(m in message::<32>()) {
        if let Ok(datagram) = encode(&m) {
            prop_assert_eq!(
                decode::<Key<20>>(&datagram),
                Err(DecodeError::KeyLength { expected: 20, found: 32 })
            );
        }
    }

    #[test]
    fn values_over_the_limit_are_refused(
        len in MAX_VALUE_SIZE + 1..MAX_VALUE_SIZE + 2000,
        store in any::<bool>(),
        token in token(),
    ) {
        let record = Record::Plain(vec![7u8; len]);
        let body = if store {
            Body::Request(Request::Store { key: Key::new([1; 20]), record, ttl_secs: 60, token, cas: None })
        } else {
            Body::Response(Response::Value { record, ttl_secs: 60, token })
        };
        let m: WireMessage<Key<20>> = Message { tx: TxId::from_u64(1), sender: Key::new([2; 20]), body };
        prop_assert_eq!(encode(&m), Err(EncodeError::LimitExceeded { limit: Limit::Value, len, max: MAX_VALUE_SIZE }));
    }

    #[test]
    fn too_many_contacts_are_refused(list in contacts::<20>(), extra in 1usize..30) {
        let mut list = list;
        let filler = Contact { id: Key::new([5; 20]), addr: Multiaddr::empty() };
        let count = MAX_CONTACTS_PER_RESPONSE + extra;
        list.resize(count, filler);
        let m: WireMessage<Key<20>> = Message {
            tx: TxId::from_u64(1),
            sender: Key::new([2; 20]),
            body: Body::Response(Response::Nodes { contacts: list, token: Token::default() }),
        };
        prop_assert_eq!(
            encode_strict(&m),
            Err(EncodeError::LimitExceeded { limit: Limit::Contacts, len: count, max: MAX_CONTACTS_PER_RESPONSE })
        );
    }

    #[test]
    fn long_multiaddrs_are_refused(host in "[a-z]{59,120}") {
        let addr: Multiaddr = format!("/dns4/{host}/udp/1").parse().expect("valid multiaddr");
        let len = addr.len();
        prop_assume!(len > MAX_MULTIADDR_LEN);
        let m: WireMessage<Key<20>> = Message {
            tx: TxId::from_u64(1),
            sender: Key::new([2; 20]),
            body: Body::Response(Response::Nodes {
                contacts: vec![Contact { id: Key::new([3; 20]), addr }],
                token: Token::default(),
            }),
        };
        prop_assert_eq!(encode_strict(&m), Err(EncodeError::LimitExceeded { limit: Limit::Multiaddr, len, max: MAX_MULTIADDR_LEN }));
    }
}

#[test]
fn keys_over_the_limit_are_refused() {
    let m: WireMessage<Key<65>> = Message {
        tx: TxId::from_u64(1),
        sender: Key::new([2; 65]),
        body: Body::Request(Request::Ping),
    };
    assert_eq!(
        encode(&m),
        Err(EncodeError::LimitExceeded {
            limit: Limit::Key,
            len: 65,
            max: 64
        })
    );
}
