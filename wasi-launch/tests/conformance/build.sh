#!/usr/bin/env bash
# Builds every C program of the conformance suite (NAME.c -> NAME.wasm) with
# clang and wasi-libc (wasm32-wasi). The .wasm files are committed, so
# `cargo test` needs no C toolchain; rerun this after changing a .c file.
# Needs clang, lld (wasm-ld) and wasi-libc; on Debian/Ubuntu:
#   apt-get install clang lld wasi-libc
# --strip-debug drops libc's DWARF but keeps the name section, so traps show
# function names.
set -euo pipefail
cd "$(dirname "$0")"
for src in *.c; do
  clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-debug \
    -o "${src%.c}.wasm" "$src"
done
