//! Sets `cfg(fuzz_asan)` when the package is built with AddressSanitizer
//! (`cargo fuzz`'s default sanitizer).
//!
//! wasmer 7.4.2 unwinds a host function's error (`proc_exit`) off the
//! separate stack wasm runs on, which ASan does not know about, so ASan
//! reports a stack-buffer-overflow inside `raise_user_trap` on the first
//! `proc_exit` (wasmer issues 5260 and 6524). The host-call oracle leaves
//! `proc_exit` and `proc_raise` out under ASan; `-s none` runs them.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(fuzz_asan)");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if flags
        .split('\x1f')
        .any(|flag| flag.contains("sanitizer=address"))
    {
        println!("cargo::rustc-cfg=fuzz_asan");
    }
}
