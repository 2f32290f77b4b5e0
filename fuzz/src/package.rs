//! The package loader on arbitrary bytes.
//!
//! Property: [`check_package_loader`] gives every input to the launcher's
//! package cache, which answers a package or a typed
//! [`LaunchError`](wasi_launch::LaunchError), never a panic; a package it
//! accepts has a name and version that index it, commands whose atoms are
//! either readable or a typed error, and mounts at absolute guest paths.
//! Inputs are tried as given and behind each webc header, so the parser
//! itself is reached, not only the magic check.
//!
//! Under libFuzzer a panic caught inside the loader (its `catch_unwind`
//! line of defence) still aborts the run, which is what we want: it is a
//! webc reader bug worth a report.

use wasi_launch::PackageCache;

/// The headers of webc v1, v2 and v3 containers.
pub const HEADERS: [&[u8]; 3] = [b"\0webc001", b"\0webc002", b"\0webc003"];

/// Loads `input` (then `input` behind each webc header) and checks what
/// the loader answers.
pub fn check_package_loader(input: &[u8]) {
    check_one(input);
    for header in HEADERS {
        let mut bytes = header.to_vec();
        bytes.extend_from_slice(input);
        check_one(&bytes);
    }
}

fn check_one(bytes: &[u8]) {
    let cache = PackageCache::new();
    let Ok(package) = cache.include_bytes(bytes.to_vec()) else {
        assert!(cache.is_empty(), "a rejected package was indexed");
        return;
    };
    let exact = format!("{}@{}", package.name(), package.version());
    assert!(cache.get(&exact).is_some(), "{exact} is not indexed");
    // Reloading the same bytes is idempotent.
    let again = cache.include_bytes(bytes.to_vec()).expect("reload");
    assert!(std::sync::Arc::ptr_eq(&package, &again));
    for command in package.commands().map(str::to_string).collect::<Vec<_>>() {
        let _ = package.command_atom(&command);
    }
    for mount in package.mounts() {
        assert!(mount.guest_path.as_bytes().starts_with(b"/"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed-seed xorshift, so the test needs no rand dependency.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn random_bytes_never_panic_the_loader() {
        let mut state = 0x5eed_0006_u64;
        for _ in 0..300 {
            let len = (next(&mut state) % 512) as usize;
            let input: Vec<u8> = (0..len).map(|_| next(&mut state) as u8).collect();
            check_package_loader(&input);
        }
        for input in [
            &b""[..],
            b"\0",
            b"\0webc",
            b"\0webc003",
            b"\0webc00",
            b"\xff\xff\xff\xff",
        ] {
            check_package_loader(input);
        }
    }
}
