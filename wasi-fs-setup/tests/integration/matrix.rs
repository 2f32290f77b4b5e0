//! The host backing (cap-std, kernel-checked) and the virtual backing (this
//! crate's resolver over `TmpFileSystem`) must give the same answer, case by case.

use wasi_fs_setup::{
    Access, DirHandle, FileType, FsError, FsErrorKind, OpenFlags, Opened, TimeSpec,
};

use crate::common::{HostFixture, LAYOUT, vfs_dirs};

const PATHS: &[&str] = &[
    "",
    ".",
    "./",
    "..",
    "../",
    "/",
    "/etc",
    "//a",
    "a",
    "a/",
    "a/.",
    "a/..",
    "a/../..",
    "a/./b//file.txt",
    "a/b/../../f.txt",
    "a/b/../../../f.txt",
    "f.txt",
    "f.txt/",
    "f.txt/.",
    "f.txt/..",
    "f.txt/x",
    "missing",
    "missing/",
    "missing/x",
    "missing/..",
    "link_f",
    "link_f/",
    "link_a",
    "link_a/",
    "link_a/b/file.txt",
    "link_a/..",
    "link_a/../..",
    "link_b/../..",
    "link_b/../../..",
    "link_up",
    "link_up/",
    "link_up/sandbox/f.txt",
    "link_abs",
    "link_abs/passwd",
    "a/link_up_ok",
    "a/b/link_upup",
    "a/b/link_out",
    "a/b/link_dotdot",
    "a/b/link_dotdot/..",
    "a/b/link_dotdot/../..",
    "loop1",
    "loop1/x",
    "self",
    "self/",
    "dangling",
    "dangling/",
    "chain1",
    "chain1/",
    "chain_out1",
    "link_dot",
    "link_dot/f.txt",
    "link_dot/..",
    "link_slash",
    "link_slash/b",
    "link_f_slash",
    "a\0b",
];

type Outcome = Result<String, FsErrorKind>;

fn stat(r: Result<wasi_fs_setup::Filestat, FsError>) -> Outcome {
    r.map(|s| match s.filetype {
        FileType::RegularFile | FileType::SymbolicLink => format!("{:?} {}", s.filetype, s.size),
        t => format!("{t:?}"),
    })
    .map_err(FsError::kind)
}

fn opened(r: Result<Opened, FsError>) -> Outcome {
    match r {
        Ok(Opened::Dir(d)) => Ok(format!(
            "dir with {} entries",
            d.read_dir().map_or(0, |e| e.len())
        )),
        Ok(Opened::File(mut f)) => {
            let mut buf = [0u8; 64];
            let n = f.read(&mut buf).unwrap_or(0);
            Ok(format!("file {:?}", String::from_utf8_lossy(&buf[..n])))
        }
        Err(e) => Err(e.kind()),
    }
}

fn flags(f: impl FnOnce(&mut OpenFlags)) -> OpenFlags {
    let mut o = OpenFlags::READ;
    f(&mut o);
    o
}

fn read_ops(d: &dyn DirHandle, path: &[u8]) -> Vec<(&'static str, Outcome)> {
    vec![
        ("stat", stat(d.stat_at(path, true))),
        ("lstat", stat(d.stat_at(path, false))),
        ("open", opened(d.open_at(path, OpenFlags::READ))),
        (
            "open-dir",
            opened(d.open_at(path, flags(|o| o.directory = true))),
        ),
        (
            "open-nofollow",
            opened(d.open_at(path, flags(|o| o.nofollow = true))),
        ),
        (
            "open-nofollow-dir",
            opened(d.open_at(
                path,
                flags(|o| {
                    o.nofollow = true;
                    o.directory = true;
                }),
            )),
        ),
        (
            "resolve",
            d.resolve(path, true)
                .map(|r| {
                    format!(
                        "{:?} {:?}",
                        String::from_utf8_lossy(&r.to_path_bytes()),
                        r.filetype()
                    )
                })
                .map_err(FsError::kind),
        ),
        (
            "resolve-nofollow",
            d.resolve(path, false)
                .map(|r| {
                    format!(
                        "{:?} {:?}",
                        String::from_utf8_lossy(&r.to_path_bytes()),
                        r.filetype()
                    )
                })
                .map_err(FsError::kind),
        ),
        (
            "readlink",
            d.readlink_at(path)
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .map_err(FsError::kind),
        ),
    ]
}

