//! The catalog functions that print objects as SQL (PostgreSQL's
//! `ruleutils.c`): `pg_get_expr`, `pg_get_constraintdef`,
//! `pg_get_indexdef`, `pg_get_viewdef` (simple views), `pg_get_function_result`
//! / `_arguments`, and the
//! lookups `pg_get_userbyid` and `pg_function_is_visible`, which psql's
//! describe commands (`\d`, `\df`, `\l`, ...) call.
//!
//! Stored expressions are SQL text here (defaults in `pg_attrdef.adbin`,
//! CHECKs in `pg_constraint.conbin`): each is analyzed against its
//! relation again and printed by `planner::deparse`, so that the text is
//! PostgreSQL's (`'x'::text`, `CHECK ((c > (0)::numeric))`) whatever was
//! written.

use std::sync::Arc;

use catalog::system::{
    CONSTRAINT_CHECK, CONSTRAINT_FOREIGN, CONSTRAINT_PRIMARY, CONSTRAINT_UNIQUE, ConstraintRow,
    PG_CONSTRAINT_DEF, PG_PROC_DEF, ProcRow,
};
use executor::CatalogText;
use planner::RelationDesc;
use planner::deparse::{DeparseContext, deparse_expr};
use types::{Datum, PgResult};

use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::sysviews::quote_ident;

/// [`executor::ExecContext::catalog_text`].
pub fn catalog_text(session: &mut Session, what: CatalogText<'_>) -> PgResult<Option<String>> {
    match what {
        CatalogText::Expr {
            text,
            relid,
            pretty,
        } => expression(session, text, relid, pretty),
        CatalogText::Constraint { oid, pretty } => constraint(session, oid, pretty),
        CatalogText::Index {
            oid,
            column,
            pretty,
        } => index(session, oid, column, pretty),
        CatalogText::View { oid, pretty, wrap } => view_definition(session, oid, pretty, wrap),
        CatalogText::PartitionKey(oid) => partition_key(session, oid),
        CatalogText::Trigger { oid, pretty } => {
            crate::commands::trigger::triggerdef(session, oid, pretty)
        }
        CatalogText::Rule { oid, pretty } => crate::commands::rule::ruledef(session, oid, pretty),
        CatalogText::Statistics { oid, columns_only } => {
            crate::commands::statistics::definition(session, oid, columns_only)
        }
        CatalogText::OperatorVisible(oid) => {
            Ok(crate::commands::operatorcmds::is_visible(session, oid)?
                .map(|v| if v { "t" } else { "f" }.to_owned()))
        }
        CatalogText::StatisticsVisible(oid) => {
            Ok(crate::commands::statistics::is_visible(session, oid)?
                .map(|v| if v { "t" } else { "f" }.to_owned()))
        }
        CatalogText::PartitionConstraint(oid) => {
            let Some(info) = relcache::relation_by_oid(session, oid)? else {
                return Ok(None);
            };
            match crate::commands::partition::partition_check_sql(session, &info, 0)? {
                Some(sql) => expression(session, &sql, oid, false),
                None => Ok(None),
            }
        }
        CatalogText::Description {
            objoid,
            catalog,
            subid,
            shared,
        } => crate::commands::description(session, objoid, catalog, subid, shared),
        CatalogText::RelationPublishable(oid) => {
            crate::commands::publication::publishable(session, oid)
        }
        CatalogText::FunctionResult(oid) => Ok(function(session, oid)?.and_then(|f| {
            // A procedure has no result; RETURNS TABLE and SETOF show as written.
            if f.kind == 'p' {
                return None;
            }
            if f.arg_modes.contains(&'t') {
                return Some(format!("TABLE({})", function_arguments(&f, |m| m == 't')));
            }
            let ty = types::oid::format_type(f.ret_type, -1);
            Some(match f.retset {
                true => format!("SETOF {ty}"),
                false => ty,
            })
        })),
        CatalogText::FunctionArguments(oid) => {
            Ok(function(session, oid)?.map(|f| function_arguments(&f, |m| m != 't')))
        }
    }
}

