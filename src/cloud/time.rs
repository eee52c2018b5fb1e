//! The scenario clock's time type (§0.4.8): UTC seconds, printed `YYYY-MM-DDThh:mm:ssZ`.
//!
//! The wall clock is never read: every time value comes from the world spec,
//! the test driver or the gateway's `CallContext`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::Cell;
use std::fmt;

/// One hour in seconds (billing cycle, §3.7).
pub const HOUR: i64 = 3600;
/// One day in seconds.
pub const DAY: i64 = 86_400;

/// A UTC instant with one-second resolution, stored as Unix epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The earliest time the scenario clock and state files hold: `0000-01-01T00:00:00Z`.
    pub const MIN: Timestamp = Timestamp(-62_167_219_200);
    /// The latest time the scenario clock and state files hold: `9999-12-31T23:59:59Z`, the
    /// last instant with a four-digit year, which is all `YYYY-MM-DDThh:mm:ssZ` can write.
    pub const MAX: Timestamp = Timestamp(253_402_300_799);

    /// Builds a timestamp from epoch seconds.
    pub fn from_epoch(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// Epoch seconds.
    pub fn epoch(self) -> i64 {
        self.0
    }

    /// True between [`Timestamp::MIN`] and [`Timestamp::MAX`], the instants a state file
    /// can hold.
    pub fn in_range(self) -> bool {
        (Self::MIN.0..=Self::MAX.0).contains(&self.0)
    }

    /// This instant plus `secs` seconds, saturating at [`Timestamp::MIN`] and
    /// [`Timestamp::MAX`], so derived times (expiry, settling, billing hours) always stay
    /// writable.
    pub fn plus(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs).clamp(Self::MIN.0, Self::MAX.0))
    }

    /// This instant plus `secs` seconds, or `None` past [`Timestamp::MAX`] (or before
    /// [`Timestamp::MIN`]): what the clock uses, so it is never moved beyond what a state
    /// file can hold.
    pub fn checked_plus(self, secs: i64) -> Option<Self> {
        self.0
            .checked_add(secs)
            .map(Timestamp)
            .filter(|t| t.in_range())
    }

    /// Start of the hour containing this instant (billing cycle, §3.7 rule 4).
    pub fn hour_floor(self) -> Self {
        Timestamp(self.0.div_euclid(HOUR) * HOUR)
    }

    /// Parses `YYYY-MM-DDThh:mm:ssZ` (the only format Alibaba emits, §0.4.8).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 20
            || b.get(4) != Some(&b'-')
            || b.get(7) != Some(&b'-')
            || b.get(10) != Some(&b'T')
            || b.get(13) != Some(&b':')
            || b.get(16) != Some(&b':')
            || b.get(19) != Some(&b'Z')
        {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<i64> {
            let part = s.get(from..to)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (h, mi, se) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        if !(1..=12).contains(&mo)
            || d < 1
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || se > 59
        {
            return None;
        }
        Some(Timestamp(
            days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + se,
        ))
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days-from-civil algorithm (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Timestamp {
    /// `YYYY-MM-DDThh:mm:ssZ` written into `buf` without allocating (years 0–9999; `None`
    /// outside, where [`fmt::Display`] falls back to general formatting). Timestamps are
    /// formatted several times per API call (context, audit event, responses).
    fn format_fixed(self, buf: &mut [u8; 20]) -> Option<&str> {
        // One call formats the same (scenario clock) time several times: the last text is
        // kept per thread. `i64::MIN` is never formatted (it is outside the fixed range).
        thread_local! {
            static LAST: Cell<(i64, [u8; 20])> = const { Cell::new((i64::MIN, [0; 20])) };
        }
        let (last, text) = LAST.get();
        if last == self.0 {
            *buf = text;
            return std::str::from_utf8(buf).ok();
        }
        let days = self.0.div_euclid(DAY);
        let secs = self.0.rem_euclid(DAY);
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let put2 = |b: &mut [u8; 20], at: usize, v: i64| {
            b[at] = b'0' + (v / 10 % 10) as u8;
            b[at + 1] = b'0' + (v % 10) as u8;
        };
        put2(buf, 0, y / 100);
        put2(buf, 2, y % 100);
        buf[4] = b'-';
        put2(buf, 5, m);
        buf[7] = b'-';
        put2(buf, 8, d);
        buf[10] = b'T';
        put2(buf, 11, secs / 3600);
        buf[13] = b':';
        put2(buf, 14, (secs % 3600) / 60);
        buf[16] = b':';
        put2(buf, 17, secs % 60);
        buf[19] = b'Z';
        LAST.set((self.0, *buf));
        std::str::from_utf8(buf).ok()
    }

    /// The [`fmt::Display`] text as an owned string, formatted without the `fmt` machinery
    /// (what `to_string` would go through): a call formats its time several times.
    pub fn text(self) -> String {
        let mut buf = [0u8; 20];
        match self.format_fixed(&mut buf) {
            Some(s) => s.to_owned(),
            None => self.to_string(),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 20];
        if let Some(s) = self.format_fixed(&mut buf) {
            return f.write_str(s);
        }
        let days = self.0.div_euclid(DAY);
        let secs = self.0.rem_euclid(DAY);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            (secs % 3600) / 60,
            secs % 60
        )
    }
}

impl Serialize for Timestamp {
    /// `YYYY-MM-DDThh:mm:ssZ` in human-readable formats (JSON); epoch seconds in binary ones
    /// (the state snapshot), which then decode without parsing text. A time outside
    /// [`Timestamp::MIN`]..=[`Timestamp::MAX`] is an error either way, so a state file is never
    /// written with a time it could not read back.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let in_range = (Timestamp::MIN.0..=Timestamp::MAX.0).contains(&self.0);
        if in_range && !s.is_human_readable() {
            // A range check, not formatting text that is then thrown away.
            return s.serialize_i64(self.0);
        }
        let mut buf = [0u8; 20];
        match self.format_fixed(&mut buf) {
            Some(text) => s.serialize_str(text),
            None => Err(serde::ser::Error::custom(format!(
                "time {self} is outside {}..={}, the range a state file holds",
                Timestamp::MIN,
                Timestamp::MAX
            ))),
        }
    }
}

/// Reads a timestamp as text, or, when `.0` (binary formats), as epoch seconds; format-1
/// snapshots hold text even though they are binary.
struct TimestampVisitor(bool);

impl serde::de::Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
        Timestamp::parse(s).ok_or_else(|| {
            E::custom(format!(
                "invalid timestamp {s:?}, expected YYYY-MM-DDThh:mm:ssZ"
            ))
        })
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
        if !self.0 {
            return Err(E::invalid_type(serde::de::Unexpected::Signed(v), &self));
        }
        if (Timestamp::MIN.0..=Timestamp::MAX.0).contains(&v) {
            Ok(Timestamp(v))
        } else {
            Err(E::custom(format!(
                "time {v} (epoch seconds) is outside the range a state file holds"
            )))
        }
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
        if !self.0 {
            return Err(E::invalid_type(serde::de::Unexpected::Unsigned(v), &self));
        }
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            d.deserialize_str(TimestampVisitor(false))
        } else {
            // Self-describing: format-1 snapshots (MessagePack) hold the text.
            d.deserialize_any(TimestampVisitor(true))
        }
    }
}

