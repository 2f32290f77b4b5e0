//! The command line of `wasi-run` and its translation into a configuration.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;
use clap::builder::TypedValueParser;
use wasi_config::{
    CommandMapping, ConfigBuilder, ConfigError, DirSpec, EnvAssignment, MapDirSpec, Permissions,
    PreopenSpec,
};
use wasi_launch::Compiler;

/// Runs a WASI preview1 program (a `.wasm` or `.wat` file) on wasmer.
///
/// Exit status: the guest's exit code (255 for one above 255); 134 when the
/// guest traps; 2 for a usage or configuration error; 1 when the module
/// cannot be read, parsed or linked.
#[derive(Debug, Parser)]
#[command(name = "wasi-run", version, about, long_about = None)]
pub struct Cli {
    /// Preopen a host directory with read, write and create permissions,
    /// visible at GUEST (default: the host path as given).
    #[arg(long = "dir", value_name = "HOST[::GUEST]", value_parser = os_parser(DirSpec::parse))]
    pub dirs: Vec<DirSpec>,

    /// Preopen a host directory read-only, visible at GUEST (default: the
    /// host path as given).
    #[arg(long = "ro-dir", value_name = "HOST[::GUEST]", value_parser = os_parser(DirSpec::parse))]
    pub ro_dirs: Vec<DirSpec>,

    /// Preopen a host directory with read, write and create permissions at
    /// GUEST (wasmer's spelling).
    #[arg(long = "mapdir", value_name = "GUEST:HOST", value_parser = os_parser(MapDirSpec::parse))]
    pub map_dirs: Vec<MapDirSpec>,

    /// Set an environment variable; `--env KEY` forwards the host's value.
    #[arg(long = "env", value_name = "KEY[=VALUE]", value_parser = os_parser(EnvAssignment::parse))]
    pub envs: Vec<EnvAssignment>,

    /// Give the guest every environment variable of this process (before
    /// any `--env`).
    #[arg(long = "inherit-env")]
    pub inherit_env: bool,

    /// Directory of the on-disk module cache (default: the user's cache
    /// directory).
    #[arg(long = "cache-dir", value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,

    /// Do not read or write the on-disk module cache.
    #[arg(long = "no-cache")]
    pub no_cache: bool,

    /// The compiler: cranelift (faster code) or singlepass (faster
    /// compilation).
    #[arg(long = "compiler", value_enum, default_value_t = Compiler::Cranelift)]
    pub compiler: Compiler,

    /// Use a package from the package cache (`namespace/name[@VERSION-REQ]`):
    /// its volumes are mounted read-only and its commands can be run.
    #[arg(long = "use", value_name = "PKG")]
    pub uses: Vec<String>,

    /// Load a `.webc` package file into the package cache (for `--use`).
    #[arg(long = "include", value_name = "FILE.webc")]
    pub includes: Vec<PathBuf>,

    /// Map a command name to a host `.wasm`/`.wat` file.
    #[arg(long = "map-command", value_name = "NAME=PATH", value_parser = os_parser(CommandMapping::parse))]
    pub map_commands: Vec<CommandMapping>,

    /// With a `.webc` MODULE, the package command to run (default: the
    /// package's entrypoint).
    #[arg(long = "command", value_name = "NAME")]
    pub command: Option<String>,

    /// Print the resolved plan (args, env keys, fd table) and exit without
    /// running.
    #[arg(long = "explain")]
    pub explain: bool,

    /// The module to run: a `.wasm` or `.wat` file, or a `.webc` package
    /// (recognised by its header), whose volumes are mounted read-only and
    /// whose `--command` (default: entrypoint) runs. Always a file path,
    /// never a command name.
    #[arg(value_name = "MODULE")]
    pub module: PathBuf,

    /// Arguments passed to the guest, byte for byte.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<OsString>,
}

/// A clap value parser that hands the raw `OsStr` (never a lossy string)
/// to `parse`.
fn os_parser<T>(
    parse: fn(&[u8]) -> Result<T, ConfigError>,
) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: Clone + Send + Sync + 'static,
{
    clap::builder::OsStringValueParser::new()
        .try_map(move |s: OsString| parse(s.as_encoded_bytes()))
}

impl Cli {
    /// The configuration this command line describes: program name is the
    /// module path as given, then the guest args; env from `--inherit-env`
    /// then each `--env` in order; preopens in the order `--dir`,
    /// `--ro-dir`, `--mapdir`.
    pub fn config_builder(&self) -> ConfigBuilder {
        let mut b = ConfigBuilder::new(self.module.as_os_str());
        b.args(&self.args);
        if self.inherit_env {
            b.envs(std::env::vars_os());
        }
        for e in &self.envs {
            match e.value() {
                Some(v) => {
                    b.env(e.key(), v);
                }
                None => {
                    if let Some(v) = host_var(e.key()) {
                        b.env(e.key(), v);
                    }
                }
            }
        }
        let mut dir = |d: &DirSpec, perms: Permissions| {
            let mut spec = PreopenSpec::host(d.host()).permissions(perms);
            if let Some(g) = d.guest() {
                spec = spec.guest_path(g);
            }
            b.preopen(spec);
        };
        for d in &self.dirs {
            dir(d, Permissions::ALL);
        }
        for d in &self.ro_dirs {
            dir(d, Permissions::READ_ONLY);
        }
        for m in &self.map_dirs {
            b.map_dir(m.guest(), m.host());
        }
        for u in &self.uses {
            b.use_package(u.clone());
        }
        for f in &self.includes {
            b.include_package(f);
        }
        for c in &self.map_commands {
            b.map_command(c.name(), c.host());
        }
        b
    }
}

/// The host's value of `key`, byte for byte.
fn host_var(key: &[u8]) -> Option<OsString> {
    std::env::vars_os()
        .find(|(k, _)| k.as_encoded_bytes() == key)
        .map(|(_, v)| v)
}
