//! Built-in functions and operators, dispatched on the implementation name the
//! planner resolved (see `planner::analyze::func`). One file per concern.

pub mod arith;
pub mod array;
pub mod bits;
pub mod bytea;
pub mod datetime;
pub mod describe;
pub mod enums;
pub mod extract;
pub mod formatting;
pub mod geo;
pub mod hashpart;
pub mod json;
pub mod jsonpath;
pub mod jsonpath_datetime;
pub mod math;
pub mod money;
pub mod multirange;
pub mod network;
pub mod range;
pub mod regex;
pub mod session;
pub mod string;
pub mod tsearch;
pub mod wal;
pub mod xid;

use types::{Datum, PgError, PgResult};

use crate::expr::Evaluator;

/// A built-in function called with `VARIADIC array` (`format('%s %s',
/// VARIADIC a)`): `args` are the function's implementation name, its
/// leading arguments and the array, whose elements become its trailing
/// arguments. A NULL array makes the result NULL, but for `format`, which
/// then has no arguments to format.
fn variadic_spread(
    args: &[Datum],
    arg_types: &[u32],
    ret: u32,
    ev: &mut Evaluator<'_>,
) -> PgResult<Datum> {
    let (Some(Datum::Text(func)), Some((array, leading))) =
        (args.first(), args.get(1..).and_then(<[Datum]>::split_last))
    else {
        return Err(PgError::internal("variadic_spread without its function"));
    };
    let mut values = leading.to_vec();
    let mut types = arg_types
        .get(1..1 + leading.len())
        .unwrap_or_default()
        .to_vec();
    match array {
        Datum::Array(a) => {
            let element = a.elem_type;
            for v in a.elems.iter() {
                values.push(v.clone());
                types.push(element);
            }
        }
        Datum::Null if func == "format" => {}
        Datum::Null => return Ok(Datum::Null),
        _ => return Err(PgError::internal("variadic_spread of a non-array")),
    }
    call(func, &values, &types, ret, ev)
}

/// Calls implementation `func` with evaluated arguments (of `arg_types`) returning
/// a value of `ret`. Strict functions never see NULL arguments.
pub fn call(
    func: &str,
    args: &[Datum],
    arg_types: &[u32],
    ret: u32,
    ev: &mut Evaluator<'_>,
) -> PgResult<Datum> {
    if func == "variadic_spread" {
        return variadic_spread(args, arg_types, ret, ev);
    }
    if func == "record_field" {
        // `(x).f`: field `args[1]` of the composite value (the planner
        // checked the field exists in the type).
        return match (arg(args, 0)?, arg(args, 1)?) {
            (Datum::Record(r), Datum::Int4(i)) => {
                Ok(r.values.get(*i as usize).cloned().unwrap_or(Datum::Null))
            }
            _ => Err(PgError::internal("field selection from a non-record value")),
        };
    }
    // json[b]_populate_record(base, json): one row of the base's type.
    if matches!(func, "json_populate_record" | "jsonb_populate_record") {
        let fields = match (types::datum::record::fields_of(ret), args.get(2)) {
            (Some(f), _) => f,
            // An anonymous base record: its own fields.
            (None, Some(Datum::Record(r))) => r.fields.clone(),
            _ => return Err(PgError::internal("populate_record of a non-composite type")),
        };
        let types: Vec<u32> = fields.iter().map(|f| f.type_oid).collect();
        let mut rows = json::record_rows(func, args, &types, &ev.opts)?.unwrap_or_default();
        return Ok(match rows.pop() {
            Some(values) => Datum::Record(Box::new(types::datum::RecordValue {
                type_oid: ret,
                fields,
                values,
            })),
            None => Datum::Null,
        });
    }
    if let Some(r) = arith::call(func, args)? {
        return Ok(r);
    }
    if let Some(r) = math::call(func, args)? {
        return Ok(r);
    }
    if let Some(r) = string::call(func, args, arg_types, ev)? {
        return Ok(r);
    }
    if let Some(r) = bytea::call(func, args)? {
        return Ok(r);
    }
    if let Some(r) = datetime::call(func, args, ev)? {
        return Ok(r);
    }
    if let Some(r) = extract::call(func, args, ev)? {
        return Ok(r);
    }
    if let Some(r) = session::call(func, args, ev)? {
        return Ok(r);
    }
    if let Some(r) = describe::call(func, args, ev)? {
        return Ok(r);
    }
    if let Some(r) = hashpart::call(func, args)? {
        return Ok(r);
    }
    if let Some(r) = wal::call(func, args, ev)? {
        return Ok(r);
    }
    if let Some(r) = network::call(func, args)? {
        return Ok(r);
    }
    if let Some(r) = geo::call(func, args)? {
        return Ok(r);
    }
    if let Some(r) = money::call(func, args)? {
        return Ok(r);
    }
    if let Some(r) = regex::call(func, args)? {
        return Ok(r);
    }
    if let Some(r) = formatting::call(func, args, &ev.opts)? {
        return Ok(r);
    }
    if let Some(r) = jsonpath::call(func, args, &ev.opts)? {
        return Ok(r);
    }
    if let Some(r) = json::call(func, args, arg_types, &ev.opts)? {
        return Ok(r);
    }
    if let Some(r) = array::call(func, args, ret, &ev.opts)? {
        return Ok(r);
    }
    if let Some(r) = enums::call(func, args, ret)? {
        return Ok(r);
    }
    if let Some(r) = range::call(func, args, ret)? {
        return Ok(r);
    }
    if let Some(r) = multirange::call(func, args, ret)? {
        return Ok(r);
    }
    if let Some(r) = tsearch::call(func, args, ev)? {
        return Ok(r);
    }
    if let Some(r) = bits::call(func, args)? {
        return Ok(r);
    }
    if let Some(r) = xid::call(func, args, ret, ev)? {
        return Ok(r);
    }
    Err(PgError::internal(format!(
        "no implementation for function {func} returning type {ret}"
    )))
}

/// The n-th argument, or an internal error (the planner guarantees arity).
pub(crate) fn arg(args: &[Datum], n: usize) -> PgResult<&Datum> {
    args.get(n)
        .ok_or_else(|| PgError::internal(format!("missing argument {}", n + 1)))
}
