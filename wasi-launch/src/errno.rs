//! The errno a preview1 host function returns, and the result type host
//! functions use.
//!
//! [`Errno`] is a small value type (rustix's style) holding exactly the 77
//! values `wasi_snapshot_preview1` defines, as named constants
//! ([`Errno::NOENT`], [`Errno::NOTCAPABLE`], ...). A value outside preview1
//! cannot be made, so a guest never sees one. The file world's errors become
//! errnos through the one conversion `From<wasi_fs_setup::FsError>`; guest
//! memory errors through `From<MemoryError>`.
//!
//! A host function returns an [`Errno`] for every failure the guest can see
//! (a bad pointer, a closed fd, an unknown clock). Traps are kept for
//! `proc_exit` and broken host invariants; they are not errnos.

use std::fmt;

use wasi_fs_setup::{FsError, FsErrorKind};

/// A `wasi_snapshot_preview1` errno: one of the named constants.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(u16);

/// The result of a host-side operation whose failure the guest sees as an errno.
pub type SysResult<T> = Result<T, Errno>;

/// The names preview1 gives its errnos, by value.
const NAMES: [&str; 77] = [
    "success",
    "2big",
    "acces",
    "addrinuse",
    "addrnotavail",
    "afnosupport",
    "again",
    "already",
    "badf",
    "badmsg",
    "busy",
    "canceled",
    "child",
    "connaborted",
    "connrefused",
    "connreset",
    "deadlk",
    "destaddrreq",
    "dom",
    "dquot",
    "exist",
    "fault",
    "fbig",
    "hostunreach",
    "idrm",
    "ilseq",
    "inprogress",
    "intr",
    "inval",
    "io",
    "isconn",
    "isdir",
    "loop",
    "mfile",
    "mlink",
    "msgsize",
    "multihop",
    "nametoolong",
    "netdown",
    "netreset",
    "netunreach",
    "nfile",
    "nobufs",
    "nodev",
    "noent",
    "noexec",
    "nolck",
    "nolink",
    "nomem",
    "nomsg",
    "noprotoopt",
    "nospc",
    "nosys",
    "notconn",
    "notdir",
    "notempty",
    "notrecoverable",
    "notsock",
    "notsup",
    "notty",
    "nxio",
    "overflow",
    "ownerdead",
    "perm",
    "pipe",
    "proto",
    "protonosupport",
    "prototype",
    "range",
    "rofs",
    "spipe",
    "srch",
    "stale",
    "timedout",
    "txtbsy",
    "xdev",
    "notcapable",
];

