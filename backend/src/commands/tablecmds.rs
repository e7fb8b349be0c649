//! CREATE TABLE, DROP TABLE and TRUNCATE (PostgreSQL's `tablecmds.c` and
//! `heap.c`, for plain heap tables).
//!
//! Every change is catalog rows written in the session's transaction plus a
//! relation file: a new file is unlinked if the transaction aborts, a file a
//! committed DROP or TRUNCATE left behind is unlinked after the commit. So a
//! rolled-back CREATE TABLE leaves no trace, files included.

use sqlparser::ast::{
    ColumnOption, CreateTable, DataType, GeneratedAs, GeneratedExpressionMode, ObjectName,
};

use catalog::heap_catalog::{CatalogWriter, NewColumn, RelationInfo};
use catalog::system::PG_CATALOG_NAMESPACE;
use storage::heap::tuple::{MAX_HEAP_ATTRIBUTE_NUMBER, type_storage};
use storage::lmgr::{LockMode, LockTag};
use storage::smgr::RelFileLocator;
use types::oid::{INT2, INT4, INT8};
use types::{PgError, PgResult, SqlState};

use super::constraints::CheckSpec;
use super::foreign_keys::ForeignKeySpec;
use super::sequence::SeqOptions;

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// What one `LIKE source` element of CREATE TABLE copies besides the
/// columns' names, types, collations and NOT NULL.
#[derive(Debug, Clone, Copy, Default)]
struct LikeOptions {
    storage: bool,
    compression: bool,
    comments: bool,
    constraints: bool,
    defaults: bool,
    generated: bool,
    identity: bool,
    indexes: bool,
    statistics: bool,
}

impl LikeOptions {
    /// `INCLUDING x EXCLUDING y ...` in order, the last word on an option
    /// winning; ALL is every option.
    fn parse(text: &str) -> PgResult<LikeOptions> {
        let mut o = LikeOptions::default();
        let words: Vec<&str> = text.split_whitespace().collect();
        for pair in words.chunks(2) {
            let [how, what] = pair else {
                return Err(PgError::syntax("syntax error at or near \")\"", None));
            };
            let on = how.eq_ignore_ascii_case("including");
            match what.to_ascii_uppercase().as_str() {
                "COMMENTS" => o.comments = on,
                "CONSTRAINTS" => o.constraints = on,
                "DEFAULTS" => o.defaults = on,
                "GENERATED" => o.generated = on,
                "IDENTITY" => o.identity = on,
                "INDEXES" => o.indexes = on,
                "STATISTICS" => o.statistics = on,
                "STORAGE" => o.storage = on,
                "COMPRESSION" => o.compression = on,
                "ALL" => {
                    o = LikeOptions {
                        storage: on,
                        compression: on,
                        comments: on,
                        constraints: on,
                        defaults: on,
                        generated: on,
                        identity: on,
                        indexes: on,
                        statistics: on,
                    }
                }
                _ => {
                    return Err(PgError::syntax(
                        format!("syntax error at or near \"{what}\""),
                        None,
                    ));
                }
            }
        }
        Ok(o)
    }
}

/// A LIKE element's source and what it copies after the table exists.
struct LikeCopy {
    source: std::sync::Arc<RelationInfo>,
    options: LikeOptions,
}

/// CREATE TABLE with `LIKE source [INCLUDING | EXCLUDING option] ...`
/// elements (columns named `syntax::LIKE_MARKER`): the statement with each
/// replaced by the source's live columns (with their defaults, generation
/// expressions and identity when included) and, with CONSTRAINTS, its CHECK
/// constraints; None when there is no such element.
fn expand_like_elements(
    session: &mut Session,
    ct: &CreateTable,
    sql: &str,
) -> PgResult<Option<(CreateTable, Vec<LikeCopy>)>> {
    if !ct
        .columns
        .iter()
        .any(|c| c.name.value.starts_with(crate::syntax::LIKE_MARKER))
    {
        return Ok(None);
    }
    let mut out = ct.clone();
    out.columns.clear();
    let mut copies = Vec::new();
    for col in &ct.columns {
        let Some(options) = col.name.value.strip_prefix(crate::syntax::LIKE_MARKER) else {
            out.columns.push(col.clone());
            continue;
        };
        let options = LikeOptions::parse(options)?;
        let DataType::Custom(source_name, _) = &col.data_type else {
            return Err(PgError::internal("a LIKE element without its source"));
        };
        let rel = like_source(session, source_name, sql)?;
        let mut defs = Vec::new();
        for c in rel.columns.iter().filter(|c| !c.dropped) {
            let mut def = format!(
                "{} {}",
                types::guc::quote_identifier(&c.name),
                types::oid::format_type(c.type_oid, c.typmod)
            );
            if let Some(name) = c.collation.and_then(catalog::system::collation_name) {
                def.push_str(&format!(
                    " COLLATE pg_catalog.{}",
                    types::guc::quote_identifier(name)
                ));
            }
            if c.not_null {
                def.push_str(" NOT NULL");
            }
            match (&c.default, c.generated, c.identity) {
                (Some(expr), 's', _) if options.generated => {
                    def.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED"));
                }
                (_, _, 'a') if options.identity => def.push_str(" GENERATED ALWAYS AS IDENTITY"),
                (_, _, 'd') if options.identity => {
                    def.push_str(" GENERATED BY DEFAULT AS IDENTITY")
                }
                (Some(expr), '\0', '\0') if options.defaults => {
                    def.push_str(&format!(" DEFAULT {expr}"));
                }
                _ => {}
            }
            defs.push(def);
        }
        if options.constraints {
            for c in rel
                .constraints
                .iter()
                .filter(|c| c.kind == catalog::system::CONSTRAINT_CHECK)
            {
                defs.push(format!(
                    "CONSTRAINT {} CHECK ({}){}",
                    types::guc::quote_identifier(&c.name),
                    c.expr.as_deref().unwrap_or("true"),
                    if c.no_inherit { " NO INHERIT" } else { "" }
                ));
            }
        }
        let text = format!("CREATE TABLE x ({})", defs.join(", "));
        let mut parsed = crate::syntax::parse(&text)?;
        let Some(Statement::CreateTable(copied)) = parsed.pop() else {
            return Err(PgError::internal("LIKE's columns did not parse"));
        };
        out.columns.extend(copied.columns);
        out.constraints.extend(copied.constraints);
        copies.push(LikeCopy {
            source: rel,
            options,
        });
    }
    Ok(Some((out, copies)))
}

