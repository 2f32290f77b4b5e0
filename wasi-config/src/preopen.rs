//! Preopened directories: where they come from, where the guest sees them,
//! and what it may do with them.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::bytes::{AsBytes, ByteDisplay};
use crate::guest_path::GuestPath;

/// The name of the default in-memory sandbox filesystem that virtual
/// preopens may name; the file-world layer registers it unless the user
/// supplies another filesystem under this name.
pub const SANDBOX_FS: &str = "sandbox";

/// What a guest may do in a preopened directory.
///
/// `create` implies `write`: a permission set with `create` always reports
/// [`write`](Permissions::write) as granted too.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Permissions {
    read: bool,
    write: bool,
    create: bool,
}

impl Permissions {
    /// No permission at all (rejected by validation on a preopen).
    pub const NONE: Permissions = Permissions::new(false, false, false);
    /// Read only.
    pub const READ_ONLY: Permissions = Permissions::new(true, false, false);
    /// Read, write and create.
    pub const ALL: Permissions = Permissions::new(true, true, true);

    /// Builds a permission set; `create` implies `write`.
    pub const fn new(read: bool, write: bool, create: bool) -> Self {
        Permissions {
            read,
            write: write || create,
            create,
        }
    }

    /// Reading files and listing directories.
    pub const fn read(self) -> bool {
        self.read
    }

    /// Writing and otherwise changing existing entries (true when `create`).
    pub const fn write(self) -> bool {
        self.write
    }

    /// Creating new files, directories and links.
    pub const fn create(self) -> bool {
        self.create
    }

    /// Whether at least one permission is granted.
    pub const fn any(self) -> bool {
        self.read || self.write || self.create
    }
}

impl fmt::Display for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = |on: bool, c: char| if on { c } else { '-' };
        write!(
            f,
            "{}{}{}",
            flag(self.read, 'r'),
            flag(self.write, 'w'),
            flag(self.create, 'c')
        )
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Permissions({self})")
    }
}

/// Where a preopened directory's contents come from.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Backing {
    /// A directory of the host, opened with kernel-checked confinement.
    Host(PathBuf),
    /// A directory inside a named virtual filesystem supplied to the
    /// file-world layer (see [`SANDBOX_FS`]).
    Virtual {
        /// The filesystem's name.
        filesystem: String,
        /// The directory inside that filesystem.
        path: PathBuf,
    },
}

impl fmt::Display for Backing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backing::Host(p) => write!(f, "host:{}", ByteDisplay(p.as_bytes())),
            Backing::Virtual { filesystem, path } => {
                write!(f, "{filesystem}:{}", ByteDisplay(path.as_bytes()))
            }
        }
    }
}

/// A preopen as the user described it, before validation.
///
/// Built by chaining by value:
///
/// ```
/// use wasi_config::{ConfigBuilder, PreopenSpec};
/// let mut b = ConfigBuilder::new("prog");
/// b.preopen(PreopenSpec::host("/srv/data").guest_path("/data").read(true));
/// b.preopen(PreopenSpec::virtual_dir("sandbox", "/scratch").guest_path("/tmp").read(true).create(true));
/// let cfg = b.validate().unwrap();
/// assert!(!cfg.preopens()[0].permissions().write());
/// assert!(cfg.preopens()[1].permissions().write());
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct PreopenSpec {
    pub(crate) backing: Backing,
    pub(crate) guest: Option<Vec<u8>>,
    pub(crate) permissions: Permissions,
}

impl PreopenSpec {
    /// A host directory, no permission yet, visible at its own path unless
    /// [`guest_path`](Self::guest_path) is set.
    pub fn host(dir: impl AsRef<Path>) -> Self {
        PreopenSpec {
            backing: Backing::Host(dir.as_ref().to_path_buf()),
            guest: None,
            permissions: Permissions::NONE,
        }
    }

    /// A directory inside the virtual filesystem named `filesystem`, no
    /// permission yet, visible at `path` unless [`guest_path`](Self::guest_path)
    /// is set.
    pub fn virtual_dir(filesystem: impl Into<String>, path: impl AsRef<Path>) -> Self {
        PreopenSpec {
            backing: Backing::Virtual {
                filesystem: filesystem.into(),
                path: path.as_ref().to_path_buf(),
            },
            guest: None,
            permissions: Permissions::NONE,
        }
    }

    /// Where the guest sees the directory (`data` and `/data` are the same).
    pub fn guest_path(mut self, guest: impl AsBytes) -> Self {
        self.guest = Some(guest.as_bytes().to_vec());
        self
    }

    /// Grants or withdraws reading.
    pub fn read(mut self, on: bool) -> Self {
        self.permissions = Permissions::new(on, self.permissions.write, self.permissions.create);
        self
    }

    /// Grants or withdraws writing (withdrawing also withdraws create).
    pub fn write(mut self, on: bool) -> Self {
        let create = self.permissions.create && on;
        self.permissions = Permissions::new(self.permissions.read, on, create);
        self
    }

    /// Grants or withdraws creating; granting it also grants write.
    pub fn create(mut self, on: bool) -> Self {
        self.permissions = Permissions::new(self.permissions.read, self.permissions.write, on);
        self
    }

    /// Sets all three permissions at once.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// The guest path bytes this spec will use: the explicit one, or the
    /// backing's own path.
    pub(crate) fn guest_bytes(&self) -> &[u8] {
        match (&self.guest, &self.backing) {
            (Some(g), _) => g,
            (None, Backing::Host(p)) => p.as_os_str().as_encoded_bytes(),
            (None, Backing::Virtual { path, .. }) => path.as_os_str().as_encoded_bytes(),
        }
    }
}

/// A validated preopen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preopen {
    pub(crate) guest: GuestPath,
    pub(crate) backing: Backing,
    pub(crate) permissions: Permissions,
}

impl Preopen {
    /// Where the guest sees the directory.
    pub fn guest_path(&self) -> &GuestPath {
        &self.guest
    }

    /// Where its contents come from.
    pub fn backing(&self) -> &Backing {
        &self.backing
    }

    /// What the guest may do in it.
    pub fn permissions(&self) -> Permissions {
        self.permissions
    }
}

impl fmt::Display for Preopen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} <- {} ({})",
            ByteDisplay(self.guest.as_bytes()),
            self.backing,
            self.permissions
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_implies_write() {
        let p = Permissions::new(false, false, true);
        assert!(p.write() && p.create() && !p.read());
        let spec = PreopenSpec::host("/x").create(true);
        assert!(spec.permissions.write());
        let spec = spec.write(false);
        assert!(!spec.permissions.write() && !spec.permissions.create());
    }

    #[test]
    fn display() {
        assert_eq!(Permissions::READ_ONLY.to_string(), "r--");
        assert_eq!(Permissions::ALL.to_string(), "rwc");
    }
}
