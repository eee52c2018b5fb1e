//! "Did you mean …?": the one edit-distance helper behind every suggestion ramsim makes —
//! policy element and operator names, lint rules, unknown or missing API parameters, API
//! names, callers.

/// Levenshtein distance between `a` and `b`, ignoring letter case (characters, not bytes).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = Vec::with_capacity(b.len() + 1);
    for (i, ca) in a.iter().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word` (case-insensitive edit distance), if reasonably close:
/// within a third of the candidate's length, and always within two edits. Ties go to the
/// first candidate.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Like [`closest`], but only candidates within `max` edits.
pub fn closest_within<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Option<&'a str> {
    closest(word, candidates).filter(|c| edit_distance(word, c) <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_case_insensitively() {
        assert_eq!(edit_distance("alcie", "alice"), 2);
        assert_eq!(edit_distance("VpcID", "VpcId"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("é", "É"), 0);
    }

    #[test]
    fn closest_picks_the_nearest_reasonable_candidate() {
        let apis = ["CreateVpc", "CreateVpcPeerConnection", "DescribeVpcs"];
        assert_eq!(
            closest("CreateVpcPeerConection", apis),
            Some("CreateVpcPeerConnection")
        );
        assert_eq!(closest("DescribeVpc", apis), Some("DescribeVpcs"));
        assert_eq!(closest("FlyToTheMoon", apis), None);
        assert_eq!(closest("alcie", ["alice", "bob"]), Some("alice"));
        assert_eq!(closest_within("CreateVpcc", apis, 1), Some("CreateVpc"));
        assert_eq!(closest_within("CreateVpcxyz", apis, 2), None);
    }
}
