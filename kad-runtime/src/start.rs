//! The steps of [`DHTService::start`](crate::DHTService::start) that do not need the
//! service itself: drawing the node's identity and making the node, choosing its reactor, naming its gateways' poll tokens
//! and starting the gateways.

use std::sync::Arc;
use std::time::Instant;

use kad_core::{Address, AddressScope, Config, KeyType, Node};
use kad_proto::mio::Token;
use kad_proto::{Gateway, GatewayError, GatewayStats, Multiaddr};
use rand::rngs::{OsRng, SmallRng, StdRng};
use rand::{Rng, SeedableRng, TryRngCore};
use tracing::Span;

use crate::builder::Settings;
use crate::error::Error;
use crate::inbox_sink::InboxSink;
use crate::reactor::{Reactor, ReactorHandle};
use crate::slot::Slot;
use crate::token::{token, MAX_GATEWAYS};

/// Where a new node's randomness comes from.
enum Randomness {
    /// Everything from a configured seed, for reproducible runs.
    Seed(u64),
    /// The secret its transaction ids and write tokens come from, drawn from the operating
    /// system's generator apart from its id.
    Secret([u8; 32]),
}

/// A node's id and randomness, drawn before its gateways start (the id names the reactor
/// thread) and turned into the node once their addresses are known.
pub(crate) struct Identity<K> {
    pub(crate) id: K,
    randomness: Randomness,
}

impl<K: KeyType> Identity<K> {
    /// With a configured seed everything follows from it; otherwise the id and, apart from
    /// it, the secret are drawn from the operating system's generator.
    pub(crate) fn draw(settings: &Settings) -> Result<Self, Error> {
        if let Some(seed) = settings.seed {
            let mut rng = SmallRng::seed_from_u64(seed);
            let id = K::random(&mut rng);
            let randomness = Randomness::Seed(rng.random());
            return Ok(Identity { id, randomness });
        }
        let mut id_seed = [0u8; 32];
        let mut secret = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut id_seed)
            .and_then(|()| OsRng.try_fill_bytes(&mut secret))
            .map_err(Error::Randomness)?;
        let id = K::random(&mut StdRng::from_seed(id_seed));
        Ok(Identity {
            id,
            randomness: Randomness::Secret(secret),
        })
    }

    /// The node, configured by `config` and, unless the settings say otherwise, allowed to
    /// contact local addresses that others tell of when one of `local_addrs` (where its
    /// gateways listen) is itself local.
    pub(crate) fn node(
        self,
        settings: &Settings,
        mut config: Config,
        local_addrs: &[Multiaddr],
    ) -> Result<Node<Multiaddr, K>, Error> {
        config.contact_local_addresses = settings.contact_local_addresses.unwrap_or(
            config.contact_local_addresses
                || local_addrs
                    .iter()
                    .any(|addr| addr.scope() == Some(AddressScope::Local)),
        );
        let now = Instant::now();
        Ok(match self.randomness {
            Randomness::Seed(seed) => Node::new(self.id, config, seed, now)?,
            Randomness::Secret(secret) => Node::with_secret(self.id, config, secret, now)?,
        })
    }
}

/// The first eight hex digits of a node's id, which name its threads and its span.
pub(crate) fn short_id<K: KeyType>(id: &K) -> String {
    let mut hex = id.to_string();
    hex.truncate(8);
    hex
}

/// The span of the service whose node has id `id`: every event of the service's reactor
/// thread, writer thread and inbox is logged in it.
pub(crate) fn service_span<K: KeyType>(id: &K) -> Span {
    tracing::info_span!("service", id = %short_id(id))
}

/// The shared reactor, or a new one for this service alone, named after its id.
pub(crate) fn reactor_for<K: KeyType>(settings: &Settings, id: &K) -> Result<Reactor, Error> {
    match &settings.reactor {
        Some(shared) => Ok(shared.clone()),
        None => Reactor::private(format!("kad {}", short_id(id))),
    }
}

/// Fails if a service has more gateways than a poll token can name.
pub(crate) fn check_gateway_count(count: usize) -> Result<(), Error> {
    if count > MAX_GATEWAYS {
        return Err(Error::Gateway(GatewayError::other(format!(
            "{count} gateways registered, at most {MAX_GATEWAYS} allowed"
        ))));
    }
    Ok(())
}

/// The poll tokens of the `count` gateways of the service in `slot`.
pub(crate) fn gateway_tokens(slot: Slot, count: usize) -> Result<Vec<Token>, Error> {
    (0..count)
        .map(|index| token(slot, index))
        .collect::<Option<Vec<Token>>>()
        .ok_or_else(|| {
            Error::Gateway(GatewayError::other(
                "no poll token left for another service in this process",
            ))
        })
}

/// Starts each gateway, on the reactor's poll if it can be polled and else on threads of
/// its own, delivering to `sink`; returns whether each was polled, and its counters. On
/// failure, the gateways started so far are shut down again.
pub(crate) fn start_gateways<K: KeyType>(
    gateways: &mut [Box<dyn Gateway<K>>],
    worker: &ReactorHandle,
    tokens: Vec<Token>,
    sink: &InboxSink<K>,
) -> Result<(Vec<bool>, Vec<Arc<GatewayStats>>), Error> {
    let mut polled = Vec::with_capacity(gateways.len());
    let mut gateway_stats = Vec::with_capacity(gateways.len());
    for (index, (gateway, token)) in gateways.iter_mut().zip(tokens).enumerate() {
        let stats = Arc::new(GatewayStats::new());
        let inbound = sink.inbound(Arc::clone(&stats));
        // A gateway that the reactor's poll can drive is read on the reactor thread.
        let started = match gateway.as_polled() {
            Some(gateway) => gateway
                .start_polled(&worker.registry, token, inbound)
                .map(|()| true),
            None => gateway.start(inbound).map(|()| false),
        };
        match started {
            Ok(is_polled) => polled.push(is_polled),
            Err(error) => {
                for gateway in gateways.iter_mut().take(index) {
                    gateway.shutdown();
                }
                return Err(Error::Gateway(error));
            }
        }
        gateway_stats.push(stats);
    }
    Ok((polled, gateway_stats))
}
