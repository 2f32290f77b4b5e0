//! Generators and oracles for the preview1 host functions of `wasi-launch`.
//!
//! - [`check_host_calls`]: a [`HostCallPlan`] fills parts of a one-page guest
//!   memory (raw bytes, iovec records, `poll_oneoff` subscriptions and path
//!   strings) and calls all 46 `wasi_snapshot_preview1` host functions
//!   ([`HostFn`]) with arbitrary arguments, through a dispatcher guest
//!   (`host_calls.wat`) that imports them all. The guest sees two preopens:
//!   `/sandbox` (fd 3), a directory of the in-memory sandbox, and `/host`
//!   (fd 4), a fresh host temporary directory. Both start with the same tree
//!   (see [`SEED_TREE`]): files, a subdirectory, a symlink inside and
//!   symlinks leading out. Before the plan the oracle opens `file` in each
//!   (fds 5 and 6, [`SANDBOX_FILE_FD`] and [`HOST_FILE_FD`]), so that file
//!   calls find a file.
//!
//! The property: every call returns a preview1 errno (0 to 76), or ends the
//! guest cleanly through `proc_exit` or `proc_raise` with the code or signal
//! it was given; nothing panics; the instance then finishes (flush and close
//! every fd) without error; and nothing outside the preopens is touched: the
//! host preopen lies in an outer temporary directory beside a canary file
//! and a sibling directory, and the sandbox's directory beside an `outside`
//! directory holding a canary; after the run the canaries and siblings are
//! unchanged (contents, inode, size, mtime, ctime) and no entry appeared or
//! went beside either preopen. No call makes the host hold more than
//! [`MAX_HOST_BYTES_PER_CALL`] more bytes than before it, at its peak or
//! after it (counted by [`crate::alloc_meter`]), with stdout and stderr
//! captured up to [`CAPTURE_LIMIT`]; the one exception is the file data of
//! the in-memory sandbox (see [`HostFn::grows_sandbox_files`]). Under
//! AddressSanitizer too every call is made, `proc_exit` and `proc_raise`
//! included: see `forget_wasm_stacks` for
//! what ASan may still report.
//!
//! Arguments are drawn from [`Arg`] and [`Arg64`], which favour the values
//! where bounds checks live (small numbers, addresses near the end of the
//! page, the top of the 32-bit space) over uniform integers. Each parameter
//! also has a [`Param`] kind, and most draws pick a value that kind makes
//! meaningful (an open fd, an iovec array, a path slot and its length), so
//! that calls get past their first check.
//!
//! The guest's clocks are a [`FixedClock`] of its own, at [`CLOCK_START`]
//! when the run starts: waiting on it moves the clock instead of the thread,
//! so a `poll_oneoff` clock subscription of any length returns at once (on
//! the OS clocks it would sleep as long as asked, and stall the fuzzer).
//!
//! Every run is also held to the launcher's resource limits (issue 13), so
//! that no input can hang the fuzzer in wasm code or grow its memory: its
//! linear memory is capped at [`MEMORY_LIMIT`] and it gets [`FUEL`] units
//! of fuel (the dispatcher is compiled once, with fuel metering). A run
//! whose fuel runs out is a normal outcome: the call it ran out in ends the
//! guest as `proc_exit` does ([`Trace::stopped`] says why), and the instance
//! is still finished and everything outside the preopens still checked.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt;
use std::num::NonZeroUsize;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use wasi_config::{Capabilities, Config, ConfigBuilder, PreopenSpec, SANDBOX_FS};
use wasi_fs_setup::{Access, DirHandle, OpenFlags, Opened, StdioSlot, VirtualFs, World};
use wasi_launch::{
    Compiler, DefaultRuntime, Environment, ExitStatus, FixedClock, InterruptHandle, Launcher,
    MemoryPoolConfig, StopReason, Termination, WasiInstance,
};
use wasmer::{Memory, Module, Store, TypedFunction};

use crate::alloc_meter::Meter;

/// Longest plan run (longer inputs are cut).
pub const MAX_STEPS: usize = 32;

/// Size of the guest memory: one page, which the dispatcher cannot grow.
pub const PAGE: u32 = 65_536;

/// The last errno `wasi_snapshot_preview1` defines (`notcapable`).
pub const LAST_PREVIEW1_ERRNO: i32 = 76;

/// Most bytes stdout and stderr capture in a run.
pub const CAPTURE_LIMIT: usize = 1 << 20;

/// Most host bytes one host call may add, at its peak or after it: the
/// capture's growth (a `fd_write` of 1024 iovecs over the whole page asks
/// for 64 MiB, of which the capture takes at most [`CAPTURE_LIMIT`], with a
/// `Vec` that may double), the 64 KiB transfer buffer and the iovec array.
/// Path calls (a `PATH_MAX` path copy, a directory listing of the small
/// seeded trees, a new fd entry) stay far below it. File data of the
/// in-memory sandbox is counted apart (see [`HostFn::grows_sandbox_files`]).
pub const MAX_HOST_BYTES_PER_CALL: isize = 4 << 20;

/// Most i32 parameters of a preview1 function (`path_open`, `path_link`).
pub const MAX_I32_PARAMS: usize = 7;

/// Most i64 parameters of a preview1 function (`fd_advise`, `path_open`, ...).
pub const MAX_I64_PARAMS: usize = 2;

/// Where iovec records usually go: `IOVEC_AREA + 8 * k`.
pub const IOVEC_AREA: u16 = 0x0000;

/// Where [`Step::Subscription`] writes `poll_oneoff` subscriptions (48 bytes
/// each, at most 16).
pub const SUBSCRIPTION_AREA: u16 = 0x0800;

/// Where result pointers usually point: `OUT_AREA + 8 * k`.
pub const OUT_AREA: u16 = 0x0C00;

/// Where buffers usually point (up to [`PATH_AREA`]).
pub const DATA_AREA: u16 = 0x1000;

/// Where the path slots lie: slot `k` at `PATH_AREA + k * PATH_SLOT_LEN`.
pub const PATH_AREA: u16 = 0xA000;

/// Number of path slots.
pub const PATH_SLOTS: usize = 4;

/// Room for one path: more than `PATH_MAX` (4096) so the limit is reachable.
pub const PATH_SLOT_LEN: u32 = 0x1400;

/// What the path slots hold before a [`Step::Path`] rewrites them.
pub const INITIAL_PATHS: [&[u8]; PATH_SLOTS] = [b"file", b"sub", b"new", b"link_out"];

/// The fd of `/sandbox/file`, which the oracle opens (for reading and
/// writing, with every right) before each plan, so that plans find a file
/// to work on.
pub const SANDBOX_FILE_FD: u8 = 5;

/// The fd of `/host/file`, opened as [`SANDBOX_FILE_FD`] is.
pub const HOST_FILE_FD: u8 = 6;

/// The fd a plan's first `path_open` returns (while nothing is closed).
pub const FIRST_FREE_FD: u8 = 7;

/// The in-memory sandbox's budget in these runs (256 MiB, a quarter of
/// `MAX_SANDBOX_BYTES`): its ENOSPC boundary is nearer, and since a file
/// buffer may double past the budget, a run holds at most about twice this,
/// well inside libFuzzer's 2 GiB RSS limit.
pub const SANDBOX_LIMIT: u64 = 256 << 20;

/// The cap on the guest's linear memory in these runs: the dispatcher's
/// one page, which it cannot grow, and not a byte more.
pub const MEMORY_LIMIT: u64 = PAGE as u64;

/// The fuel of a run, in wasm operators (one unit each). The dispatcher has
/// no loop: a call costs it 51 (`sched_yield`) to 60 (`path_open`) units,
/// so the longest run ([`MAX_STEPS`] calls and the oracle's two opens) uses
/// about 2,000. This is plenty for any plan and still bounds the wasm time
/// of a run.
pub const FUEL: u64 = 1_000_000;

/// The guest's clocks all read this (2023-11-14, in ns since the epoch).
pub const CLOCK_START: u64 = 1_700_000_000_000_000_000;

/// The contents of both canaries and of the host sibling's file.
pub const SECRET: &[u8] = b"TOP SECRET: outside the preopens";

/// Guest path of the host preopen.
pub const HOST_GUEST_PATH: &str = "/host";

/// Guest path of the sandbox preopen (a directory of the in-memory sandbox).
pub const SANDBOX_GUEST_PATH: &str = "/sandbox";

/// What both preopens hold at the start of a run, as `(name, what)`:
/// files, an empty file, a subdirectory with a file, a symlink to a file
/// inside, and three symlinks leading out (relative to the canary, absolute
/// to the canary, relative to the sibling directory). On the host the
/// outside targets exist: `../canary` and `../sibling` beside the preopen.
/// In the sandbox they are `/outside/secret` and `/outside`.
pub const SEED_TREE: &[(&str, Seed)] = &[
    ("file", Seed::File(b"hello from a seeded file\n")),
    ("empty", Seed::File(b"")),
    ("sub", Seed::Dir),
    ("sub/inner", Seed::File(b"inner\n")),
    ("link_in", Seed::Link("file")),
    (
        "link_out",
        Seed::OutsideLink {
            up: true,
            sibling: false,
        },
    ),
    (
        "link_abs",
        Seed::OutsideLink {
            up: false,
            sibling: false,
        },
    ),
    (
        "link_sib",
        Seed::OutsideLink {
            up: true,
            sibling: true,
        },
    ),
];

/// One entry of [`SEED_TREE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// A regular file with these contents.
    File(&'static [u8]),
    /// A directory.
    Dir,
    /// A symlink with this (relative, inside) target.
    Link(&'static str),
    /// A symlink leading out of the preopen: to the canary, or to the
    /// sibling directory; relative (`../`) when `up`, else absolute.
    OutsideLink {
        /// Relative, climbing out with `..`; absolute otherwise.
        up: bool,
        /// To the sibling directory instead of the canary.
        sibling: bool,
    },
}

/// The dispatcher guest.
const DISPATCHER: &str = include_str!("host_calls.wat");

/// Unmaps every wasm stack wasmer keeps for reuse (this thread's and the
/// process-wide pool's), after a call into wasm that trapped and at the end
/// of each run.
///
/// A trap (a `proc_exit`, `proc_raise`, fuel running out) leaves the stack
/// wasm ran on without returning through the frames on it. AddressSanitizer
/// does not see wasmer's stack switches, so the redzones of those frames
/// stay poisoned in its shadow, and a later call that wasmer runs on the
/// same stack may be reported as a stack-buffer-overflow (wasmer issues
/// 5260 and 6524). Dropping the pooled stacks makes that rarer but does not
/// rule it out (ASan keeps the shadow of an unmapped range, and the next
/// mapping often reuses its addresses): 600-second campaigns still hit it
/// after about 900 runs, so `.ci/run` smoke-runs the two targets that run
/// wasm without a sanitizer (issue 22, item 13, still open).
fn forget_wasm_stacks() {
    wasmer_vm::drain_stack_pool();
}

/// Size of one `poll_oneoff` subscription.
const SUBSCRIPTION_SIZE: u32 = 48;

/// What a parameter means, to pick values that get past the first check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// An fd: mostly the files the oracle opens ([`SANDBOX_FILE_FD`],
    /// [`HOST_FILE_FD`]), or another low one.
    Fd,
    /// The directory fd of a path call, `fd_readdir` or `fd_prestat_*`:
    /// mostly a preopen.
    DirFd,
    /// A buffer the host reads or fills (in the data area).
    Buf,
    /// A buffer length.
    Len,
    /// A result pointer (in the out area).
    Out,
    /// An iovec array (in the iovec area).
    Iovs,
    /// An iovec count (0 to 4).
    IovsLen,
    /// A path pointer (a path slot); the [`Param::PathLen`] after it gets the
    /// same slot's length.
    Path,
    /// A path length.
    PathLen,
    /// Lookup flags (0 or 1: follow symlinks).
    Lookup,
    /// Other flags, a clock id, a whence, an advice (half the time 0 to 2).
    Flags,
    /// An exit code or a signal.
    Code,
    /// A `poll_oneoff` subscription array (in the subscription area).
    Subscriptions,
    /// A subscription count (1 to 4).
    SubscriptionCount,
    /// An i64 offset, size, length, time, precision or cookie (mostly 0 to
    /// 127).
    Size,
    /// An i64 set of rights (mostly all of them, or none).
    Rights,
}

/// A drawn parameter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drawn {
    /// For an i32 parameter.
    Narrow(Arg),
    /// For an i64 parameter.
    Wide(Arg64),
}

impl Param {
    /// Whether this is an i64 parameter.
    pub fn is_wide(self) -> bool {
        matches!(self, Param::Size | Param::Rights)
    }

    /// A value this kind of parameter makes meaningful. `slot` carries the
    /// path slot from a [`Param::Path`] to the [`Param::PathLen`] after it.
    fn typical(self, u: &mut Unstructured<'_>, slot: &mut u8) -> arbitrary::Result<Drawn> {
        let area = |u: &mut Unstructured<'_>, base: u16, step: u16, last: u16| {
            u.int_in_range(0..=last)
                .map(|k| Arg::InPage(base + step * k))
        };
        let narrow = match self {
            Param::Fd => Arg::Small(*u.choose(&[0, 1, 2, 3, 4, 5, 5, 5, 6, 6, 6, 7, 8])?),
            Param::DirFd => Arg::Small(*u.choose(&[3, 3, 3, 4, 4, 4, 5, 7, 1])?),
            Param::Buf => Arg::InPage(u.int_in_range(DATA_AREA..=PATH_AREA - 1)?),
            Param::Len | Param::Code => Arg::Small(u.arbitrary()?),
            Param::Out => area(u, OUT_AREA, 8, 63)?,
            Param::Iovs => area(u, IOVEC_AREA, 8, 15)?,
            Param::IovsLen => Arg::Small(u.int_in_range(0..=4)?),
            Param::Path => {
                *slot = u.int_in_range(0..=PATH_SLOTS as u8 - 1)?;
                Arg::Path(*slot)
            }
            Param::PathLen => Arg::PathLen(*slot),
            Param::Lookup => Arg::Small(u.int_in_range(0..=1)?),
            Param::Flags if u.ratio(1, 2)? => Arg::Small(u.int_in_range(0..=2)?),
            Param::Flags => Arg::Small(*u.choose(&[3, 4, 5, 8, 9, 15, 16, 31])?),
            Param::Subscriptions => area(u, SUBSCRIPTION_AREA, SUBSCRIPTION_SIZE as u16, 3)?,
            Param::SubscriptionCount => Arg::Small(u.int_in_range(1..=4)?),
            Param::Size => return Ok(Drawn::Wide(Arg64::Small(u.int_in_range(0..=127)?))),
            Param::Rights => {
                let all = [
                    Arg64::Max,
                    Arg64::Small(-1),
                    Arg64::Small(0),
                    Arg64::Raw(0xffff),
                ];
                return Ok(Drawn::Wide(*u.choose(&all)?));
            }
        };
        Ok(Drawn::Narrow(narrow))
    }
}

