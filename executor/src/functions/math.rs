//! Mathematical functions: rounding, roots, powers, logarithms, random.

use std::sync::atomic::{AtomicU64, Ordering};

use types::datum::Numeric;
use types::{Datum, PgError, PgResult, SqlState};

use super::arith::{check_float, float_overflow, numeric_power};

fn power_error(msg: &str) -> PgError {
    PgError::new(SqlState::InvalidArgumentForPowerFunction, msg)
}

fn log_error(msg: &str) -> PgError {
    PgError::new(SqlState::InvalidArgumentForLogarithm, msg)
}

fn ln_checks(x: f64) -> PgResult<()> {
    if x == 0.0 {
        return Err(log_error("cannot take logarithm of zero"));
    }
    if x < 0.0 {
        return Err(log_error("cannot take logarithm of a negative number"));
    }
    Ok(())
}

fn next_random() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut s = STATE.load(Ordering::Relaxed);
    if s == 0 {
        s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
            ^ (std::process::id() as u64) << 32
            | 1;
    }
    // xorshift64*
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    STATE.store(s, Ordering::Relaxed);
    let v = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
    (v >> 11) as f64 / (1u64 << 53) as f64
}

/// A version 4 UUID: 122 bits from the kernel's random source (which is
/// what PostgreSQL's strong random source is on Linux too).
fn random_uuid() -> PgResult<[u8; 16]> {
    use std::io::Read;
    let mut u = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut u))
        .map_err(|e| PgError::internal(format!("could not generate random values: {e}")))?;
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    Ok(u)
}

pub fn call(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    use Datum::{Float8 as F, Int4, Numeric as N};
    Ok(Some(match (func, args) {
        ("pi", []) => F(std::f64::consts::PI),
        ("random", []) => F(next_random()),
        ("gen_random_uuid", []) => Datum::Uuid(random_uuid()?),
        ("ceil", [F(x)]) => F(x.ceil()),
        ("floor", [F(x)]) => F(x.floor()),
        ("round", [F(x)]) => F(x.round_ties_even()),
        ("trunc", [F(x)]) => F(x.trunc()),
        ("sign", [F(x)]) => F(if *x > 0.0 {
            1.0
        } else if *x < 0.0 {
            -1.0
        } else {
            0.0
        }),
        ("sqrt", [F(x)]) => {
            if *x < 0.0 {
                return Err(power_error("cannot take square root of a negative number"));
            }
            F(x.sqrt())
        }
        ("cbrt", [F(x)]) => F(x.cbrt()),
        ("exp", [F(x)]) => {
            let r = x.exp();
            F(check_float(
                r,
                x.is_infinite(),
                *x != f64::NEG_INFINITY && r == 0.0 || r != 0.0,
            )?)
        }
        ("ln", [F(x)]) => {
            ln_checks(*x)?;
            F(x.ln())
        }
        ("log10", [F(x)]) => {
            ln_checks(*x)?;
            F(x.log10())
        }
        ("degrees", [F(x)]) => F(x.to_degrees()),
        ("radians", [F(x)]) => F(x.to_radians()),
        ("pow", [F(a), F(b)]) => {
            if *a == 0.0 && *b < 0.0 {
                return Err(power_error("zero raised to a negative power is undefined"));
            }
            if *a < 0.0 && b.fract() != 0.0 && b.is_finite() {
                return Err(power_error(
                    "a negative number raised to a non-integer power yields a complex result",
                ));
            }
            let r = a.powf(*b);
            if r.is_infinite() && a.is_finite() && b.is_finite() {
                return Err(float_overflow());
            }
            F(r)
        }
        ("ceil", [N(x)]) => N(x.ceil_floor(true)?),
        ("floor", [N(x)]) => N(x.ceil_floor(false)?),
        ("round", [N(x)]) => N(x.round_to(0, false)?),
        ("round", [N(x), Int4(d)]) => N(x.round_to(*d, false)?),
        ("trunc", [N(x)]) => N(x.round_to(0, true)?),
        ("trunc", [N(x), Int4(d)]) => N(x.round_to(*d, true)?),
        ("sign", [N(x)]) => N(x.sign()),
        ("sqrt", [N(x)]) => N(x.sqrt()?),
        ("pow", [N(a), N(b)]) => N(numeric_power(a, b)?),
        ("exp", [N(x)]) => N(x.exp()?),
        ("ln", [N(x)]) => N(x.ln()?),
        // SQL functions in PostgreSQL (`select log(10, $1)`): their errors say so
        ("log10" | "log", [N(x)]) => N(Numeric::log(&Numeric::new(10, 0), x)
            .map_err(|e| e.with_context(format!("SQL function \"{func}\" statement 1")))?),
        ("log", [N(b), N(x)]) => N(Numeric::log(b, x)?),
        ("numeric_inc", [N(x)]) => N(x.add(&Numeric::new(1, 0))?),
        _ => return Ok(None),
    }))
}

#[allow(dead_code)]
fn numeric_zero() -> Numeric {
    Numeric::ZERO
}
