//! Table constraints recorded in `pg_constraint` (PostgreSQL's
//! `pg_constraint.c` and the constraint parts of `tablecmds.c`): CHECK
//! constraints, the rows of primary key and unique constraints (whose
//! enforcement is their index's), ALTER TABLE ... ADD / DROP CONSTRAINT.
//!
//! A CHECK constraint's expression is kept as SQL text in `conbin`,
//! analyzed once per session against the table (cached with the relation
//! cache) and evaluated by the executor on every new row version, after the
//! NOT NULL checks and in constraint-name order, as PostgreSQL does: a row
//! passes unless the expression is false.

use std::sync::Arc;

use catalog::heap_catalog::{CatalogWriter, RelationInfo};
use catalog::system::{CONSTRAINT_CHECK, ConstraintRow, PG_CONSTRAINT};
use planner::Expr;
use sqlparser::ast::CheckConstraint;
use storage::page::ItemPointer;
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;

/// A CHECK constraint to add.
#[derive(Debug, Clone)]
pub(crate) struct CheckSpec {
    pub name: Option<String>,
    /// The expression as SQL text.
    pub expr: String,
    /// The column it was written on (a column constraint), for its name.
    pub column: Option<String>,
    pub not_valid: bool,
    /// `NO INHERIT`: children do not get it.
    pub no_inherit: bool,
    /// Inherited from this many parents (a child's copy).
    pub inhcount: i32,
}

impl CheckSpec {
    pub(crate) fn from_ast(c: &CheckConstraint, column: Option<&str>) -> CheckSpec {
        CheckSpec {
            name: c.name.as_ref().map(ident),
            expr: c.expr.to_string(),
            column: column.map(str::to_owned),
            not_valid: false,
            no_inherit: c.no_inherit,
            inhcount: 0,
        }
    }
}

/// `<table>_<column><suffix>`, or `<table><suffix>` without a column, made
/// unique among `taken` by a number as PostgreSQL's `ChooseConstraintName`
/// does (`t_a_check`, `t_a_check1`, ...), the parts shortened to fit 63 bytes.
pub(crate) fn choose_constraint_name(
    table: &str,
    column: Option<&str>,
    suffix: &str,
    taken: &[String],
) -> String {
    let mut n = 0;
    loop {
        let label = if n == 0 {
            suffix.to_string()
        } else {
            format!("{suffix}{n}")
        };
        let name = make_object_name(table, column, &label);
        if !taken.contains(&name) {
            return name;
        }
        n += 1;
    }
}

/// PostgreSQL's `makeObjectName`: the names joined by `_` with the label,
/// the longer name cut first so that the whole fits in 63 bytes.
pub(crate) fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let cut = |s: &str, mut n: usize| {
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s[..n].to_string()
    };
    let overhead = label.len() + 1 + usize::from(name2.is_some());
    let room = 63usize.saturating_sub(overhead);
    let (mut a, mut b) = (name1.len(), name2.map_or(0, str::len));
    while a + b > room {
        if a > b {
            a -= 1;
        } else {
            b -= 1;
        }
    }
    match name2 {
        Some(n2) => format!("{}_{}_{label}", cut(name1, a), cut(n2, b)),
        None => format!("{}_{label}", cut(name1, a)),
    }
}

