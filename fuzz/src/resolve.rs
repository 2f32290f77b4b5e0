//! Generators and oracles for `wasi-fs-setup` path resolution.
//!
//! - [`check_plan`]: a [`Plan`] of path operations is run against two
//!   preopens with the same starting tree: a host temporary directory (served
//!   through cap-std) and a directory of the in-memory sandbox. Paths are built
//!   from a token alphabet ([`Tok`]: `.`, `..`, `/`, a few names, the root and
//!   the absolute path of the directory beside the preopen), and the plan may
//!   plant symlinks behind the guest's back (absolute or climbing out) as well
//!   as create them as the guest. The property: every resolved location lies
//!   inside its preopen, or the call failed; on the host, every object a
//!   successful stat or open reaches is one of the preopen's own (by dev and
//!   ino); the canary file beside the preopen never changes and nothing new
//!   appears beside it; and both backings give the same answer for every step.

use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use arbitrary::Arbitrary;
use wasi_fs_setup::{
    Access, DirHandle, FsError, FsErrorKind, HostDir, OpenFlags, Opened, VirtualFs,
};

/// The canary's contents.
pub const SECRET: &[u8] = b"TOP SECRET";

/// Longest plan run (longer inputs are cut).
pub const MAX_STEPS: usize = 24;

/// Longest token path (longer ones are cut).
pub const MAX_TOKENS: usize = 16;

/// One piece of a generated path.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// `/`
    Slash,
    /// `a` (a directory at the start)
    A,
    /// `b` (a directory inside `a` at the start)
    B,
    /// `f` (a file at the start)
    F,
    /// `l0`
    L0,
    /// `l1`
    L1,
    /// `l2`
    L2,
    /// At the start of a path: the absolute path of the directory beside the
    /// preopen (where the canary is); elsewhere the name `outside`.
    Outside,
}

/// A token path: up to [`MAX_TOKENS`] tokens, concatenated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokPath(pub Vec<Tok>);

impl<'a> Arbitrary<'a> for TokPath {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        // Mostly slash-separated components, so that walks get somewhere;
        // sometimes glued tokens, doubled or trailing slashes.
        let n = u.int_in_range(0..=MAX_TOKENS / 2)?;
        let mut toks = Vec::with_capacity(2 * n);
        for i in 0..n {
            toks.push(u.arbitrary()?);
            let sep = if i + 1 == n {
                u.ratio(1, 4)?
            } else {
                u.ratio(3, 4)?
            };
            if sep {
                toks.push(Tok::Slash);
            }
        }
        Ok(TokPath(toks))
    }
}

/// Where a host-side symlink is planted (always directly in the preopen).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name {
    /// `l0`
    L0,
    /// `l1`
    L1,
    /// `l2`
    L2,
}

/// One operation of a plan.
#[derive(Arbitrary, Debug, Clone)]
pub enum Step {
    /// The host (not the guest) plants a symlink holding any target, absolute ones included.
    Plant {
        /// Where.
        name: Name,
        /// The target.
        target: TokPath,
    },
    /// The guest creates a symlink (`path_symlink`).
    Symlink {
        /// The link's path.
        link: TokPath,
        /// The target.
        target: TokPath,
    },
    /// The guest creates a directory.
    Mkdir(TokPath),
    /// The guest asks where a path leads.
    Resolve {
        /// The path.
        path: TokPath,
        /// Follow a final symlink.
        follow: bool,
    },
    /// The guest stats a path.
    Stat {
        /// The path.
        path: TokPath,
        /// Follow a final symlink.
        follow: bool,
    },
    /// The guest opens a path and reads it (or lists it), or creates and writes it.
    Open {
        /// The path.
        path: TokPath,
        /// Open with create + write and write to it.
        write: bool,
    },
    /// The guest renames.
    Rename {
        /// From.
        from: TokPath,
        /// To.
        to: TokPath,
    },
    /// The guest unlinks a file.
    Unlink(TokPath),
}

/// A sequence of operations (1 to [`MAX_STEPS`]).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The operations, in order.
    pub steps: Vec<Step>,
}

impl<'a> Arbitrary<'a> for Plan {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=MAX_STEPS)?;
        let steps = (0..n)
            .map(|_| u.arbitrary())
            .collect::<arbitrary::Result<_>>()?;
        Ok(Plan { steps })
    }
}

