//! Traffic as a scenario input (issue 17): a flow — source instance, destination,
//! protocol/port, a rate or a volume, a duration — is sent along the path `reach` computes.
//!
//! * A flow the analyzer finds unreachable sends nothing; its record carries the first failing
//!   check's code (`ROUTE_NOT_FOUND`, `PEERING_NOT_ACTIVE`, …) and why.
//! * A flow over a peering is recorded in hourly buckets of the scenario clock (never the wall
//!   clock), one per peering, sending VPC and hour. The bucket keeps what was offered, what the
//!   peering admitted and what it delivered; the difference is dropped (packet loss).
//! * Bandwidth cap (inter-region peerings, `Bandwidth` Mbit/s, per direction — **ASSUMED**):
//!   each flow is first limited to the bandwidth (a 200 Mbit/s flow over a 100 Mbit/s peering
//!   loses half), then the sum of the flows of one bucket is limited to bandwidth × 3600 s.
//!   The second cap works on hourly averages: concurrent flows within one hour that together
//!   exceed the bandwidth only lose traffic when their hourly total does (a simplification of
//!   the hourly-bucket model). Intra-region peerings (`Bandwidth = -1`) are not capped.
//! * Units: decimal (1 GB = 10^9 bytes, 1 Mbit/s = 10^6 bit/s, **ASSUMED**: the seed does not
//!   say which GB CDT bills). Only the forward (request) direction is sent: a reply is another
//!   flow.
//!
//! Billing of the delivered bytes is [`bill`]; CloudMonitor metrics read the same buckets.

pub mod bill;
mod runs;
#[cfg(test)]
pub(crate) mod tests;

use crate::cloud::reach::probe::{parse_protocol, parse_source, parse_target};
use crate::cloud::reach::{analyze, NodeType, Probe};
use crate::cloud::time::{Timestamp, HOUR};
use crate::cloud::World;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// Bytes in one GB (decimal, **ASSUMED**).
pub const BYTES_PER_GB: u64 = 1_000_000_000;
/// Longest flow: 366 days (a bound so that no input makes a flow spread over millions of
/// hours; longer traffic is several flows).
pub const MAX_FLOW_SECS: i64 = 366 * 24 * HOUR;
/// Bytes one Mbit/s carries in one second.
pub const BYTES_PER_MBIT_SECOND: u64 = 125_000;

/// How much a flow sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    /// A volume in bytes, spread evenly over the duration.
    Volume(u64),
    /// A rate in bit/s, held for the duration.
    Rate(u64),
}

/// What to send: the `ramsim traffic` arguments and the scenario `traffic` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSpec {
    /// Source, as `ramsim reach --from` takes it (`ecs:NAME`, `i-…`, an IP…).
    pub from: String,
    /// Destination, as `ramsim reach --to` takes it.
    pub to: String,
    /// `tcp`, `udp` or `icmp`.
    pub protocol: String,
    /// Destination port (tcp/udp).
    pub port: Option<u16>,
    /// Volume or rate.
    pub amount: Amount,
    /// Seconds (> 0).
    pub duration_secs: i64,
    /// Start (default: the scenario clock).
    pub start: Option<Timestamp>,
}

/// One sent flow, as recorded in the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// `flow-1`, `flow-2`, … in recording order.
    pub id: String,
    /// Source as given.
    pub from: String,
    /// Destination as given.
    pub to: String,
    /// `tcp`, `udp`, `icmp`.
    pub protocol: String,
    /// Destination port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Start (scenario clock).
    pub start: Timestamp,
    /// Seconds.
    pub duration_secs: i64,
    /// Bytes the source tried to send.
    pub offered_bytes: u64,
    /// Bytes that arrived when the flow was recorded (later flows sharing a saturated bucket
    /// do not rewrite it; the buckets are the authority for bills and metrics).
    pub delivered_bytes: u64,
    /// The analyzer found the path open.
    pub reachable: bool,
    /// First failing check (unreachable flows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Why (unreachable flows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The peering the path crosses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_id: Option<String>,
    /// The VPC that sends over the peering (its owner pays, §3.7 rule 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_vpc_id: Option<String>,
    /// CEN peer attachments and cross-region endpoints the path crosses, in path order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

