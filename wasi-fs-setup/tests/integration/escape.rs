//! The escape matrix: a real temporary host directory, a canary file outside it,
//! and every kind of attempt to read, write, create, stat or list outside.
//! Each attempt must fail and leave the host untouched.

use wasi_config::Permissions;
use wasi_fs_setup::{DirHandle, FsError, FsErrorKind, OpenFlags, Opened, Rights, TimeSpec, World};

use std::path::Path;

use wasi_fs_setup::Access;

use crate::common::{HostFixture, Node, SECRET, vfs_dirs};

fn rw() -> Permissions {
    Permissions::ALL
}

fn dir(world: &World, fd: u32) -> &dyn DirHandle {
    world.fds().get(fd).unwrap().dir().unwrap()
}

/// Reads `path` through `d` if it can be opened; returns the bytes read.
fn try_read(d: &dyn DirHandle, path: &[u8]) -> Result<Vec<u8>, FsErrorKind> {
    match d.open_at(path, OpenFlags::READ).map_err(FsError::kind)? {
        Opened::File(mut f) => {
            let mut buf = vec![0u8; 4096];
            let n = f.read(&mut buf).map_err(FsError::kind)?;
            buf.truncate(n);
            Ok(buf)
        }
        Opened::Dir(d) => Ok(format!("{:?}", d.read_dir().map_err(FsError::kind)?).into_bytes()),
    }
}

fn write_flags() -> OpenFlags {
    OpenFlags {
        write: true,
        create: true,
        truncate: true,
        ..OpenFlags::default()
    }
}

