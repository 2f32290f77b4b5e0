//! The `wasi_snapshot_preview1` ABI facts the host functions share: struct
//! layouts as byte encoders and decoders, and flag masks and enum values.
//!
//! Every struct a host function writes to or reads from guest memory is
//! encoded here by hand, as little-endian bytes at the offsets the spec
//! gives (the same as wasi-libc's `wasi/api.h` static asserts), with every
//! padding byte zero. Nothing here touches guest memory or host state.

use wasi_fs_setup::{FileType, Filestat};

use crate::errno::Errno;

/// Size of a `filestat`.
pub(crate) const FILESTAT_SIZE: u32 = 64;

/// Size of a `dirent` header (the name follows it).
pub(crate) const DIRENT_SIZE: usize = 24;

/// Size of an `fdstat`.
pub(crate) const FDSTAT_SIZE: usize = 24;

/// Size of a `prestat`.
pub(crate) const PRESTAT_SIZE: usize = 8;

/// Size of a `subscription`.
pub(crate) const SUBSCRIPTION_SIZE: u32 = 48;

/// Size of an `event`.
pub(crate) const EVENT_SIZE: u32 = 32;

/// The largest offset or size a file can have (`filesize` is unsigned, but
/// `off_t` is signed).
pub(crate) const MAX_FILE_OFFSET: u64 = i64::MAX as u64;

/// `lookupflags::symlink_follow`.
pub(crate) const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `oflags` bits.
pub(crate) const O_CREAT: u32 = 1 << 0;
pub(crate) const O_DIRECTORY: u32 = 1 << 1;
pub(crate) const O_EXCL: u32 = 1 << 2;
pub(crate) const O_TRUNC: u32 = 1 << 3;
/// Every `oflags` bit preview1 defines.
pub(crate) const OFLAGS_ALL: u32 = O_CREAT | O_DIRECTORY | O_EXCL | O_TRUNC;

/// Every `fdflags` bit preview1 defines (append, dsync, nonblock, rsync,
/// sync).
pub(crate) const FDFLAGS_ALL: u32 = 0x1f;

/// `fstflags` bits.
pub(crate) const FST_ATIM: u16 = 1 << 0;
pub(crate) const FST_ATIM_NOW: u16 = 1 << 1;
pub(crate) const FST_MTIM: u16 = 1 << 2;
pub(crate) const FST_MTIM_NOW: u16 = 1 << 3;

/// The highest `advice` value (`noreuse`).
pub(crate) const LAST_ADVICE: u32 = 5;

/// `eventtype` values.
pub(crate) const EVENTTYPE_CLOCK: u8 = 0;
pub(crate) const EVENTTYPE_FD_READ: u8 = 1;
pub(crate) const EVENTTYPE_FD_WRITE: u8 = 2;

/// `subclockflags::subscription_clock_abstime`.
pub(crate) const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;

/// The highest signal number (`sys`).
pub(crate) const LAST_SIGNAL: u8 = 30;

/// Signals whose default action is to be ignored (`chld`, `cont`, `urg`,
/// `winch`).
pub(crate) const IGNORED_SIGNALS: [u8; 4] = [16, 17, 22, 27];

/// Signals whose default action is to stop the process (`stop`, `tstp`,
/// `ttin`, `ttou`).
pub(crate) const STOP_SIGNALS: [u8; 4] = [18, 19, 20, 21];

/// The `filestat` bytes of `st`.
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

/// Appends the `dirent` header of an entry to `out` (the caller appends the
/// name).
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

/// The `fdstat` bytes: file type, `fdflags`, base and inheriting rights.
pub(crate) fn encode_fdstat(
    filetype: FileType,
    flags: u16,
    base: u64,
    inheriting: u64,
) -> [u8; FDSTAT_SIZE] {
    let mut buf = [0u8; FDSTAT_SIZE];
    buf[0] = filetype as u8;
    buf[2..4].copy_from_slice(&flags.to_le_bytes());
    buf[8..16].copy_from_slice(&base.to_le_bytes());
    buf[16..24].copy_from_slice(&inheriting.to_le_bytes());
    buf
}