impl Flow {
    /// Bytes lost to the bandwidth cap when the flow was recorded.
    pub fn dropped_bytes(&self) -> u64 {
        if self.reachable {
            self.offered_bytes.saturating_sub(self.delivered_bytes)
        } else {
            0
        }
    }
}

/// Traffic of one sending VPC over one peering in one hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Peering.
    pub peering_id: String,
    /// Sending VPC.
    pub from_vpc_id: String,
    /// Its owner (charged by CDT).
    pub payer_uid: String,
    /// Start of the hour.
    pub hour: Timestamp,
    /// Bytes offered by the flows.
    pub offered_bytes: u64,
    /// Bytes left after each flow was limited to the bandwidth.
    pub admitted_bytes: u64,
    /// Bytes delivered: `admitted` limited to bandwidth × 3600 s.
    pub delivered_bytes: u64,
    /// Peering bandwidth (Mbit/s) when last written; `-1` unlimited.
    pub bandwidth_mbps: i64,
}

impl Bucket {
    /// Bytes dropped (packet loss).
    pub fn dropped_bytes(&self) -> u64 {
        self.offered_bytes.saturating_sub(self.delivered_bytes)
    }
}

/// Key of a bucket: peering, sending VPC, hour.
pub type BucketKey = (String, String, Timestamp);

/// The product whose cross-region link a [`LinkBucket`] meters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// A CEN inter-region connection (transit-router peer attachment, §6.3.3).
    Cen,
    /// A cross-region PrivateLink endpoint (§4.6).
    Privatelink,
}

impl Service {
    /// `cen`, `privatelink`.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Cen => "cen",
            Service::Privatelink => "privatelink",
        }
    }
}

/// Traffic of one sender over one CEN inter-region connection or cross-region PrivateLink
/// endpoint in one hour. Unlike a peering [`Bucket`], it carries its region pair, link type
/// and payer, fixed when the traffic was sent (the attachment or endpoint may be deleted
/// later; its traffic is still billed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkBucket {
    /// `cen` or `privatelink`.
    pub service: Service,
    /// The link: `tr-attach-…` (peer attachment) or `ep-…` (endpoint).
    pub link_id: String,
    /// The sender: the transit router that forwards into the peer attachment, or the
    /// endpoint's VPC.
    pub sender_id: String,
    /// The account CDT charges.
    pub payer_uid: String,
    /// Start of the hour.
    pub hour: Timestamp,
    /// Region the traffic leaves.
    pub source_region: String,
    /// Region it enters.
    pub dest_region: String,
    /// The highest link type in effect while traffic of this hour was sent.
    pub link_type: String,
    /// Bytes offered.
    pub offered_bytes: u64,
    /// Bytes left after each flow was limited to the bandwidth.
    pub admitted_bytes: u64,
    /// Bytes delivered: `admitted` limited to bandwidth × 3600 s.
    pub delivered_bytes: u64,
    /// Bandwidth (Mbit/s) when last written; `-1` unlimited.
    pub bandwidth_mbps: i64,
    /// Billed by CDT (false: bandwidth from a prepaid CEN bandwidth plan, billed by the plan).
    pub cdt: bool,
}

impl LinkBucket {
    /// Bytes dropped (packet loss).
    pub fn dropped_bytes(&self) -> u64 {
        self.offered_bytes.saturating_sub(self.delivered_bytes)
    }
}

/// Key of a link bucket: link, sender, hour.
pub type LinkKey = (String, String, Timestamp);

