//! Sequences (PostgreSQL's `sequence.c`): CREATE, ALTER and DROP SEQUENCE,
//! the sequences behind serial and identity columns, and `nextval`,
//! `currval`, `setval` and `lastval`.
//!
//! A sequence is a relation of kind `'S'` whose file holds one row
//! `(last_value bigint, log_cnt bigint, is_called boolean)`, which `SELECT *
//! FROM seq` reads like a table's, plus a `pg_sequence` row with its
//! parameters. The parameters are catalog data and transactional; the row
//! is not: `nextval` rewrites it in place under the page's exclusive lock
//! and WAL-logs the change, so a value handed out is never handed out again,
//! whether the transaction that took it commits or aborts. The transaction
//! gets an xid, so its commit flushes the record (PostgreSQL does the same).
//! PostgreSQL logs 32 values ahead and skips the WAL for the next 31 calls;
//! we log every call, so `log_cnt` stays 0. `CACHE` is recorded but values
//! are not pre-allocated per session.

use std::sync::Arc;

use sqlparser::ast::{DataType, Expr, ObjectName, SequenceOptions, Statement};

use catalog::heap_catalog::{CatalogWriter, NewColumn, RelationInfo};
use catalog::system::{
    DEPENDENCY_AUTO, DEPENDENCY_INTERNAL, DependRow, PG_CATALOG_NAMESPACE, PG_CLASS, SequenceRow,
};
use storage::heap::heapam;
use storage::heap::tuple::{TupleDesc, deform_data, fill_data, form_tuple};
use storage::lmgr::{LockMode, LockTag};
use storage::page::ItemPointer;
use storage::smgr::RelFileLocator;
use types::oid::{BOOL, INT2, INT4, INT8};
use types::{Datum, PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// Where the sequence's row is: the first tuple of its first page.
const SEQUENCE_TID: ItemPointer = ItemPointer {
    block: 0,
    offset: 1,
};

fn row_desc() -> PgResult<TupleDesc> {
    TupleDesc::from_types(&[("last_value", INT8), ("log_cnt", INT8), ("is_called", BOOL)])
}

/// The columns of every sequence relation.
fn row_columns() -> Vec<NewColumn> {
    [("last_value", INT8), ("log_cnt", INT8), ("is_called", BOOL)]
        .into_iter()
        .map(|(name, type_oid)| NewColumn {
            name: name.into(),
            type_oid,
            typmod: -1,
            not_null: true,
            default: None,
            identity: '\0',
            generated: '\0',
            is_local: true,
            inhcount: 0,
            collation: None,
            compression: '\0',
        })
        .collect()
}

/// The current row of a sequence: (last_value, is_called).
fn decode(desc: &TupleDesc, data: &[u8]) -> PgResult<(i64, bool)> {
    let vals = deform_data(desc, data, 0, |_| false, 3, "sequence row")?;
    match vals.as_slice() {
        [Datum::Int8(last), _, Datum::Bool(called)] => Ok((*last, *called)),
        _ => Err(PgError::internal("malformed sequence row")),
    }
}

fn encode(desc: &TupleDesc, last: i64, called: bool) -> PgResult<Vec<u8>> {
    let mut out = Vec::new();
    fill_data(
        desc,
        &[Datum::Int8(last), Datum::Int8(0), Datum::Bool(called)],
        &mut out,
    )?;
    Ok(out)
}

fn bad_param(msg: String) -> PgError {
    PgError::new(SqlState::InvalidParameterValue, msg)
}

/// The range of a sequence type.
fn type_range(type_oid: u32) -> (i64, i64) {
    match type_oid {
        INT2 => (i16::MIN.into(), i16::MAX.into()),
        INT4 => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN, i64::MAX),
    }
}

fn type_sql_name(type_oid: u32) -> &'static str {
    match type_oid {
        INT2 => "smallint",
        INT4 => "integer",
        _ => "bigint",
    }
}

/// A number written in a sequence option.
fn option_number(e: &Expr) -> PgResult<i64> {
    let text = e.to_string();
    text.trim().parse::<i64>().map_err(|_| {
        PgError::new(
            SqlState::InvalidParameterValue,
            format!("invalid sequence option value \"{text}\""),
        )
    })
}

/// What CREATE / ALTER SEQUENCE (or an identity column) asks for.
#[derive(Debug, Default)]
pub(crate) struct SeqOptions {
    type_oid: Option<u32>,
    increment: Option<i64>,
    min: Option<Option<i64>>,
    max: Option<Option<i64>>,
    start: Option<i64>,
    /// RESTART: `Some(None)` restarts at the start value.
    restart: Option<Option<i64>>,
    cache: Option<i64>,
    cycle: Option<bool>,
    /// OWNED BY: `Some(None)` is OWNED BY NONE.
    owned_by: Option<Option<ObjectName>>,
}

