//! Pieces the fd, path and poll host functions share: the rights that apply
//! to a directory or a file, guest path and timestamp decoding, and the
//! byte encodings of `filestat` and `dirent`.

use wasi_fs_setup::resolve::PATH_MAX;
use wasi_fs_setup::{FdEntry, FileType, Filestat, Rights, TimeSpec};

use super::GuestPtr;
use crate::errno::{Errno, SysResult};
use crate::fs_errno::fs_errno;
use crate::guest_memory::GuestMemory;

/// The rights that mean something on a directory fd. A directory opened
/// with more keeps only these as its base rights (wasmtime's `fdstat` of a
/// directory never shows `fd_seek`, `fd_read` or `fd_write`).
pub(crate) const DIR_RIGHTS: Rights = Rights::PATH_CREATE_DIRECTORY
    .union(Rights::PATH_CREATE_FILE)
    .union(Rights::PATH_LINK_SOURCE)
    .union(Rights::PATH_LINK_TARGET)
    .union(Rights::PATH_OPEN)
    .union(Rights::FD_READDIR)
    .union(Rights::PATH_READLINK)
    .union(Rights::PATH_RENAME_SOURCE)
    .union(Rights::PATH_RENAME_TARGET)
    .union(Rights::PATH_FILESTAT_GET)
    .union(Rights::PATH_FILESTAT_SET_SIZE)
    .union(Rights::PATH_FILESTAT_SET_TIMES)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::FD_FILESTAT_SET_TIMES)
    .union(Rights::PATH_SYMLINK)
    .union(Rights::PATH_REMOVE_DIRECTORY)
    .union(Rights::PATH_UNLINK_FILE)
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::FD_SYNC)
    .union(Rights::FD_DATASYNC)
    .union(Rights::POLL_FD_READWRITE);

/// The rights that mean something on a regular file (or another
/// non-directory) fd.
pub(crate) const FILE_RIGHTS: Rights = Rights::FD_DATASYNC
    .union(Rights::FD_READ)
    .union(Rights::FD_SEEK)
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::FD_SYNC)
    .union(Rights::FD_TELL)
    .union(Rights::FD_WRITE)
    .union(Rights::FD_ADVISE)
    .union(Rights::FD_ALLOCATE)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::FD_FILESTAT_SET_SIZE)
    .union(Rights::FD_FILESTAT_SET_TIMES)
    .union(Rights::POLL_FD_READWRITE);

/// Rights whose presence in `path_open`'s base rights opens a file for
/// writing. `fd_datasync` alone does not: directories carry it too, and
/// wasi-libc always asks for it together with `fd_write`.
pub(crate) const WRITE_RIGHTS: Rights = Rights::FD_WRITE
    .union(Rights::FD_ALLOCATE)
    .union(Rights::FD_FILESTAT_SET_SIZE);

/// Rights whose presence opens a file for reading.
pub(crate) const READ_RIGHTS: Rights = Rights::FD_READ.union(Rights::FD_READDIR);

/// Size of a preview1 `filestat`.
pub(crate) const FILESTAT_SIZE: u32 = 64;

/// Size of a preview1 `dirent` header (the name follows it).
pub(crate) const DIRENT_SIZE: usize = 24;

/// `lookupflags::symlink_follow`.
pub(crate) const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `fstflags` bits.
const FST_ATIM: u16 = 1 << 0;
const FST_ATIM_NOW: u16 = 1 << 1;
const FST_MTIM: u16 = 1 << 2;
const FST_MTIM_NOW: u16 = 1 << 3;

/// Fails with ENOTCAPABLE unless the fd's base rights hold `needed`.
pub(crate) fn require(entry: &FdEntry, needed: Rights) -> SysResult<()> {
    entry.require(needed).map_err(fs_errno)
}

/// Whether `lookupflags` asks to follow a final symlink. Unknown bits are
/// EINVAL.
pub(crate) fn follow_flag(flags: u32) -> SysResult<bool> {
    if flags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
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
        return Err(Errno::Nametoolong);
    }
    Ok(mem.read_vec(ptr, len, cap)?)
}

