//! Builds a file world over a host temp directory and the in-memory sandbox,
//! resolves a few guest paths (some of which try to escape), and prints the fd table.
//!
//! Run with `cargo run -p wasi-fs-setup --example world`.

use wasi_config::{ConfigBuilder, PreopenSpec, SANDBOX_FS};
use wasi_fs_setup::{StdioSlot, World};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let host = tempfile::tempdir()?;
    std::fs::create_dir(host.path().join("docs"))?;
    std::fs::write(host.path().join("docs/readme.txt"), "hello from the host\n")?;
    std::os::unix::fs::symlink("/etc", host.path().join("etc_link"))?;
    std::os::unix::fs::symlink("docs/readme.txt", host.path().join("readme"))?;

    let mut b = ConfigBuilder::new("example");
    b.preopen(
        PreopenSpec::host(host.path())
            .guest_path("/data")
            .read(true),
    );
    b.preopen(
        PreopenSpec::virtual_dir(SANDBOX_FS, "/scratch")
            .guest_path("/tmp")
            .read(true)
            .create(true),
    );
    let config = b.validate()?;

    let (stdout, captured) = StdioSlot::capture();
    let mut world = World::builder(&config)
        .stdout(stdout)
        .setup(|ctx| {
            ctx.create_dir_all("/tmp/cache")?;
            ctx.write_file("/tmp/cache/seed", "42")
        })
        .build()?;

    println!("fd table:\n{world}");
    for (fd, path) in [
        (3, "docs/readme.txt"),
        (3, "readme"),
        (3, "docs/../readme"),
        (3, "../outside"),
        (3, "/etc/passwd"),
        (3, "etc_link/passwd"),
        (4, "cache/seed"),
        (4, "cache/new-file"),
        (4, "cache/missing/x"),
    ] {
        match world.resolve(fd, path.as_bytes(), true) {
            Ok(r) => println!(
                "fd {fd} {path:?} -> {:?} ({:?})",
                String::from_utf8_lossy(&r.to_path_bytes()),
                r.filetype()
            ),
            Err(e) => println!("fd {fd} {path:?} -> error: {e}"),
        }
    }

    world
        .fds_mut()
        .get_mut(1)?
        .file_mut()?
        .write(b"guest output\n")?;
    world.close_all()?;
    print!(
        "captured stdout: {}",
        String::from_utf8_lossy(&captured.contents())
    );
    Ok(())
}