impl SeqOptions {
    pub(crate) fn from_ast(opts: &[SequenceOptions]) -> PgResult<SeqOptions> {
        let mut o = SeqOptions::default();
        for opt in opts {
            match opt {
                SequenceOptions::DataType(dt) => {
                    o.type_oid = Some(match dt {
                        DataType::SmallInt(_) | DataType::Int2(_) => INT2,
                        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => INT4,
                        DataType::BigInt(_) | DataType::Int8(_) => INT8,
                        _ => {
                            let (t, _) = planner::analyze::typename::resolve_type(dt)?;
                            if ![INT2, INT4, INT8].contains(&t) {
                                return Err(bad_param(
                                    "sequence type must be smallint, integer, or bigint".into(),
                                ));
                            }
                            t
                        }
                    })
                }
                SequenceOptions::IncrementBy(e, _) => o.increment = Some(option_number(e)?),
                SequenceOptions::MinValue(e) => {
                    o.min = Some(e.as_ref().map(option_number).transpose()?)
                }
                SequenceOptions::MaxValue(e) => {
                    o.max = Some(e.as_ref().map(option_number).transpose()?)
                }
                SequenceOptions::StartWith(e, _) => o.start = Some(option_number(e)?),
                SequenceOptions::Cache(e) => o.cache = Some(option_number(e)?),
                // sqlparser's flag is "NO CYCLE".
                SequenceOptions::Cycle(no) => o.cycle = Some(!no),
                SequenceOptions::OwnedBy(name) => o.owned_by = Some(name.clone()),
            }
        }
        Ok(o)
    }

    /// The parameters these options give, applied over `old` (ALTER) or the
    /// defaults (CREATE), checked as PostgreSQL's `init_params` checks them;
    /// and the value to restart at, if any.
    fn apply(&self, relid: u32, old: Option<&SequenceRow>) -> PgResult<(SequenceRow, Option<i64>)> {
        let old_type = old.map(|o| o.type_oid);
        let type_oid = self.type_oid.or(old_type).unwrap_or(INT8);
        let (tmin, tmax) = type_range(type_oid);
        let increment = self.increment.or(old.map(|o| o.increment)).unwrap_or(1);
        if increment == 0 {
            return Err(bad_param("INCREMENT must not be zero".into()));
        }
        // A bound left at its old type's limit follows a type change.
        let type_changed = old_type.is_some_and(|t| t != type_oid);
        let old_limits = old_type.map(type_range);
        let max = match self.max {
            Some(Some(v)) => v,
            Some(None) => {
                if increment > 0 {
                    tmax
                } else {
                    -1
                }
            }
            None => match old {
                Some(o) if type_changed && old_limits.is_some_and(|l| o.max == l.1) => tmax,
                Some(o) => o.max,
                None if increment > 0 => tmax,
                None => -1,
            },
        };
        let min = match self.min {
            Some(Some(v)) => v,
            Some(None) => {
                if increment > 0 {
                    1
                } else {
                    tmin
                }
            }
            None => match old {
                Some(o) if type_changed && old_limits.is_some_and(|l| o.min == l.0) => tmin,
                Some(o) => o.min,
                None if increment > 0 => 1,
                None => tmin,
            },
        };
        let tname = type_sql_name(type_oid);
        if max < tmin || max > tmax {
            return Err(bad_param(format!(
                "MAXVALUE ({max}) is out of range for sequence data type {tname}"
            )));
        }
        if min < tmin || min > tmax {
            return Err(bad_param(format!(
                "MINVALUE ({min}) is out of range for sequence data type {tname}"
            )));
        }
        if min >= max {
            return Err(bad_param(format!(
                "MINVALUE ({min}) must be less than MAXVALUE ({max})"
            )));
        }
        let start = match (self.start, old) {
            (Some(s), _) => s,
            (None, Some(o)) => o.start,
            (None, None) if increment > 0 => min,
            (None, None) => max,
        };
        if start < min {
            return Err(bad_param(format!(
                "START value ({start}) cannot be less than MINVALUE ({min})"
            )));
        }
        if start > max {
            return Err(bad_param(format!(
                "START value ({start}) cannot be greater than MAXVALUE ({max})"
            )));
        }
        let restart = self.restart.map(|r| r.unwrap_or(start));
        if let Some(r) = restart {
            if r < min {
                return Err(bad_param(format!(
                    "RESTART value ({r}) cannot be less than MINVALUE ({min})"
                )));
            }
            if r > max {
                return Err(bad_param(format!(
                    "RESTART value ({r}) cannot be greater than MAXVALUE ({max})"
                )));
            }
        }
        let cache = self.cache.or(old.map(|o| o.cache)).unwrap_or(1);
        if cache <= 0 {
            return Err(bad_param(format!(
                "CACHE ({cache}) must be greater than zero"
            )));
        }
        let cycle = self.cycle.or(old.map(|o| o.cycle)).unwrap_or(false);
        Ok((
            SequenceRow {
                relid,
                type_oid,
                start,
                increment,
                max,
                min,
                cache,
                cycle,
            },
            restart,
        ))
    }
}

