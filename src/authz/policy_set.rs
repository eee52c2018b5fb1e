//! A compiled set of policies evaluated together (one stage of §6: a control-policy node, the
//! session policy, the account-scope identity policies, ...), with the basic deny-first
//! evaluation of §6.2.
//!
//! Compilation folds action patterns to lower case and compiles all of them into one matcher
//! ([`super::fast`]: distinct patterns, exact ones hashed, the others filed by service), so a
//! decision visits only the statements whose actions can match, Deny statements first;
//! `NotAction` statements (which match by exclusion) are kept in a short side list. Condition
//! keys are interned per set and each request value is resolved and parsed once per
//! evaluation. Deciding allocates nothing.

use super::condition::{CompiledCondition, Tri};
use super::context::RequestContext;
use super::fast::{
    common_literal_prefix, has_prefix, ActionMatcher, ArnPattern, Candidates, ConditionTable,
    Group, KeyTable, RequestView, SegmentTable,
};
use super::options::{EvalOptions, UnparseableValues};
use super::principal::{Principal, PrincipalKind};
use crate::policy::ast::{Effect, Policy, PrincipalForm, Statement};
use crate::policy::pattern::{fold_case, Wildcard};
use crate::policy::span::{LineIndex, Span};
use serde::Serialize;
use std::ops::ControlFlow;

/// Outcome of one basic evaluation or of a whole decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Outcome {
    /// Some Allow statement applied and no Deny did.
    Allow,
    /// A Deny statement applied.
    ExplicitDeny,
    /// Nothing applied.
    ImplicitDeny,
}

impl Outcome {
    /// The spelling used in `NoPermissionType` and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "Allow",
            Outcome::ExplicitDeny => "ExplicitDeny",
            Outcome::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// `PolicyType` of `MatchedPolicies` (§7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PolicySourceType {
    /// Customer-managed.
    Custom,
    /// Alibaba-managed (e.g. `FullAliyunAccess`).
    System,
}

/// `AttachedScope` of `MatchedPolicies` (§7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AttachedScope {
    /// Attached for the whole account.
    Account,
    /// Attached to a resource-directory folder (or the root folder).
    Folder,
    /// Attached with a resource-group scope.
    ResourceGroup,
    /// Not an attachment (session policies, resource policies, trust policies).
    None,
}

/// `AttachedEntityType` of `MatchedPolicies` (§7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AttachedEntityType {
    /// Attached to a RAM user.
    RamUser,
    /// Attached to a RAM role.
    RamRole,
    /// Attached to a RAM group the user belongs to.
    RamGroup,
    /// A control policy attached to a folder or member.
    ResourceDirectoryTarget,
    /// Not attached to an entity (session, resource and trust policies).
    None,
}

/// Where a policy in a set came from; filled into explanations and `MatchedPolicies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySource {
    /// Policy name (or control-policy id).
    pub name: String,
    /// Custom or System.
    pub source_type: PolicySourceType,
    /// Policy version (`v1`, …) for custom policies.
    pub version: Option<String>,
    /// Attachment scope.
    pub scope: AttachedScope,
    /// Entity the policy is attached to.
    pub entity: AttachedEntityType,
    /// File the policy was read from, for positions in explanations.
    pub file: Option<String>,
}

impl PolicySource {
    /// A custom policy named `name` with no particular attachment.
    pub fn custom(name: &str) -> PolicySource {
        PolicySource {
            name: name.to_string(),
            source_type: PolicySourceType::Custom,
            version: Some("v1".to_string()),
            scope: AttachedScope::Account,
            entity: AttachedEntityType::None,
            file: None,
        }
    }
}

/// A reference to one statement: which policy of the set, which statement of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct StatementRef {
    /// Index of the policy in its set.
    pub policy: usize,
    /// Index of the statement in its policy (0-based, as in `Statement[i]`).
    pub statement: usize,
}

#[derive(Debug, Clone)]
struct PatternMatcher {
    negated: bool,
    patterns: Box<[Wildcard]>,
}

impl PatternMatcher {
    fn matches(&self, text: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(text)) != self.negated
    }
}

#[derive(Debug, Clone)]
struct PrincipalMatcher {
    ram: Box<[Wildcard]>,
    service: Box<[Box<str>]>,
    federated: Box<[Wildcard]>,
    /// The OSS bucket-policy form: a bare entry equal to a RAM user's UID names that user.
    user_uids: bool,
}

