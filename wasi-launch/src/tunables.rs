//! The engine tunables the launcher installs: wasmer's own, with a bound on
//! table sizes.
//!
//! wasmer checks a table's *declared* limits when it creates the table but
//! lets `table.grow` go as far as the declared maximum, and a table that
//! declares none may grow to `u32::MAX` elements: 32 GiB of host memory,
//! allocated in one piece, which aborts the host process when it fails.
//! [`LimitTunables`] gives every table the launcher's engine creates (defined
//! by a module or by the host) a maximum of at most
//! [`MAX_TABLE_ELEMENTS`]: a `table.grow` past it returns -1 to the guest,
//! as for any table at its maximum, and a module whose table *minimum* is
//! above it fails to instantiate.
//!
//! Memories and the styles the compiler sees are wasmer's
//! [`BaseTunables`]' unchanged, so compiled artifacts are the same with or
//! without these tunables.
//!
//! This module holds `unsafe` code: the two `create_vm_*` methods are
//! `unsafe` in wasmer's trait and forward to wasmer's own `unsafe`
//! constructors, each under a `SAFETY` comment.

#![allow(
    unsafe_code,
    reason = "wasmer's Tunables trait has unsafe methods; they forward to its own"
)]

use std::ptr::NonNull;

use wasmer::sys::vm::{
    MemoryError, MemoryStyle, TableStyle, VMConfig, VMMemory, VMMemoryDefinition, VMTable,
    VMTableDefinition,
};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{MemoryType, TableType};

/// Default bound on the number of elements in one table: ten million, the
/// implementation limit of the major browser engines, so a module that runs
/// in a browser runs here. At 8 bytes an element, one table holds at most
/// 80 MB of host memory.
pub const MAX_TABLE_ELEMENTS: u32 = 10_000_000;

/// wasmer's [`BaseTunables`] with every table bounded to `max_table_elements`.
#[derive(Clone)]
pub(crate) struct LimitTunables {
    base: BaseTunables,
    max_table_elements: u32,
}

impl LimitTunables {
    /// Tunables bounding every table to `max_table_elements` elements.
    pub(crate) fn new(max_table_elements: u32) -> Self {
        Self {
            base: BaseTunables::new(),
            max_table_elements,
        }
    }

    /// `ty` with its maximum lowered to the bound; an error naming both
    /// when its minimum is already above it.
    fn bounded(&self, ty: &TableType) -> Result<TableType, String> {
        if ty.minimum > self.max_table_elements {
            return Err(format!(
                "a table of at least {} elements is over the limit of {} elements",
                ty.minimum, self.max_table_elements
            ));
        }
        let maximum = ty.maximum.map_or(self.max_table_elements, |max| {
            max.min(self.max_table_elements)
        });
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
        self.base.create_host_memory(ty, style)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        // SAFETY: the caller upholds this method's contract (a valid, owned
        // definition location), which is the one wasmer's own method needs;
        // the location is passed through untouched.
        unsafe {
            self.base
                .create_vm_memory(ty, style, vm_definition_location)
        }
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base.create_host_table(&self.bounded(ty)?, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        let ty = self.bounded(ty)?;
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

    fn vmconfig(&self) -> &VMConfig {
        self.base.vmconfig()
    }
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
