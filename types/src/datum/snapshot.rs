//! `pg_snapshot` and `txid_snapshot` (PostgreSQL's `xid8funcs.c`): a
//! snapshot of which transactions had finished, as `xmin:xmax:xip,...`.
//! Both types share this value; our transaction ids are 64-bit, so the
//! values are the ids themselves.

use crate::{PgError, PgResult, SqlState};

/// A snapshot: every xid below `xmin` had finished, none from `xmax` on
/// had, and of those between, the ones in `xip` (sorted, distinct) were
/// still running.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SnapshotValue {
    pub xmin: u64,
    pub xmax: u64,
    pub xip: Vec<u64>,
}

/// An xid as PostgreSQL's `FullTransactionIdIsValid` sees it: its low 32
/// bits (the epoch-less xid) are not the invalid xid 0.
fn valid(x: u64) -> bool {
    x & 0xffff_ffff != 0
}

/// C's `strtou64` in base 10: blanks, a sign (a negative number wraps),
/// digits (saturating); the value and the unread rest. Without digits
/// nothing is read.
fn strtou64(s: &str) -> (u64, &str) {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return (0, s);
    }
    let v = t[..digits]
        .bytes()
        .try_fold(0u64, |v, d| {
            v.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .map_or(u64::MAX, |v| if negative { v.wrapping_neg() } else { v });
    (v, &t[digits..])
}

impl SnapshotValue {
    /// Parses `xmin:xmax:xip,...` with PostgreSQL's checks: valid bounds
    /// in order, each running xid between them and none smaller than the
    /// one before (repeats are dropped). Errors name `pg_snapshot`, as
    /// PostgreSQL's do for both types.
    pub fn parse(s: &str) -> PgResult<SnapshotValue> {
        let bad = || {
            PgError::new(
                SqlState::InvalidTextRepresentation,
                format!("invalid input syntax for type pg_snapshot: \"{s}\""),
            )
        };
        let (xmin, rest) = strtou64(s);
        let rest = rest.strip_prefix(':').ok_or_else(bad)?;
        let (xmax, rest) = strtou64(rest);
        let mut rest = rest.strip_prefix(':').ok_or_else(bad)?;
        if !valid(xmin) || !valid(xmax) || xmax < xmin {
            return Err(bad());
        }
        let mut xip: Vec<u64> = Vec::new();
        let mut last = 0u64;
        while !rest.is_empty() {
            let (val, after) = strtou64(rest);
            if val < xmin || val >= xmax || val < last {
                return Err(bad());
            }
            if val != last {
                xip.push(val);
            }
            last = val;
            rest = match after.strip_prefix(',') {
                Some(r) => r,
                None if after.is_empty() => after,
                None => return Err(bad()),
            };
        }
        Ok(SnapshotValue { xmin, xmax, xip })
    }

    pub fn to_text(&self) -> String {
        let xip: Vec<String> = self.xip.iter().map(u64::to_string).collect();
        format!("{}:{}:{}", self.xmin, self.xmax, xip.join(","))
    }

    /// `pg_snapshot_send`: the number of running xids (int4), xmin, xmax,
    /// then the running xids (int8 each), big-endian.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + 8 * self.xip.len());
        out.extend_from_slice(&(self.xip.len() as i32).to_be_bytes());
        out.extend_from_slice(&self.xmin.to_be_bytes());
        out.extend_from_slice(&self.xmax.to_be_bytes());
        for x in &self.xip {
            out.extend_from_slice(&x.to_be_bytes());
        }
        out
    }

    /// `pg_snapshot_recv`, with its checks (22P03 for anything else).
    pub fn from_binary(b: &[u8]) -> PgResult<SnapshotValue> {
        let bad = || {
            PgError::new(
                SqlState::InvalidBinaryRepresentation,
                "invalid external pg_snapshot data",
            )
        };
        let word = |at: usize| -> PgResult<u64> {
            let bytes = b.get(at..at + 8).ok_or_else(bad)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(bytes);
            Ok(u64::from_be_bytes(a))
        };
        let n = b
            .get(..4)
            .map(|x| i32::from_be_bytes([x[0], x[1], x[2], x[3]]))
            .ok_or_else(bad)?;
        let n = usize::try_from(n).map_err(|_| bad())?;
        if b.len() != 20 + 8 * n {
            return Err(bad());
        }
        let (xmin, xmax) = (word(4)?, word(12)?);
        if !valid(xmin) || !valid(xmax) || xmax < xmin {
            return Err(bad());
        }
        let mut xip = Vec::with_capacity(n);
        for i in 0..n {
            let x = word(20 + 8 * i)?;
            if x < xmin || x >= xmax || xip.last().is_some_and(|l| x < *l) {
                return Err(bad());
            }
            if xip.last() != Some(&x) {
                xip.push(x);
            }
        }
        Ok(SnapshotValue { xmin, xmax, xip })
    }

    /// Whether transaction `xid` had finished for the snapshot
    /// (`pg_visible_in_snapshot`).
    pub fn sees(&self, xid: u64) -> bool {
        xid < self.xmin || (xid < self.xmax && self.xip.binary_search(&xid).is_err())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_input_checks_as_postgresql() {
        assert_eq!(SnapshotValue::parse("12:13:").unwrap().to_text(), "12:13:");
        assert_eq!(
            SnapshotValue::parse("12:16:14,14").unwrap().to_text(),
            "12:16:14"
        );
        for bad in [
            "31:12:",
            "0:1:",
            "12:13:0",
            "12:16:14,13",
            "1:9223372036854775808:3",
            "12:13",
            "a:b:",
            "12:20:13;15",
        ] {
            let e = SnapshotValue::parse(bad).unwrap_err();
            assert_eq!(e.code, SqlState::InvalidTextRepresentation, "{bad}");
        }
    }

    #[test]
    fn binary_round_trip_and_visibility() {
        let s = SnapshotValue::parse("100:150:101,120").unwrap();
        assert_eq!(SnapshotValue::from_binary(&s.to_binary()).unwrap(), s);
        assert!(s.sees(99) && !s.sees(101) && s.sees(102) && !s.sees(150));
        assert!(SnapshotValue::from_binary(&s.to_binary()[..20]).is_err());
    }
}