impl PrincipalMatcher {
    fn new(p: &crate::policy::ast::Principal) -> PrincipalMatcher {
        PrincipalMatcher {
            ram: p
                .ram
                .iter()
                .map(|v| match p.form {
                    PrincipalForm::Object => Wildcard::new(&v.value),
                    PrincipalForm::List | PrincipalForm::Single => {
                        Wildcard::new(&bucket_principal_arn(&v.value))
                    }
                })
                .collect(),
            user_uids: p.form != PrincipalForm::Object,
            service: p.service.iter().map(|v| v.value.as_str().into()).collect(),
            federated: p
                .federated
                .iter()
                .map(|v| Wildcard::new(&v.value))
                .collect(),
        }
    }
}

/// Does the `Principal` element `element` name the caller `p` (as the evaluator decides it)?
pub fn principal_element_matches(element: &crate::policy::ast::Principal, p: &Principal) -> bool {
    PrincipalMatcher::new(element).matches(p)
}

/// The OSS bucket-policy spelling of role sessions, `arn:sts::<uid>:assumed-role/<role>/<session>`,
/// as the session ARN RAM uses (`acs:ram::<uid>:role/<role>/<session>`); other entries as written.
pub fn bucket_principal_arn(entry: &str) -> std::borrow::Cow<'_, str> {
    match entry
        .strip_prefix("arn:sts::")
        .and_then(|rest| rest.split_once(":assumed-role/"))
    {
        Some((uid, rest)) => super::ram_arn(uid, &["role/", rest]).into(),
        None => entry.into(),
    }
}

impl PrincipalMatcher {
    /// §1.1/§5.4: `*`, an account root (`acs:ram::<uid>:root` or a bare UID, covering every
    /// identity of that account), or an ARN pattern matched against the caller's ARNs; in
    /// the bucket-policy form also a RAM user's UID.
    fn matches(&self, p: &Principal) -> bool {
        let ram_identity = !matches!(p.kind, PrincipalKind::Service);
        let by_ram = ram_identity
            && self.ram.iter().any(|pat| {
                let text = pat.as_str();
                text == "*"
                    || text == p.account
                    || text
                        .strip_prefix("acs:ram::")
                        .and_then(|r| r.strip_suffix(":root"))
                        == Some(p.account.as_str())
                    || (self.user_uids && p.kind == PrincipalKind::RamUser && text == p.id)
                    || p.arns.iter().any(|arn| pat.matches(arn))
            });
        let by_service = p.kind == PrincipalKind::Service
            && self
                .service
                .iter()
                .any(|s| p.arns.iter().any(|a| a.eq_ignore_ascii_case(s)));
        let by_federated = p.kind == PrincipalKind::Federated
            && self
                .federated
                .iter()
                .any(|f| p.arns.iter().any(|a| f.matches(a)));
        by_ram || by_service || by_federated
    }
}

/// A statement ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledStatement {
    /// Which statement this is.
    pub origin: StatementRef,
    /// Allow or Deny.
    pub effect: Effect,
    /// `Sid`, if any.
    pub sid: Option<String>,
    /// Source span of the statement.
    pub span: Span,
    /// 1-based line:column of the statement, when the source text was known.
    pub line_col: Option<(usize, usize)>,
    actions: PatternMatcher,
    resources: Option<PatternMatcher>,
    principal: Option<PrincipalMatcher>,
    conditions: Box<[CompiledCondition]>,
    /// Per condition, its key's slot in the set's [`KeyTable`].
    key_slots: Box<[u16]>,
    /// Per condition, its id in the set's [`ConditionTable`].
    cond_ids: Box<[u32]>,
    /// Literal text every resource this statement's `Resource` can match starts with.
    resource_prefix: Box<str>,
    /// How the fast path checks the resource.
    resource_check: ResourceCheck,
}

/// The fast path's resource check of a statement.
#[derive(Debug, Clone)]
enum ResourceCheck {
    /// No `Resource` element, or one of its patterns is all stars: every resource.
    All,
    /// Every pattern has the segment form: checked on the ARN's fields (large sets).
    Arn(Box<[ArnPattern]>),
    /// The glob patterns (and `NotResource`).
    Glob,
}

/// Sets at least this large compare resource ARN fields as segment ids (interning the request
/// ARN's fields costs four hash lookups, repaid only when there are many candidates); smaller
/// sets compare the fields as text.
const SEGMENTS_FROM: usize = 256;

/// `hay` starts with `prefix` (inline and a word at a time: the prefixes are a few dozen
/// bytes).
#[inline]
fn starts_with(hay: &str, prefix: &str) -> bool {
    has_prefix(hay.as_bytes(), prefix.as_bytes())
}