/// The 46 `wasi_snapshot_preview1` functions, numbered as the dispatcher
/// numbers them: in the order of the spec's witx (and of
/// `wasi_launch::PREVIEW1_FUNCTIONS`).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
pub enum HostFn {
    /// `args_get(argv, buf)`
    ArgsGet = 0,
    /// `args_sizes_get(count, size)`
    ArgsSizesGet,
    /// `environ_get(environ, buf)`
    EnvironGet,
    /// `environ_sizes_get(count, size)`
    EnvironSizesGet,
    /// `clock_res_get(id, out)`
    ClockResGet,
    /// `clock_time_get(id, precision: i64, out)`
    ClockTimeGet,
    /// `fd_advise(fd, offset: i64, len: i64, advice)`
    FdAdvise,
    /// `fd_allocate(fd, offset: i64, len: i64)`
    FdAllocate,
    /// `fd_close(fd)`
    FdClose,
    /// `fd_datasync(fd)`
    FdDatasync,
    /// `fd_fdstat_get(fd, out)`
    FdFdstatGet,
    /// `fd_fdstat_set_flags(fd, flags)`
    FdFdstatSetFlags,
    /// `fd_fdstat_set_rights(fd, base: i64, inheriting: i64)`
    FdFdstatSetRights,
    /// `fd_filestat_get(fd, out)`
    FdFilestatGet,
    /// `fd_filestat_set_size(fd, size: i64)`
    FdFilestatSetSize,
    /// `fd_filestat_set_times(fd, atim: i64, mtim: i64, fst_flags)`
    FdFilestatSetTimes,
    /// `fd_pread(fd, iovs, iovs_len, offset: i64, nread)`
    FdPread,
    /// `fd_prestat_get(fd, out)`
    FdPrestatGet,
    /// `fd_prestat_dir_name(fd, path, path_len)`
    FdPrestatDirName,
    /// `fd_pwrite(fd, iovs, iovs_len, offset: i64, nwritten)`
    FdPwrite,
    /// `fd_read(fd, iovs, iovs_len, nread)`
    FdRead,
    /// `fd_readdir(fd, buf, buf_len, cookie: i64, used)`
    FdReaddir,
    /// `fd_renumber(from, to)`
    FdRenumber,
    /// `fd_seek(fd, offset: i64, whence, out)`
    FdSeek,
    /// `fd_sync(fd)`
    FdSync,
    /// `fd_tell(fd, out)`
    FdTell,
    /// `fd_write(fd, iovs, iovs_len, nwritten)`
    FdWrite,
    /// `path_create_directory(fd, path, path_len)`
    PathCreateDirectory,
    /// `path_filestat_get(fd, flags, path, path_len, out)`
    PathFilestatGet,
    /// `path_filestat_set_times(fd, flags, path, path_len, atim: i64,
    /// mtim: i64, fst_flags)`
    PathFilestatSetTimes,
    /// `path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path,
    /// new_len)`
    PathLink,
    /// `path_open(fd, dirflags, path, path_len, oflags, base: i64,
    /// inheriting: i64, fdflags, opened)`
    PathOpen,
    /// `path_readlink(fd, path, path_len, buf, buf_len, used)`
    PathReadlink,
    /// `path_remove_directory(fd, path, path_len)`
    PathRemoveDirectory,
    /// `path_rename(old_fd, old_path, old_len, new_fd, new_path, new_len)`
    PathRename,
    /// `path_symlink(target, target_len, fd, link, link_len)`
    PathSymlink,
    /// `path_unlink_file(fd, path, path_len)`
    PathUnlinkFile,
    /// `poll_oneoff(subscriptions, events, nsubscriptions, nevents)`
    PollOneoff,
    /// `proc_exit(code)`
    ProcExit,
    /// `proc_raise(signal)`
    ProcRaise,
    /// `sched_yield()`
    SchedYield,
    /// `random_get(buf, len)`
    RandomGet,
    /// `sock_accept(fd, flags, new_fd)`
    SockAccept,
    /// `sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen, ro_flags)`
    SockRecv,
    /// `sock_send(fd, si_data, si_data_len, si_flags, so_datalen)`
    SockSend,
    /// `sock_shutdown(fd, how)`
    SockShutdown,
}

impl HostFn {
    /// Every function, in dispatcher order.
    pub const ALL: [HostFn; 46] = {
        use HostFn::*;
        [
            ArgsGet,
            ArgsSizesGet,
            EnvironGet,
            EnvironSizesGet,
            ClockResGet,
            ClockTimeGet,
            FdAdvise,
            FdAllocate,
            FdClose,
            FdDatasync,
            FdFdstatGet,
            FdFdstatSetFlags,
            FdFdstatSetRights,
            FdFilestatGet,
            FdFilestatSetSize,
            FdFilestatSetTimes,
            FdPread,
            FdPrestatGet,
            FdPrestatDirName,
            FdPwrite,
            FdRead,
            FdReaddir,
            FdRenumber,
            FdSeek,
            FdSync,
            FdTell,
            FdWrite,
            PathCreateDirectory,
            PathFilestatGet,
            PathFilestatSetTimes,
            PathLink,
            PathOpen,
            PathReadlink,
            PathRemoveDirectory,
            PathRename,
            PathSymlink,
            PathUnlinkFile,
            PollOneoff,
            ProcExit,
            ProcRaise,
            SchedYield,
            RandomGet,
            SockAccept,
            SockRecv,
            SockSend,
            SockShutdown,
        ]
    };

    /// The import name.
    pub fn name(self) -> &'static str {
        use HostFn::*;
        match self {
            ArgsGet => "args_get",
            ArgsSizesGet => "args_sizes_get",
            EnvironGet => "environ_get",
            EnvironSizesGet => "environ_sizes_get",
            ClockResGet => "clock_res_get",
            ClockTimeGet => "clock_time_get",
            FdAdvise => "fd_advise",
            FdAllocate => "fd_allocate",
            FdClose => "fd_close",
            FdDatasync => "fd_datasync",
            FdFdstatGet => "fd_fdstat_get",
            FdFdstatSetFlags => "fd_fdstat_set_flags",
            FdFdstatSetRights => "fd_fdstat_set_rights",
            FdFilestatGet => "fd_filestat_get",
            FdFilestatSetSize => "fd_filestat_set_size",
            FdFilestatSetTimes => "fd_filestat_set_times",
            FdPread => "fd_pread",
            FdPrestatGet => "fd_prestat_get",
            FdPrestatDirName => "fd_prestat_dir_name",
            FdPwrite => "fd_pwrite",
            FdRead => "fd_read",
            FdReaddir => "fd_readdir",
            FdRenumber => "fd_renumber",
            FdSeek => "fd_seek",
            FdSync => "fd_sync",
            FdTell => "fd_tell",
            FdWrite => "fd_write",
            PathCreateDirectory => "path_create_directory",
            PathFilestatGet => "path_filestat_get",
            PathFilestatSetTimes => "path_filestat_set_times",
            PathLink => "path_link",
            PathOpen => "path_open",
            PathReadlink => "path_readlink",
            PathRemoveDirectory => "path_remove_directory",
            PathRename => "path_rename",
            PathSymlink => "path_symlink",
            PathUnlinkFile => "path_unlink_file",
            PollOneoff => "poll_oneoff",
            ProcExit => "proc_exit",
            ProcRaise => "proc_raise",
            SchedYield => "sched_yield",
            RandomGet => "random_get",
            SockAccept => "sock_accept",
            SockRecv => "sock_recv",
            SockSend => "sock_send",
            SockShutdown => "sock_shutdown",
        }
    }

    /// The parameters, in the order of the import's signature (the
    /// [`Param::is_wide`] ones are its i64 parameters).
    pub fn params(self) -> &'static [Param] {
        use HostFn::*;
        use Param::*;
        match self {
            ArgsGet | EnvironGet | RandomGet => &[Buf, Buf],
            ArgsSizesGet | EnvironSizesGet => &[Out, Out],
            ClockResGet => &[Flags, Out],
            ClockTimeGet => &[Flags, Size, Out],
            FdAdvise => &[Fd, Size, Size, Flags],
            FdAllocate => &[Fd, Size, Size],
            FdFdstatSetRights => &[Fd, Rights, Rights],
            FdClose | FdDatasync | FdSync => &[Fd],
            FdFdstatGet | FdFilestatGet | FdTell => &[Fd, Out],
            FdPrestatGet => &[DirFd, Out],
            FdFdstatSetFlags | SockShutdown => &[Fd, Flags],
            FdFilestatSetSize => &[Fd, Size],
            FdFilestatSetTimes => &[Fd, Size, Size, Flags],
            FdPread | FdPwrite => &[Fd, Iovs, IovsLen, Size, Out],
            FdPrestatDirName => &[DirFd, Buf, Len],
            FdRead | FdWrite => &[Fd, Iovs, IovsLen, Out],
            FdReaddir => &[DirFd, Buf, Len, Size, Out],
            FdRenumber => &[Fd, Fd],
            FdSeek => &[Fd, Size, Flags, Out],
            PathCreateDirectory | PathRemoveDirectory | PathUnlinkFile => &[DirFd, Path, PathLen],
            PathFilestatGet => &[DirFd, Lookup, Path, PathLen, Out],
            PathFilestatSetTimes => &[DirFd, Lookup, Path, PathLen, Size, Size, Flags],
            PathLink => &[DirFd, Lookup, Path, PathLen, DirFd, Path, PathLen],
            PathOpen => &[
                DirFd, Lookup, Path, PathLen, Flags, Rights, Rights, Flags, Out,
            ],
            PathReadlink => &[DirFd, Path, PathLen, Buf, Len, Out],
            PathRename => &[DirFd, Path, PathLen, DirFd, Path, PathLen],
            PathSymlink => &[Path, PathLen, DirFd, Path, PathLen],
            PollOneoff => &[Subscriptions, Out, SubscriptionCount, Out],
            ProcExit | ProcRaise => &[Code],
            SchedYield => &[],
            SockAccept => &[Fd, Flags, Out],
            SockRecv => &[Fd, Iovs, IovsLen, Flags, Out, Out],
            SockSend => &[Fd, Iovs, IovsLen, Flags, Out],
        }
    }

    /// Whether the function ends the guest instead of returning.
    pub fn ends_the_guest(self) -> bool {
        matches!(self, HostFn::ProcExit | HostFn::ProcRaise)
    }

    /// Whether the function writes file data, which in the in-memory
    /// sandbox is host memory: `fd_write` and `fd_pwrite` (up to 1024
    /// whole-page iovecs, 64 MiB, in one call), and `fd_allocate` and
    /// `fd_filestat_set_size` (a size up to the sandbox's budget,
    /// [`SANDBOX_LIMIT`] here).
    ///
    /// For these calls the oracle allows, besides
    /// [`MAX_HOST_BYTES_PER_CALL`], twice the growth of the sandbox's
    /// memory budget (`wasi_fs_setup::MemoryBudget`, which counts file
    /// buffer capacity and is bounded by `MAX_SANDBOX_BYTES`): a growing
    /// `Vec` is reallocated, and the meter counts the new block before the
    /// old one is freed, so at its peak the host holds both, at most twice
    /// the capacity added. Memory the call holds anywhere else is still
    /// held to the plain bound.
    pub fn grows_sandbox_files(self) -> bool {
        matches!(
            self,
            HostFn::FdWrite | HostFn::FdPwrite | HostFn::FdAllocate | HostFn::FdFilestatSetSize
        )
    }
}

/// A 32-bit argument: a pointer, a length, an fd, flags, a code.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// 0 to 255: fds, clock ids, flags, signals, short lengths, low addresses.
    Small(u8),
    /// `PAGE - n`: addresses straddling the end of the memory.
    BeforeEnd(u8),
    /// `PAGE + n`: just past the end.
    AfterEnd(u8),
    /// `u32::MAX - n`: addresses whose range wraps past 4 GiB.
    Top(u8),
    /// Anywhere in the page.
    InPage(u16),
    /// Any value.
    Raw(u32),
    /// The address of path slot `n % PATH_SLOTS`.
    Path(u8),
    /// The length of the path in slot `n % PATH_SLOTS`.
    PathLen(u8),
}

impl Arg {
    /// The value passed to the guest, with `paths` for the path slots.
    pub fn value(self, paths: &PathSlots) -> u32 {
        match self {
            Arg::Small(n) => u32::from(n),
            Arg::BeforeEnd(n) => PAGE - u32::from(n),
            Arg::AfterEnd(n) => PAGE + u32::from(n),
            Arg::Top(n) => u32::MAX - u32::from(n),
            Arg::InPage(n) => u32::from(n),
            Arg::Raw(n) => n,
            Arg::Path(slot) => PathSlots::address(slot),
            Arg::PathLen(slot) => paths.len(slot),
        }
    }
}

/// A 64-bit argument: an offset, a size, rights, a time, a cookie.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg64 {
    /// -128 to 127.
    Small(i8),
    /// The extremes.
    Min,
    /// The extremes.
    Max,
    /// Any value.
    Raw(i64),
}

impl Arg64 {
    /// The value passed to the guest.
    pub fn value(self) -> i64 {
        match self {
            Arg64::Small(n) => i64::from(n),
            Arg64::Min => i64::MIN,
            Arg64::Max => i64::MAX,
            Arg64::Raw(n) => n,
        }
    }
}

/// One host call: the function and its parameters. `args` are its i32
/// parameters in order and `wide` its i64 ones in order (as the dispatcher
/// passes them); those past the function's own count are not passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// Which function.
    pub which: HostFn,
    /// The i32 parameters, in order.
    pub args: [Arg; MAX_I32_PARAMS],
    /// The i64 parameters, in order.
    pub wide: [Arg64; MAX_I64_PARAMS],
}

impl Call {
    /// A call of `which` with `args` as its i32 parameters and `wide` as its
    /// i64 ones, in order; missing ones are 0 and extra ones are dropped.
    pub fn new(which: HostFn, args: &[Arg], wide: &[Arg64]) -> Self {
        let mut call = Call {
            which,
            args: [Arg::Small(0); MAX_I32_PARAMS],
            wide: [Arg64::Small(0); MAX_I64_PARAMS],
        };
        for (slot, arg) in call.args.iter_mut().zip(args) {
            *slot = *arg;
        }
        for (slot, arg) in call.wide.iter_mut().zip(wide) {
            *slot = *arg;
        }
        call
    }

    /// The values the dispatcher passes, with `paths` for the path slots.
    pub fn values(&self, paths: &PathSlots) -> ([u32; MAX_I32_PARAMS], [i64; MAX_I64_PARAMS]) {
        (
            self.args.map(|a| a.value(paths)),
            self.wide.map(Arg64::value),
        )
    }
}

impl<'a> Arbitrary<'a> for Call {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let which: HostFn = u.arbitrary()?;
        let mut call = Call::new(which, &[], &[]);
        let (mut narrow, mut wide, mut slot) = (0, 0, 0);
        // Mostly meaningful values; in one call of four, about half the
        // parameters take any value.
        let wild = u.ratio(1, 4)?;
        for &param in which.params() {
            let anything = wild && u.ratio(1, 2)?;
            match param.typical(u, &mut slot)? {
                Drawn::Wide(typical) => {
                    call.wide[wide] = if anything { u.arbitrary()? } else { typical };
                    wide += 1;
                }
                Drawn::Narrow(typical) => {
                    call.args[narrow] = if anything { u.arbitrary()? } else { typical };
                    narrow += 1;
                }
            }
        }
        Ok(call)
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.which.name())?;
        let (mut narrow, mut wide) = (0, 0);
        for (i, &param) in self.which.params().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if param.is_wide() {
                write!(f, "{:?}", self.wide[wide])?;
                wide += 1;
            } else {
                write!(f, "{:?}", self.args[narrow])?;
                narrow += 1;
            }
        }
        f.write_str(")")
    }
}

