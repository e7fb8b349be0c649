//! Pruning heap pages and VACUUM's heap pass (PostgreSQL's `pruneheap.c` and
//! `vacuumlazy.c`, for tables without indexes).
//!
//! ```text
//!   for each tuple on the page: satisfies_vacuum(oldest_xmin)
//!     Dead          -> line pointer UNUSED (its space and slot are free again)
//!     anything else -> kept; learned hint bits are set
//!   then defragment (repair_fragmentation) and drop UNUSED pointers at the end
//! ```
//!
//! Rules:
//! 1. Pruning needs the cleanup lock (exclusive content lock, our pin the only
//!    one): a scan elsewhere may hold a pointer into the page only while it
//!    holds a pin, and our scans copy tuples out under the content lock, so no
//!    backend can be reading tuple bytes we move.
//! 2. A dead tuple's line pointer becomes UNUSED at once, because no index
//!    points at it (there are no indexes yet). With indexes, a HOT chain's root
//!    must become a REDIRECT and other dead roots DEAD until the index entries
//!    are gone, as PostgreSQL does; the B-tree issue adds that.
//! 3. An update chain whose old member's slot was reused is detected by the
//!    reader (`heapam::latest_version_tid` compares xmin with the previous
//!    xmax), so freeing a slot never corrupts a chain walk.
//! 4. `oldest_xmin` comes from `Transam::oldest_xmin`: no snapshot that could
//!    still see a removed tuple exists or can be taken.

use types::PgResult;
use wal::record::PageOp;

use super::tuple::{HEAP_XMAX_COMMITTED, HEAP_XMIN_COMMITTED, TupleHeader, TupleHeaderMut};
use crate::buffer::{BufferTag, BufferWriteGuard, ForkNumber, ReadMode};
use crate::heap::heapam::{HeapEnv, nblocks};
use crate::page::{FIRST_OFFSET_NUMBER, Page, PageMut};
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};
use crate::transam::TransactionId;
use crate::transam::visibility::{HtsvResult, satisfies_vacuum};

/// What pruning found on a page (or VACUUM in a relation).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PruneStats {
    /// Tuples removed.
    pub removed: u64,
    /// Tuples live (or being inserted/deleted by a running transaction).
    pub live: u64,
    /// Tuples deleted but still visible to some snapshot.
    pub recently_dead: u64,
    /// Pages that hold no tuple after pruning.
    pub empty_pages: u64,
}

impl PruneStats {
    pub fn add(&mut self, o: PruneStats) {
        self.removed += o.removed;
        self.live += o.live;
        self.recently_dead += o.recently_dead;
        self.empty_pages += o.empty_pages;
    }
}

/// What pruning did to a page, for the caller to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PruneChange {
    /// Nothing changed.
    None,
    /// Only hint bits were set (not logged, see `BufferWriteGuard::mark_dirty_hint`).
    HintsOnly,
    /// Line pointers were freed and/or the prune xid changed: logged as a
    /// `HeapPrune` record, which redo repeats with [`apply_prune`].
    Pruned { unused: Vec<u16>, prune_xid: TransactionId },
}

