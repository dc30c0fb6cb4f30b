//! What signed mutable records cost, beside the codec: signing a version, verifying one, a
//! node's whole check of a record it is sent (key hash and signature), and the encoding and
//! decoding of the largest mutable `Value` response.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kad_core::{
    Body, Keypair, Message, MutableRecord, Record, RecordRules, Response, Sha256Hasher, Token,
    TxId, Validator, MAX_MUTABLE_VALUE,
};
use kad_proto::{decode, encode, WireMessage};

fn records(c: &mut Criterion) {
    let keypair = Keypair::from_secret_bytes([7; 32]);
    let salt = b"profile".to_vec();
    let value = vec![0x5a; MAX_MUTABLE_VALUE - salt.len()];
    let record = MutableRecord::sign(&keypair, &salt, 42, value.clone()).expect("fits");
    let hasher = Sha256Hasher::new();
    let key = record.key(&hasher);
    let rules = RecordRules::new(hasher);
    let as_record = Record::from(record.clone());

    let mut group = c.benchmark_group("mutable_record");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign", |b| {
        b.iter(|| MutableRecord::sign(&keypair, black_box(&salt), 42, black_box(value.clone())))
    });
    group.bench_function("verify", |b| b.iter(|| black_box(&record).verify()));
    group.bench_function("validate", |b| {
        b.iter(|| rules.validate(black_box(&key), black_box(&as_record)))
    });

    let message: WireMessage<_> = Message {
        tx: TxId::from_u64(0x9e37_79b9_7f4a_7c15),
        sender: key,
        body: Body::Response(Response::Value {
            record: as_record.clone(),
            ttl_secs: 3600,
            token: Token::from_bytes([0x5a; 8]),
        }),
    };
    let datagram = encode(&message).expect("encodes");
    assert_eq!(datagram.len(), 1159);
    group.bench_function("encode_value", |b| b.iter(|| encode(black_box(&message))));
    group.bench_function("decode_value", |b| {
        b.iter(|| decode::<kad_core::Key<32>>(black_box(&datagram)))
    });
    group.finish();
}

criterion_group!(benches, records);
criterion_main!(benches);
