//! Extended statistics objects (PostgreSQL's `commands/statscmds.c`):
//! CREATE STATISTICS, ALTER STATISTICS (RENAME TO, SET SCHEMA, OWNER TO,
//! SET STATISTICS) and DROP STATISTICS, and the lookups that COMMENT ON
//! STATISTICS, `pg_get_statisticsobjdef` and psql's `\d` use.
//!
//! An object is a `pg_statistic_ext` row ([`StatisticExtRow`]): its plain
//! columns as attribute numbers, its expressions as SQL text, and the kinds
//! it asks for (`d` ndistinct, `f` dependencies, `m` MCV, `e` expression
//! statistics). It goes with its table (`CatalogReader::relation_rows`) and
//! with any of its columns (`alter_table::drop_column` calls
//! [`drop_for_column`]), as PostgreSQL's automatic dependencies make it.
//!
//! Nothing builds the statistics yet: ANALYZE leaves `pg_statistic_ext_data`
//! empty and the planner estimates from the per-column statistics only.
//!
//! sqlparser knows none of these statements: the pre-parser keeps them as
//! text (`syntax::TextStatement::Statistics`) and sqlparser's `Parser`
//! reads their parts here.

use std::sync::Arc;

use sqlparser::ast::{Expr, TableFactor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use catalog::heap_catalog::{CatalogWriter, RelationInfo};
use catalog::system::{
    PG_CATALOG_NAMESPACE, PG_STATISTIC_EXT, PG_STATISTIC_EXT_DEF, StatisticExtRow,
};
use storage::lmgr::LockMode;
use storage::page::ItemPointer;
use types::{PgError, PgResult, SqlState};

use super::catalog_changed;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// PostgreSQL's `STATS_MAX_DIMENSIONS`.
const MAX_DIMENSIONS: usize = 8;

/// The system columns, which statistics cannot be built on.
const SYSTEM_COLUMNS: [&str; 6] = ["ctid", "xmin", "cmin", "xmax", "cmax", "tableoid"];

/// `CREATE | ALTER | DROP STATISTICS ...` kept as text.
pub(crate) fn statistics_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let first = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match first.as_str() {
        "create" => create_statistics(session, text),
        "alter" => alter_statistics(session, text),
        _ => drop_statistics(session, text),
    }
}

fn parser(text: &str) -> PgResult<Parser<'static>> {
    static DIALECT: PostgreSqlDialect = PostgreSqlDialect {};
    Parser::new(&DIALECT)
        .try_with_sql(text)
        .map_err(|e| crate::syntax::text_syntax_error(text, e))
}

/// The word STATISTICS after CREATE, ALTER or DROP.
fn expect_statistics_word(p: &mut Parser<'_>) -> Result<(), ParserError> {
    let w = p.parse_identifier()?;
    if w.value.eq_ignore_ascii_case("statistics") {
        Ok(())
    } else {
        p.prev_token();
        p.expected("STATISTICS", p.peek_token())
    }
}

/// Whether the statement ends here (its `;` is kept, see
/// `syntax::rewrite_text_statements`).
fn at_end(p: &mut Parser<'_>) -> bool {
    let _ = p.consume_token(&Token::SemiColon);
    p.peek_token().token == Token::EOF
}

/// The syntax error at the parser's next token.
fn unexpected(text: &str, p: &Parser<'_>) -> PgError {
    let e = p
        .expected::<()>("another token", p.peek_token())
        .err()
        .unwrap_or_else(|| ParserError::ParserError("syntax error".into()));
    crate::syntax::text_syntax_error(text, e)
}

/// `[schema.]name` as (schema, name), case-folded unless quoted.
fn split(name: &sqlparser::ast::ObjectName) -> PgResult<(Option<String>, String)> {
    super::split_name(name)
}

/// One element of the ON list.
enum Element {
    Column(String),
    Expression(Box<Expr>),
}

impl Element {
    fn from_expr(e: Expr) -> Element {
        match e {
            Expr::Nested(inner) => match *inner {
                Expr::Identifier(i) => Element::Column(super::ident(&i)),
                Expr::Nested(_) => Element::from_expr(*inner),
                other => Element::Expression(Box::new(other)),
            },
            other => Element::Expression(Box::new(other)),
        }
    }
}

