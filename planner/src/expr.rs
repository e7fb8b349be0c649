//! The analyzed, typed expression tree the executor evaluates.
//!
//! Every node knows its result type; operators and functions are resolved to a
//! built-in implementation named by PostgreSQL's internal function name (`int4pl`,
//! `textcat`, `length`), which is what the executor dispatches on.

use types::Datum;

/// A typed scalar expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A constant of the given type.
    Const {
        value: Datum,
        type_oid: u32,
    },
    /// Column `index` of the row at hand (see [`crate::plan`] for which row that is).
    Var {
        index: usize,
        type_oid: u32,
        typmod: i32,
    },
    /// The result of aggregate `index` of the query: exists only during analysis,
    /// which replaces it by a `Var` of the aggregated row.
    Aggref {
        index: usize,
        type_oid: u32,
    },
    /// A call of a user SQL function: its body's plan, run with the
    /// arguments as its parameters (`$1` ...); the first column of its first
    /// row, or NULL.
    SqlFunction {
        plan: Box<crate::plan::Plan>,
        args: Vec<Expr>,
        type_oid: u32,
        strict: bool,
    },
    /// A call of a user function that the backend runs
    /// (the executor's `ExecContext::call_function`): PL/pgSQL, or SQL whose
    /// body is not one SELECT to expand in place.
    UserCall {
        func: Box<UserFunctionRef>,
        args: Vec<Expr>,
        type_oid: u32,
        strict: bool,
        volatile: bool,
    },
    /// `left op ANY (array)` / `left op ALL (array)` (PostgreSQL's
    /// ScalarArrayOpExpr): `test` compares one element, reading the row
    /// `[left value, element]`.
    ScalarArrayOp {
        any: bool,
        left: Box<Expr>,
        right: Box<Expr>,
        test: Box<Expr>,
    },
    /// Window function `index` of the query level: exists only during
    /// analysis, which replaces it by a `Var` of the row the window
    /// functions' values are appended to.
    WindowRef {
        index: usize,
        type_oid: u32,
    },
    /// The value of set-returning function `index` of the select list:
    /// exists only during analysis, which replaces it by a `Var` of the
    /// row the functions' values are appended to (see `plan::ProjectSet`).
    SetRef {
        index: usize,
        type_oid: u32,
        /// For a `record` with named fields (a function's OUT columns),
        /// the typmod they are registered under; -1 otherwise.
        typmod: i32,
    },
    /// `$n` (0-based `index`), of the type recorded in `PlannedStmt::param_types`.
    Param {
        index: usize,
        type_oid: u32,
    },
    /// A column of a query level around the subquery this expression is
    /// in (PostgreSQL's PARAM_EXEC): value `index` of the `params` of the
    /// `SubPlan` that runs the query level `up` levels out from here (1:
    /// the subquery this expression belongs to).
    OuterParam {
        up: usize,
        index: usize,
        type_oid: u32,
        typmod: i32,
    },
    /// A call of a built-in function or operator.
    Call {
        func: &'static str,
        args: Vec<Expr>,
        type_oid: u32,
        strict: bool,
    },
    /// A type conversion; `typmod` applies `numeric(p,s)`, `varchar(n)`, `char(n)`.
    Cast {
        arg: Box<Expr>,
        from: u32,
        to: u32,
        typmod: i32,
        explicit: bool,
    },
    /// A value coerced into a domain (PostgreSQL's CoerceToDomain): `arg`,
    /// of the domain's base type, must pass the NOT NULL and CHECK
    /// constraints of the domain and of the domains under it (23502,
    /// 23514 naming `domain`). Each check reads a row of its own, `[the
    /// value]`: `VALUE` is `Var 0`.
    CoerceToDomain {
        arg: Box<Expr>,
        domain: u32,
        not_null: bool,
        checks: Vec<(String, Expr)>,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    IsNull {
        arg: Box<Expr>,
        negated: bool,
    },
    /// `IS [NOT] TRUE/FALSE/UNKNOWN`
    BoolTest {
        arg: Box<Expr>,
        test: BoolTestKind,
    },
    /// `IS [NOT] DISTINCT FROM`: `eq` is the equality operator's implementation.
    DistinctFrom {
        left: Box<Expr>,
        right: Box<Expr>,
        eq: &'static str,
        negated: bool,
    },
    /// Searched CASE (a simple CASE is rewritten to equality tests).
    Case {
        whens: Vec<(Expr, Expr)>,
        else_result: Box<Expr>,
        type_oid: u32,
    },
    Coalesce {
        args: Vec<Expr>,
        type_oid: u32,
    },
    NullIf {
        left: Box<Expr>,
        right: Box<Expr>,
        eq: &'static str,
        type_oid: u32,
    },
    /// A row constructor (`ROW(a, b)`, `(a, b)`) or a whole-row reference
    /// (`t`, `t.*`): a composite value of `type_oid` (a named composite
    /// type, or `record`) whose fields `fields` describes.
    Row {
        args: Vec<Expr>,
        fields: std::sync::Arc<[types::datum::RecordField]>,
        type_oid: u32,
    },
    /// GREATEST / LEAST; `cmp` is the less-than implementation of the common type.
    MinMax {
        args: Vec<Expr>,
        greatest: bool,
        lt: &'static str,
        type_oid: u32,
    },
    /// A subquery: its one value (NULL without rows; 21000 with more than
    /// one), whether it has rows (EXISTS), or whether a value of it passes
    /// the test (IN). Without `params` it is PostgreSQL's InitPlan, run
    /// once per execution; with them, correlated: run for each row, with
    /// the params' values (over that row) as the `OuterParam`s inside.
    SubPlan {
        kind: SubPlanKind,
        plan: Box<crate::plan::Plan>,
        type_oid: u32,
        /// `lhs IN (subquery)`: the left-hand side, and the equality test
        /// over `Var 0` (its value) and `Var 1` (one value of the subquery).
        test: Option<Box<(Expr, Expr)>>,
        params: Vec<Expr>,
    },
}

