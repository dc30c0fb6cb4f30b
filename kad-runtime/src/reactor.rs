//! [`Reactor`]: the threads that run services. Each thread waits in one mio poll on the
//! sockets of every service it hosts, on its doorbell and on the earliest deadline of their
//! nodes, and runs the services that have something to do.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use kad_proto::mio::{Events, Poll, Registry, Token, Waker};

use crate::error::Error;
use crate::mailbox::{Control, Controls, Doorbell};
use crate::slot::Slot;
use crate::task::{Task, Turn};
use crate::token::untoken;

/// The token of a reactor thread's doorbell in its poll.
const DOORBELL: Token = Token(usize::MAX);

/// Poll events read in one go.
const EVENTS: usize = 256;

/// How long a shared reactor's threads keep polling after a turn of work before they sleep,
/// unless told otherwise ([`Reactor::with_busy_poll`]): 50 µs.
pub const DEFAULT_BUSY_POLL: Duration = Duration::from_micros(50);

/// Threads that run [`DHTService`](crate::DHTService)s.
///
/// By default each service starts a reactor of one thread for itself. Services that share a
/// process can share one instead, with [`Builder::reactor`](crate::Builder::reactor): a
/// datagram from one of them to another then often reaches a thread that is awake already,
/// where one thread per service would have had to wake a sleeping one. A network of many
/// services in one process (a test, a local cluster) runs several times faster on a
/// reactor with a thread per core.
///
/// Services are spread over the threads in turn, and each stays on its thread. The threads
/// end, and are joined, when the last clone of the reactor and the last service on it are
/// dropped.
///
/// After a turn of work, a thread of a shared reactor keeps checking for more for a short
/// while ([`DEFAULT_BUSY_POLL`]) before it sleeps, yielding its CPU to any other thread that is
/// ready to run between checks. A datagram or command that arrives meanwhile is handled
/// without a wake-up, which on a virtual machine can cost more than handling it. An idle
/// reactor sleeps: the window opens only after work.
///
/// ```
/// use kad_runtime::{DHTService, Reactor, UdpGateway};
///
/// let reactor = Reactor::new(2)?;
/// let mut services = Vec::new();
/// for _ in 0..4 {
///     let mut service = DHTService::builder().reactor(&reactor).build()?;
///     service.register_gateway(UdpGateway::new("127.0.0.1:0"));
///     service.start()?;
///     services.push(service);
/// }
/// services[1].connect(services[0].local_addrs()[0].clone())?;
/// # Ok::<(), kad_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct Reactor {
    inner: Arc<Inner>,
}

struct Inner {
    workers: Vec<ReactorHandle>,
    next_worker: AtomicUsize,
}

