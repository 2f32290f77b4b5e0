//! Path resolution: the security core.
//!
//! A guest path is resolved relative to a directory handle, one component at a
//! time over a stack of directories, as cap-std does:
//! - an empty path is [`NotFound`](FsErrorKind::NotFound);
//! - an absolute path, and `..` with nothing left on the stack, is
//!   [`Escape`](FsErrorKind::Escape) (each directory handle is a capability for
//!   its own subtree, not just the preopen root);
//! - a symlink is read and its target spliced in; an absolute target or one
//!   that climbs out is `Escape`; more than [`MAX_SYMLINK_HOPS`] symlinks is
//!   [`Loop`](FsErrorKind::Loop);
//! - a component that must be a directory and is not gives
//!   [`NotDir`](FsErrorKind::NotDir), and so does a trailing slash on a
//!   non-directory;
//! - a component longer than [`NAME_MAX`] or a path of [`PATH_MAX`] bytes or more
//!   is [`NameTooLong`](FsErrorKind::NameTooLong); a NUL byte is
//!   [`Inval`](FsErrorKind::Inval).
//!
//! Each step looks at exactly one name inside the directory on top of the
//! stack, without following it. The walker is generic over that one-name
//! lookup (the crate-private `Walk` trait), so the same code serves
//! `virtual-fs` backings (whose filesystems do not resolve `..` and keep
//! symlinks as inert records), the host backing's [`DirHandle::resolve`]
//! (whose lookups are single-component, no-follow cap-std calls), and the
//! mount table's lookups of guest paths. The host backing's opens and stats
//! let cap-std (openat2 `RESOLVE_BENEATH`) do the walk; tests check that both
//! give the same answer case by case.
//!
//! Every rule about what a path means lives here, for both backings: the walk
//! above, what `path_open` does with a final symlink or trailing slash
//! ([`FinalRule`]), and what a final `.`/`..`, a missing name or a trailing
//! slash mean to each operation that acts on a name without following it
//! ([`NameOp`]). The backings only look names up and carry the operation out.
//!
//! What this module does not do: permission checks, and the final operation
//! itself (creating, removing, opening).

use std::path::{Path, PathBuf};

use crate::backing::{DirHandle, FileType, OpenFlags};
use crate::error::{FsError, FsErrorKind};

/// How many symlinks one resolution may follow before failing with `Loop`
/// (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINK_HOPS: u32 = 40;

/// The longest component, in bytes (Linux's `NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// Paths of this many bytes or more are refused (Linux's `PATH_MAX`, which counts the NUL).
pub const PATH_MAX: usize = 4096;

/// Where a path leads, relative to the directory it was resolved from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    path: Vec<u8>,
    filetype: Option<FileType>,
}

impl Resolved {
    pub(crate) fn new(path: Vec<u8>, filetype: Option<FileType>) -> Self {
        Resolved { path, filetype }
    }

    /// The symlink-free components from the starting directory to the object;
    /// none of them is empty, `.` or `..`. None when the path names the
    /// starting directory itself.
    pub fn components(&self) -> impl Iterator<Item = &[u8]> {
        self.path.split(|b| *b == b'/').filter(|c| !c.is_empty())
    }

    /// The components joined with `/` (empty for the starting directory).
    pub fn path_bytes(&self) -> &[u8] {
        &self.path
    }

    /// The components joined with `/`, or `.` for the starting directory.
    pub fn to_path_bytes(&self) -> Vec<u8> {
        if self.path.is_empty() {
            return b".".to_vec();
        }
        self.path.clone()
    }

    /// The object's type (a symlink when the final symlink was not followed),
    /// or `None` when the final component does not exist. Every other
    /// component exists and is a directory.
    pub fn filetype(&self) -> Option<FileType> {
        self.filetype
    }
}

/// Checks a guest path (or a symlink target) before any lookup.
pub fn validate_path(path: &[u8]) -> Result<(), FsError> {
    if path.is_empty() {
        return Err(FsErrorKind::NotFound.into());
    }
    if path.len() >= PATH_MAX {
        return Err(FsErrorKind::NameTooLong.into());
    }
    // One pass: a NUL anywhere wins over an absolute path, which wins over a long name.
    let mut component = 0usize;
    let mut too_long = false;
    for &b in path {
        match b {
            0 => return Err(FsErrorKind::Inval.into()),
            b'/' => component = 0,
            _ => {
                component += 1;
                too_long |= component > NAME_MAX;
            }
        }
    }
    if path[0] == b'/' {
        return Err(FsErrorKind::Escape.into());
    }
    if too_long {
        return Err(FsErrorKind::NameTooLong.into());
    }
    Ok(())
}