fn render(toks: &TokPath, outside_abs: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, t) in toks.0.iter().take(MAX_TOKENS).enumerate() {
        out.extend_from_slice(match t {
            Tok::Dot => b".",
            Tok::DotDot => b"..",
            Tok::Slash => b"/",
            Tok::A => b"a",
            Tok::B => b"b",
            Tok::F => b"f",
            Tok::L0 => b"l0",
            Tok::L1 => b"l1",
            Tok::L2 => b"l2",
            Tok::Outside if i == 0 => outside_abs,
            Tok::Outside => b"outside",
        });
    }
    out
}

fn name_of(n: Name) -> &'static str {
    match n {
        Name::L0 => "l0",
        Name::L1 => "l1",
        Name::L2 => "l2",
    }
}

/// The host side: a temp dir with `sandbox/` (the preopen) and `outside/secret.txt`.
struct Host {
    _tmp: tempfile::TempDir,
    top: PathBuf,
    root: PathBuf,
    outside: PathBuf,
    dir: HostDir,
    canary: (u64, u64),
}

impl Host {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let top = tmp.path().to_path_buf();
        let root = top.join("sandbox");
        let outside = top.join("outside");
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        std::fs::write(root.join("f"), b"inside").expect("write");
        std::fs::create_dir(&outside).expect("mkdir");
        std::fs::write(outside.join("secret.txt"), SECRET).expect("write");
        let md = std::fs::metadata(outside.join("secret.txt")).expect("stat");
        let dir = HostDir::open(&root, Access::READ_WRITE_CREATE).expect("open preopen");
        Host {
            _tmp: tmp,
            top,
            root,
            outside,
            dir,
            canary: (md.dev(), md.ino()),
        }
    }

    /// (dev, ino) of the preopen and everything in it, without following symlinks.
    fn inside_ids(&self) -> BTreeSet<(u64, u64)> {
        fn walk(p: &Path, out: &mut BTreeSet<(u64, u64)>) {
            let Ok(md) = std::fs::symlink_metadata(p) else {
                return;
            };
            out.insert((md.dev(), md.ino()));
            if md.is_dir()
                && let Ok(rd) = std::fs::read_dir(p)
            {
                for e in rd.flatten() {
                    walk(&e.path(), out);
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(&self.root, &mut out);
        out
    }

    fn assert_untouched(&self) {
        let top: BTreeSet<_> = std::fs::read_dir(&self.top)
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            top.len(),
            2,
            "something appeared beside the preopen: {top:?}"
        );
        let out: Vec<_> = std::fs::read_dir(&self.outside)
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(out, vec![std::ffi::OsString::from("secret.txt")]);
        let secret = self.outside.join("secret.txt");
        assert_eq!(std::fs::read(&secret).expect("read canary"), SECRET);
        let md = std::fs::symlink_metadata(&secret).expect("stat canary");
        assert_eq!(
            (md.dev(), md.ino(), md.nlink()),
            (self.canary.0, self.canary.1, 1)
        );
    }

    /// A host object reached by the guest must be one of the preopen's.
    fn assert_inside(&self, what: &str, dev: u64, ino: u64) {
        assert_ne!((dev, ino), self.canary, "{what} reached the canary");
        assert!(
            self.inside_ids().contains(&(dev, ino)),
            "{what} reached ({dev}, {ino}), which is not inside the preopen"
        );
    }
}

/// The in-memory side: `/sandbox` (the preopen) and `/outside/secret.txt`.
struct Mem {
    vfs: std::sync::Arc<VirtualFs>,
    dir: Box<dyn DirHandle>,
}

impl Mem {
    fn new() -> Self {
        let vfs = VirtualFs::in_memory("sandbox", 1);
        let top = vfs
            .open_dir(Path::new("/"), Access::READ_WRITE_CREATE)
            .expect("root");
        for d in ["sandbox", "sandbox/a", "sandbox/a/b", "outside"] {
            top.create_dir_at(d.as_bytes()).expect("mkdir");
        }
        write_file(&top, b"sandbox/f", b"inside");
        write_file(&top, b"outside/secret.txt", SECRET);
        let dir = vfs
            .open_dir(Path::new("/sandbox"), Access::READ_WRITE_CREATE)
            .expect("preopen");
        Mem {
            vfs,
            dir: Box::new(dir),
        }
    }

    fn assert_untouched(&self) {
        let top = self
            .vfs
            .open_dir(Path::new("/"), Access::READ_ONLY)
            .expect("root");
        let mut names: Vec<Vec<u8>> = top
            .read_dir()
            .expect("list")
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort();
        assert_eq!(names, vec![b"outside".to_vec(), b"sandbox".to_vec()]);
        let out = self
            .vfs
            .open_dir(Path::new("/outside"), Access::READ_ONLY)
            .expect("outside");
        let names: Vec<Vec<u8>> = out
            .read_dir()
            .expect("list")
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, vec![b"secret.txt".to_vec()]);
        assert_eq!(read_file(&out, b"secret.txt").as_deref(), Ok(SECRET));
    }
}

