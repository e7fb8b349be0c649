//! The cache of user-defined types (PostgreSQL's `utils/cache/typcache.c`,
//! much reduced): what the layers below the catalog need to know about a
//! type that is not built in, by OID.
//!
//! Built-in types are known statically ([`crate::oid`]); a user-defined
//! type exists only as catalog rows (`pg_type`, and `pg_enum` for an
//! enum). Yet the code that prints a value, compares two values or lays a
//! value out on a heap page sits below the catalog and must never read it.
//! So the backend, which can read the catalog, fills this cache, and the
//! functions of [`crate::oid`] (`type_name`, `array_of`, `element_of`,
//! `typlen`), [`crate::Datum`]'s I/O and [`crate::compare`] consult it for
//! any OID they do not know.
//!
//! Rules:
//!
//! 1. The backend replaces the whole cache ([`replace_all`]) from the
//!    catalog whenever its relation cache is invalidated (its own DDL, an
//!    abort, or another session's committed DDL seen at the start of a
//!    statement), so the cache shows the catalog as of the session's last
//!    catalog snapshot. One session runs per process, so the cache is
//!    process-wide.
//! 2. Entries are keyed by OID and OIDs are never reused while a row that
//!    names them may exist, so between reloads an entry can only lag the
//!    catalog (a type, label or label name another session has just
//!    committed), as any catalog cache does until its next invalidation.
//! 3. Type names are interned as `&'static str` (the [`crate::oid`] API
//!    returns static names): each distinct name is leaked once per process.
//! 4. A label added by ALTER TYPE ... ADD VALUE may not be used until its
//!    transaction commits (PostgreSQL's 55P04: an index could otherwise
//!    keep the label's OID after a rollback). The
//!    backend notes such labels ([`note_label_added`]) and forgets them when
//!    the transaction ends ([`end_transaction`]); input and the enum
//!    functions refuse them ([`check_label_safe`]).
//!
//! The cache holds enums, domains and composite types; another kind adds a
//! [`UserTypeKind`] variant and the places that dispatch on it.
//!
//! A domain's values are values of its base type (a [`crate::Datum`] never
//! says it belongs to a domain): the layers below the planner see a domain
//! only as an OID to resolve to its base type ([`base_type`]) before they
//! lay out, read, print or compare a value. What makes a domain more than
//! a name, its NOT NULL and CHECK constraints, is enforced where a value
//! is coerced into it (the planner's `CoerceToDomain` expression), from
//! the constraint texts held here.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, RwLock};

/// One label of an enum (`pg_enum`).
#[derive(Debug, Clone, PartialEq)]
pub struct EnumLabel {
    /// The label's own OID: what a stored value of the enum holds.
    pub oid: u32,
    /// `enumsortorder`: the order of the labels (not their OIDs).
    pub sort_order: f32,
    pub label: String,
}

/// A CHECK constraint of a domain (`pg_constraint` row with `contypid`).
#[derive(Debug, Clone, PartialEq)]
pub struct DomainCheck {
    pub oid: u32,
    pub name: String,
    /// The expression as SQL text, `VALUE` standing for the value checked.
    pub expr: String,
    /// `convalidated`: false after ADD CONSTRAINT ... NOT VALID.
    pub validated: bool,
}

/// What a domain adds to its base type (`pg_type` columns of a `typtype
/// 'd'` row and its constraints).
#[derive(Debug, Clone, PartialEq)]
pub struct DomainInfo {
    /// `typbasetype`: the type the domain is over (maybe another domain).
    pub base: u32,
    /// `typtypmod`: the base type's modifier (`varchar(5)`), or -1.
    pub typmod: i32,
    /// `typnotnull`
    pub not_null: bool,
    /// `typdefault`: the default as SQL text.
    pub default: Option<String>,
    /// The domain's own CHECK constraints, in name order (those of the
    /// domains below it belong to them).
    pub checks: Vec<DomainCheck>,
}

