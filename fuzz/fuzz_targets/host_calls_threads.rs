//! The host_calls plans in threaded mode (wasi-threads, issue 14): the
//! dispatcher spawns a worker thread sharing its memory and fd table, and
//! the plan's calls run in pairs, one on the worker and one on the main
//! instance at the same time. Every call returns a preview1 errno or ends
//! the environment cleanly, nothing panics, the instance then ends and
//! finishes without error (a worker's trap is a failure), and nothing
//! beside either preopen changes. See
//! `wasi_env_fuzz::host_calls::check_host_calls_threaded`.
//!
//! As in `host_calls`, proc_exit and proc_raise are left out under
//! AddressSanitizer; `cargo +nightly fuzz run -s none host_calls_threads`
//! runs them too.
#![no_main]

use wasi_env_fuzz::host_calls::{HostCallPlan, check_host_calls_threaded};

libfuzzer_sys::fuzz_target!(|plan: HostCallPlan| check_host_calls_threaded(&plan));
