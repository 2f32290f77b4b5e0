//! proptest: resolution of random token paths over random symlinks agrees with
//! a small, independent reference resolver, and the two backings agree with
//! each other on the same random trees.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use virtual_fs::{FileSystem, TmpFileSystem};
use wasi_fs_setup::{
    Access, DirHandle, FileType, FsError, FsErrorKind, HostDir, OpenFlags, Opened,
    SharedFileSystem, VirtualFs,
};

#[derive(Clone, Debug)]
enum M {
    Dir,
    File,
    Link(String),
}

/// The reference model: entries by their components below the preopen.
#[derive(Clone, Debug)]
struct Model {
    entries: BTreeMap<Vec<String>, M>,
}

const TOKENS: &[&str] = &[
    ".", "..", "a", "b", "c", "f", "g", "l0", "l1", "l2", "l3", "",
];

fn token_path(max: usize) -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(TOKENS), 0..max),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(toks, lead, trail)| {
            let mut s = String::new();
            if lead {
                s.push('/');
            }
            s.push_str(&toks.join("/"));
            if trail {
                s.push('/');
            }
            s
        })
}

fn model() -> impl Strategy<Value = Model> {
    let dirs: [&[&str]; 4] = [&[], &["a"], &["a", "b"], &["c"]];
    prop::collection::vec((prop::sample::select(dirs.to_vec()), token_path(5)), 0..5).prop_map(
        |links| {
            let mut entries = BTreeMap::new();
            for d in [&["a"][..], &["a", "b"], &["c"]] {
                entries.insert(d.iter().map(|s| s.to_string()).collect::<Vec<_>>(), M::Dir);
            }
            for f in [&["f"][..], &["a", "g"], &["a", "b", "f"]] {
                entries.insert(f.iter().map(|s| s.to_string()).collect::<Vec<_>>(), M::File);
            }
            for (i, (dir, target)) in links.into_iter().enumerate() {
                let mut p: Vec<String> = dir.iter().map(|s| s.to_string()).collect();
                p.push(format!("l{i}"));
                // Linux cannot store an empty target.
                let target = if target.is_empty() {
                    ".".to_string()
                } else {
                    target
                };
                entries.insert(p, M::Link(target));
            }
            Model { entries }
        },
    )
}

#[derive(Clone, Copy)]
enum Role {
    Walk,
    Final { dir_required: bool },
}

/// Splits a path into queue items: every component a directory step, except a
/// last name, which is final. A path ending in `.` or `..` has no final item.
fn plan(path: &str, dir_required: bool) -> Vec<(String, Role)> {
    let trailing = path.ends_with('/');
    let trimmed = path.trim_end_matches('/');
    let comps: Vec<&str> = trimmed.split('/').collect();
    let last = comps.last().copied().unwrap_or("");
    let final_name = !(last == "." || last == ".." || last.is_empty());
    let mut out: Vec<(String, Role)> = comps.iter().map(|c| (c.to_string(), Role::Walk)).collect();
    if final_name && let Some(item) = out.last_mut() {
        item.1 = Role::Final {
            dir_required: trailing || dir_required,
        };
    }
    out
}

type RefResult = Result<(Vec<String>, Option<FileType>), FsErrorKind>;

fn reference(m: &Model, path: &str, follow: bool) -> RefResult {
    if path.is_empty() {
        return Err(FsErrorKind::NotFound);
    }
    if path.starts_with('/') {
        return Err(FsErrorKind::Escape);
    }
    let mut cur: Vec<String> = Vec::new();
    let mut hops = 0;
    let mut queue: VecDeque<(String, Role)> = plan(path, false).into();
    let mut read_link = |t: &str| -> Result<(), FsErrorKind> {
        hops += 1;
        if hops > 40 {
            return Err(FsErrorKind::Loop);
        }
        if t.is_empty() {
            return Err(FsErrorKind::NotFound);
        }
        if t.starts_with('/') {
            return Err(FsErrorKind::Escape);
        }
        Ok(())
    };
    while let Some((c, role)) = queue.pop_front() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                if cur.pop().is_none() {
                    return Err(FsErrorKind::Escape);
                }
                continue;
            }
            _ => {}
        }
        let mut full = cur.clone();
        full.push(c.clone());
        match (m.entries.get(&full), role) {
            (None, Role::Walk) => return Err(FsErrorKind::NotFound),
            (Some(M::Dir), Role::Walk) => cur = full,
            (Some(M::File), Role::Walk) => return Err(FsErrorKind::NotDir),
            (Some(M::Link(t)), Role::Walk) => {
                read_link(t)?;
                for item in t.split('/').rev() {
                    queue.push_front((item.to_string(), Role::Walk));
                }
            }
            (None, Role::Final { .. }) => return Ok((full, None)),
            (Some(M::Dir), Role::Final { .. }) => return Ok((full, Some(FileType::Directory))),
            (Some(M::File), Role::Final { dir_required }) => {
                return if dir_required {
                    Err(FsErrorKind::NotDir)
                } else {
                    Ok((full, Some(FileType::RegularFile)))
                };
            }
            (Some(M::Link(t)), Role::Final { dir_required }) => {
                if !(follow || dir_required) {
                    return Ok((full, Some(FileType::SymbolicLink)));
                }
                read_link(t)?;
                for item in plan(t, dir_required).into_iter().rev() {
                    queue.push_front(item);
                }
            }
        }
    }
    Ok((cur, Some(FileType::Directory)))
}