/// What kind of user-defined type, with what the kind needs.
#[derive(Debug, Clone, PartialEq)]
pub enum UserTypeKind {
    /// `typtype 'e'`: the labels in sort order.
    Enum(Vec<EnumLabel>),
    /// `typtype 'd'`.
    Domain(DomainInfo),
    /// `typtype 'c'`: a composite type, the row type of relation `relid`
    /// (a `CREATE TYPE ... AS (...)` type's `pg_class` row of relkind
    /// `'c'`), with its live fields in order.
    Composite {
        relid: u32,
        fields: Arc<[crate::datum::RecordField]>,
    },
    /// `typtype 'r'`: a range type made by CREATE TYPE ... AS RANGE (its
    /// `pg_range` row).
    Range(RangeInfo),
    /// `typtype 'm'`: the multirange type of user range type `range`.
    Multirange { range: u32 },
}

/// What a user range type's `pg_range` row says.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeInfo {
    /// `rngsubtype`
    pub subtype: u32,
    /// `rngmultitypid`
    pub multirange: u32,
    /// `rngcollation` (0 for a subtype without collation)
    pub collation: u32,
    /// `rngcanonical` (0 if none: the range is continuous)
    pub canonical: u32,
    /// `rngsubdiff` (0 if none)
    pub subdiff: u32,
}

/// A user-defined type (`pg_type` row).
#[derive(Debug, Clone, PartialEq)]
pub struct UserType {
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    /// `typarray`: the array type `_name` (0 if none).
    pub array_oid: u32,
    pub kind: UserTypeKind,
}

impl UserType {
    /// The labels of an enum, in sort order (empty for other kinds).
    pub fn enum_labels(&self) -> &[EnumLabel] {
        match &self.kind {
            UserTypeKind::Enum(labels) => labels,
            UserTypeKind::Domain(_)
            | UserTypeKind::Composite { .. }
            | UserTypeKind::Range(_)
            | UserTypeKind::Multirange { .. } => &[],
        }
    }

    /// What the domain adds to its base type (None for other kinds).
    pub fn domain(&self) -> Option<&DomainInfo> {
        match &self.kind {
            UserTypeKind::Domain(d) => Some(d),
            UserTypeKind::Enum(_)
            | UserTypeKind::Composite { .. }
            | UserTypeKind::Range(_)
            | UserTypeKind::Multirange { .. } => None,
        }
    }

