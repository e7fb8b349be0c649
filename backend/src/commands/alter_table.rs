//! ALTER TABLE (PostgreSQL's `AlterTable` in `tablecmds.c`): ADD / DROP
//! COLUMN, RENAME COLUMN, RENAME TO, ALTER COLUMN SET / DROP DEFAULT and SET /
//! DROP NOT NULL, ADD / DROP CONSTRAINT; and ALTER INDEX ... RENAME TO.
//!
//! The subcommands run in order under the table's ACCESS EXCLUSIVE lock, each
//! seeing the catalog changes of those before it, all in the statement's
//! transaction. No subcommand rewrites the table in place:
//!
//! - ADD COLUMN adds a `pg_attribute` row; rows stored before it have fewer
//!   attributes and read the new column as NULL. A column with a default (a
//!   serial or identity column too) is then filled by `UPDATE t SET c =
//!   DEFAULT`, new row versions under MVCC like any UPDATE's.
//! - DROP COLUMN marks the attribute dropped (`attisdropped`, renamed
//!   `........pg.dropped.N........`); stored values stay and are never read
//!   again. Indexes and constraints on the column and its sequence go with it.
//! - Expressions are kept as SQL text (defaults, CHECK constraints, index
//!   expressions and predicates), so RENAME COLUMN rewrites the column's name
//!   in each of them.

use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, Expr as AstExpr, Ident, ObjectName,
    RenameTableNameKind, TableConstraint,
};

use catalog::heap_catalog::{CatalogWriter, RelationInfo};
use catalog::system::{CONSTRAINT_PRIMARY, PG_ATTRDEF, PG_CLASS};
use storage::heap::tuple::MAX_HEAP_ATTRIBUTE_NUMBER;
use storage::lmgr::LockMode;
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// ALTER TABLE [IF EXISTS] name subcommand [, ...].
pub(crate) fn alter_table(
    session: &mut Session,
    at: &sqlparser::ast::AlterTable,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER TABLE")?;
    let (schema, relname) = split_name(&at.name)?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        super::missing_relation(session, "relation", &relname, at.if_exists)?;
        return Ok(Outcome::Command("ALTER TABLE".into()));
    };
    // ALTER TABLE renames a sequence too, as PostgreSQL allows.
    let rename_only = at
        .operations
        .iter()
        .all(|op| matches!(op, AlterTableOperation::RenameTable { .. }));
    // OWNER TO applies to any relation with an owner of its own.
    let owner_only = at
        .operations
        .iter()
        .all(|op| matches!(op, AlterTableOperation::OwnerTo { .. }));
    // SET / RESET of storage parameters apply to views, materialized views
    // and indexes too (ALTER INDEX ... SET comes here).
    let options_only = at.operations.iter().all(|op| {
        matches!(
            op,
            AlterTableOperation::SetOptionsParens { .. } | AlterTableOperation::ResetOptions { .. }
        )
    });
    if !(matches!(rel.kind, 'r' | 'p' | 'f')
        || (rename_only && rel.kind == 'S')
        || (owner_only && matches!(rel.kind, 'S' | 'v' | 'm' | 'f'))
        || (options_only && matches!(rel.kind, 'v' | 'm' | 'i' | 'I')))
    {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not a table"),
        ));
    }
    if rel.namespace_oid == catalog::system::PG_CATALOG_NAMESPACE {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("permission denied: \"{relname}\" is a system catalog"),
        ));
    }
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    crate::acl::require_relation_owner(session, rel.oid)?;
    // ALTER TABLE never reads a foreign table (its own or an inheritance
    // child's) to check or rewrite rows, as in PostgreSQL.
    let _foreign = super::foreigncmds::ForeignDdl::enter();
    if rel.kind == 'f' {
        for op in &at.operations {
            let AlterTableOperation::AddConstraint { constraint, .. } = op else {
                continue;
            };
            let what = match constraint {
                sqlparser::ast::TableConstraint::PrimaryKey(_) => "primary key",
                sqlparser::ast::TableConstraint::Unique(_) => "unique",
                sqlparser::ast::TableConstraint::ForeignKey(_) => "foreign key",
                _ => continue,
            };
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!("{what} constraints are not supported on foreign tables"),
            ));
        }
    }
    for op in &at.operations {
        crate::xact::command_counter_increment(session)?;
        relcache::accept_invalidations(session);
        let Some(table) = relcache::relation_by_oid(session, rel.oid)? else {
            return Err(PgError::new(
                SqlState::UndefinedTable,
                format!("relation \"{relname}\" does not exist"),
            ));
        };
        subcommand(session, &table, op, at.only)?;
    }
    Ok(Outcome::Command("ALTER TABLE".into()))
}

fn subcommand(
    session: &mut Session,
    table: &RelationInfo,
    op: &AlterTableOperation,
    only: bool,
) -> PgResult<()> {
    match op {
        AlterTableOperation::AddConstraint {
            constraint: TableConstraint::Check(c),
            not_valid,
        } => {
            let mut spec = super::constraints::CheckSpec::from_ast(c, None);
            spec.not_valid = *not_valid;
            super::constraints::add_checks(session, table.oid, &[spec], false)
        }
        AlterTableOperation::AddConstraint {
            constraint: TableConstraint::ForeignKey(fk),
            not_valid,
        } => {
            let mut spec = super::foreign_keys::ForeignKeySpec::from_ast(fk, None)?;
            spec.not_valid = *not_valid;
            super::foreign_keys::add_foreign_keys(session, table.oid, &[spec], true)
        }
        AlterTableOperation::AddConstraint {
            constraint,
            not_valid: false,
        } => match super::indexcmds::constraint_spec(constraint)? {
            Some(spec) => super::indexcmds::define_index(session, table.oid, &spec).map(|_| ()),
            None => Err(PgError::feature_not_supported(format!(
                "ALTER TABLE ADD {constraint}"
            ))),
        },
        AlterTableOperation::DropConstraint {
            if_exists, name, ..
        } => super::constraints::drop_constraint(session, table, &ident(name), *if_exists),
        AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            column_position: None,
            ..
        } => add_column(session, table, column_def, *if_not_exists, false),
        AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            drop_behavior,
            ..
        } => {
            let cascade = matches!(drop_behavior, Some(sqlparser::ast::DropBehavior::Cascade));
            for c in column_names {
                drop_generated_dependents(session, table.oid, &ident(c), cascade)?;
                drop_column(session, table.oid, &ident(c), *if_exists, false)?;
            }
            Ok(())
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => rename_column(
            session,
            table,
            &ident(old_column_name),
            &ident(new_column_name),
        ),
        AlterTableOperation::RenameTable { table_name } => {
            let name = match table_name {
                RenameTableNameKind::To(n) | RenameTableNameKind::As(n) => n,
            };
            rename_relation(session, table, name)
        }
        AlterTableOperation::AttachPartitionOf {
            partition,
            for_values,
        } => super::inherit::attach(session, table, partition, for_values, ""),
        AlterTableOperation::DetachPartitionOf {
            partition,
            mode: None,
        } => super::inherit::detach(session, table, partition),
        AlterTableOperation::Inherit { parent } => super::inherit::inherit(session, table, parent),
        AlterTableOperation::NoInherit { parent } => {
            super::inherit::no_inherit(session, table, parent)
        }
        AlterTableOperation::OwnerTo { new_owner } => {
            crate::acl::alter_relation_owner(session, table.oid, new_owner)
        }
        AlterTableOperation::DisableTrigger { name } => {
            super::trigger::set_enabled(session, table, name, 'D')
        }
        AlterTableOperation::EnableTrigger { name } => {
            super::trigger::set_enabled(session, table, name, 'O')
        }
        AlterTableOperation::EnableAlwaysTrigger { name } => {
            super::trigger::set_enabled(session, table, name, 'A')
        }
        AlterTableOperation::EnableReplicaTrigger { name } => {
            super::trigger::set_enabled(session, table, name, 'R')
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            alter_column(session, table, &ident(column_name), op)
        }
        AlterTableOperation::EnableRowLevelSecurity => {
            super::policy::set_row_security(session, table, Some(true), None)
        }
        AlterTableOperation::DisableRowLevelSecurity => {
            super::policy::set_row_security(session, table, Some(false), None)
        }
        AlterTableOperation::ForceRowLevelSecurity => {
            super::policy::set_row_security(session, table, None, Some(true))
        }
        AlterTableOperation::NoForceRowLevelSecurity => {
            super::policy::set_row_security(session, table, None, Some(false))
        }
        AlterTableOperation::ValidateConstraint { name } => {
            super::constraints::validate_constraint(session, table, &ident(name))
        }
        AlterTableOperation::RenameConstraint { old_name, new_name } => {
            super::constraints::rename_constraint(
                session,
                table,
                &ident(old_name),
                &ident(new_name),
                only,
            )
        }
        AlterTableOperation::ReplicaIdentity { identity } => {
            set_replica_identity(session, table, identity)
        }
        AlterTableOperation::SetOptionsParens { options } => {
            let items = super::reloptions::items(options)?;
            super::reloptions::alter_options(session, table.oid, &items, false)
        }
        AlterTableOperation::ResetOptions { options } => {
            let items = super::reloptions::reset_items(options)?;
            super::reloptions::alter_options(session, table.oid, &items, true)
        }
        other => Err(PgError::feature_not_supported(format!(
            "ALTER TABLE {other}"
        ))),
    }
}