impl Errno {
    /// `success` (0).
    pub const SUCCESS: Errno = Errno(0);
    /// `2big` (1).
    pub const TOOBIG: Errno = Errno(1);
    /// `acces` (2).
    pub const ACCESS: Errno = Errno(2);
    /// `addrinuse` (3).
    pub const ADDRINUSE: Errno = Errno(3);
    /// `addrnotavail` (4).
    pub const ADDRNOTAVAIL: Errno = Errno(4);
    /// `afnosupport` (5).
    pub const AFNOSUPPORT: Errno = Errno(5);
    /// `again` (6).
    pub const AGAIN: Errno = Errno(6);
    /// `already` (7).
    pub const ALREADY: Errno = Errno(7);
    /// `badf` (8).
    pub const BADF: Errno = Errno(8);
    /// `badmsg` (9).
    pub const BADMSG: Errno = Errno(9);
    /// `busy` (10).
    pub const BUSY: Errno = Errno(10);
    /// `canceled` (11).
    pub const CANCELED: Errno = Errno(11);
    /// `child` (12).
    pub const CHILD: Errno = Errno(12);
    /// `connaborted` (13).
    pub const CONNABORTED: Errno = Errno(13);
    /// `connrefused` (14).
    pub const CONNREFUSED: Errno = Errno(14);
    /// `connreset` (15).
    pub const CONNRESET: Errno = Errno(15);
    /// `deadlk` (16).
    pub const DEADLK: Errno = Errno(16);
    /// `destaddrreq` (17).
    pub const DESTADDRREQ: Errno = Errno(17);
    /// `dom` (18).
    pub const DOM: Errno = Errno(18);
    /// `dquot` (19).
    pub const DQUOT: Errno = Errno(19);
    /// `exist` (20).
    pub const EXIST: Errno = Errno(20);
    /// `fault` (21).
    pub const FAULT: Errno = Errno(21);
    /// `fbig` (22).
    pub const FBIG: Errno = Errno(22);
    /// `hostunreach` (23).
    pub const HOSTUNREACH: Errno = Errno(23);
    /// `idrm` (24).
    pub const IDRM: Errno = Errno(24);
    /// `ilseq` (25).
    pub const ILSEQ: Errno = Errno(25);
    /// `inprogress` (26).
    pub const INPROGRESS: Errno = Errno(26);
    /// `intr` (27).
    pub const INTR: Errno = Errno(27);
    /// `inval` (28).
    pub const INVAL: Errno = Errno(28);
    /// `io` (29).
    pub const IO: Errno = Errno(29);
    /// `isconn` (30).
    pub const ISCONN: Errno = Errno(30);
    /// `isdir` (31).
    pub const ISDIR: Errno = Errno(31);
    /// `loop` (32).
    pub const LOOP: Errno = Errno(32);
    /// `mfile` (33).
    pub const MFILE: Errno = Errno(33);
    /// `mlink` (34).
    pub const MLINK: Errno = Errno(34);
    /// `msgsize` (35).
    pub const MSGSIZE: Errno = Errno(35);
    /// `multihop` (36).
    pub const MULTIHOP: Errno = Errno(36);
    /// `nametoolong` (37).
    pub const NAMETOOLONG: Errno = Errno(37);
    /// `netdown` (38).
    pub const NETDOWN: Errno = Errno(38);
    /// `netreset` (39).
    pub const NETRESET: Errno = Errno(39);
    /// `netunreach` (40).
    pub const NETUNREACH: Errno = Errno(40);
    /// `nfile` (41).
    pub const NFILE: Errno = Errno(41);
    /// `nobufs` (42).
    pub const NOBUFS: Errno = Errno(42);
    /// `nodev` (43).
    pub const NODEV: Errno = Errno(43);
    /// `noent` (44).
    pub const NOENT: Errno = Errno(44);
    /// `noexec` (45).
    pub const NOEXEC: Errno = Errno(45);
    /// `nolck` (46).
    pub const NOLCK: Errno = Errno(46);
    /// `nolink` (47).
    pub const NOLINK: Errno = Errno(47);
    /// `nomem` (48).
    pub const NOMEM: Errno = Errno(48);
    /// `nomsg` (49).
    pub const NOMSG: Errno = Errno(49);
    /// `noprotoopt` (50).
    pub const NOPROTOOPT: Errno = Errno(50);
    /// `nospc` (51).
    pub const NOSPC: Errno = Errno(51);
    /// `nosys` (52).
    pub const NOSYS: Errno = Errno(52);
    /// `notconn` (53).
    pub const NOTCONN: Errno = Errno(53);
    /// `notdir` (54).
    pub const NOTDIR: Errno = Errno(54);
    /// `notempty` (55).
    pub const NOTEMPTY: Errno = Errno(55);
    /// `notrecoverable` (56).
    pub const NOTRECOVERABLE: Errno = Errno(56);
    /// `notsock` (57).
    pub const NOTSOCK: Errno = Errno(57);
    /// `notsup` (58).
    pub const NOTSUP: Errno = Errno(58);
    /// `notty` (59).
    pub const NOTTY: Errno = Errno(59);
    /// `nxio` (60).
    pub const NXIO: Errno = Errno(60);
    /// `overflow` (61).
    pub const OVERFLOW: Errno = Errno(61);
    /// `ownerdead` (62).
    pub const OWNERDEAD: Errno = Errno(62);
    /// `perm` (63).
    pub const PERM: Errno = Errno(63);
    /// `pipe` (64).
    pub const PIPE: Errno = Errno(64);
    /// `proto` (65).
    pub const PROTO: Errno = Errno(65);
    /// `protonosupport` (66).
    pub const PROTONOSUPPORT: Errno = Errno(66);
    /// `prototype` (67).
    pub const PROTOTYPE: Errno = Errno(67);
    /// `range` (68).
    pub const RANGE: Errno = Errno(68);
    /// `rofs` (69).
    pub const ROFS: Errno = Errno(69);
    /// `spipe` (70).
    pub const SPIPE: Errno = Errno(70);
    /// `srch` (71).
    pub const SRCH: Errno = Errno(71);
    /// `stale` (72).
    pub const STALE: Errno = Errno(72);
    /// `timedout` (73).
    pub const TIMEDOUT: Errno = Errno(73);
    /// `txtbsy` (74).
    pub const TXTBSY: Errno = Errno(74);
    /// `xdev` (75).
    pub const XDEV: Errno = Errno(75);
    /// `notcapable` (76).
    pub const NOTCAPABLE: Errno = Errno(76);

    /// The errno with value `raw`, if preview1 defines one.
    pub const fn from_raw(raw: u16) -> Option<Errno> {
        if (raw as usize) < NAMES.len() {
            Some(Errno(raw))
        } else {
            None
        }
    }

    /// The errno's value.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// The name preview1 gives it (`noent`, `2big`, ...).
    pub fn name(self) -> &'static str {
        NAMES.get(usize::from(self.0)).copied().unwrap_or("unknown")
    }

    /// The `i32` a host function returns for it.
    pub const fn to_wasm(self) -> i32 {
        self.0 as i32
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Errno::{}", const_name(*self))
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (errno {})", self.name(), self.0)
    }
}