/// CREATE SEQUENCE.
pub(crate) fn create_sequence_stmt(session: &mut Session, stmt: &Statement) -> PgResult<Outcome> {
    let Statement::CreateSequence {
        temporary,
        if_not_exists,
        name,
        sequence_options,
    } = stmt
    else {
        return Err(PgError::internal("not a CREATE SEQUENCE"));
    };
    crate::xact::check_writable(session, "CREATE SEQUENCE")?;
    let opts = SeqOptions::from_ast(sequence_options)?;
    let (schema, relname) = split_name(name)?;
    let namespace = super::temp::creation_namespace(session, schema.as_deref(), *temporary)?;
    if namespace == PG_CATALOG_NAMESPACE {
        return Err(system_catalog_denied(&format!("pg_catalog.{relname}")));
    }
    let owner = match &opts.owned_by {
        Some(Some(col)) => Some(owned_by_target(session, col, namespace)?),
        _ => None,
    };
    if create_sequence(session, namespace, &relname, &opts, *if_not_exists, owner)?.is_none() {
        return Ok(Outcome::Command("CREATE SEQUENCE".into()));
    }
    Ok(Outcome::Command("CREATE SEQUENCE".into()))
}

/// Who owns a sequence: a table's column, as (table oid, attnum, deptype).
type Owner = (u32, i16, char);

/// The column OWNED BY names: it must be a column of a table in the
/// sequence's schema.
fn owned_by_target(session: &mut Session, col: &ObjectName, seq_namespace: u32) -> PgResult<Owner> {
    let parts: Vec<String> = col
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(ident))
        .collect();
    let (schema, table, column) = match parts.as_slice() {
        [t, c] => (None, t.clone(), c.clone()),
        [s, t, c] => (Some(s.clone()), t.clone(), c.clone()),
        _ => {
            return Err(
                PgError::new(SqlState::InvalidParameterValue, "invalid OWNED BY option")
                    .with_hint("Specify OWNED BY table.column or OWNED BY NONE."),
            );
        }
    };
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &table)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{table}\" does not exist"),
        ));
    };
    if rel.kind != 'r' {
        return Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            format!("sequence cannot be owned by relation \"{table}\""),
        )
        .with_detail("This operation is not supported for this kind of relation."));
    }
    if rel.namespace_oid != seq_namespace {
        return Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            "sequence must be in same schema as table it is linked to",
        ));
    }
    let Some(c) = rel.columns.iter().find(|c| !c.dropped && c.name == column) else {
        return Err(PgError::new(
            SqlState::UndefinedColumn,
            format!("column \"{column}\" of relation \"{table}\" does not exist"),
        ));
    };
    Ok((rel.oid, c.attnum, DEPENDENCY_AUTO))
}

/// Makes sequence `name` in `namespace`: its relation, its one row and its
/// `pg_sequence` row, and the dependency on its owner. Returns its OID, or
/// None when IF NOT EXISTS finds the name taken.
pub(crate) fn create_sequence(
    session: &mut Session,
    namespace: u32,
    name: &str,
    opts: &SeqOptions,
    if_not_exists: bool,
    owner: Option<Owner>,
) -> PgResult<Option<u32>> {
    if name.len() >= 64 {
        return Err(PgError::feature_not_supported(
            "identifiers longer than 63 bytes",
        ));
    }
    let name_tag = LockTag::Object {
        db: session.database_oid,
        class_oid: PG_CLASS,
        obj_oid: name_hash(namespace, name),
        sub_id: 0,
    };
    crate::xact::lock(session, name_tag, LockMode::AccessExclusive, false)?;
    relcache::accept_invalidations(session);
    let namespace_text = namespace_name(session, namespace)?;
    if relcache::lookup_relation(session, Some(&namespace_text), name)?.is_some() {
        if if_not_exists {
            session.notice(
                "42P07",
                format!("relation \"{name}\" already exists, skipping"),
            );
            return Ok(None);
        }
        return Err(PgError::new(
            SqlState::DuplicateTable,
            format!("relation \"{name}\" already exists"),
        ));
    }
    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    let (params, _) = opts.apply(oid, None)?;
    let rel = RelFileLocator::new(session.database_oid, oid);
    crate::xact::create_relation_file(session, rel)?;
    let owner_oid = session.user_oid;
    let db = session.database_oid;
    let desc = row_desc()?;
    let tuple = form_tuple(
        &desc,
        &[
            Datum::Int8(params.start),
            Datum::Int8(0),
            Datum::Bool(false),
        ],
    )?;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        writer.create_relation(
            w,
            oid,
            oid,
            namespace,
            name,
            owner_oid,
            'S',
            &row_columns(),
            &mut || env.tx.new_oid(),
        )?;
        writer.create_sequence(w, &params)?;
        if let Some((table, attnum, deptype)) = owner {
            writer.add_dependency(
                w,
                &DependRow {
                    classid: PG_CLASS,
                    objid: oid,
                    objsubid: 0,
                    refclassid: PG_CLASS,
                    refobjid: table,
                    refobjsubid: attnum.into(),
                    deptype,
                },
            )?;
        }
        let tid = heapam::insert(env, rel, tuple, 0, w)?;
        if tid != SEQUENCE_TID {
            return Err(PgError::internal(format!(
                "sequence row placed at {tid}, not {SEQUENCE_TID}"
            )));
        }
        Ok(())
    })?;
    catalog_changed(session);
    crate::acl::default_privileges::apply_to_relation(session, oid)?;
    Ok(Some(oid))
}

