//! Fuel metering: the compile-time middleware that counts a metered
//! module's operators, and the fuel counter of one of its instances.
//!
//! Every wasm operator costs one unit ([`METERING`](crate::METERING)). The
//! cost of each basic block is paid where the block ends (before a branch,
//! call or block boundary), from a counter global the middleware adds to
//! the module (exported as [`FUEL_GLOBAL`]). When the counter holds less
//! than the block costs, the code asks the environment's fuel bank for
//! more (`fuel.rs` has the protocol) and adds what it was granted; if the
//! counter still falls short, it sets [`FUEL_EXHAUSTED_GLOBAL`] and traps
//! with `unreachable`, which the launcher reports as running out of fuel.
//!
//! The checks are those of wasmer-middlewares' `Metering` (which decides
//! where a block ends, [`is_accounting`]); the refill is ours, so that all
//! threads of an environment (one instance each) draw on one budget. A
//! module with no 32-bit memory 0 has nothing to ask through and gets no
//! refills: its instance's counter must hold the whole budget.

use std::sync::Mutex;

use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::wasmparser::{BlockType, Operator};
use wasmer::{
    AsStoreMut, ExportIndex, GlobalInit, GlobalType, Instance, LocalFunctionIndex, Mutability,
    Type, Value,
};
use wasmer_middlewares::metering::is_accounting;
use wasmer_types::{GlobalIndex, MemoryIndex, ModuleInfo};

use crate::fuel::{MAX_REFILL_COST, refill_request};
use crate::lock::lock;

/// The exported counter global of a metered module (i64, the units left).
pub(crate) const FUEL_GLOBAL: &str = "wasi_launch_fuel";
/// Its companion (i32): set to 1 when the fuel ran out.
pub(crate) const FUEL_EXHAUSTED_GLOBAL: &str = "wasi_launch_fuel_exhausted";

/// The globals the middleware added to one module.
#[derive(Debug, Clone, Copy)]
struct Globals {
    fuel: u32,
    exhausted: u32,
    /// Where a refill's answer is kept while it is checked (no locals can
    /// be added to a function); `None` without refills.
    answer: Option<u32>,
}

/// The module-level middleware. Like wasmer's `Metering`, one value serves
/// one module (it records that module's global indices), so each metered
/// compile gets an engine of its own.
#[derive(Debug, Default)]
pub(crate) struct Metering {
    globals: Mutex<Option<Globals>>,
}

fn add_global(info: &mut ModuleInfo, ty: Type, init: GlobalInit) -> u32 {
    let index: GlobalIndex = info.globals.push(GlobalType::new(ty, Mutability::Var));
    info.global_initializers.push(init);
    index.as_u32()
}

impl ModuleMiddleware for Metering {
    fn generate_function_middleware<'a>(
        &self,
        _: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        Box::new(FunctionMetering {
            globals: *lock(&self.globals),
            cost: 0,
        })
    }

    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        let mut globals = lock(&self.globals);
        if globals.is_some() {
            return Err(MiddlewareError::new(
                "metering",
                "one metering middleware serves one module",
            ));
        }
        // The counter starts empty: a start function draws from the bank
        // (or, without refills, runs out at its first block).
        let fuel = add_global(info, Type::I64, GlobalInit::I64Const(0));
        let exhausted = add_global(info, Type::I32, GlobalInit::I32Const(0));
        let answer = info
            .memories
            .get(MemoryIndex::from_u32(0))
            .is_some()
            .then(|| add_global(info, Type::I32, GlobalInit::I32Const(0)));
        for (name, index) in [(FUEL_GLOBAL, fuel), (FUEL_EXHAUSTED_GLOBAL, exhausted)] {
            info.exports.insert(
                name.to_string(),
                ExportIndex::Global(GlobalIndex::from_u32(index)),
            );
        }
        *globals = Some(Globals {
            fuel,
            exhausted,
            answer,
        });
        Ok(())
    }
}

/// The middleware of one function: sums the cost of the current block.
#[derive(Debug)]
struct FunctionMetering {
    /// `None` only if wasmer skipped `transform_module_info`; the function
    /// is then left unmetered and the module is not taken for a metered
    /// one (it exports no counter).
    globals: Option<Globals>,
    cost: u64,
}

impl<'a> FunctionMiddleware<'a> for FunctionMetering {
    fn feed(
        &mut self,
        operator: Operator<'a>,
        state: &mut MiddlewareReaderState<'a>,
    ) -> Result<(), MiddlewareError> {
        // Counted first, so that the operator ending a block is paid by it.
        self.cost += 1;
        if let Some(globals) = self.globals
            && is_accounting(&operator)
        {
            pay(state, globals, self.cost);
            self.cost = 0;
        }
        state.push_operator(operator);
        Ok(())
    }
}

