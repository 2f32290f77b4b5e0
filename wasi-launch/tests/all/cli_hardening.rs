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
