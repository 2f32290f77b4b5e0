//! Regressions from the security review: read-only package files stat without
//! a flush, `O_CREAT` never opens an existing file for writing, a FIFO in a
//! host preopen cannot wedge `path_open`, and the in-memory sandbox holds a
//! bounded amount of host memory.

use std::io::{Cursor, SeekFrom};
use std::mem::MaybeUninit;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use virtual_fs::{
    AsyncRead, AsyncReadExt, AsyncSeek, AsyncWrite, FileOpener, FileSystem, OpenOptions,
    OpenOptionsConfig, ReadBuf, TmpFileSystem, VirtualFile,
};
use wasi_config::{ConfigBuilder, PreopenSpec};
use wasi_fs_setup::{
    Access, DirHandle, FdEntry, FdFlags, FdObject, FdRights, FileType, FsError, FsErrorKind,
    HostDir, OpenFlags, Opened, Rights, SharedFileSystem, StdioSlot, World,
};

use crate::common::{Node, vfs_dirs};

/// How long any single open may take before it counts as blocked.
const BOUND: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// A read-only filesystem whose files refuse flush, as webc volume files do.
// ---------------------------------------------------------------------------

/// Serves the files of an in-memory filesystem read-only; every file refuses
/// writes and flushes with `PermissionDenied` (`virtual_fs::WebcVolumeFileSystem`'s behaviour).
#[derive(Debug)]
struct NoFlushFs(TmpFileSystem);

fn denied<T>() -> virtual_fs::Result<T> {
    Err(virtual_fs::FsError::PermissionDenied)
}

impl FileSystem for NoFlushFs {
    fn readlink(&self, path: &Path) -> virtual_fs::Result<PathBuf> {
        self.0.readlink(path)
    }
    fn read_dir(&self, path: &Path) -> virtual_fs::Result<virtual_fs::ReadDir> {
        self.0.read_dir(path)
    }
    fn create_dir(&self, _path: &Path) -> virtual_fs::Result<()> {
        denied()
    }
    fn remove_dir(&self, _path: &Path) -> virtual_fs::Result<()> {
        denied()
    }
    fn rename<'a>(
        &'a self,
        _from: &'a Path,
        _to: &'a Path,
    ) -> BoxFuture<'a, virtual_fs::Result<()>> {
        Box::pin(async { denied() })
    }
    fn metadata(&self, path: &Path) -> virtual_fs::Result<virtual_fs::Metadata> {
        self.0.metadata(path)
    }
    fn symlink_metadata(&self, path: &Path) -> virtual_fs::Result<virtual_fs::Metadata> {
        self.0.symlink_metadata(path)
    }
    fn remove_file(&self, _path: &Path) -> virtual_fs::Result<()> {
        denied()
    }
    fn new_open_options(&self) -> OpenOptions<'_> {
        OpenOptions::new(self)
    }
}

impl FileOpener for NoFlushFs {
    fn open(
        &self,
        path: &Path,
        conf: &OpenOptionsConfig,
    ) -> virtual_fs::Result<Box<dyn VirtualFile + Send + Sync + 'static>> {
        if conf.would_mutate() {
            return denied();
        }
        let mut inner = self.0.new_open_options().read(true).open(path)?;
        let mut bytes = Vec::new();
        futures::executor::block_on(inner.read_to_end(&mut bytes))?;
        Ok(Box::new(NoFlushFile {
            content: Cursor::new(bytes),
            modified: inner.last_modified(),
        }))
    }
}

#[derive(Debug)]
struct NoFlushFile {
    content: Cursor<Vec<u8>>,
    modified: u64,
}

fn refused<T>() -> Poll<std::io::Result<T>> {
    Poll::Ready(Err(std::io::ErrorKind::PermissionDenied.into()))
}

