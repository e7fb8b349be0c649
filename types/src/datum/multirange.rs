//! Multirange values (PostgreSQL's `multirangetypes.c` value side): a set
//! of ranges of one range type, `int4multirange` over `int4range` and so
//! on, with its text form `{[1,3),[5,7)}`, the binary form of
//! `multirange_send` / `multirange_recv` (also how it is stored) and its
//! btree order.
//!
//! Every multirange is kept canonical by [`MultirangeValue::new`]: no empty
//! member, members sorted by the range order, and no two members that
//! overlap or touch (they are merged):
//!
//! ```text
//!   {[5,6), [1,3), [2,4), empty}   ->   {[1,4),[5,6)}
//! ```
//!
//! so equal sets of points have equal members.

use std::cmp::Ordering;

use super::OutputOptions;
use super::range::{RangeValue, adjacent, cmp_bounds, overlaps, union};
use crate::{PgError, PgResult, SqlState, oid};

/// A multirange of type `multirange_type`; `ranges` are canonical (see the
/// module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct MultirangeValue {
    pub multirange_type: u32,
    pub ranges: Vec<RangeValue>,
}

fn malformed(s: &str, detail: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!("malformed multirange literal: \"{s}\""),
    )
    .with_detail(detail.to_owned())
}

/// The range type of a multirange type, or an internal error.
fn range_type_of(multirange_type: u32) -> PgResult<u32> {
    oid::multirange_range(multirange_type).ok_or_else(|| {
        PgError::internal(format!(
            "type {} is not a multirange type",
            oid::type_name(multirange_type)
        ))
    })
}

