//! Grouping and the built-in aggregates.
//!
//! Groups are kept in a B-tree on their key values ([`RowKey`]: the type's
//! ordering, NULLs equal to each other and after everything else), so equal
//! keys by the type's equality (numeric `1.0` and `1.00`) fall into one group.
//! Each group holds one [`AggAcc`] per aggregate call. Without GROUP BY there
//! is exactly one group, also over no rows.
//!
//! Transition and final rules follow PostgreSQL: `count` is int8; `sum` of
//! int2/int4 is int8 and of int8 numeric (accumulated exactly in an i128);
//! `sum(float4)` adds in float4; `avg` of integers and numeric is the numeric
//! quotient with numeric division's scale, of floats a float8; NULL inputs are
//! skipped, and `sum`/`avg`/`min`/`max` of no rows are NULL.
//!
//! A user aggregate (`AggFunc::User`) keeps its transition state as a datum
//! and evaluates its transition function over `[state, args..]` for each
//! input, with PostgreSQL's rules for a strict one (`advance_transition_function`
//! in `nodeAgg.c`): an input with a NULL is skipped, a NULL initial condition
//! takes the first input as the state, and a NULL state stays NULL.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use planner::{AggCall, AggFunc, Aggregate, MovingAggregate, RegrKind, UserAggregate};
use types::datum::Numeric;
use types::datum::json::Jsonb;
use types::oid::*;
use types::{Datum, PgError, PgResult};

use crate::cast::out_of_range;
use crate::compare::compare;
use crate::expr::Evaluator;

/// A row of values ordered column by column (NULLs last and equal).
#[derive(Debug, Clone)]
pub struct RowKey(pub Vec<Datum>);