fn no_such_column(table: &str, column: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedColumn,
        format!("column \"{column}\" of relation \"{table}\" does not exist"),
    )
}

/// ALTER TABLE ... ADD COLUMN.
/// ALTER TABLE ... ADD COLUMN, and the same column added to the table's
/// inheritance children (`inherited`: a child's copy), or merged into a
/// child's column of that name.
fn add_column(
    session: &mut Session,
    table: &RelationInfo,
    def: &sqlparser::ast::ColumnDef,
    if_not_exists: bool,
    inherited: bool,
) -> PgResult<()> {
    let mut plan = super::tablecmds::column_plan(session, def, &table.name, None)?;
    let name = plan.column.name.clone();
    super::tablecmds::check_system_column_name(&name)?;
    if inherited {
        if let Some(have) = table.columns.iter().find(|c| !c.dropped && c.name == name) {
            if have.type_oid != plan.column.type_oid || have.typmod != plan.column.typmod {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    format!(
                        "child table \"{}\" has different type for column \"{name}\"",
                        table.name
                    ),
                ));
            }
            session.notice(
                "00000",
                format!(
                    "merging definition of column \"{name}\" for child \"{}\"",
                    table.name
                ),
            );
            return change_attribute(session, table.oid, have.attnum, |a| a.inhcount += 1);
        }
        plan.column.is_local = false;
        plan.column.inhcount = 1;
    }
    if table.columns.iter().any(|c| !c.dropped && c.name == name) {
        if if_not_exists {
            session.notice(
                "42701",
                format!(
                    "column \"{name}\" of relation \"{}\" already exists, skipping",
                    table.name
                ),
            );
            return Ok(());
        }
        return Err(PgError::new(
            SqlState::DuplicateColumn,
            format!(
                "column \"{name}\" of relation \"{}\" already exists",
                table.name
            ),
        ));
    }
    if table.columns.len() >= MAX_HEAP_ATTRIBUTE_NUMBER {
        return Err(PgError::new(
            SqlState::TooManyColumns,
            format!("tables can have at most {MAX_HEAP_ATTRIBUTE_NUMBER} columns"),
        ));
    }
    let attnum = table.columns.iter().map(|c| c.attnum).max().unwrap_or(0) + 1;
    let sequence = super::tablecmds::make_column_sequence(
        session,
        table.namespace_oid,
        &table.name,
        &mut plan,
    )?;
    // A default fills the new column of every row: not possible inside
    // values of the table's row type stored elsewhere (PostgreSQL's
    // find_composite_type_dependencies).
    if plan
        .column
        .default
        .as_deref()
        .is_some_and(|d| !d.eq_ignore_ascii_case("null"))
    {
        check_row_type_unused(session, table)?;
    }
    // NOT NULL is checked once the column is filled.
    let not_null = plan.column.not_null;
    plan.column.not_null = false;
    let db = session.database_oid;
    let Some((class_tid, mut class)) = with_reader(session, |r| r.class_by_oid(table.oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {}",
            table.oid
        )));
    };
    class.natts = attnum;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        let attrdef = env.tx.new_oid()?;
        writer.add_column(w, table.oid, attnum, &plan.column, attrdef)?;
        writer.update_class(class_tid, &class, w)
    })?;
    catalog_changed(session);
    if let Some((seq, deptype)) = sequence {
        super::sequence::set_owner(session, seq, table.oid, attnum, deptype)?;
    }
    crate::xact::command_counter_increment(session)?;
    if plan.column.generated != '\0' {
        super::tablecmds::check_generation_exprs(session, table.oid)?;
    }
    let qualified = qualified_name(table);
    let column = types::guc::quote_identifier(&name);
    // A domain column takes the domain's default, or NULL, through the
    // domain's constraints (PostgreSQL rewrites the table for it).
    if plan.column.default.is_some()
        || plan.column.identity != '\0'
        || types::typcache::is_domain(plan.column.type_oid)
    {
        run_sql(
            session,
            &format!("UPDATE {qualified} SET {column} = DEFAULT"),
        )?;
    }
    if not_null {
        set_not_null(session, table.oid, &name)?;
    }
    for spec in &plan.index_specs {
        super::indexcmds::define_index(session, table.oid, spec)?;
    }
    super::constraints::add_checks(session, table.oid, &plan.checks, false)?;
    super::foreign_keys::add_foreign_keys(session, table.oid, &plan.foreign_keys, true)?;
    if table.children.is_empty() {
        return Ok(());
    }
    // The children get the column as the parent has it now (its type, NOT
    // NULL and default, a serial's nextval included).
    let me = fresh(session, table.oid)?;
    let Some(col) = me.columns.iter().find(|c| !c.dropped && c.name == name) else {
        return Ok(());
    };
    let mut text = format!(
        "{} {}",
        types::guc::quote_identifier(&col.name),
        types::oid::format_type(col.type_oid, col.typmod)
    );
    if col.not_null {
        text.push_str(" NOT NULL");
    }
    match &col.default {
        Some(d) if col.generated != '\0' => {
            text.push_str(&format!(" GENERATED ALWAYS AS ({d}) STORED"))
        }
        Some(d) => text.push_str(&format!(" DEFAULT {d}")),
        None => {}
    }
    let parsed = crate::syntax::parse(&format!("CREATE TABLE x ({text})"))?;
    let Some(sqlparser::ast::Statement::CreateTable(ct)) = parsed.first() else {
        return Err(PgError::internal("an inherited column did not parse"));
    };
    let Some(child_def) = ct.columns.first().cloned() else {
        return Err(PgError::internal("an inherited column did not parse"));
    };
    for &c in &me.children {
        let child = fresh(session, c)?;
        add_column(session, &child, &child_def, false, true)?;
    }
    Ok(())
}

/// Rewrites one `pg_attribute` row of `table_oid` with `change` made to it.
fn change_attribute(
    session: &mut Session,
    table_oid: u32,
    attnum: i16,
    change: impl FnOnce(&mut catalog::system::AttributeRow),
) -> PgResult<()> {
    crate::xact::command_counter_increment(session)?;
    let attrs = with_reader(session, |r| r.attributes(table_oid))?;
    let Some((tid, mut attr)) = attrs.into_iter().find(|(_, a)| a.attnum == attnum) else {
        return Err(PgError::internal(format!(
            "attribute {attnum} of relation {table_oid} does not exist"
        )));
    };
    change(&mut attr);
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_attribute(tid, &attr, w)
    })?;
    catalog_changed(session);
    Ok(())
}

fn qualified_name(table: &RelationInfo) -> String {
    format!(
        "{}.{}",
        types::guc::quote_identifier(&table.namespace),
        types::guc::quote_identifier(&table.name)
    )
}

/// Runs one SQL statement of the command's own making.
fn run_sql(session: &mut Session, sql: &str) -> PgResult<crate::utility::Outcome> {
    let stmts = crate::syntax::parse(sql)?;
    let [stmt] = stmts.as_slice() else {
        return Err(PgError::internal(
            "ALTER TABLE's statement did not parse as one",
        ));
    };
    crate::tcop::run_statement(session, stmt, sql, None, &[])
}

/// The current catalog state of table `oid`.
fn fresh(session: &mut Session, oid: u32) -> PgResult<std::sync::Arc<RelationInfo>> {
    crate::xact::command_counter_increment(session)?;
    relcache::accept_invalidations(session);
    relcache::relation_by_oid(session, oid)?
        .ok_or_else(|| PgError::internal(format!("cache lookup failed for relation {oid}")))
}