/// Every operation a guest could aim at `path`; all must fail, none may see the secret.
fn assert_all_fail(d: &dyn DirHandle, path: &str) {
    let p = path.as_bytes();
    if let Ok(bytes) = try_read(d, p) {
        panic!(
            "read {path:?} succeeded: {:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
    assert!(d.stat_at(p, true).is_err(), "stat {path:?}");
    assert!(d.open_at(p, write_flags()).is_err(), "write {path:?}");
    let planted = format!("{path}/planted");
    assert!(
        d.open_at(planted.as_bytes(), write_flags()).is_err(),
        "create {planted:?}"
    );
    assert!(
        d.create_dir_at(planted.as_bytes()).is_err(),
        "mkdir {planted:?}"
    );
    assert!(
        d.symlink_at(b"x", planted.as_bytes()).is_err(),
        "symlink {planted:?}"
    );
    assert!(
        d.unlink_at(format!("{path}/secret.txt").as_bytes())
            .is_err(),
        "unlink in {path:?}"
    );
    assert!(
        d.set_times_at(p, true, TimeSpec::Set(1), TimeSpec::Set(1))
            .is_err(),
        "utimes {path:?}"
    );
    assert!(
        d.rename_at(b"inside.txt", d, planted.as_bytes()).is_err(),
        "rename into {path:?}"
    );
    assert!(
        d.link_at(b"inside.txt", false, d, planted.as_bytes())
            .is_err(),
        "link into {path:?}"
    );
    assert!(
        d.link_at(p, true, d, b"grabbed").is_err(),
        "link from {path:?}"
    );
}

const INSIDE: &[(&str, Node)] = &[
    ("inside.txt", Node::File("inside")),
    ("sub", Node::Dir),
    ("sub/deeper", Node::Dir),
];

#[test]
fn dotdot_chains_and_absolute_paths() {
    let fx = HostFixture::new(INSIDE);
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    let abs_secret = fx.outside.join("secret.txt").display().to_string();
    for path in [
        "..",
        "../outside",
        "../outside/secret.txt",
        "sub/../../outside/secret.txt",
        "sub/deeper/../../../outside",
        "./sub/./../..",
        "../../../../../../../../etc",
        "/etc",
        "/",
        "//outside",
        abs_secret.as_str(),
    ] {
        assert_all_fail(d, path);
    }
    assert_eq!(before, fx.snapshot());
}

#[test]
fn host_symlinks_pointing_out() {
    let fx = HostFixture::new(INSIDE);
    let out = fx.outside.display().to_string();
    let secret = fx.outside.join("secret.txt").display().to_string();
    let links: Vec<(&str, String)> = vec![
        ("etc_link", "/etc".into()),
        ("root_link", "/".into()),
        ("abs_dir", out.clone()),
        ("abs_file", secret.clone()),
        ("up_dir", "../outside".into()),
        ("up_file", "../outside/secret.txt".into()),
        ("sub/upup", "../../outside".into()),
        ("sub/deeper/up3", "../../../outside/secret.txt".into()),
        ("c1", "c2".into()),
        ("c2", "sub/c3".into()),
        ("sub/c3", "../up_dir".into()),
        ("dangle_out", "../outside/new.txt".into()),
        ("loop_a", "loop_b".into()),
        ("loop_b", "loop_a".into()),
    ];
    for (name, target) in &links {
        std::os::unix::fs::symlink(target, fx.root.join(name)).unwrap();
    }
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    for (name, _) in &links {
        assert_all_fail(d, name);
        assert_all_fail(d, &format!("{name}/"));
        assert_all_fail(d, &format!("{name}/secret.txt"));
    }
    assert_eq!(
        d.stat_at(b"etc_link/passwd", true).unwrap_err().kind(),
        FsErrorKind::Escape
    );
    assert_eq!(
        d.stat_at(b"c1/secret.txt", true).unwrap_err().kind(),
        FsErrorKind::Escape
    );
    assert_eq!(
        d.stat_at(b"loop_a", true).unwrap_err().kind(),
        FsErrorKind::Loop
    );
    // The links themselves are inside: they can be stat'ed without following and read.
    assert_eq!(d.readlink_at(b"up_file").unwrap(), b"../outside/secret.txt");
    assert_eq!(before, fx.snapshot());
    assert!(!fx.outside.join("new.txt").exists());
}

#[test]
fn symlink_created_after_setup() {
    let fx = HostFixture::new(INSIDE);
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    // The host (or another process) plants links while the world is live.
    std::os::unix::fs::symlink(&fx.outside, fx.root.join("late_abs")).unwrap();
    std::os::unix::fs::symlink("../../outside", fx.root.join("sub/late_rel")).unwrap();
    // A subdirectory is swapped for a link after the guest opened the parent.
    std::fs::remove_dir(fx.root.join("sub/deeper")).unwrap();
    std::os::unix::fs::symlink("../../outside", fx.root.join("sub/deeper")).unwrap();
    for path in [
        "late_abs",
        "late_abs/secret.txt",
        "sub/late_rel/secret.txt",
        "sub/deeper/secret.txt",
    ] {
        assert_all_fail(d, path);
    }
    let mut snap = fx.snapshot();
    snap.retain(|p, _| !p.starts_with(&fx.root));
    assert_eq!(before, snap);
}

#[test]
fn guest_created_symlinks_pointing_out() {
    let fx = HostFixture::new(INSIDE);
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    // Absolute targets are refused at creation, as wasmtime does.
    assert_eq!(
        d.symlink_at(b"/etc", b"g_abs").unwrap_err().kind(),
        FsErrorKind::Escape
    );
    assert_eq!(
        d.symlink_at(fx.outside.display().to_string().as_bytes(), b"g_abs2")
            .unwrap_err()
            .kind(),
        FsErrorKind::Escape
    );
    // Relative ones that climb out may exist, but lead nowhere.
    d.symlink_at(b"../outside", b"g_up").unwrap();
    d.symlink_at(b"../../outside/secret.txt", b"sub/g_up2")
        .unwrap();
    d.symlink_at(b"g_up", b"g_chain").unwrap();
    for path in ["g_up", "g_up/secret.txt", "sub/g_up2", "g_chain/secret.txt"] {
        assert_all_fail(d, path);
    }
    assert_eq!(before, fx.snapshot());
}

#[test]
fn trailing_slashes_do_not_bypass_checks() {
    let fx = HostFixture::new(INSIDE);
    std::os::unix::fs::symlink("../outside/secret.txt", fx.root.join("s")).unwrap();
    std::os::unix::fs::symlink("../outside", fx.root.join("o")).unwrap();
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    for path in [
        "s/",
        "s//",
        "o/",
        "o/.",
        "o/./secret.txt/",
        "../outside/",
        "sub/../../outside/",
    ] {
        assert_all_fail(d, path);
    }
    assert_eq!(
        d.stat_at(b"inside.txt/", true).unwrap_err().kind(),
        FsErrorKind::NotDir
    );
    assert_eq!(
        d.unlink_at(b"inside.txt/").unwrap_err().kind(),
        FsErrorKind::NotDir
    );
    assert_eq!(before, fx.snapshot());
}

#[test]
fn fd_of_a_subdirectory_is_its_own_capability() {
    let fx = HostFixture::new(INSIDE);
    let before = fx.snapshot();
    let world = fx.world(rw());
    let Opened::Dir(sub) = dir(&world, 3).open_at(b"sub", OpenFlags::READ).unwrap() else {
        panic!("sub is a directory");
    };
    // `..` from the subdirectory fd fails even though the preopen is right there.
    assert_eq!(
        sub.stat_at(b"..", true).unwrap_err().kind(),
        FsErrorKind::Escape
    );
    assert_eq!(
        sub.stat_at(b"../inside.txt", true).unwrap_err().kind(),
        FsErrorKind::Escape
    );
    assert_eq!(
        sub.stat_at(b"deeper/..", true).unwrap().filetype,
        wasi_fs_setup::FileType::Directory
    );
    // Renaming the directory elsewhere does not widen it.
    dir(&world, 3)
        .rename_at(b"sub", dir(&world, 3), b"moved")
        .unwrap();
    assert_eq!(
        sub.stat_at(b"../..", true).unwrap_err().kind(),
        FsErrorKind::Escape
    );
    assert_eq!(before, fx.snapshot());
}

/// CVE-2023-51661 (wasmer): the filesystem sandbox was not enforced, so a
/// guest reached host files by absolute path or by `..` from a mapped directory.
#[test]
fn cve_2023_51661_absolute_and_dotdot_paths_stay_inside() {
    let fx = HostFixture::new(INSIDE);
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    let secret = fx.outside.join("secret.txt");
    for path in [
        secret.display().to_string(),
        "/etc/passwd".to_string(),
        "../outside/secret.txt".to_string(),
        "sub/../../outside/secret.txt".to_string(),
    ] {
        assert_all_fail(d, &path);
        assert!(matches!(
            world.resolve(3, path.as_bytes(), true).unwrap_err().kind(),
            FsErrorKind::Escape
        ));
    }
    assert_eq!(before, fx.snapshot());
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), SECRET);
}

