//! End-to-end tests of the `wasi-run` binary: exit statuses, byte-exact
//! args and env (everything after MODULE is the guest's, even a wasi-run
//! option), `--env KEY` forwarding, `--explain`, `--ro-dir`, and that
//! no failure prints a Rust panic message.
//!
//! The guests are the `.wat` programs of `tests/guests/` (whose library
//! tests are in `launch.rs`) and the workspace's `examples/`. Every run gets
//! its own cache directory, so nothing is written to the user's cache, and
//! runs without tiering (`--no-tiering`: no detached precompile outlives a
//! test), except in the tests of tiering itself.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Exit status for usage and configuration errors.
const EXIT_USAGE: i32 = 2;
/// Exit status for a module that cannot be read, parsed or linked.
const EXIT_MODULE: i32 = 1;
/// Exit status when the guest traps.
const EXIT_TRAP: i32 = 134;

pub(crate) fn guest(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests")
        .join(format!("{name}.wat"))
}

pub(crate) fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

/// A `wasi-run` command with a private cache directory, no tiering, and neither
/// `RUST_LOG` (so stderr holds only what `wasi-run` itself says) nor
/// `RUST_BACKTRACE` (so a default panic message would show its note).
pub(crate) struct WasiRun {
    pub(crate) cmd: Command,
    _cache: tempfile::TempDir,
}

impl WasiRun {
    pub(crate) fn new() -> Self {
        let cache = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasi-run"));
        cmd.env_remove("RUST_LOG")
            .env_remove("RUST_BACKTRACE")
            .env("XDG_CACHE_HOME", cache.path())
            .arg("--no-tiering")
            .arg("--cache-dir")
            .arg(cache.path().join("modules"));
        WasiRun { cmd, _cache: cache }
    }

    /// A command without `--cache-dir` (for usage errors about it).
    pub(crate) fn bare() -> Self {
        let cache = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasi-run"));
        cmd.env_remove("RUST_LOG")
            .env_remove("RUST_BACKTRACE")
            .env("XDG_CACHE_HOME", cache.path());
        WasiRun { cmd, _cache: cache }
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub(crate) fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.cmd.args(args);
        self
    }

    pub(crate) fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Runs to completion with stdin a pipe that stays open (and is never
    /// written) until wasi-run has exited.
    pub(crate) fn output_with_open_stdin(mut self) -> Output {
        use std::process::Stdio;
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("wasi-run starts");
        let stdin = child.stdin.take();
        let out = child.wait_with_output().expect("wasi-run ends");
        drop(stdin);
        out
    }

    /// Runs to completion and checks that stderr carries no Rust panic.
    pub(crate) fn output(mut self) -> Output {
        let out = self.cmd.output().expect("wasi-run starts");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for needle in ["panicked", "RUST_BACKTRACE", "internal error"] {
            assert!(!stderr.contains(needle), "stderr shows a panic:\n{stderr}");
        }
        out
    }
}

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().expect("wasi-run exited, not killed")
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn hello_wat_and_c_hello_exit_0() {
    let out = WasiRun::new().arg(example("hello.wat")).output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(out.stdout, b"Hello, world!\n");
    assert_eq!(out.stderr, b"");

    let out = WasiRun::new()
        .arg(example("hello.wasm"))
        .args(["one", "two"])
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(out.stdout, b"Hello, world! argc=3\n");
}

#[test]
fn guest_exit_codes_become_the_exit_status() {
    // Codes that do not fit in a byte exit 255: truncating would turn 256
    // into success.
    for (arg, want) in [
        ("0", 0),
        ("3", 3),
        ("255", 255),
        ("256", 255),
        ("4294967040", 255),
    ] {
        let out = WasiRun::new()
            .arg("--compiler")
            .arg("singlepass")
            .arg(guest("exit_code"))
            .arg(arg)
            .output();
        assert_eq!(code(&out), want, "{arg}: {}", stderr(&out));
        assert_eq!(out.stderr, b"", "{arg}");
    }
}

#[test]
fn trap_exits_134_with_one_line_and_a_backtrace() {
    let out = WasiRun::new().arg(guest("trap")).output();
    assert_eq!(code(&out), EXIT_TRAP);
    assert_eq!(out.stdout, b"before the trap\n");
    let stderr = stderr(&out);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].starts_with("wasi-run: "), "{stderr}");
    assert!(lines[0].contains("unreachable"), "{stderr}");
    let frames = &lines[1..];
    assert_eq!(frames.len(), 3, "{stderr}");
    assert!(frames.iter().all(|f| f.starts_with("    at ")), "{stderr}");
    assert!(
        frames[0].contains("inner") && frames[1].contains("outer"),
        "{stderr}"
    );
}

