//! Sound reasoning on RAM wildcard patterns (spec §2, §3.2): whether two patterns can match a
//! common string ([`intersects`]) and whether one pattern matches every string another matches
//! ([`includes`]). The lints only claim what these functions prove: `intersects` is exact,
//! `includes` may answer `false` for a true inclusion but never `true` for a false one.

/// One token of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// A literal character.
    Lit(char),
    /// Exactly one character (`?`).
    One,
    /// Any run of characters, possibly empty (`*`).
    Any,
    /// Any run of characters other than `:`, possibly empty (a template placeholder: regions,
    /// account ids and resource ids never contain the ARN field separator).
    Field,
}

impl Tok {
    /// True for the tokens that match runs of characters.
    fn is_run(self) -> bool {
        matches!(self, Tok::Any | Tok::Field)
    }
}

/// Tokenizes a RAM pattern: `*` and `?` are wildcards, everything else is literal.
pub fn pattern(p: &str) -> Vec<Tok> {
    p.chars()
        .map(|c| match c {
            '*' => Tok::Any,
            '?' => Tok::One,
            c => Tok::Lit(c),
        })
        .collect()
}

/// Tokenizes a catalog ARN template: `{Name}` placeholders stand for any string without `:`,
/// every other character (including `*`, which a request ARN carries literally) is literal.
pub fn template(t: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(t.len());
    let mut in_placeholder = false;
    for c in t.chars() {
        match (in_placeholder, c) {
            (false, '{') => {
                in_placeholder = true;
                out.push(Tok::Field);
            }
            (true, '}') => in_placeholder = false,
            (true, _) => {}
            (false, c) => out.push(Tok::Lit(c)),
        }
    }
    out
}

/// Can one character satisfy both tokens' character class?
fn compatible(a: Tok, b: Tok) -> bool {
    match (a, b) {
        (Tok::Lit(x), Tok::Lit(y)) => x == y,
        (Tok::Lit(c), Tok::Field) | (Tok::Field, Tok::Lit(c)) => c != ':',
        _ => true,
    }
}

