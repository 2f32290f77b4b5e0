//! Pieces the fd, path and poll host functions share: rights checks, guest
//! path and timestamp decoding, and the iovec transfers behind `fd_read`,
//! `fd_pread`, `fd_write` and `fd_pwrite`. Struct layouts and flag masks are
//! in `abi.rs`, the rights sets in `wasi_fs_setup::Rights`.

use wasi_fs_setup::{FdEntry, FdFlags, FdObject, FileHandle, FsError, Rights, TimeSpec};
use wasi_fs_setup::{PATH_MAX, PIPE_BUF, StdioFd};
use wasmer::FunctionEnvMut;

use super::abi::{
    FST_ATIM, FST_ATIM_NOW, FST_MTIM, FST_MTIM_NOW, LOOKUP_SYMLINK_FOLLOW, MAX_FILE_OFFSET,
};
use super::poll::{StoppedInHostCall, stop_if_interrupted, wait_host_writable};
use super::{GuestPtr, host_call};
use crate::errno::{Errno, SysResult};
use crate::guest_memory::{GuestMemory, IoVec, iovecs_total_len};
use crate::state::{ThreadEnv, WasiEnv};

/// Fails with ENOTCAPABLE unless the fd's base rights hold `needed`.
pub(crate) fn require(entry: &FdEntry, needed: Rights) -> SysResult<()> {
    entry.require(needed).map_err(Errno::from)
}

/// Fails unless the fd is a file: `on_dir` for a directory, ESPIPE for a
/// stream (a stream cannot seek and has no offsets, whatever its rights).
pub(crate) fn require_file(entry: &FdEntry, on_dir: Errno) -> SysResult<()> {
    match entry.object() {
        FdObject::Dir(_) => Err(on_dir),
        FdObject::Stdio(_) => Err(Errno::SPIPE),
        FdObject::File(_) => Ok(()),
    }
}

/// Whether `lookupflags` asks to follow a final symlink. Unknown bits are
/// EINVAL.
pub(crate) fn follow_flag(flags: u32) -> SysResult<bool> {
    if flags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        return Err(Errno::INVAL);
    }
    Ok(flags & LOOKUP_SYMLINK_FOLLOW != 0)
}

/// Copies a guest path out of memory.
///
/// The range is checked first (EFAULT); a path of [`PATH_MAX`] bytes or more
/// is ENAMETOOLONG before anything is allocated, so the copy is bounded. The
/// bytes are kept as they are: resolution decides what they mean.
pub(crate) fn read_path(mem: &GuestMemory<'_>, ptr: GuestPtr, len: u32) -> SysResult<Vec<u8>> {
    mem.check_range(ptr, u64::from(len))?;
    let cap = u32::try_from(PATH_MAX - 1).unwrap_or(u32::MAX);
    if len > cap {
        return Err(Errno::NAMETOOLONG);
    }
    Ok(mem.read_vec(ptr, len, cap)?)
}

/// Decodes the `(atim, mtim, fst_flags)` of the `*_set_times` calls.
///
/// Setting a time both to a value and to "now" is EINVAL, and so are bits
/// `fstflags` does not define; both are checked before anything changes.
pub(crate) fn time_specs(atim: u64, mtim: u64, flags: u16) -> SysResult<(TimeSpec, TimeSpec)> {
    if flags & !(FST_ATIM | FST_ATIM_NOW | FST_MTIM | FST_MTIM_NOW) != 0 {
        return Err(Errno::INVAL);
    }
    let spec = |value: u64, set: u16, now: u16| match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(Errno::INVAL),
        (true, false) => Ok(TimeSpec::Set(value)),
        (false, true) => Ok(TimeSpec::Now),
        (false, false) => Ok(TimeSpec::Omit),
    };
    Ok((
        spec(atim, FST_ATIM, FST_ATIM_NOW)?,
        spec(mtim, FST_MTIM, FST_MTIM_NOW)?,
    ))
}

/// Which way an iovec transfer moves bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Io {
    /// From the file into the guest's iovecs (`fd_read`, `fd_pread`).
    Read,
    /// From the guest's iovecs into the file (`fd_write`, `fd_pwrite`).
    Write,
}

/// Runs one of `fd_read`, `fd_pread`, `fd_write` and `fd_pwrite`: moves the
/// bytes of the iovecs at `iovs` (see [`transfer_iovecs`]) and stores the
/// count at `out`.
///
/// `out` is checked before anything moves, so a bad pointer moves nothing.
pub(crate) fn iovec_call(
    env: &mut FunctionEnvMut<'_, ThreadEnv>,
    name: &'static str,
    io: Io,
    fd: u32,
    iovs: (GuestPtr, u32),
    offset: Option<u64>,
    out: GuestPtr,
) -> i32 {
    host_call(env, name, |state, mem| {
        mem.check_range(out, 4)?;
        let n = transfer_iovecs(state, mem, io, fd, iovs, offset)?;
        Ok(mem.write_u32(out, n)?)
    })
}

