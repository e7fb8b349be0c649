//! COMMENT ON (PostgreSQL's `commands/comment.c` and the lookups of
//! `catalog/objectaddress.c` it uses).
//!
//! A comment is a `pg_description` row (objoid, classoid, objsubid,
//! description), or for a database or role a row of the shared
//! `pg_shdescription`; `IS NULL` or `IS ''` removes it. The object's own
//! DROP removes its comments (`CatalogReader::description_rows`, gathered
//! with the object's other rows). `obj_description`, `col_description` and
//! `shobj_description` read them ([`description`]).
//!
//! sqlparser reads only a few of the object kinds (no signatures, no
//! `CONSTRAINT ... ON`), so the pre-parser keeps the statement as text
//! (`syntax::TextStatement::Comment`) and it is read here; a function's
//! signature is handed to sqlparser as the one of a DROP FUNCTION.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use catalog::heap_catalog::CatalogWriter;
use catalog::system::{
    PG_AUTHID, PG_CLASS, PG_CONSTRAINT, PG_DATABASE, PG_DESCRIPTION_DEF, PG_NAMESPACE, PG_PROC,
    PG_SHDESCRIPTION_DEF, PG_TRIGGER, PG_TYPE,
};
use types::datum::Datum;
use types::{PgError, PgResult, SqlState};

use crate::acl::{RoleGraph, must_be_owner};
use crate::relcache::{self, with_reader};
use crate::session::Session;
use crate::utility::Outcome;

fn syntax_error_at(t: Option<&Token>) -> PgError {
    match t {
        Some(t) => PgError::syntax(format!("syntax error at or near \"{t}\""), None),
        None => PgError::syntax("syntax error at end of input", None),
    }
}

fn word_is(t: Option<&Token>, w: &str) -> bool {
    matches!(t, Some(Token::Word(x)) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
}

/// The dotted name made of `tokens` (identifiers separated by periods),
/// unquoted parts folded.
fn name_parts(tokens: &[Token]) -> PgResult<Vec<String>> {
    let mut parts = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match (i % 2, t) {
            (0, Token::Word(w)) => parts.push(match w.quote_style {
                Some(_) => w.value.clone(),
                None => w.value.to_lowercase(),
            }),
            (1, Token::Period) => {}
            _ => return Err(syntax_error_at(Some(t))),
        }
    }
    if parts.is_empty() || tokens.len().is_multiple_of(2) {
        return Err(syntax_error_at(tokens.last()));
    }
    Ok(parts)
}

/// `[schema.]name` of at most two parts.
fn qualified(parts: &[String]) -> PgResult<(Option<&str>, &str)> {
    match parts {
        [n] => Ok((None, n)),
        [s, n] => Ok((Some(s), n)),
        [_, _, _] => Err(PgError::feature_not_supported(format!(
            "cross-database references are not implemented: \"{}\"",
            parts.join(".")
        ))),
        _ => Err(PgError::syntax(
            format!(
                "improper qualified name (too many dotted names): {}",
                parts.join(".")
            ),
            None,
        )),
    }
}

/// What a COMMENT ON names: the catalog, the object and the column (0).
struct Target {
    classoid: u32,
    objoid: u32,
    subid: i32,
}

/// Runs `COMMENT ON kind name IS 'text' | NULL`.
pub(crate) fn comment_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "COMMENT")?;
    let tokens: Vec<Token> = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .map_err(|e| PgError::syntax(e.to_string(), None))?
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF | Token::SemiColon))
        .collect();
    // COMMENT ON <kind> <object> IS <string | NULL>
    if !word_is(tokens.get(1), "on") {
        return Err(syntax_error_at(tokens.get(1)));
    }
    let Some(is_at) = tokens.iter().rposition(|t| word_is(Some(t), "is")) else {
        return Err(syntax_error_at(None));
    };
    let comment = match &tokens[is_at + 1..] {
        [Token::SingleQuotedString(s)]
        | [Token::EscapedStringLiteral(s)]
        | [Token::DollarQuotedString(sqlparser::ast::DollarQuotedString { value: s, .. })] => {
            Some(s.clone())
        }
        [t] if word_is(Some(t), "null") => None,
        [_, t, ..] => return Err(syntax_error_at(Some(t))),
        [t] => return Err(syntax_error_at(Some(t))),
        [] => return Err(syntax_error_at(None)),
    };
    let mut i = 2;
    let mut kind = String::new();
    for w in ["materialized", "foreign", "text"] {
        if word_is(tokens.get(i), w) {
            kind.push_str(w);
            kind.push(' ');
            i += 1;
        }
    }
    match tokens.get(i) {
        Some(Token::Word(w)) if w.quote_style.is_none() => kind.push_str(&w.value.to_lowercase()),
        t => return Err(syntax_error_at(t)),
    }
    i += 1;
    let object = &tokens[i.min(is_at)..is_at];
    let Some(target) = resolve(session, &kind, object)? else {
        return Ok(Outcome::Command("COMMENT".into()));
    };
    set_comment(session, &target, comment.filter(|c| !c.is_empty()))?;
    Ok(Outcome::Command("COMMENT".into()))
}

