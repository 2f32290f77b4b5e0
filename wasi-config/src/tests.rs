//! One accepted and one rejected case per rule, each asserting the exact
//! error variant and the item it names.

use std::num::NonZeroUsize;

use crate::validate::{self, AbiLimits};
use crate::*;

fn item(b: &[u8]) -> Item {
    Item(b.to_vec())
}

fn first_error(b: &ConfigBuilder) -> ConfigError {
    b.validate().expect_err("configuration should be rejected")
}

#[test]
fn nul_in_argument_is_rejected_with_its_index() {
    let mut b = ConfigBuilder::new("prog");
    b.arg("ok").arg(b"a\0b".as_slice());
    assert_eq!(first_error(&b), ConfigError::ArgContainsNul { index: 2 });
    let mut ok = ConfigBuilder::new("prog");
    ok.arg("a=b").arg(b"\xff\xfe".as_slice());
    let cfg = ok.validate().unwrap();
    assert_eq!(cfg.args().collect::<Vec<_>>(), [&b"a=b"[..], b"\xff\xfe"]);
}

#[test]
fn nul_in_program_name_is_argument_zero() {
    let b = ConfigBuilder::new(b"p\0".as_slice());
    assert_eq!(first_error(&b), ConfigError::ArgContainsNul { index: 0 });
}

#[test]
fn env_key_rules() {
    let mut b = ConfigBuilder::new("p");
    b.env("", "v");
    assert_eq!(first_error(&b), ConfigError::EnvKeyEmpty { index: 0 });

    let mut b = ConfigBuilder::new("p");
    b.env("A", "1").env(b"K\0".as_slice(), "v");
    assert_eq!(
        first_error(&b),
        ConfigError::EnvKeyContainsNul { key: item(b"K\0") }
    );

    let mut b = ConfigBuilder::new("p");
    b.env("K=X", "v");
    assert_eq!(
        first_error(&b),
        ConfigError::EnvKeyContainsEquals { key: item(b"K=X") }
    );

    let mut ok = ConfigBuilder::new("p");
    ok.env(b"K\xff".as_slice(), "v");
    assert_eq!(ok.validate().unwrap().env(b"K\xff"), Some(&b"v"[..]));
}

#[test]
fn env_value_rules_never_print_the_value() {
    let mut b = ConfigBuilder::new("p");
    b.env("TOKEN", b"hunter2\0".as_slice());
    let e = first_error(&b);
    assert_eq!(
        e,
        ConfigError::EnvValueContainsNul {
            key: item(b"TOKEN")
        }
    );
    assert!(!e.to_string().contains("hunter2"));
    assert!(!format!("{e:?}").contains("hunter2"));
    assert!(!format!("{b:?}").contains("hunter2"));

    let mut ok = ConfigBuilder::new("p");
    ok.env("K", "a=b=c");
    let cfg = ok.validate().unwrap();
    assert_eq!(cfg.env(b"K"), Some(&b"a=b=c"[..]));
    assert!(!format!("{cfg:?}").contains("a=b=c"));
}

#[test]
fn setting_a_key_twice_replaces_in_place_and_remove_works() {
    let mut b = ConfigBuilder::new("p");
    b.env("A", "1").env("B", "2").env("A", "3").env("C", "4");
    b.env_remove("B").env_remove("missing");
    b.env("B", "5");
    let cfg = b.validate().unwrap();
    let pairs: Vec<_> = cfg.envs().collect();
    assert_eq!(pairs, [(&b"A"[..], &b"3"[..]), (b"C", b"4"), (b"B", b"5")]);
    assert_eq!(cfg.environ_table().bytes(), b"A=3\0C=4\0B=5\0");
    assert_eq!(cfg.environ_table().offsets(), [0, 4, 8]);
}

#[test]
fn args_table_layout() {
    let mut b = ConfigBuilder::new("prog");
    b.args(["a", "", "bc"]);
    let cfg = b.validate().unwrap();
    let t = cfg.args_table();
    assert_eq!(t.bytes(), b"prog\0a\0\0bc\0");
    assert_eq!(t.offsets(), [0, 5, 7, 8]);
    assert_eq!((t.count(), t.buf_size()), (4, 11));
    assert_eq!(t.get(2), Some(&b""[..]));
    assert_eq!(t.get(4), None);
}

