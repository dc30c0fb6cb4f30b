//! [`DHTService`]: a Kademlia node run by a reactor thread, behind a small API of which only
//! the lookups block ([`query`](DHTService::query)), and those have futures too
//! ([`query_async`](DHTService::query_async)). This file starts, joins and stops the
//! service; its values are in `values.rs`, its signed records in `records.rs`.

use std::fmt;
use std::mem;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use kad_core::{Config, Hasher, RecordRules, Sha1Hasher};
use kad_proto::{Gateway, Multiaddr};
use tracing::field::display;

use crate::builder::{Builder, Settings};
use crate::command::Command;
use crate::command::Input;
use crate::error::Error;
use crate::inbox_sink::InboxSink;
use crate::keypair::Keypair;
use crate::mailbox::{mailbox, Control};
use crate::persistence::Persistence;
use crate::service_task::{Registered, ServiceTask};
use crate::start::{
    check_gateway_count, gateway_tokens, reactor_for, service_span, short_id, start_gateways,
    Identity,
};
use crate::started_service::StartedService;
use crate::stats::{Published, Stats};
use crate::storage::Storage;

/// A Kademlia DHT node: a kad-core node run by a [`Reactor`](crate::Reactor) thread (one of its own unless
/// [`Builder::reactor`](crate::Builder::reactor) shares one), reached over the registered
/// gateways.
///
/// ```
/// use std::time::Duration;
/// use kad_runtime::{DHTService, UdpGateway};
/// use kad_runtime::hash::Sha1Hasher;
///
/// let new = || {
///     let mut service = DHTService::new(Sha1Hasher::new(), 20, 3,
///         Duration::from_secs(900), Duration::from_secs(3), Duration::from_secs(3600));
///     service.register_gateway(UdpGateway::new("127.0.0.1:0"));
///     service.start().map(|()| service)
/// };
/// let (a, b) = (new()?, new()?);
/// b.connect(a.local_addrs()[0].clone())?;
/// assert_eq!(b.save(b"key", b"value".to_vec()).wait()?, 1); // one copy, at a
/// assert_eq!(a.query(b"key"), Some(b"value".to_vec()));
/// b.stop();
/// assert_eq!(b.query(b"key"), None);
/// # Ok::<(), kad_runtime::Error>(())
/// ```
///
/// The service is `Send + Sync`: share it between threads in an `Arc`. Every call on a service
/// that is not started, or stopped, returns at once with an error (or `None`, or 0).
pub struct DHTService<H: Hasher> {
    hasher: H,
    settings: Settings,
    /// Registered, not yet started.
    gateways: Mutex<Vec<Box<dyn Gateway<H::Key>>>>,
    started: Option<StartedService<H::Key>>,
}

impl DHTService<Sha1Hasher> {
    /// A [`Builder`] for the settings beyond those of [`new`](DHTService::new); it starts
    /// with SHA-1, which [`Builder::hasher`] changes.
    pub fn builder() -> Builder<Sha1Hasher> {
        Builder::new(Sha1Hasher::new())
    }
}

impl<H: Hasher> DHTService<H> {
    /// A service, not started yet, with the paper's parameters:
    ///
    /// - `hasher` maps user keys into the key space and sets its size (160 bits for SHA-1,
    ///   256 for SHA-256 and BLAKE3);
    /// - `k`, the bucket size and number of copies of each record (20 is usual);
    /// - `alpha`, the requests in flight per lookup (3 is usual);
    /// - `peer_timeout`, how long a silent contact is trusted;
    /// - `request_timeout`, how long one request may go unanswered;
    /// - `storage_timeout`, the lifetime of a record.
    ///
    /// Settings that do not fit together (a k of 0, say) are reported by
    /// [`start`](Self::start). Register at least one gateway, then start.
    pub fn new(
        hasher: H,
        k: usize,
        alpha: usize,
        peer_timeout: Duration,
        request_timeout: Duration,
        storage_timeout: Duration,
    ) -> Self {
        Builder::new(hasher)
            .k(k)
            .alpha(alpha)
            .peer_timeout(peer_timeout)
            .request_timeout(request_timeout)
            .storage_timeout(storage_timeout)
            .build_unchecked()
    }

    pub(crate) fn with_settings(hasher: H, settings: Settings) -> Self {
        DHTService {
            hasher,
            settings,
            gateways: Mutex::new(Vec::new()),
            started: None,
        }
    }