/// Regression (issue 11): `proc_exit(7)` in a start function exited 1 with
/// the message printed three times.
#[test]
fn proc_exit_in_a_start_function_is_the_exit_code() {
    let out = WasiRun::new().arg(guest("start_proc_exit")).output();
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    assert_eq!(out.stderr, b"");
}

/// Regression (issue 11): `table.grow` by u32::MAX - 1 aborted the host
/// (`memory allocation of 34359738360 bytes failed`).
#[test]
fn table_grow_past_the_bound_returns_minus_one_to_the_guest() {
    let out = WasiRun::new().arg(guest("table_grow_unbounded")).output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(out.stderr, b"");
}

#[test]
fn proc_raise_exits_as_killed_by_the_signal() {
    let out = WasiRun::new().arg(guest("proc_raise_abrt")).output();
    assert_eq!(code(&out), 128 + 6, "{}", stderr(&out));
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    let missing_dir = tempfile::tempdir().unwrap().path().join("gone");
    let hello = example("hello.wat");
    let cases: Vec<(Vec<OsString>, &str)> = vec![
        (vec![], "MODULE"),
        (vec!["--bogus".into(), hello.clone().into()], "--bogus"),
        (
            vec!["--compiler".into(), "gcc".into(), hello.clone().into()],
            "gcc",
        ),
        (
            vec!["--env".into(), "=value".into(), hello.clone().into()],
            "--env",
        ),
        (
            vec![
                "--cache-dir".into(),
                "/tmp".into(),
                "--no-cache".into(),
                hello.clone().into(),
            ],
            "--no-cache",
        ),
        (
            vec![
                "--dir".into(),
                missing_dir.clone().into(),
                hello.clone().into(),
            ],
            "gone",
        ),
        (
            vec!["--mapdir".into(), "no-colon".into(), hello.clone().into()],
            "no-colon",
        ),
    ];
    for (args, needle) in cases {
        let out = WasiRun::bare().args(&args).output();
        let stderr = stderr(&out);
        assert_eq!(code(&out), EXIT_USAGE, "{args:?}: {stderr}");
        assert!(!stderr.is_empty(), "{args:?}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(out.stdout, b"", "{args:?}");
    }
}

#[test]
fn unreadable_unparsable_or_unlinkable_modules_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"\0asm\x01\0\0\0\xff\xff").unwrap();
    let broken_wat = dir.path().join("broken.wat");
    std::fs::write(&broken_wat, b"(module (func").unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (dir.path().join("missing.wasm"), "missing.wasm"),
        (dir.path().to_path_buf(), "cannot read module"),
        (garbage, "does not compile"),
        (broken_wat, "wasm text"),
        (guest("link_env"), "host_hook"),
        (guest("link_unknown_preview1"), "no_such_function"),
        (guest("no_start"), "_start"),
        (guest("no_memory"), "memory"),
    ];
    for (module, needle) in cases {
        let out = WasiRun::new().arg(&module).output();
        let stderr = stderr(&out);
        assert_eq!(code(&out), EXIT_MODULE, "{}: {stderr}", module.display());
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("wasi-run: "), "{stderr}");
        assert!(stderr.contains(needle), "{}: {stderr}", module.display());
    }
}