/// The sequence a serial or identity column of table `table` (being made)
/// gets: named `<table>_<column>_seq`, made unique with a number as
/// PostgreSQL's `ChooseRelationName` does. Returns its qualified name for the
/// column's default.
pub(crate) fn create_column_sequence(
    session: &mut Session,
    namespace: u32,
    table: &str,
    column: &str,
    type_oid: u32,
    opts: &SeqOptions,
) -> PgResult<(u32, String)> {
    let schema = namespace_name(session, namespace)?;
    let mut n = 0;
    let name = loop {
        let label = if n == 0 {
            "seq".to_string()
        } else {
            format!("seq{n}")
        };
        let candidate = super::constraints::make_object_name(table, Some(column), &label);
        if relcache::lookup_relation(session, Some(&schema), &candidate)?.is_none() {
            break candidate;
        }
        n += 1;
    };
    let mut opts_with_type = SeqOptions {
        type_oid: Some(opts.type_oid.unwrap_or(type_oid)),
        ..SeqOptions::default()
    };
    opts_with_type.increment = opts.increment;
    opts_with_type.min = opts.min;
    opts_with_type.max = opts.max;
    opts_with_type.start = opts.start;
    opts_with_type.cache = opts.cache;
    opts_with_type.cycle = opts.cycle;
    let oid = create_sequence(session, namespace, &name, &opts_with_type, false, None)?
        .ok_or_else(|| PgError::internal("sequence name taken"))?;
    Ok((
        oid,
        format!(
            "{}.{}",
            types::guc::quote_identifier(&schema),
            types::guc::quote_identifier(&name)
        ),
    ))
}

/// The sequence a default of the form `nextval('name'::regclass)` calls
/// (a serial column's, or pg_dump's `SET DEFAULT` of one), which
/// PostgreSQL records as a dependency of the default; None for any other
/// default.
/// TODO(default dependencies): every relation a default names, as
/// PostgreSQL's recordDependencyOnExpr finds them.
pub(crate) fn default_sequence(session: &mut Session, text: &str) -> PgResult<Option<u32>> {
    let Some(rest) = text.trim().strip_prefix("nextval('") else {
        return Ok(None);
    };
    let mut name = String::new();
    let mut chars = rest.chars().peekable();
    loop {
        match chars.next() {
            Some('\'') if chars.peek() == Some(&'\'') => {
                chars.next();
                name.push('\'');
            }
            Some('\'') => break,
            Some(c) => name.push(c),
            None => return Ok(None),
        }
    }
    if !chars
        .collect::<String>()
        .eq_ignore_ascii_case("::regclass)")
    {
        return Ok(None);
    }
    match relcache::regclass_lookup(session, &name) {
        Ok(rel) if rel.kind == 'S' => Ok(Some(rel.oid)),
        _ => Ok(None),
    }
}

/// Records that sequence `seq` belongs to column `attnum` of `table`
/// (after the table exists).
pub(crate) fn set_owner(
    session: &mut Session,
    seq: u32,
    table: u32,
    attnum: i16,
    deptype: char,
) -> PgResult<()> {
    let db = session.database_oid;
    // A serial column's default calls nextval on the sequence: PostgreSQL
    // records that the default depends on it (pg_dump orders its output by
    // this, making the sequence before the default).
    let default = if deptype == DEPENDENCY_AUTO {
        crate::xact::command_counter_increment(session)?;
        with_reader(session, |r| r.default_oid(table, attnum))?
    } else {
        None
    };
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        writer.add_dependency(
            w,
            &DependRow {
                classid: PG_CLASS,
                objid: seq,
                objsubid: 0,
                refclassid: PG_CLASS,
                refobjid: table,
                refobjsubid: attnum.into(),
                deptype,
            },
        )?;
        if let Some(default) = default {
            writer.add_dependency(
                w,
                &DependRow {
                    classid: catalog::system::PG_ATTRDEF,
                    objid: default,
                    objsubid: 0,
                    refclassid: PG_CLASS,
                    refobjid: seq,
                    refobjsubid: 0,
                    deptype: catalog::system::DEPENDENCY_NORMAL,
                },
            )?;
        }
        Ok(())
    })?;
    catalog_changed(session);
    Ok(())
}

/// The deptype of an identity column's sequence.
pub(crate) const IDENTITY_DEPENDENCY: char = DEPENDENCY_INTERNAL;

