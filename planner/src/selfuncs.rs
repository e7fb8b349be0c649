//! Row estimates from statistics: PostgreSQL's `selfuncs.c` and
//! `clausesel.c` in the form our plans need, and the cost formulas of
//! `costsize.c` that choose between scans and join methods.
//!
//! A relation's size is `pg_class.relpages` / `reltuples` once VACUUM or
//! ANALYZE counted it; before that, PostgreSQL's guess of 10 pages of rows
//! of the declared widths. A condition's selectivity comes from the
//! `pg_statistic` row of the column it tests, when there is one:
//!
//! - `col = const`: the constant's frequency among the most common values
//!   (MCVs), else the rest of the rows shared evenly among the other
//!   distinct values (`var_eq_const`); `col <> const` the complement.
//! - `col < const` and the other inequalities: the MCVs that satisfy it,
//!   plus the part of the histogram below (or above) the constant, linearly
//!   interpolated inside its bucket for numbers, dates and times
//!   (`scalarineqsel`). Two bounds on one column make a range
//!   (`clauselist_selectivity`'s range pairs).
//! - `col IS [NOT] NULL`: the NULL fraction. `col = ANY (array)`: the sum
//!   of the elements' equalities. `col LIKE 'abc%'`: the range of the
//!   prefix.
//! - AND multiplies (independence), OR adds less the overlap, NOT
//!   complements.
//! - A join's equality `a.x = b.y`: the MCV lists matched against each
//!   other, the rest spread over the distinct values (`eqjoinsel_inner`);
//!   without MCVs, 1 / max(distinct values of either side).
//!
//! Without statistics every estimate falls back to PostgreSQL's defaults
//! (0.005 for an equality, 1/3 for an inequality, 200 distinct values).

use std::cmp::Ordering;
use std::sync::Arc;

use catalog::statistics::ColumnStatistics;
use types::{Datum, oid};

use crate::catalog::RelationDesc;
use crate::expr::Expr;
use crate::plan::{Join, JoinKind, Source};

// The cost constants of the statement being planned (the session's
// settings: `crate::settings`).
pub fn seq_page_cost() -> f64 {
    crate::settings::current().seq_page_cost
}
pub fn random_page_cost() -> f64 {
    crate::settings::current().random_page_cost
}
pub fn cpu_tuple_cost() -> f64 {
    crate::settings::current().cpu_tuple_cost
}
pub fn cpu_index_tuple_cost() -> f64 {
    crate::settings::current().cpu_index_tuple_cost
}
pub fn cpu_operator_cost() -> f64 {
    crate::settings::current().cpu_operator_cost
}
/// `effective_cache_size` in pages.
fn effective_cache_size() -> f64 {
    crate::settings::current().effective_cache_size
}
/// Pages assumed for a table never counted (PostgreSQL assumes 10).
const DEFAULT_PAGES: f64 = 10.0;
pub const DEFAULT_EQ_SEL: f64 = 0.005;
pub const DEFAULT_INEQ_SEL: f64 = 1.0 / 3.0;
const DEFAULT_RANGE_INEQ_SEL: f64 = 0.005;
const DEFAULT_MATCH_SEL: f64 = 0.005;
const DEFAULT_UNK_SEL: f64 = 0.005;
const DEFAULT_NOT_UNK_SEL: f64 = 1.0 - DEFAULT_UNK_SEL;
pub const DEFAULT_SEL: f64 = 0.5;
const DEFAULT_NUM_DISTINCT: f64 = 200.0;

/// Where a column of a row comes from: a relation and the position of
/// the column in it.
pub type Origin = Option<(Arc<RelationDesc>, usize)>;

/// The origin of each column of the rows of `source` (None for computed
/// ones).
pub fn origins(source: &Source) -> Vec<Origin> {
    match source {
        Source::SeqScan(rel)
        | Source::IndexScan(rel, _)
        | Source::Bitmap(rel, _)
        | Source::TidScan(rel, _) => rel_origins(rel),
        Source::Join(j) => join_origins(j),
        _ => Vec::new(),
    }
}

/// The origin of each column of a relation's rows.
fn rel_origins(rel: &Arc<RelationDesc>) -> Vec<Origin> {
    (0..rel.columns.len())
        .map(|i| Some((Arc::clone(rel), i)))
        .collect()
}

/// The origin of each column of a join's rows.
pub fn join_origins(j: &Join) -> Vec<Origin> {
    let mut v = origins(&j.left.source);
    v.resize(j.left.width, None);
    let mut r = origins(&j.right.source);
    r.resize(j.right.width, None);
    v.extend(r);
    match &j.output {
        // A reordered tree's rows come out as written.
        Some(output) => output
            .iter()
            .map(|&c| v.get(c).cloned().flatten())
            .collect(),
        None => v,
    }
}

/// The width PostgreSQL assumes for a value of a type without statistics.
pub fn type_width(type_oid: u32, typmod: i32) -> i32 {
    match oid::typlen(type_oid) {
        n if n > 0 => i32::from(n),
        _ if typmod > 4 && matches!(type_oid, oid::VARCHAR | oid::BPCHAR) => typmod,
        // bit(n): the bytes of n bits and two words; a long maximum counts
        // for part of itself, as PostgreSQL's get_typavgwidth guesses.
        _ if typmod > 0 && matches!(type_oid, oid::BIT | oid::VARBIT) => {
            let max = (typmod + 7) / 8 + 8;
            match max {
                m if m <= 32 => m,
                m if m < 1000 => 32 + (m - 32) / 2,
                _ => 32 + (1000 - 32) / 2,
            }
        }
        _ => 32,
    }
}

/// A relation's estimated pages, rows and row width.
pub fn rel_size(rel: &RelationDesc) -> (f64, f64, i32) {
    let width: i32 = rel
        .columns
        .iter()
        .filter(|c| !c.dropped)
        .map(|c| match rel.stats.column(c.attnum) {
            Some(s) if s.width > 0 => s.width,
            _ => type_width(c.type_oid, c.typmod),
        })
        .sum();
    if rel.stats.counted() {
        return (rel.stats.pages, rel.stats.tuples.max(0.0), width);
    }
    let per_page = (8192.0 - 24.0) / (f64::from(width) + 28.0);
    (DEFAULT_PAGES, (DEFAULT_PAGES * per_page).floor(), width)
}

/// Whether planning may choose by these estimates: the relation was
/// counted by ANALYZE. Plans of relations never analyzed keep the rules.
pub fn has_stats(rel: &RelationDesc) -> bool {
    rel.stats.counted()
}

/// A column's statistics and the size of its relation.
struct VarStats<'a> {
    rel: &'a RelationDesc,
    col: usize,
    stats: Option<&'a ColumnStatistics>,
}

impl VarStats<'_> {
    fn tuples(&self) -> f64 {
        rel_size(self.rel).1
    }

    fn null_frac(&self) -> f64 {
        self.stats.map_or(0.0, |s| s.null_frac)
    }

    /// `get_variable_numdistinct`: (distinct values, whether a default).
    fn num_distinct(&self) -> (f64, bool) {
        let tuples = self.tuples();
        let unique = self.rel.indexes.iter().any(|i| {
            i.unique && i.predicate.is_none() && i.columns.len() == 1 && i.columns[0] == self.col
        });
        let d = if unique {
            Some(tuples)
        } else {
            self.stats.and_then(|s| s.distinct_count(tuples))
        };
        match d {
            Some(d) => (d.min(tuples.max(1.0)).max(1.0), false),
            None if self.rel.columns[self.col].type_oid == oid::BOOL => (2.0, true),
            None => (DEFAULT_NUM_DISTINCT.min(tuples.max(1.0)), true),
        }
    }
}