/// `pg_get_function_arguments`: the arguments whose mode `keep` takes, with
/// their modes (IN only for a procedure's, as PostgreSQL marks them there),
/// names, types and defaults.
fn function_arguments(f: &ProcRow, keep: impl Fn(char) -> bool) -> String {
    let (types, modes): (&[u32], Vec<char>) = match f.arg_modes.is_empty() {
        true => (&f.arg_types, vec!['i'; f.arg_types.len()]),
        false => (&f.all_arg_types, f.arg_modes.clone()),
    };
    let inputs = modes
        .iter()
        .filter(|m| matches!(m, 'i' | 'b' | 'v'))
        .count();
    let first_default = inputs.saturating_sub(f.arg_defaults.len());
    let mut input = 0;
    let mut out = Vec::new();
    for (i, (&t, &m)) in types.iter().zip(&modes).enumerate() {
        let is_input = matches!(m, 'i' | 'b' | 'v');
        let default = match is_input {
            true => {
                input += 1;
                (input > first_default)
                    .then(|| f.arg_defaults.get(input - 1 - first_default))
                    .flatten()
            }
            false => None,
        };
        if !keep(m) {
            continue;
        }
        let mode = match m {
            'o' => "OUT ",
            'b' => "INOUT ",
            'v' => "VARIADIC ",
            'i' if f.kind == 'p' => "IN ",
            _ => "",
        };
        let ty = types::oid::format_type(t, -1);
        let mut text = match f.arg_names.get(i).filter(|n| !n.is_empty()) {
            Some(n) => format!("{mode}{} {ty}", quote_ident(n)),
            None => format!("{mode}{ty}"),
        };
        if let Some(d) = default {
            text.push_str(&format!(" DEFAULT {d}"));
        }
        out.push(text);
    }
    out.join(", ")
}

/// `pg_partition_tree`: see [`executor::ExecContext::partition_tree`].
pub fn partition_tree(session: &mut Session, oid: u32) -> PgResult<Vec<(u32, u32, bool, i32)>> {
    let Some(top) = relcache::relation_by_oid(session, oid)? else {
        return Ok(Vec::new());
    };
    if top.kind != 'p' && top.partition_parent == 0 {
        return Ok(Vec::new());
    }
    let mut out = vec![(top.oid, top.partition_parent, top.kind != 'p', 0)];
    let mut i = 0;
    while i < out.len() && out.len() < 100_000 {
        let (rel, _, _, level) = out[i];
        i += 1;
        let Some(info) = relcache::relation_by_oid(session, rel)? else {
            continue;
        };
        for &c in &info.children {
            if let Some(child) = relcache::relation_by_oid(session, c)? {
                out.push((c, rel, child.kind != 'p', level + 1));
            }
        }
    }
    Ok(out)
}

/// `pg_partition_ancestors`: see
/// [`executor::ExecContext::partition_ancestors`].
pub fn partition_ancestors(session: &mut Session, oid: u32) -> PgResult<Vec<u32>> {
    let mut out = Vec::new();
    let mut at = oid;
    while out.len() < 1000 {
        let Some(info) = relcache::relation_by_oid(session, at)? else {
            break;
        };
        if out.is_empty() && info.kind != 'p' && info.partition_parent == 0 {
            break;
        }
        out.push(at);
        if info.partition_parent == 0 {
            break;
        }
        at = info.partition_parent;
    }
    Ok(out)
}

/// `pg_get_partkeydef`: `RANGE (a, b)`, an expression in parentheses
/// unless it is a function call.
fn partition_key(session: &mut Session, oid: u32) -> PgResult<Option<String>> {
    let Some(info) = relcache::relation_by_oid(session, oid)? else {
        return Ok(None);
    };
    let Some(key) = &info.partition_key else {
        return Ok(None);
    };
    let mut exprs = key.exprs.iter();
    let mut parts = Vec::with_capacity(key.attrs.len());
    for &attnum in &key.attrs {
        if attnum > 0 {
            if let Some(c) = info.columns.iter().find(|c| c.attnum == attnum) {
                parts.push(quote_ident(&c.name));
            }
        } else if let Some(text) = exprs.next() {
            let shown = expression(session, text, oid, false)?.unwrap_or_else(|| text.clone());
            let call = shown.split_once('(').is_some_and(|(name, _)| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
            }) && shown.ends_with(')');
            parts.push(if call { shown } else { format!("({shown})") });
        }
    }
    let strategy = match key.strategy {
        'r' => "RANGE",
        'l' => "LIST",
        _ => "HASH",
    };
    Ok(Some(format!("{strategy} ({})", parts.join(", "))))
}

/// `pg_get_userbyid`.
pub fn role_name(session: &mut Session, oid: u32) -> PgResult<Option<String>> {
    // PostgreSQL's predefined role that owns schema public; it is not a
    // pg_authid row here yet.
    if oid == catalog::system::PG_DATABASE_OWNER {
        return Ok(Some("pg_database_owner".into()));
    }
    Ok(with_reader(session, |r| r.roles())?
        .into_iter()
        .find(|(_, r)| r.oid == oid)
        .map(|(_, r)| r.name))
}

