//! Pruning heap pages and VACUUM's heap passes (PostgreSQL's `pruneheap.c`
//! and `vacuumlazy.c`).
//!
//! An index entry points at the ROOT line pointer of a HOT chain: the version
//! a non-HOT insert or update wrote, whose later versions on the same page
//! (HEAP_ONLY_TUPLE, linked by ctid from a HEAP_HOT_UPDATED predecessor) have
//! no index entry of their own. Pruning therefore works chain by chain:
//!
//! ```text
//!   before                          after pruning (a, b dead; c live)
//!   lp1 -> a  HOT_UPDATED  (root)   lp1 REDIRECT -> 3   index entries stay valid
//!   lp2 -> b  HOT_UPDATED|ONLY      lp2 UNUSED          nothing points at it
//!   lp3 -> c  ONLY                  lp3 -> c
//!
//!   whole chain dead                lp1 DEAD            until VACUUM has removed
//!                                                       the index entries, then
//!                                                       UNUSED (second heap pass)
//! ```
//!
//! Rules:
//! 1. Pruning needs the cleanup lock (exclusive content lock, our pin the only
//!    one): a scan elsewhere may hold a pointer into the page only while it
//!    holds a pin, and our scans copy tuples out under the content lock, so no
//!    backend can be reading tuple bytes we move.
//! 2. A chain starts at a root: a NORMAL tuple that is not HEAP_ONLY_TUPLE, or
//!    an existing REDIRECT (the chain then starts at its target). A member
//!    leads to the next only while it is HOT-updated (HEAP_HOT_UPDATED, and
//!    neither its xmin nor its xmax known invalid), and the next line pointer
//!    is NORMAL, heap-only, not yet part of a chain, and has an xmin equal to
//!    the member's xmax: otherwise the slot was reused and the chain ends.
//! 3. The chain's dead prefix is removed: it reaches the last DEAD member
//!    before the first member that is neither DEAD nor RECENTLY_DEAD (a
//!    recently dead member before a dead one is dead too: its deleter
//!    committed before the later member's). Heap-only members of the prefix
//!    become UNUSED. The root becomes a REDIRECT to the first member after
//!    the prefix, or DEAD if there is none; a root that was already a
//!    REDIRECT to a chain with nothing left becomes DEAD.
//! 4. A heap-only tuple that no chain reaches (the new version of an aborted
//!    update) and is dead becomes UNUSED: no index entry points at it.
//! 5. DEAD line pointers become UNUSED only in VACUUM's second heap pass,
//!    after the caller's `index_cleanup` has removed the index entries that
//!    point at them; that pass is logged with the same record.
//! 6. An update chain whose old member's slot was reused is detected by the
//!    reader (`heapam::latest_version_tid` and `heapam::fetch_hot` compare
//!    xmin with the previous xmax), so freeing a slot never corrupts a walk.
//! 7. `oldest_xmin` comes from `Transam::oldest_xmin`: no snapshot that could
//!    still see a removed tuple exists or can be taken.
//! 8. What pruning changed is logged as the three lists of line pointers
//!    (redirected, dead, unused) and the new prune xid; [`apply_prune`] makes
//!    the change on the primary and in redo alike, so the layouts match byte
//!    for byte.

use types::{PgError, PgResult};
use wal::record::PageOp;

use super::tuple::{
    HEAP_HOT_UPDATED, HEAP_ONLY_TUPLE, HEAP_XMAX_COMMITTED, HEAP_XMAX_INVALID, HEAP_XMIN_COMMITTED,
    HEAP_XMIN_INVALID, TupleHeader, TupleHeaderMut,
};
use crate::buffer::{BufferTag, BufferWriteGuard, ForkNumber, ReadMode};
use crate::heap::heapam::{HeapEnv, nblocks};
use crate::page::{FIRST_OFFSET_NUMBER, ItemPointer, OffsetNumber, Page, PageMut};
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};
use crate::transam::TransactionId;
use crate::transam::visibility::{HtsvResult, satisfies_vacuum};

/// Most dead tids handed to `index_cleanup` in one call: VACUUM's memory for
/// them is bounded (PostgreSQL's `maintenance_work_mem` for its dead items
/// array); when it is full the indexes and the heap are cleaned and the scan
/// goes on.
pub const MAX_DEAD_ITEMS_PER_PASS: usize = 64 * 1024;

