//! `poll_oneoff`: clock timeouts and fd readiness.
//!
//! Subscriptions are read as raw 48-byte records and decoded by hand (never
//! through wasix-types' `Subscription`, whose enum fields make an unknown tag
//! or clock id undefined behaviour). Readiness:
//! - a regular file is always ready, for reading (with the bytes left after
//!   the position) and for writing;
//! - stdout and stderr are always ready for writing; stdin fed from bytes,
//!   a virtual file or nothing is always ready for reading; stdin inherited
//!   from the host is asked with the host's `poll(2)`;
//! - a closed fd, a directory, or an fd with neither `poll_fd_readwrite`
//!   nor the right to read (write) it, is reported at once as an event
//!   carrying the error (the spec's `error`
//!   field; the other subscriptions are still answered).
//!
//! An unknown event type or clock id, or no subscription at all, fails the
//! whole call with EINVAL.
//!
//! Clock subscriptions are relative, or absolute with
//! `subclockflags::subscription_clock_abstime`, on any clock the runtime
//! provides; the deadline is computed with the runtime's clock, and the
//! runtime waits until the earliest one (a fixed clock moves instead).
//! Events that are ready without waiting are reported at once, without
//! sleeping.

use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use wasi_fs_setup::{FdObject, Rights, StdioFd};
use wasmer::FunctionEnvMut;

use super::abi::{
    EVENT_SIZE, EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE, Event, RawSubscription,
    SUBSCRIPTION_CLOCK_ABSTIME, SUBSCRIPTION_SIZE,
};
use super::{GuestPtr, host_call};
use crate::errno::{Errno, SysResult};
use crate::interrupt::InterruptHandle;
use crate::runtime::clockid_from_raw;
use crate::state::{ThreadEnv, WasiEnv};

/// Most subscriptions one call may pass.
///
/// Reason: the decoded subscriptions are kept in a host `Vec`, so their
/// number must not be the guest's alone to choose. 65,536 is far above what
/// `poll(2)` callers use (Linux's default `RLIMIT_NOFILE` is 1,024); a larger
/// count is EINVAL.
pub const MAX_SUBSCRIPTIONS: u32 = 1 << 16;

/// One decoded subscription.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Fires after `remaining` nanoseconds from the start of the call.
    Clock { remaining: u64 },
    /// Readiness of `fd` for reading or writing.
    Fd { fd: u32 },
}

#[derive(Debug, Clone, Copy)]
struct Subscription {
    userdata: u64,
    eventtype: u8,
    kind: Kind,
}

/// Decodes one raw subscription. An unknown event type or clock id fails
/// the whole call with EINVAL; an absolute deadline on a clock that cannot
/// be read becomes an immediate event carrying the error.
fn decode(
    state: &WasiEnv,
    raw: &[u8; SUBSCRIPTION_SIZE as usize],
) -> SysResult<Result<Subscription, Event>> {
    let RawSubscription {
        userdata,
        eventtype,
        clock_or_fd,
        timeout,
        clock_flags: flags,
    } = RawSubscription::decode(raw);
    let kind = match eventtype {
        EVENTTYPE_CLOCK => {
            // An unknown clock fails the whole call, as an undecodable
            // subscription does in wasmtime.
            let id = clockid_from_raw(clock_or_fd)?;
            let remaining = if flags & SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                state
                    .runtime
                    .time(id)
                    .map(|now| timeout.saturating_sub(now))
            } else {
                Ok(timeout)
            };
            match remaining {
                Ok(remaining) => Kind::Clock { remaining },
                Err(error) => {
                    return Ok(Err(Event {
                        userdata,
                        error,
                        eventtype,
                        nbytes: 0,
                    }));
                }
            }
        }
        EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE => Kind::Fd { fd: clock_or_fd },
        _ => return Err(Errno::INVAL),
    };
    Ok(Ok(Subscription {
        userdata,
        eventtype,
        kind,
    }))
}

/// What an fd subscription found without waiting.
enum Readiness {
    /// Ready now (or failed): report this event.
    Now(Event),
    /// The host's stdin: ask the host.
    HostStdin,
}

