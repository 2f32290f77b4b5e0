#!/usr/bin/env bash
# Installs, when missing, the Debian packages the workspace needs beyond the
# Rust toolchain: protoc (protobuf-compiler), pkg-config and libseccomp's
# headers (libseccomp-dev). Only the containerd shim (containerd-shim/) needs
# them: runwasi's containerd-shim-wasm generates its protocol code with protoc
# and links libseccomp. Does nothing when all are present.
set -euo pipefail
missing=()
command -v protoc > /dev/null || missing+=(protobuf-compiler)
command -v pkg-config > /dev/null || missing+=(pkg-config)
pkg-config --exists libseccomp 2> /dev/null || missing+=(libseccomp-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "build-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
