//! Eight kad-node processes on eight hosts: network namespaces joined by a bridge, each
//! node with an address of its own, 5 % of their datagrams lost, three copies of each
//! value. Values saved on each are found from every other, and still after two nodes are
//! killed with SIGKILL.
//!
//! Needs root and iproute2's `ip`; without them the test says why and passes, unless
//! `KAD_REQUIRE_NETNS` is set (then it fails: a CI that must run it says so). Every
//! namespace it makes is removed when it ends, however it ends (and those left by a run that
//! was itself killed are removed by the next).

mod common;

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

const KAD_NODE: &str = env!("CARGO_BIN_EXE_kad-node");
const HOSTS: usize = 8;
/// The prefix of the namespaces' names; the process id follows it.
const PREFIX: &str = "kadmh";
const WAIT: Duration = Duration::from_secs(60);

/// Runs `ip` with `args`; its error output if it fails.
fn ip(args: &[&str]) -> Result<(), String> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Why the test cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        == Some("0");
    if !root {
        return Some("it needs root (network namespaces)".into());
    }
    match Command::new("ip").arg("-V").output() {
        Ok(output) if output.status.success() => None,
        _ => Some("iproute2's `ip` is missing".into()),
    }
}

/// The namespaces of one run: removed on drop.
struct Network {
    namespaces: Vec<String>,
}

impl Network {
    fn host(&self, i: usize) -> &str {
        &self.namespaces[i + 1]
    }

    fn address(i: usize) -> String {
        format!("10.77.0.{}", i + 1)
    }

    /// A bridge namespace and `HOSTS` host namespaces, each with a veth pair into the bridge.
    fn build() -> Result<Network, String> {
        remove_stale();
        let pid = std::process::id();
        let mut network = Network {
            namespaces: Vec::new(),
        };
        let bridge = format!("{PREFIX}{pid}b");
        ip(&["netns", "add", &bridge])?;
        network.namespaces.push(bridge.clone());
        ip(&["-n", &bridge, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &bridge, "link", "set", "br0", "up"])?;
        for i in 0..HOSTS {
            let host = format!("{PREFIX}{pid}h{i}");
            ip(&["netns", "add", &host])?;
            network.namespaces.push(host.clone());
            let port = format!("v{i}");
            ip(&[
                "-n", &bridge, "link", "add", &port, "type", "veth", "peer", "name", "eth0",
                "netns", &host,
            ])?;
            ip(&["-n", &bridge, "link", "set", &port, "master", "br0", "up"])?;
            let addr = format!("{}/24", Network::address(i));
            ip(&["-n", &host, "addr", "add", &addr, "dev", "eth0"])?;
            ip(&["-n", &host, "link", "set", "eth0", "up"])?;
            ip(&["-n", &host, "link", "set", "lo", "up"])?;
        }
        Ok(network)
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        for namespace in self.namespaces.iter().rev() {
            if let Err(error) = ip(&["netns", "del", namespace]) {
                eprintln!("cannot remove namespace {namespace}: {error}");
            }
        }
    }
}

/// Removes the namespaces of earlier runs whose process is gone.
fn remove_stale() {
    let Ok(output) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let pid: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !pid.is_empty() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = ip(&["netns", "del", name]);
        }
    }
}

/// A kad-node at the prompt in a namespace: commands in, lines out.
struct Host {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Host {
    fn start(namespace: &str, args: &[&str]) -> Host {
        let mut child = Command::new("ip")
            .args(["netns", "exec", namespace, KAD_NODE, "repl"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kad-node starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let lines = common::lines_of(stdout);
        Host {
            child,
            stdin,
            lines,
        }
    }

    /// Sends `command`; the first line of output that `answer` picks.
    fn ask(&mut self, command: &str, answer: impl Fn(&str) -> bool) -> String {
        writeln!(self.stdin, "{command}").expect("command sent");
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if answer(&line) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no answer to {command:?}");
    }

    /// Contacts in the routing table.
    fn peers(&mut self) -> usize {
        let line = self.ask("status", |l| l.starts_with("peers"));
        line.trim_start_matches("peers")
            .trim()
            .parse()
            .expect("a number")
    }

    /// The value found for `key`, if any.
    fn query(&mut self, key: &str) -> Option<String> {
        let line = self.ask(&format!("query {key}"), |l| {
            l.starts_with(&format!("{key:?}")) || l.starts_with("error")
        });
        let value = line.split_once(" = ")?.1;
        Some(value.rsplit_once(" (")?.0.trim_matches('"').to_string())
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Skips the test with `why`, or fails it if `KAD_REQUIRE_NETNS` says it must run.
fn skip(why: &str) {
    assert!(
        std::env::var_os("KAD_REQUIRE_NETNS").is_none(),
        "KAD_REQUIRE_NETNS is set, but {why}"
    );
    eprintln!("skipped: eight_hosts_find_every_value_after_two_are_killed: {why}");
}

#[test]
fn eight_hosts_find_every_value_after_two_are_killed() {
    if let Some(why) = unavailable() {
        return skip(&why);
    }
    let network = match Network::build() {
        Ok(network) => network,
        // Root in a sandbox that forbids namespaces: nothing to test on.
        Err(error) => return skip(&format!("network namespaces cannot be made: {error}")),
    };
    let seed = format!("/ip4/{}/udp/4000", Network::address(0));
    let mut hosts: Vec<Option<Host>> = (0..HOSTS)
        .map(|i| {
            let listen = format!("{}:4000", Network::address(i));
            // Three copies of each value: most queries have to cross the network.
            let mut args = vec!["--listen", &listen, "--loss", "0.05", "--k", "3"];
            // Lookups past the two dead nodes have time, on a loaded machine too.
            args.extend([
                "--request-timeout-ms",
                "1000",
                "--query-timeout-ms",
                "15000",
            ]);
            if i > 0 {
                args.extend(["--bootstrap", &seed]);
            }
            Some(Host::start(network.host(i), &args))
        })
        .collect();

    // Every node gets to know at least k others.
    let deadline = Instant::now() + WAIT;
    for host in hosts.iter_mut().flatten() {
        while host.peers() < 3 {
            assert!(Instant::now() < deadline, "nodes did not find each other");
            thread::sleep(Duration::from_millis(200));
        }
    }

    let values: Vec<(String, String)> = (0..HOSTS)
        .map(|i| {
            (
                format!("key-{i}"),
                format!("saved on {}", Network::address(i)),
            )
        })
        .collect();
    for (host, (key, value)) in hosts.iter_mut().flatten().zip(&values) {
        let saved = host.ask(&format!("save {key} {value}"), |l| {
            l.starts_with("saved") || l.starts_with("error")
        });
        assert!(saved.starts_with("saved"), "{saved}");
    }
    let find_all = |hosts: &mut [Option<Host>]| {
        for (i, host) in hosts.iter_mut().enumerate() {
            let Some(host) = host else { continue };
            for (key, value) in &values {
                assert_eq!(host.query(key).as_ref(), Some(value), "{key} from host {i}");
            }
        }
    };
    find_all(&mut hosts);

    // The seed and one more die without a word.
    for i in [0, 5] {
        if let Some(mut host) = hosts[i].take() {
            host.child.kill().expect("SIGKILL");
            host.child.wait().expect("reaped");
        }
    }
    find_all(&mut hosts);
    drop(hosts);
    drop(network);
}