/// `pg_function_is_visible`.
pub fn function_visible(session: &mut Session, oid: u32) -> PgResult<Option<bool>> {
    let Some(f) = function(session, oid)? else {
        return Ok(None);
    };
    if f.kind == 'a' {
        let found = crate::commands::aggregate::lookup(session, None, &f.name)?;
        return Ok(Some(found.iter().any(|g| g.oid == oid)));
    }
    let found = crate::commands::function::lookup(session, None, &f.name)?;
    Ok(Some(found.iter().any(|g| g.oid == oid)))
}

/// `regproc` output of function `oid` (see `ExecContext::regproc_of`):
/// the built-in functions are not catalog rows here, so they print as
/// their numbers.
pub fn regproc_name(session: &mut Session, oid: u32) -> PgResult<String> {
    if oid == 0 {
        return Ok("-".to_owned());
    }
    if oid == crate::commands::foreigncmds::POSTGRESQL_FDW_VALIDATOR {
        return Ok("postgresql_fdw_validator".to_owned());
    }
    let Some(f) = function(session, oid)? else {
        return Ok(oid.to_string());
    };
    if function_visible(session, oid)? == Some(true) {
        return Ok(f.name);
    }
    let schema = crate::commands::namespace_name(session, f.namespace)?;
    Ok(format!("{}.{}", quote_ident(&schema), quote_ident(&f.name)))
}

fn function(session: &mut Session, oid: u32) -> PgResult<Option<ProcRow>> {
    let mut out = None;
    with_reader(session, |r| {
        r.scan(&PG_PROC_DEF, |_, row| {
            if matches!(row.first(), Some(Datum::Oid(o)) if *o == oid) {
                out = Some(ProcRow::from_datums(&row));
                return Ok(false);
            }
            Ok(true)
        })
    })?;
    Ok(out)
}

fn constraint_row(session: &mut Session, oid: u32) -> PgResult<Option<ConstraintRow>> {
    let mut out = None;
    with_reader(session, |r| {
        r.scan(&PG_CONSTRAINT_DEF, |_, row| {
            if matches!(row.first(), Some(Datum::Oid(o)) if *o == oid) {
                out = Some(ConstraintRow::from_datums(&row));
                return Ok(false);
            }
            Ok(true)
        })
    })?;
    Ok(out)
}

/// Column names and regclass output for the deparser.
struct Names<'s> {
    session: &'s mut Session,
    rel: Arc<RelationDesc>,
}

impl DeparseContext for Names<'_> {
    fn column_name(&self, index: usize) -> String {
        self.rel
            .columns
            .get(index)
            .map_or_else(|| "?".to_owned(), |c| quote_ident(&c.name))
    }

    fn regclass_text(&mut self, literal: &str) -> String {
        use executor::ExecContext;
        self.session
            .regclass_in(literal)
            .unwrap_or_else(|_| literal.to_owned())
    }
}

/// A relation as the planner sees it, by oid.
fn relation(session: &mut Session, relid: u32) -> PgResult<Option<Arc<RelationDesc>>> {
    let Some(info) = relcache::relation_by_oid(session, relid)? else {
        return Ok(None);
    };
    Ok(Some(Arc::new(crate::table_access::relation_desc(&info))))
}

/// Stored expression `text` over relation `relid`, deparsed (the text as
/// it is if it no longer analyzes).
pub(crate) fn expression(
    session: &mut Session,
    text: &str,
    relid: u32,
    pretty: bool,
) -> PgResult<Option<String>> {
    let Some(rel) = relation(session, relid)? else {
        return Ok(Some(text.to_owned()));
    };
    // A default is analyzed as it was stored: assigned to its column.
    let column = rel
        .columns
        .iter()
        .position(|c| !c.dropped && c.default.as_deref() == Some(text));
    let analyzed = {
        let catalog = crate::table_access::SessionCatalog::new(session);
        planner::analyze_stored_expression(rel.clone(), text, column, &catalog)
    };
    let Ok(x) = analyzed else {
        return Ok(Some(text.to_owned()));
    };
    // The deparser prints no subqueries yet (a policy's may have them):
    // those expressions show as written.
    let mut subquery = false;
    x.walk(&mut |e| subquery |= matches!(e, planner::Expr::SubPlan { .. }));
    if subquery {
        return Ok(Some(format!("({text})")));
    }
    let mut names = Names { session, rel };
    Ok(Some(deparse_expr(&x, &mut names, pretty)))
}