    /// Adds a transport; call before [`start`](Self::start), which starts it (a
    /// [`UdpGateway`](crate::UdpGateway) binds its socket then). Several may be registered:
    /// each message goes out through the first that can reach its address. A gateway
    /// registered after `start` is not used.
    pub fn register_gateway<G: Gateway<H::Key>>(&mut self, gateway: G) -> &mut Self {
        if self.started.is_none() {
            self.gateways
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Box::new(gateway));
        }
        self
    }

    /// Starts the gateways (binding their sockets) and hands the node to its reactor thread
    /// (starting a reactor of its own unless one is shared).
    ///
    /// Fails with [`Error::NoGateway`] if none is registered, [`Error::Gateway`] if one
    /// cannot start (a malformed address, a port in use), [`Error::Config`] for settings that
    /// do not fit together, [`Error::AlreadyStarted`] or [`Error::Stopped`] if called twice,
    /// [`Error::Thread`] if the system refuses a thread for the service's own reactor. On
    /// failure every gateway started so far is shut down again. If the shared reactor's
    /// thread is gone (it ended after a bug of its own), start fails with
    /// [`Error::Stopped`] and the gateways are dropped with the node.
    ///
    /// Logs the listen addresses (info), or the error (warning).
    pub fn start(&mut self) -> Result<(), Error> {
        self.launch()
            .inspect_err(|error| tracing::warn!(%error, "service failed to start"))
    }

    /// [`start`](Self::start), but for the log.
    fn launch(&mut self) -> Result<(), Error> {
        self.check_startable()?;
        let config = self.settings.config.clone()?;
        let max_value_size = config.max_value_size;
        let settings = &self.settings;
        let gateways = self
            .gateways
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if gateways.is_empty() {
            return Err(Error::NoGateway);
        }
        // The data directory first: one in use or unreadable stops the start before any
        // gateway does.
        let storage = settings
            .data_dir
            .as_deref()
            .map(Storage::open)
            .transpose()?;
        let mut identity = Identity::draw(settings)?;
        let mut keypair = None;
        if let Some(storage) = &storage {
            match storage.node_id()? {
                Some(saved) => identity.id = saved,
                None => storage.save_node_id(&identity.id)?,
            }
            keypair = storage.secret_key()?.map(Keypair::from_secret_bytes);
            if keypair.is_none() {
                let fresh = Keypair::try_generate()?;
                storage.save_secret_key(&fresh.secret_bytes())?;
                keypair = Some(fresh);
            }
        }
        let keypair = match keypair {
            Some(kept) => kept,
            None => Keypair::try_generate()?,
        };
        let id = identity.id;
        let span = service_span(&id);
        check_gateway_count(gateways.len())?;
        let reactor = reactor_for(settings, &id)?;
        let (worker, slot) = reactor.assign();
        let tokens = gateway_tokens(slot, gateways.len())?;
        let (mailbox, inbox) = mailbox(slot, Arc::clone(&worker.doorbell));
        let sink = InboxSink::new(mailbox.clone(), settings.inbound_queue, span.clone());
        let (polled, gateway_stats) = start_gateways(gateways, worker, tokens, &sink)?;
        let gateways = Registered::all(mem::take(gateways), polled);
        let local_addrs: Vec<Multiaddr> = gateways
            .iter()
            .flat_map(|registered| registered.gateway.local_addrs())
            .collect();
        let mut node = identity
            .node(settings, config, &local_addrs)?
            .with_validator(Arc::new(RecordRules::new(self.hasher.clone())));
        let published = Arc::new(Published::default());
        let persistence = match storage {
            Some(storage) => Some(Persistence::restore(
                &mut node,
                storage,
                settings.flush_interval,
                &published,
                format!("kad-store {}", short_id(&id)),
                &span,
            )?),
            None => None,
        };
        let (down, is_down) = mpsc::channel();
        let task = ServiceTask::new(node, gateways, inbox, &sink, &published, persistence, down);
        // If the reactor thread is gone, the task (and its gateways, which stop their
        // threads when dropped) goes with the failed control.
        worker
            .doorbell
            .send(Control::Add(slot, Box::new(task)))
            .map_err(|_| Error::Stopped)?;
        let thread = worker.thread_id;
        span.in_scope(|| {
            let data_dir = settings
                .data_dir
                .as_deref()
                .map(|dir| display(dir.display()));
            tracing::info!(listen = ?local_addrs, data_dir, "service started");
        });
        self.started = Some(StartedService {
            mailbox,
            lifetime: Mutex::new(Some((is_down, reactor))),
            thread,
            stopped: AtomicBool::new(false),
            published,
            gateway_stats,
            local_addrs,
            id,
            keypair,
            max_value_size,
            span,
        });
        Ok(())
    }

    /// Fails if the service was started already.
    fn check_startable(&self) -> Result<(), Error> {
        match &self.started {
            Some(started) if started.stopped.load(Ordering::Acquire) => Err(Error::Stopped),
            Some(_) => Err(Error::AlreadyStarted),
            None => Ok(()),
        }
    }

    /// The running service, or why there is none.
    pub(crate) fn live(&self) -> Result<&StartedService<H::Key>, Error> {
        match &self.started {
            None => Err(Error::NotStarted),
            Some(running)
                if running.stopped.load(Ordering::Acquire)
                    || running.published.down.load(Ordering::Acquire) =>
            {
                Err(Error::Stopped)
            }
            Some(running) => Ok(running),
        }
    }

    /// Whether the service is started and not stopped.
    pub fn is_running(&self) -> bool {
        self.live().is_ok()
    }

    /// The addresses the gateways listen at, with the ports the system chose for port 0:
    /// what other nodes [`connect`](Self::connect) to. Empty if not running.
    pub fn local_addrs(&self) -> Vec<Multiaddr> {
        self.live()
            .map(|running| running.local_addrs.clone())
            .unwrap_or_default()
    }

    /// This node's id, drawn at [`start`](Self::start); `None` if not running.
    pub fn local_id(&self) -> Option<H::Key> {
        self.live().ok().map(|running| running.id)
    }

    /// The service's own ed25519 key pair, to sign mutable records with
    /// ([`put_mutable`](Self::put_mutable)); `None` if not running. With a
    /// [`data_dir`](crate::Builder::data_dir) it is made on the first start and kept, so
    /// that the records it signs can be updated after a restart; without one, each start
    /// makes a new one.
    pub fn keypair(&self) -> Option<Keypair> {
        self.live().ok().map(|running| running.keypair.clone())
    }

    /// The hash function that maps user keys into the key space.
    pub fn hasher(&self) -> &H {
        &self.hasher
    }

    /// The kad-core configuration the service runs with (or would, once started).
    pub fn config(&self) -> Result<&Config, Error> {
        self.settings.config.as_ref().map_err(|e| Error::Config(*e))
    }

    /// Joins the network through the node at `seed`: asks it for the contacts closest to
    /// this node, then looks them up. Returns as soon as the first request is out, without
    /// waiting for any answer; [`get_number_of_known_peers`](Self::get_number_of_known_peers)
    /// grows as answers arrive. The seed's id is learned from its answer. If the seed does
    /// not answer within the request timeout and no other node made contact meanwhile, the
    /// request is sent again, three times in all.
    ///
    /// A [`save`](Self::save) or [`query`](Self::query) made while the node knows no contact
    /// yet but is joining waits, inside the service, for the first answer (or for
    /// the join to fail), so that `connect` then `save` stores the value on the network.
    ///
    /// Fails with [`Error::UnreachableAddress`] if no gateway can reach `seed`, and with
    /// [`Error::Command`] if the node runs too many queries already.
    pub fn connect(&self, seed: Multiaddr) -> Result<(), Error> {
        let seeds = vec![seed];
        // The reactor thread acknowledges right after handing the requests to the
        // gateways; the bound only matters if it is swamped.
        self.live()?
            .ask(|ack| Command::Connect { seeds, ack })
            .wait_timeout(self.settings.query_timeout)
    }

    /// Contacts in the routing table; 0 if not running.
    pub fn get_number_of_known_peers(&self) -> usize {
        self.live()
            .map(|running| running.published.peers.load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// How long a query waits for its answer.
    pub(crate) fn query_timeout(&self) -> Duration {
        self.settings.query_timeout
    }

    /// A snapshot of the routing table, records and traffic; all zero if never started.
    pub fn stats(&self) -> Stats {
        match &self.started {
            Some(running) => running.published.snapshot(&running.gateway_stats),
            None => Stats::default(),
        }
    }

    /// Stops the service: takes it off its reactor thread, shuts the gateways down and, for a
    /// service with a reactor of its own, joins its thread, before returning (a shared
    /// reactor's threads end with the last service and clone of it). Calls waiting on the
    /// service return at once. Calling it again, or on a service never started, does nothing.
    /// Also done on drop.
    pub fn stop(&self) {
        let Some(running) = &self.started else {
            return;
        };
        // Held until the service is down, so that a concurrent `stop` returns only then too.
        let mut lifetime = running
            .lifetime
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        running.stopped.store(true, Ordering::Release);
        if let Some((is_down, reactor)) = lifetime.take() {
            // On the service's own reactor thread (a gateway that owns the service, say),
            // waiting would never end: the service goes down once the current run is over.
            let wait = thread::current().id() != running.thread;
            if running.mailbox.send(Input::Stop).is_ok() && wait {
                // Returns once the task is dropped: after its gateways are shut down, or
                // when its reactor thread ends any other way.
                let _ = is_down.recv();
            }
            drop(reactor);
            running.span.in_scope(|| tracing::info!("service stopped"));
        }
    }
}

impl<H: Hasher> Drop for DHTService<H> {
    fn drop(&mut self) {
        self.stop();
    }
}

impl<H: Hasher> fmt::Debug for DHTService<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DHTService")
            .field("hasher", &self.hasher.name())
            .field("running", &self.is_running())
            .field("local_addrs", &self.local_addrs())
            .field("peers", &self.get_number_of_known_peers())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn service_is_send_and_sync() {
        assert_send_sync::<DHTService<Sha1Hasher>>();
        assert_send_sync::<DHTService<kad_core::Blake3Hasher>>();
    }
}