/// The source relation of a LIKE element: a table, view, foreign table or
/// composite type (PostgreSQL's errors for others).
fn like_source(
    session: &mut Session,
    name: &ObjectName,
    sql: &str,
) -> PgResult<std::sync::Arc<RelationInfo>> {
    let (schema, source) = split_name(name)?;
    let pos = crate::syntax::position(sql, sqlparser::ast::Spanned::span(name));
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &source)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{name}\" does not exist"),
        )
        .or_position(pos));
    };
    if !matches!(rel.kind, 'r' | 'v' | 'p' | 'f' | 'c' | 'm') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("relation \"{}\" is invalid in LIKE clause", rel.name),
        )
        .with_detail(format!(
            "This operation is not supported for {}.",
            relkind_plural(rel.kind)
        ))
        .or_position(pos));
    }
    Ok(rel)
}

/// What a LIKE element copies once the new table `oid` exists: the
/// columns' storage (STORAGE) and compression method (COMPRESSION), the source's extended statistics
/// (STATISTICS) and the comments of its columns and CHECK constraints
/// (COMMENTS).
fn copy_like_objects(session: &mut Session, oid: u32, copy: &LikeCopy) -> PgResult<()> {
    let source = &copy.source;
    let Some(table) = relcache::relation_by_oid(session, oid)? else {
        return Ok(());
    };
    if copy.options.storage || copy.options.compression {
        let attrs = with_reader(session, |r| r.attributes(source.oid))?;
        for (_, a) in attrs.iter().filter(|(_, a)| {
            !a.dropped
                && (copy.options.storage && a.storage != '\0'
                    || copy.options.compression && a.compression != '\0')
        }) {
            if let Some(c) = table.columns.iter().find(|c| c.name == a.name) {
                let (storage, compression) = (a.storage, a.compression);
                let options = copy.options;
                super::alter_table::update_attribute(session, oid, c.attnum, |n| {
                    if options.storage {
                        n.storage = storage;
                    }
                    if options.compression {
                        n.compression = compression;
                    }
                })?;
            }
        }
    }
    let target = format!(
        "{}.{}",
        types::guc::quote_identifier(&table.namespace),
        types::guc::quote_identifier(&table.name)
    );
    if copy.options.statistics {
        let stats = with_reader(session, |r| r.statistics_ext(source.oid))?;
        for (_, row) in stats {
            let Some(columns) = super::statistics::definition(session, row.oid, true)? else {
                continue;
            };
            let kinds = super::statistics::kind_names(&row.kinds);
            let kinds = if kinds.is_empty() {
                String::new()
            } else {
                format!(" ({})", kinds.join(", "))
            };
            // Named as PostgreSQL names a copy: <table>_<columns>_stat, the
            // columns' names (`expr` for an expression) joined by `_`.
            let mut parts: Vec<String> = row
                .keys
                .iter()
                .filter_map(|k| source.columns.iter().find(|c| c.attnum == *k))
                .map(|c| c.name.clone())
                .collect();
            parts.extend(
                super::statistics::expression_texts(row.exprs.as_deref())
                    .iter()
                    .map(|_| "expr".to_string()),
            );
            let taken: Vec<String> = with_reader(session, |r| r.all_statistics_ext())?
                .into_iter()
                .filter(|(_, s)| s.namespace == table.namespace_oid)
                .map(|(_, s)| s.name)
                .collect();
            let name = super::constraints::choose_constraint_name(
                &table.name,
                Some(&parts.join("_")),
                "stat",
                &taken,
            );
            let stat = format!(
                "{}.{}",
                types::guc::quote_identifier(&table.namespace),
                types::guc::quote_identifier(&name)
            );
            super::statistics::statistics_statement(
                session,
                &format!("CREATE STATISTICS {stat}{kinds} ON {columns} FROM {target};"),
            )?;
            if copy.options.comments
                && let Some(text) = super::comment::description(
                    session,
                    row.oid,
                    Some("pg_statistic_ext"),
                    0,
                    false,
                )?
            {
                crate::xact::command_counter_increment(session)?;
                super::comment::comment_statement(
                    session,
                    &format!("COMMENT ON STATISTICS {stat} IS {}", sql_literal(&text)),
                )?;
            }
        }
    }
    if copy.options.comments && copy.options.indexes {
        // A copied index is the one of the same definition.
        for ix in &source.indexes {
            let Some(text) =
                super::comment::description(session, ix.oid, Some("pg_class"), 0, false)?
            else {
                continue;
            };
            let wanted = super::indexcmds::spec_of(source, ix).map(|s| s.columns);
            if let Some(new) = table.indexes.iter().find(|n| {
                super::indexcmds::spec_of(&table, n).map(|s| s.columns) == wanted
                    && n.row.unique == ix.row.unique
                    && n.row.pred == ix.row.pred
            }) {
                super::comment::comment_statement(
                    session,
                    &format!(
                        "COMMENT ON INDEX {}.{} IS {}",
                        types::guc::quote_identifier(&table.namespace),
                        types::guc::quote_identifier(&new.name),
                        sql_literal(&text)
                    ),
                )?;
            }
        }
    }
    if copy.options.comments {
        let literal = sql_literal;
        for c in source.columns.iter().filter(|c| !c.dropped) {
            if let Some(text) = super::comment::description(
                session,
                source.oid,
                Some("pg_class"),
                c.attnum.into(),
                false,
            )? {
                super::comment::comment_statement(
                    session,
                    &format!(
                        "COMMENT ON COLUMN {target}.{} IS {}",
                        types::guc::quote_identifier(&c.name),
                        literal(&text)
                    ),
                )?;
            }
        }
        if copy.options.constraints {
            for c in source
                .constraints
                .iter()
                .filter(|c| c.kind == catalog::system::CONSTRAINT_CHECK)
            {
                if let Some(text) =
                    super::comment::description(session, c.oid, Some("pg_constraint"), 0, false)?
                {
                    super::comment::comment_statement(
                        session,
                        &format!(
                            "COMMENT ON CONSTRAINT {} ON {target} IS {}",
                            types::guc::quote_identifier(&c.name),
                            literal(&text)
                        ),
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// An inherited column takes the storage its parent set (ALTER COLUMN ...
/// SET STORAGE); with several parents, the first that set one.
fn inherit_storage(
    session: &mut Session,
    oid: u32,
    parents: &[std::sync::Arc<RelationInfo>],
) -> PgResult<()> {
    let Some(child) = relcache::relation_by_oid(session, oid)? else {
        return Ok(());
    };
    let mut done: Vec<String> = Vec::new();
    for parent in parents {
        let attrs = with_reader(session, |r| r.attributes(parent.oid))?;
        for (_, a) in attrs
            .iter()
            .filter(|(_, a)| a.storage != '\0' && !a.dropped)
        {
            if done.contains(&a.name) {
                continue;
            }
            if let Some(c) = child
                .columns
                .iter()
                .find(|c| !c.dropped && c.name == a.name)
            {
                let storage = a.storage;
                super::alter_table::update_attribute(session, oid, c.attnum, |n| {
                    n.storage = storage
                })?;
                done.push(a.name.clone());
            }
        }
    }
    Ok(())
}

/// `text` as an SQL string literal.
fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// How PostgreSQL's errors name relations of a kind, in the plural.
pub(crate) fn relkind_plural(kind: char) -> &'static str {
    match kind {
        'i' | 'I' => "indexes",
        'S' => "sequences",
        'm' => "materialized views",
        't' => "TOAST tables",
        _ => "this kind of relation",
    }
}

pub(crate) fn create_table(
    session: &mut Session,
    ct: &CreateTable,
    sql: &str,
) -> PgResult<Outcome> {
    if let Some(query) = &ct.query {
        // CREATE TABLE AS: its own command tag (`SELECT n`).
        crate::xact::check_writable(session, "CREATE TABLE AS")?;
        check_create_table_clauses(ct)?;
        return create_table_as(session, ct, query, sql);
    }
    create_table_of_kind(session, ct, sql, None).map(|_| Outcome::Command("CREATE TABLE".into()))
}

/// What CREATE TABLE refuses before anything else.
fn check_create_table_clauses(ct: &CreateTable) -> PgResult<()> {
    if ct.on_commit.is_some() && !ct.temporary {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            "ON COMMIT can only be used on temporary tables",
        ));
    }
    if ct.unlogged {
        return Err(PgError::feature_not_supported("unlogged tables"));
    }
    Ok(())
}

/// CREATE TABLE, or with `foreign` (its server's OID) CREATE FOREIGN
/// TABLE's relation (relkind `f`, no indexes, no foreign keys). The new
/// relation's OID, None when IF NOT EXISTS found one.
pub(crate) fn create_table_of_kind(
    session: &mut Session,
    ct: &CreateTable,
    sql: &str,
    foreign: Option<u32>,
) -> PgResult<Option<u32>> {
    create_table_with_indexes(session, ct, sql, foreign, Vec::new())
}

/// [`create_table_of_kind`] that also makes the indexes `like_indexes`
/// (copied by LIKE ... INCLUDING INDEXES) with the table's own, before its
/// foreign keys, which may reference them.
fn create_table_with_indexes(
    session: &mut Session,
    ct: &CreateTable,
    sql: &str,
    foreign: Option<u32>,
    like_indexes: Vec<super::indexcmds::IndexSpec>,
) -> PgResult<Option<u32>> {
    crate::xact::check_writable(session, "CREATE TABLE")?;
    check_create_table_clauses(ct)?;
    if let Some(query) = &ct.query {
        return create_table_as(session, ct, query, sql).map(|_| None);
    }
    // `syntax` makes every PostgreSQL LIKE element a column: what sqlparser
    // still reads as LIKE (`CREATE TABLE t LIKE s`) is not PostgreSQL's.
    if ct.like.is_some() {
        return Err(PgError::syntax("syntax error at or near \"LIKE\"", None));
    }
    if let Some((expanded, copies)) = expand_like_elements(session, ct, sql)? {
        let mut like_indexes = Vec::new();
        for copy in copies.iter().filter(|c| c.options.indexes) {
            for ix in &copy.source.indexes {
                let Some(spec) = super::indexcmds::spec_of(&copy.source, ix) else {
                    return Err(PgError::feature_not_supported(format!(
                        "LIKE ... INCLUDING INDEXES of index \"{}\"",
                        ix.name
                    )));
                };
                like_indexes.push(spec);
            }
        }
        let created = create_table_with_indexes(session, &expanded, sql, foreign, like_indexes)?;
        if let Some(oid) = created {
            for copy in &copies {
                copy_like_objects(session, oid, copy)?;
            }
        }
        return Ok(created);
    }
    let parents = super::inherit::parents_of(session, ct)?;
    let mut index_specs = Vec::new();
    let mut checks = Vec::new();
    let mut foreign_keys = Vec::new();
    for c in &ct.constraints {
        if let sqlparser::ast::TableConstraint::Check(chk) = c {
            checks.push(CheckSpec::from_ast(chk, None));
            continue;
        }
        if let sqlparser::ast::TableConstraint::ForeignKey(fk) = c {
            foreign_keys.push(ForeignKeySpec::from_ast(fk, None)?);
            continue;
        }
        match super::indexcmds::constraint_spec(c)? {
            Some(spec) => index_specs.push(spec),
            None => {
                return Err(PgError::feature_not_supported(format!(
                    "table constraints ({c})"
                )));
            }
        }
    }
    let (schema, name) = split_name(&ct.name)?;
    if name.len() >= 64 {
        return Err(PgError::feature_not_supported(
            "identifiers longer than 63 bytes",
        ));
    }
    let namespace = super::temp::creation_namespace(session, schema.as_deref(), ct.temporary)?;
    if namespace == PG_CATALOG_NAMESPACE {
        return Err(system_catalog_denied(&format!("pg_catalog.{name}")));
    }
    if ct.columns.len() > MAX_HEAP_ATTRIBUTE_NUMBER {
        return Err(PgError::new(
            SqlState::TooManyColumns,
            format!("tables can have at most {MAX_HEAP_ATTRIBUTE_NUMBER} columns"),
        ));
    }
    // A partition takes its parent's generation (PostgreSQL 15 refuses one
    // of its own).
    if ct.partition_of.is_some()
        && ct.columns.iter().any(|c| {
            c.options.iter().any(|o| {
                matches!(
                    &o.option,
                    ColumnOption::Generated {
                        generation_expr: Some(_),
                        ..
                    }
                )
            })
        })
    {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "generated columns are not supported on partitions",
        ));
    }
    let mut plans: Vec<ColumnPlan> = Vec::new();
    for col in &ct.columns {
        let plan = column_plan(session, col, &name, Some(sql))?;
        check_system_column_name(&plan.column.name)?;
        if plans.iter().any(|p| p.column.name == plan.column.name) {
            return Err(PgError::new(
                SqlState::DuplicateColumn,
                format!("column \"{}\" specified more than once", plan.column.name),
            ));
        }
        plans.push(plan);
    }

    // The sequences of serial and identity columns are made first (their
    // names must not collide with the table's), then tied to the columns.
    let namespace_text = namespace_name(session, namespace)?;
    if plans.iter().any(|p| p.sequence.is_some())
        && relcache::lookup_relation(session, Some(&namespace_text), &name)?.is_some()
        && ct.if_not_exists
    {
        session.notice(
            "42P07",
            format!("relation \"{name}\" already exists, skipping"),
        );
        return Ok(None);
    }
    let mut owned = Vec::new();
    for (i, plan) in plans.iter_mut().enumerate() {
        if let Some((seq, deptype)) = make_column_sequence(session, namespace, &name, plan)? {
            owned.push((seq, i, deptype));
        }
    }
    if !owned.is_empty() {
        crate::xact::command_counter_increment(session)?;
    }
    if !parents.is_empty() {
        plans = super::inherit::merge_columns(session, &parents, plans, ct.partition_of.is_some())?;
        for c in super::inherit::inherited_checks(&parents) {
            if !checks.iter().any(|l| l.name == c.name) {
                checks.push(c);
            }
        }
    }
    if ct.partition_of.is_some() {
        // An existing name is reported before anything about the bound.
        let ns = namespace_name(session, namespace)?;
        if relcache::lookup_relation(session, Some(&ns), &name)?.is_some() {
            if ct.if_not_exists {
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
    }
    let bound = match (&ct.partition_of, &ct.for_values) {
        (Some(_), Some(spec)) => Some(super::partition::new_bound(
            session,
            &parents[0],
            &name,
            spec,
            sql,
            true,
        )?),
        (Some(_), None) => {
            return Err(PgError::syntax("syntax error at end of input", None));
        }
        _ => None,
    };
    for plan in &mut plans {
        index_specs.append(&mut plan.index_specs);
        checks.append(&mut plan.checks);
        foreign_keys.append(&mut plan.foreign_keys);
    }
    let columns: Vec<NewColumn> = plans.into_iter().map(|p| p.column).collect();
    let key = match &ct.partition_by {
        Some(spec) => {
            let (strategy, attrs, exprs) = super::partition::key_spec(spec, &columns, Some(&name))?;
            Some(catalog::system::PartitionedTableRow {
                relid: 0,
                strategy,
                attrs,
                default_partition: 0,
                exprs,
            })
        }
        None => None,
    };
    let relkind = if key.is_some() {
        'p'
    } else if foreign.is_some() {
        'f'
    } else {
        'r'
    };
    if foreign.is_some() {
        let not_supported = |what: &str| {
            PgError::new(
                SqlState::WrongObjectType,
                format!("{what} constraints are not supported on foreign tables"),
            )
        };
        if let Some(spec) = index_specs.first() {
            return Err(not_supported(if spec.primary {
                "primary key"
            } else {
                "unique"
            }));
        }
        if !foreign_keys.is_empty() {
            return Err(not_supported("foreign key"));
        }
    }

    if foreign.is_some()
        && ct.partition_of.is_some()
        && let Some(parent) = parents.first()
        && parent.indexes.iter().any(|ix| ix.row.unique)
    {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!(
                "cannot create foreign partition of partitioned table \"{}\"",
                parent.name
            ),
        )
        .with_detail(format!(
            "Table \"{}\" contains indexes that are unique.",
            parent.name
        )));
    }
    let created = create_relation(session, ct, namespace, &name, &columns, relkind)?;
    if let Some(oid) = created {
        if !parents.is_empty() || key.is_some() {
            let key = key.map(|k| catalog::system::PartitionedTableRow { relid: oid, ..k });
            super::inherit::link(session, oid, &parents, bound, key)?;
            if ct.partition_of.is_some() && foreign.is_none() {
                super::indexcmds::clone_indexes(session, parents[0].oid, oid)?;
            }
            inherit_storage(session, oid, &parents)?;
        }
        for (seq, i, deptype) in owned {
            super::sequence::set_owner(session, seq, oid, i as i16 + 1, deptype)?;
        }
        check_generation_exprs(session, oid)?;
        for spec in index_specs.iter().chain(&like_indexes) {
            // A primary key's columns are NOT NULL (set by define_index).
            super::indexcmds::define_index(session, oid, spec)?;
        }
        super::constraints::add_checks(session, oid, &checks, true)?;
        super::foreign_keys::add_foreign_keys(session, oid, &foreign_keys, false)?;
    }
    Ok(created)
}

/// What one column definition asks for: the column, and the sequence,
/// indexes and CHECK constraints that come with it.
pub(crate) struct ColumnPlan {
    pub column: NewColumn,
    /// The sequence of a serial (`'\0'`) or identity (`'a'`, `'d'`) column.
    pub sequence: Option<(char, SeqOptions)>,
    pub index_specs: Vec<super::indexcmds::IndexSpec>,
    pub checks: Vec<CheckSpec>,
    pub foreign_keys: Vec<ForeignKeySpec>,
}

/// Where the COLLATE keyword before collation name `name` is in `sql`
/// (PostgreSQL reports a column's collation errors there).
fn collate_position(sql: &str, name: &ObjectName) -> Option<usize> {
    let at = crate::syntax::position(sql, sqlparser::ast::Spanned::span(name))?;
    let before: String = sql
        .chars()
        .take(at - 1)
        .collect::<String>()
        .to_ascii_lowercase();
    let keyword = before.rfind("collate")?;
    Some(before[..keyword].chars().count() + 1)
}

/// Reads a column definition of table `table` (CREATE TABLE, ALTER TABLE
/// ADD COLUMN).
/// `sql`: the statement's text, when known, for error positions.
pub(crate) fn column_plan(
    session: &mut Session,
    col: &sqlparser::ast::ColumnDef,
    table: &str,
    sql: Option<&str>,
) -> PgResult<ColumnPlan> {
    let mut plan_checks = Vec::new();
    let mut plan_indexes = Vec::new();
    let mut plan_fks = Vec::new();
    let mut collation = None;
    let col_name = ident(&col.name);
    let serial = serial_type(&col.data_type);
    let (type_oid, typmod) = match serial {
        Some(t) => (t, -1),
        None => super::typecmds::resolve_type(session, &col.data_type)?,
    };
    crate::acl::require_type_usage(session, type_oid)?;
    if matches!(type_oid, types::oid::RECORD | types::oid::RECORD_ARRAY) {
        return Err(PgError::new(
            SqlState::InvalidTableDefinition,
            format!(
                "column \"{col_name}\" has pseudo-type {}",
                types::oid::type_name(type_oid)
            ),
        ));
    }
    if type_storage(type_oid).is_none() {
        return Err(PgError::feature_not_supported(format!(
            "columns of type {}",
            types::oid::type_name(type_oid)
        )));
    }
    let mut not_null = serial.is_some();
    let mut default = None;
    let mut identity = None;
    let mut generation = None;
    let mut compression = '\0';
    for opt in &col.options {
        match &opt.option {
            ColumnOption::Generated {
                generated_as: generated @ (GeneratedAs::Always | GeneratedAs::ByDefault),
                sequence_options,
                generation_expr: None,
                ..
            } => {
                if identity.is_some() {
                    return Err(PgError::new(
                        SqlState::SyntaxError,
                        format!(
                            "multiple identity specifications for column \"{col_name}\" of table \"{table}\""
                        ),
                    ));
                }
                if ![INT2, INT4, INT8].contains(&type_oid) {
                    return Err(PgError::new(
                        SqlState::InvalidParameterValue,
                        "identity column type must be smallint, integer, or bigint",
                    ));
                }
                let opts = SeqOptions::from_ast(sequence_options.as_deref().unwrap_or(&[]))?;
                let kind = if matches!(generated, GeneratedAs::Always) {
                    'a'
                } else {
                    'd'
                };
                identity = Some((kind, opts));
                not_null = true;
            }
            ColumnOption::Generated {
                generated_as,
                generation_expr: Some(expr),
                generation_expr_mode,
                generated_keyword,
                ..
            } => {
                // PostgreSQL 15 has only GENERATED ALWAYS AS (...) STORED.
                if matches!(generated_as, GeneratedAs::ByDefault) {
                    return Err(PgError::new(
                        SqlState::SyntaxError,
                        "for a generated column, GENERATED ALWAYS must be specified",
                    ));
                }
                if !generated_keyword
                    || !matches!(generation_expr_mode, Some(GeneratedExpressionMode::Stored))
                {
                    return Err(PgError::syntax("syntax error at or near \"AS\"", None));
                }
                if generation.is_some() {
                    return Err(PgError::new(
                        SqlState::SyntaxError,
                        format!(
                            "multiple generation clauses specified for column \"{col_name}\" of table \"{table}\""
                        ),
                    ));
                }
                generation = Some(expr.to_string());
            }
            ColumnOption::Generated { .. } => {
                return Err(PgError::feature_not_supported(
                    "generated columns of this form",
                ));
            }
            ColumnOption::Check(chk) => {
                let mut spec = CheckSpec::from_ast(chk, Some(&col_name));
                if spec.name.is_none() {
                    spec.name = opt.name.as_ref().map(ident);
                }
                plan_checks.push(spec);
            }
            ColumnOption::ForeignKey(fk) => {
                let mut spec = ForeignKeySpec::from_ast(fk, Some(&col_name))?;
                if spec.name.is_none() {
                    spec.name = opt.name.as_ref().map(ident);
                }
                plan_fks.push(spec);
            }
            ColumnOption::Null => not_null = false,
            ColumnOption::NotNull => not_null = true,
            ColumnOption::Default(e) => {
                if default.is_some() {
                    return Err(PgError::new(
                        SqlState::SyntaxError,
                        format!(
                            "multiple default values specified for column \"{col_name}\" of table \"{table}\""
                        ),
                    ));
                }
                default = Some(e.to_string());
            }
            ColumnOption::PrimaryKey(pk) => {
                not_null = true;
                plan_indexes.push(super::indexcmds::IndexSpec {
                    name: pk.name.as_ref().map(ident),
                    columns: vec![super::indexcmds::IndexColumnSpec::plain(col_name.clone())],
                    unique: true,
                    primary: true,
                    constraint: true,
                    ..Default::default()
                });
            }
            ColumnOption::Unique(u) => {
                plan_indexes.push(super::indexcmds::IndexSpec {
                    name: u.name.as_ref().map(ident),
                    columns: vec![super::indexcmds::IndexColumnSpec::plain(col_name.clone())],
                    unique: true,
                    constraint: true,
                    nulls_not_distinct: matches!(
                        u.nulls_distinct,
                        sqlparser::ast::NullsDistinctOption::NotDistinct
                    ),
                    ..Default::default()
                });
            }
            ColumnOption::Comment(text)
                if text.starts_with(crate::syntax::COLUMN_COMPRESSION_MARKER) =>
            {
                let method = &text[crate::syntax::COLUMN_COMPRESSION_MARKER.len()..];
                compression = super::alter_table::compression_method(method)?;
                super::alter_table::check_compressible(type_oid)?;
            }
            ColumnOption::Collation(name) => {
                collation = Some(
                    super::collation_for_type(session, name, type_oid).map_err(|e| {
                        e.or_position(sql.and_then(|sql| collate_position(sql, name)))
                    })?,
                );
            }
            other => {
                return Err(PgError::feature_not_supported(format!(
                    "column constraint {other}"
                )));
            }
        }
    }
    if default.is_some() && identity.is_some() {
        return Err(PgError::new(
            SqlState::SyntaxError,
            format!(
                "both default and identity specified for column \"{col_name}\" of table \"{table}\""
            ),
        ));
    }
    if generation.is_some() && default.is_some() {
        return Err(PgError::new(
            SqlState::SyntaxError,
            format!(
                "both default and generation expression specified for column \"{col_name}\" of table \"{table}\""
            ),
        ));
    }
    if generation.is_some() && identity.is_some() {
        return Err(PgError::new(
            SqlState::SyntaxError,
            format!(
                "both identity and generation expression specified for column \"{col_name}\" of table \"{table}\""
            ),
        ));
    }
    if serial.is_some() && (default.is_some() || identity.is_some() || generation.is_some()) {
        return Err(PgError::new(
            SqlState::SyntaxError,
            format!(
                "multiple default values specified for column \"{col_name}\" of table \"{table}\""
            ),
        ));
    }
    let sequence = match (serial, identity) {
        (Some(_), _) => Some(('\0', SeqOptions::default())),
        (None, Some(id)) => Some(id),
        (None, None) => None,
    };
    Ok(ColumnPlan {
        column: NewColumn {
            name: col_name,
            type_oid,
            typmod,
            not_null,
            generated: if generation.is_some() { 's' } else { '\0' },
            default: default.or(generation),
            identity: '\0',
            is_local: true,
            inhcount: 0,
            collation,
            compression,
        },
        sequence,
        index_specs: plan_indexes,
        checks: plan_checks,
        foreign_keys: plan_fks,
    })
}

/// Makes the sequence of a serial or identity column of `table` (before
/// the column exists) and sets the column's default or identity; returns
/// the sequence and the dependency type that ties it to the column.
pub(crate) fn make_column_sequence(
    session: &mut Session,
    namespace: u32,
    table: &str,
    plan: &mut ColumnPlan,
) -> PgResult<Option<(u32, char)>> {
    let Some((kind, opts)) = &plan.sequence else {
        return Ok(None);
    };
    let col = &mut plan.column;
    let (seq_oid, seq_name) = super::sequence::create_column_sequence(
        session,
        namespace,
        table,
        &col.name,
        col.type_oid,
        opts,
    )?;
    Ok(Some(if *kind == '\0' {
        col.default = Some(format!(
            "nextval('{}'::regclass)",
            seq_name.replace('\'', "''")
        ));
        (seq_oid, catalog::system::DEPENDENCY_AUTO)
    } else {
        col.identity = *kind;
        (seq_oid, super::sequence::IDENTITY_DEPENDENCY)
    }))
}

/// Analyzes the generation expressions of table `oid`'s stored generated
/// columns once it exists: PostgreSQL's errors for what one may not read
/// (42P17 and the others), before any row is written.
pub(crate) fn check_generation_exprs(session: &mut Session, oid: u32) -> PgResult<()> {
    crate::xact::command_counter_increment(session)?;
    let Some(info) = relcache::relation_by_oid(session, oid)? else {
        return Ok(());
    };
    session.relcache.generated.remove(&oid);
    crate::table_access::generation_exprs(session, &info).map(|_| ())
}

/// The integer type of a `serial` type name (`serial`, `bigserial`, ...).
fn serial_type(dt: &DataType) -> Option<u32> {
    let DataType::Custom(name, mods) = dt else {
        return None;
    };
    let [part] = name.0.as_slice() else {
        return None;
    };
    let id = part.as_ident()?;
    if !mods.is_empty() || id.quote_style.is_some() {
        return None;
    }
    match id.value.to_lowercase().as_str() {
        "smallserial" | "serial2" => Some(INT2),
        "serial" | "serial4" => Some(INT4),
        "bigserial" | "serial8" => Some(INT8),
        _ => None,
    }
}

/// Takes `name` in `namespace` for a new relation: waits for another session
/// creating the same name, refuses a name a relation (42P07; with IF NOT
/// EXISTS a NOTICE and None) or a type (42710) already has, and makes the
/// new relation's OID and its file.
pub(crate) fn claim_relation_name(
    session: &mut Session,
    namespace: u32,
    name: &str,
    if_not_exists: bool,
) -> PgResult<Option<u32>> {
    // Two sessions creating the same name: the second waits for the first to
    // finish and then sees its row (PostgreSQL gets this from the unique
    // index on pg_class; we have no catalog indexes yet).
    let name_tag = LockTag::Object {
        db: session.database_oid,
        class_oid: catalog::system::PG_CLASS,
        obj_oid: name_hash(namespace, name),
        sub_id: 0,
    };
    crate::xact::lock(session, name_tag, LockMode::AccessExclusive, false)?;
    relcache::accept_invalidations(session);
    let namespace_text = namespace_name(session, namespace)?;
    if let Some(existing) = relcache::lookup_relation(session, Some(&namespace_text), name)? {
        if if_not_exists {
            session.notice(
                "42P07",
                format!("relation \"{}\" already exists, skipping", existing.name),
            );
            return Ok(None);
        }
        return Err(PgError::new(
            SqlState::DuplicateTable,
            format!("relation \"{name}\" already exists"),
        ));
    }
    // The table's row type takes the name: another type may not have it.
    if types::typcache::by_name(namespace, name).is_some() {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("type \"{name}\" already exists"),
        )
        .with_hint("A relation has an associated type of the same name, so you must use a name that doesn't conflict with any existing type."));
    }

    crate::xact::ensure_xid(session)?;
    let oid = session.storage.transam.new_oid()?;
    let rel = RelFileLocator::new(session.database_oid, oid);
    crate::xact::create_relation_file(session, rel)?;
    Ok(Some(oid))
}

