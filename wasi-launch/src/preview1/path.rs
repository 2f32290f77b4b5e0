//! The `path_*` functions.
//!
//! Each takes a directory fd and a guest path relative to it. The fd is
//! looked up first (EBADF), must be a directory (ENOTDIR), and must hold the
//! right the operation needs (ENOTCAPABLE); the path is then handed, as the
//! guest's bytes, to the directory's backing, which resolves it inside the
//! directory (see `wasi_fs_setup::resolve`): an absolute path, `..` above
//! the directory or a symlink leading out is ENOTCAPABLE, and nothing
//! outside the directory is touched.
//!
//! Every guest pointer an operation writes to is checked before the
//! operation runs, so a bad pointer never leaves a change behind.

use wasi_fs_setup::{
    DirHandle, FdEntry, FdFlags, FdObject, FdRights, FsError, FsErrorKind, OpenFlags, Opened,
    Rights,
};
use wasmer::FunctionEnvMut;

use super::abi::{
    FDFLAGS_ALL, FILESTAT_SIZE, O_CREAT, O_DIRECTORY, O_EXCL, O_TRUNC, OFLAGS_ALL, encode_filestat,
};
use super::common::{follow_flag, read_path, require, time_specs};
use super::{GuestPtr, host_call};
use crate::errno::{Errno, SysResult};
use crate::guest_memory::GuestMemory;
use crate::state::{ThreadEnv, WasiEnv};

/// The directory entry of `fd`: EBADF if it is not open, ENOTDIR if it is
/// not a directory, ENOTCAPABLE without `needed`.
fn dir_entry(state: &WasiEnv, fd: u32, needed: Rights) -> SysResult<&FdEntry> {
    let entry = state.world.fds().get(fd).map_err(Errno::from)?;
    entry.dir().map_err(Errno::from)?;
    require(entry, needed)?;
    Ok(entry)
}

/// Runs `op` on the directory of `fd` and the guest path at `path`, after
/// the checks of [`dir_entry`] (the fd is checked before the path is read,
/// as in wasmtime).
fn with_dir<T>(
    state: &WasiEnv,
    mem: &GuestMemory<'_>,
    fd: u32,
    needed: Rights,
    (path, path_len): (GuestPtr, u32),
    op: impl FnOnce(&dyn DirHandle, &[u8]) -> Result<T, FsError>,
) -> SysResult<T> {
    let entry = dir_entry(state, fd, needed)?;
    let path = read_path(mem, path, path_len)?;
    let dir = entry.dir().map_err(Errno::from)?;
    op(dir, &path).map_err(Errno::from)
}

/// Runs a host call that only applies `op` to the directory of `fd` and
/// the guest path at `path`, after the checks of [`with_dir`].
fn dir_path_call(
    env: &mut FunctionEnvMut<'_, ThreadEnv>,
    name: &'static str,
    fd: u32,
    needed: Rights,
    path: (GuestPtr, u32),
    op: impl FnOnce(&dyn DirHandle, &[u8]) -> Result<(), FsError>,
) -> i32 {
    host_call(env, name, |state, mem| {
        with_dir(state, mem, fd, needed, path, op)
    })
}

/// Runs `op` on two directory fds and a guest path relative to each
/// (`path_link`, `path_rename`): both fds are checked as in [`dir_entry`],
/// the old one first, before either path is read.
fn with_two_dirs<T>(
    state: &WasiEnv,
    mem: &GuestMemory<'_>,
    (old_fd, old_needed, old_path): (u32, Rights, (GuestPtr, u32)),
    (new_fd, new_needed, new_path): (u32, Rights, (GuestPtr, u32)),
    op: impl FnOnce(&dyn DirHandle, &[u8], &dyn DirHandle, &[u8]) -> Result<T, FsError>,
) -> SysResult<T> {
    let old = dir_entry(state, old_fd, old_needed)?;
    let new = dir_entry(state, new_fd, new_needed)?;
    let old_path = read_path(mem, old_path.0, old_path.1)?;
    let new_path = read_path(mem, new_path.0, new_path.1)?;
    let (old, new) = (
        old.dir().map_err(Errno::from)?,
        new.dir().map_err(Errno::from)?,
    );
    op(old, &old_path, new, &new_path).map_err(Errno::from)
}

pub(super) fn path_create_directory(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    path: GuestPtr,
    path_len: u32,
) -> i32 {
    dir_path_call(
        &mut env,
        "path_create_directory",
        fd,
        Rights::PATH_CREATE_DIRECTORY,
        (path, path_len),
        |d, p| d.create_dir_at(p),
    )
}

