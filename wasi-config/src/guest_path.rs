//! Guest paths: where a preopen appears inside the guest.

use std::fmt;

use crate::bytes::{ByteDisplay, has_nul};
use crate::error::GuestPathProblem;

/// A validated guest path: the name under which a preopened directory
/// appears to the guest.
///
/// The bytes are kept exactly as given (that is what `fd_prestat_dir_name`
/// reports), while equality compares the normalized components, so `data`,
/// `/data` and `/data/` name the same directory, and `/` and `.` both name
/// the root. A guest path never contains a nul byte or a `..` component and
/// is never empty.
#[derive(Clone)]
pub struct GuestPath {
    raw: Vec<u8>,
}

impl GuestPath {
    /// Validates `raw` as a guest path.
    ///
    /// ```
    /// use wasi_config::GuestPath;
    /// assert_eq!(GuestPath::new("/data").unwrap(), GuestPath::new("data/").unwrap());
    /// assert!(GuestPath::new("a/../b").is_err());
    /// ```
    pub fn new(raw: impl crate::AsBytes) -> Result<Self, GuestPathProblem> {
        let raw = raw.as_bytes();
        check_relative_path(raw)?;
        Ok(GuestPath { raw: raw.to_vec() })
    }

    /// The path exactly as given.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The normalized components: empty and `.` components are skipped; the
    /// root has none.
    pub fn components(&self) -> impl Iterator<Item = &[u8]> + Clone {
        normalized_components(&self.raw)
    }

    /// Whether this path names the guest root (`/`, `.`, `./` ...).
    pub fn is_root(&self) -> bool {
        self.components().next().is_none()
    }
}

/// Components of a `/`-separated path, skipping empty and `.` components.
pub(crate) fn normalized_components(raw: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    raw.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
}

/// The rules shared by guest paths and paths inside virtual filesystems.
pub(crate) fn check_relative_path(raw: &[u8]) -> Result<(), GuestPathProblem> {
    if raw.is_empty() {
        return Err(GuestPathProblem::Empty);
    }
    if has_nul(raw) {
        return Err(GuestPathProblem::Nul);
    }
    if raw.split(|&b| b == b'/').any(|c| c == b"..") {
        return Err(GuestPathProblem::ParentComponent);
    }
    Ok(())
}

impl PartialEq for GuestPath {
    fn eq(&self, other: &Self) -> bool {
        self.components().eq(other.components())
    }
}

impl Eq for GuestPath {}

impl std::hash::Hash for GuestPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for c in self.components() {
            state.write_usize(c.len());
            state.write(c);
        }
    }
}

impl fmt::Display for GuestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&ByteDisplay(&self.raw), f)
    }
}

impl fmt::Debug for GuestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GuestPath({:?})", ByteDisplay(&self.raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_and_trailing_slashes_do_not_matter() {
        let a = GuestPath::new("data").unwrap();
        let b = GuestPath::new("/data").unwrap();
        let c = GuestPath::new("/data/").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.as_bytes(), b"data");
        assert_eq!(b.as_bytes(), b"/data");
    }

    #[test]
    fn root_forms() {
        for r in ["/", ".", "./", "//"] {
            assert!(GuestPath::new(r).unwrap().is_root(), "{r}");
        }
        assert!(!GuestPath::new("/a").unwrap().is_root());
    }

    #[test]
    fn rejected_forms() {
        assert_eq!(GuestPath::new("").unwrap_err(), GuestPathProblem::Empty);
        assert_eq!(GuestPath::new("a\0b").unwrap_err(), GuestPathProblem::Nul);
        assert_eq!(
            GuestPath::new("/a/../b").unwrap_err(),
            GuestPathProblem::ParentComponent
        );
        assert_eq!(
            GuestPath::new("..").unwrap_err(),
            GuestPathProblem::ParentComponent
        );
        assert!(GuestPath::new("a..b").is_ok());
    }
}
