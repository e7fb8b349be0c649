//! Publications and subscriptions as catalog objects (PostgreSQL's
//! `commands/publicationcmds.c` and `commands/subscriptioncmds.c`, without
//! the replication itself).
//!
//! A publication is a `pg_publication` row (per database) with its tables
//! in `pg_publication_rel` (the column list as `prattrs`, the row filter's
//! SQL text as `prqual`, which `pg_get_expr` deparses) and its schemas in
//! `pg_publication_namespace`. Dropping a table drops its membership rows
//! (`CatalogReader::relation_rows`). Nothing is ever sent: logical
//! decoding does not exist here.
//!
//! A subscription is a row of the shared `pg_subscription`; only
//! `WITH (connect = false)` is accepted (a connection to a publisher is
//! 0A000), so it never connects, never has a slot and never copies data.
//!
//! sqlparser knows none of these statements: the pre-parser keeps them as
//! text (`syntax::TextStatement::Publication`) and [`Tokens`] reads them.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use catalog::heap_catalog::CatalogWriter;
use catalog::system::{
    PG_CATALOG_NAMESPACE, PG_PUBLICATION_DEF, PG_PUBLICATION_NAMESPACE_DEF, PG_PUBLICATION_REL_DEF,
    PG_SUBSCRIPTION_DEF,
};
use storage::page::ItemPointer;
use types::datum::{ArrayValue, Datum};
use types::{PgError, PgResult, SqlState};

use super::catalog_changed;
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

/// The significant tokens of a statement kept as text.
pub(crate) struct Tokens {
    pub(crate) t: Vec<Token>,
    pub(crate) i: usize,
}

pub(crate) fn syntax_error_at(t: Option<&Token>) -> PgError {
    match t {
        Some(t) => PgError::syntax(format!("syntax error at or near \"{t}\""), None),
        None => PgError::syntax("syntax error at end of input", None),
    }
}

impl Tokens {
    pub(crate) fn new(text: &str) -> PgResult<Tokens> {
        let t = Tokenizer::new(&PostgreSqlDialect {}, text)
            .tokenize()
            .map_err(|e| PgError::syntax(e.to_string(), None))?
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF | Token::SemiColon))
            .collect();
        Ok(Tokens { t, i: 0 })
    }

    pub(crate) fn peek(&self) -> Option<&Token> {
        self.t.get(self.i)
    }

    pub(crate) fn error(&self) -> PgError {
        syntax_error_at(self.peek())
    }

    pub(crate) fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
    }

    pub(crate) fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.peek_kw(kw);
        if yes {
            self.i += 1;
        }
        yes
    }

    pub(crate) fn expect_kw(&mut self, kw: &str) -> PgResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    pub(crate) fn eat(&mut self, t: &Token) -> bool {
        let yes = self.peek() == Some(t);
        if yes {
            self.i += 1;
        }
        yes
    }

    pub(crate) fn expect(&mut self, t: &Token) -> PgResult<()> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    pub(crate) fn end(&self) -> PgResult<()> {
        match self.peek() {
            None => Ok(()),
            t => Err(syntax_error_at(t)),
        }
    }

    /// An identifier, case-folded unless quoted.
    pub(crate) fn ident(&mut self) -> PgResult<String> {
        match self.peek() {
            Some(Token::Word(w)) => {
                let v = match w.quote_style {
                    Some(_) => w.value.clone(),
                    None => w.value.to_lowercase(),
                };
                self.i += 1;
                Ok(v)
            }
            _ => Err(self.error()),
        }
    }

    /// `[schema.]name`.
    pub(crate) fn qualified(&mut self) -> PgResult<(Option<String>, String)> {
        let first = self.ident()?;
        if self.eat(&Token::Period) {
            Ok((Some(first), self.ident()?))
        } else {
            Ok((None, first))
        }
    }

    pub(crate) fn string(&mut self) -> PgResult<String> {
        match self.peek() {
            Some(Token::SingleQuotedString(s)) => {
                let s = s.clone();
                self.i += 1;
                Ok(s)
            }
            _ => Err(self.error()),
        }
    }

    /// The tokens inside a parenthesised group, as text (the parentheses
    /// eaten).
    pub(crate) fn parenthesized_text(&mut self) -> PgResult<String> {
        self.expect(&Token::LParen)?;
        let start = self.i;
        let mut depth = 1usize;
        while let Some(t) = self.peek() {
            match t {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        let text = self.t[start..self.i]
                            .iter()
                            .map(|t| t.to_string())
                            .collect::<Vec<_>>()
                            .join(" ");
                        self.i += 1;
                        return Ok(text);
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
        Err(syntax_error_at(None))
    }

    /// `( name [= value], ... )`: the option names (folded) and values as
    /// text (None when absent).
    pub(crate) fn options(&mut self) -> PgResult<Vec<(String, Option<String>)>> {
        self.expect(&Token::LParen)?;
        let mut out = Vec::new();
        loop {
            let name = self.ident()?;
            let value = if self.eat(&Token::Eq) {
                Some(match self.peek() {
                    Some(Token::SingleQuotedString(s)) => s.clone(),
                    Some(Token::Number(n, _)) => n.clone(),
                    Some(Token::Word(w)) if w.quote_style.is_none() => w.value.to_lowercase(),
                    Some(Token::Word(w)) => w.value.clone(),
                    t => return Err(syntax_error_at(t)),
                })
                .inspect(|_| self.i += 1)
            } else {
                None
            };
            out.push((name, value));
            if !self.eat(&Token::Comma) {
                break;
            }
        }
        self.expect(&Token::RParen)?;
        Ok(out)
    }
}

/// Runs a CREATE, ALTER or DROP of a publication or subscription.
pub fn publication_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let mut t = Tokens::new(text)?;
    let verb = t.ident()?;
    let subscription = t.peek_kw("subscription");
    t.i += 1;
    let out = match (verb.as_str(), subscription) {
        ("create", false) => create_publication(session, &mut t),
        ("alter", false) => alter_publication(session, &mut t),
        ("drop", false) => drop_publication(session, &mut t),
        ("create", true) => create_subscription(session, &mut t),
        ("alter", true) => alter_subscription(session, &mut t),
        _ => drop_subscription(session, &mut t),
    }?;
    catalog_changed(session);
    Ok(out)
}

// --- publications ---

/// A `pg_publication` row.
struct Publication {
    tid: ItemPointer,
    oid: u32,
    name: String,
    owner: u32,
    all_tables: bool,
    actions: [bool; 4],
    via_root: bool,
}

impl Publication {
    fn from_datums(tid: ItemPointer, r: &[Datum]) -> Publication {
        let b = |i: usize| matches!(r.get(i), Some(Datum::Bool(true)));
        let o = |i: usize| match r.get(i) {
            Some(Datum::Oid(o)) => *o,
            _ => 0,
        };
        Publication {
            tid,
            oid: o(0),
            name: match r.get(1) {
                Some(Datum::Text(s)) => s.clone(),
                _ => String::new(),
            },
            owner: o(2),
            all_tables: b(3),
            actions: [b(4), b(5), b(6), b(7)],
            via_root: b(8),
        }
    }

    fn datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.owner),
            Datum::Bool(self.all_tables),
            Datum::Bool(self.actions[0]),
            Datum::Bool(self.actions[1]),
            Datum::Bool(self.actions[2]),
            Datum::Bool(self.actions[3]),
            Datum::Bool(self.via_root),
        ]
    }
}

