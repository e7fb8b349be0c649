//! Storage parameters (`reloptions` of `pg_class`, `attoptions` of
//! `pg_attribute`): the parameters each kind of relation accepts, their value
//! checks, and the merge of `WITH (...)`, `SET (...)` and `RESET (...)` into
//! the stored list, as PostgreSQL's `reloptions.c` behaves.
//!
//! The stored form is a text array of `name=value`, the value as written
//! (`fillfactor=20.5` stays so; a bare name is `name=true`), in the order
//! given: a `SET` replaces an entry in place of appending only when the name
//! is new. A list is checked as a whole after the merge, so the checks are
//! the same for CREATE and ALTER:
//!
//! ```text
//!   unknown name for the kind      22023 unrecognized parameter "x"
//!   name twice                     22023 parameter "x" specified more than once
//!   value not of the type          22023 invalid value for integer option "x": v
//!   value outside the bounds       22023 value v out of bounds for option "x"
//! ```
//!
//! Which of them act here: `fillfactor` of a table (the free space an insert
//! leaves on a page) and of a B-tree (how full a build or a rightmost split
//! packs a leaf), `autovacuum_enabled` and the autovacuum thresholds and scale
//! factors, `vacuum_truncate`, `toast_tuple_target` (how far a long row's
//! values are compressed). The others are kept and shown but change
//! nothing: there is no parallel query, TOAST table or logical decoding, and
//! transaction ids are 64-bit (no freezing). `toast.` parameters are checked
//! and dropped, as PostgreSQL drops them for a table that has no TOAST table.

use types::{PgError, PgResult, SqlState};

/// What a list of parameters belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A table or materialized view.
    Heap,
    /// The `toast.` parameters of a table.
    Toast,
    /// A partitioned table: accepts none.
    Partitioned,
    /// A B-tree index.
    Btree,
    /// A view.
    View,
    /// A column (`ALTER COLUMN ... SET (...)`).
    Attribute,
}

impl OptionKind {
    fn bit(self) -> u8 {
        match self {
            OptionKind::Heap => 1,
            OptionKind::Toast => 2,
            OptionKind::Partitioned => 4,
            OptionKind::Btree => 8,
            OptionKind::View => 16,
            OptionKind::Attribute => 32,
        }
    }
}

const HEAP: u8 = 1;
const TOAST: u8 = 2;
const BTREE: u8 = 8;
const VIEW: u8 = 16;
const ATTRIBUTE: u8 = 32;

enum Value {
    Bool,
    Int(i32, i32),
    Real(f64, f64),
    /// The accepted words (any case) and the DETAIL of a wrong one.
    Enum(&'static [&'static str], &'static str),
}

struct Parameter {
    name: &'static str,
    kinds: u8,
    value: Value,
}

const INDEX_CLEANUP: &[&str] = &["auto", "on", "off", "true", "false", "yes", "no", "1", "0"];

const fn p(name: &'static str, kinds: u8, value: Value) -> Parameter {
    Parameter { name, kinds, value }
}

