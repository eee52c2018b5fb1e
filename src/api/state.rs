//! The simulator state: world, identities and audit trail, in a versioned binary snapshot
//! ([`super::snapshot`]; JSON state files are read too) written atomically (temp file, fsync,
//! rename), plus the journal of calls made since ([`super::journal`]); built from a world file.
//!
//! Commands that change a state file go through [`with_locked_state`] (or
//! [`create_state_file`] for `init`, [`super::journal::call_locked`] for `ramsim call`): an
//! exclusive lock on `<state file>.lock` around load → apply → save, so concurrent
//! `ramsim call`s never lose an update. Writes follow
//! symlinks and keep the file's mode; state files are capped at [`MAX_STATE_FILE_BYTES`].

use super::audit::AuditEvent;
use super::audit_archive::ArchiveMark;
use crate::cloud::World;
use crate::iam::spec::WorldSource;
use crate::iam::Iam;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    /// The audit trail, in call order (for a served state: its newest events; the older
    /// ones are in the archive, see [`super::audit_archive`]).
    pub audit: Vec<AuditEvent>,
    /// How much of `<state>.audit.jsonl` holds this state's older events.
    #[serde(default, skip_serializing_if = "ArchiveMark::is_empty")]
    pub archived: ArchiveMark,
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
            archived: ArchiveMark::default(),
            requests: 0,
            seed,
        }
    }

    /// Builds a state from world-file JSON; policy files are read relative to `base`.
    /// The world file is the network world (`accounts`, `resource_directory`, `vpcs`, …) plus
    /// an optional `identity` section (see [`crate::iam::spec::IamSpec`]) and an optional `seed`.
    pub fn from_world_json(text: &str, base: &Path) -> Result<SimState, String> {
        let refs = crate::input::FileRefs::beside(base);
        SimState::from_world_text(text, base, None, &refs)
    }

    /// [`SimState::from_world_json`] with file references resolved as `refs` allows.
    pub fn from_world_json_with(
        text: &str,
        base: &Path,
        refs: &crate::input::FileRefs,
    ) -> Result<SimState, String> {
        SimState::from_world_text(text, base, None, refs)
    }

    /// [`SimState::from_world_json_with`]; with `file`, findings in inline policy documents
    /// are located in `text` as that file (line:column of the world file, path from its root).
    fn from_world_text(
        text: &str,
        base: &Path,
        file: Option<&str>,
        refs: &crate::input::FileRefs,
    ) -> Result<SimState, String> {
        let (spec, iam_spec, seed) = super::world_file::parse_world_text(text)?;
        let mut world = spec.build().map_err(|e| format!("world: {e}"))?;
        let iam_spec = iam_spec?;
        let source = file.map(|file| WorldSource { file, text });
        let iam = Iam::from_spec_in(&iam_spec, &mut world, base, source.as_ref(), refs)?;
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
        let file = path.display().to_string();
        SimState::from_world_text(&text, base, Some(&file), refs)
            .map_err(|e| format!("{file}: {e}"))
    }

    /// Loads a state file as every command reads it: the snapshot ([`SimState::load_snapshot`])
    /// with the calls of its journal replayed (see [`super::journal`]). This is the one loader
    /// of state files; readers do not lock, and see the state as of the last durable call.
    ///
    /// A server may write while a reader reads: it appends to one journal file, switches to the
    /// other at a compaction, renames a new state file into place and then empties the journal
    /// file that state holds. The reader's files are read one after the other, so it may see a
    /// journal with a gap (an older read of one file, a newer of the other). What it loads is
    /// always the snapshot plus consecutive calls — a state that existed — or an error. The
    /// load is retried when the state file was replaced during it (the journal read may have
    /// been emptied of calls that snapshot lacks: a state older than one a reader already saw),
    /// and an error is retried while the journal changed under it; otherwise it is reported.
    pub fn load(path: &Path) -> Result<SimState, String> {
        let mut attempt = 0;
        loop {
            let before = files_seen(path);
            let loaded = SimState::load_once(path);
            let after = files_seen(path);
            attempt += 1;
            // Replaced: the journal read may have been emptied of calls the snapshot read
            // lacks (an older state than one already seen). Changed: an error may be a gap.
            let settled = before[0] == after[0] && (loaded.is_ok() || before == after);
            if settled || attempt == MAX_LOAD_ATTEMPTS {
                return loaded;
            }
        }
    }

    fn load_once(path: &Path) -> Result<SimState, String> {
        let mut gateway = super::Gateway::new(SimState::load_snapshot(path)?);
        super::journal::replay(&mut gateway, path)?;
        let state = gateway.into_state();
        state.check_whole(path)?;
        Ok(state)
    }

    /// Decodes every record a snapshot left undecoded ([`crate::store::LazyMap`]); the first
    /// that fails is an error naming `path`. What [`SimState::load`] and a server do before
    /// they use the whole state.
    pub fn check_whole(&self, path: &Path) -> Result<(), String> {
        self.world
            .force_all()
            .map_err(|e| format!("{}: corrupt state file: world.{e}", path.display()))
    }

    /// The first record read so far that failed to decode, as an error naming `path`: a
    /// command that met one worked on a partial world and must not answer or write.
    pub fn check_damage(&self, path: &Path) -> Result<(), String> {
        match self.world.damage() {
            Some(e) => Err(format!("{}: corrupt state file: world.{e}", path.display())),
            None => Ok(()),
        }
    }

    /// Loads the state file itself, without its journal: a binary snapshot
    /// ([`super::snapshot`]; the world's big maps decode their records when used, see
    /// [`SimState::check_damage`]) or a JSON state file (what `ramsim export` prints, and what
    /// ramsim wrote before the binary format), checking its size, format and schema version.
    /// The file must be a regular file of at most [`MAX_STATE_FILE_BYTES`]; anything else is
    /// refused before it is read, so a device or a runaway file never makes `load` read without
    /// bound.
    pub fn load_snapshot(path: &Path) -> Result<SimState, String> {
        let bytes = read_state_bytes(path)?;
        let mut state = if super::snapshot::is_snapshot(&bytes) {
            super::snapshot::decode(path, bytes)?
        } else {
            SimState::from_json_bytes(path, &bytes)?
        };
        state.world.reindex();
        Ok(state)
    }

    /// A JSON state file's contents, checked for format and schema version before the whole
    /// state is decoded.
    fn from_json_bytes(path: &Path, bytes: &[u8]) -> Result<SimState, String> {
        let head: serde_json::Value = serde_json::from_slice(bytes)
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

    /// True when `bytes` (the start of a file) look like a state file: a binary snapshot, or
    /// JSON naming the `ramsim-state` format.
    pub fn looks_like_state(bytes: &[u8]) -> bool {
        super::snapshot::is_snapshot(bytes)
            || serde_json::from_slice::<serde_json::Value>(bytes)
                .ok()
                .and_then(|v| {
                    v.get("format")
                        .and_then(|f| f.as_str())
                        .map(|f| f == "ramsim-state")
                })
                .unwrap_or(false)
    }

    /// Serializes the state.
    pub fn to_json(&self) -> Result<String, String> {
        serde_json::to_string(self).map_err(|e| format!("cannot serialize state: {e}"))
    }

    /// Writes the state as a binary snapshot ([`super::snapshot`]), atomically (see
    /// [`write_atomically`]): a temp file in the same directory, fsync, rename over `path`,
    /// fsync of the directory. A crash leaves either the old or the new file, never a torn one.
    /// A state larger than [`MAX_STATE_FILE_BYTES`] is refused, so nothing is written that
    /// [`SimState::load`] would not read back.
    ///
    /// This neither locks nor touches the journal: commands that read, change and write a state
    /// file go through [`with_locked_state`] (or [`create_state_file`]), which also remove
    /// stale temp files and empty the journal the new snapshot contains.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let bytes = super::snapshot::encode(self)?;
        check_state_size(path, bytes.len() as u64, "would be")?;
        write_atomically(path, &bytes)
    }
}

