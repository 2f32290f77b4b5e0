//! The directory listings `fd_readdir` serves, and the bound on the host
//! memory they hold.
//!
//! A listing is `.` and `..`, then the directory's entries sorted by name
//! (so both backings list in the same order); a cookie is an index into it.
//! The listing of an fd is taken when the guest asks for cookie 0 (or the fd
//! has none) and kept for the cookies that follow, so one pass over a
//! directory sees each entry once even while the guest changes the
//! directory (removing every entry while listing it, say).
//!
//! A guest decides how many listings the host keeps (one per open directory
//! fd) and, where it can create files, how large each is. Two rules bound
//! what that costs the host:
//! - fds listing the same directory with the same contents share one
//!   listing, so opening one directory many times costs one listing;
//! - the listings an environment holds add up to at most
//!   [`MAX_LISTING_BYTES`]: taking a new one first drops the listings
//!   least recently read from, and a single listing over the bound is served
//!   without being kept.
//!
//! An fd whose listing was dropped takes a fresh one at its next read and
//! goes on from the same index: while the directory is unchanged the guest
//! sees exactly what it would have; if it changed meanwhile, entries may be
//! skipped or repeated, as POSIX allows for `readdir` on a directory that
//! changes. The memory of one fresh listing while it is taken and encoded is
//! bounded by the directory's size, and freed when the call returns.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use wasi_fs_setup::{DirEntry, DirHandle, FileType};

use super::abi::encode_dirent;
use crate::errno::{Errno, SysResult};

/// Most bytes of directory listings one environment keeps (64 MiB).
///
/// Reason: listings are kept between `fd_readdir` calls for cookie
/// stability, one per open directory fd, and their size follows the
/// directory's; a directory of 50,000 names of 255 bytes takes about 15 MB.
pub const MAX_LISTING_BYTES: usize = 64 << 20;

/// Host bytes one entry costs besides its name.
const ENTRY_OVERHEAD: usize = std::mem::size_of::<DirEntry>();

/// One directory's listing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Listing {
    /// The directory's `(dev, ino)`, to find listings worth sharing.
    dir: (u64, u64),
    /// `.`, `..`, then the entries sorted by name.
    entries: Vec<DirEntry>,
    /// Host bytes the listing holds (entries and names).
    bytes: usize,
}

impl Listing {
    /// A fresh listing of `dir`.
    fn take(dir: &dyn DirHandle) -> SysResult<Self> {
        let own = dir.stat().map_err(Errno::from)?;
        let mut found = dir.read_dir().map_err(Errno::from)?;
        found.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let mut entries = Vec::with_capacity(found.len() + 2);
        // A directory fd is a capability for its own subtree only: its parent
        // cannot be looked at through it, so `..` carries the directory's own
        // inode number (as in wasmtime).
        for name in [&b"."[..], b".."] {
            entries.push(DirEntry {
                name: name.to_vec(),
                filetype: FileType::Directory,
                ino: own.ino,
            });
        }
        entries.extend(found);
        let bytes = entries.iter().map(|e| ENTRY_OVERHEAD + e.name.len()).sum();
        Ok(Self {
            dir: (own.dev, own.ino),
            entries,
            bytes,
        })
    }

    /// The preview1 `dirent` bytes of the entries from index `cookie` on, at
    /// most `cap` of them: whole entries, then as much of the next one as
    /// fits (preview1 lets the last entry be cut so the caller can tell the
    /// buffer was too small). Every byte comes from the listing or is zero
    /// padding.
    pub(crate) fn encode(&self, cookie: u64, cap: usize) -> Vec<u8> {
        let start = usize::try_from(cookie)
            .unwrap_or(usize::MAX)
            .min(self.entries.len());
        let mut out = Vec::new();
        for (index, entry) in self.entries.iter().enumerate().skip(start) {
            if out.len() >= cap {
                break;
            }
            // Names are at most NAME_MAX (255) bytes; indexes fit in u64.
            let namlen = u32::try_from(entry.name.len()).unwrap_or(u32::MAX);
            let next = u64::try_from(index).map_or(u64::MAX, |i| i.saturating_add(1));
            encode_dirent(&mut out, next, entry.ino, namlen, entry.filetype);
            out.extend_from_slice(&entry.name);
        }
        out.truncate(cap);
        out
    }
}

/// A listing kept for one fd.
#[derive(Debug)]
struct Held {
    listing: Arc<Listing>,
    /// When it was last read from, in calls of this cache.
    used: u64,
}

/// The listings of one environment's directory fds (see the module docs).
#[derive(Debug)]
pub(crate) struct ReaddirCache {
    by_fd: HashMap<u32, Held>,
    /// Most bytes of listings kept at once.
    budget: usize,
    /// Counts calls, to find the least recently read listing.
    clock: u64,
}