/// A sequence named by a statement, locked against DROP and ALTER.
/// `what` names the object in "does not exist" (DROP says "sequence",
/// ALTER "relation").
fn target_sequence(
    session: &mut Session,
    name: &ObjectName,
    if_exists: bool,
    what: &str,
) -> PgResult<Option<Arc<RelationInfo>>> {
    let (schema, relname) = split_name(name)?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        super::missing_relation(session, what, &relname, if_exists)?;
        return Ok(None);
    };
    if rel.kind != 'S' {
        return Err(not_a_sequence(&rel.name));
    }
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    relcache::accept_invalidations(session);
    match relcache::lookup_relation(session, schema.as_deref(), &relname)? {
        Some(again) if again.oid == rel.oid => Ok(Some(again)),
        _ => Err(PgError::new(
            SqlState::UndefinedTable,
            format!("{what} \"{relname}\" does not exist"),
        )),
    }
}

fn not_a_sequence(name: &str) -> PgError {
    PgError::new(
        SqlState::WrongObjectType,
        format!("\"{name}\" is not a sequence"),
    )
}

/// DROP SEQUENCE.
pub(crate) fn drop_sequences(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP SEQUENCE")?;
    let mut targets = Vec::new();
    for n in names {
        if let Some(rel) = target_sequence(session, n, if_exists, "sequence")? {
            crate::acl::require_relation_owner(session, rel.oid)?;
            targets.push(rel);
        }
    }
    for rel in targets {
        let deps = with_reader(session, |r| r.dependencies(PG_CLASS, rel.oid))?;
        if let Some(d) = deps.iter().find(|d| d.1.deptype == DEPENDENCY_INTERNAL) {
            let (table, column) = column_name(session, d.1.refobjid, d.1.refobjsubid)?;
            return Err(PgError::new(
                SqlState::DependentObjectsStillExist,
                format!(
                    "cannot drop sequence {} because column {column} of table {table} requires it",
                    rel.name
                ),
            )
            .with_hint(format!(
                "You can drop column {column} of table {table} instead."
            )));
        }
        let users = default_users(session, &rel)?;
        if let Some((table, column)) = users.first()
            && !cascade
        {
            let detail = users
                .iter()
                .map(|(t, c)| {
                    format!(
                        "default value for column {c} of table {t} depends on sequence {}",
                        rel.name
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let _ = (table, column);
            return Err(PgError::new(
                SqlState::DependentObjectsStillExist,
                format!(
                    "cannot drop sequence {} because other objects depend on it",
                    rel.name
                ),
            )
            .with_detail(detail)
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        for (table, column) in &users {
            drop_default(session, table, column)?;
            session.notice(
                "00000",
                format!("drop cascades to default value for column {column} of table {table}"),
            );
        }
        drop_sequence_relation(session, &rel)?;
    }
    Ok(Outcome::Command("DROP SEQUENCE".into()))
}

/// Removes sequence `rel`'s catalog rows and, at commit, its file.
pub(crate) fn drop_sequence_relation(session: &mut Session, rel: &RelationInfo) -> PgResult<()> {
    let db = session.database_oid;
    let rows = with_reader(session, |r| r.relation_rows(rel.oid))?;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    session.tx.drop_at_commit.push(rel.locator(db));
    catalog_changed(session);
    Ok(())
}

/// The sequences owned by table `table` (serial and identity columns'),
/// dropped with it.
pub(crate) fn owned_sequences(session: &mut Session, table: u32) -> PgResult<Vec<u32>> {
    let deps = with_reader(session, |r| r.dependents(PG_CLASS, table))?;
    Ok(deps
        .into_iter()
        .filter(|(_, d)| {
            d.classid == PG_CLASS
                && (d.deptype == DEPENDENCY_AUTO || d.deptype == DEPENDENCY_INTERNAL)
        })
        .map(|(_, d)| d.objid)
        .collect())
}

/// (table, column) names of column `attnum` of relation `relid`.
fn column_name(session: &mut Session, relid: u32, attnum: i32) -> PgResult<(String, String)> {
    let rel = relcache::relation_by_oid(session, relid)?
        .ok_or_else(|| PgError::internal(format!("cache lookup failed for relation {relid}")))?;
    let column = rel
        .columns
        .iter()
        .find(|c| i32::from(c.attnum) == attnum)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    Ok((rel.name.clone(), column))
}

/// The columns of the sequence's owner whose default calls `nextval` on it
/// (a serial column's): PostgreSQL records these as dependencies of the
/// default on the sequence; we find them by the owner link.
fn default_users(session: &mut Session, rel: &RelationInfo) -> PgResult<Vec<(String, String)>> {
    let deps = with_reader(session, |r| r.dependencies(PG_CLASS, rel.oid))?;
    let mut out = Vec::new();
    for (_, d) in deps {
        if d.deptype != DEPENDENCY_AUTO {
            continue;
        }
        let Some(table) = relcache::relation_by_oid(session, d.refobjid)? else {
            continue;
        };
        for c in &table.columns {
            if c.dropped {
                continue;
            }
            if let Some(def) = &c.default
                && def.contains("nextval(")
                && def.contains(&rel.name)
            {
                out.push((table.name.clone(), c.name.clone()));
            }
        }
    }
    Ok(out)
}

/// Removes the default of `table`.`column` (DROP SEQUENCE ... CASCADE).
fn drop_default(session: &mut Session, table: &str, column: &str) -> PgResult<()> {
    let sql = format!(
        "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
        types::guc::quote_identifier(table),
        types::guc::quote_identifier(column)
    );
    let stmts = crate::syntax::parse(&sql)?;
    for s in &stmts {
        crate::tcop::run_statement(session, s, &sql, None, &[])?;
    }
    Ok(())
}

/// ALTER SEQUENCE, from its text (sqlparser has no ALTER SEQUENCE; see
/// `syntax::rewrite_text_statements`).
pub(crate) fn alter_sequence(session: &mut Session, text: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER SEQUENCE")?;
    let parsed = parse_alter(text)?;
    let Some(rel) = target_sequence(session, &parsed.name, parsed.if_exists, "relation")? else {
        return Ok(Outcome::Command("ALTER SEQUENCE".into()));
    };
    if let Some(new_name) = &parsed.rename {
        let sql = format!(
            "ALTER TABLE {}.{} RENAME TO {}",
            types::guc::quote_identifier(&rel.namespace),
            types::guc::quote_identifier(&rel.name),
            types::guc::quote_identifier(new_name)
        );
        let stmts = crate::syntax::parse(&sql)?;
        for s in &stmts {
            crate::tcop::run_statement(session, s, &sql, None, &[])?;
        }
        return Ok(Outcome::Command("ALTER SEQUENCE".into()));
    }
    let mut opts = SeqOptions::from_ast(&parsed.options)?;
    opts.restart = parsed.restart;
    let Some((tid, old)) = with_reader(session, |r| r.sequence(rel.oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for sequence {}",
            rel.oid
        )));
    };
    let (params, restart) = opts.apply(rel.oid, Some(&old))?;
    if let Some(Some(col)) = &opts.owned_by {
        let owner = owned_by_target(session, col, rel.namespace_oid)?;
        replace_owner(session, rel.oid, Some(owner))?;
    } else if let Some(None) = &opts.owned_by {
        replace_owner(session, rel.oid, None)?;
    }
    let db = session.database_oid;
    if params != old {
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_sequence(tid, &params, w)
        })?;
        catalog_changed(session);
    }
    if let Some(value) = restart {
        write_row(session, &rel, value, false)?;
    } else if params.type_oid != old.type_oid || params.min != old.min || params.max != old.max {
        // The current value must still fit.
        let (last, _) = read_row(session, &rel)?;
        if last < params.min || last > params.max {
            return Err(bad_param(format!(
                "RESTART value ({last}) cannot be {} {} ({})",
                if last < params.min {
                    "less than"
                } else {
                    "greater than"
                },
                if last < params.min {
                    "MINVALUE"
                } else {
                    "MAXVALUE"
                },
                if last < params.min {
                    params.min
                } else {
                    params.max
                }
            )));
        }
    }
    Ok(Outcome::Command("ALTER SEQUENCE".into()))
}

/// Replaces the OWNED BY link of sequence `seq`.
fn replace_owner(session: &mut Session, seq: u32, owner: Option<Owner>) -> PgResult<()> {
    let deps = with_reader(session, |r| r.dependencies(PG_CLASS, seq))?;
    if deps.iter().any(|(_, d)| d.deptype == DEPENDENCY_INTERNAL) {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "cannot change ownership of identity sequence",
        ));
    }
    let rows: Vec<(u32, ItemPointer)> = deps
        .iter()
        .filter(|(_, d)| d.deptype == DEPENDENCY_AUTO)
        .map(|(t, _)| (catalog::system::PG_DEPEND, *t))
        .collect();
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    catalog_changed(session);
    if let Some((table, attnum, deptype)) = owner {
        set_owner(session, seq, table, attnum, deptype)?;
    }
    Ok(())
}

