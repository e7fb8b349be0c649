//! Domains (PostgreSQL's `DefineDomain`, `AlterDomain*` and the domain
//! cases of `RemoveObjects` in `commands/typecmds.c`): CREATE DOMAIN,
//! ALTER DOMAIN, DROP DOMAIN.
//!
//! A domain is a `pg_type` row (`typtype 'd'`) over its base type
//! (`typbasetype`, with `typtypmod`), stored and categorised as that type,
//! with `typnotnull`, its default as SQL text in `typdefault`, and an array
//! type `_name`; each CHECK constraint is a `pg_constraint` row whose
//! `contypid` is the domain and whose `conbin` is the expression's SQL
//! text over `VALUE`. The type cache (`types::typcache`) carries all of it
//! to the planner, which enforces the constraints wherever a value is
//! coerced into the domain (see `planner::analyze::domain`).
//!
//! sqlparser reads too little of these statements (no `NOT NULL`, no
//! ALTER DOMAIN), so the pre-parser keeps them as text
//! (`syntax::TextStatement::Domain`) and [`Tokens`] reads them here; the
//! expressions and type names inside are handed to sqlparser.
//!
//! A constraint added by ALTER DOMAIN is checked against the stored values
//! of every column of the domain (or of a domain over it) unless it is
//! NOT VALID, as PostgreSQL's `validateDomainConstraint` does; SET NOT NULL
//! likewise. Not yet: ALTER DOMAIN ... SET SCHEMA, domains in function
//! signatures' dependencies, collations other than the base type's.

use std::ops::ControlFlow;

use sqlparser::ast::{DataType, Ident, ObjectName, ObjectNamePart};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use catalog::heap_catalog::CatalogWriter;
use catalog::system::{CONSTRAINT_CHECK, ConstraintRow, DomainDef, PG_CONSTRAINT};
use types::typcache::{self, UserType};
use types::{PgError, PgResult, SqlState};

use super::typecmds::{self, Named, changed, find_type, undefined_type};
use super::{catalog_changed, split_name};
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// The significant tokens of a statement kept as text, read front to back.
struct Tokens {
    t: Vec<Token>,
    i: usize,
}

fn syntax_error_at(t: Option<&Token>) -> PgError {
    match t {
        Some(t) => PgError::syntax(format!("syntax error at or near \"{t}\""), None),
        None => PgError::syntax("syntax error at end of input", None),
    }
}

