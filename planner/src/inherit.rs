//! Inheritance trees in plans.
//!
//! - UPDATE and DELETE: the statement as analyzed for the named table,
//!   rewritten for each descendant ([`child_modify`]; PostgreSQL plans one
//!   result relation per child, here the executor runs the rewritten
//!   statements one after another). A child has every column of its
//!   parent, by name, but maybe at other positions and with more columns
//!   of its own, so every `Var` over the parent's row is moved to the same
//!   column of the child's row, and one past it (`UPDATE ... FROM`'s other
//!   rows) by the difference in width.
//! - Scans: [`push_filter`] moves a WHERE into the members of an Append
//!   and leaves out the partitions whose constraint contradicts it
//!   (PostgreSQL's partition pruning and constraint exclusion, for
//!   comparisons of columns with constants).

use std::sync::Arc;

use crate::catalog::RelationDesc;
use crate::expr::Expr;
use crate::plan::ModifyTable;

/// Where each column of `parent`'s row is in `child`'s (a dropped column
/// of the parent maps nowhere).
fn column_map(parent: &RelationDesc, child: &RelationDesc) -> Vec<Option<usize>> {
    parent
        .columns
        .iter()
        .map(|c| {
            if c.dropped {
                None
            } else {
                child.column_index(&c.name)
            }
        })
        .collect()
}

fn remap(e: &Expr, map: &[Option<usize>], parent_width: usize, child_width: usize) -> Expr {
    fn go(
        e: Expr,
        map: &[Option<usize>],
        parent_width: usize,
        child_width: usize,
    ) -> Result<Expr, std::convert::Infallible> {
        match e {
            Expr::Var {
                index,
                type_oid,
                typmod,
            } => {
                if index >= parent_width {
                    return Ok(Expr::Var {
                        index: index - parent_width + child_width,
                        type_oid,
                        typmod,
                    });
                }
                Ok(match map.get(index).copied().flatten() {
                    Some(i) => Expr::Var {
                        index: i,
                        type_oid,
                        typmod,
                    },
                    None => Expr::null(type_oid),
                })
            }
            other => other.map_children(&mut |c| go(c, map, parent_width, child_width)),
        }
    }
    match go(e.clone(), map, parent_width, child_width) {
        Ok(x) => x,
    }
}

/// Every table below `rel` whose rows an UPDATE or DELETE of it reaches
/// (partitioned tables hold none), in scan order.
pub fn modified_descendants(rel: &RelationDesc) -> Vec<Arc<RelationDesc>> {
    crate::analyze::from::descendants(rel)
        .into_iter()
        .filter(|d| d.relkind != 'p')
        .collect()
}

/// `m` with its table shown under another name (EXPLAIN's `p_1`).
pub fn renamed(m: &ModifyTable, alias: String) -> ModifyTable {
    let mut m = m.clone();
    let rel = match &mut m {
        ModifyTable::Insert { rel, .. }
        | ModifyTable::Update { rel, .. }
        | ModifyTable::Delete { rel, .. } => rel,
        ModifyTable::Merge(p) => &mut p.rel,
    };
    *rel = Arc::new(RelationDesc {
        alias: Some(alias),
        ..(**rel).clone()
    });
    m
}

/// Whether UPDATE or DELETE `m` (rewritten for a partition) can touch no
/// row of it: its WHERE contradicts the partition's constraint.
pub fn pruned(m: &ModifyTable) -> bool {
    let (filter, from) = match m {
        ModifyTable::Update { filter, from, .. } | ModifyTable::Delete { filter, from, .. } => {
            (filter, from)
        }
        ModifyTable::Insert { .. } | ModifyTable::Merge(_) => return false,
    };
    match (filter, &m.relation().partition_check) {
        (Some(f), Some(check)) if from.is_none() => refutes(f, check),
        _ => false,
    }
}

/// UPDATE or DELETE `m` (of an inheritance parent) rewritten for `child`.
/// INSERT is returned unchanged: it never recurses.
pub fn child_modify(m: &ModifyTable, child: &Arc<RelationDesc>) -> ModifyTable {
    let parent = m.relation();
    let map = column_map(parent, child);
    let (pw, cw) = (parent.columns.len(), child.columns.len());
    let r = |e: &Expr| remap(e, &map, pw, cw);
    let child = Arc::new(RelationDesc {
        children: Vec::new(),
        ..(**child).clone()
    });
    // The child's own index for its rows (not with a FROM list).
    let index = |filter: &Option<Expr>, from: &Option<Box<crate::plan::Plan>>| {
        if from.is_none() {
            crate::indexpath::modify_scan(&child, filter.as_ref())
        } else {
            None
        }
    };
    match m {
        // MERGE maps its descendants' rows itself (`executor::merge`).
        ModifyTable::Insert { .. } | ModifyTable::Merge(_) => m.clone(),
        ModifyTable::Update {
            filter,
            assignments,
            returning,
            from,
            ..
        } => {
            let filter = filter.as_ref().map(r);
            ModifyTable::Update {
                scan: index(&filter, from),
                rel: child,
                filter,
                assignments: assignments
                    .iter()
                    .filter_map(|(i, e)| Some((map.get(*i).copied().flatten()?, r(e))))
                    .collect(),
                returning: returning.iter().map(r).collect(),
                from: from.clone(),
            }
        }
        ModifyTable::Delete {
            filter,
            returning,
            from,
            ..
        } => {
            let filter = filter.as_ref().map(r);
            ModifyTable::Delete {
                scan: index(&filter, from),
                rel: child,
                filter,
                returning: returning.iter().map(r).collect(),
                from: from.clone(),
            }
        }
    }
}

