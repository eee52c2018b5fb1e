//! The README stands alone on a fresh clone: it cites no file outside the repository, every
//! file it names ships with it, its console examples run as printed (their output compared
//! line by line, `…` standing for elided text), and its CI recipe passes on the repository's
//! own policies.

#[path = "cli_support/mod.rs"]
mod cli_support;

use cli_support::root;
use std::path::{Path, PathBuf};
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// Fenced code blocks of `text` with the given info string (`console`, `sh`, …).
fn blocks(text: &str, info: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    // None: outside a block; Some(None): in a block of another kind; Some(Some(lines)): in one
    // of ours.
    let mut state: Option<Option<Vec<String>>> = None;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        state = match (state, fence) {
            (None, true) => {
                let kind = line.trim_start().trim_start_matches('`');
                Some((kind == info).then(Vec::new))
            }
            (None, false) => None,
            (Some(Some(lines)), true) => {
                out.push(lines);
                None
            }
            (Some(None), true) => None,
            (Some(Some(mut lines)), false) => {
                lines.push(line.to_string());
                Some(Some(lines))
            }
            (Some(None), false) => Some(None),
        };
    }
    out
}

/// One word of a command line; `glob` when it has an unquoted `*`.
#[derive(Debug)]
struct Word {
    text: String,
    glob: bool,
}

/// Splits a command line the way a POSIX shell would, for what the README uses: `'…'`,
/// `"…"` (with `$(cat FILE)` substitution), backslash escapes, unquoted `|` and `>`.
fn shell_words(line: &str, cwd: &Path) -> Vec<Word> {
    let mut words = Vec::new();
    let mut cur: Option<Word> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            '|' | '>' if cur.is_none() => words.push(Word {
                text: c.to_string(),
                glob: false,
            }),
            '\'' => {
                let w = push(&mut cur);
                for ch in chars.by_ref() {
                    if ch == '\'' {
                        break;
                    }
                    w.text.push(ch);
                }
            }
            '"' => {
                let w = push(&mut cur);
                let mut inner = String::new();
                for ch in chars.by_ref() {
                    if ch == '"' {
                        break;
                    }
                    inner.push(ch);
                }
                // `$(cat FILE)`: the file's contents without trailing newlines
                let mut rest = inner.as_str();
                while let Some(start) = rest.find("$(cat ") {
                    w.text.push_str(&rest[..start]);
                    let after = &rest[start + 6..];
                    let end = after.find(')').expect("closing parenthesis");
                    let text = std::fs::read_to_string(cwd.join(after[..end].trim()))
                        .expect("file of $(cat …)");
                    w.text.push_str(text.trim_end_matches('\n'));
                    rest = &after[end + 1..];
                }
                w.text.push_str(rest);
            }
            '\\' => {
                if let Some(e) = chars.next() {
                    push(&mut cur).text.push(e);
                }
            }
            other => {
                let w = push(&mut cur);
                w.glob |= other == '*';
                w.text.push(other);
            }
        }
    }
    if let Some(w) = cur {
        words.push(w);
    }
    words
}

/// The word being built, started if need be.
fn push(w: &mut Option<Word>) -> &mut Word {
    w.get_or_insert_with(|| Word {
        text: String::new(),
        glob: false,
    })
}

