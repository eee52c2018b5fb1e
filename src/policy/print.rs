//! Canonical printing of a policy: fixed element order, the source's string-or-array choice
//! kept. `read(print(p))` gives back `p` (up to spans), which a property test checks.

use super::ast::{Condition, PatternList, Policy, Principal, PrincipalForm, Spanned, Statement};
use serde_json::{Map, Value};

fn strings(values: &[Spanned<String>], single: bool) -> Value {
    match values {
        [one] if single => Value::String(one.value.clone()),
        _ => Value::Array(
            values
                .iter()
                .map(|v| Value::String(v.value.clone()))
                .collect(),
        ),
    }
}

fn pattern_list(list: &PatternList) -> Value {
    strings(&list.patterns, list.single)
}

fn principal(p: &Principal) -> Value {
    match p.form {
        PrincipalForm::List => return strings(&p.ram, false),
        PrincipalForm::Single => return strings(&p.ram, true),
        PrincipalForm::Object => {}
    }
    let mut m = Map::new();
    for (name, vals) in [
        ("RAM", &p.ram),
        ("Service", &p.service),
        ("Federated", &p.federated),
    ] {
        if !vals.is_empty() {
            m.insert(name.to_string(), strings(vals, false));
        }
    }
    Value::Object(m)
}

fn conditions(conds: &[Condition]) -> Value {
    let mut ops: Map<String, Value> = Map::new();
    for c in conds {
        let entry = ops
            .entry(c.operator.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(keys) = entry {
            keys.insert(c.key.value.clone(), strings(&c.values, c.single));
        }
    }
    Value::Object(ops)
}

/// The statement as a JSON object in canonical element order.
pub fn statement_json(s: &Statement) -> Value {
    let mut m = Map::new();
    if let Some(sid) = &s.sid {
        m.insert("Sid".into(), Value::String(sid.clone()));
    }
    m.insert("Effect".into(), Value::String(s.effect.as_str().into()));
    if let Some(p) = &s.principal {
        m.insert("Principal".into(), principal(p));
    }
    let action_key = if s.actions.negated {
        "NotAction"
    } else {
        "Action"
    };
    m.insert(action_key.into(), pattern_list(&s.actions));
    if let Some(r) = &s.resources {
        let key = if r.negated { "NotResource" } else { "Resource" };
        m.insert(key.into(), pattern_list(r));
    }
    if !s.conditions.is_empty() {
        m.insert("Condition".into(), conditions(&s.conditions));
    }
    Value::Object(m)
}

/// The policy as a JSON value in canonical element order.
pub fn policy_json(p: &Policy) -> Value {
    let mut m = Map::new();
    m.insert("Version".into(), Value::String("1".into()));
    m.insert(
        "Statement".into(),
        Value::Array(p.statements.iter().map(statement_json).collect()),
    );
    Value::Object(m)
}

/// The policy as pretty-printed canonical JSON text.
pub fn to_canonical_string(p: &Policy) -> String {
    serde_json::to_string_pretty(&policy_json(p)).unwrap_or_default()
}
