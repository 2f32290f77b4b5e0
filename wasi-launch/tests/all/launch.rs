//! End-to-end tests of the library: guest programs run through a
//! [`Launcher`] and an [`Environment`](wasi_launch::Environment), as an
//! embedder runs them.
//!
//! The guests are `.wat` files in `tests/guests/`, each with exactly one test
//! here (checked by `every_guest_has_exactly_one_test`). Guests that probe a
//! host function run several cases and report through their exit code: the
//! expected errno when every case behaved, otherwise `(case << 8) | errno` of
//! the first case that did not, which [`assert_exits`] decodes.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasi_config::{Config, ConfigBuilder, PreopenSpec, SANDBOX_FS};
use wasi_fs_setup::StdioSlot;
use wasi_launch::{DefaultRuntime, ExitStatus, LaunchError, Launcher};
use wasmer::Store;

/// EFAULT, the errno for a bad guest pointer.
const EFAULT: u32 = 21;

fn guests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests")
}

/// The text of the guest program `tests/guests/<name>.wat`.
fn guest(name: &str) -> Vec<u8> {
    let path = guests_dir().join(format!("{name}.wat"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A file of the workspace's `examples/` directory.
fn example(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A launcher with a fixed clock and seeded randomness, and no disk cache.
fn launcher() -> Launcher {
    Launcher::builder()
        .runtime(Arc::new(DefaultRuntime::deterministic(0, 42)))
        .build()
}

/// A validated configuration with program name `program` and `args`.
fn config(program: &[u8], args: &[&[u8]]) -> Config {
    let mut b = ConfigBuilder::new(program);
    b.args(args);
    b.validate().expect("valid configuration")
}

/// How a guest run ended and what it wrote.
#[derive(Debug)]
struct Run {
    status: Result<ExitStatus, LaunchError>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `module_bytes` (wasm or wat) on `launcher` with `config`, `stdin`
/// served from memory and stdout and stderr captured.
fn run_on(launcher: &Launcher, module_bytes: &[u8], config: Config, stdin: &[u8]) -> Run {
    let module = launcher
        .load_module(module_bytes)
        .expect("the module compiles");
    let (stdout, out) = StdioSlot::capture();
    let (stderr, err) = StdioSlot::capture();
    let env = launcher
        .environment_with(config, |w| {
            w.stdin(StdioSlot::from_bytes(stdin))
                .stdout(stdout)
                .stderr(stderr);
        })
        .expect("the environment builds");
    let status = env.run(&module);
    Run {
        status,
        stdout: out.contents(),
        stderr: err.contents(),
    }
}

fn run(module_bytes: &[u8], config: Config) -> Run {
    run_on(&launcher(), module_bytes, config, b"")
}

/// Checks that the guest `name` exited with `want`; otherwise names the
/// case it reported as `(case << 8) | errno`.
fn assert_exits(name: &str, run: &Run, want: u32) {
    match &run.status {
        Ok(ExitStatus::Exited(code)) if *code == want => {}
        Ok(ExitStatus::Exited(code)) => panic!(
            "{name}: case {} returned {} (exit code {code:#x}), expected every case to pass and exit {want}",
            code >> 8,
            code & 0xff
        ),
        other => panic!("{name}: expected exit {want}, got {other:?}"),
    }
}

/// The configuration of the host-function guests: one argument, one env
/// variable and a preopen of the in-memory sandbox at `/sandbox` (fd 3).
fn host_call_config() -> Config {
    let mut b = ConfigBuilder::new("host-call-guest");
    b.arg("one").env("KEY", "value");
    b.preopen(PreopenSpec::virtual_dir(SANDBOX_FS, "/sandbox").read(true));
    b.validate().expect("valid configuration")
}

/// Runs a host-function guest with [`host_call_config`] and `abcdef` on
/// stdin, and checks its exit code.
fn host_call_guest(name: &str, want: u32) -> Run {
    let run = run_on(&launcher(), &guest(name), host_call_config(), b"abcdef");
    assert_exits(name, &run, want);
    run
}

/// One test per guest: `name => errno` runs `tests/guests/<name>.wat` with
/// [`host_call_guest`] and expects it to exit with `errno`.
macro_rules! host_call_guests {
    ($($name:ident => $errno:expr,)*) => {
        $(
            #[test]
            fn $name() {
                host_call_guest(stringify!($name), $errno);
            }
        )*
    };
}

// EFAULT for a bad pointer, in every host function of issue 4 that takes
// one. efault_fd_write has its own test below (it also checks stdout).
host_call_guests! {
    efault_args_sizes_get => EFAULT,
    efault_args_get => EFAULT,
    efault_environ_sizes_get => EFAULT,
    efault_environ_get => EFAULT,
    efault_clock_res_get => EFAULT,
    efault_clock_time_get => EFAULT,
    efault_random_get => EFAULT,
    efault_fd_read => EFAULT,
    efault_fd_fdstat_get => EFAULT,
    efault_fd_seek => EFAULT,
    efault_fd_tell => EFAULT,
    efault_fd_prestat_get => EFAULT,
    efault_fd_prestat_dir_name => EFAULT,
}

// The host functions that take no pointer: their errno behaviour.
host_call_guests! {
    // EBADF.
    errno_fd_close => 8,
    // EINVAL.
    errno_proc_raise => 28,
    errno_sched_yield => 0,
}

#[test]
fn efault_fd_write() {
    let run = host_call_guest("efault_fd_write", EFAULT);
    // Only the one good call wrote; no failed call wrote anything.
    assert_eq!(run.stdout, b"hello");
}

#[test]
fn proc_raise_of_a_terminating_signal_ends_the_guest() {
    let run = run(&guest("proc_raise_abrt"), config(b"raise", &[]));
    let status = run.status.expect("ends by the signal, not an error");
    assert_eq!(status, ExitStatus::Signaled(6));
    assert_eq!(status.code(), 134);
    assert!(!status.success());
}

#[test]
fn every_preview1_import_links() {
    let run = run(&guest("all_preview1_imports"), config(b"all", &[]));
    assert_eq!(run.status.unwrap(), ExitStatus::Exited(0));
}

/// Parses the lines of the `preopens` guest: guest path, base rights,
/// inheriting rights.
fn preopen_lines(stdout: &[u8]) -> Vec<(String, u64, u64)> {
    String::from_utf8(stdout.to_vec())
        .expect("ASCII output")
        .lines()
        .map(|line| {
            let mut parts = line.rsplitn(3, ' ');
            let inheriting = u64::from_str_radix(parts.next().unwrap(), 16).unwrap();
            let base = u64::from_str_radix(parts.next().unwrap(), 16).unwrap();
            (parts.next().unwrap().to_string(), base, inheriting)
        })
        .collect()
}

/// preview1 rights bits.
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_PATH_CREATE_FILE: u64 = 1 << 10;

#[test]
fn preopens_are_listed_in_order_with_rights_from_their_permissions() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut b = ConfigBuilder::new("list-preopens");
    b.preopen(
        PreopenSpec::host(dirs[0].path())
            .guest_path("/rw")
            .permissions(wasi_config::Permissions::ALL),
    );
    b.preopen(
        PreopenSpec::host(dirs[1].path())
            .guest_path("/ro")
            .permissions(wasi_config::Permissions::READ_ONLY),
    );
    b.map_dir("/mapped", dirs[2].path());
    b.preopen(PreopenSpec::virtual_dir(SANDBOX_FS, "/scratch").read(true));
    let run = run(&guest("preopens"), b.validate().unwrap());
    assert_eq!(run.status.unwrap(), ExitStatus::Exited(0));
    let lines = preopen_lines(&run.stdout);
    let paths: Vec<&str> = lines.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(paths, ["/rw", "/ro", "/mapped", "/scratch"]);
    let (_, rw_base, rw_inh) = lines[0];
    assert_ne!(rw_base & RIGHT_PATH_CREATE_FILE, 0, "{rw_base:#x}");
    assert_ne!(rw_inh & RIGHT_FD_WRITE, 0, "{rw_inh:#x}");
    let (_, ro_base, ro_inh) = lines[1];
    assert_eq!(ro_base & RIGHT_PATH_CREATE_FILE, 0, "{ro_base:#x}");
    assert_eq!(ro_inh & RIGHT_FD_WRITE, 0, "{ro_inh:#x}");
    assert_ne!(ro_inh & RIGHT_FD_READ, 0, "{ro_inh:#x}");
}

#[test]
fn hello_wat_writes_to_captured_stdout() {
    let run = run(&example("hello.wat"), config(b"hello", &[]));
    assert_eq!(run.status.unwrap(), ExitStatus::Exited(0));
    assert_eq!(run.stdout, b"Hello, world!\n");
    assert_eq!(run.stderr, b"");
}

#[test]
fn hello_c_built_with_wasi_libc() {
    let hello = example("hello.wasm");
    let run1 = run(&hello, config(b"hello", &[]));
    assert_eq!(run1.status.unwrap(), ExitStatus::Exited(0));
    assert_eq!(run1.stdout, b"Hello, world! argc=1\n");
    let run3 = run(&hello, config(b"hello", &[b"a", b"\xff"]));
    assert_eq!(run3.status.unwrap(), ExitStatus::Exited(0));
    assert_eq!(run3.stdout, b"Hello, world! argc=3\n");
    assert_eq!(run3.stderr, b"");
}

#[test]
fn args_and_env_reach_the_guest_byte_for_byte() {
    let args: [&[u8]; 6] = [
        b"plain",
        b"\xff\xfe not utf-8",
        b"caf\xc3\xa9",
        b"",
        b"--looks-like-a-flag",
        b"with space\ttab\nnewline",
    ];
    let mut b = ConfigBuilder::new(&b"prog\x80name"[..]);
    b.args(args);
    b.env("PLAIN", "value")
        .env(&b"KEY_\xc0"[..], &b"\xff"[..])
        .env("EQUALS", "a=b=c")
        .env("EMPTY", "");
    let config = b.validate().expect("valid configuration");
    let run = run(&guest("args_env"), config);
    assert_eq!(run.status.unwrap(), ExitStatus::Exited(0));

    let mut want_args = b"prog\x80name\0".to_vec();
    for arg in args {
        want_args.extend_from_slice(arg);
        want_args.push(0);
    }
    assert_eq!(run.stdout, want_args);
    assert_eq!(
        run.stderr,
        b"PLAIN=value\0KEY_\xc0=\xff\0EQUALS=a=b=c\0EMPTY=\0".to_vec()
    );
}

#[test]
fn exit_codes_through_proc_exit() {
    let launcher = launcher();
    for (arg, want) in [
        ("0", 0),
        ("3", 3),
        ("255", 255),
        // Beyond a byte: the library reports the whole preview1 code.
        ("256", 256),
        ("4294967295", u32::MAX),
    ] {
        let run = run_on(
            &launcher,
            &guest("exit_code"),
            config(b"exit", &[arg.as_bytes()]),
            b"",
        );
        assert_eq!(run.status.unwrap(), ExitStatus::Exited(want), "{arg}");
    }
    // One compile for every run.
    assert_eq!(launcher.module_cache().stats().compiles, 1);
}

#[test]
fn trap_is_an_error_with_a_backtrace_and_output_is_flushed() {
    let run = run(&guest("trap"), config(b"trapping", &[]));
    let Err(LaunchError::Trap {
        message, backtrace, ..
    }) = &run.status
    else {
        panic!("expected a trap, got {:?}", run.status);
    };
    assert!(message.contains("unreachable"), "{message}");
    assert!(!message.contains('\n'), "one line: {message:?}");
    assert!(backtrace.len() >= 3, "{backtrace:#?}");
    assert!(backtrace[0].contains("inner"), "{backtrace:#?}");
    assert!(backtrace[1].contains("outer"), "{backtrace:#?}");
    assert!(backtrace[2].contains("start"), "{backtrace:#?}");
    // What the guest wrote before the trap reached the capture buffer.
    assert_eq!(run.stdout, b"before the trap\n");
    let shown = run.status.unwrap_err().to_string();
    assert!(shown.starts_with("the guest trapped: "), "{shown}");
}

#[test]
fn invalid_modules_are_module_errors() {
    let launcher = launcher();
    for bytes in [
        &b"\0asm\x01\0\0\0\xff"[..],
        b"(module (func (result i32) i64.const 1))",
    ] {
        let err = launcher.load_module(bytes).unwrap_err();
        assert!(matches!(err, LaunchError::Compile(_)), "{err:?}");
    }
    for bytes in [&b"(module (func"[..], b"", b"not a module at all\xff"] {
        let err = launcher.load_module(bytes).unwrap_err();
        assert!(matches!(err, LaunchError::ModuleText(_)), "{err:?}");
    }
}

#[test]
fn missing_module_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.wasm");
    let err = launcher().load_module_file(&path).unwrap_err();
    match &err {
        LaunchError::ReadModule { path: p, source } => {
            assert_eq!(p, &path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected ReadModule, got {other:?}"),
    }
    assert!(err.to_string().contains("missing.wasm"), "{err}");
}

#[test]
fn module_without_start_is_an_error() {
    let launcher = launcher();
    let run = run_on(&launcher, &guest("no_start"), config(b"x", &[]), b"");
    assert!(
        matches!(run.status, Err(LaunchError::MissingStart)),
        "{:?}",
        run.status
    );
    assert_eq!(launcher.control_plane().running(), 0);
}

#[test]
fn module_without_memory_is_not_wasi() {
    let run = run(&guest("no_memory"), config(b"x", &[]));
    assert!(
        matches!(run.status, Err(LaunchError::NotWasi { .. })),
        "{:?}",
        run.status
    );
}

#[test]
fn unresolvable_imports_are_link_errors() {
    for (name, needle) in [
        // An import from a module that is not WASI.
        ("link_env", "host_hook"),
        // A name preview1 does not have.
        ("link_unknown_preview1", "no_such_function"),
        // A preview1 name with the wrong type.
        ("link_mistyped", "fd_write"),
    ] {
        let run = run(&guest(name), config(b"x", &[]));
        let Err(err @ LaunchError::Link(_)) = &run.status else {
            panic!("{name}: expected a link error, got {:?}", run.status);
        };
        let shown = format!("{err}: {}", std::error::Error::source(err).unwrap());
        assert!(shown.contains(needle), "{name}: {shown}");
    }
}

/// The only `.wlmod` file under `dir`.
fn only_cache_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wlmod"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

fn cached_launcher(dir: &Path) -> Launcher {
    Launcher::builder().cache_dir(dir).build()
}

#[test]
fn module_cache_hits_do_not_compile() {
    let dir = tempfile::tempdir().unwrap();
    let hello = example("hello.wat");

    let first = cached_launcher(dir.path());
    first.load_module(&hello).unwrap();
    let s = first.module_cache().stats();
    assert_eq!((s.compiles, s.disk_hits, s.disk_writes), (1, 0, 1), "{s:?}");
    // Same launcher again: from memory.
    first.load_module(&hello).unwrap();
    let s = first.module_cache().stats();
    assert_eq!((s.compiles, s.memory_hits), (1, 1), "{s:?}");

    // A new launcher (as a new process would be) loads the file written by
    // the first one and compiles nothing.
    let second = cached_launcher(dir.path());
    let run = run_on(&second, &hello, config(b"hello", &[]), b"");
    assert_eq!(run.status.unwrap(), ExitStatus::Exited(0));
    assert_eq!(run.stdout, b"Hello, world!\n");
    let s = second.module_cache().stats();
    assert_eq!(
        (s.compiles, s.disk_hits, s.disk_rejects, s.disk_writes),
        (0, 1, 0, 0),
        "{s:?}"
    );
}

/// A way to spoil a cache file's bytes.
type Damage = fn(&mut Vec<u8>);

#[test]
fn corrupt_cache_file_is_recompiled_and_rewritten() {
    let hello = example("hello.wat");
    let damages: [(&str, Damage); 5] = [
        ("a flipped payload byte", |d| {
            let at = d.len() / 2;
            d[at] ^= 0x01;
        }),
        ("a flipped last byte", |d| {
            let at = d.len() - 1;
            d[at] ^= 0x80;
        }),
        ("a flipped magic byte", |d| d[0] ^= 0x20),
        ("a truncated file", |d| d.truncate(d.len() / 3)),
        ("an empty file", Vec::clear),
    ];
    for (what, damage) in damages {
        let dir = tempfile::tempdir().unwrap();
        cached_launcher(dir.path()).load_module(&hello).unwrap();
        let file = only_cache_file(dir.path());
        let mut bytes = std::fs::read(&file).unwrap();
        damage(&mut bytes);
        std::fs::write(&file, &bytes).unwrap();

        // The next launcher rejects the file, compiles, runs and rewrites.
        let next = cached_launcher(dir.path());
        let run = run_on(&next, &hello, config(b"hello", &[]), b"");
        assert_eq!(run.status.unwrap(), ExitStatus::Exited(0), "{what}");
        assert_eq!(run.stdout, b"Hello, world!\n", "{what}");
        let s = next.module_cache().stats();
        assert_eq!(
            (s.compiles, s.disk_hits, s.disk_rejects, s.disk_writes),
            (1, 0, 1, 1),
            "{what}: {s:?}"
        );
        assert_ne!(std::fs::read(&file).unwrap(), bytes, "{what}: rewritten");

        // The rewritten file is good: the one after loads it.
        let after = cached_launcher(dir.path());
        after.load_module(&hello).unwrap();
        let s = after.module_cache().stats();
        assert_eq!((s.compiles, s.disk_hits), (0, 1), "{what}: {s:?}");
    }
}

/// An environment for hello with stdout captured (and dropped).
fn hello_env(launcher: &Launcher) -> Result<wasi_launch::Environment, LaunchError> {
    launcher.environment_with(config(b"hello", &[]), |w| {
        w.stdout(StdioSlot::capture().0);
    })
}

#[test]
fn default_task_limit_is_the_same_whichever_way_the_engine_is_made() {
    use wasi_launch::{Compiler, ControlPlane};
    let expected = ControlPlane::default_max();
    for compiler in [Compiler::Cranelift, Compiler::Singlepass] {
        let launcher = Launcher::builder().compiler(compiler).build();
        assert_eq!(launcher.control_plane().max(), expected, "{compiler}");
    }
    let supplied = Launcher::builder()
        .engine(Compiler::Singlepass.engine())
        .build();
    assert_eq!(supplied.control_plane().max(), expected);
    let three = NonZeroUsize::new(3).unwrap();
    let explicit = Launcher::builder().max_tasks(three).build();
    assert_eq!(explicit.control_plane().max(), three);
}

#[test]
fn capability_task_limit_scopes_the_environment_within_the_launcher() {
    use wasi_config::Capabilities;
    let launcher = Launcher::builder()
        .max_tasks(NonZeroUsize::new(2).unwrap())
        .build();
    let module = launcher.load_module(&example("hello.wat")).unwrap();
    let engine = launcher.engine().clone();
    let plane = launcher.control_plane();
    let limited = || {
        let mut b = ConfigBuilder::new("hello");
        b.capabilities(Capabilities::default().with_max_tasks(NonZeroUsize::MIN));
        let config = b.validate().expect("valid configuration");
        launcher
            .environment_with(config, |w| {
                w.stdout(StdioSlot::capture().0);
            })
            .unwrap()
    };

    // An environment limited to one task runs its one task, counted by
    // the launcher while it runs and released after.
    let mut store = Store::new(engine.clone());
    let instance = limited().instantiate(&module, &mut store).unwrap();
    assert_eq!(plane.running(), 1);
    assert_eq!(instance.start(&mut store).unwrap(), ExitStatus::Exited(0));
    assert_eq!(plane.running(), 0);

    // With the launcher full, it is refused with the launcher's maximum.
    let mut stores = [Store::new(engine.clone()), Store::new(engine.clone())];
    let held: Vec<_> = stores
        .iter_mut()
        .map(|store| {
            hello_env(&launcher)
                .unwrap()
                .instantiate(&module, store)
                .unwrap()
        })
        .collect();
    match limited().run(&module) {
        Err(LaunchError::TaskLimit { max }) => assert_eq!(max.get(), 2),
        other => panic!("expected TaskLimit, got {other:?}"),
    }
    assert_eq!(plane.running(), 2, "the refusal holds no slot");
    for (instance, store) in held.iter().zip(&mut stores) {
        instance.finish(store).unwrap();
    }
    assert_eq!(limited().run(&module).unwrap(), ExitStatus::Exited(0));
    assert_eq!(plane.running(), 0);
}

#[test]
fn task_limit_is_reached_and_released() {
    let launcher = Launcher::builder().max_tasks(NonZeroUsize::MIN).build();
    let module = launcher.load_module(&example("hello.wat")).unwrap();
    let engine = launcher.engine().clone();
    let plane = launcher.control_plane();
    assert_eq!(plane.max().get(), 1);

    // One instance holds the only slot.
    let mut held_store = Store::new(engine.clone());
    let held = hello_env(&launcher)
        .unwrap()
        .instantiate(&module, &mut held_store)
        .unwrap();
    assert_eq!(plane.running(), 1);

    // The next one is refused, by instantiate and by run, naming the max.
    let mut store = Store::new(engine.clone());
    match hello_env(&launcher)
        .unwrap()
        .instantiate(&module, &mut store)
    {
        Err(e @ LaunchError::TaskLimit { max }) => {
            assert_eq!(max.get(), 1);
            assert!(e.to_string().contains("at most 1 "), "{e}");
        }
        other => panic!("expected TaskLimit, got {other:?}"),
    }
    match hello_env(&launcher).unwrap().run(&module) {
        Err(LaunchError::TaskLimit { max }) => assert_eq!(max.get(), 1),
        other => panic!("expected TaskLimit, got {other:?}"),
    }
    assert_eq!(plane.running(), 1, "refusals hold no slot");

    // Finishing the held instance releases the slot.
    held.finish(&mut held_store).unwrap();
    assert_eq!(plane.running(), 0);
    let status = hello_env(&launcher).unwrap().run(&module).unwrap();
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(plane.running(), 0, "run releases its slot");

    // Dropping the store of an unfinished instance releases it too.
    let mut store = Store::new(engine.clone());
    let instance = hello_env(&launcher)
        .unwrap()
        .instantiate(&module, &mut store)
        .unwrap();
    assert_eq!(plane.running(), 1);
    drop(instance);
    drop(store);
    assert_eq!(plane.running(), 0);

    // Several runs one after another in one caller store.
    let mut store = Store::new(engine);
    for _ in 0..3 {
        let status = hello_env(&launcher)
            .unwrap()
            .run_with_store(&module, &mut store)
            .unwrap();
        assert_eq!(status, ExitStatus::Exited(0));
        assert_eq!(plane.running(), 0);
    }
    assert_eq!(plane.peak(), 1);
}

/// Regression (issue 4): an instantiation that failed (link error, no
/// memory) kept its task permit inside the caller's store until the store
/// was dropped, so a long-lived store leaked a slot per failure.
#[test]
fn failed_instantiation_releases_its_task_permit() {
    let launcher = Launcher::builder().max_tasks(NonZeroUsize::MIN).build();
    let plane = launcher.control_plane();
    let mut store = Store::new(launcher.engine().clone());
    for bad in [
        &br#"(module (import "env" "f" (func)) (memory (export "memory") 1) (func (export "_start")))"#[..],
        br#"(module (import "wasi_snapshot_preview1" "sched_yield" (func (result i32))) (func (export "_start")))"#,
        br#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (func $boom (call $exit (i32.const 9)))
              (start $boom)
              (func (export "_start")))"#,
    ] {
        let module = launcher.load_module(bad).unwrap();
        let err = hello_env(&launcher)
            .unwrap()
            .instantiate(&module, &mut store)
            .unwrap_err();
        // Issue 11: a start function's `proc_exit` is the guest's exit, not
        // a link error.
        assert!(
            matches!(
                err,
                LaunchError::Link(_)
                    | LaunchError::NotWasi { .. }
                    | LaunchError::ExitedDuringInstantiation {
                        status: ExitStatus::Exited(9)
                    }
            ),
            "{err:?}"
        );
        assert_eq!(plane.running(), 0, "permit leaked after {err}");
    }
    // The slot is free for a good module in the same store.
    let module = launcher.load_module(&example("hello.wat")).unwrap();
    let status = hello_env(&launcher)
        .unwrap()
        .run_with_store(&module, &mut store)
        .unwrap();
    assert_eq!(status, ExitStatus::Exited(0));
}

#[test]
fn default_world_runs_with_inherited_stdio() {
    // `environment` without customisation: host stdio, default sandbox.
    let launcher = launcher();
    let module = launcher
        .load_module(br#"(module (memory (export "memory") 1) (func (export "_start")))"#)
        .unwrap();
    let env = launcher.environment(config(b"quiet", &[])).unwrap();
    assert_eq!(env.config().program_name(), b"quiet");
    assert_eq!(env.run(&module).unwrap(), ExitStatus::Exited(0));
}

/// Every guest in `tests/guests/` has exactly one test in this file: its
/// name appears exactly once, as a `"name"` literal or as a
/// `name => errno` line of `host_call_guests!`. The exception is a guest
/// only the command line can drive (its host's own stdin, say): it is
/// absent here and used in `cli.rs` or `cli_hardening.rs`.
#[test]
fn every_guest_has_exactly_one_test() {
    let source = include_str!("launch.rs");
    let cli = [include_str!("cli.rs"), include_str!("cli_hardening.rs")].concat();
    let mut names: Vec<String> = std::fs::read_dir(guests_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    for name in &names {
        let quoted = source.matches(&format!("\"{name}\"")).count();
        let listed = source
            .lines()
            .filter(|l| l.trim_start().starts_with(&format!("{name} =>")))
            .count();
        if quoted + listed == 0 && cli.contains(&format!("guest(\"{name}\")")) {
            continue;
        }
        assert_eq!(
            quoted + listed,
            1,
            "guest {name} must have exactly one test"
        );
    }
}

/// Regression (issue 11): `proc_exit` in a start function is the guest's
/// exit status through `run`, as when `_start` calls it.
#[test]
fn proc_exit_in_a_start_function_ends_the_run_with_its_code() {
    let launcher = launcher();
    let run = run_on(&launcher, &guest("start_proc_exit"), config(b"x", &[]), b"");
    assert_eq!(run.status.unwrap(), ExitStatus::Exited(7));
    assert_eq!(launcher.control_plane().running(), 0);
}

/// Regression (issue 11): a table grows only up to the launcher's bound;
/// past it `table.grow` returns -1 and the guest goes on.
#[test]
fn table_grow_is_bounded_by_the_launcher() {
    let name = "table_grow_unbounded";
    let run = run(&guest(name), config(b"x", &[]));
    assert_exits(name, &run, 0);
    // A smaller bound refuses even the modest grow (check 3 fails).
    let small = Launcher::builder().max_table_elements(999).build();
    let run = run_on(&small, &guest(name), config(b"x", &[]), b"");
    assert_eq!(run.status.unwrap(), ExitStatus::Exited(3));
}

/// Issue 12: clocks and entropy are a per-environment choice; one guest
/// gets a deterministic clock without a new launcher (or module cache),
/// and the launcher's other environments keep its own.
#[test]
fn one_environment_gets_its_own_clock_without_a_new_launcher() {
    let launcher = Launcher::new();
    let module = launcher.load_module(&guest("clock_to_stdout")).unwrap();
    let run_with = |runtime: Option<Arc<DefaultRuntime>>| {
        let (stdout, out) = StdioSlot::capture();
        let mut env = launcher
            .environment_with(config(b"clock", &[]), |w| {
                w.stdout(stdout);
            })
            .unwrap();
        if let Some(rt) = runtime {
            env = env.with_runtime(rt);
        }
        assert_eq!(env.run(&module).unwrap(), ExitStatus::Exited(0));
        u64::from_le_bytes(out.contents().try_into().expect("8 bytes"))
    };
    let fixed = run_with(Some(Arc::new(DefaultRuntime::deterministic(42_000, 7))));
    assert_eq!(fixed, 42_000);
    let system = run_with(None);
    assert!(system > 1_577_836_800_000_000_000, "{system}");
    assert_eq!(launcher.module_cache().stats().compiles, 1);
}