/// Flows and buckets; omitted from the state while empty, so states without traffic keep
/// their bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficState {
    /// Flows in recording order.
    #[serde(default)]
    pub flows: Vec<Flow>,
    /// Buckets by peering, sending VPC and hour (serialized as a sorted list).
    #[serde(
        default,
        serialize_with = "ser_buckets",
        deserialize_with = "de_buckets"
    )]
    pub buckets: BTreeMap<BucketKey, Bucket>,
    /// Buckets of CEN inter-region connections and cross-region PrivateLink endpoints, by
    /// link, sender and hour (serialized as a sorted list; omitted while empty).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "ser_links",
        deserialize_with = "de_links"
    )]
    pub links: BTreeMap<LinkKey, LinkBucket>,
    /// The bill's per-run view of `buckets` (derived: not saved, ignored by `==`).
    #[serde(skip)]
    pub(crate) runs: runs::LazyRuns,
}

fn ser_links<S: Serializer>(b: &BTreeMap<LinkKey, LinkBucket>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(b.values())
}

fn de_links<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<LinkKey, LinkBucket>, D::Error> {
    let list = Vec::<LinkBucket>::deserialize(d)?;
    let mut out = BTreeMap::new();
    for b in list {
        let key = (b.link_id.clone(), b.sender_id.clone(), b.hour);
        if out.insert(key, b).is_some() {
            return Err(serde::de::Error::custom(
                "two traffic buckets for the same link, sender and hour",
            ));
        }
    }
    Ok(out)
}

fn ser_buckets<S: Serializer>(b: &BTreeMap<BucketKey, Bucket>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(b.values())
}

fn de_buckets<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<BucketKey, Bucket>, D::Error> {
    let list = Vec::<Bucket>::deserialize(d)?;
    let mut out = BTreeMap::new();
    for b in list {
        let key = (b.peering_id.clone(), b.from_vpc_id.clone(), b.hour);
        if out.insert(key, b).is_some() {
            return Err(serde::de::Error::custom(
                "two traffic buckets for the same peering, VPC and hour",
            ));
        }
    }
    Ok(out)
}

impl TrafficState {
    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty() && self.buckets.is_empty() && self.links.is_empty()
    }

    /// The buckets of one peering (both directions), in (VPC, hour) order.
    pub fn peering_buckets<'a>(&'a self, peering_id: &'a str) -> impl Iterator<Item = &'a Bucket> {
        let lo = (peering_id.to_string(), String::new(), Timestamp::MIN);
        self.buckets
            .range(lo..)
            .take_while(move |(k, _)| k.0 == peering_id)
            .map(|(_, b)| b)
    }
}

/// Parses a volume: `200GB`, `1.5TB`, `500MB`, `64KB`, `10B` (decimal units) into bytes.
pub fn parse_volume(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let units: [(&str, u64); 5] = [
        ("TB", 1_000_000_000_000),
        ("GB", BYTES_PER_GB),
        ("MB", 1_000_000),
        ("KB", 1_000),
        ("B", 1),
    ];
    for (suffix, unit) in units {
        if let Some(num) = upper.strip_suffix(suffix) {
            return scaled(num.trim(), unit).filter(|v| *v > 0).ok_or_else(|| {
                format!("invalid volume `{s}` (examples: 200GB, 1.5TB, 500MB; > 0)")
            });
        }
    }
    Err(format!(
        "invalid volume `{s}`: give a unit (examples: 200GB, 1.5TB, 500MB)"
    ))
}

/// Parses a rate: `200Mbps`, `1.5Gbps`, `800Kbps`, `100bps` (decimal units) into bit/s.
pub fn parse_rate(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let units: [(&str, u64); 4] = [
        ("gbps", 1_000_000_000),
        ("mbps", 1_000_000),
        ("kbps", 1_000),
        ("bps", 1),
    ];
    for (suffix, unit) in units {
        if let Some(num) = lower.strip_suffix(suffix) {
            return scaled(num.trim(), unit)
                .filter(|v| *v > 0)
                .ok_or_else(|| format!("invalid rate `{s}` (examples: 200Mbps, 1Gbps; > 0)"));
        }
    }
    Err(format!(
        "invalid rate `{s}`: give a unit (examples: 200Mbps, 1Gbps, 800Kbps)"
    ))
}

