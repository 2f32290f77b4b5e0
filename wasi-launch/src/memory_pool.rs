//! Pooled linear memories: address-space slots reserved once per launcher
//! and reused by one guest after another, so a launch maps and unmaps
//! nothing.
//!
//! Without a pool every instance's memory is a fresh reservation of 8 GiB
//! of address space (the 4 GiB a 32-bit memory may address plus wasmer's
//! 4 GiB offset guard, which the compiled code's bounds checks rely on),
//! and unmapping it when the instance ends serialises the launching threads
//! on the process's memory-map lock and its TLB shootdowns. A
//! [`MemoryPool`] reserves each slot (of the same geometry, guard
//! included) the first time it is needed and keeps it until the pool is
//! dropped. An instance takes a slot on instantiation and gives it back
//! when its store is dropped; a returned slot is reset before anyone else
//! can take it: its first [`keep_resident`](MemoryPoolConfig::with_keep_resident)
//! bytes are zeroed in place (no page-table change) and the rest of what
//! the guest made accessible is discarded (`MADV_DONTNEED`: the next touch
//! reads a fresh zero page). A slot that cannot be reset is retired, never
//! handed out again.
//!
//! Only what the compiled code expects of a wasmer static memory is pooled:
//! an unshared memory of [`MemoryStyle::Static`] defined by the module.
//! Shared memories (threads) and memories the host creates keep wasmer's
//! own allocation.
//!
//! This module holds the `unsafe` code of the pool: the system calls on
//! the slots, the writes to the instance's memory definition and the
//! `LinearMemory` wasmer's compiled code uses, each block under a `SAFETY`
//! comment.

#![allow(
    unsafe_code,
    reason = "slots are raw mappings the compiled code reads and writes directly"
)]

use std::cell::RefCell;
use std::ffi::c_void;
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustix::mm::{Advice, MapFlags, MprotectFlags, ProtFlags};
use wasmer::sys::vm::{MemoryError, MemoryStyle, VMMemory, VMMemoryDefinition};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{MemoryType, Pages};
use wasmer_types::ModuleInfo;
use wasmer_vm::{LinearMemory, VMOwnedMemory};

use crate::lock::lock;
use crate::tunables::PAGE_BYTES;

/// What a launch does when every slot of the pool is in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhenExhausted {
    /// Fail at once with [`LaunchError::MemoryPoolExhausted`](crate::LaunchError::MemoryPoolExhausted).
    Fail,
    /// Wait up to this long for a slot to be returned, then fail as
    /// [`Fail`](Self::Fail) does.
    Wait(Duration),
}

/// The size and behaviour of a [`MemoryPool`]: a value built with `with_*`
/// methods from [`MemoryPoolConfig::new`]'s defaults and given to
/// [`LauncherBuilder::memory_pool`](crate::LauncherBuilder::memory_pool).
///
/// ```
/// use wasi_launch::{Launcher, MemoryPoolConfig, WhenExhausted};
/// use std::time::Duration;
///
/// let launcher = Launcher::builder()
///     .memory_pool(
///         MemoryPoolConfig::new()
///             .with_slots(64)
///             .with_max_memory_bytes(256 << 20)
///             .with_when_exhausted(WhenExhausted::Wait(Duration::from_secs(1))),
///     )
///     .build();
/// let pool = launcher.memory_pool().expect("configured");
/// assert_eq!(pool.slots(), 64);
/// assert_eq!(pool.in_use(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryPoolConfig {
    slots: usize,
    max_memory_bytes: u64,
    keep_resident: usize,
    when_exhausted: WhenExhausted,
}

impl Default for MemoryPoolConfig {
    fn default() -> Self {
        MemoryPoolConfig::new()
    }
}

impl MemoryPoolConfig {
    /// The defaults: 1,000 slots, each memory up to 4 GiB (all a 32-bit
    /// memory can address), 64 KiB zeroed in place on reset, and
    /// [`WhenExhausted::Fail`].
    pub const fn new() -> Self {
        MemoryPoolConfig {
            slots: 1_000,
            max_memory_bytes: 1 << 32,
            keep_resident: 64 << 10,
            when_exhausted: WhenExhausted::Fail,
        }
    }

    /// How many memories may be live at once (at least 1). Each slot takes
    /// 8 GiB of address space, reserved the first time it is used.
    pub const fn with_slots(mut self, slots: usize) -> Self {
        self.slots = if slots == 0 { 1 } else { slots };
        self
    }

    /// The most one pooled memory may hold, rounded down to whole wasm
    /// pages (at least one page, at most 4 GiB): `memory.grow` past it
    /// returns -1, and a module whose memory's minimum is above it fails
    /// to launch with [`LaunchError::MemoryLimit`](crate::LaunchError::MemoryLimit).
    pub const fn with_max_memory_bytes(mut self, bytes: u64) -> Self {
        let pages = bytes / PAGE_BYTES;
        let pages = if pages == 0 {
            1
        } else if pages > 0x1_0000 {
            0x1_0000
        } else {
            pages
        };
        self.max_memory_bytes = pages * PAGE_BYTES;
        self
    }

