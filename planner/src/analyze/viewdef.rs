//! A view's query printed back as PostgreSQL's `ruleutils.c` prints it for
//! `pg_get_viewdef` (and so for `\d+` and pg_dump).
//!
//! PostgreSQL prints the analyzed query tree kept in `pg_rewrite`; we keep
//! the query as SQL text, so it is analyzed again here, clause by clause,
//! and each clause printed from what analysis made of it: the statement's
//! shape (FROM items, joins, set operations, WITH) comes from the syntax
//! tree, every expression from its analyzed form through
//! [`crate::deparse`], with column references qualified by their range
//! entry (`t.a`), constants labelled with their type (`'x'::text`) and
//! implicit casts shown, as PostgreSQL shows them.
//!
//! The layout is `ruleutils.c`'s with `PRETTYFLAG_INDENT` (which every
//! form of `pg_get_viewdef` sets): each clause on a line of its own, a
//! query level 8 columns deeper than the one around it (`Out::keyword` is
//! `appendContextKeyword`). The `pretty` flag only drops the parentheses
//! that precedence makes unnecessary; `wrap` is the wrap column of the
//! select list (0: one column per line).
//!
//! What is not printed yet (a function in FROM, grouping sets, a named
//! WINDOW, ...) is an error, and the caller falls back to the text as
//! written.

use std::collections::VecDeque;
use std::sync::Arc;

use sqlparser::ast::{self, JoinConstraint, JoinOperator, SetExpr, TableFactor};
use types::guc::quote_identifier;
use types::{PgError, PgResult};

use super::{Analyzer, ident_name, name_parts};
use crate::catalog::{AggregateDesc, CatalogView, FunctionDesc, RelationDesc};
use crate::deparse::{DeparseContext, deparse_expr};
use crate::expr::{Expr, SubPlanKind};
use crate::plan::{AggCall, AggFunc, FrameBound, FrameMode, SortKey, WindowFunc, WindowKind};

/// `PRETTYINDENT_STD`: a query level, and a clause keyword's step out.
const INDENT_STD: i32 = 8;
/// `PRETTYINDENT_JOIN`: a JOIN keyword under its FROM.
const INDENT_JOIN: i32 = 4;
/// `PRETTYINDENT_VAR`: a select-list item or FROM item on a new line.
const INDENT_VAR: i32 = 4;
/// `PRETTYINDENT_LIMIT`: beyond it, levels take less room.
const INDENT_LIMIT: i32 = 40;

/// `pg_get_viewdef`'s text of the view whose stored query is `query`
/// (`text` as stored), with its column names `names`; ends with `;`.
/// Names are resolved through `catalog`; a bare relation name it does not
/// find is looked for in the schemas `fallback` (the view's own, then
/// `public`: pg_dump reads definitions under an empty search_path), and a
/// relation prints qualified unless `catalog`'s search_path finds it.
pub fn view_definition(
    query: &ast::Query,
    text: &str,
    catalog: &dyn CatalogView,
    fallback: &[String],
    names: &[String],
    pretty: bool,
    wrap: i32,
) -> PgResult<String> {
    let lookup = Fallback {
        inner: catalog,
        schemas: fallback,
    };
    let mut a = Analyzer::new(text, &[], true).with_catalog(&lookup);
    let mut out = Out {
        buf: String::new(),
        indent: 0,
        pretty,
        wrap,
        search: catalog,
        qualify: false,
    };
    a.print_query(query, &mut out, Some(names), true)?;
    out.buf.push(';');
    Ok(out.buf)
}

/// The text CREATE VIEW keeps for `query` (with output names `names`):
/// the query as [`view_definition`] prints it, every relation qualified by
/// its schema, so that `*` stands for the columns there are now and a
/// later search_path finds the same relations, as PostgreSQL's stored
/// tree does. The caller checks that it analyzes to the same columns.
pub fn stored_view_query(
    query: &ast::Query,
    text: &str,
    catalog: &dyn CatalogView,
    names: &[String],
) -> PgResult<String> {
    let mut a = Analyzer::new(text, &[], true).with_catalog(catalog);
    let mut out = Out {
        buf: String::new(),
        indent: 0,
        pretty: false,
        wrap: 0,
        search: catalog,
        qualify: true,
    };
    a.print_query(query, &mut out, Some(names), true)?;
    Ok(out.buf)
}

/// A catalog that finds a bare relation name in `schemas` when the
/// search_path does not.
struct Fallback<'c> {
    inner: &'c dyn CatalogView,
    schemas: &'c [String],
}

