//! The host backing: a host directory served through `cap-std`.
//!
//! Each preopen is a `cap_std::fs::Dir` opened once with ambient authority at
//! setup; every later operation is relative to a directory handle and confined
//! by cap-std: on Linux `openat2` with `RESOLVE_BENEATH` (the kernel refuses
//! `..` above the start, absolute paths and symlinks leading out, whenever they
//! were created), elsewhere cap-std's careful component-by-component walk.
//! Errors keep the real OS errno; stats report the host's dev, ino, nlink and
//! nanosecond times; symlinks and hard links can be created.
//!
//! Operations that act on a final name without following it (create, remove,
//! rename, link, symlink, readlink, no-follow stat) split the path with
//! [`crate::resolve`](mod@crate::resolve)'s rules, let cap-std open the parent directory, then act
//! on the single remaining name, so trailing slashes, `.` and `..` mean the same
//! here as in the virtual backing: where the kernel's answer for a trailing
//! slash differs, the resolver's [`NameOp`] rule decides.
//!
//! What this backing does not do: follow anything with the host's ambient
//! path resolution. There is no `std::fs` call on a joined host path here.

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
};
use cap_std::fs::{Dir, FileTypeExt, MetadataExt, OpenOptions, OpenOptionsExt};

use super::common::{filetype_from, open_for, second_dir};
use super::{
    Access, DirEntry, DirHandle, FileHandle, FileType, Filestat, OpenFlags, Opened, TimeSpec,
    host_time_ns,
};
use crate::error::{FsError, FsErrorKind};
use crate::resolve::{
    FinalRule, Last, NameOp, Resolved, Stack, Walk, Walker, resolve_with, split_last, validate_path,
};

