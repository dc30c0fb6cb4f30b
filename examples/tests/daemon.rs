//! kad-node as a daemon: config files, signals, exit codes and the metrics endpoint.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

const KAD_NODE: &str = env!("CARGO_BIN_EXE_kad-node");
const WAIT: Duration = Duration::from_secs(30);

/// A kad-node process whose stdout lines arrive on a channel.
struct Node {
    child: Child,
    lines: Receiver<String>,
}

impl Node {
    fn start(args: &[&str]) -> Node {
        let mut child = Command::new(KAD_NODE)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kad-node starts");
        let stdout = child.stdout.take().expect("stdout");
        let lines = common::lines_of(stdout);
        Node { child, lines }
    }

    /// The rest of the first stdout line that starts with `prefix` (after trimming).
    fn line_after(&self, prefix: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.trim().strip_prefix(prefix) {
                        return rest.to_string();
                    }
                }
                Err(_) => break,
            }
        }
        panic!("kad-node printed no line starting with {prefix:?}");
    }

    /// Sends SIGTERM and waits for the process to end; its exit status and stderr.
    fn terminate(mut self) -> (ExitStatus, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM sent");
        self.wait()
    }

    fn wait(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return (status, stderr);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("kad-node did not end in time");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs kad-node with `args` and `input` on stdin to its end; its exit status and output.
fn run(args: &[&str], input: &str) -> (ExitStatus, String, String) {
    let mut child = Command::new(KAD_NODE)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kad-node starts");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    let output = child.wait_with_output().expect("kad-node ends");
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("kad-daemon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The body of `GET http://{addr}/metrics`, with its status line.
fn get(addr: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).expect("metrics server answers");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (head.to_string(), body.to_string())
}

/// The metrics of a scrape, parsed as Prometheus does.
fn scrape(addr: &str) -> prometheus_parse::Scrape {
    let (head, body) = get(addr, "/metrics");
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    let lines = body.lines().map(|line| Ok(line.to_string()));
    prometheus_parse::Scrape::parse(lines).expect("the text format parses")
}

/// The value of the sample `name` whose labels include `labels`.
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)));
    match found.map(|s| &s.value) {
        Some(prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v)) => *v,
        Some(prometheus_parse::Value::Untyped(v)) => *v,
        other => panic!("no sample {name} {labels:?}: {other:?}"),
    }
}

#[test]
fn a_daemon_serves_metrics_and_writes_its_records_on_sigterm() {
    let dir = TempDir::new("sigterm");
    let args = [
        "run",
        "--listen",
        "127.0.0.1:0",
        "--metrics",
        "127.0.0.1:0",
        "--data-dir",
        dir.path(),
        // Nothing is written before the daemon stops.
        "--flush-interval-ms",
        "3600000",
    ];
    let daemon = Node::start(&args);
    let addr = daemon.line_after("/ip4/");
    let metrics = daemon.line_after("metrics at http://");
    let metrics = metrics.trim_end_matches("/metrics").to_string();

    let seed = format!("/ip4/{addr}");
    let (status, out, err) = run(
        &["repl", "--bootstrap", &seed],
        "save kept through a restart\nquery kept\nquit\n",
    );
    assert!(status.success(), "{out}\n{err}");
    assert!(out.contains("on 1 other node(s)"), "{out}");

    let scrape = scrape(&metrics);
    assert!(sample(&scrape, "kad_requests_received_total", &[("kind", "store")]) >= 1.0);
    assert!(
        sample(
            &scrape,
            "kad_requests_received_total",
            &[("kind", "find_node")]
        ) >= 1.0
    );
    assert!(sample(&scrape, "kad_datagrams_received_total", &[]) >= 2.0);
    assert!(sample(&scrape, "kad_received_bytes_total", &[]) > 0.0);
    assert_eq!(sample(&scrape, "kad_records", &[]), 1.0);
    assert!(sample(&scrape, "kad_routing_table_contacts", &[]) >= 1.0);
    let buckets: f64 = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "kad_routing_table_bucket_contacts")
        .map(|s| match s.value {
            prometheus_parse::Value::Gauge(v) => v,
            _ => 0.0,
        })
        .sum();
    assert_eq!(buckets, sample(&scrape, "kad_routing_table_contacts", &[]));
    assert!(scrape.docs.contains_key("kad_lookup_duration_seconds"));
    let (missing, _) = get(&metrics, "/elsewhere");
    assert!(missing.contains(" 404 "), "{missing}");

    let (status, stderr) = daemon.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("stopping") && stderr.contains("SIGTERM"),
        "{stderr}"
    );

    // The record was written when the daemon stopped.
    let (status, out, err) = run(&["repl", "--data-dir", dir.path()], "query kept\nquit\n");
    assert!(status.success(), "{err}");
    assert!(out.contains("\"kept\" = \"through a restart\""), "{out}");
}