/// The `prestat` bytes of a directory whose name is `name_len` bytes (tag 0:
/// a directory).
pub(crate) fn encode_prestat(name_len: u32) -> [u8; PRESTAT_SIZE] {
    let mut buf = [0u8; PRESTAT_SIZE];
    buf[4..8].copy_from_slice(&name_len.to_le_bytes());
    buf
}

/// One `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) userdata: u64,
    pub(crate) error: Errno,
    pub(crate) eventtype: u8,
    /// `fd_readwrite.nbytes`; its `flags` (hangup) stay 0.
    pub(crate) nbytes: u64,
}

impl Event {
    /// The `event` bytes.
    pub(crate) fn encode(&self) -> [u8; EVENT_SIZE as usize] {
        let mut buf = [0u8; EVENT_SIZE as usize];
        buf[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        buf[8..10].copy_from_slice(&self.error.raw().to_le_bytes());
        buf[10] = self.eventtype;
        buf[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        buf
    }
}

/// The fields of a raw `subscription`, undecoded: a tag or clock id out of
/// range stays a number (never an enum), so decoding it cannot be undefined
/// behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawSubscription {
    pub(crate) userdata: u64,
    pub(crate) eventtype: u8,
    /// `clock.id`, or `fd_readwrite.file_descriptor` (same offset).
    pub(crate) clock_or_fd: u32,
    /// `clock.timeout`.
    pub(crate) timeout: u64,
    /// `clock.flags`.
    pub(crate) clock_flags: u16,
}

impl RawSubscription {
    /// Reads the fields of one `subscription`.
    pub(crate) fn decode(raw: &[u8; SUBSCRIPTION_SIZE as usize]) -> Self {
        let u64_at = |at: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&raw[at..at + 8]);
            u64::from_le_bytes(a)
        };
        let mut id = [0u8; 4];
        id.copy_from_slice(&raw[16..20]);
        Self {
            userdata: u64_at(0),
            eventtype: raw[8],
            clock_or_fd: u32::from_le_bytes(id),
            timeout: u64_at(24),
            clock_flags: u16::from_le_bytes([raw[40], raw[41]]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn fdstat_and_prestat_layouts() {
        let b = encode_fdstat(FileType::Directory, 0x11, 0x0102, 0x0304);
        assert_eq!((b[0], b[1], b[2], b[3]), (3, 0, 0x11, 0));
        assert_eq!((b[8], b[9], b[16], b[17]), (2, 1, 4, 3));
        assert_eq!(encode_prestat(7), [0, 0, 0, 0, 7, 0, 0, 0]);
    }

    #[test]
    fn event_layout() {
        let e = Event {
            userdata: 0x0102_0304_0506_0708,
            error: Errno::BADF,
            eventtype: EVENTTYPE_FD_WRITE,
            nbytes: 5,
        };
        let b = e.encode();
        assert_eq!(b[0], 8);
        assert_eq!(b[8], 8);
        assert_eq!(b[10], 2);
        assert_eq!(b[16], 5);
        assert!(b[11..16].iter().all(|&x| x == 0));
    }

    #[test]
    fn subscription_fields() {
        let mut raw = [0u8; SUBSCRIPTION_SIZE as usize];
        raw[0] = 9;
        raw[8] = 0xff;
        raw[16..20].copy_from_slice(&7u32.to_le_bytes());
        raw[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
        raw[40] = 1;
        let s = RawSubscription::decode(&raw);
        assert_eq!(
            s,
            RawSubscription {
                userdata: 9,
                eventtype: 0xff,
                clock_or_fd: 7,
                timeout: u64::MAX,
                clock_flags: 1,
            }
        );
    }
}
