//! The `-W KEY=VALUE` limit options of `wasi-run`, spelled as wasmtime
//! spells them, parsed from bytes with no side effects.
//!
//! | key | value | sets |
//! |---|---|---|
//! | `max-memory-size` | bytes | [`Capabilities::with_max_memory_bytes`] |
//! | `max-total-memory` | bytes | [`Capabilities::with_max_total_memory_bytes`] |
//! | `max-wasm-stack` | bytes | [`Capabilities::with_max_wasm_stack`] |
//! | `fuel` | units | [`Capabilities::with_fuel`] |
//! | `timeout` | duration | [`Capabilities::with_timeout`] |
//! | `max-open-fds` | positive count | [`Capabilities::with_max_open_fds`] |
//! | `max-threads` | positive count | [`Capabilities::with_max_tasks`] |
//! | `max-capture-size` | bytes | [`Capabilities::with_max_capture_bytes`] |
//!
//! Numbers are plain unsigned decimal digits (no sign, no `_`, no unit
//! suffix: bytes are plain bytes, as in wasmtime). A duration is such a
//! number, in seconds when bare, or followed by `s`, `ms`, `us` or `ns`.
//! Whether a value makes sense as a limit (a stack within bounds, a
//! nonzero timeout) is checked later, by
//! [`ConfigBuilder::validate`](crate::ConfigBuilder::validate).

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use crate::capabilities::Capabilities;
use crate::error::{ConfigError, Item};

/// One `-W KEY=VALUE` limit option of `wasi-run` (wasmtime's spelling),
/// parsed by [`WasmOption::parse_list`] and applied to [`Capabilities`] by
/// [`WasmOption::apply`].
///
/// Its `Display` prints it back as `key=value`, which
/// [`parse_list`](WasmOption::parse_list) reads back into the same option
/// (durations in the largest unit that shows them exactly, e.g. `2s`,
/// `1500ms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WasmOption {
    /// `max-memory-size=BYTES`: the maximum size of each linear memory.
    MaxMemorySize(u64),
    /// `max-total-memory=BYTES`: the most bytes of linear memory and tables
    /// of the whole environment, all its threads included.
    MaxTotalMemory(u64),
    /// `max-wasm-stack=BYTES`: the wasm stack size.
    MaxWasmStack(u64),
    /// `fuel=N`: the number of wasm operators the guest may execute.
    Fuel(u64),
    /// `timeout=DURATION`: the wall-clock timeout of a run.
    Timeout(Duration),
    /// `max-open-fds=N`: the maximum number of fds open at once.
    MaxOpenFds(NonZeroUsize),
    /// `max-threads=N`: the maximum number of the environment's tasks
    /// running at once.
    MaxThreads(NonZeroUsize),
    /// `max-capture-size=BYTES`: the cap on bytes captured from each of
    /// stdout and stderr.
    MaxCaptureBytes(u64),
}

const FORM: &str = "-W KEY=VALUE";

fn cli_error(shown: &[u8], reason: &'static str) -> ConfigError {
    ConfigError::InvalidCliForm {
        form: FORM,
        shown: Item(shown.to_vec()),
        reason,
    }
}

/// Why a number could not be read.
enum NumberProblem {
    /// Empty, or something other than decimal digits.
    NotANumber,
    /// More than `u64::MAX`.
    TooLarge,
}

/// Plain unsigned decimal digits, at least one, fitting in `u64`.
fn parse_u64(digits: &[u8]) -> Result<u64, NumberProblem> {
    if digits.is_empty() {
        return Err(NumberProblem::NotANumber);
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return Err(NumberProblem::NotANumber);
        }
        acc.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(NumberProblem::TooLarge)
    })
}

/// Parses a duration as `-W timeout=` takes it: plain decimal digits, in
/// seconds when bare, or followed by `s`, `ms`, `us` or `ns` (`2`, `2s`,
/// `500ms`); `None` for anything else, or more than `u64::MAX` units.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(wasi_config::parse_duration(b"500ms"), Some(Duration::from_millis(500)));
/// assert_eq!(wasi_config::parse_duration(b"2"), Some(Duration::from_secs(2)));
/// assert_eq!(wasi_config::parse_duration(b"2 s"), None);
/// ```
pub fn parse_duration(value: &[u8]) -> Option<Duration> {
    parse_duration_value(value).ok()
}

