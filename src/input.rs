//! Reading user-supplied files with bounded time and memory.
//!
//! Every file ramsim reads on a user's behalf — policy documents, world and scenario files,
//! invariant files, `call --request` bodies and the files those reference — goes through
//! [`read_text`]: the path must name a regular file (never a device, FIFO or directory, which
//! could block or never end) whose size is within the cap of its [`InputKind`]; the contents
//! are read with that cap as a hard bound even if the file grows meanwhile, and must be UTF-8.
//!
//! File references inside world and scenario files (`{"file": …}`, `"world": "…"`, policy
//! files of decision cases) are resolved by [`FileRefs`]: relative to the referencing file,
//! and confined to the directory of the file named on the command line or the current working
//! directory unless `--allow-outside` is given.

use std::io::Read;
use std::path::{Path, PathBuf};

/// What a file is read as; each kind has a size cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A policy document (`validate`, `lint`, `eval`, `diff`, world and scenario references).
    Policy,
    /// A world file.
    World,
    /// A scenario file (`*.test.json`).
    Scenario,
    /// An invariant file (`check --invariant FILE`).
    Invariant,
    /// A JSON request (`call --request FILE`).
    Request,
    /// A JSON-lines request log (`diff --requests`); `eval --requests` streams instead and
    /// bounds each line by [`MAX_REQUEST_LINE`].
    RequestLog,
}

/// Largest policy file read: 1 MiB. RAM's own limits are 2,048–6,144 characters; a file far
/// over them is refused before parsing, one up to this size is parsed and gets its V13/V14
/// finding (with every other finding).
pub const MAX_POLICY_FILE: u64 = 1 << 20;
/// Largest world file read: 64 MiB (a world of 20,000 VPCs with vSwitches is about 4 MB).
pub const MAX_WORLD_FILE: u64 = 64 << 20;
/// Largest scenario file read: 16 MiB.
pub const MAX_SCENARIO_FILE: u64 = 16 << 20;
/// Largest invariant file read: 1 MiB.
pub const MAX_INVARIANT_FILE: u64 = 1 << 20;
/// Largest `call --request` file read: 1 MiB.
pub const MAX_REQUEST_FILE: u64 = 1 << 20;
/// Largest `diff --requests` log read: 256 MiB.
pub const MAX_REQUEST_LOG: u64 = 256 << 20;
/// Longest line of an `eval --requests` stream: 1 MiB. A longer line gets its own error
/// record and the stream continues with the next line.
pub const MAX_REQUEST_LINE: usize = 1 << 20;

impl InputKind {
    /// The size cap in bytes.
    pub fn limit(self) -> u64 {
        match self {
            InputKind::Policy => MAX_POLICY_FILE,
            InputKind::World => MAX_WORLD_FILE,
            InputKind::Scenario => MAX_SCENARIO_FILE,
            InputKind::Invariant => MAX_INVARIANT_FILE,
            InputKind::Request => MAX_REQUEST_FILE,
            InputKind::RequestLog => MAX_REQUEST_LOG,
        }
    }

    /// How the kind is named in messages.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Policy => "policy file",
            InputKind::World => "world file",
            InputKind::Scenario => "scenario file",
            InputKind::Invariant => "invariant file",
            InputKind::Request => "request file",
            InputKind::RequestLog => "request log",
        }
    }
}

/// `1 MiB`, `64 MiB`, `512 KiB`, `100 bytes`.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