/// Makes table `name` in schema `namespace` with `columns`: its catalog rows
/// and file. None (with PostgreSQL's NOTICE) when IF NOT EXISTS finds the name
/// taken.
fn create_relation(
    session: &mut Session,
    ct: &CreateTable,
    namespace: u32,
    name: &str,
    columns: &[NewColumn],
    relkind: char,
) -> PgResult<Option<u32>> {
    let options = match &ct.table_options {
        sqlparser::ast::CreateTableOptions::With(list) if relkind != 'f' => {
            super::reloptions::new_heap_options(list, relkind)?
        }
        _ => Vec::new(),
    };
    let Some(oid) = claim_relation_name(session, namespace, name, ct.if_not_exists)? else {
        return Ok(None);
    };
    let owner = session.user_oid;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        let mut next_oid = || env.tx.new_oid();
        writer.create_relation_with_persistence(
            w,
            oid,
            oid,
            namespace,
            name,
            owner,
            (relkind, if ct.temporary { 't' } else { 'p' }),
            columns,
            &mut next_oid,
        )
    })?;
    catalog_changed(session);
    if !options.is_empty() {
        super::update_class(session, oid, |c| c.options = options)?;
    }
    crate::acl::default_privileges::apply_to_relation(session, oid)?;
    match ct.on_commit {
        Some(sqlparser::ast::OnCommit::Drop) => session.tx.on_commit_drop.push(oid),
        Some(sqlparser::ast::OnCommit::DeleteRows) => session.on_commit_delete.push(oid),
        _ => {}
    }
    Ok(Some(oid))
}

