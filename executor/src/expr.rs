//! Expression evaluation over the planner's typed tree.

use planner::{BoolTestKind, Expr};
use types::datum::OutputOptions;
use types::oid::{INT2, INT4, INT8, OID, REGCLASS};
use types::{Datum, PgError, PgResult, SqlState};

use crate::compare::compare;
use crate::{ExecContext, cast, functions};

/// Evaluates expressions of one statement execution.
pub struct Evaluator<'a> {
    pub params: &'a [Datum],
    pub ctx: &'a mut dyn ExecContext,
    pub opts: OutputOptions,
    /// Results of the subqueries run so far, by the address of their plan
    /// (each runs once per execution: they refer to no outer row).
    subplans: std::collections::HashMap<usize, Datum>,
    /// The values of the `IN (subquery)` subqueries run so far, likewise.
    subplan_values: std::collections::HashMap<usize, std::rc::Rc<Vec<Datum>>>,
    /// One frame per query level being run inside the statement's (the
    /// innermost last): the values of the `params` of the subquery that
    /// runs it, which `Expr::OuterParam` reads.
    frames: Vec<Vec<Datum>>,
    /// Values of subqueries that read only query levels further out than
    /// the one they are in (analysis marks them with constant params, see
    /// `Analyzer::in_subquery_level`): the same while the frame they were
    /// computed in lives, so kept with its depth and dropped when it goes.
    frame_subplans: Vec<(usize, usize, Datum)>,
    /// The rows of the last round of each recursive query being run, by
    /// work table id.
    worktables: std::collections::HashMap<usize, std::rc::Rc<Vec<Vec<Datum>>>>,
    /// EXPLAIN ANALYZE: rows, loops (and time) per plan node; None when
    /// nothing is being counted, which costs one branch per counting point.
    pub instrument: Option<Instrumenter>,
}

/// What an instrumented run collects (see `planner::explain::NodeKey`).
#[derive(Debug, Default)]
pub struct Instrumenter {
    /// Also measure time (EXPLAIN's TIMING): two clock reads per row and node.
    pub timing: bool,
    pub stats: planner::explain::Instrumentation,
}

impl<'a> Evaluator<'a> {
    /// `v` checked against the NOT NULL and CHECK constraints of `domain`
    /// (see `Expr::CoerceToDomain`): 23502 or 23514.
    fn check_domain(
        &mut self,
        v: Datum,
        domain: u32,
        not_null: bool,
        checks: &[(String, Expr)],
    ) -> PgResult<Datum> {
        if not_null && v.is_null() {
            return Err(PgError::new(
                SqlState::NotNullViolation,
                format!(
                    "domain {} does not allow null values",
                    types::oid::type_name(domain)
                ),
            ));
        }
        let value = [v];
        for (name, check) in checks {
            if let Datum::Bool(false) = self.eval_row(check, &value)? {
                return Err(PgError::new(
                    SqlState::CheckViolation,
                    format!(
                        "value for domain {} violates check constraint \"{name}\"",
                        types::oid::type_name(domain)
                    ),
                ));
            }
        }
        let [v] = value;
        Ok(v)
    }

    /// A cast to or from `regclass`, whose values are relation names (as
    /// `regclass` prints them): converting looks the relation up.
    fn cast_regclass(
        &mut self,
        v: Datum,
        from: u32,
        to: u32,
        typmod: i32,
        explicit: bool,
    ) -> PgResult<Datum> {
        let oid_of = |v: &Datum| match v {
            Datum::Oid(o) => Some(*o),
            Datum::Int2(i) => Some(*i as u32),
            Datum::Int4(i) => Some(*i as u32),
            Datum::Int8(i) => Some(*i as u32),
            _ => None,
        };
        match (&v, from, to) {
            (Datum::Null, _, _) => Ok(Datum::Null),
            (_, REGCLASS, REGCLASS) => Ok(v),
            (Datum::Text(name), REGCLASS, OID | INT4 | INT8) => {
                let oid = self.ctx.regclass_oid(name)?;
                Ok(match to {
                    OID => Datum::Oid(oid),
                    INT4 => Datum::Int4(oid as i32),
                    _ => Datum::Int8(i64::from(oid)),
                })
            }
            (Datum::Text(_), REGCLASS, _) => {
                cast::cast(v, types::oid::TEXT, to, typmod, explicit, &self.opts)
            }
            (Datum::Text(text), _, REGCLASS) => Ok(Datum::Text(self.ctx.regclass_in(text)?)),
            (_, OID | INT2 | INT4 | INT8, REGCLASS) => match oid_of(&v) {
                Some(oid) => Ok(Datum::Text(self.ctx.regclass_of(oid)?)),
                None => Err(PgError::internal("regclass cast of a non-integer")),
            },
            _ => Err(PgError::feature_not_supported(format!(
                "cast from {} to {}",
                types::oid::type_name(from),
                types::oid::type_name(to)
            ))),
        }
    }

