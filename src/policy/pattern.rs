//! RAM wildcard patterns: `*` matches any run of characters (including none, and including `/`
//! and `:`), `?` matches exactly one Unicode scalar value, everything else matches itself. There
//! is no escape character. Patterns are anchored at both ends (spec §2, §3.2, §4.2).
//!
//! Matching never backtracks: the pattern is split at `*` into segments, the first segment must
//! match the start of the text, the last one its end, and each middle segment is matched at its
//! leftmost occurrence (which is always safe for `*`-separated segments). The cost is bounded by
//! `O(text × longest segment)` and is linear for segments without `?` (those use `str::find`,
//! a Two-Way search). `*a*a*a*a*a*a*a*a*b` against 10,000 `a`s takes microseconds.

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Wildcard {
    source: Box<str>,
    shape: Shape,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Shape {
    /// No wildcard at all: plain equality.
    Exact,
    /// Only `*` characters: matches everything.
    Any,
    /// `literal*`: a prefix test.
    Prefix(Box<str>),
    /// General case: segments separated by `*` (`first` and `last` anchored).
    Segments {
        /// Segment before the first `*` (may be empty).
        first: Segment,
        /// Segments between stars, non-empty.
        middle: Box<[Segment]>,
        /// Segment after the last `*` (may be empty); `None` when the pattern has no `*`.
        last: Option<Segment>,
    },
}

/// Byte-slice equality without a libc call: the strings compared here are a few dozen bytes,
/// where calling `memcmp` costs more than the comparison itself.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[inline]
fn has_prefix(hay: &str, prefix: &str) -> bool {
    hay.len() >= prefix.len() && bytes_eq(&hay.as_bytes()[..prefix.len()], prefix.as_bytes())
}

#[inline]
fn has_suffix(hay: &str, suffix: &str) -> bool {
    hay.len() >= suffix.len()
        && bytes_eq(
            &hay.as_bytes()[hay.len() - suffix.len()..],
            suffix.as_bytes(),
        )
}

/// Leftmost occurrence of `needle` in `hay`. Short haystacks use a first-byte scan (building a
/// Two-Way searcher costs more than searching a policy-sized string); long ones use `str::find`,
/// which is linear.
fn find_literal(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return Some(0);
    };
    if h.len() > 256 {
        return hay.find(needle);
    }
    let last_start = h.len().checked_sub(n.len())?;
    (0..=last_start).find(|&i| h[i] == first && bytes_eq(&h[i..i + n.len()], n))
}

/// A run of pattern characters with no `*`; `?` stands for one character.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Segment {
    text: Box<str>,
    has_question: bool,
    chars: usize,
}

impl Segment {
    fn new(text: &str) -> Segment {
        Segment {
            text: text.into(),
            has_question: text.contains('?'),
            chars: text.chars().count(),
        }
    }

    /// If the segment matches at the very start of `hay`, the number of bytes it consumed.
    fn match_prefix(&self, hay: &str) -> Option<usize> {
        if !self.has_question {
            return has_prefix(hay, &self.text).then_some(self.text.len());
        }
        let mut consumed = 0;
        let mut hay_chars = hay.chars();
        for p in self.text.chars() {
            let h = hay_chars.next()?;
            if p != '?' && p != h {
                return None;
            }
            consumed += h.len_utf8();
        }
        Some(consumed)
    }

    /// If the segment matches at the very end of `hay`, the byte offset where the match starts.
    fn match_suffix(&self, hay: &str) -> Option<usize> {
        if !self.has_question {
            return has_suffix(hay, &self.text).then(|| hay.len() - self.text.len());
        }
        // Step back `chars` characters, then compare forwards.
        let start = if self.chars == 0 {
            hay.len()
        } else {
            hay.char_indices().rev().nth(self.chars - 1)?.0
        };
        let tail = &hay[start..];
        (self.match_prefix(tail) == Some(tail.len())).then_some(start)
    }

    /// Leftmost occurrence in `hay`: `(start, end)` byte offsets.
    fn find(&self, hay: &str) -> Option<(usize, usize)> {
        if !self.has_question {
            return find_literal(hay, &self.text).map(|i| (i, i + self.text.len()));
        }
        for (i, _) in hay.char_indices() {
            if let Some(n) = self.match_prefix(&hay[i..]) {
                return Some((i, i + n));
            }
        }
        // A segment of only `?` never matches the empty remainder, so nothing to try at the end.
        None
    }
}