/// CREATE TABLE name [(column names)] AS query [WITH [NO] DATA]: a table with
/// the query's output columns (their names, or the ones given; an unknown
/// type becomes text), filled by the query as INSERT ... SELECT fills it.
/// The command tag is `SELECT n`, or `CREATE TABLE AS` without data.
fn create_table_as(
    session: &mut Session,
    ct: &CreateTable,
    query: &sqlparser::ast::Query,
    sql: &str,
) -> PgResult<Outcome> {
    if !ct.constraints.is_empty() {
        return Err(PgError::syntax(
            "constraints are not allowed in CREATE TABLE AS",
            None,
        ));
    }
    let planned = crate::tcop::plan_query(
        session,
        &sqlparser::ast::Statement::Query(Box::new(query.clone())),
        sql,
        None,
    )?;
    // Names only: with a type, PostgreSQL's grammar stops at AS (sqlparser
    // takes it).
    let marker = format!("\"{}\"", crate::syntax::CTAS_COLUMN_MARKER);
    if ct.columns.iter().any(|c| c.data_type.to_string() != marker) {
        return Err(PgError::syntax("syntax error at or near \"AS\"", None));
    }
    let names: Vec<String> = ct.columns.iter().map(|c| ident(&c.name)).collect();
    let columns = columns_of_query(
        &planned.columns,
        &names,
        "too many column names were specified",
    )?;
    for c in &columns {
        check_system_column_name(&c.name)?;
    }
    if let Some(c) = columns.iter().find(|c| type_storage(c.type_oid).is_none()) {
        return Err(PgError::feature_not_supported(format!(
            "columns of type {}",
            types::oid::type_name(c.type_oid)
        )));
    }
    let (schema, name) = split_name(&ct.name)?;
    let namespace = super::temp::creation_namespace(session, schema.as_deref(), ct.temporary)?;
    if namespace == PG_CATALOG_NAMESPACE {
        return Err(system_catalog_denied(&format!("pg_catalog.{name}")));
    }
    let Some(_) = create_relation(session, ct, namespace, &name, &columns, 'r')? else {
        return Ok(Outcome::Command("CREATE TABLE AS".into()));
    };
    if ct.with_data.as_ref().is_some_and(|w| !w.data) {
        return Ok(Outcome::Command("CREATE TABLE AS".into()));
    }
    // The rows, as INSERT INTO the new table SELECT ... writes them.
    crate::xact::command_counter_increment(session)?;
    let insert_sql = format!("INSERT INTO {} {query}", ct.name);
    let mut stmts = crate::syntax::parse(&insert_sql)?;
    let (Some(insert), true) = (stmts.pop(), stmts.is_empty()) else {
        return Err(PgError::internal(
            "CREATE TABLE AS: the query did not re-parse",
        ));
    };
    let tag = match crate::tcop::run_statement(session, &insert, &insert_sql, None, &[])? {
        Outcome::Command(tag) | Outcome::Rows { tag, .. } | Outcome::CopyOut { tag, .. } => tag,
        Outcome::CopyIn { .. } => {
            return Err(PgError::internal("CREATE TABLE AS started a COPY"));
        }
    };
    let n = tag.rsplit(' ').next().unwrap_or("0");
    Ok(Outcome::Command(format!("SELECT {n}")))
}

