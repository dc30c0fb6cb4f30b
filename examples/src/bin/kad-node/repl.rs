//! The prompt: one command per line, from a terminal or a script.

use std::io::{self, BufRead, IsTerminal, Write};
use std::time::Instant;

use kad_examples::{hex, unhex, Micros};
use kad_runtime::hash::{Hasher, KeyType};
use kad_runtime::{DHTService, DropCounters, Keypair, Multiaddr, PublicKey};

pub const HELP: &str = "\
commands:
  save <key> <value>     store a value (the rest of the line) under a key
  query <key>            find the value stored under a key
  put-mutable <salt> <value>
                         publish the next version of this node's signed record under <salt>
  put-mutable-cas <seq> <salt> <value>
                         the same, only if version <seq> is the newest
  get-mutable <public key> <salt>
                         the newest version of a signed record (public key in hex)
  put-immutable <value>  store a value under its own hash; prints the key
  get-immutable <key>    the value stored under its hash (key in hex)
  key                    this node's public key, and its secret to reuse with --secret-key
  connect <multiaddr>    join the network through a node, e.g. /ip4/127.0.0.1/udp/4000
  status                 this node's id, addresses, peers, records and traffic
  help                   this text
  quit                   stop the node and leave (also Ctrl-D)";

/// Reads commands from stdin until `quit` or the end of the input; the `kad> ` prompt only
/// when stdin is a terminal.
pub fn run<H: Hasher>(
    service: &DHTService<H>,
    keypair: &Keypair,
    drops: &[DropCounters],
) -> io::Result<()> {
    let stdin = io::stdin();
    let prompt = stdin.is_terminal();
    if prompt {
        println!("type `help` for the commands");
    }
    let mut lines = stdin.lock().lines();
    loop {
        if prompt {
            print!("kad> ");
        }
        io::stdout().flush()?;
        let Some(line) = lines.next() else {
            if prompt {
                println!();
            }
            return Ok(());
        };
        if !command(service, keypair, drops, line?.trim()) {
            return Ok(());
        }
        io::stdout().flush()?;
    }
}