/// Replaces (or with None removes) the comment of `target`.
fn set_comment(session: &mut Session, target: &Target, comment: Option<String>) -> PgResult<()> {
    let shared = matches!(target.classoid, PG_DATABASE | PG_AUTHID);
    let old = with_reader(session, |r| {
        r.description_rows(target.classoid, target.objoid, Some(target.subid))
    })?;
    crate::xact::ensure_xid(session)?;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let writer = CatalogWriter { env, db_oid: db };
        writer.delete_rows(&old, w)?;
        if let Some(text) = comment {
            let (def, row) = match shared {
                true => (
                    &PG_SHDESCRIPTION_DEF,
                    vec![
                        Datum::Oid(target.objoid),
                        Datum::Oid(target.classoid),
                        Datum::Text(text),
                    ],
                ),
                false => (
                    &PG_DESCRIPTION_DEF,
                    vec![
                        Datum::Oid(target.objoid),
                        Datum::Oid(target.classoid),
                        Datum::Int4(target.subid),
                        Datum::Text(text),
                    ],
                ),
            };
            writer.insert_row(def, &row, w)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn wrong_kind(name: &str, what: &str) -> PgError {
    PgError::new(
        SqlState::WrongObjectType,
        format!("\"{name}\" is not {what}"),
    )
}

fn require_owner(session: &Session, owner: u32, what: &str, name: &str) -> PgResult<()> {
    if session.is_superuser {
        return Ok(());
    }
    let graph = RoleGraph::load(session)?;
    if graph.has_privs_of(session.user_oid, owner) {
        return Ok(());
    }
    Err(must_be_owner(what, name))
}

/// The relation `parts` names (42P01 if none).
fn relation(
    session: &mut Session,
    parts: &[String],
) -> PgResult<std::sync::Arc<catalog::heap_catalog::RelationInfo>> {
    let (schema, name) = qualified(parts)?;
    relcache::lookup_relation(session, schema, name)?.ok_or_else(|| {
        PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{}\" does not exist", parts.join(".")),
        )
    })
}