/// PostgreSQL 15's parameters of the kinds above (the index access methods
/// other than B-tree and the tablespace parameters are not here).
const PARAMETERS: &[Parameter] = &[
    p("autovacuum_enabled", HEAP | TOAST, Value::Bool),
    p("user_catalog_table", HEAP, Value::Bool),
    p("vacuum_truncate", HEAP | TOAST, Value::Bool),
    p("deduplicate_items", BTREE, Value::Bool),
    p("security_barrier", VIEW, Value::Bool),
    p("security_invoker", VIEW, Value::Bool),
    p("fillfactor", HEAP | BTREE, Value::Int(10, 100)),
    p(
        "autovacuum_vacuum_threshold",
        HEAP | TOAST,
        Value::Int(0, i32::MAX),
    ),
    p(
        "autovacuum_vacuum_insert_threshold",
        HEAP | TOAST,
        Value::Int(-1, i32::MAX),
    ),
    p(
        "autovacuum_analyze_threshold",
        HEAP,
        Value::Int(0, i32::MAX),
    ),
    p(
        "autovacuum_vacuum_cost_limit",
        HEAP | TOAST,
        Value::Int(1, 10000),
    ),
    p(
        "autovacuum_freeze_min_age",
        HEAP | TOAST,
        Value::Int(0, 1_000_000_000),
    ),
    p(
        "autovacuum_multixact_freeze_min_age",
        HEAP | TOAST,
        Value::Int(0, 1_000_000_000),
    ),
    p(
        "autovacuum_freeze_max_age",
        HEAP | TOAST,
        Value::Int(100_000, 2_000_000_000),
    ),
    p(
        "autovacuum_multixact_freeze_max_age",
        HEAP | TOAST,
        Value::Int(10_000, 2_000_000_000),
    ),
    p(
        "autovacuum_freeze_table_age",
        HEAP | TOAST,
        Value::Int(0, 2_000_000_000),
    ),
    p(
        "autovacuum_multixact_freeze_table_age",
        HEAP | TOAST,
        Value::Int(0, 2_000_000_000),
    ),
    p(
        "log_autovacuum_min_duration",
        HEAP | TOAST,
        Value::Int(-1, i32::MAX),
    ),
    p("toast_tuple_target", HEAP, Value::Int(128, 8160)),
    p("parallel_workers", HEAP, Value::Int(0, 1024)),
    p(
        "autovacuum_vacuum_cost_delay",
        HEAP | TOAST,
        Value::Real(0.0, 100.0),
    ),
    p(
        "autovacuum_vacuum_scale_factor",
        HEAP | TOAST,
        Value::Real(0.0, 100.0),
    ),
    p(
        "autovacuum_vacuum_insert_scale_factor",
        HEAP | TOAST,
        Value::Real(0.0, 100.0),
    ),
    p(
        "autovacuum_analyze_scale_factor",
        HEAP,
        Value::Real(0.0, 100.0),
    ),
    p("n_distinct", ATTRIBUTE, Value::Real(-1.0, f64::MAX)),
    p(
        "n_distinct_inherited",
        ATTRIBUTE,
        Value::Real(-1.0, f64::MAX),
    ),
    p(
        "vacuum_index_cleanup",
        HEAP | TOAST,
        Value::Enum(
            INDEX_CLEANUP,
            "Valid values are \"on\", \"off\", and \"auto\".",
        ),
    ),
    p(
        "check_option",
        VIEW,
        Value::Enum(
            &["local", "cascaded"],
            "Valid values are \"local\" and \"cascaded\".",
        ),
    ),
];

/// One item of `WITH (...)`, `SET (...)` or `RESET (...)`:
/// `[namespace.]name [= value]`, the value as written.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionItem {
    pub namespace: Option<String>,
    pub name: String,
    pub value: Option<String>,
}

fn invalid(message: String) -> PgError {
    PgError::new(SqlState::InvalidParameterValue, message)
}

/// `name=value` split at the first `=`.
fn split(entry: &str) -> (&str, &str) {
    entry.split_once('=').unwrap_or((entry, ""))
}

/// Merges `items` into the stored list `old` (PostgreSQL's
/// `transformRelOptions`): only the items of `namespace` (None: the items
/// without one) count; the others only have their namespace checked against
/// `namespaces`. With `reset` the named entries go (an item may not carry a
/// value); otherwise each named entry is replaced and the items are
/// appended in order, a bare name as `name=true`. The result is not
/// checked: [`validate`] does that.
pub fn transform(
    old: &[String],
    items: &[OptionItem],
    namespace: Option<&str>,
    namespaces: &[&str],
    reset: bool,
) -> PgResult<Vec<String>> {
    for item in items {
        if let Some(ns) = &item.namespace
            && !namespaces.contains(&ns.as_str())
        {
            return Err(invalid(format!(
                "unrecognized parameter namespace \"{ns}\""
            )));
        }
        if reset && item.value.is_some() {
            return Err(PgError::new(
                SqlState::SyntaxError,
                "RESET must not include values for parameters",
            ));
        }
    }
    let mine: Vec<&OptionItem> = items
        .iter()
        .filter(|i| i.namespace.as_deref() == namespace)
        .collect();
    let mut out: Vec<String> = old
        .iter()
        .filter(|e| !mine.iter().any(|i| i.name == split(e).0))
        .cloned()
        .collect();
    if !reset {
        for i in mine {
            out.push(format!(
                "{}={}",
                i.name,
                i.value.as_deref().unwrap_or("true")
            ));
        }
    }
    Ok(out)
}