struct CreateStatistics {
    if_not_exists: bool,
    name: sqlparser::ast::ObjectName,
    kinds: Vec<String>,
    elements: Vec<Element>,
    from: Vec<sqlparser::ast::TableWithJoins>,
}

fn parse_create(text: &str) -> PgResult<CreateStatistics> {
    let err = |e| crate::syntax::text_syntax_error(text, e);
    let mut p = parser(text)?;
    p.expect_keyword_is(Keyword::CREATE).map_err(err)?;
    expect_statistics_word(&mut p).map_err(err)?;
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    // (PostgreSQL 15 requires the name; 16 makes one when it is left out)
    if matches!(&p.peek_token().token, Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::ON)
    {
        return Err(unexpected(text, &p));
    }
    let name = p.parse_object_name(false).map_err(err)?;
    let mut kinds = Vec::new();
    if p.consume_token(&Token::LParen) {
        kinds = p
            .parse_comma_separated(|p| p.parse_identifier())
            .map_err(err)?
            .iter()
            .map(super::ident)
            .collect();
        p.expect_token(&Token::RParen).map_err(err)?;
    }
    p.expect_keyword_is(Keyword::ON).map_err(err)?;
    let mut elements = Vec::new();
    loop {
        if p.consume_token(&Token::LParen) {
            let e = p.parse_expr().map_err(err)?;
            p.expect_token(&Token::RParen).map_err(err)?;
            elements.push(Element::from_expr(Expr::Nested(Box::new(e))));
        } else {
            let e = p.parse_prefix().map_err(err)?;
            match e {
                Expr::Identifier(i) => elements.push(Element::Column(super::ident(&i))),
                Expr::Function(_) => elements.push(Element::Expression(Box::new(e))),
                _ => {
                    p.prev_token();
                    return Err(unexpected(text, &p));
                }
            }
        }
        if !p.consume_token(&Token::Comma) {
            break;
        }
    }
    p.expect_keyword_is(Keyword::FROM).map_err(err)?;
    let from = p
        .parse_comma_separated(Parser::parse_table_and_joins)
        .map_err(err)?;
    if !at_end(&mut p) {
        return Err(unexpected(text, &p));
    }
    Ok(CreateStatistics {
        if_not_exists,
        name,
        kinds,
        elements,
        from,
    })
}

/// The relation of the FROM clause (PostgreSQL takes a plain relation
/// name only, and a single one).
fn from_relation(from: &[sqlparser::ast::TableWithJoins]) -> PgResult<&sqlparser::ast::ObjectName> {
    let only_names = || {
        PgError::new(
            SqlState::FeatureNotSupported,
            "CREATE STATISTICS only supports relation names in the FROM clause",
        )
    };
    let first = from.first().ok_or_else(only_names)?;
    let TableFactor::Table {
        name,
        args: None,
        sample: None,
        ..
    } = &first.relation
    else {
        return Err(only_names());
    };
    if !first.joins.is_empty() {
        return Err(only_names());
    }
    if from.len() != 1 {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "only a single relation is allowed in CREATE STATISTICS",
        ));
    }
    Ok(name)
}

fn relkind_plural(kind: char) -> &'static str {
    match kind {
        'v' => "views",
        'i' | 'I' => "indexes",
        'S' => "sequences",
        'c' => "composite types",
        't' => "TOAST tables",
        _ => "this kind of relation",
    }
}

/// The schemas an unqualified statistics name is looked up in: search_path
/// without the temporary schema (PostgreSQL searches that one for
/// relations and types only).
fn lookup_path(session: &mut Session) -> PgResult<Vec<u32>> {
    let temp = crate::commands::temp::temp_schema_name(session);
    let temp = relcache::namespace_oid(session, &temp)?;
    Ok(relcache::search_path(session)?
        .into_iter()
        .filter(|&n| Some(n) != temp)
        .collect())
}

/// The schema an explicit `schema.` names (`pg_temp` is the session's
/// temporary schema); 3F000 if there is none.
fn explicit_namespace(session: &mut Session, schema: &str) -> PgResult<Option<u32>> {
    let name = if schema == "pg_temp" {
        crate::commands::temp::temp_schema_name(session)
    } else {
        schema.to_owned()
    };
    relcache::namespace_oid(session, &name)
}

