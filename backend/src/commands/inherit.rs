//! Table inheritance in the catalog (the parts of PostgreSQL's
//! `tablecmds.c` that CREATE TABLE ... INHERITS / PARTITION OF and ALTER
//! TABLE ... ATTACH / DETACH PARTITION and [NO] INHERIT need): a child's
//! columns are its parents' live columns first, merged by name, then its
//! own; `pg_inherits` links it to each parent and the parent's
//! `relhassubclass` is set; its parents' CHECK constraints (but NO INHERIT
//! ones) are copied. Partition bounds and keys are
//! [`super::partition`]'s.

use std::sync::Arc;

use catalog::heap_catalog::{CatalogWriter, RelationInfo};
use catalog::system::PartitionedTableRow;
use sqlparser::ast::{CreateTable, ForValues};
use types::{PgError, PgResult, SqlState};

use super::partition::{
    Bound, check_default_rows, count_rows, key_of, new_bound, partition_bounds,
    partition_check_sql, qualified,
};
use super::*;
use crate::relcache;
use crate::session::Session;

/// The parents a CREATE TABLE names (INHERITS, or PARTITION OF), checked
/// as PostgreSQL checks them.
pub(crate) fn parents_of(
    session: &mut Session,
    ct: &CreateTable,
) -> PgResult<Vec<Arc<RelationInfo>>> {
    let names: Vec<&sqlparser::ast::ObjectName> = match (&ct.inherits, &ct.partition_of) {
        (Some(list), _) => list.iter().collect(),
        (None, Some(p)) => vec![p],
        (None, None) => return Ok(Vec::new()),
    };
    let mut out: Vec<Arc<RelationInfo>> = Vec::new();
    for n in names {
        let (schema, rel) = split_name(n)?;
        let Some(info) = relcache::lookup_relation(session, schema.as_deref(), &rel)? else {
            return Err(PgError::new(
                SqlState::UndefinedTable,
                format!("relation \"{n}\" does not exist"),
            ));
        };
        if ct.partition_of.is_some() {
            if info.kind != 'p' {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("\"{}\" is not partitioned", info.name),
                ));
            }
        } else if info.kind == 'p' {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!("cannot inherit from partitioned table \"{}\"", info.name),
            ));
        } else if info.partition_parent != 0 {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!("cannot inherit from partition \"{}\"", info.name),
            ));
        } else if info.kind != 'r' {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!("inherited relation \"{}\" is not a table", info.name),
            ));
        }
        if info.persistence == 't' && !ct.temporary {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!(
                    "cannot {} temporary relation \"{}\"",
                    if ct.partition_of.is_some() {
                        "create a permanent relation as partition of"
                    } else {
                        "inherit from"
                    },
                    info.name
                ),
            ));
        }
        if out.iter().any(|p| p.oid == info.oid) {
            return Err(PgError::new(
                SqlState::DuplicateTable,
                format!(
                    "relation \"{}\" would be inherited from more than once",
                    info.name
                ),
            ));
        }
        out.push(info);
    }
    Ok(out)
}

