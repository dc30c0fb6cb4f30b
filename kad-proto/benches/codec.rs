//! Encode and decode speed for the smallest message (a PING) and the largest common one (a
//! `Nodes` response with the maximum number of contacts, 32-byte keys and IPv6 addresses).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kad_core::{Body, Contact, Key, Message, Request, Response, Token, TxId};
use kad_proto::{
    decode, encode, encode_into, encoded_len, Multiaddr, WireMessage, MAX_CONTACTS_PER_RESPONSE,
    MAX_DATAGRAM_SIZE,
};

fn ping() -> WireMessage<Key<32>> {
    Message {
        tx: TxId::from_u64(0x9e37_79b9_7f4a_7c15),
        sender: Key::new([7; 32]),
        body: Body::Request(Request::Ping),
    }
}

fn full_nodes() -> WireMessage<Key<32>> {
    let contacts = (0..MAX_CONTACTS_PER_RESPONSE)
        .map(|i| {
            let addr: Multiaddr = format!("/ip6/2001:db8::{i:x}/udp/{}", 4000 + i)
                .parse()
                .expect("valid multiaddr");
            Contact::new(Key::new([i as u8; 32]), addr)
        })
        .collect();
    Message {
        tx: TxId::from_u64(0x9e37_79b9_7f4a_7c15),
        sender: Key::new([7; 32]),
        body: Body::Response(Response::Nodes {
            contacts,
            token: Token::from_bytes([0x5a; 8]),
        }),
    }
}

fn bench_message(c: &mut Criterion, name: &str, message: &WireMessage<Key<32>>) {
    let datagram = encode(message).expect("encodes");
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.bench_function("encode", |b| b.iter(|| encode(black_box(message))));
    group.bench_function("encode_into", |b| {
        let mut buf = [0u8; MAX_DATAGRAM_SIZE];
        b.iter(|| encode_into(black_box(message), &mut buf))
    });
    group.bench_function("encoded_len", |b| {
        b.iter(|| encoded_len(black_box(message)))
    });
    group.bench_function("decode", |b| {
        b.iter(|| decode::<Key<32>>(black_box(&datagram)))
    });
    group.finish();
}

fn codec(c: &mut Criterion) {
    bench_message(c, "ping", &ping());
    let nodes = full_nodes();
    assert_eq!(encode(&nodes).map(|d| d.len()), Ok(1155));
    bench_message(c, "nodes_20_contacts", &nodes);
}

criterion_group!(benches, codec);
criterion_main!(benches);