/// Whether `path` is a valid relative path made only of plain names: no
/// empty, `.` or `..` component and no trailing `/`, so it names the same
/// place as its bytes joined verbatim to a directory. One pass over the
/// bytes; `false` says nothing about validity (use [`validate_path`]).
pub(crate) fn is_plain(path: &[u8]) -> bool {
    if path.is_empty() || path.len() >= PATH_MAX {
        return false;
    }
    // Length of the current component and how many of its bytes are dots.
    let (mut len, mut dots) = (0usize, 0usize);
    for &b in path {
        match b {
            0 => return false,
            b'/' => {
                if len == dots && len <= 2 {
                    // Empty, `.` or `..` (covers a leading `/` too).
                    return false;
                }
                len = 0;
                dots = 0;
            }
            _ => {
                len += 1;
                dots += usize::from(b == b'.');
                if len > NAME_MAX {
                    return false;
                }
            }
        }
    }
    !(len == dots && len <= 2)
}

/// The final component of a path, as the operation on it sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Last {
    /// A name (never empty, `.` or `..`).
    Name {
        /// The name.
        name: Vec<u8>,
        /// The path ended with `/`: the object must be a directory (a symlink
        /// there is followed).
        dir_required: bool,
    },
    /// The path ends in `.` or `..` (or is `.`): it names the directory on top
    /// of the stack once the whole path has been walked.
    Itself,
}

impl Last {
    /// The name and whether the path ended in `/`; `err` when the path ends
    /// in `.` or `..` (no name to operate on).
    pub(crate) fn into_name(self, err: FsErrorKind) -> Result<(Vec<u8>, bool), FsError> {
        match self {
            Last::Name { name, dir_required } => Ok((name, dir_required)),
            Last::Itself => Err(err.into()),
        }
    }
}

/// Splits a validated path into the part to walk as directories and its last component.
pub(crate) fn split_last(path: &[u8]) -> (&[u8], Last) {
    let mut end = path.len();
    while end > 0 && path[end - 1] == b'/' {
        end -= 1;
    }
    let trimmed = &path[..end];
    let trailing = end < path.len();
    let (dirname, base) = match trimmed.iter().rposition(|b| *b == b'/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (&trimmed[..0], trimmed),
    };
    if base == b"." || base == b".." || base.is_empty() {
        return (trimmed, Last::Itself);
    }
    (
        dirname,
        Last::Name {
            name: base.to_vec(),
            dir_required: trailing,
        },
    )
}

/// An operation on the final name of a path that does not follow it, and
/// what that name must be for it: the answers both backings give, whatever
/// their filesystem would say. A backing whose kernel already answers
/// correctly for names without a trailing slash (the host) may consult
/// [`NameOp::check`] only when the path ended in `/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameOp {
    /// `path_create_directory`: the name must be free.
    CreateDir,
    /// `path_remove_directory`: an existing directory.
    RemoveDir,
    /// `path_unlink_file`: an existing non-directory, named without a trailing slash.
    Unlink,
    /// Either name of `path_rename` (`.` or `..` there is `Busy`);
    /// [`NameOp::check`] applies to the old one: an existing object, a
    /// directory when either name ends in `/`.
    Rename,
    /// The new name of `path_symlink` or `path_link`: the name must be free,
    /// and a trailing slash cannot name the new non-directory.
    NewLink,
    /// `path_readlink`: an existing symlink, named without a trailing slash.
    Readlink,
    /// The old name of `path_link` (looked up, following a final symlink if
    /// asked): an existing non-directory.
    LinkFrom,
}

