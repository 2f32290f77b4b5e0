//! The compiler choice and the identity of the engine a module is compiled for.
//!
//! [`Compiler`] picks the wasmer compiler and builds the [`wasmer::Engine`].
//! [`EngineIdentity`] names everything a compiled artifact depends on, for the
//! module cache's keys: wasmer's own `deterministic_id()` names only the
//! compiler and its options, so the identity adds the wasmer version, the
//! target triple and the CPU features.

use std::fmt;
use std::num::NonZeroUsize;

use wasmer::Engine;
use wasmer::sys::NativeEngineExt;

/// The version of wasmer this crate is built against, as it appears in the
/// engine identity.
///
/// wasmer exposes no version constant, so this is kept by hand in step with
/// the `=7.4.2` pin in the workspace `Cargo.toml` (a unit test checks that).
pub const WASMER_VERSION: &str = "wasmer-7.4.2";

/// The wasmer compiler used to turn wasm into native code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Compiler {
    /// Cranelift: slower to compile, faster code. The default.
    #[default]
    Cranelift,
    /// Singlepass: compiles about ten times faster, slower code.
    Singlepass,
}

impl Compiler {
    /// Every compiler, in the order a front end should list them (the
    /// default first). `wasi-run`'s `--compiler` accepts exactly their
    /// [`name`](Self::name)s.
    pub const ALL: [Compiler; 2] = [Self::Cranelift, Self::Singlepass];

    /// The lower-case name used on the command line (`cranelift`, `singlepass`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Cranelift => "cranelift",
            Self::Singlepass => "singlepass",
        }
    }

    /// A new engine using this compiler with its default options, for the
    /// host's target and CPU features.
    pub fn engine(self) -> Engine {
        self.engine_and_cpus().0
    }

    /// [`engine`](Self::engine), plus the CPU count the compiler's
    /// configuration read from the OS (the threads it compiles with), so a
    /// caller that also needs it does not ask the OS again: each
    /// [`std::thread::available_parallelism`] call reads several cgroup files.
    /// A new engine of this compiler whose compilations are metered with
    /// [`METERING`]'s cost function. wasmer's metering middleware can serve
    /// one module only, so every metered compilation takes a new engine;
    /// the module cache then loads the artifact into its own engine.
    pub(crate) fn metered_engine(self) -> Engine {
        use wasmer::sys::CompilerConfig;
        let metering = std::sync::Arc::new(crate::metering::Metering::default());
        match self {
            Self::Cranelift => {
                let mut config = wasmer::sys::Cranelift::default();
                config.push_middleware(metering);
                config.into()
            }
            Self::Singlepass => {
                let mut config = wasmer::sys::Singlepass::default();
                config.push_middleware(metering);
                config.into()
            }
        }
    }

    pub(crate) fn engine_and_cpus(self) -> (Engine, NonZeroUsize) {
        match self {
            Self::Cranelift => {
                let config = wasmer::sys::Cranelift::default();
                let cpus = config.num_threads;
                (config.into(), cpus)
            }
            Self::Singlepass => {
                let config = wasmer::sys::Singlepass::default();
                let cpus = config.num_threads;
                (config.into(), cpus)
            }
        }
    }
}

impl fmt::Display for Compiler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How metered compilations count fuel, as named in their cache keys:
/// every wasm operator costs one unit, paid at the end of each basic
/// block from a counter that starts empty and refills from the
/// environment's fuel bank through a tagged `memory.grow` of memory 0 (see
/// the crate's `metering` and `fuel` modules). A change to any of this is a
/// new name, so cached artifacts of an old scheme are never loaded.
pub const METERING: &str = "metering-v2:one-per-operator:start-0:refill-b7";

/// Everything a compiled artifact depends on, as one string:
/// `wasmer-7.4.2|<target triple>|<cpu features>|<deterministic id>`.
///
/// The CPU features are listed by name, comma-separated, in wasmer's fixed
/// order. Two engines with equal identities produce interchangeable artifacts.
/// A metered compilation's identity ends in `|` and [`METERING`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EngineIdentity(String);

impl EngineIdentity {
    /// The identity of `engine`.
    pub fn of(engine: &Engine) -> Self {
        let target = engine.target();
        let features: Vec<String> = target
            .cpu_features()
            .iter()
            .map(|f| f.to_string())
            .collect();
        Self(format!(
            "{WASMER_VERSION}|{}|{}|{}",
            target.triple(),
            features.join(","),
            engine.deterministic_id()
        ))
    }

    /// This identity for metered compilations ([`METERING`]): a different
    /// identity, so metered and unmetered artifacts never share a key.
    pub fn metered(&self) -> Self {
        Self(format!("{}|{METERING}", self.0))
    }

    /// The identity string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EngineIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_names_version_target_features_and_compiler() {
        let cranelift = EngineIdentity::of(&Compiler::Cranelift.engine());
        let singlepass = EngineIdentity::of(&Compiler::Singlepass.engine());
        let parts: Vec<&str> = cranelift.as_str().split('|').collect();
        assert_eq!(parts.len(), 4, "{cranelift}");
        assert_eq!(parts[0], "wasmer-7.4.2");
        assert!(parts[1].contains(std::env::consts::ARCH), "{cranelift}");
        if cfg!(target_arch = "x86_64") {
            assert!(parts[2].contains("sse2"), "{cranelift}");
        }
        assert!(parts[3].starts_with("cranelift"), "{cranelift}");
        assert!(singlepass.as_str().contains("singlepass"), "{singlepass}");
        assert_ne!(cranelift, singlepass);
        // Stable across engines built the same way.
        assert_eq!(cranelift, EngineIdentity::of(&Compiler::Cranelift.engine()));
    }

    #[test]
    fn version_constant_matches_the_workspace_pin() {
        let manifest = include_str!("../../Cargo.toml");
        let version = WASMER_VERSION.trim_start_matches("wasmer-");
        let pin = format!("wasmer = {{ version = \"={version}\"");
        assert!(
            manifest.contains(&pin),
            "workspace Cargo.toml no longer pins wasmer {version}: update WASMER_VERSION"
        );
    }

    #[test]
    fn compiler_names_are_distinct_lower_case_and_displayed() {
        assert_eq!(Compiler::default(), Compiler::Cranelift);
        assert_eq!(Compiler::ALL[0], Compiler::default());
        assert_eq!(
            Compiler::ALL.map(Compiler::name),
            ["cranelift", "singlepass"]
        );
        for compiler in Compiler::ALL {
            assert_eq!(compiler.to_string(), compiler.name());
            // A new variant breaks this match: the reminder to add it to
            // ALL and to the names above.
            match compiler {
                Compiler::Cranelift | Compiler::Singlepass => {}
            }
        }
    }
}
