//! Any plan of memory writes (bytes, iovecs, poll subscriptions, paths) and
//! calls to all 46 wasi_snapshot_preview1 host functions, with arbitrary
//! arguments against a one-page memory and two preopens (an in-memory
//! sandbox directory and a host temporary directory, both seeded with files,
//! a subdirectory and symlinks leading in and out): every call returns a
//! preview1 errno or ends the guest cleanly through proc_exit/proc_raise,
//! nothing panics, no call holds more host memory than its bound, the
//! instance then finishes without error, and nothing beside either preopen
//! (a canary file, a sibling directory) changes.
//!
//! proc_exit and proc_raise are fuzzed in every build. Under
//! AddressSanitizer a stack a trap left can still show stale redzones (see
//! `forget_wasm_stacks` in the oracle), so `.ci/run` smoke-runs this target
//! without a sanitizer.
#![no_main]

use wasi_env_fuzz::host_calls::{HostCallPlan, check_host_calls};

libfuzzer_sys::fuzz_target!(|plan: HostCallPlan| check_host_calls(&plan));
