//! The SEARCH and CYCLE clauses of a `WITH RECURSIVE` query, rewritten as
//! PostgreSQL's `rewriteSearchCycle.c` does, into a recursive query with
//! more columns:
//!
//! ```text
//!   name (c1, c2, c3) AS (left UNION [ALL] right)
//!     SEARCH DEPTH FIRST BY c1, c2 SET sqc
//!     CYCLE c1 SET cmc TO v DEFAULT d USING cpa
//! becomes
//!   name (c1, c2, c3, sqc, cmc, cpa) AS (
//!       SELECT c1, c2, c3, ARRAY[ROW(c1, c2)], d, ARRAY[ROW(c1)]
//!         FROM (left) "*TLOCRN*" (c1, c2, c3)
//!     UNION [ALL]
//!       SELECT c1, c2, c3, sqc || ARRAY[ROW(c1, c2)],
//!              CASE WHEN ROW(c1) = ANY (cpa) THEN v ELSE d END,
//!              cpa || ARRAY[ROW(c1)]
//!         FROM (right + name.sqc, name.cmc, name.cpa) "*TROCRN*" (c1 .. cpa)
//!        WHERE cmc <> v)
//! ```
//!
//! BREADTH FIRST keeps `ROW(depth, c1, c2)` instead of the array, the depth
//! a bigint from 0. sqlparser does not read the clauses: the backend's raw
//! parser turns them into whitespace (positions stay), and they are read
//! back here from the query text after the query's closing parenthesis.
//! The wrapper SELECTs are built as text and parsed; the two terms keep
//! their own syntax trees (and positions). The recursive reference sits
//! one query level down in the rewritten right term, which the work table
//! is told (see `CteDef::level`).

use sqlparser::ast::{self, SetExpr, TableFactor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};
use types::{PgError, PgResult, SqlState};

use super::{Analyzer, ident_name};

/// `SEARCH {DEPTH | BREADTH} FIRST BY columns SET column`.
#[derive(Debug)]
pub(crate) struct SearchClause {
    breadth: bool,
    columns: Vec<String>,
    set: String,
    at: Option<usize>,
}

/// `CYCLE columns SET mark [TO value DEFAULT default] USING path`.
#[derive(Debug)]
pub(crate) struct CycleClause {
    columns: Vec<String>,
    mark: String,
    /// The texts of the TO and DEFAULT constants (`true`, `false` without).
    value: String,
    default: String,
    /// Where the DEFAULT constant starts (for a type mismatch).
    default_at: Option<usize>,
    path: String,
    at: Option<usize>,
}