    /// How many bytes of a returned slot are zeroed in place (rounded up
    /// to the host's pages); what the guest made accessible beyond them is
    /// discarded instead, which changes page tables and costs a page fault
    /// per page on the next use.
    pub const fn with_keep_resident(mut self, bytes: usize) -> Self {
        self.keep_resident = bytes;
        self
    }

    /// What a launch does when every slot is in use.
    pub const fn with_when_exhausted(mut self, when: WhenExhausted) -> Self {
        self.when_exhausted = when;
        self
    }

    /// The number of slots.
    pub const fn slots(&self) -> usize {
        self.slots
    }

    /// The most one pooled memory may hold, in bytes.
    pub const fn max_memory_bytes(&self) -> u64 {
        self.max_memory_bytes
    }

    /// The bytes of a returned slot zeroed in place.
    pub const fn keep_resident(&self) -> usize {
        self.keep_resident
    }

    /// What a launch does when every slot is in use.
    pub const fn when_exhausted(&self) -> WhenExhausted {
        self.when_exhausted
    }
}

/// Why the pool could not give a launch a slot.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PoolRefusal {
    /// Every slot is in use (after the configured wait).
    Exhausted { slots: usize },
    /// A memory's minimum is above the pool's per-memory maximum.
    TooLarge { limit: u64, requested: u64 },
}

/// A pool of linear-memory slots shared by every environment of a
/// [`Launcher`](crate::Launcher). Cheap to clone, `Send + Sync`.
///
/// Each slot is reserved (8 GiB of address space: the 4 GiB a 32-bit
/// memory addresses plus wasmer's guard) the first time it is needed and
/// kept until the pool is dropped. A returned slot is reset before reuse:
/// its first [`keep_resident`](MemoryPoolConfig::keep_resident) bytes are
/// zeroed in place, and the rest the guest made accessible is discarded, so
/// no guest ever reads another's bytes.
#[derive(Clone)]
pub struct MemoryPool {
    inner: Arc<PoolInner>,
}

impl fmt::Debug for MemoryPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryPool")
            .field("config", &self.inner.config)
            .field("in_use", &self.in_use())
            .field("reserved", &self.reserved())
            .finish_non_exhaustive()
    }
}

struct PoolInner {
    config: MemoryPoolConfig,
    /// Bytes reserved per slot: the addressable 4 GiB plus the guard.
    slot_bytes: usize,
    /// `keep_resident` rounded up to whole host pages.
    keep_resident: usize,
    /// Reset slots ready to hand out, in shards: a thread returns slots to
    /// its own shard and takes from it first, so launching threads do not
    /// contend for one lock (or one cache line).
    shards: Box<[Shard]>,
    /// Mappings alive (free or in use), never more than `config.slots`.
    reserved: AtomicUsize,
    /// Slots that could not be reset and were unmapped.
    retired: AtomicUsize,
    /// Launches waiting for a slot; returning one wakes them only then.
    waiters: AtomicUsize,
    wait_lock: Mutex<()>,
    returned: Condvar,
}

/// One shard of the free slots, on a cache line of its own.
#[repr(align(128))]
#[derive(Default)]
struct Shard {
    /// The most recently returned last.
    free: Mutex<Vec<FreeSlot>>,
}

/// How many shards the free slots are split into.
const SHARDS: usize = 16;

/// The longest a waiting launch sleeps before looking again (a returned
/// slot also wakes it).
const WAIT_STEP: Duration = Duration::from_millis(5);

/// A reset slot: its mapping and how much of it is readable and writable
/// (all zeroes).
struct FreeSlot {
    mapping: Mapping,
    accessible: usize,
}

