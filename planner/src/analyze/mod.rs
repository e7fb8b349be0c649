//! Parse analysis: binds a sqlparser statement into a [`PlannedStmt`].
//!
//! - `mod.rs`: statements, queries (`SELECT`, `VALUES`), FROM with one relation,
//!   the select list (`*` and `t.*` expansion), ORDER BY, LIMIT/OFFSET.
//! - `expr.rs`: expressions, column references, literals, operators, functions.
//! - `agg.rs`: aggregate calls, GROUP BY, HAVING and the ungrouped-column check.
//! - `dml.rs`: INSERT, UPDATE, DELETE, defaults and assignment coercion.
//!
//! Valid constructs that are not supported yet (joins, subqueries, ...) fail with
//! 0A000 naming the feature.

pub mod agg;
pub mod array;
pub mod call;
pub mod coerce;
pub mod colname;
pub mod cte;
pub mod dml;
pub mod domain;
pub mod expr;
pub mod from;
pub mod func;
pub mod json;
pub mod merge;
pub mod rowsecurity;
pub mod rowtypes;
pub(crate) mod search_cycle;
pub mod setop;
pub mod srf;
pub mod typename;
pub mod user_agg;
pub mod view_dml;
pub mod viewdef;
pub mod window;

use std::sync::Arc;

use sqlparser::ast::{self, LimitClause, OrderByKind, SelectItem, SetExpr, Spanned, Statement};
use sqlparser::tokenizer::{Location, Span};
use types::oid::{self, *};
use types::{Datum, PgError, PgResult, SqlState};

use crate::catalog::{CatalogView, EmptyCatalog, RelationDesc};
use crate::expr::Expr;
use crate::plan::{
    AggCall, Aggregate, CommandKind, LockMode, RelationLock, RowLockMode, RowLockWait, RowMark,
    Source, WindowPlan,
};
use crate::{Column, Plan, PlannedStmt, SortKey};

static EMPTY_CATALOG: EmptyCatalog = EmptyCatalog;

/// The relation in scope for column references: the FROM item of a SELECT, or
/// the target of INSERT (RETURNING), UPDATE and DELETE.
#[derive(Debug, Clone)]
pub struct RangeEntry {
    pub rel: Arc<RelationDesc>,
    /// The alias if there is one, else the relation's name.
    pub refname: String,
    pub has_alias: bool,
}

/// A select-list (or hidden ORDER BY) expression with the positions of the
/// column references in it, in the order they were analyzed (see `agg.rs`).
pub(crate) struct Target {
    pub expr: Expr,
    pub var_positions: Vec<Option<usize>>,
}

/// State of one statement's analysis.
/// A `GROUPING(...)` call waiting for GROUP BY: the aggregate's index and
/// its arguments (with their positions).
pub(crate) type PendingGrouping = (usize, Vec<(Expr, Option<usize>)>);

pub struct Analyzer<'a> {
    pub query_text: &'a str,
    /// Parameter types; 0 while unresolved.
    pub param_types: Vec<u32>,
    pub param_positions: Vec<Option<usize>>,
    /// If set, `$n` beyond `param_types` is an error (simple query protocol).
    pub fixed_params: bool,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// The text is ASCII: characters are bytes, positions need no counting
    /// (a 1,000-row INSERT would otherwise count characters per value).
    ascii: bool,
    pub(crate) catalog: &'a dyn CatalogView,
    /// The names column references resolve against (see `from.rs`).
    pub(crate) scope: Vec<from::ScopeItem>,
    /// The field paths of the INSERT being analyzed, per target column
    /// (`INSERT INTO t (c.f) ...`; empty for a whole column).
    pub(crate) insert_paths: Vec<Vec<String>>,
    /// Aggregate calls of the query level being analyzed.
    pub(crate) aggs: Vec<AggCall>,
    /// Set where aggregates are not allowed: the clause name for the error.
    pub(crate) agg_forbidden: Option<&'static str>,
    /// Inside an aggregate's argument (a nested aggregate is an error).
    pub(crate) in_agg_arg: bool,
    /// Positions of the column references of the expression being analyzed.
    pub(crate) var_positions: Vec<Option<usize>>,
    /// The relations the statement uses, with their locks.
    pub(crate) relations: Vec<RelationLock>,
    /// The scopes of the query levels around a subquery being analyzed
    /// (a reference to one of them is a correlated subquery, 0A000).
    pub(crate) outer_scopes: Vec<Vec<from::ScopeItem>>,
    /// Per level in `outer_scopes`: the params of the subquery nested in
    /// it (its columns that levels further in read), with the position of
    /// the first reference.
    pub(crate) sub_params: Vec<Vec<(Expr, Option<usize>)>>,
    /// Alongside `sub_params`: whether the subquery at that level reads a
    /// column of a level further out than the one around it (through the
    /// params of a SubPlan further out).
    pub(crate) sub_reaches_out: Vec<bool>,
    /// That flag of the subquery level analyzed last.
    pub(crate) reached_out: bool,
    /// The query level being analyzed has FOR UPDATE / SHARE: its rows come
    /// from its one table, so its WHERE subqueries stay subplans.
    pub(crate) locking: bool,
    /// Select-list literals of unknown type become text (false for the
    /// operands of a set operation, whose types resolve across them).
    pub(crate) resolve_unknowns: bool,
    /// The WITH queries in scope, innermost last.
    pub(crate) ctes: Vec<cte::CteDef>,
    /// Window function calls of the query level being analyzed.
    pub(crate) windows: Vec<crate::plan::WindowFunc>,
    /// The WINDOW clause of the SELECT being analyzed.
    pub(crate) named_windows: Vec<(String, ast::WindowSpec, crate::plan::FrameExclusion)>,
    /// `viewdef`: the named window each window function of the query
    /// level being printed names.
    pub(crate) printed_window_names: Vec<Option<String>>,
    /// `GROUPING(...)` calls waiting for GROUP BY: the aggregate's index
    /// and its argument expressions (with positions).
    pub(crate) pending_grouping: Vec<PendingGrouping>,
    /// Inside a window function's call (a nested one is an error).
    pub(crate) in_window: bool,
    /// Set where window functions are not allowed but aggregates are
    /// (HAVING): the clause name for the error.
    pub(crate) window_forbidden: Option<&'static str>,
    /// In a SQL function's body: its argument names, which read as `$n`.
    pub(crate) param_names: Vec<String>,
    /// How many SQL function bodies this analysis is nested in.
    pub(crate) function_depth: usize,
    /// Analyzing a CALL: the function in FROM of the query it becomes must
    /// be a procedure (and only there may one be called).
    pub(crate) procedure_call: bool,
    /// Set by the FROM function of a CALL just before its candidate is
    /// chosen, taken by [`Self::choose_user_function`].
    pub(crate) allow_procedure: bool,
    /// Set by a call whose last argument is `VARIADIC expr` just before its
    /// function is chosen, taken by [`Self::choose_user_function`] and
    /// [`Self::call_function`].
    pub(crate) variadic_call: bool,
    /// The CALL's procedure: for each of its OUT / INOUT arguments, the
    /// index of the call argument that gives it (None: its default).
    pub(crate) call_outputs: Vec<Option<usize>>,
    /// The views being expanded (their OIDs), innermost last.
    pub(crate) expanding_views: Vec<u32>,
    /// The tables whose row-level security policies are being applied
    /// (`rowsecurity.rs`), innermost last: a policy reaching one again is
    /// infinite recursion.
    pub(crate) rls_expanding: Vec<u32>,
    /// The table whose next scan is the one its row security subquery
    /// reads (not to be expanded again).
    pub(crate) rls_skip: Option<u32>,
    /// Some column use could not be traced (see `plan::ColumnUse`).
    pub(crate) columns_untraced: bool,
    /// The next work table id (for `WITH RECURSIVE`).
    pub(crate) next_worktable: usize,
    /// Set-returning function calls of the select list being analyzed.
    pub(crate) srfs: Vec<crate::plan::SetFunction>,
    /// In the select list or ORDER BY of a SELECT, where set-returning
    /// functions may be called.
    pub(crate) srf_allowed: bool,
    /// In a PL/pgSQL statement: its function's variables.
    pub(crate) variables: Option<&'a dyn crate::catalog::VariableResolver>,
    /// In a domain's CHECK expression: the type and typmod `VALUE` reads
    /// as (`Var 0`).
    pub(crate) domain_value: Option<(u32, i32)>,
    /// Set while a value is coerced into a range type over a domain, before
    /// its bounds are checked against the domain (see `coerce`).
    pub(crate) in_range_domain_coercion: bool,
    /// The WITH CHECK OPTION conditions of the views an INSERT or UPDATE
    /// was rewritten through: (view, name of the relation the condition
    /// reads, condition), see `view_dml`.
    pub(crate) view_checks: Vec<(String, String, ast::Expr)>,
    /// A CASCADED check option was met: every view below is checked.
    pub(crate) cascade_view_checks: bool,
    /// The address of the top-level statement's WITH clause, the one
    /// place a data-modifying statement may appear in (0: none).
    pub(crate) top_with: usize,
    /// The data-modifying WITH statements analyzed so far.
    pub(crate) modifying_ctes: Vec<crate::plan::ModifyingCte>,
    /// The user functions called so far (see `PlannedStmt::functions`).
    pub(crate) functions: Vec<u32>,
    /// The text being analyzed (the statement's, or a view's being
    /// expanded) may name a system column: table scans carry them
    /// (`RelationDesc::system_columns`).
    pub(crate) system_columns: bool,
}