/// The largest state file ramsim reads or writes: 256 MiB (a ramsim limit, not Alibaba's).
/// With audit values capped (see [`super::audit_cap::MAX_AUDIT_TEXT_CHARS`]), that is several
/// hundred thousand calls; past it, start a new state with `ramsim init --force`.
pub const MAX_STATE_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// How long a command waits for another process's lock on a state file by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

fn check_state_size(path: &Path, len: u64, verb: &str) -> Result<(), String> {
    if len > MAX_STATE_FILE_BYTES {
        return Err(format!(
            "{}: state file {verb} {len} bytes, over the limit of {MAX_STATE_FILE_BYTES} bytes (256 MiB); \
             start a new state with `ramsim init --force`",
            path.display()
        ));
    }
    Ok(())
}

/// Reads a state file's bytes: a regular file (symlinks followed) of at most
/// [`MAX_STATE_FILE_BYTES`], checked before and while reading.
pub(crate) fn read_state_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let cannot = |e: std::io::Error| format!("{}: cannot read: {e}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(format!(
            "{}: cannot read: not a regular file",
            path.display()
        ));
    }
    check_state_size(path, meta.len(), "is")?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow between the check and the read: read at most one byte past the limit.
    file.take(MAX_STATE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    check_state_size(path, bytes.len() as u64, "is")?;
    Ok(bytes)
}