/// One slot's reservation, unmapped when dropped.
struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: a `Mapping` is an address range owned by exactly one `FreeSlot`
// or `Slot` at a time; moving that ownership between threads is what the
// pool does, and nothing in the mapping is tied to the creating thread.
unsafe impl Send for Mapping {}
// SAFETY: a shared `&Mapping` only exposes the range's address and length.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Reserves `len` bytes of address space, inaccessible.
    fn reserve(len: usize) -> Result<Self, String> {
        // SAFETY: an anonymous mapping at an address the kernel picks
        // aliases no existing Rust object; `NORESERVE` because it is
        // address space, not memory, until pages are made accessible.
        let base = unsafe {
            rustix::mm::mmap_anonymous(
                std::ptr::null_mut(),
                len,
                ProtFlags::empty(),
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )
        }
        .map_err(|e| format!("cannot reserve a memory slot of {len} bytes: {e}"))?;
        let base = NonNull::new(base.cast::<u8>())
            .ok_or_else(|| "mmap returned a null memory slot".to_string())?;
        Ok(Mapping { base, len })
    }

    /// Makes `range` readable and writable (`true`) or inaccessible.
    fn protect(&self, start: usize, end: usize, accessible: bool) -> Result<(), String> {
        if start >= end {
            return Ok(());
        }
        let flags = match accessible {
            true => MprotectFlags::READ | MprotectFlags::WRITE,
            false => MprotectFlags::empty(),
        };
        let len = (end - start).min(self.len.saturating_sub(start));
        // SAFETY: the range lies inside this mapping (clamped to its
        // length), which only the owner of the slot uses; pages made
        // inaccessible are outside the memory the guest currently has.
        unsafe { rustix::mm::mprotect(self.ptr(start), len, flags) }
            .map_err(|e| format!("cannot change the protection of a memory slot: {e}"))
    }

    /// Resets the first `accessible` bytes to zero: `keep` of them in
    /// place, the rest by discarding their pages.
    fn reset(&self, accessible: usize, keep: usize) -> Result<(), String> {
        let zeroed = accessible.min(keep).min(self.len);
        // SAFETY: the first `accessible` bytes of the mapping are readable
        // and writable (the slot's bookkeeping), and no instance uses the
        // slot any more: the memory that did was dropped.
        unsafe { std::ptr::write_bytes(self.base.as_ptr(), 0, zeroed) };
        if accessible > zeroed {
            let len = (accessible - zeroed).min(self.len - zeroed);
            // SAFETY: as above; `MADV_DONTNEED` on private anonymous pages
            // makes the next access read zero pages, without unmapping.
            unsafe { rustix::mm::madvise(self.ptr(zeroed), len, Advice::LinuxDontNeed) }
                .map_err(|e| format!("cannot discard the pages of a memory slot: {e}"))?;
        }
        Ok(())
    }

    fn ptr(&self, offset: usize) -> *mut c_void {
        self.base.as_ptr().wrapping_add(offset).cast()
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `reserve` with this length and
        // nothing refers into it any more (its slot is gone).
        let _ = unsafe { rustix::mm::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

impl MemoryPool {
    /// A pool of `config.slots()` slots, none reserved yet (a launcher
    /// makes its own from [`LauncherBuilder::memory_pool`](crate::LauncherBuilder::memory_pool)).
    pub(crate) fn new(config: MemoryPoolConfig) -> Self {
        let guard = MemoryStyle::Static.offset_guard_size();
        let addressable = MemoryStyle::static_bound().bytes().0 as u64;
        let slot_bytes = usize::try_from(addressable + guard).unwrap_or(usize::MAX);
        let page = rustix::param::page_size();
        let keep_resident = config.keep_resident.div_ceil(page).saturating_mul(page);
        MemoryPool {
            inner: Arc::new(PoolInner {
                config,
                slot_bytes,
                keep_resident,
                shards: (0..SHARDS).map(|_| Shard::default()).collect(),
                reserved: AtomicUsize::new(0),
                retired: AtomicUsize::new(0),
                waiters: AtomicUsize::new(0),
                wait_lock: Mutex::new(()),
                returned: Condvar::new(),
            }),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &MemoryPoolConfig {
        &self.inner.config
    }

    /// How many memories may be live at once.
    pub fn slots(&self) -> usize {
        self.inner.config.slots
    }

    /// Slots held by live memories (or reserved for a launch under way).
    /// Exact when no launch is starting or ending at the same time.
    pub fn in_use(&self) -> usize {
        let free: usize = self.inner.shards.iter().map(|s| lock(&s.free).len()).sum();
        self.reserved().saturating_sub(free)
    }

    /// Slots whose address space is reserved (free or in use).
    pub fn reserved(&self) -> usize {
        self.inner.reserved.load(Ordering::Acquire)
    }

    /// Slots that could not be reset after use: unmapped, never reused
    /// (a new slot may be reserved in their place).
    pub fn retired(&self) -> usize {
        self.inner.retired.load(Ordering::Acquire)
    }

    /// Whether the pool serves a memory of type `ty` compiled for `style`:
    /// unshared, static.
    pub(crate) fn serves(ty: &MemoryType, style: &MemoryStyle) -> bool {
        !ty.shared && matches!(style, MemoryStyle::Static)
    }

    /// Takes `count` slots for one launch (all or none), waiting as
    /// configured, and holds them for this thread's next instantiation
    /// until the returned guard is dropped.
    pub(crate) fn reserve(&self, count: usize) -> Result<Reservation, PoolRefusal> {
        if count == 0 {
            let keep = RESERVED.with(|r| r.borrow().len());
            return Ok(Reservation { keep });
        }
        let slots = self.inner.take(count, self.inner.config.when_exhausted)?;
        let before = RESERVED.with(|r| {
            let mut r = r.borrow_mut();
            let before = r.len();
            r.extend(slots);
            before
        });
        Ok(Reservation { keep: before })
    }

    /// Reserves a slot for each memory of `module` the pool serves, after
    /// checking each fits a slot: see [`reserve`](Self::reserve).
    pub(crate) fn reserve_for(&self, module: &ModuleInfo) -> Result<Reservation, PoolRefusal> {
        let base = BaseTunables::new();
        let mut count = 0;
        for ty in module.memories.values().skip(module.num_imported_memories) {
            if !Self::serves(ty, &base.memory_style(ty)) {
                continue;
            }
            let requested = u64::from(ty.minimum.0) * PAGE_BYTES;
            let limit = self.inner.config.max_memory_bytes;
            if requested > limit {
                return Err(PoolRefusal::TooLarge { limit, requested });
            }
            count += 1;
        }
        self.reserve(count)
    }

    /// A pooled memory of type `ty` whose definition lives at `location`,
    /// in a slot this thread reserved, or else a free one; `None` when the
    /// pool has none to spare (the caller then allocates as usual).
    ///
    /// # Safety
    ///
    /// `location` must be valid for writes and outlive the returned
    /// memory (wasmer's contract for `Tunables::create_vm_memory`).
    pub(crate) unsafe fn memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        location: NonNull<VMMemoryDefinition>,
    ) -> Result<Option<VMMemory>, MemoryError> {
        let reserved = RESERVED.with(|r| {
            let mut r = r.borrow_mut();
            let at = r.iter().rposition(|s| Arc::ptr_eq(&s.pool, &self.inner))?;
            Some(r.remove(at))
        });
        let slot = match reserved {
            Some(slot) => slot,
            None => match self.inner.take(1, WhenExhausted::Fail) {
                Ok(mut slots) => match slots.pop() {
                    Some(slot) => slot,
                    None => return Ok(None),
                },
                Err(_) => return Ok(None),
            },
        };
        // SAFETY: forwarded from this function's contract.
        let memory = unsafe { PooledMemory::new(slot, ty, style, location) }?;
        Ok(Some(VMMemory(Box::new(memory))))
    }
}

thread_local! {
    /// Slots reserved by this thread's launch under way, taken by the
    /// tunables when its instance creates its memories.
    static RESERVED: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

/// Slots reserved for this thread's next instantiation; those it did not
/// use go back to the pool when this is dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    /// How many reserved slots were already there (a nested launch's).
    keep: usize,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // Dropped outside the borrow: returning a slot locks the pool.
        let unused: Vec<Slot> = RESERVED.with(|r| {
            let mut r = r.borrow_mut();
            let keep = self.keep.min(r.len());
            r.split_off(keep)
        });
        drop(unused);
    }
}

/// This thread's shard.
fn my_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    // A slot dropped while this thread's locals are being destroyed goes
    // to the first shard.
    SHARD.try_with(|s| *s).unwrap_or(0)
}

impl PoolInner {
    /// Takes `count` slots, all or none, waiting as `when` allows.
    fn take(self: &Arc<Self>, count: usize, when: WhenExhausted) -> Result<Vec<Slot>, PoolRefusal> {
        let exhausted = PoolRefusal::Exhausted {
            slots: self.config.slots,
        };
        if count > self.config.slots {
            return Err(exhausted);
        }
        let deadline = match when {
            WhenExhausted::Fail => None,
            WhenExhausted::Wait(d) => Some(Instant::now() + d),
        };
        loop {
            if let Some(slots) = self.try_take(count) {
                return Ok(slots);
            }
            let left = deadline.and_then(|d| d.checked_duration_since(Instant::now()));
            let Some(left) = left.filter(|l| !l.is_zero()) else {
                return Err(exhausted);
            };
            let guard = lock(&self.wait_lock);
            self.waiters.fetch_add(1, Ordering::SeqCst);
            // A slot returned before the count went up did not wake us:
            // the step bounds how late it is noticed.
            let _unused = self
                .returned
                .wait_timeout(guard, left.min(WAIT_STEP))
                .unwrap_or_else(PoisonError::into_inner);
            self.waiters.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Takes `count` slots if there are that many free or reservable now:
    /// this thread's shard first, then the others, then new reservations.
    fn try_take(self: &Arc<Self>, count: usize) -> Option<Vec<Slot>> {
        let mut slots = Vec::with_capacity(count);
        let home = my_shard();
        for i in 0..SHARDS {
            if slots.len() == count {
                break;
            }
            let mut free = lock(&self.shards[(home + i) % SHARDS].free);
            while slots.len() < count {
                let Some(slot) = free.pop() else { break };
                slots.push(Slot::new(self, slot.mapping, slot.accessible));
            }
        }
        let missing = count - slots.len();
        if missing == 0 {
            return Some(slots);
        }
        // Room for `missing` new reservations?
        let room = self
            .reserved
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| {
                (r + missing <= self.config.slots).then_some(r + missing)
            });
        if room.is_err() {
            // Returned (untouched) as they are dropped.
            return None;
        }
        for made in 0..missing {
            match Mapping::reserve(self.slot_bytes) {
                Ok(mapping) => slots.push(Slot::new(self, mapping, 0)),
                Err(_) => {
                    self.reserved.fetch_sub(missing - made, Ordering::AcqRel);
                    return None;
                }
            }
        }
        Some(slots)
    }

    /// Takes back a slot: reset if it was used, then free in this thread's
    /// shard, or unmapped and retired if it cannot be reset.
    fn give_back(&self, mapping: Mapping, accessible: usize, dirty: bool) {
        let reset = match dirty {
            true => mapping.reset(accessible, self.keep_resident),
            false => Ok(()),
        };
        match reset {
            Ok(()) => lock(&self.shards[my_shard()].free).push(FreeSlot {
                mapping,
                accessible,
            }),
            Err(_) => {
                drop(mapping);
                self.retired.fetch_add(1, Ordering::AcqRel);
                self.reserved.fetch_sub(1, Ordering::AcqRel);
            }
        }
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _guard = lock(&self.wait_lock);
            self.returned.notify_all();
        }
    }
}

/// A slot handed out: returned to its pool when dropped.
struct Slot {
    pool: Arc<PoolInner>,
    /// `Some` until dropped.
    mapping: Option<Mapping>,
    /// The bytes from the start of the slot that are readable and writable.
    accessible: usize,
    /// Whether a memory used it (and it needs a reset).
    dirty: bool,
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot")
            .field("accessible", &self.accessible)
            .field("dirty", &self.dirty)
            .finish_non_exhaustive()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(mapping) = self.mapping.take() {
            self.pool.give_back(mapping, self.accessible, self.dirty);
        }
    }
}

