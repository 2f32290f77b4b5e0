#!/usr/bin/env bash
# Builds preview1_io.wasm, the guest of benches/preview1_io.rs, with clang and
# wasi-libc (wasm32-wasi). The .wasm is committed, so `cargo bench` needs no C
# toolchain; rerun this after changing preview1_io.c.
# Needs clang, lld (wasm-ld) and wasi-libc; on Debian/Ubuntu:
#   apt-get install clang lld wasi-libc
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-debug \
  -o preview1_io.wasm preview1_io.c
