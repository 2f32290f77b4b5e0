//! [`VfsDir`]: a directory inside a [`VirtualFs`], and every path operation
//! relative to it.
//!
//! Each operation finds its target in one of two ways, both giving the
//! resolver's answer: the one-lookup fast path (`fast.rs`) on an inert
//! filesystem, or the resolver's walk ([`Walker`]) with the rule for the final
//! component the operation needs ([`FinalRule`], [`NameOp`]). What is left here
//! is the operation itself on the absolute, symlink-free path found, and the
//! bookkeeping it needs (inode numbers, the memory budget).

use std::fmt;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::executor::block_on;
use virtual_fs::FileSystem;

use super::file::VfsFile;
use super::{VfsWalk, VirtualFs, filetype_of, ns_of, os};
use crate::backing::common::second_dir;
use crate::backing::{
    Access, DirEntry, DirHandle, FileType, Filestat, OpenFlags, Opened, TimeSpec,
};
use crate::error::{FsError, FsErrorKind};
use crate::resolve::{
    Final, FinalRule, Last, NameOp, Resolved, Stack, Walk, WalkMeta, Walker, resolve_with,
    validate_path,
};

/// A directory inside a [`VirtualFs`].
pub struct VfsDir {
    pub(super) vfs: Arc<VirtualFs>,
    pub(super) path: PathBuf,
    access: Access,
}

impl fmt::Debug for VfsDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VfsDir({}:{}, {:?})",
            self.vfs.name(),
            self.path.display(),
            self.access
        )
    }
}

impl VfsDir {
    pub(super) fn new(vfs: Arc<VirtualFs>, path: PathBuf, access: Access) -> Self {
        VfsDir { vfs, path, access }
    }

    /// The absolute path of this directory inside its filesystem.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The filesystem this directory belongs to.
    pub fn vfs(&self) -> &Arc<VirtualFs> {
        &self.vfs
    }

    fn walker(&self) -> VfsWalk<'_> {
        VfsWalk { fs: self.fs() }
    }

    pub(super) fn fs(&self) -> &dyn FileSystem {
        &*self.vfs.fs
    }

    /// Walks all but the last component: the parent directory and the last component.
    fn parent(&self, path: &[u8]) -> Result<(PathBuf, Last), FsError> {
        if let Some(found) = self.fast_parent(path) {
            return Ok(found);
        }
        let w = self.walker();
        let mut st = Stack::new(&self.path);
        let last = Walker::new(&w).parent(&mut st, path)?;
        Ok((st.top().clone(), last))
    }

    /// Walks the whole path with `rule` for its final component: where it
    /// ends (this directory's path for `.`, the object's, or the place of a
    /// missing name), what is there, and whether the final name ended in `/`.
    fn walk(
        &self,
        path: &[u8],
        rule: FinalRule,
    ) -> Result<(PathBuf, Final<virtual_fs::Metadata>, bool), FsError> {
        let w = self.walker();
        let mut st = Stack::new(&self.path);
        let (last, found) = Walker::new(&w).locate(&mut st, path, rule)?;
        let (name, dir_required) = match last {
            Last::Itself => return Ok((st.top().clone(), Final::Itself, false)),
            Last::Name { name, dir_required } => (name, dir_required),
        };
        Ok(match found {
            Final::Found(Some(meta)) => (meta.path, Final::Found(Some(meta.md)), dir_required),
            // The final name is missing: its place is in the top directory.
            _ => (st.top().join(os(&name)), Final::Found(None), dir_required),
        })
    }

    /// Walks the whole path, following a final symlink if `follow`: the object's
    /// location and type (`None`: missing).
    fn locate(&self, path: &[u8], follow: bool) -> Result<(PathBuf, Option<FileType>), FsError> {
        let (loc, md) = self.locate_meta(path, follow)?;
        Ok((loc, md.as_ref().map(filetype_of)))
    }

    /// Like [`Self::locate`], with the object's metadata (`None`: missing).
    fn locate_meta(
        &self,
        path: &[u8],
        follow: bool,
    ) -> Result<(PathBuf, Option<virtual_fs::Metadata>), FsError> {
        if let Some((loc, md, _)) = self.fast_locate(path, follow) {
            return Ok((loc, md));
        }
        match self.walk(path, FinalRule::Follow(follow))? {
            (loc, Final::Itself, _) => {
                let md = self.fs().symlink_metadata(&loc)?;
                Ok((loc, Some(md)))
            }
            (loc, Final::Found(md), _) => Ok((loc, md)),
        }
    }

    fn kind_at(&self, dir: &Path, name: &[u8]) -> Result<Option<FileType>, FsError> {
        let dir = dir.to_path_buf();
        Ok(self.walker().kind(&dir, name)?.map(|m| m.filetype()))
    }

    /// The directory of a rename or link target: [`second_dir`], and on this
    /// very filesystem.
    fn second_dir<'a>(&self, new_dir: &'a dyn DirHandle) -> Result<&'a VfsDir, FsError> {
        let other: &VfsDir = second_dir(self.access, new_dir)?;
        if !Arc::ptr_eq(&other.vfs, &self.vfs) {
            return Err(FsErrorKind::XDev.into());
        }
        Ok(other)
    }

    /// Opens the object found by `open_at`'s lookup.
    fn open_target(
        &self,
        loc: PathBuf,
        kind: Option<FileType>,
        dir_required: bool,
        flags: OpenFlags,
    ) -> Result<Opened, FsError> {
        match kind {
            Some(FileType::Directory) => {
                if flags.create && flags.exclusive {
                    return Err(FsErrorKind::Exists.into());
                }
                if flags.create || flags.mutates() {
                    return Err(FsErrorKind::IsDir.into());
                }
                Ok(Opened::Dir(Box::new(VfsDir {
                    vfs: Arc::clone(&self.vfs),
                    path: loc,
                    access: self.access,
                })))
            }
            Some(_) => {
                if flags.directory || dir_required {
                    return Err(FsErrorKind::NotDir.into());
                }
                if flags.create && flags.exclusive {
                    return Err(FsErrorKind::Exists.into());
                }
                Ok(Opened::File(Box::new(VfsFile::open(
                    &self.vfs, &loc, flags,
                )?)))
            }
            None => {
                if !flags.create {
                    return Err(FsErrorKind::NotFound.into());
                }
                self.vfs.charge_object(FileType::RegularFile)?;
                match self
                    .fs()
                    .new_open_options()
                    .write(true)
                    .create_new(true)
                    .open(&loc)
                {
                    Ok(_) => {}
                    Err(virtual_fs::FsError::AlreadyExists) => {
                        self.vfs.refund_object(FileType::RegularFile);
                    }
                    Err(e) => {
                        self.vfs.refund_object(FileType::RegularFile);
                        return Err(e.into());
                    }
                }
                Ok(Opened::File(Box::new(VfsFile::open(
                    &self.vfs, &loc, flags,
                )?)))
            }
        }
    }
}