/// The clauses after one WITH query.
#[derive(Debug, Default)]
pub(crate) struct Clauses {
    search: Option<SearchClause>,
    cycle: Option<CycleClause>,
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn word_is(t: &Token, w: &str) -> bool {
    matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
}

fn syntax_error(at: Option<usize>) -> PgError {
    PgError::syntax("syntax error in SEARCH or CYCLE clause", at)
}

impl Analyzer<'_> {
    /// The SEARCH and CYCLE clauses written after `cte`, if any.
    pub(crate) fn search_cycle_clauses(&self, cte: &ast::Cte) -> PgResult<Option<Clauses>> {
        // A view's query is stored with its clauses rewritten (and its
        // positions are not in this text).
        if !self.expanding_views.is_empty() {
            return Ok(None);
        }
        let Some(mut start) = self.byte_offset(cte.closing_paren_token.0.span.end) else {
            return Ok(None);
        };
        let text = self.query_text;
        if !text[..start].ends_with(')') && text[start..].starts_with(')') {
            start += 1;
        }
        let tail = &text[start..];
        let trimmed = tail.trim_start();
        if !(trimmed.len() >= 6
            && (trimmed[..6].eq_ignore_ascii_case("search")
                || trimmed[..5].eq_ignore_ascii_case("cycle")))
        {
            return Ok(None);
        }
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, tail).tokenize_with_location()
        else {
            return Ok(None);
        };
        let tokens: Vec<TokenWithSpan> = tokens
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect();
        // Character position (1-based, in the whole text) of a token.
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(tail.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let pos_of = |t: &TokenWithSpan| -> Option<usize> {
            let l = t.span.start;
            let line = *line_starts.get((l.line as usize).checked_sub(1)?)?;
            let off = tail[line..]
                .char_indices()
                .nth((l.column as usize).checked_sub(1)?)
                .map_or(tail.len(), |(i, _)| line + i);
            Some(text[..start + off].chars().count() + 1)
        };
        let name_of = |t: Option<&TokenWithSpan>| -> PgResult<String> {
            match t.map(|t| &t.token) {
                Some(Token::Word(w)) => Ok(ident_name(&ast::Ident {
                    value: w.value.clone(),
                    quote_style: w.quote_style,
                    span: sqlparser::tokenizer::Span::empty(),
                })),
                _ => Err(syntax_error(t.and_then(pos_of))),
            }
        };
        let expect = |k: usize, w: &str| -> PgResult<()> {
            match tokens.get(k) {
                Some(t) if word_is(&t.token, w) => Ok(()),
                t => Err(syntax_error(t.and_then(pos_of))),
            }
        };
        // `name [, name ...]` from token `k`: the names and the next token.
        let names = |mut k: usize| -> PgResult<(Vec<String>, usize)> {
            let mut out = vec![name_of(tokens.get(k))?];
            k += 1;
            while tokens.get(k).is_some_and(|t| t.token == Token::Comma) {
                out.push(name_of(tokens.get(k + 1))?);
                k += 2;
            }
            Ok((out, k))
        };
        // The text of tokens [from, to).
        let source = |from: usize, to: usize| -> String {
            tokens[from..to]
                .iter()
                .map(|t| t.token.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut clauses = Clauses::default();
        let mut k = 0;
        if tokens.get(k).is_some_and(|t| word_is(&t.token, "search")) {
            let at = pos_of(&tokens[k]);
            let breadth = match tokens.get(k + 1) {
                Some(t) if word_is(&t.token, "breadth") => true,
                Some(t) if word_is(&t.token, "depth") => false,
                t => return Err(syntax_error(t.and_then(pos_of))),
            };
            expect(k + 2, "first")?;
            expect(k + 3, "by")?;
            let (columns, next) = names(k + 4)?;
            expect(next, "set")?;
            let set = name_of(tokens.get(next + 1))?;
            clauses.search = Some(SearchClause {
                breadth,
                columns,
                set,
                at,
            });
            k = next + 2;
        }
        if tokens.get(k).is_some_and(|t| word_is(&t.token, "cycle")) {
            let at = pos_of(&tokens[k]);
            let (columns, next) = names(k + 1)?;
            expect(next, "set")?;
            let mark = name_of(tokens.get(next + 1))?;
            let mut k2 = next + 2;
            let (mut value, mut default, mut default_at) =
                ("true".to_owned(), "false".to_owned(), None);
            if tokens.get(k2).is_some_and(|t| word_is(&t.token, "to")) {
                let find = |from: usize, w: &str| {
                    (from..tokens.len()).find(|&i| word_is(&tokens[i].token, w))
                };
                let Some(d) = find(k2 + 1, "default") else {
                    return Err(syntax_error(tokens.get(k2).and_then(pos_of)));
                };
                let Some(u) = find(d + 1, "using") else {
                    return Err(syntax_error(tokens.get(d).and_then(pos_of)));
                };
                value = source(k2 + 1, d);
                default = source(d + 1, u);
                default_at = tokens.get(d + 1).and_then(pos_of);
                k2 = u;
            }
            expect(k2, "using")?;
            let path = name_of(tokens.get(k2 + 1))?;
            clauses.cycle = Some(CycleClause {
                columns,
                mark,
                value,
                default,
                default_at,
                path,
                at,
            });
        }
        Ok(Some(clauses))
    }

    /// `cte` with its clauses rewritten away (see the module doc), checked
    /// as PostgreSQL checks them.
    pub(crate) fn rewrite_search_cycle(
        &mut self,
        name: &str,
        cte: &ast::Cte,
        recursive: bool,
        clauses: &Clauses,
    ) -> PgResult<ast::Cte> {
        let dialect = PostgreSqlDialect {};
        let parse_query = |sql: &str| -> PgResult<ast::Query> {
            Parser::new(&dialect)
                .try_with_sql(sql)
                .and_then(|mut p| p.parse_query())
                .map(|q| *q)
                .map_err(|e| PgError::internal(format!("SEARCH/CYCLE rewrite: {e}")))
        };
        // The mark's type comes first, as in PostgreSQL.
        let mut mark_type = None;
        if let Some(c) = &clauses.cycle {
            let value = self.constant_type(&c.value)?;
            let default = self.constant_type(&c.default)?;
            let t = super::coerce::select_common_type(
                &[(value, None), (default, c.default_at)],
                "CYCLE",
            )?;
            let name = types::oid::type_name(t);
            if [
                "point", "lseg", "line", "box", "path", "polygon", "circle", "json", "xml",
            ]
            .contains(&name)
            {
                return Err(PgError::new(
                    SqlState::UndefinedFunction,
                    format!("could not identify an equality operator for type {name}"),
                ));
            }
            mark_type = Some(types::oid::type_name(t));
        }
        let at = self.pos(cte.alias.name.span);
        let mut names_itself = false;
        let _ = ast::visit_relations(&cte.query, |rel| {
            if let [part] = rel.0.as_slice()
                && part.as_ident().is_some_and(|id| ident_name(id) == name)
            {
                names_itself = true;
                return std::ops::ControlFlow::Break(());
            }
            std::ops::ControlFlow::Continue(())
        });
        if !recursive || !names_itself {
            return Err(PgError::syntax("WITH query is not recursive", at));
        }
        let SetExpr::SetOperation {
            op: ast::SetOperator::Union,
            left,
            right,
            ..
        } = cte.query.body.as_ref()
        else {
            // The recursive analysis reports the malformed query.
            return Ok(cte.clone());
        };
        let is_set_op = |e: &SetExpr| match e {
            SetExpr::SetOperation { .. } => true,
            SetExpr::Query(q) => matches!(q.body.as_ref(), SetExpr::SetOperation { .. }),
            _ => false,
        };
        if is_set_op(left) {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "with a SEARCH or CYCLE clause, the left side of the UNION must be a SELECT",
            ));
        }
        let right_select = match right.as_ref() {
            SetExpr::Select(s) => s.as_ref().clone(),
            SetExpr::Query(q) if !is_set_op(right) => match q.body.as_ref() {
                SetExpr::Select(s) if q.with.is_none() => s.as_ref().clone(),
                _ => {
                    return Err(reference_not_at_top(name));
                }
            },
            _ => {
                return Err(PgError::syntax(
                    "with a SEARCH or CYCLE clause, the right side of the UNION must be a SELECT",
                    None,
                ));
            }
        };
        // The CTE's columns: its column list over the left term's.
        let ((left_columns, _), _) = self.in_subquery_level(|a| a.set_operand(left))?;
        let columns: Vec<String> = left_columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cte.alias
                    .columns
                    .get(i)
                    .map_or_else(|| c.name.clone(), |a| ident_name(&a.name))
            })
            .collect();
        let mut added: Vec<String> = Vec::new();
        if let Some(s) = &clauses.search {
            let mut seen: Vec<&String> = Vec::new();
            for c in &s.columns {
                if !columns.contains(c) {
                    return Err(PgError::syntax(
                        format!("search column \"{c}\" not in WITH query column list"),
                        s.at,
                    ));
                }
                if seen.contains(&c) {
                    return Err(PgError::new(
                        SqlState::DuplicateColumn,
                        format!("search column \"{c}\" specified more than once"),
                    )
                    .or_position(s.at));
                }
                seen.push(c);
            }
            if columns.contains(&s.set) {
                return Err(PgError::syntax(
                    format!(
                        "search sequence column name \"{}\" already used in WITH query column list",
                        s.set
                    ),
                    s.at,
                ));
            }
            added.push(s.set.clone());
        }
        if let Some(c) = &clauses.cycle {
            let mut seen: Vec<&String> = Vec::new();
            for col in &c.columns {
                if !columns.contains(col) {
                    return Err(PgError::syntax(
                        format!("cycle column \"{col}\" not in WITH query column list"),
                        c.at,
                    ));
                }
                if seen.contains(&col) {
                    return Err(PgError::new(
                        SqlState::DuplicateColumn,
                        format!("cycle column \"{col}\" specified more than once"),
                    )
                    .or_position(c.at));
                }
                seen.push(col);
            }
            if columns.contains(&c.mark) {
                return Err(PgError::syntax(
                    format!(
                        "cycle mark column name \"{}\" already used in WITH query column list",
                        c.mark
                    ),
                    c.at,
                ));
            }
            if columns.contains(&c.path) {
                return Err(PgError::syntax(
                    format!(
                        "cycle path column name \"{}\" already used in WITH query column list",
                        c.path
                    ),
                    c.at,
                ));
            }
            if c.mark == c.path {
                return Err(PgError::syntax(
                    "cycle mark column name and cycle path column name are the same",
                    c.at,
                ));
            }
            added.push(c.mark.clone());
            added.push(c.path.clone());
        }
        if let (Some(s), Some(c)) = (&clauses.search, &clauses.cycle) {
            if s.set == c.mark {
                return Err(PgError::syntax(
                    "search sequence column name and cycle mark column name are the same",
                    s.at,
                ));
            }
            if s.set == c.path {
                return Err(PgError::syntax(
                    "search sequence column name and cycle path column name are the same",
                    s.at,
                ));
            }
        }

        // Where the right term names the CTE: its FROM items at this level.
        let Some(reference) = top_level_reference(&right_select.from, name) else {
            return Err(reference_not_at_top(name));
        };

        let list = |cols: &[String], prefix: &str| -> String {
            cols.iter()
                .map(|c| format!("{prefix}{}", quote(c)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        const LEFT: &str = "\"*TLOCRN*\"";
        const RIGHT: &str = "\"*TROCRN*\"";
        let r = format!("{RIGHT}.");
        let mut left_items = vec![list(&columns, "")];
        let mut right_items = vec![list(&columns, &r)];
        let mut where_clause = String::new();
        if let Some(s) = &clauses.search {
            let (lrow, rrow) = (list(&s.columns, ""), list(&s.columns, &r));
            let sqc = format!("{r}{}", quote(&s.set));
            if s.breadth {
                left_items.push(format!("ROW(CAST(0 AS int8), {lrow})"));
                right_items.push(format!("ROW(({sqc}).f1 + 1, {rrow})"));
            } else {
                left_items.push(format!("ARRAY[ROW({lrow})]"));
                right_items.push(format!("{sqc} || ARRAY[ROW({rrow})]"));
            }
        }
        if let (Some(c), Some(t)) = (&clauses.cycle, &mark_type) {
            let (lrow, rrow) = (list(&c.columns, ""), list(&c.columns, &r));
            let value = format!("CAST(({}) AS {t})", c.value);
            let default = format!("CAST(({}) AS {t})", c.default);
            let cmc = format!("{r}{}", quote(&c.mark));
            let cpa = format!("{r}{}", quote(&c.path));
            left_items.push(default.clone());
            left_items.push(format!("ARRAY[ROW({lrow})]"));
            right_items.push(format!(
                "CASE WHEN ROW({rrow}) = ANY ({cpa}) THEN {value} ELSE {default} END"
            ));
            right_items.push(format!("{cpa} || ARRAY[ROW({rrow})]"));
            where_clause = format!(" WHERE {cmc} <> {value}");
        }
        let all_columns: Vec<String> = columns.iter().chain(&added).cloned().collect();
        let left_sql = format!(
            "SELECT {} FROM (SELECT 1) AS {LEFT}({})",
            left_items.join(", "),
            list(&columns, "")
        );
        let right_sql = format!(
            "SELECT {} FROM (SELECT 1) AS {RIGHT}({}){where_clause}",
            right_items.join(", "),
            list(&all_columns, "")
        );
        let mut new_left = parse_query(&left_sql)?;
        let mut new_right = parse_query(&right_sql)?;
        let left_term = ast::Query {
            body: left.clone(),
            ..parse_query("SELECT 1")?
        };
        set_derived(&mut new_left, left_term)?;
        let mut inner = right_select;
        for a in &added {
            let e = Parser::new(&dialect)
                .try_with_sql(&format!("{}.{}", quote(&reference), quote(a)))
                .and_then(|mut p| p.parse_expr())
                .map_err(|e| PgError::internal(format!("SEARCH/CYCLE rewrite: {e}")))?;
            inner.projection.push(ast::SelectItem::UnnamedExpr(e));
        }
        let right_term = ast::Query {
            body: Box::new(SetExpr::Select(Box::new(inner))),
            ..parse_query("SELECT 1")?
        };
        set_derived(&mut new_right, right_term)?;
        let mut out = cte.clone();
        let mut query = cte.query.as_ref().clone();
        if let SetExpr::SetOperation { left, right, .. } = query.body.as_mut() {
            *left = new_left.body;
            *right = new_right.body;
        }
        out.query = Box::new(query);
        out.alias.columns = all_columns
            .iter()
            .map(|c| ast::TableAliasColumnDef {
                name: ast::Ident::with_quote('"', c.clone()),
                data_type: None,
            })
            .collect();
        Ok(out)
    }

    /// The type of a CYCLE mark constant.
    fn constant_type(&mut self, text: &str) -> PgResult<u32> {
        let e = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr())
            .map_err(|_| PgError::syntax(format!("syntax error at or near \"{text}\""), None))?;
        let scope = std::mem::take(&mut self.scope);
        let r = self.transform(&e);
        self.scope = scope;
        Ok(r?.type_oid())
    }
}

