//! The world: a validated configuration turned into the guest's initial file world.
//!
//! [`WorldBuilder`] takes a [`wasi_config::Config`] plus what a configuration
//! cannot hold: named virtual filesystems, the stdio slots and setup hooks.
//! [`WorldBuilder::build`] opens every preopen (host directories through
//! cap-std, virtual ones inside their filesystem), mounts them in the
//! [`MountTable`], runs the hooks, and fills the [`FdTable`]: stdio at 0, 1, 2,
//! preopens from 3 in configuration order.
//!
//! Defaults: every stdio slot inherits the host's stream; a filesystem named
//! [`wasi_config::SANDBOX_FS`] that the caller did not register is a fresh,
//! empty `TmpFileSystem`, in which the directories of virtual preopens are
//! created. Directories of a caller's filesystem must already exist.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

use wasi_config::{Backing, Config, SANDBOX_FS};

use crate::backing::host::HostDir;
use crate::backing::vfs::{MAX_SANDBOX_BYTES, SharedFileSystem, VirtualFs};
use crate::backing::{Access, DirHandle, FileType, OpenFlags, Opened, now_ns};
use crate::error::{FsError, FsErrorKind, SetupError};
use crate::fd_table::{Fd, FdEntry, FdFlags, FdObject, FdTable, PreopenInfo};
use crate::mounts::{MountTable, SYNTHETIC_DEV};
use crate::resolve::Resolved;
use crate::rights::FdRights;
use crate::stdio::{StdioFd, StdioSlot, StdioStream};

impl From<wasi_config::Permissions> for Access {
    fn from(p: wasi_config::Permissions) -> Self {
        Access {
            read: p.read(),
            write: p.write() || p.create(),
            create: p.create(),
        }
    }
}

type Hook = Box<dyn FnOnce(&mut SetupContext<'_>) -> Result<(), SetupError>>;

/// Builds a [`World`]: one `&mut self` method per option, as every builder
/// with many options in this workspace.
///
/// ```
/// use std::sync::Arc;
/// use wasi_fs_setup::{World, StdioSlot};
///
/// let mut b = wasi_config::ConfigBuilder::new("prog");
/// b.preopen(wasi_config::PreopenSpec::virtual_dir("sandbox", "/work").guest_path("/work").read(true).create(true));
/// let config = b.validate()?;
/// let (stdout, captured) = StdioSlot::capture();
/// let world = World::builder(&config)
///     .stdout(stdout)
///     .setup(|ctx| ctx.write_file("/work/hello.txt", "hi"))
///     .build()?;
/// assert_eq!(world.fds().preopens().next().map(|(fd, _)| fd), Some(3));
/// assert!(captured.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WorldBuilder<'c> {
    config: &'c Config,
    filesystems: Vec<(String, SharedFileSystem)>,
    stdio: [StdioSlot; 3],
    hooks: Vec<Hook>,
    mounts: Vec<ExtraMount>,
    sandbox_limit: u64,
}

/// A directory of a registered filesystem mounted by
/// [`WorldBuilder::mount`] (not part of the configuration).
struct ExtraMount {
    guest_path: wasi_config::GuestPath,
    filesystem: String,
    path: std::path::PathBuf,
    access: Access,
}

impl fmt::Debug for WorldBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorldBuilder")
            .field(
                "filesystems",
                &self.filesystems.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("stdio", &self.stdio)
            .field("hooks", &self.hooks.len())
            .finish_non_exhaustive()
    }
}

impl<'c> WorldBuilder<'c> {
    /// A builder for `config` with the defaults listed in the module docs.
    pub fn new(config: &'c Config) -> Self {
        WorldBuilder {
            config,
            filesystems: Vec::new(),
            stdio: [StdioSlot::Inherit, StdioSlot::Inherit, StdioSlot::Inherit],
            hooks: Vec::new(),
            mounts: Vec::new(),
            sandbox_limit: MAX_SANDBOX_BYTES,
        }
    }

