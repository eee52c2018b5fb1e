//! Shared syntax rules for names and descriptions (§0.4.9, §3.1).

/// Generic rule (§0.4.9): 1–`max` characters, not starting with `http://`/`https://`.
pub fn generic_text_ok(s: &str, max: usize) -> bool {
    let n = s.chars().count();
    (1..=max).contains(&n) && !s.starts_with("http://") && !s.starts_with("https://")
}

/// Peering name at creation (§3.1): 2–128 characters, starts with a letter
/// (CJK included), then letters, digits, `_` or `-`.
pub fn peer_create_name_ok(s: &str) -> bool {
    let n = s.chars().count();
    let mut chars = s.chars();
    (2..=128).contains(&n)
        && chars.next().is_some_and(char::is_alphabetic)
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Peering description at creation (§3.1): 2–256 characters, starts with a letter,
/// not `http(s)://`.
pub fn peer_create_desc_ok(s: &str) -> bool {
    let n = s.chars().count();
    (2..=256).contains(&n)
        && s.chars().next().is_some_and(char::is_alphabetic)
        && generic_text_ok(s, 256)
}

/// Paginates `items` with a 1-based page number.
pub fn paginate<T: Clone>(items: &[T], page_number: i64, page_size: i64) -> Vec<T> {
    let size = usize::try_from(page_size.max(1)).unwrap_or(1);
    let start = usize::try_from(page_number.max(1) - 1)
        .unwrap_or(0)
        .saturating_mul(size);
    items.iter().skip(start).take(size).cloned().collect()
}