impl VirtualFile for NoFlushFile {
    fn last_accessed(&self) -> u64 {
        0
    }
    fn last_modified(&self) -> u64 {
        self.modified
    }
    fn created_time(&self) -> u64 {
        0
    }
    fn size(&self) -> u64 {
        self.content.get_ref().len() as u64
    }
    fn set_len(&mut self, _new_size: u64) -> virtual_fs::Result<()> {
        denied()
    }
    fn unlink(&mut self) -> virtual_fs::Result<()> {
        denied()
    }
    fn poll_read_ready(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<usize>> {
        let left = self.content.get_ref().len() as u64 - self.content.position();
        Poll::Ready(Ok(left as usize))
    }
    fn poll_write_ready(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<usize>> {
        refused()
    }
}

impl AsyncRead for NoFlushFile {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.content).poll_read(cx, buf)
    }
}

impl AsyncSeek for NoFlushFile {
    fn start_seek(mut self: Pin<&mut Self>, pos: SeekFrom) -> std::io::Result<()> {
        Pin::new(&mut self.content).start_seek(pos)
    }
    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<u64>> {
        Pin::new(&mut self.content).poll_complete(cx)
    }
}

impl AsyncWrite for NoFlushFile {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        refused()
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        refused()
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        refused()
    }
}

const PKG_DATA: &[u8] = b"package data";

/// A `NoFlushFs` holding `/lib/data.txt`.
fn no_flush_fs() -> SharedFileSystem {
    let inner = TmpFileSystem::new();
    crate::common::build_vfs(
        &inner,
        Path::new("/lib"),
        &[("data.txt", Node::File("package data"))],
    );
    Arc::new(NoFlushFs(inner))
}

/// A world whose fd 3 is `/lib` of a `NoFlushFs`, read-only, as a package volume is mounted.
fn package_world(stdin: StdioSlot) -> World {
    let mut cb = ConfigBuilder::new("p");
    cb.preopen(
        PreopenSpec::virtual_dir("pkg", "/lib")
            .guest_path("/lib")
            .read(true),
    );
    World::builder(&cb.validate().unwrap())
        .filesystem("pkg", no_flush_fs())
        .stdin(stdin)
        .build()
        .unwrap()
}

#[test]
fn read_only_volume_file_stats_without_a_flush() {
    let mut world = package_world(StdioSlot::Null);
    let entry = world.fds().get(3).unwrap();
    let rights = FdRights::derive(entry.rights, Rights::ALL, Rights::ALL);
    let dir = entry.dir().unwrap();
    let by_path = dir.stat_at(b"data.txt", true).unwrap();
    let Opened::File(file) = dir.open_at(b"data.txt", OpenFlags::READ).unwrap() else {
        panic!("data.txt is a file")
    };
    let fd = world
        .fds_mut()
        .insert(FdEntry::new(FdObject::File(file), rights, FdFlags::NONE))
        .unwrap();
    let entry = world.fds_mut().get_mut(fd).unwrap();
    // fd_fdstat_get's filetype.
    assert_eq!(entry.filetype(), FileType::RegularFile);
    let file = entry.file_mut().unwrap();
    // fd_filestat_get (and poll_oneoff's readable byte count) agree with path_filestat_get.
    let st = file.stat().unwrap();
    assert_eq!(st.filetype, FileType::RegularFile);
    assert_eq!(st.size, PKG_DATA.len() as u64);
    assert_eq!(
        (st.dev, st.ino, st.size),
        (by_path.dev, by_path.ino, by_path.size)
    );
    let mut buf = [0u8; 64];
    let n = file.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], PKG_DATA);
    // fd_sync on a read-only fd has nothing to push, as on a host file.
    file.sync(false).unwrap();
    file.sync(true).unwrap();
    assert_eq!(file.stat().unwrap().size, PKG_DATA.len() as u64);
    // Writes are still refused by the handle, not by a late flush.
    assert_eq!(file.write(b"x").unwrap_err().kind(), FsErrorKind::BadF);
    world.flush_all().unwrap();
    world.close_all().unwrap();
}

