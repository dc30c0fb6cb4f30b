//! The `kad-sim` command line: builds a [`Scenario`] from flags, runs it with a progress bar on
//! stderr, prints the report as a table and writes it as JSON and SVG on request.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use kad_sim::{
    parse_duration, Adversaries, Behavior, JoinSchedule, KeyBits, KeyDistribution, Mix,
    NetworkModel, Phase, Placement, Progress, Records, Scenario, Sessions,
};

/// Simulate a Kademlia network of real kad-core nodes on a virtual clock.
///
/// The initial nodes join one by one; then every key of the workload is put once; after a
/// settling time the measured operations (gets, puts and find_nodes from random live nodes)
/// run, and a report of success rate, hops, latency, messages and bytes per operation is
/// printed. The same flags and seed always give the same figures (wall time and memory aside).
///
/// Durations are written like 250ms, 10s, 30m, 1h or 2d.
#[derive(Debug, Parser)]
#[command(name = "kad-sim", version, about, long_about, max_term_width = 100)]
struct Cli {
    /// Number of nodes in the network.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    nodes: u64,

    /// Number of measured operations (gets, puts and find_nodes together).
    #[arg(long, default_value_t = 1000)]
    lookups: u32,

    /// Measured operations started per simulated second, as a Poisson process (also the rate
    /// of the preload puts).
    #[arg(long, default_value_t = 100.0, value_parser = positive_f64)]
    rate: f64,

    /// Weights of gets, puts and find_nodes among the operations, as GET:PUT:FIND_NODE.
    #[arg(long, default_value = "45:10:45")]
    mix: Mix,

    /// Number of distinct record keys; each is put once before measuring, so that gets have
    /// something to find.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    keys: u32,

    /// Popularity of keys for gets and puts: `uniform`, or `zipf:S` (rank r chosen with
    /// probability proportional to 1/r^S).
    #[arg(long, default_value = "uniform")]
    key_dist: KeyDistribution,

    /// Size of each stored value in bytes (at most 1024, the wire format's limit).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(0..=1024))]
    value_size: u32,

    /// Churn once the network has joined: `none`, `exp:MEDIAN` (exponential sessions) or
    /// `weibull:SHAPE:MEDIAN`. Leaving nodes vanish silently; a fresh node joins in each
    /// one's place, so the size stays constant.
    #[arg(long, default_value = "none")]
    churn: Sessions,

    /// Probability that any datagram is lost, independently of all others.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    loss: f64,

    /// One-way latency between two nodes at the same point of the simulated plane.
    #[arg(long, default_value = "10ms", value_parser = parse_duration)]
    min_latency: Duration,

    /// One-way latency between opposite corners of the plane; latency grows linearly with
    /// distance in between.
    #[arg(long, default_value = "300ms", value_parser = parse_duration)]
    max_latency: Duration,

    /// Extra random delay of each datagram, up to this fraction of the pair's latency.
    #[arg(long, default_value_t = 0.1, value_parser = non_negative_f64)]
    jitter: f64,

    /// When the initial nodes join: `doubling:D`, the network doubles in size every D (node i
    /// joins at D*log2(i+1), so joins overlap as much at every size), or `rate:R`, R joins
    /// per simulated second. Joining much faster than this leaves nodes that joined at the
    /// same time near the same id unaware of each other.
    #[arg(long, default_value = "doubling:30s")]
    join: JoinSchedule,

    /// Simulated time between the end of the preload and the first measured operation
    /// (churn runs meanwhile).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    settle: Duration,

    /// Longest simulated time to wait after the last operation started; operations still
    /// running then count as failures.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    drain: Duration,

    /// Bucket size and replication factor k.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=64))]
    k: u32,

    /// Requests in flight per lookup.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=64))]
    alpha: u32,

    /// How long a node waits for an answer before counting the request as failed.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    request_timeout: Duration,

    /// The least time a lookup waits on a request before it asks again or moves on; it
    /// waits the round trip it expects of the contact, between this and --request-timeout.
    #[arg(long, default_value = "250ms", value_parser = parse_duration)]
    min_request_timeout: Duration,

    /// How many times its measured variation a request's soft timeout adds to the smoothed
    /// round trip (RFC 6298 has 4) (kad-core's default).
    #[arg(long, default_value_t = kad_core::Config::default().rtt_deviations)]
    rtt_deviations: u32,

