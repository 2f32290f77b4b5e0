//! Packages: webc containers (v2 and v3) loaded from files or bytes into a
//! [`PackageCache`] shared by every environment of a launcher.
//!
//! - [`loader`]: bytes to a checked [`Package`]. Every volume and atom is
//!   read once at load time (inside `catch_unwind`), so a malformed,
//!   truncated or hostile container is a [`LaunchError`] then, not a panic
//!   later. A container is only ever read from memory: nothing it declares
//!   (symlinks, paths) reaches the host filesystem.
//! - [`cache`]: the index (`name`, `name@MAJOR`, `name@MAJOR.MINOR`,
//!   `name@MAJOR.MINOR.PATCH`), idempotent reloads and version conflicts.
//! - [`resolve`]: a configuration's `uses` against the cache, and the
//!   read-only mounts of the used packages' volumes.
//!
//! What this module does not do: download anything (there is no registry
//! client), follow a package's own dependencies, or run atoms that live in
//! another package.

mod cache;
mod loader;
pub(crate) mod resolve;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use wasi_config::GuestPath;

use crate::error::LaunchError;
use wasi_fs_setup::SharedFileSystem;

pub use cache::PackageCache;
pub use loader::MAX_VOLUME_ENTRIES;
use loader::load_package;
pub use resolve::mount_packages;

/// A loaded package: its identity, commands and volumes.
pub struct Package {
    pub(crate) name: String,
    pub(crate) version: semver::Version,
    pub(crate) digest: [u8; 32],
    pub(crate) container: webc::Container,
    pub(crate) entrypoint: Option<String>,
    /// Command name to the name of its atom in this container.
    pub(crate) commands: BTreeMap<String, Result<String, String>>,
    pub(crate) mounts: Vec<VolumeMount>,
}

/// Where one of a package's volumes appears in the guest's file world.
#[derive(Clone)]
pub struct VolumeMount {
    /// The volume's name in the container.
    pub volume: String,
    /// The directory inside the volume that is mounted (`/` for all of it).
    pub path_in_volume: PathBuf,
    /// Where the guest sees it.
    pub guest_path: GuestPath,
    pub(crate) fs: SharedFileSystem,
}

impl fmt::Debug for VolumeMount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VolumeMount")
            .field("volume", &self.volume)
            .field("path_in_volume", &self.path_in_volume)
            .field("guest_path", &self.guest_path)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Package")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("entrypoint", &self.entrypoint)
            .field("commands", &self.commands.keys().collect::<Vec<_>>())
            .field("mounts", &self.mounts)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

impl Package {
    /// The full name (`namespace/name`, as the manifest's `wapm` annotation
    /// gives it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version.
    pub fn version(&self) -> &semver::Version {
        &self.version
    }

    /// The SHA-256 of the container bytes: two loads with the same digest
    /// are the same package.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The container (manifest, atoms, volumes).
    pub fn container(&self) -> &webc::Container {
        &self.container
    }

    /// The command run when none is named: the manifest's entrypoint, or the
    /// only command.
    pub fn entrypoint(&self) -> Option<&str> {
        self.entrypoint.as_deref()
    }

    /// The names of the package's commands.
    pub fn commands(&self) -> impl Iterator<Item = &str> {
        self.commands.keys().map(String::as_str)
    }

    /// Whether the package has a command `name`.
    pub fn has_command(&self, name: &str) -> bool {
        self.commands.contains_key(name)
    }

    /// The wasm bytes of command `name`'s atom.
    pub fn command_atom(&self, name: &str) -> Result<Vec<u8>, LaunchError> {
        let missing = |reason: String| LaunchError::PackageCommand {
            package: self.to_string(),
            command: name.to_string(),
            reason,
        };
        match self.commands.get(name) {
            None => Err(missing("no such command".into())),
            Some(Err(reason)) => Err(missing(reason.clone())),
            Some(Ok(atom)) => self
                .container
                .get_atom(atom)
                .map(|bytes| bytes.to_vec())
                .ok_or_else(|| missing(format!("its atom `{atom}` is not in the container"))),
        }
    }

    /// The package's volumes and where they are mounted.
    pub fn mounts(&self) -> &[VolumeMount] {
        &self.mounts
    }
}
