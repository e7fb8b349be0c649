//! Slotted pages (PostgreSQL's `bufpage.h` / `bufpage.c`).
//!
//! Every block of every relation fork is a page of [`BLCKSZ`] bytes laid out like
//! PostgreSQL's: a header, an array of line pointers growing forwards, free space,
//! items (tuples) growing backwards from the special space, and the special space
//! (used by index access methods; empty on heap pages).
//!
//! ```text
//!  0        8    10     12     14     16      18       20            28
//!  +--------+----+------+------+------+-------+--------+-------------+
//!  | lsn    |csum| flags| lower| upper|special|size|ver| prune_xid   |  header (28 bytes)
//!  +--------+----+------+------+------+-------+--------+-------------+
//!  | lp 1 | lp 2 | lp 3 | ... | lp N |           -> lower
//!  +------+------+------+-----+------+-------------------------------+
//!  |                                                                  |
//!  |                    free space (lower .. upper)                   |
//!  |                                                                  |
//!  |          upper <-  +----------+---------+---------------------+--+
//!  |                    |  item N  |   ...   |       item 1        |  |
//!  +--------------------+----------+---------+---------------------+--+
//!  | special space (special .. BLCKSZ)                                |
//!  +------------------------------------------------------------------+
//! ```
//!
//! Header fields, all little-endian whatever the host:
//! - `lsn` (u64): the WAL position just past the last record that changed the
//!   page; the buffer manager writes the page only after WAL is flushed that far.
//!   Stored as PostgreSQL's `PageXLogRecPtr`: high 32 bits, then low 32 bits.
//! - `checksum` (u16): see below.
//! - `flags` (u16): [`PD_HAS_FREE_LINES`], [`PD_PAGE_FULL`], [`PD_ALL_VISIBLE`].
//! - `lower`, `upper`, `special` (u16 byte offsets): the end of the line-pointer
//!   array, the start of item storage, the start of the special space.
//! - `pagesize_version` (u16): page size | layout version ([`PAGE_LAYOUT_VERSION`]).
//! - `prune_xid` (u64): the oldest xid that may have left prunable tuples, or 0.
//!
//! Differences from PostgreSQL: transaction ids are 64-bit, so `prune_xid` is 8
//! bytes and the header 28 bytes instead of 24; the layout version is ours (5, PG
//! uses 4), so a PostgreSQL data file is never mistaken for ours.
//!
//! A line pointer ([`ItemId`], 4 bytes) packs `off` (15 bits, byte offset of the
//! item), `flags` (2 bits) and `len` (15 bits, exact item length) as PostgreSQL's
//! bitfield does on a little-endian machine: `off | flags << 15 | len << 17`.
//! Offset numbers ([`OffsetNumber`]) are 1-based indexes into that array, and stay
//! the same as long as the tuple lives, since indexes and `ctid`s point at them.
//!
//! Invariants, checked by [`Page::verify`] and by every function that moves data:
//! 1. `HEADER_SIZE <= lower <= upper <= special <= BLCKSZ`, `special` is a multiple
//!    of [`MAXALIGN`], and `flags` has no unknown bits.
//! 2. Items start at [`MAXALIGN`]ed offsets within `upper .. special`; a NORMAL line
//!    pointer has storage (`len > 0`), REDIRECT / DEAD / UNUSED ones have none (a
//!    REDIRECT's `off` holds the offset number it points to).
//! 3. A page whose `upper` is 0 is *new* (never initialised): valid only if every
//!    byte is zero, as a block that was extended but not yet written is.
//!
//! Checksum: CRC-32C (Castagnoli, through the `crc32c` crate, hardware accelerated)
//! over the page with the two checksum bytes left out, continued over the block
//! number (4 bytes, little-endian) so that a page written to the wrong block fails
//! too; the 32-bit CRC is folded to 16 bits (`crc ^ crc >> 16`) and mapped into
//! `1..=65535` (`% 65535 + 1`, as PostgreSQL does, so a checksum is never 0).
//! PostgreSQL uses an FNV-derived hash instead; CRC-32C detects every burst error
//! up to 16 bits after folding and costs about the same with SSE4.2. The buffer
//! manager calls [`PageMut::set_checksum`] just before writing a page and
//! [`Page::verify`] just after reading one: checksums are always on in OxiPG.

use types::{PgError, PgResult, SqlState};

pub use crate::smgr::{BLCKSZ, BlockNumber};

/// Items are stored at multiples of this (PostgreSQL's `MAXIMUM_ALIGNOF`).
pub const MAXALIGN: usize = 8;

/// Rounds `len` up to a multiple of [`MAXALIGN`].
pub const fn maxalign(len: usize) -> usize {
    (len + MAXALIGN - 1) & !(MAXALIGN - 1)
}

/// Size of the page header; the line-pointer array starts here.
pub const HEADER_SIZE: usize = 28;

/// Size of one line pointer.
pub const ITEM_ID_SIZE: usize = 4;

/// This layout's version, kept in the low byte of `pagesize_version`.
pub const PAGE_LAYOUT_VERSION: u8 = 5;

/// Some line pointers are UNUSED: an insertion may reuse one (a hint).
pub const PD_HAS_FREE_LINES: u16 = 0x0001;
/// The last UPDATE found no room on the page (a hint for pruning).
pub const PD_PAGE_FULL: u16 = 0x0002;
/// Every tuple on the page is visible to every transaction (mirrors the VM bit).
pub const PD_ALL_VISIBLE: u16 = 0x0004;
/// Every flag bit that may be set.
pub const PD_VALID_FLAG_BITS: u16 = 0x0007;