fn find_publication(session: &Session, name: &str) -> PgResult<Option<Publication>> {
    let mut found = None;
    with_reader(session, |r| {
        r.scan(&PG_PUBLICATION_DEF, |tid, row| {
            if matches!(row.get(1), Some(Datum::Text(n)) if n == name) {
                found = Some(Publication::from_datums(tid, &row));
                return Ok(false);
            }
            Ok(true)
        })
    })?;
    Ok(found)
}

fn publication_missing(name: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedObject,
        format!("publication \"{name}\" does not exist"),
    )
}

/// The rows of `def` whose column `col` is `Datum::Oid(oid)`.
fn rows_with(
    session: &Session,
    def: &catalog::system::CatalogDef,
    col: usize,
    oid: u32,
) -> PgResult<Vec<(ItemPointer, Vec<Datum>)>> {
    let mut rows = Vec::new();
    with_reader(session, |r| {
        r.scan(def, |tid, row| {
            if row.get(col) == Some(&Datum::Oid(oid)) {
                rows.push((tid, row));
            }
            Ok(true)
        })
    })?;
    Ok(rows)
}

/// One `TABLE` element of a publication's object list.
struct TableItem {
    /// `ONLY` (no inheritance children)
    only: bool,
    schema: Option<String>,
    name: String,
    columns: Option<Vec<String>>,
    filter: Option<String>,
}

/// The object list after FOR (or ADD / SET / DROP): tables and schemas.
struct Objects {
    tables: Vec<TableItem>,
    schemas: Vec<String>,
}

fn parse_objects(t: &mut Tokens, session: &mut Session) -> PgResult<Objects> {
    let mut objects = Objects {
        tables: Vec::new(),
        schemas: Vec::new(),
    };
    // Which kind a comma-continued element is: 1 table, 2 schema.
    let mut kind = 0;
    loop {
        // Whether this element follows its keyword (else it continues the
        // list after a comma): the grammar rejects some forms there that
        // it reports more precisely for continued elements.
        let explicit = if t.eat_kw("table") {
            kind = 1;
            true
        } else if t.peek_kw("tables") {
            t.i += 1;
            t.expect_kw("in")?;
            t.expect_kw("schema")?;
            kind = 2;
            true
        } else {
            false
        };
        if kind == 0 {
            return Err(PgError::syntax(
                "invalid publication object list",
                None,
            )
            .with_detail(
                "One of TABLE or TABLES IN SCHEMA must be specified before a standalone table or schema name.",
            ));
        }
        if kind == 1 {
            let only = t.eat_kw("only");
            let (schema, name) = if only && t.eat(&Token::LParen) {
                let q = t.qualified()?;
                t.expect(&Token::RParen)?;
                q
            } else {
                t.qualified()?
            };
            if t.eat(&Token::Mul) && only {
                return Err(t.error());
            }
            if explicit
                && schema.is_none()
                && t.t[t.i - 1]
                    .to_string()
                    .eq_ignore_ascii_case("current_schema")
            {
                return Err(syntax_error_at(t.t.get(t.i - 1)));
            }
            if schema.is_none()
                && name == "current_schema"
                && matches!(&t.t[t.i - 1], Token::Word(w) if w.quote_style.is_none())
            {
                return Err(PgError::syntax("invalid table name", None));
            }
            let columns = if t.peek() == Some(&Token::LParen) {
                t.i += 1;
                let mut cols = vec![t.ident()?];
                while t.eat(&Token::Comma) {
                    cols.push(t.ident()?);
                }
                t.expect(&Token::RParen)?;
                Some(cols)
            } else {
                None
            };
            let filter = if t.eat_kw("where") {
                if t.peek() != Some(&Token::LParen) {
                    return Err(t.error());
                }
                Some(t.parenthesized_text()?)
            } else {
                None
            };
            objects.tables.push(TableItem {
                only,
                schema,
                name,
                columns,
                filter,
            });
        } else if t.eat_kw("current_schema") {
            let path = relcache::search_path(session)?;
            let temp = crate::commands::temp::temp_schema_name(session);
            let temp = relcache::namespace_oid(session, &temp)?;
            let Some(&first) = path
                .iter()
                .find(|&&n| n != PG_CATALOG_NAMESPACE && Some(n) != temp)
            else {
                return Err(PgError::new(
                    SqlState::InvalidSchemaName,
                    "no schema has been selected for CURRENT_SCHEMA",
                ));
            };
            objects.schemas.push(super::namespace_name(session, first)?);
        } else {
            let name = t.ident()?;
            if t.peek() == Some(&Token::Period) {
                return Err(PgError::syntax("invalid schema name", None));
            }
            if t.peek() == Some(&Token::LParen) {
                return Err(t.error());
            }
            objects.schemas.push(name);
        }
        if kind == 2 && explicit && (t.peek_kw("where") || t.peek() == Some(&Token::LParen)) {
            return Err(t.error());
        }
        if kind == 2 && t.peek_kw("where") {
            return Err(PgError::syntax("WHERE clause not allowed for schema", None));
        }
        if kind == 2 && t.peek() == Some(&Token::LParen) {
            return Err(PgError::syntax(
                "column specification not allowed for schema",
                None,
            ));
        }
        if !t.eat(&Token::Comma) {
            break;
        }
    }
    Ok(objects)
}

/// A table to publish, checked (PostgreSQL's `check_publication_add_relation`).
struct CheckedTable {
    oid: u32,
    name: String,
    namespace: String,
    partitioned: bool,
    attnums: Option<Vec<i16>>,
    filter: Option<String>,
}

fn relkind_detail(kind: char) -> &'static str {
    match kind {
        'v' => "This operation is not supported for views.",
        'm' => "This operation is not supported for materialized views.",
        'S' => "This operation is not supported for sequences.",
        'f' => "This operation is not supported for foreign tables.",
        'i' | 'I' => "This operation is not supported for indexes.",
        'c' => "This operation is not supported for composite types.",
        _ => "This operation is not supported for this relation.",
    }
}

