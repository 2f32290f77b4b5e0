//! Generators and oracles for `wasi-config`.
//!
//! - [`check_builder_ops`]: any sequence of [`BuilderOp`]s applied to a
//!   [`ConfigBuilder`] is accepted by validation exactly when the documented
//!   rules hold (judged by [`rules_hold`] over a plain [`Model`] of the
//!   calls); every problem reported is true of the input and names its
//!   item; `validate` and `validate_all` agree; an accepted configuration
//!   holds exactly the model's args, env and preopens, in its encoded
//!   tables too. Validation never panics.
//! - [`check_cli_forms`]: the four command-line parsers never panic on any
//!   bytes, accept exactly their documented shapes, and what they accept
//!   round-trips through `to_bytes`/`parse` (and `TryFrom<&OsStr>` on
//!   unix, `Display`/`FromStr` for UTF-8 input).
//!
//! The rules are restated here independently of `wasi-config`, except the
//! package-name rule: which package specifiers and command names are valid
//! is its public [`check_name`](wasi_config::check_name) and
//! [`PackageSpecifier`] parser, pinned by their own tests; the oracle
//! checks that validation applies them to every item and names the right
//! one. This model is the only one: `wasi-config`'s own property tests
//! keep only what it does not check.
//!
//! Strings are built from a token alphabet ([`Token`]) holding what the
//! rules care about: nul, `=`, `/`, `.`, `..`, `:`, `::`, non-UTF-8 bytes,
//! and empty strings.

use std::fmt;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use arbitrary::Arbitrary;
use wasi_config::{
    Backing, Capabilities, CommandMapping, ConfigBuilder, ConfigError, DirSpec, EncodedStrings,
    EnvAssignment, GuestPathProblem, MapDirSpec, PackageSpecifier, Permissions, PreopenSpec,
};

/// One piece of a generated string.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// `a`
    Lower,
    /// `Z`
    Upper,
    /// `0`
    Digit,
    /// `/`
    Slash,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// `=`
    Equals,
    /// `:`
    Colon,
    /// `::`
    ColonColon,
    /// `-`
    Dash,
    /// `_`
    Underscore,
    /// a space
    Space,
    /// a nul byte
    Nul,
    /// `\xff` (not UTF-8; `ÿ` where text is needed)
    NonUtf8,
    /// `é` (UTF-8, not ASCII)
    Accent,
    /// Any byte (as the `char` of the same value where text is needed).
    Byte(u8),
}

impl Token {
    /// The token's text, for every token but the single bytes.
    fn fixed(self) -> Option<&'static str> {
        Some(match self {
            Token::Lower => "a",
            Token::Upper => "Z",
            Token::Digit => "0",
            Token::Slash => "/",
            Token::Dot => ".",
            Token::DotDot => "..",
            Token::Equals => "=",
            Token::Colon => ":",
            Token::ColonColon => "::",
            Token::Dash => "-",
            Token::Underscore => "_",
            Token::Space => " ",
            Token::Nul => "\0",
            Token::Accent => "\u{e9}",
            Token::NonUtf8 | Token::Byte(_) => return None,
        })
    }

    fn push_bytes(self, out: &mut Vec<u8>) {
        match (self, self.fixed()) {
            (_, Some(s)) => out.extend_from_slice(s.as_bytes()),
            (Token::Byte(b), None) => out.push(b),
            (_, None) => out.push(0xff),
        }
    }

    fn push_text(self, out: &mut String) {
        match (self, self.fixed()) {
            (_, Some(s)) => out.push_str(s),
            (Token::Byte(b), None) => out.push(char::from(b)),
            (_, None) => out.push('\u{ff}'),
        }
    }
}

/// A generated string: its tokens concatenated.
#[derive(Arbitrary, Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub Vec<Token>);

impl Text {
    /// The tokens as bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for t in &self.0 {
            t.push_bytes(&mut out);
        }
        out
    }

    /// The tokens as text (non-UTF-8 tokens become the `char` of the same
    /// value), leaving out every `c` in `skip`.
    pub fn text_without(&self, skip: &[char]) -> String {
        let mut out = String::new();
        for t in &self.0 {
            t.push_text(&mut out);
        }
        out.retain(|c| !skip.contains(&c));
        out
    }

    /// The tokens as text.
    pub fn text(&self) -> String {
        self.text_without(&[])
    }
}

