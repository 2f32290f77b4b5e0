//! The file world: building it, and resolving deep paths.
//!
//! - `build_world/N` builds a [`World`] for N host preopens (1, 16, 256);
//!   `build_world_baseline/N` only opens the same N directories with
//!   `std::fs::File::open`, the least any setup must do.
//! - `resolve_32_virtual` resolves a 32-component path (31 directories and a
//!   file) on the in-memory sandbox: `stat` is `DirHandle::stat_at` (what
//!   `path_filestat_get` runs), `resolve` is `DirHandle::resolve`, both on the
//!   default sandbox (a `TmpFileSystem` this crate created: one lookup per
//!   path); `stat_walked` is `stat_at` on a caller-supplied filesystem, walked
//!   one component at a time. `stat_baseline` is one `metadata` call on the
//!   full path, straight on the backing; `stat_walked_baseline` is the same 32
//!   per-component lookups the walk makes, straight on the backing.
//! - `resolve_32_host` does the same on a host directory: `stat` and `open`
//!   go through cap-std (`openat2` with `RESOLVE_BENEATH`), `resolve` is this
//!   crate's walker over single-name cap-std lookups; the baselines are
//!   `std::fs::metadata` and `std::fs::File::open` on the absolute host path,
//!   and for `resolve` the same walk done with `std::fs` (open each of the 31
//!   directories in turn, then `symlink_metadata` on the file).
//!
//! The target is resolution within 1.5x of its baseline.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use wasi_config::{ConfigBuilder, Permissions, PreopenSpec};
use wasi_fs_setup::virtual_fs::{FileSystem, TmpFileSystem};
use wasi_fs_setup::{Access, DirHandle, HostDir, OpenFlags, SharedFileSystem, VirtualFs, World};

const DEPTH: usize = 32;

/// `d0/d1/.../d30/file`: 32 components.
fn deep_path() -> String {
    let mut comps: Vec<String> = (0..DEPTH - 1).map(|i| format!("d{i}")).collect();
    comps.push("file".to_string());
    comps.join("/")
}

fn build_world(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("build_world");
    for n in [1usize, 16, 256] {
        let dirs: Vec<PathBuf> = (0..n)
            .map(|i| {
                let d = tmp.path().join(format!("n{n}_{i}"));
                std::fs::create_dir(&d).expect("mkdir");
                d
            })
            .collect();
        let mut b = ConfigBuilder::new("bench");
        for (i, d) in dirs.iter().enumerate() {
            b.preopen(
                PreopenSpec::host(d)
                    .guest_path(format!("/p{i}"))
                    .permissions(Permissions::ALL),
            );
        }
        let config = b.validate().expect("valid config");
        group.bench_with_input(BenchmarkId::new("build_world", n), &n, |bench, _| {
            bench.iter(|| World::new(black_box(&config)).expect("world"))
        });
        group.bench_with_input(
            BenchmarkId::new("build_world_baseline", n),
            &n,
            |bench, _| {
                bench.iter(|| {
                    let files: Vec<std::fs::File> = dirs
                        .iter()
                        .map(|d| std::fs::File::open(black_box(d)).expect("open"))
                        .collect();
                    files
                })
            },
        );
    }
    group.finish();
}

fn populate(fs: &dyn FileSystem) {
    let mut p = PathBuf::from("/sandbox");
    fs.create_dir(&p).expect("mkdir");
    for i in 0..DEPTH - 1 {
        p.push(format!("d{i}"));
        fs.create_dir(&p).expect("mkdir");
    }
    p.push("file");
    fs.new_open_options()
        .write(true)
        .create(true)
        .open(&p)
        .expect("create");
}

fn resolve_virtual(c: &mut Criterion) {
    let path = deep_path();
    let full = Path::new("/sandbox").join(&path);
    let prefixes: Vec<PathBuf> = full
        .ancestors()
        .take(DEPTH)
        .map(Path::to_path_buf)
        .collect();

    let sandbox = VirtualFs::in_memory("sandbox", 1);
    populate(&**sandbox.filesystem());
    let fast = sandbox
        .open_dir(Path::new("/sandbox"), Access::READ_ONLY)
        .expect("dir");

    let shared: SharedFileSystem = Arc::new(TmpFileSystem::new());
    let walked_fs = VirtualFs::new("user", Arc::clone(&shared), 2);
    populate(&*shared);
    let walked = walked_fs
        .open_dir(Path::new("/sandbox"), Access::READ_ONLY)
        .expect("dir");

    let mut group = c.benchmark_group("resolve_32_virtual");
    group.bench_function("stat", |b| {
        b.iter(|| {
            fast.stat_at(black_box(path.as_bytes()), true)
                .expect("stat")
        })
    });
    group.bench_function("resolve", |b| {
        b.iter(|| {
            fast.resolve(black_box(path.as_bytes()), true)
                .expect("resolve")
        })
    });
    group.bench_function("stat_baseline", |b| {
        b.iter(|| {
            sandbox
                .filesystem()
                .metadata(black_box(&full))
                .expect("metadata")
        })
    });
    group.bench_function("stat_walked", |b| {
        b.iter(|| {
            walked
                .stat_at(black_box(path.as_bytes()), true)
                .expect("stat")
        })
    });
    group.bench_function("stat_walked_baseline", |b| {
        b.iter(|| {
            for p in prefixes.iter().rev() {
                black_box(shared.symlink_metadata(black_box(p)).expect("metadata"));
            }
        })
    });
    group.finish();
}

fn resolve_host(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("sandbox");
    let path = deep_path();
    let full = root.join(&path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(&full, b"x").expect("write");
    let dir = HostDir::open(&root, Access::READ_ONLY).expect("dir");

    let mut group = c.benchmark_group("resolve_32_host");
    group.bench_function("stat", |b| {
        b.iter(|| dir.stat_at(black_box(path.as_bytes()), true).expect("stat"))
    });
    group.bench_function("stat_baseline", |b| {
        b.iter(|| std::fs::metadata(black_box(&full)).expect("metadata"))
    });
    group.bench_function("open", |b| {
        b.iter(|| {
            dir.open_at(black_box(path.as_bytes()), OpenFlags::READ)
                .expect("open")
        })
    });
    group.bench_function("open_baseline", |b| {
        b.iter(|| std::fs::File::open(black_box(&full)).expect("open"))
    });
    group.bench_function("resolve", |b| {
        b.iter(|| {
            dir.resolve(black_box(path.as_bytes()), true)
                .expect("resolve")
        })
    });
    let dirs: Vec<PathBuf> = full
        .ancestors()
        .skip(1)
        .take(DEPTH - 1)
        .map(Path::to_path_buf)
        .collect();
    group.bench_function("resolve_baseline", |b| {
        b.iter(|| {
            for d in dirs.iter().rev() {
                black_box(std::fs::File::open(black_box(d)).expect("open dir"));
            }
            std::fs::symlink_metadata(black_box(&full)).expect("metadata")
        })
    });
    group.finish();
}

criterion_group!(benches, build_world, resolve_virtual, resolve_host);
criterion_main!(benches);
