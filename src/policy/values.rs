//! Typed condition values (§4.7, §4.8): numbers, instants, booleans and IP ranges. The same
//! parsers read policy values (once, at compile time) and request values (at decision time).

use ipnet::IpNet;
use std::net::IpAddr;

/// Parses a decimal number: `-?digits(.digits)?([eE][+-]?digits)?` (§4.8).
pub fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == int_start {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == frac {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses `true`/`false`, case-insensitively (§4.8, ASSUMED).
pub fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses an IP address or CIDR block; a bare address is a single-host network (§4.8).
pub fn parse_ip_net(s: &str) -> Option<IpNet> {
    if s.contains('/') {
        s.parse::<IpNet>().ok()
    } else {
        s.parse::<IpAddr>().ok().map(IpNet::from)
    }
}

/// Parses a request IP value (an address; a CIDR is accepted and its network address used).
pub fn parse_ip_addr(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| parse_ip_net(s).map(|n| n.addr()))
}

/// An instant as nanoseconds since the Unix epoch (UTC).
pub type Instant = i128;

fn digits(b: &[u8], from: usize, n: usize) -> Option<i64> {
    let chunk = b.get(from..from + n)?;
    chunk.iter().try_fold(0i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

const NANOS: i128 = 1_000_000_000;

/// Parses a date: ISO 8601 `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH:MM`
/// (no zone = UTC), or epoch seconds (§4.8).
pub fn parse_date(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    if !b.is_empty() && b.iter().all(u8::is_ascii_digit) && b.len() <= 12 {
        return digits(b, 0, b.len()).map(|secs| i128::from(secs) * NANOS);
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&month) {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return Some(i128::from(days) * 86_400 * NANOS);
    }
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    if b.get(13) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    let mut i = 16;
    let mut second = 0;
    let mut nanos: i128 = 0;
    if b.get(i) == Some(&b':') {
        second = digits(b, i + 1, 2)?;
        if second > 60 {
            return None;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let frac = &s[start..i];
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            nanos = frac.parse::<i128>().ok()? * 10i128.pow(9 - frac.len() as u32);
        }
    }
    let offset_secs = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            let (om, end) = if b.get(i + 3) == Some(&b':') {
                (digits(b, i + 4, 2)?, i + 6)
            } else {
                (digits(b, i + 3, 2)?, i + 5)
            };
            if end != b.len() || oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(i128::from(secs) * NANOS + nanos)
}

/// Formats an instant as `YYYY-MM-DDTHH:MM:SSZ` (sub-second digits dropped).
pub fn format_date(t: Instant) -> String {
    let secs = t.div_euclid(NANOS) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Inverse of days_from_civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-2.5e3"), Some(-2500.0));
        for bad in [
            "", "ten", "1.", ".5", "+1", "1e", "0x10", "1 ", "NaN", "inf",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_compare_as_instants() {
        let a = parse_date("2019-08-12T17:00:00+08:00").unwrap();
        let b = parse_date("2019-08-12T09:00:00Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_date("2019-08-12T08:59:59Z").unwrap() < a);
        assert_eq!(parse_date("1970-01-02"), Some(86_400 * NANOS));
        assert_eq!(parse_date("86400"), Some(86_400 * NANOS));
        assert_eq!(
            parse_date("2012-11-11T23:59:59.5Z").unwrap() % NANOS,
            500_000_000
        );
        for bad in [
            "2019-02-30",
            "2019-13-01",
            "2019-08-12T25:00:00Z",
            "yesterday",
            "2019-08-12T10:00Zx",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(format_date(b), "2019-08-12T09:00:00Z");
        assert_eq!(
            format_date(parse_date("2000-02-29T23:59:59Z").unwrap()),
            "2000-02-29T23:59:59Z"
        );
    }

    #[test]
    fn ips_and_bools() {
        assert!(parse_ip_net("172.16.215.218")
            .unwrap()
            .contains(&parse_ip_addr("172.16.215.218").unwrap()));
        assert!(parse_ip_net("2001:db8::/32")
            .unwrap()
            .contains(&parse_ip_addr("2001:db8:1::5").unwrap()));
        assert!(!parse_ip_net("10.0.0.0/8")
            .unwrap()
            .contains(&parse_ip_addr("2001:db8::1").unwrap()));
        assert_eq!(parse_ip_net("10.0.0.0/33"), None);
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("yes"), None);
    }
}