/// Strips implicit casts that do not change a column into another value
/// (varchar to text and the like).
fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Cast {
            arg,
            explicit: false,
            ..
        } => strip(arg),
        other => other,
    }
}

fn var_stats<'a>(e: &Expr, origins: &'a [Origin]) -> Option<VarStats<'a>> {
    let Expr::Var { index, .. } = strip(e) else {
        return None;
    };
    let (rel, col) = origins.get(*index)?.as_ref()?;
    let attnum = rel.columns.get(*col)?.attnum;
    Some(VarStats {
        rel,
        col: *col,
        stats: rel.stats.column(attnum),
    })
}

/// A constant's value, through implicit casts of constants between
/// numbers (compared by value below).
fn const_value(e: &Expr) -> Option<&Datum> {
    match strip(e) {
        Expr::Const { value, .. } => Some(value),
        _ => None,
    }
}

/// The value of a numeric constant (LIMIT 10), through implicit casts.
pub fn const_number(e: &Expr) -> Option<f64> {
    const_value(e).and_then(scalar)
}

/// A value as a number on a line, for interpolating inside a histogram
/// bucket (`convert_to_scalar`).
fn scalar(d: &Datum) -> Option<f64> {
    Some(match d {
        Datum::Bool(b) => f64::from(u8::from(*b)),
        Datum::Int2(v) => f64::from(*v),
        Datum::Int4(v) => f64::from(*v),
        Datum::Int8(v) => *v as f64,
        Datum::Float4(v) => f64::from(*v),
        Datum::Float8(v) => *v,
        Datum::Numeric(n) => n.to_f64(),
        Datum::Oid(v) => f64::from(*v),
        Datum::Date(v) => f64::from(*v),
        Datum::Time(v) | Datum::Timestamp(v) | Datum::Timestamptz(v) | Datum::Money(v) => *v as f64,
        _ => return None,
    })
}

/// Compares two values, numbers across their types.
fn compare(a: &Datum, b: &Datum) -> Option<Ordering> {
    if std::mem::discriminant(a) == std::mem::discriminant(b) {
        return types::compare::compare(a, b).ok();
    }
    scalar(a)?.partial_cmp(&scalar(b)?)
}

/// `var_eq_const`: the fraction of rows whose column equals `value`.
fn eq_const_sel(v: &VarStats<'_>, value: &Datum) -> f64 {
    if value.is_null() {
        return 0.0;
    }
    let (nd, _) = v.num_distinct();
    let Some(s) = v.stats else {
        return (1.0 / nd).clamp(0.0, 1.0);
    };
    if s.mcv.is_empty() {
        return ((1.0 - s.null_frac) / nd).clamp(0.0, 1.0);
    }
    if let Some((_, f)) = s
        .mcv
        .iter()
        .find(|(m, _)| compare(m, value) == Some(Ordering::Equal))
    {
        return *f;
    }
    let common: f64 = s.mcv.iter().map(|(_, f)| f).sum();
    let mut sel = 1.0 - common - s.null_frac;
    let other = nd - s.mcv.len() as f64;
    if other > 1.0 {
        sel /= other;
    }
    let least = s.mcv.last().map_or(1.0, |(_, f)| *f);
    sel.min(least).clamp(0.0, 1.0)
}

/// `var_eq_non_const`: an equality with a value not known when planning.
fn eq_nonconst_sel(v: &VarStats<'_>) -> f64 {
    let (nd, _) = v.num_distinct();
    ((1.0 - v.null_frac()) / nd).clamp(0.0, 1.0)
}

/// `scalarineqsel`: the fraction of rows with `col < value` (`gt`: `>`),
/// `eq` adding the equal ones.
fn ineq_sel(v: &VarStats<'_>, value: &Datum, gt: bool, eq: bool) -> f64 {
    let Some(s) = v.stats else {
        return DEFAULT_INEQ_SEL;
    };
    if value.is_null() {
        return 0.0;
    }
    let satisfies = |x: &Datum| match compare(x, value) {
        Some(Ordering::Less) => !gt,
        Some(Ordering::Greater) => gt,
        Some(Ordering::Equal) => eq,
        None => false,
    };
    let mcv_sel: f64 = s
        .mcv
        .iter()
        .filter(|(m, _)| satisfies(m))
        .map(|(_, f)| f)
        .sum();
    let common: f64 = s.mcv.iter().map(|(_, f)| f).sum();
    let rest = (1.0 - common - s.null_frac).max(0.0);
    let hist_sel = match histogram_fraction(&s.histogram, value) {
        Some(below) => {
            if gt {
                1.0 - below
            } else {
                below
            }
        }
        None if s.mcv.is_empty() => return DEFAULT_INEQ_SEL,
        None => 0.5,
    };
    (mcv_sel + rest * hist_sel).clamp(0.0, 1.0)
}

/// The fraction of a histogram's population below `value`, interpolated
/// inside its bucket (`ineq_histogram_selectivity`).
fn histogram_fraction(bounds: &[Datum], value: &Datum) -> Option<f64> {
    if bounds.len() < 2 {
        return None;
    }
    let n = bounds.len();
    // the first bound above value
    let mut lo = 0;
    let mut hi = n;
    while lo < hi {
        let mid = (lo + hi) / 2;
        match compare(&bounds[mid], value)? {
            Ordering::Greater => hi = mid,
            _ => lo = mid + 1,
        }
    }
    if lo == 0 {
        return Some(0.0);
    }
    if lo == n {
        return Some(1.0);
    }
    let (a, b) = (&bounds[lo - 1], &bounds[lo]);
    let bin = match (scalar(a), scalar(b), scalar(value)) {
        (Some(a), Some(b), Some(x)) if b > a => ((x - a) / (b - a)).clamp(0.0, 1.0),
        _ => 0.5,
    };
    Some(((lo - 1) as f64 + bin) / (n - 1) as f64)
}

/// The name of a comparison between a column and a value, seen from the
/// column's side.
fn flipped(func: &str) -> &str {
    match func {
        "lt" => "gt",
        "le" => "ge",
        "gt" => "lt",
        "ge" => "le",
        other => other,
    }
}

/// A comparison `var op const` (either way round): the column, the
/// operator seen from it and the constant.
fn var_op_const<'a, 'o>(
    func: &'a str,
    args: &'a [Expr],
    origins: &'o [Origin],
) -> Option<(VarStats<'o>, &'a str, Option<&'a Datum>)> {
    if let Some(v) = var_stats(&args[0], origins) {
        return Some((v, func, const_value(&args[1])));
    }
    let v = var_stats(&args[1], origins)?;
    Some((v, flipped(func), const_value(&args[0])))
}