/// A comparison of a column of the row with a constant, as pruning reads
/// them from a WHERE clause and from a partition constraint.
#[derive(Debug, Clone)]
enum Fact {
    /// `column op value` (op one of eq lt le gt ge)
    Cmp(usize, &'static str, types::Datum),
    /// `column IN (values)`
    In(usize, Vec<types::Datum>),
    IsNull(usize),
    NotNull(usize),
}

fn column(e: &Expr) -> Option<usize> {
    match e {
        Expr::Var { index, .. } => Some(*index),
        _ => None,
    }
}

fn constant(e: &Expr) -> Option<&types::Datum> {
    match e {
        Expr::Const { value, .. } if !value.is_null() => Some(value),
        _ => None,
    }
}

/// The facts `e` states, when it is an AND of them.
fn facts(e: &Expr, out: &mut Vec<Fact>) {
    let commute = |op: &'static str| match op {
        "lt" => "gt",
        "le" => "ge",
        "gt" => "lt",
        "ge" => "le",
        other => other,
    };
    match e {
        Expr::And(parts) => parts.iter().for_each(|p| facts(p, out)),
        Expr::IsNull { arg, negated } => {
            if let Some(c) = column(arg) {
                out.push(if *negated {
                    Fact::NotNull(c)
                } else {
                    Fact::IsNull(c)
                });
            }
        }
        Expr::Call { func, args, .. } if args.len() == 2 => {
            let op: &'static str = match *func {
                "eq" => "eq",
                "lt" => "lt",
                "le" => "le",
                "gt" => "gt",
                "ge" => "ge",
                _ => return,
            };
            if args[0].type_oid() != args[1].type_oid() {
                return;
            }
            if let (Some(c), Some(v)) = (column(&args[0]), constant(&args[1])) {
                out.push(Fact::Cmp(c, op, v.clone()));
            } else if let (Some(v), Some(c)) = (constant(&args[0]), column(&args[1])) {
                out.push(Fact::Cmp(c, commute(op), v.clone()));
            }
        }
        Expr::ScalarArrayOp {
            any: true,
            left,
            right,
            test,
        } if matches!(test.as_ref(), Expr::Call { func: "eq", .. }) => {
            let Some(c) = column(left) else { return };
            let values: Option<Vec<types::Datum>> = match right.as_ref() {
                Expr::Call {
                    func: "array",
                    args,
                    ..
                } => args.iter().map(|a| constant(a).cloned()).collect(),
                Expr::Const {
                    value: types::Datum::Array(a),
                    ..
                } => Some(a.elems.iter().filter(|v| !v.is_null()).cloned().collect()),
                _ => None,
            };
            if let Some(values) = values {
                out.push(Fact::In(c, values));
            }
        }
        Expr::Or(parts) => {
            // `column IN (values)`: equalities of one column.
            let mut col = None;
            let mut values = Vec::new();
            for p in parts {
                let mut one = Vec::new();
                facts(p, &mut one);
                match one.as_slice() {
                    [Fact::Cmp(c, "eq", v)] if col.is_none_or(|k| k == *c) => {
                        col = Some(*c);
                        values.push(v.clone());
                    }
                    [Fact::In(c, vs)] if col.is_none_or(|k| k == *c) => {
                        col = Some(*c);
                        values.extend(vs.iter().cloned());
                    }
                    _ => return,
                }
            }
            if let Some(c) = col {
                out.push(Fact::In(c, values));
            }
        }
        _ => {}
    }
}

/// A comparison as an interval: (lower, upper), each a value and whether
/// it is included; None is unbounded.
type Interval<'a> = (
    Option<(&'a types::Datum, bool)>,
    Option<(&'a types::Datum, bool)>,
);

fn interval<'a>(op: &str, v: &'a types::Datum) -> Interval<'a> {
    match op {
        "eq" => (Some((v, true)), Some((v, true))),
        "lt" => (None, Some((v, false))),
        "le" => (None, Some((v, true))),
        "gt" => (Some((v, false)), None),
        _ => (Some((v, true)), None),
    }
}

