//! Packages to use and commands to map: syntax only; resolving them is the
//! launcher's job.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::ConfigError;

/// A package dependency: `namespace/name`, optionally `@version-requirement`
/// (a semver requirement such as `1`, `^1.2`, `=1.2.3` or `*`; `*` when
/// omitted).
///
/// ```
/// use wasi_config::PackageSpecifier;
/// let p: PackageSpecifier = "wasmer/python@^3.11".parse().unwrap();
/// assert_eq!((p.namespace(), p.name()), ("wasmer", "python"));
/// assert!(p.version_req().matches(&"3.12.0".parse().unwrap()));
/// assert_eq!(p.to_string(), "wasmer/python@^3.11");
/// assert!("python".parse::<PackageSpecifier>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PackageSpecifier {
    namespace: String,
    name: String,
    version: semver::VersionReq,
    explicit_version: bool,
}

impl PackageSpecifier {
    /// The namespace (the part before `/`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The package's name within its namespace.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `namespace/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The version requirement (`*` when none was given).
    pub fn version_req(&self) -> &semver::VersionReq {
        &self.version
    }
}

/// Whether `s` is a valid namespace, package or command name segment.
pub(crate) fn name_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        return Some("it is empty");
    }
    if s == "." || s == ".." {
        return Some("it is `.` or `..`");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Some("only ASCII letters, digits, `-`, `_` and `.` are allowed");
    }
    if !s.as_bytes()[0].is_ascii_alphanumeric() {
        return Some("it must start with a letter or digit");
    }
    None
}

impl FromStr for PackageSpecifier {
    type Err = ConfigError;

    fn from_str(spec: &str) -> Result<Self, ConfigError> {
        let bad = |reason: String| ConfigError::InvalidPackageSpecifier {
            spec: spec.to_string(),
            reason,
        };
        let (full, version) = match spec.split_once('@') {
            Some((full, v)) => (full, Some(v)),
            None => (spec, None),
        };
        let Some((namespace, name)) = full.split_once('/') else {
            return Err(bad("expected `namespace/name[@version]`".into()));
        };
        if let Some(why) = name_problem(namespace) {
            return Err(bad(format!("namespace: {why}")));
        }
        if let Some(why) = name_problem(name) {
            return Err(bad(format!("name: {why}")));
        }
        let version = match version {
            None => semver::VersionReq::STAR,
            Some("") => return Err(bad("empty version requirement after `@`".into())),
            Some(v) => v
                .parse::<semver::VersionReq>()
                .map_err(|e| bad(format!("version requirement: {e}")))?,
        };
        Ok(PackageSpecifier {
            namespace: namespace.to_string(),
            name: name.to_string(),
            version,
            explicit_version: spec.contains('@'),
        })
    }
}

impl fmt::Display for PackageSpecifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)?;
        if self.explicit_version {
            write!(f, "@{}", self.version)?;
        }
        Ok(())
    }
}

/// A command name mapped to a host `.wasm`/`.wat` file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MappedCommand {
    pub(crate) name: String,
    pub(crate) host: PathBuf,
}

impl MappedCommand {
    /// The command's name, as the guest or user invokes it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The host file holding the module.
    pub fn host_path(&self) -> &Path {
        &self.host
    }
}
