//! Choosing a B-tree index scan for a scan with a WHERE clause (a rule, not
//! yet a cost: the cost-based planner replaces it).
//!
//! The rule: split WHERE into its AND-ed conditions and keep those of the
//! form `column op value` (or `value op column`), where `op` is `=`, `<`,
//! `<=`, `>` or `>=` on the column's own type and `value` reads no column
//! (a constant or a parameter). An index is usable if it has an equality on
//! its first key column, or both a lower and an upper bound on it; it then
//! takes equalities on its key columns from the first on, and ranges on the
//! column after them. `column IN (values)` on an index's first column (an OR
//! of such equalities) makes one probe per distinct value. Among usable
//! indexes the one with the most equalities wins (a unique index fully
//! matched by equalities first).
//! The whole WHERE is still applied to every row the index returns.

use std::sync::Arc;

use types::Datum;

use crate::catalog::{IndexDesc, RelationDesc};
use crate::expr::Expr;
use crate::plan::{Bitmap, IndexBound, IndexScan, ModifyScan, ModifyTable, Plan, Source};
use crate::selfuncs;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn from_func(f: &str) -> Option<Op> {
        Some(match f {
            "eq" => Op::Eq,
            "lt" => Op::Lt,
            "le" => Op::Le,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            _ => return None,
        })
    }

    /// `a op b` as `b op' a`.
    fn commute(self) -> Op {
        match self {
            Op::Eq => Op::Eq,
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
        }
    }
}

/// One usable condition: column (position in the row, or `usize::MAX`
/// with `expr` for an expression of the row), operator, value.
#[derive(Debug, Clone)]
struct Cond {
    column: usize,
    expr: Option<Expr>,
    op: Op,
    value: Expr,
}

