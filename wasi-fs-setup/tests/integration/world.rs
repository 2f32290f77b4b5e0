//! Building worlds: fd layout, setup errors, hooks, stdio, the fd limit.

use std::num::NonZeroUsize;
use std::sync::Arc;

use wasi_config::{Capabilities, ConfigBuilder, PreopenSpec, SANDBOX_FS};
use wasi_fs_setup::{
    FdEntry, FdFlags, FdObject, FdRights, FileType, FsErrorKind, OpenFlags, Opened, Rights,
    SetupError, SharedFileSystem, StdioSlot, World,
};

#[test]
fn stdio_then_preopens_in_configuration_order() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut cb = ConfigBuilder::new("p");
    cb.map_dir("/b", b.path());
    cb.preopen(
        PreopenSpec::virtual_dir(SANDBOX_FS, "/scratch")
            .guest_path("/tmp")
            .read(true)
            .create(true),
    );
    cb.map_dir("/a/deep/x", a.path());
    cb.preopen(PreopenSpec::host(a.path()).guest_path("/").read(true));
    let world = World::new(&cb.validate().unwrap()).unwrap();
    let pre: Vec<(u32, Vec<u8>)> = world
        .fds()
        .preopens()
        .map(|(fd, p)| (fd, p.guest_path.clone()))
        .collect();
    assert_eq!(
        pre,
        vec![
            (3, b"/b".to_vec()),
            (4, b"/tmp".to_vec()),
            (5, b"/a/deep/x".to_vec()),
            (6, b"/".to_vec())
        ]
    );
    assert_eq!(world.fds().len(), 7);
    assert!(world.fds().get(7).is_err());
    // The mount table: root is a mount (the "/" preopen), /a and /a/deep are synthesized.
    let tree = world.mounts();
    let deep = tree.lookup(b"/a/deep").unwrap();
    assert_eq!(tree.stat(deep).unwrap().filetype, FileType::Directory);
    assert_eq!(tree.path(tree.lookup(b"/a/deep/x").unwrap()), b"/a/deep/x");
    // Rights follow permissions: /tmp may create, / may not.
    assert!(
        world
            .fds()
            .get(4)
            .unwrap()
            .rights
            .base
            .contains(Rights::PATH_CREATE_FILE)
    );
    assert!(
        !world
            .fds()
            .get(6)
            .unwrap()
            .rights
            .base
            .intersects(Rights::PATH_CREATE_FILE | Rights::PATH_UNLINK_FILE)
    );
    assert!(
        world
            .fds()
            .get(0)
            .unwrap()
            .rights
            .base
            .contains(Rights::FD_READ)
    );
    assert!(
        !world
            .fds()
            .get(1)
            .unwrap()
            .rights
            .base
            .contains(Rights::FD_SEEK)
    );
}