/// A duration: a number of seconds when bare, or a number followed by `s`,
/// `ms`, `us` or `ns`.
fn parse_duration_value(value: &[u8]) -> Result<Duration, NumberProblem> {
    // The two-letter suffixes first: each also ends in `s`.
    let (digits, make): (&[u8], fn(u64) -> Duration) = if let Some(n) = value.strip_suffix(b"ms") {
        (n, Duration::from_millis)
    } else if let Some(n) = value.strip_suffix(b"us") {
        (n, Duration::from_micros)
    } else if let Some(n) = value.strip_suffix(b"ns") {
        (n, Duration::from_nanos)
    } else if let Some(n) = value.strip_suffix(b"s") {
        (n, Duration::from_secs)
    } else {
        (value, Duration::from_secs)
    };
    parse_u64(digits).map(make)
}

impl WasmOption {
    /// Parses one `-W` argument, which may hold several comma-separated
    /// `KEY=VALUE` items (`fuel=100000,timeout=2s`), into its options in
    /// the order written. Input is bytes (an `OsStr`'s bytes).
    ///
    /// Every problem is a [`ConfigError::InvalidCliForm`] with the form
    /// `-W KEY=VALUE`, showing the key (the whole item when it has no `=`,
    /// the whole argument when an item is empty): an unknown key, a value
    /// that is not a plain decimal number (or duration), one too large for
    /// 64 bits, a zero `max-open-fds` or `max-threads`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wasi_config::{Capabilities, ConfigError, WasmOption};
    ///
    /// let options = WasmOption::parse_list(b"fuel=100000,timeout=1500ms")?;
    /// assert_eq!(
    ///     options,
    ///     [WasmOption::Fuel(100_000), WasmOption::Timeout(Duration::from_millis(1500))]
    /// );
    /// let caps = options.iter().fold(Capabilities::default(), |caps, o| o.apply(caps));
    /// assert_eq!(caps.fuel(), Some(100_000));
    /// assert_eq!(options[1].to_string(), "timeout=1500ms");
    ///
    /// let err = WasmOption::parse_list(b"max-threads=0").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid -W KEY=VALUE argument \"max-threads\": must be positive"
    /// );
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn parse_list(input: &[u8]) -> Result<Vec<WasmOption>, ConfigError> {
        input
            .split(|&b| b == b',')
            .map(|item| Self::parse_item(input, item))
            .collect()
    }

    /// Parses one `KEY=VALUE` item of the argument `whole`.
    fn parse_item(whole: &[u8], item: &[u8]) -> Result<WasmOption, ConfigError> {
        if item.is_empty() {
            return Err(cli_error(whole, "has an empty item"));
        }
        let Some(at) = item.iter().position(|&b| b == b'=') else {
            return Err(cli_error(item, "is not KEY=VALUE"));
        };
        let (key, value) = (&item[..at], &item[at + 1..]);
        let number = |not_a_number: &'static str| {
            move |problem| {
                cli_error(
                    key,
                    match problem {
                        NumberProblem::NotANumber => not_a_number,
                        NumberProblem::TooLarge => "is too large",
                    },
                )
            }
        };
        let count = || -> Result<NonZeroUsize, ConfigError> {
            let n = parse_u64(value).map_err(number("is not a number"))?;
            let n = usize::try_from(n).map_err(|_| cli_error(key, "is too large"))?;
            NonZeroUsize::new(n).ok_or_else(|| cli_error(key, "must be positive"))
        };
        let bytes = || parse_u64(value).map_err(number("is not a number"));
        Ok(match key {
            b"max-memory-size" => WasmOption::MaxMemorySize(bytes()?),
            b"max-total-memory" => WasmOption::MaxTotalMemory(bytes()?),
            b"max-wasm-stack" => WasmOption::MaxWasmStack(bytes()?),
            b"fuel" => WasmOption::Fuel(bytes()?),
            b"timeout" => WasmOption::Timeout(
                parse_duration_value(value).map_err(number("is not a duration"))?,
            ),
            b"max-open-fds" => WasmOption::MaxOpenFds(count()?),
            b"max-threads" => WasmOption::MaxThreads(count()?),
            b"max-capture-size" => WasmOption::MaxCaptureBytes(bytes()?),
            _ => return Err(cli_error(key, "unknown key")),
        })
    }

    /// Applies this option to `caps`, through the matching setter
    /// ([`WasmOption::MaxThreads`] sets [`Capabilities::with_max_tasks`]).
    pub fn apply(self, caps: Capabilities) -> Capabilities {
        match self {
            WasmOption::MaxMemorySize(n) => caps.with_max_memory_bytes(n),
            WasmOption::MaxTotalMemory(n) => caps.with_max_total_memory_bytes(n),
            WasmOption::MaxWasmStack(n) => caps.with_max_wasm_stack(n),
            WasmOption::Fuel(n) => caps.with_fuel(n),
            WasmOption::Timeout(d) => caps.with_timeout(d),
            WasmOption::MaxOpenFds(n) => caps.with_max_open_fds(n),
            WasmOption::MaxThreads(n) => caps.with_max_tasks(n),
            WasmOption::MaxCaptureBytes(n) => caps.with_max_capture_bytes(n),
        }
    }

    /// The key as written on the command line (`max-memory-size`, ...).
    pub fn key(self) -> &'static str {
        match self {
            WasmOption::MaxMemorySize(_) => "max-memory-size",
            WasmOption::MaxTotalMemory(_) => "max-total-memory",
            WasmOption::MaxWasmStack(_) => "max-wasm-stack",
            WasmOption::Fuel(_) => "fuel",
            WasmOption::Timeout(_) => "timeout",
            WasmOption::MaxOpenFds(_) => "max-open-fds",
            WasmOption::MaxThreads(_) => "max-threads",
            WasmOption::MaxCaptureBytes(_) => "max-capture-size",
        }
    }
}