    /// The most host memory the default in-memory sandbox holds (default
    /// [`MAX_SANDBOX_BYTES`]; see [`MemoryBudget`](crate::MemoryBudget) for what counts). Writes
    /// and creations past it fail with ENOSPC. No effect when
    /// [`wasi_config::SANDBOX_FS`] is registered by the caller.
    pub fn sandbox_limit(&mut self, bytes: u64) -> &mut Self {
        self.sandbox_limit = bytes;
        self
    }

    /// Mounts the directory `path` of the filesystem registered as
    /// `filesystem` at `guest_path`, as an extra preopen whose fd follows
    /// the configuration's preopens (in the order mounted). The guest gets
    /// read-only access when `read_only`, otherwise read, write and create.
    /// Its [`PreopenInfo::index`] is the configuration's preopen count plus
    /// its position among the extra mounts.
    pub fn mount(
        &mut self,
        guest_path: wasi_config::GuestPath,
        filesystem: impl Into<String>,
        path: impl Into<std::path::PathBuf>,
        read_only: bool,
    ) -> &mut Self {
        self.mounts.push(ExtraMount {
            guest_path,
            filesystem: filesystem.into(),
            path: path.into(),
            access: if read_only {
                Access::READ_ONLY
            } else {
                Access::READ_WRITE_CREATE
            },
        });
        self
    }

    /// Registers a virtual filesystem under `name` (replacing an earlier one
    /// of that name). Register [`wasi_config::SANDBOX_FS`] to replace the
    /// default sandbox.
    pub fn filesystem(&mut self, name: impl Into<String>, fs: SharedFileSystem) -> &mut Self {
        let name = name.into();
        self.filesystems.retain(|(n, _)| *n != name);
        self.filesystems.push((name, fs));
        self
    }

    /// What fd 0 reads from (default: the host's stdin).
    pub fn stdin(&mut self, slot: StdioSlot) -> &mut Self {
        self.stdio[0] = slot;
        self
    }

    /// Where fd 1 writes to (default: the host's stdout).
    pub fn stdout(&mut self, slot: StdioSlot) -> &mut Self {
        self.stdio[1] = slot;
        self
    }

    /// Where fd 2 writes to (default: the host's stderr).
    pub fn stderr(&mut self, slot: StdioSlot) -> &mut Self {
        self.stdio[2] = slot;
        self
    }