/// The stored generated columns of `table_oid` that read column `name`
/// (PostgreSQL's column-to-column dependencies): with CASCADE they are
/// dropped first (with a NOTICE), else 2BP01.
fn drop_generated_dependents(
    session: &mut Session,
    table_oid: u32,
    name: &str,
    cascade: bool,
) -> PgResult<()> {
    let table = fresh(session, table_oid)?;
    let dependents: Vec<String> = table
        .columns
        .iter()
        .filter(|c| !c.dropped && c.generated != '\0' && c.name != name)
        .filter(|c| {
            c.default
                .as_deref()
                .is_some_and(|d| mentions_column(d, name))
        })
        .map(|c| c.name.clone())
        .collect();
    let Some(first) = dependents.first() else {
        return Ok(());
    };
    if !cascade {
        return Err(PgError::new(
            SqlState::DependentObjectsStillExist,
            format!(
                "cannot drop column {name} of table {} because other objects depend on it",
                table.name
            ),
        )
        .with_detail(format!(
            "column {first} of table {0} depends on column {name} of table {0}",
            table.name
        ))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    for d in &dependents {
        session.notice(
            "00000",
            format!("drop cascades to column {d} of table {}", table.name),
        );
        drop_column(session, table_oid, d, true, false)?;
        crate::xact::command_counter_increment(session)?;
    }
    Ok(())
}

/// ALTER TABLE ... DROP COLUMN: the column is marked dropped; its indexes,
/// constraints, default and sequence go.
/// A column inherited from a parent goes with the parent's only
/// (`recursing`) and only when no other parent or the child itself
/// defines it too; a child's column that stays is inherited once less.
fn drop_column(
    session: &mut Session,
    table_oid: u32,
    name: &str,
    if_exists: bool,
    recursing: bool,
) -> PgResult<()> {
    let table = fresh(session, table_oid)?;
    let Some(col) = table
        .columns
        .iter()
        .find(|c| !c.dropped && c.name == name)
        .cloned()
    else {
        if if_exists {
            session.notice(
                "00000",
                format!(
                    "column \"{name}\" of relation \"{}\" does not exist, skipping",
                    table.name
                ),
            );
            return Ok(());
        }
        return Err(no_such_column(&table.name, name));
    };
    if recursing && (col.inhcount > 1 || col.is_local) {
        return change_attribute(session, table_oid, col.attnum, |a| a.inhcount -= 1);
    }
    if !recursing && col.inhcount > 0 {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            format!("cannot drop inherited column \"{name}\""),
        ));
    }
    for &c in &table.children {
        drop_column(session, c, name, false, true)?;
    }
    let table = fresh(session, table_oid)?;
    let db = session.database_oid;
    // Indexes on the column (and with them their constraints).
    for ix in &table.indexes {
        let in_expr = [&ix.row.exprs, &ix.row.pred]
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| mentions_column(t, name)));
        if ix.row.keys.contains(&col.attnum) || in_expr {
            if let Some(c) = table.constraints.iter().find(|c| c.index == ix.oid) {
                super::constraints::drop_constraint(session, &table, &c.name.clone(), false)?;
            } else {
                super::indexcmds::drop_index_rows(session, ix.oid, ix.locator(db))?;
            }
        }
    }
    // CHECK constraints that read it, foreign keys that contain it.
    let table = fresh(session, table_oid)?;
    let checks: Vec<_> = with_reader(session, |r| r.constraints(table_oid))?
        .into_iter()
        .filter(|(_, c)| {
            matches!(
                c.kind,
                catalog::system::CONSTRAINT_CHECK | catalog::system::CONSTRAINT_FOREIGN
            ) && c.keys.contains(&col.attnum)
        })
        .map(|(t, _)| t)
        .collect();
    super::constraints::delete_constraint_rows(session, table_oid, &checks)?;
    // Its sequence.
    for (_, d) in with_reader(session, |r| r.dependents(PG_CLASS, table_oid))? {
        if d.refobjsubid == i32::from(col.attnum)
            && d.classid == PG_CLASS
            && let Some(seq) = relcache::relation_by_oid(session, d.objid)?
            && seq.kind == 'S'
        {
            super::sequence::drop_sequence_relation(session, &seq)?;
        }
    }
    // Its default, then the attribute itself.
    let mut defaults: Vec<(u32, storage::page::ItemPointer)> =
        with_reader(session, |r| r.defaults(table_oid))?
            .into_iter()
            .filter(|d| d.1 == col.attnum)
            .map(|d| (PG_ATTRDEF, d.0))
            .collect();
    // its statistics go with it, and the extended statistics objects
    // that involve it
    super::statistics::drop_for_column(session, &table, col.attnum, name)?;
    defaults.extend(super::analyze::column_statistics_rows(
        session, table_oid, col.attnum,
    )?);
    let attrs = with_reader(session, |r| r.attributes(table_oid))?;
    let Some((tid, mut attr)) = attrs.into_iter().find(|(_, a)| a.attnum == col.attnum) else {
        return Err(no_such_column(&table.name, name));
    };
    attr.dropped = true;
    attr.name = format!("........pg.dropped.{}........", col.attnum);
    attr.not_null = false;
    attr.has_default = false;
    attr.identity = '\0';
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        writer.delete_rows(&defaults, w)?;
        writer.update_attribute(tid, &attr, w)
    })?;
    catalog_changed(session);
    Ok(())
}

/// ALTER TABLE ... RENAME [COLUMN] a TO b.
pub(crate) fn rename_column(
    session: &mut Session,
    table: &RelationInfo,
    old: &str,
    new: &str,
) -> PgResult<()> {
    rename_column_in(session, table, old, new, false)
}

/// [`rename_column`]; an inherited column is renamed only through its
/// parent (`recursing`), and the children's copies with it.
fn rename_column_in(
    session: &mut Session,
    table: &RelationInfo,
    old: &str,
    new: &str,
    recursing: bool,
) -> PgResult<()> {
    let Some(col) = table.columns.iter().find(|c| !c.dropped && c.name == old) else {
        return Err(PgError::new(
            SqlState::UndefinedColumn,
            format!("column \"{old}\" does not exist"),
        ));
    };
    if !recursing && col.inhcount > 0 {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            format!("cannot rename inherited column \"{old}\""),
        ));
    }
    for &c in &table.children {
        let child = fresh(session, c)?;
        rename_column_in(session, &child, old, new, true)?;
    }
    if matches!(table.kind, 'r' | 'p' | 'm') {
        super::tablecmds::check_system_column_name(new)?;
    }
    if table.columns.iter().any(|c| !c.dropped && c.name == new) {
        return Err(PgError::new(
            SqlState::DuplicateColumn,
            format!(
                "column \"{new}\" of relation \"{}\" already exists",
                table.name
            ),
        ));
    }
    let db = session.database_oid;
    let attrs = with_reader(session, |r| r.attributes(table.oid))?;
    let defaults = with_reader(session, |r| r.defaults(table.oid))?;
    let constraints = with_reader(session, |r| r.constraints(table.oid))?;
    let mut index_rows = Vec::new();
    for ix in &table.indexes {
        if let Some(found) = with_reader(session, |r| r.index_row(ix.oid))? {
            index_rows.push((ix.oid, found));
        }
    }
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        for (tid, mut a) in attrs {
            if a.name == old && !a.dropped {
                a.name = new.to_owned();
                writer.update_attribute(tid, &a, w)?;
            }
        }
        for (tid, attnum, text) in defaults {
            let renamed = rename_in_expr(&text, old, new)?;
            if renamed != text {
                writer.delete_rows(&[(PG_ATTRDEF, tid)], w)?;
                writer.add_default(w, env.tx.new_oid()?, table.oid, attnum, &renamed)?;
            }
        }
        for (tid, mut c) in constraints {
            if let Some(text) = &c.expr {
                let renamed = rename_in_expr(text, old, new)?;
                if &renamed != text {
                    c.expr = Some(renamed);
                    writer.update_constraint(tid, &c, w)?;
                }
            }
        }
        for (_, (tid, mut row)) in index_rows {
            let mut changed = false;
            for text in [&mut row.exprs, &mut row.pred].into_iter().flatten() {
                let renamed = rename_in_select_list(text, old, new)?;
                if &renamed != text {
                    *text = renamed;
                    changed = true;
                }
            }
            if changed {
                writer.update_index_row(tid, &row, w)?;
            }
        }
        Ok(())
    })?;
    // The index's own column is named after the table's.
    for ix in &table.indexes {
        let attrs = with_reader(session, |r| r.attributes(ix.oid))?;
        for (tid, mut a) in attrs {
            if a.name == old {
                a.name = new.to_owned();
                crate::xact::with_write(session, |env, w| {
                    CatalogWriter { env, db_oid: db }.update_attribute(tid, &a, w)
                })?;
            }
        }
    }
    catalog_changed(session);
    Ok(())
}