/// Emits the payment of a block costing `cost`:
///
/// ```text
/// if fuel < cost {
///     answer = memory.grow(refill_request(cost))   // with refills
///     fuel += (answer == -1 ? 0 : answer)
///     if fuel < cost { exhausted = 1; unreachable }
/// }
/// fuel -= cost
/// ```
fn pay(state: &mut MiddlewareReaderState<'_>, globals: Globals, cost: u64) {
    // A cost fits i64: it is at most the operators of one function.
    let cost_const = Operator::I64Const {
        value: i64::try_from(cost).unwrap_or(i64::MAX),
    };
    let short = [
        Operator::GlobalGet {
            global_index: globals.fuel,
        },
        cost_const.clone(),
        Operator::I64LtU,
    ];
    let run_out = [
        Operator::I32Const { value: 1 },
        Operator::GlobalSet {
            global_index: globals.exhausted,
        },
        Operator::Unreachable,
    ];
    state.extend(&short);
    state.push_operator(Operator::If {
        blockty: BlockType::Empty,
    });
    if let Some(answer) = globals.answer.filter(|_| cost <= MAX_REFILL_COST) {
        let request = refill_request(cost);
        state.extend(&[
            Operator::I32Const {
                // The request's bits, as the i32 wasm passes.
                value: request as i32,
            },
            Operator::MemoryGrow { mem: 0 },
            Operator::GlobalSet {
                global_index: answer,
            },
            // select(0, answer, answer == -1)
            Operator::I32Const { value: 0 },
            Operator::GlobalGet {
                global_index: answer,
            },
            Operator::GlobalGet {
                global_index: answer,
            },
            Operator::I32Const { value: -1 },
            Operator::I32Eq,
            Operator::Select,
            Operator::I64ExtendI32U,
            Operator::GlobalGet {
                global_index: globals.fuel,
            },
            Operator::I64Add,
            Operator::GlobalSet {
                global_index: globals.fuel,
            },
        ]);
        state.extend(&short);
        state.push_operator(Operator::If {
            blockty: BlockType::Empty,
        });
        state.extend(&run_out);
        state.push_operator(Operator::End);
    } else {
        state.extend(&run_out);
    }
    state.push_operator(Operator::End);
    state.extend(&[
        Operator::GlobalGet {
            global_index: globals.fuel,
        },
        cost_const,
        Operator::I64Sub,
        Operator::GlobalSet {
            global_index: globals.fuel,
        },
    ]);
}

/// Whether `module` was compiled by this metering: it exports the counter
/// and the flag, with their types.
pub(crate) fn is_metered(info: &ModuleInfo) -> bool {
    let global = |name: &str, ty: Type| match info.exports.get(name) {
        Some(ExportIndex::Global(index)) => info
            .globals
            .get(*index)
            .is_some_and(|g| g.ty == ty && g.mutability == Mutability::Var),
        _ => false,
    };
    global(FUEL_GLOBAL, Type::I64) && global(FUEL_EXHAUSTED_GLOBAL, Type::I32)
}

/// Whether a metered module's counter refills from the fuel bank (it has
/// a memory 0 to ask through).
pub(crate) fn refills(info: &ModuleInfo) -> bool {
    info.memories.get(MemoryIndex::from_u32(0)).is_some()
}

/// The fuel counter of one instance of a metered module.
#[derive(Debug, Clone)]
pub(crate) struct FuelCounter {
    fuel: wasmer::Global,
    exhausted: wasmer::Global,
}

impl FuelCounter {
    /// The counter of `instance`, if its module is metered.
    pub(crate) fn of(instance: &Instance) -> Option<Self> {
        Some(Self {
            fuel: instance.exports.get_global(FUEL_GLOBAL).ok()?.clone(),
            exhausted: instance
                .exports
                .get_global(FUEL_EXHAUSTED_GLOBAL)
                .ok()?
                .clone(),
        })
    }

    /// The units in the counter.
    pub(crate) fn get(&self, store: &mut impl AsStoreMut) -> u64 {
        match self.fuel.get(store) {
            // The counter is a u64 kept in an i64.
            Value::I64(units) => units as u64,
            _ => 0,
        }
    }

    /// Sets the counter to `units` and clears the flag.
    pub(crate) fn set(&self, store: &mut impl AsStoreMut, units: u64) {
        // Both globals are mutable and of these types (`is_metered`).
        let _ = self.fuel.set(store, Value::I64(units as i64));
        let _ = self.exhausted.set(store, Value::I32(0));
    }

    /// Whether the instance ran out of fuel.
    pub(crate) fn exhausted(&self, store: &mut impl AsStoreMut) -> bool {
        !matches!(self.exhausted.get(store), Value::I32(0))
    }
}
