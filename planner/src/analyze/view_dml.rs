//! INSERT, UPDATE and DELETE on automatically updatable views
//! (PostgreSQL's `rewriteTargetView` and `view_query_is_auto_updatable`
//! in `rewrite/rewriteHandler.c`).
//!
//! A view is automatically updatable when its query is one plain SELECT
//! from a single table or view: no WITH, DISTINCT, GROUP BY, HAVING, set
//! operation, LIMIT / OFFSET, and no aggregate, window or set-returning
//! function in its select list. A column of it that is a plain column
//! reference of the base relation is updatable; others may be read (in
//! WHERE and RETURNING) but not written.
//!
//! The statement is rewritten at the level of the syntax tree, before
//! analysis, onto the view's base relation, then analyzed as any DML
//! statement (which rewrites again if the base relation is itself a
//! view):
//!
//! ```text
//!   UPDATE v SET a = a + 1 WHERE b > 0          (v: SELECT x AS a, y + 1 AS b
//!                                                     FROM t WHERE x > 5)
//!   => UPDATE t SET x = (x) + 1 WHERE (x > 5) AND ((y + 1) > 0)
//! ```
//!
//! References to the view's columns (bare, or qualified by the view's
//! name or alias) in the statement's expressions are replaced by the
//! view's defining expressions; the view's WHERE is added to UPDATE and
//! DELETE; INSERT names the base columns. A view that is not updatable
//! is 55000 with PostgreSQL's DETAIL and HINT; writing a column that is
//! not updatable is 0A000.
//!
//! WITH [LOCAL | CASCADED] CHECK OPTION: while an INSERT or UPDATE is
//! rewritten through a view with a check option (or under one with
//! CASCADED), the view's WHERE is noted (`Analyzer::view_checks`),
//! carried down through the views below by the same substitution, and
//! finally analyzed over the base table's row and appended to the target's
//! CHECK constraints under a name marking it a view's
//! ([`VIEW_CHECK_PREFIX`]): the executor reports its failure as
//! PostgreSQL's 44000, after the table's own constraints.
//!
//! INSERT ... ON CONFLICT names base columns as arbiters and in DO
//! UPDATE; `excluded.c` of a view column is its expression over the
//! `excluded` row. Rules are applied before this, by the backend
//! (`backend/src/rewrite.rs`); not yet: INSTEAD OF triggers.

use std::ops::ControlFlow;

use sqlparser::ast::{self, Statement};
use types::{PgError, PgResult, SqlState};

use super::{Analyzer, ident_name, name_parts};
use crate::catalog::RelationDesc;

/// The name prefix of a view's check option among a target's CHECK
/// constraints; the rest is the view's name.
pub const VIEW_CHECK_PREFIX: &str = "\u{1}view:";

/// What the statement does, for PostgreSQL's messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Insert,
    Update,
    Delete,
}

impl Action {
    fn not_updatable(self, view: &str, detail: &str) -> PgError {
        let (what, hint) = match self {
            Action::Insert => (
                format!("cannot insert into view \"{view}\""),
                "To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule.",
            ),
            Action::Update => (
                format!("cannot update view \"{view}\""),
                "To enable updating the view, provide an INSTEAD OF UPDATE trigger or an unconditional ON UPDATE DO INSTEAD rule.",
            ),
            Action::Delete => (
                format!("cannot delete from view \"{view}\""),
                "To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO INSTEAD rule.",
            ),
        };
        PgError::new(SqlState::ObjectNotInPrerequisiteState, what)
            .with_detail(detail)
            .with_hint(hint)
    }
}

/// An automatically updatable view's query, taken apart.
struct ViewShape {
    /// The base relation as the view names it, and its alias there.
    base: ast::TableFactor,
    /// The names the view's expressions use for the base relation.
    base_refname: String,
    /// Per view column (in order): its name and defining expression, and
    /// the base column it is, if it is one.
    columns: Vec<(String, ast::Expr, Option<String>)>,
    selection: Option<ast::Expr>,
}

fn is_set_returning(name: &str) -> bool {
    super::func::catalog()
        .iter()
        .any(|f| f.name == name && f.returns_set.is_some())
}