/// What pruning found on a page (or VACUUM in a relation).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PruneStats {
    /// Tuples removed (their storage freed; a root made REDIRECT or DEAD
    /// counts as its tuple removed).
    pub removed: u64,
    /// Tuples live, or being deleted by a running transaction (whose commit
    /// will count the deletion). Tuples a running transaction is inserting
    /// are not counted: its commit counts them, as PostgreSQL's VACUUM
    /// assumes too, so a concurrent UPDATE is not counted twice.
    pub live: u64,
    /// Tuples deleted but still visible to some snapshot.
    pub recently_dead: u64,
    /// Pages that hold no tuple after pruning.
    pub empty_pages: u64,
    /// DEAD line pointers VACUUM's second heap pass set UNUSED, after their
    /// index entries were removed.
    pub dead_items: u64,
}

impl PruneStats {
    pub fn add(&mut self, o: PruneStats) {
        self.removed += o.removed;
        self.live += o.live;
        self.recently_dead += o.recently_dead;
        self.empty_pages += o.empty_pages;
        self.dead_items += o.dead_items;
    }
}

/// What pruning did to a page, for the caller to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PruneChange {
    /// Nothing changed.
    None,
    /// Only hint bits were set (not logged, see `BufferWriteGuard::mark_dirty_hint`).
    HintsOnly,
    /// Line pointers changed and/or the prune xid did: logged as a
    /// `HeapPrune` record, which redo repeats with [`apply_prune`].
    Pruned {
        /// HOT chain roots made REDIRECTs: (root, first surviving member).
        redirected: Vec<(OffsetNumber, OffsetNumber)>,
        /// Line pointers made DEAD (roots of wholly dead chains).
        dead: Vec<OffsetNumber>,
        /// Line pointers made UNUSED (dead heap-only tuples).
        unused: Vec<OffsetNumber>,
        prune_xid: TransactionId,
    },
}

/// What pruning learned about one NORMAL tuple before deciding anything.
#[derive(Debug, Clone, Copy)]
struct TupleInfo {
    verdict: HtsvResult,
    xmin: TransactionId,
    xmax: TransactionId,
    heap_only: bool,
    /// The next chain member's offset, if this tuple is HOT-updated (rule 2).
    next: Option<OffsetNumber>,
}

/// Whether a header with infomask `mask` (including what a visibility check
/// just learned) and infomask2 `mask2` leads on to a newer version on its
/// page (PostgreSQL's `HeapTupleHeaderIsHotUpdated`): an aborted updater or
/// inserter ends the chain.
pub(crate) fn is_hot_updated(mask: u16, mask2: u16) -> bool {
    mask2 & HEAP_HOT_UPDATED != 0 && mask & (HEAP_XMAX_INVALID | HEAP_XMIN_INVALID) == 0
}

