//! The guest's limits from the container's OCI spec: the memory limit
//! (`linux.resources.memory.limit`) caps each linear memory, and two
//! annotations set fuel and a timeout, with `wasi-run -W`'s syntax.

use oci_spec::runtime::Spec;
use wasi_config::{Capabilities, WasmOption};

use crate::error::ShimError;

/// Annotation: the guest's fuel, in wasm operators (`-W fuel=N`).
pub const FUEL_ANNOTATION: &str = "io.wasienv.fuel";

/// Annotation: the guest's wall-clock limit (`-W timeout=`: `2s`, `500ms`,
/// `10us`, `7ns`, or a bare number of seconds).
pub const TIMEOUT_ANNOTATION: &str = "io.wasienv.timeout";

/// The limits `spec` sets on the guest.
pub fn capabilities(spec: &Spec) -> Result<Capabilities, ShimError> {
    let mut caps = Capabilities::default();
    let limit = spec
        .linux()
        .as_ref()
        .and_then(|linux| linux.resources().as_ref())
        .and_then(|resources| resources.memory().as_ref())
        .and_then(|memory| memory.limit());
    // -1 (or any value below 1) is "no limit" in the runtime spec.
    if let Some(bytes) = limit.and_then(|l| u64::try_from(l).ok()).filter(|&b| b > 0) {
        caps = caps.with_max_memory_bytes(bytes);
    }
    let Some(annotations) = spec.annotations() else {
        return Ok(caps);
    };
    for (annotation, key) in [(FUEL_ANNOTATION, "fuel"), (TIMEOUT_ANNOTATION, "timeout")] {
        let Some(value) = annotations.get(annotation) else {
            continue;
        };
        let bad = |source| ShimError::Annotation { annotation, source };
        // One value: a comma would smuggle in other options.
        let option = format!("{key}={}", value.replace(',', "\u{fffd}"));
        for option in WasmOption::parse_list(option.as_bytes()).map_err(bad)? {
            caps = option.apply(caps);
        }
    }
    Ok(caps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A spec from the JSON of its non-default parts.
    fn spec(json: &str) -> Spec {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, json).unwrap();
        Spec::load(&path).unwrap()
    }

    #[test]
    fn the_memory_limit_and_annotations_become_the_guests_limits() {
        let caps = capabilities(&spec(
            r#"{"ociVersion":"1.0.2","annotations":{"io.wasienv.fuel":"100000","io.wasienv.timeout":"500ms"},
                "linux":{"resources":{"memory":{"limit":67108864}}}}"#,
        ))
        .unwrap();
        assert_eq!(caps.max_memory_bytes(), Some(64 << 20));
        assert_eq!(caps.fuel(), Some(100_000));
        assert_eq!(caps.timeout(), Some(Duration::from_millis(500)));
    }

    #[test]
    fn a_spec_without_limits_sets_none() {
        let caps = capabilities(&spec(
            r#"{"ociVersion":"1.0.2","linux":{"resources":{"memory":{"limit":-1}}}}"#,
        ))
        .unwrap();
        assert_eq!(caps, Capabilities::default());
        assert_eq!(
            capabilities(&spec(r#"{"ociVersion":"1.0.2"}"#)).unwrap(),
            Capabilities::default()
        );
    }

    #[test]
    fn a_bad_annotation_is_an_error_naming_it() {
        for (annotation, value) in [
            (FUEL_ANNOTATION, "lots"),
            (TIMEOUT_ANNOTATION, "soon"),
            (FUEL_ANNOTATION, "1,max-memory-size=1"),
        ] {
            let json =
                format!(r#"{{"ociVersion":"1.0.2","annotations":{{"{annotation}":"{value}"}}}}"#);
            let err = capabilities(&spec(&json)).unwrap_err();
            assert!(err.to_string().contains(annotation), "{err}");
        }
    }
}