/// Adds CHECK constraints to table `table_oid`. A nameless one is
/// `<table>_<column>_check` when it reads one column, else
/// `<table>_check`. In CREATE TABLE (`in_create`) there are no rows to
/// check; in ALTER TABLE the existing rows must pass (unless NOT VALID).
pub(crate) fn add_checks(
    session: &mut Session,
    table_oid: u32,
    specs: &[CheckSpec],
    in_create: bool,
) -> PgResult<()> {
    if specs.is_empty() {
        return Ok(());
    }
    crate::xact::command_counter_increment(session)?;
    relcache::accept_invalidations(session);
    let Some(info) = relcache::relation_by_oid(session, table_oid)? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {table_oid}"
        )));
    };
    let desc = Arc::new(crate::table_access::relation_desc(&info));
    let mut taken: Vec<String> = info.constraints.iter().map(|c| c.name.clone()).collect();
    let mut rows = Vec::new();
    let mut inherited: Vec<CheckSpec> = Vec::new();
    for spec in specs {
        let expr = planner::analyze_check_expression(desc.clone(), &spec.expr)?;
        let mut keys: Vec<i16> = Vec::new();
        expr.walk(&mut |e| {
            if let Expr::Var { index, .. } = e
                && let Some(c) = info.columns.get(*index)
                && !keys.contains(&c.attnum)
            {
                keys.push(c.attnum);
            }
        });
        let name = match &spec.name {
            Some(n) => {
                if taken.contains(n) {
                    return Err(PgError::new(
                        SqlState::DuplicateObject,
                        if in_create {
                            format!("check constraint \"{n}\" already exists")
                        } else {
                            format!(
                                "constraint \"{n}\" for relation \"{}\" already exists",
                                info.name
                            )
                        },
                    ));
                }
                n.clone()
            }
            None => {
                // Named after its column when it reads exactly one.
                let column = match (&spec.column, keys.as_slice()) {
                    (Some(c), _) => Some(c.clone()),
                    (None, [k]) => info
                        .columns
                        .iter()
                        .find(|c| c.attnum == *k)
                        .map(|c| c.name.clone()),
                    (None, _) => None,
                };
                choose_constraint_name(&info.name, column.as_deref(), "check", &taken)
            }
        };
        taken.push(name.clone());
        if !in_create && !spec.not_valid {
            validate_check(session, &info, &name, &spec.expr)?;
        }
        if !in_create && !spec.no_inherit && !info.children.is_empty() {
            // The children get it too (checked against their rows).
            let child_spec = CheckSpec {
                name: Some(name.clone()),
                column: None,
                inhcount: 1,
                ..spec.clone()
            };
            inherited.push(child_spec);
        }
        rows.push(ConstraintRow {
            oid: session.storage.transam.new_oid()?,
            name,
            namespace: info.namespace_oid,
            kind: CONSTRAINT_CHECK,
            deferrable: false,
            deferred: false,
            validated: !spec.not_valid,
            relid: info.oid,
            index: 0,
            frelid: 0,
            fupdtype: '\0',
            fdeltype: '\0',
            fmatchtype: '\0',
            keys,
            fkeys: Vec::new(),
            expr: Some(spec.expr.clone()),
            no_inherit: spec.no_inherit,
            inhcount: spec.inhcount,
            is_local: spec.inhcount == 0,
            type_oid: 0,
        });
    }
    add_constraint_rows(session, &rows)?;
    for spec in inherited {
        for &c in &info.children {
            crate::xact::command_counter_increment(session)?;
            relcache::accept_invalidations(session);
            let Some(child) = relcache::relation_by_oid(session, c)? else {
                continue;
            };
            let name = spec.name.clone().unwrap_or_default();
            let existing = with_reader(session, |r| r.constraints(c))?
                .into_iter()
                .find(|(_, r)| r.name == name);
            match existing {
                Some((tid, row))
                    if row.kind == CONSTRAINT_CHECK
                        && row.expr.as_deref() == Some(spec.expr.as_str()) =>
                {
                    session.notice(
                        "00000",
                        format!("merging constraint \"{name}\" with inherited definition"),
                    );
                    let mut merged = row.clone();
                    merged.inhcount += 1;
                    replace_constraint_row(session, tid, &merged)?;
                }
                Some(_) => {
                    return Err(PgError::new(
                        SqlState::DuplicateObject,
                        format!(
                            "constraint \"{name}\" for relation \"{}\" already exists",
                            child.name
                        ),
                    ));
                }
                None => add_checks(session, c, std::slice::from_ref(&spec), false)?,
            }
        }
    }
    Ok(())
}