#[test]
fn abi_limits_on_count_and_size() {
    let mut b = ConfigBuilder::new("p");
    b.args(["12345"]);
    // argv = "p\0" + "12345\0" = 8 bytes, 2 entries.
    assert!(validate::validate(&b, false, AbiLimits { max: 8 }).is_ok());
    let errs = validate::validate(&b, false, AbiLimits { max: 7 }).unwrap_err();
    assert_eq!(
        errs,
        [ConfigError::AbiLimitExceeded {
            table: AbiTable::Args,
            count: 2,
            bytes: 8,
            limit: 7
        }]
    );
    let mut b = ConfigBuilder::new("p");
    b.env("K", "V").env("L", "W");
    // Each entry is "K=V\0": 4 bytes, 8 in all.
    assert!(validate::validate(&b, false, AbiLimits { max: 8 }).is_ok());
    let errs = validate::validate(&b, false, AbiLimits { max: 1 }).unwrap_err();
    assert!(matches!(
        errs[..],
        [ConfigError::AbiLimitExceeded {
            table: AbiTable::Args,
            ..
        }]
    ));
    let errs = validate::validate(&b, true, AbiLimits { max: 3 }).unwrap_err();
    assert_eq!(
        errs.last(),
        Some(&ConfigError::AbiLimitExceeded {
            table: AbiTable::Environ,
            count: 2,
            bytes: 8,
            limit: 3
        })
    );
}

#[test]
fn preopen_needs_a_permission() {
    let mut b = ConfigBuilder::new("p");
    b.preopen(PreopenSpec::host("/srv").guest_path("/s"));
    assert_eq!(
        first_error(&b),
        ConfigError::PreopenWithoutPermission {
            index: 0,
            guest: item(b"/s")
        }
    );
    let mut ok = ConfigBuilder::new("p");
    ok.preopen(PreopenSpec::host("/srv").create(true));
    let cfg = ok.validate().unwrap();
    let p = cfg.preopens()[0].permissions();
    assert!(p.create() && p.write() && !p.read());
    assert_eq!(cfg.preopens()[0].guest_path().as_bytes(), b"/srv");
}

#[test]
fn preopen_needs_a_directory() {
    let mut b = ConfigBuilder::new("p");
    b.preopen_dir("");
    assert_eq!(
        first_error(&b),
        ConfigError::PreopenWithoutDirectory { index: 0 }
    );
    let mut b = ConfigBuilder::new("p");
    b.map_dir("/g", "");
    assert_eq!(
        first_error(&b),
        ConfigError::PreopenWithoutDirectory { index: 0 }
    );
}

#[cfg(unix)]
#[test]
fn host_path_with_nul_is_rejected() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::path::Path::new(std::ffi::OsStr::from_bytes(b"/a\0b"));
    let mut b = ConfigBuilder::new("p");
    b.map_dir("/g", bad);
    assert_eq!(
        first_error(&b),
        ConfigError::HostPathContainsNul {
            index: 0,
            path: bad.to_path_buf()
        }
    );
}

#[test]
fn guest_path_rules() {
    for (guest, problem) in [
        (&b""[..], GuestPathProblem::Empty),
        (b"/a\0", GuestPathProblem::Nul),
        (b"/a/../b", GuestPathProblem::ParentComponent),
    ] {
        let mut b = ConfigBuilder::new("p");
        b.preopen_dir("/ok").map_dir(guest, "/srv");
        assert_eq!(
            first_error(&b),
            ConfigError::InvalidGuestPath {
                index: 1,
                path: item(guest),
                problem
            }
        );
    }
    // A preopen at the guest root is allowed and is just that directory.
    let mut ok = ConfigBuilder::new("p");
    ok.map_dir("/", "/srv");
    assert!(ok.validate().unwrap().preopens()[0].guest_path().is_root());
}