fn p(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

fn cap_stat(md: &cap_std::fs::Metadata) -> Filestat {
    Filestat {
        dev: md.dev(),
        ino: md.ino(),
        filetype: FileType::from_mode(md.mode()),
        nlink: md.nlink(),
        size: md.size(),
        atim: host_time_ns(md.atime(), md.atime_nsec()),
        mtim: host_time_ns(md.mtime(), md.mtime_nsec()),
        ctim: host_time_ns(md.ctime(), md.ctime_nsec()),
    }
}

fn std_stat(md: &fs::Metadata) -> Filestat {
    use std::os::unix::fs::MetadataExt as M;
    Filestat {
        dev: M::dev(md),
        ino: M::ino(md),
        filetype: FileType::from_mode(M::mode(md)),
        nlink: M::nlink(md),
        size: M::size(md),
        atim: host_time_ns(M::atime(md), M::atime_nsec(md)),
        mtim: host_time_ns(M::mtime(md), M::mtime_nsec(md)),
        ctim: host_time_ns(M::ctime(md), M::ctime_nsec(md)),
    }
}

/// One-name, no-follow lookups on host directory handles.
pub(crate) struct HostWalk;

impl Walk for HostWalk {
    type Dir = Dir;
    type Meta = FileType;

    fn kind(&self, dir: &Dir, name: &[u8]) -> Result<Option<FileType>, FsError> {
        // A single normal component: cap-std does one fstatat(AT_SYMLINK_NOFOLLOW).
        match dir.symlink_metadata(p(name)) {
            Ok(md) => Ok(Some(FileType::from_mode(md.mode()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn readlink(&self, dir: &Dir, name: &[u8]) -> Result<Vec<u8>, FsError> {
        Ok(dir.read_link_contents(p(name))?.into_os_string().into_vec())
    }

    fn descend(&self, dir: &Dir, name: &[u8], _meta: FileType) -> Result<Dir, FsError> {
        Ok(dir.open_dir_nofollow(p(name))?)
    }

    fn try_descend(&self, dir: &Dir, name: &[u8]) -> Result<Option<Dir>, FsError> {
        // One syscall for the common case; anything but a plain directory is
        // classified by `kind` afterwards.
        use rustix::io::Errno;
        match dir.open_dir_nofollow(p(name)) {
            Ok(d) => Ok(Some(d)),
            Err(e) => match e.raw_os_error().map(Errno::from_raw_os_error) {
                Some(Errno::NOTDIR | Errno::LOOP | Errno::NOENT) => Ok(None),
                _ => Err(e.into()),
            },
        }
    }
}

/// A parent directory: the handle itself, or one cap-std opened below it.
enum DirRef<'a> {
    Borrowed(&'a Dir),
    Owned(Dir),
}

impl std::ops::Deref for DirRef<'_> {
    type Target = Dir;
    fn deref(&self) -> &Dir {
        match self {
            DirRef::Borrowed(d) => d,
            DirRef::Owned(d) => d,
        }
    }
}

/// A host directory handle.
pub struct HostDir {
    dir: Dir,
    access: Access,
    label: Arc<str>,
}

impl fmt::Debug for HostDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostDir({}, {:?})", self.label, self.access)
    }
}

impl HostDir {
    /// Opens the host directory `path` with ambient authority: the one place
    /// this backing uses a host path. Fails with the host's error (`NotFound`,
    /// `ENOTDIR`, ...), which the world turns into a [`SetupError`](crate::SetupError).
    pub fn open(path: &Path, access: Access) -> std::io::Result<Self> {
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())?;
        Ok(HostDir {
            dir,
            access,
            label: Arc::from(path.display().to_string()),
        })
    }

    /// Wraps an already open cap-std directory.
    pub fn from_cap_dir(dir: Dir, access: Access) -> Self {
        HostDir {
            dir,
            access,
            label: Arc::from("<dir>"),
        }
    }

    fn child(&self, dir: Dir) -> HostDir {
        HostDir {
            dir,
            access: self.access,
            label: Arc::clone(&self.label),
        }
    }

    /// Validates `path`, opens its parent through cap-std, and returns the last component.
    fn parent(&self, path: &[u8]) -> Result<(DirRef<'_>, Last), FsError> {
        validate_path(path)?;
        let (dirname, last) = split_last(path);
        let dir = if dirname.is_empty() {
            DirRef::Borrowed(&self.dir)
        } else {
            DirRef::Owned(self.dir.open_dir(p(dirname))?)
        };
        Ok((dir, last))
    }

    /// For an operation that may not follow a final symlink (`follow` unset):
    /// the parent directory and the final name, when the name is acted on
    /// itself. `None` when cap-std is to resolve the whole path: `follow` is
    /// set, the path ends in `.` or `..`, or a trailing slash asks to follow.
    fn unfollowed_name(
        &self,
        path: &[u8],
        follow: bool,
    ) -> Result<Option<(DirRef<'_>, Vec<u8>)>, FsError> {
        if follow {
            return Ok(None);
        }
        let (dir, last) = self.parent(path)?;
        Ok(match last {
            Last::Name {
                name,
                dir_required: false,
            } => Some((dir, name)),
            _ => None,
        })
    }

    /// `O_CREAT` without write access: creates `path` only if nothing is
    /// there (`O_CREAT|O_EXCL`; `EEXIST` means "already there, go on"), so an
    /// existing object is never opened for writing. That open would need a
    /// write permission `open(O_RDONLY|O_CREAT)` does not, and would block on a
    /// FIFO. With `flags.exclusive`, an existing name is the error `Exists`.
    ///
    /// Unless `flags.nofollow`, a final symlink whose target is missing gets
    /// its target created, as `open(O_CREAT)` does; the target is found with
    /// this crate's confined walk and created there, again only if absent.
    /// Returns whether this call created the file.
    fn create_absent(&self, path: &[u8], flags: OpenFlags) -> Result<bool, FsError> {
        let mut o = OpenOptions::new();
        o.write(true).create_new(true).nonblock(true);
        match self.dir.open_with(p(path), &o) {
            Ok(_) => return Ok(true),
            Err(e) if flags.exclusive || e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(e.into());
            }
            Err(_) => {}
        }
        if flags.nofollow {
            return Ok(false);
        }
        let mut st = Stack::new(&self.dir);
        let (last, found) =
            Walker::new(&HostWalk).locate(&mut st, path, FinalRule::Follow(true))?;
        match (last, found.filetype()) {
            (Last::Name { name, dir_required }, None) => {
                // O_CREAT with a trailing slash is EISDIR.
                FinalRule::Open(flags).check_name(dir_required)?;
                match st.top().open_with(p(&name), &o) {
                    Ok(_) => Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                    Err(e) => Err(e.into()),
                }
            }
            _ => Ok(false),
        }
    }
}

/// The resolver's answer for `op` on `name` in `dir` when the path ended in
/// `/` (one no-follow lookup), where the kernel's answer differs from it;
/// without a trailing slash the kernel's answer stands.
fn check_trailing_slash(
    op: NameOp,
    dir: &Dir,
    name: &[u8],
    dir_required: bool,
) -> Result<(), FsError> {
    if dir_required {
        op.check(HostWalk.kind(dir, name)?, true)?;
    }
    Ok(())
}

/// Clears `O_NONBLOCK`, which every open here sets, so the guest's descriptor
/// blocks like any other (preview1 `path_open` asks no non-blocking host fd).
fn clear_nonblock(file: &fs::File) -> Result<(), FsError> {
    set_status_flag(file, rustix::fs::OFlags::NONBLOCK, false)
}

/// Turns the file status flag `flag` (`O_NONBLOCK`, `O_APPEND`) on or off,
/// leaving the others; no system call to set when it is already so.
fn set_status_flag(file: &fs::File, flag: rustix::fs::OFlags, on: bool) -> Result<(), FsError> {
    let mut fl = rustix::fs::fcntl_getfl(file).map_err(std::io::Error::from)?;
    if fl.contains(flag) != on {
        fl.set(flag, on);
        rustix::fs::fcntl_setfl(file, fl).map_err(std::io::Error::from)?;
    }
    Ok(())
}

fn spec(t: TimeSpec) -> Option<cap_fs_ext::SystemTimeSpec> {
    match t {
        TimeSpec::Omit => None,
        TimeSpec::Now => Some(cap_fs_ext::SystemTimeSpec::SymbolicNow),
        TimeSpec::Set(ns) => Some(cap_fs_ext::SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(UNIX_EPOCH + Duration::from_nanos(ns)),
        )),
    }
}

