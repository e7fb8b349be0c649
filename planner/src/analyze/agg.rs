//! Aggregates: `count`, `sum`, `avg`, `min`, `max`, `bool_and` / `every`,
//! `bool_or`, `string_agg`, with DISTINCT and FILTER; GROUP BY and HAVING.
//!
//! While a select list, HAVING or ORDER BY is analyzed, an aggregate call is
//! collected into `Analyzer::aggs` and stands in the tree as `Expr::Aggref`.
//! When the query turns out to be grouped (GROUP BY, HAVING or any aggregate),
//! [`Analyzer::regroup`] rewrites each of those expressions over the aggregated
//! row `[group keys.., aggregates..]`: a subtree equal to a group key becomes a
//! `Var` of that key, an `Aggref` a `Var` of its aggregate, and any column
//! reference left over is PostgreSQL's 42803 "must appear in the GROUP BY
//! clause". The error points at that column reference: positions are recorded
//! in analysis order, which is the tree's left-to-right order.

use sqlparser::ast::{self, Spanned};
use types::oid::{self, *};
use types::{PgError, PgResult, SqlState};

use super::{Analyzer, Target};
use crate::expr::Expr;
use crate::plan::{AggCall, AggFunc};

/// Is `name` (lower case, unqualified) one of the supported aggregates?
pub fn is_aggregate(name: &str) -> bool {
    matches!(
        name,
        "count"
            | "sum"
            | "avg"
            | "min"
            | "max"
            | "bool_and"
            | "bool_or"
            | "every"
            | "bit_and"
            | "bit_or"
            | "bit_xor"
            | "string_agg"
            | "array_agg"
            | "json_agg"
            | "jsonb_agg"
            | "variance"
            | "var_samp"
            | "var_pop"
            | "stddev"
            | "stddev_samp"
            | "stddev_pop"
            | "grouping"
            | "range_intersect_agg"
            | "range_agg"
    ) || crate::plan::RegrKind::from_name(name).is_some()
}