/// Prunes one page the caller holds the cleanup lock on. Returns what it
/// found and what changed (the caller logs it). `commit_hints` says whether
/// "committed" hint bits may be set (wal/README.md rule 11).
pub fn prune_page(
    env: &HeapEnv<'_, '_>,
    page: &mut [u8; BLCKSZ],
    oldest_xmin: TransactionId,
    commit_hints: bool,
) -> PgResult<(PruneStats, PruneChange)> {
    let mut stats = PruneStats::default();
    let mut p = PageMut::new(page);
    if p.as_page().is_new() {
        stats.empty_pages = 1;
        return Ok((stats, PruneChange::None));
    }
    let max = p.as_page().max_offset_number();
    // The oldest xmax of a tuple that is not removable yet but will be once
    // its deleter is older than every snapshot (recently dead) or has
    // committed (delete in progress): the page's next prune_xid.
    let mut oldest_prunable: TransactionId = 0;
    let mut note_prunable = |xmax: TransactionId| {
        if oldest_prunable == 0 || xmax < oldest_prunable {
            oldest_prunable = xmax;
        }
    };
    let allowed = if commit_hints { u16::MAX } else { !(HEAP_XMIN_COMMITTED | HEAP_XMAX_COMMITTED) };
    let mut hinted = false;
    let mut unused = Vec::new();
    for off in FIRST_OFFSET_NUMBER..=max {
        let Some(id) = p.as_page().item_id(off) else { continue };
        if !id.is_normal() {
            continue;
        }
        let (verdict, hints, xmax) = {
            let h = TupleHeader::parse(p.as_page().get_item(off)?)?;
            let (v, hints) = satisfies_vacuum(&h, oldest_xmin, env.tx)?;
            (v, hints & allowed, h.xmax())
        };
        match verdict {
            HtsvResult::Dead => {
                unused.push(off);
                stats.removed += 1;
                continue;
            }
            HtsvResult::RecentlyDead => {
                stats.recently_dead += 1;
                note_prunable(xmax);
            }
            HtsvResult::DeleteInProgress => {
                stats.live += 1;
                note_prunable(xmax);
            }
            HtsvResult::Live | HtsvResult::InsertInProgress => stats.live += 1,
        }
        if hints != 0 {
            TupleHeaderMut::parse(p.get_item_mut(off)?)?.add_infomask(hints);
            hinted = true;
        }
    }
    if stats.live + stats.recently_dead == 0 {
        stats.empty_pages = 1;
    }
    // Remember the oldest deleter that may become prunable later. (This was
    // the newest recently-dead xmax, ignoring running deleters: pruning a
    // page while a delete on it was in progress reset the hint to 0, and
    // the page was never pruned opportunistically after that commit.)
    if unused.is_empty() && p.as_page().prune_xid() == oldest_prunable {
        return Ok((stats, if hinted { PruneChange::HintsOnly } else { PruneChange::None }));
    }
    apply_prune(page, &unused, oldest_prunable)?;
    Ok((stats, PruneChange::Pruned { unused, prune_xid: oldest_prunable }))
}

/// The page change of pruning, on the primary and in redo alike: the line
/// pointers `unused` become unused, the page is defragmented and its
/// trailing unused pointers dropped (if any was freed), and its prune xid
/// set. The same input layout gives the same output layout, which later
/// records' byte ranges rely on.
pub fn apply_prune(page: &mut [u8; BLCKSZ], unused: &[u16], prune_xid: TransactionId) -> PgResult<()> {
    let mut p = PageMut::new(page);
    for &off in unused {
        p.set_unused(off)?;
    }
    if !unused.is_empty() {
        p.repair_fragmentation()?;
        p.truncate_line_pointer_array();
    }
    p.set_prune_xid(prune_xid);
    Ok(())
}

/// Prunes the page at `block` if its cleanup lock is free and it looks worth
/// it (`heap_page_prune_opt`): something on it was deleted by a transaction
/// older than every snapshot, and it is short of space.
pub fn prune_opportunistically(env: &HeapEnv<'_, '_>, rel: RelFileLocator, block: BlockNumber, oldest_xmin: TransactionId) -> PgResult<()> {
    let buf = env.bufmgr.read_buffer(BufferTag::new(rel, ForkNumber::Main, block), ReadMode::Normal, None)?;
    prune_buffer_opportunistically(env, &buf, oldest_xmin)
}

/// [`prune_opportunistically`] for a page the caller has pinned (once: the
/// cleanup lock needs ours to be the only pin).
pub fn prune_buffer_opportunistically(env: &HeapEnv<'_, '_>, buf: &crate::buffer::PinnedBuffer<'_>, oldest_xmin: TransactionId) -> PgResult<()> {
    {
        let page = buf.lock_shared();
        let p = Page::new(&page);
        let xid = p.prune_xid();
        if xid == 0 || xid >= oldest_xmin || p.heap_free_space() >= BLCKSZ / 10 {
            return Ok(());
        }
    }
    let Some(mut page) = buf.try_lock_for_cleanup() else { return Ok(()) };
    let before = page.before_image();
    let commit_hints = page.commit_hints_allowed();
    let (_, change) = prune_page(env, &mut page, oldest_xmin, commit_hints)?;
    log_prune(&mut page, &before, PageOp::Prune, change)
}

/// Logs what [`prune_page`] did to the page the guard holds.
fn log_prune(page: &mut BufferWriteGuard<'_>, before: &[u8; BLCKSZ], op: PageOp, change: PruneChange) -> PgResult<()> {
    match change {
        PruneChange::None => Ok(()),
        PruneChange::HintsOnly => page.mark_dirty_hint(),
        PruneChange::Pruned { unused, prune_xid } => page.log_prune(before, op, unused, prune_xid),
    }
}

