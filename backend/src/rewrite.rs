//! The rule system for INSERT, UPDATE and DELETE (PostgreSQL's
//! `rewrite/rewriteHandler.c`, `RewriteQuery` and `fireRules`).
//!
//! A client's INSERT, UPDATE or DELETE on a relation that has rules for
//! that event (`RelationInfo::rules`, by name) becomes a list of
//! statements, run one after the other with a command counter increment
//! between them, each rewritten again by the rules of its own target:
//!
//! ```text
//!   rule (by name)            what it adds
//!   ------------------------  -----------------------------------------
//!   ALSO [WHERE q]            its actions, qualified by q
//!   INSTEAD [WHERE q]         its actions, qualified by q; the original
//!                             gets "AND (q) IS NOT TRUE"
//!   INSTEAD (no WHERE)        its actions; the original is dropped
//!
//!   order: INSERT: original, then the actions;
//!          UPDATE, DELETE: the actions, then the original
//! ```
//!
//! The rewriting is done at the level of the syntax tree, as
//! `planner::analyze::view_dml` does: in the actions (and in q) `NEW.col`
//! and `OLD.col` are replaced by what they stand for in the original
//! statement:
//! - INSERT ... VALUES (one row) or DEFAULT VALUES: NEW.col is the value
//!   written (cast to the column's type), the column's default or NULL;
//! - INSERT of several rows or of a query: the rows become a derived table
//!   `"*NEW*"` added to the action's FROM;
//! - UPDATE, DELETE: the target relation, as `"*OLD*"`, and the original's
//!   FROM / USING items are added to the action's FROM (USING) and its
//!   WHERE to the action's; NEW.col of UPDATE is the SET expression of the
//!   column, or OLD.col.
//!
//! The command tag is PostgreSQL's: the original's when it runs, else the
//! last action of an INSTEAD rule of the same command type, else the
//! command with zero rows. RETURNING of the original through an INSTEAD
//! rule projects the rows of the rule action's RETURNING (which lists the
//! relation's columns). Nested rules loop: 42P17 "infinite recursion".

use std::ops::ControlFlow;

use sqlparser::ast::{self, Expr, Ident, SelectItem, SetExpr, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use catalog::heap_catalog::RelationInfo;
use catalog::system::RuleRow;
use types::{Datum, PgError, PgResult, SqlState};

use crate::session::Session;
use crate::utility::Outcome;

/// Whether `text` qualifies a column by `word` (`new.x`, `NEW.*`).
pub fn mentions(text: &str, word: &str) -> bool {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize() else {
        return false;
    };
    tokens.windows(2).any(|w| {
        matches!(&w[0], Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(word))
            && w[1] == Token::Period
    })
}

/// The kind of command, for the rules' event and for the tag.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Command {
    Insert,
    Update,
    Delete,
}

impl Command {
    fn event(self) -> char {
        match self {
            Command::Update => '2',
            Command::Insert => '3',
            Command::Delete => '4',
        }
    }

    fn tag_zero(self) -> String {
        match self {
            Command::Insert => "INSERT 0 0".into(),
            Command::Update => "UPDATE 0".into(),
            Command::Delete => "DELETE 0".into(),
        }
    }

    fn of(stmt: &Statement) -> Option<Command> {
        match stmt {
            Statement::Insert(_) => Some(Command::Insert),
            Statement::Update(_) => Some(Command::Update),
            Statement::Delete(_) => Some(Command::Delete),
            _ => None,
        }
    }
}

/// One statement of a rewritten list.
struct Step {
    stmt: Statement,
    /// The original statement (perhaps with inverted qualifications).
    original: bool,
    /// An action of an INSTEAD rule.
    instead: bool,
}

fn parse_expr(text: &str) -> PgResult<Expr> {
    crate::commands::rule::qual_expr(text)
}