    /// Adds a hook that runs after the preopens are mounted and before the
    /// fd table is filled; hooks run in the order they were added.
    pub fn setup<F>(&mut self, hook: F) -> &mut Self
    where
        F: FnOnce(&mut SetupContext<'_>) -> Result<(), SetupError> + 'static,
    {
        self.hooks.push(Box::new(hook));
        self
    }

    /// Opens and mounts every preopen, runs the hooks and fills the fd table.
    ///
    /// The world takes the builder's stdio slots, filesystems, mounts and
    /// hooks (a stdio slot or a hook is used once): building again from the
    /// same builder gives a world with the defaults for those.
    pub fn build(&mut self) -> Result<World, SetupError> {
        let config = self.config;
        let sandbox_limit = self.sandbox_limit;
        let filesystems = std::mem::take(&mut self.filesystems);
        let stdio = std::mem::take(&mut self.stdio);
        if let Some(cap) = config.capabilities().max_capture_bytes() {
            let cap = usize::try_from(cap).unwrap_or(usize::MAX);
            for slot in &stdio {
                if let StdioSlot::Capture(buffer) = slot {
                    buffer.lower_limit(cap);
                }
            }
        }
        let hooks = std::mem::take(&mut self.hooks);
        let mounts = std::mem::take(&mut self.mounts);
        let max = config.capabilities().max_open_fds();
        let needed = 3usize
            .saturating_add(config.preopens().len())
            .saturating_add(mounts.len());
        if needed > max.get() {
            return Err(SetupError::TooManyPreopens {
                needed,
                max: max.get(),
            });
        }

        let mut registry: BTreeMap<String, Arc<VirtualFs>> = BTreeMap::new();
        for (i, (name, fs)) in filesystems.into_iter().enumerate() {
            let vfs = VirtualFs::new(name.clone(), fs, SYNTHETIC_DEV + 1 + i as u64);
            registry.insert(name, vfs);
        }
        // The default sandbox exists only where something can reach it: a
        // preopen or mount of it, or a hook (which may ask for it). A world
        // without one launches without building an empty filesystem.
        let uses_sandbox = !hooks.is_empty()
            || mounts.iter().any(|m| m.filesystem == SANDBOX_FS)
            || config.preopens().iter().any(|p| {
                matches!(p.backing(), Backing::Virtual { filesystem, .. } if filesystem == SANDBOX_FS)
            });
        let default_sandbox = uses_sandbox && !registry.contains_key(SANDBOX_FS);
        if default_sandbox {
            let dev = SYNTHETIC_DEV + 1 + registry.len() as u64;
            registry.insert(
                SANDBOX_FS.to_string(),
                VirtualFs::in_memory_with_limit(SANDBOX_FS, dev, sandbox_limit),
            );
        }

        let mut table = MountTable::new(now_ns());
        let mut preopen_fds = Vec::with_capacity(config.preopens().len());
        for (index, preopen) in config.preopens().iter().enumerate() {
            let guest = preopen.guest_path();
            let guest_path = guest.to_string();
            let access = Access::from(preopen.permissions());
            let full: Box<dyn DirHandle> = match preopen.backing() {
                Backing::Host(host_path) => Box::new(open_host(&guest_path, host_path)?),
                Backing::Virtual { filesystem, path } => {
                    let vfs =
                        registry
                            .get(filesystem)
                            .ok_or_else(|| SetupError::UnknownFilesystem {
                                guest_path: guest_path.clone(),
                                filesystem: filesystem.clone(),
                            })?;
                    let fail = |source| SetupError::VirtualDir {
                        guest_path: guest_path.clone(),
                        filesystem: filesystem.clone(),
                        path: path.clone(),
                        source,
                    };
                    if default_sandbox && filesystem == SANDBOX_FS {
                        vfs.create_dir_all(path).map_err(fail)?;
                    }
                    Box::new(
                        vfs.open_dir(path, Access::READ_WRITE_CREATE)
                            .map_err(fail)?,
                    )
                }
                other => {
                    return Err(SetupError::UnsupportedBacking {
                        guest_path,
                        backing: other.to_string(),
                    });
                }
            };
            let guest_handle = full.reopen(access).map_err(|source| SetupError::Reopen {
                guest_path: guest_path.clone(),
                source,
            })?;
            let node = table.mount(guest.components(), index, full).map_err(|_| {
                SetupError::MountConflict {
                    guest_path: guest_path.clone(),
                }
            })?;
            tracing::debug!(preopen = index, guest = %guest_path, backing = %preopen.backing(), "mounted preopen");
            preopen_fds.push(
                FdEntry::new(
                    FdObject::Dir(guest_handle),
                    FdRights::for_preopen(access),
                    FdFlags::NONE,
                )
                .with_preopen(PreopenInfo {
                    guest_path: guest.as_bytes().to_vec(),
                    node,
                    index,
                }),
            );
        }
        for (k, mount) in mounts.into_iter().enumerate() {
            let index = config.preopens().len() + k;
            let guest_path = mount.guest_path.to_string();
            let vfs =
                registry
                    .get(&mount.filesystem)
                    .ok_or_else(|| SetupError::UnknownFilesystem {
                        guest_path: guest_path.clone(),
                        filesystem: mount.filesystem.clone(),
                    })?;
            let dir = vfs.open_dir(&mount.path, mount.access).map_err(|source| {
                SetupError::VirtualDir {
                    guest_path: guest_path.clone(),
                    filesystem: mount.filesystem.clone(),
                    path: mount.path.clone(),
                    source,
                }
            })?;
            let guest_handle = dir
                .reopen(mount.access)
                .map_err(|source| SetupError::Reopen {
                    guest_path: guest_path.clone(),
                    source,
                })?;
            let node = table
                .mount(mount.guest_path.components(), index, Box::new(dir))
                .map_err(|_| SetupError::MountConflict {
                    guest_path: guest_path.clone(),
                })?;
            tracing::debug!(preopen = index, guest = %guest_path, filesystem = %mount.filesystem, "mounted extra directory");
            preopen_fds.push(
                FdEntry::new(
                    FdObject::Dir(guest_handle),
                    FdRights::for_preopen(mount.access),
                    FdFlags::NONE,
                )
                .with_preopen(PreopenInfo {
                    guest_path: mount.guest_path.as_bytes().to_vec(),
                    node,
                    index,
                }),
            );
        }

        let mut ctx = SetupContext {
            mounts: &table,
            filesystems: &registry,
        };
        for hook in hooks {
            hook(&mut ctx)?;
        }

        let mut fds = FdTable::new(max);
        let [stdin, stdout, stderr] = stdio;
        for (which, slot, rights) in [
            (StdioFd::Stdin, stdin, FdRights::STDIN),
            (StdioFd::Stdout, stdout, FdRights::STDOUT),
            (StdioFd::Stderr, stderr, FdRights::STDOUT),
        ] {
            let entry = FdEntry::new(
                FdObject::Stdio(StdioStream::new(which, slot)),
                rights,
                FdFlags::NONE,
            );
            fds.insert(entry).map_err(|_| SetupError::TooManyPreopens {
                needed,
                max: max.get(),
            })?;
        }
        for entry in preopen_fds {
            fds.insert(entry).map_err(|_| SetupError::TooManyPreopens {
                needed,
                max: max.get(),
            })?;
        }
        Ok(World {
            mounts: table,
            fds,
            filesystems: registry,
        })
    }
}

/// Opens a host preopen, turning the host's error into one naming both paths.
fn open_host(guest_path: &str, host_path: &Path) -> Result<HostDir, SetupError> {
    HostDir::open(host_path, Access::READ_WRITE_CREATE).map_err(|source| {
        let guest_path = guest_path.to_string();
        let host_path = host_path.to_path_buf();
        if source.kind() == io::ErrorKind::NotFound {
            SetupError::HostDirMissing {
                guest_path,
                host_path,
                source,
            }
        } else if source.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) {
            SetupError::HostNotADirectory {
                guest_path,
                host_path,
                source,
            }
        } else {
            SetupError::HostDirOpen {
                guest_path,
                host_path,
                source,
            }
        }
    })
}