impl Tokens {
    fn new(text: &str) -> PgResult<Tokens> {
        let t = Tokenizer::new(&PostgreSqlDialect {}, text)
            .tokenize()
            .map_err(|e| PgError::syntax(e.to_string(), None))?
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF | Token::SemiColon))
            .collect();
        Ok(Tokens { t, i: 0 })
    }

    fn peek(&self) -> Option<&Token> {
        self.t.get(self.i)
    }

    fn at_end(&self) -> bool {
        self.i >= self.t.len()
    }

    fn error(&self) -> PgError {
        syntax_error_at(self.peek())
    }

    fn is_kw(t: Option<&Token>, kw: &str) -> bool {
        matches!(t, Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
    }

    fn peek_kw(&self, kw: &str) -> bool {
        Self::is_kw(self.peek(), kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek_kw(kw) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let all = kws
            .iter()
            .enumerate()
            .all(|(k, kw)| Self::is_kw(self.t.get(self.i + k), kw));
        if all {
            self.i += kws.len();
        }
        all
    }

    fn expect_kw(&mut self, kw: &str) -> PgResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// An identifier, case-folded unless quoted.
    fn ident(&mut self) -> PgResult<Ident> {
        match self.peek() {
            Some(Token::Word(w)) => {
                let id = match w.quote_style {
                    Some(q) => Ident::with_quote(q, w.value.clone()),
                    None => Ident::new(w.value.to_lowercase()),
                };
                self.i += 1;
                Ok(id)
            }
            _ => Err(self.error()),
        }
    }

    fn name_text(&mut self) -> PgResult<String> {
        Ok(self.ident()?.value)
    }

    /// `[schema.]name`.
    fn object_name(&mut self) -> PgResult<ObjectName> {
        let mut parts = vec![ObjectNamePart::Identifier(self.ident()?)];
        while self.peek() == Some(&Token::Period) {
            self.i += 1;
            parts.push(ObjectNamePart::Identifier(self.ident()?));
        }
        Ok(ObjectName(parts))
    }

    /// The tokens up to (not including) the first of `stops` outside
    /// parentheses, or to the end.
    fn until(&mut self, stops: &[&str]) -> Vec<Token> {
        let start = self.i;
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match t {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
                _ if depth == 0 && stops.iter().any(|s| Self::is_kw(Some(t), s)) => break,
                _ => {}
            }
            self.i += 1;
        }
        self.t[start..self.i].to_vec()
    }

    /// The tokens inside a parenthesised group (the parentheses eaten).
    fn parenthesized(&mut self) -> PgResult<Vec<Token>> {
        if self.peek() != Some(&Token::LParen) {
            return Err(self.error());
        }
        self.i += 1;
        let start = self.i;
        let mut depth = 1usize;
        while let Some(t) = self.peek() {
            match t {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        let inner = self.t[start..self.i].to_vec();
                        self.i += 1;
                        return Ok(inner);
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
        Err(syntax_error_at(None))
    }
}

fn parser(tokens: Vec<Token>) -> Parser<'static> {
    static DIALECT: PostgreSqlDialect = PostgreSqlDialect {};
    Parser::new(&DIALECT).with_tokens(tokens)
}

fn parse_expr(tokens: Vec<Token>) -> PgResult<sqlparser::ast::Expr> {
    let first = tokens.first().cloned();
    if tokens.is_empty() {
        return Err(syntax_error_at(None));
    }
    let mut p = parser(tokens);
    let e = p
        .parse_expr()
        .map_err(|_| syntax_error_at(first.as_ref()))?;
    if p.peek_token().token != Token::EOF {
        return Err(syntax_error_at(Some(&p.peek_token().token)));
    }
    Ok(e)
}

fn parse_data_type(tokens: Vec<Token>) -> PgResult<DataType> {
    let first = tokens.first().cloned();
    let mut p = parser(tokens);
    let dt = p
        .parse_data_type()
        .map_err(|_| syntax_error_at(first.as_ref()))?;
    if p.peek_token().token != Token::EOF {
        return Err(syntax_error_at(Some(&p.peek_token().token)));
    }
    Ok(dt)
}

/// Words that end a type name, a default or a constraint in CREATE DOMAIN.
const CLAUSE_WORDS: &[&str] = &["collate", "default", "constraint", "not", "null", "check"];

/// One constraint clause of CREATE DOMAIN or ALTER DOMAIN ... ADD.
enum Clause {
    NotNull,
    Null,
    Check {
        name: Option<String>,
        expr: Box<sqlparser::ast::Expr>,
        not_valid: bool,
    },
}

/// `[CONSTRAINT name] {NOT NULL | NULL | CHECK (expr) [NOT VALID]}`.
fn parse_constraint(t: &mut Tokens) -> PgResult<(Option<String>, Clause)> {
    let name = if t.eat_kw("constraint") {
        Some(t.name_text()?)
    } else {
        None
    };
    let clause = if t.eat_kws(&["not", "null"]) {
        Clause::NotNull
    } else if t.eat_kw("null") {
        Clause::Null
    } else if t.eat_kw("check") {
        let expr = Box::new(parse_expr(t.parenthesized()?)?);
        let not_valid = t.eat_kws(&["not", "valid"]);
        Clause::Check {
            name: name.clone(),
            expr,
            not_valid,
        }
    } else {
        return Err(t.error());
    };
    Ok((name, clause))
}

/// Runs a domain statement kept as text.
pub(crate) fn domain_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let mut t = Tokens::new(text)?;
    if t.eat_kw("create") {
        t.expect_kw("domain")?;
        create_domain(session, &mut t)
    } else if t.eat_kw("alter") {
        t.expect_kw("domain")?;
        alter_domain(session, &mut t)
    } else if t.eat_kw("drop") {
        t.expect_kw("domain")?;
        let if_exists = t.eat_kws(&["if", "exists"]);
        let mut names = vec![t.object_name()?];
        while t.peek() == Some(&Token::Comma) {
            t.i += 1;
            names.push(t.object_name()?);
        }
        let cascade = t.eat_kw("cascade");
        if !cascade {
            t.eat_kw("restrict");
        }
        if !t.at_end() {
            return Err(t.error());
        }
        typecmds::drop_types_of(session, &names, if_exists, cascade, true)
    } else {
        Err(t.error())
    }
}

