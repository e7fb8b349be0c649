//! Run-time settings (GUCs): the table of parameters, one [`Settings`] per
//! process, and the postgresql.conf reader.
//!
//! PostgreSQL keeps this in `utils/misc/guc.c`; it lives in `types` because
//! both binaries need it: the postmaster fills a [`Settings`] from the
//! configuration file ([`parse_config_file`], [`apply_config`]) and `-c`
//! options ([`GucSource::CommandLine`]), and every backend starts from the
//! postmaster's values, applies the startup packet's options
//! ([`GucSource::Client`]), then serves `SET`, `SET LOCAL`, `RESET`, `SHOW`
//! and `SHOW ALL`, and sends `ParameterStatus` for [`Settings::changed_reported`].
//!
//! # Values, sources and the transaction stack
//!
//! Each setting has a current value and a *reset* value (what `RESET` goes
//! back to), each tagged with the [`GucSource`] that set it. A source never
//! overrides a value set by a higher one: a configuration reload does not undo
//! a session's `SET`, although it does change what `RESET` and `ROLLBACK`
//! restore. Sources other than [`GucSource::Session`] also set the reset value.
//!
//! Inside a transaction every `SET` and `SET LOCAL` first saves the old value
//! on a per-setting stack entry tagged with the nesting level (1 for the
//! top-level transaction, +1 per savepoint):
//!
//! ```text
//!   state      set by                    at commit of its level     at abort
//!   Set        SET                       keep the new value         restore prior
//!   Local      SET LOCAL                 restore prior              restore prior
//!   SetLocal   SET, then SET LOCAL       restore the SET's value    restore prior
//!                                        ("masked")
//! ```
//!
//! Committing a savepoint merges its entry into the enclosing level's entry
//! instead, so that the outcome is decided when the top-level transaction ends.
//!
//! # What the caller does
//!
//! This module has no catalog access: a parameter whose value names a catalog
//! object (session_authorization, default_text_search_config, temp_tablespaces)
//! or needs the time-zone database (TimeZone) can be given a [`CheckHook`]
//! with [`Settings::install_check_hook`]. The `WARNING` for `SET LOCAL`
//! outside a transaction block, and FATAL for a bad startup-packet option, are
//! the caller's to raise.

mod config;
mod table;
mod value;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{PgError, PgResult, SqlState};

pub use config::{
    ConfigEntry, ConfigFileError, apply_config, load_config, parse_config_file, reload_config,
};
pub use value::{
    ENCODINGS, canonical_encoding_name, format_g, is_reserved_keyword, parse_bool, parse_plain_int,
    parse_plain_real, quote_identifier,
};

use value::ParseFailure;

/// When a setting may be changed, as PostgreSQL's `GucContext`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GucContext {
    /// Fixed at build or initdb time; shown, never set (block_size).
    Internal,
    /// Read at server start only (max_connections, shared_buffers).
    Postmaster,
    /// Changed by reloading the configuration file (fsync, checkpoint_timeout).
    Sighup,
    /// Set at connection start by a superuser (log_connections).
    SuperuserBackend,
    /// Set at connection start by anyone.
    Backend,
    /// Set any time by a superuser (log_statement, commit_delay).
    Superuser,
    /// Set any time by anyone (work_mem, search_path).
    User,
}

impl GucContext {
    /// The `context` column of `pg_settings`.
    pub fn as_str(self) -> &'static str {
        match self {
            GucContext::Internal => "internal",
            GucContext::Postmaster => "postmaster",
            GucContext::Sighup => "sighup",
            GucContext::SuperuserBackend => "superuser-backend",
            GucContext::Backend => "backend",
            GucContext::Superuser => "superuser",
            GucContext::User => "user",
        }
    }
}

/// Where a value came from, lowest priority first: a value never replaces one
/// from a higher source (except through the transaction stack and `RESET`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GucSource {
    /// The boot value compiled in.
    Default,
    /// postgresql.conf.
    ConfigFile,
    /// `-c name=value` on the postmaster's command line.
    CommandLine,
    /// The startup packet's parameters and `options`.
    Client,
    /// Set by the server itself (data_directory, is_superuser, lc_collate);
    /// bypasses the context rules.
    Override,
    /// `SET` / `RESET` in the session.
    Session,
}

impl GucSource {
    /// The `source` column of `pg_settings`.
    pub fn as_str(self) -> &'static str {
        match self {
            GucSource::Default => "default",
            GucSource::ConfigFile => "configuration file",
            GucSource::CommandLine => "command line",
            GucSource::Client => "client",
            GucSource::Override => "override",
            GucSource::Session => "session",
        }
    }
}

/// The unit a numeric setting is stored in (its *base unit*) and accepts in input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GucUnit {
    None,
    Bytes,
    Kilobytes,
    /// 8 kB pages (shared_buffers, temp_buffers, wal_buffers, effective_cache_size).
    Blocks,
    Megabytes,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
}

impl GucUnit {
    /// Memory units: B, kB, MB, GB, TB are accepted.
    pub fn is_memory(self) -> bool {
        matches!(
            self,
            GucUnit::Bytes | GucUnit::Kilobytes | GucUnit::Blocks | GucUnit::Megabytes
        )
    }