impl NameOp {
    /// The name and whether the path ended in `/`, or this operation's error
    /// for a path that ends in `.` or `..` (it names no entry to act on).
    pub(crate) fn name(self, last: Last) -> Result<(Vec<u8>, bool), FsError> {
        last.into_name(match self {
            NameOp::CreateDir | NameOp::NewLink => FsErrorKind::Exists,
            NameOp::RemoveDir | NameOp::Readlink => FsErrorKind::Inval,
            NameOp::Unlink => FsErrorKind::IsDir,
            NameOp::Rename => FsErrorKind::Busy,
            NameOp::LinkFrom => FsErrorKind::Perm,
        })
    }

    /// Checks what is at the name (`None`: nothing), given whether the path
    /// ended in `/`.
    pub(crate) fn check(self, found: Option<FileType>, dir_required: bool) -> Result<(), FsError> {
        use FileType::{Directory, SymbolicLink};
        let err = match (self, found) {
            (NameOp::CreateDir | NameOp::NewLink, Some(_)) => FsErrorKind::Exists,
            (NameOp::NewLink, None) if dir_required => FsErrorKind::NotFound,
            (NameOp::CreateDir | NameOp::NewLink, None) => return Ok(()),
            (_, None) => FsErrorKind::NotFound,
            (NameOp::RemoveDir | NameOp::Rename, Some(Directory)) => return Ok(()),
            (NameOp::RemoveDir, Some(_)) => FsErrorKind::NotDir,
            (NameOp::Unlink, Some(Directory)) => FsErrorKind::IsDir,
            (NameOp::LinkFrom, Some(Directory)) => FsErrorKind::Perm,
            (NameOp::LinkFrom, Some(_)) => return Ok(()),
            (NameOp::Readlink, Some(SymbolicLink)) if !dir_required => return Ok(()),
            (NameOp::Readlink, Some(SymbolicLink | Directory)) => FsErrorKind::Inval,
            (NameOp::Unlink | NameOp::Rename | NameOp::Readlink, Some(_)) if dir_required => {
                FsErrorKind::NotDir
            }
            (NameOp::Unlink | NameOp::Rename, Some(_)) => return Ok(()),
            (NameOp::Readlink, Some(_)) => FsErrorKind::Inval,
        };
        Err(err.into())
    }
}

/// What the walk does with the final component: whether it follows a
/// symlink there, and what a trailing slash or a symlink forbids.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FinalRule {
    /// Follows a final symlink when `follow` is set or the path ends in `/`
    /// (resolve, stat, set times, the old name of a link).
    Follow(bool),
    /// `path_open`'s rules: with `O_CREAT` a trailing slash is `IsDir`
    /// (Linux, whatever is there); a final symlink is `Exists` under
    /// `O_CREAT|O_EXCL`, `Loop` (`NotDir` with `O_DIRECTORY`) under no-follow
    /// unless a trailing slash asks to follow it, and followed otherwise.
    Open(OpenFlags),
}

impl FinalRule {
    /// What the rule says about a final name before looking at what is there.
    pub(crate) fn check_name(self, dir_required: bool) -> Result<(), FsError> {
        match self {
            FinalRule::Open(flags) if flags.create && dir_required => {
                Err(FsErrorKind::IsDir.into())
            }
            _ => Ok(()),
        }
    }

    /// Whether a final symlink is followed, or the error for meeting one.
    fn follows_link(self, dir_required: bool) -> Result<bool, FsError> {
        match self {
            FinalRule::Follow(follow) => Ok(follow || dir_required),
            FinalRule::Open(flags) if flags.create && flags.exclusive => {
                Err(FsErrorKind::Exists.into())
            }
            FinalRule::Open(flags) if flags.nofollow && !dir_required => Err(if flags.directory {
                FsErrorKind::NotDir
            } else {
                FsErrorKind::Loop
            }
            .into()),
            FinalRule::Open(_) => Ok(true),
        }
    }
}

/// What a one-name lookup found.
pub(crate) trait WalkMeta {
    /// The type of the entry (a symlink is not followed).
    fn filetype(&self) -> FileType;
}

impl WalkMeta for FileType {
    fn filetype(&self) -> FileType {
        *self
    }
}

/// One-name lookups in a directory, without following anything: what the walker needs.
pub(crate) trait Walk {
    /// A directory reference (a host directory handle, or a path inside a virtual filesystem).
    type Dir;
    /// What [`Walk::kind`] reports about an entry.
    type Meta: WalkMeta;

