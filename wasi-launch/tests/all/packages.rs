//! Packages (issue 6): loading webc containers into the launcher's package
//! cache, indexing, `uses`, read-only volumes, commands by name, mapped
//! commands, the `wasi-run` CLI with a `.webc`, and hostile bytes.
//!
//! Every fixture is built here with the `webc` crate's writer.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::Digest;
use wasi_config::ConfigBuilder;
use wasi_fs_setup::StdioSlot;
use wasi_launch::{Compiler, ExitStatus, LaunchError, Launcher};
use webc::PathSegment;
use webc::metadata::annotations::{
    Atom as AtomAnnotation, FileSystemMapping, FileSystemMappings, WASI_RUNNER_URI, Wapm, Wasi,
};
use webc::metadata::{Atom, AtomSignature, Command, Manifest};

/// Reads `/a.txt` from fd 3 (the package volume), prints it, then tries to
/// create `/new.txt` for writing and exits with that call's errno. A
/// failed read exits with 100 + errno.
const CAT_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "a.txt")
  (data (i32.const 110) "new.txt")
  (func (export "_start") (local $e i32)
    (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 5)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200)))
    (if (local.get $e) (then (call $proc_exit (i32.add (i32.const 100) (local.get $e)))))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 1024))
    (local.set $e (call $fd_read (i32.load (i32.const 200)) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (local.get $e) (then (call $proc_exit (i32.add (i32.const 100) (local.get $e)))))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
    (call $proc_exit (call $path_open (i32.const 3) (i32.const 0) (i32.const 110) (i32.const 7)
      (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 204)))))"#;

const HELLO_WAT: &str = include_str!("../../../examples/hello.wat");

fn wasm(wat: &str) -> Vec<u8> {
    wasmer::wat2wasm(wat.as_bytes())
        .expect("fixture wat")
        .into_owned()
}

/// The manifest of a package `name@version` with commands `cat`
/// (entrypoint) and `hello`, and the volume `data` mounted at `/` when
/// `with_fs` (otherwise by the default rule).
fn manifest(name: &str, version: &str, with_fs: bool) -> (Manifest, BTreeMap<String, Vec<u8>>) {
    let mut atoms = BTreeMap::new();
    atoms.insert("cat".to_string(), wasm(CAT_WAT));
    atoms.insert("hello".to_string(), wasm(HELLO_WAT));
    let mut m = Manifest::default();
    for (atom, code) in &atoms {
        m.atoms.insert(
            atom.clone(),
            Atom {
                kind: "https://webc.org/kind/wasm".parse().expect("url"),
                signature: AtomSignature::Sha256(sha2::Sha256::digest(code).into()).to_string(),
                annotations: Default::default(),
            },
        );
        let mut cmd = Command {
            runner: WASI_RUNNER_URI.to_string(),
            annotations: Default::default(),
        };
        cmd.annotations.insert(
            AtomAnnotation::KEY.into(),
            ciborium::Value::serialized(&AtomAnnotation::new(atom.clone(), None)).expect("cbor"),
        );
        cmd.annotations.insert(
            Wasi::KEY.into(),
            ciborium::Value::serialized(&Wasi::new(atom.clone())).expect("cbor"),
        );
        m.commands.insert(atom.clone(), cmd);
    }
    m.entrypoint = Some("cat".into());
    m.package.insert(
        Wapm::KEY.into(),
        ciborium::Value::serialized(&Wapm::new(Some(name.into()), Some(version.into()), None))
            .expect("cbor"),
    );
    if with_fs {
        let fs = FileSystemMappings(vec![FileSystemMapping {
            from: None,
            volume_name: "data".into(),
            host_path: None,
            mount_path: "/".into(),
        }]);
        m.package.insert(
            FileSystemMappings::KEY.into(),
            ciborium::Value::serialized(&fs).expect("cbor"),
        );
    }
    (m, atoms)
}

fn seg(s: &str) -> PathSegment {
    PathSegment::parse(s).expect("segment")
}

