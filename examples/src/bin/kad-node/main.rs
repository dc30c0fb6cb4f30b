//! kad-node: a Kademlia DHT node, as a daemon or at a prompt.
//!
//! ```text
//! # a daemon, from a config file (see kad.toml in the repository), metrics on :9464
//! kad-node run --config kad.toml --metrics 127.0.0.1:9464
//! # a prompt, joining through the first node
//! kad-node repl --bootstrap /ip4/127.0.0.1/udp/4000
//! ```
//!
//! Without a subcommand, kad-node is a prompt when stdin is a terminal and a daemon
//! otherwise. At the prompt: `save <key> <value>`, `query <key>`, the signed and
//! content-addressed records (`put-mutable`, `get-mutable`, `put-immutable`,
//! `get-immutable`), `connect <multiaddr>`, `status`, `help`, `quit`; the same commands are
//! read one per line from a pipe. Nodes must use the same `--hasher` to understand each
//! other. SIGTERM, SIGHUP and Ctrl-C stop a node cleanly: its data directory is written
//! first; a second signal during that stop ends the process at once.
//!
//! A pipe into `kad-node` with no subcommand is not read: without a terminal kad-node is a
//! daemon. Commands from a pipe or a script go to `kad-node repl`.

mod metrics_server;
mod repl;
mod settings;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use clap::{Parser, Subcommand};
use kad_examples::{install_logs, with_hasher};
use kad_runtime::gateway::GatewayError;
use kad_runtime::hash::Hasher;
use kad_runtime::{DHTService, Error, FaultyGateway, Keypair, UdpGateway};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use settings::{Checked, Settings};

const EXIT_CODES: &str = "\
Exit codes:
  0  stopped cleanly (SIGTERM, Ctrl-C, `quit` or the end of the input)
  1  any other failure
  2  bad command line or config file
  3  an address to listen at (node or metrics) is in use or not available
  4  the data directory cannot be used (locked by another node, newer, damaged)";

/// A Kademlia DHT node: a daemon (`run`) or an interactive prompt (`repl`).
///
/// Settings come from the flags and from a TOML config file (`--config`), the flags
/// winning. Without a subcommand, kad-node is a prompt when stdin is a terminal and a
/// daemon otherwise.
#[derive(Debug, Parser)]
#[command(
    name = "kad-node",
    version,
    args_conflicts_with_subcommands = true,
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    mode: Option<Mode>,
    #[command(flatten)]
    node: NodeArgs,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Run as a daemon until SIGTERM or Ctrl-C; logs go to stderr.
    #[command(after_help = EXIT_CODES)]
    Run(NodeArgs),
    /// An interactive prompt (or commands one per line from a pipe) until `quit`.
    #[command(after_help = EXIT_CODES)]
    Repl(NodeArgs),
}

#[derive(Clone, Debug, clap::Args)]
struct NodeArgs {
    /// A TOML file of settings, named as the flags are (`listen = ["0.0.0.0:4000"]`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Settings,
}

/// Why kad-node stopped, as its exit code tells.
enum Failure {
    Config(String),
    Address(String),
    DataDir(String),
    Other(String),
}

impl Failure {
    /// The failure a service error at start is.
    fn of_start(error: Error) -> Failure {
        match &error {
            Error::Gateway(GatewayError::Io(io)) if is_address_error(io) => {
                Failure::Address(error.to_string())
            }
            Error::Config(_) => Failure::Config(error.to_string()),
            Error::Storage(_) => Failure::DataDir(error.to_string()),
            _ => Failure::Other(error.to_string()),
        }
    }

    fn exit(self) -> ExitCode {
        let (code, message) = match self {
            Failure::Other(m) => (1, m),
            Failure::Config(m) => (2, m),
            Failure::Address(m) => (3, m),
            Failure::DataDir(m) => (4, m),
        };
        eprintln!("kad-node: {message}");
        ExitCode::from(code)
    }
}