#[test]
fn stdin_from_a_read_only_volume_file_flushes_and_closes() {
    let fs = no_flush_fs();
    let file = fs
        .new_open_options()
        .read(true)
        .open(Path::new("/lib/data.txt"))
        .unwrap();
    let mut world = package_world(StdioSlot::File(file));
    let stdin = world.fds_mut().get_mut(0).unwrap().file_mut().unwrap();
    let mut buf = [0u8; 64];
    let n = stdin.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], PKG_DATA);
    stdin.sync(false).unwrap();
    world.flush_all().unwrap();
    world.close_all().unwrap();
}

// ---------------------------------------------------------------------------
// O_CREAT without write access on an existing file.
// ---------------------------------------------------------------------------

fn read_create() -> OpenFlags {
    OpenFlags {
        read: true,
        create: true,
        ..OpenFlags::default()
    }
}

/// Drains a non-blocking inotify descriptor: every event mask seen.
fn inotify_events(fd: &std::os::fd::OwnedFd) -> Vec<rustix::fs::inotify::ReadFlags> {
    let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
    let mut reader = rustix::fs::inotify::Reader::new(fd, &mut buf);
    let mut out = Vec::new();
    loop {
        match reader.next() {
            Ok(ev) => out.push(ev.events()),
            Err(rustix::io::Errno::AGAIN) => return out,
            Err(e) => panic!("inotify read: {e}"),
        }
    }
}

#[test]
fn create_without_write_never_opens_an_existing_file_for_writing() {
    use rustix::fs::inotify;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ro444");
    std::fs::write(&path, b"keep me").unwrap();
    let past = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(past)
        .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::metadata(&path).unwrap();

    // Whether the file is ever opened for writing, whoever runs the test
    // (root ignores the 0444 mode, but not this): IN_CLOSE_WRITE is queued when
    // a descriptor opened for writing is closed, written to or not.
    let ino =
        inotify::init(inotify::CreateFlags::NONBLOCK | inotify::CreateFlags::CLOEXEC).unwrap();
    inotify::add_watch(
        &ino,
        &path,
        inotify::WatchFlags::CLOSE_WRITE
            | inotify::WatchFlags::CLOSE_NOWRITE
            | inotify::WatchFlags::MODIFY
            | inotify::WatchFlags::ATTRIB,
    )
    .unwrap();

    let dir = HostDir::open(tmp.path(), Access::READ_WRITE_CREATE).unwrap();
    let Opened::File(mut f) = dir.open_at(b"ro444", read_create()).unwrap() else {
        panic!("ro444 is a file")
    };
    let mut buf = [0u8; 16];
    let n = f.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"keep me");
    drop(f);

    let events = inotify_events(&ino);
    let seen = events
        .iter()
        .fold(inotify::ReadFlags::empty(), |acc, e| acc | *e);
    assert!(
        seen.contains(inotify::ReadFlags::CLOSE_NOWRITE),
        "the read open was seen: {events:?}"
    );
    assert!(
        !seen.intersects(
            inotify::ReadFlags::CLOSE_WRITE
                | inotify::ReadFlags::MODIFY
                | inotify::ReadFlags::ATTRIB
        ),
        "the existing file was opened for writing or changed: {events:?}"
    );
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    assert_eq!(after.modified().unwrap(), before.modified().unwrap());
    assert_eq!(after.permissions().mode() & 0o777, 0o444);

    // O_EXCL still refuses the existing name; a missing name is still created,
    // and O_CREAT on a directory is still EISDIR.
    let excl = OpenFlags {
        exclusive: true,
        ..read_create()
    };
    assert_eq!(
        dir.open_at(b"ro444", excl).unwrap_err().kind(),
        FsErrorKind::Exists
    );
    assert!(matches!(
        dir.open_at(b"fresh", read_create()).unwrap(),
        Opened::File(_)
    ));
    assert_eq!(std::fs::read(tmp.path().join("fresh")).unwrap(), b"");
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    assert_eq!(
        dir.open_at(b"sub", read_create()).unwrap_err().kind(),
        FsErrorKind::IsDir
    );
}