/// A v3 package whose volume `data` holds `a.txt` (= `a_txt`), `sub/b.txt`
/// and `sub/c.txt`.
fn package_v3(name: &str, version: &str, a_txt: &[u8]) -> Vec<u8> {
    use webc::v3::write::{DirEntry, Directory, FileEntry, Writer};
    use webc::v3::{ChecksumAlgorithm, SignatureAlgorithm, Timestamps};
    let (m, atoms) = manifest(name, version, true);
    let file = |b: &[u8]| DirEntry::File(FileEntry::owned(b.to_vec(), Timestamps::default()));
    let mut sub = BTreeMap::new();
    sub.insert(seg("b.txt"), file(b"BB"));
    sub.insert(seg("c.txt"), file(b"C"));
    let mut root = BTreeMap::new();
    root.insert(seg("a.txt"), file(a_txt));
    root.insert(
        seg("sub"),
        DirEntry::Dir(Directory::new(sub, Timestamps::default())),
    );
    let atoms = atoms
        .into_iter()
        .map(|(n, code)| (seg(&n), FileEntry::owned(code, Timestamps::default())))
        .collect();
    Writer::new(ChecksumAlgorithm::Sha256)
        .write_manifest(&m)
        .expect("manifest")
        .write_atoms(atoms)
        .expect("atoms")
        .with_volume("data", Directory::new(root, Timestamps::default()))
        .expect("volume")
        .finish(SignatureAlgorithm::None)
        .expect("finish")
        .to_vec()
}

/// A v2 package of the same shape, with no `fs` annotation (its only
/// volume is mounted at `/` by default).
fn package_v2(name: &str, version: &str, a_txt: &[u8]) -> Vec<u8> {
    use webc::v2::write::{DirEntry, Directory, FileEntry, Writer};
    use webc::v2::{ChecksumAlgorithm, SignatureAlgorithm};
    let (m, atoms) = manifest(name, version, false);
    let mut root = BTreeMap::new();
    root.insert(
        seg("a.txt"),
        DirEntry::File(FileEntry::from(a_txt.to_vec())),
    );
    let atoms = atoms
        .into_iter()
        .map(|(n, code)| (seg(&n), FileEntry::from(code)))
        .collect();
    Writer::new(ChecksumAlgorithm::Sha256)
        .write_manifest(&m)
        .expect("manifest")
        .write_atoms(atoms)
        .expect("atoms")
        .with_volume("data", Directory { children: root })
        .expect("volume")
        .finish(SignatureAlgorithm::None)
        .expect("finish")
        .to_vec()
}

fn launcher() -> Launcher {
    Launcher::builder().compiler(Compiler::Singlepass).build()
}

/// Runs `module` for `config` with stdout captured.
fn run(
    launcher: &Launcher,
    config: wasi_config::Config,
    module: &wasmer::Module,
) -> (Result<ExitStatus, LaunchError>, Vec<u8>) {
    let (slot, out) = StdioSlot::capture();
    let status = launcher
        .environment_with(config, |b| {
            b.stdout(slot);
        })
        .and_then(|env| env.run(module));
    (status, out.contents())
}

#[test]
fn loads_and_indexes_every_key() {
    let l = launcher();
    let p = l
        .include_package_bytes(package_v3("acme/tool", "1.2.3", b"AAA"))
        .expect("load");
    assert_eq!(
        (p.name(), p.version().to_string().as_str()),
        ("acme/tool", "1.2.3")
    );
    assert_eq!(p.entrypoint(), Some("cat"));
    assert_eq!(p.commands().collect::<Vec<_>>(), ["cat", "hello"]);
    assert_eq!(
        l.packages().keys(),
        [
            "acme/tool",
            "acme/tool@1",
            "acme/tool@1.2",
            "acme/tool@1.2.3"
        ]
    );
    for key in [
        "acme/tool",
        "acme/tool@1",
        "acme/tool@1.2",
        "acme/tool@1.2.3",
    ] {
        let got = l.packages().get(key).unwrap_or_else(|| panic!("{key}"));
        assert!(Arc::ptr_eq(&got, &p), "{key}");
    }
    assert!(l.packages().get("acme/tool@2").is_none());
    assert!(l.packages().get("acme/tool@1.3").is_none());
    assert!(l.packages().get("acme/other").is_none());

    // A newer minor takes the shorter keys; the exact keys stay.
    let newer = l
        .include_package_bytes(package_v3("acme/tool", "1.3.0", b"NEW"))
        .expect("load");
    assert!(Arc::ptr_eq(
        &l.packages().get("acme/tool@1").expect("@1"),
        &newer
    ));
    assert!(Arc::ptr_eq(
        &l.packages().get("acme/tool").expect("name"),
        &newer
    ));
    assert!(Arc::ptr_eq(
        &l.packages().get("acme/tool@1.2").expect("@1.2"),
        &p
    ));
    assert!(Arc::ptr_eq(
        &l.packages().get("acme/tool@1.2.3").expect("exact"),
        &p
    ));
    assert_eq!(l.packages().len(), 2);
}

#[test]
fn reloading_the_same_package_is_idempotent() {
    let l = launcher();
    let bytes = package_v3("acme/tool", "1.0.0", b"AAA");
    let a = l.include_package_bytes(bytes.clone()).expect("first");
    let b = l.include_package_bytes(bytes.clone()).expect("second");
    assert!(Arc::ptr_eq(&a, &b));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tool.webc");
    std::fs::write(&path, &bytes).expect("write");
    let c = l.include_package_file(&path).expect("from file");
    assert!(Arc::ptr_eq(&a, &c));
    assert_eq!(l.packages().len(), 1);
}