    /// How many times a lookup or a put asks a node again when a request is not answered
    /// within its expected round trip (kad-core's default).
    #[arg(long, default_value_t = kad_core::Config::default().lookup_retries)]
    lookup_retries: u8,

    /// How long a lookup waits on a retry before it sends the next, for every retry but the
    /// last, in percent of the soft timeout (kad-core's default).
    #[arg(long, default_value_t = kad_core::Config::default().retry_gap_percent)]
    retry_gap_percent: u32,

    /// How many times its measured variation the soft timeout of a lookup's last retry adds
    /// to the smoothed round trip (kad-core's default).
    #[arg(long, default_value_t = kad_core::Config::default().last_retry_deviations)]
    last_retry_deviations: u32,

    /// How long a silent routing-table contact is trusted before the node pings it (those
    /// that do not answer are removed).
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    peer_timeout: Duration,

    /// How long a contact may stay silent before a node stops handing it out in answers
    /// (when enough fresher ones are at hand) and pings it.
    #[arg(long, default_value = "2m", value_parser = parse_duration)]
    stale_after: Duration,

    /// Disjoint paths each lookup runs over (S/Kademlia's d); a get then returns the value most
    /// paths found, and only one that two paths found at least.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    disjoint_paths: u32,

    /// How often each node runs its periodic work (expiry, republish, bucket refresh,
    /// liveness pings). Larger values save simulation time at very large sizes.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    maintenance_interval: Duration,

    /// Whether a joining node refreshes every bucket beyond its closest neighbour after the
    /// self-lookup (the paper's join; about log2(N/k) extra lookups per node). `false` joins
    /// with the self-lookup only, which is much cheaper at a million nodes.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    bootstrap_refresh: bool,

    /// The records the workload puts and gets: `plain` values, or `mutable` signed records
    /// (each put publishes the next version; a get must see a version at least as new as
    /// the newest put finished before it began).
    #[arg(long, default_value = "plain")]
    records: Records,

    /// Share of the nodes that are adversaries (0 to below 1). They join after the preload,
    /// over the first half of --settle, and stay.
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    adversaries: f64,

    /// Where the adversaries' ids lie: `random`, or `near:N` to eclipse the first N keys of
    /// the workload (ids closer to them than any honest node's; gets and puts then use
    /// those keys only).
    #[arg(long, default_value = "random")]
    adversary_placement: Placement,

    /// How adversaries answer: `drop` nothing at all, `lie` (pings answered; FIND_NODE
    /// answered with other adversaries closest to the target, FIND_VALUE with a wrong value;
    /// STOREs acknowledged and discarded), or `eclipse` (lie, and ping honest nodes every
    /// minute to get into their routing tables).
    #[arg(long, default_value = "lie")]
    adversary_behavior: Behavior,

    /// How many /24 subnets the adversaries' addresses fall in (honest nodes each have one of
    /// their own), at most 128.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=128))]
    adversary_subnets: u32,

    /// Width of node ids and keys in bits.
    #[arg(long, default_value = "160")]
    key_bits: KeyBitsArg,

    /// Seed of every random choice in the run.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Write the full report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,

    /// Draw latency and hop-count CDFs as SVG to this file.
    #[arg(long)]
    svg: Option<PathBuf>,

    /// Progress display on stderr: a bar when stderr is a terminal, otherwise a log line
    /// every 10 s (`auto`), always a `bar`, always `log` lines, or `none`.
    #[arg(long, default_value = "auto")]
    progress: ProgressMode,

