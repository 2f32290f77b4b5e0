//! Parsers for the command-line forms a CLI takes, each with a `Display`
//! that round-trips through `FromStr` (and `to_bytes` that round-trips
//! through `parse` for any bytes).
//!
//! | form | type | example |
//! |---|---|---|
//! | `KEY=VALUE` or `KEY` | [`EnvAssignment`] | `--env HOME=/root`, `--env PATH` |
//! | `HOST[::GUEST]` | [`DirSpec`] | `--dir ./data::/data` |
//! | `GUEST:HOST` | [`MapDirSpec`] | `--mapdir /data:./data` |
//! | `NAME=PATH` | [`CommandMapping`] | `--map-command ls=./ls.wasm` |

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::bytes::{ByteDisplay, path_from_bytes};
use crate::error::{ConfigError, Item};

fn split_once<'a>(input: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = input.windows(sep.len()).position(|w| w == sep)?;
    Some((&input[..at], &input[at + sep.len()..]))
}

fn cli_error(form: &'static str, shown: &[u8], reason: &'static str) -> ConfigError {
    ConfigError::InvalidCliForm {
        form,
        shown: Item(shown.to_vec()),
        reason,
    }
}

/// `KEY=VALUE` (set) or `KEY` (forward the host's value), split at the
/// first `=`. The value may contain `=`. Errors never show the value.
///
/// ```
/// use wasi_config::EnvAssignment;
/// let e: EnvAssignment = "A=b=c".parse().unwrap();
/// assert_eq!((e.key(), e.value()), (&b"A"[..], Some(&b"b=c"[..])));
/// assert_eq!(e.to_string(), "A=b=c");
/// assert_eq!("PATH".parse::<EnvAssignment>().unwrap().value(), None);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct EnvAssignment {
    key: Vec<u8>,
    value: Option<Vec<u8>>,
}

impl EnvAssignment {
    const FORM: &'static str = "KEY=VALUE";

    /// Parses raw bytes (e.g. an `OsStr` from the command line).
    pub fn parse(input: &[u8]) -> Result<Self, ConfigError> {
        let (key, value) = match split_once(input, b"=") {
            Some((k, v)) => (k, Some(v.to_vec())),
            None => (input, None),
        };
        if key.is_empty() {
            return Err(cli_error(Self::FORM, b"", "the key is empty"));
        }
        Ok(EnvAssignment {
            key: key.to_vec(),
            value,
        })
    }

    /// The key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The value, or `None` when the host's value is to be forwarded.
    pub fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }

    /// The exact bytes [`parse`](Self::parse) reads back into `self`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.key.clone();
        if let Some(v) = &self.value {
            out.push(b'=');
            out.extend_from_slice(v);
        }
        out
    }
}

impl fmt::Debug for EnvAssignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value may be a secret: show only whether there is one.
        f.debug_struct("EnvAssignment")
            .field("key", &ByteDisplay(&self.key))
            .field("has_value", &self.value.is_some())
            .finish()
    }
}

/// `HOST[::GUEST]`, split at the first `::`: a host directory and an
/// optional guest path.
///
/// ```
/// use wasi_config::DirSpec;
/// let d: DirSpec = "./data::/srv".parse().unwrap();
/// assert_eq!(d.host(), std::path::Path::new("./data"));
/// assert_eq!(d.guest(), Some(&b"/srv"[..]));
/// assert_eq!(d.to_string(), "./data::/srv");
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DirSpec {
    host: PathBuf,
    guest: Option<Vec<u8>>,
}

impl DirSpec {
    const FORM: &'static str = "HOST[::GUEST]";

    /// Parses raw bytes.
    pub fn parse(input: &[u8]) -> Result<Self, ConfigError> {
        let (host, guest) = match split_once(input, b"::") {
            Some((h, g)) => (h, Some(g)),
            None => (input, None),
        };
        if host.is_empty() {
            return Err(cli_error(Self::FORM, input, "the host directory is empty"));
        }
        if guest.is_some_and(<[u8]>::is_empty) {
            return Err(cli_error(
                Self::FORM,
                input,
                "the guest path after `::` is empty",
            ));
        }
        Ok(DirSpec {
            host: path_from_bytes(host),
            guest: guest.map(<[u8]>::to_vec),
        })
    }

