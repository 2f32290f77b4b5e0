#!/usr/bin/env bash
# Builds probe.wasm, the guest of the shim's end-to-end test (../e2e.sh),
# with clang and wasi-libc (wasm32-wasi). The .wasm is committed, so the test
# needs no C toolchain; rerun this after changing probe.c.
# Needs clang, lld (wasm-ld) and wasi-libc; on Debian/Ubuntu:
#   apt-get install clang lld wasi-libc
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-debug \
  -o probe.wasm probe.c
