//! Foreign keys (PostgreSQL's `ri_triggers.c` and the foreign-key parts of
//! `tablecmds.c`): REFERENCES in CREATE TABLE and ALTER TABLE ... ADD
//! FOREIGN KEY, their checks and their ON DELETE / ON UPDATE actions,
//! DEFERRABLE constraints and SET CONSTRAINTS.
//!
//! PostgreSQL enforces a foreign key with AFTER ROW triggers that run SQL;
//! so do we, without the triggers: the table access layer reports each row
//! change of a table that has or is referenced by a foreign key
//! ([`row_inserted`], [`row_updated`], [`row_deleted`]) as an event, and the
//! events run when the statement ends ([`fire_pending`]), or at COMMIT for a
//! deferred constraint ([`fire_deferred`]):
//!
//! - a new or changed referencing row: `SELECT 1 FROM parent x WHERE key =
//!   $1 FOR KEY SHARE OF x` must find its parent row (23503 otherwise), which
//!   it locks against a concurrent DELETE or key UPDATE until the
//!   transaction ends;
//! - a deleted or re-keyed parent row: NO ACTION and RESTRICT look for a
//!   referencing row (23503 if there is one; NO ACTION first looks whether
//!   another parent row now has the same key), CASCADE deletes or updates the
//!   referencing rows, SET NULL and SET DEFAULT update them. Those changes
//!   are events in their turn, run in the same loop.
//!
//! Each query runs at the next command id, so it sees what the statement
//! did, with a fresh snapshot at READ COMMITTED. Its plan is cached per
//! constraint and action for the session's catalog version.

use std::sync::Arc;

use catalog::heap_catalog::{CatalogWriter, RelationInfo};
use catalog::system::{CONSTRAINT_FOREIGN, ConstraintRow};
use sqlparser::ast::{
    ConstraintReferenceMatchKind, DeferrableInitial, ForeignKeyConstraint, ReferentialAction,
};
use storage::lmgr::LockMode;
use types::{Datum, PgError, PgResult, SqlState};

use super::*;
use crate::relcache;
use crate::session::Session;

/// A foreign key to add, as written.
#[derive(Debug, Clone)]
pub(crate) struct ForeignKeySpec {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub parent: ObjectName,
    /// Empty: the parent's primary key.
    pub parent_columns: Vec<String>,
    pub on_delete: char,
    pub on_update: char,
    pub match_full: bool,
    pub deferrable: bool,
    pub deferred: bool,
    pub not_valid: bool,
}

fn action(a: Option<&ReferentialAction>) -> char {
    match a {
        None | Some(ReferentialAction::NoAction) => 'a',
        Some(ReferentialAction::Restrict) => 'r',
        Some(ReferentialAction::Cascade) => 'c',
        Some(ReferentialAction::SetNull) => 'n',
        Some(ReferentialAction::SetDefault) => 'd',
    }
}

impl ForeignKeySpec {
    /// A table constraint, or a column's REFERENCES (`column`).
    pub(crate) fn from_ast(
        fk: &ForeignKeyConstraint,
        column: Option<&str>,
    ) -> PgResult<ForeignKeySpec> {
        if matches!(fk.match_kind, Some(ConstraintReferenceMatchKind::Partial)) {
            return Err(PgError::feature_not_supported("MATCH PARTIAL"));
        }
        let characteristics = fk.characteristics.as_ref();
        let deferred = matches!(
            characteristics.and_then(|c| c.initially),
            Some(DeferrableInitial::Deferred)
        );
        let deferrable = characteristics
            .and_then(|c| c.deferrable)
            .unwrap_or(deferred);
        if deferred && !deferrable {
            return Err(PgError::syntax(
                "constraint declared INITIALLY DEFERRED must be DEFERRABLE",
                None,
            ));
        }
        Ok(ForeignKeySpec {
            name: fk.name.as_ref().map(ident),
            columns: match column {
                Some(c) => vec![c.to_owned()],
                None => fk.columns.iter().map(ident).collect(),
            },
            parent: fk.foreign_table.clone(),
            parent_columns: fk.referred_columns.iter().map(ident).collect(),
            on_delete: action(fk.on_delete.as_ref()),
            on_update: action(fk.on_update.as_ref()),
            match_full: matches!(fk.match_kind, Some(ConstraintReferenceMatchKind::Full)),
            deferrable,
            deferred,
            not_valid: false,
        })
    }
}