/// The object `kind object` names, its ownership checked; None when it is
/// missing and PostgreSQL only warns (a database).
fn resolve(session: &mut Session, kind: &str, object: &[Token]) -> PgResult<Option<Target>> {
    let rel_kinds: Option<(&[char], &str)> = match kind {
        "table" => Some((&['r', 'p'], "a table")),
        "view" => Some((&['v'], "a view")),
        "materialized view" => Some((&['m'], "a materialized view")),
        "index" => Some((&['i', 'I'], "an index")),
        "sequence" => Some((&['S'], "a sequence")),
        "foreign table" => Some((&['f'], "a foreign table")),
        _ => None,
    };
    if let Some((kinds, what)) = rel_kinds {
        let parts = name_parts(object)?;
        let rel = relation(session, &parts)?;
        if !kinds.contains(&rel.kind) {
            return Err(wrong_kind(&rel.name, what));
        }
        crate::acl::require_relation_owner(session, rel.oid)?;
        return Ok(Some(Target {
            classoid: PG_CLASS,
            objoid: rel.oid,
            subid: 0,
        }));
    }
    match kind {
        "foreign data" | "server" => {
            let (server, object) = match (kind, object) {
                ("server", o) => (true, o),
                (_, [w, rest @ ..]) if word_is(Some(w), "wrapper") => (false, rest),
                (_, o) => return Err(syntax_error_at(o.first())),
            };
            let name = single_name(object)?;
            let (oid, owner, _) = super::foreigncmds::acl_target(session, server, &name)?;
            let what = if server {
                "foreign server"
            } else {
                "foreign-data wrapper"
            };
            require_owner(session, owner, what, &name)?;
            Ok(Some(Target {
                classoid: if server {
                    super::foreigncmds::PG_FOREIGN_SERVER
                } else {
                    super::foreigncmds::PG_FOREIGN_DATA_WRAPPER
                },
                objoid: oid,
                subid: 0,
            }))
        }
        "column" => {
            let parts = name_parts(object)?;
            let Some((column, rel_parts)) = parts.split_last() else {
                return Err(syntax_error_at(None));
            };
            if rel_parts.is_empty() {
                return Err(PgError::syntax("column name must be qualified", None));
            }
            let rel = relation(session, rel_parts)?;
            let Some(col) = rel.columns.iter().find(|c| !c.dropped && &c.name == column) else {
                return Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!(
                        "column \"{column}\" of relation \"{}\" does not exist",
                        rel.name
                    ),
                ));
            };
            if !session.is_superuser {
                let owner =
                    with_reader(session, |r| r.class_by_oid(rel.oid))?.map_or(0, |(_, c)| c.owner);
                require_owner(session, owner, "relation", &rel.name)?;
            }
            Ok(Some(Target {
                classoid: PG_CLASS,
                objoid: rel.oid,
                subid: i32::from(col.attnum),
            }))
        }
        "operator"
            if object
                .first()
                .is_some_and(|t| word_is(Some(t), "class") || word_is(Some(t), "family")) =>
        {
            Err(PgError::feature_not_supported(
                "COMMENT ON OPERATOR CLASS / FAMILY is not supported",
            ))
        }
        "operator" => {
            // The operator's name is one run of operator characters.
            let mut text = String::new();
            let is_op = |t: &Token| {
                let s = t.to_string();
                !s.is_empty() && s.chars().all(|c| "+-*/<>=~!@#%^&|`?".contains(c))
            };
            for (k, t) in object.iter().enumerate() {
                if k > 0 && !(is_op(t) && is_op(&object[k - 1])) {
                    text.push(' ');
                }
                text.push_str(&t.to_string());
            }
            let oid = super::operatorcmds::comment_target(session, &text)?;
            Ok(Some(Target {
                classoid: catalog::empty::PG_OPERATOR,
                objoid: oid,
                subid: 0,
            }))
        }
        "schema" => {
            let name = single_name(object)?;
            let Some(oid) = relcache::namespace_oid(session, &name)? else {
                return Err(PgError::new(
                    SqlState::InvalidSchemaName,
                    format!("schema \"{name}\" does not exist"),
                ));
            };
            let owner =
                with_reader(session, |r| r.namespace_full(oid))?.map_or(0, |(_, n)| n.owner);
            require_owner(session, owner, "schema", &name)?;
            Ok(Some(Target {
                classoid: PG_NAMESPACE,
                objoid: oid,
                subid: 0,
            }))
        }
        "statistics" => {
            let parts = name_parts(object)?;
            let objoid = super::statistics::comment_target(session, &parts)?;
            Ok(Some(Target {
                classoid: catalog::system::PG_STATISTIC_EXT,
                objoid,
                subid: 0,
            }))
        }
        "database" => {
            let name = single_name(object)?;
            let Some((_, db)) = with_reader(session, |r| r.database(&name))? else {
                session.notices.push((
                    "WARNING",
                    "3D000",
                    format!("database \"{name}\" does not exist"),
                    None,
                ));
                return Ok(None);
            };
            require_owner(session, db.owner, "database", &name)?;
            Ok(Some(Target {
                classoid: PG_DATABASE,
                objoid: db.oid,
                subid: 0,
            }))
        }
        "role" => {
            let name = single_name(object)?;
            let graph = RoleGraph::load(session)?;
            let role = graph.require(&name)?.clone();
            if !session.is_superuser {
                let me = graph.by_oid(session.user_oid);
                if role.superuser {
                    return Err(PgError::new(
                        SqlState::InsufficientPrivilege,
                        "must be superuser",
                    ));
                }
                if !me.is_some_and(|m| m.create_role) {
                    return Err(PgError::new(
                        SqlState::InsufficientPrivilege,
                        "must have CREATEROLE privilege",
                    ));
                }
            }
            Ok(Some(Target {
                classoid: PG_AUTHID,
                objoid: role.oid,
                subid: 0,
            }))
        }
        "function" | "procedure" | "routine" | "aggregate" => {
            let row = routine(session, kind, object)?;
            require_owner(session, row.owner, kind_word(kind, &row), &row.name)?;
            Ok(Some(Target {
                classoid: PG_PROC,
                objoid: row.oid,
                subid: 0,
            }))
        }
        "type" | "domain" => {
            let parts = name_parts(object)?;
            let name = quoted_name(&parts);
            use super::typecmds::Named;
            let (named, n) = super::typecmds::find_type(session, &name)?;
            let (oid, owner, typtype) = match named {
                Named::User((_, row, _)) => (row.oid, row.owner, row.typtype),
                Named::Builtin(oid) => (oid, catalog::role::BOOTSTRAP_SUPERUSER_OID, 'b'),
                Named::Array(oid) => (oid, catalog::role::BOOTSTRAP_SUPERUSER_OID, 'b'),
                Named::Missing => return Err(super::typecmds::undefined_type(&parts.join("."))),
            };
            if kind == "domain" && typtype != 'd' {
                return Err(wrong_kind(&n, "a domain"));
            }
            require_owner(session, owner, "type", &n)?;
            Ok(Some(Target {
                classoid: PG_TYPE,
                objoid: oid,
                subid: 0,
            }))
        }
        "constraint" | "trigger" | "rule" => {
            let Some(on) = object.iter().position(|t| word_is(Some(t), "on")) else {
                return Err(syntax_error_at(object.last()));
            };
            let name = single_name(&object[..on])?;
            let rest = &object[on + 1..];
            if kind == "constraint" && word_is(rest.first(), "domain") {
                let parts = name_parts(&rest[1..])?;
                let dname = quoted_name(&parts);
                use super::typecmds::Named;
                let (named, n) = super::typecmds::find_type(session, &dname)?;
                let (oid, owner) = match named {
                    Named::User((_, row, _)) if row.typtype == 'd' => (row.oid, row.owner),
                    Named::Missing => {
                        return Err(super::typecmds::undefined_type(&parts.join(".")));
                    }
                    _ => return Err(wrong_kind(&n, "a domain")),
                };
                let con = with_reader(session, |r| r.domain_constraints())?
                    .into_iter()
                    .map(|(_, c)| c)
                    .find(|c| c.type_oid == oid && c.name == name);
                let Some(con) = con else {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!("constraint \"{name}\" for domain {n} does not exist"),
                    ));
                };
                require_owner(session, owner, "type", &n)?;
                return Ok(Some(Target {
                    classoid: PG_CONSTRAINT,
                    objoid: con.oid,
                    subid: 0,
                }));
            }
            let parts = name_parts(rest)?;
            let rel = relation(session, &parts)?;
            let found = if kind == "constraint" {
                with_reader(session, |r| r.constraints(rel.oid))?
                    .into_iter()
                    .find(|(_, c)| c.name == name)
                    .map(|(_, c)| (PG_CONSTRAINT, c.oid))
            } else if kind == "rule" {
                with_reader(session, |r| r.rules(rel.oid))?
                    .into_iter()
                    .find(|(_, c)| c.name == name)
                    .map(|(_, c)| (catalog::system::PG_REWRITE, c.oid))
            } else {
                with_reader(session, |r| r.triggers(rel.oid))?
                    .into_iter()
                    .find(|(_, t)| t.name == name)
                    .map(|(_, t)| (PG_TRIGGER, t.oid))
            };
            let Some((classoid, objoid)) = found else {
                return Err(PgError::new(
                    SqlState::UndefinedObject,
                    format!(
                        "{kind} \"{name}\" for {} \"{}\" does not exist",
                        if kind == "rule" { "relation" } else { "table" },
                        rel.name
                    ),
                ));
            };
            crate::acl::require_relation_owner(session, rel.oid)?;
            Ok(Some(Target {
                classoid,
                objoid,
                subid: 0,
            }))
        }
        "access" | "cast" | "collation" | "conversion" | "event" | "extension" | "language"
        | "large" | "policy" | "publication" | "subscription" | "tablespace" | "text search"
        | "transform" => Err(PgError::feature_not_supported(format!(
            "COMMENT ON {} is not supported",
            kind.to_uppercase()
        ))),
        _ => Err(syntax_error_at(None)),
    }
}

