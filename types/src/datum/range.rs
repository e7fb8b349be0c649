//! Range values (PostgreSQL's `rangetypes.c` value side): the built-in
//! range types `int4range`, `int8range`, `numrange`, `daterange`, `tsrange`
//! and `tstzrange`, their text form, the binary form of `range_send` /
//! `range_recv` (which is also how a range is stored in a table), bound
//! comparison and the btree order.
//!
//! A range is empty, or a lower and an upper bound, each either infinite or
//! a value of the subtype that is inclusive or not:
//!
//! ```text
//!   [1,5)      lower 1 inclusive, upper 5 exclusive
//!   (,5]       lower infinite (never inclusive), upper 5 inclusive
//!   empty      no points at all; below every other range in the order
//! ```
//!
//! Every range is built through [`RangeValue::make`], which refuses a lower
//! bound above the upper one, turns `[a,a)` and its kin into `empty`, and
//! puts the discrete types (`int4range`, `int8range`, `daterange`) in their
//! canonical `[a,b)` form. So two ranges holding the same points are equal
//! field by field, except for numerics of different scales (`1.0`, `1.00`),
//! which [`compare`] orders as equal.

use std::cmp::Ordering;

use super::datetime::{DATE_NEG_INF, DATE_POS_INF};
use super::{Datum, OutputOptions};
use crate::{PgError, PgResult, SqlState, oid};

/// One bound of a range. `value` is `None` for an infinite bound, which is
/// never inclusive.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeBound {
    pub value: Option<Datum>,
    pub inclusive: bool,
    /// Whether this is the lower bound (it decides how an infinite or
    /// exclusive bound orders against another bound).
    pub lower: bool,
}

impl RangeBound {
    pub fn infinite(lower: bool) -> RangeBound {
        RangeBound {
            value: None,
            inclusive: false,
            lower,
        }
    }

    pub fn finite(value: Datum, inclusive: bool, lower: bool) -> RangeBound {
        RangeBound {
            value: Some(value),
            inclusive,
            lower,
        }
    }
}

/// A range value of range type `range_type`. When `empty` is set the bounds
/// are infinite and mean nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeValue {
    pub range_type: u32,
    pub empty: bool,
    pub lower: RangeBound,
    pub upper: RangeBound,
}

// The flag bits of the binary form (PostgreSQL's `RANGE_*` flags).
const FLAG_EMPTY: u8 = 0x01;
const FLAG_LB_INC: u8 = 0x02;
const FLAG_UB_INC: u8 = 0x04;
const FLAG_LB_INF: u8 = 0x08;
const FLAG_UB_INF: u8 = 0x10;

fn data_exception(message: &str) -> PgError {
    PgError::new(SqlState::DataException, message)
}

fn malformed(s: &str, detail: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!("malformed range literal: \"{s}\""),
    )
    .with_detail(detail.to_owned())
}

/// The subtype of a range type, or an internal error for a type that is none.
fn subtype_of(range_type: u32) -> PgResult<u32> {
    oid::range_subtype(range_type).ok_or_else(|| {
        PgError::internal(format!(
            "type {} is not a range type",
            oid::type_name(range_type)
        ))
    })
}

/// The next value of a discrete subtype (`x + 1`), for canonical forms.
fn successor(v: &Datum) -> PgResult<Datum> {
    Ok(match v {
        Datum::Int4(x) => Datum::Int4(x.checked_add(1).ok_or_else(|| {
            PgError::new(SqlState::NumericValueOutOfRange, "integer out of range")
        })?),
        Datum::Int8(x) => Datum::Int8(x.checked_add(1).ok_or_else(|| {
            PgError::new(SqlState::NumericValueOutOfRange, "bigint out of range")
        })?),
        Datum::Date(d) => {
            // PostgreSQL's last date is 5874897-12-31 (day 2145031948).
            const DATE_END: i32 = 2_145_031_949;
            let next = d.checked_add(1).filter(|&n| n < DATE_END);
            Datum::Date(next.ok_or_else(|| {
                PgError::new(SqlState::DatetimeFieldOverflow, "date out of range")
            })?)
        }
        other => return Err(PgError::internal(format!("no successor of {other:?}"))),
    })
}

