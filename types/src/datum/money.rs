//! `money`: a signed 64-bit count of cents, read and printed as PostgreSQL
//! does under `lc_monetary = C` (two fraction digits, `.` as the decimal point,
//! `,` between groups of three digits, `$` as the currency symbol, `-` and `+`
//! as signs).
//!
//! Input is forgiving in PostgreSQL's way: an optional currency symbol and
//! sign (or an opening parenthesis) in either order, group separators anywhere
//! among the integer digits, a third fraction digit that rounds half up and
//! further digits that are ignored, then only blanks, `)`, signs and currency
//! symbols. The value is accumulated as a negative number so that the most
//! negative amount can be read.

use crate::{PgError, PgResult, SqlState};

/// Digits after the decimal point (`frac_digits` of the C locale, which
/// PostgreSQL replaces by 2).
pub const FRACTION_DIGITS: u32 = 2;

fn out_of_range(s: &str) -> PgError {
    PgError::new(
        SqlState::NumericValueOutOfRange,
        format!("value \"{s}\" is out of range for type money"),
    )
}

/// `cash_in`.
pub fn parse(input: &str) -> PgResult<i64> {
    let b = input.as_bytes();
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let skip_currency = |i: &mut usize| {
        if b.get(*i) == Some(&b'$') {
            *i += 1;
        }
    };
    skip_space(&mut i);
    skip_currency(&mut i);
    skip_space(&mut i);
    let mut negative = false;
    match b.get(i) {
        Some(b'-') | Some(b'(') => {
            negative = true;
            i += 1;
        }
        Some(b'+') => i += 1,
        _ => {}
    }
    skip_space(&mut i);
    skip_currency(&mut i);
    skip_space(&mut i);
    // Built negative so that i64::MIN is reachable.
    let mut value: i64 = 0;
    let mut decimals = 0;
    let mut seen_dot = false;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() && (!seen_dot || decimals < FRACTION_DIGITS) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_sub(i64::from(c - b'0')))
                .ok_or_else(|| out_of_range(input))?;
            if seen_dot {
                decimals += 1;
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
        } else if c != b',' {
            break;
        }
        i += 1;
    }
    // A further digit rounds (half away from zero).
    if i < b.len() && (b'5'..=b'9').contains(&b[i]) {
        value = value.checked_sub(1).ok_or_else(|| out_of_range(input))?;
    }
    while decimals < FRACTION_DIGITS {
        value = value.checked_mul(10).ok_or_else(|| out_of_range(input))?;
        decimals += 1;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_whitespace() => {}
            b')' | b'+' | b'$' => {}
            b'-' => negative = true,
            _ => {
                return Err(PgError::new(
                    SqlState::InvalidTextRepresentation,
                    format!("invalid input syntax for type money: \"{input}\""),
                ));
            }
        }
        i += 1;
    }
    if negative {
        Ok(value)
    } else {
        value.checked_neg().ok_or_else(|| out_of_range(input))
    }
}

/// `cash_out`: `$1,234.56`, `-$1.00`.
pub fn format(cents: i64) -> String {
    let magnitude = cents.unsigned_abs();
    let whole = (magnitude / 100).to_string();
    let mut out = String::with_capacity(whole.len() * 4 / 3 + 6);
    if cents < 0 {
        out.push('-');
    }
    out.push('$');
    for (k, ch) in whole.chars().enumerate() {
        if k > 0 && (whole.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out.push('.');
    out.push_str(&format!("{:02}", magnitude % 100));
    out
}

/// One group of up to three digits in words (PostgreSQL's `num_word`).
fn number_words(value: u64) -> String {
    const SMALL: [&str; 28] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
    ];
    let tens = |t: u64| SMALL[(t / 10 + 18) as usize];
    let small = |n: u64| SMALL[n as usize];
    let tu = value % 100;
    if value <= 20 {
        return small(value).to_string();
    }
    if tu == 0 {
        return format!("{} hundred", small(value / 100));
    }
    let tail = if value.is_multiple_of(10) && tu > 10 {
        tens(tu).to_string()
    } else if tu < 20 {
        small(tu).to_string()
    } else {
        format!("{} {}", tens(tu), small(tu % 10))
    };
    if value > 99 {
        if tu < 20 {
            format!("{} hundred and {tail}", small(value / 100))
        } else {
            format!("{} hundred {tail}", small(value / 100))
        }
    } else {
        tail
    }
}

/// `cash_words`: the amount in English words (`One dollar and twenty cents`).
pub fn words(cents: i64) -> String {
    let mut out = String::new();
    if cents < 0 {
        out.push_str("minus ");
    }
    let prefix_len = out.len();
    let v = cents.unsigned_abs();
    let groups = [
        (v / 100_000_000_000_000_000 % 1000, " quadrillion "),
        (v / 100_000_000_000_000 % 1000, " trillion "),
        (v / 100_000_000_000 % 1000, " billion "),
        (v / 100_000_000 % 1000, " million "),
        (v / 100_000 % 1000, " thousand "),
    ];
    for (n, unit) in groups {
        if n != 0 {
            out.push_str(&number_words(n));
            out.push_str(unit);
        }
    }
    let hundreds = v / 100 % 1000;
    if hundreds != 0 {
        out.push_str(&number_words(hundreds));
    }
    if out.len() == prefix_len {
        out.push_str("zero");
    }
    out.push_str(if v / 100 == 1 {
        " dollar and "
    } else {
        " dollars and "
    });
    let cents_part = v % 100;
    out.push_str(&number_words(cents_part));
    out.push_str(if cents_part == 1 { " cent" } else { " cents" });
    let mut chars = out.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => out,
    }
}

