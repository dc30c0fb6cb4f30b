//! Conversions between the multiaddrs that kad-core contacts carry and the socket addresses a
//! UDP socket understands: `/ip4/<a.b.c.d>/udp/<port>` and `/ip6/<addr>/udp/<port>`.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use multiaddr::{Multiaddr, Protocol};

/// The multiaddr of a UDP socket address: `/ip4/…/udp/…` or `/ip6/…/udp/…`.
///
/// ```
/// let addr = kad_udp::socket_to_multiaddr("127.0.0.1:4000".parse().unwrap());
/// assert_eq!(addr.to_string(), "/ip4/127.0.0.1/udp/4000");
/// ```
pub fn socket_to_multiaddr(addr: SocketAddr) -> Multiaddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) => Protocol::Ip4(ip),
        IpAddr::V6(ip) => Protocol::Ip6(ip),
    };
    Multiaddr::with_capacity(24)
        .with(ip)
        .with(Protocol::Udp(addr.port()))
}

/// The socket address of a `/ip4/…/udp/…` or `/ip6/…/udp/…` multiaddr, or `None` for any
/// other multiaddr (another transport, a DNS name, extra components).
///
/// ```
/// let addr: multiaddr::Multiaddr = "/ip6/::1/udp/4000".parse().unwrap();
/// assert_eq!(kad_udp::multiaddr_to_socket(&addr), Some("[::1]:4000".parse().unwrap()));
/// let tcp: multiaddr::Multiaddr = "/ip4/127.0.0.1/tcp/4000".parse().unwrap();
/// assert_eq!(kad_udp::multiaddr_to_socket(&tcp), None);
/// ```
pub fn multiaddr_to_socket(addr: &Multiaddr) -> Option<SocketAddr> {
    let mut parts = addr.iter();
    let ip = match parts.next()? {
        Protocol::Ip4(ip) => IpAddr::V4(ip),
        Protocol::Ip6(ip) => IpAddr::V6(ip),
        _ => return None,
    };
    let Protocol::Udp(port) = parts.next()? else {
        return None;
    };
    match parts.next() {
        None => Some(SocketAddr::new(ip, port)),
        Some(_) => None,
    }
}

/// Why a listen address given to [`UdpGateway::new`](crate::UdpGateway::new) was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadListenAddr(pub String);

impl fmt::Display for BadListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid UDP listen address {:?}: expected \"ip:port\", \"[ip6]:port\" \
             or \"/ip4/…/udp/…\"",
            self.0
        )
    }
}

impl std::error::Error for BadListenAddr {}

/// Parses a listen address: `"ip:port"`, `"[ip6]:port"`, or a multiaddr
/// `"/ip4/…/udp/…"` / `"/ip6/…/udp/…"`.
///
/// ```
/// use kad_udp::parse_listen_addr;
/// assert_eq!(parse_listen_addr("127.0.0.1:0").unwrap(), "127.0.0.1:0".parse().unwrap());
/// assert_eq!(parse_listen_addr("[::1]:9000").unwrap(), "[::1]:9000".parse().unwrap());
/// assert_eq!(parse_listen_addr("/ip4/0.0.0.0/udp/9000").unwrap(), "0.0.0.0:9000".parse().unwrap());
/// assert!(parse_listen_addr("localhost").is_err());
/// ```
pub fn parse_listen_addr(text: &str) -> Result<SocketAddr, BadListenAddr> {
    let text = text.trim();
    let parsed = if text.starts_with('/') {
        text.parse::<Multiaddr>()
            .ok()
            .and_then(|m| multiaddr_to_socket(&m))
    } else {
        text.parse::<SocketAddr>().ok()
    };
    parsed.ok_or_else(|| BadListenAddr(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_families() {
        for text in ["127.0.0.1:1", "0.0.0.0:65535", "[::1]:4000", "[fe80::1]:9"] {
            let socket: SocketAddr = text.parse().unwrap();
            let multi = socket_to_multiaddr(socket);
            assert_eq!(multiaddr_to_socket(&multi), Some(socket), "{multi}");
            let bytes = multi.to_vec();
            let back = Multiaddr::try_from(bytes).unwrap();
            assert_eq!(multiaddr_to_socket(&back), Some(socket));
        }
        assert_eq!(
            socket_to_multiaddr("[::1]:4000".parse().unwrap()).to_string(),
            "/ip6/::1/udp/4000"
        );
    }

    #[test]
    fn refuses_other_multiaddrs() {
        for text in [
            "/ip4/127.0.0.1/tcp/1",
            "/ip4/127.0.0.1",
            "/udp/1",
            "/dns4/example.com/udp/1",
            "/ip4/127.0.0.1/udp/1/quic-v1",
        ] {
            let m: Multiaddr = text.parse().unwrap();
            assert_eq!(multiaddr_to_socket(&m), None, "{text}");
        }
        assert_eq!(multiaddr_to_socket(&Multiaddr::empty()), None);
    }

    #[test]
    fn parses_listen_addresses() {
        assert!(parse_listen_addr("127.0.0.1:0").is_ok());
        assert!(parse_listen_addr(" [::]:0 ").is_ok());
        assert!(parse_listen_addr("/ip6/::1/udp/0").is_ok());
        for bad in [
            "",
            "127.0.0.1",
            "::1:80",
            "1.2.3.4:99999",
            "/ip4/1.2.3.4/tcp/1",
            "x:1",
        ] {
            let err = parse_listen_addr(bad).unwrap_err();
            assert!(err.to_string().contains("invalid UDP listen address"));
        }
    }
}
