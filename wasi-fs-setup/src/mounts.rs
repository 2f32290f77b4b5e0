//! The mount table: where each preopen sits in the guest's namespace.
//!
//! The root is `/`. Each preopen is mounted at its guest path's components;
//! missing intermediate directories are synthesized (read-only, empty apart
//! from the mounts below them). Node ids are stable for the life of the world
//! and every node links to its parent. A mount node's stat comes from its
//! backing; a synthesized node's from the table itself (a directory on the
//! [`SYNTHETIC_DEV`] device whose ino is the node id). The inode numbers of
//! objects inside a preopen are not the table's: the host reports them, and a
//! virtual filesystem numbers its objects in its own inode map.
//!
//! [`MountTable::lookup`] walks a guest path with the resolver's walker (see
//! [`resolve`](fn@crate::resolve)), so `..` means what it means there: the parent,
//! and above the root an [`Escape`](crate::FsErrorKind::Escape) error.
//!
//! What the table does not do: serve guest path lookups. preview1 paths are
//! always relative to a directory fd, so resolution starts at a preopen's
//! backing, never at `/`; the synthesized root is not handed to the guest.

use std::collections::BTreeMap;

use crate::backing::{DirHandle, FileType, Filestat};
use crate::error::{FsError, FsErrorKind};
use crate::resolve::{Stack, Walk, Walker};

/// The device id of synthesized directories.
pub const SYNTHETIC_DEV: u64 = 0xffff_0000_0000_0000;

/// A stable node id in the mount table (the root is 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MountNodeId(u64);

impl MountNodeId {
    /// The root's id.
    pub const ROOT: MountNodeId = MountNodeId(1);

    /// The raw id.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// What a node is.
#[derive(Debug)]
pub enum MountNodeKind {
    /// A directory the table made up to reach a mount point.
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

/// One node of the mount table.
#[derive(Debug)]
pub struct MountNode {
    id: MountNodeId,
    name: Vec<u8>,
    parent: Option<MountNodeId>,
    kind: MountNodeKind,
    children: BTreeMap<Vec<u8>, MountNodeId>,
}

impl MountNode {
    /// The node's id.
    pub fn id(&self) -> MountNodeId {
        self.id
    }

    /// The node's name (empty for the root).
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The parent's id (`None` for the root).
    pub fn parent(&self) -> Option<MountNodeId> {
        self.parent
    }

    /// What the node is.
    pub fn kind(&self) -> &MountNodeKind {
        &self.kind
    }

    /// The children, by name.
    pub fn children(&self) -> &BTreeMap<Vec<u8>, MountNodeId> {
        &self.children
    }
}

/// Mounting failed: another preopen is already at that guest path.
#[derive(Debug, PartialEq, Eq)]
pub struct MountConflict;

/// The mount table.
#[derive(Debug)]
pub struct MountTable {
    nodes: Vec<MountNode>,
    created_ns: u64,
}

impl MountTable {
    /// A table with only a synthesized root; `created_ns` dates synthesized nodes.
    pub fn new(created_ns: u64) -> Self {
        MountTable {
            nodes: vec![MountNode {
                id: MountNodeId::ROOT,
                name: Vec::new(),
                parent: None,
                kind: MountNodeKind::Synthetic,
                children: BTreeMap::new(),
            }],
            created_ns,
        }
    }

    fn index(id: MountNodeId) -> usize {
        // Ids are handed out as index + 1, so this cannot underflow for ids of this table.
        (id.0 as usize).saturating_sub(1)
    }

    /// The node with `id`.
    pub fn get(&self, id: MountNodeId) -> Option<&MountNode> {
        self.nodes.get(Self::index(id))
    }