fn what_it_is(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn check_meta(path: &Path, meta: &std::fs::Metadata, kind: InputKind) -> Result<(), String> {
    if !meta.is_file() {
        return Err(format!(
            "{}: cannot read: {} is {}, not a regular file",
            path.display(),
            kind.name(),
            what_it_is(meta)
        ));
    }
    too_big(path, meta.len(), kind)
}

fn too_big(path: &Path, size: u64, kind: InputKind) -> Result<(), String> {
    if size > kind.limit() {
        let article = if kind == InputKind::Invariant {
            "an"
        } else {
            "a"
        };
        return Err(format!(
            "{}: {size} bytes is over the {} limit for {article} {}",
            path.display(),
            human_size(kind.limit()),
            kind.name()
        ));
    }
    Ok(())
}

/// Reads `path` as UTF-8 text of `kind`: a regular file within the kind's size cap (checked
/// on the metadata before opening, so a FIFO is never opened and a device never read, and
/// again while reading). Errors name the file.
pub fn read_text(path: &Path, kind: InputKind) -> Result<String, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    check_meta(path, &meta, kind)?;
    let file =
        std::fs::File::open(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    // The path may have been replaced between the two calls: check what was opened.
    let opened = file
        .metadata()
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    check_meta(path, &opened, kind)?;
    let limit = kind.limit();
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    too_big(path, bytes.len() as u64, kind)?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// How file references inside world and scenario files are resolved: relative to the
/// referencing file, and (unless built with [`FileRefs::anywhere`]) only to files inside one
/// of the allowed roots. Paths are compared after resolving `..` and symbolic links, so
/// neither can lead outside.
#[derive(Debug, Clone, Default)]
pub struct FileRefs {
    /// Canonical directories references may point into; `None`: anywhere.
    roots: Option<Vec<PathBuf>>,
}

impl FileRefs {
    /// References may point anywhere (`--allow-outside`).
    pub fn anywhere() -> FileRefs {
        FileRefs { roots: None }
    }

    /// References must stay inside `dirs` (each canonicalized; ones that do not exist are
    /// dropped).
    pub fn confined_to(dirs: &[&Path]) -> FileRefs {
        let roots = dirs
            .iter()
            .filter_map(|d| {
                let d = if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                };
                d.canonicalize().ok()
            })
            .collect();
        FileRefs { roots: Some(roots) }
    }

    /// The default for a file named on the command line: references stay inside the
    /// directory of `top` or the current working directory.
    pub fn for_top_file(top: &Path) -> FileRefs {
        FileRefs::beside(top.parent().unwrap_or(Path::new(".")))
    }

    /// The default confinement for references read relative to `dir`: inside `dir` or the
    /// working directory.
    pub fn beside(dir: &Path) -> FileRefs {
        FileRefs::confined_to(&[dir, Path::new(".")])
    }

    /// [`FileRefs::for_top_file`], or [`FileRefs::anywhere`] when `allow_outside`.
    pub fn for_command_line(top: &Path, allow_outside: bool) -> FileRefs {
        if allow_outside {
            FileRefs::anywhere()
        } else {
            FileRefs::for_top_file(top)
        }
    }

    /// True when references are not confined.
    pub fn is_anywhere(&self) -> bool {
        self.roots.is_none()
    }

    /// Resolves `reference` written in a file whose directory is `base`; `at` names the
    /// referencing place for messages (`identity.accounts.A.policies[0]`).
    pub fn resolve(&self, base: &Path, reference: &str, at: &str) -> Result<PathBuf, String> {
        let path = base.join(reference);
        let Some(roots) = &self.roots else {
            return Ok(path);
        };
        let canonical = path
            .canonicalize()
            .map_err(|e| format!("{at}: cannot read `{}`: {e}", path.display()))?;
        if roots.iter().any(|r| canonical.starts_with(r)) {
            Ok(path)
        } else {
            Err(format!(
                "{at}: `{reference}` resolves to `{}`, outside {}; file references must stay there (pass --allow-outside to permit it)",
                canonical.display(),
                roots
                    .iter()
                    .map(|r| format!("`{}`", r.display()))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ))
        }
    }
}

/// Reads the next line of `reader` onto the end of `out`, keeping at most `max + 1` of its
/// bytes (enough to tell that it is too long) and consuming it to its end. Returns the line's
/// whole length without its terminator (`\n`, or `\r\n` when the line fits: the `\r` is
/// dropped from `out` too) and whether the stream ended with it; `None` when the stream had
/// already ended. On an I/O error `out` may hold part of the line. The one line splitter of
/// [`BoundedLines`] and `eval --requests`' batch reader.
pub fn read_bounded_line<R: std::io::BufRead>(
    reader: &mut R,
    max: usize,
    out: &mut Vec<u8>,
) -> std::io::Result<Option<(usize, bool)>> {
    let start = out.len();
    let mut total = 0usize;
    let mut ended = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            if total == 0 {
                return Ok(None);
            }
            ended = true;
            break;
        }
        let newline = memchr::memchr(b'\n', available);
        let chunk = &available[..newline.unwrap_or(available.len())];
        let room = (max + 1).saturating_sub(out.len() - start);
        out.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or(&[]));
        total += chunk.len();
        let consumed = chunk.len() + usize::from(newline.is_some());
        reader.consume(consumed);
        if newline.is_some() {
            break;
        }
    }
    if total <= max && out.len() > start && out.last() == Some(&b'\r') {
        out.pop();
        total -= 1;
    }
    Ok(Some((total, ended)))
}