/// Prunes one page the caller holds the cleanup lock on (module rules 2-4).
/// Returns what it found and what changed (the caller logs it).
/// `commit_hints` says whether "committed" hint bits may be set (wal/README.md
/// rule 11).
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
    let slots = usize::from(max) + 1;
    let allowed = if commit_hints {
        u16::MAX
    } else {
        !(HEAP_XMIN_COMMITTED | HEAP_XMAX_COMMITTED)
    };
    let mut hinted = false;

    // 1. Every tuple's fate, and the hint bits learned on the way. A chain's
    //    links are judged with everything learned (an aborted xmax learned
    //    now ends the chain even where the hint may not be written).
    let mut info: Vec<Option<TupleInfo>> = vec![None; slots];
    for off in FIRST_OFFSET_NUMBER..=max {
        let Some(id) = p.as_page().item_id(off) else {
            continue;
        };
        if !id.is_normal() {
            continue;
        }
        let (t, hints) = {
            let h = TupleHeader::parse(p.as_page().get_item(off)?)?;
            let (verdict, hints) = satisfies_vacuum(&h, oldest_xmin, env.tx)?;
            let mask2 = h.infomask2();
            let next = is_hot_updated(h.infomask() | hints, mask2).then(|| h.ctid().offset);
            (
                TupleInfo {
                    verdict,
                    xmin: h.xmin(),
                    xmax: h.xmax(),
                    heap_only: mask2 & HEAP_ONLY_TUPLE != 0,
                    next,
                },
                hints & allowed,
            )
        };
        info[usize::from(off)] = Some(t);
        if hints != 0 {
            TupleHeaderMut::parse(p.get_item_mut(off)?)?.add_infomask(hints);
            hinted = true;
        }
    }

    // 2. Chain by chain from each root.
    let mut reached = vec![false; slots];
    let mut removed = vec![false; slots];
    let (mut redirected, mut dead, mut unused) = (Vec::new(), Vec::new(), Vec::new());
    for root in FIRST_OFFSET_NUMBER..=max {
        let Some(id) = p.as_page().item_id(root) else {
            continue;
        };
        let is_redirect = id.is_redirect();
        let first = if is_redirect {
            id.redirect_target()
        } else if info[usize::from(root)].is_some_and(|t| !t.heap_only) {
            root
        } else {
            continue;
        };
        let chain = collect_chain(&info, &mut reached, root, first);
        let mut ndead = 0;
        for (i, &off) in chain.iter().enumerate() {
            match info[usize::from(off)].map(|t| t.verdict) {
                Some(HtsvResult::Dead) => ndead = i + 1,
                Some(HtsvResult::RecentlyDead) => {}
                _ => break,
            }
        }
        // The members of the dead prefix that are heap-only go; the root
        // tuple itself (when it is one) goes with its pointer's change.
        for &off in &chain[..ndead] {
            removed[usize::from(off)] = true;
            if off != root {
                unused.push(off);
            }
        }
        if ndead == chain.len() {
            if is_redirect || ndead > 0 {
                dead.push(root);
            }
        } else if ndead > 0 {
            redirected.push((root, chain[ndead]));
        }
    }

    // 3. Dead heap-only tuples no chain reaches (rule 4).
    for off in FIRST_OFFSET_NUMBER..=max {
        let i = usize::from(off);
        if let Some(t) = info[i]
            && t.heap_only
            && !reached[i]
            && t.verdict == HtsvResult::Dead
        {
            removed[i] = true;
            unused.push(off);
        }
    }
    unused.sort_unstable();

    // 4. What stays, and the oldest deleter that may make some of it
    //    prunable later: the page's next prune xid.
    let mut oldest_prunable: TransactionId = 0;
    let mut inserting = 0;
    for (i, t) in info.iter().enumerate() {
        let Some(t) = t else { continue };
        if removed[i] {
            stats.removed += 1;
            continue;
        }
        match t.verdict {
            HtsvResult::Dead => {}
            HtsvResult::RecentlyDead => stats.recently_dead += 1,
            HtsvResult::DeleteInProgress | HtsvResult::Live => stats.live += 1,
            HtsvResult::InsertInProgress => inserting += 1,
        }
        if matches!(
            t.verdict,
            HtsvResult::RecentlyDead | HtsvResult::DeleteInProgress
        ) && (oldest_prunable == 0 || t.xmax < oldest_prunable)
        {
            oldest_prunable = t.xmax;
        }
    }
    if stats.live + stats.recently_dead + inserting == 0 {
        stats.empty_pages = 1;
    }
    if redirected.is_empty()
        && dead.is_empty()
        && unused.is_empty()
        && p.as_page().prune_xid() == oldest_prunable
    {
        return Ok((
            stats,
            if hinted {
                PruneChange::HintsOnly
            } else {
                PruneChange::None
            },
        ));
    }
    apply_prune(page, &redirected, &dead, &unused, oldest_prunable)?;
    Ok((
        stats,
        PruneChange::Pruned {
            redirected,
            dead,
            unused,
            prune_xid: oldest_prunable,
        },
    ))
}

