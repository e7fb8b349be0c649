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
    FunctionDefinitionSetParam, FunctionParallel, FunctionReturnType, FunctionSecurity,
    FunctionSetValue,
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
                _ if row.config.is_empty() && inlinable(&row) => planner::FunctionLanguage::Sql,
                _ => planner::FunctionLanguage::SqlStatements,
            };
            let procedure = row.kind == 'p';
            // A procedure's call signature has its OUT arguments too.
            let (arg_types, arg_names) = match procedure && !row.arg_modes.is_empty() {
                true => (row.all_arg_types.clone(), row.arg_names.clone()),
                false => (row.arg_types.clone(), row.in_arg_names()),
            };
            let out_positions = match procedure {
                true => (0..row.arg_modes.len())
                    .filter(|&i| matches!(row.arg_modes[i], 'o' | 'b'))
                    .collect(),
                false => Vec::new(),
            };
            out.push(Arc::new(planner::FunctionDesc {
                oid: row.oid,
                arg_names,
                out_columns: row.out_columns(),
                procedure,
                out_positions,
                name: row.name,
                arg_types,
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
                variadic: row.arg_modes.contains(&'v'),
                variadic_from: None,
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

/// The element type a VARIADIC parameter of type `t` collects its
/// arguments into (`provariadic`): an array's element, `anyelement` for
/// `anyarray`, `anycompatible` for `anycompatiblearray`.
pub fn variadic_element(t: u32) -> PgResult<u32> {
    use types::oid::{ANY, ANYARRAY, ANYCOMPATIBLE, ANYCOMPATIBLEARRAY, ANYELEMENT};
    match t {
        ANYARRAY => Ok(ANYELEMENT),
        ANYCOMPATIBLEARRAY => Ok(ANYCOMPATIBLE),
        ANY => Err(PgError::feature_not_supported(
            "VARIADIC \"any\" parameters of SQL and PL/pgSQL functions",
        )),
        _ => types::oid::element_of(t).ok_or_else(|| {
            PgError::new(
                SqlState::InvalidFunctionDefinition,
                "VARIADIC parameter must be an array",
            )
        }),
    }
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

/// Whether a SET option of CREATE FUNCTION is the mark of a CREATE
/// PROCEDURE (see `syntax::rewrite_procedures`).
fn is_procedure_marker(p: &FunctionDefinitionSetParam) -> bool {
    matches!(p.name.0.as_slice(), [part] if part.as_ident().is_some_and(|i| i.value == crate::syntax::PROCEDURE_MARKER))
}

/// Whether CREATE FUNCTION declares a set result (SETOF or TABLE).
fn cf_returns_set(cf: &CreateFunction) -> bool {
    matches!(
        &cf.return_type,
        Some(FunctionReturnType::SetOf(_))
            | Some(FunctionReturnType::DataType(
                sqlparser::ast::DataType::Table(Some(_))
            ))
    )
}

/// The attributes of CREATE FUNCTION that come as marked SET options (see
/// `syntax::rewrite_function_attributes`).
#[derive(Default)]
struct Attributes {
    leakproof: bool,
    cost: Option<f32>,
    rows: Option<f32>,
}

impl Attributes {
    /// Takes `p` if it is a marked attribute (false for a real setting).
    fn take(&mut self, p: &FunctionDefinitionSetParam, procedure: bool) -> PgResult<bool> {
        let [part] = p.name.0.as_slice() else {
            return Ok(false);
        };
        let Some(name) = part
            .as_ident()
            .and_then(|i| i.value.strip_prefix(crate::syntax::ATTRIBUTE_MARKER))
        else {
            return Ok(false);
        };
        if procedure {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                "invalid attribute in procedure definition",
            ));
        }
        let value = match &p.value {
            FunctionSetValue::Values(v) => v.first(),
            _ => None,
        };
        match (name, value) {
            ("leakproof", Some(v)) => self.leakproof = v.to_string() == "'on'",
            ("cost", Some(v)) => self.cost = Some(positive(v, "COST")?),
            ("rows", Some(v)) => self.rows = Some(positive(v, "ROWS")?),
            _ => {
                return Err(PgError::feature_not_supported(
                    "window functions in SQL and PL/pgSQL",
                ));
            }
        }
        Ok(true)
    }
}

/// A function's `SET name = value` / `SET name FROM CURRENT` clause: the
/// setting's name and value (None: `TO DEFAULT`), checked as SET would.
fn set_param(
    session: &mut Session,
    p: &FunctionDefinitionSetParam,
) -> PgResult<(String, Option<String>)> {
    let name = crate::utility::object_name_text(&p.name);
    // proconfig spells a setting as the server does (DateStyle).
    let name = types::guc::lookup(&name).map_or(name, |d| d.name.to_string());
    let value = match &p.value {
        FunctionSetValue::Default => return Ok((name, None)),
        FunctionSetValue::FromCurrent => session.settings.show(&name)?,
        FunctionSetValue::Values(values) => {
            let items = values
                .iter()
                .map(crate::utility::value_text)
                .collect::<PgResult<Vec<_>>>()?;
            types::guc::flatten_set_args(
                &name,
                &items.iter().map(String::as_str).collect::<Vec<_>>(),
            )?
        }
    };
    // Checked now, as PostgreSQL validates proconfig.
    let mut probe = session.settings.clone();
    probe.set(
        &name,
        &value,
        types::guc::GucSource::Session,
        session.is_superuser,
    )?;
    Ok((name, Some(value)))
}

/// Sets (or, for None, removes) `name` in a `proconfig` list of
/// `name=value` items.
fn set_config(config: &mut Vec<String>, name: &str, value: Option<String>) {
    let prefix = format!("{name}=");
    let at = config.iter().position(|c| c.starts_with(&prefix));
    match (at, value) {
        (Some(i), Some(v)) => config[i] = format!("{name}={v}"),
        (None, Some(v)) => config.push(format!("{name}={v}")),
        (Some(i), None) => {
            config.remove(i);
        }
        (None, None) => {}
    }
}

/// CREATE [OR REPLACE] FUNCTION name (args) RETURNS type LANGUAGE sql | plpgsql ...
/// 42P13 for a polymorphic range result (`anyrange`, `anymultirange` and
/// their `anycompatible` forms, as the return type or an OUT parameter)
/// that no input can determine (PostgreSQL's `check_polymorphic_result`
/// for the range families).
fn check_polymorphic_range_result(ret_type: u32, outs: &[u32], inputs: &[u32]) -> PgResult<()> {
    use types::oid::{ANYCOMPATIBLEMULTIRANGE, ANYCOMPATIBLERANGE, ANYMULTIRANGE, ANYRANGE};
    for &r in std::iter::once(&ret_type).chain(outs) {
        let (family, names) = match r {
            ANYRANGE | ANYMULTIRANGE => ([ANYRANGE, ANYMULTIRANGE], "anyrange or anymultirange"),
            ANYCOMPATIBLERANGE | ANYCOMPATIBLEMULTIRANGE => (
                [ANYCOMPATIBLERANGE, ANYCOMPATIBLEMULTIRANGE],
                "anycompatiblerange or anycompatiblemultirange",
            ),
            _ => continue,
        };
        if !inputs.iter().any(|t| family.contains(t)) {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                "cannot determine result data type",
            )
            .with_detail(format!(
                "A result of type {} requires at least one input of type {names}.",
                types::oid::type_name(r)
            )));
        }
    }
    Ok(())
}