impl Analyzer<'_> {
    /// An aggregate call: checks where it appears, analyzes the argument and
    /// returns the `Aggref` standing for its result.
    pub(crate) fn transform_aggregate(
        &mut self,
        name: &str,
        f: &ast::Function,
        args: &ast::FunctionArgumentList,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        if let Some(clause) = self.agg_forbidden {
            return Err(PgError::new(
                SqlState::GroupingError,
                format!("aggregate functions are not allowed in {clause}"),
            )
            .or_position(pos));
        }
        if self.in_agg_arg {
            return Err(PgError::new(
                SqlState::GroupingError,
                "aggregate function calls cannot be nested",
            )
            .or_position(pos));
        }
        let call = self.aggregate_call(name, f, args, pos, false)?;
        let type_oid = call.type_oid;
        self.aggs.push(call);
        Ok(Expr::Aggref {
            index: self.aggs.len() - 1,
            type_oid,
        })
    }

    /// An aggregate call: its function, argument (coerced) and result type.
    /// As a window function (`window`), its argument may hold aggregates
    /// of the query level.
    pub(crate) fn aggregate_call(
        &mut self,
        name: &str,
        f: &ast::Function,
        args: &ast::FunctionArgumentList,
        pos: Option<usize>,
        window: bool,
    ) -> PgResult<AggCall> {
        let nested = !window;
        let distinct = matches!(
            args.duplicate_treatment,
            Some(ast::DuplicateTreatment::Distinct)
        );
        let mut order_by = Vec::new();
        for clause in &args.clauses {
            let ast::FunctionArgumentClause::OrderBy(items) = clause else {
                return Err(
                    PgError::feature_not_supported(format!("{clause} in aggregate calls"))
                        .or_position(pos),
                );
            };
            if window {
                return Err(PgError::feature_not_supported(
                    "ORDER BY in an aggregate used as a window function",
                )
                .or_position(pos));
            }
            for o in items {
                self.in_agg_arg = true;
                let x = self.transform(&o.expr);
                self.in_agg_arg = false;
                let x = x?;
                let desc = self.sort_descending(o, x.type_oid())?;
                order_by.push((
                    x,
                    desc,
                    o.options.nulls_first.unwrap_or(desc),
                    self.pos(o.expr.span()),
                ));
            }
        }
        if !is_aggregate(name) {
            let (arg, type_oid, user) = self.user_aggregate(f, args, pos, nested)?;
            return self.finish_aggregate_call(
                f,
                (AggFunc::User, arg, type_oid),
                None,
                Some(Box::new(user)),
                distinct,
                order_by,
                pos,
                nested,
            );
        }
        let mut delimiter = None;
        // A (Y, X) pair of a two-variable statistic, packed as ARRAY[y, x].
        let mut pair = false;
        if name == "grouping" {
            if window {
                return Err(PgError::feature_not_supported(
                    "GROUPING as a window function",
                ));
            }
            let mut exprs = Vec::new();
            for a in &args.args {
                let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                    return Err(PgError::syntax("syntax error at or near \"*\"", pos));
                };
                self.in_agg_arg = nested;
                let x = self.transform(e);
                self.in_agg_arg = false;
                exprs.push((x?, self.pos(e.span())));
            }
            self.pending_grouping.push((self.aggs.len(), exprs));
            return Ok(AggCall {
                func: AggFunc::Grouping,
                arg: None,
                distinct: false,
                type_oid: INT4,
                delimiter: None,
                filter: None,
                order_by: Vec::new(),
                grouping: Vec::new(),
                user: None,
            });
        }
        let arg = match args.args.as_slice() {
            [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)] if name == "count" => {
                if distinct {
                    return Err(PgError::syntax("syntax error at or near \"*\"", pos));
                }
                None
            }
            [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))] => {
                self.in_agg_arg = nested;
                let x = self.transform(e);
                self.in_agg_arg = false;
                Some((super::domain::strip_domain(x?), self.pos(e.span())))
            }
            // `count(t.*)`, `json_agg(t.*)`: the whole row.
            [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::QualifiedWildcard(q))] => {
                self.in_agg_arg = nested;
                let x = self.whole_row(&super::name_parts(q), pos);
                self.in_agg_arg = false;
                match x? {
                    Some(row) => Some((row, pos)),
                    None => {
                        return Err(PgError::new(
                            SqlState::UndefinedTable,
                            format!(
                                "missing FROM-clause entry for table \"{}\"",
                                super::name_parts(q).join(".")
                            ),
                        )
                        .or_position(pos));
                    }
                }
            }
            [ast::FunctionArg::Unnamed(_)] => {
                return Err(PgError::feature_not_supported("* arguments"));
            }
            [
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ey)),
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ex)),
            ] if crate::plan::RegrKind::from_name(name).is_some() => {
                // (Y, X) as double precision, carried as ARRAY[y, x].
                self.in_agg_arg = nested;
                let y = self.transform(ey);
                let yx = y.and_then(|y| self.transform(ex).map(|x| (y, x)));
                self.in_agg_arg = false;
                let (y, x) = yx?;
                let (py, px) = (self.pos(ey.span()), self.pos(ex.span()));
                let float = |a: &Expr| {
                    let t = a.type_oid();
                    t == UNKNOWN
                        || t == FLOAT8
                        || matches!(t, INT2 | INT4 | INT8 | NUMERIC | FLOAT4)
                };
                if !float(&y) || !float(&x) {
                    return Err(PgError::new(
                        SqlState::UndefinedFunction,
                        format!(
                            "function {name}({}, {}) does not exist",
                            oid::type_name(y.type_oid()),
                            oid::type_name(x.type_oid())
                        ),
                    )
                    .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
                    .or_position(pos));
                }
                let y = self.coerce(y, FLOAT8, -1, false, py)?;
                let x = self.coerce(x, FLOAT8, -1, false, px)?;
                pair = true;
                Some((self.array_of_elements(vec![(y, py), (x, px)], pos)?, pos))
            }
            [
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)),
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(d)),
            ] if name == "string_agg" => {
                self.in_agg_arg = nested;
                let x = self.transform(e);
                let dl = x.and_then(|x| self.transform(d).map(|dl| (x, dl)));
                self.in_agg_arg = false;
                let (x, dl) = dl?;
                let (p, dp) = (self.pos(e.span()), self.pos(d.span()));
                for v in [&x, &dl] {
                    let t = v.type_oid();
                    if !(t == UNKNOWN || oid::is_string_type(t)) {
                        return Err(PgError::new(
                            SqlState::UndefinedFunction,
                            format!(
                                "function string_agg({}, {}) does not exist",
                                oid::type_name(x.type_oid()),
                                oid::type_name(dl.type_oid())
                            ),
                        )
                        .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
                        .or_position(pos));
                    }
                }
                delimiter = Some(self.coerce(dl, TEXT, -1, false, dp)?);
                Some((self.coerce(x, TEXT, -1, false, p)?, p))
            }
            list => {
                let sig = vec!["?"; list.len()].join(", ");
                return Err(PgError::new(SqlState::UndefinedFunction, format!("function {name}({sig}) does not exist"))
                    .with_hint(
                        "No function matches the given name and argument types. You might need to add explicit type casts.",
                    )
                    .or_position(pos));
            }
        };
        let (func, arg, type_oid) = match (name, arg) {
            ("count", None) => (AggFunc::CountStar, None, INT8),
            (_, None) => return Err(PgError::syntax("syntax error at or near \"*\"", pos)),
            ("count", Some((x, p))) => {
                let x = if x.type_oid() == UNKNOWN {
                    self.coerce(x, TEXT, -1, false, p)?
                } else {
                    x
                };
                (AggFunc::Count, Some(x), INT8)
            }
            ("string_agg", Some((x, _))) => (AggFunc::StringAgg, Some(x), TEXT),
            (name, Some((x, _))) if pair => {
                let kind = crate::plan::RegrKind::from_name(name)
                    .ok_or_else(|| PgError::internal("a pair for no two-variable aggregate"))?;
                let t = if kind == crate::plan::RegrKind::Count {
                    INT8
                } else {
                    FLOAT8
                };
                (AggFunc::Regr(kind), Some(x), t)
            }
            ("array_agg", Some((x, p))) => {
                let x = if x.type_oid() == UNKNOWN {
                    self.coerce(x, TEXT, -1, false, p)?
                } else {
                    x
                };
                // array_agg(anyarray) stacks its arrays into one of one more
                // dimension, of the same type.
                if oid::is_array_type(x.type_oid()) {
                    let t = x.type_oid();
                    (AggFunc::ArrayAgg, Some(x), t)
                } else {
                    let Some(array) = oid::array_of(x.type_oid()) else {
                        return Err(PgError::new(
                            SqlState::UndefinedObject,
                            format!(
                                "could not find array type for data type {}",
                                oid::type_name(x.type_oid())
                            ),
                        )
                        .or_position(pos));
                    };
                    (AggFunc::ArrayAgg, Some(x), array)
                }
            }
            ("json_agg" | "jsonb_agg", Some((x, p))) => {
                let x = if x.type_oid() == UNKNOWN {
                    self.coerce(x, TEXT, -1, false, p)?
                } else {
                    x
                };
                // json_agg sets a row or an array apart on a line of its
                // own (PostgreSQL's JSONTYPE_COMPOSITE / JSONTYPE_ARRAY).
                let structured = types::datum::record::is_composite(x.type_oid())
                    || oid::element_of(x.type_oid()).is_some();
                let (func, imp, t) = match name {
                    "json_agg" if structured => (AggFunc::JsonAgg, "to_json_agg_structured", JSON),
                    "json_agg" => (AggFunc::JsonAgg, "to_json", JSON),
                    _ => (AggFunc::JsonbAgg, "to_jsonb", JSONB),
                };
                let arg = Expr::Call {
                    func: imp,
                    args: vec![x],
                    type_oid: t,
                    strict: true,
                };
                (func, Some(arg), t)
            }
            ("bool_and" | "every" | "bool_or", Some((x, p))) => {
                let x = match x.type_oid() {
                    BOOL => x,
                    UNKNOWN => self.coerce(x, BOOL, -1, false, p)?,
                    t => {
                        return Err(PgError::new(
                            SqlState::UndefinedFunction,
                            format!("function {name}({}) does not exist", oid::type_name(t)),
                        )
                        .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
                        .or_position(pos));
                    }
                };
                let func = if name == "bool_or" {
                    AggFunc::BoolOr
                } else {
                    AggFunc::BoolAnd
                };
                (func, Some(x), BOOL)
            }
            (name, Some((x, p))) => {
                let t = x.type_oid();
                let (func, arg_type, ret) = match (name, t) {
                    ("sum", INT2 | INT4) => (AggFunc::Sum, t, INT8),
                    ("sum", INT8) => (AggFunc::Sum, t, NUMERIC),
                    ("sum", NUMERIC | FLOAT4 | FLOAT8 | MONEY) => (AggFunc::Sum, t, t),
                    ("avg", INT2 | INT4 | INT8 | NUMERIC) => (AggFunc::Avg, t, NUMERIC),
                    ("avg", FLOAT4 | FLOAT8) => (AggFunc::Avg, t, FLOAT8),
                    (
                        "variance" | "var_samp" | "var_pop" | "stddev" | "stddev_samp"
                        | "stddev_pop",
                        INT2 | INT4 | INT8 | NUMERIC | FLOAT4 | FLOAT8,
                    ) => {
                        let func = match name {
                            "variance" | "var_samp" => AggFunc::VarSamp,
                            "var_pop" => AggFunc::VarPop,
                            "stddev" | "stddev_samp" => AggFunc::StddevSamp,
                            _ => AggFunc::StddevPop,
                        };
                        let ret = if matches!(t, FLOAT4 | FLOAT8) {
                            FLOAT8
                        } else {
                            NUMERIC
                        };
                        (func, t, ret)
                    }
                    (
                        "min" | "max",
                        INT2 | INT4 | INT8 | FLOAT4 | FLOAT8 | NUMERIC | BPCHAR | DATE | TIME
                        | TIMESTAMP | TIMESTAMPTZ | INTERVAL | OID | PG_LSN | TID | INET | MONEY
                        | XID8,
                    ) => (
                        if name == "min" {
                            AggFunc::Min
                        } else {
                            AggFunc::Max
                        },
                        t,
                        t,
                    ),
                    // max(cidr) is max(inet), as in PostgreSQL.
                    ("min" | "max", CIDR) => (
                        if name == "min" {
                            AggFunc::Min
                        } else {
                            AggFunc::Max
                        },
                        INET,
                        INET,
                    ),
                    ("min" | "max", t) if oid::is_array_type(t) => (
                        if name == "min" {
                            AggFunc::Min
                        } else {
                            AggFunc::Max
                        },
                        t,
                        t,
                    ),
                    ("min" | "max", t) if types::typcache::is_enum(t) => (
                        if name == "min" {
                            AggFunc::Min
                        } else {
                            AggFunc::Max
                        },
                        t,
                        t,
                    ),
                    ("min" | "max", TEXT | VARCHAR | NAME) => (
                        if name == "min" {
                            AggFunc::Min
                        } else {
                            AggFunc::Max
                        },
                        TEXT,
                        TEXT,
                    ),
                    ("range_intersect_agg", t)
                        if oid::range_subtype(t).is_some()
                            || oid::multirange_range(t).is_some() =>
                    {
                        (AggFunc::RangeIntersectAgg, t, t)
                    }
                    ("range_agg", t) if oid::multirange_of(t).is_some() => {
                        (AggFunc::RangeAgg, t, oid::multirange_of(t).unwrap_or(t))
                    }
                    ("range_agg", t) if oid::multirange_range(t).is_some() => {
                        (AggFunc::RangeAgg, t, t)
                    }
                    ("bit_and" | "bit_or" | "bit_xor", INT2 | INT4 | INT8 | BIT) => (
                        match name {
                            "bit_and" => AggFunc::BitAnd,
                            "bit_or" => AggFunc::BitOr,
                            _ => AggFunc::BitXor,
                        },
                        t,
                        t,
                    ),
                    // bit varying is bit to them, as in PostgreSQL.
                    ("bit_and" | "bit_or" | "bit_xor", VARBIT) => (
                        match name {
                            "bit_and" => AggFunc::BitAnd,
                            "bit_or" => AggFunc::BitOr,
                            _ => AggFunc::BitXor,
                        },
                        BIT,
                        BIT,
                    ),
                    ("sum", INTERVAL) => (AggFunc::Sum, t, INTERVAL),
                    ("avg", INTERVAL) => (AggFunc::Avg, t, INTERVAL),
                    (_, UNKNOWN) => {
                        return Err(PgError::new(SqlState::AmbiguousFunction, format!("function {name}(unknown) is not unique"))
                            .with_hint("Could not choose a best candidate function. You might need to add explicit type casts.")
                            .or_position(pos));
                    }
                    _ => {
                        return Err(PgError::new(
                            SqlState::UndefinedFunction,
                            format!("function {name}({}) does not exist", oid::type_name(t)),
                        )
                        .with_hint(
                            "No function matches the given name and argument types. You might need to add explicit type casts.",
                        )
                        .or_position(pos));
                    }
                };
                let x = self.coerce(x, arg_type, -1, false, p)?;
                (func, Some(x), ret)
            }
        };
        self.finish_aggregate_call(
            f,
            (func, arg, type_oid),
            delimiter,
            None,
            distinct,
            order_by,
            pos,
            nested,
        )
    }

    /// The checks and clauses every aggregate call shares: outer columns,
    /// FILTER, DISTINCT with ORDER BY.
    #[allow(clippy::too_many_arguments)]
    fn finish_aggregate_call(
        &mut self,
        f: &ast::Function,
        (func, arg, type_oid): (AggFunc, Option<Expr>, u32),
        delimiter: Option<Expr>,
        user: Option<Box<crate::plan::UserAggregate>>,
        distinct: bool,
        order_by: Vec<(Expr, bool, bool, Option<usize>)>,
        pos: Option<usize>,
        nested: bool,
    ) -> PgResult<AggCall> {
        // An aggregate of only outer columns belongs to that outer query
        // (PostgreSQL's agglevelsup), which this analysis does not do.
        if let Some(a) = &arg {
            let (mut outer, mut local) = (false, false);
            a.walk(&mut |x| match x {
                Expr::OuterParam { .. } => outer = true,
                Expr::Var { .. } => local = true,
                _ => {}
            });
            if outer && !local {
                return Err(PgError::feature_not_supported(
                    "an aggregate of an outer query's columns in a subquery",
                )
                .or_position(pos));
            }
        }
        let filter = match &f.filter {
            Some(w) => {
                self.in_agg_arg = nested;
                let c = self.transform_bool(w, "FILTER");
                self.in_agg_arg = false;
                Some(c?)
            }
            None => None,
        };
        // DISTINCT needs an equality operator, which the geometric types lack.
        if distinct
            && let Some(a) = &arg
            && types::oid::is_geometric(a.type_oid())
        {
            let arg_pos = match &f.args {
                ast::FunctionArguments::List(l) => l.args.first().and_then(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => self.pos(e.span()),
                    _ => None,
                }),
                _ => None,
            };
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!(
                    "could not identify an equality operator for type {}",
                    types::oid::type_name(a.type_oid())
                ),
            )
            .or_position(arg_pos.or(pos)));
        }
        // With DISTINCT, the order must be one of the distinct values'.
        let in_args = |x: &Expr| match (&arg, user.as_ref().map_or(1, |u| u.nargs)) {
            (Some(Expr::Row { args, .. }), n) if n > 1 => args.contains(x),
            (a, _) => a.as_ref() == Some(x),
        };
        if distinct && let Some((_, _, _, p)) = order_by.iter().find(|(x, _, _, _)| !in_args(x)) {
            return Err(PgError::new(
                SqlState::InvalidColumnReference,
                "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
            )
            .or_position(*p));
        }
        Ok(AggCall {
            func,
            arg,
            distinct,
            type_oid,
            delimiter,
            filter,
            order_by: order_by.into_iter().map(|(x, d, n, _)| (x, d, n)).collect(),
            grouping: Vec::new(),
            user,
        })
    }

    /// After GROUP BY: the arguments of each `GROUPING(...)` as indexes
    /// into its expressions (42803 for one that is not among them).
    pub(crate) fn resolve_grouping(&mut self, group_by: &[Expr]) -> PgResult<()> {
        for (agg, exprs) in std::mem::take(&mut self.pending_grouping) {
            let mut refs = Vec::with_capacity(exprs.len());
            for (x, p) in exprs {
                let Some(i) = group_by.iter().position(|g| *g == x) else {
                    return Err(PgError::new(
                        SqlState::GroupingError,
                        "arguments to GROUPING must be grouping expressions of the associated query level",
                    )
                    .or_position(p));
                };
                refs.push(i);
            }
            if let Some(call) = self.aggs.get_mut(agg) {
                call.grouping = refs;
            }
        }
        // The direct arguments of an ordered-set aggregate are evaluated
        // once per group: grouped columns only.
        for call in &self.aggs {
            let Some(d) = call
                .delimiter
                .as_ref()
                .filter(|_| call.func.is_ordered_set())
            else {
                continue;
            };
            if let Err(e) = self.regroup_expr(d.clone(), group_by, &[], &mut 0, false) {
                return Err(match e.code {
                    SqlState::GroupingError => e.with_detail(
                        "Direct arguments of an ordered-set aggregate must use only grouped columns.",
                    ),
                    _ => e,
                });
            }
        }
        Ok(())
    }

    /// GROUP BY: expressions over source rows; an integer constant is a select-list
    /// position, and a bare name that is no input column may be an output column.
    pub(crate) fn analyze_group_by(
        &mut self,
        g: &ast::GroupByExpr,
        projection: &[ast::SelectItem],
        targets: &[Target],
    ) -> PgResult<Option<GroupBy>> {
        let items = match g {
            ast::GroupByExpr::Expressions(v, m) if m.is_empty() => v,
            _ => {
                return Err(PgError::feature_not_supported(
                    "GROUP BY ALL and WITH ROLLUP",
                ));
            }
        };
        if items.is_empty() {
            return Ok(None);
        }
        let saved = self.agg_forbidden.replace("GROUP BY");
        let r = self.grouping_sets(items, projection, targets);
        self.agg_forbidden = saved;
        r.map(Some)
    }

    /// The GROUP BY expressions and, with GROUPING SETS, ROLLUP or CUBE,
    /// the sets (each a list of indexes into the expressions).
    fn grouping_sets(
        &mut self,
        items: &[ast::Expr],
        projection: &[ast::SelectItem],
        targets: &[Target],
    ) -> PgResult<GroupBy> {
        let special = |e: &ast::Expr| {
            matches!(
                e,
                ast::Expr::GroupingSets(_) | ast::Expr::Rollup(_) | ast::Expr::Cube(_)
            ) || matches!(e, ast::Expr::Tuple(v) if v.is_empty())
        };
        if !items.iter().any(special) {
            return Ok((self.group_by_items(items, projection, targets)?, Vec::new()));
        }
        // Each item is a list of sets; the GROUP BY's sets are their
        // cartesian product.
        let mut sets: Vec<Vec<ast::Expr>> = vec![Vec::new()];
        for item in items {
            let item_sets = expand_grouping_item(item);
            let mut next = Vec::with_capacity(sets.len() * item_sets.len());
            for s in &sets {
                for t in &item_sets {
                    let mut joined = s.clone();
                    joined.extend(t.iter().cloned());
                    next.push(joined);
                }
            }
            sets = next;
        }
        let all: Vec<ast::Expr> = sets.iter().flatten().cloned().collect();
        let group_by = self.group_by_items(&all, projection, targets)?;
        let mut out = Vec::with_capacity(sets.len());
        for s in &sets {
            let exprs = self.group_by_items(s, projection, targets)?;
            let mut refs: Vec<usize> = exprs
                .iter()
                .filter_map(|x| group_by.iter().position(|g| g == x))
                .collect();
            refs.sort_unstable();
            refs.dedup();
            out.push(refs);
        }
        Ok((group_by, out))
    }

    fn group_by_items(
        &mut self,
        items: &[ast::Expr],
        projection: &[ast::SelectItem],
        targets: &[Target],
    ) -> PgResult<Vec<Expr>> {
        let mut out: Vec<Expr> = Vec::new();
        for e in items {
            let x = match e {
                ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                    let pos = self.pos(v.span);
                    let k = match &v.value {
                        ast::Value::Number(n, _) => n.parse::<i64>().map_err(|_| {
                            PgError::new(SqlState::SyntaxError, "non-integer constant in GROUP BY")
                                .or_position(pos)
                        })?,
                        _ => 0,
                    };
                    match usize::try_from(k)
                        .ok()
                        .and_then(|k| k.checked_sub(1))
                        .and_then(|k| targets.get(k))
                    {
                        Some(t) => t.expr.clone(),
                        None => {
                            return Err(PgError::new(
                                SqlState::InvalidColumnReference,
                                format!("GROUP BY position {k} is not in select list"),
                            )
                            .or_position(pos));
                        }
                    }
                }
                ast::Expr::Identifier(id) => match self.transform(e) {
                    Ok(x) => x,
                    Err(err) if err.code == SqlState::UndefinedColumn => {
                        let name = super::ident_name(id);
                        let found = projection.iter().find_map(|item| match item {
                            ast::SelectItem::ExprWithAlias { expr, alias }
                                if super::ident_name(alias) == name =>
                            {
                                Some(expr)
                            }
                            _ => None,
                        });
                        match found {
                            Some(expr) => self.transform(expr)?,
                            None => return Err(err),
                        }
                    }
                    Err(err) => return Err(err),
                },
                _ => self.transform(e)?,
            };
            // Grouping needs an equality operator, which the geometric
            // types lack.
            if types::oid::is_geometric(x.type_oid()) {
                return Err(PgError::new(
                    SqlState::UndefinedFunction,
                    format!(
                        "could not identify an equality operator for type {}",
                        types::oid::type_name(x.type_oid())
                    ),
                )
                .or_position(self.pos(e.span())));
            }
            let mut set_valued = false;
            x.walk(&mut |y| set_valued |= matches!(y, Expr::SetRef { .. }));
            if set_valued {
                return Err(PgError::feature_not_supported(
                    "GROUP BY a set-returning function of the select list",
                ));
            }
            if !out.contains(&x) {
                out.push(x);
            }
        }
        Ok(out)
    }
}