/// A relation to be dropped or truncated: it must exist, be a table and not
/// be a system catalog.
pub(crate) fn target_table(
    session: &mut Session,
    name: &ObjectName,
    if_exists: bool,
) -> PgResult<Option<std::sync::Arc<RelationInfo>>> {
    let (schema, relname) = split_name(name)?;
    if let Some(s) = &schema
        && relcache::namespace_oid(session, s)?.is_none()
    {
        if if_exists {
            session.notice("00000", format!("schema \"{s}\" does not exist, skipping"));
            return Ok(None);
        }
        return Err(PgError::new(
            SqlState::InvalidSchemaName,
            format!("schema \"{s}\" does not exist"),
        ));
    }
    relcache::check_explicit_schema(session, schema.as_deref())?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        missing_relation(session, "table", &relname, if_exists)?;
        return Ok(None);
    };
    if !matches!(rel.kind, 'r' | 'p') {
        let e = PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not a table"),
        );
        return Err(match rel.kind {
            'v' => e.with_hint("Use DROP VIEW to remove a view."),
            'm' => e.with_hint("Use DROP MATERIALIZED VIEW to remove a materialized view."),
            'S' => e.with_hint("Use DROP SEQUENCE to remove a sequence."),
            'i' => e.with_hint("Use DROP INDEX to remove an index."),
            'f' => e.with_hint("Use DROP FOREIGN TABLE to remove a foreign table."),
            _ => e,
        });
    }
    if rel.namespace_oid == PG_CATALOG_NAMESPACE {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("permission denied: \"{relname}\" is a system catalog"),
        ));
    }
    // Wait for every user of the table to finish, then look again: it may
    // have been dropped or changed meanwhile.
    crate::xact::lock_relation(session, rel.oid, LockMode::AccessExclusive)?;
    relcache::accept_invalidations(session);
    match relcache::lookup_relation(session, schema.as_deref(), &relname)? {
        Some(again) if again.oid == rel.oid => Ok(Some(again)),
        _ if if_exists => Ok(None),
        _ => Err(PgError::new(
            SqlState::UndefinedTable,
            format!("table \"{relname}\" does not exist"),
        )),
    }
}

