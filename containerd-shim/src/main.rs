//! `containerd-shim-wasienv-v1`: the containerd shim of runtime
//! `io.containerd.wasienv.v1`. containerd starts it for each container of
//! that runtime; runwasi's `containerd-shim-wasm` speaks containerd's shim
//! protocol and builds the container (namespaces, cgroup, rootfs, stdio
//! pipes), and this shim runs the container's wasm entrypoint in it through
//! `wasi-launch` ([`sandbox`]).
//!
//! What the shim needs from the host is taken here, before runwasi forks
//! the process every container is made from ([`host`]): the bundle's OCI
//! spec (the memory limit and this shim's annotations) and a handle on the
//! module cache directory, which the container cannot otherwise reach.

mod error;
mod host;
mod limits;
mod sandbox;

use containerd_shim_wasm::shim::Cli as _;

fn main() {
    host::prepare();
    sandbox::WasiEnvShim::run(None);
}
