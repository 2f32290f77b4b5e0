//! Every read and write of guest memory goes through this module.
//!
//! [`GuestMemory`] wraps a [`wasmer::MemoryView`] and checks each access
//! before it is made: the guest pointer and length are added in 64-bit
//! arithmetic, a range that runs past the 32-bit address space is
//! [`MemoryError::Overflow`], and one that runs past the end of the memory is
//! [`MemoryError::OutOfBounds`]. Both become EFAULT (21) for the guest through
//! `From<MemoryError> for Errno`. Nothing here panics on guest input.
//!
//! Integers are read and written as little-endian bytes at any offset,
//! aligned or not. `WasmPtr::<T>::write` is never used for a `T` whose
//! alignment is above 1: it builds a `&mut T` at the guest's address, and an
//! unaligned one aborts the process in debug builds (see the workspace primer,
//! §1.4).
//!
//! Guest-chosen sizes never decide a host allocation on their own: a copy
//! into a `Vec` takes a caller-given cap ([`GuestMemory::read_vec`]), iovec
//! arrays are capped at [`MAX_IOVS`], and bulk transfers go through a buffer
//! of at most [`CHUNK_LEN`] bytes ([`GuestMemory::read_chunks`],
//! [`GuestMemory::fill_chunks`]).
//!
//! This module does not know about fds, paths or WASI structs: it moves bytes
//! and little-endian integers. The host functions build on it.

use std::fmt;

use crate::errno::Errno;
use wasmer::{AsStoreRef, Memory, MemoryView};

/// A guest pointer in a 32-bit (`wasm32`) memory.
pub type GuestPtr = u32;

/// Size of the 32-bit guest address space, in bytes (4 GiB).
///
/// A range whose end lies past it cannot exist in a `wasm32` memory; it is
/// reported as [`MemoryError::Overflow`].
pub const ADDRESS_SPACE: u64 = 1 << 32;

/// Most iovecs (or ciovecs) read from one guest array.
///
/// Reason: the host copies the array into a `Vec`, so
/// the count must not be the guest's alone to choose. 1024 is `IOV_MAX` in
/// wasi-libc and `UIO_MAXIOV` on Linux, where `readv`/`writev` fail with EINVAL
/// above it; a larger count here is EINVAL too.
pub const MAX_IOVS: u32 = 1024;

/// Size of one iovec or ciovec in guest memory: `buf: u32`, `buf_len: u32`.
pub const IOVEC_SIZE: u32 = 8;

/// Largest host buffer used to stream a guest range (64 KiB).
///
/// Reason: reads and writes move a guest range of up to 4 GiB through a
/// host buffer; the buffer is at most
/// this size whatever length the guest passes.
pub const CHUNK_LEN: u32 = 64 * 1024;

/// A guest memory access that cannot be made.
///
/// [`OutOfBounds`](Self::OutOfBounds) and [`Overflow`](Self::Overflow) are
/// EFAULT for the guest; [`TooLarge`](Self::TooLarge) is EINVAL (see
/// [`MemoryError::errno`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryError {
    /// The range lies (partly) past the end of the guest memory.
    #[error("guest range {ptr:#x}+{len} is outside the {memory_size}-byte memory")]
    OutOfBounds {
        /// Start of the range.
        ptr: GuestPtr,
        /// Length of the range in bytes.
        len: u64,
        /// Size of the guest memory in bytes.
        memory_size: u64,
    },
    /// The end of the range does not fit in the 32-bit address space.
    #[error("guest range {ptr:#x}+{len} overflows the 32-bit address space")]
    Overflow {
        /// Start of the range.
        ptr: GuestPtr,
        /// Length of the range in bytes.
        len: u64,
    },
    /// The guest asked for more items than the host copies at once.
    #[error("guest asked for {requested} {what}, more than the cap of {cap}")]
    TooLarge {
        /// What was counted ("bytes", "iovecs").
        what: &'static str,
        /// The count the guest asked for.
        requested: u64,
        /// The cap it exceeded.
        cap: u64,
    },
}