    /// Time units: us, ms, s, min, h, d are accepted.
    pub fn is_time(self) -> bool {
        matches!(
            self,
            GucUnit::Microseconds | GucUnit::Milliseconds | GucUnit::Seconds | GucUnit::Minutes
        )
    }

    /// One base unit in bytes (memory) or microseconds (time); 1 for none.
    pub fn base_factor(self) -> f64 {
        match self {
            GucUnit::None | GucUnit::Bytes | GucUnit::Microseconds => 1.0,
            GucUnit::Kilobytes => 1024.0,
            GucUnit::Blocks => 8192.0,
            GucUnit::Megabytes => 1024.0 * 1024.0,
            GucUnit::Milliseconds => 1e3,
            GucUnit::Seconds => 1e6,
            GucUnit::Minutes => 60e6,
        }
    }

    /// The `unit` column of `pg_settings` (`8kB`, `ms`, ...), also used in
    /// out-of-range messages.
    pub fn label(self) -> Option<&'static str> {
        match self {
            GucUnit::None => None,
            GucUnit::Bytes => Some("B"),
            GucUnit::Kilobytes => Some("kB"),
            GucUnit::Blocks => Some("8kB"),
            GucUnit::Megabytes => Some("MB"),
            GucUnit::Microseconds => Some("us"),
            GucUnit::Milliseconds => Some("ms"),
            GucUnit::Seconds => Some("s"),
            GucUnit::Minutes => Some("min"),
        }
    }
}

/// One accepted spelling of an enum setting. Hidden options are accepted but
/// not listed in hints (`synchronous_commit = true` means `on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumOption {
    pub name: &'static str,
    pub value: i32,
    pub hidden: bool,
}

/// The type of a setting, with its boot value and limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GucKind {
    Bool {
        boot: bool,
    },
    /// `min`, `max` and `boot` are in the base unit.
    Int {
        boot: i32,
        min: i32,
        max: i32,
        unit: GucUnit,
    },
    Real {
        boot: f64,
        min: f64,
        max: f64,
        unit: GucUnit,
    },
    String {
        boot: &'static str,
    },
    Enum {
        boot: &'static str,
        options: &'static [EnumOption],
    },
}

/// Flags of a setting, as PostgreSQL's `GUC_*` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GucFlags(pub u16);

impl GucFlags {
    pub const NONE: GucFlags = GucFlags(0);
    /// `GUC_REPORT`: sent to the client as ParameterStatus when it changes.
    pub const REPORT: GucFlags = GucFlags(1);
    /// Left out of `SHOW ALL`.
    pub const NO_SHOW_ALL: GucFlags = GucFlags(2);
    /// Left alone by `RESET ALL`.
    pub const NO_RESET_ALL: GucFlags = GucFlags(4);
    /// Only superusers (and pg_read_all_settings) may see it.
    pub const SUPERUSER_ONLY: GucFlags = GucFlags(8);
    /// `SET x = a, b` is allowed and joins the items.
    pub const LIST_INPUT: GucFlags = GucFlags(16);
    /// List items are quoted as identifiers when joined.
    pub const LIST_QUOTE: GucFlags = GucFlags(32);
    /// Shown in octal (unix_socket_permissions).
    pub const SHOW_OCTAL: GucFlags = GucFlags(64);

    /// Both sets of flags.
    pub const fn with(self, other: GucFlags) -> GucFlags {
        GucFlags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: GucFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// A built-in setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GucDef {
    /// The canonical spelling (`DateStyle`, `work_mem`).
    pub name: &'static str,
    pub context: GucContext,
    pub kind: GucKind,
    /// The `category` column of `pg_settings`.
    pub category: &'static str,
    /// The short description printed by `SHOW ALL`.
    pub description: &'static str,
    pub flags: GucFlags,
}

impl GucDef {
    /// Whether changes are reported to the client (`GUC_REPORT`).
    pub fn is_reported(&self) -> bool {
        self.flags.contains(GucFlags::REPORT)
    }

    /// The base unit of a numeric setting.
    pub fn unit(&self) -> GucUnit {
        match self.kind {
            GucKind::Int { unit, .. } | GucKind::Real { unit, .. } => unit,
            _ => GucUnit::None,
        }
    }

    /// The `vartype` column of `pg_settings`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            GucKind::Bool { .. } => "bool",
            GucKind::Int { .. } => "integer",
            GucKind::Real { .. } => "real",
            GucKind::String { .. } => "string",
            GucKind::Enum { .. } => "enum",
        }
    }

    fn boot_value(&self) -> Val {
        match self.kind {
            GucKind::Bool { boot } => Val::Bool(boot),
            GucKind::Int { boot, .. } => Val::Int(boot),
            GucKind::Real { boot, .. } => Val::Real(boot),
            GucKind::String { boot } => Val::Str(boot.to_string()),
            GucKind::Enum { boot, options } => {
                Val::Enum(value::parse_enum(boot, options).unwrap_or(0))
            }
        }
    }
}

