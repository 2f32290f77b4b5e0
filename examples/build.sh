#!/usr/bin/env bash
# Builds hello.wasm from hello.c with clang and wasi-libc (wasm32-wasi).
# Needs clang, lld (wasm-ld) and wasi-libc; on Debian/Ubuntu:
#   apt-get install clang lld wasi-libc
# --strip-debug drops libc's DWARF but keeps the name section, so traps show
# function names.
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o hello.wasm hello.c