/// Whether the SQL expression `text` names column `column`.
pub(crate) fn mentions_column(text: &str, column: &str) -> bool {
    let Ok(mut exprs) = parse_select_list(text) else {
        return false;
    };
    let mut found = false;
    for e in &mut exprs {
        let _ = sqlparser::ast::visit_expressions_mut(e, |x| {
            if let Some(id) = column_ident(x)
                && fold(id) == column
            {
                found = true;
            }
            ControlFlow::<()>::Continue(())
        });
    }
    found
}

fn fold(id: &Ident) -> String {
    ident(id)
}

/// The identifier naming a column in `e`: `c` or the last part of `t.c`.
fn column_ident(e: &mut AstExpr) -> Option<&mut Ident> {
    match e {
        AstExpr::Identifier(id) => Some(id),
        AstExpr::CompoundIdentifier(parts) => parts.last_mut(),
        _ => None,
    }
}

fn parse_select_list(text: &str) -> PgResult<Vec<AstExpr>> {
    crate::index_exprs::split_select_list(text)?
        .iter()
        .map(|t| {
            sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
                .try_with_sql(t)
                .and_then(|mut p| p.parse_expr())
                .map_err(|e| PgError::internal(format!("stored expression does not parse: {e}")))
        })
        .collect()
}

/// `text` (one expression) with column `old` renamed `new`.
fn rename_in_expr(text: &str, old: &str, new: &str) -> PgResult<String> {
    let mut e = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| PgError::internal(format!("stored expression does not parse: {e}")))?;
    rename_idents(&mut e, old, new);
    Ok(e.to_string())
}

/// `text` (a comma-separated list of expressions) with column `old`
/// renamed `new`.
fn rename_in_select_list(text: &str, old: &str, new: &str) -> PgResult<String> {
    let mut exprs = parse_select_list(text)?;
    for e in &mut exprs {
        rename_idents(e, old, new);
    }
    Ok(exprs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", "))
}

fn rename_idents(e: &mut AstExpr, old: &str, new: &str) {
    let _ = sqlparser::ast::visit_expressions_mut(e, |x| {
        if let Some(id) = column_ident(x)
            && fold(id) == old
        {
            *id = Ident::with_quote('"', new);
        }
        ControlFlow::<()>::Continue(())
    });
}

/// ALTER TABLE ... RENAME TO new (a table, or a sequence).
pub(crate) fn rename_relation(
    session: &mut Session,
    rel: &RelationInfo,
    new: &ObjectName,
) -> PgResult<()> {
    let (schema, name) = split_name(new)?;
    if schema.is_some() {
        return Err(PgError::syntax(
            format!(
                "syntax error at or near \"{}\"",
                new.0.get(1).map(|p| p.to_string()).unwrap_or_default()
            ),
            None,
        ));
    }
    if name.len() >= 64 {
        return Err(PgError::feature_not_supported(
            "identifiers longer than 63 bytes",
        ));
    }
    rename_class(session, rel.oid, &rel.namespace, &name)
}

/// 0A000 if a column of another relation holds values of `table`'s row
/// type (or of its array type), which a change of the table's rows cannot
/// reach.
fn check_row_type_unused(session: &mut Session, table: &RelationInfo) -> PgResult<()> {
    let Some(t) = types::typcache::composite_of_relation(table.oid) else {
        return Ok(());
    };
    let users = with_reader(session, |r| {
        r.columns_of_types(&[t.oid, t.array_oid], false)
    })?;
    for (relid, column, _) in users {
        let Some(rel) = relcache::relation_by_oid(session, relid)? else {
            continue;
        };
        if rel.kind == 'i' {
            continue;
        }
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            format!(
                "cannot alter table \"{}\" because column \"{}.{column}\" uses its row type",
                table.name, rel.name
            ),
        ));
    }
    Ok(())
}

/// Renames relation `oid` (table, sequence, index) in schema `namespace`.
pub(crate) fn rename_class(
    session: &mut Session,
    oid: u32,
    namespace: &str,
    name: &str,
) -> PgResult<()> {
    if relcache::lookup_relation(session, Some(namespace), name)?.is_some() {
        return Err(PgError::new(
            SqlState::DuplicateTable,
            format!("relation \"{name}\" already exists"),
        ));
    }
    let db = session.database_oid;
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {oid}"
        )));
    };
    class.name = name.to_owned();
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    super::typecmds::update_row_type(session, oid, name, None)?;
    catalog_changed(session);
    Ok(())
}

/// ALTER TABLE ... ALTER [COLUMN] c {SET DEFAULT e | DROP DEFAULT | SET NOT
/// NULL | DROP NOT NULL}.
fn alter_column(
    session: &mut Session,
    table: &RelationInfo,
    name: &str,
    op: &AlterColumnOperation,
) -> PgResult<()> {
    let Some(col) = table
        .columns
        .iter()
        .find(|c| !c.dropped && c.name == name)
        .cloned()
    else {
        return Err(no_such_column(&table.name, name));
    };
    match op {
        AlterColumnOperation::SetDefault { .. } | AlterColumnOperation::DropDefault
            if col.generated != '\0' =>
        {
            let e = PgError::new(
                SqlState::SyntaxError,
                format!(
                    "column \"{name}\" of relation \"{}\" is a generated column",
                    table.name
                ),
            );
            return Err(match op {
                AlterColumnOperation::DropDefault => {
                    e.with_hint("Use ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION instead.")
                }
                _ => e,
            });
        }
        AlterColumnOperation::SetDefault { value } => {
            if col.identity != '\0' {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    format!(
                        "column \"{name}\" of relation \"{}\" is an identity column",
                        table.name
                    ),
                )
                .with_hint("Use ALTER TABLE ... ALTER COLUMN ... DROP IDENTITY instead."));
            }
            replace_default(session, table, col.attnum, Some(&value.to_string()))?;
        }
        AlterColumnOperation::DropDefault => {
            replace_default(session, table, col.attnum, None)?;
        }
        AlterColumnOperation::SetNotNull => set_not_null(session, table.oid, name)?,
        AlterColumnOperation::AddGenerated {
            generated_as,
            sequence_options,
        } => add_identity(
            session,
            table,
            &col,
            !matches!(generated_as, Some(sqlparser::ast::GeneratedAs::ByDefault)),
            sequence_options.as_deref().unwrap_or(&[]),
        )?,
        AlterColumnOperation::SetDataType {
            data_type, using, ..
        } => alter_column_type(session, table, &col, data_type, using.as_ref())?,
        AlterColumnOperation::DropNotNull => {
            let in_pk = table
                .constraints
                .iter()
                .any(|c| c.kind == CONSTRAINT_PRIMARY && c.keys.contains(&col.attnum));
            if in_pk {
                return Err(PgError::new(
                    SqlState::InvalidTableDefinition,
                    format!("column \"{name}\" is in a primary key"),
                ));
            }
            if col.identity != '\0' {
                return Err(PgError::new(
                    SqlState::InvalidTableDefinition,
                    format!(
                        "column \"{name}\" of relation \"{}\" is an identity column",
                        table.name
                    ),
                ));
            }
            update_attribute(session, table.oid, col.attnum, |a| a.not_null = false)?;
        }
        other => {
            return Err(PgError::feature_not_supported(format!(
                "ALTER TABLE ... ALTER COLUMN {other}"
            )));
        }
    }
    Ok(())
}

/// ALTER TABLE ... ALTER COLUMN c ADD GENERATED { ALWAYS | BY DEFAULT } AS
/// IDENTITY [(options)] (PostgreSQL's ATExecAddIdentity): the column gets
/// a sequence of its own, as an identity column made with the table has.
fn add_identity(
    session: &mut Session,
    table: &RelationInfo,
    col: &catalog::heap_catalog::ColumnInfo,
    always: bool,
    options: &[sqlparser::ast::SequenceOptions],
) -> PgResult<()> {
    let refuse = |what: &str| {
        Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            format!(
                "column \"{}\" of relation \"{}\" {what}",
                col.name, table.name
            ),
        ))
    };
    if !col.not_null {
        return refuse("must be declared NOT NULL before identity can be added");
    }
    if col.identity != '\0' {
        return refuse("is already an identity column");
    }
    if col.default.is_some() {
        return refuse("already has a default value");
    }
    if ![types::oid::INT2, types::oid::INT4, types::oid::INT8].contains(&col.type_oid) {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "identity column type must be smallint, integer, or bigint",
        ));
    }
    let opts = super::sequence::SeqOptions::from_ast(options)?;
    let (seq, _) = super::sequence::create_column_sequence(
        session,
        table.namespace_oid,
        &table.name,
        &col.name,
        col.type_oid,
        &opts,
    )?;
    let kind = if always { 'a' } else { 'd' };
    update_attribute(session, table.oid, col.attnum, |a| a.identity = kind)?;
    super::sequence::set_owner(
        session,
        seq,
        table.oid,
        col.attnum,
        super::sequence::IDENTITY_DEPENDENCY,
    )
}

