//! The engine tunables the launcher installs: wasmer's own, with a bound on
//! table sizes.
//!
//! wasmer checks a table's *declared* limits when it creates the table but
//! lets `table.grow` go as far as the declared maximum, and a table that
//! declares none may grow to `u32::MAX` elements: 32 GiB of host memory,
//! allocated in one piece, which aborts the host process when it fails.
//! [`LimitTunables`] bounds the tables of one instance *together* to
//! [`MAX_TABLE_ELEMENTS`] (a module may define up to 100 tables): each of
//! the instance's `n` tables gets a maximum of at most the bound divided by
//! `n` (or its own minimum, if larger), and the instance fails to
//! instantiate when the tables' minimums add up to more than the bound. A
//! table the host creates gets the whole bound. A `table.grow` past a
//! table's maximum returns -1 to the guest, as for any table at its maximum.
//!
//! An environment with a memory limit gets its own copy of the tunables
//! with [`LimitTunables::with_memory_limit`]: every memory made through
//! them, the module's own and any the host creates, gets a maximum of at
//! most the limit, so `memory.grow` past it returns -1 to the guest; a
//! memory whose minimum is above the limit is refused. The limit only
//! lowers the maximum wasmer checks on growth: the memory *styles* (how
//! much address space is reserved, which the compiled bounds checks rely
//! on) stay [`BaseTunables`]' own, so compiled artifacts are the same with
//! or without these tunables.
//!
//! [`LimitTunables::with_stack_size`] sets the size of the stack wasm code
//! runs on (wasmer's `VMConfig`); host functions run on the host's stack,
//! so a guest recursing to the end of a small stack cannot overflow the
//! host's.
//!
//! This module holds `unsafe` code: the two `create_vm_*` methods are
//! `unsafe` in wasmer's trait and forward to wasmer's own `unsafe`
//! constructors, each under a `SAFETY` comment.

#![allow(
    unsafe_code,
    reason = "wasmer's Tunables trait has unsafe methods; they forward to its own"
)]

use std::cell::RefCell;
use std::ptr::NonNull;

use wasmer::sys::vm::{
    InternalStoreHandle, MemoryError, MemoryStyle, StoreObjects, TableStyle, VMConfig, VMMemory,
    VMMemoryDefinition, VMTable, VMTableDefinition,
};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{MemoryType, Pages, TableType};
use wasmer_compiler::LinkError;
use wasmer_types::entity::PrimaryMap;
use wasmer_types::{LocalTableIndex, ModuleInfo, TableIndex};

use crate::env_memory::{EnvMemory, MemoryHooks};
use crate::memory_pool::MemoryPool;

/// Default bound on the elements of the tables of one instance, together:
/// ten million, the implementation limit of the major browser engines for
/// one table, so a module that runs in a browser runs here. At 8 bytes an
/// element that is 80 MB, and at most twice that while a growing table's
/// buffer is reallocated.
pub const MAX_TABLE_ELEMENTS: u32 = 10_000_000;

/// The size of a wasm page.
pub(crate) const PAGE_BYTES: u64 = 0x1_0000;

/// The most pages a 32-bit memory can have (4 GiB): a memory limit above
/// it is no limit.
pub(crate) const MAX_WASM32_PAGES: u32 = 0x1_0000;

/// The host bytes of one table element (a function reference).
pub(crate) const TABLE_ELEMENT_BYTES: u64 = 8;

thread_local! {
    /// A shared memory this thread's next `create_host_memory` of a shared
    /// type hands out instead of making a new one (see
    /// [`attach_shared_memory`]).
    static ATTACHING: RefCell<Option<VMMemory>> = const { RefCell::new(None) };
}

/// A [`wasmer::Memory`] in `store` over `memory`, an existing shared
/// memory (a clone of the one a thread group shares, with its wrapper):
/// wasmer makes store memories only through the tunables, so the
/// tunables of this thread hand `memory` to the `Memory::new` called here.
pub(crate) fn attach_shared_memory(
    store: &mut wasmer::Store,
    ty: MemoryType,
    memory: VMMemory,
) -> Result<wasmer::Memory, MemoryError> {
    ATTACHING.with(|a| *a.borrow_mut() = Some(memory));
    let made = wasmer::Memory::new(store, ty);
    // Taken by the tunables, unless the store's engine has other tunables.
    let left = ATTACHING.with(|a| a.borrow_mut().take());
    match (made, left) {
        (Ok(memory), None) => Ok(memory),
        (Ok(_), Some(_)) => Err(MemoryError::Generic(
            "the store's engine does not have the launcher's tunables".to_string(),
        )),
        (Err(e), _) => Err(e),
    }
}