pub(crate) fn drop_tables(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
) -> PgResult<Outcome> {
    drop_tables_of_kind(session, names, if_exists, cascade, false)
}

/// DROP FOREIGN TABLE: as DROP TABLE, of foreign tables only.
pub(crate) fn drop_foreign_tables(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
) -> PgResult<Outcome> {
    drop_tables_of_kind(session, names, if_exists, cascade, true)
}

fn drop_tables_of_kind(
    session: &mut Session,
    names: &[ObjectName],
    if_exists: bool,
    _cascade: bool,
    foreign: bool,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP TABLE")?;
    let mut targets = Vec::new();
    for n in names {
        let found = if foreign {
            target_foreign_table(session, n, if_exists)?
        } else {
            target_table(session, n, if_exists)?
        };
        if let Some(rel) = found {
            crate::acl::require_relation_owner(session, rel.oid)?;
            targets.push(rel);
        }
    }
    // A partitioned table's partitions go with it; inheritance children
    // only with CASCADE.
    let named: Vec<u32> = targets.iter().map(|t| t.oid).collect();
    let mut cascaded: Vec<String> = Vec::new();
    let mut i = 0;
    while i < targets.len() {
        let rel = targets[i].clone();
        i += 1;
        for &c in &rel.children {
            if targets.iter().any(|t| t.oid == c) {
                continue;
            }
            let Some(child) = relcache::relation_by_oid(session, c)? else {
                continue;
            };
            if rel.kind != 'p' && !named.contains(&c) {
                if !_cascade {
                    let mut detail = Vec::new();
                    for &k in &rel.children {
                        if let Some(kid) = relcache::relation_by_oid(session, k)? {
                            detail
                                .push(format!("table {} depends on table {}", kid.name, rel.name));
                        }
                    }
                    return Err(PgError::new(
                        SqlState::DependentObjectsStillExist,
                        format!(
                            "cannot drop table {} because other objects depend on it",
                            rel.name
                        ),
                    )
                    .with_detail(detail.join("\n"))
                    .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
                }
                cascaded.push(format!("drop cascades to table {}", child.name));
            }
            crate::xact::lock_relation(session, c, LockMode::AccessExclusive)?;
            targets.push(child);
        }
    }
    match cascaded.as_slice() {
        [] => {}
        [one] => session.notice("00000", one.clone()),
        many => session.notices.push((
            "NOTICE",
            "00000",
            format!("drop cascades to {} other objects", many.len()),
            Some(many.join("\n")),
        )),
    }
    let db = session.database_oid;
    let dropping: Vec<u32> = targets.iter().map(|t| t.oid).collect();
    for rel in &targets {
        super::view::drop_dependent_views(session, rel, &dropping, _cascade)?;
        super::foreign_keys::drop_referencing(session, rel, &dropping, _cascade)?;
    }
    for rel in targets {
        let rows = with_reader(session, |r| r.relation_rows(rel.oid))?;
        if rows.is_empty() {
            return Err(PgError::new(
                SqlState::UndefinedTable,
                format!("table \"{}\" does not exist", rel.name),
            ));
        }
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
        })?;
        if rel.kind == 'f' {
            super::foreigncmds::drop_foreign_table_row(session, rel.oid)?;
        }
        session.tx.drop_at_commit.push(rel.locator(db));
        for ix in &rel.indexes {
            super::indexcmds::drop_index_rows(session, ix.oid, ix.locator(db))?;
        }
        for seq in super::sequence::owned_sequences(session, rel.oid)? {
            if let Some(seq) = relcache::relation_by_oid(session, seq)? {
                super::sequence::drop_sequence_relation(session, &seq)?;
            }
        }
        catalog_changed(session);
    }
    Ok(Outcome::Command(
        if foreign {
            "DROP FOREIGN TABLE"
        } else {
            "DROP TABLE"
        }
        .into(),
    ))
}

