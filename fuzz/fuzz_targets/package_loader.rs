//! Any bytes to the package loader (as given and behind each webc header):
//! a package or a typed error, never a panic escaping the loader; an
//! accepted package is indexed under its exact version and reloads
//! idempotently.
//!
//! webc 12 itself panics on some malformed containers; the loader catches
//! those panics and returns `LaunchError::PackageReaderPanicked`. libFuzzer's
//! panic hook aborts on every panic, caught or not, so this target replaces
//! it with a silent hook: a panic that escapes the loader still unwinds to
//! libfuzzer-sys, which aborts and records the crash.
#![no_main]

static QUIET_HOOK: std::sync::Once = std::sync::Once::new();

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    QUIET_HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    wasi_env_fuzz::package::check_package_loader(input);
});
