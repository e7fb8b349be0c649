//! Constant folding (a small part of PostgreSQL's `eval_const_expressions`):
//! once a statement is analyzed, an expression whose inputs are all
//! constants is computed and replaced by its value, when the computation
//! cannot depend on the session (an immutable function or cast over types
//! whose text forms are fixed). EXPLAIN then shows `3` for `1 + 2` and
//! `'{1,2}'::integer[]` for `ARRAY[1, 2]`, as PostgreSQL's does, and the
//! rows do not recompute it.
//!
//! The planner cannot evaluate expressions itself (the executor depends on
//! it): the backend installs an evaluator at start ([`set_evaluator`]).
//! Without one (unit tests, tools) nothing is folded. An expression whose
//! evaluation fails is left as it is, to fail when (and if) it runs.
//! Stored expressions (views, defaults, constraints) are never folded:
//! they are printed from their own analysis.

use std::sync::OnceLock;

use types::Datum;
use types::oid::*;

use crate::expr::Expr;
use crate::plan::{ModifyTable, Plan, Source};

/// Computes a constant expression (every leaf a `Const`), or None if it
/// cannot.
pub type Evaluator = fn(&Expr) -> Option<Datum>;

static EVALUATOR: OnceLock<Evaluator> = OnceLock::new();

/// Installs the evaluator folding uses (once per process).
pub fn set_evaluator(f: Evaluator) {
    let _ = EVALUATOR.set(f);
}

/// Types whose values' conversions and operators do not depend on session
/// settings (dates and times read DateStyle and TimeZone, money
/// lc_monetary, floats' text extra_float_digits, bytea's bytea_output,
/// the reg* types the search_path).
fn fixed_type(t: u32) -> bool {
    matches!(
        t,
        BOOL | INT2
            | INT4
            | INT8
            | NUMERIC
            | TEXT
            | VARCHAR
            | BPCHAR
            | NAME
            | TID
            | UUID
            | INET
            | CIDR
            | XID8
    ) || element_of(t).is_some_and(fixed_type)
}

/// The built-in operators folded: arithmetic, comparisons, `||` of text,
/// the ARRAY constructor and SIMILAR TO's pattern translation.
fn fixed_function(f: &str) -> bool {
    matches!(
        f,
        "add"
            | "sub"
            | "mul"
            | "div"
            | "mod"
            | "neg"
            | "uplus"
            | "abs"
            | "eq"
            | "ne"
            | "lt"
            | "le"
            | "gt"
            | "ge"
            | "textcat"
            | "array"
            | "similar_to_escape"
    )
}

fn is_const(e: &Expr) -> bool {
    matches!(e, Expr::Const { .. })
}

/// `e` with its constant parts computed (see the module doc).
pub fn expr(e: Expr) -> Expr {
    let Some(eval) = EVALUATOR.get() else {
        return e;
    };
    fold(e, *eval)
}

