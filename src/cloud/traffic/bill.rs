//! CDT bills for peering traffic (`network-model.md` §3.7, issue 17): per account, per hour,
//! per (source region, destination region) pair and link type.
//!
//! * Intra-region peerings are free (rule 1): their traffic never appears on a bill.
//! * The owner of the sending VPC pays for what it sends (rule 2); dropped bytes are not
//!   billed (**ASSUMED**: CDT meters what crossed the link).
//! * The unit price depends on the pair and the link type (rule 3): the world's `prices`
//!   table (symmetric), else `fallback_prices` (**ASSUMED**, see
//!   [`crate::cloud::options::FallbackPrices`]). Each line says where its price came from.
//! * When the link type changed within an hour, the whole hour is billed at the higher
//!   type (rule 4).
//!
//! * CEN inter-region connections billed by data transfer and cross-region PrivateLink
//!   endpoints are billed the same way from their own buckets ([`super::LinkBucket`]), which
//!   carry payer, region pair and link type; CEN connections whose bandwidth comes from a
//!   prepaid bandwidth plan are not billed by CDT.
//!
//! Fees are exact: bytes × micro-CNY per GB is an integer number of 10^-15 CNY
//! ([`BillLine::fee_units`]); only the rendering rounds to fen. Buckets written by
//! [`crate::cloud::World::send_flow`] and the legacy whole-GB records of
//! `World::record_traffic` are both billed.

use super::BYTES_PER_GB;
use crate::cloud::options::{CloudOptions, PriceEntry};
use crate::cloud::region;
use crate::cloud::time::{Timestamp, HOUR};
use crate::cloud::vpcpeer::Peering;
use crate::cloud::World;
use serde::Serialize;
use std::collections::HashMap;

/// Fee units per CNY (fees are integers of 10^-15 CNY).
pub const UNITS_PER_CNY: u128 = 1_000_000_000_000_000;

/// Where a unit price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PriceSource {
    /// The price the seed documents (Hohhot–Guangzhou Gold, 0.48 CNY/GB).
    Documented,
    /// A built-in **ASSUMED** price (the BILL-2 Platinum fixture, or a fallback).
    Assumed,
    /// A price the world file set.
    World,
}

impl PriceSource {
    /// `documented`, `assumed`, `world`.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceSource::Documented => "documented",
            PriceSource::Assumed => "assumed",
            PriceSource::World => "world",
        }
    }
}

/// One line of a bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillLine {
    /// Account charged.
    pub account: String,
    /// Start of the billing hour.
    pub hour: Timestamp,
    /// Region of the sending VPC.
    pub source_region: String,
    /// Region of the receiving VPC.
    pub dest_region: String,
    /// Link type billed (the highest in effect during the hour).
    pub link_type: String,
    /// Bytes sent.
    pub bytes: u128,
    /// Unit price, micro-CNY per GB.
    pub micro_cny_per_gb: u64,
    /// Where the price came from.
    pub price_source: PriceSource,
    /// Fee in 10^-15 CNY (bytes × micro-CNY per GB).
    pub fee_units: u128,
}

/// Which lines a bill keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillQuery {
    /// Only this account.
    pub account: Option<String>,
    /// Hours starting at or after this time.
    pub from: Option<Timestamp>,
    /// Hours starting before this time.
    pub to: Option<Timestamp>,
}

impl BillQuery {
    fn keeps_account(&self, account: &str) -> bool {
        self.account.as_deref().is_none_or(|a| a == account)
    }

    fn keeps_hour(&self, hour: Timestamp) -> bool {
        self.from.is_none_or(|f| hour >= f.hour_floor()) && self.to.is_none_or(|t| hour < t)
    }
}

/// Link types by rank (index = [`rank`]).
const LINK_TYPES: [&str; 3] = ["", "Gold", "Platinum"];

/// Bytes of one hour at one link-type rank ([`rank`]).
type Sum = (Timestamp, u8, u128);

/// A group's (payer, source region, destination region) and its sums.
type Group<'w> = ((&'w str, &'w str, &'w str), Vec<Sum>);

/// A bill line's place: payer rank, hour, region-pair rank, link-type rank, then its group and
/// its index in the group's sums.
type LineKey = (usize, Timestamp, usize, u8, usize, usize);