impl<'a> Analyzer<'a> {
    pub fn new(query_text: &'a str, param_types: &[u32], fixed_params: bool) -> Analyzer<'a> {
        let mut line_starts = vec![0];
        for (i, c) in query_text.char_indices() {
            if c == '\n' {
                line_starts.push(i + 1);
            }
        }
        Analyzer {
            system_columns: crate::catalog::mentions_system_column(query_text),
            query_text,
            param_types: param_types.to_vec(),
            param_positions: vec![None; param_types.len()],
            fixed_params,
            line_starts,
            ascii: query_text.is_ascii(),
            catalog: &EMPTY_CATALOG,
            scope: Vec::new(),
            insert_paths: Vec::new(),
            aggs: Vec::new(),
            agg_forbidden: None,
            in_agg_arg: false,
            var_positions: Vec::new(),
            relations: Vec::new(),
            outer_scopes: Vec::new(),
            sub_params: Vec::new(),
            sub_reaches_out: Vec::new(),
            reached_out: false,
            locking: false,
            resolve_unknowns: true,
            ctes: Vec::new(),
            expanding_views: Vec::new(),
            rls_expanding: Vec::new(),
            rls_skip: None,
            columns_untraced: false,
            param_names: Vec::new(),
            function_depth: 0,
            procedure_call: false,
            allow_procedure: false,
            variadic_call: false,
            call_outputs: Vec::new(),
            windows: Vec::new(),
            named_windows: Vec::new(),
            printed_window_names: Vec::new(),
            in_window: false,
            window_forbidden: None,
            next_worktable: 0,
            srfs: Vec::new(),
            srf_allowed: false,
            pending_grouping: Vec::new(),
            variables: None,
            domain_value: None,
            in_range_domain_coercion: false,
            view_checks: Vec::new(),
            cascade_view_checks: false,
            top_with: 0,
            modifying_ctes: Vec::new(),
            functions: Vec::new(),
        }
    }

    /// Resolves names that are no column through a PL/pgSQL function's
    /// variables.
    pub fn with_variables(
        mut self,
        variables: &'a dyn crate::catalog::VariableResolver,
    ) -> Analyzer<'a> {
        self.variables = Some(variables);
        // Transition tables read as WITH queries of constant rows.
        for (name, columns, rows) in variables.ephemeral_tables() {
            let width = columns.len();
            let values = rows
                .iter()
                .map(|r| {
                    columns
                        .iter()
                        .zip(r)
                        .map(|((_, t), v)| Expr::Const {
                            value: v.clone(),
                            type_oid: *t,
                        })
                        .collect()
                })
                .collect();
            self.ctes.push(cte::CteDef {
                name,
                columns: columns
                    .into_iter()
                    .map(|(name, type_oid)| crate::Column {
                        name,
                        type_oid,
                        typmod: -1,
                        table_oid: 0,
                        column_id: 0,
                    })
                    .collect(),
                source: crate::plan::Source::Values(values),
                width,
                used: false,
                level: None,
                no_returning: false,
            });
        }
        self
    }