/// The members of the chain at `root` that starts at `first` (the root
/// itself, or a REDIRECT's target), in order, each marked in `reached`
/// (module rule 2).
fn collect_chain(
    info: &[Option<TupleInfo>],
    reached: &mut [bool],
    root: OffsetNumber,
    first: OffsetNumber,
) -> Vec<OffsetNumber> {
    let mut chain = Vec::new();
    let mut next = Some(first);
    let mut prior_xmax: Option<TransactionId> = None;
    while let Some(off) = next {
        let i = usize::from(off);
        let Some(t) = info.get(i).copied().flatten() else {
            break;
        };
        if reached[i] || (off != root && !t.heap_only) || prior_xmax.is_some_and(|x| x != t.xmin) {
            break;
        }
        reached[i] = true;
        chain.push(off);
        prior_xmax = Some(t.xmax);
        next = t.next;
    }
    chain
}

/// The page change of pruning, on the primary and in redo alike: the roots
/// in `redirected` become REDIRECTs to their targets, the pointers in `dead`
/// DEAD and those in `unused` UNUSED; if any changed, the page is
/// defragmented and its trailing unused pointers dropped; the prune xid is
/// set. The same input layout gives the same output layout, which later
/// records' byte ranges rely on. A REDIRECT to anything but a NORMAL
/// pointer is refused (a corrupted record or page).
pub fn apply_prune(
    page: &mut [u8; BLCKSZ],
    redirected: &[(OffsetNumber, OffsetNumber)],
    dead: &[OffsetNumber],
    unused: &[OffsetNumber],
    prune_xid: TransactionId,
) -> PgResult<()> {
    let mut p = PageMut::new(page);
    for &off in unused {
        p.set_unused(off)?;
    }
    for &off in dead {
        p.set_dead(off)?;
    }
    for &(from, to) in redirected {
        if !p.as_page().item_id(to).is_some_and(|id| id.is_normal()) || from == to {
            return Err(PgError::internal(format!(
                "line pointer {from} cannot redirect to {to}, which holds no tuple"
            )));
        }
        p.set_redirect(from, to)?;
    }
    if !(redirected.is_empty() && dead.is_empty() && unused.is_empty()) {
        p.repair_fragmentation()?;
        p.truncate_line_pointer_array();
    }
    p.set_prune_xid(prune_xid);
    Ok(())
}

/// Prunes the page at `block` if its cleanup lock is free and it looks worth
/// it (`heap_page_prune_opt`): something on it was deleted by a transaction
/// older than every snapshot, and it is short of space.
pub fn prune_opportunistically(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    block: BlockNumber,
    oldest_xmin: TransactionId,
) -> PgResult<()> {
    let buf = env.bufmgr.read_buffer(
        BufferTag::new(rel, ForkNumber::Main, block),
        ReadMode::Normal,
        None,
    )?;
    prune_buffer_opportunistically(env, &buf, oldest_xmin)
}

/// [`prune_opportunistically`] for a page the caller has pinned (once: the
/// cleanup lock needs ours to be the only pin).
pub fn prune_buffer_opportunistically(
    env: &HeapEnv<'_, '_>,
    buf: &crate::buffer::PinnedBuffer<'_>,
    oldest_xmin: TransactionId,
) -> PgResult<()> {
    {
        let page = buf.lock_shared();
        let p = Page::new(&page);
        let xid = p.prune_xid();
        if xid == 0 || xid >= oldest_xmin || p.heap_free_space() >= BLCKSZ / 10 {
            return Ok(());
        }
    }
    let Some(mut page) = buf.try_lock_for_cleanup() else {
        return Ok(());
    };
    let before = page.before_image();
    let commit_hints = page.commit_hints_allowed();
    let (_, change) = prune_page(env, &mut page, oldest_xmin, commit_hints)?;
    log_prune(&mut page, &before, PageOp::Prune, change)
}

/// Logs what [`prune_page`] did to the page the guard holds.
fn log_prune(
    page: &mut BufferWriteGuard<'_>,
    before: &[u8; BLCKSZ],
    op: PageOp,
    change: PruneChange,
) -> PgResult<()> {
    match change {
        PruneChange::None => Ok(()),
        PruneChange::HintsOnly => page.mark_dirty_hint(),
        PruneChange::Pruned {
            redirected,
            dead,
            unused,
            prune_xid,
        } => page.log_prune(before, op, redirected, dead, unused, prune_xid),
    }
}

