//! The FROM clause: its items (tables, `generate_series`, subqueries,
//! joins), the names they put in scope, and how column references and `*`
//! resolve against them (PostgreSQL's `parse_clause.c` and
//! `parse_relation.c` rules).
//!
//! Every FROM item's columns have a place in one wide row, the items' rows
//! side by side in the order the FROM clause names them: a `Var` indexes
//! that row. A join is a FROM item too; its columns are those of USING (or
//! NATURAL) first, merged, then the rest of the left's and of the right's.
//! After a join, the two sides' own columns are reachable only qualified
//! (`a.x`); unqualified names resolve through the join's columns, so a name
//! both sides have is ambiguous unless USING merged it. An alias on a join
//! hides the tables inside it.

use sqlparser::ast::{self, Spanned, TableFactor};
use types::{PgError, PgResult, SqlState};

use super::{Analyzer, RangeEntry, ident_name, name_parts, scope_relation};
use crate::catalog::RelationDesc;
use crate::expr::Expr;
use crate::plan::{Join, JoinKind, LockMode, Source};

/// One name in scope (PostgreSQL's `ParseNamespaceItem`): a FROM item,
/// its place in the wide row, and how it may be referenced.
#[derive(Debug, Clone)]
pub struct ScopeItem {
    pub entry: RangeEntry,
    /// The `Var` index of the item's first column.
    pub offset: usize,
    /// For a join: each column's expression over the wide row (a merged
    /// USING column of a FULL join is a COALESCE). None: column `i` is
    /// `Var offset + i`.
    pub join_columns: Option<Vec<Expr>>,
    /// `name.column` finds it.
    pub rel_visible: bool,
    /// A bare `column` finds it.
    pub cols_visible: bool,
    /// On the nullable side of an outer join: its columns may be NULL for
    /// a row it has no match for (a whole-row reference is then NULL).
    pub nullable: bool,
}

impl ScopeItem {
    /// A table (or function, or subquery) at `offset`, fully visible.
    pub fn base(entry: RangeEntry, offset: usize) -> ScopeItem {
        ScopeItem {
            entry,
            offset,
            join_columns: None,
            rel_visible: true,
            cols_visible: true,
            nullable: false,
        }
    }

    fn rel(&self) -> &RelationDesc {
        &self.entry.rel
    }

    /// Whether `t` or `schema.t` names this item.
    fn answers_to(&self, qualifier: &[String]) -> bool {
        match qualifier {
            [t] => *t == self.entry.refname,
            [s, t] => {
                !self.entry.has_alias
                    && self.join_columns.is_none()
                    && *t == self.rel().name
                    && *s == self.rel().schema
            }
            _ => false,
        }
    }

    /// The positions of the live columns called `name`.
    fn columns_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.rel()
            .columns
            .iter()
            .enumerate()
            .filter(move |(_, c)| !c.dropped && c.name == name)
            .map(|(i, _)| i)
    }

    /// The system column `tableoid` of a table: a constant, or for the
    /// scan of an inheritance tree the value after its columns.
    fn tableoid(&self) -> Option<Expr> {
        let rel = self.rel();
        if self.join_columns.is_some() || rel.oid == 0 || !matches!(rel.relkind, 'r' | 'p' | 'm') {
            return None;
        }
        Some(if rel.children.is_empty() {
            Expr::Const {
                value: types::Datum::Oid(rel.oid),
                type_oid: types::oid::OID,
            }
        } else {
            Expr::Var {
                index: self.offset + rel.columns.len(),
                type_oid: types::oid::OID,
                typmod: -1,
            }
        })
    }

    /// A system column of a table by name: `tableoid`, or one of
    /// `SYSTEM_COLUMNS` when its scan carries them (after the columns, and
    /// the `tableoid` of an inheritance tree's).
    fn system_column(&self, name: &str) -> Option<Expr> {
        if name == "tableoid" {
            return self.tableoid();
        }
        let rel = self.rel();
        if self.join_columns.is_some() || rel.oid == 0 || !rel.system_columns {
            return None;
        }
        let k = crate::catalog::SYSTEM_COLUMNS
            .iter()
            .position(|(n, _, _)| *n == name)?;
        let inherited = usize::from(!rel.children.is_empty());
        Some(Expr::Var {
            index: self.offset + rel.columns.len() + inherited + k,
            type_oid: crate::catalog::SYSTEM_COLUMNS[k].1,
            typmod: -1,
        })
    }

    /// Column `i` as an expression over the wide row.
    fn column_expr(&self, i: usize) -> Expr {
        if let Some(exprs) = &self.join_columns {
            return exprs[i].clone();
        }
        let c = &self.rel().columns[i];
        Expr::Var {
            index: self.offset + i,
            type_oid: c.type_oid,
            typmod: c.typmod,
        }
    }

    /// The live columns: name and expression.
    fn live_columns(&self) -> Vec<(String, Expr)> {
        self.rel()
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.dropped)
            .map(|(i, c)| (c.name.clone(), self.column_expr(i)))
            .collect()
    }

    /// A copy that no name reaches (it stays known for error messages).
    pub(super) fn hidden(&self) -> ScopeItem {
        ScopeItem {
            rel_visible: false,
            cols_visible: false,
            ..self.clone()
        }
    }
}

/// An analyzed FROM item: where its rows come from, how many values each
/// has, the names it puts in scope and its columns in order.
struct FromItem {
    source: Source,
    width: usize,
    items: Vec<ScopeItem>,
    columns: Vec<(String, Expr)>,
}

