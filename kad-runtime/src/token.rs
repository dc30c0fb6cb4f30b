//! How the poll tokens of a reactor thread name the gateways of the services it hosts: the
//! high bits of a token are the service's [`Slot`], the low bits the gateway's index.

use kad_proto::mio::Token;

use crate::slot::Slot;

/// Gateways one service may register: the low bits of a token name the gateway.
pub(crate) const MAX_GATEWAYS: usize = 256;

/// The poll token of gateway `gateway` (below [`MAX_GATEWAYS`]) of the service in `slot`;
/// `None` if the slot number is too large for a token (after 2^24 services on a 32-bit
/// system) or the gateway number too large.
pub(crate) fn token(slot: Slot, gateway: usize) -> Option<Token> {
    if gateway >= MAX_GATEWAYS {
        return None;
    }
    let token = usize::try_from(slot.as_u64())
        .ok()?
        .checked_mul(MAX_GATEWAYS)?
        .checked_add(gateway)?;
    // The largest token is the reactor's doorbell.
    (token < usize::MAX - MAX_GATEWAYS).then_some(Token(token))
}

/// The service and gateway a token names.
pub(crate) fn untoken(token: Token) -> (Slot, usize) {
    (
        Slot::from_u64((token.0 / MAX_GATEWAYS) as u64),
        token.0 % MAX_GATEWAYS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_slot_and_gateway() {
        for (slot, gateway) in [(0, 0), (0, 255), (1, 0), (12_345, 7)] {
            let token = token(Slot::from_u64(slot), gateway).unwrap();
            assert_eq!(untoken(token), (Slot::from_u64(slot), gateway));
        }
        assert_eq!(token(Slot::from_u64(1), MAX_GATEWAYS), None);
        assert_eq!(token(Slot::from_u64(u64::MAX), 0), None);
        // No token is the doorbell's.
        let last = (usize::MAX / MAX_GATEWAYS - 1) as u64;
        assert_eq!(token(Slot::from_u64(last), 255), None);
    }
}
