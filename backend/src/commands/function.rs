//! User functions in SQL (PostgreSQL's `functioncmds.c` and the SQL
//! function language): CREATE [OR REPLACE] FUNCTION ... LANGUAGE sql and
//! DROP FUNCTION; the lookup the planner uses for their calls.
//!
//! A function is a `pg_proc` row whose `prosrc` is its body: one SELECT
//! (a `RETURN expr` body is kept as `SELECT expr`), checked when the
//! function is made (it must analyze with its arguments as parameters and
//! return one column of the declared type). A call analyzes the body in
//! place and runs it with the arguments as the body's parameters. Other
//! languages, set-returning functions and bodies of several statements or
//! of DML are 0A000.

use std::sync::Arc;

use sqlparser::ast::{
    CreateFunction, CreateFunctionBody, DropFunction, FunctionBehavior, FunctionCalledOnNull,
    FunctionReturnType,
};

use catalog::heap_catalog::CatalogWriter;
use catalog::system::{
    PG_CATALOG_NAMESPACE, PG_PROC, PLPGSQL_LANGUAGE_OID, ProcRow, SQL_LANGUAGE_OID,
};
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// The user functions `name` on the search_path (or in `schema`), nearest
/// schema first; cached with the relation cache.
pub fn lookup(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
) -> PgResult<Vec<Arc<planner::FunctionDesc>>> {
    relcache::accept_invalidations(session);
    let key = format!("{}\0{name}", schema.unwrap_or(""));
    if let Some(found) = session.relcache.functions.get(&key) {
        return Ok(found.clone());
    }
    let namespaces = match schema {
        Some(s) => relcache::namespace_oid(session, s)?.into_iter().collect(),
        None => relcache::search_path(session)?,
    };
    let mut out = Vec::new();
    for nsp in namespaces {
        let rows = with_reader(session, |r| r.functions(Some(nsp), name))?;
        for (_, row) in rows {
            if row.kind == 'a' {
                continue;
            }
            let language = match row.language {
                PLPGSQL_LANGUAGE_OID => planner::FunctionLanguage::Plpgsql,
                _ if inlinable(&row) => planner::FunctionLanguage::Sql,
                _ => planner::FunctionLanguage::SqlStatements,
            };
            out.push(Arc::new(planner::FunctionDesc {
                oid: row.oid,
                arg_names: row.in_arg_names(),
                out_columns: row.out_columns(),
                name: row.name,
                arg_types: row.arg_types,
                ret_type: row.ret_type,
                body: Arc::from(row.body.as_str()),
                strict: row.strict,
                language,
                arg_defaults: row
                    .arg_defaults
                    .iter()
                    .map(|d| Arc::from(d.as_str()))
                    .collect(),
                retset: row.retset,
                volatile: row.volatility == 'v',
            }));
        }
        if !out.is_empty() {
            break;
        }
    }
    session.relcache.functions.insert(key, out.clone());
    Ok(out)
}

/// Whether an SQL function's calls can be expanded in place: one SELECT
/// returning one value.
fn inlinable(row: &ProcRow) -> bool {
    if row.retset || !row.out_columns().is_empty() || row.ret_type == types::oid::VOID {
        return false;
    }
    matches!(
        crate::syntax::parse(&row.body).as_deref(),
        Ok([sqlparser::ast::Statement::Query(_)])
    )
}

fn body_text(cf: &CreateFunction) -> PgResult<String> {
    let literal = |e: &sqlparser::ast::Expr| -> PgResult<String> {
        match e {
            sqlparser::ast::Expr::Value(v) => match &v.value {
                sqlparser::ast::Value::SingleQuotedString(s)
                | sqlparser::ast::Value::DollarQuotedString(sqlparser::ast::DollarQuotedString {
                    value: s,
                    ..
                }) => Ok(s.clone()),
                other => Err(PgError::syntax(
                    format!("syntax error at or near \"{other}\""),
                    None,
                )),
            },
            other => Err(PgError::syntax(
                format!("syntax error at or near \"{other}\""),
                None,
            )),
        }
    };
    match &cf.function_body {
        Some(CreateFunctionBody::AsBeforeOptions {
            body,
            link_symbol: None,
        })
        | Some(CreateFunctionBody::AsAfterOptions(body)) => literal(body),
        Some(CreateFunctionBody::Return(e)) => Ok(format!("SELECT {e}")),
        Some(_) => Err(PgError::feature_not_supported(
            "this form of function body (BEGIN ATOMIC, link symbols)",
        )),
        None => Err(PgError::new(
            SqlState::InvalidFunctionDefinition,
            "no function body specified",
        )),
    }
}