/// The statistics object `[schema.]name`, if there is one.
fn lookup(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
) -> PgResult<Option<(ItemPointer, StatisticExtRow)>> {
    let namespaces = match schema {
        Some(s) => match explicit_namespace(session, s)? {
            Some(n) => vec![n],
            None => {
                return Err(PgError::new(
                    SqlState::InvalidSchemaName,
                    format!("schema \"{s}\" does not exist"),
                ));
            }
        },
        None => lookup_path(session)?,
    };
    let all = with_reader(session, |r| r.all_statistics_ext())?;
    for n in namespaces {
        if let Some(found) = all.iter().find(|(_, s)| s.namespace == n && s.name == name) {
            return Ok(Some(found.clone()));
        }
    }
    Ok(None)
}

fn does_not_exist(schema: Option<&str>, name: &str) -> PgError {
    let full = match schema {
        Some(s) => format!("{s}.{name}"),
        None => name.to_owned(),
    };
    PgError::new(
        SqlState::UndefinedObject,
        format!("statistics object \"{full}\" does not exist"),
    )
}

fn skipping(session: &mut Session, schema: Option<&str>, name: &str) {
    let full = match schema {
        Some(s) => format!("{s}.{name}"),
        None => name.to_owned(),
    };
    session.notice(
        "00000",
        format!("statistics object \"{full}\" does not exist, skipping"),
    );
}

/// The current user must own (or be a member of the owner of) `row`.
fn require_owner(session: &Session, row: &StatisticExtRow) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = crate::acl::RoleGraph::load(session)?;
    if graph.has_privs_of(session.user_oid, row.owner) {
        return Ok(());
    }
    Err(crate::acl::must_be_owner("statistics object", &row.name))
}

/// Whether a statistics object of this name exists in `namespace`.
fn name_taken(session: &mut Session, namespace: u32, name: &str) -> PgResult<bool> {
    Ok(with_reader(session, |r| r.all_statistics_ext())?
        .iter()
        .any(|(_, s)| s.namespace == namespace && s.name == name))
}