/// Writes `pg_constraint` rows.
pub(crate) fn add_constraint_rows(session: &mut Session, rows: &[ConstraintRow]) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        for row in rows {
            writer.add_constraint(w, row)?;
        }
        Ok(())
    })?;
    catalog_changed(session);
    let mut touched: Vec<(u32, bool)> = Vec::new();
    for row in rows {
        let fk = row.kind == catalog::system::CONSTRAINT_FOREIGN;
        touched.push((row.relid, fk));
        if fk {
            touched.push((row.frelid, true));
        }
    }
    for (relid, fk) in touched {
        update_class_flags(session, relid, fk)?;
    }
    Ok(())
}

/// Brings `relchecks` of relation `relid` up to date with its CHECK
/// constraints, and sets `relhastriggers` when `foreign_key` (a foreign key
/// on either side: PostgreSQL's RI triggers).
pub(crate) fn update_class_flags(
    session: &mut Session,
    relid: u32,
    foreign_key: bool,
) -> PgResult<()> {
    // See the rows just written, and let later steps see this update.
    crate::xact::command_counter_increment(session)?;
    let checks = with_reader(session, |r| r.constraints(relid))?
        .iter()
        .filter(|(_, c)| c.kind == CONSTRAINT_CHECK)
        .count() as i16;
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(relid))? else {
        return Ok(());
    };
    if class.checks == checks && (class.has_triggers || !foreign_key) {
        return Ok(());
    }
    class.checks = checks;
    class.has_triggers |= foreign_key;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    catalog_changed(session);
    crate::xact::command_counter_increment(session)
}

/// 23514 if a row of `table` fails the new CHECK constraint `name`.
fn validate_check(
    session: &mut Session,
    table: &RelationInfo,
    name: &str,
    expr: &str,
) -> PgResult<()> {
    let sql = format!(
        "SELECT 1 FROM ONLY {}.{} WHERE NOT ({expr}) LIMIT 1",
        types::guc::quote_identifier(&table.namespace),
        types::guc::quote_identifier(&table.name)
    );
    if query_finds_rows(session, &sql)? {
        return Err(PgError::new(
            SqlState::CheckViolation,
            format!(
                "check constraint \"{name}\" of relation \"{}\" is violated by some row",
                table.name
            ),
        ));
    }
    Ok(())
}

/// Whether the query `sql` returns a row.
pub(crate) fn query_finds_rows(session: &mut Session, sql: &str) -> PgResult<bool> {
    let stmts = crate::syntax::parse(sql)?;
    let [stmt] = stmts.as_slice() else {
        return Err(PgError::internal(
            "constraint check query did not parse as one statement",
        ));
    };
    match crate::tcop::run_statement(session, stmt, sql, None, &[])? {
        crate::utility::Outcome::Rows { rows, .. } => Ok(!rows.is_empty()),
        _ => Err(PgError::internal("constraint check query returned no rows")),
    }
}

/// ALTER TABLE ... DROP CONSTRAINT [IF EXISTS] name.
pub(crate) fn drop_constraint(
    session: &mut Session,
    table: &RelationInfo,
    name: &str,
    if_exists: bool,
) -> PgResult<()> {
    drop_constraint_in(session, table, name, if_exists, false)
}