#[test]
fn args_and_env_are_byte_exact() {
    let module = guest("args_env");
    let args: [&[u8]; 6] = [
        b"\xff\xfe not utf-8",
        b"caf\xc3\xa9",
        b"",
        b"--not-an-option",
        b"-x",
        b"tab\tnewline\n",
    ];
    let out = WasiRun::new()
        .arg("--env")
        .arg("PLAIN=value")
        .arg("--env")
        .arg(OsStr::from_bytes(b"BYTES=\xc0\xff"))
        .arg("--env")
        .arg("EQUALS=a=b")
        .arg(&module)
        .args(args.iter().map(|a| OsStr::from_bytes(a)))
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut want = module.as_os_str().as_bytes().to_vec();
    want.push(0);
    for arg in args {
        want.extend_from_slice(arg);
        want.push(0);
    }
    assert_eq!(out.stdout, want);
    // The guest sees only the env it was given: none of this process's.
    assert_eq!(
        out.stderr,
        b"PLAIN=value\0BYTES=\xc0\xff\0EQUALS=a=b\0".to_vec()
    );
}

/// Regression: `-h`, `--help`, `-V`, `--version` and `--` right after
/// MODULE were taken by wasi-run (printing its help or version, or dropping
/// the `--`) instead of reaching the guest. Every spelling of a wasi-run
/// option, placed right after MODULE, must reach the guest unchanged.
#[test]
fn runner_options_after_module_are_guest_args() {
    let module = guest("args_env");
    let cache = tempfile::tempdir().unwrap();
    let cases: &[&[&[u8]]] = &[
        &[b"-h"],
        &[b"--help"],
        &[b"-V"],
        &[b"--version"],
        &[b"--"],
        &[b"--", b"--help"],
        &[b"--", b"--"],
        &[b"--dir=x"],
        &[b"--dir", b"x"],
        &[b"--env", b"K=V"],
        &[b"--explain"],
        &[b"--compiler", b"gcc"],
        &[b"--cache-dir", b"/nonexistent"],
        &[b"--no-cache"],
        &[b"--bogus"],
        &[b"-x"],
        &[b"--help=\xff"],
        &[b"-", b"---"],
        &[b"--\xff"],
    ];
    for &guest_args in cases {
        let out = WasiRun::bare()
            .arg("--cache-dir")
            .arg(cache.path())
            .arg("--compiler")
            .arg("singlepass")
            .arg(&module)
            .args(guest_args.iter().map(|a| OsStr::from_bytes(a)))
            .output();
        assert_eq!(code(&out), 0, "{guest_args:?}: {}", stderr(&out));
        let mut want = module.as_os_str().as_bytes().to_vec();
        want.push(0);
        for arg in guest_args {
            want.extend_from_slice(arg);
            want.push(0);
        }
        assert_eq!(
            out.stdout,
            want,
            "{guest_args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        // No env given: the guest writes nothing to stderr, nor does wasi-run.
        assert_eq!(out.stderr, b"", "{guest_args:?}");
    }
}

#[test]
fn env_key_alone_forwards_the_host_value() {
    let out = WasiRun::new()
        .env(
            "WASI_RUN_FORWARDED",
            OsStr::from_bytes(b"from the host \xff"),
        )
        .env("WASI_RUN_NOT_ASKED", "hidden")
        .arg("--env")
        .arg("WASI_RUN_FORWARDED")
        .arg("--env")
        .arg("WASI_RUN_UNSET_ON_THE_HOST")
        .arg(guest("args_env"))
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // An unset key is left out; nothing else leaks in.
    assert_eq!(
        out.stderr,
        b"WASI_RUN_FORWARDED=from the host \xff\0".to_vec()
    );

    // --inherit-env gives everything, then --env overrides.
    let out = WasiRun::new()
        .env("WASI_RUN_NOT_ASKED", "visible")
        .arg("--inherit-env")
        .arg("--env")
        .arg("WASI_RUN_NOT_ASKED=overridden")
        .arg(guest("args_env"))
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let entries: Vec<&[u8]> = out.stderr.split(|b| *b == 0).collect();
    assert!(entries.contains(&&b"WASI_RUN_NOT_ASKED=overridden"[..]));
    assert!(!entries.contains(&&b"WASI_RUN_NOT_ASKED=visible"[..]));
    assert!(entries.iter().any(|e| e.starts_with(b"PATH=")));
}

#[test]
fn explain_prints_the_plan_without_running() {
    let data = tempfile::tempdir().unwrap();
    let out = WasiRun::new()
        .arg("--explain")
        .arg("--env")
        .arg("SECRET_TOKEN=hunter2")
        .arg("--ro-dir")
        .arg(format!("{}::/data", data.path().display()))
        .arg("--mapdir")
        .arg(format!("/work:{}", data.path().display()))
        .arg(guest("exit_code"))
        .arg("3")
        .output();
    // 0, not the guest's 3: nothing ran.
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("exit_code.wat"), "{stdout}");
    assert!(stdout.contains("arg[1]: 3"), "{stdout}");
    assert!(stdout.contains("env: SECRET_TOKEN"), "{stdout}");
    assert!(
        !stdout.contains("hunter2"),
        "env values are never shown:\n{stdout}"
    );
    let host = data.path().display().to_string();
    let fd3 = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("3: "))
        .unwrap_or_else(|| panic!("no fd 3:\n{stdout}"));
    assert!(fd3.contains("/data") && fd3.contains(&host), "{fd3}");
    assert!(fd3.contains("r--"), "{fd3}");
    let fd4 = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("4: "))
        .unwrap_or_else(|| panic!("no fd 4:\n{stdout}"));
    assert!(fd4.contains("/work") && fd4.contains("rwc"), "{fd4}");
    for stdio in ["0: stdin", "1: stdout", "2: stderr"] {
        assert!(stdout.contains(stdio), "{stdout}");
    }
}