impl Cond {
    /// Whether the condition is on key column `k` of `index`.
    fn on(&self, index: &IndexDesc, k: usize) -> bool {
        match (&self.expr, index.exprs.get(k).and_then(Option::as_ref)) {
            (None, None) => index.columns.get(k) == Some(&self.column),
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

/// `column IN (values)` (an OR of equalities of one column).
#[derive(Debug, Clone)]
struct InList {
    column: usize,
    values: Vec<Expr>,
}

/// A column reference the index can serve: the column itself, or a
/// varchar column seen as text (the same bytes and order).
fn column_of(e: &Expr, rel: &RelationDesc) -> Option<usize> {
    match e {
        Expr::Var {
            index, type_oid, ..
        } => (rel.columns.get(*index)?.type_oid == *type_oid).then_some(*index),
        Expr::Cast {
            arg,
            from,
            to,
            typmod: -1,
            ..
        } if *from == types::oid::VARCHAR && *to == types::oid::TEXT => match &**arg {
            Expr::Var { index, .. } => Some(*index),
            _ => None,
        },
        _ => None,
    }
}

/// A value fixed for the whole scan (evaluated once when it opens):
/// constants, parameters, outer columns and what stable functions make of
/// them (`$1 + 99`).
fn is_scan_constant(e: &Expr) -> bool {
    e.is_row_independent()
}

/// The least string greater than every string that starts with `prefix`
/// (in byte order, which is code point order for UTF-8): its last
/// character incremented, dropped first if it cannot be.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut c = last as u32 + 1;
        if (0xD800..0xE000).contains(&c) {
            c = 0xE000;
        }
        if let Some(next) = char::from_u32(c) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// `column = v1 OR column = v2 ...` with constant values: what IN becomes.
fn in_list(filter: &Expr, rel: &RelationDesc) -> Option<InList> {
    let Expr::Or(parts) = filter else { return None };
    let mut column = None;
    let mut values = Vec::new();
    for p in parts {
        let mut one = Vec::new();
        conditions(p, rel, &mut one, &mut Vec::new());
        let [c] = one.as_slice() else { return None };
        if c.op != Op::Eq
            || c.expr.is_some()
            || column.is_some_and(|col| col != c.column)
            || !matches!(p, Expr::Call { .. })
        {
            return None;
        }
        column = Some(c.column);
        values.push(c.value.clone());
    }
    Some(InList {
        column: column?,
        values,
    })
}

/// `column = ANY (array)` with an array constant or an `ARRAY[...]` of
/// expressions without column references, of the column's type: the same
/// as an IN list (the NULL elements match nothing).
fn any_list(filter: &Expr, rel: &RelationDesc) -> Option<InList> {
    let Expr::ScalarArrayOp {
        any: true,
        left,
        right,
        test,
    } = filter
    else {
        return None;
    };
    let column = column_of(left, rel)?;
    let Expr::Call {
        func: "eq", args, ..
    } = test.as_ref()
    else {
        return None;
    };
    let [
        Expr::Var {
            index: 0,
            type_oid: lt,
            ..
        },
        Expr::Var {
            index: 1,
            type_oid: et,
            ..
        },
    ] = args.as_slice()
    else {
        return None;
    };
    if lt != et || left.type_oid() != *lt {
        return None;
    }
    let values: Vec<Expr> = match right.as_ref() {
        Expr::Const {
            value: Datum::Array(a),
            ..
        } if a.inner.is_empty() && a.elem_type == *et => a
            .elems
            .iter()
            .filter(|d| !d.is_null())
            .map(|d| Expr::Const {
                value: d.clone(),
                type_oid: *et,
            })
            .collect(),
        Expr::Call {
            func: "array",
            args,
            ..
        } if args
            .iter()
            .all(|a| a.var_span().is_none() && a.type_oid() == *et) =>
        {
            args.clone()
        }
        _ => return None,
    };
    (!values.is_empty()).then_some(InList { column, values })
}

/// Whether condition `c` is the IN list (or `= ANY (array)`) that index
/// scan `scan` reads: EXPLAIN shows it as the Index Cond alone.
pub(crate) fn is_scanned_in_list(c: &Expr, rel: &RelationDesc, scan: &IndexScan) -> bool {
    let leading = rel
        .indexes
        .iter()
        .find(|i| i.oid == scan.index_oid)
        .and_then(|i| i.columns.first().copied());
    !scan.in_list.is_empty()
        && in_list(c, rel)
            .or_else(|| any_list(c, rel))
            .is_some_and(|l| Some(l.column) == leading && l.values == scan.in_list)
}

fn conditions(filter: &Expr, rel: &RelationDesc, out: &mut Vec<Cond>, ins: &mut Vec<InList>) {
    match filter {
        Expr::And(parts) => parts.iter().for_each(|p| conditions(p, rel, out, ins)),
        Expr::Or(_) => ins.extend(in_list(filter, rel)),
        Expr::ScalarArrayOp { .. } => ins.extend(any_list(filter, rel)),
        Expr::Call {
            func: "like", args, ..
        } if args.len() == 2 => {
            // `col LIKE 'abc%'`: the range ['abc', 'abd') (byte order, as
            // text compares here), the LIKE itself still filtering.
            let (
                Some(column),
                Expr::Const {
                    value: Datum::Text(pattern),
                    ..
                },
            ) = (column_of(&args[0], rel), &args[1])
            else {
                return;
            };
            let prefix: String = pattern
                .chars()
                .take_while(|c| !matches!(c, '%' | '_' | '\\'))
                .collect();
            if prefix.is_empty() {
                return;
            }
            let text = |s: String| Expr::Const {
                value: Datum::Text(s),
                type_oid: types::oid::TEXT,
            };
            if prefix.len() == pattern.len() {
                out.push(Cond {
                    column,
                    expr: None,
                    op: Op::Eq,
                    value: text(prefix),
                });
                return;
            }
            out.push(Cond {
                column,
                expr: None,
                op: Op::Ge,
                value: text(prefix.clone()),
            });
            if let Some(next) = successor(&prefix) {
                out.push(Cond {
                    column,
                    expr: None,
                    op: Op::Lt,
                    value: text(next),
                });
            }
        }
        Expr::Call { func, args, .. } if args.len() == 2 => {
            let Some(op) = Op::from_func(func) else {
                return;
            };
            let (a, b) = (&args[0], &args[1]);
            if a.type_oid() != b.type_oid() {
                return;
            }
            if let Some(column) = column_of(a, rel)
                && is_scan_constant(b)
            {
                out.push(Cond {
                    column,
                    expr: None,
                    op,
                    value: b.clone(),
                });
            } else if let Some(column) = column_of(b, rel)
                && is_scan_constant(a)
            {
                out.push(Cond {
                    column,
                    expr: None,
                    op: op.commute(),
                    value: a.clone(),
                });
            } else if is_scan_constant(b) && !is_scan_constant(a) {
                // Perhaps an expression an index is built on.
                out.push(Cond {
                    column: usize::MAX,
                    expr: Some(a.clone()),
                    op,
                    value: b.clone(),
                });
            } else if is_scan_constant(a) && !is_scan_constant(b) {
                out.push(Cond {
                    column: usize::MAX,
                    expr: Some(b.clone()),
                    op: op.commute(),
                    value: a.clone(),
                });
            }
        }
        _ => {}
    }
}

/// Whether `filter` implies `predicate`: each AND-ed part of the predicate
/// is one of the filter's (PostgreSQL's predicate_implied_by, in its
/// simplest form).
fn implies(filter: &Expr, predicate: &Expr) -> bool {
    fn parts(e: &Expr) -> Vec<&Expr> {
        match e {
            Expr::And(v) => v.iter().flat_map(parts).collect(),
            other => vec![other],
        }
    }
    let have = parts(filter);
    parts(predicate).iter().all(|p| have.contains(p))
}

/// What an index can do with the conditions: (equalities used, scan).
/// `one_sided`: a single bound on the first column is enough (when costs
/// decide whether the scan is worth it).
fn match_index(
    index: &IndexDesc,
    conds: &[Cond],
    ins: &[InList],
    one_sided: bool,
) -> Option<(usize, IndexScan)> {
    let first = *index.columns.first()?;
    if !conds.iter().any(|c| c.on(index, 0) && c.op == Op::Eq)
        && index.exprs.first().is_some_and(Option::is_none)
        && let Some(list) = ins.iter().find(|l| l.column == first)
    {
        // Probes of the first column; other conditions are left to the filter.
        return Some((
            1,
            IndexScan {
                index_oid: index.oid,
                lower: None,
                upper: None,
                in_list: list.values.clone(),
                index_only: false,
                backward: false,
            },
        ));
    }
    let mut eq: Vec<Expr> = Vec::new();
    let mut lower: Option<(Expr, bool)> = None;
    let mut upper: Option<(Expr, bool)> = None;
    for k in 0..index.columns.len() {
        if let Some(c) = conds.iter().find(|c| c.on(index, k) && c.op == Op::Eq) {
            eq.push(c.value.clone());
            continue;
        }
        let mut lo = conds
            .iter()
            .find(|c| c.on(index, k) && matches!(c.op, Op::Gt | Op::Ge))
            .map(|c| (c.value.clone(), c.op == Op::Ge));
        let mut hi = conds
            .iter()
            .find(|c| c.on(index, k) && matches!(c.op, Op::Lt | Op::Le))
            .map(|c| (c.value.clone(), c.op == Op::Le));
        if index.descending[k] {
            std::mem::swap(&mut lo, &mut hi);
        }
        if k == 0
            && (lo.is_none() || hi.is_none())
            && !(one_sided && (lo.is_some() || hi.is_some()))
        {
            return None;
        }
        lower = lo;
        upper = hi;
        break;
    }
    if eq.is_empty() && lower.is_none() && upper.is_none() {
        return None;
    }
    let bound = |end: Option<(Expr, bool)>| -> Option<IndexBound> {
        match end {
            Some((v, inclusive)) => {
                let mut values = eq.clone();
                values.push(v);
                Some(IndexBound { values, inclusive })
            }
            None if !eq.is_empty() => Some(IndexBound {
                values: eq.clone(),
                inclusive: true,
            }),
            None => None,
        }
    };
    let scan = IndexScan {
        index_oid: index.oid,
        lower: bound(lower),
        upper: bound(upper),
        in_list: Vec::new(),
        index_only: false,
        backward: false,
    };
    Some((eq.len(), scan))
}

/// The index scan to use for rows of `rel` that pass `filter`, if any.
pub fn choose(rel: &RelationDesc, filter: Option<&Expr>) -> Option<IndexScan> {
    let filter = filter?;
    choose_for(rel, filter, filter, false).map(|(_, s)| s)
}

/// How well an index scan narrows the rows: whether it is an equality on
/// every column of a unique index (one row at most), and how many leading
/// key columns equalities fix.
type Score = (bool, usize);

/// [`choose`], with the chosen scan's score.
/// With statistics a one-sided range qualifies too: the costs then decide.
fn choose_scored(rel: &RelationDesc, filter: Option<&Expr>) -> Option<(Score, IndexScan)> {
    let filter = filter?;
    choose_for(rel, filter, filter, selfuncs::has_stats(rel))
}

/// The best index scan for the conditions in `conds` of a query whose
/// whole WHERE is `filter` (which must imply a partial index's predicate).
fn choose_for(
    rel: &RelationDesc,
    conds_in: &Expr,
    filter: &Expr,
    one_sided: bool,
) -> Option<(Score, IndexScan)> {
    if rel.indexes.is_empty() {
        return None;
    }
    let mut conds = Vec::new();
    let mut ins = Vec::new();
    conditions(conds_in, rel, &mut conds, &mut ins);
    if conds.is_empty() && ins.is_empty() {
        return None;
    }
    let mut best: Option<(Score, IndexScan)> = None;
    for index in rel
        .indexes
        .iter()
        .filter(|i| i.predicate.as_ref().is_none_or(|p| implies(filter, p)))
    {
        let Some((eqs, scan)) = match_index(index, &conds, &ins, one_sided) else {
            continue;
        };
        let score = (index.unique && eqs == index.columns.len(), eqs);
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, scan));
        }
    }
    best
}

