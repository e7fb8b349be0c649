//! Expression evaluation over the planner's typed tree.

use planner::{BoolTestKind, Expr};
use types::datum::OutputOptions;
use types::{Datum, PgError, PgResult};

use crate::compare::compare;
use crate::{cast, functions, ExecContext};

/// Evaluates expressions of one statement execution.
pub struct Evaluator<'a> {
    pub params: &'a [Datum],
    pub ctx: &'a mut dyn ExecContext,
    pub opts: OutputOptions,
}

impl<'a> Evaluator<'a> {
    pub fn new(params: &'a [Datum], ctx: &'a mut dyn ExecContext) -> Evaluator<'a> {
        let opts = ctx.output_options();
        Evaluator { params, ctx, opts }
    }

    pub fn eval(&mut self, e: &Expr) -> PgResult<Datum> {
        match e {
            Expr::Const { value, .. } => Ok(value.clone()),
            Expr::Param { index, .. } => {
                self.params.get(*index).cloned().ok_or_else(|| PgError::internal(format!("no value for parameter ${}", index + 1)))
            }
            Expr::Call { func, args, strict, type_oid } => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    let v = self.eval(a)?;
                    if *strict && v.is_null() {
                        return Ok(Datum::Null);
                    }
                    vals.push(v);
                }
                let arg_types: Vec<u32> = args.iter().map(|a| a.type_oid()).collect();
                functions::call(func, &vals, &arg_types, *type_oid, self)
            }
            Expr::Cast { arg, from, to, typmod, explicit } => {
                let v = self.eval(arg)?;
                cast::cast(v, *from, *to, *typmod, *explicit, &self.opts)
            }
            Expr::And(parts) => {
                let mut saw_null = false;
                for p in parts {
                    match self.eval(p)? {
                        Datum::Bool(false) => return Ok(Datum::Bool(false)),
                        Datum::Null => saw_null = true,
                        _ => {}
                    }
                }
                Ok(if saw_null { Datum::Null } else { Datum::Bool(true) })
            }
            Expr::Or(parts) => {
                let mut saw_null = false;
                for p in parts {
                    match self.eval(p)? {
                        Datum::Bool(true) => return Ok(Datum::Bool(true)),
                        Datum::Null => saw_null = true,
                        _ => {}
                    }
                }
                Ok(if saw_null { Datum::Null } else { Datum::Bool(false) })
            }
            Expr::Not(x) => Ok(match self.eval(x)? {
                Datum::Bool(b) => Datum::Bool(!b),
                _ => Datum::Null,
            }),
            Expr::IsNull { arg, negated } => {
                let v = self.eval(arg)?;
                Ok(Datum::Bool(v.is_null() != *negated))
            }
            Expr::BoolTest { arg, test } => {
                let v = self.eval(arg)?;
                let b = match v {
                    Datum::Bool(b) => Some(b),
                    _ => None,
                };
                Ok(Datum::Bool(match test {
                    BoolTestKind::IsTrue => b == Some(true),
                    BoolTestKind::IsNotTrue => b != Some(true),
                    BoolTestKind::IsFalse => b == Some(false),
                    BoolTestKind::IsNotFalse => b != Some(false),
                    BoolTestKind::IsUnknown => b.is_none(),
                    BoolTestKind::IsNotUnknown => b.is_some(),
                }))
            }
            Expr::DistinctFrom { left, right, eq, negated } => {
                let (l, r) = (self.eval(left)?, self.eval(right)?);
                let distinct = match (l.is_null(), r.is_null()) {
                    (true, true) => false,
                    (true, false) | (false, true) => true,
                    _ => {
                        let lt = left.type_oid();
                        let rt = right.type_oid();
                        functions::call(eq, &[l, r], &[lt, rt], types::oid::BOOL, self)? != Datum::Bool(true)
                    }
                };
                Ok(Datum::Bool(distinct != *negated))
            }
            Expr::Case { whens, else_result, .. } => {
                for (cond, result) in whens {
                    if self.eval(cond)? == Datum::Bool(true) {
                        return self.eval(result);
                    }
                }
                self.eval(else_result)
            }
            Expr::Coalesce { args, .. } => {
                for a in args {
                    let v = self.eval(a)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Datum::Null)
            }
            Expr::NullIf { left, right, eq, .. } => {
                let l = self.eval(left)?;
                let r = self.eval(right)?;
                if l.is_null() || r.is_null() {
                    return Ok(l);
                }
                let types = [left.type_oid(), right.type_oid()];
                if functions::call(eq, &[l.clone(), r], &types, types::oid::BOOL, self)? == Datum::Bool(true) {
                    Ok(Datum::Null)
                } else {
                    Ok(l)
                }
            }
            Expr::MinMax { args, greatest, .. } => {
                let mut best: Option<Datum> = None;
                for a in args {
                    let v = self.eval(a)?;
                    if v.is_null() {
                        continue;
                    }
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            let o = compare(&v, &b)?;
                            if (*greatest && o == std::cmp::Ordering::Greater) || (!*greatest && o == std::cmp::Ordering::Less) {
                                v
                            } else {
                                b
                            }
                        }
                    });
                }
                Ok(best.unwrap_or(Datum::Null))
            }
        }
    }
}
