//! The validated configuration.

use std::fmt;
use std::path::PathBuf;

use crate::bytes::ByteDisplay;
use crate::capabilities::Capabilities;
use crate::encoding::EncodedStrings;
use crate::package::{MappedCommand, PackageSpecifier};
use crate::preopen::Preopen;

/// A configuration that passed every rule. It can only be obtained from
/// [`ConfigBuilder::validate`](crate::ConfigBuilder::validate) or
/// [`validate_all`](crate::ConfigBuilder::validate_all), and it is
/// immutable, so holding one proves the rules hold.
///
/// The `args` and `environ` tables are encoded once, at validation, in the
/// layout the preview1 syscalls copy out.
#[derive(Clone)]
pub struct Config {
    pub(crate) args: EncodedStrings,
    pub(crate) environ: EncodedStrings,
    pub(crate) preopens: Vec<Preopen>,
    pub(crate) packages: Vec<PackageSpecifier>,
    pub(crate) package_files: Vec<PathBuf>,
    pub(crate) commands: Vec<MappedCommand>,
    pub(crate) capabilities: Capabilities,
}

impl Config {
    /// The program name (`args[0]`).
    pub fn program_name(&self) -> &[u8] {
        self.args.get(0).unwrap_or_default()
    }

    /// The arguments after the program name, byte for byte.
    pub fn args(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.args.iter().skip(1)
    }

    /// The environment variables as `(key, value)` pairs, in order.
    pub fn envs(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> + '_ {
        self.environ.iter().map(|entry| {
            // Keys never contain `=`, so the first `=` separates key and value.
            let at = entry.iter().position(|&b| b == b'=').unwrap_or(entry.len());
            (&entry[..at], entry.get(at + 1..).unwrap_or_default())
        })
    }

    /// The value of the variable `key`, if set.
    pub fn env(&self, key: &[u8]) -> Option<&[u8]> {
        self.envs().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The argv table, program name first, as `args_get` copies it.
    pub fn args_table(&self) -> &EncodedStrings {
        &self.args
    }

    /// The `KEY=VALUE` table, as `environ_get` copies it.
    pub fn environ_table(&self) -> &EncodedStrings {
        &self.environ
    }

    /// The preopens, in configuration order (they get fds from 3).
    pub fn preopens(&self) -> &[Preopen] {
        &self.preopens
    }

    /// The packages to use.
    pub fn packages(&self) -> &[PackageSpecifier] {
        &self.packages
    }

    /// The package files to load.
    pub fn package_files(&self) -> &[PathBuf] {
        &self.package_files
    }

    /// The mapped commands.
    pub fn commands(&self) -> &[MappedCommand] {
        &self.commands
    }

    /// The capabilities.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<_> = self.args.iter().map(ByteDisplay).collect();
        // Env values are never printed: they hold secrets.
        let env_keys: Vec<_> = self.envs().map(|(k, _)| ByteDisplay(k)).collect();
        f.debug_struct("Config")
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