/// One request pair as a set sees it.
#[derive(Debug, Clone, Copy)]
pub struct PairRequest<'a> {
    /// The RAM action, already case-folded (see [`fold_case`]).
    pub action: &'a str,
    /// The resource ARN (`*` for All-Resource actions).
    pub resource: &'a str,
    /// Condition-key values.
    pub context: &'a RequestContext,
    /// The caller (for `Principal` in trust and resource policies).
    pub principal: &'a Principal,
    /// Evaluation options.
    pub options: &'a EvalOptions,
}

/// How a statement fared against a request (for explanations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// Action, resource or principal do not match: conditions were not looked at.
    NotInScope,
    /// In scope; the conditions gave this verdict.
    Conditions(Tri),
}

impl CompiledStatement {
    fn compile(
        policy_index: usize,
        statement_index: usize,
        s: &Statement,
        lines: Option<(&str, &LineIndex)>,
        keys: &mut KeyTable,
        segments: &mut SegmentTable,
        conds: &mut ConditionTable,
    ) -> Self {
        let actions = PatternMatcher {
            negated: s.actions.negated,
            patterns: s
                .actions
                .patterns
                .iter()
                .map(|p| Wildcard::new(&fold_case(&p.value)))
                .collect(),
        };
        let resources = s.resources.as_ref().map(|r| PatternMatcher {
            negated: r.negated,
            patterns: r.patterns.iter().map(|p| Wildcard::new(&p.value)).collect(),
        });
        let principal = s.principal.as_ref().map(PrincipalMatcher::new);
        let resource_prefix = match &resources {
            Some(r) if !r.negated => common_literal_prefix(&r.patterns),
            _ => "".into(),
        };
        let resource_check = match &resources {
            None => ResourceCheck::All,
            Some(r) if r.negated => ResourceCheck::Glob,
            Some(r)
                if r.patterns
                    .iter()
                    .any(|p| p.as_str().bytes().all(|b| b == b'*')) =>
            {
                ResourceCheck::All
            }
            Some(r) => r
                .patterns
                .iter()
                .map(|p| ArnPattern::compile(p.as_str(), segments))
                .collect::<Option<Box<[ArnPattern]>>>()
                .map_or(ResourceCheck::Glob, ResourceCheck::Arn),
        };
        let line_col = lines.map(|(text, idx)| {
            let lc = idx.line_col(text, s.span.start);
            (lc.line, lc.column)
        });
        let conditions: Box<[CompiledCondition]> = s
            .conditions
            .iter()
            .map(CompiledCondition::compile)
            .collect();
        let key_slots: Box<[u16]> = s
            .conditions
            .iter()
            .map(|c| keys.intern(&c.key.value))
            .collect();
        let cond_ids = conditions
            .iter()
            .zip(key_slots.iter())
            .map(|(c, &k)| conds.intern(c, k))
            .collect();
        CompiledStatement {
            origin: StatementRef {
                policy: policy_index,
                statement: statement_index,
            },
            effect: s.effect,
            sid: s.sid.clone(),
            span: s.span,
            line_col,
            actions,
            resources,
            principal,
            conditions,
            key_slots,
            cond_ids,
            resource_prefix,
            resource_check,
        }
    }

    /// The compiled conditions, in document order.
    pub fn conditions(&self) -> &[CompiledCondition] {
        &self.conditions
    }

    /// Does the action (already folded) fall under `Action`/`NotAction`?
    pub fn action_in_scope(&self, folded_action: &str) -> bool {
        self.actions.matches(folded_action)
    }

    /// Resource and principal scope; the action is checked by the caller (or the index).
    fn rest_in_scope(&self, req: &PairRequest<'_>) -> bool {
        self.resources
            .as_ref()
            .is_none_or(|r| r.matches(req.resource))
            && self
                .principal
                .as_ref()
                .is_none_or(|p| p.matches(req.principal))
    }

    /// Condition block verdict (AND over conditions, Kleene logic).
    pub fn condition_verdict(&self, ctx: &RequestContext, unparseable: UnparseableValues) -> Tri {
        let mut acc = Tri::True;
        for c in self.conditions.iter() {
            acc = acc.and(c.evaluate(ctx.get(c.key()), unparseable));
            if acc == Tri::False {
                break;
            }
        }
        acc
    }