impl Default for ReaddirCache {
    fn default() -> Self {
        Self::with_budget(MAX_LISTING_BYTES)
    }
}

impl ReaddirCache {
    /// A cache keeping at most `budget` bytes of listings.
    pub(crate) fn with_budget(budget: usize) -> Self {
        Self {
            by_fd: HashMap::new(),
            budget,
            clock: 0,
        }
    }

    /// The listing to serve `fd` (open on `dir`) from for `cookie`: the one
    /// it holds, or a fresh one for cookie 0 or when it holds none.
    pub(crate) fn listing(
        &mut self,
        fd: u32,
        cookie: u64,
        dir: &dyn DirHandle,
    ) -> SysResult<Arc<Listing>> {
        self.clock += 1;
        if cookie != 0
            && let Some(held) = self.by_fd.get_mut(&fd)
        {
            held.used = self.clock;
            return Ok(Arc::clone(&held.listing));
        }
        // The fd's old listing is no longer needed.
        self.by_fd.remove(&fd);
        let fresh = Listing::take(dir)?;
        let listing = self
            .by_fd
            .values()
            .map(|held| &held.listing)
            .find(|kept| kept.dir == fresh.dir && kept.entries == fresh.entries)
            .map_or_else(|| Arc::new(fresh), Arc::clone);
        if listing.bytes > self.budget {
            return Ok(listing);
        }
        while self.kept_bytes_with(&listing) > self.budget {
            // Dropping another holder of the listing being kept frees
            // nothing: only other listings are candidates.
            let Some(oldest) = self
                .by_fd
                .iter()
                .filter(|(_, held)| !Arc::ptr_eq(&held.listing, &listing))
                .min_by_key(|(_, held)| held.used)
                .map(|(fd, _)| *fd)
            else {
                break;
            };
            self.by_fd.remove(&oldest);
        }
        self.by_fd.insert(
            fd,
            Held {
                listing: Arc::clone(&listing),
                used: self.clock,
            },
        );
        Ok(listing)
    }

    /// Bytes of the distinct listings kept, plus `extra` if it is not one
    /// of them.
    fn kept_bytes_with(&self, extra: &Arc<Listing>) -> usize {
        let mut seen = HashSet::new();
        std::iter::once(extra)
            .chain(self.by_fd.values().map(|held| &held.listing))
            .filter(|listing| seen.insert(Arc::as_ptr(listing)))
            .map(|listing| listing.bytes)
            .sum()
    }

    /// Bytes of the distinct listings kept.
    #[cfg(test)]
    fn kept_bytes(&self) -> usize {
        let mut seen = HashSet::new();
        self.by_fd
            .values()
            .filter(|held| seen.insert(Arc::as_ptr(&held.listing)))
            .map(|held| held.listing.bytes)
            .sum()
    }

    /// Forgets the listing of `fd` (closed, renumbered or replaced).
    pub(crate) fn forget(&mut self, fd: u32) {
        self.by_fd.remove(&fd);
    }

