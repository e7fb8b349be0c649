//! Index tuples and key comparison.
//!
//! ```text
//!   0..4   block    leaf: heap tid's block; pivot: the child's block (downlink)
//!   4..6   offset   leaf: heap tid's offset; pivot: how many key columns it has
//!   6..8   info     size (13 bits) | PIVOT | VARWIDTH | HASNULLS
//!   [8..12 null bitmap, bit i set = column i is NULL; then zero padding to 16]
//!   data   the columns, aligned as in heap tuples (`tuple::fill_data`)
//!   pivot only: the heap tid tiebreaker in the last 6 bytes, if needed
//! ```
//!
//! Leaf tuples hold every index column (key columns, then INCLUDE columns).
//! Pivot tuples (high keys and internal-page downlinks) hold the key columns
//! and the heap tid of the leaf tuple they were made from, so that the tree
//! is ordered by (key columns, heap tid) and every entry is distinct
//! (PostgreSQL 12's heap-tid tiebreaker). The first downlink of an internal
//! page is "minus infinity": a pivot with no key columns.

use std::cmp::Ordering;

use types::{Datum, PgError, PgResult, SqlState};

use super::IndexDesc;
use crate::heap::tuple::{TupleDesc, compare_attr, deform_data, fill_index_data};
use crate::page::{ItemPointer, maxalign};
use crate::smgr::BlockNumber;

const SIZE_MASK: u16 = 0x1FFF;
const PIVOT: u16 = 0x2000;
const VARWIDTH: u16 = 0x4000;
const HASNULLS: u16 = 0x8000;
const HEADER: usize = 8;
/// In a pivot's offset field: the pivot carries a heap tid (in its last 6
/// bytes); the low 12 bits count its key columns.
const PIVOT_HAS_TID: u16 = 0x1000;
const PIVOT_NATTS_MASK: u16 = 0x0FFF;
/// Index columns have at most 32 columns, so the null bitmap is 4 bytes.
const BITMAP: usize = 4;
/// The most columns an index can have (PostgreSQL's `INDEX_MAX_KEYS`).
pub const INDEX_MAX_KEYS: usize = 32;

/// The largest index tuple a page takes: a third of a page, so that a split
/// always finds room (PostgreSQL's `BTMaxItemSize`, the same figure).
pub const MAX_ITEM_SIZE: usize = 2704;

/// Builds a leaf tuple for `values` (every index column) pointing at `tid`.
pub fn form_leaf(desc: &IndexDesc, values: &[Datum], tid: ItemPointer) -> PgResult<Vec<u8>> {
    let out = form(&desc.tupdesc, values, tid.block, tid.offset, 0)?;
    if out.len() > MAX_ITEM_SIZE {
        return Err(PgError::new(
            SqlState::ProgramLimitExceeded,
            format!("index row size {} exceeds btree version 4 maximum {MAX_ITEM_SIZE} for index \"{}\"", maxalign(out.len()), desc.name),
        )
        .with_hint("Values larger than 1/3 of a buffer page cannot be indexed.\nConsider a function index of an MD5 hash of the value, or use full text indexing."));
    }
    Ok(out)
}

fn form(
    desc: &TupleDesc,
    values: &[Datum],
    block: u32,
    offset: u16,
    flags: u16,
) -> PgResult<Vec<u8>> {
    let has_null = values.iter().any(Datum::is_null);
    let start = if has_null {
        maxalign(HEADER + BITMAP)
    } else {
        HEADER
    };
    let mut out = vec![0u8; start];
    let mut info = flags;
    if has_null {
        info |= HASNULLS;
        let mut bits = 0u32;
        for (i, v) in values.iter().enumerate() {
            if v.is_null() {
                bits |= 1 << i;
            }
        }
        out[HEADER..HEADER + BITMAP].copy_from_slice(&bits.to_le_bytes());
    }
    // fill_index_data pairs attributes with values and stops at the shorter
    // list; it compresses long values as PostgreSQL's index_form_tuple does.
    if fill_index_data(desc, values, &mut out)? {
        info |= VARWIDTH;
    }
    out[0..4].copy_from_slice(&block.to_le_bytes());
    out[4..6].copy_from_slice(&offset.to_le_bytes());
    finish(out, info)
}

fn finish(out: Vec<u8>, info: u16) -> PgResult<Vec<u8>> {
    let mut out = out;
    if out.len() > SIZE_MASK as usize {
        return Err(PgError::new(
            SqlState::ProgramLimitExceeded,
            format!(
                "index row requires {} bytes, maximum size is 8191",
                out.len()
            ),
        ));
    }
    let info = (info & !SIZE_MASK) | out.len() as u16;
    out[6..8].copy_from_slice(&info.to_le_bytes());
    Ok(out)
}