/// CVE-2024-38358 (wasmer, GHSA-55f3-3qvg-8pv5): a symlink inside the preopen
/// pointing outside was followed when the guest opened it with `O_CREAT` and
/// write rights; and a guest-made symlink pointing outside crashed the runtime
/// when opened.
#[test]
fn cve_2024_38358_symlink_followed_with_creat_and_write() {
    let fx = HostFixture::new(INSIDE);
    std::fs::create_dir(fx.root.join("dir")).unwrap();
    std::os::unix::fs::symlink("../../outside/secret.txt", fx.root.join("dir/file")).unwrap();
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    let o = OpenFlags {
        read: true,
        write: true,
        create: true,
        ..OpenFlags::default()
    };
    assert_eq!(
        d.open_at(b"dir/file", o).unwrap_err().kind(),
        FsErrorKind::Escape
    );
    assert_all_fail(d, "dir/file");
    // The guest makes its own link out and opens it: an error, not a crash.
    d.symlink_at(b"../outside/secret.txt", b"mine").unwrap();
    assert_eq!(
        d.open_at(b"mine", o).unwrap_err().kind(),
        FsErrorKind::Escape
    );
    assert_eq!(
        d.open_at(b"mine", OpenFlags::READ).unwrap_err().kind(),
        FsErrorKind::Escape
    );
    assert_eq!(before, fx.snapshot());
}

