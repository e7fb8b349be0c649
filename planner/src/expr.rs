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
    Const { value: Datum, type_oid: u32 },
    /// `$n` (0-based `index`), of the type recorded in `PlannedStmt::param_types`.
    Param { index: usize, type_oid: u32 },
    /// A call of a built-in function or operator.
    Call { func: &'static str, args: Vec<Expr>, type_oid: u32, strict: bool },
    /// A type conversion; `typmod` applies `numeric(p,s)`, `varchar(n)`, `char(n)`.
    Cast { arg: Box<Expr>, from: u32, to: u32, typmod: i32, explicit: bool },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    IsNull { arg: Box<Expr>, negated: bool },
    /// `IS [NOT] TRUE/FALSE/UNKNOWN`
    BoolTest { arg: Box<Expr>, test: BoolTestKind },
    /// `IS [NOT] DISTINCT FROM`: `eq` is the equality operator's implementation.
    DistinctFrom { left: Box<Expr>, right: Box<Expr>, eq: &'static str, negated: bool },
    /// Searched CASE (a simple CASE is rewritten to equality tests).
    Case { whens: Vec<(Expr, Expr)>, else_result: Box<Expr>, type_oid: u32 },
    Coalesce { args: Vec<Expr>, type_oid: u32 },
    NullIf { left: Box<Expr>, right: Box<Expr>, eq: &'static str, type_oid: u32 },
    /// GREATEST / LEAST; `cmp` is the less-than implementation of the common type.
    MinMax { args: Vec<Expr>, greatest: bool, lt: &'static str, type_oid: u32 },
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

impl Expr {
    /// The SQL type of the expression's value.
    pub fn type_oid(&self) -> u32 {
        match self {
            Expr::Const { type_oid, .. }
            | Expr::Param { type_oid, .. }
            | Expr::Call { type_oid, .. }
            | Expr::Case { type_oid, .. }
            | Expr::Coalesce { type_oid, .. }
            | Expr::NullIf { type_oid, .. }
            | Expr::MinMax { type_oid, .. } => *type_oid,
            Expr::Cast { to, .. } => *to,
            Expr::And(_)
            | Expr::Or(_)
            | Expr::Not(_)
            | Expr::IsNull { .. }
            | Expr::BoolTest { .. }
            | Expr::DistinctFrom { .. } => types::oid::BOOL,
        }
    }

    /// The type modifier of the result (-1 when none).
    pub fn typmod(&self) -> i32 {
        match self {
            Expr::Cast { typmod, .. } => *typmod,
            _ => -1,
        }
    }
}