fn index_of(name: &str) -> Option<usize> {
    // Settings are read several times per statement (statement_timeout,
    // lock_timeout, TimeZone, ...): one hash lookup of the lower-case name,
    // lower-cased on the stack (a long name, which no setting has, on the
    // heap).
    static BY_NAME: std::sync::OnceLock<crate::fasthash::FastMap<String, usize>> =
        std::sync::OnceLock::new();
    let map = BY_NAME.get_or_init(|| {
        table::TABLE
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.to_ascii_lowercase(), i))
            .collect()
    });
    if !name.bytes().any(|b| b.is_ascii_uppercase()) {
        return map.get(name).copied();
    }
    let mut buf = [0u8; 64];
    match buf.get_mut(..name.len()) {
        Some(lower) => {
            for (d, s) in lower.iter_mut().zip(name.bytes()) {
                *d = s.to_ascii_lowercase();
            }
            let lower = std::str::from_utf8(lower).ok()?;
            map.get(lower).copied()
        }
        None => map.get(&name.to_ascii_lowercase()).copied(),
    }
}

/// The built-in setting called `name`, case-insensitively; `None` for
/// unknown names and custom (dotted) placeholders.
pub fn lookup(name: &str) -> Option<&'static GucDef> {
    index_of(name).map(|i| &table::TABLE[i])
}

/// Every built-in setting, in `SHOW ALL` order (case-insensitive by name).
pub fn all() -> &'static [GucDef] {
    table::TABLE
}

/// Why a [`CheckHook`] refused a value. Without a `message` the error is
/// PostgreSQL's `invalid value for parameter "x": "v"` with this code, detail
/// and hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    pub code: SqlState,
    pub message: Option<String>,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl CheckError {
    /// 22023 with the standard message.
    pub fn invalid() -> CheckError {
        CheckError {
            code: SqlState::InvalidParameterValue,
            message: None,
            detail: None,
            hint: None,
        }
    }
}

/// Validates (and may canonicalise) a new value of a string setting, like a
/// PostgreSQL check hook: returns the value to store.
pub type CheckHook = fn(&str) -> Result<String, CheckError>;

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Bool(bool),
    Int(i32),
    Real(f64),
    Str(String),
    Enum(i32),
}

#[derive(Debug, Clone, PartialEq)]
struct Slot {
    value: Val,
    source: GucSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StackState {
    Set,
    Local,
    SetLocal,
}

#[derive(Debug, Clone)]
struct StackEntry {
    nest: u32,
    state: StackState,
    prior: Slot,
    masked: Option<Slot>,
}

#[derive(Debug, Clone)]
struct Var {
    current: Slot,
    reset: Slot,
    stack: Vec<StackEntry>,
}

impl Var {
    fn new(value: Val) -> Var {
        let slot = Slot {
            value,
            source: GucSource::Default,
        };
        Var {
            current: slot.clone(),
            reset: slot,
            stack: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct Placeholder {
    /// The name as first written (SHOW does not care about case).
    name: String,
    var: Var,
}

/// `SET` or `SET LOCAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAction {
    /// `SET`: lasts for the session unless the transaction aborts.
    Set,
    /// `SET LOCAL`: lasts until the end of the current transaction.
    Local,
}

/// The run-time settings of one process.
#[derive(Debug, Clone)]
pub struct Settings {
    vars: Vec<Var>,
    placeholders: BTreeMap<String, Placeholder>,
    hooks: Vec<(usize, CheckHook)>,
    /// 0 outside a transaction, 1 in the top-level transaction, +1 per savepoint.
    nest_level: u32,
    last_reported: Vec<Option<String>>,
    /// The value last reported, to skip formatting an unchanged one.
    last_reported_val: Vec<Option<Val>>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings::new()
    }
}

fn err_invalid(name: &str, value: &str) -> PgError {
    PgError::new(
        SqlState::InvalidParameterValue,
        format!("invalid value for parameter \"{name}\": \"{value}\""),
    )
}

fn err_unrecognized(name: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedObject,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

/// Whether `name` is a valid custom (placeholder) name: two or more simple
/// identifiers separated by dots.
fn valid_custom_name(name: &str) -> bool {
    let mut parts = 0;
    for part in name.split('.') {
        let mut chars = part.chars();
        let Some(first) = chars.next() else {
            return false;
        };
        if !(first.is_ascii_alphabetic() || first == '_' || !first.is_ascii()) {
            return false;
        }
        if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()) {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

fn show_val(def: &GucDef, val: &Val) -> String {
    match (val, def.kind) {
        (Val::Bool(b), _) => if *b { "on" } else { "off" }.to_string(),
        (Val::Int(v), _) if def.flags.contains(GucFlags::SHOW_OCTAL) => format!("{v:04o}"),
        (Val::Int(v), kind) => value::show_int(*v, unit_of(kind)),
        (Val::Real(v), kind) => value::show_real(*v, unit_of(kind)),
        (Val::Str(s), _) => s.clone(),
        (Val::Enum(e), GucKind::Enum { options, .. }) => value::enum_name(*e, options).to_string(),
        (Val::Enum(e), _) => e.to_string(),
    }
}

/// One row of `pg_settings`.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingRow {
    pub name: String,
    /// The value in its base unit, without a unit (`16384` for 128MB of
    /// 8kB buffers).
    pub setting: String,
    pub unit: Option<String>,
    pub category: String,
    pub short_desc: String,
    pub context: &'static str,
    pub vartype: &'static str,
    pub source: &'static str,
    pub min_val: Option<String>,
    pub max_val: Option<String>,
    pub enumvals: Option<Vec<String>>,
    pub boot_val: String,
    pub reset_val: String,
}

/// A value as `pg_settings` shows it: numbers in the base unit without
/// the unit (`setting` keeps the octal display of a `SHOW_OCTAL` one).
fn raw_val(def: &GucDef, val: &Val, setting: bool) -> String {
    match val {
        Val::Int(v) if setting && def.flags.contains(GucFlags::SHOW_OCTAL) => format!("{v:04o}"),
        Val::Int(v) => v.to_string(),
        Val::Real(v) => format_g(*v),
        other => show_val(def, other),
    }
}

fn unit_of(kind: GucKind) -> GucUnit {
    match kind {
        GucKind::Int { unit, .. } | GucKind::Real { unit, .. } => unit,
        _ => GucUnit::None,
    }
}

/// Enforces the context rules of `def` for a change from `source`; `name` is
/// spelled as the user wrote it, as PostgreSQL's messages do.
fn check_context(def: &GucDef, name: &str, source: GucSource, is_superuser: bool) -> PgResult<()> {
    let cant = |text: String| Err(PgError::new(SqlState::CantChangeRuntimeParam, text));
    let denied = || {
        Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("permission denied to set parameter \"{name}\""),
        ))
    };
    match source {
        GucSource::Default | GucSource::Override => Ok(()),
        GucSource::ConfigFile | GucSource::CommandLine => match def.context {
            GucContext::Internal => cant(format!("parameter \"{name}\" cannot be changed")),
            _ => Ok(()),
        },
        GucSource::Client | GucSource::Session => match def.context {
            GucContext::Internal => cant(format!("parameter \"{name}\" cannot be changed")),
            GucContext::Postmaster => cant(format!(
                "parameter \"{name}\" cannot be changed without restarting the server"
            )),
            GucContext::Sighup => cant(format!("parameter \"{name}\" cannot be changed now")),
            GucContext::SuperuserBackend | GucContext::Backend if source == GucSource::Session => {
                cant(format!(
                    "parameter \"{name}\" cannot be set after connection start"
                ))
            }
            GucContext::SuperuserBackend | GucContext::Superuser if !is_superuser => denied(),
            _ => Ok(()),
        },
    }
}

impl Settings {
    /// Every setting at its boot value (wal_buffers auto-tuned).
    pub fn new() -> Settings {
        let vars = table::TABLE
            .iter()
            .map(|d| Var::new(d.boot_value()))
            .collect();
        let mut settings = Settings {
            vars,
            placeholders: BTreeMap::new(),
            hooks: Vec::new(),
            nest_level: 0,
            last_reported: vec![None; table::TABLE.len()],
            last_reported_val: vec![None; table::TABLE.len()],
        };
        settings.autotune();
        settings
    }