/// Whether values of `from` (with `from_mod`) are valid values of `to`
/// (with `to_mod`) as they are stored: no rewrite is needed (PostgreSQL's
/// binary-coercible casts that keep every value, as varchar(n) to a longer
/// varchar or to text).
fn stored_values_fit(from: u32, from_mod: i32, to: u32, to_mod: i32) -> bool {
    use types::oid::{TEXT, VARCHAR};
    match (from, to) {
        (VARCHAR | TEXT, TEXT) => true,
        (TEXT, VARCHAR) => to_mod < 0,
        (VARCHAR, VARCHAR) => to_mod < 0 || (from_mod >= 0 && to_mod >= from_mod),
        _ => from == to && from_mod == to_mod,
    }
}

/// ALTER TABLE ... ALTER COLUMN c [SET DATA] TYPE t [USING e] (PostgreSQL's
/// ATRewriteTable): the rows are read with the column converted, the table
/// gets a new file holding them, and the indexes and constraints on the
/// column are made again over the new type. Changes that keep every stored
/// value valid only change the catalog.
fn alter_column_type(
    session: &mut Session,
    table: &RelationInfo,
    col: &catalog::heap_catalog::ColumnInfo,
    data_type: &sqlparser::ast::DataType,
    using: Option<&AstExpr>,
) -> PgResult<()> {
    let (type_oid, typmod) = super::typecmds::resolve_type(session, data_type)?;
    crate::acl::require_type_usage(session, type_oid)?;
    if storage::heap::tuple::type_storage(type_oid).is_none() {
        return Err(PgError::feature_not_supported(format!(
            "columns of type {}",
            types::oid::type_name(type_oid)
        )));
    }
    let name = col.name.clone();
    if col.generated != '\0' && using.is_some() {
        return Err(PgError::new(
            SqlState::InvalidColumnDefinition,
            "cannot specify USING when altering type of generated column",
        )
        .with_detail(format!("Column \"{name}\" is a generated column.")));
    }
    if table.columns.iter().any(|c| {
        !c.dropped
            && c.generated != '\0'
            && c.name != name
            && c.default
                .as_deref()
                .is_some_and(|d| mentions_column(d, &name))
    }) {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "cannot alter type of a column used by a generated column",
        )
        .with_detail(format!(
            "Column \"{name}\" is used by generated column \"{}\".",
            table
                .columns
                .iter()
                .find(|c| !c.dropped
                    && c.generated != '\0'
                    && c.name != name
                    && c.default
                        .as_deref()
                        .is_some_and(|d| mentions_column(d, &name)))
                .map_or("", |c| c.name.as_str())
        )));
    }
    let in_foreign_key = table
        .constraints
        .iter()
        .any(|c| c.kind == catalog::system::CONSTRAINT_FOREIGN && c.keys.contains(&col.attnum))
        || table
            .referenced_by
            .iter()
            .any(|c| c.fkeys.contains(&col.attnum));
    if in_foreign_key {
        return Err(PgError::feature_not_supported(format!(
            "changing the type of column \"{name}\", which a foreign key uses"
        )));
    }
    for (_, d) in with_reader(session, |r| r.dependents(PG_CLASS, table.oid))? {
        if d.deptype != 'n' {
            continue;
        }
        if let Some(view) = relcache::relation_by_oid(session, d.objid)?
            && view.kind == 'v'
            && view
                .view_query
                .as_deref()
                .is_some_and(|q| q.contains(&name))
        {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "cannot alter type of a column used by a view or rule",
            )
            .with_detail(format!(
                "rule _RETURN on view {} depends on column \"{name}\"",
                view.name
            )));
        }
    }
    // statistics of the old type's values are meaningless now
    let mut stats = super::analyze::column_statistics_rows(session, table.oid, col.attnum)?;
    // and so are the extended statistics that involve the column (the
    // objects stay, without data until the next ANALYZE)
    stats.extend(super::statistics::data_rows_for_column(
        session, table, col.attnum, &col.name,
    )?);
    if !stats.is_empty() {
        let db_oid = session.database_oid;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid }.delete_rows(&stats, w)
        })?;
    }
    if using.is_none() && stored_values_fit(col.type_oid, col.typmod, type_oid, typmod) {
        return update_attribute(session, table.oid, col.attnum, |a| {
            a.type_oid = type_oid;
            a.typmod = typmod;
        });
    }
    if using.is_none() && !planner::analyze::coerce::can_coerce_assignment(col.type_oid, type_oid) {
        let t = types::oid::format_type(type_oid, typmod);
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!("column \"{name}\" cannot be cast automatically to type {t}"),
        )
        .with_hint(format!(
            "You might need to specify \"USING {}::{t}\".",
            types::guc::quote_identifier(&name)
        )));
    }
    // The rows, the column converted (dropped columns read as NULL).
    let q = types::guc::quote_identifier;
    let type_text = types::oid::format_type(type_oid, typmod);
    let select: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            if c.dropped {
                "NULL".to_string()
            } else if c.attnum == col.attnum {
                let source = using.map_or_else(|| q(&c.name), ToString::to_string);
                format!("CAST(({source}) AS {type_text})")
            } else {
                q(&c.name)
            }
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM {}",
        select.join(", "),
        qualified_name(table)
    );
    let rows = match run_sql(session, &sql)? {
        Outcome::Rows { rows, .. } => rows,
        _ => {
            return Err(PgError::internal(
                "ALTER COLUMN TYPE: the rows did not come",
            ));
        }
    };
    // Indexes on the column go, to be made again over the new type.
    let db = session.database_oid;
    let mut remake = Vec::new();
    for ix in &table.indexes {
        let in_expr = [&ix.row.exprs, &ix.row.pred]
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| mentions_column(t, &name)));
        if !ix.row.keys.contains(&col.attnum) && !in_expr {
            continue;
        }
        match table.constraints.iter().find(|c| c.index == ix.oid) {
            Some(c) => {
                let cols: Vec<String> = c
                    .keys
                    .iter()
                    .filter_map(|k| table.columns.iter().find(|x| x.attnum == *k))
                    .map(|x| q(&x.name))
                    .collect();
                let kind = if c.kind == CONSTRAINT_PRIMARY {
                    "PRIMARY KEY"
                } else {
                    "UNIQUE"
                };
                remake.push(format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {kind} ({})",
                    qualified_name(table),
                    q(&c.name),
                    cols.join(", ")
                ));
                let fresh_table = fresh(session, table.oid)?;
                super::constraints::drop_constraint(session, &fresh_table, &c.name.clone(), false)?;
            }
            None => {
                remake.push(crate::sysviews::index_definition(table, ix));
                super::indexcmds::drop_index_rows(session, ix.oid, ix.locator(db))?;
            }
        }
    }
    update_attribute(session, table.oid, col.attnum, |a| {
        a.type_oid = type_oid;
        a.typmod = typmod;
    })?;
    // A new file with the converted rows; the other indexes start empty
    // and take the rows as they come in.
    let table_now = fresh(session, table.oid)?;
    crate::xact::ensure_xid(session)?;
    let new_node = session.storage.transam.new_oid()?;
    let new_loc = storage::smgr::RelFileLocator::new(db, new_node);
    crate::xact::create_relation_file(session, new_loc)?;
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(table.oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {}",
            table.oid
        )));
    };
    class.relfilenode = new_node;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    session.tx.drop_at_commit.push(table_now.locator(db));
    super::indexcmds::rebuild_indexes(session, &table_now, true)?;
    catalog_changed(session);
    let table_new = fresh(session, table.oid)?;
    let desc = crate::table_access::relation_desc_for(session, &table_new)?;
    for row in rows {
        crate::table_access::insert_row(session, &desc, row)?;
    }
    crate::xact::command_counter_increment(session)?;
    for sql in remake {
        run_sql(session, &sql)?;
        crate::xact::command_counter_increment(session)?;
    }
    // CHECK constraints hold for the converted values too.
    for c in &table_new.constraints {
        if c.kind == catalog::system::CONSTRAINT_CHECK
            && c.keys.contains(&col.attnum)
            && let Some(expr) = &c.expr
        {
            let sql = format!(
                "SELECT 1 FROM {} WHERE NOT ({expr}) LIMIT 1",
                qualified_name(&table_new)
            );
            if super::constraints::query_finds_rows(session, &sql)? {
                return Err(PgError::new(
                    SqlState::CheckViolation,
                    format!(
                        "check constraint \"{}\" of relation \"{}\" is violated by some row",
                        c.name, table_new.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Changes the `pg_attribute` row of column `attnum` of `relid`.
pub(crate) fn update_attribute(
    session: &mut Session,
    relid: u32,
    attnum: i16,
    f: impl FnOnce(&mut catalog::system::AttributeRow),
) -> PgResult<()> {
    let db = session.database_oid;
    let attrs = with_reader(session, |r| r.attributes(relid))?;
    let Some((tid, mut a)) = attrs.into_iter().find(|(_, a)| a.attnum == attnum) else {
        return Err(PgError::internal(format!(
            "cache lookup failed for attribute {attnum} of relation {relid}"
        )));
    };
    f(&mut a);
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_attribute(tid, &a, w)
    })?;
    catalog_changed(session);
    Ok(())
}

/// Sets (or with None removes) the default of column `attnum`.
fn replace_default(
    session: &mut Session,
    table: &RelationInfo,
    attnum: i16,
    text: Option<&str>,
) -> PgResult<()> {
    let db = session.database_oid;
    let mut old: Vec<(u32, storage::page::ItemPointer)> =
        with_reader(session, |r| r.defaults(table.oid))?
            .into_iter()
            .filter(|d| d.1 == attnum)
            .map(|d| (PG_ATTRDEF, d.0))
            .collect();
    // The old default's dependencies go with it.
    if let Some(o) = with_reader(session, |r| r.default_oid(table.oid, attnum))? {
        old.extend(
            with_reader(session, |r| r.dependencies(PG_ATTRDEF, o))?
                .into_iter()
                .map(|(t, _)| (catalog::system::PG_DEPEND, t)),
        );
    }
    let sequence = match text {
        Some(t) => super::sequence::default_sequence(session, t)?,
        None => None,
    };
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        writer.delete_rows(&old, w)?;
        if let Some(t) = text {
            let oid = env.tx.new_oid()?;
            writer.add_default(w, oid, table.oid, attnum, t)?;
            if let Some(seq) = sequence {
                writer.add_dependency(
                    w,
                    &catalog::system::DependRow {
                        classid: PG_ATTRDEF,
                        objid: oid,
                        objsubid: 0,
                        refclassid: PG_CLASS,
                        refobjid: seq,
                        refobjsubid: 0,
                        deptype: catalog::system::DEPENDENCY_NORMAL,
                    },
                )?;
            }
        }
        Ok(())
    })?;
    update_attribute(session, table.oid, attnum, |a| {
        a.has_default = text.is_some()
    })
}

/// SET NOT NULL, after checking that no row has a NULL there (23502).
fn set_not_null(session: &mut Session, table_oid: u32, name: &str) -> PgResult<()> {
    let table = fresh(session, table_oid)?;
    let Some(col) = table
        .columns
        .iter()
        .find(|c| !c.dropped && c.name == name)
        .cloned()
    else {
        return Err(no_such_column(&table.name, name));
    };
    if col.not_null {
        return Ok(());
    }
    let sql = format!(
        "SELECT 1 FROM {} WHERE {} IS NULL LIMIT 1",
        qualified_name(&table),
        types::guc::quote_identifier(name)
    );
    if super::constraints::query_finds_rows(session, &sql)? {
        return Err(PgError::new(
            SqlState::NotNullViolation,
            format!(
                "column \"{name}\" of relation \"{}\" contains null values",
                table.name
            ),
        ));
    }
    update_attribute(session, table_oid, col.attnum, |a| a.not_null = true)
}

/// ALTER TABLE ... REPLICA IDENTITY {DEFAULT | FULL | NOTHING | USING
/// INDEX name}: `relreplident`, and `indisreplident` of the one index
/// chosen (which must be unique, immediate, not partial, not of an
/// expression, over NOT NULL columns). Kept and shown: nothing replicates
/// here, so nothing reads it.
fn set_replica_identity(
    session: &mut Session,
    table: &RelationInfo,
    identity: &sqlparser::ast::ReplicaIdentity,
) -> PgResult<()> {
    use sqlparser::ast::ReplicaIdentity;
    let wrong = |what: String| PgError::new(SqlState::WrongObjectType, what);
    let (kind, chosen) = match identity {
        ReplicaIdentity::Default => ('d', None),
        ReplicaIdentity::Full => ('f', None),
        ReplicaIdentity::Nothing => ('n', None),
        ReplicaIdentity::Index(name) => {
            let name = ident(name);
            let Some(ix) = table.indexes.iter().find(|ix| ix.name == name) else {
                let elsewhere = relcache::lookup_relation(session, Some(&table.namespace), &name)?
                    .is_some_and(|r| matches!(r.kind, 'i' | 'I'));
                return Err(if elsewhere {
                    wrong(format!(
                        "\"{name}\" is not an index for table \"{}\"",
                        table.name
                    ))
                } else {
                    PgError::new(
                        SqlState::UndefinedObject,
                        format!(
                            "index \"{name}\" for table \"{}\" does not exist",
                            table.name
                        ),
                    )
                });
            };
            if !ix.row.unique {
                return Err(wrong(format!(
                    "cannot use non-unique index \"{name}\" as replica identity"
                )));
            }
            if table
                .constraints
                .iter()
                .any(|c| c.index == ix.oid && c.deferrable)
            {
                return Err(wrong(format!(
                    "cannot use non-immediate index \"{name}\" as replica identity"
                )));
            }
            if ix.row.exprs.is_some() {
                return Err(wrong(format!(
                    "cannot use expression index \"{name}\" as replica identity"
                )));
            }
            if ix.row.pred.is_some() {
                return Err(wrong(format!(
                    "cannot use partial index \"{name}\" as replica identity"
                )));
            }
            for attnum in &ix.row.keys[..ix.row.nkeyatts.max(0) as usize] {
                if let Some(c) = table.columns.iter().find(|c| c.attnum == *attnum)
                    && !c.not_null
                {
                    return Err(wrong(format!(
                        "index \"{name}\" cannot be used as replica identity because column \"{}\" is nullable",
                        c.name
                    )));
                }
            }
            ('i', Some(ix.oid))
        }
    };
    super::update_class(session, table.oid, |c| {
        c.replident = if kind == 'd' { '\0' } else { kind }
    })?;
    let db = session.database_oid;
    for (tid, mut row) in with_reader(session, |r| r.index_rows(table.oid))? {
        let want = Some(row.index_oid) == chosen;
        if row.replident != want {
            row.replident = want;
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.update_index_row(tid, &row, w)
            })?;
        }
    }
    catalog_changed(session);
    Ok(())
}