#[test]
fn missing_and_non_directory_host_preopens_are_typed_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let mut cb = ConfigBuilder::new("p");
    cb.map_dir("/data", &missing);
    match World::new(&cb.validate().unwrap()) {
        Err(SetupError::HostDirMissing {
            guest_path,
            host_path,
            source,
        }) => {
            assert_eq!(guest_path, "/data");
            assert_eq!(host_path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected HostDirMissing, got {other:?}"),
    }
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let mut cb = ConfigBuilder::new("p");
    cb.map_dir("/f", &file);
    let err = World::new(&cb.validate().unwrap()).unwrap_err();
    assert!(
        matches!(err, SetupError::HostNotADirectory { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("/f") && msg.contains(&file.display().to_string()),
        "{msg}"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn virtual_preopens_need_a_registered_filesystem_and_directory() {
    let mut cb = ConfigBuilder::new("p");
    cb.preopen(
        PreopenSpec::virtual_dir("pkg", "/lib")
            .guest_path("/lib")
            .read(true),
    );
    let cfg = cb.validate().unwrap();
    assert!(matches!(
        World::new(&cfg),
        Err(SetupError::UnknownFilesystem { .. })
    ));
    // A caller's filesystem must already hold the directory...
    let fs: SharedFileSystem = Arc::new(virtual_fs::TmpFileSystem::new());
    let err = World::builder(&cfg)
        .filesystem("pkg", Arc::clone(&fs))
        .build()
        .unwrap_err();
    assert!(
        matches!(err, SetupError::VirtualDir { ref source, .. } if source.kind() == FsErrorKind::NotFound),
        "{err:?}"
    );
    // ...and then it is served.
    fs.create_dir(std::path::Path::new("/lib")).unwrap();
    let world = World::builder(&cfg).filesystem("pkg", fs).build().unwrap();
    assert_eq!(
        world
            .fds()
            .get(3)
            .unwrap()
            .dir()
            .unwrap()
            .stat()
            .unwrap()
            .filetype,
        FileType::Directory
    );
}

#[test]
fn setup_hook_adds_files_even_to_read_only_preopens() {
    let host = tempfile::tempdir().unwrap();
    let mut cb = ConfigBuilder::new("p");
    cb.preopen(PreopenSpec::host(host.path()).guest_path("/in").read(true));
    cb.preopen(
        PreopenSpec::virtual_dir(SANDBOX_FS, "/s")
            .guest_path("/s")
            .read(true),
    );
    let cfg = cb.validate().unwrap();
    let world = World::builder(&cfg)
        .setup(|ctx| {
            ctx.create_dir_all("/in/x/y")?;
            ctx.write_file("/in/x/y/data.txt", "host data")?;
            ctx.create_dir_all("/s/etc")?;
            ctx.write_file("/s/etc/conf", b"k=v")?;
            ctx.symlink("etc/conf", "/s/conf")?;
            assert!(ctx.filesystem(SANDBOX_FS).is_some());
            Ok(())
        })
        .build()
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(host.path().join("x/y/data.txt")).unwrap(),
        "host data"
    );
    let s = world.fds().get(4).unwrap().dir().unwrap();
    let Opened::File(mut f) = s.open_at(b"conf", OpenFlags::READ).unwrap() else {
        panic!("file")
    };
    let mut buf = [0u8; 8];
    let n = f.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"k=v");
    // The guest's own handle is still read-only.
    assert_eq!(
        s.create_dir_at(b"z").unwrap_err().kind(),
        FsErrorKind::NotCapable
    );
}

#[test]
fn setup_hook_errors_are_typed() {
    let mut cb = ConfigBuilder::new("p");
    cb.preopen(
        PreopenSpec::virtual_dir(SANDBOX_FS, "/s")
            .guest_path("/s")
            .read(true),
    );
    let cfg = cb.validate().unwrap();
    let err = World::builder(&cfg)
        .setup(|ctx| ctx.write_file("/elsewhere/x", ""))
        .build()
        .unwrap_err();
    assert!(
        matches!(err, SetupError::NotMounted { ref guest_path } if guest_path == "/elsewhere/x")
    );
    let err = World::builder(&cfg)
        .setup(|ctx| ctx.write_file("/s/../../x", ""))
        .build()
        .unwrap_err();
    match err {
        SetupError::Hook { source, .. } => assert_eq!(source.kind(), FsErrorKind::Escape),
        other => panic!("{other:?}"),
    }
    let err = World::builder(&cfg)
        .setup(|_| {
            Err(SetupError::HookFailed {
                message: "no".into(),
                source: None,
            })
        })
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "setup hook failed: no");
}

/// Issue 12: guest paths in errors are shown byte for byte (invalid UTF-8
/// escaped), never through a lossy conversion that would print U+FFFD.
#[test]
fn guest_paths_in_setup_errors_are_shown_byte_exact() {
    let cfg = ConfigBuilder::new("p").validate().unwrap();
    let err = World::builder(&cfg)
        .setup(|ctx| ctx.write_file(b"/\xffnot-mounted\n".as_slice(), ""))
        .build()
        .unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("/\\xffnot-mounted\\n"), "{shown}");
    assert!(!shown.contains('\u{fffd}'), "{shown}");
}

#[test]
fn fd_limit_gives_emfile_and_close_frees() {
    let mut cb = ConfigBuilder::new("p");
    cb.capabilities(Capabilities::default().with_max_open_fds(NonZeroUsize::new(5).unwrap()));
    cb.preopen(
        PreopenSpec::virtual_dir(SANDBOX_FS, "/s")
            .guest_path("/s")
            .read(true)
            .create(true),
    );
    let mut world = World::new(&cb.validate().unwrap()).unwrap();
    let open = |world: &mut World| {
        let entry = world.fds().get(3).unwrap();
        let rights = FdRights::derive(entry.rights, Rights::ALL, Rights::ALL);
        let o = OpenFlags {
            create: true,
            write: true,
            ..OpenFlags::default()
        };
        let Opened::File(f) = entry.dir().unwrap().open_at(b"f", o).unwrap() else {
            panic!("file")
        };
        world
            .fds_mut()
            .insert(FdEntry::new(FdObject::File(f), rights, FdFlags::NONE))
    };
    assert_eq!(open(&mut world).unwrap(), 4);
    assert_eq!(open(&mut world).unwrap_err().kind(), FsErrorKind::MFile);
    world.fds_mut().close(1).unwrap();
    assert_eq!(open(&mut world).unwrap(), 1);
    // Renumbering keeps the file position with the fd.
    world
        .fds_mut()
        .get_mut(4)
        .unwrap()
        .file_mut()
        .unwrap()
        .write(b"abc")
        .unwrap();
    world.fds_mut().renumber(4, 1).unwrap();
    assert_eq!(world.fds_mut().get_mut(1).unwrap().position().unwrap(), 3);
    // The config layer refuses too many preopens up front.
    let mut cb = ConfigBuilder::new("p");
    cb.capabilities(Capabilities::default().with_max_open_fds(NonZeroUsize::new(3).unwrap()));
    cb.preopen(
        PreopenSpec::virtual_dir(SANDBOX_FS, "/s")
            .guest_path("/s")
            .read(true),
    );
    assert!(cb.validate().is_err());
}

#[test]
fn stdio_capture_and_stdin_bytes_through_the_fd_table() {
    let cfg = ConfigBuilder::new("p").validate().unwrap();
    let (out, captured) = StdioSlot::capture();
    let (err, captured_err) = StdioSlot::capture();
    let mut world = World::builder(&cfg)
        .stdin(StdioSlot::from_bytes("input"))
        .stdout(out)
        .stderr(err)
        .build()
        .unwrap();
    let fds = world.fds_mut();
    let mut buf = [0u8; 16];
    let n = fds
        .get_mut(0)
        .unwrap()
        .file_mut()
        .unwrap()
        .read(&mut buf)
        .unwrap();
    assert_eq!(&buf[..n], b"input");
    fds.get_mut(1)
        .unwrap()
        .file_mut()
        .unwrap()
        .write(b"out")
        .unwrap();
    fds.get_mut(2)
        .unwrap()
        .file_mut()
        .unwrap()
        .write(b"err")
        .unwrap();
    assert_eq!(
        fds.get_mut(1)
            .unwrap()
            .file_mut()
            .unwrap()
            .seek(std::io::SeekFrom::Start(0))
            .unwrap_err()
            .kind(),
        FsErrorKind::SPipe
    );
    assert_eq!(
        fds.get_mut(1).unwrap().filetype(),
        FileType::CharacterDevice
    );
    world.flush_all().unwrap();
    world.close_all().unwrap();
    assert!(world.fds().is_empty());
    assert_eq!(captured.contents(), b"out");
    assert_eq!(captured_err.contents(), b"err");
}

#[test]
fn stdio_virtual_file_slot_is_flushed_on_close() {
    let cfg = ConfigBuilder::new("p").validate().unwrap();
    let (guest_end, mut host_end) = virtual_fs::Pipe::channel();
    let mut world = World::builder(&cfg)
        .stdout(StdioSlot::File(Box::new(guest_end)))
        .build()
        .unwrap();
    world
        .fds_mut()
        .get_mut(1)
        .unwrap()
        .file_mut()
        .unwrap()
        .write(b"piped")
        .unwrap();
    world.close_all().unwrap();
    let mut buf = [0u8; 16];
    let n = host_end.try_read(&mut buf).unwrap_or(0);
    assert_eq!(&buf[..n], b"piped");
}

#[test]
fn world_resolve_and_display() {
    let host = tempfile::tempdir().unwrap();
    std::fs::create_dir(host.path().join("d")).unwrap();
    let mut cb = ConfigBuilder::new("p");
    cb.map_dir("/h", host.path());
    let world = World::new(&cb.validate().unwrap()).unwrap();
    let r = world.resolve(3, b"d/../d/./", true).unwrap();
    assert_eq!(r.path_bytes(), b"d");
    assert_eq!(
        world.resolve(1, b"x", true).unwrap_err().kind(),
        FsErrorKind::NotDir
    );
    assert_eq!(
        world.resolve(9, b"x", true).unwrap_err().kind(),
        FsErrorKind::BadF
    );
    let shown = world.to_string();
    assert!(
        shown.contains("fd 3:") && shown.contains("preopen \"/h\""),
        "{shown}"
    );
}

/// Issue 13: the configuration's `max_capture_bytes` caps every capture
/// slot (a lower limit of the slot's own stays), and the cap is visible.
#[test]
fn configured_capture_cap_lowers_each_capture_limit() {
    let caps = Capabilities::default().with_max_capture_bytes(4);
    let mut b = ConfigBuilder::new("p");
    b.capabilities(caps);
    let cfg = b.validate().unwrap();
    let (out, captured) = StdioSlot::capture();
    let (err, captured_err) = StdioSlot::capture_with_limit(2);
    let mut world = World::builder(&cfg)
        .stdout(out)
        .stderr(err)
        .build()
        .unwrap();
    assert_eq!(captured.limit(), 4);
    assert_eq!(captured_err.limit(), 2);
    let stdout = world.fds_mut().get_mut(1).unwrap().file_mut().unwrap();
    assert_eq!(stdout.write(b"hello").unwrap(), 4);
    let full = stdout.write(b"!").unwrap_err();
    assert_eq!(full.kind(), FsErrorKind::NoSpace, "{full:?}");
    assert_eq!(captured.contents(), b"hell");
    assert!(captured.limit_reached());
}

/// Issue 15: a world nothing can reach the default sandbox from builds
/// none (an empty in-memory filesystem per launch, for nothing); a preopen
/// of it or a setup hook (which may ask for it) still gets it.
#[test]
fn the_default_sandbox_is_built_only_where_a_preopen_or_hook_can_reach_it() {
    let plain = ConfigBuilder::new("p").validate().unwrap();
    let world = World::new(&plain).unwrap();
    assert!(world.filesystem(SANDBOX_FS).is_none());

    let world = World::builder(&plain)
        .setup(|ctx| {
            assert!(ctx.filesystem(SANDBOX_FS).is_some());
            Ok(())
        })
        .build()
        .unwrap();
    assert!(world.filesystem(SANDBOX_FS).is_some(), "a hook may use it");

    let mut cb = ConfigBuilder::new("p");
    cb.preopen(PreopenSpec::virtual_dir(SANDBOX_FS, "/s").read(true));
    let world = World::new(&cb.validate().unwrap()).unwrap();
    assert!(world.filesystem(SANDBOX_FS).is_some(), "a preopen uses it");
}
