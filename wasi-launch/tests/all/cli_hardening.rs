//! Issue 22 through `wasi-run`: the holes a red-team pass found in the
//! limits, each pinned by the command or guest that showed it.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::cli::{WasiRun, code, guest, stderr};

/// The number of threads of process `pid`, from `/proc`.
fn threads_of(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

/// The number of memory mappings of process `pid`, from `/proc`.
fn mappings_of(pid: u32) -> Option<usize> {
    let maps = std::fs::read(format!("/proc/{pid}/maps")).ok()?;
    Some(maps.iter().filter(|&&b| b == b'\n').count())
}

/// What [`wait_sampling`] saw of a process.
struct Sampled {
    status: i32,
    /// The most threads it ran at once.
    most_threads: usize,
    /// The most mappings it had at once, less the fewest.
    mappings_grown: usize,
}

/// Waits for `child`, sampling its threads and mappings.
fn wait_sampling(mut child: Child) -> Sampled {
    let (mut most_threads, mut most_maps, mut fewest_maps) = (0, 0usize, usize::MAX);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Sampled {
                status: status.code().expect("exited, not killed"),
                most_threads,
                mappings_grown: most_maps.saturating_sub(fewest_maps),
            };
        }
        if let (Some(threads), Some(maps)) = (threads_of(child.id()), mappings_of(child.id())) {
            most_threads = most_threads.max(threads);
            most_maps = most_maps.max(maps);
            fewest_maps = fewest_maps.min(maps);
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Item 1: a guest whose threads return at once while `_start` spawns
/// the next, 3,000 times, ends normally, and a finished thread is joined
/// while the run goes on: the process never runs more OS threads than the
/// task cap allows (plus wasi-run's own), and a finished thread's stack is
/// unmapped, where every thread's stack used to stay mapped until the run
/// ended (until `vm.max_map_count` ran out and the host aborted).
#[test]
fn a_thread_spawn_storm_reaps_finished_threads_and_ends_normally() {
    for (cap, most_allowed) in [("max-threads=2", 8), ("max-threads=8", 14)] {
        let started = Instant::now();
        let mut run = WasiRun::new()
            .args(["-W", cap])
            .arg(guest("thread_spawn_storm"));
        run.cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let sampled = wait_sampling(run.cmd.spawn().unwrap());
        assert_eq!(sampled.status, 0, "{cap}");
        assert!(
            sampled.most_threads <= most_allowed,
            "{cap}: wasi-run ran {} threads at once",
            sampled.most_threads
        );
        // Each thread left mapped would add its stack and guard page: 3,000
        // spawns, thousands of mappings.
        assert!(
            sampled.mappings_grown < 600,
            "{cap}: wasi-run's mappings grew by {}",
            sampled.mappings_grown
        );
        assert!(started.elapsed() < Duration::from_secs(120), "{cap}");
    }
}

/// Item 3: a guest blocked writing into a stdout pipe nobody reads is
/// stopped by the timeout (134) and by SIGTERM (143), promptly, and what
/// it wrote before is in the pipe, whole. (Writes to such a pipe used to
/// block inside the host, past the timeout and every signal.)
#[test]
fn a_guest_blocked_on_a_full_stdout_pipe_is_stopped_by_the_timeout_and_sigterm() {
    for signal in [None, Some("TERM")] {
        let started = Instant::now();
        let mut run = WasiRun::new();
        if signal.is_none() {
            run = run.args(["-W", "timeout=1s"]);
        }
        run = run.arg(guest("write_stdout_for_ever"));
        run.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = run.cmd.spawn().unwrap();
        if let Some(sig) = signal {
            // Let it fill the pipe and block first.
            std::thread::sleep(Duration::from_millis(500));
            let killed = std::process::Command::new("kill")
                .args([format!("-{sig}"), child.id().to_string()])
                .status()
                .unwrap();
            assert!(killed.success());
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "{signal:?}: still blocked");
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut written = Vec::new();
        std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut written).unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        let want = if signal.is_some() { 143 } else { 134 };
        assert_eq!(status.code(), Some(want), "{signal:?}: {err}");
        assert!(started.elapsed() < Duration::from_secs(30));
        assert!(written.len() >= 4096, "{signal:?}: {} bytes", written.len());
        assert!(written.iter().all(|&b| b == b'x'), "{signal:?}");
    }
}

/// Item 9: MODULE and `--include` are read only from a regular file, of
/// bounded size: `/dev/zero` (endless), a directory and a FIFO with no
/// writer are refused at once with an error naming the path, exit 1 (a
/// module) or 2 (an included package), never read without bound or waited
/// on.
#[test]
fn module_and_package_files_must_be_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("module.fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    for module in [Path::new("/dev/zero"), dir.path(), &fifo] {
        let started = Instant::now();
        let out = WasiRun::new().arg(module).output();
        assert_eq!(code(&out), 1, "{module:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("not a regular file"), "{err}");
        assert!(err.contains(module.to_str().unwrap()), "{err}");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    let out = WasiRun::new()
        .args(["--include", "/dev/zero"])
        .arg(super::cli::example("hello.wat"))
        .output();
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

/// Item 12: a host path that is not UTF-8 is shown byte for byte, escaped
/// (`\xff`), as every other message of the project shows bytes.
#[test]
fn a_non_utf8_preopen_path_is_shown_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let out = WasiRun::new()
        .arg("--dir")
        .arg(std::ffi::OsStr::from_bytes(b"nonexist\xff"))
        .arg(super::cli::example("hello.wat"))
        .output();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("nonexist\\xff"), "{}", stderr(&out));
    assert!(!stderr(&out).contains('\u{fffd}'), "{}", stderr(&out));
}

/// A module of `functions` functions of about 250 operators each,
/// written to `dir`: Cranelift takes seconds over it, singlepass a
/// fraction of that, and `_start` does nothing.
fn heavy_module(dir: &Path, functions: usize) -> std::path::PathBuf {
    use std::fmt::Write;
    let mut wat = String::from("(module (memory (export \"memory\") 1)");
    for i in 0..functions {
        write!(
            wat,
            "(func (export \"f{i}\") (param i64) (result i64) (local.get 0)"
        )
        .unwrap();
        for j in 0..60 {
            write!(
                wat,
                " (i64.const {}) (i64.mul) (i64.const {j}) (i64.xor)",
                i + j
            )
            .unwrap();
        }
        wat.push(')');
    }
    wat.push_str(" (func (export \"_start\")))");
    let path = dir.join(format!("heavy{functions}.wat"));
    std::fs::write(&path, wat).unwrap();
    path
}

/// The pids of running tier-up compiles (`--tier-up-child`) whose command
/// line names `cache`.
fn tier_up_children(cache: &Path) -> Vec<u32> {
    let needle = cache.as_os_str().as_encoded_bytes();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
                cmd.windows(15).any(|w| w == b"--tier-up-child")
                    && cmd.windows(needle.len()).any(|w| w == needle)
            })
        })
        .collect()
}