    /// Number of nodes, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the table has only its root.
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
    ) -> Result<MountNodeId, MountConflict> {
        let mut cur = MountNodeId::ROOT;
        for comp in components {
            let existing = self.nodes[Self::index(cur)].children.get(comp).copied();
            cur = match existing {
                Some(id) => id,
                None => {
                    let id = MountNodeId(self.nodes.len() as u64 + 1);
                    self.nodes.push(MountNode {
                        id,
                        name: comp.to_vec(),
                        parent: Some(cur),
                        kind: MountNodeKind::Synthetic,
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
        if let MountNodeKind::Mount { .. } = node.kind {
            return Err(MountConflict);
        }
        node.kind = MountNodeKind::Mount { preopen, dir };
        Ok(cur)
    }

    /// The node at an absolute guest path, walked as the resolver walks:
    /// empty and `.` components are skipped, `..` goes to the parent, and
    /// `..` at the root is [`Escape`](FsErrorKind::Escape); a name with no
    /// node is [`NotFound`](FsErrorKind::NotFound) (the table holds mount
    /// points and their parents, not what lies inside a preopen).
    pub fn lookup(&self, guest_path: &[u8]) -> Result<MountNodeId, FsError> {
        let mut st = Stack::new(&MountNodeId::ROOT);
        Walker::new(self).dirs(&mut st, guest_path)?;
        Ok(*st.top())
    }

    /// The child `name` of node `id`.
    fn child(&self, id: MountNodeId, name: &[u8]) -> Option<MountNodeId> {
        self.get(id)?.children.get(name).copied()
    }

    /// The deepest mount on `guest_path` and the rest of the path below it
    /// (empty when the path is the mount point itself).
    pub fn mount_for(&self, guest_path: &[u8]) -> Option<(MountNodeId, &dyn DirHandle, Vec<u8>)> {
        let comps: Vec<&[u8]> = guest_path
            .split(|b| *b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .collect();
        let mut cur = MountNodeId::ROOT;
        let mut best = None;
        let mut i = 0;
        loop {
            let node = self.get(cur)?;
            if let MountNodeKind::Mount { dir, .. } = &node.kind {
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
    pub fn path(&self, id: MountNodeId) -> Vec<u8> {
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
    pub fn stat(&self, id: MountNodeId) -> Result<Filestat, FsError> {
        let node = self
            .get(id)
            .ok_or_else(|| FsError::new(FsErrorKind::NotFound))?;
        match &node.kind {
            MountNodeKind::Mount { dir, .. } => dir.stat(),
            MountNodeKind::Synthetic => Ok(Filestat {
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
    pub fn nodes(&self) -> impl Iterator<Item = &MountNode> {
        self.nodes.iter()
    }
}

/// The table's nodes are directories with no symlinks among them: one-name
/// lookups for the resolver's walker.
impl Walk for MountTable {
    type Dir = MountNodeId;
    type Meta = FileType;

    fn kind(&self, dir: &MountNodeId, name: &[u8]) -> Result<Option<FileType>, FsError> {
        Ok(self.child(*dir, name).map(|_| FileType::Directory))
    }

    fn readlink(&self, _dir: &MountNodeId, _name: &[u8]) -> Result<Vec<u8>, FsError> {
        // `kind` never reports a symlink, so the walker never asks.
        Err(FsErrorKind::Inval.into())
    }

    fn descend(
        &self,
        dir: &MountNodeId,
        name: &[u8],
        _meta: FileType,
    ) -> Result<MountNodeId, FsError> {
        self.child(*dir, name)
            .ok_or_else(|| FsError::new(FsErrorKind::NotFound))
    }

    fn try_descend(&self, dir: &MountNodeId, name: &[u8]) -> Result<Option<MountNodeId>, FsError> {
        Ok(self.child(*dir, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backing::Access;
    use crate::backing::vfs::{SharedFileSystem, VirtualFs};
    use std::path::Path;
    use std::sync::Arc;

    fn dir() -> Box<dyn DirHandle> {
        let fs: SharedFileSystem = Arc::new(virtual_fs::TmpFileSystem::new());
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
        let mut t = MountTable::new(5);
        let a = t.mount(comps("/a/b/c"), 0, dir()).unwrap();
        let d = t.mount(comps("/a/d"), 1, dir()).unwrap();
        assert_eq!(t.len(), 5);
        assert_eq!(t.lookup(b"/a/b/c"), Ok(a));
        assert_eq!(t.lookup(b"/a/./d/"), Ok(d));
        assert_eq!(t.lookup(b"/a/d/../b/c"), Ok(a));
        assert_eq!(t.lookup(b"/").map(MountNodeId::get), Ok(1));
        // `..` above the root is the resolver's escape, not the root again.
        let kind = |p: &[u8]| t.lookup(p).map_err(FsError::kind);
        assert_eq!(kind(b"/../.."), Err(FsErrorKind::Escape));
        assert_eq!(kind(b"/a/../.."), Err(FsErrorKind::Escape));
        assert_eq!(kind(b"/x"), Err(FsErrorKind::NotFound));
        let b = t.lookup(b"/a/b").unwrap();
        assert_eq!(t.get(a).unwrap().parent(), Some(b));
        assert_eq!(t.path(a), b"/a/b/c");
        assert_eq!(t.path(MountNodeId::ROOT), b"/");
        assert!(matches!(t.get(b).unwrap().kind(), MountNodeKind::Synthetic));
        let st = t.stat(b).unwrap();
        assert_eq!(
            (st.dev, st.ino, st.filetype),
            (SYNTHETIC_DEV, b.get(), FileType::Directory)
        );
        assert_eq!(t.stat(a).unwrap().dev, 7);
    }

    #[test]
    fn same_path_twice_conflicts_but_parent_of_mount_can_mount() {
        let mut t = MountTable::new(0);
        t.mount(comps("/a/b"), 0, dir()).unwrap();
        assert_eq!(t.mount(comps("/a/b"), 1, dir()), Err(MountConflict));
        // "/a" was synthesized for "/a/b"; it can still become a mount.
        let a = t.mount(comps("/a"), 2, dir()).unwrap();
        assert!(matches!(
            t.get(a).unwrap().kind(),
            MountNodeKind::Mount { preopen: 2, .. }
        ));
        // The root can be a mount too.
        t.mount(comps("/"), 3, dir()).unwrap();
    }

    #[test]
    fn mount_for_picks_deepest() {
        let mut t = MountTable::new(0);
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