fn column_list(rel: Option<&RelationDesc>, keys: &[i16]) -> String {
    keys.iter()
        .map(|&k| {
            rel.and_then(|r| r.columns.iter().find(|c| c.attnum == k))
                .map_or_else(|| k.to_string(), |c| quote_ident(&c.name))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn fk_action(a: char) -> Option<&'static str> {
    match a {
        'r' => Some("RESTRICT"),
        'c' => Some("CASCADE"),
        'n' => Some("SET NULL"),
        'd' => Some("SET DEFAULT"),
        _ => None,
    }
}

/// `pg_get_constraintdef`.
fn constraint(session: &mut Session, oid: u32, pretty: bool) -> PgResult<Option<String>> {
    let Some(c) = constraint_row(session, oid)? else {
        return Ok(None);
    };
    let rel = relation(session, c.relid)?;
    let mut def = match c.kind {
        CONSTRAINT_PRIMARY => format!("PRIMARY KEY ({})", column_list(rel.as_deref(), &c.keys)),
        CONSTRAINT_UNIQUE => {
            let nnd = match with_reader(session, |r| r.index_row(c.index))? {
                Some((_, ix)) if ix.nulls_not_distinct => " NULLS NOT DISTINCT",
                _ => "",
            };
            format!("UNIQUE{nnd} ({})", column_list(rel.as_deref(), &c.keys))
        }
        CONSTRAINT_CHECK => {
            let text = c.expr.clone().unwrap_or_else(|| "true".into());
            let e = if c.type_oid != 0 {
                crate::commands::domaincmds::check_definition(session, c.type_oid, &text, pretty)
            } else {
                expression(session, &text, c.relid, pretty)?.unwrap_or(text)
            };
            if c.no_inherit {
                format!("CHECK ({e}) NO INHERIT")
            } else {
                format!("CHECK ({e})")
            }
        }
        CONSTRAINT_FOREIGN => {
            let frel = relation(session, c.frelid)?;
            let fname = relcache::regclass_name(session, c.frelid)?;
            let mut s = format!(
                "FOREIGN KEY ({}) REFERENCES {fname}({})",
                column_list(rel.as_deref(), &c.keys),
                column_list(frel.as_deref(), &c.fkeys)
            );
            if c.fmatchtype == 'f' {
                s.push_str(" MATCH FULL");
            }
            if let Some(a) = fk_action(c.fupdtype) {
                s.push_str(&format!(" ON UPDATE {a}"));
            }
            if let Some(a) = fk_action(c.fdeltype) {
                s.push_str(&format!(" ON DELETE {a}"));
            }
            s
        }
        other => format!("{other}"),
    };
    if c.deferrable {
        def.push_str(" DEFERRABLE");
    }
    if c.deferred {
        def.push_str(" INITIALLY DEFERRED");
    }
    if !c.validated {
        def.push_str(" NOT VALID");
    }
    Ok(Some(def))
}

/// `pg_get_indexdef(oid, column, pretty)`: expressions and the predicate
/// analyzed and printed as PostgreSQL prints them (`pretty`: without the
/// parentheses PostgreSQL's deparser otherwise adds, and the table
/// qualified only when not visible).
pub(crate) fn index(
    session: &mut Session,
    oid: u32,
    column: i32,
    pretty: bool,
) -> PgResult<Option<String>> {
    let Some((_, row)) = with_reader(session, |r| r.index_row(oid))? else {
        return Ok(None);
    };
    let Some(table) = relcache::relation_by_oid(session, row.table_oid)? else {
        return Ok(None);
    };
    let Some(ix) = table.indexes.iter().find(|ix| ix.oid == oid) else {
        return Ok(None);
    };
    let written = match &ix.row.exprs {
        Some(text) => crate::index_exprs::split_select_list(text)?,
        None => Vec::new(),
    };
    let mut key_exprs = Vec::with_capacity(written.len());
    for e in written {
        let printed = expression(session, &e, table.oid, pretty)?.unwrap_or(e);
        key_exprs.push(if crate::sysviews::is_function_call(&printed) {
            printed
        } else {
            format!("({printed})")
        });
    }
    if column > 0 {
        let Some(&attnum) = usize::try_from(column - 1)
            .ok()
            .and_then(|i| row.keys.get(i))
        else {
            return Ok(None);
        };
        if attnum == 0 {
            // The how-manyth expression this key is.
            let nth = row.keys[..(column - 1) as usize]
                .iter()
                .filter(|&&a| a == 0)
                .count();
            return Ok(key_exprs.get(nth).cloned());
        }
        return Ok(Some(
            table
                .columns
                .iter()
                .find(|c| c.attnum == attnum)
                .map_or_else(|| "?".to_owned(), |c| quote_ident(&c.name)),
        ));
    }
    let predicate = match &ix.row.pred {
        Some(p) => expression(session, p, table.oid, pretty)?,
        None => None,
    };
    let table_name = if pretty {
        Some(crate::relcache::regclass_name(session, table.oid)?)
    } else {
        None
    };
    Ok(Some(crate::sysviews::index_definition_with(
        &table,
        ix,
        crate::sysviews::IndexDefParts {
            key_exprs: Some(key_exprs),
            table: table_name,
            predicate,
        },
    )))
}

/// `pg_get_viewdef`: PostgreSQL prints the view's analyzed query; ours is
/// kept as written, so it is analyzed again and printed in PostgreSQL's
/// layout (`planner::view_definition`). What that printer does not cover
/// yet is given as written.
pub(crate) fn view_definition(
    session: &mut Session,
    oid: u32,
    pretty: bool,
    wrap: i32,
) -> PgResult<Option<String>> {
    let Some((_, text)) = with_reader(session, |r| r.view_rule(oid))? else {
        return Ok(None);
    };
    let Some(view_rel) = relcache::relation_by_oid(session, oid)? else {
        return Ok(None);
    };
    let names: Vec<String> = view_rel
        .columns
        .iter()
        .filter(|c| !c.dropped)
        .map(|c| c.name.clone())
        .collect();
    let Ok(stmts) = crate::syntax::parse(&text) else {
        return Ok(None);
    };
    let [sqlparser::ast::Statement::Query(q)] = stmts.as_slice() else {
        return Ok(None);
    };
    // TODO(view dependencies): the stored text names its tables as
    // written; a bare name the search_path does not find (pg_dump's is
    // empty) is looked for in the view's schema, then public.
    let fallback = [view_rel.namespace.clone(), "public".to_owned()];
    let catalog = crate::table_access::SessionCatalog::new(session);
    match planner::view_definition(q, &text, &catalog, &fallback, &names, pretty, wrap) {
        Ok(def) => Ok(Some(def)),
        Err(_) => Ok(Some(format!(" {text};"))),
    }
}

/// `to_regclass`, `to_regtype` and `to_regnamespace` (`func`): the object
/// `name` names, printed as its reg* type prints it; None if it does not
/// exist. A malformed name is still an error, as PostgreSQL's are.
pub fn to_reg(session: &mut Session, func: &str, name: &str) -> PgResult<Option<String>> {
    let missing = |e: types::PgError| -> PgResult<Option<String>> {
        match e.code {
            types::SqlState::UndefinedTable
            | types::SqlState::UndefinedObject
            | types::SqlState::InvalidSchemaName => Ok(None),
            _ => Err(e),
        }
    };
    match func {
        "to_regclass" => match relcache::regclass_lookup(session, name) {
            Ok(rel) => relcache::regclass_name(session, rel.oid).map(Some),
            Err(e) => missing(e),
        },
        "to_regnamespace" => {
            let parts = planner::catalog::parse_qualified_name(name)?;
            let [n] = parts.as_slice() else {
                return Err(types::PgError::new(
                    types::SqlState::InvalidName,
                    "invalid name syntax",
                ));
            };
            Ok(relcache::namespace_oid(session, n)?.map(|_| crate::sysviews::quote_ident(n)))
        }
        _ => {
            let dialect = sqlparser::dialect::PostgreSqlDialect {};
            let dt = sqlparser::parser::Parser::new(&dialect)
                .try_with_sql(name.trim())
                .and_then(|mut p| {
                    let dt = p.parse_data_type()?;
                    p.expect_token(&sqlparser::tokenizer::Token::EOF)?;
                    Ok(dt)
                })
                .map_err(|_| {
                    types::PgError::new(
                        types::SqlState::SyntaxError,
                        format!("invalid type name \"{name}\""),
                    )
                })?;
            match crate::commands::typecmds::resolve_type(session, &dt) {
                Ok((t, _)) => Ok(Some(types::oid::format_type(t, -1))),
                Err(e) => missing(e),
            }
        }
    }
}
