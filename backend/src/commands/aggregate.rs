//! User aggregates (PostgreSQL's `aggregatecmds.c` and `pg_aggregate.c`):
//! CREATE [OR REPLACE] AGGREGATE in both syntaxes, DROP AGGREGATE, ALTER
//! AGGREGATE ... RENAME TO / OWNER TO / SET SCHEMA; the lookup the planner
//! uses for their calls.
//!
//! An aggregate is a `pg_proc` row of `prokind` 'a' and a `pg_aggregate`
//! row naming its support functions. sqlparser knows none of these
//! statements: they arrive as text (`syntax::TextStatement::Aggregate`).
//! The transition and final functions are checked when the aggregate is
//! made and resolved again, by name, for the argument types of each call
//! (see `planner::analyze::user_agg`); so are the moving-aggregate ones,
//! which window frames whose start moves use (`executor::window`). Combine
//! and serialization functions are recorded but not used (there is no
//! parallel aggregation). Ordered-set and hypothetical aggregates, VARIADIC
//! arguments and `internal` transition states (whose C support functions
//! do not exist here) are 0A000.

use std::sync::Arc;

use sqlparser::ast::DataType;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use catalog::heap_catalog::CatalogWriter;
use catalog::system::{
    AggregateRow, PG_AGGREGATE_DEF, PG_CATALOG_NAMESPACE, PG_PROC, PG_PROC_DEF, ProcRow,
};
use types::oid::{self, ANY};
use types::{PgError, PgResult, SqlState};

use super::{catalog_changed, system_catalog_denied};
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// `pg_language` OID of `internal`, the language PostgreSQL gives
/// aggregates' `pg_proc` rows.
const INTERNAL_LANGUAGE_OID: u32 = 12;

/// The `internal` pseudo-type (state of the built-in aggregates' C
/// support functions, which do not exist here).
const INTERNAL: u32 = 2281;

/// The user aggregates `name` on the search_path (or in `schema`), nearest
/// schema first; cached with the relation cache.
pub fn lookup(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
) -> PgResult<Vec<Arc<planner::AggregateDesc>>> {
    relcache::accept_invalidations(session);
    let key = format!("{}\0{name}", schema.unwrap_or(""));
    if let Some(found) = session.relcache.aggregates.get(&key) {
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
            if row.kind != 'a' {
                continue;
            }
            let Some((_, agg)) = with_reader(session, |r| r.aggregate(row.oid))? else {
                continue;
            };
            out.push(Arc::new(describe(&row, &agg)));
        }
        if !out.is_empty() {
            break;
        }
    }
    session.relcache.aggregates.insert(key, out.clone());
    Ok(out)
}

fn describe(row: &ProcRow, agg: &AggregateRow) -> planner::AggregateDesc {
    let some = |s: &str| (s != "-").then(|| s.to_string());
    planner::AggregateDesc {
        oid: row.oid,
        name: row.name.clone(),
        arg_types: row.arg_types.clone(),
        ret_type: row.ret_type,
        transfn: agg.transfn.clone(),
        finalfn: some(&agg.finalfn),
        finalextra: agg.finalextra,
        transtype: agg.transtype,
        initval: agg.initval.clone(),
        mtransfn: some(&agg.mtransfn),
        minvtransfn: some(&agg.minvtransfn),
        mfinalfn: some(&agg.mfinalfn),
        mfinalextra: agg.mfinalextra,
        mtranstype: agg.mtranstype,
        minitval: agg.minitval.clone(),
    }
}

/// `CREATE | ALTER | DROP AGGREGATE ...`.
pub(crate) fn aggregate_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let t = tokens(text)?;
    match t.first().map(|w| word(w).to_lowercase()).as_deref() {
        Some("create") => create_aggregate(session, &t),
        Some("drop") => drop_aggregate(session, &t),
        _ => alter_aggregate(session, &t),
    }
}

/// The significant tokens of the statement (no whitespace, no `;`).
fn tokens(text: &str) -> PgResult<Vec<Token>> {
    Ok(Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .map_err(|e| PgError::syntax(e.to_string(), None))?
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF | Token::SemiColon))
        .collect())
}