impl MemoryError {
    /// The errno the guest sees: EFAULT for a bad range, EINVAL for a count
    /// over a host cap (like `writev` with more than `IOV_MAX` iovecs).
    pub fn errno(&self) -> Errno {
        match self {
            Self::OutOfBounds { .. } | Self::Overflow { .. } => Errno::FAULT,
            Self::TooLarge { .. } => Errno::INVAL,
        }
    }
}

impl From<MemoryError> for Errno {
    fn from(err: MemoryError) -> Self {
        err.errno()
    }
}

/// One iovec (`__wasi_iovec_t`) or ciovec (`__wasi_ciovec_t`) read from guest
/// memory; both have this layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IoVec {
    /// Guest address of the buffer.
    pub buf: GuestPtr,
    /// Length of the buffer in bytes.
    pub len: u32,
}

/// Sum of the lengths of `iovs`, in 64-bit arithmetic (it cannot overflow for
/// at most [`MAX_IOVS`] entries).
pub fn iovecs_total_len(iovs: &[IoVec]) -> u64 {
    iovs.iter().map(|iov| u64::from(iov.len)).sum()
}

/// Checked access to one guest memory, through a [`MemoryView`].
///
/// Create one per host call: a view must not be used after the memory grows.
pub struct GuestMemory<'a> {
    view: MemoryView<'a>,
}

impl fmt::Debug for GuestMemory<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuestMemory")
            .field("size", &self.size())
            .finish()
    }
}

impl<'a> GuestMemory<'a> {
    /// Wraps an existing view.
    pub fn new(view: MemoryView<'a>) -> Self {
        Self { view }
    }

    /// Takes a fresh view of `memory` in `store`.
    pub fn from_memory(memory: &Memory, store: &'a (impl AsStoreRef + ?Sized)) -> Self {
        Self::new(memory.view(store))
    }

    /// Size of the memory in bytes.
    pub fn size(&self) -> u64 {
        self.view.data_size()
    }

    /// Checks that `len` bytes at `ptr` lie inside the memory.
    pub fn check_range(&self, ptr: GuestPtr, len: u64) -> Result<(), MemoryError> {
        let end = u64::from(ptr)
            .checked_add(len)
            .filter(|end| *end <= ADDRESS_SPACE)
            .ok_or(MemoryError::Overflow { ptr, len })?;
        let memory_size = self.size();
        if end > memory_size {
            return Err(MemoryError::OutOfBounds {
                ptr,
                len,
                memory_size,
            });
        }
        Ok(())
    }

    /// Fills `buf` from guest memory at `ptr`.
    pub fn read(&self, ptr: GuestPtr, buf: &mut [u8]) -> Result<(), MemoryError> {
        let len = host_len(buf.len());
        // Checked here first so that wasmer never sees (or logs) a bad range.
        self.check_range(ptr, len)?;
        self.view
            .read(u64::from(ptr), buf)
            .map_err(|_| self.after_check_failed(ptr, len))
    }

    /// Copies `len` guest bytes at `ptr` into a new `Vec`, refusing lengths
    /// above `cap` before allocating anything.
    pub fn read_vec(&self, ptr: GuestPtr, len: u32, cap: u32) -> Result<Vec<u8>, MemoryError> {
        if len > cap {
            return Err(MemoryError::TooLarge {
                what: "bytes",
                requested: u64::from(len),
                cap: u64::from(cap),
            });
        }
        self.check_range(ptr, u64::from(len))?;
        let mut buf = vec![0u8; host_len_usize(len)];
        self.read(ptr, &mut buf)?;
        Ok(buf)
    }

    /// Writes `data` into guest memory at `ptr`.
    pub fn write(&self, ptr: GuestPtr, data: &[u8]) -> Result<(), MemoryError> {
        let len = host_len(data.len());
        self.check_range(ptr, len)?;
        self.view
            .write(u64::from(ptr), data)
            .map_err(|_| self.after_check_failed(ptr, len))
    }

