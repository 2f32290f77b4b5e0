//! Validation plus encoding of the `args` and `environ` tables.
//!
//! One group per size (10, 1,000 and 100,000 args and as many env
//! variables). In each group, `validate` times [`ConfigBuilder::validate`]
//! on a builder filled outside the timed part (every rule checked, both
//! tables encoded), and `baseline` only scans the same argument, key and
//! value bytes for a nul byte with `memchr`, the least any validation must
//! do. The target is `validate` within 3x of `baseline` at every size:
//! linear, with a small constant.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wasi_config::ConfigBuilder;

/// Arguments and env variables of realistic sizes (about 16 to 40 bytes).
struct Inputs {
    args: Vec<Vec<u8>>,
    envs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Inputs {
    fn new(n: usize) -> Self {
        Inputs {
            args: (0..n)
                .map(|i| format!("--option-{i:06}=v{}", i % 97).into_bytes())
                .collect(),
            envs: (0..n)
                .map(|i| {
                    let key = format!("VARIABLE_{i:06}").into_bytes();
                    let value = format!("/usr/local/lib/{i:06}:/usr/lib=x").into_bytes();
                    (key, value)
                })
                .collect(),
        }
    }

    fn bytes(&self) -> usize {
        let args: usize = self.args.iter().map(Vec::len).sum();
        let envs: usize = self.envs.iter().map(|(k, v)| k.len() + v.len()).sum();
        args + envs
    }

    fn builder(&self) -> ConfigBuilder {
        let mut b = ConfigBuilder::new("prog");
        b.args(&self.args);
        b.envs(self.envs.iter().map(|(k, v)| (k, v)));
        b
    }
}

/// The baseline: whether any argument, key or value holds a nul byte.
fn nul_scan(inputs: &Inputs) -> bool {
    inputs.args.iter().any(|a| memchr::memchr(0, a).is_some())
        || inputs
            .envs
            .iter()
            .any(|(k, v)| memchr::memchr(0, k).is_some() || memchr::memchr(0, v).is_some())
}

fn validation(c: &mut Criterion) {
    for n in [10, 1_000, 100_000] {
        let inputs = Inputs::new(n);
        let builder = inputs.builder();
        assert!(builder.validate().is_ok());
        assert!(!nul_scan(&inputs));

        let mut group = c.benchmark_group(format!("config/{n}"));
        group.throughput(Throughput::Bytes(inputs.bytes() as u64));
        group.bench_function("validate", |b| b.iter(|| black_box(&builder).validate()));
        group.bench_function("baseline", |b| b.iter(|| nul_scan(black_box(&inputs))));
        group.finish();
    }
}

criterion_group!(benches, validation);
criterion_main!(benches);