/// A call of built-in implementation `func` (see [`Expr::Call`]).
pub fn call(func: &'static str, args: Vec<Expr>, type_oid: u32, strict: bool) -> Expr {
    Expr::Call {
        func,
        args,
        type_oid,
        strict,
    }
}

/// What a [`Expr::SubPlan`] yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubPlanKind {
    /// `(SELECT x ...)`: its one row's one column.
    Scalar,
    /// `EXISTS (SELECT ...)`: whether it has a row.
    Exists,
    /// `x IN (SELECT ...)`: whether the test holds for one of its values
    /// (NULL if for none but it is unknown for some).
    Any,
    /// `ARRAY(SELECT x ...)`: its rows' one column as an array (empty
    /// without rows).
    Array,
    /// `ARRAY(SELECT a ...)` of an array column: its arrays stacked into
    /// one of one more dimension.
    ArrayOfArrays,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolTestKind {
    IsTrue,
    IsNotTrue,
    IsFalse,
    IsNotFalse,
    IsUnknown,
    IsNotUnknown,
}

/// The function an `Expr::UserCall` calls (boxed: expressions stay small).
#[derive(Debug, Clone, PartialEq)]
pub struct UserFunctionRef {
    pub oid: u32,
    /// For EXPLAIN.
    pub name: String,
    /// The argument types of this call (a polymorphic function's
    /// resolved ones).
    pub arg_types: Vec<u32>,
}

/// The built-in functions whose value may change within a statement
/// (PostgreSQL's VOLATILE ones): such a call is evaluated where it stands,
/// never once for a whole scan.
pub fn is_volatile_function(name: &str) -> bool {
    matches!(
        name,
        "random"
            | "setseed"
            | "clock_timestamp"
            | "timeofday"
            | "gen_random_uuid"
            | "nextval"
            | "setval"
            | "set_config"
            | "pg_sleep"
            | "pg_notify"
            | "pg_notification_queue_usage"
            | "pg_listening_channels"
            | "pg_cancel_backend"
            | "pg_terminate_backend"
            | "txid_current"
            | "pg_current_xact_id"
    )
}

