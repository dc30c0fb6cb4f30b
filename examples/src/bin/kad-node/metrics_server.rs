//! `/metrics`: the node's stats in the Prometheus text format, over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;

use kad_runtime::hash::Hasher;
use kad_runtime::metrics::StatsCollector;
use kad_runtime::DHTService;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::Registry;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::{is_address_error, Failure};

/// The content type of the Prometheus text format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves the metrics of `service` at `http://addr/metrics` on a thread of its own, one
/// request at a time; returns the address bound (port 0 picks one).
pub fn serve<H: Hasher>(
    addr: SocketAddr,
    service: Arc<DHTService<H>>,
) -> Result<SocketAddr, Failure> {
    let server = Server::http(addr).map_err(|error| {
        let message = format!("metrics address {addr}: {error}");
        match error.downcast_ref::<std::io::Error>() {
            Some(io) if is_address_error(io) => Failure::Address(message),
            _ => Failure::Other(message),
        }
    })?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| Failure::Other("metrics server bound no IP address".into()))?;
    let mut registry = Registry::default();
    registry.register_collector(Box::new(StatsCollector::new(move || service.stats())));
    thread::Builder::new()
        .name("kad-node-metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                answer(request, &registry);
            }
        })
        .map_err(|error| Failure::Other(format!("metrics thread: {error}")))?;
    tracing::info!(%bound, "serving metrics at /metrics");
    Ok(bound)
}

/// Answers one request: the metrics at `GET /metrics`, 404 or 405 otherwise.
fn answer(request: Request, registry: &Registry) {
    let path = request.url().split('?').next().unwrap_or_default();
    let response = match (request.method(), path) {
        (Method::Get | Method::Head, "/metrics") => {
            let mut text = String::new();
            match prometheus_text::encode(&mut text, registry) {
                Ok(()) => {
                    let mut response = Response::from_string(text);
                    if let Ok(header) = Header::from_bytes("Content-Type", CONTENT_TYPE) {
                        response.add_header(header);
                    }
                    response
                }
                Err(_) => {
                    Response::from_string("cannot encode the metrics\n").with_status_code(500)
                }
            }
        }
        (_, "/metrics") => Response::from_string("only GET\n").with_status_code(405),
        _ => {
            Response::from_string("not found: the metrics are at /metrics\n").with_status_code(404)
        }
    };
    if let Err(error) = request.respond(response) {
        tracing::debug!(%error, "metrics request not answered");
    }
}