fn fd_readiness(state: &mut WasiEnv, sub: &Subscription, fd: u32) -> Readiness {
    let event = |error: Errno, nbytes: u64| {
        Readiness::Now(Event {
            userdata: sub.userdata,
            error,
            eventtype: sub.eventtype,
            nbytes,
        })
    };
    let Ok(entry) = state.world.fds_mut().get_mut(fd) else {
        return event(Errno::BADF, 0);
    };
    let reading = sub.eventtype == EVENTTYPE_FD_READ;
    // Polling needs `poll_fd_readwrite`, or the right to do the I/O polled
    // for (an fd opened with just `fd_read` may wait to read).
    let direction = if reading {
        Rights::FD_READ
    } else {
        Rights::FD_WRITE
    };
    if !entry
        .rights
        .base
        .intersects(Rights::POLL_FD_READWRITE | direction)
    {
        return event(Errno::NOTCAPABLE, 0);
    }
    match entry.object_mut() {
        FdObject::Dir(_) => event(Errno::BADF, 0),
        FdObject::File(f) if reading => {
            // The bytes a read would return now; 0 if the host cannot say.
            let size = f.stat().map(|st| st.size).unwrap_or(0);
            let pos = f.seek(std::io::SeekFrom::Current(0)).unwrap_or(size);
            event(Errno::SUCCESS, size.saturating_sub(pos))
        }
        FdObject::File(_) => event(Errno::SUCCESS, 0),
        FdObject::Stdio(s) => match (s.which(), reading) {
            (StdioFd::Stdin, true) if s.is_inherited() => Readiness::HostStdin,
            (StdioFd::Stdin, true) | (StdioFd::Stdout | StdioFd::Stderr, false) => {
                event(Errno::SUCCESS, 0)
            }
            // Reading stdout or writing stdin: that stream is not open for it.
            _ => event(Errno::BADF, 0),
        },
    }
}

/// The error a blocking host call returns when the environment's interrupt
/// handle fired while it waited: it ends the guest (wasmer unwinds it as a
/// trap) and the run reports why the handle fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoppedInHostCall;

impl std::fmt::Display for StoppedInHostCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the guest was stopped while waiting in a host call")
    }
}

impl std::error::Error for StoppedInHostCall {}

/// Ends the guest if its interrupt handle fired (after a blocking call).
pub(super) fn stop_if_interrupted(
    env: &FunctionEnvMut<'_, ThreadEnv>,
) -> Result<(), StoppedInHostCall> {
    if env.data().shared.interrupt.is_stopped() {
        Err(StoppedInHostCall)
    } else {
        Ok(())
    }
}

/// Whether `fd` is the host's stdin (inherited), which a read may block on.
pub(super) fn is_host_stdin(state: &mut WasiEnv, fd: u32) -> bool {
    matches!(
        state.world.fds_mut().get_mut(fd).map(|entry| entry.object_mut()),
        Ok(FdObject::Stdio(s)) if s.which() == StdioFd::Stdin && s.is_inherited()
    )
}

/// Longest single wait when the interrupt handle has no wake fd (the
/// system could not make an eventfd): the handle is checked this often.
const WAIT_SLICE: Duration = Duration::from_millis(10);

/// Waits until the host's stdin is readable, `timeout` passes (forever
/// without one), or `interrupt` fires. Returns whether stdin became
/// readable; a host error counts as readable, so the guest's read reports
/// it. After an interrupt it returns `false` and the caller ends the guest.
pub(super) fn wait_host_stdin(timeout: Option<Duration>, interrupt: &InterruptHandle) -> bool {
    wait_host_fd(std::io::stdin().as_fd(), PollFlags::IN, timeout, interrupt)
}

/// Waits, forever or until `interrupt` fires, until the host's stdout or
/// stderr (`which`) is writable. Returns whether it is (a host error
/// counts as writable, so the write reports it).
pub(super) fn wait_host_writable(which: StdioFd, interrupt: &InterruptHandle) -> bool {
    match which {
        StdioFd::Stdout => wait_host_fd(std::io::stdout().as_fd(), PollFlags::OUT, None, interrupt),
        _ => wait_host_fd(std::io::stderr().as_fd(), PollFlags::OUT, None, interrupt),
    }
}

/// Waits until the host fd `fd` is ready for `flags`, `timeout` passes
/// (forever without one), or `interrupt` fires (polled beside the
/// handle's wake fd). Returns whether `fd` became ready; a host error
/// counts as ready, so the I/O that follows reports it.
fn wait_host_fd(
    fd: BorrowedFd<'_>,
    flags: PollFlags,
    timeout: Option<Duration>,
    interrupt: &InterruptHandle,
) -> bool {
    let deadline = timeout.map(|t| Instant::now().checked_add(t));
    let wake = interrupt.wake_fd();
    loop {
        if interrupt.is_stopped() {
            return false;
        }
        let left = match deadline {
            None => None,
            Some(Some(at)) => Some(at.saturating_duration_since(Instant::now())),
            // A deadline past what Instant can hold: wait without one.
            Some(None) => None,
        };
        // Without a wake fd, wait in slices and check the handle between.
        let (left, sliced) = match (wake, left) {
            (None, None) => (Some(WAIT_SLICE), true),
            (None, Some(d)) if d > WAIT_SLICE => (Some(WAIT_SLICE), true),
            (_, left) => (left, false),
        };
        let spec = left.map(|d| Timespec {
            tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(d.subsec_nanos()),
        });
        let mut fds = vec![PollFd::new(&fd, flags)];
        if let Some(wake) = &wake {
            fds.push(PollFd::new(wake, PollFlags::IN));
        }
        match poll(&mut fds, spec.as_ref()) {
            Ok(0) if sliced => continue,
            Ok(0) => return false,
            Ok(_) if !fds[0].revents().is_empty() => return true,
            // Only the wake fd: the handle fired (checked at the loop's top).
            Ok(_) => continue,
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return true,
        }
    }
}