/// `num` (digits, optionally with a decimal point) × `unit`, exactly, when it is a whole
/// number of base units.
fn scaled(num: &str, unit: u64) -> Option<u64> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut value = int.checked_mul(unit)?;
    let mut scale = unit;
    for d in frac.chars() {
        let d = u64::from(d.to_digit(10)?);
        if scale % 10 != 0 {
            // Finer than one base unit: only zeros allowed.
            if d != 0 {
                return None;
            }
            continue;
        }
        scale /= 10;
        value = value.checked_add(d.checked_mul(scale)?)?;
    }
    Some(value)
}

/// What [`World::send_flow`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowOutcome {
    /// The recorded flow.
    pub flow: Flow,
    /// Per hour: (hour, offered, delivered) of this flow's share.
    pub hours: Vec<(Timestamp, u64, u64)>,
}

/// `offered` spread over `[start, start + duration)` by hour: (hour, bytes, seconds), exact
/// (the remainder goes to the last hour).
fn spread(start: Timestamp, duration: i64, offered: u64) -> Vec<(Timestamp, u64, i64)> {
    let end = start.plus(duration);
    let mut out = Vec::new();
    let mut hour = start.hour_floor();
    let mut given: u64 = 0;
    while hour < end {
        let next = hour.plus(HOUR);
        let lo = start.max(hour);
        let hi = end.min(next);
        let secs = hi.epoch() - lo.epoch();
        let upto = (hi.epoch() - start.epoch()) as u128;
        let cumulative = (u128::from(offered) * upto / duration as u128) as u64;
        out.push((hour, cumulative - given, secs));
        given = cumulative;
        if next <= hour {
            break;
        }
        hour = next;
    }
    out
}

impl World {
    /// Recorded flows and traffic buckets.
    pub fn traffic_state(&self) -> &TrafficState {
        &self.flows
    }

    /// Compares the bill's per-run view of the peering buckets, when built, with one built
    /// afresh from the buckets; `Err` names the first run that differs.
    pub fn check_traffic_index(&self) -> Result<(), String> {
        let Some(kept) = self.flows.runs.built() else {
            return Ok(());
        };
        let fresh = runs::build(&self.flows.buckets);
        if *kept == fresh {
            return Ok(());
        }
        let differs = kept
            .iter()
            .zip(fresh.iter())
            .find(|(a, b)| a != b)
            .map(|((k, _), _)| k.clone())
            .or_else(|| fresh.keys().nth(kept.len().min(fresh.len())).cloned())
            .or_else(|| kept.keys().nth(fresh.len()).cloned())
            .unwrap_or_default();
        Err(format!(
            "bill index: the run of `{}` sent by `{}` differs from the buckets",
            differs.0, differs.1
        ))
    }

    /// Forgets the bill's per-run view of the buckets, so that the next bill builds it, as
    /// the first bill of a loaded state does (for benchmarks).
    #[doc(hidden)]
    pub fn forget_traffic_index(&mut self) {
        self.flows.runs.invalidate();
    }