impl Ord for RowKey {
    fn cmp(&self, other: &RowKey) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            let o = match (a.is_null(), b.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // values of one column share a type; a failure cannot happen
                (false, false) => compare(a, b).unwrap_or(Ordering::Equal),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for RowKey {
    fn partial_cmp(&self, other: &RowKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RowKey {
    fn eq(&self, other: &RowKey) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RowKey {}

/// One input of an aggregate with ORDER BY (or WITHIN GROUP): its sort
/// keys, its value and its delimiter (or direct argument).
pub(crate) type OrderedInput = (Vec<Datum>, Datum, Option<Datum>);

/// How two inputs' sort keys compare under `order_by` (DESC, NULLS FIRST).
pub(crate) fn compare_keys(
    a: &[Datum],
    b: &[Datum],
    order_by: &[(planner::Expr, bool, bool)],
) -> PgResult<Ordering> {
    for ((x, y), (_, desc, nulls_first)) in a.iter().zip(b).zip(order_by) {
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) if *nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if *nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let o = compare(x, y)?;
                if *desc { o.reverse() } else { o }
            }
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(Ordering::Equal)
}

/// The running state of one aggregate call in one group.
#[derive(Debug, Clone)]
pub struct AggAcc {
    count: i64,
    int_sum: i128,
    num_sum: Numeric,
    float_sum: f64,
    best: Option<Datum>,
    /// values seen, for `agg(DISTINCT x)`
    seen: Option<BTreeSet<RowKey>>,
    /// `string_agg`'s text so far
    text: Option<String>,
    /// `array_agg`'s values so far
    values: Vec<Datum>,
    /// the sum of squares of the values (variance of exact numbers)
    num_sumsq: Numeric,
    /// Youngs-Cramer's running sum of squared differences (variance of
    /// floats)
    float_sxx: f64,
    /// The two-variable statistics' running sums: Σx, Σy and Youngs-Cramer's
    /// Sxx, Syy, Sxy (PostgreSQL's `float8_regr_accum`).
    regr: [f64; 5],
    /// `agg(x ORDER BY ...)`: the inputs with their sort keys, fed in order
    /// when the group is complete.
    ordered: Vec<OrderedInput>,
    /// A user aggregate's transition state, once `user_init` has set it
    /// to the initial condition.
    state: Datum,
    user_init: bool,
    /// No initial condition and a strict transition function: the first
    /// non-null input becomes the state (PostgreSQL's `noTransValue`).
    no_trans_value: bool,
}

impl AggAcc {
    pub fn new(call: &AggCall) -> AggAcc {
        AggAcc {
            count: 0,
            int_sum: 0,
            num_sum: Numeric::from_i64(0),
            float_sum: 0.0,
            best: None,
            seen: call.distinct.then(BTreeSet::new),
            text: None,
            values: Vec::new(),
            num_sumsq: Numeric::from_i64(0),
            float_sxx: 0.0,
            regr: [0.0; 5],
            ordered: Vec::new(),
            state: Datum::Null,
            user_init: false,
            no_trans_value: false,
        }
    }

    /// Sets a user aggregate's state to its initial condition, once.
    fn init_user(&mut self, ev: &mut Evaluator<'_>, u: &UserAggregate) -> PgResult<()> {
        if self.user_init {
            return Ok(());
        }
        self.user_init = true;
        match &u.initcond {
            Some(e) => self.state = ev.eval_row(e, &[])?,
            None => {
                self.state = Datum::Null;
                self.no_trans_value = u.trans_strict;
            }
        }
        Ok(())
    }

    /// Adds one input of a user aggregate (its argument, or a record of
    /// its arguments): the transition function over `[state, args..]`,
    /// which, when strict, is not called for an input with a NULL and
    /// leaves a NULL state alone (PostgreSQL's `advance_transition_function`).
    pub fn advance_user(
        &mut self,
        ev: &mut Evaluator<'_>,
        call: &AggCall,
        v: Datum,
    ) -> PgResult<()> {
        let Some(u) = &call.user else {
            return Err(PgError::internal("user aggregate without its functions"));
        };
        if let Some(seen) = &mut self.seen
            && !seen.insert(RowKey(vec![v.clone()]))
        {
            return Ok(());
        }
        self.advance_with(ev, u, v)
    }

    /// `[state, args..]` of one input (its argument, or a record of them).
    fn transition_row(u: &UserAggregate, v: Datum) -> Vec<Datum> {
        let mut row = Vec::with_capacity(u.nargs + 1);
        row.push(Datum::Null);
        match (u.nargs, v) {
            (0, _) => {}
            (1, v) => row.push(v),
            (_, Datum::Record(r)) => row.extend(r.values),
            (n, _) => row.extend(std::iter::repeat_n(Datum::Null, n)),
        }
        row
    }

    /// One input through the transition function of `u` (the plain one or
    /// the moving one); `count` counts the inputs the state holds.
    pub fn advance_with(
        &mut self,
        ev: &mut Evaluator<'_>,
        u: &UserAggregate,
        v: Datum,
    ) -> PgResult<()> {
        let mut row = Self::transition_row(u, v);
        self.init_user(ev, u)?;
        if u.trans_strict {
            if row[1..].iter().any(Datum::is_null) {
                return Ok(());
            }
            if self.no_trans_value {
                self.no_trans_value = false;
                self.state = row.get(1).cloned().unwrap_or(Datum::Null);
                self.count += 1;
                return Ok(());
            }
            if self.state.is_null() {
                return Ok(());
            }
        }
        row[0] = std::mem::replace(&mut self.state, Datum::Null);
        self.state = ev.eval_row(&u.transfn, &row)?;
        self.count += 1;
        Ok(())
    }

    /// Removes one input that left a moving window frame with the inverse
    /// transition function (PostgreSQL's `advance_windowaggregate_base`):
    /// the last input held resets the state instead; false when the
    /// inverse function gives NULL (it cannot), and the frame must be
    /// aggregated afresh.
    pub fn retreat(
        &mut self,
        ev: &mut Evaluator<'_>,
        m: &MovingAggregate,
        v: Datum,
    ) -> PgResult<bool> {
        let mut row = Self::transition_row(&m.forward, v);
        if m.inverse_strict && row[1..].iter().any(Datum::is_null) {
            return Ok(true);
        }
        if self.count <= 1 {
            self.count = 0;
            self.user_init = false;
            self.state = Datum::Null;
            self.no_trans_value = false;
            return Ok(true);
        }
        row[0] = self.state.clone();
        let next = ev.eval_row(&m.inverse, &row)?;
        if next.is_null() {
            return Ok(false);
        }
        self.state = next;
        self.count -= 1;
        Ok(true)
    }

    /// A user aggregate's result: the final function of the state (not
    /// called on a NULL state when strict), or the state itself.
    fn finish_user(&self, ev: &mut Evaluator<'_>, call: &AggCall) -> PgResult<Datum> {
        let Some(u) = &call.user else {
            return Err(PgError::internal("user aggregate without its functions"));
        };
        self.finish_with(ev, u)
    }

    /// The result of the state of `u` (plain or moving functions).
    pub fn finish_with(&self, ev: &mut Evaluator<'_>, u: &UserAggregate) -> PgResult<Datum> {
        let state = match (self.user_init, &u.initcond) {
            (true, _) | (false, None) => self.state.clone(),
            (false, Some(e)) => ev.eval_row(e, &[])?,
        };
        match &u.finalfn {
            None => Ok(state),
            Some(_) if u.final_strict && state.is_null() => Ok(Datum::Null),
            Some(f) => {
                let mut row = Vec::with_capacity(u.nargs + 1);
                row.push(state);
                row.extend(std::iter::repeat_n(Datum::Null, u.nargs));
                ev.eval_row(f, &row)
            }
        }
    }

    /// Adds one `string_agg` value with the delimiter of its row (put
    /// before every value but the first; a NULL delimiter is none).
    pub fn advance_text(&mut self, v: Datum, delimiter: Datum) -> PgResult<()> {
        let Datum::Text(v) = v else {
            return Ok(());
        };
        if let Some(seen) = &mut self.seen
            && !seen.insert(RowKey(vec![Datum::Text(v.clone())]))
        {
            return Ok(());
        }
        self.count += 1;
        match &mut self.text {
            None => self.text = Some(v),
            Some(t) => {
                if let Datum::Text(d) = delimiter {
                    t.push_str(&d);
                }
                t.push_str(&v);
            }
        }
        Ok(())
    }

    /// Adds one input value (`Datum::Null` for `count(*)`, which counts rows).
    pub fn advance(&mut self, call: &AggCall, v: Datum) -> PgResult<()> {
        if call.func == AggFunc::CountStar {
            self.count += 1;
            return Ok(());
        }
        if matches!(
            call.func,
            AggFunc::ArrayAgg | AggFunc::JsonAgg | AggFunc::JsonbAgg
        ) {
            if let Some(seen) = &mut self.seen
                && !seen.insert(RowKey(vec![v.clone()]))
            {
                return Ok(());
            }
            self.count += 1;
            self.values.push(v);
            return Ok(());
        }
        if v.is_null() {
            return Ok(());
        }
        // A (Y, X) pair with a NULL counts for nothing.
        let pair = match (&call.func, &v) {
            (AggFunc::Regr(_), Datum::Array(a)) => match a.elems.as_slice() {
                [Datum::Float8(y), Datum::Float8(x)] => Some((*y, *x)),
                _ => return Ok(()),
            },
            _ => None,
        };
        if let Some(seen) = &mut self.seen
            && !seen.insert(RowKey(vec![v.clone()]))
        {
            return Ok(());
        }
        self.count += 1;
        if let Some((y, x)) = pair {
            // Youngs-Cramer, as PostgreSQL's float8_regr_accum.
            let n = self.count as f64;
            let [sx, sy, sxx, syy, sxy] = &mut self.regr;
            *sx += x;
            *sy += y;
            if self.count > 1 {
                let tmp_x = x * n - *sx;
                let tmp_y = y * n - *sy;
                let scale = 1.0 / (n * (n - 1.0));
                *sxx += tmp_x * tmp_x * scale;
                *syy += tmp_y * tmp_y * scale;
                *sxy += tmp_x * tmp_y * scale;
            }
            return Ok(());
        }
        match call.func {
            AggFunc::CountStar
            | AggFunc::Grouping
            | AggFunc::Count
            | AggFunc::StringAgg
            | AggFunc::ArrayAgg
            | AggFunc::JsonAgg
            | AggFunc::JsonbAgg
            | AggFunc::Regr(_)
            | AggFunc::User => {}
            // Held with their sort keys (see `push_ordered`), never fed.
            AggFunc::PercentileCont
            | AggFunc::PercentileDisc
            | AggFunc::Mode
            | AggFunc::HypotheticalRank
            | AggFunc::HypotheticalDenseRank
            | AggFunc::HypotheticalPercentRank
            | AggFunc::HypotheticalCumeDist => {}
            AggFunc::BoolAnd | AggFunc::BoolOr => {
                let Datum::Bool(b) = v else {
                    return Err(PgError::internal(format!("bool_and/or of {v:?}")));
                };
                let acc = self
                    .best
                    .as_ref()
                    .map_or(call.func == AggFunc::BoolAnd, |d| {
                        matches!(d, Datum::Bool(true))
                    });
                let next = if call.func == AggFunc::BoolAnd {
                    acc && b
                } else {
                    acc || b
                };
                self.best = Some(Datum::Bool(next));
            }
            AggFunc::BitAnd | AggFunc::BitOr | AggFunc::BitXor => {
                let next = match self.best.take() {
                    None => v,
                    Some(acc) => bit_combine(call.func, acc, v)?,
                };
                self.best = Some(next);
            }
            AggFunc::VarSamp | AggFunc::VarPop | AggFunc::StddevSamp | AggFunc::StddevPop => {
                match v {
                    Datum::Float4(_) | Datum::Float8(_) => {
                        let x = match v {
                            Datum::Float4(f) => f64::from(f),
                            Datum::Float8(f) => f,
                            _ => 0.0,
                        };
                        // Youngs-Cramer, as PostgreSQL's float8_accum.
                        let n = self.count as f64;
                        self.float_sum += x;
                        if self.count > 1 {
                            let tmp = x * n - self.float_sum;
                            self.float_sxx += tmp * tmp / (n * (n - 1.0));
                        }
                    }
                    other => {
                        let x = match other {
                            Datum::Int2(i) => Numeric::from_i64(i64::from(i)),
                            Datum::Int4(i) => Numeric::from_i64(i64::from(i)),
                            Datum::Int8(i) => Numeric::from_i64(i),
                            Datum::Numeric(n) => n,
                            o => return Err(PgError::internal(format!("variance of {o:?}"))),
                        };
                        self.num_sum = self.num_sum.add(&x)?;
                        self.num_sumsq = self.num_sumsq.add_wide(&x.mul_wide(&x)?)?;
                    }
                }
            }
            AggFunc::Sum | AggFunc::Avg => match v {
                Datum::Int2(x) => self.int_sum += x as i128,
                Datum::Int4(x) => self.int_sum += x as i128,
                Datum::Int8(x) => self.int_sum += x as i128,
                Datum::Numeric(n) => self.num_sum = self.num_sum.add(&n)?,
                Datum::Float4(x) if call.func == AggFunc::Sum => {
                    self.float_sum = ((self.float_sum as f32) + x) as f64;
                }
                Datum::Float4(x) => self.float_sum += x as f64,
                Datum::Float8(x) => self.float_sum += x,
                // cash_pl: an overflow fails at the row that causes it
                Datum::Money(x) => {
                    let acc = i64::try_from(self.int_sum).unwrap_or(0);
                    self.int_sum = i128::from(types::datum::money::add(acc, x)?);
                }
                // interval_pl: the sum is kept in `best`
                Datum::Interval(x) => {
                    let acc = match &self.best {
                        Some(Datum::Interval(acc)) => *acc,
                        _ => types::datum::Interval::default(),
                    };
                    let sum = acc
                        .checked_add(&x)
                        .ok_or_else(crate::functions::arith::interval_range)?;
                    self.best = Some(Datum::Interval(sum));
                }
                other => return Err(PgError::internal(format!("cannot sum {other:?}"))),
            },
            AggFunc::RangeIntersectAgg => {
                self.best = Some(match (self.best.take(), v) {
                    (Some(Datum::Range(acc)), Datum::Range(r)) => {
                        Datum::Range(Box::new(crate::functions::range::intersect(&acc, &r)?))
                    }
                    (Some(Datum::Multirange(acc)), Datum::Multirange(m)) => Datum::Multirange(
                        Box::new(crate::functions::multirange::multi_intersect(&acc, &m)?),
                    ),
                    (_, v) => v,
                });
            }
            AggFunc::RangeAgg => match v {
                Datum::Range(r) => self.values.push(Datum::Range(r)),
                Datum::Multirange(m) => self
                    .values
                    .extend(m.ranges.into_iter().map(|r| Datum::Range(Box::new(r)))),
                other => return Err(PgError::internal(format!("range_agg of {other:?}"))),
            },
            AggFunc::Min | AggFunc::Max => {
                let replace = match &self.best {
                    None => true,
                    Some(b) => {
                        let o = compare(&v, b)?;
                        if call.func == AggFunc::Min {
                            o == Ordering::Less
                        } else {
                            o == Ordering::Greater
                        }
                    }
                };
                if replace {
                    self.best = Some(v);
                }
            }
        }
        Ok(())
    }

    /// Holds one input of an aggregate with ORDER BY: its sort keys, value
    /// and (`string_agg`) delimiter.
    pub fn push_ordered(&mut self, keys: Vec<Datum>, v: Datum, delimiter: Option<Datum>) {
        self.ordered.push((keys, v, delimiter));
    }

    /// The aggregate's result.
    pub fn finish(&self, ev: &mut Evaluator<'_>, call: &AggCall) -> PgResult<Datum> {
        if call.func.is_ordered_set() {
            return crate::orderedset::finish(ev, call, self.sorted_inputs(call)?);
        }
        if call.order_by.is_empty() {
            return self.finish_fed(ev, call);
        }
        let inputs = self.sorted_inputs(call)?;
        let mut fed = AggAcc::new(call);
        for (_, v, d) in inputs {
            match d {
                Some(d) => fed.advance_text(v, d)?,
                None if call.func == AggFunc::User => fed.advance_user(ev, call, v)?,
                None => fed.advance(call, v)?,
            }
        }
        fed.finish_fed(ev, call)
    }

    /// The inputs held for ORDER BY (or WITHIN GROUP), in that order.
    fn sorted_inputs(&self, call: &AggCall) -> PgResult<Vec<OrderedInput>> {
        let mut inputs = self.ordered.clone();
        let mut err = None;
        inputs.sort_by(|a, b| {
            compare_keys(&a.0, &b.0, &call.order_by).unwrap_or_else(|e| {
                err.get_or_insert(e);
                Ordering::Equal
            })
        });
        match err {
            Some(e) => Err(e),
            None => Ok(inputs),
        }
    }

    /// The result of the values fed so far.
    fn finish_fed(&self, ev: &mut Evaluator<'_>, call: &AggCall) -> PgResult<Datum> {
        let arg_type = call.arg.as_ref().map_or(0, |a| a.type_oid());
        Ok(match call.func {
            AggFunc::User => self.finish_user(ev, call)?,
            AggFunc::PercentileCont
            | AggFunc::PercentileDisc
            | AggFunc::Mode
            | AggFunc::HypotheticalRank
            | AggFunc::HypotheticalDenseRank
            | AggFunc::HypotheticalPercentRank
            | AggFunc::HypotheticalCumeDist => {
                return Err(PgError::internal(
                    "an ordered-set aggregate finished without its sorted inputs",
                ));
            }
            AggFunc::CountStar | AggFunc::Count => Datum::Int8(self.count),
            // A plain GROUP BY groups by every expression (see `Grouper`
            // for grouping sets).
            AggFunc::Grouping => Datum::Int4(0),
            AggFunc::Regr(RegrKind::Count) => Datum::Int8(self.count),
            _ if self.count == 0 => Datum::Null,
            AggFunc::Min
            | AggFunc::Max
            | AggFunc::BoolAnd
            | AggFunc::BoolOr
            | AggFunc::BitAnd
            | AggFunc::BitOr
            | AggFunc::BitXor
            | AggFunc::RangeIntersectAgg => self.best.clone().unwrap_or(Datum::Null),
            AggFunc::StringAgg => self.text.clone().map_or(Datum::Null, Datum::Text),
            AggFunc::RangeAgg => {
                let ranges = self
                    .values
                    .iter()
                    .filter_map(|v| match v {
                        Datum::Range(r) => Some((**r).clone()),
                        _ => None,
                    })
                    .collect();
                Datum::Multirange(Box::new(types::datum::MultirangeValue::new(
                    call.type_oid,
                    ranges,
                )?))
            }
            // array_agg(anyarray): one more dimension.
            AggFunc::ArrayAgg if call.type_oid == arg_type => {
                let elem = types::oid::element_of(arg_type).unwrap_or(types::oid::TEXT);
                Datum::Array(Box::new(types::datum::array::accumulate(
                    elem,
                    &self.values,
                )?))
            }
            AggFunc::ArrayAgg => Datum::Array(Box::new(types::datum::ArrayValue::new(
                arg_type,
                self.values.clone(),
            ))),
            AggFunc::JsonAgg => {
                let mut out = String::from("[");
                for (i, v) in self.values.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match v {
                        Datum::Text(s) if i == 0 => {
                            out.push_str(s.strip_prefix("\n ").unwrap_or(s))
                        }
                        Datum::Text(s) => out.push_str(s),
                        _ => out.push_str("null"),
                    }
                }
                out.push(']');
                Datum::Text(out)
            }
            AggFunc::JsonbAgg => Datum::Jsonb(Box::new(Jsonb::Array(
                self.values
                    .iter()
                    .map(|v| match v {
                        Datum::Jsonb(j) => (**j).clone(),
                        _ => Jsonb::Null,
                    })
                    .collect(),
            ))),
            AggFunc::Sum => match arg_type {
                INT2 | INT4 => {
                    Datum::Int8(i64::try_from(self.int_sum).map_err(|_| out_of_range(INT8))?)
                }
                INT8 => Datum::Numeric(Numeric::new(self.int_sum, 0)),
                NUMERIC => Datum::Numeric(self.num_sum.clone()),
                FLOAT4 => Datum::Float4(self.float_sum as f32),
                MONEY => Datum::Money(i64::try_from(self.int_sum).unwrap_or(0)),
                INTERVAL => self.best.clone().unwrap_or(Datum::Null),
                _ => Datum::Float8(self.float_sum),
            },
            AggFunc::Regr(kind) => regr_final(kind, self.count, self.regr),
            AggFunc::VarSamp | AggFunc::VarPop | AggFunc::StddevSamp | AggFunc::StddevPop => {
                let sample = matches!(call.func, AggFunc::VarSamp | AggFunc::StddevSamp);
                let root = matches!(call.func, AggFunc::StddevSamp | AggFunc::StddevPop);
                if sample && self.count < 2 {
                    return Ok(Datum::Null);
                }
                if matches!(arg_type, FLOAT4 | FLOAT8) {
                    let n = self.count as f64;
                    let var = self.float_sxx / if sample { n - 1.0 } else { n };
                    Datum::Float8(if root { var.sqrt() } else { var })
                } else {
                    variance_numeric(self.count, &self.num_sum, &self.num_sumsq, sample, root)?
                }
            }
            AggFunc::Avg => {
                let n = Numeric::from_i64(self.count);
                match arg_type {
                    INT2 | INT4 | INT8 => Datum::Numeric(Numeric::new(self.int_sum, 0).div(&n)?),
                    NUMERIC => Datum::Numeric(self.num_sum.div(&n)?),
                    INTERVAL => match &self.best {
                        Some(Datum::Interval(sum)) => Datum::Interval(
                            crate::functions::datetime::interval_div(sum, self.count as f64)?,
                        ),
                        _ => Datum::Null,
                    },
                    _ => Datum::Float8(self.float_sum / self.count as f64),
                }
            }
        })
    }
}

/// The result of a two-variable statistic over `n` pairs with the running
/// sums `[Σx, Σy, Sxx, Syy, Sxy]` (PostgreSQL 15's `float8_corr`,
/// `float8_regr_slope`, ...): NULL without enough pairs or with no spread
/// where the formula divides by it; `regr_count` is 0 over none.
fn regr_final(kind: RegrKind, n: i64, sums: [f64; 5]) -> Datum {
    let [sx, sy, sxx, syy, sxy] = sums;
    if kind == RegrKind::Count {
        return Datum::Int8(n);
    }
    let nf = n as f64;
    let value = match kind {
        _ if n < 1 => None,
        RegrKind::Count => Some(nf),
        RegrKind::Sxx => Some(sxx),
        RegrKind::Syy => Some(syy),
        RegrKind::Sxy => Some(sxy),
        RegrKind::AvgX => Some(sx / nf),
        RegrKind::AvgY => Some(sy / nf),
        RegrKind::CovarPop => Some(sxy / nf),
        RegrKind::CovarSamp => (n >= 2).then(|| sxy / (nf - 1.0)),
        RegrKind::Corr => (sxx != 0.0 && syy != 0.0).then(|| sxy / (sxx * syy).sqrt()),
        RegrKind::R2 if sxx == 0.0 => None,
        RegrKind::R2 if syy == 0.0 => Some(1.0),
        RegrKind::R2 => Some((sxy * sxy) / (sxx * syy)),
        RegrKind::Slope => (sxx != 0.0).then(|| sxy / sxx),
        RegrKind::Intercept => (sxx != 0.0).then(|| (sy - sx * sxy / sxx) / nf),
    };
    value.map_or(Datum::Null, Datum::Float8)
}

/// The variance or standard deviation of exact numbers, as PostgreSQL's
/// `numeric_stddev_internal`: (N·Σx² − (Σx)²) / (N·(N−1)) (or N² for the
/// population), zero when rounding makes it negative.
fn variance_numeric(
    count: i64,
    sum: &Numeric,
    sumsq: &Numeric,
    sample: bool,
    root: bool,
) -> PgResult<Datum> {
    let n = Numeric::from_i64(count);
    let numerator = n.mul_wide(sumsq)?.add_wide(&sum.mul_wide(sum)?.neg())?;
    if numerator.total_cmp(&Numeric::from_i64(0)) != Ordering::Greater {
        return Ok(Datum::Numeric(Numeric::from_i64(0)));
    }
    let denominator = if sample {
        n.mul(&Numeric::from_i64(count - 1))?
    } else {
        n.mul(&n)?
    };
    let var = numerator.div(&denominator)?;
    if !root {
        return Ok(Datum::Numeric(var));
    }
    // The root at the quotient's scale.
    let scale = var.scale();
    Ok(Datum::Numeric(var.sqrt_at(scale)?))
}

/// Groups source rows and runs the aggregates over each group.
pub struct Grouper<'p> {
    agg: &'p Aggregate,
    groups: BTreeMap<RowKey, Vec<AggAcc>>,
    /// With rows sorted by the keys (`Aggregate::sorted`): the groups
    /// done, in order, and the one rows are being added to.
    done: Vec<(RowKey, Vec<AggAcc>)>,
    current: Option<(RowKey, Vec<AggAcc>)>,
}

impl<'p> Grouper<'p> {
    pub fn new(agg: &'p Aggregate) -> Grouper<'p> {
        let mut groups = BTreeMap::new();
        let fresh = || agg.aggs.iter().map(AggAcc::new).collect::<Vec<_>>();
        if agg.group_by.is_empty() && agg.sets.is_empty() {
            groups.insert(RowKey(vec![]), fresh());
        }
        // An empty grouping set has its one row even over no input.
        for (i, set) in agg.sets.iter().enumerate() {
            if set.is_empty() {
                groups.insert(RowKey(set_key(i, set, &[], agg.group_by.len())), fresh());
            }
        }
        Grouper {
            agg,
            groups,
            done: Vec::new(),
            current: None,
        }
    }

    /// Adds one (qualifying) source row.
    pub fn advance(&mut self, ev: &mut Evaluator<'_>, row: &[Datum]) -> PgResult<()> {
        let agg = self.agg;
        if agg.group_by.is_empty() && agg.sets.is_empty() {
            // One group, made by `new`: no key to build or look up per row.
            let accs = self
                .groups
                .values_mut()
                .next()
                .ok_or_else(|| PgError::internal("aggregate without its single group"))?;
            return feed(agg, accs, ev, row);
        }
        let mut values = Vec::with_capacity(agg.group_by.len());
        for g in &agg.group_by {
            values.push(ev.eval_row(g, row)?);
        }
        if agg.sorted && agg.sets.is_empty() {
            // Sorted input: a new key closes the group before it.
            let key = RowKey(values);
            let same = self.current.as_ref().is_some_and(|(k, _)| *k == key);
            if !same {
                let fresh = agg.aggs.iter().map(AggAcc::new).collect();
                if let Some(done) = self.current.replace((key, fresh)) {
                    self.done.push(done);
                }
            }
            let Some((_, accs)) = self.current.as_mut() else {
                return Err(PgError::internal("sorted aggregate without its group"));
            };
            return feed(agg, accs, ev, row);
        }
        if agg.sets.is_empty() {
            let accs = self
                .groups
                .entry(RowKey(values))
                .or_insert_with(|| agg.aggs.iter().map(AggAcc::new).collect());
            return feed(agg, accs, ev, row);
        }
        for (i, set) in agg.sets.iter().enumerate() {
            let key = set_key(i, set, &values, agg.group_by.len());
            let accs = self
                .groups
                .entry(RowKey(key))
                .or_insert_with(|| agg.aggs.iter().map(AggAcc::new).collect());
            feed(agg, accs, ev, row)?;
        }
        Ok(())
    }

    /// The aggregated rows: `[group keys.., aggregate results..]`.
    pub fn finish(self, ev: &mut Evaluator<'_>) -> PgResult<Vec<Vec<Datum>>> {
        let mut out = Vec::with_capacity(self.groups.len() + self.done.len() + 1);
        let sorted = self.done.into_iter().chain(self.current);
        for (key, accs) in sorted.chain(self.groups) {
            let mut row = key.0;
            // With grouping sets the key is flags and values, then the
            // set's number (see `set_key`).
            let set = match self.agg.sets.is_empty() {
                true => None,
                false => {
                    let set = match row.pop() {
                        Some(Datum::Int4(i)) => self.agg.sets.get(i as usize),
                        _ => None,
                    };
                    row = row.into_iter().skip(1).step_by(2).collect();
                    set
                }
            };
            for (call, acc) in self.agg.aggs.iter().zip(&accs) {
                row.push(match (call.func, set) {
                    (AggFunc::Grouping, Some(set)) => {
                        let mut bits = 0i32;
                        for g in &call.grouping {
                            bits = (bits << 1) | i32::from(!set.contains(g));
                        }
                        Datum::Int4(bits)
                    }
                    _ => acc.finish(ev, call)?,
                });
            }
            out.push(row);
        }
        Ok(out)
    }
}

/// The group key of a row in grouping set `i`: per GROUP BY expression
/// whether the set leaves it out (1) and its value (NULL then), then the
/// set's number. Groups come out in this order, which puts a ROLLUP's
/// subtotal after the groups it sums, as PostgreSQL's sorted grouping does.
fn set_key(i: usize, set: &[usize], values: &[Datum], width: usize) -> Vec<Datum> {
    let mut key = Vec::with_capacity(2 * width + 1);
    for g in 0..width {
        let kept = set.contains(&g);
        key.push(Datum::Int4(i32::from(!kept)));
        key.push(match kept {
            true => values.get(g).cloned().unwrap_or(Datum::Null),
            false => Datum::Null,
        });
    }
    key.push(Datum::Int4(i as i32));
    key
}

/// Feeds one source row to a group's aggregates.
fn feed(
    agg: &Aggregate,
    accs: &mut [AggAcc],
    ev: &mut Evaluator<'_>,
    row: &[Datum],
) -> PgResult<()> {
    for (call, acc) in agg.aggs.iter().zip(accs.iter_mut()) {
        if let Some(f) = &call.filter
            && ev.eval_row(f, row)? != Datum::Bool(true)
        {
            continue;
        }
        let v = match &call.arg {
            Some(a) => ev.eval_row(a, row)?,
            None => Datum::Null,
        };
        let d = match &call.delimiter {
            Some(d) => Some(ev.eval_row(d, row)?),
            None => None,
        };
        if !call.order_by.is_empty() {
            let mut keys = Vec::with_capacity(call.order_by.len());
            for (k, _, _) in &call.order_by {
                keys.push(ev.eval_row(k, row)?);
            }
            acc.push_ordered(keys, v, d);
            continue;
        }
        match d {
            Some(d) => acc.advance_text(v, d)?,
            None if call.func == AggFunc::User => acc.advance_user(ev, call, v)?,
            None => acc.advance(call, v)?,
        }
    }
    Ok(())
}

/// One step of `bit_and` / `bit_or` / `bit_xor`: integers bitwise, bit
/// strings of one length (22026 otherwise).
fn bit_combine(func: AggFunc, acc: Datum, v: Datum) -> PgResult<Datum> {
    let op = match func {
        AggFunc::BitAnd => '&',
        AggFunc::BitOr => '|',
        _ => '#',
    };
    fn apply<T>(op: char, a: T, b: T) -> T
    where
        T: std::ops::BitAnd<Output = T>
            + std::ops::BitOr<Output = T>
            + std::ops::BitXor<Output = T>,
    {
        match op {
            '&' => a & b,
            '|' => a | b,
            _ => a ^ b,
        }
    }
    Ok(match (acc, v) {
        (Datum::Int2(a), Datum::Int2(b)) => Datum::Int2(apply(op, a, b)),
        (Datum::Int4(a), Datum::Int4(b)) => Datum::Int4(apply(op, a, b)),
        (Datum::Int8(a), Datum::Int8(b)) => Datum::Int8(apply(op, a, b)),
        (Datum::Bit(a), Datum::Bit(b)) => Datum::Bit(Box::new(a.bitwise(&b, op)?)),
        (a, b) => {
            return Err(PgError::internal(format!(
                "bit aggregate of {a:?} and {b:?}"
            )));
        }
    })
}
