//! The preview1 conformance suite: guest programs under
//! `tests/conformance/`, each with a declarative `NAME.spec`, run through
//! the launcher. Each program has exactly one `#[test]` (the [`suite!`]
//! macro generates them, and `every_program_has_exactly_one_test` checks
//! the folder against the list).
//!
//! A program is either `NAME.wasm` (C built with wasi-libc by `build.sh`
//! from `NAME.c`; the `.wasm` is committed so no C toolchain is needed) or
//! `NAME.wat`, which is wrapped in a module together with `prelude.wat`
//! (every preview1 import, the memory and check helpers).
//!
//! # Spec format
//!
//! One `key = value` per line; `#` starts a comment. Values may use `\n`,
//! `\t`, `\\` and `\0` escapes. Repeatable keys are marked (*).
//!
//! Every program also sees `BACKING=host` or `BACKING=virtual` in its
//! environment, to skip what the in-memory sandbox documents as unsupported
//! (hard links, times on directories and symlinks).
//!
//! | key | meaning |
//! |---|---|
//! | `args` | arguments after the program name, split on whitespace |
//! | `env` (*) | `KEY=VALUE` |
//! | `dir` (*) | a directory to create in the preopen before the run |
//! | `file` (*) | `path: contents`, a file to create before the run |
//! | `symlink` (*) | `link -> target`, a symlink to create before the run |
//! | `backing` | `host` (default), `virtual` or `both`: the preopen mapped to `/` is a fresh temp host dir, the in-memory sandbox, or each in turn (both must give the same result) |
//! | `readonly` | `true`: the `/` preopen is read-only |
//! | `extra` | a guest path where a second, writable temp host dir is mapped |
//! | `stdin` | bytes fed to stdin |
//! | `exit` | expected exit code (default 0) |
//! | `stdout` | expected stdout, exactly |
//! | `host_file` (*) | `path: contents` the host dir must hold afterwards (host backing) |
//! | `host_absent` (*) | a path that must not exist in the host dir afterwards (host backing) |

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wasi_config::{ConfigBuilder, Permissions, PreopenSpec, SANDBOX_FS};
use wasi_fs_setup::StdioSlot;
use wasi_launch::{Compiler, Launcher};

/// Where the programs live.
fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// One launcher for the whole binary: modules compile once per program.
/// Singlepass compiles several times faster than Cranelift, which matters
/// in debug builds; the host functions under test are the same.
fn launcher() -> &'static Launcher {
    static LAUNCHER: OnceLock<Launcher> = OnceLock::new();
    LAUNCHER.get_or_init(|| Launcher::builder().compiler(Compiler::Singlepass).build())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backing {
    Host,
    Virtual,
}

#[derive(Debug, Default)]
struct Spec {
    args: Vec<String>,
    env: Vec<(String, String)>,
    dirs: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    symlinks: Vec<(String, String)>,
    backings: Vec<Backing>,
    readonly: bool,
    extra: Option<String>,
    stdin: Vec<u8>,
    exit: u32,
    stdout: Vec<u8>,
    host_files: Vec<(String, Vec<u8>)>,
    host_absent: Vec<String>,
}

fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('\\') => out.push(b'\\'),
            other => panic!("bad escape \\{other:?} in spec"),
        }
    }
    out
}

fn split_pair<'a>(value: &'a str, sep: &str, key: &str) -> (&'a str, &'a str) {
    value
        .split_once(sep)
        .map(|(a, b)| (a.trim(), b.trim_start()))
        .unwrap_or_else(|| panic!("`{key}` needs `a{sep}b`, got {value:?}"))
}