impl DirHandle for HostDir {
    fn access(&self) -> Access {
        self.access
    }

    fn stat(&self) -> Result<Filestat, FsError> {
        Ok(cap_stat(&self.dir.dir_metadata()?))
    }

    fn open_at(&self, path: &[u8], flags: OpenFlags) -> Result<Opened, FsError> {
        flags.check(self.access)?;
        validate_path(path)?;
        let follow = if flags.nofollow {
            FollowSymlinks::No
        } else {
            FollowSymlinks::Yes
        };
        let exclusive = flags.create && flags.exclusive;
        let writes = flags.write || flags.append;
        let dir_flag = if flags.directory {
            rustix::fs::OFlags::DIRECTORY.bits() as i32
        } else {
            0
        };
        // cap-std (like std) refuses O_CREAT without write access and O_TRUNC
        // with O_APPEND or without write; POSIX and preview1 allow both. Those
        // steps come first, then the open as asked.
        let create_first = flags.create && !writes;
        let truncate_first = flags.truncate && (!flags.write || flags.append);
        let created = create_first && self.create_absent(path, flags)?;
        if truncate_first && !created {
            // O_TRUNC itself needs write permission, so this open for writing
            // checks what the kernel would check.
            let mut o = OpenOptions::new();
            o.write(true)
                .create(flags.create && !create_first)
                .create_new(exclusive && !create_first)
                .truncate(true)
                .follow(follow)
                .nonblock(true)
                .custom_flags(dir_flag);
            match self.dir.open_with(p(path), &o) {
                Ok(f) => drop(f),
                // A FIFO without a reader (or a socket, or a device with
                // nothing behind it): not a regular file, so O_TRUNC leaves it
                // alone and the open as asked decides.
                Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut o = OpenOptions::new();
        o.read(flags.read || !writes)
            .write(flags.write)
            .append(flags.append)
            .follow(follow)
            .maybe_dir(true)
            // A FIFO (or a device) must not hold the guest in path_open waiting
            // for its other end: open without blocking, and give the guest a
            // blocking descriptor below.
            .nonblock(true)
            .custom_flags(dir_flag);
        if !(create_first || truncate_first) {
            o.create(flags.create)
                .create_new(exclusive)
                .truncate(flags.truncate);
        }
        let file = self.dir.open_with(p(path), &o)?;
        if file.metadata()?.is_dir() {
            if flags.create {
                // O_CREAT on an existing directory is EISDIR (Linux; the virtual
                // backing agrees), also when no create step opened it.
                return Err(FsErrorKind::IsDir.into());
            }
            return Ok(Opened::Dir(Box::new(
                self.child(Dir::from_std_file(file.into_std())),
            )));
        }
        let file = file.into_std();
        clear_nonblock(&file)?;
        Ok(Opened::File(Box::new(HostFile {
            file,
            readable: flags.read,
            writable: writes,
        })))
    }

    fn stat_at(&self, path: &[u8], follow: bool) -> Result<Filestat, FsError> {
        if let Some((dir, name)) = self.unfollowed_name(path, follow)? {
            return Ok(cap_stat(&dir.symlink_metadata(p(&name))?));
        }
        validate_path(path)?;
        Ok(cap_stat(&self.dir.metadata(p(path))?))
    }

    fn read_dir(&self) -> Result<Vec<DirEntry>, FsError> {
        use rustix::fs::DirEntryExt;
        Access::need(self.access.read)?;
        let mut out = Vec::new();
        for entry in self.dir.entries()? {
            let entry = entry?;
            let name = entry.file_name().into_vec();
            if name == b"." || name == b".." {
                continue;
            }
            out.push(DirEntry {
                name,
                filetype: filetype_from!(entry.file_type()?),
                ino: entry.ino(),
            });
        }
        Ok(out)
    }

    fn create_dir_at(&self, path: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.create)?;
        let (dir, last) = self.parent(path)?;
        let (name, _) = NameOp::CreateDir.name(last)?;
        Ok(dir.create_dir(p(&name))?)
    }

    fn remove_dir_at(&self, path: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        let (dir, last) = self.parent(path)?;
        let (name, _) = NameOp::RemoveDir.name(last)?;
        Ok(dir.remove_dir(p(&name))?)
    }

    fn unlink_at(&self, path: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        let (dir, last) = self.parent(path)?;
        let (name, dir_required) = NameOp::Unlink.name(last)?;
        check_trailing_slash(NameOp::Unlink, &dir, &name, dir_required)?;
        Ok(dir.remove_file(p(&name))?)
    }

    fn rename_at(&self, old: &[u8], new_dir: &dyn DirHandle, new: &[u8]) -> Result<(), FsError> {
        let other: &HostDir = second_dir(self.access, new_dir)?;
        let (odir, olast) = self.parent(old)?;
        let (ndir, nlast) = other.parent(new)?;
        let (oname, odr) = NameOp::Rename.name(olast)?;
        let (nname, ndr) = NameOp::Rename.name(nlast)?;
        check_trailing_slash(NameOp::Rename, &odir, &oname, odr || ndr)?;
        Ok(odir.rename(p(&oname), &ndir, p(&nname))?)
    }

    fn link_at(
        &self,
        old: &[u8],
        follow: bool,
        new_dir: &dyn DirHandle,
        new: &[u8],
    ) -> Result<(), FsError> {
        let other: &HostDir = second_dir(self.access, new_dir)?;
        // The source is walked with this crate's resolver over single-name,
        // no-follow cap-std lookups, so a followed final symlink stays confined too.
        let mut st = Stack::new(&self.dir);
        let (last, found) =
            Walker::new(&HostWalk).locate(&mut st, old, FinalRule::Follow(follow))?;
        NameOp::LinkFrom.check(found.filetype(), false)?;
        let (oname, _) = NameOp::LinkFrom.name(last)?;
        let (ndir, nlast) = other.parent(new)?;
        let (name, dir_required) = NameOp::NewLink.name(nlast)?;
        check_trailing_slash(NameOp::NewLink, &ndir, &name, dir_required)?;
        Ok(st.top().hard_link(p(&oname), &ndir, p(&name))?)
    }

    fn symlink_at(&self, target: &[u8], link: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.create)?;
        validate_path(target)?;
        let (dir, last) = self.parent(link)?;
        let (name, dir_required) = NameOp::NewLink.name(last)?;
        check_trailing_slash(NameOp::NewLink, &dir, &name, dir_required)?;
        Ok(dir.symlink_contents(p(target), p(&name))?)
    }