/// An unquoted word's text ("" for anything else).
fn word(t: &Token) -> &str {
    match t {
        Token::Word(w) if w.quote_style.is_none() => &w.value,
        _ => "",
    }
}

fn is_kw(t: Option<&Token>, kw: &str) -> bool {
    t.is_some_and(|t| word(t).eq_ignore_ascii_case(kw))
}

fn syntax_error(t: Option<&Token>) -> PgError {
    match t {
        Some(t) => PgError::syntax(format!("syntax error at or near \"{t}\""), None),
        None => PgError::syntax("syntax error at end of input", None),
    }
}

fn text_of(t: &[Token]) -> String {
    t.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A possibly qualified name starting at `t[*i]`, case-folded.
fn object_name(t: &[Token], i: &mut usize) -> PgResult<(Option<String>, String)> {
    let mut parts = Vec::new();
    loop {
        match t.get(*i) {
            Some(Token::Word(w)) => {
                parts.push(if w.quote_style.is_some() {
                    w.value.clone()
                } else {
                    w.value.to_lowercase()
                });
                *i += 1;
            }
            other => return Err(syntax_error(other)),
        }
        if t.get(*i) == Some(&Token::Period) {
            *i += 1;
            continue;
        }
        break;
    }
    match parts.as_slice() {
        [n] => Ok((None, n.clone())),
        [s, n] => Ok((Some(s.clone()), n.clone())),
        _ => Err(PgError::new(
            SqlState::SyntaxError,
            format!(
                "improper qualified name (too many dotted names): {}",
                parts.join(".")
            ),
        )),
    }
}

/// The tokens of a parenthesized list starting at `t[*i]` (`(`), split at
/// its top-level commas; `*i` ends after the `)`.
fn paren_list<'t>(t: &'t [Token], i: &mut usize) -> PgResult<Vec<&'t [Token]>> {
    if t.get(*i) != Some(&Token::LParen) {
        return Err(syntax_error(t.get(*i)));
    }
    *i += 1;
    let mut depth = 0usize;
    let mut start = *i;
    let mut out = Vec::new();
    while let Some(tok) = t.get(*i) {
        match tok {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen if depth == 0 => {
                if *i > start || !out.is_empty() {
                    out.push(&t[start..*i]);
                }
                *i += 1;
                return Ok(out);
            }
            Token::RParen | Token::RBracket => depth -= 1,
            Token::Comma if depth == 0 => {
                out.push(&t[start..*i]);
                start = *i + 1;
            }
            _ => {}
        }
        *i += 1;
    }
    Err(syntax_error(None))
}

/// A type name written as tokens (`"any"` and `'ANY'` are `"any"`).
fn type_of(session: &mut Session, t: &[Token]) -> PgResult<u32> {
    match t {
        [Token::Word(w)] if w.quote_style == Some('"') && w.value == "any" => return Ok(ANY),
        [Token::SingleQuotedString(s)] if s.eq_ignore_ascii_case("any") => return Ok(ANY),
        [Token::Word(w)] if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("internal") => {
            return Ok(INTERNAL);
        }
        [Token::SingleQuotedString(s)] => {
            let dt = parse_type(&[Token::make_word(s, None)])?;
            return Ok(super::typecmds::resolve_type(session, &dt)?.0);
        }
        _ => {}
    }
    let dt = parse_type(t)?;
    Ok(super::typecmds::resolve_type(session, &dt)?.0)
}

fn parse_type(t: &[Token]) -> PgResult<DataType> {
    let dialect = PostgreSqlDialect {};
    let text = text_of(t);
    let mut p = Parser::new(&dialect)
        .try_with_sql(&text)
        .map_err(|e| PgError::syntax(e.to_string(), None))?;
    let dt = p
        .parse_data_type()
        .map_err(|e| PgError::syntax(e.to_string(), None))?;
    match p.peek_token().token {
        Token::EOF => Ok(dt),
        other => Err(syntax_error(Some(&other))),
    }
}