#[test]
fn host_path_with_parent_component_needs_an_explicit_guest_path() {
    let mut b = ConfigBuilder::new("p");
    b.preopen_dir("../x");
    assert_eq!(
        first_error(&b),
        ConfigError::InvalidGuestPath {
            index: 0,
            path: item(b"../x"),
            problem: GuestPathProblem::ParentComponent
        }
    );
    let mut ok = ConfigBuilder::new("p");
    ok.map_dir("/x", "../x");
    assert!(ok.validate().is_ok());
}

#[test]
fn duplicate_guest_paths_name_both() {
    let mut b = ConfigBuilder::new("p");
    b.map_dir("data", "/a")
        .map_dir("/other", "/b")
        .map_dir("/data/", "/c");
    assert_eq!(
        first_error(&b),
        ConfigError::DuplicateGuestPath {
            first: 0,
            first_path: item(b"data"),
            second: 2,
            second_path: item(b"/data/")
        }
    );
    let mut ok = ConfigBuilder::new("p");
    ok.map_dir("/data", "/a").map_dir("/data/sub", "/b");
    assert!(ok.validate().is_ok());
}

#[test]
fn virtual_preopen_rules() {
    let mut b = ConfigBuilder::new("p");
    b.preopen(PreopenSpec::virtual_dir("", "/x").read(true));
    assert_eq!(
        first_error(&b),
        ConfigError::VirtualPreopenWithoutFilesystem { index: 0 }
    );
    let mut b = ConfigBuilder::new("p");
    b.preopen(
        PreopenSpec::virtual_dir(SANDBOX_FS, "/x/..")
            .guest_path("/g")
            .read(true),
    );
    assert_eq!(
        first_error(&b),
        ConfigError::InvalidVirtualPath {
            index: 0,
            filesystem: SANDBOX_FS.into(),
            path: item(b"/x/.."),
            problem: GuestPathProblem::ParentComponent
        }
    );
    let mut ok = ConfigBuilder::new("p");
    ok.preopen(PreopenSpec::virtual_dir(SANDBOX_FS, "/x").read(true));
    let cfg = ok.validate().unwrap();
    assert_eq!(
        cfg.preopens()[0].backing(),
        &Backing::Virtual {
            filesystem: SANDBOX_FS.into(),
            path: "/x".into()
        }
    );
    assert_eq!(cfg.preopens()[0].guest_path().as_bytes(), b"/x");
}

#[test]
fn too_many_preopens_for_the_fd_limit() {
    let caps = Capabilities::default().with_max_open_fds(NonZeroUsize::new(4).unwrap());
    let mut b = ConfigBuilder::new("p");
    b.capabilities(caps).map_dir("/a", "/a");
    assert!(b.validate().is_ok());
    b.map_dir("/b", "/b");
    assert_eq!(
        first_error(&b),
        ConfigError::TooManyPreopens {
            preopens: 2,
            max_open_fds: 4
        }
    );
}

#[test]
fn package_specifier_rules() {
    let mut b = ConfigBuilder::new("p");
    b.use_package("wasmer/python@^3").use_package("ns/pkg");
    let cfg = b.validate().unwrap();
    assert_eq!(cfg.packages()[0].full_name(), "wasmer/python");
    assert_eq!(cfg.packages()[1].version_req(), &semver::VersionReq::STAR);
    for bad in [
        "python",
        "ns/",
        "/pkg",
        "ns/pkg@",
        "ns/pkg@not a version",
        "n s/pkg",
    ] {
        let mut b = ConfigBuilder::new("p");
        b.use_package(bad);
        match first_error(&b) {
            ConfigError::InvalidPackageSpecifier { spec, .. } => assert_eq!(spec, bad),
            other => panic!("{bad}: unexpected {other:?}"),
        }
    }
}

#[test]
fn package_file_rules() {
    let mut b = ConfigBuilder::new("p");
    b.include_package("a.webc").include_package("");
    assert_eq!(
        first_error(&b),
        ConfigError::InvalidPackageFile {
            index: 1,
            path: "".into()
        }
    );
    let mut ok = ConfigBuilder::new("p");
    ok.include_package("a.webc");
    assert_eq!(
        ok.validate().unwrap().package_files(),
        [std::path::PathBuf::from("a.webc")]
    );
}