/// The columns of a table with parents: the parents' live columns first
/// (merged by name), then its own (a local column of an inherited name is
/// merged into it). A partition's columns are its parent's.
pub(crate) fn merge_columns(
    session: &mut Session,
    parents: &[Arc<RelationInfo>],
    local: Vec<super::tablecmds::ColumnPlan>,
    partition: bool,
) -> PgResult<Vec<super::tablecmds::ColumnPlan>> {
    use catalog::heap_catalog::NewColumn;
    let mut out: Vec<super::tablecmds::ColumnPlan> = Vec::new();
    let conflict = |name: &str, a: u32, a_mod: i32, b: u32, b_mod: i32, inherited: bool| {
        PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "{}column \"{name}\" has a type conflict",
                if inherited { "inherited " } else { "" }
            ),
        )
        .with_detail(format!(
            "{} versus {}",
            types::oid::format_type(a, a_mod),
            types::oid::format_type(b, b_mod)
        ))
    };
    for p in parents {
        for c in p.columns.iter().filter(|c| !c.dropped) {
            if let Some(have) = out.iter_mut().find(|o| o.column.name == c.name) {
                session.notice(
                    "00000",
                    format!(
                        "merging multiple inherited definitions of column \"{}\"",
                        c.name
                    ),
                );
                if have.column.type_oid != c.type_oid || have.column.typmod != c.typmod {
                    return Err(conflict(
                        &c.name,
                        have.column.type_oid,
                        have.column.typmod,
                        c.type_oid,
                        c.typmod,
                        true,
                    ));
                }
                if have.column.generated != c.generated {
                    return Err(PgError::new(
                        SqlState::DatatypeMismatch,
                        format!("inherited column \"{}\" has a generation conflict", c.name),
                    ));
                }
                merge_compression(&mut have.column.compression, c.compression, &c.name)?;
                if c.generated != '\0' && have.column.default != c.default {
                    return Err(PgError::new(
                        SqlState::InvalidColumnDefinition,
                        format!(
                            "column \"{}\" inherits conflicting generation expressions",
                            c.name
                        ),
                    ));
                }
                have.column.not_null |= c.not_null;
                have.column.inhcount += 1;
                continue;
            }
            out.push(super::tablecmds::ColumnPlan {
                column: NewColumn {
                    name: c.name.clone(),
                    type_oid: c.type_oid,
                    typmod: c.typmod,
                    not_null: c.not_null,
                    default: if c.identity == '\0' {
                        c.default.clone()
                    } else {
                        None
                    },
                    identity: '\0',
                    generated: c.generated,
                    is_local: false,
                    inhcount: 1,
                    collation: c.collation,
                    compression: c.compression,
                },
                sequence: None,
                index_specs: Vec::new(),
                checks: Vec::new(),
                foreign_keys: Vec::new(),
            });
        }
    }
    for plan in local {
        let Some(have) = out.iter_mut().find(|o| o.column.name == plan.column.name) else {
            if partition {
                return Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!("column \"{}\" does not exist", plan.column.name),
                ));
            }
            out.push(plan);
            continue;
        };
        if !partition {
            session.notice(
                "00000",
                format!(
                    "merging column \"{}\" with inherited definition",
                    plan.column.name
                ),
            );
        }
        let c = &plan.column;
        if !partition && (have.column.type_oid != c.type_oid || have.column.typmod != c.typmod) {
            return Err(conflict(
                &c.name,
                have.column.type_oid,
                have.column.typmod,
                c.type_oid,
                c.typmod,
                false,
            ));
        }
        if have.column.generated != '\0' {
            let refused = if c.generated != '\0' {
                Some("child column \"{}\" specifies generation expression")
            } else if c.default.is_some() {
                Some("column \"{}\" inherits from generated column but specifies default")
            } else if plan.sequence.is_some() {
                Some("column \"{}\" inherits from generated column but specifies identity")
            } else {
                None
            };
            if let Some(message) = refused {
                let mut e = PgError::new(
                    SqlState::InvalidColumnDefinition,
                    message.replace("{}", &c.name),
                );
                if c.generated != '\0' {
                    e = e.with_hint("Omit the generation expression in the definition of the child table column to inherit the generation expression from the parent table.");
                }
                return Err(e);
            }
        }
        if c.generated != '\0' {
            have.column.generated = c.generated;
        }
        merge_compression(&mut have.column.compression, c.compression, &c.name)?;
        have.column.not_null |= c.not_null;
        have.column.is_local = !partition;
        if c.default.is_some() {
            have.column.default = c.default.clone();
        }
        let mut plan = plan;
        have.index_specs.append(&mut plan.index_specs);
        have.checks.append(&mut plan.checks);
        have.foreign_keys.append(&mut plan.foreign_keys);
    }
    Ok(out)
}