impl MultirangeValue {
    /// The canonical multirange holding the points of `ranges` (PostgreSQL's
    /// `multirange_canonicalize`).
    pub fn new(multirange_type: u32, ranges: Vec<RangeValue>) -> PgResult<MultirangeValue> {
        let mut ranges: Vec<RangeValue> = ranges.into_iter().filter(|r| !r.empty).collect();
        // Sort with the fallible comparison, remembering the first error.
        let mut failure = None;
        ranges.sort_by(|a, b| {
            a.compare(b).unwrap_or_else(|e| {
                failure.get_or_insert(e);
                Ordering::Equal
            })
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let mut out: Vec<RangeValue> = Vec::with_capacity(ranges.len());
        for r in ranges {
            if let Some(last) = out.last_mut()
                && (overlaps(last, &r)? || adjacent(last, &r)?)
            {
                *last = union(last, &r, false)?;
                continue;
            }
            out.push(r);
        }
        Ok(MultirangeValue {
            multirange_type,
            ranges: out,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// `multirange_in`: `{` ranges (or `empty`) separated by commas `}`.
    pub fn from_text(
        multirange_type: u32,
        s: &str,
        opts: &OutputOptions,
    ) -> PgResult<MultirangeValue> {
        let range_type = range_type_of(multirange_type)?;
        let b = s.as_bytes();
        let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
        let mut at = 0;
        while at < b.len() && is_space(b[at]) {
            at += 1;
        }
        if b.get(at) != Some(&b'{') {
            return Err(malformed(s, "Missing left brace."));
        }
        at += 1;
        #[derive(PartialEq)]
        enum State {
            BeforeRange,
            InRange,
            InRangeEscaped,
            InRangeQuoted,
            InRangeQuotedEscaped,
            AfterRange,
        }
        let mut state = State::BeforeRange;
        let mut seen = 0;
        let mut begin = 0;
        let mut ranges = Vec::new();
        loop {
            let Some(&c) = b.get(at) else {
                return Err(malformed(s, "Unexpected end of input."));
            };
            at += 1;
            if is_space(c) {
                continue;
            }
            match state {
                State::BeforeRange => {
                    if c == b'[' || c == b'(' {
                        begin = at - 1;
                        state = State::InRange;
                    } else if c == b'}' && seen == 0 {
                        break;
                    } else if b.len() >= at + 4 && b[at - 1..at + 4].eq_ignore_ascii_case(b"empty")
                    {
                        seen += 1;
                        at += 4;
                        state = State::AfterRange;
                    } else {
                        return Err(malformed(s, "Expected range start."));
                    }
                }
                State::InRange => {
                    if c == b']' || c == b')' {
                        seen += 1;
                        // Only ASCII bytes delimit it, so it is UTF-8.
                        let text = String::from_utf8_lossy(&b[begin..at]);
                        ranges.push(RangeValue::from_text(range_type, &text, opts)?);
                        state = State::AfterRange;
                    } else if c == b'"' {
                        state = State::InRangeQuoted;
                    } else if c == b'\\' {
                        state = State::InRangeEscaped;
                    }
                }
                State::InRangeEscaped => state = State::InRange,
                State::InRangeQuoted => {
                    if c == b'"' {
                        if b.get(at) == Some(&b'"') {
                            at += 1;
                        } else {
                            state = State::InRange;
                        }
                    } else if c == b'\\' {
                        state = State::InRangeQuotedEscaped;
                    }
                }
                State::InRangeQuotedEscaped => state = State::InRangeQuoted,
                State::AfterRange => {
                    if c == b',' {
                        state = State::BeforeRange;
                    } else if c == b'}' {
                        break;
                    } else {
                        return Err(malformed(s, "Expected comma or end of multirange."));
                    }
                }
            }
        }
        while at < b.len() && is_space(b[at]) {
            at += 1;
        }
        if at != b.len() {
            return Err(malformed(s, "Junk after closing right brace."));
        }
        MultirangeValue::new(multirange_type, ranges)
    }

    /// `multirange_out`.
    pub fn to_text(&self, opts: &OutputOptions) -> String {
        let parts: Vec<String> = self.ranges.iter().map(|r| r.to_text(opts)).collect();
        format!("{{{}}}", parts.join(","))
    }

    /// `multirange_send`: the count, then each range's length and
    /// `range_send` form.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut out = (self.ranges.len() as u32).to_be_bytes().to_vec();
        for r in &self.ranges {
            let b = r.to_binary();
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(&b);
        }
        out
    }

    /// `multirange_recv`.
    pub fn from_binary(multirange_type: u32, b: &[u8]) -> PgResult<MultirangeValue> {
        let range_type = range_type_of(multirange_type)?;
        let short = || {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "insufficient data left in message",
            )
        };
        let word = |at: usize| -> PgResult<usize> {
            let w = b.get(at..at + 4).ok_or_else(short)?;
            Ok(u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as usize)
        };
        let count = word(0)?;
        let mut at = 4;
        let mut ranges = Vec::new();
        for _ in 0..count {
            let len = word(at)?;
            let bytes = b
                .get(at + 4..(at + 4).saturating_add(len))
                .ok_or_else(short)?;
            ranges.push(RangeValue::from_binary(range_type, bytes)?);
            at += 4 + len;
        }
        if at != b.len() {
            return Err(PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "incorrect binary data format",
            ));
        }
        MultirangeValue::new(multirange_type, ranges)
    }

    /// The btree order (`multirange_cmp`): member by member (lower bound,
    /// then upper), a multirange that runs out first being the smaller.
    pub fn compare(&self, other: &MultirangeValue) -> PgResult<Ordering> {
        for (a, b) in self.ranges.iter().zip(&other.ranges) {
            let o = cmp_bounds(&a.lower, &b.lower)?;
            if o != Ordering::Equal {
                return Ok(o);
            }
            let o = cmp_bounds(&a.upper, &b.upper)?;
            if o != Ordering::Equal {
                return Ok(o);
            }
        }
        Ok(self.ranges.len().cmp(&other.ranges.len()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn opts() -> OutputOptions {
        OutputOptions::default()
    }

    /// Expectations from PostgreSQL 15.
    #[test]
    fn text_forms_are_canonical() {
        let t = |s: &str| {
            MultirangeValue::from_text(oid::INT4MULTIRANGE, s, &opts())
                .unwrap()
                .to_text(&opts())
        };
        assert_eq!(t("{}"), "{}");
        assert_eq!(t("  {}  "), "{}");
        assert_eq!(t(" { empty, empty }  "), "{}");
        assert_eq!(t("{[1,2], [3,4]}"), "{[1,5)}");
        assert_eq!(t("{[5,6), [1,3), [2,4), empty}"), "{[1,4),[5,6)}");
        assert_eq!(t("{(,3), [10,)}"), "{(,3),[10,)}");
        let detail = |s: &str| {
            let e = MultirangeValue::from_text(oid::INT4MULTIRANGE, s, &opts()).unwrap_err();
            assert_eq!(e.message, format!("malformed multirange literal: \"{s}\""));
            e.detail.unwrap_or_default()
        };
        assert_eq!(detail(""), "Missing left brace.");
        assert_eq!(detail("{,}"), "Expected range start.");
        assert_eq!(detail("{(,)}."), "Junk after closing right brace.");
        assert_eq!(detail("{[1,3),}"), "Expected range start.");
        assert_eq!(
            detail("{[1,3) [4,5)}"),
            "Expected comma or end of multirange."
        );
        assert_eq!(detail("{[1,3)"), "Unexpected end of input.");
    }

    #[test]
    fn binary_form_matches_postgresql() {
        let m = MultirangeValue::from_text(oid::INT4MULTIRANGE, "{[1,2),[5,6)}", &opts()).unwrap();
        let b = m.to_binary();
        assert_eq!(&b[..8], &[0, 0, 0, 2, 0, 0, 0, 0x11]);
        assert_eq!(
            MultirangeValue::from_binary(oid::INT4MULTIRANGE, &b).unwrap(),
            m
        );
        assert!(MultirangeValue::from_binary(oid::INT4MULTIRANGE, &b[..9]).is_err());
    }

    /// Arbitrary text and bytes give a value or an error, never a panic.
    #[test]
    fn garbage_input_never_panics() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet: Vec<char> = "{}[](),\\\" empty1-2.5e9x\u{e9}infinity".chars().collect();
        let types = oid::RANGES
            .iter()
            .map(|r| r.0)
            .chain(oid::MULTIRANGES.iter().map(|m| m.0));
        for t in types.collect::<Vec<_>>() {
            for _ in 0..2000 {
                let len = (next() % 24) as usize;
                let s: String = (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect();
                let _ = crate::Datum::from_text(t, &s, &opts());
                let bytes: Vec<u8> = (0..len).map(|_| (next() % 7) as u8 * 37).collect();
                let _ = crate::Datum::from_binary(t, &bytes);
            }
        }
    }
}