/// Every relation below `rel` in its inheritance tree, each once, in
/// PostgreSQL's order.
pub(crate) fn descendants(rel: &RelationDesc) -> Vec<std::sync::Arc<RelationDesc>> {
    fn walk(rel: &RelationDesc, out: &mut Vec<std::sync::Arc<RelationDesc>>) {
        for c in &rel.children {
            // A table below two parents (multiple inheritance) once.
            if out.iter().any(|o| o.oid == c.oid) {
                continue;
            }
            out.push(c.clone());
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    if rel.relkind == 'p' {
        // Partitions: each subtree in bound order, as PostgreSQL expands
        // them.
        walk(rel, &mut out);
        return out;
    }
    // Inheritance: level by level (PostgreSQL's find_all_inheritors).
    let mut i = 0;
    out.extend(rel.children.iter().cloned());
    while i < out.len() {
        let next = out[i].clone();
        i += 1;
        for c in &next.children {
            if !out.iter().any(|o| o.oid == c.oid) {
                out.push(c.clone());
            }
        }
    }
    out
}

/// The scan of an inheritance tree (PostgreSQL's Append): the rows of
/// `rel` and of every descendant (a partitioned table has none of its
/// own), each in `rel`'s columns by name, followed by the `tableoid` of the
/// relation it came from.
pub(crate) fn inheritance_append(rel: &std::sync::Arc<RelationDesc>, alias: &str) -> Source {
    let mut members = Vec::new();
    if rel.relkind != 'p' {
        members.push(rel.clone());
    }
    members.extend(descendants(rel).into_iter().filter(|d| d.relkind != 'p'));
    let plans = members
        .into_iter()
        .map(|m| {
            let mut targets: Vec<Expr> = rel
                .columns
                .iter()
                .map(|c| match m.column_index(&c.name).filter(|_| !c.dropped) {
                    Some(i) => Expr::Var {
                        index: i,
                        type_oid: m.columns[i].type_oid,
                        typmod: m.columns[i].typmod,
                    },
                    None => Expr::null(c.type_oid),
                })
                .collect();
            targets.push(Expr::Const {
                value: types::Datum::Oid(m.oid),
                type_oid: types::oid::OID,
            });
            let m = if rel.system_columns {
                for (k, (_, type_oid, _)) in crate::catalog::SYSTEM_COLUMNS.iter().enumerate() {
                    targets.push(Expr::Var {
                        index: m.columns.len() + k,
                        type_oid: *type_oid,
                        typmod: -1,
                    });
                }
                std::sync::Arc::new(RelationDesc {
                    system_columns: true,
                    ..(*m).clone()
                })
            } else {
                m
            };
            crate::plan::Plan {
                source: Source::SeqScan(m),
                targets,
                ..crate::plan::Plan::empty()
            }
        })
        .collect();
    Source::Append {
        plans,
        width: rel.columns.len() + 1 + system_width(rel),
        alias: alias.to_owned(),
    }
}

/// How many system columns the rows of a scan of `rel` carry after its
/// own (and an inheritance tree's `tableoid`).
pub(crate) fn system_width(rel: &RelationDesc) -> usize {
    if rel.system_columns {
        crate::catalog::SYSTEM_COLUMNS.len()
    } else {
        0
    }
}

/// Whether `name` is a system column's (`tableoid` or one of
/// `SYSTEM_COLUMNS`).
pub(crate) fn is_system_column(name: &str) -> bool {
    name == "tableoid"
        || crate::catalog::SYSTEM_COLUMNS
            .iter()
            .any(|(n, _, _)| *n == name)
}

/// PostgreSQL's `checkNameSpaceConflicts`: two items reachable by the same
/// name, unless both are tables without alias that differ (`s1.t, s2.t`).
fn check_conflicts(a: &[ScopeItem], b: &[ScopeItem]) -> PgResult<()> {
    for x in a.iter().filter(|i| i.rel_visible) {
        for y in b.iter().filter(|i| i.rel_visible) {
            if x.entry.refname != y.entry.refname {
                continue;
            }
            let distinct_tables = !x.entry.has_alias
                && !y.entry.has_alias
                && x.join_columns.is_none()
                && y.join_columns.is_none()
                && x.rel().oid != 0
                && x.rel().oid != y.rel().oid;
            if !distinct_tables {
                return Err(PgError::new(
                    SqlState::DuplicateAlias,
                    format!(
                        "table name \"{}\" specified more than once",
                        x.entry.refname
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A FROM item that reads another FROM item's columns where this
/// implementation cannot pass them in: a function's arguments, or a
/// LATERAL subquery that is not directly the right side of its join.
/// `f(args) [AS a[(cols)]]` in FROM as `LATERAL (SELECT * FROM f(args)) AS
/// a(cols)`: the one column is named after the alias, or the function.
/// Also the way `WITH ORDINALITY` is run: the subquery numbers the rows the
/// function returns, in their order, as the column `ordinality`.
/// `unnest(a, b, ...)` of several arrays in FROM, as the LATERAL subquery
/// that zips them: row i holds each array's i-th element, NULL past the end
/// of the shorter ones. Columns are named `unnest`, or by the alias.
fn multi_unnest_as_subquery(t: &TableFactor) -> Option<TableFactor> {
    let (arrays, alias): (Vec<String>, _) = match t {
        TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset: false,
            with_ordinality: false,
            ..
        } if array_exprs.len() > 1 => {
            (array_exprs.iter().map(ToString::to_string).collect(), alias)
        }
        TableFactor::Table {
            name,
            args: Some(args),
            alias,
            with_ordinality: false,
            ..
        } if args.args.len() > 1
            && matches!(
                name.0.iter().map(ToString::to_string).collect::<Vec<_>>().as_slice(),
                [n] | [_, n] if n.eq_ignore_ascii_case("unnest")
            ) =>
        {
            (args.args.iter().map(ToString::to_string).collect(), alias)
        }
        _ => return None,
    };
    let elements: Vec<String> = arrays
        .iter()
        .map(|a| format!("({a})[pg_catalog.array_lower({a}, 1) + g.i] AS unnest"))
        .collect();
    let lengths: Vec<String> = arrays
        .iter()
        .map(|a| format!("coalesce(pg_catalog.cardinality({a}), 0)"))
        .collect();
    let name = alias
        .as_ref()
        .map_or("unnest".to_string(), |a| a.to_string());
    let sql = format!(
        "LATERAL (SELECT {} FROM pg_catalog.generate_series(0, greatest({}) - 1) AS g(i)) AS {name}",
        elements.join(", "),
        lengths.join(", ")
    );
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_table_factor())
        .ok()
}

fn function_as_lateral_subquery(t: &TableFactor) -> Option<TableFactor> {
    let list = |args: &mut dyn Iterator<Item = String>| args.collect::<Vec<_>>().join(", ");
    let (call, name, alias, ordinality) = match t {
        TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset: false,
            with_ordinality,
            ..
        } => (
            format!(
                "unnest({})",
                list(&mut array_exprs.iter().map(ToString::to_string))
            ),
            "unnest".to_string(),
            alias.as_ref(),
            *with_ordinality,
        ),
        TableFactor::Table {
            name,
            args: Some(args),
            alias,
            with_ordinality,
            ..
        } => (
            format!(
                "{name}({})",
                list(&mut args.args.iter().map(ToString::to_string))
            ),
            name.0.last().map(ToString::to_string).unwrap_or_default(),
            alias.as_ref(),
            *with_ordinality,
        ),
        _ => return None,
    };
    // A column definition list (`AS x(a int, b text)`) stays on the call.
    if let Some(a) = alias
        && a.columns.iter().any(|c| c.data_type.is_some())
    {
        let defs: Vec<String> = a.columns.iter().map(ToString::to_string).collect();
        let sql = format!(
            "LATERAL (SELECT * FROM {call} AS {}({})) AS {}",
            a.name,
            defs.join(", "),
            a.name
        );
        return sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(&sql)
            .and_then(|mut p| p.parse_table_factor())
            .ok();
    }
    let (refname, mut columns) = match alias {
        Some(a) => (
            a.name.to_string(),
            a.columns.iter().map(|c| c.name.to_string()).collect(),
        ),
        None => (name.clone(), Vec::new()),
    };
    // A function of one unnamed column names it after the alias; named
    // columns (`jsonb_each`'s key and value) keep their names.
    let named = super::srf::set_function_columns(&name.to_lowercase())
        .filter(|cols| !matches!(cols, [("", _)]));
    let width = named.map_or(1, <[_]>::len);
    // Without ordinality the alias goes on the call itself: a column of a
    // composite type then spreads into its fields, named as they are.
    let mut call = call;
    if columns.is_empty() {
        match named {
            Some(cols) if ordinality => columns.extend(cols.iter().map(|c| c.0.to_string())),
            Some(_) => {}
            None if !ordinality => call = format!("{call} AS {refname}"),
            None => columns.push(refname.clone()),
        }
    }
    let numbering = match ordinality {
        true => {
            if columns.len() == width {
                columns.push("ordinality".to_string());
            }
            ", row_number() OVER ()"
        }
        false => "",
    };
    let sql = match columns.is_empty() {
        true => format!("LATERAL (SELECT *{numbering} FROM {call}) AS {refname}"),
        false => format!(
            "LATERAL (SELECT *{numbering} FROM {call}) AS {refname}({})",
            columns.join(", ")
        ),
    };
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_table_factor())
        .ok()
}

/// `e` with its `OuterParam`s one level nearer (see `table_factor`).
fn skip_check_level(e: Expr) -> Expr {
    match e {
        Expr::OuterParam {
            up,
            index,
            type_oid,
            typmod,
        } => Expr::OuterParam {
            up: up.saturating_sub(1),
            index,
            type_oid,
            typmod,
        },
        other => other
            .map_children(&mut |c| Ok::<_, std::convert::Infallible>(skip_check_level(c)))
            .unwrap_or_else(|never| match never {}),
    }
}

fn lateral_not_supported(pos: Option<usize>) -> PgError {
    PgError::feature_not_supported("this reference to another FROM item (LATERAL)").or_position(pos)
}

/// The right input of a join, its LATERAL params moved to the join's row
/// (which starts at `offset` of the wide row); 42P10 if the join cannot
/// pass them (PostgreSQL's rule: only INNER and LEFT JOIN can).
fn lateral_right(
    source: Source,
    kind: JoinKind,
    offset: usize,
    left: &[ScopeItem],
) -> PgResult<Source> {
    match source {
        Source::Subquery {
            plan,
            width,
            params,
        } if !params.is_empty() => {
            if !matches!(kind, JoinKind::Inner | JoinKind::Left) {
                let first = params.iter().find_map(Expr::var_span).map(|(lo, _)| lo);
                let table = left
                    .iter()
                    .filter(|i| i.join_columns.is_none())
                    .find(|i| {
                        first.is_some_and(|v| v >= i.offset && v < i.offset + i.rel().columns.len())
                    })
                    .map(|i| i.entry.refname.clone())
                    .unwrap_or_default();
                return Err(PgError::new(
                    SqlState::InvalidColumnReference,
                    format!("invalid reference to FROM-clause entry for table \"{table}\""),
                )
                .with_detail(
                    "The combining JOIN type must be INNER or LEFT for a LATERAL reference.",
                ));
            }
            Ok(Source::Subquery {
                plan,
                width,
                params: params
                    .into_iter()
                    .map(|p| p.shift_vars(-(offset as isize)))
                    .collect(),
            })
        }
        other => Ok(other),
    }
}

/// The `Var`s an expression reads, counted (for the positions the
/// grouping check keeps per `Var`).
pub(crate) fn var_count(e: &Expr) -> usize {
    let mut n = 0;
    e.walk(&mut |x| {
        if matches!(x, Expr::Var { .. }) {
            n += 1;
        }
    });
    n
}

impl Analyzer<'_> {
    /// Binds the FROM clause: its items side by side (a comma is a cross
    /// join), the names they define in scope. Nothing: one empty row.
    pub(super) fn analyze_from(&mut self, from: &[ast::TableWithJoins]) -> PgResult<Source> {
        self.scope.clear();
        let source = self.items_side_by_side(Vec::new(), 0, from, true)?;
        Ok(source.map_or(Source::Values(vec![vec![]]), |(s, _)| s))
    }

    /// The FROM items of `UPDATE ... FROM` / `DELETE ... USING`, after the
    /// target (`Var` 0..): their joined source and width; the target and
    /// the items are the scope. They cannot read the target or each other
    /// (no LATERAL there).
    pub(super) fn analyze_from_after(
        &mut self,
        target: RangeEntry,
        from: &[ast::TableWithJoins],
    ) -> PgResult<(Source, usize)> {
        let start = target.rel.columns.len();
        self.items_side_by_side(vec![ScopeItem::base(target, 0)], start, from, false)?
            .ok_or_else(|| PgError::internal("FROM without items"))
    }

    /// FROM items side by side after the items `all` already in scope, the
    /// first at `Var` `start`; `lateral`: whether LATERAL items may read
    /// the ones before them. Sets the scope to every item; returns the
    /// items' joined source and width (None without items).
    fn items_side_by_side(
        &mut self,
        mut all: Vec<ScopeItem>,
        start: usize,
        from: &[ast::TableWithJoins],
        lateral: bool,
    ) -> PgResult<Option<(Source, usize)>> {
        let mut acc: Option<(Source, usize)> = None;
        for twj in from {
            let offset = start + acc.as_ref().map_or(0, |(_, w)| *w);
            let earlier: Vec<ScopeItem> = match lateral {
                true => all.clone(),
                false => all.iter().map(ScopeItem::hidden).collect(),
            };
            let item = self.item_with_joins(twj, offset, &earlier)?;
            check_conflicts(&all, &item.items)?;
            all.extend(item.items);
            acc = Some(match acc {
                None => (item.source, item.width),
                Some((left, lw)) => {
                    let right = lateral_right(item.source, JoinKind::Inner, start, &all)?;
                    let join = Join::new(JoinKind::Inner, (left, lw), (right, item.width), None);
                    (Source::Join(Box::new(join)), lw + item.width)
                }
            });
        }
        self.scope = all;
        Ok(acc)
    }

    /// A FROM item with its chain of joins (`a JOIN b ON ... LEFT JOIN c ...`),
    /// its first column at `offset`. `earlier`: the items before it, which
    /// it may not reference (PostgreSQL's error names them; a reference
    /// from LATERAL or a function's arguments is 0A000).
    fn item_with_joins(
        &mut self,
        twj: &ast::TableWithJoins,
        offset: usize,
        earlier: &[ScopeItem],
    ) -> PgResult<FromItem> {
        let mut left = self.table_factor(&twj.relation, offset, earlier)?;
        if !twj.joins.is_empty() && !left.source.lateral_params().is_empty() {
            return Err(lateral_not_supported(self.pos(twj.relation.span())));
        }
        for (n, j) in twj.joins.iter().enumerate() {
            self.check_outer_join_recursion(twj, n)?;
            // A LATERAL item on the right of a JOIN sees the left side only.
            let mut known: Vec<ScopeItem> = earlier.iter().map(ScopeItem::hidden).collect();
            known.extend(left.items.iter().cloned());
            let right = self.table_factor(&j.relation, offset + left.width, &known)?;
            check_conflicts(&left.items, &right.items)?;
            left = self.join(left, right, j, offset, earlier)?;
        }
        Ok(left)
    }

    /// One FROM item without its joins.
    fn table_factor(
        &mut self,
        t: &TableFactor,
        offset: usize,
        earlier: &[ScopeItem],
    ) -> PgResult<FromItem> {
        if let TableFactor::Function {
            name,
            args,
            with_ordinality,
            alias,
            ..
        } = t
        {
            // `LATERAL f(...)`: a function in FROM sees the items before it
            // anyway, so the keyword changes nothing.
            let plain = TableFactor::Table {
                name: name.clone(),
                alias: alias.clone(),
                args: Some(ast::TableFunctionArgs {
                    args: args.clone(),
                    settings: None,
                }),
                with_hints: Vec::new(),
                version: None,
                with_ordinality: *with_ordinality,
                partitions: Vec::new(),
                json_path: None,
                sample: None,
                index_directives: Vec::new(),
                inheritance: None,
            };
            return self.table_factor(&plain, offset, earlier);
        }
        if let Some(zipped) = multi_unnest_as_subquery(t) {
            return self.table_factor(&zipped, offset, earlier);
        }
        let ordinality = match t {
            TableFactor::Table {
                args: Some(_),
                with_ordinality,
                ..
            }
            | TableFactor::UNNEST {
                with_ordinality, ..
            } => *with_ordinality,
            _ => false,
        };
        if ordinality && let Some(numbered) = function_as_lateral_subquery(t) {
            return self.table_factor(&numbered, offset, earlier);
        }
        let single = |source: Source, entry: RangeEntry, width: usize| {
            let item = ScopeItem::base(entry, offset);
            FromItem {
                source,
                width,
                columns: item.live_columns(),
                items: vec![item],
            }
        };
        // Function arguments and LATERAL subqueries may name earlier items
        // in PostgreSQL; here that is 0A000 (they are an outer level to
        // them). Other subqueries may not: they only know they exist.
        let lateral = match t {
            TableFactor::Derived { lateral, .. } => *lateral,
            _ => true,
        };
        let outer: Vec<ScopeItem> = match lateral {
            true => earlier.to_vec(),
            false => earlier.iter().map(ScopeItem::hidden).collect(),
        };
        self.outer_scopes.push(outer);
        self.sub_params.push(Vec::new());
        self.sub_reaches_out.push(false);
        let series = self.series_in_from(t);
        self.outer_scopes.pop();
        self.sub_reaches_out.pop();
        let lateral_refs = self.sub_params.pop().unwrap_or_default();
        if let Some((_, pos)) = lateral_refs.first() {
            // A function of earlier items' columns is a LATERAL subquery
            // that calls it.
            if let Some(derived) = function_as_lateral_subquery(t) {
                return self.table_factor(&derived, offset, earlier);
            }
            return Err(lateral_not_supported(*pos));
        }
        if let Some((source, entry)) = series? {
            // References to the query levels around counted the level
            // pushed for the LATERAL check, which does not exist when the
            // function runs.
            let source = match source {
                Source::Series(s) => Source::Series(crate::plan::Series {
                    start: skip_check_level(s.start),
                    stop: skip_check_level(s.stop),
                    step: s.step.map(skip_check_level),
                    type_oid: s.type_oid,
                    array: s.array.map(skip_check_level),
                }),
                Source::Function(mut f) => {
                    f.func.args = f.func.args.into_iter().map(skip_check_level).collect();
                    Source::Function(f)
                }
                other => other,
            };
            let width = entry.rel.columns.len();
            return Ok(single(source, entry, width));
        }
        match t {
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let outer = match lateral {
                    true => earlier.to_vec(),
                    false => earlier.iter().map(ScopeItem::hidden).collect(),
                };
                let saved = std::mem::replace(&mut self.scope, outer);
                let r = self.subquery_in_from(subquery, alias.as_ref());
                self.scope = saved;
                let (source, entry, width) = r?;
                Ok(single(source, entry, width))
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let inner = self.item_with_joins(table_with_joins, offset, earlier)?;
                match alias {
                    None => Ok(inner),
                    Some(alias) => self.aliased_join(inner, alias, offset),
                }
            }
            TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } if self.cte_named(name).is_some() => {
                let Some(k) = self.cte_named(name) else {
                    return Err(PgError::internal("WITH query lost"));
                };
                self.ctes[k].used = true;
                let def = &self.ctes[k];
                if def.level.is_some_and(|l| l != self.outer_scopes.len()) {
                    return Err(PgError::new(
                        SqlState::InvalidRecursion,
                        format!(
                            "recursive reference to query \"{}\" must not appear within a subquery",
                            def.name
                        ),
                    )
                    .or_position(self.pos(name.span())));
                }
                if let Source::WorkTable { id, .. } = def.source
                    && def.level.is_none()
                    && let Some(m) = self.modifying_ctes.iter_mut().find(|m| m.id == id)
                {
                    m.referenced = true;
                }
                let def = &self.ctes[k];
                if def.no_returning {
                    return Err(PgError::new(
                        SqlState::FeatureNotSupported,
                        format!(
                            "WITH query \"{}\" does not have a RETURNING clause",
                            def.name
                        ),
                    )
                    .or_position(self.pos(name.span())));
                }
                let (refname, has_alias, aliases) = match alias {
                    Some(a) => (ident_name(&a.name), true, a.columns.as_slice()),
                    None => (def.name.clone(), false, &[][..]),
                };
                let columns = super::cte::renamed("table", &refname, def.columns.clone(), aliases)?;
                let rel = scope_relation(
                    &def.name,
                    's',
                    columns
                        .iter()
                        .map(|c| (c.name.clone(), c.type_oid, c.typmod)),
                );
                let entry = RangeEntry {
                    rel,
                    refname,
                    has_alias,
                };
                Ok(single(def.source.clone(), entry, def.width))
            }
            _ => {
                let (mut entry, aliases) = self.table_in_from(t)?;
                self.add_relation(&entry.rel, LockMode::AccessShare);
                self.require_privileges(entry.rel.oid, catalog::acl::ACL_SELECT);
                if let Some(query) = entry.rel.view_query.clone() {
                    let (source, entry, width) = self.expand_view(entry, &query, earlier)?;
                    return Ok(single(source, with_column_aliases(entry, aliases)?, width));
                }
                let only = matches!(
                    t,
                    TableFactor::Table {
                        inheritance: Some(ast::TableInheritance::Only { .. }),
                        ..
                    }
                );
                let sample = match t {
                    TableFactor::Table {
                        sample:
                            Some(
                                ast::TableSampleKind::BeforeTableAlias(s)
                                | ast::TableSampleKind::AfterTableAlias(s),
                            ),
                        ..
                    } => Some(s.to_string()),
                    _ => None,
                };
                if let Some((source, secured, width)) =
                    self.row_security_scan(&entry, only, sample.as_deref(), earlier)?
                {
                    return Ok(single(
                        source,
                        with_column_aliases(secured, aliases)?,
                        width,
                    ));
                }
                if self.system_columns
                    && sample.is_none()
                    && matches!(entry.rel.relkind, 'r' | 'p' | 'm')
                {
                    entry.rel = std::sync::Arc::new(RelationDesc {
                        system_columns: true,
                        ..(*entry.rel).clone()
                    });
                }
                let width = entry.rel.columns.len();
                let system = system_width(&entry.rel);
                if only && entry.rel.relkind == 'p' {
                    // A partitioned table has no rows of its own.
                    entry.rel = std::sync::Arc::new(RelationDesc {
                        children: vec![entry.rel.clone()],
                        ..(*entry.rel).clone()
                    });
                    let source = Source::Append {
                        plans: Vec::new(),
                        width: width + 1 + system,
                        alias: entry.refname.clone(),
                    };
                    return Ok(single(
                        source,
                        with_column_aliases(entry, aliases)?,
                        width + 1 + system,
                    ));
                } else if only && !entry.rel.children.is_empty() {
                    // Without its children the relation is one table again
                    // (whose `tableoid` is a constant).
                    entry.rel = std::sync::Arc::new(RelationDesc {
                        children: Vec::new(),
                        ..(*entry.rel).clone()
                    });
                } else if !only && (!entry.rel.children.is_empty() || entry.rel.relkind == 'p') {
                    for d in descendants(&entry.rel) {
                        self.add_relation(&d, LockMode::AccessShare);
                    }
                    let source = inheritance_append(&entry.rel, &entry.refname);
                    // A partitioned table without partitions still has a
                    // `tableoid` column in its (empty) rows.
                    if entry.rel.children.is_empty() {
                        entry.rel = std::sync::Arc::new(RelationDesc {
                            children: vec![entry.rel.clone()],
                            ..(*entry.rel).clone()
                        });
                    }
                    return Ok(single(
                        source,
                        with_column_aliases(entry, aliases)?,
                        width + 1 + system,
                    ));
                }
                // The scan carries the FROM item's name, for EXPLAIN.
                let scanned = if entry.has_alias {
                    std::sync::Arc::new(RelationDesc {
                        alias: Some(entry.refname.clone()),
                        ..(*entry.rel).clone()
                    })
                } else {
                    entry.rel.clone()
                };
                let source = Source::SeqScan(scanned);
                Ok(single(
                    source,
                    with_column_aliases(entry, aliases)?,
                    width + system,
                ))
            }
        }
    }

    /// A view in FROM: its query, analyzed as a subquery of its own (no
    /// outer names, no WITH queries of the referencing query), whose
    /// columns take the view's names.
    fn expand_view(
        &mut self,
        entry: RangeEntry,
        query: &str,
        earlier: &[ScopeItem],
    ) -> PgResult<(Source, RangeEntry, usize)> {
        let view = entry.rel.clone();
        if self.expanding_views.contains(&view.oid) {
            return Err(PgError::new(
                SqlState::InvalidObjectDefinition,
                format!(
                    "infinite recursion detected in rules for relation \"{}\"",
                    view.name
                ),
            ));
        }
        let parsed = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(query)
            .and_then(|mut p| p.parse_query())
            .map_err(|e| {
                PgError::internal(format!("view \"{}\" does not parse: {e}", view.name))
            })?;
        // Names in the view resolve as they did when it was made, not
        // through this query's WITH list or its FROM items.
        let outer: Vec<ScopeItem> = earlier.iter().map(ScopeItem::hidden).collect();
        let saved_scope = std::mem::replace(&mut self.scope, outer);
        let saved_ctes = std::mem::take(&mut self.ctes);
        self.expanding_views.push(view.oid);
        let saved_system = self.system_columns;
        self.system_columns |= crate::catalog::mentions_system_column(query);
        let r = self.analyze_subquery(&parsed);
        self.system_columns = saved_system;
        self.expanding_views.pop();
        self.scope = saved_scope;
        self.ctes = saved_ctes;
        let (columns, plan, params) = r.map_err(|mut e| {
            e.position = None;
            e
        })?;
        let width = columns.len().min(view.columns.len());
        let rel = scope_relation(
            &view.name,
            's',
            view.columns
                .iter()
                .zip(&columns)
                .map(|(vc, c)| (vc.name.clone(), c.type_oid, c.typmod)),
        );
        // The view's OID stays with its columns: RowDescription names the
        // view as their origin, as PostgreSQL's does.
        let rel = std::sync::Arc::new(RelationDesc {
            oid: view.oid,
            ..(*rel).clone()
        });
        let source = Source::Subquery {
            plan: Box::new(plan),
            width: columns.len(),
            params,
        };
        Ok((
            source,
            RangeEntry {
                rel,
                refname: entry.refname,
                has_alias: entry.has_alias,
            },
            width.max(columns.len()),
        ))
    }

    /// The WITH query an unqualified name in FROM names, innermost first.
    /// PostgreSQL's checkWellFormedRecursion: the work table of a recursive
    /// term being analyzed at this level must not be on the nullable side
    /// of an outer join (the `n`th join of `twj`).
    fn check_outer_join_recursion(&self, twj: &ast::TableWithJoins, n: usize) -> PgResult<()> {
        use ast::JoinOperator as Op;
        let level = self.outer_scopes.len();
        let (left_nullable, right_nullable) = match &twj.joins[n].join_operator {
            Op::Left(_) | Op::LeftOuter(_) => (false, true),
            Op::Right(_) | Op::RightOuter(_) => (true, false),
            Op::FullOuter(_) => (true, true),
            _ => return Ok(()),
        };
        let work_table = |f: &ast::TableFactor| -> Option<(String, Option<usize>)> {
            let mut found = None;
            let _ = ast::visit_relations(f, |rel| {
                if let Some(k) = self.cte_named(rel)
                    && self.ctes[k].level == Some(level)
                {
                    found = Some((self.ctes[k].name.clone(), self.pos(rel.span())));
                    return std::ops::ControlFlow::Break(());
                }
                std::ops::ControlFlow::Continue(())
            });
            found
        };
        let mut hit = None;
        if left_nullable {
            hit = std::iter::once(&twj.relation)
                .chain(twj.joins[..n].iter().map(|j| &j.relation))
                .find_map(work_table);
        }
        if hit.is_none() && right_nullable {
            hit = work_table(&twj.joins[n].relation);
        }
        match hit {
            Some((name, at)) => Err(PgError::new(
                SqlState::InvalidRecursion,
                format!(
                    "recursive reference to query \"{name}\" must not appear within an outer join"
                ),
            )
            .or_position(at)),
            None => Ok(()),
        }
    }

    fn cte_named(&self, name: &ast::ObjectName) -> Option<usize> {
        let [n] = name_parts(name).try_into().ok()?;
        self.ctes.iter().rposition(|c| c.name == n)
    }

    /// `(a JOIN b ...) AS j [(columns)]`: only `j` is in scope, with the
    /// join's columns (renamed by the column aliases).
    fn aliased_join(
        &mut self,
        inner: FromItem,
        alias: &ast::TableAlias,
        offset: usize,
    ) -> PgResult<FromItem> {
        let refname = ident_name(&alias.name);
        if alias.columns.len() > inner.columns.len() {
            return Err(PgError::new(
                SqlState::InvalidColumnReference,
                format!(
                    "join expression \"{refname}\" has {} columns available but {} columns specified",
                    inner.columns.len(),
                    alias.columns.len()
                ),
            ));
        }
        let columns: Vec<(String, Expr)> = inner
            .columns
            .into_iter()
            .enumerate()
            .map(|(i, (name, e))| match alias.columns.get(i) {
                Some(a) => (ident_name(&a.name), e),
                None => (name, e),
            })
            .collect();
        let mut items: Vec<ScopeItem> = inner.items.iter().map(ScopeItem::hidden).collect();
        items.push(self.join_item(&columns, refname, true, offset));
        Ok(FromItem {
            source: inner.source,
            width: inner.width,
            items,
            columns,
        })
    }

    /// The scope item of a join: its columns, reachable by `refname` if
    /// the join has an alias.
    fn join_item(
        &self,
        columns: &[(String, Expr)],
        refname: String,
        has_alias: bool,
        offset: usize,
    ) -> ScopeItem {
        let rel = scope_relation(
            &refname,
            'j',
            columns
                .iter()
                .map(|(n, e)| (n.clone(), e.type_oid(), e.typmod())),
        );
        ScopeItem {
            entry: RangeEntry {
                rel,
                refname,
                has_alias,
            },
            offset,
            join_columns: Some(columns.iter().map(|(_, e)| e.clone()).collect()),
            rel_visible: has_alias,
            cols_visible: true,
            nullable: false,
        }
    }

    /// `left <kind> JOIN right ON ... | USING (...)`, `NATURAL ...`, `CROSS JOIN`.
    fn join(
        &mut self,
        left: FromItem,
        right: FromItem,
        j: &ast::Join,
        offset: usize,
        earlier: &[ScopeItem],
    ) -> PgResult<FromItem> {
        use ast::JoinOperator as Op;
        let (kind, constraint, cross) = match &j.join_operator {
            Op::Join(c) | Op::Inner(c) => (JoinKind::Inner, c, false),
            Op::Left(c) | Op::LeftOuter(c) => (JoinKind::Left, c, false),
            Op::Right(c) | Op::RightOuter(c) => (JoinKind::Right, c, false),
            Op::FullOuter(c) => (JoinKind::Full, c, false),
            Op::CrossJoin(c) => (JoinKind::Inner, c, true),
            _ => return Err(PgError::feature_not_supported("this kind of join")),
        };
        let mut merged: Vec<(String, Expr)> = Vec::new();
        let (mut left_used, mut right_used) = (Vec::new(), Vec::new());
        let qual = match constraint {
            ast::JoinConstraint::On(e) if !cross => {
                let mut scope: Vec<ScopeItem> = earlier.iter().map(ScopeItem::hidden).collect();
                scope.extend(left.items.iter().cloned());
                scope.extend(right.items.iter().cloned());
                let saved_scope = std::mem::replace(&mut self.scope, scope);
                let saved_forbidden = self.agg_forbidden.replace("JOIN conditions");
                let q = self.transform_bool(e, "JOIN/ON");
                self.scope = saved_scope;
                self.agg_forbidden = saved_forbidden;
                Some(q?)
            }
            ast::JoinConstraint::Using(_) | ast::JoinConstraint::Natural if !cross => {
                // NATURAL is USING of the names both sides have, in the left's order.
                let names: Vec<(String, Option<usize>)> = match constraint {
                    ast::JoinConstraint::Using(names) => names
                        .iter()
                        .map(|n| (name_parts(n).pop().unwrap_or_default(), self.pos(n.span())))
                        .collect(),
                    _ => {
                        let mut names: Vec<(String, Option<usize>)> = Vec::new();
                        for (n, _) in &left.columns {
                            if right.columns.iter().any(|(m, _)| m == n)
                                && !names.iter().any(|(m, _)| m == n)
                            {
                                names.push((n.clone(), None));
                            }
                        }
                        names
                    }
                };
                self.using(
                    kind,
                    &names,
                    (&left, &right),
                    &mut merged,
                    (&mut left_used, &mut right_used),
                )?
            }
            ast::JoinConstraint::None if cross => None,
            ast::JoinConstraint::UsingAlias(..) => {
                return Err(PgError::feature_not_supported("an alias for JOIN USING"));
            }
            _ => {
                return Err(PgError::syntax(
                    "syntax error: a JOIN needs ON, USING or NATURAL",
                    self.pos(j.relation.span()),
                ));
            }
        };
        let mut columns = merged;
        columns.extend(
            left.columns
                .iter()
                .enumerate()
                .filter(|(i, _)| !left_used.contains(i))
                .map(|(_, c)| c.clone()),
        );
        columns.extend(
            right
                .columns
                .iter()
                .enumerate()
                .filter(|(i, _)| !right_used.contains(i))
                .map(|(_, c)| c.clone()),
        );
        let mut items: Vec<ScopeItem> = Vec::new();
        let (left_nullable, right_nullable) = match kind {
            JoinKind::Inner | JoinKind::Semi | JoinKind::Anti => (false, false),
            JoinKind::Left => (false, true),
            JoinKind::Right => (true, false),
            JoinKind::Full => (true, true),
        };
        for (item, nullable) in left
            .items
            .iter()
            .map(|i| (i, left_nullable))
            .chain(right.items.iter().map(|i| (i, right_nullable)))
        {
            items.push(ScopeItem {
                cols_visible: false,
                nullable: item.nullable || nullable,
                ..item.clone()
            });
        }
        items.push(self.join_item(&columns, String::new(), false, offset));
        // The join's own row starts at `offset`: its condition reads it so.
        let qual = qual.map(|q| q.shift_vars(-(offset as isize)));
        let right_source = lateral_right(right.source, kind, offset, &left.items)?;
        let join = Join::new(
            kind,
            (left.source, left.width),
            (right_source, right.width),
            qual,
        );
        Ok(FromItem {
            source: Source::Join(Box::new(join)),
            width: left.width + right.width,
            items,
            columns,
        })
    }

    /// `USING (names)`: for each name, the one column of that name on each
    /// side, compared by `=` at their common type; the merged column is
    /// the left's (the right's for RIGHT JOIN, COALESCE of both for FULL).
    /// Returns the AND of the equalities (None for no names).
    fn using(
        &mut self,
        kind: JoinKind,
        names: &[(String, Option<usize>)],
        (left, right): (&FromItem, &FromItem),
        merged: &mut Vec<(String, Expr)>,
        (left_used, right_used): (&mut Vec<usize>, &mut Vec<usize>),
    ) -> PgResult<Option<Expr>> {
        let mut quals = Vec::new();
        for (i, (name, pos)) in names.iter().enumerate() {
            if names[..i].iter().any(|(n, _)| n == name) {
                return Err(PgError::new(
                    SqlState::DuplicateColumn,
                    format!("column name \"{name}\" appears more than once in USING clause"),
                ));
            }
            let find = |side: &FromItem, which: &str| -> PgResult<usize> {
                let mut found = side
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, (n, _))| n == name)
                    .map(|(i, _)| i);
                match (found.next(), found.next()) {
                    (Some(i), None) => Ok(i),
                    (None, _) => Err(PgError::new(
                        SqlState::UndefinedColumn,
                        format!(
                            "column \"{name}\" specified in USING clause does not exist in {which} table"
                        ),
                    )),
                    (Some(_), Some(_)) => Err(PgError::new(
                        SqlState::AmbiguousColumn,
                        format!(
                            "common column name \"{name}\" appears more than once in {which} table"
                        ),
                    )),
                }
            };
            let (li, ri) = (find(left, "left")?, find(right, "right")?);
            left_used.push(li);
            right_used.push(ri);
            let (l, r) = (left.columns[li].1.clone(), right.columns[ri].1.clone());
            // The join condition reads both columns.
            self.note_vars(&l, &left.items);
            self.note_vars(&r, &right.items);
            let common = super::coerce::select_common_type(
                &[(l.type_oid(), None), (r.type_oid(), None)],
                "JOIN/USING",
            )
            .map_err(|e| e.or_position(*pos))?;
            let l = self.coerce(l, common, -1, false, *pos)?;
            let r = self.coerce(r, common, -1, false, *pos)?;
            quals.push(self.make_op_exprs("=", (l.clone(), *pos), (r.clone(), *pos), *pos)?);
            let column = match kind {
                // Either side will do; PostgreSQL takes one not converted.
                JoinKind::Inner
                    if !matches!(l, Expr::Var { .. }) && matches!(r, Expr::Var { .. }) =>
                {
                    r
                }
                JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti => l,
                JoinKind::Right => r,
                JoinKind::Full => Expr::Coalesce {
                    args: vec![l, r],
                    type_oid: common,
                },
            };
            merged.push((name.clone(), column));
        }
        Ok(match quals.len() {
            0 => None,
            1 => quals.pop(),
            _ => Some(Expr::And(quals)),
        })
    }

    /// A column reference, bare or qualified, resolved in the current
    /// scope: its expression over the wide row.
    pub(crate) fn resolve_column(
        &mut self,
        qualifier: &[String],
        column: &str,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        if qualifier.len() > 2 {
            return Err(
                PgError::feature_not_supported("cross-database references").or_position(pos)
            );
        }
        let e = if qualifier.is_empty() {
            let mut found: Vec<(usize, usize)> = Vec::new();
            for (k, item) in self
                .scope
                .iter()
                .enumerate()
                .filter(|(_, i)| i.cols_visible)
            {
                found.extend(item.columns_named(column).map(|c| (k, c)));
            }
            match found.as_slice() {
                [] if is_system_column(column) => {
                    let tables: Vec<&ScopeItem> = self
                        .scope
                        .iter()
                        .filter(|i| i.cols_visible && i.system_column(column).is_some())
                        .collect();
                    match tables.as_slice() {
                        [item] => item
                            .system_column(column)
                            .unwrap_or_else(|| Expr::null(types::oid::OID)),
                        [] => {
                            return Err(PgError::new(
                                SqlState::UndefinedColumn,
                                format!("column \"{column}\" does not exist"),
                            )
                            .or_position(pos));
                        }
                        _ => {
                            return Err(PgError::new(
                                SqlState::AmbiguousColumn,
                                format!("column reference \"{column}\" is ambiguous"),
                            )
                            .or_position(pos));
                        }
                    }
                }
                [] => {
                    return Err(PgError::new(
                        SqlState::UndefinedColumn,
                        format!("column \"{column}\" does not exist"),
                    )
                    .or_position(pos));
                }
                [(k, c)] => {
                    let item = self.scope[*k].clone();
                    self.note_item_column(&item, *c);
                    item.column_expr(*c)
                }
                _ => {
                    return Err(PgError::new(
                        SqlState::AmbiguousColumn,
                        format!("column reference \"{column}\" is ambiguous"),
                    )
                    .or_position(pos));
                }
            }
        } else {
            let item = self.find_item(qualifier, pos)?;
            let found: Vec<usize> = item.columns_named(column).collect();
            match found.as_slice() {
                [] if item.system_column(column).is_some() => item
                    .system_column(column)
                    .unwrap_or_else(|| Expr::null(types::oid::OID)),
                [] => {
                    return Err(PgError::new(
                        SqlState::UndefinedColumn,
                        format!("column {}.{column} does not exist", qualifier.join(".")),
                    )
                    .or_position(pos));
                }
                [c] => {
                    self.note_item_column(&item, *c);
                    item.column_expr(*c)
                }
                _ => {
                    return Err(PgError::new(
                        SqlState::AmbiguousColumn,
                        format!("column reference \"{column}\" is ambiguous"),
                    )
                    .or_position(pos));
                }
            }
        };
        if !self.in_agg_arg {
            let n = var_count(&e);
            self.var_positions.extend(std::iter::repeat_n(pos, n));
        }
        Ok(e)
    }

    /// Notes the use of column `c` of scope item `item` (see
    /// `plan::ColumnUse`): a table's column, or for a join's column the
    /// table columns its expression reads.
    fn note_item_column(&mut self, item: &ScopeItem, c: usize) {
        match &item.join_columns {
            Some(exprs) => {
                let Some(e) = exprs.get(c).cloned() else {
                    self.columns_untraced = true;
                    return;
                };
                let scope = self.scope.clone();
                self.note_vars(&e, &scope);
            }
            None => {
                let oid = item.rel().oid;
                self.note_column(oid, c, 'r');
            }
        }
    }

    /// Notes the table columns the Vars of `e` (over the row of `items`)
    /// read; a Var that belongs to no item cannot be traced.
    fn note_vars(&mut self, e: &Expr, items: &[ScopeItem]) {
        let mut vars = Vec::new();
        e.walk(&mut |x| {
            if let Expr::Var { index, .. } = x {
                vars.push(*index);
            }
        });
        for v in vars {
            let owner = items.iter().find(|i| {
                i.join_columns.is_none() && v >= i.offset && v < i.offset + i.rel().columns.len()
            });
            match owner {
                Some(i) => {
                    let oid = i.rel().oid;
                    self.note_column(oid, v - i.offset, 'r');
                }
                None => self.columns_untraced = true,
            }
        }
    }

    /// Whether a column of that name (under that qualifier) is in scope.
    pub(crate) fn scope_has_column(
        scope: &[ScopeItem],
        qualifier: &[String],
        column: &str,
    ) -> bool {
        scope.iter().any(|i| {
            (if qualifier.is_empty() {
                i.cols_visible
            } else {
                i.rel_visible && i.answers_to(qualifier)
            }) && i.columns_named(column).next().is_some()
        })
    }

    /// The scope item `t` or `schema.t` names; PostgreSQL's errors if none
    /// (or more than one) does.
    fn find_item(&self, qualifier: &[String], pos: Option<usize>) -> PgResult<ScopeItem> {
        let mut found = self
            .scope
            .iter()
            .filter(|i| i.rel_visible && i.answers_to(qualifier));
        match (found.next(), found.next()) {
            (Some(i), None) => Ok(i.clone()),
            (Some(_), Some(_)) => Err(PgError::new(
                SqlState::AmbiguousAlias,
                format!("table reference \"{}\" is ambiguous", qualifier.join(".")),
            )
            .or_position(pos)),
            (None, _) => Err(self.missing_entry(qualifier, pos)),
        }
    }

    /// PostgreSQL's `errorMissingRTE`: the table is in the query but not
    /// reachable here (hidden by its alias, or elsewhere in FROM), or not
    /// in the query at all.
    fn missing_entry(&self, qualifier: &[String], pos: Option<usize>) -> PgError {
        let table = qualifier.last().cloned().unwrap_or_default();
        let known = self
            .scope
            .iter()
            .chain(self.outer_scopes.iter().flatten())
            .find(|i| {
                i.entry.refname == table
                    || (i.join_columns.is_none()
                        && matches!(i.rel().relkind, 'r' | 'p' | 'm')
                        && i.rel().name == table)
            });
        let Some(item) = known else {
            return PgError::new(
                SqlState::UndefinedTable,
                format!("missing FROM-clause entry for table \"{table}\""),
            )
            .or_position(pos);
        };
        let alias_reachable =
            item.entry.has_alias && item.entry.refname != table && item.rel_visible;
        let hint = if alias_reachable {
            format!(
                "Perhaps you meant to reference the table alias \"{}\".",
                item.entry.refname
            )
        } else {
            format!(
                "There is an entry for table \"{}\", but it cannot be referenced from this part of the query.",
                item.entry.refname
            )
        };
        PgError::new(
            SqlState::UndefinedTable,
            format!("invalid reference to FROM-clause entry for table \"{table}\""),
        )
        .with_hint(hint)
        .or_position(pos)
    }

    /// `*` (every visible item's columns) or `t.*` (that item's).
    /// `*` and `t.*` read every live column of the item.
    fn note_all_columns(&mut self, item: &ScopeItem) {
        let n = item.rel().columns.len();
        for c in 0..n {
            if !item.rel().columns[c].dropped {
                self.note_item_column(item, c);
            }
        }
    }

    pub(crate) fn expand_star(
        &mut self,
        qualifier: Option<&ast::ObjectName>,
        item_pos: Option<usize>,
        columns: &mut Vec<crate::Column>,
        targets: &mut Vec<super::Target>,
    ) -> PgResult<()> {
        let expanded: Vec<(String, Expr)> = match qualifier {
            None => {
                if self.scope.is_empty() {
                    return Err(PgError::syntax(
                        "SELECT * with no tables specified is not valid",
                        item_pos,
                    ));
                }
                let items: Vec<ScopeItem> = self
                    .scope
                    .iter()
                    .filter(|i| i.cols_visible)
                    .cloned()
                    .collect();
                for item in &items {
                    self.note_all_columns(item);
                }
                items.iter().flat_map(ScopeItem::live_columns).collect()
            }
            Some(q) => {
                let item = self.find_item(&name_parts(q), item_pos)?;
                self.note_all_columns(&item);
                item.live_columns()
            }
        };
        for (name, expr) in expanded {
            let (table_oid, column_id) = self.column_origin(&expr);
            columns.push(crate::Column {
                name,
                type_oid: expr.type_oid(),
                typmod: expr.typmod(),
                table_oid,
                column_id,
            });
            let n = var_count(&expr);
            targets.push(super::Target {
                expr,
                var_positions: vec![item_pos; n],
            });
        }
        Ok(())
    }

    /// Where a select-list expression comes from when it is a plain column
    /// of a table or view in scope (PostgreSQL's `markTargetListOrigins`):
    /// the relation's OID and the column's number, else (0, 0). Columns of
    /// subqueries, functions, WITH queries and joins' merged columns have
    /// none here.
    pub(crate) fn column_origin(&self, e: &Expr) -> (u32, i16) {
        let Expr::Var { index, .. } = e else {
            return (0, 0);
        };
        for item in &self.scope {
            let rel = &item.entry.rel;
            if item.join_columns.is_some()
                || *index < item.offset
                || *index >= item.offset + rel.columns.len()
            {
                continue;
            }
            // 's': an expanded view (other subqueries have no OID).
            if rel.oid == 0 || !matches!(rel.relkind, 'r' | 'p' | 'v' | 'm' | 'f' | 's') {
                return (0, 0);
            }
            let col = &rel.columns[*index - item.offset];
            return (rel.oid, col.attnum);
        }
        (0, 0)
    }

    /// A whole-row reference (`t` where no column is called `t`, or `t.*`
    /// as a value): the row of the FROM item `qualifier` names, as an
    /// anonymous record of its live columns; None if no item answers to
    /// the name.
    pub(crate) fn whole_row(
        &mut self,
        qualifier: &[String],
        pos: Option<usize>,
    ) -> PgResult<Option<Expr>> {
        let mut found = self
            .scope
            .iter()
            .filter(|i| i.rel_visible && i.answers_to(qualifier));
        let item = match (found.next(), found.next()) {
            (Some(i), None) => i.clone(),
            (Some(_), Some(_)) => {
                return Err(PgError::new(
                    SqlState::AmbiguousAlias,
                    format!("table reference \"{}\" is ambiguous", qualifier.join(".")),
                )
                .or_position(pos));
            }
            (None, _) => return Ok(None),
        };
        let columns = item.live_columns();
        let fields: Vec<types::datum::RecordField> = columns
            .iter()
            .map(|(name, e)| types::datum::RecordField {
                name: name.clone(),
                type_oid: e.type_oid(),
                typmod: e.typmod(),
            })
            .collect();
        // A table's row has the table's row type.
        let typed = match (&item.join_columns, item.rel().oid) {
            (None, oid) if oid != 0 => types::typcache::composite_of_relation(oid).and_then(|t| {
                let types::typcache::UserTypeKind::Composite { fields: f, .. } = &t.kind else {
                    return None;
                };
                (f.len() == fields.len()).then(|| (t.oid, f.clone()))
            }),
            _ => None,
        };
        let (type_oid, fields) = match typed {
            Some((t, f)) => (t, f),
            None => (types::oid::RECORD, fields.into()),
        };
        let row = Expr::Row {
            args: columns.into_iter().map(|(_, e)| e).collect(),
            fields,
            type_oid,
        };
        if !self.in_agg_arg {
            let n = var_count(&row);
            self.var_positions.extend(std::iter::repeat_n(pos, n));
        }
        // A row the outer join made up (every column NULL) is NULL itself.
        // (A matched row whose columns are all NULL is taken for one too:
        // the wide row does not tell them apart.)
        if item.nullable
            && let Expr::Row { args, .. } = &row
            && !args.is_empty()
        {
            let all_null = args
                .iter()
                .map(|a| Expr::IsNull {
                    arg: Box::new(a.clone()),
                    negated: false,
                })
                .collect();
            return Ok(Some(Expr::Case {
                whens: vec![(Expr::And(all_null), Expr::null(type_oid))],
                else_result: Box::new(row),
                type_oid,
            }));
        }
        Ok(Some(row))
    }

    /// The fields of `t.*` in a row constructor (`ROW(t.*, 1)`), each
    /// with its column name.
    pub(crate) fn star_fields(
        &mut self,
        qualifier: &[String],
        pos: Option<usize>,
    ) -> PgResult<Vec<(String, Expr)>> {
        let item = self.find_item(qualifier, pos)?;
        let columns = item.live_columns();
        if !self.in_agg_arg {
            for (_, e) in &columns {
                self.var_positions
                    .extend(std::iter::repeat_n(pos, var_count(e)));
            }
        }
        Ok(columns)
    }

    /// The table and column names of `Var index` (for messages).
    pub(crate) fn var_name(&self, index: usize) -> (String, String) {
        self.scope
            .iter()
            .filter(|i| i.join_columns.is_none())
            .find(|i| index >= i.offset && index < i.offset + i.rel().columns.len())
            .map(|i| {
                (
                    i.entry.refname.clone(),
                    i.rel().columns[index - i.offset].name.clone(),
                )
            })
            .unwrap_or_default()
    }

    /// Makes `entry` (at `Var` 0) the only name in scope: the target of
    /// INSERT, UPDATE, DELETE.
    pub(crate) fn set_scope(&mut self, entry: RangeEntry) {
        self.scope = vec![ScopeItem::base(entry, 0)];
    }

    /// `(SELECT ...) [AS] alias [(columns)]` as the FROM item: the subquery
    /// is analyzed as a query of its own and its output columns are the
    /// relation it puts in scope.
    fn subquery_in_from(
        &mut self,
        subquery: &ast::Query,
        alias: Option<&ast::TableAlias>,
    ) -> PgResult<(Source, RangeEntry, usize)> {
        let Some(alias) = alias else {
            let pos = self.paren_pos(subquery.span());
            return Err(PgError::syntax("subquery in FROM must have an alias", pos)
                .with_hint("For example, FROM (SELECT ...) [AS] foo."));
        };
        let (columns, plan, params) = self.analyze_subquery(subquery)?;
        if alias.columns.len() > columns.len() {
            return Err(PgError::new(
                SqlState::InvalidColumnReference,
                format!(
                    "table \"{}\" has {} columns available but {} columns specified",
                    ident_name(&alias.name),
                    columns.len(),
                    alias.columns.len()
                ),
            ));
        }
        let refname = ident_name(&alias.name);
        let width = columns.len();
        let rel = scope_relation(
            &refname,
            's',
            columns.iter().enumerate().map(|(i, c)| {
                let name = alias
                    .columns
                    .get(i)
                    .map_or_else(|| c.name.clone(), |a| ident_name(&a.name));
                let type_oid = match c.type_oid {
                    types::oid::UNKNOWN => types::oid::TEXT,
                    t => t,
                };
                (name, type_oid, c.typmod)
            }),
        );
        let entry = RangeEntry {
            rel,
            refname,
            has_alias: true,
        };
        let source = Source::Subquery {
            plan: Box::new(plan),
            width,
            params,
        };
        Ok((source, entry, width))
    }

    /// `generate_series(start, stop [, step])` as a FROM item (the only
    /// function allowed there so far), its arguments of one integer or
    /// numeric type; its one column is named by the alias (or a column
    /// alias), else `generate_series`. None for anything else.
    fn series_in_from(&mut self, t: &TableFactor) -> PgResult<Option<(Source, RangeEntry)>> {
        if let TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset,
            with_ordinality,
            ..
        } = t
        {
            if *with_offset || *with_ordinality {
                return Err(PgError::feature_not_supported("unnest WITH ORDINALITY"));
            }
            return self
                .unnest_in_from(array_exprs, alias.as_ref(), None)
                .map(Some);
        }
        let TableFactor::Table {
            name,
            alias,
            args: Some(args),
            with_ordinality,
            ..
        } = t
        else {
            return Ok(None);
        };
        let parts: Vec<String> = name_parts(name);
        let pos = self.pos(name.span());
        if *with_ordinality {
            return Err(PgError::feature_not_supported("WITH ORDINALITY").or_position(pos));
        }
        if matches!(
            parts
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            ["unnest"] | ["pg_catalog", "unnest"]
        ) {
            // `LATERAL unnest(...)` comes here as a plain function call.
            let mut exprs = Vec::new();
            for a in &args.args {
                let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                    return Err(PgError::feature_not_supported(
                        "named or star arguments of unnest",
                    )
                    .or_position(pos));
                };
                exprs.push(e.clone());
            }
            return self.unnest_in_from(&exprs, alias.as_ref(), pos).map(Some);
        }
        if !matches!(
            parts
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            ["generate_series"] | ["pg_catalog", "generate_series"]
        ) {
            let name = match parts.as_slice() {
                [n] => n.as_str(),
                [schema, n] if schema == "pg_catalog" => n.as_str(),
                _ => "",
            };
            let mut exprs = Vec::new();
            let mut named = Vec::new();
            let (list, variadic) = super::expr::variadic_args(&args.args, pos)?;
            for a in &list {
                match a.as_ref() {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                        exprs.push(e.clone())
                    }
                    ast::FunctionArg::Named {
                        name: n,
                        arg: ast::FunctionArgExpr::Expr(e),
                        ..
                    }
                    | ast::FunctionArg::ExprNamed {
                        name: ast::Expr::Identifier(n),
                        arg: ast::FunctionArgExpr::Expr(e),
                        ..
                    } => named.push((n.value.to_lowercase(), e.clone())),
                    _ => {
                        return Err(PgError::feature_not_supported(
                            "star arguments of functions in FROM",
                        )
                        .or_position(pos));
                    }
                }
            }
            let user_named = match name.starts_with("jsonb_path_") {
                true => Vec::new(),
                false => std::mem::take(&mut named),
            };
            if !named.is_empty() {
                exprs = super::expr::jsonb_path_named_args(exprs, named, || {
                    ast::Expr::value(ast::Value::SingleQuotedString("{}".into()))
                })?;
            }
            if user_named.is_empty()
                && !variadic
                && !self.procedure_call
                && (parts.len() == 1 || parts[0] == "pg_catalog")
                && let Some(found) = self.function_in_from(name, &exprs, alias.as_ref(), pos)?
            {
                return Ok(Some(found));
            }
            let (schema, name) = match parts.as_slice() {
                [schema, n] => (Some(schema.as_str()), n.as_str()),
                [.., n] => (None, n.as_str()),
                [] => (None, ""),
            };
            return match self.user_function_in_from(
                schema,
                name,
                (&exprs, &user_named, variadic),
                alias.as_ref(),
                pos,
            )? {
                Some(found) => Ok(Some(found)),
                None => Err(PgError::feature_not_supported("functions in FROM").or_position(pos)),
            };
        }
        let mut exprs = Vec::new();
        for a in &args.args {
            let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                return Err(PgError::feature_not_supported(
                    "named or star arguments of generate_series",
                )
                .or_position(pos));
            };
            exprs.push(self.transform(e)?);
        }
        let arg_types: Vec<u32> = exprs.iter().map(Expr::type_oid).collect();
        let integer = |t: u32| matches!(t, types::oid::INT2 | types::oid::INT4);
        let series_type = if !(2..=3).contains(&exprs.len()) {
            None
        } else if arg_types
            .iter()
            .all(|&t| integer(t) || t == types::oid::UNKNOWN)
        {
            Some(types::oid::INT4)
        } else if arg_types
            .iter()
            .all(|&t| integer(t) || t == types::oid::INT8 || t == types::oid::UNKNOWN)
        {
            Some(types::oid::INT8)
        } else if arg_types.iter().all(|&t| {
            integer(t)
                || matches!(
                    t,
                    types::oid::INT8 | types::oid::NUMERIC | types::oid::UNKNOWN
                )
        }) {
            Some(types::oid::NUMERIC)
        } else {
            None
        };
        if !arg_types.is_empty() && arg_types.iter().all(|&t| t == types::oid::UNKNOWN) {
            let sig = vec!["unknown"; arg_types.len()].join(", ");
            return Err(PgError::new(
                SqlState::AmbiguousFunction,
                format!("function generate_series({sig}) is not unique"),
            )
            .with_hint(
                "Could not choose a best candidate function. You might need to add explicit type casts.",
            )
            .or_position(pos));
        }
        let Some(type_oid) = series_type else {
            // A series of timestamps is a set-returning function like others.
            let args: Vec<ast::Expr> = args
                .args
                .iter()
                .filter_map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e.clone()),
                    _ => None,
                })
                .collect();
            if arg_types
                .iter()
                .any(|&t| matches!(t, types::oid::TIMESTAMP | types::oid::TIMESTAMPTZ))
                && let Some(found) =
                    self.function_in_from("generate_series", &args, alias.as_ref(), pos)?
            {
                return Ok(Some(found));
            }
            let sig: Vec<&str> = arg_types
                .iter()
                .map(|&t| types::oid::type_name(t))
                .collect();
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!("function generate_series({}) does not exist", sig.join(", ")),
            )
            .with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            )
            .or_position(pos));
        };
        let mut coerced = Vec::new();
        for e in exprs {
            coerced.push(self.coerce(e, type_oid, -1, false, pos)?);
        }
        let mut coerced = coerced.into_iter();
        let (Some(start), Some(stop)) = (coerced.next(), coerced.next()) else {
            return Err(PgError::internal("generate_series without its arguments"));
        };
        let step = coerced.next();
        let (refname, has_alias, column) =
            one_column_alias(alias.as_ref(), "generate_series", pos)?;
        let rel = scope_relation(
            "generate_series",
            'f',
            std::iter::once((column, type_oid, -1)),
        );
        let entry = RangeEntry {
            rel,
            refname,
            has_alias,
        };
        let source = Source::Series(crate::plan::Series {
            start,
            stop,
            step,
            type_oid,
            array: None,
        });
        Ok(Some((source, entry)))
    }

    /// `unnest(array)` as a FROM item: one column of the element type,
    /// named by the alias (or a column alias), else `unnest`.
    fn unnest_in_from(
        &mut self,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
        pos: Option<usize>,
    ) -> PgResult<(Source, RangeEntry)> {
        let [e] = args else {
            return Err(PgError::feature_not_supported("unnest of several arrays").or_position(pos));
        };
        let x = self.transform(e)?;
        // unnest(tsvector) and unnest(multirange) are set-returning
        // functions like others.
        let t = x.type_oid();
        if (t == types::oid::TSVECTOR || types::oid::multirange_range(t).is_some())
            && let Some(found) = self.function_in_from("unnest", args, alias, pos)?
        {
            return Ok(found);
        }
        let x = self.vector_as_array(x)?;
        let Some(elem) = types::oid::element_of(x.type_oid()) else {
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!(
                    "function unnest({}) does not exist",
                    types::oid::type_name(x.type_oid())
                ),
            )
            .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
            .or_position(pos));
        };
        // An array of a composite type: a column per field (when the
        // array reads no other FROM item).
        if let Some(fields) = types::datum::record::fields_of(elem)
            && x.is_row_independent()
        {
            let mut names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
            let (refname, has_alias) = match alias {
                Some(a) => {
                    if a.columns.len() > names.len() {
                        return Err(PgError::new(
                            SqlState::InvalidColumnReference,
                            format!(
                                "table \"{}\" has {} columns available but {} columns specified",
                                ident_name(&a.name),
                                names.len(),
                                a.columns.len()
                            ),
                        )
                        .or_position(pos));
                    }
                    for (n, c) in names.iter_mut().zip(&a.columns) {
                        *n = ident_name(&c.name);
                    }
                    (ident_name(&a.name), true)
                }
                None => ("unnest".to_string(), false),
            };
            let series = Source::Series(crate::plan::Series {
                start: Expr::null(elem),
                stop: Expr::null(elem),
                step: None,
                type_oid: elem,
                array: Some(x),
            });
            let element = Expr::Var {
                index: 0,
                type_oid: elem,
                typmod: -1,
            };
            let targets = (0..fields.len())
                .map(|i| Expr::Call {
                    func: "record_field",
                    args: vec![
                        element.clone(),
                        Expr::Const {
                            value: types::Datum::Int4(i as i32),
                            type_oid: types::oid::INT4,
                        },
                    ],
                    type_oid: fields[i].type_oid,
                    strict: true,
                })
                .collect();
            let source = Source::Subquery {
                plan: Box::new(crate::plan::Plan {
                    source: series,
                    targets,
                    ..crate::plan::Plan::empty()
                }),
                width: fields.len(),
                params: Vec::new(),
            };
            let rel = scope_relation(
                "unnest",
                'f',
                names
                    .into_iter()
                    .zip(fields.iter())
                    .map(|(n, f)| (n, f.type_oid, f.typmod)),
            );
            return Ok((
                source,
                RangeEntry {
                    rel,
                    refname,
                    has_alias,
                },
            ));
        }
        let (refname, has_alias, column) = one_column_alias(alias, "unnest", pos)?;
        let rel = scope_relation("unnest", 'f', std::iter::once((column, elem, -1)));
        let source = Source::Series(crate::plan::Series {
            start: Expr::null(elem),
            stop: Expr::null(elem),
            step: None,
            type_oid: elem,
            array: Some(x),
        });
        Ok((
            source,
            RangeEntry {
                rel,
                refname,
                has_alias,
            },
        ))
    }

    /// Looks up a DML target naming a table (which takes no column aliases).
    pub(crate) fn range_entry(&mut self, t: &TableFactor) -> PgResult<RangeEntry> {
        let (entry, aliases) = self.table_in_from(t)?;
        if let Some(first) = aliases.first() {
            // The grammar of UPDATE, DELETE and INSERT has no column aliases.
            let pos = self.paren_pos(first.name.span);
            return Err(PgError::syntax("syntax error at or near \"(\"", pos));
        }
        Ok(entry)
    }

    /// Looks up a FROM item naming a table, with its column aliases
    /// (`FROM t AS x(a, b)`).
    fn table_in_from<'t>(
        &mut self,
        t: &'t TableFactor,
    ) -> PgResult<(RangeEntry, &'t [ast::TableAliasColumnDef])> {
        let TableFactor::Table {
            name, alias, args, ..
        } = t
        else {
            return Err(match t {
                TableFactor::Derived { .. } => PgError::feature_not_supported("subqueries in FROM"),
                _ => PgError::feature_not_supported("FROM clause items other than tables"),
            });
        };
        if args.is_some() {
            return Err(PgError::feature_not_supported("functions in FROM"));
        }
        let rel = self.lookup_relation(name)?;
        let (refname, has_alias, aliases) = match alias {
            Some(a) => (ident_name(&a.name), true, a.columns.as_slice()),
            None => (rel.name.clone(), false, &[][..]),
        };
        let entry = RangeEntry {
            rel,
            refname,
            has_alias,
        };
        Ok((entry, aliases))
    }
}

