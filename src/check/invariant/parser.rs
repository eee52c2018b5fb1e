//! The invariant-language parser (nom). Errors carry `line:column` and what was expected.

use super::ast::{BoolOp, CmpOp, Expr, ExprKind, Literal, Quantifier};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::error::{ErrorKind, ParseError as NomParseError};
use nom::sequence::{pair, tuple};
use nom::IResult;
use std::fmt;

/// Words that cannot be used as names.
pub const KEYWORDS: &[&str] = &[
    "forall", "exists", "in", "where", "and", "or", "not", "implies", "like", "true", "false",
    "null", "can", "reach",
];

/// A syntax error: where, what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Byte offset.
    pub offset: usize,
    /// What the parser expected there (alternatives).
    pub expected: Vec<String>,
    /// What it found (`end of input` at the end).
    pub found: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expected = match self.expected.as_slice() {
            [] => "something else".to_string(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        };
        write!(
            f,
            "{}:{}: expected {expected}, found {}",
            self.line, self.column, self.found
        )
    }
}

impl std::error::Error for ParseError {}

/// 1-based `(line, column)` of byte offset `offset` in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before, |i| &before[i + 1..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The parser's internal error: the remaining input where it failed and the expectations.
#[derive(Debug, Clone)]
struct PErr<'a> {
    rest: &'a str,
    expected: Vec<&'static str>,
}

impl<'a> NomParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        PErr {
            rest: input,
            expected: Vec::new(),
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Keep the error that got farthest; merge expectations at the same place.
        match self.rest.len().cmp(&other.rest.len()) {
            std::cmp::Ordering::Less => self,
            std::cmp::Ordering::Greater => other,
            std::cmp::Ordering::Equal => {
                let mut expected = self.expected;
                for e in other.expected {
                    if !expected.contains(&e) {
                        expected.push(e);
                    }
                }
                PErr {
                    rest: self.rest,
                    expected,
                }
            }
        }
    }
}

type Res<'a, T> = IResult<&'a str, T, PErr<'a>>;

fn error<'a, T>(rest: &'a str, what: &'static str) -> Res<'a, T> {
    Err(nom::Err::Error(PErr {
        rest,
        expected: vec![what],
    }))
}

/// Turns a recoverable error into a hard one (after a construct is committed to).
fn cut<'a, T>(r: Res<'a, T>) -> Res<'a, T> {
    r.map_err(|e| match e {
        nom::Err::Error(e) => nom::Err::Failure(e),
        other => other,
    })
}

/// Whitespace and `#` comments.
fn ws(i: &str) -> &str {
    let mut rest = i;
    loop {
        let trimmed = rest.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            rest = comment.find('\n').map_or("", |n| &comment[n..]);
        } else {
            return trimmed;
        }
    }
}

fn ident_raw(i: &str) -> Res<'_, &str> {
    recognize(pair(
        take_while1(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))(i)
}

/// Deepest nesting accepted (parentheses, lists, quantifiers, `not`, `implies` chains): deeper
/// input is an error, never a stack overflow.
pub const MAX_DEPTH: usize = 64;

struct Parser<'s> {
    src: &'s str,
    depth: std::cell::Cell<usize>,
}

impl<'s> Parser<'s> {
    fn off(&self, i: &str) -> usize {
        self.src.len() - i.len()
    }

    /// A keyword (whole word).
    fn keyword<'a>(&self, i: &'a str, kw: &'static str) -> Res<'a, ()> {
        let i = ws(i);
        match ident_raw(i) {
            Ok((rest, w)) if w == kw => Ok((rest, ())),
            _ => error(i, kw),
        }
    }

    fn is_keyword(&self, i: &str, kw: &'static str) -> bool {
        self.keyword(i, kw).is_ok()
    }

