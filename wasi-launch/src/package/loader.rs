//! Bytes to a checked [`Package`].

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasi_config::GuestPath;
use webc::metadata::annotations::{FileSystemMapping, FileSystemMappings};
use webc::{Container, Metadata, Version, Volume};

use super::{Package, VolumeMount};
use crate::error::LaunchError;

/// The most entries (files, directories, symlinks) one volume may hold:
/// the load-time walk of a hostile container stays bounded.
pub const MAX_VOLUME_ENTRIES: usize = 100_000;

/// The deepest directory nesting walked in a volume.
const MAX_VOLUME_DEPTH: usize = 256;

/// The volume of wasmer packages that holds package metadata (README,
/// license), never mounted by default.
const METADATA_VOLUME: &str = "metadata";

/// Runs `f`, turning a panic inside the webc reader into a typed error.
fn guarded<T>(stage: &'static str, f: impl FnOnce() -> T) -> Result<T, LaunchError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| LaunchError::PackageReaderPanicked { stage })
}

fn manifest_error(reason: impl Into<String>) -> LaunchError {
    LaunchError::PackageManifest {
        reason: reason.into(),
    }
}

/// Parses and checks a webc v2 or v3 container.
///
/// Every atom and every volume entry is read once here (the walk is bounded
/// by [`MAX_VOLUME_ENTRIES`]), so later reads do not meet a malformed entry
/// for the first time. The container is read from memory only.
pub fn load_package(bytes: webc::bytes::Bytes) -> Result<Package, LaunchError> {
    let version = webc::detect(&bytes[..]).map_err(|e| LaunchError::NotWebc(Box::new(e)))?;
    if version != Version::V2 && version != Version::V3 {
        return Err(LaunchError::UnsupportedWebcVersion {
            version: version.to_string(),
        });
    }
    let digest: [u8; 32] = Sha256::digest(&bytes[..]).into();
    let container = guarded("parsing the container", || {
        Container::from_bytes_and_version(bytes, version)
    })?
    .map_err(|e| LaunchError::MalformedPackage(Box::new(e)))?;
    guarded("reading the manifest", || describe(container, digest))?
}

fn describe(container: Container, digest: [u8; 32]) -> Result<Package, LaunchError> {
    let manifest = container.manifest();
    let wapm = manifest
        .wapm()
        .map_err(|e| manifest_error(format!("the `wapm` annotation: {e}")))?
        .ok_or_else(|| manifest_error("no `wapm` package annotation (name and version)"))?;
    let name = wapm
        .name
        .ok_or_else(|| manifest_error("the `wapm` annotation has no name"))?;
    check_name(&name)?;
    let version_text = wapm
        .version
        .ok_or_else(|| manifest_error(format!("package {name} has no version")))?;
    let version: semver::Version = version_text
        .parse()
        .map_err(|e| manifest_error(format!("package {name}: version `{version_text}`: {e}")))?;

    let atoms = guarded("reading the atoms", || container.atoms())?;
    let mut commands = BTreeMap::new();
    for (command, cmd) in &manifest.commands {
        let atom = match cmd.atom() {
            Err(e) => Err(format!("its atom annotation is invalid: {e}")),
            Ok(None) => Err("it names no atom".to_string()),
            Ok(Some(a)) if a.dependency.is_some() => {
                Err(format!("its atom `{}` lives in another package", a.name))
            }
            Ok(Some(a)) if !atoms.contains_key(&a.name) => {
                Err(format!("its atom `{}` is not in the container", a.name))
            }
            Ok(Some(a)) => Ok(a.name),
        };
        commands.insert(command.clone(), atom);
    }
    let entrypoint = match &manifest.entrypoint {
        Some(e) if commands.contains_key(e) => Some(e.clone()),
        Some(e) => {
            return Err(manifest_error(format!(
                "the entrypoint `{e}` is not one of the commands"
            )));
        }
        None if commands.len() == 1 => commands.keys().next().cloned(),
        None => None,
    };

    let volumes = guarded("listing the volumes", || container.volumes())?;
    for (vname, volume) in &volumes {
        guarded("walking a volume", || walk_volume(vname, volume))??;
    }
    let mappings = manifest
        .filesystem()
        .map_err(|e| manifest_error(format!("the `fs` annotation: {e}")))?;
    let mounts = plan_mounts(mappings, &volumes)?;

    Ok(Package {
        name,
        version,
        digest,
        container,
        entrypoint,
        commands,
        mounts,
    })
}

