//! The guest's file world: inode tree, fd table and sandboxed path resolution.
//!
//! This crate turns a validated [`wasi_config`] configuration into the file
//! world a WASI guest sees, over host directories (through `cap-std`) and
//! `virtual-fs` filesystems. It does not depend on wasmer.
#![forbid(unsafe_code)]