/// [`drop_constraint`]; `recursing`: the parent's copy went, so an
/// inherited CHECK of this child goes too unless it is also its own or
/// another parent's.
fn drop_constraint_in(
    session: &mut Session,
    table: &RelationInfo,
    name: &str,
    if_exists: bool,
    recursing: bool,
) -> PgResult<()> {
    let rows = with_reader(session, |r| r.constraints(table.oid))?;
    if let Some((tid, row)) = rows.iter().find(|(_, c)| c.name == name) {
        if row.kind == CONSTRAINT_CHECK {
            if !recursing && row.inhcount > 0 {
                return Err(PgError::new(
                    SqlState::InvalidTableDefinition,
                    format!(
                        "cannot drop inherited constraint \"{name}\" of relation \"{}\"",
                        table.name
                    ),
                ));
            }
            if recursing && (row.inhcount > 1 || row.is_local) {
                let mut changed = row.clone();
                changed.inhcount -= 1;
                return replace_constraint_row(session, *tid, &changed);
            }
            let children = table.children.clone();
            if !row.no_inherit {
                for c in children {
                    if let Some(child) = relcache::relation_by_oid(session, c)? {
                        drop_constraint_in(session, &child, name, true, true)?;
                    }
                }
            }
        }
    } else if recursing {
        return Ok(());
    }
    let rows = with_reader(session, |r| r.constraints(table.oid))?;
    let Some((tid, row)) = rows.into_iter().find(|(_, c)| c.name == name) else {
        if if_exists {
            session.notice(
                "00000",
                format!(
                    "constraint \"{name}\" of relation \"{}\" does not exist, skipping",
                    table.name
                ),
            );
            return Ok(());
        }
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!(
                "constraint \"{name}\" of relation \"{}\" does not exist",
                table.name
            ),
        ));
    };
    if row.kind != catalog::system::CONSTRAINT_FOREIGN
        && row.index != 0
        && let Some(fk) = table.referenced_by.iter().find(|fk| fk.index == row.index)
    {
        let child = relcache::relation_by_oid(session, fk.relid)?
            .map(|c| c.name.clone())
            .unwrap_or_default();
        return Err(PgError::new(
            SqlState::DependentObjectsStillExist,
            format!(
                "cannot drop constraint {name} on table {} because other objects depend on it",
                table.name
            ),
        )
        .with_detail(format!(
            "constraint {} on table {child} depends on index {name}",
            fk.name
        ))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    delete_constraint_rows(session, table.oid, &[tid])?;
    // A primary key or unique constraint goes with its index.
    if row.index != 0
        && let Some(ix) = table.indexes.iter().find(|ix| ix.oid == row.index)
        && row.kind != catalog::system::CONSTRAINT_FOREIGN
    {
        let db = session.database_oid;
        super::indexcmds::drop_index_rows(session, ix.oid, ix.locator(db))?;
    }
    Ok(())
}

/// Rewrites the `pg_constraint` row at `tid`.
fn replace_constraint_row(
    session: &mut Session,
    tid: ItemPointer,
    row: &ConstraintRow,
) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_constraint(tid, row, w)
    })?;
    catalog_changed(session);
    Ok(())
}

/// Deletes `pg_constraint` rows of relation `relid`.
pub(crate) fn delete_constraint_rows(
    session: &mut Session,
    relid: u32,
    tids: &[ItemPointer],
) -> PgResult<()> {
    let rows: Vec<(u32, ItemPointer)> = tids.iter().map(|t| (PG_CONSTRAINT, *t)).collect();
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    catalog_changed(session);
    update_class_flags(session, relid, false)
}

/// The analyzed CHECK constraints of `info`, in name order (cached per
/// session like index expressions).
pub fn check_exprs(
    session: &mut Session,
    info: &RelationInfo,
) -> PgResult<Arc<Vec<(String, Expr)>>> {
    if !info.constraints.iter().any(|c| c.kind == CONSTRAINT_CHECK) {
        return Ok(Arc::default());
    }
    if let Some(found) = session.relcache.checks.get(&info.oid) {
        return Ok(found.clone());
    }
    let desc = Arc::new(crate::table_access::relation_desc(info));
    let mut out = Vec::new();
    for c in &info.constraints {
        if c.kind != CONSTRAINT_CHECK {
            continue;
        }
        let text = c.expr.as_deref().unwrap_or("true");
        out.push((
            c.name.clone(),
            planner::analyze_check_expression(desc.clone(), text)?,
        ));
    }
    let out = Arc::new(out);
    session.relcache.checks.insert(info.oid, out.clone());
    Ok(out)
}