/// `fd_write` to the host's own stdout or stderr (`which`) when a write
/// there may block (a pipe, socket or terminal whose reader may never
/// read; see `StdioStream::host_write_may_block`): the checks are those
/// of any `fd_write`, then the bytes go out at most [`PIPE_BUF`] at a
/// time, each after waiting for the host fd to be writable without the
/// environment's lock (other threads go on with their calls) and in a way
/// the interrupt handle cuts short. A stop while waiting ends the guest;
/// what was written before stays written.
pub(crate) fn write_host_output(
    env: &mut FunctionEnvMut<'_, ThreadEnv>,
    which: StdioFd,
    fd: u32,
    (iovs, iovs_len): (GuestPtr, u32),
    out: GuestPtr,
) -> Result<i32, StoppedInHostCall> {
    let mut checked = None;
    let refused = host_call(env, "fd_write", |state, mem| {
        mem.check_range(out, 4)?;
        let iovs = guest_iovecs(mem, iovs, iovs_len)?;
        io_entry(state, fd, Rights::FD_WRITE, None)?;
        checked = Some(iovs);
        Ok(())
    });
    let Some(iovs) = checked else {
        return Ok(refused);
    };
    let shared = std::sync::Arc::clone(&env.data().shared);
    let mut total: u32 = 0;
    'iovs: for iov in iovs {
        let mut done: u32 = 0;
        while done < iov.len {
            if !wait_host_writable(which, &shared.interrupt) {
                stop_if_interrupted(env)?;
            }
            // At most PIPE_BUF (4096), so it fits in u32.
            let len = (iov.len - done).min(PIPE_BUF as u32);
            let mut written = 0;
            let errno = host_call(env, "fd_write", |state, mem| {
                let mut chunk = [0u8; PIPE_BUF];
                let chunk = &mut chunk[..len as usize];
                mem.read(iov.buf + done, chunk)?;
                let entry = io_entry(state, fd, Rights::FD_WRITE, None)?;
                let file = entry.file_mut().map_err(|_| Errno::BADF)?;
                written = u32::try_from(file.write(chunk).map_err(Errno::from)?).unwrap_or(len);
                Ok(())
            });
            if errno != Errno::SUCCESS.to_wasm() {
                if total == 0 {
                    return Ok(errno);
                }
                break 'iovs;
            }
            // Cannot overflow: the iovecs add up to at most u32::MAX.
            done += written;
            total += written;
            if written < len {
                break 'iovs;
            }
        }
    }
    Ok(host_call(env, "fd_write", |_state, mem| {
        Ok(mem.write_u32(out, total)?)
    }))
}

/// Reads from `fd` into the iovecs at `iovs`, or writes them to it, then
/// (for a write) honours the `sync` and `dsync` fd flags.
///
/// Without `offset` the transfer starts at the fd's position and moves it
/// (a write in append mode goes to the end); with one it starts there and
/// leaves the position alone. The checks are those of [`guest_iovecs`] and
/// [`io_entry`], in that order. The transfer stops after the first iovec
/// that moves less than its length (end of file, a short write); an error
/// after some bytes moved is a short count (see [`partial`]), and such a
/// write is not synced.
fn transfer_iovecs(
    state: &mut WasiEnv,
    mem: &GuestMemory<'_>,
    io: Io,
    fd: u32,
    (iovs, iovs_len): (GuestPtr, u32),
    offset: Option<u64>,
) -> SysResult<u32> {
    let iovs = guest_iovecs(mem, iovs, iovs_len)?;
    let needed = match io {
        Io::Read => Rights::FD_READ,
        Io::Write => Rights::FD_WRITE,
    };
    let entry = io_entry(state, fd, needed, offset)?;
    let flags = entry.flags;
    // A directory has no file: EBADF, as for an fd not open for reading or
    // writing (with an offset, `io_entry` has already refused it).
    let file = entry.file_mut().map_err(|_| Errno::BADF)?;
    let mut pos = offset;
    let moved = each_iovec(&iovs, |iov| match io {
        Io::Read => mem.fill_chunks(iov.buf, iov.len, |chunk| {
            advancing(&mut pos, |at| match at {
                None => file.read(chunk),
                Some(at) => file.pread(chunk, at),
            })
        }),
        Io::Write => mem.read_chunks(iov.buf, iov.len, |chunk| {
            advancing(&mut pos, |at| match at {
                None => file.write(chunk),
                Some(at) => file.pwrite(chunk, at),
            })
        }),
    });
    let total = match moved {
        Ok(total) => total,
        Err(stopped) => return partial(stopped),
    };
    if io == Io::Write {
        sync_after_write(file, flags).map_err(Errno::from)?;
    }
    Ok(total)
}