/// Package names are `namespace/name` or `name`, each part following
/// [`wasi_config::check_name`] (the rule `uses` specifiers follow).
fn check_name(name: &str) -> Result<(), LaunchError> {
    let parts = match name.split_once('/') {
        Some((namespace, name)) => [namespace, name].map(wasi_config::check_name),
        None => [wasi_config::check_name(name), Ok(())],
    };
    match parts.into_iter().find_map(Result::err) {
        None => Ok(()),
        Some(reason) => Err(manifest_error(format!(
            "invalid package name {name:?}: {reason}"
        ))),
    }
}

/// Reads every entry of `volume` once, bounded in count and depth.
fn walk_volume(vname: &str, volume: &Volume) -> Result<(), LaunchError> {
    let mut seen = 0usize;
    let mut stack: Vec<(String, usize)> = vec![(String::from("/"), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Some(entries) = volume.read_dir(dir.as_str()) else {
            continue;
        };
        for (segment, _, meta) in entries {
            seen += 1;
            if seen > super::MAX_VOLUME_ENTRIES {
                return Err(LaunchError::VolumeTooLarge {
                    volume: vname.to_string(),
                    max: super::MAX_VOLUME_ENTRIES,
                });
            }
            let path = if dir == "/" {
                format!("/{segment}")
            } else {
                format!("{dir}/{segment}")
            };
            match meta {
                Metadata::Dir { .. } if depth < MAX_VOLUME_DEPTH => stack.push((path, depth + 1)),
                Metadata::Dir { .. } => {
                    return Err(manifest_error(format!(
                        "volume `{vname}` nests deeper than {MAX_VOLUME_DEPTH} directories"
                    )));
                }
                Metadata::File { length, .. } => {
                    let got = volume.read_file(path.as_str()).map(|(b, _)| b.len());
                    if got != Some(length) {
                        return Err(manifest_error(format!(
                            "volume `{vname}`: file {path} cannot be read back"
                        )));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Where each volume is mounted: the manifest's `fs` mappings of this
/// package's own volumes (mappings `from` a dependency are ignored); with
/// no `fs` annotation, the only volume other than `metadata` at `/`, or
/// several such volumes each at `/<volume name>`.
fn plan_mounts(
    mappings: Option<FileSystemMappings>,
    volumes: &BTreeMap<String, Volume>,
) -> Result<Vec<VolumeMount>, LaunchError> {
    let planned: Vec<FileSystemMapping> = match mappings {
        Some(m) => m.0.into_iter().filter(|m| m.from.is_none()).collect(),
        None => {
            let mountable: Vec<&String> = volumes
                .keys()
                .filter(|v| v.as_str() != METADATA_VOLUME)
                .collect();
            let single = mountable.len() == 1;
            mountable
                .into_iter()
                .map(|v| FileSystemMapping {
                    from: None,
                    volume_name: v.clone(),
                    host_path: None,
                    mount_path: if single { "/".into() } else { format!("/{v}") },
                })
                .collect()
        }
    };
    let mut mounts = Vec::with_capacity(planned.len());
    for m in planned {
        let volume = volumes.get(&m.volume_name).ok_or_else(|| {
            manifest_error(format!(
                "the `fs` annotation maps volume `{}`, which is not in the container",
                m.volume_name
            ))
        })?;
        let guest_path = GuestPath::new(m.mount_path.as_str())
            .ok()
            .filter(|p| p.as_bytes().starts_with(b"/"))
            .ok_or_else(|| manifest_error(format!("invalid mount path {:?}", m.mount_path)))?;
        let path_in_volume = PathBuf::from(m.host_path.unwrap_or_else(|| "/".into()));
        if !path_in_volume.is_absolute()
            || path_in_volume
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(manifest_error(format!(
                "volume `{}`: invalid path {}",
                m.volume_name,
                path_in_volume.display()
            )));
        }
        mounts.push(VolumeMount {
            volume: m.volume_name,
            path_in_volume,
            guest_path,
            fs: Arc::new(virtual_fs::WebcVolumeFileSystem::new(volume.clone())),
        });
    }
    Ok(mounts)
}