/// The attnums of the columns a foreign key names in `rel`.
fn key_attnums(rel: &RelationInfo, names: &[String]) -> PgResult<Vec<i16>> {
    names
        .iter()
        .map(|c| {
            rel.columns
                .iter()
                .find(|x| !x.dropped && &x.name == c)
                .map(|x| x.attnum)
                .ok_or_else(|| {
                    PgError::new(
                        SqlState::UndefinedColumn,
                        format!(
                            "column \"{c}\" referenced in foreign key constraint does not exist"
                        ),
                    )
                })
        })
        .collect()
}

fn column_position(rel: &RelationInfo, attnum: i16) -> Option<usize> {
    rel.columns.iter().position(|c| c.attnum == attnum)
}

/// Adds foreign keys to table `table_oid`; with `validate`, its rows must
/// already satisfy them (ALTER TABLE, unless NOT VALID).
pub(crate) fn add_foreign_keys(
    session: &mut Session,
    table_oid: u32,
    specs: &[ForeignKeySpec],
    validate: bool,
) -> PgResult<()> {
    for spec in specs {
        crate::xact::command_counter_increment(session)?;
        relcache::accept_invalidations(session);
        let Some(child) = relcache::relation_by_oid(session, table_oid)? else {
            return Err(PgError::internal(format!(
                "cache lookup failed for relation {table_oid}"
            )));
        };
        let (schema, pname) = split_name(&spec.parent)?;
        let parent =
            if pname == child.name && schema.as_deref().is_none_or(|s| s == child.namespace) {
                child.clone()
            } else {
                let Some(p) = relcache::lookup_relation(session, schema.as_deref(), &pname)? else {
                    return Err(PgError::new(
                        SqlState::UndefinedTable,
                        format!("relation \"{pname}\" does not exist"),
                    ));
                };
                if p.kind != 'r' {
                    return Err(PgError::new(
                        SqlState::WrongObjectType,
                        format!("referenced relation \"{pname}\" is not a table"),
                    ));
                }
                crate::xact::lock_relation(session, p.oid, LockMode::ShareRowExclusive)?;
                p
            };
        let child_keys = key_attnums(&child, &spec.columns)?;
        // A generated column cannot be set by the actions that write it.
        let generated_key = child
            .columns
            .iter()
            .any(|c| c.generated != '\0' && child_keys.contains(&c.attnum));
        if generated_key {
            let invalid = |action: &str| {
                PgError::new(
                    SqlState::SyntaxError,
                    format!(
                        "invalid {action} action for foreign key constraint containing generated column"
                    ),
                )
            };
            if matches!(spec.on_update, 'n' | 'd' | 'c') {
                return Err(invalid("ON UPDATE"));
            }
            if matches!(spec.on_delete, 'n' | 'd') {
                return Err(invalid("ON DELETE"));
            }
        }
        // The parent's key: the columns named, or its primary key; either
        // way a unique constraint or index must cover exactly them.
        let (parent_keys, index) = if spec.parent_columns.is_empty() {
            let Some(pk) = parent
                .constraints
                .iter()
                .find(|c| c.kind == catalog::system::CONSTRAINT_PRIMARY)
            else {
                return Err(PgError::new(
                    SqlState::UndefinedObject,
                    format!("there is no primary key for referenced table \"{pname}\""),
                ));
            };
            (pk.keys.clone(), pk.index)
        } else {
            let keys = key_attnums(&parent, &spec.parent_columns)?;
            let index = parent.indexes.iter().find(|ix| {
                ix.row.unique
                    && ix.row.valid
                    && ix.row.exprs.is_none()
                    && ix.row.pred.is_none()
                    && ix.row.keys.len() == keys.len()
                    && keys.iter().all(|k| ix.row.keys.contains(k))
            });
            let Some(index) = index else {
                return Err(PgError::new(
                    SqlState::InvalidForeignKey,
                    format!(
                        "there is no unique constraint matching given keys for referenced table \"{pname}\""
                    ),
                ));
            };
            (keys, index.oid)
        };
        if child_keys.len() != parent_keys.len() {
            return Err(PgError::new(
                SqlState::InvalidForeignKey,
                "number of referencing and referenced columns for foreign key disagree",
            ));
        }
        let taken: Vec<String> = child.constraints.iter().map(|c| c.name.clone()).collect();
        let name = match &spec.name {
            Some(n) => {
                if taken.contains(n) {
                    return Err(PgError::new(
                        SqlState::DuplicateObject,
                        format!(
                            "constraint \"{n}\" for relation \"{}\" already exists",
                            child.name
                        ),
                    ));
                }
                n.clone()
            }
            None => {
                let cols = spec.columns.join("_");
                super::constraints::choose_constraint_name(&child.name, Some(&cols), "fkey", &taken)
            }
        };
        for (ck, pk) in child_keys.iter().zip(&parent_keys) {
            let (Some(ci), Some(pi)) =
                (column_position(&child, *ck), column_position(&parent, *pk))
            else {
                continue;
            };
            let (ct, pt) = (child.columns[ci].type_oid, parent.columns[pi].type_oid);
            if !comparable(ct, pt) {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    format!("foreign key constraint \"{name}\" cannot be implemented"),
                )
                .with_detail(format!(
                    "Key columns \"{}\" and \"{}\" are of incompatible types: {} and {}.",
                    child.columns[ci].name,
                    parent.columns[pi].name,
                    types::oid::type_name(ct),
                    types::oid::type_name(pt)
                )));
            }
        }
        let row = ConstraintRow {
            oid: session.storage.transam.new_oid()?,
            name,
            namespace: child.namespace_oid,
            kind: CONSTRAINT_FOREIGN,
            deferrable: spec.deferrable,
            deferred: spec.deferred,
            validated: !spec.not_valid,
            relid: child.oid,
            index,
            frelid: parent.oid,
            fupdtype: spec.on_update,
            fdeltype: spec.on_delete,
            fmatchtype: if spec.match_full { 'f' } else { 's' },
            keys: child_keys,
            fkeys: parent_keys,
            expr: None,
            no_inherit: false,
            inhcount: 0,
            is_local: true,
            type_oid: 0,
        };
        if validate && !spec.not_valid {
            validate_existing(session, &child, &parent, &row)?;
        }
        super::constraints::add_constraint_rows(session, std::slice::from_ref(&row))?;
    }
    Ok(())
}