/// One piece of a generated path.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathTok {
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// `/`
    Slash,
    /// `file` (seeded)
    File,
    /// `empty` (seeded)
    Empty,
    /// `sub` (seeded directory)
    Sub,
    /// `inner` (seeded inside `sub`)
    Inner,
    /// `link_in` (seeded symlink to `file`)
    LinkIn,
    /// `link_out` (seeded symlink to the canary, climbing out)
    LinkOut,
    /// `link_abs` (seeded symlink to the canary, absolute)
    LinkAbs,
    /// `link_sib` (seeded symlink to the sibling directory, climbing out)
    LinkSib,
    /// `new` (not seeded)
    New,
    /// `canary` (the host canary's name, beside the preopen)
    Canary,
    /// `sibling` (the host sibling's name, beside the preopen)
    Sibling,
    /// `outside` (the sandbox's canary directory, beside the preopen)
    Outside,
    /// `secret` (the sandbox canary's name)
    Secret,
    /// The absolute host path of the directory holding the host preopen,
    /// the canary and the sibling.
    Abs,
    /// A 255-byte name (`NAME_MAX`).
    Name255,
    /// A 256-byte name, one past `NAME_MAX`.
    Name256,
    /// `./` 1024 times: two of them reach `PATH_MAX`.
    Deep,
    /// A NUL byte.
    Nul,
    /// Bytes that are not UTF-8.
    NotUtf8,
}

/// A generated path: up to 16 tokens, concatenated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathToks(pub Vec<PathTok>);

impl<'a> Arbitrary<'a> for PathToks {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        // Mostly slash-separated components, so that walks get somewhere;
        // sometimes glued tokens or a trailing slash.
        let n = u.int_in_range(1..=8)?;
        let mut toks = Vec::with_capacity(2 * n);
        for i in 0..n {
            toks.push(u.arbitrary()?);
            let sep = if i + 1 == n {
                u.ratio(1, 8)?
            } else {
                u.ratio(7, 8)?
            };
            if sep {
                toks.push(PathTok::Slash);
            }
        }
        Ok(PathToks(toks))
    }
}

impl PathToks {
    /// The path's bytes; `abs` is what [`PathTok::Abs`] stands for.
    pub fn render(&self, abs: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for tok in self.0.iter().take(16) {
            match tok {
                PathTok::Dot => out.extend_from_slice(b"."),
                PathTok::DotDot => out.extend_from_slice(b".."),
                PathTok::Slash => out.extend_from_slice(b"/"),
                PathTok::File => out.extend_from_slice(b"file"),
                PathTok::Empty => out.extend_from_slice(b"empty"),
                PathTok::Sub => out.extend_from_slice(b"sub"),
                PathTok::Inner => out.extend_from_slice(b"inner"),
                PathTok::LinkIn => out.extend_from_slice(b"link_in"),
                PathTok::LinkOut => out.extend_from_slice(b"link_out"),
                PathTok::LinkAbs => out.extend_from_slice(b"link_abs"),
                PathTok::LinkSib => out.extend_from_slice(b"link_sib"),
                PathTok::New => out.extend_from_slice(b"new"),
                PathTok::Canary => out.extend_from_slice(b"canary"),
                PathTok::Sibling => out.extend_from_slice(b"sibling"),
                PathTok::Outside => out.extend_from_slice(b"outside"),
                PathTok::Secret => out.extend_from_slice(b"secret"),
                PathTok::Abs => out.extend_from_slice(abs),
                PathTok::Name255 => out.extend(std::iter::repeat_n(b'n', 255)),
                PathTok::Name256 => out.extend(std::iter::repeat_n(b'n', 256)),
                PathTok::Deep => out.extend(b"./".iter().copied().cycle().take(2048)),
                PathTok::Nul => out.push(0),
                PathTok::NotUtf8 => out.extend_from_slice(b"\xff\xfe"),
            }
        }
        out
    }
}

/// A `poll_oneoff` subscription.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscription {
    /// A clock: `clock` id, `timeout`, absolute or relative.
    Clock {
        /// The clock id (0 to 3 are defined).
        clock: u8,
        /// The timeout or deadline.
        timeout: Arg64,
        /// `subscription_clock_abstime`.
        absolute: bool,
    },
    /// Readiness of an fd for reading.
    FdRead(u8),
    /// Readiness of an fd for writing.
    FdWrite(u8),
}

impl Subscription {
    /// The 48-byte record.
    pub fn encode(self, userdata: u64) -> [u8; SUBSCRIPTION_SIZE as usize] {
        let mut raw = [0u8; SUBSCRIPTION_SIZE as usize];
        raw[0..8].copy_from_slice(&userdata.to_le_bytes());
        match self {
            Subscription::Clock {
                clock,
                timeout,
                absolute,
            } => {
                raw[8] = 0;
                raw[16..20].copy_from_slice(&u32::from(clock).to_le_bytes());
                raw[24..32].copy_from_slice(&timeout.value().to_le_bytes());
                raw[40] = u8::from(absolute);
            }
            Subscription::FdRead(fd) | Subscription::FdWrite(fd) => {
                raw[8] = if matches!(self, Subscription::FdRead(_)) {
                    1
                } else {
                    2
                };
                raw[16..20].copy_from_slice(&u32::from(fd).to_le_bytes());
            }
        }
        raw
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Writes `bytes` at `at` (cut at the end of the page).
    Poke {
        /// Where.
        at: u16,
        /// What.
        bytes: Vec<u8>,
    },
    /// Writes an iovec record (`buf`, `len`, 8 bytes) at `at`.
    Iovec {
        /// Where.
        at: u16,
        /// The buffer's address.
        buf: Arg,
        /// The buffer's length.
        len: Arg,
    },
    /// Writes a path into slot `slot % PATH_SLOTS` (cut at
    /// [`PATH_SLOT_LEN`]); [`Arg::PathLen`] then gives its length.
    Path {
        /// Which slot.
        slot: u8,
        /// The path.
        path: PathToks,
    },
    /// Writes a subscription record, with userdata `index`, at
    /// `SUBSCRIPTION_AREA + 48 * (index % 16)`.
    Subscription {
        /// Which record.
        index: u8,
        /// What it subscribes to.
        sub: Subscription,
    },
    /// Calls a host function.
    Call(Call),
    /// Threaded mode: the worker and the main instance each run a loop of
    /// `iterations` at once (at least [`BURN_OPS_PER_ITERATION`] fuel units
    /// each), drawing on the environment's one fuel budget. Made only by
    /// [`ThreadedHostCallPlan`]; single-threaded mode skips it.
    Burn {
        /// Iterations of each thread's loop.
        iterations: u16,
    },
    /// Threaded mode: the main instance spawns `threads % 65` threads in a
    /// row, each running a loop of `iterations` and returning at once (a
    /// spawn storm). Every spawn returns a thread id or a negative errno
    /// (EAGAIN when no more can be had), never traps or panics. Made only
    /// by [`ThreadedHostCallPlan`]; single-threaded mode skips it.
    Storm {
        /// How many threads (modulo 65).
        threads: u8,
        /// Iterations of each thread's loop.
        iterations: u16,
    },
}

impl<'a> Arbitrary<'a> for Step {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0..=11u8)? {
            0 => Step::Poke {
                at: u.arbitrary()?,
                bytes: u.arbitrary()?,
            },
            1 | 2 => Step::Iovec {
                at: if u.ratio(3, 4)? {
                    IOVEC_AREA + 8 * u.int_in_range(0..=15)?
                } else {
                    u.arbitrary()?
                },
                buf: if u.ratio(3, 4)? {
                    Arg::InPage(u.int_in_range(DATA_AREA..=PATH_AREA - 1)?)
                } else {
                    u.arbitrary()?
                },
                len: u.arbitrary()?,
            },
            3 | 4 => Step::Path {
                slot: u.arbitrary()?,
                path: u.arbitrary()?,
            },
            5 => Step::Subscription {
                index: u.int_in_range(0..=3)?,
                sub: u.arbitrary()?,
            },
            _ => Step::Call(u.arbitrary()?),
        })
    }
}

/// A plan of steps, and what the guest reads from stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCallPlan {
    /// The steps, at most [`MAX_STEPS`] of which run.
    pub steps: Vec<Step>,
    /// The bytes served on stdin.
    pub stdin: Vec<u8>,
}

impl<'a> Arbitrary<'a> for HostCallPlan {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        // The step count is drawn once, so that short inputs still make
        // plans of many steps; stdin takes a bounded share of the rest.
        let n = u.int_in_range(0..=MAX_STEPS)?;
        let steps = (0..n)
            .map(|_| u.arbitrary())
            .collect::<arbitrary::Result<_>>()?;
        let len = u.int_in_range(0..=64)?;
        let stdin = u.bytes(len.min(u.len()))?.to_vec();
        Ok(HostCallPlan { steps, stdin })
    }
}

/// A plan for threaded mode: a [`HostCallPlan`] into which up to four
/// [`Step::Burn`] and [`Step::Storm`] steps are inserted (their loops
/// short enough that a plan rarely runs out of fuel by them alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadedHostCallPlan(pub HostCallPlan);

impl<'a> Arbitrary<'a> for ThreadedHostCallPlan {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut plan = HostCallPlan::arbitrary(u)?;
        for _ in 0..u.int_in_range(0..=4u8)? {
            let at = u.int_in_range(0..=plan.steps.len())?;
            let iterations = u.int_in_range(0..=MAX_FUZZED_BURN)?;
            let step = if u.arbitrary()? {
                Step::Burn { iterations }
            } else {
                Step::Storm {
                    threads: u.arbitrary()?,
                    iterations: iterations / 16,
                }
            };
            plan.steps.insert(at, step);
        }
        Ok(ThreadedHostCallPlan(plan))
    }
}

/// The longest loop of a fuzzed [`Step::Burn`]: a pair of them costs about
/// a quarter of [`FUEL`].
const MAX_FUZZED_BURN: u16 = 16_384;

/// The most tasks (threads) one environment may hold at once: the main
/// instance, the worker and six of a storm's threads, so that storms meet
/// EAGAIN and never take the shared launcher's tasks from runs beside
/// them.
const MAX_TASKS: NonZeroUsize = NonZeroUsize::new(8).expect("nonzero");

/// The fuel one iteration of a burn loop costs at least (it has seven
/// operators, each metered as one unit).
pub const BURN_OPS_PER_ITERATION: u64 = 5;

/// The `which` of a job that makes the worker run a burn loop (`p0`
/// iterations) instead of a host call.
const BURN_JOB: i32 = 1000;

/// The lengths of the paths in the path slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSlots {
    lens: [u32; PATH_SLOTS],
}

impl PathSlots {
    /// The address of slot `slot % PATH_SLOTS`.
    pub fn address(slot: u8) -> u32 {
        let index = u32::from(slot) % PATH_SLOTS as u32;
        u32::from(PATH_AREA) + index * PATH_SLOT_LEN
    }

    /// The length of the path in slot `slot % PATH_SLOTS`.
    pub fn len(&self, slot: u8) -> u32 {
        self.lens[usize::from(slot) % PATH_SLOTS]
    }

    /// Slots holding [`INITIAL_PATHS`] (written into `memory`).
    fn initial(memory: &Memory, store: &Store) -> Self {
        let mut slots = PathSlots {
            lens: [0; PATH_SLOTS],
        };
        for (slot, path) in (0u8..).zip(INITIAL_PATHS) {
            slots.write(memory, store, slot, path);
        }
        slots
    }

    /// Writes `path` into slot `slot % PATH_SLOTS`, cut at
    /// [`PATH_SLOT_LEN`].
    fn write(&mut self, memory: &Memory, store: &Store, slot: u8, path: &[u8]) {
        let path = &path[..path.len().min(PATH_SLOT_LEN as usize)];
        poke(memory, store, Self::address(slot), path);
        // At most PATH_SLOT_LEN bytes.
        self.lens[usize::from(slot) % PATH_SLOTS] = path.len() as u32;
    }
}

/// What a run did, for tests that look closer than the property.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// Each call made and what it returned: its errno, or `None` if it
    /// ended the guest (or the guest ran out of fuel in it: see
    /// [`stopped`](Self::stopped)).
    pub calls: Vec<(Call, Option<i32>)>,
    /// The most the sandbox's memory budget grew in one call, in bytes.
    pub largest_sandbox_growth: u64,
    /// The fuel the run used, the oracle's own opening calls included.
    pub fuel_used: u64,
    /// The limit that stopped the guest, if one did (only fuel can here:
    /// [`StopReason::FuelExhausted`] with the run's fuel).
    pub stopped: Option<StopReason>,
    /// Threaded mode only: each call the worker thread made and what it
    /// returned, or `None` if it ended the environment or its result was
    /// not collected (the run ended first).
    pub worker_calls: Vec<(Call, Option<i32>)>,
    /// Threaded mode only: how the environment ended, as
    /// [`WasiInstance::start`] reports it after the plan.
    pub status: Option<ExitStatus>,
    /// Threaded mode only: the [`Step::Burn`] iterations completed on
    /// both threads together.
    pub burned: u64,
}

impl Trace {
    /// The errnos `which` returned, in order.
    pub fn errnos(&self, which: HostFn) -> Vec<Option<i32>> {
        self.calls
            .iter()
            .filter(|(c, _)| c.which == which)
            .map(|(_, r)| *r)
            .collect()
    }
}

/// One launcher (Singlepass, loading metered modules, memories from a
/// pool so that every host call also runs against a reused, reset slot)
/// and the dispatcher compiled with fuel metering, shared by every run of
/// the process.
fn shared() -> &'static (Launcher, Module) {
    static SHARED: OnceLock<(Launcher, Module)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let launcher = Launcher::builder()
            .compiler(Compiler::Singlepass)
            .memory_pool(MemoryPoolConfig::new())
            .build()
            .metered()
            .expect("a launcher of a compiler meters");
        let module = launcher
            .load_module(DISPATCHER.as_bytes())
            .expect("the dispatcher compiles");
        (launcher, module)
    })
}

/// The configuration of a run: fixed args and env, the sandbox preopen at
/// fd 3 and the host preopen `host_dir` at fd 4, both read-write-create,
/// memory capped at `memory_limit`, `fuel` units of fuel and at most
/// [`MAX_TASKS`] tasks.
fn config(host_dir: &Path, fuel: u64, memory_limit: u64) -> Config {
    let mut b = ConfigBuilder::new("host-calls");
    b.arg(&b"\xff\xfe"[..]).arg("").arg("two words");
    b.env("KEY", "value")
        .env("EMPTY", "")
        .env(&b"K\xc0"[..], &b"\x80"[..]);
    b.preopen(
        PreopenSpec::virtual_dir(SANDBOX_FS, SANDBOX_GUEST_PATH)
            .read(true)
            .create(true),
    );
    b.preopen(
        PreopenSpec::host(host_dir)
            .guest_path(HOST_GUEST_PATH)
            .read(true)
            .create(true),
    );
    b.capabilities(
        Capabilities::default()
            .with_max_memory_bytes(memory_limit)
            .with_fuel(fuel)
            .with_max_tasks(MAX_TASKS),
    );
    b.validate().expect("a valid configuration")
}

/// Writes `bytes` into guest memory at `at`, cut at the end of the page.
fn poke(memory: &Memory, store: &Store, at: u32, bytes: &[u8]) {
    let room = PAGE.saturating_sub(at) as usize;
    let bytes = &bytes[..bytes.len().min(room)];
    memory
        .view(store)
        .write(u64::from(at), bytes)
        .expect("the write lies inside the page");
}

/// Runs `plan` and checks the property stated in the module docs.
pub fn check_host_calls(plan: &HostCallPlan) {
    trace_host_calls(plan);
}

/// [`check_host_calls`], returning what the run did.
pub fn trace_host_calls(plan: &HostCallPlan) -> Trace {
    trace_with_fuel(plan, FUEL)
}