/// Whether a bound value of a discrete type is a finite one that canonical
/// forms move (an infinite date is left as it is).
fn discrete_finite(v: &Datum) -> bool {
    !matches!(v, Datum::Date(DATE_NEG_INF | DATE_POS_INF))
}

/// Orders two bound values, infinite ones at their end (PostgreSQL's
/// `range_cmp_bound_values`: inclusiveness is not looked at).
pub fn cmp_bound_values(a: &RangeBound, b: &RangeBound) -> PgResult<Ordering> {
    Ok(match (&a.value, &b.value) {
        (None, None) => match (a.lower, b.lower) {
            (x, y) if x == y => Ordering::Equal,
            (true, _) => Ordering::Less,
            _ => Ordering::Greater,
        },
        (None, Some(_)) => {
            if a.lower {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (Some(_), None) => {
            if b.lower {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Some(x), Some(y)) => crate::compare::compare(x, y)?,
    })
}

/// Orders two bounds as points on the line: an exclusive lower bound sits
/// just after its value, an exclusive upper bound just before it
/// (PostgreSQL's `range_cmp_bounds`).
pub fn cmp_bounds(a: &RangeBound, b: &RangeBound) -> PgResult<Ordering> {
    let o = cmp_bound_values(a, b)?;
    if o != Ordering::Equal || a.value.is_none() || b.value.is_none() {
        return Ok(o);
    }
    // A bound's position: 0 at the value, +1 just after, -1 just before.
    let pos = |x: &RangeBound| match (x.inclusive, x.lower) {
        (true, _) => 0,
        (false, true) => 1,
        (false, false) => -1,
    };
    Ok(pos(a).cmp(&pos(b)))
}

impl RangeValue {
    pub fn empty(range_type: u32) -> RangeValue {
        RangeValue {
            range_type,
            empty: true,
            lower: RangeBound::infinite(true),
            upper: RangeBound::infinite(false),
        }
    }

    /// Builds a range from two bounds (PostgreSQL's `make_range`): 22000
    /// if the lower bound is above the upper one, `empty` if they meet
    /// without both being inclusive, and the canonical form of a discrete
    /// type.
    pub fn make(range_type: u32, lower: RangeBound, upper: RangeBound) -> PgResult<RangeValue> {
        let r = Self::serialize(range_type, lower, upper)?;
        if r.empty || !oid::range_is_discrete(range_type) {
            return Ok(r);
        }
        let RangeValue {
            mut lower,
            mut upper,
            ..
        } = r;
        if let Some(v) = &lower.value
            && !lower.inclusive
            && discrete_finite(v)
        {
            lower = RangeBound::finite(successor(v)?, true, true);
        }
        if let Some(v) = &upper.value
            && upper.inclusive
            && discrete_finite(v)
        {
            upper = RangeBound::finite(successor(v)?, false, false);
        }
        Self::serialize(range_type, lower, upper)
    }

    /// The checks of PostgreSQL's `range_serialize`, without canonical forms.
    fn serialize(
        range_type: u32,
        mut lower: RangeBound,
        mut upper: RangeBound,
    ) -> PgResult<RangeValue> {
        lower.lower = true;
        upper.lower = false;
        if lower.value.is_none() {
            lower.inclusive = false;
        }
        if upper.value.is_none() {
            upper.inclusive = false;
        }
        if let (Some(l), Some(u)) = (&lower.value, &upper.value) {
            match crate::compare::compare(l, u)? {
                Ordering::Greater => {
                    return Err(data_exception(
                        "range lower bound must be less than or equal to range upper bound",
                    ));
                }
                Ordering::Equal if !(lower.inclusive && upper.inclusive) => {
                    return Ok(RangeValue::empty(range_type));
                }
                _ => {}
            }
        }
        Ok(RangeValue {
            range_type,
            empty: false,
            lower,
            upper,
        })
    }

    /// `range_in`.
    pub fn from_text(range_type: u32, s: &str, opts: &OutputOptions) -> PgResult<RangeValue> {
        let subtype = subtype_of(range_type)?;
        let (lower_inc, lower, upper, upper_inc) = match parse(s)? {
            None => return Ok(RangeValue::empty(range_type)),
            Some(parts) => parts,
        };
        let bound = |text: Option<String>, inclusive: bool, is_lower: bool| -> PgResult<_> {
            Ok(match text {
                None => RangeBound::infinite(is_lower),
                Some(t) => {
                    RangeBound::finite(Datum::from_text(subtype, &t, opts)?, inclusive, is_lower)
                }
            })
        };
        let lower = bound(lower, lower_inc, true)?;
        let upper = bound(upper, upper_inc, false)?;
        RangeValue::make(range_type, lower, upper)
    }

    /// `range_out`.
    pub fn to_text(&self, opts: &OutputOptions) -> String {
        if self.empty {
            return "empty".into();
        }
        let mut out = String::new();
        out.push(if self.lower.inclusive { '[' } else { '(' });
        if let Some(v) = &self.lower.value {
            push_escaped(&mut out, &v.to_text(opts));
        }
        out.push(',');
        if let Some(v) = &self.upper.value {
            push_escaped(&mut out, &v.to_text(opts));
        }
        out.push(if self.upper.inclusive { ']' } else { ')' });
        out
    }

    /// The flag byte of the binary form.
    fn flags(&self) -> u8 {
        if self.empty {
            return FLAG_EMPTY;
        }
        let mut f = 0;
        if self.lower.inclusive {
            f |= FLAG_LB_INC;
        }
        if self.upper.inclusive {
            f |= FLAG_UB_INC;
        }
        if self.lower.value.is_none() {
            f |= FLAG_LB_INF;
        }
        if self.upper.value.is_none() {
            f |= FLAG_UB_INF;
        }
        f
    }

    /// `range_send`: the flag byte, then each finite bound as a length and
    /// the subtype's binary form.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut out = vec![self.flags()];
        if !self.empty {
            for b in [&self.lower, &self.upper] {
                if let Some(v) = &b.value {
                    let bytes = v.to_binary();
                    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
                    out.extend_from_slice(&bytes);
                }
            }
        }
        out
    }

    /// `range_recv`.
    pub fn from_binary(range_type: u32, b: &[u8]) -> PgResult<RangeValue> {
        let subtype = subtype_of(range_type)?;
        let short = || {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "insufficient data left in message",
            )
        };
        let (&flags, mut rest) = b.split_first().ok_or_else(short)?;
        let known = FLAG_EMPTY | FLAG_LB_INC | FLAG_UB_INC | FLAG_LB_INF | FLAG_UB_INF;
        if flags & !known != 0 {
            return Err(PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "range flags invalid",
            ));
        }
        if flags & FLAG_EMPTY != 0 {
            if !rest.is_empty() {
                return Err(PgError::new(
                    SqlState::InvalidBinaryRepresentation,
                    "incorrect binary data format",
                ));
            }
            return Ok(RangeValue::empty(range_type));
        }
        let mut bound = |infinite: bool, inclusive: bool, lower: bool| -> PgResult<RangeBound> {
            if infinite {
                return Ok(RangeBound::infinite(lower));
            }
            let len = rest.get(..4).ok_or_else(short)?;
            let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
            let bytes = rest.get(4..4usize.saturating_add(len)).ok_or_else(short)?;
            let v = Datum::from_binary(subtype, bytes)?;
            rest = &rest[4 + len..];
            Ok(RangeBound::finite(v, inclusive, lower))
        };
        let lower = bound(flags & FLAG_LB_INF != 0, flags & FLAG_LB_INC != 0, true)?;
        let upper = bound(flags & FLAG_UB_INF != 0, flags & FLAG_UB_INC != 0, false)?;
        if !rest.is_empty() {
            return Err(PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "incorrect binary data format",
            ));
        }
        RangeValue::make(range_type, lower, upper)
    }

    /// The btree order (`range_cmp`): empty first, then by lower bound, then
    /// by upper bound.
    pub fn compare(&self, other: &RangeValue) -> PgResult<Ordering> {
        match (self.empty, other.empty) {
            (true, true) => return Ok(Ordering::Equal),
            (true, false) => return Ok(Ordering::Less),
            (false, true) => return Ok(Ordering::Greater),
            _ => {}
        }
        let o = cmp_bounds(&self.lower, &other.lower)?;
        if o != Ordering::Equal {
            return Ok(o);
        }
        cmp_bounds(&self.upper, &other.upper)
    }
}