/// ALTER INDEX [IF EXISTS] name SET (...) | RESET (...): read as the ALTER
/// TABLE it is equivalent to (ALTER TABLE sets an index's parameters too).
pub(crate) fn alter_index_options(session: &mut Session, text: &str) -> PgResult<Outcome> {
    // Lowering ASCII letters keeps byte offsets.
    let Some(at) = text.to_ascii_lowercase().find("index") else {
        return Err(PgError::internal("ALTER INDEX text without INDEX"));
    };
    let as_table = format!("{}TABLE{}", &text[..at], &text[at + "index".len()..]);
    let stmts = crate::syntax::parse(&as_table)?;
    let [Statement::AlterTable(alter)] = stmts.as_slice() else {
        return Err(PgError::syntax("syntax error at or near \"ALTER\"", None));
    };
    if !alter.operations.iter().all(|op| {
        matches!(
            op,
            AlterTableOperation::SetOptionsParens { .. } | AlterTableOperation::ResetOptions { .. }
        )
    }) {
        return Err(PgError::feature_not_supported(
            "ALTER INDEX with other subcommands than SET (...) and RESET (...)",
        ));
    }
    alter_table(session, alter)?;
    Ok(Outcome::Command("ALTER INDEX".into()))
}

/// ALTER INDEX [IF EXISTS] name RENAME TO new.
pub(crate) fn rename_index(
    session: &mut Session,
    name: &ObjectName,
    new: &Ident,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER INDEX")?;
    let (schema, relname) = split_name(name)?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{relname}\" does not exist"),
        ));
    };
    if rel.kind != 'i' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not an index"),
        ));
    }
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    let new = ident(new);
    rename_class(session, rel.oid, &rel.namespace, &new)?;
    // A constraint's index and the constraint share their name.
    let constraint = with_reader(session, |r| r.constraint_of_index(rel.oid))?;
    if let Some(c) = constraint {
        let rows = with_reader(session, |r| r.constraints(c.relid))?;
        if let Some((tid, mut row)) = rows.into_iter().find(|(_, r)| r.oid == c.oid) {
            row.name = new;
            let db = session.database_oid;
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.update_constraint(tid, &row, w)
            })?;
            catalog_changed(session);
        }
    }
    Ok(Outcome::Command("ALTER INDEX".into()))
}