    /// The fast path's applicability: resource prefix, resource and principal scope, then the
    /// conditions over the request view; true when the statement takes effect. The action was
    /// matched by the set's [`ActionMatcher`].
    #[inline]
    fn takes_effect_fast<'r>(
        &self,
        req: &PairRequest<'r>,
        view: &mut RequestView<'r>,
        set: &PolicySet,
    ) -> bool {
        let resource = match &self.resource_check {
            ResourceCheck::All => true,
            ResourceCheck::Arn(patterns) => {
                // Large sets compare fields as segment ids (the request ARN's fields are
                // looked up once, repaid over many candidates); small ones as text.
                let segments = (set.statements.len() >= SEGMENTS_FROM).then_some(&set.segments);
                if !starts_with(req.resource, &self.resource_prefix) {
                    false
                } else {
                    match view.arn(req.resource) {
                        Some(arn) => patterns.iter().any(|p| p.matches(arn, segments)),
                        None => self.resource_glob(req.resource),
                    }
                }
            }
            ResourceCheck::Glob => self.resource_glob(req.resource),
        };
        if !resource
            || !self
                .principal
                .as_ref()
                .is_none_or(|p| p.matches(req.principal))
        {
            return false;
        }
        let keys = &set.keys;
        let unparseable = req.options.unparseable_values;
        let mut acc = Tri::True;
        let conds = self
            .conditions
            .iter()
            .zip(self.key_slots.iter())
            .zip(self.cond_ids.iter());
        for ((c, &slot), &id) in conds {
            // A condition other candidates share is evaluated once per request.
            let memo = set.conds.memo_slot(id);
            let verdict = match memo.and_then(|m| view.memo(m)) {
                Some(v) => v,
                None => {
                    let key = keys.spelling(slot);
                    let values = view.get(slot, key);
                    let ip = if c.is_ip() { view.ip(slot, key) } else { None };
                    let v = c.evaluate_parsed(values, ip, unparseable);
                    if let Some(m) = memo {
                        view.set_memo(m, v);
                    }
                    v
                }
            };
            acc = acc.and(verdict);
            if acc == Tri::False {
                break;
            }
        }
        self.takes_effect(acc)
    }

    /// The resource globs, after the literal-prefix test.
    #[inline]
    fn resource_glob(&self, resource: &str) -> bool {
        starts_with(resource, &self.resource_prefix)
            && self.resources.as_ref().is_none_or(|r| r.matches(resource))
    }

    /// Full applicability check of this statement against a request.
    pub fn applies_to(&self, req: &PairRequest<'_>) -> Applies {
        if !self.action_in_scope(req.action) || !self.rest_in_scope(req) {
            return Applies::NotInScope;
        }
        Applies::Conditions(self.condition_verdict(req.context, req.options.unparseable_values))
    }

    /// Whether the statement takes effect: Allow needs a definite true, Deny fires unless the
    /// conditions are definitely false (fail closed per effect).
    pub fn takes_effect(&self, verdict: Tri) -> bool {
        match self.effect {
            Effect::Allow => verdict == Tri::True,
            Effect::Deny => verdict != Tri::False,
        }
    }
}

/// A compiled, indexed set of policies.
#[derive(Debug, Clone)]
pub struct PolicySet {
    sources: Vec<PolicySource>,
    statements: Vec<CompiledStatement>,
    actions: ActionMatcher,
    keys: KeyTable,
    segments: SegmentTable,
    conds: ConditionTable,
    /// `NotAction` statements: they match by exclusion and must always be checked.
    by_exclusion: Vec<u32>,
}

impl Default for PolicySet {
    fn default() -> Self {
        PolicySet::new()
    }
}

impl PolicySet {
    /// An empty set (evaluates to ImplicitDeny).
    pub fn new() -> PolicySet {
        PolicySet {
            sources: Vec::new(),
            statements: Vec::new(),
            actions: ActionMatcher::default(),
            keys: KeyTable::default(),
            segments: SegmentTable::default(),
            conds: ConditionTable::default(),
            by_exclusion: Vec::new(),
        }
    }

    /// Adds a validated policy; `text` (the source) enables line:column positions.
    pub fn add(&mut self, policy: &Policy, source: PolicySource, text: Option<&str>) {
        let policy_index = self.sources.len();
        self.sources.push(source);
        let line_index = text.map(LineIndex::new);
        let lines = text.zip(line_index.as_ref());
        for (i, s) in policy.statements.iter().enumerate() {
            let stmt_id = self.statements.len() as u32;
            let compiled = CompiledStatement::compile(
                policy_index,
                i,
                s,
                lines,
                &mut self.keys,
                &mut self.segments,
                &mut self.conds,
            );
            if compiled.actions.negated {
                self.by_exclusion.push(stmt_id);
            } else {
                for p in compiled.actions.patterns.iter() {
                    self.actions
                        .insert(p, stmt_id, compiled.effect == Effect::Deny);
                }
            }
            self.statements.push(compiled);
        }
        self.actions.seal();
        let statements = &self.statements;
        self.actions
            .file_resources(|id, f| match &statements.get(id as usize)?.resource_check {
                ResourceCheck::Arn(patterns) => patterns.iter().map(|p| p.field_id(f)).collect(),
                ResourceCheck::All | ResourceCheck::Glob => None,
            });
    }