struct AlterSequence {
    if_exists: bool,
    name: ObjectName,
    options: Vec<SequenceOptions>,
    restart: Option<Option<i64>>,
    rename: Option<String>,
}

/// Reads `ALTER SEQUENCE [IF EXISTS] name { options | RENAME TO new }`:
/// RESTART [[WITH] n] is taken out and the rest parsed as CREATE SEQUENCE's
/// options.
fn parse_alter(text: &str) -> PgResult<AlterSequence> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .map_err(|e| PgError::syntax(e.to_string(), None))?;
    let sig: Vec<Token> = tokens
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF | Token::SemiColon))
        .collect();
    let word = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    // ALTER SEQUENCE
    let mut i = 2;
    let if_exists = sig.len() > 3 && word(&sig[2], "if") && word(&sig[3], "exists");
    if if_exists {
        i = 4;
    }
    let mut rest: Vec<String> = Vec::new();
    let mut restart = None;
    let mut rename = None;
    let mut name_tokens = Vec::new();
    // The name: words and dots.
    while i < sig.len() {
        match &sig[i] {
            Token::Word(_)
                if name_tokens
                    .last()
                    .is_none_or(|t: &Token| *t == Token::Period) =>
            {
                name_tokens.push(sig[i].clone())
            }
            Token::Period => name_tokens.push(sig[i].clone()),
            _ => break,
        }
        i += 1;
    }
    while i < sig.len() {
        if word(&sig[i], "restart") {
            i += 1;
            if i < sig.len() && word(&sig[i], "with") {
                i += 1;
            }
            let mut num = String::new();
            while i < sig.len() && matches!(&sig[i], Token::Minus | Token::Plus) {
                num.push_str(&sig[i].to_string());
                i += 1;
            }
            if let Some(Token::Number(n, _)) = sig.get(i) {
                num.push_str(n);
                i += 1;
                restart =
                    Some(Some(num.parse::<i64>().map_err(|_| {
                        bad_param(format!("invalid RESTART value \"{num}\""))
                    })?));
            } else if !num.is_empty() {
                return Err(PgError::syntax(
                    format!("syntax error at or near \"{num}\""),
                    None,
                ));
            } else {
                restart = Some(None);
            }
            continue;
        }
        if word(&sig[i], "rename") && sig.get(i + 1).is_some_and(|t| word(t, "to")) {
            match sig.get(i + 2) {
                Some(Token::Word(w)) => {
                    rename = Some(if w.quote_style.is_some() {
                        w.value.clone()
                    } else {
                        w.value.to_lowercase()
                    });
                    i += 3;
                    continue;
                }
                _ => return Err(PgError::syntax("syntax error at end of input", None)),
            }
        }
        if word(&sig[i], "owner") || word(&sig[i], "set") {
            return Err(PgError::feature_not_supported(format!(
                "ALTER SEQUENCE ... {}",
                sig[i].to_string().to_uppercase()
            )));
        }
        rest.push(sig[i].to_string());
        i += 1;
    }
    let name_text: String = name_tokens.iter().map(|t| t.to_string()).collect();
    let sql = format!("CREATE SEQUENCE {name_text} {}", rest.join(" "));
    let stmts = crate::syntax::parse(&sql)?;
    let Some(Statement::CreateSequence {
        name,
        sequence_options,
        ..
    }) = stmts.into_iter().next()
    else {
        return Err(PgError::syntax("syntax error in ALTER SEQUENCE", None));
    };
    Ok(AlterSequence {
        if_exists,
        name,
        options: sequence_options,
        restart,
        rename,
    })
}