impl fmt::Display for WasmOption {
    /// Prints `key=value`, which [`WasmOption::parse_list`] reads back;
    /// a duration is shown in the largest of `s`, `ms`, `us`, `ns` that
    /// shows it exactly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=", self.key())?;
        match *self {
            WasmOption::MaxMemorySize(n)
            | WasmOption::MaxTotalMemory(n)
            | WasmOption::MaxWasmStack(n)
            | WasmOption::Fuel(n)
            | WasmOption::MaxCaptureBytes(n) => write!(f, "{n}"),
            WasmOption::MaxOpenFds(n) | WasmOption::MaxThreads(n) => write!(f, "{n}"),
            WasmOption::Timeout(d) => {
                let nanos = d.as_nanos();
                let (count, unit) = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")]
                    .into_iter()
                    .find(|&(per, _)| nanos % per == 0)
                    .map_or((nanos, "ns"), |(per, unit)| (nanos / per, unit));
                write!(f, "{count}{unit}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nz(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap()
    }

    /// The shown part and reason of an `InvalidCliForm` error.
    fn shown_and_reason(input: &[u8]) -> (Vec<u8>, &'static str) {
        match WasmOption::parse_list(input).unwrap_err() {
            ConfigError::InvalidCliForm {
                form,
                shown,
                reason,
            } => {
                assert_eq!(form, "-W KEY=VALUE");
                (shown.0, reason)
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn every_key_parses_to_its_option() {
        let cases = [
            (
                &b"max-memory-size=65536"[..],
                WasmOption::MaxMemorySize(65536),
            ),
            (
                b"max-total-memory=1048576",
                WasmOption::MaxTotalMemory(1 << 20),
            ),
            (b"max-wasm-stack=1048576", WasmOption::MaxWasmStack(1 << 20)),
            (b"fuel=0", WasmOption::Fuel(0)),
            (b"timeout=3", WasmOption::Timeout(Duration::from_secs(3))),
            (b"max-open-fds=64", WasmOption::MaxOpenFds(nz(64))),
            (b"max-threads=4", WasmOption::MaxThreads(nz(4))),
            (b"max-capture-size=4096", WasmOption::MaxCaptureBytes(4096)),
        ];
        for (input, want) in cases {
            assert_eq!(WasmOption::parse_list(input).unwrap(), [want]);
            assert_eq!(
                input.split(|&b| b == b'=').next(),
                Some(want.key().as_bytes())
            );
        }
    }

    #[test]
    fn comma_separated_items_parse_in_order() {
        let options =
            WasmOption::parse_list(b"fuel=100000,timeout=2s,max-threads=8,fuel=5").unwrap();
        assert_eq!(
            options,
            [
                WasmOption::Fuel(100_000),
                WasmOption::Timeout(Duration::from_secs(2)),
                WasmOption::MaxThreads(nz(8)),
                WasmOption::Fuel(5),
            ]
        );
        // Applied in order, the later of a repeated key wins.
        let caps = options
            .into_iter()
            .fold(Capabilities::default(), |c, o| o.apply(c));
        assert_eq!(caps.fuel(), Some(5));
    }

    #[test]
    fn bare_timeout_is_seconds_and_suffixes_scale() {
        let timeout = |input: &[u8]| match WasmOption::parse_list(input).unwrap()[..] {
            [WasmOption::Timeout(d)] => d,
            ref other => panic!("unexpected {other:?}"),
        };
        assert_eq!(timeout(b"timeout=2"), Duration::from_secs(2));
        assert_eq!(timeout(b"timeout=2s"), Duration::from_secs(2));
        assert_eq!(timeout(b"timeout=1500ms"), Duration::from_millis(1500));
        assert_eq!(timeout(b"timeout=10us"), Duration::from_micros(10));
        assert_eq!(timeout(b"timeout=7ns"), Duration::from_nanos(7));
        assert_eq!(
            timeout(b"timeout=18446744073709551615"),
            Duration::from_secs(u64::MAX)
        );
    }

    #[test]
    fn bad_durations_are_errors_naming_the_key() {
        let not_a_duration = [
            &b"timeout="[..],
            b"timeout=s",
            b"timeout=ms",
            b"timeout=1.5s",
            b"timeout=2m",
            b"timeout=2h",
            b"timeout=-1",
            b"timeout=+1s",
            b"timeout=1 s",
            b"timeout=2S",
            b"timeout=1_000ms",
        ];
        for input in not_a_duration {
            assert_eq!(
                shown_and_reason(input),
                (b"timeout".to_vec(), "is not a duration"),
                "{input:?}"
            );
        }
        assert_eq!(
            shown_and_reason(b"timeout=18446744073709551616ns"),
            (b"timeout".to_vec(), "is too large")
        );
    }

    #[test]
    fn bad_numbers_are_errors_naming_the_key() {
        for key in [
            "max-memory-size",
            "max-total-memory",
            "max-wasm-stack",
            "fuel",
            "max-open-fds",
            "max-threads",
            "max-capture-size",
        ] {
            for value in ["", "-1", "+1", "1k", "64KiB", "1_000", " 1", "0x10", "1.0"] {
                let input = format!("{key}={value}");
                assert_eq!(
                    shown_and_reason(input.as_bytes()),
                    (key.as_bytes().to_vec(), "is not a number"),
                    "{input}"
                );
            }
            let input = format!("{key}=18446744073709551616");
            assert_eq!(
                shown_and_reason(input.as_bytes()),
                (key.as_bytes().to_vec(), "is too large")
            );
        }
        // The largest u64 is a number.
        assert_eq!(
            WasmOption::parse_list(b"fuel=18446744073709551615").unwrap(),
            [WasmOption::Fuel(u64::MAX)]
        );
    }

    #[test]
    fn zero_fds_or_threads_must_be_positive() {
        for key in ["max-open-fds", "max-threads"] {
            let input = format!("{key}=0");
            assert_eq!(
                shown_and_reason(input.as_bytes()),
                (key.as_bytes().to_vec(), "must be positive")
            );
        }
        // Zero is a value for the other limits (validation judges it).
        assert_eq!(
            WasmOption::parse_list(b"max-memory-size=0,timeout=0").unwrap(),
            [
                WasmOption::MaxMemorySize(0),
                WasmOption::Timeout(Duration::ZERO)
            ]
        );
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        assert_eq!(
            shown_and_reason(b"fuel=1,max-memory=1"),
            (b"max-memory".to_vec(), "unknown key")
        );
        assert_eq!(
            shown_and_reason(b"Fuel=1"),
            (b"Fuel".to_vec(), "unknown key")
        );
        assert_eq!(shown_and_reason(b"=1"), (b"".to_vec(), "unknown key"));
        assert_eq!(
            shown_and_reason(b"\xff=1"),
            (b"\xff".to_vec(), "unknown key")
        );
        let message = WasmOption::parse_list(b"nope=secret")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "invalid -W KEY=VALUE argument \"nope\": unknown key"
        );
    }

    #[test]
    fn item_without_equals_is_an_error_showing_the_item() {
        assert_eq!(
            shown_and_reason(b"fuel=1,timeout"),
            (b"timeout".to_vec(), "is not KEY=VALUE")
        );
    }

    #[test]
    fn empty_items_are_errors() {
        for input in [&b""[..], b",", b"fuel=1,,timeout=2", b",fuel=1", b"fuel=1,"] {
            assert_eq!(
                shown_and_reason(input),
                (input.to_vec(), "has an empty item"),
                "{input:?}"
            );
        }
    }

    #[test]
    fn display_prints_key_equals_value() {
        let shown = [
            (WasmOption::MaxMemorySize(65536), "max-memory-size=65536"),
            (WasmOption::MaxTotalMemory(9), "max-total-memory=9"),
            (WasmOption::MaxWasmStack(8192), "max-wasm-stack=8192"),
            (WasmOption::Fuel(7), "fuel=7"),
            (WasmOption::MaxOpenFds(nz(3)), "max-open-fds=3"),
            (WasmOption::MaxThreads(nz(2)), "max-threads=2"),
            (WasmOption::MaxCaptureBytes(1), "max-capture-size=1"),
            (WasmOption::Timeout(Duration::from_secs(2)), "timeout=2s"),
            (
                WasmOption::Timeout(Duration::from_millis(2000)),
                "timeout=2s",
            ),
            (
                WasmOption::Timeout(Duration::from_millis(1500)),
                "timeout=1500ms",
            ),
            (
                WasmOption::Timeout(Duration::from_micros(10)),
                "timeout=10us",
            ),
            (WasmOption::Timeout(Duration::from_nanos(7)), "timeout=7ns"),
            (
                WasmOption::Timeout(Duration::from_nanos(1_000_001)),
                "timeout=1000001ns",
            ),
            (WasmOption::Timeout(Duration::ZERO), "timeout=0s"),
        ];
        for (option, text) in shown {
            assert_eq!(option.to_string(), text);
        }
    }

    fn any_option() -> impl Strategy<Value = WasmOption> {
        let count = (1..=usize::MAX).prop_map(nz);
        prop_oneof![
            any::<u64>().prop_map(WasmOption::MaxMemorySize),
            any::<u64>().prop_map(WasmOption::MaxTotalMemory),
            any::<u64>().prop_map(WasmOption::MaxWasmStack),
            any::<u64>().prop_map(WasmOption::Fuel),
            any::<u64>().prop_map(WasmOption::MaxCaptureBytes),
            count.clone().prop_map(WasmOption::MaxOpenFds),
            count.prop_map(WasmOption::MaxThreads),
            any::<u64>().prop_map(|n| WasmOption::Timeout(Duration::from_secs(n))),
            any::<u64>().prop_map(|n| WasmOption::Timeout(Duration::from_millis(n))),
            any::<u64>().prop_map(|n| WasmOption::Timeout(Duration::from_micros(n))),
            any::<u64>().prop_map(|n| WasmOption::Timeout(Duration::from_nanos(n))),
        ]
    }

    proptest! {
        #[test]
        fn display_round_trips_through_parse(options in prop::collection::vec(any_option(), 1..6)) {
            let text = options.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            prop_assert_eq!(WasmOption::parse_list(text.as_bytes()).unwrap(), options);
        }

        #[test]
        fn parse_list_never_panics(input in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = WasmOption::parse_list(&input);
        }
    }

    #[test]
    fn apply_sets_the_matching_capability() {
        let base = Capabilities::default();
        let apply = |o: WasmOption| o.apply(base);
        assert_eq!(
            apply(WasmOption::MaxMemorySize(1 << 16)),
            base.with_max_memory_bytes(1 << 16)
        );
        assert_eq!(
            apply(WasmOption::MaxTotalMemory(1 << 20)),
            base.with_max_total_memory_bytes(1 << 20)
        );
        assert_eq!(
            apply(WasmOption::MaxWasmStack(1 << 20)),
            base.with_max_wasm_stack(1 << 20)
        );
        assert_eq!(apply(WasmOption::Fuel(9)), base.with_fuel(9));
        assert_eq!(
            apply(WasmOption::Timeout(Duration::from_millis(5))),
            base.with_timeout(Duration::from_millis(5))
        );
        assert_eq!(
            apply(WasmOption::MaxOpenFds(nz(10))),
            base.with_max_open_fds(nz(10))
        );
        assert_eq!(
            apply(WasmOption::MaxThreads(nz(3))),
            base.with_max_tasks(nz(3))
        );
        assert_eq!(
            apply(WasmOption::MaxCaptureBytes(77)),
            base.with_max_capture_bytes(77)
        );
    }
}