/// A package specifier: `namespace[/]name[@version]`, where names never
/// contain `@`, so the first `@` is always the version separator.
#[derive(Arbitrary, Debug, Clone)]
pub struct PackageText {
    /// The part before `/`.
    pub namespace: Text,
    /// Whether the `/` is there.
    pub slash: bool,
    /// The part after `/`.
    pub name: Text,
    /// The requirement after `@`, if any.
    pub version: Option<VersionText>,
}

/// Version requirements the `semver` crate accepts, by their position in
/// [`VersionText`].
pub const VALID_REQS: &[&str] = &[
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
pub const INVALID_REQS: &[&str] = &["", "latest", "1.2.3.4", "01", "1@2", "^", "1..2"];

/// A version requirement from [`VALID_REQS`] or [`INVALID_REQS`].
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum VersionText {
    /// `VALID_REQS[i % len]`
    Valid(u8),
    /// `INVALID_REQS[i % len]`
    Invalid(u8),
}

impl VersionText {
    fn as_str(self) -> &'static str {
        match self {
            VersionText::Valid(i) => VALID_REQS[usize::from(i) % VALID_REQS.len()],
            VersionText::Invalid(i) => INVALID_REQS[usize::from(i) % INVALID_REQS.len()],
        }
    }
}

impl fmt::Display for PackageText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.namespace.text_without(&['@']))?;
        if self.slash {
            f.write_str("/")?;
        }
        f.write_str(&self.name.text_without(&['@']))?;
        if let Some(v) = self.version {
            write!(f, "@{}", v.as_str())?;
        }
        Ok(())
    }
}

/// The filesystem a virtual preopen names.
#[derive(Arbitrary, Debug, Clone)]
pub enum FsName {
    /// No name (rejected).
    Empty,
    /// [`wasi_config::SANDBOX_FS`].
    Sandbox,
    /// Any other name.
    Other(Text),
}

/// Where a preopen's directory comes from.
#[derive(Arbitrary, Debug, Clone)]
pub enum BackingOp {
    /// A host directory.
    Host(Text),
    /// A directory inside a virtual filesystem.
    Virtual {
        /// The filesystem's name.
        filesystem: FsName,
        /// The directory inside it.
        path: Text,
    },
}

/// One call on a [`ConfigBuilder`].
#[derive(Arbitrary, Debug, Clone)]
pub enum BuilderOp {
    /// [`ConfigBuilder::arg`]
    Arg(Text),
    /// [`ConfigBuilder::env`]
    Env(Text, Text),
    /// [`ConfigBuilder::env_remove`]
    EnvRemove(Text),
    /// [`ConfigBuilder::preopen_dir`]
    PreopenDir(Text),
    /// [`ConfigBuilder::map_dir`]
    MapDir {
        /// The guest path.
        guest: Text,
        /// The host directory.
        host: Text,
    },
    /// [`ConfigBuilder::preopen`] with chosen permissions.
    Preopen {
        /// Host or virtual directory.
        backing: BackingOp,
        /// An explicit guest path.
        guest: Option<Text>,
        /// Grant read.
        read: bool,
        /// Grant write.
        write: bool,
        /// Grant create (implies write).
        create: bool,
        /// Set them one by one with `read().write().create()` rather than
        /// with `permissions(Permissions::new(..))`.
        chained: bool,
    },
    /// [`ConfigBuilder::use_package`]
    UsePackage(PackageText),
    /// [`ConfigBuilder::include_package`]
    IncludePackage(Text),
    /// [`ConfigBuilder::map_command`]
    MapCommand {
        /// The command's name.
        name: Text,
        /// The host module.
        host: Text,
    },
    /// [`ConfigBuilder::capabilities`]: open fds limit `1 + n % 16`, and a
    /// task limit.
    Capabilities {
        /// Selects the open-fd limit.
        max_open_fds: u8,
        /// Selects the task limit, if any.
        max_tasks: Option<u8>,
    },
}

/// A program name and the calls made after [`ConfigBuilder::new`].
#[derive(Arbitrary, Debug, Clone, Default)]
pub struct BuilderOps {
    /// `args[0]`.
    pub program_name: Text,
    /// The calls, in order.
    pub ops: Vec<BuilderOp>,
}

/// A host path holding exactly `bytes` (any bytes on unix).
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

/// The bytes a path holds, as `wasi-config` sees them.
fn path_bytes(p: &Path) -> Vec<u8> {
    p.as_os_str().as_encoded_bytes().to_vec()
}