/// The first reason (PostgreSQL's DETAIL) the select list makes a view
/// not updatable, if any.
fn projection_problem(items: &[ast::SelectItem]) -> Option<&'static str> {
    let mut problem = None;
    for item in items {
        let _ = ast::visit_expressions(item, |e| {
            if let ast::Expr::Function(f) = e {
                let name = f
                    .name
                    .0
                    .last()
                    .and_then(|p| p.as_ident())
                    .map(|i| i.value.to_lowercase())
                    .unwrap_or_default();
                if f.over.is_some() {
                    problem.get_or_insert(
                        "Views that return window functions are not automatically updatable.",
                    );
                } else if super::agg::is_aggregate(&name) {
                    problem.get_or_insert(
                        "Views that return aggregate functions are not automatically updatable.",
                    );
                } else if is_set_returning(&name) {
                    problem.get_or_insert("Views that return set-returning functions are not automatically updatable.");
                }
            }
            ControlFlow::<()>::Continue(())
        });
    }
    problem
}

impl Analyzer<'_> {
    /// `target` with the pending check options of the views the statement
    /// was rewritten through, as CHECK constraints over its row.
    pub(crate) fn with_view_checks(
        &mut self,
        target: std::sync::Arc<RelationDesc>,
    ) -> PgResult<std::sync::Arc<RelationDesc>> {
        if self.view_checks.is_empty() {
            return Ok(target);
        }
        let mut checks = (*target.checks).clone();
        for (view, refname, cond) in std::mem::take(&mut self.view_checks) {
            let text = cond.to_string();
            let mut a = Analyzer::new(&text, &[], true).with_catalog(self.catalog);
            a.set_scope(super::RangeEntry {
                rel: target.clone(),
                refname,
                has_alias: true,
            });
            let x = a.transform_bool(&cond, "WHERE").map_err(|mut e| {
                e.position = None;
                e
            })?;
            checks.push((format!("{VIEW_CHECK_PREFIX}{view}"), x));
        }
        Ok(std::sync::Arc::new(RelationDesc {
            checks: std::sync::Arc::new(checks),
            ..(*target).clone()
        }))
    }

    /// `stmt` rewritten onto the base relation of the view it writes, or
    /// None if its target is no view.
    pub(crate) fn rewrite_view_dml(&mut self, stmt: &Statement) -> PgResult<Option<Statement>> {
        let (action, name) = match stmt {
            Statement::Insert(ins) => match &ins.table {
                ast::TableObject::TableName(n) => (Action::Insert, n.clone()),
                _ => return Ok(None),
            },
            Statement::Update(upd) => match &upd.table.relation {
                ast::TableFactor::Table { name, .. } => (Action::Update, name.clone()),
                _ => return Ok(None),
            },
            Statement::Delete(del) => {
                let from = match &del.from {
                    ast::FromTable::WithFromKeyword(v) | ast::FromTable::WithoutKeyword(v) => v,
                };
                match from.first().map(|t| &t.relation) {
                    Some(ast::TableFactor::Table { name, .. }) => (Action::Delete, name.clone()),
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        let rel = self.lookup_relation(&name)?;
        if rel.relkind != 'v' {
            return Ok(None);
        }
        if self.expanding_views.contains(&rel.oid) {
            return Err(PgError::new(
                SqlState::InvalidObjectDefinition,
                format!(
                    "infinite recursion detected in rules for relation \"{}\"",
                    rel.name
                ),
            ));
        }
        self.expanding_views.push(rel.oid);
        let shape = self.view_shape(&rel, action);
        self.expanding_views.pop();
        let shape = shape?;
        if action != Action::Delete {
            // The conditions gathered so far read this view: carry them to
            // its base relation, then add its own.
            for (_, refname, e) in &mut self.view_checks {
                *e = substitute(e.clone(), refname, &shape);
                *refname = shape.base_refname.clone();
            }
            let option = self.catalog.view_check_option(rel.oid)?;
            if (option.is_some() || self.cascade_view_checks)
                && let Some(w) = &shape.selection
            {
                self.view_checks
                    .push((rel.name.clone(), shape.base_refname.clone(), w.clone()));
            }
            if option == Some('c') {
                self.cascade_view_checks = true;
            }
        }
        let rewritten = match stmt {
            Statement::Insert(ins) => self.rewrite_insert(ins, &rel, &shape)?,
            Statement::Update(upd) => rewrite_update(upd, &rel, &shape)?,
            Statement::Delete(del) => rewrite_delete(del, &rel, &shape),
            _ => return Ok(None),
        };
        Ok(Some(rewritten))
    }

    /// The view's query taken apart, or 55000 if it is not updatable.
    fn view_shape(&mut self, rel: &RelationDesc, action: Action) -> PgResult<ViewShape> {
        let text = rel.view_query.clone().unwrap_or_else(|| "".into());
        let query = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(&text)
            .and_then(|mut p| p.parse_query())
            .map_err(|e| PgError::internal(format!("view \"{}\" does not parse: {e}", rel.name)))?;
        let refuse = |detail: &str| Err(action.not_updatable(&rel.name, detail));
        if query.with.is_some() {
            return refuse("Views containing WITH are not automatically updatable.");
        }
        let ast::SetExpr::Select(select) = query.body.as_ref() else {
            return refuse(
                "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable.",
            );
        };
        if select.distinct.is_some() {
            return refuse("Views containing DISTINCT are not automatically updatable.");
        }
        let grouped = match &select.group_by {
            ast::GroupByExpr::Expressions(v, m) => !v.is_empty() || !m.is_empty(),
            ast::GroupByExpr::All(_) => true,
        };
        if grouped {
            return refuse("Views containing GROUP BY are not automatically updatable.");
        }
        if select.having.is_some() {
            return refuse("Views containing HAVING are not automatically updatable.");
        }
        if query.limit_clause.is_some() || query.fetch.is_some() {
            return refuse("Views containing LIMIT or OFFSET are not automatically updatable.");
        }
        if let Some(detail) = projection_problem(&select.projection) {
            return refuse(detail);
        }
        let single = match select.from.as_slice() {
            [t] if t.joins.is_empty() => match &t.relation {
                ast::TableFactor::Table { args: None, .. } => Some(t.relation.clone()),
                _ => None,
            },
            _ => None,
        };
        let Some(base) = single else {
            return refuse(
                "Views that do not select from a single table or view are not automatically updatable.",
            );
        };
        let ast::TableFactor::Table { name, alias, .. } = &base else {
            return Err(PgError::internal("view base lost"));
        };
        let base_rel = self.lookup_relation(name)?;
        if !matches!(base_rel.relkind, 'r' | 'p' | 'v') {
            return refuse(
                "Views that do not select from a single table or view are not automatically updatable.",
            );
        }
        let base_refname = alias
            .as_ref()
            .map(|a| ident_name(&a.name))
            .unwrap_or_else(|| base_rel.name.clone());
        // The select list, `*` expanded to the base relation's columns.
        let mut items: Vec<(Option<String>, ast::Expr)> = Vec::new();
        for item in &select.projection {
            match item {
                ast::SelectItem::UnnamedExpr(e) => items.push((None, e.clone())),
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    items.push((Some(ident_name(alias)), expr.clone()))
                }
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    for c in base_rel.columns.iter().filter(|c| !c.dropped) {
                        items.push((
                            Some(c.name.clone()),
                            ast::Expr::CompoundIdentifier(vec![
                                ast::Ident::with_quote('"', base_refname.clone()),
                                ast::Ident::with_quote('"', c.name.clone()),
                            ]),
                        ));
                    }
                }
                _ => return Err(PgError::feature_not_supported("this select list in a view")),
            }
        }
        // The view's own names of base columns, qualified: the statement
        // may add FROM items with columns of the same names.
        let qualify = |mut e: ast::Expr| {
            let mut has_subquery = false;
            let _ = ast::visit_expressions(&e, |x| {
                if matches!(
                    x,
                    ast::Expr::Subquery(_)
                        | ast::Expr::Exists { .. }
                        | ast::Expr::In {
                            target: ast::InTarget::Subquery(_),
                            ..
                        }
                ) {
                    has_subquery = true;
                }
                ControlFlow::<()>::Continue(())
            });
            if has_subquery {
                return e;
            }
            let _ = ast::visit_expressions_mut(&mut e, |x| {
                if let ast::Expr::Identifier(id) = x
                    && base_rel.column_index(&ident_name(id)).is_some()
                {
                    *x = ast::Expr::CompoundIdentifier(vec![
                        ast::Ident::with_quote('"', base_refname.clone()),
                        id.clone(),
                    ]);
                }
                ControlFlow::<()>::Continue(())
            });
            e
        };
        let mut columns = Vec::new();
        for (vc, (_, e)) in rel.columns.iter().filter(|c| !c.dropped).zip(items) {
            let e = qualify(e);
            let base_col = match &e {
                ast::Expr::Identifier(id) => Some(ident_name(id)),
                ast::Expr::CompoundIdentifier(ids) if ids.len() == 2 => Some(ident_name(&ids[1])),
                _ => None,
            }
            .filter(|c| base_rel.column_index(c).is_some());
            columns.push((vc.name.clone(), e, base_col));
        }
        if action != Action::Delete && columns.iter().all(|c| c.2.is_none()) {
            return refuse("Views that have no updatable columns are not automatically updatable.");
        }
        let selection = select.selection.clone().map(qualify);
        Ok(ViewShape {
            base,
            base_refname,
            columns,
            selection,
        })
    }

    fn rewrite_insert(
        &mut self,
        ins: &ast::Insert,
        rel: &RelationDesc,
        shape: &ViewShape,
    ) -> PgResult<Statement> {
        if matches!(ins.on, Some(ast::OnInsert::DuplicateKeyUpdate(_))) {
            return Err(PgError::feature_not_supported("ON DUPLICATE KEY UPDATE"));
        }
        let mut targets: Vec<String> = ins
            .columns
            .iter()
            .map(|c| name_parts(c).last().cloned().unwrap_or_default())
            .collect();
        if targets.is_empty() {
            // As many of the view's columns as the rows have values.
            let width = match ins.source.as_deref().map(|q| q.body.as_ref()) {
                Some(ast::SetExpr::Values(v)) => v.rows.first().map(|r| r.len()),
                Some(ast::SetExpr::Select(s))
                    if !s.projection.iter().any(|i| {
                        matches!(
                            i,
                            ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..)
                        )
                    }) =>
                {
                    Some(s.projection.len())
                }
                _ => None,
            };
            targets = shape
                .columns
                .iter()
                .map(|c| c.0.clone())
                .take(width.unwrap_or(usize::MAX))
                .collect();
        }
        let mut columns = Vec::new();
        for t in &targets {
            let Some((_, _, base)) = shape.columns.iter().find(|c| &c.0 == t) else {
                return Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!("column \"{t}\" of relation \"{}\" does not exist", rel.name),
                ));
            };
            let Some(base) = base else {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    format!("cannot insert into column \"{t}\" of view \"{}\"", rel.name),
                )
                .with_detail(
                    "View columns that are not columns of their base relation are not updatable.",
                ));
            };
            if columns
                .iter()
                .any(|c: &ast::ObjectName| name_parts(c).last() == Some(base))
            {
                return Err(multiple_assignments(base));
            }
            columns.push(ast::ObjectName(vec![ast::ObjectNamePart::Identifier(
                ast::Ident::with_quote('"', base.clone()),
            )]));
        }
        let ast::TableFactor::Table { name, .. } = &shape.base else {
            return Err(PgError::internal("view base lost"));
        };
        let mut out = ins.clone();
        out.table = ast::TableObject::TableName(name.clone());
        // The base relation goes by the name the view's expressions use.
        out.table_alias = match &shape.base {
            ast::TableFactor::Table { alias: Some(_), .. } => Some(ast::TableAliasWithoutColumns {
                explicit: true,
                alias: ast::Ident::with_quote('"', shape.base_refname.clone()),
            }),
            _ => None,
        };
        out.columns = columns;
        let refname = ins
            .table_alias
            .as_ref()
            .map(|a| ident_name(&a.alias))
            .unwrap_or_else(|| rel.name.clone());
        if let Some(r) = &mut out.returning {
            *r = substitute_returning(r, &refname, shape);
        }
        if let Some(ast::OnInsert::OnConflict(oc)) = &mut out.on {
            if let Some(ast::ConflictTarget::Columns { columns, predicate }) =
                &mut oc.conflict_target
            {
                for c in columns.iter_mut() {
                    let name = ident_name(c);
                    if let Some((_, _, Some(base))) = shape.columns.iter().find(|v| v.0 == name) {
                        *c = ast::Ident::with_quote('"', base.clone());
                    }
                }
                if let Some(p) = predicate {
                    *p = substitute(p.clone(), &refname, shape);
                }
            }
            if let ast::OnConflictAction::DoUpdate(du) = &mut oc.action {
                du.assignments =
                    map_assignments(&du.assignments, rel, shape, &refname, Action::Insert)?;
                du.selection = du
                    .selection
                    .take()
                    .map(|w| substitute_excluded(substitute(w, &refname, shape), shape));
            }
        }
        Ok(Statement::Insert(out))
    }
}