    /// Do not print the report table.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum KeyBitsArg {
    #[value(name = "160")]
    B160,
    #[value(name = "256")]
    B256,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ProgressMode {
    Auto,
    Bar,
    Log,
    None,
}

fn parse_f64(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{s:?} is not a number"))
}

fn positive_f64(s: &str) -> Result<f64, String> {
    parse_f64(s)
        .ok()
        .filter(|v| *v > 0.0)
        .ok_or_else(|| format!("{s:?} is not a positive number"))
}

fn non_negative_f64(s: &str) -> Result<f64, String> {
    parse_f64(s)
        .ok()
        .filter(|v| *v >= 0.0)
        .ok_or_else(|| format!("{s:?} is not a number >= 0"))
}

fn share(s: &str) -> Result<f64, String> {
    parse_f64(s)
        .ok()
        .filter(|v| (0.0..1.0).contains(v))
        .ok_or_else(|| format!("{s:?} is not a share in [0, 1)"))
}

fn probability(s: &str) -> Result<f64, String> {
    parse_f64(s)
        .ok()
        .filter(|v| (0.0..1.0).contains(v))
        .ok_or_else(|| format!("{s:?} is not a probability in [0, 1)"))
}

impl Cli {
    fn scenario(&self) -> Result<Scenario, kad_sim::SimError> {
        let node = kad_core::Config::builder()
            .k(self.k as usize)
            .alpha(self.alpha as usize)
            .request_timeout(self.request_timeout)
            .min_request_timeout(self.min_request_timeout)
            .lookup_retries(self.lookup_retries)
            .rtt_deviations(self.rtt_deviations)
            .retry_gap_percent(self.retry_gap_percent)
            .last_retry_deviations(self.last_retry_deviations)
            .maintenance_interval(self.maintenance_interval)
            .peer_timeout(self.peer_timeout)
            .stale_after(self.stale_after)
            .disjoint_paths(self.disjoint_paths as usize)
            .bootstrap_refresh(self.bootstrap_refresh)
            .build()?;
        Ok(Scenario {
            nodes: self.nodes as usize,
            lookups: self.lookups as usize,
            rate: self.rate,
            mix: self.mix,
            keys: self.keys as usize,
            key_distribution: self.key_dist,
            value_size: self.value_size as usize,
            churn: self.churn,
            network: NetworkModel {
                min_latency: self.min_latency,
                max_latency: self.max_latency,
                jitter: self.jitter,
                loss: self.loss,
            },
            join: self.join,
            settle: self.settle,
            drain: self.drain,
            key_bits: match self.key_bits {
                KeyBitsArg::B160 => KeyBits::Bits160,
                KeyBitsArg::B256 => KeyBits::Bits256,
            },
            adversaries: Adversaries {
                fraction: self.adversaries,
                placement: self.adversary_placement,
                behavior: self.adversary_behavior,
                subnets: self.adversary_subnets,
            },
            records: self.records,
            node,
            seed: self.seed,
        })
    }
}

/// Shows progress as a bar or as periodic log lines.
enum Display {
    Bar(ProgressBar, Phase),
    Log(Instant),
    Silent,
}

impl Display {
    fn new(mode: ProgressMode) -> Self {
        let terminal = std::io::stderr().is_terminal();
        match mode {
            ProgressMode::Bar => Display::bar(),
            ProgressMode::Auto if terminal => Display::bar(),
            ProgressMode::Auto | ProgressMode::Log => Display::Log(Instant::now()),
            ProgressMode::None => Display::Silent,
        }
    }

    fn bar() -> Self {
        let bar = ProgressBar::new(0);
        let style = ProgressStyle::with_template(
            "{prefix:>10} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(Phase::Joining.name());
        Display::Bar(bar, Phase::Joining)
    }

    fn update(&mut self, p: &Progress) {
        match self {
            Display::Bar(bar, phase) => {
                if *phase != p.phase {
                    *phase = p.phase;
                    bar.set_prefix(p.phase.name());
                }
                bar.set_length(p.total);
                bar.set_position(p.done);
                bar.set_message(format!(
                    "sim {:.0}s, {} events",
                    p.sim_time.as_secs_f64(),
                    p.events
                ));
            }
            Display::Log(last) => {
                if last.elapsed() >= Duration::from_secs(10) {
                    *last = Instant::now();
                    eprintln!(
                        "kad-sim: {} {}/{}, sim {:.0}s, {} events",
                        p.phase.name(),
                        p.done,
                        p.total,
                        p.sim_time.as_secs_f64(),
                        p.events
                    );
                }
            }
            Display::Silent => {}
        }
    }

    fn finish(self) {
        if let Display::Bar(bar, _) = self {
            bar.finish_and_clear();
        }
    }
}

fn run(cli: &Cli) -> Result<(), kad_sim::SimError> {
    let scenario = cli.scenario()?;
    let mut display = Display::new(cli.progress);
    let report = scenario.run_with_progress(|p| display.update(p));
    display.finish();
    let report = report?;
    if !cli.quiet {
        print!("{}", report.table());
    }
    if let Some(path) = &cli.json {
        std::fs::write(path, report.to_json() + "\n")?;
    }
    if let Some(path) = &cli.svg {
        kad_sim::write_svg(&report, path)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kad-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