    fn readlink_at(&self, path: &[u8]) -> Result<Vec<u8>, FsError> {
        Access::need(self.access.read)?;
        let (dir, last) = self.parent(path)?;
        let (name, dir_required) = NameOp::Readlink.name(last)?;
        check_trailing_slash(NameOp::Readlink, &dir, &name, dir_required)?;
        Ok(dir
            .read_link_contents(p(&name))?
            .into_os_string()
            .into_vec())
    }

    fn set_times_at(
        &self,
        path: &[u8],
        follow: bool,
        atime: TimeSpec,
        mtime: TimeSpec,
    ) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        if let Some((dir, name)) = self.unfollowed_name(path, follow)? {
            return Ok(dir.set_symlink_times(p(&name), spec(atime), spec(mtime))?);
        }
        validate_path(path)?;
        Ok(self.dir.set_times(p(path), spec(atime), spec(mtime))?)
    }

    fn resolve(&self, path: &[u8], follow: bool) -> Result<Resolved, FsError> {
        resolve_with(&HostWalk, &self.dir, path, follow)
    }

    fn reopen(&self, access: Access) -> Result<Box<dyn DirHandle>, FsError> {
        Ok(Box::new(HostDir {
            dir: self.dir.try_clone()?,
            access: self.access.intersection(access),
            label: Arc::clone(&self.label),
        }))
    }
}

