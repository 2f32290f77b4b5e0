//! Byte-exact inputs and lossless display of byte strings.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

/// Anything that can be viewed as raw bytes without conversion.
///
/// Implemented for strings, byte slices and vectors, and OS strings (through
/// [`OsStr::as_encoded_bytes`], which on unix is the exact byte sequence the
/// OS gave). Arguments, env keys and values, and guest paths are taken
/// through this trait so that nothing is ever converted lossily.
pub trait AsBytes {
    /// The bytes, exactly as given.
    fn as_bytes(&self) -> &[u8];
}

macro_rules! as_bytes_via {
    ($($t:ty => |$s:ident| $e:expr;)*) => {$(
        impl AsBytes for $t {
            fn as_bytes(&self) -> &[u8] {
                let $s = self;
                $e
            }
        }
    )*};
}

as_bytes_via! {
    str => |s| str::as_bytes(s);
    String => |s| str::as_bytes(s);
    [u8] => |s| s;
    Vec<u8> => |s| s;
    OsStr => |s| s.as_encoded_bytes();
    OsString => |s| s.as_encoded_bytes();
    Path => |s| s.as_os_str().as_encoded_bytes();
    PathBuf => |s| s.as_os_str().as_encoded_bytes();
    Cow<'_, str> => |s| str::as_bytes(s);
    Cow<'_, [u8]> => |s| s;
    Cow<'_, OsStr> => |s| s.as_encoded_bytes();
}

impl<const N: usize> AsBytes for [u8; N] {
    fn as_bytes(&self) -> &[u8] {
        self
    }
}

impl<T: AsBytes + ?Sized> AsBytes for &T {
    fn as_bytes(&self) -> &[u8] {
        (**self).as_bytes()
    }
}

impl<T: AsBytes + ?Sized> AsBytes for &mut T {
    fn as_bytes(&self) -> &[u8] {
        (**self).as_bytes()
    }
}

impl<T: AsBytes + ?Sized> AsBytes for Box<T> {
    fn as_bytes(&self) -> &[u8] {
        (**self).as_bytes()
    }
}

/// Displays a byte string without losing information: valid UTF-8 is shown
/// as text with control characters escaped, every other byte as `\xNN`.
///
/// Used for env keys, arguments and guest paths in error messages.
#[derive(Clone, Copy)]
pub struct ByteDisplay<'a>(pub &'a [u8]);

impl fmt::Display for ByteDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() || c == '\\' {
                    write!(f, "{}", c.escape_default())?;
                } else {
                    f.write_char(c)?;
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ByteDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Turns bytes back into a path without conversion.
///
/// On unix every byte sequence is a valid path. Elsewhere the bytes came from
/// [`OsStr::as_encoded_bytes`] or from UTF-8 text, the only sources this
/// crate accepts paths from, so a lossless conversion exists; bytes that are
/// neither fall back to the lossy form, which cannot happen for input taken
/// through this crate's own parsers.
pub(crate) fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        match std::str::from_utf8(bytes) {
            Ok(s) => PathBuf::from(s),
            Err(_) => PathBuf::from(String::from_utf8_lossy(bytes).into_owned()),
        }
    }
}

/// Whether `bytes` contains a nul byte.
pub(crate) fn has_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_escapes_invalid_and_control_bytes() {
        assert_eq!(ByteDisplay(b"a\xffb\0").to_string(), "a\\xffb\\u{0}");
        assert_eq!(ByteDisplay("héllo".as_bytes()).to_string(), "héllo");
    }

    #[cfg(unix)]
    #[test]
    fn os_str_bytes_are_exact() {
        use std::os::unix::ffi::OsStrExt;
        let os = OsStr::from_bytes(b"\xff\xfe");
        assert_eq!(OsStrExt::as_bytes(os), AsBytes::as_bytes(os));
        assert_eq!(path_from_bytes(b"\xff\xfe").as_os_str(), os);
    }
}