/// Merges the compression method `other` of a definition of column `name`
/// into the one `have` of its earlier definitions: a method given twice
/// must be the same (PostgreSQL's `MergeAttributes`).
fn merge_compression(have: &mut char, other: char, name: &str) -> PgResult<()> {
    let method = |c: char| if c == 'l' { "lz4" } else { "pglz" };
    match (*have, other) {
        (_, '\0') => Ok(()),
        ('\0', o) => {
            *have = o;
            Ok(())
        }
        (h, o) if h == o => Ok(()),
        (h, o) => Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!("column \"{name}\" has a compression method conflict"),
        )
        .with_detail(format!("{} versus {}", method(h), method(o)))),
    }
}

/// The CHECK constraints a new child inherits from its parents.
pub(crate) fn inherited_checks(
    parents: &[Arc<RelationInfo>],
) -> Vec<super::constraints::CheckSpec> {
    let mut out: Vec<super::constraints::CheckSpec> = Vec::new();
    for p in parents {
        for c in &p.constraints {
            if c.kind != catalog::system::CONSTRAINT_CHECK || c.no_inherit {
                continue;
            }
            if let Some(o) = out
                .iter_mut()
                .find(|o| o.name.as_deref() == Some(c.name.as_str()))
            {
                o.inhcount += 1;
                continue;
            }
            out.push(super::constraints::CheckSpec {
                name: Some(c.name.clone()),
                expr: c.expr.clone().unwrap_or_else(|| "true".into()),
                column: None,
                not_valid: false,
                no_inherit: false,
                inhcount: 1,
            });
        }
    }
    out
}

/// Rewrites the `pg_class` row of `rel` with `change` made to it.
fn change_class(
    session: &mut Session,
    rel: u32,
    change: impl FnOnce(&mut catalog::system::ClassRow),
) -> PgResult<()> {
    crate::xact::command_counter_increment(session)?;
    let found = crate::relcache::with_reader(session, |r| r.class_by_oid(rel))?;
    let Some((tid, mut class)) = found else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {rel}"
        )));
    };
    change(&mut class);
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })
}

/// Links a new table to its parents: `pg_inherits` rows, the parents'
/// `relhassubclass`, and for a partition `relispartition` and its bound
/// (or for a partitioned table its key).
pub(crate) fn link(
    session: &mut Session,
    oid: u32,
    parents: &[Arc<RelationInfo>],
    bound: Option<String>,
    key: Option<PartitionedTableRow>,
) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        for (i, p) in parents.iter().enumerate() {
            writer.add_inherits(w, oid, p.oid, i as i32 + 1)?;
        }
        Ok(())
    })?;
    for p in parents {
        change_class(session, p.oid, |c| c.has_subclass = true)?;
    }
    if let Some(b) = bound {
        change_class(session, oid, |c| {
            c.is_partition = true;
            c.partbound = Some(b);
        })?;
    }
    if let Some(key) = key {
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.put_partitioned_table(w, None, &key)
        })?;
    }
    catalog_changed(session);
    Ok(())
}

/// Rewrites the `pg_attribute` rows of `rel`'s live columns with
/// `change` made to each.
fn change_columns(
    session: &mut Session,
    rel: u32,
    mut change: impl FnMut(&mut catalog::system::AttributeRow),
) -> PgResult<()> {
    crate::xact::command_counter_increment(session)?;
    let attrs = crate::relcache::with_reader(session, |r| r.attributes(rel))?;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        for (tid, mut a) in attrs.into_iter().filter(|(_, a)| !a.dropped) {
            change(&mut a);
            writer.update_attribute(tid, &a, w)?;
        }
        Ok(())
    })
}