    /// A punctuation token.
    fn punct<'a>(&self, i: &'a str, p: &'static str, label: &'static str) -> Res<'a, ()> {
        let i = ws(i);
        match tag::<_, _, PErr<'a>>(p)(i) {
            Ok((rest, _)) => Ok((rest, ())),
            Err(_) => error(i, label),
        }
    }

    /// A name that is not a keyword.
    fn name<'a>(&self, i: &'a str, label: &'static str) -> Res<'a, (String, usize)> {
        let i = ws(i);
        match ident_raw(i) {
            Ok((rest, w)) if !KEYWORDS.contains(&w) => Ok((rest, (w.to_string(), self.off(i)))),
            _ => error(i, label),
        }
    }

    fn expr<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        self.implies(i)
    }

    /// Runs `f` one level deeper, failing past [`MAX_DEPTH`].
    fn nested<'a, T>(&self, i: &'a str, f: impl FnOnce() -> Res<'a, T>) -> Res<'a, T> {
        let d = self.depth.get();
        if d >= MAX_DEPTH {
            return cut(error(ws(i), "less nesting (at most 64 levels)"));
        }
        self.depth.set(d + 1);
        let r = f();
        self.depth.set(d);
        r
    }

    fn implies<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        self.nested(i, || self.implies_inner(i))
    }

    fn implies_inner<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        let (rest, left) = self.or(i)?;
        if let Ok((after, ())) = self.keyword(rest, "implies") {
            let (rest, right) = cut(self.implies(after))?;
            let pos = left.pos;
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Bool(BoolOp::Implies, vec![left, right]),
                    pos,
                },
            ));
        }
        Ok((rest, left))
    }

    fn or<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        self.chain(i, "or", BoolOp::Or, |i| self.and(i))
    }

    fn and<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        self.chain(i, "and", BoolOp::And, |i| self.not(i))
    }

    /// `operand { keyword operand }` as one n-ary node (a loop: a chain of 100,000 terms
    /// uses no more stack than one of two).
    fn chain<'a>(
        &self,
        i: &'a str,
        keyword: &'static str,
        op: BoolOp,
        operand: impl Fn(&'a str) -> Res<'a, Expr>,
    ) -> Res<'a, Expr> {
        let (mut rest, first) = operand(i)?;
        let pos = first.pos;
        let mut operands = vec![first];
        while let Ok((after, ())) = self.keyword(rest, keyword) {
            let (r, next) = cut(operand(after))?;
            operands.push(next);
            rest = r;
        }
        if operands.len() == 1 {
            return Ok((rest, operands.remove(0)));
        }
        Ok((
            rest,
            Expr {
                kind: ExprKind::Bool(op, operands),
                pos,
            },
        ))
    }

    fn not<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        self.nested(i, || self.not_inner(i))
    }

    fn not_inner<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        if let Ok((after, ())) = self.keyword(i, "not") {
            let pos = self.off(ws(i));
            let (rest, inner) = cut(self.not(after))?;
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Not(Box::new(inner)),
                    pos,
                },
            ));
        }
        self.comparison(i)
    }

    fn cmp_op<'a>(&self, i: &'a str) -> Res<'a, CmpOp> {
        let i = ws(i);
        let symbolic: Res<'a, &str> = alt((
            tag("=="),
            tag("!="),
            tag("<="),
            tag(">="),
            tag("<"),
            tag(">"),
        ))(i);
        if let Ok((rest, op)) = symbolic {
            let op = match op {
                "==" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<=" => CmpOp::Le,
                ">=" => CmpOp::Ge,
                "<" => CmpOp::Lt,
                _ => CmpOp::Gt,
            };
            return Ok((rest, op));
        }
        if let Ok((rest, ())) = self.keyword(i, "like") {
            return Ok((rest, CmpOp::Like));
        }
        if let Ok((rest, ())) = self.keyword(i, "in") {
            return Ok((rest, CmpOp::In));
        }
        if let Ok((after_not, ())) = self.keyword(i, "not") {
            if let Ok((rest, ())) = self.keyword(after_not, "in") {
                return Ok((rest, CmpOp::NotIn));
            }
        }
        error(i, "a comparison operator")
    }

    fn comparison<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        let (rest, left) = self.primary(i)?;
        // A quantifier extends as far right as possible: nothing may follow it here.
        if matches!(left.kind, ExprKind::Quant { .. }) {
            return Ok((rest, left));
        }
        match self.cmp_op(rest) {
            Ok((after, op)) => {
                let (rest, right) = cut(self.primary(after))?;
                let pos = left.pos;
                Ok((
                    rest,
                    Expr {
                        kind: ExprKind::Cmp(op, Box::new(left), Box::new(right)),
                        pos,
                    },
                ))
            }
            Err(nom::Err::Error(e)) => {
                // Not a comparison: keep the expectation for a better message downstream.
                let _ = e;
                Ok((rest, left))
            }
            Err(e) => Err(e),
        }
    }

    fn primary<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        let start = ws(i);
        let pos = self.off(start);
        if self.is_keyword(start, "forall") || self.is_keyword(start, "exists") {
            return self.quantifier(start);
        }
        if let Ok((after, ())) = self.keyword(start, "can") {
            return self.can(after, start);
        }
        if let Ok((after, ())) = self.keyword(start, "reach") {
            return self.reach(after, start);
        }
        for (kw, lit) in [
            ("true", Literal::Bool(true)),
            ("false", Literal::Bool(false)),
            ("null", Literal::Null),
        ] {
            if let Ok((rest, ())) = self.keyword(start, kw) {
                return Ok((
                    rest,
                    Expr {
                        kind: ExprKind::Lit(lit),
                        pos,
                    },
                ));
            }
        }
        if let Ok((after, ())) = self.punct(start, "(", "`(`") {
            let (rest, inner) = cut(self.expr(after))?;
            let (rest, ()) = cut(self.punct(rest, ")", "`)`"))?;
            return Ok((rest, inner));
        }
        if let Ok((after, ())) = self.punct(start, "[", "`[`") {
            return self.list(after, pos);
        }
        if start.starts_with('"') || start.starts_with('\'') {
            let (rest, s) = cut(self.string(start))?;
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Lit(Literal::Str(s)),
                    pos,
                },
            ));
        }
        if let Ok((rest, n)) = self.number(start) {
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Lit(Literal::Num(n)),
                    pos,
                },
            ));
        }
        match self.name(start, "an expression") {
            Ok((mut rest, (root, _))) => {
                let mut fields = Vec::new();
                while let Ok((after, ())) = self.dot(rest) {
                    // No whitespace around the dot: `p. status` is an error.
                    let (r, field) = cut(match ident_raw(after) {
                        Ok((r, w)) => Ok((r, (w.to_string(), self.off(after)))),
                        Err(_) => error(after, "a field name"),
                    })?;
                    fields.push(field);
                    rest = r;
                }
                Ok((
                    rest,
                    Expr {
                        kind: ExprKind::Path { root, fields },
                        pos,
                    },
                ))
            }
            Err(_) => error(start, "an expression"),
        }
    }

    /// `.` directly after a name (no whitespace before it).
    fn dot<'a>(&self, i: &'a str) -> Res<'a, ()> {
        match char::<_, PErr<'a>>('.')(i) {
            Ok((rest, _)) => Ok((rest, ())),
            Err(_) => error(i, "`.`"),
        }
    }

    fn list<'a>(&self, i: &'a str, pos: usize) -> Res<'a, Expr> {
        let mut items = Vec::new();
        if let Ok((rest, ())) = self.punct(i, "]", "`]`") {
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::List(items),
                    pos,
                },
            ));
        }
        let mut rest = i;
        loop {
            let (r, item) = cut(self.expr(rest))?;
            items.push(item);
            match self.punct(r, ",", "`,`") {
                Ok((r2, ())) => rest = r2,
                Err(e1) => match self.punct(r, "]", "`]`") {
                    Ok((r2, ())) => {
                        return Ok((
                            r2,
                            Expr {
                                kind: ExprKind::List(items),
                                pos,
                            },
                        ))
                    }
                    Err(e2) => {
                        return cut(Err(match (e1, e2) {
                            (nom::Err::Error(a), nom::Err::Error(b)) => nom::Err::Error(a.or(b)),
                            (_, b) => b,
                        }))
                    }
                },
            }
        }
    }

    fn can<'a>(&self, i: &'a str, start: &'a str) -> Res<'a, Expr> {
        let pos = self.off(start);
        let (mut rest, ()) = cut(self.punct(i, "(", "`(` after `can`"))?;
        let mut args = Vec::new();
        loop {
            let (r, arg) = cut(self.expr(rest))?;
            args.push(arg);
            if let Ok((r2, ())) = self.punct(r, ",", "`,`") {
                rest = r2;
                continue;
            }
            let (r2, ()) = cut(self.punct(r, ")", "`,` or `)`"))?;
            rest = r2;
            break;
        }
        if !(3..=4).contains(&args.len()) {
            return cut(error(
                start,
                "3 or 4 arguments: can(principal, action, resource[, target_account])",
            ));
        }
        Ok((
            rest,
            Expr {
                kind: ExprKind::Can(args),
                pos,
            },
        ))
    }

    fn reach<'a>(&self, i: &'a str, start: &'a str) -> Res<'a, Expr> {
        let pos = self.off(start);
        let (mut rest, ()) = cut(self.punct(i, "(", "`(` after `reach`"))?;
        let mut args = Vec::new();
        loop {
            let (r, arg) = cut(self.expr(rest))?;
            args.push(arg);
            if let Ok((r2, ())) = self.punct(r, ",", "`,`") {
                rest = r2;
                continue;
            }
            let (r2, ()) = cut(self.punct(r, ")", "`,` or `)`"))?;
            rest = r2;
            break;
        }
        if !(3..=4).contains(&args.len()) {
            return cut(error(
                start,
                "3 or 4 arguments: reach(source, target, protocol[, port])",
            ));
        }
        Ok((
            rest,
            Expr {
                kind: ExprKind::Reach(args),
                pos,
            },
        ))
    }

    fn quantifier<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        let pos = self.off(i);
        let (quantifier, rest) = match self.keyword(i, "forall") {
            Ok((rest, ())) => (Quantifier::Forall, rest),
            Err(_) => (Quantifier::Exists, self.keyword(i, "exists")?.0),
        };
        let (rest, (var, _)) = cut(self.name(rest, "a variable name"))?;
        let (rest, ()) = cut(self.keyword(rest, "in"))?;
        let (rest, (collection, collection_pos)) =
            cut(self.name(rest, "a collection (peerings, vpcs, vswitches, routes, instances, users, roles, groups, policies, accounts, control_policies, events)"))?;
        let (rest, filter) = match self.keyword(rest, "where") {
            Ok((after, ())) => {
                let (r, f) = cut(self.or_level_filter(after))?;
                (r, Some(Box::new(f)))
            }
            Err(_) => (rest, None),
        };
        let (rest, ()) = cut(match self.punct(rest, ":", "`:`") {
            Ok(ok) => Ok(ok),
            Err(nom::Err::Error(e)) => Err(nom::Err::Error(if filter.is_none() {
                e.or(PErr {
                    rest: ws(rest),
                    expected: vec!["`where`"],
                })
            } else {
                e
            })),
            Err(e) => Err(e),
        })?;
        let (rest, body) = cut(self.expr(rest))?;
        Ok((
            rest,
            Expr {
                kind: ExprKind::Quant {
                    quantifier,
                    var,
                    collection,
                    collection_pos,
                    filter,
                    body: Box::new(body),
                },
                pos,
            },
        ))
    }

    /// The `where` filter: a full expression up to the `:`.
    fn or_level_filter<'a>(&self, i: &'a str) -> Res<'a, Expr> {
        self.implies(i)
    }

    fn string<'a>(&self, i: &'a str) -> Res<'a, String> {
        let quote = match i.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => return error(i, "a string"),
        };
        let mut out = String::new();
        let mut chars = i[1..].char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                c if c == quote => return Ok((&i[1 + k + 1..], out)),
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, e @ ('\\' | '"' | '\''))) => out.push(e),
                    Some((k2, _)) => {
                        return error(&i[1 + k2..], "an escape (\\\\, \\\", \\', \\n, \\t)")
                    }
                    None => return error(&i[i.len()..], "the closing quote"),
                },
                c => out.push(c),
            }
        }
        error(&i[i.len()..], "the closing quote")
    }

    fn number<'a>(&self, i: &'a str) -> Res<'a, f64> {
        let (rest, text) = recognize(tuple((
            opt(one_of("-")),
            digit1,
            opt(pair(char('.'), digit1)),
        )))(i)?;
        match text.parse::<f64>() {
            Ok(n) => Ok((rest, n)),
            Err(_) => error(i, "a number"),
        }
    }
}