fn fold(e: Expr, eval: Evaluator) -> Expr {
    let e = match e {
        Expr::SubPlan { .. } => {
            return match e.map_children(&mut |c| Ok::<_, std::convert::Infallible>(fold(c, eval))) {
                Ok(Expr::SubPlan {
                    kind,
                    mut plan,
                    params,
                    test,
                    type_oid,
                }) => {
                    *plan = plan_with(*plan, eval);
                    Expr::SubPlan {
                        kind,
                        plan,
                        params,
                        test,
                        type_oid,
                    }
                }
                Ok(other) => other,
            };
        }
        other => {
            match other.map_children(&mut |c| Ok::<_, std::convert::Infallible>(fold(c, eval))) {
                Ok(x) => x,
            }
        }
    };
    let e = match e {
        Expr::And(args) => simplify_bool(args, false),
        Expr::Or(args) => simplify_bool(args, true),
        // A strict operator of a NULL constant is NULL, whatever its other
        // operand.
        Expr::Call {
            func,
            args,
            type_oid,
            strict: true,
        } if fixed_function(func)
            && func != "array"
            && args.iter().any(|a| {
                matches!(
                    a,
                    Expr::Const {
                        value: Datum::Null,
                        ..
                    }
                )
            }) =>
        {
            return Expr::null(type_oid);
        }
        other => other,
    };
    let foldable = match &e {
        Expr::Cast {
            arg,
            from,
            to,
            typmod: -1,
            explicit,
        } => {
            is_const(arg)
                && fixed_type(*to)
                && (*from == UNKNOWN || fixed_type(*from))
                // An implicit widening of an integer to an integer stands
                // for PostgreSQL's cross-type operators (`int8 = int4`),
                // which EXPLAIN shows without a cast.
                && (*explicit || !matches!((*from, *to), (INT2 | INT4, INT4 | INT8)))
        }
        Expr::Call {
            func,
            args,
            type_oid,
            ..
        } => {
            fixed_function(func)
                && fixed_type(*type_oid)
                && args.iter().all(|a| is_const(a) && fixed_type(a.type_oid()))
        }
        _ => false,
    };
    if !foldable {
        return e;
    }
    match eval(&e) {
        Some(value) => Expr::Const {
            type_oid: e.type_oid(),
            value,
        },
        None => e,
    }
}

/// An AND (`or` false) or OR of already folded arguments, simplified as
/// PostgreSQL's `simplify_and_arguments` / `simplify_or_arguments`: a
/// constant that decides it (false for AND, true for OR) is the result,
/// the neutral constant drops out, and of NULL constants one stays.
fn simplify_bool(args: Vec<Expr>, or: bool) -> Expr {
    let mut kept: Vec<Expr> = Vec::with_capacity(args.len());
    let mut null = false;
    for a in args {
        match a {
            Expr::Const {
                value: Datum::Bool(b),
                ..
            } if b == or => {
                return Expr::Const {
                    value: Datum::Bool(or),
                    type_oid: BOOL,
                };
            }
            Expr::Const {
                value: Datum::Bool(_),
                ..
            } => {}
            Expr::Const {
                value: Datum::Null, ..
            } => null = true,
            other => kept.push(other),
        }
    }
    if null {
        kept.push(Expr::null(BOOL));
    }
    match kept.len() {
        0 => Expr::Const {
            value: Datum::Bool(!or),
            type_oid: BOOL,
        },
        1 => kept.pop().unwrap_or_else(|| Expr::null(BOOL)),
        _ if or => Expr::Or(kept),
        _ => Expr::And(kept),
    }
}

/// Whether a WHERE clause can pass no row: a constant false or NULL.
fn never_true(filter: Option<&Expr>) -> bool {
    matches!(
        filter,
        Some(Expr::Const {
            value: Datum::Bool(false) | Datum::Null,
            ..
        })
    )
}

/// `plan` with its expressions folded.
pub fn plan(p: Plan) -> Plan {
    match EVALUATOR.get() {
        Some(eval) => plan_with(p, *eval),
        None => p,
    }
}

fn opt(e: Option<Expr>, eval: Evaluator) -> Option<Expr> {
    e.map(|e| fold(e, eval))
}

fn plan_with(mut p: Plan, eval: Evaluator) -> Plan {
    p.filter = where_clause(opt(p.filter.take(), eval));
    p.targets = std::mem::take(&mut p.targets)
        .into_iter()
        .map(|e| fold(e, eval))
        .collect();
    p.source = source(
        std::mem::replace(&mut p.source, Source::Values(Vec::new())),
        eval,
    );
    // A scan (or inner join) that can pass no row reads nothing: one row
    // that the filter drops stands in for it (EXPLAIN's `Result` with
    // `One-Time Filter: false`, as PostgreSQL plans it).
    let empty_join = match &p.source {
        Source::Join(j) => {
            j.kind == crate::plan::JoinKind::Inner
                && [&j.qual, &j.left.filter, &j.right.filter]
                    .into_iter()
                    .any(|f| never_true(f.as_ref()))
        }
        _ => false,
    };
    if never_true(p.filter.as_ref()) || empty_join {
        let width = match &p.source {
            Source::Append { width, .. } => Some(*width),
            Source::Join(j) => Some(j.width()),
            s => s
                .relation()
                .map(|r| r.columns.len() + if r.system_columns { 5 } else { 0 }),
        };
        if let Some(width) = width {
            p.source = Source::Values(vec![vec![Expr::null(UNKNOWN); width]]);
            p.filter = Some(Expr::Const {
                value: Datum::Bool(false),
                type_oid: BOOL,
            });
        }
    }
    p
}

