//! The package cache: loaded packages indexed by name and version.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{Package, load_package};
use crate::error::LaunchError;

/// Loaded packages, shared (`Send + Sync`) by every environment of a
/// launcher.
///
/// Each package is indexed as `name`, `name@MAJOR`, `name@MAJOR.MINOR` and
/// `name@MAJOR.MINOR.PATCH`; a shorter key names the highest version
/// loaded under it. Loading the same bytes again returns the package
/// already held; a different package claiming a name and exact version
/// already held is [`LaunchError::PackageConflict`].
#[derive(Debug, Default)]
pub struct PackageCache {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Every package, by full name then exact version.
    packages: BTreeMap<String, BTreeMap<semver::Version, Arc<Package>>>,
}

impl PackageCache {
    /// An empty cache.
    pub fn new() -> Self {
        PackageCache::default()
    }

    // The lock only guards a map that is never left half-updated (each
    // insert is one call), so a poisoned lock still holds consistent data.
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads and loads a `.webc` file.
    pub fn include_file(&self, path: impl AsRef<Path>) -> Result<Arc<Package>, LaunchError> {
        let path = path.as_ref();
        let bytes =
            crate::host_file::read_host_file(path).map_err(|source| LaunchError::ReadPackage {
                path: path.to_path_buf(),
                source,
            })?;
        self.include_bytes(bytes)
    }

    /// Loads a package from the bytes of a webc container.
    pub fn include_bytes(
        &self,
        bytes: impl Into<webc::bytes::Bytes>,
    ) -> Result<Arc<Package>, LaunchError> {
        self.insert(load_package(bytes.into())?)
    }

    /// Adds an already loaded package.
    pub fn insert(&self, package: Package) -> Result<Arc<Package>, LaunchError> {
        let mut inner = self.write();
        let versions = inner.packages.entry(package.name.clone()).or_default();
        if let Some(held) = versions.get(&package.version) {
            return if held.digest == package.digest {
                Ok(Arc::clone(held))
            } else {
                Err(LaunchError::PackageConflict {
                    name: package.name,
                    version: package.version,
                })
            };
        }
        let package = Arc::new(package);
        versions.insert(package.version.clone(), Arc::clone(&package));
        tracing::debug!(package = %package, "package loaded");
        Ok(package)
    }

    /// The package indexed under `key`: `name`, `name@MAJOR`,
    /// `name@MAJOR.MINOR` or `name@MAJOR.MINOR.PATCH` (the highest version
    /// under a shorter key).
    pub fn get(&self, key: &str) -> Option<Arc<Package>> {
        let (name, version) = match key.split_once('@') {
            Some((n, v)) => (n, Some(v)),
            None => (key, None),
        };
        let inner = self.read();
        let versions = inner.packages.get(name)?;
        let release = |v: &semver::Version| v.pre.is_empty();
        let found = match version {
            None => versions.iter().rev().find(|(v, _)| release(v)),
            Some(text) => {
                if let Ok(exact) = text.parse::<semver::Version>() {
                    return versions.get(&exact).cloned();
                }
                let parts: Vec<u64> = text
                    .split('.')
                    .map(|p| p.parse().ok())
                    .collect::<Option<_>>()?;
                if parts.is_empty() || parts.len() > 2 {
                    return None;
                }
                versions.iter().rev().find(|(v, _)| {
                    release(v) && [v.major, v.minor].iter().zip(&parts).all(|(a, b)| a == b)
                })
            }
        };
        found.map(|(_, p)| Arc::clone(p))
    }

    /// The highest version of `name` matching `req`.
    pub fn find(&self, name: &str, req: &semver::VersionReq) -> Option<Arc<Package>> {
        let inner = self.read();
        inner
            .packages
            .get(name)?
            .iter()
            .rev()
            .find(|(v, _)| req.matches(v))
            .map(|(_, p)| Arc::clone(p))
    }

    /// Every key the cache answers, sorted.
    pub fn keys(&self) -> Vec<String> {
        let inner = self.read();
        let mut keys = std::collections::BTreeSet::new();
        for (name, versions) in &inner.packages {
            for v in versions.keys() {
                keys.insert(name.clone());
                keys.insert(format!("{name}@{}", v.major));
                keys.insert(format!("{name}@{}.{}", v.major, v.minor));
                keys.insert(format!("{name}@{v}"));
            }
        }
        keys.into_iter().collect()
    }

    /// Every package held, as `name@version`, sorted.
    pub fn list(&self) -> Vec<String> {
        let inner = self.read();
        inner
            .packages
            .iter()
            .flat_map(|(name, versions)| versions.keys().map(move |v| format!("{name}@{v}")))
            .collect()
    }

    /// How many packages (name and version pairs) are held.
    pub fn len(&self) -> usize {
        self.read().packages.values().map(BTreeMap::len).sum()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