#[test]
fn without_a_terminal_kad_node_is_a_daemon_configured_by_its_file() {
    let dir = TempDir::new("config");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kad.toml");
    let config = config.to_str().expect("utf-8 path");
    // The example file as it is, with the addresses and directory of the test.
    let daemon = Node::start(&[
        "--config",
        config,
        "--listen",
        "127.0.0.1:0",
        "--metrics",
        "127.0.0.1:0",
        "--data-dir",
        dir.path(),
        "--bootstrap",
        "/ip4/127.0.0.1/udp/9",
    ]);
    assert!(!daemon.line_after("/ip4/").is_empty());
    // Stdin is at its end already: a daemon does not stop for that.
    thread::sleep(Duration::from_millis(300));
    let mut daemon = daemon;
    assert!(
        daemon.child.try_wait().expect("try_wait").is_none(),
        "still running"
    );
    let (status, stderr) = daemon.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
}

#[test]
fn bad_settings_exit_with_code_2() {
    let dir = TempDir::new("bad");
    std::fs::create_dir_all(&dir.0).expect("dir");
    let config = dir.0.join("kad.toml");
    std::fs::write(&config, "listen = [\"127.0.0.1:0\"]\nbukcet-size = 8\n").expect("written");
    let config = config.to_str().expect("utf-8");
    for args in [
        &["run", "--config", config][..],
        &["run", "--config", "/nonexistent/kad.toml"],
        &["run", "--loss", "2"],
        &["run", "--bootstrap", "not-a-multiaddr"],
        &["run", "--log", "kad=[nonsense"],
        &["run", "--k", "zero"],
        &["run", "--k", "0"],
        &["run", "--listen", "localhost"],
    ] {
        let (status, _, err) = run(args, "");
        assert_eq!(status.code(), Some(2), "{args:?}: {err}");
    }
    let (_, _, err) = run(&["run", "--config", config], "");
    assert!(
        err.contains("bukcet-size"),
        "the unknown setting is named: {err}"
    );
}

#[test]
fn an_address_in_use_exits_with_code_3() {
    let taken = UdpSocket::bind("127.0.0.1:0").expect("bound");
    let listen = taken.local_addr().expect("addr").to_string();
    let (status, _, err) = run(&["run", "--listen", &listen], "");
    assert_eq!(status.code(), Some(3), "{err}");

    let taken = TcpListener::bind("127.0.0.1:0").expect("bound");
    let metrics = taken.local_addr().expect("addr").to_string();
    let (status, _, err) = run(
        &["run", "--listen", "127.0.0.1:0", "--metrics", &metrics],
        "",
    );
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(err.contains("metrics"), "{err}");
}

#[test]
fn a_data_dir_in_use_exits_with_code_4() {
    let dir = TempDir::new("locked");
    let first = Node::start(&["run", "--listen", "127.0.0.1:0", "--data-dir", dir.path()]);
    first.line_after("/ip4/");
    let (status, _, err) = run(
        &["run", "--listen", "127.0.0.1:0", "--data-dir", dir.path()],
        "",
    );
    assert_eq!(status.code(), Some(4), "{err}");
    let (status, stderr) = first.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[test]
fn hostile_metrics_clients_cost_the_daemon_nothing() {
    let daemon = Node::start(&["run", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0"]);
    daemon.line_after("/ip4/");
    let metrics = daemon.line_after("metrics at http://");
    let metrics = metrics.trim_end_matches("/metrics").to_string();
    // A body announced as 100 TB, one announced and never sent, and a head without end.
    let mut huge = TcpStream::connect(&metrics).expect("connects");
    write!(
        huge,
        "POST /metrics HTTP/1.1\r\nContent-Length: 100000000000000\r\n\r\n"
    )
    .expect("sent");
    let mut silent = TcpStream::connect(&metrics).expect("connects");
    write!(
        silent,
        "GET /metrics HTTP/1.1\r\nContent-Length: 5000\r\n\r\n"
    )
    .expect("sent");
    let mut endless = TcpStream::connect(&metrics).expect("connects");
    let line = format!("GET /metrics HTTP/1.1\r\nX: {}", "a".repeat(64 * 1024));
    let _ = endless.write_all(line.as_bytes());
    // Each is answered (or cut off) and the daemon still serves a real scrape.
    let mut answer = String::new();
    huge.set_read_timeout(Some(WAIT)).expect("timeout");
    let _ = huge.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    let scraped = scrape(&metrics);
    assert!(scraped.docs.contains_key("kad_records"));
    drop((silent, endless));
    let (status, stderr) = daemon.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");
}
