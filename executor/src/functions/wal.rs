//! WAL positions: the `pg_lsn` operators (PostgreSQL's `utils/adt/pg_lsn.c`)
//! and the WAL functions of `access/transam/xlogfuncs.c`
//! (`pg_current_wal_lsn()`, `pg_walfile_name()`, `pg_wal_lsn_diff()`, ...).
//!
//! `pg_lsn - pg_lsn` and `pg_lsn ± numeric` go through numeric as PostgreSQL's
//! do: the difference is exact and signed, and a sum is rounded (half away from
//! zero) to a whole byte position, which must lie in `0/0 ..= FFFFFFFF/FFFFFFFF`.

use types::datum::Numeric;
use types::{Datum, PgError, PgResult, SqlState};
use wal::segment::{WAL_SEGMENT_SIZE, segment_file_name};

use crate::expr::Evaluator;

/// `pg_lsn_mi`, `pg_wal_lsn_diff`: `a - b` in bytes, as numeric.
pub fn lsn_diff(a: u64, b: u64) -> Numeric {
    Numeric::new(i128::from(a) - i128::from(b), 0)
}

/// `numeric_pg_lsn`: a numeric rounded to a whole position.
fn numeric_to_lsn(n: &Numeric) -> PgResult<u64> {
    match n {
        Numeric::NaN => Err(PgError::new(
            SqlState::FeatureNotSupported,
            "cannot convert NaN to pg_lsn",
        )),
        Numeric::PosInf | Numeric::NegInf => Err(PgError::new(
            SqlState::FeatureNotSupported,
            "cannot convert infinity to pg_lsn",
        )),
        _ => n
            .to_i128_rounded()
            .and_then(|m| u64::try_from(m).ok())
            .ok_or_else(|| PgError::new(SqlState::InvalidParameterValue, "pg_lsn out of range")),
    }
}

/// `pg_lsn_pli` / `pg_lsn_mii`: `lsn + n` or `lsn - n`.
pub fn lsn_plus(lsn: u64, n: &Numeric, subtract: bool) -> PgResult<u64> {
    if *n == Numeric::NaN {
        let msg = if subtract {
            "cannot subtract NaN from pg_lsn"
        } else {
            "cannot add NaN to pg_lsn"
        };
        return Err(PgError::new(SqlState::FeatureNotSupported, msg));
    }
    let base = Numeric::new(i128::from(lsn), 0);
    let r = if subtract { base.sub(n)? } else { base.add(n)? };
    numeric_to_lsn(&r)
}

/// `pg_walfile_name`: the segment file holding the byte just before `lsn`
/// (PostgreSQL's `XLByteToPrevSeg`), so that a position exactly at a segment
/// boundary names the segment that ends there; `0/0` wraps around to the
/// last segment name, as in PostgreSQL.
pub fn walfile_name(lsn: u64) -> String {
    segment_file_name(lsn.wrapping_sub(1) / WAL_SEGMENT_SIZE)
}

pub fn call(func: &str, args: &[Datum], ev: &mut Evaluator<'_>) -> PgResult<Option<Datum>> {
    Ok(Some(match (func, args) {
        ("pg_lsn_mi", [Datum::PgLsn(a), Datum::PgLsn(b)]) => Datum::Numeric(lsn_diff(*a, *b)),
        ("numeric_pg_lsn", [Datum::Numeric(n)]) => Datum::PgLsn(numeric_to_lsn(n)?),
        ("pg_lsn_pli", [Datum::PgLsn(l), Datum::Numeric(n)])
        | ("numeric_pl_pg_lsn", [Datum::Numeric(n), Datum::PgLsn(l)]) => {
            Datum::PgLsn(lsn_plus(*l, n, false)?)
        }
        ("pg_lsn_mii", [Datum::PgLsn(l), Datum::Numeric(n)]) => {
            Datum::PgLsn(lsn_plus(*l, n, true)?)
        }
        ("pg_walfile_name", [Datum::PgLsn(l)]) => Datum::Text(walfile_name(*l)),
        ("pg_current_wal_lsn", []) => Datum::PgLsn(ev.ctx.wal_positions()?.write.0),
        ("pg_current_wal_insert_lsn", []) => Datum::PgLsn(ev.ctx.wal_positions()?.insert.0),
        ("pg_current_wal_flush_lsn", []) => Datum::PgLsn(ev.ctx.wal_positions()?.flush.0),
        // Sessions are admitted only after recovery, and there are no standbys.
        ("pg_is_in_recovery", []) => Datum::Bool(false),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn num(s: &str) -> Numeric {
        Numeric::parse(s).unwrap().unwrap()
    }

    /// Expectations from PostgreSQL 15.
    #[test]
    fn arithmetic_matches_postgres() {
        assert_eq!(lsn_diff(0x1_0000_0000, 1).to_text(), "4294967295");
        assert_eq!(lsn_diff(0, u64::MAX).to_text(), "-18446744073709551615");
        assert_eq!(
            lsn_plus(0x1_0000_0000, &num("16"), false).unwrap(),
            0x1_0000_0010
        );
        assert_eq!(
            lsn_plus(0x1_0000_0000, &num("16.7"), false).unwrap(),
            0x1_0000_0011
        );
        assert_eq!(
            lsn_plus(0x1_0000_0000, &num("1.5"), true).unwrap(),
            0xFFFF_FFFF
        );
        let e = lsn_plus(u64::MAX, &num("1"), false).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (SqlState::InvalidParameterValue, "pg_lsn out of range")
        );
        assert_eq!(
            lsn_plus(0, &num("1"), true).unwrap_err().message,
            "pg_lsn out of range"
        );
        let e = lsn_plus(0, &Numeric::NaN, false).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (SqlState::FeatureNotSupported, "cannot add NaN to pg_lsn")
        );
        assert_eq!(
            lsn_plus(0, &Numeric::NaN, true).unwrap_err().message,
            "cannot subtract NaN from pg_lsn"
        );
        assert_eq!(
            lsn_plus(0, &Numeric::PosInf, false).unwrap_err().message,
            "cannot convert infinity to pg_lsn"
        );
        assert_eq!(
            lsn_plus(0, &num("1e30"), false).unwrap_err().message,
            "pg_lsn out of range"
        );
    }

    /// `pg_walfile_name` on PostgreSQL 15: a segment's first byte names the segment before.
    #[test]
    fn walfile_names_match_postgres() {
        assert_eq!(walfile_name(0x100_0000), "000000010000000000000000");
        assert_eq!(walfile_name(0x100_0001), "000000010000000000000001");
        assert_eq!(walfile_name(0xFF_FFFF), "000000010000000000000000");
        assert_eq!(walfile_name(1), "000000010000000000000000");
        assert_eq!(walfile_name(0), "00000001FFFFFFFF000000FF");
        assert_eq!(walfile_name(0x1_0000_0000), "0000000100000000000000FF");
    }
}