#[test]
fn read_only_operations_agree_between_backings() {
    let host = HostFixture::new(LAYOUT);
    let hd = host.dir(Access::READ_ONLY);
    let mut mismatches = Vec::new();
    for (mode, _vfs, vd) in vfs_dirs(LAYOUT, Access::READ_ONLY) {
        for path in PATHS {
            let h = read_ops(&hd, path.as_bytes());
            let v = read_ops(vd.as_ref(), path.as_bytes());
            for ((op, ho), (_, vo)) in h.iter().zip(&v) {
                if ho != vo {
                    mismatches.push(format!(
                        "{op} {path:?}: host {ho:?} virtual ({mode}) {vo:?}"
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "backings disagree:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn expected_answers_for_escapes_loops_and_slashes() {
    let vds = vfs_dirs(LAYOUT, Access::READ_ONLY);
    let host = HostFixture::new(LAYOUT);
    let hd = host.dir(Access::READ_ONLY);
    let mut dirs: Vec<&dyn DirHandle> = vec![&hd];
    dirs.extend(vds.iter().map(|(_, _, d)| d.as_ref()));
    let cases: &[(&str, FsErrorKind)] = &[
        ("", FsErrorKind::NotFound),
        ("..", FsErrorKind::Escape),
        ("/", FsErrorKind::Escape),
        ("/etc", FsErrorKind::Escape),
        ("a/../..", FsErrorKind::Escape),
        ("link_up", FsErrorKind::Escape),
        ("link_abs/passwd", FsErrorKind::Escape),
        ("a/b/link_out", FsErrorKind::Escape),
        ("chain_out1", FsErrorKind::Escape),
        ("link_b/../../..", FsErrorKind::Escape),
        ("loop1", FsErrorKind::Loop),
        ("self/", FsErrorKind::Loop),
        ("f.txt/", FsErrorKind::NotDir),
        ("f.txt/x", FsErrorKind::NotDir),
        ("link_f/", FsErrorKind::NotDir),
        ("link_f_slash", FsErrorKind::NotDir),
        ("missing/x", FsErrorKind::NotFound),
        ("dangling", FsErrorKind::NotFound),
        ("a\0b", FsErrorKind::Inval),
    ];
    for d in dirs {
        for (path, want) in cases {
            let got = d
                .stat_at(path.as_bytes(), true)
                .map(|_| ())
                .map_err(FsError::kind);
            assert_eq!(got, Err(*want), "stat {path:?} on {d:?}");
        }
        let long = "x".repeat(256);
        assert_eq!(
            d.stat_at(long.as_bytes(), true).unwrap_err().kind(),
            FsErrorKind::NameTooLong
        );
        assert_eq!(
            d.stat_at(b"chain1", true).unwrap().filetype,
            FileType::RegularFile
        );
        assert_eq!(
            d.stat_at(b"link_a", false).unwrap().filetype,
            FileType::SymbolicLink
        );
        assert_eq!(
            d.open_at(b"link_a", flags(|o| o.nofollow = true))
                .unwrap_err()
                .kind(),
            FsErrorKind::Loop
        );
    }
}

/// A recursive listing through the backing API: path, type, file size, link target.
fn listing(d: &dyn DirHandle) -> Vec<String> {
    fn go(d: &dyn DirHandle, prefix: &str, out: &mut Vec<String>) {
        let mut entries = d.read_dir().unwrap();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for e in entries {
            let name = String::from_utf8_lossy(&e.name).into_owned();
            let path = format!("{prefix}{name}");
            let st = d.stat_at(e.name.as_slice(), false).unwrap();
            assert_eq!(
                st.ino, e.ino,
                "readdir and stat disagree on the ino of {path}"
            );
            assert_eq!(
                st.filetype, e.filetype,
                "readdir and stat disagree on the type of {path}"
            );
            match e.filetype {
                FileType::Directory => {
                    out.push(format!("{path}/"));
                    let Ok(Opened::Dir(sub)) = d.open_at(&e.name, OpenFlags::READ) else {
                        panic!("cannot open {path}");
                    };
                    go(sub.as_ref(), &format!("{path}/"), out);
                }
                FileType::SymbolicLink => {
                    let t = d.readlink_at(&e.name).unwrap();
                    out.push(format!("{path} -> {}", String::from_utf8_lossy(&t)));
                }
                t => out.push(format!("{path} {t:?} {}", st.size)),
            }
        }
    }
    let mut out = Vec::new();
    go(d, "", &mut out);
    out
}

type Mutation = (&'static str, fn(&dyn DirHandle) -> Result<(), FsError>);

fn open_with(
    d: &dyn DirHandle,
    path: &[u8],
    f: impl FnOnce(&mut OpenFlags),
) -> Result<(), FsError> {
    let mut o = OpenFlags::default();
    f(&mut o);
    match d.open_at(path, o)? {
        Opened::File(mut file) if o.write || o.append => {
            file.write(b"written")?;
            Ok(())
        }
        _ => Ok(()),
    }
}

const MUTATIONS: &[Mutation] = &[
    ("mkdir newdir", |d| d.create_dir_at(b"newdir")),
    ("mkdir newdir/", |d| d.create_dir_at(b"newdir/")),
    ("mkdir a", |d| d.create_dir_at(b"a")),
    ("mkdir f.txt", |d| d.create_dir_at(b"f.txt")),
    ("mkdir dangling", |d| d.create_dir_at(b"dangling")),
    ("mkdir missing/x", |d| d.create_dir_at(b"missing/x")),
    ("mkdir .", |d| d.create_dir_at(b".")),
    ("mkdir a/..", |d| d.create_dir_at(b"a/..")),
    ("mkdir link_a/new", |d| d.create_dir_at(b"link_a/new")),
    ("mkdir link_up/new", |d| d.create_dir_at(b"link_up/new")),
    ("mkdir f.txt/x", |d| d.create_dir_at(b"f.txt/x")),
    ("rmdir a/empty", |d| d.remove_dir_at(b"a/empty")),
    ("rmdir a/empty/", |d| d.remove_dir_at(b"a/empty/")),
    ("rmdir a", |d| d.remove_dir_at(b"a")),
    ("rmdir f.txt", |d| d.remove_dir_at(b"f.txt")),
    ("rmdir f.txt/", |d| d.remove_dir_at(b"f.txt/")),
    ("rmdir link_a", |d| d.remove_dir_at(b"link_a")),
    ("rmdir missing", |d| d.remove_dir_at(b"missing")),
    ("rmdir .", |d| d.remove_dir_at(b".")),
    ("rmdir a/b/..", |d| d.remove_dir_at(b"a/b/..")),
    ("rmdir link_up/x", |d| d.remove_dir_at(b"link_up/x")),
    ("unlink f.txt", |d| d.unlink_at(b"f.txt")),
    ("unlink f.txt/", |d| d.unlink_at(b"f.txt/")),
    ("unlink a", |d| d.unlink_at(b"a")),
    ("unlink a/", |d| d.unlink_at(b"a/")),
    ("unlink link_a", |d| d.unlink_at(b"link_a")),
    ("unlink link_a/", |d| d.unlink_at(b"link_a/")),
    ("unlink link_f", |d| d.unlink_at(b"link_f")),
    ("unlink dangling", |d| d.unlink_at(b"dangling")),
    ("unlink missing", |d| d.unlink_at(b"missing")),
    ("unlink .", |d| d.unlink_at(b".")),
    ("unlink link_b/file.txt", |d| {
        d.unlink_at(b"link_b/file.txt")
    }),
    ("rename f.txt g.txt", |d| d.rename_at(b"f.txt", d, b"g.txt")),
    ("rename f.txt a/empty", |d| {
        d.rename_at(b"f.txt", d, b"a/empty")
    }),
    ("rename a/empty f.txt", |d| {
        d.rename_at(b"a/empty", d, b"f.txt")
    }),
    ("rename a a/b/x", |d| d.rename_at(b"a", d, b"a/b/x")),
    ("rename a/empty a/b", |d| d.rename_at(b"a/empty", d, b"a/b")),
    ("rename a/b a/empty", |d| d.rename_at(b"a/b", d, b"a/empty")),
    ("rename f.txt/ x", |d| d.rename_at(b"f.txt/", d, b"x")),
    ("rename f.txt x/", |d| d.rename_at(b"f.txt", d, b"x/")),
    ("rename a/empty/ x/", |d| d.rename_at(b"a/empty/", d, b"x/")),
    ("rename missing x", |d| d.rename_at(b"missing", d, b"x")),
    ("rename . x", |d| d.rename_at(b".", d, b"x")),
    ("rename link_f l2", |d| d.rename_at(b"link_f", d, b"l2")),
    ("rename f.txt link_up/x", |d| {
        d.rename_at(b"f.txt", d, b"link_up/x")
    }),
    ("rename link_a/b b2", |d| d.rename_at(b"link_a/b", d, b"b2")),
    ("rename f.txt f.txt", |d| d.rename_at(b"f.txt", d, b"f.txt")),
    ("rename f.txt link_f", |d| {
        d.rename_at(b"f.txt", d, b"link_f")
    }),
    ("symlink target newlink", |d| {
        d.symlink_at(b"target", b"newlink")
    }),
    ("symlink /abs newlink", |d| {
        d.symlink_at(b"/abs", b"newlink")
    }),
    ("symlink '' newlink", |d| d.symlink_at(b"", b"newlink")),
    ("symlink x f.txt", |d| d.symlink_at(b"x", b"f.txt")),
    ("symlink x new/", |d| d.symlink_at(b"x", b"new/")),
    ("symlink x f.txt/", |d| d.symlink_at(b"x", b"f.txt/")),
    ("symlink x link_up/new", |d| {
        d.symlink_at(b"x", b"link_up/new")
    }),
    ("symlink ../.. up2", |d| d.symlink_at(b"../..", b"up2")),
    ("create new", |d| {
        open_with(d, b"new", |o| {
            o.create = true;
            o.write = true;
        })
    }),
    ("create new/", |d| {
        open_with(d, b"new/", |o| {
            o.create = true;
            o.write = true;
        })
    }),
    ("create excl f.txt", |d| {
        open_with(d, b"f.txt", |o| {
            o.create = true;
            o.exclusive = true;
            o.write = true;
        })
    }),
    ("create excl link_f", |d| {
        open_with(d, b"link_f", |o| {
            o.create = true;
            o.exclusive = true;
            o.write = true;
        })
    }),
    ("create excl dangling", |d| {
        open_with(d, b"dangling", |o| {
            o.create = true;
            o.exclusive = true;
            o.write = true;
        })
    }),
    ("create dangling", |d| {
        open_with(d, b"dangling", |o| {
            o.create = true;
            o.write = true;
        })
    }),
    ("create a", |d| {
        open_with(d, b"a", |o| {
            o.create = true;
            o.read = true;
        })
    }),
    ("write a", |d| open_with(d, b"a", |o| o.write = true)),
    ("create a/.", |d| {
        open_with(d, b"a/.", |o| {
            o.create = true;
            o.read = true;
        })
    }),
    ("create excl a/.", |d| {
        open_with(d, b"a/.", |o| {
            o.create = true;
            o.exclusive = true;
            o.write = true;
        })
    }),
    ("create read-only new2", |d| {
        open_with(d, b"new2", |o| {
            o.create = true;
            o.read = true;
        })
    }),
    ("create neither new3", |d| {
        open_with(d, b"new3", |o| o.create = true)
    }),
    ("truncate f.txt", |d| {
        open_with(d, b"f.txt", |o| {
            o.truncate = true;
            o.write = true;
        })
    }),
    ("truncate read-only f.txt", |d| {
        open_with(d, b"f.txt", |o| {
            o.truncate = true;
            o.read = true;
        })
    }),
    ("append f.txt", |d| {
        open_with(d, b"f.txt", |o| o.append = true)
    }),
    ("append truncate f.txt", |d| {
        open_with(d, b"f.txt", |o| {
            o.append = true;
            o.truncate = true;
        })
    }),
    ("create link_up/new", |d| {
        open_with(d, b"link_up/new", |o| {
            o.create = true;
            o.write = true;
        })
    }),
    ("create chain_out1", |d| {
        open_with(d, b"chain_out1", |o| {
            o.create = true;
            o.write = true;
        })
    }),
    ("create directory flag", |d| {
        open_with(d, b"newd", |o| {
            o.create = true;
            o.directory = true;
        })
    }),
    ("write f.txt directory flag", |d| {
        open_with(d, b"f.txt", |o| {
            o.write = true;
            o.directory = true;
        })
    }),
    ("set_times f.txt", |d| {
        d.set_times_at(b"f.txt", true, TimeSpec::Now, TimeSpec::Set(5_000_000_000))
    }),
    ("set_times link_up", |d| {
        d.set_times_at(b"link_up", true, TimeSpec::Now, TimeSpec::Now)
    }),
];

#[test]
fn mutations_agree_between_backings() {
    let mut mismatches = Vec::new();
    for (name, op) in MUTATIONS {
        let host = HostFixture::new(LAYOUT);
        let before = host.snapshot();
        let hd = host.dir(Access::READ_WRITE_CREATE);
        let hr = op(&hd).map_err(FsError::kind);
        let hl = listing(&hd);
        for (mode, _vfs, vd) in vfs_dirs(LAYOUT, Access::READ_WRITE_CREATE) {
            let vr = op(vd.as_ref()).map_err(FsError::kind);
            if hr != vr {
                mismatches.push(format!("{name}: host {hr:?} virtual ({mode}) {vr:?}"));
                continue;
            }
            let vl = listing(vd.as_ref());
            if hl != vl {
                mismatches.push(format!(
                    "{name}: trees differ\n  host    {hl:?}\n  virtual ({mode}) {vl:?}"
                ));
            }
        }
        assert_eq!(
            before,
            host.snapshot(),
            "{name} changed the host outside the sandbox"
        );
    }
    assert!(
        mismatches.is_empty(),
        "backings disagree:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn read_only_handles_refuse_every_mutation() {
    let host = HostFixture::new(LAYOUT);
    let hd = host.dir(Access::READ_ONLY);
    let vds = vfs_dirs(LAYOUT, Access::READ_ONLY);
    let mut dirs: Vec<&dyn DirHandle> = vec![&hd];
    dirs.extend(vds.iter().map(|(_, _, d)| d.as_ref()));
    for d in dirs {
        let before = listing(d);
        for (name, op) in MUTATIONS {
            if let Ok(()) = op(d) {
                panic!("{name} succeeded through a read-only handle {d:?}");
            }
        }
        assert_eq!(before, listing(d));
    }
}

#[test]
fn inode_numbers_are_stable_and_distinct() {
    for (_, vfs, vd) in vfs_dirs(LAYOUT, Access::READ_WRITE_CREATE) {
        inode_numbers_of(&vfs, vd.as_ref());
    }
    // Host numbers are the host's.
    let host = HostFixture::new(LAYOUT);
    let hd = host.dir(Access::READ_ONLY);
    let st = hd.stat_at(b"f.txt", true).unwrap();
    let md = std::fs::metadata(host.root.join("f.txt")).unwrap();
    assert_eq!(st.ino, std::os::unix::fs::MetadataExt::ino(&md));
    assert_eq!(st.dev, std::os::unix::fs::MetadataExt::dev(&md));
    assert_eq!(st.nlink, 1);
}

fn inode_numbers_of(vfs: &wasi_fs_setup::VirtualFs, vd: &dyn DirHandle) {
    let a1 = vd.stat_at(b"a/b/file.txt", true).unwrap();
    let a2 = vd.stat_at(b"link_b/file.txt", true).unwrap();
    let f = vd.stat_at(b"f.txt", true).unwrap();
    assert_eq!(a1.ino, a2.ino);
    assert_ne!(a1.ino, f.ino);
    assert_eq!(a1.dev, vfs.dev());
    // A rename keeps the number; the old name is gone.
    vd.rename_at(b"a/b", vd, b"moved").unwrap();
    assert_eq!(vd.stat_at(b"moved/file.txt", true).unwrap().ino, a1.ino);
    // An open file reports the same number as a stat of its path.
    let Opened::File(mut file) = vd.open_at(b"f.txt", OpenFlags::READ).unwrap() else {
        panic!("f.txt is a file");
    };
    assert_eq!(file.stat().unwrap().ino, f.ino);
}

#[test]
fn file_handles_read_write_seek_pread_pwrite() {
    let host = HostFixture::new(LAYOUT);
    let hd = host.dir(Access::READ_WRITE_CREATE);
    let vds = vfs_dirs(LAYOUT, Access::READ_WRITE_CREATE);
    let mut dirs: Vec<&dyn DirHandle> = vec![&hd];
    dirs.extend(vds.iter().map(|(_, _, d)| d.as_ref()));
    for d in dirs {
        let o = OpenFlags {
            read: true,
            write: true,
            create: true,
            ..OpenFlags::default()
        };
        let Opened::File(mut f) = d.open_at(b"io.bin", o).unwrap() else {
            panic!("a file");
        };
        assert_eq!(f.write(b"hello world").unwrap(), 11);
        assert_eq!(f.seek(std::io::SeekFrom::Current(0)).unwrap(), 11);
        assert_eq!(f.pwrite(b"HELLO", 0).unwrap(), 5);
        assert_eq!(f.seek(std::io::SeekFrom::Current(0)).unwrap(), 11);
        let mut buf = [0u8; 5];
        assert_eq!(f.pread(&mut buf, 6).unwrap(), 5);
        assert_eq!(&buf, b"world");
        f.seek(std::io::SeekFrom::Start(0)).unwrap();
        let mut all = [0u8; 32];
        let n = f.read(&mut all).unwrap();
        assert_eq!(&all[..n], b"HELLO world");
        f.set_len(5).unwrap();
        assert_eq!(f.stat().unwrap().size, 5);
        f.set_times(TimeSpec::Omit, TimeSpec::Set(1_000_000_000))
            .unwrap();
        assert_eq!(f.stat().unwrap().mtim, 1_000_000_000);
        f.sync(true).unwrap();
        assert!(f.seek(std::io::SeekFrom::Current(-100)).is_err());
        // Append mode writes at the end whatever the position.
        f.set_append(true).unwrap();
        f.seek(std::io::SeekFrom::Start(0)).unwrap();
        f.write(b"!").unwrap();
        assert_eq!(f.stat().unwrap().size, 6);
        // A read-only handle cannot write.
        let Opened::File(mut r) = d.open_at(b"io.bin", OpenFlags::READ).unwrap() else {
            panic!("a file");
        };
        assert_eq!(r.write(b"x").unwrap_err().kind(), FsErrorKind::BadF);
    }
}

#[test]
fn cross_backing_rename_and_link_are_xdev() {
    let host = HostFixture::new(LAYOUT);
    let hd = host.dir(Access::READ_WRITE_CREATE);
    let mut vds = vfs_dirs(LAYOUT, Access::READ_WRITE_CREATE);
    let (_, _vfs2, vd2) = vds.pop().unwrap();
    let (_, _vfs, vd) = vds.pop().unwrap();
    assert_eq!(
        hd.rename_at(b"f.txt", vd.as_ref(), b"x")
            .unwrap_err()
            .kind(),
        FsErrorKind::XDev
    );
    assert_eq!(
        vd.rename_at(b"f.txt", &hd, b"x").unwrap_err().kind(),
        FsErrorKind::XDev
    );
    assert_eq!(
        vd.rename_at(b"f.txt", vd2.as_ref(), b"x")
            .unwrap_err()
            .kind(),
        FsErrorKind::XDev
    );
    assert_eq!(
        hd.link_at(b"f.txt", false, vd.as_ref(), b"x")
            .unwrap_err()
            .kind(),
        FsErrorKind::XDev
    );
    // Hard links work on the host and report nlink; mem_fs has none.
    hd.link_at(b"f.txt", false, &hd, b"f2.txt").unwrap();
    assert_eq!(hd.stat_at(b"f2.txt", true).unwrap().nlink, 2);
    hd.link_at(b"link_f", true, &hd, b"f3.txt").unwrap();
    assert_eq!(
        hd.stat_at(b"f3.txt", false).unwrap().filetype,
        FileType::RegularFile
    );
    assert_eq!(
        hd.link_at(b"a", false, &hd, b"a2").unwrap_err().kind(),
        FsErrorKind::Perm
    );
    assert_eq!(
        vd.link_at(b"f.txt", false, vd.as_ref(), b"f2.txt")
            .unwrap_err()
            .kind(),
        FsErrorKind::Unsupported
    );
}

/// Flag combinations POSIX and preview1 allow but `std`/cap-std refuse
/// (`O_TRUNC` with `O_APPEND` or without write, `O_CREAT` without write):
/// every backing opens them and does what they say.
#[test]
fn truncate_with_append_and_create_without_write_open() {
    let host = HostFixture::new(LAYOUT);
    let hd = host.dir(Access::READ_WRITE_CREATE);
    let vds = vfs_dirs(LAYOUT, Access::READ_WRITE_CREATE);
    let mut dirs: Vec<&dyn DirHandle> = vec![&hd];
    dirs.extend(vds.iter().map(|(_, _, d)| d.as_ref()));
    for d in dirs {
        for create in [false, true] {
            let seed = |d: &dyn DirHandle| {
                let Ok(Opened::File(mut f)) = d.open_at(
                    b"ta.txt",
                    flags(|f| {
                        f.read = false;
                        f.write = true;
                        f.create = true;
                        f.truncate = true;
                    }),
                ) else {
                    panic!("{d:?}: seed ta.txt");
                };
                f.write(b"0123456789").unwrap();
            };
            seed(d);
            // O_WRONLY | O_APPEND | O_TRUNC [| O_CREAT]: emptied, then appends.
            let opened = d.open_at(
                b"ta.txt",
                flags(|f| {
                    f.read = false;
                    f.write = true;
                    f.append = true;
                    f.truncate = true;
                    f.create = create;
                }),
            );
            let Ok(Opened::File(mut f)) = opened else {
                panic!("{d:?}: append+truncate (create {create}): {opened:?}");
            };
            assert_eq!(d.stat_at(b"ta.txt", true).unwrap().size, 0, "{d:?}");
            f.write(b"ab").unwrap();
            f.seek(std::io::SeekFrom::Start(0)).unwrap();
            f.write(b"cd").unwrap();
            assert_eq!(f.stat().unwrap().size, 4, "{d:?}: writes append");
            drop(f);
            // O_RDONLY | O_TRUNC: emptied, still readable.
            seed(d);
            let opened = d.open_at(
                b"ta.txt",
                flags(|f| {
                    f.read = true;
                    f.truncate = true;
                    f.create = create;
                }),
            );
            let Ok(Opened::File(mut f)) = opened else {
                panic!("{d:?}: read+truncate (create {create}): {opened:?}");
            };
            let mut buf = [0u8; 4];
            assert_eq!(f.read(&mut buf).unwrap(), 0, "{d:?}");
            d.unlink_at(b"ta.txt").unwrap();
        }
        // O_RDONLY | O_CREAT: created, empty, readable.
        let Ok(Opened::File(_)) = d.open_at(
            b"made.txt",
            flags(|f| {
                f.read = true;
                f.create = true;
            }),
        ) else {
            panic!("{d:?}: read+create");
        };
        assert_eq!(d.stat_at(b"made.txt", true).unwrap().size, 0, "{d:?}");
    }
}