/// Runs one command line; returns false to quit.
fn command<H: Hasher>(
    service: &DHTService<H>,
    keypair: &Keypair,
    drops: &[DropCounters],
    line: &str,
) -> bool {
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    if record_command(service, keypair, word, rest) {
        return true;
    }
    match word {
        "" => {}
        "help" | "?" => println!("{HELP}"),
        "quit" | "exit" => return false,
        "status" => status(service, drops),
        "connect" => match rest.parse::<Multiaddr>() {
            Ok(addr) => match service.connect(addr) {
                Ok(()) => println!("joining; `status` shows the peers as they answer"),
                Err(error) => println!("error: {error}"),
            },
            Err(error) => println!("error: {rest:?} is not a multiaddr ({error})"),
        },
        "save" => {
            let (key, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            if key.is_empty() {
                println!("usage: save <key> <value>");
                return true;
            }
            let started = Instant::now();
            match service.save(key, value.trim().as_bytes().to_vec()).wait() {
                Ok(copies) => println!(
                    "saved {key:?} here and on {copies} other node(s) in {}",
                    Micros(started.elapsed())
                ),
                Err(error) => println!("error: {error}"),
            }
        }
        "query" | "get" => {
            if rest.is_empty() {
                println!("usage: query <key>");
                return true;
            }
            let started = Instant::now();
            match service.try_query(rest) {
                Ok(Some(value)) => println!(
                    "{rest:?} = {:?} ({})",
                    String::from_utf8_lossy(&value),
                    Micros(started.elapsed())
                ),
                Ok(None) => println!("{rest:?} not found ({})", Micros(started.elapsed())),
                Err(error) => println!("error: {error}"),
            }
        }
        other => println!("unknown command {other:?}; type `help`"),
    }
    true
}

/// Runs a command about signed or content-addressed records; false if `word` is none.
fn record_command<H: Hasher>(
    service: &DHTService<H>,
    keypair: &Keypair,
    word: &str,
    rest: &str,
) -> bool {
    let mut args = rest.splitn(3, char::is_whitespace);
    let started = Instant::now();
    let saved = |result: Result<usize, kad_runtime::Error>| match result {
        Ok(copies) => println!(
            "saved here and on {copies} other node(s) in {}",
            Micros(started.elapsed())
        ),
        Err(error) => println!("error: {error}"),
    };
    match word {
        "key" => {
            println!("public {}", hex(keypair.public().as_bytes()));
            println!(
                "secret {} (keep it to yourself)",
                hex(&keypair.secret_bytes())
            );
        }
        "put-mutable" => match rest.split_once(char::is_whitespace) {
            Some((salt, value)) => {
                let value = value.trim().as_bytes().to_vec();
                saved(service.put_mutable(keypair, salt.as_bytes(), value).wait());
            }
            None => println!("usage: put-mutable <salt> <value>"),
        },
        "put-mutable-cas" => {
            let seq = args.next().and_then(|seq| seq.parse::<u64>().ok());
            match (seq, args.next(), args.next()) {
                (Some(seq), Some(salt), Some(value)) => {
                    let value = value.trim().as_bytes().to_vec();
                    let handle = service.put_mutable_cas(keypair, salt.as_bytes(), value, seq);
                    saved(handle.wait());
                }
                _ => println!("usage: put-mutable-cas <seq> <salt> <value>"),
            }
        }
        "get-mutable" => {
            let key = args
                .next()
                .and_then(unhex)
                .and_then(|b| <[u8; 32]>::try_from(b).ok());
            match (key, args.next()) {
                (Some(key), Some(salt)) => {
                    match service.get_mutable(&PublicKey::from_bytes(key), salt.as_bytes()) {
                        Ok(Some(record)) => println!(
                            "version {} = {:?} ({})",
                            record.seq,
                            String::from_utf8_lossy(&record.value),
                            Micros(started.elapsed())
                        ),
                        Ok(None) => println!("not found ({})", Micros(started.elapsed())),
                        Err(error) => println!("error: {error}"),
                    }
                }
                _ => println!("usage: get-mutable <public key in hex> <salt>"),
            }
        }
        "put-immutable" if !rest.is_empty() => {
            let (key, handle) = service.put_immutable(rest.as_bytes().to_vec());
            println!("key {}", hex(key.as_slice()));
            saved(handle.wait());
        }
        "get-immutable" => match unhex(rest).and_then(|bytes| H::Key::from_slice(&bytes)) {
            Some(key) => match service.get_immutable(&key) {
                Ok(Some(value)) => println!(
                    "{:?} ({})",
                    String::from_utf8_lossy(&value),
                    Micros(started.elapsed())
                ),
                Ok(None) => println!("not found ({})", Micros(started.elapsed())),
                Err(error) => println!("error: {error}"),
            },
            None => println!("usage: get-immutable <key in hex>"),
        },
        "put-immutable" => println!("usage: put-immutable <value>"),
        _ => return false,
    }
    true
}

fn status<H: Hasher>(service: &DHTService<H>, drops: &[DropCounters]) {
    let stats = service.stats();
    if let Some(id) = service.local_id() {
        println!("id        {id}");
    }
    for addr in service.local_addrs() {
        println!("address   {addr}");
    }
    println!("peers     {}", stats.peers);
    println!("records   {}", stats.records);
    println!(
        "requests  {} sent, {} answered, {} timed out",
        stats.requests_sent, stats.requests_received, stats.timeouts
    );
    println!(
        "datagrams {} received, {} sent",
        stats.datagrams_received, stats.datagrams_sent
    );
    let d = stats.dropped;
    println!(
        "dropped   {} malformed, {} inbound queue full, {} outbound queue full, \
         {} send errors, {} unreachable",
        d.malformed, d.inbound_full, d.outbound_full, d.send_failed, d.unreachable
    );
    let total = |f: fn(&DropCounters) -> u64| drops.iter().map(f).sum::<u64>();
    println!(
        "          of the malformed: {} not kad, {} other version, {} over-size, {} bad body",
        total(DropCounters::foreign),
        total(DropCounters::other_version),
        total(DropCounters::oversize),
        total(DropCounters::malformed)
    );
}
