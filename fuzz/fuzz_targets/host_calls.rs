//! Any plan of memory writes and calls to the preview1 host functions of
//! issue 4 (args, environ, clocks, random, proc, sched_yield, fd read/write/
//! close/fdstat/seek/tell/prestat), with arbitrary arguments against a
//! one-page memory: every call returns a preview1 errno or ends the guest
//! cleanly through proc_exit/proc_raise, nothing panics, and the instance
//! then finishes without error.
//!
//! Under AddressSanitizer (cargo fuzz's default) proc_exit and proc_raise are
//! left out: wasmer 7.4.2 unwinds their error off the separate stack wasm
//! runs on, which ASan does not know about, and reports a
//! stack-buffer-overflow inside `raise_user_trap` (wasmer issues 5260 and
//! 6524). `cargo +nightly fuzz run -s none host_calls` runs them too.
#![no_main]

use wasi_env_fuzz::host_calls::{HostCallPlan, check_host_calls};

libfuzzer_sys::fuzz_target!(|plan: HostCallPlan| check_host_calls(&plan));