fn found(rest: &str) -> String {
    let rest = ws(rest);
    if rest.is_empty() {
        return "end of input".into();
    }
    let token: String = match ident_raw(rest) {
        Ok((_, w)) => w.to_string(),
        Err(_) => rest
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(12)
            .collect(),
    };
    let token = if token.is_empty() {
        rest.chars().take(1).collect()
    } else {
        token
    };
    format!("`{token}`")
}

/// Parses one invariant. The whole input must be one expression.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let p = Parser {
        src,
        depth: std::cell::Cell::new(0),
    };
    let to_error = |rest: &str, expected: Vec<&'static str>| {
        let rest_ws = ws(rest);
        let offset = src.len() - rest_ws.len();
        let (line, column) = line_col(src, offset);
        ParseError {
            line,
            column,
            offset,
            expected: expected.into_iter().map(str::to_string).collect(),
            found: found(rest_ws),
        }
    };
    match p.expr(src) {
        Ok((rest, e)) => {
            let rest = ws(rest);
            if rest.is_empty() {
                Ok(e)
            } else {
                Err(to_error(
                    rest,
                    vec!["an operator (and, or, implies, ==, like, in, …) or end of input"],
                ))
            }
        }
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(to_error(e.rest, e.expected)),
        Err(nom::Err::Incomplete(_)) => Err(to_error("", vec!["more input"])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        parse(src).expect_err("should not parse").to_string()
    }

    #[test]
    fn parses_the_issue_example() {
        let src = "forall p in peerings where p.status == \"Activated\":\n    p.requester.rd_path like \"rd-abc/r-root/fd-prod/*\" and p.accepter.rd_path like \"rd-abc/r-root/fd-prod/*\"";
        let e = parse(src).expect("parses");
        match e.kind {
            ExprKind::Quant {
                quantifier,
                var,
                collection,
                filter,
                body,
                ..
            } => {
                assert_eq!(quantifier, Quantifier::Forall);
                assert_eq!(var, "p");
                assert_eq!(collection, "peerings");
                assert!(filter.is_some());
                assert!(matches!(body.kind, ExprKind::Bool(BoolOp::And, _)));
                assert_eq!(line_col(src, body.pos), (2, 5));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn precedence_and_associativity() {
        let e = parse("a or b and not c implies d implies e").expect("parses");
        // implies is lowest and right-associative; and binds tighter than or.
        let ExprKind::Bool(BoolOp::Implies, operands) = e.kind else {
            panic!()
        };
        assert!(matches!(operands[0].kind, ExprKind::Bool(BoolOp::Or, _)));
        assert!(matches!(
            operands[1].kind,
            ExprKind::Bool(BoolOp::Implies, _)
        ));
        // `and` and `or` chains are flat n-ary nodes.
        let e = parse("a and b and c or d or e").expect("parses");
        let ExprKind::Bool(BoolOp::Or, operands) = e.kind else {
            panic!()
        };
        assert_eq!(operands.len(), 3);
        assert!(
            matches!(&operands[0].kind, ExprKind::Bool(BoolOp::And, inner) if inner.len() == 3)
        );
    }

    #[test]
    fn literals_lists_in_and_can() {
        let e = parse(
            "x.a in [\"A\", 'b', 3, -1.5, true, null] and x.b not in accounts and can(u, \"vpc:*\", \"*\")",
        )
        .expect("parses");
        assert!(matches!(e.kind, ExprKind::Bool(BoolOp::And, _)));
        parse("exists u in users: can(u, \"ram:AttachPolicyToUser\", \"*\", \"123\")")
            .expect("4 args");
        parse("# a comment\nforall r in routes: r.next_hop_id != \"\" # trailing\n")
            .expect("comments");
    }

    #[test]
    fn errors_have_positions_and_expectations() {
        assert_eq!(
            err("forall p peerings: true"),
            "1:10: expected in, found `peerings`"
        );
        assert_eq!(
            err("forall p in peerings p.status == \"x\""),
            "1:22: expected `:` or `where`, found `p`"
        );
        assert_eq!(
            err("forall p in peerings:\n  p.status == "),
            "2:15: expected an expression, found end of input"
        );
        assert_eq!(
            err("a == \"open"),
            "1:11: expected the closing quote, found end of input"
        );
        assert_eq!(
            err("a == b c"),
            "1:8: expected an operator (and, or, implies, ==, like, in, …) or end of input, found `c`"
        );
        assert_eq!(err("(a == b"), "1:8: expected `)`, found end of input");
        assert_eq!(err("[1, 2"), "1:6: expected `,` or `]`, found end of input");
        assert_eq!(
            err("p. status"),
            "1:4: expected a field name, found `status`"
        );
        assert_eq!(
            err("can(a, b)"),
            "1:1: expected 3 or 4 arguments: can(principal, action, resource[, target_account]), found `can`"
        );
        assert_eq!(
            err("forall in x: y"),
            "1:8: expected a variable name, found `in`"
        );
        assert_eq!(err(""), "1:1: expected an expression, found end of input");
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(err(&deep).contains("less nesting"));
        assert!(err(&"not ".repeat(100_000)).contains("less nesting"));
        assert!(err(&"a implies ".repeat(100_000)).contains("less nesting"));
        assert!(parse(&format!("{}a{}", "(".repeat(20), ")".repeat(20))).is_ok());
    }
}