impl Expr {
    /// Whether the value is the same for every row of a scan: no column,
    /// no aggregate, no correlated subquery, no volatile function.
    pub fn is_row_independent(&self) -> bool {
        let mut ok = true;
        self.walk(&mut |x| match x {
            Expr::Var { .. } | Expr::Aggref { .. } => ok = false,
            Expr::SubPlan { params, .. } if !params.is_empty() => ok = false,
            Expr::Call { func, .. } if is_volatile_function(func) => ok = false,
            Expr::UserCall { volatile: true, .. } => ok = false,
            _ => {}
        });
        ok
    }

    /// The AND-ed parts of a condition (nested ANDs flattened).
    pub fn conjuncts(&self) -> Vec<&Expr> {
        match self {
            Expr::And(items) => items.iter().flat_map(Expr::conjuncts).collect(),
            other => vec![other],
        }
    }

    /// The NULL constant of a type.
    pub fn null(type_oid: u32) -> Expr {
        Expr::Const {
            value: Datum::Null,
            type_oid,
        }
    }

    /// The highest `Var` index the expression reads, if it reads any.
    pub fn max_var(&self) -> Option<usize> {
        let many = |es: &[Expr]| es.iter().filter_map(Expr::max_var).max();
        match self {
            Expr::Var { index, .. } => Some(*index),
            Expr::Const { .. }
            | Expr::Aggref { .. }
            | Expr::WindowRef { .. }
            | Expr::SetRef { .. }
            | Expr::Param { .. }
            | Expr::OuterParam { .. } => None,
            Expr::SubPlan { test, params, .. } => {
                test.as_ref().and_then(|t| t.0.max_var()).max(many(params))
            }
            Expr::ScalarArrayOp { left, right, .. } => left.max_var().max(right.max_var()),
            Expr::SqlFunction { args, .. } | Expr::UserCall { args, .. } => many(args),
            Expr::Call { args, .. }
            | Expr::And(args)
            | Expr::Or(args)
            | Expr::Coalesce { args, .. }
            | Expr::Row { args, .. }
            | Expr::MinMax { args, .. } => many(args),
            Expr::Cast { arg, .. }
            | Expr::CoerceToDomain { arg, .. }
            | Expr::Not(arg)
            | Expr::IsNull { arg, .. }
            | Expr::BoolTest { arg, .. } => arg.max_var(),
            Expr::DistinctFrom { left, right, .. } | Expr::NullIf { left, right, .. } => {
                left.max_var().max(right.max_var())
            }
            Expr::Case {
                whens, else_result, ..
            } => whens
                .iter()
                .flat_map(|(w, t)| [w.max_var(), t.max_var()])
                .flatten()
                .max()
                .max(else_result.max_var()),
        }
    }

    /// The lowest and highest `Var` index the expression reads.
    pub fn var_span(&self) -> Option<(usize, usize)> {
        let mut span: Option<(usize, usize)> = None;
        self.walk(&mut |x| {
            if let Expr::Var { index, .. } = x {
                span = Some(span.map_or((*index, *index), |(lo, hi)| {
                    (lo.min(*index), hi.max(*index))
                }));
            }
        });
        span
    }

    /// The expression with every `Var` index moved by `delta` (for a row
    /// that starts elsewhere in a wider one).
    pub fn shift_vars(self, delta: isize) -> Expr {
        if delta == 0 {
            return self;
        }
        fn go(e: Expr, delta: isize) -> Result<Expr, std::convert::Infallible> {
            match e {
                Expr::Var {
                    index,
                    type_oid,
                    typmod,
                } => Ok(Expr::Var {
                    index: index.wrapping_add_signed(delta),
                    type_oid,
                    typmod,
                }),
                other => other.map_children(&mut |c| go(c, delta)),
            }
        }
        match go(self, delta) {
            Ok(e) => e,
        }
    }

