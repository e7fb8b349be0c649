//! Heap tuples: the header, the null bitmap and the data area
//! (PostgreSQL's `htup_details.h` and `heaptuple.c`).
//!
//! A heap tuple is one item of a heap page (see [`crate::page`]); it starts at a
//! MAXALIGNed offset, so alignment inside the tuple is alignment on the page.
//!
//! ```text
//!  0         8         16     20          26      28     30   31
//!  +---------+---------+------+-----------+-------+------+----+-----------+-----+------+
//!  | t_xmin  | t_xmax  |t_cid | t_ctid    |infomsk2|infomsk|hoff| null bits | pad | data |
//!  | u64     | u64     | u32  | u32 + u16 | u16   | u16  | u8 | natts/8 B |     |      |
//!  +---------+---------+------+-----------+-------+------+----+-----------+-----+------+
//!                                                                          t_hoff ^
//! ```
//!
//! All integers are little-endian. The fixed header is [`HEAP_TUPLE_HEADER_SIZE`]
//! (31) bytes; the null bitmap follows only when [`HEAP_HASNULL`] is set (bit `i`
//! set = attribute `i` is *not* null, as in PostgreSQL), and `t_hoff` (a multiple
//! of 8) is where the data begins: 32 for a tuple of up to 8 columns with nulls,
//! or with none.
//!
//! Differences from PostgreSQL: xids are 64-bit, so `t_xmin`/`t_xmax` are 8 bytes
//! and the header 31 bytes instead of 23; `t_cid` is only the command id (there is
//! no old-style VACUUM FULL, so no `t_xvac`); combo command ids are still flagged by
//! [`HEAP_COMBOCID`]. No anti-wraparound freezing is ever needed, but
//! [`HEAP_XMIN_FROZEN`] keeps its meaning (visible to everyone) for VACUUM.
//!
//! ## The data area
//!
//! Attributes follow in order, NULLs taking no space. Each is aligned as its type's
//! `typalign` says ([`Align`]: char 1, short 2, int 4, double 8), relative to the
//! tuple start, with zero padding. Fixed-length values are stored little-endian:
//!
//! | type                                   | len | align  | stored as                         |
//! |----------------------------------------|-----|--------|-----------------------------------|
//! | bool, "char"                           | 1   | char   | 0/1, the byte                     |
//! | int2                                   | 2   | short  | i16                               |
//! | int4, oid, float4, date, void          | 4   | int    | i32/u32, IEEE bits, days, 0       |
//! | int8, float8, time, timestamp(tz), money | 8 | double | i64, IEEE bits, microseconds, cents |
//! | interval                               | 16  | double | micros i64, days i32, months i32  |
//! | uuid                                   | 16  | char   | 16 bytes                          |
//! | macaddr, macaddr8                      | 6, 8 | int   | the bytes                         |
//! | name                                   | 64  | char   | UTF-8, NUL padded (at most 63 B)  |
//! | text, varchar, bpchar, bytea, numeric  | -1  | int    | varlena (below)                   |
//! | bit, varbit                            | -1  | int    | varlena: i32 BE bit count, bits   |
//! | unknown                                | -2  | char   | NUL-terminated UTF-8 (cstring)    |
//!
//! A varlena is a length word followed by the bytes (UTF-8 text, raw bytea, or a
//! numeric in PostgreSQL's binary `numeric_send` form). As in PostgreSQL, values up
//! to 126 bytes get a 1-byte header `(total_len << 1) | 1` and no alignment; larger
//! ones are int-aligned with a 4-byte header `total_len << 2` (low two bits 00).
//! A deformer tells them apart as PostgreSQL does: padding bytes are zero, so a
//! nonzero byte where a varlena may start is its header. A compressed value
//! (TOAST in line) has a 4-byte header ending in `10`, see [`form_tuple`]; the
//! header an out-of-line TOAST value (`0x01`) would use is reserved: there is
//! no out-of-line storage, so a row must fit one page once compressed
//! ([`MAX_HEAP_TUPLE_SIZE`]) or [`form_tuple`] fails with `54000 row is too big`.
//!
//! [`deform_tuple`] trusts nothing: every length and offset is checked against the
//! tuple, and damage is `XX001 data_corrupted`, never a panic or a wrong value.

use std::borrow::Cow;

use types::datum::{Interval, Numeric};
use types::{Datum, PgError, PgResult, SqlState, oid};

use crate::page::{ItemPointer, MAX_ITEM_SIZE, maxalign};

/// Size of the fixed tuple header; the null bitmap starts here.
pub const HEAP_TUPLE_HEADER_SIZE: usize = 31;

/// The largest tuple a heap page holds (PostgreSQL's `MaxHeapTupleSize`).
pub const MAX_HEAP_TUPLE_SIZE: usize = MAX_ITEM_SIZE;

/// The most attributes a tuple may have (`MaxTupleAttributeNumber`); tables are
/// limited to 1600 (`MaxHeapAttributeNumber`) by CREATE TABLE.
pub const MAX_TUPLE_ATTRIBUTE_NUMBER: usize = 1664;

/// The most columns a table may have (`MaxHeapAttributeNumber`).
pub const MAX_HEAP_ATTRIBUTE_NUMBER: usize = 1600;

// t_infomask bits, with PostgreSQL's values and meanings.

/// Some attribute is NULL: the null bitmap is present.
pub const HEAP_HASNULL: u16 = 0x0001;
/// Some non-null attribute is of variable width (varlena or cstring).
pub const HEAP_HASVARWIDTH: u16 = 0x0002;
/// Some attribute is stored out of line (TOAST); never set: values are
/// only compressed in line.
pub const HEAP_HASEXTERNAL: u16 = 0x0004;
/// xmax holds a KEY SHARE lock (FOR KEY SHARE).
pub const HEAP_XMAX_KEYSHR_LOCK: u16 = 0x0010;
/// t_cid is a combo command id (inserted and deleted in the same transaction).
pub const HEAP_COMBOCID: u16 = 0x0020;
/// xmax holds an exclusive lock (FOR UPDATE / FOR NO KEY UPDATE).
pub const HEAP_XMAX_EXCL_LOCK: u16 = 0x0040;
/// xmax only locks the tuple; it did not update or delete it.
pub const HEAP_XMAX_LOCK_ONLY: u16 = 0x0080;
/// xmax holds a SHARE lock (FOR SHARE): both lock bits.
pub const HEAP_XMAX_SHR_LOCK: u16 = HEAP_XMAX_EXCL_LOCK | HEAP_XMAX_KEYSHR_LOCK;
/// The lock-strength bits.
pub const HEAP_LOCK_MASK: u16 = HEAP_XMAX_SHR_LOCK | HEAP_XMAX_EXCL_LOCK | HEAP_XMAX_KEYSHR_LOCK;
/// Hint: xmin is known committed.
pub const HEAP_XMIN_COMMITTED: u16 = 0x0100;
/// Hint: xmin is known aborted (the tuple never existed).
pub const HEAP_XMIN_INVALID: u16 = 0x0200;
/// Both xmin hints: the tuple is visible to every snapshot.
pub const HEAP_XMIN_FROZEN: u16 = HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID;
/// Hint: xmax is known committed.
pub const HEAP_XMAX_COMMITTED: u16 = 0x0400;
/// Hint: xmax is invalid or aborted (the tuple is not deleted or locked).
pub const HEAP_XMAX_INVALID: u16 = 0x0800;
/// xmax is a MultiXactId (several lockers).
pub const HEAP_XMAX_IS_MULTI: u16 = 0x1000;
/// This tuple is the new version made by an UPDATE.
pub const HEAP_UPDATED: u16 = 0x2000;
/// Every bit about transaction state (cleared when a tuple is copied).
pub const HEAP_XACT_MASK: u16 = 0xFFF0;

// t_infomask2 bits.

/// The number of attributes (11 bits).
pub const HEAP_NATTS_MASK: u16 = 0x07FF;
/// The tuple was deleted, or updated with a change to a key column.
pub const HEAP_KEYS_UPDATED: u16 = 0x2000;
/// The tuple was HOT-updated: the new version is on the same page, reachable
/// only through this one's ctid (no new index entries).
pub const HEAP_HOT_UPDATED: u16 = 0x4000;
/// This tuple is a heap-only tuple (a HOT update's new version): no index
/// entry points at it.
pub const HEAP_ONLY_TUPLE: u16 = 0x8000;
/// Every bit of infomask2 about transaction state.
pub const HEAP2_XACT_MASK: u16 = 0xE000;

/// `typalign`: the boundary a type's values start on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// `c`: any byte.
    Char,
    /// `s`: 2 bytes.
    Short,
    /// `i`: 4 bytes.
    Int,
    /// `d`: 8 bytes.
    Double,
}

impl Align {
    pub fn bytes(self) -> usize {
        match self {
            Align::Char => 1,
            Align::Short => 2,
            Align::Int => 4,
            Align::Double => 8,
        }
    }

    /// The `pg_type.typalign` letter.
    pub fn letter(self) -> char {
        match self {
            Align::Char => 'c',
            Align::Short => 's',
            Align::Int => 'i',
            Align::Double => 'd',
        }
    }

    fn apply(self, off: usize) -> usize {
        let a = self.bytes();
        (off + a - 1) & !(a - 1)
    }
}