/// Decodes the `(atim, mtim, fst_flags)` of the `*_set_times` calls.
///
/// Setting a time both to a value and to "now" is EINVAL, and so are bits
/// `fstflags` does not define; both are checked before anything changes.
pub(crate) fn time_specs(atim: u64, mtim: u64, flags: u16) -> SysResult<(TimeSpec, TimeSpec)> {
    if flags & !(FST_ATIM | FST_ATIM_NOW | FST_MTIM | FST_MTIM_NOW) != 0 {
        return Err(Errno::Inval);
    }
    let spec = |value: u64, set: u16, now: u16| match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(Errno::Inval),
        (true, false) => Ok(TimeSpec::Set(value)),
        (false, true) => Ok(TimeSpec::Now),
        (false, false) => Ok(TimeSpec::Omit),
    };
    Ok((
        spec(atim, FST_ATIM, FST_ATIM_NOW)?,
        spec(mtim, FST_MTIM, FST_MTIM_NOW)?,
    ))
}

/// The preview1 `filestat` bytes of `st`.
pub(crate) fn encode_filestat(st: &Filestat) -> [u8; FILESTAT_SIZE as usize] {
    let mut buf = [0u8; FILESTAT_SIZE as usize];
    buf[0..8].copy_from_slice(&st.dev.to_le_bytes());
    buf[8..16].copy_from_slice(&st.ino.to_le_bytes());
    buf[16] = st.filetype as u8;
    buf[24..32].copy_from_slice(&st.nlink.to_le_bytes());
    buf[32..40].copy_from_slice(&st.size.to_le_bytes());
    buf[40..48].copy_from_slice(&st.atim.to_le_bytes());
    buf[48..56].copy_from_slice(&st.mtim.to_le_bytes());
    buf[56..64].copy_from_slice(&st.ctim.to_le_bytes());
    buf
}

/// Appends the preview1 `dirent` header of an entry to `out` (the name is
/// appended by the caller). Padding bytes are zero.
pub(crate) fn encode_dirent(
    out: &mut Vec<u8>,
    next: u64,
    ino: u64,
    namlen: u32,
    filetype: FileType,
) {
    let mut header = [0u8; DIRENT_SIZE];
    header[0..8].copy_from_slice(&next.to_le_bytes());
    header[8..16].copy_from_slice(&ino.to_le_bytes());
    header[16..20].copy_from_slice(&namlen.to_le_bytes());
    header[20] = filetype as u8;
    out.extend_from_slice(&header);
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
        assert_eq!(time_specs(1, 2, FST_ATIM | FST_ATIM_NOW), Err(Errno::Inval));
        assert_eq!(time_specs(1, 2, FST_MTIM | FST_MTIM_NOW), Err(Errno::Inval));
        assert_eq!(time_specs(1, 2, 1 << 4), Err(Errno::Inval));
    }

    #[test]
    fn filestat_layout() {
        let st = Filestat {
            dev: 1,
            ino: 2,
            filetype: FileType::RegularFile,
            nlink: 3,
            size: 4,
            atim: 5,
            mtim: 6,
            ctim: 7,
        };
        let b = encode_filestat(&st);
        assert_eq!(b[8], 2);
        assert_eq!(b[16], 4);
        assert_eq!(&b[17..24], &[0; 7]);
        assert_eq!(b[56], 7);
    }

    #[test]
    fn dirent_layout_puts_namlen_before_type() {
        let mut out = Vec::new();
        encode_dirent(&mut out, 9, 8, 3, FileType::Directory);
        assert_eq!(out.len(), DIRENT_SIZE);
        assert_eq!(out[0], 9);
        assert_eq!(out[8], 8);
        assert_eq!(out[16], 3);
        assert_eq!(out[20], 3);
        assert_eq!(&out[21..], &[0; 3]);
    }

    #[test]
    fn lookup_flags() {
        assert_eq!(follow_flag(0), Ok(false));
        assert_eq!(follow_flag(1), Ok(true));
        assert_eq!(follow_flag(2), Err(Errno::Inval));
    }

    #[test]
    fn right_sets_do_not_overlap_where_they_must_not() {
        assert!(!DIR_RIGHTS.intersects(Rights::FD_SEEK | Rights::FD_READ | Rights::FD_WRITE));
        assert!(!FILE_RIGHTS.intersects(Rights::PATH_OPEN | Rights::FD_READDIR));
        assert!(!DIR_RIGHTS.intersects(Rights::FD_FILESTAT_SET_SIZE));
    }
}