/// GROUP BY's expressions and grouping sets (see `Aggregate::sets`).
type GroupBy = (Vec<Expr>, Vec<Vec<usize>>);

/// The grouping sets one GROUP BY item stands for: an expression one set
/// of itself; `()` the empty set; `ROLLUP (a, b)` (a, b), (a), ();
/// `CUBE (a, b)` every subset; `GROUPING SETS (...)` each of its elements
/// (themselves expanded).
fn expand_grouping_item(e: &ast::Expr) -> Vec<Vec<ast::Expr>> {
    let element = |v: &Vec<ast::Expr>| -> Vec<ast::Expr> {
        v.iter()
            .flat_map(|x| match x {
                ast::Expr::Tuple(inner) => inner.clone(),
                ast::Expr::Nested(inner) => vec![(**inner).clone()],
                other => vec![other.clone()],
            })
            .collect()
    };
    match e {
        ast::Expr::Tuple(v) if v.is_empty() => vec![Vec::new()],
        ast::Expr::Rollup(elems) => {
            let elems: Vec<Vec<ast::Expr>> = elems.iter().map(element).collect();
            (0..=elems.len())
                .rev()
                .map(|n| elems[..n].iter().flatten().cloned().collect())
                .collect()
        }
        ast::Expr::Cube(elems) => {
            let elems: Vec<Vec<ast::Expr>> = elems.iter().map(element).collect();
            let n = elems.len();
            let mut out = Vec::new();
            // Larger sets first, as PostgreSQL lists them.
            let mut masks: Vec<u32> = (0..(1u32 << n)).collect();
            masks.sort_by_key(|m| std::cmp::Reverse(m.count_ones()));
            for m in masks {
                out.push(
                    (0..n)
                        .filter(|i| m & (1 << (n - 1 - i)) != 0)
                        .flat_map(|i| elems[i].iter().cloned())
                        .collect(),
                );
            }
            out
        }
        ast::Expr::GroupingSets(sets) => sets
            .iter()
            .flat_map(|s| match s.as_slice() {
                [
                    one @ (ast::Expr::Rollup(_) | ast::Expr::Cube(_) | ast::Expr::GroupingSets(_)),
                ] => expand_grouping_item(one),
                // Inside GROUPING SETS, `rollup (a)` reads as a call.
                [ast::Expr::Function(f)] if rollup_or_cube(f).is_some() => {
                    rollup_or_cube(f).map_or_else(Vec::new, |e| expand_grouping_item(&e))
                }
                _ => vec![element(s)],
            })
            .collect(),
        other => vec![vec![other.clone()]],
    }
}

