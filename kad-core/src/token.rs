//! Write tokens: proof that whoever sends a STORE can receive at the address it sends from.
//!
//! Every `Nodes` response carries a [`Token`] bound to the requester's IP; a STORE is kept only
//! if it carries a token this node issued to the IP the STORE comes from, recently. A token is
//! the keyed BLAKE3 hash of that IP under a secret the node rotates every
//! [`Config::token_rotation`](crate::Config::token_rotation); the current and the previous
//! secret are accepted, so a token lives between one and two rotations (5 to 10 minutes by
//! default, as BEP 5 suggests). Without the secret nobody can make a token for an address
//! whose traffic they cannot read, so a forged source address stores nothing.

use std::fmt;
use std::time::{Duration, Instant};

use crate::address::{token_subject, Address};

/// The length of a [`Token`] in bytes.
pub const TOKEN_LEN: usize = 8;

/// A write token: handed out in `Nodes` responses, required by STOREs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Token([u8; TOKEN_LEN]);

impl Token {
    /// A token from its bytes (as decoded from the wire).
    pub const fn from_bytes(bytes: [u8; TOKEN_LEN]) -> Self {
        Token(bytes)
    }

    /// The token's bytes (as encoded on the wire).
    pub const fn as_bytes(&self) -> &[u8; TOKEN_LEN] {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({:016x})", u64::from_be_bytes(self.0))
    }
}

/// The secrets tokens are made from.
#[derive(Clone)]
pub(crate) struct TokenSecrets {
    current: [u8; 32],
    previous: [u8; 32],
    rotated_at: Instant,
}

impl fmt::Debug for TokenSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSecrets")
            .field("rotated_at", &self.rotated_at)
            .finish_non_exhaustive()
    }
}

impl TokenSecrets {
    /// Secrets drawn from `fresh`, the first rotation counting from `now`.
    pub(crate) fn new(mut fresh: impl FnMut() -> [u8; 32], now: Instant) -> Self {
        TokenSecrets {
            current: fresh(),
            previous: fresh(),
            rotated_at: now,
        }
    }

    /// The token for a requester at `addr`.
    pub(crate) fn issue<A: Address>(&self, addr: &A) -> Token {
        make(&self.current, addr)
    }

    /// Whether `token` was issued to `addr`'s IP under the current or the previous secret.
    pub(crate) fn check<A: Address>(&self, addr: &A, token: &Token) -> bool {
        // Both compared every time, without an early exit, so timing tells nothing.
        let current = same(&make(&self.current, addr), token);
        let previous = same(&make(&self.previous, addr), token);
        current | previous
    }

    /// Draws a new secret if `every` has passed since the last one; the current one becomes
    /// the previous.
    pub(crate) fn rotate(
        &mut self,
        now: Instant,
        every: Duration,
        fresh: impl FnOnce() -> [u8; 32],
    ) {
        if now.saturating_duration_since(self.rotated_at) >= every {
            self.previous = self.current;
            self.current = fresh();
            self.rotated_at = now;
        }
    }
}

fn make<A: Address>(secret: &[u8; 32], addr: &A) -> Token {
    let mut subject = [0; 16];
    let len = token_subject(addr, &mut subject);
    let hash = blake3::keyed_hash(secret, &subject[..len]);
    let mut token = [0; TOKEN_LEN];
    token.copy_from_slice(&hash.as_bytes()[..TOKEN_LEN]);
    Token(token)
}

fn same(a: &Token, b: &Token) -> bool {
    a.0.iter().zip(&b.0).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("a socket address")
    }

    #[test]
    fn a_token_is_bound_to_the_ip_and_outlives_one_rotation_only() {
        let t0 = Instant::now();
        let mut n = 0u8;
        let mut fresh = || {
            n += 1;
            [n; 32]
        };
        let mut secrets = TokenSecrets::new(&mut fresh, t0);
        let every = Duration::from_secs(300);
        let a = addr("203.0.113.1:4000");
        let token = secrets.issue(&a);
        assert!(secrets.check(&a, &token));
        assert!(
            secrets.check(&addr("203.0.113.1:5000"), &token),
            "the port is not bound"
        );
        assert!(!secrets.check(&addr("203.0.113.2:4000"), &token));
        assert!(!secrets.check(&a, &Token::default()));

        secrets.rotate(t0 + Duration::from_secs(299), every, &mut fresh);
        assert_eq!(secrets.issue(&a), token, "not yet due");
        secrets.rotate(t0 + every, every, &mut fresh);
        assert_ne!(secrets.issue(&a), token);
        assert!(
            secrets.check(&a, &token),
            "the previous secret still counts"
        );
        secrets.rotate(t0 + every * 2, every, &mut fresh);
        assert!(!secrets.check(&a, &token), "two rotations later it is gone");
    }
}