/// Items 4 and 6: a tiered run's detached compile holds no fd it
/// inherited (a reader of a pipe given as fd 3 sees end of file when the
/// run ends, while the compile goes on), and there is one per module at a
/// time: five runs back to back start one compile, and the run after it
/// landed loads it from the cache.
#[test]
fn the_tier_up_compile_is_one_per_module_and_holds_no_inherited_fd() {
    let dir = tempfile::tempdir().unwrap();
    let module = heavy_module(dir.path(), 2000);
    let cache = dir.path().join("cache");
    let run = || {
        WasiRun::bare()
            .env("RUST_LOG", "wasi_launch=debug")
            .arg("--cache-dir")
            .arg(&cache)
            .arg(&module)
    };
    // fd 3 of wasi-run is the write end of a pipe this test reads, not
    // close-on-exec (a shell's `3>&1`).
    let mut first = std::process::Command::new("sh");
    first
        .arg("-c")
        .arg("exec 3>&1 1>/dev/null 2>/dev/null; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_wasi-run"))
        .arg("--cache-dir")
        .arg(&cache)
        .arg(&module)
        .stdout(Stdio::piped());
    let mut child = first.spawn().unwrap();
    let mut fd3 = child.stdout.take().unwrap();
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut fd3, &mut rest).unwrap();
    // End of file: wasi-run has exited, and its compile no longer holds
    // the pipe, though it has not written the module yet.
    assert!(child.wait().unwrap().success());
    let mut seen = std::collections::BTreeSet::new();
    seen.extend(tier_up_children(&cache));
    assert_eq!(seen.len(), 1, "the compile is not running: {seen:?}");
    assert!(
        super::cli::cache_files_eventually(&cache, 0).is_empty(),
        "the compile was already done: the module is too small to tell"
    );
    for _ in 0..4 {
        let out = run().output();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        seen.extend(tier_up_children(&cache));
    }
    let files = super::cli::cache_files_eventually(&cache, 1);
    assert_eq!(files.len(), 1, "{files:?}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tier_up_children(&cache).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(seen.len(), 1, "tier-up compiles seen: {seen:?}");
    let warm = run().output();
    assert_eq!(code(&warm), 0, "{}", stderr(&warm));
    assert!(stderr(&warm).contains("disk hit"), "{}", stderr(&warm));
}