/// The foreign table DROP FOREIGN TABLE names (None when missing and IF
/// EXISTS).
fn target_foreign_table(
    session: &mut Session,
    name: &ObjectName,
    if_exists: bool,
) -> PgResult<Option<std::sync::Arc<RelationInfo>>> {
    let (schema, relname) = split_name(name)?;
    let Some(rel) = relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        missing_relation(session, "foreign table", &relname, if_exists)?;
        return Ok(None);
    };
    if rel.kind != 'f' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not a foreign table"),
        ));
    }
    Ok(Some(rel))
}

/// TRUNCATE; with RESTART IDENTITY the sequences the tables own start
/// over too (at once: PostgreSQL makes that part transactional as well).
pub(crate) fn truncate(
    session: &mut Session,
    names: &[ObjectName],
    only: &[bool],
    restart_identity: bool,
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "TRUNCATE TABLE")?;
    let mut targets = Vec::new();
    let mut alone = Vec::new();
    for (i, n) in names.iter().enumerate() {
        if let Some(rel) = target_table(session, n, false)? {
            crate::acl::require_relation_privileges(session, rel.oid, catalog::acl::ACL_TRUNCATE)?;
            let only = only.get(i).copied().unwrap_or(false);
            if only && rel.kind == 'p' {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    "cannot truncate only a partitioned table",
                )
                .with_hint(
                    "Do not specify the ONLY keyword, or use TRUNCATE ONLY on the partitions directly.",
                ));
            }
            if only {
                alone.push(rel.oid);
            }
            targets.push(rel);
        }
    }
    // The descendants of each table are truncated with it (unless ONLY).
    let mut i = 0;
    while i < targets.len() {
        let children = if alone.contains(&targets[i].oid) {
            Vec::new()
        } else {
            targets[i].children.clone()
        };
        i += 1;
        for c in children {
            if targets.iter().any(|t| t.oid == c) {
                continue;
            }
            crate::xact::lock_relation(session, c, LockMode::AccessExclusive)?;
            if let Some(child) = relcache::relation_by_oid(session, c)? {
                targets.push(child);
            }
        }
    }
    // A referenced table goes only with the tables that reference it.
    let truncating: Vec<u32> = targets.iter().map(|t| t.oid).collect();
    for rel in &targets {
        if let Some(fk) = rel
            .referenced_by
            .iter()
            .find(|fk| !truncating.contains(&fk.relid))
        {
            let child = relcache::relation_by_oid(session, fk.relid)?
                .map(|c| c.name.clone())
                .unwrap_or_default();
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "cannot truncate a table referenced in a foreign key constraint",
            )
            .with_detail(format!("Table \"{child}\" references \"{}\".", rel.name))
            .with_hint(format!(
                "Truncate table \"{child}\" at the same time, or use TRUNCATE ... CASCADE."
            )));
        }
    }
    let db = session.database_oid;
    for rel in targets {
        crate::xact::ensure_xid(session)?;
        let new_node = session.storage.transam.new_oid()?;
        let new_loc = RelFileLocator::new(db, new_node);
        crate::xact::create_relation_file(session, new_loc)?;
        let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(rel.oid))? else {
            return Err(PgError::internal(format!(
                "cache lookup failed for relation {}",
                rel.oid
            )));
        };
        class.relfilenode = new_node;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
        })?;
        session.tx.drop_at_commit.push(rel.locator(db));
        super::indexcmds::rebuild_indexes(session, &rel, true)?;
        if restart_identity {
            for seq in super::sequence::owned_sequences(session, rel.oid)? {
                if let Some(seq) = relcache::relation_by_oid(session, seq)? {
                    super::sequence::restart(session, &seq)?;
                }
            }
        }
        catalog_changed(session);
    }
    Ok(Outcome::Command("TRUNCATE TABLE".into()))
}

