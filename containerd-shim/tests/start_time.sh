#!/usr/bin/env bash
# Container start-to-exit time through this shim, beside runc, in one run.
#
#   containerd-shim/tests/start_time.sh [RUNS] [SHIM_DIR]
#
# Against a private containerd (lib.sh), times `ctr run --rm` of two images
# from spawn to exit, alternating, RUNS times each (default 20) after two
# warm-up runs each: a hello image through this shim (examples/hello.wasm,
# C + wasi-libc, as the entrypoint; the warm-up fills the module cache) and
# the same image shape through runc (containerd's default runtime) with a
# native hello (static C). Prints the median, mean and minimum of each and
# the ratio of the medians. SHIM_DIR holds the shim (default: the
# workspace's target/release; `cargo build --release -p
# containerd-shim-wasienv`). Needs root, containerd, runc and a C compiler
# that links statically.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"
runs="${1:-20}"
shim_dir="$(cd "${2:-$here/../../target/release}" && pwd)"
start_containerd "$shim_dir"

mkdir -p "$base/wasm" "$base/native"
cp "$here/../../examples/hello.wasm" "$base/wasm/hello"
import_image "$base/wasm" docker.io/library/hello:wasm wasip1 wasm '{"Entrypoint":["/hello"]}'
printf '#include <stdio.h>\nint main(void) { puts("Hello, world!"); return 0; }\n' > "$base/hello.c"
cc -static -O2 -o "$base/native/hello" "$base/hello.c"
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch="$(uname -m)" ;;
esac
import_image "$base/native" docker.io/library/hello:native linux "$arch" '{"Entrypoint":["/hello"]}'

n=0
# one RUNTIME IMAGE: one timed run, its microseconds on stdout.
one() {
  local start end
  n=$((n + 1))
  start="$(date +%s%N)"
  ctr run --rm --fifo-dir "$base/fifo" --runc-root "$base/runtime-root" --runtime "$1" "$2" "run$n" > "$base/out" \
    || fail "$2 through $1 failed"
  end="$(date +%s%N)"
  grep -q "Hello, world!" "$base/out" || fail "$2 through $1 printed $(cat "$base/out")"
  echo $(((end - start) / 1000))
}
for _ in 1 2; do
  one io.containerd.wasienv.v1 docker.io/library/hello:wasm > /dev/null
  one io.containerd.runc.v2 docker.io/library/hello:native > /dev/null
done
: > "$base/wasm.times"
: > "$base/runc.times"
for _ in $(seq "$runs"); do
  one io.containerd.wasienv.v1 docker.io/library/hello:wasm >> "$base/wasm.times"
  one io.containerd.runc.v2 docker.io/library/hello:native >> "$base/runc.times"
done
summary() { # summary FILE: median mean min, in ms
  sort -n "$1" | awk '{ a[NR] = $1; s += $1 } END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "%.1f %.1f %.1f", m / 1000, s / NR / 1000, a[1] / 1000 }'
}
read -r wasm_median wasm_mean wasm_min <<< "$(summary "$base/wasm.times")"
read -r runc_median runc_mean runc_min <<< "$(summary "$base/runc.times")"
echo "container start to exit, ms ($runs runs each, alternating):"
printf '%-40s median %7s  mean %7s  min %7s\n' \
  "hello.wasm through wasienv (cached)" "$wasm_median" "$wasm_mean" "$wasm_min" \
  "native hello through runc" "$runc_median" "$runc_mean" "$runc_min"
awk -v w="$wasm_median" -v r="$runc_median" 'BEGIN { printf "ratio of medians (wasienv / runc): %.2f\n", w / r }'