/// Item 4: a compile before the run is bounded: by `--compile-timeout`
/// (exit 1, naming the option) and by `-W timeout` when that is sooner
/// (exit 134, as a timed-out guest), even for a module Cranelift takes
/// seconds over.
#[test]
fn a_foreground_compile_past_its_deadline_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let module = heavy_module(dir.path(), 2000);
    let started = Instant::now();
    let out = WasiRun::bare()
        .args(["--no-tiering", "--no-cache", "--compile-timeout", "50ms"])
        .arg(&module)
        .output();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--compile-timeout"),
        "{}",
        stderr(&out)
    );
    let out = WasiRun::bare()
        .args(["--no-tiering", "--no-cache", "-W", "timeout=50ms"])
        .arg(&module)
        .output();
    assert_eq!(code(&out), 134, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("timed out after 50ms"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Item 4: the detached compile gets `--compile-timeout` as its CPU-time
/// limit: a compile that needs more is ended by the kernel and writes
/// nothing (its temporary file is swept later, see the module cache).
#[test]
fn the_tier_up_compile_is_limited_in_cpu_time() {
    let dir = tempfile::tempdir().unwrap();
    let module = heavy_module(dir.path(), 2000);
    let cache = dir.path().join("cache");
    // The quick compile before the run takes about a second here, the
    // optimised one several seconds of CPU.
    let out = WasiRun::bare()
        .args(["--compile-timeout", "3s", "--cache-dir"])
        .arg(&cache)
        .arg(&module)
        .output();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tier_up_children(&cache).is_empty() {
        assert!(Instant::now() < deadline, "the compile still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(super::cli::cache_files_eventually(&cache, 0).is_empty());
}

/// `deterministic_probe`'s output, split into its fields.
#[derive(Debug, PartialEq)]
struct Probe {
    realtime: u64,
    monotonic: u64,
    random: [u8; 16],
    f32_add: u32,
    f32_min: u32,
    promote: u64,
    f64_mul: u64,
    demote: u32,
}

fn probe(out: &std::process::Output) -> Probe {
    let b = &out.stdout;
    assert_eq!(b.len(), 60, "{}", stderr(out));
    let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
    Probe {
        realtime: u64_at(0),
        monotonic: u64_at(8),
        random: b[16..32].try_into().unwrap(),
        f32_add: u32_at(32),
        f32_min: u32_at(36),
        promote: u64_at(40),
        f64_mul: u64_at(48),
        demote: u32_at(56),
    }
}

/// Item 7: with `--deterministic`, every run of a guest that reads the
/// clocks and random_get and prints NaN bits writes the same bytes: the
/// first run too, which would otherwise have run from tiering's
/// singlepass compile (min's NaN) and with the OS's clocks and entropy.
/// Every NaN is the canonical one, so the bytes are the same on any CPU.
#[test]
fn deterministic_runs_write_the_same_bytes_from_the_first_run_on() {
    let cache = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let out = WasiRun::bare()
            .arg("--cache-dir")
            .arg(cache.path())
            .args(extra)
            .arg(guest("deterministic_probe"))
            .output();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        probe(&out)
    };
    let first = run(&["--deterministic"]);
    let second = run(&["--deterministic"]);
    assert_eq!(first, second);
    assert_eq!(
        first,
        Probe {
            realtime: 0,
            monotonic: 1_000,
            random: first.random,
            f32_add: 0x7fc0_0000,
            f32_min: 0x7fc0_0000,
            promote: 0x7ff8_0000_0000_0000,
            f64_mul: 0x7ff8_0000_0000_0000,
            demote: 0x7fc0_0000,
        }
    );
    // Without it the OS's clocks and entropy show, and Cranelift's NaNs
    // keep the operand's payload.
    let free = run(&["--no-tiering"]);
    assert_ne!(free.random, first.random);
    assert!(free.realtime > 1_000_000_000 * 1_000_000_000, "{free:?}");
    assert_eq!(free.f32_add, 0x7fe0_0001, "{free:?}");
    // And one thread: a spawn fails, as with -W max-threads=1.
    let out = WasiRun::new()
        .arg("--deterministic")
        .arg(guest("thread_exit_while_main_reads_stdin"))
        .output();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}
