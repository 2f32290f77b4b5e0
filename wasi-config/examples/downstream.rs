//! `wasi-config` used alone, as a downstream crate would use it: parse
//! command-line forms, build a configuration, validate it, and report every
//! problem at once or what the guest would see. Nothing is opened or run.
//!
//! ```text
//! cargo run -p wasi-config --example downstream -- \
//!     --env LANG=C.UTF-8 --dir ./data::/data --mapdir /tmp:/var/tmp \
//!     --map-command ls=./ls.wasm -- prog arg1 arg2
//! ```
//!
//! Options: `--env KEY=VALUE` (or `--env KEY` to forward the host's value),
//! `--dir HOST[::GUEST]`, `--mapdir GUEST:HOST`, `--map-command NAME=PATH`,
//! `--use NAMESPACE/NAME[@VERSION]`; after `--`, the program name and its
//! arguments. Without arguments a small default configuration is used. Env
//! values are never printed.

use std::ffi::OsString;
use std::process::ExitCode;

use wasi_config::{ByteDisplay, CommandMapping, ConfigBuilder, DirSpec, EnvAssignment, MapDirSpec};

/// Used when no arguments are given.
const DEFAULTS: &[&str] = &[
    "--env",
    "LANG=C.UTF-8",
    "--env",
    "TOKEN=s3cr=t",
    "--dir",
    "./data::/data",
    "--mapdir",
    "/tmp:/var/tmp",
    "--map-command",
    "ls=./bin/ls.wasm",
    "--use",
    "wasmer/python@^3.11",
    "--",
    "prog",
    "-n",
    "needle",
];

/// The command line, as given or the defaults.
fn command_line() -> Vec<OsString> {
    let given: Vec<OsString> = std::env::args_os().skip(1).collect();
    if given.is_empty() {
        DEFAULTS.iter().map(OsString::from).collect()
    } else {
        given
    }
}

/// Applies the options (before `--`) to `builder`; problems with the forms
/// themselves go to `problems`.
fn apply(builder: &mut ConfigBuilder, options: &[OsString], problems: &mut Vec<String>) {
    let mut words = options.iter();
    while let Some(word) = words.next() {
        let option = word.to_string_lossy();
        let Some(value) = words.next() else {
            problems.push(format!("`{option}` needs a value"));
            break;
        };
        let value = value.as_os_str();
        let result = match &*option {
            "--env" => EnvAssignment::try_from(value).map(|e| match e.value() {
                Some(v) => {
                    builder.env(e.key(), v);
                }
                None => forward_host_env(builder, e.key()),
            }),
            "--dir" => DirSpec::try_from(value).map(|d| {
                match d.guest() {
                    Some(guest) => builder.map_dir(guest, d.host()),
                    None => builder.preopen_dir(d.host()),
                };
            }),
            "--mapdir" => MapDirSpec::try_from(value).map(|m| {
                builder.map_dir(m.guest(), m.host());
            }),
            "--map-command" => CommandMapping::try_from(value).map(|c| {
                builder.map_command(c.name(), c.host());
            }),
            "--use" => {
                match value.to_str() {
                    Some(spec) => {
                        builder.use_package(spec);
                    }
                    None => problems.push("a package name to use is not UTF-8".to_string()),
                }
                Ok(())
            }
            other => {
                problems.push(format!("unknown option `{other}`"));
                Ok(())
            }
        };
        if let Err(e) = result {
            problems.push(e.to_string());
        }
    }
}

/// `--env KEY`: forwards the host's value of `KEY`, if set.
fn forward_host_env(builder: &mut ConfigBuilder, key: &[u8]) {
    let host_value = std::str::from_utf8(key).ok().and_then(std::env::var_os);
    match host_value {
        Some(v) => {
            builder.env(key, v);
        }
        None => eprintln!("not forwarding {}: not set on the host", ByteDisplay(key)),
    }
}

fn main() -> ExitCode {
    let line = command_line();
    // Options first; after `--`, the program name and its arguments.
    let split = line.iter().position(|w| w == "--").unwrap_or(line.len());
    let (options, guest) = (&line[..split], line.get(split + 1..).unwrap_or_default());
    let mut builder = match guest.split_first() {
        Some((program, args)) => {
            let mut b = ConfigBuilder::new(program);
            b.args(args);
            b
        }
        None => ConfigBuilder::new("main.wasm"),
    };
    let mut problems = Vec::new();
    apply(&mut builder, options, &mut problems);

    match builder.validate_all() {
        Ok(config) if problems.is_empty() => {
            println!("configuration is valid");
            println!("program: {}", ByteDisplay(config.program_name()));
            for (i, arg) in config.args().enumerate() {
                println!("arg {}: {}", i + 1, ByteDisplay(arg));
            }
            // Keys only: values are where secrets live.
            for (key, _) in config.envs() {
                println!("env: {}", ByteDisplay(key));
            }
            for (i, preopen) in config.preopens().iter().enumerate() {
                println!("preopen fd {}: {preopen}", i + 3);
            }
            for package in config.packages() {
                println!("package: {package}");
            }
            for command in config.commands() {
                println!(
                    "command: {} -> {}",
                    command.name(),
                    command.host_path().display()
                );
            }
            println!(
                "args table: {} strings, {} bytes; environ table: {} strings, {} bytes",
                config.args_table().count(),
                config.args_table().buf_size(),
                config.environ_table().count(),
                config.environ_table().buf_size()
            );
            ExitCode::SUCCESS
        }
        result => {
            problems.extend(result.err().into_iter().flatten().map(|e| e.to_string()));
            eprintln!("{} problem(s):", problems.len());
            for p in &problems {
                eprintln!("  - {p}");
            }
            ExitCode::FAILURE
        }
    }
}
