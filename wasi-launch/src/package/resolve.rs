//! A configuration's `uses` against the cache, and the mounts of the used
//! packages' volumes.

use std::sync::Arc;

use wasi_config::PackageSpecifier;
use wasi_fs_setup::WorldBuilder;

use super::{Package, PackageCache};
use crate::error::LaunchError;

/// The highest version in `cache` matching each specifier, in order.
pub fn resolve_all(
    cache: &PackageCache,
    specs: &[PackageSpecifier],
) -> Result<Vec<Arc<Package>>, LaunchError> {
    let mut out: Vec<Arc<Package>> = Vec::with_capacity(specs.len());
    for spec in specs {
        let found = cache
            .find(&spec.full_name(), spec.version_req())
            .ok_or_else(|| LaunchError::MissingPackage {
                spec: spec.to_string(),
                available: cache.list(),
            })?;
        if !out.iter().any(|p| Arc::ptr_eq(p, &found)) {
            out.push(found);
        }
    }
    Ok(out)
}

/// The name under which a package volume is registered as a filesystem.
fn filesystem_name(package: &Package, volume: &str) -> String {
    format!("package:{}@{}:{volume}", package.name, package.version)
}

/// Registers each package's volumes and mounts them read-only at their
/// manifest paths, as extra preopens after the configuration's (in
/// package order, then mount order).
pub fn mount_packages<'b, 'c>(
    builder: &'b mut WorldBuilder<'c>,
    packages: &[Arc<Package>],
) -> &'b mut WorldBuilder<'c> {
    for package in packages {
        for mount in &package.mounts {
            let fs_name = filesystem_name(package, &mount.volume);
            builder
                .filesystem(fs_name.clone(), Arc::clone(&mount.fs))
                .mount(
                    mount.guest_path.clone(),
                    fs_name,
                    mount.path_in_volume.clone(),
                    true,
                );
        }
    }
    builder
}
