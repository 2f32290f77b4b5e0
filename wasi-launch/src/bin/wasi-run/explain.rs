//! `--explain`: the resolved plan, printed without running anything.

use wasi_config::{ByteDisplay, Capabilities, Config};
use wasi_fs_setup::World;

/// Prints args, env keys (never values), the fd table and the limits.
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
    print_limits(config.capabilities());
}

/// The limits in force, each with its `-W` key; unset ones with their
/// default.
fn print_limits(caps: &Capabilities) {
    let or = |value: Option<String>, default: &str| value.unwrap_or_else(|| default.to_string());
    println!("limits:");
    println!(
        "  max-memory-size: {}",
        or(
            caps.max_memory_bytes().map(|b| format!("{b} bytes")),
            "the module's own maximum"
        )
    );
    println!(
        "  max-total-memory: {}",
        or(
            caps.max_total_memory_bytes()
                .map(|b| format!("{b} bytes (memories and tables, all threads)")),
            "none"
        )
    );
    println!(
        "  max-wasm-stack: {}",
        or(
            caps.max_wasm_stack().map(|b| format!("{b} bytes")),
            "the engine's default (1 MiB)"
        )
    );
    println!(
        "  fuel: {}",
        or(caps.fuel().map(|f| format!("{f} units")), "none")
    );
    println!(
        "  timeout: {}",
        or(caps.timeout().map(|t| format!("{t:?}")), "none")
    );
    println!("  max-open-fds: {}", caps.max_open_fds());
    println!(
        "  max-threads: {}",
        or(
            caps.max_tasks().map(|n| n.to_string()),
            "the launcher's limit"
        )
    );
    println!(
        "  max-capture-size: {}",
        or(
            caps.max_capture_bytes().map(|b| format!("{b} bytes")),
            "not captured"
        )
    );
}