#[test]
fn two_packages_claiming_one_version_conflict() {
    let l = launcher();
    l.include_package_bytes(package_v3("acme/tool", "1.0.0", b"AAA"))
        .expect("first");
    let err = l
        .include_package_bytes(package_v3("acme/tool", "1.0.0", b"different"))
        .expect_err("conflict");
    assert!(
        matches!(err, LaunchError::PackageConflict { ref name, ref version } if name == "acme/tool" && version.to_string() == "1.0.0"),
        "{err:?}"
    );
    assert!(err.to_string().contains("acme/tool@1.0.0"), "{err}");
    assert_eq!(l.packages().len(), 1);
}

#[test]
fn a_missing_dependency_names_it_and_lists_the_cache() {
    let l = launcher();
    l.include_package_bytes(package_v3("acme/tool", "1.2.3", b"AAA"))
        .expect("load");
    let mut b = ConfigBuilder::new("prog");
    b.use_package("acme/tool@^2");
    let err = l
        .environment(b.validate().expect("config"))
        .expect_err("missing");
    assert!(matches!(err, LaunchError::MissingPackage { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("acme/tool@^2"), "{text}");
    assert!(text.contains("acme/tool@1.2.3"), "{text}");

    let empty = launcher();
    let mut b = ConfigBuilder::new("prog");
    b.use_package("acme/nothing");
    let text = empty
        .environment(b.validate().expect("config"))
        .expect_err("missing")
        .to_string();
    assert!(
        text.contains("acme/nothing") && text.contains("empty"),
        "{text}"
    );
}

#[test]
fn a_used_volume_is_mounted_read_only() {
    let l = launcher();
    l.include_package_bytes(package_v3("acme/tool", "1.2.3", b"AAA"))
        .expect("load");
    let mut b = ConfigBuilder::new("cat");
    b.use_package("acme/tool@1");
    let config = b.validate().expect("config");
    let module = l.command_module(&config, "cat").expect("command");
    let (status, out) = run(&l, config, &module);
    let status = status.expect("run");
    assert_eq!(out, b"AAA");
    // The read worked (< 100); creating a file for writing was refused.
    let code = status.code();
    assert!(
        code != 0 && code < 100,
        "errno of the write attempt: {code}"
    );

    // The same, seen from the host: the preopen at `/` refuses creation.
    let mut b = ConfigBuilder::new("cat");
    b.use_package("acme/tool");
    let env = l.environment(b.validate().expect("config")).expect("env");
    let (fd, info) = env.world().fds().preopens().next().expect("a preopen");
    assert_eq!((fd, info.guest_path.as_slice()), (3, &b"/"[..]));
    let dir = env
        .world()
        .fds()
        .get(3)
        .expect("fd 3")
        .dir()
        .expect("a directory");
    let write = wasi_fs_setup::OpenFlags {
        write: true,
        create: true,
        ..Default::default()
    };
    assert!(dir.open_at(b"new.txt", write).is_err());
    assert!(dir.open_at(b"sub/b.txt", write).is_err());
    let read = wasi_fs_setup::OpenFlags {
        read: true,
        ..Default::default()
    };
    assert!(dir.open_at(b"sub/b.txt", read).is_ok());
}

#[test]
fn a_package_command_runs_by_name() {
    let l = launcher();
    l.include_package_bytes(package_v3("acme/tool", "1.2.3", b"AAA"))
        .expect("load");
    let mut b = ConfigBuilder::new("hello");
    b.use_package("acme/tool");
    let config = b.validate().expect("config");
    let module = l.command_module(&config, "hello").expect("command");
    let (status, out) = run(&l, config.clone(), &module);
    assert_eq!(status.expect("run"), ExitStatus::Exited(0));
    assert_eq!(out, b"Hello, world!\n");

    let again = l.command_module(&config, "hello").expect("command");
    assert_eq!(l.module_cache().stats().compiles, 1);
    drop(again);

    let err = l.command_module(&config, "nope").expect_err("unknown");
    let text = err.to_string();
    assert!(
        text.contains("nope") && text.contains("hello (acme/tool@1.2.3)"),
        "{text}"
    );
}

#[test]
fn a_mapped_command_runs_by_name() {
    let l = launcher();
    let hello = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/hello.wat");
    let mut b = ConfigBuilder::new("greet");
    b.map_command("greet", hello);
    let config = b.validate().expect("config");
    let module = l.command_module(&config, "greet").expect("command");
    let (status, out) = run(&l, config.clone(), &module);
    assert_eq!(status.expect("run"), ExitStatus::Exited(0));
    assert_eq!(out, b"Hello, world!\n");
    // A mapped command wins over a package command of the same name.
    l.include_package_bytes(package_v3("acme/tool", "1.2.3", b"AAA"))
        .expect("load");
    let mut b = ConfigBuilder::new("cat");
    b.use_package("acme/tool").map_command("cat", hello);
    let config = b.validate().expect("config");
    assert!(matches!(
        l.find_command(&config, "cat").expect("found"),
        wasi_launch::CommandSource::Mapped(_)
    ));
}

#[test]
fn a_v2_package_loads_and_mounts_its_only_volume_at_root() {
    let l = launcher();
    let p = l
        .include_package_bytes(package_v2("acme/old", "0.1.0", b"V2!"))
        .expect("load v2");
    assert_eq!(p.container().version(), webc::Version::V2);
    assert_eq!(p.mounts().len(), 1);
    assert_eq!(p.mounts()[0].guest_path.as_bytes(), b"/");
    let mut b = ConfigBuilder::new("cat");
    b.use_package("acme/old@0.1");
    let config = b.validate().expect("config");
    let module = l.command_module(&config, "cat").expect("command");
    let (status, out) = run(&l, config, &module);
    assert!(status.is_ok());
    assert_eq!(out, b"V2!");
}

/// Whether `e` says the package bytes are bad.
fn is_package_error(e: &LaunchError) -> bool {
    matches!(
        e,
        LaunchError::NotWebc(_)
            | LaunchError::UnsupportedWebcVersion { .. }
            | LaunchError::MalformedPackage(_)
            | LaunchError::PackageReaderPanicked { .. }
            | LaunchError::PackageManifest { .. }
            | LaunchError::VolumeTooLarge { .. }
    )
}

#[test]
fn truncated_and_garbage_bytes_are_typed_errors() {
    let l = launcher();
    let bytes = package_v3("acme/tool", "1.2.3", b"AAA");
    let step = (bytes.len() / 97).max(1);
    for len in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        let err = l
            .include_package_bytes(bytes[..len].to_vec())
            .expect_err("truncated must fail");
        assert!(is_package_error(&err), "len {len}: {err:?}");
    }
    // Flipped bytes: an error or (if the flip hit slack) a package, never a panic.
    for i in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[i] ^= 0xa5;
        let _ = launcher().include_package_bytes(b);
    }
    let err = l
        .include_package_bytes(b"garbage garbage".to_vec())
        .expect_err("garbage");
    assert!(matches!(&err, LaunchError::NotWebc(_)), "{err:?}");
    let mut header = b"\0webc003".to_vec();
    header.extend_from_slice(&[0xff; 64]);
    assert!(l.include_package_bytes(header).is_err());
    let err = l
        .include_package_file("/nonexistent/x.webc")
        .expect_err("missing file");
    assert!(err.to_string().contains("/nonexistent/x.webc"), "{err}");
    assert!(l.packages().is_empty());
}