/// wasmer's [`BaseTunables`] with every table bounded to `max_table_elements`,
/// and optionally every memory to a limit and wasm code to a stack size.
pub(crate) struct LimitTunables {
    base: BaseTunables,
    max_table_elements: u32,
    max_memory_pages: Option<Pages>,
    vmconfig: VMConfig,
    pool: Option<MemoryPool>,
    /// The environment's memory total and fuel bank, which every memory
    /// made here is wrapped with (see `env_memory`).
    hooks: MemoryHooks,
}

impl LimitTunables {
    /// Tunables bounding every table to `max_table_elements` elements.
    pub(crate) fn new(max_table_elements: u32) -> Self {
        let base = BaseTunables::new();
        let vmconfig = VMConfig {
            wasm_stack_size: base.vmconfig().wasm_stack_size,
        };
        Self {
            base,
            max_table_elements,
            max_memory_pages: None,
            vmconfig,
            pool: None,
            hooks: MemoryHooks::default(),
        }
    }

    /// These tunables wrapping every memory they make with `hooks`.
    pub(crate) fn with_hooks(mut self, hooks: MemoryHooks) -> Self {
        self.hooks = hooks;
        self
    }

    /// `memory` wrapped with the hooks, if there are any.
    fn hooked(&self, memory: VMMemory) -> Result<VMMemory, MemoryError> {
        if self.hooks.is_empty() {
            return Ok(memory);
        }
        Ok(VMMemory(Box::new(EnvMemory::wrap(memory.0, &self.hooks)?)))
    }

    /// These tunables taking the module's own memories from `pool` (when
    /// it serves them and has a slot to spare).
    pub(crate) fn with_pool(mut self, pool: Option<MemoryPool>) -> Self {
        self.pool = pool;
        self
    }

    /// These tunables with every memory bounded to `pages` wasm pages (a
    /// limit above what a 32-bit memory can have is that much).
    pub(crate) fn with_memory_limit(mut self, pages: Pages) -> Self {
        self.max_memory_pages = Some(Pages(pages.0.min(MAX_WASM32_PAGES)));
        self
    }

    /// These tunables with wasm code running on a stack of `bytes`.
    pub(crate) fn with_stack_size(mut self, bytes: usize) -> Self {
        self.vmconfig.wasm_stack_size = Some(bytes);
        self
    }

    /// `ty` with its maximum lowered to the memory limit; an error naming
    /// both when its minimum is already above it.
    fn bounded_memory(&self, ty: &MemoryType) -> Result<MemoryType, MemoryError> {
        let Some(limit) = self.max_memory_pages else {
            return Ok(*ty);
        };
        if ty.minimum > limit {
            return Err(MemoryError::Generic(format!(
                "a memory of at least {} bytes is over the limit of {} bytes",
                u64::from(ty.minimum.0) * PAGE_BYTES,
                u64::from(limit.0) * PAGE_BYTES,
            )));
        }
        let maximum = ty.maximum.map_or(limit, |max| max.min(limit));
        Ok(MemoryType {
            maximum: Some(maximum),
            ..*ty
        })
    }

    /// `ty` with its maximum lowered to `bound`; an error naming both when
    /// its minimum is already above it.
    fn bounded(ty: &TableType, bound: u32) -> Result<TableType, String> {
        if ty.minimum > bound {
            return Err(format!(
                "a table of at least {} elements is over the limit of {bound} elements",
                ty.minimum
            ));
        }
        let maximum = ty.maximum.map_or(bound, |max| max.min(bound));
        Ok(TableType {
            maximum: Some(maximum),
            ..*ty
        })
    }
}

