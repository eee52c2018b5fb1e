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

/// One page of an already filtered listing: `(total, items of page `page_number`)`. Only the
/// page's items are kept (and so only they are rendered by the caller), but every item is
/// counted, as `TotalCount` needs.
pub fn page_of<T>(
    items: impl Iterator<Item = T>,
    page_number: i64,
    page_size: i64,
) -> (usize, Vec<T>) {
    let (start, size) = page_bounds(page_number, page_size);
    let mut total = 0usize;
    let mut page = Vec::new();
    for item in items {
        if total >= start && page.len() < size {
            page.push(item);
        }
        total += 1;
    }
    (total, page)
}

/// [`page_of`] for a listing whose length is already known (an index's ordered set, with no
/// filter left to apply): skips to the page and stops after it, so page 1 costs what it
/// returns, however long the listing.
pub fn page_of_counted<T>(
    total: usize,
    items: impl Iterator<Item = T>,
    page_number: i64,
    page_size: i64,
) -> (usize, Vec<T>) {
    let (start, size) = page_bounds(page_number, page_size);
    (total, items.skip(start).take(size).collect())
}

/// `(index of the page's first item, page size)` for a 1-based page number.
fn page_bounds(page_number: i64, page_size: i64) -> (usize, usize) {
    let size = usize::try_from(page_size.max(1)).unwrap_or(1);
    let start = usize::try_from(page_number.max(1) - 1)
        .unwrap_or(0)
        .saturating_mul(size);
    (start, size)
}

/// Checks an optional name or description with the generic rule (§0.4.9); a bad value is a
/// 400 `code` with `message`.
pub fn optional_text(
    value: Option<&str>,
    max: usize,
    code: &str,
    message: &str,
) -> Result<(), crate::cloud::CloudError> {
    match value {
        Some(v) if !generic_text_ok(v, max) => Err(crate::cloud::CloudError::bad(code, message)),
        _ => Ok(()),
    }
}

/// Checks an optional `Description` (§0.4.9: the generic rule, at most 256 characters).
pub fn optional_description(value: Option<&str>) -> Result<(), crate::cloud::CloudError> {
    optional_text(
        value,
        256,
        "InvalidDescription.Malformed",
        "Specified description is not valid.",
    )
}

/// One page of a `NextToken`/`MaxResults` listing: the rows from offset `token` (default 0) and
/// the token of the next page (`""` on the last one). `bad_token` is the error for a token that
/// is not an offset.
pub fn token_page<T: Clone>(
    rows: &[T],
    token: Option<&str>,
    size: usize,
    bad_token: impl FnOnce() -> crate::cloud::CloudError,
) -> Result<(Vec<T>, String), crate::cloud::CloudError> {
    let offset: usize = match token {
        Some(t) => t.parse().map_err(|_| bad_token())?,
        None => 0,
    };
    let page = rows.iter().skip(offset).take(size).cloned().collect();
    let next = if offset.saturating_add(size) < rows.len() {
        (offset + size).to_string()
    } else {
        String::new()
    };
    Ok((page, next))
}