pub(super) fn path_remove_directory(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    path: GuestPtr,
    path_len: u32,
) -> i32 {
    dir_path_call(
        &mut env,
        "path_remove_directory",
        fd,
        Rights::PATH_REMOVE_DIRECTORY,
        (path, path_len),
        |d, p| d.remove_dir_at(p),
    )
}

pub(super) fn path_unlink_file(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    path: GuestPtr,
    path_len: u32,
) -> i32 {
    dir_path_call(
        &mut env,
        "path_unlink_file",
        fd,
        Rights::PATH_UNLINK_FILE,
        (path, path_len),
        |d, p| d.unlink_at(p),
    )
}

pub(super) fn path_filestat_get(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    flags: u32,
    path: GuestPtr,
    path_len: u32,
    out: GuestPtr,
) -> i32 {
    host_call(&mut env, "path_filestat_get", |state, mem| {
        mem.check_range(out, u64::from(FILESTAT_SIZE))?;
        let follow = follow_flag(flags)?;
        let st = with_dir(
            state,
            mem,
            fd,
            Rights::PATH_FILESTAT_GET,
            (path, path_len),
            |d, p| d.stat_at(p, follow),
        )?;
        Ok(mem.write(out, &encode_filestat(&st))?)
    })
}

#[allow(clippy::too_many_arguments, reason = "the preview1 signature")]
pub(super) fn path_filestat_set_times(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    flags: u32,
    path: GuestPtr,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> i32 {
    host_call(&mut env, "path_filestat_set_times", |state, mem| {
        let follow = follow_flag(flags)?;
        let fst = u16::try_from(fst_flags).map_err(|_| Errno::INVAL)?;
        let (atime, mtime) = time_specs(atim, mtim, fst)?;
        with_dir(
            state,
            mem,
            fd,
            Rights::PATH_FILESTAT_SET_TIMES,
            (path, path_len),
            |d, p| d.set_times_at(p, follow, atime, mtime),
        )
    })
}

#[allow(clippy::too_many_arguments, reason = "the preview1 signature")]
pub(super) fn path_link(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    old_fd: u32,
    old_flags: u32,
    old_path: GuestPtr,
    old_len: u32,
    new_fd: u32,
    new_path: GuestPtr,
    new_len: u32,
) -> i32 {
    host_call(&mut env, "path_link", |state, mem| {
        let follow = follow_flag(old_flags)?;
        with_two_dirs(
            state,
            mem,
            (old_fd, Rights::PATH_LINK_SOURCE, (old_path, old_len)),
            (new_fd, Rights::PATH_LINK_TARGET, (new_path, new_len)),
            |old, old_path, new, new_path| old.link_at(old_path, follow, new, new_path),
        )
    })
}

pub(super) fn path_rename(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    old_fd: u32,
    old_path: GuestPtr,
    old_len: u32,
    new_fd: u32,
    new_path: GuestPtr,
    new_len: u32,
) -> i32 {
    host_call(&mut env, "path_rename", |state, mem| {
        with_two_dirs(
            state,
            mem,
            (old_fd, Rights::PATH_RENAME_SOURCE, (old_path, old_len)),
            (new_fd, Rights::PATH_RENAME_TARGET, (new_path, new_len)),
            |old, old_path, new, new_path| old.rename_at(old_path, new, new_path),
        )
    })
}

pub(super) fn path_symlink(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    target: GuestPtr,
    target_len: u32,
    fd: u32,
    link: GuestPtr,
    link_len: u32,
) -> i32 {
    host_call(&mut env, "path_symlink", |state, mem| {
        let entry = dir_entry(state, fd, Rights::PATH_SYMLINK)?;
        let target = read_path(mem, target, target_len)?;
        let link = read_path(mem, link, link_len)?;
        let dir = entry.dir().map_err(Errno::from)?;
        dir.symlink_at(&target, &link).map_err(Errno::from)
    })
}

pub(super) fn path_readlink(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    path: GuestPtr,
    path_len: u32,
    buf: GuestPtr,
    buf_len: u32,
    used: GuestPtr,
) -> i32 {
    host_call(&mut env, "path_readlink", |state, mem| {
        mem.check_range(buf, u64::from(buf_len))?;
        mem.check_range(used, 4)?;
        let target = with_dir(
            state,
            mem,
            fd,
            Rights::PATH_READLINK,
            (path, path_len),
            |d, p| d.readlink_at(p),
        )?;
        // A target longer than the buffer is cut to fit, as readlink(2) does.
        let n = target
            .len()
            .min(usize::try_from(buf_len).unwrap_or(usize::MAX));
        mem.write(buf, &target[..n])?;
        // n <= buf_len.
        Ok(mem.write_u32(used, u32::try_from(n).unwrap_or(buf_len))?)
    })
}

/// What `path_open` asks for, decoded and checked before anything opens.
struct OpenRequest {
    flags: OpenFlags,
    rights: FdRights,
    fdflags: FdFlags,
    needed: Rights,
}

impl OpenRequest {
    fn decode(
        parent: FdRights,
        follow: bool,
        oflags: u32,
        base: u64,
        inheriting: u64,
        fdflags: u32,
    ) -> SysResult<Self> {
        if oflags & !OFLAGS_ALL != 0 || fdflags & !FDFLAGS_ALL != 0 {
            return Err(Errno::INVAL);
        }
        // Rights are narrowed to what the directory may pass on; asking for
        // more is not an error (wasi-libc asks for every right it might use).
        let rights = FdRights::derive(
            parent,
            Rights::from_bits_truncate(base),
            Rights::from_bits_truncate(inheriting),
        );
        // Cannot truncate: checked against FDFLAGS_ALL above.
        let fdflags = FdFlags::from_bits_truncate(fdflags as u16);
        let create = oflags & O_CREAT != 0;
        let truncate = oflags & O_TRUNC != 0;
        let mut needed = Rights::PATH_OPEN;
        if create {
            needed |= Rights::PATH_CREATE_FILE;
        }
        if truncate {
            needed |= Rights::PATH_FILESTAT_SET_SIZE;
        }
        let flags = OpenFlags {
            read: rights.base.intersects(Rights::OPEN_FOR_READING),
            write: rights.base.intersects(Rights::OPEN_FOR_WRITING),
            append: fdflags.contains(FdFlags::APPEND),
            create,
            exclusive: oflags & O_EXCL != 0,
            truncate,
            directory: oflags & O_DIRECTORY != 0,
            nofollow: !follow,
        };
        Ok(OpenRequest {
            flags,
            rights,
            fdflags,
            needed,
        })
    }
}

#[allow(clippy::too_many_arguments, reason = "the preview1 signature")]
pub(super) fn path_open(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    dirflags: u32,
    path: GuestPtr,
    path_len: u32,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
    opened_fd: GuestPtr,
) -> i32 {
    host_call(&mut env, "path_open", |state, mem| {
        mem.check_range(opened_fd, 4)?;
        let follow = follow_flag(dirflags)?;
        let fds = state.world.fds_mut();
        let parent = fds.get(fd).map_err(Errno::from)?;
        let dir = parent.dir().map_err(Errno::from)?;
        let path = read_path(mem, path, path_len)?;
        // Decided before anything is created: O_CREAT with a full table
        // leaves no file behind.
        if fds.len() >= fds.max() {
            return Err(Errno::MFILE);
        }
        let req = OpenRequest::decode(parent.rights, follow, oflags, base, inheriting, fdflags)?;
        require(parent, req.needed)?;
        let opened = match dir.open_at(&path, req.flags) {
            // Only `fd_write` makes a directory open for writing (EISDIR), as
            // in wasmtime; `fd_allocate` and `fd_filestat_set_size` are file
            // rights a directory simply does not keep.
            Err(e)
                if e.kind() == FsErrorKind::IsDir
                    && req.flags.write
                    && !req.rights.base.contains(Rights::FD_WRITE) =>
            {
                let flags = OpenFlags {
                    write: false,
                    ..req.flags
                };
                dir.open_at(&path, flags)
            }
            other => other,
        };
        let (object, base) = match opened.map_err(Errno::from)? {
            Opened::Dir(d) => (FdObject::Dir(d), req.rights.base & Rights::DIRECTORY),
            Opened::File(f) => (FdObject::File(f), req.rights.base & Rights::REGULAR_FILE),
        };
        let rights = FdRights {
            base,
            inheriting: req.rights.inheriting,
        };
        let new_fd = fds
            .insert(FdEntry::new(object, rights, req.fdflags))
            .map_err(Errno::from)?;
        state.p1.readdir.forget(new_fd);
        Ok(mem.write_u32(opened_fd, new_fd)?)
    })
}