/// Bytes per (payer, source region, destination region) group, hour and link type.
///
/// A group's sums are a vector sorted by (hour, rank): a run of a peering (sorted by hour)
/// is merged into it in one sequential pass — when the run covers the same hours as the
/// group so far, as a month of traffic does, an in-place addition. Pieces that come one at a
/// time (whole-GB records, CEN and PrivateLink buckets) wait in `loose` and are sorted and
/// merged once at the end.
#[derive(Default)]
struct Accumulator<'w> {
    /// Group ids by key, and keys by id.
    ids: HashMap<(&'w str, &'w str, &'w str), u32>,
    keys: Vec<(&'w str, &'w str, &'w str)>,
    /// Per group: sums sorted by (hour, rank), one per (hour, rank).
    sums: Vec<Vec<Sum>>,
    /// Per group: sums not merged yet, in any order.
    loose: Vec<Vec<Sum>>,
    /// Scratch: the run being merged, and the merge's output.
    run: Vec<Sum>,
    scratch: Vec<Sum>,
}

impl<'w> Accumulator<'w> {
    /// The group of traffic over `peering_id` sent by `from_vpc` (paid by `payer`), with the
    /// peering; `None` when it is not billed (intra-region) or the query leaves it out.
    fn group(
        &mut self,
        w: &'w World,
        query: &BillQuery,
        peering_id: &str,
        from_vpc: &str,
        payer: &'w str,
    ) -> Result<Option<(u32, &'w Peering)>, String> {
        if !query.keeps_account(payer) {
            return Ok(None);
        }
        let p = w
            .peering_any(peering_id)
            .ok_or_else(|| format!("traffic over `{peering_id}`, which the state does not hold"))?;
        if !p.is_inter_region() {
            return Ok(None); // §3.7 rule 1
        }
        let (src, dst) = peering_pair(p, from_vpc);
        Ok(Some((self.id_of(payer, src, dst), p)))
    }

    /// The group id of (payer, source region, destination region).
    fn id_of(&mut self, payer: &'w str, src: &'w str, dst: &'w str) -> u32 {
        let next = self.keys.len() as u32;
        let id = *self.ids.entry((payer, src, dst)).or_insert(next);
        if id == next {
            self.keys.push((payer, src, dst));
            self.sums.push(Vec::new());
            self.loose.push(Vec::new());
        }
        id
    }

    /// One piece of traffic.
    fn add(&mut self, group: u32, hour: Timestamp, link_type: &str, bytes: u128) {
        self.loose[group as usize].push((hour, rank(link_type), bytes));
    }

    /// A run's sums, sorted by hour, one per hour.
    fn add_run(&mut self, group: u32, run: impl Iterator<Item = Sum>) {
        self.run.clear();
        self.run.extend(run);
        merge(
            &mut self.sums[group as usize],
            &mut self.run,
            &mut self.scratch,
        );
    }

    /// Every group's sums, loose pieces merged: (payer, source, destination) and the sums.
    fn finish(mut self) -> impl Iterator<Item = Group<'w>> {
        for (g, loose) in self.loose.iter_mut().enumerate() {
            if loose.is_empty() {
                continue;
            }
            loose.sort_unstable_by_key(|&(h, r, _)| (h, r));
            let mut run: Vec<Sum> = Vec::with_capacity(loose.len());
            for &(h, r, b) in loose.iter() {
                match run.last_mut() {
                    Some(last) if (last.0, last.1) == (h, r) => last.2 += b,
                    _ => run.push((h, r, b)),
                }
            }
            merge(&mut self.sums[g], &mut run, &mut self.scratch);
        }
        self.keys.into_iter().zip(self.sums)
    }
}

/// Adds `run` (sorted by (hour, rank), one entry per key) into `into` (the same); `run` is
/// left in an unspecified state, `scratch` is the merge's buffer.
fn merge(into: &mut Vec<Sum>, run: &mut Vec<Sum>, scratch: &mut Vec<Sum>) {
    if run.is_empty() {
        return;
    }
    if into.is_empty() {
        std::mem::swap(into, run);
        return;
    }
    let same_keys = into.len() == run.len()
        && into
            .iter()
            .zip(run.iter())
            .all(|(a, b)| (a.0, a.1) == (b.0, b.1));
    if same_keys {
        for (a, b) in into.iter_mut().zip(run.iter()) {
            a.2 += b.2;
        }
        return;
    }
    scratch.clear();
    scratch.reserve(into.len() + run.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(a), Some(b)) = (into.get(i), run.get(j)) {
        match (a.0, a.1).cmp(&(b.0, b.1)) {
            std::cmp::Ordering::Less => {
                scratch.push(*a);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                scratch.push(*b);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                scratch.push((a.0, a.1, a.2 + b.2));
                i += 1;
                j += 1;
            }
        }
    }
    scratch.extend_from_slice(into.get(i..).unwrap_or(&[]));
    scratch.extend_from_slice(run.get(j..).unwrap_or(&[]));
    std::mem::swap(into, scratch);
}