/// A pivot tuple made from leaf or pivot tuple `from`: its key columns and,
/// with `keep_tid`, its heap tid, pointing down at `child` (a high key's
/// child is unused). Without the tid the pivot sorts before every entry
/// with its keys (PostgreSQL's suffix truncation of the heap tid).
pub fn make_pivot(
    desc: &IndexDesc,
    from: &[u8],
    child: BlockNumber,
    keep_tid: bool,
) -> PgResult<Vec<u8>> {
    let t = IndexTuple::parse(from)?;
    let keys = t.keys(desc)?;
    let tid = t.heap_tid().filter(|_| keep_tid);
    let natts = keys.len() as u16 | if tid.is_some() { PIVOT_HAS_TID } else { 0 };
    let mut out = form(&desc.keydesc, &keys, child, natts, PIVOT)?;
    if let Some(tid) = tid {
        out.extend_from_slice(&tid.block.to_le_bytes());
        out.extend_from_slice(&tid.offset.to_le_bytes());
    }
    let info = le_u16(&out, 6);
    finish(out, info)
}

/// The separator between the last entry left of a split and the first one
/// right of it, pointing at `child`: the first right entry's keys, and its
/// heap tid only when the keys alone cannot tell the two apart. A pivot
/// (an internal page's entry) is reused as it is.
pub fn separator(
    desc: &IndexDesc,
    last_left: &[u8],
    first_right: &[u8],
    child: BlockNumber,
) -> PgResult<Vec<u8>> {
    let r = IndexTuple::parse(first_right)?;
    if r.is_pivot() {
        return make_pivot(desc, first_right, child, r.heap_tid().is_some());
    }
    let l = IndexTuple::parse(last_left)?;
    let same = cmp_keys(desc, &l.keys(desc)?, &r.keys(desc)?)? == Ordering::Equal;
    make_pivot(desc, first_right, child, same)
}

/// The "minus infinity" downlink to `child`: a pivot without key columns.
pub fn minus_infinity(child: BlockNumber) -> Vec<u8> {
    let mut out = vec![0u8; HEADER];
    out[0..4].copy_from_slice(&child.to_le_bytes());
    let info = PIVOT | HEADER as u16;
    out[6..8].copy_from_slice(&info.to_le_bytes());
    out
}

/// `t` with its downlink replaced (internal pages keep the key, change the child).
pub fn with_downlink(t: &[u8], child: BlockNumber) -> Vec<u8> {
    let mut out = t.to_vec();
    out[0..4].copy_from_slice(&child.to_le_bytes());
    out
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A view of one index tuple.
#[derive(Debug, Clone, Copy)]
pub struct IndexTuple<'a> {
    bytes: &'a [u8],
    info: u16,
}

impl<'a> IndexTuple<'a> {
    pub fn parse(bytes: &'a [u8]) -> PgResult<IndexTuple<'a>> {
        if bytes.len() < HEADER {
            return Err(PgError::new(
                SqlState::IndexCorrupted,
                format!("index tuple of {} bytes is too short", bytes.len()),
            ));
        }
        let info = le_u16(bytes, 6);
        if (info & SIZE_MASK) as usize != bytes.len() {
            return Err(PgError::new(
                SqlState::IndexCorrupted,
                format!(
                    "index tuple size {} does not match its line pointer ({} bytes)",
                    info & SIZE_MASK,
                    bytes.len()
                ),
            ));
        }
        Ok(IndexTuple { bytes, info })
    }

    pub fn is_pivot(&self) -> bool {
        self.info & PIVOT != 0
    }

    fn block(&self) -> BlockNumber {
        le_u32(self.bytes, 0)
    }

    /// A pivot's child page.
    pub fn downlink(&self) -> BlockNumber {
        self.block()
    }

    /// The heap tuple a leaf tuple points at, or the tiebreaker a pivot
    /// carries (None for minus infinity).
    pub fn heap_tid(&self) -> Option<ItemPointer> {
        if !self.is_pivot() {
            return Some(ItemPointer::new(self.block(), le_u16(self.bytes, 4)));
        }
        if le_u16(self.bytes, 4) & PIVOT_HAS_TID == 0 {
            return None;
        }
        let n = self.bytes.len();
        Some(ItemPointer::new(
            le_u32(self.bytes, n - 6),
            le_u16(self.bytes, n - 2),
        ))
    }

    fn natts_pivot(&self) -> usize {
        (le_u16(self.bytes, 4) & PIVOT_NATTS_MASK) as usize
    }

    fn data_start(&self) -> usize {
        if self.info & HASNULLS != 0 {
            maxalign(HEADER + BITMAP)
        } else {
            HEADER
        }
    }

    /// Whether column `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        self.info & HASNULLS != 0 && le_u32(self.bytes, HEADER) & (1 << i) != 0
    }

    /// The key columns (as many as the tuple has: none for minus infinity).
    pub fn keys(&self, desc: &IndexDesc) -> PgResult<Vec<Datum>> {
        let n = if self.is_pivot() {
            self.natts_pivot()
        } else {
            desc.nkeyatts
        };
        let body = if self.is_pivot() && self.heap_tid().is_some() {
            &self.bytes[..self.bytes.len() - 6]
        } else {
            self.bytes
        };
        deform_data(
            &desc.keydesc,
            body,
            self.data_start(),
            |i| self.is_null(i),
            n,
            "index tuple",
        )
    }