/// Checks a stored-form list for a relation (or column) of `kind`.
pub fn validate(options: &[String], kind: OptionKind) -> PgResult<()> {
    let mut seen: Vec<&str> = Vec::with_capacity(options.len());
    for entry in options {
        let (name, value) = split(entry);
        let Some(param) = PARAMETERS
            .iter()
            .find(|p| p.name == name && p.kinds & kind.bit() != 0)
        else {
            return Err(invalid(format!("unrecognized parameter \"{name}\"")));
        };
        if seen.contains(&name) {
            return Err(invalid(format!(
                "parameter \"{name}\" specified more than once"
            )));
        }
        seen.push(name);
        check_value(param, value)?;
    }
    Ok(())
}

fn check_value(param: &Parameter, value: &str) -> PgResult<()> {
    let name = param.name;
    let out_of_bounds = |detail: String| {
        invalid(format!("value {value} out of bounds for option \"{name}\"")).with_detail(detail)
    };
    match &param.value {
        Value::Bool => {
            if types::guc::parse_bool(value).is_none() {
                return Err(invalid(format!(
                    "invalid value for boolean option \"{name}\": {value}"
                )));
            }
        }
        Value::Int(min, max) => {
            let Some(v) = types::guc::parse_plain_int(value) else {
                return Err(invalid(format!(
                    "invalid value for integer option \"{name}\": {value}"
                )));
            };
            if v < *min || v > *max {
                return Err(out_of_bounds(format!(
                    "Valid values are between \"{min}\" and \"{max}\"."
                )));
            }
        }
        Value::Real(min, max) => {
            let Some(v) = types::guc::parse_plain_real(value) else {
                return Err(invalid(format!(
                    "invalid value for floating point option \"{name}\": {value}"
                )));
            };
            if v < *min || v > *max {
                return Err(out_of_bounds(format!(
                    "Valid values are between \"{min:.6}\" and \"{max:.6}\"."
                )));
            }
        }
        Value::Enum(words, detail) => {
            if !words.iter().any(|w| w.eq_ignore_ascii_case(value)) {
                return Err(
                    invalid(format!("invalid value for enum option \"{name}\": {value}"))
                        .with_detail(*detail),
                );
            }
        }
    }
    Ok(())
}

/// The stored value of parameter `name`, if the list has one.
fn lookup<'a>(options: &'a [String], name: &str) -> Option<&'a str> {
    options
        .iter()
        .map(|e| split(e))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// An integer parameter of a checked list.
pub fn int_option(options: &[String], name: &str) -> Option<i32> {
    lookup(options, name).and_then(types::guc::parse_plain_int)
}

/// A real parameter of a checked list.
pub fn real_option(options: &[String], name: &str) -> Option<f64> {
    lookup(options, name).and_then(types::guc::parse_plain_real)
}

/// A Boolean parameter of a checked list.
pub fn bool_option(options: &[String], name: &str) -> Option<bool> {
    lookup(options, name).and_then(types::guc::parse_bool)
}

/// The bytes an insert must leave free on a heap page of a table with these
/// parameters (PostgreSQL's `RelationGetTargetPageFreeSpace`): none unless
/// `fillfactor` is below 100.
pub fn heap_save_free_space(options: &[String], page_size: usize) -> usize {
    let fill = int_option(options, "fillfactor")
        .unwrap_or(100)
        .clamp(10, 100) as usize;
    page_size * (100 - fill) / 100
}