/// What a setup hook can reach: the mounted preopens (with full access,
/// whatever the guest's permissions) and the named filesystems.
pub struct SetupContext<'w> {
    mounts: &'w MountTable,
    filesystems: &'w BTreeMap<String, Arc<VirtualFs>>,
}

impl fmt::Debug for SetupContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetupContext").finish_non_exhaustive()
    }
}

/// A guest path as error messages show it: byte for byte, with invalid
/// UTF-8 and control characters escaped (never replaced).
fn display(path: &[u8]) -> String {
    wasi_config::ByteDisplay(path).to_string()
}

impl SetupContext<'_> {
    /// The virtual filesystem registered under `name` (the default sandbox included).
    pub fn filesystem(&self, name: &str) -> Option<&SharedFileSystem> {
        self.filesystems.get(name).map(|v| v.filesystem())
    }

    /// The preopen directory covering the absolute guest path `guest_path`
    /// and the rest of the path below it.
    pub fn dir(
        &self,
        guest_path: impl AsRef<[u8]>,
    ) -> Result<(&dyn DirHandle, Vec<u8>), SetupError> {
        let guest_path = guest_path.as_ref();
        let (_, dir, rest) =
            self.mounts
                .mount_for(guest_path)
                .ok_or_else(|| SetupError::NotMounted {
                    guest_path: display(guest_path),
                })?;
        Ok((dir, rest))
    }

    fn fail(operation: &'static str, guest_path: &[u8]) -> impl FnOnce(FsError) -> SetupError {
        let guest_path = display(guest_path);
        move |source| SetupError::Hook {
            operation,
            guest_path,
            source,
        }
    }

    /// Creates (or truncates) the file at `guest_path` and writes `contents`.
    pub fn write_file(
        &mut self,
        guest_path: impl AsRef<[u8]>,
        contents: impl AsRef<[u8]>,
    ) -> Result<(), SetupError> {
        let guest_path = guest_path.as_ref();
        let fail = Self::fail("write", guest_path);
        let (dir, rest) = self.dir(guest_path)?;
        let flags = OpenFlags {
            write: true,
            create: true,
            truncate: true,
            ..OpenFlags::default()
        };
        let result = (|| {
            let Opened::File(mut file) = dir.open_at(&rest, flags)? else {
                return Err(FsError::new(FsErrorKind::IsDir));
            };
            let mut data = contents.as_ref();
            while !data.is_empty() {
                let n = file.write(data)?;
                if n == 0 {
                    return Err(FsErrorKind::Io.into());
                }
                data = &data[n..];
            }
            file.flush()
        })();
        result.map_err(fail)
    }

    /// Creates the directory `guest_path` and any missing parents below its preopen.
    pub fn create_dir_all(&mut self, guest_path: impl AsRef<[u8]>) -> Result<(), SetupError> {
        let guest_path = guest_path.as_ref();
        let fail = Self::fail("create directory", guest_path);
        let (dir, rest) = self.dir(guest_path)?;
        if rest.is_empty() {
            return Ok(());
        }
        let mut prefix = Vec::new();
        rest.split(|b| *b == b'/')
            .try_for_each(|comp| {
                if !prefix.is_empty() {
                    prefix.push(b'/');
                }
                prefix.extend_from_slice(comp);
                match dir.create_dir_at(&prefix) {
                    Err(e) if e.kind() == FsErrorKind::Exists => {
                        match dir.stat_at(&prefix, true)?.filetype {
                            FileType::Directory => Ok(()),
                            _ => Err(FsError::new(FsErrorKind::NotDir)),
                        }
                    }
                    other => other,
                }
            })
            .map_err(fail)
    }

    /// Creates a symlink at `guest_path` holding `target` (relative, as guests may create).
    pub fn symlink(
        &mut self,
        target: impl AsRef<[u8]>,
        guest_path: impl AsRef<[u8]>,
    ) -> Result<(), SetupError> {
        let guest_path = guest_path.as_ref();
        let fail = Self::fail("create symlink", guest_path);
        let (dir, rest) = self.dir(guest_path)?;
        dir.symlink_at(target.as_ref(), &rest).map_err(fail)
    }
}