/// CREATE STATISTICS [IF NOT EXISTS] name [(kinds)] ON columns | (expressions)
/// FROM table.
fn create_statistics(session: &mut Session, text: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE STATISTICS")?;
    let stmt = parse_create(text)?;
    let rel_name = from_relation(&stmt.from)?;
    let (rel_schema, relname) = split(rel_name)?;
    relcache::check_explicit_schema(session, rel_schema.as_deref())?;
    let Some(rel) = relcache::lookup_relation(session, rel_schema.as_deref(), &relname)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{relname}\" does not exist"),
        ));
    };
    // The expressions are analyzed over the table first (their errors
    // come before CREATE STATISTICS' own checks, as in PostgreSQL).
    let desc = Arc::new(crate::table_access::relation_desc(&rel));
    let mut analyzed = Vec::new();
    for e in &stmt.elements {
        if let Element::Expression(x) = e {
            let text = x.to_string();
            let catalog = crate::table_access::SessionCatalog::new(session);
            let a = planner::analyze_statistics_expression(desc.clone(), &text, &catalog)?;
            analyzed.push((text, a));
        }
    }
    if !matches!(rel.kind, 'r' | 'm' | 'f' | 'p') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("cannot define statistics for relation \"{}\"", rel.name),
        )
        .with_detail(format!(
            "This operation is not supported for {}.",
            relkind_plural(rel.kind)
        )));
    }
    crate::xact::lock_relation(session, rel.oid, LockMode::ShareUpdateExclusive)?;
    if crate::acl::require_relation_owner(session, rel.oid).is_err() {
        let what = match rel.kind {
            'm' => "materialized view",
            'f' => "foreign table",
            _ => "table",
        };
        return Err(crate::acl::must_be_owner(what, &rel.name));
    }
    if rel.namespace_oid == PG_CATALOG_NAMESPACE {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("permission denied: \"{}\" is a system catalog", rel.name),
        ));
    }
    let (schema, name) = split(&stmt.name)?;
    let namespace = match schema.as_deref() {
        Some("pg_temp") => crate::commands::temp::temp_creation_namespace(session)?,
        s => relcache::creation_namespace(session, s)?,
    };
    if name_taken(session, namespace, &name)? {
        if stmt.if_not_exists {
            session.notice(
                "42710",
                format!("statistics object \"{name}\" already exists, skipping"),
            );
            return Ok(Outcome::Command("CREATE STATISTICS".into()));
        }
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("statistics object \"{name}\" already exists"),
        ));
    }
    if stmt.elements.len() > MAX_DIMENSIONS {
        return Err(PgError::new(
            SqlState::TooManyColumns,
            format!("cannot have more than {MAX_DIMENSIONS} columns in statistics"),
        ));
    }
    let system_columns = || {
        PgError::new(
            SqlState::FeatureNotSupported,
            "statistics creation on system columns is not supported",
        )
    };
    let mut keys: Vec<i16> = Vec::new();
    let mut exprs: Vec<(String, planner::Expr)> = Vec::new();
    let mut analyzed = analyzed.into_iter();
    for e in &stmt.elements {
        match e {
            Element::Column(c) => {
                if SYSTEM_COLUMNS.contains(&c.as_str()) {
                    return Err(system_columns());
                }
                let Some(col) = rel.columns.iter().find(|x| !x.dropped && x.name == *c) else {
                    return Err(PgError::new(
                        SqlState::UndefinedColumn,
                        format!("column \"{c}\" does not exist"),
                    ));
                };
                if catalog::system::btree_opclass(col.type_oid).is_none() {
                    return Err(PgError::new(
                        SqlState::FeatureNotSupported,
                        format!(
                            "column \"{c}\" cannot be used in statistics because its type {} has no default btree operator class",
                            types::oid::format_type(col.type_oid, -1)
                        ),
                    ));
                }
                keys.push(col.attnum);
            }
            Element::Expression(_) => {
                let Some((text, x)) = analyzed.next() else {
                    continue;
                };
                if stmt.elements.len() > 1 && catalog::system::btree_opclass(x.type_oid()).is_none()
                {
                    return Err(PgError::new(
                        SqlState::FeatureNotSupported,
                        format!(
                            "expression cannot be used in multivariate statistics because its type {} has no default btree operator class",
                            types::oid::format_type(x.type_oid(), -1)
                        ),
                    ));
                }
                exprs.push((text, x));
            }
        }
    }
    if stmt.elements.len() == 1 && exprs.len() == 1 && !stmt.kinds.is_empty() {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "when building statistics on a single expression, statistics kinds may not be specified",
        ));
    }
    let mut kinds = Vec::new();
    for k in &stmt.kinds {
        let kind = match k.as_str() {
            "ndistinct" => 'd',
            "dependencies" => 'f',
            "mcv" => 'm',
            _ => {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    format!("unrecognized statistics kind \"{k}\""),
                ));
            }
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() && stmt.elements.len() >= 2 {
        kinds = vec!['d', 'f', 'm'];
    }
    kinds.sort_by_key(|k| match k {
        'd' => 0,
        'f' => 1,
        _ => 2,
    });
    if !exprs.is_empty() {
        kinds.push('e');
    }
    if stmt.elements.len() < 2 && exprs.len() != 1 {
        return Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            "extended statistics require at least 2 columns",
        ));
    }
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(PgError::new(
            SqlState::DuplicateColumn,
            "duplicate column name in statistics definition",
        ));
    }
    for (i, (_, a)) in exprs.iter().enumerate() {
        if exprs[i + 1..].iter().any(|(_, b)| a == b) {
            return Err(PgError::new(
                SqlState::DuplicateColumn,
                "duplicate expression in statistics definition",
            ));
        }
    }
    let exprs = (!exprs.is_empty()).then(|| {
        exprs
            .iter()
            .map(|(t, _)| format!("({t})"))
            .collect::<Vec<_>>()
            .join(", ")
    });
    crate::xact::ensure_xid(session)?;
    let row = StatisticExtRow {
        oid: session.storage.transam.new_oid()?,
        relid: rel.oid,
        name,
        namespace,
        owner: session.user_oid,
        stattarget: -1,
        keys,
        kinds,
        exprs,
    };
    insert(session, &row)?;
    Ok(Outcome::Command("CREATE STATISTICS".into()))
}

fn insert(session: &mut Session, row: &StatisticExtRow) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }
            .insert_row(&PG_STATISTIC_EXT_DEF, &row.to_datums(), w)
            .map(|_| ())
    })?;
    catalog_changed(session);
    Ok(())
}