/// The table an ALTER TABLE ... ATTACH / DETACH PARTITION or [NO]
/// INHERIT names, locked.
fn named_table(
    session: &mut Session,
    name: &sqlparser::ast::ObjectName,
) -> PgResult<Arc<RelationInfo>> {
    let (schema, rel) = split_name(name)?;
    let Some(info) = relcache::lookup_relation(session, schema.as_deref(), &rel)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{name}\" does not exist"),
        ));
    };
    crate::xact::lock_relation(session, info.oid, storage::lmgr::LockMode::AccessExclusive)?;
    relcache::accept_invalidations(session);
    relcache::relation_by_oid(session, info.oid)?.ok_or_else(|| {
        PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{name}\" does not exist"),
        )
    })
}

/// ALTER TABLE parent ATTACH PARTITION name FOR VALUES ... | DEFAULT: the
/// table becomes a partition once its columns match the parent's and its
/// rows (and the default partition's) fit the bound.
pub(crate) fn attach(
    session: &mut Session,
    parent: &RelationInfo,
    name: &sqlparser::ast::ObjectName,
    spec: &ForValues,
    sql: &str,
) -> PgResult<()> {
    if parent.kind != 'p' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("table \"{}\" is not partitioned", parent.name),
        ));
    }
    let child = named_table(session, name)?;
    if !matches!(child.kind, 'r' | 'p' | 'f') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{}\" is not a table", child.name),
        ));
    }
    if child.kind == 'f' && parent.indexes.iter().any(|ix| ix.row.unique) {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!(
                "cannot attach foreign table \"{}\" as partition of partitioned table \"{}\"",
                child.name, parent.name
            ),
        )
        .with_detail(format!(
            "Partitioned table \"{}\" contains unique indexes.",
            parent.name
        )));
    }
    // A foreign table's rows are not checked against the bound (PostgreSQL
    // does not read them either).
    let _foreign = (child.kind == 'f').then(super::foreigncmds::ForeignDdl::enter);
    if child.partition_parent != 0 {
        return Err(PgError::new(
            SqlState::ObjectInUse,
            format!("\"{}\" is already a partition", child.name),
        ));
    }
    if child.oid == parent.oid || below(session, child.oid, parent.oid)? {
        return Err(
            PgError::new(SqlState::DuplicateTable, "circular inheritance not allowed").with_detail(
                format!(
                    "\"{}\" is already a child of \"{}\".",
                    parent.name, child.name
                ),
            ),
        );
    }
    if !crate::relcache::with_reader(session, |r| r.inherits_parents(child.oid))?.is_empty() {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            "cannot attach inheritance child as partition",
        ));
    }
    if child.kind == 'r' && !child.children.is_empty() {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            "cannot attach inheritance parent as partition",
        ));
    }
    if child.persistence != parent.persistence {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!(
                "cannot attach a {} relation as partition of {} relation \"{}\"",
                if child.persistence == 't' {
                    "temporary"
                } else {
                    "permanent"
                },
                if parent.persistence == 't' {
                    "temporary"
                } else {
                    "permanent"
                },
                parent.name
            ),
        ));
    }
    for c in child.columns.iter().filter(|c| !c.dropped) {
        if !parent
            .columns
            .iter()
            .any(|p| !p.dropped && p.name == c.name)
        {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "table \"{}\" contains column \"{}\" not found in parent \"{}\"",
                    child.name, c.name, parent.name
                ),
            )
            .with_detail("The new partition may contain only the columns present in parent."));
        }
    }
    has_parent_columns(&child, parent)?;
    let text = new_bound(session, parent, &child.name, spec, sql, false)?;
    let Some(key) = key_of(session, parent)? else {
        return Err(PgError::internal("partitioned table without a key"));
    };
    let bound = Bound::parse(&text, &key)?;
    let siblings: Vec<(String, Bound)> = partition_bounds(session, parent, &key)?;
    let sibling_bounds: Vec<Bound> = siblings.iter().map(|(_, b)| b.clone()).collect();
    let mut parts: Vec<String> = bound
        .constraint_sql(&key, &sibling_bounds)
        .into_iter()
        .collect();
    parts.extend(partition_check_sql(session, parent, 0)?);
    if !parts.is_empty() {
        let cond = parts.join(" AND ");
        let n = count_rows(
            session,
            &format!(
                "SELECT count(*) FROM {} WHERE NOT ({cond})",
                qualified(&child)
            ),
        )?;
        if n > 0 {
            return Err(PgError::new(
                SqlState::CheckViolation,
                format!(
                    "partition constraint of relation \"{}\" is violated by some row",
                    child.name
                ),
            ));
        }
    }
    check_default_rows(session, parent, &key, &bound)?;
    let parents = [Arc::new(parent.clone())];
    link(session, child.oid, &parents, Some(text), None)?;
    // The parent's indexes, unless the table has one of the same columns.
    crate::xact::command_counter_increment(session)?;
    relcache::accept_invalidations(session);
    let fresh_child = relcache::relation_by_oid(session, child.oid)?;
    for ix in &parent.indexes {
        if child.kind == 'f' {
            break;
        }
        let Some(spec) = super::indexcmds::spec_of(parent, ix) else {
            continue;
        };
        let has = fresh_child.as_ref().is_some_and(|c| {
            c.indexes.iter().any(|own| {
                super::indexcmds::spec_of(c, own).is_some_and(|o| {
                    o.unique == spec.unique
                        && o.columns
                            .iter()
                            .map(|x| &x.name)
                            .eq(spec.columns.iter().map(|x| &x.name))
                })
            })
        });
        if !has {
            super::indexcmds::define_index(session, child.oid, &spec)?;
        }
    }
    change_columns(session, child.oid, |a| {
        a.inhcount += 1;
        a.is_local = false;
    })?;
    catalog_changed(session);
    Ok(())
}