fn money_out_of_range() -> PgError {
    PgError::new(SqlState::NumericValueOutOfRange, "money out of range")
}

/// `cash_pl`.
pub fn add(a: i64, b: i64) -> PgResult<i64> {
    a.checked_add(b).ok_or_else(money_out_of_range)
}

/// `cash_mi`.
pub fn sub(a: i64, b: i64) -> PgResult<i64> {
    a.checked_sub(b).ok_or_else(money_out_of_range)
}

/// `cash_mul_int8` and friends.
pub fn mul_int(a: i64, b: i64) -> PgResult<i64> {
    a.checked_mul(b).ok_or_else(money_out_of_range)
}

/// `cash_div_int8` and friends: truncates toward zero.
pub fn div_int(a: i64, b: i64) -> PgResult<i64> {
    if b == 0 {
        return Err(PgError::new(SqlState::DivisionByZero, "division by zero"));
    }
    Ok(a.wrapping_div(b))
}

fn float_to_money(r: f64) -> PgResult<i64> {
    // FLOAT8_FITS_IN_INT64: [-2^63, 2^63)
    if r.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&r) {
        return Err(money_out_of_range());
    }
    Ok(r as i64)
}

fn float_overflow() -> PgError {
    PgError::new(
        SqlState::NumericValueOutOfRange,
        "value out of range: overflow",
    )
}

/// `cash_mul_flt8`: the product rounded half to even.
pub fn mul_float(a: i64, f: f64) -> PgResult<i64> {
    let p = a as f64 * f;
    if p.is_infinite() && !f.is_infinite() {
        return Err(float_overflow());
    }
    float_to_money(p.round_ties_even())
}

/// `cash_div_flt8`: the quotient rounded half to even.
pub fn div_float(a: i64, f: f64) -> PgResult<i64> {
    if f == 0.0 {
        return Err(PgError::new(SqlState::DivisionByZero, "division by zero"));
    }
    let q = a as f64 / f;
    if q.is_infinite() && !f.is_infinite() {
        return Err(float_overflow());
    }
    float_to_money(q.round_ties_even())
}

/// `cash_div_cash`: the ratio as float8.
pub fn div_money(a: i64, b: i64) -> PgResult<f64> {
    if b == 0 {
        return Err(PgError::new(SqlState::DivisionByZero, "division by zero"));
    }
    Ok(a as f64 / b as f64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Expectations from PostgreSQL 15 under `lc_monetary = C`.
    #[test]
    fn input_and_output_match_postgres() {
        for (s, out) in [
            ("1234.56", "$1,234.56"),
            ("$123,456.78", "$123,456.78"),
            ("-1", "-$1.00"),
            ("(1.5)", "-$1.50"),
            ("$-12.345", "-$12.35"),
            ("12.344", "$12.34"),
            ("1,2,3", "$123.00"),
            ("-92233720368547758.08", "-$92,233,720,368,547,758.08"),
            ("92233720368547758.07", "$92,233,720,368,547,758.07"),
            ("  $ 5 $ ", "$5.00"),
            ("0.009", "$0.01"),
            ("5-", "-$5.00"),
        ] {
            assert_eq!(format(parse(s).unwrap()), out, "{s}");
        }
        let e = parse("92233720368547758.08").unwrap_err();
        assert_eq!(e.code, SqlState::NumericValueOutOfRange);
        assert_eq!(
            e.message,
            "value \"92233720368547758.08\" is out of range for type money"
        );
        let e = parse("1x").unwrap_err();
        assert_eq!(e.code, SqlState::InvalidTextRepresentation);
    }

    #[test]
    fn words_match_postgres() {
        assert_eq!(words(0), "Zero dollars and zero cents");
        assert_eq!(words(101), "One dollar and one cent");
        assert_eq!(
            words(123_456_789),
            "One million two hundred thirty four thousand five hundred sixty seven dollars and eighty nine cents"
        );
        assert_eq!(
            words(-11_000),
            "Minus one hundred and ten dollars and zero cents"
        );
        assert_eq!(words(100_000), "One thousand  dollars and zero cents");
    }
}