impl Tunables for LimitTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        self.base.memory_style(memory)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> Result<VMMemory, MemoryError> {
        if ty.shared
            && let Some(attaching) = ATTACHING.with(|a| a.borrow_mut().take())
        {
            return Ok(attaching);
        }
        let memory = self
            .base
            .create_host_memory(&self.bounded_memory(ty)?, style)?;
        self.hooked(memory)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        let ty = self.bounded_memory(ty)?;
        if let Some(pool) = self
            .pool
            .as_ref()
            .filter(|_| MemoryPool::serves(&ty, style))
        {
            // SAFETY: the caller's valid, owned definition location, passed
            // through untouched (the pool's contract is wasmer's).
            if let Some(memory) = unsafe { pool.memory(&ty, style, vm_definition_location) }? {
                return self.hooked(memory);
            }
        }
        // SAFETY: the caller upholds this method's contract (a valid, owned
        // definition location), which is the one wasmer's own method needs;
        // the location is passed through untouched. The memory type only
        // has a lower maximum than the module declared (never a different
        // minimum, sharing or index type) and `style` is the one the code
        // was compiled for, so the reservation the compiled bounds checks
        // rely on is unchanged.
        let memory = unsafe {
            self.base
                .create_vm_memory(&ty, style, vm_definition_location)
        }?;
        self.hooked(memory)
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base
            .create_host_table(&Self::bounded(ty, self.max_table_elements)?, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        let ty = Self::bounded(ty, self.max_table_elements)?;
        // SAFETY: as for `create_vm_memory`: the caller's valid, owned
        // definition location is passed through untouched. The table type
        // only has a lower maximum than the module declared (never a
        // different element type or minimum), which the compiled code does
        // not depend on: it reads the current size from the definition.
        unsafe {
            self.base
                .create_vm_table(&ty, style, vm_definition_location)
        }
    }

    /// The instance's own tables, bounded together: each gets at most the
    /// bound divided by their number, and their minimums must fit in it.
    unsafe fn create_tables(
        &self,
        context: &mut StoreObjects,
        module: &ModuleInfo,
        table_styles: &PrimaryMap<TableIndex, TableStyle>,
        table_definition_locations: &[NonNull<VMTableDefinition>],
    ) -> Result<PrimaryMap<LocalTableIndex, InternalStoreHandle<VMTable>>, LinkError> {
        let local = || module.tables.iter().skip(module.num_imported_tables);
        let share = table_share(module, self.max_table_elements).map_err(LinkError::Resource)?;
        let mut tables = PrimaryMap::with_capacity(local().count());
        for ((index, ty), location) in local().zip(table_definition_locations) {
            // A table keeps at least its own minimum (the minimums fit
            // together, checked by `table_share`).
            let ty = Self::bounded(ty, share.max(ty.minimum)).map_err(LinkError::Resource)?;
            let style = table_styles.get(index).ok_or_else(|| {
                LinkError::Resource(format!("no table style for table {}", index.as_u32()))
            })?;
            // SAFETY: `location` is one of the definition locations the
            // caller passed for this module's local tables, in the order of
            // those tables (this method's contract; wasmer's own
            // implementation pairs them the same way); it is passed through
            // untouched.
            let table = unsafe { self.base.create_vm_table(&ty, style, *location) }
                .map_err(LinkError::Resource)?;
            tables.push(InternalStoreHandle::new(context, table));
        }
        Ok(tables)
    }

    fn vmconfig(&self) -> &VMConfig {
        &self.vmconfig
    }
}

/// What each local table of `module` may hold at most when the tables of
/// one instance share `max_table_elements`: the bound divided by their
/// number (a table keeps at least its own minimum); an error when their
/// minimums do not fit the bound together.
fn table_share(module: &ModuleInfo, max_table_elements: u32) -> Result<u32, String> {
    let local = || module.tables.iter().skip(module.num_imported_tables);
    let count = u32::try_from(local().count()).unwrap_or(u32::MAX).max(1);
    let minimums: u64 = local().map(|(_, ty)| u64::from(ty.minimum)).sum();
    if minimums > u64::from(max_table_elements) {
        return Err(format!(
            "the module's tables need at least {minimums} elements, over the limit of {max_table_elements} elements"
        ));
    }
    Ok(max_table_elements / count)
}

