//! Tid Scan and Tid Range Scan: reading a table's rows by their `ctid`
//! (PostgreSQL's `tidpath.c`).
//!
//! A scan that carries the system columns (`RelationDesc::system_columns`)
//! has `ctid` right after the table's own columns. Of the WHERE clause's
//! AND-ed conditions, the first of these makes a Tid Scan:
//! - `ctid = value` (or `value = ctid`), `value` fixed for the scan;
//! - `ctid = ANY (array)`;
//! - an OR whose every arm is one of those, or an AND holding one (the
//!   scan reads the tids of all arms; the OR itself still filters).
//!
//! Without one, the conditions `ctid < value` (and `<=`, `>`, `>=`, either
//! side) together make a Tid Range Scan over the blocks they allow.
//!
//! The filter keeps every condition: the scan only narrows which rows are
//! read. A tid whose row version was updated finds nothing (the version
//! is not followed to its successor), as in PostgreSQL.

use crate::catalog::RelationDesc;
use crate::expr::Expr;
use crate::plan::{TidScan, TidScanKind, TidValue};

/// Whether `e` is the scanned table's `ctid`.
fn is_ctid(e: &Expr, rel: &RelationDesc) -> bool {
    rel.system_columns
        && matches!(e, Expr::Var { index, type_oid, .. }
            if *index == rel.columns.len() && *type_oid == types::oid::TID)
}

/// `ctid = value`, `value = ctid` or `ctid = ANY (array)`: the value.
fn tid_equality(c: &Expr, rel: &RelationDesc) -> Option<TidValue> {
    match c {
        Expr::Call {
            func: "eq", args, ..
        } if args.len() == 2 => {
            let (a, b) = (&args[0], &args[1]);
            let value = if is_ctid(a, rel) {
                b
            } else if is_ctid(b, rel) {
                a
            } else {
                return None;
            };
            (value.type_oid() == types::oid::TID && value.is_row_independent()).then(|| TidValue {
                value: value.clone(),
                array: false,
            })
        }
        Expr::ScalarArrayOp {
            any: true,
            left,
            right,
            test,
        } if is_ctid(left, rel)
            && matches!(&**test, Expr::Call { func: "eq", .. })
            && right.type_oid() == types::oid::TID_ARRAY
            && right.is_row_independent() =>
        {
            Some(TidValue {
                value: (**right).clone(),
                array: true,
            })
        }
        _ => None,
    }
}

/// The tids a condition names: a tid equality, or an OR (an IN list is
/// one) whose every arm names some (see [`arm_part`]).
fn tid_quals(c: &Expr, rel: &RelationDesc) -> Option<Vec<TidValue>> {
    if let Some(v) = tid_equality(c, rel) {
        return Some(vec![v]);
    }
    let Expr::Or(arms) = c else { return None };
    let mut values = Vec::new();
    for arm in arms {
        values.extend(arm_part(arm, rel)?.1);
    }
    Some(values)
}

/// The part of an OR's arm that names tids: the arm itself, or the first
/// of its AND-ed parts that does; with the tids.
fn arm_part<'e>(arm: &'e Expr, rel: &RelationDesc) -> Option<(&'e Expr, Vec<TidValue>)> {
    if let Some(values) = tid_quals(arm, rel) {
        return Some((arm, values));
    }
    let Expr::And(parts) = arm else { return None };
    parts
        .iter()
        .find_map(|p| tid_quals(p, rel).map(|values| (p, values)))
}

/// `ctid op value` for a range operator, as (value, inclusive, is a lower
/// bound).
fn tid_bound(c: &Expr, rel: &RelationDesc) -> Option<(Expr, bool, bool)> {
    let Expr::Call { func, args, .. } = c else {
        return None;
    };
    let (inclusive, lower) = match *func {
        "lt" => (false, false),
        "le" => (true, false),
        "gt" => (false, true),
        "ge" => (true, true),
        _ => return None,
    };
    let [a, b] = args.as_slice() else { return None };
    let (value, lower) = if is_ctid(a, rel) {
        (b, lower)
    } else if is_ctid(b, rel) {
        (a, !lower)
    } else {
        return None;
    };
    (value.type_oid() == types::oid::TID && value.is_row_independent())
        .then(|| (value.clone(), inclusive, lower))
}

/// The Tid Scan or Tid Range Scan the WHERE clause `filter` allows on
/// `rel`, if any (see the module doc).
pub fn tid_scan(rel: &RelationDesc, filter: Option<&Expr>) -> Option<TidScan> {
    if !rel.system_columns || !crate::settings::current().enable_tidscan {
        return None;
    }
    let conjuncts = filter?.conjuncts();
    for c in &conjuncts {
        if let Some(v) = tid_equality(c, rel) {
            return Some(TidScan {
                kind: TidScanKind::List(vec![v]),
                conds: vec![(*c).clone()],
            });
        }
        if let Expr::Or(arms) = c
            && let Some(parts) = arms
                .iter()
                .map(|a| arm_part(a, rel))
                .collect::<Option<Vec<_>>>()
        {
            // The OR itself if its arms are all used whole, else the OR of
            // the parts used.
            let whole = parts
                .iter()
                .zip(arms)
                .all(|((p, _), a)| std::ptr::eq(*p, a));
            let cond = if whole {
                (*c).clone()
            } else {
                Expr::Or(parts.iter().map(|(p, _)| (*p).clone()).collect())
            };
            return Some(TidScan {
                kind: TidScanKind::List(parts.into_iter().flat_map(|(_, v)| v).collect()),
                conds: vec![cond],
            });
        }
    }
    let (mut lower, mut upper, mut conds) = (Vec::new(), Vec::new(), Vec::new());
    for c in &conjuncts {
        if let Some((value, inclusive, is_lower)) = tid_bound(c, rel) {
            if is_lower {
                lower.push((value, inclusive));
            } else {
                upper.push((value, inclusive));
            }
            conds.push((*c).clone());
        }
    }
    (!conds.is_empty()).then_some(TidScan {
        kind: TidScanKind::Range { lower, upper },
        conds,
    })
}

/// The estimated cost of a Tid Scan or Tid Range Scan with `quals`
/// conditions per row: PostgreSQL's `cost_tidscan` (a random page per
/// tid) and `cost_tidrangescan` (the share of the pages the range covers,
/// read in order).
pub fn tid_scan_cost(rel: &RelationDesc, scan: &TidScan, quals: usize) -> f64 {
    let s = crate::settings::current();
    let (pages, tuples, _) = crate::selfuncs::rel_size(rel);
    let per_tuple = s.cpu_tuple_cost + s.cpu_operator_cost * quals as f64;
    match &scan.kind {
        TidScanKind::List(values) => {
            let n: f64 = values
                .iter()
                .map(|v| if v.array { 10.0 } else { 1.0 })
                .sum();
            n * (s.random_page_cost + per_tuple)
        }
        TidScanKind::Range { .. } => {
            let sel = crate::selfuncs::DEFAULT_INEQ_SEL;
            let pages = (pages * sel).ceil().max(1.0);
            s.random_page_cost + s.seq_page_cost * (pages - 1.0) + tuples * sel * per_tuple
        }
    }
}
