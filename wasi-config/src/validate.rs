//! Every rule of a configuration, checked in one pass.

use std::collections::HashMap;

use crate::builder::ConfigBuilder;
use crate::bytes::has_nul;
use crate::config::Config;
use crate::encoding::EncodedStrings;
use crate::error::{AbiTable, ConfigError, Item};
use crate::guest_path::{GuestPath, check_relative_path};
use crate::package::{MappedCommand, PackageSpecifier, check_name};
use crate::preopen::{Backing, Preopen};

/// The limits the preview1 ABI puts on the args and environ tables: both
/// the count and the total size must fit in a `u32`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AbiLimits {
    pub(crate) max: u64,
}

impl AbiLimits {
    pub(crate) const WASI: AbiLimits = AbiLimits {
        max: u32::MAX as u64,
    };
}

/// Collects problems; in first-only mode the first one stops validation.
struct Sink {
    errors: Vec<ConfigError>,
    all: bool,
}

/// Validation stopped at its first problem.
struct Stop;

impl Sink {
    fn report(&mut self, e: ConfigError) -> Result<(), Stop> {
        self.errors.push(e);
        if self.all { Ok(()) } else { Err(Stop) }
    }
}

/// Validates `b`. With `all`, every problem is returned; otherwise only the
/// first. The returned vector is never empty.
pub(crate) fn validate(
    b: &ConfigBuilder,
    all: bool,
    limits: AbiLimits,
) -> Result<Config, Vec<ConfigError>> {
    let mut sink = Sink {
        errors: Vec::new(),
        all,
    };
    match check(b, &mut sink, limits) {
        Ok(config) if sink.errors.is_empty() => Ok(config),
        _ => Err(sink.errors),
    }
}

fn check(b: &ConfigBuilder, sink: &mut Sink, limits: AbiLimits) -> Result<Config, Stop> {
    let args = check_args(b, sink, limits)?;
    let environ = check_environ(b, sink, limits)?;
    let preopens = check_preopens(b, sink)?;
    let packages = check_packages(b, sink)?;
    let package_files = check_package_files(b, sink)?;
    let commands = check_commands(b, sink)?;
    if let Some((limit, reason)) = b.capabilities.problem() {
        sink.report(ConfigError::InvalidLimit { limit, reason })?;
    }
    Ok(Config {
        args,
        environ,
        preopens,
        packages,
        package_files,
        commands,
        capabilities: b.capabilities,
    })
}

fn check_abi(
    table: AbiTable,
    count: usize,
    bytes: usize,
    limits: AbiLimits,
    sink: &mut Sink,
) -> Result<bool, Stop> {
    let (count, bytes) = (count as u64, bytes as u64);
    if count > limits.max || bytes > limits.max {
        sink.report(ConfigError::AbiLimitExceeded {
            table,
            count,
            bytes,
            limit: limits.max,
        })?;
        return Ok(false);
    }
    Ok(true)
}

fn check_args(
    b: &ConfigBuilder,
    sink: &mut Sink,
    limits: AbiLimits,
) -> Result<EncodedStrings, Stop> {
    // Every entry ends with exactly one nul; any extra nul is inside an arg.
    let nuls = b.argv.iter().filter(|&&c| c == 0).count();
    if nuls != b.argv_offsets.len() {
        for (index, &start) in b.argv_offsets.iter().enumerate() {
            let end = b.argv_offsets.get(index + 1).map_or(b.argv.len(), |&e| e) - 1;
            if has_nul(&b.argv[start..end]) {
                sink.report(ConfigError::ArgContainsNul { index })?;
            }
        }
    }
    if !check_abi(
        AbiTable::Args,
        b.argv_offsets.len(),
        b.argv.len(),
        limits,
        sink,
    )? {
        return Ok(EncodedStrings::default());
    }
    // Sizes fit in u32 (checked just above), so the offsets do too.
    let offsets = b.argv_offsets.iter().map(|&o| o as u32).collect();
    Ok(EncodedStrings::from_parts(b.argv.clone(), offsets))
}

fn check_environ(
    b: &ConfigBuilder,
    sink: &mut Sink,
    limits: AbiLimits,
) -> Result<EncodedStrings, Stop> {
    let size: usize = b.envs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    if !check_abi(AbiTable::Environ, b.envs.len(), size, limits, sink)? {
        return Ok(EncodedStrings::default());
    }
    let mut bytes = Vec::with_capacity(size);
    let mut offsets = Vec::with_capacity(b.envs.len());
    for (index, (key, value)) in b.envs.iter().enumerate() {
        if key.is_empty() {
            sink.report(ConfigError::EnvKeyEmpty { index })?;
        }
        let (mut nul, mut eq) = (false, false);
        for &c in key {
            nul |= c == 0;
            eq |= c == b'=';
        }
        if nul {
            sink.report(ConfigError::EnvKeyContainsNul {
                key: Item(key.clone()),
            })?;
        }
        if eq {
            sink.report(ConfigError::EnvKeyContainsEquals {
                key: Item(key.clone()),
            })?;
        }
        if has_nul(value) {
            sink.report(ConfigError::EnvValueContainsNul {
                key: Item(key.clone()),
            })?;
        }
        // The total size fits in u32 (checked above), so every offset does.
        offsets.push(bytes.len() as u32);
        bytes.extend_from_slice(key);
        bytes.push(b'=');
        bytes.extend_from_slice(value);
        bytes.push(0);
    }
    Ok(EncodedStrings::from_parts(bytes, offsets))
}

