//! What the node's defences need to know about an address: the IP and port behind it, the
//! kind of network it lies in (public, local, or nowhere one may send), its subnet for the
//! routing table's diversity rule, and the bytes a write token is bound to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// An address a [`Node`](crate::Node) can send to.
///
/// The node's defences (the address filter, subnet diversity, write tokens bound to the
/// requester's IP) need the IP behind an address: [`socket_addr`](Address::socket_addr) gives
/// it. An address type without one (a simulator's node index, an in-memory test transport) is
/// *opaque*: its socket address is `None`, those rules do not apply to it, and a write token
/// is bound to the node's secret alone.
///
/// Implemented for [`SocketAddr`], for `u32` and `u64` (opaque), and, with the `multiaddr`
/// feature, for `Multiaddr` (`/ip4/…` or `/ip6/…` followed by a `udp` or `tcp` port).
///
/// ```
/// use std::net::SocketAddr;
/// use kad_core::{Address, AddressScope};
///
/// let public: SocketAddr = "203.0.113.7:4000".parse()?;
/// assert_eq!(public.scope(), Some(AddressScope::Global));
/// let lan: SocketAddr = "192.168.1.20:4000".parse()?;
/// assert_eq!(lan.scope(), Some(AddressScope::Local));
/// let nowhere: SocketAddr = "224.0.0.1:4000".parse()?;
/// assert_eq!(nowhere.scope(), Some(AddressScope::Unroutable));
/// assert_eq!(7u32.scope(), None);
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
pub trait Address: Clone + Eq {
    /// The IP address and port this address reaches, or `None` for an opaque address.
    fn socket_addr(&self) -> Option<SocketAddr>;

    /// The kind of network the address lies in; `None` for an opaque address.
    fn scope(&self) -> Option<AddressScope> {
        self.socket_addr().map(|s| AddressScope::of(&s))
    }

    /// The bytes the address takes in a message on the wire, its length prefix not counted
    /// (for the byte budget toward unverified addresses). By default that of the multiaddr
    /// `/ip4/…/udp/…` (9 bytes) or `/ip6/…/udp/…` (21 bytes).
    fn wire_len(&self) -> usize {
        match self.socket_addr().map(|s| canonical(s.ip())) {
            Some(IpAddr::V6(_)) => 21,
            _ => 9,
        }
    }
}

/// Where an address lies, as the address filter sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressScope {
    /// Nowhere a datagram may go: the unspecified address, `0.0.0.0/8`, multicast,
    /// `240.0.0.0/4` (reserved, with the broadcast address), the IPv6 discard prefix
    /// `100::/64`, or port 0. The node never sends there.
    Unroutable,
    /// A loopback, private (RFC 1918, IPv6 unique local and site-local), shared (RFC 6598)
    /// or link-local address: reachable only from the same host or network. A NAT64 or 6to4
    /// address has the scope of the IPv4 address it carries.
    Local,
    /// Anything else: the open internet.
    Global,
}

impl AddressScope {
    /// The scope of a socket address.
    pub fn of(addr: &SocketAddr) -> Self {
        if addr.port() == 0 {
            return AddressScope::Unroutable;
        }
        match canonical(addr.ip()) {
            IpAddr::V4(ip) => v4_scope(ip),
            IpAddr::V6(ip) => v6_scope(ip),
        }
    }
}

fn v4_scope(ip: Ipv4Addr) -> AddressScope {
    let [a, b, ..] = ip.octets();
    // 0/8 is "this network", 224/4 multicast, 240/4 reserved (with the broadcast address).
    if a == 0 || a >= 224 {
        AddressScope::Unroutable
    } else if ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || (a == 100 && (64..128).contains(&b))
    {
        AddressScope::Local
    } else {
        AddressScope::Global
    }
}

fn v6_scope(ip: Ipv6Addr) -> AddressScope {
    let segments = ip.segments();
    let first = segments[0];
    if let Some(v4) = embedded_v4(&segments) {
        // NAT64 and 6to4 addresses reach the IPv4 address they carry.
        return v4_scope(v4);
    }
    let discard = segments[..4] == [0x100, 0, 0, 0];
    let unique_local = first & 0xfe00 == 0xfc00;
    let link_local = first & 0xffc0 == 0xfe80;
    let site_local = first & 0xffc0 == 0xfec0;
    if ip.is_unspecified() || ip.is_multicast() || discard {
        AddressScope::Unroutable
    } else if ip.is_loopback() || unique_local || link_local || site_local {
        AddressScope::Local
    } else {
        AddressScope::Global
    }
}