/// The most host bytes the local tables of one instance of `module` can
/// hold (each table at the maximum [`LimitTunables`] gives it), as
/// counted against an environment's memory total; `None` when the
/// instance cannot be made (its tables' minimums are over the bound).
pub(crate) fn instance_table_bytes(module: &ModuleInfo, max_table_elements: u32) -> Option<u64> {
    let share = table_share(module, max_table_elements).ok()?;
    let elements: u64 = module
        .tables
        .iter()
        .skip(module.num_imported_tables)
        .map(|(_, ty)| {
            let bound = share.max(ty.minimum);
            u64::from(ty.maximum.map_or(bound, |max| max.min(bound)))
        })
        .sum();
    Some(elements * TABLE_ELEMENT_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmer::sys::NativeEngineExt;
    use wasmer::{Instance, Module, Store, Table, Type, Value, imports};

    fn engine(max: u32) -> wasmer::Engine {
        let mut engine = crate::Compiler::Cranelift.engine();
        engine.set_tunables(LimitTunables::new(max));
        engine
    }

    /// Grows table `$t` by the argument and returns what `table.grow` gave.
    const GROW: &str = r#"(module
        (table $t 1 funcref)
        (func (export "grow") (param i32) (result i32)
          (table.grow $t (ref.null func) (local.get 0))))"#;

    fn grow(store: &mut Store, instance: &Instance, by: i32) -> i32 {
        let f = instance.exports.get_function("grow").expect("export");
        match f.call(store, &[Value::I32(by)]).expect("no trap")[..] {
            [Value::I32(r)] => r,
            ref other => panic!("unexpected results {other:?}"),
        }
    }

    #[test]
    fn table_grow_past_the_bound_returns_minus_one_and_allocates_nothing() {
        let engine = engine(100);
        let mut store = Store::new(engine.clone());
        let module = Module::new(&engine, GROW).expect("compiles");
        let instance = Instance::new(&mut store, &module, &imports! {}).expect("instantiates");
        // u32::MAX - 1 more elements: 32 GiB without the bound.
        assert_eq!(grow(&mut store, &instance, -2), -1);
        assert_eq!(grow(&mut store, &instance, 0x1000_0000), -1);
        // Up to the bound is fine, one past it is not.
        assert_eq!(grow(&mut store, &instance, 98), 1);
        assert_eq!(grow(&mut store, &instance, 1), 99);
        assert_eq!(grow(&mut store, &instance, 1), -1);
        assert_eq!(grow(&mut store, &instance, 0), 100);
    }

    #[test]
    fn a_declared_maximum_below_the_bound_still_holds() {
        let engine = engine(100);
        let mut store = Store::new(engine.clone());
        let module = Module::new(
            &engine,
            r#"(module (table $t 1 5 funcref)
                 (func (export "grow") (param i32) (result i32)
                   (table.grow $t (ref.null func) (local.get 0))))"#,
        )
        .expect("compiles");
        let instance = Instance::new(&mut store, &module, &imports! {}).expect("instantiates");
        assert_eq!(grow(&mut store, &instance, 5), -1);
        assert_eq!(grow(&mut store, &instance, 4), 1);
    }

    #[test]
    fn a_table_minimum_over_the_bound_fails_to_instantiate() {
        let engine = engine(100);
        let mut store = Store::new(engine.clone());
        let module = Module::new(&engine, "(module (table 101 funcref))").expect("compiles");
        let err = Instance::new(&mut store, &module, &imports! {}).expect_err("refused");
        let message = err.to_string();
        assert!(message.contains("101"), "{message}");
        assert!(message.contains("100"), "{message}");
    }

    /// Review of issue 11: the bound is per instance, not per table; 100
    /// tables of the bound each would have allocated 100 times it.
    #[test]
    fn the_tables_of_one_instance_share_the_bound() {
        let engine = engine(100);
        let mut store = Store::new(engine.clone());
        let many = Module::new(&engine, "(module (table 60 funcref) (table 60 funcref))")
            .expect("compiles");
        let err = Instance::new(&mut store, &many, &imports! {}).expect_err("refused");
        let shown = format!("{err}: {err:?}");
        assert!(shown.contains("120"), "{shown}");
        let two = Module::new(
            &engine,
            r#"(module (table $a 1 funcref) (table $b 1 funcref)
                 (func (export "grow") (param i32) (result i32)
                   (table.grow $b (ref.null func) (local.get 0))))"#,
        )
        .expect("compiles");
        let instance = Instance::new(&mut store, &two, &imports! {}).expect("instantiates");
        // Each of the two tables may hold half of the bound.
        assert_eq!(grow(&mut store, &instance, 50), -1);
        assert_eq!(grow(&mut store, &instance, 49), 1);
    }

    #[test]
    fn host_created_tables_are_bounded_too() {
        let mut store = Store::new(engine(10));
        let ty = TableType::new(Type::FuncRef, 1, None);
        let table = Table::new(&mut store, ty, Value::FuncRef(None)).expect("created");
        assert!(table.grow(&mut store, 100, Value::FuncRef(None)).is_err());
        assert_eq!(
            table.grow(&mut store, 9, Value::FuncRef(None)).ok(),
            Some(1)
        );
        let too_big = TableType::new(Type::FuncRef, 11, None);
        assert!(Table::new(&mut store, too_big, Value::FuncRef(None)).is_err());
    }
}
