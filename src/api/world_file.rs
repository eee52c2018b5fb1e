//! Reading a world file's text into its three parts: the network world ([`WorldSpec`]), the
//! `identity` section ([`IamSpec`]) and the `seed`.
//!
//! Why two paths: the straightforward reading builds a `serde_json::Value` of the whole file and
//! converts its parts, which for a world of 100,000 instances cost more than building the world
//! itself (an ordered map per object, then a second pass). The typed path reads the top level as
//! borrowed raw slices and parses each part straight into its type. Any failure sends the text
//! down the `Value` path, whose messages are the ones users see, so errors are unchanged; on
//! success both paths give the same parts (tests below, over every bundled world).

use crate::cloud::WorldSpec;
use crate::iam::spec::IamSpec;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// The parts of a world file, or the error users see (`invalid JSON: …`, `world: …`, or a rule
/// of the top level). The `identity` section's own error (`identity: …`) comes separately:
/// callers report it only after the world has built, so of two faults the world's is named.
pub(crate) fn parse_world_text(text: &str) -> Result<Parts, String> {
    match parse_typed(text) {
        Some((world, identity, seed)) => Ok((world, Ok(identity), seed)),
        None => parse_via_value(text),
    }
}

/// A world file's world, its identity section (or that section's error) and its seed.
pub(crate) type Parts = (WorldSpec, Result<IamSpec, String>, u64);

/// The typed path: `None` whenever anything is off (the `Value` path then explains it).
fn parse_typed(text: &str) -> Option<(WorldSpec, IamSpec, u64)> {
    // Borrowed keys only: a key with an escape fails here and takes the other path. Duplicate
    // keys keep the last value, as the `Value` path does.
    let top: HashMap<&str, &RawValue> = serde_json::from_str(text).ok()?;
    let mut world = String::with_capacity(text.len() + 2);
    world.push('{');
    let (mut identity, mut seed) = (IamSpec::default(), 0);
    for (key, raw) in top {
        match key {
            "identity" => identity = serde_json::from_str(raw.get()).ok()?,
            "seed" => {
                seed = serde_json::from_str::<serde_json::Value>(raw.get())
                    .ok()?
                    .as_u64()?
            }
            _ => {
                if world.len() > 1 {
                    world.push(',');
                }
                // A borrowed key holds no quote, backslash or control character.
                world.push('"');
                world.push_str(key);
                world.push_str("\":");
                world.push_str(raw.get());
            }
        }
    }
    world.push('}');
    Some((serde_json::from_str(&world).ok()?, identity, seed))
}

/// The reference path, through a `serde_json::Value` of the whole file.
fn parse_via_value(text: &str) -> Result<Parts, String> {
    let mut value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = value
        .as_object_mut()
        .ok_or("a world file is a JSON object")?;
    let identity = obj.remove("identity");
    let seed = match obj.remove("seed") {
        None => 0,
        Some(v) => v.as_u64().ok_or("`seed` must be a non-negative integer")?,
    };
    let spec: WorldSpec = serde_json::from_value(value).map_err(|e| format!("world: {e}"))?;
    let iam_spec = match identity {
        None => Ok(IamSpec::default()),
        Some(v) => serde_json::from_value(v).map_err(|e| format!("identity: {e}")),
    };
    Ok((spec, iam_spec, seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the typed path answers, it gives the Value path's parts (IamSpec compared through
    /// Debug: it has no PartialEq). Where it gives up, `parse_world_text` is the Value path.
    fn agree(text: &str) {
        if let Some((w, i, s)) = parse_typed(text) {
            let (rw, ri, rs) = parse_via_value(text).unwrap_or_else(|e| {
                panic!("typed path accepted what the Value path refuses ({e}): {text:.200}")
            });
            let ri = ri.unwrap_or_else(|e| panic!("typed path accepted a bad identity ({e})"));
            assert_eq!(w, rw);
            assert_eq!(format!("{i:?}"), format!("{ri:?}"));
            assert_eq!(s, rs);
        }
    }

    #[test]
    fn both_paths_read_every_bundled_world_alike() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/worlds");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).expect("corpus/worlds") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).expect("read");
                assert!(parse_typed(&text).is_some(), "{}", path.display());
                agree(&text);
                n += 1;
            }
        }
        assert!(n >= 10, "only {n} worlds");
    }

    #[test]
    fn refusals_take_the_value_path_and_keep_its_messages() {
        for (text, needle) in [
            ("[1]", "a world file is a JSON object"),
            ("{\"seed\": -1}", "`seed` must be a non-negative integer"),
            ("{\"seed\": 1.5}", "`seed` must be a non-negative integer"),
            ("{\"seed\": null}", "`seed` must be a non-negative integer"),
            ("{\"colour\": 1}", "world: unknown field `colour`"),
            ("{\"identity\": null}", "identity: invalid type: null"),
            ("{\"identity\": {\"x\": 1}}", "identity: unknown field `x`"),
            ("{\"vpcs\": 3", "invalid JSON"),
        ] {
            assert!(parse_typed(text).is_none(), "{text}");
            let e = match parse_world_text(text) {
                Ok((_, identity, _)) => identity.err().unwrap_or_default(),
                Err(e) => e,
            };
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn escaped_and_duplicate_keys_read_as_the_value_path_reads_them() {
        agree(r#"{"seed": 3, "seed": 7}"#);
        agree(r#"{"se\u0065d": 9}"#);
        agree(r#"{"accounts": [], "accounts": [{"uid": "1234567890123456", "alias": "A"}]}"#);
        assert_eq!(
            parse_world_text(r#"{"seed": 3, "seed": 7}"#).map(|p| p.2),
            Ok(7)
        );
        assert_eq!(parse_world_text(r#"{"se\u0065d": 9}"#).map(|p| p.2), Ok(9));
    }
}