/// A SET list over the view, over its base relation (in ON CONFLICT DO
/// UPDATE, `excluded` columns too).
fn map_assignments(
    assignments: &[ast::Assignment],
    rel: &RelationDesc,
    shape: &ViewShape,
    refname: &str,
    action: Action,
) -> PgResult<Vec<ast::Assignment>> {
    let mut out = assignments.to_vec();
    let mut assigned: Vec<String> = Vec::new();
    for a in &mut out {
        let ast::AssignmentTarget::ColumnName(target) = &a.target else {
            return Err(PgError::feature_not_supported(
                "multiple-column assignment to a view",
            ));
        };
        let t = name_parts(target).last().cloned().unwrap_or_default();
        let Some((_, _, base)) = shape.columns.iter().find(|c| c.0 == t) else {
            return Err(PgError::new(
                SqlState::UndefinedColumn,
                format!("column \"{t}\" of relation \"{}\" does not exist", rel.name),
            ));
        };
        let Some(base) = base else {
            // ON CONFLICT DO UPDATE is part of an INSERT, in messages too.
            let verb = match action {
                Action::Insert => "insert into",
                _ => "update",
            };
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                format!("cannot {verb} column \"{t}\" of view \"{}\"", rel.name),
            )
            .with_detail(
                "View columns that are not columns of their base relation are not updatable.",
            ));
        };
        if assigned.contains(base) {
            return Err(multiple_assignments(base));
        }
        assigned.push(base.clone());
        a.target = ast::AssignmentTarget::ColumnName(ast::ObjectName(vec![
            ast::ObjectNamePart::Identifier(ast::Ident::with_quote('"', base.clone())),
        ]));
        a.value = substitute_excluded(substitute(a.value.clone(), refname, shape), shape);
    }
    Ok(out)
}

