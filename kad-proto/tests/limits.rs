//! The limits fit together: the worst cases documented in `limits.rs` are the sizes
//! `encode` produces, and they fit one datagram.

use kad_core::{
    Body, Contact, Key, Message, MutableRecord, PublicKey, Record, Request, Response, Signature,
    Token, TxId, MAX_MUTABLE_VALUE, MAX_SALT,
};
use kad_proto::{
    decode, encode, encode_strict, encoded_len, Multiaddr, WireMessage, MAX_CONTACTS_PER_RESPONSE,
    MAX_DATAGRAM_SIZE, MAX_KEY_LEN, MAX_MULTIADDR_LEN, MAX_VALUE_SIZE,
};

fn message<const N: usize>(body: Body<Multiaddr, Key<N>>) -> WireMessage<Key<N>> {
    Message {
        tx: TxId::from_u64(u64::MAX),
        sender: Key::new([0xff; N]),
        body,
    }
}

/// A valid multiaddr of exactly `len` bytes (at least 7): `/dns4/<host>/udp/65535`.
fn multiaddr_of_len(len: usize) -> Multiaddr {
    let host = "h".repeat(len - 6);
    let addr: Multiaddr = format!("/dns4/{host}/udp/65535").parse().expect("valid");
    assert_eq!(addr.len(), len);
    addr
}

fn full_response<const N: usize>(addr_len: usize) -> WireMessage<Key<N>> {
    let contacts = (0..MAX_CONTACTS_PER_RESPONSE)
        .map(|i| Contact::new(Key::new([i as u8; N]), multiaddr_of_len(addr_len)))
        .collect();
    message(Body::Response(Response::Nodes {
        contacts,
        token: Token::from_bytes([0xff; 8]),
    }))
}

/// Encodes `m`, checks its length against `expected` and the datagram limit, and decodes it
/// back (the decoder's own byte accounting must accept the largest datagrams).
#[track_caller]
fn fits<const N: usize>(m: &WireMessage<Key<N>>, expected: usize) {
    let datagram = encode(m).expect("fits");
    assert_eq!(datagram.len(), expected);
    assert_eq!(encoded_len(m), expected);
    assert!(datagram.len() <= MAX_DATAGRAM_SIZE);
    assert_eq!(decode::<Key<N>>(&datagram).as_ref(), Ok(m));
}

#[test]
fn the_largest_store_fits() {
    const N: usize = MAX_KEY_LEN;
    let store = message::<N>(Body::Request(Request::Store {
        key: Key::new([1; N]),
        record: Record::Plain(vec![2; MAX_VALUE_SIZE]),
        ttl_secs: u32::MAX,
        token: Token::from_bytes([0xff; 8]),
        cas: None,
    }));
    fits(&store, 1185);
}

/// The largest mutable record: the longest salt and the value that fills the rest.
fn largest_mutable() -> Record {
    Record::from(MutableRecord {
        public_key: PublicKey::from_bytes([3; 32]),
        salt: vec![4; MAX_SALT],
        seq: u64::MAX,
        value: vec![5; MAX_MUTABLE_VALUE - MAX_SALT],
        signature: Signature::from_bytes([6; 64]),
    })
}

#[test]
fn the_largest_mutable_store_with_32_byte_keys_fits() {
    const N: usize = 32;
    let store = message::<N>(Body::Request(Request::Store {
        key: Key::new([1; N]),
        record: largest_mutable(),
        ttl_secs: u32::MAX,
        token: Token::from_bytes([0xff; 8]),
        cas: Some(u64::MAX),
    }));
    fits(&store, 1212);
}

#[test]
fn the_largest_mutable_value_response_fits() {
    const N: usize = MAX_KEY_LEN;
    let value = message::<N>(Body::Response(Response::Value {
        record: largest_mutable(),
        ttl_secs: u32::MAX,
        token: Token::from_bytes([0xff; 8]),
    }));
    fits(&value, 1201);
}

#[test]
fn the_largest_value_response_fits() {
    const N: usize = MAX_KEY_LEN;
    let value = message::<N>(Body::Response(Response::Value {
        record: Record::Plain(vec![2; MAX_VALUE_SIZE]),
        ttl_secs: u32::MAX,
        token: Token::from_bytes([0xff; 8]),
    }));
    fits(&value, 1119);
}

#[test]
fn the_most_padded_request_fits() {
    const N: usize = MAX_KEY_LEN;
    let find = message::<N>(Body::Request(Request::FindValue {
        key: Key::new([1; N]),
        padding: kad_core::MAX_PADDING,
    }));
    fits(&find, 1170);
}

#[test]
fn padding_longer_than_a_datagram_is_refused() {
    let find = message::<20>(Body::Request(Request::FindNode {
        target: Key::new([1; 20]),
        padding: MAX_DATAGRAM_SIZE as u16 + 1,
    }));
    assert!(matches!(
        encode(&find),
        Err(kad_proto::EncodeError::LimitExceeded {
            limit: kad_proto::Limit::Datagram,
            ..
        })
    ));
}

#[test]
fn a_full_response_of_32_byte_keys_fits_with_24_byte_addresses() {
    fits(&full_response::<32>(24), 1215);
    assert!(encode_strict(&full_response::<32>(25)).is_err());
}

#[test]
fn a_full_response_of_20_byte_keys_fits_with_37_byte_addresses() {
    fits(&full_response::<20>(37), 1223);
    assert!(encode_strict(&full_response::<20>(38)).is_err());
}

#[test]
fn common_addresses_are_short_enough_for_a_full_response() {
    let len = |s: &str| s.parse::<Multiaddr>().expect("valid").len();
    assert_eq!(len("/ip4/203.0.113.5/udp/4000"), 9);
    assert_eq!(len("/ip6/2001:db8::5/udp/4000"), 21);
    assert_eq!(len("/ip6/2001:db8::5/udp/4000/quic-v1"), 23);
}

#[test]
fn the_multiaddr_limit_holds_a_peer_id_or_a_host_name() {
    let with_peer: Multiaddr =
        "/ip6/2001:db8::5/udp/4000/quic-v1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
            .parse()
            .expect("valid");
    assert_eq!(with_peer.len(), MAX_MULTIADDR_LEN);
    let host = format!("/dns4/{}/udp/4000", "h".repeat(58));
    assert_eq!(
        host.parse::<Multiaddr>().expect("valid").len(),
        MAX_MULTIADDR_LEN
    );
}