    /// Derives the settings whose `-1` means "automatic": wal_buffers becomes
    /// 1/32 of shared_buffers, at least 8 pages and at most one 16MB WAL
    /// segment. Call again after the configuration has been applied.
    pub fn autotune(&mut self) {
        let (Some(wal), Some(shared)) = (index_of("wal_buffers"), index_of("shared_buffers"))
        else {
            return;
        };
        let automatic = matches!(
            self.vars[wal].current.source,
            GucSource::Default | GucSource::Override
        );
        if self.vars[wal].current.value != Val::Int(-1) && !automatic {
            return;
        }
        let Val::Int(shared_blocks) = self.vars[shared].current.value else {
            return;
        };
        let tuned = (shared_blocks / 32).clamp(8, 2048);
        let var = &mut self.vars[wal];
        for slot in [&mut var.current, &mut var.reset] {
            slot.value = Val::Int(tuned);
            slot.source = GucSource::Override;
        }
    }

    /// Adds `hook` to the validation of a string setting (TimeZone,
    /// session_authorization, default_text_search_config, ...): it runs after
    /// the built-in check, on the value that check produced.
    /// Returns false if `name` is not a built-in string setting.
    pub fn install_check_hook(&mut self, name: &str, hook: CheckHook) -> bool {
        match index_of(name) {
            Some(i) if matches!(table::TABLE[i].kind, GucKind::String { .. }) => {
                self.hooks.retain(|(j, _)| *j != i);
                self.hooks.push((i, hook));
                true
            }
            _ => false,
        }
    }

    /// `SET name = value` (source [`GucSource::Session`]), or a value from the
    /// configuration file, command line, startup packet or the server itself.
    pub fn set(
        &mut self,
        name: &str,
        value: &str,
        source: GucSource,
        is_superuser: bool,
    ) -> PgResult<()> {
        self.set_option(name, Some(value), source, is_superuser, SetAction::Set)
    }