/// A bill: lines sorted by account, hour, source region, destination region, link type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Bill {
    /// The lines.
    pub lines: Vec<BillLine>,
}

impl Bill {
    /// Total of the lines, in 10^-15 CNY.
    pub fn total_units(&self) -> u128 {
        self.lines.iter().map(|l| l.fee_units).sum()
    }

    /// Total per account, in account order.
    pub fn per_account(&self) -> Vec<(String, u128)> {
        let mut out: Vec<(String, u128)> = Vec::new();
        for l in &self.lines {
            match out.last_mut() {
                Some((a, t)) if *a == l.account => *t += l.fee_units,
                _ => out.push((l.account.clone(), l.fee_units)),
            }
        }
        out
    }
}

/// `units` (10^-15 CNY) in CNY with two decimals, rounded half up: `96.00`.
pub fn cny(units: u128) -> String {
    let fen = (units + UNITS_PER_CNY / 200) / (UNITS_PER_CNY / 100);
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Micro-CNY per GB as CNY per GB: `0.48`, `0.6`, `1.2345`.
pub fn unit_price(micro: u64) -> String {
    let text = format!("{}.{:06}", micro / 1_000_000, micro % 1_000_000);
    let text = text.trim_end_matches('0');
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.contains('.') {
        text.to_string()
    } else {
        format!("{text}.00")
    }
}

/// The price of `link_type` traffic between regions `a` and `b` (symmetric).
pub fn price(options: &CloudOptions, a: &str, b: &str, link_type: &str) -> (u64, PriceSource) {
    let same = |e: &PriceEntry| {
        e.link_type == link_type
            && ((e.region_a == a && e.region_b == b) || (e.region_a == b && e.region_b == a))
    };
    if let Some(e) = options.prices.iter().find(|e| same(e)) {
        let defaults = CloudOptions::default().prices;
        let source = match defaults.iter().position(|d| d == e) {
            Some(0) => PriceSource::Documented,
            Some(_) => PriceSource::Assumed,
            None => PriceSource::World,
        };
        return (e.micro_cny_per_gb, source);
    }
    let cross_border = match (region::region(a), region::region(b)) {
        (Some(x), Some(y)) => region::is_cross_border(x, y),
        _ => false,
    };
    let f = &options.fallback_prices;
    let micro = match (cross_border, link_type) {
        (false, "Platinum") => f.platinum,
        (false, _) => f.gold,
        (true, "Platinum") => f.cross_border_platinum,
        (true, _) => f.cross_border_gold,
    };
    let source = if f.is_default() {
        PriceSource::Assumed
    } else {
        PriceSource::World
    };
    (micro, source)
}

/// The highest link type in effect during `[start, start + 1 h)`, borrowed from the peering
/// (what [`Peering::max_link_type_during`] computes, without allocating per bucket).
fn hour_link_type(p: &Peering, start: Timestamp) -> &str {
    let h = &p.link_type_history;
    if h.len() <= 1 {
        return h
            .first()
            .map_or(p.link_type.as_str(), |(_, lt)| lt.as_str());
    }
    let end = start.plus(HOUR);
    let mut best: Option<&str> = None;
    for (i, (since, lt)) in h.iter().enumerate() {
        let until = h.get(i + 1).map_or(Timestamp::MAX, |(t, _)| *t);
        if *since < end && until > start {
            best = match best {
                Some(b) if rank(b) >= rank(lt) => Some(b),
                _ => Some(lt.as_str()),
            };
        }
    }
    best.unwrap_or(p.link_type.as_str())
}

fn rank(link_type: &str) -> u8 {
    super::link_rank(link_type)
}

/// (source region, destination region) of traffic `from_vpc` sends over `p`.
fn peering_pair<'p>(p: &'p Peering, from_vpc: &str) -> (&'p str, &'p str) {
    if from_vpc == p.vpc_id {
        (p.region_id.as_str(), p.accepting_region_id.as_str())
    } else {
        (p.accepting_region_id.as_str(), p.region_id.as_str())
    }
}

