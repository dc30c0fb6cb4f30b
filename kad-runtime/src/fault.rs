//! [`FaultyGateway`]: a wrapper around any gateway that loses or delays a chosen fraction of
//! the messages it sends, to see how a network of services behaves on a bad network.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use kad_core::KeyType;
use kad_proto::{Gateway, GatewayError, Inbound, Multiaddr, SendError, WireMessage};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Messages held back by the delay at once; more are lost.
const MAX_DELAYED: usize = 4096;

/// Wraps a gateway and, for each message it is asked to send, loses it with probability
/// `loss`, or else holds it back by `delay` with probability `delay_fraction`. Lost messages
/// are reported as sent: to the node, they vanished in the network.
///
/// With every node of a network wrapped, a loss of 0.2 loses a fifth of all datagrams (and
/// about a third of request-response pairs).
///
/// ```
/// use std::time::Duration;
/// use kad_runtime::{DHTService, FaultyGateway, UdpGateway};
///
/// let mut service = DHTService::builder().build()?;
/// service.register_gateway(
///     FaultyGateway::new(UdpGateway::new("127.0.0.1:0"))
///         .loss(0.2)
///         .delay(0.1, Duration::from_millis(50))
///         .seed(7),
/// );
/// service.start()?;
/// # Ok::<(), kad_runtime::Error>(())
/// ```
pub struct FaultyGateway<G, K> {
    inner: Arc<Mutex<G>>,
    loss: f64,
    delay_fraction: f64,
    delay: Duration,
    rng: Mutex<SmallRng>,
    counters: FaultCounters,
    delayer: Option<Delayer<K>>,
    _keys: PhantomData<fn() -> K>,
}

/// What a [`FaultyGateway`] did to the messages, readable while it runs.
#[derive(Clone, Debug, Default)]
pub struct FaultCounters {
    lost: Arc<AtomicU64>,
    delayed: Arc<AtomicU64>,
}

impl FaultCounters {
    /// Messages lost on purpose.
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Messages held back (and then sent, unless the gateway shut down first).
    pub fn delayed(&self) -> u64 {
        self.delayed.load(Ordering::Relaxed)
    }
}

impl<G, K> FaultyGateway<G, K> {
    /// Wraps `inner`; it loses and delays nothing until told to.
    pub fn new(inner: G) -> Self {
        FaultyGateway {
            inner: Arc::new(Mutex::new(inner)),
            loss: 0.0,
            delay_fraction: 0.0,
            delay: Duration::ZERO,
            rng: Mutex::new(SmallRng::seed_from_u64(0x6b61_6466_6175_6c74)),
            counters: FaultCounters::default(),
            delayer: None,
            _keys: PhantomData,
        }
    }

    /// Loses each message with probability `fraction` (clamped to 0..=1).
    pub fn loss(mut self, fraction: f64) -> Self {
        self.loss = clamp(fraction);
        self
    }

    /// Holds back each message that is not lost with probability `fraction`, by `delay`.
    pub fn delay(mut self, fraction: f64, delay: Duration) -> Self {
        self.delay_fraction = clamp(fraction);
        self.delay = delay;
        self
    }

    /// Seeds the random choices, for reproducible runs.
    pub fn seed(self, seed: u64) -> Self {
        *lock(&self.rng) = SmallRng::seed_from_u64(seed);
        self
    }

    /// The counters of what was lost and delayed; keep a clone before registering the
    /// gateway.
    pub fn counters(&self) -> FaultCounters {
        self.counters.clone()
    }
}

impl<G, K> fmt::Debug for FaultyGateway<G, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyGateway")
            .field("loss", &self.loss)
            .field("delay_fraction", &self.delay_fraction)
            .field("delay", &self.delay)
            .field("counters", &self.counters)
            .field("started", &self.delayer.is_some())
            .finish_non_exhaustive()
    }
}

