//! Signed mutable and immutable records over real UDP on loopback: a key pair's versions
//! follow each other whichever node publishes them, compare-and-swap refuses a writer who
//! missed one, and content-addressed values come back under their hash.

mod common;

use common::network;
use kad_core::CommandError;
use kad_runtime::{Error, Keypair, MAX_MUTABLE_VALUE};

fn superseded(result: Result<usize, Error>) -> Option<u64> {
    match result {
        Err(Error::Command(CommandError::Superseded { seq })) => Some(seq),
        _ => None,
    }
}

#[test]
fn mutable_records_take_the_next_version_and_refuse_a_stale_writer() {
    let services = network(8, 13);
    let keypair = Keypair::generate();
    let replicas = services[0]
        .put_mutable(&keypair, b"status", b"online".to_vec())
        .wait()
        .expect("saved");
    assert!(replicas >= 5, "{replicas} replicas");
    let first = services[5]
        .get_mutable(&keypair.public(), b"status")
        .expect("running")
        .expect("found");
    assert_eq!((first.seq, first.value.as_slice()), (1, &b"online"[..]));
    assert_eq!(first.public_key, keypair.public());

    // The same key pair on another node: the next version.
    services[3]
        .put_mutable_cas(&keypair, b"status", b"away".to_vec(), 1)
        .wait()
        .expect("saved");
    let second = services[7]
        .get_mutable(&keypair.public(), b"status")
        .expect("running")
        .expect("found");
    assert_eq!((second.seq, second.value.as_slice()), (2, &b"away"[..]));

    // A writer who believes version 1 is still the newest is refused.
    let stale = services[6].put_mutable_cas(&keypair, b"status", b"late".to_vec(), 1);
    assert_eq!(superseded(stale.wait()), Some(2));
    let still = services[1]
        .get_mutable(&keypair.public(), b"status")
        .expect("running")
        .expect("found");
    assert_eq!(still.value, b"away");

    // Another salt, another record; another key pair, nothing.
    assert_eq!(
        services[2]
            .get_mutable(&keypair.public(), b"other")
            .expect("running"),
        None
    );
    let stranger = Keypair::from_secret_bytes([42; 32]);
    assert_eq!(
        services[2]
            .get_mutable(&stranger.public(), b"status")
            .expect("running"),
        None
    );
}

#[test]
fn a_mutable_value_over_the_limit_is_refused_at_once() {
    let services = network(2, 17);
    let keypair = Keypair::generate();
    let result = services[0]
        .put_mutable(&keypair, b"salt", vec![0; MAX_MUTABLE_VALUE])
        .wait();
    assert!(
        matches!(result, Err(Error::Command(CommandError::InvalidRecord(_)))),
        "{result:?}"
    );
}

#[test]
fn immutable_values_come_back_under_their_hash() {
    let services = network(6, 19);
    let (key, handle) = services[1].put_immutable(b"a document".to_vec());
    assert!(handle.wait().expect("saved") >= 3);
    for service in &services {
        assert_eq!(
            service.get_immutable(&key).expect("running"),
            Some(b"a document".to_vec())
        );
    }
}