/// A preopen as the model keeps it.
#[derive(Debug, Clone)]
pub struct ModelPreopen {
    /// `Ok(host path)` or `Err((filesystem, path inside it))`.
    pub backing: Result<Vec<u8>, (String, Vec<u8>)>,
    /// The explicit guest path.
    pub guest: Option<Vec<u8>>,
    /// read, write, create as granted (create implies write).
    pub permissions: (bool, bool, bool),
}

impl ModelPreopen {
    /// The guest path: the explicit one, or the backing's own path.
    pub fn guest(&self) -> &[u8] {
        match (&self.guest, &self.backing) {
            (Some(g), _) => g,
            (None, Ok(host)) => host,
            (None, Err((_, path))) => path,
        }
    }
}

/// What a builder holds after a sequence of calls, in plain vectors.
#[derive(Debug, Clone)]
pub struct Model {
    /// argv, program name first.
    pub args: Vec<Vec<u8>>,
    /// `(key, value)` in order; setting a key again replaces its value in
    /// place, removing and setting again appends.
    pub envs: Vec<(Vec<u8>, Vec<u8>)>,
    /// Preopens, in order.
    pub preopens: Vec<ModelPreopen>,
    /// Package specifiers.
    pub packages: Vec<String>,
    /// Package files.
    pub package_files: Vec<Vec<u8>>,
    /// `(name, host path)`.
    pub commands: Vec<(String, Vec<u8>)>,
    /// The open-fd limit.
    pub max_open_fds: usize,
}

impl Model {
    fn new(program_name: Vec<u8>) -> Self {
        Model {
            args: vec![program_name],
            envs: Vec::new(),
            preopens: Vec::new(),
            packages: Vec::new(),
            package_files: Vec::new(),
            commands: Vec::new(),
            max_open_fds: Capabilities::DEFAULT_MAX_OPEN_FDS.get(),
        }
    }

    fn set_env(&mut self, key: Vec<u8>, value: Vec<u8>) {
        match self.envs.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.envs.push((key, value)),
        }
    }
}

/// Applies `input` to a new builder and to the model.
pub fn build(input: &BuilderOps) -> (ConfigBuilder, Model) {
    let program = input.program_name.bytes();
    let mut b = ConfigBuilder::new(&program);
    let mut m = Model::new(program);
    for op in &input.ops {
        match op {
            BuilderOp::Arg(a) => {
                let a = a.bytes();
                b.arg(&a);
                m.args.push(a);
            }
            BuilderOp::Env(k, v) => {
                let (k, v) = (k.bytes(), v.bytes());
                b.env(&k, &v);
                m.set_env(k, v);
            }
            BuilderOp::EnvRemove(k) => {
                let k = k.bytes();
                b.env_remove(&k);
                m.envs.retain(|(key, _)| *key != k);
            }
            BuilderOp::PreopenDir(h) => {
                let host = host_path(&h.bytes());
                b.preopen_dir(&host);
                m.preopens.push(ModelPreopen {
                    backing: Ok(path_bytes(&host)),
                    guest: None,
                    permissions: (true, true, true),
                });
            }
            BuilderOp::MapDir { guest, host } => {
                let (guest, host) = (guest.bytes(), host_path(&host.bytes()));
                b.map_dir(&guest, &host);
                m.preopens.push(ModelPreopen {
                    backing: Ok(path_bytes(&host)),
                    guest: Some(guest),
                    permissions: (true, true, true),
                });
            }
            BuilderOp::Preopen {
                backing,
                guest,
                read,
                write,
                create,
                chained,
            } => {
                let (mut spec, model_backing) = match backing {
                    BackingOp::Host(h) => {
                        let host = host_path(&h.bytes());
                        (PreopenSpec::host(&host), Ok(path_bytes(&host)))
                    }
                    BackingOp::Virtual { filesystem, path } => {
                        let fs = match filesystem {
                            FsName::Empty => String::new(),
                            FsName::Sandbox => wasi_config::SANDBOX_FS.to_string(),
                            FsName::Other(t) => t.text(),
                        };
                        let path = host_path(&path.bytes());
                        let model = Err((fs.clone(), path_bytes(&path)));
                        (PreopenSpec::virtual_dir(fs, &path), model)
                    }
                };
                let guest = guest.as_ref().map(Text::bytes);
                if let Some(g) = &guest {
                    spec = spec.guest_path(g);
                }
                spec = if *chained {
                    spec.read(*read).write(*write).create(*create)
                } else {
                    spec.permissions(Permissions::new(*read, *write, *create))
                };
                b.preopen(spec);
                m.preopens.push(ModelPreopen {
                    backing: model_backing,
                    guest,
                    permissions: (*read, *write || *create, *create),
                });
            }
            BuilderOp::UsePackage(p) => {
                let spec = p.to_string();
                b.use_package(spec.clone());
                m.packages.push(spec);
            }
            BuilderOp::IncludePackage(p) => {
                let path = host_path(&p.bytes());
                b.include_package(&path);
                m.package_files.push(path_bytes(&path));
            }
            BuilderOp::MapCommand { name, host } => {
                let (name, host) = (name.text(), host_path(&host.bytes()));
                b.map_command(name.clone(), &host);
                m.commands.push((name, path_bytes(&host)));
            }
            BuilderOp::Capabilities {
                max_open_fds,
                max_tasks,
            } => {
                let fds = NonZeroUsize::MIN.saturating_add(usize::from(max_open_fds % 16));
                let mut caps = Capabilities::default().with_max_open_fds(fds);
                if let Some(t) = max_tasks {
                    caps = caps.with_max_tasks(NonZeroUsize::MIN.saturating_add(usize::from(*t)));
                }
                b.capabilities(caps);
                m.max_open_fds = fds.get();
            }
        }
    }
    (b, m)
}