impl Slot {
    fn new(pool: &Arc<PoolInner>, mapping: Mapping, accessible: usize) -> Self {
        Slot {
            pool: Arc::clone(pool),
            mapping: Some(mapping),
            accessible,
            dirty: false,
        }
    }

    fn mapping(&self) -> Result<&Mapping, MemoryError> {
        self.mapping
            .as_ref()
            .ok_or_else(|| MemoryError::Generic("a returned memory slot was used".into()))
    }

    /// Makes exactly the first `bytes` of the slot accessible.
    fn set_accessible(&mut self, bytes: usize) -> Result<(), MemoryError> {
        let mapping = self.mapping()?;
        let result = match bytes > self.accessible {
            true => mapping.protect(self.accessible, bytes, true),
            false => mapping.protect(bytes, self.accessible, false),
        };
        result.map_err(MemoryError::Region)?;
        self.accessible = bytes;
        Ok(())
    }
}

/// A linear memory in a pool slot: what wasmer's compiled code and runtime
/// see through [`LinearMemory`].
struct PooledMemory {
    slot: Slot,
    /// The type, its maximum lowered to the pool's per-memory maximum.
    ty: MemoryType,
    style: MemoryStyle,
    size: Pages,
    definition: NonNull<VMMemoryDefinition>,
}