/// `typlen`, `typbyval`, `typalign` of a type we can store, as in `pg_type`.
pub fn type_storage(type_oid: u32) -> Option<(i16, bool, Align)> {
    Some(match type_oid {
        oid::BOOL | oid::CHAR => (1, true, Align::Char),
        oid::INT2 => (2, true, Align::Short),
        oid::INT4 | oid::OID | oid::FLOAT4 | oid::DATE | oid::VOID | oid::XID | oid::CID => {
            (4, true, Align::Int)
        }
        oid::TID => (6, false, Align::Short),
        oid::INT8
        | oid::FLOAT8
        | oid::TIME
        | oid::TIMESTAMP
        | oid::TIMESTAMPTZ
        | oid::PG_LSN
        | oid::MONEY
        | oid::XID8 => (8, true, Align::Double),
        oid::INTERVAL => (16, false, Align::Double),
        oid::TIMETZ => (12, false, Align::Double),
        oid::UUID => (16, false, Align::Char),
        oid::MACADDR => (6, false, Align::Int),
        oid::MACADDR8 => (8, false, Align::Int),
        oid::NAME => (64, false, Align::Char),
        oid::TEXT
        | oid::VARCHAR
        | oid::BPCHAR
        | oid::BYTEA
        | oid::NUMERIC
        | oid::PG_NODE_TREE
        | oid::PG_NDISTINCT
        | oid::PG_DEPENDENCIES
        | oid::PG_MCV_LIST
        | oid::JSON
        | oid::JSONPATH
        | oid::JSONB
        | oid::REGCONFIG => (-1, false, Align::Int),
        // inet and cidr in their binary form (`inet_send`).
        oid::INET | oid::CIDR => (-1, false, Align::Int),
        // The geometric types: the fixed-size ones as PostgreSQL's
        // structs (their float8s in `point_send`'s order), path and
        // polygon as varlenas (`Geo::to_storage`).
        oid::POINT => (16, false, Align::Double),
        oid::LSEG | oid::BOX => (32, false, Align::Double),
        oid::LINE | oid::CIRCLE => (24, false, Align::Double),
        oid::PATH | oid::POLYGON => (-1, false, Align::Double),
        // tsvector and tsquery in their binary form (`tsvectorsend`, `tsquerysend`).
        oid::TSVECTOR | oid::TSQUERY => (-1, false, Align::Int),
        // bit and varbit as `bit_send` writes them: bit count, then the bits.
        oid::BIT | oid::VARBIT => (-1, false, Align::Int),
        // Snapshots as `pg_snapshot_send` writes them.
        oid::PG_SNAPSHOT | oid::TXID_SNAPSHOT => (-1, false, Align::Double),
        // Stored in their text form until arrays exist (catalog columns only).
        oid::INT2VECTOR | oid::OIDVECTOR => (-1, false, Align::Int),
        oid::UNKNOWN => (-2, false, Align::Char),
        // Arrays are stored in their binary form (`array_send`), which names
        // the element type: `anyarray` (pg_statistic's values) is one too.
        t if oid::element_of(t).is_some() => (-1, false, Align::Int),
        oid::ANYARRAY => (-1, false, Align::Double),
        // Ranges too (`range_send`); aligned as PostgreSQL aligns them.
        oid::INT4RANGE | oid::DATERANGE => (-1, false, Align::Int),
        t if oid::range_subtype(t).is_some() => (-1, false, Align::Double),
        oid::INT4MULTIRANGE | oid::NUMMULTIRANGE | oid::DATEMULTIRANGE => (-1, false, Align::Int),
        t if oid::multirange_range(t).is_some() => (-1, false, Align::Double),
        // A user enum holds the OID of its label (`pg_enum.oid`).
        t if types::typcache::is_enum(t) => (4, true, Align::Int),
        // A domain is stored as its base type.
        t if types::typcache::is_domain(t) => {
            return type_storage(types::typcache::base_type(t));
        }
        // Composite values in their binary form (`record_send`), aligned
        // as PostgreSQL aligns a row.
        t if types::datum::record::is_composite(t) => (-1, false, Align::Double),
        _ => return None,
    })
}

/// One column of a tuple descriptor (the storage-relevant part of `pg_attribute`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    /// `atttypid`
    pub type_oid: u32,
    /// `atttypmod` (-1 if none); not used for storage, carried for the catalog.
    pub typmod: i32,
    /// `attlen`: bytes, or -1 varlena, -2 cstring.
    pub len: i16,
    /// `attalign`
    pub align: Align,
    /// `attbyval`
    pub by_val: bool,
    /// `attstorage`: `p` plain (never compressed), `m` main and `x` extended
    /// (compressed when the row is too long, see [`form_tuple`]), `e`
    /// external (never compressed). The type's `typstorage` unless ALTER
    /// COLUMN ... SET STORAGE chose another.
    pub storage: char,
    /// The method that compresses this column's values (`attcompression`,
    /// else `default_toast_compression`).
    pub compression: Compression,
}

/// A TOAST compression method, as the two high bits of a compressed value's
/// `va_tcinfo` word name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// PostgreSQL's LZ format ([`super::pglz`]).
    #[default]
    Pglz,
    /// LZ4's block format ([`super::lz4`]).
    Lz4,
}

impl Compression {
    /// The method's id in `va_tcinfo` (`TOAST_PGLZ_COMPRESSION_ID`, ...).
    fn id(self) -> u32 {
        match self {
            Compression::Pglz => 0,
            Compression::Lz4 => 1,
        }
    }

    /// Its name, as `pg_column_compression` and `attcompression` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Pglz => "pglz",
            Compression::Lz4 => "lz4",
        }
    }

    /// The method named `name` (`pglz`, `lz4`).
    pub fn from_name(name: &str) -> Option<Compression> {
        match name {
            "pglz" => Some(Compression::Pglz),
            "lz4" => Some(Compression::Lz4),
            _ => None,
        }
    }

    fn compress(self, raw: &[u8]) -> Option<Vec<u8>> {
        match self {
            Compression::Pglz => super::pglz::compress(raw),
            Compression::Lz4 => super::lz4::compress(raw),
        }
    }
}

/// The `typstorage` of a type stored with `len` (`attlen`): fixed-length
/// values and the vector types are plain, numeric and the network addresses
/// main, every other variable-length value extended (as `pg_type` says).
pub fn default_storage(type_oid: u32, len: i16) -> char {
    match type_oid {
        _ if len != -1 => 'p',
        oid::INT2VECTOR | oid::OIDVECTOR | oid::TSQUERY => 'p',
        oid::NUMERIC | oid::INET | oid::CIDR => 'm',
        _ => 'x',
    }
}

impl Attribute {
    /// A column of a built-in type, with `pg_type`'s storage properties. Types we
    /// cannot store yet (arrays, records, ...) are `0A000`.
    pub fn new(name: impl Into<String>, type_oid: u32, typmod: i32) -> PgResult<Attribute> {
        let Some((len, by_val, align)) = type_storage(type_oid) else {
            return Err(PgError::feature_not_supported(format!(
                "storing values of type {} in a table",
                oid::type_name(type_oid)
            )));
        };
        let base = types::typcache::base_type(type_oid);
        Ok(Attribute {
            name: name.into(),
            // A domain's values are laid out as its base type's.
            type_oid: base,
            typmod,
            len,
            align,
            by_val,
            storage: default_storage(base, len),
            compression: Compression::Pglz,
        })
    }
}

/// The shape of a relation's tuples (PostgreSQL's `TupleDesc`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TupleDesc {
    pub attrs: Vec<Attribute>,
    /// Where attribute `i` starts (before its alignment) in the data of a
    /// tuple with no NULLs, when every attribute before it has a fixed
    /// length (PostgreSQL's `attcacheoff`); None after the first
    /// variable-length one.
    fixed_offsets: Vec<Option<usize>>,
    /// The table's `toast_tuple_target`: how short [`form_tuple`] makes a
    /// row that needs compressing (0: [`TOAST_TUPLE_THRESHOLD`]).
    pub toast_tuple_target: usize,
}

impl TupleDesc {
    pub fn new(attrs: Vec<Attribute>) -> TupleDesc {
        let mut fixed_offsets = Vec::with_capacity(attrs.len());
        let mut off = Some(0);
        for att in &attrs {
            fixed_offsets.push(off);
            off = match (off, att.len) {
                (Some(o), len) if len > 0 => Some(att.align.apply(o) + len as usize),
                _ => None,
            };
        }
        TupleDesc {
            attrs,
            fixed_offsets,
            toast_tuple_target: 0,
        }
    }

    /// Shorthand for tests and bootstrap: `(name, type oid)` pairs without typmods.
    pub fn from_types(cols: &[(&str, u32)]) -> PgResult<TupleDesc> {
        cols.iter()
            .map(|(n, t)| Attribute::new(*n, *t, -1))
            .collect::<PgResult<Vec<_>>>()
            .map(TupleDesc::new)
    }

    pub fn natts(&self) -> usize {
        self.attrs.len()
    }
}

fn corrupted(message: impl Into<String>) -> PgError {
    PgError::new(SqlState::DataCorrupted, message)
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Bytes of a null bitmap for `natts` attributes.
pub const fn bitmap_len(natts: usize) -> usize {
    natts.div_ceil(8)
}

/// A read-only view of a tuple header, checked to be within the tuple.
#[derive(Clone, Copy)]
pub struct TupleHeader<'a> {
    bytes: &'a [u8],
}

impl<'a> TupleHeader<'a> {
    /// Checks that `bytes` holds a whole header, bitmap and `t_hoff` included.
    pub fn parse(bytes: &'a [u8]) -> PgResult<TupleHeader<'a>> {
        if bytes.len() < HEAP_TUPLE_HEADER_SIZE {
            return Err(corrupted(format!(
                "invalid heap tuple: length {} is shorter than its header",
                bytes.len()
            )));
        }
        let h = TupleHeader { bytes };
        let hoff = h.hoff();
        let min = HEAP_TUPLE_HEADER_SIZE
            + if h.has_nulls() {
                bitmap_len(h.natts())
            } else {
                0
            };
        if hoff < min || hoff > bytes.len() || hoff != maxalign(hoff) {
            return Err(corrupted(format!(
                "invalid heap tuple: t_hoff {hoff} with {} attributes in a tuple of {} bytes",
                h.natts(),
                bytes.len()
            )));
        }
        Ok(h)
    }

    pub fn xmin(&self) -> u64 {
        le_u64(self.bytes, 0)
    }

    pub fn xmax(&self) -> u64 {
        le_u64(self.bytes, 8)
    }

    pub fn cid(&self) -> u32 {
        le_u32(self.bytes, 16)
    }

    pub fn ctid(&self) -> ItemPointer {
        ItemPointer {
            block: le_u32(self.bytes, 20),
            offset: le_u16(self.bytes, 24),
        }
    }

    pub fn infomask2(&self) -> u16 {
        le_u16(self.bytes, 26)
    }

    pub fn infomask(&self) -> u16 {
        le_u16(self.bytes, 28)
    }

    pub fn hoff(&self) -> usize {
        self.bytes[30] as usize
    }

    /// The number of attributes stored (may be fewer than the descriptor has,
    /// after ALTER TABLE ADD COLUMN).
    pub fn natts(&self) -> usize {
        (self.infomask2() & HEAP_NATTS_MASK) as usize
    }

    pub fn has_nulls(&self) -> bool {
        self.infomask() & HEAP_HASNULL != 0
    }

    /// Whether attribute `i` (0-based) is NULL or missing from this tuple.
    pub fn attr_is_null(&self, i: usize) -> bool {
        if i >= self.natts() {
            return true;
        }
        self.has_nulls() && self.bytes[HEAP_TUPLE_HEADER_SIZE + i / 8] & (1 << (i % 8)) == 0
    }

    pub fn xmin_committed(&self) -> bool {
        self.infomask() & HEAP_XMIN_COMMITTED != 0
    }

    pub fn xmin_invalid(&self) -> bool {
        self.infomask() & HEAP_XMIN_FROZEN == HEAP_XMIN_INVALID
    }

    pub fn xmin_frozen(&self) -> bool {
        self.infomask() & HEAP_XMIN_FROZEN == HEAP_XMIN_FROZEN
    }

    pub fn xmax_committed(&self) -> bool {
        self.infomask() & HEAP_XMAX_COMMITTED != 0
    }

    pub fn xmax_invalid(&self) -> bool {
        self.infomask() & HEAP_XMAX_INVALID != 0
    }

    /// xmax only locks the tuple (`HEAP_XMAX_IS_LOCKED_ONLY`).
    pub fn xmax_is_locked_only(&self) -> bool {
        self.infomask() & HEAP_XMAX_LOCK_ONLY != 0
    }

    pub fn xmax_is_multi(&self) -> bool {
        self.infomask() & HEAP_XMAX_IS_MULTI != 0
    }

    pub fn is_hot_updated(&self) -> bool {
        self.infomask2() & HEAP_HOT_UPDATED != 0
    }

    pub fn is_heap_only(&self) -> bool {
        self.infomask2() & HEAP_ONLY_TUPLE != 0
    }

    /// The data area (from `t_hoff`).
    pub fn data(&self) -> &'a [u8] {
        &self.bytes[self.hoff()..]
    }
}