    /// What `name` in `dir` is, not following a symlink; `None` if it does not exist.
    fn kind(&self, dir: &Self::Dir, name: &[u8]) -> Result<Option<Self::Meta>, FsError>;

    /// The target of the symlink `name` in `dir`.
    fn readlink(&self, dir: &Self::Dir, name: &[u8]) -> Result<Vec<u8>, FsError>;

    /// The directory `name` in `dir` (which [`Walk::kind`] just reported as
    /// `meta`), refusing to follow a symlink there.
    fn descend(&self, dir: &Self::Dir, name: &[u8], meta: Self::Meta)
    -> Result<Self::Dir, FsError>;

    /// A shortcut for walking through a component: the directory `name` in
    /// `dir` if it is one (never following a symlink), or `None` to classify
    /// it with [`Walk::kind`] first.
    fn try_descend(&self, _dir: &Self::Dir, _name: &[u8]) -> Result<Option<Self::Dir>, FsError> {
        Ok(None)
    }
}

/// The stack of directories walked so far, above a borrowed base, with the
/// path of names from the base to the top.
pub(crate) struct Stack<'b, D> {
    base: &'b D,
    path: Vec<u8>,
    frames: Vec<(usize, D)>,
}

impl<'b, D> Stack<'b, D> {
    pub(crate) fn new(base: &'b D) -> Self {
        Stack {
            base,
            path: Vec::new(),
            frames: Vec::new(),
        }
    }

    /// The directory on top.
    pub(crate) fn top(&self) -> &D {
        self.frames.last().map_or(self.base, |(_, d)| d)
    }

    fn push(&mut self, name: &[u8], dir: D) {
        self.frames.push((self.path.len(), dir));
        if !self.path.is_empty() {
            self.path.push(b'/');
        }
        self.path.extend_from_slice(name);
    }

    /// `..`: drops the top, or fails with `Escape` at the base.
    fn pop(&mut self) -> Result<(), FsError> {
        match self.frames.pop() {
            Some((len, _)) => {
                self.path.truncate(len);
                Ok(())
            }
            None => Err(FsErrorKind::Escape.into()),
        }
    }

    /// The path to `name` in the top directory (to the top itself for `None`).
    pub(crate) fn into_path_with(mut self, name: Option<&[u8]>) -> Vec<u8> {
        if let Some(name) = name {
            if !self.path.is_empty() {
                self.path.push(b'/');
            }
            self.path.extend_from_slice(name);
        }
        self.path
    }
}

/// What the final component turned out to be.
pub(crate) enum Final<M> {
    /// The path names the directory on top of the stack.
    Itself,
    /// The final name's lookup (`None`: it does not exist).
    Found(Option<M>),
}

impl<M: WalkMeta> Final<M> {
    /// The type of the object (`None`: missing).
    pub(crate) fn filetype(&self) -> Option<FileType> {
        match self {
            Final::Itself => Some(FileType::Directory),
            Final::Found(m) => m.as_ref().map(WalkMeta::filetype),
        }
    }
}

/// Walks paths over a [`Walk`], counting symlink hops across the whole resolution.
pub(crate) struct Walker<'w, W> {
    w: &'w W,
    hops: u32,
}

impl<'w, W: Walk> Walker<'w, W> {
    pub(crate) fn new(w: &'w W) -> Self {
        Walker { w, hops: 0 }
    }

    /// Reads the symlink `name` in `dir` as one more hop and checks its target.
    pub(crate) fn hop(&mut self, dir: &W::Dir, name: &[u8]) -> Result<Vec<u8>, FsError> {
        self.hops += 1;
        if self.hops > MAX_SYMLINK_HOPS {
            return Err(FsErrorKind::Loop.into());
        }
        let target = self.w.readlink(dir, name)?;
        validate_path(&target)?;
        Ok(target)
    }