/// VACUUM of a relation's heap (`lazy_scan_heap` and `lazy_vacuum`):
///
/// 1. prunes every page (waiting for each cleanup lock) and collects the
///    tids of its DEAD line pointers;
/// 2. hands them to `index_cleanup`, which removes the index entries that
///    point at them (at most [`MAX_DEAD_ITEMS_PER_PASS`] per call; when
///    more are collected, steps 2 and 3 run before the scan goes on);
/// 3. revisits their pages and sets those pointers UNUSED (module rule 5).
///
/// A relation without indexes passes a callback that does nothing. Returns
/// the totals and the number of blocks scanned. If `index_cleanup` fails,
/// the DEAD pointers stay for the next VACUUM.
pub fn vacuum_relation(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    oldest_xmin: TransactionId,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
    index_cleanup: &mut dyn FnMut(&[ItemPointer]) -> PgResult<()>,
) -> PgResult<(PruneStats, BlockNumber)> {
    vacuum_relation_batched(
        env,
        rel,
        oldest_xmin,
        check_interrupts,
        index_cleanup,
        MAX_DEAD_ITEMS_PER_PASS,
    )
}

/// [`vacuum_relation`] with at most `batch` dead tids collected (and handed
/// to `index_cleanup` in one call) before the indexes and the heap are
/// cleaned.
pub(crate) fn vacuum_relation_batched(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    oldest_xmin: TransactionId,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
    index_cleanup: &mut dyn FnMut(&[ItemPointer]) -> PgResult<()>,
    batch: usize,
) -> PgResult<(PruneStats, BlockNumber)> {
    let batch = batch.max(1);
    let n = nblocks(env, rel)?;
    let mut total = PruneStats::default();
    let mut dead_items: Vec<ItemPointer> = Vec::new();
    for block in 0..n {
        check_interrupts()?;
        let (free, page_dead) = {
            let buf = env.bufmgr.read_buffer(
                BufferTag::new(rel, ForkNumber::Main, block),
                ReadMode::Normal,
                None,
            )?;
            let mut page = buf.lock_for_cleanup()?;
            let before = page.before_image();
            let commit_hints = page.commit_hints_allowed();
            let (stats, change) = prune_page(env, &mut page, oldest_xmin, commit_hints)?;
            log_prune(&mut page, &before, PageOp::Vacuum, change)?;
            total.add(stats);
            let (free, dead) = {
                let p = Page::new(&page);
                if p.is_new() {
                    (0, Vec::new())
                } else {
                    let dead: Vec<ItemPointer> = (FIRST_OFFSET_NUMBER..=p.max_offset_number())
                        .filter(|&o| p.item_id(o).is_some_and(|id| id.is_dead()))
                        .map(|o| ItemPointer::new(block, o))
                        .collect();
                    (p.heap_free_space(), dead)
                }
            };
            if dead.is_empty() && all_visible(env, &page, oldest_xmin)? {
                mark_all_visible(env, rel, block, &mut page)?;
            }
            (free, dead)
        };
        // Rule 2 of the free-space map, after the heap page's lock is gone.
        super::freespace::record(env, rel, block, free)?;
        if dead_items.len() + page_dead.len() > batch {
            vacuum_dead_items(
                env,
                rel,
                &mut dead_items,
                batch,
                check_interrupts,
                index_cleanup,
                &mut total,
            )?;
        }
        dead_items.extend(page_dead);
    }
    vacuum_dead_items(
        env,
        rel,
        &mut dead_items,
        batch,
        check_interrupts,
        index_cleanup,
        &mut total,
    )?;
    Ok((total, n))
}