/// A declared return type (`void` and `trigger` are allowed; the
/// pseudo-types of polymorphism are not yet).
fn resolve_return_type(session: &mut Session, dt: &sqlparser::ast::DataType) -> PgResult<u32> {
    let text = dt.to_string();
    if text.eq_ignore_ascii_case("trigger") {
        return Ok(crate::plpgsql::TRIGGER);
    }
    if text.eq_ignore_ascii_case("record") {
        return Ok(types::oid::RECORD);
    }
    Ok(super::typecmds::resolve_type(session, dt)?.0)
}

/// The result columns that `modes` make of the arguments (as
/// [`ProcRow::out_columns`]).
fn out_columns(modes: &[char], names: &[String], types: &[u32]) -> Vec<(String, u32)> {
    ProcRow {
        arg_names: names.to_vec(),
        all_arg_types: types.to_vec(),
        arg_modes: modes.to_vec(),
        ..ProcRow::default()
    }
    .out_columns()
}

/// CREATE [OR REPLACE] FUNCTION name (args) RETURNS type LANGUAGE sql | plpgsql ...
pub(crate) fn create_function(session: &mut Session, cf: &CreateFunction) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE FUNCTION")?;
    let language = cf
        .language
        .as_ref()
        .map_or_else(|| "sql".to_string(), ident);
    let language_oid = match language.as_str() {
        "sql" => SQL_LANGUAGE_OID,
        "plpgsql" => PLPGSQL_LANGUAGE_OID,
        "c" | "internal" => {
            return Err(PgError::feature_not_supported(format!(
                "functions in language {language}"
            )));
        }
        _ => {
            return Err(PgError::new(
                SqlState::UndefinedObject,
                format!("language \"{language}\" does not exist"),
            ));
        }
    };
    let plpgsql = language_oid == PLPGSQL_LANGUAGE_OID;
    let mut retset = false;
    // Arguments: IN ones make the signature; OUT, INOUT and TABLE ones
    // the result row.
    let mut arg_types = Vec::new();
    let mut all_types = Vec::new();
    let mut all_names = Vec::new();
    let mut modes = Vec::new();
    let mut defaults = Vec::new();
    for a in cf.args.as_deref().unwrap_or(&[]) {
        match &a.default_expr {
            Some(e) => defaults.push(e.to_string()),
            None if !defaults.is_empty()
                && !matches!(a.mode, Some(sqlparser::ast::ArgMode::Out)) =>
            {
                return Err(PgError::new(
                    SqlState::InvalidFunctionDefinition,
                    "input parameters after one with a default value must also have defaults",
                ));
            }
            None => {}
        }
        let t = super::typecmds::resolve_type(session, &a.data_type)?.0;
        let mode = match a.mode {
            None | Some(sqlparser::ast::ArgMode::In) => 'i',
            Some(sqlparser::ast::ArgMode::Out) => 'o',
            Some(sqlparser::ast::ArgMode::InOut) => 'b',
            Some(sqlparser::ast::ArgMode::Variadic) => {
                return Err(PgError::feature_not_supported("VARIADIC arguments"));
            }
        };
        if mode != 'o' {
            arg_types.push(t);
        }
        all_types.push(t);
        all_names.push(a.name.as_ref().map(ident).unwrap_or_default());
        modes.push(mode);
    }
    let mut ret_type = match &cf.return_type {
        Some(FunctionReturnType::DataType(sqlparser::ast::DataType::Table(Some(cols)))) => {
            retset = true;
            for c in cols {
                all_types.push(super::typecmds::resolve_type(session, &c.data_type)?.0);
                all_names.push(ident(&c.name));
                modes.push('t');
            }
            0
        }
        Some(FunctionReturnType::DataType(dt)) => resolve_return_type(session, dt)?,
        Some(FunctionReturnType::SetOf(dt)) => {
            retset = true;
            resolve_return_type(session, dt)?
        }
        None => 0,
    };
    let outs: Vec<u32> = modes
        .iter()
        .zip(&all_types)
        .filter(|(m, _)| matches!(m, 'o' | 'b' | 't'))
        .map(|(_, t)| *t)
        .collect();
    let implied = match outs.as_slice() {
        [] => None,
        [t] => Some(*t),
        _ => Some(types::oid::RECORD),
    };
    match (ret_type, implied) {
        (0, None) => {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                "function result type must be specified",
            ));
        }
        (0, Some(t)) => ret_type = t,
        (r, Some(t)) if r != t => {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                format!(
                    "function result type must be {} because of OUT parameters",
                    types::oid::type_name(t)
                ),
            ));
        }
        _ => {}
    }
    if !modes.iter().any(|m| *m != 'i') {
        all_types.clear();
        modes.clear();
    }
    let arg_names = all_names;
    let body = body_text(cf)?;
    let strict = matches!(
        cf.called_on_null,
        Some(FunctionCalledOnNull::Strict | FunctionCalledOnNull::ReturnsNullOnNullInput)
    );
    let volatility = match cf.behavior {
        Some(FunctionBehavior::Immutable) => 'i',
        Some(FunctionBehavior::Stable) => 's',
        _ => 'v',
    };
    let (schema, name) = split_name(&cf.name)?;
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    if namespace == PG_CATALOG_NAMESPACE {
        return Err(system_catalog_denied(&format!("pg_catalog.{name}")));
    }
    // The body must parse (PL/pgSQL) or analyze (SQL) now
    // (check_function_bodies).
    let probe = ProcRow {
        retset,
        ret_type,
        body: body.clone(),
        arg_names: arg_names.clone(),
        all_arg_types: all_types.clone(),
        arg_modes: modes.clone(),
        ..ProcRow::default()
    };
    if plpgsql {
        crate::plpgsql::validate(&name, &body)?;
    } else if !inlinable(&probe)
        || arg_types.iter().any(|&t| types::oid::is_polymorphic(t))
        || types::oid::is_polymorphic(ret_type)
    {
        // Run statement by statement: each must parse now.
        for sql in crate::plpgsql::parse::split_statements(&body)? {
            crate::syntax::parse(&sql)?;
        }
    } else {
        let desc = planner::FunctionDesc {
            oid: 0,
            name: name.clone(),
            arg_types: arg_types.clone(),
            arg_names: arg_names.clone(),
            ret_type,
            body: Arc::from(body.as_str()),
            strict,
            language: planner::FunctionLanguage::Sql,
            retset,
            volatile: volatility == 'v',
            out_columns: Vec::new(),
            arg_defaults: Vec::new(),
        };
        let catalog = crate::table_access::SessionCatalog::new(session);
        planner::analyze::expr::analyze_function_body(&desc, &catalog, 1)
            .map_err(|e| e.with_context(format!("SQL function \"{name}\"")))?;
    }
    let existing = with_reader(session, |r| r.functions(Some(namespace), &name))?
        .into_iter()
        .find(|(_, row)| row.arg_types == arg_types);
    let db = session.database_oid;
    let owner = session.user_oid;
    match existing {
        Some(_) if !cf.or_replace => Err(PgError::new(
            SqlState::DuplicateFunction,
            format!("function \"{name}\" already exists with same argument types"),
        )),
        Some((tid, old)) => {
            if old.ret_type != ret_type {
                return Err(PgError::new(
                    SqlState::InvalidFunctionDefinition,
                    "cannot change return type of existing function",
                )
                .with_hint(format!(
                    "Use DROP FUNCTION {name}({}) first.",
                    arg_types
                        .iter()
                        .map(|&t| types::oid::type_name(t))
                        .collect::<Vec<_>>()
                        .join(",")
                )));
            }
            if old.retset != retset
                || old.out_columns() != out_columns(&modes, &arg_names, &all_types)
            {
                return Err(PgError::new(
                    SqlState::InvalidFunctionDefinition,
                    "cannot change return type of existing function",
                ));
            }
            let row = ProcRow {
                volatility,
                strict,
                arg_names,
                body,
                language: language_oid,
                arg_defaults: defaults,
                ..old
            };
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.update_function(tid, &row, w)
            })?;
            catalog_changed(session);
            Ok(Outcome::Command("CREATE FUNCTION".into()))
        }
        None => {
            crate::xact::ensure_xid(session)?;
            let row = ProcRow {
                oid: session.storage.transam.new_oid()?,
                name,
                namespace,
                owner,
                volatility,
                strict,
                ret_type,
                arg_types,
                arg_names,
                body,
                all_arg_types: all_types,
                arg_modes: modes,
                arg_defaults: defaults,
                language: language_oid,
                kind: 'f',
                retset,
            };
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.create_function(w, &row)
            })?;
            catalog_changed(session);
            Ok(Outcome::Command("CREATE FUNCTION".into()))
        }
    }
}