    /// Every column of a leaf tuple (key and INCLUDE columns).
    pub fn values(&self, desc: &IndexDesc) -> PgResult<Vec<Datum>> {
        deform_data(
            &desc.tupdesc,
            self.bytes,
            self.data_start(),
            |i| self.is_null(i),
            desc.tupdesc.natts(),
            "index tuple",
        )
    }
}

/// Where a search is headed: the first `values.len()` key columns, then
/// optionally the heap tid. Missing trailing columns (and a missing tid)
/// count as minus infinity, or plus infinity with `nextkey`, so that a
/// search finds the first entry >= the key (or > it).
#[derive(Debug, Clone)]
pub struct ScanKey {
    pub values: Vec<Datum>,
    pub tid: Option<ItemPointer>,
    pub nextkey: bool,
}

/// Orders two key column values as the index column does (DESC, NULLS FIRST).
pub fn cmp_column(a: &Datum, b: &Datum, desc: bool, nulls_first: bool) -> PgResult<Ordering> {
    Ok(match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (false, false) => {
            let o = types::compare::compare(a, b)?;
            if desc { o.reverse() } else { o }
        }
    })
}

/// Orders key column values `a` against `b` over their common prefix.
pub fn cmp_keys(desc: &IndexDesc, a: &[Datum], b: &[Datum]) -> PgResult<Ordering> {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let opt = desc.options[i];
        let o = cmp_column(x, y, opt.desc, opt.nulls_first)?;
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(Ordering::Equal)
}

/// Orders the key columns of leaf tuples `a` and `b`, read in place.
pub fn cmp_leaf_keys(desc: &IndexDesc, a: &[u8], b: &[u8]) -> PgResult<Ordering> {
    let (ta, tb) = (IndexTuple::parse(a)?, IndexTuple::parse(b)?);
    let (mut oa, mut ob) = (ta.data_start(), tb.data_start());
    for i in 0..desc.nkeyatts {
        let opt = desc.options[i];
        let o = match (ta.is_null(i), tb.is_null(i)) {
            // NULLs take no bytes: the offsets stay.
            (true, true) => Ordering::Equal,
            (true, false) if opt.nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if opt.nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let (o, na, nb) =
                    crate::heap::tuple::compare_stored(&desc.keydesc.attrs[i], a, oa, b, ob)?;
                (oa, ob) = (na, nb);
                if opt.desc { o.reverse() } else { o }
            }
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(Ordering::Equal)
}

/// Orders leaf tuples `a` and `b` as the index does: key columns, then heap tid.
pub fn cmp_leaf(desc: &IndexDesc, a: &[u8], b: &[u8]) -> PgResult<Ordering> {
    Ok(match cmp_leaf_keys(desc, a, b)? {
        Ordering::Equal => IndexTuple::parse(a)?
            .heap_tid()
            .cmp(&IndexTuple::parse(b)?.heap_tid()),
        o => o,
    })
}

/// How `key` orders against the tuple `item` (PostgreSQL's `_bt_compare`).
/// Reads the tuple's columns in place, one at a time, only as far as the
/// key needs them.
pub fn compare(desc: &IndexDesc, key: &ScanKey, item: &[u8]) -> PgResult<Ordering> {
    let t = IndexTuple::parse(item)?;
    let natts = if t.is_pivot() {
        t.natts_pivot()
    } else {
        desc.nkeyatts
    };
    if natts == 0 && t.is_pivot() {
        // Minus infinity: everything is greater.
        return Ok(Ordering::Greater);
    }
    let body = if t.is_pivot() && t.heap_tid().is_some() {
        &t.bytes[..t.bytes.len() - 6]
    } else {
        t.bytes
    };
    let mut off = t.data_start();
    for (i, value) in key.values.iter().enumerate().take(natts) {
        let opt = desc.options[i];
        let o = if t.is_null(i) {
            cmp_column(value, &Datum::Null, opt.desc, opt.nulls_first)?
        } else if value.is_null() {
            let o = cmp_column(value, &Datum::Bool(false), opt.desc, opt.nulls_first)?;
            // The stored value's width must still be skipped if we go on; a
            // NULL never equals it, so we return here.
            return Ok(o);
        } else {
            let (o, next) = compare_attr(&desc.keydesc.attrs[i], body, off, value)?;
            off = next;
            if opt.desc { o.reverse() } else { o }
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    let past = if key.nextkey {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    if key.values.len() < desc.nkeyatts {
        return Ok(past);
    }
    Ok(match (key.tid, t.heap_tid()) {
        (Some(a), Some(b)) => a.cmp(&b),
        // A pivot without a tid sorts before every entry with its keys.
        (_, None) => Ordering::Greater,
        (None, Some(_)) => past,
    })
}
