//! Any plan of path operations over token paths (`.`, `..`, `/`, a few names,
//! the root, the absolute path beside the preopen), with symlinks planted by
//! the host or made by the guest, run on a host temp dir and on the in-memory
//! sandbox: every resolved location lies inside its preopen or the call
//! failed, the canary beside the preopen never changes, and both backings
//! give the same answer at every step.
#![no_main]

use wasi_env_fuzz::resolve::{Plan, check_plan};

libfuzzer_sys::fuzz_target!(|plan: Plan| check_plan(&plan));