impl Wildcard {
    /// Compiles `pattern` (as written; callers fold case first when matching case-insensitively).
    pub fn new(pattern: &str) -> Wildcard {
        let shape = if !pattern.contains(['*', '?']) {
            Shape::Exact
        } else if pattern.chars().all(|c| c == '*') {
            Shape::Any
        } else if let Some(prefix) = pattern
            .strip_suffix('*')
            .filter(|p| !p.contains(['*', '?']))
        {
            Shape::Prefix(prefix.into())
        } else {
            let mut parts = pattern.split('*');
            let first = Segment::new(parts.next().unwrap_or(""));
            let rest: Vec<&str> = parts.collect();
            match rest.split_last() {
                None => Shape::Segments {
                    first,
                    middle: Box::new([]),
                    last: None,
                },
                Some((last, middle)) => Shape::Segments {
                    first,
                    middle: middle
                        .iter()
                        .filter(|s| !s.is_empty())
                        .map(|s| Segment::new(s))
                        .collect(),
                    last: Some(Segment::new(last)),
                },
            }
        };
        Wildcard {
            source: pattern.into(),
            shape,
        }
    }

    /// The pattern text as compiled.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The literal text before the first wildcard.
    pub fn literal_prefix(&self) -> &str {
        let end = self.source.find(['*', '?']).unwrap_or(self.source.len());
        &self.source[..end]
    }

    /// Whole-string match of `text` against this pattern.
    pub fn matches(&self, text: &str) -> bool {
        match &self.shape {
            Shape::Exact => bytes_eq(self.source.as_bytes(), text.as_bytes()),
            Shape::Any => true,
            Shape::Prefix(p) => has_prefix(text, p),
            Shape::Segments {
                first,
                middle,
                last,
            } => {
                let Some(head) = first.match_prefix(text) else {
                    return false;
                };
                let Some(last) = last else {
                    return head == text.len();
                };
                let Some(tail_start) = last.match_suffix(text) else {
                    return false;
                };
                if tail_start < head {
                    return false;
                }
                let mut rest = &text[head..tail_start];
                for seg in middle.iter() {
                    match seg.find(rest) {
                        Some((_, end)) => rest = &rest[end..],
                        None => return false,
                    }
                }
                true
            }
        }
    }
}

/// One-shot whole-string glob (compiles on every call; use [`Wildcard`] on hot paths).
pub fn glob(pattern: &str, text: &str) -> bool {
    Wildcard::new(pattern).matches(text)
}

/// Folds an action name for case-insensitive comparison (simple Unicode lowercase, §2).
pub fn fold_case(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_uppercase) {
        std::borrow::Cow::Owned(s.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_shapes() {
        assert!(glob("ecs:describe*", "ecs:describeinstances"));
        assert!(!glob("ecs:describe*", "ecs:stopinstance"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob(
            "acs:oss:*:*:myphotos/hangzhou/2015/*",
            "acs:oss:cn-hangzhou:123:myphotos/hangzhou/2015/a/b.jpg"
        ));
        assert!(glob("acs:ram:*:*:role/app-*", "acs:ram::123:role/app-web"));
        assert!(glob(
            "acs:*:*cn-beijing*:*:*",
            "acs:ecs:cn-beijing:123:instance/i-1"
        ));
        assert!(!glob(
            "acs:*:*cn-beijing*:*:*",
            "acs:ecs:cn-hangzhou:123:instance/i-1"
        ));
        assert!(glob(
            "vpc:*VpcPeerConnection",
            "vpc:DeleteVpcPeerConnection"
        ));
        assert!(glob("rd-x/r-x/fd-x/*", "rd-x/r-x/fd-x/"));
        assert!(!glob("rd-x/r-x/fd-x/*", "rd-x/r-x/fd-x"));
    }

    #[test]
    fn all_resource_star_is_only_matched_by_stars_and_one_question_mark() {
        for p in ["*", "**", "?", "*?", "?*", "*?*"] {
            assert!(glob(p, "*"), "{p}");
        }
        for p in ["??", "acs:*", "a*", "*a"] {
            assert!(!glob(p, "*"), "{p}");
        }
    }

    #[test]
    fn question_mark_is_one_scalar_value() {
        assert!(glob("?", "é"));
        assert!(glob("a?*?", "aéü"));
        assert!(glob("*?b", "éb"));
        assert!(!glob("*??b", "éb"));
    }

    #[test]
    fn suffix_may_not_overlap_prefix() {
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("ab*ba", "abba"));
        assert!(!glob("a?*?a", "aa"));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let text = "a".repeat(10_000);
        assert!(!glob("*a*a*a*a*a*a*a*a*b", &text));
        let text2 = format!("{text}b");
        assert!(glob("*a*a*a*a*a*a*a*a*b", &text2));
        assert!(!glob("*?a?a?a?a?a?a?a?b", &text));
    }

    #[test]
    fn literal_prefix_and_flags() {
        let w = Wildcard::new("ecs:Describe*");
        assert_eq!(w.literal_prefix(), "ecs:Describe");
        assert_eq!(Wildcard::new("x").literal_prefix(), "x");
        assert!(Wildcard::new("***").matches(""));
    }
}