    /// The host directory.
    pub fn host(&self) -> &Path {
        &self.host
    }

    /// The guest path, when one was given.
    pub fn guest(&self) -> Option<&[u8]> {
        self.guest.as_deref()
    }

    /// The exact bytes [`parse`](Self::parse) reads back into `self`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.host.as_os_str().as_encoded_bytes().to_vec();
        if let Some(g) = &self.guest {
            out.extend_from_slice(b"::");
            out.extend_from_slice(g);
        }
        out
    }
}

/// `GUEST:HOST` (wasmer's `--mapdir` spelling), split at the first `:`.
///
/// ```
/// use wasi_config::MapDirSpec;
/// let m: MapDirSpec = "/data:/srv/data".parse().unwrap();
/// assert_eq!(m.guest(), b"/data");
/// assert_eq!(m.host(), std::path::Path::new("/srv/data"));
/// assert_eq!(m.to_string(), "/data:/srv/data");
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MapDirSpec {
    guest: Vec<u8>,
    host: PathBuf,
}

impl MapDirSpec {
    const FORM: &'static str = "GUEST:HOST";

    /// Parses raw bytes.
    pub fn parse(input: &[u8]) -> Result<Self, ConfigError> {
        let Some((guest, host)) = split_once(input, b":") else {
            return Err(cli_error(Self::FORM, input, "expected `GUEST:HOST`"));
        };
        if guest.is_empty() {
            return Err(cli_error(Self::FORM, input, "the guest path is empty"));
        }
        if host.is_empty() {
            return Err(cli_error(Self::FORM, input, "the host directory is empty"));
        }
        Ok(MapDirSpec {
            guest: guest.to_vec(),
            host: path_from_bytes(host),
        })
    }

    /// The guest path.
    pub fn guest(&self) -> &[u8] {
        &self.guest
    }

    /// The host directory.
    pub fn host(&self) -> &Path {
        &self.host
    }

    /// The exact bytes [`parse`](Self::parse) reads back into `self`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.guest.clone();
        out.push(b':');
        out.extend_from_slice(self.host.as_os_str().as_encoded_bytes());
        out
    }
}

/// `NAME=PATH`: a command name mapped to a host module file, split at the
/// first `=`.
///
/// ```
/// use wasi_config::CommandMapping;
/// let c: CommandMapping = "ls=./bin/ls.wasm".parse().unwrap();
/// assert_eq!(c.name(), "ls");
/// assert_eq!(c.to_string(), "ls=./bin/ls.wasm");
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CommandMapping {
    name: String,
    host: PathBuf,
}

impl CommandMapping {
    const FORM: &'static str = "NAME=PATH";

    /// Parses raw bytes; the name must be UTF-8 (command names are ASCII).
    pub fn parse(input: &[u8]) -> Result<Self, ConfigError> {
        let Some((name, host)) = split_once(input, b"=") else {
            return Err(cli_error(Self::FORM, input, "expected `NAME=PATH`"));
        };
        let Ok(name) = std::str::from_utf8(name) else {
            return Err(cli_error(Self::FORM, input, "the name is not UTF-8"));
        };
        if name.is_empty() {
            return Err(cli_error(Self::FORM, input, "the name is empty"));
        }
        if host.is_empty() {
            return Err(cli_error(Self::FORM, input, "the path is empty"));
        }
        Ok(CommandMapping {
            name: name.to_string(),
            host: path_from_bytes(host),
        })
    }

    /// The command's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The host module file.
    pub fn host(&self) -> &Path {
        &self.host
    }

    /// The exact bytes [`parse`](Self::parse) reads back into `self`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.name.as_bytes().to_vec();
        out.push(b'=');
        out.extend_from_slice(self.host.as_os_str().as_encoded_bytes());
        out
    }
}