/// ALTER TABLE parent DETACH PARTITION name: the partition becomes a table
/// of its own, its rows kept.
pub(crate) fn detach(
    session: &mut Session,
    parent: &RelationInfo,
    name: &sqlparser::ast::ObjectName,
) -> PgResult<()> {
    if parent.kind != 'p' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("table \"{}\" is not partitioned", parent.name),
        ));
    }
    let child = named_table(session, name)?;
    if child.partition_parent != parent.oid {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!(
                "relation \"{}\" is not a partition of relation \"{}\"",
                child.name, parent.name
            ),
        ));
    }
    unlink(session, &child, parent.oid)?;
    change_class(session, child.oid, |c| {
        c.is_partition = false;
        c.partbound = None;
    })?;
    change_columns(session, child.oid, |a| {
        a.inhcount = (a.inhcount - 1).max(0);
        a.is_local = true;
    })?;
    catalog_changed(session);
    Ok(())
}

/// A table to become a child of `parent` must have each of its columns,
/// of the same type, NOT NULL where the parent's is.
fn has_parent_columns(child: &RelationInfo, parent: &RelationInfo) -> PgResult<()> {
    for p in parent.columns.iter().filter(|p| !p.dropped) {
        let mismatch = |m: String| Err(PgError::new(SqlState::DatatypeMismatch, m));
        match child
            .columns
            .iter()
            .find(|c| !c.dropped && c.name == p.name)
        {
            None => return mismatch(format!("child table is missing column \"{}\"", p.name)),
            Some(c) if c.type_oid != p.type_oid || c.typmod != p.typmod => {
                return mismatch(format!(
                    "child table \"{}\" has different type for column \"{}\"",
                    child.name, p.name
                ));
            }
            Some(c) if p.not_null && !c.not_null => {
                return mismatch(format!(
                    "column \"{}\" in child table must be marked NOT NULL",
                    p.name
                ));
            }
            Some(c) if p.generated != '\0' && c.generated == '\0' => {
                return mismatch(format!(
                    "column \"{}\" in child table must be a generated column",
                    p.name
                ));
            }
            Some(c) if p.generated != '\0' && c.default != p.default => {
                return mismatch(format!(
                    "column \"{}\" in child table has a conflicting generation expression",
                    p.name
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Deletes the `pg_inherits` row linking `child` to `parent`.
fn unlink(session: &mut Session, child: &RelationInfo, parent: u32) -> PgResult<()> {
    let rows: Vec<(u32, storage::page::ItemPointer)> =
        crate::relcache::with_reader(session, |r| r.inherits_parents(child.oid))?
            .into_iter()
            .filter(|(_, p, _)| *p == parent)
            .map(|(t, _, _)| (catalog::system::PG_INHERITS, t))
            .collect();
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })
}

/// ALTER TABLE child INHERIT parent: the child must have the parent's
/// columns already.
pub(crate) fn inherit(
    session: &mut Session,
    child: &RelationInfo,
    name: &sqlparser::ast::ObjectName,
) -> PgResult<()> {
    let parent = named_table(session, name)?;
    if parent.kind == 'p' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            "cannot change inheritance of a partitioned table",
        ));
    }
    if child.partition_parent != 0 || child.kind == 'p' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            "cannot change inheritance of partitioned table",
        ));
    }
    if parent.oid == child.oid || below(session, child.oid, parent.oid)? {
        return Err(
            PgError::new(SqlState::DuplicateTable, "circular inheritance not allowed").with_detail(
                format!(
                    "\"{}\" is already a child of \"{}\".",
                    parent.name, child.name
                ),
            ),
        );
    }
    let existing = crate::relcache::with_reader(session, |r| r.inherits_parents(child.oid))?;
    if existing.iter().any(|(_, p, _)| *p == parent.oid) {
        return Err(PgError::new(
            SqlState::DuplicateTable,
            format!(
                "relation \"{}\" would be inherited from more than once",
                parent.name
            ),
        ));
    }
    has_parent_columns(child, &parent)?;
    let seqno = existing.iter().map(|r| r.2).max().unwrap_or(0) + 1;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.add_inherits(w, child.oid, parent.oid, seqno)
    })?;
    change_class(session, parent.oid, |c| c.has_subclass = true)?;
    let names: Vec<String> = parent
        .columns
        .iter()
        .filter(|c| !c.dropped)
        .map(|c| c.name.clone())
        .collect();
    change_columns(session, child.oid, |a| {
        if names.contains(&a.name) {
            a.inhcount += 1;
        }
    })?;
    catalog_changed(session);
    Ok(())
}

