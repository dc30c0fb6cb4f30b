//! What a node logs of the datagrams it drops on its own, through `tracing`: each drop at
//! debug level with its reason and address, at most `LOG_LIMIT` a second for each reason,
//! then one summary of the rest.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use kad_core::{Body, Config, Key, Message, Node, Request, TxId, LOG_LIMIT, LOG_WINDOW};
use tracing_subscriber::fmt::MakeWriter;

type Id = Key<20>;

/// Log lines written by the subscriber, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut text = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        text.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Runs `f` with a debug-level subscriber on this thread; returns what it logged.
fn logged(f: impl FnOnce()) -> String {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let text = captured.0.lock().unwrap_or_else(PoisonError::into_inner);
    String::from_utf8_lossy(&text).into_owned()
}

fn node(now: Instant) -> Node<SocketAddr, Id> {
    Node::new(Id::new([0; 20]), Config::default(), 1, now).expect("a valid config")
}

#[test]
fn a_flood_over_the_rate_logs_a_few_drops_and_a_summary() {
    let start = Instant::now();
    let from: SocketAddr = "203.0.113.7:4000".parse().unwrap();
    let mut node = node(start);
    let mut refused = 0u64;
    let text = logged(|| {
        for _ in 0..1000 {
            refused += u64::from(!node.admit(start, &from));
        }
        // Next second: the bucket refilled a little, then the source is over its rate again.
        for _ in 0..100 {
            node.admit(start + LOG_WINDOW, &from);
        }
    });
    assert!(refused > 900, "the flood went over the rate: {refused}");
    let drops = text
        .lines()
        .filter(|l| l.contains("datagram dropped") && l.contains("reason=\"rate_limited\""))
        .collect::<Vec<_>>();
    assert_eq!(drops.len(), 2 * LOG_LIMIT as usize, "{text}");
    assert!(drops[0].contains("from=203.0.113.7:4000"), "{}", drops[0]);
    let summary = format!("suppressed={}", refused - u64::from(LOG_LIMIT));
    assert!(
        text.lines()
            .any(|l| l.contains(&summary) && l.contains("reason=\"rate_limited\"")),
        "a summary with {summary}: {text}"
    );
}

fn ping() -> Message<SocketAddr, Id> {
    Message {
        tx: TxId::from_u64(1),
        sender: Id::new([1; 20]),
        body: Body::Request(Request::Ping),
    }
}

#[test]
fn a_request_from_an_unroutable_address_is_logged() {
    let now = Instant::now();
    let from: SocketAddr = "0.0.0.0:4000".parse().unwrap();
    let mut node = node(now);
    let text = logged(|| node.handle_message(now, from, ping()));
    assert_eq!(node.stats().unroutable_dropped, 1);
    assert!(
        text.contains("datagram dropped") && text.contains("from=0.0.0.0:4000"),
        "{text}"
    );
    assert!(text.contains("reason=\"unroutable\""), "{text}");
}

#[test]
fn a_request_from_a_local_address_the_node_does_not_talk_to_is_logged() {
    let now = Instant::now();
    let from: SocketAddr = "192.168.1.20:4000".parse().unwrap();
    let mut node = node(now);
    let text = logged(|| node.handle_message(now, from, ping()));
    assert_eq!(node.stats().local_requests_dropped, 1);
    assert!(
        text.contains("datagram dropped")
            && text.contains("from=192.168.1.20:4000")
            && text.contains("reason=\"local\""),
        "{text}"
    );
}

#[test]
fn nothing_is_kept_for_logging_without_a_subscriber() {
    let now = Instant::now();
    let from: SocketAddr = "203.0.113.7:4000".parse().unwrap();
    let mut node = node(now);
    for _ in 0..100 {
        node.admit(now, &from);
    }
    assert!(node.stats().rate_limited > 0);
    // The node's debug output shows the drop log's limiters once they exist.
    assert!(format!("{node:?}").contains("drop_log: None"));
}

#[test]
fn a_bootstrap_that_reaches_nobody_says_it_tries_again() {
    let start = Instant::now();
    let seed: SocketAddr = "203.0.113.9:4000".parse().unwrap();
    let mut node = node(start);
    let text = logged(|| {
        node.bootstrap(start, [seed]).expect("bootstrap starts");
        // The seed never answers: let the requests time out, twice.
        while node.stats().bootstrap_retries < 2 {
            node.handle_timeout(node.poll_timeout());
            while node.poll_transmit().is_some() {}
        }
    });
    let retries: Vec<_> = text
        .lines()
        .filter(|l| l.contains("INFO") && l.contains("bootstrap reached nobody"))
        .collect();
    assert_eq!(retries.len(), 2, "{text}");
    assert!(retries[0].contains("attempts=1") && retries[0].contains("retry_in=0ns"));
    assert!(retries[1].contains("attempts=2") && retries[1].contains("retry_in=1s"));
}