/// Follows symbolic links in the last component of `path` (up to 40, as the kernel does) and
/// returns the file they lead to, which may not exist yet. Writes go to that file, so a state
/// file reached through a symlink stays a symlink.
pub fn resolve_symlinks(path: &Path) -> Result<PathBuf, String> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)
                    .map_err(|e| format!("{}: cannot read link: {e}", current.display()))?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(format!(
        "{}: too many levels of symbolic links",
        path.display()
    ))
}

/// The lock file of a state file: `<state file>.lock` beside the file that symlinks in `state`
/// lead to, so every path to one state file shares one lock.
pub fn lock_path(state: &Path) -> Result<PathBuf, String> {
    let target = resolve_symlinks(state)?;
    let mut name = target
        .file_name()
        .ok_or_else(|| format!("{}: not a file path", state.display()))?
        .to_os_string();
    name.push(".lock");
    Ok(target.with_file_name(name))
}

/// An exclusive advisory lock (`flock`/`LockFileEx` through `fs4`) on a state file's
/// [`lock_path`], held until dropped. Every command that writes a state file holds it around
/// load → apply → save, so concurrent writers never lose an update. The lock file itself stays
/// (empty) beside the state file: removing it could let two writers lock two different files.
#[derive(Debug)]
pub struct StateLock {
    file: std::fs::File,
    path: PathBuf,
}

