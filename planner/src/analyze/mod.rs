//! Parse analysis: binds a sqlparser statement into a [`PlannedStmt`].
//!
//! Today only queries without tables are analyzed: `SELECT <exprs> [WHERE ..]
//! [ORDER BY ..] [LIMIT ..] [OFFSET ..]` and `VALUES` lists. A FROM clause naming a
//! table fails as PostgreSQL fails on a missing relation (42P01), since no tables
//! exist yet; other valid constructs fail with 0A000 naming the feature.

pub mod coerce;
pub mod colname;
pub mod expr;
pub mod func;
pub mod typename;

use sqlparser::ast::{self, LimitClause, OrderByKind, SelectItem, SetExpr, Spanned, Statement, TableFactor};
use sqlparser::tokenizer::{Location, Span};
use types::oid::{self, *};
use types::{Datum, PgError, PgResult, SqlState};

use crate::expr::Expr;
use crate::{Column, Plan, PlannedStmt, SortKey};

/// State of one statement's analysis.
pub struct Analyzer<'a> {
    pub query_text: &'a str,
    /// Parameter types; 0 while unresolved.
    pub param_types: Vec<u32>,
    pub param_positions: Vec<Option<usize>>,
    /// If set, `$n` beyond `param_types` is an error (simple query protocol).
    pub fixed_params: bool,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
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
            query_text,
            param_types: param_types.to_vec(),
            param_positions: vec![None; param_types.len()],
            fixed_params,
            line_starts,
        }
    }

    /// Byte offset of a location (line and column are 1-based, columns in characters).
    pub fn byte_offset(&self, loc: Location) -> Option<usize> {
        if loc.line == 0 {
            return None;
        }
        let start = *self.line_starts.get(loc.line as usize - 1)?;
        let line = &self.query_text[start..];
        let col = loc.column as usize - 1;
        let off = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
        Some(start + off)
    }

    /// PostgreSQL's cursor position: 1-based character index of the span's start.
    pub fn pos(&self, span: Span) -> Option<usize> {
        let b = self.byte_offset(span.start)?;
        Some(self.query_text[..b].chars().count() + 1)
    }

    pub fn analyze_statement(&mut self, stmt: &Statement) -> PgResult<PlannedStmt> {
        match stmt {
            Statement::Query(q) => self.analyze_query(q),
            other => Err(PgError::feature_not_supported(format!(
                "statement \"{}\"",
                other.to_string().split_whitespace().next().unwrap_or("")
            ))),
        }
    }

    fn analyze_query(&mut self, q: &ast::Query) -> PgResult<PlannedStmt> {
        if q.with.is_some() {
            return Err(PgError::feature_not_supported("WITH queries"));
        }
        if q.fetch.is_some() {
            return Err(PgError::feature_not_supported("FETCH FIRST"));
        }
        if !q.locks.is_empty() {
            return Err(PgError::feature_not_supported("FOR UPDATE/SHARE"));
        }
        let (columns, mut rows, filter) = match q.body.as_ref() {
            SetExpr::Select(s) => self.analyze_select(s)?,
            SetExpr::Values(v) => self.analyze_values(v)?,
            SetExpr::Query(inner) if q.order_by.is_none() && q.limit_clause.is_none() => {
                return self.analyze_query(inner);
            }
            SetExpr::SetOperation { .. } => return Err(PgError::feature_not_supported("UNION/INTERSECT/EXCEPT")),
            SetExpr::Table(t) => {
                let name = t.table_name.as_ref().map(|i| i.value.to_lowercase()).unwrap_or_default();
                return Err(PgError::new(SqlState::UndefinedTable, format!("relation \"{name}\" does not exist")));
            }
            _ => return Err(PgError::feature_not_supported("this kind of query")),
        };
        let mut order_by = Vec::new();
        if let Some(ob) = &q.order_by {
            let OrderByKind::Expressions(items) = &ob.kind else {
                return Err(PgError::feature_not_supported("ORDER BY ALL"));
            };
            for item in items {
                if matches!(item.options.sort, Some(ast::OrderBySort::Using(_))) {
                    return Err(PgError::feature_not_supported("ORDER BY USING"));
                }
                let descending = matches!(item.options.sort, Some(ast::OrderBySort::Desc));
                let nulls_first = item.options.nulls_first.unwrap_or(descending);
                let column = self.order_by_column(&item.expr, &columns, &mut rows)?;
                order_by.push(SortKey { column, descending, nulls_first });
            }
        }
        let (mut limit, mut offset) = (None, None);
        match &q.limit_clause {
            None => {}
            Some(LimitClause::LimitOffset { limit: l, offset: o, limit_by }) => {
                if !limit_by.is_empty() {
                    return Err(PgError::feature_not_supported("LIMIT BY"));
                }
                if let Some(l) = l {
                    limit = Some(self.count_expr(l, "LIMIT")?);
                }
                if let Some(o) = o {
                    offset = Some(self.count_expr(&o.value, "OFFSET")?);
                }
            }
            Some(LimitClause::OffsetCommaLimit { .. }) => {
                return Err(PgError::syntax("LIMIT #,# syntax is not supported", None)
                    .with_hint("Use separate LIMIT and OFFSET clauses."));
            }
        }
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
        Ok(PlannedStmt {
            columns,
            param_types: self.param_types.clone(),
            plan: Plan { rows, filter, order_by, limit, offset },
        })
    }

    fn count_expr(&mut self, e: &ast::Expr, what: &str) -> PgResult<Expr> {
        let pos = self.pos(e.span());
        let x = self.transform(e)?;
        if x.type_oid() == INT8 {
            return Ok(x);
        }
        match self.coerce(x, INT8, -1, false, pos) {
            Ok(x) => Ok(x),
            Err(err) if err.code == SqlState::CannotCoerce => Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!("argument of {what} must be type bigint, not type {}", err.message.split(' ').nth(3).unwrap_or("?")),
            )
            .or_position(pos)),
            Err(err) => Err(err),
        }
    }

    /// ORDER BY item: an output column number or name, or an expression (appended
    /// to every row as a hidden column).
    fn order_by_column(&mut self, e: &ast::Expr, columns: &[Column], rows: &mut [Vec<Expr>]) -> PgResult<usize> {
        if let ast::Expr::Value(v) = e
            && let ast::Value::Number(n, _) = &v.value {
                let pos = self.pos(v.span);
                let k: i64 = n.parse().map_err(|_| {
                    PgError::new(SqlState::SyntaxError, "non-integer constant in ORDER BY").or_position(pos)
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
            let name = if id.quote_style.is_some() { id.value.clone() } else { id.value.to_lowercase() };
            let matches: Vec<usize> = columns.iter().enumerate().filter(|(_, c)| c.name == name).map(|(i, _)| i).collect();
            if matches.len() > 1 {
                return Err(PgError::new(SqlState::AmbiguousColumn, format!("ORDER BY \"{name}\" is ambiguous"))
                    .or_position(self.pos(id.span)));
            }
            if let Some(&i) = matches.first() {
                return Ok(i);
            }
        }
        let pos = self.pos(e.span());
        let x = self.transform(e)?;
        let x = if x.type_oid() == UNKNOWN { self.coerce(x, TEXT, -1, false, pos)? } else { x };
        let idx = rows.first().map_or(columns.len(), |r| r.len());
        for r in rows.iter_mut() {
            r.push(x.clone());
        }
        Ok(idx)
    }

    #[allow(clippy::type_complexity)]
    fn analyze_select(&mut self, s: &ast::Select) -> PgResult<(Vec<Column>, Vec<Vec<Expr>>, Option<Expr>)> {
        if let Some(first) = s.from.first() {
            return Err(self.relation_error(&first.relation));
        }
        if s.into.is_some() {
            return Err(PgError::feature_not_supported("SELECT INTO"));
        }
        if matches!(s.distinct, Some(ast::Distinct::On(_))) {
            return Err(PgError::feature_not_supported("SELECT DISTINCT ON"));
        }
        match &s.group_by {
            ast::GroupByExpr::Expressions(v, m) if v.is_empty() && m.is_empty() => {}
            _ => return Err(PgError::feature_not_supported("GROUP BY")),
        }
        if s.having.is_some() {
            return Err(PgError::feature_not_supported("HAVING"));
        }
        if !s.named_window.is_empty() {
            return Err(PgError::feature_not_supported("WINDOW"));
        }
        let filter = match &s.selection {
            Some(w) => Some(self.transform_bool(w, "WHERE")?),
            None => None,
        };
        let mut columns = Vec::new();
        let mut row = Vec::new();
        for item in &s.projection {
            let (e, name) = match item {
                SelectItem::UnnamedExpr(e) => (e, colname::figure_colname(e)),
                SelectItem::ExprWithAlias { expr, alias } => (
                    expr,
                    if alias.quote_style.is_some() { alias.value.clone() } else { alias.value.to_lowercase() },
                ),
                SelectItem::Wildcard(_) => {
                    return Err(PgError::syntax("SELECT * with no tables specified is not valid", self.pos(item.span())));
                }
                _ => return Err(PgError::feature_not_supported("this select-list item")),
            };
            let pos = self.pos(e.span());
            let mut x = self.transform(e)?;
            if x.type_oid() == UNKNOWN {
                x = self.coerce(x, TEXT, -1, false, pos)?;
            }
            columns.push(Column { name, type_oid: x.type_oid(), typmod: x.typmod() });
            row.push(x);
        }
        Ok((columns, vec![row], filter))
    }

    #[allow(clippy::type_complexity)]
    fn analyze_values(&mut self, v: &ast::Values) -> PgResult<(Vec<Column>, Vec<Vec<Expr>>, Option<Expr>)> {
        let width = v.rows.first().map_or(0, |r| r.len());
        let mut rows: Vec<Vec<(Expr, Option<usize>)>> = Vec::new();
        for r in &v.rows {
            if r.len() != width {
                return Err(PgError::syntax(
                    "VALUES lists must all be the same length",
                    r.first().and_then(|e| self.pos(e.span())),
                ));
            }
            let mut out = Vec::new();
            for e in r.iter() {
                out.push((self.transform(e)?, self.pos(e.span())));
            }
            rows.push(out);
        }
        let mut columns = Vec::new();
        for c in 0..width {
            let types: Vec<_> = rows.iter().map(|r| (r[c].0.type_oid(), r[c].1)).collect();
            let t = coerce::select_common_type(&types, "VALUES")?;
            for r in rows.iter_mut() {
                let (x, p) = std::mem::replace(&mut r[c], (Expr::Const { value: Datum::Null, type_oid: t }, None));
                r[c] = (self.coerce(x, t, -1, false, p)?, p);
            }
            columns.push(Column { name: format!("column{}", c + 1), type_oid: t, typmod: -1 });
        }
        let rows = rows.into_iter().map(|r| r.into_iter().map(|(x, _)| x).collect()).collect();
        Ok((columns, rows, None))
    }

    fn relation_error(&self, t: &TableFactor) -> PgError {
        match t {
            TableFactor::Table { name, .. } => {
                let n = name
                    .0
                    .iter()
                    .map(|p| match p {
                        ast::ObjectNamePart::Identifier(id) => {
                            if id.quote_style.is_some() { id.value.clone() } else { id.value.to_lowercase() }
                        }
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(".");
                PgError::new(SqlState::UndefinedTable, format!("relation \"{n}\" does not exist"))
                    .or_position(self.pos(name.span()))
            }
            _ => PgError::feature_not_supported("FROM clause items other than tables"),
        }
    }
}

/// The type name `\gdesc` would print for a column.
pub fn describe_type(c: &Column) -> String {
    oid::format_type(c.type_oid, c.typmod)
}