impl fmt::Debug for PooledMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledMemory")
            .field("ty", &self.ty)
            .field("size", &self.size)
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

// SAFETY: the memory owns its slot; the definition pointer is into the
// instance that owns this memory, which wasmer moves between threads with
// it (as it does its own memories, which are `Send + Sync` for the same
// reason).
unsafe impl Send for PooledMemory {}
// SAFETY: `&PooledMemory` only reads the type, size and definition pointer.
unsafe impl Sync for PooledMemory {}

impl PooledMemory {
    /// # Safety
    ///
    /// `location` must be valid for writes and outlive the memory.
    unsafe fn new(
        mut slot: Slot,
        ty: &MemoryType,
        style: &MemoryStyle,
        location: NonNull<VMMemoryDefinition>,
    ) -> Result<Self, MemoryError> {
        let limit = Pages(
            u32::try_from(slot.pool.config.max_memory_bytes / PAGE_BYTES).unwrap_or(u32::MAX),
        );
        if ty.minimum > limit {
            return Err(MemoryError::MinimumMemoryTooLarge {
                min_requested: ty.minimum,
                max_allowed: limit,
            });
        }
        let maximum = ty.maximum.map_or(limit, |m| m.min(limit));
        if maximum < ty.minimum {
            return Err(MemoryError::InvalidMemory {
                reason: format!(
                    "the maximum ({} pages) is less than the minimum ({} pages)",
                    maximum.0, ty.minimum.0
                ),
            });
        }
        let bytes = ty.minimum.bytes().0;
        slot.set_accessible(bytes)?;
        slot.dirty = true;
        let base = slot.mapping()?.base.as_ptr();
        let memory = PooledMemory {
            slot,
            ty: MemoryType {
                maximum: Some(maximum),
                ..*ty
            },
            style: *style,
            size: ty.minimum,
            definition: location,
        };
        // SAFETY: the caller guarantees `location` is valid for writes;
        // the instance reads it only after its memories are made.
        unsafe {
            let definition = &mut *memory.definition.as_ptr();
            definition.base = base;
            definition.current_length = bytes;
        }
        Ok(memory)
    }
}