    /// Resolves relation names through `catalog` (the default knows none).
    pub fn with_catalog(mut self, catalog: &'a dyn CatalogView) -> Analyzer<'a> {
        self.catalog = catalog;
        self
    }

    /// Byte offset of a location (line and column are 1-based, columns in characters).
    pub fn byte_offset(&self, loc: Location) -> Option<usize> {
        if loc.line == 0 {
            return None;
        }
        let start = *self.line_starts.get(loc.line as usize - 1)?;
        let col = loc.column as usize - 1;
        if self.ascii {
            return Some((start + col).min(self.query_text.len()));
        }
        let line = &self.query_text[start..];
        let off = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
        Some(start + off)
    }

    /// The position of the parenthesis that opens a subquery whose span is
    /// `span` (where PostgreSQL points at one).
    pub(crate) fn paren_pos(&self, span: Span) -> Option<usize> {
        let b = self.byte_offset(span.start)?;
        let head = self.query_text[..b].trim_end();
        match head.strip_suffix('(') {
            Some(h) => Some(h.chars().count() + 1),
            None => self.pos(span),
        }
    }

    /// PostgreSQL's cursor position: 1-based character index of the span's start.
    pub fn pos(&self, span: Span) -> Option<usize> {
        let b = self.byte_offset(span.start)?;
        if self.ascii {
            return Some(b + 1);
        }
        Some(self.query_text[..b].chars().count() + 1)
    }

    pub fn analyze_statement(&mut self, stmt: &Statement) -> PgResult<PlannedStmt> {
        let _settings = crate::settings::enter(self.catalog.planner_settings());
        if let Some(rewritten) = self.rewrite_view_dml(stmt)? {
            return self.analyze_statement(&rewritten);
        }
        if let Statement::Query(q) = stmt
            && let Some(w) = &q.with
        {
            self.top_with = w as *const ast::With as usize;
        }
        let (command, columns, plan, modify) = match stmt {
            Statement::Call(f) => return self.analyze_call(f),
            // `WITH ... INSERT / UPDATE / DELETE`: the CTEs are in scope for
            // the statement.
            Statement::Query(q)
                if matches!(
                    q.body.as_ref(),
                    SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_)
                ) =>
            {
                let (SetExpr::Insert(inner) | SetExpr::Update(inner) | SetExpr::Delete(inner)) =
                    q.body.as_ref()
                else {
                    return Err(PgError::feature_not_supported("this kind of query"));
                };
                if q.order_by.is_some() || q.limit_clause.is_some() || !q.locks.is_empty() {
                    return Err(PgError::feature_not_supported("this kind of query"));
                }
                let ctes_before = self.ctes.len();
                let r = match &q.with {
                    Some(w) => self.analyze_with(w).and_then(|()| self.analyze_dml(inner)),
                    None => self.analyze_dml(inner),
                };
                self.ctes.truncate(ctes_before);
                r?
            }
            // `WITH ... MERGE`: the CTEs are in scope for the MERGE.
            Statement::Query(q) if matches!(q.body.as_ref(), SetExpr::Merge(_)) => {
                let SetExpr::Merge(Statement::Merge(m)) = q.body.as_ref() else {
                    return Err(PgError::feature_not_supported("this kind of query"));
                };
                let ctes_before = self.ctes.len();
                let r = match &q.with {
                    Some(w) => self.analyze_with(w).and_then(|()| self.analyze_merge(m)),
                    None => self.analyze_merge(m),
                };
                self.ctes.truncate(ctes_before);
                r?
            }
            Statement::Query(q) => {
                let (columns, plan) = self.analyze_query(q)?;
                (CommandKind::Select, columns, plan, None)
            }
            Statement::Insert(ins) => self.analyze_insert(ins)?,
            Statement::Update(upd) => self.analyze_update(upd)?,
            Statement::Delete(del) => self.analyze_delete(del)?,
            Statement::Merge(m) => self.analyze_merge(m)?,
            other => {
                return Err(PgError::feature_not_supported(format!(
                    "statement \"{}\"",
                    other.to_string().split_whitespace().next().unwrap_or("")
                )));
            }
        };
        self.check_params()?;
        let (plan, modify) =
            crate::indexpath::apply(crate::fold::plan(plan), crate::fold::modify(modify));
        Ok(PlannedStmt {
            columns,
            param_types: self.param_types.clone(),
            command,
            plan,
            modify,
            call: None,
            modifying_ctes: std::mem::take(&mut self.modifying_ctes),
            functions: std::mem::take(&mut self.functions),
            relations: {
                let mut relations = std::mem::take(&mut self.relations);
                if self.columns_untraced {
                    for r in &mut relations {
                        r.columns.unknown = true;
                    }
                }
                relations
            },
        })
    }

    /// INSERT, UPDATE, DELETE or MERGE (through a view: on the table
    /// under it).
    pub(crate) fn analyze_dml(&mut self, stmt: &Statement) -> PgResult<dml::Analyzed> {
        if let Some(rewritten) = self.rewrite_view_dml(stmt)? {
            return self.analyze_dml(&rewritten);
        }
        match stmt {
            Statement::Insert(ins) => self.analyze_insert(ins),
            Statement::Update(upd) => self.analyze_update(upd),
            Statement::Delete(del) => self.analyze_delete(del),
            Statement::Merge(m) => self.analyze_merge(m),
            _ => Err(PgError::feature_not_supported("this kind of query")),
        }
    }

    fn check_params(&self) -> PgResult<()> {
        for (i, t) in self.param_types.iter().enumerate() {
            if *t == 0 {
                let mut e = PgError::new(
                    SqlState::IndeterminateDatatype,
                    format!("could not determine data type of parameter ${}", i + 1),
                );
                e.position = self.param_positions.get(i).copied().flatten();
                return Err(e);
            }
        }
        Ok(())
    }

    /// Notes that the statement uses `rel` with lock `mode` (keeping the strongest).
    pub(crate) fn add_relation(&mut self, rel: &Arc<RelationDesc>, mode: LockMode) {
        match self.relations.iter_mut().find(|r| r.rel.oid == rel.oid) {
            Some(r) => r.mode = r.mode.max(mode),
            None => self.relations.push(RelationLock {
                rel: rel.clone(),
                mode,
                perms: 0,
                view_perms: Vec::new(),
                columns: Default::default(),
            }),
        }
    }

    /// Notes that the statement uses column `index` (in `rel.columns`) of
    /// relation `oid` (`kind`: `r` read, `a` inserted, `w` updated); not
    /// inside a view, whose owner needs table privileges.
    pub(crate) fn note_column(&mut self, oid: u32, index: usize, kind: char) {
        let attnum = index as i16 + 1;
        if oid == 0 || !self.expanding_views.is_empty() {
            return;
        }
        if let Some(r) = self.relations.iter_mut().find(|r| r.rel.oid == oid) {
            let list = match kind {
                'a' => &mut r.columns.insert,
                'w' => &mut r.columns.update,
                _ => &mut r.columns.select,
            };
            if !list.contains(&attnum) {
                list.push(attnum);
            }
        }
    }

    /// Merges the relations of a planned sub-statement (a SQL function's
    /// body) into this statement's, with their privileges.
    pub(crate) fn merge_relation(&mut self, r: RelationLock) {
        self.add_relation(&r.rel, r.mode);
        if let Some(mine) = self.relations.iter_mut().find(|m| m.rel.oid == r.rel.oid) {
            mine.perms |= r.perms;
            mine.view_perms.extend(r.view_perms);
            mine.columns.select.extend(r.columns.select);
            mine.columns.insert.extend(r.columns.insert);
            mine.columns.update.extend(r.columns.update);
            mine.columns.unknown |= r.columns.unknown;
        }
    }

    /// Notes that the statement needs privileges `perms` on relation `oid`
    /// (added before with [`Self::add_relation`]); inside a view, the
    /// view's owner needs them instead.
    pub(crate) fn require_privileges(&mut self, oid: u32, perms: u32) {
        let view = self.expanding_views.last().copied();
        if let Some(r) = self.relations.iter_mut().find(|r| r.rel.oid == oid) {
            match view {
                None => r.perms |= perms,
                Some(v) => match r.view_perms.iter_mut().find(|(o, _)| *o == v) {
                    Some((_, p)) => *p |= perms,
                    None => r.view_perms.push((v, perms)),
                },
            }
        }
    }

    /// Analyzes a query in a fresh scope (the enclosing statement's relation and
    /// aggregates are not visible in it).
    pub(crate) fn analyze_query(&mut self, q: &ast::Query) -> PgResult<(Vec<Column>, Plan)> {
        self.analyze_query_resolving(q, true)
    }

    /// [`Self::analyze_query`]; without `resolve_unknowns` an output of
    /// unknown type (a bare literal) stays unknown (INSERT ... SELECT gives
    /// it the column's type).
    pub(crate) fn analyze_query_resolving(
        &mut self,
        q: &ast::Query,
        resolve_unknowns: bool,
    ) -> PgResult<(Vec<Column>, Plan)> {
        let saved_scope = std::mem::take(&mut self.scope);
        let saved_aggs = std::mem::take(&mut self.aggs);
        let saved_srfs = std::mem::take(&mut self.srfs);
        let saved_grouping = std::mem::take(&mut self.pending_grouping);
        let saved = (
            self.agg_forbidden.take(),
            std::mem::replace(&mut self.in_agg_arg, false),
            std::mem::replace(&mut self.resolve_unknowns, resolve_unknowns),
        );
        let srf_allowed = std::mem::replace(&mut self.srf_allowed, false);
        let locking = std::mem::replace(&mut self.locking, !q.locks.is_empty());
        let r = self.analyze_query_inner(q);
        self.locking = locking;
        self.scope = saved_scope;
        self.aggs = saved_aggs;
        self.srfs = saved_srfs;
        self.pending_grouping = saved_grouping;
        self.srf_allowed = srf_allowed;
        (self.agg_forbidden, self.in_agg_arg, self.resolve_unknowns) = saved;
        r
    }