    /// Builds a set from `(policy, source)` pairs.
    pub fn from_policies<'p>(
        policies: impl IntoIterator<Item = (&'p Policy, PolicySource)>,
    ) -> PolicySet {
        let mut set = PolicySet::new();
        for (p, s) in policies {
            set.add(p, s, None);
        }
        set
    }

    /// The policies of the set, in insertion order.
    pub fn sources(&self) -> &[PolicySource] {
        &self.sources
    }

    /// All statements, in insertion order.
    pub fn statements(&self) -> &[CompiledStatement] {
        &self.statements
    }

    /// True when the set holds no policy.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Whether evaluating this set can read a request's resource: some statement has a
    /// `NotResource`, or a `Resource` none of whose patterns is all stars. When false,
    /// [`PolicySet::evaluate`] answers pairs that differ only in their resource alike.
    pub fn reads_resource(&self) -> bool {
        self.statements
            .iter()
            .any(|s| !matches!(s.resource_check, ResourceCheck::All))
    }

    /// Does a statement of `list` take effect? Only those that can match the request's resource
    /// are tested when the list is filed by an ARN field ([`Candidates`]).
    #[inline(always)]
    fn any_takes_effect<'r>(
        &self,
        list: &Candidates,
        req: &PairRequest<'r>,
        view: &mut RequestView<'r>,
    ) -> bool {
        let applies = |id: &u32, view: &mut RequestView<'r>| {
            self.statements
                .get(*id as usize)
                .is_some_and(|s| s.takes_effect_fast(req, view, self))
        };
        match list.filed_by() {
            None => list.ids().iter().any(|id| applies(id, view)),
            Some(field) => {
                let value = view.arn_field_id(req.resource, field, &self.segments);
                list.select(value)
                    .iter()
                    .any(|ids| ids.iter().any(|id| applies(id, view)))
            }
        }
    }

    /// Basic evaluation (§6.2): any applicable Deny → ExplicitDeny; else any applicable Allow →
    /// Allow; else ImplicitDeny. `req.action` must be folded.
    ///
    /// Deny candidates of every matching action pattern are tested first; the Allow candidates
    /// after them, until one applies. `NotAction` statements are tested in the same two passes.
    pub fn evaluate(&self, req: &PairRequest<'_>) -> Outcome {
        let mut view = RequestView::new(req.context);
        let stmt = |id: u32| self.statements.get(id as usize);
        let mut allowed = false;
        for &id in &self.by_exclusion {
            if let Some(s) = stmt(id) {
                if (s.effect == Effect::Allow && allowed) || !s.action_in_scope(req.action) {
                    continue;
                }
                if s.takes_effect_fast(req, &mut view, self) {
                    match s.effect {
                        Effect::Deny => return Outcome::ExplicitDeny,
                        Effect::Allow => allowed = true,
                    }
                }
            }
        }
        // The groups matching the action, then two plain passes over them: Deny candidates
        // of every group, then Allow candidates until one applies. (Testing candidates inside
        // the matcher's callback outlined it, a call per group.)
        const KEEP: usize = 16;
        let mut groups: [Option<&Group>; KEEP] = [None; KEEP];
        let mut found = 0usize;
        let complete = self
            .actions
            .for_each_group(req.action, |g| match groups.get_mut(found) {
                Some(slot) => {
                    *slot = Some(g);
                    found += 1;
                    ControlFlow::Continue(())
                }
                None => ControlFlow::Break(()),
            })
            .is_continue();
        if !complete {
            return self.evaluate_many_groups(req, &mut view, allowed);
        }
        let groups = groups.get(..found).unwrap_or_default();
        if groups
            .iter()
            .flatten()
            .any(|g| self.any_takes_effect(&g.deny, req, &mut view))
        {
            return Outcome::ExplicitDeny;
        }
        if allowed
            || groups
                .iter()
                .flatten()
                .any(|g| self.any_takes_effect(&g.allow, req, &mut view))
        {
            Outcome::Allow
        } else {
            Outcome::ImplicitDeny
        }
    }

    /// [`PolicySet::evaluate`]'s passes for an action matching more groups than it keeps:
    /// the matcher is run once per pass. `allowed`: a `NotAction` Allow already applies.
    #[cold]
    fn evaluate_many_groups<'r>(
        &self,
        req: &PairRequest<'r>,
        view: &mut RequestView<'r>,
        allowed: bool,
    ) -> Outcome {
        let mut pass = |deny: bool| {
            self.actions
                .for_each_group(req.action, |g| {
                    let list = if deny { &g.deny } else { &g.allow };
                    if self.any_takes_effect(list, req, view) {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                })
                .is_break()
        };
        if pass(true) {
            Outcome::ExplicitDeny
        } else if allowed || pass(false) {
            Outcome::Allow
        } else {
            Outcome::ImplicitDeny
        }
    }
}

