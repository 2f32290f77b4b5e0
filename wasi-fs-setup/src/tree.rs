//! The inode tree: where each preopen sits in the guest's namespace.
//!
//! The root is `/`. Each preopen is mounted at its guest path's components;
//! missing intermediate directories are synthesized (read-only, empty apart
//! from the mounts below them). Inode ids are stable for the life of the world
//! and every node links to its parent. A mount node's stat comes from its
//! backing; a synthesized node's from the tree itself (a directory on the
//! [`SYNTHETIC_DEV`] device whose ino is the node id).
//!
//! What the tree does not do: serve guest path lookups. preview1 paths are
//! always relative to a directory fd, so resolution starts at a preopen's
//! backing, never at `/`; the synthesized root is not handed to the guest.

use std::collections::BTreeMap;

use crate::backing::{DirHandle, FileType, Filestat};
use crate::error::FsError;

/// The device id of synthesized directories.
pub const SYNTHETIC_DEV: u64 = 0xffff_0000_0000_0000;

/// A stable node id in the inode tree (the root is 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InodeId(u64);

impl InodeId {
    /// The root's id.
    pub const ROOT: InodeId = InodeId(1);

    /// The raw id.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// What a node is.
#[derive(Debug)]
pub enum NodeKind {
    /// A directory the tree made up to reach a mount point.
    Synthetic,
    /// A preopen's directory.
    Mount {
        /// The preopen's position in the configuration.
        preopen: usize,
        /// A full-access handle on the preopen's directory (for stat and setup
        /// hooks; guests get their own, permission-limited handle).
        dir: Box<dyn DirHandle>,
    },
}

/// One node of the tree.
#[derive(Debug)]
pub struct Node {
    id: InodeId,
    name: Vec<u8>,
    parent: Option<InodeId>,
    kind: NodeKind,
    children: BTreeMap<Vec<u8>, InodeId>,
}

impl Node {
    /// The node's id.
    pub fn id(&self) -> InodeId {
        self.id
    }

    /// The node's name (empty for the root).
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The parent's id (`None` for the root).
    pub fn parent(&self) -> Option<InodeId> {
        self.parent
    }

    /// What the node is.
    pub fn kind(&self) -> &NodeKind {
        &self.kind
    }

    /// The children, by name.
    pub fn children(&self) -> &BTreeMap<Vec<u8>, InodeId> {
        &self.children
    }
}

/// Mounting failed: another preopen is already at that guest path.
#[derive(Debug, PartialEq, Eq)]
pub struct MountConflict;

/// The inode tree.
#[derive(Debug)]
pub struct InodeTree {
    nodes: Vec<Node>,
    created_ns: u64,
}

impl InodeTree {
    /// A tree with only a synthesized root; `created_ns` dates synthesized nodes.
    pub fn new(created_ns: u64) -> Self {
        InodeTree {
            nodes: vec![Node {
                id: InodeId::ROOT,
                name: Vec::new(),
                parent: None,
                kind: NodeKind::Synthetic,
                children: BTreeMap::new(),
            }],
            created_ns,
        }
    }

    fn index(id: InodeId) -> usize {
        // Ids are handed out as index + 1, so this cannot underflow for ids of this tree.
        (id.0 as usize).saturating_sub(1)
    }

    /// The node with `id`.
    pub fn get(&self, id: InodeId) -> Option<&Node> {
        self.nodes.get(Self::index(id))
    }

    /// Number of nodes, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree has only its root.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 1
    }

