//! The one-lookup fast path, and why it gives the walk's answer.
//!
//! On an in-memory filesystem this crate created itself
//! ([`VirtualFs::in_memory`](super::VirtualFs::in_memory), the default
//! sandbox), where a lookup can only pass through real directories, a path
//! without `..` whose final component needs no symlink following is checked
//! with a single lookup instead; anything else takes the walk.
//!
//! Soundness. Because this crate made the filesystem, it knows that looking
//! up a path never traverses a symlink there (a `mem_fs` lookup fails on any
//! non-directory component); such a filesystem is *inert*. Mounting another
//! filesystem into it (through `TmpFileSystem::union` on
//! [`VirtualFs::filesystem`](super::VirtualFs::filesystem)) voids that
//! knowledge, so only a filesystem made by `in_memory` is marked inert. On an
//! inert filesystem a lookup only passes through real directories, so a
//! directory reached by one lookup of the lexical path is exactly what the
//! walk would have reached: the walk's stack only grows by names when the path
//! has no `..`, `.` and empty components change nothing, and each name it
//! pushes must be a directory, which is what a successful lookup through it
//! proves. The final component is answered here only when the walk would
//! answer the same without following anything: a directory, a symlink that is
//! not to be followed, a non-directory without a trailing slash, or a missing
//! name whose parent is a directory. Every other case (`..`, a final symlink to
//! follow, a trailing slash on a non-directory, any lookup error) returns
//! `None` and takes the walk, which also produces the precise error.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use super::{VfsDir, filetype_of, os};
use crate::backing::FileType;
use crate::resolve::{Last, Resolved, is_plain, split_last, validate_path};

/// Where the fast path says a path leads: the location, its metadata
/// (`None`: missing) and whether the path ended in `/`.
pub(super) type FastFound = (PathBuf, Option<virtual_fs::Metadata>, bool);

impl VfsDir {
    /// The lexical directory part of `path` below this directory, if it has
    /// no `..`, and whether it names a directory below this one (rather than
    /// this directory itself); `extra` bytes are reserved for a final name.
    fn lexical_dir(&self, dirname: &[u8], extra: usize) -> Option<(PathBuf, bool)> {
        if is_plain(dirname) {
            let mut dir = self.joined(dirname);
            dir.as_mut_os_string().reserve(extra + 1);
            return Some((dir, true));
        }
        let base = self.path.as_os_str().as_bytes();
        let mut buf = Vec::with_capacity(base.len() + dirname.len() + extra + 2);
        buf.extend_from_slice(base);
        let mut n = 0;
        for c in dirname.split(|b| *b == b'/') {
            match c {
                b"" | b"." => {}
                b".." => return None,
                name => {
                    if buf.last() != Some(&b'/') {
                        buf.push(b'/');
                    }
                    buf.extend_from_slice(name);
                    n += 1;
                }
            }
        }
        Some((PathBuf::from(OsString::from_vec(buf)), n > 0))
    }

    /// The parent directory of `path` with one lookup, when the filesystem is
    /// inert and the path has no `..`; `None` means "walk it".
    pub(super) fn fast_parent(&self, path: &[u8]) -> Option<(PathBuf, Last)> {
        if !self.vfs.inert || validate_path(path).is_err() {
            return None;
        }
        let (dirname, last) = split_last(path);
        let (dir, nested) = self.lexical_dir(dirname, 0)?;
        // On an inert filesystem a lookup only passes through real directories,
        // so a directory here is exactly what the walk would have reached.
        if nested && !self.fs().symlink_metadata(&dir).ok()?.is_dir() {
            return None;
        }
        Some((dir, last))
    }

    /// `path` joined verbatim below this directory (for a plain path).
    fn joined(&self, path: &[u8]) -> PathBuf {
        let base = self.path.as_os_str().as_bytes();
        let mut buf = Vec::with_capacity(base.len() + 1 + path.len());
        buf.extend_from_slice(base);
        if buf.last() != Some(&b'/') {
            buf.push(b'/');
        }
        buf.extend_from_slice(path);
        PathBuf::from(OsString::from_vec(buf))
    }

    /// [`Self::locate`] with one or two lookups, when the filesystem is inert,
    /// the path has no `..`, and no final symlink needs following; `None`
    /// means "walk it" (which also produces the precise error). Returns the
    /// location, its metadata (`None`: missing) and whether the path ended in `/`.
    pub(super) fn fast_locate(&self, path: &[u8], follow: bool) -> Option<FastFound> {
        if !self.vfs.inert {
            return None;
        }
        if is_plain(path) {
            // The common case: no `.`, `..`, empty component or trailing `/`.
            let nested = path.contains(&b'/');
            return self.inert_final(self.joined(path), nested, follow, false);
        }
        if validate_path(path).is_err() {
            return None;
        }
        let (dirname, last) = split_last(path);
        let name_len = match &last {
            Last::Name { name, .. } => name.len(),
            Last::Itself => 0,
        };
        let (mut loc, nested) = self.lexical_dir(dirname, name_len)?;
        let Last::Name { name, dir_required } = last else {
            let md = self.fs().symlink_metadata(&loc).ok()?;
            return md.is_dir().then_some((loc, Some(md), false));
        };
        loc.push(os(&name));
        self.inert_final(loc, nested, follow, dir_required)
    }

    /// The fast path's answer for the final component at `loc` on an inert
    /// filesystem; `nested` says the parent is not this directory itself (so
    /// it must be checked to be a directory when `loc` is missing).
    fn inert_final(
        &self,
        mut loc: PathBuf,
        nested: bool,
        follow: bool,
        dir_required: bool,
    ) -> Option<FastFound> {
        match self.fs().symlink_metadata(&loc) {
            Ok(md) => {
                let clean = match filetype_of(&md) {
                    FileType::Directory => true,
                    FileType::SymbolicLink => !(follow || dir_required),
                    _ => !dir_required,
                };
                clean.then_some((loc, Some(md), dir_required))
            }
            Err(virtual_fs::FsError::EntryNotFound) => {
                if nested {
                    let name = loc.file_name()?.to_os_string();
                    loc.pop();
                    if !self.fs().symlink_metadata(&loc).ok()?.is_dir() {
                        return None;
                    }
                    loc.push(name);
                }
                Some((loc, None, dir_required))
            }
            Err(_) => None,
        }
    }

    /// [`DirHandle::resolve`](crate::backing::DirHandle::resolve) through
    /// [`VfsDir::fast_locate`]; `None` means "walk it".
    pub(super) fn fast_resolve(&self, path: &[u8], follow: bool) -> Option<Resolved> {
        let (loc, md, _) = self.fast_locate(path, follow)?;
        // The fast path builds `loc` by appending to this directory's path.
        let base_len = self.path.as_os_str().len();
        let rest = loc
            .as_os_str()
            .as_bytes()
            .get(base_len..)
            .unwrap_or_default();
        let rel = rest.strip_prefix(b"/").unwrap_or(rest).to_vec();
        Some(Resolved::new(rel, md.as_ref().map(filetype_of)))
    }
}