    /// Forgets every listing.
    pub(crate) fn clear(&mut self) {
        self.by_fd.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasi_config::{ConfigBuilder, PreopenSpec, SANDBOX_FS};
    use wasi_fs_setup::World;

    /// A world whose fd 3 is a sandbox directory holding `a` with `n`
    /// files of long names, and `b` and `c` with two files each.
    fn world(n: usize) -> World {
        let mut b = ConfigBuilder::new("t");
        b.preopen(
            PreopenSpec::virtual_dir(SANDBOX_FS, "/")
                .guest_path("/s")
                .read(true)
                .create(true),
        );
        let config = b.validate().expect("config");
        World::builder(&config)
            .setup(move |cx| {
                for sub in ["/s/a", "/s/b", "/s/c"] {
                    cx.create_dir_all(sub)?;
                }
                for i in 0..n {
                    cx.write_file(format!("/s/a/{i:0>200}"), "")?;
                }
                cx.write_file("/s/b/x", "")?;
                cx.write_file("/s/b/y", "")?;
                cx.write_file("/s/c/x", "")?;
                cx.write_file("/s/c/y", "")
            })
            .build()
            .expect("world")
    }

    fn subdir(world: &World, name: &[u8]) -> Box<dyn DirHandle> {
        let root = world.fds().get(3).expect("fd 3").dir().expect("a dir");
        match root
            .open_at(
                name,
                wasi_fs_setup::OpenFlags {
                    read: true,
                    directory: true,
                    ..Default::default()
                },
            )
            .expect("opens")
        {
            wasi_fs_setup::Opened::Dir(dir) => dir,
            other => panic!("not a directory: {other:?}"),
        }
    }

    /// Regression (issue 11): 400 fds on one large directory, each read
    /// from cookie 0, held 400 copies of its listing (5.8 GB for 50,000
    /// long names); now they share one.
    #[test]
    fn listings_of_one_directory_are_shared_between_fds() {
        let world = world(500);
        let a = subdir(&world, b"a");
        let mut cache = ReaddirCache::default();
        let one = cache.listing(10, 0, a.as_ref()).expect("listed");
        for fd in 11..410 {
            let again = cache.listing(fd, 0, a.as_ref()).expect("listed");
            assert!(Arc::ptr_eq(&one, &again));
        }
        assert_eq!(cache.kept_bytes(), one.bytes);
        assert!(one.bytes > 500 * 200, "{}", one.bytes);
    }

    /// Regression (issue 11): the listings kept add up to at most the
    /// budget, whatever the guest opens: the least recently read goes
    /// first; a listing over the budget on its own is still served.
    #[test]
    fn kept_listings_stay_within_the_budget() {
        let world = world(100);
        let (a, b, c) = (
            subdir(&world, b"a"),
            subdir(&world, b"b"),
            subdir(&world, b"c"),
        );
        let big = Listing::take(a.as_ref()).expect("listed").bytes;
        let small = Listing::take(b.as_ref()).expect("listed").bytes;
        let mut cache = ReaddirCache::with_budget(big + small);
        cache.listing(3, 0, a.as_ref()).expect("listed");
        cache.listing(4, 0, b.as_ref()).expect("listed");
        assert_eq!(cache.kept_bytes(), big + small);
        // Reading on from fd 4 makes fd 3's listing the oldest; a third
        // directory's listing then pushes it out.
        cache.listing(4, 2, b.as_ref()).expect("listed");
        cache.listing(5, 0, c.as_ref()).expect("listed");
        assert!(cache.kept_bytes() <= big + small, "{}", cache.kept_bytes());
        assert!(
            !cache.by_fd.contains_key(&3),
            "the oldest listing was dropped"
        );
        assert!(cache.by_fd.contains_key(&4) && cache.by_fd.contains_key(&5));

        let mut tiny = ReaddirCache::with_budget(small - 1);
        let served = tiny.listing(3, 0, b.as_ref()).expect("served");
        assert_eq!(served.entries.len(), 4);
        assert_eq!(tiny.kept_bytes(), 0);
    }

    fn entry(name: &str, ino: u64) -> DirEntry {
        DirEntry {
            name: name.as_bytes().to_vec(),
            filetype: FileType::RegularFile,
            ino,
        }
    }

    #[test]
    fn listing_encodes_whole_entries_then_cuts_the_last() {
        use super::super::abi::DIRENT_SIZE;
        let listing = Listing {
            dir: (0, 0),
            entries: vec![entry(".", 1), entry("..", 2), entry("abc", 3)],
            bytes: 0,
        };
        let all = listing.encode(0, 4096);
        assert_eq!(all.len(), 3 * DIRENT_SIZE + 1 + 2 + 3);
        // d_next of the first entry is 1, of the last 3.
        assert_eq!(all[0], 1);
        assert_eq!(all[2 * DIRENT_SIZE + 3], 3);
        // From cookie 2: only "abc".
        let tail = listing.encode(2, 4096);
        assert_eq!(tail.len(), DIRENT_SIZE + 3);
        assert_eq!(&tail[DIRENT_SIZE..], b"abc");
        // A cookie past the end gives nothing.
        assert!(listing.encode(3, 4096).is_empty());
        assert!(listing.encode(u64::MAX, 4096).is_empty());
        // A small buffer is filled exactly.
        let cut = listing.encode(0, 30);
        assert_eq!(cut.len(), 30);
        assert_eq!(&cut[..30], &all[..30]);
        assert!(listing.encode(0, 0).is_empty());
    }

    /// A dropped listing is taken again at the next read and goes on from
    /// the same cookie.
    #[test]
    fn an_fd_whose_listing_was_dropped_goes_on_from_its_cookie() {
        let world = world(3);
        let a = subdir(&world, b"a");
        let b = subdir(&world, b"b");
        let small = Listing::take(b.as_ref()).expect("listed").bytes;
        let mut cache = ReaddirCache::with_budget(small);
        let first = cache.listing(3, 0, b.as_ref()).expect("listed");
        // Listing `a` (bigger than the budget) does not drop `b`'s; a
        // listing of another directory that fits does.
        cache.listing(4, 0, a.as_ref()).expect("served");
        assert!(cache.by_fd.contains_key(&3));
        cache.forget(3);
        let again = cache.listing(3, 2, b.as_ref()).expect("listed again");
        assert_eq!(first.encode(2, 1024), again.encode(2, 1024));
        let names: Vec<&[u8]> = again.entries.iter().map(|e| &e.name[..]).collect();
        assert_eq!(names, [&b"."[..], b"..", b"x", b"y"]);
    }
}
