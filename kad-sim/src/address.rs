//! The address of a simulated node: its index in the engine, standing for a public IPv4
//! address of its own /24, so that kad-core's rules about IPs (subnet diversity, the address
//! filter, write tokens bound to the requester's IP) run in the simulator as on the internet.

use std::net::{Ipv4Addr, SocketAddr};

use kad_core::Address;

/// The UDP port every simulated node listens on.
const PORT: u16 = 4000;

/// Node index `n` is at `a.b.c.1`, where `a.b.c` counts /24s up from `11.0.0`: every node in
/// a /24 of its own, all of them global unicast addresses for the first 5.8 million indices
/// (first octets 11 to 99), after which the /24s repeat.
const FIRST_OCTET: u32 = 11;
const OCTETS: u32 = 89;

/// A simulated node's address: its index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SimAddr(pub(crate) u32);

impl SimAddr {
    /// The IPv4 address the node stands for.
    pub(crate) fn ip(self) -> Ipv4Addr {
        let slash24 = self.0;
        // The subnet rules ask for every contact's IP each time one is added: no division
        // below 5.8 million nodes.
        let high = slash24 >> 16;
        let first = FIRST_OCTET + if high < OCTETS { high } else { high % OCTETS };
        let [_, _, b, c] = slash24.to_be_bytes();
        Ipv4Addr::new(first as u8, b, c, 1)
    }

    /// The UDP port the node listens on.
    pub(crate) fn port(self) -> u16 {
        PORT
    }
}

impl Address for SimAddr {
    fn socket_addr(&self) -> Option<SocketAddr> {
        Some(SocketAddr::new(self.ip().into(), self.port()))
    }
}

#[cfg(test)]
mod tests {
    use kad_core::AddressScope;

    use super::*;

    #[test]
    fn every_node_has_a_public_address_in_a_slash_24_of_its_own() {
        let ips: Vec<Ipv4Addr> = [0, 1, 255, 256, 65_535, 65_536, 5_000_000]
            .map(|n| SimAddr(n).ip())
            .to_vec();
        assert_eq!(ips[0], Ipv4Addr::new(11, 0, 0, 1));
        assert_eq!(ips[1], Ipv4Addr::new(11, 0, 1, 1));
        assert_eq!(ips[5], Ipv4Addr::new(12, 0, 0, 1));
        let mut slash24s: Vec<[u8; 3]> = ips
            .iter()
            .map(|ip| {
                let [a, b, c, _] = ip.octets();
                [a, b, c]
            })
            .collect();
        slash24s.dedup();
        assert_eq!(slash24s.len(), ips.len());
        for n in [0, 77, 1_000_000, 5_832_703] {
            assert_eq!(SimAddr(n).scope(), Some(AddressScope::Global), "{n}");
        }
    }
}