/// Whether `index`, with `eqs` leading columns fixed by equalities, returns
/// rows in the order of `plan.order_by`, and in which direction: each sort
/// key is a plain column of the relation, and they are the index's key
/// columns from the first (or from the first after the fixed ones), all in
/// the index's direction and NULLS placement (a forward scan) or all in the
/// opposite (a backward scan). `Some(backward)` if it does.
fn gives_order(index: &IndexDesc, eqs: usize, plan: &Plan) -> Option<bool> {
    let keys = &plan.order_by;
    if keys.is_empty() {
        return None;
    }
    let matches_from = |start: usize, backward: bool| {
        keys.iter().enumerate().all(|(i, k)| {
            let k_col = match plan.targets.get(k.column) {
                Some(Expr::Var { index, .. }) => *index,
                _ => return false,
            };
            let j = start + i;
            index.columns.get(j) == Some(&k_col)
                && (index.descending[j] != k.descending) == backward
                && (index.nulls_first[j] != k.nulls_first) == backward
        })
    };
    [false, true]
        .into_iter()
        .find(|&backward| matches_from(0, backward) || (eqs > 0 && matches_from(eqs, backward)))
}

/// An ORDER BY that an index can produce makes the sort unnecessary; with
/// a LIMIT, a scan of the whole index in order is chosen even without a
/// usable WHERE condition (the executor stops reading after LIMIT rows).
fn order_by_index(plan: &mut Plan, rel: &Arc<RelationDesc>) {
    if plan.aggregate.is_some()
        || plan.distinct
        || !plan.distinct_on.is_empty()
        || plan.order_by.is_empty()
        || plan.row_lock.is_some()
    {
        return;
    }
    if let Source::IndexScan(_, scan) = &plan.source {
        let Some(index) = rel.indexes.iter().find(|i| i.oid == scan.index_oid) else {
            return;
        };
        let eqs = match (&scan.lower, &scan.upper) {
            (Some(l), Some(u)) if l.values == u.values && l.inclusive && u.inclusive => {
                l.values.len()
            }
            _ => 0,
        };
        if scan.in_list.is_empty()
            && let Some(backward) = gives_order(index, eqs, plan)
        {
            plan.order_by.clear();
            if let Some(w) = &mut plan.windows {
                w.keep_order = true;
            }
            if let Source::IndexScan(_, scan) = &mut plan.source {
                scan.backward = backward;
            }
        }
        return;
    }
    // A whole index read in order instead of a sort: for the first rows
    // under a LIMIT, or when sequential scans are disabled.
    let s = crate::settings::current();
    if (plan.limit.is_none() && s.enable_seqscan)
        || !s.enable_indexscan
        || !matches!(plan.source, Source::SeqScan(_))
    {
        return;
    }
    let usable = |i: &&IndexDesc| match (&i.predicate, &plan.filter) {
        (None, _) => true,
        (Some(p), Some(f)) => implies(f, p),
        (Some(_), None) => false,
    };
    if let Some((index, backward)) = rel
        .indexes
        .iter()
        .filter(usable)
        .find_map(|i| gives_order(i, 0, plan).map(|b| (i, b)))
    {
        plan.source = Source::IndexScan(
            Arc::clone(rel),
            IndexScan::whole(index.oid, false, backward),
        );
        plan.order_by.clear();
        if let Some(w) = &mut plan.windows {
            w.keep_order = true;
        }
    }
}