/// Whether some value satisfies `x op v` and fact `f` about the same
/// column (true when unsure).
fn admits(f: &Fact, op: &str, v: &types::Datum) -> bool {
    use std::cmp::Ordering::*;
    let cmp = |a: &types::Datum, b: &types::Datum| types::compare::compare(a, b).ok();
    let (fop, fv) = match f {
        Fact::IsNull(_) => return false,
        Fact::NotNull(_) => return true,
        Fact::In(_, values) => {
            return values
                .iter()
                .any(|x| admits(&Fact::Cmp(0, "eq", x.clone()), op, v));
        }
        Fact::Cmp(_, fop, fv) => (*fop, fv),
    };
    let (a, b) = (interval(op, v), interval(fop, fv));
    // The greater lower bound and the smaller upper bound.
    let lower = match (a.0, b.0) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => match cmp(x.0, y.0) {
            None => return true,
            Some(Greater) => Some(x),
            Some(Less) => Some(y),
            Some(Equal) => Some((x.0, x.1 && y.1)),
        },
    };
    let upper = match (a.1, b.1) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => match cmp(x.0, y.0) {
            None => return true,
            Some(Less) => Some(x),
            Some(Greater) => Some(y),
            Some(Equal) => Some((x.0, x.1 && y.1)),
        },
    };
    match (lower, upper) {
        (Some(l), Some(u)) => match cmp(l.0, u.0) {
            None => true,
            Some(Less) => true,
            Some(Equal) => l.1 && u.1,
            Some(Greater) => false,
        },
        _ => true,
    }
}

/// Whether `filter` can never be true of a row that satisfies `check`
/// (PostgreSQL's constraint exclusion, in its simplest form: comparisons
/// of one column with constants).
fn refutes(filter: &Expr, check: &Expr) -> bool {
    let (mut want, mut have) = (Vec::new(), Vec::new());
    facts(filter, &mut want);
    facts(check, &mut have);
    let col = |f: &Fact| match f {
        Fact::Cmp(c, ..) | Fact::In(c, _) | Fact::IsNull(c) | Fact::NotNull(c) => *c,
    };
    // A default partition's `NOT (sibling OR ...)`: refuted when the
    // filter's equalities put the row in a sibling.
    let mut negated = Vec::new();
    conjuncts_not(check, &mut negated);
    for n in negated {
        let siblings: Vec<&Expr> = match n {
            Expr::Or(parts) => parts.iter().collect(),
            other => vec![other],
        };
        if siblings.iter().any(|s| implied_by_equalities(&want, s)) {
            return true;
        }
    }
    // Per column of the filter: whether anything satisfies its facts and
    // the constraint's together.
    let mut columns: Vec<usize> = want.iter().map(col).collect();
    columns.dedup();
    for c in columns {
        let all: Vec<&Fact> = want.iter().chain(&have).filter(|f| col(f) == c).collect();
        if all_contradict(&all) {
            return true;
        }
    }
    false
}

/// Whether no value satisfies every one of `facts` (all about one
/// column; true only when sure).
fn all_contradict(facts: &[&Fact]) -> bool {
    let null = facts.iter().any(|f| matches!(f, Fact::IsNull(_)));
    let not_null = facts.iter().any(|f| !matches!(f, Fact::IsNull(_)));
    if null {
        return not_null;
    }
    let cmps: Vec<(&str, &types::Datum)> = facts
        .iter()
        .filter_map(|f| match f {
            Fact::Cmp(_, op, v) => Some((*op, v)),
            _ => None,
        })
        .collect();
    let lists: Vec<&Vec<types::Datum>> = facts
        .iter()
        .filter_map(|f| match f {
            Fact::In(_, values) => Some(values),
            _ => None,
        })
        .collect();
    // (Unsure counts as possible.)
    let holds = |v: &types::Datum, op: &str, w: &types::Datum| holds(v, op, w).unwrap_or(true);
    if let Some((first, rest)) = lists.split_first() {
        // A candidate must be in every list and pass every comparison.
        return !first.iter().any(|v| {
            rest.iter().all(|l| l.iter().any(|w| holds(v, "eq", w)))
                && cmps.iter().all(|(op, w)| holds(v, op, w))
        });
    }
    // Comparisons only: the intervals must meet (pairwise is enough on a
    // line).
    for (i, (op, v)) in cmps.iter().enumerate() {
        for (fop, fv) in cmps.iter().skip(i + 1) {
            if !admits(&Fact::Cmp(0, fop, (*fv).clone()), op, v) {
                return true;
            }
        }
    }
    false
}

