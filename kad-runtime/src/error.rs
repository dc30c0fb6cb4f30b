//! The errors a [`DHTService`](crate::DHTService) returns.

use std::fmt;

use kad_core::{CommandError, ConfigError};
use kad_proto::{GatewayError, Multiaddr};

use crate::storage::StorageError;

/// Why a call on a [`DHTService`](crate::DHTService) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The service has not been started: call [`start`](crate::DHTService::start) first.
    NotStarted,
    /// [`start`](crate::DHTService::start) was called on a running service.
    AlreadyStarted,
    /// The service has been stopped (or its reactor thread is gone).
    Stopped,
    /// [`start`](crate::DHTService::start) was called with no gateway registered.
    NoGateway,
    /// The settings do not make sense together (k or alpha of 0, say).
    Config(ConfigError),
    /// A gateway failed to start: a malformed listen address, an address in use, no such
    /// interface. The message names the address.
    Gateway(GatewayError),
    /// The node refused the command (too many queries running, value too large, store
    /// full, a record its rules do not take), or a put found a newer version of its
    /// mutable record ([`CommandError::Superseded`]).
    Command(CommandError),
    /// No answer came within the bound.
    Timeout,
    /// No registered gateway can reach this address (an `/ip6/…` seed with only an IPv4
    /// gateway, say).
    UnreachableAddress(Multiaddr),
    /// The operating system refused a thread or a poll for a [`Reactor`](crate::Reactor).
    Thread(std::io::Error),
    /// The operating system's random generator, which the node's id and secrets come from,
    /// failed.
    Randomness(rand::rand_core::OsError),
    /// The data directory cannot be used: in use by another process, damaged, or written
    /// by a newer version (see [`Builder::data_dir`](crate::Builder::data_dir)).
    Storage(StorageError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotStarted => f.write_str("DHT service not started"),
            Error::AlreadyStarted => f.write_str("DHT service already started"),
            Error::Stopped => f.write_str("DHT service stopped"),
            Error::NoGateway => f.write_str("no gateway registered: register one before start"),
            Error::Config(error) => write!(f, "{error}"),
            Error::Gateway(error) => write!(f, "{error}"),
            Error::Command(error) => write!(f, "{error}"),
            Error::Timeout => f.write_str("timed out"),
            Error::UnreachableAddress(addr) => {
                write!(f, "no registered gateway can reach {addr}")
            }
            Error::Thread(error) => write!(f, "could not start a reactor thread: {error}"),
            Error::Randomness(error) => {
                write!(f, "the operating system's random generator failed: {error}")
            }
            Error::Storage(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(error) => Some(error),
            Error::Gateway(error) => Some(error),
            Error::Command(error) => Some(error),
            Error::Thread(error) => Some(error),
            Error::Randomness(error) => Some(error),
            Error::Storage(error) => Some(error),
            _ => None,
        }
    }
}

impl From<StorageError> for Error {
    fn from(error: StorageError) -> Self {
        Error::Storage(error)
    }
}

impl From<CommandError> for Error {
    fn from(error: CommandError) -> Self {
        Error::Command(error)
    }
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::Config(error)
    }
}

impl From<GatewayError> for Error {
    fn from(error: GatewayError) -> Self {
        Error::Gateway(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_and_chains() {
        let error = Error::from(CommandError::ValueTooLarge {
            len: 2000,
            max: 1024,
        });
        assert_eq!(
            error.to_string(),
            "value of 2000 bytes is over the limit of 1024 bytes"
        );
        assert!(std::error::Error::source(&error).is_some());
        let addr: Multiaddr = "/ip6/::1/udp/1".parse().unwrap();
        assert!(Error::UnreachableAddress(addr)
            .to_string()
            .contains("/ip6/::1/udp/1"));
        assert!(std::error::Error::source(&Error::Stopped).is_none());
    }
}