#[test]
fn wasi_run_runs_a_webc_by_command_and_entrypoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tool.webc");
    std::fs::write(&path, package_v3("acme/tool", "1.2.3", b"AAA")).expect("write");
    let wasi_run = env!("CARGO_BIN_EXE_wasi-run");
    let out = std::process::Command::new(wasi_run)
        .args([
            "--no-cache",
            "--compiler",
            "singlepass",
            "--command",
            "hello",
        ])
        .arg(&path)
        .output()
        .expect("spawn");
    assert_eq!(
        out.stdout,
        b"Hello, world!\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));

    let out = std::process::Command::new(wasi_run)
        .args(["--no-cache", "--compiler", "singlepass"])
        .arg(&path)
        .output()
        .expect("spawn");
    assert_eq!(
        out.stdout,
        b"AAA",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = out.status.code().expect("code");
    assert!(code != 0 && code < 100, "{code}");

    // --include + --use + a mapped command.
    let hello = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/hello.wat");
    let out = std::process::Command::new(wasi_run)
        .args([
            "--no-cache",
            "--compiler",
            "singlepass",
            "--use",
            "acme/tool@1",
            "--include",
        ])
        .arg(&path)
        .arg("--map-command")
        .arg(format!("greet={hello}"))
        .arg("--explain")
        .arg(hello)
        .output()
        .expect("spawn");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("3: / <- package volume"),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = std::process::Command::new(wasi_run)
        .args(["--no-cache", "--use", "acme/missing"])
        .arg(hello)
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(2), "a configuration error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("acme/missing"));

    let out = std::process::Command::new(wasi_run)
        .args(["--no-cache", "--command", "nope"])
        .arg(&path)
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope") && err.contains("hello"), "{err}");
}