impl CatalogView for Fallback<'_> {
    fn lookup_functions(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Vec<Arc<FunctionDesc>>> {
        self.inner.lookup_functions(schema, name)
    }

    fn lookup_aggregates(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Vec<Arc<AggregateDesc>>> {
        self.inner.lookup_aggregates(schema, name)
    }

    fn lookup_operators(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Vec<Arc<crate::OperatorDesc>>> {
        self.inner.lookup_operators(schema, name)
    }

    fn view_check_option(&self, oid: u32) -> PgResult<Option<char>> {
        self.inner.view_check_option(oid)
    }

    fn row_security(
        &self,
        oid: u32,
        through: Option<u32>,
    ) -> PgResult<Option<Vec<crate::catalog::PolicyDesc>>> {
        self.inner.row_security(oid, through)
    }

    fn planner_settings(&self) -> crate::settings::PlannerSettings {
        self.inner.planner_settings()
    }

    fn lookup_type(&self, schema: Option<&str>, name: &str) -> PgResult<Option<u32>> {
        self.inner.lookup_type(schema, name)
    }

    fn lookup_relation(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Option<Arc<RelationDesc>>> {
        if let Some(r) = self.inner.lookup_relation(schema, name)? {
            return Ok(Some(r));
        }
        if schema.is_none() {
            for s in self.schemas {
                if let Some(r) = self.inner.lookup_relation(Some(s), name)? {
                    return Ok(Some(r));
                }
            }
        }
        Ok(None)
    }
}

/// The text being built and `ruleutils.c`'s `deparse_context` around it.
struct Out<'c> {
    buf: String,
    indent: i32,
    pretty: bool,
    wrap: i32,
    search: &'c dyn CatalogView,
    /// Every relation with its schema (the stored form).
    qualify: bool,
}

impl Out<'_> {
    /// `appendContextKeyword`: a new line, indented, then `s`.
    fn keyword(&mut self, s: &str, before: i32, after: i32, plus: i32) {
        self.indent += before;
        trim_spaces(&mut self.buf);
        self.buf.push('\n');
        let amount = if self.indent < INDENT_LIMIT {
            self.indent.max(0) + plus
        } else {
            (INDENT_LIMIT + (self.indent - INDENT_LIMIT) / (INDENT_STD / 2)) % INDENT_LIMIT + plus
        };
        push_spaces(&mut self.buf, amount);
        self.buf.push_str(s);
        self.indent = (self.indent + after).max(0);
    }

    /// The length of the last line of the text.
    fn line_len(&self) -> usize {
        self.buf.len() - self.buf.rfind('\n').map_or(0, |p| p + 1)
    }

    /// An item of a list that wraps at the wrap column (select-list items,
    /// FROM items): on a new line if it would pass the column or the one
    /// before it took several lines.
    fn wrapped_item(&mut self, item: &str, first: bool, last_multiline: bool) {
        if item.starts_with('\n') {
            trim_spaces(&mut self.buf);
        } else if !first
            && (self.line_len() + item.len() > self.wrap.max(0) as usize || last_multiline)
        {
            self.keyword("", -INDENT_STD, INDENT_STD, INDENT_VAR);
        }
        self.buf.push_str(item);
    }

    /// A relation's name as `generate_relation_name` gives it: qualified
    /// unless the search_path finds it.
    fn relation_name(&self, rel: &RelationDesc) -> String {
        let visible = !self.qualify
            && self
                .search
                .lookup_relation(None, &rel.name)
                .ok()
                .flatten()
                .is_some_and(|r| r.oid == rel.oid);
        if visible {
            quote_identifier(&rel.name)
        } else {
            format!(
                "{}.{}",
                quote_identifier(&rel.schema),
                quote_identifier(&rel.name)
            )
        }
    }
}

fn trim_spaces(s: &mut String) {
    let n = s.trim_end_matches(' ').len();
    s.truncate(n);
}

fn push_spaces(s: &mut String, n: i32) {
    s.extend(std::iter::repeat_n(' ', n.max(0) as usize));
}

fn unsupported(what: &str) -> PgError {
    PgError::feature_not_supported(format!("pg_get_viewdef of {what}"))
}

/// The subqueries of an expression that are not inside another subquery,
/// in the order analysis meets them.
fn sublinks(e: &ast::Expr) -> Vec<(ast::Query, bool)> {
    use std::ops::ControlFlow;
    struct Collect {
        depth: usize,
        found: Vec<(ast::Query, bool)>,
    }
    impl ast::Visitor for Collect {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &ast::Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _q: &ast::Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &ast::Expr) -> ControlFlow<()> {
            if self.depth == 0 {
                match e {
                    ast::Expr::Subquery(q)
                    | ast::Expr::Exists { subquery: q, .. }
                    | ast::Expr::In {
                        target: ast::InTarget::Subquery(q),
                        ..
                    } => self.found.push(((**q).clone(), false)),
                    _ => {}
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut c = Collect {
        depth: 0,
        found: Vec::new(),
    };
    let _ = ast::Visit::visit(e, &mut c);
    c.found
}

/// Names for the expressions of one query level: its range entries, its
/// aggregates and window functions, the outer levels, and the subqueries
/// already printed.
struct Names<'x, 'a> {
    a: &'x Analyzer<'a>,
    sublinks: VecDeque<String>,
    search: &'x dyn CatalogView,
    pretty: bool,
    indent: i32,
    failed: Option<&'static str>,
    /// Per window function of the level, in analysis order: the named
    /// window its OVER names, if that is all it says.
    window_names: &'x [Option<String>],
}

impl Names<'_, '_> {
    fn var(&self, scope: &[super::from::ScopeItem], index: usize) -> Option<String> {
        let base = scope
            .iter()
            .filter(|i| i.join_columns.is_none())
            .find(|i| index >= i.offset && index < i.offset + i.entry.rel.columns.len());
        // A table inside a join with an alias is reached through the join.
        if base.is_some_and(|b| !b.rel_visible) {
            for item in scope.iter().filter(|i| i.rel_visible) {
                let Some(cols) = &item.join_columns else {
                    continue;
                };
                if let Some(c) = cols
                    .iter()
                    .position(|c| matches!(c, Expr::Var { index: i, .. } if *i == index))
                {
                    return Some(format!(
                        "{}.{}",
                        quote_identifier(&item.entry.refname),
                        quote_identifier(&item.entry.rel.columns[c].name)
                    ));
                }
            }
        }
        base.map(|i| {
            format!(
                "{}.{}",
                quote_identifier(&i.entry.refname),
                quote_identifier(&i.entry.rel.columns[index - i.offset].name)
            )
        })
    }

    /// A merged column of a FULL JOIN ... USING (a COALESCE over both
    /// sides): its name, as PostgreSQL prints the join's own column.
    fn join_column(&self, scope: &[super::from::ScopeItem], x: &Expr) -> Option<String> {
        if matches!(x, Expr::Var { .. }) {
            return None;
        }
        for item in scope.iter().filter(|i| i.cols_visible || i.rel_visible) {
            let Some(cols) = &item.join_columns else {
                continue;
            };
            if let Some(i) = cols.iter().position(|c| c == x) {
                let name = quote_identifier(&item.entry.rel.columns[i].name);
                return Some(if item.entry.has_alias {
                    format!("{}.{name}", quote_identifier(&item.entry.refname))
                } else {
                    name
                });
            }
        }
        None
    }

    fn print(&mut self, x: &Expr) -> String {
        let pretty = self.pretty;
        deparse_expr(x, self, pretty)
    }

    fn order_items(&mut self, items: &[(Expr, bool, bool)]) -> String {
        let mut parts = Vec::new();
        for (x, desc, nulls_first) in items {
            let mut s = self.sort_expr(x);
            s.push_str(&direction(*desc, *nulls_first));
            parts.push(s);
        }
        parts.join(", ")
    }

    /// `get_rule_sortgroupclause`: a column as it is; anything that reads
    /// like a function call in parentheses (and everything in pretty mode).
    fn sort_expr(&mut self, x: &Expr) -> String {
        let s = self.print(x);
        let function_like = match x {
            Expr::Aggref { .. } | Expr::WindowRef { .. } => true,
            Expr::Call { .. } => !s.starts_with('('),
            _ => false,
        };
        if matches!(x, Expr::Var { .. } | Expr::Const { .. })
            || self.join_column(&self.a.scope, x).is_some()
            || !(self.pretty || function_like)
        {
            s
        } else {
            format!("({s})")
        }
    }

    fn agg_text(&mut self, a: &AggCall) -> String {
        if let Some(name) = a.func.ordered_set_name() {
            return self.ordered_set_text(name, a);
        }
        let name = match a.func {
            AggFunc::CountStar => return "count(*)".to_owned() + &self.filter(a),
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::BoolAnd => "bool_and",
            AggFunc::BoolOr => "bool_or",
            AggFunc::BitAnd => "bit_and",
            AggFunc::BitOr => "bit_or",
            AggFunc::BitXor => "bit_xor",
            AggFunc::StringAgg => "string_agg",
            AggFunc::ArrayAgg => "array_agg",
            AggFunc::JsonAgg => "json_agg",
            AggFunc::JsonbAgg => "jsonb_agg",
            AggFunc::VarSamp => "var_samp",
            AggFunc::VarPop => "var_pop",
            AggFunc::Regr(kind) => kind.name(),
            AggFunc::StddevSamp => "stddev_samp",
            AggFunc::StddevPop => "stddev_pop",
            AggFunc::RangeIntersectAgg => "range_intersect_agg",
            AggFunc::RangeAgg => "range_agg",
            AggFunc::PercentileCont
            | AggFunc::PercentileDisc
            | AggFunc::Mode
            | AggFunc::HypotheticalRank
            | AggFunc::HypotheticalDenseRank
            | AggFunc::HypotheticalPercentRank
            | AggFunc::HypotheticalCumeDist => "",
            AggFunc::Grouping => {
                self.failed = Some("GROUPING");
                return String::new();
            }
            AggFunc::User => {
                let n = a.user.as_ref().map_or("", |u| u.name.as_str());
                return self.user_agg_text(n, a);
            }
        };
        let mut args = Vec::new();
        if let Some(x) = &a.arg {
            match (a.func, x) {
                (AggFunc::JsonAgg | AggFunc::JsonbAgg, Expr::Call { args: inner, .. })
                    if inner.len() == 1 =>
                {
                    args.push(self.print(&inner[0]));
                }
                // The (Y, X) pair, packed as ARRAY[y, x].
                (AggFunc::Regr(_), Expr::Call { args: inner, .. }) => {
                    args.extend(inner.iter().map(|e| self.print(e)));
                }
                _ => args.push(self.print(x)),
            }
        }
        if let Some(d) = &a.delimiter {
            args.push(self.print(d));
        }
        self.agg_call(name, args, a)
    }

    /// `name(direct args) WITHIN GROUP (ORDER BY keys) [FILTER (...)]`.
    fn ordered_set_text(&mut self, name: &str, a: &AggCall) -> String {
        let pretty = self.pretty;
        let direct: Vec<String> = match &a.delimiter {
            None => Vec::new(),
            Some(Expr::Row { args, .. }) if a.arg.is_none() => args
                .iter()
                .map(|x| crate::deparse::deparse_expr_showing_casts(x, self, pretty))
                .collect(),
            Some(d) => vec![crate::deparse::deparse_expr_showing_casts(d, self, pretty)],
        };
        // The keys with their implicit casts too (the input coerced to
        // the aggregate's argument type).
        let mut parts = Vec::new();
        for (x, desc, nulls_first) in &a.order_by {
            let k = crate::deparse::deparse_expr_showing_casts(x, self, pretty);
            let mut k = match x {
                Expr::Var { .. } | Expr::Const { .. } => k,
                _ if self.join_column(&self.a.scope, x).is_some() => k,
                _ => format!("({k})"),
            };
            k.push_str(&direction(*desc, *nulls_first));
            parts.push(k);
        }
        let keys = parts.join(", ");
        format!(
            "{name}({}) WITHIN GROUP (ORDER BY {keys})",
            direct.join(", ")
        ) + &self.filter(a)
    }

    fn user_agg_text(&mut self, name: &str, a: &AggCall) -> String {
        let mut args = Vec::new();
        match &a.arg {
            None => return format!("{}(*)", quote_identifier(name)) + &self.filter(a),
            Some(Expr::Row { args: fields, .. })
                if a.user.as_ref().is_some_and(|u| u.nargs > 1) =>
            {
                for f in fields {
                    args.push(self.print(f));
                }
            }
            Some(x) => args.push(self.print(x)),
        }
        self.agg_call(&quote_identifier(name), args, a)
    }

    fn agg_call(&mut self, name: &str, args: Vec<String>, a: &AggCall) -> String {
        let mut s = format!("{name}(");
        if a.distinct {
            s.push_str("DISTINCT ");
        }
        s.push_str(&args.join(", "));
        if !a.order_by.is_empty() {
            s.push_str(" ORDER BY ");
            s.push_str(&self.order_items(&a.order_by));
        }
        s.push(')');
        s + &self.filter(a)
    }

    fn filter(&mut self, a: &AggCall) -> String {
        match &a.filter {
            Some(f) => format!(" FILTER (WHERE {})", self.print(f)),
            None => String::new(),
        }
    }

    fn window_text(&mut self, w: &WindowFunc) -> String {
        let plain = |n: &str| n.to_owned();
        let call = match &w.kind {
            WindowKind::Agg(a) => self.agg_text(a),
            kind => {
                let name = match kind {
                    WindowKind::RowNumber => plain("row_number"),
                    WindowKind::Rank => plain("rank"),
                    WindowKind::DenseRank => plain("dense_rank"),
                    WindowKind::PercentRank => plain("percent_rank"),
                    WindowKind::CumeDist => plain("cume_dist"),
                    WindowKind::Ntile => plain("ntile"),
                    WindowKind::Lag => plain("lag"),
                    WindowKind::Lead => plain("lead"),
                    WindowKind::FirstValue => plain("first_value"),
                    WindowKind::LastValue => plain("last_value"),
                    WindowKind::NthValue => plain("nth_value"),
                    WindowKind::Agg(_) => String::new(),
                };
                let args: Vec<String> = w.args.iter().map(|x| self.print(x)).collect();
                format!("{name}({})", args.join(", "))
            }
        };
        let mut spec = Vec::new();
        if !w.partition_by.is_empty() {
            let parts: Vec<String> = w.partition_by.iter().map(|x| self.sort_expr(x)).collect();
            spec.push(format!("PARTITION BY {}", parts.join(", ")));
        }
        if !w.order_by.is_empty() {
            spec.push(format!("ORDER BY {}", self.order_items(&w.order_by)));
        }
        let f = &w.frame;
        let default_frame = f.mode == FrameMode::Range
            && matches!(f.start, FrameBound::UnboundedPreceding)
            && matches!(f.end, FrameBound::CurrentRow);
        if !default_frame {
            let mode = match f.mode {
                FrameMode::Rows => "ROWS",
                FrameMode::Range => "RANGE",
                FrameMode::Groups => "GROUPS",
            };
            // Whether BETWEEN was written is not kept: it is the usual form.
            let start = self.bound(&f.start);
            let end = self.bound(&f.end);
            spec.push(format!("{mode} BETWEEN {start} AND {end}"));
        }
        format!("{call} OVER ({})", spec.join(" "))
    }

    /// A WINDOW clause entry's specification (`get_rule_windowspec`).
    fn window_spec(&mut self, partition: &[Expr], order: &[(Expr, bool, bool)]) -> String {
        let mut spec = Vec::new();
        if !partition.is_empty() {
            let parts: Vec<String> = partition.iter().map(|x| self.sort_expr(x)).collect();
            spec.push(format!("PARTITION BY {}", parts.join(", ")));
        }
        if !order.is_empty() {
            spec.push(format!("ORDER BY {}", self.order_items(order)));
        }
        format!("({})", spec.join(" "))
    }

    fn bound(&mut self, b: &FrameBound) -> String {
        match b {
            FrameBound::UnboundedPreceding => "UNBOUNDED PRECEDING".into(),
            FrameBound::CurrentRow => "CURRENT ROW".into(),
            FrameBound::UnboundedFollowing => "UNBOUNDED FOLLOWING".into(),
            FrameBound::Preceding(x) => format!("{} PRECEDING", self.print(strip_cast(x))),
            FrameBound::Following(x) => format!("{} FOLLOWING", self.print(strip_cast(x))),
        }
    }

    fn sublink_text(&mut self) -> String {
        match self.sublinks.pop_front() {
            Some(s) => s,
            None => {
                self.failed = Some("this subquery");
                String::new()
            }
        }
    }
}

/// A constant that analysis converted (a frame offset made bigint) as
/// PostgreSQL prints it: the constant as written.
fn strip_cast(x: &Expr) -> &Expr {
    match x {
        Expr::Cast { arg, .. } if matches!(**arg, Expr::Const { .. }) => arg,
        _ => x,
    }
}

/// Per window function call of a select list (not inside a subquery), in
/// the order analysis meets them: the named window `OVER name` names.
fn window_names(items: &[ast::SelectItem]) -> Vec<Option<String>> {
    use std::ops::ControlFlow;
    struct Collect {
        depth: usize,
        found: Vec<Option<String>>,
    }
    impl ast::Visitor for Collect {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &ast::Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _q: &ast::Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &ast::Expr) -> ControlFlow<()> {
            if self.depth == 0
                && let ast::Expr::Function(f) = e
                && let Some(over) = &f.over
            {
                self.found.push(match over {
                    ast::WindowType::NamedWindow(n) => Some(ident_name(n)),
                    ast::WindowType::WindowSpec(_) => None,
                });
            }
            ControlFlow::Continue(())
        }
    }
    let mut c = Collect {
        depth: 0,
        found: Vec::new(),
    };
    for item in items {
        let _ = ast::Visit::visit(item, &mut c);
    }
    c.found
}

/// A parenthesized operand of a set operation without clauses of its own
/// is the set operation inside (PostgreSQL's analysis drops the
/// parentheses).
fn unwrapped(e: &SetExpr) -> &SetExpr {
    match e {
        SetExpr::Query(q)
            if q.with.is_none()
                && q.order_by.is_none()
                && q.limit_clause.is_none()
                && q.fetch.is_none()
                && q.locks.is_empty() =>
        {
            unwrapped(&q.body)
        }
        other => other,
    }
}

/// ` DESC`, ` NULLS FIRST` ... as `get_rule_orderby` prints them.
fn direction(desc: bool, nulls_first: bool) -> String {
    match (desc, nulls_first) {
        (false, false) => String::new(),
        (false, true) => " NULLS FIRST".into(),
        (true, true) => " DESC".into(),
        (true, false) => " DESC NULLS LAST".into(),
    }
}

impl DeparseContext for Names<'_, '_> {
    fn column_name(&self, index: usize) -> String {
        self.var(&self.a.scope, index)
            .unwrap_or_else(|| "?".to_owned())
    }

    fn regclass_text(&mut self, literal: &str) -> String {
        let Ok(parts) = crate::catalog::parse_qualified_name(literal) else {
            return literal.to_owned();
        };
        let found = match parts.as_slice() {
            [n] => self.search.lookup_relation(None, n),
            [s, n] => self.search.lookup_relation(Some(s), n),
            _ => return literal.to_owned(),
        };
        match found {
            Ok(Some(rel)) => {
                let out = Out {
                    buf: String::new(),
                    indent: 0,
                    pretty: false,
                    wrap: 0,
                    search: self.search,
                    qualify: false,
                };
                out.relation_name(&rel)
            }
            _ => literal.to_owned(),
        }
    }

    fn indent(&self) -> Option<i32> {
        Some(self.indent)
    }

    fn special(&mut self, x: &Expr) -> Option<String> {
        let a = self.a;
        match x {
            Expr::Aggref { index, .. } => match a.aggs.get(*index) {
                Some(call) => Some(self.agg_text(call)),
                None => {
                    self.failed = Some("this aggregate");
                    Some(String::new())
                }
            },
            Expr::WindowRef { index, .. } => match a.windows.get(*index) {
                Some(w) => Some(match self.window_names.get(*index).cloned().flatten() {
                    Some(name) => {
                        let text = self.window_text(w);
                        let call = text.split(" OVER (").next().unwrap_or_default().to_owned();
                        format!("{call} OVER {}", quote_identifier(&name))
                    }
                    None => self.window_text(w),
                }),
                None => {
                    self.failed = Some("this window function");
                    Some(String::new())
                }
            },
            Expr::SubPlan { kind, test, .. } => {
                let q = self.sublink_text();
                Some(match kind {
                    SubPlanKind::Scalar => format!("({q})"),
                    SubPlanKind::Exists => format!("(EXISTS ({q}))"),
                    SubPlanKind::Array | SubPlanKind::ArrayOfArrays => format!("ARRAY({q})"),
                    SubPlanKind::Any => {
                        let lhs = match test.as_deref() {
                            Some((lhs, _)) => self.print(lhs),
                            None => String::new(),
                        };
                        format!("({lhs} IN ({q}))")
                    }
                    #[allow(unreachable_patterns)]
                    _ => {
                        self.failed = Some("this subquery");
                        String::new()
                    }
                })
            }
            Expr::OuterParam { up, index, .. } => {
                let level = a.outer_scopes.len().checked_sub(*up)?;
                let (e, _) = a.sub_params.get(level)?.get(*index)?;
                let scope = &a.outer_scopes[level];
                match e {
                    Expr::Var { index, .. } => self.var(scope, *index),
                    other => self.join_column(scope, other),
                }
                .or_else(|| {
                    self.failed = Some("this outer reference");
                    Some(String::new())
                })
            }
            Expr::SetRef { .. } => {
                self.failed = Some("a set-returning function in the select list");
                Some(String::new())
            }
            other => self.join_column(&a.scope, other),
        }
    }
}

impl<'a> Analyzer<'a> {
    /// Runs `f` as a query level of its own (`get_query_def`): this
    /// level's names, aggregates and windows are put aside and restored,
    /// as [`Analyzer::analyze_query_resolving`] does.
    fn in_printed_level<T>(&mut self, f: impl FnOnce(&mut Self) -> PgResult<T>) -> PgResult<T> {
        let saved_scope = std::mem::take(&mut self.scope);
        let saved_aggs = std::mem::take(&mut self.aggs);
        let saved_windows = std::mem::take(&mut self.windows);
        let saved_named = std::mem::take(&mut self.named_windows);
        let saved_window_names = std::mem::take(&mut self.printed_window_names);
        let saved_srfs = std::mem::take(&mut self.srfs);
        let saved_grouping = std::mem::take(&mut self.pending_grouping);
        let saved = (
            self.agg_forbidden.take(),
            std::mem::replace(&mut self.in_agg_arg, false),
            std::mem::replace(&mut self.resolve_unknowns, true),
        );
        let srf_allowed = std::mem::replace(&mut self.srf_allowed, false);
        let ctes = self.ctes.len();
        let r = f(self);
        self.ctes.truncate(ctes);
        self.scope = saved_scope;
        self.aggs = saved_aggs;
        self.windows = saved_windows;
        self.named_windows = saved_named;
        self.printed_window_names = saved_window_names;
        self.srfs = saved_srfs;
        self.pending_grouping = saved_grouping;
        self.srf_allowed = srf_allowed;
        (self.agg_forbidden, self.in_agg_arg, self.resolve_unknowns) = saved;
        r
    }

    /// `get_query_def` of `q` at the current indentation of `out`, which
    /// it leaves as it found it. `names`: the view's column names (for
    /// the view's own query); `visible`: whether the output names matter
    /// (not in a subquery of an expression, where only `?column?` is
    /// left out).
    fn print_query(
        &mut self,
        q: &ast::Query,
        out: &mut Out<'_>,
        names: Option<&[String]>,
        visible: bool,
    ) -> PgResult<()> {
        let indent = out.indent;
        let r = self.in_printed_level(|a| a.print_query_level(q, out, names, visible));
        out.indent = indent;
        r
    }

    fn print_query_level(
        &mut self,
        q: &ast::Query,
        out: &mut Out<'_>,
        names: Option<&[String]>,
        visible: bool,
    ) -> PgResult<()> {
        if q.fetch.is_some() || !q.locks.is_empty() || q.for_clause.is_some() {
            return Err(unsupported("FETCH or FOR UPDATE"));
        }
        if let Some(with) = &q.with {
            self.print_with(with, out)?;
        }
        let order_by: &[ast::OrderByExpr] = match &q.order_by {
            None => &[],
            Some(ob) => match &ob.kind {
                ast::OrderByKind::Expressions(items) => items,
                ast::OrderByKind::All(_) => return Err(unsupported("ORDER BY ALL")),
            },
        };
        match q.body.as_ref() {
            SetExpr::Select(s) => self.print_select(s, order_by, out, names, visible)?,
            SetExpr::Values(v) => {
                if !order_by.is_empty() {
                    return Err(unsupported("VALUES with ORDER BY"));
                }
                out.indent += INDENT_STD;
                out.buf.push(' ');
                self.print_values(v, out)?;
            }
            SetExpr::Query(inner) if q.order_by.is_none() && q.limit_clause.is_none() => {
                return self.print_query_level(inner, out, names, visible);
            }
            SetExpr::SetOperation { .. } => {
                let (columns, plan) = self.analyze_set_operation(&q.body, order_by)?;
                let _ = columns;
                self.print_setop(&q.body, out, names, visible)?;
                if !plan.order_by.is_empty() {
                    out.keyword(" ORDER BY ", -INDENT_STD, INDENT_STD, 1);
                    let keys: Vec<String> = plan
                        .order_by
                        .iter()
                        .map(|k| {
                            format!("{}{}", k.column + 1, direction(k.descending, k.nulls_first))
                        })
                        .collect();
                    out.buf.push_str(&keys.join(", "));
                }
            }
            _ => return Err(unsupported("this kind of query")),
        }
        if let Some(ast::LimitClause::LimitOffset { limit, offset, .. }) = &q.limit_clause {
            if let Some(o) = offset {
                out.keyword(" OFFSET ", -INDENT_STD, INDENT_STD, 0);
                let text = self.print_ast_expr(&o.value, out, false)?;
                out.buf.push_str(&text);
            }
            if let Some(l) = limit {
                out.keyword(" LIMIT ", -INDENT_STD, INDENT_STD, 0);
                let text = if matches!(l, ast::Expr::Value(v) if matches!(v.value, ast::Value::Null))
                {
                    "ALL".to_owned()
                } else {
                    self.print_ast_expr(l, out, false)?
                };
                out.buf.push_str(&text);
            }
        } else if q.limit_clause.is_some() {
            return Err(unsupported("LIMIT #,#"));
        }
        Ok(())
    }

    /// `get_with_clause`.
    fn print_with(&mut self, with: &ast::With, out: &mut Out<'_>) -> PgResult<()> {
        self.analyze_with(with)?;
        out.indent += INDENT_STD;
        out.buf.push(' ');
        let mut sep = if with.recursive {
            "WITH RECURSIVE "
        } else {
            "WITH "
        };
        for cte in &with.cte_tables {
            // A SEARCH / CYCLE clause is kept in its rewritten form.
            let rewritten;
            let cte = match self.search_cycle_clauses(cte)? {
                Some(c) => {
                    let name = ident_name(&cte.alias.name);
                    rewritten = self.rewrite_search_cycle(&name, cte, with.recursive, &c)?;
                    &rewritten
                }
                None => cte,
            };
            out.buf.push_str(sep);
            out.buf
                .push_str(&quote_identifier(&ident_name(&cte.alias.name)));
            if !cte.alias.columns.is_empty() {
                let cols: Vec<String> = cte
                    .alias
                    .columns
                    .iter()
                    .map(|c| quote_identifier(&ident_name(&c.name)))
                    .collect();
                out.buf.push_str(&format!("({})", cols.join(", ")));
            }
            out.buf.push_str(" AS ");
            match cte.materialized {
                Some(ast::CteAsMaterialized::Materialized) => out.buf.push_str("MATERIALIZED "),
                Some(ast::CteAsMaterialized::NotMaterialized) => {
                    out.buf.push_str("NOT MATERIALIZED ")
                }
                None => {}
            }
            out.buf.push('(');
            out.keyword("", 0, 0, 0);
            self.print_query(&cte.query, out, None, true)?;
            out.keyword("", 0, 0, 0);
            out.buf.push(')');
            sep = ", ";
        }
        out.indent -= INDENT_STD;
        out.keyword("", 0, 0, 0);
        Ok(())
    }

    /// `get_setop_query`.
    fn print_setop(
        &mut self,
        body: &SetExpr,
        out: &mut Out<'_>,
        names: Option<&[String]>,
        visible: bool,
    ) -> PgResult<()> {
        match unwrapped(body) {
            SetExpr::SetOperation {
                op,
                set_quantifier,
                left,
                right,
            } => {
                let (left, right) = (unwrapped(left), unwrapped(right));
                let all = matches!(set_quantifier, ast::SetQuantifier::All);
                let same = |e: &SetExpr| match e {
                    SetExpr::SetOperation {
                        op: o,
                        set_quantifier: q,
                        ..
                    } => o == op && matches!(q, ast::SetQuantifier::All) == all,
                    _ => true,
                };
                let paren = !same(left);
                let sub = if paren {
                    out.buf.push('(');
                    out.keyword("", INDENT_STD, 0, 0);
                    INDENT_STD
                } else {
                    0
                };
                self.print_setop(left, out, names, visible)?;
                if paren {
                    out.keyword(") ", -sub, 0, 0);
                } else {
                    out.keyword("", -sub, 0, 0);
                }
                out.buf.push_str(match op {
                    ast::SetOperator::Union => "UNION ",
                    ast::SetOperator::Intersect => "INTERSECT ",
                    ast::SetOperator::Except => "EXCEPT ",
                    _ => return Err(unsupported("this set operation")),
                });
                if all {
                    out.buf.push_str("ALL ");
                }
                let paren = matches!(right, SetExpr::SetOperation { .. });
                let sub = if paren {
                    out.buf.push('(');
                    INDENT_STD
                } else {
                    0
                };
                out.keyword("", sub, 0, 0);
                self.print_setop(right, out, names, false)?;
                out.indent -= sub;
                if paren {
                    out.keyword(")", 0, 0, 0);
                }
                Ok(())
            }
            SetExpr::Select(_) | SetExpr::Values(_) => {
                let q = ast::Query {
                    with: None,
                    body: Box::new(body.clone()),
                    order_by: None,
                    limit_clause: None,
                    fetch: None,
                    locks: Vec::new(),
                    for_clause: None,
                    settings: None,
                    format_clause: None,
                    pipe_operators: Vec::new(),
                };
                self.print_query(&q, out, names, visible)
            }
            SetExpr::Query(q) => {
                let paren = q.with.is_some()
                    || q.order_by.is_some()
                    || q.limit_clause.is_some()
                    || matches!(*q.body, SetExpr::SetOperation { .. });
                if paren {
                    out.buf.push('(');
                }
                self.print_query(q, out, names, visible)?;
                if paren {
                    out.buf.push(')');
                }
                Ok(())
            }
            _ => Err(unsupported("this set operation")),
        }
    }

    /// `get_values_def`: each value coerced to its column's common type.
    fn print_values(&mut self, v: &ast::Values, out: &mut Out<'_>) -> PgResult<()> {
        let width = v.rows.first().map_or(0, |r| r.len());
        let mut rows: Vec<Vec<Expr>> = Vec::new();
        let mut texts: Vec<Vec<VecDeque<String>>> = Vec::new();
        for r in &v.rows {
            if r.len() != width {
                return Err(PgError::syntax(
                    "VALUES lists must all be the same length",
                    None,
                ));
            }
            let mut row = Vec::new();
            let mut subs = Vec::new();
            for e in r.iter() {
                subs.push(self.render_sublinks(e, out)?);
                row.push(self.transform(e)?);
            }
            rows.push(row);
            texts.push(subs);
        }
        for c in 0..width {
            let types: Vec<_> = rows.iter().map(|r| (r[c].type_oid(), None)).collect();
            let t = super::coerce::select_common_type(&types, "VALUES")?;
            for r in rows.iter_mut() {
                let x = std::mem::replace(&mut r[c], Expr::null(t));
                r[c] = self.coerce(x, t, -1, false, None)?;
            }
        }
        out.buf.push_str("VALUES ");
        let mut printed_rows = Vec::new();
        for (r, subs) in rows.iter().zip(texts) {
            let mut cells = Vec::new();
            for (x, sub) in r.iter().zip(subs) {
                cells.push(self.print_expr(x, sub, out)?);
            }
            printed_rows.push(format!("({})", cells.join(",")));
        }
        out.buf.push_str(&printed_rows.join(", "));
        Ok(())
    }

    /// The subqueries of `e`, printed (`get_sublink_expr`'s inner part) at
    /// the indentation of `out`, each as a level nested in this one.
    fn render_sublinks(&mut self, e: &ast::Expr, out: &Out<'_>) -> PgResult<VecDeque<String>> {
        let mut done = VecDeque::new();
        for (q, _) in sublinks(e) {
            let mut sub = Out {
                buf: String::new(),
                indent: out.indent,
                pretty: out.pretty,
                wrap: out.wrap,
                search: out.search,
                qualify: out.qualify,
            };
            self.in_subquery_level(|a| a.print_query(&q, &mut sub, None, false))?;
            done.push_back(sub.buf);
        }
        Ok(done)
    }

    /// An analyzed expression of this level as text.
    fn print_expr(&self, x: &Expr, sublinks: VecDeque<String>, out: &Out<'_>) -> PgResult<String> {
        let mut names = Names {
            a: self,
            sublinks,
            search: out.search,
            pretty: out.pretty,
            indent: out.indent,
            failed: None,
            window_names: &self.printed_window_names,
        };
        let s = names.print(x);
        match names.failed {
            Some(what) => Err(unsupported(what)),
            None => Ok(s),
        }
    }

    /// An expression of the syntax tree, analyzed and printed.
    fn print_ast_expr(&mut self, e: &ast::Expr, out: &Out<'_>, boolean: bool) -> PgResult<String> {
        let subs = self.render_sublinks(e, out)?;
        let x = if boolean {
            self.transform_bool(e, "WHERE")?
        } else {
            self.transform(e)?
        };
        self.print_expr(&x, subs, out)
    }

    /// `get_basic_select_query` and the ORDER BY of `get_select_query_def`.
    fn print_select(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
        out: &mut Out<'_>,
        names: Option<&[String]>,
        visible: bool,
    ) -> PgResult<()> {
        if s.into.is_some() || s.top.is_some() || !s.lateral_views.is_empty() {
            return Err(unsupported("this SELECT"));
        }
        out.indent += INDENT_STD;
        out.buf.push(' ');
        self.analyze_from(&s.from)?;
        self.set_named_windows(&s.named_window)?;
        self.printed_window_names = window_names(&s.projection);
        // Analysis in the order of `analyze_select`.
        let filter = match &s.selection {
            Some(w) => {
                let subs = self.render_sublinks(w, out)?;
                let saved = self.agg_forbidden.replace("WHERE");
                let f = self.transform_bool(w, "WHERE");
                self.agg_forbidden = saved;
                Some((f?, subs))
            }
            None => None,
        };
        let mut target_subs = Vec::new();
        for item in &s.projection {
            target_subs.push(match item {
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => self.render_sublinks(e, out)?,
                _ => VecDeque::new(),
            });
        }
        self.srf_allowed = true;
        let listed = self.analyze_select_list(&s.projection);
        self.srf_allowed = false;
        let (columns, mut targets) = listed?;
        if targets.len() != s.projection.len() && target_subs.iter().any(|t| !t.is_empty()) {
            return Err(unsupported("a subquery beside *"));
        }
        let group_by = self.analyze_group_by(&s.group_by, &s.projection, &targets)?;
        if group_by.as_ref().is_some_and(|(_, sets)| !sets.is_empty()) {
            return Err(unsupported("grouping sets"));
        }
        let having = match &s.having {
            Some(h) => {
                let subs = self.render_sublinks(h, out)?;
                let saved = self.window_forbidden.replace("HAVING");
                let x = self.transform_bool(h, "HAVING");
                self.window_forbidden = saved;
                Some((x?, subs))
            }
            None => None,
        };
        self.srf_allowed = true;
        let sort = self.analyze_order_by(order_by, &columns, &mut targets);
        self.srf_allowed = false;
        let sort: Vec<SortKey> = sort?;
        let distinct_on = match &s.distinct {
            Some(ast::Distinct::On(exprs)) => {
                Some(self.distinct_on(exprs, &columns, &mut targets, &sort)?)
            }
            _ => None,
        };

        out.buf.push_str("SELECT");
        match &distinct_on {
            Some(keys) => {
                let mut parts = Vec::new();
                for &k in keys {
                    parts.push(self.sort_text(&targets[k].expr, out)?);
                }
                out.buf
                    .push_str(&format!(" DISTINCT ON ({})", parts.join(", ")));
            }
            None if matches!(s.distinct, Some(ast::Distinct::Distinct)) => {
                out.buf.push_str(" DISTINCT")
            }
            None => {}
        }
        // `get_target_list`.
        let mut sep = " ";
        let mut last_multiline = false;
        let mut subs = target_subs.into_iter();
        for (i, (t, c)) in targets.iter().zip(&columns).enumerate() {
            out.buf.push_str(sep);
            sep = ", ";
            let item_subs = if targets.len() == s.projection.len() {
                subs.next().unwrap_or_default()
            } else {
                VecDeque::new()
            };
            let mut text = self.print_expr(&t.expr, item_subs, out)?;
            let attname = match &t.expr {
                Expr::Var { index, .. } => Some(self.var_name(*index).1),
                x => {
                    let names = Names {
                        a: self,
                        sublinks: VecDeque::new(),
                        search: out.search,
                        pretty: out.pretty,
                        indent: out.indent,
                        failed: None,
                        window_names: &[],
                    };
                    if let Some(join) = names.join_column(&self.scope, x) {
                        Some(
                            join.rsplit('.')
                                .next()
                                .unwrap_or_default()
                                .trim_matches('"')
                                .to_owned(),
                        )
                    } else if visible {
                        None
                    } else {
                        Some("?column?".to_owned())
                    }
                }
            };
            let colname = names.and_then(|n| n.get(i)).unwrap_or(&c.name);
            if attname.as_deref() != Some(colname.as_str()) {
                text.push_str(&format!(" AS {}", quote_identifier(colname)));
            }
            out.wrapped_item(&text, i == 0, last_multiline);
            last_multiline = text.trim_start_matches('\n').contains('\n');
        }
        // `get_from_clause`.
        for (i, item) in s.from.iter().enumerate() {
            let text = self.print_from_item(item, out)?;
            if i == 0 {
                out.keyword(" FROM ", -INDENT_STD, INDENT_STD, 2);
                out.buf.push_str(&text);
            } else {
                out.buf.push_str(", ");
                out.wrapped_item(&text, false, false);
            }
        }
        if let Some((f, subs)) = filter {
            out.keyword(" WHERE ", -INDENT_STD, INDENT_STD, 1);
            let text = self.print_expr(&f, subs, out)?;
            out.buf.push_str(&text);
        }
        if let Some((exprs, _)) = &group_by {
            out.keyword(" GROUP BY ", -INDENT_STD, INDENT_STD, 1);
            let mut parts = Vec::new();
            for x in exprs {
                parts.push(self.sort_text(x, out)?);
            }
            out.buf.push_str(&parts.join(", "));
        }
        if let Some((h, subs)) = having {
            out.keyword(" HAVING ", -INDENT_STD, INDENT_STD, 0);
            let text = self.print_expr(&h, subs, out)?;
            out.buf.push_str(&text);
        }
        let mut first_window = true;
        for ast::NamedWindowDefinition(name, def) in &s.named_window {
            let ast::NamedWindowExpr::WindowSpec(spec) = def else {
                return Err(unsupported("this WINDOW clause"));
            };
            if spec.window_name.is_some() || spec.window_frame.is_some() {
                return Err(unsupported("this WINDOW clause"));
            }
            let mut partition = Vec::new();
            for e in &spec.partition_by {
                partition.push(self.transform(e)?);
            }
            let mut order = Vec::new();
            for o in &spec.order_by {
                let x = self.transform(&o.expr)?;
                let desc = self.sort_descending(o, x.type_oid())?;
                let nulls_first = o.options.nulls_first.unwrap_or(desc);
                order.push((x, desc, nulls_first));
            }
            if first_window {
                out.keyword(" WINDOW ", -INDENT_STD, INDENT_STD, 1);
                first_window = false;
            } else {
                out.buf.push_str(", ");
            }
            let mut names = Names {
                a: self,
                sublinks: VecDeque::new(),
                search: out.search,
                pretty: out.pretty,
                indent: out.indent,
                failed: None,
                window_names: &[],
            };
            let text = names.window_spec(&partition, &order);
            if let Some(what) = names.failed {
                return Err(unsupported(what));
            }
            out.buf.push_str(&format!(
                "{} AS {text}",
                quote_identifier(&ident_name(name))
            ));
        }
        if !sort.is_empty() {
            out.keyword(" ORDER BY ", -INDENT_STD, INDENT_STD, 1);
            let mut parts = Vec::new();
            for k in &sort {
                let mut p = self.sort_text(&targets[k.column].expr, out)?;
                p.push_str(&direction(k.descending, k.nulls_first));
                parts.push(p);
            }
            out.buf.push_str(&parts.join(", "));
        }
        Ok(())
    }

    fn sort_text(&self, x: &Expr, out: &Out<'_>) -> PgResult<String> {
        let mut names = Names {
            a: self,
            sublinks: VecDeque::new(),
            search: out.search,
            pretty: out.pretty,
            indent: out.indent,
            failed: None,
            window_names: &self.printed_window_names,
        };
        let s = names.sort_expr(x);
        match names.failed {
            Some(what) => Err(unsupported(what)),
            None => Ok(s),
        }
    }

    /// One item of FROM with its joins (`get_from_clause_item`), printed
    /// into a buffer of its own (the caller places it); the indentation is
    /// that of the FROM clause.
    fn print_from_item(
        &mut self,
        item: &ast::TableWithJoins,
        out: &mut Out<'_>,
    ) -> PgResult<String> {
        let mut sub = Out {
            buf: String::new(),
            indent: out.indent,
            pretty: out.pretty,
            wrap: out.wrap,
            search: out.search,
            qualify: out.qualify,
        };
        self.print_join_tree(&item.relation, &item.joins, &mut sub)?;
        Ok(sub.buf)
    }

    fn print_join_tree(
        &mut self,
        relation: &TableFactor,
        joins: &[ast::Join],
        out: &mut Out<'_>,
    ) -> PgResult<()> {
        if !out.pretty {
            for _ in joins {
                out.buf.push('(');
            }
        }
        self.print_table_factor(relation, out)?;
        let mut left_columns = self.factor_columns(relation);
        for j in joins {
            let (word, constraint) = match &j.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => {
                    let cross = matches!(c, JoinConstraint::None);
                    (if cross { " CROSS JOIN " } else { " JOIN " }, c)
                }
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (" LEFT JOIN ", c),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (" RIGHT JOIN ", c),
                JoinOperator::FullOuter(c) => (" FULL JOIN ", c),
                JoinOperator::CrossJoin(c) => (" CROSS JOIN ", c),
                _ => return Err(unsupported("this join")),
            };
            out.keyword(word, -INDENT_STD, INDENT_STD, INDENT_JOIN);
            let paren_right =
                out.pretty && matches!(&j.relation, TableFactor::NestedJoin { alias: None, .. });
            if paren_right {
                out.buf.push('(');
            }
            self.print_table_factor(&j.relation, out)?;
            if paren_right {
                out.buf.push(')');
            }
            let right_columns = self.factor_columns(&j.relation);
            match constraint {
                JoinConstraint::On(e) => {
                    out.buf.push_str(" ON ");
                    let text = self.print_ast_expr(e, out, true)?;
                    if out.pretty {
                        out.buf.push_str(&text);
                    } else {
                        out.buf.push_str(&format!("({text})"));
                    }
                }
                JoinConstraint::Using(cols) => {
                    let names: Vec<String> = cols
                        .iter()
                        .map(|c| quote_identifier(&name_parts(c).join(".")))
                        .collect();
                    out.buf.push_str(&format!(" USING ({})", names.join(", ")));
                }
                JoinConstraint::Natural => {
                    let (Some(l), Some(r)) = (&left_columns, &right_columns) else {
                        return Err(unsupported("this NATURAL join"));
                    };
                    let common: Vec<String> = l
                        .iter()
                        .filter(|c| r.contains(c))
                        .map(|c| quote_identifier(c))
                        .collect();
                    if common.is_empty() {
                        if !word.contains("CROSS") && word != " JOIN " {
                            out.buf.push_str(" ON TRUE");
                        }
                    } else {
                        out.buf.push_str(&format!(" USING ({})", common.join(", ")));
                    }
                }
                JoinConstraint::None => {
                    if !word.contains("CROSS") && word != " JOIN " {
                        out.buf.push_str(" ON TRUE");
                    }
                }
                JoinConstraint::UsingAlias(..) => return Err(unsupported("USING ... AS")),
            }
            if !out.pretty {
                out.buf.push(')');
            }
            left_columns = match (left_columns, right_columns, constraint) {
                (Some(mut l), Some(r), JoinConstraint::None | JoinConstraint::On(_)) => {
                    l.extend(r);
                    Some(l)
                }
                _ => None,
            };
        }
        Ok(())
    }

    /// The column names a FROM item puts in scope, where cheaply known.
    fn factor_columns(&self, f: &TableFactor) -> Option<Vec<String>> {
        let refname = match f {
            TableFactor::Table { name, alias, .. } => match alias {
                Some(a) => ident_name(&a.name),
                None => name_parts(name).last()?.clone(),
            },
            TableFactor::Derived { alias: Some(a), .. } => ident_name(&a.name),
            _ => return None,
        };
        let item = self
            .scope
            .iter()
            .find(|i| i.join_columns.is_none() && i.entry.refname == refname)?;
        Some(
            item.entry
                .rel
                .columns
                .iter()
                .filter(|c| !c.dropped)
                .map(|c| c.name.clone())
                .collect(),
        )
    }

    fn print_table_factor(&mut self, f: &TableFactor, out: &mut Out<'_>) -> PgResult<()> {
        match f {
            TableFactor::Table {
                name,
                alias,
                args: None,
                with_hints,
                version: None,
                partitions,
                sample: None,
                ..
            } if with_hints.is_empty() && partitions.is_empty() => {
                let parts = name_parts(name);
                let is_cte = parts.len() == 1 && self.ctes.iter().any(|c| c.name == parts[0]);
                if is_cte {
                    out.buf.push_str(&quote_identifier(&parts[0]));
                } else {
                    let rel = match parts.as_slice() {
                        [n] => self.catalog.lookup_relation(None, n)?,
                        [s, n] => self.catalog.lookup_relation(Some(s), n)?,
                        _ => None,
                    };
                    let Some(rel) = rel else {
                        return Err(unsupported("this relation"));
                    };
                    out.buf.push_str(&out.relation_name(&rel));
                }
                self.alias_text(alias.as_ref(), out);
                Ok(())
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample: None,
            } => {
                if *lateral {
                    out.buf.push_str("LATERAL ");
                }
                out.buf.push('(');
                self.in_subquery_level(|a| a.print_query(subquery, out, None, true))?;
                out.buf.push(')');
                self.alias_text(alias.as_ref(), out);
                Ok(())
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                // Not pretty, the join tree has its own parentheses.
                let paren = alias.is_some() && (out.pretty || table_with_joins.joins.is_empty());
                if paren {
                    out.buf.push('(');
                }
                self.print_join_tree(&table_with_joins.relation, &table_with_joins.joins, out)?;
                if paren {
                    out.buf.push(')');
                }
                self.alias_text(alias.as_ref(), out);
                Ok(())
            }
            _ => Err(unsupported("this FROM item")),
        }
    }

    fn alias_text(&self, alias: Option<&ast::TableAlias>, out: &mut Out<'_>) {
        if let Some(a) = alias {
            out.buf.push(' ');
            out.buf.push_str(&quote_identifier(&ident_name(&a.name)));
            if !a.columns.is_empty() {
                let cols: Vec<String> = a
                    .columns
                    .iter()
                    .map(|c| quote_identifier(&ident_name(&c.name)))
                    .collect();
                out.buf.push_str(&format!("({})", cols.join(", ")));
            }
        }
    }
}