/// 1-based index of a line pointer; 0 is invalid.
pub type OffsetNumber = u16;
pub const INVALID_OFFSET_NUMBER: OffsetNumber = 0;
pub const FIRST_OFFSET_NUMBER: OffsetNumber = 1;
/// More line pointers than this cannot fit in a page.
pub const MAX_OFFSET_NUMBER: OffsetNumber = (BLCKSZ / ITEM_ID_SIZE) as OffsetNumber;

/// The largest item a page can hold (one line pointer, no special space).
pub const MAX_ITEM_SIZE: usize = BLCKSZ - maxalign(HEADER_SIZE + ITEM_ID_SIZE);

/// The most tuples a heap page can hold: each needs a line pointer and at least an
/// aligned tuple header (PostgreSQL's `MaxHeapTuplesPerPage`, 291 there; our
/// headers are larger because xids are 64-bit).
pub const MAX_HEAP_TUPLES_PER_PAGE: usize =
    (BLCKSZ - HEADER_SIZE) / (maxalign(crate::heap::tuple::HEAP_TUPLE_HEADER_SIZE) + ITEM_ID_SIZE);

/// A heap tuple's address: block and line pointer (PostgreSQL's `ItemPointerData`,
/// the `ctid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ItemPointer {
    pub block: BlockNumber,
    pub offset: OffsetNumber,
}

impl ItemPointer {
    pub const INVALID: ItemPointer = ItemPointer {
        block: crate::smgr::INVALID_BLOCK_NUMBER,
        offset: 0,
    };

    pub fn new(block: BlockNumber, offset: OffsetNumber) -> ItemPointer {
        ItemPointer { block, offset }
    }

    pub fn is_valid(&self) -> bool {
        self.offset != INVALID_OFFSET_NUMBER
    }
}

impl std::fmt::Display for ItemPointer {
    /// As `tidout` prints it: `(block,offset)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({},{})", self.block, self.offset)
    }
}

/// The state of a line pointer (`lp_flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemIdFlags {
    /// Free for reuse; no storage.
    Unused = 0,
    /// Points at an item with storage.
    Normal = 1,
    /// Points at another line pointer of the page (HOT chain root); no storage.
    Redirect = 2,
    /// Dead, awaiting removal of index entries; no storage.
    Dead = 3,
}

/// A line pointer (PostgreSQL's `ItemIdData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemId {
    /// Byte offset of the item (NORMAL), or the target offset number (REDIRECT).
    pub off: u16,
    pub flags: ItemIdFlags,
    /// Length of the item in bytes (NORMAL), else 0.
    pub len: u16,
}

impl ItemId {
    pub const UNUSED: ItemId = ItemId {
        off: 0,
        flags: ItemIdFlags::Unused,
        len: 0,
    };

    fn decode(raw: u32) -> ItemId {
        let flags = match (raw >> 15) & 3 {
            0 => ItemIdFlags::Unused,
            1 => ItemIdFlags::Normal,
            2 => ItemIdFlags::Redirect,
            _ => ItemIdFlags::Dead,
        };
        ItemId {
            off: (raw & 0x7FFF) as u16,
            flags,
            len: (raw >> 17) as u16,
        }
    }

    fn encode(self) -> u32 {
        u32::from(self.off & 0x7FFF)
            | (self.flags as u32) << 15
            | u32::from(self.len & 0x7FFF) << 17
    }

    pub fn is_used(&self) -> bool {
        self.flags != ItemIdFlags::Unused
    }

    pub fn is_normal(&self) -> bool {
        self.flags == ItemIdFlags::Normal
    }

    pub fn is_redirect(&self) -> bool {
        self.flags == ItemIdFlags::Redirect
    }

    pub fn is_dead(&self) -> bool {
        self.flags == ItemIdFlags::Dead
    }

    /// Whether the pointer owns bytes in the item area.
    pub fn has_storage(&self) -> bool {
        self.len != 0
    }

    /// The offset number a REDIRECT points to.
    pub fn redirect_target(&self) -> OffsetNumber {
        self.off
    }
}

/// How [`PageMut::add_item`] places an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddItemFlags {
    /// With an explicit offset: replace an UNUSED line pointer there instead of
    /// shifting the following ones up (heap pages and WAL redo use this).
    pub overwrite: bool,
    /// The page is a heap page: never shift line pointers, respect
    /// [`MAX_HEAP_TUPLES_PER_PAGE`].
    pub is_heap: bool,
}

impl AddItemFlags {
    pub const HEAP: AddItemFlags = AddItemFlags {
        overwrite: false,
        is_heap: true,
    };
}

fn get_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn get_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn corrupted(message: String) -> PgError {
    PgError::new(SqlState::DataCorrupted, message)
}

/// The page checksum of `page` as block `blkno` (see the module doc).
pub fn checksum(page: &[u8; BLCKSZ], blkno: BlockNumber) -> u16 {
    let crc = crc32c::crc32c(&page[..8]);
    let crc = crc32c::crc32c_append(crc, &page[10..]);
    let crc = crc32c::crc32c_append(crc, &blkno.to_le_bytes());
    let folded = (crc ^ (crc >> 16)) & 0xFFFF;
    (folded % 65535 + 1) as u16
}

/// A read-only view of a page.
#[derive(Clone, Copy)]
pub struct Page<'a> {
    bytes: &'a [u8; BLCKSZ],
}

/// A writable view of a page. Holding one means holding the buffer's exclusive
/// content lock (the buffer manager hands it out).
pub struct PageMut<'a> {
    bytes: &'a mut [u8; BLCKSZ],
}

impl<'a> Page<'a> {
    pub fn new(bytes: &'a [u8; BLCKSZ]) -> Page<'a> {
        Page { bytes }
    }

    pub fn bytes(&self) -> &'a [u8; BLCKSZ] {
        self.bytes
    }