/// A table's column may not take a system column's name (PostgreSQL's
/// `CheckAttributeNamesTypes` and `check_for_column_name_collision`).
pub(crate) fn check_system_column_name(name: &str) -> PgResult<()> {
    if planner::SYSTEM_COLUMNS.iter().any(|(n, _, _)| *n == name) || name == "tableoid" {
        return Err(PgError::new(
            SqlState::DuplicateColumn,
            format!("column name \"{name}\" conflicts with a system column name"),
        ));
    }
    Ok(())
}

/// The columns of a relation made from a query's output (CREATE TABLE AS,
/// CREATE VIEW): named by `names` where given, else as the query names
/// them; an unknown-typed column (a bare literal) becomes text, as in
/// PostgreSQL 10 on. More names than columns is a syntax error saying
/// `too_many`.
pub(crate) fn columns_of_query(
    output: &[planner::Column],
    names: &[String],
    too_many: &str,
) -> PgResult<Vec<NewColumn>> {
    if names.len() > output.len() {
        return Err(PgError::new(SqlState::SyntaxError, too_many));
    }
    let mut columns: Vec<NewColumn> = Vec::with_capacity(output.len());
    for (i, c) in output.iter().enumerate() {
        let name = names.get(i).cloned().unwrap_or_else(|| c.name.clone());
        if columns.iter().any(|x| x.name == name) {
            return Err(PgError::new(
                SqlState::DuplicateColumn,
                format!("column \"{name}\" specified more than once"),
            ));
        }
        let (type_oid, typmod) = match c.type_oid {
            types::oid::UNKNOWN => (types::oid::TEXT, -1),
            t => (t, c.typmod),
        };
        columns.push(NewColumn {
            name,
            type_oid,
            typmod,
            not_null: false,
            default: None,
            identity: '\0',
            generated: '\0',
            is_local: true,
            inhcount: 0,
            collation: None,
            compression: '\0',
        });
    }
    Ok(columns)
}