    /// The SQL type of the expression's value.
    pub fn type_oid(&self) -> u32 {
        match self {
            Expr::Const { type_oid, .. }
            | Expr::Var { type_oid, .. }
            | Expr::Aggref { type_oid, .. }
            | Expr::WindowRef { type_oid, .. }
            | Expr::SetRef { type_oid, .. }
            | Expr::Param { type_oid, .. }
            | Expr::OuterParam { type_oid, .. }
            | Expr::Call { type_oid, .. }
            | Expr::Case { type_oid, .. }
            | Expr::Coalesce { type_oid, .. }
            | Expr::NullIf { type_oid, .. }
            | Expr::MinMax { type_oid, .. }
            | Expr::Row { type_oid, .. }
            | Expr::SqlFunction { type_oid, .. }
            | Expr::UserCall { type_oid, .. }
            | Expr::SubPlan { type_oid, .. } => *type_oid,
            Expr::Cast { to, .. } => *to,
            Expr::CoerceToDomain { domain, .. } => *domain,
            Expr::And(_)
            | Expr::Or(_)
            | Expr::Not(_)
            | Expr::IsNull { .. }
            | Expr::BoolTest { .. }
            | Expr::DistinctFrom { .. }
            | Expr::ScalarArrayOp { .. } => types::oid::BOOL,
        }
    }

    /// The type modifier of the result (-1 when none).
    pub fn typmod(&self) -> i32 {
        match self {
            Expr::Cast { typmod, .. }
            | Expr::Var { typmod, .. }
            | Expr::SetRef { typmod, .. }
            | Expr::OuterParam { typmod, .. } => *typmod,
            // An anonymous row: the typmod its fields are registered under.
            Expr::Row {
                fields,
                type_oid: types::oid::RECORD,
                ..
            } => types::typcache::register_record(fields),
            _ => -1,
        }
    }