/// VACUUM's heap pass over a relation: prunes every page (waiting for each
/// cleanup lock) and returns the totals and the number of blocks scanned.
pub fn vacuum_relation(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    oldest_xmin: TransactionId,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
) -> PgResult<(PruneStats, BlockNumber)> {
    let n = nblocks(env, rel)?;
    let mut total = PruneStats::default();
    for block in 0..n {
        check_interrupts()?;
        let free = {
            let buf = env.bufmgr.read_buffer(BufferTag::new(rel, ForkNumber::Main, block), ReadMode::Normal, None)?;
            let mut page = buf.lock_for_cleanup()?;
            let before = page.before_image();
            let commit_hints = page.commit_hints_allowed();
            let (stats, change) = prune_page(env, &mut page, oldest_xmin, commit_hints)?;
            log_prune(&mut page, &before, PageOp::Vacuum, change)?;
            total.add(stats);
            let p = Page::new(&page);
            if p.is_new() { 0 } else { p.heap_free_space() }
        };
        // Rule 2 of the free-space map, after the heap page's lock is gone.
        super::freespace::record(env, rel, block, free)?;
    }
    Ok((total, n))
}

/// How many blocks at the end of the relation hold no tuple (what VACUUM may
/// truncate away under an AccessExclusiveLock).
pub fn count_empty_tail(env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<BlockNumber> {
    let n = nblocks(env, rel)?;
    let mut empty = 0;
    for block in (0..n).rev() {
        let buf = env.bufmgr.read_buffer(BufferTag::new(rel, ForkNumber::Main, block), ReadMode::Normal, None)?;
        let page = buf.lock_shared();
        let p = Page::new(&page);
        let has_tuples = !p.is_new()
            && (FIRST_OFFSET_NUMBER..=p.max_offset_number()).any(|o| p.item_id(o).is_some_and(|i| i.is_used()));
        if has_tuples {
            break;
        }
        empty += 1;
    }
    Ok(empty)
}

/// VACUUM FULL's copy (PostgreSQL's `cluster.c` heap rewrite, without update
/// chains): every tuple of `from` that some snapshot may still see is copied
/// into the empty relation `to` with its header intact (xmin, xmax, command
/// ids, hint bits), except that each copy's ctid points at itself and the
/// HOT flags are cleared: the new file has no update chains. The caller holds
/// AccessExclusiveLock, so no transaction is changing `from`, and no reader
/// can follow a chain into it. Returns (tuples copied, tuples removed).
pub fn rewrite_relation(
    env: &HeapEnv<'_, '_>,
    from: RelFileLocator,
    to: RelFileLocator,
    oldest_xmin: TransactionId,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
) -> PgResult<(u64, u64)> {
    let n = nblocks(env, from)?;
    let (mut copied, mut removed) = (0u64, 0u64);
    let mut pending: Vec<Vec<u8>> = Vec::new();
    for block in 0..n {
        check_interrupts()?;
        {
            let buf = env.bufmgr.read_buffer(BufferTag::new(from, ForkNumber::Main, block), ReadMode::Normal, None)?;
            let page = buf.lock_shared();
            let p = Page::new(&page);
            if p.is_new() {
                continue;
            }
            for off in FIRST_OFFSET_NUMBER..=p.max_offset_number() {
                let Some(id) = p.item_id(off) else { continue };
                if !id.is_normal() {
                    continue;
                }
                let bytes = p.get_item(off)?;
                let (verdict, hints) = satisfies_vacuum(&TupleHeader::parse(bytes)?, oldest_xmin, env.tx)?;
                if verdict == HtsvResult::Dead {
                    removed += 1;
                    continue;
                }
                let mut copy = bytes.to_vec();
                let mut h = TupleHeaderMut::parse(&mut copy)?;
                h.add_infomask(hints);
                let f2 = h.as_ref().infomask2() & !(super::tuple::HEAP_HOT_UPDATED | super::tuple::HEAP_ONLY_TUPLE);
                h.set_infomask2_flags(f2);
                pending.push(copy);
            }
        }
        for tuple in pending.drain(..) {
            super::heapam::insert_copy(env, to, tuple)?;
            copied += 1;
        }
    }
    Ok((copied, removed))
}