// The rules, restated from `wasi-config`'s documentation and issue 2.

/// What is wrong with a guest path (or a path inside a virtual
/// filesystem), if anything: it must be non-empty, hold no nul byte and
/// have no `..` component.
pub fn guest_path_problems(p: &[u8]) -> Vec<GuestPathProblem> {
    let mut problems = Vec::new();
    if p.is_empty() {
        problems.push(GuestPathProblem::Empty);
    }
    if p.contains(&0) {
        problems.push(GuestPathProblem::Nul);
    }
    if p.split(|&c| c == b'/').any(|c| c == b"..") {
        problems.push(GuestPathProblem::ParentComponent);
    }
    problems
}

/// The components that identify a guest directory: empty and `.` ones do
/// not count, so `data`, `/data` and `./data/` are one directory.
pub fn normalized(p: &[u8]) -> Vec<&[u8]> {
    p.split(|&c| c == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect()
}

/// A host path, package file or command file: non-empty, no nul byte.
pub fn usable_path(p: &[u8]) -> bool {
    !p.is_empty() && !p.contains(&0)
}

/// Namespace, package and command names: `wasi-config`'s own public rule
/// ([`wasi_config::check_name`], pinned by its tests), so the oracle checks
/// that validation applies it to every command name and reports the right
/// one.
pub fn name_ok(s: &str) -> bool {
    wasi_config::check_name(s).is_ok()
}

/// `namespace/name[@requirement]`: `wasi-config`'s own public parser
/// ([`PackageSpecifier`], pinned by its tests), so the oracle checks that
/// validation parses every package and reports the right one.
pub fn package_ok(spec: &str) -> bool {
    spec.parse::<PackageSpecifier>().is_ok()
}

fn env_ok(key: &[u8], value: &[u8]) -> bool {
    !key.is_empty() && !key.contains(&0) && !key.contains(&b'=') && !value.contains(&0)
}

fn backing_ok(p: &ModelPreopen) -> bool {
    match &p.backing {
        Ok(host) => usable_path(host),
        Err((fs, path)) => !fs.is_empty() && guest_path_problems(path).is_empty(),
    }
}

/// Whether the preopen at `index` names the same guest directory as an
/// earlier one (both guest paths valid).
fn duplicate_guest(m: &Model, index: usize) -> bool {
    let this = m.preopens[index].guest();
    guest_path_problems(this).is_empty()
        && m.preopens[..index].iter().any(|p| {
            guest_path_problems(p.guest()).is_empty() && normalized(p.guest()) == normalized(this)
        })
}

/// Whether every rule holds for the model.
pub fn rules_hold(m: &Model) -> bool {
    let args = m.args.iter().all(|a| !a.contains(&0));
    let envs = m.envs.iter().all(|(k, v)| env_ok(k, v));
    let preopens = (0..m.preopens.len()).all(|i| {
        let p = &m.preopens[i];
        let (r, w, c) = p.permissions;
        backing_ok(p)
            && (r || w || c)
            && guest_path_problems(p.guest()).is_empty()
            && !duplicate_guest(m, i)
    });
    let fds = m.preopens.len() + 3 <= m.max_open_fds;
    let packages = m.packages.iter().all(|p| package_ok(p));
    let files = m.package_files.iter().all(|f| usable_path(f));
    let commands = m.commands.iter().enumerate().all(|(i, (n, h))| {
        name_ok(n) && usable_path(h) && m.commands[..i].iter().all(|(o, _)| o != n)
    });
    args && envs && preopens && fds && packages && files && commands
}

/// Whether `error` is true of the model: the item it names exists and
/// breaks the rule it says.
pub fn error_is_true(m: &Model, error: &ConfigError) -> bool {
    let env = |key: &[u8]| m.envs.iter().find(|(k, _)| k == key);
    let preopen = |index: usize| m.preopens.get(index);
    match error {
        ConfigError::ArgContainsNul { index } => m.args.get(*index).is_some_and(|a| a.contains(&0)),
        ConfigError::EnvKeyEmpty { index } => m.envs.get(*index).is_some_and(|(k, _)| k.is_empty()),
        ConfigError::EnvKeyContainsNul { key } => env(&key.0).is_some_and(|(k, _)| k.contains(&0)),
        ConfigError::EnvKeyContainsEquals { key } => {
            env(&key.0).is_some_and(|(k, _)| k.contains(&b'='))
        }
        ConfigError::EnvValueContainsNul { key } => {
            env(&key.0).is_some_and(|(_, v)| v.contains(&0))
        }
        ConfigError::PreopenWithoutPermission { index, guest } => preopen(*index)
            .is_some_and(|p| p.permissions == (false, false, false) && p.guest() == guest.0),
        ConfigError::PreopenWithoutDirectory { index } => {
            preopen(*index).is_some_and(|p| matches!(&p.backing, Ok(h) if h.is_empty()))
        }
        ConfigError::HostPathContainsNul { index, path } => preopen(*index).is_some_and(
            |p| matches!(&p.backing, Ok(h) if h.contains(&0) && *h == path_bytes(path)),
        ),
        ConfigError::VirtualPreopenWithoutFilesystem { index } => {
            preopen(*index).is_some_and(|p| matches!(&p.backing, Err((fs, _)) if fs.is_empty()))
        }
        ConfigError::InvalidVirtualPath {
            index,
            filesystem,
            path,
            problem,
        } => preopen(*index).is_some_and(|p| {
            matches!(&p.backing, Err((fs, inner))
                if fs == filesystem && *inner == path.0
                    && guest_path_problems(inner).contains(problem))
        }),
        ConfigError::InvalidGuestPath {
            index,
            path,
            problem,
        } => preopen(*index).is_some_and(|p| {
            p.guest() == path.0 && guest_path_problems(p.guest()).contains(problem)
        }),
        ConfigError::DuplicateGuestPath {
            first,
            first_path,
            second,
            second_path,
        } => match (preopen(*first), preopen(*second)) {
            (Some(a), Some(b)) => {
                first < second
                    && a.guest() == first_path.0
                    && b.guest() == second_path.0
                    && guest_path_problems(a.guest()).is_empty()
                    && guest_path_problems(b.guest()).is_empty()
                    && normalized(a.guest()) == normalized(b.guest())
            }
            _ => false,
        },
        ConfigError::TooManyPreopens {
            preopens,
            max_open_fds,
        } => {
            *preopens == m.preopens.len()
                && *max_open_fds == m.max_open_fds
                && preopens + 3 > *max_open_fds
        }
        ConfigError::InvalidPackageSpecifier { spec, .. } => {
            m.packages.contains(spec) && !package_ok(spec)
        }
        ConfigError::InvalidPackageFile { index, path } => m
            .package_files
            .get(*index)
            .is_some_and(|f| *f == path_bytes(path) && !usable_path(f)),
        ConfigError::InvalidCommandName { name, reason } => {
            wasi_config::check_name(name) == Err(*reason)
                && m.commands.iter().any(|(n, _)| n == name)
        }
        ConfigError::InvalidCommandPath { name, path } => m
            .commands
            .iter()
            .any(|(n, h)| n == name && *h == path_bytes(path) && !usable_path(h)),
        ConfigError::DuplicateCommand { name } => {
            m.commands.iter().filter(|(n, _)| n == name).count() >= 2
        }
        // The ABI limits need gigabytes to reach, and no builder call makes
        // a command-line form error.
        _ => false,
    }
}

/// Checks that `table` lays out exactly `entries`: back to back from offset
/// 0, each followed by one nul byte, filling the buffer.
fn check_table(table: &EncodedStrings, entries: impl Iterator<Item = Vec<u8>> + Clone) {
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    for e in entries.clone() {
        offsets.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        bytes.extend_from_slice(&e);
        bytes.push(0);
    }
    assert_eq!(table.bytes(), bytes);
    assert_eq!(table.offsets(), offsets);
    assert_eq!(table.count() as usize, offsets.len());
    assert_eq!(table.buf_size() as usize, bytes.len());
    assert!(table.iter().eq(entries.clone()));
    for (i, e) in entries.enumerate() {
        assert_eq!(table.get(i), Some(&e[..]));
    }
    assert_eq!(table.get(offsets.len()), None);
}

/// Applies `input` to a builder, validates it both ways and checks the
/// verdict and every reported problem against the model (see the module
/// docs). Panics when `wasi-config` disagrees with the oracle.
pub fn check_builder_ops(input: &BuilderOps) {
    let (builder, model) = build(input);
    let first = builder.validate();
    let all = builder.validate_all();
    let expected = rules_hold(&model);
    assert_eq!(
        first.is_ok(),
        expected,
        "validate verdict disagrees with the rules: {first:?}\nmodel: {model:?}"
    );
    match (first, all) {
        (Ok(config), Ok(config_all)) => {
            assert!(config.args_table() == config_all.args_table());
            assert!(config.environ_table() == config_all.environ_table());
            assert_eq!(config.program_name(), model.args[0]);
            assert!(config.args().eq(model.args[1..].iter().map(Vec::as_slice)));
            assert!(
                config
                    .envs()
                    .eq(model.envs.iter().map(|(k, v)| (k.as_slice(), v.as_slice())))
            );
            check_table(config.args_table(), model.args.iter().cloned());
            check_table(
                config.environ_table(),
                model
                    .envs
                    .iter()
                    .map(|(k, v)| [&k[..], b"=", &v[..]].concat()),
            );
            for (k, v) in &model.envs {
                assert_eq!(config.env(k), Some(&v[..]));
            }
            assert_eq!(config.preopens().len(), model.preopens.len());
            for (got, want) in config.preopens().iter().zip(&model.preopens) {
                assert_eq!(got.guest_path().as_bytes(), want.guest());
                let p = got.permissions();
                assert_eq!((p.read(), p.write(), p.create()), want.permissions);
                let backing_matches = match (got.backing(), &want.backing) {
                    (Backing::Host(h), Ok(wh)) => path_bytes(h) == *wh,
                    (Backing::Virtual { filesystem, path }, Err((fs, wp))) => {
                        filesystem == fs && path_bytes(path) == *wp
                    }
                    _ => false,
                };
                assert!(backing_matches, "{got:?} is not {want:?}");
            }
            let packages: Vec<String> = config.packages().iter().map(|p| p.full_name()).collect();
            assert_eq!(packages.len(), model.packages.len());
            for (got, want) in packages.iter().zip(&model.packages) {
                assert!(want.starts_with(got.as_str()), "{got} from {want}");
            }
            assert!(
                config
                    .package_files()
                    .iter()
                    .map(|f| path_bytes(f))
                    .eq(model.package_files.iter().cloned())
            );
            assert!(
                config
                    .commands()
                    .iter()
                    .map(|c| (c.name(), path_bytes(c.host_path())))
                    .eq(model.commands.iter().map(|(n, h)| (n.as_str(), h.clone())))
            );
        }
        (Err(e), Err(errors)) => {
            assert_eq!(
                errors.errors().first(),
                Some(&e),
                "validate_all's first problem differs"
            );
            for error in errors.errors() {
                assert!(
                    error_is_true(&model, error),
                    "reported problem is not true of the input: {error:?}\nmodel: {model:?}"
                );
            }
        }
        (first, all) => panic!(
            "validate and validate_all disagree: {:?} vs {:?}",
            first.map(|_| ()),
            all.map(|_| ())
        ),
    }
}

fn split_at_first<'a>(input: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    (0..=input.len().saturating_sub(sep.len()))
        .find(|&i| input[i..].starts_with(sep))
        .map(|i| (&input[..i], &input[i + sep.len()..]))
}