/// The argument types of `(args)`: `*` is none; an argument may have a
/// name; VARIADIC and ORDER BY (ordered-set aggregates) are 0A000.
fn arg_types(session: &mut Session, list: &[&[Token]]) -> PgResult<Vec<u32>> {
    if let [[Token::Mul]] = list {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        if a.iter().any(|t| is_kw(Some(t), "order")) {
            return Err(PgError::feature_not_supported(
                "ordered-set aggregates (ORDER BY in the argument list)",
            ));
        }
        let mut a: &[Token] = a;
        if is_kw(a.first(), "variadic") {
            return Err(PgError::feature_not_supported(
                "VARIADIC aggregate arguments",
            ));
        }
        if is_kw(a.first(), "in") {
            a = &a[1..];
        }
        // `name type` or `type`: a leading word the type does not parse
        // with is the argument's name.
        match type_of(session, a) {
            Ok(t) => out.push(t),
            Err(e) if a.len() > 1 && e.code == SqlState::SyntaxError => {
                out.push(type_of(session, &a[1..])?)
            }
            Err(e) if a.len() > 1 && e.code == SqlState::UndefinedObject => {
                match type_of(session, &a[1..]) {
                    Ok(t) => out.push(t),
                    Err(_) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The definition list of CREATE AGGREGATE, as PostgreSQL's
/// `DefineAggregate` reads it.
#[derive(Default)]
struct Definition {
    basetype: Option<Vec<Token>>,
    stype: Option<Vec<Token>>,
    mstype: Option<Vec<Token>>,
    sfunc: Option<String>,
    finalfunc: Option<String>,
    combinefunc: Option<String>,
    serialfunc: Option<String>,
    deserialfunc: Option<String>,
    msfunc: Option<String>,
    minvfunc: Option<String>,
    mfinalfunc: Option<String>,
    finalextra: bool,
    mfinalextra: bool,
    finalmodify: Option<char>,
    mfinalmodify: Option<char>,
    initcond: Option<String>,
    minitcond: Option<String>,
    sspace: i32,
    msspace: Option<i32>,
}

/// A function name value (`f`, `s.f`, `"F"`), folded.
fn function_name(v: &[Token]) -> PgResult<String> {
    let mut i = 0;
    let (schema, name) = object_name(v, &mut i)?;
    if i != v.len() {
        return Err(syntax_error(v.get(i)));
    }
    Ok(match schema {
        Some(s) => format!("{s}.{name}"),
        None => name,
    })
}

/// A string, number or word value as text.
fn literal(v: &[Token]) -> PgResult<String> {
    match v {
        [Token::SingleQuotedString(s)] => Ok(s.clone()),
        [Token::DollarQuotedString(s)] => Ok(s.value.clone()),
        [Token::Number(n, _)] => Ok(n.clone()),
        [Token::Minus, Token::Number(n, _)] => Ok(format!("-{n}")),
        [Token::Word(w)] => Ok(w.value.clone()),
        _ => Err(syntax_error(v.first())),
    }
}

fn boolean(key: &str, v: &[Token]) -> PgResult<bool> {
    if v.is_empty() {
        return Ok(true);
    }
    match literal(v)?.to_lowercase().as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(PgError::new(
            SqlState::SyntaxError,
            format!("{key} requires a Boolean value"),
        )),
    }
}

fn modify(key: &str, v: &[Token]) -> PgResult<char> {
    match literal(v)?.to_lowercase().as_str() {
        "read_only" => Ok('r'),
        "shareable" => Ok('s'),
        "read_write" => Ok('w'),
        _ => Err(PgError::new(
            SqlState::SyntaxError,
            format!("parameter \"{key}\" must be READ_ONLY, SHAREABLE, or READ_WRITE"),
        )),
    }
}

fn definition(session: &mut Session, list: &[&[Token]]) -> PgResult<Definition> {
    let mut d = Definition::default();
    for item in list {
        let (key, value) = match item {
            [Token::Word(k), Token::Eq, v @ ..] => (k, v),
            [Token::Word(k)] => (k, &[][..]),
            _ => return Err(syntax_error(item.first())),
        };
        // Quoted keys keep their case, and no key is spelled in capitals.
        let key = match key.quote_style {
            Some(_) => key.value.clone(),
            None => key.value.to_lowercase(),
        };
        let func = || function_name(value).map(Some);
        match key.as_str() {
            "sfunc" | "sfunc1" => d.sfunc = func()?,
            "finalfunc" => d.finalfunc = func()?,
            "combinefunc" => d.combinefunc = func()?,
            "serialfunc" => d.serialfunc = func()?,
            "deserialfunc" => d.deserialfunc = func()?,
            "msfunc" => d.msfunc = func()?,
            "minvfunc" => d.minvfunc = func()?,
            "mfinalfunc" => d.mfinalfunc = func()?,
            "finalfunc_extra" => d.finalextra = boolean(&key, value)?,
            "mfinalfunc_extra" => d.mfinalextra = boolean(&key, value)?,
            "finalfunc_modify" => d.finalmodify = Some(modify(&key, value)?),
            "mfinalfunc_modify" => d.mfinalmodify = Some(modify(&key, value)?),
            "sortop" => {}
            "basetype" => d.basetype = Some(value.to_vec()),
            "stype" | "stype1" => d.stype = Some(value.to_vec()),
            "mstype" => d.mstype = Some(value.to_vec()),
            "sspace" => d.sspace = literal(value)?.parse().unwrap_or(0),
            "msspace" => d.msspace = Some(literal(value)?.parse().unwrap_or(0)),
            "initcond" | "initcond1" => d.initcond = Some(literal(value)?),
            "minitcond" => d.minitcond = Some(literal(value)?),
            "hypothetical" => {
                if boolean(&key, value)? {
                    return Err(PgError::new(
                        SqlState::InvalidFunctionDefinition,
                        "only ordered-set aggregates can be hypothetical",
                    ));
                }
            }
            "parallel" => {
                let v = literal(value)?.to_lowercase();
                if !matches!(v.as_str(), "safe" | "restricted" | "unsafe") {
                    return Err(PgError::new(
                        SqlState::SyntaxError,
                        "parameter \"parallel\" must be SAFE, RESTRICTED, or UNSAFE",
                    ));
                }
            }
            _ => session.warn(
                "42601",
                format!("aggregate attribute \"{key}\" not recognized"),
            ),
        }
    }
    Ok(d)
}

/// CREATE [OR REPLACE] AGGREGATE name (args) (definition), or the old
/// `CREATE AGGREGATE name (BASETYPE = type, ...)`.
fn create_aggregate(session: &mut Session, t: &[Token]) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE AGGREGATE")?;
    let mut i = 1;
    let or_replace = is_kw(t.get(i), "or");
    if or_replace {
        i += 2;
    }
    i += 1; // AGGREGATE
    let (schema, name) = object_name(t, &mut i)?;
    let first = paren_list(t, &mut i)?;
    let (args, defs) = if t.get(i) == Some(&Token::LParen) {
        let defs = paren_list(t, &mut i)?;
        (Some(first), defs)
    } else {
        (None, first)
    };
    if i != t.len() {
        return Err(syntax_error(t.get(i)));
    }
    let d = definition(session, &defs)?;
    let Some(stype) = &d.stype else {
        return Err(PgError::new(
            SqlState::InvalidFunctionDefinition,
            "aggregate stype must be specified",
        ));
    };
    let Some(sfunc) = d.sfunc.clone() else {
        return Err(PgError::new(
            SqlState::InvalidFunctionDefinition,
            "aggregate sfunc must be specified",
        ));
    };
    if d.mstype.is_some() {
        if d.msfunc.is_none() {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                "aggregate msfunc must be specified when mstype is specified",
            ));
        }
        if d.minvfunc.is_none() {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                "aggregate minvfunc must be specified when mstype is specified",
            ));
        }
    } else {
        for (given, what) in [
            (d.msfunc.is_some(), "msfunc"),
            (d.minvfunc.is_some(), "minvfunc"),
            (d.mfinalfunc.is_some(), "mfinalfunc"),
            (d.msspace.is_some(), "msspace"),
            (d.minitcond.is_some(), "minitcond"),
        ] {
            if given {
                return Err(PgError::new(
                    SqlState::InvalidFunctionDefinition,
                    format!("aggregate {what} must not be specified without mstype"),
                ));
            }
        }
    }
    let arg_types = match (&args, &d.basetype) {
        (Some(list), None) => arg_types(session, list)?,
        (Some(_), Some(_)) => {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                "basetype is redundant with aggregate input type specification",
            ));
        }
        (None, Some(b)) => match type_of(session, b)? {
            ANY => Vec::new(),
            t => vec![t],
        },
        (None, None) => {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                "aggregate input type must be specified",
            ));
        }
    };
    let transtype = type_of(session, stype)?;
    if transtype == INTERNAL {
        return Err(PgError::feature_not_supported(
            "aggregates whose transition type is internal",
        ));
    }
    if d.serialfunc.is_some() != d.deserialfunc.is_some() {
        return Err(PgError::new(
            SqlState::InvalidFunctionDefinition,
            "must specify both or neither of serialization and deserialization functions",
        ));
    }
    if d.serialfunc.is_some() {
        return Err(PgError::new(
            SqlState::InvalidFunctionDefinition,
            "serialization functions may be specified only when the aggregate transition data type is internal",
        ));
    }
    let mtranstype = match &d.mstype {
        Some(m) => type_of(session, m)?,
        None => 0,
    };
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    if namespace == PG_CATALOG_NAMESPACE {
        return Err(system_catalog_denied(&format!("pg_catalog.{name}")));
    }
    let desc = planner::AggregateDesc {
        oid: 0,
        name: name.clone(),
        arg_types: arg_types.clone(),
        ret_type: 0,
        transfn: sfunc.clone(),
        finalfn: d.finalfunc.clone(),
        finalextra: d.finalextra,
        transtype,
        initval: d.initcond.clone(),
        ..Default::default()
    };
    let ret_type = {
        let catalog = crate::table_access::SessionCatalog::new(session);
        planner::analyze::user_agg::check_aggregate(&catalog, &desc, "transition")?.0
    };
    // The moving-aggregate functions must exist with their signature.
    if let (Some(msfunc), Some(minvfunc)) = (&d.msfunc, &d.minvfunc) {
        let m = planner::AggregateDesc {
            transfn: msfunc.clone(),
            finalfn: d.mfinalfunc.clone(),
            finalextra: d.mfinalextra,
            transtype: mtranstype,
            initval: d.minitcond.clone(),
            ..desc.clone()
        };
        let inv = planner::AggregateDesc {
            transfn: minvfunc.clone(),
            finalfn: None,
            ..m.clone()
        };
        let catalog = crate::table_access::SessionCatalog::new(session);
        let (_, forward) = planner::analyze::user_agg::check_aggregate(&catalog, &m, "transition")?;
        let (_, inverse) =
            planner::analyze::user_agg::check_aggregate(&catalog, &inv, "inverse transition")?;
        if forward != inverse {
            return Err(PgError::new(
                SqlState::InvalidFunctionDefinition,
                "strictness of aggregate's forward and inverse transition functions must match",
            ));
        }
    }
    // The initial condition must be a value of the state type.
    for (cond, t) in [(&d.initcond, transtype), (&d.minitcond, mtranstype)] {
        if let Some(text) = cond
            && !oid::is_polymorphic(t)
        {
            types::Datum::from_text(t, text, &types::datum::OutputOptions::default())?;
        }
    }
    let existing = with_reader(session, |r| r.functions(Some(namespace), &name))?
        .into_iter()
        .find(|(_, row)| row.arg_types == arg_types);
    let mut agg = AggregateRow {
        fnoid: 0,
        transfn: sfunc,
        finalfn: d.finalfunc.unwrap_or_else(|| "-".into()),
        combinefn: d.combinefunc.unwrap_or_else(|| "-".into()),
        serialfn: "-".into(),
        deserialfn: "-".into(),
        mtransfn: d.msfunc.unwrap_or_else(|| "-".into()),
        minvtransfn: d.minvfunc.unwrap_or_else(|| "-".into()),
        mfinalfn: d.mfinalfunc.unwrap_or_else(|| "-".into()),
        finalextra: d.finalextra,
        mfinalextra: d.mfinalextra,
        finalmodify: d.finalmodify.unwrap_or('r'),
        mfinalmodify: d.mfinalmodify.unwrap_or('r'),
        sortop: 0,
        transtype,
        transspace: d.sspace,
        mtranstype,
        mtransspace: d.msspace.unwrap_or(0),
        initval: d.initcond,
        minitval: d.minitcond,
    };
    let db = session.database_oid;
    match existing {
        Some(_) if !or_replace => Err(PgError::new(
            SqlState::DuplicateFunction,
            format!("function \"{name}\" already exists with same argument types"),
        )),
        Some((tid, old)) => {
            if old.kind != 'a' {
                return Err(
                    PgError::new(SqlState::WrongObjectType, "cannot change routine kind")
                        .with_detail(format!("\"{name}\" is a function.")),
                );
            }
            if old.ret_type != ret_type {
                return Err(PgError::new(
                    SqlState::InvalidFunctionDefinition,
                    "cannot change return type of existing function",
                )
                .with_hint(format!(
                    "Use DROP AGGREGATE {name}({}) first.",
                    signature(&arg_types)
                )));
            }
            agg.fnoid = old.oid;
            let agg_tid = with_reader(session, |r| r.aggregate(old.oid))?.map(|(t, _)| t);
            crate::xact::with_write(session, |env, w| {
                let cw = CatalogWriter { env, db_oid: db };
                cw.update_function(tid, &old, w)?;
                match agg_tid {
                    Some(at) => cw.replace_row(&PG_AGGREGATE_DEF, at, &agg.to_datums(), w),
                    None => cw
                        .insert_row(&PG_AGGREGATE_DEF, &agg.to_datums(), w)
                        .map(|_| ()),
                }
            })?;
            catalog_changed(session);
            Ok(Outcome::Command("CREATE AGGREGATE".into()))
        }
        None => {
            crate::xact::ensure_xid(session)?;
            let oid = session.storage.transam.new_oid()?;
            let row = ProcRow {
                oid,
                name,
                namespace,
                owner: session.user_oid,
                volatility: 'i',
                strict: false,
                ret_type,
                arg_types,
                arg_names: Vec::new(),
                body: "aggregate_dummy".into(),
                language: INTERNAL_LANGUAGE_OID,
                kind: 'a',
                acl: crate::acl::default_privileges::new_object_acl(
                    session,
                    session.user_oid,
                    namespace,
                    catalog::acl::ObjectKind::Function,
                )?,
                ..ProcRow::default()
            };
            agg.fnoid = oid;
            crate::xact::with_write(session, |env, w| {
                let cw = CatalogWriter { env, db_oid: db };
                cw.create_function(w, &row)?;
                cw.insert_row(&PG_AGGREGATE_DEF, &agg.to_datums(), w)
                    .map(|_| ())
            })?;
            catalog_changed(session);
            Ok(Outcome::Command("CREATE AGGREGATE".into()))
        }
    }
}

