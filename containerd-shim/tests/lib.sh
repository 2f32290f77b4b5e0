# Shared by e2e.sh and start_time.sh (sourced, not run): a private
# containerd that finds the shim, and OCI image tarballs built here.
#
# After `start_containerd SHIM_DIR`: $base is the private directory (config,
# root, state, sockets, FIFOs, opt directory, module cache), `ctr` talks to
# that containerd (every command bounded to a minute), and at exit only that
# containerd, its shims and the mounts under $base are torn down, then
# $base is removed.

fail() { echo "${0##*/}: FAIL: $*" >&2; exit 1; }

base=""
pid=""
cleanup() {
  local rc=$?
  if [ -n "$pid" ]; then
    pkill -TERM -f -- "-address $base/containerd.sock" 2> /dev/null || true
    kill "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    pkill -KILL -f -- "-address $base/containerd.sock" 2> /dev/null || true
  fi
  if [ -n "$base" ]; then
    awk -v base="$base" 'index($2, base) == 1 { print $2 }' /proc/self/mounts \
      | sort -r | while read -r mount; do umount -l "$mount" || true; done
    if [ "$rc" != 0 ] && [ -f "$base/containerd.log" ]; then
      echo "--- containerd log (last 40 lines) ---" >&2
      tail -n 40 "$base/containerd.log" >&2
    fi
    rm -rf "$base"
  fi
  exit "$rc"
}

# start_containerd SHIM_DIR: starts a private containerd whose PATH finds
# containerd-shim-wasienv-v1 in SHIM_DIR.
start_containerd() {
  local shim_dir="$1"
  [ -x "$shim_dir/containerd-shim-wasienv-v1" ] \
    || { echo "${0##*/}: $shim_dir/containerd-shim-wasienv-v1 missing: cargo build -p containerd-shim-wasienv" >&2; exit 2; }
  [ "$(id -u)" = 0 ] || { echo "${0##*/}: needs root (it starts containerd)" >&2; exit 2; }
  command -v containerd > /dev/null && command -v ctr > /dev/null \
    || { echo "${0##*/}: needs containerd and ctr (apt-get install containerd)" >&2; exit 2; }
  base="$(mktemp -d /tmp/wasienv-containerd.XXXXXX)"
  trap cleanup EXIT
  mkdir -p "$base/root" "$base/state" "$base/opt" "$base/fifo" "$base/cache"
  cat > "$base/config.toml" << EOF
version = 2
root = "$base/root"
state = "$base/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$base/containerd.sock"
[ttrpc]
  address = "$base/containerd.sock.ttrpc"
[debug]
  address = "$base/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$base/opt"
EOF
  PATH="$shim_dir:$PATH" CONTAINERD_SHIM_WASIENV_CACHE_DIR="$base/cache" \
    containerd --config "$base/config.toml" > "$base/containerd.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do [ -S "$base/containerd.sock" ] && break; sleep 0.05; done
  [ -S "$base/containerd.sock" ] || fail "containerd did not start"
}

ctr_bin="$(command -v ctr || true)"
# Every ctr command gets a minute: a stuck task fails the test, not CI.
ctr() { timeout 60 "$ctr_bin" --address "$base/containerd.sock" "$@"; }

# import_image ROOTFS NAME PLATFORM_OS PLATFORM_ARCH CONFIG_JSON: builds an
# OCI image tarball of one layer holding ROOTFS, with the image config
# CONFIG_JSON (its "config" object: Entrypoint, Cmd, Env), and imports it
# as NAME.
import_image() {
  local rootfs="$1" name="$2" os="$3" arch="$4" image_config="$5"
  local oci diff_id layer layer_size config config_size manifest manifest_size
  oci="$(mktemp -d "$base/oci.XXXXXX")"
  mkdir -p "$oci/blobs/sha256"
  blob() { # blob FILE: moves FILE into the blobs, prints its digest
    local digest
    digest="$(sha256sum "$1" | cut -d' ' -f1)"
    mv "$1" "$oci/blobs/sha256/$digest"
    echo "$digest"
  }
  tar -C "$rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$oci/layer.tar" .
  diff_id="$(sha256sum "$oci/layer.tar" | cut -d' ' -f1)"
  gzip -n "$oci/layer.tar"
  layer_size="$(stat -c %s "$oci/layer.tar.gz")"
  layer="$(blob "$oci/layer.tar.gz")"
  printf '{"architecture":"%s","os":"%s","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$os" "$image_config" "$diff_id" > "$oci/config.json"
  config_size="$(stat -c %s "$oci/config.json")"
  config="$(blob "$oci/config.json")"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" > "$oci/manifest.json"
  manifest_size="$(stat -c %s "$oci/manifest.json")"
  manifest="$(blob "$oci/manifest.json")"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"},"platform":{"architecture":"%s","os":"%s"}}]}' \
    "$manifest" "$manifest_size" "$name" "${name##*:}" "$arch" "$os" > "$oci/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$oci/oci-layout"
  tar -C "$oci" -cf "$oci.tar" oci-layout index.json blobs
  ctr images import --all-platforms "$oci.tar" > /dev/null
}
