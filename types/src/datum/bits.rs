//! `bit(n)` and `bit varying(n)`: strings of bits (PostgreSQL's `varbit.c`).
//!
//! Both types hold the same value: a count of bits and the bits themselves,
//! most significant first, packed eight to a byte. The bits past the end of
//! the last byte are always zero, so that two equal strings have equal bytes
//! and the comparison can look at whole bytes. The binary form (`bit_send`)
//! and the stored form are the same: a big-endian int32 bit count, then the
//! bytes.
//!
//! The type modifier is the length itself (`bit(4)` has typmod 4). `bit`
//! demands exactly that length and `bit varying` at most that many bits; an
//! explicit cast pads `bit` with zeros on the right or cuts either type down
//! ([`BitString::coerce_bit`], [`BitString::coerce_varbit`]).

use crate::{PgError, PgResult, SqlState};
use std::cmp::Ordering;

/// The longest bit string (`VARBITMAXLEN`).
pub const MAX_BITS: usize = i32::MAX as usize - 7;

/// The largest type modifier: ten megabytes of bits (`MaxAttrSize`).
pub const MAX_TYPMOD: i64 = 10 * 1024 * 1024 * 8;

/// A string of bits (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BitString {
    /// the number of bits
    len: usize,
    /// `len.div_ceil(8)` bytes, the unused low bits of the last one zero
    bytes: Vec<u8>,
}

fn bad_digit(c: char, hex: bool) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!(
            "\"{c}\" is not a valid {} digit",
            if hex { "hexadecimal" } else { "binary" }
        ),
    )
}

/// `bit string length 3 does not match type bit(4)`
pub fn length_mismatch(len: usize, typmod: i32) -> PgError {
    PgError::new(
        SqlState::StringDataLengthMismatch,
        format!("bit string length {len} does not match type bit({typmod})"),
    )
}

/// `bit string too long for type bit varying(2)`
pub fn too_long(typmod: i32) -> PgError {
    PgError::new(
        SqlState::StringDataRightTruncation,
        format!("bit string too long for type bit varying({typmod})"),
    )
}

impl BitString {
    /// `len` zero bits.
    pub fn zeros(len: usize) -> BitString {
        BitString {
            len,
            bytes: vec![0; len.div_ceil(8)],
        }
    }

    /// The bits of an iterator, first bit first.
    pub fn from_bits(bits: impl IntoIterator<Item = bool>) -> BitString {
        let mut out = BitString::default();
        for b in bits {
            out.push(b);
        }
        out
    }

    fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit {
            self.bytes[self.len / 8] |= 0x80 >> (self.len % 8);
        }
        self.len += 1;
    }

    /// The number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The packed bytes (`octet_length` of them).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Bit `i`, counting from 0 at the left.
    pub fn get(&self, i: usize) -> bool {
        self.bytes[i / 8] & (0x80 >> (i % 8)) != 0
    }

    pub fn set(&mut self, i: usize, bit: bool) {
        let mask = 0x80 >> (i % 8);
        if bit {
            self.bytes[i / 8] |= mask;
        } else {
            self.bytes[i / 8] &= !mask;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.len).map(|i| self.get(i))
    }

    /// Zeroes the bits past `len` in the last byte.
    fn clear_padding(&mut self) {
        self.bytes.truncate(self.len.div_ceil(8));
        let rem = self.len % 8;
        if rem != 0
            && let Some(last) = self.bytes.last_mut()
        {
            *last &= 0xFFu8 << (8 - rem);
        }
    }

    /// Text input (`bit_in` / `varbit_in` without the type modifier):
    /// binary digits, optionally after `b` or `B`, or hexadecimal digits
    /// after `x` or `X`, four bits each.
    pub fn parse(s: &str) -> PgResult<BitString> {
        let (hex, digits) = match s.as_bytes().first() {
            Some(b'b' | b'B') => (false, &s[1..]),
            Some(b'x' | b'X') => (true, &s[1..]),
            _ => (false, s),
        };
        let mut out = BitString::default();
        if hex {
            for c in digits.chars() {
                let v = c.to_digit(16).ok_or_else(|| bad_digit(c, true))?;
                for k in (0..4).rev() {
                    out.push(v & (1 << k) != 0);
                }
            }
        } else {
            for c in digits.chars() {
                match c {
                    '0' => out.push(false),
                    '1' => out.push(true),
                    _ => return Err(bad_digit(c, false)),
                }
            }
        }
        if out.len > MAX_BITS {
            return Err(PgError::new(
                SqlState::ProgramLimitExceeded,
                format!("bit string length exceeds the maximum allowed ({MAX_BITS})"),
            ));
        }
        Ok(out)
    }

    /// Text input of `bit(typmod)` (typmod < 0: any length).
    pub fn parse_bit(s: &str, typmod: i32) -> PgResult<BitString> {
        let b = BitString::parse(s)?;
        if typmod > 0 && b.len != typmod as usize {
            return Err(length_mismatch(b.len, typmod));
        }
        Ok(b)
    }

    /// Text input of `bit varying(typmod)` (typmod < 0: any length).
    pub fn parse_varbit(s: &str, typmod: i32) -> PgResult<BitString> {
        let b = BitString::parse(s)?;
        if typmod > 0 && b.len > typmod as usize {
            return Err(too_long(typmod));
        }
        Ok(b)
    }

    /// Text output: one `0` or `1` per bit.
    pub fn to_text(&self) -> String {
        self.iter().map(|b| if b { '1' } else { '0' }).collect()
    }

    /// Binary output (`bit_send`): int32 bit count, then the bytes.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.bytes.len());
        out.extend_from_slice(&(self.len as i32).to_be_bytes());
        out.extend_from_slice(&self.bytes);
        out
    }

    /// Binary input (`bit_recv`); the padding bits are cleared.
    pub fn from_binary(b: &[u8]) -> PgResult<BitString> {
        let invalid = || {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "invalid length in external bit string",
            )
        };
        let head: [u8; 4] = b.get(..4).and_then(|h| h.try_into().ok()).ok_or_else(|| {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "insufficient data left in message",
            )
        })?;
        let len = i32::from_be_bytes(head);
        if len < 0 || len as usize > MAX_BITS {
            return Err(invalid());
        }
        let len = len as usize;
        let data = &b[4..];
        if data.len() < len.div_ceil(8) {
            return Err(PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "insufficient data left in message",
            ));
        }
        let mut out = BitString {
            len,
            bytes: data[..len.div_ceil(8)].to_vec(),
        };
        out.clear_padding();
        Ok(out)
    }

    /// `bit(bit, int4, bool)`: the length coercion to `bit(len)`. An
    /// explicit cast pads with zeros or truncates; any other wants the
    /// length to match already.
    pub fn coerce_bit(self, len: i32, explicit: bool) -> PgResult<BitString> {
        if len <= 0 || self.len == len as usize {
            return Ok(self);
        }
        if !explicit {
            return Err(length_mismatch(self.len, len));
        }
        Ok(self.resize(len as usize))
    }

    /// `varbit(varbit, int4, bool)`: the length coercion to `bit
    /// varying(len)`: an explicit cast truncates, any other refuses a longer
    /// string.
    pub fn coerce_varbit(self, len: i32, explicit: bool) -> PgResult<BitString> {
        if len <= 0 || self.len <= len as usize {
            return Ok(self);
        }
        if !explicit {
            return Err(too_long(len));
        }
        Ok(self.resize(len as usize))
    }

    /// The first `len` bits, zero-padded on the right when longer.
    pub fn resize(mut self, len: usize) -> BitString {
        self.bytes.resize(len.div_ceil(8), 0);
        self.len = len;
        self.clear_padding();
        self
    }

    /// PostgreSQL's `bit_cmp`: the bytes, then the length.
    pub fn compare(&self, other: &BitString) -> Ordering {
        let n = self.bytes.len().min(other.bytes.len());
        self.bytes[..n]
            .cmp(&other.bytes[..n])
            .then(self.len.cmp(&other.len))
    }

    /// `||` (`bitcat`).
    pub fn concat(&self, other: &BitString) -> BitString {
        let mut out = self.clone();
        if self.len.is_multiple_of(8) {
            out.bytes.extend_from_slice(&other.bytes);
            out.len += other.len;
            return out;
        }
        for b in other.iter() {
            out.push(b);
        }
        out
    }

    /// `&`, `|`, `#` (`bitand`, `bitor`, `bitxor`): both of one length.
    pub fn bitwise(&self, other: &BitString, op: char) -> PgResult<BitString> {
        if self.len != other.len {
            let name = match op {
                '&' => "AND",
                '|' => "OR",
                _ => "XOR",
            };
            return Err(PgError::new(
                SqlState::StringDataLengthMismatch,
                format!("cannot {name} bit strings of different sizes"),
            ));
        }
        let bytes = self
            .bytes
            .iter()
            .zip(&other.bytes)
            .map(|(a, b)| match op {
                '&' => a & b,
                '|' => a | b,
                _ => a ^ b,
            })
            .collect();
        Ok(BitString {
            len: self.len,
            bytes,
        })
    }

    /// `~` (`bitnot`).
    pub fn not(&self) -> BitString {
        let mut out = BitString {
            len: self.len,
            bytes: self.bytes.iter().map(|b| !b).collect(),
        };
        out.clear_padding();
        out
    }

    /// `<<` (negative: `>>`); the length stays, zeros come in.
    pub fn shift_left(&self, n: i32) -> BitString {
        if n < 0 {
            return self.shift_right(n.checked_neg().unwrap_or(i32::MAX));
        }
        let n = n as usize;
        BitString::from_bits((0..self.len).map(|i| i + n < self.len && self.get(i + n)))
    }

    /// `>>` (negative: `<<`).
    pub fn shift_right(&self, n: i32) -> BitString {
        if n < 0 {
            return self.shift_left(n.checked_neg().unwrap_or(i32::MAX));
        }
        let n = n as usize;
        BitString::from_bits((0..self.len).map(|i| i >= n && self.get(i - n)))
    }

    /// `bit_count`: the number of ones.
    pub fn count_ones(&self) -> i64 {
        self.bytes.iter().map(|b| i64::from(b.count_ones())).sum()
    }

    /// `substring(bits FROM start FOR count)` with SQL's rules: positions
    /// from 1, a start before 1 eats into the count, a negative count is an
    /// error.
    pub fn substring(&self, start: i64, count: Option<i64>) -> PgResult<BitString> {
        let end = match count {
            Some(c) if c < 0 => {
                return Err(PgError::new(
                    SqlState::SubstringError,
                    "negative substring length not allowed",
                ));
            }
            Some(c) => start.saturating_add(c),
            None => i64::MAX,
        };
        let from = start.max(1);
        let to = end.min(self.len as i64 + 1);
        if to <= from {
            return Ok(BitString::default());
        }
        let (from, to) = ((from - 1) as usize, (to - 1) as usize);
        Ok(BitString::from_bits((from..to).map(|i| self.get(i))))
    }

    /// `overlay(bits PLACING with FROM start [FOR count])`.
    pub fn overlay(&self, with: &BitString, start: i64, count: Option<i64>) -> PgResult<BitString> {
        let count = count.unwrap_or(with.len as i64);
        if start <= 0 {
            return Err(PgError::new(
                SqlState::SubstringError,
                "negative substring length not allowed",
            ));
        }
        let rest = start.checked_add(count).ok_or_else(|| {
            PgError::new(SqlState::NumericValueOutOfRange, "integer out of range")
        })?;
        let head = self.substring(1, Some(start - 1))?;
        let tail = self.substring(rest, None)?;
        Ok(head.concat(with).concat(&tail))
    }

    /// `position(sub IN bits)`: the first position of `sub`, from 1; 0 when
    /// absent, 1 for an empty `sub` (but 0 in an empty string).
    pub fn position(&self, sub: &BitString) -> i32 {
        if self.len == 0 {
            return 0;
        }
        if sub.len == 0 {
            return 1;
        }
        if sub.len > self.len {
            return 0;
        }
        (0..=self.len - sub.len)
            .find(|&i| (0..sub.len).all(|k| self.get(i + k) == sub.get(k)))
            .map_or(0, |i| i as i32 + 1)
    }

    /// `get_bit` / `set_bit`'s index check.
    pub fn check_index(&self, n: i32) -> PgResult<usize> {
        if n < 0 || n as usize >= self.len {
            return Err(PgError::new(
                SqlState::ArraySubscriptError,
                format!(
                    "bit index {n} out of valid range (0..{})",
                    self.len as i64 - 1
                ),
            ));
        }
        Ok(n as usize)
    }

    /// `int4::bit(len)` / `int8::bit(len)`: the low `len` bits of `v` (sign
    /// bits to the left of its width); a length of 0 or less means 1.
    pub fn from_int(v: i64, width: u32, len: i32) -> BitString {
        let len = if len <= 0 { 1 } else { len as usize };
        let neg = v < 0;
        BitString::from_bits((0..len).map(|i| {
            let shift = len - 1 - i;
            if shift >= width as usize {
                neg
            } else {
                (v >> shift) & 1 == 1
            }
        }))
    }

    /// `bit::int4` / `bit::int8`: the bits as a two's complement number of
    /// `width` bits; more bits than that are out of range.
    pub fn to_int(&self, width: u32) -> PgResult<i64> {
        if self.len > width as usize {
            return Err(PgError::new(
                SqlState::NumericValueOutOfRange,
                if width == 32 {
                    "integer out of range"
                } else {
                    "bigint out of range"
                },
            ));
        }
        let mut v: u64 = 0;
        for b in self.iter() {
            v = (v << 1) | u64::from(b);
        }
        Ok(if width == 32 {
            i64::from(v as u32 as i32)
        } else {
            v as i64
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> BitString {
        BitString::parse(s).expect("a value")
    }

    #[test]
    fn input_forms_and_errors() {
        assert_eq!(b("0101").to_text(), "0101");
        assert_eq!(b("B0101").to_text(), "0101");
        assert_eq!(b("x1F").to_text(), "00011111");
        assert_eq!(b("X1f").bytes(), &[0x1F]);
        assert_eq!(b("").len(), 0);
        let e = BitString::parse("0121").expect_err("an error");
        assert_eq!(e.message, "\"2\" is not a valid binary digit");
        let e = BitString::parse("xG").expect_err("an error");
        assert_eq!(e.message, "\"G\" is not a valid hexadecimal digit");
        let e = BitString::parse_bit("101", 4).expect_err("an error");
        assert_eq!(e.message, "bit string length 3 does not match type bit(4)");
        let e = BitString::parse_varbit("101", 2).expect_err("an error");
        assert_eq!(e.message, "bit string too long for type bit varying(2)");
    }

    #[test]
    fn binary_round_trip_clears_padding() {
        let v = b("10110");
        assert_eq!(v.to_binary(), vec![0, 0, 0, 5, 0b1011_0000]);
        let r = BitString::from_binary(&[0, 0, 0, 5, 0b1011_0111]).expect("a value");
        assert_eq!(r, v);
    }

    #[test]
    fn coercions_and_ints() {
        assert_eq!(
            b("101").coerce_bit(5, true).expect("a value").to_text(),
            "10100"
        );
        assert_eq!(
            b("10111").coerce_bit(3, true).expect("a value").to_text(),
            "101"
        );
        assert!(b("101").coerce_bit(5, false).is_err());
        assert_eq!(
            b("10111")
                .coerce_varbit(3, true)
                .expect("a value")
                .to_text(),
            "101"
        );
        assert_eq!(BitString::from_int(5, 32, 8).to_text(), "00000101");
        assert_eq!(BitString::from_int(-1, 32, 34).to_text(), "1".repeat(34));
        assert_eq!(
            b("11111111111111111111111111111111")
                .to_int(32)
                .expect("a value"),
            -1
        );
        assert!(b("1".repeat(33).as_str()).to_int(32).is_err());
    }

    #[test]
    fn operators() {
        assert_eq!(b("1").compare(&b("01")), Ordering::Greater);
        assert_eq!(b("10").compare(&b("100")), Ordering::Less);
        assert_eq!(b("101").concat(&b("11")).to_text(), "10111");
        assert_eq!(b("1010").not().to_text(), "0101");
        assert_eq!(b("10011").shift_left(2).to_text(), "01100");
        assert_eq!(b("10011").shift_right(2).to_text(), "00100");
        assert_eq!(b("10011").shift_left(-2).to_text(), "00100");
        assert_eq!(
            b("0101011")
                .substring(2, Some(3))
                .expect("a value")
                .to_text(),
            "101"
        );
        assert_eq!(b("0101011").position(&b("11")), 6);
        assert_eq!(
            b("01010101")
                .overlay(&b("11"), 2, None)
                .expect("a value")
                .to_text(),
            "01110101"
        );
        assert!(b("1").bitwise(&b("11"), '&').is_err());
    }
}