    #[cfg(test)]
    fn read_array<const N: usize>(&self, ptr: GuestPtr) -> Result<[u8; N], MemoryError> {
        let mut bytes = [0u8; N];
        self.read(ptr, &mut bytes)?;
        Ok(bytes)
    }

    #[cfg(test)]
    /// Reads one byte at `ptr`.
    pub fn read_u8(&self, ptr: GuestPtr) -> Result<u8, MemoryError> {
        self.read_array::<1>(ptr).map(|[b]| b)
    }

    #[cfg(test)]
    /// Reads a little-endian `u16` at `ptr` (any alignment).
    pub fn read_u16(&self, ptr: GuestPtr) -> Result<u16, MemoryError> {
        self.read_array(ptr).map(u16::from_le_bytes)
    }

    #[cfg(test)]
    /// Reads a little-endian `u32` at `ptr` (any alignment).
    pub fn read_u32(&self, ptr: GuestPtr) -> Result<u32, MemoryError> {
        self.read_array(ptr).map(u32::from_le_bytes)
    }

    #[cfg(test)]
    /// Reads a little-endian `u64` at `ptr` (any alignment).
    pub fn read_u64(&self, ptr: GuestPtr) -> Result<u64, MemoryError> {
        self.read_array(ptr).map(u64::from_le_bytes)
    }

    #[cfg(test)]
    /// Writes one byte at `ptr`.
    pub fn write_u8(&self, ptr: GuestPtr, value: u8) -> Result<(), MemoryError> {
        self.write(ptr, &[value])
    }

    #[cfg(test)]
    /// Writes `value` little-endian at `ptr` (any alignment).
    pub fn write_u16(&self, ptr: GuestPtr, value: u16) -> Result<(), MemoryError> {
        self.write(ptr, &value.to_le_bytes())
    }

    /// Writes `value` little-endian at `ptr` (any alignment).
    pub fn write_u32(&self, ptr: GuestPtr, value: u32) -> Result<(), MemoryError> {
        self.write(ptr, &value.to_le_bytes())
    }

    /// Writes `value` little-endian at `ptr` (any alignment).
    pub fn write_u64(&self, ptr: GuestPtr, value: u64) -> Result<(), MemoryError> {
        self.write(ptr, &value.to_le_bytes())
    }

    /// Reads an array of `count` iovecs or ciovecs (8 bytes each) at `ptr`.
    ///
    /// A count above [`MAX_IOVS`] is [`MemoryError::TooLarge`]; the array must
    /// lie inside the memory. The buffers the entries point to are not
    /// checked here: each is checked when it is accessed.
    pub fn read_iovecs(&self, ptr: GuestPtr, count: u32) -> Result<Vec<IoVec>, MemoryError> {
        if count > MAX_IOVS {
            return Err(MemoryError::TooLarge {
                what: "iovecs",
                requested: u64::from(count),
                cap: u64::from(MAX_IOVS),
            });
        }
        let byte_len = u64::from(count) * u64::from(IOVEC_SIZE);
        self.check_range(ptr, byte_len)?;
        let mut raw = vec![0u8; host_len_usize(count) * host_len_usize(IOVEC_SIZE)];
        self.read(ptr, &mut raw)?;
        Ok(raw
            .chunks_exact(8)
            .map(|entry| {
                let mut buf = [0u8; 4];
                let mut len = [0u8; 4];
                buf.copy_from_slice(&entry[..4]);
                len.copy_from_slice(&entry[4..]);
                IoVec {
                    buf: u32::from_le_bytes(buf),
                    len: u32::from_le_bytes(len),
                }
            })
            .collect())
    }

