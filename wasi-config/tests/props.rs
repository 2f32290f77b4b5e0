//! Property tests of `wasi-config`.
//!
//! - Validation accepts a configuration exactly when the documented rules
//!   hold, judged by an independent predicate written here over a plain
//!   model of the builder calls; `validate_all`'s first problem is
//!   `validate`'s problem; an accepted configuration holds exactly the
//!   model's args, env and preopens.
//! - The four command-line forms round-trip through `parse`/`to_bytes` and
//!   `FromStr`/`Display`, and each accepts exactly its documented shape.
//! - The encoded `args` and `environ` tables decode back to exactly the
//!   inputs, with `KEY=VALUE` entries and replace-in-place env semantics.
//!
//! Inputs come from small alphabets holding the interesting bytes: nul, `=`,
//! `/`, `.`, `..`, `:`, non-UTF-8 bytes and empty strings.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use proptest::prelude::*;
use wasi_config::{
    Capabilities, CommandMapping, ConfigBuilder, ConfigError, DirSpec, EncodedStrings,
    EnvAssignment, MapDirSpec, Permissions, PreopenSpec,
};

// ---------------------------------------------------------------------------
// Alphabets and strategies.

/// Pieces of arguments, env values and host paths.
const BYTES: &[&[u8]] = &[
    b"",
    b"a",
    b"Z",
    b"=",
    b"\0",
    b"\xff",
    "\u{e9}".as_bytes(),
    b"/",
    b".",
    b"..",
    b":",
    b" ",
];
/// The same without nul, which most generated strings use so that later
/// rules are reached too.
const CLEAN: &[&[u8]] = &[
    b"",
    b"a",
    b"=",
    b"\xff",
    "\u{e9}".as_bytes(),
    b"/",
    b".",
    b" ",
];
/// Pieces of env keys: few, so that keys repeat and replace each other.
const KEYS: &[&[u8]] = &[b"", b"A", b"B", b"=", b"\0", b"\xfe"];
/// Pieces of valid env keys: no nul, no `=`.
const CLEAN_KEYS: &[&[u8]] = &[b"A", b"B", b"\xfe", b"."];
/// Pieces of guest paths and paths inside virtual filesystems: few, so
/// that different spellings of the same directory meet.
const PATHS: &[&[u8]] = &[b"", b"/", b"d", b"e", b".", b"..", b"\0", b"\xff"];
/// The same without `..` and nul.
const CLEAN_PATHS: &[&[u8]] = &[b"/", b"d", b"e", b"."];
/// Pieces of command, namespace and package names (no `@`, so that the
/// first `@` of a package specifier is always its version separator).
const NAMES: &[&str] = &[
    "", "a", "Z", "0", ".", "..", "-", "_", " ", "\u{e9}", "\0", "=",
];
/// Pieces of mostly valid names.
const CLEAN_NAMES: &[&str] = &["a", "Z", "0", ".", "-", "_"];
/// Names of virtual filesystems.
const FILESYSTEMS: &[&str] = &["", "sandbox", "mem"];
/// Version requirements the `semver` crate accepts.
const VALID_REQS: &[&str] = &[
    "*",
    "1",
    "^1.2",
    "=1.2.3",
    "~0.3",
    ">=1, <2",
    "1.x",
    "0.1.0-alpha",
];
/// Version requirements it rejects.
const INVALID_REQS: &[&str] = &["", "latest", "1.2.3.4", "01", "1@2", "^", "1..2"];

fn concat<T: AsRef<[u8]>>(pieces: Vec<T>) -> Vec<u8> {
    pieces
        .iter()
        .flat_map(|p| p.as_ref().iter().copied())
        .collect()
}

fn from(alphabet: &'static [&'static [u8]], max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(alphabet), 0..=max).prop_map(concat)
}

/// Mostly clean strings, sometimes any from the full alphabet.
fn mostly(
    clean: &'static [&'static [u8]],
    full: &'static [&'static [u8]],
    max: usize,
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![6 => from(clean, max), 1 => from(full, max)]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    mostly(CLEAN, BYTES, 3)
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => from(CLEAN_KEYS, 2).prop_filter("non-empty", |k| !k.is_empty()),
        1 => from(KEYS, 2),
    ]
}

fn host() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => from(CLEAN, 3).prop_filter("non-empty", |h| !h.is_empty()),
        1 => from(BYTES, 3),
    ]
}