fn write_file(d: &dyn DirHandle, path: &[u8], data: &[u8]) {
    let o = OpenFlags {
        write: true,
        create: true,
        ..OpenFlags::default()
    };
    match d.open_at(path, o) {
        Ok(Opened::File(mut f)) => {
            f.write(data).expect("write");
        }
        other => panic!(
            "cannot create {:?}: {other:?}",
            String::from_utf8_lossy(path)
        ),
    }
}

fn read_file(d: &dyn DirHandle, path: &[u8]) -> Result<Vec<u8>, FsErrorKind> {
    match d.open_at(path, OpenFlags::READ).map_err(FsError::kind)? {
        Opened::File(mut f) => {
            let mut buf = vec![0u8; 256];
            let n = f.read(&mut buf).map_err(FsError::kind)?;
            buf.truncate(n);
            Ok(buf)
        }
        Opened::Dir(d) => {
            Ok(format!("dir of {}", d.read_dir().map_or(0, |e| e.len())).into_bytes())
        }
    }
}

/// What one step did on one backing, for comparing the two.
type Outcome = Result<String, FsErrorKind>;

/// Checks the property on `plan` (see the module docs). Panics on a violation.
pub fn check_plan(plan: &Plan) {
    let host = Host::new();
    let mem = Mem::new();
    let host_outside = host.outside.as_os_str().as_bytes().to_vec();
    let mem_outside = b"/outside".to_vec();
    let hd: &dyn DirHandle = &host.dir;
    let md: &dyn DirHandle = mem.dir.as_ref();
    for (i, step) in plan.steps.iter().take(MAX_STEPS).enumerate() {
        let run = |d: &dyn DirHandle, outside: &[u8], is_host: bool| -> Outcome {
            let r = |t: &TokPath| render(t, outside);
            match step {
                Step::Plant { name, target } => {
                    let name = name_of(*name);
                    let target = r(target);
                    if target.is_empty() || d.stat_at(name.as_bytes(), false).is_ok() {
                        return Ok("skipped".into());
                    }
                    let target = Path::new(std::ffi::OsStr::from_bytes(&target));
                    if is_host {
                        std::os::unix::fs::symlink(target, host.root.join(name))
                            .map_err(|e| FsError::from_io(&e).kind())?;
                    } else {
                        mem.vfs
                            .filesystem()
                            .create_symlink(target, &Path::new("/sandbox").join(name))
                            .map_err(|e| FsError::from_vfs(e).kind())?;
                    }
                    Ok("planted".into())
                }
                Step::Symlink { link, target } => d
                    .symlink_at(&r(target), &r(link))
                    .map(|()| "ok".into())
                    .map_err(FsError::kind),
                Step::Mkdir(p) => d
                    .create_dir_at(&r(p))
                    .map(|()| "ok".into())
                    .map_err(FsError::kind),
                Step::Unlink(p) => d
                    .unlink_at(&r(p))
                    .map(|()| "ok".into())
                    .map_err(FsError::kind),
                Step::Rename { from, to } => d
                    .rename_at(&r(from), d, &r(to))
                    .map(|()| "ok".into())
                    .map_err(FsError::kind),
                Step::Resolve { path, follow } => {
                    let res = d.resolve(&r(path), *follow).map_err(FsError::kind)?;
                    for c in res.components() {
                        assert!(
                            !c.is_empty() && c != b"." && c != b"..",
                            "step {i}: resolved component {:?} is not a plain name",
                            String::from_utf8_lossy(c)
                        );
                    }
                    if is_host && res.filetype().is_some() {
                        let mut p = host.root.clone();
                        for c in res.components() {
                            p.push(std::ffi::OsStr::from_bytes(c));
                        }
                        let st =
                            std::fs::symlink_metadata(&p).expect("the resolved location exists");
                        host.assert_inside("resolve", st.dev(), st.ino());
                    }
                    Ok(format!(
                        "{:?} {:?}",
                        String::from_utf8_lossy(res.path_bytes()),
                        res.filetype()
                    ))
                }
                Step::Stat { path, follow } => {
                    let st = d.stat_at(&r(path), *follow).map_err(FsError::kind)?;
                    if is_host {
                        host.assert_inside("stat", st.dev, st.ino);
                    }
                    Ok(format!("{:?}", st.filetype))
                }
                Step::Open { path, write } => {
                    let p = r(path);
                    if *write {
                        let o = OpenFlags {
                            write: true,
                            create: true,
                            ..OpenFlags::default()
                        };
                        match d.open_at(&p, o).map_err(FsError::kind)? {
                            Opened::File(mut f) => {
                                let st = f.stat().map_err(FsError::kind)?;
                                if is_host {
                                    host.assert_inside("open for write", st.dev, st.ino);
                                }
                                f.write(b"pwned").map_err(FsError::kind)?;
                                Ok("written".into())
                            }
                            Opened::Dir(_) => Ok("dir".into()),
                        }
                    } else {
                        match d.open_at(&p, OpenFlags::READ).map_err(FsError::kind)? {
                            Opened::File(mut f) => {
                                let st = f.stat().map_err(FsError::kind)?;
                                if is_host {
                                    host.assert_inside("open", st.dev, st.ino);
                                }
                                let mut buf = [0u8; 64];
                                let n = f.read(&mut buf).map_err(FsError::kind)?;
                                assert_ne!(&buf[..n], SECRET, "step {i}: read the canary");
                                Ok(format!("file {:?}", &buf[..n]))
                            }
                            Opened::Dir(sub) => {
                                let st = sub.stat().map_err(FsError::kind)?;
                                if is_host {
                                    host.assert_inside("open dir", st.dev, st.ino);
                                }
                                let mut names: Vec<Vec<u8>> = sub
                                    .read_dir()
                                    .map_err(FsError::kind)?
                                    .into_iter()
                                    .map(|e| e.name)
                                    .collect();
                                names.sort();
                                Ok(format!("dir {names:?}"))
                            }
                        }
                    }
                }
            }
        };
        let h = run(hd, &host_outside, true);
        let m = run(md, &mem_outside, false);
        assert_eq!(
            h, m,
            "step {i} {step:?}: the host and in-memory backings disagree"
        );
        host.assert_untouched();
        mem.assert_untouched();
    }
}