/// `ALTER TABLE [IF EXISTS] name SET SCHEMA schema`: the table, its
/// indexes and the sequences it owns move to the other schema.
/// `ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] column DROP
/// EXPRESSION [IF EXISTS]` (kept as text: sqlparser has no such
/// operation): the stored generated column becomes a plain one keeping its
/// values, on the table and its inheritance children.
/// `ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] column ...`, read
/// from its words (for the subcommands sqlparser lacks).
struct AlterColumnHead {
    if_exists: bool,
    only: bool,
    schema: Option<String>,
    relname: String,
    column: String,
    /// The words after the column's name, upper-cased.
    rest: Vec<String>,
    /// The same words as written.
    rest_words: Vec<String>,
}

fn alter_column_head(text: &str, keyword: &str) -> PgResult<AlterColumnHead> {
    let words = crate::syntax::words(text)?;
    let name_of = |w: &str| match w.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        Some(q) => q.replace("\"\"", "\""),
        None => w.to_lowercase(),
    };
    let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    let is = |i: usize, w: &str| upper.get(i).is_some_and(|u| u == w);
    let mut i = 2;
    let if_exists = is(2, "IF") && is(3, "EXISTS");
    if if_exists {
        i = 4;
    }
    let only = is(i, "ONLY");
    if only {
        i += 1;
    }
    let syntax = || PgError::syntax(format!("syntax error at or near \"{keyword}\""), None);
    let alter = (i + 1..upper.len())
        .find(|&k| upper[k] == "ALTER")
        .ok_or_else(syntax)?;
    let parts: Vec<String> = words[i..alter]
        .iter()
        .filter(|w| *w != "." && *w != "*")
        .map(|w| name_of(w))
        .collect();
    let (schema, relname) = match parts.as_slice() {
        [n] => (None, n.clone()),
        [s, n] => (Some(s.clone()), n.clone()),
        _ => return Err(syntax()),
    };
    let mut k = alter + 1;
    if is(k, "COLUMN") {
        k += 1;
    }
    let column = words.get(k).map(|w| name_of(w)).ok_or_else(syntax)?;
    Ok(AlterColumnHead {
        if_exists,
        only,
        schema,
        relname,
        column,
        rest: upper[k + 1..].to_vec(),
        rest_words: words[k + 1..].to_vec(),
    })
}

/// ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] c SET (...) | RESET
/// (...) | SET STORAGE {PLAIN | EXTERNAL | EXTENDED | MAIN}: the column's
/// `attoptions` (`n_distinct`, `n_distinct_inherited`, which ANALYZE
/// takes instead of its estimate) or `attstorage` (kept and shown; values
/// are never moved out of line here), in the inheritance children too
/// unless ONLY.
pub(crate) fn alter_column_options(session: &mut Session, text: &str) -> PgResult<Outcome> {
    use catalog::reloptions::{OptionKind, transform, validate};
    crate::xact::check_writable(session, "ALTER TABLE")?;
    let head = alter_column_head(text, "SET")?;
    let rest = &head.rest;
    enum Change {
        Options(Vec<catalog::reloptions::OptionItem>, bool),
        Storage(char),
        Compression(char),
    }
    let change = if rest.len() == 3 && rest[0] == "SET" && rest[1] == "COMPRESSION" {
        Change::Compression(compression_method(&head.rest_words[2])?)
    } else if rest.len() == 3 && rest[0] == "SET" && rest[1] == "STORAGE" {
        Change::Storage(match rest[2].as_str() {
            "PLAIN" => 'p',
            "EXTERNAL" => 'e',
            "EXTENDED" => 'x',
            "MAIN" => 'm',
            _ => {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("invalid storage type \"{}\"", head.rest_words[2]),
                ));
            }
        })
    } else if (rest[0] == "SET" || rest[0] == "RESET") && rest.get(1).is_some_and(|w| w == "(") {
        let stmts = crate::syntax::parse(&format!(
            "ALTER TABLE x {} {}",
            rest[0],
            head.rest_words[1..].join(" ")
        ))?;
        match stmts.as_slice() {
            [Statement::AlterTable(at)] => match at.operations.as_slice() {
                [AlterTableOperation::SetOptionsParens { options }] => {
                    Change::Options(super::reloptions::items(options)?, false)
                }
                [AlterTableOperation::ResetOptions { options }] => {
                    Change::Options(super::reloptions::reset_items(options)?, true)
                }
                _ => {
                    return Err(PgError::feature_not_supported(
                        "ALTER COLUMN ... SET (...) with other ALTER TABLE subcommands",
                    ));
                }
            },
            _ => return Err(PgError::syntax("syntax error at or near \"SET\"", None)),
        }
    } else {
        return Err(PgError::feature_not_supported(
            "ALTER COLUMN ... SET (...) with other ALTER TABLE subcommands",
        ));
    };
    alter_column_in_tree(
        session,
        &head,
        LockMode::AccessExclusive,
        "is not a table, materialized view, or foreign table",
        |session, table, col| match &change {
            Change::Storage(c) => {
                let default = catalog::system::type_storage_char(col.type_oid);
                if default == 'p' && *c != 'p' {
                    return Err(PgError::new(
                        SqlState::FeatureNotSupported,
                        format!(
                            "column data type {} can only have storage PLAIN",
                            types::oid::format_type(col.type_oid, -1)
                        ),
                    ));
                }
                let stored = if *c == default { '\0' } else { *c };
                update_attribute(session, table.oid, col.attnum, |a| a.storage = stored)
            }
            Change::Compression(c) => {
                check_compressible(col.type_oid)?;
                update_attribute(session, table.oid, col.attnum, |a| a.compression = *c)
            }
            Change::Options(items, reset) => {
                let attrs = with_reader(session, |r| r.attributes(table.oid))?;
                let old = attrs
                    .iter()
                    .find(|(_, a)| a.attnum == col.attnum)
                    .and_then(|(_, a)| a.options.clone())
                    .unwrap_or_default();
                let options = transform(&old, items, None, &[], *reset)?;
                validate(&options, OptionKind::Attribute)?;
                update_attribute(session, table.oid, col.attnum, |a| {
                    a.options = Some(options).filter(|o| !o.is_empty())
                })
            }
        },
    )
}

/// `attcompression` for a COMPRESSION clause's method (`default`: none).
pub(crate) fn compression_method(word: &str) -> PgResult<char> {
    // An identifier: folded to lower case unless quoted.
    let name = match word.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => word.to_lowercase(),
    };
    match name.as_str() {
        "pglz" => Ok('p'),
        "lz4" => Ok('l'),
        "default" => Ok('\0'),
        _ => Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!("invalid compression method \"{name}\""),
        )),
    }
}

/// A COMPRESSION clause is for the types whose values may be compressed
/// (`typstorage` other than plain).
pub(crate) fn check_compressible(type_oid: u32) -> PgResult<()> {
    if catalog::system::type_storage_char(type_oid) == 'p' {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            format!(
                "column data type {} does not support compression",
                types::oid::format_type(type_oid, -1)
            ),
        ));
    }
    Ok(())
}

pub(crate) fn drop_expression_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER TABLE")?;
    let AlterColumnHead {
        if_exists,
        only,
        schema,
        relname,
        column,
        rest,
        ..
    } = alter_column_head(text, "DROP")?;
    let is = |i: usize, w: &str| rest.get(i).is_some_and(|u| u == w);
    if !(is(0, "DROP") && is(1, "EXPRESSION")) {
        return Err(PgError::feature_not_supported(
            "DROP EXPRESSION with other ALTER TABLE subcommands",
        ));
    }
    let missing_ok = match rest.len() - 2 {
        0 => false,
        2 if is(2, "IF") && is(3, "EXISTS") => true,
        _ => return Err(PgError::syntax("syntax error at or near \"DROP\"", None)),
    };
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        super::missing_relation(session, "relation", &relname, if_exists)?;
        return Ok(Outcome::Command("ALTER TABLE".into()));
    };
    if !matches!(rel.kind, 'r' | 'p') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not a table"),
        ));
    }
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    crate::acl::require_relation_owner(session, rel.oid)?;
    if only && !rel.children.is_empty() {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "ALTER TABLE / DROP EXPRESSION must be applied to child tables too",
        ));
    }
    drop_expression(session, &rel, &column, missing_ok, false)?;
    Ok(Outcome::Command("ALTER TABLE".into()))
}