    pub fn lsn(&self) -> u64 {
        (u64::from(get_u32(self.bytes, 0)) << 32) | u64::from(get_u32(self.bytes, 4))
    }

    pub fn checksum(&self) -> u16 {
        get_u16(self.bytes, 8)
    }

    pub fn flags(&self) -> u16 {
        get_u16(self.bytes, 10)
    }

    pub fn lower(&self) -> usize {
        get_u16(self.bytes, 12) as usize
    }

    pub fn upper(&self) -> usize {
        get_u16(self.bytes, 14) as usize
    }

    pub fn special(&self) -> usize {
        get_u16(self.bytes, 16) as usize
    }

    /// The page size recorded in the header (a multiple of 256).
    pub fn page_size(&self) -> usize {
        (get_u16(self.bytes, 18) & 0xFF00) as usize
    }

    pub fn layout_version(&self) -> u8 {
        (get_u16(self.bytes, 18) & 0x00FF) as u8
    }

    pub fn prune_xid(&self) -> u64 {
        get_u64(self.bytes, 20)
    }

    pub fn has_free_lines(&self) -> bool {
        self.flags() & PD_HAS_FREE_LINES != 0
    }

    pub fn is_full(&self) -> bool {
        self.flags() & PD_PAGE_FULL != 0
    }

    pub fn is_all_visible(&self) -> bool {
        self.flags() & PD_ALL_VISIBLE != 0
    }

    /// Never initialised (`PageIsNew`): `upper` is 0. Such a page is valid on disk
    /// only if it is all zeroes; [`PageMut::init`] it before use.
    pub fn is_new(&self) -> bool {
        self.upper() == 0
    }

    /// Whether every byte is zero.
    pub fn is_all_zero(&self) -> bool {
        self.bytes.iter().all(|&b| b == 0)
    }

    /// Invariant 1 of the module doc (`PageIsVerified`'s header test).
    pub fn header_is_sane(&self) -> bool {
        let (lower, upper, special) = (self.lower(), self.upper(), self.special());
        self.flags() & !PD_VALID_FLAG_BITS == 0
            && lower >= HEADER_SIZE
            && lower <= upper
            && upper <= special
            && special <= BLCKSZ
            && special == maxalign(special)
    }

    fn check_pointers(&self) -> PgResult<()> {
        if self.header_is_sane() {
            Ok(())
        } else {
            Err(corrupted(format!(
                "corrupted page pointers: lower = {}, upper = {}, special = {}",
                self.lower(),
                self.upper(),
                self.special()
            )))
        }
    }

    /// Checks a page just read as block `blkno` of the relation file `rel_path`
    /// (`PageIsVerifiedExtended` plus `ReadBuffer`'s report): an all-zero page is
    /// valid; otherwise the header must be sane and the checksum match. A damaged
    /// page is `XX001 invalid page in block N of relation base/5/16384`, with the
    /// checksums in the detail when they differ.
    pub fn verify(&self, blkno: BlockNumber, rel_path: &str) -> PgResult<()> {
        let mut detail = None;
        if !self.is_new() {
            let computed = checksum(self.bytes, blkno);
            let checksum_ok = computed == self.checksum();
            if checksum_ok && self.header_is_sane() {
                return Ok(());
            }
            if !checksum_ok {
                detail = Some(format!(
                    "page verification failed, calculated checksum {computed} but expected {}",
                    self.checksum()
                ));
            }
        }
        if self.is_all_zero() {
            return Ok(());
        }
        let e = corrupted(format!(
            "invalid page in block {blkno} of relation {rel_path}"
        ));
        Err(match detail {
            Some(d) => e.with_detail(d),
            None => e,
        })
    }

    /// The number of line pointers (`PageGetMaxOffsetNumber`): 0 on a new page.
    pub fn max_offset_number(&self) -> OffsetNumber {
        let lower = self.lower();
        if lower <= HEADER_SIZE {
            0
        } else {
            ((lower - HEADER_SIZE) / ITEM_ID_SIZE) as OffsetNumber
        }
    }

    /// The line pointer at `off`, if `off` is within the array.
    pub fn item_id(&self, off: OffsetNumber) -> Option<ItemId> {
        if off == INVALID_OFFSET_NUMBER || off > self.max_offset_number() {
            return None;
        }
        let at = HEADER_SIZE + (off as usize - 1) * ITEM_ID_SIZE;
        let mut raw = [0u8; 4];
        raw.copy_from_slice(&self.bytes[at..at + 4]);
        Some(ItemId::decode(u32::from_le_bytes(raw)))
    }

    /// The byte range of the item at `off`, checked against the page (invariant 2).
    fn item_range(&self, off: OffsetNumber) -> PgResult<std::ops::Range<usize>> {
        let Some(id) = self.item_id(off) else {
            return Err(corrupted(format!(
                "invalid offset number {off}: the page has {} line pointers",
                self.max_offset_number()
            )));
        };
        // A DEAD pointer with storage is an index entry a scan marked as
        // pointing at a row no snapshot can see (LP_DEAD); heap DEAD
        // pointers have none.
        if !(id.is_normal() || id.is_dead()) || !id.has_storage() {
            return Err(corrupted(format!("line pointer {off} has no storage")));
        }
        let (start, end) = (id.off as usize, id.off as usize + id.len as usize);
        if start < self.upper() || end > self.special() || start != maxalign(start) {
            return Err(corrupted(format!(
                "corrupted line pointer: offset = {start}, size = {}",
                id.len
            )));
        }
        Ok(start..end)
    }