/// Sorted aggregation (PostgreSQL's GroupAggregate) over a whole
/// index-only scan: when the GROUP BY keys are the leading columns of an
/// index, in order, that stores every column the query reads, and reading
/// that index costs less than the sequential scan it replaces (the index is
/// small against the table, its pages all-visible). The grouping work per
/// row is the same either way; the sorted one keeps no table of groups.
fn group_by_index(plan: &mut Plan, rel: &Arc<RelationDesc>) {
    let s = crate::settings::current();
    let Some(agg) = &plan.aggregate else {
        return;
    };
    if agg.group_by.is_empty()
        || !agg.sets.is_empty()
        || plan.row_lock.is_some()
        || !matches!(plan.source, Source::SeqScan(_))
        || !selfuncs::has_stats(rel)
        || !s.enable_indexscan
        || !s.enable_indexonlyscan
    {
        return;
    }
    let Some(keys) = agg
        .group_by
        .iter()
        .map(|g| column_of(g, rel))
        .collect::<Option<Vec<usize>>>()
    else {
        return;
    };
    let read = columns_read(plan);
    let quals = plan.filter.as_ref().map_or(0, |f| conjuncts(f).len());
    let seq = selfuncs::seqscan_cost(rel, quals)
        + crate::settings::PlannerSettings::penalty(s.enable_seqscan);
    let Some(index) = rel.indexes.iter().find(|i| {
        i.predicate.is_none()
            && i.columns.len() >= keys.len()
            && i.columns[..keys.len()] == keys[..]
            && i.exprs.iter().take(keys.len()).all(Option::is_none)
            && read.iter().all(|c| i.stored.contains(c))
    }) else {
        return;
    };
    let ios = selfuncs::index_scan_cost(rel, 1.0, keys.first().copied(), quals, 1.0, true);
    if ios >= seq {
        return;
    }
    plan.source = Source::IndexScan(Arc::clone(rel), IndexScan::whole(index.oid, true, false));
    if let Some(agg) = &mut plan.aggregate {
        agg.sorted = true;
    }
}

