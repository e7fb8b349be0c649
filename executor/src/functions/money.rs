//! The `money` operators and functions (PostgreSQL's `utils/adt/cash.c`):
//! arithmetic with overflow checks (`money out of range`), multiplication and
//! division by integers (division truncates) and floats (the result rounds half
//! to even), `money / money` as float8, `cashlarger` / `cashsmaller` and
//! `cash_words`. Values are cents; see `types::datum::money`.

use types::datum::money;
use types::{Datum, PgResult};

/// The integer or float factor of a `money * n` or `money / n`.
enum Factor {
    Int(i64),
    Float(f64),
}

fn factor(d: &Datum) -> Option<Factor> {
    Some(match d {
        Datum::Int2(i) => Factor::Int(i64::from(*i)),
        Datum::Int4(i) => Factor::Int(i64::from(*i)),
        Datum::Int8(i) => Factor::Int(*i),
        Datum::Float4(f) => Factor::Float(f64::from(*f)),
        Datum::Float8(f) => Factor::Float(*f),
        _ => return None,
    })
}

fn mul(c: i64, f: Factor) -> PgResult<i64> {
    match f {
        Factor::Int(i) => money::mul_int(c, i),
        Factor::Float(x) => money::mul_float(c, x),
    }
}

pub fn call(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    Ok(Some(match (func, args) {
        ("cash_pl", [Datum::Money(a), Datum::Money(b)]) => Datum::Money(money::add(*a, *b)?),
        ("cash_mi", [Datum::Money(a), Datum::Money(b)]) => Datum::Money(money::sub(*a, *b)?),
        ("cash_div_cash", [Datum::Money(a), Datum::Money(b)]) => {
            Datum::Float8(money::div_money(*a, *b)?)
        }
        ("cash_mul", [Datum::Money(c), f]) | ("mul_cash", [f, Datum::Money(c)]) => {
            match factor(f) {
                Some(f) => Datum::Money(mul(*c, f)?),
                None => return Ok(None),
            }
        }
        ("cash_div", [Datum::Money(c), f]) => match factor(f) {
            Some(Factor::Int(i)) => Datum::Money(money::div_int(*c, i)?),
            Some(Factor::Float(x)) => Datum::Money(money::div_float(*c, x)?),
            None => return Ok(None),
        },
        ("cashlarger", [Datum::Money(a), Datum::Money(b)]) => Datum::Money(*a.max(b)),
        ("cashsmaller", [Datum::Money(a), Datum::Money(b)]) => Datum::Money(*a.min(b)),
        ("cash_words", [Datum::Money(c)]) => Datum::Text(money::words(*c)),
        _ => return Ok(None),
    }))
}