/// A reactor thread, as services see it.
pub(crate) struct ReactorHandle {
    pub(crate) doorbell: Arc<Doorbell>,
    pub(crate) registry: Registry,
    /// The thread's id, so that nothing waits for the thread on the thread itself.
    pub(crate) thread_id: ThreadId,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Reactor {
    /// A reactor of `threads` threads (at least one), named `kad-reactor <n>`, that poll for
    /// [`DEFAULT_BUSY_POLL`] after work.
    ///
    /// Fails with [`Error::Thread`] if the system refuses a thread or a poll.
    pub fn new(threads: usize) -> Result<Self, Error> {
        Self::with_busy_poll(threads, DEFAULT_BUSY_POLL)
    }

    /// A reactor of `threads` threads (at least one) that keep polling for `window` after a
    /// turn of work before they sleep; zero sleeps at once.
    pub fn with_busy_poll(threads: usize, window: Duration) -> Result<Self, Error> {
        Self::named(threads.max(1), window, |n| format!("kad-reactor {n}"))
    }

    /// A reactor of one thread for one service, named after it. It sleeps as soon as it has
    /// nothing to do: its service talks to other processes, whose answers take longer than
    /// a busy poll would last.
    pub(crate) fn private(name: String) -> Result<Self, Error> {
        Self::named(1, Duration::ZERO, |_| name.clone())
    }

    fn named(
        threads: usize,
        busy_poll: Duration,
        name: impl Fn(usize) -> String,
    ) -> Result<Self, Error> {
        let mut workers = Vec::with_capacity(threads);
        for n in 0..threads {
            // On failure, the workers started so far are stopped by `Inner`'s drop.
            let started = Worker::spawn(name(n), busy_poll).map_err(Error::Thread);
            match started {
                Ok(handle) => workers.push(handle),
                Err(error) => {
                    drop(Inner {
                        workers,
                        next_worker: AtomicUsize::new(0),
                    });
                    return Err(error);
                }
            }
        }
        Ok(Reactor {
            inner: Arc::new(Inner {
                workers,
                next_worker: AtomicUsize::new(0),
            }),
        })
    }

    /// Number of threads.
    pub fn threads(&self) -> usize {
        self.inner.workers.len()
    }

    /// The thread for the next service, in turn, and a slot number for it.
    pub(crate) fn assign(&self) -> (&ReactorHandle, Slot) {
        let workers = &self.inner.workers;
        let n = self.inner.next_worker.fetch_add(1, Ordering::Relaxed);
        // `named` makes at least one worker.
        (&workers[n % workers.len()], Slot::next())
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("threads", &self.threads())
            .finish()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for worker in &self.workers {
            // A thread already gone has nothing to stop.
            let _ = worker.doorbell.send(Control::Exit);
        }
        let current = thread::current().id();
        for worker in &self.workers {
            let thread = worker
                .thread
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            // A reactor dropped on one of its own threads (by a gateway that owned it, say)
            // cannot wait for that thread, which ends once this drop returns.
            if let Some(thread) = thread.filter(|_| worker.thread_id != current) {
                // A panic on the thread has already ended it and dropped its tasks.
                let _ = thread.join();
            }
        }
    }
}

/// A hosted task and its timer.
struct Hosted {
    task: Box<dyn Task>,
    /// The deadline it last asked for.
    deadline: Option<Instant>,
    /// The earliest entry of this task in the timer heap that is still to fire.
    scheduled: Option<Instant>,
    /// Whether it is in this turn's list of tasks to run.
    touched: bool,
}

/// The loop of one reactor thread.
struct Worker {
    poll: Poll,
    /// How long to keep polling after work before sleeping.
    busy_poll: Duration,
    controls: Controls,
    tasks: HashMap<Slot, Hosted>,
    /// Deadlines of tasks, earliest first; an entry that no longer matches its task's
    /// `scheduled` is stale and skipped.
    timers: BinaryHeap<Reverse<(Instant, Slot)>>,
    /// Tasks to run this turn.
    touched: Vec<Slot>,
    /// Tasks that asked to run again before the thread sleeps.
    again: Vec<Slot>,
}

impl Worker {
    /// Builds the poll and doorbell here, so that errors surface to the caller, and starts
    /// the thread.
    fn spawn(name: String, busy_poll: Duration) -> io::Result<ReactorHandle> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), DOORBELL)?;
        let registry = poll.registry().try_clone()?;
        let (doorbell, controls) = Doorbell::new(waker);
        let worker = Worker {
            poll,
            busy_poll,
            controls,
            tasks: HashMap::new(),
            timers: BinaryHeap::new(),
            touched: Vec::new(),
            again: Vec::new(),
        };
        let thread = thread::Builder::new()
            .name(name)
            .spawn(move || worker.run())?;
        Ok(ReactorHandle {
            doorbell,
            registry,
            thread_id: thread.thread().id(),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Runs until [`Control::Exit`]; sleeps in the poll whenever no task has work.
    fn run(mut self) {
        let mut events = Events::with_capacity(EVENTS);
        let mut exit = false;
        // Until when to keep polling without sleeping.
        let mut polling_until = Instant::now();
        while !exit {
            let now = Instant::now();
            let timeout = if !self.again.is_empty() {
                Some(Duration::ZERO)
            } else if now < polling_until {
                // Lets any thread that is ready run first: the one that will send the next
                // datagram, say.
                thread::yield_now();
                Some(Duration::ZERO)
            } else {
                self.next_timer()
                    .map(|deadline| deadline.saturating_duration_since(now))
            };
            if let Err(error) = self.poll.poll(&mut events, timeout) {
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // The poll itself is broken: nothing more can arrive.
                tracing::warn!(%error, "reactor poll failed; its services stop");
                break;
            }
            let now = Instant::now();
            if !events.is_empty() {
                polling_until = now + self.busy_poll;
            }
            for event in events.iter() {
                if event.token() == DOORBELL {
                    exit |= self.take_controls();
                    continue;
                }
                let (slot, gateway) = untoken(event.token());
                let (readable, writable) = (event.is_readable(), event.is_writable());
                let registry = self.poll.registry();
                if let Some(hosted) = self.tasks.get_mut(&slot) {
                    let ready =
                        guarded(|| hosted.task.ready(gateway, readable, writable, registry));
                    match ready {
                        Some(()) => touch(&mut self.touched, slot, hosted),
                        None => {
                            log_panic();
                            self.retire(slot);
                        }
                    }
                }
            }
            while let Some(slot) = self.again.pop() {
                self.touch(slot);
            }
            self.fire_timers(now);
            self.run_touched(now);
        }
        for slot in self.tasks.keys().copied().collect::<Vec<_>>() {
            self.retire(slot);
        }
    }

    /// Shuts a task down and forgets it; its timer entries go stale.
    fn retire(&mut self, slot: Slot) {
        if let Some(mut hosted) = self.tasks.remove(&slot) {
            // A task that panics again while shutting down is dropped all the same.
            let _ = guarded(|| hosted.task.shutdown());
        }
    }

    /// Reads the doorbell's controls; returns whether one was [`Control::Exit`].
    fn take_controls(&mut self) -> bool {
        self.controls.answer();
        let mut exit = false;
        while let Some(control) = self.controls.try_recv() {
            match control {
                Control::Add(slot, task) => {
                    let hosted = Hosted {
                        task,
                        deadline: None,
                        scheduled: None,
                        touched: false,
                    };
                    self.tasks.insert(slot, hosted);
                    // Its first run reads what arrived before it was added.
                    self.touch(slot);
                }
                Control::Ready(slot) => self.touch(slot),
                Control::Exit => exit = true,
            }
        }
        exit
    }

    fn touch(&mut self, slot: Slot) {
        if let Some(hosted) = self.tasks.get_mut(&slot) {
            touch(&mut self.touched, slot, hosted);
        }
    }

    /// The earliest deadline of a task. Entries of tasks that are gone, or that were
    /// superseded by an earlier one, are dropped on the way, and an entry whose task's
    /// deadline has moved later is moved with it: none of them wakes the thread.
    fn next_timer(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, slot))) = self.timers.peek() {
            let hosted = self
                .tasks
                .get_mut(&slot)
                .filter(|hosted| hosted.scheduled == Some(at));
            let Some(hosted) = hosted else {
                self.timers.pop();
                continue;
            };
            match hosted.deadline {
                Some(deadline) if deadline <= at => return Some(at),
                later => {
                    self.timers.pop();
                    hosted.scheduled = later;
                    if let Some(deadline) = later {
                        self.timers.push(Reverse((deadline, slot)));
                    }
                }
            }
        }
        None
    }

    /// Touches the tasks whose deadline has come.
    fn fire_timers(&mut self, now: Instant) {
        while self.next_timer().is_some_and(|at| at <= now) {
            let Some(Reverse((_, slot))) = self.timers.pop() else {
                break;
            };
            if let Some(hosted) = self.tasks.get_mut(&slot) {
                hosted.scheduled = None;
                touch(&mut self.touched, slot, hosted);
            }
        }
    }

    fn run_touched(&mut self, now: Instant) {
        // Taken out while the tasks run (a run touches no other task), and put back to keep
        // its capacity.
        let mut touched = std::mem::take(&mut self.touched);
        for &slot in &touched {
            let registry = self.poll.registry();
            let Some(hosted) = self.tasks.get_mut(&slot) else {
                continue;
            };
            hosted.touched = false;
            // A task that panics is retired alone; the others on the thread go on.
            let turn = guarded(|| hosted.task.run(now, registry)).unwrap_or_else(|| {
                log_panic();
                Turn::Done
            });
            match turn {
                Turn::Done => self.retire(slot),
                Turn::Again => self.again.push(slot),
                Turn::Wait(deadline) => {
                    hosted.deadline = deadline;
                    if let Some(deadline) = deadline {
                        if hosted.scheduled.is_none_or(|at| deadline < at) {
                            hosted.scheduled = Some(deadline);
                            self.timers.push(Reverse((deadline, slot)));
                        }
                    }
                }
            }
        }
        touched.clear();
        self.touched = touched;
    }
}

/// Says that a service's task panicked (a bug) and is being stopped; the panic itself went
/// to the panic hook.
fn log_panic() {
    tracing::error!("a service panicked on its reactor thread and is stopped");
}

/// Runs `f`, returning `None` if it panicked.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    panic::catch_unwind(AssertUnwindSafe(f)).ok()
}

fn touch(touched: &mut Vec<Slot>, slot: Slot, hosted: &mut Hosted) {
    if !hosted.touched {
        hosted.touched = true;
        touched.push(slot);
    }
}
