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

    /// A new engine using this compiler with its default options
    /// ([`Nans::Hardware`]), for the host's target and CPU features.
    pub fn engine(self) -> Engine {
        self.engine_with(Nans::default())
    }

    /// A new engine using this compiler with NaNs made as `nans` says.
    pub fn engine_with(self, nans: Nans) -> Engine {
        self.engine_and_cpus(nans).0
    }

    /// A new engine of this compiler whose compilations are metered with
    /// [`METERING`]'s cost function. The metering middleware serves one
    /// module only, so every metered compilation takes a new engine; the
    /// module cache then loads the artifact into its own engine.
    pub(crate) fn metered_engine(self, nans: Nans) -> Engine {
        use wasmer::sys::CompilerConfig;
        let metering = std::sync::Arc::new(crate::metering::Metering::default());
        match self {
            Self::Cranelift => {
                let mut config = cranelift(nans);
                config.push_middleware(metering);
                config.into()
            }
            Self::Singlepass => {
                let mut config = singlepass(nans);
                config.push_middleware(metering);
                config.into()
            }
        }
    }

    /// [`engine_with`](Self::engine_with), plus the CPU count the
    /// compiler's configuration read from the OS (the threads it compiles
    /// with), so a caller that also needs it does not ask the OS again:
    /// each [`std::thread::available_parallelism`] call reads several
    /// cgroup files.
    pub(crate) fn engine_and_cpus(self, nans: Nans) -> (Engine, NonZeroUsize) {
        match self {
            Self::Cranelift => {
                let config = cranelift(nans);
                let cpus = config.num_threads;
                (config.into(), cpus)
            }
            Self::Singlepass => {
                let config = singlepass(nans);
                let cpus = config.num_threads;
                (config.into(), cpus)
            }
        }
    }
}

/// Which bits a NaN made by a float operation has.
///
/// The wasm spec lets an operation whose result is NaN return any NaN
/// (the canonical one, or one with an operand's payload). Bit operations
/// (`neg`, `abs`, `copysign`, reinterpretations, loads and stores) keep a
/// NaN's bits in either mode, as the spec requires.
///
/// - [`Hardware`](Self::Hardware), the default (as in wasmtime and wasmer):
///   both compilers emit the CPU's own float instructions. On x86-64 a NaN
///   operand's payload shows through (quieted) and `0/0` gives the CPU's
///   default NaN. Singlepass (a tiered first run) and Cranelift (later
///   runs) then give every result the same bits, except the NaN results of
///   `min` and `max`, which singlepass makes canonical where Cranelift
///   keeps a payload. Another CPU architecture may give other bits.
/// - [`Canonical`](Self::Canonical): every NaN an arithmetic operation
///   returns is the canonical positive quiet NaN (`0x7fc00000`,
///   `0x7ff8000000000000`), on any CPU, for runs that must give the same
///   bytes everywhere (a judge, a replay; `wasi-run --deterministic`). One
///   exception, in wasmer 7.4.2's singlepass only: `f64.promote_f32` and
///   `f32.demote_f64` keep the operand's payload. It costs time on
///   float-heavy code (the `floats` benchmark: a loop of float operations
///   ran 1.9x as long).
///
/// Compiled code differs between the modes, and so do the module cache's
/// keys (the compiler's deterministic id names the mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Nans {
    /// The CPU's NaNs. The default.
    #[default]
    Hardware,
    /// The canonical NaN from every float operation.
    Canonical,
}

impl Nans {
    /// The mode `engine` was built with, read from its compiler's
    /// deterministic id (which names NaN canonicalisation), so that
    /// engines made to match it (tiering's quick compiles, metered
    /// compiles) make the same NaNs.
    pub(crate) fn of(engine: &Engine) -> Self {
        let id = engine.deterministic_id();
        if id.split('-').any(|component| component == "nan_canon") {
            Self::Canonical
        } else {
            Self::Hardware
        }
    }

    fn canonical(self) -> bool {
        self == Self::Canonical
    }
}

/// Cranelift's configuration: its defaults, NaNs as `nans` says.
fn cranelift(nans: Nans) -> wasmer::sys::Cranelift {
    let mut config = wasmer::sys::Cranelift::default();
    config.canonicalize_nans(nans.canonical());
    config
}