    /// Rebuilds the expression with `f` applied to each direct child.
    pub fn map_children<E>(self, f: &mut impl FnMut(Expr) -> Result<Expr, E>) -> Result<Expr, E> {
        let boxed = |b: Box<Expr>, f: &mut dyn FnMut(Expr) -> Result<Expr, E>| f(*b).map(Box::new);
        Ok(match self {
            leaf @ (Expr::Const { .. }
            | Expr::Var { .. }
            | Expr::Aggref { .. }
            | Expr::WindowRef { .. }
            | Expr::SetRef { .. }
            | Expr::Param { .. }
            | Expr::OuterParam { .. }) => leaf,
            // A subquery is a query level of its own: only the left-hand
            // side of IN and the params are children here (the test reads
            // a row of its own).
            Expr::SubPlan {
                kind,
                plan,
                type_oid,
                test,
                params,
            } => Expr::SubPlan {
                kind,
                plan,
                type_oid,
                test: match test {
                    Some(t) => {
                        let (lhs, eq) = *t;
                        Some(Box::new((f(lhs)?, eq)))
                    }
                    None => None,
                },
                params: params.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
            },
            Expr::SqlFunction {
                plan,
                args,
                type_oid,
                strict,
            } => Expr::SqlFunction {
                plan,
                args: args.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
                type_oid,
                strict,
            },
            Expr::UserCall {
                func,
                args,
                type_oid,
                strict,
                volatile,
            } => Expr::UserCall {
                func,
                args: args.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
                type_oid,
                strict,
                volatile,
            },
            // The test reads a row of its own.
            Expr::ScalarArrayOp {
                any,
                left,
                right,
                test,
            } => Expr::ScalarArrayOp {
                any,
                left: Box::new(f(*left)?),
                right: Box::new(f(*right)?),
                test,
            },
            Expr::Call {
                func,
                args,
                type_oid,
                strict,
            } => Expr::Call {
                func,
                args: args.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
                type_oid,
                strict,
            },
            Expr::Cast {
                arg,
                from,
                to,
                typmod,
                explicit,
            } => Expr::Cast {
                arg: boxed(arg, f)?,
                from,
                to,
                typmod,
                explicit,
            },
            // The checks read a row of their own.
            Expr::CoerceToDomain {
                arg,
                domain,
                not_null,
                checks,
            } => Expr::CoerceToDomain {
                arg: boxed(arg, f)?,
                domain,
                not_null,
                checks,
            },
            Expr::And(v) => Expr::And(v.into_iter().map(&mut *f).collect::<Result<_, E>>()?),
            Expr::Or(v) => Expr::Or(v.into_iter().map(&mut *f).collect::<Result<_, E>>()?),
            Expr::Not(x) => Expr::Not(boxed(x, f)?),
            Expr::IsNull { arg, negated } => Expr::IsNull {
                arg: boxed(arg, f)?,
                negated,
            },
            Expr::BoolTest { arg, test } => Expr::BoolTest {
                arg: boxed(arg, f)?,
                test,
            },
            Expr::DistinctFrom {
                left,
                right,
                eq,
                negated,
            } => {
                let left = boxed(left, f)?;
                Expr::DistinctFrom {
                    left,
                    right: boxed(right, f)?,
                    eq,
                    negated,
                }
            }
            Expr::Case {
                whens,
                else_result,
                type_oid,
            } => {
                let mut w = Vec::with_capacity(whens.len());
                for (c, r) in whens {
                    let c = f(c)?;
                    w.push((c, f(r)?));
                }
                Expr::Case {
                    whens: w,
                    else_result: boxed(else_result, f)?,
                    type_oid,
                }
            }
            Expr::Coalesce { args, type_oid } => Expr::Coalesce {
                args: args.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
                type_oid,
            },
            Expr::Row {
                args,
                fields,
                type_oid,
            } => Expr::Row {
                args: args.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
                fields,
                type_oid,
            },
            Expr::NullIf {
                left,
                right,
                eq,
                type_oid,
            } => {
                let left = boxed(left, f)?;
                Expr::NullIf {
                    left,
                    right: boxed(right, f)?,
                    eq,
                    type_oid,
                }
            }
            Expr::MinMax {
                args,
                greatest,
                lt,
                type_oid,
            } => Expr::MinMax {
                args: args.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
                greatest,
                lt,
                type_oid,
            },
        })
    }

    /// Calls `f` on this expression and every sub-expression, parents first,
    /// children left to right.
    pub fn walk(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Const { .. }
            | Expr::Var { .. }
            | Expr::Aggref { .. }
            | Expr::WindowRef { .. }
            | Expr::SetRef { .. }
            | Expr::Param { .. }
            | Expr::OuterParam { .. } => {}
            Expr::SubPlan { test, params, .. } => {
                if let Some(t) = test {
                    t.0.walk(f);
                }
                params.iter().for_each(|p| p.walk(f));
            }
            Expr::ScalarArrayOp { left, right, .. } => {
                left.walk(f);
                right.walk(f);
            }
            Expr::SqlFunction { args, .. } | Expr::UserCall { args, .. } => {
                args.iter().for_each(|a| a.walk(f))
            }
            Expr::Call { args, .. }
            | Expr::And(args)
            | Expr::Or(args)
            | Expr::Coalesce { args, .. }
            | Expr::Row { args, .. }
            | Expr::MinMax { args, .. } => args.iter().for_each(|a| a.walk(f)),
            Expr::Cast { arg, .. }
            | Expr::CoerceToDomain { arg, .. }
            | Expr::Not(arg)
            | Expr::IsNull { arg, .. }
            | Expr::BoolTest { arg, .. } => arg.walk(f),
            Expr::DistinctFrom { left, right, .. } | Expr::NullIf { left, right, .. } => {
                left.walk(f);
                right.walk(f);
            }
            Expr::Case {
                whens, else_result, ..
            } => {
                for (c, r) in whens {
                    c.walk(f);
                    r.walk(f);
                }
                else_result.walk(f);
            }
        }
    }
}