    /// What the range type adds (None for other kinds).
    pub fn range(&self) -> Option<&RangeInfo> {
        match &self.kind {
            UserTypeKind::Range(r) => Some(r),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Cache {
    types: HashMap<u32, Arc<UserType>>,
    /// array type -> element type
    arrays: HashMap<u32, u32>,
    /// enum label OID -> (enum type, position in its labels)
    labels: HashMap<u32, (u32, usize)>,
}

fn cache() -> &'static RwLock<Cache> {
    static CACHE: OnceLock<RwLock<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| RwLock::new(Cache::default()))
}

fn read<R>(f: impl FnOnce(&Cache) -> R) -> R {
    match cache().read() {
        Ok(c) => f(&c),
        Err(poisoned) => f(&poisoned.into_inner()),
    }
}

/// Replaces the cache with `types` (every user type the catalog shows).
pub fn replace_all(types: Vec<UserType>) {
    let mut c = Cache::default();
    for mut t in types {
        match &mut t.kind {
            UserTypeKind::Enum(labels) => {
                labels.sort_by(|a, b| a.sort_order.total_cmp(&b.sort_order));
                for (i, l) in labels.iter().enumerate() {
                    c.labels.insert(l.oid, (t.oid, i));
                }
            }
            UserTypeKind::Domain(d) => d.checks.sort_by(|a, b| a.name.cmp(&b.name)),
            UserTypeKind::Composite { .. }
            | UserTypeKind::Range(_)
            | UserTypeKind::Multirange { .. } => {}
        }
        if t.array_oid != 0 {
            c.arrays.insert(t.array_oid, t.oid);
        }
        c.types.insert(t.oid, Arc::new(t));
    }
    match cache().write() {
        Ok(mut g) => *g = c,
        Err(poisoned) => *poisoned.into_inner() = c,
    }
}

/// The user type `oid`.
pub fn get(oid: u32) -> Option<Arc<UserType>> {
    read(|c| c.types.get(&oid).cloned())
}

/// The user type named `name` in schema `namespace`.
pub fn by_name(namespace: u32, name: &str) -> Option<Arc<UserType>> {
    read(|c| {
        c.types
            .values()
            .find(|t| t.namespace == namespace && t.name == name)
            .cloned()
    })
}

/// The user type whose array type is `name` (`_mood`) in `namespace`.
pub fn by_array_name(namespace: u32, name: &str) -> Option<Arc<UserType>> {
    let elem = name.strip_prefix('_')?;
    by_name(namespace, elem).filter(|t| t.array_oid != 0)
}

/// True if `oid` is a user-defined enum.
pub fn is_enum(oid: u32) -> bool {
    read(|c| {
        c.types
            .get(&oid)
            .is_some_and(|t| matches!(t.kind, UserTypeKind::Enum(_)))
    })
}

/// True if `oid` is a domain.
pub fn is_domain(oid: u32) -> bool {
    read(|c| {
        c.types
            .get(&oid)
            .is_some_and(|t| matches!(t.kind, UserTypeKind::Domain(_)))
    })
}

/// The domain `oid` (None if it is no domain).
pub fn domain(oid: u32) -> Option<Arc<UserType>> {
    get(oid).filter(|t| t.domain().is_some())
}

/// PostgreSQL's `getBaseType`: the type at the bottom of a chain of
/// domains (`oid` itself if it is no domain).
pub fn base_type(oid: u32) -> u32 {
    base_type_and_typmod(oid, -1).0
}

/// PostgreSQL's `getBaseTypeAndTypmod`: the base type of `oid` and the
/// modifier the lowest domain applies to it (`typmod` if `oid` is no
/// domain).
pub fn base_type_and_typmod(oid: u32, typmod: i32) -> (u32, i32) {
    read(|c| {
        let (mut t, mut m) = (oid, typmod);
        // A chain is acyclic by construction; the bound guards a corrupt one.
        for _ in 0..64 {
            match c.types.get(&t).and_then(|u| u.domain()) {
                Some(d) => {
                    m = d.typmod;
                    t = d.base;
                }
                None => break,
            }
        }
        (t, m)
    })
}

/// The fields of user composite type `oid`.
pub fn composite_fields(oid: u32) -> Option<Arc<[crate::datum::RecordField]>> {
    read(|c| match &c.types.get(&oid)?.kind {
        UserTypeKind::Composite { fields, .. } => Some(fields.clone()),
        _ => None,
    })
}

/// The `pg_range` facts of user range type `oid`.
pub fn range_info(oid: u32) -> Option<RangeInfo> {
    read(|c| c.types.get(&oid)?.range().cloned())
}

/// The subtype of user range type `oid`.
pub fn range_subtype(oid: u32) -> Option<u32> {
    read(|c| Some(c.types.get(&oid)?.range()?.subtype))
}

/// The range type of user multirange type `oid`.
pub fn multirange_range(oid: u32) -> Option<u32> {
    read(|c| match c.types.get(&oid)?.kind {
        UserTypeKind::Multirange { range } => Some(range),
        _ => None,
    })
}

/// The multirange type of user range type `oid`.
pub fn multirange_of(oid: u32) -> Option<u32> {
    read(|c| Some(c.types.get(&oid)?.range()?.multirange))
}

/// Whether any user range type exists.
pub fn has_range_types() -> bool {
    read(|c| c.types.values().any(|t| t.range().is_some()))
}

/// Every user range type (for the planner's per-type function table).
pub fn range_types() -> Vec<Arc<UserType>> {
    read(|c| {
        let mut v: Vec<_> = c
            .types
            .values()
            .filter(|t| t.range().is_some())
            .cloned()
            .collect();
        v.sort_by_key(|t| t.oid);
        v
    })
}

/// The composite type whose relation is `relid`.
pub fn composite_of_relation(relid: u32) -> Option<Arc<UserType>> {
    read(|c| {
        c.types
            .values()
            .find(|t| matches!(t.kind, UserTypeKind::Composite { relid: r, .. } if r == relid))
            .cloned()
    })
}

fn records() -> &'static RwLock<Vec<Arc<[crate::datum::RecordField]>>> {
    static RECORDS: OnceLock<RwLock<Vec<Arc<[crate::datum::RecordField]>>>> = OnceLock::new();
    RECORDS.get_or_init(Default::default)
}