/// Whether `v op w` holds (`op` one of eq lt le gt ge); None when the
/// values do not compare.
fn holds(v: &types::Datum, op: &str, w: &types::Datum) -> Option<bool> {
    use std::cmp::Ordering::*;
    let o = types::compare::compare(v, w).ok()?;
    Some(match op {
        "eq" => o == Equal,
        "lt" => o == Less,
        "le" => o != Greater,
        "gt" => o == Greater,
        "ge" => o != Less,
        _ => return None,
    })
}

/// The operands of the `NOT (...)` conjuncts of `e`.
fn conjuncts_not<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::And(parts) => parts.iter().for_each(|p| conjuncts_not(p, out)),
        Expr::Not(inner) => out.push(inner),
        _ => {}
    }
}

/// Whether the equalities among `facts` (`column = constant`) make `e`
/// (an AND of facts) true.
fn implied_by_equalities(facts_known: &[Fact], e: &Expr) -> bool {
    let eq = |c: usize| {
        facts_known.iter().find_map(|f| match f {
            Fact::Cmp(k, "eq", v) if *k == c => Some(v),
            _ => None,
        })
    };
    let mut needed = Vec::new();
    facts(e, &mut needed);
    if needed.is_empty() {
        return false;
    }
    // (Unsure counts as not implied.)
    let holds = |v: &types::Datum, op: &str, w: &types::Datum| holds(v, op, w).unwrap_or(false);
    // Every conjunct of `e` must be one of the facts read (an opaque part
    // could be false).
    let mut parts = 0;
    count_conjuncts(e, &mut parts);
    parts == needed.len()
        && needed.iter().all(|n| match n {
            Fact::NotNull(c) => eq(*c).is_some(),
            Fact::IsNull(c) => facts_known
                .iter()
                .any(|f| matches!(f, Fact::IsNull(k) if k == c)),
            Fact::In(c, values) => eq(*c).is_some_and(|v| values.iter().any(|w| holds(v, "eq", w))),
            Fact::Cmp(c, op, w) => eq(*c).is_some_and(|v| holds(v, op, w)),
        })
}

fn count_conjuncts(e: &Expr, n: &mut usize) {
    match e {
        Expr::And(parts) => parts.iter().for_each(|p| count_conjuncts(p, n)),
        _ => *n += 1,
    }
}

/// `e` over the row a plan's targets make, rewritten over the plan's own
/// source row.
fn through_targets(e: &Expr, targets: &[Expr]) -> Expr {
    fn go(e: Expr, targets: &[Expr]) -> Result<Expr, std::convert::Infallible> {
        match e {
            Expr::Var {
                index, type_oid, ..
            } => Ok(targets
                .get(index)
                .cloned()
                .unwrap_or_else(|| Expr::null(type_oid))),
            other => other.map_children(&mut |c| go(c, targets)),
        }
    }
    match go(e.clone(), targets) {
        Ok(x) => x,
    }
}

/// The WHERE of a scan of an inheritance tree applied in each member
/// instead (where an index may serve it), and the partitions whose
/// constraint contradicts it left out (partition pruning); the members'
/// scans are named `alias_1`, `alias_2`, ... as PostgreSQL names them.
pub fn push_filter(source: &mut crate::plan::Source, filter: &mut Option<Expr>) {
    let crate::plan::Source::Append { plans, alias, .. } = source else {
        return;
    };
    let pushable = filter.as_ref().is_none_or(|f| {
        let mut ok = true;
        f.walk(&mut |x| ok &= !matches!(x, Expr::SubPlan { .. }));
        ok
    });
    if !pushable {
        return;
    }
    let f = filter.take();
    let mut kept = Vec::with_capacity(plans.len());
    for mut p in std::mem::take(plans) {
        if let Some(f) = &f {
            let local = through_targets(f, &p.targets);
            let pruned = p
                .source
                .relation()
                .and_then(|r| r.partition_check.clone())
                .is_some_and(|check| refutes(&local, &check));
            if pruned {
                continue;
            }
            p.filter = Some(local);
        }
        let (p, _) = crate::indexpath::apply(p, None);
        kept.push(p);
    }
    let n = kept.len();
    for (i, p) in kept.iter_mut().enumerate() {
        let name = if n == 1 {
            alias.clone()
        } else {
            format!("{alias}_{}", i + 1)
        };
        rename_scan(&mut p.source, name);
    }
    *plans = kept;
}

fn rename_scan(source: &mut crate::plan::Source, name: String) {
    use crate::plan::Source;
    if let Source::SeqScan(rel)
    | Source::IndexScan(rel, _)
    | Source::Bitmap(rel, _)
    | Source::TidScan(rel, _) = source
    {
        let mut r = (**rel).clone();
        r.alias = Some(name);
        *rel = Arc::new(r);
    }
}