/// `*` / `?` wildcard match of a whole name.
fn wildcard(pattern: &[char], name: &[char]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            wildcard(&pattern[1..], name) || (!name.is_empty() && wildcard(pattern, &name[1..]))
        }
        (Some('?'), Some(_)) => wildcard(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) => p == n && wildcard(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// Expands an unquoted glob word (`policies/*.json`) against `cwd`, sorted as a shell does.
fn expand(word: &Word, cwd: &Path) -> Vec<String> {
    if !word.glob {
        return vec![word.text.clone()];
    }
    let (dir, pattern) = word.text.rsplit_once('/').unwrap_or(("", &word.text));
    let pattern: Vec<char> = pattern.chars().collect();
    let mut found: Vec<String> = std::fs::read_dir(cwd.join(dir))
        .expect("glob directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| wildcard(&pattern, &n.chars().collect::<Vec<_>>()))
        .map(|n| {
            if dir.is_empty() {
                n
            } else {
                format!("{dir}/{n}")
            }
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "`{}` matches no file", word.text);
    found
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    /// The file a `> FILE` redirect wrote, relative to the working directory.
    written: Option<String>,
}

/// Runs one README command line (`ramsim …`, optionally `| tail -n N` or `> FILE`) in `cwd`.
fn run_line(line: &str, cwd: &Path) -> Run {
    let words = shell_words(line, cwd);
    let mut parts = words.split(|w| w.text == "|");
    let command = parts.next().expect("a command");
    let pipe: Vec<&Word> = parts.flatten().collect();
    let (command, redirect) = match command.iter().position(|w| w.text == ">") {
        Some(i) => (&command[..i], command.get(i + 1).map(|w| w.text.clone())),
        None => (command, None),
    };
    assert_eq!(
        command[0].text, "ramsim",
        "README commands run ramsim: {line}"
    );
    // Long-running commands (`ramsim serve`) belong in `sh` blocks, not `console` ones.
    assert!(
        command.get(1).map(|w| w.text.as_str()) != Some("serve"),
        "a console example must finish on its own; show `ramsim serve` in an sh block: {line}"
    );
    let args: Vec<String> = command[1..].iter().flat_map(|w| expand(w, cwd)).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .args(&args)
        .current_dir(cwd)
        .output()
        .expect("run ramsim");
    let mut stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if let Some(file) = &redirect {
        std::fs::write(cwd.join(file), &stdout).expect("redirect");
        stdout.clear();
    }
    match pipe.iter().map(|w| w.text.as_str()).collect::<Vec<_>>()[..] {
        [] => {}
        ["tail", "-n", n] => {
            let n: usize = n.parse().expect("tail count");
            let lines: Vec<&str> = stdout.lines().collect();
            stdout = lines[lines.len().saturating_sub(n)..].join("\n") + "\n";
        }
        ref other => panic!("unsupported pipe {other:?} in {line}"),
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        written: redirect,
    }
}

/// Does `line` match `pattern`, where each `…` in the pattern stands for any text?
fn line_matches(pattern: &str, line: &str) -> bool {
    let mut pieces = pattern.split('…');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    if pieces.is_empty() {
        return rest.is_empty();
    }
    for (i, piece) in pieces.iter().enumerate() {
        if i + 1 == pieces.len() {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// Do the output lines match the expected ones? A line that is only `…` stands for any number
/// of lines.
fn output_matches(expected: &[String], actual: &[&str]) -> bool {
    // matches[i][j]: expected[i..] matches actual[j..]
    let (n, m) = (expected.len(), actual.len());
    let mut matches = vec![vec![false; m + 1]; n + 1];
    matches[n][m] = true;
    for i in (0..n).rev() {
        let e = expected[i].trim_end();
        for j in (0..=m).rev() {
            matches[i][j] = if e.trim() == "…" {
                matches[i + 1][j] || (j < m && matches[i][j + 1])
            } else {
                j < m && line_matches(e, actual[j].trim_end()) && matches[i + 1][j + 1]
            };
        }
    }
    matches[0][0]
}

/// A scratch directory that looks like the repository root (its folders copied, not linked:
/// file references must stay inside the working directory, and a link would lead out of it),
/// so that README commands run as printed and whatever they write stays out of the clone.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["policies", "corpus", "examples", "tests", "docs"] {
        copy_tree(&root().join(name), &dir.path().join(name));
    }
    std::fs::create_dir(dir.path().join("target")).expect("target");
    dir
}

/// Copies the directory `from` to `to`, recursively (regular files and folders only).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let kind = entry.file_type().expect("file type");
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A console block's commands, each with the output printed under it.
fn commands(block: &[String]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut lines = block.iter();
    while let Some(line) = lines.next() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            let mut cmd = cmd.to_string();
            while cmd.ends_with('\\') {
                cmd.pop();
                let next = lines.next().expect("continuation line");
                cmd.push(' ');
                cmd.push_str(next.trim());
            }
            out.push((cmd, Vec::new()));
        } else if let Some((_, expected)) = out.last_mut() {
            expected.push(line.clone());
        } else {
            panic!("console block starts with output, not a `$ ` command: {line}");
        }
    }
    for (_, expected) in &mut out {
        while expected.last().is_some_and(|l| l.trim().is_empty()) {
            expected.pop();
        }
    }
    out
}

#[test]
fn console_examples_run_as_printed() {
    let dir = scratch();
    let text = readme();
    let mut ran = 0;
    // `RAMSIM_README_BLESS=1 cargo test --test readme` rewrites the outputs that differ (after a
    // deliberate change of behaviour), like insta's review; review the README diff afterwards.
    let bless = std::env::var_os("RAMSIM_README_BLESS").is_some();
    let mut blessed = text.clone();
    let mut stale = Vec::new();
    for block in blocks(&text, "console") {
        for (cmd, expected) in commands(&block) {
            let r = run_line(&cmd, dir.path());
            // a file the README shows (`> docs/reach-peering.svg`) is committed: it must be
            // what the command prints now, or the picture has gone stale
            if let Some(file) = r.written.as_deref().filter(|f| root().join(f).is_file()) {
                let now = std::fs::read(dir.path().join(file)).expect("written file");
                let committed = std::fs::read(root().join(file)).expect("committed file");
                if now != committed {
                    if bless {
                        std::fs::write(root().join(file), &now).expect("bless written file");
                        eprintln!("blessed: {file}");
                    } else {
                        stale.push(file.to_string());
                    }
                }
            }
            assert!(
                (0..=2).contains(&r.code),
                "`{cmd}` exited {}: {}",
                r.code,
                r.stderr
            );
            let shown = if r.stdout.is_empty()
                && expected.first().is_some_and(|l| l.starts_with("error"))
            {
                &r.stderr
            } else {
                &r.stdout
            };
            let mut actual: Vec<&str> = shown.lines().collect();
            // trailing blank lines are not shown in the README (they are trimmed there too)
            while actual.last().is_some_and(|l| l.trim().is_empty()) {
                actual.pop();
            }
            if bless && !output_matches(&expected, &actual) && !expected.is_empty() {
                let old = expected.join("\n");
                let new = actual.join("\n");
                assert!(
                    blessed.contains(&old),
                    "cannot find the output of `{cmd}` to bless"
                );
                blessed = blessed.replacen(&old, &new, 1);
                eprintln!("blessed: {cmd}");
                ran += 1;
                continue;
            }
            assert!(
                output_matches(&expected, &actual),
                "README example `{cmd}` prints something else.\n--- README ---\n{}\n--- actual ---\n{shown}\n--- stderr ---\n{}",
                expected.join("\n"),
                r.stderr
            );
            eprintln!("ok: {cmd}");
            ran += 1;
        }
    }
    if bless && blessed != text {
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"),
            blessed,
        )
        .expect("write README.md");
    }
    assert!(
        stale.is_empty(),
        "committed files differ from what the README commands print now (regenerate with \
         RAMSIM_README_BLESS=1 cargo test --test readme): {stale:?}"
    );
    assert!(ran >= 15, "only {ran} console examples found");
}

#[test]
fn the_ci_recipe_passes_on_the_repository() {
    let text = readme();
    let recipe = blocks(&text, "sh")
        .into_iter()
        .find(|b| b.iter().any(|l| l.contains("--format github")))
        .expect("a CI recipe with --format github");
    let mut ran = 0;
    let dir = scratch();
    for line in recipe.iter().map(|l| l.trim()) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let r = run_line(line, dir.path());
        assert_eq!(
            r.code, 0,
            "`{line}` fails on the repository:\n{}{}",
            r.stdout, r.stderr
        );
        ran += 1;
    }
    assert!(ran >= 2, "{recipe:?}");
    assert!(
        recipe.iter().any(|l| l.contains("--deny-warnings")),
        "the recipe shows --deny-warnings"
    );
}