#[test]
fn create_without_write_through_a_dangling_symlink_creates_its_target_in_both_backings() {
    let layout = &[("dangling", Node::Link("nothing"))];
    let tmp = tempfile::tempdir().unwrap();
    crate::common::build_host(&tmp.path().join("s"), layout);
    let host = HostDir::open(&tmp.path().join("s"), Access::READ_WRITE_CREATE).unwrap();
    let mut dirs: Vec<(&str, Box<dyn DirHandle>)> = vec![("host", Box::new(host))];
    for (label, _, d) in vfs_dirs(layout, Access::READ_WRITE_CREATE) {
        dirs.push((label, d));
    }
    for (label, d) in &dirs {
        assert!(
            matches!(d.open_at(b"dangling", read_create()), Ok(Opened::File(_))),
            "{label}"
        );
        assert_eq!(
            d.stat_at(b"nothing", false).unwrap().filetype,
            FileType::RegularFile,
            "{label}"
        );
        assert_eq!(
            d.stat_at(b"dangling", false).unwrap().filetype,
            FileType::SymbolicLink,
            "{label}"
        );
        // With no-follow, the symlink is the final component: ELOOP, nothing created.
        let nofollow = OpenFlags {
            nofollow: true,
            ..read_create()
        };
        d.unlink_at(b"nothing").unwrap();
        assert_eq!(
            d.open_at(b"dangling", nofollow).unwrap_err().kind(),
            FsErrorKind::Loop,
            "{label}"
        );
        assert_eq!(
            d.stat_at(b"nothing", false).unwrap_err().kind(),
            FsErrorKind::NotFound,
            "{label}"
        );
    }
}

// ---------------------------------------------------------------------------
// FIFOs in a host preopen.
// ---------------------------------------------------------------------------

fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o666),
        0,
    )
    .unwrap();
}

/// Runs `open` on a thread; fails the test if it has not returned within
/// [`BOUND`]. A stuck open is released first (an `O_RDWR` open of the FIFO
/// is both a reader and a writer), so no thread is left behind.
fn bounded<T: Send + 'static>(
    fifo: &Path,
    what: &str,
    open: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(open());
    });
    match rx.recv_timeout(BOUND) {
        Ok(v) => {
            worker.join().unwrap();
            v
        }
        Err(_) => {
            let release = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
                .open(fifo);
            let _ = rx.recv_timeout(BOUND);
            drop(release);
            panic!("{what}: open_at was still blocked on the FIFO after {BOUND:?}");
        }
    }
}

fn open_fifo(root: &Path, fifo: &Path, what: &str, flags: OpenFlags) -> Result<Opened, FsError> {
    let root = root.to_path_buf();
    bounded(fifo, what, move || {
        let dir = HostDir::open(&root, Access::READ_WRITE_CREATE).unwrap();
        dir.open_at(b"fifo", flags)
    })
}