macro_rules! text_form {
    ($($t:ty),*) => {$(
        impl FromStr for $t {
            type Err = ConfigError;
            fn from_str(s: &str) -> Result<Self, ConfigError> {
                <$t>::parse(s.as_bytes())
            }
        }

        impl fmt::Display for $t {
            /// Shows [`to_bytes`](Self::to_bytes) losslessly; for UTF-8
            /// input this is the input itself.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let bytes = self.to_bytes();
                match std::str::from_utf8(&bytes) {
                    Ok(s) => f.write_str(s),
                    Err(_) => fmt::Display::fmt(&ByteDisplay(&bytes), f),
                }
            }
        }

        impl TryFrom<&std::ffi::OsStr> for $t {
            type Error = ConfigError;
            fn try_from(s: &std::ffi::OsStr) -> Result<Self, ConfigError> {
                <$t>::parse(s.as_encoded_bytes())
            }
        }
    )*};
}

text_form!(EnvAssignment, DirSpec, MapDirSpec, CommandMapping);

#[cfg(test)]
mod tests {
    use super::*;

    fn cli_reason(e: ConfigError) -> &'static str {
        match e {
            ConfigError::InvalidCliForm { reason, .. } => reason,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn env_assignment_forms() {
        let e = EnvAssignment::parse(b"K=").unwrap();
        assert_eq!(e.value(), Some(&b""[..]));
        assert_eq!(e.to_string(), "K=");
        let err = EnvAssignment::parse(b"=secret").unwrap_err();
        assert_eq!(cli_reason(err.clone()), "the key is empty");
        assert!(!err.to_string().contains("secret"));
        assert!(!format!("{e:?}").contains('='));
    }

    #[test]
    fn dir_spec_forms() {
        let d = DirSpec::parse(b"/a").unwrap();
        assert_eq!(d.guest(), None);
        let d = DirSpec::parse(b"/a::b::c").unwrap();
        assert_eq!(d.host(), Path::new("/a"));
        assert_eq!(d.guest(), Some(&b"b::c"[..]));
        assert_eq!(d.to_bytes(), b"/a::b::c");
        assert_eq!(
            cli_reason(DirSpec::parse(b"::g").unwrap_err()),
            "the host directory is empty"
        );
        assert_eq!(
            cli_reason(DirSpec::parse(b"/a::").unwrap_err()),
            "the guest path after `::` is empty"
        );
    }

    #[test]
    fn map_dir_forms() {
        let m = MapDirSpec::parse(b"g:/h:x").unwrap();
        assert_eq!((m.guest(), m.host()), (&b"g"[..], Path::new("/h:x")));
        assert_eq!(
            cli_reason(MapDirSpec::parse(b"nocolon").unwrap_err()),
            "expected `GUEST:HOST`"
        );
        assert_eq!(
            cli_reason(MapDirSpec::parse(b":/h").unwrap_err()),
            "the guest path is empty"
        );
        assert_eq!(
            cli_reason(MapDirSpec::parse(b"g:").unwrap_err()),
            "the host directory is empty"
        );
    }

    #[test]
    fn command_mapping_forms() {
        assert_eq!(
            cli_reason(CommandMapping::parse(b"=x").unwrap_err()),
            "the name is empty"
        );
        assert_eq!(
            cli_reason(CommandMapping::parse(b"ls=").unwrap_err()),
            "the path is empty"
        );
        assert_eq!(
            cli_reason(CommandMapping::parse(b"ls").unwrap_err()),
            "expected `NAME=PATH`"
        );
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_bytes_round_trip() {
        let d = DirSpec::parse(b"/h\xff::/g\xfe").unwrap();
        assert_eq!(DirSpec::parse(&d.to_bytes()).unwrap(), d);
        let e = EnvAssignment::parse(b"K\xff=v\xfe").unwrap();
        assert_eq!(EnvAssignment::parse(&e.to_bytes()).unwrap(), e);
    }
}