/// One line of a JSON-lines stream read by [`BoundedLines`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// The line's text, without its terminator (`\n` or `\r\n`).
    Text(String),
    /// The line is not UTF-8: the first invalid byte's 0-based offset in the line.
    NotUtf8(usize),
    /// The line is longer than the bound: its length in bytes (only the bound was kept).
    TooLong(usize),
}

/// Lines of a stream, each held in memory only up to `max` bytes: a longer line is skipped
/// to its end and reported as [`Line::TooLong`], an invalid UTF-8 line as [`Line::NotUtf8`];
/// either way the next line is read normally. Only an I/O error ends the stream early.
pub struct BoundedLines<R> {
    reader: R,
    max: usize,
    buf: Vec<u8>,
    done: bool,
}

impl<R: std::io::BufRead> BoundedLines<R> {
    /// Lines of `reader`, each bounded by `max` bytes.
    pub fn new(reader: R, max: usize) -> BoundedLines<R> {
        BoundedLines {
            reader,
            max,
            buf: Vec::new(),
            done: false,
        }
    }
}

impl<R: std::io::BufRead> Iterator for BoundedLines<R> {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.buf.clear();
        let total = match read_bounded_line(&mut self.reader, self.max, &mut self.buf) {
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
            Ok(None) => {
                self.done = true;
                return None;
            }
            Ok(Some((total, ended))) => {
                self.done = ended;
                total
            }
        };
        if total > self.max {
            return Some(Ok(Line::TooLong(total)));
        }
        Some(Ok(match String::from_utf8(std::mem::take(&mut self.buf)) {
            Ok(s) => Line::Text(s),
            Err(e) => Line::NotUtf8(e.utf8_error().valid_up_to()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_oversized_files_before_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.json");
        std::fs::write(&path, vec![b' '; (MAX_POLICY_FILE + 1) as usize]).expect("write");
        let e = read_text(&path, InputKind::Policy).expect_err("too big");
        assert!(
            e.contains("1048577 bytes is over the 1 MiB limit for a policy file"),
            "{e}"
        );
        std::fs::write(&path, b"{}").expect("write");
        assert_eq!(read_text(&path, InputKind::Policy).expect("small"), "{}");
    }

    #[test]
    fn refuses_directories_and_devices() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = read_text(dir.path(), InputKind::World).expect_err("dir");
        assert!(e.contains("is a directory, not a regular file"), "{e}");
        #[cfg(unix)]
        {
            let e = read_text(Path::new("/dev/zero"), InputKind::Policy).expect_err("device");
            assert!(e.contains("is a device"), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn never_opens_a_fifo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        // Opening a FIFO for reading blocks until a writer appears: this returns at once.
        let e = read_text(&fifo, InputKind::Scenario).expect_err("fifo");
        assert!(e.contains("is a FIFO"), "{e}");
    }

    #[test]
    fn bounded_lines_survive_bad_lines() {
        let input: &[u8] = b"{\"a\":1}\r\n\xff\xfe bad\n\n0123456789abc\nlast";
        let lines: Vec<Line> = BoundedLines::new(input, 10)
            .map(|l| l.expect("no I/O error"))
            .collect();
        assert_eq!(
            lines,
            vec![
                Line::Text("{\"a\":1}".into()),
                Line::NotUtf8(0),
                Line::Text(String::new()),
                Line::TooLong(13),
                Line::Text("last".into()),
            ]
        );
        // A reader with a tiny buffer splits lines across fills.
        let reader = std::io::BufReader::with_capacity(3, &b"abcdefg\nhi\n"[..]);
        let lines: Vec<Line> = BoundedLines::new(reader, 5)
            .map(|l| l.expect("no I/O error"))
            .collect();
        assert_eq!(lines, vec![Line::TooLong(7), Line::Text("hi".into())]);
    }

    #[test]
    fn references_are_confined() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inner = dir.path().join("inner");
        std::fs::create_dir(&inner).expect("mkdir");
        std::fs::write(inner.join("p.json"), "{}").expect("write");
        std::fs::write(dir.path().join("outside.json"), "{}").expect("write");
        let refs = FileRefs::confined_to(&[&inner]);
        assert!(refs.resolve(&inner, "p.json", "here").is_ok());
        let e = refs
            .resolve(&inner, "../outside.json", "here")
            .expect_err("escapes");
        assert!(e.contains("--allow-outside"), "{e}");
        assert!(refs.resolve(&inner, "/etc/passwd", "here").is_err());
        assert!(FileRefs::anywhere()
            .resolve(&inner, "../outside.json", "here")
            .is_ok());
    }
}
