//! The configuration builder: collects what the user gives, checks nothing
//! until [`validate`](ConfigBuilder::validate).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::bytes::{AsBytes, ByteDisplay};
use crate::capabilities::Capabilities;
use crate::config::Config;
use crate::error::{ConfigError, ConfigErrors};
use crate::preopen::{Permissions, PreopenSpec};
use crate::validate::{self, AbiLimits};

/// Collects the configuration of a WASI environment.
///
/// Every option has exactly one method, taking `&mut self` and returning
/// `&mut Self` for chaining (as [`std::process::Command`] does). Nothing is
/// checked while options are set; [`validate`](Self::validate) checks
/// everything and returns the only way to obtain a [`Config`].
///
/// Defaults of [`new`](Self::new): the program name becomes `args[0]`; no
/// other arguments; an empty environment; no preopens, packages or mapped
/// commands; [`Capabilities::default`].
#[derive(Clone)]
pub struct ConfigBuilder {
    /// argv, program name first, each entry followed by a nul byte.
    pub(crate) argv: Vec<u8>,
    /// Start of each entry in `argv`.
    pub(crate) argv_offsets: Vec<usize>,
    pub(crate) envs: Vec<(Vec<u8>, Vec<u8>)>,
    env_index: HashMap<Vec<u8>, usize>,
    pub(crate) preopens: Vec<PreopenSpec>,
    pub(crate) packages: Vec<String>,
    pub(crate) package_files: Vec<PathBuf>,
    pub(crate) commands: Vec<(String, PathBuf)>,
    pub(crate) capabilities: Capabilities,
}

impl ConfigBuilder {
    /// Starts a configuration whose program name (`args[0]`) is
    /// `program_name`, kept byte for byte.
    pub fn new(program_name: impl AsBytes) -> Self {
        let mut b = ConfigBuilder {
            argv: Vec::new(),
            argv_offsets: Vec::new(),
            envs: Vec::new(),
            env_index: HashMap::new(),
            preopens: Vec::new(),
            packages: Vec::new(),
            package_files: Vec::new(),
            commands: Vec::new(),
            capabilities: Capabilities::default(),
        };
        b.arg(program_name);
        b
    }

    /// Appends one argument, byte for byte (non-UTF-8 included).
    pub fn arg(&mut self, arg: impl AsBytes) -> &mut Self {
        self.argv_offsets.push(self.argv.len());
        self.argv.extend_from_slice(arg.as_bytes());
        self.argv.push(0);
        self
    }

    /// Appends several arguments; the same as calling [`arg`](Self::arg)
    /// for each.
    pub fn args<I>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: AsBytes,
    {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// Sets an environment variable. Variables keep the order in which
    /// their keys were first set; setting a key again replaces its value in
    /// place (as [`std::process::Command::env`] does).
    pub fn env(&mut self, key: impl AsBytes, value: impl AsBytes) -> &mut Self {
        let (key, value) = (key.as_bytes(), value.as_bytes().to_vec());
        match self.env_index.get(key) {
            Some(&i) => self.envs[i].1 = value,
            None => {
                self.env_index.insert(key.to_vec(), self.envs.len());
                self.envs.push((key.to_vec(), value));
            }
        }
        self
    }

    /// Sets several environment variables; the same as calling
    /// [`env`](Self::env) for each pair.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsBytes,
        V: AsBytes,
    {
        for (k, v) in vars {
            self.env(k, v);
        }
        self
    }

    /// Removes an environment variable if it was set.
    pub fn env_remove(&mut self, key: impl AsBytes) -> &mut Self {
        if let Some(i) = self.env_index.remove(key.as_bytes()) {
            self.envs.remove(i);
            for slot in self.env_index.values_mut() {
                if *slot > i {
                    *slot -= 1;
                }
            }
        }
        self
    }

    /// Preopens a host directory with read, write and create permissions,
    /// visible to the guest at the path as given (so `"."` is the guest's
    /// `.`, and `/srv/data` is `/srv/data`).
    pub fn preopen_dir(&mut self, host: impl AsRef<Path>) -> &mut Self {
        self.preopen(PreopenSpec::host(host).permissions(Permissions::ALL))
    }

    /// Preopens a host directory with read, write and create permissions,
    /// visible to the guest at `guest` (`data` and `/data` are the same).
    pub fn map_dir(&mut self, guest: impl AsBytes, host: impl AsRef<Path>) -> &mut Self {
        self.preopen(
            PreopenSpec::host(host)
                .guest_path(guest)
                .permissions(Permissions::ALL),
        )
    }

    /// Adds a preopen described by a [`PreopenSpec`] (custom permissions,
    /// virtual filesystems). Preopens get fds from 3 in the order added.
    pub fn preopen(&mut self, spec: PreopenSpec) -> &mut Self {
        self.preopens.push(spec);
        self
    }

    /// Names a package to use, `namespace/name[@version-requirement]`.
    pub fn use_package(&mut self, spec: impl Into<String>) -> &mut Self {
        self.packages.push(spec.into());
        self
    }

    /// Adds a package file (`.webc`) to load into the package cache.
    pub fn include_package(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.package_files.push(path.as_ref().to_path_buf());
        self
    }

    /// Maps a command name to a host `.wasm`/`.wat` file.
    pub fn map_command(&mut self, name: impl Into<String>, host: impl AsRef<Path>) -> &mut Self {
        self.commands
            .push((name.into(), host.as_ref().to_path_buf()));
        self
    }

    /// Sets the capabilities (task and open-fd limits).
    pub fn capabilities(&mut self, capabilities: Capabilities) -> &mut Self {
        self.capabilities = capabilities;
        self
    }

    /// Checks every rule and returns the validated configuration, or the
    /// first problem found.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        validate::validate(self, false, AbiLimits::WASI).map_err(|mut errors| errors.swap_remove(0))
    }

    /// Checks every rule and returns the validated configuration, or every
    /// problem found (for command-line users who want them all at once).
    pub fn validate_all(&self) -> Result<Config, ConfigErrors> {
        validate::validate(self, true, AbiLimits::WASI).map_err(ConfigErrors)
    }
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<_> = self
            .argv_offsets
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let end = self.argv_offsets.get(i + 1).map_or(self.argv.len(), |&e| e) - 1;
                ByteDisplay(&self.argv[start..end])
            })
            .collect();
        // Env values are never printed: they hold secrets.
        let env_keys: Vec<_> = self.envs.iter().map(|(k, _)| ByteDisplay(k)).collect();
        f.debug_struct("ConfigBuilder")
            .field("args", &args)
            .field("env_keys", &env_keys)
            .field("preopens", &self.preopens)
            .field("packages", &self.packages)
            .field("package_files", &self.package_files)
            .field("commands", &self.commands)
            .field("capabilities", &self.capabilities)
            .finish()
    }
}
