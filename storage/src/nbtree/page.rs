//! B-tree pages: the special space every page carries and the metapage.
//!
//! ```text
//!   special space (16 bytes, PostgreSQL's BTPageOpaqueData):
//!     prev u32 | next u32 | level u32 | flags u16 | cycle id u16
//!   a non-rightmost page:  item 1 = high key, items 2.. = entries
//!   the rightmost page:    items 1.. = entries (no high key)
//!   an internal page's first entry is the minus-infinity downlink
//!   a deleted page: no items; pd_prune_xid holds its safexid
//!   metapage (block 0), after the page header:
//!     magic u32 | version u32 | root u32 | level u32 | fast root u32 | fast level u32
//! ```

use types::{PgError, PgResult, SqlState};

use crate::page::{FIRST_OFFSET_NUMBER, HEADER_SIZE, OffsetNumber, Page, PageMut};
use crate::smgr::{BLCKSZ, BlockNumber};

pub const SPECIAL_SIZE: usize = 16;
/// No page (PostgreSQL's `P_NONE`): the end of a sibling chain.
pub const P_NONE: BlockNumber = 0;
pub const META_BLOCK: BlockNumber = 0;

pub const BTP_LEAF: u16 = 1 << 0;
pub const BTP_ROOT: u16 = 1 << 1;
pub const BTP_DELETED: u16 = 1 << 2;
pub const BTP_META: u16 = 1 << 3;

pub const BTREE_MAGIC: u32 = 0x053162;
pub const BTREE_VERSION: u32 = 4;
const META_LEN: usize = 24;

/// The first entry's offset: after the high key unless the page is rightmost.
pub fn first_key(o: &Opaque) -> OffsetNumber {
    if o.next == P_NONE {
        FIRST_OFFSET_NUMBER
    } else {
        FIRST_OFFSET_NUMBER + 1
    }
}

/// The special space of a B-tree page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Opaque {
    pub prev: BlockNumber,
    pub next: BlockNumber,
    pub level: u32,
    pub flags: u16,
}

impl Opaque {
    pub fn is_leaf(&self) -> bool {
        self.flags & BTP_LEAF != 0
    }
    pub fn is_root(&self) -> bool {
        self.flags & BTP_ROOT != 0
    }
    pub fn is_rightmost(&self) -> bool {
        self.next == P_NONE
    }
    /// Unlinked from its level by VACUUM (`pagedel`): no entries, its
    /// right-link leads to the page that took over its key range.
    pub fn is_deleted(&self) -> bool {
        self.flags & BTP_DELETED != 0
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads the special space; a page that is not a B-tree page is XX002.
pub fn opaque(page: &[u8; BLCKSZ]) -> PgResult<Opaque> {
    let p = Page::new(page);
    if p.is_new() || p.special() != BLCKSZ - SPECIAL_SIZE {
        return Err(PgError::new(
            SqlState::IndexCorrupted,
            "index contains unexpected zero page or a page that is not a btree page",
        ));
    }
    let s = p.special_space();
    Ok(Opaque {
        prev: u32_at(s, 0),
        next: u32_at(s, 4),
        level: u32_at(s, 8),
        flags: u16::from_le_bytes([s[12], s[13]]),
    })
}

pub fn set_opaque(page: &mut [u8; BLCKSZ], o: &Opaque) {
    let mut p = PageMut::new(page);
    let s = p.special_space_mut();
    s[0..4].copy_from_slice(&o.prev.to_le_bytes());
    s[4..8].copy_from_slice(&o.next.to_le_bytes());
    s[8..12].copy_from_slice(&o.level.to_le_bytes());
    s[12..14].copy_from_slice(&o.flags.to_le_bytes());
    s[14..16].fill(0);
}

/// Formats an empty B-tree page.
pub fn init_page(page: &mut [u8; BLCKSZ], o: &Opaque) {
    PageMut::new(page).init(SPECIAL_SIZE);
    set_opaque(page, o);
}

/// The metapage's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub root: BlockNumber,
    pub level: u32,
}

pub fn init_meta(page: &mut [u8; BLCKSZ], meta: &Meta) {
    init_page(
        page,
        &Opaque {
            flags: BTP_META,
            ..Default::default()
        },
    );
    write_meta(page, meta);
}

pub fn write_meta(page: &mut [u8; BLCKSZ], meta: &Meta) {
    let at = HEADER_SIZE;
    let fields = [
        BTREE_MAGIC,
        BTREE_VERSION,
        meta.root,
        meta.level,
        meta.root,
        meta.level,
    ];
    for (i, v) in fields.iter().enumerate() {
        page[at + 4 * i..at + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }
    // pd_lower past the metadata, as PostgreSQL does, so that a compressed
    // full-page image keeps it.
    page[12..14].copy_from_slice(&((HEADER_SIZE + META_LEN) as u16).to_le_bytes());
}

pub fn read_meta(page: &[u8; BLCKSZ]) -> PgResult<Meta> {
    let o = opaque(page)?;
    let at = HEADER_SIZE;
    if o.flags & BTP_META == 0 || u32_at(page, at) != BTREE_MAGIC {
        return Err(PgError::new(
            SqlState::IndexCorrupted,
            "index is not a btree (bad metapage)",
        ));
    }
    let version = u32_at(page, at + 4);
    if version != BTREE_VERSION {
        return Err(PgError::new(
            SqlState::IndexCorrupted,
            format!(
                "version mismatch in index: file version {version}, current version {BTREE_VERSION}"
            ),
        ));
    }
    Ok(Meta {
        root: u32_at(page, at + 8),
        level: u32_at(page, at + 12),
    })
}

/// The item at `off` (its exact bytes).
pub fn item(page: &[u8; BLCKSZ], off: OffsetNumber) -> PgResult<&[u8]> {
    Page::new(page).get_item(off)
}

pub fn max_offset(page: &[u8; BLCKSZ]) -> OffsetNumber {
    Page::new(page).max_offset_number()
}