/// The analyzer over the session's catalog, for a domain's expressions.
fn with_analyzer<R>(
    session: &mut Session,
    f: impl FnOnce(&mut planner::analyze::Analyzer<'_>) -> PgResult<R>,
) -> PgResult<R> {
    let catalog = crate::table_access::SessionCatalog::new(session);
    let mut a = planner::analyze::Analyzer::new("", &[], true).with_catalog(&catalog);
    f(&mut a)
}

/// Checks a CHECK expression of a domain over `base`: it must analyze as
/// a boolean over `VALUE`.
fn check_expression(
    session: &mut Session,
    expr: &sqlparser::ast::Expr,
    base: u32,
    typmod: i32,
) -> PgResult<String> {
    let mut bad = None;
    let _ = sqlparser::ast::visit_expressions(expr, |e| {
        match e {
            sqlparser::ast::Expr::Subquery(_)
            | sqlparser::ast::Expr::Exists { .. }
            | sqlparser::ast::Expr::In {
                target: sqlparser::ast::InTarget::Subquery(_),
                ..
            } => {
                bad = Some(PgError::new(
                    SqlState::FeatureNotSupported,
                    "cannot use subquery in check constraint",
                ));
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    if let Some(e) = bad {
        return Err(e);
    }
    let text = expr.to_string();
    with_analyzer(session, |a| a.domain_check(&text, base, typmod))?;
    Ok(text)
}

/// The default `expr` of a domain over `base`, analyzed and deparsed as
/// `typdefault` keeps it.
fn default_text(
    session: &mut Session,
    expr: &sqlparser::ast::Expr,
    base: u32,
    typmod: i32,
) -> PgResult<Option<String>> {
    let text = expr.to_string();
    let x = with_analyzer(session, |a| {
        let x = a.transform(expr)?;
        // Assignment coercion, as a column default's.
        let column = planner::ColumnDesc {
            name: String::new(),
            type_oid: base,
            typmod,
            not_null: false,
            default: None,
            attnum: 0,
            dropped: false,
            identity: '\0',
            generated: '\0',
        };
        a.assign(x, &column, None)
    })
    .map_err(|mut e| {
        e.position = None;
        e
    })?;
    // `DEFAULT NULL` is no default.
    if let planner::Expr::Const { value, .. } = &x
        && value.is_null()
    {
        return Ok(None);
    }
    let _ = text;
    Ok(Some(planner::deparse::deparse_expr(
        &x,
        &mut NoColumns,
        false,
    )))
}

/// A deparse context without columns (a default), or whose one column is
/// `VALUE` (a domain's check).
struct NoColumns;

impl planner::deparse::DeparseContext for NoColumns {
    fn column_name(&self, _index: usize) -> String {
        "VALUE".into()
    }
    fn regclass_text(&mut self, literal: &str) -> String {
        literal.to_owned()
    }
}

/// The text `pg_get_constraintdef` shows for a domain's CHECK expression.
pub(crate) fn check_definition(
    session: &mut Session,
    domain: u32,
    text: &str,
    pretty: bool,
) -> String {
    let (base, typmod) = typcache::base_type_and_typmod(domain, -1);
    match with_analyzer(session, |a| a.domain_check(text, base, typmod)) {
        Ok(x) => planner::deparse::deparse_expr(&x, &mut NoColumns, pretty),
        Err(_) => text.to_owned(),
    }
}

/// A new constraint name `<domain>_check`, `<domain>_check1`, ... not
/// used in the namespace (PostgreSQL's `ChooseConstraintName`).
fn choose_name(
    session: &mut Session,
    domain: &str,
    namespace: u32,
    taken: &[String],
) -> PgResult<String> {
    let used: Vec<String> = with_reader(session, |r| r.domain_constraints())?
        .into_iter()
        .filter(|(_, c)| c.namespace == namespace)
        .map(|(_, c)| c.name)
        .chain(taken.iter().cloned())
        .collect();
    let stem = format!("{domain}_check");
    let mut n = 0;
    loop {
        let name = if n == 0 {
            stem.clone()
        } else {
            format!("{stem}{n}")
        };
        if !used.contains(&name) {
            return Ok(name);
        }
        n += 1;
    }
}

fn check_row(
    oid: u32,
    name: String,
    namespace: u32,
    domain: u32,
    expr: String,
    validated: bool,
) -> ConstraintRow {
    ConstraintRow {
        oid,
        name,
        namespace,
        kind: CONSTRAINT_CHECK,
        deferrable: false,
        deferred: false,
        validated,
        relid: 0,
        index: 0,
        frelid: 0,
        fupdtype: '\0',
        fdeltype: '\0',
        fmatchtype: '\0',
        keys: Vec::new(),
        fkeys: Vec::new(),
        expr: Some(expr),
        no_inherit: false,
        inhcount: 0,
        is_local: true,
        type_oid: domain,
    }
}

/// CREATE DOMAIN name [AS] type [COLLATE c] [DEFAULT e] [constraint ...].
fn create_domain(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE DOMAIN")?;
    let name = t.object_name()?;
    t.eat_kw("as");
    let dt = parse_data_type(t.until(CLAUSE_WORDS))?;
    let (schema, n) = split_name(&name)?;
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    relcache::accept_invalidations(session);
    let (base, typmod) = typecmds::resolve_type(session, &dt)?;
    crate::acl::require_type_usage(session, base)?;
    if let Some(b) = typcache::get(base)
        && b.domain().is_none()
        && b.enum_labels().is_empty()
        && !matches!(
            b.kind,
            typcache::UserTypeKind::Range(_) | typcache::UserTypeKind::Multirange { .. }
        )
    {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "\"{}\" is not a valid base type for a domain",
                types::oid::type_name(base)
            ),
        ));
    }
    if matches!(
        base,
        types::oid::RECORD | types::oid::VOID | types::oid::UNKNOWN
    ) {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "\"{}\" is not a valid base type for a domain",
                types::oid::type_name(base)
            ),
        ));
    }
    let mut collation = catalog::system::type_collation(typcache::base_type(base));
    let mut default = None;
    let mut saw_default = false;
    let mut not_null: Option<bool> = None;
    let mut checks: Vec<(Option<String>, sqlparser::ast::Expr)> = Vec::new();
    while !t.at_end() {
        if t.eat_kw("collate") {
            let c = t.name_text()?;
            if collation == 0 {
                return Err(PgError::new(
                    SqlState::DatatypeMismatch,
                    format!(
                        "collations are not supported by type {}",
                        types::oid::type_name(base)
                    ),
                ));
            }
            if !matches!(c.as_str(), "C" | "POSIX" | "default" | "ucs_basic") {
                return Err(PgError::new(
                    SqlState::UndefinedObject,
                    format!("collation \"{c}\" for encoding \"UTF8\" does not exist"),
                ));
            }
            collation = if c == "C" {
                950
            } else if c == "POSIX" {
                951
            } else {
                collation
            };
            continue;
        }
        if t.eat_kw("default") {
            if saw_default {
                return Err(PgError::syntax("multiple default expressions", None));
            }
            saw_default = true;
            let e =
                parse_expr(t.until(&["constraint", "not", "null", "check", "default", "collate"]))?;
            default = Some(e);
            continue;
        }
        let (_, clause) = parse_constraint(t)?;
        match clause {
            Clause::NotNull | Clause::Null => {
                let nn = matches!(clause, Clause::NotNull);
                if not_null.is_some_and(|prev| prev != nn) {
                    return Err(PgError::syntax(
                        "conflicting NULL/NOT NULL constraints",
                        None,
                    ));
                }
                not_null = Some(nn);
            }
            Clause::Check {
                name,
                expr,
                not_valid,
                ..
            } => {
                if not_valid {
                    return Err(PgError::syntax(
                        "CHECK constraints cannot be marked NOT VALID",
                        None,
                    ));
                }
                checks.push((name, *expr));
            }
        }
    }
    let taken = typcache::by_name(namespace, &n).is_some()
        || with_reader(session, |r| r.relation(namespace, &n))?
            .is_some_and(|r| r.kind != 'i' && r.kind != 'S');
    if taken {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("type \"{n}\" already exists"),
        ));
    }
    let default = match &default {
        Some(e) => default_text(
            session,
            e,
            typcache::base_type(base),
            typcache::base_type_and_typmod(base, typmod).1,
        )?,
        None => None,
    };
    let (vbase, vtypmod) = typcache::base_type_and_typmod(base, typmod);
    let type_oid = session.storage.transam.new_oid()?;
    let array_oid = session.storage.transam.new_oid()?;
    let mut rows = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (cname, expr) in &checks {
        let text = check_expression(session, expr, vbase, vtypmod)?;
        let cname = match cname {
            Some(c) => {
                if names.contains(c) {
                    return Err(PgError::new(
                        SqlState::DuplicateObject,
                        format!("constraint \"{c}\" for domain \"{n}\" already exists"),
                    ));
                }
                c.clone()
            }
            None => choose_name(session, &n, namespace, &names)?,
        };
        names.push(cname.clone());
        let oid = session.storage.transam.new_oid()?;
        rows.push(check_row(oid, cname, namespace, type_oid, text, true));
    }
    let def = DomainDef {
        base,
        typmod,
        not_null: not_null.unwrap_or(false),
        default,
        collation,
    };
    let type_rows = catalog::system::domain_type_rows(
        type_oid,
        array_oid,
        &n,
        namespace,
        session.user_oid,
        &def,
    )?;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        cw.create_enum_type(w, &type_rows)?;
        for r in &rows {
            cw.add_constraint(w, r)?;
        }
        Ok(())
    })?;
    changed(session)?;
    crate::acl::default_privileges::apply_to_type(session, type_oid)?;
    Ok(Outcome::Command("CREATE DOMAIN".into()))
}