/// `rollup(a, b)` or `cube(a, b)` parsed as a function call, as the
/// grouping element it is.
fn rollup_or_cube(f: &ast::Function) -> Option<ast::Expr> {
    let name = f.name.to_string().to_lowercase();
    let ast::FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let elems: Vec<Vec<ast::Expr>> = list
        .args
        .iter()
        .map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Tuple(v))) => {
                Some(v.clone())
            }
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(vec![e.clone()]),
            _ => None,
        })
        .collect::<Option<_>>()?;
    match name.as_str() {
        "rollup" => Some(ast::Expr::Rollup(elems)),
        "cube" => Some(ast::Expr::Cube(elems)),
        _ => None,
    }
}

impl Analyzer<'_> {
    /// Rewrites a target over the aggregated row (see the module doc).
    pub(crate) fn regroup(&self, t: Target, group_by: &[Expr]) -> PgResult<Expr> {
        let mut seen = 0usize;
        self.regroup_expr(t.expr, group_by, &t.var_positions, &mut seen, false)
    }

    /// `in_params`: inside the params of a subquery (the columns it reads
    /// of this level), for PostgreSQL's message.
    fn regroup_expr(
        &self,
        e: Expr,
        group_by: &[Expr],
        positions: &[Option<usize>],
        seen: &mut usize,
        in_params: bool,
    ) -> PgResult<Expr> {
        if let Some(g) = group_by.iter().position(|k| *k == e) {
            let mut vars = 0;
            e.walk(&mut |x| {
                if matches!(x, Expr::Var { .. }) {
                    vars += 1;
                }
            });
            *seen += vars;
            return Ok(Expr::Var {
                index: g,
                type_oid: e.type_oid(),
                typmod: e.typmod(),
            });
        }
        match e {
            Expr::Var { index, .. } => {
                let pos = positions.get(*seen).copied().flatten();
                let (table, column) = self.var_name(index);
                let message = if in_params {
                    format!("subquery uses ungrouped column \"{table}.{column}\" from outer query")
                } else {
                    format!(
                        "column \"{table}.{column}\" must appear in the GROUP BY clause or be used in an aggregate function"
                    )
                };
                Err(PgError::new(SqlState::GroupingError, message).or_position(pos))
            }
            Expr::SubPlan {
                kind,
                plan,
                type_oid,
                test,
                params,
            } => {
                let test = match test {
                    Some(t) => {
                        let (lhs, eq) = *t;
                        let lhs = self.regroup_expr(lhs, group_by, positions, seen, in_params)?;
                        Some(Box::new((lhs, eq)))
                    }
                    None => None,
                };
                let params = params
                    .into_iter()
                    .map(|p| self.regroup_expr(p, group_by, positions, seen, true))
                    .collect::<PgResult<_>>()?;
                Ok(Expr::SubPlan {
                    kind,
                    plan,
                    type_oid,
                    test,
                    params,
                })
            }
            Expr::Aggref { index, type_oid } => Ok(Expr::Var {
                index: group_by.len() + index,
                type_oid,
                typmod: -1,
            }),
            other => other
                .map_children(&mut |c| self.regroup_expr(c, group_by, positions, seen, in_params)),
        }
    }
}