/// The target relation's name of a DML statement and the name its
/// columns are qualified by in it.
fn target_of(stmt: &Statement) -> Option<(ast::ObjectName, Option<String>)> {
    match stmt {
        Statement::Insert(i) => match &i.table {
            ast::TableObject::TableName(n) => {
                Some((n.clone(), i.table_alias.as_ref().map(|a| fold(&a.alias))))
            }
            _ => None,
        },
        Statement::Update(u) => match &u.table.relation {
            ast::TableFactor::Table { name, alias, .. } if u.table.joins.is_empty() => {
                Some((name.clone(), alias.as_ref().map(|a| fold(&a.name))))
            }
            _ => None,
        },
        Statement::Delete(d) => {
            let from = match &d.from {
                ast::FromTable::WithFromKeyword(v) | ast::FromTable::WithoutKeyword(v) => v,
            };
            match from.first().map(|t| &t.relation) {
                Some(ast::TableFactor::Table { name, alias, .. }) if from.len() == 1 => {
                    Some((name.clone(), alias.as_ref().map(|a| fold(&a.name))))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn fold(id: &Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

fn quote(s: &str) -> String {
    types::guc::quote_identifier(s).to_string()
}

/// Runs `stmt` through the rules of its target, if it has any for its
/// event: None when there are none (the caller runs it as it is).
pub(crate) fn run_with_rules(
    session: &mut Session,
    stmt: &Statement,
    prepared: Option<&crate::session::Prepared>,
    params: &[Datum],
) -> PgResult<Option<Outcome>> {
    let Some(command) = Command::of(stmt) else {
        return Ok(None);
    };
    // The original statement of a rewritten list: its rules were applied.
    if std::mem::take(&mut session.rewrite_bypass) {
        return Ok(None);
    }
    let Some((name, alias)) = target_of(stmt) else {
        return Ok(None);
    };
    let Ok((schema, relname)) = crate::commands::split_name(&name) else {
        return Ok(None);
    };
    let Some(rel) = crate::relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        return Ok(None);
    };
    let rules: Vec<RuleRow> = rel
        .rules
        .iter()
        .filter(|r| r.ev_type == command.event() && r.enabled != 'D')
        .cloned()
        .collect();
    if rules.is_empty() {
        return Ok(None);
    }
    if session.rewrite_stack.contains(&(rel.oid, command.event())) {
        return Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            format!(
                "infinite recursion detected in rules for relation \"{}\"",
                rel.name
            ),
        ));
    }
    let refname = alias.unwrap_or_else(|| rel.name.clone());
    let filled = fill_defaults(session, stmt)?;
    let env = Env::new(&filled, &rel, &refname, session.rewrite_stack.len())?;
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut inverted: Vec<Expr> = Vec::new();
    let mut unconditional_instead = false;
    let mut returning_action: Option<usize> = None;
    let original_returning = returning_of(stmt).is_some();
    for rule in &rules {
        let qual = rule.qual.as_deref().map(parse_expr).transpose()?;
        for action in crate::commands::rule::action_statements(&rule.actions)? {
            let action = fill_defaults(session, &action)?;
            let has_returning = returning_of(&action).is_some();
            let mut s = env.action(action, qual.as_ref(), command)?;
            if !(original_returning && has_returning) {
                strip_returning(&mut s);
            }
            let step = Step {
                stmt: s,
                original: false,
                instead: rule.is_instead,
            };
            let list = if command == Command::Insert {
                &mut after
            } else {
                &mut before
            };
            if original_returning && has_returning {
                returning_action = Some(list.len());
            }
            list.push(step);
        }
        if rule.is_instead {
            match &qual {
                Some(q) => inverted.push(env.original_qual(q.clone(), command)?),
                None => unconditional_instead = true,
            }
        }
    }
    if original_returning
        && (unconditional_instead || !inverted.is_empty())
        && returning_action.is_none()
    {
        let verb = match command {
            Command::Insert => "INSERT",
            Command::Update => "UPDATE",
            Command::Delete => "DELETE",
        };
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            format!(
                "cannot perform {verb} RETURNING on relation \"{}\"",
                rel.name
            ),
        )
        .with_hint(format!(
            "You need an unconditional ON {verb} DO INSTEAD rule with a RETURNING clause."
        )));
    }
    let mut steps: Vec<Step> = Vec::new();
    let original = if unconditional_instead {
        None
    } else {
        Some(Step {
            stmt: env.with_inverted(stmt, &inverted, command)?,
            original: true,
            instead: false,
        })
    };
    let returning_index = returning_action.map(|i| match command {
        Command::Insert => i + usize::from(original.is_some()),
        _ => i,
    });
    if command == Command::Insert {
        steps.extend(original);
        steps.extend(after);
    } else {
        steps.extend(before);
        steps.extend(original);
    }
    session.rewrite_stack.push((rel.oid, command.event()));
    // The steps keep the parameters' types of a prepared (or plan-cached)
    // statement; they are planned anew.
    let param_types = prepared.map(|p| crate::session::Prepared {
        sql: String::new(),
        stmt: None,
        plan: None,
        param_types: p.param_types.clone(),
        catalog_version: (0, 0),
        from_sql: false,
        prepare_time: 0,
    });
    let result = run_steps(
        session,
        &steps,
        (param_types.as_ref(), params),
        command,
        &rel,
        &refname,
        stmt,
        returning_index,
    );
    session.rewrite_stack.pop();
    result.map(Some)
}

#[allow(clippy::too_many_arguments)]
fn run_steps(
    session: &mut Session,
    steps: &[Step],
    (prepared, params): (Option<&crate::session::Prepared>, &[Datum]),
    command: Command,
    rel: &RelationInfo,
    refname: &str,
    stmt: &Statement,
    returning_index: Option<usize>,
) -> PgResult<Outcome> {
    let mut tag = None;
    let mut result = None;
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            crate::xact::command_counter_increment(session)?;
        }
        let sql = step.stmt.to_string();
        session.rewrite_bypass = step.original;
        let outcome = crate::tcop::run_statement(session, &step.stmt, &sql, prepared, params);
        session.rewrite_bypass = false;
        let outcome = outcome?;
        let step_tag = match &outcome {
            Outcome::Command(t) => Some(t.clone()),
            Outcome::Rows { tag, .. } => Some(tag.clone()),
            _ => None,
        };
        if step.original {
            tag = step_tag;
            if returning_of(stmt).is_some() {
                result = Some(outcome);
            }
            continue;
        }
        if step.instead
            && Command::of(&step.stmt) == Some(command)
            && !steps.iter().any(|s| s.original)
        {
            tag = step_tag;
        }
        if Some(i) == returning_index {
            result = Some(project_returning(stmt, rel, refname, outcome)?);
        }
    }
    let tag = tag.unwrap_or_else(|| command.tag_zero());
    match result {
        Some(Outcome::Rows { columns, rows, .. }) => Ok(Outcome::Rows { columns, rows, tag }),
        _ if returning_of(stmt).is_some() => {
            // RETURNING whose rows no step produced: none.
            Ok(Outcome::Rows {
                columns: Vec::new(),
                rows: Vec::new(),
                tag,
            })
        }
        _ => Ok(Outcome::Command(tag)),
    }
}

