//! Storage parameters in DDL: `WITH (...)` of CREATE TABLE, CREATE TABLE AS,
//! CREATE MATERIALIZED VIEW and CREATE INDEX, and `SET (...)` / `RESET (...)`
//! of ALTER TABLE, ALTER INDEX and ALTER MATERIALIZED VIEW. The parameters,
//! their checks and the merge are `catalog::reloptions`; this module turns
//! the parsed option lists into its items and stores the result in
//! `pg_class.reloptions`.

use sqlparser::ast::{Expr, ObjectName, SqlOption, UnaryOperator, Value};

use catalog::reloptions::{OptionItem, OptionKind, transform, validate};
use types::{PgError, PgResult, SqlState};

use crate::relcache::with_reader;
use crate::session::Session;

/// An identifier as PostgreSQL folds it: unquoted to lower case.
fn folded(id: &sqlparser::ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// `[namespace.]name` of an option.
fn key(name: &ObjectName) -> PgResult<(Option<String>, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| {
            p.as_ident()
                .map(folded)
                .ok_or_else(|| PgError::syntax(format!("syntax error at or near \"{p}\""), None))
        })
        .collect::<PgResult<_>>()?;
    match <[String; 2]>::try_from(parts) {
        Ok([ns, n]) => Ok((Some(ns), n)),
        Err(parts) => match <[String; 1]>::try_from(parts) {
            Ok([n]) => Ok((None, n)),
            Err(_) => Err(PgError::syntax(
                format!("syntax error at or near \"{name}\""),
                None,
            )),
        },
    }
}

/// An option's value as PostgreSQL keeps it: a string or number as written,
/// a word folded to lower case, a signed number with its sign.
fn value_text(value: &Expr) -> PgResult<String> {
    Ok(match value {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            Value::Number(n, _) => n.to_string(),
            Value::Boolean(b) => b.to_string(),
            Value::Null => "null".into(),
            other => other.to_string(),
        },
        Expr::Identifier(id) => folded(id),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => format!("-{}", value_text(expr)?),
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        } => value_text(expr)?,
        other => {
            return Err(PgError::syntax(
                format!("syntax error at or near \"{other}\""),
                None,
            ));
        }
    })
}

/// The items of `WITH (...)` or `SET (...)`.
pub(crate) fn items(list: &[SqlOption]) -> PgResult<Vec<OptionItem>> {
    list.iter()
        .map(|o| match o {
            SqlOption::KeyValue { key: k, value } => {
                let (namespace, name) = key(k)?;
                Ok(OptionItem {
                    namespace,
                    name,
                    value: Some(value_text(value)?),
                })
            }
            SqlOption::Ident(k) => {
                let (namespace, name) = key(k)?;
                Ok(OptionItem {
                    namespace,
                    name,
                    value: None,
                })
            }
            other => Err(PgError::syntax(
                format!("syntax error at or near \"{other}\""),
                None,
            )),
        })
        .collect()
}

/// The items of `RESET (...)`.
pub(crate) fn reset_items(names: &[ObjectName]) -> PgResult<Vec<OptionItem>> {
    names
        .iter()
        .map(|n| {
            let (namespace, name) = key(n)?;
            Ok(OptionItem {
                namespace,
                name,
                value: None,
            })
        })
        .collect()
}

/// What a relation of `relkind` checks its parameters as; None for kinds
/// that have none (sequences, foreign tables, composite types).
fn kind_of(relkind: char) -> Option<OptionKind> {
    match relkind {
        'r' | 'm' | 't' => Some(OptionKind::Heap),
        'p' => Some(OptionKind::Partitioned),
        'i' | 'I' => Some(OptionKind::Btree),
        'v' => Some(OptionKind::View),
        _ => None,
    }
}

/// The `reloptions` of a new table, partitioned table or materialized view
/// (`relkind`) from its `WITH (...)`: checked, the `toast.` ones checked and
/// dropped (there is no TOAST table to keep them), `oids = false` accepted
/// and dropped as PostgreSQL does.
pub(crate) fn new_heap_options(list: &[SqlOption], relkind: char) -> PgResult<Vec<String>> {
    let mut all = items(list)?;
    let mut oids = None;
    all.retain(|i| {
        if i.namespace.is_none() && i.name == "oids" {
            oids = Some(i.value.clone());
            false
        } else {
            true
        }
    });
    if let Some(v) = oids
        && v.as_deref()
            .is_none_or(|v| types::guc::parse_bool(v) != Some(false))
    {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "tables declared WITH OIDS are not supported",
        ));
    }
    let options = transform(&[], &all, None, &["toast"], false)?;
    validate(
        &options,
        kind_of(relkind).unwrap_or(OptionKind::Partitioned),
    )?;
    let toast = transform(&[], &all, Some("toast"), &["toast"], false)?;
    validate(&toast, OptionKind::Toast)?;
    Ok(options)
}

/// The `reloptions` of a new B-tree index from its `WITH (...)` (which
/// sqlparser reads as expressions: `name = value` or a bare name).
pub(crate) fn new_index_options(with: &[Expr]) -> PgResult<Vec<String>> {
    let list: Vec<SqlOption> = with
        .iter()
        .map(|e| match e {
            Expr::BinaryOp {
                left,
                op: sqlparser::ast::BinaryOperator::Eq,
                right,
            } => match left.as_ref() {
                Expr::Identifier(id) => Ok(SqlOption::KeyValue {
                    key: ObjectName::from(vec![id.clone()]),
                    value: right.as_ref().clone(),
                }),
                Expr::CompoundIdentifier(ids) => Ok(SqlOption::KeyValue {
                    key: ObjectName::from(ids.clone()),
                    value: right.as_ref().clone(),
                }),
                other => Err(PgError::syntax(
                    format!("syntax error at or near \"{other}\""),
                    None,
                )),
            },
            Expr::Identifier(id) => Ok(SqlOption::Ident(ObjectName::from(vec![id.clone()]))),
            other => Err(PgError::syntax(
                format!("syntax error at or near \"{other}\""),
                None,
            )),
        })
        .collect::<PgResult<_>>()?;
    let options = transform(&[], &items(&list)?, None, &[], false)?;
    validate(&options, OptionKind::Btree)?;
    Ok(options)
}

/// ALTER TABLE / INDEX / MATERIALIZED VIEW ... SET (...) or RESET (...) on
/// relation `oid`: the merged list, checked for the relation's kind, goes
/// into its `pg_class` row.
pub(crate) fn alter_options(
    session: &mut Session,
    oid: u32,
    items: &[OptionItem],
    reset: bool,
) -> PgResult<()> {
    crate::xact::command_counter_increment(session)?;
    let Some((_, class)) = with_reader(session, |r| r.class_by_oid(oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for relation {oid}"
        )));
    };
    let Some(kind) = kind_of(class.kind) else {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!(
                "\"{}\" is not a table, view, materialized view, or index",
                class.name
            ),
        ));
    };
    let namespaces: &[&str] = if kind == OptionKind::Btree {
        &[]
    } else {
        &["toast"]
    };
    let options = transform(&class.options, items, None, namespaces, reset)?;
    validate(&options, kind)?;
    if kind == OptionKind::Heap {
        let toast = transform(&[], items, Some("toast"), namespaces, reset)?;
        validate(&toast, OptionKind::Toast)?;
    }
    super::update_class(session, oid, |c| c.options = options)
}
