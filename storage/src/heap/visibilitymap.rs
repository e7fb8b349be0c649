//! The visibility map (PostgreSQL's `visibilitymap.c`): one bit per heap
//! page, in the relation's `_vm` fork, set when every tuple on the page is
//! visible to every snapshot. Index-only scans skip the heap for such pages.
//!
//! ```text
//!   VM page = page header, then a bitmap: heap block b is bit (b % 8) of
//!   byte (b / 8) of the bitmap on VM block b / HEAPBLOCKS_PER_PAGE
//! ```
//!
//! Rules:
//! 1. A bit set means all-visible: the heap page has `PD_ALL_VISIBLE` and
//!    each of its tuples is committed, not deleted, and older than every
//!    snapshot. The reverse may not hold (`PD_ALL_VISIBLE` with the bit
//!    clear is harmless, only slower).
//! 2. Only VACUUM sets a bit, holding the heap page's cleanup lock: first
//!    `PD_ALL_VISIBLE` on the heap page (logged), then the bit (logged). A
//!    crash between the two leaves rule 1's harmless case.
//! 3. Whoever changes a heap page that has `PD_ALL_VISIBLE` (insert, delete,
//!    update; not a row lock, which changes no visibility) clears the bit
//!    first (logged), under the heap page's exclusive lock, and then the
//!    flag with the change itself. Redo replays them in that order, so the
//!    bit is never set over a changed page.
//! 4. Locks: heap page, then VM page, never the reverse; a reader takes only
//!    the VM page's shared lock.
//! 5. We keep one bit per heap page (all-visible); PostgreSQL's second bit
//!    (all-frozen) has no use with 64-bit transaction ids.

use types::{PgError, PgResult};
use wal::record::PageOp;

use super::heapam::HeapEnv;
use crate::buffer::{BufferTag, ForkNumber, ReadMode};
use crate::page::{HEADER_SIZE, Page, PageMut, maxalign};
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};

const MAP_START: usize = maxalign(HEADER_SIZE);
/// Heap blocks one VM page covers.
pub const HEAPBLOCKS_PER_PAGE: u32 = ((BLCKSZ - MAP_START) * 8) as u32;

fn locate(heap_block: BlockNumber) -> (BlockNumber, usize, u8) {
    let vm_block = heap_block / HEAPBLOCKS_PER_PAGE;
    let bit = heap_block % HEAPBLOCKS_PER_PAGE;
    (vm_block, MAP_START + (bit / 8) as usize, 1 << (bit % 8))
}

fn tag(rel: RelFileLocator, block: BlockNumber) -> BufferTag {
    BufferTag::new(rel, ForkNumber::VisibilityMap, block)
}

/// The VM fork's size in blocks (0 if it does not exist yet).
fn vm_nblocks(env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<BlockNumber> {
    let mut smgr = env.store.smgr();
    if !smgr.exists(rel, ForkNumber::VisibilityMap)? {
        return Ok(0);
    }
    smgr.nblocks(rel, ForkNumber::VisibilityMap)
}

/// Whether heap block `heap_block` is marked all-visible.
pub fn is_all_visible(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    heap_block: BlockNumber,
) -> PgResult<bool> {
    let (vm_block, byte, mask) = locate(heap_block);
    let buf = match env
        .bufmgr
        .read_buffer(tag(rel, vm_block), ReadMode::Normal, None)
    {
        Ok(b) => b,
        // No such VM page (or no VM at all): nothing is marked.
        Err(_) if vm_block >= vm_nblocks(env, rel)? => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let page = buf.lock_shared();
    Ok(!Page::new(&page).is_new() && page[byte] & mask != 0)
}

/// Sets heap block `heap_block`'s bit (rule 2; the caller holds the heap
/// page's cleanup lock and has set and logged `PD_ALL_VISIBLE`). The fork
/// is created and extended with empty VM pages as needed.
pub fn set_all_visible(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    heap_block: BlockNumber,
) -> PgResult<()> {
    let (vm_block, byte, mask) = locate(heap_block);
    if vm_block >= vm_nblocks(env, rel)? {
        env.extension_lock.lock(rel)?;
        let extended = (|| {
            let mut smgr = env.store.smgr();
            if !smgr.exists(rel, ForkNumber::VisibilityMap)? {
                smgr.create(rel, ForkNumber::VisibilityMap, false)?;
            }
            let mut n = smgr.nblocks(rel, ForkNumber::VisibilityMap)?;
            while n <= vm_block {
                smgr.extend(rel, ForkNumber::VisibilityMap, n, &[0u8; BLCKSZ], false)?;
                n += 1;
            }
            Ok::<_, PgError>(())
        })();
        env.extension_lock.unlock(rel);
        extended?;
    }
    let buf = env
        .bufmgr
        .read_buffer(tag(rel, vm_block), ReadMode::Normal, None)?;
    let mut page = buf.lock_exclusive();
    if !Page::new(&page).is_new() && page[byte] & mask != 0 {
        return Ok(());
    }
    let before = page.before_image();
    if Page::new(&page).is_new() {
        PageMut::new(&mut page).init(0);
    }
    page[byte] |= mask;
    page.log_change(&before, PageOp::VmSet, 0)
}

/// Clears heap block `heap_block`'s bit if it is set (rule 3; the caller
/// holds the heap page's exclusive lock).
pub fn clear(env: &HeapEnv<'_, '_>, rel: RelFileLocator, heap_block: BlockNumber) -> PgResult<()> {
    let (vm_block, byte, mask) = locate(heap_block);
    let buf = match env
        .bufmgr
        .read_buffer(tag(rel, vm_block), ReadMode::Normal, None)
    {
        Ok(b) => b,
        Err(_) if vm_block >= vm_nblocks(env, rel)? => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut page = buf.lock_exclusive();
    if Page::new(&page).is_new() || page[byte] & mask == 0 {
        return Ok(());
    }
    let before = page.before_image();
    page[byte] &= !mask;
    page.log_change(&before, PageOp::VmClear, 0)
}

/// Rule 3 for a heap page the caller holds exclusively and is about to
/// change (and log): if it is marked all-visible, clears the VM bit, then
/// the page's flag (which the caller's record logs with its change).
pub fn clear_for_change(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    heap_block: BlockNumber,
    page: &mut [u8; BLCKSZ],
) -> PgResult<()> {
    if !Page::new(page).is_all_visible() {
        return Ok(());
    }
    clear(env, rel, heap_block)?;
    PageMut::new(page).set_all_visible(false);
    Ok(())
}