/// The domain a statement names (42704 if none, 42809 if no domain).
fn find_domain(session: &mut Session, name: &ObjectName) -> PgResult<typecmds::FoundType> {
    let (found, n) = find_type(session, name)?;
    match found {
        Named::User(f) if f.0.domain().is_some() => Ok(f),
        Named::Missing => Err(undefined_type(&n)),
        Named::User((t, _, _)) => Err(not_a_domain(t.oid)),
        Named::Builtin(oid) | Named::Array(oid) => Err(not_a_domain(oid)),
    }
}

fn not_a_domain(oid: u32) -> PgError {
    PgError::new(
        SqlState::WrongObjectType,
        format!("{} is not a domain", types::oid::type_name(oid)),
    )
}

/// Rewrites the `pg_type` rows of `domain` (and its array type) with
/// `edit` applied to what they say.
fn rewrite_type_rows(
    session: &mut Session,
    found: &typecmds::FoundType,
    edit: impl FnOnce(&mut String, &mut u32, &mut DomainDef),
) -> PgResult<()> {
    let (t, row, tid) = found;
    let info = t
        .domain()
        .ok_or_else(|| PgError::internal("not a domain"))?;
    let mut name = t.name.clone();
    let mut owner = row.owner;
    let mut def = DomainDef {
        base: info.base,
        typmod: info.typmod,
        not_null: info.not_null,
        default: info.default.clone(),
        collation: row.collation,
    };
    edit(&mut name, &mut owner, &mut def);
    let [type_row, array_row] =
        catalog::system::domain_type_rows(t.oid, t.array_oid, &name, t.namespace, owner, &def)?;
    let all = with_reader(session, |r| r.user_types())?;
    let array_tid = all
        .iter()
        .find(|(_, r)| r.oid == t.array_oid)
        .map(|(tid, _)| *tid);
    let db = session.database_oid;
    let tid = *tid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        cw.update_type(tid, &type_row, w)?;
        if let Some(a) = array_tid {
            cw.update_type(a, &array_row, w)?;
        }
        Ok(())
    })
}