impl LinearMemory for PooledMemory {
    fn ty(&self) -> MemoryType {
        MemoryType {
            minimum: self.size,
            ..self.ty
        }
    }

    fn size(&self) -> Pages {
        self.size
    }

    fn style(&self) -> MemoryStyle {
        self.style
    }

    fn grow(&mut self, delta: Pages) -> Result<Pages, MemoryError> {
        let previous = self.size;
        if delta.0 == 0 {
            return Ok(previous);
        }
        let grown = previous
            .checked_add(delta)
            .filter(|p| Some(*p) <= self.ty.maximum)
            .ok_or(MemoryError::CouldNotGrow {
                current: previous,
                attempted_delta: delta,
            })?;
        let bytes = grown.bytes().0;
        self.slot.set_accessible(bytes)?;
        self.size = grown;
        // SAFETY: the definition outlives this memory (the contract of
        // `new`); the store is borrowed mutably for `grow`, so no guest code
        // of this instance runs while the length changes.
        unsafe { (*self.definition.as_ptr()).current_length = bytes };
        Ok(previous)
    }

    fn grow_at_least(&mut self, min_size: u64) -> Result<(), MemoryError> {
        let current = self.size.bytes().0 as u64;
        if min_size <= current {
            return Ok(());
        }
        let pages = (min_size - current).div_ceil(PAGE_BYTES);
        let pages = u32::try_from(pages).map_err(|_| MemoryError::CouldNotGrow {
            current: self.size,
            attempted_delta: Pages(u32::MAX),
        })?;
        self.grow(Pages(pages)).map(|_| ())
    }

    fn vmmemory(&self) -> NonNull<VMMemoryDefinition> {
        self.definition
    }

    fn try_clone(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        Err(MemoryError::MemoryNotShared)
    }