/// DROP EXPRESSION of column `name` of `table` (`recursing`: for a child
/// of the table named), then of the children's column.
fn drop_expression(
    session: &mut Session,
    table: &RelationInfo,
    name: &str,
    missing_ok: bool,
    recursing: bool,
) -> PgResult<()> {
    let Some(col) = table
        .columns
        .iter()
        .find(|c| !c.dropped && c.name == name)
        .cloned()
    else {
        return Err(no_such_column(&table.name, name));
    };
    if !recursing && col.inhcount > 0 {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            "cannot drop generation expression from inherited column",
        ));
    }
    if col.generated == '\0' {
        let message = format!(
            "column \"{name}\" of relation \"{}\" is not a stored generated column",
            table.name
        );
        if missing_ok {
            session.notice("00000", format!("{message}, skipping"));
            return Ok(());
        }
        return Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            message,
        ));
    }
    replace_default(session, table, col.attnum, None)?;
    crate::xact::command_counter_increment(session)?;
    update_attribute(session, table.oid, col.attnum, |a| a.generated = '\0')?;
    session.relcache.generated.remove(&table.oid);
    for &c in &table.children {
        crate::xact::command_counter_increment(session)?;
        let child = fresh(session, c)?;
        drop_expression(session, &child, name, missing_ok, true)?;
    }
    Ok(())
}

/// `ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] column SET
/// STATISTICS n`: the column's `attstattarget` (-1 the default, 0 not
/// analyzed), on the inheritance children too unless ONLY.
pub(crate) fn set_statistics_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER TABLE")?;
    let head = alter_column_head(text, "SET")?;
    let rest = &head.rest;
    if !(rest.len() == 3 && rest[0] == "SET" && rest[1] == "STATISTICS") {
        return Err(PgError::feature_not_supported(
            "SET STATISTICS with other ALTER TABLE subcommands",
        ));
    }
    let mut target: i32 = rest[2]
        .parse()
        .map_err(|_| PgError::syntax(format!("syntax error at or near \"{}\"", rest[2]), None))?;
    if target < -1 {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!("statistics target {target} is too low"),
        ));
    }
    if target > 10_000 {
        target = 10_000;
        session.warn("01000", "lowering statistics target to 10000");
    }
    alter_column_in_tree(
        session,
        &head,
        LockMode::ShareUpdateExclusive,
        "is not a table, materialized view, index, partitioned table, or foreign table",
        |session, table, col| {
            update_attribute(session, table.oid, col.attnum, |a| a.stat_target = target)
        },
    )
}

/// The walk shared by the ALTER TABLE ... ALTER COLUMN forms kept as text:
/// finds the relation (IF EXISTS: a NOTICE), refuses other kinds than
/// tables, materialized views and foreign tables (`not_kind`, PostgreSQL's
/// wording for the form) and system columns, locks the relation and checks
/// its owner, then has `change` alter the column in the table and, unless
/// ONLY, in each inheritance child.
fn alter_column_in_tree(
    session: &mut Session,
    head: &AlterColumnHead,
    lock: LockMode,
    not_kind: &str,
    mut change: impl FnMut(
        &mut Session,
        &RelationInfo,
        &catalog::heap_catalog::ColumnInfo,
    ) -> PgResult<()>,
) -> PgResult<Outcome> {
    let Some(rel) = relcache::lookup_relation(session, head.schema.as_deref(), &head.relname)?
    else {
        super::missing_relation(session, "relation", &head.relname, head.if_exists)?;
        return Ok(Outcome::Command("ALTER TABLE".into()));
    };
    if !matches!(rel.kind, 'r' | 'p' | 'm' | 'f') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{}\" {not_kind}", head.relname),
        ));
    }
    if ["ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"].contains(&head.column.as_str()) {
        return Err(PgError::feature_not_supported(format!(
            "cannot alter system column \"{}\"",
            head.column
        )));
    }
    crate::xact::lock_relation(session, rel.oid, lock)?;
    crate::acl::require_relation_owner(session, rel.oid)?;
    let mut todo = vec![rel.oid];
    while let Some(oid) = todo.pop() {
        let table = fresh(session, oid)?;
        let Some(col) = table
            .columns
            .iter()
            .find(|c| !c.dropped && c.name == head.column)
            .cloned()
        else {
            return Err(no_such_column(&table.name, &head.column));
        };
        change(session, &table, &col)?;
        crate::xact::command_counter_increment(session)?;
        if !head.only {
            todo.extend(table.children.iter().copied());
        }
    }
    Ok(Outcome::Command("ALTER TABLE".into()))
}

pub(crate) fn set_schema(session: &mut Session, text: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER TABLE")?;
    let words = crate::syntax::words(text)?;
    let name_of = |w: &str| match w.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        Some(q) => q.replace("\"\"", "\""),
        None => w.to_lowercase(),
    };
    let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    let mut i = 2;
    let if_exists =
        upper.get(2).is_some_and(|w| w == "IF") && upper.get(3).is_some_and(|w| w == "EXISTS");
    if if_exists {
        i = 4;
    }
    let set = upper
        .iter()
        .rposition(|w| w == "SET")
        .filter(|&s| upper.get(s + 1).is_some_and(|w| w == "SCHEMA") && s > i)
        .ok_or_else(|| PgError::syntax("syntax error at or near \"SET\"", None))?;
    let parts: Vec<String> = words[i..set]
        .iter()
        .filter(|w| *w != ".")
        .map(|w| name_of(w))
        .collect();
    let (schema, relname) = match parts.as_slice() {
        [n] => (None, n.clone()),
        [s, n] => (Some(s.clone()), n.clone()),
        _ => return Err(PgError::syntax("syntax error at or near \"SET\"", None)),
    };
    let Some(target) = words.get(set + 2).map(|w| name_of(w)) else {
        return Err(PgError::syntax("syntax error at end of input", None));
    };
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        if if_exists {
            session.notice(
                "00000",
                format!("relation \"{relname}\" does not exist, skipping"),
            );
            return Ok(Outcome::Command("ALTER TABLE".into()));
        }
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{relname}\" does not exist"),
        ));
    };
    let Some(ns) = relcache::namespace_oid(session, &target)? else {
        return Err(PgError::new(
            SqlState::InvalidSchemaName,
            format!("schema \"{target}\" does not exist"),
        ));
    };
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    if ns == rel.namespace_oid {
        return Ok(Outcome::Command("ALTER TABLE".into()));
    }
    if relcache::lookup_relation(session, Some(&target), &rel.name)?.is_some() {
        return Err(PgError::new(
            SqlState::DuplicateTable,
            format!(
                "relation \"{}\" already exists in schema \"{target}\"",
                rel.name
            ),
        ));
    }
    let sequences = super::sequence::owned_sequences(session, rel.oid)?;
    let mut moving: Vec<u32> = vec![rel.oid];
    moving.extend(rel.indexes.iter().map(|ix| ix.oid));
    moving.extend(sequences.iter().copied());
    let db = session.database_oid;
    // The table's defaults name its sequences by schema (PostgreSQL keeps
    // their OIDs): they follow the move.
    let mut renames = Vec::new();
    for seq in &sequences {
        if let Some(info) = relcache::relation_by_oid(session, *seq)? {
            let literal = |schema: &str| {
                let q = types::guc::quote_identifier;
                format!(
                    "'{}'",
                    format!("{}.{}", q(schema), q(&info.name)).replace('\'', "''")
                )
            };
            renames.push((literal(&info.namespace), literal(&target)));
        }
    }
    if !renames.is_empty() {
        let defaults = with_reader(session, |r| r.defaults(rel.oid))?;
        for (tid, attnum, text) in defaults {
            let mut new_text = text.clone();
            for (old, new) in &renames {
                new_text = new_text.replace(old, new);
            }
            if new_text == text {
                continue;
            }
            crate::xact::with_write(session, |env, w| {
                let writer = CatalogWriter { env, db_oid: db };
                writer.delete_rows(&[(PG_ATTRDEF, tid)], w)?;
                let oid = env.tx.new_oid()?;
                writer.add_default(w, oid, rel.oid, attnum, &new_text)
            })?;
        }
    }
    for oid in moving {
        let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
            continue;
        };
        class.namespace = ns;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
        })?;
        crate::xact::command_counter_increment(session)?;
    }
    // The row type moves with the table.
    super::typecmds::update_row_type(session, rel.oid, &rel.name, Some(ns))?;
    catalog_changed(session);
    Ok(Outcome::Command("ALTER TABLE".into()))
}
