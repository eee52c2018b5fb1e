//! A small, span-preserving JSON reader (RFC 8259).
//!
//! `serde_json` forgets where values came from; every policy diagnostic must name a
//! `line:column`, so policy documents are read into this tree instead. Object members keep
//! their source order and duplicates are *kept* (the validator reports them, together with
//! every other finding, instead of the reader silently merging them). Nesting is bounded so a
//! hostile document cannot exhaust the stack.

use super::span::Span;

/// Deepest nesting of arrays/objects accepted. Real policies nest four levels
/// (`Statement[].Condition.Op.Key`); 64 leaves ample room while bounding recursion.
pub const MAX_DEPTH: usize = 64;

/// A JSON value together with the byte range it occupies in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value itself.
    pub value: Value,
    /// Byte range of the value in the source text.
    pub span: Span,
}

/// One member of a JSON object: key (with its own span) and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The member name, unescaped.
    pub key: String,
    /// Span of the key string literal, quotes included.
    pub key_span: Span,
    /// The member value.
    pub value: Node,
}

/// A JSON value. Numbers keep their source text so nothing is lost to float rounding.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written in the source.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, members in source order, duplicates kept.
    Object(Vec<Member>),
}

impl Value {
    /// The JSON type name used in "data type mismatch" messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

/// A syntax error: what went wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// One lowercase sentence describing the problem.
    pub message: String,
    /// Where the problem was detected (usually a zero- or one-character span).
    pub span: Span,
}

/// Parses `text` as one JSON document, surrounding whitespace allowed.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut reader = Reader {
        src: text.as_bytes(),
        text,
        pos: 0,
    };
    reader.skip_ws();
    let node = reader.value(0)?;
    reader.skip_ws();
    if reader.pos < reader.src.len() {
        return Err(reader.error_here("unexpected content after the end of the JSON document"));
    }
    Ok(node)
}

struct Reader<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn error_at(&self, pos: usize, message: impl Into<String>) -> SyntaxError {
        // Point at one whole character so carets land on it even for multi-byte input.
        let end = self.text[pos.min(self.text.len())..]
            .chars()
            .next()
            .map_or(pos, |c| pos + c.len_utf8());
        SyntaxError {
            message: message.into(),
            span: Span::new(pos, end),
        }
    }

    fn error_here(&self, message: impl Into<String>) -> SyntaxError {
        self.error_at(self.pos, message)
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn describe_here(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            None => "end of input".to_string(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let s = self.string()?;
                Ok(Node {
                    value: Value::String(s),
                    span: Span::new(start, self.pos),
                })
            }
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error_here(format!(
                "expected a JSON value, found {}",
                self.describe_here()
            ))),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Node, SyntaxError> {
        let start = self.pos;
        if self.src[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Node {
                value,
                span: Span::new(start, self.pos),
            })
        } else {
            Err(self.error_here(format!(
                "expected a JSON value, found {}",
                self.describe_here()
            )))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error_here("numbers must not have leading zeros"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error_here("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error_here("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error_here("expected a digit in the exponent"));
            }
        }
        let raw = self.text[start..self.pos].to_string();
        Ok(Node {
            value: Value::Number(raw),
            span: Span::new(start, self.pos),
        })
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => u32::from(b - b'0'),
                Some(b @ b'a'..=b'f') => u32::from(b - b'a' + 10),
                Some(b @ b'A'..=b'F') => u32::from(b - b'A' + 10),
                _ => return Err(self.error_here("expected four hex digits after `\\u`")),
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    /// Reads a string literal; `self.pos` is at the opening quote.
    fn string(&mut self) -> Result<String, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the longest run of plain characters in one go.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.error_at(open, "unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let esc = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape(esc)?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error_at(esc, "invalid escape sequence")),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(b'\n' | b'\r') => {
                    return Err(self.error_here(
                        "unterminated string: a line break inside a string (missing closing `\"`?)",
                    ))
                }
                Some(_) => {
                    return Err(self.error_here("control characters must be escaped inside strings"))
                }
            }
        }
    }

    /// Decodes the `XXXX` (and a following low surrogate) after `\u`.
    fn unicode_escape(&mut self, esc: usize) -> Result<char, SyntaxError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.src[self.pos..].starts_with(b"\\u") {
                return Err(self.error_at(esc, "unpaired surrogate in `\\u` escape"));
            }
            self.pos += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.error_at(esc, "unpaired surrogate in `\\u` escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.error_at(esc, "unpaired surrogate in `\\u` escape"))
    }

    fn enter(&self, depth: usize) -> Result<usize, SyntaxError> {
        if depth >= MAX_DEPTH {
            Err(self.error_here(format!("nesting deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(depth + 1)
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let depth = self.enter(depth)?;
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node {
                value: Value::Array(items),
                span: Span::new(start, self.pos),
            });
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node {
                        value: Value::Array(items),
                        span: Span::new(start, self.pos),
                    });
                }
                _ => {
                    return Err(self.error_here(format!(
                        "expected `,` or `]` in array, found {}",
                        self.describe_here()
                    )))
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let depth = self.enter(depth)?;
        let start = self.pos;
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node {
                value: Value::Object(members),
                span: Span::new(start, self.pos),
            });
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error_here(format!(
                    "expected a member name in double quotes, found {}",
                    self.describe_here()
                )));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = Span::new(key_start, self.pos);
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error_here(format!(
                    "expected `:` after member name, found {}",
                    self.describe_here()
                )));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Node {
                        value: Value::Object(members),
                        span: Span::new(start, self.pos),
                    });
                }
                _ => {
                    return Err(self.error_here(format!(
                        "expected `,` or `}}` in object, found {}",
                        self.describe_here()
                    )))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_document_with_spans() {
        let text = r#" {"a": [1, "x\u00e9", true, null], "b": {"c": -2.5e3}} "#;
        let node = parse(text).unwrap();
        let Value::Object(members) = &node.value else {
            panic!("object")
        };
        assert_eq!(members[0].key, "a");
        assert_eq!(
            &text[members[0].key_span.start..members[0].key_span.end],
            "\"a\""
        );
        let Value::Array(items) = &members[0].value.value else {
            panic!("array")
        };
        assert_eq!(items[1].value, Value::String("xé".into()));
        assert_eq!(items[0].value, Value::Number("1".into()));
        assert_eq!(node.span, Span::new(1, text.len() - 1));
    }

    #[test]
    fn keeps_duplicate_keys_in_order() {
        let node = parse(r#"{"k":1,"k":2}"#).unwrap();
        let Value::Object(members) = node.value else {
            panic!("object")
        };
        assert_eq!(members.len(), 2);
    }

    #[test]
    fn surrogate_pairs_decode() {
        let node = parse(r#""\ud83d\ude00""#).unwrap();
        assert_eq!(node.value, Value::String("😀".into()));
        assert!(parse(r#""\ud83d""#).is_err());
    }

    #[test]
    fn rejects_malformed_input_with_position() {
        for (text, at) in [
            ("{\"a\" 1}", 5),
            ("[1,]", 3),
            ("{\"a\":01}", 6),
            ("\"abc", 0),
            ("{} x", 3),
            ("", 0),
            ("{'a':1}", 1),
            ("[1 2]", 3),
            ("\"a\tb\"", 2),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.span.start, at, "{text:?}: {}", err.message);
        }
    }

    #[test]
    fn bounds_nesting_depth() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let err = parse(&deep).unwrap_err();
        assert!(err.message.contains("nesting"));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        // A pathological document must fail fast instead of overflowing the stack.
        assert!(parse(&"[".repeat(1_000_000)).is_err());
    }
}