/// DROP FUNCTION [IF EXISTS] name [(argtypes)] [, ...].
pub(crate) fn drop_function(session: &mut Session, df: &DropFunction) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP FUNCTION")?;
    let mut rows = Vec::new();
    for f in &df.func_desc {
        let (schema, name) = split_name(&f.name)?;
        let namespace = match &schema {
            Some(s) => relcache::namespace_oid(session, s)?,
            None => None,
        };
        let wanted: Option<Vec<u32>> = match &f.args {
            Some(args) => {
                let mut types = Vec::with_capacity(args.len());
                for a in args {
                    types.push(super::typecmds::resolve_type(session, &a.data_type)?.0);
                }
                Some(types)
            }
            None => None,
        };
        let found: Vec<_> = with_reader(session, |r| r.functions(namespace, &name))?
            .into_iter()
            .filter(|(_, row)| wanted.as_ref().is_none_or(|w| *w == row.arg_types))
            .collect();
        let sig = wanted.as_ref().map(|w| {
            w.iter()
                .map(|&t| types::oid::type_name(t))
                .collect::<Vec<_>>()
                .join(", ")
        });
        match found.as_slice() {
            [] if df.if_exists => {
                // PostgreSQL names the types as pg_catalog.int4 here.
                let internal = wanted.as_ref().map(|w| {
                    w.iter()
                        .map(|&t| format!("pg_catalog.{}", types::oid::internal_name(t)))
                        .collect::<Vec<_>>()
                        .join(",")
                });
                session.notice(
                    "00000",
                    format!(
                        "function {name}({}) does not exist, skipping",
                        internal.unwrap_or_default()
                    ),
                )
            }
            [] => {
                return Err(PgError::new(
                    SqlState::UndefinedFunction,
                    match &sig {
                        Some(s) => format!("function {name}({s}) does not exist"),
                        None => format!("could not find a function named \"{name}\""),
                    },
                ));
            }
            [one] if one.1.kind == 'a' => {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("\"{name}\" is an aggregate function"),
                )
                .with_hint("Use DROP AGGREGATE to drop aggregate functions."));
            }
            [one] => {
                let deps = super::aggregate::dependents(session, &one.1)?;
                let cascade = matches!(
                    df.drop_behavior,
                    Some(sqlparser::ast::DropBehavior::Cascade)
                );
                let this = format!(
                    "function {name}({})",
                    one.1
                        .arg_types
                        .iter()
                        .map(|&t| types::oid::type_name(t))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                if let Some((_, _, first)) = deps.first() {
                    if !cascade {
                        return Err(PgError::new(
                            SqlState::DependentObjectsStillExist,
                            format!("cannot drop {this} because other objects depend on it"),
                        )
                        .with_detail(format!("{first} depends on {this}"))
                        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
                    }
                    for (_, _, d) in &deps {
                        session.notice("00000", format!("drop cascades to {d}"));
                    }
                }
                for (proc_tid, agg_tid, _) in deps {
                    rows.push((PG_PROC, proc_tid));
                    rows.push((catalog::system::PG_AGGREGATE, agg_tid));
                }
                rows.push((PG_PROC, one.0))
            }
            _ => {
                return Err(PgError::new(
                    SqlState::AmbiguousFunction,
                    format!("function name \"{name}\" is not unique"),
                )
                .with_hint("Specify the argument list to select the function unambiguously."));
            }
        }
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("DROP FUNCTION".into()))
}

/// `DO [LANGUAGE plpgsql] 'code'`: runs an anonymous PL/pgSQL block.
pub(crate) fn do_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let words = crate::syntax::words(text)?;
    if let Some(i) = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("language"))
        && let Some(lang) = words.get(i + 1)
        && lang.to_lowercase() != "plpgsql"
    {
        return Err(match lang.to_lowercase().as_str() {
            "sql" => PgError::new(
                SqlState::FeatureNotSupported,
                "language \"sql\" does not support inline code execution",
            ),
            other => PgError::new(
                SqlState::UndefinedObject,
                format!("language \"{other}\" does not exist"),
            ),
        });
    }
    let code = crate::syntax::string_literals(text)?;
    let [code] = code.as_slice() else {
        return Err(PgError::syntax("no inline code specified", None));
    };
    crate::plpgsql::do_block(session, code)?;
    Ok(Outcome::Command("DO".into()))
}