    /// Sends a flow along the path the analyzer computes and records it (issue 17): an
    /// unreachable flow is recorded with its code and sends nothing; a flow over a peering
    /// fills that peering's hourly buckets, limited by its bandwidth. `Err` when the flow
    /// cannot be described at all (unknown instance, bad protocol, zero duration).
    pub fn send_flow(&mut self, spec: &FlowSpec) -> Result<FlowOutcome, String> {
        if spec.duration_secs <= 0 {
            return Err(format!(
                "duration must be positive (got {} s)",
                spec.duration_secs
            ));
        }
        if spec.duration_secs > MAX_FLOW_SECS {
            return Err(format!(
                "duration {} s is longer than 366 days: send several flows",
                spec.duration_secs
            ));
        }
        let start = spec.start.unwrap_or(self.clock);
        let Some(end) = start.checked_plus(spec.duration_secs) else {
            return Err(format!("the flow would end after {}", Timestamp::MAX));
        };
        if end > Timestamp::MAX {
            return Err(format!("the flow would end after {}", Timestamp::MAX));
        }
        let offered: u64 = match spec.amount {
            Amount::Volume(bytes) => bytes,
            Amount::Rate(bps) => {
                let bits = u128::from(bps) * spec.duration_secs as u128;
                u64::try_from(bits / 8).map_err(|_| "the flow's volume is too large".to_string())?
            }
        };
        if offered == 0 {
            return Err("the flow sends nothing (volume 0)".into());
        }
        let protocol = parse_protocol(&spec.protocol)?;
        let probe = Probe {
            source: parse_source(self, &spec.from)
                .map_err(|e| format!("from `{}`: {e}", spec.from))?,
            target: parse_target(self, &spec.to).map_err(|e| format!("to `{}`: {e}", spec.to))?,
            protocol,
            source_port: None,
            target_port: spec.port,
        };
        let verdict = analyze(self, &probe).map_err(|e| e.to_string())?;
        let id = format!("flow-{}", self.flows.flows.len() + 1);
        let mut flow = Flow {
            id,
            from: spec.from.clone(),
            to: spec.to.clone(),
            protocol: protocol.as_str().to_string(),
            port: spec.port,
            start,
            duration_secs: spec.duration_secs,
            offered_bytes: offered,
            delivered_bytes: 0,
            reachable: verdict.reachable,
            code: None,
            detail: None,
            peering_id: None,
            from_vpc_id: None,
            links: Vec::new(),
        };
        let mut hours = Vec::new();
        if !verdict.reachable {
            let first = verdict.first_error();
            flow.code =
                Some(first.map_or("UNREACHABLE".to_string(), |f| f.code.as_str().to_string()));
            flow.detail = first.map(|f| f.detail.clone());
            self.flows.flows.push(flow.clone());
            return Ok(FlowOutcome { flow, hours });
        }
        let crossings = crossings(self, &verdict.forward);
        let pieces = spread(start, spec.duration_secs, offered);
        let mut delivered_total: u64 = 0;
        for (hour, bytes, secs) in pieces {
            // Each link the path crosses caps what the one before it delivered.
            let mut carried = bytes;
            for c in &crossings {
                carried = match c {
                    Crossing::Peering {
                        peering_id,
                        from_vpc,
                        payer,
                        bandwidth,
                    } => {
                        let key = (peering_id.clone(), from_vpc.clone(), hour);
                        let b = self.flows.buckets.entry(key).or_insert_with(|| Bucket {
                            peering_id: peering_id.clone(),
                            from_vpc_id: from_vpc.clone(),
                            payer_uid: payer.clone(),
                            hour,
                            offered_bytes: 0,
                            admitted_bytes: 0,
                            delivered_bytes: 0,
                            bandwidth_mbps: *bandwidth,
                        });
                        b.bandwidth_mbps = *bandwidth;
                        let (o, a, d) = capped(
                            (b.offered_bytes, b.admitted_bytes, b.delivered_bytes),
                            carried,
                            *bandwidth,
                            secs,
                        );
                        let before = b.delivered_bytes;
                        (b.offered_bytes, b.admitted_bytes, b.delivered_bytes) = (o, a, d);
                        self.flows.runs.note(b);
                        d - before
                    }
                    Crossing::Link(l) => {
                        let key = (l.link_id.clone(), l.sender_id.clone(), hour);
                        let b = self.flows.links.entry(key).or_insert_with(|| LinkBucket {
                            hour,
                            offered_bytes: 0,
                            admitted_bytes: 0,
                            delivered_bytes: 0,
                            ..l.clone()
                        });
                        b.bandwidth_mbps = l.bandwidth_mbps;
                        if link_rank(&l.link_type) > link_rank(&b.link_type) {
                            b.link_type = l.link_type.clone(); // §3.7 rule 4
                        }
                        let (o, a, d) = capped(
                            (b.offered_bytes, b.admitted_bytes, b.delivered_bytes),
                            carried,
                            l.bandwidth_mbps,
                            secs,
                        );
                        let before = b.delivered_bytes;
                        (b.offered_bytes, b.admitted_bytes, b.delivered_bytes) = (o, a, d);
                        d - before
                    }
                };
            }
            delivered_total = delivered_total.saturating_add(carried);
            hours.push((hour, bytes, carried));
        }
        flow.delivered_bytes = delivered_total;
        for c in crossings {
            match c {
                Crossing::Peering {
                    peering_id,
                    from_vpc,
                    ..
                } if flow.peering_id.is_none() => {
                    flow.peering_id = Some(peering_id);
                    flow.from_vpc_id = Some(from_vpc);
                }
                Crossing::Peering { .. } => {}
                Crossing::Link(l) => flow.links.push(l.link_id),
            }
        }
        self.flows.flows.push(flow.clone());
        Ok(FlowOutcome { flow, hours })
    }
}

