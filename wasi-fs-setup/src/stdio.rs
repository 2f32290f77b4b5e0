//! The guest's stdin, stdout and stderr (fds 0, 1, 2).
//!
//! Each of the three is configured with a [`StdioSlot`]: the host's own stream
//! (the default), any `virtual_fs::VirtualFile`, an in-memory
//! [`CaptureBuffer`] readable after the run, bytes fed to stdin, or nothing.
//! At run time a slot becomes a [`StdioStream`], a [`FileHandle`], so host
//! functions read and write it synchronously like any other fd.
//!
//! Writes to an inherited stdout or stderr go straight to the host fd with one
//! `write(2)` per chunk: nothing is buffered here, so nothing is lost if the
//! guest traps, and throughput is the host's.

use std::fmt;
use std::io::SeekFrom;
use std::sync::{Arc, Mutex, PoisonError};

use futures::executor::block_on;
use virtual_fs::{AsyncReadExt, AsyncWriteExt, VirtualFile};

use crate::backing::{FileHandle, FileType, Filestat, TimeSpec, host_time_ns};
use crate::error::{FsError, FsErrorKind};

/// Which of the three standard streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StdioFd {
    /// fd 0.
    Stdin,
    /// fd 1.
    Stdout,
    /// fd 2.
    Stderr,
}

impl StdioFd {
    /// The fd number (0, 1 or 2).
    pub const fn fd(self) -> u32 {
        match self {
            StdioFd::Stdin => 0,
            StdioFd::Stdout => 1,
            StdioFd::Stderr => 2,
        }
    }
}

/// Default most bytes a [`CaptureBuffer`] holds (256 MiB).
///
/// Reason: the guest decides how much it writes, and a capture keeps it all
/// in host memory. Writes past the limit fail with ENOSPC (see
/// [`CaptureBuffer`]); [`CaptureBuffer::with_limit`] sets another.
pub const MAX_CAPTURE_BYTES: usize = 256 << 20;

/// A cloneable handle on an in-memory buffer that collects a stream's output.
///
/// Clone it before handing it to the world; the clone you keep reads what the
/// guest wrote, during or after the run.
///
/// The buffer holds at most its limit ([`MAX_CAPTURE_BYTES`] unless set with
/// [`with_limit`](Self::with_limit)): a write that does not fit whole takes
/// the bytes that fit (a short write, as a nearly full disk gives), the
/// next one fails with ENOSPC, and [`limit_reached`](Self::limit_reached)
/// tells the host. Nothing is dropped silently: every byte the guest was
/// told it wrote is in the buffer. (While the buffer grows, its allocation
/// may reach twice the bytes it holds.)
#[derive(Clone)]
pub struct CaptureBuffer {
    inner: Arc<Mutex<Captured>>,
}

struct Captured {
    bytes: Vec<u8>,
    limit: usize,
    limit_reached: bool,
}

impl Default for CaptureBuffer {
    fn default() -> Self {
        Self::with_limit(MAX_CAPTURE_BYTES)
    }
}

impl fmt::Debug for CaptureBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaptureBuffer({} bytes)", self.len())
    }
}

impl CaptureBuffer {
    /// An empty buffer holding at most [`MAX_CAPTURE_BYTES`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer holding at most `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Captured {
                bytes: Vec::new(),
                limit,
                limit_reached: false,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Captured> {
        // The buffer is only ever appended to, so it is whole even after a panic elsewhere.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// Everything written so far, leaving the buffer empty (and room for
    /// as much again).
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.lock().bytes)
    }

    /// Number of bytes written so far.
    pub fn len(&self) -> usize {
        self.lock().bytes.len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most bytes the buffer holds.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Lowers the limit to `cap` if it is above (the configuration's
    /// `max_capture_bytes`, applied when the world is built).
    pub(crate) fn lower_limit(&self, cap: usize) {
        let mut captured = self.lock();
        captured.limit = captured.limit.min(cap);
    }

    /// Whether a write did not fit whole: the guest was given a short count
    /// or ENOSPC.
    pub fn limit_reached(&self) -> bool {
        self.lock().limit_reached
    }

    /// Appends what fits of `data`; ENOSPC when nothing does.
    fn append(&self, data: &[u8]) -> Result<usize, FsError> {
        let mut captured = self.lock();
        let room = captured.limit.saturating_sub(captured.bytes.len());
        let taken = data.len().min(room);
        if taken < data.len() {
            captured.limit_reached = true;
            if taken == 0 {
                return Err(FsErrorKind::NoSpace.into());
            }
        }
        captured.bytes.extend_from_slice(&data[..taken]);
        Ok(taken)
    }
}

/// What one standard stream is connected to.
#[derive(Default)]
pub enum StdioSlot {
    /// The host's own stdin, stdout or stderr (the default).
    #[default]
    Inherit,
    /// Any virtual file: reads and writes go to it.
    File(Box<dyn VirtualFile + Send + Sync>),
    /// Output collected in memory (stdout, stderr); reading it gives `BadF`.
    Capture(CaptureBuffer),
    /// Input served from these bytes, then end of file (stdin); writing gives `BadF`.
    Bytes(Vec<u8>),
    /// Reads see end of file, writes are discarded.
    Null,
}

impl fmt::Debug for StdioSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StdioSlot::Inherit => write!(f, "Inherit"),
            StdioSlot::File(_) => write!(f, "File"),
            StdioSlot::Capture(c) => write!(f, "Capture({c:?})"),
            StdioSlot::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            StdioSlot::Null => write!(f, "Null"),
        }
    }
}