    /// `SET LOCAL name = value`: reverted at the end of the transaction.
    /// Outside a transaction it has no effect (the caller warns, 25P01
    /// `SET LOCAL can only be used in transaction blocks`).
    pub fn set_local(&mut self, name: &str, value: &str, is_superuser: bool) -> PgResult<()> {
        self.set_option(
            name,
            Some(value),
            GucSource::Session,
            is_superuser,
            SetAction::Local,
        )
    }

    /// A value the server itself decides (data_directory, is_superuser,
    /// session_authorization, server_encoding, lc_collate): no context rules.
    pub fn set_override(&mut self, name: &str, value: &str) -> PgResult<()> {
        self.set_option(name, Some(value), GucSource::Override, true, SetAction::Set)
    }

    /// `RESET name` (= `SET name TO DEFAULT`): back to the session's reset value.
    pub fn reset(&mut self, name: &str, is_superuser: bool) -> PgResult<()> {
        self.set_option(name, None, GucSource::Session, is_superuser, SetAction::Set)
    }

    /// `RESET ALL`: every user- and superuser-settable setting and every
    /// placeholder, except those flagged `NO_RESET_ALL`.
    pub fn reset_all(&mut self) {
        for (i, def) in table::TABLE.iter().enumerate() {
            if matches!(def.context, GucContext::User | GucContext::Superuser)
                && !def.flags.contains(GucFlags::NO_RESET_ALL)
            {
                let nest = self.nest_level;
                apply(
                    &mut self.vars[i],
                    None,
                    GucSource::Session,
                    SetAction::Set,
                    nest,
                );
            }
        }
        let nest = self.nest_level;
        for p in self.placeholders.values_mut() {
            apply(&mut p.var, None, GucSource::Session, SetAction::Set, nest);
        }
    }

    /// The general form behind [`Settings::set`], [`Settings::set_local`] and
    /// [`Settings::reset`]: `value` `None` means `DEFAULT`.
    pub fn set_option(
        &mut self,
        name: &str,
        value: Option<&str>,
        source: GucSource,
        is_superuser: bool,
        action: SetAction,
    ) -> PgResult<()> {
        let nest = self.nest_level;
        let Some(i) = index_of(name) else {
            let var = self.placeholder_mut(name)?;
            let new = value.map(|v| Val::Str(v.to_string()));
            apply(var, new, source, action, nest);
            return Ok(());
        };
        let def = &table::TABLE[i];
        check_context(def, name, source, is_superuser)?;
        if matches!(def.name, "session_authorization" | "role")
            && matches!(source, GucSource::Session | GucSource::Client)
            && !self.hooks.iter().any(|(j, _)| *j == i)
        {
            return Err(PgError::feature_not_supported(format!("SET {}", def.name)));
        }
        let new = match value {
            Some(v) => Some(self.parse_value(i, name, v)?),
            None => None,
        };
        apply(&mut self.vars[i], new, source, action, nest);
        Ok(())
    }

    /// The placeholder for a custom name, created (empty) if need be.
    fn placeholder_mut(&mut self, name: &str) -> PgResult<&mut Var> {
        if !name.contains('.') {
            return Err(err_unrecognized(name));
        }
        if !valid_custom_name(name) {
            return Err(PgError::new(
                SqlState::InvalidName,
                format!("invalid configuration parameter name \"{name}\""),
            )
            .with_detail(
                "Custom parameter names must be two or more simple identifiers separated by dots.",
            ));
        }
        let entry = self
            .placeholders
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| Placeholder {
                name: name.to_string(),
                var: Var::new(Val::Str(String::new())),
            });
        Ok(&mut entry.var)
    }

    fn parse_value(&self, i: usize, name: &str, value: &str) -> PgResult<Val> {
        let def = &table::TABLE[i];
        let failure = |f: ParseFailure| match f {
            ParseFailure::Invalid { hint } => {
                let e = err_invalid(name, value);
                match hint {
                    Some(h) => e.with_hint(h),
                    None => e,
                }
            }
            ParseFailure::OutOfRange { shown } => {
                let range = match def.kind {
                    GucKind::Real { min, max, .. } => {
                        format!("{} .. {}", format_g(min), format_g(max))
                    }
                    GucKind::Int { min, max, .. } => format!("{min} .. {max}"),
                    _ => String::new(),
                };
                PgError::new(
                    SqlState::InvalidParameterValue,
                    format!(
                        "{shown} is outside the valid range for parameter \"{name}\" ({range})"
                    ),
                )
            }
        };
        match def.kind {
            GucKind::Bool { .. } => parse_bool(value).map(Val::Bool).ok_or_else(|| {
                PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("parameter \"{name}\" requires a Boolean value"),
                )
            }),
            GucKind::Int { min, max, unit, .. } => value::parse_int(value, min, max, unit)
                .map(Val::Int)
                .map_err(failure),
            GucKind::Real { min, max, unit, .. } => value::parse_real(value, min, max, unit)
                .map(Val::Real)
                .map_err(failure),
            GucKind::Enum { options, .. } => value::parse_enum(value, options)
                .map(Val::Enum)
                .ok_or_else(|| err_invalid(name, value).with_hint(value::enum_hint(options))),
            GucKind::String { .. } => self.check_string(i, value).map(Val::Str),
        }
    }