/// The guest's file world: mount table, fd table and named filesystems.
pub struct World {
    mounts: MountTable,
    fds: FdTable,
    filesystems: BTreeMap<String, Arc<VirtualFs>>,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World")
            .field("fds", &self.fds)
            .field("filesystems", &self.filesystems.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.fds, f)
    }
}

impl World {
    /// A builder for `config`.
    pub fn builder(config: &Config) -> WorldBuilder<'_> {
        WorldBuilder::new(config)
    }

    /// A world for `config` with every default.
    pub fn new(config: &Config) -> Result<World, SetupError> {
        WorldBuilder::new(config).build()
    }

    /// The fd table.
    pub fn fds(&self) -> &FdTable {
        &self.fds
    }

    /// The fd table, mutably (open, close, renumber, read, write).
    pub fn fds_mut(&mut self) -> &mut FdTable {
        &mut self.fds
    }

    /// The mount table: where each preopen sits under `/`.
    pub fn mounts(&self) -> &MountTable {
        &self.mounts
    }

    /// The virtual filesystem registered under `name`: the default sandbox
    /// is there when a preopen, a mount or a setup hook could use it.
    pub fn filesystem(&self, name: &str) -> Option<&Arc<VirtualFs>> {
        self.filesystems.get(name)
    }

    /// Where `path` leads from the directory `fd` (see [`resolve`](fn@crate::resolve)).
    pub fn resolve(&self, fd: Fd, path: &[u8], follow: bool) -> Result<Resolved, FsError> {
        self.fds.get(fd)?.dir()?.resolve(path, follow)
    }

    /// Pushes buffered output of every open fd (stdio included) to its backing;
    /// returns the first error after trying all.
    pub fn flush_all(&mut self) -> Result<(), FsError> {
        let mut first = Ok(());
        for (_, entry) in self.fds.iter_mut() {
            let r = entry.flush();
            if first.is_ok() {
                first = r;
            }
        }
        first
    }

    /// Flushes and closes every fd. The launcher calls this before `run` returns.
    pub fn close_all(&mut self) -> Result<(), FsError> {
        self.fds.close_all()
    }
}