fn path() -> impl Strategy<Value = Vec<u8>> {
    mostly(CLEAN_PATHS, PATHS, 4)
}

fn name() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        6 => prop::collection::vec(prop::sample::select(CLEAN_NAMES), 1..=3),
        1 => prop::collection::vec(prop::sample::select(NAMES), 0..=3),
    ];
    pieces.prop_map(|p| p.concat())
}

/// Command names: a few that repeat, or any name.
fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(&["ls", "cat"][..]).prop_map(str::to_string),
        1 => name(),
    ]
}

fn package() -> impl Strategy<Value = String> {
    let version = prop::option::of(prop::sample::select([VALID_REQS, INVALID_REQS].concat()));
    (name(), any::<bool>(), name(), version).prop_map(|(ns, slash, n, v)| {
        let mut spec = ns;
        if slash {
            spec.push('/');
        }
        spec.push_str(&n);
        if let Some(v) = v {
            spec.push('@');
            spec.push_str(v);
        }
        spec
    })
}

/// A host path holding exactly `bytes` (unix paths hold any bytes).
fn host_path(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// The bytes a path holds, as the library sees them.
fn path_bytes(p: &std::path::Path) -> Vec<u8> {
    p.as_os_str().as_encoded_bytes().to_vec()
}

// ---------------------------------------------------------------------------
// Builder calls and their model.

#[derive(Clone, Debug)]
enum Backing {
    Host(Vec<u8>),
    Virtual(String, Vec<u8>),
}

#[derive(Clone, Debug)]
enum Op {
    Arg(Vec<u8>),
    Env(Vec<u8>, Vec<u8>),
    EnvRemove(Vec<u8>),
    PreopenDir(Vec<u8>),
    MapDir(Vec<u8>, Vec<u8>),
    Preopen {
        backing: Backing,
        guest: Option<Vec<u8>>,
        read: bool,
        write: bool,
        create: bool,
        /// Set permissions one by one (`read().write().create()`) rather
        /// than with `permissions(Permissions::new(..))`.
        chained: bool,
    },
    UsePackage(String),
    IncludePackage(Vec<u8>),
    MapCommand(String, Vec<u8>),
    MaxOpenFds(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let backing = prop_oneof![
        host().prop_map(|h| Backing::Host(path_bytes(&host_path(&h)))),
        (prop::sample::select(FILESYSTEMS), path())
            .prop_map(|(fs, p)| Backing::Virtual(fs.to_string(), path_bytes(&host_path(&p)))),
    ];
    prop_oneof![
        4 => bytes().prop_map(Op::Arg),
        4 => (key(), bytes()).prop_map(|(k, v)| Op::Env(k, v)),
        1 => key().prop_map(Op::EnvRemove),
        1 => path().prop_map(|h| Op::PreopenDir(path_bytes(&host_path(&h)))),
        2 => (path(), host()).prop_map(|(g, h)| Op::MapDir(g, path_bytes(&host_path(&h)))),
        2 => (backing, prop::option::of(path()), any::<[bool; 4]>()).prop_map(
            |(backing, guest, [read, write, create, chained])| Op::Preopen {
                backing,
                guest,
                read,
                write,
                create,
                chained,
            }
        ),
        1 => package().prop_map(Op::UsePackage),
        1 => host().prop_map(|p| Op::IncludePackage(path_bytes(&host_path(&p)))),
        1 => (command(), host()).prop_map(|(n, h)| Op::MapCommand(n, path_bytes(&host_path(&h)))),
        1 => (1usize..=8).prop_map(Op::MaxOpenFds),
    ]
}

#[derive(Clone, Debug)]
struct ModelPreopen {
    backing: Backing,
    guest: Option<Vec<u8>>,
    /// read, write, create as granted (create implies write).
    permissions: (bool, bool, bool),
}

impl ModelPreopen {
    /// The guest path: the explicit one, or the backing's own path.
    fn guest(&self) -> &[u8] {
        match (&self.guest, &self.backing) {
            (Some(g), _) => g,
            (None, Backing::Host(h)) => h,
            (None, Backing::Virtual(_, p)) => p,
        }
    }
}

/// What the builder should hold after the calls, kept in plain vectors.
#[derive(Clone, Debug)]
struct Model {
    args: Vec<Vec<u8>>,
    envs: Vec<(Vec<u8>, Vec<u8>)>,
    preopens: Vec<ModelPreopen>,
    packages: Vec<String>,
    package_files: Vec<Vec<u8>>,
    commands: Vec<(String, Vec<u8>)>,
    max_open_fds: usize,
}

impl Model {
    fn new(program: &[u8]) -> Self {
        Model {
            args: vec![program.to_vec()],
            envs: Vec::new(),
            preopens: Vec::new(),
            packages: Vec::new(),
            package_files: Vec::new(),
            commands: Vec::new(),
            max_open_fds: 1024,
        }
    }

    fn set_env(&mut self, key: &[u8], value: &[u8]) {
        match self.envs.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_vec(),
            None => self.envs.push((key.to_vec(), value.to_vec())),
        }
    }
}

/// Applies `ops` to a builder and to the model.
fn build(program: &[u8], ops: &[Op]) -> (ConfigBuilder, Model) {
    let mut b = ConfigBuilder::new(program);
    let mut m = Model::new(program);
    for op in ops {
        match op {
            Op::Arg(a) => {
                b.arg(a);
                m.args.push(a.clone());
            }
            Op::Env(k, v) => {
                b.env(k, v);
                m.set_env(k, v);
            }
            Op::EnvRemove(k) => {
                b.env_remove(k);
                m.envs.retain(|(key, _)| key != k);
            }
            Op::PreopenDir(h) => {
                b.preopen_dir(host_path(h));
                m.preopens.push(ModelPreopen {
                    backing: Backing::Host(h.clone()),
                    guest: None,
                    permissions: (true, true, true),
                });
            }
            Op::MapDir(g, h) => {
                b.map_dir(g, host_path(h));
                m.preopens.push(ModelPreopen {
                    backing: Backing::Host(h.clone()),
                    guest: Some(g.clone()),
                    permissions: (true, true, true),
                });
            }
            Op::Preopen {
                backing,
                guest,
                read,
                write,
                create,
                chained,
            } => {
                let mut spec = match backing {
                    Backing::Host(h) => PreopenSpec::host(host_path(h)),
                    Backing::Virtual(fs, p) => PreopenSpec::virtual_dir(fs.clone(), host_path(p)),
                };
                if let Some(g) = guest {
                    spec = spec.guest_path(g);
                }
                spec = if *chained {
                    spec.read(*read).write(*write).create(*create)
                } else {
                    spec.permissions(Permissions::new(*read, *write, *create))
                };
                b.preopen(spec);
                m.preopens.push(ModelPreopen {
                    backing: backing.clone(),
                    guest: guest.clone(),
                    permissions: (*read, *write || *create, *create),
                });
            }
            Op::UsePackage(p) => {
                b.use_package(p.clone());
                m.packages.push(p.clone());
            }
            Op::IncludePackage(p) => {
                b.include_package(host_path(p));
                m.package_files.push(p.clone());
            }
            Op::MapCommand(n, h) => {
                b.map_command(n.clone(), host_path(h));
                m.commands.push((n.clone(), h.clone()));
            }
            Op::MaxOpenFds(n) => {
                let n = NonZeroUsize::new(*n).unwrap_or(NonZeroUsize::MIN);
                b.capabilities(Capabilities::default().max_open_fds_limit(n));
                m.max_open_fds = n.get();
            }
        }
    }
    (b, m)
}

// ---------------------------------------------------------------------------
// The rules, restated from the crate's docs and issue 2.

fn guest_path_ok(p: &[u8]) -> bool {
    !p.is_empty() && !p.contains(&0) && !p.split(|&c| c == b'/').any(|c| c == b"..")
}

/// The components that identify a guest directory: empty and `.` ones do
/// not count, so `data`, `/data` and `./data/` are one directory.
fn normalized(p: &[u8]) -> Vec<&[u8]> {
    p.split(|&c| c == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect()
}

fn usable_path(p: &[u8]) -> bool {
    !p.is_empty() && !p.contains(&0)
}

/// Namespace, package and command names: ASCII letters, digits, `-`, `_`,
/// `.`, starting with a letter or digit.
fn name_ok(s: &str) -> bool {
    s.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `namespace/name[@requirement]`.
fn package_ok(spec: &str) -> bool {
    let (full, version) = match spec.find('@') {
        Some(at) => (&spec[..at], Some(&spec[at + 1..])),
        None => (spec, None),
    };
    let mut parts = full.split('/');
    let (Some(ns), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    name_ok(ns) && name_ok(name) && version.is_none_or(|v| VALID_REQS.contains(&v))
}

/// Whether every rule holds.
fn rules_hold(m: &Model) -> bool {
    let args = m.args.iter().all(|a| !a.contains(&0));
    let envs = m
        .envs
        .iter()
        .all(|(k, v)| !k.is_empty() && !k.contains(&0) && !k.contains(&b'=') && !v.contains(&0));
    let preopens = m.preopens.iter().enumerate().all(|(i, p)| {
        let backing = match &p.backing {
            Backing::Host(h) => usable_path(h),
            Backing::Virtual(fs, path) => !fs.is_empty() && guest_path_ok(path),
        };
        let (r, w, c) = p.permissions;
        let unique = m.preopens[..i]
            .iter()
            .all(|q| normalized(q.guest()) != normalized(p.guest()));
        backing && (r || w || c) && guest_path_ok(p.guest()) && unique
    });
    let fds = m.preopens.len() + 3 <= m.max_open_fds;
    let packages = m.packages.iter().all(|p| package_ok(p));
    let files = m.package_files.iter().all(|f| usable_path(f));
    let commands = m.commands.iter().enumerate().all(|(i, (n, h))| {
        name_ok(n) && usable_path(h) && m.commands[..i].iter().all(|(o, _)| o != n)
    });
    args && envs && preopens && fds && packages && files && commands
}

// ---------------------------------------------------------------------------
// (a) Validation agrees with the rules.

fn program() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![4 => Just(b"prog".to_vec()), 1 => bytes()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn validation_accepts_exactly_when_the_rules_hold(
        program in program(),
        ops in prop::collection::vec(op(), 0..12),
    ) {
        let (b, m) = build(&program, &ops);
        let first = b.validate();
        let all = b.validate_all();
        prop_assert_eq!(first.is_ok(), rules_hold(&m), "model: {:?}", m);
        match (&first, &all) {
            (Err(e), Err(es)) => prop_assert_eq!(Some(e), es.errors().first()),
            (Ok(_), Ok(_)) => {}
            _ => prop_assert!(false, "validate and validate_all disagree"),
        }
        if let Ok(config) = first {
            prop_assert_eq!(config.program_name(), &m.args[0][..]);
            prop_assert!(config.args().eq(m.args[1..].iter().map(|a| &a[..])));
            prop_assert!(config.envs().eq(m.envs.iter().map(|(k, v)| (&k[..], &v[..]))));
            prop_assert_eq!(config.preopens().len(), m.preopens.len());
            for (got, want) in config.preopens().iter().zip(&m.preopens) {
                prop_assert_eq!(got.guest_path().as_bytes(), want.guest());
                let p = got.permissions();
                prop_assert_eq!((p.read(), p.write(), p.create()), want.permissions);
            }
            prop_assert_eq!(config.packages().len(), m.packages.len());
            prop_assert_eq!(config.commands().len(), m.commands.len());
        }
    }
}

// ---------------------------------------------------------------------------
// (b) The command-line forms.

/// Pieces of command-line forms: every separator, and the bytes that must
/// pass through untouched.
const CLI: &[&[u8]] = &[
    b"",
    b"a",
    b"=",
    b":",
    b"::",
    b"/",
    b".",
    b"\0",
    b"\xff",
    "\u{e9}".as_bytes(),
];

/// Pieces of keys and names: no `=`, so the key ends at the separator.
const FORM_KEYS: &[&[u8]] = &[b"a", b"Z", b"\xff", b":", b"\0"];

fn cli_input() -> impl Strategy<Value = Vec<u8>> {
    from(CLI, 5)
}

fn split_at_first<'a>(input: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    (0..=input.len().saturating_sub(sep.len()))
        .find(|&i| input[i..].starts_with(sep))
        .map(|i| (&input[..i], &input[i + sep.len()..]))
}

/// Checks one form on `input`: it is accepted exactly when `shape_ok`, and an
/// accepted value round-trips through `to_bytes`/`parse`, `OsStr`, and
/// (for UTF-8 input) `Display`/`FromStr`.
fn check_form<T>(
    input: &[u8],
    shape_ok: bool,
    parse: fn(&[u8]) -> Result<T, ConfigError>,
    to_bytes: fn(&T) -> Vec<u8>,
) -> Result<(), TestCaseError>
where
    T: PartialEq + std::fmt::Debug + std::fmt::Display + std::str::FromStr<Err = ConfigError>,
    for<'a> T: TryFrom<&'a std::ffi::OsStr, Error = ConfigError>,
{
    let parsed = parse(input);
    prop_assert_eq!(parsed.is_ok(), shape_ok);
    let value = match parsed {
        Ok(v) => v,
        Err(e) => {
            prop_assert!(matches!(e, ConfigError::InvalidCliForm { .. }), "{:?}", e);
            return Ok(());
        }
    };
    prop_assert_eq!(&to_bytes(&value)[..], input);
    let reparsed = parse(&to_bytes(&value));
    prop_assert_eq!(reparsed.as_ref(), Ok(&value));
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let os = std::ffi::OsStr::from_bytes(input);
        let from_os = T::try_from(os);
        prop_assert_eq!(from_os.as_ref(), Ok(&value));
    }
    if let Ok(text) = std::str::from_utf8(input) {
        let shown = value.to_string();
        prop_assert_eq!(&shown, text);
        let reparsed = shown.parse::<T>();
        prop_assert_eq!(reparsed.as_ref(), Ok(&value));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn env_assignment_round_trips(input in cli_input()) {
        let key = split_at_first(&input, b"=").map_or(&input[..], |(k, _)| k);
        check_form(&input, !key.is_empty(), EnvAssignment::parse, EnvAssignment::to_bytes)?;
        if let Err(ConfigError::InvalidCliForm { shown, .. }) = EnvAssignment::parse(&input) {
            // Only the key may be shown, never the value.
            prop_assert!(key.starts_with(&shown.0));
        }
    }

    #[test]
    fn dir_spec_round_trips(input in cli_input()) {
        let ok = match split_at_first(&input, b"::") {
            Some((host, guest)) => !host.is_empty() && !guest.is_empty(),
            None => !input.is_empty(),
        };
        check_form(&input, ok, DirSpec::parse, DirSpec::to_bytes)?;
    }

    #[test]
    fn map_dir_spec_round_trips(input in cli_input()) {
        let ok = split_at_first(&input, b":")
            .is_some_and(|(guest, host)| !guest.is_empty() && !host.is_empty());
        check_form(&input, ok, MapDirSpec::parse, MapDirSpec::to_bytes)?;
    }

    #[test]
    fn command_mapping_round_trips(input in cli_input()) {
        let ok = split_at_first(&input, b"=").is_some_and(|(name, path)| {
            !name.is_empty() && std::str::from_utf8(name).is_ok() && !path.is_empty()
        });
        check_form(&input, ok, CommandMapping::parse, CommandMapping::to_bytes)?;
    }

    #[test]
    fn assembled_forms_parse_into_their_parts(
        key in from(FORM_KEYS, 3).prop_filter("key", |k| !k.is_empty()),
        value in prop::option::of(cli_input()),
        guest in cli_input().prop_filter("guest", |g| !g.is_empty()),
        host in cli_input().prop_filter("host", |h| !h.is_empty()),
    ) {
        let mut env = key.clone();
        if let Some(v) = &value {
            env.push(b'=');
            env.extend_from_slice(v);
        }
        let e = EnvAssignment::parse(&env).unwrap();
        prop_assert_eq!((e.key(), e.value()), (&key[..], value.as_deref()));

        // A host without `:` cannot hide or extend the `::` separator.
        let plain_host: Vec<u8> = host.iter().copied().filter(|&c| c != b':').collect();
        if !plain_host.is_empty() {
            let d = DirSpec::parse(&[&plain_host[..], b"::", &guest].concat()).unwrap();
            prop_assert_eq!(path_bytes(d.host()), plain_host.clone());
            prop_assert_eq!(d.guest(), Some(&guest[..]));
        }

        let plain_guest: Vec<u8> = guest.iter().copied().filter(|&c| c != b':').collect();
        if !plain_guest.is_empty() {
            let m = MapDirSpec::parse(&[&plain_guest[..], b":", &host].concat()).unwrap();
            prop_assert_eq!(m.guest(), &plain_guest[..]);
            prop_assert_eq!(path_bytes(m.host()), host.clone());
        }

        if let Ok(name) = std::str::from_utf8(&key) {
            let c = CommandMapping::parse(&[&key[..], b"=", &host].concat()).unwrap();
            prop_assert_eq!(c.name(), name);
            prop_assert_eq!(path_bytes(c.host()), host.clone());
        }
    }
}

// ---------------------------------------------------------------------------
// (c) The encoded tables.

/// Decodes a table independently of its accessors: entries must lie back to
/// back from offset 0, each ended by its only nul byte, filling the buffer.
fn decode(table: &EncodedStrings) -> Result<Vec<Vec<u8>>, TestCaseError> {
    let (bytes, offsets) = (table.bytes(), table.offsets());
    prop_assert_eq!(table.count() as usize, offsets.len());
    prop_assert_eq!(table.buf_size() as usize, bytes.len());
    let mut entries = Vec::new();
    let mut next = 0usize;
    for &offset in offsets {
        prop_assert_eq!(offset as usize, next);
        let rest = &bytes[next..];
        let len = rest.iter().position(|&c| c == 0);
        prop_assert!(len.is_some(), "entry at {} has no nul terminator", offset);
        let len = len.unwrap_or_default();
        entries.push(rest[..len].to_vec());
        next += len + 1;
    }
    prop_assert_eq!(next, bytes.len());
    // The accessors agree with the layout.
    prop_assert!(table.iter().eq(entries.iter().map(|e| &e[..])));
    for (i, e) in entries.iter().enumerate() {
        prop_assert_eq!(table.get(i), Some(&e[..]));
    }
    prop_assert_eq!(table.get(entries.len()), None);
    Ok(entries)
}

#[derive(Clone, Debug)]
enum EnvOp {
    Set(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
}

fn clean_key() -> impl Strategy<Value = Vec<u8>> {
    from(CLEAN_KEYS, 2).prop_filter("key", |k| !k.is_empty())
}

fn env_op() -> impl Strategy<Value = EnvOp> {
    prop_oneof![
        4 => (clean_key(), from(CLEAN, 4)).prop_map(|(k, v)| EnvOp::Set(k, v)),
        1 => clean_key().prop_map(EnvOp::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn encoded_tables_decode_to_the_inputs(
        program in from(CLEAN, 3),
        args in prop::collection::vec(from(CLEAN, 4), 0..10),
        env_ops in prop::collection::vec(env_op(), 0..16),
    ) {
        let mut b = ConfigBuilder::new(&program);
        b.args(&args);
        let mut envs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for op in &env_ops {
            match op {
                EnvOp::Set(k, v) => {
                    b.env(k, v);
                    // Replaces in place, or appends a new key.
                    match envs.iter().position(|(key, _)| key == k) {
                        Some(i) => envs[i].1 = v.clone(),
                        None => envs.push((k.clone(), v.clone())),
                    }
                }
                EnvOp::Remove(k) => {
                    b.env_remove(k);
                    envs.retain(|(key, _)| key != k);
                }
            }
        }
        let config = b.validate().map_err(|e| TestCaseError::fail(e.to_string()))?;

        let argv = decode(config.args_table())?;
        let mut want_argv = vec![program.clone()];
        want_argv.extend(args.iter().cloned());
        prop_assert_eq!(&argv, &want_argv);
        let argv_size: usize = want_argv.iter().map(|a| a.len() + 1).sum();
        prop_assert_eq!(config.args_table().buf_size() as usize, argv_size);

        let environ = decode(config.environ_table())?;
        prop_assert_eq!(environ.len(), envs.len());
        for (entry, (k, v)) in environ.iter().zip(&envs) {
            // Keys hold no `=`, so the first one separates key and value.
            let (key, value) = split_at_first(entry, b"=").unwrap_or((entry, b""));
            prop_assert!(entry.contains(&b'='));
            prop_assert_eq!((key, value), (&k[..], &v[..]));
            prop_assert_eq!(config.env(k), Some(&v[..]));
        }
        let environ_size: usize = envs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        prop_assert_eq!(config.environ_table().buf_size() as usize, environ_size);
        prop_assert!(config.envs().eq(envs.iter().map(|(k, v)| (&k[..], &v[..]))));
    }
}