fn check_tables(session: &mut Session, items: &[TableItem]) -> PgResult<Vec<CheckedTable>> {
    let mut out: Vec<CheckedTable> = Vec::new();
    let mut seen: Vec<(u32, bool, bool)> = Vec::new();
    let mut rels = Vec::new();
    for item in items {
        let Some(rel) = relcache::lookup_relation(session, item.schema.as_deref(), &item.name)?
        else {
            return Err(PgError::new(
                SqlState::UndefinedTable,
                format!("relation \"{}\" does not exist", item.name),
            ));
        };
        if let Some(prev) = seen.iter().find(|s| s.0 == rel.oid) {
            if prev.1 || item.filter.is_some() {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!(
                        "conflicting or redundant WHERE clauses for table \"{}\"",
                        rel.name
                    ),
                ));
            }
            if prev.2 || item.columns.is_some() {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!(
                        "conflicting or redundant column lists for table \"{}\"",
                        rel.name
                    ),
                ));
            }
        }
        seen.push((rel.oid, item.filter.is_some(), item.columns.is_some()));
        rels.push(rel);
    }
    for (item, rel) in items.iter().zip(rels) {
        let cannot = |detail: &str| {
            PgError::new(
                SqlState::InvalidParameterValue,
                format!("cannot add relation \"{}\" to publication", rel.name),
            )
            .with_detail(detail.to_string())
        };
        if rel.kind != 'r' && rel.kind != 'p' {
            return Err(cannot(relkind_detail(rel.kind)));
        }
        if rel.namespace_oid == PG_CATALOG_NAMESPACE || rel.namespace == "information_schema" {
            return Err(cannot("This operation is not supported for system tables."));
        }
        if rel.persistence == 't' {
            return Err(cannot(
                "This operation is not supported for temporary tables.",
            ));
        }
        if rel.persistence == 'u' {
            return Err(cannot(
                "This operation is not supported for unlogged tables.",
            ));
        }
        let attnums = match &item.columns {
            None => None,
            Some(cols) => {
                let mut nums: Vec<i16> = Vec::new();
                for c in cols {
                    if ["ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"].contains(&c.as_str()) {
                        return Err(PgError::new(
                            SqlState::InvalidColumnReference,
                            format!("cannot use system column \"{c}\" in publication column list"),
                        ));
                    }
                    let Some(col) = rel.columns.iter().find(|x| !x.dropped && &x.name == c) else {
                        return Err(PgError::new(
                            SqlState::UndefinedColumn,
                            format!("column \"{c}\" of relation \"{}\" does not exist", rel.name),
                        ));
                    };
                    if nums.contains(&col.attnum) {
                        return Err(PgError::new(
                            SqlState::DuplicateObject,
                            format!("duplicate column \"{c}\" in publication column list"),
                        ));
                    }
                    nums.push(col.attnum);
                }
                nums.sort_unstable();
                Some(nums)
            }
        };
        if out.iter().any(|c| c.oid == rel.oid) {
            continue;
        }
        out.push(CheckedTable {
            oid: rel.oid,
            name: rel.name.clone(),
            namespace: rel.namespace.clone(),
            partitioned: rel.kind == 'p',
            attnums,
            filter: item.filter.clone(),
        });
        // Without ONLY, a table's inheritance children too.
        if !item.only && rel.kind == 'r' {
            let mut stack = rel.children.clone();
            while let Some(c) = stack.pop() {
                let Some(ch) = relcache::relation_by_oid(session, c)? else {
                    continue;
                };
                stack.extend(ch.children.iter().copied());
                if !out.iter().any(|o| o.oid == c) {
                    // The same columns (by name) and row filter.
                    let attnums = item.columns.as_ref().map(|cols| {
                        let mut nums: Vec<i16> = ch
                            .columns
                            .iter()
                            .filter(|x| !x.dropped && cols.contains(&x.name))
                            .map(|x| x.attnum)
                            .collect();
                        nums.sort_unstable();
                        nums
                    });
                    out.push(CheckedTable {
                        oid: c,
                        name: ch.name.clone(),
                        namespace: ch.namespace.clone(),
                        partitioned: false,
                        attnums,
                        filter: item.filter.clone(),
                    });
                }
            }
        }
    }
    Ok(out)
}

fn check_schemas(session: &mut Session, names: &[String]) -> PgResult<Vec<(u32, String)>> {
    let mut out: Vec<(u32, String)> = Vec::new();
    for n in names {
        let Some(oid) = relcache::namespace_oid(session, n)? else {
            return Err(PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{n}\" does not exist"),
            ));
        };
        if n == "pg_catalog" || n == "information_schema" || n == "pg_toast" {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("cannot add schema \"{n}\" to publication"),
            )
            .with_detail("This operation is not supported for system schemas."));
        }
        if n.starts_with("pg_temp") {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!("cannot add schema \"{n}\" to publication"),
            )
            .with_detail("Temporary schemas cannot be replicated."));
        }
        if !out.iter().any(|(o, _)| *o == oid) {
            out.push((oid, n.clone()));
        }
    }
    Ok(out)
}

/// Column lists and schemas do not mix, and a partitioned table takes
/// neither a WHERE clause nor a column list unless the publication
/// publishes via the partition root.
fn check_table_options(
    pubname: &str,
    tables: &[CheckedTable],
    has_schemas: bool,
    via_root: bool,
) -> PgResult<()> {
    for tb in tables {
        if tb.attnums.is_some() && has_schemas {
            return Err(PgError::new(
                SqlState::InvalidParameterValue,
                format!(
                    "cannot use column list for relation \"{}.{}\" in publication \"{pubname}\"",
                    tb.namespace, tb.name
                ),
            )
            .with_detail("Column lists cannot be specified in publications containing FOR TABLES IN SCHEMA elements."));
        }
        if tb.partitioned && !via_root {
            if tb.filter.is_some() {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("cannot use publication WHERE clause for relation \"{}\"", tb.name),
                )
                .with_detail("WHERE clause cannot be used for a partitioned table when publish_via_partition_root is false."));
            }
            if tb.attnums.is_some() {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!(
                        "cannot use column list for relation \"{}.{}\" in publication \"{pubname}\"",
                        tb.namespace, tb.name
                    ),
                )
                .with_detail("Column lists cannot be specified for partitioned tables when publish_via_partition_root is false."));
            }
        }
    }
    Ok(())
}

fn conflicting() -> PgError {
    PgError::syntax("conflicting or redundant options", None)
}

fn parse_bool(name: &str, v: Option<&str>) -> PgResult<bool> {
    match v.map(|s| s.to_lowercase()).as_deref() {
        None | Some("true" | "on" | "1" | "t" | "yes") => Ok(true),
        Some("false" | "off" | "0" | "f" | "no") => Ok(false),
        _ => Err(PgError::syntax(
            format!("{name} requires a Boolean value"),
            None,
        )),
    }
}

/// Applies `WITH (...)` options to `pubactions` / `via_root`.
fn publication_options(
    opts: &[(String, Option<String>)],
    actions: &mut [bool; 4],
    via_root: &mut bool,
) -> PgResult<()> {
    let (mut publish_given, mut root_given) = (false, false);
    for (name, value) in opts {
        match name.as_str() {
            "publish" => {
                if publish_given {
                    return Err(conflicting());
                }
                publish_given = true;
                *actions = [false; 4];
                let v = value.clone().unwrap_or_default();
                for item in v.split(',') {
                    let item = item.trim();
                    match item {
                        "insert" => actions[0] = true,
                        "update" => actions[1] = true,
                        "delete" => actions[2] = true,
                        "truncate" => actions[3] = true,
                        "" if v.trim().is_empty() => {}
                        _ => {
                            return Err(PgError::syntax(
                                format!(
                                    "unrecognized value for publication option \"publish\": \"{item}\""
                                ),
                                None,
                            ));
                        }
                    }
                }
            }
            "publish_via_partition_root" => {
                if root_given {
                    return Err(conflicting());
                }
                root_given = true;
                *via_root = parse_bool(name, value.as_deref())?;
            }
            _ => {
                return Err(PgError::syntax(
                    format!("unrecognized publication parameter: \"{name}\""),
                    None,
                ));
            }
        }
    }
    Ok(())
}