/// The source columns a query reads (WHERE, and the targets or the
/// grouping keys and aggregate arguments).
fn columns_read(plan: &Plan) -> std::collections::BTreeSet<usize> {
    let mut out = std::collections::BTreeSet::new();
    let mut note = |e: &Expr| {
        e.walk(&mut |x| {
            if let Expr::Var { index, .. } = x {
                out.insert(*index);
            }
        })
    };
    plan.source_reads()
        .chain(plan.set_function_reads())
        .for_each(&mut note);
    out
}

/// An index scan of a query that reads only columns the index stores (and
/// locks no rows) may skip the heap for all-visible pages.
fn mark_index_only(plan: &mut Plan, rel: &RelationDesc) {
    if plan.row_lock.is_some() || !crate::settings::current().enable_indexonlyscan {
        return;
    }
    let read = columns_read(plan);
    if let Source::IndexScan(_, scan) = &mut plan.source
        && let Some(index) = rel.indexes.iter().find(|i| i.oid == scan.index_oid)
    {
        scan.index_only = read.iter().all(|c| index.stored.contains(c));
    }
}

fn conjuncts(e: &Expr) -> Vec<&Expr> {
    e.conjuncts()
}

/// For an OR whose every arm some index serves: those scans, combined.
fn bitmap_or(rel: &RelationDesc, c: &Expr) -> Option<Bitmap> {
    let Expr::Or(arms) = c else { return None };
    let scans: Option<Vec<Bitmap>> = arms
        .iter()
        .map(|arm| choose(rel, Some(arm)).map(Bitmap::Index))
        .collect();
    scans.filter(|s| s.len() > 1).map(Bitmap::Or)
}