/// Whether every tuple on the page is visible to every snapshot: committed,
/// not deleted (or its deleter aborted, or only a row lock), inserted before
/// `oldest_xmin` (PostgreSQL's `heap_page_is_all_visible`). The page has
/// no DEAD line pointers (the caller checks).
fn all_visible(
    env: &HeapEnv<'_, '_>,
    page: &[u8; BLCKSZ],
    oldest_xmin: TransactionId,
) -> PgResult<bool> {
    let p = Page::new(page);
    if p.is_new() || p.is_all_visible() {
        return Ok(false);
    }
    for off in FIRST_OFFSET_NUMBER..=p.max_offset_number() {
        let Some(id) = p.item_id(off) else { continue };
        if !id.is_normal() {
            continue;
        }
        let h = TupleHeader::parse(p.get_item(off)?)?;
        let (verdict, _) = satisfies_vacuum(&h, oldest_xmin, env.tx)?;
        if verdict != HtsvResult::Live || h.xmin() >= oldest_xmin {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Rule 2 of the visibility map: the page's `PD_ALL_VISIBLE` (logged), then
/// its bit (logged), under the cleanup lock the caller holds.
fn mark_all_visible(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    block: BlockNumber,
    page: &mut BufferWriteGuard<'_>,
) -> PgResult<()> {
    let before = page.before_image();
    PageMut::new(page).set_all_visible(true);
    page.log_change(&before, PageOp::HeapVisible, 0)?;
    super::visibilitymap::set_all_visible(env, rel, block)
}

/// Steps 2 and 3 of [`vacuum_relation`] for the DEAD pointers collected so
/// far (in block order), which it empties; `index_cleanup` gets them at most
/// `batch` at a time. A pointer that is no longer DEAD
/// is left alone (nothing but this pass turns DEAD into anything else, but
/// it costs nothing to check under the lock).
fn vacuum_dead_items(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    dead_items: &mut Vec<ItemPointer>,
    batch: usize,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
    index_cleanup: &mut dyn FnMut(&[ItemPointer]) -> PgResult<()>,
    total: &mut PruneStats,
) -> PgResult<()> {
    for chunk in dead_items.chunks(batch) {
        index_cleanup(chunk)?;
    }
    for group in dead_items.chunk_by(|a, b| a.block == b.block) {
        check_interrupts()?;
        let block = group[0].block;
        let free = {
            let buf = env.bufmgr.read_buffer(
                BufferTag::new(rel, ForkNumber::Main, block),
                ReadMode::Normal,
                None,
            )?;
            let mut page = buf.lock_for_cleanup()?;
            let before = page.before_image();
            let p = Page::new(&page);
            let unused: Vec<OffsetNumber> = group
                .iter()
                .map(|t| t.offset)
                .filter(|&o| p.item_id(o).is_some_and(|id| id.is_dead()))
                .collect();
            let prune_xid = p.prune_xid();
            if !unused.is_empty() {
                apply_prune(&mut page, &[], &[], &unused, prune_xid)?;
                total.dead_items += unused.len() as u64;
                page.log_prune(
                    &before,
                    PageOp::Vacuum,
                    Vec::new(),
                    Vec::new(),
                    unused,
                    prune_xid,
                )?;
            }
            Page::new(&page).heap_free_space()
        };
        super::freespace::record(env, rel, block, free)?;
    }
    dead_items.clear();
    Ok(())
}

/// How many blocks at the end of the relation hold no tuple (what VACUUM may
/// truncate away under an AccessExclusiveLock). A REDIRECT or DEAD line
/// pointer keeps its page: an index entry may still point at it.
pub fn count_empty_tail(env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<BlockNumber> {
    let n = nblocks(env, rel)?;
    let mut empty = 0;
    for block in (0..n).rev() {
        let buf = env.bufmgr.read_buffer(
            BufferTag::new(rel, ForkNumber::Main, block),
            ReadMode::Normal,
            None,
        )?;
        let page = buf.lock_shared();
        let p = Page::new(&page);
        let has_tuples = !p.is_new()
            && (FIRST_OFFSET_NUMBER..=p.max_offset_number())
                .any(|o| p.item_id(o).is_some_and(|i| i.is_used()));
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
            let buf = env.bufmgr.read_buffer(
                BufferTag::new(from, ForkNumber::Main, block),
                ReadMode::Normal,
                None,
            )?;
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
                let (verdict, hints) =
                    satisfies_vacuum(&TupleHeader::parse(bytes)?, oldest_xmin, env.tx)?;
                if verdict == HtsvResult::Dead {
                    removed += 1;
                    continue;
                }
                let mut copy = bytes.to_vec();
                let mut h = TupleHeaderMut::parse(&mut copy)?;
                h.add_infomask(hints);
                let f2 = h.as_ref().infomask2()
                    & !(super::tuple::HEAP_HOT_UPDATED | super::tuple::HEAP_ONLY_TUPLE);
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