/// Whether `error` says an address cannot be bound.
fn is_address_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::AddrInUse
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::PermissionDenied
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (daemon, args) = match cli.mode {
        Some(Mode::Run(args)) => (true, args),
        Some(Mode::Repl(args)) => (false, args),
        None => (!io::stdin().is_terminal(), cli.node),
    };
    // The log flag wins over RUST_LOG, and RUST_LOG over the file.
    let log_flag = args.settings.log.clone();
    let settings = match &args.config {
        Some(path) => Settings::from_file(path).map(|file| args.settings.or(file)),
        None => Ok(args.settings),
    };
    let checked = match settings.and_then(Settings::check) {
        Ok(checked) => checked,
        Err(message) => return Failure::Config(message).exit(),
    };
    // Logs to stderr: info for a daemon, only warnings at a prompt, unless told otherwise.
    let default = if daemon { "info" } else { "warn" };
    let fallback = checked.log.as_deref().unwrap_or(default);
    if let Err(message) = install_logs(log_flag.as_deref(), fallback) {
        return Failure::Config(message).exit();
    }
    let result = with_hasher!(checked.hasher, |hasher| run(hasher, &checked, daemon));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

fn run<H: Hasher>(hasher: H, settings: &Checked, daemon: bool) -> Result<(), Failure> {
    let mut builder = DHTService::builder()
        .hasher(hasher)
        .k(settings.k)
        .alpha(settings.alpha)
        .request_timeout(settings.request_timeout);
    if let Some(timeout) = settings.query_timeout {
        builder = builder.query_timeout(timeout);
    }
    if let Some(dir) = &settings.data_dir {
        builder = builder.data_dir(dir);
    }
    if let Some(interval) = settings.flush_interval {
        builder = builder.flush_interval(interval);
    }
    let mut service = builder.build().map_err(Failure::of_start)?;
    let keypair = match settings.secret_key {
        Some(secret) => Keypair::from_secret_bytes(secret),
        None => Keypair::try_generate().map_err(|e| Failure::Other(e.to_string()))?,
    };
    let mut drops = Vec::new();
    for listen in &settings.listen {
        let gateway = UdpGateway::new(listen);
        drops.push(gateway.drop_counters());
        if settings.loss > 0.0 {
            service.register_gateway(FaultyGateway::new(gateway).loss(settings.loss));
        } else {
            service.register_gateway(gateway);
        }
    }
    // Before the start, so that a signal during it is not lost.
    let signals = Signals::new([SIGTERM, SIGINT, SIGHUP])
        .map_err(|e| Failure::Other(format!("signals: {e}")))?;
    service.start().map_err(Failure::of_start)?;
    let service = Arc::new(service);
    // Written and never unwrapped: a daemon's stdout may be closed.
    let say = |line: std::fmt::Arguments| {
        let _ = writeln!(io::stdout(), "{line}");
    };
    say(format_args!(
        "kad-node ({}) listening at:",
        service.hasher().name()
    ));
    for addr in service.local_addrs() {
        say(format_args!("  {addr}"));
    }
    if let Some(addr) = settings.metrics {
        let bound = metrics_server::serve(addr, Arc::clone(&service)).inspect_err(|_| {
            service.stop();
        })?;
        say(format_args!("metrics at http://{bound}/metrics"));
    }
    for seed in &settings.bootstrap {
        match service.connect(seed.clone()) {
            Ok(()) => say(format_args!("joining through {seed}")),
            Err(error) => say(format_args!("cannot join through {seed}: {error}")),
        }
    }
    let signal_thread = on_signals(signals, Arc::clone(&service))
        .map_err(|e| Failure::Other(format!("signals: {e}")))?;
    if daemon {
        // Ends the process once the service is stopped.
        let _ = signal_thread.join();
        return Ok(());
    }
    let result = repl::run(&service, &keypair, &drops);
    service.stop();
    result.map_err(|e| Failure::Other(format!("stdin: {e}")))
}

/// Handles SIGTERM, SIGINT and SIGHUP on a thread of its own: the first stops the service
/// (its data directory is written and its threads joined) and then ends the process with
/// code 0; a second one, while that stop takes its time, ends the process at once with
/// code 1.
fn on_signals<H: Hasher>(
    mut signals: Signals,
    service: Arc<DHTService<H>>,
) -> io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("kad-node-signals".into())
        .spawn(move || {
            let mut arrivals = signals.forever();
            let Some(first) = arrivals.next() else {
                return;
            };
            tracing::info!(signal = signal_name(first), "stopping");
            let stopping = thread::Builder::new()
                .name("kad-node-stop".into())
                .spawn(move || {
                    service.stop();
                    tracing::info!("stopped");
                    std::process::exit(0);
                });
            if stopping.is_err() {
                std::process::exit(1);
            }
            if let Some(second) = arrivals.next() {
                tracing::warn!(
                    signal = signal_name(second),
                    "second signal: exiting before the stop is over"
                );
                std::process::exit(1);
            }
        })
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        SIGTERM => "SIGTERM",
        SIGINT => "SIGINT",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}
