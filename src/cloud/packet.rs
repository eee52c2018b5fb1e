//! Packets and the rule vocabulary shared by security groups (§7.3) and network ACLs (§7.4).
//!
//! A packet is the five-tuple of `network-model.md` §8.3: `(src_ip, dst_ip, proto, sport, dport)`.
//! Rules name a protocol (`TCP`, `UDP`, `ICMP`, `ICMPv6`, `GRE`, `ALL`) and a port range that is
//! either `from/to` (TCP/UDP, 1–65535) or `-1/-1` (every other protocol).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::Ipv4Addr;

/// Default client source port used when evaluating replies of stateless filters
/// (§7.4 rule 7, **ASSUMED**: inside the documented ephemeral range 1024–65535).
pub const DEFAULT_CLIENT_PORT: u16 = 32768;

/// Protocol of a concrete packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (IPv4).
    Icmp,
    /// ICMPv6 (never matches an IPv4 packet in practice; kept for rule parity).
    Icmpv6,
    /// GRE.
    Gre,
}

impl Protocol {
    /// True for the protocols that carry ports (TCP, UDP).
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp)
    }

    /// Lower-case name (`tcp`, `udp`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Icmpv6 => "icmpv6",
            Protocol::Gre => "gre",
        }
    }
}

/// A packet: the five-tuple of §8.3. Ports are ignored for protocols without ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Packet {
    /// Source address.
    pub src_ip: Ipv4Addr,
    /// Destination address.
    pub dst_ip: Ipv4Addr,
    /// Protocol.
    pub protocol: Protocol,
    /// Source port (meaningful for TCP/UDP only).
    pub src_port: u16,
    /// Destination port (meaningful for TCP/UDP only).
    pub dst_port: u16,
}

impl Packet {
    /// A TCP packet.
    pub fn tcp(src_ip: Ipv4Addr, src_port: u16, dst_ip: Ipv4Addr, dst_port: u16) -> Self {
        Packet {
            src_ip,
            dst_ip,
            protocol: Protocol::Tcp,
            src_port,
            dst_port,
        }
    }

    /// A packet of `protocol` from `src_ip` to `dst_ip:dst_port`, with the default client source
    /// port (§7.4 rule 7).
    pub fn new(protocol: Protocol, src_ip: Ipv4Addr, dst_ip: Ipv4Addr, dst_port: u16) -> Self {
        Packet {
            src_ip,
            dst_ip,
            protocol,
            src_port: DEFAULT_CLIENT_PORT,
            dst_port,
        }
    }

    /// The reply: addresses and ports swapped (§8.3.8).
    pub fn reply(&self) -> Packet {
        Packet {
            src_ip: self.dst_ip,
            dst_ip: self.src_ip,
            protocol: self.protocol,
            src_port: self.dst_port,
            dst_port: self.src_port,
        }
    }
}

/// Direction of a filter rule, seen from the filtered ENI or vSwitch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Inbound: the peer is the packet's source.
    Ingress,
    /// Outbound: the peer is the packet's destination.
    Egress,
}

impl Direction {
    /// Alibaba spelling (`ingress` / `egress`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The peer address of `p` in this direction (source for ingress, destination for egress).
    pub fn peer(self, p: &Packet) -> Ipv4Addr {
        match self {
            Direction::Ingress => p.src_ip,
            Direction::Egress => p.dst_ip,
        }
    }
}

/// Protocol named by a rule (`ALL` matches every protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RuleProtocol {
    /// `TCP`.
    Tcp,
    /// `UDP`.
    Udp,
    /// `ICMP`.
    Icmp,
    /// `ICMPv6`.
    Icmpv6,
    /// `GRE`.
    Gre,
    /// `ALL`.
    All,
}

