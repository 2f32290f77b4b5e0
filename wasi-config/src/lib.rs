//! The configuration model of a WASI preview1 environment and all its
//! validation, with no side effects.
//!
//! This is the lowest layer of a three-layer WASI environment builder and
//! launcher: it opens nothing, touches no filesystem and needs no runtime,
//! so a downstream crate can check a configuration with nothing else
//! compiled. The `wasi-fs-setup` layer turns a validated [`Config`] into
//! the guest's file world; `wasi-launch` runs modules on wasmer.
//!
//! What it holds:
//! - the program name and arguments, as raw bytes ([`AsBytes`]), never
//!   converted lossily;
//! - environment variables as ordered `(key, value)` byte pairs (setting a
//!   key again replaces its value in place);
//! - preopened directories: host directories or directories of named
//!   virtual filesystems, their guest paths ([`GuestPath`]) and
//!   [`Permissions`];
//! - packages to use ([`PackageSpecifier`]), package files to include,
//!   mapped commands and [`Capabilities`]; every package and command name
//!   follows one rule, [`check_name`];
//! - the encoded `args` and `environ` tables ([`EncodedStrings`]), computed
//!   once at validation, that the syscalls copy out.
//!
//! [`ConfigBuilder::validate`] returns the first problem,
//! [`ConfigBuilder::validate_all`] every problem; both give a [`Config`],
//! which cannot be built any other way. Every [`ConfigError`] names the
//! offending item and never shows an env value.
//!
//! # Example
//!
//! ```
//! use wasi_config::{ConfigBuilder, ConfigError, PreopenSpec};
//!
//! let mut builder = ConfigBuilder::new("grep");
//! builder
//!     .args(["-n", "needle", "/data/haystack.txt"])
//!     .arg(b"\xffraw bytes".as_slice())
//!     .env("LANG", "C")
//!     .env("TOKEN", "s3cr=t")
//!     .env("LANG", "C.UTF-8") // replaces the earlier value, keeps its place
//!     .map_dir("/data", "/srv/data")
//!     .preopen(PreopenSpec::host("/etc/ssl").guest_path("/ssl").read(true));
//! let config = builder.validate()?;
//!
//! assert_eq!(config.program_name(), b"grep");
//! assert_eq!(config.args().last(), Some(&b"\xffraw bytes"[..]));
//! assert_eq!(config.env(b"LANG"), Some(&b"C.UTF-8"[..]));
//! assert_eq!(config.environ_table().bytes(), b"LANG=C.UTF-8\0TOKEN=s3cr=t\0");
//! assert_eq!(config.args_table().count(), 5);
//! assert!(!config.preopens()[1].permissions().write());
//!
//! // Problems name the item, never the value.
//! builder.env("BAD=KEY", "x").env("KEY", "secret\0value");
//! let errors = builder.validate_all().unwrap_err();
//! assert_eq!(errors.errors().len(), 2);
//! assert!(matches!(errors.errors()[0], ConfigError::EnvKeyContainsEquals { .. }));
//! assert!(!errors.to_string().contains("secret"));
//! # Ok::<(), ConfigError>(())
//! ```
//!
//! # Naming
//!
//! One rule for every type here, so that a setter cannot be read as a
//! getter (nor the other way round):
//!
//! - A builder only collects options and has no getters, so each setter
//!   is the option's bare name and takes its value: [`ConfigBuilder`]
//!   (`&mut self`: `arg(..)`, `env(k, v)`, `capabilities(..)`) and
//!   [`PreopenSpec`] (by value: `guest_path(..)`, `read(true)`).
//! - A read-only type only answers, so each getter is the option's bare
//!   name: [`Config::capabilities`], [`Preopen::guest_path`],
//!   [`Permissions::read`].
//! - A value type that is both set and read chains by value; its getter
//!   keeps the bare name and its setter is `with_` and that name:
//!   [`Capabilities::with_max_tasks`] and [`Capabilities::max_tasks`],
//!   [`Capabilities::with_max_open_fds`] and
//!   [`Capabilities::max_open_fds`], [`Capabilities::with_max_memory_bytes`]
//!   and [`Capabilities::max_memory_bytes`]. A new limit follows suit.
//!
//! No type mixes `&mut self` and by-value setters, and no name starts with
//! `get_` or `set_`.
//!
//! This crate does not open, stat or create anything: whether a host
//! directory exists is checked by the file-world layer, and package names
//! are resolved by the launcher.
#![forbid(unsafe_code)]

mod builder;
mod bytes;
mod capabilities;
mod cli_forms;
mod config;
mod encoding;
mod error;
mod guest_path;
mod package;
mod preopen;
mod validate;
mod wasm_options;

pub use builder::ConfigBuilder;
pub use bytes::{AsBytes, ByteDisplay};
pub use capabilities::Capabilities;
pub use cli_forms::{CommandMapping, DirSpec, EnvAssignment, MapDirSpec};
pub use config::Config;
pub use encoding::EncodedStrings;
pub use error::{AbiTable, ConfigError, ConfigErrors, GuestPathProblem, Item};
pub use guest_path::GuestPath;
pub use package::{MappedCommand, PackageSpecifier, check_name};
pub use preopen::{Backing, Permissions, Preopen, PreopenSpec, SANDBOX_FS};
pub use semver;
pub use wasm_options::{WasmOption, parse_duration};

#[cfg(test)]
mod tests;