/// The selectivity of a condition over rows whose columns come from
/// `origins`.
pub fn clause_selectivity(e: &Expr, origins: &[Origin]) -> f64 {
    match e {
        Expr::And(items) => clauselist_selectivity(items, origins),
        Expr::Or(items) => {
            let mut s = 0.0;
            for i in items {
                let t = clause_selectivity(i, origins);
                s = s + t - s * t;
            }
            s
        }
        Expr::Not(a) => 1.0 - clause_selectivity(a, origins),
        Expr::Const {
            value: Datum::Bool(b),
            ..
        } => f64::from(u8::from(*b)),
        Expr::Const { value, .. } if value.is_null() => 0.0,
        Expr::IsNull { arg, negated } => match var_stats(arg, origins) {
            Some(v) if v.stats.is_some() => {
                if *negated {
                    1.0 - v.null_frac()
                } else {
                    v.null_frac()
                }
            }
            _ if *negated => DEFAULT_NOT_UNK_SEL,
            _ => DEFAULT_UNK_SEL,
        },
        Expr::Var { .. } => match var_stats(e, origins) {
            Some(v) if v.stats.is_some() => eq_const_sel(&v, &Datum::Bool(true)),
            _ => DEFAULT_SEL,
        },
        Expr::Call { func, args, .. } if args.len() == 2 => call_selectivity(func, args, origins),
        Expr::ScalarArrayOp {
            any: true,
            left,
            right,
            test,
        } => {
            let is_eq = matches!(&**test, Expr::Call { func: "eq", .. });
            let elems = match const_value(right) {
                Some(Datum::Array(a)) => Some(&a.elems),
                _ => None,
            };
            match (is_eq, var_stats(left, origins), elems) {
                (true, Some(v), Some(elems)) => elems
                    .iter()
                    .map(|x| eq_const_sel(&v, x))
                    .sum::<f64>()
                    .clamp(0.0, 1.0),
                (true, Some(v), None) => (eq_nonconst_sel(&v) * 10.0).min(1.0),
                _ => DEFAULT_EQ_SEL * 5.0,
            }
        }
        Expr::Call { func, .. } if geo_selectivity(func).is_some() => {
            geo_selectivity(func).unwrap_or(DEFAULT_SEL)
        }
        Expr::Call { .. } | Expr::UserCall { .. } => DEFAULT_INEQ_SEL,
        _ => DEFAULT_SEL,
    }
}

/// The geometric operators' estimators (`geo_selfuncs.c`): constants.
/// `areasel` (overlap, comparison by area), `positionsel` (left of,
/// above, ...), `contsel` (containment), `eqsel` / `neqsel` without
/// statistics (none are kept for these types), and 0.5 for the operators
/// PostgreSQL gives no estimator.
fn geo_selectivity(func: &str) -> Option<f64> {
    Some(match func {
        "box_eq" | "box_same" | "circle_eq" | "circle_same" | "line_eq" | "lseg_eq"
        | "path_n_eq" | "point_eq" | "poly_same" => DEFAULT_EQ_SEL,
        "circle_ne" | "lseg_ne" | "point_ne" => 1.0 - DEFAULT_EQ_SEL,
        "box_ge" | "box_gt" | "box_le" | "box_lt" | "box_overlap" | "circle_ge" | "circle_gt"
        | "circle_le" | "circle_lt" | "circle_overlap" | "poly_overlap" => 0.005,
        "box_above" | "box_above_eq" | "box_below" | "box_below_eq" | "box_left"
        | "box_overabove" | "box_overbelow" | "box_overleft" | "box_overright" | "box_right"
        | "circle_above" | "circle_below" | "circle_left" | "circle_overabove"
        | "circle_overbelow" | "circle_overleft" | "circle_overright" | "circle_right"
        | "point_above" | "point_below" | "point_left" | "point_right" | "poly_above"
        | "poly_below" | "poly_left" | "poly_overabove" | "poly_overbelow" | "poly_overleft"
        | "poly_overright" | "poly_right" => 0.1,
        "box_contain"
        | "box_contain_pt"
        | "box_contained"
        | "circle_contain"
        | "circle_contain_pt"
        | "circle_contained"
        | "on_pb"
        | "poly_contain"
        | "poly_contain_pt"
        | "poly_contained"
        | "pt_contained_circle"
        | "pt_contained_poly" => 0.001,
        "inter_lb" | "inter_sb" | "inter_sl" | "line_horizontal" | "line_intersect"
        | "line_parallel" | "line_perp" | "line_vertical" | "lseg_ge" | "lseg_gt"
        | "lseg_horizontal" | "lseg_intersect" | "lseg_le" | "lseg_lt" | "lseg_parallel"
        | "lseg_perp" | "lseg_vertical" | "on_pl" | "on_ppath" | "on_ps" | "on_sb" | "on_sl"
        | "path_contain_pt" | "path_inter" | "path_n_ge" | "path_n_gt" | "path_n_le"
        | "path_n_lt" | "point_horiz" | "point_vert" => DEFAULT_SEL,
        _ => return None,
    })
}

fn call_selectivity(func: &str, args: &[Expr], origins: &[Origin]) -> f64 {
    if let Some(sel) = geo_selectivity(func) {
        return sel;
    }
    // two columns: a join clause (or one of two columns of one row)
    if let (Some(a), Some(b)) = (var_stats(&args[0], origins), var_stats(&args[1], origins)) {
        return match func {
            "eq" if !std::ptr::eq(a.rel, b.rel) => eqjoinsel(&a, &b, a.tuples(), b.tuples()),
            "eq" => DEFAULT_EQ_SEL,
            "ne" => 1.0 - DEFAULT_EQ_SEL,
            "lt" | "le" | "gt" | "ge" => DEFAULT_INEQ_SEL,
            _ => DEFAULT_SEL,
        };
    }
    let Some((v, op, value)) = var_op_const(func, args, origins) else {
        return match func {
            "eq" | "like" | "ilike" | "textregexeq" | "texticregexeq" => DEFAULT_EQ_SEL,
            "ne" => 1.0 - DEFAULT_EQ_SEL,
            "lt" | "le" | "gt" | "ge" => DEFAULT_INEQ_SEL,
            _ => DEFAULT_SEL,
        };
    };
    match (op, value) {
        ("eq", Some(c)) => eq_const_sel(&v, c),
        ("eq", None) => eq_nonconst_sel(&v),
        ("ne", Some(c)) => (1.0 - eq_const_sel(&v, c) - v.null_frac()).clamp(0.0, 1.0),
        ("ne", None) => (1.0 - eq_nonconst_sel(&v) - v.null_frac()).clamp(0.0, 1.0),
        ("lt", Some(c)) => ineq_sel(&v, c, false, false),
        ("le", Some(c)) => ineq_sel(&v, c, false, true),
        ("gt", Some(c)) => ineq_sel(&v, c, true, false),
        ("ge", Some(c)) => ineq_sel(&v, c, true, true),
        ("lt" | "le" | "gt" | "ge", None) => DEFAULT_INEQ_SEL,
        ("like", Some(Datum::Text(p))) => like_sel(&v, p),
        ("notlike", Some(Datum::Text(p))) => (1.0 - like_sel(&v, p) - v.null_frac()).max(0.0),
        _ => DEFAULT_MATCH_SEL,
    }
}

