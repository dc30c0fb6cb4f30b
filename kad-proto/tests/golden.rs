//! Golden vectors: one datagram per message kind, byte for byte.
//!
//! A failure here means the bytes on the wire changed. If that was meant, bump
//! `kad_proto::VERSION` and replace the vectors; if not, the change is a bug.

use kad_core::{
    Body, Contact, Key, Keypair, Message, MutableRecord, Record, Request, Response, StoreOutcome,
    Token, TxId,
};
use kad_proto::{decode, encode, DecodeError, Multiaddr, WireMessage, VERSION};

fn message<const N: usize>(body: Body<Multiaddr, Key<N>>) -> WireMessage<Key<N>> {
    Message {
        tx: TxId::from_u64(0x0102_0304_0506_0708),
        sender: Key::new(std::array::from_fn(|i| 0xa0 + i as u8)),
        body,
    }
}

fn key<const N: usize>(byte: u8) -> Key<N> {
    Key::new([byte; N])
}

/// The write token of the `STORE` and `Nodes` vectors: `c0c1c2c3c4c5c6c7` on the wire.
fn token() -> Token {
    Token::from_bytes(std::array::from_fn(|i| 0xc0 + i as u8))
}

fn addr(s: &str) -> Multiaddr {
    s.parse().expect("valid multiaddr")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Header (`KAD`, version 4), transaction id, then the 20-byte sender id with its length.
const HEAD_20: &str = "4b414404 0102030405060708 14a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3";

/// The bytes of [`token`].
const TOKEN: &str = " c0c1c2c3c4c5c6c7";

/// Checks that `m` encodes to `expected` (hex, whitespace ignored) and decodes back.
#[track_caller]
fn golden<const N: usize>(m: WireMessage<Key<N>>, expected: &str) {
    let expected = unhex(expected);
    let datagram = encode(&m).expect("encodes");
    assert_eq!(
        hex(&datagram),
        hex(&expected),
        "wire bytes changed for {m:?}"
    );
    assert_eq!(decode::<Key<N>>(&expected), Ok(m));
}

#[test]
fn version_is_4() {
    // The vectors below are version 4 datagrams.
    assert_eq!(VERSION, 4);
}

#[test]
fn ping() {
    golden(
        message::<20>(Body::Request(Request::Ping)),
        &[HEAD_20, " 00"].concat(),
    );
}

#[test]
fn find_node() {
    golden(
        message::<20>(Body::Request(Request::find_node(key(0x11)))),
        &[HEAD_20, " 01 141111111111111111111111111111111111111111 00"].concat(),
    );
}

#[test]
fn find_node_padded() {
    golden(
        message::<20>(Body::Request(Request::FindNode {
            target: key(0x11),
            padding: 3,
        })),
        &[
            HEAD_20,
            " 01 141111111111111111111111111111111111111111 03000000",
        ]
        .concat(),
    );
}

#[test]
fn long_padding_has_a_three_byte_length() {
    let m = message::<20>(Body::Request(Request::FindValue {
        key: key(0x22),
        padding: 300,
    }));
    let datagram = encode(&m).expect("encodes");
    let head = unhex(
        &[
            HEAD_20,
            " 02 142222222222222222222222222222222222222222 fb2c01",
        ]
        .concat(),
    );
    assert_eq!(hex(&datagram[..head.len()]), hex(&head));
    assert_eq!(datagram.len(), head.len() + 300);
    assert!(datagram[head.len()..].iter().all(|&b| b == 0));
    assert_eq!(decode::<Key<20>>(&datagram), Ok(m));
}

#[test]
fn padding_must_be_zeros() {
    let datagram = unhex(
        &[
            HEAD_20,
            " 01 141111111111111111111111111111111111111111 0200ab",
        ]
        .concat(),
    );
    assert_eq!(decode::<Key<20>>(&datagram), Err(DecodeError::NonCanonical));
    let short = unhex(
        &[
            HEAD_20,
            " 01 141111111111111111111111111111111111111111 0200",
        ]
        .concat(),
    );
    assert!(
        decode::<Key<20>>(&short).is_err(),
        "padding shorter than its length"
    );
}

#[test]
fn find_value() {
    golden(
        message::<20>(Body::Request(Request::find_value(key(0x22)))),
        &[HEAD_20, " 02 142222222222222222222222222222222222222222 00"].concat(),
    );
}

#[test]
fn store() {
    golden(
        message::<20>(Body::Request(Request::Store {
            key: key(0x33),
            record: Record::Plain(b"hello".to_vec()),
            ttl_secs: 3600,
            token: token(),
            cas: None,
        })),
        &[
            HEAD_20,
            " 03 143333333333333333333333333333333333333333",
            " 00 0568656c6c6f",
            " fb100e",
            TOKEN,
            " 00",
        ]
        .concat(),
    );
}

#[test]
fn store_immutable() {
    golden(
        message::<20>(Body::Request(Request::Store {
            key: key(0x33),
            record: Record::Immutable(b"hello".to_vec()),
            ttl_secs: 3600,
            token: token(),
            cas: None,
        })),
        &[
            HEAD_20,
            " 03 143333333333333333333333333333333333333333",
            " 01 0568656c6c6f",
            " fb100e",
            TOKEN,
            " 00",
        ]
        .concat(),
    );
}

/// A mutable record signed by the key pair of secret `[1; 32]`: salt `s`, sequence number
/// 300, value `hi`.
fn mutable() -> Record {
    let keys = Keypair::from_secret_bytes([1; 32]);
    Record::from(MutableRecord::sign(&keys, b"s", 300, b"hi".to_vec()).expect("small"))
}

/// [`mutable`] on the wire: kind 2, public key, salt, sequence number, value, signature.
const MUTABLE: &str = concat!(
    " 02 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c",
    " 0173 fb2c01 026869",
    " a9ec8c245555662d4c4c1db59f9268ad4e02a351668179598e67439d62065796",
    "dcccf35b46c2a95b2515b14fcad4baccfc023ef9adbf823e99f8234a211ce10d",
);

#[test]
fn store_mutable_with_an_expected_sequence_number() {
    golden(
        message::<20>(Body::Request(Request::Store {
            key: key(0x33),
            record: mutable(),
            ttl_secs: 3600,
            token: token(),
            cas: Some(299),
        })),
        &[
            HEAD_20,
            " 03 143333333333333333333333333333333333333333",
            MUTABLE,
            " fb100e",
            TOKEN,
            " 01 fb2b01",
        ]
        .concat(),
    );
}

#[test]
fn pong() {
    golden(
        message::<20>(Body::Response(Response::Pong)),
        &[HEAD_20, " 04"].concat(),
    );
}

#[test]
fn nodes() {
    golden(
        message::<20>(Body::Response(Response::Nodes {
            contacts: vec![
                Contact::new(key(0x44), addr("/ip4/192.0.2.1/udp/4000")),
                Contact::new(key(0x55), addr("/ip6/2001:db8::1/udp/4001")),
            ],
            token: token(),
        })),
        &[
            HEAD_20,
            " 05 02",
            " 144444444444444444444444444444444444444444 09 04c0000201 91020fa0",
            " 145555555555555555555555555555555555555555 15 2920010db8000000000000000000000001 91020fa1",
            TOKEN,
        ]
        .concat(),
    );
}

#[test]
fn empty_nodes() {
    golden(
        message::<20>(Body::Response(Response::Nodes {
            contacts: vec![],
            token: token(),
        })),
        &[HEAD_20, " 05 00", TOKEN].concat(),
    );
}

#[test]
fn value() {
    golden(
        message::<20>(Body::Response(Response::Value {
            record: Record::Plain(vec![0xde, 0xad, 0xbe, 0xef]),
            ttl_secs: 70_000,
            token: token(),
        })),
        &[HEAD_20, " 06 00 04deadbeef fc70110100", TOKEN].concat(),
    );
}

#[test]
fn value_mutable() {
    golden(
        message::<20>(Body::Response(Response::Value {
            record: mutable(),
            ttl_secs: 60,
            token: token(),
        })),
        &[HEAD_20, " 06", MUTABLE, " 3c", TOKEN].concat(),
    );
}

#[test]
fn stored() {
    golden(
        message::<20>(Body::Response(Response::Stored {
            outcome: StoreOutcome::Accepted,
        })),
        &[HEAD_20, " 07 00"].concat(),
    );
}

#[test]
fn stored_refused() {
    golden(
        message::<20>(Body::Response(Response::Stored {
            outcome: StoreOutcome::Refused,
        })),
        &[HEAD_20, " 07 01"].concat(),
    );
}

#[test]
fn stored_superseded() {
    golden(
        message::<20>(Body::Response(Response::Stored {
            outcome: StoreOutcome::Superseded { seq: 301 },
        })),
        &[HEAD_20, " 07 02 fb2d01"].concat(),
    );
}

#[test]
fn nodes_of_32_byte_keys() {
    golden(
        message::<32>(Body::Response(Response::Nodes {
            contacts: vec![Contact::new(key(0x66), addr("/ip4/198.51.100.9/udp/65535"))],
            token: token(),
        })),
        &[
            "4b414404 0102030405060708",
            " 20a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
            " 05 01",
            " 206666666666666666666666666666666666666666666666666666666666666666",
            " 09 04c6336409 9102ffff",
            TOKEN,
        ]
        .concat(),
    );
}

#[test]
fn fuzz_seeds_are_datagrams_of_this_version() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/decode");
    let seeds = std::fs::read_dir(&dir).expect("the seed directory");
    let mut count = 0;
    for seed in seeds {
        let path = seed.expect("a seed").path();
        let datagram = std::fs::read(&path).expect("readable");
        let decodes = decode::<Key<20>>(&datagram).is_ok() || decode::<Key<32>>(&datagram).is_ok();
        assert!(decodes, "{} does not decode", path.display());
        count += 1;
    }
    assert!(count >= 10, "{count} seeds");
}
