//! Any sequence of `ConfigBuilder` calls, then validation: the verdict
//! agrees with the independent oracle (accepted exactly when the rules
//! hold, every reported problem true of the input, `validate` and
//! `validate_all` agreeing, an accepted config holding exactly the model's
//! args and env), and nothing panics.
#![no_main]

use wasi_env_fuzz::config::{BuilderOps, check_builder_ops};

libfuzzer_sys::fuzz_target!(|input: BuilderOps| check_builder_ops(&input));