/// `col LIKE pattern`: an exact match is an equality; a fixed prefix the
/// range of strings that start with it (with PostgreSQL's allowance for
/// the rest of the pattern); none the default.
fn like_sel(v: &VarStats<'_>, pattern: &str) -> f64 {
    let prefix: String = pattern
        .chars()
        .take_while(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    if prefix.len() == pattern.len() {
        return eq_const_sel(v, &Datum::Text(prefix));
    }
    if prefix.is_empty() || v.stats.is_none() {
        return DEFAULT_MATCH_SEL;
    }
    let lo = ineq_sel(v, &Datum::Text(prefix.clone()), true, true);
    let mut next = prefix.clone().into_bytes();
    let hi = loop {
        match next.pop() {
            Some(b) if b < 0x7f => {
                next.push(b + 1);
                break String::from_utf8(next)
                    .map_or(1.0, |s| ineq_sel(v, &Datum::Text(s), false, false));
            }
            Some(_) => continue,
            None => break 1.0,
        }
    };
    let range = (lo + hi - 1.0).max(0.0);
    // each further fixed character of the pattern narrows it (patternsel's
    // rest selectivity, 0.2 per character)
    let rest = pattern[prefix.len()..]
        .chars()
        .filter(|c| !matches!(c, '%' | '_'))
        .count();
    let sel = range * 0.2f64.powi(rest.min(8) as i32);
    // never less than one value
    let (nd, _) = v.num_distinct();
    sel.max(1.0 / nd.max(1.0) * 0.5).min(1.0)
}

/// `clauselist_selectivity`: the product of the parts' selectivities, two
/// bounds on one column taken together as a range.
fn clauselist_selectivity(items: &[Expr], origins: &[Origin]) -> f64 {
    // per column: (lower-bound selectivity, upper-bound selectivity)
    let mut ranges: Vec<(usize, Option<f64>, Option<f64>)> = Vec::new();
    // the equalities that functional dependencies estimate together
    let (mut s, used) = dependencies_selectivity(items, origins);
    for (at, item) in items.iter().enumerate() {
        if used.contains(&at) {
            continue;
        }
        if let Expr::Call { func, args, .. } = item
            && args.len() == 2
            && let Some((v, op, Some(_))) = var_op_const(func, args, origins)
            && matches!(op, "lt" | "le" | "gt" | "ge")
            && v.stats.is_some()
        {
            let index = match strip(if var_stats(&args[0], origins).is_some() {
                &args[0]
            } else {
                &args[1]
            }) {
                Expr::Var { index, .. } => *index,
                _ => usize::MAX,
            };
            let sel = call_selectivity(func, args, origins);
            let at = match ranges.iter().position(|r| r.0 == index) {
                Some(at) => at,
                None => {
                    ranges.push((index, None, None));
                    ranges.len() - 1
                }
            };
            let slot = if matches!(op, "gt" | "ge") {
                &mut ranges[at].1
            } else {
                &mut ranges[at].2
            };
            *slot = Some(slot.map_or(sel, |old: f64| old.min(sel)));
            continue;
        }
        s *= clause_selectivity(item, origins);
    }
    for (_, lo, hi) in ranges {
        s *= range_selectivity(lo, hi);
    }
    s
}

/// The column (relation and attribute number) an equality clause compares
/// with constants: `col = const` or `col = ANY (array)`
/// (`dependency_is_compatible_clause`).
fn dependency_clause_column<'o>(
    e: &Expr,
    origins: &'o [Origin],
) -> Option<(&'o RelationDesc, i16)> {
    let v = match e {
        Expr::Call { func, args, .. } if args.len() == 2 => {
            let (v, op, c) = var_op_const(func, args, origins)?;
            c?;
            (op == "eq").then_some(v)?
        }
        Expr::ScalarArrayOp {
            any: true,
            left,
            right,
            test,
        } if matches!(&**test, Expr::Call { func: "eq", .. }) => {
            if !right.is_row_independent() {
                return None;
            }
            var_stats(left, origins)?
        }
        // `col IN (...)`: an OR of equalities of one column
        Expr::Or(parts) => {
            let mut column: Option<(&RelationDesc, i16)> = None;
            for p in parts {
                let c = dependency_clause_column(p, origins)?;
                if column.is_some_and(|(r, a)| !std::ptr::eq(r, c.0) || a != c.1) {
                    return None;
                }
                column = Some(c);
            }
            return column;
        }
        _ => return None,
    };
    Some((v.rel, v.rel.columns.get(v.col)?.attnum))
}

/// `dependencies_clauselist_selectivity`: the selectivity of the
/// equalities among `items` on columns of one relation that its functional
/// dependencies cover, and which items those are. The strongest applicable
/// dependency is chosen again and again (most columns, then highest
/// degree), its determined column taken out each time; then, from the last
/// chosen to the first, a dependency `a => b` of degree f makes
/// P(b) = f + (1 − f)·P(b) when P(a) ≤ P(b), else f·P(b)/P(a) + (1 − f)·P(b),
/// and the product of the columns' selectivities is the estimate.
fn dependencies_selectivity(items: &[Expr], origins: &[Origin]) -> (f64, Vec<usize>) {
    let columns: Vec<Option<(&RelationDesc, i16)>> = items
        .iter()
        .map(|e| dependency_clause_column(e, origins))
        .collect();
    let mut done: Vec<*const RelationDesc> = Vec::new();
    let mut sel = 1.0;
    let mut used = Vec::new();
    for (rel, _) in columns.iter().flatten() {
        let rel: &RelationDesc = rel;
        if done.contains(&std::ptr::from_ref(rel)) {
            continue;
        }
        done.push(std::ptr::from_ref(rel));
        if rel.stats.extended.iter().all(|x| x.dependencies.is_empty()) {
            continue;
        }
        let mut attnums: Vec<i16> = columns
            .iter()
            .flatten()
            .filter(|(r, _)| std::ptr::eq(*r, rel))
            .map(|(_, a)| *a)
            .collect();
        attnums.sort_unstable();
        attnums.dedup();
        if attnums.len() < 2 {
            continue;
        }
        let candidates: Vec<&(Vec<i16>, f64)> = rel
            .stats
            .extended
            .iter()
            .filter(|x| x.keys.iter().filter(|k| attnums.contains(k)).count() >= 2)
            .flat_map(|x| x.dependencies.iter())
            .filter(|(attrs, _)| attrs.iter().all(|a| attnums.contains(a)))
            .collect();
        let mut remaining = attnums.clone();
        let mut chosen: Vec<&(Vec<i16>, f64)> = Vec::new();
        loop {
            let mut strongest: Option<&(Vec<i16>, f64)> = None;
            for &dep in &candidates {
                if dep.0.len() > remaining.len() {
                    continue;
                }
                if let Some(best) = strongest
                    && (dep.0.len() < best.0.len()
                        || (dep.0.len() == best.0.len() && best.1 > dep.1))
                {
                    continue;
                }
                if dep.0.iter().all(|a| remaining.contains(a)) {
                    strongest = Some(dep);
                }
            }
            let Some(dep) = strongest else {
                break;
            };
            chosen.push(dep);
            let determined = dep.0[dep.0.len() - 1];
            remaining.retain(|a| *a != determined);
        }
        if chosen.is_empty() {
            continue;
        }
        let mut involved: Vec<i16> = chosen.iter().flat_map(|d| d.0.iter().copied()).collect();
        involved.sort_unstable();
        involved.dedup();
        let mut attr_sel: Vec<f64> = Vec::new();
        for &a in &involved {
            let mine: Vec<Expr> = items
                .iter()
                .zip(&columns)
                .enumerate()
                .filter(|(_, (_, c))| matches!(c, Some((r, x)) if std::ptr::eq(*r, rel) && *x == a))
                .map(|(i, (e, _))| {
                    used.push(i);
                    e.clone()
                })
                .collect();
            attr_sel.push(match mine.as_slice() {
                // an IN list: the sum of its equalities, as PostgreSQL's
                // `scalararraysel` makes it
                [Expr::Or(parts)] => parts
                    .iter()
                    .map(|p| clause_selectivity(p, origins))
                    .sum::<f64>()
                    .clamp(0.0, 1.0),
                _ => clauselist_selectivity(&mine, origins),
            });
        }
        let at = |a: i16| involved.iter().position(|x| *x == a).unwrap_or(0);
        for dep in chosen.iter().rev() {
            let (from, last) = dep.0.split_at(dep.0.len() - 1);
            let s1: f64 = from.iter().map(|a| attr_sel[at(*a)]).product();
            let s2 = attr_sel[at(last[0])];
            let f = dep.1;
            attr_sel[at(last[0])] = if s1 <= s2 {
                f + (1.0 - f) * s2
            } else {
                f * s2 / s1 + (1.0 - f) * s2
            };
        }
        sel *= attr_sel.iter().product::<f64>().clamp(0.0, 1.0);
    }
    (sel, used)
}