/// A bitmap for the filter when a single index scan is not the whole story:
/// an OR among its AND-ed parts whose every arm an index serves (a
/// BitmapOr), and, next to the best single scan unless that finds one row
/// at most, equalities that other indexes serve (a BitmapAnd of them all).
fn bitmap(
    rel: &RelationDesc,
    filter: Option<&Expr>,
    best: Option<&(Score, IndexScan)>,
) -> Option<Bitmap> {
    let filter = filter?;
    if best.is_some_and(|((unique, _), _)| *unique) {
        return None;
    }
    let mut parts: Vec<Bitmap> = best
        .map(|(_, s)| Bitmap::Index(s.clone()))
        .into_iter()
        .collect();
    let mut used: Vec<u32> = best.map(|(_, s)| s.index_oid).into_iter().collect();
    // The columns the best scan's equalities fix: another index led by one
    // of them would narrow nothing further.
    let index = |oid: u32| rel.indexes.iter().find(|i| i.oid == oid);
    let fixed: Vec<usize> = best
        .and_then(|((_, eqs), s)| index(s.index_oid).map(|i| i.columns[..*eqs].to_vec()))
        .unwrap_or_default();
    for c in conjuncts(filter) {
        if let Some(or) = bitmap_or(rel, c) {
            parts.push(or);
        } else if let Some(((_, eqs), scan)) = choose_for(rel, c, filter, false)
            && eqs > 0
            && !used.contains(&scan.index_oid)
            && index(scan.index_oid)
                .is_some_and(|i| i.columns.first().is_some_and(|c| !fixed.contains(c)))
        {
            used.push(scan.index_oid);
            parts.push(Bitmap::Index(scan));
        }
    }
    match parts.len() {
        0 => None,
        1 if best.is_some() => None,
        1 => parts.pop(),
        _ => Some(Bitmap::And(parts)),
    }
}

/// The selectivity of a bitmap's index conditions and how many index
/// scans it makes.
fn bitmap_selectivity(rel: &Arc<RelationDesc>, b: &Bitmap) -> (f64, usize) {
    match b {
        Bitmap::Index(scan) => (selfuncs::index_selectivity(rel, scan), 1),
        Bitmap::And(parts) => parts.iter().fold((1.0, 0), |(s, n), p| {
            let (t, m) = bitmap_selectivity(rel, p);
            (s * t, n + m)
        }),
        Bitmap::Or(parts) => parts.iter().fold((0.0, 0), |(s, n), p| {
            let (t, m) = bitmap_selectivity(rel, p);
            (s + t - s * t, n + m)
        }),
    }
}