/// A writable view of a tuple header, e.g. of a tuple on a locked page: the
/// heap access method sets xmax, ctid and hint bits through it.
pub struct TupleHeaderMut<'a> {
    bytes: &'a mut [u8],
}

impl<'a> TupleHeaderMut<'a> {
    /// Checks the header as [`TupleHeader::parse`] does.
    pub fn parse(bytes: &'a mut [u8]) -> PgResult<TupleHeaderMut<'a>> {
        TupleHeader::parse(bytes)?;
        Ok(TupleHeaderMut { bytes })
    }

    pub fn as_ref(&self) -> TupleHeader<'_> {
        TupleHeader { bytes: self.bytes }
    }

    fn put(&mut self, at: usize, v: &[u8]) {
        self.bytes[at..at + v.len()].copy_from_slice(v);
    }

    pub fn set_xmin(&mut self, xid: u64) {
        self.put(0, &xid.to_le_bytes());
    }

    pub fn set_xmax(&mut self, xid: u64) {
        self.put(8, &xid.to_le_bytes());
    }

    pub fn set_cid(&mut self, cid: u32) {
        self.put(16, &cid.to_le_bytes());
    }

    pub fn set_ctid(&mut self, ctid: ItemPointer) {
        self.put(20, &ctid.block.to_le_bytes());
        self.put(24, &ctid.offset.to_le_bytes());
    }

    pub fn set_infomask(&mut self, mask: u16) {
        self.put(28, &mask.to_le_bytes());
    }

    /// Sets infomask2 bits; the attribute count cannot be changed this way.
    pub fn set_infomask2_flags(&mut self, flags: u16) {
        let natts = self.as_ref().infomask2() & HEAP_NATTS_MASK;
        self.put(26, &(natts | (flags & !HEAP_NATTS_MASK)).to_le_bytes());
    }

    /// Adds hint or lock bits to infomask.
    pub fn add_infomask(&mut self, bits: u16) {
        let m = self.as_ref().infomask();
        self.set_infomask(m | bits);
    }

    /// Removes bits from infomask.
    pub fn clear_infomask(&mut self, bits: u16) {
        let m = self.as_ref().infomask();
        self.set_infomask(m & !bits);
    }
}

fn mismatch(att: &Attribute, value: &Datum) -> PgError {
    let variant = format!("{value:?}");
    let variant = variant.split('(').next().unwrap_or("?").to_string();
    PgError::internal(format!(
        "value of kind {variant} does not match column \"{}\" of type {}",
        att.name,
        oid::type_name(att.type_oid)
    ))
}

/// Appends a varlena: 1-byte header if it fits, else int-aligned 4-byte header.
fn put_varlena(out: &mut Vec<u8>, payload: &[u8]) {
    if payload.len() < 127 {
        out.push((((payload.len() + 1) as u8) << 1) | 1);
    } else {
        out.resize(Align::Int.apply(out.len()), 0);
        out.extend_from_slice(&(((payload.len() + 4) as u32) << 2).to_le_bytes());
    }
    out.extend_from_slice(payload);
}