impl std::error::Error for Errno {}

/// The constant's name of `errno`, for `Debug`.
fn const_name(errno: Errno) -> String {
    match errno.name() {
        "2big" => "TOOBIG".to_string(),
        "acces" => "ACCESS".to_string(),
        name => name.to_ascii_uppercase(),
    }
}

/// The `i32` a preview1 host function returns for `result`: 0 on success,
/// otherwise the errno's value.
pub fn result_to_wasm(result: SysResult<()>) -> i32 {
    match result {
        Ok(()) => Errno::SUCCESS.to_wasm(),
        Err(errno) => errno.to_wasm(),
    }
}

/// The errno for a file-world error.
///
/// Escapes from a directory capability (an absolute path, `..` above the
/// fd's directory, a symlink leading out) are ENOTCAPABLE, as wasmtime
/// reports them.
impl From<FsError> for Errno {
    fn from(e: FsError) -> Self {
        use FsErrorKind as K;
        match e.kind() {
            K::NotFound => Errno::NOENT,
            K::Exists => Errno::EXIST,
            K::NotDir => Errno::NOTDIR,
            K::IsDir => Errno::ISDIR,
            K::NotEmpty => Errno::NOTEMPTY,
            K::Loop => Errno::LOOP,
            K::NameTooLong => Errno::NAMETOOLONG,
            K::Access => Errno::ACCESS,
            K::Perm => Errno::PERM,
            K::Escape | K::NotCapable => Errno::NOTCAPABLE,
            K::Inval => Errno::INVAL,
            K::Io | K::Other => Errno::IO,
            K::XDev => Errno::XDEV,
            K::Unsupported => Errno::NOTSUP,
            K::BadF => Errno::BADF,
            K::MFile => Errno::MFILE,
            K::Busy => Errno::BUSY,
            K::NoSpace => Errno::NOSPC,
            K::ReadOnlyFs => Errno::ROFS,
            K::SPipe => Errno::SPIPE,
            K::Again => Errno::AGAIN,
            K::Interrupted => Errno::INTR,
            K::Pipe => Errno::PIPE,
            K::FBig => Errno::FBIG,
            K::Overflow => Errno::OVERFLOW,
            K::TextBusy => Errno::TXTBSY,
            K::NoDev => Errno::NODEV,
            // FsErrorKind is non_exhaustive: a kind added later is an I/O
            // error until it gets its own mapping.
            #[allow(unreachable_patterns, reason = "FsErrorKind is non_exhaustive")]
            _ => Errno::IO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest_memory::MemoryError;

    #[test]
    fn every_preview1_value_and_no_other() {
        for raw in 0u16..=76 {
            let errno = Errno::from_raw(raw).expect("preview1 value");
            assert_eq!(errno.raw(), raw);
            assert_eq!(errno.to_wasm(), i32::from(raw));
        }
        assert_eq!(Errno::from_raw(77), None);
        assert_eq!(Errno::from_raw(u16::MAX), None);
    }

    #[test]
    fn known_values_and_names() {
        assert_eq!(Errno::FAULT.to_wasm(), 21);
        assert_eq!(Errno::NOSYS.to_wasm(), 52);
        assert_eq!(Errno::AGAIN.to_wasm(), 6);
        assert_eq!(Errno::NOENT.raw(), 44);
        assert_eq!(Errno::NOTCAPABLE.raw(), 76);
        assert_eq!(Errno::TOOBIG.name(), "2big");
        assert_eq!(Errno::ACCESS.name(), "acces");
        assert_eq!(Errno::NOENT.to_string(), "noent (errno 44)");
        assert_eq!(format!("{:?}", Errno::TOOBIG), "Errno::TOOBIG");
        assert_eq!(result_to_wasm(Ok(())), 0);
        assert_eq!(result_to_wasm(Err(Errno::BADF)), 8);
    }

    #[test]
    fn memory_errors_are_efault() {
        let oob = MemoryError::OutOfBounds {
            ptr: 65_535,
            len: 2,
            memory_size: 65_536,
        };
        let overflow = MemoryError::Overflow {
            ptr: u32::MAX,
            len: 2,
        };
        assert_eq!(Errno::from(oob), Errno::FAULT);
        assert_eq!(Errno::from(overflow), Errno::FAULT);
    }

    #[test]
    fn file_world_errors() {
        assert_eq!(
            Errno::from(FsError::new(FsErrorKind::Escape)),
            Errno::NOTCAPABLE
        );
        assert_eq!(
            Errno::from(FsError::new(FsErrorKind::NoSpace)),
            Errno::NOSPC
        );
        assert_eq!(Errno::from(FsError::new(FsErrorKind::Other)), Errno::IO);
    }
}