    /// Streams the `len` guest bytes at `ptr` to `sink`, in pieces of at most
    /// [`CHUNK_LEN`] bytes.
    ///
    /// The whole range is checked before `sink` is first called, so a bad
    /// range has no side effect. `sink` returns how many bytes of its piece it
    /// took; a short count stops the stream (a short write). Returns the total
    /// taken.
    pub fn read_chunks<E>(
        &self,
        ptr: GuestPtr,
        len: u32,
        mut sink: impl FnMut(&[u8]) -> Result<usize, E>,
    ) -> Result<u32, E>
    where
        E: From<MemoryError>,
    {
        self.stream(ptr, len, |at, piece| {
            self.read(at, piece)?;
            sink(piece)
        })
    }

    /// Fills the `len` guest bytes at `ptr` from `source`, in pieces of at most
    /// [`CHUNK_LEN`] bytes.
    ///
    /// The whole range is checked before `source` is first called. `source`
    /// fills the front of the buffer it is given and returns how many bytes it
    /// wrote; only those are copied to the guest, and a short count stops the
    /// stream (end of file). Returns the total copied.
    pub fn fill_chunks<E>(
        &self,
        ptr: GuestPtr,
        len: u32,
        mut source: impl FnMut(&mut [u8]) -> Result<usize, E>,
    ) -> Result<u32, E>
    where
        E: From<MemoryError>,
    {
        self.stream(ptr, len, |at, piece| {
            let filled = source(piece)?.min(piece.len());
            self.write(at, &piece[..filled])?;
            Ok(filled)
        })
    }

    /// Walks the `len` guest bytes at `ptr` in pieces of at most
    /// [`CHUNK_LEN`] bytes, through one host buffer of at most that size.
    ///
    /// The whole range is checked before `step` is first called. `step` gets
    /// the guest address of each piece and a buffer of its length, and
    /// returns how many bytes it moved (clamped to the piece); a short count
    /// stops the walk. Returns the total moved; an error from `step` after
    /// some pieces moved also stops the walk with that total, as a short
    /// read or write does.
    fn stream<E>(
        &self,
        ptr: GuestPtr,
        len: u32,
        mut step: impl FnMut(GuestPtr, &mut [u8]) -> Result<usize, E>,
    ) -> Result<u32, E>
    where
        E: From<MemoryError>,
    {
        self.check_range(ptr, u64::from(len))?;
        let mut buf = vec![0u8; host_len_usize(len.min(CHUNK_LEN))];
        let mut done: u32 = 0;
        while done < len {
            let piece = (len - done).min(CHUNK_LEN);
            let piece_buf = &mut buf[..host_len_usize(piece)];
            // Cannot overflow: done + piece <= len, checked above.
            let moved = match step(ptr + done, piece_buf) {
                Ok(moved) => moved.min(piece_buf.len()),
                // Bytes already moved count: the error is for the next call.
                Err(_) if done > 0 => break,
                Err(err) => return Err(err),
            };
            // `moved` <= piece <= CHUNK_LEN, so it fits in u32.
            let moved = u32::try_from(moved).unwrap_or(piece);
            done += moved;
            if moved < piece {
                break;
            }
        }
        Ok(done)
    }

    /// The error for a wasmer access that failed although [`check_range`]
    /// passed. That cannot happen with an unchanged view; it is still an
    /// error, not a panic.
    ///
    /// [`check_range`]: Self::check_range
    fn after_check_failed(&self, ptr: GuestPtr, len: u64) -> MemoryError {
        MemoryError::OutOfBounds {
            ptr,
            len,
            memory_size: self.size(),
        }
    }
}