fn parse_spec(text: &str) -> Spec {
    let mut spec = Spec::default();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .map(|(k, v)| (k.trim(), v.trim()))
            .unwrap_or_else(|| panic!("spec line without `=`: {line:?}"));
        match key {
            "args" => spec.args = value.split_whitespace().map(String::from).collect(),
            "env" => {
                let (k, v) = value.split_once('=').expect("env needs KEY=VALUE");
                spec.env.push((k.to_string(), v.to_string()));
            }
            "dir" => spec.dirs.push(value.to_string()),
            "file" => {
                let (path, contents) = split_pair(value, ":", key);
                spec.files.push((path.to_string(), unescape(contents)));
            }
            "symlink" => {
                let (link, target) = split_pair(value, "->", key);
                spec.symlinks.push((link.to_string(), target.to_string()));
            }
            "backing" => {
                spec.backings = match value {
                    "host" => vec![Backing::Host],
                    "virtual" => vec![Backing::Virtual],
                    "both" => vec![Backing::Host, Backing::Virtual],
                    other => panic!("unknown backing {other:?}"),
                }
            }
            "readonly" => spec.readonly = value == "true",
            "extra" => spec.extra = Some(value.to_string()),
            "stdin" => spec.stdin = unescape(value),
            "exit" => spec.exit = value.parse().expect("exit code"),
            "stdout" => spec.stdout = unescape(value),
            "host_file" => {
                let (path, contents) = split_pair(value, ":", key);
                spec.host_files.push((path.to_string(), unescape(contents)));
            }
            "host_absent" => spec.host_absent.push(value.to_string()),
            other => panic!("unknown spec key {other:?}"),
        }
    }
    if spec.backings.is_empty() {
        spec.backings = vec![Backing::Host];
    }
    spec
}

/// The module bytes or text of program `name`.
fn program(name: &str) -> Vec<u8> {
    let dir = suite_dir();
    let wasm = dir.join(format!("{name}.wasm"));
    if wasm.exists() {
        return std::fs::read(&wasm).expect("read wasm");
    }
    let body = std::fs::read_to_string(dir.join(format!("{name}.wat")))
        .unwrap_or_else(|e| panic!("no {name}.wasm or {name}.wat: {e}"));
    let prelude = std::fs::read_to_string(dir.join("prelude.wat")).expect("prelude.wat");
    format!("(module\n{prelude}\n{body}\n)\n").into_bytes()
}

/// Creates the spec's directories, files and symlinks in a host directory.
fn populate_host(root: &Path, spec: &Spec) {
    for d in &spec.dirs {
        std::fs::create_dir_all(root.join(d)).expect("create dir");
    }
    for (path, contents) in &spec.files {
        std::fs::write(root.join(path), contents).expect("write file");
    }
    for (link, target) in &spec.symlinks {
        std::os::unix::fs::symlink(target, root.join(link)).expect("symlink");
    }
}

