//! Source positions: byte spans, line/column lookup and JSON paths.

use std::fmt;

/// A half-open byte range `[start, end)` in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in Unicode scalar values.
    pub column: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Bytes between two character-count checkpoints of a [`LineIndex`].
const CHECKPOINT_BYTES: usize = 4096;

/// Maps byte offsets of one text to line/column positions.
///
/// Columns count characters, so a column needs the characters before an offset on its line.
/// Besides the line starts, the index keeps the number of characters before a character
/// boundary every [`CHECKPOINT_BYTES`] bytes: a lookup counts at most that many bytes, however
/// long the line (a minified 1 MB document is one line), so resolving every finding of a
/// document stays linear in its size.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// `(byte offset, characters before it)`, increasing, starting with `(0, 0)`.
    checkpoints: Vec<(usize, usize)>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut checkpoints = vec![(0, 0)];
        let (mut last, mut chars) = (0usize, 0usize);
        let mut next = CHECKPOINT_BYTES;
        while next < text.len() {
            let mut b = next;
            while !text.is_char_boundary(b) {
                b += 1;
            }
            chars += text.get(last..b).map_or(0, |s| s.chars().count());
            checkpoints.push((b, chars));
            last = b;
            next = b + CHECKPOINT_BYTES;
        }
        LineIndex {
            line_starts,
            checkpoints,
        }
    }

    /// Characters before byte `offset` (bytes, when `offset` is inside a character).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let i = self
            .checkpoints
            .partition_point(|&(b, _)| b <= offset)
            .saturating_sub(1);
        let (b, c) = self.checkpoints.get(i).copied().unwrap_or((0, 0));
        c + text
            .get(b..offset)
            .map_or(offset.saturating_sub(b), |s| s.chars().count())
    }

    /// Byte offset where 1-based `line` starts (the text's end past the last line).
    pub fn line_start(&self, text: &str, line: usize) -> usize {
        self.line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(text.len())
    }

    /// The line/column of byte `offset` in `text` (clamped to the text).
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = match text.get(start..offset) {
            Some(s) if s.len() <= CHECKPOINT_BYTES => s.chars().count(),
            Some(_) => self.chars_before(text, offset) - self.chars_before(text, start),
            None => offset - start,
        } + 1;
        LineCol { line, column }
    }

    /// The byte offset of 1-based `column` on 1-based `line`, clamped to the line's end; the
    /// inverse of [`LineIndex::line_col`].
    pub fn offset_of(&self, text: &str, line: usize, column: usize) -> usize {
        let start = self.line_start(text, line);
        let line_end = start + self.line_text(text, line).len();
        let target = self.chars_before(text, start) + column.saturating_sub(1);
        // The last checkpoint at or after the line start with at most `target` characters.
        let i = self
            .checkpoints
            .partition_point(|&(_, c)| c <= target)
            .saturating_sub(1);
        let (mut b, mut c) = self.checkpoints.get(i).copied().unwrap_or((0, 0));
        if b < start {
            (b, c) = (start, self.chars_before(text, start));
        }
        let rest = text.get(b..line_end).unwrap_or("");
        match rest.char_indices().nth(target.saturating_sub(c)) {
            Some((k, _)) => b + k,
            None => line_end,
        }
    }

    /// The text of 1-based `line`, without its line terminator.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let start = self.line_start(text, line);
        let end = self
            .line_starts
            .get(line)
            .map_or(text.len(), |e| e.saturating_sub(1));
        text.get(start..end.max(start))
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A path into a JSON document, printed like `Statement[1].Condition.StringNotLike."acs:TargetRDPath"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct JsonPath(pub Vec<PathStep>);

impl JsonPath {
    /// The document root.
    pub fn root() -> JsonPath {
        JsonPath(Vec::new())
    }

    /// This path extended by member `key`.
    pub fn key(&self, key: &str) -> JsonPath {
        let mut steps = self.0.clone();
        steps.push(PathStep::Key(key.to_string()));
        JsonPath(steps)
    }

    /// This path extended by array element `index`.
    pub fn index(&self, index: usize) -> JsonPath {
        let mut steps = self.0.clone();
        steps.push(PathStep::Index(index));
        JsonPath(steps)
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_plain_key(k) {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "ab\nxé y\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(idx.line_col(text, 3), LineCol { line: 2, column: 1 });
        // `y` is at byte 7 (é is two bytes) but column 4.
        assert_eq!(idx.line_col(text, 7), LineCol { line: 2, column: 4 });
        assert_eq!(idx.line_text(text, 2), "xé y");
        assert_eq!(idx.line_col(text, 999), LineCol { line: 3, column: 1 });
        assert_eq!(idx.offset_of(text, 2, 4), 7);
        assert_eq!(idx.offset_of(text, 2, 99), 8);
    }

    #[test]
    fn columns_on_long_lines_agree_with_counting() {
        // Multi-byte characters straddle the checkpoints; lines are longer than a checkpoint.
        let line: String = (0..5000)
            .map(|i| if i % 7 == 0 { 'é' } else { 'a' })
            .collect();
        let text = format!("x\n{line}\n{line}");
        let idx = LineIndex::new(&text);
        for offset in (0..text.len())
            .filter(|&o| text.is_char_boundary(o))
            .step_by(97)
        {
            let lc = idx.line_col(&text, offset);
            let start = idx.line_start(&text, lc.line);
            assert_eq!(
                lc.column,
                text[start..offset].chars().count() + 1,
                "{offset}"
            );
            assert_eq!(idx.offset_of(&text, lc.line, lc.column), offset, "{offset}");
        }
    }

    #[test]
    fn path_display_quotes_keys_with_punctuation() {
        let p = JsonPath::root()
            .key("Statement")
            .index(1)
            .key("Condition")
            .key("StringNotLike")
            .key("acs:TargetRDPath");
        assert_eq!(
            p.to_string(),
            r#"Statement[1].Condition.StringNotLike."acs:TargetRDPath""#
        );
    }
}
