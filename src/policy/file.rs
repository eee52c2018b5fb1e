//! Reading policy files: file → text → validated policy, with diagnostics
//! rendered against the file on failure.

use crate::policy::diagnostic::render_human_all;
use crate::policy::{read_policy, Policy, PolicyKind, ReadOptions};

/// A policy read from disk, with its source text kept for positions in explanations.
#[derive(Debug, Clone)]
pub struct LoadedPolicy {
    /// The path as given.
    pub file: String,
    /// The file contents.
    pub text: String,
    /// The validated policy.
    pub policy: Policy,
}

impl LoadedPolicy {
    /// A display name: the file stem (`guardrail-rd-id` for `policies/guardrail-rd-id.json`).
    pub fn name(&self) -> String {
        std::path::Path::new(&self.file)
            .file_stem()
            .map_or_else(|| self.file.clone(), |s| s.to_string_lossy().into_owned())
    }
}

/// Reads `path` as a policy of `kind`; on failure the error text names the file and every finding.
pub fn load_policy(
    path: &str,
    kind: PolicyKind,
    options: &ReadOptions,
) -> Result<LoadedPolicy, String> {
    let text = read_text(path)?;
    let result = read_policy(&text, kind, options);
    match result.policy {
        Some(policy) => Ok(LoadedPolicy {
            file: path.to_string(),
            text,
            policy,
        }),
        None => {
            let rendered = render_human_all(path, &text, kind, &result.diagnostics);
            Err(format!("{path}: not a valid {kind} policy\n{rendered}"))
        }
    }
}

/// Reads a policy file as UTF-8 text, bounded by [`crate::input::MAX_POLICY_FILE`] (see
/// [`crate::input::read_text`]), with an error message naming it.
pub fn read_text(path: &str) -> Result<String, String> {
    crate::input::read_text(std::path::Path::new(path), crate::input::InputKind::Policy)
}