/// Parses the text form into `None` (empty) or the lower bound's
/// inclusiveness, the bounds' texts (`None` when infinite) and the upper
/// bound's inclusiveness (PostgreSQL's `range_parse`).
#[allow(clippy::type_complexity)]
fn parse(s: &str) -> PgResult<Option<(bool, Option<String>, Option<String>, bool)>> {
    let b = s.as_bytes();
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut at = 0;
    while at < b.len() && is_space(b[at]) {
        at += 1;
    }
    if b.len() >= at + 5 && b[at..at + 5].eq_ignore_ascii_case(b"empty") {
        at += 5;
        while at < b.len() && is_space(b[at]) {
            at += 1;
        }
        if at != b.len() {
            return Err(malformed(s, "Junk after \"empty\" key word."));
        }
        return Ok(None);
    }
    let lower_inc = match b.get(at) {
        Some(b'[') => true,
        Some(b'(') => false,
        _ => return Err(malformed(s, "Missing left parenthesis or bracket.")),
    };
    at += 1;
    let lower = parse_bound(s, &mut at)?;
    if b.get(at) != Some(&b',') {
        return Err(malformed(s, "Missing comma after lower bound."));
    }
    at += 1;
    let upper = parse_bound(s, &mut at)?;
    let upper_inc = match b.get(at) {
        Some(b']') => true,
        Some(b')') => false,
        _ => return Err(malformed(s, "Too many commas.")),
    };
    at += 1;
    while at < b.len() && is_space(b[at]) {
        at += 1;
    }
    if at != b.len() {
        return Err(malformed(s, "Junk after right parenthesis or bracket."));
    }
    // An infinite bound is never inclusive.
    let lower_inc = lower_inc && lower.is_some();
    let upper_inc = upper_inc && upper.is_some();
    Ok(Some((lower_inc, lower, upper, upper_inc)))
}

