//! [`Keypair`]: the ed25519 key pair a service signs mutable records with, drawn from the
//! operating system's generator or restored from its secret.

use std::fmt;

use rand::rngs::OsRng;
use rand::TryRngCore;

use crate::error::Error;
use crate::PublicKey;

/// An ed25519 key pair: the owner of the mutable records published under its public key
/// (see [`DHTService::put_mutable`](crate::DHTService::put_mutable)).
///
/// ```
/// use kad_runtime::Keypair;
///
/// let keypair = Keypair::generate();
/// let again = Keypair::from_secret_bytes(keypair.secret_bytes());
/// assert_eq!(again.public(), keypair.public());
/// ```
#[derive(Clone)]
pub struct Keypair(kad_core::Keypair);

impl Keypair {
    /// A new key pair from the operating system's cryptographically secure generator.
    ///
    /// # Panics
    ///
    /// If the operating system's generator fails, which [`try_generate`](Self::try_generate)
    /// reports instead.
    pub fn generate() -> Self {
        match Self::try_generate() {
            Ok(keypair) => keypair,
            Err(error) => panic!("{error}"),
        }
    }

    /// A new key pair from the operating system's generator, or why it failed.
    pub fn try_generate() -> Result<Self, Error> {
        let mut secret = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut secret)
            .map_err(Error::Randomness)?;
        Ok(Self::from_secret_bytes(secret))
    }

    /// The key pair whose secret key is `secret`, as [`secret_bytes`](Self::secret_bytes)
    /// gave it: keep those bytes as secret as the records they sign are worth.
    pub fn from_secret_bytes(secret: [u8; 32]) -> Self {
        Keypair(kad_core::Keypair::from_secret_bytes(secret))
    }

    /// The secret key's bytes, to save the key pair.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.secret_bytes()
    }

    /// The public key: with a salt, it names the records this key pair signs.
    pub fn public(&self) -> PublicKey {
        self.0.public()
    }

    /// The key pair as kad-core uses it.
    pub(crate) fn inner(&self) -> &kad_core::Keypair {
        &self.0
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