/// Rank of a link type (`Platinum` > `Gold` > none).
pub(crate) fn link_rank(link_type: &str) -> u8 {
    match link_type {
        "Platinum" => 2,
        "Gold" => 1,
        _ => 0,
    }
}

/// A bucket's (offered, admitted, delivered) after `bytes` more were offered in `secs`
/// seconds over a link of `bandwidth` Mbit/s (`< 0`: unlimited): the flow is first limited
/// to the bandwidth over its seconds, then the bucket to bandwidth × 3600 s.
fn capped(
    (offered, admitted, _): (u64, u64, u64),
    bytes: u64,
    bandwidth: i64,
    secs: i64,
) -> (u64, u64, u64) {
    let rate = (bandwidth >= 0).then(|| (bandwidth as u64).saturating_mul(BYTES_PER_MBIT_SECOND));
    let mine = rate.map_or(bytes, |r| bytes.min(r.saturating_mul(secs as u64)));
    let admitted = admitted.saturating_add(mine);
    let delivered = rate.map_or(admitted, |r| admitted.min(r.saturating_mul(HOUR as u64)));
    (offered.saturating_add(bytes), admitted, delivered)
}

/// A metered link on a flow's forward path.
enum Crossing {
    /// A VPC peering, with the VPC router that handed the packet to it.
    Peering {
        peering_id: String,
        from_vpc: String,
        payer: String,
        bandwidth: i64,
    },
    /// A CEN inter-region connection or a cross-region PrivateLink endpoint (the bucket
    /// template: counters zero).
    Link(LinkBucket),
}