struct Outcome {
    exit: Result<u32, String>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn run_once(name: &str, spec: &Spec, backing: Backing) -> (Outcome, tempfile::TempDir) {
    let host = tempfile::tempdir().expect("temp dir");
    let extra = tempfile::tempdir().expect("temp dir");
    let permissions = if spec.readonly {
        Permissions::READ_ONLY
    } else {
        Permissions::ALL
    };
    let mut b = ConfigBuilder::new(name);
    b.args(spec.args.iter().map(String::as_str));
    for (k, v) in &spec.env {
        b.env(k.as_str(), v.as_str());
    }
    // Lets a program skip what one backing documents as unsupported (the
    // in-memory sandbox has no hard links and no times on directories).
    b.env(
        "BACKING",
        match backing {
            Backing::Host => "host",
            Backing::Virtual => "virtual",
        },
    );
    match backing {
        Backing::Host => {
            populate_host(host.path(), spec);
            b.preopen(
                PreopenSpec::host(host.path())
                    .guest_path("/")
                    .permissions(permissions),
            );
        }
        Backing::Virtual => {
            b.preopen(
                PreopenSpec::virtual_dir(SANDBOX_FS, "/")
                    .guest_path("/")
                    .permissions(permissions),
            );
        }
    }
    if let Some(guest) = &spec.extra {
        b.preopen(
            PreopenSpec::host(extra.path())
                .guest_path(guest.as_str())
                .permissions(Permissions::ALL),
        );
    }
    let config = b.validate().expect("valid config");
    let (stdout, out) = StdioSlot::capture();
    let (stderr, err) = StdioSlot::capture();
    let stdin = StdioSlot::from_bytes(spec.stdin.clone());
    let dirs = spec.dirs.clone();
    let files = spec.files.clone();
    let symlinks = spec.symlinks.clone();
    let env = launcher()
        .environment_with(config, |w| {
            w.stdin(stdin).stdout(stdout).stderr(stderr);
            if backing == Backing::Host {
                return;
            }
            w.setup(move |ctx| {
                for d in &dirs {
                    ctx.create_dir_all(format!("/{d}"))?;
                }
                for (path, contents) in &files {
                    ctx.write_file(format!("/{path}"), contents)?;
                }
                for (link, target) in &symlinks {
                    ctx.symlink(target.as_bytes(), format!("/{link}"))?;
                }
                Ok(())
            });
        })
        .expect("environment");
    let module = launcher()
        .load_module(&program(name))
        .unwrap_or_else(|e| panic!("{name}: module does not load: {e}"));
    let exit = env
        .run(&module)
        .map(|status| status.code() as u32)
        .map_err(|e| format!("{e}"));
    let outcome = Outcome {
        exit,
        stdout: out.contents(),
        stderr: err.contents(),
    };
    (outcome, host)
}

/// Runs program `name` on every backing its spec names and checks the
/// outcome of each.
fn run(name: &str) {
    let text = std::fs::read_to_string(suite_dir().join(format!("{name}.spec")))
        .unwrap_or_else(|e| panic!("{name}.spec: {e}"));
    let spec = parse_spec(&text);
    for &backing in &spec.backings {
        let (outcome, host) = run_once(name, &spec, backing);
        let show = |o: &Outcome| {
            format!(
                "{name} on {backing:?}: exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
                o.exit,
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        };
        assert_eq!(
            outcome.exit.as_ref().ok(),
            Some(&spec.exit),
            "wrong exit\n{}",
            show(&outcome)
        );
        assert!(
            outcome.stdout == spec.stdout,
            "wrong stdout (expected {:?})\n{}",
            String::from_utf8_lossy(&spec.stdout),
            show(&outcome)
        );
        if backing == Backing::Host {
            for (path, contents) in &spec.host_files {
                let got = std::fs::read(host.path().join(path))
                    .unwrap_or_else(|e| panic!("{name}: host file {path}: {e}"));
                assert_eq!(got, *contents, "{name}: host file {path} changed");
            }
            for path in &spec.host_absent {
                assert!(
                    std::fs::symlink_metadata(host.path().join(path)).is_err(),
                    "{name}: {path} exists on the host"
                );
            }
        }
    }
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run(stringify!($name));
            }
        )*
        /// Every program of the suite, in the order of the macro.
        const PROGRAMS: &[&str] = &[$(stringify!($name)),*];
    };
}

suite! {
    // C programs (wasi-libc).
    c_file_io,
    c_stat_times,
    c_dirs,
    c_rename,
    c_symlinks,
    c_hardlinks,
    c_poll_sleep,
    c_readonly,
    c_big_io,
    c_stdio,
    // WAT programs (raw preview1 calls).
    wat_bad_fds,
    wat_bad_pointers,
    wat_odd_flags,
    wat_rights,
    wat_sock,
    wat_readdir_cookies,
    wat_path_edges,
    wat_poll,
    wat_renumber,
    wat_misc,
}

#[test]
fn every_program_has_exactly_one_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir(suite_dir())
        .expect("suite dir")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".spec")?.to_string())
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = PROGRAMS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    let before = listed.len();
    listed.dedup();
    assert_eq!(before, listed.len(), "a program is listed twice");
    assert_eq!(on_disk, listed, "programs on disk and tests differ");
}

#[test]
fn spec_parser_reads_every_key() {
    let spec = parse_spec(
        "# comment\nargs = a b\nenv = K=V=W\ndir = d\nfile = d/f: x\\ny\nsymlink = l -> d/f\n\
         backing = both\nreadonly = true\nextra = /w\nstdin = in\\0\nexit = 3\nstdout = ok\\n\n\
         host_file = d/f: x\\ny\nhost_absent = z\n",
    );
    assert_eq!(spec.args, ["a", "b"]);
    assert_eq!(spec.env, [("K".to_string(), "V=W".to_string())]);
    assert_eq!(spec.files, [("d/f".to_string(), b"x\ny".to_vec())]);
    assert_eq!(spec.symlinks, [("l".to_string(), "d/f".to_string())]);
    assert_eq!(spec.backings, [Backing::Host, Backing::Virtual]);
    assert!(spec.readonly);
    assert_eq!(spec.extra.as_deref(), Some("/w"));
    assert_eq!(spec.stdin, b"in\0");
    assert_eq!((spec.exit, spec.stdout.as_slice()), (3, &b"ok\n"[..]));
    assert_eq!(spec.host_absent, ["z"]);
}
