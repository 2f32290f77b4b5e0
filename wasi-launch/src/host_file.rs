//! Reading a module or package file the host names: only a regular file,
//! only up to [`MAX_HOST_FILE_LEN`], never blocking on a FIFO.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::LaunchError;

/// Largest module or package file read (1 GiB, the module cache's bound
/// on its own files).
///
/// Reason: the whole file is read into memory, so its size must not be
/// without bound (`/dev/zero` has none); the largest real modules are a few
/// hundred megabytes.
pub const MAX_HOST_FILE_LEN: u64 = crate::module_cache::MAX_FILE_LEN;

/// The bytes of the module file at `path` (a `.wasm`, `.wat` or `.webc`
/// file), read as [`Launcher::load_module_file`](crate::Launcher::load_module_file)
/// reads it: only a regular file, of at most [`MAX_HOST_FILE_LEN`] bytes,
/// never blocking on a FIFO. The error names the path
/// ([`LaunchError::ReadModule`]).
pub fn read_module_file(path: impl AsRef<Path>) -> Result<Vec<u8>, LaunchError> {
    let path = path.as_ref();
    read_host_file(path).map_err(|source| LaunchError::ReadModule {
        path: path.to_path_buf(),
        source,
    })
}

/// The bytes of the file at `path`: an error for anything but a regular
/// file (a FIFO is opened without blocking and refused), and for a file
/// over [`MAX_HOST_FILE_LEN`], before anything is allocated for it.
pub(crate) fn read_host_file(path: &Path) -> io::Result<Vec<u8>> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    let too_large = |len: u64| {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("it has {len} bytes, more than the {MAX_HOST_FILE_LEN} read"),
        )
    };
    if meta.len() > MAX_HOST_FILE_LEN {
        return Err(too_large(meta.len()));
    }
    read_capped(file, meta.len())
}

/// Reads `file` (about `len` bytes) to its end, refusing it if it grows
/// past [`MAX_HOST_FILE_LEN`] meanwhile.
fn read_capped(file: File, len: u64) -> io::Result<Vec<u8>> {
    // `len` is at most MAX_HOST_FILE_LEN (1 GiB): it fits in usize.
    let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // O_NONBLOCK has no effect on reading a regular file.
    file.take(MAX_HOST_FILE_LEN + 1).read_to_end(&mut data)?;
    if data.len() as u64 > MAX_HOST_FILE_LEN {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("it grew past the {MAX_HOST_FILE_LEN} bytes read"),
        ));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.wasm");
        std::fs::write(&file, b"\0asm").unwrap();
        assert_eq!(read_host_file(&file).unwrap(), b"\0asm");
        for not_a_file in [Path::new("/dev/zero"), Path::new("/dev/null"), dir.path()] {
            let err = read_host_file(not_a_file).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{not_a_file:?}");
        }
        // A FIFO with no writer: refused at once, never waited on.
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        let err = read_host_file(&fifo).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            read_host_file(&dir.path().join("missing"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn a_file_over_the_bound_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.wasm");
        // Sparse: its size costs nothing.
        File::create(&big)
            .unwrap()
            .set_len(MAX_HOST_FILE_LEN + 1)
            .unwrap();
        let err = read_host_file(&big).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("1073741825"), "{err}");
    }
}