/// ALTER TABLE ... VALIDATE CONSTRAINT name: checks the rows of `table`
/// (and, for a CHECK, of its inheritance children) against a NOT VALID
/// CHECK or foreign key constraint and marks it validated. A constraint
/// already valid is left alone.
pub(crate) fn validate_constraint(
    session: &mut Session,
    table: &RelationInfo,
    name: &str,
) -> PgResult<()> {
    let rows = with_reader(session, |r| r.constraints(table.oid))?;
    let Some((tid, row)) = rows.into_iter().find(|(_, c)| c.name == name) else {
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!(
                "constraint \"{name}\" of relation \"{}\" does not exist",
                table.name
            ),
        ));
    };
    if row.kind != CONSTRAINT_CHECK && row.kind != catalog::system::CONSTRAINT_FOREIGN {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!(
                "constraint \"{name}\" of relation \"{}\" is not a foreign key or check constraint",
                table.name
            ),
        ));
    }
    if row.validated {
        return Ok(());
    }
    if row.kind == CONSTRAINT_CHECK {
        let expr = row.expr.clone().unwrap_or_else(|| "true".into());
        validate_check(session, table, name, &expr)?;
        for &child in &table.children {
            if let Some(child) = relcache::relation_by_oid(session, child)?
                && child.constraints.iter().any(|c| c.name == name)
            {
                validate_constraint(session, &child, name)?;
            }
        }
    } else {
        let Some(parent) = relcache::relation_by_oid(session, row.frelid)? else {
            return Err(PgError::internal(format!(
                "cache lookup failed for relation {}",
                row.frelid
            )));
        };
        super::foreign_keys::validate_existing(session, table, &parent, &row)?;
    }
    let mut row = row;
    row.validated = true;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_constraint(tid, &row, w)
    })?;
    catalog_changed(session);
    crate::xact::command_counter_increment(session)
}

/// ALTER TABLE [ONLY] ... RENAME CONSTRAINT old TO new: the constraint of
/// `table` and, for an inherited CHECK, its copies in the children (which
/// ONLY may not leave behind); the index of a primary key or unique
/// constraint takes the new name too.
pub(crate) fn rename_constraint(
    session: &mut Session,
    table: &RelationInfo,
    old: &str,
    new: &str,
    only: bool,
) -> PgResult<()> {
    rename_constraint_in(session, table, old, new, only, false)
}

fn rename_constraint_in(
    session: &mut Session,
    table: &RelationInfo,
    old: &str,
    new: &str,
    only: bool,
    recursing: bool,
) -> PgResult<()> {
    let rows = with_reader(session, |r| r.constraints(table.oid))?;
    let Some((tid, row)) = rows.iter().find(|(_, c)| c.name == old).cloned() else {
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!(
                "constraint \"{old}\" for table \"{}\" does not exist",
                table.name
            ),
        ));
    };
    if row.kind == CONSTRAINT_CHECK && row.inhcount > 0 && !recursing {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            format!("cannot rename inherited constraint \"{old}\""),
        ));
    }
    if rows.iter().any(|(_, c)| c.name == new) {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!(
                "constraint \"{new}\" for relation \"{}\" already exists",
                table.name
            ),
        ));
    }
    if row.kind == CONSTRAINT_CHECK && !row.no_inherit && !table.children.is_empty() {
        if only {
            return Err(PgError::new(
                SqlState::InvalidTableDefinition,
                format!("inherited constraint \"{old}\" must be renamed in child tables too"),
            ));
        }
        for &child in &table.children {
            if let Some(child) = relcache::relation_by_oid(session, child)? {
                rename_constraint_in(session, &child, old, new, false, true)?;
            }
        }
    }
    if row.index != 0 {
        super::alter_table::rename_class(session, row.index, &table.namespace, new)?;
    }
    let mut row = row;
    row.name = new.to_owned();
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_constraint(tid, &row, w)
    })?;
    catalog_changed(session);
    crate::xact::command_counter_increment(session)
}