/// The percentage a B-tree build or rightmost split fills a leaf to
/// (default 90).
pub fn btree_leaf_fillfactor(options: &[String]) -> usize {
    int_option(options, "fillfactor")
        .unwrap_or(90)
        .clamp(10, 100) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(ns: Option<&str>, name: &str, value: Option<&str>) -> OptionItem {
        OptionItem {
            namespace: ns.map(str::to_owned),
            name: name.to_owned(),
            value: value.map(str::to_owned),
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn set_replaces_and_appends_reset_removes() {
        let old = strings(&["fillfactor=20", "parallel_workers=1"]);
        let set = transform(
            &old,
            &[
                item(None, "parallel_workers", Some("3")),
                item(None, "autovacuum_enabled", None),
                item(Some("toast"), "autovacuum_enabled", Some("off")),
            ],
            None,
            &["toast"],
            false,
        )
        .expect("ok");
        assert_eq!(
            set,
            strings(&[
                "fillfactor=20",
                "parallel_workers=3",
                "autovacuum_enabled=true"
            ])
        );
        let toast = transform(
            &[],
            &[item(Some("toast"), "autovacuum_enabled", Some("off"))],
            Some("toast"),
            &["toast"],
            false,
        )
        .expect("ok");
        assert_eq!(toast, strings(&["autovacuum_enabled=off"]));
        let reset =
            transform(&set, &[item(None, "fillfactor", None)], None, &[], true).expect("ok");
        assert_eq!(
            reset,
            strings(&["parallel_workers=3", "autovacuum_enabled=true"])
        );
    }

    #[test]
    fn transform_errors() {
        let e = transform(
            &[],
            &[item(Some("foo"), "x", None)],
            None,
            &["toast"],
            false,
        )
        .expect_err("error");
        assert_eq!(e.message, "unrecognized parameter namespace \"foo\"");
        let e = transform(&[], &[item(None, "fillfactor", Some("1"))], None, &[], true)
            .expect_err("error");
        assert_eq!(e.code, SqlState::SyntaxError);
    }

    #[test]
    fn validation_follows_postgres() {
        let ok = strings(&[
            "fillfactor=20.5",
            "autovacuum_enabled=of",
            "vacuum_index_cleanup=ON",
            "autovacuum_vacuum_scale_factor=1e1",
        ]);
        validate(&ok, OptionKind::Heap).expect("ok");
        let msg = |v: &[&str], k| validate(&strings(v), k).expect_err("error").message;
        assert_eq!(
            msg(&["fillfactor=5"], OptionKind::Heap),
            "value 5 out of bounds for option \"fillfactor\""
        );
        assert_eq!(
            msg(&["fillfactor=100.6"], OptionKind::Heap),
            "value 100.6 out of bounds for option \"fillfactor\""
        );
        assert_eq!(
            msg(&["fillfactor=true"], OptionKind::Heap),
            "invalid value for integer option \"fillfactor\": true"
        );
        assert_eq!(
            msg(&["fillfactor=20", "fillfactor=30"], OptionKind::Heap),
            "parameter \"fillfactor\" specified more than once"
        );
        assert_eq!(
            msg(&["fillfactor=50"], OptionKind::Partitioned),
            "unrecognized parameter \"fillfactor\""
        );
        assert_eq!(
            msg(&["fillfactor=50"], OptionKind::Toast),
            "unrecognized parameter \"fillfactor\""
        );
        assert_eq!(
            msg(&["autovacuum_vacuum_scale_factor=NaN"], OptionKind::Heap),
            "invalid value for floating point option \"autovacuum_vacuum_scale_factor\": NaN"
        );
        let e = validate(
            &strings(&["autovacuum_vacuum_scale_factor=200"]),
            OptionKind::Heap,
        )
        .expect_err("error");
        assert_eq!(
            e.detail.as_deref(),
            Some("Valid values are between \"0.000000\" and \"100.000000\".")
        );
        validate(
            &strings(&["fillfactor=70", "deduplicate_items=off"]),
            OptionKind::Btree,
        )
        .expect("ok");
        assert_eq!(
            msg(&["autovacuum_enabled=off"], OptionKind::Btree),
            "unrecognized parameter \"autovacuum_enabled\""
        );
    }

    #[test]
    fn values_that_act() {
        let o = strings(&["fillfactor=50"]);
        assert_eq!(heap_save_free_space(&o, 8192), 4096);
        assert_eq!(heap_save_free_space(&[], 8192), 0);
        assert_eq!(btree_leaf_fillfactor(&[]), 90);
        assert_eq!(btree_leaf_fillfactor(&o), 50);
        assert_eq!(
            bool_option(&strings(&["autovacuum_enabled=of"]), "autovacuum_enabled"),
            Some(false)
        );
    }
}