/// The model in an in-memory filesystem under `/p`: walked one component at a
/// time (`fast == false`) or on a filesystem this crate created (one-lookup fast path).
fn build_vfs(m: &Model, fast: bool) -> Box<dyn DirHandle> {
    let vfs = if fast {
        VirtualFs::in_memory("t", 1)
    } else {
        let shared: SharedFileSystem = Arc::new(TmpFileSystem::new());
        VirtualFs::new("t", shared, 1)
    };
    let fs: &dyn FileSystem = &**vfs.filesystem();
    fs.create_dir(Path::new("/p")).unwrap();
    fs.create_dir(Path::new("/outside")).unwrap();
    for (path, node) in &m.entries {
        let p = Path::new("/p").join(path.join("/"));
        match node {
            M::Dir => fs.create_dir(&p).unwrap(),
            M::File => {
                fs.new_open_options()
                    .write(true)
                    .create(true)
                    .open(&p)
                    .unwrap();
            }
            M::Link(t) => fs.create_symlink(Path::new(t), &p).unwrap(),
        }
    }
    Box::new(vfs.open_dir(Path::new("/p"), Access::READ_ONLY).unwrap())
}

fn build_host(m: &Model) -> (tempfile::TempDir, HostDir) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("p");
    std::fs::create_dir(&root).unwrap();
    for (path, node) in &m.entries {
        let p = root.join(path.join("/"));
        match node {
            M::Dir => std::fs::create_dir(&p).unwrap(),
            M::File => std::fs::write(&p, "").unwrap(),
            M::Link(t) => std::os::unix::fs::symlink(t, &p).unwrap(),
        }
    }
    let dir = HostDir::open(&root, Access::READ_ONLY).unwrap();
    (tmp, dir)
}

fn as_ref_result(r: Result<wasi_fs_setup::Resolved, FsError>) -> RefResult {
    r.map(|r| {
        (
            r.components()
                .map(|c| String::from_utf8(c.to_vec()).unwrap())
                .collect(),
            r.filetype(),
        )
    })
    .map_err(FsError::kind)
}

fn outcome(d: &dyn DirHandle, path: &str) -> Vec<Result<String, FsErrorKind>> {
    let p = path.as_bytes();
    let st = |follow| {
        d.stat_at(p, follow)
            .map(|s| format!("{:?}", s.filetype))
            .map_err(FsError::kind)
    };
    let open = match d.open_at(p, OpenFlags::READ) {
        Ok(Opened::Dir(_)) => Ok("dir".to_string()),
        Ok(Opened::File(_)) => Ok("file".to_string()),
        Err(e) => Err(e.kind()),
    };
    let res = |follow| {
        d.resolve(p, follow)
            .map(|r| format!("{:?}", r))
            .map_err(FsError::kind)
    };
    vec![st(true), st(false), open, res(true), res(false)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn virtual_resolution_matches_reference(m in model(), paths in prop::collection::vec(token_path(8), 1..8)) {
        for fast in [false, true] {
        let d = build_vfs(&m, fast);
        for path in &paths {
            for follow in [true, false] {
                let got = as_ref_result(d.resolve(path.as_bytes(), follow));
                let want = reference(&m, path, follow);
                prop_assert_eq!(&got, &want, "path {:?} follow {} in {:?}", path, follow, m);
                // Whatever resolves lies inside: no component climbs or is empty.
                if let Ok((comps, _)) = &got {
                    prop_assert!(comps.iter().all(|c| !c.is_empty() && c != "." && c != ".."));
                }
            }
        }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn host_and_virtual_agree_on_random_trees(m in model(), paths in prop::collection::vec(token_path(8), 1..16)) {
        let (_tmp, h) = build_host(&m);
        for fast in [false, true] {
            let v = build_vfs(&m, fast);
            for path in &paths {
                prop_assert_eq!(outcome(&h, path), outcome(v.as_ref(), path), "path {:?} fast {} in {:?}", path, fast, m);
            }
        }
    }
}