/// Checks one form on `input`: accepted exactly when `shape_ok`; an
/// accepted value round-trips through `to_bytes`/`parse`, is what
/// `TryFrom<&OsStr>` makes of the same bytes (on unix, where an `OsStr`
/// holds any bytes), and round-trips through `Display`/`FromStr` when
/// `input` is UTF-8.
fn check_form<T>(
    input: &[u8],
    shape_ok: bool,
    parse: fn(&[u8]) -> Result<T, ConfigError>,
    to_bytes: fn(&T) -> Vec<u8>,
) -> Option<T>
where
    T: PartialEq + fmt::Debug + fmt::Display + FromStr<Err = ConfigError>,
    for<'a> T: TryFrom<&'a std::ffi::OsStr, Error = ConfigError>,
{
    let value = match parse(input) {
        Ok(value) => value,
        Err(e) => {
            assert!(!shape_ok, "rejected a well-formed input: {e}");
            assert!(matches!(e, ConfigError::InvalidCliForm { .. }), "{e:?}");
            return None;
        }
    };
    assert!(shape_ok, "accepted a malformed input: {value:?}");
    assert_eq!(to_bytes(&value), input);
    assert_eq!(parse(&to_bytes(&value)).as_ref(), Ok(&value));
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let from_os = T::try_from(std::ffi::OsStr::from_bytes(input));
        assert_eq!(from_os.as_ref(), Ok(&value));
    }
    if let Ok(text) = std::str::from_utf8(input) {
        let shown = value.to_string();
        assert_eq!(shown, text);
        assert_eq!(shown.parse::<T>().as_ref(), Ok(&value));
    }
    Some(value)
}

