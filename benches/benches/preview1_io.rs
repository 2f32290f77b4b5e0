//! Preview1 file and stream I/O end to end: a C guest (wasi-libc, built by
//! `benches/guests/build.sh`) run through `wasi-launch`, each beside the same
//! loop in native Rust over `std::fs` in this process (`*/native`).
//!
//! - `write_read_64m`: write 64 MiB to a file in 64 KiB chunks, seek back,
//!   read it back in 64 KiB chunks (host temp dir preopened at `/`).
//! - `stdout_64m`: write 64 MiB to stdout in 64 KiB chunks; stdout is
//!   captured in memory. The native loop writes into a `Vec<u8>` through
//!   `io::Write`, the same capture without the guest.
//! - `meta_2000`: create, stat, list and unlink 2,000 files in a directory.
//! - `deep_open_10000`: open and close a file at the bottom of a 32-deep
//!   directory chain 10,000 times.
//!
//! Every guest run includes what an embedder pays per run (configuration,
//! file world, instantiation, flush and close); the module is compiled once,
//! before measuring. Targets: sequential I/O at least 0.8x native throughput
//! (guest time at most 1.25x native), metadata loops within 2x native time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::fs;
use std::hint::black_box;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use wasi_config::{ConfigBuilder, Permissions, PreopenSpec};
use wasi_fs_setup::StdioSlot;
use wasi_launch::{ExitStatus, Launcher};
use wasmer::Module;

const GUEST: &[u8] = include_bytes!("../guests/preview1_io.wasm");

const BYTES: usize = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const FILES: usize = 2_000;
const DEPTH: usize = 32;
const OPENS: usize = 10_000;

/// Runs the guest with `args`, the host directory `dir` preopened at `/`;
/// returns the number of bytes it wrote to stdout.
fn run_guest(launcher: &Launcher, module: &Module, dir: &Path, args: &[&str]) -> usize {
    let mut b = ConfigBuilder::new("preview1_io");
    b.args(args.iter().copied());
    b.preopen(
        PreopenSpec::host(dir)
            .guest_path("/")
            .permissions(Permissions::ALL),
    );
    let config = b.validate().expect("valid configuration");
    let (stdout, captured) = StdioSlot::capture();
    let env = launcher
        .environment_with(config, |w| {
            w.stdout(stdout).stderr(StdioSlot::Inherit);
        })
        .expect("environment");
    let status = env.run(module).expect("guest runs");
    assert_eq!(status, ExitStatus::Exited(0), "guest failed: {args:?}");
    captured.take().len()
}

fn native_write_read(path: &Path) {
    let buf = vec![b'x'; CHUNK];
    let mut f = fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
        .expect("open");
    let mut done = 0;
    while done < BYTES {
        done += f.write(&buf).expect("write");
    }
    f.seek(SeekFrom::Start(0)).expect("seek");
    let mut back = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        let n = f.read(&mut back).expect("read");
        if n == 0 {
            break;
        }
        total += n;
    }
    assert_eq!(total, BYTES);
}

fn native_stdout() -> usize {
    let buf = vec![b'y'; CHUNK];
    let mut captured: Vec<u8> = Vec::new();
    let mut done = 0;
    while done < BYTES {
        done += captured.write(&buf).expect("write");
    }
    black_box(&captured);
    captured.len()
}

fn native_meta(dir: &Path) {
    for i in 0..FILES {
        fs::File::create(dir.join(format!("f{i:05}"))).expect("create");
    }
    for i in 0..FILES {
        black_box(fs::metadata(dir.join(format!("f{i:05}"))).expect("stat"));
    }
    // read_dir skips `.` and `..`; the guest's listing includes them.
    assert_eq!(fs::read_dir(dir).expect("list").count(), FILES);
    for i in 0..FILES {
        fs::remove_file(dir.join(format!("f{i:05}"))).expect("unlink");
    }
}

fn native_deep(path: &Path) {
    for _ in 0..OPENS {
        black_box(fs::File::open(path).expect("open"));
    }
}

/// `d0/d1/.../d31/file` below `root`, created; returns the relative path.
fn deep_chain(root: &Path) -> String {
    let mut rel = PathBuf::new();
    for i in 0..DEPTH {
        rel.push(format!("d{i}"));
    }
    fs::create_dir_all(root.join(&rel)).expect("mkdir -p");
    rel.push("file");
    fs::write(root.join(&rel), b"bottom").expect("file");
    rel.to_str().expect("utf-8").to_string()
}

fn preview1_io(c: &mut Criterion) {
    let launcher = Launcher::new();
    let module = launcher.load_module(GUEST).expect("guest compiles");
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    let bytes = BYTES.to_string();
    let chunk = CHUNK.to_string();
    let files = FILES.to_string();
    let opens = OPENS.to_string();

    let mut group = c.benchmark_group("write_read_64m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("guest", |b| {
        b.iter(|| {
            run_guest(
                &launcher,
                &module,
                root,
                &["write-read", "big.bin", &bytes, &chunk],
            )
        })
    });
    group.bench_function("native", |b| {
        b.iter(|| native_write_read(&root.join("big.bin")))
    });
    group.finish();
    fs::remove_file(root.join("big.bin")).expect("cleanup");

    let mut group = c.benchmark_group("stdout_64m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    assert_eq!(
        run_guest(&launcher, &module, root, &["stdout", &bytes, &chunk]),
        BYTES
    );
    group.bench_function("guest", |b| {
        b.iter(|| run_guest(&launcher, &module, root, &["stdout", &bytes, &chunk]))
    });
    group.bench_function("native", |b| b.iter(native_stdout));
    group.finish();

    let meta = root.join("meta");
    fs::create_dir(&meta).expect("mkdir");
    let mut group = c.benchmark_group("meta_2000");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("guest", |b| {
        b.iter(|| run_guest(&launcher, &module, root, &["meta", "meta", &files]))
    });
    group.bench_function("native", |b| b.iter(|| native_meta(&meta)));
    group.finish();

    let deep = deep_chain(root);
    let mut group = c.benchmark_group("deep_open_10000");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("guest", |b| {
        b.iter(|| run_guest(&launcher, &module, root, &["deep", &deep, &opens]))
    });
    group.bench_function("native", |b| b.iter(|| native_deep(&root.join(&deep))));
    group.finish();
}

criterion_group!(benches, preview1_io);
criterion_main!(benches);
