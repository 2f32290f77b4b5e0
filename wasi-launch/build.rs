//! Links `wasi-run` with packed relative relocations (`DT_RELR`) where the
//! toolchain supports them.
//!
//! `wasi-run` is a position-independent executable, so the dynamic loader
//! rebases about 21,000 pointers (vtables, static tables) at every start. As
//! `RELA` entries that is half a megabyte of relocation records the loader
//! must read; `DT_RELR` encodes the same relocations as bitmaps in a few
//! kilobytes, so the loader reads a few pages instead of about 125 and the
//! binary keeps its address-space randomisation (unlike a non-PIE link).
//!
//! Support needs GNU ld 2.38+ or lld 15+ and glibc 2.36+ at run time. Rather
//! than guess from versions, this script links an empty C program with the
//! flag (warnings fatal) and adds the flag only when that works; a failed
//! probe leaves the ordinary link, never a failed build.
//!
//! Only `wasi-run` is linked this way, so without the `cli` feature (a crate
//! that embeds the launcher) the script spawns nothing.

use std::env;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The linker argument that asks for `DT_RELR`.
const PACK_RELATIVE_RELOCS: &str = "-Wl,-z,pack-relative-relocs";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    // No `wasi-run` to link without the `cli` feature: no probe either.
    if env::var_os("CARGO_FEATURE_CLI").is_none() {
        return;
    }
    if wants_relr() && linker_supports_relr() {
        println!("cargo:rustc-link-arg-bin=wasi-run={PACK_RELATIVE_RELOCS}");
    }
}

/// Only native Linux/glibc builds: a cross build's host C compiler says
/// nothing about the target's linker or libc.
fn wants_relr() -> bool {
    let var = |name: &str| env::var(name).unwrap_or_default();
    var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && var("TARGET") == var("HOST")
}

/// Links an empty program with the flag, as rustc would link `wasi-run`
/// (through `cc`, or the linker cargo was configured with).
fn linker_supports_relr() -> bool {
    let Some(out_dir) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let source = out_dir.join("relr_probe.c");
    let binary = out_dir.join("relr_probe");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    let linker = env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_string());
    Command::new(linker)
        .arg("-pie")
        .arg("-fPIE")
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .arg(PACK_RELATIVE_RELOCS)
        .arg("-Wl,--fatal-warnings")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