fn check_preopens(b: &ConfigBuilder, sink: &mut Sink) -> Result<Vec<Preopen>, Stop> {
    let mut out = Vec::with_capacity(b.preopens.len());
    let mut seen: HashMap<GuestPath, usize> = HashMap::new();
    for (index, spec) in b.preopens.iter().enumerate() {
        let guest_bytes = spec.guest_bytes();
        let mut usable = true;
        match &spec.backing {
            Backing::Host(path) => {
                let raw = path.as_os_str().as_encoded_bytes();
                if raw.is_empty() {
                    sink.report(ConfigError::PreopenWithoutDirectory { index })?;
                    usable = false;
                } else if has_nul(raw) {
                    sink.report(ConfigError::HostPathContainsNul {
                        index,
                        path: path.clone(),
                    })?;
                    usable = false;
                }
            }
            Backing::Virtual { filesystem, path } => {
                if filesystem.is_empty() {
                    sink.report(ConfigError::VirtualPreopenWithoutFilesystem { index })?;
                    usable = false;
                }
                let raw = path.as_os_str().as_encoded_bytes();
                if let Err(problem) = check_relative_path(raw) {
                    sink.report(ConfigError::InvalidVirtualPath {
                        index,
                        filesystem: filesystem.clone(),
                        path: Item(raw.to_vec()),
                        problem,
                    })?;
                    usable = false;
                }
            }
        }
        if !spec.permissions.any() {
            sink.report(ConfigError::PreopenWithoutPermission {
                index,
                guest: Item(guest_bytes.to_vec()),
            })?;
        }
        // A guest path derived from an unusable backing was reported above.
        let guest = if spec.guest.is_some() || usable {
            match GuestPath::new(guest_bytes) {
                Ok(g) => Some(g),
                Err(problem) => {
                    sink.report(ConfigError::InvalidGuestPath {
                        index,
                        path: Item(guest_bytes.to_vec()),
                        problem,
                    })?;
                    None
                }
            }
        } else {
            None
        };
        let Some(guest) = guest else { continue };
        if let Some(&first) = seen.get(&guest) {
            sink.report(ConfigError::DuplicateGuestPath {
                first,
                first_path: Item(b.preopens[first].guest_bytes().to_vec()),
                second: index,
                second_path: Item(guest_bytes.to_vec()),
            })?;
            continue;
        }
        seen.insert(guest.clone(), index);
        out.push(Preopen {
            guest,
            backing: spec.backing.clone(),
            permissions: spec.permissions,
        });
    }
    let max_open_fds = b.capabilities.max_open_fds().get();
    if b.preopens.len().saturating_add(3) > max_open_fds {
        sink.report(ConfigError::TooManyPreopens {
            preopens: b.preopens.len(),
            max_open_fds,
        })?;
    }
    Ok(out)
}

fn check_packages(b: &ConfigBuilder, sink: &mut Sink) -> Result<Vec<PackageSpecifier>, Stop> {
    let mut out = Vec::with_capacity(b.packages.len());
    for spec in &b.packages {
        match spec.parse::<PackageSpecifier>() {
            Ok(p) => out.push(p),
            Err(e) => sink.report(e)?,
        }
    }
    Ok(out)
}

fn usable_path(p: &std::path::Path) -> bool {
    let raw = p.as_os_str().as_encoded_bytes();
    !raw.is_empty() && !has_nul(raw)
}

fn check_package_files(
    b: &ConfigBuilder,
    sink: &mut Sink,
) -> Result<Vec<std::path::PathBuf>, Stop> {
    for (index, path) in b.package_files.iter().enumerate() {
        if !usable_path(path) {
            sink.report(ConfigError::InvalidPackageFile {
                index,
                path: path.clone(),
            })?;
        }
    }
    Ok(b.package_files.clone())
}

fn check_commands(b: &ConfigBuilder, sink: &mut Sink) -> Result<Vec<MappedCommand>, Stop> {
    let mut out: Vec<MappedCommand> = Vec::with_capacity(b.commands.len());
    for (name, host) in &b.commands {
        if let Err(reason) = check_name(name) {
            sink.report(ConfigError::InvalidCommandName {
                name: name.clone(),
                reason,
            })?;
            continue;
        }
        if !usable_path(host) {
            sink.report(ConfigError::InvalidCommandPath {
                name: name.clone(),
                path: host.clone(),
            })?;
            continue;
        }
        if out.iter().any(|c| c.name == *name) {
            sink.report(ConfigError::DuplicateCommand { name: name.clone() })?;
            continue;
        }
        out.push(MappedCommand {
            name: name.clone(),
            host: host.clone(),
        });
    }
    Ok(out)
}