/// ALTER DOMAIN (or TYPE) ... RENAME TO `new`.
pub(crate) fn rename_domain(
    session: &mut Session,
    found: &typecmds::FoundType,
    new: String,
) -> PgResult<()> {
    if typcache::by_name(found.0.namespace, &new).is_some() {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("type \"{new}\" already exists"),
        ));
    }
    rewrite_type_rows(session, found, |n, _, _| *n = new)
}

/// The columns holding values of `domain` (or of a domain over it):
/// (table, column), tables only.
fn domain_columns(session: &mut Session, domain: u32) -> PgResult<Vec<(TableName, String)>> {
    let mut types = vec![domain];
    let all = with_reader(session, |r| r.user_types())?;
    let mut k = 0;
    while k < types.len() {
        let t = types[k];
        for (_, d) in &all {
            if d.typtype == 'd' && d.base == t && !types.contains(&d.oid) {
                types.push(d.oid);
            }
        }
        k += 1;
    }
    // Elements of arrays are not checked: PostgreSQL refuses instead.
    let arrays: Vec<u32> = types
        .iter()
        .filter_map(|&t| types::oid::array_of(t))
        .collect();
    for (relid, column, _) in with_reader(session, |r| r.columns_of_types(&arrays, false))? {
        if let Some(rel) = relcache::relation_by_oid(session, relid)?
            && matches!(rel.kind, 'r' | 'p')
        {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                format!(
                    "cannot alter type \"{}\" because column \"{}.{column}\" uses it",
                    types::oid::type_name(domain),
                    rel.name
                ),
            ));
        }
    }
    let columns = with_reader(session, |r| r.columns_of_types(&types, false))?;
    let mut out = Vec::new();
    for (relid, column, _) in columns {
        let Some(rel) = relcache::relation_by_oid(session, relid)? else {
            continue;
        };
        if matches!(rel.kind, 'r' | 'p') {
            out.push((
                TableName {
                    namespace: rel.namespace.clone(),
                    name: rel.name.clone(),
                },
                column,
            ));
        }
    }
    Ok(out)
}