    /// Walks every component of `path` as a directory, following symlinks.
    pub(crate) fn dirs(&mut self, st: &mut Stack<'_, W::Dir>, path: &[u8]) -> Result<(), FsError> {
        for comp in path.split(|b| *b == b'/') {
            match comp {
                b"" | b"." => {}
                b".." => st.pop()?,
                name => {
                    if let Some(dir) = self.w.try_descend(st.top(), name)? {
                        st.push(name, dir);
                        continue;
                    }
                    let Some(meta) = self.w.kind(st.top(), name)? else {
                        return Err(FsErrorKind::NotFound.into());
                    };
                    match meta.filetype() {
                        FileType::Directory => {
                            let dir = self.w.descend(st.top(), name, meta)?;
                            st.push(name, dir);
                        }
                        FileType::SymbolicLink => {
                            let target = self.hop(st.top(), name)?;
                            self.dirs(st, &target)?;
                        }
                        _ => return Err(FsErrorKind::NotDir.into()),
                    }
                }
            }
        }
        Ok(())
    }

    /// Validates `path`, walks all but its last component, and returns that one.
    pub(crate) fn parent(
        &mut self,
        st: &mut Stack<'_, W::Dir>,
        path: &[u8],
    ) -> Result<Last, FsError> {
        validate_path(path)?;
        let (dirname, last) = split_last(path);
        self.dirs(st, dirname)?;
        Ok(last)
    }

    /// Walks the final component with `rule`: follows symlinks there (each a
    /// hop, its target spliced in, a trailing slash carried over) while the
    /// rule asks for it, and returns the final component and what it is.
    pub(crate) fn finish(
        &mut self,
        st: &mut Stack<'_, W::Dir>,
        mut last: Last,
        rule: FinalRule,
    ) -> Result<(Last, Final<W::Meta>), FsError> {
        loop {
            let (name, dir_required) = match &last {
                Last::Itself => return Ok((last, Final::Itself)),
                Last::Name { name, dir_required } => (name, *dir_required),
            };
            rule.check_name(dir_required)?;
            let meta = self.w.kind(st.top(), name)?;
            match meta.as_ref().map(WalkMeta::filetype) {
                Some(FileType::SymbolicLink) if rule.follows_link(dir_required)? => {
                    let target = self.hop(st.top(), name)?;
                    let (dirname, next) = split_last(&target);
                    self.dirs(st, dirname)?;
                    last = match next {
                        Last::Name {
                            name,
                            dir_required: d,
                        } => Last::Name {
                            name,
                            dir_required: d || dir_required,
                        },
                        Last::Itself => Last::Itself,
                    };
                }
                Some(FileType::Directory) => return Ok((last, Final::Found(meta))),
                Some(_) if dir_required => return Err(FsErrorKind::NotDir.into()),
                _ => return Ok((last, Final::Found(meta))),
            }
        }
    }

    /// The whole walk of `path` with `rule` for its final component:
    /// [`Walker::parent`], then [`Walker::finish`].
    pub(crate) fn locate(
        &mut self,
        st: &mut Stack<'_, W::Dir>,
        path: &[u8],
        rule: FinalRule,
    ) -> Result<(Last, Final<W::Meta>), FsError> {
        let last = self.parent(st, path)?;
        self.finish(st, last, rule)
    }
}

/// Resolves `path` from `base` over `w`: the generic form of [`DirHandle::resolve`].
pub(crate) fn resolve_with<W: Walk>(
    w: &W,
    base: &W::Dir,
    path: &[u8],
    follow: bool,
) -> Result<Resolved, FsError> {
    let mut st = Stack::new(base);
    let (last, found) = Walker::new(w).locate(&mut st, path, FinalRule::Follow(follow))?;
    let filetype = found.filetype();
    let name = match &last {
        Last::Name { name, .. } => Some(name.as_slice()),
        Last::Itself => None,
    };
    Ok(Resolved::new(st.into_path_with(name), filetype))
}

/// Where `path` leads from the directory `dir`, following a final symlink if
/// `follow`: the entry point every path-taking syscall's checks share.
///
/// Host directories are walked with single-name, no-follow cap-std lookups;
/// virtual ones with lookups on their filesystem. Either way each step stays
/// below `dir`. The rules are those listed on [`DirHandle`].
pub fn resolve(dir: &dyn DirHandle, path: &[u8], follow: bool) -> Result<Resolved, FsError> {
    dir.resolve(path, follow)
}