/// Whether a recursive term is a rewrite's `SELECT ... FROM (...)
/// "*TROCRN*" (...)`.
pub(crate) fn is_rewritten_term(term: &SetExpr) -> bool {
    let SetExpr::Select(s) = term else {
        return false;
    };
    matches!(
        s.from.as_slice(),
        [ast::TableWithJoins { relation: TableFactor::Derived { alias: Some(a), .. }, joins }]
            if joins.is_empty() && a.name.value == "*TROCRN*"
    )
}

fn reference_not_at_top(name: &str) -> PgError {
    PgError::new(
        SqlState::FeatureNotSupported,
        format!(
            "with a SEARCH or CYCLE clause, the recursive reference to WITH query \"{name}\" must be at the top level of its right-hand SELECT"
        ),
    )
}

/// Replaces the `(SELECT 1)` of a wrapper's FROM with `term`.
fn set_derived(wrapper: &mut ast::Query, term: ast::Query) -> PgResult<()> {
    if let SetExpr::Select(s) = wrapper.body.as_mut()
        && let Some(f) = s.from.first_mut()
        && let TableFactor::Derived { subquery, .. } = &mut f.relation
    {
        **subquery = term;
        return Ok(());
    }
    Err(PgError::internal("SEARCH/CYCLE rewrite: no FROM item"))
}

/// The name the FROM items `from` (not their subqueries) read CTE `name`
/// by: its alias, or the name.
fn top_level_reference(from: &[ast::TableWithJoins], name: &str) -> Option<String> {
    fn in_factor(f: &TableFactor, name: &str) -> Option<String> {
        match f {
            TableFactor::Table {
                name: n,
                alias,
                args: None,
                ..
            } => {
                let [part] = n.0.as_slice() else {
                    return None;
                };
                let id = part.as_ident()?;
                (ident_name(id) == name).then(|| match alias {
                    Some(a) => ident_name(&a.name),
                    None => name.to_owned(),
                })
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => in_twj(table_with_joins, name),
            _ => None,
        }
    }
    fn in_twj(t: &ast::TableWithJoins, name: &str) -> Option<String> {
        in_factor(&t.relation, name)
            .or_else(|| t.joins.iter().find_map(|j| in_factor(&j.relation, name)))
    }
    from.iter().find_map(|t| in_twj(t, name))
}
