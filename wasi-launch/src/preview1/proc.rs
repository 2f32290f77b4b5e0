//! `proc_exit` and `proc_raise`: the two ways a guest ends itself.

use std::fmt;

use wasmer::FunctionEnvMut;

use super::abi::{IGNORED_SIGNALS, LAST_SIGNAL, STOP_SIGNALS};
use super::host_call_no_memory;
use crate::errno::Errno;
use crate::state::ThreadEnv;

/// How a guest ended itself; carried out of the guest as the error of a
/// host function, which unwinds the wasm stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// `proc_exit(code)`.
    Exit(u32),
    /// `proc_raise(signal)` with a signal whose default action ends the
    /// process.
    Signal(u8),
}

impl fmt::Display for Termination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Termination::Exit(code) => write!(f, "the guest exited with code {code}"),
            Termination::Signal(sig) => write!(f, "the guest raised signal {sig}"),
        }
    }
}

impl std::error::Error for Termination {}

pub(super) fn proc_exit(env: FunctionEnvMut<'_, ThreadEnv>, code: u32) -> Result<(), Termination> {
    let _ = env;
    tracing::trace!(target: "wasi", code, "proc_exit");
    Err(Termination::Exit(code))
}

pub(super) fn proc_raise(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    signal: u32,
) -> Result<i32, Termination> {
    let sig = match u8::try_from(signal) {
        Ok(s) if s <= LAST_SIGNAL => s,
        _ => {
            return Ok(host_call_no_memory(&mut env, "proc_raise", |_| {
                Err(Errno::INVAL)
            }));
        }
    };
    if sig == 0 || IGNORED_SIGNALS.contains(&sig) {
        return Ok(host_call_no_memory(&mut env, "proc_raise", |_| Ok(())));
    }
    if STOP_SIGNALS.contains(&sig) {
        return Ok(host_call_no_memory(&mut env, "proc_raise", |_| {
            Err(Errno::NOTSUP)
        }));
    }
    tracing::trace!(target: "wasi", signal = sig, "proc_raise");
    Err(Termination::Signal(sig))
}