/// Type names as PostgreSQL's messages list them.
fn signature(types: &[u32]) -> String {
    types
        .iter()
        .map(|&t| oid::type_name(t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The aggregate `name(args)` a DROP or ALTER names: `(schema, name,
/// arg types)`; `*i` ends after the argument list.
fn aggregate_ref(
    session: &mut Session,
    t: &[Token],
    i: &mut usize,
) -> PgResult<(Option<String>, String, Vec<u32>)> {
    let (schema, name) = object_name(t, i)?;
    let list = paren_list(t, i)?;
    let types = arg_types(session, &list)?;
    Ok((schema, name, types))
}

/// The `pg_proc` row of aggregate `name(types)`, or PostgreSQL's 42883.
fn find_aggregate(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
    types: &[u32],
) -> PgResult<Option<(storage::page::ItemPointer, ProcRow)>> {
    let namespaces: Vec<u32> = match schema {
        Some(s) => match relcache::namespace_oid(session, s)? {
            Some(n) => vec![n],
            None => {
                return Err(PgError::new(
                    SqlState::InvalidSchemaName,
                    format!("schema \"{s}\" does not exist"),
                ));
            }
        },
        None => relcache::search_path(session)?,
    };
    for nsp in namespaces {
        let found = with_reader(session, |r| r.functions(Some(nsp), name))?
            .into_iter()
            .find(|(_, row)| row.arg_types == types);
        if let Some((tid, row)) = found {
            if row.kind != 'a' {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("function {name}({}) is not an aggregate", signature(types)),
                ));
            }
            return Ok(Some((tid, row)));
        }
    }
    Ok(None)
}

/// The aggregate `name(args)` written as `text` (COMMENT ON AGGREGATE).
pub(crate) fn lookup_signature(session: &mut Session, text: &str) -> PgResult<ProcRow> {
    let t = tokens(text)?;
    let mut i = 0;
    let (schema, name, types) = aggregate_ref(session, &t, &mut i)?;
    if i != t.len() {
        return Err(syntax_error(t.get(i)));
    }
    match find_aggregate(session, schema.as_deref(), &name, &types)? {
        Some((_, row)) => Ok(row),
        None => Err(missing(&name, &types)),
    }
}

fn missing(name: &str, types: &[u32]) -> PgError {
    PgError::new(
        SqlState::UndefinedFunction,
        format!("aggregate {name}({}) does not exist", signature(types)),
    )
}

/// DROP AGGREGATE [IF EXISTS] name (args) [, ...] [CASCADE | RESTRICT].
fn drop_aggregate(session: &mut Session, t: &[Token]) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP AGGREGATE")?;
    let mut i = 2;
    let if_exists = is_kw(t.get(i), "if") && is_kw(t.get(i + 1), "exists");
    if if_exists {
        i += 2;
    }
    let mut rows = Vec::new();
    loop {
        let (schema, name, types) = aggregate_ref(session, t, &mut i)?;
        match find_aggregate(session, schema.as_deref(), &name, &types)? {
            Some((tid, row)) => {
                rows.push((PG_PROC, tid));
                if let Some((at, _)) = with_reader(session, |r| r.aggregate(row.oid))? {
                    rows.push((catalog::system::PG_AGGREGATE, at));
                }
            }
            None if if_exists => {
                let internal: Vec<String> = types
                    .iter()
                    .map(|&t| oid::internal_name(t).to_string())
                    .collect();
                session.notice(
                    "00000",
                    format!(
                        "aggregate {name}({}) does not exist, skipping",
                        internal.join(",")
                    ),
                );
            }
            None => return Err(missing(&name, &types)),
        }
        if t.get(i) == Some(&Token::Comma) {
            i += 1;
            continue;
        }
        break;
    }
    if is_kw(t.get(i), "cascade") || is_kw(t.get(i), "restrict") {
        i += 1;
    }
    if i != t.len() {
        return Err(syntax_error(t.get(i)));
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("DROP AGGREGATE".into()))
}