/// With statistics, the cheapest way to read the rows of `rel` that pass
/// `filter` (PostgreSQL's `set_plain_rel_pathlist` over the candidates
/// the rules found): the sequential scan, the best index scan, that scan
/// as a bitmap, or the rules' bitmap.
fn cheapest_source(
    rel: &Arc<RelationDesc>,
    filter: Option<&Expr>,
    best: Option<&(Score, IndexScan)>,
    bitmap: Option<Bitmap>,
    allow_bitmap: bool,
    read: Option<&std::collections::BTreeSet<usize>>,
) -> Source {
    let quals = filter.map_or(0, |f| conjuncts(f).len());
    let s = crate::settings::current();
    let penalty = crate::settings::PlannerSettings::penalty;
    let mut choice = (
        selfuncs::seqscan_cost(rel, quals) + penalty(s.enable_seqscan),
        Source::SeqScan(Arc::clone(rel)),
    );
    let mut consider = |cost: f64, source: Source| {
        if cost < choice.0 {
            choice = (cost, source);
        }
    };
    if let Some((_, scan)) = best {
        let sel = selfuncs::index_selectivity(rel, scan);
        let col = selfuncs::index_leading_column(rel, scan.index_oid);
        let index_only = s.enable_indexonlyscan
            && read.is_some_and(|read| {
                rel.indexes
                    .iter()
                    .find(|i| i.oid == scan.index_oid)
                    .is_some_and(|i| read.iter().all(|c| i.stored.contains(c)))
            });
        consider(
            selfuncs::index_scan_cost(rel, sel, col, quals, 1.0, index_only)
                + penalty(s.enable_indexscan),
            Source::IndexScan(Arc::clone(rel), scan.clone()),
        );
        if allow_bitmap {
            consider(
                selfuncs::bitmap_scan_cost(rel, sel, col, 1, quals) + penalty(s.enable_bitmapscan),
                Source::Bitmap(Arc::clone(rel), Bitmap::Index(scan.clone())),
            );
        }
    }
    if let Some(mut b) = bitmap.filter(|_| allow_bitmap) {
        // the most selective scan first, as PostgreSQL's choose_bitmap_and
        if let Bitmap::And(parts) = &mut b {
            parts.sort_by(|x, y| {
                bitmap_selectivity(rel, x)
                    .0
                    .total_cmp(&bitmap_selectivity(rel, y).0)
            });
        }
        let (sel, scans) = bitmap_selectivity(rel, &b);
        let col = bitmap_leading_column(rel, &b);
        consider(
            selfuncs::bitmap_scan_cost(rel, sel, col, scans, quals) + penalty(s.enable_bitmapscan),
            Source::Bitmap(Arc::clone(rel), b),
        );
    }
    choice.1
}

/// The estimated cost of a scan of one table with `filter` (None for
/// other sources).
pub fn scan_cost(source: &Source, filter: Option<&Expr>) -> Option<f64> {
    let quals = filter.map_or(0, |f| conjuncts(f).len());
    Some(match source {
        Source::SeqScan(rel) => selfuncs::seqscan_cost(rel, quals),
        Source::IndexScan(rel, scan) => {
            let sel = selfuncs::index_selectivity(rel, scan);
            let col = selfuncs::index_leading_column(rel, scan.index_oid);
            selfuncs::index_scan_cost(rel, sel, col, quals, 1.0, scan.index_only)
        }
        Source::Bitmap(rel, b) => {
            let (sel, scans) = bitmap_selectivity(rel, b);
            selfuncs::bitmap_scan_cost(rel, sel, bitmap_leading_column(rel, b), scans, quals)
        }
        Source::TidScan(rel, t) => crate::tidpath::tid_scan_cost(rel, t, quals),
        _ => return None,
    })
}

/// The leading column of a bitmap's first index.
pub(crate) fn bitmap_leading_column(rel: &RelationDesc, b: &Bitmap) -> Option<usize> {
    match b {
        Bitmap::Index(scan) => selfuncs::index_leading_column(rel, scan.index_oid),
        Bitmap::And(parts) | Bitmap::Or(parts) => {
            parts.first().and_then(|p| bitmap_leading_column(rel, p))
        }
    }
}

/// How an UPDATE or DELETE of `rel` finds the rows that pass `filter`:
/// the tids it names, else an index, else a tid range; None for a
/// sequential scan.
pub fn modify_scan(rel: &RelationDesc, filter: Option<&Expr>) -> Option<ModifyScan> {
    let tid = crate::tidpath::tid_scan(rel, filter);
    match tid {
        Some(t) if matches!(t.kind, crate::plan::TidScanKind::List(_)) => Some(ModifyScan::Tid(t)),
        _ => choose(rel, filter)
            .map(ModifyScan::Index)
            .or(tid.map(ModifyScan::Tid)),
    }
}

/// Whether a Tid Scan beats the `chosen` source: tids named one by one
/// beat any scan (a page each); a tid range beats only the sequential
/// scan of the whole table.
fn prefers_tid_scan(tid: &crate::plan::TidScan, chosen: &Source) -> bool {
    matches!(tid.kind, crate::plan::TidScanKind::List(_)) || matches!(chosen, Source::SeqScan(_))
}