#[test]
fn mapped_command_rules() {
    let mut b = ConfigBuilder::new("p");
    b.map_command("ls", "ls.wasm");
    let cfg = b.validate().unwrap();
    assert_eq!(cfg.commands()[0].name(), "ls");
    assert_eq!(
        cfg.commands()[0].host_path(),
        std::path::Path::new("ls.wasm")
    );

    let mut b = ConfigBuilder::new("p");
    b.map_command("a/b", "x.wasm");
    assert!(matches!(
        first_error(&b),
        ConfigError::InvalidCommandName { name, .. } if name == "a/b"
    ));
    let mut b = ConfigBuilder::new("p");
    b.map_command("ls", "");
    assert_eq!(
        first_error(&b),
        ConfigError::InvalidCommandPath {
            name: "ls".into(),
            path: "".into()
        }
    );
    let mut b = ConfigBuilder::new("p");
    b.map_command("ls", "a.wasm").map_command("ls", "b.wasm");
    assert_eq!(
        first_error(&b),
        ConfigError::DuplicateCommand { name: "ls".into() }
    );
}

#[test]
fn validate_all_reports_every_problem_in_order() {
    let mut b = ConfigBuilder::new("p");
    b.arg(b"\0".as_slice())
        .env("", "x")
        .env("A=B", "y")
        .preopen(PreopenSpec::host("/x"))
        .use_package("bad")
        .map_command("", "x");
    let all = b.validate_all().unwrap_err();
    assert!(
        matches!(
            all.errors(),
            [
                ConfigError::ArgContainsNul { index: 1 },
                ConfigError::EnvKeyEmpty { index: 0 },
                ConfigError::EnvKeyContainsEquals { .. },
                ConfigError::PreopenWithoutPermission { index: 0, .. },
                ConfigError::InvalidPackageSpecifier { .. },
                ConfigError::InvalidCommandName { .. },
            ]
        ),
        "{all}"
    );
    assert_eq!(all.errors()[0], ConfigError::ArgContainsNul { index: 1 });
    assert_eq!(first_error(&b), all.errors()[0]);
    assert!(all.to_string().starts_with("6 configuration problems:"));
}

/// Issue 13: nonsensical limits are typed errors naming the limit.
#[test]
fn nonsensical_limits_are_errors_naming_the_limit() {
    use std::time::Duration;
    let invalid = |caps: Capabilities| {
        let mut b = ConfigBuilder::new("p");
        b.capabilities(caps);
        first_error(&b)
    };
    let base = Capabilities::default();
    for (caps, limit) in [
        (base.with_max_wasm_stack(0), "max-wasm-stack"),
        (base.with_max_wasm_stack(4096), "max-wasm-stack"),
        (base.with_max_wasm_stack(1 << 30), "max-wasm-stack"),
        (base.with_timeout(Duration::ZERO), "timeout"),
        (base.with_timeout(Duration::MAX), "timeout"),
    ] {
        match invalid(caps) {
            ConfigError::InvalidLimit { limit: named, .. } => assert_eq!(named, limit),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        invalid(base.with_max_wasm_stack(0))
            .to_string()
            .contains("max-wasm-stack")
    );
}

/// Issue 13: every limit has a default and sensible values validate.
#[test]
fn limits_default_to_none_and_sensible_values_validate() {
    use std::time::Duration;
    let base = Capabilities::default();
    assert_eq!(base.max_memory_bytes(), None);
    assert_eq!(base.max_wasm_stack(), None);
    assert_eq!(base.fuel(), None);
    assert_eq!(base.timeout(), None);
    assert_eq!(base.max_capture_bytes(), None);
    let caps = base
        .with_max_memory_bytes(0)
        .with_max_wasm_stack(Capabilities::MIN_WASM_STACK)
        .with_fuel(0)
        .with_timeout(Capabilities::MAX_TIMEOUT)
        .with_max_capture_bytes(0);
    let mut b = ConfigBuilder::new("p");
    b.capabilities(caps);
    let config = b.validate().unwrap();
    assert_eq!(config.capabilities(), &caps);
    assert_eq!(caps.timeout(), Some(Duration::from_nanos(u64::MAX)));
}
