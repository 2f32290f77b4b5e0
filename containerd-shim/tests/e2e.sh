#!/usr/bin/env bash
# End-to-end test of containerd-shim-wasienv-v1 against a real containerd.
#
#   containerd-shim/tests/e2e.sh [SHIM_DIR]
#
# SHIM_DIR holds the built shim (default: the workspace's target/debug;
# build it with `cargo build -p containerd-shim-wasienv`). Needs root and
# Debian's containerd (`.ci/run` installs it when missing).
#
# Starts a private containerd (its own config, root, state, sockets, FIFOs
# and opt directory under one temporary directory, the CRI plugin disabled),
# builds an OCI image tarball here (a rootfs holding tests/guests/probe.wasm
# as its entrypoint and a data file; no registry), imports it with
# `ctr images import`, and runs it with `ctr run --runtime
# io.containerd.wasienv.v1`, checking:
#   - the guest's stdout, and its nonzero exit code passed through;
#   - args and env from the image config and from `ctr run`;
#   - a file read from the image's rootfs, and that a host file outside the
#     rootfs cannot be read;
#   - the module cache: the first run compiles, the second loads it from
#     the cache (the shim's log line, and one cache file);
#   - the memory limit as the guest's memory cap, fuel and timeout from
#     annotations, `ctr task kill` through the interrupt (exit 143, output
#     kept);
#   - a module that is not a WASI command, a missing entrypoint and a
#     malformed spec: the task fails with a message, and the shim neither
#     panics nor hangs (every ctr command is bounded to a minute).
# At exit it stops only the containerd it started (by pid) and the shims of
# that containerd, unmounts what is mounted under its directory, and
# removes it (lib.sh). Each run passes `--runc-root` so that runwasi keeps
# its container state under that directory too. Outside it stay only the
# shim's socket in /run/containerd/s (a fixed path in containerd 1.6 and in
# the shim library; removed when the shim exits) and an empty
# /run/containerd/wasienv/<namespace> that runwasi makes at its default
# root.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"
shim_dir="$(cd "${1:-$here/../../target/debug}" && pwd)"
start_containerd "$shim_dir"

pass() { echo "e2e: ok: $*"; }
# expect FILE TEXT: FILE has a line equal to TEXT.
expect() { grep -qxF -- "$2" "$1" || { cat "$1" >&2; fail "no line '$2' in $(basename "$1")"; }; }
# expect_in FILE TEXT: FILE contains TEXT.
expect_in() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "no '$2' in $(basename "$1")"; }; }
run() { ctr run --rm --fifo-dir "$base/fifo" --runc-root "$base/runwasi" --runtime io.containerd.wasienv.v1 "$@"; }

# --- the image -------------------------------------------------------------------
image=docker.io/library/wasienv-probe:e2e
rootfs="$base/rootfs"
mkdir -p "$rootfs/app"
cp "$here/guests/probe.wasm" "$rootfs/app/probe.wasm"
echo "from the image" > "$rootfs/app/data.txt"
printf '(module (func (export "f")))\n' > "$rootfs/app/library.wat"
echo "host secret" > "$base/secret"
import_image "$rootfs" "$image" wasip1 wasm \
  '{"Entrypoint":["/app/probe.wasm"],"Cmd":["from-image"],"Env":["GREETING=hello from the image"]}'
pass "image built and imported"

# --- runs ----------------------------------------------------------------------
# capture NAME COMMAND...: runs COMMAND (a ctr run); stdout in $base/NAME.out, stderr in
# $base/NAME.err, its exit status in $status.
status=0
capture() {
  local name="$1"; shift
  set +e
  "$@" > "$base/$name.out" 2> "$base/$name.err"
  status=$?
  set -e
}

capture first run --env FROM_RUN=from-ctr "$image" first \
  /app/probe.wasm one "two words" read=/app/data.txt "read=$base/secret" \
  "read=/app/../../../..$base/secret" exit=7
[ "$status" = 7 ] || { cat "$base/first.err" >&2; fail "exit status $status, want 7"; }
out="$base/first.out"
expect "$out" "arg[0]=/app/probe.wasm"
expect "$out" "arg[1]=one"
expect "$out" "arg[2]=two words"
expect "$out" "env GREETING=hello from the image"
expect "$out" "env FROM_RUN=from-ctr"
expect "$out" "read /app/data.txt: from the image"
expect "$out" "read $base/secret: failed"
expect "$out" "read /app/../../../..$base/secret: failed"
pass "stdout, exit code 7, args and env from the image and ctr run, rootfs file read, host file not"