/// Renames the first live columns of a table or view in FROM to its column
/// aliases, for name lookup only: the relation itself (its oid, its
/// indexes) stays as the scan reads it.
fn with_column_aliases(
    mut entry: RangeEntry,
    aliases: &[ast::TableAliasColumnDef],
) -> PgResult<RangeEntry> {
    if aliases.is_empty() {
        return Ok(entry);
    }
    let live = entry.rel.columns.iter().filter(|c| !c.dropped).count();
    if aliases.len() > live {
        return Err(PgError::new(
            SqlState::InvalidColumnReference,
            format!(
                "table \"{}\" has {live} columns available but {} columns specified",
                entry.refname,
                aliases.len()
            ),
        ));
    }
    let mut rel = (*entry.rel).clone();
    let live_columns = rel.columns.iter_mut().filter(|c| !c.dropped);
    for (column, alias) in live_columns.zip(aliases) {
        column.name = ident_name(&alias.name);
    }
    entry.rel = std::sync::Arc::new(rel);
    Ok(entry)
}

/// The name a one-column function in FROM is known by, whether it has an
/// alias, and its column's name: the alias and column alias if given,
/// else the alias, else the function's name.
pub(crate) fn one_column_alias(
    alias: Option<&ast::TableAlias>,
    function: &str,
    pos: Option<usize>,
) -> PgResult<(String, bool, String)> {
    let Some(a) = alias else {
        return Ok((function.to_owned(), false, function.to_owned()));
    };
    let refname = ident_name(&a.name);
    let column = match a.columns.as_slice() {
        [] => refname.clone(),
        [c] => ident_name(&c.name),
        _ => {
            return Err(PgError::new(
                SqlState::InvalidColumnReference,
                format!("too many column aliases specified for function {function}"),
            )
            .or_position(pos));
        }
    };
    Ok((refname, true, column))
}
