//! Text output of `real` and `double precision` as PostgreSQL 12+ prints them.
//!
//! With `extra_float_digits > 0` (the default is 1) the output is the shortest
//! decimal string that reads back to the same value, in fixed notation when the
//! decimal exponent is in `-4 ..= precision-1` (precision 15 for float8, 6 for float4)
//! and as `1e+100` otherwise. With `extra_float_digits <= 0` it is `%.{p}g` with
//! `p = precision + extra_float_digits`.

/// Formats `digits` (significant digits, no leading zeros) times `10^exp` where
/// `exp` is the exponent of the first digit, %g style.
fn layout(neg: bool, digits: &str, exp: i32, precision: i32) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= precision {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    } else if exp < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// Splits Rust's `{:e}` rendering (`-1.2345e-5`) into sign, digits and exponent.
fn split_exp(s: &str) -> (bool, String, i32) {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let mut digits: String = mant.chars().filter(|c| *c != '.').collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (neg, digits, exp.parse().unwrap_or(0))
}

fn special(v: f64) -> Option<String> {
    if v.is_nan() {
        Some("NaN".into())
    } else if v.is_infinite() {
        Some(if v > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else if v == 0.0 {
        Some(if v.is_sign_negative() { "-0" } else { "0" }.into())
    } else {
        None
    }
}

/// `float8out`.
pub fn format_float8(v: f64, extra_float_digits: i32) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    if extra_float_digits > 0 {
        let (neg, digits, exp) = split_exp(&format!("{v:e}"));
        layout(neg, &digits, exp, 15)
    } else {
        let p = (15 + extra_float_digits).max(1);
        let (neg, digits, exp) = split_exp(&format!("{:.*e}", (p - 1) as usize, v));
        layout(neg, &digits, exp, p)
    }
}

/// `float4out`.
pub fn format_float4(v: f32, extra_float_digits: i32) -> String {
    if let Some(s) = special(v as f64) {
        return s;
    }
    if extra_float_digits > 0 {
        let (neg, digits, exp) = split_exp(&format!("{v:e}"));
        layout(neg, &digits, exp, 6)
    } else {
        let p = (6 + extra_float_digits).max(1);
        let (neg, digits, exp) = split_exp(&format!("{:.*e}", (p - 1) as usize, v));
        layout(neg, &digits, exp, p)
    }
}

/// `float8in` number syntax (also `Infinity`, `inf`, `NaN`, case-insensitive).
pub fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => return Some(f64::NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => return Some(f64::INFINITY),
        "-infinity" | "-inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    // Rust accepts "inf"/"nan" spellings we handled and nothing exotic otherwise;
    // reject forms PostgreSQL rejects (hex, underscores are already rejected).
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    t.parse::<f64>().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shortest_round_trip() {
        assert_eq!(format_float8(0.1, 1), "0.1");
        assert_eq!(format_float8(1e100, 1), "1e+100");
        assert_eq!(format_float8(1e15, 1), "1e+15");
        assert_eq!(format_float8(123456789012345.0, 1), "123456789012345");
        assert_eq!(format_float8(1e-4, 1), "0.0001");
        assert_eq!(format_float8(1e-5, 1), "1e-05");
        assert_eq!(format_float8(f64::INFINITY, 1), "Infinity");
        assert_eq!(format_float8(-0.0, 1), "-0");
        assert_eq!(format_float4(1e6, 1), "1e+06");
        assert_eq!(format_float4(1234567.0, 1), "1.234567e+06");
        assert_eq!(format_float4(std::f32::consts::PI, 1), "3.1415927");
    }

    #[test]
    fn legacy_precision() {
        assert_eq!(format_float8(1.0 / 3.0, 0), "0.333333333333333");
        assert_eq!(format_float8(1e14, 0), "100000000000000");
        assert_eq!(format_float8(1e15, 0), "1e+15");
        assert_eq!(format_float4(std::f32::consts::PI, 0), "3.14159");
    }
}