/// Honours the `sync` and `dsync` fd flags after a write.
fn sync_after_write(file: &mut dyn FileHandle, flags: FdFlags) -> Result<(), FsError> {
    if flags.contains(FdFlags::SYNC) {
        file.sync(false)
    } else if flags.contains(FdFlags::DSYNC) {
        file.sync(true)
    } else {
        Ok(())
    }
}

/// The iovec array at `ptr` (EFAULT or EINVAL as
/// [`GuestMemory::read_iovecs`] reports). Lengths adding up to more than
/// `u32::MAX` are EINVAL: the count returned to the guest is a u32.
fn guest_iovecs(mem: &GuestMemory<'_>, ptr: GuestPtr, count: u32) -> SysResult<Vec<IoVec>> {
    let iovs = mem.read_iovecs(ptr, count)?;
    if iovecs_total_len(&iovs) > u64::from(u32::MAX) {
        return Err(Errno::INVAL);
    }
    Ok(iovs)
}

/// The fd's entry for a read or write that needs `needed`.
///
/// The fd is looked up first (EBADF) and must hold `needed` (EBADF without
/// it, like a descriptor not opened for that direction, as POSIX and
/// wasmtime report it). With an `offset` (positional I/O), the offset must
/// be at most [`MAX_FILE_OFFSET`] (EINVAL, checked before the lookup), the fd
/// must be a file (EISDIR for a directory, ESPIPE for a stream) and it must
/// also hold `fd_seek` (ENOTCAPABLE).
fn io_entry(
    state: &mut WasiEnv,
    fd: u32,
    needed: Rights,
    offset: Option<u64>,
) -> SysResult<&mut FdEntry> {
    let positional = offset.is_some();
    if offset.is_some_and(|at| at > MAX_FILE_OFFSET) {
        return Err(Errno::INVAL);
    }
    let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
    if positional {
        require_file(entry, Errno::ISDIR)?;
    }
    entry.require(needed).map_err(|_| Errno::BADF)?;
    if positional {
        require(entry, Rights::FD_SEEK)?;
    }
    Ok(entry)
}

/// Moves the bytes of each iovec in turn with `one` (a
/// [`GuestMemory::read_chunks`] or [`GuestMemory::fill_chunks`] over it),
/// stopping after the first that moves less than its length. Returns the
/// total moved, or the first error with the total moved before it.
fn each_iovec(
    iovs: &[IoVec],
    mut one: impl FnMut(IoVec) -> SysResult<u32>,
) -> Result<u32, (u32, Errno)> {
    let mut total: u32 = 0;
    for &iov in iovs {
        let n = one(iov).map_err(|err| (total, err))?;
        // Cannot overflow: the total of every iovec fits in u32
        // (`guest_iovecs`).
        total += n;
        if n < iov.len {
            break;
        }
    }
    Ok(total)
}

/// A transfer stopped by an error: a success with a short count if some
/// bytes were moved, the error only when nothing was.
fn partial((done, err): (u32, Errno)) -> SysResult<u32> {
    if done > 0 { Ok(done) } else { Err(err) }
}

/// Runs one transfer `op` at `*pos` (`None`: at the fd's position) and
/// moves a positional `*pos` past the bytes it moved.
fn advancing(
    pos: &mut Option<u64>,
    op: impl FnOnce(Option<u64>) -> Result<usize, FsError>,
) -> SysResult<usize> {
    let n = op(*pos).map_err(Errno::from)?;
    if let Some(at) = pos {
        // Cannot overflow: the offset starts at most at i64::MAX and moves by
        // at most 4 GiB.
        *at += n as u64;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fstflags_are_checked() {
        assert_eq!(time_specs(1, 2, 0), Ok((TimeSpec::Omit, TimeSpec::Omit)));
        assert_eq!(
            time_specs(1, 2, FST_ATIM | FST_MTIM_NOW),
            Ok((TimeSpec::Set(1), TimeSpec::Now))
        );
        assert_eq!(time_specs(1, 2, FST_ATIM | FST_ATIM_NOW), Err(Errno::INVAL));
        assert_eq!(time_specs(1, 2, FST_MTIM | FST_MTIM_NOW), Err(Errno::INVAL));
        assert_eq!(time_specs(1, 2, 1 << 4), Err(Errno::INVAL));
    }

    #[test]
    fn lookup_flags() {
        assert_eq!(follow_flag(0), Ok(false));
        assert_eq!(follow_flag(1), Ok(true));
        assert_eq!(follow_flag(2), Err(Errno::INVAL));
    }
}