/// The original's RETURNING list over the rows of a rule action's
/// RETURNING (one value per column of the relation).
fn project_returning(
    stmt: &Statement,
    rel: &RelationInfo,
    refname: &str,
    outcome: Outcome,
) -> PgResult<Outcome> {
    let Outcome::Rows { columns, rows, tag } = outcome else {
        return Ok(outcome);
    };
    let live: Vec<&catalog::heap_catalog::ColumnInfo> =
        rel.columns.iter().filter(|c| !c.dropped).collect();
    let Some(items) = returning_of(stmt) else {
        return Ok(Outcome::Rows { columns, rows, tag });
    };
    let mut picks: Vec<(usize, String)> = Vec::new();
    for item in items {
        match item {
            SelectItem::Wildcard(_) => {
                picks.extend(live.iter().enumerate().map(|(i, c)| (i, c.name.clone())));
            }
            SelectItem::QualifiedWildcard(
                ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                _,
            ) if n.to_string().eq_ignore_ascii_case(refname) => {
                picks.extend(live.iter().enumerate().map(|(i, c)| (i, c.name.clone())));
            }
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                let col = match e {
                    Expr::Identifier(id) => Some(fold(id)),
                    Expr::CompoundIdentifier(p) if p.len() == 2 && fold(&p[0]) == refname => {
                        Some(fold(&p[1]))
                    }
                    _ => None,
                };
                let Some(i) = col.and_then(|c| live.iter().position(|x| x.name == c)) else {
                    return Err(PgError::feature_not_supported(
                        "RETURNING expressions through a rule",
                    ));
                };
                let name = match item {
                    SelectItem::ExprWithAlias { alias, .. } => fold(alias),
                    _ => live[i].name.clone(),
                };
                picks.push((i, name));
            }
            _ => {
                return Err(PgError::feature_not_supported(
                    "RETURNING expressions through a rule",
                ));
            }
        }
    }
    let out_columns = picks
        .iter()
        .map(|(i, name)| {
            let mut c = columns.get(*i).cloned().unwrap_or_else(|| planner::Column {
                name: name.clone(),
                type_oid: types::oid::TEXT,
                typmod: -1,
                table_oid: 0,
                column_id: 0,
            });
            c.name = name.clone();
            c
        })
        .collect();
    let out_rows = rows
        .into_iter()
        .map(|r| {
            picks
                .iter()
                .map(|(i, _)| r.get(*i).cloned().unwrap_or(Datum::Null))
                .collect()
        })
        .collect();
    Ok(Outcome::Rows {
        columns: out_columns,
        rows: out_rows,
        tag,
    })
}

fn returning_of(stmt: &Statement) -> Option<&Vec<SelectItem>> {
    match stmt {
        Statement::Insert(i) => i.returning.as_ref(),
        Statement::Update(u) => u.returning.as_ref(),
        Statement::Delete(d) => d.returning.as_ref(),
        _ => None,
    }
}

fn strip_returning(stmt: &mut Statement) {
    match stmt {
        Statement::Insert(i) => i.returning = None,
        Statement::Update(u) => u.returning = None,
        Statement::Delete(d) => d.returning = None,
        _ => {}
    }
}

/// What NEW and OLD stand for in the actions of one original statement.
struct Env {
    /// NEW.col (lower-case column name) → expression text, in the action.
    new: Vec<(String, String)>,
    /// OLD.col → expression text, in the action.
    old: Vec<(String, String)>,
    /// NEW.col → expression text in the original statement's own naming
    /// (for the inverted qualifications).
    new_in_original: Vec<(String, String)>,
    old_in_original: Vec<(String, String)>,
    /// FROM items every action gets (text).
    from: Vec<String>,
    /// Conditions every action gets.
    conds: Vec<Expr>,
    /// For an INSERT of several rows: the derived table of the rows.
    insert_rows: Option<String>,
}