/// A sequence's parameters, cached per session.
fn params(session: &mut Session, rel: &RelationInfo) -> PgResult<SequenceRow> {
    relcache::accept_invalidations(session);
    if let Some(p) = session.relcache.sequences.get(&rel.oid) {
        return Ok(*p);
    }
    let Some((_, row)) = with_reader(session, |r| r.sequence(rel.oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for sequence {}",
            rel.oid
        )));
    };
    session.relcache.sequences.insert(rel.oid, row);
    Ok(row)
}

fn read_row(session: &mut Session, rel: &RelationInfo) -> PgResult<(i64, bool)> {
    let xid = crate::xact::ensure_xid(session)?;
    let desc = row_desc()?;
    let env = session.storage.heap_env();
    let loc = rel.locator(session.database_oid);
    heapam::rewrite_in_place(&env, loc, SEQUENCE_TID, xid, |data| {
        Ok((decode(&desc, data)?, None))
    })
}

fn write_row(session: &mut Session, rel: &RelationInfo, last: i64, called: bool) -> PgResult<()> {
    let xid = crate::xact::ensure_xid(session)?;
    let desc = row_desc()?;
    let env = session.storage.heap_env();
    let loc = rel.locator(session.database_oid);
    heapam::rewrite_in_place(&env, loc, SEQUENCE_TID, xid, |_| {
        Ok(((), Some(encode(&desc, last, called)?)))
    })
}

/// The sequence a `regclass` argument names, locked as PostgreSQL's
/// `lock_and_open_sequence` locks it.
fn open_sequence(session: &mut Session, name: &str) -> PgResult<Arc<RelationInfo>> {
    let rel = relcache::regclass_lookup(session, name)?;
    if rel.kind != 'S' {
        return Err(not_a_sequence(&rel.name));
    }
    crate::xact::lock_relation(session, rel.oid, LockMode::RowExclusive)?;
    Ok(rel)
}

fn read_only_error(session: &Session, func: &str) -> PgResult<()> {
    if crate::xact::check_writable(session, "").is_err() {
        return Err(PgError::new(
            SqlState::ReadOnlySqlTransaction,
            format!("cannot execute {func}() in a read-only transaction"),
        ));
    }
    Ok(())
}

