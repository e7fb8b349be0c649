//! LSNs and WAL segment files.
//!
//! An LSN is a byte position in the WAL stream. The stream is cut into 16 MiB
//! segment files under `pg_wal/`, named as PostgreSQL names them (timeline,
//! then the high and low parts of the segment number, 8 hex digits each).
//! LSN 0 is invalid; the first record of a new cluster is at the start of
//! segment 1 (`0/1000000`), as in PostgreSQL.

use std::fmt;

/// Bytes per WAL segment file (PostgreSQL's default `wal_segment_size`).
pub const WAL_SEGMENT_SIZE: u64 = 16 * 1024 * 1024;
/// Segments per "xlogid" in file names (2^32 / segment size).
const SEGMENTS_PER_XLOGID: u64 = 0x1_0000_0000 / WAL_SEGMENT_SIZE;
/// We have one timeline.
pub const TIMELINE: u32 = 1;
/// The directory of segment files, relative to the data directory.
pub const PG_WAL_DIR: &str = "pg_wal";

/// A WAL position (PostgreSQL's `XLogRecPtr`). Printed as `X/X` (high and low
/// 32 bits in hex), as `pg_current_wal_lsn()` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    pub const INVALID: Lsn = Lsn(0);
    /// Where the WAL of a new cluster starts.
    pub const FIRST: Lsn = Lsn(WAL_SEGMENT_SIZE);

    /// The segment this position is in.
    pub fn segno(self) -> u64 {
        self.0 / WAL_SEGMENT_SIZE
    }

    /// The offset of this position inside its segment file.
    pub fn segment_offset(self) -> u64 {
        self.0 % WAL_SEGMENT_SIZE
    }

    pub fn is_valid(self) -> bool {
        self.0 != 0
    }

    /// Parses `X/X` (`pg_lsn` input syntax).
    pub fn parse(s: &str) -> Option<Lsn> {
        let (hi, lo) = s.split_once('/')?;
        if hi.is_empty() || lo.is_empty() || hi.len() > 8 || lo.len() > 8 {
            return None;
        }
        let hi = u32::from_str_radix(hi, 16).ok()?;
        let lo = u32::from_str_radix(lo, 16).ok()?;
        Some(Lsn((u64::from(hi) << 32) | u64::from(lo)))
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xffff_ffff)
    }
}

/// The file name of segment `segno` (PostgreSQL's `XLogFileName`).
pub fn segment_file_name(segno: u64) -> String {
    format!(
        "{:08X}{:08X}{:08X}",
        TIMELINE,
        segno / SEGMENTS_PER_XLOGID,
        segno % SEGMENTS_PER_XLOGID
    )
}

/// The segment number a file name stands for, if it is a segment file name of
/// our timeline.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    if name.len() != 24
        || !name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
    {
        return None;
    }
    let tli = u32::from_str_radix(&name[0..8], 16).ok()?;
    let hi = u64::from_str_radix(&name[8..16], 16).ok()?;
    let lo = u64::from_str_radix(&name[16..24], 16).ok()?;
    (tli == TIMELINE && lo < SEGMENTS_PER_XLOGID).then_some(hi * SEGMENTS_PER_XLOGID + lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_postgresql() {
        assert_eq!(segment_file_name(1), "000000010000000000000001");
        assert_eq!(segment_file_name(256), "000000010000000100000000");
        assert_eq!(segment_file_name(0x1ff), "0000000100000001000000FF");
        assert_eq!(
            parse_segment_file_name("0000000100000001000000FF"),
            Some(0x1ff)
        );
        assert_eq!(parse_segment_file_name("0000000100000001000000ff"), None);
        assert_eq!(parse_segment_file_name("000000010000000100000100"), None);
        assert_eq!(parse_segment_file_name("000000020000000000000001"), None);
    }

    #[test]
    fn lsn_prints_and_parses_as_pg_lsn() {
        assert_eq!(Lsn(0x0100_0028).to_string(), "0/1000028");
        assert_eq!(Lsn(0x1_0000_0000).to_string(), "1/0");
        assert_eq!(Lsn::parse("16/B374D848"), Some(Lsn(0x16_B374_D848)));
        assert_eq!(Lsn::parse("16/"), None);
        assert_eq!(Lsn::parse("123456789/0"), None);
        assert_eq!(Lsn(0x0100_0028).segno(), 1);
        assert_eq!(Lsn(0x0100_0028).segment_offset(), 0x28);
    }
}