/// preview1 rights bits.
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_PATH_CREATE_FILE: u64 = 1 << 10;

#[test]
fn ro_dir_preopens_without_write_rights() {
    let (rw, ro) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = WasiRun::new()
        .arg("--dir")
        .arg(format!("{}::/rw", rw.path().display()))
        .arg("--ro-dir")
        .arg(format!("{}::/ro", ro.path().display()))
        .arg(guest("preopens"))
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<&str>> = stdout.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let rights = |line: &[&str]| {
        (
            u64::from_str_radix(line[1], 16).unwrap(),
            u64::from_str_radix(line[2], 16).unwrap(),
        )
    };
    assert_eq!(lines[0][0], "/rw");
    let (base, inheriting) = rights(&lines[0]);
    assert_ne!(base & RIGHT_PATH_CREATE_FILE, 0, "{stdout}");
    assert_ne!(inheriting & RIGHT_FD_WRITE, 0, "{stdout}");
    assert_eq!(lines[1][0], "/ro");
    let (base, inheriting) = rights(&lines[1]);
    assert_eq!(base & RIGHT_PATH_CREATE_FILE, 0, "{stdout}");
    assert_eq!(inheriting & RIGHT_FD_WRITE, 0, "{stdout}");
}

#[test]
fn cache_dir_is_written_once_and_no_cache_writes_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let files = || -> Vec<PathBuf> {
        std::fs::read_dir(cache.path())
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    };
    for _ in 0..2 {
        let out = WasiRun::bare()
            .arg("--no-tiering")
            .arg("--cache-dir")
            .arg(cache.path())
            .arg(example("hello.wasm"))
            .output();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(out.stdout, b"Hello, world! argc=1\n");
        assert_eq!(files().len(), 1, "{:?}", files());
    }
    // Corrupt the file: the next run still works and rewrites it.
    let file = files().remove(0);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let out = WasiRun::bare()
        .arg("--no-tiering")
        .arg("--cache-dir")
        .arg(cache.path())
        .arg(example("hello.wasm"))
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(out.stdout, b"Hello, world! argc=1\n");
    assert_ne!(std::fs::read(&file).unwrap(), bytes, "rewritten");

    // --no-cache: neither the given directory nor the default one is used.
    let home = tempfile::tempdir().unwrap();
    let out = WasiRun::bare()
        .env("XDG_CACHE_HOME", home.path())
        .env("HOME", home.path())
        .arg("--no-cache")
        .arg(example("hello.wat"))
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