/// How to read the rows of `rel` that pass `filter` when every one of
/// them is wanted (a join's input): a Tid Scan, a bitmap, an index scan,
/// or the sequential scan.
pub fn input_source(rel: &Arc<RelationDesc>, filter: Option<&Expr>) -> Source {
    let source = input_source_by_index(rel, filter);
    match crate::tidpath::tid_scan(rel, filter) {
        Some(tid) if prefers_tid_scan(&tid, &source) => Source::TidScan(Arc::clone(rel), tid),
        _ => source,
    }
}

fn input_source_by_index(rel: &Arc<RelationDesc>, filter: Option<&Expr>) -> Source {
    let best = choose_scored(rel, filter);
    if selfuncs::has_stats(rel) || crate::settings::current().scans_restricted() {
        let b = bitmap(rel, filter, best.as_ref());
        return cheapest_source(rel, filter, best.as_ref(), b, true, None);
    }
    if let Some(b) = bitmap(rel, filter, best.as_ref()) {
        Source::Bitmap(Arc::clone(rel), b)
    } else if let Some((_, scan)) = best {
        Source::IndexScan(Arc::clone(rel), scan)
    } else {
        Source::SeqScan(Arc::clone(rel))
    }
}

/// Puts index scans into a planned statement where the rule finds one.
pub fn apply(mut plan: Plan, modify: Option<ModifyTable>) -> (Plan, Option<ModifyTable>) {
    if matches!(plan.source, Source::Append { .. }) {
        crate::inherit::push_filter(&mut plan.source, &mut plan.filter);
    }
    if let Source::SeqScan(rel) = &plan.source {
        let rel = Arc::clone(rel);
        let best = choose_scored(&rel, plan.filter.as_ref());
        // Rows to lock come through a single index scan (or a seqscan), and
        // so do the first rows in an order the best scan gives (a LIMIT then
        // stops it early; a bitmap would need every row, then a sort).
        let ordered_limit = plan.limit.is_some()
            && best.as_ref().is_some_and(|((_, eqs), s)| {
                rel.indexes
                    .iter()
                    .find(|i| i.oid == s.index_oid)
                    .is_some_and(|i| s.in_list.is_empty() && gives_order(i, *eqs, &plan).is_some())
            });
        let bitmap = match plan.row_lock {
            None if !ordered_limit => bitmap(&rel, plan.filter.as_ref(), best.as_ref()),
            _ => None,
        };
        let by_cost = selfuncs::has_stats(&rel) || crate::settings::current().scans_restricted();
        if by_cost && !ordered_limit {
            let allow_bitmap = plan.row_lock.is_none();
            let read = columns_read(&plan);
            let read = allow_bitmap.then_some(&read);
            plan.source = cheapest_source(
                &rel,
                plan.filter.as_ref(),
                best.as_ref(),
                bitmap,
                allow_bitmap,
                read,
            );
        } else if let Some(b) = bitmap {
            plan.source = Source::Bitmap(Arc::clone(&rel), b);
        } else if let Some((_, scan)) = best {
            plan.source = Source::IndexScan(Arc::clone(&rel), scan);
        }
        if let Some(tid) = crate::tidpath::tid_scan(&rel, plan.filter.as_ref())
            && prefers_tid_scan(&tid, &plan.source)
        {
            plan.source = Source::TidScan(Arc::clone(&rel), tid);
        }
        order_by_index(&mut plan, &rel);
        mark_index_only(&mut plan, &rel);
        group_by_index(&mut plan, &rel);
    }
    let modify = modify.map(|m| match m {
        ModifyTable::Update {
            rel,
            filter,
            assignments,
            returning,
            scan: None,
            from,
        } => {
            let scan = modify_scan(&rel, filter.as_ref());
            ModifyTable::Update {
                rel,
                filter,
                assignments,
                returning,
                scan,
                from,
            }
        }
        ModifyTable::Delete {
            rel,
            filter,
            returning,
            scan: None,
            from,
        } => {
            let scan = modify_scan(&rel, filter.as_ref());
            ModifyTable::Delete {
                rel,
                filter,
                returning,
                scan,
                from,
            }
        }
        other => other,
    });
    (plan, modify)
}
