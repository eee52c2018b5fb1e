//! `${…}` substitution in scenario steps: world handles (`${vpc:NAME}`, `${vsw:NAME}`,
//! `${rt:NAME}`, `${sg:NAME}`, `${nacl:NAME}`, `${uid:ALIAS}`) and values saved from earlier
//! responses (`${name}`).

use crate::cloud::World;
use serde_json::Value;
use std::collections::BTreeMap;

/// The world handles `${…}` may name (besides values saved by scenario steps).
pub const HANDLES: &str =
    "${vpc:NAME}, ${vsw:NAME}, ${rt:NAME}, ${sg:NAME}, ${nacl:NAME}, ${uid:ALIAS}";

/// Resolves one `${var}`; `saved` is `None` outside scenarios (`ramsim call`), where only world
/// handles exist.
fn resolve(
    world: &World,
    saved: Option<&BTreeMap<String, String>>,
    var: &str,
) -> Result<String, String> {
    let unique = |mut found: Vec<String>, what: &str| match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!("`${{{var}}}`: no {what}")),
        _ => Err(format!(
            "`${{{var}}}`: several {what}s match; names must be unique"
        )),
    };
    let vpc_named = |name: &str| {
        unique(
            world
                .vpcs()
                .filter(|v| v.name == name)
                .map(|v| v.vpc_id.clone())
                .collect(),
            "VPC with that name",
        )
        .map_err(|e| {
            let names: Vec<&str> = world.vpcs().map(|v| v.name.as_str()).collect();
            match crate::suggest::closest(name, names) {
                Some(s) if s != name => format!("{e} (did you mean `{s}`?)"),
                _ => e,
            }
        })
    };
    match var.split_once(':') {
        Some(("vpc", name)) => vpc_named(name),
        Some(("vsw", name)) => {
            let vpc = vpc_named(name)?;
            let first = world
                .vswitches_of(&vpc)
                .next()
                .map(|s| s.vswitch_id.clone());
            first.ok_or_else(|| format!("`${{{var}}}`: VPC `{name}` has no vSwitch"))
        }
        Some(("rt", name)) => {
            let vpc = vpc_named(name)?;
            world
                .vpc(&vpc)
                .map(|v| v.system_route_table_id.clone())
                .ok_or_else(|| format!("`${{{var}}}`: no VPC `{name}`"))
        }
        Some(("sg", name)) => unique(
            world
                .ecs()
                .security_groups
                .values()
                .filter(|g| g.name == name)
                .map(|g| g.security_group_id.clone())
                .collect(),
            "security group with that name",
        ),
        Some(("nacl", name)) => unique(
            world
                .nacl()
                .acls
                .values()
                .filter(|a| a.name == name)
                .map(|a| a.network_acl_id.clone())
                .collect(),
            "network ACL with that name",
        ),
        Some(("uid", alias)) => world
            .uid_by_alias(alias)
            .map(str::to_string)
            .ok_or_else(|| format!("`${{{var}}}`: no account with alias `{alias}`")),
        _ => match saved {
            Some(saved) => saved.get(var).cloned().ok_or_else(|| {
                format!(
                    "`${{{var}}}`: nothing saved under that name (use `save` in an earlier step)"
                )
            }),
            None => Err(format!(
                "`${{{var}}}`: not a world handle (handles: {HANDLES})"
            )),
        },
    }
}

/// Replaces every `${…}` in `text`.
pub fn substitute(
    text: &str,
    world: &World,
    saved: &BTreeMap<String, String>,
) -> Result<String, String> {
    substitute_with(text, world, Some(saved))
}

/// Replaces the world handles (`${vpc:NAME}`, …) in every string of a JSON value; any other
/// `${…}` is an error. For requests outside scenarios (`ramsim call`).
pub fn substitute_handles(v: &Value, world: &World) -> Result<Value, String> {
    map_strings(v, &|s| substitute_with(s, world, None))
}

fn substitute_with(
    text: &str,
    world: &World,
    saved: Option<&BTreeMap<String, String>>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{text}`"))?;
        out.push_str(&resolve(world, saved, &after[..end])?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Replaces `${…}` in every string of a JSON value.
pub fn substitute_json(
    v: &Value,
    world: &World,
    saved: &BTreeMap<String, String>,
) -> Result<Value, String> {
    map_strings(v, &|s| substitute(s, world, saved))
}

/// `v` with `f` applied to every string in it.
fn map_strings(v: &Value, f: &dyn Fn(&str) -> Result<String, String>) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => Value::String(f(s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| map_strings(i, f))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                out.insert(k.clone(), map_strings(x, f)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// True when every field of `expected` is in `actual` with the same value: objects recurse,
/// and an array matches an array of the same length whose items match item by item (so a row
/// of a list can name only the fields that matter).
pub fn partial_match(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, ev)| a.get(k).is_some_and(|av| partial_match(ev, av))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(ev, av)| partial_match(ev, av))
        }
        (Value::Number(e), Value::String(a)) | (Value::String(a), Value::Number(e)) => {
            e.to_string() == *a
        }
        _ => expected == actual,
    }
}

#[cfg(test)]
mod partial_match_tests {
    use super::partial_match;
    use serde_json::json;

    #[test]
    fn objects_name_what_matters_and_arrays_match_item_by_item() {
        let actual = json!({"Rows": [{"Id": "a", "Type": "Custom"}, {"Id": "b", "Type": "System"}], "Total": 2});
        assert!(partial_match(&json!({"Total": 2}), &actual));
        assert!(partial_match(
            &json!({"Rows": [{"Id": "a"}, {"Type": "System"}]}),
            &actual
        ));
        assert!(
            partial_match(&json!({"Total": "2"}), &actual),
            "numbers match their text"
        );
        // The same length, in order.
        assert!(!partial_match(&json!({"Rows": [{"Id": "a"}]}), &actual));
        assert!(!partial_match(
            &json!({"Rows": [{"Id": "b"}, {"Id": "a"}]}),
            &actual
        ));
        assert!(!partial_match(
            &json!({"Rows": [{"Id": "a"}, {"Id": "c"}]}),
            &actual
        ));
        assert!(!partial_match(&json!({"Missing": 1}), &actual));
        assert!(!partial_match(&json!({"Rows": {"Id": "a"}}), &actual));
    }
}
