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
//! other. SIGTERM and Ctrl-C stop a node cleanly: its data directory is written first.

mod metrics_server;
mod repl;
mod settings;

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use clap::{Parser, Subcommand};
use kad_examples::{install_logs, with_hasher};
use kad_runtime::gateway::GatewayError;
use kad_runtime::hash::Hasher;
use kad_runtime::{DHTService, Error, FaultyGateway, Keypair, UdpGateway};
use signal_hook::consts::{SIGINT, SIGTERM};
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
    if let Err(message) = install_logs(checked.log.as_deref(), default) {
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
    let signals =
        Signals::new([SIGTERM, SIGINT]).map_err(|e| Failure::Other(format!("signals: {e}")))?;
    service.start().map_err(Failure::of_start)?;
    let service = Arc::new(service);
    println!("kad-node ({}) listening at:", service.hasher().name());
    for addr in service.local_addrs() {
        println!("  {addr}");
    }
    if let Some(addr) = settings.metrics {
        let bound = metrics_server::serve(addr, Arc::clone(&service)).inspect_err(|_| {
            service.stop();
        })?;
        println!("metrics at http://{bound}/metrics");
    }
    for seed in &settings.bootstrap {
        match service.connect(seed.clone()) {
            Ok(()) => println!("joining through {seed}"),
            Err(error) => println!("cannot join through {seed}: {error}"),
        }
    }
    if daemon {
        wait_for_signal(signals, &service);
        return Ok(());
    }
    let stopper = Arc::clone(&service);
    thread::Builder::new()
        .name("kad-node-signals".into())
        .spawn(move || {
            wait_for_signal(signals, &stopper);
            std::process::exit(0);
        })
        .map_err(|e| Failure::Other(format!("signals: {e}")))?;
    let result = repl::run(&service, &keypair, &drops);
    service.stop();
    result.map_err(|e| Failure::Other(format!("stdin: {e}")))
}

/// Waits for SIGTERM or SIGINT, then stops the service: its data directory is written and
/// its threads joined before this returns.
fn wait_for_signal<H: Hasher>(mut signals: Signals, service: &DHTService<H>) {
    let signal = signals.forever().next();
    let name = match signal {
        Some(SIGTERM) => "SIGTERM",
        Some(SIGINT) => "SIGINT",
        _ => "the end of the signal stream",
    };
    tracing::info!(signal = name, "stopping");
    service.stop();
    tracing::info!("stopped");
}
