//! The encoded tables the `args_*` and `environ_*` syscalls copy out.

use std::fmt;

/// A table of nul-terminated byte strings laid out back to back, with the
/// offset of each, exactly as `args_get` / `environ_get` copy them into
/// guest memory (pointer = guest buffer base + offset).
///
/// Only a validated [`Config`](crate::Config) builds one, so the count and
/// total size always fit in `u32`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct EncodedStrings {
    bytes: Vec<u8>,
    offsets: Vec<u32>,
}

impl EncodedStrings {
    pub(crate) fn from_parts(bytes: Vec<u8>, offsets: Vec<u32>) -> Self {
        debug_assert!(u32::try_from(bytes.len()).is_ok());
        EncodedStrings { bytes, offsets }
    }

    /// Number of strings (what `*_sizes_get` reports as the count).
    pub fn count(&self) -> u32 {
        // Validation bounds the count by `u32::MAX`.
        self.offsets.len() as u32
    }

    /// Total size in bytes, nul terminators included (what `*_sizes_get`
    /// reports as the buffer size).
    pub fn buf_size(&self) -> u32 {
        // Validation bounds the size by `u32::MAX`.
        self.bytes.len() as u32
    }

    /// All strings back to back, each followed by a nul byte.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The offset of each string's first byte within [`bytes`](Self::bytes).
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// The `index`-th string, without its nul terminator.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let start = *self.offsets.get(index)? as usize;
        let end = self
            .offsets
            .get(index + 1)
            .map_or(self.bytes.len(), |&o| o as usize);
        self.bytes.get(start..end.saturating_sub(1))
    }

    /// The strings in order, without nul terminators.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.offsets.len()).map(move |i| self.get(i).unwrap_or_default())
    }
}

impl fmt::Debug for EncodedStrings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the contents: environ holds secrets.
        f.debug_struct("EncodedStrings")
            .field("count", &self.offsets.len())
            .field("buf_size", &self.bytes.len())
            .finish()
    }
}