/// ALTER TABLE child NO INHERIT parent.
pub(crate) fn no_inherit(
    session: &mut Session,
    child: &RelationInfo,
    name: &sqlparser::ast::ObjectName,
) -> PgResult<()> {
    let parent = named_table(session, name)?;
    if child.partition_parent != 0 {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            "cannot change inheritance of a partition",
        ));
    }
    let existing = crate::relcache::with_reader(session, |r| r.inherits_parents(child.oid))?;
    if !existing.iter().any(|(_, p, _)| *p == parent.oid) {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!(
                "relation \"{}\" is not a parent of relation \"{}\"",
                parent.name, child.name
            ),
        ));
    }
    unlink(session, child, parent.oid)?;
    let names: Vec<String> = parent
        .columns
        .iter()
        .filter(|c| !c.dropped)
        .map(|c| c.name.clone())
        .collect();
    change_columns(session, child.oid, |a| {
        if names.contains(&a.name) {
            a.inhcount = (a.inhcount - 1).max(0);
            if a.inhcount == 0 {
                a.is_local = true;
            }
        }
    })?;
    catalog_changed(session);
    Ok(())
}

/// Whether `candidate` descends from `rel` (so that making `rel` a child
/// of it would close a cycle).
fn below(session: &mut Session, rel: u32, candidate: u32) -> PgResult<bool> {
    let mut todo = vec![rel];
    let mut seen = 0;
    while let Some(r) = todo.pop() {
        seen += 1;
        if seen > 10_000 {
            break;
        }
        let Some(info) = relcache::relation_by_oid(session, r)? else {
            continue;
        };
        for &c in &info.children {
            if c == candidate {
                return Ok(true);
            }
            todo.push(c);
        }
    }
    Ok(false)
}
