//! What the host and virtual backings share, apart from path resolution
//! (which is all in [`crate::resolve`](mod@crate::resolve)).

use super::{Access, DirHandle};
use crate::error::{FsError, FsErrorKind};

/// The checks that open `path_rename` and `path_link`, in this order: the
/// source directory (with mask `from`) may modify, the target directory `to`
/// may add names, and `to` is of this same backing `T` (else `XDev`). Returns
/// `to` as a `T`.
pub(super) fn second_dir<T: DirHandle>(from: Access, to: &dyn DirHandle) -> Result<&T, FsError> {
    Access::need(from.write)?;
    Access::need(to.access().create)?;
    let any: &dyn std::any::Any = to;
    any.downcast_ref::<T>()
        .ok_or_else(|| FsError::new(FsErrorKind::XDev))
}

/// `BadF` unless the file was opened for what is asked (`allowed`): a read
/// through a handle not opened for reading, a write through one not opened
/// for writing.
pub(super) fn open_for(allowed: bool) -> Result<(), FsError> {
    if allowed {
        Ok(())
    } else {
        Err(FsErrorKind::BadF.into())
    }
}

/// The [`FileType`](super::FileType) a filesystem's own file-type value
/// stands for, asked through the predicates that `cap_std::fs::FileType`
/// (with `FileTypeExt`) and `virtual_fs::FileType` both answer; a kind
/// preview1 cannot name (a FIFO) is `Unknown`.
macro_rules! filetype_from {
    ($ft:expr) => {{
        let ft = $ft;
        if ft.is_dir() {
            $crate::backing::FileType::Directory
        } else if ft.is_symlink() {
            $crate::backing::FileType::SymbolicLink
        } else if ft.is_file() {
            $crate::backing::FileType::RegularFile
        } else if ft.is_char_device() {
            $crate::backing::FileType::CharacterDevice
        } else if ft.is_block_device() {
            $crate::backing::FileType::BlockDevice
        } else if ft.is_socket() {
            $crate::backing::FileType::SocketStream
        } else {
            $crate::backing::FileType::Unknown
        }
    }};
}
pub(super) use filetype_from;
