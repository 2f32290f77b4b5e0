//! Any bytes to the package loader (as given and behind each webc header):
//! a package or a typed error, never a panic; an accepted package is
//! indexed under its exact version and reloads idempotently.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| wasi_env_fuzz::package::check_package_loader(input));
