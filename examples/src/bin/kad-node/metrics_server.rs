//! `/metrics`: the node's stats in the Prometheus text format, over HTTP.
//!
//! One connection at a time on one thread, each held to [`IO_TIMEOUT`] and a request head
//! of [`MAX_HEAD`] bytes, whose body (if any) is never read: a client that sends too much,
//! too slowly or nothing at all costs the scraper a wait, never memory or threads. The
//! request is parsed with `httparse`; every answer closes its connection.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use kad_runtime::hash::Hasher;
use kad_runtime::metrics::StatsCollector;
use kad_runtime::DHTService;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::Registry;

use crate::{is_address_error, Failure};

/// The content type of the Prometheus text format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The longest a connection may take to send its request, or to take its answer.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest request head read; a longer one is answered 431.
const MAX_HEAD: usize = 8 * 1024;

/// The most headers a request may have.
const MAX_HEADERS: usize = 32;

/// Serves the metrics of `service` at `http://addr/metrics` on a thread of its own; returns
/// the address bound (port 0 picks one).
pub fn serve<H: Hasher>(
    addr: SocketAddr,
    service: Arc<DHTService<H>>,
) -> Result<SocketAddr, Failure> {
    let listener = TcpListener::bind(addr).map_err(|error| {
        let message = format!("metrics address {addr}: {error}");
        if is_address_error(&error) {
            Failure::Address(message)
        } else {
            Failure::Other(message)
        }
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::Other(format!("metrics address: {e}")))?;
    let mut registry = Registry::default();
    registry.register_collector(Box::new(StatsCollector::new(move || service.stats())));
    thread::Builder::new()
        .name("kad-node-metrics".into())
        .spawn(move || {
            for stream in listener.incoming() {
                match stream {
                    Ok(stream) => {
                        if let Err(error) = answer(stream, &registry) {
                            tracing::debug!(%error, "metrics request not answered");
                        }
                    }
                    Err(error) => tracing::debug!(%error, "metrics connection not accepted"),
                }
            }
        })
        .map_err(|error| Failure::Other(format!("metrics thread: {error}")))?;
    tracing::info!(%bound, "serving metrics at /metrics");
    Ok(bound)
}

/// Reads one request head and answers it: the metrics at `GET /metrics`, an error status
/// otherwise.
fn answer(mut stream: TcpStream, registry: &Registry) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let (status, body) = match read_head(&mut stream)? {
        Head::Complete { method, path } => route(&method, &path, registry),
        Head::TooLarge => (
            "431 Request Header Fields Too Large",
            "request head too large\n".into(),
        ),
        Head::Malformed => ("400 Bad Request", "not an HTTP request\n".into()),
    };
    let content_type = if status.starts_with("200") {
        CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

/// The status and body for `method` on `path`.
fn route(method: &str, path: &str, registry: &Registry) -> (&'static str, String) {
    let path = path.split('?').next().unwrap_or_default();
    match (method, path) {
        ("GET", "/metrics") => {
            let mut text = String::new();
            match prometheus_text::encode(&mut text, registry) {
                Ok(()) => ("200 OK", text),
                Err(_) => (
                    "500 Internal Server Error",
                    "cannot encode the metrics\n".into(),
                ),
            }
        }
        (_, "/metrics") => ("405 Method Not Allowed", "only GET\n".into()),
        _ => (
            "404 Not Found",
            "not found: the metrics are at /metrics\n".into(),
        ),
    }
}

/// What came of reading a request head.
enum Head {
    Complete { method: String, path: String },
    TooLarge,
    Malformed,
}

/// Reads until the head is complete, at most [`MAX_HEAD`] bytes and [`IO_TIMEOUT`] in all.
fn read_head(stream: &mut TcpStream) -> io::Result<Head> {
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut buffer = vec![0; MAX_HEAD];
    let mut filled = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        let read = stream.read(&mut buffer[filled..])?;
        if read == 0 {
            return Ok(Head::Malformed);
        }
        filled += read;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buffer[..filled]) {
            Ok(httparse::Status::Complete(_)) => {
                return Ok(Head::Complete {
                    method: request.method.unwrap_or_default().to_string(),
                    path: request.path.unwrap_or_default().to_string(),
                })
            }
            Ok(httparse::Status::Partial) if filled == buffer.len() => return Ok(Head::TooLarge),
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => return Ok(Head::TooLarge),
            Err(_) => return Ok(Head::Malformed),
        }
    }
}
