//! Rules (PostgreSQL's `rewrite/rewriteDefine.c` and `rewriteRemove.c`):
//! CREATE [OR REPLACE] RULE, DROP RULE, ALTER RULE ... RENAME, and
//! `pg_get_ruledef`.
//!
//! A rule is a `pg_rewrite` row ([`RuleRow`]) whose qualification and
//! actions are kept as SQL text (PostgreSQL keeps node trees): the text is
//! parsed again when a statement on the relation is rewritten
//! (`crate::rewrite`). `relhasrules` of the relation tells the relation
//! cache to load its rules. Only rules ON INSERT, UPDATE and DELETE can be
//! made; a view's ON SELECT rule is made by CREATE VIEW (`_RETURN`).

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use catalog::heap_catalog::CatalogWriter;
use catalog::system::{PG_REWRITE, RuleRow};
use types::{PgError, PgResult, SqlState};

use super::*;
use crate::relcache::with_reader;
use crate::session::Session;
use crate::utility::Outcome;

/// The statement kept as text by the pre-parser: CREATE, DROP or ALTER RULE.
pub(crate) fn rule_statement(session: &mut Session, text: &str) -> PgResult<Outcome> {
    let tokens = significant_tokens(text)?;
    match tokens.first().map(|t| word(t).unwrap_or_default()) {
        Some(w) if w == "create" => create_rule(session, &tokens),
        Some(w) if w == "drop" => drop_rule(session, &tokens),
        _ => alter_rule(session, &tokens),
    }
}

fn significant_tokens(text: &str) -> PgResult<Vec<Token>> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .map_err(|e| PgError::syntax(e.to_string(), None))?;
    Ok(tokens
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF))
        .collect())
}

/// An unquoted word, lower-cased.
fn word(t: &Token) -> Option<String> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_lowercase()),
        _ => None,
    }
}

fn is_word(t: Option<&Token>, w: &str) -> bool {
    t.and_then(word).is_some_and(|x| x == w)
}

/// An identifier: a quoted one as written, else folded to lower case.
fn identifier(t: Option<&Token>) -> PgResult<String> {
    match t {
        Some(Token::Word(w)) if w.quote_style.is_some() => Ok(w.value.clone()),
        Some(Token::Word(w)) => Ok(w.value.to_lowercase()),
        Some(other) => Err(syntax_error(other)),
        None => Err(PgError::syntax("syntax error at end of input", None)),
    }
}

fn syntax_error(t: &Token) -> PgError {
    PgError::syntax(format!("syntax error at or near \"{t}\""), None)
}

fn expect_word(tokens: &[Token], at: &mut usize, w: &str) -> PgResult<()> {
    if is_word(tokens.get(*at), w) {
        *at += 1;
        return Ok(());
    }
    match tokens.get(*at) {
        Some(t) => Err(syntax_error(t)),
        None => Err(PgError::syntax("syntax error at end of input", None)),
    }
}

/// A possibly qualified relation name at `at`: (schema, name).
fn relation_name(tokens: &[Token], at: &mut usize) -> PgResult<(Option<String>, String)> {
    let first = identifier(tokens.get(*at))?;
    *at += 1;
    if tokens.get(*at) == Some(&Token::Period) {
        let second = identifier(tokens.get(*at + 1))?;
        *at += 2;
        return Ok((Some(first), second));
    }
    Ok((None, first))
}

fn text_of(tokens: &[Token]) -> String {
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        let s = t.to_string();
        let glue = matches!(
            t,
            Token::Period | Token::RParen | Token::Comma | Token::RBracket
        ) || matches!(
            tokens.get(i.wrapping_sub(1)),
            Some(Token::Period | Token::LParen | Token::LBracket)
        );
        if i > 0 && !glue {
            out.push(' ');
        }
        out.push_str(&s);
    }
    out
}

/// The relation a rule is on (42P01 if missing; 42809 for a relation that
/// cannot have rules).
fn rule_relation(
    session: &mut Session,
    schema: Option<&str>,
    name: &str,
) -> PgResult<std::sync::Arc<catalog::heap_catalog::RelationInfo>> {
    let Some(rel) = crate::relcache::lookup_relation(session, schema, name)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{name}\" does not exist"),
        ));
    };
    if !matches!(rel.kind, 'r' | 'p' | 'v') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("relation \"{name}\" cannot have rules"),
        ));
    }
    if rel.namespace_oid == catalog::system::PG_CATALOG_NAMESPACE {
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!("permission denied: \"{name}\" is a system catalog"),
        ));
    }
    Ok(rel)
}