/// Singlepass's configuration: its defaults, NaNs as `nans` says (its own
/// default is canonical; made the same as Cranelift's here, so that both
/// tiers of one launcher give the same bits).
fn singlepass(nans: Nans) -> wasmer::sys::Singlepass {
    let mut config = wasmer::sys::Singlepass::default();
    config.canonicalize_nans(nans.canonical());
    config
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

    /// A module whose exports apply one float operation to operands given
    /// as bits and return the result's bits: `f32_<op>(a, b)` and
    /// `f64_<op>(a, b)` (unary operations ignore `b`), plus the
    /// conversions between the two widths.
    fn float_ops_module() -> String {
        let binary = ["add", "sub", "mul", "div", "min", "max", "copysign"];
        let unary = ["sqrt", "ceil", "floor", "trunc", "nearest", "neg", "abs"];
        let mut wat = String::from("(module\n");
        for (ty, int) in [("f32", "i32"), ("f64", "i64")] {
            for op in binary {
                wat += &format!(
                    "(func (export \"{ty}_{op}\") (param {int} {int}) (result {int})\n\
                     ({int}.reinterpret_{ty} ({ty}.{op} ({ty}.reinterpret_{int} (local.get 0)) \
                     ({ty}.reinterpret_{int} (local.get 1)))))\n"
                );
            }
            for op in unary {
                wat += &format!(
                    "(func (export \"{ty}_{op}\") (param {int} {int}) (result {int})\n\
                     ({int}.reinterpret_{ty} ({ty}.{op} ({ty}.reinterpret_{int} (local.get 0)))))\n"
                );
            }
        }
        wat += "(func (export \"f32_promote\") (param i32 i32) (result i64)\n\
                (i64.reinterpret_f64 (f64.promote_f32 (f32.reinterpret_i32 (local.get 0)))))\n\
                (func (export \"f64_demote\") (param i64 i64) (result i32)\n\
                (i32.reinterpret_f32 (f32.demote_f64 (f64.reinterpret_i64 (local.get 0))))))";
        wat
    }

    /// Every export of [`float_ops_module`] applied to every pair of
    /// interesting operands (NaNs with payloads, signalling and negative
    /// NaNs, zeros, infinities, ordinary numbers), by an engine of
    /// `compiler` with `nans`: `(export, a, b, result bits)`.
    fn float_op_results(compiler: Compiler, nans: Nans) -> Vec<(String, u64, u64, u64)> {
        let f32_operands: [u32; 9] = [
            0x7fa0_0001,
            0x7fc0_0000,
            0xffc0_1234,
            0x7f80_0001,
            0,
            0x8000_0000,
            0x7f80_0000,
            0xff80_0000,
            0x3f80_0000,
        ];
        let f64_operands: [u64; 9] = [
            0x7ff4_0000_0000_0001,
            0x7ff8_0000_0000_0000,
            0xfff8_0000_0000_1234,
            0x7ff0_0000_0000_0001,
            0,
            0x8000_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            0x3ff0_0000_0000_0000,
        ];
        let engine = compiler.engine_with(nans);
        let module = wasmer::Module::new(&engine, float_ops_module()).unwrap();
        let mut store = wasmer::Store::new(engine);
        let instance = wasmer::Instance::new(&mut store, &module, &wasmer::imports! {}).unwrap();
        let mut results = Vec::new();
        for (name, export) in instance.exports.iter() {
            let wasmer::Extern::Function(function) = export else {
                continue;
            };
            let wide = function.ty(&store).params()[0] == wasmer::Type::I64;
            for i in 0..9 {
                for j in 0..9 {
                    let (a, b) = if wide {
                        (f64_operands[i], f64_operands[j])
                    } else {
                        (u64::from(f32_operands[i]), u64::from(f32_operands[j]))
                    };
                    let args = if wide {
                        [wasmer::Value::I64(a as i64), wasmer::Value::I64(b as i64)]
                    } else {
                        [
                            wasmer::Value::I32(a as u32 as i32),
                            wasmer::Value::I32(b as u32 as i32),
                        ]
                    };
                    let bits = match function.call(&mut store, &args).unwrap()[0] {
                        wasmer::Value::I32(r) => u64::from(r as u32),
                        wasmer::Value::I64(r) => r as u64,
                        ref other => panic!("{name}: {other:?}"),
                    };
                    results.push((name.clone(), a, b, bits));
                }
            }
        }
        results
    }

    /// The canonical NaN of an export's result type, or `None` when
    /// its result is not a NaN.
    fn canonical_nan_of(name: &str, bits: u64) -> Option<u64> {
        let wide =
            name.starts_with("f64") && !name.ends_with("demote") || name.ends_with("promote");
        if wide {
            f64::from_bits(bits)
                .is_nan()
                .then_some(0x7ff8_0000_0000_0000)
        } else {
            f32::from_bits(bits as u32).is_nan().then_some(0x7fc0_0000)
        }
    }

    /// Operations that only move bits, which keep a NaN's payload in every
    /// mode, as the spec requires.
    fn is_bit_operation(name: &str) -> bool {
        ["neg", "abs", "copysign"]
            .iter()
            .any(|op| name.ends_with(op))
    }

    /// Issue 22, item 7, as the `Nans` docs say: with [`Nans::Hardware`]
    /// singlepass (a tiered first run) and Cranelift (later runs) give
    /// every float result the same bits except the NaN results of `min`
    /// and `max`, which singlepass makes canonical.
    #[test]
    fn tiers_differ_only_in_the_nans_of_min_and_max_with_hardware_nans() {
        let cranelift = float_op_results(Compiler::Cranelift, Nans::Hardware);
        let singlepass = float_op_results(Compiler::Singlepass, Nans::Hardware);
        assert_eq!(cranelift.len(), singlepass.len());
        let mut min_max_differences = 0;
        for (c, s) in cranelift.iter().zip(&singlepass) {
            let (name, a, b) = (&c.0, c.1, c.2);
            if name.ends_with("min") || name.ends_with("max") {
                if c.3 != s.3 {
                    min_max_differences += 1;
                    assert_eq!(
                        canonical_nan_of(name, s.3),
                        Some(s.3),
                        "{name} {a:#x} {b:#x}"
                    );
                }
                continue;
            }
            assert_eq!(
                c, s,
                "{name} of {a:#x}, {b:#x}: cranelift {:#x}, singlepass {:#x}",
                c.3, s.3
            );
        }
        assert!(
            min_max_differences > 0,
            "min and max agree now: update the Nans docs"
        );
    }

    /// Issue 22, item 7: with [`Nans::Canonical`] every NaN a float
    /// operation returns is the canonical one (Cranelift), or with
    /// singlepass every one but those of `promote` and `demote`, which keep
    /// the operand's payload (wasmer 7.4.2's singlepass does not
    /// canonicalise conversions; the `Nans` docs say so). With
    /// [`Nans::Hardware`] a NaN operand's payload shows through.
    #[test]
    fn canonical_nans_hide_every_payload_and_hardware_nans_show_them() {
        for compiler in Compiler::ALL {
            let mut conversions_keeping_payloads = 0;
            for (name, a, b, bits) in float_op_results(compiler, Nans::Canonical) {
                let Some(canonical) = canonical_nan_of(&name, bits) else {
                    continue;
                };
                if is_bit_operation(&name) {
                    continue;
                }
                if compiler == Compiler::Singlepass
                    && (name.ends_with("promote") || name.ends_with("demote"))
                {
                    conversions_keeping_payloads += usize::from(bits != canonical);
                    continue;
                }
                assert_eq!(bits, canonical, "{compiler}: {name} of {a:#x}, {b:#x}");
            }
            if compiler == Compiler::Singlepass {
                assert!(
                    conversions_keeping_payloads > 0,
                    "singlepass canonicalises conversions now: update the Nans docs"
                );
            }
            let payloads = float_op_results(compiler, Nans::Hardware)
                .into_iter()
                .filter(|(name, a, _, bits)| {
                    name == "f32_add" && *a == 0x7fa0_0001 && *bits == 0x7fe0_0001
                })
                .count();
            assert!(
                payloads > 0,
                "{compiler}: no payload shows with hardware NaNs"
            );
        }
    }

    /// The NaN mode of an engine is read back from it, as tiering and
    /// metered compiles need.
    #[test]
    fn an_engines_nan_mode_is_read_back_from_it() {
        for compiler in Compiler::ALL {
            for nans in [Nans::Hardware, Nans::Canonical] {
                assert_eq!(Nans::of(&compiler.engine_with(nans)), nans, "{compiler}");
            }
        }
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