impl Env {
    fn new(stmt: &Statement, rel: &RelationInfo, refname: &str, level: usize) -> PgResult<Env> {
        let live: Vec<&catalog::heap_catalog::ColumnInfo> =
            rel.columns.iter().filter(|c| !c.dropped).collect();
        let type_of = |c: &catalog::heap_catalog::ColumnInfo| {
            let t = types::oid::format_type(c.type_oid, c.typmod);
            (!t.contains('?')).then_some(t)
        };
        let cast = |e: &str, c: &catalog::heap_catalog::ColumnInfo| match type_of(c) {
            Some(t) => format!("CAST(({e}) AS {t})"),
            None => format!("({e})"),
        };
        let default_of = |c: &catalog::heap_catalog::ColumnInfo| match &c.default {
            Some(d) if c.generated == '\0' => cast(d, c),
            _ => cast("NULL", c),
        };
        let mut env = Env {
            new: Vec::new(),
            old: Vec::new(),
            new_in_original: Vec::new(),
            old_in_original: Vec::new(),
            from: Vec::new(),
            conds: Vec::new(),
            insert_rows: None,
        };
        match stmt {
            Statement::Insert(ins) => {
                let named: Vec<String> = if ins.columns.is_empty() {
                    let width = ins.source.as_deref().and_then(|q| match q.body.as_ref() {
                        SetExpr::Values(v) => v.rows.first().map(|r| r.len()),
                        SetExpr::Select(s)
                            if !s.projection.iter().any(|i| {
                                matches!(
                                    i,
                                    SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                                )
                            }) =>
                        {
                            Some(s.projection.len())
                        }
                        _ => None,
                    });
                    live.iter()
                        .take(width.unwrap_or(live.len()))
                        .map(|c| c.name.clone())
                        .collect()
                } else {
                    ins.columns
                        .iter()
                        .map(|c| {
                            c.0.last()
                                .and_then(|p| p.as_ident())
                                .map(fold)
                                .unwrap_or_default()
                        })
                        .collect()
                };
                let single_row = match ins.source.as_deref() {
                    None => Some(Vec::new()),
                    Some(q) => match q.body.as_ref() {
                        SetExpr::Values(v) if v.rows.len() == 1 && q.with.is_none() => {
                            Some(v.rows[0].iter().collect::<Vec<_>>())
                        }
                        _ => None,
                    },
                };
                match single_row {
                    Some(values) => {
                        for c in &live {
                            let value = named
                                .iter()
                                .position(|n| *n == c.name)
                                .and_then(|j| values.get(j));
                            let text = match value {
                                Some(Expr::Identifier(id))
                                    if id.quote_style.is_none()
                                        && id.value.eq_ignore_ascii_case("default") =>
                                {
                                    default_of(c)
                                }
                                Some(e) => cast(&e.to_string(), c),
                                None => default_of(c),
                            };
                            env.new.push((c.name.clone(), text));
                        }
                    }
                    None => {
                        let Some(q) = ins.source.as_deref() else {
                            return Err(PgError::internal("INSERT without source"));
                        };
                        if let SetExpr::Values(v) = q.body.as_ref()
                            && v.rows.iter().flat_map(|r| r.iter()).any(|e| matches!(e, Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default")))
                        {
                            return Err(PgError::feature_not_supported(
                                "DEFAULT in a multi-row VALUES list through a rule",
                            ));
                        }
                        let src_cols: Vec<String> =
                            (1..=named.len()).map(|i| format!("\"*c{i}*\"")).collect();
                        let mut items = Vec::new();
                        for c in &live {
                            let e = match named.iter().position(|n| *n == c.name) {
                                Some(j) => cast(&format!("\"*SRC*\".{}", src_cols[j]), c),
                                None => default_of(c),
                            };
                            items.push(format!(
                                "{e} AS {}",
                                quote_always(&format!("*new*{}", c.name))
                            ));
                        }
                        let derived = format!(
                            "(SELECT {} FROM ({q}) AS \"*SRC*\"({})) AS {}",
                            items.join(", "),
                            src_cols.join(", "),
                            quote_always(&alias("NEW", level))
                        );
                        for c in &live {
                            env.new.push((c.name.clone(), new_ref(&c.name, level)));
                        }
                        env.from.push(derived.clone());
                        env.insert_rows = Some(derived);
                    }
                }
                env.new_in_original = env.new.clone();
            }
            Statement::Update(upd) => {
                let only = matches!(&upd.table.relation, ast::TableFactor::Table { name, .. } if name.to_string().to_lowercase().starts_with("only "));
                let _ = only;
                let mut sets: Vec<(String, Expr)> = Vec::new();
                for a in &upd.assignments {
                    let ast::AssignmentTarget::ColumnName(n) = &a.target else {
                        return Err(PgError::feature_not_supported(
                            "multiple-column SET through a rule",
                        ));
                    };
                    let Some(id) = n.0.last().and_then(|p| p.as_ident()) else {
                        continue;
                    };
                    if n.0.len() > 1 {
                        return Err(PgError::feature_not_supported(
                            "SET of a field or element through a rule",
                        ));
                    }
                    sets.push((fold(id), a.value.clone()));
                }
                for c in &live {
                    let old = old_ref(&c.name, level);
                    env.old.push((c.name.clone(), old.clone()));
                    env.old_in_original.push((
                        c.name.clone(),
                        format!("{}.{}", quote(refname), quote(&c.name)),
                    ));
                    match sets.iter().find(|(n, _)| *n == c.name) {
                        Some((_, e)) => {
                            let renamed = requalify(e.clone(), refname, &live, level);
                            env.new.push((c.name.clone(), format!("({renamed})")));
                            env.new_in_original.push((c.name.clone(), format!("({e})")));
                        }
                        None => {
                            env.new.push((c.name.clone(), old));
                            env.new_in_original.push((
                                c.name.clone(),
                                format!("{}.{}", quote(refname), quote(&c.name)),
                            ));
                        }
                    }
                }
                env.from.push(old_item(&upd.table.relation, &live, level));
                if let Some(
                    ast::UpdateTableFromKind::AfterSet(f) | ast::UpdateTableFromKind::BeforeSet(f),
                ) = &upd.from
                {
                    env.from.extend(f.iter().map(|t| t.to_string()));
                }
                if let Some(w) = &upd.selection {
                    env.conds.push(requalify(w.clone(), refname, &live, level));
                }
            }
            Statement::Delete(del) => {
                for c in &live {
                    env.old.push((c.name.clone(), old_ref(&c.name, level)));
                    env.old_in_original.push((
                        c.name.clone(),
                        format!("{}.{}", quote(refname), quote(&c.name)),
                    ));
                }
                let from = match &del.from {
                    ast::FromTable::WithFromKeyword(v) | ast::FromTable::WithoutKeyword(v) => v,
                };
                if let Some(t) = from.first() {
                    env.from.push(old_item(&t.relation, &live, level));
                }
                if let Some(u) = &del.using {
                    env.from.extend(u.iter().map(|t| t.to_string()));
                }
                if let Some(w) = &del.selection {
                    env.conds.push(requalify(w.clone(), refname, &live, level));
                }
            }
            _ => {}
        }
        Ok(env)
    }

    /// A rule action with NEW and OLD replaced, and the original's rows
    /// and conditions joined in.
    fn action(
        &self,
        mut stmt: Statement,
        qual: Option<&Expr>,
        command: Command,
    ) -> PgResult<Statement> {
        let mut conds = self.conds.clone();
        if let Some(q) = qual {
            conds.push(self.substitute(q.clone(), command, false)?);
        }
        // NEW.* in select lists.
        expand_star(&mut stmt, &self.new, &self.old);
        let mut err = None;
        let _ = ast::visit_expressions_mut(&mut stmt, |e| {
            match self.replace(e, command, false) {
                Ok(Some(r)) => *e = r,
                Ok(None) => {}
                Err(x) => {
                    err = Some(x);
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::<()>::Continue(())
        });
        if let Some(e) = err {
            return Err(e);
        }
        let from = self.from.clone();
        if from.is_empty() && conds.is_empty() {
            return Ok(stmt);
        }
        let from_items = if from.is_empty() {
            Vec::new()
        } else {
            from_list(&from.join(", "))?
        };
        let cond = conds.into_iter().reduce(|a, b| Expr::BinaryOp {
            left: Box::new(nest(a)),
            op: ast::BinaryOperator::And,
            right: Box::new(nest(b)),
        });
        match &mut stmt {
            Statement::Insert(ins) => {
                let Some(src) = ins.source.as_deref_mut() else {
                    // DEFAULT VALUES: nothing reads NEW or OLD.
                    return Ok(stmt);
                };
                match src.body.as_mut() {
                    SetExpr::Values(v) if v.rows.len() == 1 => {
                        let row = v.rows[0]
                            .iter()
                            .map(|e| e.to_string())
                            .collect::<Vec<_>>()
                            .join(", ");
                        let mut text = format!("SELECT {row}");
                        if !from.is_empty() {
                            text.push_str(&format!(" FROM {}", from.join(", ")));
                        }
                        if let Some(c) = &cond {
                            text.push_str(&format!(" WHERE {c}"));
                        }
                        *src = parse_query(&text)?;
                    }
                    SetExpr::Select(s) => {
                        add_to_select(s, from_items, cond);
                    }
                    _ => {
                        let inner = src.to_string();
                        let mut text = String::from("SELECT \"*Q*\".* FROM ");
                        if !from.is_empty() {
                            text.push_str(&format!("{}, LATERAL ", from.join(", ")));
                        }
                        text.push_str(&format!("({inner}) AS \"*Q*\""));
                        if let Some(c) = &cond {
                            text.push_str(&format!(" WHERE {c}"));
                        }
                        *src = parse_query(&text)?;
                    }
                }
            }
            Statement::Update(u) => {
                match &mut u.from {
                    Some(
                        ast::UpdateTableFromKind::AfterSet(f)
                        | ast::UpdateTableFromKind::BeforeSet(f),
                    ) => {
                        make_lateral(f);
                        let mut items = from_items;
                        items.append(f);
                        *f = items;
                    }
                    None if !from_items.is_empty() => {
                        u.from = Some(ast::UpdateTableFromKind::AfterSet(from_items))
                    }
                    None => {}
                }
                u.selection = and(u.selection.take(), cond);
            }
            Statement::Delete(d) => {
                match &mut d.using {
                    Some(f) => {
                        make_lateral(f);
                        let mut items = from_items;
                        items.append(f);
                        *f = items;
                    }
                    None if !from_items.is_empty() => d.using = Some(from_items),
                    None => {}
                }
                d.selection = and(d.selection.take(), cond);
            }
            Statement::Query(q) => match q.body.as_mut() {
                SetExpr::Select(s) => add_to_select(s, from_items, cond),
                _ => {
                    let mut text = String::from("SELECT \"*Q*\".* FROM ");
                    if !from.is_empty() {
                        text.push_str(&format!("{}, LATERAL ", from.join(", ")));
                    }
                    text.push_str(&format!("({q}) AS \"*Q*\""));
                    if let Some(c) = &cond {
                        text.push_str(&format!(" WHERE {c}"));
                    }
                    **q = parse_query(&text)?;
                }
            },
            _ => {}
        }
        Ok(stmt)
    }

    /// A rule's qualification in the original statement's naming.
    fn original_qual(&self, q: Expr, command: Command) -> PgResult<Expr> {
        self.substitute(q, command, true)
    }

    fn substitute(&self, mut e: Expr, command: Command, original: bool) -> PgResult<Expr> {
        // Bare column names of an INSERT rule's qualification are NEW's,
        // of a DELETE rule's OLD's (PostgreSQL puts only that one in the
        // qualification's namespace).
        let bare = match command {
            Command::Insert => Some("new"),
            Command::Delete => Some("old"),
            Command::Update => None,
        };
        if let Some(b) = bare {
            let names: Vec<String> = self
                .new
                .iter()
                .chain(&self.old)
                .map(|(n, _)| n.clone())
                .collect();
            let _ = ast::visit_expressions_mut(&mut e, |x| {
                if let Expr::Identifier(id) = x
                    && names.contains(&fold(id))
                {
                    *x = Expr::CompoundIdentifier(vec![Ident::new(b), id.clone()]);
                }
                ControlFlow::<()>::Continue(())
            });
        }
        let mut err = None;
        let _ = ast::visit_expressions_mut(&mut e, |x| {
            match self.replace(x, command, original) {
                Ok(Some(r)) => *x = r,
                Ok(None) => {}
                Err(y) => {
                    err = Some(y);
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::<()>::Continue(())
        });
        match err {
            Some(x) => Err(x),
            None => Ok(e),
        }
    }

    /// The replacement of a NEW or OLD reference.
    fn replace(&self, e: &Expr, command: Command, original: bool) -> PgResult<Option<Expr>> {
        let Expr::CompoundIdentifier(parts) = e else {
            return Ok(None);
        };
        let [q, col, rest @ ..] = parts.as_slice() else {
            return Ok(None);
        };
        if q.quote_style.is_some() {
            return Ok(None);
        }
        let list = if q.value.eq_ignore_ascii_case("new") {
            if original {
                &self.new_in_original
            } else {
                &self.new
            }
        } else if q.value.eq_ignore_ascii_case("old") {
            if original {
                &self.old_in_original
            } else {
                &self.old
            }
        } else {
            return Ok(None);
        };
        let _ = command;
        let name = fold(col);
        let Some((_, text)) = list.iter().find(|(n, _)| *n == name) else {
            return Err(PgError::new(
                SqlState::UndefinedColumn,
                format!("column {}.{} does not exist", q.value.to_lowercase(), name),
            ));
        };
        let base = nest(parse_expr(text)?);
        if rest.is_empty() {
            return Ok(Some(base));
        }
        Ok(Some(Expr::CompoundFieldAccess {
            root: Box::new(base),
            access_chain: rest
                .iter()
                .map(|i| ast::AccessExpr::Dot(Expr::Identifier(i.clone())))
                .collect(),
        }))
    }

    /// The original statement with the inverted qualifications of the
    /// conditional INSTEAD rules ANDed in.
    fn with_inverted(
        &self,
        stmt: &Statement,
        inverted: &[Expr],
        _command: Command,
    ) -> PgResult<Statement> {
        if inverted.is_empty() {
            return Ok(stmt.clone());
        }
        let cond = inverted
            .iter()
            .map(|q| Expr::IsNotTrue(Box::new(nest(q.clone()))))
            .reduce(|a, b| Expr::BinaryOp {
                left: Box::new(a),
                op: ast::BinaryOperator::And,
                right: Box::new(b),
            });
        let mut stmt = stmt.clone();
        match &mut stmt {
            Statement::Insert(ins) => {
                // INSERT ... SELECT the written values FROM their row(s)
                // WHERE the qualifications fail.
                let named: Vec<String> = if ins.columns.is_empty() {
                    self.new.iter().map(|(n, _)| n.clone()).collect()
                } else {
                    ins.columns
                        .iter()
                        .map(|c| {
                            c.0.last()
                                .and_then(|p| p.as_ident())
                                .map(fold)
                                .unwrap_or_default()
                        })
                        .collect()
                };
                let items: Vec<String> = named
                    .iter()
                    .filter_map(|n| self.new.iter().find(|(c, _)| c == n))
                    .map(|(_, t)| t.clone())
                    .collect();
                let mut text = format!("SELECT {}", items.join(", "));
                if let Some(rows) = &self.insert_rows {
                    text.push_str(&format!(" FROM {rows}"));
                }
                if let Some(c) = &cond {
                    text.push_str(&format!(" WHERE {c}"));
                }
                if ins.columns.is_empty() {
                    ins.columns = named
                        .iter()
                        .map(|n| ast::ObjectName::from(vec![Ident::with_quote('"', n.clone())]))
                        .collect();
                }
                ins.source = Some(Box::new(parse_query(&text)?));
            }
            Statement::Update(u) => u.selection = and(u.selection.take(), cond),
            Statement::Delete(d) => d.selection = and(d.selection.take(), cond),
            _ => {}
        }
        Ok(stmt)
    }
}

/// `stmt` with NEW and OLD references made typed NULLs, to analyze a
/// rule's action when the rule is made (names and types are checked
/// then, as PostgreSQL's transformRuleStmt does).
pub fn with_null_new_old(stmt: &Statement, rel: &RelationInfo) -> PgResult<Statement> {
    let live: Vec<&catalog::heap_catalog::ColumnInfo> =
        rel.columns.iter().filter(|c| !c.dropped).collect();
    let nulls: Vec<(String, String)> = live
        .iter()
        .map(|c| {
            let t = types::oid::format_type(c.type_oid, c.typmod);
            let text = match t.contains('?') {
                true => "NULL".to_string(),
                false => format!("CAST(NULL AS {t})"),
            };
            (c.name.clone(), text)
        })
        .collect();
    let env = Env {
        new: nulls.clone(),
        old: nulls.clone(),
        new_in_original: nulls.clone(),
        old_in_original: nulls,
        from: Vec::new(),
        conds: Vec::new(),
        insert_rows: None,
    };
    let mut stmt = stmt.clone();
    expand_star(&mut stmt, &env.new, &env.old);
    let mut err = None;
    let _ = ast::visit_expressions_mut(&mut stmt, |e| {
        match env.replace(e, Command::Insert, false) {
            Ok(Some(r)) => *e = r,
            Ok(None) => {}
            Err(x) => {
                err = Some(x);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::<()>::Continue(())
    });
    match err {
        Some(e) => Err(e),
        None => Ok(stmt),
    }
}

/// An INSERT whose VALUES rows hold DEFAULT, with the columns' default
/// expressions (or typed NULLs) written in their place: the rows may have
/// to become a query, where DEFAULT cannot be.
fn fill_defaults(session: &mut Session, stmt: &Statement) -> PgResult<Statement> {
    let Statement::Insert(ins) = stmt else {
        return Ok(stmt.clone());
    };
    let is_default = |e: &Expr| matches!(e, Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"));
    let has_default = ins
        .source
        .as_deref()
        .is_some_and(|q| match q.body.as_ref() {
            SetExpr::Values(v) => v.rows.iter().flat_map(|r| r.iter()).any(is_default),
            _ => false,
        });
    if !has_default {
        return Ok(stmt.clone());
    }
    let ast::TableObject::TableName(name) = &ins.table else {
        return Ok(stmt.clone());
    };
    let (schema, relname) = crate::commands::split_name(name)?;
    let Some(rel) = crate::relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        return Ok(stmt.clone());
    };
    let live: Vec<&catalog::heap_catalog::ColumnInfo> =
        rel.columns.iter().filter(|c| !c.dropped).collect();
    let named: Vec<Option<&catalog::heap_catalog::ColumnInfo>> = if ins.columns.is_empty() {
        live.iter().map(|c| Some(*c)).collect()
    } else {
        ins.columns
            .iter()
            .map(|c| {
                let n = c.0.last().and_then(|p| p.as_ident()).map(fold);
                live.iter().find(|x| Some(&x.name) == n.as_ref()).copied()
            })
            .collect()
    };
    let mut out = stmt.clone();
    if let Statement::Insert(ins) = &mut out
        && let Some(q) = ins.source.as_deref_mut()
        && let SetExpr::Values(v) = q.body.as_mut()
    {
        for row in v.rows.iter_mut() {
            for (j, e) in row.iter_mut().enumerate() {
                if !is_default(e) {
                    continue;
                }
                let Some(Some(c)) = named.get(j) else {
                    continue;
                };
                let t = types::oid::format_type(c.type_oid, c.typmod);
                let text = match (&c.default, c.generated) {
                    (Some(d), '\0') if !t.contains('?') => format!("CAST(({d}) AS {t})"),
                    (Some(d), '\0') => d.clone(),
                    _ if !t.contains('?') => format!("CAST(NULL AS {t})"),
                    _ => "NULL".into(),
                };
                *e = nest(parse_expr(&text)?);
            }
        }
    }
    Ok(out)
}

fn nest(e: Expr) -> Expr {
    match e {
        Expr::Nested(_) | Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Value(_) => e,
        other => Expr::Nested(Box::new(other)),
    }
}

fn and(a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Expr::BinaryOp {
            left: Box::new(nest(a)),
            op: ast::BinaryOperator::And,
            right: Box::new(nest(b)),
        }),
        (a, None) => a,
        (None, b) => b,
    }
}

/// OLD.col in an action: a column of the target relation joined in as
/// `"*OLD*"`, under a name the action's own bare column names cannot
/// reach (PostgreSQL keeps OLD and NEW out of the actions' namespace for
/// unqualified names).
fn old_ref(col: &str, level: usize) -> String {
    format!(
        "{}.{}",
        quote_always(&alias("OLD", level)),
        quote_always(&format!("*old*{col}"))
    )
}

fn new_ref(col: &str, level: usize) -> String {
    format!(
        "{}.{}",
        quote_always(&alias("NEW", level)),
        quote_always(&format!("*new*{col}"))
    )
}

/// The name of a FROM item the rewriter adds: rules applied inside the
/// actions of other rules add theirs under other names.
fn alias(base: &str, level: usize) -> String {
    match level {
        0 => format!("*{base}*"),
        n => format!("*{base}{n}*"),
    }
}

fn quote_always(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The target relation as the `"*OLD*"` FROM item of an action.
fn old_item(
    t: &ast::TableFactor,
    live: &[&catalog::heap_catalog::ColumnInfo],
    level: usize,
) -> String {
    let cols: Vec<String> = live
        .iter()
        .map(|c| quote_always(&format!("*old*{}", c.name)))
        .collect();
    format!(
        "{} AS {}({})",
        table_text(t),
        quote_always(&alias("OLD", level)),
        cols.join(", ")
    )
}

fn table_text(t: &ast::TableFactor) -> String {
    match t {
        ast::TableFactor::Table { name, .. } => name.to_string(),
        other => other.to_string(),
    }
}

/// `e` with the target's columns (bare, or qualified by `refname`)
/// qualified by `"*OLD*"`.
fn requalify(
    mut e: Expr,
    refname: &str,
    live: &[&catalog::heap_catalog::ColumnInfo],
    level: usize,
) -> Expr {
    let old = alias("OLD", level);
    let _ = ast::visit_expressions_mut(&mut e, |x| {
        match x {
            Expr::Identifier(id) if live.iter().any(|c| c.name == fold(id)) => {
                *x = Expr::CompoundIdentifier(vec![
                    Ident::with_quote('"', old.clone()),
                    Ident::with_quote('"', format!("*old*{}", fold(id))),
                ]);
            }
            Expr::CompoundIdentifier(p) if p.len() >= 2 && fold(&p[0]) == refname => {
                p[0] = Ident::with_quote('"', old.clone());
                p[1] = Ident::with_quote('"', format!("*old*{}", fold(&p[1])));
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    e
}

fn parse_query(text: &str) -> PgResult<ast::Query> {
    let mut p = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .map_err(|e| PgError::internal(format!("rule rewrite: {e}: {text}")))?;
    p.parse_query()
        .map(|q| *q)
        .map_err(|e| PgError::internal(format!("rule rewrite: {e}: {text}")))
}

fn from_list(text: &str) -> PgResult<Vec<ast::TableWithJoins>> {
    let q = parse_query(&format!("SELECT 1 FROM {text}"))?;
    match *q.body {
        SetExpr::Select(s) => Ok(s.from),
        _ => Ok(Vec::new()),
    }
}

/// The action's own subqueries in FROM may read NEW and OLD, which the
/// rewriter puts before them: they become LATERAL (PostgreSQL's implicit
/// LATERAL references to OLD and NEW).
fn make_lateral(items: &mut [ast::TableWithJoins]) {
    for t in items {
        if let ast::TableFactor::Derived { lateral, .. } = &mut t.relation {
            *lateral = true;
        }
    }
}

fn add_to_select(s: &mut ast::Select, from: Vec<ast::TableWithJoins>, cond: Option<Expr>) {
    let mut items = from;
    if !items.is_empty() {
        make_lateral(&mut s.from);
    }
    items.append(&mut s.from);
    s.from = items;
    s.selection = and(s.selection.take(), cond);
}

/// `NEW.*` and `OLD.*` in the select lists of an action: the columns.
fn expand_star(stmt: &mut Statement, new: &[(String, String)], old: &[(String, String)]) {
    let select = match stmt {
        Statement::Insert(i) => i.source.as_deref_mut().map(|q| q.body.as_mut()),
        Statement::Query(q) => Some(q.body.as_mut()),
        _ => None,
    };
    let Some(SetExpr::Select(s)) = select else {
        return;
    };
    let mut out = Vec::new();
    for item in std::mem::take(&mut s.projection) {
        let which = match &item {
            SelectItem::QualifiedWildcard(
                ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                _,
            ) => match n.to_string().to_lowercase().as_str() {
                "new" => Some(new),
                "old" => Some(old),
                _ => None,
            },
            _ => None,
        };
        match which {
            Some(list) => {
                for (name, _) in list {
                    out.push(SelectItem::UnnamedExpr(Expr::CompoundIdentifier(vec![
                        Ident::new(match std::ptr::eq(list, new) {
                            true => "new",
                            false => "old",
                        }),
                        Ident::with_quote('"', name.clone()),
                    ])));
                }
            }
            None => out.push(item),
        }
    }
    s.projection = out;
}