/// `NEW.*` and `OLD.*` in a rule's actions: the relation's columns, one by
/// one (sqlparser reads no `x.*` in a VALUES row).
fn expand_new_old_star(tokens: &[Token], rel: &catalog::heap_catalog::RelationInfo) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let which = word(&tokens[i]).filter(|w| w == "new" || w == "old");
        if let Some(w) = which
            && tokens.get(i + 1) == Some(&Token::Period)
            && tokens.get(i + 2) == Some(&Token::Mul)
        {
            let mut first = true;
            for c in rel.columns.iter().filter(|c| !c.dropped) {
                if !first {
                    out.push(Token::Comma);
                }
                first = false;
                out.push(Token::make_word(&w, None));
                out.push(Token::Period);
                out.push(Token::make_word(&c.name, Some('"')));
            }
            i += 3;
            continue;
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

/// A rule's parts as written.
pub struct ParsedRule {
    pub event: char,
    pub qual: Option<String>,
    pub is_instead: bool,
    /// The actions' text (empty: NOTHING).
    pub actions: String,
}

/// Parses the action text of a rule into its statements (none for NOTHING).
pub fn action_statements(actions: &str) -> PgResult<Vec<Statement>> {
    if actions.trim().is_empty() {
        return Ok(Vec::new());
    }
    crate::syntax::parse(actions)
}

/// Parses a rule's qualification text.
pub fn qual_expr(qual: &str) -> PgResult<sqlparser::ast::Expr> {
    let stmts = crate::syntax::parse(&format!("SELECT {qual}"))?;
    if let [Statement::Query(q)] = stmts.as_slice()
        && let sqlparser::ast::SetExpr::Select(s) = q.body.as_ref()
        && let [sqlparser::ast::SelectItem::UnnamedExpr(e)] = s.projection.as_slice()
    {
        return Ok(e.clone());
    }
    Err(PgError::syntax(
        format!("syntax error at or near \"{qual}\""),
        None,
    ))
}

/// CREATE [OR REPLACE] RULE name AS ON event TO table [WHERE cond] DO
/// [ALSO | INSTEAD] {NOTHING | command | (command; ...)}.
fn create_rule(session: &mut Session, tokens: &[Token]) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE RULE")?;
    let mut at = 1;
    let or_replace = is_word(tokens.get(at), "or");
    if or_replace {
        at += 2;
    }
    expect_word(tokens, &mut at, "rule")?;
    let name = identifier(tokens.get(at))?;
    at += 1;
    expect_word(tokens, &mut at, "as")?;
    expect_word(tokens, &mut at, "on")?;
    let event = match tokens.get(at).and_then(word).as_deref() {
        Some("select") => '1',
        Some("update") => '2',
        Some("insert") => '3',
        Some("delete") => '4',
        _ => {
            return Err(tokens.get(at).map_or_else(
                || PgError::syntax("syntax error at end of input", None),
                syntax_error,
            ));
        }
    };
    at += 1;
    expect_word(tokens, &mut at, "to")?;
    let (schema, table) = relation_name(tokens, &mut at)?;
    let mut qual = None;
    if is_word(tokens.get(at), "where") {
        let start = at + 1;
        let mut depth = 0;
        let mut end = start;
        while end < tokens.len() {
            match &tokens[end] {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                t if depth == 0 && is_word(Some(t), "do") => break,
                _ => {}
            }
            end += 1;
        }
        qual = Some(text_of(&tokens[start..end]));
        at = end;
    }
    expect_word(tokens, &mut at, "do")?;
    let is_instead = if is_word(tokens.get(at), "instead") {
        at += 1;
        true
    } else {
        if is_word(tokens.get(at), "also") {
            at += 1;
        }
        false
    };
    let rel = rule_relation(session, schema.as_deref(), &table)?;
    let expanded = expand_new_old_star(&tokens[at..], &rel);
    let rest = expanded.as_slice();
    let actions = if is_word(rest.first(), "nothing") && rest.len() == 1 {
        String::new()
    } else if rest.first() == Some(&Token::LParen) && rest.last() == Some(&Token::RParen) {
        text_of(&rest[1..rest.len() - 1])
    } else {
        text_of(rest)
    };
    let actions = actions.trim().trim_end_matches(';').trim().to_string();
    let rule = ParsedRule {
        event,
        qual,
        is_instead,
        actions,
    };
    validate(&rel.name, &rule)?;
    let qual = match (&rule.qual, rule.event) {
        (Some(q), '3' | '4') => Some(qualify_bare_columns(q, &rel, rule.event)?),
        (q, _) => q.clone(),
    };
    let rule = ParsedRule {
        actions: qualify_relations(session, &rule.actions)?,
        qual,
        ..rule
    };
    analyze_actions(session, &rel, &rule)?;
    if event == '1' {
        return Err(PgError::feature_not_supported(
            "rules ON SELECT other than a view's",
        ));
    }
    if name == "_RETURN" {
        return Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            format!(
                "non-view rule for \"{}\" must not be named \"_RETURN\"",
                rel.name
            ),
        ));
    }
    crate::acl::require_relation_owner(session, rel.oid)?;
    let existing = with_reader(session, |r| r.rules(rel.oid))?;
    let db = session.database_oid;
    if let Some((tid, old)) = existing.iter().find(|(_, r)| r.name == name) {
        if !or_replace {
            return Err(PgError::new(
                SqlState::DuplicateObject,
                format!(
                    "rule \"{name}\" for relation \"{}\" already exists",
                    rel.name
                ),
            ));
        }
        let row = RuleRow {
            ev_type: rule.event,
            is_instead: rule.is_instead,
            qual: rule.qual,
            actions: rule.actions,
            ..old.clone()
        };
        let tid = *tid;
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.update_rule(tid, &row, w)
        })?;
    } else {
        crate::xact::ensure_xid(session)?;
        let row = RuleRow {
            oid: session.storage.transam.new_oid()?,
            name,
            relid: rel.oid,
            ev_type: rule.event,
            enabled: 'O',
            is_instead: rule.is_instead,
            qual: rule.qual,
            actions: rule.actions,
        };
        crate::xact::with_write(session, |env, w| {
            CatalogWriter { env, db_oid: db }.create_rule(w, &row)
        })?;
    }
    set_has_rules(session, rel.oid, true)?;
    catalog_changed(session);
    Ok(Outcome::Command("CREATE RULE".into()))
}