/// Eight ASCII bytes lower-cased at once: a byte gets `0x20` added when it is in `A..=Z`
/// (bit 7 of `b + 0x3f` says `b >= 'A'`, bit 7 of `b + 0x25` says `b > 'Z'`; no carry crosses
/// a byte while every byte is below `0x80`). Bytes from `0x80` give garbage: the caller
/// checks for them and takes the general path.
#[inline(always)]
fn fold_word(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let ge_a = w.wrapping_add(0x3f * ONES);
    let gt_z = w.wrapping_add(0x25 * ONES);
    w | ((ge_a & !gt_z & (0x80 * ONES)) >> 2)
}

/// Folds `action` for matching and calls `f` with it, using a stack buffer for the common
/// ASCII case so the hot path does not allocate: one pass copies, lower-cases and checks that
/// every byte is ASCII, eight bytes at a time (no `memcpy` call, no UTF-8 validation of the
/// copy).
#[inline]
pub fn with_folded_action<R>(action: &str, f: impl FnOnce(&str) -> R) -> R {
    const SHORT: usize = 64;
    const CAP: usize = 256;
    #[inline(always)]
    fn fold_into<R>(action: &str, buf: &mut [u8], f: impl FnOnce(&str) -> R) -> R {
        use crate::swar::{tail_word, word};
        let src = action.as_bytes();
        let n = src.len();
        if n > buf.len() || buf.len() < 8 {
            return f(&fold_case(action));
        }
        let mut high = 0u64;
        let mut fold_at = |at: usize, w: u64| {
            high |= w;
            if let Some(o) = buf.get_mut(at..at + 8) {
                o.copy_from_slice(&fold_word(w).to_le_bytes());
            }
        };
        let mut at = 0;
        while let Some(chunk) = src.get(at..at + 8) {
            fold_at(at, word(chunk));
            at += 8;
        }
        if at < n {
            // The last partial word: from eight bytes on, the eight ending the action
            // (overlapping the previous word, folded the same again); below, the zero-padded
            // bytes (the buffer has room for the whole word).
            match src.last_chunk::<8>() {
                Some(last) => fold_at(n - 8, u64::from_le_bytes(*last)),
                None => fold_at(0, tail_word(src)),
            }
        }
        if high & 0x8080_8080_8080_8080 != 0 {
            return f(&fold_case(action));
        }
        let Some(out) = buf.get(..n) else {
            return f(&fold_case(action));
        };
        // SAFETY: every byte of `out` is ASCII (`high < 0x80`, checked above), so the slice is
        // valid UTF-8.
        f(unsafe { std::str::from_utf8_unchecked(out) })
    }
    if action.len() <= SHORT {
        fold_into(action, &mut [0u8; SHORT], f)
    } else if action.len() <= CAP {
        fold_into(action, &mut [0u8; CAP], f)
    } else {
        f(&fold_case(action))
    }
}

#[cfg(test)]
mod bucket_policy_tests {
    use super::*;
    use crate::policy::{read_policy, PolicyKind, ReadOptions};

    #[test]
    fn bucket_principals_use_the_session_arn_ram_knows() {
        assert_eq!(
            bucket_principal_arn("arn:sts::111:assumed-role/reader/*"),
            "acs:ram::111:role/reader/*"
        );
        assert_eq!(bucket_principal_arn("123"), "123");
        assert_eq!(
            bucket_principal_arn("arn:sts::111:user/x"),
            "arn:sts::111:user/x"
        );
    }