    /// A copy outside the pool (wasmer's own allocation) with the same
    /// bytes.
    fn copy(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        let copy = VMOwnedMemory::new(&self.ty(), &self.style)?;
        let len = self.size.bytes().0;
        let from = self.slot.mapping()?.base.as_ptr();
        // SAFETY: both memories are at least `len` bytes long (the copy's
        // minimum is this memory's size) and are distinct mappings; the
        // copy is not yet visible to anyone else.
        unsafe {
            let to = copy.vmmemory().as_ref().base;
            std::ptr::copy_nonoverlapping(from, to, len);
        }
        Ok(Box::new(copy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunables::LimitTunables;
    use wasmer::sys::NativeEngineExt;
    use wasmer::{Instance, Module, Store, Value, imports};

    /// `grow(n)` is `memory.grow`; `fill` writes 0xA5 into every 4 KiB of
    /// the memory; `nonzero` counts the memory's nonzero bytes.
    const PATTERN: &str = r#"(module
      (memory (export "memory") 1)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "fill") (local $a i32)
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $a) (i32.mul (memory.size) (i32.const 65536))))
          (i32.store8 (local.get $a) (i32.const 0xA5))
          (local.set $a (i32.add (local.get $a) (i32.const 4096)))
          (br $next))))
      (func (export "nonzero") (result i32) (local $a i32) (local $n i32)
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $a) (i32.mul (memory.size) (i32.const 65536))))
          (if (i32.load8_u (local.get $a))
            (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (br $next)))
        (local.get $n)))"#;

    fn pooled_engine(config: MemoryPoolConfig) -> (wasmer::Engine, MemoryPool) {
        let pool = MemoryPool::new(config);
        let mut engine = crate::Compiler::Cranelift.engine();
        engine.set_tunables(LimitTunables::new(100).with_pool(Some(pool.clone())));
        (engine, pool)
    }

    /// `module` instantiated in a new store of `engine`, without imports.
    fn instantiate(engine: &wasmer::Engine, module: &Module) -> (Store, Instance) {
        let mut store = Store::new(engine.clone());
        let instance = Instance::new(&mut store, module, &imports! {}).expect("instance");
        (store, instance)
    }

    fn call(store: &mut Store, instance: &Instance, name: &str, args: &[Value]) -> i32 {
        let f = instance.exports.get_function(name).expect("export");
        match f.call(store, args).expect("no trap")[..] {
            [Value::I32(r)] => r,
            [] => 0,
            ref other => panic!("unexpected results {other:?}"),
        }
    }

    fn base_of(slot: &Slot) -> usize {
        slot.mapping.as_ref().expect("mapped").base.as_ptr() as usize
    }

    #[test]
    fn a_slot_is_never_handed_out_twice() {
        let pool = MemoryPool::new(MemoryPoolConfig::new().with_slots(3));
        let mut slots = pool.inner.take(3, WhenExhausted::Fail).expect("three");
        let mut bases: Vec<usize> = slots.iter().map(base_of).collect();
        bases.sort_unstable();
        bases.dedup();
        assert_eq!(bases.len(), 3, "three distinct slots");
        assert_eq!(pool.in_use(), 3);
        assert_eq!(
            pool.inner.take(1, WhenExhausted::Fail).err(),
            Some(PoolRefusal::Exhausted { slots: 3 })
        );
        let returned = slots.pop().expect("one");
        let base = base_of(&returned);
        drop(returned);
        assert_eq!(pool.in_use(), 2);
        let again = pool.inner.take(1, WhenExhausted::Fail).expect("one free");
        assert_eq!(base_of(&again[0]), base, "the returned slot, reused");
        assert!(!bases.is_empty() && pool.reserved() == 3);
        // More than the pool holds is refused at once, even with a wait.
        assert!(
            pool.inner
                .take(4, WhenExhausted::Wait(Duration::from_secs(60)))
                .is_err()
        );
        drop((slots, again));
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn a_returned_slot_reads_zeroes_below_and_above_the_keep_resident_threshold() {
        let (engine, pool) = pooled_engine(MemoryPoolConfig::new().with_slots(1));
        let module = Module::new(&engine, PATTERN).expect("compiles");
        {
            let (mut store, instance) = instantiate(&engine, &module);
            // 4 pages: one kept resident (zeroed in place), three discarded.
            assert_eq!(call(&mut store, &instance, "grow", &[Value::I32(3)]), 1);
            call(&mut store, &instance, "fill", &[]);
            assert_eq!(call(&mut store, &instance, "nonzero", &[]), 64);
            assert_eq!(pool.in_use(), 1);
        }
        assert_eq!(pool.in_use(), 0, "dropping the store returned the slot");
        let (mut store, instance) = instantiate(&engine, &module);
        assert_eq!(pool.reserved(), 1, "the same slot, reused");
        assert_eq!(call(&mut store, &instance, "nonzero", &[]), 0, "first page");
        // Its pages past the first are inaccessible again until grown.
        assert_eq!(call(&mut store, &instance, "grow", &[Value::I32(0)]), 1);
        assert_eq!(call(&mut store, &instance, "grow", &[Value::I32(3)]), 1);
        assert_eq!(
            call(&mut store, &instance, "nonzero", &[]),
            0,
            "all four pages"
        );
    }

    #[test]
    fn a_returned_slot_is_zeroed_when_all_of_it_is_kept_resident() {
        let config = MemoryPoolConfig::new()
            .with_slots(1)
            .with_keep_resident(1 << 20);
        let (engine, pool) = pooled_engine(config);
        let module = Module::new(&engine, PATTERN).expect("compiles");
        for round in 0..3 {
            let (mut store, instance) = instantiate(&engine, &module);
            assert_eq!(call(&mut store, &instance, "grow", &[Value::I32(3)]), 1);
            assert_eq!(
                call(&mut store, &instance, "nonzero", &[]),
                0,
                "round {round}"
            );
            call(&mut store, &instance, "fill", &[]);
        }
        assert_eq!((pool.reserved(), pool.in_use()), (1, 0));
    }

    #[test]
    fn growth_past_the_slot_maximum_fails_cleanly() {
        let config = MemoryPoolConfig::new()
            .with_slots(1)
            .with_max_memory_bytes(2 * PAGE_BYTES);
        let (engine, pool) = pooled_engine(config);
        let module = Module::new(&engine, PATTERN).expect("compiles");
        let (mut store, instance) = instantiate(&engine, &module);
        assert_eq!(pool.in_use(), 1, "pooled");
        assert_eq!(call(&mut store, &instance, "grow", &[Value::I32(5)]), -1);
        assert_eq!(call(&mut store, &instance, "grow", &[Value::I32(-1)]), -1);
        assert_eq!(call(&mut store, &instance, "grow", &[Value::I32(1)]), 1);
        assert_eq!(call(&mut store, &instance, "grow", &[Value::I32(1)]), -1);
        call(&mut store, &instance, "fill", &[]);
        assert_eq!(call(&mut store, &instance, "nonzero", &[]), 32);
        let memory = instance.exports.get_memory("memory").expect("memory");
        assert_eq!(memory.ty(&store).maximum, Some(Pages(2)));
    }

    #[test]
    fn a_module_instantiated_while_the_pool_is_full_gets_its_own_memory() {
        let (engine, pool) = pooled_engine(MemoryPoolConfig::new().with_slots(1));
        let module = Module::new(&engine, PATTERN).expect("compiles");
        let (mut first, a) = instantiate(&engine, &module);
        let (mut second, b) = instantiate(&engine, &module);
        assert_eq!(pool.in_use(), 1);
        call(&mut first, &a, "fill", &[]);
        assert_eq!(call(&mut second, &b, "nonzero", &[]), 0);
        assert_eq!(call(&mut first, &a, "nonzero", &[]), 16);
    }

    #[test]
    fn a_reservation_hands_its_slot_to_this_threads_instance_and_returns_the_rest() {
        let (engine, pool) = pooled_engine(MemoryPoolConfig::new().with_slots(2));
        let module = Module::new(&engine, PATTERN).expect("compiles");
        let mut store = Store::new(engine.clone());
        let reservation = pool.reserve(2).expect("two");
        assert_eq!(pool.in_use(), 2);
        let _instance = Instance::new(&mut store, &module, &imports! {}).expect("instance");
        drop(reservation);
        assert_eq!(pool.in_use(), 1, "the unused reserved slot went back");
        assert_eq!(
            pool.reserve(2).err(),
            Some(PoolRefusal::Exhausted { slots: 2 })
        );
        drop(store);
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn a_waiting_launch_gets_the_slot_another_thread_returns() {
        let pool = MemoryPool::new(MemoryPoolConfig::new().with_slots(1));
        let held = pool.inner.take(1, WhenExhausted::Fail).expect("one");
        let returner = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(held);
        });
        let got = pool
            .inner
            .take(1, WhenExhausted::Wait(Duration::from_secs(30)))
            .expect("returned in time");
        assert_eq!(got.len(), 1);
        returner.join().expect("returner");
        assert_eq!(
            pool.inner
                .take(1, WhenExhausted::Wait(Duration::from_millis(20)))
                .err(),
            Some(PoolRefusal::Exhausted { slots: 1 })
        );
    }

    /// The `LinearMemory` methods wasmer's runtime calls, without an
    /// instance: the definition it keeps up to date, growth, and a copy
    /// (which wasmer's API offers for shared memories only).
    #[test]
    fn a_pooled_memory_keeps_its_definition_current_and_copies_its_bytes() {
        let pool = MemoryPool::new(MemoryPoolConfig::new().with_slots(1));
        let mut definition = Box::new(VMMemoryDefinition {
            base: std::ptr::null_mut(),
            current_length: 0,
        });
        let location = NonNull::from(&mut *definition);
        let ty = MemoryType::new(1, Some(3), false);
        // SAFETY: the definition is boxed and outlives the memory.
        let mut memory = unsafe { pool.memory(&ty, &MemoryStyle::Static, location) }
            .expect("made")
            .expect("pooled");
        assert_eq!(pool.in_use(), 1);
        assert_eq!(definition.current_length, PAGE_BYTES as usize);
        // SAFETY: the first page is accessible.
        unsafe { *definition.base.add(4096) = 0xA5 };
        assert_eq!(memory.grow(Pages(2)).expect("grows"), Pages(1));
        assert_eq!(definition.current_length, 3 * PAGE_BYTES as usize);
        assert!(memory.grow(Pages(1)).is_err(), "past the maximum");
        assert_eq!(memory.ty(), MemoryType::new(3, Some(3), false));
        // SAFETY: the third page was made accessible by the growth.
        unsafe { *definition.base.add(2 * PAGE_BYTES as usize) = 0x5A };
        let copy = memory.copy().expect("copied");
        assert_eq!(copy.size(), Pages(3));
        // SAFETY: the copy is three pages long, like the original.
        let copied = unsafe {
            let base = copy.vmmemory().as_ref().base;
            (*base.add(4096), *base.add(2 * PAGE_BYTES as usize), *base)
        };
        assert_eq!(copied, (0xA5, 0x5A, 0));
        assert!(memory.try_clone().is_err());
        drop(memory);
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn shared_and_dynamic_memories_are_not_pooled() {
        let shared = MemoryType::new(1, Some(2), true);
        let unshared = MemoryType::new(1, Some(2), false);
        assert!(!MemoryPool::serves(&shared, &MemoryStyle::Static));
        let dynamic = MemoryStyle::Dynamic {
            offset_guard_size: 0,
        };
        assert!(!MemoryPool::serves(&unshared, &dynamic));
        assert!(MemoryPool::serves(&unshared, &MemoryStyle::Static));
    }

    #[test]
    fn config_values_are_clamped_to_what_a_slot_can_hold() {
        let config = MemoryPoolConfig::new()
            .with_slots(0)
            .with_max_memory_bytes(u64::MAX);
        assert_eq!(config.slots(), 1);
        assert_eq!(config.max_memory_bytes(), 1 << 32);
        let config = MemoryPoolConfig::new().with_max_memory_bytes(100);
        assert_eq!(config.max_memory_bytes(), PAGE_BYTES);
        assert_eq!(MemoryPoolConfig::default(), MemoryPoolConfig::new());
    }
}