/// True when some string is matched by both `a` and `b` (exact: a search of the product of the
/// two patterns' automata).
pub fn intersects(a: &[Tok], b: &[Tok]) -> bool {
    let (n, m) = (a.len(), b.len());
    let width = m + 1;
    let mut seen = vec![false; (n + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let slot = i * width + j;
        match seen.get_mut(slot) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        if i == n && j == m {
            return true;
        }
        let ta = a.get(i).copied();
        let tb = b.get(j).copied();
        // Epsilon moves: a star may match the empty string.
        if ta.is_some_and(Tok::is_run) {
            stack.push((i + 1, j));
        }
        if tb.is_some_and(Tok::is_run) {
            stack.push((i, j + 1));
        }
        // Consume one common character.
        if let (Some(x), Some(y)) = (ta, tb) {
            if compatible(x, y) {
                let ni = if x.is_run() { i } else { i + 1 };
                let nj = if y.is_run() { j } else { j + 1 };
                if (ni, nj) != (i, j) {
                    stack.push((ni, nj));
                } else {
                    // Both stars: consuming characters forever changes nothing; leaving either
                    // star is covered by the epsilon moves above.
                }
            }
        }
    }
    false
}

/// True only if every string matched by `inner` is matched by `outer` (sound, not complete):
/// `outer` must match the text of `inner` where `outer`'s `*` may absorb any tokens of `inner`,
/// `outer`'s `?` absorbs one literal or `?`, and literals must be equal.
pub fn includes(outer: &[Tok], inner: &[Tok]) -> bool {
    let (n, m) = (outer.len(), inner.len());
    let width = m + 1;
    // memo[j * width + i]: does outer[j..] include inner[i..]? Filled from the end.
    let mut memo = vec![false; (n + 1) * width];
    for j in (0..=n).rev() {
        for i in (0..=m).rev() {
            let at = |jj: usize, ii: usize| memo.get(jj * width + ii).copied().unwrap_or(false);
            let value = match outer.get(j) {
                None => i == m,
                Some(Tok::Any) => at(j + 1, i) || (i < m && at(j, i + 1)),
                // `outer` comes from `pattern`, which has no field tokens; be conservative.
                Some(Tok::Field) => false,
                Some(Tok::One) => {
                    matches!(inner.get(i), Some(Tok::Lit(_) | Tok::One)) && at(j + 1, i + 1)
                }
                Some(Tok::Lit(c)) => inner.get(i) == Some(&Tok::Lit(*c)) && at(j + 1, i + 1),
            };
            if let Some(slot) = memo.get_mut(j * width + i) {
                *slot = value;
            }
        }
    }
    memo.first().copied().unwrap_or(false)
}

/// True when the pattern consists only of `*` (matches every string).
pub fn is_all(p: &str) -> bool {
    !p.is_empty() && p.chars().all(|c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::pattern::glob;

    fn inter(a: &str, b: &str) -> bool {
        intersects(&pattern(a), &pattern(b))
    }

    fn inc(outer: &str, inner: &str) -> bool {
        includes(&pattern(outer), &pattern(inner))
    }

    #[test]
    fn intersection_of_patterns() {
        assert!(inter("vpc:*", "vpc:Describe*"));
        assert!(inter("*Peer*", "vpc:Create*"));
        assert!(inter("a?c", "*b*"));
        assert!(!inter("vpc:*", "ecs:*"));
        assert!(!inter("a?c", "abbc"));
        assert!(!inter("*a", "*b"));
        assert!(inter("*", ""));
        assert!(!inter("?", ""));
    }

    #[test]
    fn templates_have_literal_stars_and_placeholders() {
        let create = template("acs:vpc:{region}:{account}:vpc/*");
        assert!(intersects(&pattern("acs:vpc:*:*:vpc/*"), &create));
        assert!(intersects(&pattern("acs:vpc:cn-beijing:*:vpc/*"), &create));
        assert!(!intersects(&pattern("acs:vpc:*:*:vswitch/*"), &create));
        let peer = template("acs:vpc:*:{account}:vpcpeer/{InstanceId}");
        assert!(!intersects(&pattern("acs:vpc:*:*:vpc/*"), &peer));
        assert!(intersects(&pattern("acs:vpc:*:*:vpcpeer/pcc-1"), &peer));
        assert!(intersects(&pattern("acs:*"), &peer));
        let folder = template("acs:resourcemanager::{account}:folder/{TargetPath}");
        assert!(intersects(
            &pattern("acs:resourcemanager:*:*:folder/rd-1/r-2/*"),
            &folder
        ));
        let all = template("*");
        assert!(!intersects(&pattern("acs:vpc:*:*:vpc/*"), &all));
        for p in ["*", "?", "*?*", "**"] {
            assert!(intersects(&pattern(p), &all), "{p}");
        }
        assert!(!intersects(&pattern("??"), &all));
    }

    #[test]
    fn inclusion_is_sound() {
        assert!(inc("*", "vpc:CreateVpc"));
        assert!(inc("vpc:*", "vpc:Describe*"));
        assert!(inc("vpc:*Vpc*", "vpc:CreateVpc?"));
        assert!(inc("a*", "a?"));
        assert!(inc("a?c", "abc"));
        assert!(inc("x", "x"));
        assert!(!inc("vpc:Describe*", "vpc:*"));
        assert!(!inc("a?", "a*"));
        assert!(!inc("abc", "a?c"));
        assert!(!inc("vpc:*", "*"));
    }

    /// Brute force over a small alphabet: `includes` never claims a false inclusion and
    /// `intersects` agrees with a search for a witness.
    #[test]
    fn agrees_with_brute_force() {
        let pats = [
            "*", "a", "a*", "*a", "?", "a?", "?a", "*b*", "ab", "a*b", "??", "b?*", "",
        ];
        let mut words = vec![String::new()];
        for len in 1..=4 {
            let mut next = Vec::new();
            for w in words.iter().filter(|w| w.len() == len - 1) {
                for c in ['a', 'b'] {
                    next.push(format!("{w}{c}"));
                }
            }
            words.extend(next);
        }
        for x in pats {
            for y in pats {
                let witness = words.iter().any(|w| glob(x, w) && glob(y, w));
                assert_eq!(inter(x, y), witness, "intersects({x:?}, {y:?})");
                if inc(x, y) {
                    assert!(
                        words.iter().all(|w| !glob(y, w) || glob(x, w)),
                        "includes({x:?}, {y:?})"
                    );
                }
            }
        }
    }
}