    /// The item a NORMAL line pointer points to (`PageGetItem`). A pointer that
    /// has no storage or reaches outside the item area is `XX001`, never a panic.
    pub fn get_item(&self, off: OffsetNumber) -> PgResult<&'a [u8]> {
        let range = self.item_range(off)?;
        let bytes: &'a [u8; BLCKSZ] = self.bytes;
        Ok(&bytes[range])
    }

    /// The special space (`PageGetSpecialPointer`); empty on heap pages.
    pub fn special_space(&self) -> &'a [u8] {
        let bytes: &'a [u8; BLCKSZ] = self.bytes;
        &bytes[self.special().min(BLCKSZ)..]
    }

    /// Bytes free for one more item, its line pointer deducted (`PageGetFreeSpace`).
    pub fn free_space(&self) -> usize {
        let space = self.upper().saturating_sub(self.lower());
        space.saturating_sub(ITEM_ID_SIZE)
    }

    /// Like [`Page::free_space`] without the line pointer (`PageGetExactFreeSpace`).
    pub fn exact_free_space(&self) -> usize {
        self.upper().saturating_sub(self.lower())
    }

    /// [`Page::free_space`], but 0 when a heap page has no line pointer left to
    /// give (`PageGetHeapFreeSpace`).
    pub fn heap_free_space(&self) -> usize {
        let space = self.free_space();
        if space == 0 {
            return 0;
        }
        let nline = self.max_offset_number() as usize;
        if nline >= MAX_HEAP_TUPLES_PER_PAGE {
            let has_unused = self.has_free_lines()
                && (FIRST_OFFSET_NUMBER..=nline as OffsetNumber)
                    .any(|o| self.item_id(o).is_some_and(|id| !id.is_used()));
            if !has_unused {
                return 0;
            }
        }
        space
    }
}

impl<'a> PageMut<'a> {
    pub fn new(bytes: &'a mut [u8; BLCKSZ]) -> PageMut<'a> {
        PageMut { bytes }
    }

    /// A read-only view of the same page.
    pub fn as_page(&self) -> Page<'_> {
        Page { bytes: self.bytes }
    }

    pub fn bytes_mut(&mut self) -> &mut [u8; BLCKSZ] {
        self.bytes
    }