/// The environment of a run over `host`'s preopen, with `plan`'s stdin,
/// captured stdout and stderr, the sandbox budget and the fixed clock.
fn environment(
    launcher: &Launcher,
    host: &HostTree,
    plan: &HostCallPlan,
    fuel: u64,
    memory_limit: u64,
) -> Environment {
    let (stdout, _) = StdioSlot::capture_with_limit(CAPTURE_LIMIT);
    let (stderr, _) = StdioSlot::capture_with_limit(CAPTURE_LIMIT);
    launcher
        .environment_with(config(&host.preopen, fuel, memory_limit), |w| {
            w.stdin(StdioSlot::from_bytes(plan.stdin.clone()))
                .stdout(stdout)
                .stderr(stderr)
                .sandbox_limit(SANDBOX_LIMIT);
        })
        .expect("the environment builds")
        .with_runtime(Arc::new(
            DefaultRuntime::new().with_clock(Arc::new(FixedClock::new(CLOCK_START))),
        ))
}

/// [`trace_host_calls`] with `fuel` units of fuel instead of [`FUEL`].
fn trace_with_fuel(plan: &HostCallPlan, fuel: u64) -> Trace {
    let (launcher, module) = shared();
    let host = HostTree::new();
    let env = environment(launcher, &host, plan, fuel, MEMORY_LIMIT);
    let sandbox = SandboxTree::seed(env.world());
    // The environment's store applies the memory limit.
    let mut store = env.store();
    let instance = env
        .instantiate(module, &mut store)
        .expect("the dispatcher instantiates");
    let mut run = Run::new(store, instance, &host, fuel, None);
    run.open_files();
    let mut calls = Vec::new();
    for step in plan.steps.iter().take(MAX_STEPS) {
        match step {
            Step::Call(c) => {
                let result = run.call(c);
                calls.push((*c, result));
                if result.is_none() {
                    // The guest has ended: nothing more runs in it.
                    break;
                }
            }
            other => run.write(other),
        }
    }
    if let Err(err) = run.instance.finish(&mut run.store) {
        panic!("finishing after {plan:?} failed: {err}");
    }
    forget_wasm_stacks();
    sandbox.assert_untouched(run.instance.state(&run.store).world());
    host.assert_untouched();
    Trace {
        calls,
        largest_sandbox_growth: run.largest_sandbox_growth,
        fuel_used: fuel.saturating_sub(run.fuel_left()),
        stopped: run.stopped,
        ..Trace::default()
    }
}

/// Threaded mode: the cap on the shared memory, two pages (see
/// [`threaded_dispatcher`]).
pub const THREADED_MEMORY_LIMIT: u64 = 2 * PAGE as u64;

/// Threaded mode: where the worker's mailbox lies, the last 64 bytes of
/// the second page: the state word, the main instance's "done" word, the
/// worker's result, `which`, `p0` to `p6`, then `q0` and `q1`.
pub const MAILBOX: u32 = 2 * PAGE - 64;

/// The mailbox's state word: a job is posted.
const POSTED: u32 = 0x504F_5354;
/// The mailbox's state word: the worker copied the job and runs it.
const TAKEN: u32 = 0x5441_4B4E;
/// The mailbox's state word: the worker's result is in.
const DONE: u32 = 0x444F_4E45;
/// The main instance's "done" word: its own call returned.
const MAIN_DONE: u32 = 0x4D44_4F4E;