fn replace(session: &mut Session, tid: ItemPointer, row: &StatisticExtRow) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.replace_row(
            &PG_STATISTIC_EXT_DEF,
            tid,
            &row.to_datums(),
            w,
        )
    })?;
    catalog_changed(session);
    Ok(())
}

/// Deletes statistics objects (their rows and comments).
fn delete(session: &mut Session, objects: &[(ItemPointer, StatisticExtRow)]) -> PgResult<()> {
    let mut rows = Vec::new();
    for (tid, row) in objects {
        rows.push((PG_STATISTIC_EXT, *tid));
        rows.extend(
            with_reader(session, |r| r.statistics_ext_data(row.oid))?
                .into_iter()
                .map(|d| (catalog::system::PG_STATISTIC_EXT_DATA, d.0)),
        );
        rows.extend(with_reader(session, |r| {
            r.description_rows(PG_STATISTIC_EXT, row.oid, None)
        })?);
    }
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    catalog_changed(session);
    Ok(())
}

/// ALTER STATISTICS [IF EXISTS] name {RENAME TO new | SET SCHEMA s | OWNER
/// TO role | SET STATISTICS n}.
fn alter_statistics(session: &mut Session, text: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER STATISTICS")?;
    let err = |e| crate::syntax::text_syntax_error(text, e);
    let mut p = parser(text)?;
    p.expect_keyword_is(Keyword::ALTER).map_err(err)?;
    expect_statistics_word(&mut p).map_err(err)?;
    let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let name = p.parse_object_name(false).map_err(err)?;
    enum Action {
        Rename(String),
        Schema(String),
        Owner(sqlparser::ast::Owner),
        Target(i64),
    }
    let action = match p
        .expect_one_of_keywords(&[Keyword::RENAME, Keyword::SET, Keyword::OWNER])
        .map_err(err)?
    {
        Keyword::RENAME => {
            p.expect_keyword_is(Keyword::TO).map_err(err)?;
            Action::Rename(super::ident(&p.parse_identifier().map_err(err)?))
        }
        Keyword::OWNER => {
            p.expect_keyword_is(Keyword::TO).map_err(err)?;
            let owner = if p.parse_keyword(Keyword::CURRENT_USER) {
                sqlparser::ast::Owner::CurrentUser
            } else if p.parse_keyword(Keyword::CURRENT_ROLE) {
                sqlparser::ast::Owner::CurrentRole
            } else if p.parse_keyword(Keyword::SESSION_USER) {
                sqlparser::ast::Owner::SessionUser
            } else {
                sqlparser::ast::Owner::Ident(p.parse_identifier().map_err(err)?)
            };
            Action::Owner(owner)
        }
        _ => {
            if p.parse_keyword(Keyword::SCHEMA) {
                Action::Schema(super::ident(&p.parse_identifier().map_err(err)?))
            } else {
                expect_statistics_word(&mut p).map_err(err)?;
                let negative = p.consume_token(&Token::Minus);
                let n = p.parse_literal_uint().map_err(err)? as i64;
                Action::Target(if negative { -n } else { n })
            }
        }
    };
    if !at_end(&mut p) {
        return Err(unexpected(text, &p));
    }
    let (schema, name) = split(&name)?;
    let Some((tid, mut row)) = lookup(session, schema.as_deref(), &name)? else {
        if if_exists {
            skipping(session, schema.as_deref(), &name);
            return Ok(Outcome::Command("ALTER STATISTICS".into()));
        }
        return Err(does_not_exist(schema.as_deref(), &name));
    };
    require_owner(session, &row)?;
    match action {
        Action::Rename(new) => {
            if name_taken(session, row.namespace, &new)? {
                let nsp = super::namespace_name(session, row.namespace)?;
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!("statistics object \"{new}\" already exists in schema \"{nsp}\""),
                ));
            }
            row.name = new;
        }
        Action::Schema(s) => {
            let nsp = relcache::creation_namespace(session, Some(&s))?;
            if nsp != row.namespace && name_taken(session, nsp, &row.name)? {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!(
                        "statistics object \"{}\" already exists in schema \"{s}\"",
                        row.name
                    ),
                ));
            }
            row.namespace = nsp;
        }
        Action::Owner(owner) => {
            let graph = crate::acl::RoleGraph::load(session)?;
            let role = crate::acl::owner_role(session, &graph, &owner)?;
            if !session.is_superuser {
                if !graph.is_member_of(session.user_oid, role.oid) {
                    return Err(PgError::new(
                        SqlState::InsufficientPrivilege,
                        format!("must be member of role \"{}\"", role.name),
                    ));
                }
                crate::acl::require_schema_create(session, row.namespace)?;
            }
            row.owner = role.oid;
        }
        Action::Target(n) => {
            let mut n = n.clamp(-1, i64::from(i32::MAX)) as i32;
            if n < -1 {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("statistics target {n} is too low"),
                ));
            }
            if n > 10000 {
                session.warn("01000", "lowering statistics target to 10000");
                n = 10000;
            }
            row.stattarget = n;
        }
    }
    replace(session, tid, &row)?;
    Ok(Outcome::Command("ALTER STATISTICS".into()))
}