    fn analyze_query_inner(&mut self, q: &ast::Query) -> PgResult<(Vec<Column>, Plan)> {
        let ctes_before = self.ctes.len();
        let r = match &q.with {
            Some(w) => self
                .analyze_with(w)
                .and_then(|()| self.analyze_query_body(q)),
            None => self.analyze_query_body(q),
        };
        self.ctes.truncate(ctes_before);
        r
    }

    fn analyze_query_body(&mut self, q: &ast::Query) -> PgResult<(Vec<Column>, Plan)> {
        if q.fetch.is_some() {
            return Err(PgError::feature_not_supported("FETCH FIRST"));
        }
        let order_by: &[ast::OrderByExpr] = match &q.order_by {
            None => &[],
            Some(ob) => match &ob.kind {
                OrderByKind::Expressions(items) => items,
                OrderByKind::All(_) => return Err(PgError::feature_not_supported("ORDER BY ALL")),
            },
        };
        let (columns, mut plan) = match q.body.as_ref() {
            SetExpr::Select(s) => self.analyze_select(s, order_by)?,
            SetExpr::Values(v) => self.analyze_values(v, order_by)?,
            SetExpr::Query(inner) if q.order_by.is_none() && q.limit_clause.is_none() => {
                return self.analyze_query_inner(inner);
            }
            SetExpr::SetOperation { .. } => self.analyze_set_operation(&q.body, order_by)?,
            SetExpr::Table(t) => self.analyze_table_command(t, order_by)?,
            SetExpr::Merge(_) => {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    "MERGE not supported in WITH query",
                ));
            }
            _ => return Err(PgError::feature_not_supported("this kind of query")),
        };
        match &q.limit_clause {
            None => {}
            Some(LimitClause::LimitOffset {
                limit: l,
                offset: o,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return Err(PgError::feature_not_supported("LIMIT BY"));
                }
                if let Some(l) = l {
                    plan.limit = Some(self.count_expr(l, "LIMIT")?);
                }
                if let Some(o) = o {
                    plan.offset = Some(self.count_expr(&o.value, "OFFSET")?);
                }
            }
            Some(LimitClause::OffsetCommaLimit { .. }) => {
                return Err(PgError::syntax("LIMIT #,# syntax is not supported", None)
                    .with_hint("Use separate LIMIT and OFFSET clauses."));
            }
        }
        if !q.locks.is_empty() {
            rowsecurity::pull_up_for_locking(&mut plan);
            plan.row_lock = self.analyze_locking(&q.locks, q.body.as_ref(), &plan)?;
        }
        Ok((columns, plan))
    }

    /// The locking clauses of a query (`transformLockingClause` and
    /// `CheckSelectLocking`): each applies to the one relation in FROM (all
    /// of them without `OF`); together they ask for the strongest mode and
    /// the strongest wait policy. A query without FROM locks nothing.
    fn analyze_locking(
        &mut self,
        locks: &[ast::LockClause],
        body: &SetExpr,
        plan: &Plan,
    ) -> PgResult<Option<RowMark>> {
        let mut mark: Option<RowMark> = None;
        for lc in locks {
            // FOR NO KEY UPDATE / FOR KEY SHARE arrive as FOR UPDATE / SHARE
            // with a marker as the first OF name (crate::KEY_LOCK_MARKERS).
            let marker = lc.of.as_ref().and_then(|of| match of.0.first() {
                Some(ast::ObjectNamePart::Identifier(id)) => {
                    crate::KEY_LOCK_MARKERS.iter().position(|m| *m == id.value)
                }
                _ => None,
            });
            let stripped;
            let lc = match marker {
                Some(_) => {
                    let rest: Vec<ast::ObjectNamePart> = lc
                        .of
                        .as_ref()
                        .map(|of| of.0[1..].to_vec())
                        .unwrap_or_default();
                    stripped = ast::LockClause {
                        lock_type: lc.lock_type,
                        of: (!rest.is_empty()).then_some(ast::ObjectName(rest)),
                        nonblock: lc.nonblock,
                    };
                    &stripped
                }
                None => lc,
            };
            let mode = match (&lc.lock_type, marker) {
                (ast::LockType::Update, Some(0)) => RowLockMode::NoKeyUpdate,
                (ast::LockType::Share, Some(1)) => RowLockMode::KeyShare,
                (ast::LockType::Update, _) => RowLockMode::Update,
                (ast::LockType::Share, _) => RowLockMode::Share,
            };
            let wait = match lc.nonblock {
                None => RowLockWait::Block,
                Some(ast::NonBlock::Nowait) => RowLockWait::NoWait,
                Some(ast::NonBlock::SkipLocked) => RowLockWait::SkipLocked,
            };
            let clause = mode.clause();
            let not_allowed = |what: &str| {
                PgError::new(
                    SqlState::FeatureNotSupported,
                    format!("{clause} is not allowed with {what}"),
                )
            };
            match body {
                SetExpr::Values(_) => {
                    return Err(PgError::new(
                        SqlState::FeatureNotSupported,
                        format!("{clause} cannot be applied to VALUES"),
                    ));
                }
                SetExpr::Select(_) | SetExpr::Table(_) => {}
                _ => return Err(not_allowed("UNION/INTERSECT/EXCEPT")),
            }
            if plan.distinct || !plan.distinct_on.is_empty() {
                return Err(not_allowed("DISTINCT clause"));
            }
            if let Some(agg) = &plan.aggregate {
                if !agg.group_by.is_empty() {
                    return Err(not_allowed("GROUP BY clause"));
                }
                if agg.having.is_some() {
                    return Err(not_allowed("HAVING clause"));
                }
                return Err(not_allowed("aggregate functions"));
            }
            if plan.windows.is_some() {
                return Err(not_allowed("window functions"));
            }
            if matches!(plan.source, Source::Subquery { .. }) {
                return Err(PgError::feature_not_supported(format!(
                    "{clause} with a subquery in FROM"
                )));
            }
            if matches!(plan.source, Source::WorkTable { .. }) {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    "FOR UPDATE/SHARE in a recursive query is not implemented",
                ));
            }
            if matches!(plan.source, Source::Join(_)) {
                return Err(PgError::feature_not_supported(format!(
                    "{clause} with several FROM items"
                )));
            }
            // A function's rows cannot be locked: without OF the clause
            // leaves them alone, naming the function is an error.
            if let (Source::Series(_) | Source::Function(_), Some(of)) = (&plan.source, &lc.of)
                && let [ast::ObjectNamePart::Identifier(id)] = of.0.as_slice()
                && self
                    .scope
                    .first()
                    .is_some_and(|i| i.entry.refname == ident_name(id))
            {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    format!("{clause} cannot be applied to a function"),
                )
                .or_position(self.pos(of.span())));
            }
            let Source::SeqScan(rel) = &plan.source else {
                if let Some(of) = &lc.of {
                    return Err(self.lock_target_not_found(of, clause));
                }
                continue;
            };
            if rel.relkind == 'm' {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("cannot lock rows in materialized view \"{}\"", rel.name),
                ));
            }
            if let Some(of) = &lc.of {
                let pos = self.pos(of.span());
                let [ast::ObjectNamePart::Identifier(id)] = of.0.as_slice() else {
                    return Err(PgError::syntax(
                        format!("{clause} must specify unqualified relation names"),
                        pos,
                    ));
                };
                let refname = self
                    .scope
                    .first()
                    .map(|i| i.entry.refname.clone())
                    .unwrap_or_else(|| rel.name.clone());
                if ident_name(id) != refname {
                    return Err(self.lock_target_not_found(of, clause));
                }
            }
            match &mut mark {
                Some(m) => {
                    m.mode = m.mode.max(mode);
                    m.wait = m.wait.max(wait);
                }
                None => {
                    mark = Some(RowMark {
                        rel: rel.clone(),
                        mode,
                        wait,
                    })
                }
            }
        }
        if let Some(m) = &mark {
            self.add_relation(&m.rel, LockMode::RowShare);
            // FOR UPDATE / FOR SHARE: PostgreSQL's ACL_SELECT_FOR_UPDATE.
            self.require_privileges(m.rel.oid, catalog::acl::ACL_UPDATE);
        }
        Ok(mark)
    }

    fn lock_target_not_found(&self, of: &ast::ObjectName, clause: &str) -> PgError {
        PgError::new(
            SqlState::UndefinedTable,
            format!(
                "relation \"{}\" in {clause} clause not found in FROM clause",
                object_name_last(of)
            ),
        )
        .or_position(self.pos(of.span()))
    }

    fn count_expr(&mut self, e: &ast::Expr, what: &'static str) -> PgResult<Expr> {
        let pos = self.pos(e.span());
        let saved = self.agg_forbidden.replace(what);
        self.var_positions.clear();
        let x = self.transform(e);
        self.agg_forbidden = saved;
        let x = x?;
        // LIMIT and OFFSET are evaluated once, before any row is read
        let mut has_var = false;
        x.walk(&mut |n| has_var |= matches!(n, Expr::Var { .. }));
        if has_var {
            return Err(PgError::new(
                SqlState::InvalidColumnReference,
                format!("argument of {what} must not contain variables"),
            )
            .or_position(self.var_positions.first().copied().flatten()));
        }
        if x.type_oid() == INT8 {
            return Ok(x);
        }
        match self.coerce(x, INT8, -1, false, pos) {
            Ok(x) => Ok(x),
            Err(err) if err.code == SqlState::CannotCoerce => Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "argument of {what} must be type bigint, not type {}",
                    err.message.split(' ').nth(3).unwrap_or("?")
                ),
            )
            .or_position(pos)),
            Err(err) => Err(err),
        }
    }

    /// Transforms an expression of a select list (or ORDER BY, HAVING), noting
    /// the positions of its column references for the grouping check.
    pub(crate) fn transform_target(&mut self, e: &ast::Expr) -> PgResult<Target> {
        self.var_positions.clear();
        let pos = self.pos(e.span());
        let mut x = self.transform(e)?;
        if x.type_oid() == UNKNOWN && self.resolve_unknowns {
            x = self.coerce(x, TEXT, -1, false, pos)?;
        }
        Ok(Target {
            expr: x,
            var_positions: std::mem::take(&mut self.var_positions),
        })
    }

    /// ORDER BY item: an output column number or name, or an expression (appended
    /// to the targets as a hidden column).
    fn order_by_column(
        &mut self,
        e: &ast::Expr,
        columns: &[Column],
        targets: &mut Vec<Target>,
    ) -> PgResult<usize> {
        if let ast::Expr::Value(v) = e
            && let ast::Value::Number(n, _) = &v.value
        {
            let pos = self.pos(v.span);
            let k: i64 = n.parse().map_err(|_| {
                PgError::new(SqlState::SyntaxError, "non-integer constant in ORDER BY")
                    .or_position(pos)
            })?;
            if k < 1 || k as usize > columns.len() {
                return Err(PgError::new(
                    SqlState::InvalidColumnReference,
                    format!("ORDER BY position {k} is not in select list"),
                )
                .or_position(pos));
            }
            return Ok(k as usize - 1);
        }
        if let ast::Expr::Identifier(id) = e {
            let name = if id.quote_style.is_some() {
                id.value.clone()
            } else {
                id.value.to_lowercase()
            };
            let matches: Vec<usize> = columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.name == name)
                .map(|(i, _)| i)
                .collect();
            if matches.len() > 1 {
                // several output columns of that name are fine if they are the same expression
                let first = &targets[matches[0]].expr;
                if matches.iter().any(|&i| targets[i].expr != *first) {
                    return Err(PgError::new(
                        SqlState::AmbiguousColumn,
                        format!("ORDER BY \"{name}\" is ambiguous"),
                    )
                    .or_position(self.pos(id.span)));
                }
            }
            if let Some(&i) = matches.first() {
                return Ok(i);
            }
        }
        let t = self.transform_target(e)?;
        // an expression equal to an output column sorts by that column
        if let Some(i) = targets[..columns.len()]
            .iter()
            .position(|x| x.expr == t.expr)
        {
            return Ok(i);
        }
        targets.push(t);
        Ok(targets.len() - 1)
    }

    /// Analyzes a subquery as a query level of its own: its own scope and
    /// aggregates; parameters and the relations to lock are shared. A
    /// column of a level around it becomes an `OuterParam`, its value one
    /// of the params returned (expressions over this level's row) for the
    /// `SubPlan` to pass in.
    pub(crate) fn analyze_subquery(
        &mut self,
        q: &ast::Query,
    ) -> PgResult<(Vec<Column>, Plan, Vec<Expr>)> {
        let ((columns, plan), params) = self.in_subquery_level(|a| a.analyze_query(q))?;
        let (plan, _) = crate::indexpath::apply(plan, None);
        Ok((columns, plan, params))
    }

    /// [`Self::analyze_subquery`] for a subquery in an expression (a
    /// SubPlan). One that reads a level further out than this one, but
    /// nothing of this one, is not an InitPlan (whose value is kept for the
    /// whole statement): it gets a constant param it ignores, which the
    /// executor reads as "keep the value while the query level around
    /// this one runs with the same outer values" (only such subplans have
    /// constant params).
    pub(crate) fn analyze_sublink(
        &mut self,
        q: &ast::Query,
    ) -> PgResult<(Vec<Column>, Plan, Vec<Expr>)> {
        let (columns, plan, mut params) = self.analyze_subquery(q)?;
        if self.reached_out && params.is_empty() {
            params.push(Expr::null(types::oid::BOOL));
        }
        Ok((columns, plan, params))
    }

    /// Runs `f` as the analysis of a query level nested in this one (see
    /// [`Self::analyze_subquery`]): the params it needs come back with its
    /// result.
    pub(crate) fn in_subquery_level<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> PgResult<T>,
    ) -> PgResult<(T, Vec<Expr>)> {
        let scope = std::mem::take(&mut self.scope);
        let saved = (
            std::mem::take(&mut self.aggs),
            self.agg_forbidden.take(),
            std::mem::replace(&mut self.in_agg_arg, false),
            std::mem::take(&mut self.var_positions),
        );
        self.outer_scopes.push(scope);
        self.sub_params.push(Vec::new());
        self.sub_reaches_out.push(false);
        let analyzed = f(self);
        let params = self.sub_params.pop().unwrap_or_default();
        self.reached_out = self.sub_reaches_out.pop().unwrap_or(false);
        self.scope = self.outer_scopes.pop().unwrap_or_default();
        (
            self.aggs,
            self.agg_forbidden,
            self.in_agg_arg,
            self.var_positions,
        ) = saved;
        let value = analyzed?;
        // The params' column references belong to this level (for the
        // grouping check, which counts them in tree order).
        if !self.in_agg_arg {
            for (e, pos) in &params {
                let n = from::var_count(e);
                self.var_positions.extend(std::iter::repeat_n(*pos, n));
            }
        }
        Ok((value, params.into_iter().map(|(e, _)| e).collect()))
    }

    /// Finds a relation by (possibly qualified) name: 42P01 if there is none.
    /// 42P01 (at `pos`) if the text of a `regclass` literal names no relation.
    pub(crate) fn check_regclass_literal(&self, text: &str, pos: Option<usize>) -> PgResult<()> {
        let t = text.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(());
        }
        let parts = crate::catalog::parse_qualified_name(text).map_err(|e| e.or_position(pos))?;
        let found = match parts.as_slice() {
            [n] => self.catalog.lookup_relation(None, n)?,
            [s, n] => self.catalog.lookup_relation(Some(s), n)?,
            // Reported by the cast itself.
            _ => return Ok(()),
        };
        if found.is_none() {
            return Err(PgError::new(
                SqlState::UndefinedTable,
                format!("relation \"{}\" does not exist", parts.join(".")),
            )
            .or_position(pos));
        }
        Ok(())
    }

    /// 42809 for a target of INSERT, UPDATE or DELETE that is not a table.
    pub(crate) fn check_modifiable(rel: &RelationDesc) -> PgResult<()> {
        match rel.relkind {
            'S' => Err(PgError::new(
                SqlState::WrongObjectType,
                format!("cannot change sequence \"{}\"", rel.name),
            )),
            'v' => Err(PgError::feature_not_supported(format!(
                "changing the rows of view \"{}\" (automatically updatable views)",
                rel.name
            ))),
            'm' => Err(PgError::new(
                SqlState::WrongObjectType,
                format!("cannot change materialized view \"{}\"", rel.name),
            )),
            _ => Ok(()),
        }
    }

    pub(crate) fn lookup_relation(
        &mut self,
        name: &ast::ObjectName,
    ) -> PgResult<Arc<RelationDesc>> {
        let pos = self.pos(name.span());
        let parts: Vec<String> = name_parts(name);
        let (schema, rel) = match parts.as_slice() {
            [n] => (None, n.as_str()),
            [s, n] => (Some(s.as_str()), n.as_str()),
            _ => {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    format!(
                        "cross-database references are not implemented: {}",
                        parts.join(".")
                    ),
                )
                .or_position(pos));
            }
        };
        let found = self.catalog.lookup_relation(schema, rel)?;
        let Some(found) = found else {
            return Err(PgError::new(
                SqlState::UndefinedTable,
                format!("relation \"{}\" does not exist", parts.join(".")),
            )
            .or_position(pos));
        };
        if !matches!(found.relkind, 'r' | 'p' | 'S' | 'v' | 'm' | 'f') {
            return Err(PgError::feature_not_supported(format!(
                "using relation \"{}\" of kind '{}' in a query",
                found.name, found.relkind
            ))
            .or_position(pos));
        }
        if found.relkind == 'f' {
            self.catalog.check_foreign_scan(found.oid)?;
        }
        Ok(found)
    }

    /// A select list (of SELECT or RETURNING): output columns and their expressions.
    pub(crate) fn analyze_select_list(
        &mut self,
        items: &[SelectItem],
    ) -> PgResult<(Vec<Column>, Vec<Target>)> {
        let mut columns = Vec::new();
        let mut targets = Vec::new();
        for item in items {
            let item_pos = self.pos(item.span());
            if let SelectItem::UnnamedExpr(e) = item
                && let Some(fields) = self.field_star_targets(e)?
            {
                for (name, t) in fields {
                    columns.push(Column {
                        name,
                        type_oid: t.expr.type_oid(),
                        typmod: t.expr.typmod(),
                        table_oid: 0,
                        column_id: 0,
                    });
                    targets.push(t);
                }
                continue;
            }
            let (e, name) = match item {
                SelectItem::UnnamedExpr(e) => (e, colname::figure_colname(e)),
                SelectItem::ExprWithAlias { expr, alias } => (expr, ident_name(alias)),
                SelectItem::Wildcard(opts) => {
                    if opts.opt_exclude.is_some()
                        || opts.opt_except.is_some()
                        || opts.opt_replace.is_some()
                    {
                        return Err(PgError::feature_not_supported("this select-list item"));
                    }
                    self.expand_star(None, item_pos, &mut columns, &mut targets)?;
                    continue;
                }
                SelectItem::QualifiedWildcard(
                    ast::SelectItemQualifiedWildcardKind::ObjectName(q),
                    _,
                ) => {
                    self.expand_star(Some(q), item_pos, &mut columns, &mut targets)?;
                    continue;
                }
                _ => return Err(PgError::feature_not_supported("this select-list item")),
            };
            let t = self.transform_target(e)?;
            let (table_oid, column_id) = self.column_origin(&t.expr);
            columns.push(Column {
                name,
                type_oid: t.expr.type_oid(),
                typmod: t.expr.typmod(),
                table_oid,
                column_id,
            });
            targets.push(t);
        }
        Ok((columns, targets))
    }

    fn analyze_select(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
    ) -> PgResult<(Vec<Column>, Plan)> {
        if s.into.is_some() {
            return Err(PgError::feature_not_supported("SELECT INTO"));
        }
        let distinct = matches!(s.distinct, Some(ast::Distinct::Distinct));
        let source = self.analyze_from(&s.from)?;
        self.set_named_windows(&s.named_window)?;
        let filter = match &s.selection {
            Some(w) => {
                let saved = self.agg_forbidden.replace("WHERE");
                let f = self.transform_bool(w, "WHERE");
                self.agg_forbidden = saved;
                Some(f?)
            }
            None => None,
        };
        self.srf_allowed = true;
        let listed = self.analyze_select_list(&s.projection);
        self.srf_allowed = false;
        let (columns, mut targets) = listed?;
        let (group_by, sets) = match self.analyze_group_by(&s.group_by, &s.projection, &targets)? {
            Some((g, sets)) => (Some(g), sets),
            None => (None, Vec::new()),
        };
        let having = match &s.having {
            Some(h) => {
                self.var_positions.clear();
                let saved = self.window_forbidden.replace("HAVING");
                let x = self.transform_bool(h, "HAVING");
                self.window_forbidden = saved;
                let x = x?;
                Some(Target {
                    expr: x,
                    var_positions: std::mem::take(&mut self.var_positions),
                })
            }
            None => None,
        };
        self.srf_allowed = true;
        let sort = self.analyze_order_by(order_by, &columns, &mut targets);
        self.srf_allowed = false;
        let sort = sort?;
        let distinct_on = match &s.distinct {
            Some(ast::Distinct::On(exprs)) => {
                self.distinct_on(exprs, &columns, &mut targets, &sort)?
            }
            _ => Vec::new(),
        };
        if distinct
            && let Some(i) = targets
                .iter()
                .position(|t| types::oid::is_geometric(t.expr.type_oid()))
        {
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!(
                    "could not identify an equality operator for type {}",
                    types::oid::type_name(targets[i].expr.type_oid())
                ),
            )
            .or_position(s.projection.get(i).and_then(|p| self.pos(p.span()))));
        }
        if distinct && targets.len() > columns.len() {
            return Err(PgError::new(
                SqlState::InvalidColumnReference,
                "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
            )
            .or_position(order_by.first().and_then(|o| self.pos(o.expr.span()))));
        }
        let grouped = group_by.is_some() || having.is_some() || !self.aggs.is_empty();
        let (aggregate, targets, windows, project_set) = if grouped {
            let group_by = group_by.unwrap_or_default();
            self.resolve_grouping(&group_by)?;
            let targets = targets
                .into_iter()
                .map(|t| self.regroup(t, &group_by))
                .collect::<PgResult<Vec<_>>>()?;
            let having = having.map(|h| self.regroup(h, &group_by)).transpose()?;
            // Window functions see the aggregated row.
            let width = group_by.len() + self.aggs.len();
            let (targets, windows) = self.finish_windows(targets, width, Some(&group_by))?;
            let set_width = windows.as_ref().map_or(width, WindowPlan::output_width);
            let (targets, project_set) =
                self.finish_project_set(targets, set_width, width, Some(&group_by))?;
            let aggs = std::mem::take(&mut self.aggs);
            (
                Some(Aggregate {
                    group_by,
                    sets,
                    aggs,
                    having,
                    sorted: false,
                }),
                targets,
                windows,
                project_set,
            )
        } else {
            let width = self
                .scope
                .iter()
                .map(|i| i.offset + i.entry.rel.columns.len())
                .max()
                .unwrap_or(0);
            let targets = targets.into_iter().map(|t| t.expr).collect();
            let (targets, windows) = self.finish_windows(targets, width, None)?;
            let set_width = windows.as_ref().map_or(width, WindowPlan::output_width);
            let (targets, project_set) =
                self.finish_project_set(targets, set_width, width, None)?;
            (None, targets, windows, project_set)
        };
        let mut plan = Plan {
            source,
            filter,
            aggregate,
            windows,
            project_set,
            targets,
            order_by: sort,
            limit: None,
            offset: None,
            distinct,
            distinct_on,
            row_lock: None,
        };
        let source_width = self
            .scope
            .iter()
            .map(|i| i.offset + i.entry.rel.columns.len())
            .max()
            .unwrap_or(0);
        if let [item] = self.scope.as_slice()
            && item.entry.rel.oid != 0
        {
            rowsecurity::pull_up(&mut plan, Some(item.entry.rel.oid));
        }
        if !self.locking {
            crate::subselect::pull_up_sublinks(&mut plan, source_width);
            crate::joinorder::reorder(&mut plan);
        }
        crate::joinpath::plan(&mut plan)?;
        Ok((columns, plan))
    }

    /// `TABLE name`: `SELECT * FROM name`.
    fn analyze_table_command(
        &mut self,
        t: &ast::Table,
        order_by: &[ast::OrderByExpr],
    ) -> PgResult<(Vec<Column>, Plan)> {
        let name = t.table_name.as_ref().map(ident_name).unwrap_or_default();
        let schema = t.schema_name.as_ref().map(ident_name);
        let Some(rel) = self.catalog.lookup_relation(schema.as_deref(), &name)? else {
            let full = match schema {
                Some(s) => format!("{s}.{name}"),
                None => name.to_string(),
            };
            let span = t
                .schema_name
                .as_ref()
                .or(t.table_name.as_ref())
                .map(|i| i.span);
            return Err(PgError::new(
                SqlState::UndefinedTable,
                format!("relation \"{full}\" does not exist"),
            )
            .or_position(span.and_then(|s| self.pos(s))));
        };
        if !matches!(rel.relkind, 'r' | 'm') {
            return Err(PgError::feature_not_supported(format!(
                "TABLE of relation \"{}\" of kind '{}'",
                rel.name, rel.relkind
            )));
        }
        self.add_relation(&rel, LockMode::AccessShare);
        self.require_privileges(rel.oid, catalog::acl::ACL_SELECT);
        self.set_scope(RangeEntry {
            rel: rel.clone(),
            refname: rel.name.clone(),
            has_alias: false,
        });
        let mut columns = Vec::new();
        let mut targets = Vec::new();
        self.expand_star(None, None, &mut columns, &mut targets)?;
        let sort = self.analyze_order_by(order_by, &columns, &mut targets)?;
        let targets = targets.into_iter().map(|t| t.expr).collect();
        Ok((
            columns,
            Plan {
                source: Source::SeqScan(rel),
                targets,
                order_by: sort,
                ..Plan::empty()
            },
        ))
    }

    /// `DISTINCT ON (exprs)`: their target columns (output columns by
    /// number or name, else hidden ones), which must be the leftmost ORDER
    /// BY keys when there is an ORDER BY (42P10 otherwise, as PostgreSQL).
    fn distinct_on(
        &mut self,
        exprs: &[ast::Expr],
        columns: &[Column],
        targets: &mut Vec<Target>,
        sort: &[SortKey],
    ) -> PgResult<Vec<usize>> {
        let mut keys = Vec::new();
        for e in exprs {
            let k = self.order_by_column(e, columns, targets)?;
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        if !sort.is_empty() {
            let mut left: Vec<usize> = keys.clone();
            for s in sort {
                if left.is_empty() {
                    break;
                }
                match left.iter().position(|&k| k == s.column) {
                    Some(i) => {
                        left.remove(i);
                    }
                    None => {
                        return Err(PgError::new(
                            SqlState::InvalidColumnReference,
                            "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
                        )
                        .or_position(exprs.first().and_then(|e| self.pos(e.span()))));
                    }
                }
            }
        }
        Ok(keys)
    }

    fn analyze_order_by(
        &mut self,
        order_by: &[ast::OrderByExpr],
        columns: &[Column],
        targets: &mut Vec<Target>,
    ) -> PgResult<Vec<SortKey>> {
        let mut keys = Vec::new();
        for item in order_by {
            if item.with_fill.is_some() {
                return Err(PgError::feature_not_supported("WITH FILL"));
            }
            let column = self.order_by_column(&item.expr, columns, targets)?;
            let key_type = targets[column].expr.type_oid();
            // The geometric types have no btree operator class.
            if types::oid::is_geometric(key_type)
                && !matches!(item.options.sort, Some(ast::OrderBySort::Using(_)))
            {
                return Err(PgError::new(
                    SqlState::UndefinedFunction,
                    format!(
                        "could not identify an ordering operator for type {}",
                        types::oid::type_name(key_type)
                    ),
                )
                .with_hint("Use an explicit ordering operator or modify the query.")
                .or_position(self.pos(item.expr.span())));
            }
            let descending = self.sort_descending(item, key_type)?;
            let nulls_first = item.options.nulls_first.unwrap_or(descending);
            keys.push(SortKey {
                column,
                descending,
                nulls_first,
            });
        }
        Ok(keys)
    }

    /// Whether one ORDER BY item sorts descending: DESC, or `USING op` with
    /// an operator that is the "greater" member of a btree family for the
    /// key's type (PostgreSQL's `addTargetToSortList`). The operator must
    /// exist for (type, type) (42883 otherwise), and be `<` or `>` (or the
    /// pattern operators `~<~` / `~>~`, which order as `<` / `>` under the
    /// C collation every database here uses): any other is 42809.
    pub(crate) fn sort_descending(
        &mut self,
        item: &ast::OrderByExpr,
        key_type: u32,
    ) -> PgResult<bool> {
        let op = match &item.options.sort {
            None | Some(ast::OrderBySort::Asc) => return Ok(false),
            Some(ast::OrderBySort::Desc) => return Ok(true),
            Some(ast::OrderBySort::Using(op)) => op,
        };
        let parts = name_parts(op);
        let sym = parts.last().map_or("", String::as_str);
        let pos = self.using_operator_pos(item);
        if parts.len() > 1 && parts[0] != "pg_catalog" {
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!(
                    "operator does not exist: {} {}.{sym} {}",
                    types::oid::type_name(key_type),
                    parts[0],
                    types::oid::type_name(key_type)
                ),
            )
            .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts.")
            .or_position(pos));
        }
        // The operator must exist for the key's type on both sides.
        let operand = || Expr::Const {
            value: Datum::Null,
            type_oid: key_type,
        };
        self.make_op_exprs(sym, (operand(), None), (operand(), None), pos)?;
        match sym {
            "<" | "~<~" => Ok(false),
            ">" | "~>~" => Ok(true),
            _ => Err(PgError::new(
                SqlState::WrongObjectType,
                format!("operator {sym} is not a valid ordering operator"),
            )
            .with_hint(
                "Ordering operators must be \"<\" or \">\" members of btree operator families.",
            )
            .or_position(pos)),
        }
    }

    /// Where the operator of `ORDER BY expr USING op` starts (the parser
    /// keeps no span for it): the first token after the USING keyword that
    /// follows the sort expression.
    fn using_operator_pos(&self, item: &ast::OrderByExpr) -> Option<usize> {
        let start = self.byte_offset(item.expr.span().end)?;
        let rest = self.query_text.get(start..)?;
        let using = rest.to_ascii_lowercase().find("using")?;
        let after = &rest[using + "using".len()..];
        let skipped = after.len() - after.trim_start().len();
        let at = start + using + "using".len() + skipped;
        Some(self.query_text[..at].chars().count() + 1)
    }

    fn analyze_values(
        &mut self,
        v: &ast::Values,
        order_by: &[ast::OrderByExpr],
    ) -> PgResult<(Vec<Column>, Plan)> {
        let width = v.rows.first().map_or(0, |r| r.len());
        let mut rows: Vec<Vec<(Expr, Option<usize>)>> = Vec::new();
        let saved = self.agg_forbidden.replace("VALUES");
        for r in &v.rows {
            if r.len() != width {
                self.agg_forbidden = saved;
                return Err(PgError::syntax(
                    "VALUES lists must all be the same length",
                    r.first().and_then(|e| self.pos(e.span())),
                ));
            }
            let mut out = Vec::new();
            for e in r.iter() {
                match self.transform(e) {
                    Ok(x) => out.push((x, self.pos(e.span()))),
                    Err(err) => {
                        self.agg_forbidden = saved;
                        return Err(err);
                    }
                }
            }
            rows.push(out);
        }
        self.agg_forbidden = saved;
        let mut columns = Vec::new();
        for c in 0..width {
            let types: Vec<_> = rows.iter().map(|r| (r[c].0.type_oid(), r[c].1)).collect();
            let t = coerce::select_common_type(&types, "VALUES")?;
            for r in rows.iter_mut() {
                let (x, p) = std::mem::replace(
                    &mut r[c],
                    (
                        Expr::Const {
                            value: Datum::Null,
                            type_oid: t,
                        },
                        None,
                    ),
                );
                r[c] = (self.coerce(x, t, -1, false, p)?, p);
            }
            columns.push(Column {
                name: format!("column{}", c + 1),
                type_oid: t,
                typmod: -1,
                table_oid: 0,
                column_id: 0,
            });
        }
        let rows: Vec<Vec<Expr>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(|(x, _)| x).collect())
            .collect();
        let mut targets: Vec<Target> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| Target {
                expr: Expr::Var {
                    index: i,
                    type_oid: c.type_oid,
                    typmod: -1,
                },
                var_positions: vec![],
            })
            .collect();
        let sort = self.analyze_order_by(order_by, &columns, &mut targets)?;
        if !self.aggs.is_empty() {
            return Err(PgError::feature_not_supported("aggregates over VALUES"));
        }
        let plan = Plan {
            source: Source::Values(rows),
            filter: None,
            aggregate: None,
            windows: None,
            project_set: None,
            targets: targets.into_iter().map(|t| t.expr).collect(),
            order_by: sort,
            limit: None,
            offset: None,
            distinct: false,
            distinct_on: Vec::new(),
            row_lock: None,
        };
        Ok((columns, plan))
    }
}