/// ALTER AGGREGATE name (args) RENAME TO new | OWNER TO role | SET SCHEMA s.
fn alter_aggregate(session: &mut Session, t: &[Token]) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER AGGREGATE")?;
    let mut i = 2;
    let (schema, name, types) = aggregate_ref(session, t, &mut i)?;
    let Some((tid, mut row)) = find_aggregate(session, schema.as_deref(), &name, &types)? else {
        return Err(missing(&name, &types));
    };
    if !session.is_superuser {
        let graph = crate::acl::RoleGraph::load(session)?;
        if !graph.has_privs_of(session.user_oid, row.owner) {
            return Err(crate::acl::must_be_owner("function", &row.name));
        }
    }
    let rest = &t[i..];
    let new_name = |v: &Token| match v {
        Token::Word(w) if w.quote_style.is_some() => Some(w.value.clone()),
        Token::Word(w) => Some(w.value.to_lowercase()),
        _ => None,
    };
    let clash = |session: &mut Session, nsp: u32, n: &str| -> PgResult<bool> {
        Ok(with_reader(session, |r| r.functions(Some(nsp), n))?
            .iter()
            .any(|(_, r)| r.arg_types == types))
    };
    match rest {
        [r, to, v] if is_kw(Some(r), "rename") && is_kw(Some(to), "to") => {
            let Some(n) = new_name(v) else {
                return Err(syntax_error(Some(v)));
            };
            if clash(session, row.namespace, &n)? {
                let schema = super::namespace_name(session, row.namespace)?;
                return Err(PgError::new(
                    SqlState::DuplicateFunction,
                    format!(
                        "function {n}({}) already exists in schema \"{schema}\"",
                        signature(&types)
                    ),
                ));
            }
            row.name = n;
        }
        [o, to, v] if is_kw(Some(o), "owner") && is_kw(Some(to), "to") => {
            let Some(role) = new_name(v) else {
                return Err(syntax_error(Some(v)));
            };
            let graph = crate::acl::RoleGraph::load(session)?;
            let new = match role.as_str() {
                "current_user" | "current_role" => graph.require(&session.user.clone())?.clone(),
                "session_user" => graph.require(&session.auth.session.name.clone())?.clone(),
                _ => graph.require(&role)?.clone(),
            };
            if new.oid != row.owner {
                crate::acl::check_new_owner(session, &graph, &new, row.namespace)?;
            }
            row.owner = new.oid;
        }
        [s, sc, v] if is_kw(Some(s), "set") && is_kw(Some(sc), "schema") => {
            let Some(target) = new_name(v) else {
                return Err(syntax_error(Some(v)));
            };
            let Some(nsp) = relcache::namespace_oid(session, &target)? else {
                return Err(PgError::new(
                    SqlState::InvalidSchemaName,
                    format!("schema \"{target}\" does not exist"),
                ));
            };
            if clash(session, nsp, &row.name)? {
                return Err(PgError::new(
                    SqlState::DuplicateFunction,
                    format!(
                        "function {}({}) already exists in schema \"{target}\"",
                        row.name,
                        signature(&types)
                    ),
                ));
            }
            row.namespace = nsp;
        }
        _ => return Err(syntax_error(rest.first())),
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.replace_row(&PG_PROC_DEF, tid, &row.to_datums(), w)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("ALTER AGGREGATE".into()))
}