/// Input the host already read must not hide from `poll_oneoff`: the guest
/// reads one byte of "ab", then polls stdin while the pipe stays open; the
/// poll must report the second byte ready (the clock fallback is 10 s).
#[test]
fn inherited_stdin_read_ahead_is_visible_to_poll() {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut run = WasiRun::new().arg(guest("stdin_read_then_poll"));
    run.cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = run.cmd.spawn().expect("wasi-run starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"ab").expect("write stdin");
    stdin.flush().expect("flush");
    // Keep the pipe open until the guest is done: no end of file to poll on.
    let out = child.wait_with_output().expect("wasi-run ends");
    drop(stdin);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ab",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
}

/// Issue 13: `-W` limits through `wasi-run`: fuel and timeout stop a loop
/// with exit 134 and a line naming the limit, the output before kept.
#[test]
fn fuel_and_timeout_stop_a_loop_with_134_naming_the_limit() {
    let spin = guest("spin_after_output");
    for (flag, limits, line) in [
        (
            "-W",
            "fuel=100000",
            "wasi-run: guest ran out of fuel (fuel=100000)\n",
        ),
        (
            "--wasm",
            "timeout=300ms,max-open-fds=64",
            "wasi-run: guest timed out after 300ms (timeout)\n",
        ),
    ] {
        let out = WasiRun::new().args([flag, limits]).arg(&spin).output();
        assert_eq!(code(&out), 134, "{}", stderr(&out));
        assert_eq!(out.stdout, b"before\n");
        assert_eq!(stderr(&out), line);
    }
}

#[test]
fn timeout_stops_a_guest_asleep_or_blocked_on_a_stdin_pipe() {
    let started = std::time::Instant::now();
    let out = WasiRun::new()
        .args(["-W", "timeout=1"])
        .arg(guest("sleep_an_hour"))
        .output();
    assert_eq!(code(&out), 134, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("timed out after 1s"),
        "{}",
        stderr(&out)
    );
    // stdin is a pipe this test keeps open and never writes.
    let out = WasiRun::new()
        .args(["-W", "timeout=300ms"])
        .arg(guest("read_one_stdin_byte"))
        .output_with_open_stdin();
    assert_eq!(code(&out), 134, "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn memory_cap_makes_grow_fail_and_refuses_a_larger_minimum() {
    let grow = guest("grow_past_memory_cap");
    let out = WasiRun::new()
        .args(["-W", "max-memory-size=2097152"])
        .arg(&grow)
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The module's minimum (one page) is over a cap of 0 pages: exit 1.
    let out = WasiRun::new()
        .args(["-W", "max-memory-size=1000"])
        .arg(&grow)
        .output();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("max-memory-size"), "{}", stderr(&out));
}

#[test]
fn unbounded_recursion_exits_134_as_stack_exhaustion() {
    let out = WasiRun::new()
        .args(["-W", "max-wasm-stack=65536"])
        .arg(guest("recurse_for_ever"))
        .output();
    assert_eq!(code(&out), 134, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "wasi-run: guest exhausted its wasm stack (max-wasm-stack=65536)\n"
    );
}

#[test]
fn bad_limit_keys_and_values_exit_2_naming_them() {
    for (arg, named) in [
        ("bogus=1", "bogus"),
        ("fuel=lots", "fuel"),
        ("timeout=2h", "timeout"),
        ("max-wasm-stack=0", "max-wasm-stack"),
        ("timeout=0", "timeout"),
    ] {
        let out = WasiRun::new()
            .args(["-W", arg])
            .arg(example("hello.wat"))
            .output();
        assert_eq!(code(&out), 2, "{arg}: {}", stderr(&out));
        assert!(stderr(&out).contains(named), "{arg}: {}", stderr(&out));
    }
}

#[test]
fn explain_lists_the_limits_in_force() {
    let out = WasiRun::new()
        .args([
            "-W",
            "fuel=5,timeout=2s",
            "-W",
            "max-memory-size=65536",
            "--explain",
        ])
        .arg(example("hello.wat"))
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "limits:",
        "  max-memory-size: 65536 bytes",
        "  fuel: 5 units",
        "  timeout: 2s",
        "  max-open-fds: 1024",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in {text}");
    }
}