/// An identifier as PostgreSQL folds it: lower case unless quoted.
pub(crate) fn ident_name(id: &ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

fn object_name_last(n: &ast::ObjectName) -> String {
    match n.0.last() {
        Some(ast::ObjectNamePart::Identifier(id)) => ident_name(id),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// The type name `\gdesc` would print for a column.
pub fn describe_type(c: &Column) -> String {
    oid::format_type(c.type_oid, c.typmod)
}

/// The relation a FROM item that is no table puts in scope (a function's or
/// a subquery's rows): columns of (name, type, typmod), no OID, no indexes.
fn scope_relation(
    name: &str,
    relkind: char,
    columns: impl Iterator<Item = (String, u32, i32)>,
) -> Arc<RelationDesc> {
    Arc::new(RelationDesc {
        oid: 0,
        name: name.to_owned(),
        schema: String::new(),
        relkind,
        columns: columns
            .enumerate()
            .map(|(i, (name, type_oid, typmod))| crate::ColumnDesc {
                name,
                type_oid,
                typmod,
                not_null: false,
                default: None,
                attnum: i as i16 + 1,
                dropped: false,
                identity: '\0',
                generated: '\0',
            })
            .collect(),
        indexes: Vec::new(),
        checks: Default::default(),
        generated: Default::default(),
        view_query: None,
        alias: None,
        children: Vec::new(),
        partitioning: None,
        partition_check: None,
        triggers: Default::default(),
        stats: Default::default(),
        system_columns: false,
    })
}

/// `Var`s of `columns` in order: the targets of a plan that passes a row on.
pub(crate) fn column_vars(columns: &[Column]) -> Vec<Expr> {
    columns
        .iter()
        .enumerate()
        .map(|(index, c)| Expr::Var {
            index,
            type_oid: c.type_oid,
            typmod: c.typmod,
        })
        .collect()
}

/// The parts of a (possibly qualified) name, folded as identifiers are.
fn name_parts(name: &ast::ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(id) => ident_name(id),
            other => other.to_string(),
        })
        .collect()
}