/// The aggregates whose support functions name function `f` (by its name,
/// bare or qualified with its schema): `(pg_proc row, pg_aggregate row,
/// description)` of each, for DROP FUNCTION's dependency check.
pub(crate) fn dependents(
    session: &mut Session,
    f: &ProcRow,
) -> PgResult<
    Vec<(
        storage::page::ItemPointer,
        storage::page::ItemPointer,
        String,
    )>,
> {
    let schema = super::namespace_name(session, f.namespace)?;
    let qualified = format!("{schema}.{}", f.name);
    let mut aggs = Vec::new();
    with_reader(session, |r| {
        r.scan(&PG_AGGREGATE_DEF, |tid, row| {
            let a = AggregateRow::from_datums(&row);
            let names = [
                &a.transfn,
                &a.finalfn,
                &a.combinefn,
                &a.mtransfn,
                &a.minvtransfn,
                &a.mfinalfn,
            ];
            if names.iter().any(|n| **n == f.name || **n == qualified) {
                aggs.push((tid, a.fnoid));
            }
            Ok(true)
        })
    })?;
    let mut out = Vec::new();
    for (agg_tid, fnoid) in aggs {
        let Some(row) = with_reader(session, |r| r.function_by_oid(fnoid))? else {
            continue;
        };
        // Only an aggregate whose support function takes f's argument
        // types (the state and the aggregate's arguments) depends on it.
        let mut sig = row.arg_types.clone();
        if let Some((_, a)) = with_reader(session, |r| r.aggregate(fnoid))? {
            sig.insert(0, a.transtype);
        }
        if f.arg_types.len() != sig.len() && f.arg_types.len() != 1 {
            continue;
        }
        let proc_tid = with_reader(session, |r| r.functions(Some(row.namespace), &row.name))?
            .into_iter()
            .find(|(_, p)| p.oid == fnoid)
            .map(|(t, _)| t);
        if let Some(proc_tid) = proc_tid {
            out.push((
                proc_tid,
                agg_tid,
                format!("function {}({})", row.name, signature(&row.arg_types)),
            ));
        }
    }
    Ok(out)
}