pub(crate) fn create_function(session: &mut Session, cf: &CreateFunction) -> PgResult<Outcome> {
    let procedure = cf.set_params.iter().any(is_procedure_marker);
    let (what, tag) = match procedure {
        true => ("procedure", "CREATE PROCEDURE"),
        false => ("function", "CREATE FUNCTION"),
    };
    crate::xact::check_writable(session, tag)?;
    if procedure && (cf.behavior.is_some() || cf.called_on_null.is_some() || cf.parallel.is_some())
    {
        return Err(PgError::new(
            SqlState::InvalidFunctionDefinition,
            "invalid attribute in procedure definition",
        ));
    }
    let mut config = Vec::new();
    let mut attributes = Attributes::default();
    for p in cf.set_params.iter().filter(|p| !is_procedure_marker(p)) {
        if attributes.take(p, procedure)? {
            continue;
        }
        let (name, value) = set_param(session, p)?;
        set_config(&mut config, &name, value);
    }
    if attributes.rows.is_some() && !cf_returns_set(cf) {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            "ROWS is not applicable when function does not return a set",
        ));
    }
    if attributes.leakproof && !session.is_superuser {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            "only superuser can define a leakproof function",
        ));
    }
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
    crate::acl::require_language_usage(session, language_oid)?;
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
            None if procedure
                && !defaults.is_empty()
                && matches!(a.mode, Some(sqlparser::ast::ArgMode::Out)) =>
            {
                return Err(PgError::new(
                    SqlState::InvalidFunctionDefinition,
                    "procedure OUT parameters cannot appear after one with a default value",
                ));
            }
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
                variadic_element(t)?;
                'v'
            }
        };
        if mode != 'o' && modes.contains(&'v') {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                "VARIADIC parameter must be the last input parameter",
            ));
        }
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
    if procedure {
        // Procedures with output arguments return RECORD, others void.
        ret_type = match outs.is_empty() {
            true => types::oid::VOID,
            false => types::oid::RECORD,
        };
    }
    match (ret_type, implied) {
        _ if procedure => {}
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
    check_polymorphic_range_result(ret_type, &outs, &arg_types)?;
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
    for &t in all_types.iter().chain(&arg_types).chain([&ret_type]) {
        if t >= 16384 {
            crate::acl::require_type_usage(session, t)?;
        }
    }
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
            procedure: false,
            out_positions: Vec::new(),
            variadic: modes.contains(&'v'),
            variadic_from: None,
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
    let security_definer = matches!(cf.security, Some(FunctionSecurity::Definer));
    let parallel = match cf.parallel {
        Some(FunctionParallel::Safe) => 's',
        Some(FunctionParallel::Restricted) => 'r',
        _ => 'u',
    };
    match existing {
        Some(_) if !cf.or_replace => Err(PgError::new(
            SqlState::DuplicateFunction,
            format!("{what} \"{name}\" already exists with same argument types"),
        )),
        Some((_, old)) if (old.kind == 'p') != procedure => Err(PgError::new(
            SqlState::WrongObjectType,
            "cannot change routine kind",
        )
        .with_detail(match old.kind {
            'p' => format!("\"{name}\" is a procedure."),
            _ => format!("\"{name}\" is a function."),
        })),
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
                security_definer,
                parallel,
                config,
                leakproof: attributes.leakproof,
                cost: attributes.cost.unwrap_or(100.0),
                rows: attributes.rows.unwrap_or(if retset { 1000.0 } else { 0.0 }),
                ..old
            };
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.update_function(tid, &row, w)
            })?;
            catalog_changed(session);
            Ok(Outcome::Command(tag.into()))
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
                kind: if procedure { 'p' } else { 'f' },
                retset,
                cost: attributes.cost.unwrap_or(100.0),
                rows: attributes.rows.unwrap_or(if retset { 1000.0 } else { 0.0 }),
                security_definer,
                leakproof: attributes.leakproof,
                parallel,
                config,
                acl: crate::acl::default_privileges::new_object_acl(
                    session,
                    owner,
                    namespace,
                    catalog::acl::ObjectKind::Function,
                )?,
            };
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.create_function(w, &row)
            })?;
            catalog_changed(session);
            Ok(Outcome::Command(tag.into()))
        }
    }
}