/// Runs the four command-line parsers on `input` and checks them against
/// their documented shapes and round trips (see the module docs).
pub fn check_cli_forms(input: &[u8]) {
    // KEY=VALUE or KEY, split at the first `=`; the key is non-empty.
    let key = split_at_first(input, b"=").map_or(input, |(k, _)| k);
    check_form(
        input,
        !key.is_empty(),
        EnvAssignment::parse,
        EnvAssignment::to_bytes,
    );
    if let Err(ConfigError::InvalidCliForm { shown, .. }) = EnvAssignment::parse(input) {
        assert!(
            key.starts_with(&shown.0),
            "an env error shows more than the key"
        );
    }

    // HOST[::GUEST], split at the first `::`; both parts non-empty.
    let dir_ok = match split_at_first(input, b"::") {
        Some((host, guest)) => !host.is_empty() && !guest.is_empty(),
        None => !input.is_empty(),
    };
    check_form(input, dir_ok, DirSpec::parse, DirSpec::to_bytes);

    // GUEST:HOST, split at the first `:`; both parts non-empty.
    let map_ok = split_at_first(input, b":").is_some_and(|(g, h)| !g.is_empty() && !h.is_empty());
    check_form(input, map_ok, MapDirSpec::parse, MapDirSpec::to_bytes);

    // NAME=PATH, split at the first `=`; a non-empty UTF-8 name, a path.
    let command_ok = split_at_first(input, b"=")
        .is_some_and(|(n, p)| !n.is_empty() && std::str::from_utf8(n).is_ok() && !p.is_empty());
    check_form(
        input,
        command_ok,
        CommandMapping::parse,
        CommandMapping::to_bytes,
    );
}