/// What a [`Charge`] was read from.
#[derive(Debug, Clone, Copy)]
pub enum ChargeRef<'w> {
    /// A peering bucket.
    Peering(&'w super::Bucket),
    /// A CEN or PrivateLink bucket.
    Link(&'w super::LinkBucket),
    /// A whole-GB record of `World::record_traffic`.
    Record(&'w crate::cloud::vpcpeer::billing::TrafficRecord),
}

/// One CDT charge: the billed traffic of one link, sender and hour. A [`BillLine`] is the sum
/// of the charges with its account, hour, region pair and link type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge<'w> {
    /// `vpcpeer`, `cen` or `privatelink`.
    pub service: &'static str,
    /// Peering, peer attachment or endpoint id.
    pub link_id: &'w str,
    /// Sending VPC (peering, PrivateLink) or transit router (CEN).
    pub sender_id: &'w str,
    /// Account charged.
    pub account: &'w str,
    /// Start of the billing hour.
    pub hour: Timestamp,
    /// Region the traffic leaves.
    pub source_region: &'w str,
    /// Region it enters.
    pub dest_region: &'w str,
    /// Link type billed.
    pub link_type: &'w str,
    /// Bytes billed.
    pub bytes: u128,
    /// Unit price, micro-CNY per GB.
    pub micro_cny_per_gb: u64,
}

impl Charge<'_> {
    /// Fee in 10^-15 CNY.
    pub fn fee_units(&self) -> u128 {
        self.bytes * u128::from(self.micro_cny_per_gb)
    }

    /// The region pair crosses the mainland border (cross-border CDT).
    pub fn cross_border(&self) -> bool {
        match (
            region::region(self.source_region),
            region::region(self.dest_region),
        ) {
            (Some(a), Some(b)) => region::is_cross_border(a, b),
            _ => false,
        }
    }
}

impl World {
    /// What `r` charges, `None` when it is not billed (intra-region, nothing delivered, a
    /// bandwidth-plan CEN connection, or a peering the state does not hold).
    pub fn charge<'w>(&'w self, r: ChargeRef<'w>) -> Option<Charge<'w>> {
        let (service, link_id, sender_id, account, hour, src, dst, link_type, bytes) = match r {
            ChargeRef::Peering(b) => {
                let p = self.peering_any(&b.peering_id)?;
                if !p.is_inter_region() || b.delivered_bytes == 0 {
                    return None;
                }
                let (src, dst) = peering_pair(p, &b.from_vpc_id);
                (
                    "vpcpeer",
                    b.peering_id.as_str(),
                    b.from_vpc_id.as_str(),
                    b.payer_uid.as_str(),
                    b.hour,
                    src,
                    dst,
                    hour_link_type(p, b.hour),
                    u128::from(b.delivered_bytes),
                )
            }
            ChargeRef::Link(b) => {
                if !b.cdt || b.delivered_bytes == 0 {
                    return None;
                }
                (
                    b.service.as_str(),
                    b.link_id.as_str(),
                    b.sender_id.as_str(),
                    b.payer_uid.as_str(),
                    b.hour,
                    b.source_region.as_str(),
                    b.dest_region.as_str(),
                    b.link_type.as_str(),
                    u128::from(b.delivered_bytes),
                )
            }
            ChargeRef::Record(t) => {
                let p = self.peering_any(&t.peering_id)?;
                if !p.is_inter_region() || t.gigabytes == 0 {
                    return None;
                }
                let (src, dst) = peering_pair(p, &t.from_vpc_id);
                (
                    "vpcpeer",
                    t.peering_id.as_str(),
                    t.from_vpc_id.as_str(),
                    t.payer_uid.as_str(),
                    t.hour_start,
                    src,
                    dst,
                    hour_link_type(p, t.hour_start),
                    u128::from(t.gigabytes) * u128::from(BYTES_PER_GB),
                )
            }
        };
        let (micro, _) = price(&self.options, src, dst, link_type);
        Some(Charge {
            service,
            link_id,
            sender_id,
            account,
            hour,
            source_region: src,
            dest_region: dst,
            link_type,
            bytes,
            micro_cny_per_gb: micro,
        })
    }

