//! Any bytes through the four command-line parsers (`KEY=VALUE`,
//! `HOST[::GUEST]`, `GUEST:HOST`, `NAME=PATH`): none panics, each accepts
//! exactly its documented shape, and what it accepts round-trips through
//! `to_bytes`/`parse` (and `TryFrom<&OsStr>` on unix, `Display`/`FromStr`
//! for UTF-8 input).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| wasi_env_fuzz::config::check_cli_forms(input));