impl RuleProtocol {
    /// Parses a protocol name case-insensitively (§7.3: `TCP`, `UDP`, `ICMP`, `ICMPv6`, `GRE`,
    /// `ALL`; §7.4 uses the same set in lower case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tcp" => Some(RuleProtocol::Tcp),
            "udp" => Some(RuleProtocol::Udp),
            "icmp" => Some(RuleProtocol::Icmp),
            "icmpv6" => Some(RuleProtocol::Icmpv6),
            "gre" => Some(RuleProtocol::Gre),
            "all" => Some(RuleProtocol::All),
            _ => None,
        }
    }

    /// ECS spelling (`TCP`, `ICMPv6`, `ALL`, …).
    pub fn ecs_name(self) -> &'static str {
        match self {
            RuleProtocol::Tcp => "TCP",
            RuleProtocol::Udp => "UDP",
            RuleProtocol::Icmp => "ICMP",
            RuleProtocol::Icmpv6 => "ICMPv6",
            RuleProtocol::Gre => "GRE",
            RuleProtocol::All => "ALL",
        }
    }

    /// VPC (network ACL) spelling: lower case.
    pub fn vpc_name(self) -> &'static str {
        match self {
            RuleProtocol::Tcp => "tcp",
            RuleProtocol::Udp => "udp",
            RuleProtocol::Icmp => "icmp",
            RuleProtocol::Icmpv6 => "icmpv6",
            RuleProtocol::Gre => "gre",
            RuleProtocol::All => "all",
        }
    }

    /// True when the rule names a protocol with ports (TCP/UDP), so its range is `from/to`.
    pub fn has_ports(self) -> bool {
        matches!(self, RuleProtocol::Tcp | RuleProtocol::Udp)
    }

    /// True when the rule's protocol covers `p`.
    pub fn matches(self, p: Protocol) -> bool {
        match self {
            RuleProtocol::All => true,
            RuleProtocol::Tcp => p == Protocol::Tcp,
            RuleProtocol::Udp => p == Protocol::Udp,
            RuleProtocol::Icmp => p == Protocol::Icmp,
            RuleProtocol::Icmpv6 => p == Protocol::Icmpv6,
            RuleProtocol::Gre => p == Protocol::Gre,
        }
    }
}

/// A port range of a rule: `-1/-1` ([`PortRange::Any`]) or `from/to` with 1 ≤ from ≤ to ≤ 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PortRange {
    /// `-1/-1`: every port (the only range allowed for ICMP, GRE and ALL).
    Any,
    /// `from/to`, inclusive.
    Range(u16, u16),
}

/// Why a `from/to` string is not an acceptable port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRangeError {
    /// Not `a/b` with integers in −1..=65535, or `from > to`.
    Syntax,
    /// Well-formed, but not allowed for the protocol (e.g. ICMP with `80/80`, TCP with `-1/-1`).
    ProtocolMismatch,
}

impl PortRange {
    /// Parses `from/to` (syntax only): integers in −1..=65535; `-1/-1` is [`PortRange::Any`].
    /// Returns the raw pair so that the protocol check can be made separately.
    pub fn parse_raw(s: &str) -> Option<(i32, i32)> {
        let (a, b) = s.trim().split_once('/')?;
        let a: i32 = a.trim().parse().ok()?;
        let b: i32 = b.trim().parse().ok()?;
        let ok = |x: i32| (-1..=65535).contains(&x);
        (ok(a) && ok(b)).then_some((a, b))
    }

    /// Parses and checks a range for `protocol`: TCP/UDP need `from/to` with
    /// 1 ≤ from ≤ to ≤ 65535; every other protocol needs `-1/-1`.
    pub fn parse_for(s: &str, protocol: RuleProtocol) -> Result<PortRange, PortRangeError> {
        let (a, b) = Self::parse_raw(s).ok_or(PortRangeError::Syntax)?;
        if a != -1 && b != -1 && a > b {
            return Err(PortRangeError::Syntax);
        }
        if protocol.has_ports() {
            match (u16::try_from(a), u16::try_from(b)) {
                (Ok(a), Ok(b)) if a >= 1 => Ok(PortRange::Range(a, b)),
                _ => Err(PortRangeError::ProtocolMismatch),
            }
        } else if (a, b) == (-1, -1) {
            Ok(PortRange::Any)
        } else {
            Err(PortRangeError::ProtocolMismatch)
        }
    }

    /// True when `port` is inside the range.
    pub fn contains(self, port: u16) -> bool {
        match self {
            PortRange::Any => true,
            PortRange::Range(a, b) => (a..=b).contains(&port),
        }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortRange::Any => f.write_str("-1/-1"),
            PortRange::Range(a, b) => write!(f, "{a}/{b}"),
        }
    }
}