/// A path component swapped for an escaping symlink while the guest is
/// resolving through it (time of check vs time of use). The kernel-checked
/// walk must never land outside, whatever the interleaving.
#[test]
fn symlink_swapped_in_during_resolution() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let fx = HostFixture::new(INSIDE);
    std::fs::create_dir(fx.root.join("swap")).unwrap();
    std::fs::write(fx.root.join("swap/secret.txt"), "decoy").unwrap();
    std::os::unix::fs::symlink("../outside", fx.root.join("evil")).unwrap();
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = Arc::clone(&stop);
        let root = fx.root.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // Alternate `swap` between a real directory and a link out.
                let _ = std::fs::rename(root.join("swap"), root.join("swap_real"));
                let _ = std::fs::rename(root.join("evil"), root.join("swap"));
                let _ = std::fs::rename(root.join("swap"), root.join("evil"));
                let _ = std::fs::rename(root.join("swap_real"), root.join("swap"));
            }
        })
    };
    let mut decoys = 0;
    for _ in 0..3000 {
        if let Ok(bytes) = try_read(d, b"swap/secret.txt") {
            assert_ne!(
                bytes,
                SECRET.as_bytes(),
                "read the secret through a swapped link"
            );
            decoys += 1;
        }
        let _ = d.open_at(b"swap/planted", write_flags());
        if let Ok(r) = d.resolve(b"swap/secret.txt", true) {
            assert!(r.components().all(|c| c != b".."));
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    assert!(
        decoys > 0,
        "the race never let the decoy through; the test did not exercise anything"
    );
    let mut snap = fx.snapshot();
    snap.retain(|p, _| !p.starts_with(&fx.root));
    assert_eq!(before, snap);
    assert!(!fx.outside.join("planted").exists());
}

/// Escapes built with rename: moving a relative symlink so that its target
/// climbs out, renaming into a directory reached through an escaping link,
/// and renaming out through `..`.
#[test]
fn rename_escapes() {
    let fx = HostFixture::new(INSIDE);
    // `sub/deeper/x -> ../../inside.txt` points inside; one level up it would point out.
    std::os::unix::fs::symlink("../../inside.txt", fx.root.join("sub/deeper/x")).unwrap();
    std::os::unix::fs::symlink("../outside", fx.root.join("out")).unwrap();
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    assert_eq!(try_read(d, b"sub/deeper/x").unwrap(), b"inside");
    d.rename_at(b"sub/deeper/x", d, b"sub/x").unwrap();
    assert_all_fail(d, "sub/x");
    d.rename_at(b"sub/x", d, b"x").unwrap();
    assert_all_fail(d, "x");
    for target in [
        "out/stolen",
        "../outside/stolen",
        "sub/../../outside/stolen",
        "out/",
    ] {
        assert!(
            d.rename_at(b"inside.txt", d, target.as_bytes()).is_err(),
            "rename to {target}"
        );
    }
    assert!(d.rename_at(b"../outside/secret.txt", d, b"got").is_err());
    assert!(d.rename_at(b"out/secret.txt", d, b"got").is_err());
    // Renaming the escaping link itself only moves the link; one level down
    // its target names a (missing) entry inside the sandbox.
    d.rename_at(b"out", d, b"sub/out").unwrap();
    let r = d.resolve(b"sub/out", true).unwrap();
    assert_eq!(
        (r.path_bytes().to_vec(), r.filetype()),
        (b"outside".to_vec(), None)
    );
    let mut snap = fx.snapshot();
    snap.retain(|p, _| !p.starts_with(&fx.root));
    assert_eq!(before, snap);
}

/// GHSA-4ch3-9j33-3pmj (wasmtime): a file exposed read-only through one preopen
/// was hard-linked or renamed into a writable preopen and then modified.
#[test]
fn ghsa_4ch3_9j33_3pmj_read_only_file_linked_or_renamed_into_writable_preopen() {
    let tmp = tempfile::tempdir().unwrap();
    let ro = tmp.path().join("ro");
    let rwd = tmp.path().join("rw");
    std::fs::create_dir(&ro).unwrap();
    std::fs::create_dir(&rwd).unwrap();
    std::fs::write(ro.join("file"), "read only").unwrap();
    let mut b = wasi_config::ConfigBuilder::new("test");
    b.preopen(
        wasi_config::PreopenSpec::host(&ro)
            .guest_path("/ro")
            .read(true),
    );
    b.preopen(
        wasi_config::PreopenSpec::host(&rwd)
            .guest_path("/rw")
            .read(true)
            .create(true),
    );
    let world = World::new(&b.validate().unwrap()).unwrap();
    let ro_entry = world.fds().get(3).unwrap();
    let rw_entry = world.fds().get(4).unwrap();
    // The rights say no...
    assert!(
        !ro_entry
            .rights
            .base
            .intersects(Rights::PATH_LINK_SOURCE | Rights::PATH_RENAME_SOURCE)
    );
    assert!(
        rw_entry
            .rights
            .base
            .contains(Rights::PATH_LINK_TARGET | Rights::PATH_RENAME_TARGET)
    );
    // ...and so does the backing, even if a rights check upstream were missed.
    let (rod, rwh) = (ro_entry.dir().unwrap(), rw_entry.dir().unwrap());
    assert_eq!(
        rod.link_at(b"file", false, rwh, b"stolen")
            .unwrap_err()
            .kind(),
        FsErrorKind::NotCapable
    );
    assert_eq!(
        rod.link_at(b"file", true, rwh, b"stolen")
            .unwrap_err()
            .kind(),
        FsErrorKind::NotCapable
    );
    assert_eq!(
        rod.rename_at(b"file", rwh, b"moved").unwrap_err().kind(),
        FsErrorKind::NotCapable
    );
    // The other direction needs create rights on the read-only side.
    std::fs::write(rwd.join("mine"), "mine").unwrap();
    assert_eq!(
        rwh.rename_at(b"mine", rod, b"planted").unwrap_err().kind(),
        FsErrorKind::NotCapable
    );
    assert_eq!(
        rwh.link_at(b"mine", false, rod, b"planted")
            .unwrap_err()
            .kind(),
        FsErrorKind::NotCapable
    );
    // A subdirectory opened through the read-only preopen is just as read-only.
    std::fs::create_dir(ro.join("d")).unwrap();
    std::fs::write(ro.join("d/f"), "ro").unwrap();
    let Opened::Dir(sub) = rod.open_at(b"d", OpenFlags::READ).unwrap() else {
        panic!("d is a directory");
    };
    assert_eq!(
        sub.link_at(b"f", false, rwh, b"stolen").unwrap_err().kind(),
        FsErrorKind::NotCapable
    );
    assert_eq!(
        sub.open_at(b"f", write_flags()).unwrap_err().kind(),
        FsErrorKind::NotCapable
    );
    assert_eq!(
        std::fs::read_to_string(ro.join("file")).unwrap(),
        "read only"
    );
    assert_eq!(std::fs::read_to_string(ro.join("d/f")).unwrap(), "ro");
    assert!(!rwd.join("stolen").exists() && !rwd.join("moved").exists());
    assert!(!ro.join("planted").exists());
    let md = std::fs::metadata(ro.join("file")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::nlink(&md), 1);
}

#[test]
fn hard_links_cannot_reach_outside() {
    let fx = HostFixture::new(INSIDE);
    std::os::unix::fs::symlink("../outside/secret.txt", fx.root.join("s")).unwrap();
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    for old in ["../outside/secret.txt", "s", "s/"] {
        assert!(
            d.link_at(old.as_bytes(), true, d, b"grab").is_err(),
            "link_at {old}"
        );
    }
    // Without follow, linking the symlink itself copies only the link.
    d.link_at(b"s", false, d, b"s2").unwrap();
    assert_all_fail(d, "s2");
    assert!(d.link_at(b"inside.txt", false, d, b"../outside/x").is_err());
    let mut snap = fx.snapshot();
    snap.retain(|p, _| !p.starts_with(&fx.root));
    assert_eq!(before, snap);
}

/// Links whose names or targets end in `/` (or `/.`), beside the canary.
const TRAILING: &[(&str, Node)] = &[
    ("inside.txt", Node::File("inside")),
    ("sub", Node::Dir),
    ("sub/deeper", Node::Dir),
    ("out", Node::Link("../outside")),
    ("out_slash", Node::Link("../outside/")),
    ("out_dot", Node::Link("../outside/.")),
    ("secret_link", Node::Link("../outside/secret.txt")),
    ("secret_slash", Node::Link("../outside/secret.txt/")),
    ("abs_slash", Node::Link("/etc/")),
    ("climb_slash", Node::Link("sub/../../outside/")),
    ("sub/deeper/up_slash", Node::Link("../../../outside/")),
    ("to_out_slash", Node::Link("out_slash/")),
];

const TRAILING_PATHS: &[&str] = &[
    "out/",
    "out//",
    "out/./",
    "out_slash",
    "out_slash/",
    "out_slash/.",
    "out_dot",
    "out_dot/",
    "secret_link/",
    "secret_slash",
    "secret_slash/",
    "abs_slash",
    "abs_slash/",
    "climb_slash",
    "climb_slash/",
    "sub/deeper/up_slash",
    "sub/deeper/up_slash/",
    "to_out_slash",
    "to_out_slash/",
    "../outside/",
    "..//outside//",
    "sub/..//../outside/",
    "sub/deeper/../../../outside/./",
];

/// GHSA-vqjp-4c8c-hfgg (wasmtime-wasi, from cap-std): a filesystem sandbox
/// escape when paths or symlink targets contain trailing slashes. Every
/// operation on every such path leading out fails, on the host backing and on
/// both virtual ones; nothing outside changes; the same paths that stay
/// inside keep working.
#[test]
fn ghsa_vqjp_4c8c_hfgg_trailing_slash_paths_and_links_stay_inside() {
    let fx = HostFixture::new(TRAILING);
    let before = fx.snapshot();
    let world = fx.world(rw());
    let d = dir(&world, 3);
    for path in TRAILING_PATHS {
        assert_all_fail(d, path);
    }
    assert_eq!(before, fx.snapshot());

    for (label, vfs, vd) in vfs_dirs(TRAILING, Access::READ_WRITE_CREATE) {
        for path in TRAILING_PATHS {
            assert_all_fail(vd.as_ref(), path);
        }
        let fs = vfs.filesystem();
        let names: Vec<_> = fs
            .read_dir(Path::new("/outside"))
            .unwrap()
            .map(|e| e.unwrap().path)
            .collect();
        assert_eq!(names, [Path::new("/outside/secret.txt")], "{label}");
        let md = fs.metadata(Path::new("/outside/secret.txt")).unwrap();
        assert_eq!(md.len, SECRET.len() as u64, "{label}");
    }

    // Inside, a trailing slash means "must be a directory", nothing more.
    let vds = vfs_dirs(TRAILING, Access::READ_WRITE_CREATE);
    let mut dirs: Vec<&dyn DirHandle> = vec![d];
    dirs.extend(vds.iter().map(|(_, _, d)| d.as_ref()));
    for d in dirs {
        assert!(d.stat_at(b"sub/", true).is_ok(), "{d:?}");
        assert!(d.stat_at(b"sub/deeper/./", true).is_ok(), "{d:?}");
        assert_eq!(
            d.stat_at(b"inside.txt/", true).unwrap_err().kind(),
            FsErrorKind::NotDir,
            "{d:?}"
        );
        assert_eq!(
            d.open_at(b"fresh/", write_flags()).unwrap_err().kind(),
            FsErrorKind::IsDir,
            "{d:?}"
        );
        assert!(d.stat_at(b"fresh", true).is_err(), "{d:?}");
    }
}

/// GHSA-2r75-cxrj-cmph (wasmtime-wasi): `path_open` with `O_TRUNC` emptied a
/// file in a preopen whose files were read-only. Here truncation needs the
/// write permission: a read-only preopen lacks the rights, and its handle
/// (and any directory opened through it) refuses the open, on every backing,
/// leaving the file intact.
#[test]
fn ghsa_2r75_cxrj_cmph_truncate_needs_write_permission() {
    let fx = HostFixture::new(INSIDE);
    let world = fx.world(Permissions::READ_ONLY);
    let entry = world.fds().get(3).unwrap();
    for rights in [entry.rights.base, entry.rights.inheriting] {
        assert!(!rights.intersects(
            Rights::PATH_FILESTAT_SET_SIZE | Rights::FD_FILESTAT_SET_SIZE | Rights::FD_WRITE
        ));
    }
    let truncating = [
        OpenFlags {
            truncate: true,
            ..OpenFlags::READ
        },
        OpenFlags {
            truncate: true,
            write: true,
            ..OpenFlags::default()
        },
        OpenFlags {
            truncate: true,
            create: true,
            ..OpenFlags::READ
        },
    ];
    let host = entry.dir().unwrap();
    let Opened::Dir(host_sub) = host.open_at(b"sub", OpenFlags::READ).unwrap() else {
        panic!("sub is a directory");
    };
    std::fs::write(fx.root.join("sub/kept.txt"), "kept").unwrap();
    let vds = vfs_dirs(INSIDE, Access::READ_ONLY);
    for (label, vfs, _) in &vds {
        let mut f = vfs
            .filesystem()
            .new_open_options()
            .write(true)
            .create_new(true)
            .open(Path::new("/sandbox/sub/kept.txt"))
            .unwrap();
        futures::executor::block_on(virtual_fs::AsyncWriteExt::write_all(&mut f, b"kept")).unwrap();
        drop(f);
        assert!(
            vfs.filesystem()
                .metadata(Path::new("/sandbox/sub/kept.txt"))
                .is_ok(),
            "{label}"
        );
    }
    let mut dirs: Vec<&dyn DirHandle> = vec![host, host_sub.as_ref()];
    let vsubs: Vec<Box<dyn DirHandle>> = vds
        .iter()
        .map(
            |(_, _, d)| match d.open_at(b"sub", OpenFlags::READ).unwrap() {
                Opened::Dir(sub) => sub,
                Opened::File(_) => panic!("sub is a directory"),
            },
        )
        .collect();
    dirs.extend(vds.iter().map(|(_, _, d)| d.as_ref()));
    dirs.extend(vsubs.iter().map(|d| d.as_ref()));
    for d in dirs {
        let target: &[u8] = if d.stat_at(b"inside.txt", true).is_ok() {
            b"inside.txt"
        } else {
            b"kept.txt"
        };
        let size = d.stat_at(target, true).unwrap().size;
        assert!(size > 0);
        for flags in truncating {
            assert_eq!(
                d.open_at(target, flags).unwrap_err().kind(),
                FsErrorKind::NotCapable,
                "{d:?} {flags:?}"
            );
        }
        assert_eq!(d.stat_at(target, true).unwrap().size, size, "{d:?}");
    }
    assert_eq!(
        std::fs::read(fx.root.join("inside.txt")).unwrap(),
        b"inside"
    );
}
