//! What the services of a test binary log through `tracing`, captured in memory, for tests
//! that look for a log line. A process has one global subscriber: the first call of
//! [`capture`] in a test binary installs it, and the tests of that binary share what it
//! captures (tell yours apart by an address or an id).

use std::io;
use std::sync::{Mutex, Once, PoisonError};

use tracing::Level;

/// Everything logged since [`capture`] was first called.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Where the subscriber writes: [`LOG`].
struct Captured;

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut log = LOG.lock().unwrap_or_else(PoisonError::into_inner);
        log.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Captures, from now on, every event at `level` or above, as the fmt subscriber writes it
/// (one line an event, no colours). Only the first call in a test binary counts.
pub fn capture(level: Level) {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(|| Captured)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
}

/// What has been captured so far.
pub fn logged() -> String {
    let log = LOG.lock().unwrap_or_else(PoisonError::into_inner);
    String::from_utf8_lossy(&log).into_owned()
}
