//! The `money` operators and functions (PostgreSQL's `utils/adt/cash.c`):
//! arithmetic with overflow checks (`money out of range`), multiplication and
//! division by integers (division truncates) and floats (the result rounds half
//! to even), `money / money` as float8, `cashlarger` / `cashsmaller` and
//! `cash_words`. Values are cents; see `types::datum::money`. The `macaddr`
//! and `macaddr8` operators live here too (see [`macaddr`]).

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
        _ => return macaddr(func, args),
    }))
}

/// The macaddr and macaddr8 operators and functions (`mac.c`, `mac8.c`):
/// bitwise not, and, or; `trunc` keeps the first three bytes (the
/// manufacturer); `macaddr8_set7bit` sets the universal/local bit that
/// modified EUI-64 uses.
fn macaddr(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    fn bytes(d: &Datum) -> Option<&[u8]> {
        match d {
            Datum::MacAddr(m) => Some(m),
            Datum::MacAddr8(m) => Some(m),
            _ => None,
        }
    }
    fn rebuild(like: &Datum, b: Vec<u8>) -> Datum {
        match like {
            Datum::MacAddr(_) => {
                let mut m = [0u8; 6];
                m.copy_from_slice(&b[..6]);
                Datum::MacAddr(m)
            }
            _ => {
                let mut m = [0u8; 8];
                m.copy_from_slice(&b[..8]);
                Datum::MacAddr8(m)
            }
        }
    }
    let Some(first) = args.first() else {
        return Ok(None);
    };
    let Some(a) = bytes(first) else {
        return Ok(None);
    };
    let other = args.get(1).and_then(bytes);
    Ok(Some(match (func, other) {
        ("macaddr_not", None) => rebuild(first, a.iter().map(|x| !x).collect()),
        ("macaddr_and", Some(b)) => rebuild(first, a.iter().zip(b).map(|(x, y)| x & y).collect()),
        ("macaddr_or", Some(b)) => rebuild(first, a.iter().zip(b).map(|(x, y)| x | y).collect()),
        ("macaddr_trunc", None) => rebuild(
            first,
            a.iter()
                .enumerate()
                .map(|(i, x)| if i < 3 { *x } else { 0 })
                .collect(),
        ),
        ("macaddr8_set7bit", None) => {
            let mut b = a.to_vec();
            b[0] |= 0x02;
            rebuild(first, b)
        }
        _ => return Ok(None),
    }))
}