/// `nextval(name)`.
pub fn nextval(session: &mut Session, name: &str) -> PgResult<i64> {
    let rel = open_sequence(session, name)?;
    crate::acl::require_any_relation_privilege(
        session,
        rel.oid,
        catalog::acl::ACL_USAGE | catalog::acl::ACL_UPDATE,
    )?;
    read_only_error(session, "nextval")?;
    let p = params(session, &rel)?;
    let xid = crate::xact::ensure_xid(session)?;
    let desc = row_desc()?;
    let env = session.storage.heap_env();
    let loc = rel.locator(session.database_oid);
    let value = heapam::rewrite_in_place(&env, loc, SEQUENCE_TID, xid, |data| {
        let (last, called) = decode(&desc, data)?;
        let next = if !called {
            last
        } else {
            advance(&rel.name, &p, last)?
        };
        Ok((next, Some(encode(&desc, next, true)?)))
    })?;
    session.seq_values.insert(rel.oid, value);
    session.last_sequence = Some(rel.oid);
    Ok(value)
}

/// The value after `last`, or the error at the end of a sequence without
/// CYCLE.
fn advance(name: &str, p: &SequenceRow, last: i64) -> PgResult<i64> {
    if p.increment > 0 {
        match last.checked_add(p.increment) {
            Some(n) if n <= p.max => Ok(n),
            _ if p.cycle => Ok(p.min),
            _ => Err(PgError::new(
                SqlState::SequenceGeneratorLimitExceeded,
                format!(
                    "nextval: reached maximum value of sequence \"{name}\" ({})",
                    p.max
                ),
            )),
        }
    } else {
        match last.checked_add(p.increment) {
            Some(n) if n >= p.min => Ok(n),
            _ if p.cycle => Ok(p.max),
            _ => Err(PgError::new(
                SqlState::SequenceGeneratorLimitExceeded,
                format!(
                    "nextval: reached minimum value of sequence \"{name}\" ({})",
                    p.min
                ),
            )),
        }
    }
}

/// `currval(name)`.
pub fn currval(session: &mut Session, name: &str) -> PgResult<i64> {
    let rel = relcache::regclass_lookup(session, name)?;
    if rel.kind != 'S' {
        return Err(not_a_sequence(&rel.name));
    }
    crate::acl::require_any_relation_privilege(
        session,
        rel.oid,
        catalog::acl::ACL_USAGE | catalog::acl::ACL_SELECT,
    )?;
    session.seq_values.get(&rel.oid).copied().ok_or_else(|| {
        PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            format!(
                "currval of sequence \"{}\" is not yet defined in this session",
                rel.name
            ),
        )
    })
}

/// `lastval()`.
pub fn lastval(session: &mut Session) -> PgResult<i64> {
    let undefined = || {
        PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            "lastval is not yet defined in this session",
        )
    };
    let oid = session.last_sequence.ok_or_else(undefined)?;
    if relcache::relation_by_oid(session, oid)?.is_none() {
        return Err(undefined());
    }
    session.seq_values.get(&oid).copied().ok_or_else(undefined)
}

/// `setval(name, value [, is_called])`.
pub fn setval(session: &mut Session, name: &str, value: i64, is_called: bool) -> PgResult<i64> {
    let rel = open_sequence(session, name)?;
    crate::acl::require_relation_privileges(session, rel.oid, catalog::acl::ACL_UPDATE)?;
    read_only_error(session, "setval")?;
    let p = params(session, &rel)?;
    if value < p.min || value > p.max {
        return Err(PgError::new(
            SqlState::NumericValueOutOfRange,
            format!(
                "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
                rel.name, p.min, p.max
            ),
        ));
    }
    write_row(session, &rel, value, is_called)?;
    if is_called {
        session.seq_values.insert(rel.oid, value);
        session.last_sequence = Some(rel.oid);
    }
    Ok(value)
}

/// `pg_get_serial_sequence(table, column)`: the sequence a serial or
/// identity column owns, schema-qualified; NULL if it has none. The table
/// name is read as SQL (case-folded unless quoted), the column name as is.
pub fn serial_sequence(
    session: &mut Session,
    table: &str,
    column: &str,
) -> PgResult<Option<String>> {
    let rel = relcache::regclass_lookup(session, table)?;
    let Some(col) = rel.columns.iter().find(|c| !c.dropped && c.name == column) else {
        return Err(PgError::new(
            SqlState::UndefinedColumn,
            format!(
                "column \"{column}\" of relation \"{}\" does not exist",
                rel.name
            ),
        ));
    };
    let deps = with_reader(session, |r| r.dependents(PG_CLASS, rel.oid))?;
    for (_, d) in deps {
        if d.classid != PG_CLASS
            || d.refobjsubid != i32::from(col.attnum)
            || !(d.deptype == DEPENDENCY_AUTO || d.deptype == DEPENDENCY_INTERNAL)
        {
            continue;
        }
        if let Some(seq) = relcache::relation_by_oid(session, d.objid)?
            && seq.kind == 'S'
        {
            return Ok(Some(format!(
                "{}.{}",
                types::guc::quote_identifier(&seq.namespace),
                types::guc::quote_identifier(&seq.name)
            )));
        }
    }
    Ok(None)
}

/// Starts sequence `rel` over at its start value (TRUNCATE ... RESTART
/// IDENTITY).
pub(crate) fn restart(session: &mut Session, rel: &RelationInfo) -> PgResult<()> {
    let p = params(session, rel)?;
    write_row(session, rel, p.start, false)
}