    /// Check of a string setting: the built-in check (which may canonicalise the
    /// value), then the installed hook, if any, on the built-in's result. Errors
    /// name the parameter by its canonical spelling, as PostgreSQL's check hooks do.
    fn check_string(&self, i: usize, value: &str) -> PgResult<String> {
        let def = &table::TABLE[i];
        let builtin = match def.name {
            "DateStyle" => {
                let current = self.show_index(i);
                value::check_datestyle(value, &current)
            }
            "TimeZone" | "log_timezone" => value::check_timezone(value),
            "client_encoding" => value::check_client_encoding(value),
            "log_destination" => value::check_log_destination(value),
            "application_name" | "cluster_name" => Ok(value::clean_ascii(value)),
            _ => Ok(value.to_string()),
        };
        let checked = builtin.map_err(|f| {
            let code = if f.unsupported {
                SqlState::FeatureNotSupported
            } else {
                SqlState::InvalidParameterValue
            };
            let mut e = PgError::new(code, err_invalid(def.name, value).message);
            e.detail = f.detail;
            e
        })?;
        match self.hooks.iter().find(|(j, _)| *j == i) {
            Some((_, hook)) => hook(&checked).map_err(|c| {
                let mut e = PgError::new(
                    c.code,
                    c.message
                        .unwrap_or_else(|| err_invalid(def.name, value).message),
                );
                e.detail = c.detail;
                e.hint = c.hint;
                e
            }),
            None => Ok(checked),
        }
    }

    /// Starts a top-level transaction (implicit or explicit): transaction_isolation,
    /// transaction_read_only and transaction_deferrable take their defaults.
    pub fn begin_transaction(&mut self) {
        // Run for every transaction: the pairs' indexes are looked up once.
        static PAIRS: std::sync::OnceLock<Vec<(usize, usize)>> = std::sync::OnceLock::new();
        let pairs = PAIRS.get_or_init(|| {
            [
                ("transaction_isolation", "default_transaction_isolation"),
                ("transaction_read_only", "default_transaction_read_only"),
                ("transaction_deferrable", "default_transaction_deferrable"),
            ]
            .iter()
            .filter_map(|(x, d)| Some((index_of(x)?, index_of(d)?)))
            .collect()
        });
        self.nest_level = 1;
        for &(x, d) in pairs {
            let value = self.vars[d].current.value.clone();
            self.vars[x].current = Slot {
                value,
                source: GucSource::Override,
            };
        }
    }

    /// `SAVEPOINT`: opens a nesting level.
    pub fn begin_subtransaction(&mut self) {
        self.nest_level += 1;
    }

    /// `COMMIT`: keeps `SET`s, drops `SET LOCAL`s.
    pub fn commit_transaction(&mut self) {
        self.end_level(true, 1);
        self.nest_level = 0;
    }

    /// `ROLLBACK` or an aborted transaction: reverts every `SET` and `SET LOCAL`
    /// made in it.
    pub fn abort_transaction(&mut self) {
        self.end_level(false, 1);
        self.nest_level = 0;
    }

    /// `RELEASE SAVEPOINT`: the savepoint's changes join the enclosing level.
    pub fn commit_subtransaction(&mut self) {
        if self.nest_level > 1 {
            self.end_level(true, self.nest_level);
            self.nest_level -= 1;
        }
    }

    /// `ROLLBACK TO SAVEPOINT` (before re-opening it) or a failed subtransaction:
    /// reverts the savepoint's changes.
    pub fn abort_subtransaction(&mut self) {
        if self.nest_level > 1 {
            self.end_level(false, self.nest_level);
            self.nest_level -= 1;
        }
    }

    /// The current nesting level: 0 outside a transaction.
    pub fn nest_level(&self) -> u32 {
        self.nest_level
    }

    fn end_level(&mut self, is_commit: bool, level: u32) {
        let vars = self
            .vars
            .iter_mut()
            .chain(self.placeholders.values_mut().map(|p| &mut p.var));
        for var in vars {
            end_level_var(var, is_commit, level);
        }
    }

    /// What `SHOW name` prints. Superuser-only settings are shown; see
    /// [`Settings::show_as`].
    pub fn show(&self, name: &str) -> PgResult<String> {
        self.show_as(name, true)
    }

    /// `SHOW name` for a role that may (superuser, pg_read_all_settings) or may
    /// not read superuser-only settings.
    pub fn show_as(&self, name: &str, may_read_all_settings: bool) -> PgResult<String> {
        match index_of(name) {
            Some(i) => {
                let def = &table::TABLE[i];
                if def.flags.contains(GucFlags::SUPERUSER_ONLY) && !may_read_all_settings {
                    return Err(PgError::new(
                        SqlState::InsufficientPrivilege,
                        format!(
                            "must be superuser or have privileges of pg_read_all_settings to examine \"{name}\""
                        ),
                    ));
                }
                Ok(self.show_index(i))
            }
            None => match self.placeholders.get(&name.to_ascii_lowercase()) {
                Some(p) => match &p.var.current.value {
                    Val::Str(s) => Ok(s.clone()),
                    _ => Ok(String::new()),
                },
                None => Err(err_unrecognized(name)),
            },
        }
    }

