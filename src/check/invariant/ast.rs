//! The syntax tree of the invariant language. Every node keeps the byte offset where it
//! starts so that evaluation errors can point at `line:column`.

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `"text"`.
    Str(String),
    /// `42`, `-1.5`.
    Num(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// `forall` or `exists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// Every element must satisfy the body.
    Forall,
    /// Some element must satisfy the body.
    Exists,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `like` (RAM wildcards `*` and `?`).
    Like,
    /// `in` (list literal or collection).
    In,
    /// `not in`.
    NotIn,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Like => "like",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
        }
    }
}

/// A boolean connective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolOp {
    /// `and`.
    And,
    /// `or`.
    Or,
    /// `implies`.
    Implies,
}

impl BoolOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BoolOp::And => "and",
            BoolOp::Or => "or",
            BoolOp::Implies => "implies",
        }
    }
}

/// An expression with its source offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Byte offset of its first character in the source.
    pub pos: usize,
}

/// The expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Lit(Literal),
    /// `[a, b, …]`.
    List(Vec<Expr>),
    /// A name (variable or collection) followed by field accesses: `p.requester.rd_path`.
    /// Each field keeps its own offset.
    Path {
        /// The first name.
        root: String,
        /// `.field` accesses, with offsets.
        fields: Vec<(String, usize)>,
    },
    /// `not e`.
    Not(Box<Expr>),
    /// `a and b and …`, `a or b or …` (n-ary: a flat chain of any length is one node, so no
    /// walk over it recurses per term), and `a implies b` (exactly two operands).
    ///
    /// INVARIANT: at least two operands; exactly two for [`BoolOp::Implies`].
    Bool(BoolOp, Vec<Expr>),
    /// `a == b`, `a like b`, `a in b`, …
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// `forall x in coll [where filter]: body`.
    Quant {
        /// forall / exists.
        quantifier: Quantifier,
        /// The bound variable.
        var: String,
        /// The collection name.
        collection: String,
        /// Offset of the collection name.
        collection_pos: usize,
        /// The optional `where` filter.
        filter: Option<Box<Expr>>,
        /// The body.
        body: Box<Expr>,
    },
    /// `can(principal, action, resource[, target_account])`.
    Can(Vec<Expr>),
    /// `reach(source, target, protocol[, port])`: network reachability (both ways).
    Reach(Vec<Expr>),
}