/// One bound's text from byte `*at` up to an unquoted `,`, `)` or `]`;
/// `None` if there is nothing before it (infinite). Quotes group, a
/// doubled quote inside quotes and a backslash escape one character.
fn parse_bound(s: &str, at: &mut usize) -> PgResult<Option<String>> {
    let b = s.as_bytes();
    if matches!(b.get(*at), Some(b',' | b')' | b']')) {
        return Ok(None);
    }
    let mut out: Vec<u8> = Vec::new();
    let mut in_quote = false;
    loop {
        let Some(&c) = b.get(*at) else {
            return Err(malformed(s, "Unexpected end of input."));
        };
        if !in_quote && matches!(c, b',' | b')' | b']') {
            break;
        }
        *at += 1;
        match c {
            b'\\' => {
                let Some(&next) = b.get(*at) else {
                    return Err(malformed(s, "Unexpected end of input."));
                };
                out.push(next);
                *at += 1;
            }
            b'"' if !in_quote => in_quote = true,
            b'"' if b.get(*at) == Some(&b'"') => {
                out.push(b'"');
                *at += 1;
            }
            b'"' => in_quote = false,
            _ => out.push(c),
        }
    }
    // Only ASCII bytes were split off, so the text stays UTF-8.
    Ok(Some(String::from_utf8_lossy(&out).into_owned()))
}

