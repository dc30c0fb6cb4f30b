//! The example programs run and do what they print.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn run(program: &str, args: &[&str], input: Option<&str>) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("program starts");
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    let output = child.wait_with_output().expect("program ends");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{program} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn quickstart_finds_the_value_everywhere() {
    let out = run(env!("CARGO_BIN_EXE_quickstart"), &[], None);
    assert_eq!(out.matches("-> \"hello, kademlia\"").count(), 3, "{out}");
    assert!(out.contains("all stopped"), "{out}");
}

#[test]
fn cluster_reports_full_success() {
    // On a shared reactor (the default), then with a thread per node.
    for reactor_threads in ["2", "0"] {
        let out = run(
            env!("CARGO_BIN_EXE_cluster"),
            &[
                "--nodes",
                "12",
                "--values",
                "30",
                "--queries",
                "200",
                "--threads",
                "2",
                "--reactor-threads",
                reactor_threads,
            ],
            None,
        );
        assert!(out.contains("save : 30/30 succeeded (100.00%)"), "{out}");
        assert!(out.contains("query: 200/200 succeeded (100.00%)"), "{out}");
        assert!(out.contains("p50") && out.contains("p99"), "{out}");
    }
}

#[test]
fn kad_node_signs_and_finds_records() {
    use kad_runtime::hash::{Hasher, Sha256Hasher};
    // The public key of the secret key 0101…01.
    let public = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
    let document = Sha256Hasher::new().hash(b"a document");
    let script = format!(
        "key\nput-mutable status online\nput-mutable status away\nget-mutable {public} status\n\
         put-mutable-cas 1 status late\nget-mutable {public} other\n\
         put-immutable a document\nget-immutable {document}\nget-immutable 00\nquit\n"
    );
    let out = run(
        env!("CARGO_BIN_EXE_kad-node"),
        &[
            "repl",
            "--hasher",
            "sha256",
            "--secret-key",
            &"01".repeat(32),
        ],
        Some(&script),
    );
    assert!(out.contains(&format!("public {public}")), "{out}");
    assert!(out.contains("version 2 = \"away\""), "{out}");
    assert!(out.contains("newer version (sequence number 2)"), "{out}");
    assert!(out.contains("not found"), "{out}");
    assert!(out.contains(&format!("key {document}")), "{out}");
    assert!(out.contains("\"a document\""), "{out}");
    assert!(out.contains("usage: get-immutable"), "{out}");
}

#[test]
fn kad_node_answers_commands() {
    let script = "help\nsave fruit apple pie\nquery fruit\nquery nothing\nstatus\nconnect nonsense\nfly\nquit\n";
    let out = run(
        env!("CARGO_BIN_EXE_kad-node"),
        &["repl", "--listen", "127.0.0.1:0", "--hasher", "sha256"],
        Some(script),
    );
    assert!(out.contains("kad-node (sha256) listening at:"), "{out}");
    assert!(out.contains("\"fruit\" = \"apple pie\""), "{out}");
    assert!(out.contains("\"nothing\" not found"), "{out}");
    assert!(out.contains("records   1"), "{out}");
    assert!(out.contains("is not a multiaddr"), "{out}");
    assert!(out.contains("unknown command \"fly\""), "{out}");
}

#[test]
fn two_kad_node_processes_share_a_value() {
    let mut first = Command::new(env!("CARGO_BIN_EXE_kad-node"))
        .args(["repl", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("first node starts");
    let mut stdout = BufReader::new(first.stdout.take().expect("stdout"));
    let mut addr = String::new();
    let mut line = String::new();
    while addr.is_empty() && stdout.read_line(&mut line).expect("read") > 0 {
        if let Some(found) = line.trim().strip_prefix("/ip4/") {
            addr = format!("/ip4/{found}");
        }
        line.clear();
    }
    assert!(!addr.is_empty(), "first node printed its address");

    let second = run(
        env!("CARGO_BIN_EXE_kad-node"),
        &["repl", "--bootstrap", &addr],
        Some("save shared across processes\nquit\n"),
    );
    assert!(second.contains("on 1 other node(s)"), "{second}");

    let mut stdin = first.stdin.take().expect("stdin");
    stdin.write_all(b"query shared\nquit\n").expect("write");
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read");
    assert!(first.wait().expect("first node ends").success());
    assert!(rest.contains("\"shared\" = \"across processes\""), "{rest}");
}

#[test]
fn kad_node_reports_an_unreachable_seed() {
    let out = run(
        env!("CARGO_BIN_EXE_kad-node"),
        &["repl", "--bootstrap", "/ip6/::1/udp/9"],
        Some("quit\n"),
    );
    assert!(out.contains("cannot join through /ip6/::1/udp/9"), "{out}");
}

#[test]
fn an_acknowledged_save_survives_kill_9() {
    let dir = std::env::temp_dir().join(format!("kad-node-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data_dir = dir.to_str().expect("utf-8 path");
    let mut node = Command::new(env!("CARGO_BIN_EXE_kad-node"))
        .args(["repl", "--data-dir", data_dir])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut stdin = node.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(node.stdout.take().expect("stdout"));
    stdin
        .write_all(b"save durable survives a crash\nsave second one too\n")
        .expect("write");
    let mut acknowledged = 0;
    let mut line = String::new();
    while acknowledged < 2 && stdout.read_line(&mut line).expect("read") > 0 {
        acknowledged += usize::from(line.contains("saved \""));
        line.clear();
    }
    assert_eq!(acknowledged, 2, "both saves acknowledged");
    // No chance to write anything more: SIGKILL.
    node.kill().expect("killed");
    node.wait().expect("reaped");

    let out = run(
        env!("CARGO_BIN_EXE_kad-node"),
        &["repl", "--data-dir", data_dir],
        Some("query durable\nquery second\nquit\n"),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.contains("\"durable\" = \"survives a crash\""), "{out}");
    assert!(out.contains("\"second\" = \"one too\""), "{out}");
}