/// Is there a file called `name` under `dir` (at most `depth` levels down; build output and
/// VCS metadata excluded)?
fn shipped_anywhere(dir: &Path, name: &str, depth: usize) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if n == name && path.is_file() {
            true
        } else {
            depth > 0
                && path.is_dir()
                && n != "target"
                && n != ".git"
                && shipped_anywhere(&path, name, depth - 1)
        }
    })
}

/// Names the README uses for files its examples create, or as illustrations.
const NOT_SHIPPED: &[&str] = &[
    "state.json",
    "world.json",
    "target/escalation.violation.test.json",
    "target/dev-prod.violation.test.json",
    "target/esc-trust-rewrite.violation.test.json",
    "target/cen-folder.violation.test.json",
    "target/cdt-xborder.violation.test.json",
    "sdk-state.json",
    "ecs-state.json",
    // the security-group walk-through's state file
    "net.json",
    // the PrivateLink walk-through's state file
    "pl.json",
    // the seed-002 reach walk-through's state file
    "pl-seed.json",
    "cen-state.json",
    // the ALB-over-CEN walk-through's state file
    "s3-state.json",
    // the reachability walk-through's state file
    "reach-state.json",
    // the NIS walk-through's state file
    "nis-state.json",
    // the diff CI recipe's illustration (`policies/prod@main.json`: the file at git ref main)
    "policies/prod.json",
    "main.json",
    // the hostile-inputs table's illustrations
    "big.json",
    "w.json",
    "../x.json",
    "/x.json",
];