/// DROP FUNCTION [IF EXISTS] name [(argtypes)] [, ...], or DROP ROUTINE
/// (its first name the routine marker, see `syntax::rewrite_procedures`).
pub(crate) fn drop_function(session: &mut Session, df: &DropFunction) -> PgResult<Outcome> {
    let cascade = matches!(
        df.drop_behavior,
        Some(sqlparser::ast::DropBehavior::Cascade)
    );
    match df.func_desc.split_first() {
        Some((first, rest)) if matches!(first.name.0.as_slice(), [p] if p.as_ident().is_some_and(|i| i.value == crate::syntax::ROUTINE_MARKER)) => {
            drop_routines(session, rest, df.if_exists, cascade, RoutineKind::Routine)
        }
        _ => drop_routines(
            session,
            &df.func_desc,
            df.if_exists,
            cascade,
            RoutineKind::Function,
        ),
    }
}

/// DROP FUNCTION, PROCEDURE or ROUTINE [IF EXISTS] name [(argtypes)] [, ...].
pub(crate) fn drop_routines(
    session: &mut Session,
    descs: &[sqlparser::ast::FunctionDesc],
    if_exists: bool,
    cascade: bool,
    kind: RoutineKind,
) -> PgResult<Outcome> {
    let what = kind.word();
    let missing = kind.missing_word();
    let tag = format!("DROP {}", what.to_uppercase());
    crate::xact::check_writable(session, &tag)?;
    let mut rows = Vec::new();
    for f in descs {
        let (schema, name) = split_name(&f.name)?;
        let namespace = match &schema {
            Some(s) => relcache::namespace_oid(session, s)?,
            None => None,
        };
        let wanted: Option<Vec<u32>> = match &f.args {
            Some(args) => {
                let mut types = Vec::with_capacity(args.len());
                for a in args {
                    // OUT arguments are not part of the signature.
                    if matches!(a.mode, Some(sqlparser::ast::ArgMode::Out)) {
                        continue;
                    }
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
        if let [(_, row)] = found.as_slice()
            && kind != RoutineKind::Routine
            && (row.kind == 'p') != (kind == RoutineKind::Procedure)
        {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!(
                    "{}({}) is not a {what}",
                    row.name,
                    row.arg_types
                        .iter()
                        .map(|&t| types::oid::type_name(t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let sig = wanted.as_ref().map(|w| {
            w.iter()
                .map(|&t| types::oid::type_name(t))
                .collect::<Vec<_>>()
                .join(", ")
        });
        match found.as_slice() {
            [] if if_exists => {
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
                        "{what} {name}({}) does not exist, skipping",
                        internal.unwrap_or_default()
                    ),
                )
            }
            [] => {
                return Err(PgError::new(
                    SqlState::UndefinedFunction,
                    match &sig {
                        Some(s) => format!("{missing} {name}({s}) does not exist"),
                        None => format!("could not find a {missing} named \"{name}\""),
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
                if !session.is_superuser {
                    let graph = crate::acl::RoleGraph::load(session)?;
                    if !graph.has_privs_of(session.user_oid, one.1.owner) {
                        let word = if one.1.kind == 'p' {
                            "procedure"
                        } else {
                            "function"
                        };
                        // Named as written, as PostgreSQL names it.
                        let written = schema
                            .as_ref()
                            .map_or_else(|| name.clone(), |s| format!("{s}.{name}"));
                        return Err(crate::acl::must_be_owner(word, &written));
                    }
                }
                let deps = super::aggregate::dependents(session, &one.1)?;
                let operators = super::operatorcmds::dependents(session, one.1.oid)?;
                let this = format!(
                    "function {name}({})",
                    one.1
                        .arg_types
                        .iter()
                        .map(|&t| types::oid::type_name(t))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                let first = deps
                    .first()
                    .map(|d| d.2.clone())
                    .or_else(|| operators.first().map(|o| o.0.clone()));
                if let Some(first) = first {
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
                    for (d, _) in &operators {
                        session.notice("00000", format!("drop cascades to {d}"));
                    }
                    super::operatorcmds::drop_dependents(session, &operators)?;
                }
                for (proc_tid, agg_tid, _) in deps {
                    rows.push((PG_PROC, proc_tid));
                    rows.push((catalog::system::PG_AGGREGATE, agg_tid));
                }
                let oid = one.1.oid;
                rows.extend(with_reader(session, |r| {
                    r.description_rows(PG_PROC, oid, None)
                })?);
                rows.push((PG_PROC, one.0))
            }
            _ => {
                return Err(PgError::new(
                    SqlState::AmbiguousFunction,
                    format!("{what} name \"{name}\" is not unique"),
                )
                .with_hint(format!(
                    "Specify the argument list to select the {what} unambiguously."
                )));
            }
        }
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command(tag))
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
    // A DO block run at top level outside a transaction block may COMMIT.
    session.nonatomic_call = session.may_control_transactions();
    let result = crate::plpgsql::do_block(session, code);
    session.nonatomic_call = false;
    result?;
    Ok(Outcome::Command("DO".into()))
}

/// Which routines an ALTER names: ALTER FUNCTION, ALTER PROCEDURE or ALTER
/// ROUTINE (either).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoutineKind {
    Function,
    Procedure,
    Routine,
}

impl RoutineKind {
    fn word(self) -> &'static str {
        match self {
            RoutineKind::Function => "function",
            RoutineKind::Procedure => "procedure",
            RoutineKind::Routine => "routine",
        }
    }

    /// The word of its "does not exist" errors (PostgreSQL says "function"
    /// for a routine there).
    fn missing_word(self) -> &'static str {
        match self {
            RoutineKind::Routine => "function",
            other => other.word(),
        }
    }
}

/// The one routine `name(args)` (or the one named `name`) of `kind`: its
/// tuple and row, with PostgreSQL's errors (`LookupFuncWithArgs`).
pub(crate) fn lookup_routine(
    session: &mut Session,
    desc: &sqlparser::ast::FunctionDesc,
    parts: &[String],
    kind: RoutineKind,
) -> PgResult<(storage::page::ItemPointer, ProcRow)> {
    let what = kind.word();
    let missing = kind.missing_word();
    let (schema, name) = match parts {
        [s, n] => (Some(s.clone()), n.clone()),
        [n] => (None, n.clone()),
        _ => {
            return Err(PgError::syntax(
                format!(
                    "improper qualified name (too many dotted names): {}",
                    parts.join(".")
                ),
                None,
            ));
        }
    };
    let namespace = match &schema {
        Some(s) => relcache::namespace_oid(session, s)?,
        None => None,
    };
    let wanted: Option<Vec<u32>> = match &desc.args {
        Some(args) => {
            let mut types = Vec::with_capacity(args.len());
            for a in args {
                if matches!(a.mode, Some(sqlparser::ast::ArgMode::Out)) {
                    continue;
                }
                types.push(super::typecmds::resolve_type(session, &a.data_type)?.0);
            }
            Some(types)
        }
        None => None,
    };
    let candidates = match namespace {
        Some(n) => vec![n],
        None => relcache::search_path(session)?,
    };
    let mut found = Vec::new();
    for nsp in candidates {
        found = with_reader(session, |r| r.functions(Some(nsp), &name))?
            .into_iter()
            .filter(|(_, row)| match &wanted {
                Some(w) => *w == row.arg_types,
                // Without arguments only routines of the kind count.
                None => match kind {
                    RoutineKind::Function => row.kind != 'p',
                    RoutineKind::Procedure => row.kind == 'p',
                    RoutineKind::Routine => true,
                },
            })
            .collect();
        if !found.is_empty() {
            break;
        }
    }
    let sig = |types: &[u32]| {
        types
            .iter()
            .map(|&t| types::oid::type_name(t))
            .collect::<Vec<_>>()
    };
    // Named as written (qualified if it was), as PostgreSQL names it.
    let written = parts.join(".");
    match found.len() {
        0 => Err(PgError::new(
            SqlState::UndefinedFunction,
            match &wanted {
                Some(w) => format!("{missing} {written}({}) does not exist", sig(w).join(", ")),
                None => format!("could not find a {missing} named \"{written}\""),
            },
        )),
        1 => {
            let (tid, row) = found.remove(0);
            let mismatch = match kind {
                RoutineKind::Function => row.kind == 'p',
                RoutineKind::Procedure => row.kind != 'p',
                RoutineKind::Routine => false,
            };
            if mismatch {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!(
                        "{}({}) is not a {what}",
                        row.name,
                        sig(&row.arg_types).join(", ")
                    ),
                ));
            }
            Ok((tid, row))
        }
        _ => Err(PgError::new(
            SqlState::AmbiguousFunction,
            format!("{what} name \"{name}\" is not unique"),
        )
        .with_hint(format!(
            "Specify the argument list to select the {what} unambiguously."
        ))),
    }
}

/// A positive number of an ALTER FUNCTION's COST or ROWS.
fn positive(e: &sqlparser::ast::Expr, what: &str) -> PgResult<f32> {
    let v: f64 = e
        .to_string()
        .parse()
        .map_err(|_| PgError::syntax(format!("syntax error at or near \"{e}\""), None))?;
    if v <= 0.0 {
        return Err(PgError::new(
            SqlState::InvalidParameterValue,
            format!("{what} must be positive"),
        ));
    }
    Ok(v as f32)
}

/// ALTER FUNCTION | PROCEDURE | ROUTINE name [(args)] RENAME TO, OWNER TO,
/// SET SCHEMA, or attributes: STRICT, volatility, [NOT] LEAKPROOF,
/// SECURITY, PARALLEL, COST, ROWS, SET / RESET of settings.
pub(crate) fn alter_function(
    session: &mut Session,
    af: &sqlparser::ast::AlterFunction,
) -> PgResult<Outcome> {
    use sqlparser::ast::{AlterFunctionAction as A, AlterFunctionKind, AlterFunctionOperation};
    if af.kind != AlterFunctionKind::Function {
        return Err(PgError::feature_not_supported("ALTER AGGREGATE"));
    }
    let mut parts: Vec<String> = af
        .function
        .name
        .0
        .iter()
        .map(|p| p.as_ident().map_or_else(|| p.to_string(), ident))
        .collect();
    let kind = match parts.first().map(String::as_str) {
        Some(crate::syntax::PROCEDURE_MARKER) => RoutineKind::Procedure,
        Some(crate::syntax::ROUTINE_MARKER) => RoutineKind::Routine,
        _ => RoutineKind::Function,
    };
    if kind != RoutineKind::Function {
        parts.remove(0);
    }
    let tag = format!("ALTER {}", kind.word().to_uppercase());
    crate::xact::check_writable(session, &tag)?;
    let (tid, mut row) = lookup_routine(session, &af.function, &parts, kind)?;
    let what = match row.kind {
        'p' => "procedure",
        _ => "function",
    };
    if !session.is_superuser {
        let graph = crate::acl::RoleGraph::load(session)?;
        if !graph.has_privs_of(session.user_oid, row.owner) {
            return Err(crate::acl::must_be_owner(what, &row.name));
        }
    }
    let conflict = |session: &mut Session, name: &str, namespace: u32| -> PgResult<()> {
        let clash = with_reader(session, |r| r.functions(Some(namespace), name))?
            .into_iter()
            .any(|(_, other)| other.oid != row.oid && other.arg_types == row.arg_types);
        if clash {
            let schema = with_reader(session, |r| r.namespace_name(namespace))?.unwrap_or_default();
            return Err(PgError::new(
                SqlState::DuplicateFunction,
                format!(
                    "{what} {name}({}) already exists in schema \"{schema}\"",
                    row.arg_types
                        .iter()
                        .map(|&t| types::oid::type_name(t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(())
    };
    match &af.operation {
        AlterFunctionOperation::RenameTo { new_name } => {
            let new_name = ident(new_name);
            conflict(session, &new_name, row.namespace)?;
            crate::acl::require_schema_create(session, row.namespace)?;
            row.name = new_name;
        }
        AlterFunctionOperation::OwnerTo(owner) => {
            let graph = crate::acl::RoleGraph::load(session)?;
            let new = crate::acl::owner_role(session, &graph, owner)?;
            if new.oid == row.owner {
                return Ok(Outcome::Command(tag));
            }
            crate::acl::check_new_owner(session, &graph, &new, row.namespace)?;
            row.acl =
                crate::acl::acl_new_owner(row.acl.as_deref(), &graph.name_of(row.owner), &new.name);
            row.owner = new.oid;
        }
        AlterFunctionOperation::SetSchema { schema_name } => {
            let schema = crate::utility::object_name_text(schema_name);
            let namespace = relcache::namespace_oid(session, &schema)?.ok_or_else(|| {
                PgError::new(
                    SqlState::InvalidSchemaName,
                    format!("schema \"{schema}\" does not exist"),
                )
            })?;
            if namespace == PG_CATALOG_NAMESPACE {
                return Err(PgError::new(
                    SqlState::InsufficientPrivilege,
                    "cannot move objects into or out of system schemas",
                ));
            }
            conflict(session, &row.name.clone(), namespace)?;
            crate::acl::require_schema_create(session, namespace)?;
            row.namespace = namespace;
        }
        AlterFunctionOperation::DependsOnExtension { .. } => {
            return Err(PgError::feature_not_supported("DEPENDS ON EXTENSION"));
        }
        AlterFunctionOperation::Actions { actions, .. } => {
            for a in actions {
                if row.kind == 'p' && !matches!(a, A::Security { .. } | A::Set(_) | A::Reset(_)) {
                    return Err(PgError::new(
                        SqlState::InvalidFunctionDefinition,
                        "invalid attribute in procedure definition",
                    ));
                }
                match a {
                    A::CalledOnNull(c) => {
                        row.strict = !matches!(c, FunctionCalledOnNull::CalledOnNullInput)
                    }
                    A::Behavior(b) => {
                        row.volatility = match b {
                            FunctionBehavior::Immutable => 'i',
                            FunctionBehavior::Stable => 's',
                            FunctionBehavior::Volatile => 'v',
                        }
                    }
                    A::Leakproof(on) => {
                        if *on && !session.is_superuser {
                            return Err(PgError::new(
                                SqlState::InsufficientPrivilege,
                                "only superuser can define a leakproof function",
                            ));
                        }
                        row.leakproof = *on;
                    }
                    A::Security { security, .. } => {
                        row.security_definer = matches!(security, FunctionSecurity::Definer)
                    }
                    A::Parallel(p) => {
                        row.parallel = match p {
                            FunctionParallel::Safe => 's',
                            FunctionParallel::Restricted => 'r',
                            FunctionParallel::Unsafe => 'u',
                        }
                    }
                    A::Cost(e) => row.cost = positive(e, "COST")?,
                    A::Rows(e) => {
                        let rows = positive(e, "ROWS")?;
                        if !row.retset {
                            return Err(PgError::new(
                                SqlState::InvalidParameterValue,
                                "ROWS is not applicable when function does not return a set",
                            ));
                        }
                        row.rows = rows;
                    }
                    A::Support(_) => {
                        return Err(PgError::feature_not_supported("SUPPORT functions"));
                    }
                    A::Set(p) => {
                        let (name, value) = set_param(session, p)?;
                        set_config(&mut row.config, &name, value);
                    }
                    A::Reset(sqlparser::ast::ResetConfig::ALL) => row.config.clear(),
                    A::Reset(sqlparser::ast::ResetConfig::ConfigName(n)) => {
                        let name = crate::utility::object_name_text(n);
                        let name = types::guc::lookup(&name).map_or(name, |d| d.name.to_string());
                        set_config(&mut row.config, &name, None)
                    }
                }
            }
        }
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_function(tid, &row, w)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command(tag))
}
