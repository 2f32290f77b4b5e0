//! The host_calls plans in threaded mode (wasi-threads, issue 14): the
//! dispatcher spawns a worker thread sharing its memory and fd table, and
//! the plan's calls run in pairs, one on the worker and one on the main
//! instance at the same time. Every call returns a preview1 errno or ends
//! the environment cleanly, nothing panics, the instance then ends and
//! finishes without error (a worker's trap is a failure), and nothing
//! beside either preopen changes. Plans also burn fuel on both threads at
//! once (all of them draw on one budget) and spawn storms of short-lived
//! threads. See
//! `wasi_env_fuzz::host_calls::check_host_calls_threaded`.
//!
//! As in `host_calls`, proc_exit and proc_raise are fuzzed in every build,
//! and `.ci/run` smoke-runs this target without a sanitizer (stale redzones
//! on wasm stacks a trap left, see `forget_wasm_stacks`).
#![no_main]

use wasi_env_fuzz::host_calls::{ThreadedHostCallPlan, check_host_calls_threaded};

libfuzzer_sys::fuzz_target!(|plan: ThreadedHostCallPlan| check_host_calls_threaded(&plan.0));