    /// Mounts `dir` (preopen number `preopen`) at the path made of `components`,
    /// synthesizing missing intermediate directories.
    pub fn mount<'a>(
        &mut self,
        components: impl IntoIterator<Item = &'a [u8]>,
        preopen: usize,
        dir: Box<dyn DirHandle>,
    ) -> Result<InodeId, MountConflict> {
        let mut cur = InodeId::ROOT;
        for comp in components {
            let existing = self.nodes[Self::index(cur)].children.get(comp).copied();
            cur = match existing {
                Some(id) => id,
                None => {
                    let id = InodeId(self.nodes.len() as u64 + 1);
                    self.nodes.push(Node {
                        id,
                        name: comp.to_vec(),
                        parent: Some(cur),
                        kind: NodeKind::Synthetic,
                        children: BTreeMap::new(),
                    });
                    self.nodes[Self::index(cur)]
                        .children
                        .insert(comp.to_vec(), id);
                    id
                }
            };
        }
        let node = &mut self.nodes[Self::index(cur)];
        if let NodeKind::Mount { .. } = node.kind {
            return Err(MountConflict);
        }
        node.kind = NodeKind::Mount { preopen, dir };
        Ok(cur)
    }

    /// The node at an absolute guest path (`.` and empty components skipped,
    /// `..` goes to the parent, the root's parent is the root).
    pub fn lookup(&self, guest_path: &[u8]) -> Option<InodeId> {
        let mut cur = InodeId::ROOT;
        for comp in guest_path.split(|b| *b == b'/') {
            match comp {
                b"" | b"." => {}
                b".." => cur = self.get(cur)?.parent.unwrap_or(InodeId::ROOT),
                name => cur = *self.get(cur)?.children.get(name)?,
            }
        }
        Some(cur)
    }

    /// The deepest mount on `guest_path` and the rest of the path below it
    /// (empty when the path is the mount point itself).
    pub fn mount_for(&self, guest_path: &[u8]) -> Option<(InodeId, &dyn DirHandle, Vec<u8>)> {
        let comps: Vec<&[u8]> = guest_path
            .split(|b| *b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .collect();
        let mut cur = InodeId::ROOT;
        let mut best = None;
        let mut i = 0;
        loop {
            let node = self.get(cur)?;
            if let NodeKind::Mount { dir, .. } = &node.kind {
                best = Some((cur, dir.as_ref(), i));
            }
            let Some(next) = comps.get(i).and_then(|c| node.children.get(*c)) else {
                break;
            };
            cur = *next;
            i += 1;
        }
        let (id, dir, depth) = best?;
        Some((id, dir, comps[depth..].join(&b'/')))
    }

    /// The absolute guest path of a node.
    pub fn path(&self, id: InodeId) -> Vec<u8> {
        let mut names = Vec::new();
        let mut cur = self.get(id);
        while let Some(n) = cur {
            if n.parent.is_some() {
                names.push(n.name.as_slice());
            }
            cur = n.parent.and_then(|p| self.get(p));
        }
        names.reverse();
        let mut out = b"/".to_vec();
        out.extend_from_slice(&names.join(&b'/'));
        out
    }

    /// Stat of a node: from the backing for mounts, synthesized otherwise.
    pub fn stat(&self, id: InodeId) -> Result<Filestat, FsError> {
        let node = self
            .get(id)
            .ok_or_else(|| FsError::new(crate::FsErrorKind::NotFound))?;
        match &node.kind {
            NodeKind::Mount { dir, .. } => dir.stat(),
            NodeKind::Synthetic => Ok(Filestat {
                dev: SYNTHETIC_DEV,
                ino: id.0,
                filetype: FileType::Directory,
                nlink: 2,
                size: 0,
                atim: self.created_ns,
                mtim: self.created_ns,
                ctim: self.created_ns,
            }),
        }
    }

    /// Every node, root first, parents before children.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backing::Access;
    use crate::backing::vfs::VirtualFs;
    use std::path::Path;
    use std::sync::Arc;

    fn dir() -> Box<dyn DirHandle> {
        let fs: crate::backing::vfs::SharedFileSystem = Arc::new(virtual_fs::TmpFileSystem::new());
        let v = VirtualFs::new("t", fs, 7);
        Box::new(v.open_dir(Path::new("/"), Access::READ_ONLY).unwrap())
    }

    fn comps(p: &str) -> Vec<&[u8]> {
        p.split('/')
            .filter(|c| !c.is_empty())
            .map(str::as_bytes)
            .collect()
    }

    #[test]
    fn mounts_synthesize_parents_with_stable_ids() {
        let mut t = InodeTree::new(5);
        let a = t.mount(comps("/a/b/c"), 0, dir()).unwrap();
        let d = t.mount(comps("/a/d"), 1, dir()).unwrap();
        assert_eq!(t.len(), 5);
        assert_eq!(t.lookup(b"/a/b/c"), Some(a));
        assert_eq!(t.lookup(b"/a/./d/"), Some(d));
        assert_eq!(t.lookup(b"/a/d/../b/c"), Some(a));
        assert_eq!(t.lookup(b"/../.."), Some(InodeId::ROOT));
        assert_eq!(t.lookup(b"/x"), None);
        let b = t.lookup(b"/a/b").unwrap();
        assert_eq!(t.get(a).unwrap().parent(), Some(b));
        assert_eq!(t.path(a), b"/a/b/c");
        assert_eq!(t.path(InodeId::ROOT), b"/");
        assert!(matches!(t.get(b).unwrap().kind(), NodeKind::Synthetic));
        let st = t.stat(b).unwrap();
        assert_eq!(
            (st.dev, st.ino, st.filetype),
            (SYNTHETIC_DEV, b.get(), FileType::Directory)
        );
        assert_eq!(t.stat(a).unwrap().dev, 7);
    }

    #[test]
    fn same_path_twice_conflicts_but_parent_of_mount_can_mount() {
        let mut t = InodeTree::new(0);
        t.mount(comps("/a/b"), 0, dir()).unwrap();
        assert_eq!(t.mount(comps("/a/b"), 1, dir()), Err(MountConflict));
        // "/a" was synthesized for "/a/b"; it can still become a mount.
        let a = t.mount(comps("/a"), 2, dir()).unwrap();
        assert!(matches!(
            t.get(a).unwrap().kind(),
            NodeKind::Mount { preopen: 2, .. }
        ));
        // The root can be a mount too.
        t.mount(comps("/"), 3, dir()).unwrap();
    }

    #[test]
    fn mount_for_picks_deepest() {
        let mut t = InodeTree::new(0);
        let a = t.mount(comps("/a"), 0, dir()).unwrap();
        let ab = t.mount(comps("/a/b"), 1, dir()).unwrap();
        let (id, _, rest) = t.mount_for(b"/a/b/x/y").unwrap();
        assert_eq!((id, rest.as_slice()), (ab, &b"x/y"[..]));
        let (id, _, rest) = t.mount_for(b"/a/c").unwrap();
        assert_eq!((id, rest.as_slice()), (a, &b"c"[..]));
        let (id, _, rest) = t.mount_for(b"/a").unwrap();
        assert_eq!((id, rest.as_slice()), (a, &b""[..]));
        assert!(t.mount_for(b"/z").is_none());
    }
}