/// A table's schema and name.
struct TableName {
    namespace: String,
    name: String,
}

/// 23514 if a stored value of the domain fails CHECK `expr`.
fn validate_check(session: &mut Session, domain: u32, expr: &str) -> PgResult<()> {
    for (rel, column) in domain_columns(session, domain)? {
        let mut e = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(expr)
            .and_then(|mut p| p.parse_expr())
            .map_err(|e| PgError::internal(e.to_string()))?;
        let _ = sqlparser::ast::visit_expressions_mut(&mut e, |x| {
            if let sqlparser::ast::Expr::Identifier(id) = x
                && id.quote_style.is_none()
                && id.value.eq_ignore_ascii_case("value")
            {
                *x = sqlparser::ast::Expr::Identifier(Ident::with_quote('"', column.clone()));
            }
            ControlFlow::<()>::Continue(())
        });
        let sql = format!(
            "SELECT 1 FROM {}.{} WHERE NOT ({e}) LIMIT 1",
            types::guc::quote_identifier(&rel.namespace),
            types::guc::quote_identifier(&rel.name)
        );
        if super::constraints::query_finds_rows(session, &sql)? {
            return Err(PgError::new(
                SqlState::CheckViolation,
                format!(
                    "column \"{column}\" of table \"{}\" contains values that violate the new constraint",
                    rel.name
                ),
            ));
        }
    }
    Ok(())
}