/// Parses a scenario-clock duration: `90s` / `15m` / `12h` / `7d` (or plain seconds), as
/// `ramsim clock --advance` and scenario `advance` steps write it.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let (num, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 's'),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("invalid duration `{s}` (examples: 90s, 15m, 12h, 7d)"))?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("invalid duration unit in `{s}` (use s, m, h or d)")),
    };
    n.checked_mul(factor)
        .filter(|v| *v >= 0)
        .ok_or_else(|| format!("duration `{s}` out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_formats_hold_epoch_seconds_and_json_holds_text_only() {
        let t = Timestamp::parse("2025-03-04T05:06:07Z").unwrap();
        let bin = crate::store::codec::to_vec(&t).unwrap();
        assert!(
            !String::from_utf8_lossy(&bin).contains("2025"),
            "no text in the snapshot"
        );
        let back: Timestamp = crate::store::codec::from_slice(&bin, 4).unwrap();
        assert_eq!(back, t);
        // A format-1 snapshot (MessagePack, binary) holds the text.
        let text = rmp_serde::to_vec("2025-03-04T05:06:07Z").unwrap();
        assert_eq!(rmp_serde::from_slice::<Timestamp>(&text).unwrap(), t);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2025-03-04T05:06:07Z\""
        );
        let e = serde_json::from_str::<Timestamp>("1741064767").unwrap_err();
        assert!(e.to_string().contains("expected a string"), "{e}");
        let far = crate::store::codec::to_vec(&(Timestamp::MAX.0 + 1)).unwrap();
        assert!(crate::store::codec::from_slice::<Timestamp>(&far, 4).is_err());
        assert!(crate::store::codec::to_vec(&Timestamp(Timestamp::MAX.0 + 1)).is_err());
    }

    #[test]
    fn round_trip() {
        for s in [
            "2025-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2022-05-01T09:02:36Z",
        ] {
            assert_eq!(Timestamp::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Timestamp::parse("2025-01-01T00:00:00Z").unwrap().0,
            1_735_689_600
        );
        assert!(Timestamp::parse("2025-02-29T00:00:00Z").is_none());
        assert!(Timestamp::parse("2025-01-01 00:00:00").is_none());
    }

    #[test]
    fn seven_days_matches_metadata_example() {
        // §3.2 T2: 2022-04-24T09:02:36Z + 7 d = 2022-05-01T09:02:36Z
        let t = Timestamp::parse("2022-04-24T09:02:36Z").unwrap();
        assert_eq!(t.plus(7 * DAY).to_string(), "2022-05-01T09:02:36Z");
    }
}