fn clamp(fraction: f64) -> f64 {
    if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<G: Gateway<K>, K: KeyType> Gateway<K> for FaultyGateway<G, K> {
    fn can_reach(&self, addr: &Multiaddr) -> bool {
        lock(&self.inner).can_reach(addr)
    }

    fn start(&mut self, inbound: Inbound<K>) -> Result<(), GatewayError> {
        lock(&self.inner).start(inbound)?;
        if self.delay_fraction > 0.0 && !self.delay.is_zero() {
            match Delayer::spawn(Arc::clone(&self.inner)) {
                Ok(delayer) => self.delayer = Some(delayer),
                Err(error) => {
                    lock(&self.inner).shutdown();
                    return Err(GatewayError::Io(error));
                }
            }
        }
        Ok(())
    }

    fn local_addrs(&self) -> Vec<Multiaddr> {
        lock(&self.inner).local_addrs()
    }

    fn send(&self, to: &Multiaddr, message: WireMessage<K>) -> Result<(), SendError> {
        let (lose, hold) = {
            let mut rng = lock(&self.rng);
            let lose = rng.random::<f64>() < self.loss;
            (lose, !lose && rng.random::<f64>() < self.delay_fraction)
        };
        if lose {
            self.counters.lost.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        if let (true, Some(delayer)) = (hold, &self.delayer) {
            self.counters.delayed.fetch_add(1, Ordering::Relaxed);
            delayer.hold(Instant::now() + self.delay, to.clone(), message);
            return Ok(());
        }
        lock(&self.inner).send(to, message)
    }

    fn shutdown(&mut self) {
        if let Some(delayer) = self.delayer.take() {
            delayer.stop();
        }
        lock(&self.inner).shutdown();
    }
}

impl<G, K> Drop for FaultyGateway<G, K> {
    fn drop(&mut self) {
        if let Some(delayer) = self.delayer.take() {
            delayer.stop();
        }
    }
}

/// A message held back until `due`.
struct Held<K> {
    due: Instant,
    to: Multiaddr,
    message: WireMessage<K>,
}

impl<K> PartialEq for Held<K> {
    fn eq(&self, other: &Self) -> bool {
        self.due == other.due
    }
}

impl<K> Eq for Held<K> {}

impl<K> PartialOrd for Held<K> {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Held<K> {
    /// Reversed, so that the max-heap yields the earliest due first.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other.due.cmp(&self.due)
    }
}

struct DelayState<K> {
    held: BinaryHeap<Held<K>>,
    stop: bool,
}

/// A thread that sends held-back messages when they are due; it sleeps on a condition
/// variable until the earliest one.
struct Delayer<K> {
    state: Arc<(Mutex<DelayState<K>>, Condvar)>,
    thread: JoinHandle<()>,
}

impl<K: KeyType> Delayer<K> {
    fn spawn<G: Gateway<K>>(inner: Arc<Mutex<G>>) -> std::io::Result<Self> {
        let state = Arc::new((
            Mutex::new(DelayState {
                held: BinaryHeap::new(),
                stop: false,
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&state);
        let thread = thread::Builder::new()
            .name("kad-fault-delay".into())
            .spawn(move || Self::run(&shared, &inner))?;
        Ok(Delayer { state, thread })
    }

    fn run<G: Gateway<K>>(state: &(Mutex<DelayState<K>>, Condvar), inner: &Mutex<G>) {
        let (mutex, wake) = state;
        let mut guard = lock(mutex);
        loop {
            if guard.stop {
                return;
            }
            let now = Instant::now();
            match guard.held.peek().map(|held| held.due) {
                None => guard = wake.wait(guard).unwrap_or_else(PoisonError::into_inner),
                Some(due) if due > now => {
                    guard = wake
                        .wait_timeout(guard, due - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                Some(_) => {
                    if let Some(held) = guard.held.pop() {
                        drop(guard);
                        // Lost if the gateway cannot send it now, like any datagram.
                        let _ = lock(inner).send(&held.to, held.message);
                        guard = lock(mutex);
                    }
                }
            }
        }
    }

    fn hold(&self, due: Instant, to: Multiaddr, message: WireMessage<K>) {
        let (mutex, wake) = &*self.state;
        let mut state = lock(mutex);
        if state.held.len() < MAX_DELAYED {
            state.held.push(Held { due, to, message });
            wake.notify_one();
        }
    }
}

impl<K> Delayer<K> {
    fn stop(self) {
        let (mutex, wake) = &*self.state;
        lock(mutex).stop = true;
        wake.notify_one();
        let _ = self.thread.join();
    }
}