/// A host buffer length as u64 (lossless on every supported target).
fn host_len(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// A u32 length as usize (lossless on the 32- and 64-bit targets wasmer runs
/// on).
fn host_len_usize(len: u32) -> usize {
    usize::try_from(len).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use wasmer::{MemoryType, Store};

    const PAGE: u32 = 65_536;

    fn one_page() -> (Store, Memory) {
        let mut store = Store::default();
        let memory = Memory::new(&mut store, MemoryType::new(1, None, false)).expect("memory");
        (store, memory)
    }

    #[test]
    fn bytes_round_trip() {
        let (store, memory) = one_page();
        let mem = GuestMemory::from_memory(&memory, &store);
        assert_eq!(mem.size(), u64::from(PAGE));
        mem.write(100, b"hello").unwrap();
        let mut buf = [0u8; 5];
        mem.read(100, &mut buf).unwrap();
        assert_eq!(&buf, b"hello");
        assert_eq!(mem.read_vec(100, 5, 5).unwrap(), b"hello");
        // The last byte of the memory is reachable; an empty range at the end too.
        mem.write(PAGE - 1, b"z").unwrap();
        assert_eq!(mem.read_u8(PAGE - 1).unwrap(), b'z');
        mem.write(PAGE, b"").unwrap();
        assert_eq!(mem.read_vec(PAGE, 0, 0).unwrap(), b"");
    }

    #[test]
    fn integers_little_endian_at_unaligned_offsets() {
        let (store, memory) = one_page();
        let mem = GuestMemory::from_memory(&memory, &store);
        // Odd offsets: a typed `WasmPtr<u64>::write` here aborts debug builds.
        mem.write_u64(1, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(mem.read_vec(1, 8, 8).unwrap(), [8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(mem.read_u64(1).unwrap(), 0x0102_0304_0506_0708);
        mem.write_u32(13, 0xdead_beef).unwrap();
        assert_eq!(mem.read_u32(13).unwrap(), 0xdead_beef);
        assert_eq!(mem.read_vec(13, 4, 4).unwrap(), [0xef, 0xbe, 0xad, 0xde]);
        mem.write_u16(21, 0xabcd).unwrap();
        assert_eq!(mem.read_u16(21).unwrap(), 0xabcd);
        mem.write_u8(23, 7).unwrap();
        assert_eq!(mem.read_u8(23).unwrap(), 7);
        mem.write_u64(PAGE - 8, u64::MAX).unwrap();
        assert_eq!(mem.read_u64(PAGE - 8).unwrap(), u64::MAX);
    }

    #[test]
    fn out_of_bounds_and_overflow_are_errors_not_panics() {
        let (store, memory) = one_page();
        let mem = GuestMemory::from_memory(&memory, &store);
        let oob = |ptr: u32, len: u64| MemoryError::OutOfBounds {
            ptr,
            len,
            memory_size: u64::from(PAGE),
        };
        assert_eq!(mem.read(PAGE - 4, &mut [0u8; 8]), Err(oob(PAGE - 4, 8)));
        assert_eq!(mem.write(PAGE - 1, b"ab"), Err(oob(PAGE - 1, 2)));
        assert_eq!(mem.read_u32(PAGE - 3), Err(oob(PAGE - 3, 4)));
        assert_eq!(mem.read_u64(PAGE - 7), Err(oob(PAGE - 7, 8)));
        assert_eq!(mem.write_u16(PAGE - 1, 1), Err(oob(PAGE - 1, 2)));
        assert_eq!(mem.write_u64(PAGE, 1), Err(oob(PAGE, 8)));
        assert_eq!(mem.read_u8(PAGE), Err(oob(PAGE, 1)));
        assert_eq!(mem.read_vec(65_000, 1000, 1000), Err(oob(65_000, 1000)));
        // ptr + len past 4 GiB: overflow in 32-bit address arithmetic.
        let overflow = |ptr: u32, len: u64| MemoryError::Overflow { ptr, len };
        assert_eq!(mem.read_u32(u32::MAX), Err(overflow(u32::MAX, 4)));
        assert_eq!(
            mem.write_u64(u32::MAX - 3, 0),
            Err(overflow(u32::MAX - 3, 8))
        );
        assert_eq!(
            mem.read_vec(u32::MAX, u32::MAX, u32::MAX),
            Err(overflow(u32::MAX, u64::from(u32::MAX)))
        );
        assert_eq!(mem.check_range(1, u64::MAX), Err(overflow(1, u64::MAX)));
        // Ending exactly at 4 GiB is not an overflow, only out of bounds here.
        assert_eq!(mem.read_u8(u32::MAX), Err(oob(u32::MAX, 1)));
        for err in [oob(0, 0), overflow(0, 0)] {
            assert_eq!(Errno::from(err), Errno::FAULT);
        }
        // Nothing was written by the failed calls.
        assert_eq!(mem.read_u8(PAGE - 1).unwrap(), 0);
    }

    #[test]
    fn read_vec_cap_is_checked_before_allocating() {
        let (store, memory) = one_page();
        let mem = GuestMemory::from_memory(&memory, &store);
        let err = mem.read_vec(0, u32::MAX, 16).unwrap_err();
        assert_eq!(
            err,
            MemoryError::TooLarge {
                what: "bytes",
                requested: u64::from(u32::MAX),
                cap: 16
            }
        );
        assert_eq!(err.errno(), Errno::INVAL);
    }

    #[test]
    fn iovecs_are_read_and_capped() {
        let (store, memory) = one_page();
        let mem = GuestMemory::from_memory(&memory, &store);
        // Two iovecs at an odd address.
        let base = 3;
        mem.write_u32(base, 0x100).unwrap();
        mem.write_u32(base + 4, 5).unwrap();
        mem.write_u32(base + 8, 0x200).unwrap();
        mem.write_u32(base + 12, u32::MAX).unwrap();
        let iovs = mem.read_iovecs(base, 2).unwrap();
        assert_eq!(
            iovs,
            [
                IoVec { buf: 0x100, len: 5 },
                IoVec {
                    buf: 0x200,
                    len: u32::MAX
                }
            ]
        );
        assert_eq!(iovecs_total_len(&iovs), 5 + u64::from(u32::MAX));
        assert_eq!(mem.read_iovecs(0, 0).unwrap(), []);
        assert_eq!(mem.read_iovecs(0, MAX_IOVS).unwrap().len(), 1024);
        assert_eq!(
            mem.read_iovecs(0, MAX_IOVS + 1).unwrap_err().errno(),
            Errno::INVAL
        );
        assert_eq!(
            mem.read_iovecs(PAGE - 12, 2).unwrap_err(),
            MemoryError::OutOfBounds {
                ptr: PAGE - 12,
                len: 16,
                memory_size: u64::from(PAGE)
            }
        );
        assert_eq!(
            mem.read_iovecs(u32::MAX - 7, 2).unwrap_err(),
            MemoryError::Overflow {
                ptr: u32::MAX - 7,
                len: 16
            }
        );
    }

    #[test]
    fn read_chunks_streams_in_bounded_pieces() {
        let (mut store, memory) = one_page();
        memory.grow(&mut store, 2).expect("grow");
        let mem = GuestMemory::from_memory(&memory, &store);
        let len = 3 * PAGE - 10;
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        mem.write(5, &data).unwrap();
        let mut seen = Vec::new();
        let mut pieces = Vec::new();
        let total = mem
            .read_chunks::<MemoryError>(5, len, |piece| {
                pieces.push(piece.len());
                seen.extend_from_slice(piece);
                Ok(piece.len())
            })
            .unwrap();
        assert_eq!(total, len);
        assert_eq!(seen, data);
        assert!(pieces.iter().all(|p| *p <= CHUNK_LEN as usize));
        assert_eq!(pieces.len(), 3);

        // A short take stops the stream.
        let mut calls = 0;
        let total = mem
            .read_chunks::<MemoryError>(0, len, |_| {
                calls += 1;
                Ok(10)
            })
            .unwrap();
        assert_eq!((total, calls), (10, 1));

        // A bad range calls nothing.
        let err = mem
            .read_chunks::<Errno>(3 * PAGE - 1, 2, |_| panic!("must not be called"))
            .unwrap_err();
        assert_eq!(err, Errno::FAULT);
        // The sink's own error is passed through.
        let err = mem
            .read_chunks::<Errno>(0, 4, |_| Err(Errno::BADF))
            .unwrap_err();
        assert_eq!(err, Errno::BADF);
        // ...unless some pieces went through: then it is a short count.
        let mut calls = 0;
        let total = mem
            .read_chunks::<Errno>(0, len, |piece| {
                calls += 1;
                if calls == 1 {
                    Ok(piece.len())
                } else {
                    Err(Errno::IO)
                }
            })
            .unwrap();
        assert_eq!((total, calls), (CHUNK_LEN, 2));
        let total = mem
            .fill_chunks::<Errno>(0, len, |piece| {
                calls += 1;
                if calls == 3 {
                    Ok(piece.len())
                } else {
                    Err(Errno::IO)
                }
            })
            .unwrap();
        assert_eq!(total, CHUNK_LEN);
    }

    #[test]
    fn fill_chunks_writes_only_what_the_source_gave() {
        let (store, memory) = one_page();
        let mem = GuestMemory::from_memory(&memory, &store);
        let mut remaining = 70_000usize.min(PAGE as usize - 100);
        let total = mem
            .fill_chunks::<MemoryError>(100, PAGE - 100, |buf| {
                assert!(buf.len() <= CHUNK_LEN as usize);
                let n = buf.len().min(remaining);
                buf[..n].fill(0xaa);
                remaining -= n;
                Ok(n)
            })
            .unwrap();
        assert_eq!(total, PAGE - 100);
        assert_eq!(mem.read_u8(100).unwrap(), 0xaa);
        assert_eq!(mem.read_u8(PAGE - 1).unwrap(), 0xaa);
        assert_eq!(mem.read_u8(99).unwrap(), 0);

        // End of input after 3 bytes: only 3 bytes change.
        let mut given = false;
        let total = mem
            .fill_chunks::<MemoryError>(0, 50, |buf| {
                if given {
                    return Ok(0);
                }
                given = true;
                buf[..3].copy_from_slice(b"abc");
                buf[3..].fill(b'!');
                Ok(3)
            })
            .unwrap();
        assert_eq!(total, 3);
        assert_eq!(mem.read_vec(0, 4, 4).unwrap(), b"abc\0");

        // A source claiming more than the buffer is clamped, not a panic.
        let total = mem
            .fill_chunks::<MemoryError>(0, 4, |_| Ok(usize::MAX))
            .unwrap();
        assert_eq!(total, 4);

        let err = mem
            .fill_chunks::<Errno>(u32::MAX, 2, |_| panic!("must not be called"))
            .unwrap_err();
        assert_eq!(err, Errno::FAULT);
    }

    proptest! {
        #[test]
        fn any_pointer_and_length_is_checked(ptr in any::<u32>(), len in 0u32..=2 * PAGE) {
            let (store, memory) = one_page();
            let mem = GuestMemory::from_memory(&memory, &store);
            let end = u64::from(ptr) + u64::from(len);
            let expect_ok = end <= u64::from(PAGE);
            let read = mem.read_vec(ptr, len, u32::MAX);
            prop_assert_eq!(read.is_ok(), expect_ok);
            let write = mem.write(ptr, &vec![1u8; len as usize]);
            prop_assert_eq!(write.is_ok(), expect_ok);
            if let Err(err) = read {
                prop_assert_eq!(Errno::from(err), Errno::FAULT);
                let is_overflow = matches!(err, MemoryError::Overflow { .. });
                prop_assert_eq!(is_overflow, end > ADDRESS_SPACE);
            }
            for (size, result) in [
                (2u64, mem.read_u16(ptr).map(u64::from)),
                (4, mem.read_u32(ptr).map(u64::from)),
                (8, mem.read_u64(ptr)),
            ] {
                prop_assert_eq!(result.is_ok(), u64::from(ptr) + size <= u64::from(PAGE));
            }
            let iovs = mem.read_iovecs(ptr, len.min(MAX_IOVS));
            prop_assert_eq!(
                iovs.is_ok(),
                u64::from(ptr) + u64::from(len.min(MAX_IOVS)) * 8 <= u64::from(PAGE)
            );
        }
    }
}