/// Appends a bound's text, quoted if it is empty or holds a character the
/// parser treats specially (PostgreSQL's `range_bound_escape`).
fn push_escaped(out: &mut String, v: &str) {
    let quote = v.is_empty()
        || v.chars().any(|c| {
            matches!(c, '"' | '\\' | '(' | ')' | '[' | ']' | ',')
                || matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
        });
    if quote {
        out.push('"');
    }
    for c in v.chars() {
        if c == '"' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

// The algebra of ranges: predicates and set operations (PostgreSQL's
// `range_contains_elem_internal`, `range_overlaps_internal`, ...).

/// `range @> element`.
pub fn contains_elem(r: &RangeValue, v: &Datum) -> PgResult<bool> {
    if r.empty {
        return Ok(false);
    }
    if let Some(l) = &r.lower.value {
        match crate::compare::compare(l, v)? {
            Ordering::Greater => return Ok(false),
            Ordering::Equal if !r.lower.inclusive => return Ok(false),
            _ => {}
        }
    }
    if let Some(u) = &r.upper.value {
        match crate::compare::compare(u, v)? {
            Ordering::Less => return Ok(false),
            Ordering::Equal if !r.upper.inclusive => return Ok(false),
            _ => {}
        }
    }
    Ok(true)
}

/// `r1 @> r2`: every point of `r2` is in `r1` (the empty range is in all).
pub fn contains(r1: &RangeValue, r2: &RangeValue) -> PgResult<bool> {
    if r2.empty {
        return Ok(true);
    }
    if r1.empty {
        return Ok(false);
    }
    Ok(cmp_bounds(&r1.lower, &r2.lower)? != Ordering::Greater
        && cmp_bounds(&r1.upper, &r2.upper)? != Ordering::Less)
}

/// `r1 && r2`.
pub fn overlaps(r1: &RangeValue, r2: &RangeValue) -> PgResult<bool> {
    if r1.empty || r2.empty {
        return Ok(false);
    }
    let starts_within = |a: &RangeValue, b: &RangeValue| -> PgResult<bool> {
        Ok(cmp_bounds(&a.lower, &b.lower)? != Ordering::Less
            && cmp_bounds(&a.lower, &b.upper)? != Ordering::Greater)
    };
    Ok(starts_within(r1, r2)? || starts_within(r2, r1)?)
}

/// Whether upper bound `a` and lower bound `b` touch with no point between
/// them and none in common (PostgreSQL's `bounds_adjacent`). For a
/// discrete type, `(a, b)` having no point counts as touching.
pub fn bounds_adjacent(range_type: u32, a: &RangeBound, b: &RangeBound) -> PgResult<bool> {
    match cmp_bound_values(a, b)? {
        Ordering::Less => {
            if !oid::range_is_discrete(range_type) {
                return Ok(false);
            }
            let between = RangeValue::make(
                range_type,
                RangeBound {
                    inclusive: !a.inclusive,
                    lower: true,
                    ..a.clone()
                },
                RangeBound {
                    inclusive: !b.inclusive,
                    lower: false,
                    ..b.clone()
                },
            )?;
            Ok(between.empty)
        }
        Ordering::Equal => Ok(a.inclusive != b.inclusive),
        Ordering::Greater => Ok(false),
    }
}

/// `r1 -|- r2`.
pub fn adjacent(r1: &RangeValue, r2: &RangeValue) -> PgResult<bool> {
    if r1.empty || r2.empty {
        return Ok(false);
    }
    Ok(bounds_adjacent(r1.range_type, &r1.upper, &r2.lower)?
        || bounds_adjacent(r1.range_type, &r2.upper, &r1.lower)?)
}

fn min_bound(a: &RangeBound, b: &RangeBound) -> PgResult<RangeBound> {
    Ok(if cmp_bounds(a, b)? == Ordering::Greater {
        b.clone()
    } else {
        a.clone()
    })
}

fn max_bound(a: &RangeBound, b: &RangeBound) -> PgResult<RangeBound> {
    Ok(if cmp_bounds(a, b)? == Ordering::Less {
        b.clone()
    } else {
        a.clone()
    })
}

/// `r1 + r2` (`strict`: an error if there would be a gap) and
/// `range_merge` (the smallest range holding both).
pub fn union(r1: &RangeValue, r2: &RangeValue, strict: bool) -> PgResult<RangeValue> {
    if r1.empty {
        return Ok(r2.clone());
    }
    if r2.empty {
        return Ok(r1.clone());
    }
    if strict && !overlaps(r1, r2)? && !adjacent(r1, r2)? {
        return Err(data_exception(
            "result of range union would not be contiguous",
        ));
    }
    RangeValue::make(
        r1.range_type,
        min_bound(&r1.lower, &r2.lower)?,
        max_bound(&r1.upper, &r2.upper)?,
    )
}

/// `r1 * r2`.
pub fn intersect(r1: &RangeValue, r2: &RangeValue) -> PgResult<RangeValue> {
    if r1.empty || r2.empty || !overlaps(r1, r2)? {
        return Ok(RangeValue::empty(r1.range_type));
    }
    RangeValue::make(
        r1.range_type,
        max_bound(&r1.lower, &r2.lower)?,
        min_bound(&r1.upper, &r2.upper)?,
    )
}

/// `r1 - r2`: an error if `r2` would cut `r1` in two.
pub fn minus(r1: &RangeValue, r2: &RangeValue) -> PgResult<RangeValue> {
    if r1.empty || r2.empty {
        return Ok(r1.clone());
    }
    let l1l2 = cmp_bounds(&r1.lower, &r2.lower)?;
    let l1u2 = cmp_bounds(&r1.lower, &r2.upper)?;
    let u1l2 = cmp_bounds(&r1.upper, &r2.lower)?;
    let u1u2 = cmp_bounds(&r1.upper, &r2.upper)?;
    use Ordering::*;
    if l1l2 == Less && u1u2 == Greater {
        return Err(data_exception(
            "result of range difference would not be contiguous",
        ));
    }
    if l1u2 == Greater || u1l2 == Less {
        return Ok(r1.clone());
    }
    if l1l2 != Less && u1u2 != Greater {
        return Ok(RangeValue::empty(r1.range_type));
    }
    if l1l2 != Greater && u1l2 != Less && u1u2 != Greater {
        let upper = RangeBound {
            inclusive: !r2.lower.inclusive,
            lower: false,
            ..r2.lower.clone()
        };
        return RangeValue::make(r1.range_type, r1.lower.clone(), upper);
    }
    if l1l2 != Less && u1u2 != Less && l1u2 != Greater {
        let lower = RangeBound {
            inclusive: !r2.upper.inclusive,
            lower: true,
            ..r2.upper.clone()
        };
        return RangeValue::make(r1.range_type, lower, r1.upper.clone());
    }
    Err(PgError::internal("unexpected case in range_minus"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn opts() -> OutputOptions {
        OutputOptions::default()
    }

    fn round(t: u32, s: &str) -> String {
        RangeValue::from_text(t, s, &opts())
            .unwrap()
            .to_text(&opts())
    }

    /// Expectations from PostgreSQL 15 (`SELECT '<literal>'::int4range` ...).
    #[test]
    fn text_forms_read_and_print_as_postgresql_does() {
        assert_eq!(round(oid::INT4RANGE, "  empty  "), "empty");
        assert_eq!(round(oid::INT4RANGE, "EMPTY"), "empty");
        assert_eq!(round(oid::INT4RANGE, "[1,5]"), "[1,6)");
        assert_eq!(round(oid::INT4RANGE, "(1,5]"), "[2,6)");
        assert_eq!(round(oid::INT4RANGE, "(1,2)"), "empty");
        assert_eq!(round(oid::INT4RANGE, "[,5]"), "(,6)");
        assert_eq!(round(oid::INT4RANGE, "(,)"), "(,)");
        assert_eq!(round(oid::INT4RANGE, "[ 3 , 4 ]"), "[3,5)");
        assert_eq!(round(oid::INT4RANGE, "[\"3\",\"4\"]"), "[3,5)");
        assert_eq!(round(oid::NUMRANGE, "[1.5,2.50]"), "[1.5,2.50]");
        assert_eq!(round(oid::NUMRANGE, "[1.5,1.5)"), "empty");
        assert_eq!(
            round(oid::DATERANGE, "[2000-01-01,2000-01-10]"),
            "[2000-01-01,2000-01-11)"
        );
        assert_eq!(
            round(oid::DATERANGE, "(-infinity,infinity]"),
            "(-infinity,infinity]"
        );
        assert_eq!(
            round(oid::TSRANGE, "[2010-01-01 10:00,2010-01-01 11:00)"),
            "[\"2010-01-01 10:00:00\",\"2010-01-01 11:00:00\")"
        );
    }

    #[test]
    fn text_errors_match_postgresql() {
        let detail = |s: &str| {
            let e = RangeValue::from_text(oid::INT4RANGE, s, &opts()).unwrap_err();
            assert_eq!(e.code, SqlState::InvalidTextRepresentation, "{s}");
            assert_eq!(e.message, format!("malformed range literal: \"{s}\""));
            e.detail.unwrap_or_default()
        };
        assert_eq!(detail(""), "Missing left parenthesis or bracket.");
        assert_eq!(detail("emptyx"), "Junk after \"empty\" key word.");
        assert_eq!(detail("[1;2]"), "Missing comma after lower bound.");
        assert_eq!(detail("[1;2"), "Unexpected end of input.");
        assert_eq!(detail("[1,2,3]"), "Too many commas.");
        assert_eq!(detail("[1,2]x"), "Junk after right parenthesis or bracket.");
        assert_eq!(detail("[1\\"), "Unexpected end of input.");
        let e = RangeValue::from_text(oid::INT4RANGE, "[5,1]", &opts()).unwrap_err();
        assert_eq!(e.code, SqlState::DataException);
        let e = RangeValue::from_text(oid::INT4RANGE, "[1,2147483647]", &opts()).unwrap_err();
        assert_eq!(e.message, "integer out of range");
        let e = RangeValue::from_text(oid::INT4RANGE, "[a,2]", &opts()).unwrap_err();
        assert_eq!(e.message, "invalid input syntax for type integer: \"a\"");
    }

    #[test]
    fn binary_form_round_trips() {
        for s in ["empty", "[1,5)", "(,5)", "[3,)", "(,)"] {
            let r = RangeValue::from_text(oid::INT4RANGE, s, &opts()).unwrap();
            let b = r.to_binary();
            assert_eq!(RangeValue::from_binary(oid::INT4RANGE, &b).unwrap(), r);
        }
        let r = RangeValue::from_text(oid::INT4RANGE, "[1,5)", &opts()).unwrap();
        assert_eq!(
            r.to_binary(),
            vec![2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5]
        );
        assert!(RangeValue::from_binary(oid::INT4RANGE, &[2, 0, 0]).is_err());
    }

    #[test]
    fn order_puts_empty_first_then_bounds() {
        let r = |s: &str| RangeValue::from_text(oid::NUMRANGE, s, &opts()).unwrap();
        let sorted = ["empty", "(,5)", "(,)", "[1,2)", "[1,2]", "(1,2)", "[3,)"];
        for w in sorted.windows(2) {
            assert_eq!(r(w[0]).compare(&r(w[1])).unwrap(), Ordering::Less, "{w:?}");
        }
        assert_eq!(
            r("[1.0,2)").compare(&r("[1.00,2)")).unwrap(),
            Ordering::Equal
        );
    }
}
