//! The address of a simulated node: its index in the engine, standing for a public IPv4
//! address of its own /24, so that kad-core's rules about IPs (subnet diversity, the address
//! filter, write tokens bound to the requester's IP) run in the simulator as on the internet.
//! Adversaries share a few /24s instead (see [`SimAddr::adversary`]).

use std::net::{Ipv4Addr, SocketAddr};

use kad_core::{Address, AddressScope};

/// Bytes of an IPv4 address and port in a message (the multiaddr `/ip4/…/udp/…`).
const IPV4_WIRE_LEN: usize = 9;

/// The UDP port every simulated node listens on.
const PORT: u16 = 4000;

/// Node index `n` is at `a.b.c.1`, where `a.b.c` counts /24s up from `11.0.0`: every node in
/// a /24 of its own, all of them global unicast addresses for the first 5.8 million indices
/// (first octets 11 to 99), after which the /24s repeat.
const FIRST_OCTET: u32 = 11;
const OCTETS: u32 = 89;

/// The first octet of the adversaries' /24s: `100.0.s` for subnet `s`.
const ADVERSARY_OCTET: u8 = 100;
/// Bits of [`SimAddr`] that hold the node's index (the scenario allows at most 2^24 nodes).
const INDEX_BITS: u32 = 24;
/// The bit of [`SimAddr`] that marks an adversary; the bits between hold its subnet.
const ADVERSARY_BIT: u32 = 1 << 31;
/// Host addresses used in each adversary /24 (`.1` to `.254`).
const HOSTS: u32 = 254;

/// A simulated node's address: its index in the low 24 bits; for an adversary, the top bit
/// set and its subnet in the 7 bits between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SimAddr(pub(crate) u32);

impl SimAddr {
    /// The address of adversary `index`, in adversary subnet `subnet` (below 128).
    pub(crate) fn adversary(index: u32, subnet: u32) -> Self {
        SimAddr(ADVERSARY_BIT | (subnet & 0x7f) << INDEX_BITS | index)
    }

    /// The node's index in the engine.
    pub(crate) fn index(self) -> u32 {
        self.0 & ((1 << INDEX_BITS) - 1)
    }

    /// Whether the address is an adversary's.
    pub(crate) fn is_adversary(self) -> bool {
        self.0 & ADVERSARY_BIT != 0
    }

    /// The IPv4 address the node stands for: an honest node's own /24, or for an adversary
    /// host `1 + index % 254` of `100.0.subnet`.
    pub(crate) fn ip(self) -> Ipv4Addr {
        if self.is_adversary() {
            let subnet = (self.0 >> INDEX_BITS & 0x7f) as u8;
            let host = (self.index() % HOSTS + 1) as u8;
            return Ipv4Addr::new(ADVERSARY_OCTET, 0, subnet, host);
        }
        let slash24 = self.0;
        // The subnet rules ask for every contact's IP each time one is added: no division
        // below 5.8 million nodes.
        let high = slash24 >> 16;
        let first = FIRST_OCTET + if high < OCTETS { high } else { high % OCTETS };
        let [_, _, b, c] = slash24.to_be_bytes();
        Ipv4Addr::new(first as u8, b, c, 1)
    }

    /// The UDP port the node listens on: 4000, or for adversaries sharing a host address,
    /// one port per 254 of them, so that each has an address of its own.
    pub(crate) fn port(self) -> u16 {
        if self.is_adversary() {
            return PORT + (self.index() / HOSTS % 60_000) as u16;
        }
        PORT
    }
}

impl Address for SimAddr {
    fn socket_addr(&self) -> Option<SocketAddr> {
        Some(SocketAddr::new(self.ip().into(), self.port()))
    }

    /// Every simulated address is a public one (the tests check it against kad-core's own
    /// rule): said at once, as kad-core asks it of every contact of every answer.
    fn scope(&self) -> Option<AddressScope> {
        Some(AddressScope::Global)
    }

    /// An IPv4 address and a port, as the default says, without building them.
    fn wire_len(&self) -> usize {
        IPV4_WIRE_LEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What kad-core's rule says of the address, and what the address says of itself.
    fn scopes(a: SimAddr) -> (Option<AddressScope>, Option<AddressScope>) {
        let socket = a.socket_addr().expect("a socket address");
        (Some(AddressScope::of(&socket)), a.scope())
    }

    /// The wire length of the address's socket address by kad-core's rule, and what the
    /// address says.
    fn wire_lens(a: SimAddr) -> (usize, usize) {
        let socket = a.socket_addr().expect("a socket address");
        (socket.wire_len(), a.wire_len())
    }

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
        for n in [0, 77, 1_000_000, 5_832_703, 5_832_704, (1 << 24) - 1] {
            assert_eq!(
                scopes(SimAddr(n)),
                (Some(AddressScope::Global), Some(AddressScope::Global)),
                "{n}"
            );
            let (plain, sim) = wire_lens(SimAddr(n));
            assert_eq!(plain, sim, "{n}");
        }
    }

    #[test]
    fn adversaries_share_their_subnets_but_not_their_addresses() {
        let a = SimAddr::adversary(5, 3);
        assert!(a.is_adversary() && !SimAddr(5).is_adversary());
        assert_eq!((a.index(), SimAddr(5).index()), (5, 5));
        assert_eq!(a.ip(), Ipv4Addr::new(100, 0, 3, 6));
        for adversary in [a, SimAddr::adversary((1 << 24) - 1, 127)] {
            let global = Some(AddressScope::Global);
            assert_eq!(scopes(adversary), (global, global));
            let (plain, sim) = wire_lens(adversary);
            assert_eq!(plain, sim);
        }
        let far = SimAddr::adversary(5 + 254, 3);
        assert_eq!(far.ip(), a.ip());
        assert_ne!(far.socket_addr(), a.socket_addr());
        assert_eq!(
            SimAddr::adversary((1 << 24) - 1, 127).index(),
            (1 << 24) - 1
        );
    }
}