#[test]
fn every_file_the_readme_names_ships_with_the_repository() {
    let text = readme();
    let mut checked = 0;
    let mut missing = Vec::new();
    for token in text.split(|c: char| {
        !(c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_' | '*' | '<' | '>'))
    }) {
        let token = token.trim_end_matches('.');
        let is_file = [".json", ".jsonl", ".md", ".rs", ".toml", ".sh"]
            .iter()
            .any(|ext| token.ends_with(ext));
        if !is_file || NOT_SHIPPED.contains(&token) {
            continue;
        }
        // placeholders: `FILE.jsonl`, `LOG.jsonl`, `W.json`, `<world>.violation.test.json`
        let stem = token.rsplit('/').next().unwrap_or(token);
        let stem = stem.split('.').next().unwrap_or(stem);
        if token.contains('<') || (stem.chars().all(|c| c.is_ascii_uppercase()) && !stem.is_empty())
        {
            continue;
        }
        checked += 1;
        // scenario excerpts name files relative to `corpus/`
        let candidates: Vec<PathBuf> = vec![root().join(token), root().join("corpus").join(token)];
        let found = if token.contains('*') {
            // `policies/*.json` must match files; a bare `*.test.json` describes a kind of file
            match token.rsplit_once('/') {
                Some(_) => !expand(
                    &Word {
                        text: token.to_string(),
                        glob: true,
                    },
                    root(),
                )
                .is_empty(),
                None => true,
            }
        } else if !token.contains('/') {
            // a bare name (`bad.json` in a list of `examples/`) names a file somewhere in the clone
            shipped_anywhere(root(), token, 4)
        } else {
            candidates.iter().any(|p| p.exists())
        };
        if !found {
            missing.push(token.to_string());
        }
        // nothing outside the clone: every existing candidate lies inside the repository
        for p in candidates.iter().filter(|p| p.exists()) {
            let canonical = p.canonicalize().expect("canonical path");
            assert!(
                canonical.starts_with(root().canonicalize().expect("root")),
                "README names `{token}`, outside the repository"
            );
        }
    }
    assert!(
        missing.is_empty(),
        "README names files the repository does not ship: {missing:?}"
    );
    assert!(checked >= 20, "only {checked} file names found");
}

#[test]
fn the_readme_cites_no_file_outside_the_repository() {
    let text = readme();
    for (i, line) in text.lines().enumerate() {
        assert!(
            !line.contains("../shared")
                && !line.contains("spec/ram-policy.md")
                && !line.contains("spec/network-model.md"),
            "README line {}: cites a file outside the repository: {line}",
            i + 1
        );
        assert!(
            !line.contains('§') || line.contains("docs/evaluation.md"),
            "README line {}: a section sign that points at no document of the repository: {line}",
            i + 1
        );
    }
    assert!(
        text.contains("cargo install --path ."),
        "README says how to install ramsim"
    );
}

#[test]
fn the_matcher_matches_what_it_should() {
    let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(output_matches(&e(&["a", "…", "d"]), &["a", "b", "c", "d"]));
    assert!(output_matches(&e(&["a", "…", "d"]), &["a", "d"]));
    assert!(!output_matches(&e(&["a", "d"]), &["a", "b", "d"]));
    assert!(output_matches(&e(&["x: \"…\","]), &["x: \"ABC\","]));
    assert!(!output_matches(&e(&["x: \"…\","]), &["y: \"ABC\","]));
    assert!(!output_matches(&e(&["a"]), &["a", "b"]));
    assert!(wildcard(&['*', '.', 'j'], &['a', '.', 'j']));
}