#[test]
fn fifo_in_a_host_preopen_never_blocks_path_open() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo");
    mkfifo(&fifo);
    let read = OpenFlags::READ;
    let write = OpenFlags {
        write: true,
        ..OpenFlags::default()
    };
    let cases: &[(&str, OpenFlags)] = &[
        ("read", read),
        ("write", write),
        (
            "read+write",
            OpenFlags {
                read: true,
                write: true,
                ..OpenFlags::default()
            },
        ),
        ("create+read", read_create()),
        (
            "create",
            OpenFlags {
                create: true,
                ..OpenFlags::default()
            },
        ),
        (
            "create+write",
            OpenFlags {
                create: true,
                ..write
            },
        ),
        (
            "create+read+truncate",
            OpenFlags {
                truncate: true,
                ..read_create()
            },
        ),
        (
            "append",
            OpenFlags {
                append: true,
                ..OpenFlags::default()
            },
        ),
    ];
    for (what, flags) in cases {
        // Either a handle or an errno, promptly; never a hang.
        let _ = open_fifo(tmp.path(), &fifo, what, *flags);
    }
    // No reader and no writer: a read-only open succeeds at once (as
    // open(O_RDONLY|O_NONBLOCK) does), and so does O_CREAT on the existing FIFO.
    for (what, flags) in [("read", read), ("create+read", read_create())] {
        match open_fifo(tmp.path(), &fifo, what, flags) {
            Ok(Opened::File(mut f)) => {
                assert_eq!(f.stat().unwrap().filetype, FileType::Unknown, "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    // A write-only open with no reader is ENXIO, not a wait for one.
    let err = open_fifo(tmp.path(), &fifo, "write", write).unwrap_err();
    assert_eq!(
        err.raw_os_error(),
        Some(rustix::io::Errno::NXIO.raw_os_error())
    );
    // O_EXCL on the FIFO is EEXIST.
    let excl = OpenFlags {
        exclusive: true,
        ..read_create()
    };
    assert_eq!(
        open_fifo(tmp.path(), &fifo, "excl", excl)
            .unwrap_err()
            .kind(),
        FsErrorKind::Exists
    );
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO is still a FIFO"
    );
}

#[test]
fn fifo_opened_without_blocking_reads_with_blocking_semantics() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo");
    mkfifo(&fifo);
    let Opened::File(mut reader) = open_fifo(tmp.path(), &fifo, "read", OpenFlags::READ).unwrap()
    else {
        panic!("a FIFO is not a directory")
    };
    // A writer that has not written yet: a non-blocking fd would read EAGAIN now.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let (tx, rx) = mpsc::channel();
    let started = SystemTime::now();
    let worker = std::thread::spawn(move || {
        let mut buf = [0u8; 8];
        let r = reader.read(&mut buf).map(|n| buf[..n].to_vec());
        let _ = tx.send(r);
    });
    std::thread::sleep(Duration::from_millis(200));
    std::io::Write::write_all(&mut writer, b"ping").unwrap();
    let got = rx
        .recv_timeout(BOUND)
        .expect("the read returned once data arrived");
    worker.join().unwrap();
    assert_eq!(
        got.map_err(FsError::kind),
        Ok(b"ping".to_vec()),
        "the guest's fd blocks until data arrives (after {:?})",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------
// The in-memory sandbox holds a bounded amount of host memory.
// ---------------------------------------------------------------------------

/// A world whose fd 3 is the default sandbox at `/s`, bounded to `limit`.
fn bounded_sandbox(limit: u64) -> World {
    let mut b = ConfigBuilder::new("t");
    b.preopen(
        PreopenSpec::virtual_dir(wasi_config::SANDBOX_FS, "/s")
            .read(true)
            .create(true),
    );
    let config = b.validate().expect("config");
    World::builder(&config)
        .sandbox_limit(limit)
        .build()
        .expect("world")
}

fn sandbox_file(world: &World, name: &[u8]) -> Result<Box<dyn wasi_fs_setup::FileHandle>, FsError> {
    let dir = world.fds().get(3).expect("fd 3").dir().expect("a dir");
    let flags = OpenFlags {
        read: true,
        write: true,
        create: true,
        ..OpenFlags::default()
    };
    match dir.open_at(name, flags)? {
        Opened::File(f) => Ok(f),
        Opened::Dir(_) => panic!("a directory"),
    }
}

/// Regression (issue 11): a 1 TB size, positional write or write after a
/// seek on a sandbox file made `virtual-fs` fill the gap with zeroes, an
/// allocation that aborts the host; now it is ENOSPC before anything is
/// allocated.
#[test]
fn sandbox_refuses_huge_sizes_before_allocating() {
    let world = bounded_sandbox(wasi_fs_setup::MAX_SANDBOX_BYTES);
    let mut f = sandbox_file(&world, b"big").expect("created");
    let tb = 1u64 << 40;
    assert_eq!(f.set_len(tb).unwrap_err().kind(), FsErrorKind::NoSpace);
    assert_eq!(f.pwrite(b"x", tb).unwrap_err().kind(), FsErrorKind::NoSpace);
    f.seek(SeekFrom::Start(tb)).expect("seeking is free");
    assert_eq!(f.write(b"x").unwrap_err().kind(), FsErrorKind::NoSpace);
    assert_eq!(f.stat().expect("stat").size, 0);
    // Ordinary sizes still work.
    f.set_len(4096).expect("small size");
    assert_eq!(f.stat().expect("stat").size, 4096);
}

/// Regression (issue 11): file data and objects count against the
/// sandbox's budget; removing them gives the room back.
#[test]
fn sandbox_budget_counts_data_and_objects_and_frees_them() {
    let limit = 256 * 1024;
    let world = bounded_sandbox(limit);
    let budget = || {
        world
            .filesystem(wasi_config::SANDBOX_FS)
            .and_then(|fs| fs.budget())
            .expect("the default sandbox has a budget")
    };
    assert_eq!(budget().limit(), limit);
    let mut f = sandbox_file(&world, b"data").expect("created");
    let chunk = vec![7u8; 64 * 1024];
    let mut written = 0u64;
    let err = loop {
        match f.write(&chunk) {
            Ok(n) => written += n as u64,
            Err(e) => break e,
        }
        assert!(written <= limit, "{written}");
    };
    assert_eq!(err.kind(), FsErrorKind::NoSpace);
    assert!(written >= limit / 4, "{written}");
    assert!(budget().used() <= 2 * limit, "{}", budget().used());
    drop(f);
    // No room for a whole file's data: objects still fit until they do not.
    let dir = world.fds().get(3).expect("fd 3").dir().expect("a dir");
    dir.unlink_at(b"data").expect("removed");
    assert!(budget().used() < 4 * 1024, "{}", budget().used());
    let mut made = 0;
    let err = loop {
        match dir.create_dir_at(format!("d{made}").as_bytes()) {
            Ok(()) => made += 1,
            Err(e) => break e,
        }
        assert!(made <= 1024, "objects are not counted");
    };
    assert_eq!(err.kind(), FsErrorKind::NoSpace);
    assert!(made >= 128, "{made}");
    dir.remove_dir_at(b"d0").expect("removed");
    dir.create_dir_at(b"again")
        .expect("room again after a removal");
    assert_eq!(
        dir.symlink_at(b"target", b"link").unwrap_err().kind(),
        FsErrorKind::NoSpace,
        "a symlink costs more than the one free slot"
    );
}

/// Review of issue 11: an open sandbox file keeps the inode number it was
/// opened with, so `fstat` after a rename agrees with `stat` of the new
/// name and, after an unlink, adds nothing to the inode map (which used to
/// grow by one stale path per `fstat`).
#[test]
fn an_open_sandbox_file_keeps_its_inode_across_rename_and_unlink() {
    let world = bounded_sandbox(wasi_fs_setup::MAX_SANDBOX_BYTES);
    let mut f = sandbox_file(&world, b"a").expect("created");
    let dir = world.fds().get(3).expect("fd 3").dir().expect("a dir");
    let ino = f.stat().expect("fstat").ino;
    assert_eq!(dir.stat_at(b"a", false).expect("stat").ino, ino);
    dir.rename_at(b"a", dir, b"b").expect("renamed");
    assert_eq!(f.stat().expect("fstat").ino, ino);
    assert_eq!(dir.stat_at(b"b", false).expect("stat").ino, ino);
    dir.unlink_at(b"b").expect("removed");
    assert_eq!(f.stat().expect("fstat").ino, ino);
    // A new file at the old name is another object with another number.
    let g = sandbox_file(&world, b"a").expect("created again");
    drop(g);
    assert_ne!(dir.stat_at(b"a", false).expect("stat").ino, ino);
}