impl StdioSlot {
    /// Captures into a new buffer of at most [`MAX_CAPTURE_BYTES`]; returns
    /// the slot and the handle to read it with.
    pub fn capture() -> (StdioSlot, CaptureBuffer) {
        Self::capture_with_limit(MAX_CAPTURE_BYTES)
    }

    /// Captures into a new buffer of at most `limit` bytes (see
    /// [`CaptureBuffer`]); returns the slot and the handle to read it with.
    pub fn capture_with_limit(limit: usize) -> (StdioSlot, CaptureBuffer) {
        let buf = CaptureBuffer::with_limit(limit);
        (StdioSlot::Capture(buf.clone()), buf)
    }

    /// Feeds `bytes` to stdin.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> StdioSlot {
        StdioSlot::Bytes(bytes.into())
    }
}

enum Kind {
    Inherit,
    File(Box<dyn VirtualFile + Send + Sync>),
    Capture(CaptureBuffer),
    Bytes { data: Vec<u8>, pos: usize },
    Null,
}

/// A standard stream at run time: the [`FileHandle`] behind fd 0, 1 or 2.
pub struct StdioStream {
    which: StdioFd,
    kind: Kind,
    /// Whether a write may block ([`host_write_may_block`](Self::host_write_may_block)),
    /// found out on first use (an `fstat` of the host's stream).
    may_block: std::sync::OnceLock<bool>,
}

impl fmt::Debug for StdioStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Inherit => "inherit",
            Kind::File(_) => "virtual file",
            Kind::Capture(_) => "capture",
            Kind::Bytes { .. } => "bytes",
            Kind::Null => "null",
        };
        write!(f, "StdioStream({:?}, {kind})", self.which)
    }
}

/// The most bytes POSIX guarantees a pipe takes in one write, atomically:
/// a write of at most this many bytes to a pipe that `poll(2)` reports
/// writable does not block.
pub const PIPE_BUF: usize = 4096;

/// Writes all of `buf` to a host fd, one `write(2)` per chunk the kernel takes.
fn write_host(fd: impl std::os::fd::AsFd, buf: &[u8]) -> Result<usize, FsError> {
    let mut done = 0;
    while done < buf.len() {
        match rustix::io::write(&fd, &buf[done..]) {
            Ok(0) => return Err(FsErrorKind::Io.into()),
            Ok(n) => done += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) if done > 0 && e == rustix::io::Errno::AGAIN => return Ok(done),
            Err(e) => return Err(FsError::from_raw_os_error(e.raw_os_error())),
        }
    }
    Ok(done)
}

impl StdioStream {
    /// The run-time stream for `slot` on `which`.
    pub fn new(which: StdioFd, slot: StdioSlot) -> Self {
        let kind = match slot {
            StdioSlot::Inherit => Kind::Inherit,
            StdioSlot::File(f) => Kind::File(f),
            StdioSlot::Capture(c) => Kind::Capture(c),
            StdioSlot::Bytes(data) => Kind::Bytes { data, pos: 0 },
            StdioSlot::Null => Kind::Null,
        };
        StdioStream {
            which,
            kind,
            may_block: std::sync::OnceLock::new(),
        }
    }