/// Whether values of types `a` and `b` can be compared with `=`.
fn comparable(a: u32, b: u32) -> bool {
    use planner::analyze::coerce::category;
    // Values of two different enums never compare.
    a == b || (category(a) == category(b) && !matches!(category(a), 'U' | 'E'))
}

fn quoted(rel: &RelationInfo) -> String {
    format!(
        "{}.{}",
        types::guc::quote_identifier(&rel.namespace),
        types::guc::quote_identifier(&rel.name)
    )
}

fn column_names(rel: &RelationInfo, keys: &[i16]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            rel.columns
                .iter()
                .find(|c| c.attnum == *k)
                .map(|c| c.name.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// 23503 if a row of `child` has a key its parent lacks (ALTER TABLE ADD
/// FOREIGN KEY).
pub(crate) fn validate_existing(
    session: &mut Session,
    child: &RelationInfo,
    parent: &RelationInfo,
    fk: &ConstraintRow,
) -> PgResult<()> {
    let ccols = column_names(child, &fk.keys);
    let pcols = column_names(parent, &fk.fkeys);
    let q = types::guc::quote_identifier;
    let join: Vec<String> = ccols
        .iter()
        .zip(&pcols)
        .map(|(c, p)| format!("p.{} = c.{}", q(p), q(c)))
        .collect();
    let not_null: Vec<String> = ccols
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", q(c)))
        .collect();
    let select: Vec<String> = ccols.iter().map(|c| format!("c.{}", q(c))).collect();
    let sql = format!(
        "SELECT {} FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {}) LIMIT 1",
        select.join(", "),
        quoted(child),
        not_null.join(" AND "),
        quoted(parent),
        join.join(" AND ")
    );
    let stmts = crate::syntax::parse(&sql)?;
    let [stmt] = stmts.as_slice() else {
        return Err(PgError::internal("foreign key validation did not parse"));
    };
    let saved = std::mem::replace(&mut session.no_row_security, true);
    let found = crate::tcop::run_statement(session, stmt, &sql, None, &[]);
    session.no_row_security = saved;
    if let crate::utility::Outcome::Rows { rows, .. } = found?
        && let Some(row) = rows.first()
    {
        let e = missing_parent(session, child, parent, fk, row);
        return Err(hide_key(
            session,
            child.oid,
            e,
            "is not present in table",
            &parent.name,
        ));
    }
    Ok(())
}

fn key_text(session: &Session, values: &[Datum]) -> String {
    let opts = executor::ExecContext::output_options(session);
    values
        .iter()
        .map(|v| {
            if v.is_null() {
                "null".to_string()
            } else {
                v.to_text(&opts)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// PostgreSQL's `ri_ReportViolation`: under row-level security the
/// DETAIL names no key values.
fn hide_key(session: &mut Session, relid: u32, e: PgError, what: &str, table: &str) -> PgError {
    match crate::table_access::row_security_hides(session, relid) {
        true => e.with_detail(format!("Key {what} \"{table}\".")),
        false => e,
    }
}

fn missing_parent(
    session: &Session,
    child: &RelationInfo,
    parent: &RelationInfo,
    fk: &ConstraintRow,
    key: &[Datum],
) -> PgError {
    PgError::new(
        SqlState::ForeignKeyViolation,
        format!(
            "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
            child.name, fk.name
        ),
    )
    .with_detail(format!(
        "Key ({})=({}) is not present in table \"{}\".",
        column_names(child, &fk.keys).join(", "),
        key_text(session, key),
        parent.name
    ))
    .with_table_constraint(&child.namespace, &child.name, &fk.name)
}

/// What happened to a row, for a foreign key.
#[derive(Debug, Clone)]
pub enum FkEvent {
    /// A referencing row with key `key` was inserted or got a new key.
    Check {
        constraint: u32,
        child: u32,
        key: Vec<Datum>,
    },
    /// A referenced row with key `old` was deleted (`new` None) or got key `new`.
    ParentChanged {
        constraint: u32,
        child: u32,
        old: Vec<Datum>,
        new: Option<Vec<Datum>>,
    },
}

/// The values of `keys` (attnums) in a full-width `row` of `rel`.
fn key_of(rel: &RelationInfo, keys: &[i16], row: &[Datum]) -> Vec<Datum> {
    keys.iter()
        .map(|k| {
            column_position(rel, *k)
                .and_then(|i| row.get(i).cloned())
                .unwrap_or(Datum::Null)
        })
        .collect()
}

/// Whether a referencing key needs its parent: MATCH SIMPLE skips a key
/// with any NULL, MATCH FULL one that is all NULL (and refuses a mix).
fn needs_parent(
    session: &Session,
    child: &RelationInfo,
    fk: &ConstraintRow,
    key: &[Datum],
) -> PgResult<bool> {
    let nulls = key.iter().filter(|v| v.is_null()).count();
    if nulls == 0 {
        return Ok(true);
    }
    if fk.fmatchtype == 'f' && nulls != key.len() {
        let _ = session;
        return Err(PgError::new(
            SqlState::ForeignKeyViolation,
            format!(
                "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                child.name, fk.name
            ),
        )
        .with_detail("MATCH FULL does not allow mixing of null and nonnull key values."));
    }
    Ok(false)
}

fn queue(session: &mut Session, fk: &ConstraintRow, event: FkEvent, deferrable_check: bool) {
    let deferred = deferrable_check && fk.deferrable && session.tx.constraint_deferred(fk);
    if deferred {
        session.tx.fk_deferred.push(event);
    } else {
        session.tx.fk_pending.push(event);
    }
}

/// A row was inserted into `rel`.
pub fn row_inserted(session: &mut Session, rel: &RelationInfo, row: &[Datum]) -> PgResult<()> {
    for fk in rel
        .constraints
        .iter()
        .filter(|c| c.kind == CONSTRAINT_FOREIGN)
    {
        let key = key_of(rel, &fk.keys, row);
        if needs_parent(session, rel, fk, &key)? {
            let event = FkEvent::Check {
                constraint: fk.oid,
                child: rel.oid,
                key,
            };
            queue(session, fk, event, true);
        }
    }
    Ok(())
}

/// A row of `rel` was updated from `old` to `new`.
pub fn row_updated(
    session: &mut Session,
    rel: &RelationInfo,
    old: &[Datum],
    new: &[Datum],
) -> PgResult<()> {
    for fk in rel
        .constraints
        .iter()
        .filter(|c| c.kind == CONSTRAINT_FOREIGN)
    {
        let key = key_of(rel, &fk.keys, new);
        if key == key_of(rel, &fk.keys, old) {
            continue;
        }
        if needs_parent(session, rel, fk, &key)? {
            let event = FkEvent::Check {
                constraint: fk.oid,
                child: rel.oid,
                key,
            };
            queue(session, fk, event, true);
        }
    }
    for fk in &rel.referenced_by {
        let old_key = key_of(rel, &fk.fkeys, old);
        let new_key = key_of(rel, &fk.fkeys, new);
        if old_key == new_key || old_key.iter().any(Datum::is_null) {
            continue;
        }
        let event = FkEvent::ParentChanged {
            constraint: fk.oid,
            child: fk.relid,
            old: old_key,
            new: Some(new_key),
        };
        queue(session, fk, event, fk.fupdtype == 'a');
    }
    Ok(())
}

/// A row of `rel` holding `old` was deleted.
pub fn row_deleted(session: &mut Session, rel: &RelationInfo, old: &[Datum]) -> PgResult<()> {
    for fk in &rel.referenced_by {
        let old_key = key_of(rel, &fk.fkeys, old);
        if old_key.iter().any(Datum::is_null) {
            continue;
        }
        let event = FkEvent::ParentChanged {
            constraint: fk.oid,
            child: fk.relid,
            old: old_key,
            new: None,
        };
        queue(session, fk, event, fk.fdeltype == 'a');
    }
    Ok(())
}

/// Runs the events of the statement that just ended, and those they cause.
pub fn fire_pending(session: &mut Session) -> PgResult<()> {
    if session.tx.fk_pending.is_empty() {
        return Ok(());
    }
    let result = fire_queue(session, false);
    if result.is_err() {
        session.tx.fk_pending.clear();
    }
    result
}

/// Runs the deferred events (at COMMIT, or SET CONSTRAINTS ... IMMEDIATE).
pub fn fire_deferred(session: &mut Session) -> PgResult<()> {
    if session.tx.fk_deferred.is_empty() {
        return Ok(());
    }
    let deferred = std::mem::take(&mut session.tx.fk_deferred);
    session.tx.fk_pending.extend(deferred);
    let result = fire_queue(session, true);
    if result.is_err() {
        session.tx.fk_pending.clear();
    }
    result
}

fn fire_queue(session: &mut Session, at_commit: bool) -> PgResult<()> {
    let _ = at_commit;
    while !session.tx.fk_pending.is_empty() {
        let events = std::mem::take(&mut session.tx.fk_pending);
        for event in events {
            // Each sees what the statement and the events before it did.
            crate::xact::command_counter_increment(session)?;
            fire(session, &event)?;
        }
    }
    crate::xact::command_counter_increment(session)
}

/// A foreign key with its referencing and referenced tables.
type Constraint = (Arc<RelationInfo>, Arc<RelationInfo>, ConstraintRow);

/// The constraint `oid` of table `child`, with both tables.
fn lookup(session: &mut Session, child: u32, oid: u32) -> PgResult<Option<Constraint>> {
    relcache::accept_invalidations(session);
    let Some(c) = relcache::relation_by_oid(session, child)? else {
        return Ok(None);
    };
    let Some(fk) = c.constraints.iter().find(|x| x.oid == oid).cloned() else {
        return Ok(None);
    };
    let p = if fk.frelid == c.oid {
        c.clone()
    } else {
        match relcache::relation_by_oid(session, fk.frelid)? {
            Some(p) => p,
            None => return Ok(None),
        }
    };
    Ok(Some((c, p, fk)))
}

fn fire(session: &mut Session, event: &FkEvent) -> PgResult<()> {
    match event {
        FkEvent::Check {
            constraint,
            child,
            key,
        } => {
            // A constraint dropped since (or its table) checks nothing.
            let Some((c, p, fk)) = lookup(session, *child, *constraint)? else {
                return Ok(());
            };
            let sql = parent_lookup_sql(&p, &fk);
            let types = key_types(&c, &fk.keys);
            if run(session, fk.oid, 0, &sql, &types, key)? == 0 {
                let e = missing_parent(session, &c, &p, &fk, key);
                return Err(hide_key(
                    session,
                    c.oid,
                    e,
                    "is not present in table",
                    &p.name,
                ));
            }
            Ok(())
        }
        FkEvent::ParentChanged {
            constraint,
            child,
            old,
            new,
        } => {
            let Some((c, p, fk)) = lookup(session, *child, *constraint)? else {
                return Ok(());
            };
            let action = if new.is_some() {
                fk.fupdtype
            } else {
                fk.fdeltype
            };
            let ptypes = key_types(&p, &fk.fkeys);
            let ccols = column_names(&c, &fk.keys);
            let q = types::guc::quote_identifier;
            let matches: Vec<String> = ccols
                .iter()
                .enumerate()
                .map(|(i, col)| format!("{} = ${}", q(col), i + 1))
                .collect();
            // As PostgreSQL, the statements read and change ONLY the
            // referencing table itself (an inheritance child has foreign
            // keys of its own), unless it is partitioned.
            let target = if c.kind == 'p' {
                quoted(&c)
            } else {
                format!("ONLY {}", quoted(&c))
            };
            let still_referenced = |session: &mut Session| -> PgResult<()> {
                // The rows of a partitioned table are not locked here (row
                // locks do not reach through its partitions yet); finding
                // one is enough to refuse.
                let lock = if c.kind == 'p' {
                    ""
                } else {
                    " FOR KEY SHARE OF x"
                };
                let sql = format!(
                    "SELECT 1 FROM {target} x WHERE {} LIMIT 1{lock}",
                    matches.join(" AND ")
                );
                if run(session, fk.oid, 2, &sql, &ptypes, old)? > 0 {
                    let hidden = crate::table_access::row_security_hides(session, p.oid);
                    let e = PgError::new(
                        SqlState::ForeignKeyViolation,
                        format!(
                            "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
                            p.name, fk.name, c.name
                        ),
                    )
                    .with_detail(format!(
                        "Key ({})=({}) is still referenced from table \"{}\".",
                        column_names(&p, &fk.fkeys).join(", "),
                        key_text(session, old),
                        c.name
                    ));
                    return Err(match hidden {
                        true => e.with_detail(format!(
                            "Key is still referenced from table \"{}\".",
                            c.name
                        )),
                        false => e,
                    });
                }
                Ok(())
            };
            match action {
                'a' | 'r' => {
                    // NO ACTION: fine if a parent row has the key again.
                    if action == 'a' {
                        let sql = parent_lookup_sql(&p, &fk);
                        if run(session, fk.oid, 1, &sql, &ptypes, old)? > 0 {
                            return Ok(());
                        }
                    }
                    still_referenced(session)
                }
                'c' => match new {
                    None => {
                        let sql = format!("DELETE FROM {target} WHERE {}", matches.join(" AND "));
                        run(session, fk.oid, 3, &sql, &ptypes, old).map(|_| ())
                    }
                    Some(new) => {
                        let n = ccols.len();
                        let sets: Vec<String> = ccols
                            .iter()
                            .enumerate()
                            .map(|(i, col)| format!("{} = ${}", q(col), n + i + 1))
                            .collect();
                        let sql = format!(
                            "UPDATE {target} SET {} WHERE {}",
                            sets.join(", "),
                            matches.join(" AND ")
                        );
                        let mut types = ptypes.clone();
                        types.extend(ptypes.iter().copied());
                        let mut params = old.clone();
                        params.extend(new.iter().cloned());
                        run(session, fk.oid, 4, &sql, &types, &params).map(|_| ())
                    }
                },
                'n' | 'd' => {
                    let value = if action == 'n' { "NULL" } else { "DEFAULT" };
                    let sets: Vec<String> = ccols
                        .iter()
                        .map(|col| format!("{} = {value}", q(col)))
                        .collect();
                    let sql = format!(
                        "UPDATE {target} SET {} WHERE {}",
                        sets.join(", "),
                        matches.join(" AND ")
                    );
                    run(session, fk.oid, 5, &sql, &ptypes, old)?;
                    // A default equal to the key that went leaves the rows
                    // pointing at nothing.
                    if action == 'd' {
                        crate::xact::command_counter_increment(session)?;
                        still_referenced(session)?;
                    }
                    Ok(())
                }
                other => Err(PgError::internal(format!(
                    "unknown foreign key action '{other}'"
                ))),
            }
        }
    }
}

fn key_types(rel: &RelationInfo, keys: &[i16]) -> Vec<u32> {
    keys.iter()
        .map(|k| {
            rel.columns
                .iter()
                .find(|c| c.attnum == *k)
                .map_or(types::oid::UNKNOWN, |c| c.type_oid)
        })
        .collect()
}

/// `SELECT 1 FROM ONLY parent x WHERE pk1 = $1 AND ... FOR KEY SHARE OF x`
/// (a referenced table is never partitioned here).
fn parent_lookup_sql(parent: &RelationInfo, fk: &ConstraintRow) -> String {
    let q = types::guc::quote_identifier;
    let conds: Vec<String> = column_names(parent, &fk.fkeys)
        .iter()
        .enumerate()
        .map(|(i, col)| format!("{} = ${}", q(col), i + 1))
        .collect();
    format!(
        "SELECT 1 FROM ONLY {} x WHERE {} FOR KEY SHARE OF x",
        quoted(parent),
        conds.join(" AND ")
    )
}

/// Runs one of a constraint's queries (`which` tells them apart in the
/// plan cache) and returns how many rows it returned or changed.
fn run(
    session: &mut Session,
    constraint: u32,
    which: u8,
    sql: &str,
    param_types: &[u32],
    params: &[Datum],
) -> PgResult<u64> {
    let version = crate::tcop::catalog_version(session);
    let key = (constraint, which);
    let plan = match session.ri_plans.get(&key) {
        Some((v, plan)) if *v == version => plan.clone(),
        _ => {
            let stmts = crate::syntax::parse(sql)?;
            let [stmt] = stmts.as_slice() else {
                return Err(PgError::internal(
                    "foreign key query did not parse as one statement",
                ));
            };
            let saved = std::mem::replace(&mut session.no_row_security, true);
            let plan = crate::tcop::plan_query(session, stmt, sql, Some(param_types));
            session.no_row_security = saved;
            let plan = Arc::new(plan?);
            session.ri_plans.insert(key, (version, plan.clone()));
            plan
        }
    };
    crate::tcop::lock_relations(session, &plan)?;
    let result = executor::execute_statement(&plan, params, session);
    session.scans.clear();
    let result = result?;
    Ok(if plan.command == planner::CommandKind::Select {
        result.rows.len() as u64
    } else {
        result.processed
    })
}

/// Tables whose foreign keys reference `table`, other than `except`: DROP
/// TABLE of `table` must not leave them dangling (2BP01 without CASCADE;
/// with CASCADE the constraints go).
pub(crate) fn drop_referencing(
    session: &mut Session,
    table: &RelationInfo,
    except: &[u32],
    cascade: bool,
) -> PgResult<()> {
    let others: Vec<&ConstraintRow> = table
        .referenced_by
        .iter()
        .filter(|fk| !except.contains(&fk.relid))
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let mut lines = Vec::new();
    for fk in &others {
        let child = relcache::relation_by_oid(session, fk.relid)?
            .map(|c| c.name.clone())
            .unwrap_or_default();
        lines.push(format!(
            "constraint {} on table {child} depends on table {}",
            fk.name, table.name
        ));
    }
    if !cascade {
        return Err(PgError::new(
            SqlState::DependentObjectsStillExist,
            format!(
                "cannot drop table {} because other objects depend on it",
                table.name
            ),
        )
        .with_detail(lines.join("\n"))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    let oids: Vec<u32> = others.iter().map(|fk| fk.oid).collect();
    let children: Vec<u32> = others.iter().map(|fk| fk.relid).collect();
    let mut tids = Vec::new();
    for child in children {
        for (tid, c) in relcache::with_reader(session, |r| r.constraints(child))? {
            if oids.contains(&c.oid) {
                tids.push(tid);
            }
        }
    }
    if lines.len() == 1 {
        session.notice(
            "00000",
            format!(
                "drop cascades to {}",
                lines[0]
                    .replace(" depends on table", " of table")
                    .split(" of table")
                    .next()
                    .unwrap_or_default()
            ),
        );
    } else {
        session.notice(
            "00000",
            format!("drop cascades to {} other objects", lines.len()),
        );
    }
    let db = session.database_oid;
    let rows: Vec<(u32, storage::page::ItemPointer)> = tids
        .into_iter()
        .map(|t| (catalog::system::PG_CONSTRAINT, t))
        .collect();
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    catalog_changed(session);
    Ok(())
}

/// SET CONSTRAINTS {ALL | name [, ...]} {DEFERRED | IMMEDIATE}, from its
/// text (sqlparser has no such statement).
pub(crate) fn set_constraints(
    session: &mut Session,
    text: &str,
) -> PgResult<crate::utility::Outcome> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    // SET CONSTRAINTS <names...> <mode>
    let (Some(mode), true) = (words.last(), words.len() >= 4) else {
        return Err(PgError::syntax("syntax error at end of input", None));
    };
    let deferred = match mode.to_lowercase().as_str() {
        "deferred" => true,
        "immediate" => false,
        _ => {
            return Err(PgError::syntax(
                format!("syntax error at or near \"{mode}\""),
                None,
            ));
        }
    };
    let names: Vec<String> = words[2..words.len() - 1]
        .iter()
        .map(|w| {
            if let Some(q) = w.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
                q.to_owned()
            } else {
                w.to_lowercase()
            }
        })
        .collect();
    if names.len() == 1 && names[0] == "all" {
        session.tx.constraints_all_deferred = Some(deferred);
        session.tx.constraint_modes.clear();
    } else {
        for n in names {
            let found = crate::relcache::with_reader(session, |r| r.constraint_by_name(&n))?;
            let Some(c) = found else {
                return Err(PgError::new(
                    SqlState::UndefinedObject,
                    format!("constraint \"{n}\" does not exist"),
                ));
            };
            if !c.deferrable {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("constraint \"{n}\" is not deferrable"),
                ));
            }
            session.tx.constraint_modes.insert(c.oid, deferred);
        }
    }
    if !deferred {
        // Events of constraints now immediate run at once.
        let (now, later): (Vec<FkEvent>, Vec<FkEvent>) =
            std::mem::take(&mut session.tx.fk_deferred)
                .into_iter()
                .partition(|e| {
                    let oid = match e {
                        FkEvent::Check { constraint, .. }
                        | FkEvent::ParentChanged { constraint, .. } => *constraint,
                    };
                    !session.tx.deferred_by_mode(oid).unwrap_or(true)
                });
        session.tx.fk_deferred = later;
        session.tx.fk_pending.extend(now);
        fire_pending(session)?;
    }
    Ok(crate::utility::Outcome::Command("SET CONSTRAINTS".into()))
}