    /// A user's UID names the user only in the bucket-policy form; in `{"RAM": [...]}` it
    /// stays an account UID.
    #[test]
    fn user_uids_name_users_in_the_bucket_form_only() {
        let doc = |principal: &str| {
            format!(
                r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"oss:GetObject","Resource":"*","Principal":{principal}}}]}}"#
            )
        };
        let user = Principal::new(PrincipalKind::RamUser, "111", "2001");
        let decide = |text: &str| {
            let policy = read_policy(text, PolicyKind::Resource, &ReadOptions::default())
                .policy
                .expect("policy");
            let mut set = PolicySet::new();
            set.add(&policy, PolicySource::custom("bucket"), None);
            let ctx = RequestContext::new();
            let options = EvalOptions::default();
            with_folded_action("oss:GetObject", |action| {
                set.evaluate(&PairRequest {
                    action,
                    resource: "acs:oss:*:222:b/o",
                    context: &ctx,
                    principal: &user,
                    options: &options,
                })
            })
        };
        assert_eq!(decide(&doc(r#"["2001"]"#)), Outcome::Allow);
        assert_eq!(decide(&doc(r#""2001""#)), Outcome::Allow);
        assert_eq!(decide(&doc(r#"{"RAM":["2001"]}"#)), Outcome::ImplicitDeny);
        assert_eq!(decide(&doc(r#"["111"]"#)), Outcome::Allow);
        assert_eq!(decide(&doc(r#"["2002"]"#)), Outcome::ImplicitDeny);
    }
}

#[cfg(test)]
mod fold_tests {
    use super::*;

    /// The word-at-a-time fold lower-cases exactly `A..=Z`, in every byte position, and the
    /// folded action is `fold_case`'s for ASCII and non-ASCII text of every length.
    #[test]
    fn folding_a_word_at_a_time_agrees_with_fold_case() {
        for b in 0u8..0x80 {
            for pos in 0..8 {
                let mut w = *b"aZ09:@[`";
                w[pos] = b;
                let folded = fold_word(u64::from_le_bytes(w)).to_le_bytes();
                assert_eq!(folded, w.map(|c| c.to_ascii_lowercase()), "{b:#x} at {pos}");
            }
        }
        let long = "Ecs:DescribeInstances".repeat(4);
        let longer = "X".repeat(300);
        for action in [
            "",
            "A",
            "ecs:DescribeInstances",
            "ECS:DESCRIBEINSTANCESATTRIBUTE@[`{",
            "oss:GetObjéct",
            "Σ:ΟΔΟΣ",
            long.as_str(),
            longer.as_str(),
        ] {
            for cut in 0..=action.len() {
                if let Some(a) = action.get(..cut) {
                    with_folded_action(a, |f| assert_eq!(f, fold_case(a), "{a}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod filing_tests {
    use super::*;
    use crate::policy::{read_policy, PolicyKind, ReadOptions};
    use proptest::prelude::*;

    /// A resource field: a literal from a small alphabet (so lists share values) or `*`.
    fn field(values: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop_oneof![
            3 => proptest::sample::select(values).prop_map(str::to_string),
            1 => Just("*".to_string()),
        ]
    }

    fn pattern() -> impl Strategy<Value = String> {
        (
            field(&["ecs", "vpc"]),
            field(&["cn-a", "cn-b", "cn-c"]),
            field(&["111", "222"]),
            field(&["instance", "disk", "image"]),
            prop_oneof![Just("*"), Just("i-1"), Just("i-*")],
        )
            .prop_map(|(s, r, a, t, id)| match (t.as_str(), id) {
                ("*", _) => format!("acs:{s}:{r}:{a}:*"),
                (t, id) => format!("acs:{s}:{r}:{a}:{t}/{id}"),
            })
    }

    /// A statement: effect, one or two resource patterns (or every resource), and sometimes a
    /// condition, all on one action so that they share a candidate list long enough to file.
    fn statement() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            prop_oneof![
                4 => proptest::collection::vec(pattern(), 1..3),
                1 => Just(vec!["*".to_string()]),
            ],
            any::<bool>(),
        )
            .prop_map(|(deny, mut resources, conditioned)| {
                resources.dedup();
                let condition = if conditioned {
                    r#","Condition":{"Bool":{"acs:SecureTransport":"true"}}"#
                } else {
                    ""
                };
                format!(
                    r#"{{"Effect":"{}","Action":"ecs:DescribeInstances","Resource":{}{condition}}}"#,
                    if deny { "Deny" } else { "Allow" },
                    serde_json::to_string(&resources).unwrap_or_default()
                )
            })
    }

    fn request_arn() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (
                proptest::sample::select(&["ecs", "vpc", "oss"][..]),
                proptest::sample::select(&["cn-a", "cn-b", "cn-d"][..]),
                proptest::sample::select(&["111", "222", "333"][..]),
                proptest::sample::select(&["instance", "disk", "bucket"][..]),
                proptest::sample::select(&["i-1", "i-2", ""][..]),
            )
                .prop_map(|(s, r, a, t, id)| format!("acs:{s}:{r}:{a}:{t}/{id}")),
            // not five fields: the lists are not filtered by field then
            1 => Just("acs:ecs:cn-a:111:instance/i-1:x".to_string()),
            1 => Just("*".to_string()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Candidate lists filed by a resource field decide as every statement checked one by
        /// one would (§6.2 deny first; a Deny under an unknown condition applies).
        #[test]
        fn filed_lists_decide_as_a_full_scan(
            statements in proptest::collection::vec(statement(), 8..60),
            requests in proptest::collection::vec((request_arn(), any::<bool>()), 1..20),
        ) {
            // Several documents (each under the size limit): lists are filed again as they grow.
            let mut set = PolicySet::new();
            for chunk in statements.chunks(10) {
                let text = format!(r#"{{"Version":"1","Statement":[{}]}}"#, chunk.join(","));
                let policy = read_policy(&text, PolicyKind::Identity, &ReadOptions::default())
                    .policy
                    .ok_or_else(|| TestCaseError::fail(format!("rejected: {text}")))?;
                set.add(&policy, PolicySource::custom("p"), None);
            }
            let user = Principal::new(PrincipalKind::RamUser, "111", "2001");
            let options = EvalOptions::default();
            for (resource, secure) in &requests {
                let mut ctx = RequestContext::new();
                if *secure {
                    ctx.insert("acs:SecureTransport", "true");
                }
                let req = PairRequest {
                    action: "ecs:describeinstances",
                    resource,
                    context: &ctx,
                    principal: &user,
                    options: &options,
                };
                let scan = |effect: Effect| {
                    set.statements().iter().any(|s| {
                        s.effect == effect
                            && matches!(s.applies_to(&req), Applies::Conditions(v) if s.takes_effect(v))
                    })
                };
                let expected = if scan(Effect::Deny) {
                    Outcome::ExplicitDeny
                } else if scan(Effect::Allow) {
                    Outcome::Allow
                } else {
                    Outcome::ImplicitDeny
                };
                prop_assert_eq!(set.evaluate(&req), expected, "{:?} on {}", statements, resource);
            }
        }
    }

    /// The workload shape that motivated filing: a long list on one action is filed, and a
    /// request then visits only the statements that can match its resource.
    #[test]
    fn long_lists_are_filed_by_the_most_selective_field() {
        let statements: Vec<String> = (0..40)
            .map(|i| {
                format!(
                    r#"{{"Effect":"Allow","Action":"ecs:DescribeInstances","Resource":"acs:ecs:*:111:type{}/*"}}"#,
                    i % 10
                )
            })
            .collect();
        let text = format!(
            r#"{{"Version":"1","Statement":[{}]}}"#,
            statements.join(",")
        );
        let policy = read_policy(&text, PolicyKind::Identity, &ReadOptions::default())
            .policy
            .expect("policy");
        let mut set = PolicySet::new();
        set.add(&policy, PolicySource::custom("p"), None);
        let mut lists = Vec::new();
        let _ = set
            .actions
            .for_each_group("ecs:describeinstances", |g| -> ControlFlow<()> {
                lists.push((g.allow.filed_by(), g.allow.select(None).map(<[u32]>::len)));
                ControlFlow::Continue(())
            });
        // filed by the resource type (field 3); unfiltered, all 40 ids
        assert_eq!(lists, vec![(Some(3), [40, 0])]);
        // a request of type3 visits the four statements naming it; a type no statement names,
        // none
        let ctx = RequestContext::new();
        let visits = |arn: &str| {
            let mut view = RequestView::new(&ctx);
            let value = view.arn_field_id(arn, 3, &set.segments);
            let mut lens = Vec::new();
            let _ = set
                .actions
                .for_each_group("ecs:describeinstances", |g| -> ControlFlow<()> {
                    lens.push(g.allow.select(value).map(<[u32]>::len));
                    ControlFlow::Continue(())
                });
            lens
        };
        assert_eq!(visits("acs:ecs:cn-a:111:type3/i-1"), vec![[4, 0]]);
        assert_eq!(visits("acs:ecs:cn-a:111:other/i-1"), vec![[0, 0]]);
    }
}