    /// Whether a write to this stream may wait for as long as someone else
    /// decides: the host's own stdout or stderr when it is a pipe, a FIFO,
    /// a socket or a terminal (whose reader may never read). A regular
    /// file, `/dev/null` or any non-inherited stream never keeps a write
    /// waiting. A caller that must not wait for ever waits for the host fd
    /// to be writable first (`poll(2)`) and then writes at most
    /// [`PIPE_BUF`] bytes, which a pipe with room takes without blocking.
    pub fn host_write_may_block(&self) -> bool {
        if !matches!(self.kind, Kind::Inherit) || self.which == StdioFd::Stdin {
            return false;
        }
        *self.may_block.get_or_init(|| {
            use std::io::IsTerminal;
            let stat = match self.which {
                StdioFd::Stdout => rustix::fs::fstat(std::io::stdout()),
                _ => rustix::fs::fstat(std::io::stderr()),
            };
            let terminal = match self.which {
                StdioFd::Stdout => std::io::stdout().is_terminal(),
                _ => std::io::stderr().is_terminal(),
            };
            match stat.map(|st| FileType::from_mode(st.st_mode)) {
                Ok(FileType::RegularFile | FileType::BlockDevice) => false,
                Ok(FileType::CharacterDevice) => terminal,
                // Pipes, FIFOs and sockets (`SocketStream`), and anything
                // the host cannot tell.
                _ => true,
            }
        })
    }

    /// Which stream this is.
    pub fn which(&self) -> StdioFd {
        self.which
    }

    /// Whether this stream is the host process's own stream
    /// ([`StdioSlot::Inherit`]): its readiness is only known by asking the
    /// host (`poll_oneoff` on stdin does).
    pub fn is_inherited(&self) -> bool {
        matches!(self.kind, Kind::Inherit)
    }

    fn readable(&self) -> bool {
        self.which == StdioFd::Stdin
    }
}

/// Reads the host's fd 0 directly. `std::io::stdin()` keeps an 8 KiB buffer:
/// bytes it read ahead would be invisible to `poll(2)` on fd 0, so a guest
/// polling stdin could wait forever for input already read.
fn read_host_stdin(buf: &mut [u8]) -> Result<usize, FsError> {
    loop {
        match rustix::io::read(std::io::stdin(), &mut *buf) {
            Err(rustix::io::Errno::INTR) => continue,
            other => return Ok(other.map_err(std::io::Error::from)?),
        }
    }
}

impl FileHandle for StdioStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FsError> {
        if !self.readable() {
            return Err(FsErrorKind::BadF.into());
        }
        match &mut self.kind {
            Kind::Inherit => read_host_stdin(buf),
            Kind::File(f) => Ok(block_on(f.read(buf))?),
            Kind::Capture(_) => Err(FsErrorKind::BadF.into()),
            Kind::Bytes { data, pos } => {
                let rest = data.get(*pos..).unwrap_or_default();
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                *pos += n;
                Ok(n)
            }
            Kind::Null => Ok(0),
        }
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, FsError> {
        if self.readable() {
            return Err(FsErrorKind::BadF.into());
        }
        match &mut self.kind {
            Kind::Inherit => match self.which {
                StdioFd::Stdout => {
                    // Keep order with anything the host printed through Rust's buffered stdout.
                    let mut out = std::io::stdout().lock();
                    std::io::Write::flush(&mut out)?;
                    write_host(&out, buf)
                }
                _ => write_host(std::io::stderr(), buf),
            },
            Kind::File(f) => {
                block_on(f.write_all(buf))?;
                block_on(f.flush())?;
                Ok(buf.len())
            }
            Kind::Capture(c) => c.append(buf),
            Kind::Bytes { .. } => Err(FsErrorKind::BadF.into()),
            Kind::Null => Ok(buf.len()),
        }
    }

    fn pread(&mut self, _buf: &mut [u8], _offset: u64) -> Result<usize, FsError> {
        Err(FsErrorKind::SPipe.into())
    }

    fn pwrite(&mut self, _buf: &[u8], _offset: u64) -> Result<usize, FsError> {
        Err(FsErrorKind::SPipe.into())
    }

    fn seek(&mut self, _pos: SeekFrom) -> Result<u64, FsError> {
        Err(FsErrorKind::SPipe.into())
    }

    fn set_len(&mut self, _len: u64) -> Result<(), FsError> {
        Err(FsErrorKind::Inval.into())
    }

    fn sync(&mut self, _data_only: bool) -> Result<(), FsError> {
        self.flush()
    }

    fn set_times(&mut self, _atime: TimeSpec, _mtime: TimeSpec) -> Result<(), FsError> {
        Err(FsErrorKind::Unsupported.into())
    }

