//! The free-space map (PostgreSQL's `storage/freespace`, flattened): one byte
//! per heap page in the relation's `_fsm` fork, the page's free space in
//! units of 32 bytes, so that an insert that does not fit the last page can
//! find room freed by VACUUM in an earlier one instead of extending.
//!
//! ```text
//!   _fsm block k (a normal page; its special space holds the map):
//!   [header 28 B][ entries for heap blocks k*N .. k*N+N-1, one byte each ]
//!   N = FSM_ENTRIES_PER_PAGE (8160); entry = free bytes / 32
//! ```
//!
//! Rules:
//! 1. The map is a hint: it may say too much or too little. An insert that
//!    picks a page checks the real free space under the page's lock and, if
//!    the map was wrong, corrects the entry and looks on. So the map is never
//!    WAL-logged or fsynced at commit, and a lost or stale map loses no data.
//! 2. VACUUM records every page's free space after pruning it; inserts
//!    record what is left on a page they found full, and on a new page.
//! 3. Entries past the heap's end (after a truncation) are ignored.
//!
//! PostgreSQL keeps a tree of max values over the leaf bytes so a search is
//! logarithmic; ours scans the bytes linearly (8,160 heap pages per map page).

use types::PgResult;

use crate::buffer::{BufferTag, ForkNumber, ReadMode};
use crate::heap::heapam::HeapEnv;
use crate::page::{HEADER_SIZE, Page, PageMut, maxalign};
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};

/// Heap pages described by one map page.
pub const FSM_ENTRIES_PER_PAGE: usize = BLCKSZ - maxalign(HEADER_SIZE);

/// Bytes per unit of an entry.
const FSM_UNIT: usize = 32;

fn map_tag(rel: RelFileLocator, block: BlockNumber) -> BufferTag {
    BufferTag::new(rel, ForkNumber::Fsm, block)
}

fn map_blocks(env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<BlockNumber> {
    let mut smgr = env.store.smgr();
    if !smgr.exists(rel, ForkNumber::Fsm)? {
        return Ok(0);
    }
    smgr.nblocks(rel, ForkNumber::Fsm)
}

/// The map's size in blocks as one caller last learnt it: a bulk insert
/// that fills page after page asks the file system (an `open()` of the
/// fork, most often missing) once, not twice per new page. A size that
/// went stale meanwhile only loses hints (rule 1).
#[derive(Debug, Default)]
pub struct MapSize(Option<BlockNumber>);

impl MapSize {
    fn get(&mut self, env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<BlockNumber> {
        match self.0 {
            Some(n) => Ok(n),
            None => {
                let n = map_blocks(env, rel)?;
                self.0 = Some(n);
                Ok(n)
            }
        }
    }
}

/// Records that heap block `block` has `free` bytes free.
pub fn record(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    block: BlockNumber,
    free: usize,
) -> PgResult<()> {
    record_known(env, rel, block, free, &mut MapSize::default())
}

/// [`record`] with the map's size as the caller knows it.
pub fn record_known(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    block: BlockNumber,
    free: usize,
    size: &mut MapSize,
) -> PgResult<()> {
    let map_block = block / FSM_ENTRIES_PER_PAGE as BlockNumber;
    let slot = block as usize % FSM_ENTRIES_PER_PAGE;
    let value = (free / FSM_UNIT).min(255) as u8;
    if map_block >= size.get(env, rel)? {
        if value == 0 {
            return Ok(());
        }
        // Extend the map up to the block we need (under the relation
        // extension lock, like the heap itself).
        env.extension_lock.lock(rel)?;
        let extended = (|| {
            let mut smgr = env.store.smgr();
            if !smgr.exists(rel, ForkNumber::Fsm)? {
                smgr.create(rel, ForkNumber::Fsm, false)?;
            }
            let mut n = smgr.nblocks(rel, ForkNumber::Fsm)?;
            while n <= map_block {
                let mut page = Box::new([0u8; BLCKSZ]);
                let mut p = PageMut::new(&mut page);
                p.init(FSM_ENTRIES_PER_PAGE);
                p.set_checksum(n);
                smgr.extend(rel, ForkNumber::Fsm, n, &page, true)?;
                n += 1;
            }
            Ok::<(), types::PgError>(())
        })();
        env.extension_lock.unlock(rel);
        // Whatever happened, the file system knows the size now.
        size.0 = None;
        extended?;
    }
    let buf = env
        .bufmgr
        .read_buffer(map_tag(rel, map_block), ReadMode::Normal, None)?;
    let mut page = buf.lock_exclusive();
    let mut p = PageMut::new(&mut page);
    if p.as_page().is_new() {
        p.init(FSM_ENTRIES_PER_PAGE);
    }
    let entries = p.special_space_mut();
    if let Some(e) = entries.get_mut(slot)
        && *e != value
    {
        *e = value;
        // A hint, as in PostgreSQL: not logged, but protected against a
        // torn write by an image after each checkpoint.
        page.mark_dirty_hint()?;
    }
    Ok(())
}

/// A heap block (below `heap_blocks`, not `avoid`) the map says has at
/// least `needed` bytes free, searching from `start`.
pub fn search(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    needed: usize,
    heap_blocks: BlockNumber,
    avoid: &[BlockNumber],
) -> PgResult<Option<BlockNumber>> {
    search_known(
        env,
        rel,
        needed,
        heap_blocks,
        avoid,
        &mut MapSize::default(),
    )
}

/// [`search`] with the map's size as the caller knows it.
pub fn search_known(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    needed: usize,
    heap_blocks: BlockNumber,
    avoid: &[BlockNumber],
    size: &mut MapSize,
) -> PgResult<Option<BlockNumber>> {
    let want = needed.div_ceil(FSM_UNIT).min(255) as u8;
    let maps = size.get(env, rel)?;
    for map_block in 0..maps {
        let buf = env
            .bufmgr
            .read_buffer(map_tag(rel, map_block), ReadMode::Normal, None)?;
        let page = buf.lock_shared();
        let p = Page::new(&page);
        if p.is_new() {
            continue;
        }
        let base = map_block as usize * FSM_ENTRIES_PER_PAGE;
        let entries = p.special_space();
        // Entries past the heap's end are stale (a truncated heap).
        let live = (heap_blocks as usize)
            .saturating_sub(base)
            .min(entries.len());
        let mut from = 0;
        // A plain search for the first large-enough entry (which the
        // compiler vectorizes), then the few blocks to avoid.
        while let Some(i) = entries[from..live].iter().position(|&e| e >= want) {
            let block = (base + from + i) as BlockNumber;
            if !avoid.contains(&block) {
                return Ok(Some(block));
            }
            from += i + 1;
        }
        if live < entries.len() {
            return Ok(None);
        }
    }
    Ok(None)
}