#[cfg(test)]
mod tests {
    use arbitrary::Unstructured;

    use super::*;

    /// A fixed-seed byte generator (splitmix64), so every run checks the
    /// same inputs.
    struct Bytes(u64);

    impl Bytes {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// Up to `max` bytes.
        fn fill(&mut self, max: usize) -> Vec<u8> {
            let len = (self.next_u64() % (max as u64 + 1)) as usize;
            (0..len).map(|_| self.next_u64().to_le_bytes()[0]).collect()
        }
    }

    #[test]
    fn builder_ops_agree_with_the_oracle_on_fixed_seeds() {
        let mut rng = Bytes(0x5eed_0001);
        let (mut accepted, mut rejected) = (0, 0);
        for _ in 0..4000 {
            let data = rng.fill(400);
            let Ok(input) = BuilderOps::arbitrary_take_rest(Unstructured::new(&data)) else {
                continue;
            };
            check_builder_ops(&input);
            match build(&input).0.validate() {
                Ok(_) => accepted += 1,
                Err(_) => rejected += 1,
            }
        }
        // Both verdicts are exercised, so the oracle is tested both ways.
        assert!(
            accepted > 100 && rejected > 100,
            "{accepted} accepted, {rejected} rejected"
        );
    }

    #[test]
    fn cli_forms_agree_with_the_oracle_on_fixed_seeds() {
        let mut rng = Bytes(0x5eed_0002);
        for _ in 0..4000 {
            let data = rng.fill(64);
            check_cli_forms(&data);
            // The same bytes read as tokens reach the separators more often.
            if let Ok(text) = Text::arbitrary_take_rest(Unstructured::new(&data)) {
                check_cli_forms(&text.bytes());
            }
        }
    }