fn rel_datums(session: &mut Session, pubid: u32, t: &CheckedTable) -> PgResult<Vec<Datum>> {
    Ok(vec![
        Datum::Oid(session.storage.transam.new_oid()?),
        Datum::Oid(pubid),
        Datum::Oid(t.oid),
        t.filter.clone().map(Datum::Text).unwrap_or(Datum::Null),
        match &t.attnums {
            None => Datum::Null,
            Some(a) => Datum::Array(Box::new(ArrayValue::new(
                types::oid::INT2,
                a.iter().map(|&n| Datum::Int2(n)).collect(),
            ))),
        },
    ])
}

fn insert_rows(
    session: &mut Session,
    def: &'static catalog::system::CatalogDef,
    rows: Vec<Vec<Datum>>,
) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        for r in &rows {
            cw.insert_row(def, r, w)?;
        }
        Ok(())
    })
}

fn delete_rows(
    session: &mut Session,
    def: &'static catalog::system::CatalogDef,
    tids: Vec<ItemPointer>,
) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        for &tid in &tids {
            cw.delete_row(def, tid, w)?;
        }
        Ok(())
    })
}

fn replace_row(
    session: &mut Session,
    def: &'static catalog::system::CatalogDef,
    tid: ItemPointer,
    row: Vec<Datum>,
) -> PgResult<()> {
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.replace_row(def, tid, &row, w)
    })
}

fn wal_level_warning(session: &mut Session) {
    if session.settings.get_str("wal_level").as_deref() != Some("logical") {
        session.warn(
            "01000",
            "wal_level is insufficient to publish logical changes",
        );
    }
}

fn add_tables(session: &mut Session, pubid: u32, tables: &[CheckedTable]) -> PgResult<()> {
    let mut rows = Vec::new();
    for t in tables {
        rows.push(rel_datums(session, pubid, t)?);
    }
    insert_rows(session, &PG_PUBLICATION_REL_DEF, rows)
}

fn add_schemas(session: &mut Session, pubid: u32, schemas: &[(u32, String)]) -> PgResult<()> {
    let mut rows = Vec::new();
    for (oid, _) in schemas {
        rows.push(vec![
            Datum::Oid(session.storage.transam.new_oid()?),
            Datum::Oid(pubid),
            Datum::Oid(*oid),
        ]);
    }
    insert_rows(session, &PG_PUBLICATION_NAMESPACE_DEF, rows)
}

fn require_superuser(session: &Session, msg: &str) -> PgResult<()> {
    if session.is_superuser {
        Ok(())
    } else {
        Err(PgError::new(
            SqlState::InsufficientPrivilege,
            msg.to_string(),
        ))
    }
}

/// `CREATE PUBLICATION name [FOR ALL TABLES | FOR objects] [WITH (...)]`.
fn create_publication(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let name = t.ident()?;
    let mut all_tables = false;
    let mut objects = Objects {
        tables: Vec::new(),
        schemas: Vec::new(),
    };
    if t.eat_kw("for") {
        if t.eat_kw("all") {
            t.expect_kw("tables")?;
            all_tables = true;
        } else {
            objects = parse_objects(t, session)?;
        }
    }
    let mut actions = [true; 4];
    let mut via_root = false;
    if t.eat_kw("with") {
        let opts = t.options()?;
        publication_options(&opts, &mut actions, &mut via_root)?;
    }
    t.end()?;
    if all_tables {
        require_superuser(
            session,
            "must be superuser to create FOR ALL TABLES publication",
        )?;
    }
    if find_publication(session, &name)?.is_some() {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("publication \"{name}\" already exists"),
        ));
    }
    let tables = check_tables(session, &objects.tables)?;
    let schemas = check_schemas(session, &objects.schemas)?;
    if !schemas.is_empty() {
        require_superuser(
            session,
            "must be superuser to create FOR TABLES IN SCHEMA publication",
        )?;
    }
    check_table_options(&name, &tables, !schemas.is_empty(), via_root)?;
    let publication = Publication {
        tid: ItemPointer::default(),
        oid: session.storage.transam.new_oid()?,
        name,
        owner: session.user_oid,
        all_tables,
        actions,
        via_root,
    };
    insert_rows(session, &PG_PUBLICATION_DEF, vec![publication.datums()])?;
    add_tables(session, publication.oid, &tables)?;
    add_schemas(session, publication.oid, &schemas)?;
    wal_level_warning(session);
    Ok(Outcome::Command("CREATE PUBLICATION".into()))
}

fn owner_check(session: &mut Session, p: &Publication) -> PgResult<()> {
    if session.is_superuser || session.user_oid == p.owner {
        Ok(())
    } else {
        Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("must be owner of publication {}", p.name),
        ))
    }
}