/// The IPv4 address inside a NAT64 (`64:ff9b::/96`) or 6to4 (`2002::/16`) address.
fn embedded_v4(segments: &[u16; 8]) -> Option<Ipv4Addr> {
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some(v4(segments[6], segments[7]))
    } else if segments[0] == 0x2002 {
        Some(v4(segments[1], segments[2]))
    } else {
        None
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether two socket addresses are the same IP and port, an IPv4-mapped IPv6 address
/// being the IPv4 address it maps.
pub(crate) fn same_endpoint(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && canonical(a.ip()) == canonical(b.ip())
}

/// The network an IP belongs to for the diversity rule: its /24 (IPv4) or /64 (IPv6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Subnet([u8; 8]);

impl Subnet {
    pub(crate) fn of(ip: IpAddr) -> Self {
        let mut bytes = [0; 8];
        match canonical(ip) {
            IpAddr::V4(v4) => {
                bytes[0] = 4;
                bytes[1..4].copy_from_slice(&v4.octets()[..3]);
            }
            IpAddr::V6(v6) => bytes.copy_from_slice(&v6.octets()[..8]),
        }
        Subnet(bytes)
    }

    /// The subnet as one number, for hashing.
    pub(crate) fn to_u64(self) -> u64 {
        u64::from_le_bytes(self.0)
    }
}

/// The bytes a write token for a requester at `addr` is bound to: its IP (IPv4 as 4 bytes),
/// or nothing for an opaque address.
pub(crate) fn token_subject<A: Address>(addr: &A, out: &mut [u8; 16]) -> usize {
    match addr.socket_addr().map(|s| canonical(s.ip())) {
        Some(IpAddr::V4(v4)) => {
            out[..4].copy_from_slice(&v4.octets());
            4
        }
        Some(IpAddr::V6(v6)) => {
            out.copy_from_slice(&v6.octets());
            16
        }
        None => 0,
    }
}

impl Address for SocketAddr {
    fn socket_addr(&self) -> Option<SocketAddr> {
        Some(*self)
    }
}

impl Address for u32 {
    fn socket_addr(&self) -> Option<SocketAddr> {
        None
    }
}

impl Address for u64 {
    fn socket_addr(&self) -> Option<SocketAddr> {
        None
    }
}

#[cfg(feature = "multiaddr")]
impl Address for multiaddr::Multiaddr {
    fn socket_addr(&self) -> Option<SocketAddr> {
        use multiaddr::Protocol;
        let mut parts = self.iter();
        let ip = match parts.next()? {
            Protocol::Ip4(ip) => IpAddr::V4(ip),
            Protocol::Ip6(ip) => IpAddr::V6(ip),
            _ => return None,
        };
        match parts.next()? {
            Protocol::Udp(port) | Protocol::Tcp(port) => Some(SocketAddr::new(ip, port)),
            _ => None,
        }
    }

    fn wire_len(&self) -> usize {
        self.as_ref().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> AddressScope {
        AddressScope::of(&s.parse().expect("a socket address"))
    }

    #[test]
    fn scopes() {
        for s in [
            "0.0.0.0:1",
            "0.1.2.3:1",
            "1.2.3.4:0",
            "224.0.0.1:1",
            "255.255.255.255:1",
            "[::]:1",
            "[ff02::1]:1",
            "[::ffff:224.0.0.1]:1",
            "240.0.0.1:1",
            "[100::1]:1",
            "[64:ff9b::e000:1]:1",
        ] {
            assert_eq!(scope(s), AddressScope::Unroutable, "{s}");
        }
        for s in [
            "127.0.0.1:1",
            "127.5.6.7:1",
            "10.1.2.3:1",
            "172.16.0.1:1",
            "192.168.0.1:1",
            "169.254.1.1:1",
            "100.64.0.1:1",
            "[::1]:1",
            "[fd00::1]:1",
            "[fe80::1]:1",
            "[::ffff:10.0.0.1]:1",
            "[fec0::1]:1",
            "[64:ff9b::a00:1]:1",
            "[2002:c0a8:1::1]:1",
        ] {
            assert_eq!(scope(s), AddressScope::Local, "{s}");
        }
        for s in [
            "8.8.8.8:53",
            "172.32.0.1:1",
            "[2001:db8::1]:1",
            "100.128.0.1:1",
        ] {
            assert_eq!(scope(s), AddressScope::Global, "{s}");
        }
    }

    #[test]
    fn subnets_are_slash_24_and_slash_64() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("an ip");
        assert_eq!(Subnet::of(ip("1.2.3.4")), Subnet::of(ip("1.2.3.200")));
        assert_ne!(Subnet::of(ip("1.2.3.4")), Subnet::of(ip("1.2.4.4")));
        assert_eq!(Subnet::of(ip("1.2.3.4")), Subnet::of(ip("::ffff:1.2.3.9")));
        assert_eq!(
            Subnet::of(ip("2001:db8::1")),
            Subnet::of(ip("2001:db8::ff:1"))
        );
        assert_ne!(
            Subnet::of(ip("2001:db8::1")),
            Subnet::of(ip("2001:db8:0:1::1"))
        );
    }

    #[cfg(feature = "multiaddr")]
    #[test]
    fn multiaddrs_with_an_ip_and_port_have_a_socket_address() {
        let m = |s: &str| s.parse::<multiaddr::Multiaddr>().expect("a multiaddr");
        assert_eq!(
            m("/ip4/1.2.3.4/udp/9").socket_addr(),
            Some("1.2.3.4:9".parse().expect("valid"))
        );
        assert_eq!(
            m("/ip6/::1/tcp/9").socket_addr(),
            Some("[::1]:9".parse().expect("valid"))
        );
        assert_eq!(m("/memory/5").socket_addr(), None);
        assert_eq!(m("/ip4/1.2.3.4").socket_addr(), None);
    }
}
