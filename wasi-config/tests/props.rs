//! Property tests of `wasi-config` that its fuzz oracle does not cover.
//!
//! The model of the builder's rules and the round trips of the four
//! command-line forms live once, in the fuzz crate's oracle
//! (`fuzz/src/config.rs`), which `cargo test --workspace` also runs on fixed
//! seeds. Here: a command-line form assembled from known parts parses back
//! into exactly those parts, whatever bytes they hold.
//!
//! Inputs come from small alphabets holding the interesting bytes: nul, `=`,
//! `:`, `::`, `/`, `.`, non-UTF-8 bytes and empty strings.

use proptest::prelude::*;
use wasi_config::{CommandMapping, DirSpec, EnvAssignment, MapDirSpec};

/// Pieces of command-line forms: every separator, and the bytes that must
/// pass through untouched.
const CLI: &[&[u8]] = &[
    b"",
    b"a",
    b"=",
    b":",
    b"::",
    b"/",
    b".",
    b"\0",
    b"\xff",
    "\u{e9}".as_bytes(),
];

/// Pieces of keys and names: no `=`, so the key ends at the separator.
const FORM_KEYS: &[&[u8]] = &[b"a", b"Z", b"\xff", b":", b"\0"];

fn from(alphabet: &'static [&'static [u8]], max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(alphabet), 0..=max).prop_map(|p| p.concat())
}

fn cli_input() -> impl Strategy<Value = Vec<u8>> {
    from(CLI, 5)
}

/// The bytes a path holds, as the library sees them.
fn path_bytes(p: &std::path::Path) -> Vec<u8> {
    p.as_os_str().as_encoded_bytes().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn assembled_forms_parse_into_their_parts(
        key in from(FORM_KEYS, 3).prop_filter("key", |k| !k.is_empty()),
        value in prop::option::of(cli_input()),
        guest in cli_input().prop_filter("guest", |g| !g.is_empty()),
        host in cli_input().prop_filter("host", |h| !h.is_empty()),
    ) {
        let mut env = key.clone();
        if let Some(v) = &value {
            env.push(b'=');
            env.extend_from_slice(v);
        }
        let e = EnvAssignment::parse(&env).unwrap();
        prop_assert_eq!((e.key(), e.value()), (&key[..], value.as_deref()));

        // A host without `:` cannot hide or extend the `::` separator.
        let plain_host: Vec<u8> = host.iter().copied().filter(|&c| c != b':').collect();
        if !plain_host.is_empty() {
            let d = DirSpec::parse(&[&plain_host[..], b"::", &guest].concat()).unwrap();
            prop_assert_eq!(path_bytes(d.host()), plain_host.clone());
            prop_assert_eq!(d.guest(), Some(&guest[..]));
        }

        let plain_guest: Vec<u8> = guest.iter().copied().filter(|&c| c != b':').collect();
        if !plain_guest.is_empty() {
            let m = MapDirSpec::parse(&[&plain_guest[..], b":", &host].concat()).unwrap();
            prop_assert_eq!(m.guest(), &plain_guest[..]);
            prop_assert_eq!(path_bytes(m.host()), host.clone());
        }

        if let Ok(name) = std::str::from_utf8(&key) {
            let c = CommandMapping::parse(&[&key[..], b"=", &host].concat()).unwrap();
            prop_assert_eq!(c.name(), name);
            prop_assert_eq!(path_bytes(c.host()), host.clone());
        }
    }
}