/// `ALTER PUBLICATION name ADD | SET | DROP objects`, `SET (...)`,
/// `RENAME TO`, `OWNER TO`.
fn alter_publication(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let name = t.ident()?;
    let done = Ok(Outcome::Command("ALTER PUBLICATION".into()));
    let action = if t.eat_kw("add") {
        "add"
    } else if t.eat_kw("drop") {
        "drop"
    } else if t.eat_kw("set") {
        "set"
    } else if t.eat_kw("rename") {
        t.expect_kw("to")?;
        let to = t.ident()?;
        t.end()?;
        let mut p = find_publication(session, &name)?.ok_or_else(|| publication_missing(&name))?;
        owner_check(session, &p)?;
        if find_publication(session, &to)?.is_some() {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!("publication \"{to}\" already exists"),
            ));
        }
        p.name = to;
        replace_row(session, &PG_PUBLICATION_DEF, p.tid, p.datums())?;
        return done;
    } else if t.eat_kw("owner") {
        t.expect_kw("to")?;
        let role = t.ident()?;
        t.end()?;
        let mut p = find_publication(session, &name)?.ok_or_else(|| publication_missing(&name))?;
        owner_check(session, &p)?;
        let owner = match role.as_str() {
            "current_user" | "current_role" | "session_user" => session.user_oid,
            _ => match with_reader(session, |r| r.role(&role))? {
                Some((_, row)) => row.oid,
                None => {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!("role \"{role}\" does not exist"),
                    ));
                }
            },
        };
        p.owner = owner;
        replace_row(session, &PG_PUBLICATION_DEF, p.tid, p.datums())?;
        return done;
    } else {
        return Err(t.error());
    };
    if action == "set" && t.peek() == Some(&Token::LParen) {
        let opts = t.options()?;
        t.end()?;
        let mut p = find_publication(session, &name)?.ok_or_else(|| publication_missing(&name))?;
        owner_check(session, &p)?;
        publication_options(&opts, &mut p.actions, &mut p.via_root)?;
        // Only the options given change.
        let mut fresh =
            find_publication(session, &name)?.ok_or_else(|| publication_missing(&name))?;
        for (n, _) in &opts {
            match n.as_str() {
                "publish" => fresh.actions = p.actions,
                _ => fresh.via_root = p.via_root,
            }
        }
        if !fresh.via_root {
            for (_, r) in rows_with(session, &PG_PUBLICATION_REL_DEF, 1, fresh.oid)? {
                let Some(Datum::Oid(relid)) = r.get(2) else {
                    continue;
                };
                let Some(rel) = relcache::relation_by_oid(session, *relid)? else {
                    continue;
                };
                if rel.kind != 'p' {
                    continue;
                }
                let what = if !matches!(r.get(3), Some(Datum::Null) | None) {
                    "a WHERE clause"
                } else if !matches!(r.get(4), Some(Datum::Null) | None) {
                    "a column list"
                } else {
                    continue;
                };
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("cannot set parameter \"publish_via_partition_root\" to false for publication \"{name}\""),
                )
                .with_detail(format!("The publication contains {what} for partitioned table \"{}\", which is not allowed when \"publish_via_partition_root\" is false.", rel.name)));
            }
        }
        replace_row(session, &PG_PUBLICATION_DEF, fresh.tid, fresh.datums())?;
        return done;
    }
    let objects = parse_objects(t, session)?;
    t.end()?;
    let p = find_publication(session, &name)?.ok_or_else(|| publication_missing(&name))?;
    owner_check(session, &p)?;
    if p.all_tables {
        let detail = if objects.schemas.is_empty() {
            "Tables cannot be added to or dropped from FOR ALL TABLES publications."
        } else {
            "Schemas cannot be added to or dropped from FOR ALL TABLES publications."
        };
        return Err(PgError::new(
            SqlState::ObjectNotInPrerequisiteState,
            format!("publication \"{name}\" is defined as FOR ALL TABLES"),
        )
        .with_detail(detail));
    }
    if !objects.schemas.is_empty() {
        require_superuser(session, "must be superuser to add or set schemas")?;
    }
    let current_rels = rows_with(session, &PG_PUBLICATION_REL_DEF, 1, p.oid)?;
    let current_nsps = rows_with(session, &PG_PUBLICATION_NAMESPACE_DEF, 1, p.oid)?;
    let oid_at = |r: &[Datum], i: usize| match r.get(i) {
        Some(Datum::Oid(o)) => *o,
        _ => 0,
    };
    match action {
        "drop" => {
            if let Some(tb) = objects.tables.iter().find(|x| x.columns.is_some()) {
                let _ = tb;
                return Err(PgError::syntax(
                    "column list must not be specified in ALTER PUBLICATION ... DROP",
                    None,
                ));
            }
            let mut rel_tids = Vec::new();
            for item in &objects.tables {
                let Some(rel) =
                    relcache::lookup_relation(session, item.schema.as_deref(), &item.name)?
                else {
                    return Err(PgError::new(
                        SqlState::UndefinedTable,
                        format!("relation \"{}\" does not exist", item.name),
                    ));
                };
                let Some((tid, _)) = current_rels.iter().find(|(_, r)| oid_at(r, 2) == rel.oid)
                else {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!("relation \"{}\" is not part of the publication", rel.name),
                    ));
                };
                if item.filter.is_some() {
                    return Err(PgError::syntax(
                        "cannot use a WHERE clause when removing a table from a publication",
                        None,
                    ));
                }
                rel_tids.push(*tid);
            }
            let mut nsp_tids = Vec::new();
            for (oid, n) in check_schemas(session, &objects.schemas)? {
                let Some((tid, _)) = current_nsps.iter().find(|(_, r)| oid_at(r, 2) == oid) else {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!("tables from schema \"{n}\" are not part of the publication"),
                    ));
                };
                nsp_tids.push(*tid);
            }
            delete_rows(session, &PG_PUBLICATION_REL_DEF, rel_tids)?;
            delete_rows(session, &PG_PUBLICATION_NAMESPACE_DEF, nsp_tids)?;
        }
        "add" => {
            let tables = check_tables(session, &objects.tables)?;
            let schemas = check_schemas(session, &objects.schemas)?;
            check_table_options(
                &name,
                &tables,
                !schemas.is_empty() || !current_nsps.is_empty(),
                p.via_root,
            )?;
            for tb in &tables {
                if current_rels.iter().any(|(_, r)| oid_at(r, 2) == tb.oid) {
                    return Err(PgError::new(
                        SqlState::DuplicateObject,
                        format!(
                            "relation \"{}\" is already member of publication \"{name}\"",
                            tb.name
                        ),
                    ));
                }
            }
            for (oid, n) in &schemas {
                if current_nsps.iter().any(|(_, r)| oid_at(r, 2) == *oid) {
                    return Err(PgError::new(
                        SqlState::DuplicateObject,
                        format!("schema \"{n}\" is already member of publication \"{name}\""),
                    ));
                }
            }
            if !schemas.is_empty()
                && current_rels
                    .iter()
                    .any(|(_, r)| !matches!(r.get(4), Some(Datum::Null) | None))
            {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("cannot add schema to publication \"{name}\""),
                )
                .with_detail("Schemas cannot be added if any tables that specify a column list are already part of the publication."));
            }
            add_tables(session, p.oid, &tables)?;
            add_schemas(session, p.oid, &schemas)?;
        }
        _ => {
            let tables = check_tables(session, &objects.tables)?;
            let schemas = check_schemas(session, &objects.schemas)?;
            check_table_options(&name, &tables, !schemas.is_empty(), p.via_root)?;
            delete_rows(
                session,
                &PG_PUBLICATION_REL_DEF,
                current_rels.iter().map(|(t, _)| *t).collect(),
            )?;
            delete_rows(
                session,
                &PG_PUBLICATION_NAMESPACE_DEF,
                current_nsps.iter().map(|(t, _)| *t).collect(),
            )?;
            add_tables(session, p.oid, &tables)?;
            add_schemas(session, p.oid, &schemas)?;
        }
    }
    done
}

/// `DROP PUBLICATION [IF EXISTS] name, ... [CASCADE | RESTRICT]`.
fn drop_publication(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let if_exists = if t.eat_kw("if") {
        t.expect_kw("exists")?;
        true
    } else {
        false
    };
    let mut names = vec![t.ident()?];
    while t.eat(&Token::Comma) {
        names.push(t.ident()?);
    }
    let _ = t.eat_kw("cascade") || t.eat_kw("restrict");
    t.end()?;
    for name in names {
        let Some(p) = find_publication(session, &name)? else {
            if if_exists {
                session.notice(
                    "00000",
                    format!("publication \"{name}\" does not exist, skipping"),
                );
                continue;
            }
            return Err(publication_missing(&name));
        };
        owner_check(session, &p)?;
        let rels = rows_with(session, &PG_PUBLICATION_REL_DEF, 1, p.oid)?;
        let nsps = rows_with(session, &PG_PUBLICATION_NAMESPACE_DEF, 1, p.oid)?;
        delete_rows(
            session,
            &PG_PUBLICATION_REL_DEF,
            rels.into_iter().map(|r| r.0).collect(),
        )?;
        delete_rows(
            session,
            &PG_PUBLICATION_NAMESPACE_DEF,
            nsps.into_iter().map(|r| r.0).collect(),
        )?;
        delete_rows(session, &PG_PUBLICATION_DEF, vec![p.tid])?;
    }
    Ok(Outcome::Command("DROP PUBLICATION".into()))
}

// --- subscriptions ---

/// Column positions in `pg_subscription`.
const SUB_NAME: usize = 3;
const SUB_OWNER: usize = 4;
const SUB_ENABLED: usize = 5;
const SUB_CONNINFO: usize = 10;
const SUB_SLOT: usize = 11;
const SUB_PUBLICATIONS: usize = 13;

