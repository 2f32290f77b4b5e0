//! Closing the file descriptors a process inherited beyond stdio, for the
//! detached compile of tiering: it may outlive the run that started it by
//! a minute, and must not hold the pipes and sockets of whoever started
//! that run (a reader waiting for end of file, a harness's control fd).
//!
//! This module holds the binary's only `unsafe` code: closing fds by
//! number, which Rust's I/O safety cannot check, under the `SAFETY`
//! comment below.

#![allow(
    unsafe_code,
    reason = "closes inherited fds by number at the start of the process, before anything owns them"
)]

use std::os::fd::{AsRawFd, RawFd};

/// Closes every open fd above 2. Must run first thing in `main`, before
/// any thread is started or any file is opened: nothing else in the
/// process owns those fds then.
pub fn close_inherited() {
    use rustix::fs::{Dir, Mode, OFlags};
    let Ok(fd) = rustix::fs::open(
        "/proc/self/fd",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return;
    };
    let listing_fd = fd.as_raw_fd();
    let Ok(listing) = Dir::new(fd) else {
        return;
    };
    let inherited: Vec<RawFd> = listing
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str().ok()?.parse().ok())
        .filter(|&fd: &RawFd| fd > 2 && fd != listing_fd)
        .collect();
    // The listing (and its fd) is dropped by now.
    for fd in inherited {
        // SAFETY: `fd` is open (/proc listed it, and nothing was closed
        // since but the listing's own fd, left out) and nothing in this
        // process owns it: this runs at the start of `main`, before any
        // other thread exists and before any `File`, socket or `OwnedFd`
        // was made but the listing's. So no handle is left pointing at a
        // closed or reused fd.
        unsafe { rustix::io::close(fd) };
    }
}