/// What the threaded dispatcher adds to the functions of `host_calls.wat`
/// (`@` stands for [`MAILBOX`], `@N` for `MAILBOX + N`).
///
/// The worker (`wasi_thread_start`) loops: it waits on the state word
/// until a job is [`POSTED`], copies it into locals and sets [`TAKEN`],
/// calls `$call`, then waits until the main instance's done word reads
/// [`MAIN_DONE`] before it stores its result and sets [`DONE`]; a job
/// whose `which` is [`BURN_JOB`] runs `burn` instead of a host call. A
/// thread started with a nonzero argument `n` (a storm's) runs `burn` for
/// `n - 1` iterations, counts itself in the word before the mailbox and
/// returns. The main instance's exports: `spawn_worker` (`thread-spawn`),
/// `burn` (a loop of its argument's iterations), `storm` (spawns its first
/// argument's threads, each to burn its second argument's iterations,
/// then waits at most a second for all of them to count themselves;
/// returns how many spawned, traps if a spawn returns 0), `post` (a job),
/// `taken` and `done` (one wait of at most 10 ms each; 1 when the state
/// word reads `TAKEN` / `DONE`; `done` first (re)sets the done word and,
/// once `DONE`, makes the mailbox idle again), and an empty `_start`, so
/// that [`WasiInstance::start`] reports how the environment ended.
///
/// The plan's calls can write the mailbox (page 1 is ordinary memory):
/// nothing there is read while both calls of a pair run except the done
/// word, which the main instance sets again on every wait, so a call
/// that writes the mailbox cannot hang a run; only a call writing the
/// exact magic values while the other still runs could mix up a result.
const THREADED_ADDITIONS: &str = r#"
  (func (export "_start"))
  (func (export "spawn_worker") (result i32)
    (call $thread_spawn (i32.const 0)))
  (func $burn (export "burn") (param $n i32) (result i32)
    (if (i32.gt_s (local.get $n) (i32.const 0))
      (then
        (loop $l
          (br_if $l (i32.gt_s
            (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
            (i32.const 0))))))
    (i32.const 0))
  (func (export "storm") (param $n i32) (param $iterations i32) (result i32)
    (local $tid i32) (local $spawned i32) (local $seen i32) (local $waits i32)
    (i32.atomic.store (i32.const STORM_COUNT) (i32.const 0))
    (block $end
      (loop $next
        (br_if $end (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $tid (call $thread_spawn (i32.add (local.get $iterations) (i32.const 1))))
        (if (i32.eqz (local.get $tid)) (then unreachable))
        (if (i32.gt_s (local.get $tid) (i32.const 0))
          (then (local.set $spawned (i32.add (local.get $spawned) (i32.const 1)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (block $all
      (loop $wait
        (local.set $seen (i32.atomic.load (i32.const STORM_COUNT)))
        (br_if $all (i32.ge_u (local.get $seen) (local.get $spawned)))
        (br_if $all (i32.ge_u (local.get $waits) (i32.const 100)))
        (drop (memory.atomic.wait32 (i32.const STORM_COUNT) (local.get $seen) (i64.const 10000000)))
        (local.set $waits (i32.add (local.get $waits) (i32.const 1)))
        (br $wait)))
    (local.get $spawned))
  (func (export "post")
    (param $which i32)
    (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $p4 i32) (param $p5 i32) (param $p6 i32)
    (param $q0 i64) (param $q1 i64)
    (i32.store (i32.const @12) (local.get $which))
    (i32.store (i32.const @16) (local.get $p0))
    (i32.store (i32.const @20) (local.get $p1))
    (i32.store (i32.const @24) (local.get $p2))
    (i32.store (i32.const @28) (local.get $p3))
    (i32.store (i32.const @32) (local.get $p4))
    (i32.store (i32.const @36) (local.get $p5))
    (i32.store (i32.const @40) (local.get $p6))
    (i64.store (i32.const @48) (local.get $q0))
    (i64.store (i32.const @56) (local.get $q1))
    (i32.atomic.store (i32.const @4) (i32.const 0))
    (i32.atomic.store (i32.const @) (i32.const POSTED))
    (drop (memory.atomic.notify (i32.const @) (i32.const 1))))
  (func (export "taken") (result i32) (local $s i32)
    (local.set $s (i32.atomic.load (i32.const @)))
    (if (i32.ne (local.get $s) (i32.const TAKEN))
      (then (drop (memory.atomic.wait32 (i32.const @) (local.get $s) (i64.const 10000000)))))
    (i32.eq (i32.atomic.load (i32.const @)) (i32.const TAKEN)))
  (func (export "done") (result i32) (local $s i32)
    (i32.atomic.store (i32.const @4) (i32.const MAIN_DONE))
    (drop (memory.atomic.notify (i32.const @4) (i32.const 1)))
    (local.set $s (i32.atomic.load (i32.const @)))
    (if (i32.ne (local.get $s) (i32.const DONE))
      (then (drop (memory.atomic.wait32 (i32.const @) (local.get $s) (i64.const 10000000)))))
    (if (result i32) (i32.eq (i32.atomic.load (i32.const @)) (i32.const DONE))
      (then
        (i32.atomic.store (i32.const @4) (i32.const 0))
        (i32.atomic.store (i32.const @) (i32.const 0))
        (i32.const 1))
      (else (i32.const 0))))
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (local $s i32) (local $r i32) (local $which i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $p4 i32) (local $p5 i32) (local $p6 i32)
    (local $q0 i64) (local $q1 i64)
    (if (local.get $arg)
      (then
        (drop (call $burn (i32.sub (local.get $arg) (i32.const 1))))
        (drop (i32.atomic.rmw.add (i32.const STORM_COUNT) (i32.const 1)))
        (drop (memory.atomic.notify (i32.const STORM_COUNT) (i32.const 1)))
        (return)))
    (loop $job
      (block $posted
        (loop $idle
          (local.set $s (i32.atomic.load (i32.const @)))
          (br_if $posted (i32.eq (local.get $s) (i32.const POSTED)))
          (drop (memory.atomic.wait32 (i32.const @) (local.get $s) (i64.const -1)))
          (br $idle)))
      (local.set $which (i32.load (i32.const @12)))
      (local.set $p0 (i32.load (i32.const @16)))
      (local.set $p1 (i32.load (i32.const @20)))
      (local.set $p2 (i32.load (i32.const @24)))
      (local.set $p3 (i32.load (i32.const @28)))
      (local.set $p4 (i32.load (i32.const @32)))
      (local.set $p5 (i32.load (i32.const @36)))
      (local.set $p6 (i32.load (i32.const @40)))
      (local.set $q0 (i64.load (i32.const @48)))
      (local.set $q1 (i64.load (i32.const @56)))
      (i32.atomic.store (i32.const @) (i32.const TAKEN))
      (drop (memory.atomic.notify (i32.const @) (i32.const 1)))
      (if (i32.eq (local.get $which) (i32.const BURN_JOB))
        (then (local.set $r (call $burn (local.get $p0))))
        (else
          (local.set $r (call $call (local.get $which)
            (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3)
            (local.get $p4) (local.get $p5) (local.get $p6)
            (local.get $q0) (local.get $q1)))))
      (block $go
        (loop $main
          (local.set $s (i32.atomic.load (i32.const @4)))
          (br_if $go (i32.eq (local.get $s) (i32.const MAIN_DONE)))
          (drop (memory.atomic.wait32 (i32.const @4) (local.get $s) (i64.const -1)))
          (br $main)))
      (i32.store (i32.const @8) (local.get $r))
      (i32.atomic.store (i32.const @) (i32.const DONE))
      (drop (memory.atomic.notify (i32.const @) (i32.const 1)))
      (br $job)))
"#;

/// The threaded dispatcher, made from `host_calls.wat`: the same 46
/// imports and `call` (named `$call`), then `wasi`.`thread-spawn`, a
/// two-page shared memory imported as `env`.`memory` (page 0 as before,
/// the mailbox at the end of page 1, see [`MAILBOX`]) and the functions of
/// [`THREADED_ADDITIONS`].
pub fn threaded_dispatcher() -> String {
    let memory = "(memory (export \"memory\") 1 1)";
    let call = "(func (export \"call\")";
    assert!(DISPATCHER.contains(memory) && DISPATCHER.contains(call));
    let body = DISPATCHER
        .replace(
            memory,
            "(import \"wasi\" \"thread-spawn\" (func $thread_spawn (param i32) (result i32)))\n  \
             (memory (export \"memory\") (import \"env\" \"memory\") 2 2 shared)",
        )
        .replace(call, "(func $call (export \"call\")");
    let body = body
        .trim_end()
        .strip_suffix(')')
        .expect("the dispatcher ends its module");
    let additions = THREADED_ADDITIONS
        .replace("BURN_JOB", &BURN_JOB.to_string())
        .replace("STORM_COUNT", &(MAILBOX - 4).to_string())
        .replace("POSTED", &POSTED.to_string())
        .replace("TAKEN", &TAKEN.to_string())
        .replace("MAIN_DONE", &MAIN_DONE.to_string())
        .replace("DONE", &DONE.to_string());
    // `@N` first, then the bare `@`.
    let mut additions = additions;
    for offset in [4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 48, 56] {
        additions = additions.replace(
            &format!("(i32.const @{offset})"),
            &format!("(i32.const {})", MAILBOX + offset),
        );
    }
    let additions = additions.replace("(i32.const @)", &format!("(i32.const {MAILBOX})"));
    format!("{body}{additions})\n")
}

/// The threaded dispatcher compiled with fuel metering on the launcher of
/// [`shared`].
fn shared_threaded() -> &'static Module {
    static THREADED: OnceLock<Module> = OnceLock::new();
    THREADED.get_or_init(|| {
        shared()
            .0
            .load_module(threaded_dispatcher().as_bytes())
            .expect("the threaded dispatcher compiles")
    })
}

/// Runs `plan` in threaded mode and checks the property stated in the
/// module docs, with two threads making host calls at once.
///
/// The threaded dispatcher ([`threaded_dispatcher`]) is instantiated with
/// a two-page shared memory ([`THREADED_MEMORY_LIMIT`]); after the
/// oracle's opens, the main instance spawns a worker thread (a new
/// instance on a new OS thread, sharing the memory, the fd table and the
/// environment's one budget of [`FUEL`]). The plan's calls then go in
/// pairs: the first is posted to the worker, and once the worker has taken
/// it the second runs on the main instance, at the same time; then the
/// oracle waits for the worker's result. A call left without a partner
/// (before any other step, or the last one) runs on the worker alone.
/// Memory steps, [`Step::Burn`] (a loop on both threads at once) and
/// [`Step::Storm`] (the main instance spawns up to 64 short-lived
/// threads) run while the worker is idle.
///
/// Checked as in single-threaded mode: every errno of either thread, no
/// panic, the canaries and siblings, and the end: [`WasiInstance::start`]
/// (an empty `_start`) stops and joins the worker, finishes the instance,
/// and must report a normal end (a worker's trap is a failure).
/// `proc_exit`, `proc_raise` or running out of fuel in the worker ends the
/// whole environment: a normal end, like those of the main instance.
/// Storms: every spawn gives a thread id or a negative errno, and nothing
/// traps or panics however many threads came and went. Fuel across
/// threads: the burn iterations both threads completed cost at most
/// [`FUEL`] ([`BURN_OPS_PER_ITERATION`] each), and a burn that stops short
/// ends the environment as `Stopped(FuelExhausted)`.
///
/// Not checked here: the per-call host-memory bound
/// ([`MAX_HOST_BYTES_PER_CALL`]), since two concurrent calls share
/// [`crate::alloc_meter`]'s counts.
pub fn check_host_calls_threaded(plan: &HostCallPlan) {
    trace_host_calls_threaded(plan);
}

/// [`check_host_calls_threaded`], returning what the run did:
/// [`Trace::calls`] are the main instance's, [`Trace::worker_calls`] the
/// worker's and [`Trace::status`] how the environment ended.
pub fn trace_host_calls_threaded(plan: &HostCallPlan) -> Trace {
    let (launcher, _) = shared();
    let module = shared_threaded();
    let host = HostTree::new();
    let env = environment(launcher, &host, plan, FUEL, THREADED_MEMORY_LIMIT);
    let sandbox = SandboxTree::seed(env.world());
    let vfs = Arc::clone(
        env.world()
            .filesystem(SANDBOX_FS)
            .expect("the default sandbox exists"),
    );
    let interrupt = env.interrupt_handle();
    let mut store = env.store();
    let instance = env
        .instantiate(module, &mut store)
        .expect("the threaded dispatcher instantiates");
    let mailbox = Mailbox::of(&instance, &store, interrupt.clone());
    let mut run = Run::new(store, instance, &host, FUEL, Some(interrupt));
    run.open_files();
    let tid = mailbox
        .spawn
        .call(&mut run.store)
        .expect("spawn_worker returns");
    assert!(tid > 0, "thread-spawn failed: {tid}");

    let mut calls = Vec::new();
    let mut worker_calls = Vec::new();
    let mut pending: Option<Call> = None;
    // Burn iterations completed on either thread, and whether a burn
    // stopped short.
    let (mut burned, mut burn_cut) = (0u64, false);
    for step in plan.steps.iter().take(MAX_STEPS) {
        let going = match step {
            Step::Call(c) => match pending.take() {
                None => {
                    pending = Some(*c);
                    true
                }
                Some(a) => {
                    let (going, worker, main) = run.pair(&mailbox, &a, Some(c));
                    worker_calls.push((a, worker));
                    calls.extend(main.map(|r| (*c, r)));
                    going
                }
            },
            other => {
                let going = match pending.take() {
                    None => true,
                    Some(a) => {
                        let (going, worker, _) = run.pair(&mailbox, &a, None);
                        worker_calls.push((a, worker));
                        going
                    }
                };
                match other {
                    _ if !going => false,
                    Step::Burn { iterations } => {
                        let (going, completed) = run.burn_pair(&mailbox, *iterations);
                        burned += completed;
                        burn_cut |= !going;
                        going
                    }
                    Step::Storm {
                        threads,
                        iterations,
                    } => run.storm(&mailbox, *threads, *iterations),
                    _ => {
                        run.write(other);
                        true
                    }
                }
            }
        };
        if !going {
            break;
        }
    }
    if let Some(a) = pending.take() {
        let (_, worker, _) = run.pair(&mailbox, &a, None);
        worker_calls.push((a, worker));
    }
    let fuel_used = FUEL.saturating_sub(run.fuel_left());
    let Run {
        mut store,
        instance,
        stopped,
        gave_up,
        ..
    } = run;
    let status = match instance.start(&mut store) {
        Ok(status) => status,
        Err(err) => panic!("the threaded run of {plan:?} ended badly: {err}"),
    };
    // Every thread has been joined: their stacks are in the pool.
    forget_wasm_stacks();
    // One fuel budget for all threads: what both threads' burns completed
    // cost no more than the environment was given, and a burn stops short
    // only when that budget ran out (or the oracle gave up on a
    // handshake, or a call before it ended the environment: then the
    // burn never started).
    assert!(
        burned.saturating_mul(BURN_OPS_PER_ITERATION) <= FUEL,
        "the threads completed {burned} burn iterations on {FUEL} units of fuel"
    );
    if burn_cut && !gave_up {
        let fuel_out = StopReason::FuelExhausted { fuel: FUEL };
        assert!(
            status == ExitStatus::Stopped(fuel_out) || stopped == Some(fuel_out),
            "a burn stopped short, yet the run ended {status:?}"
        );
    }
    sandbox.assert_untouched_in(&vfs);
    host.assert_untouched();
    Trace {
        calls,
        fuel_used,
        stopped,
        worker_calls,
        status: Some(status),
        burned,
        ..Trace::default()
    }
}

/// How many 10 ms slices a mailbox wait takes at most (30 s) before the
/// oracle gives up on the handshake and interrupts the environment.
const MAX_MAILBOX_WAITS: u32 = 3000;

/// The threaded dispatcher's mailbox exports (see [`THREADED_ADDITIONS`]).
struct Mailbox {
    spawn: TypedFunction<(), i32>,
    burn: TypedFunction<i32, i32>,
    storm: TypedFunction<(i32, i32), i32>,
    post: Post,
    taken: TypedFunction<(), i32>,
    done: TypedFunction<(), i32>,
    interrupt: InterruptHandle,
}

impl Mailbox {
    fn of(instance: &WasiInstance, store: &Store, interrupt: InterruptHandle) -> Self {
        let exports = &instance.instance().exports;
        let get = |name: &str| {
            exports
                .get_function(name)
                .unwrap_or_else(|e| panic!("the threaded dispatcher exports {name}: {e}"))
                .clone()
        };
        Mailbox {
            spawn: get("spawn_worker").typed(store).expect("spawn_worker"),
            burn: get("burn").typed(store).expect("burn"),
            storm: get("storm").typed(store).expect("storm"),
            post: get("post").typed(store).expect("post"),
            taken: get("taken").typed(store).expect("taken"),
            done: get("done").typed(store).expect("done"),
            interrupt,
        }
    }
}

/// How one wait of the main instance on the mailbox went.
enum Waited {
    /// The state word reached what was waited for.
    Reached,
    /// The environment or the main instance ended: the run is over.
    Ended,
}

impl Run {
    /// Posts `a` to the worker, runs `b` (if any) on the main instance
    /// once the worker has taken `a`, and collects the worker's result.
    /// Returns whether the run goes on, `a`'s result (`None`: it ended the
    /// environment, or the run ended before it was collected) and `b`'s
    /// (if `b` ran).
    fn pair(
        &mut self,
        mailbox: &Mailbox,
        a: &Call,
        b: Option<&Call>,
    ) -> (bool, Option<i32>, Option<Option<i32>>) {
        let (args, wide) = a.values(&self.paths);
        let posted = mailbox.post.call(
            &mut self.store,
            a.which as i32,
            args[0] as i32,
            args[1] as i32,
            args[2] as i32,
            args[3] as i32,
            args[4] as i32,
            args[5] as i32,
            args[6] as i32,
            wide[0],
            wide[1],
        );
        if let Err(err) = posted {
            self.helper_failed("post", &err);
            return (false, None, None);
        }
        if let Waited::Ended = self.wait(mailbox, &mailbox.taken, "taken") {
            return (false, None, None);
        }
        let main = b.map(|b| self.call(b));
        if main == Some(None) {
            // The main instance ended (or the environment did): the
            // worker's result is not collected.
            return (false, None, main);
        }
        match self.wait(mailbox, &mailbox.done, "done") {
            Waited::Ended => (false, None, main),
            Waited::Reached => {
                let errno = self.read_u32(MAILBOX + 8) as i32;
                assert!(
                    (0..=LAST_PREVIEW1_ERRNO).contains(&errno),
                    "{a} on the worker returned {errno}, not a preview1 errno"
                );
                assert!(!a.which.eq(&HostFn::ProcExit), "proc_exit returned");
                (true, Some(errno), main)
            }
        }
    }

    /// A [`Step::Burn`]: posts a burn of `iterations` to the worker and,
    /// once it has taken it, runs the same burn on the main instance.
    /// Returns whether the run goes on and how many iterations completed
    /// on both threads together.
    fn burn_pair(&mut self, mailbox: &Mailbox, iterations: u16) -> (bool, u64) {
        let n = i32::from(iterations);
        let posted = mailbox
            .post
            .call(&mut self.store, BURN_JOB, n, 0, 0, 0, 0, 0, 0, 0, 0);
        if let Err(err) = posted {
            self.helper_failed("post", &err);
            return (false, 0);
        }
        if let Waited::Ended = self.wait(mailbox, &mailbox.taken, "taken") {
            return (false, 0);
        }
        let mut completed = 0;
        match mailbox.burn.call(&mut self.store, n) {
            Ok(0) => completed += u64::from(iterations),
            Ok(other) => panic!("burn returned {other}"),
            Err(err) => {
                self.helper_failed("burn", &err);
                return (false, completed);
            }
        }
        match self.wait(mailbox, &mailbox.done, "done") {
            Waited::Ended => (false, completed),
            Waited::Reached => (true, completed + u64::from(iterations)),
        }
    }

    /// A [`Step::Storm`], while the worker is idle: the main instance
    /// spawns `threads % 65` threads that burn `iterations` each and
    /// return. Returns whether the run goes on.
    fn storm(&mut self, mailbox: &Mailbox, threads: u8, iterations: u16) -> bool {
        let n = threads % 65;
        match mailbox
            .storm
            .call(&mut self.store, i32::from(n), i32::from(iterations))
        {
            Ok(spawned) => {
                assert!(
                    (0..=i32::from(n)).contains(&spawned),
                    "a storm of {n} threads spawned {spawned}"
                );
                true
            }
            Err(err) => {
                self.helper_failed("storm", &err);
                false
            }
        }
    }

    /// Calls the mailbox export `wait` (`taken` or `done`) until it
    /// returns 1, or the environment or the main instance ends. A plan call
    /// that overwrote the mailbox's words with the exact markers could
    /// leave the handshake waiting for ever: after [`MAX_MAILBOX_WAITS`]
    /// slices the environment is interrupted instead (the run then ends
    /// `Stopped(Interrupted)`, still checked like any other end).
    fn wait(&mut self, mailbox: &Mailbox, wait: &TypedFunction<(), i32>, name: &str) -> Waited {
        for _ in 0..MAX_MAILBOX_WAITS {
            match wait.call(&mut self.store) {
                Ok(1) => return Waited::Reached,
                Ok(_) if mailbox.interrupt.is_stopped() => return Waited::Ended,
                Ok(_) => {}
                Err(err) => {
                    self.helper_failed(name, &err);
                    return Waited::Ended;
                }
            }
        }
        mailbox.interrupt.interrupt();
        self.gave_up = true;
        Waited::Ended
    }

    /// A mailbox export trapped: normal when the environment ended (its
    /// atomics are disabled then) or the main instance ran out of fuel.
    fn helper_failed(&mut self, name: &str, err: &wasmer::RuntimeError) {
        forget_wasm_stacks();
        if self.environment_ended() {
            return;
        }
        if self.fuel_exhausted() {
            self.stopped = Some(StopReason::FuelExhausted { fuel: self.fuel });
            return;
        }
        panic!("the mailbox's {name} trapped: {err}");
    }
}

/// The `path_open` of `file` (path slot 0 at the start of a run) under the
/// preopen `dir`, for reading and writing, that the oracle makes before a
/// plan (see [`SANDBOX_FILE_FD`]).
fn opening_call(dir: u8) -> Call {
    Call::new(
        HostFn::PathOpen,
        &[
            Arg::Small(dir),
            Arg::Small(0),
            Arg::Path(0),
            Arg::PathLen(0),
            Arg::Small(0),
            Arg::Small(0),
            Arg::InPage(OUT_AREA),
        ],
        &[Arg64::Max, Arg64::Max],
    )
}

/// One instantiated dispatcher and what the plan wrote into it.
struct Run {
    store: Store,
    instance: WasiInstance,
    memory: Memory,
    dispatch: Dispatch,
    paths: PathSlots,
    /// What [`PathTok::Abs`] stands for.
    abs: Vec<u8>,
    /// See [`Trace::largest_sandbox_growth`].
    largest_sandbox_growth: u64,
    /// The fuel the run was given.
    fuel: u64,
    /// See [`Trace::stopped`].
    stopped: Option<StopReason>,
    /// Threaded mode: the environment's interrupt handle (it fires when a
    /// thread ends the environment), and no per-call host-memory bound.
    threaded: Option<InterruptHandle>,
    /// Threaded mode: the oracle interrupted the environment itself, after
    /// a handshake waited too long (see [`Run::wait`]).
    gave_up: bool,
}

impl Run {
    /// A run of the dispatcher `instance`, with the initial path slots
    /// written; `threaded` as in [`Run::threaded`].
    fn new(
        store: Store,
        instance: WasiInstance,
        host: &HostTree,
        fuel: u64,
        threaded: Option<InterruptHandle>,
    ) -> Self {
        let exports = &instance.instance().exports;
        let memory = exports.get_memory("memory").expect("memory").clone();
        let dispatch = exports
            .get_typed_function(&store, "call")
            .expect("the dispatcher exports call");
        let paths = PathSlots::initial(&memory, &store);
        Run {
            store,
            instance,
            memory,
            dispatch,
            paths,
            abs: host.outer.as_os_str().as_bytes().to_vec(),
            largest_sandbox_growth: 0,
            fuel,
            stopped: None,
            threaded,
            gave_up: false,
        }
    }

    /// The oracle's own opens of `file` in each preopen (see
    /// [`SANDBOX_FILE_FD`]).
    fn open_files(&mut self) {
        for (dir, fd) in [(3, SANDBOX_FILE_FD), (4, HOST_FILE_FD)] {
            let open = opening_call(dir);
            let result = self.call(&open);
            assert_eq!(result, Some(0), "the oracle's own {open} failed");
            let opened = self.read_u32(u32::from(OUT_AREA));
            assert_eq!(
                opened,
                u32::from(fd),
                "the oracle's own {open} returned another fd"
            );
        }
    }

    /// Carries out a step that writes guest memory.
    fn write(&mut self, step: &Step) {
        let (memory, store) = (&self.memory, &self.store);
        match step {
            Step::Poke { at, bytes } => poke(memory, store, u32::from(*at), bytes),
            Step::Iovec { at, buf, len } => {
                let mut record = [0u8; 8];
                record[..4].copy_from_slice(&buf.value(&self.paths).to_le_bytes());
                record[4..].copy_from_slice(&len.value(&self.paths).to_le_bytes());
                poke(memory, store, u32::from(*at), &record);
            }
            Step::Path { slot, path } => {
                self.paths
                    .write(memory, store, *slot, &path.render(&self.abs));
            }
            Step::Subscription { index, sub } => {
                let at = u32::from(SUBSCRIPTION_AREA) + u32::from(*index % 16) * SUBSCRIPTION_SIZE;
                poke(memory, store, at, &sub.encode(u64::from(*index)));
            }
            Step::Call(_) | Step::Burn { .. } | Step::Storm { .. } => {}
        }
    }

    /// The little-endian u32 at `at` (inside the page).
    fn read_u32(&self, at: u32) -> u32 {
        let mut bytes = [0u8; 4];
        self.memory
            .view(&self.store)
            .read(u64::from(at), &mut bytes)
            .expect("the read lies inside the page");
        u32::from_le_bytes(bytes)
    }

    /// Makes the call `c` and checks the property on it. Returns its errno,
    /// or `None` if it ended the guest.
    fn call(&mut self, c: &Call) -> Option<i32> {
        let (args, wide) = c.values(&self.paths);
        // Threaded mode skips the per-call memory checks (the meter is
        // shared by the two threads' concurrent calls).
        let threaded = self.threaded.is_some();
        let budget_before = if threaded { 0 } else { self.sandbox_budget() };
        let before = Meter::reset_peak();
        // The guest's i32 parameters carry the u32 bit patterns.
        let outcome = self.dispatch.call(
            &mut self.store,
            c.which as i32,
            args[0] as i32,
            args[1] as i32,
            args[2] as i32,
            args[3] as i32,
            args[4] as i32,
            args[5] as i32,
            args[6] as i32,
            wide[0],
            wide[1],
        );
        if threaded {
            return self.returned(c, &args, outcome);
        }
        let (peak, after) = (Meter::peak() - before, Meter::live() - before);
        let grown = self.sandbox_budget().saturating_sub(budget_before);
        self.largest_sandbox_growth = self.largest_sandbox_growth.max(grown);
        // File data of the in-memory sandbox is host memory, bounded by the
        // sandbox's budget rather than per call: see
        // `HostFn::grows_sandbox_files`.
        let sandbox_data = if c.which.grows_sandbox_files() {
            isize::try_from(grown.saturating_mul(2)).unwrap_or(isize::MAX)
        } else {
            0
        };
        let allowed = MAX_HOST_BYTES_PER_CALL.saturating_add(sandbox_data);
        assert!(
            peak <= allowed && after <= allowed,
            "{c} made the host hold {peak} more bytes at its peak, {after} after \
             (allowed {allowed}; the sandbox budget grew by {grown})"
        );
        self.returned(c, &args, outcome)
    }

    /// Checks what the call `c` with i32 parameters `args` returned: its
    /// errno, or `None` if it ended the guest.
    fn returned(
        &mut self,
        c: &Call,
        args: &[u32; MAX_I32_PARAMS],
        outcome: Result<i32, wasmer::RuntimeError>,
    ) -> Option<i32> {
        match outcome {
            Ok(errno) => {
                assert!(
                    (0..=LAST_PREVIEW1_ERRNO).contains(&errno),
                    "{c} returned {errno}, not a preview1 errno"
                );
                assert_ne!(c.which, HostFn::ProcExit, "proc_exit returned");
                Some(errno)
            }
            Err(err) => {
                forget_wasm_stacks();
                match (c.which, err.downcast_ref::<Termination>()) {
                    (HostFn::ProcExit, Some(Termination::Exit(code))) => {
                        assert_eq!(*code, args[0], "{c} exited with another code");
                    }
                    (HostFn::ProcRaise, Some(Termination::Signal(sig))) => {
                        assert_eq!(u32::from(*sig), args[0], "{c} raised another signal");
                    }
                    // Out of fuel: a limit stopped the guest, a normal end.
                    (_, None) if self.fuel_exhausted() => {
                        self.stopped = Some(StopReason::FuelExhausted { fuel: self.fuel });
                    }
                    // Threaded mode: the worker ended the environment (an
                    // exit, a signal, its fuel), which stops this call too;
                    // `start` tells a worker's trap from those afterwards.
                    _ if self.environment_ended() => {}
                    _ => panic!("{c} trapped: {err}"),
                }
                None
            }
        }
    }

    /// The fuel left: none once it ran out.
    fn fuel_left(&mut self) -> u64 {
        self.instance
            .remaining_fuel(&mut self.store)
            .expect("the dispatcher runs with fuel")
    }

    /// Whether the guest's fuel ran out.
    fn fuel_exhausted(&mut self) -> bool {
        self.fuel_left() == 0
    }

    /// Threaded mode: whether a thread ended the environment.
    fn environment_ended(&self) -> bool {
        self.threaded.as_ref().is_some_and(|i| i.is_stopped())
    }

    /// Bytes the in-memory sandbox's budget counts now.
    fn sandbox_budget(&self) -> u64 {
        self.instance
            .state(&self.store)
            .world()
            .filesystem(SANDBOX_FS)
            .and_then(|vfs| vfs.budget())
            .map_or(0, |budget| budget.used())
    }
}

/// The threaded dispatcher's `post` export: `call`'s parameters.
type Post = TypedFunction<(i32, i32, i32, i32, i32, i32, i32, i32, i64, i64), ()>;

/// The dispatcher's `call` export.
type Dispatch = TypedFunction<(i32, i32, i32, i32, i32, i32, i32, i32, i64, i64), i32>;

/// A host directory's metadata that a guest outside it must not change.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    mode: u32,
    nlink: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(path: &Path) -> Self {
        let md = std::fs::symlink_metadata(path).expect("stat beside the host preopen");
        Stamp {
            dev: md.dev(),
            ino: md.ino(),
            mode: md.mode(),
            nlink: md.nlink(),
            size: md.size(),
            mtime: (md.mtime(), md.mtime_nsec()),
            ctime: (md.ctime(), md.ctime_nsec()),
        }
    }
}

/// Everything beside the host preopen, and the preopen's own identity.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outside {
    entries: BTreeSet<OsString>,
    outer: Stamp,
    canary: (Stamp, Vec<u8>),
    sibling: (Stamp, BTreeSet<OsString>),
    sibling_data: (Stamp, Vec<u8>),
    preopen: (u64, u64, bool),
}

fn entries(dir: &Path) -> BTreeSet<OsString> {
    std::fs::read_dir(dir)
        .expect("list beside the host preopen")
        .map(|e| e.expect("a directory entry").file_name())
        .collect()
}

impl Outside {
    /// What lies beside `preopen` in `outer` now.
    fn of(outer: &Path, preopen: &Path) -> Self {
        let read = |p: &Path| std::fs::read(p).expect("read beside the host preopen");
        let canary = outer.join("canary");
        let sibling = outer.join("sibling");
        let data = sibling.join("data");
        let preopen = std::fs::symlink_metadata(preopen).ok();
        Outside {
            entries: entries(outer),
            outer: Stamp::of(outer),
            canary: (Stamp::of(&canary), read(&canary)),
            sibling: (Stamp::of(&sibling), entries(&sibling)),
            sibling_data: (Stamp::of(&data), read(&data)),
            preopen: preopen.map_or((0, 0, false), |md| (md.dev(), md.ino(), md.is_dir())),
        }
    }
}

/// The host side of a run: `outer/` holding `canary` (a file), `sibling/`
/// (holding `data`) and `host/`, the preopen, seeded with [`SEED_TREE`].
/// In `/dev/shm` where it exists (a tmpfs: `fd_sync` costs nothing, no disk
/// is written), else in the temporary directory. About twenty syscalls.
struct HostTree {
    _dir: tempfile::TempDir,
    outer: PathBuf,
    preopen: PathBuf,
    before: Outside,
}

impl HostTree {
    fn new() -> Self {
        let builder = {
            let mut b = tempfile::Builder::new();
            b.prefix("host-calls-");
            b
        };
        let dir = builder
            .tempdir_in("/dev/shm")
            .or_else(|_| builder.tempdir())
            .expect("a temporary directory");
        let outer = dir.path().to_path_buf();
        let preopen = outer.join("host");
        let write = |path: PathBuf, data: &[u8]| std::fs::write(path, data).expect("seed a file");
        write(outer.join("canary"), SECRET);
        std::fs::create_dir(outer.join("sibling")).expect("seed the sibling");
        write(outer.join("sibling/data"), SECRET);
        std::fs::create_dir(&preopen).expect("create the preopen");
        for (name, seed) in SEED_TREE {
            let path = preopen.join(name);
            match *seed {
                Seed::File(data) => write(path, data),
                Seed::Dir => std::fs::create_dir(path).expect("seed a directory"),
                Seed::Link(target) => symlink(target, path).expect("seed a symlink"),
                Seed::OutsideLink { up, sibling } => {
                    let name = if sibling { "sibling" } else { "canary" };
                    let target = if up {
                        Path::new("..").join(name)
                    } else {
                        outer.join(name)
                    };
                    symlink(target, path).expect("seed a symlink");
                }
            }
        }
        let before = Outside::of(&outer, &preopen);
        HostTree {
            _dir: dir,
            outer,
            preopen,
            before,
        }
    }

    /// Panics if anything beside the preopen changed, or the preopen was
    /// replaced.
    fn assert_untouched(&self) {
        let now = Outside::of(&self.outer, &self.preopen);
        assert_eq!(
            now, self.before,
            "something outside the host preopen changed (left: now, right: before)"
        );
    }
}

/// The in-memory side of a run: `/outside/secret` (the canary) beside the
/// preopen `/sandbox`, which holds [`SEED_TREE`].
struct SandboxTree {
    secret: wasi_fs_setup::Filestat,
}

impl SandboxTree {
    /// Seeds the default sandbox of `world` (before the guest runs).
    fn seed(world: &World) -> Self {
        let vfs = world
            .filesystem(SANDBOX_FS)
            .expect("the default sandbox exists");
        let root = vfs
            .open_dir(Path::new("/"), Access::READ_WRITE_CREATE)
            .expect("the sandbox root opens");
        root.create_dir_at(b"outside").expect("seed outside");
        write_file(&root, b"outside/secret", SECRET);
        let secret = root
            .stat_at(b"outside/secret", false)
            .expect("stat the sandbox canary");
        for (name, seed) in SEED_TREE {
            let path = [b"sandbox/", name.as_bytes()].concat();
            match *seed {
                Seed::File(data) => write_file(&root, &path, data),
                Seed::Dir => root.create_dir_at(&path).expect("seed a directory"),
                Seed::Link(target) => root
                    .symlink_at(target.as_bytes(), &path)
                    .expect("seed a symlink"),
                Seed::OutsideLink { up: true, sibling } => {
                    let target: &[u8] = if sibling {
                        b"../outside"
                    } else {
                        b"../outside/secret"
                    };
                    root.symlink_at(target, &path).expect("seed a symlink");
                }
                // A guest cannot create an absolute symlink: plant it in
                // the filesystem itself.
                Seed::OutsideLink { up: false, sibling } => {
                    let target = if sibling {
                        "/outside"
                    } else {
                        "/outside/secret"
                    };
                    vfs.filesystem()
                        .create_symlink(
                            Path::new(target),
                            &Path::new(SANDBOX_GUEST_PATH).join(name),
                        )
                        .expect("plant an absolute symlink");
                }
            }
        }
        SandboxTree { secret }
    }

    /// Panics unless the sandbox root holds only `outside` and `sandbox`,
    /// and `outside` only the unchanged canary.
    fn assert_untouched(&self, world: &World) {
        self.assert_untouched_in(
            world
                .filesystem(SANDBOX_FS)
                .expect("the default sandbox exists"),
        );
    }

    /// [`assert_untouched`](Self::assert_untouched) on the sandbox itself.
    fn assert_untouched_in(&self, vfs: &Arc<VirtualFs>) {
        let names = |dir: &str| -> Vec<Vec<u8>> {
            let dir = vfs
                .open_dir(Path::new(dir), Access::READ_ONLY)
                .unwrap_or_else(|e| panic!("{dir} of the sandbox is gone: {e}"));
            let mut names: Vec<_> = dir
                .read_dir()
                .expect("list the sandbox")
                .into_iter()
                .map(|e| e.name)
                .collect();
            names.sort();
            names
        };
        assert_eq!(
            names("/"),
            [b"outside".to_vec(), b"sandbox".to_vec()],
            "something appeared beside the sandbox preopen"
        );
        assert_eq!(
            names("/outside"),
            [b"secret".to_vec()],
            "the sandbox's outside directory changed"
        );
        let root = vfs
            .open_dir(Path::new("/"), Access::READ_ONLY)
            .expect("the sandbox root opens");
        assert_eq!(
            root.stat_at(b"outside/secret", false).ok(),
            Some(self.secret),
            "the sandbox canary changed"
        );
        let data = match root.open_at(b"outside/secret", OpenFlags::READ) {
            Ok(Opened::File(mut f)) => {
                let mut buf = vec![0u8; SECRET.len() + 1];
                let n = f.read(&mut buf).expect("read the sandbox canary");
                buf.truncate(n);
                buf
            }
            other => panic!("the sandbox canary is not a file: {other:?}"),
        };
        assert_eq!(data, SECRET, "the sandbox canary's contents changed");
    }
}

/// Creates `path` under `dir` holding `data`.
fn write_file(dir: &dyn DirHandle, path: &[u8], data: &[u8]) {
    let flags = OpenFlags {
        write: true,
        create: true,
        ..OpenFlags::default()
    };
    match dir.open_at(path, flags) {
        Ok(Opened::File(mut f)) => {
            if !data.is_empty() {
                let n = f.write(data).expect("seed a file");
                assert_eq!(n, data.len(), "a short write while seeding");
            }
            f.flush().expect("flush a seeded file");
        }
        other => panic!("cannot seed {:?}: {other:?}", String::from_utf8_lossy(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::seed_bytes;

    /// [`trace_host_calls`].
    fn run_plan(plan: &HostCallPlan) -> Trace {
        trace_host_calls(plan)
    }

    fn plans(seeds: std::ops::Range<u64>) -> impl Iterator<Item = HostCallPlan> {
        seeds.filter_map(|seed| {
            let bytes = seed_bytes(seed, 1024);
            HostCallPlan::arbitrary(&mut Unstructured::new(&bytes)).ok()
        })
    }

    /// The plans of the `host_calls_threads` target, with its burns and
    /// storms.
    fn threaded_plans(seeds: std::ops::Range<u64>) -> impl Iterator<Item = HostCallPlan> {
        seeds.filter_map(|seed| {
            let bytes = seed_bytes(seed, 1024);
            ThreadedHostCallPlan::arbitrary(&mut Unstructured::new(&bytes))
                .ok()
                .map(|p| p.0)
        })
    }

    #[test]
    fn fixed_seeds_hold_the_property() {
        let mut calls = 0;
        let mut called = BTreeSet::new();
        let mut succeeded = BTreeSet::new();
        for plan in plans(0..300) {
            for (call, result) in run_plan(&plan).calls {
                calls += 1;
                called.insert(call.which);
                if result == Some(0) {
                    succeeded.insert(call.which);
                }
            }
        }
        assert!(calls > 1000, "the seeds made only {calls} calls");
        let missed: Vec<_> = HostFn::ALL.iter().filter(|f| !called.contains(f)).collect();
        assert!(missed.is_empty(), "the seeds never called {missed:?}");
        // Calls get past their first checks: most functions succeed at
        // least once (sock_* cannot: there are no sockets; nor can
        // path_link in the sandbox, which has no hard links).
        assert!(
            succeeded.len() >= 36,
            "only {} functions ever succeeded: {succeeded:?}",
            succeeded.len()
        );
    }

    /// A longer run for local use: `cargo test -p wasi-env-fuzz -- --ignored`.
    #[test]
    #[ignore = "slow; the fuzz target covers this ground"]
    fn many_seeds_hold_the_property() {
        for plan in plans(300..20_300) {
            check_host_calls(&plan);
        }
    }

    /// The dispatcher imports exactly the 46 preview1 functions, in
    /// `HostFn` order, and each `HostFn`'s parameter kinds match the
    /// signature's i32 and i64 parameters.
    #[test]
    fn the_dispatcher_numbers_every_preview1_function_in_spec_order() {
        use wasi_launch::PREVIEW1_FUNCTIONS;
        assert_eq!(PREVIEW1_FUNCTIONS.len(), HostFn::ALL.len());
        for (i, (&f, &(name, params, _))) in HostFn::ALL.iter().zip(PREVIEW1_FUNCTIONS).enumerate()
        {
            assert_eq!(f as usize, i, "{f:?} is out of order");
            assert_eq!(f.name(), name);
            let kinds: Vec<_> = f
                .params()
                .iter()
                .map(|p| {
                    if p.is_wide() {
                        wasmer::Type::I64
                    } else {
                        wasmer::Type::I32
                    }
                })
                .collect();
            assert_eq!(kinds, params, "{name}'s parameters");
            let narrow = kinds.iter().filter(|t| **t == wasmer::Type::I32).count();
            assert!(narrow <= MAX_I32_PARAMS && kinds.len() - narrow <= MAX_I64_PARAMS);
        }
        let imports: Vec<String> = shared().1.imports().map(|i| i.name().to_string()).collect();
        let names: Vec<&str> = HostFn::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(imports, names);
    }

    /// Issue 11: a write of many whole-page iovecs to a captured stdout
    /// asks for more than the capture holds; the host holds no more than
    /// the bound (the oracle's assertion) and the guest gets a short count.
    #[test]
    fn writes_past_the_capture_stay_within_the_host_bound() {
        // 1024 iovecs of the whole page: 64 MiB asked for in one call.
        let record: Vec<u8> = [0u32.to_le_bytes(), PAGE.to_le_bytes()].concat();
        let mut steps = vec![Step::Poke {
            at: 0,
            bytes: record.repeat(1024),
        }];
        for _ in 0..2 {
            steps.push(Step::Call(Call::new(
                HostFn::FdWrite,
                &[
                    Arg::Small(1),
                    Arg::Small(0),
                    Arg::Raw(1024),
                    Arg::InPage(9000),
                ],
                &[],
            )));
        }
        let trace = run_plan(&HostCallPlan {
            steps,
            stdin: Vec::new(),
        });
        assert_eq!(trace.errnos(HostFn::FdWrite), [Some(0), Some(51)]);
    }

    /// `path_open` of `path` (a path slot) under `fd` with every right, for
    /// reading and writing, creating it if `create`; the new fd is written
    /// at `OUT_AREA`.
    fn open(fd: u8, slot: u8, create: bool) -> Step {
        Step::Call(Call::new(
            HostFn::PathOpen,
            &[
                Arg::Small(fd),
                Arg::Small(1),
                Arg::Path(slot),
                Arg::PathLen(slot),
                Arg::Small(u8::from(create)),
                Arg::Small(0),
                Arg::InPage(OUT_AREA),
            ],
            &[Arg64::Max, Arg64::Max],
        ))
    }

    fn path(slot: u8, toks: &[PathTok]) -> Step {
        Step::Path {
            slot,
            path: PathToks(toks.to_vec()),
        }
    }

    /// Finding (issue 11 follow-up): a write to a file of the in-memory
    /// sandbox grows host memory by what it writes, up to 64 MiB in one
    /// `fd_write` of 1024 whole-page iovecs, far past
    /// `MAX_HOST_BYTES_PER_CALL`; only the sandbox's budget
    /// (`MAX_SANDBOX_BYTES`) bounds it. The oracle allows it (see
    /// `HostFn::grows_sandbox_files`); this pins that the allowance is
    /// needed and that the budget sees the growth.
    #[test]
    fn writes_to_a_sandbox_file_grow_host_memory_within_the_sandbox_budget() {
        let record: Vec<u8> = [0u32.to_le_bytes(), PAGE.to_le_bytes()].concat();
        let write = |which: HostFn| {
            Step::Call(Call::new(
                which,
                &[
                    Arg::Small(SANDBOX_FILE_FD),
                    Arg::Small(0),
                    Arg::Raw(1024),
                    Arg::InPage(OUT_AREA + 8),
                ],
                &[Arg64::Raw(1 << 26)],
            ))
        };
        let steps = vec![
            Step::Poke {
                at: 0,
                bytes: record.repeat(1024),
            },
            write(HostFn::FdWrite),
            write(HostFn::FdPwrite),
        ];
        let trace = run_plan(&HostCallPlan {
            steps,
            stdin: Vec::new(),
        });
        assert_eq!(trace.errnos(HostFn::FdWrite), [Some(0)]);
        assert_eq!(trace.errnos(HostFn::FdPwrite), [Some(0)]);
        assert!(
            trace.largest_sandbox_growth >= 64 << 20,
            "the sandbox grew by only {}",
            trace.largest_sandbox_growth
        );
    }

    /// Growing a sandbox file by size is bounded by the sandbox's budget
    /// ([`SANDBOX_LIMIT`] here): past it the call is ENOSPC (51) without
    /// allocating; below it the memory is the file's (see
    /// `HostFn::grows_sandbox_files`), 16 MiB in one call here.
    #[test]
    fn sandbox_file_sizes_stay_within_the_sandbox_budget() {
        let size = |which: HostFn, wide: &[Arg64]| {
            Step::Call(Call::new(which, &[Arg::Small(SANDBOX_FILE_FD)], wide))
        };
        let steps = vec![
            size(HostFn::FdFilestatSetSize, &[Arg64::Max]),
            size(HostFn::FdFilestatSetSize, &[Arg64::Raw(1 << 40)]),
            size(HostFn::FdAllocate, &[Arg64::Raw(1 << 40), Arg64::Raw(1)]),
            size(
                HostFn::FdFilestatSetSize,
                &[Arg64::Raw(SANDBOX_LIMIT as i64)],
            ),
            size(HostFn::FdFilestatSetSize, &[Arg64::Raw(16 << 20)]),
            size(
                HostFn::FdAllocate,
                &[Arg64::Raw(16 << 20), Arg64::Raw(1 << 20)],
            ),
            size(HostFn::FdFilestatSetSize, &[Arg64::Small(0)]),
        ];
        let trace = run_plan(&HostCallPlan {
            steps,
            stdin: Vec::new(),
        });
        assert_eq!(
            trace.errnos(HostFn::FdFilestatSetSize),
            [Some(51), Some(51), Some(51), Some(0), Some(0)]
        );
        assert_eq!(trace.errnos(HostFn::FdAllocate), [Some(51), Some(0)]);
    }

    /// A call step of `which` with i32 parameters `args` and no i64 ones
    /// but `wide`.
    fn call(which: HostFn, args: &[Arg], wide: &[Arg64]) -> Step {
        Step::Call(Call::new(which, args, wide))
    }

    /// Regression (found by this fuzzer, issue 12): a forward seek whose
    /// target fits in a u64 but not in an i64 panicked inside virtual-fs
    /// (`mem_fs::file::File::seek` adds in i64) on sandbox files; now both
    /// backings answer EINVAL (28), as an `off_t` past `i64::MAX` is.
    #[test]
    fn fd_seek_forward_past_i64_max_is_einval_on_both_backings() {
        let seek = |fd: u8, offset: Arg64, whence: u8| {
            call(
                HostFn::FdSeek,
                &[Arg::Small(fd), Arg::Small(whence), Arg::InPage(OUT_AREA)],
                &[offset],
            )
        };
        for fd in [HOST_FILE_FD, SANDBOX_FILE_FD] {
            let steps = vec![
                // From the end of the 25-byte seeded file.
                seek(fd, Arg64::Max, 2),
                // From position 1.
                seek(fd, Arg64::Small(1), 0),
                seek(fd, Arg64::Max, 1),
            ];
            let trace = trace_host_calls(&HostCallPlan {
                steps,
                stdin: Vec::new(),
            });
            assert_eq!(
                trace.errnos(HostFn::FdSeek),
                [Some(28), Some(0), Some(28)],
                "fd {fd}"
            );
        }
    }

    /// Every way out of either preopen the seeded trees offer, with every
    /// path call that changes something: each is refused, and nothing
    /// beside the preopens changes (the oracle's check).
    #[test]
    fn preopen_escapes_are_refused() {
        use PathTok::*;
        // Paths that lead out before their last component, or are absolute:
        // every call on them must fail.
        let through: &[&[PathTok]] = &[
            &[LinkSib, Slash, New],
            &[LinkSib, Slash, Secret],
            &[LinkSib, Slash, Sibling],
            &[LinkOut, Slash],
            &[DotDot, Slash, Canary],
            &[DotDot, Slash, Outside, Slash, Secret],
            &[DotDot, Slash, Sibling, Slash, New],
            &[Sub, Slash, DotDot, Slash, DotDot, Slash, Canary],
            &[Abs, Slash, Canary],
            &[Abs, Slash, New],
            &[Slash, Outside, Slash, Secret],
            &[DotDot],
            &[DotDot, Slash, New],
        ];
        // Symlinks leading out as the last component: unlinking or renaming
        // them is fine (they lie inside), following them is not.
        let followed: &[&[PathTok]] = &[&[LinkOut], &[LinkAbs], &[LinkSib]];
        let (p0, l0) = (Arg::Path(0), Arg::PathLen(0));
        let (p1, l1) = (Arg::Path(1), Arg::PathLen(1));
        let follow = Arg::Small(1);
        let rights = [Arg64::Max, Arg64::Max];
        let now = [Arg64::Small(0), Arg64::Small(0)];
        for fd in [3, 4] {
            let fd = Arg::Small(fd);
            // Open (creating, truncating) for writing, set times, link.
            let following = vec![
                call(
                    HostFn::PathOpen,
                    &[
                        fd,
                        follow,
                        p0,
                        l0,
                        Arg::Small(1 | 8),
                        Arg::Small(0),
                        Arg::InPage(OUT_AREA),
                    ],
                    &rights,
                ),
                call(
                    HostFn::PathFilestatSetTimes,
                    &[fd, follow, p0, l0, Arg::Small(2 | 8)],
                    &now,
                ),
                call(HostFn::PathLink, &[fd, follow, p0, l0, fd, p1, l1], &[]),
            ];
            let mut every = following.clone();
            every.extend([
                call(HostFn::PathUnlinkFile, &[fd, p0, l0], &[]),
                call(HostFn::PathRemoveDirectory, &[fd, p0, l0], &[]),
                call(HostFn::PathCreateDirectory, &[fd, p0, l0], &[]),
                call(HostFn::PathRename, &[fd, p0, l0, fd, p1, l1], &[]),
                call(HostFn::PathRename, &[fd, p1, l1, fd, p0, l0], &[]),
                call(
                    HostFn::PathLink,
                    &[fd, Arg::Small(0), p1, l1, fd, p0, l0],
                    &[],
                ),
                call(HostFn::PathSymlink, &[p1, l1, fd, p0, l0], &[]),
            ]);
            for (paths, calls) in [(through, &every), (followed, &following)] {
                for toks in paths {
                    // Slot 1 names an existing file, so only the path in
                    // slot 0 can make a call fail.
                    let mut steps = vec![path(0, toks), path(1, &[File])];
                    steps.extend(calls.iter().cloned());
                    let trace = run_plan(&HostCallPlan {
                        steps,
                        stdin: Vec::new(),
                    });
                    let shown = PathToks(toks.to_vec())
                        .render(b"/abs")
                        .escape_ascii()
                        .to_string();
                    assert_eq!(trace.calls.len(), calls.len());
                    for (call, result) in &trace.calls {
                        assert_ne!(*result, Some(0), "{call} with {shown:?} succeeded");
                    }
                }
            }
        }
    }

    /// The seeded trees are there, the same in both preopens: files open and
    /// read, the directory lists, the links read back as seeded.
    #[test]
    fn both_preopens_hold_the_seeded_tree() {
        use PathTok::*;
        for fd in [3u8, 4] {
            let read_slot = |slot: u8| {
                Step::Call(Call::new(
                    HostFn::PathReadlink,
                    &[
                        Arg::Small(fd),
                        Arg::Path(slot),
                        Arg::PathLen(slot),
                        Arg::InPage(DATA_AREA),
                        Arg::Small(255),
                        Arg::InPage(OUT_AREA + 8),
                    ],
                    &[],
                ))
            };
            let steps = vec![
                path(0, &[Sub, Slash, DotDot, Slash, File]),
                open(fd, 0, false),
                Step::Iovec {
                    at: 0,
                    buf: Arg::InPage(DATA_AREA),
                    len: Arg::Small(64),
                },
                Step::Call(Call::new(
                    HostFn::FdRead,
                    &[
                        Arg::Small(FIRST_FREE_FD),
                        Arg::Small(0),
                        Arg::Small(1),
                        Arg::InPage(OUT_AREA + 8),
                    ],
                    &[],
                )),
                path(1, &[Sub, Slash, Inner]),
                Step::Call(Call::new(
                    HostFn::PathFilestatGet,
                    &[
                        Arg::Small(fd),
                        Arg::Small(0),
                        Arg::Path(1),
                        Arg::PathLen(1),
                        Arg::InPage(OUT_AREA + 64),
                    ],
                    &[],
                )),
                path(2, &[LinkIn]),
                read_slot(2),
                path(2, &[LinkOut]),
                read_slot(2),
                path(2, &[LinkAbs]),
                read_slot(2),
                Step::Call(Call::new(
                    HostFn::FdReaddir,
                    &[
                        Arg::Small(fd),
                        Arg::InPage(DATA_AREA),
                        Arg::InPage(4096),
                        Arg::InPage(OUT_AREA + 8),
                    ],
                    &[Arg64::Small(0)],
                )),
            ];
            let trace = run_plan(&HostCallPlan {
                steps,
                stdin: Vec::new(),
            });
            assert_eq!(trace.errnos(HostFn::PathOpen), [Some(0)], "fd {fd}");
            assert_eq!(trace.errnos(HostFn::FdRead), [Some(0)], "fd {fd}");
            assert_eq!(trace.errnos(HostFn::PathFilestatGet), [Some(0)], "fd {fd}");
            assert_eq!(
                trace.errnos(HostFn::PathReadlink),
                [Some(0), Some(0), Some(0)],
                "fd {fd}"
            );
            assert_eq!(trace.errnos(HostFn::FdReaddir), [Some(0)], "fd {fd}");
        }
    }

    /// A clock subscription of an hour (relative or absolute) or of the
    /// longest time there is moves the fixed clock instead of waiting: the
    /// run stays fast and the call succeeds.
    #[test]
    fn long_poll_timeouts_do_not_stall_a_run() {
        let hour = Arg64::Raw(3_600_000_000_000);
        let deadline = Arg64::Raw((CLOCK_START + 3_600_000_000_000) as i64);
        let poll = |count: u8| {
            Step::Call(Call::new(
                HostFn::PollOneoff,
                &[
                    Arg::InPage(SUBSCRIPTION_AREA),
                    Arg::InPage(DATA_AREA),
                    Arg::Small(count),
                    Arg::InPage(OUT_AREA),
                ],
                &[],
            ))
        };
        let clock = |timeout, absolute| Subscription::Clock {
            clock: 1,
            timeout,
            absolute,
        };
        let steps = vec![
            Step::Subscription {
                index: 0,
                sub: clock(hour, false),
            },
            poll(1),
            Step::Subscription {
                index: 0,
                sub: clock(deadline, true),
            },
            poll(1),
            Step::Subscription {
                index: 1,
                sub: clock(Arg64::Max, false),
            },
            poll(2),
        ];
        let started = std::time::Instant::now();
        let trace = run_plan(&HostCallPlan {
            steps,
            stdin: Vec::new(),
        });
        assert_eq!(trace.errnos(HostFn::PollOneoff), [Some(0); 3]);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    /// [`FUEL`] is plenty: a plan of [`MAX_STEPS`] calls of any function
    /// that does not end the guest runs to its end on it, using what the
    /// constant's docs say (metering is on: the run uses some).
    #[test]
    fn the_fuel_suffices_for_the_longest_plans() {
        for which in HostFn::ALL {
            if which.ends_the_guest() {
                continue;
            }
            let steps = (0..MAX_STEPS)
                .map(|k| Step::Call(typical_call(which, 5, k as u8 % 2, Arg64::Small(2))))
                .collect();
            let trace = run_plan(&HostCallPlan {
                steps,
                stdin: b"input".to_vec(),
            });
            assert_eq!(trace.stopped, None, "{which:?}");
            assert_eq!(trace.calls.len(), MAX_STEPS, "{which:?}");
            assert!(
                (1..3_000).contains(&trace.fuel_used),
                "{which:?} used {} units",
                trace.fuel_used
            );
        }
    }

    /// A run that runs out of fuel in the middle of a plan is a normal
    /// outcome: the call it ran out in ends the guest, the calls before it
    /// returned their errnos, and the oracle still finishes the instance and
    /// checks the outside (in `trace_with_fuel`, which would panic).
    #[test]
    fn a_run_out_of_fuel_ends_normally_and_is_still_checked() {
        let yields = |n: usize| HostCallPlan {
            steps: vec![Step::Call(Call::new(HostFn::SchedYield, &[], &[])); n],
            stdin: Vec::new(),
        };
        // What the oracle's two opens cost, and what one call costs.
        let opens = run_plan(&yields(0)).fuel_used;
        let ten = run_plan(&yields(10));
        assert_eq!(ten.stopped, None);
        let per_call = (ten.fuel_used - opens) / 10;
        assert!(per_call > 0);
        // Fuel for four calls and half of a fifth.
        let fuel = opens + 4 * per_call + per_call / 2;
        let trace = trace_with_fuel(&yields(10), fuel);
        assert_eq!(trace.stopped, Some(StopReason::FuelExhausted { fuel }));
        assert_eq!(trace.fuel_used, fuel);
        assert_eq!(
            trace.errnos(HostFn::SchedYield),
            [Some(0), Some(0), Some(0), Some(0), None]
        );
        // Fuzzed plans stopped by their fuel in their last call (no call
        // costs less than `sched_yield`) hold the property as well.
        let mut stopped = 0;
        for plan in plans(0..40) {
            let full = run_plan(&plan);
            if full.calls.is_empty() {
                continue;
            }
            let fuel = full.fuel_used - per_call;
            let trace = trace_with_fuel(&plan, fuel);
            assert_eq!(trace.stopped, Some(StopReason::FuelExhausted { fuel }));
            assert_eq!(trace.calls.len(), full.calls.len());
            assert_eq!(trace.calls.last().map(|(_, r)| *r), Some(None));
            stopped += 1;
        }
        assert!(stopped >= 20, "only {stopped} plans made calls");
    }

    /// Threaded mode: a fixed plan of pairs of calls (opens creating
    /// files, writes to the same and to different files, reads, listings,
    /// directories) runs on both threads at once; every call of each
    /// thread gets its errno, the meaningful ones succeed, and the
    /// environment ends normally.
    #[test]
    fn a_fixed_threaded_plan_runs_on_both_threads() {
        use PathTok::*;
        let write = |fd: u8| {
            call(
                HostFn::FdWrite,
                &[
                    Arg::Small(fd),
                    Arg::Small(0),
                    Arg::Small(1),
                    Arg::InPage(OUT_AREA + 16),
                ],
                &[],
            )
        };
        let read = |fd: u8| {
            call(
                HostFn::FdRead,
                &[
                    Arg::Small(fd),
                    Arg::Small(8),
                    Arg::Small(1),
                    Arg::InPage(OUT_AREA + 24),
                ],
                &[],
            )
        };
        let typical = |which: HostFn, fd: u8, slot: u8| {
            Step::Call(typical_call(which, fd, slot, Arg64::Small(2)))
        };
        let mkdir = |fd: u8| {
            call(
                HostFn::PathCreateDirectory,
                &[Arg::Small(fd), Arg::Path(3), Arg::PathLen(3)],
                &[],
            )
        };
        let steps = vec![
            Step::Iovec {
                at: 0,
                buf: Arg::InPage(DATA_AREA),
                len: Arg::Small(16),
            },
            Step::Iovec {
                at: 8,
                buf: Arg::InPage(DATA_AREA + 512),
                len: Arg::Small(16),
            },
            path(3, &[Sub, Slash, New]),
            // Pairs: the first call runs on the worker, the second on the
            // main instance.
            open(3, 2, true),
            open(4, 2, true),
            write(SANDBOX_FILE_FD),
            write(HOST_FILE_FD),
            write(HOST_FILE_FD),
            write(HOST_FILE_FD),
            write(SANDBOX_FILE_FD),
            write(SANDBOX_FILE_FD),
            read(SANDBOX_FILE_FD),
            read(HOST_FILE_FD),
            mkdir(3),
            mkdir(4),
            typical(HostFn::PathFilestatGet, 3, 0),
            typical(HostFn::PathFilestatGet, 4, 0),
            typical(HostFn::FdReaddir, 4, 0),
            typical(HostFn::FdReaddir, 3, 0),
            typical(HostFn::FdPwrite, SANDBOX_FILE_FD, 0),
            typical(HostFn::FdPread, HOST_FILE_FD, 0),
            typical(HostFn::ClockTimeGet, 1, 0),
            typical(HostFn::RandomGet, 0, 0),
            typical(HostFn::FdFilestatGet, HOST_FILE_FD, 0),
            typical(HostFn::FdFdstatGet, SANDBOX_FILE_FD, 0),
            typical(HostFn::PathUnlinkFile, 4, 2),
            typical(HostFn::PathUnlinkFile, 3, 2),
            typical(HostFn::SchedYield, 0, 0),
            typical(HostFn::EnvironSizesGet, 0, 0),
        ];
        let trace = trace_host_calls_threaded(&HostCallPlan {
            steps,
            stdin: b"input".to_vec(),
        });
        assert_eq!(trace.status, Some(ExitStatus::Exited(0)));
        assert_eq!(trace.stopped, None);
        assert_eq!(trace.calls.len(), 13);
        assert_eq!(trace.worker_calls.len(), 13);
        for (c, result) in trace.calls.iter().chain(&trace.worker_calls) {
            let errno = result.unwrap_or_else(|| panic!("{c} got no result"));
            if c.which != HostFn::FdRead && c.which != HostFn::FdPread {
                assert_eq!(errno, 0, "{c}");
            }
        }
        let main: Vec<_> = trace.calls.iter().map(|(c, _)| c.which).collect();
        let worker: Vec<_> = trace.worker_calls.iter().map(|(c, _)| c.which).collect();
        for which in [
            HostFn::PathOpen,
            HostFn::FdWrite,
            HostFn::PathCreateDirectory,
            HostFn::PathUnlinkFile,
        ] {
            assert!(
                main.contains(&which) && worker.contains(&which),
                "{which:?}"
            );
        }
    }

    /// Threaded mode: `proc_exit` on the worker ends the environment with
    /// its code, a normal end.
    #[test]
    fn proc_exit_on_the_worker_ends_the_environment() {
        let steps = vec![
            call(HostFn::ProcExit, &[Arg::Small(7)], &[]),
            call(HostFn::SchedYield, &[], &[]),
            call(HostFn::SchedYield, &[], &[]),
            call(HostFn::SchedYield, &[], &[]),
        ];
        let trace = trace_host_calls_threaded(&HostCallPlan {
            steps,
            stdin: Vec::new(),
        });
        assert_eq!(trace.status, Some(ExitStatus::Exited(7)));
        assert_eq!(trace.worker_calls.len(), 1);
        assert_eq!(trace.worker_calls[0].1, None);
    }

    /// Threaded mode: burns on both threads at once draw on the one fuel
    /// budget of the environment. Short burns complete and leave the run's
    /// end normal; a plan of long ones runs out of fuel after what the
    /// budget pays for (both threads together), and the environment ends
    /// `Stopped(FuelExhausted)`.
    #[test]
    fn burns_on_both_threads_share_one_fuel_budget() {
        let short = trace_host_calls_threaded(&HostCallPlan {
            steps: vec![Step::Burn { iterations: 1000 }; 3],
            stdin: Vec::new(),
        });
        assert_eq!(short.status, Some(ExitStatus::Exited(0)));
        assert_eq!(short.burned, 6000);

        let long = trace_host_calls_threaded(&HostCallPlan {
            steps: vec![
                Step::Burn {
                    iterations: u16::MAX
                };
                MAX_STEPS
            ],
            stdin: Vec::new(),
        });
        let fuel_out = StopReason::FuelExhausted { fuel: FUEL };
        assert!(
            long.status == Some(ExitStatus::Stopped(fuel_out)) || long.stopped == Some(fuel_out),
            "{long:?}"
        );
        // Seven units an iteration: the budget pays for about 143k
        // iterations in all, not per thread.
        assert!(long.burned * 7 <= FUEL, "{} iterations", long.burned);
        assert!(long.burned >= 2 * u64::from(u16::MAX), "{}", long.burned);
    }

    /// Threaded mode: storms of 64 threads that return at once, again and
    /// again between calls, leave the worker and the main instance
    /// working and the run's end normal (threads that ended are reaped,
    /// a spawn that cannot be had is EAGAIN); storms whose threads burn
    /// run the environment out of its one budget instead of giving each
    /// thread its own.
    #[test]
    fn spawn_storms_leave_the_run_working_and_share_the_fuel() {
        let yields = Step::Call(Call::new(HostFn::SchedYield, &[], &[]));
        let mut steps = Vec::new();
        for _ in 0..8 {
            steps.push(Step::Storm {
                threads: 64,
                iterations: 0,
            });
            steps.push(yields.clone());
            steps.push(yields.clone());
        }
        let storms = trace_host_calls_threaded(&HostCallPlan {
            steps,
            stdin: Vec::new(),
        });
        assert_eq!(storms.status, Some(ExitStatus::Exited(0)));
        assert_eq!(storms.worker_calls.len(), 8);
        assert!(storms.worker_calls.iter().all(|(_, r)| *r == Some(0)));
        assert!(storms.calls.iter().all(|(_, r)| *r == Some(0)));

        // Six threads of 30,000 iterations cost about 1.26 million units
        // a storm: more than FUEL for all of them together, though each
        // alone would fit in a budget of its own.
        let burning = Step::Storm {
            threads: 6,
            iterations: 30_000,
        };
        let trace = trace_host_calls_threaded(&HostCallPlan {
            steps: vec![burning; 4],
            stdin: Vec::new(),
        });
        let fuel_out = StopReason::FuelExhausted { fuel: FUEL };
        assert!(
            trace.status == Some(ExitStatus::Stopped(fuel_out)) || trace.stopped == Some(fuel_out),
            "{trace:?}"
        );
    }

    /// Threaded mode on fuzzed seeds: the property holds, and both threads
    /// make calls.
    #[test]
    fn fixed_seeds_hold_the_property_threaded() {
        let (mut main, mut worker) = (0, 0);
        for plan in threaded_plans(0..60) {
            let trace = trace_host_calls_threaded(&plan);
            main += trace.calls.len();
            worker += trace.worker_calls.len();
        }
        assert!(main > 100, "the main instance made only {main} calls");
        assert!(worker > 200, "the worker made only {worker} calls");
    }

    /// A longer threaded run for local use:
    /// `cargo test -p wasi-env-fuzz -- --ignored threaded`.
    #[test]
    #[ignore = "slow; the fuzz target covers this ground"]
    fn many_seeds_hold_the_property_threaded() {
        for plan in threaded_plans(300..5_300) {
            check_host_calls_threaded(&plan);
        }
    }

    /// The oracle's outside check sees a change beside the host preopen.
    #[test]
    #[should_panic(expected = "outside the host preopen changed")]
    fn the_outside_check_sees_a_changed_canary() {
        let host = HostTree::new();
        std::fs::write(host.outer.join("canary"), b"changed").expect("write");
        host.assert_untouched();
    }

    /// The oracle's outside check sees a new entry beside the host preopen.
    #[test]
    #[should_panic(expected = "outside the host preopen changed")]
    fn the_outside_check_sees_a_new_entry() {
        let host = HostTree::new();
        std::fs::write(host.outer.join("new"), b"").expect("write");
        host.assert_untouched();
    }

    /// A call whose parameters take the kinds' meaningful values: `fd`,
    /// path slots `slot` and `slot + 1`, the first iovec, result pointers in
    /// the out area, the first four subscriptions, and `wide` for every i64.
    fn typical_call(which: HostFn, fd: u8, slot: u8, wide: Arg64) -> Call {
        let mut args = Vec::new();
        let mut paths = 0;
        for (k, param) in which.params().iter().enumerate() {
            let k = k as u16;
            args.push(match param {
                Param::Fd | Param::DirFd => Arg::Small(fd),
                Param::Buf => Arg::InPage(DATA_AREA),
                Param::Len => Arg::Small(200),
                Param::Out => Arg::InPage(OUT_AREA + 8 * k),
                Param::Iovs => Arg::InPage(IOVEC_AREA),
                Param::IovsLen => Arg::Small(1),
                Param::Path => {
                    paths += 1;
                    Arg::Path(slot + paths - 1)
                }
                Param::PathLen => Arg::PathLen(slot + paths - 1),
                Param::Lookup | Param::Flags => Arg::Small(1),
                Param::Code => Arg::Small(fd),
                Param::Subscriptions => Arg::InPage(SUBSCRIPTION_AREA),
                Param::SubscriptionCount => Arg::Small(4),
                Param::Size | Param::Rights => continue,
            });
        }
        Call::new(which, &args, &[wide, wide])
    }

    /// Every function with the arguments most likely to break it, and with
    /// meaningful ones on every fd and path slot; a few plans per function
    /// so that proc_exit does not end the others.
    #[test]
    fn every_function_at_the_edges() {
        use PathTok::*;
        let edges = [
            Arg::Small(0),
            Arg::Small(1),
            Arg::Small(3),
            Arg::Small(4),
            Arg::BeforeEnd(1),
            Arg::BeforeEnd(8),
            Arg::AfterEnd(0),
            Arg::Top(0),
            Arg::Top(3),
            Arg::Raw(0x8000_0000),
            Arg::Path(1),
            Arg::PathLen(1),
        ];
        let wides = [Arg64::Small(0), Arg64::Min, Arg64::Max, Arg64::Small(-1)];
        let prologue = vec![
            // Iovecs at 0: one good, one straddling, one wrapping.
            Step::Iovec {
                at: 0,
                buf: Arg::InPage(DATA_AREA),
                len: Arg::Small(16),
            },
            Step::Iovec {
                at: 8,
                buf: Arg::BeforeEnd(4),
                len: Arg::Small(16),
            },
            Step::Iovec {
                at: 16,
                buf: Arg::Top(1),
                len: Arg::Raw(u32::MAX),
            },
            Step::Subscription {
                index: 0,
                sub: Subscription::FdRead(0),
            },
            Step::Subscription {
                index: 1,
                sub: Subscription::FdWrite(5),
            },
            Step::Subscription {
                index: 2,
                sub: Subscription::Clock {
                    clock: 1,
                    timeout: Arg64::Max,
                    absolute: false,
                },
            },
            Step::Subscription {
                index: 3,
                sub: Subscription::Clock {
                    clock: 9,
                    timeout: Arg64::Small(1),
                    absolute: true,
                },
            },
            path(1, &[Sub, Slash, DotDot, Slash, File]),
            path(2, &[DotDot]),
            path(3, &[Abs, Slash, Canary]),
        ];
        let room = MAX_STEPS - prologue.len();
        for which in HostFn::ALL {
            let mut calls = Vec::new();
            for (i, &a) in edges.iter().enumerate() {
                for (j, &b) in edges.iter().enumerate() {
                    let rest: Vec<Arg> = (2..MAX_I32_PARAMS)
                        .map(|k| edges[(i * (k + 5) + j * k) % edges.len()])
                        .collect();
                    let args: Vec<Arg> = [a, b].into_iter().chain(rest).collect();
                    let wide = [wides[(i + j) % 4], wides[(i + 2 * j + 1) % 4]];
                    calls.push(Call::new(which, &args, &wide));
                }
            }
            for fd in 0..=6 {
                for slot in 0..PATH_SLOTS as u8 {
                    for wide in [Arg64::Max, Arg64::Small(2)] {
                        calls.push(typical_call(which, fd, slot, wide));
                    }
                }
            }
            // Plans are cut at MAX_STEPS: run them in pieces.
            for chunk in calls.chunks(room) {
                let mut steps = prologue.clone();
                steps.extend(chunk.iter().copied().map(Step::Call));
                check_host_calls(&HostCallPlan {
                    stdin: b"some input".to_vec(),
                    steps,
                });
            }
        }
    }
}
