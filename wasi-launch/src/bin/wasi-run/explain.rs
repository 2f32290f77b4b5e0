//! `--explain`: the resolved plan, printed without running anything.

use wasi_config::{ByteDisplay, Config};
use wasi_fs_setup::World;

/// Prints args, env keys (never values) and the fd table.
pub fn print(config: &Config, world: &World) {
    println!("program: {}", ByteDisplay(config.program_name()));
    for (i, arg) in config.args().enumerate() {
        println!("arg[{}]: {}", i + 1, ByteDisplay(arg));
    }
    for (key, _) in config.envs() {
        println!("env: {}", ByteDisplay(key));
    }
    println!("fds:");
    println!("  0: stdin");
    println!("  1: stdout");
    println!("  2: stderr");
    for (fd, info) in world.fds().preopens() {
        match config.preopens().get(info.index) {
            Some(preopen) => println!(
                "  {fd}: {} <- {} ({})",
                ByteDisplay(&info.guest_path),
                preopen.backing(),
                preopen.permissions()
            ),
            // Mounted by the launcher, not the configuration: a package volume.
            None => println!(
                "  {fd}: {} <- package volume (read-only)",
                ByteDisplay(&info.guest_path)
            ),
        }
    }
}
