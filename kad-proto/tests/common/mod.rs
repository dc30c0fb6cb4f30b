//! Strategies for arbitrary messages within the limits, shared by the property tests.

#![allow(dead_code)]

use kad_core::{
    Body, Contact, Key, Message, MutableRecord, PublicKey, Record, Request, Response, Signature,
    StoreOutcome, Token, TxId, MAX_MUTABLE_VALUE, MAX_SALT,
};
use kad_proto::{Multiaddr, Protocol, WireMessage, MAX_CONTACTS_PER_RESPONSE, MAX_VALUE_SIZE};
use proptest::collection::vec;
use proptest::prelude::*;

pub fn key<const N: usize>() -> impl Strategy<Value = Key<N>> {
    vec(any::<u8>(), N).prop_map(|bytes| Key::from_slice(&bytes).expect("N bytes"))
}

pub fn token() -> impl Strategy<Value = Token> {
    any::<[u8; 8]>().prop_map(Token::from_bytes)
}

/// The addresses a contact is found at in practice: IP and UDP (with QUIC), DNS, memory.
pub fn multiaddr() -> impl Strategy<Value = Multiaddr> {
    let port = any::<u16>();
    prop_oneof![
        (any::<[u8; 4]>(), port).prop_map(|(ip, port)| {
            Multiaddr::empty()
                .with(Protocol::Ip4(ip.into()))
                .with(Protocol::Udp(port))
        }),
        (any::<[u8; 16]>(), port).prop_map(|(ip, port)| {
            Multiaddr::empty()
                .with(Protocol::Ip6(ip.into()))
                .with(Protocol::Udp(port))
        }),
        (any::<[u8; 16]>(), port).prop_map(|(ip, port)| {
            Multiaddr::empty()
                .with(Protocol::Ip6(ip.into()))
                .with(Protocol::Udp(port))
                .with(Protocol::QuicV1)
        }),
        ("[a-z0-9-]{1,58}", port).prop_map(|(host, port)| {
            Multiaddr::empty()
                .with(Protocol::Dns4(host.into()))
                .with(Protocol::Udp(port))
        }),
        any::<u64>().prop_map(|n| Multiaddr::empty().with(Protocol::Memory(n))),
        Just(Multiaddr::empty()),
    ]
}

pub fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..=16),
        vec(any::<u8>(), 0..=MAX_VALUE_SIZE),
        vec(any::<u8>(), MAX_VALUE_SIZE),
    ]
}

/// Any record within the limits; a mutable one's key and signature are arbitrary bytes (the
/// codec does not check them).
pub fn record() -> impl Strategy<Value = Record> {
    let mutable = (
        any::<[u8; 32]>(),
        vec(any::<u8>(), 0..=MAX_SALT),
        any::<u64>(),
        0..=MAX_MUTABLE_VALUE,
        any::<[u8; 32]>(),
        any::<u8>(),
    )
        .prop_map(|(key, salt, seq, len, sig, fill)| {
            let len = len.min(MAX_MUTABLE_VALUE - salt.len());
            let mut signature = [fill; 64];
            signature[..32].copy_from_slice(&sig);
            Record::from(MutableRecord {
                public_key: PublicKey::from_bytes(key),
                salt,
                seq,
                value: vec![fill; len],
                signature: Signature::from_bytes(signature),
            })
        });
    prop_oneof![
        value().prop_map(Record::Plain),
        value().prop_map(Record::Immutable),
        mutable,
    ]
}

pub fn outcome() -> impl Strategy<Value = StoreOutcome> {
    prop_oneof![
        Just(StoreOutcome::Accepted),
        Just(StoreOutcome::Refused),
        any::<u64>().prop_map(|seq| StoreOutcome::Superseded { seq }),
    ]
}

pub fn contacts<const N: usize>() -> impl Strategy<Value = Vec<Contact<Multiaddr, Key<N>>>> {
    vec(
        (key::<N>(), multiaddr()).prop_map(|(id, addr)| Contact { id, addr }),
        0..=MAX_CONTACTS_PER_RESPONSE,
    )
}

pub fn body<const N: usize>() -> impl Strategy<Value = Body<Multiaddr, Key<N>>> {
    prop_oneof![
        Just(Body::Request(Request::Ping)),
        (key::<N>(), 0..=400u16)
            .prop_map(|(target, padding)| Body::Request(Request::FindNode { target, padding })),
        (key::<N>(), 0..=400u16)
            .prop_map(|(key, padding)| Body::Request(Request::FindValue { key, padding })),
        (
            key::<N>(),
            record(),
            any::<u32>(),
            token(),
            any::<Option<u64>>()
        )
            .prop_map(|(key, record, ttl_secs, token, cas)| {
                Body::Request(Request::Store {
                    key,
                    record,
                    ttl_secs,
                    token,
                    cas,
                })
            }),
        Just(Body::Response(Response::Pong)),
        (contacts::<N>(), token())
            .prop_map(|(contacts, token)| Body::Response(Response::Nodes { contacts, token })),
        (record(), any::<u32>(), token()).prop_map(|(record, ttl_secs, token)| {
            Body::Response(Response::Value {
                record,
                ttl_secs,
                token,
            })
        }),
        outcome().prop_map(|outcome| Body::Response(Response::Stored { outcome })),
    ]
}

pub fn message<const N: usize>() -> impl Strategy<Value = WireMessage<Key<N>>> {
    (any::<u64>(), key::<N>(), body::<N>()).prop_map(|(tx, sender, body)| Message {
        tx: TxId::from_u64(tx),
        sender,
        body,
    })
}

/// Whether `message` is a `Nodes` response.
pub fn is_nodes<A, K>(message: &Message<A, K>) -> bool {
    matches!(message.body, Body::Response(Response::Nodes { .. }))
}