/// An open host file.
#[derive(Debug)]
pub(crate) struct HostFile {
    file: fs::File,
    readable: bool,
    writable: bool,
}

impl FileHandle for HostFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FsError> {
        open_for(self.readable)?;
        Ok(self.file.read(buf)?)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, FsError> {
        open_for(self.writable)?;
        Ok(self.file.write(buf)?)
    }

    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, FsError> {
        open_for(self.readable)?;
        Ok(self.file.read_at(buf, offset)?)
    }

    fn pwrite(&mut self, buf: &[u8], offset: u64) -> Result<usize, FsError> {
        open_for(self.writable)?;
        Ok(self.file.write_at(buf, offset)?)
    }

    fn seek(&mut self, pos: SeekFrom) -> Result<u64, FsError> {
        Ok(self.file.seek(pos)?)
    }

    fn set_len(&mut self, len: u64) -> Result<(), FsError> {
        open_for(self.writable)?;
        Ok(self.file.set_len(len)?)
    }

    fn sync(&mut self, data_only: bool) -> Result<(), FsError> {
        if data_only {
            Ok(self.file.sync_data()?)
        } else {
            Ok(self.file.sync_all()?)
        }
    }

    fn set_times(&mut self, atime: TimeSpec, mtime: TimeSpec) -> Result<(), FsError> {
        let at = |t: TimeSpec| match t {
            TimeSpec::Omit => None,
            TimeSpec::Now => Some(std::time::SystemTime::now()),
            TimeSpec::Set(ns) => Some(UNIX_EPOCH + Duration::from_nanos(ns)),
        };
        let mut times = fs::FileTimes::new();
        if let Some(t) = at(atime) {
            times = times.set_accessed(t);
        }
        if let Some(t) = at(mtime) {
            times = times.set_modified(t);
        }
        Ok(self.file.set_times(times)?)
    }

    fn stat(&mut self) -> Result<Filestat, FsError> {
        Ok(std_stat(&self.file.metadata()?))
    }

    fn set_append(&mut self, append: bool) -> Result<(), FsError> {
        set_status_flag(&self.file, rustix::fs::OFlags::APPEND, append)
    }
}