/// "function", "procedure" or "aggregate" as `must be owner of` says it.
fn kind_word(kind: &str, row: &catalog::system::ProcRow) -> &'static str {
    match (kind, row.kind) {
        (_, 'p') => "procedure",
        (_, 'a') => "aggregate",
        _ => "function",
    }
}

/// A name of one part.
fn single_name(tokens: &[Token]) -> PgResult<String> {
    let parts = name_parts(tokens)?;
    match parts.as_slice() {
        [n] => Ok(n.clone()),
        _ => Err(syntax_error_at(tokens.get(1))),
    }
}

/// The routine `name[(args)]` of a COMMENT ON FUNCTION | PROCEDURE |
/// ROUTINE | AGGREGATE.
fn routine(
    session: &mut Session,
    kind: &str,
    object: &[Token],
) -> PgResult<catalog::system::ProcRow> {
    let text: String = object
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    if kind == "aggregate" {
        return super::aggregate::lookup_signature(session, &text);
    }
    let sql = format!("DROP FUNCTION {text}");
    let stmts = sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, &sql)
        .map_err(|_| syntax_error_at(object.first()))?;
    let Some(sqlparser::ast::Statement::DropFunction(df)) = stmts.first() else {
        return Err(syntax_error_at(object.first()));
    };
    let [desc] = df.func_desc.as_slice() else {
        return Err(syntax_error_at(None));
    };
    let parts: Vec<String> = desc
        .name
        .0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(|i| match i.quote_style {
            Some(_) => i.value.clone(),
            None => i.value.to_lowercase(),
        })
        .collect();
    let kind = match kind {
        "function" => super::function::RoutineKind::Function,
        "procedure" => super::function::RoutineKind::Procedure,
        _ => super::function::RoutineKind::Routine,
    };
    Ok(super::function::lookup_routine(session, desc, &parts, kind)?.1)
}