/// DROP STATISTICS [IF EXISTS] name, ... [CASCADE | RESTRICT].
fn drop_statistics(session: &mut Session, text: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP STATISTICS")?;
    let err = |e| crate::syntax::text_syntax_error(text, e);
    let mut p = parser(text)?;
    p.expect_keyword_is(Keyword::DROP).map_err(err)?;
    expect_statistics_word(&mut p).map_err(err)?;
    let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let names = p
        .parse_comma_separated(|p| p.parse_object_name(false))
        .map_err(err)?;
    let _ = p.parse_one_of_keywords(&[Keyword::CASCADE, Keyword::RESTRICT]);
    if !at_end(&mut p) {
        return Err(unexpected(text, &p));
    }
    let mut found = Vec::new();
    for n in &names {
        let (schema, name) = split(n)?;
        let hit = if if_exists
            && let Some(s) = schema.as_deref()
            && explicit_namespace(session, s)?.is_none()
        {
            None
        } else {
            lookup(session, schema.as_deref(), &name)?
        };
        match hit {
            Some((tid, row)) => {
                require_owner(session, &row)?;
                if !found.iter().any(|(t, _)| *t == tid) {
                    found.push((tid, row));
                }
            }
            None if if_exists => skipping(session, schema.as_deref(), &name),
            None => return Err(does_not_exist(schema.as_deref(), &name)),
        }
    }
    for (_, row) in &found {
        crate::xact::lock_relation(session, row.relid, LockMode::ShareUpdateExclusive)?;
    }
    delete(session, &found)?;
    Ok(Outcome::Command("DROP STATISTICS".into()))
}

/// The statistics objects of `table` that involve column `attnum` (by key
/// or in an expression): dropped with the column.
pub(crate) fn drop_for_column(
    session: &mut Session,
    table: &RelationInfo,
    attnum: i16,
    column: &str,
) -> PgResult<()> {
    let objects: Vec<_> = with_reader(session, |r| r.statistics_ext(table.oid))?
        .into_iter()
        .filter(|(_, s)| {
            s.keys.contains(&attnum)
                || s.exprs
                    .as_deref()
                    .is_some_and(|e| super::alter_table::mentions_column(e, column))
        })
        .collect();
    if objects.is_empty() {
        return Ok(());
    }
    delete(session, &objects)
}

/// The `pg_statistic_ext_data` rows of the objects of `table` that involve
/// column `attnum` (ALTER COLUMN TYPE makes them meaningless).
pub(crate) fn data_rows_for_column(
    session: &mut Session,
    table: &RelationInfo,
    attnum: i16,
    column: &str,
) -> PgResult<Vec<(u32, ItemPointer)>> {
    let mut rows = Vec::new();
    for (_, s) in with_reader(session, |r| r.statistics_ext(table.oid))? {
        let involved = s.keys.contains(&attnum)
            || s.exprs
                .as_deref()
                .is_some_and(|e| super::alter_table::mentions_column(e, column));
        if involved {
            rows.extend(
                with_reader(session, |r| r.statistics_ext_data(s.oid))?
                    .into_iter()
                    .map(|d| (catalog::system::PG_STATISTIC_EXT_DATA, d.0)),
            );
        }
    }
    Ok(rows)
}