/// `excluded.c` (ON CONFLICT DO UPDATE) of a view column `c`, as the
/// view's expression over the base relation's `excluded` row.
fn substitute_excluded(mut e: ast::Expr, shape: &ViewShape) -> ast::Expr {
    let _ = ast::visit_expressions_mut(&mut e, |x| {
        if let ast::Expr::CompoundIdentifier(ids) = x
            && ids.len() == 2
            && ident_name(&ids[0]) == "excluded"
            && let Some(c) = shape.columns.iter().find(|c| c.0 == ident_name(&ids[1]))
        {
            let mut def = c.1.clone();
            let _ = ast::visit_expressions_mut(&mut def, |y| {
                let col = match y {
                    ast::Expr::Identifier(id) => Some(id.clone()),
                    ast::Expr::CompoundIdentifier(q)
                        if q.len() == 2 && ident_name(&q[0]) == shape.base_refname =>
                    {
                        Some(q[1].clone())
                    }
                    _ => None,
                };
                if let Some(col) = col {
                    *y = ast::Expr::CompoundIdentifier(vec![ast::Ident::new("excluded"), col]);
                }
                ControlFlow::<()>::Continue(())
            });
            *x = ast::Expr::Nested(Box::new(def));
        }
        ControlFlow::<()>::Continue(())
    });
    e
}