    fn show_index(&self, i: usize) -> String {
        show_val(&table::TABLE[i], &self.vars[i].current.value)
    }

    /// `SHOW ALL` rows (name, setting, description) as a superuser sees them.
    pub fn show_all(&self) -> Vec<(&'static str, String, &'static str)> {
        self.show_all_as(true)
    }

    /// `SHOW ALL` rows, leaving out superuser-only settings unless allowed.
    /// Placeholders and `NO_SHOW_ALL` settings are never listed.
    pub fn show_all_as(
        &self,
        may_read_all_settings: bool,
    ) -> Vec<(&'static str, String, &'static str)> {
        table::TABLE
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.flags.contains(GucFlags::NO_SHOW_ALL))
            .filter(|(_, d)| may_read_all_settings || !d.flags.contains(GucFlags::SUPERUSER_ONLY))
            .map(|(i, d)| (d.name, self.show_index(i), d.description))
            .collect()
    }

    /// The rows of `pg_settings` (PostgreSQL's `show_all_settings`), as
    /// [`Settings::show_all_as`] selects them (placeholders are not shown).
    pub fn pg_settings_rows(&self, may_read_all_settings: bool) -> Vec<SettingRow> {
        let mut rows: Vec<SettingRow> = table::TABLE
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.flags.contains(GucFlags::NO_SHOW_ALL))
            .filter(|(_, d)| may_read_all_settings || !d.flags.contains(GucFlags::SUPERUSER_ONLY))
            .map(|(i, d)| {
                let var = &self.vars[i];
                let (min, max, enumvals) = match d.kind {
                    GucKind::Int { min, max, .. } => {
                        (Some(min.to_string()), Some(max.to_string()), None)
                    }
                    GucKind::Real { min, max, .. } => {
                        (Some(format_g(min)), Some(format_g(max)), None)
                    }
                    GucKind::Enum { options, .. } => (
                        None,
                        None,
                        Some(
                            options
                                .iter()
                                .filter(|o| !o.hidden)
                                .map(|o| o.name.to_string())
                                .collect(),
                        ),
                    ),
                    _ => (None, None, None),
                };
                SettingRow {
                    name: d.name.to_string(),
                    setting: raw_val(d, &var.current.value, true),
                    unit: d.unit().label().map(str::to_string),
                    category: d.category.to_string(),
                    short_desc: d.description.to_string(),
                    context: d.context.as_str(),
                    vartype: d.type_name(),
                    source: var.current.source.as_str(),
                    min_val: min,
                    max_val: max,
                    enumvals,
                    boot_val: raw_val(d, &d.boot_value(), false),
                    reset_val: raw_val(d, &var.reset.value, false),
                }
            })
            .collect();
        rows.sort_by_key(|r| r.name.to_ascii_lowercase());
        rows
    }

    /// The source of the current value of a built-in setting or placeholder.
    pub fn source(&self, name: &str) -> Option<GucSource> {
        match index_of(name) {
            Some(i) => Some(self.vars[i].current.source),
            None => self
                .placeholders
                .get(&name.to_ascii_lowercase())
                .map(|p| p.var.current.source),
        }
    }

    /// Custom placeholders defined so far: (name as first written, value).
    pub fn placeholders(&self) -> Vec<(String, String)> {
        self.placeholders
            .values()
            .map(|p| {
                let v = match &p.var.current.value {
                    Val::Str(s) => s.clone(),
                    _ => String::new(),
                };
                (p.name.clone(), v)
            })
            .collect()
    }

    fn value_of(&self, name: &str) -> Option<&Val> {
        index_of(name).map(|i| &self.vars[i].current.value)
    }

    /// A Boolean setting; `None` if `name` is not one.
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        match self.value_of(name)? {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// An integer setting in its base unit ([`GucDef::unit`]: kB for work_mem,
    /// 8 kB pages for shared_buffers, ms for statement_timeout, ...).
    pub fn get_int(&self, name: &str) -> Option<i32> {
        match self.value_of(name)? {
            Val::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// A real setting in its base unit.
    pub fn get_real(&self, name: &str) -> Option<f64> {
        match self.value_of(name)? {
            Val::Real(v) => Some(*v),
            _ => None,
        }
    }

    /// A string or enum setting as SHOW prints it, or a placeholder's value.
    pub fn get_str(&self, name: &str) -> Option<String> {
        match index_of(name) {
            Some(i) => match (&self.vars[i].current.value, table::TABLE[i].kind) {
                (Val::Str(s), _) => Some(s.clone()),
                (Val::Enum(e), GucKind::Enum { options, .. }) => {
                    Some(value::enum_name(*e, options).to_string())
                }
                _ => None,
            },
            None => self.show(name).ok(),
        }
    }

    /// A memory setting in bytes.
    pub fn get_bytes(&self, name: &str) -> Option<i64> {
        let def = lookup(name)?;
        if !def.unit().is_memory() {
            return None;
        }
        Some(i64::from(self.get_int(name)?) * def.unit().base_factor() as i64)
    }

    /// A time setting as a duration; `None` if it is negative (disabled) or
    /// not a time setting. Zero usually means "no limit".
    pub fn get_duration(&self, name: &str) -> Option<Duration> {
        let def = lookup(name)?;
        if !def.unit().is_time() {
            return None;
        }
        let micros = match self.value_of(name)? {
            Val::Int(v) => f64::from(*v) * def.unit().base_factor(),
            Val::Real(v) => v * def.unit().base_factor(),
            _ => return None,
        };
        (micros >= 0.0).then(|| Duration::from_nanos((micros * 1000.0) as u64))
    }

    /// Reported (`GUC_REPORT`) settings whose shown value changed since the
    /// last call, for ParameterStatus messages; the first call returns all of
    /// them, as sent after authentication.
    pub fn changed_reported(&mut self) -> Vec<(&'static str, String)> {
        // Asked after every statement: only the reported settings, and only
        // those whose value changed are formatted.
        static REPORTED: std::sync::OnceLock<Vec<usize>> = std::sync::OnceLock::new();
        let reported = REPORTED.get_or_init(|| {
            table::TABLE
                .iter()
                .enumerate()
                .filter(|(_, d)| d.is_reported())
                .map(|(i, _)| i)
                .collect()
        });
        let mut changed = Vec::new();
        for &i in reported {
            let def = &table::TABLE[i];
            let value = &self.vars[i].current.value;
            if self.last_reported_val[i].as_ref() == Some(value) {
                continue;
            }
            self.last_reported_val[i] = Some(value.clone());
            let now = self.show_index(i);
            if self.last_reported[i].as_deref() != Some(now.as_str()) {
                self.last_reported[i] = Some(now.clone());
                changed.push((def.name, now));
            }
        }
        changed
    }
}

/// Joins the items of `SET name = a, b, c` into one value: list settings get
/// `a, b, c` (identifiers quoted where needed for search_path and
/// temp_tablespaces); any other setting takes exactly one item.
pub fn flatten_set_args(name: &str, items: &[&str]) -> PgResult<String> {
    let flags = lookup(name)
        .map(|d| d.flags)
        .unwrap_or(GucFlags::LIST_INPUT);
    if items.len() > 1 && !flags.contains(GucFlags::LIST_INPUT) {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!("SET {name} takes only one argument"),
        ));
    }
    let quote = flags.contains(GucFlags::LIST_QUOTE);
    Ok(items
        .iter()
        .map(|s| {
            if quote {
                quote_identifier(s)
            } else {
                s.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", "))
}

/// Records a change to `var` (see the module doc for the stack rules).
fn apply(var: &mut Var, new: Option<Val>, source: GucSource, action: SetAction, nest: u32) {
    if action == SetAction::Local && nest == 0 {
        return;
    }
    let slot = match new.clone() {
        Some(value) => Slot { value, source },
        None => var.reset.clone(),
    };
    if source == GucSource::Session && nest > 0 {
        push_old_value(var, action, nest);
    }
    if source >= var.current.source || source == GucSource::Session {
        var.current = slot.clone();
    }
    if source != GucSource::Session && action == SetAction::Set && new.is_some() {
        if source >= var.reset.source {
            var.reset = slot.clone();
        }
        for entry in &mut var.stack {
            if source >= entry.prior.source {
                entry.prior = slot.clone();
            }
            if let Some(masked) = entry.masked.as_mut().filter(|m| source >= m.source) {
                *masked = slot.clone();
            }
        }
    }
}

fn push_old_value(var: &mut Var, action: SetAction, nest: u32) {
    if let Some(top) = var.stack.last_mut().filter(|top| top.nest == nest) {
        match (action, top.state) {
            (SetAction::Set, _) => {
                top.state = StackState::Set;
                top.masked = None;
            }
            (SetAction::Local, StackState::Set) => {
                top.state = StackState::SetLocal;
                top.masked = Some(var.current.clone());
            }
            (SetAction::Local, _) => {}
        }
        return;
    }
    let state = match action {
        SetAction::Set => StackState::Set,
        SetAction::Local => StackState::Local,
    };
    var.stack.push(StackEntry {
        nest,
        state,
        prior: var.current.clone(),
        masked: None,
    });
}

fn end_level_var(var: &mut Var, is_commit: bool, level: u32) {
    while var.stack.last().is_some_and(|e| e.nest >= level) {
        let Some(mut entry) = var.stack.pop() else {
            break;
        };
        if !is_commit {
            var.current = entry.prior;
            continue;
        }
        if level <= 1 {
            match entry.state {
                StackState::Set => {}
                StackState::Local => var.current = entry.prior,
                StackState::SetLocal => {
                    if let Some(masked) = entry.masked {
                        var.current = masked;
                    }
                }
            }
            continue;
        }
        match var.stack.last_mut() {
            Some(prev) if prev.nest == level - 1 => match entry.state {
                StackState::Set => {
                    prev.state = StackState::Set;
                    prev.masked = None;
                }
                StackState::Local => {
                    if prev.state == StackState::Set {
                        prev.state = StackState::SetLocal;
                        prev.masked = Some(entry.prior);
                    }
                }
                StackState::SetLocal => {
                    prev.state = StackState::SetLocal;
                    prev.masked = entry.masked;
                }
            },
            _ => {
                entry.nest = level - 1;
                var.stack.push(entry);
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests;