/// Accept or drop (the `Policy` of SG rules and ACL entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// `accept`.
    Accept,
    /// `drop`.
    Drop,
}

impl Action {
    /// Parses `accept` / `drop` case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "accept" => Some(Action::Accept),
            "drop" => Some(Action::Drop),
            _ => None,
        }
    }

    /// Lower-case spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Drop => "drop",
        }
    }
}

/// `a.b.c.d/n`, as [`ipnet::Ipv4Net`]'s `Display` writes it, without the `fmt` machinery
/// (responses render every CIDR of the VPCs they name).
pub fn cidr_text(net: &ipnet::Ipv4Net) -> String {
    fn push_decimal(out: &mut String, v: u8) {
        if v >= 100 {
            out.push(char::from(b'0' + v / 100));
        }
        if v >= 10 {
            out.push(char::from(b'0' + v / 10 % 10));
        }
        out.push(char::from(b'0' + v % 10));
    }
    let mut out = String::with_capacity(18);
    for (i, octet) in net.addr().octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_decimal(&mut out, octet);
    }
    out.push('/');
    push_decimal(&mut out, net.prefix_len());
    out
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn cidr_text_matches_display(addr in proptest::prelude::any::<u32>(), len in 0u8..=32) {
            let net = ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(addr), len).unwrap();
            proptest::prop_assert_eq!(super::cidr_text(&net), net.to_string());
        }
    }

    #[test]
    fn cidr_text_is_the_display_text() {
        for text in [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "192.168.100.0/24",
            "255.255.255.255/32",
            "1.20.3.0/30",
        ] {
            let net: ipnet::Ipv4Net = text.parse().unwrap();
            assert_eq!(super::cidr_text(&net), net.to_string());
        }
    }

    use super::*;

    #[test]
    fn port_ranges_follow_the_protocol() {
        use PortRangeError::*;
        let cases: &[(&str, RuleProtocol, Result<PortRange, PortRangeError>)] = &[
            ("22/22", RuleProtocol::Tcp, Ok(PortRange::Range(22, 22))),
            ("1/65535", RuleProtocol::Udp, Ok(PortRange::Range(1, 65535))),
            ("-1/-1", RuleProtocol::Icmp, Ok(PortRange::Any)),
            ("-1/-1", RuleProtocol::All, Ok(PortRange::Any)),
            ("-1/-1", RuleProtocol::Gre, Ok(PortRange::Any)),
            ("80/80", RuleProtocol::Icmp, Err(ProtocolMismatch)),
            ("-1/-1", RuleProtocol::Tcp, Err(ProtocolMismatch)),
            ("0/80", RuleProtocol::Tcp, Err(ProtocolMismatch)),
            ("80/22", RuleProtocol::Tcp, Err(Syntax)),
            ("80", RuleProtocol::Tcp, Err(Syntax)),
            ("a/b", RuleProtocol::Tcp, Err(Syntax)),
            ("1/65536", RuleProtocol::Tcp, Err(Syntax)),
            ("-2/5", RuleProtocol::Tcp, Err(Syntax)),
        ];
        for (s, p, want) in cases {
            assert_eq!(PortRange::parse_for(s, *p), *want, "{s} {p:?}");
        }
        assert_eq!(PortRange::Range(1, 2).to_string(), "1/2");
        assert_eq!(PortRange::Any.to_string(), "-1/-1");
    }

    #[test]
    fn protocols_parse_case_insensitively() {
        assert_eq!(RuleProtocol::parse("IcMpV6"), Some(RuleProtocol::Icmpv6));
        assert_eq!(RuleProtocol::parse("all"), Some(RuleProtocol::All));
        assert_eq!(RuleProtocol::parse("sctp"), None);
        assert!(RuleProtocol::All.matches(Protocol::Gre));
        assert!(!RuleProtocol::Tcp.matches(Protocol::Udp));
        let p = Packet::new(
            Protocol::Tcp,
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            80,
        );
        let r = p.reply();
        assert_eq!((r.src_ip, r.dst_port, r.src_port), (p.dst_ip, 32768, 80));
    }
}