/// Deterministic bytes for the fixed-seed runs (xorshift64*).
pub fn seed_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_seeds(seeds: std::ops::Range<u64>) -> usize {
        let mut steps = 0;
        for seed in seeds {
            let bytes = seed_bytes(seed, 2048);
            let mut u = arbitrary::Unstructured::new(&bytes);
            let Ok(plan) = Plan::arbitrary(&mut u) else {
                continue;
            };
            steps += plan.steps.len().min(MAX_STEPS);
            check_plan(&plan);
        }
        steps
    }

    #[test]
    fn fixed_seeds_hold_the_property() {
        let steps = run_seeds(0..300);
        assert!(steps > 1000, "the seeds ran only {steps} steps");
    }

    /// A longer run for local use: `cargo test -p wasi-env-fuzz -- --ignored`.
    #[test]
    #[ignore = "slow; the fuzz target covers this ground"]
    fn many_seeds_hold_the_property() {
        run_seeds(300..20_300);
    }

    #[test]
    fn known_escape_plans_fail_safely() {
        use Tok::*;
        let plans = vec![
            // A planted absolute link to the canary's directory, then write through it.
            vec![
                Step::Plant {
                    name: Name::L0,
                    target: TokPath(vec![Outside]),
                },
                Step::Open {
                    path: TokPath(vec![L0, Slash, A]),
                    write: true,
                },
                Step::Stat {
                    path: TokPath(vec![L0]),
                    follow: true,
                },
            ],
            // A guest link climbing out, chained, renamed deeper and back.
            vec![
                Step::Symlink {
                    link: TokPath(vec![L1]),
                    target: TokPath(vec![DotDot, Slash, Outside]),
                },
                Step::Symlink {
                    link: TokPath(vec![L2]),
                    target: TokPath(vec![L1]),
                },
                Step::Open {
                    path: TokPath(vec![L2]),
                    write: false,
                },
                Step::Rename {
                    from: TokPath(vec![L2]),
                    to: TokPath(vec![A, Slash, L2]),
                },
                Step::Resolve {
                    path: TokPath(vec![A, Slash, L2]),
                    follow: true,
                },
            ],
            // `..` chains.
            vec![
                Step::Open {
                    path: TokPath(vec![A, Slash, DotDot, Slash, DotDot]),
                    write: false,
                },
                Step::Mkdir(TokPath(vec![DotDot, Slash, L0])),
                Step::Unlink(TokPath(vec![L0, Slash, DotDot, Slash, DotDot, Slash, F])),
            ],
        ];
        for steps in plans {
            check_plan(&Plan { steps });
        }
    }
}