/// The typmod that stands for the anonymous record type of `fields`
/// (PostgreSQL's `assign_record_type_typmod`): a `record` value keeps its
/// fields known through columns and subqueries by its typmod. Registered
/// once per process and never forgotten; equal descriptions share one.
pub fn register_record(fields: &Arc<[crate::datum::RecordField]>) -> i32 {
    let find = |v: &Vec<Arc<[crate::datum::RecordField]>>| {
        v.iter()
            .position(|f| Arc::ptr_eq(f, fields) || **f == **fields)
    };
    if let Ok(g) = records().read()
        && let Some(i) = find(&g)
    {
        return i as i32;
    }
    let mut g = match records().write() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(i) = find(&g) {
        return i as i32;
    }
    g.push(fields.clone());
    (g.len() - 1) as i32
}

/// The fields of the anonymous record type of typmod `typmod`.
pub fn record_fields(typmod: i32) -> Option<Arc<[crate::datum::RecordField]>> {
    let i = usize::try_from(typmod).ok()?;
    match records().read() {
        Ok(g) => g.get(i).cloned(),
        Err(poisoned) => poisoned.into_inner().get(i).cloned(),
    }
}

/// The element type of user array type `oid`.
pub fn element_of(oid: u32) -> Option<u32> {
    read(|c| c.arrays.get(&oid).copied())
}

/// The array type of user type `oid`.
pub fn array_of(oid: u32) -> Option<u32> {
    read(|c| c.types.get(&oid).map(|t| t.array_oid).filter(|&a| a != 0))
}

/// The enum type, sort order and text of label `oid`.
pub fn enum_label(oid: u32) -> Option<(u32, f32, String)> {
    read(|c| {
        let &(t, i) = c.labels.get(&oid)?;
        let l = c.types.get(&t)?.enum_labels().get(i)?;
        Some((t, l.sort_order, l.label.clone()))
    })
}

/// The position of label `oid` among its enum's labels in sort order.
pub fn enum_position(oid: u32) -> Option<(u32, usize)> {
    read(|c| c.labels.get(&oid).copied())
}

/// The static name of user type `oid` (interned), or of its array type
/// (`mood[]` as `format_type` prints it, `_mood` internally).
pub fn type_name(oid: u32, internal: bool) -> Option<&'static str> {
    let name = read(|c| {
        if let Some(t) = c.types.get(&oid) {
            return Some(t.name.clone());
        }
        let elem = c.types.get(c.arrays.get(&oid)?)?;
        Some(if internal {
            format!("_{}", elem.name)
        } else {
            format!("{}[]", elem.name)
        })
    })?;
    Some(intern(&name))
}

#[derive(Default)]
struct XactState {
    /// Labels added by the current transaction (ALTER TYPE ... ADD VALUE).
    added: HashSet<u32>,
}

fn xact() -> &'static RwLock<XactState> {
    static XACT: OnceLock<RwLock<XactState>> = OnceLock::new();
    XACT.get_or_init(Default::default)
}

fn with_xact<R>(f: impl FnOnce(&mut XactState) -> R) -> R {
    match xact().write() {
        Ok(mut g) => f(&mut g),
        Err(poisoned) => f(&mut poisoned.into_inner()),
    }
}

/// The current transaction added label `label` (even to an enum it
/// created itself: PostgreSQL 15 does not tell those apart; the labels
/// CREATE TYPE makes are always safe).
pub fn note_label_added(label: u32) {
    with_xact(|x| x.added.insert(label));
}

/// The transaction ended (committed or not): every label is safe.
pub fn end_transaction() {
    with_xact(|x| *x = XactState::default());
}

/// 55P04 if label `oid` was added by the current transaction to an enum
/// it did not create.
pub fn check_label_safe(oid: u32) -> crate::PgResult<()> {
    if !with_xact(|x| x.added.contains(&oid)) {
        return Ok(());
    }
    let (t, _, label) = enum_label(oid).unwrap_or((0, 0.0, String::new()));
    Err(crate::PgError::new(
        crate::SqlState::UnsafeNewEnumValueUsage,
        format!(
            "unsafe use of new value \"{label}\" of enum type {}",
            crate::oid::type_name(t)
        ),
    )
    .with_hint("New enum values must be committed before they can be used."))
}