    /// Every billed piece of traffic, as [`ChargeRef`]s: peering buckets, CEN and PrivateLink
    /// buckets, then whole-GB records (each one [`World::charge`] bills).
    pub fn charge_refs(&self) -> Vec<ChargeRef<'_>> {
        let t = &self.flows;
        t.buckets
            .values()
            .map(ChargeRef::Peering)
            .chain(t.links.values().map(ChargeRef::Link))
            .chain(self.traffic.iter().map(ChargeRef::Record))
            .filter(|r| self.charge(*r).is_some())
            .collect()
    }

    /// A peering, live or deleted (traffic sent before a deletion is still billed).
    pub fn peering_any(&self, id: &str) -> Option<&Peering> {
        self.peerings
            .get(id)
            .or_else(|| self.archived_peerings.get(id))
    }

    /// The CDT bill for the recorded traffic `query` keeps. `Err` names a bucket whose
    /// peering the state does not hold (a hand-edited state).
    pub fn bill(&self, query: &BillQuery) -> Result<Bill, String> {
        let mut acc = Accumulator::default();
        // One run per peering and sending VPC (sorted by hour): the peering, the payer and the
        // region pair are looked up once per run, a run the query leaves out is skipped whole,
        // the query's hours are found by binary search, and the run is merged into its
        // group's sums in one pass.
        let runs = self.flows.runs.get(&self.flows.buckets);
        for ((pid, vid), run) in runs {
            if let Some((g, p)) = acc.group(self, query, pid, vid, &run.payer)? {
                let hours = run.window(query.from, query.to);
                acc.add_run(
                    g,
                    hours
                        .iter()
                        .filter(|(_, d)| *d > 0)
                        .map(|&(h, d)| (h, rank(hour_link_type(p, h)), u128::from(d))),
                );
            }
        }
        for r in &self.traffic {
            let bytes = u128::from(r.gigabytes) * u128::from(BYTES_PER_GB);
            if let Some((g, p)) =
                acc.group(self, query, &r.peering_id, &r.from_vpc_id, &r.payer_uid)?
            {
                if bytes > 0 && query.keeps_hour(r.hour_start) {
                    acc.add(g, r.hour_start, hour_link_type(p, r.hour_start), bytes);
                }
            }
        }
        // CEN inter-region connections and cross-region PrivateLink: the bucket carries its
        // payer, region pair and (highest) link type.
        for b in self.flows.links.values() {
            if b.cdt
                && b.delivered_bytes > 0
                && query.keeps_account(&b.payer_uid)
                && query.keeps_hour(b.hour)
            {
                let g = acc.id_of(&b.payer_uid, &b.source_region, &b.dest_region);
                acc.add(g, b.hour, &b.link_type, b.delivered_bytes.into());
            }
        }
        // Lines in bill order (account, hour, region pair, link type): sorted as small integer
        // keys — the rank of the payer, the hour, the rank of the pair, the link type's rank —
        // then built (sorting the lines themselves moved and compared their strings).
        let groups: Vec<Group<'_>> = acc.finish().collect();
        let mut payers: Vec<&str> = groups.iter().map(|((p, _, _), _)| *p).collect();
        payers.sort_unstable();
        payers.dedup();
        let mut pairs: Vec<(&str, &str)> = groups.iter().map(|((_, s, d), _)| (*s, *d)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut order: Vec<LineKey> =
            Vec::with_capacity(groups.iter().map(|(_, sums)| sums.len()).sum());
        for (g, ((payer, src, dst), sums)) in groups.iter().enumerate() {
            let po = payers.binary_search(payer).unwrap_or(usize::MAX);
            let pr = pairs.binary_search(&(*src, *dst)).unwrap_or(usize::MAX);
            for (i, &(hour, lt, _)) in sums.iter().enumerate() {
                order.push((po, hour, pr, lt, g, i));
            }
        }
        order.sort_unstable();
        let mut prices: Vec<[Option<(u64, PriceSource)>; 3]> = vec![[None; 3]; groups.len()];
        let mut lines = Vec::with_capacity(order.len());
        for (_, _, _, lt, g, i) in order {
            let ((account, src, dst), sums) = &groups[g];
            let Some(&(hour, _, bytes)) = sums.get(i) else {
                continue;
            };
            let link_type = LINK_TYPES[usize::from(lt)];
            let (micro, source) = *prices[g][usize::from(lt)]
                .get_or_insert_with(|| price(&self.options, src, dst, link_type));
            lines.push(BillLine {
                account: account.to_string(),
                hour,
                source_region: src.to_string(),
                dest_region: dst.to_string(),
                link_type: link_type.to_string(),
                bytes,
                micro_cny_per_gb: micro,
                price_source: source,
                fee_units: bytes * u128::from(micro),
            });
        }
        Ok(Bill { lines })
    }
}