/// The metered links of `forward`, in path order:
///
/// * a `PCC` hop: the peering; the sending VPC is the last VPC router before it; its owner
///   pays (§3.7 rule 2); inter-region peerings are capped by their bandwidth.
/// * a `TR` hop whose matched route leaves by a peer attachment: a CEN inter-region
///   connection. Alibaba bills the egress inter-region traffic of each transit router, through
///   CDT for pay-by-data-transfer (`DataTransfer`) connections [CEN billing]; the CEN owner
///   pays (**ASSUMED**: the attachment's owner, the CEN's account); `Bandwidth` caps it per
///   direction (the throttle of `DataTransfer`, the allocated share of `BandwidthPackage`,
///   §6.3.3); the attachment's `DefaultLinkType` is the link type. Bandwidth-plan traffic is
///   metered (capped, in CloudMonitor terms) but not billed by CDT.
/// * an `EP` hop followed by an `EPSRV` hop of another region: cross-region PrivateLink,
///   billed by CDT (§4.6), capped by `CrossRegionBandwidth`; link type `Gold` (CDT: products
///   other than CEN have only the Gold level); the account the endpoint's `Payer` names pays
///   (**ASSUMED**: `Endpoint` → the endpoint's owner, `EndpointService` → the service's).
fn crossings(w: &World, forward: &[crate::cloud::reach::Hop]) -> Vec<Crossing> {
    let mut out = Vec::new();
    for (i, hop) in forward.iter().enumerate() {
        match hop.node_type {
            NodeType::Pcc => {
                let Some(from_vpc) = forward[..i]
                    .iter()
                    .rev()
                    .find(|h| h.node_type == NodeType::Vrt)
                    .map(|h| h.node_id.clone())
                else {
                    continue;
                };
                let bandwidth = w.peerings.get(&hop.node_id).map_or(-1, |p| {
                    if p.is_inter_region() {
                        p.bandwidth
                    } else {
                        -1
                    }
                });
                let payer = w
                    .vpcs
                    .get(&from_vpc)
                    .map(|v| v.owner_uid.clone())
                    .unwrap_or_default();
                out.push(Crossing::Peering {
                    peering_id: hop.node_id.clone(),
                    from_vpc,
                    payer,
                    bandwidth,
                });
            }
            NodeType::Tr => {
                let Some(route) = &hop.matched_route else {
                    continue;
                };
                let Some(a) = w.cen.attachments.get(&route.next_hop_id) else {
                    continue;
                };
                let crate::cloud::cen::AttachKind::Peer {
                    peer_transit_router_id,
                    peer_region_id,
                    bandwidth_type,
                    bandwidth,
                    link_type,
                    ..
                } = &a.kind
                else {
                    continue;
                };
                let dest = if a.transit_router_id == hop.node_id {
                    peer_region_id.clone()
                } else if *peer_transit_router_id == hop.node_id {
                    a.region_id.clone()
                } else {
                    continue;
                };
                out.push(Crossing::Link(LinkBucket {
                    service: Service::Cen,
                    link_id: a.attachment_id.clone(),
                    sender_id: hop.node_id.clone(),
                    payer_uid: a.owner_uid.clone(),
                    hour: Timestamp::MIN,
                    source_region: hop.region.clone(),
                    dest_region: dest,
                    link_type: link_type.clone(),
                    offered_bytes: 0,
                    admitted_bytes: 0,
                    delivered_bytes: 0,
                    bandwidth_mbps: *bandwidth,
                    cdt: bandwidth_type != "BandwidthPackage",
                }));
            }
            NodeType::Ep => {
                let Some(next) = forward.get(i + 1) else {
                    continue;
                };
                if next.node_type != NodeType::EpSrv || next.region == hop.region {
                    continue;
                }
                let Some(ep) = w.privatelink.endpoints.get(&hop.node_id) else {
                    continue;
                };
                let payer = if ep.payer == "EndpointService" {
                    w.privatelink
                        .services
                        .get(&ep.service_id)
                        .map_or(ep.owner_uid.clone(), |s| s.owner_uid.clone())
                } else {
                    ep.owner_uid.clone()
                };
                out.push(Crossing::Link(LinkBucket {
                    service: Service::Privatelink,
                    link_id: ep.endpoint_id.clone(),
                    sender_id: ep.vpc_id.clone(),
                    payer_uid: payer,
                    hour: Timestamp::MIN,
                    source_region: hop.region.clone(),
                    dest_region: next.region.clone(),
                    link_type: "Gold".into(),
                    offered_bytes: 0,
                    admitted_bytes: 0,
                    delivered_bytes: 0,
                    bandwidth_mbps: ep.cross_region_bandwidth.map_or(-1, i64::from),
                    cdt: true,
                }));
            }
            _ => {}
        }
    }
    out
}
