//! Shared fixtures: one layout built on a host temp dir and in a `TmpFileSystem`,
//! a canary outside the host preopen, and snapshots of everything outside.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use virtual_fs::{AsyncWriteExt, FileSystem, TmpFileSystem};
use wasi_fs_setup::{Access, DirHandle, HostDir, SharedFileSystem, VirtualFs, World};

/// One entry of a layout.
#[derive(Clone, Copy, Debug)]
pub enum Node {
    Dir,
    File(&'static str),
    Link(&'static str),
}

/// The layout both backings get in the parity matrix.
pub const LAYOUT: &[(&str, Node)] = &[
    ("a", Node::Dir),
    ("a/b", Node::Dir),
    ("a/b/file.txt", Node::File("hello")),
    ("a/empty", Node::Dir),
    ("f.txt", Node::File("top")),
    ("link_f", Node::Link("f.txt")),
    ("link_a", Node::Link("a")),
    ("link_b", Node::Link("a/b")),
    ("link_up", Node::Link("..")),
    ("link_abs", Node::Link("/etc")),
    ("a/link_up_ok", Node::Link("../f.txt")),
    ("a/b/link_upup", Node::Link("../../f.txt")),
    ("a/b/link_out", Node::Link("../../../x")),
    ("loop1", Node::Link("loop2")),
    ("loop2", Node::Link("loop1")),
    ("self", Node::Link("self")),
    ("dangling", Node::Link("nothing")),
    ("chain1", Node::Link("chain2")),
    ("chain2", Node::Link("chain3")),
    ("chain3", Node::Link("a/b/file.txt")),
    ("chain_out1", Node::Link("chain_out2")),
    ("chain_out2", Node::Link("a/b/link_out")),
    ("link_dot", Node::Link(".")),
    ("link_slash", Node::Link("a/")),
    ("link_f_slash", Node::Link("f.txt/")),
    ("a/b/link_dotdot", Node::Link("..")),
];

pub fn build_host(root: &Path, layout: &[(&str, Node)]) {
    std::fs::create_dir_all(root).unwrap();
    for (path, node) in layout {
        let p = root.join(path);
        match node {
            Node::Dir => std::fs::create_dir(&p).unwrap(),
            Node::File(c) => std::fs::write(&p, c).unwrap(),
            Node::Link(t) => std::os::unix::fs::symlink(t, &p).unwrap(),
        }
    }
}

pub fn build_vfs(fs: &dyn FileSystem, base: &Path, layout: &[(&str, Node)]) {
    let mut cur = PathBuf::from("/");
    for c in base.components().skip(1) {
        cur.push(c);
        let _ = fs.create_dir(&cur);
    }
    for (path, node) in layout {
        let p = base.join(path);
        match node {
            Node::Dir => fs.create_dir(&p).unwrap(),
            Node::File(c) => {
                let mut f = fs
                    .new_open_options()
                    .write(true)
                    .create_new(true)
                    .open(&p)
                    .unwrap();
                futures::executor::block_on(f.write_all(c.as_bytes())).unwrap();
            }
            Node::Link(t) => fs.create_symlink(Path::new(t), &p).unwrap(),
        }
    }
}

/// A host temp dir holding `sandbox/` (the preopen) and `outside/secret.txt` (the canary).
pub struct HostFixture {
    pub tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub outside: PathBuf,
}

pub const SECRET: &str = "TOP SECRET";

impl HostFixture {
    pub fn new(layout: &[(&str, Node)]) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("sandbox");
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("secret.txt"), SECRET).unwrap();
        build_host(&root, layout);
        HostFixture { tmp, root, outside }
    }

    pub fn dir(&self, access: Access) -> HostDir {
        HostDir::open(&self.root, access).unwrap()
    }

    /// Everything outside the sandbox: type, contents or link target, and mtime.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        let mut out = BTreeMap::new();
        walk(self.tmp.path(), &self.root, &mut out);
        out
    }

    /// A world whose fd 3 is the sandbox with `perms`.
    pub fn world(&self, perms: wasi_config::Permissions) -> World {
        let mut b = wasi_config::ConfigBuilder::new("test");
        b.preopen(
            wasi_config::PreopenSpec::host(&self.root)
                .guest_path("/sandbox")
                .permissions(perms),
        );
        World::new(&b.validate().unwrap()).unwrap()
    }
}

fn walk(dir: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p == skip {
            continue;
        }
        let md = std::fs::symlink_metadata(&p).unwrap();
        let desc = if md.file_type().is_symlink() {
            format!("link {:?}", std::fs::read_link(&p).unwrap())
        } else if md.is_dir() {
            walk(&p, skip, out);
            "dir".to_string()
        } else {
            format!(
                "file {:?} mtime {:?} nlink {}",
                std::fs::read(&p).unwrap(),
                md.modified().unwrap(),
                std::os::unix::fs::MetadataExt::nlink(&md)
            )
        };
        out.insert(p, desc);
    }
}

/// The same layout in a fresh `TmpFileSystem` under `/sandbox`, with
/// `/outside/secret.txt` beside it, walked one component at a time.
pub fn vfs_dir(layout: &[(&str, Node)], access: Access) -> (Arc<VirtualFs>, Box<dyn DirHandle>) {
    let shared: SharedFileSystem = Arc::new(TmpFileSystem::new());
    populate(VirtualFs::new("sandbox", shared, 99), layout, access)
}

/// The same, on an in-memory filesystem this crate created (one-lookup fast path).
pub fn vfs_dir_fast(
    layout: &[(&str, Node)],
    access: Access,
) -> (Arc<VirtualFs>, Box<dyn DirHandle>) {
    populate(VirtualFs::in_memory("sandbox", 98), layout, access)
}

/// Both virtual variants, labelled.
pub fn vfs_dirs(
    layout: &[(&str, Node)],
    access: Access,
) -> Vec<(&'static str, Arc<VirtualFs>, Box<dyn DirHandle>)> {
    let (a, ad) = vfs_dir(layout, access);
    let (b, bd) = vfs_dir_fast(layout, access);
    vec![("walked", a, ad), ("fast", b, bd)]
}

fn populate(
    vfs: Arc<VirtualFs>,
    layout: &[(&str, Node)],
    access: Access,
) -> (Arc<VirtualFs>, Box<dyn DirHandle>) {
    let fs: &dyn FileSystem = &**vfs.filesystem();
    build_vfs(fs, Path::new("/sandbox"), layout);
    build_vfs(
        fs,
        Path::new("/outside"),
        &[("secret.txt", Node::File(SECRET))],
    );
    let dir = vfs.open_dir(Path::new("/sandbox"), access).unwrap();
    (vfs, Box::new(dir))
}
