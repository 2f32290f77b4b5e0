#!/usr/bin/env bash
# Builds the C guests of the benchmarks with clang and wasi-libc (wasm32-wasi):
# preview1_io.wasm (benches/preview1_io.rs) and count.wasm, a 12 KB tool
# (benches/process_start.rs). The .wasm files are committed, so `cargo bench`
# needs no C toolchain; rerun this after changing a .c file.
# Needs clang, lld (wasm-ld) and wasi-libc; on Debian/Ubuntu:
#   apt-get install clang lld wasi-libc
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-debug \
  -o preview1_io.wasm preview1_io.c
clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-debug \
  -o count.wasm count.c