    fn stat(&mut self) -> Result<Filestat, FsError> {
        let mut st = Filestat {
            dev: 0,
            ino: 0,
            filetype: FileType::CharacterDevice,
            nlink: 1,
            size: 0,
            atim: 0,
            mtim: 0,
            ctim: 0,
        };
        if let Kind::Inherit = self.kind {
            let host = match self.which {
                StdioFd::Stdin => rustix::fs::fstat(std::io::stdin()),
                StdioFd::Stdout => rustix::fs::fstat(std::io::stdout()),
                StdioFd::Stderr => rustix::fs::fstat(std::io::stderr()),
            };
            if let Ok(h) = host {
                st.filetype = FileType::from_mode(h.st_mode);
                st.atim = host_time_ns(h.st_atime, h.st_atime_nsec as i64);
                st.mtim = host_time_ns(h.st_mtime, h.st_mtime_nsec as i64);
                st.ctim = host_time_ns(h.st_ctime, h.st_ctime_nsec as i64);
            }
        }
        Ok(st)
    }

    fn set_append(&mut self, _append: bool) -> Result<(), FsError> {
        Ok(())
    }

    fn flush(&mut self) -> Result<(), FsError> {
        // Stdin is never written, so a stdin file has nothing to flush; read-only
        // files (webc volume files) refuse a flush with PermissionDenied.
        let written = !self.readable();
        match &mut self.kind {
            Kind::Inherit if self.which == StdioFd::Stdout => {
                std::io::Write::flush(&mut std::io::stdout().lock())?;
                Ok(())
            }
            Kind::File(f) if written => Ok(block_on(f.flush())?),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11: a capture holds at most its limit; the write that does not
    /// fit is short, the next is ENOSPC, and the host sees the limit hit.
    #[test]
    fn capture_past_its_limit_is_a_short_write_then_enospc() {
        let (slot, buf) = StdioSlot::capture_with_limit(5);
        let mut out = StdioStream::new(StdioFd::Stdout, slot);
        assert_eq!(out.write(b"abc").unwrap(), 3);
        assert!(!buf.limit_reached());
        assert_eq!(out.write(b"defg").unwrap(), 2);
        assert!(buf.limit_reached());
        assert_eq!(out.write(b"h").unwrap_err().kind(), FsErrorKind::NoSpace);
        assert_eq!(buf.contents(), b"abcde");
        assert_eq!(buf.limit(), 5);
        // Taking the bytes makes room again.
        assert_eq!(buf.take(), b"abcde");
        assert_eq!(out.write(b"xy").unwrap(), 2);
        assert_eq!(StdioSlot::capture().1.limit(), MAX_CAPTURE_BYTES);
    }

    #[test]
    fn capture_collects_writes() {
        let (slot, buf) = StdioSlot::capture();
        let mut s = StdioStream::new(StdioFd::Stdout, slot);
        assert_eq!(s.write(b"hello ").unwrap(), 6);
        assert_eq!(s.write(b"world").unwrap(), 5);
        assert_eq!(buf.contents(), b"hello world");
        assert_eq!(buf.len(), 11);
        assert_eq!(s.read(&mut [0; 4]).unwrap_err().kind(), FsErrorKind::BadF);
        assert_eq!(buf.take(), b"hello world");
        assert!(buf.is_empty());
    }

    #[test]
    fn stdin_from_bytes_then_eof() {
        let mut s = StdioStream::new(StdioFd::Stdin, StdioSlot::from_bytes("abcde"));
        let mut b = [0u8; 3];
        assert_eq!(s.read(&mut b).unwrap(), 3);
        assert_eq!(&b, b"abc");
        assert_eq!(s.read(&mut b).unwrap(), 2);
        assert_eq!(&b[..2], b"de");
        assert_eq!(s.read(&mut b).unwrap(), 0);
        assert_eq!(s.write(b"x").unwrap_err().kind(), FsErrorKind::BadF);
        assert_eq!(
            s.seek(SeekFrom::Start(0)).unwrap_err().kind(),
            FsErrorKind::SPipe
        );
    }

    #[test]
    fn virtual_file_slot_and_null() {
        let file = virtual_fs::BufferFile::default();
        let mut s = StdioStream::new(StdioFd::Stderr, StdioSlot::File(Box::new(file)));
        assert_eq!(s.write(b"err").unwrap(), 3);
        s.flush().unwrap();
        let mut n = StdioStream::new(StdioFd::Stdout, StdioSlot::Null);
        assert_eq!(n.write(b"gone").unwrap(), 4);
        let mut i = StdioStream::new(StdioFd::Stdin, StdioSlot::Null);
        assert_eq!(i.read(&mut [0; 4]).unwrap(), 0);
        assert_eq!(i.stat().unwrap().filetype, FileType::CharacterDevice);
    }

    #[test]
    fn inherit_stderr_writes_directly() {
        let mut s = StdioStream::new(StdioFd::Stderr, StdioSlot::Inherit);
        assert_eq!(s.write(b"").unwrap(), 0);
        assert!(s.stat().is_ok());
    }
}