/// A lower and an upper bound's selectivities taken together as a range
/// (`clauselist_selectivity`'s `addRangeClause` pairs): a range of
/// nothing is tiny, and a very negative sum means the estimates
/// disagree, so the default range selectivity.
fn range_selectivity(lo: Option<f64>, hi: Option<f64>) -> f64 {
    match (lo, hi) {
        (Some(lo), Some(hi)) => {
            let r = lo + hi - 1.0;
            if r > 0.0 {
                r
            } else if r < -0.01 {
                DEFAULT_RANGE_INEQ_SEL
            } else {
                1.0e-10
            }
        }
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => 1.0,
    }
}

/// `eqjoinsel_inner`: the selectivity of `a = b` between two relations
/// whose inputs hold `rows_a` and `rows_b` rows.
fn eqjoinsel(a: &VarStats<'_>, b: &VarStats<'_>, rows_a: f64, rows_b: f64) -> f64 {
    let (mut nd1, _) = a.num_distinct();
    let (mut nd2, _) = b.num_distinct();
    nd1 = nd1.min(rows_a.max(1.0));
    nd2 = nd2.min(rows_b.max(1.0));
    let (nf1, nf2) = (a.null_frac(), b.null_frac());
    let (m1, m2) = (
        a.stats.map_or(&[][..], |s| &s.mcv[..]),
        b.stats.map_or(&[][..], |s| &s.mcv[..]),
    );
    if m1.is_empty() || m2.is_empty() {
        return ((1.0 - nf1) * (1.0 - nf2) / nd1.max(nd2)).clamp(0.0, 1.0);
    }
    let mut matched2 = vec![false; m2.len()];
    let (mut prod, mut match1, mut nmatches) = (0.0, 0.0, 0.0);
    for (v1, f1) in m1 {
        if let Some(j) =
            (0..m2.len()).find(|&j| !matched2[j] && compare(v1, &m2[j].0) == Some(Ordering::Equal))
        {
            matched2[j] = true;
            prod += f1 * m2[j].1;
            match1 += f1;
            nmatches += 1.0;
        }
    }
    let match2: f64 = m2
        .iter()
        .zip(&matched2)
        .filter(|(_, m)| **m)
        .map(|((_, f), _)| f)
        .sum();
    let sum1: f64 = m1.iter().map(|(_, f)| f).sum();
    let sum2: f64 = m2.iter().map(|(_, f)| f).sum();
    let (unmatch1, unmatch2) = (sum1 - match1, sum2 - match2);
    let other1 = (1.0 - nf1 - sum1).max(0.0);
    let other2 = (1.0 - nf2 - sum2).max(0.0);
    let mut sel1 = prod;
    if nd2 > m2.len() as f64 {
        sel1 += unmatch1 * other2 / (nd2 - m2.len() as f64);
    }
    if nd2 > nmatches {
        sel1 += other1 * (other2 + unmatch2) / (nd2 - nmatches);
    }
    let mut sel2 = prod;
    if nd1 > m1.len() as f64 {
        sel2 += unmatch2 * other1 / (nd1 - m1.len() as f64);
    }
    if nd1 > nmatches {
        sel2 += other2 * (other1 + unmatch1) / (nd1 - nmatches);
    }
    sel1.min(sel2).clamp(0.0, 1.0)
}

/// The rows of a source that pass `filter` (and, for a join, its
/// condition).
pub fn source_rows(source: &Source, filter: Option<&Expr>) -> f64 {
    let base = match source {
        Source::SeqScan(rel)
        | Source::IndexScan(rel, _)
        | Source::Bitmap(rel, _)
        | Source::TidScan(rel, _) => rel_size(rel).1,
        Source::Join(j) => join_rows(j),
        Source::Values(rows) => rows.len() as f64,
        _ => 1000.0,
    };
    let sel = filter.map_or(1.0, |f| clause_selectivity(f, &origins(source)));
    clamp_rows(base * sel)
}

/// The rows a join gives (before any filter above it): PostgreSQL's
/// `calc_joinrel_size_estimate`.
pub fn join_rows(j: &Join) -> f64 {
    let left = source_rows(&j.left.source, j.left.filter.as_ref());
    let right = source_rows(&j.right.source, j.right.filter.as_ref());
    if j.kind.left_only() {
        let matched = semi_fraction(j, left, right);
        let frac = match j.kind {
            JoinKind::Anti => 1.0 - matched,
            _ => matched,
        };
        return clamp_rows(left * frac);
    }
    let sel = join_selectivity(j, left, right);
    let inner = left * right * sel;
    let rows = match j.kind {
        JoinKind::Semi | JoinKind::Anti => inner,
        JoinKind::Inner => inner,
        JoinKind::Left => inner.max(left),
        JoinKind::Right => inner.max(right),
        JoinKind::Full => inner.max(left).max(right),
    };
    clamp_rows(rows)
}

/// The fraction of a semi or anti join's left rows that have a match
/// (PostgreSQL's `eqjoinsel_semi` without the MCV lists: all of the
/// left's non-NULL values when the right has at least as many distinct
/// values, else in proportion; half without statistics), times the selectivity of the rest of the
/// condition.
fn semi_fraction(j: &Join, left: f64, right: f64) -> f64 {
    let lo = origins(&j.left.source);
    let ro = origins(&j.right.source);
    let mut frac = 1.0;
    for (l, r) in &j.hash_keys {
        frac *= match (var_stats(l, &lo), var_stats(r, &ro)) {
            (Some(a), Some(b)) => {
                let (nd1, d1) = a.num_distinct();
                let (nd2, d2) = b.num_distinct();
                let nd1 = nd1.min(left.max(1.0));
                let nd2 = nd2.min(right.max(1.0));
                let present = 1.0 - a.null_frac();
                if d1 || d2 {
                    present * 0.5
                } else if nd1 <= nd2 {
                    present
                } else {
                    present * nd2 / nd1
                }
            }
            _ => 0.5,
        };
    }
    if let Some(q) = &j.qual {
        let all = join_origins(j);
        frac *= clause_selectivity(q, &all);
    }
    frac.clamp(0.0, 1.0)
}

/// The selectivity of a join's keys and condition over the cross product
/// of inputs of `left` and `right` rows.
pub fn join_selectivity(j: &Join, left: f64, right: f64) -> f64 {
    let lo = origins(&j.left.source);
    let ro = origins(&j.right.source);
    let all = join_origins(j);
    let mut sel = 1.0;
    for (l, r) in &j.hash_keys {
        sel *= match (var_stats(l, &lo), var_stats(r, &ro)) {
            (Some(a), Some(b)) => eqjoinsel(&a, &b, left, right),
            (Some(a), None) | (None, Some(a)) => eq_nonconst_sel(&a),
            (None, None) => DEFAULT_EQ_SEL,
        };
    }
    if let Some(q) = &j.qual {
        sel *= clause_selectivity(q, &all);
    }
    sel
}

/// The selectivity of one condition between inputs of a join, over rows
/// whose columns come from `origins`: an equality of two expressions,
/// each over one input (`rows_a` and `rows_b` rows), is `eqjoinsel`;
/// anything else as a restriction.
pub fn join_clause_selectivity(c: &Expr, origins: &[Origin], rows_a: f64, rows_b: f64) -> f64 {
    if let Expr::Call {
        func: "eq", args, ..
    } = c
        && let [a, b] = args.as_slice()
        && a.type_oid() == b.type_oid()
    {
        return match (var_stats(a, origins), var_stats(b, origins)) {
            (Some(x), Some(y)) => eqjoinsel(&x, &y, rows_a, rows_b),
            (Some(x), None) | (None, Some(x)) => eq_nonconst_sel(&x),
            (None, None) => DEFAULT_EQ_SEL,
        };
    }
    clause_selectivity(c, origins)
}

