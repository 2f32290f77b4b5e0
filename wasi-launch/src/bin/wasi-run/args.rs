//! The command line of `wasi-run` and its translation into a configuration.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use wasi_config::{
    Capabilities, CommandMapping, ConfigBuilder, ConfigError, DirSpec, EnvAssignment, MapDirSpec,
    Permissions, PreopenSpec, WasmOption,
};
use wasi_launch::Compiler;

/// Runs a WASI preview1 program (a `.wasm` or `.wat` file) on wasmer.
///
/// Exit status: the guest's exit code (255 for one above 255); 134 when the
/// guest traps or a limit stops it (fuel, timeout, stack); 130 and 143 when
/// SIGINT or SIGTERM stopped it; 2 for a usage or configuration error; 1
/// when the module cannot be read, parsed or linked, or needs more memory
/// than `max-memory-size`.
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
    #[arg(long = "compiler", value_parser = compiler_parser(), default_value_t = Compiler::default())]
    pub compiler: Compiler,

    /// Compile a module the cache has never seen with Cranelift before
    /// running it. By default such a module of up to 1 MiB first runs from
    /// a quick singlepass compile, while a detached `wasi-run --precompile`
    /// writes the Cranelift compile to the cache for the next run.
    #[arg(long = "no-tiering")]
    pub no_tiering: bool,

    /// Run deterministically, for judges and replay: the same module,
    /// arguments, environment, input and files give the same output on
    /// every run, on any CPU. Every clock starts at 0 and moves 1 µs
    /// forward at each read (and by each sleep, without waiting);
    /// random_get gives one fixed stream; float operations make only the
    /// canonical NaN; no tiering (every run uses one compiler); one thread
    /// (thread-spawn fails, as with -W max-threads=1). A limit that ends
    /// a run by wall-clock time (-W timeout) is not deterministic; fuel is.
    #[arg(long = "deterministic")]
    pub deterministic: bool,

    /// Compile MODULE into the on-disk module cache and exit without
    /// running it (metered when `-W fuel` is given, as a run would be).
    /// Nothing is done while another process compiles the same module
    /// for the cache.
    #[arg(long = "precompile", conflicts_with_all = ["no_cache", "explain"])]
    pub precompile: bool,

    /// The longest a compile may take, as `-W timeout` spells durations: a
    /// compile before the run that takes longer (or longer than `-W
    /// timeout`, if that is sooner) ends wasi-run with an error; the
    /// detached compile of tiering gets it as a limit on its CPU time.
    #[arg(
        long = "compile-timeout",
        value_name = "DURATION",
        default_value = "600s",
        value_parser = os_parser(parse_compile_timeout)
    )]
    pub compile_timeout: Duration,

    /// Set by wasi-run on the detached `--precompile` of tiering: the
    /// process first closes every file descriptor it inherited beyond
    /// stdio, lowers its priority and limits its CPU time to
    /// `--compile-timeout`.
    #[arg(long = "tier-up-child", hide = true, requires = "precompile")]
    pub tier_up_child: bool,

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

    /// Limits, wasmtime's spelling, repeatable and comma-separated
    /// (`-W fuel=100000,timeout=2s`): max-memory-size=BYTES,
    /// max-total-memory=BYTES (memories and tables of the whole guest, all
    /// threads; default: max-memory-size, or 4 GiB, plus 80 MB of tables),
    /// max-wasm-stack=BYTES, fuel=N, timeout=DURATION (a bare number is
    /// seconds; s, ms, us, ns suffixes), max-open-fds=N, max-threads=N,
    /// max-capture-size=BYTES.
    #[arg(short = 'W', long = "wasm", value_name = "KEY=VALUE[,..]", value_parser = os_parser(WasmOptions::parse))]
    pub wasm: Vec<WasmOptions>,

    /// Print the resolved plan (args, env keys, fd table, limits) and exit
    /// without running.
    #[arg(long = "explain")]
    pub explain: bool,

    /// The module to run, then the arguments passed to the guest, byte for
    /// byte: everything after MODULE is the guest's, even `--help` or `--`.
    ///
    /// MODULE is a `.wasm` or `.wat` file, or a `.webc` package (recognised
    /// by its header), whose volumes are mounted read-only and whose
    /// `--command` (default: entrypoint) runs. Always a file path, never a
    /// command name.
    // One positional for MODULE and ARGS, so that `trailing_var_arg` ends
    // option parsing at MODULE itself: with ARGS apart it would only end at
    // the first guest argument, and a `--help`, `--version` or `--` right
    // after MODULE would still be taken as wasi-run's.
    #[arg(
        value_names = ["MODULE", "ARGS"],
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    module_and_args: Vec<OsString>,
}

impl Cli {
    /// MODULE, as given.
    pub fn module(&self) -> &Path {
        // clap requires MODULE, so the empty path (which reads as no file)
        // is never used.
        self.module_and_args
            .first()
            .map_or(Path::new(""), Path::new)
    }

    /// The arguments after MODULE, passed to the guest unparsed.
    pub fn guest_args(&self) -> &[OsString] {
        self.module_and_args.get(1..).unwrap_or_default()
    }
}

/// The limits of one `-W` argument, in order.
#[derive(Debug, Clone)]
pub struct WasmOptions(pub Vec<WasmOption>);

impl WasmOptions {
    fn parse(input: &[u8]) -> Result<Self, ConfigError> {
        WasmOption::parse_list(input).map(WasmOptions)
    }
}