/// `obj_description(oid, catalog)` (`catalog` None: any catalog, the
/// deprecated one-argument form), `col_description(oid, column)` and
/// `shobj_description(oid, catalog)`: the comment, or None.
pub fn description(
    session: &mut Session,
    objoid: u32,
    catalog: Option<&str>,
    subid: i32,
    shared: bool,
) -> PgResult<Option<String>> {
    let classoid = match catalog {
        Some(name) => {
            let Some(def) = catalog::system::CATALOGS
                .iter()
                .chain(catalog::system::SHARED_CATALOGS.iter())
                .find(|d| d.name == name)
            else {
                return Ok(None);
            };
            Some(def.oid)
        }
        None => None,
    };
    let def = match shared {
        true => &PG_SHDESCRIPTION_DEF,
        false => &PG_DESCRIPTION_DEF,
    };
    let mut found = None;
    with_reader(session, |r| {
        r.scan(def, |_, row| {
            let sub_ok = shared || row.get(2) == Some(&Datum::Int4(subid));
            if row.first() == Some(&Datum::Oid(objoid))
                && classoid.is_none_or(|c| row.get(1) == Some(&Datum::Oid(c)))
                && sub_ok
            {
                found = match row.last() {
                    Some(Datum::Text(t)) => Some(t.clone()),
                    _ => None,
                };
                return Ok(false);
            }
            Ok(true)
        })
    })?;
    Ok(found)
}

/// Name parts as an object name of quoted identifiers (already folded).
fn quoted_name(parts: &[String]) -> sqlparser::ast::ObjectName {
    sqlparser::ast::ObjectName(
        parts
            .iter()
            .map(|p| {
                sqlparser::ast::ObjectNamePart::Identifier(sqlparser::ast::Ident::with_quote(
                    '"',
                    p.clone(),
                ))
            })
            .collect(),
    )
}