fn multiple_assignments(column: &str) -> PgError {
    PgError::new(
        SqlState::SyntaxError,
        format!("multiple assignments to same column \"{column}\""),
    )
}

/// `e` with references to the view's columns replaced by their
/// definitions.
fn substitute(mut e: ast::Expr, refname: &str, shape: &ViewShape) -> ast::Expr {
    let lookup = |col: &str| {
        shape
            .columns
            .iter()
            .find(|c| c.0 == col)
            .map(|c| ast::Expr::Nested(Box::new(c.1.clone())))
    };
    let _ = ast::visit_expressions_mut(&mut e, |x| {
        let replacement = match x {
            ast::Expr::Identifier(id) => lookup(&ident_name(id)),
            ast::Expr::CompoundIdentifier(ids)
                if ids.len() == 2 && ident_name(&ids[0]) == refname =>
            {
                lookup(&ident_name(&ids[1]))
            }
            _ => None,
        };
        if let Some(r) = replacement {
            *x = r;
        }
        ControlFlow::<()>::Continue(())
    });
    e
}

/// A RETURNING list over the view, over the base relation (`*` is the
/// view's columns).
fn substitute_returning(
    items: &[ast::SelectItem],
    refname: &str,
    shape: &ViewShape,
) -> Vec<ast::SelectItem> {
    let mut out = Vec::new();
    for item in items {
        match item {
            ast::SelectItem::UnnamedExpr(e) => {
                // The output column keeps the name the view's gives it.
                let alias = match e {
                    ast::Expr::Identifier(id) => Some(id.clone()),
                    ast::Expr::CompoundIdentifier(ids) => ids.last().cloned(),
                    _ => None,
                };
                let x = substitute(e.clone(), refname, shape);
                out.push(match alias {
                    Some(a) if !matches!(x, ast::Expr::Identifier(_)) => {
                        ast::SelectItem::ExprWithAlias { expr: x, alias: a }
                    }
                    _ => ast::SelectItem::UnnamedExpr(x),
                });
            }
            ast::SelectItem::ExprWithAlias { expr, alias } => {
                out.push(ast::SelectItem::ExprWithAlias {
                    expr: substitute(expr.clone(), refname, shape),
                    alias: alias.clone(),
                })
            }
            ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                for (name, e, _) in &shape.columns {
                    out.push(ast::SelectItem::ExprWithAlias {
                        expr: ast::Expr::Nested(Box::new(e.clone())),
                        alias: ast::Ident::with_quote('"', name.clone()),
                    });
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}

/// The view's WHERE and the statement's, both over the base relation.
fn combined_where(own: &Option<ast::Expr>, refname: &str, shape: &ViewShape) -> Option<ast::Expr> {
    let own = own.clone().map(|w| substitute(w, refname, shape));
    match (shape.selection.clone(), own) {
        (Some(v), Some(o)) => Some(ast::Expr::BinaryOp {
            left: Box::new(ast::Expr::Nested(Box::new(v))),
            op: ast::BinaryOperator::And,
            right: Box::new(ast::Expr::Nested(Box::new(o))),
        }),
        (v, o) => v.or(o),
    }
}

/// The name the statement gives the view (its alias, or its name).
fn refname_of(factor: &ast::TableFactor, rel: &RelationDesc) -> String {
    match factor {
        ast::TableFactor::Table { alias: Some(a), .. } => ident_name(&a.name),
        _ => rel.name.clone(),
    }
}

fn rewrite_update(upd: &ast::Update, rel: &RelationDesc, shape: &ViewShape) -> PgResult<Statement> {
    let refname = refname_of(&upd.table.relation, rel);
    let mut out = upd.clone();
    out.table.relation = shape.base.clone();
    out.assignments = map_assignments(&upd.assignments, rel, shape, &refname, Action::Update)?;
    out.selection = combined_where(&upd.selection, &refname, shape);
    if let Some(r) = &mut out.returning {
        *r = substitute_returning(r, &refname, shape);
    }
    Ok(Statement::Update(out))
}

fn rewrite_delete(del: &ast::Delete, rel: &RelationDesc, shape: &ViewShape) -> Statement {
    let mut out = del.clone();
    let from = match &mut out.from {
        ast::FromTable::WithFromKeyword(v) | ast::FromTable::WithoutKeyword(v) => v,
    };
    let mut refname = rel.name.clone();
    if let Some(first) = from.first_mut() {
        refname = refname_of(&first.relation, rel);
        first.relation = shape.base.clone();
    }
    out.selection = combined_where(&del.selection, &refname, shape);
    if let Some(r) = &mut out.returning {
        *r = substitute_returning(r, &refname, shape);
    }
    Statement::Delete(out)
}