#[cfg(test)]
mod range_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds_are_the_four_digit_years() {
        assert_eq!(Timestamp::MIN.to_string(), "0000-01-01T00:00:00Z");
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(
            Timestamp::parse("9999-12-31T23:59:59Z"),
            Some(Timestamp::MAX)
        );
        assert_eq!(
            Timestamp::parse("0000-01-01T00:00:00Z"),
            Some(Timestamp::MIN)
        );
        assert_eq!(Timestamp::MAX.checked_plus(1), None);
        assert_eq!(Timestamp::MAX.checked_plus(0), Some(Timestamp::MAX));
        assert_eq!(Timestamp::MIN.checked_plus(-1), None);
        assert_eq!(Timestamp::MAX.plus(i64::MAX), Timestamp::MAX);
        assert_eq!(Timestamp::MIN.plus(i64::MIN), Timestamp::MIN);
        let err = serde_json::to_string(&Timestamp(Timestamp::MAX.0 + 1)).unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
        assert!(serde_json::to_string(&Timestamp(i64::MAX)).is_err());
    }

    proptest! {
        /// Every time in the range serializes to text that reads back as the same time, and
        /// nothing outside it serializes.
        #[test]
        fn serialize_then_parse_is_identity(secs in any::<i64>()) {
            let t = Timestamp(secs);
            match serde_json::to_string(&t) {
                Ok(text) => {
                    prop_assert!(t.in_range());
                    prop_assert_eq!(serde_json::from_str::<Timestamp>(&text).unwrap(), t);
                }
                Err(_) => prop_assert!(!t.in_range()),
            }
        }

        #[test]
        fn in_range_times_round_trip(secs in Timestamp::MIN.0..=Timestamp::MAX.0) {
            let t = Timestamp(secs);
            let text = serde_json::to_string(&t).unwrap();
            prop_assert_eq!(serde_json::from_str::<Timestamp>(&text).unwrap(), t);
        }

        /// `text` is the policy language's date text of the same second (RAM and STS responses
        /// write dates with it), in the fixed range and outside.
        #[test]
        fn text_is_the_policy_date_text(secs in -400_000_000_000i64..400_000_000_000) {
            prop_assert_eq!(
                Timestamp(secs).text(),
                crate::policy::values::format_date(i128::from(secs) * 1_000_000_000)
            );
        }

        /// Derived times never leave the range, whatever the offset.
        #[test]
        fn plus_stays_in_range(secs in Timestamp::MIN.0..=Timestamp::MAX.0, by in any::<i64>()) {
            let t = Timestamp(secs);
            prop_assert!(t.plus(by).in_range());
            match t.checked_plus(by) {
                Some(u) => prop_assert_eq!(u, t.plus(by)),
                None => prop_assert!(secs.checked_add(by).is_none_or(|v| !Timestamp(v).in_range())),
            }
        }
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;

    /// The allocation-free formatter agrees with the general one everywhere it applies.
    #[test]
    fn fixed_format_matches_general_format() {
        let general = |t: Timestamp| {
            let days = t.0.div_euclid(DAY);
            let secs = t.0.rem_euclid(DAY);
            let (y, m, d) = civil_from_days(days);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                secs / 3600,
                (secs % 3600) / 60,
                secs % 60
            )
        };
        let mut t = -62_167_219_200i64; // 0000-01-01T00:00:00Z
        while t < 253_402_300_800 {
            let ts = Timestamp(t);
            assert_eq!(ts.to_string(), general(ts));
            assert_eq!(Timestamp::parse(&ts.to_string()), Some(ts));
            t += 7_777_777; // ~90 days and some hours/minutes/seconds
        }
        let far = Timestamp(300_000_000_000);
        assert_eq!(far.to_string(), general(far));
        assert_eq!(
            serde_json::to_string(&Timestamp(0)).unwrap(),
            "\"1970-01-01T00:00:00Z\""
        );
    }
}