/// What the first, locked phase of `poll_oneoff` found: events ready now,
/// clock subscriptions still running, and subscriptions on the host's stdin.
struct Pending {
    ready: Vec<Event>,
    clocks: Vec<(Subscription, u64)>,
    host_stdin: Vec<Subscription>,
}

/// `poll_oneoff` in three phases, so that waiting holds no lock (other
/// threads of the environment go on with their calls): decode the
/// subscriptions and find what is ready, under the lock; wait, without it,
/// until something is or the interrupt handle fires; write the events,
/// under the lock again.
pub(super) fn poll_oneoff(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    subscriptions: GuestPtr,
    events: GuestPtr,
    nsubscriptions: u32,
    nevents: GuestPtr,
) -> Result<i32, StoppedInHostCall> {
    let mut pending = None;
    let checked = host_call(&mut env, "poll_oneoff", |state, mem| {
        if nsubscriptions == 0 || nsubscriptions > MAX_SUBSCRIPTIONS {
            return Err(Errno::INVAL);
        }
        let n = u64::from(nsubscriptions);
        mem.check_range(subscriptions, n * u64::from(SUBSCRIPTION_SIZE))?;
        mem.check_range(events, n * u64::from(EVENT_SIZE))?;
        mem.check_range(nevents, 4)?;

        let mut found = Pending {
            ready: Vec::new(),
            clocks: Vec::new(),
            host_stdin: Vec::new(),
        };
        let mut raw = [0u8; SUBSCRIPTION_SIZE as usize];
        for i in 0..nsubscriptions {
            // In range: the whole array was checked above.
            mem.read(subscriptions + i * SUBSCRIPTION_SIZE, &mut raw)?;
            let sub = match decode(state, &raw)? {
                Ok(sub) => sub,
                Err(event) => {
                    found.ready.push(event);
                    continue;
                }
            };
            match sub.kind {
                Kind::Clock { remaining: 0 } => found.ready.push(Event {
                    userdata: sub.userdata,
                    error: Errno::SUCCESS,
                    eventtype: sub.eventtype,
                    nbytes: 0,
                }),
                Kind::Clock { remaining } => found.clocks.push((sub, remaining)),
                Kind::Fd { fd } => match fd_readiness(state, &sub, fd) {
                    Readiness::Now(event) => found.ready.push(event),
                    Readiness::HostStdin => found.host_stdin.push(sub),
                },
            }
        }
        pending = Some(found);
        Ok(())
    });
    let Some(Pending {
        mut ready,
        clocks,
        mut host_stdin,
    }) = pending
    else {
        // The subscriptions were refused: that errno is the result.
        return Ok(checked);
    };

    let shared = std::sync::Arc::clone(&env.data().shared);
    let event_for = |sub: &Subscription| Event {
        userdata: sub.userdata,
        error: Errno::SUCCESS,
        eventtype: sub.eventtype,
        nbytes: 0,
    };
    if !ready.is_empty()
        && !host_stdin.is_empty()
        && wait_host_stdin(Some(Duration::ZERO), &shared.interrupt)
    {
        ready.extend(host_stdin.drain(..).map(|sub| event_for(&sub)));
    }
    if ready.is_empty() {
        let earliest = clocks.iter().map(|(_, r)| *r).min();
        let timeout = earliest.map(Duration::from_nanos);
        let stdin_ready = if host_stdin.is_empty() {
            if let Some(t) = timeout {
                shared.runtime.sleep(t, &shared.interrupt);
            }
            false
        } else {
            wait_host_stdin(timeout, &shared.interrupt)
        };
        stop_if_interrupted(&env)?;
        if stdin_ready {
            ready.extend(host_stdin.iter().map(event_for));
        } else if let Some(earliest) = earliest {
            ready.extend(
                clocks
                    .iter()
                    .filter(|(_, r)| *r <= earliest)
                    .map(|(sub, _)| event_for(sub)),
            );
        }
    }

    let written = host_call(&mut env, "poll_oneoff", |_state, mem| {
        let mut out = Vec::with_capacity(ready.len() * EVENT_SIZE as usize);
        for event in &ready {
            out.extend_from_slice(&event.encode());
        }
        mem.write(events, &out)?;
        // At most one event per subscription, so the count fits in u32.
        let count = u32::try_from(ready.len()).unwrap_or(nsubscriptions);
        Ok(mem.write_u32(nevents, count)?)
    });
    Ok(written)
}