/// Appends the fixed-length bytes of a value, for attributes of `len > 0`
/// (the caller has aligned `out`).
fn put_fixed(att: &Attribute, value: &Datum, out: &mut Vec<u8>) -> PgResult<()> {
    match (att.type_oid, value) {
        (oid::BOOL, Datum::Bool(b)) => out.push(u8::from(*b)),
        (oid::CHAR, Datum::Text(s)) => match s.as_bytes() {
            [] => out.push(0),
            [c] if c.is_ascii() => out.push(*c),
            _ => {
                return Err(PgError::internal(format!(
                    "value for \"char\" column \"{}\" is not one ASCII byte",
                    att.name
                )));
            }
        },
        (oid::INT2, Datum::Int2(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (oid::INT4, Datum::Int4(v)) | (oid::DATE, Datum::Date(v)) => {
            out.extend_from_slice(&v.to_le_bytes())
        }
        (oid::OID, Datum::Oid(v)) | (_, Datum::Enum(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (oid::FLOAT4, Datum::Float4(v)) => out.extend_from_slice(&v.to_bits().to_le_bytes()),
        (oid::VOID, Datum::Void) => out.extend_from_slice(&[0; 4]),
        (oid::INT8, Datum::Int8(v))
        | (oid::TIME, Datum::Time(v))
        | (oid::TIMESTAMP, Datum::Timestamp(v))
        | (oid::TIMESTAMPTZ, Datum::Timestamptz(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (oid::FLOAT8, Datum::Float8(v)) => out.extend_from_slice(&v.to_bits().to_le_bytes()),
        (oid::PG_LSN, Datum::PgLsn(v)) | (oid::XID8, Datum::Xid8(v)) => {
            out.extend_from_slice(&v.to_le_bytes())
        }
        (oid::XID, Datum::Xid(v)) | (oid::CID, Datum::Cid(v)) => {
            out.extend_from_slice(&v.to_le_bytes())
        }
        (oid::TID, Datum::Tid(block, offset)) => {
            out.extend_from_slice(&block.to_le_bytes());
            out.extend_from_slice(&offset.to_le_bytes());
        }
        (oid::MONEY, Datum::Money(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (oid::MACADDR, Datum::MacAddr(m)) => out.extend_from_slice(m),
        (oid::MACADDR8, Datum::MacAddr8(m)) => out.extend_from_slice(m),
        (oid::TIMETZ, Datum::TimeTz(t)) => {
            out.extend_from_slice(&t.micros.to_le_bytes());
            out.extend_from_slice(&t.zone.to_le_bytes());
        }
        (oid::INTERVAL, Datum::Interval(iv)) => {
            out.extend_from_slice(&iv.micros.to_le_bytes());
            out.extend_from_slice(&iv.days.to_le_bytes());
            out.extend_from_slice(&iv.months.to_le_bytes());
        }
        (oid::UUID, Datum::Uuid(u)) => out.extend_from_slice(u),
        (oid::POINT | oid::LSEG | oid::BOX | oid::LINE | oid::CIRCLE, Datum::Geo(g)) => {
            out.extend_from_slice(&g.to_binary())
        }
        (oid::NAME, Datum::Text(s)) => {
            if s.len() >= att.len as usize || s.contains('\0') {
                return Err(PgError::internal(format!(
                    "value for name column \"{}\" is not a valid name",
                    att.name
                )));
            }
            out.extend_from_slice(s.as_bytes());
            out.resize(out.len() + att.len as usize - s.len(), 0);
        }
        _ => return Err(mismatch(att, value)),
    }
    Ok(())
}

/// The bytes of a non-null variable-length (`attlen = -1`) value as they are
/// stored after the varlena header.
fn varlena_payload<'a>(att: &Attribute, value: &'a Datum) -> PgResult<Cow<'a, [u8]>> {
    Ok(match (att.type_oid, value) {
        (
            oid::TEXT
            | oid::VARCHAR
            | oid::BPCHAR
            | oid::PG_NODE_TREE
            | oid::PG_NDISTINCT
            | oid::PG_DEPENDENCIES
            | oid::PG_MCV_LIST
            | oid::JSON
            | oid::JSONPATH
            | oid::REGCONFIG
            | oid::INT2VECTOR
            | oid::OIDVECTOR,
            Datum::Text(s),
        ) => Cow::Borrowed(s.as_bytes()),
        (oid::BYTEA, Datum::Bytea(b)) => Cow::Borrowed(b),
        (oid::NUMERIC, Datum::Numeric(n)) => Cow::Owned(n.to_binary()),
        (_, Datum::Geo(g)) => Cow::Owned(g.to_storage()),
        (_, Datum::Array(_))
        | (oid::JSONB, Datum::Jsonb(_))
        | (_, Datum::Range(_))
        | (_, Datum::Multirange(_))
        | (_, Datum::Record(_))
        | (oid::INET | oid::CIDR, Datum::Inet(_))
        | (oid::TSVECTOR, Datum::TsVector(_))
        | (oid::TSQUERY, Datum::TsQuery(_))
        | (oid::BIT | oid::VARBIT, Datum::Bit(_))
        | (oid::PG_SNAPSHOT | oid::TXID_SNAPSHOT, Datum::Snapshot(_)) => {
            Cow::Owned(value.to_binary())
        }
        _ => return Err(mismatch(att, value)),
    })
}

/// Appends the non-null `values` to `out` in attribute order, each aligned
/// (relative to the start of `out`, which must be MAXALIGNed where the data
/// area begins) as its type requires (`heap_fill_tuple` without the null
/// bitmap, which the caller writes). Returns whether a variable-width value
/// was written. Heap tuples and index tuples share this data format.
pub fn fill_data(desc: &TupleDesc, values: &[Datum], out: &mut Vec<u8>) -> PgResult<bool> {
    fill_data_compressed(desc, values, &[], out)
}

/// An index value whose stored form is longer than this is compressed
/// (`TOAST_INDEX_TARGET`: a sixteenth of the largest heap tuple).
pub const TOAST_INDEX_TARGET: usize = MAX_HEAP_TUPLE_SIZE / 16;

/// [`fill_data`] for an index tuple (`index_form_tuple`): each EXTENDED or
/// MAIN variable-length value longer than [`TOAST_INDEX_TARGET`] is
/// compressed when that saves space, whatever the length of the others, so
/// that long values that compress well can be indexed.
pub fn fill_index_data(desc: &TupleDesc, values: &[Datum], out: &mut Vec<u8>) -> PgResult<bool> {
    let mut compressed: Vec<Option<Vec<u8>>> = Vec::new();
    for (i, (att, value)) in desc.attrs.iter().zip(values).enumerate() {
        if att.len != -1 || value.is_null() || !matches!(att.storage, 'x' | 'm') {
            continue;
        }
        let raw = varlena_payload(att, value)?;
        if raw.len() + 4 > TOAST_INDEX_TARGET
            && let Some(body) = compress_value(att.compression, &raw)
        {
            compressed.resize(i + 1, None);
            compressed[i] = Some(body);
        }
    }
    fill_data_compressed(desc, values, &compressed, out)
}

/// [`fill_data`], writing attribute `i` in the compressed form
/// `compressed[i]` holds (`va_tcinfo` and the compressed bytes) when it
/// holds one.
fn fill_data_compressed(
    desc: &TupleDesc,
    values: &[Datum],
    compressed: &[Option<Vec<u8>>],
    out: &mut Vec<u8>,
) -> PgResult<bool> {
    let mut varwidth = false;
    for (i, (att, value)) in desc.attrs.iter().zip(values).enumerate() {
        if value.is_null() {
            continue;
        }
        match att.len {
            -1 => {
                varwidth = true;
                if let Some(Some(body)) = compressed.get(i) {
                    put_compressed(out, body);
                } else {
                    put_varlena(out, &varlena_payload(att, value)?);
                }
            }
            -2 => {
                varwidth = true;
                let Datum::Text(s) = value else {
                    return Err(mismatch(att, value));
                };
                if s.contains('\0') {
                    return Err(PgError::internal(format!(
                        "cstring value for \"{}\" contains a NUL byte",
                        att.name
                    )));
                }
                out.extend_from_slice(s.as_bytes());
                out.push(0);
            }
            _ => {
                out.resize(att.align.apply(out.len()), 0);
                put_fixed(att, value, out)?;
            }
        }
    }
    Ok(varwidth)
}

/// Appends a compressed varlena: int-aligned, a 4-byte header whose low two
/// bits are `10`, then `body` (`va_tcinfo` and the compressed bytes).
fn put_compressed(out: &mut Vec<u8>, body: &[u8]) {
    out.resize(Align::Int.apply(out.len()), 0);
    out.extend_from_slice(&((((body.len() + 4) as u32) << 2) | 0b10).to_le_bytes());
    out.extend_from_slice(body);
}

/// The body of a compressed varlena for `raw` compressed by `method`
/// (`va_tcinfo`: the raw length in the low 30 bits, the method in the high
/// two; then the compressed bytes), or None if it does not compress well.
fn compress_value(method: Compression, raw: &[u8]) -> Option<Vec<u8>> {
    if raw.len() > VARLENA_MAX_RAW {
        return None;
    }
    let data = method.compress(raw)?;
    // Worth it only if it saves more than the longer header and the
    // alignment padding a compressed value may need.
    if data.len() + 8 >= raw.len() + 4 - 3 {
        return None;
    }
    let mut body = Vec::with_capacity(4 + data.len());
    body.extend_from_slice(&(raw.len() as u32 | method.id() << 30).to_le_bytes());
    body.extend_from_slice(&data);
    Some(body)
}

/// The largest raw size a compressed value's `va_tcinfo` can carry (30 bits).
const VARLENA_MAX_RAW: usize = (1 << 30) - 1;

/// About the size of the data part of a tuple of `values` (enough, for
/// text and fixed-length values, that forming it allocates once).
fn data_size_estimate(desc: &TupleDesc, values: &[Datum]) -> usize {
    desc.attrs
        .iter()
        .zip(values)
        .map(|(att, value)| match (att.len, value) {
            (_, Datum::Null) => 0,
            (len, _) if len > 0 => len as usize + 7,
            (_, Datum::Text(s)) => s.len() + 5,
            (_, Datum::Bytea(b)) => b.len() + 5,
            _ => 32,
        })
        .sum()
}

/// The tuple length above which [`form_tuple`] compresses values
/// (`TOAST_TUPLE_THRESHOLD`: a quarter of a page, so that four rows fit one).
pub const TOAST_TUPLE_THRESHOLD: usize = 2032;

/// Builds a tuple from one value per attribute (`heap_form_tuple`). The header's
/// transaction fields are zero and `t_ctid` invalid: `heap_insert` fills them.
/// A tuple longer than [`TOAST_TUPLE_THRESHOLD`] has its values compressed
/// as [`form_tuple_toasted`] says, to the descriptor's `toast_tuple_target`.
pub fn form_tuple(desc: &TupleDesc, values: &[Datum]) -> PgResult<Vec<u8>> {
    let target = match desc.toast_tuple_target {
        0 => TOAST_TUPLE_THRESHOLD,
        t => t,
    };
    form_tuple_toasted(desc, values, target)
}

/// [`form_tuple`] for a table whose `toast_tuple_target` is `target`
/// (PostgreSQL's toaster, `heap_toast_insert_or_update`, without the
/// out-of-line steps). When the tuple is longer than
/// [`TOAST_TUPLE_THRESHOLD`], its variable-length values are compressed, the
/// largest first, until the tuple is no longer than `target`: first the
/// EXTENDED (`attstorage = x`) ones, then the MAIN (`m`) ones; PLAIN and
/// EXTERNAL values are never compressed, and a value that does not compress
/// by a quarter is kept as it is. A tuple still too long for a page is
/// `54000 row is too big`.
pub fn form_tuple_toasted(desc: &TupleDesc, values: &[Datum], target: usize) -> PgResult<Vec<u8>> {
    let natts = desc.natts();
    if natts > MAX_TUPLE_ATTRIBUTE_NUMBER {
        return Err(PgError::new(
            SqlState::TooManyColumns,
            format!("number of columns ({natts}) exceeds limit ({MAX_TUPLE_ATTRIBUTE_NUMBER})"),
        ));
    }
    if values.len() != natts {
        return Err(PgError::internal(format!(
            "tuple has {} values for {natts} attributes",
            values.len()
        )));
    }
    let mut out = build_tuple(desc, values, &[])?;
    if out.len() > TOAST_TUPLE_THRESHOLD {
        let mut compressed: Vec<Option<Vec<u8>>> = vec![None; natts];
        let mut tried = vec![false; natts];
        // The candidates' stored lengths, to pick the largest first.
        let sizes = desc
            .attrs
            .iter()
            .zip(values)
            .map(|(att, v)| match (att.len, v) {
                (-1, v) if !v.is_null() => varlena_payload(att, v).map(|p| p.len()),
                _ => Ok(0),
            })
            .collect::<PgResult<Vec<usize>>>()?;
        for pass in ['x', 'm'] {
            while maxalign(out.len()) > target {
                let Some(i) = (0..natts)
                    .filter(|&i| !tried[i] && sizes[i] > 32 && desc.attrs[i].storage == pass)
                    .max_by_key(|&i| (sizes[i], std::cmp::Reverse(i)))
                else {
                    break;
                };
                tried[i] = true;
                let att = &desc.attrs[i];
                let raw = varlena_payload(att, &values[i])?;
                if let Some(body) = compress_value(att.compression, &raw) {
                    compressed[i] = Some(body);
                    out = build_tuple(desc, values, &compressed)?;
                }
            }
        }
    }
    if maxalign(out.len()) > MAX_HEAP_TUPLE_SIZE {
        return Err(PgError::new(
            SqlState::ProgramLimitExceeded,
            format!(
                "row is too big: size {}, maximum size {MAX_HEAP_TUPLE_SIZE}",
                maxalign(out.len())
            ),
        ));
    }
    Ok(out)
}

/// The tuple of `values` with the compressed forms `compressed` holds.
fn build_tuple(
    desc: &TupleDesc,
    values: &[Datum],
    compressed: &[Option<Vec<u8>>],
) -> PgResult<Vec<u8>> {
    let natts = desc.natts();
    let has_null = values.iter().any(Datum::is_null);
    let hoff = maxalign(HEAP_TUPLE_HEADER_SIZE + if has_null { bitmap_len(natts) } else { 0 });
    let mut out = Vec::with_capacity(hoff + data_size_estimate(desc, values));
    out.resize(hoff, 0);
    let mut infomask = if has_null { HEAP_HASNULL } else { 0 };
    if has_null {
        for (i, value) in values.iter().enumerate() {
            if !value.is_null() {
                out[HEAP_TUPLE_HEADER_SIZE + i / 8] |= 1 << (i % 8);
            }
        }
    }
    if fill_data_compressed(desc, values, compressed, &mut out)? {
        infomask |= HEAP_HASVARWIDTH;
    }
    out[26..28].copy_from_slice(&(natts as u16 & HEAP_NATTS_MASK).to_le_bytes());
    out[28..30].copy_from_slice(&infomask.to_le_bytes());
    out[30] = hoff as u8;
    out[20..24].copy_from_slice(&ItemPointer::INVALID.block.to_le_bytes());
    Ok(out)
}

/// Reads the tuple's values (`heap_deform_tuple`): one per descriptor attribute,
/// `Datum::Null` for NULLs and for attributes the tuple predates (a default
/// stored in the catalog, `attmissingval`, is the caller's business).
pub fn deform_tuple(desc: &TupleDesc, tuple: &[u8]) -> PgResult<Vec<Datum>> {
    deform_tuple_prefix(desc, tuple, desc.natts())
}

/// Like [`deform_tuple`] but stops after the first `n` attributes
/// (`slot_deform_heap_tuple`): a scan that needs only the leading columns does
/// not pay for decoding the rest.
pub fn deform_tuple_prefix(desc: &TupleDesc, tuple: &[u8], n: usize) -> PgResult<Vec<Datum>> {
    let h = TupleHeader::parse(tuple)?;
    deform_data(
        desc,
        tuple,
        h.hoff(),
        |i| h.attr_is_null(i),
        n,
        "heap tuple",
    )
}

/// [`deform_tuple_prefix`] into `values`, so that a scan reuses one row's
/// room for the next (PostgreSQL's slot): the columns past the first `n`
/// are NULL, the row full-width.
pub fn deform_tuple_prefix_into(
    desc: &TupleDesc,
    tuple: &[u8],
    n: usize,
    values: &mut Vec<Datum>,
) -> PgResult<()> {
    deform_selected_into(desc, tuple, n, |_| true, values)
}

/// [`deform_tuple_prefix_into`] of the columns `read` marks (the row's
/// first `read.len()`): a column it does not mark is stepped over and left
/// NULL, so that a scan that filters on one column of a wide row does not
/// decode its numerics and arrays.
pub fn deform_tuple_some_into(
    desc: &TupleDesc,
    tuple: &[u8],
    read: &[bool],
    values: &mut Vec<Datum>,
) -> PgResult<()> {
    deform_selected_into(desc, tuple, read.len(), |i| read[i], values)
}

/// Decodes the columns `read` selects of the first `n` of a heap tuple into
/// `values`, made full-width: the others are NULL. The values of the
/// previous row are overwritten in place (a NULL stays without a drop).
fn deform_selected_into(
    desc: &TupleDesc,
    tuple: &[u8],
    n: usize,
    read: impl Fn(usize) -> bool,
    values: &mut Vec<Datum>,
) -> PgResult<()> {
    let h = TupleHeader::parse(tuple)?;
    if values.len() != desc.natts() {
        values.clear();
        values.resize(desc.natts(), Datum::Null);
    }
    let n = n.min(desc.natts());
    // A tuple without NULLs starts the first column read where the
    // descriptor says, when only fixed-length columns come before it.
    let first = (0..n).find(|&i| read(i)).unwrap_or(n);
    let (mut i, mut off) = (0, h.hoff());
    if !h.has_nulls()
        && h.hoff() % 8 == 0
        && let Some(Some(at)) = desc.fixed_offsets.get(first)
    {
        (i, off) = (first, h.hoff() + at);
    }
    for v in &mut values[..i] {
        if !v.is_null() {
            *v = Datum::Null;
        }
    }
    while i < n {
        let att = &desc.attrs[i];
        if h.attr_is_null(i) || !read(i) {
            if !values[i].is_null() {
                values[i] = Datum::Null;
            }
            if !h.attr_is_null(i) {
                off = attr_end(att, tuple, off)
                    .map_err(|e| attr_error(e, "heap tuple", i, att, off, tuple))?;
            }
        } else {
            let (value, next) = read_attr(att, tuple, off)
                .map_err(|e| attr_error(e, "heap tuple", i, att, off, tuple))?;
            values[i] = value;
            off = next;
        }
        i += 1;
    }
    for v in &mut values[n..] {
        if !v.is_null() {
            *v = Datum::Null;
        }
    }
    Ok(())
}

/// The offset after the non-null attribute stored at `off`, without
/// decoding it.
fn attr_end(att: &Attribute, tuple: &[u8], off: usize) -> Result<usize, ReadError> {
    match att.len {
        -1 => stored_varlena_at(tuple, off).map(|(_, next)| next),
        -2 => {
            let rest = tuple.get(off..).ok_or(ReadError::Bounds)?;
            let nul = rest.iter().position(|&b| b == 0).ok_or(ReadError::Bounds)?;
            Ok(off + nul + 1)
        }
        len if len > 0 => {
            let start = att.align.apply(off);
            slice(tuple, start, len as usize).map(|_| start + len as usize)
        }
        _ => read_attr(att, tuple, off).map(|(_, next)| next),
    }
}

/// The corruption error for attribute `i` (0-based) that could not be read
/// at `off`.
fn attr_error(
    e: ReadError,
    what: &str,
    i: usize,
    att: &Attribute,
    off: usize,
    tuple: &[u8],
) -> PgError {
    match e {
        ReadError::Bounds => corrupted(format!(
            "invalid {what}: attribute {} (\"{}\") at offset {off} reaches past the end of the tuple ({} bytes)",
            i + 1,
            att.name,
            tuple.len()
        )),
        ReadError::Bad(bad) => corrupted(format!(
            "invalid {what}: attribute {} (\"{}\") at offset {off}: {bad}",
            i + 1,
            att.name
        )),
    }
}

/// Decodes the first `n` attributes of a data area that starts at `off` in
/// `tuple` (the counterpart of [`fill_data`]); `is_null(i)` reads the
/// caller's null bitmap. `what` names the tuple kind in corruption errors.
pub fn deform_data(
    desc: &TupleDesc,
    tuple: &[u8],
    off: usize,
    is_null: impl Fn(usize) -> bool,
    n: usize,
    what: &str,
) -> PgResult<Vec<Datum>> {
    // Room for every column: a caller reading a prefix pads the rest with NULLs.
    let mut values = Vec::with_capacity(desc.natts());
    deform_data_into(desc, tuple, off, is_null, n, what, &mut values)?;
    Ok(values)
}

/// [`deform_data`], appending to `values`.
fn deform_data_into(
    desc: &TupleDesc,
    tuple: &[u8],
    mut off: usize,
    is_null: impl Fn(usize) -> bool,
    n: usize,
    what: &str,
    values: &mut Vec<Datum>,
) -> PgResult<()> {
    let n = n.min(desc.natts());
    for (i, att) in desc.attrs.iter().take(n).enumerate() {
        if is_null(i) {
            values.push(Datum::Null);
            continue;
        }
        let (value, next) =
            read_attr(att, tuple, off).map_err(|e| attr_error(e, what, i, att, off, tuple))?;
        values.push(value);
        off = next;
    }
    Ok(())
}

/// Orders `value` against the non-null attribute stored at `off` of
/// `tuple` (as `compare::compare(value, stored)`), without building a
/// `Datum` for the common key types: integers, dates and times are read in
/// place and strings compared as bytes (the C collation). Returns the
/// ordering and the offset after the attribute. Index searches call this
/// for every key they compare.
pub fn compare_attr(
    att: &Attribute,
    tuple: &[u8],
    off: usize,
    value: &Datum,
) -> PgResult<(std::cmp::Ordering, usize)> {
    let bounds = || {
        corrupted(format!(
            "invalid index tuple: attribute \"{}\" at offset {off} reaches past its end",
            att.name
        ))
    };
    let fixed = |len: usize| -> PgResult<(&[u8], usize)> {
        let start = att.align.apply(off);
        tuple
            .get(start..start + len)
            .map(|b| (b, start + len))
            .ok_or_else(bounds)
    };
    match (att.type_oid, value) {
        (oid::INT4, Datum::Int4(v)) | (oid::DATE, Datum::Date(v)) => {
            let (b, next) = fixed(4)?;
            Ok((v.cmp(&(le_u32(b, 0) as i32)), next))
        }
        (oid::INT2, Datum::Int2(v)) => {
            let (b, next) = fixed(2)?;
            Ok((v.cmp(&(le_u16(b, 0) as i16)), next))
        }
        (oid::OID, Datum::Oid(v)) => {
            let (b, next) = fixed(4)?;
            Ok((v.cmp(&le_u32(b, 0)), next))
        }
        (oid::INT8, Datum::Int8(v))
        | (oid::TIME, Datum::Time(v))
        | (oid::TIMESTAMP, Datum::Timestamp(v))
        | (oid::TIMESTAMPTZ, Datum::Timestamptz(v)) => {
            let (b, next) = fixed(8)?;
            Ok((v.cmp(&(le_u64(b, 0) as i64)), next))
        }
        (oid::TEXT | oid::VARCHAR | oid::BPCHAR, Datum::Text(v)) => {
            let Some((payload, next)) = short_varlena(tuple, off) else {
                // A 4-byte header (or something only read_attr explains).
                let (d, next) = read_attr(att, tuple, off).map_err(|_| bounds())?;
                return Ok((crate::compare_datums(value, &d)?, next));
            };
            Ok((v.as_bytes().cmp(payload), next))
        }
        _ => {
            let (d, next) = read_attr(att, tuple, off).map_err(|_| bounds())?;
            Ok((crate::compare_datums(value, &d)?, next))
        }
    }
}

/// The payload of the variable-length value at `off` if it has a 1-byte
/// header (what index tuples of short strings hold), and the offset after it.
fn short_varlena(tuple: &[u8], off: usize) -> Option<(&[u8], usize)> {
    let first = *tuple.get(off)?;
    // A nonzero byte is a header (padding is zero); else align first.
    let start = if first != 0 {
        off
    } else {
        Align::Int.apply(off)
    };
    let head = *tuple.get(start)?;
    if head & 1 == 1 && head != 0x01 {
        let total = (head >> 1) as usize;
        Some((tuple.get(start + 1..start + total)?, start + total))
    } else {
        None
    }
}

/// Orders the non-null attribute at `a_off` of `a` against the one at
/// `b_off` of `b`, both stored as `att` (ordering as [`compare_attr`]):
/// strings by their bytes in place, anything else decoded from `a`. Returns
/// the ordering and the offsets after each.
pub fn compare_stored(
    att: &Attribute,
    a: &[u8],
    a_off: usize,
    b: &[u8],
    b_off: usize,
) -> PgResult<(std::cmp::Ordering, usize, usize)> {
    if matches!(att.type_oid, oid::TEXT | oid::VARCHAR | oid::BPCHAR)
        && let (Some((pa, na)), Some((pb, nb))) = (short_varlena(a, a_off), short_varlena(b, b_off))
    {
        return Ok((pa.cmp(pb), na, nb));
    }
    let (value, a_next) = read_attr(att, a, a_off).map_err(|_| {
        corrupted(format!(
            "invalid index tuple: attribute \"{}\" at offset {a_off} reaches past its end",
            att.name
        ))
    })?;
    let (o, b_next) = compare_attr(att, b, b_off, &value)?;
    Ok((o, a_next, b_next))
}

enum ReadError {
    Bounds,
    Bad(String),
}

fn slice(tuple: &[u8], from: usize, len: usize) -> Result<&[u8], ReadError> {
    let end = from.checked_add(len).ok_or(ReadError::Bounds)?;
    tuple.get(from..end).ok_or(ReadError::Bounds)
}

fn utf8(bytes: &[u8]) -> Result<String, ReadError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| ReadError::Bad("invalid UTF-8 in a text value".into()))
}

/// The payload of the variable-length value stored at `off` and the offset
/// after it: a nonzero byte is its header (padding is zero), else it starts
/// at the next 4-byte boundary. A compressed value is decompressed.
fn varlena_at(tuple: &[u8], off: usize) -> Result<(Cow<'_, [u8]>, usize), ReadError> {
    let (stored, next) = stored_varlena_at(tuple, off)?;
    Ok((
        match stored {
            Stored::Plain(payload) => Cow::Borrowed(payload),
            Stored::Compressed {
                method,
                raw_len,
                data,
            } => Cow::Owned(decompress(method, data, raw_len)?),
        },
        next,
    ))
}

/// A variable-length value as it is stored.
enum Stored<'a> {
    /// Its bytes, with a 1- or 4-byte header.
    Plain(&'a [u8]),
    /// Compressed by the method with id `method` from `raw_len` bytes.
    Compressed {
        method: u32,
        raw_len: usize,
        data: &'a [u8],
    },
}

/// The variable-length value stored at `off`, undecoded, and the offset
/// after it.
fn stored_varlena_at(tuple: &[u8], off: usize) -> Result<(Stored<'_>, usize), ReadError> {
    let first = *tuple.get(off).ok_or(ReadError::Bounds)?;
    let start = if first != 0 {
        off
    } else {
        Align::Int.apply(off)
    };
    let head = *tuple.get(start).ok_or(ReadError::Bounds)?;
    if head & 1 == 1 {
        if head == 0x01 {
            return Err(ReadError::Bad(
                "out-of-line (TOAST) values are not supported".into(),
            ));
        }
        let total = (head >> 1) as usize;
        return Ok((
            Stored::Plain(slice(tuple, start + 1, total - 1)?),
            start + total,
        ));
    }
    let word = le_u32(slice(tuple, start, 4)?, 0);
    let total = (word >> 2) as usize;
    match word & 3 {
        0 if total >= 4 => Ok((
            Stored::Plain(slice(tuple, start + 4, total - 4)?),
            start + total,
        )),
        2 if total >= 8 => {
            let body = slice(tuple, start + 4, total - 4)?;
            let tcinfo = le_u32(body, 0);
            Ok((
                Stored::Compressed {
                    method: tcinfo >> 30,
                    raw_len: (tcinfo & VARLENA_MAX_RAW as u32) as usize,
                    data: &body[4..],
                },
                start + total,
            ))
        }
        _ => Err(ReadError::Bad(format!(
            "invalid varlena header {word:#010x}"
        ))),
    }
}

/// The raw bytes of a value compressed by the method with id `method`.
fn decompress(method: u32, data: &[u8], raw_len: usize) -> Result<Vec<u8>, ReadError> {
    match method {
        0 => super::pglz::decompress(data, raw_len),
        1 => super::lz4::decompress(data, raw_len),
        m => Err(format!("invalid compression method id {m}")),
    }
    .map_err(ReadError::Bad)
}

/// Decodes one non-null attribute at `off`; returns it and the offset after it.
fn read_attr(att: &Attribute, tuple: &[u8], off: usize) -> Result<(Datum, usize), ReadError> {
    match att.len {
        -1 => {
            let (payload, next) = varlena_at(tuple, off)?;
            let payload: &[u8] = &payload;
            let value = match att.type_oid {
                // The common string types first: the tests below look the
                // type up in caches, which costs more than the copy.
                oid::TEXT | oid::VARCHAR | oid::BPCHAR => Datum::Text(utf8(payload)?),
                oid::BYTEA => Datum::Bytea(payload.to_vec()),
                oid::NUMERIC => Datum::Numeric(
                    Numeric::from_binary(payload)
                        .map_err(|e| ReadError::Bad(format!("invalid numeric: {}", e.message)))?,
                ),
                t if oid::element_of(t).is_some() => Datum::from_binary(t, payload)
                    .map_err(|e| ReadError::Bad(format!("invalid array: {}", e.message)))?,
                oid::ANYARRAY => {
                    // the element type is the third word of array_send's form
                    let elem = payload
                        .get(8..12)
                        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                        .ok_or_else(|| ReadError::Bad("invalid anyarray".into()))?;
                    let t = oid::array_of(elem)
                        .ok_or_else(|| ReadError::Bad(format!("anyarray of type {elem}")))?;
                    Datum::from_binary(t, payload)
                        .map_err(|e| ReadError::Bad(format!("invalid array: {}", e.message)))?
                }
                oid::PATH | oid::POLYGON => Datum::Geo(Box::new(
                    types::datum::geo::Geo::from_storage(att.type_oid, payload).map_err(|e| {
                        ReadError::Bad(format!("invalid geometric value: {}", e.message))
                    })?,
                )),
                oid::INET | oid::CIDR => Datum::from_binary(att.type_oid, payload)
                    .map_err(|e| ReadError::Bad(format!("invalid inet: {}", e.message)))?,
                oid::TSVECTOR | oid::TSQUERY => {
                    Datum::from_binary(att.type_oid, payload).map_err(|e| {
                        ReadError::Bad(format!("invalid tsvector/tsquery: {}", e.message))
                    })?
                }
                oid::JSONB => Datum::from_binary(oid::JSONB, payload)
                    .map_err(|e| ReadError::Bad(format!("invalid jsonb: {}", e.message)))?,
                oid::BIT | oid::VARBIT => Datum::from_binary(att.type_oid, payload)
                    .map_err(|e| ReadError::Bad(format!("invalid bit string: {}", e.message)))?,
                oid::PG_SNAPSHOT | oid::TXID_SNAPSHOT => Datum::from_binary(att.type_oid, payload)
                    .map_err(|e| ReadError::Bad(format!("invalid snapshot: {}", e.message)))?,
                t if oid::range_subtype(t).is_some() => Datum::from_binary(t, payload)
                    .map_err(|e| ReadError::Bad(format!("invalid range: {}", e.message)))?,
                t if oid::multirange_range(t).is_some() => Datum::from_binary(t, payload)
                    .map_err(|e| ReadError::Bad(format!("invalid multirange: {}", e.message)))?,
                t if types::datum::record::is_composite(t) => Datum::from_binary(t, payload)
                    .map_err(|e| ReadError::Bad(format!("invalid record: {}", e.message)))?,
                _ => Datum::Text(utf8(payload)?),
            };
            Ok((value, next))
        }
        -2 => {
            let rest = tuple.get(off..).ok_or(ReadError::Bounds)?;
            let nul = rest.iter().position(|&b| b == 0).ok_or(ReadError::Bounds)?;
            Ok((Datum::Text(utf8(&rest[..nul])?), off + nul + 1))
        }
        len if len > 0 => {
            let start = att.align.apply(off);
            let b = slice(tuple, start, len as usize)?;
            let value = match (att.type_oid, len) {
                (oid::BOOL, 1) => Datum::Bool(b[0] != 0),
                (oid::CHAR, 1) => {
                    if b[0] == 0 {
                        Datum::Text(String::new())
                    } else {
                        Datum::Text(utf8(b)?)
                    }
                }
                (oid::INT2, 2) => Datum::Int2(le_u16(b, 0) as i16),
                (oid::INT4, 4) => Datum::Int4(le_u32(b, 0) as i32),
                (oid::DATE, 4) => Datum::Date(le_u32(b, 0) as i32),
                (oid::OID, 4) => Datum::Oid(le_u32(b, 0)),
                (oid::FLOAT4, 4) => Datum::Float4(f32::from_bits(le_u32(b, 0))),
                (oid::VOID, 4) => Datum::Void,
                (t, 4) if types::typcache::is_enum(t) => Datum::Enum(le_u32(b, 0)),
                (oid::INT8, 8) => Datum::Int8(le_u64(b, 0) as i64),
                (oid::TIME, 8) => Datum::Time(le_u64(b, 0) as i64),
                (oid::TIMETZ, 12) => Datum::TimeTz(types::datum::datetime::TimeTz {
                    micros: le_u64(b, 0) as i64,
                    zone: le_u32(b, 8) as i32,
                }),
                (oid::TIMESTAMP, 8) => Datum::Timestamp(le_u64(b, 0) as i64),
                (oid::TIMESTAMPTZ, 8) => Datum::Timestamptz(le_u64(b, 0) as i64),
                (oid::FLOAT8, 8) => Datum::Float8(f64::from_bits(le_u64(b, 0))),
                (oid::PG_LSN, 8) => Datum::PgLsn(le_u64(b, 0)),
                (oid::XID8, 8) => Datum::Xid8(le_u64(b, 0)),
                (oid::XID, 4) => Datum::Xid(le_u32(b, 0)),
                (oid::CID, 4) => Datum::Cid(le_u32(b, 0)),
                (oid::TID, 6) => Datum::Tid(le_u32(b, 0), le_u16(b, 4)),
                (oid::MONEY, 8) => Datum::Money(le_u64(b, 0) as i64),
                (oid::MACADDR, 6) => {
                    let mut m = [0u8; 6];
                    m.copy_from_slice(&b[..6]);
                    Datum::MacAddr(m)
                }
                (oid::MACADDR8, 8) => {
                    let mut m = [0u8; 8];
                    m.copy_from_slice(&b[..8]);
                    Datum::MacAddr8(m)
                }
                (oid::INTERVAL, 16) => Datum::Interval(Interval {
                    micros: le_u64(b, 0) as i64,
                    days: le_u32(b, 8) as i32,
                    months: le_u32(b, 12) as i32,
                }),
                (oid::UUID, 16) => {
                    let mut u = [0u8; 16];
                    u.copy_from_slice(b);
                    Datum::Uuid(u)
                }
                (oid::POINT, 16) | (oid::LSEG | oid::BOX, 32) | (oid::LINE | oid::CIRCLE, 24) => {
                    Datum::Geo(Box::new(
                        types::datum::geo::Geo::from_binary(att.type_oid, b).map_err(|e| {
                            ReadError::Bad(format!("invalid geometric value: {}", e.message))
                        })?,
                    ))
                }
                (oid::NAME, _) => {
                    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                    Datum::Text(utf8(&b[..end])?)
                }
                _ => {
                    return Err(ReadError::Bad(format!(
                        "type {} with length {len} cannot be decoded",
                        oid::type_name(att.type_oid)
                    )));
                }
            };
            Ok((value, start + len as usize))
        }
        _ => Err(ReadError::Bad(format!(
            "invalid attribute length {}",
            att.len
        ))),
    }
}

/// The names of the bits of `bits` that `names` lists, in its order, joined
/// by `|` ("-" for none): how tests print infomask fields.
#[cfg(test)]
pub(crate) fn flag_names(bits: u16, names: &[(u16, &str)]) -> String {
    let set: Vec<&str> = names
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if set.is_empty() {
        "-".to_owned()
    } else {
        set.join("|")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::page::{AddItemFlags, BLCKSZ, PageMut};

    fn all_types_desc() -> TupleDesc {
        TupleDesc::from_types(&[
            ("b", oid::BOOL),
            ("c", oid::CHAR),
            ("i2", oid::INT2),
            ("n", oid::NAME),
            ("i4", oid::INT4),
            ("i8", oid::INT8),
            ("o", oid::OID),
            ("f4", oid::FLOAT4),
            ("f8", oid::FLOAT8),
            ("num", oid::NUMERIC),
            ("t", oid::TEXT),
            ("vc", oid::VARCHAR),
            ("bp", oid::BPCHAR),
            ("ba", oid::BYTEA),
            ("d", oid::DATE),
            ("tm", oid::TIME),
            ("ts", oid::TIMESTAMP),
            ("tz", oid::TIMESTAMPTZ),
            ("iv", oid::INTERVAL),
            ("u", oid::UUID),
            ("l", oid::PG_LSN),
            ("un", oid::UNKNOWN),
            ("v", oid::VOID),
        ])
        .unwrap()
    }

    fn all_types_values() -> Vec<Datum> {
        vec![
            Datum::Bool(true),
            Datum::Text("x".into()),
            Datum::Int2(-12345),
            Datum::Text("pg_class".into()),
            Datum::Int4(i32::MIN),
            Datum::Int8(i64::MAX),
            Datum::Oid(u32::MAX),
            Datum::Float4(-1.5),
            Datum::Float8(f64::NEG_INFINITY),
            Datum::Numeric(
                Numeric::parse("-12345678901234567890.000123")
                    .unwrap()
                    .unwrap(),
            ),
            Datum::Text("héllo wörld".into()),
            Datum::Text("a".repeat(200)),
            Datum::Text(String::new()),
            Datum::Bytea(vec![0, 1, 2, 255]),
            Datum::Date(-730_000),
            Datum::Time(86_399_999_999),
            Datum::Timestamp(-1),
            Datum::Timestamptz(1_700_000_000_000_000),
            Datum::Interval(Interval {
                months: -14,
                days: 3,
                micros: 4_000_001,
            }),
            Datum::Uuid([
                0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38,
                0x0a, 0x11,
            ]),
            Datum::PgLsn(0x16_B374_D848),
            Datum::Text("unknown literal".into()),
            Datum::Void,
        ]
    }

    fn round_trip(desc: &TupleDesc, values: &[Datum]) -> Vec<u8> {
        let t = form_tuple(desc, values).unwrap();
        let back = deform_tuple(desc, &t).unwrap();
        assert_eq!(back.len(), values.len());
        for (i, (a, b)) in values.iter().zip(&back).enumerate() {
            // NaN != NaN: compare float bits
            let same = match (a, b) {
                (Datum::Float8(x), Datum::Float8(y)) => x.to_bits() == y.to_bits(),
                (Datum::Float4(x), Datum::Float4(y)) => x.to_bits() == y.to_bits(),
                _ => a == b,
            };
            assert!(same, "attribute {i}: {a:?} came back as {b:?}");
        }
        t
    }

    #[test]
    fn every_type_round_trips() {
        let desc = all_types_desc();
        let values = all_types_values();
        let t = round_trip(&desc, &values);
        let h = TupleHeader::parse(&t).unwrap();
        assert_eq!(h.natts(), values.len());
        assert_eq!(h.hoff(), 32);
        assert!(!h.has_nulls());
        assert_eq!(h.infomask() & HEAP_HASVARWIDTH, HEAP_HASVARWIDTH);
        assert_eq!(h.ctid(), ItemPointer::INVALID);
        let prefix = deform_tuple_prefix(&desc, &t, 5).unwrap();
        assert_eq!(prefix, values[..5].to_vec());

        let specials =
            TupleDesc::from_types(&[("a", oid::FLOAT8), ("b", oid::FLOAT4), ("n", oid::NUMERIC)])
                .unwrap();
        round_trip(
            &specials,
            &[
                Datum::Float8(f64::NAN),
                Datum::Float4(-0.0),
                Datum::Numeric(Numeric::NaN),
            ],
        );
        round_trip(
            &specials,
            &[
                Datum::Float8(-0.0),
                Datum::Float4(f32::INFINITY),
                Datum::Numeric(Numeric::PosInf),
            ],
        );
        round_trip(
            &specials,
            &[
                Datum::Float8(0.1),
                Datum::Float4(f32::MIN_POSITIVE),
                Datum::Numeric(Numeric::from_i64(0)),
            ],
        );
    }

    #[test]
    fn nulls_in_every_position() {
        let desc = all_types_desc();
        let values = all_types_values();
        for i in 0..values.len() {
            let mut v = values.clone();
            v[i] = Datum::Null;
            let t = round_trip(&desc, &v);
            let h = TupleHeader::parse(&t).unwrap();
            assert!(h.has_nulls());
            assert!(h.attr_is_null(i));
            // 23 attributes: a 3-byte bitmap, 31 + 3 -> t_hoff 40
            assert_eq!(h.hoff(), 40);
        }
        // every other one, and all of them
        let v: Vec<Datum> = values
            .iter()
            .enumerate()
            .map(|(i, d)| if i % 2 == 0 { Datum::Null } else { d.clone() })
            .collect();
        round_trip(&desc, &v);
        let v: Vec<Datum> = values
            .iter()
            .enumerate()
            .map(|(i, d)| if i % 2 == 1 { Datum::Null } else { d.clone() })
            .collect();
        round_trip(&desc, &v);
        let t = round_trip(&desc, &vec![Datum::Null; values.len()]);
        assert_eq!(t.len(), 40, "only the header and bitmap");
        assert_eq!(
            TupleHeader::parse(&t).unwrap().infomask() & HEAP_HASVARWIDTH,
            0
        );

        // up to 8 attributes the bitmap fits the header's padding byte
        let small = TupleDesc::from_types(&[("a", oid::INT4), ("b", oid::TEXT)]).unwrap();
        let t = round_trip(&small, &[Datum::Null, Datum::Text("z".into())]);
        assert_eq!(TupleHeader::parse(&t).unwrap().hoff(), 32);
    }

    #[test]
    fn selected_columns_decode_alone_and_the_rest_is_null() {
        let desc = all_types_desc();
        let values = all_types_values();
        let n = values.len();
        // Every single column, every other one, and with NULLs before and
        // after it: a selected column reads as the whole decode does.
        let with_nulls = |every: usize| -> Vec<Datum> {
            values
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    if every > 0 && i % every == 0 {
                        Datum::Null
                    } else {
                        d.clone()
                    }
                })
                .collect()
        };
        let mut row = vec![Datum::Text("stale".into()); 3];
        for every in [0, 2, 3] {
            let v = with_nulls(every);
            let t = form_tuple(&desc, &v).unwrap();
            let masks = (0..n)
                .map(|c| (0..=c).map(|i| i == c).collect::<Vec<bool>>())
                .chain([(0..n).map(|i| i % 2 == 1).collect()]);
            for read in masks {
                deform_tuple_some_into(&desc, &t, &read, &mut row).unwrap();
                assert_eq!(row.len(), n);
                for (i, got) in row.iter().enumerate() {
                    let want = if read.get(i) == Some(&true) {
                        &v[i]
                    } else {
                        &Datum::Null
                    };
                    assert_eq!(got, want, "column {i} of {read:?}, NULL every {every}");
                }
            }
            // The prefix form overwrites the same room.
            deform_tuple_prefix_into(&desc, &t, n, &mut row).unwrap();
            assert_eq!(row, v);
        }
    }

    #[test]
    fn alignment_and_short_varlenas_match_postgres() {
        // (bool, int8): the int8 starts at the next 8-byte boundary
        let desc = TupleDesc::from_types(&[("a", oid::BOOL), ("b", oid::INT8)]).unwrap();
        let t = form_tuple(&desc, &[Datum::Bool(true), Datum::Int8(1)]).unwrap();
        assert_eq!(t.len(), 32 + 8 + 8);
        assert_eq!(&t[32..41], &[1, 0, 0, 0, 0, 0, 0, 0, 1]);

        // (bool, text 'ab'): a short varlena is not aligned: header 3 << 1 | 1
        let desc =
            TupleDesc::from_types(&[("a", oid::BOOL), ("b", oid::TEXT), ("c", oid::INT2)]).unwrap();
        let t = form_tuple(
            &desc,
            &[Datum::Bool(false), Datum::Text("ab".into()), Datum::Int2(7)],
        )
        .unwrap();
        assert_eq!(&t[32..], &[0, 7, b'a', b'b', 7, 0]);

        // a 127-byte text needs the 4-byte header, int-aligned after the bool
        let long = "y".repeat(127);
        let t = form_tuple(
            &desc,
            &[Datum::Bool(true), Datum::Text(long.clone()), Datum::Int2(7)],
        )
        .unwrap();
        assert_eq!(&t[32..40], &[1, 0, 0, 0, 0x0C, 0x02, 0, 0]); // (127 + 4) << 2 = 524
        assert_eq!(deform_tuple(&desc, &t).unwrap()[1], Datum::Text(long));
        // 126 bytes still fit the short header
        let t = form_tuple(
            &desc,
            &[Datum::Bool(true), Datum::Text("y".repeat(126)), Datum::Null],
        )
        .unwrap();
        assert_eq!(t[33], 127 << 1 | 1);
    }

    use super::super::noise_letters as noise;

    #[test]
    fn row_too_big() {
        let desc = TupleDesc::from_types(&[("id", oid::INT4), ("payload", oid::TEXT)]).unwrap();
        // the largest text that fits: 8160 - 32 (header) - 4 (int4) - 4 (varlena header)
        let fits = noise(MAX_HEAP_TUPLE_SIZE - 40, 1);
        let t = round_trip(&desc, &[Datum::Int4(1), Datum::Text(fits)]);
        assert_eq!(t.len(), MAX_HEAP_TUPLE_SIZE);
        let e = form_tuple(
            &desc,
            &[
                Datum::Int4(1),
                Datum::Text(noise(MAX_HEAP_TUPLE_SIZE - 39, 1)),
            ],
        )
        .unwrap_err();
        assert_eq!(e.code, SqlState::ProgramLimitExceeded);
        assert_eq!(e.message, "row is too big: size 8168, maximum size 8160");
        let e = form_tuple(&desc, &[Datum::Int4(1), Datum::Text(noise(100_000, 2))]).unwrap_err();
        assert_eq!(e.message, "row is too big: size 100040, maximum size 8160");

        // a maximal tuple fits an empty page exactly
        let mut page = Box::new([0u8; BLCKSZ]);
        let mut p = PageMut::new(&mut page);
        p.init(0);
        assert!(p.add_item(&t, None, AddItemFlags::HEAP).unwrap().is_some());
    }

    /// The stored form of attribute 2 of a three-column tuple whose first
    /// column is an int4: its header word.
    fn second_header(t: &[u8]) -> u32 {
        le_u32(t, 36)
    }

    #[test]
    fn long_rows_are_compressed_largest_first() {
        let desc =
            TupleDesc::from_types(&[("id", oid::INT4), ("big", oid::TEXT), ("small", oid::BYTEA)])
                .unwrap();
        // Short rows are left alone.
        let short = vec![
            Datum::Int4(1),
            Datum::Text("a".repeat(1500)),
            Datum::Bytea(vec![7; 400]),
        ];
        let t = round_trip(&desc, &short);
        assert_eq!(second_header(&t) & 3, 0);
        // 100 kB of repeated text compresses to a few hundred bytes; the
        // bytea is then short enough to stay as it is.
        let big = vec![
            Datum::Int4(2),
            Datum::Text("0123456789".repeat(10_000)),
            Datum::Bytea(vec![7; 700]),
        ];
        let t = round_trip(&desc, &big);
        assert!(t.len() < TOAST_TUPLE_THRESHOLD, "{}", t.len());
        assert_eq!(second_header(&t) & 3, 2, "compressed");
        assert_eq!(le_u32(&t, 40), 100_000, "va_tcinfo: raw length, pglz");
        let small_at = Align::Int.apply(36 + (second_header(&t) >> 2) as usize);
        assert_eq!(le_u32(&t, small_at) & 3, 0, "the bytea stays plain");
        // Both compressed when neither alone is enough.
        let both = vec![
            Datum::Int4(3),
            Datum::Text(format!("{}{}", noise(1000, 5), "x".repeat(5000))),
            Datum::Bytea(vec![9; 5000]),
        ];
        let t = round_trip(&desc, &both);
        assert!(t.len() <= TOAST_TUPLE_THRESHOLD, "{}", t.len());
        let small_at = Align::Int.apply(36 + (second_header(&t) >> 2) as usize);
        assert_eq!(le_u32(&t, small_at) & 3, 2);
        // Incompressible values stay as they are while they fit a page.
        let plain = vec![Datum::Int4(4), Datum::Text(noise(6000, 9)), Datum::Null];
        let t = round_trip(&desc, &plain);
        assert_eq!(le_u32(&t, 36) & 3, 0);
    }

    #[test]
    fn storage_and_method_choose_what_is_compressed() {
        let mut desc = TupleDesc::from_types(&[("a", oid::TEXT), ("n", oid::NUMERIC)]).unwrap();
        assert_eq!(desc.attrs[0].storage, 'x');
        assert_eq!(desc.attrs[1].storage, 'm');
        let values = vec![Datum::Text("ab".repeat(3000)), Datum::Null];
        let t = round_trip(&desc, &values);
        assert_eq!(le_u32(&t, 32) & 3, 2);
        // PLAIN and EXTERNAL values are never compressed.
        for storage in ['p', 'e'] {
            desc.attrs[0].storage = storage;
            let t = round_trip(&desc, &values);
            assert_eq!(le_u32(&t, 32), (6004 << 2), "{storage}");
        }
        // MAIN ones are, after the EXTENDED ones.
        desc.attrs[0].storage = 'm';
        desc.attrs[0].compression = Compression::Lz4;
        let t = round_trip(&desc, &values);
        assert_eq!(le_u32(&t, 32) & 3, 2);
        assert_eq!(le_u32(&t, 36), 6000 | 1 << 30, "lz4's id");
        // The target (toast_tuple_target) says how far to go once a row is
        // past the threshold: compressing the larger value is enough for the
        // default, a low target compresses both, a high one neither.
        let desc = TupleDesc::from_types(&[("a", oid::TEXT), ("b", oid::TEXT)]).unwrap();
        let values = vec![Datum::Text("q".repeat(1000)), Datum::Text("r".repeat(1100))];
        let second = |t: &[u8]| le_u32(t, Align::Int.apply(32 + (le_u32(t, 32) >> 2) as usize));
        let t = form_tuple(&desc, &values).unwrap();
        assert_eq!((le_u32(&t, 32) & 3, second(&t) & 3), (0, 2));
        let t = form_tuple_toasted(&desc, &values, 128).unwrap();
        assert_eq!((le_u32(&t, 32) & 3, second(&t) & 3), (2, 2));
        assert_eq!(deform_tuple(&desc, &t).unwrap(), values);
        let t = form_tuple_toasted(&desc, &values, 8160).unwrap();
        assert_eq!((le_u32(&t, 32) & 3, second(&t) & 3), (0, 0));
        // Below the threshold nothing is compressed, whatever the target.
        let values = vec![Datum::Text("q".repeat(900)), Datum::Text("r".repeat(900))];
        let t = form_tuple_toasted(&desc, &values, 128).unwrap();
        assert_eq!((le_u32(&t, 32) & 3, second(&t) & 3), (0, 0));
    }

    #[test]
    fn index_values_past_the_index_target_are_compressed_alone() {
        let desc = TupleDesc::from_types(&[("a", oid::TEXT), ("b", oid::TEXT)]).unwrap();
        let values = vec![Datum::Text("s".repeat(400)), Datum::Text("l".repeat(600))];
        let mut out = Vec::new();
        fill_index_data(&desc, &values, &mut out).unwrap();
        assert_eq!(le_u32(&out, 0), 404 << 2, "under the target: plain");
        let second = Align::Int.apply((le_u32(&out, 0) >> 2) as usize);
        assert_eq!(le_u32(&out, second) & 3, 2, "past it: compressed");
        assert!(out.len() < 500, "{}", out.len());
        let back = deform_data(&desc, &out, 0, |_| false, 2, "index tuple").unwrap();
        assert_eq!(back, values);
        // Incompressible values stay as they are.
        let values = vec![Datum::Null, Datum::Text(noise(3000, 11))];
        let mut out = Vec::new();
        fill_index_data(&desc, &values, &mut out).unwrap();
        assert_eq!(le_u32(&out, 0), 3004 << 2);
    }

    #[test]
    fn compressed_values_of_every_varlena_kind_round_trip() {
        let desc =
            TupleDesc::from_types(&[("j", oid::JSONB), ("a", oid::INT4_ARRAY), ("b", oid::BYTEA)])
                .unwrap();
        let json = format!("[{}1]", "{\"k\": \"vvvvvvvvvv\"}, ".repeat(500));
        let values = vec![
            Datum::from_text(oid::JSONB, &json, &Default::default()).unwrap(),
            Datum::from_text(
                oid::INT4_ARRAY,
                &format!("{{{}0}}", "5,".repeat(3000)),
                &Default::default(),
            )
            .unwrap(),
            Datum::Bytea(b"abc".repeat(3000)),
        ];
        let t = round_trip(&desc, &values);
        assert!(t.len() <= TOAST_TUPLE_THRESHOLD, "{}", t.len());
        // Damage inside a compressed value is XX001, not a panic.
        for at in 36..t.len() {
            let mut bad = t.clone();
            bad[at] ^= 0x55;
            if let Err(e) = deform_tuple(&desc, &bad) {
                assert_eq!(e.code, SqlState::DataCorrupted);
            }
        }
    }

    #[test]
    fn mismatched_values_are_internal_errors() {
        let desc = TupleDesc::from_types(&[("a", oid::INT8)]).unwrap();
        let e = form_tuple(&desc, &[Datum::Int4(1)]).unwrap_err();
        assert_eq!(e.code, SqlState::InternalError);
        assert_eq!(
            e.message,
            "value of kind Int4 does not match column \"a\" of type bigint"
        );
        assert!(form_tuple(&desc, &[]).is_err());
        // (`record` is stored, in its binary form: a sort may spill rows.)
        let e = Attribute::new("x", oid::ANYENUM, -1).unwrap_err();
        assert_eq!(e.code, SqlState::FeatureNotSupported);
        let name = TupleDesc::from_types(&[("n", oid::NAME)]).unwrap();
        assert!(form_tuple(&name, &[Datum::Text("n".repeat(64))]).is_err());
        round_trip(&name, &[Datum::Text("n".repeat(63))]);
    }

    #[test]
    fn fewer_stored_attributes_read_as_null() {
        // ALTER TABLE ADD COLUMN: old tuples have fewer attributes
        let old = TupleDesc::from_types(&[("a", oid::INT4)]).unwrap();
        let new = TupleDesc::from_types(&[("a", oid::INT4), ("b", oid::TEXT)]).unwrap();
        let t = form_tuple(&old, &[Datum::Int4(5)]).unwrap();
        assert_eq!(
            deform_tuple(&new, &t).unwrap(),
            vec![Datum::Int4(5), Datum::Null]
        );
    }

    #[test]
    fn header_fields_and_hint_bits() {
        let desc = TupleDesc::from_types(&[("a", oid::INT4)]).unwrap();
        let mut t = form_tuple(&desc, &[Datum::Int4(5)]).unwrap();
        let mut h = TupleHeaderMut::parse(&mut t).unwrap();
        h.set_xmin(1 << 40);
        h.set_xmax(u64::MAX - 1);
        h.set_cid(7);
        h.set_ctid(ItemPointer::new(12, 3));
        h.add_infomask(HEAP_XMIN_COMMITTED | HEAP_XMAX_INVALID);
        h.set_infomask2_flags(HEAP_HOT_UPDATED);
        let r = h.as_ref();
        assert_eq!((r.xmin(), r.xmax(), r.cid()), (1 << 40, u64::MAX - 1, 7));
        assert_eq!(r.ctid().to_string(), "(12,3)");
        assert!(r.xmin_committed() && !r.xmin_invalid() && !r.xmin_frozen());
        assert!(r.xmax_invalid() && !r.xmax_committed() && !r.xmax_is_locked_only());
        assert!(r.is_hot_updated() && !r.is_heap_only());
        assert_eq!(r.natts(), 1, "flags leave the attribute count alone");
        h.add_infomask(HEAP_XMIN_INVALID);
        assert!(h.as_ref().xmin_frozen());
        h.clear_infomask(HEAP_XMIN_FROZEN);
        assert!(!h.as_ref().xmin_committed());
        // the values are untouched by header changes
        assert_eq!(deform_tuple(&desc, &t).unwrap(), vec![Datum::Int4(5)]);
    }

    #[test]
    fn corrupted_tuples_are_xx001_never_a_panic() {
        let desc = all_types_desc();
        let mut values = all_types_values();
        values[3] = Datum::Null;
        let good = form_tuple(&desc, &values).unwrap();

        // every truncation
        for len in 0..good.len() {
            let e = deform_tuple(&desc, &good[..len]).unwrap_err();
            assert_eq!(
                e.code,
                SqlState::DataCorrupted,
                "truncated to {len}: {}",
                e.message
            );
        }
        // every byte set to every interesting value: an error or some values, no panic
        for at in 0..good.len() {
            for v in [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xfe, 0xff] {
                let mut bad = good.clone();
                bad[at] = v;
                if let Err(e) = deform_tuple(&desc, &bad) {
                    assert_eq!(e.code, SqlState::DataCorrupted);
                }
            }
        }
        // pseudo-random garbage
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let len = (x % 300) as usize;
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            if let Err(e) = deform_tuple(&desc, &garbage) {
                assert_eq!(e.code, SqlState::DataCorrupted);
            }
        }

        let e = deform_tuple(&desc, &good[..20]).unwrap_err();
        assert_eq!(
            e.message,
            "invalid heap tuple: length 20 is shorter than its header"
        );
        let text = TupleDesc::from_types(&[("t", oid::TEXT)]).unwrap();
        let mut t = form_tuple(&text, &[Datum::Text("abc".into())]).unwrap();
        t[32] = 0x01;
        let e = deform_tuple(&text, &t).unwrap_err();
        assert_eq!(
            e.message,
            "invalid heap tuple: attribute 1 (\"t\") at offset 32: out-of-line (TOAST) values are not supported"
        );
        t[32] = 0x7f;
        let e = deform_tuple(&text, &t).unwrap_err();
        assert_eq!(
            e.message,
            "invalid heap tuple: attribute 1 (\"t\") at offset 32 reaches past the end of the tuple (36 bytes)"
        );
        t[32] = 4 << 1 | 1;
        t[33] = 0xff;
        assert_eq!(
            deform_tuple(&text, &t).unwrap_err().message,
            "invalid heap tuple: attribute 1 (\"t\") at offset 32: invalid UTF-8 in a text value"
        );
    }
}
