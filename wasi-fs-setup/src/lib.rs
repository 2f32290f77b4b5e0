//! The guest's file world: mount table, fd table and sandboxed path resolution.
//!
//! This crate turns a validated [`wasi_config::Config`] into the file world a
//! WASI preview1 guest sees, over host directories (through `cap-std`) and
//! `virtual-fs` filesystems, and provides the path resolution every
//! path-taking syscall goes through. It is the sandbox boundary.
//!
//! # Shape
//!
//! Every public item is re-exported here and has this one path; the modules
//! are private, one job each:
//!
//! - `world`: [`World`], [`WorldBuilder`] and [`SetupContext`]: opens the
//!   preopens, mounts them, runs setup hooks, fills the fd table.
//! - `mounts`: [`MountTable`]: where each preopen sits under `/`, with
//!   synthesized parents; its lookups walk like the resolver (`..` above `/`
//!   is an escape). It holds mount points, not inode numbers.
//! - `fd_table`: [`FdTable`]: fds 0-2 for stdio, preopens from 3, lowest free
//!   fd first, renumber, the `max_open_fds` limit.
//! - `rights`: [`Rights`] and [`FdRights`] derived from each preopen's
//!   permissions.
//! - `resolve`: every path-resolution rule, for both backings: validation
//!   ([`validate_path`], [`PATH_MAX`], [`NAME_MAX`]), the component walk
//!   (`..` above the start is an escape, symlinks spliced in, at most
//!   [`MAX_SYMLINK_HOPS`]), and what `open` and each name operation make of
//!   the final component; [`resolve()`] and [`resolve_virtual`].
//! - `backing`: the object-safe [`DirHandle`] / [`FileHandle`] traits and
//!   their types; `backing/common.rs`, what the two backings share;
//!   `backing/host.rs`, [`HostDir`] (cap-std); `backing/vfs/`, the virtual
//!   backing: [`VirtualFs`] with its inode map and [`MemoryBudget`]
//!   (`filesystem.rs`), [`VfsDir`] (`dir.rs`), the one-lookup fast path and
//!   its soundness argument (`fast.rs`), open files (`file.rs`).
//! - `stdio`: inherited, virtual, captured or byte-fed standard streams
//!   ([`StdioSlot`]).
//! - `error`: [`FsError`] (errno-like, for the syscall layer) and
//!   [`SetupError`] (why a world could not be built).
//!
//! Host memory a guest decides: captured stdout and stderr hold at most
//! [`MAX_CAPTURE_BYTES`] (short write, then ENOSPC), the in-memory sandbox
//! at most [`MAX_SANDBOX_BYTES`] of file data and objects (ENOSPC, checked
//! before anything is allocated; see [`MemoryBudget`]), paths at most
//! [`PATH_MAX`] bytes, open fds the configuration's `max_open_fds`, and
//! inode numbers one per object of a virtual filesystem.
//!
//! What this crate does not do: run wasm, or know preview1's ABI types. It
//! does not depend on wasmer; `wasi-launch` maps [`FsError`] to errnos.
//!
//! ```
//! use wasi_fs_setup::{FsErrorKind, OpenFlags, Opened, StdioSlot, World};
//!
//! let host = tempfile::tempdir()?;
//! std::fs::write(host.path().join("input.txt"), "data")?;
//! let mut b = wasi_config::ConfigBuilder::new("prog");
//! b.map_dir("/in", host.path());
//! b.preopen(
//!     wasi_config::PreopenSpec::virtual_dir(wasi_config::SANDBOX_FS, "/tmp")
//!         .guest_path("/tmp")
//!         .read(true)
//!         .create(true),
//! );
//! let config = b.validate()?;
//! let (stdout, out) = StdioSlot::capture();
//! let mut world = World::builder(&config).stdout(stdout).build()?;
//!
//! // Preopens start at fd 3, in configuration order.
//! let preopens: Vec<_> = world.fds().preopens().map(|(fd, p)| (fd, p.guest_path.clone())).collect();
//! assert_eq!(preopens, vec![(3, b"/in".to_vec()), (4, b"/tmp".to_vec())]);
//!
//! // Paths resolve relative to a directory fd and cannot leave it.
//! let r = world.resolve(3, b"./sub/../input.txt", true);
//! assert_eq!(r.err().map(|e| e.kind()), Some(FsErrorKind::NotFound));
//! assert_eq!(world.resolve(3, b"input.txt", true)?.path_bytes(), b"input.txt");
//! assert_eq!(world.resolve(3, b"../etc/passwd", true).unwrap_err().kind(), FsErrorKind::Escape);
//!
//! // Open through the backing trait, read, write to stdout.
//! let Opened::File(mut f) = world.fds().get(3)?.dir()?.open_at(b"input.txt", OpenFlags::READ)? else {
//!     unreachable!("a regular file")
//! };
//! let mut buf = [0u8; 16];
//! let n = f.read(&mut buf)?;
//! world.fds_mut().get_mut(1)?.file_mut()?.write(&buf[..n])?;
//! world.close_all()?;
//! assert_eq!(out.contents(), b"data");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod backing;
mod error;
mod fd_table;
mod mounts;
mod resolve;
mod rights;
mod stdio;
mod world;

/// The `virtual-fs` version this crate's API speaks (`VirtualFile`, `FileSystem`, `TmpFileSystem`).
pub use virtual_fs;

pub use backing::host::HostDir;
pub use backing::vfs::{MAX_SANDBOX_BYTES, MemoryBudget, SharedFileSystem, VfsDir, VirtualFs};
pub use backing::{
    Access, DirEntry, DirHandle, FileHandle, FileType, Filestat, OpenFlags, Opened, TimeSpec,
};
pub use error::{FsError, FsErrorKind, SetupError};
pub use fd_table::{Fd, FdEntry, FdFlags, FdObject, FdTable, PreopenInfo};
pub use mounts::{MountConflict, MountNode, MountNodeId, MountNodeKind, MountTable, SYNTHETIC_DEV};
pub use resolve::{
    MAX_SYMLINK_HOPS, NAME_MAX, PATH_MAX, Resolved, resolve, resolve_virtual, validate_path,
};
pub use rights::{FdRights, Rights};
pub use stdio::{CaptureBuffer, MAX_CAPTURE_BYTES, PIPE_BUF, StdioFd, StdioSlot, StdioStream};
pub use world::{SetupContext, World, WorldBuilder};