    fn put_u16(&mut self, at: usize, v: u16) {
        self.bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn put_u64(&mut self, at: usize, v: u64) {
        self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// Formats an empty page with `special_size` bytes of special space (`PageInit`).
    pub fn init(&mut self, special_size: usize) {
        let special_size = maxalign(special_size).min(BLCKSZ - maxalign(HEADER_SIZE));
        self.bytes.fill(0);
        let special = (BLCKSZ - special_size) as u16;
        self.put_u16(12, HEADER_SIZE as u16);
        self.put_u16(14, special);
        self.put_u16(16, special);
        self.put_u16(18, BLCKSZ as u16 & 0xFF00 | u16::from(PAGE_LAYOUT_VERSION));
    }

    pub fn set_lsn(&mut self, lsn: u64) {
        self.bytes[0..4].copy_from_slice(&((lsn >> 32) as u32).to_le_bytes());
        self.bytes[4..8].copy_from_slice(&(lsn as u32).to_le_bytes());
    }

    pub fn set_flags(&mut self, flags: u16) {
        self.put_u16(10, flags);
    }

    fn set_flag(&mut self, flag: u16, on: bool) {
        let f = self.as_page().flags();
        self.set_flags(if on { f | flag } else { f & !flag });
    }

    pub fn set_has_free_lines(&mut self, on: bool) {
        self.set_flag(PD_HAS_FREE_LINES, on);
    }

    pub fn set_full(&mut self, on: bool) {
        self.set_flag(PD_PAGE_FULL, on);
    }

    pub fn set_all_visible(&mut self, on: bool) {
        self.set_flag(PD_ALL_VISIBLE, on);
    }

    fn set_lower(&mut self, v: usize) {
        self.put_u16(12, v as u16);
    }

    fn set_upper(&mut self, v: usize) {
        self.put_u16(14, v as u16);
    }

    /// Records that `xid` may have left prunable tuples, keeping the oldest
    /// (`PageSetPrunable`).
    pub fn set_prunable(&mut self, xid: u64) {
        let cur = self.as_page().prune_xid();
        if cur == 0 || xid < cur {
            self.set_prune_xid(xid);
        }
    }

    pub fn set_prune_xid(&mut self, xid: u64) {
        self.put_u64(20, xid);
    }

    /// Stamps the checksum for block `blkno`; the last change before a write.
    pub fn set_checksum(&mut self, blkno: BlockNumber) {
        let c = checksum(self.bytes, blkno);
        self.put_u16(8, c);
    }

    fn set_item_id_raw(&mut self, off: OffsetNumber, id: ItemId) {
        let at = HEADER_SIZE + (off as usize - 1) * ITEM_ID_SIZE;
        self.bytes[at..at + 4].copy_from_slice(&id.encode().to_le_bytes());
    }

    fn existing_item_id(&self, off: OffsetNumber) -> PgResult<ItemId> {
        self.as_page().item_id(off).ok_or_else(|| {
            PgError::internal(format!(
                "invalid offset number {off}: the page has {} line pointers",
                self.as_page().max_offset_number()
            ))
        })
    }

    /// Adds an item (`PageAddItemExtended`) and returns its offset number, or
    /// `Ok(None)` if it does not fit. With `at = None` the first UNUSED line
    /// pointer is reused (when [`PD_HAS_FREE_LINES`] says there may be one), else
    /// a new one is appended. With `at = Some(off)`: `off` may be one past the
    /// last pointer; otherwise, with `overwrite`, the pointer there must be
    /// UNUSED, and without it the pointers from `off` on shift up by one (index
    /// pages only). The item is stored MAXALIGNed just below `upper`.
    pub fn add_item(
        &mut self,
        item: &[u8],
        at: Option<OffsetNumber>,
        flags: AddItemFlags,
    ) -> PgResult<Option<OffsetNumber>> {
        let page = self.as_page();
        page.check_pointers()?;
        if item.is_empty() || item.len() > MAX_ITEM_SIZE {
            return Err(PgError::internal(format!(
                "invalid item size {}",
                item.len()
            )));
        }
        let limit = page.max_offset_number() + 1;
        let mut need_shuffle = false;
        let off = match at {
            Some(off) => {
                if off == INVALID_OFFSET_NUMBER || off > limit {
                    return Err(PgError::internal(format!(
                        "specified item offset is too large: {off}"
                    )));
                }
                if off < limit {
                    if flags.overwrite {
                        let id = self.existing_item_id(off)?;
                        if id.is_used() || id.has_storage() {
                            return Err(PgError::internal(format!(
                                "will not overwrite a used ItemId: {off}"
                            )));
                        }
                    } else if flags.is_heap {
                        return Err(PgError::internal(
                            "cannot shift line pointers of a heap page",
                        ));
                    } else {
                        need_shuffle = true;
                    }
                }
                off
            }
            None => {
                let reuse = if page.has_free_lines() {
                    (FIRST_OFFSET_NUMBER..limit).find(|&o| {
                        page.item_id(o)
                            .is_some_and(|id| !id.is_used() && !id.has_storage())
                    })
                } else {
                    None
                };
                match reuse {
                    Some(o) => o,
                    None => {
                        if page.has_free_lines() {
                            // the hint was wrong; clear it
                            self.set_has_free_lines(false);
                        }
                        limit
                    }
                }
            }
        };
        if flags.is_heap && off as usize > MAX_HEAP_TUPLES_PER_PAGE {
            return Err(PgError::internal(
                "can't put more than MaxHeapTuplesPerPage items in a heap page",
            ));
        }
        let page = self.as_page();
        let lower = if off == limit || need_shuffle {
            page.lower() + ITEM_ID_SIZE
        } else {
            page.lower()
        };
        let aligned = maxalign(item.len());
        let Some(upper) = page.upper().checked_sub(aligned) else {
            return Ok(None);
        };
        if lower > upper {
            return Ok(None);
        }
        if need_shuffle {
            let from = HEADER_SIZE + (off as usize - 1) * ITEM_ID_SIZE;
            let to = page.lower();
            self.bytes.copy_within(from..to, from + ITEM_ID_SIZE);
        }
        self.bytes[upper..upper + item.len()].copy_from_slice(item);
        self.bytes[upper + item.len()..upper + aligned].fill(0);
        self.set_lower(lower);
        self.set_upper(upper);
        self.set_item_id_raw(
            off,
            ItemId {
                off: upper as u16,
                flags: ItemIdFlags::Normal,
                len: item.len() as u16,
            },
        );
        Ok(Some(off))
    }

    /// The line pointer at `off`.
    pub fn item_id(&self, off: OffsetNumber) -> Option<ItemId> {
        self.as_page().item_id(off)
    }

    /// The item at `off` (see [`Page::get_item`]).
    pub fn get_item(&self, off: OffsetNumber) -> PgResult<&[u8]> {
        let range = self.as_page().item_range(off)?;
        Ok(&self.bytes[range])
    }

    /// The item at `off`, writable in place (hint bits, xmax, ctid).
    pub fn get_item_mut(&mut self, off: OffsetNumber) -> PgResult<&mut [u8]> {
        let range = self.as_page().item_range(off)?;
        Ok(&mut self.bytes[range])
    }

    /// Marks a line pointer DEAD: no storage, its offset number stays reserved
    /// until index entries pointing at it are gone (`ItemIdSetDead`). The item's
    /// space is reclaimed by [`PageMut::repair_fragmentation`].
    pub fn set_dead(&mut self, off: OffsetNumber) -> PgResult<()> {
        self.existing_item_id(off)?;
        self.set_item_id_raw(
            off,
            ItemId {
                off: 0,
                flags: ItemIdFlags::Dead,
                len: 0,
            },
        );
        Ok(())
    }

    /// Marks an index entry's line pointer DEAD, keeping its item
    /// (`ItemIdMarkDead`): a hint that no snapshot can see the row it
    /// points at, so scans skip it and a full page may drop it.
    pub fn mark_dead_keep_storage(&mut self, off: OffsetNumber) -> PgResult<()> {
        let id = self.existing_item_id(off)?;
        self.set_item_id_raw(
            off,
            ItemId {
                flags: ItemIdFlags::Dead,
                ..id
            },
        );
        Ok(())
    }

    /// Marks a line pointer UNUSED, free for reuse (`ItemIdSetUnused`), and sets
    /// [`PD_HAS_FREE_LINES`].
    pub fn set_unused(&mut self, off: OffsetNumber) -> PgResult<()> {
        self.existing_item_id(off)?;
        self.set_item_id_raw(off, ItemId::UNUSED);
        self.set_has_free_lines(true);
        Ok(())
    }

    /// Makes `off` a REDIRECT to `target` (`ItemIdSetRedirect`): the root of a HOT
    /// chain whose first tuple was pruned.
    pub fn set_redirect(&mut self, off: OffsetNumber, target: OffsetNumber) -> PgResult<()> {
        self.existing_item_id(off)?;
        self.existing_item_id(target)?;
        self.set_item_id_raw(
            off,
            ItemId {
                off: target,
                flags: ItemIdFlags::Redirect,
                len: 0,
            },
        );
        Ok(())
    }

    /// Moves every item with storage together at the end of the page, keeping
    /// each one's offset number (`PageRepairFragmentation`): the space of DEAD and
    /// UNUSED line pointers becomes free. Sets or clears [`PD_HAS_FREE_LINES`].
    /// Checks every pointer first: a corrupted page is `XX001`, never clobbered.
    pub fn repair_fragmentation(&mut self) -> PgResult<()> {
        let page = self.as_page();
        page.check_pointers()?;
        let (upper, special, lower) = (page.upper(), page.special(), page.lower());
        let nline = page.max_offset_number();
        let mut live: Vec<(OffsetNumber, ItemId)> = Vec::new();
        let mut unused = Vec::new();
        let mut total = 0usize;
        for o in FIRST_OFFSET_NUMBER..=nline {
            let Some(id) = page.item_id(o) else { break };
            if id.is_used() {
                if id.has_storage() {
                    let start = id.off as usize;
                    if start < upper || start >= special || start != maxalign(start) {
                        return Err(corrupted(format!("corrupted line pointer: {start}")));
                    }
                    if start + id.len as usize > special {
                        return Err(corrupted(format!(
                            "corrupted line pointer: offset = {start}, size = {}",
                            id.len
                        )));
                    }
                    total += maxalign(id.len as usize);
                    live.push((o, id));
                }
            } else {
                unused.push(o);
            }
        }
        if total > special - lower {
            return Err(corrupted(format!(
                "corrupted item lengths: total {total}, available space {}",
                special - lower
            )));
        }
        // Copy the live items into a scratch image in decreasing offset order,
        // packing them against the special space.
        let mut scratch = [0u8; BLCKSZ];
        let mut new_upper = special;
        live.sort_by_key(|(_, id)| std::cmp::Reverse(id.off));
        for (o, id) in &live {
            let (start, len) = (id.off as usize, id.len as usize);
            new_upper -= maxalign(len);
            scratch[new_upper..new_upper + len].copy_from_slice(&self.bytes[start..start + len]);
            self.set_item_id_raw(
                *o,
                ItemId {
                    off: new_upper as u16,
                    ..*id
                },
            );
        }
        for o in &unused {
            self.set_item_id_raw(*o, ItemId::UNUSED);
        }
        self.bytes[lower..new_upper].fill(0);
        self.bytes[new_upper..special].copy_from_slice(&scratch[new_upper..special]);
        self.set_upper(new_upper);
        self.set_has_free_lines(!unused.is_empty());
        Ok(())
    }

    /// Drops UNUSED line pointers at the end of the array, returning their space
    /// (`PageTruncateLinePointerArray`, run by VACUUM's second heap pass). At least
    /// one line pointer stays, as in PostgreSQL.
    pub fn truncate_line_pointer_array(&mut self) {
        let page = self.as_page();
        let mut n = page.max_offset_number();
        while n > 1 && page.item_id(n).is_some_and(|id| !id.is_used()) {
            n -= 1;
        }
        let has_unused =
            (FIRST_OFFSET_NUMBER..=n).any(|o| page.item_id(o).is_some_and(|id| !id.is_used()));
        let new_lower = HEADER_SIZE + n as usize * ITEM_ID_SIZE;
        let old_lower = page.lower();
        if new_lower < old_lower {
            self.bytes[new_lower..old_lower].fill(0);
            self.set_lower(new_lower);
        }
        self.set_has_free_lines(has_unused);
    }

    /// The special space, writable.
    pub fn special_space_mut(&mut self) -> &mut [u8] {
        let s = self.as_page().special().min(BLCKSZ);
        &mut self.bytes[s..]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn new_page() -> Box<[u8; BLCKSZ]> {
        let mut b = Box::new([0u8; BLCKSZ]);
        PageMut::new(&mut b).init(0);
        b
    }

    fn item(n: u16, len: usize) -> Vec<u8> {
        (0..len).map(|i| (n as usize * 31 + i) as u8).collect()
    }

    #[test]
    fn layout_constants() {
        assert_eq!(MAX_ITEM_SIZE, 8160);
        assert_eq!(MAX_HEAP_TUPLES_PER_PAGE, 226);
        assert_eq!(maxalign(0), 0);
        assert_eq!(maxalign(1), 8);
        assert_eq!(maxalign(31), 32);
        let id = ItemId {
            off: 8152,
            flags: ItemIdFlags::Dead,
            len: 0x7FFF,
        };
        assert_eq!(ItemId::decode(id.encode()), id);
        // PostgreSQL's bitfield order on little-endian machines
        let id = ItemId {
            off: 1,
            flags: ItemIdFlags::Normal,
            len: 1,
        };
        assert_eq!(id.encode(), 1 | 1 << 15 | 1 << 17);
    }

    #[test]
    fn init_gives_an_empty_page() {
        let b = new_page();
        let p = Page::new(&b);
        assert_eq!(
            (p.lower(), p.upper(), p.special()),
            (HEADER_SIZE, BLCKSZ, BLCKSZ)
        );
        assert_eq!(p.page_size(), BLCKSZ);
        assert_eq!(p.layout_version(), PAGE_LAYOUT_VERSION);
        assert_eq!(p.max_offset_number(), 0);
        assert_eq!(p.free_space(), BLCKSZ - HEADER_SIZE - ITEM_ID_SIZE);
        assert!(!p.is_new());
        assert!(p.special_space().is_empty());

        let mut b = Box::new([0u8; BLCKSZ]);
        let mut pm = PageMut::new(&mut b);
        pm.init(10);
        assert_eq!(pm.as_page().special(), BLCKSZ - 16);
        assert_eq!(pm.special_space_mut().len(), 16);
    }

    #[test]
    fn fill_delete_compact() {
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        let mut n = 0u16;
        // 100-byte items take 104 bytes + 4 for the line pointer
        while let Some(off) = p
            .add_item(&item(n + 1, 100), None, AddItemFlags::HEAP)
            .unwrap()
        {
            n += 1;
            assert_eq!(off, n);
        }
        assert_eq!(n as usize, (BLCKSZ - HEADER_SIZE) / (104 + 4));
        let free_before = p.as_page().exact_free_space();
        assert!(free_before < 108);
        for o in 1..=n {
            assert_eq!(p.get_item(o).unwrap(), item(o, 100).as_slice());
        }
        // delete every other item: DEAD keeps the offset, UNUSED frees it
        for o in (1..=n).step_by(2) {
            if o % 4 == 1 {
                p.set_dead(o).unwrap()
            } else {
                p.set_unused(o).unwrap()
            }
        }
        assert!(p.get_item(1).is_err());
        p.repair_fragmentation().unwrap();
        let pg = p.as_page();
        let live = n / 2;
        assert_eq!(
            pg.exact_free_space(),
            free_before + (n - live) as usize * 104
        );
        assert!(pg.has_free_lines());
        for o in (2..=n).step_by(2) {
            assert_eq!(
                pg.get_item(o).unwrap(),
                item(o, 100).as_slice(),
                "offset {o} kept its item"
            );
        }
        assert!(pg.item_id(1).unwrap().is_dead());
        assert!(!pg.item_id(3).unwrap().is_used());
        // a new item reuses the first UNUSED slot
        assert_eq!(
            p.add_item(&item(99, 10), None, AddItemFlags::HEAP).unwrap(),
            Some(3)
        );
        assert_eq!(p.get_item(3).unwrap(), item(99, 10).as_slice());
        // compacting an already compact page changes nothing
        let before = *p.bytes_mut();
        p.repair_fragmentation().unwrap();
        assert_eq!(&before[..], &p.bytes_mut()[..]);
    }

    #[test]
    fn compaction_of_an_emptied_page() {
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        for i in 1..=5 {
            p.add_item(&item(i, 50 + i as usize), None, AddItemFlags::HEAP)
                .unwrap();
        }
        for i in 1..=5 {
            p.set_unused(i).unwrap();
        }
        p.repair_fragmentation().unwrap();
        assert_eq!(p.as_page().upper(), BLCKSZ);
        p.truncate_line_pointer_array();
        let pg = p.as_page();
        assert_eq!(pg.max_offset_number(), 1);
        assert!(pg.has_free_lines());
        assert_eq!(p.add_item(b"x", None, AddItemFlags::HEAP).unwrap(), Some(1));
        assert_eq!(p.add_item(b"y", None, AddItemFlags::HEAP).unwrap(), Some(2));
        assert!(!p.as_page().has_free_lines());
    }

    #[test]
    fn redirect_and_explicit_offsets() {
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        for i in 1..=3 {
            p.add_item(&item(i, 24), None, AddItemFlags::HEAP).unwrap();
        }
        p.set_redirect(1, 3).unwrap();
        let id = p.item_id(1).unwrap();
        assert!(id.is_redirect() && !id.has_storage());
        assert_eq!(id.redirect_target(), 3);
        assert!(p.set_redirect(1, 9).is_err());
        p.repair_fragmentation().unwrap();
        assert_eq!(p.get_item(3).unwrap(), item(3, 24).as_slice());
        assert_eq!(p.item_id(1).unwrap().redirect_target(), 3);

        // redo places a tuple at a given offset: past the end, or over an UNUSED slot
        let redo = AddItemFlags {
            overwrite: true,
            is_heap: true,
        };
        assert_eq!(p.add_item(b"four", Some(4), redo).unwrap(), Some(4));
        assert!(p.add_item(b"six", Some(6), redo).is_err());
        assert!(
            p.add_item(b"two", Some(2), redo).is_err(),
            "will not overwrite a used ItemId"
        );
        p.set_unused(2).unwrap();
        assert_eq!(p.add_item(b"two", Some(2), redo).unwrap(), Some(2));
        assert_eq!(p.get_item(2).unwrap(), b"two");

        // index pages shift line pointers to insert in the middle
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        p.add_item(b"a", None, AddItemFlags::default()).unwrap();
        p.add_item(b"c", None, AddItemFlags::default()).unwrap();
        p.add_item(b"b", Some(2), AddItemFlags::default()).unwrap();
        let got: Vec<&[u8]> = (1..=3).map(|o| p.get_item(o).unwrap()).collect();
        assert_eq!(got, vec![b"a" as &[u8], b"b", b"c"]);
    }

    #[test]
    fn boundaries() {
        // the largest item fits exactly once
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        let big = vec![7u8; MAX_ITEM_SIZE];
        assert_eq!(p.add_item(&big, None, AddItemFlags::HEAP).unwrap(), Some(1));
        assert_eq!(p.as_page().free_space(), 0);
        assert_eq!(p.add_item(b"z", None, AddItemFlags::HEAP).unwrap(), None);
        assert!(
            p.add_item(&vec![0u8; MAX_ITEM_SIZE + 1], None, AddItemFlags::HEAP)
                .is_err()
        );
        assert!(p.add_item(b"", None, AddItemFlags::HEAP).is_err());

        // special space reduces room
        let mut b = Box::new([0u8; BLCKSZ]);
        let mut p = PageMut::new(&mut b);
        p.init(16);
        assert_eq!(p.add_item(&big, None, AddItemFlags::HEAP).unwrap(), None);
        assert_eq!(
            p.add_item(&big[..MAX_ITEM_SIZE - 16], None, AddItemFlags::HEAP)
                .unwrap(),
            Some(1)
        );

        // a heap page takes at most MAX_HEAP_TUPLES_PER_PAGE line pointers
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        for _ in 0..MAX_HEAP_TUPLES_PER_PAGE {
            assert!(
                p.add_item(&[1u8; 8], None, AddItemFlags::HEAP)
                    .unwrap()
                    .is_some()
            );
        }
        assert!(p.as_page().free_space() > 0);
        assert_eq!(p.as_page().heap_free_space(), 0);
        assert!(p.add_item(&[1u8; 8], None, AddItemFlags::HEAP).is_err());
        p.set_unused(7).unwrap();
        assert!(p.as_page().heap_free_space() > 0);
        assert_eq!(
            p.add_item(&[2u8; 8], None, AddItemFlags::HEAP).unwrap(),
            Some(7)
        );
        // alignment: every item starts MAXALIGNed
        for o in 1..=p.as_page().max_offset_number() {
            assert_eq!(p.item_id(o).unwrap().off as usize % MAXALIGN, 0);
        }
    }

    #[test]
    fn checksum_detects_corruption() {
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        p.add_item(b"hello world", None, AddItemFlags::HEAP)
            .unwrap();
        p.set_lsn(0x1_0000_0028);
        assert_eq!(p.as_page().lsn(), 0x1_0000_0028);
        assert_eq!(
            &b[..8],
            &[1, 0, 0, 0, 0x28, 0, 0, 0],
            "PageXLogRecPtr: xlogid, then xrecoff"
        );
        let mut p = PageMut::new(&mut b);
        p.set_checksum(3);
        let c = p.as_page().checksum();
        assert_ne!(c, 0);
        p.as_page().verify(3, "base/5/16384").unwrap();

        // the same bytes as another block fail: the block number is mixed in
        let e = p.as_page().verify(4, "base/5/16384").unwrap_err();
        assert_eq!(e.code, SqlState::DataCorrupted);
        assert_eq!(
            e.message,
            "invalid page in block 4 of relation base/5/16384"
        );
        assert!(
            e.detail
                .unwrap()
                .starts_with("page verification failed, calculated checksum")
        );

        // every single-bit flip anywhere is caught
        for byte in [0usize, 9, 12, 100, 4000, BLCKSZ - 1] {
            for bit in 0..8 {
                let mut copy = *b;
                copy[byte] ^= 1 << bit;
                let e = Page::new(&copy).verify(3, "base/5/16384").unwrap_err();
                assert_eq!(
                    e.message, "invalid page in block 3 of relation base/5/16384",
                    "byte {byte} bit {bit}"
                );
            }
        }
        // the checksum itself may change without changing the computation
        let mut copy = *b;
        copy[8] ^= 1;
        assert_eq!(checksum(&copy, 3), c);
    }

    #[test]
    fn new_and_insane_pages() {
        let zero = [0u8; BLCKSZ];
        assert!(Page::new(&zero).is_new());
        Page::new(&zero).verify(0, "base/5/16384").unwrap();

        // upper = 0 with garbage elsewhere is not a valid new page
        let mut garbage = [0u8; BLCKSZ];
        garbage[5000] = 1;
        let e = Page::new(&garbage).verify(7, "global/1262").unwrap_err();
        assert_eq!(e.message, "invalid page in block 7 of relation global/1262");
        assert!(e.detail.is_none());

        // a header with lower > upper fails even with a matching checksum
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        p.set_lower(BLCKSZ);
        p.set_upper(100);
        p.set_checksum(0);
        assert!(!p.as_page().header_is_sane());
        assert!(p.as_page().verify(0, "base/5/1").is_err());
        let e = p.add_item(b"x", None, AddItemFlags::HEAP).unwrap_err();
        assert_eq!(e.code, SqlState::DataCorrupted);
        assert_eq!(
            e.message,
            "corrupted page pointers: lower = 8192, upper = 100, special = 8192"
        );
        assert!(p.repair_fragmentation().is_err());

        // unknown flag bits and a special pointer beyond the page are insane too
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        p.set_flags(0x80);
        assert!(!p.as_page().header_is_sane());
        let mut b = new_page();
        b[16..18].copy_from_slice(&9000u16.to_le_bytes());
        assert!(!Page::new(&b).header_is_sane());
    }

    #[test]
    fn corrupted_line_pointers_are_reported_not_followed() {
        let mut b = new_page();
        let mut p = PageMut::new(&mut b);
        p.add_item(&[1u8; 40], None, AddItemFlags::HEAP).unwrap();
        p.add_item(&[2u8; 40], None, AddItemFlags::HEAP).unwrap();
        // point item 2 past the end of the page
        p.set_item_id_raw(
            2,
            ItemId {
                off: 8176,
                flags: ItemIdFlags::Normal,
                len: 100,
            },
        );
        let e = p.get_item(2).unwrap_err();
        assert_eq!(e.code, SqlState::DataCorrupted);
        assert_eq!(
            e.message,
            "corrupted line pointer: offset = 8176, size = 100"
        );
        assert!(p.repair_fragmentation().is_err());
        // point item 1 into the line-pointer array
        p.set_item_id_raw(
            1,
            ItemId {
                off: 8,
                flags: ItemIdFlags::Normal,
                len: 4,
            },
        );
        let e = p.repair_fragmentation().unwrap_err();
        assert_eq!(e.message, "corrupted line pointer: 8");
        assert!(p.get_item(0).is_err());
        assert!(p.get_item(3).is_err());
        assert!(p.as_page().item_id(3).is_none());
    }
}
