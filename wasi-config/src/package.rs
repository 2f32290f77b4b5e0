//! Packages to use and commands to map: syntax only; resolving them is the
//! launcher's job.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::ConfigError;

/// A package dependency: `namespace/name`, optionally `@version-requirement`
/// (a semver requirement such as `1`, `^1.2`, `=1.2.3` or `*`; `*` when
/// omitted). The input is split at its first `@`, then at its first `/`;
/// both names follow [`check_name`].
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

/// The package-name rule: checks one name of a package specifier (its
/// namespace, or the package's name within it) or of a mapped command.
///
/// A name is non-empty, holds only ASCII letters, digits, `-`, `_` and `.`,
/// and starts with a letter or digit (so `.` and `..` are never names). The
/// error says which part of the rule `name` breaks.
///
/// [`PackageSpecifier`]'s parser applies it to both names of
/// `namespace/name[@version]`; validation applies it to mapped commands.
///
/// ```
/// assert_eq!(wasi_config::check_name("python3.11"), Ok(()));
/// assert_eq!(wasi_config::check_name(".."), Err("it is `.` or `..`"));
/// assert!(wasi_config::check_name("a/b").is_err());
/// ```
pub fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name == "." || name == ".." {
        return Err("it is `.` or `..`");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err("only ASCII letters, digits, `-`, `_` and `.` are allowed");
    }
    if !name.as_bytes()[0].is_ascii_alphanumeric() {
        return Err("it must start with a letter or digit");
    }
    Ok(())
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
        if let Err(why) = check_name(namespace) {
            return Err(bad(format!("namespace: {why}")));
        }
        if let Err(why) = check_name(name) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "it is empty";
    const DOTS: &str = "it is `.` or `..`";
    const CHARS: &str = "only ASCII letters, digits, `-`, `_` and `.` are allowed";
    const START: &str = "it must start with a letter or digit";

    #[test]
    fn the_name_rule() {
        for ok in ["a", "Z", "0", "a-b_c.d", "0.1", "a..", "a..b", "ns-1"] {
            assert_eq!(check_name(ok), Ok(()), "{ok:?}");
        }
        for (bad, why) in [
            ("", EMPTY),
            (".", DOTS),
            ("..", DOTS),
            ("-a", START),
            ("_a", START),
            (".a", START),
            ("a b", CHARS),
            ("\u{e9}", CHARS),
            ("a\0", CHARS),
            ("a=b", CHARS),
            ("a@b", CHARS),
            ("a/b", CHARS),
            ("a:b", CHARS),
            (" ", CHARS),
        ] {
            assert_eq!(check_name(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn specifiers_follow_the_name_rule_and_semver() {
        let p: PackageSpecifier = "ns/pkg".parse().unwrap();
        assert_eq!((p.namespace(), p.name()), ("ns", "pkg"));
        assert_eq!(p.version_req(), &semver::VersionReq::STAR);
        assert_eq!(p.to_string(), "ns/pkg");
        for req in ["*", "2", "^3.11", "=0.1.2-rc.1", "~1", ">=1.2, <1.5"] {
            let spec = format!("0/a-b.c@{req}");
            let p: PackageSpecifier = spec.parse().unwrap();
            assert_eq!(p.full_name(), "0/a-b.c");
            assert_eq!(p.version_req(), &req.parse::<semver::VersionReq>().unwrap());
        }
        for (bad, reason) in [
            ("python", "expected `namespace/name[@version]`"),
            ("ns@1/pkg", "expected `namespace/name[@version]`"),
            ("/pkg", "namespace: it is empty"),
            (".ns/pkg", "namespace: it must start"),
            ("n s/pkg", "namespace: only ASCII"),
            ("ns/", "name: it is empty"),
            ("ns/..", "name: it is `.` or `..`"),
            ("a/b/c", "name: only ASCII"),
            ("ns/-pkg", "name: it must start"),
            ("ns/pkg@", "empty version requirement"),
            ("ns/pkg@latest", "version requirement: "),
            ("ns/pkg@1@2", "version requirement: "),
        ] {
            match bad.parse::<PackageSpecifier>() {
                Err(ConfigError::InvalidPackageSpecifier { spec, reason: why }) => {
                    assert_eq!(spec, bad);
                    assert!(why.starts_with(reason), "{bad:?}: {why}");
                }
                other => panic!("{bad:?}: unexpected {other:?}"),
            }
        }
    }
}