fn find_subscription(session: &Session, name: &str) -> PgResult<Option<(ItemPointer, Vec<Datum>)>> {
    let db = session.database_oid;
    let mut found = None;
    with_reader(session, |r| {
        r.scan(&PG_SUBSCRIPTION_DEF, |tid, row| {
            if row.get(1) == Some(&Datum::Oid(db))
                && matches!(row.get(SUB_NAME), Some(Datum::Text(n)) if n == name)
            {
                found = Some((tid, row));
                return Ok(false);
            }
            Ok(true)
        })
    })?;
    Ok(found)
}

fn subscription_missing(name: &str) -> PgError {
    PgError::new(
        SqlState::UndefinedObject,
        format!("subscription \"{name}\" does not exist"),
    )
}

fn text_array(items: &[String]) -> Datum {
    Datum::Array(Box::new(ArrayValue::new(
        types::oid::TEXT,
        items.iter().cloned().map(Datum::Text).collect(),
    )))
}

fn name_list(t: &mut Tokens) -> PgResult<Vec<String>> {
    let mut names = vec![t.ident()?];
    while t.eat(&Token::Comma) {
        names.push(t.ident()?);
    }
    Ok(names)
}

/// The subscription options CREATE and ALTER ... SET know, applied to
/// `row`; `create` allows the CREATE-only ones.
fn subscription_options(
    opts: &[(String, Option<String>)],
    row: &mut [Datum],
    create: bool,
) -> PgResult<(bool, bool)> {
    let mut seen: Vec<&str> = Vec::new();
    let (mut connect, mut slot_none) = (true, false);
    let (mut enabled_given, mut create_slot_given, mut copy_given) = (None, None, None);
    for (name, value) in opts {
        if seen.contains(&name.as_str()) {
            return Err(conflicting());
        }
        seen.push(name);
        let v = value.as_deref();
        match name.as_str() {
            "connect" if create => connect = parse_bool(name, v)?,
            "enabled" if create => {
                let b = parse_bool(name, v)?;
                enabled_given = Some(b);
                row[SUB_ENABLED] = Datum::Bool(b);
            }
            "create_slot" if create => create_slot_given = Some(parse_bool(name, v)?),
            "copy_data" if create => copy_given = Some(parse_bool(name, v)?),
            "slot_name" => {
                let s = v.unwrap_or_default();
                if s.eq_ignore_ascii_case("none") {
                    slot_none = true;
                    row[SUB_SLOT] = Datum::Null;
                } else if s.is_empty() {
                    return Err(PgError::new(
                        SqlState::InvalidName,
                        "replication slot name \"\" is too short",
                    ));
                } else {
                    row[SUB_SLOT] = Datum::Text(s.to_string());
                }
            }
            "binary" => row[6] = Datum::Bool(parse_bool(name, v)?),
            "streaming" => row[7] = Datum::Bool(parse_bool(name, v)?),
            "two_phase" if create => {
                row[8] = Datum::Text(if parse_bool(name, v)? { "p" } else { "d" }.into())
            }
            "disable_on_error" => row[9] = Datum::Bool(parse_bool(name, v)?),
            "synchronous_commit" => {
                let value = v.unwrap_or_default();
                let known = [
                    "local",
                    "remote_write",
                    "remote_apply",
                    "on",
                    "off",
                    "true",
                    "false",
                    "yes",
                    "no",
                    "1",
                    "0",
                ];
                if !known.contains(&value.to_lowercase().as_str()) {
                    return Err(PgError::new(
                        SqlState::InvalidParameterValue,
                        format!("invalid value for parameter \"synchronous_commit\": \"{value}\""),
                    )
                    .with_hint("Available values: local, remote_write, remote_apply, on, off."));
                }
                row[12] = Datum::Text(value.to_string());
            }
            "origin" | "lsn" => {
                return Err(PgError::feature_not_supported(format!(
                    "subscription option \"{name}\""
                )));
            }
            _ => {
                return Err(PgError::syntax(
                    format!("unrecognized subscription parameter: \"{name}\""),
                    None,
                ));
            }
        }
    }
    if create && !connect {
        let mutually = |a: &str| {
            PgError::syntax(
                format!(
                    "{} and {a} are mutually exclusive options",
                    "connect = false"
                ),
                None,
            )
        };
        if enabled_given == Some(true) {
            return Err(mutually("enabled = true"));
        }
        if create_slot_given == Some(true) {
            return Err(mutually("create_slot = true"));
        }
        if copy_given == Some(true) {
            return Err(mutually("copy_data = true"));
        }
        row[SUB_ENABLED] = Datum::Bool(false);
    }
    // After connect = false, enabled and create_slot default to false.
    let enabled = enabled_given.unwrap_or(connect);
    let create_slot = create_slot_given.unwrap_or(connect);
    if slot_none && create {
        if enabled {
            return Err(PgError::syntax(
                match enabled_given {
                    Some(true) => {
                        "slot_name = NONE and enabled = true are mutually exclusive options"
                    }
                    _ => "subscription with slot_name = NONE must also set enabled = false",
                },
                None,
            ));
        }
        if create_slot {
            return Err(PgError::syntax(
                match create_slot_given {
                    Some(true) => {
                        "slot_name = NONE and create_slot = true are mutually exclusive options"
                    }
                    _ => "subscription with slot_name = NONE must also set create_slot = false",
                },
                None,
            ));
        }
    }
    Ok((connect, create && create_slot))
}

/// `CREATE SUBSCRIPTION name CONNECTION 'conninfo' PUBLICATION p, ...
/// [WITH (...)]`: only with `connect = false`.
fn create_subscription(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let name = t.ident()?;
    t.expect_kw("connection")?;
    let conninfo = t.string()?;
    t.expect_kw("publication")?;
    let publications = name_list(t)?;
    let opts = if t.eat_kw("with") {
        t.options()?
    } else {
        Vec::new()
    };
    t.end()?;
    require_superuser(session, "must be superuser to create subscriptions")?;
    let mut row = vec![
        Datum::Oid(0),
        Datum::Oid(session.database_oid),
        Datum::PgLsn(0),
        Datum::Text(name.clone()),
        Datum::Oid(session.user_oid),
        Datum::Bool(true),
        Datum::Bool(false),
        Datum::Bool(false),
        Datum::Text("d".into()),
        Datum::Bool(false),
        Datum::Text(conninfo.clone()),
        Datum::Text(name.clone()),
        Datum::Text("off".into()),
        text_array(&publications),
    ];
    let (connect, create_slot) = subscription_options(&opts, &mut row, true)?;
    if create_slot {
        super::prevent_in_transaction_block(
            session,
            "CREATE SUBSCRIPTION ... WITH (create_slot = true)",
        )?;
    }
    check_duplicate_publications(&publications)?;
    if find_subscription(session, &name)?.is_some() {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("subscription \"{name}\" already exists"),
        ));
    }
    check_conninfo(&conninfo)?;
    if connect {
        return Err(PgError::feature_not_supported(
            "subscriptions that connect to a publisher (use WITH (connect = false))",
        ));
    }
    row[0] = Datum::Oid(session.storage.transam.new_oid()?);
    insert_rows(session, &PG_SUBSCRIPTION_DEF, vec![row])?;
    session.warn(
        "01000",
        "tables were not subscribed, you will have to run ALTER SUBSCRIPTION ... REFRESH PUBLICATION to subscribe the tables",
    );
    Ok(Outcome::Command("CREATE SUBSCRIPTION".into()))
}