/// `name` as a `&'static str`, leaked once per distinct name.
pub fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let names = NAMES.get_or_init(Default::default);
    if let Ok(g) = names.read()
        && let Some(&n) = g.get(name)
    {
        return n;
    }
    let mut g = match names.write() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(&n) = g.get(name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    g.insert(leaked);
    leaked
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::datum::OutputOptions;
    use crate::{Datum, SqlState};

    fn label(oid: u32, sort_order: f32, label: &str) -> EnumLabel {
        EnumLabel {
            oid,
            sort_order,
            label: label.into(),
        }
    }

    /// The cache is process-wide: the tests that fill it run one at a time.
    static FILLING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn enum_values_print_and_order_by_sort_order() {
        let _one = FILLING.lock().unwrap_or_else(|p| p.into_inner());
        // Label OIDs out of sort order, as after ADD VALUE ... BEFORE.
        replace_all(vec![UserType {
            oid: 90_001,
            name: "mood".into(),
            namespace: 2200,
            array_oid: 90_002,
            kind: UserTypeKind::Enum(vec![
                label(90_010, 2.0, "ok"),
                label(90_011, 1.0, "sad"),
                label(90_003, 1.5, "meh"),
            ]),
        }]);
        let opts = OutputOptions::default();
        let sad = Datum::from_text(90_001, "sad", &opts).unwrap();
        let meh = Datum::from_text(90_001, "meh", &opts).unwrap();
        assert_eq!(sad, Datum::Enum(90_011));
        assert_eq!(meh.to_text(&opts), "meh");
        assert_eq!(
            crate::compare::compare(&sad, &meh).unwrap(),
            std::cmp::Ordering::Less
        );
        let e = Datum::from_text(90_001, "glad", &opts).unwrap_err();
        assert_eq!(e.code, SqlState::InvalidTextRepresentation);
        assert_eq!(e.message, "invalid input value for enum mood: \"glad\"");
        assert_eq!(crate::oid::type_name(90_002), "mood[]");
        assert_eq!(crate::oid::internal_name(90_002), "_mood");
        assert_eq!(crate::oid::element_of(90_002), Some(90_001));
        assert_eq!(crate::oid::typlen(90_001), 4);

        note_label_added(90_003);
        let e = Datum::from_text(90_001, "meh", &opts).unwrap_err();
        assert_eq!(e.code, SqlState::UnsafeNewEnumValueUsage);
        end_transaction();
        assert!(Datum::from_text(90_001, "meh", &opts).is_ok());
    }

    #[test]
    fn user_range_types_read_print_and_compare_like_built_in_ones() {
        let _one = FILLING.lock().unwrap_or_else(|p| p.into_inner());
        replace_all(vec![
            UserType {
                oid: 91_001,
                name: "float8range".into(),
                namespace: 2200,
                array_oid: 91_002,
                kind: UserTypeKind::Range(RangeInfo {
                    subtype: crate::oid::FLOAT8,
                    multirange: 91_003,
                    collation: 0,
                    canonical: 0,
                    subdiff: 0,
                }),
            },
            UserType {
                oid: 91_003,
                name: "float8multirange".into(),
                namespace: 2200,
                array_oid: 91_004,
                kind: UserTypeKind::Multirange { range: 91_001 },
            },
        ]);
        assert_eq!(crate::oid::range_subtype(91_001), Some(crate::oid::FLOAT8));
        assert_eq!(crate::oid::multirange_of(91_001), Some(91_003));
        assert_eq!(crate::oid::multirange_range(91_003), Some(91_001));
        assert_eq!(crate::oid::type_name(91_003), "float8multirange");
        assert_eq!(crate::oid::type_name(91_002), "float8range[]");
        assert!(!crate::oid::range_is_discrete(91_001));
        let opts = OutputOptions::default();
        // Continuous: `[1,5]` stays as it is, unlike int4range's `[1,6)`.
        let r = Datum::from_text(91_001, "[1,5]", &opts).unwrap();
        assert_eq!(r.to_text(&opts), "[1,5]");
        let b = r.to_binary();
        assert_eq!(Datum::from_binary(91_001, &b).unwrap(), r);
        let m = Datum::from_text(91_003, "{[3,4), [1,2)}", &opts).unwrap();
        assert_eq!(m.to_text(&opts), "{[1,2),[3,4)}");
        let empty = Datum::from_text(91_001, "empty", &opts).unwrap();
        assert_eq!(
            crate::compare::compare(&empty, &r).unwrap(),
            std::cmp::Ordering::Less
        );
        assert_eq!(range_types().len(), 1);
        assert!(has_range_types());
        replace_all(Vec::new());
        assert_eq!(crate::oid::range_subtype(91_001), None);
    }
}