/// The ordered-set and hypothetical-set aggregate `name` (lower case,
/// unqualified) stands for when called WITH GROUP.
pub fn ordered_set_aggregate(name: &str) -> Option<AggFunc> {
    Some(match name {
        "percentile_cont" => AggFunc::PercentileCont,
        "percentile_disc" => AggFunc::PercentileDisc,
        "mode" => AggFunc::Mode,
        "rank" => AggFunc::HypotheticalRank,
        "dense_rank" => AggFunc::HypotheticalDenseRank,
        "percent_rank" => AggFunc::HypotheticalPercentRank,
        "cume_dist" => AggFunc::HypotheticalCumeDist,
        _ => return None,
    })
}

impl Analyzer<'_> {
    /// `name(direct args) WITHIN GROUP (ORDER BY keys) [FILTER (...)]`
    /// (PostgreSQL's ordered-set and hypothetical-set aggregates, `aggkind`
    /// `'o'` and `'h'`): checks the arguments as `ParseFuncOrColumn` does
    /// and returns the `Aggref` of its call.
    pub(crate) fn transform_ordered_set(
        &mut self,
        func: AggFunc,
        name: &str,
        f: &ast::Function,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        if let Some(clause) = self.agg_forbidden {
            return Err(PgError::new(
                SqlState::GroupingError,
                format!("aggregate functions are not allowed in {clause}"),
            )
            .or_position(pos));
        }
        if self.in_agg_arg {
            return Err(PgError::new(
                SqlState::GroupingError,
                "aggregate function calls cannot be nested",
            )
            .or_position(pos));
        }
        if f.over.is_some() {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                format!("OVER is not supported for ordered-set aggregate {name}"),
            )
            .or_position(pos));
        }
        let empty = Vec::new();
        let (args, clauses) = match &f.args {
            ast::FunctionArguments::List(l) => {
                if l.duplicate_treatment.is_some() {
                    return Err(PgError::syntax(
                        "cannot use DISTINCT with WITHIN GROUP",
                        pos,
                    ));
                }
                (&l.args, &l.clauses)
            }
            _ => (&empty, &Vec::new()),
        };
        if !clauses.is_empty() {
            return Err(PgError::syntax(
                "cannot use multiple ORDER BY clauses with WITHIN GROUP",
                pos,
            ));
        }
        // Direct arguments: evaluated once per group; no aggregate in them.
        let mut direct = Vec::new();
        for a in args {
            let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                return Err(
                    PgError::feature_not_supported(format!("this argument of {name}"))
                        .or_position(pos),
                );
            };
            self.in_agg_arg = true;
            let x = self.transform(e);
            self.in_agg_arg = false;
            direct.push((super::domain::strip_domain(x?), self.pos(e.span())));
        }
        let mut keys = Vec::new();
        for o in &f.within_group {
            self.in_agg_arg = true;
            let x = self.transform(&o.expr);
            self.in_agg_arg = false;
            let x = super::domain::strip_domain(x?);
            let desc = self.sort_descending(o, x.type_oid())?;
            let nulls_first = o.options.nulls_first.unwrap_or(desc);
            keys.push((x, desc, nulls_first, self.pos(o.expr.span())));
        }
        let no_such = |direct: &[(Expr, Option<usize>)],
                       keys: &[(Expr, bool, bool, Option<usize>)]| {
            let types: Vec<String> = direct
                .iter()
                .map(|(x, _)| x.type_oid())
                .chain(keys.iter().map(|(x, _, _, _)| x.type_oid()))
                .map(|t| oid::type_name(t).to_string())
                .collect();
            PgError::new(
                SqlState::UndefinedFunction,
                format!("function {name}({}) does not exist", types.join(", ")),
            )
            .with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            )
            .or_position(pos)
        };
        let (arg, type_oid, delimiter) = match func {
            AggFunc::PercentileCont | AggFunc::PercentileDisc => {
                let missing = no_such(&direct, &keys);
                let ([(fraction, fpos)], [key]) = (direct.as_slice(), keys.as_mut_slice()) else {
                    return Err(missing);
                };
                let array = oid::is_array_type(fraction.type_oid());
                let fraction_type = if array { FLOAT8_ARRAY } else { FLOAT8 };
                let fraction = self.coerce(fraction.clone(), fraction_type, -1, false, *fpos)?;
                let value_type = match (func, key.0.type_oid()) {
                    (AggFunc::PercentileCont, INTERVAL) => INTERVAL,
                    (AggFunc::PercentileCont, _) => {
                        let x = key.0.clone();
                        let coerced = self.coerce(x, FLOAT8, -1, false, key.3);
                        key.0 = coerced.map_err(|_| missing.clone())?;
                        FLOAT8
                    }
                    (_, UNKNOWN) => {
                        let x = key.0.clone();
                        key.0 = self.coerce(x, TEXT, -1, false, key.3)?;
                        TEXT
                    }
                    (_, t) => t,
                };
                let type_oid = if array {
                    oid::array_of(value_type).ok_or(missing)?
                } else {
                    value_type
                };
                (Some(keys[0].0.clone()), type_oid, Some(fraction))
            }
            AggFunc::Mode => {
                let ([], [key]) = (direct.as_slice(), keys.as_slice()) else {
                    return Err(no_such(&direct, &keys));
                };
                (Some(key.0.clone()), key.0.type_oid(), None)
            }
            _ => {
                if direct.len() != keys.len() {
                    return Err(no_such(&direct, &keys).with_hint(format!(
                        "To use the hypothetical-set aggregate {name}, the number of hypothetical direct arguments (here {}) must match the number of ordering columns (here {}).",
                        direct.len(),
                        keys.len()
                    )));
                }
                let mut values = Vec::with_capacity(direct.len());
                for ((d, dpos), k) in direct.iter().zip(keys.iter_mut()) {
                    let common = super::coerce::select_common_type(
                        &[(k.0.type_oid(), k.3), (d.type_oid(), *dpos)],
                        "WITHIN GROUP",
                    )
                    .map_err(|e| e.or_position(*dpos))?;
                    let kx = k.0.clone();
                    k.0 = self.coerce(kx, common, -1, false, k.3)?;
                    values.push(self.coerce(d.clone(), common, -1, false, *dpos)?);
                }
                let type_oid = match func {
                    AggFunc::HypotheticalRank | AggFunc::HypotheticalDenseRank => INT8,
                    _ => FLOAT8,
                };
                (None, type_oid, Some(super::rowtypes::make_row(values)))
            }
        };
        let call = self.finish_aggregate_call(
            f,
            (func, arg, type_oid),
            delimiter,
            None,
            false,
            keys,
            pos,
            true,
        )?;
        self.aggs.push(call);
        Ok(Expr::Aggref {
            index: self.aggs.len() - 1,
            type_oid,
        })
    }
}