/// 42710 if a publication is named twice.
fn check_duplicate_publications(names: &[String]) -> PgResult<()> {
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!("publication name \"{n}\" used more than once"),
            ));
        }
    }
    Ok(())
}

/// The conninfo must be a list of `keyword=value` (libpq's parse).
fn check_conninfo(conninfo: &str) -> PgResult<()> {
    for word in conninfo.split_whitespace() {
        if !word.contains('=') {
            return Err(PgError::syntax(
                format!(
                    "invalid connection string syntax: missing \"=\" after \"{word}\" in connection info string\n"
                ),
                None,
            ));
        }
    }
    Ok(())
}

fn sub_owner_check(session: &Session, name: &str, row: &[Datum]) -> PgResult<()> {
    if session.is_superuser || row.get(SUB_OWNER) == Some(&Datum::Oid(session.user_oid)) {
        Ok(())
    } else {
        Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("must be owner of subscription {name}"),
        ))
    }
}

/// `ALTER SUBSCRIPTION name CONNECTION | SET PUBLICATION | SET (...) |
/// ENABLE | DISABLE | RENAME TO | OWNER TO | REFRESH PUBLICATION`.
fn alter_subscription(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let name = t.ident()?;
    let (tid, mut row) =
        find_subscription(session, &name)?.ok_or_else(|| subscription_missing(&name))?;
    sub_owner_check(session, &name, &row)?;
    if t.eat_kw("connection") {
        let c = t.string()?;
        t.end()?;
        check_conninfo(&c)?;
        row[SUB_CONNINFO] = Datum::Text(c);
    } else if t.eat_kw("enable") {
        t.end()?;
        if matches!(row[SUB_SLOT], Datum::Null) {
            return Err(PgError::new(
                SqlState::SyntaxError,
                "cannot enable subscription that does not have a slot name",
            ));
        }
        row[SUB_ENABLED] = Datum::Bool(true);
    } else if t.eat_kw("disable") {
        t.end()?;
        row[SUB_ENABLED] = Datum::Bool(false);
    } else if t.eat_kw("rename") {
        t.expect_kw("to")?;
        let to = t.ident()?;
        t.end()?;
        if find_subscription(session, &to)?.is_some() {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!("subscription \"{to}\" already exists"),
            ));
        }
        row[SUB_NAME] = Datum::Text(to);
    } else if t.eat_kw("owner") {
        t.expect_kw("to")?;
        let role = t.ident()?;
        t.end()?;
        let Some((_, r)) = with_reader(session, |r| r.role(&role))? else {
            return Err(PgError::new(
                SqlState::UndefinedObject,
                format!("role \"{role}\" does not exist"),
            ));
        };
        if !r.superuser {
            return Err(PgError::new(
                SqlState::InsufficientPrivilege,
                format!("permission denied to change owner of subscription \"{name}\""),
            )
            .with_hint("The owner of a subscription must be a superuser."));
        }
        row[SUB_OWNER] = Datum::Oid(r.oid);
    } else if t.eat_kw("skip") {
        let opts = t.options()?;
        t.end()?;
        require_superuser(session, "must be superuser to skip transaction")?;
        for (n, v) in &opts {
            if n != "lsn" {
                return Err(PgError::syntax(
                    format!("unrecognized subscription parameter: \"{n}\""),
                    None,
                ));
            }
            let v = v.clone().unwrap_or_default();
            let lsn = if v.eq_ignore_ascii_case("none") {
                0
            } else {
                let parsed = v.split_once('/').and_then(|(hi, lo)| {
                    Some(
                        (u64::from_str_radix(hi, 16).ok()? << 32)
                            | u64::from_str_radix(lo, 16).ok()?,
                    )
                });
                match parsed {
                    Some(0) => {
                        return Err(PgError::new(
                            SqlState::InvalidParameterValue,
                            format!("invalid WAL location (LSN): {v}"),
                        ));
                    }
                    Some(l) => l,
                    None => {
                        return Err(PgError::new(
                            SqlState::InvalidTextRepresentation,
                            format!("invalid input syntax for type pg_lsn: \"{v}\""),
                        ));
                    }
                }
            };
            row[2] = Datum::PgLsn(lsn);
        }
    } else if t.eat_kw("refresh") {
        t.expect_kw("publication")?;
        if row[SUB_ENABLED] != Datum::Bool(true) {
            return Err(PgError::new(
                SqlState::SyntaxError,
                "ALTER SUBSCRIPTION ... REFRESH is not allowed for disabled subscriptions",
            ));
        }
        super::prevent_in_transaction_block(session, "ALTER SUBSCRIPTION ... REFRESH")?;
        return Err(PgError::feature_not_supported(
            "ALTER SUBSCRIPTION ... REFRESH PUBLICATION",
        ));
    } else if t.eat_kw("set") || t.peek_kw("add") || t.peek_kw("drop") {
        let verb = if t.eat_kw("add") {
            "add"
        } else if t.eat_kw("drop") {
            "drop"
        } else {
            "set"
        };
        if verb == "set" && t.peek() == Some(&Token::LParen) {
            let opts = t.options()?;
            t.end()?;
            subscription_options(&opts, &mut row, false)?;
            if matches!(row[SUB_SLOT], Datum::Null) && row[SUB_ENABLED] == Datum::Bool(true) {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "cannot set slot_name = NONE for enabled subscription",
                ));
            }
        } else {
            t.expect_kw("publication")?;
            let names = name_list(t)?;
            let opts = if t.eat_kw("with") {
                t.options()?
            } else {
                Vec::new()
            };
            t.end()?;
            let mut refresh = true;
            for (n, v) in &opts {
                match n.as_str() {
                    "refresh" => refresh = parse_bool(n, v.as_deref())?,
                    "copy_data" => {
                        parse_bool(n, v.as_deref())?;
                    }
                    _ => {
                        return Err(PgError::syntax(
                            format!("unrecognized subscription parameter: \"{n}\""),
                            None,
                        ));
                    }
                }
            }
            let mut current: Vec<String> = match &row[SUB_PUBLICATIONS] {
                Datum::Array(a) => a
                    .elems
                    .iter()
                    .filter_map(|d| match d {
                        Datum::Text(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            check_duplicate_publications(&names)?;
            match verb {
                "set" => current = names.clone(),
                "add" => {
                    for n in &names {
                        if current.contains(n) {
                            return Err(PgError::new(
                                SqlState::DuplicateObject,
                                format!(
                                    "publication \"{n}\" is already in subscription \"{name}\""
                                ),
                            ));
                        }
                        current.push(n.clone());
                    }
                }
                _ => {
                    for n in &names {
                        let Some(i) = current.iter().position(|c| c == n) else {
                            return Err(PgError::new(
                                SqlState::UndefinedObject,
                                format!("publication \"{n}\" is not in subscription \"{name}\""),
                            ));
                        };
                        current.remove(i);
                    }
                    if current.is_empty() {
                        return Err(PgError::new(
                            SqlState::InvalidParameterValue,
                            "cannot drop all the publications from a subscription",
                        ));
                    }
                }
            }
            if refresh && row[SUB_ENABLED] != Datum::Bool(true) {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "ALTER SUBSCRIPTION with refresh is not allowed for disabled subscriptions",
                )
                .with_hint(
                    "Use ALTER SUBSCRIPTION ... SET PUBLICATION ... WITH (refresh = false).",
                ));
            }
            if refresh {
                super::prevent_in_transaction_block(session, "ALTER SUBSCRIPTION with refresh")?;
                return Err(PgError::feature_not_supported(
                    "ALTER SUBSCRIPTION with refresh",
                ));
            }
            row[SUB_PUBLICATIONS] = text_array(&current);
        }
    } else {
        return Err(t.error());
    }
    replace_row(session, &PG_SUBSCRIPTION_DEF, tid, row)?;
    Ok(Outcome::Command("ALTER SUBSCRIPTION".into()))
}

