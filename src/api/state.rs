//! The simulator state: world, identities and audit trail, in a versioned JSON file written
//! atomically (temp file + fsync + rename), and built from a world file.

use super::audit::AuditEvent;
use crate::cloud::{World, WorldSpec};
use crate::iam::spec::IamSpec;
use crate::iam::Iam;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Version of the state-file schema; bumped on incompatible changes.
pub const STATE_SCHEMA_VERSION: u32 = 1;

/// Everything the simulator knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimState {
    /// Always `ramsim-state`.
    pub format: String,
    /// [`STATE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The network world (accounts, directory, VPCs, peerings, clock).
    pub world: World,
    /// Users, roles, policies, control policies, sessions.
    pub iam: Iam,
    /// The audit trail, in call order.
    pub audit: Vec<AuditEvent>,
    /// Number of requests served so far (request ids derive from it).
    pub requests: u64,
    /// Seed mixed into request ids.
    pub seed: u64,
}

impl SimState {
    /// A state from a built world and identities.
    pub fn new(world: World, iam: Iam, seed: u64) -> SimState {
        SimState {
            format: "ramsim-state".into(),
            schema_version: STATE_SCHEMA_VERSION,
            world,
            iam,
            audit: Vec::new(),
            requests: 0,
            seed,
        }
    }

    /// Builds a state from world-file JSON; policy files are read relative to `base`.
    /// The world file is the network world (`accounts`, `resource_directory`, `vpcs`, …) plus
    /// an optional `identity` section (see [`IamSpec`]) and an optional `seed`.
    pub fn from_world_json(text: &str, base: &Path) -> Result<SimState, String> {
        let refs = crate::input::FileRefs::confined_to(&[base, Path::new(".")]);
        SimState::from_world_json_with(text, base, &refs)
    }

    /// [`SimState::from_world_json`] with file references resolved as `refs` allows.
    pub fn from_world_json_with(
        text: &str,
        base: &Path,
        refs: &crate::input::FileRefs,
    ) -> Result<SimState, String> {
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
        let mut world = spec.build().map_err(|e| format!("world: {e}"))?;
        let iam_spec: IamSpec = match identity {
            None => IamSpec::default(),
            Some(v) => serde_json::from_value(v).map_err(|e| format!("identity: {e}"))?,
        };
        let iam = Iam::from_spec_with(&iam_spec, &mut world, base, refs)?;
        Ok(SimState::new(world, iam, seed))
    }

    /// Reads a world file from disk (bounded by [`crate::input::MAX_WORLD_FILE`]); its file
    /// references stay inside its directory or the working directory.
    pub fn from_world_file(path: &Path) -> Result<SimState, String> {
        SimState::from_world_file_with(path, &crate::input::FileRefs::for_top_file(path))
    }

    /// [`SimState::from_world_file`] with file references resolved as `refs` allows.
    pub fn from_world_file_with(
        path: &Path,
        refs: &crate::input::FileRefs,
    ) -> Result<SimState, String> {
        let text = crate::input::read_text(path, crate::input::InputKind::World)?;
        let base = path.parent().unwrap_or(Path::new("."));
        SimState::from_world_json_with(&text, base, refs)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Loads a state file, checking its format and schema version.
    pub fn load(path: &Path) -> Result<SimState, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let head: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a state file: {e}", path.display()))?;
        if head.get("format").and_then(|v| v.as_str()) != Some("ramsim-state") {
            return Err(format!(
                "{}: not a ramsim state file (run `ramsim init` first)",
                path.display()
            ));
        }
        let version = head
            .get("schema_version")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if version != u64::from(STATE_SCHEMA_VERSION) {
            return Err(format!("{}: state schema version {version} is not supported (expected {STATE_SCHEMA_VERSION})", path.display()));
        }
        serde_json::from_value(head)
            .map_err(|e| format!("{}: corrupt state file: {e}", path.display()))
    }

    /// Serializes the state.
    pub fn to_json(&self) -> Result<String, String> {
        serde_json::to_string(self).map_err(|e| format!("cannot serialize state: {e}"))
    }

    /// Writes the state atomically: a temp file in the same directory, fsync, rename over
    /// `path`, fsync of the directory. A crash leaves either the old or the new file, never a torn one.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        write_atomically(path, self.to_json()?.as_bytes())
    }
}

/// Atomically replaces `path` with `bytes`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file path", path.display()))?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            // Persist the rename itself; not all platforms allow syncing a directory.
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: cannot write: {e}", path.display())
    })
}