/// ALTER DOMAIN name action.
fn alter_domain(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER DOMAIN")?;
    let name = t.object_name()?;
    let found = find_domain(session, &name)?;
    let (domain, _, _) = &found;
    let domain: std::sync::Arc<UserType> = domain.clone();
    let info = domain
        .domain()
        .cloned()
        .ok_or_else(|| PgError::internal("not a domain"))?;
    let (vbase, vtypmod) = typcache::base_type_and_typmod(domain.oid, -1);
    let db = session.database_oid;
    if t.eat_kws(&["set", "default"]) {
        let e = parse_expr(t.until(&[]))?;
        let text = default_text(session, &e, vbase, vtypmod)?;
        rewrite_type_rows(session, &found, |_, _, d| d.default = text)?;
    } else if t.eat_kws(&["drop", "default"]) {
        rewrite_type_rows(session, &found, |_, _, d| d.default = None)?;
    } else if t.eat_kws(&["set", "not", "null"]) {
        if !info.not_null {
            for (rel, column) in domain_columns(session, domain.oid)? {
                let sql = format!(
                    "SELECT 1 FROM {}.{} WHERE {} IS NULL LIMIT 1",
                    types::guc::quote_identifier(&rel.namespace),
                    types::guc::quote_identifier(&rel.name),
                    types::guc::quote_identifier(&column)
                );
                if super::constraints::query_finds_rows(session, &sql)? {
                    return Err(PgError::new(
                        SqlState::NotNullViolation,
                        format!(
                            "column \"{column}\" of table \"{}\" contains null values",
                            rel.name
                        ),
                    ));
                }
            }
            rewrite_type_rows(session, &found, |_, _, d| d.not_null = true)?;
        }
    } else if t.eat_kws(&["drop", "not", "null"]) {
        if info.not_null {
            rewrite_type_rows(session, &found, |_, _, d| d.not_null = false)?;
        }
    } else if t.eat_kw("add") {
        let (_, clause) = parse_constraint(t)?;
        let Clause::Check {
            name: cname,
            expr,
            not_valid,
        } = clause
        else {
            return Err(PgError::new(
                SqlState::SyntaxError,
                "use ALTER DOMAIN .. [ SET | DROP ] NOT NULL instead",
            ));
        };
        let text = check_expression(session, &expr, vbase, vtypmod)?;
        let cname = match cname {
            Some(c) => {
                if info.checks.iter().any(|k| k.name == c) {
                    return Err(PgError::new(
                        SqlState::DuplicateObject,
                        format!(
                            "constraint \"{c}\" for domain \"{}\" already exists",
                            domain.name
                        ),
                    ));
                }
                c
            }
            None => choose_name(session, &domain.name, domain.namespace, &[])?,
        };
        if !not_valid {
            validate_check(session, domain.oid, &text)?;
        }
        let oid = session.storage.transam.new_oid()?;
        let row = check_row(oid, cname, domain.namespace, domain.oid, text, !not_valid);
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.add_constraint(w, &row)
        })?;
    } else if t.eat_kws(&["drop", "constraint"]) {
        let if_exists = t.eat_kws(&["if", "exists"]);
        let cname = t.name_text()?;
        if !t.eat_kw("cascade") {
            t.eat_kw("restrict");
        }
        let rows = with_reader(session, |r| r.domain_constraints())?;
        match rows
            .iter()
            .find(|(_, c)| c.type_oid == domain.oid && c.name == cname)
        {
            Some((tid, _)) => {
                let tid = *tid;
                crate::xact::with_write(session, |env, w| {
                    CatalogWriter { env, db_oid: db }.delete_rows(&[(PG_CONSTRAINT, tid)], w)
                })?;
            }
            None if if_exists => {
                session.notice(
                    "00000",
                    format!(
                        "constraint \"{cname}\" of domain \"{}\" does not exist, skipping",
                        domain.name
                    ),
                );
            }
            None => {
                return Err(PgError::new(
                    SqlState::UndefinedObject,
                    format!(
                        "constraint \"{cname}\" of domain \"{}\" does not exist",
                        domain.name
                    ),
                ));
            }
        }
    } else if t.eat_kws(&["rename", "constraint"]) {
        let from = t.name_text()?;
        t.expect_kw("to")?;
        let to = t.name_text()?;
        let rows = with_reader(session, |r| r.domain_constraints())?;
        let Some((tid, row)) = rows
            .iter()
            .find(|(_, c)| c.type_oid == domain.oid && c.name == from)
        else {
            return Err(PgError::new(
                SqlState::UndefinedObject,
                format!(
                    "constraint \"{from}\" for domain \"{}\" does not exist",
                    domain.name
                ),
            ));
        };
        if rows
            .iter()
            .any(|(_, c)| c.type_oid == domain.oid && c.name == to)
        {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!(
                    "constraint \"{to}\" for domain \"{}\" already exists",
                    domain.name
                ),
            ));
        }
        let mut row = row.clone();
        row.name = to;
        let tid = *tid;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_constraint(tid, &row, w)
        })?;
    } else if t.eat_kws(&["validate", "constraint"]) {
        let cname = t.name_text()?;
        let rows = with_reader(session, |r| r.domain_constraints())?;
        let Some((tid, row)) = rows
            .iter()
            .find(|(_, c)| c.type_oid == domain.oid && c.name == cname)
        else {
            return Err(PgError::new(
                SqlState::UndefinedObject,
                format!(
                    "constraint \"{cname}\" of domain \"{}\" does not exist",
                    domain.name
                ),
            ));
        };
        if !row.validated {
            validate_check(session, domain.oid, row.expr.as_deref().unwrap_or("true"))?;
            let mut row = row.clone();
            row.validated = true;
            let tid = *tid;
            crate::xact::with_write(session, |env, w| {
                CatalogWriter { env, db_oid: db }.update_constraint(tid, &row, w)
            })?;
        }
    } else if t.eat_kws(&["rename", "to"]) {
        let new = t.name_text()?;
        rename_domain(session, &found, new)?;
    } else if t.eat_kws(&["owner", "to"]) {
        let role = t.name_text()?;
        let Some((_, owner)) = with_reader(session, |r| r.role(&role))? else {
            return Err(PgError::new(
                SqlState::UndefinedObject,
                format!("role \"{role}\" does not exist"),
            ));
        };
        let owner = owner.oid;
        rewrite_type_rows(session, &found, |_, o, _| *o = owner)?;
    } else if t.peek_kw("set") {
        return Err(PgError::feature_not_supported(
            "ALTER DOMAIN ... SET SCHEMA",
        ));
    } else {
        return Err(t.error());
    }
    if !t.at_end() {
        return Err(t.error());
    }
    catalog_changed(session);
    changed(session)?;
    Ok(Outcome::Command("ALTER DOMAIN".into()))
}