/// COMMENT ON STATISTICS name: the object's OID after the ownership check.
pub(crate) fn comment_target(session: &mut Session, parts: &[String]) -> PgResult<u32> {
    let (schema, name) = match parts {
        [n] => (None, n.as_str()),
        [s, n] => (Some(s.as_str()), n.as_str()),
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
    let Some((_, row)) = lookup(session, schema, name)? else {
        return Err(does_not_exist(schema, name));
    };
    require_owner(session, &row)?;
    Ok(row.oid)
}

/// `pg_statistics_obj_is_visible(oid)`: whether the unqualified name finds
/// the object (None if there is no such object).
pub(crate) fn is_visible(session: &mut Session, oid: u32) -> PgResult<Option<bool>> {
    let all = with_reader(session, |r| r.all_statistics_ext())?;
    let Some((_, row)) = all.iter().find(|(_, s)| s.oid == oid) else {
        return Ok(None);
    };
    for n in lookup_path(session)? {
        if let Some((_, first)) = all
            .iter()
            .find(|(_, s)| s.namespace == n && s.name == row.name)
        {
            return Ok(Some(first.oid == oid));
        }
    }
    Ok(Some(false))
}

/// `pg_get_statisticsobjdef(oid)` (`columns_only` false: the whole CREATE
/// STATISTICS statement) and `pg_get_statisticsobjdef_columns(oid)` (the
/// ON list only).
pub(crate) fn definition(
    session: &mut Session,
    oid: u32,
    columns_only: bool,
) -> PgResult<Option<String>> {
    let all = with_reader(session, |r| r.all_statistics_ext())?;
    let Some((_, row)) = all.into_iter().find(|(_, s)| s.oid == oid) else {
        return Ok(None);
    };
    let Some(rel) = relcache::relation_by_oid(session, row.relid)? else {
        return Ok(None);
    };
    let mut items: Vec<String> = row
        .keys
        .iter()
        .filter_map(|k| rel.columns.iter().find(|c| c.attnum == *k))
        .map(|c| crate::sysviews::quote_ident(&c.name))
        .collect();
    for e in expression_texts(row.exprs.as_deref()) {
        let shown = crate::describe::expression(session, &e, rel.oid, true)?.unwrap_or(e);
        // A function call prints without the extra parentheses.
        let bare = shown.ends_with(')') && !shown.starts_with('(') && {
            let name_end = shown.find('(').unwrap_or(0);
            name_end > 0
                && shown[..name_end]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '"')
        };
        items.push(if bare { shown } else { format!("({shown})") });
    }
    let columns = items.join(", ");
    if columns_only {
        return Ok(Some(columns));
    }
    let qualified = |session: &mut Session, nsp: u32, name: &str| -> PgResult<String> {
        let visible = relcache::search_path(session)?.contains(&nsp);
        Ok(if visible && nsp != row.namespace {
            crate::sysviews::quote_ident(name)
        } else {
            format!(
                "{}.{}",
                crate::sysviews::quote_ident(&super::namespace_name(session, nsp)?),
                crate::sysviews::quote_ident(name)
            )
        })
    };
    let stat_name = qualified(session, row.namespace, &row.name)?;
    let table = crate::relcache::regclass_name(session, rel.oid)?;
    let mut out = format!("CREATE STATISTICS {stat_name}");
    let all_kinds = row.kinds.iter().filter(|k| **k != 'e').count() == 3;
    let kinds = kind_names(&row.kinds);
    if !all_kinds && !kinds.is_empty() {
        out.push_str(&format!(" ({})", kinds.join(", ")));
    }
    out.push_str(&format!(" ON {columns} FROM {table}"));
    Ok(Some(out))
}

/// The words CREATE STATISTICS takes for the kinds of `stxkind` (`d`, `f`,
/// `m`; the expression kind `e` has none).
pub(crate) fn kind_names(kinds: &[char]) -> Vec<&'static str> {
    kinds
        .iter()
        .filter_map(|k| match k {
            'd' => Some("ndistinct"),
            'f' => Some("dependencies"),
            'm' => Some("mcv"),
            _ => None,
        })
        .collect()
}

/// The expressions of a `stxexprs` text, each without its parentheses.
pub(crate) fn expression_texts(exprs: Option<&str>) -> Vec<String> {
    let Some(text) = exprs else {
        return Vec::new();
    };
    let mut p = match parser(text) {
        Ok(p) => p,
        Err(_) => return Vec::new(),
    };
    p.parse_comma_separated(Parser::parse_expr)
        .map(|v| {
            v.into_iter()
                .map(|e| match e {
                    Expr::Nested(inner) => inner.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}