/// `--compile-timeout`'s value: a positive duration as `-W timeout`
/// spells it.
fn parse_compile_timeout(value: &[u8]) -> Result<Duration, ConfigError> {
    match wasi_config::parse_duration(value) {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(ConfigError::InvalidCliForm {
            form: "--compile-timeout DURATION",
            shown: wasi_config::Item(value.to_vec()),
            reason: "is not a positive duration (2, 2s, 500ms, 10us, 7ns)",
        }),
    }
}

/// The value parser of `--compiler`: one of the [`Compiler::name`]s, listed
/// in `--help` and in the error for any other value.
fn compiler_parser() -> impl TypedValueParser<Value = Compiler> {
    PossibleValuesParser::new(Compiler::ALL.map(Compiler::name)).try_map(|name: String| {
        Compiler::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| format!("unknown compiler {name}"))
    })
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
        let mut b = ConfigBuilder::new(self.module().as_os_str());
        b.args(self.guest_args());
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
        b.capabilities(self.capabilities());
        b
    }

    /// The limits of every `-W`, applied in order (a later value of a key
    /// wins); without `max-total-memory`, the environment total is
    /// [`default_total_memory`](wasi_launch::default_total_memory) of the
    /// per-memory limit. `--deterministic` makes `max-threads` 1.
    pub fn capabilities(&self) -> Capabilities {
        let mut caps = self
            .wasm
            .iter()
            .flat_map(|options| options.0.iter())
            .fold(Capabilities::default(), |caps, option| option.apply(caps));
        if self.deterministic {
            caps = caps.with_max_tasks(std::num::NonZeroUsize::MIN);
        }
        match caps.max_total_memory_bytes() {
            Some(_) => caps,
            None => caps.with_max_total_memory_bytes(wasi_launch::default_total_memory(
                caps.max_memory_bytes(),
            )),
        }
    }
}

/// The host's value of `key`, byte for byte.
fn host_var(key: &[u8]) -> Option<OsString> {
    std::env::vars_os()
        .find(|(k, _)| k.as_encoded_bytes() == key)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("wasi-run").chain(args.iter().copied()))
    }

    #[test]
    fn compiler_option_takes_each_compiler_name() {
        assert_eq!(parse(&["m.wasm"]).unwrap().compiler, Compiler::default());
        for compiler in Compiler::ALL {
            let cli = parse(&["--compiler", compiler.name(), "m.wasm"]).unwrap();
            assert_eq!(cli.compiler, compiler);
        }
        let err = parse(&["--compiler", "gcc", "m.wasm"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        let message = err.to_string();
        for compiler in Compiler::ALL {
            assert!(message.contains(compiler.name()), "{message}");
        }
    }

    /// Regression: `-h`, `--help`, `-V`, `--version` and `--` right after
    /// MODULE were taken by wasi-run instead of reaching the guest.
    #[test]
    fn everything_after_module_is_a_guest_arg() {
        for guest in [
            &["-h"][..],
            &["--help"],
            &["-V"],
            &["--version"],
            &["--"],
            &["--", "--help"],
            &["--dir=x"],
            &["--dir", "x"],
            &["--explain"],
            &["--compiler", "gcc"],
            &["--no-cache", "--cache-dir", "/tmp"],
            &["--bogus"],
            &["-x"],
            &["plain", "--help"],
        ] {
            let mut args = vec!["--no-cache", "m.wasm"];
            args.extend_from_slice(guest);
            let cli = parse(&args).unwrap_or_else(|e| panic!("{guest:?}: {e}"));
            assert_eq!(cli.module(), Path::new("m.wasm"), "{guest:?}");
            assert_eq!(cli.guest_args(), guest, "{guest:?}");
            assert!(!cli.explain && cli.dirs.is_empty(), "{guest:?}");
            assert!(cli.cache_dir.is_none(), "{guest:?}");
            assert_eq!(cli.compiler, Compiler::default(), "{guest:?}");
        }
    }

    #[test]
    fn options_before_module_are_wasi_runs() {
        for (args, kind) in [
            (&["-h", "m.wasm"][..], ErrorKind::DisplayHelp),
            (&["--help", "m.wasm", "x"], ErrorKind::DisplayHelp),
            (&["-V"], ErrorKind::DisplayVersion),
            (&["--version", "m.wasm"], ErrorKind::DisplayVersion),
            (&["--bogus", "m.wasm"], ErrorKind::UnknownArgument),
            (&[], ErrorKind::MissingRequiredArgument),
        ] {
            let err = parse(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} parsed"));
            assert_eq!(err.kind(), kind, "{args:?}");
        }
        let cli = parse(&[
            "--dir",
            "a",
            "--dir=b::/b",
            "--env",
            "K=V",
            "--compiler",
            "singlepass",
            "--cache-dir",
            "D",
            "--explain",
            "m.wasm",
            "--help",
        ])
        .unwrap();
        assert_eq!(cli.dirs.len(), 2);
        assert_eq!(cli.envs.len(), 1);
        assert_eq!(cli.compiler, Compiler::Singlepass);
        assert_eq!(cli.cache_dir.as_deref(), Some(Path::new("D")));
        assert!(cli.explain);
        assert_eq!(cli.module(), Path::new("m.wasm"));
        assert_eq!(cli.guest_args(), ["--help"]);
        // A `--` before MODULE ends wasi-run's options and is not the guest's.
        let cli = parse(&["--", "-m.wasm", "--", "-h"]).unwrap();
        assert_eq!(cli.module(), Path::new("-m.wasm"));
        assert_eq!(cli.guest_args(), ["--", "-h"]);
    }
}