/// SIGINT and SIGTERM stop the guest through the interrupt, its output
/// flushed, and exit 130 and 143.
#[test]
fn sigint_and_sigterm_stop_the_guest_and_exit_130_and_143() {
    use std::io::Read as _;
    use std::process::Stdio;
    for (signal, want) in [("-INT", 130), ("-TERM", 143)] {
        let mut run = WasiRun::new().arg(guest("spin_after_output"));
        run.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = run.cmd.spawn().expect("wasi-run starts");
        let mut stdout = child.stdout.take().expect("stdout");
        // Once "before" is out the guest is in its loop.
        let mut first = [0u8; 7];
        stdout.read_exact(&mut first).expect("the guest's output");
        assert_eq!(&first, b"before\n");
        let killed = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let out = child.wait_with_output().expect("wasi-run ends");
        assert_eq!(code(&out), want, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("interrupted by SIG"),
            "{}",
            stderr(&out)
        );
    }
}

/// Issue 14: `proc_exit` in a thread ends `wasi-run` with its code while
/// `_start` is blocked reading a stdin pipe that stays open; `-W
/// max-threads=1` (only the main task) makes the spawn fail instead.
#[test]
fn thread_exit_ends_the_run_while_main_reads_stdin_and_max_threads_caps_spawns() {
    let started = std::time::Instant::now();
    let out = WasiRun::new()
        .arg(guest("thread_exit_while_main_reads_stdin"))
        .output_with_open_stdin();
    assert_eq!(code(&out), 42, "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let out = WasiRun::new()
        .args(["-W", "max-threads=1"])
        .arg(guest("thread_exit_while_main_reads_stdin"))
        .output();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

/// The cache files in `dir` once there are `n` of them, waiting up to a
/// minute for a detached precompile to write them (a bound for
/// correctness, not a performance assertion).
pub(crate) fn cache_files_eventually(dir: &Path, n: usize) -> Vec<PathBuf> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.retain(|f| f.extension() == Some(OsStr::new("wlmod")));
        if files.len() >= n || std::time::Instant::now() > deadline {
            files.sort();
            return files;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A first run starts from a quick compile; the detached `--precompile`
/// then writes the Cranelift compile, under the same file name a
/// `--no-tiering` run writes, and the next run loads it without compiling.
/// The same holds for a metered (fuel) run, under its own key.
#[test]
fn a_first_run_tiers_and_its_detached_precompile_caches_the_cranelift_compile() {
    let cache = tempfile::tempdir().unwrap();
    let tiered = cache.path().join("tiered");
    let plain = cache.path().join("plain");
    let run = |dir: &Path, extra: &[&str]| {
        WasiRun::bare()
            .env("RUST_LOG", "wasi_launch=debug")
            .args(extra)
            .arg("--cache-dir")
            .arg(dir)
            .arg(example("hello.wasm"))
            .output()
    };
    // A run of hello that succeeds and logs `line`; its log.
    let hello_logging = |dir: &Path, fuel: &[&str], line: &str| -> String {
        let out = run(dir, fuel);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(out.stdout, b"Hello, world! argc=1\n");
        assert!(stderr(&out).contains(line), "{}", stderr(&out));
        stderr(&out)
    };
    for (n, fuel) in [(1, &[][..]), (2, &["-W", "fuel=100000000"][..])] {
        hello_logging(&tiered, fuel, "compiled quickly (tiering)");
        let files = cache_files_eventually(&tiered, n);
        assert_eq!(files.len(), n, "{files:?}");

        let log = hello_logging(&tiered, fuel, "module cache: disk hit");
        assert!(!log.contains("compiled"), "{log}");

        let mut no_tiering = vec!["--no-tiering"];
        no_tiering.extend_from_slice(fuel);
        assert_eq!(code(&run(&plain, &no_tiering)), 0);
        let names = |files: Vec<PathBuf>| -> Vec<OsString> {
            files
                .iter()
                .map(|f| f.file_name().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names(cache_files_eventually(&plain, n)), names(files));
    }
}

#[test]
fn precompile_fills_the_cache_without_running_the_guest() {
    let cache = tempfile::tempdir().unwrap();
    let out = WasiRun::bare()
        .arg("--precompile")
        .arg("--cache-dir")
        .arg(cache.path())
        .arg(example("hello.wasm"))
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!((out.stdout.len(), out.stderr.len()), (0, 0));
    assert_eq!(cache_files_eventually(cache.path(), 1).len(), 1);

    let out = WasiRun::bare()
        .arg("--precompile")
        .arg("--no-cache")
        .arg(example("hello.wasm"))
        .output();
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
}
