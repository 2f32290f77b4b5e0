//! Commands runnable by name: mapped commands (a name for a host
//! `.wasm`/`.wat` file) and the commands of used packages.
//!
//! Lookup order for a name: the configuration's mapped commands (the last
//! mapping of a name wins), then the used packages in the order the
//! configuration names them. Every module is compiled through the
//! launcher's [`ModuleCache`](crate::ModuleCache), so environments running
//! the same command share one compiled module.

use std::sync::Arc;

use wasi_config::Config;
use wasmer::Module;

use crate::error::LaunchError;
use crate::launcher::Launcher;
use crate::package::Package;

/// Where a command name leads.
#[derive(Debug, Clone)]
pub enum CommandSource {
    /// A mapped host module file.
    Mapped(std::path::PathBuf),
    /// A command of a package.
    Package(Arc<Package>),
}

/// Where the command `name` comes from for `config` (see the module docs
/// for the order).
pub(crate) fn find(
    launcher: &Launcher,
    config: &Config,
    name: &str,
) -> Result<CommandSource, LaunchError> {
    if let Some(mapped) = config.commands().iter().rev().find(|c| c.name() == name) {
        return Ok(CommandSource::Mapped(mapped.host_path().to_path_buf()));
    }
    let packages = launcher.resolve_packages(config)?;
    if let Some(p) = packages.iter().find(|p| p.has_command(name)) {
        return Ok(CommandSource::Package(Arc::clone(p)));
    }
    let mut available: Vec<String> = config
        .commands()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    for p in &packages {
        available.extend(p.commands().map(|c| format!("{c} ({p})")));
    }
    available.sort();
    available.dedup();
    Err(LaunchError::UnknownCommand {
        name: name.to_string(),
        available,
    })
}

/// The compiled module of `package`'s command `name`, or of its
/// entrypoint when `name` is `None`.
pub(crate) fn package_command_module(
    launcher: &Launcher,
    package: &Package,
    name: Option<&str>,
) -> Result<Module, LaunchError> {
    let name = match name.or(package.entrypoint()) {
        Some(n) => n,
        None => {
            return Err(LaunchError::NoEntrypoint {
                package: package.to_string(),
                commands: package.commands().map(str::to_string).collect(),
            });
        }
    };
    if !package.has_command(name) {
        let mut available: Vec<String> = package.commands().map(str::to_string).collect();
        available.sort();
        return Err(LaunchError::UnknownCommand {
            name: name.to_string(),
            available,
        });
    }
    let wasm = package.command_atom(name)?;
    launcher.load_module(&wasm)
}