    #[test]
    fn the_version_tables_match_semver() {
        for v in VALID_REQS {
            assert!(v.parse::<wasi_config::semver::VersionReq>().is_ok(), "{v}");
        }
        for v in INVALID_REQS {
            assert!(v.parse::<wasi_config::semver::VersionReq>().is_err(), "{v}");
        }
    }

    /// The cases proptest once shrank a failure of the same oracle to (when
    /// `wasi-config/tests/props.rs` still held a copy of this model).
    #[test]
    fn former_proptest_regressions_keep_their_verdicts() {
        use Token::*;
        let prog = Text(vec![Byte(b'p'), Byte(b'r'), Byte(b'o'), Byte(b'g')]);
        let with = |ops: Vec<BuilderOp>| BuilderOps {
            program_name: prog.clone(),
            ops,
        };
        let cat = Text(vec![Byte(b'c'), Byte(b'a'), Byte(b't')]);
        let cases = [
            // `.` and `/` are the same guest directory.
            with(vec![
                BuilderOp::MapDir {
                    guest: Text(vec![Dot]),
                    host: Text(vec![Lower]),
                },
                BuilderOp::MapDir {
                    guest: Text(vec![Slash]),
                    host: Text(vec![Lower]),
                },
            ]),
            with(vec![BuilderOp::Env(
                Text(vec![Byte(b'A')]),
                Text(vec![Nul]),
            )]),
            // An fd limit of 2 leaves no room for stdio.
            with(vec![BuilderOp::Capabilities {
                max_open_fds: 1,
                max_tasks: None,
            }]),
            with(vec![
                BuilderOp::MapCommand {
                    name: cat.clone(),
                    host: Text(vec![Lower]),
                },
                BuilderOp::MapCommand {
                    name: cat,
                    host: Text(vec![Lower]),
                },
            ]),
        ];
        for case in &cases {
            check_builder_ops(case);
        }
        let errors: Vec<_> = cases
            .iter()
            .map(|case| build(case).0.validate().map(|_| ()))
            .collect();
        assert!(
            matches!(
                &errors[..],
                [
                    Err(ConfigError::DuplicateGuestPath {
                        first: 0,
                        second: 1,
                        ..
                    }),
                    Err(ConfigError::EnvValueContainsNul { .. }),
                    Err(ConfigError::TooManyPreopens {
                        preopens: 0,
                        max_open_fds: 2
                    }),
                    Err(ConfigError::DuplicateCommand { .. }),
                ]
            ),
            "{errors:?}"
        );
    }

    #[test]
    fn known_verdicts() {
        use Token::*;
        let ok = BuilderOps {
            program_name: Text(vec![Lower]),
            ops: vec![
                BuilderOp::Env(Text(vec![Upper]), Text(vec![Nul])),
                BuilderOp::Env(Text(vec![Upper]), Text(vec![Equals])),
                BuilderOp::MapDir {
                    guest: Text(vec![Lower]),
                    host: Text(vec![Slash]),
                },
            ],
        };
        check_builder_ops(&ok);
        assert!(build(&ok).0.validate().is_ok());
        let mut duplicate = ok.clone();
        duplicate.ops.push(BuilderOp::MapDir {
            guest: Text(vec![Slash, Lower, Slash, Dot]),
            host: Text(vec![Slash]),
        });
        check_builder_ops(&duplicate);
        assert!(matches!(
            build(&duplicate).0.validate(),
            Err(ConfigError::DuplicateGuestPath {
                first: 0,
                second: 1,
                ..
            })
        ));

        let mut commands = ok.clone();
        let ls = Text(vec![Lower, Upper]);
        for _ in 0..2 {
            commands.ops.push(BuilderOp::MapCommand {
                name: ls.clone(),
                host: Text(vec![Lower]),
            });
        }
        check_builder_ops(&commands);
        assert!(matches!(
            build(&commands).0.validate(),
            Err(ConfigError::DuplicateCommand { name }) if name == "aZ"
        ));
    }
}