impl StateLock {
    /// Takes the lock of `state`, waiting at most `timeout` for another holder to let go;
    /// then fails with an error naming the lock file.
    pub fn acquire(state: &Path, timeout: Duration) -> Result<StateLock, String> {
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(lock) = StateLock::try_acquire(state)? {
                return Ok(lock);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "{}: another ramsim process holds the lock {} (gave up after {:.1} s; \
                     wait longer with --lock-timeout SECS)",
                    state.display(),
                    lock_path(state)?.display(),
                    timeout.as_secs_f64()
                ));
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// Takes the lock of `state` if nobody holds it: `Ok(None)` when another process does
    /// (the server's start-up check; [`StateLock::acquire`] retries on it).
    pub fn try_acquire(state: &Path) -> Result<Option<StateLock>, String> {
        let path = lock_path(state)?;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| format!("{}: cannot open the lock file: {e}", path.display()))?;
        // Called through the trait: std's inherent `File::try_lock` (Rust 1.89) would
        // shadow it, and the crate supports older compilers.
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => Ok(Some(StateLock { file, path })),
            Err(fs4::TryLockError::WouldBlock) => Ok(None),
            Err(fs4::TryLockError::Error(e)) => {
                Err(format!("{}: cannot lock: {e}", path.display()))
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it immediate.
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

/// Loads the state file at `path` under its [`StateLock`], lets `apply` change it, and saves
/// what `apply` returns, still under the lock; stale temp files of killed writers are removed
/// first. An `Err` from `apply` leaves the file untouched. This is the one way commands
/// change a state file.
pub fn with_locked_state<T>(
    path: &Path,
    timeout: Duration,
    apply: impl FnOnce(SimState) -> Result<(SimState, T), String>,
) -> Result<T, String> {
    // A missing state file is reported as such, without leaving a lock file for it behind.
    std::fs::metadata(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let _lock = StateLock::acquire(path, timeout)?;
    let state = SimState::load(path)?;
    let (state, out) = apply(state)?;
    remove_stale_temp_files(path)?;
    state.save(path)?;
    // The snapshot holds every journaled call now (a crash before this line is harmless:
    // replay skips records older than the snapshot's request counter).
    super::journal::truncate(path)?;
    Ok(out)
}

/// Writes a new state file under its [`StateLock`]. An existing file (or a symlink, even a
/// dangling one) at `path` is kept unless `force` is set.
pub fn create_state_file(
    path: &Path,
    state: &SimState,
    force: bool,
    timeout: Duration,
) -> Result<(), String> {
    let _lock = StateLock::acquire(path, timeout)?;
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(format!(
            "{}: already exists; not overwritten (use --force to replace it)",
            path.display()
        ));
    }
    remove_stale_temp_files(path)?;
    // A journal left by the state this one replaces belongs to it, not to the new state:
    // emptied first, so that a crash in between never replays it into the new state.
    super::journal::truncate(path)?;
    state.save(path)
}

/// The temp file [`write_atomically`] uses for `target` in this process:
/// `.<name>.tmp.<pid>` beside it.
fn temp_path(target: &Path, name: &str) -> PathBuf {
    target.with_file_name(format!(".{name}.tmp.{}", std::process::id()))
}

/// True for `.<name>.tmp.<digits>` (and `.<name>.tmp-<digits>`, the older spelling).
fn is_temp_name(candidate: &str, name: &str) -> bool {
    candidate
        .strip_prefix('.')
        .and_then(|c| c.strip_prefix(name))
        .and_then(|c| c.strip_prefix(".tmp.").or_else(|| c.strip_prefix(".tmp-")))
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes temp files a killed writer of the state file at `path` left behind. Only called
/// while holding the file's [`StateLock`]: every live writer holds it while its temp file
/// exists, so any temp file found then is stale. Only regular files with exactly the temp
/// name pattern are removed.
pub(crate) fn remove_stale_temp_files(path: &Path) -> Result<(), String> {
    let target = resolve_symlinks(path)?;
    let Some(name) = target.file_name().and_then(|n| n.to_str()) else {
        return Ok(());
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let stale = entry
            .file_name()
            .to_str()
            .is_some_and(|n| is_temp_name(n, name))
            && entry.file_type().is_ok_and(|t| t.is_file());
        if stale {
            std::fs::remove_file(entry.path()).map_err(|e| {
                format!(
                    "{}: cannot remove the stale temp file: {e}",
                    entry.path().display()
                )
            })?;
        }
    }
    Ok(())
}

/// Atomically replaces the file `path` leads to (symlinks followed, so a link stays a link)
/// with `bytes`: a temp file `.<name>.tmp.<pid>` in the same directory, with the old file's
/// permission bits (and, where allowed, owner), fsync, rename, fsync of the directory. On
/// failure the temp file is removed and the old file is untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let target = resolve_symlinks(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| format!("{}: not a file path", path.display()))?
        .to_string_lossy()
        .into_owned();
    let tmp = temp_path(&dir.join(&name), &name);
    let old = std::fs::metadata(&target).ok().filter(|m| m.is_file());
    let mut created = false;
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        created = true;
        if let Some(old) = &old {
            keep_identity(&f, old)?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            // Persist the rename itself; not all platforms allow syncing a directory.
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        if created {
            let _ = std::fs::remove_file(&tmp);
        }
        write_error(path, &e)
    })
}

/// How many times [`SimState::load`] reads a state file that keeps being replaced under it
/// and its journal that keep changing under it before it reports the last attempt's error.
const MAX_LOAD_ATTEMPTS: u32 = 32;

/// What changes when a state file is replaced by a rename (its device, inode, change time and
/// length) and when its journal files are appended to or emptied (their lengths).
fn files_seen(path: &Path) -> [Option<FileIdentity>; 3] {
    [
        file_identity(path),
        file_identity(&super::journal::journal_path(path)),
        file_identity(&super::journal::second_journal_path(path)),
    ]
}

/// A file's device, inode, change time (seconds, nanoseconds) and length.
type FileIdentity = (u64, u64, i64, i64, u64);

/// [`FileIdentity`] of the file at `path`; `None` when it cannot be read.
fn file_identity(path: &Path) -> Option<FileIdentity> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((
            meta.dev(),
            meta.ino(),
            meta.ctime(),
            meta.ctime_nsec(),
            meta.len(),
        ))
    }
    #[cfg(not(unix))]
    {
        let modified = meta.modified().ok()?;
        let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some((
            0,
            0,
            since.as_secs() as i64,
            i64::from(since.subsec_nanos()),
            meta.len(),
        ))
    }
}

/// `<path>: cannot write: <e>`, with a hint when the file-size limit (`EFBIG`) stopped it.
pub(crate) fn write_error(path: &Path, e: &std::io::Error) -> String {
    let hint = if e.raw_os_error() == Some(27) {
        " (the file-size limit, `ulimit -f`, is too small)"
    } else {
        ""
    };
    format!("{}: cannot write: {e}{hint}", path.display())
}

/// Gives the new file `f` the permission bits of the file it replaces (`old`) and, on Unix,
/// its owner and group when they differ and this process may set them (root writing a
/// user's file); a failed change of owner is ignored, a failed change of mode is an error.
pub(crate) fn keep_identity(f: &std::fs::File, old: &std::fs::Metadata) -> std::io::Result<()> {
    f.set_permissions(old.permissions())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let new = f.metadata()?;
        if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
            let _ = std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid()));
        }
    }
    Ok(())
}