capture second run "$image" second
[ "$status" = 0 ] || { cat "$base/second.err" >&2; fail "exit status $status, want 0"; }
expect "$base/second.out" "arg[1]=from-image"
expect "$base/second.out" "env FROM_RUN=(unset)"
pass "the image config's Cmd as arguments"

capture wide run "$image" wide /app/probe.wasm exit=256
[ "$status" = 255 ] || fail "exit code 256 gave status $status, want 255 (not 0)"
pass "an exit code over 255 is 255, never a wrap to success"

grep -F 'instance="first"' "$base/containerd.log" | grep -qF "compiles=1 disk_hits=0" \
  || fail "the first run did not compile (containerd log)"
grep -F 'instance="second"' "$base/containerd.log" | grep -qF "compiles=0 disk_hits=1" \
  || fail "the second run did not load the module from the cache (containerd log)"
[ "$(find "$base/cache" -name '*.wlmod' | wc -l)" = 1 ] || fail "want one cache file"
pass "the second container loads the module from the cache without compiling"

capture memory run --memory-limit 67108864 "$image" memory /app/probe.wasm grow=16 grow=1100
[ "$status" = 0 ] || { cat "$base/memory.err" >&2; fail "exit status $status"; }
expect "$base/memory.out" "grow 16: ok"
expect "$base/memory.out" "grow 1100: failed"
pass "linux.resources.memory.limit caps the guest's memory (memory.grow past it gives -1)"

capture fuel run --annotation io.wasienv.fuel=100000 "$image" fuel /app/probe.wasm spin
[ "$status" = 134 ] || { cat "$base/fuel.err" >&2; fail "exit status $status, want 134"; }
expect "$base/fuel.out" "spinning"
expect_in "$base/fuel.err" "fuel"
capture timeout run --annotation io.wasienv.timeout=300ms "$image" timeout /app/probe.wasm sleep
[ "$status" = 134 ] || { cat "$base/timeout.err" >&2; fail "exit status $status, want 134"; }
expect "$base/timeout.out" "sleeping"
expect_in "$base/timeout.err" "timed out"
capture badfuel run --annotation io.wasienv.fuel=lots "$image" badfuel
[ "$status" != 0 ] || fail "a bad annotation ran the guest"
expect_in "$base/badfuel.err" "io.wasienv.fuel"
pass "fuel and timeout from annotations; a bad annotation is an error naming it"

set +e
run "$image" killed /app/probe.wasm sleep > "$base/killed.out" 2> "$base/killed.err" &
runner=$!
set -e
for _ in $(seq 200); do grep -q sleeping "$base/killed.out" 2>/dev/null && break; sleep 0.05; done
expect "$base/killed.out" "sleeping"
ctr task kill killed
set +e
wait "$runner"
status=$?
set -e
[ "$status" = 143 ] || { cat "$base/killed.err" >&2; fail "killed: exit status $status, want 143"; }
pass "ctr task kill stops the guest through the interrupt (143, output kept)"

capture library run "$image" library /app/library.wat
[ "$status" != 0 ] || fail "a module without _start ran"
expect_in "$base/library.err" "_start"
capture missing run "$image" missing /app/missing.wasm
[ "$status" != 0 ] || fail "a missing entrypoint ran"
[ -s "$base/missing.err" ] || fail "a missing entrypoint failed without a message"
# A runtime spec of ctr's own (no image): no process arguments, no rootfs.
printf '{"ociVersion":"1.0.2","process":{"cwd":"/","args":[]},"root":{"path":"rootfs"},"linux":{}}' \
  > "$base/malformed.json"
capture malformed ctr run --rm --fifo-dir "$base/fifo" --runc-root "$base/runwasi" --runtime io.containerd.wasienv.v1 \
  --config "$base/malformed.json" malformed
[ "$status" != 0 ] || fail "a malformed spec ran"
expect_in "$base/malformed.err" "failed to create shim task"
if grep -qi "panicked" "$base/containerd.log"; then fail "a shim panicked"; fi
pass "not a command, missing entrypoint, malformed spec: the task fails with a message, no panic, no hang"

echo "e2e: all passed"
