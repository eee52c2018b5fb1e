//! Small string helpers for hot paths.

/// The parts joined, in one allocation of the exact length: what `format!("{a}{b}…")` of
/// plain strings gives, without the formatting machinery (keys, ARNs and caller names are
/// built this way thousands of times per check).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn concat_is_format_of_the_parts() {
        assert_eq!(super::concat(&[]), "");
        assert_eq!(
            super::concat(&["acs:ram::", "123", ":role/", "r"]),
            format!("acs:ram::{}:role/{}", "123", "r")
        );
    }
}