/// `estimate_num_groups`: how many groups `keys` (over rows from
/// `origins`) make of `input_rows` rows.
///
/// A boolean key makes two groups. Any other key counts by the columns it
/// reads (an expression over columns by each of them, once; one without
/// columns not at all). The columns are taken relation by relation: the
/// product of their distinct values, where an extended statistics object's
/// ndistinct covers two or more of them its count instead
/// (`estimate_multivariate_ndistinct`), clamped to the relation's rows (a
/// tenth of them for several columns, as they are likely correlated, but
/// never below the largest single count) and scaled down when fewer rows
/// than the relation holds reach the grouping.
pub fn num_groups(keys: &[Expr], origins: &[Origin], input_rows: f64) -> f64 {
    if keys.is_empty() {
        return 1.0;
    }
    let input_rows = clamp_rows(input_rows);
    let mut numdistinct = 1.0;
    // the distinct columns the keys read, with their relations
    let mut vars: Vec<VarStats<'_>> = Vec::new();
    // keys that are expressions of an extended statistics object: (their
    // relation, the expression over its columns, the columns it reads)
    let mut exprs: Vec<(Arc<RelationDesc>, Expr, Vec<VarStats<'_>>)> = Vec::new();
    let mut unknown = 0usize;
    for k in keys {
        if k.type_oid() == oid::BOOL {
            numdistinct *= 2.0;
            continue;
        }
        if !matches!(strip(k), Expr::Var { .. })
            && let Some((rel, e)) = expr_over_relation(strip(k), origins)
            && statistics_expressions(&rel)
                .iter()
                .flatten()
                .any(|x| x.as_ref() == Some(&e))
        {
            if !exprs
                .iter()
                .any(|(r, x, _)| Arc::ptr_eq(r, &rel) && *x == e)
            {
                let mut read = Vec::new();
                strip(k).walk(&mut |v| {
                    if let Some(v) = var_stats(v, origins) {
                        read.push(v);
                    }
                });
                exprs.push((rel, e, read));
            }
            continue;
        }
        let mut found = Vec::new();
        let mut has_var = false;
        strip(k).walk(&mut |e| {
            if let Expr::Var { .. } = e {
                has_var = true;
                if let Some(v) = var_stats(e, origins) {
                    found.push(v);
                }
            }
        });
        if has_var && found.is_empty() {
            unknown += 1;
        }
        for v in found {
            if !vars
                .iter()
                .any(|o| std::ptr::eq(o.rel, v.rel) && o.col == v.col)
            {
                vars.push(v);
            }
        }
    }
    numdistinct *= DEFAULT_NUM_DISTINCT.powi(unknown as i32);
    loop {
        let rel_ptr: *const RelationDesc = match (vars.first(), exprs.first()) {
            (Some(v), _) => std::ptr::from_ref(v.rel),
            (None, Some((r, _, _))) => Arc::as_ptr(r),
            (None, None) => break,
        };
        let (mut here, rest): (Vec<VarStats<'_>>, Vec<VarStats<'_>>) =
            vars.into_iter().partition(|v| std::ptr::eq(v.rel, rel_ptr));
        vars = rest;
        let (mut here_exprs, rest): (Vec<_>, Vec<_>) = exprs
            .into_iter()
            .partition(|(r, _, _)| std::ptr::eq(Arc::as_ptr(r), rel_ptr));
        exprs = rest;
        let mut reldistinct = 1.0;
        let mut relmax: f64 = 1.0;
        let mut relvarcount = 0;
        let rel_arc = here_exprs.first().map(|(r, _, _)| Arc::clone(r));
        let Some(rel) = here.first().map(|v| v.rel).or(rel_arc.as_deref()) else {
            break;
        };
        let stats_exprs = rel_arc
            .as_ref()
            .map(statistics_expressions)
            .unwrap_or_default();
        while let Some(mv) = multivariate_ndistinct(rel, &stats_exprs, &mut here, &mut here_exprs) {
            reldistinct *= mv;
            relmax = relmax.max(mv);
            relvarcount += 1;
        }
        // an expression no object counted: by the columns it reads
        for (_, _, read) in here_exprs {
            for v in read {
                if !here.iter().any(|o| o.col == v.col) {
                    here.push(v);
                }
            }
        }
        for v in &here {
            // (NULLs are not counted as a group of their own, as in
            // PostgreSQL)
            let (nd, _) = v.num_distinct();
            reldistinct *= nd;
            relmax = relmax.max(nd);
            relvarcount += 1;
        }
        let tuples = rel_size(rel).1;
        if tuples > 0.0 {
            let mut clamp = tuples;
            if relvarcount > 1 {
                clamp *= 0.1;
                if clamp < relmax {
                    clamp = relmax.min(tuples);
                }
            }
            if reldistinct > clamp {
                reldistinct = clamp;
            }
            // fewer rows than the table holds show fewer of its values
            if reldistinct > 0.0 && input_rows < tuples {
                reldistinct *= 1.0 - ((tuples - input_rows) / tuples).powf(tuples / reldistinct);
            }
            numdistinct *= clamp_rows(reldistinct);
        }
    }
    clamp_rows(numdistinct.ceil().min(input_rows))
}

/// `estimate_multivariate_ndistinct`: the distinct combinations of the
/// most of `vars` and `exprs` (two or more, all of `rel`) that one extended
/// statistics object of `rel` counted, taking those out of them.
/// `stats_exprs`: each object's expressions analyzed over `rel` (see
/// [`statistics_expressions`]).
fn multivariate_ndistinct(
    rel: &RelationDesc,
    stats_exprs: &[Vec<Option<Expr>>],
    vars: &mut Vec<VarStats<'_>>,
    exprs: &mut Vec<(Arc<RelationDesc>, Expr, Vec<VarStats<'_>>)>,
) -> Option<f64> {
    let attnums: Vec<i16> = vars.iter().map(|v| rel.columns[v.col].attnum).collect();
    // (matched attnums, matched expressions by position in `exprs`, the
    // object's size, its count)
    let mut best: Option<(Vec<i16>, Vec<usize>, usize, f64)> = None;
    for (n, ext) in rel.stats.extended.iter().enumerate() {
        if ext.ndistinct.is_empty() {
            continue;
        }
        let mut matched: Vec<i16> = attnums
            .iter()
            .copied()
            .filter(|a| ext.keys.contains(a))
            .collect();
        let mut matched_exprs = Vec::new();
        let mine = stats_exprs.get(n).map(Vec::as_slice).unwrap_or_default();
        for (at, (_, e, _)) in exprs.iter().enumerate() {
            if let Some(i) = mine.iter().position(|x| x.as_ref() == Some(e)) {
                matched.push(-(i as i16) - 1);
                matched_exprs.push(at);
            }
        }
        let size = ext.keys.len() + mine.len();
        if matched.len() < 2 {
            continue;
        }
        let better = match &best {
            None => true,
            Some((m, _, best_size, _)) => {
                matched.len() > m.len() || (matched.len() == m.len() && size < *best_size)
            }
        };
        if !better {
            continue;
        }
        let mut want = matched.clone();
        want.sort_unstable();
        let item = ext.ndistinct.iter().find(|(attrs, _)| {
            let mut a = attrs.clone();
            a.sort_unstable();
            a == want
        });
        if let Some((_, count)) = item {
            best = Some((matched, matched_exprs, size, *count));
        }
    }
    let (matched, matched_exprs, _, count) = best?;
    vars.retain(|v| !matched.contains(&rel.columns[v.col].attnum));
    let mut at = 0;
    exprs.retain(|_| {
        let keep = !matched_exprs.contains(&at);
        at += 1;
        keep
    });
    Some(count)
}

/// The expressions of each extended statistics object of `rel` (in the
/// order of `rel.stats.extended`), analyzed over its columns; None for one
/// that does not analyze.
fn statistics_expressions(rel: &Arc<RelationDesc>) -> Vec<Vec<Option<Expr>>> {
    if rel.stats.extended.iter().all(|x| x.exprs.is_none()) {
        return Vec::new();
    }
    rel.stats
        .extended
        .iter()
        .map(|x| {
            let Some(text) = x.exprs.as_deref() else {
                return Vec::new();
            };
            let dialect = sqlparser::dialect::PostgreSqlDialect {};
            let Ok(mut p) = sqlparser::parser::Parser::new(&dialect).try_with_sql(text) else {
                return Vec::new();
            };
            p.parse_comma_separated(sqlparser::parser::Parser::parse_expr)
                .unwrap_or_default()
                .into_iter()
                .map(|e| crate::analyze_index_expression(Arc::clone(rel), &e.to_string()).ok())
                .collect()
        })
        .collect()
}

/// An expression over the columns of one relation: that relation and the
/// expression with its columns numbered as the relation's (None if it
/// reads no column, or columns of several relations or of none).
fn expr_over_relation(e: &Expr, origins: &[Origin]) -> Option<(Arc<RelationDesc>, Expr)> {
    let mut rel: Option<Arc<RelationDesc>> = None;
    let mut ok = true;
    e.walk(&mut |x| {
        if let Expr::Var { index, .. } = x {
            match origins.get(*index).and_then(Option::as_ref) {
                Some((r, _)) if rel.as_ref().is_none_or(|o| Arc::ptr_eq(o, r)) => {
                    rel = Some(Arc::clone(r));
                }
                _ => ok = false,
            }
        }
    });
    let rel = rel.filter(|_| ok)?;
    fn go(e: Expr, origins: &[Origin]) -> Result<Expr, ()> {
        match e {
            Expr::Var {
                index,
                type_oid,
                typmod,
            } => {
                let (_, col) = origins.get(index).and_then(Option::as_ref).ok_or(())?;
                Ok(Expr::Var {
                    index: *col,
                    type_oid,
                    typmod,
                })
            }
            other => other.map_children(&mut |c| go(c, origins)),
        }
    }
    let mapped = go(e.clone(), origins).ok()?;
    Some((rel, mapped))
}

/// `clamp_row_est`: at least one row, rounded as C's `rint` does (half
/// to even).
pub fn clamp_rows(r: f64) -> f64 {
    if r <= 1.0 { 1.0 } else { r.round_ties_even() }
}

/// `index_pages_fetched` (Mackert and Lohman): the heap pages `tuples`
/// fetches in random order from a relation of `pages` pages.
fn pages_fetched(tuples: f64, pages: f64) -> f64 {
    let t = pages.max(1.0);
    let b = effective_cache_size();
    let n = tuples;
    let fetched = if t <= b {
        (2.0 * t * n / (2.0 * t + n)).min(t)
    } else {
        let lim = 2.0 * t * b / (2.0 * t - b);
        if n <= lim {
            2.0 * t * n / (2.0 * t + n)
        } else {
            b + (n - lim) * (t - b) / t
        }
    };
    fetched.ceil()
}

/// The cost of a sequential scan of `rel` applying `quals` conditions.
pub fn seqscan_cost(rel: &RelationDesc, quals: usize) -> f64 {
    let (pages, tuples, _) = rel_size(rel);
    seq_page_cost() * pages + tuples * (cpu_tuple_cost() + cpu_operator_cost() * quals as f64)
}

/// The pages of an index on `rel` whose leading key is `key_width` wide
/// (estimated from the table: an entry of the key and its line pointer
/// per row; with `distinct` values known, B-tree deduplication keeps one
/// entry per value and a 6-byte heap pointer per row, when that is
/// smaller).
fn index_pages(rel: &RelationDesc, key_width: f64, distinct: Option<f64>) -> f64 {
    let (_, tuples, _) = rel_size(rel);
    let entry = key_width + 16.0;
    let plain = tuples * entry;
    let deduplicated = distinct.map_or(plain, |d| d.min(tuples) * entry + tuples * 6.0);
    (plain.min(deduplicated) / (8192.0 * 0.9)).ceil().max(1.0)
}

/// What B-tree descents and the index entries cost (`btcostestimate`):
/// `sel` of the `tuples` entries are read, `loops` times; repeated scans
/// find the index pages they share in the cache (`genericcostestimate`).
fn index_access_cost(
    rel: &RelationDesc,
    sel: f64,
    (key_width, distinct): (f64, Option<f64>),
    quals: usize,
    loops: f64,
) -> f64 {
    let (_, tuples, _) = rel_size(rel);
    let loops = loops.max(1.0);
    let entries = (sel * tuples).max(1.0);
    let ipages = index_pages(rel, key_width, distinct);
    let leaf_pages = (entries * ipages / tuples.max(1.0)).ceil().max(1.0);
    let leaf_total = if loops > 1.0 {
        pages_fetched(leaf_pages * loops, ipages)
    } else {
        leaf_pages
    };
    let height = (ipages.ln() / 256f64.ln()).ceil().max(0.0);
    let descent = (tuples.max(2.0).log2().ceil() + (height + 1.0) * 50.0) * cpu_operator_cost();
    leaf_total * random_page_cost()
        + loops
            * (entries * (cpu_index_tuple_cost() + cpu_operator_cost() * quals as f64) + descent)
}

/// The width of an index's leading column `col` and its distinct values
/// (what sizes the index, deduplication included), for `tuples` rows.
fn index_key(rel: &RelationDesc, col: Option<usize>, tuples: f64) -> (f64, Option<f64>) {
    let column = col.and_then(|c| rel.columns.get(c));
    let width = column.map_or(8.0, |c| f64::from(type_width(c.type_oid, c.typmod)));
    let distinct = column
        .and_then(|c| rel.stats.column(c.attnum))
        .and_then(|s| s.distinct_count(tuples));
    (width, distinct)
}

/// The cost of an index scan of `rel` reading `sel` of its rows, column
/// `col` leading the index (its correlation orders the heap reads),
/// `quals` conditions applied to each row, over `loops` repetitions
/// (`cost_index`): the total of all of them. An index-only scan reads
/// only the pages not all-visible.
pub fn index_scan_cost(
    rel: &RelationDesc,
    sel: f64,
    col: Option<usize>,
    quals: usize,
    loops: f64,
    index_only: bool,
) -> f64 {
    let (pages, tuples, _) = rel_size(rel);
    let fetched_tuples = (sel * tuples).max(1.0);
    let access = index_access_cost(rel, sel, index_key(rel, col, tuples), quals, loops);
    let corr = col
        .and_then(|c| rel.columns.get(c))
        .and_then(|c| rel.stats.column(c.attnum))
        .and_then(|s| s.correlation)
        .unwrap_or(0.0);
    let max_io = if loops > 1.0 {
        pages_fetched(fetched_tuples * loops, pages) * random_page_cost()
    } else {
        pages_fetched(fetched_tuples, pages) * random_page_cost()
    };
    let min_pages = (sel * pages).ceil().max(1.0);
    let min_io = if loops > 1.0 {
        pages_fetched(min_pages * loops, pages) * random_page_cost()
    } else {
        random_page_cost() + (min_pages - 1.0) * seq_page_cost()
    };
    let mut io = max_io + corr * corr * (min_io - max_io);
    if index_only && pages > 0.0 {
        io *= 1.0 - (rel.stats.all_visible / pages).min(1.0);
    }
    let cpu = fetched_tuples * loops * (cpu_tuple_cost() + cpu_operator_cost() * quals as f64);
    access + io + cpu
}

/// The cost of a bitmap heap scan of `rel` over index scans that select
/// `sel` of its rows (`cost_bitmap_heap_scan`); `col` leads the (first)
/// index: its width and distinct values size the index as for an index
/// scan.
pub fn bitmap_scan_cost(
    rel: &RelationDesc,
    sel: f64,
    col: Option<usize>,
    indexes: usize,
    quals: usize,
) -> f64 {
    let (pages, tuples, _) = rel_size(rel);
    let fetched_tuples = (sel * tuples).max(1.0);
    let access = index_access_cost(rel, sel, index_key(rel, col, tuples), 1, 1.0)
        * indexes.max(1) as f64
        + 0.1 * cpu_operator_cost() * fetched_tuples;
    let fetched = pages_fetched(fetched_tuples, pages).min(pages.max(1.0));
    let per_page = if fetched >= 2.0 {
        random_page_cost()
            - (random_page_cost() - seq_page_cost()) * (fetched / pages.max(1.0)).sqrt()
    } else {
        random_page_cost()
    };
    access
        + fetched * per_page
        + fetched_tuples * (cpu_tuple_cost() + cpu_operator_cost() * quals as f64)
}

/// The selectivity of `filter` over the rows of `rel`.
pub fn rel_selectivity(rel: &Arc<RelationDesc>, filter: Option<&Expr>) -> f64 {
    let Some(f) = filter else { return 1.0 };
    let origins = rel_origins(rel);
    clause_selectivity(f, &origins)
}

/// The selectivity of an equality on each of `cols` with values not known
/// when planning (a nested loop's inner index lookup).
pub fn param_eq_selectivity(rel: &Arc<RelationDesc>, cols: &[usize]) -> f64 {
    let origins = rel_origins(rel);
    cols.iter()
        .filter_map(|&c| {
            let e = Expr::Var {
                index: c,
                type_oid: rel.columns.get(c)?.type_oid,
                typmod: -1,
            };
            var_stats(&e, &origins).map(|v| eq_nonconst_sel(&v))
        })
        .product()
}

/// The fraction of `rel`'s rows an index scan's bounds select
/// (`btcostestimate`'s index selectivity): equalities on the leading key
/// columns, then a range on the next one, or an IN list on the first.
pub fn index_selectivity(rel: &Arc<RelationDesc>, scan: &crate::plan::IndexScan) -> f64 {
    let Some(index) = rel.indexes.iter().find(|i| i.oid == scan.index_oid) else {
        return 1.0;
    };
    let origins = rel_origins(rel);
    let column = |i: usize| -> Option<VarStats<'_>> {
        let c = *index.columns.get(i)?;
        let e = Expr::Var {
            index: c,
            type_oid: rel.columns.get(c)?.type_oid,
            typmod: -1,
        };
        var_stats(&e, &origins)
    };
    let eq = |i: usize, v: &Expr| match (column(i), const_value(v)) {
        (Some(s), Some(c)) => eq_const_sel(&s, c),
        (Some(s), None) => eq_nonconst_sel(&s),
        (None, _) => DEFAULT_EQ_SEL,
    };
    if !scan.in_list.is_empty() {
        return scan
            .in_list
            .iter()
            .map(|v| eq(0, v))
            .sum::<f64>()
            .clamp(0.0, 1.0);
    }
    let lv: &[Expr] = scan.lower.as_ref().map_or(&[], |b| &b.values);
    let uv: &[Expr] = scan.upper.as_ref().map_or(&[], |b| &b.values);
    let prefix = lv.iter().zip(uv).take_while(|(a, b)| a == b).count();
    let all_equal = lv.len() == uv.len()
        && prefix == lv.len()
        && scan.lower.as_ref().is_some_and(|b| b.inclusive)
        && scan.upper.as_ref().is_some_and(|b| b.inclusive);
    let eqs = if all_equal {
        prefix
    } else {
        prefix.min(lv.len().max(uv.len()).saturating_sub(1))
    };
    if all_equal
        && index.unique
        && eqs >= index.columns.len()
        && lv
            .iter()
            .all(|v| const_value(v).is_some_and(|c| !c.is_null()))
    {
        let (_, tuples, _) = rel_size(rel);
        return 1.0 / tuples.max(1.0);
    }
    let mut sel: f64 = (0..eqs).map(|i| eq(i, &lv[i])).product();
    if !all_equal {
        let bound = |values: &[Expr], inclusive: bool, gt: bool| -> Option<f64> {
            if values.len() <= eqs {
                return None;
            }
            let desc = index.descending.get(eqs).copied().unwrap_or(false);
            let v = &values[eqs];
            Some(match (column(eqs), const_value(v)) {
                (Some(s), Some(c)) => ineq_sel(&s, c, gt != desc, inclusive),
                _ => DEFAULT_INEQ_SEL,
            })
        };
        let lo = scan
            .lower
            .as_ref()
            .and_then(|b| bound(&b.values, b.inclusive, true));
        let hi = scan
            .upper
            .as_ref()
            .and_then(|b| bound(&b.values, b.inclusive, false));
        sel *= range_selectivity(lo, hi);
    }
    sel.clamp(0.0, 1.0)
}

/// The leading key column of an index (for its correlation).
pub fn index_leading_column(rel: &RelationDesc, index_oid: u32) -> Option<usize> {
    rel.indexes
        .iter()
        .find(|i| i.oid == index_oid)
        .and_then(|i| i.columns.first().copied())
        .filter(|&c| c != usize::MAX)
}

/// `estimate_hash_bucket_stats`: the fraction of the hashed rows that one
/// probe meets, for a hash table of `rows` rows keyed on `keys` (the
/// smallest of the keys' fractions, as each narrows the bucket).
pub fn hash_bucket_fraction(keys: &[&Expr], origins: &[Origin], rows: f64) -> f64 {
    let mut best: f64 = 1.0;
    for k in keys {
        let frac = match var_stats(k, origins) {
            Some(v) => {
                let (nd_all, _) = v.num_distinct();
                let tuples = v.tuples();
                let mut nd = nd_all;
                if tuples > 0.0 && rows < tuples {
                    nd *= rows / tuples;
                }
                let mut f = 1.0 / nd.max(1.0);
                // a common value crowds its bucket
                let avg = (1.0 - v.null_frac()) / nd_all.max(1.0);
                if let Some(s) = v.stats
                    && let Some((_, top)) = s.mcv.first()
                    && avg > 0.0
                    && *top > avg
                {
                    f *= top / avg;
                }
                f.clamp(1.0e-6, 1.0)
            }
            None => 0.1,
        };
        best = best.min(frac);
    }
    best
}

/// The CPU cost of hashing `build` rows and probing them with `probe`
/// rows, a probe meeting `bucket` of the hashed rows (`final_cost_hashjoin`
/// less what both ways share).
pub fn hash_join_cost(build: f64, probe: f64, bucket: f64) -> f64 {
    cpu_operator_cost() * (build + probe)
        + cpu_tuple_cost() * build
        + probe * (build * bucket).max(1.0) * 0.5 * cpu_operator_cost()
}

#[cfg(test)]
mod tests {
    use super::type_width;
    use types::oid;

    #[test]
    fn bit_widths_follow_get_typavgwidth() {
        // bit(4): one byte and two words; bit(800): past 32, half counts.
        assert_eq!(type_width(oid::BIT, 4), 9);
        assert_eq!(type_width(oid::VARBIT, 20), 11);
        assert_eq!(type_width(oid::BIT, 800), 70);
        assert_eq!(type_width(oid::VARBIT, -1), 32);
    }
}