/// A folded WHERE clause (or join qualification), where NULL is as good
/// as false: a NULL among its AND-ed parts makes it false, and a
/// constant true is no condition at all.
fn where_clause(filter: Option<Expr>) -> Option<Expr> {
    let false_ = || {
        Some(Expr::Const {
            value: Datum::Bool(false),
            type_oid: BOOL,
        })
    };
    match filter? {
        Expr::Const {
            value: Datum::Bool(true),
            ..
        } => None,
        Expr::Const {
            value: Datum::Null, ..
        } => false_(),
        Expr::And(parts)
            if parts.iter().any(|p| {
                matches!(
                    p,
                    Expr::Const {
                        value: Datum::Null,
                        ..
                    }
                )
            }) =>
        {
            false_()
        }
        other => Some(other),
    }
}

fn source(s: Source, eval: Evaluator) -> Source {
    match s {
        Source::Values(rows) => Source::Values(
            rows.into_iter()
                .map(|r| r.into_iter().map(|e| fold(e, eval)).collect())
                .collect(),
        ),
        Source::Subquery {
            plan,
            width,
            params,
        } => Source::Subquery {
            plan: Box::new(plan_with(*plan, eval)),
            width,
            params,
        },
        Source::Join(mut j) => {
            j.left.source = source(
                std::mem::replace(&mut j.left.source, Source::Values(Vec::new())),
                eval,
            );
            j.right.source = source(
                std::mem::replace(&mut j.right.source, Source::Values(Vec::new())),
                eval,
            );
            j.left.filter = where_clause(opt(j.left.filter.take(), eval));
            j.right.filter = where_clause(opt(j.right.filter.take(), eval));
            j.qual = where_clause(opt(j.qual.take(), eval));
            Source::Join(j)
        }
        Source::SetOp(mut op) => {
            op.left = plan_with(std::mem::replace(&mut op.left, Plan::empty()), eval);
            op.right = plan_with(std::mem::replace(&mut op.right, Plan::empty()), eval);
            Source::SetOp(op)
        }
        Source::Append {
            plans,
            width,
            alias,
        } => Source::Append {
            plans: plans.into_iter().map(|p| plan_with(p, eval)).collect(),
            width,
            alias,
        },
        other => other,
    }
}

/// `m` with its expressions folded.
pub fn modify(m: Option<ModifyTable>) -> Option<ModifyTable> {
    let Some(eval) = EVALUATOR.get().copied() else {
        return m;
    };
    Some(match m? {
        ModifyTable::Update {
            rel,
            filter,
            assignments,
            returning,
            scan,
            from,
        } => ModifyTable::Update {
            rel,
            filter: opt(filter, eval),
            assignments: assignments
                .into_iter()
                .map(|(i, e)| (i, fold(e, eval)))
                .collect(),
            returning,
            scan,
            from: from.map(|p| Box::new(plan_with(*p, eval))),
        },
        ModifyTable::Delete {
            rel,
            filter,
            returning,
            scan,
            from,
        } => ModifyTable::Delete {
            rel,
            filter: opt(filter, eval),
            returning,
            scan,
            from: from.map(|p| Box::new(plan_with(*p, eval))),
        },
        other => other,
    })
}