/// The actions' text with the relations they name qualified by their
/// schemas, as the search_path of now finds them (PostgreSQL binds them
/// when the rule is made).
fn qualify_relations(session: &mut Session, actions: &str) -> PgResult<String> {
    let mut stmts = action_statements(actions)?;
    if stmts.is_empty() {
        return Ok(String::new());
    }
    let mut names = Vec::new();
    for s in &stmts {
        let _ = sqlparser::ast::visit_relations(s, |n| {
            if let [p] = n.0.as_slice()
                && let Some(id) = p.as_ident()
            {
                names.push(ident(id));
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    let mut found = Vec::new();
    for n in names {
        if let Some(rel) = crate::relcache::lookup_relation(session, None, &n)?
            && !matches!(rel.namespace.as_str(), "pg_catalog" | "information_schema")
            && !rel.namespace.starts_with("pg_temp")
        {
            found.push((n, rel.namespace.clone()));
        }
    }
    for s in &mut stmts {
        qualify_target_columns(session, s)?;
    }
    for s in &mut stmts {
        let _ = sqlparser::ast::visit_relations_mut(s, |n| {
            if let [p] = n.0.as_slice()
                && let Some(id) = p.as_ident()
                && let Some((_, schema)) = found.iter().find(|(x, _)| *x == ident(id))
            {
                let id = id.clone();
                n.0 = vec![
                    sqlparser::ast::ObjectNamePart::Identifier(quoted_ident(schema)),
                    sqlparser::ast::ObjectNamePart::Identifier(id),
                ];
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    Ok(stmts
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("; "))
}

/// The bare column names of an INSERT (DELETE) rule's qualification
/// qualified by NEW (OLD), the only relation they can name.
fn qualify_bare_columns(
    qual: &str,
    rel: &catalog::heap_catalog::RelationInfo,
    event: char,
) -> PgResult<String> {
    use sqlparser::ast::{Expr, Ident};
    let mut e = qual_expr(qual)?;
    let word = if event == '3' { "new" } else { "old" };
    let _ = sqlparser::ast::visit_expressions_mut(&mut e, |x| {
        if let Expr::Identifier(id) = x
            && rel
                .columns
                .iter()
                .any(|c| !c.dropped && c.name == ident(id))
        {
            *x = Expr::CompoundIdentifier(vec![Ident::new(word), id.clone()]);
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    Ok(e.to_string())
}

fn quoted_ident(name: &str) -> sqlparser::ast::Ident {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        sqlparser::ast::Ident::new(name)
    } else {
        sqlparser::ast::Ident::with_quote('"', name)
    }
}

/// In an UPDATE or DELETE action without FROM (USING) items of its own,
/// the bare names of its target's columns qualified by the target (the
/// original statement's FROM items join the action when it is rewritten,
/// and must not capture them).
fn qualify_target_columns(session: &mut Session, s: &mut Statement) -> PgResult<()> {
    use sqlparser::ast::{Expr, Ident, TableFactor};
    let (relation, exprs): (&TableFactor, Vec<&mut Expr>) = match s {
        Statement::Update(u) if u.from.is_none() && u.table.joins.is_empty() => {
            let mut v: Vec<&mut Expr> = u.assignments.iter_mut().map(|a| &mut a.value).collect();
            v.extend(u.selection.as_mut());
            (&u.table.relation, v)
        }
        Statement::Delete(d) if d.using.is_none() => {
            let from = match &d.from {
                sqlparser::ast::FromTable::WithFromKeyword(v)
                | sqlparser::ast::FromTable::WithoutKeyword(v) => v,
            };
            let Some(t) = from.first() else {
                return Ok(());
            };
            (&t.relation, d.selection.as_mut().into_iter().collect())
        }
        _ => return Ok(()),
    };
    let TableFactor::Table { name, alias, .. } = relation else {
        return Ok(());
    };
    let Ok((schema, table)) = split_name(name) else {
        return Ok(());
    };
    let Some(rel) = crate::relcache::lookup_relation(session, schema.as_deref(), &table)? else {
        return Ok(());
    };
    let qualifier = match alias {
        Some(a) => a.name.clone(),
        None => name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .cloned()
            .unwrap_or_else(|| Ident::new(&table)),
    };
    for e in exprs {
        // A subquery's bare names may be its own relations' columns.
        if e.to_string().to_ascii_uppercase().contains("SELECT ") {
            continue;
        }
        let _ = sqlparser::ast::visit_expressions_mut(e, |x| {
            if let Expr::Identifier(id) = x
                && rel
                    .columns
                    .iter()
                    .any(|c| !c.dropped && c.name == ident(id))
            {
                *x = Expr::CompoundIdentifier(vec![qualifier.clone(), id.clone()]);
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    Ok(())
}

/// The statements with the schemas the search_path finds left out.
fn unqualify_relations(session: &mut Session, stmts: &mut [Statement]) -> PgResult<()> {
    let mut names = Vec::new();
    for s in stmts.iter() {
        let _ = sqlparser::ast::visit_relations(s, |n| {
            if let [a, b] = n.0.as_slice()
                && let (Some(a), Some(b)) = (a.as_ident(), b.as_ident())
            {
                names.push((ident(a), ident(b)));
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    let mut visible = Vec::new();
    for (schema, name) in names {
        let direct = crate::relcache::lookup_relation(session, None, &name)?;
        if direct.is_some_and(|r| r.namespace == schema) {
            visible.push((schema, name));
        }
    }
    for s in stmts.iter_mut() {
        let _ = sqlparser::ast::visit_relations_mut(s, |n| {
            if let [a, b] = n.0.as_slice()
                && let (Some(x), Some(y)) = (a.as_ident(), b.as_ident())
                && visible.contains(&(ident(x), ident(y)))
            {
                n.0 = vec![b.clone()];
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    Ok(())
}

/// Plans the actions (and the qualification) with NEW and OLD made typed
/// NULLs: a missing relation or column, or a type error, is reported when
/// the rule is made.
fn analyze_actions(
    session: &mut Session,
    rel: &catalog::heap_catalog::RelationInfo,
    rule: &ParsedRule,
) -> PgResult<()> {
    let mut stmts = action_statements(&rule.actions)?;
    if let Some(q) = &rule.qual {
        stmts.extend(crate::syntax::parse(&format!("SELECT {q}"))?);
    }
    for s in &stmts {
        if !matches!(
            s,
            Statement::Insert(_)
                | Statement::Update(_)
                | Statement::Delete(_)
                | Statement::Query(_)
        ) {
            continue;
        }
        let probe = crate::rewrite::with_null_new_old(s, rel)?;
        let sql = probe.to_string();
        // Names and types are checked; what the planner cannot do yet
        // (or a view written through its own rules) waits for the rule's use.
        if let Err(e) = crate::tcop::plan_query(session, &probe, &sql, None)
            && e.code.code().starts_with("42")
        {
            return Err(e);
        }
    }
    Ok(())
}

/// `relhasrules` of relation `relid`.
fn set_has_rules(session: &mut Session, relid: u32, on: bool) -> PgResult<()> {
    crate::xact::command_counter_increment(session)?;
    let Some((tid, mut class)) = with_reader(session, |r| r.class_by_oid(relid))? else {
        return Ok(());
    };
    if class.has_rules == on {
        return Ok(());
    }
    class.has_rules = on;
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_class(tid, &class, w)
    })?;
    catalog_changed(session);
    crate::xact::command_counter_increment(session)
}

/// PostgreSQL's checks of a rule's actions and qualification: the kinds
/// of statement, OLD and NEW by event, RETURNING.
fn validate(relname: &str, rule: &ParsedRule) -> PgResult<()> {
    let stmts = action_statements(&rule.actions)?;
    if let Some(q) = &rule.qual {
        qual_expr(q)?;
    }
    let mut returning = false;
    for s in &stmts {
        let (has_returning, ok) = match s {
            Statement::Insert(i) => (i.returning.is_some(), true),
            Statement::Update(u) => (u.returning.is_some(), true),
            Statement::Delete(d) => (d.returning.is_some(), true),
            Statement::Query(_) => (false, true),
            Statement::NOTIFY { .. } => (false, false),
            _ => {
                return Err(PgError::syntax(
                    format!(
                        "syntax error at or near \"{}\"",
                        s.to_string().split_whitespace().next().unwrap_or("")
                    ),
                    None,
                ));
            }
        };
        if !ok && rule.qual.is_some() {
            return Err(PgError::feature_not_supported(
                "rules with WHERE conditions can only have SELECT, INSERT, UPDATE, or DELETE actions",
            ));
        }
        if has_returning {
            if returning {
                return Err(PgError::feature_not_supported(
                    "cannot have multiple RETURNING lists in a rule",
                ));
            }
            returning = true;
            if rule.qual.is_some() {
                return Err(PgError::feature_not_supported(
                    "RETURNING lists are not supported in conditional rules",
                ));
            }
            if !rule.is_instead {
                return Err(PgError::feature_not_supported(
                    "RETURNING lists are not supported in non-INSTEAD rules",
                ));
            }
        }
    }
    let text = format!(
        "{} {}",
        rule.qual.as_deref().unwrap_or(""),
        stmts
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let uses = |w: &str| crate::rewrite::mentions(&text, w);
    let invalid = |m: &str| {
        Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            m.to_string(),
        ))
    };
    match rule.event {
        '1' if uses("old") => return invalid("ON SELECT rule cannot use OLD"),
        '1' if uses("new") => return invalid("ON SELECT rule cannot use NEW"),
        '3' if uses("old") => return invalid("ON INSERT rule cannot use OLD"),
        '4' if uses("new") => return invalid("ON DELETE rule cannot use NEW"),
        _ => {}
    }
    let _ = relname;
    Ok(())
}

/// DROP RULE [IF EXISTS] name ON table [CASCADE | RESTRICT].
fn drop_rule(session: &mut Session, tokens: &[Token]) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "DROP RULE")?;
    let mut at = 2;
    let if_exists = is_word(tokens.get(at), "if");
    if if_exists {
        at += 1;
        expect_word(tokens, &mut at, "exists")?;
    }
    let name = identifier(tokens.get(at))?;
    at += 1;
    expect_word(tokens, &mut at, "on")?;
    let (schema, table) = relation_name(tokens, &mut at)?;
    if let Some(t) = tokens.get(at)
        && !is_word(Some(t), "cascade")
        && !is_word(Some(t), "restrict")
    {
        return Err(syntax_error(t));
    }
    let Some(rel) = crate::relcache::lookup_relation(session, schema.as_deref(), &table)? else {
        if if_exists {
            session.notice(
                "00000",
                format!("relation \"{table}\" does not exist, skipping"),
            );
            return Ok(Outcome::Command("DROP RULE".into()));
        }
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{table}\" does not exist"),
        ));
    };
    let found = with_reader(session, |r| r.rules(rel.oid))?;
    let Some((tid, rule)) = found.iter().find(|(_, r)| r.name == name).cloned() else {
        if if_exists {
            session.notice(
                "00000",
                format!(
                    "rule \"{name}\" for relation \"{}\" does not exist, skipping",
                    rel.name
                ),
            );
            return Ok(Outcome::Command("DROP RULE".into()));
        }
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!(
                "rule \"{name}\" for relation \"{}\" does not exist",
                rel.name
            ),
        ));
    };
    crate::acl::require_relation_owner(session, rel.oid)?;
    let mut rows = with_reader(session, |r| r.description_rows(PG_REWRITE, rule.oid, None))?;
    rows.push((PG_REWRITE, tid));
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.delete_rows(&rows, w)
    })?;
    // relhasrules stays set, as in PostgreSQL (VACUUM would clear it).
    catalog_changed(session);
    Ok(Outcome::Command("DROP RULE".into()))
}

/// ALTER RULE name ON table RENAME TO new_name.
fn alter_rule(session: &mut Session, tokens: &[Token]) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "ALTER RULE")?;
    let mut at = 2;
    let name = identifier(tokens.get(at))?;
    at += 1;
    expect_word(tokens, &mut at, "on")?;
    let (schema, table) = relation_name(tokens, &mut at)?;
    expect_word(tokens, &mut at, "rename")?;
    expect_word(tokens, &mut at, "to")?;
    let new_name = identifier(tokens.get(at))?;
    let rel = rule_relation(session, schema.as_deref(), &table)?;
    let rules = with_reader(session, |r| r.rules(rel.oid))?;
    let Some((tid, rule)) = rules.iter().find(|(_, r)| r.name == name).cloned() else {
        if name == "_RETURN" && rel.kind == 'v' {
            if new_name == "_RETURN" {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!(
                        "rule \"{new_name}\" for relation \"{}\" already exists",
                        rel.name
                    ),
                ));
            }
            return Err(PgError::new(
                SqlState::InvalidObjectDefinition,
                "renaming an ON SELECT rule is not allowed",
            ));
        }
        return Err(PgError::new(
            SqlState::UndefinedObject,
            format!(
                "rule \"{name}\" for relation \"{}\" does not exist",
                rel.name
            ),
        ));
    };
    if rules.iter().any(|(_, r)| r.name == new_name) || new_name == "_RETURN" && rel.kind == 'v' {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!(
                "rule \"{new_name}\" for relation \"{}\" already exists",
                rel.name
            ),
        ));
    }
    crate::acl::require_relation_owner(session, rel.oid)?;
    let row = RuleRow {
        name: new_name,
        ..rule
    };
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        CatalogWriter { env, db_oid: db }.update_rule(tid, &row, w)
    })?;
    catalog_changed(session);
    Ok(Outcome::Command("ALTER RULE".into()))
}

/// `pg_get_ruledef(oid [, pretty])`: the CREATE RULE statement, laid out
/// as PostgreSQL's `make_ruledef` lays it out.
pub fn ruledef(session: &mut Session, oid: u32, pretty: bool) -> PgResult<Option<String>> {
    let Some(rule) = with_reader(session, |r| r.rule_by_oid(oid))? else {
        return Ok(None);
    };
    let Some(rel) = crate::relcache::relation_by_oid(session, rule.relid)? else {
        return Ok(None);
    };
    let table = match pretty && crate::relcache::search_path(session)?.contains(&rel.namespace_oid)
    {
        true => types::guc::quote_identifier(&rel.name).to_string(),
        false => format!(
            "{}.{}",
            types::guc::quote_identifier(&rel.namespace),
            types::guc::quote_identifier(&rel.name)
        ),
    };
    let mut stmts = action_statements(&rule.actions).unwrap_or_default();
    unqualify_relations(session, &mut stmts)?;
    Ok(Some(rule_text(&rule, &table, &stmts, pretty)))
}

/// The text of a rule on relation `table` (already quoted) whose actions
/// are `stmts`.
fn rule_text(rule: &RuleRow, table: &str, stmts: &[Statement], pretty: bool) -> String {
    let event = match rule.ev_type {
        '1' => "SELECT",
        '2' => "UPDATE",
        '3' => "INSERT",
        _ => "DELETE",
    };
    let mut out = format!(
        "CREATE RULE {} AS\n    ON {event} TO {table}",
        types::guc::quote_identifier(&rule.name)
    );
    if let Some(q) = &rule.qual {
        // PostgreSQL indents without the pretty flag too.
        out.push_str("\n  ");
        // The pretty flag leaves out the outermost parentheses.
        let q = qual_expr(q).map_or_else(
            |_| q.clone(),
            |e| match (parenthesized(e), pretty) {
                (sqlparser::ast::Expr::Nested(inner), true) => inner.to_string(),
                (e, _) => e.to_string(),
            },
        );
        out.push_str(&format!(" WHERE {q}"));
    }
    out.push_str(" DO ");
    if rule.is_instead {
        out.push_str("INSTEAD ");
    }
    match stmts {
        [] => out.push_str("NOTHING;"),
        [one] => {
            out.push(' ');
            out.push_str(&action_text(one));
            out.push(';');
        }
        many => {
            out.push('(');
            for s in many {
                out.push(' ');
                out.push_str(&action_text(s));
                out.push_str(if pretty { ";\n" } else { "; " });
            }
            out.push_str(");");
        }
    }
    out
}

/// An expression with every operator's operands in parentheses, as
/// PostgreSQL's deparser prints them without the pretty flag.
fn parenthesized(e: sqlparser::ast::Expr) -> sqlparser::ast::Expr {
    use sqlparser::ast::Expr;
    let mut e = e;
    let _ = sqlparser::ast::visit_expressions_mut(&mut e, |x| {
        while let Expr::Nested(inner) = x {
            *x = std::mem::replace(
                inner.as_mut(),
                Expr::Value(sqlparser::ast::Value::Null.into()),
            );
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    let _ = sqlparser::ast::visit_expressions_mut(&mut e, |x| {
        if let Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } = x
        {
            let ge = Expr::BinaryOp {
                left: expr.clone(),
                op: sqlparser::ast::BinaryOperator::GtEq,
                right: low.clone(),
            };
            let le = Expr::BinaryOp {
                left: expr.clone(),
                op: sqlparser::ast::BinaryOperator::LtEq,
                right: high.clone(),
            };
            *x = Expr::BinaryOp {
                left: Box::new(ge),
                op: sqlparser::ast::BinaryOperator::And,
                right: Box::new(le),
            };
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    let _ = sqlparser::ast::visit_expressions_mut(&mut e, |x| {
        if matches!(
            x,
            Expr::BinaryOp { .. }
                | Expr::UnaryOp {
                    op: sqlparser::ast::UnaryOperator::Not,
                    ..
                }
        ) {
            let inner = std::mem::replace(x, Expr::Value(sqlparser::ast::Value::Null.into()));
            *x = Expr::Nested(Box::new(inner));
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    e
}

/// A rule action as PostgreSQL prints it: INSERT names its columns and
/// puts VALUES or its query on the next line, a WHERE starts a line.
fn action_text(s: &Statement) -> String {
    let text = s.to_string();
    match s {
        Statement::Insert(i) => {
            if let Some(src) = &i.source {
                let head = text
                    .split_once(&format!(" {src}"))
                    .map_or(text.clone(), |(h, _)| h.to_string());
                let tail = text[head.len()..].trim_start().to_string();
                return format!("{head}\n  {tail}");
            }
            text
        }
        Statement::Update(u) => match &u.selection {
            Some(w) => text.replacen(&format!(" WHERE {w}"), &format!("\n  WHERE {w}"), 1),
            None => text,
        },
        Statement::Delete(d) => match &d.selection {
            Some(w) => text.replacen(&format!(" WHERE {w}"), &format!("\n  WHERE {w}"), 1),
            None => text,
        },
        _ => text,
    }
}