    pub fn new(params: &'a [Datum], ctx: &'a mut dyn ExecContext) -> Evaluator<'a> {
        let opts = ctx.output_options();
        Evaluator {
            params,
            ctx,
            opts,
            subplans: std::collections::HashMap::new(),
            subplan_values: std::collections::HashMap::new(),
            frames: Vec::new(),
            frame_subplans: Vec::new(),
            worktables: std::collections::HashMap::new(),
            instrument: None,
        }
    }

    /// Whether a run is instrumented, and with time.
    pub fn instrumenting(&self) -> Option<bool> {
        self.instrument.as_ref().map(|i| i.timing)
    }

    /// Adds one loop of a node: its rows, the rows its filter removed, and
    /// (with TIMING) the time to its first row and to its end.
    pub fn record(
        &mut self,
        key: planner::explain::NodeKey,
        rows: u64,
        removed: u64,
        times: Option<(std::time::Duration, std::time::Duration)>,
    ) {
        if let Some(i) = self.instrument.as_mut() {
            let s = i.stats.entry(key).or_default();
            s.loops += 1;
            s.rows += rows;
            s.removed += removed;
            if let Some((first, total)) = times {
                s.startup_ms += first.as_secs_f64() * 1000.0;
                s.total_ms += total.as_secs_f64() * 1000.0;
            }
        }
    }

    /// Runs `f` in the query level around the current one (the innermost
    /// frame set aside): for rows a subquery streams to its caller.
    pub fn outside_frame<T>(&mut self, f: impl FnOnce(&mut Self) -> PgResult<T>) -> PgResult<T> {
        let top = self.frames.pop();
        let r = f(self);
        if let Some(frame) = top {
            self.frames.push(frame);
        }
        r
    }

    /// The rows of work table `id` (none before its query set them).
    pub fn worktable(&self, id: usize) -> std::rc::Rc<Vec<Vec<Datum>>> {
        self.worktables.get(&id).cloned().unwrap_or_default()
    }

    /// Sets the rows of work table `id`.
    pub fn set_worktable(&mut self, id: usize, rows: Vec<Vec<Datum>>) {
        self.worktables.insert(id, std::rc::Rc::new(rows));
    }

    /// Runs `f` as a query level nested in the current one, `frame` the
    /// values its `OuterParam`s with `up` 1 read.
    pub fn in_frame<T>(
        &mut self,
        frame: Vec<Datum>,
        f: impl FnOnce(&mut Self) -> PgResult<T>,
    ) -> PgResult<T> {
        self.frames.push(frame);
        let r = f(self);
        self.frames.pop();
        let depth = self.frames.len();
        self.frame_subplans.retain(|&(_, d, _)| d <= depth);
        r
    }

    /// The values of a subquery's params over the current row.
    fn eval_params(&mut self, params: &[Expr], row: &[Datum]) -> PgResult<Vec<Datum>> {
        params.iter().map(|p| self.eval_row(p, row)).collect()
    }

    /// Evaluates an expression that refers to no row.
    pub fn eval(&mut self, e: &Expr) -> PgResult<Datum> {
        self.eval_row(e, &[])
    }

    /// Evaluates an expression whose `Var`s refer to columns of `row`.
    pub fn eval_row(&mut self, e: &Expr, row: &[Datum]) -> PgResult<Datum> {
        match e {
            Expr::Const { value, .. } => Ok(value.clone()),
            Expr::Var { index, .. } => row
                .get(*index)
                .cloned()
                .ok_or_else(|| PgError::internal(format!("row has no column {}", index + 1))),
            Expr::SqlFunction {
                plan, args, strict, ..
            } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    let v = self.eval_row(a, row)?;
                    if *strict && v.is_null() {
                        return Ok(Datum::Null);
                    }
                    values.push(v);
                }
                // The body is a statement of its own: its parameters are the
                // arguments; its subqueries run afresh for each call.
                let mut body = Evaluator::new(&values, &mut *self.ctx);
                let rows = crate::query::run(&mut body, plan, 1)?;
                Ok(rows
                    .into_iter()
                    .next()
                    .and_then(|r| r.into_iter().next())
                    .unwrap_or(Datum::Null))
            }
            Expr::UserCall {
                func,
                args,
                type_oid,
                strict,
                ..
            } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    let v = self.eval_row(a, row)?;
                    if *strict && v.is_null() {
                        return Ok(Datum::Null);
                    }
                    values.push(v);
                }
                let types = crate::CallTypes {
                    args: func.arg_types.clone(),
                    ret: *type_oid,
                };
                self.ctx.call_function(func.oid, values, &types)
            }
            Expr::ScalarArrayOp {
                any,
                left,
                right,
                test,
            } => {
                let l = self.eval_row(left, row)?;
                let r = self.eval_row(right, row)?;
                let Datum::Array(a) = r else {
                    return Ok(Datum::Null);
                };
                // SQL's three-valued OR (ANY) / AND (ALL) over the elements.
                let mut saw_null = false;
                for e in &a.elems {
                    match self.eval_row(test, &[l.clone(), e.clone()])? {
                        Datum::Bool(b) if b == *any => return Ok(Datum::Bool(*any)),
                        Datum::Null => saw_null = true,
                        _ => {}
                    }
                }
                Ok(if saw_null {
                    Datum::Null
                } else {
                    Datum::Bool(!*any)
                })
            }
            Expr::Aggref { .. } | Expr::WindowRef { .. } | Expr::SetRef { .. } => Err(
                PgError::internal("aggregate reference left in an executable expression"),
            ),
            Expr::SubPlan {
                kind: planner::expr::SubPlanKind::Any,
                plan,
                test: Some(test),
                params,
                ..
            } => {
                let key = &**plan as *const planner::Plan as usize;
                let cached = match params.is_empty() {
                    true => self.subplan_values.get(&key).cloned(),
                    false => None,
                };
                let values = match cached {
                    Some(v) => v,
                    None => {
                        let frame = self.eval_params(params, row)?;
                        let rows = self.in_frame(frame, |ev| crate::query::run(ev, plan, 1))?;
                        let v = std::rc::Rc::new(
                            rows.into_iter()
                                .map(|r| r.into_iter().next().unwrap_or(Datum::Null))
                                .collect::<Vec<_>>(),
                        );
                        if params.is_empty() {
                            self.subplan_values.insert(key, v.clone());
                        }
                        v
                    }
                };
                let (lhs, eq) = &**test;
                let l = self.eval_row(lhs, row)?;
                any_true(
                    values
                        .iter()
                        .map(|v| self.eval_row(eq, &[l.clone(), v.clone()])),
                )
            }
            Expr::SubPlan {
                kind,
                plan,
                params,
                type_oid,
                ..
            } => {
                let key = &**plan as *const planner::Plan as usize;
                if params.is_empty()
                    && let Some(v) = self.subplans.get(&key)
                {
                    return Ok(v.clone());
                }
                let depth = self.frames.len();
                let reaches_out =
                    !params.is_empty() && params.iter().all(|p| matches!(p, Expr::Const { .. }));
                if reaches_out
                    && let Some((_, _, v)) = self
                        .frame_subplans
                        .iter()
                        .find(|&&(k, d, _)| k == key && d == depth)
                {
                    return Ok(v.clone());
                }
                let frame = self.eval_params(params, row)?;
                let value = self.in_frame(frame, |ev| match kind {
                    planner::expr::SubPlanKind::Any => {
                        Err(PgError::internal("IN subquery without its test"))
                    }
                    planner::expr::SubPlanKind::Exists => {
                        Ok(Datum::Bool(crate::query::has_rows(ev, plan)?))
                    }
                    planner::expr::SubPlanKind::Array => {
                        let rows = crate::query::run(ev, plan, 1)?;
                        let elem = types::oid::element_of(*type_oid).unwrap_or(types::oid::TEXT);
                        Ok(Datum::Array(Box::new(types::datum::ArrayValue::new(
                            elem,
                            rows.into_iter()
                                .map(|r| r.into_iter().next().unwrap_or(Datum::Null))
                                .collect(),
                        ))))
                    }
                    planner::expr::SubPlanKind::ArrayOfArrays => {
                        let rows = crate::query::run(ev, plan, 1)?;
                        let elem = types::oid::element_of(*type_oid).unwrap_or(types::oid::TEXT);
                        let values: Vec<Datum> = rows
                            .into_iter()
                            .map(|r| r.into_iter().next().unwrap_or(Datum::Null))
                            .collect();
                        Ok(Datum::Array(Box::new(types::datum::array::accumulate(
                            elem, &values,
                        )?)))
                    }
                    planner::expr::SubPlanKind::Scalar => {
                        let mut rows = crate::query::run(ev, plan, 1)?;
                        if rows.len() > 1 {
                            return Err(PgError::new(
                                types::SqlState::CardinalityViolation,
                                "more than one row returned by a subquery used as an expression",
                            ));
                        }
                        Ok(rows
                            .pop()
                            .and_then(|r| r.into_iter().next())
                            .unwrap_or(Datum::Null))
                    }
                })?;
                if params.is_empty() {
                    self.subplans.insert(key, value.clone());
                } else if reaches_out {
                    self.frame_subplans.push((key, depth, value.clone()));
                }
                Ok(value)
            }
            Expr::OuterParam { up, index, .. } => self
                .frames
                .len()
                .checked_sub(*up)
                .and_then(|level| self.frames.get(level))
                .and_then(|frame| frame.get(*index))
                .cloned()
                .ok_or_else(|| PgError::internal("no value for a column of an outer query")),
            Expr::Param { index, .. } => {
                self.params.get(*index).cloned().ok_or_else(|| {
                    PgError::internal(format!("no value for parameter ${}", index + 1))
                })
            }
            Expr::Call {
                func,
                args,
                strict,
                type_oid,
            } => {
                // Up to four arguments (nearly every operator and function)
                // live on the stack: no allocation per row.
                if args.len() <= 4 {
                    let mut vals: [Datum; 4] = std::array::from_fn(|_| Datum::Null);
                    let mut arg_types = [0u32; 4];
                    for (i, a) in args.iter().enumerate() {
                        let v = self.eval_row(a, row)?;
                        if *strict && v.is_null() {
                            return Ok(Datum::Null);
                        }
                        vals[i] = v;
                        arg_types[i] = a.type_oid();
                    }
                    let n = args.len();
                    return functions::call(func, &vals[..n], &arg_types[..n], *type_oid, self);
                }
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    let v = self.eval_row(a, row)?;
                    if *strict && v.is_null() {
                        return Ok(Datum::Null);
                    }
                    vals.push(v);
                }
                let arg_types: Vec<u32> = args.iter().map(|a| a.type_oid()).collect();
                functions::call(func, &vals, &arg_types, *type_oid, self)
            }
            Expr::Cast {
                arg,
                from,
                to,
                typmod,
                explicit,
            } => {
                let v = self.eval_row(arg, row)?;
                if *from == REGCLASS || *to == REGCLASS {
                    return self.cast_regclass(v, *from, *to, *typmod, *explicit);
                }
                // regnamespace output: the schema's name.
                if *to == types::oid::REGNAMESPACE
                    && let Datum::Oid(o) = v
                {
                    return Ok(Datum::Text(self.ctx.regnamespace_of(o)?));
                }
                // regproc output: the function's name (`-` for none).
                if *to == types::oid::REGPROC {
                    match v {
                        Datum::Oid(o) => return Ok(Datum::Text(self.ctx.regproc_of(o)?)),
                        Datum::Int4(o) => return Ok(Datum::Text(self.ctx.regproc_of(o as u32)?)),
                        _ => {}
                    }
                }
                cast::cast(v, *from, *to, *typmod, *explicit, &self.opts)
            }
            Expr::CoerceToDomain {
                arg,
                domain,
                not_null,
                checks,
            } => {
                let v = self.eval_row(arg, row)?;
                // An array of a domain: each element is checked.
                if let Some(elem) = types::oid::element_of(*domain) {
                    if let Datum::Array(a) = &v {
                        for e in &a.elems {
                            self.check_domain(e.clone(), elem, *not_null, checks)?;
                        }
                    }
                    return Ok(v);
                }
                // A range over a domain: each finite bound is checked.
                if let Some(elem) = types::oid::range_subtype(*domain) {
                    if let Datum::Range(r) = &v {
                        for b in [&r.lower, &r.upper] {
                            if let (Some(bv), false) = (&b.value, r.empty) {
                                self.check_domain(bv.clone(), elem, *not_null, checks)?;
                            }
                        }
                    }
                    return Ok(v);
                }
                self.check_domain(v, *domain, *not_null, checks)
            }
            Expr::And(parts) => {
                let mut saw_null = false;
                for p in parts {
                    match self.eval_row(p, row)? {
                        Datum::Bool(false) => return Ok(Datum::Bool(false)),
                        Datum::Null => saw_null = true,
                        _ => {}
                    }
                }
                Ok(if saw_null {
                    Datum::Null
                } else {
                    Datum::Bool(true)
                })
            }
            Expr::Or(parts) => any_true(parts.iter().map(|p| self.eval_row(p, row))),
            Expr::Not(x) => Ok(match self.eval_row(x, row)? {
                Datum::Bool(b) => Datum::Bool(!b),
                _ => Datum::Null,
            }),
            Expr::IsNull { arg, negated } => {
                let v = self.eval_row(arg, row)?;
                // A row is NULL when all its fields are, NOT NULL when
                // none is (so it can be neither).
                Ok(Datum::Bool(match (&v, negated) {
                    (Datum::Record(r), false) => r.all_null(),
                    (Datum::Record(r), true) => r.none_null(),
                    _ => v.is_null() != *negated,
                }))
            }
            Expr::Row {
                args,
                fields,
                type_oid,
            } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval_row(a, row)?);
                }
                Ok(Datum::Record(Box::new(types::datum::RecordValue {
                    type_oid: *type_oid,
                    fields: fields.clone(),
                    values,
                })))
            }
            Expr::BoolTest { arg, test } => {
                let v = self.eval_row(arg, row)?;
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
            Expr::DistinctFrom {
                left,
                right,
                eq,
                negated,
            } => {
                let (l, r) = (self.eval_row(left, row)?, self.eval_row(right, row)?);
                let distinct = match (l.is_null(), r.is_null()) {
                    (true, true) => false,
                    (true, false) | (false, true) => true,
                    _ => {
                        let lt = left.type_oid();
                        let rt = right.type_oid();
                        functions::call(eq, &[l, r], &[lt, rt], types::oid::BOOL, self)?
                            != Datum::Bool(true)
                    }
                };
                Ok(Datum::Bool(distinct != *negated))
            }
            Expr::Case {
                whens, else_result, ..
            } => {
                for (cond, result) in whens {
                    if self.eval_row(cond, row)? == Datum::Bool(true) {
                        return self.eval_row(result, row);
                    }
                }
                self.eval_row(else_result, row)
            }
            Expr::Coalesce { args, .. } => {
                for a in args {
                    let v = self.eval_row(a, row)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Datum::Null)
            }
            Expr::NullIf {
                left, right, eq, ..
            } => {
                let l = self.eval_row(left, row)?;
                let r = self.eval_row(right, row)?;
                if l.is_null() || r.is_null() {
                    return Ok(l);
                }
                let types = [left.type_oid(), right.type_oid()];
                if functions::call(eq, &[l.clone(), r], &types, types::oid::BOOL, self)?
                    == Datum::Bool(true)
                {
                    Ok(Datum::Null)
                } else {
                    Ok(l)
                }
            }
            Expr::MinMax { args, greatest, .. } => {
                let mut best: Option<Datum> = None;
                for a in args {
                    let v = self.eval_row(a, row)?;
                    if v.is_null() {
                        continue;
                    }
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            let o = compare(&v, &b)?;
                            if (*greatest && o == std::cmp::Ordering::Greater)
                                || (!*greatest && o == std::cmp::Ordering::Less)
                            {
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

/// SQL's OR over `results`, evaluated in order until one is true: true if
/// one is, else NULL if one is NULL, else false.
fn any_true(results: impl Iterator<Item = PgResult<Datum>>) -> PgResult<Datum> {
    let mut saw_null = false;
    for r in results {
        match r? {
            Datum::Bool(true) => return Ok(Datum::Bool(true)),
            Datum::Null => saw_null = true,
            _ => {}
        }
    }
    Ok(if saw_null {
        Datum::Null
    } else {
        Datum::Bool(false)
    })
}