impl DirHandle for VfsDir {
    fn access(&self) -> Access {
        self.access
    }

    fn stat(&self) -> Result<Filestat, FsError> {
        self.vfs.stat_path(&self.path)
    }

    fn open_at(&self, path: &[u8], flags: OpenFlags) -> Result<Opened, FsError> {
        flags.check(self.access)?;
        let rule = FinalRule::Open(flags);
        // A final symlink (followed or not) always takes the walk below, which
        // applies the open rules for symlinks.
        let (loc, kind, dir_required) = match self.fast_locate(path, true) {
            Some((loc, md, dir_required)) => {
                rule.check_name(dir_required)?;
                (loc, md.as_ref().map(filetype_of), dir_required)
            }
            None => {
                let (loc, found, dir_required) = self.walk(path, rule)?;
                (loc, found.filetype(), dir_required)
            }
        };
        self.open_target(loc, kind, dir_required, flags)
    }

    fn stat_at(&self, path: &[u8], follow: bool) -> Result<Filestat, FsError> {
        match self.locate_meta(path, follow)? {
            (loc, Some(md)) => Ok(self.vfs.stat_of(&loc, &md)),
            (_, None) => Err(FsErrorKind::NotFound.into()),
        }
    }

    fn read_dir(&self) -> Result<Vec<DirEntry>, FsError> {
        Access::need(self.access.read)?;
        let entries = self.fs().read_dir(&self.path)?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().into_vec();
            let filetype = entry
                .metadata
                .as_ref()
                .map(filetype_of)
                .unwrap_or(FileType::Unknown);
            let ino = self.vfs.ino(&self.path.join(os(&name)));
            out.push(DirEntry {
                name,
                filetype,
                ino,
            });
        }
        Ok(out)
    }

    fn create_dir_at(&self, path: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.create)?;
        let (dir, last) = self.parent(path)?;
        let (name, dir_required) = NameOp::CreateDir.name(last)?;
        NameOp::CreateDir.check(self.kind_at(&dir, &name)?, dir_required)?;
        self.vfs.charge_object(FileType::Directory)?;
        self.fs()
            .create_dir(&dir.join(os(&name)))
            .inspect_err(|_| self.vfs.refund_object(FileType::Directory))?;
        Ok(())
    }

    fn remove_dir_at(&self, path: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        let (dir, last) = self.parent(path)?;
        let (name, dir_required) = NameOp::RemoveDir.name(last)?;
        NameOp::RemoveDir.check(self.kind_at(&dir, &name)?, dir_required)?;
        let loc = dir.join(os(&name));
        self.fs().remove_dir(&loc)?;
        self.vfs.forget(&loc);
        self.vfs.refund_object(FileType::Directory);
        Ok(())
    }

    fn unlink_at(&self, path: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        let (dir, last) = self.parent(path)?;
        let (name, dir_required) = NameOp::Unlink.name(last)?;
        let kind = self.kind_at(&dir, &name)?;
        NameOp::Unlink.check(kind, dir_required)?;
        let loc = dir.join(os(&name));
        self.fs().remove_file(&loc)?;
        self.vfs.forget(&loc);
        if let Some(kind) = kind {
            self.vfs.refund_object(kind);
        }
        Ok(())
    }

    fn rename_at(&self, old: &[u8], new_dir: &dyn DirHandle, new: &[u8]) -> Result<(), FsError> {
        let other = self.second_dir(new_dir)?;
        let (odir, olast) = self.parent(old)?;
        let (ndir, nlast) = other.parent(new)?;
        let (oname, odr) = NameOp::Rename.name(olast)?;
        let (nname, ndr) = NameOp::Rename.name(nlast)?;
        let okind = self.kind_at(&odir, &oname)?;
        NameOp::Rename.check(okind, odr || ndr)?;
        let odir_is_dir = okind == Some(FileType::Directory);
        let oloc = odir.join(os(&oname));
        let nloc = ndir.join(os(&nname));
        let nkind = self.kind_at(&ndir, &nname)?;
        if oloc == nloc {
            return Ok(());
        }
        if odir_is_dir {
            if nloc.starts_with(&oloc) {
                return Err(FsErrorKind::Inval.into());
            }
            match nkind {
                Some(FileType::Directory) => {
                    // POSIX replaces an empty directory; mem_fs would keep both names.
                    self.fs().remove_dir(&nloc)?;
                    self.vfs.forget(&nloc);
                    self.vfs.refund_object(FileType::Directory);
                }
                Some(_) => return Err(FsErrorKind::NotDir.into()),
                None => {}
            }
        } else if nkind == Some(FileType::Directory) {
            return Err(FsErrorKind::IsDir.into());
        }
        if okind == Some(FileType::SymbolicLink) {
            // mem_fs cannot rename a symlink node: recreate it under the new name.
            let target = self.fs().readlink(&oloc)?;
            if let Some(replaced) = nkind {
                self.fs().remove_file(&nloc)?;
                self.vfs.refund_object(replaced);
            }
            self.fs().create_symlink(&target, &nloc)?;
            self.fs().remove_file(&oloc)?;
        } else {
            block_on(self.fs().rename(&oloc, &nloc))?;
            // The object that was at the new name (not a directory: that
            // one was removed above) is gone.
            if let Some(replaced) = nkind.filter(|k| *k != FileType::Directory) {
                self.vfs.refund_object(replaced);
            }
        }
        self.vfs.moved(&oloc, &nloc);
        Ok(())
    }

    fn link_at(
        &self,
        old: &[u8],
        follow: bool,
        new_dir: &dyn DirHandle,
        new: &[u8],
    ) -> Result<(), FsError> {
        let other = self.second_dir(new_dir)?;
        let (oloc, okind) = self.locate(old, follow)?;
        NameOp::LinkFrom.check(okind, false)?;
        let (ndir, nlast) = other.parent(new)?;
        let (name, dir_required) = NameOp::NewLink.name(nlast)?;
        NameOp::NewLink.check(self.kind_at(&ndir, &name)?, dir_required)?;
        self.fs().hard_link(&oloc, &ndir.join(os(&name)))?;
        Ok(())
    }

    fn symlink_at(&self, target: &[u8], link: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.create)?;
        validate_path(target)?;
        let (dir, last) = self.parent(link)?;
        let (name, dir_required) = NameOp::NewLink.name(last)?;
        NameOp::NewLink.check(self.kind_at(&dir, &name)?, dir_required)?;
        self.vfs.charge_object(FileType::SymbolicLink)?;
        self.fs()
            .create_symlink(Path::new(os(target)), &dir.join(os(&name)))
            .inspect_err(|_| self.vfs.refund_object(FileType::SymbolicLink))?;
        Ok(())
    }

    fn readlink_at(&self, path: &[u8]) -> Result<Vec<u8>, FsError> {
        Access::need(self.access.read)?;
        let (dir, last) = self.parent(path)?;
        let (name, dir_required) = NameOp::Readlink.name(last)?;
        NameOp::Readlink.check(self.kind_at(&dir, &name)?, dir_required)?;
        self.walker().readlink(&dir, &name)
    }

    fn set_times_at(
        &self,
        path: &[u8],
        follow: bool,
        atime: TimeSpec,
        mtime: TimeSpec,
    ) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        let (loc, kind) = self.locate(path, follow)?;
        match kind {
            None => Err(FsErrorKind::NotFound.into()),
            Some(FileType::RegularFile) => {
                let mut f = self.fs().new_open_options().open(&loc)?;
                f.set_times(ns_of(atime), ns_of(mtime))?;
                Ok(())
            }
            Some(_) => Err(FsErrorKind::Unsupported.into()),
        }
    }

    fn resolve(&self, path: &[u8], follow: bool) -> Result<Resolved, FsError> {
        if let Some(resolved) = self.fast_resolve(path, follow) {
            return Ok(resolved);
        }
        resolve_with(&self.walker(), &self.path, path, follow)
    }

    fn reopen(&self, access: Access) -> Result<Box<dyn DirHandle>, FsError> {
        Ok(Box::new(VfsDir {
            vfs: Arc::clone(&self.vfs),
            path: self.path.clone(),
            access: self.access.intersection(access),
        }))
    }
}