/// `DROP SUBSCRIPTION [IF EXISTS] name [CASCADE | RESTRICT]`.
fn drop_subscription(session: &mut Session, t: &mut Tokens) -> PgResult<Outcome> {
    let if_exists = if t.eat_kw("if") {
        t.expect_kw("exists")?;
        true
    } else {
        false
    };
    let name = t.ident()?;
    let _ = t.eat_kw("cascade") || t.eat_kw("restrict");
    t.end()?;
    let Some((tid, row)) = find_subscription(session, &name)? else {
        if if_exists {
            session.notice(
                "00000",
                format!("subscription \"{name}\" does not exist, skipping"),
            );
            return Ok(Outcome::Command("DROP SUBSCRIPTION".into()));
        }
        return Err(subscription_missing(&name));
    };
    sub_owner_check(session, &name, &row)?;
    if !matches!(row[SUB_SLOT], Datum::Null) {
        super::prevent_in_transaction_block(session, "DROP SUBSCRIPTION")?;
        return Err(PgError::feature_not_supported(
            "dropping a subscription with a replication slot (ALTER SUBSCRIPTION ... SET (slot_name = NONE) first)",
        ));
    }
    delete_rows(session, &PG_SUBSCRIPTION_DEF, vec![tid])?;
    Ok(Outcome::Command("DROP SUBSCRIPTION".into()))
}

/// `pg_relation_is_publishable(oid)` (PostgreSQL's `is_publishable_class`):
/// a permanent table or partitioned table outside the system schemas,
/// `"t"` or `"f"`; None if there is no such relation.
pub fn publishable(session: &mut Session, oid: u32) -> PgResult<Option<String>> {
    let Some(rel) = relcache::relation_by_oid(session, oid)? else {
        return Ok(None);
    };
    let yes = matches!(rel.kind, 'r' | 'p')
        && rel.persistence == 'p'
        && rel.namespace_oid != PG_CATALOG_NAMESPACE
        && rel.namespace != "information_schema"
        && rel.oid >= 16384;
    Ok(Some(if yes { "t" } else { "f" }.into()))
}

/// The rows of the `pg_publication_tables` view: each publication's
/// tables (all publishable ones for FOR ALL TABLES, those of its schemas,
/// and those listed; a partitioned table's partitions unless
/// `publish_via_partition_root`), with the published columns and the row
/// filter.
pub fn publication_tables(
    session: &mut Session,
) -> PgResult<std::collections::VecDeque<Vec<Datum>>> {
    let mut pubs = Vec::new();
    with_reader(session, |r| {
        r.scan(&PG_PUBLICATION_DEF, |tid, row| {
            pubs.push(Publication::from_datums(tid, &row));
            Ok(true)
        })
    })?;
    pubs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut all: Vec<u32> = Vec::new();
    with_reader(session, |r| {
        r.scan(&catalog::system::PG_CLASS_DEF, |_, row| {
            let class = catalog::heap_catalog::class_from_datums(&row);
            if matches!(class.kind, 'r' | 'p') {
                all.push(class.oid);
            }
            Ok(true)
        })
    })?;
    let mut out = std::collections::VecDeque::new();
    for p in &pubs {
        // (relid, attnums, filter)
        let mut members: Vec<(u32, Option<Vec<i16>>, Option<String>)> = Vec::new();
        let nsps: Vec<u32> = rows_with(session, &PG_PUBLICATION_NAMESPACE_DEF, 1, p.oid)?
            .iter()
            .filter_map(|(_, r)| match r.get(2) {
                Some(Datum::Oid(o)) => Some(*o),
                _ => None,
            })
            .collect();
        for &oid in &all {
            let Some(rel) = relcache::relation_by_oid(session, oid)? else {
                continue;
            };
            if p.all_tables || nsps.contains(&rel.namespace_oid) {
                members.push((oid, None, None));
            }
        }
        for (_, r) in rows_with(session, &PG_PUBLICATION_REL_DEF, 1, p.oid)? {
            let Some(Datum::Oid(relid)) = r.get(2) else {
                continue;
            };
            let filter = match r.get(3) {
                Some(Datum::Text(t)) => Some(t.clone()),
                _ => None,
            };
            let attnums = match r.get(4) {
                Some(Datum::Array(a)) => Some(
                    a.elems
                        .iter()
                        .filter_map(|d| match d {
                            Datum::Int2(n) => Some(*n),
                            _ => None,
                        })
                        .collect(),
                ),
                _ => None,
            };
            members.retain(|m| m.0 != *relid);
            members.push((*relid, attnums, filter));
        }
        let mut rows = Vec::new();
        for (relid, attnums, filter) in members {
            let Some(rel) = relcache::relation_by_oid(session, relid)? else {
                continue;
            };
            if publishable(session, relid)?.as_deref() != Some("t") {
                continue;
            }
            // Without publish_via_partition_root a partitioned table is
            // published as its partitions; with it, a partition of a
            // published table is published as its root.
            let targets: Vec<u32> = if rel.kind == 'p' && !p.via_root {
                let mut leaves = Vec::new();
                let mut stack = rel.children.clone();
                while let Some(c) = stack.pop() {
                    if let Some(ch) = relcache::relation_by_oid(session, c)? {
                        if ch.kind == 'p' {
                            stack.extend(ch.children.iter().copied());
                        } else {
                            leaves.push(c);
                        }
                    }
                }
                leaves
            } else if rel.partition_parent != 0 && (p.via_root || p.all_tables) {
                if p.all_tables && !p.via_root {
                    vec![relid]
                } else {
                    continue;
                }
            } else if rel.kind == 'p' && p.all_tables && !p.via_root {
                continue;
            } else {
                vec![relid]
            };
            for t in targets {
                let Some(trel) = relcache::relation_by_oid(session, t)? else {
                    continue;
                };
                let names: Vec<Datum> = trel
                    .columns
                    .iter()
                    .filter(|c| !c.dropped && c.attnum > 0)
                    .filter(|c| attnums.as_ref().is_none_or(|a| a.contains(&c.attnum)))
                    .map(|c| Datum::Text(c.name.clone()))
                    .collect();
                let rowfilter = match &filter {
                    Some(f) => crate::describe::catalog_text(
                        session,
                        executor::CatalogText::Expr {
                            text: f,
                            relid,
                            pretty: false,
                        },
                    )?
                    .map(Datum::Text)
                    .unwrap_or(Datum::Null),
                    None => Datum::Null,
                };
                rows.push(vec![
                    Datum::Text(p.name.clone()),
                    Datum::Text(trel.namespace.clone()),
                    Datum::Text(trel.name.clone()),
                    Datum::Array(Box::new(ArrayValue::new(types::oid::NAME, names))),
                    rowfilter,
                ]);
            }
        }
        out.extend(rows);
    }
    Ok(out)
}