/// Resolves `path` inside a `virtual_fs` filesystem, relative to the
/// directory `base` (an absolute path in that filesystem, itself free of
/// symlinks and `..`).
///
/// This is what the virtual backing runs before every operation; it is public
/// so callers (and tests) can ask where a path leads without a world.
pub fn resolve_virtual(
    fs: &dyn virtual_fs::FileSystem,
    base: &Path,
    path: &[u8],
    follow: bool,
) -> Result<Resolved, FsError> {
    let base = base.to_path_buf();
    resolve_with(&crate::backing::vfs::VfsWalk { fs }, &base, path, follow)
}

/// Joins a resolved relative path onto an absolute virtual path.
pub(crate) fn join_path(base: &Path, rel: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let mut p = PathBuf::with_capacity(base.as_os_str().len() + rel.len() + 1);
    p.push(base);
    if !rel.is_empty() {
        p.push(std::ffi::OsStr::from_bytes(rel));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str, d: bool) -> Last {
        Last::Name {
            name: n.as_bytes().to_vec(),
            dir_required: d,
        }
    }

    #[test]
    fn split_last_cases() {
        assert_eq!(split_last(b"a"), (&b""[..], name("a", false)));
        assert_eq!(split_last(b"a/b"), (&b"a"[..], name("b", false)));
        assert_eq!(split_last(b"a/b/"), (&b"a"[..], name("b", true)));
        assert_eq!(split_last(b"a//b//"), (&b"a/"[..], name("b", true)));
        assert_eq!(split_last(b"."), (&b"."[..], Last::Itself));
        assert_eq!(split_last(b"./"), (&b"."[..], Last::Itself));
        assert_eq!(split_last(b"a/.."), (&b"a/.."[..], Last::Itself));
        assert_eq!(split_last(b"a/./"), (&b"a/."[..], Last::Itself));
        assert_eq!(split_last(b"../x"), (&b".."[..], name("x", false)));
    }

    #[test]
    fn validate_cases() {
        let k = |p: &[u8]| validate_path(p).err().map(FsError::kind);
        assert_eq!(k(b""), Some(FsErrorKind::NotFound));
        assert_eq!(k(b"/"), Some(FsErrorKind::Escape));
        assert_eq!(k(b"/etc/passwd"), Some(FsErrorKind::Escape));
        assert_eq!(k(b"a\0b"), Some(FsErrorKind::Inval));
        assert_eq!(k(&[b'x'; 256]), Some(FsErrorKind::NameTooLong));
        assert_eq!(k(&[b'x'; 255]), None);
        let long: Vec<u8> = b"ab/".repeat(1400);
        assert_eq!(k(&long), Some(FsErrorKind::NameTooLong));
        assert_eq!(k(b"a/../b"), None);
    }

    #[test]
    fn plain_paths() {
        for p in [
            &b"a"[..],
            b"a/b",
            b"...",
            b"a/.b/c..",
            b"..a/b.",
            &[b'x'; 255],
        ] {
            assert!(is_plain(p), "{:?}", String::from_utf8_lossy(p));
            assert_eq!(validate_path(p).ok(), Some(()));
        }
        for p in [
            &b""[..],
            b"/",
            b"/a",
            b"a/",
            b"a//b",
            b".",
            b"..",
            b"a/.",
            b"a/..",
            b"./a",
            b"../a",
            b"a/./b",
            b"a/../b",
            b"a\0b",
            &[b'x'; 256],
        ] {
            assert!(!is_plain(p), "{:?}", String::from_utf8_lossy(p));
        }
        assert!(!is_plain(&b"ab/".repeat(1400)[..4199]));
    }

    proptest::proptest! {
        /// A plain path is valid, and its components are exactly its names.
        #[test]
        fn plain_agrees_with_components(path in "[a./]{0,12}") {
            let bytes = path.as_bytes();
            let names: Vec<&[u8]> = bytes.split(|b| *b == b'/').collect();
            let expected = !bytes.is_empty()
                && names.iter().all(|n| !matches!(*n, b"" | b"." | b".."));
            proptest::prop_assert_eq!(is_plain(bytes), expected);
            if expected {
                proptest::prop_assert!(validate_path(bytes).is_ok());
            }
        }
    }

    #[test]
    fn name_rules() {
        use FileType::{Directory as D, RegularFile as F, SymbolicLink as L};
        use FsErrorKind::*;
        let k = |op: NameOp, found, slash| op.check(found, slash).err().map(FsError::kind);
        // (operation, what is there, trailing slash, answer)
        let table = [
            (NameOp::CreateDir, None, true, None),
            (NameOp::CreateDir, Some(D), false, Some(Exists)),
            (NameOp::NewLink, None, false, None),
            (NameOp::NewLink, None, true, Some(NotFound)),
            (NameOp::NewLink, Some(F), false, Some(Exists)),
            (NameOp::RemoveDir, None, false, Some(NotFound)),
            (NameOp::RemoveDir, Some(D), true, None),
            (NameOp::RemoveDir, Some(L), false, Some(NotDir)),
            (NameOp::Unlink, Some(F), false, None),
            (NameOp::Unlink, Some(L), true, Some(NotDir)),
            (NameOp::Unlink, Some(D), false, Some(IsDir)),
            (NameOp::Rename, Some(F), false, None),
            (NameOp::Rename, Some(F), true, Some(NotDir)),
            (NameOp::Rename, Some(D), true, None),
            (NameOp::Readlink, Some(L), false, None),
            (NameOp::Readlink, Some(L), true, Some(Inval)),
            (NameOp::Readlink, Some(F), false, Some(Inval)),
            (NameOp::Readlink, Some(F), true, Some(NotDir)),
            (NameOp::Readlink, Some(D), true, Some(Inval)),
            (NameOp::LinkFrom, Some(F), false, None),
            (NameOp::LinkFrom, Some(D), false, Some(Perm)),
            (NameOp::LinkFrom, None, false, Some(NotFound)),
        ];
        for (op, found, slash, want) in table {
            assert_eq!(k(op, found, slash), want, "{op:?} {found:?} {slash}");
        }
        let itself = |op: NameOp| op.name(Last::Itself).err().map(FsError::kind);
        assert_eq!(itself(NameOp::CreateDir), Some(Exists));
        assert_eq!(itself(NameOp::RemoveDir), Some(Inval));
        assert_eq!(itself(NameOp::Unlink), Some(IsDir));
        assert_eq!(itself(NameOp::Rename), Some(Busy));
        assert_eq!(itself(NameOp::LinkFrom), Some(Perm));
    }

    #[test]
    fn open_rules_for_a_final_symlink() {
        let open = |f: OpenFlags| FinalRule::Open(f);
        let creat = OpenFlags {
            create: true,
            ..OpenFlags::default()
        };
        let excl = OpenFlags {
            exclusive: true,
            ..creat
        };
        let nofollow = OpenFlags {
            nofollow: true,
            ..OpenFlags::default()
        };
        let nofollow_dir = OpenFlags {
            directory: true,
            ..nofollow
        };
        let k = |r: Result<bool, FsError>| r.map_err(FsError::kind);
        assert_eq!(k(FinalRule::Follow(false).follows_link(false)), Ok(false));
        assert_eq!(k(FinalRule::Follow(false).follows_link(true)), Ok(true));
        assert_eq!(k(open(creat).follows_link(false)), Ok(true));
        assert_eq!(k(open(excl).follows_link(false)), Err(FsErrorKind::Exists));
        assert_eq!(
            k(open(nofollow).follows_link(false)),
            Err(FsErrorKind::Loop)
        );
        assert_eq!(
            k(open(nofollow_dir).follows_link(false)),
            Err(FsErrorKind::NotDir)
        );
        assert_eq!(k(open(nofollow).follows_link(true)), Ok(true));
        let name = |r: FinalRule, slash| r.check_name(slash).err().map(FsError::kind);
        assert_eq!(name(open(creat), true), Some(FsErrorKind::IsDir));
        assert_eq!(name(open(creat), false), None);
        assert_eq!(name(FinalRule::Follow(true), true), None);
    }

    #[test]
    fn resolved_path_bytes() {
        let r = Resolved::new(b"a/b".to_vec(), None);
        assert_eq!(r.to_path_bytes(), b"a/b");
        assert_eq!(r.components().collect::<Vec<_>>(), vec![&b"a"[..], b"b"]);
        let r = Resolved::new(Vec::new(), Some(FileType::Directory));
        assert_eq!(r.to_path_bytes(), b".");
        assert_eq!(r.components().count(), 0);
    }
}
