//! The heap access method: insert, scan, fetch, delete and update of tuples in
//! a relation's pages, under MVCC (PostgreSQL's `heapam.c` and `hio.c`).
//!
//! ```text
//!   insert   form the tuple (xmin = our xid, cmin = our command, xmax invalid)
//!            -> this backend's target block (the last one it used), else the
//!               last page, else a page the free-space map knows, else extend
//!               the relation by one page under the relation extension lock
//!            -> add_item, ctid = self, logged
//!   multi_insert (COPY FROM's batches) as insert, but the page chosen for a
//!            batch's next tuple also takes the following ones while they
//!            fit: one lock, one before-image and one WAL record per page
//!   scan     page at a time: pin, share-lock, copy every visible tuple of the
//!            page out, unlock, unpin; then hand the copies out one by one
//!   delete   exclusive-lock the page, satisfies_update:
//!              Ok             -> xmax = our xid, cmax (combo if we inserted it)
//!              BeingModified  -> unlock, wait for that transaction, start over
//!              Updated/Deleted-> READ COMMITTED: tell the caller (EvalPlanQual)
//!                                REPEATABLE READ+: 40001
//!   lock     (lock_tuple, SELECT FOR UPDATE/SHARE) as delete, but on Ok
//!            xmax = our xid with HEAP_XMAX_LOCK_ONLY and the lock bits; the
//!            data, xmin and cid stay; BeingModified by another transaction
//!            is waited for, skipped (SKIP LOCKED) or reported (NOWAIT); our
//!            own lock is kept or upgraded
//!   update   as delete, then the new version on the same page if it fits,
//!            else on another page locked in block order; the old version's
//!            ctid points at the new one. On the same page and with the
//!            caller's `hot_allowed` (no indexed column changed) it is a HOT
//!            update: HEAP_HOT_UPDATED on the old version, HEAP_ONLY_TUPLE on
//!            the new, which gets no index entry of its own
//!   fetch_hot / unique_probe
//!            an index entry's tid is a HOT chain's root: follow a REDIRECT,
//!            then the chain (same page, each xmin = the previous xmax) to the
//!            member that the snapshot sees, or that a unique check must
//!            consider
//! ```
//!
//! Rules:
//! 1. A tuple's bytes change only under the page's exclusive content lock, and
//!    only its header (xmax, cid, ctid, infomask): the data never changes in
//!    place; an update writes a new version.
//! 2. Waiting for another transaction happens with no content lock and no pin
//!    held, through the caller's `wait_for_xid` (the lock manager's
//!    transaction lock), and is followed by a fresh look at the tuple.
//! 3. Two pages are locked together only by update, lower block number first.
//! 4. Every change this module makes to a page is logged before the page's
//!    lock is released (`BufferWriteGuard::log_change`, which also marks it
//!    dirty; a same-page update logs the new version's data as a copy of the
//!    old's); hint bits go through `mark_dirty_hint`. Durability is the commit
//!    record's (wal/README.md).
//! 5. Hint bits learned by a visibility check are written under the page's
//!    exclusive lock: by update, delete and lock, which hold it, and by a scan
//!    only if it can take it at once (it never waits to write a hint). No
//!    "committed" hint is set while an asynchronous commit is unflushed
//!    (wal/README.md rule 11).
//! 6. A line pointer may be NORMAL, REDIRECT (a pruned chain's root), DEAD
//!    (awaiting removal of its index entries) or UNUSED (`pruneheap`). Only
//!    a NORMAL one holds a tuple: fetching, changing or locking any other is
//!    "not there", and only [`fetch_hot`] and [`unique_probe`], which start
//!    from an index entry, follow a REDIRECT.
//! 7. Row locks live only in xmax; there are no multixacts, so a row has at
//!    most one locker or updater. Any lock or change by another running
//!    transaction conflicts, whatever the two modes: a second FOR SHARE (or
//!    FOR KEY SHARE, or an UPDATE that keeps the keys of a FOR KEY SHARE row)
//!    waits where PostgreSQL lets both proceed. Stricter, never wrong. Our own
//!    lock-only xmax never makes our own UPDATE/DELETE wait. There is no
//!    heavyweight tuple lock queueing waiters in order (PostgreSQL's
//!    `heap_acquire_tuplock`): waiters for one row race when it is released.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use wal::record::PageOp;

use types::{PgError, PgResult, SqlState};

use super::tuple::{
    HEAP_COMBOCID, HEAP_HOT_UPDATED, HEAP_KEYS_UPDATED, HEAP_LOCK_MASK, HEAP_ONLY_TUPLE,
    HEAP_UPDATED, HEAP_XMAX_COMMITTED, HEAP_XMAX_EXCL_LOCK, HEAP_XMAX_INVALID, HEAP_XMAX_IS_MULTI,
    HEAP_XMAX_KEYSHR_LOCK, HEAP_XMAX_LOCK_ONLY, HEAP_XMAX_SHR_LOCK, HEAP_XMIN_COMMITTED,
    MAX_HEAP_TUPLE_SIZE, TupleHeader, TupleHeaderMut,
};
use crate::buffer::{BufferManager, BufferTag, ForkNumber, ReadMode};
use crate::page::{
    AddItemFlags, FIRST_OFFSET_NUMBER, ItemPointer, OffsetNumber, Page, PageMut, maxalign,
};
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};
use crate::smgr_store::SmgrBlockStore;
use crate::transam::combocid::ComboCids;
use crate::transam::visibility::{
    HtsvResult, Me, TmResult, satisfies_mvcc, satisfies_update_at, satisfies_vacuum,
    xmax_is_locked_only,
};
use crate::transam::{CommandId, Snapshot, TransactionId, Transam, XidStatus};

/// Serialises extension of a relation between processes (PostgreSQL's
/// relation extension lock). The backend implements it with the lock manager.
pub trait ExtensionLock {
    fn lock(&self, rel: RelFileLocator) -> PgResult<()>;
    fn unlock(&self, rel: RelFileLocator);
}

/// No other process extends the relation (single-process tests, bootstrap).
#[derive(Debug)]
pub struct NoExtensionLock;

impl ExtensionLock for NoExtensionLock {
    fn lock(&self, _rel: RelFileLocator) -> PgResult<()> {
        Ok(())
    }
    fn unlock(&self, _rel: RelFileLocator) {}
}

/// What the heap needs from the process: the buffer pool, the relation files,
/// transaction status and the extension lock.
pub struct HeapEnv<'e, 'a> {
    pub bufmgr: &'e BufferManager<'a>,
    pub store: &'e SmgrBlockStore,
    pub tx: &'e Transam<'a>,
    pub extension_lock: &'e dyn ExtensionLock,
}

/// The writing transaction: its xid, current command, combo cids, how it
/// treats concurrent updates, and how it waits for another transaction.
pub struct WriteXact<'c> {
    pub xid: TransactionId,
    pub cid: CommandId,
    pub combocids: &'c mut ComboCids,
    /// REPEATABLE READ or SERIALIZABLE: a row changed by a transaction our
    /// snapshot cannot see is a serialization failure, not a re-check.
    pub transaction_snapshot: bool,
    /// Blocks until `xid` has finished (committed or aborted).
    pub wait_for_xid: &'c mut dyn FnMut(TransactionId) -> PgResult<()>,
    /// Inside a savepoint: every change is recorded here so that ROLLBACK
    /// TO SAVEPOINT can take it back ([`undo`]).
    pub undo: Option<&'c mut Vec<UndoRecord>>,
}

/// One change a transaction made, as ROLLBACK TO SAVEPOINT reverts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndoRecord {
    Inserted {
        rel: RelFileLocator,
        tid: ItemPointer,
    },
    Deleted {
        rel: RelFileLocator,
        tid: ItemPointer,
    },
    Updated {
        rel: RelFileLocator,
        old: ItemPointer,
        new: ItemPointer,
    },
}

impl WriteXact<'_> {
    fn record(&mut self, r: UndoRecord) {
        if let Some(u) = self.undo.as_mut() {
            u.push(r);
        }
    }
}

impl WriteXact<'_> {
    fn me(&self) -> Me<'_> {
        Me {
            xid: Some(self.xid),
            combocids: self.combocids,
        }
    }
}

/// What happened to a row that was to be deleted or updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModifyResult {
    /// Done: the row is ours now.
    Done,
    /// A concurrent committed transaction deleted it (READ COMMITTED: skip).
    Gone,
    /// A concurrent committed transaction updated it; the newest version is at
    /// this tid (READ COMMITTED: re-check the statement's quals on it).
    Updated(ItemPointer),
    /// This very command already changed it (PostgreSQL ignores the row).
    SelfModified,
}

fn tag(rel: RelFileLocator, block: BlockNumber) -> BufferTag {
    BufferTag::new(rel, ForkNumber::Main, block)
}

/// The relation's size in blocks.
pub fn nblocks(env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<BlockNumber> {
    env.store.smgr().nblocks(rel, ForkNumber::Main)
}

fn concurrent_update_error(deleted: bool) -> PgError {
    PgError::new(
        SqlState::SerializationFailure,
        if deleted {
            "could not serialize access due to concurrent delete"
        } else {
            "could not serialize access due to concurrent update"
        },
    )
}

/// Inserts a formed tuple (from [`super::tuple::form_tuple`]) and returns its
/// address (`heap_insert`).
pub fn insert(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    mut tuple: Vec<u8>,
    save_free: usize,
    w: &mut WriteXact<'_>,
) -> PgResult<ItemPointer> {
    {
        let mut h = TupleHeaderMut::parse(&mut tuple)?;
        h.set_xmin(w.xid);
        h.set_xmax(0);
        h.set_cid(w.cid);
        let mask = h.as_ref().infomask();
        h.set_infomask((mask & !super::tuple::HEAP_XACT_MASK) | HEAP_XMAX_INVALID);
        h.set_infomask2_flags(0);
    }
    let tid = place_tuple(env, rel, &mut tuple, None, w.xid, save_free)?;
    w.record(UndoRecord::Inserted { rel, tid });
    Ok(tid)
}

/// The MAXALIGNed size of `tuple`, or `54000 row is too big` for one no page
/// can hold. Checked before anything changes: such a tuple must neither extend
/// the relation by an empty page nor stamp the old version of an update on its
/// way to the error (`form_tuple` makes the same check; this one guards
/// callers that build tuples otherwise).
fn check_tuple_size(tuple: &[u8]) -> PgResult<usize> {
    let need = maxalign(tuple.len());
    if need > MAX_HEAP_TUPLE_SIZE {
        return Err(PgError::new(
            SqlState::ProgramLimitExceeded,
            format!("row is too big: size {need}, maximum size {MAX_HEAP_TUPLE_SIZE}"),
        ));
    }
    Ok(need)
}

/// Adds a tuple whose header is already final (VACUUM FULL's copy): only its
/// ctid is set, to its new address.
pub fn insert_copy(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    mut tuple: Vec<u8>,
) -> PgResult<ItemPointer> {
    place_tuple(env, rel, &mut tuple, None, 0, 0)
}

thread_local! {
    /// Per relation, the block this backend last put a tuple on
    /// (PostgreSQL's `rd_targblock`): the next insert tries it first, so a
    /// backend keeps filling "its" page without consulting the free-space
    /// map, and concurrent inserters spread over pages. A hint only: a block
    /// past the relation's end (truncated since) fails to read and is
    /// dropped.
    static TARGET_BLOCK: RefCell<HashMap<RelFileLocator, BlockNumber>> = RefCell::new(HashMap::new());
}

fn target_block(rel: RelFileLocator) -> Option<BlockNumber> {
    TARGET_BLOCK.with(|t| t.borrow().get(&rel).copied())
}

fn set_target_block(rel: RelFileLocator, block: BlockNumber) {
    TARGET_BLOCK.with(|t| t.borrow_mut().insert(rel, block));
}

fn forget_target_block(rel: RelFileLocator) {
    TARGET_BLOCK.with(|t| t.borrow_mut().remove(&rel));
}

/// Where [`place_tuples`] may put tuples: not on `avoid` (a page the caller
/// holds), leaving `save_free` bytes on a page already in use; `xid` logs
/// the change.
struct Target {
    avoid: Option<BlockNumber>,
    xid: TransactionId,
    save_free: usize,
}

/// Puts `tuple` on a page with room (not `avoid`, which the caller holds),
/// sets its ctid to itself, and returns where it went: this backend's target
/// block, the last page, a page the free-space map knows, or a new page.
/// A page that has been used must keep `save_free` bytes free after it (the
/// table's fillfactor).
fn place_tuple(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tuple: &mut [u8],
    avoid: Option<BlockNumber>,
    xid: TransactionId,
    save_free: usize,
) -> PgResult<ItemPointer> {
    let mut tids = Vec::with_capacity(1);
    let mut fsm = super::freespace::MapSize::default();
    let target = Target {
        avoid,
        xid,
        save_free,
    };
    place_tuples(env, rel, &mut [tuple], &target, &mut tids, &mut fsm)?;
    tids.first()
        .copied()
        .ok_or_else(|| PgError::internal("a tuple was placed on no page"))
}

/// Inserts formed tuples (from [`super::tuple::form_tuple`]) in order and
/// returns their addresses (`heap_multi_insert`): each page chosen takes as
/// many of them as fit under one exclusive lock (leaving `save_free` bytes,
/// the fillfactor's share) and is logged once, so a bulk load (COPY FROM)
/// costs one page lookup, one before-image and one WAL record per page
/// instead of per row.
pub fn multi_insert(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tuples: &mut [Vec<u8>],
    save_free: usize,
    w: &mut WriteXact<'_>,
) -> PgResult<Vec<ItemPointer>> {
    for tuple in tuples.iter_mut() {
        let mut h = TupleHeaderMut::parse(tuple)?;
        h.set_xmin(w.xid);
        h.set_xmax(0);
        h.set_cid(w.cid);
        let mask = h.as_ref().infomask();
        h.set_infomask((mask & !super::tuple::HEAP_XACT_MASK) | HEAP_XMAX_INVALID);
        h.set_infomask2_flags(0);
    }
    // Every size is checked before the first page changes.
    for tuple in tuples.iter() {
        check_tuple_size(tuple)?;
    }
    let mut tids = Vec::with_capacity(tuples.len());
    let mut slices: Vec<&mut [u8]> = tuples.iter_mut().map(|t| t.as_mut_slice()).collect();
    // The free-space map's size is asked once for the whole batch.
    let mut fsm = super::freespace::MapSize::default();
    let target = Target {
        avoid: None,
        xid: w.xid,
        save_free,
    };
    while tids.len() < slices.len() {
        let done = tids.len();
        place_tuples(env, rel, &mut slices[done..], &target, &mut tids, &mut fsm)?;
        if tids.len() == done {
            return Err(PgError::internal("a tuple was placed on no page"));
        }
    }
    for &tid in &tids {
        w.record(UndoRecord::Inserted { rel, tid });
    }
    Ok(tids)
}

/// Puts the first of `tuples` on a page with room (not `avoid`, which the
/// caller holds), and as many of the following as also fit on that page,
/// setting each one's ctid to itself and appending their addresses to
/// `tids`: this backend's target block, the last page, a page the
/// free-space map knows, or a new page. One WAL record covers the page.
fn place_tuples(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tuples: &mut [&mut [u8]],
    target: &Target,
    tids: &mut Vec<ItemPointer>,
    fsm: &mut super::freespace::MapSize,
) -> PgResult<()> {
    let Some(first) = tuples.first() else {
        return Ok(());
    };
    let xid = target.xid;
    let need = check_tuple_size(first)?;
    let mut tried: Vec<BlockNumber> = target.avoid.into_iter().collect();
    // This backend's target block first, without asking the file's size
    // (a system call): one that is no longer there (VACUUM truncated the
    // table meanwhile) fails to read, and is forgotten.
    if let Some(block) = target_block(rel).filter(|b| !tried.contains(b)) {
        tried.push(block);
        match try_page(env, rel, block, tuples, need, target, tids, fsm) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) if block < nblocks(env, rel)? => return Err(e),
            Err(_) => forget_target_block(rel),
        }
    }
    let n = nblocks(env, rel)?;
    if let Some(last) = n.checked_sub(1).filter(|b| !tried.contains(b)) {
        tried.push(last);
        if try_page(env, rel, last, tuples, need, target, tids, fsm)? {
            return Ok(());
        }
    }
    // Room that VACUUM freed in an earlier page (the map is a hint: a page
    // that turns out to be full gets its entry corrected).
    for _ in 0..8 {
        let Some(block) =
            super::freespace::search_known(env, rel, need + target.save_free, n, &tried, fsm)?
        else {
            break;
        };
        tried.push(block);
        if try_page(env, rel, block, tuples, need, target, tids, fsm)? {
            return Ok(());
        }
    }
    // Extend by one page under the extension lock; a concurrent extender may
    // have added pages meanwhile, so take whatever the end is now.
    env.extension_lock.lock(rel)?;
    let extended = (|| {
        let block = nblocks(env, rel)?;
        env.store
            .smgr()
            .extend(rel, ForkNumber::Main, block, &[0u8; BLCKSZ], false)?;
        let buf = env
            .bufmgr
            .read_buffer(tag(rel, block), ReadMode::Zero, None)?;
        Ok::<_, PgError>((buf, block))
    })();
    env.extension_lock.unlock(rel);
    let (buf, block) = extended?;
    let mut page = buf.lock_exclusive();
    let before = page.before_image();
    if PageMut::new(&mut page).as_page().is_new() {
        PageMut::new(&mut page).init(0);
    }
    let placed = add_all_to_page(&mut page, block, tuples, tids, target.save_free)?;
    if placed == 0 {
        return Err(PgError::internal(format!(
            "could not add a tuple of {} bytes to a new page",
            tuples[0].len()
        )));
    }
    page.log_change(&before, PageOp::HeapInsert, xid)?;
    set_target_block(rel, block);
    Ok(())
}

/// Puts the first of `tuples` (and as many following as fit) on page
/// `block` if it has room for the first; otherwise records the page's real
/// free space in the free-space map and returns false.
#[allow(clippy::too_many_arguments)]
fn try_page(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    block: BlockNumber,
    tuples: &mut [&mut [u8]],
    need: usize,
    target: &Target,
    tids: &mut Vec<ItemPointer>,
    fsm: &mut super::freespace::MapSize,
) -> PgResult<bool> {
    let free = {
        let buf = env
            .bufmgr
            .read_buffer(tag(rel, block), ReadMode::Normal, None)?;
        let mut page = buf.lock_exclusive();
        let fits = {
            let p = Page::new(&page);
            !p.is_new() && p.heap_free_space() >= need + target.save_free
        };
        if fits {
            let before = page.before_image();
            super::visibilitymap::clear_for_change(env, rel, block, &mut page)?;
            if add_all_to_page(&mut page, block, tuples, tids, target.save_free)? > 0 {
                page.log_change(&before, PageOp::HeapInsert, target.xid)?;
                set_target_block(rel, block);
                return Ok(true);
            }
        }
        let p = Page::new(&page);
        if p.is_new() { 0 } else { p.heap_free_space() }
    };
    super::freespace::record_known(env, rel, block, free, fsm)?;
    Ok(false)
}

/// Adds `tuples` in order while they fit (stopping at the first that does
/// not); sets their ctids, appends their addresses to `tids` and returns how
/// many went on the page. The tuples after the first must also leave
/// `save_free` bytes (the first was checked by the caller, or is the first
/// on a new page, which takes it whatever the fillfactor).
fn add_all_to_page(
    page: &mut [u8; BLCKSZ],
    block: BlockNumber,
    tuples: &mut [&mut [u8]],
    tids: &mut Vec<ItemPointer>,
    save_free: usize,
) -> PgResult<usize> {
    let mut placed = 0;
    for tuple in tuples.iter_mut() {
        let need = maxalign(tuple.len());
        if placed > 0 && save_free > 0 && Page::new(page).heap_free_space() < need + save_free {
            break;
        }
        match add_to_page(page, block, tuple, need)? {
            Some(ip) => {
                tids.push(ip);
                placed += 1;
            }
            None => break,
        }
    }
    Ok(placed)
}

/// Adds the tuple if the page has room; sets its ctid.
fn add_to_page(
    page: &mut [u8; BLCKSZ],
    block: BlockNumber,
    tuple: &mut [u8],
    need: usize,
) -> PgResult<Option<ItemPointer>> {
    let mut p = PageMut::new(page);
    if p.as_page().is_new() || p.as_page().heap_free_space() < need {
        return Ok(None);
    }
    // The ctid must be in the bytes we add; the offset is the one add_item
    // will choose, so add first and then fix the header on the page.
    let Some(off) = p.add_item(tuple, None, AddItemFlags::HEAP)? else {
        return Ok(None);
    };
    let ip = ItemPointer::new(block, off);
    TupleHeaderMut::parse(p.get_item_mut(off)?)?.set_ctid(ip);
    TupleHeaderMut::parse(tuple)?.set_ctid(ip);
    Ok(Some(ip))
}

/// A sequential scan: page at a time, each visible tuple copied out while the
/// page is share-locked (`heapgetpage`). Tuples appended after the scan began
/// are not seen (they are invisible to its snapshot anyway).
#[derive(Debug)]
pub struct HeapScan {
    rel: RelFileLocator,
    /// Tuples deleted before this are dead to everyone: pages full of them
    /// are pruned as the scan passes (`heap_page_prune_opt`).
    oldest_xmin: TransactionId,
    nblocks: BlockNumber,
    next_block: BlockNumber,
    /// A copy of the current page, taken under its share lock (one 8 KiB
    /// copy instead of an allocation per tuple), and where its visible
    /// tuples are in it, still to be returned.
    page: Box<[u8; BLCKSZ]>,
    block: BlockNumber,
    visible: VecDeque<(OffsetNumber, std::ops::Range<usize>)>,
    /// Where in `page` the tuple `next` returned last lies.
    last: std::ops::Range<usize>,
    /// A relation larger than a quarter of the pool is read through a small
    /// ring of buffers (BULKREAD), so that the scan does not evict the
    /// working set (PostgreSQL's rule in `initscan`).
    strategy: Option<crate::buffer::BufferAccessStrategy>,
}

impl HeapScan {
    pub fn begin(env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<HeapScan> {
        let nblocks = nblocks(env, rel)?;
        let pool = env.bufmgr.pool().len();
        let strategy = (nblocks as usize > pool / 4).then(|| {
            crate::buffer::BufferAccessStrategy::new(crate::buffer::StrategyKind::BulkRead, pool)
        });
        Ok(HeapScan {
            rel,
            oldest_xmin: env.tx.oldest_xmin(),
            nblocks,
            strategy,
            next_block: 0,
            page: Box::new([0u8; BLCKSZ]),
            block: 0,
            visible: VecDeque::new(),
            last: 0..0,
        })
    }

    /// Limits the scan to blocks `first..=last` (of those that existed when
    /// it began): PostgreSQL's `heap_setscanlimits`, for a Tid Range Scan.
    /// Call before the first [`next`](Self::next).
    pub fn set_block_range(&mut self, first: BlockNumber, last: BlockNumber) {
        self.next_block = first;
        self.nblocks = self.nblocks.min(last.saturating_add(1));
    }

    /// The bytes of the tuple [`next`](Self::next) returned last (empty
    /// before the first), valid until the next call.
    pub fn current(&self) -> &[u8] {
        self.page.get(self.last.clone()).unwrap_or(&[])
    }

    /// The next visible tuple (its address and bytes, valid until the next
    /// call), or None at the end.
    pub fn next(
        &mut self,
        env: &HeapEnv<'_, '_>,
        snapshot: &Snapshot,
        me: Me<'_>,
    ) -> PgResult<Option<(ItemPointer, &[u8])>> {
        loop {
            if let Some((off, range)) = self.visible.pop_front() {
                self.last = range.clone();
                return Ok(Some((ItemPointer::new(self.block, off), &self.page[range])));
            }
            if self.next_block >= self.nblocks {
                return Ok(None);
            }
            let block = self.next_block;
            self.next_block += 1;
            let buf = env.bufmgr.read_buffer(
                tag(self.rel, block),
                ReadMode::Normal,
                self.strategy.as_mut(),
            )?;
            super::pruneheap::prune_buffer_opportunistically(env, &buf, self.oldest_xmin)?;
            let mut hints: Vec<(OffsetNumber, u16, TransactionId)> = Vec::new();
            {
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
                    let h = TupleHeader::parse(bytes)?;
                    let (visible, learned) = satisfies_mvcc(&h, snapshot, me, env.tx)?;
                    if learned & !h.infomask() != 0 {
                        hints.push((off, learned, h.xmax()));
                    }
                    if visible {
                        // get_item checked that the pointer's range is inside the page.
                        let start = id.off as usize;
                        self.visible
                            .push_back((off, start..start + id.len as usize));
                    }
                }
                if !self.visible.is_empty() {
                    self.page.copy_from_slice(&page[..]);
                    self.block = block;
                }
            }
            if !hints.is_empty() {
                set_hint_bits(&buf, &hints)?;
            }
        }
    }
}

/// Records hint bits a scan learned (rule 5): only if the page's exclusive
/// lock is free right now (a scan never waits to write a hint), and an xmax
/// hint only if xmax is still the one it was learned for. Our pin keeps the
/// line pointers where they were (pruning needs the cleanup lock), and xmin
/// never changes to another committed transaction, so xmin hints stay true.
fn set_hint_bits(
    buf: &crate::buffer::PinnedBuffer<'_>,
    hints: &[(OffsetNumber, u16, TransactionId)],
) -> PgResult<()> {
    let Some(mut page) = buf.try_lock_exclusive() else {
        return Ok(());
    };
    // Rule 11 of wal/README.md: no "committed" hint while an asynchronous
    // commit's record may still be unflushed.
    let allowed = if page.commit_hints_allowed() {
        u16::MAX
    } else {
        !(HEAP_XMIN_COMMITTED | HEAP_XMAX_COMMITTED)
    };
    let mut pm = PageMut::new(&mut page);
    let mut changed = false;
    for &(off, bits, xmax) in hints {
        let bits = bits & allowed;
        match pm.as_page().item_id(off) {
            Some(id) if id.is_normal() => {}
            _ => continue,
        }
        let mut h = TupleHeaderMut::parse(pm.get_item_mut(off)?)?;
        let bits = if h.as_ref().xmax() == xmax {
            bits
        } else {
            bits & !(HEAP_XMAX_COMMITTED | HEAP_XMAX_INVALID)
        };
        if bits & !h.as_ref().infomask() != 0 {
            h.add_infomask(bits);
            changed = true;
        }
    }
    if changed {
        page.mark_dirty_hint()?;
    }
    Ok(())
}

/// The tuple at `tid` if it is visible to `snapshot` (`heap_fetch`).
pub fn fetch(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    snapshot: &Snapshot,
    me: Me<'_>,
) -> PgResult<Option<Vec<u8>>> {
    if tid.block >= nblocks(env, rel)? {
        return Ok(None);
    }
    let buf = env
        .bufmgr
        .read_buffer(tag(rel, tid.block), ReadMode::Normal, None)?;
    let page = buf.lock_shared();
    let p = Page::new(&page);
    match p.item_id(tid.offset) {
        Some(id) if id.is_normal() => {
            let bytes = p.get_item(tid.offset)?;
            let h = TupleHeader::parse(bytes)?;
            Ok(satisfies_mvcc(&h, snapshot, me, env.tx)?
                .0
                .then(|| bytes.to_vec()))
        }
        _ => Ok(None),
    }
}

/// Walks the HOT chain whose root line pointer is `root` on the page `p`
/// (block `root.block`), calling `visit` with each member's offset, bytes
/// and header until it breaks with a value (PostgreSQL's
/// `heap_hot_search_buffer`). A REDIRECT is followed only at the root; a
/// member leads on only while it is HOT-updated, its ctid stays on the
/// page, and the next member is NORMAL, heap-only and has our xmax as its
/// xmin (else the slot was reused: the chain ends). The root itself must not
/// be heap-only: an index entry never points at one, so a heap-only tuple
/// there means the root's slot was reused. DEAD, UNUSED or missing pointers
/// end the walk; so does a chain longer than the page has pointers (only a
/// corrupted page could loop).
fn walk_hot_chain<T>(
    p: &Page<'_>,
    root: ItemPointer,
    mut visit: impl FnMut(OffsetNumber, &[u8], &TupleHeader<'_>) -> PgResult<std::ops::ControlFlow<T>>,
) -> PgResult<Option<T>> {
    let mut off = root.offset;
    let mut at_root = true;
    let mut prior_xmax: Option<TransactionId> = None;
    for _ in 0..=usize::from(p.max_offset_number()) {
        let Some(id) = p.item_id(off) else {
            return Ok(None);
        };
        if id.is_redirect() && at_root {
            off = id.redirect_target();
            at_root = false;
            continue;
        }
        if !id.is_normal() {
            return Ok(None);
        }
        let bytes = p.get_item(off)?;
        let h = TupleHeader::parse(bytes)?;
        if h.is_heap_only() == at_root || prior_xmax.is_some_and(|x| x != h.xmin()) {
            return Ok(None);
        }
        if let std::ops::ControlFlow::Break(found) = visit(off, bytes, &h)? {
            return Ok(Some(found));
        }
        let ctid = h.ctid();
        if !super::pruneheap::is_hot_updated(h.infomask(), h.infomask2())
            || ctid.block != root.block
        {
            return Ok(None);
        }
        prior_xmax = Some(h.xmax());
        off = ctid.offset;
        at_root = false;
    }
    Ok(None)
}

/// The member of the HOT chain rooted at `root` (an index entry's tid) that
/// `snapshot` sees, with its real tid (`heap_hot_search_buffer` under an
/// MVCC snapshot); None if no member is visible, or if `root` is DEAD,
/// UNUSED or past the end. At most one member of a chain is visible to a
/// snapshot. Hint bits learned are not written (shared lock only).
pub fn fetch_hot(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    root: ItemPointer,
    snapshot: &Snapshot,
    me: Me<'_>,
) -> PgResult<Option<(ItemPointer, Vec<u8>)>> {
    let Some(buf) = read_existing(env, rel, root.block)? else {
        return Ok(None);
    };
    // Index fetches prune, as scans do (PostgreSQL's heap_page_prune_opt in
    // index fetches): a row updated over and over grows a HOT chain that
    // every fetch would otherwise walk whole.
    let prunable = {
        let page = buf.lock_shared();
        let p = Page::new(&page);
        p.prune_xid() != 0 && p.heap_free_space() < BLCKSZ / 10
    };
    if prunable {
        super::pruneheap::prune_buffer_opportunistically(env, &buf, env.tx.oldest_xmin())?;
    }
    let page = buf.lock_shared();
    walk_hot_chain(&Page::new(&page), root, |off, bytes, h| {
        Ok(if satisfies_mvcc(h, snapshot, me, env.tx)?.0 {
            std::ops::ControlFlow::Break((ItemPointer::new(root.block, off), bytes.to_vec()))
        } else {
            std::ops::ControlFlow::Continue(())
        })
    })
}

/// Whether no snapshot can see any member of the HOT chain rooted at `root`
/// (every member dead to all by `oldest_xmin`, or the root pointer DEAD):
/// an index entry pointing at it can go (the heap check of PostgreSQL's
/// bottom-up index deletion). A block past the end says no (VACUUM removes
/// such entries). Reads under a shared lock.
pub fn chain_dead_to_all(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    root: ItemPointer,
    oldest_xmin: TransactionId,
) -> PgResult<bool> {
    use std::ops::ControlFlow::{Break, Continue};
    let Some(buf) = read_existing(env, rel, root.block)? else {
        return Ok(false);
    };
    let page = buf.lock_shared();
    let p = Page::new(&page);
    if p.item_id(root.offset).is_none_or(|id| !id.is_used()) {
        return Ok(false);
    }
    let live = walk_hot_chain(&p, root, |_, _, h| {
        Ok(match satisfies_vacuum(h, oldest_xmin, env.tx)?.0 {
            HtsvResult::Dead => Continue(()),
            _ => Break(()),
        })
    })?;
    Ok(live.is_none())
}

/// The buffer of block `block` of `rel`, or None if the relation is shorter
/// (an index entry may point past a heap end VACUUM cut off). The size is
/// looked up only when the read fails, not for every fetch.
fn read_existing<'e>(
    env: &'e HeapEnv<'_, '_>,
    rel: RelFileLocator,
    block: BlockNumber,
) -> PgResult<Option<crate::buffer::PinnedBuffer<'e>>> {
    match env
        .bufmgr
        .read_buffer(tag(rel, block), ReadMode::Normal, None)
    {
        Ok(buf) => Ok(Some(buf)),
        Err(_) if block >= nblocks(env, rel)? => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What a unique-index check finds behind one index entry
/// ([`unique_probe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueProbe {
    /// No member of the chain is live or could become live: the entry does
    /// not conflict.
    NotLive,
    /// A member is live (committed, or ours): a duplicate key.
    Live,
    /// A member's fate depends on this running transaction (its inserter, or
    /// its deleter): wait for it and check again.
    InProgress(TransactionId),
}

/// Checks the HOT chain rooted at `root` for a unique-index insertion by
/// `me`, under PostgreSQL's SnapshotDirty rules (`_bt_check_unique` through
/// `heap_hot_search_buffer`): per member, in chain order,
///
/// 1. its inserter aborted: skip it;
/// 2. inserted by another running transaction: `InProgress(xmin)`;
/// 3. inserted by a committed transaction or by us, then by its xmax:
///    none, aborted or lock-only: `Live`; another running transaction:
///    `InProgress(xmax)`; committed, or us: deleted, so go on along the
///    chain if it was HOT-updated.
///
/// A chain that ends without a verdict, or a `root` that is DEAD, UNUSED or
/// past the end, is `NotLive`. Reads under a shared lock and sets no hint
/// bits.
pub fn unique_probe(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    root: ItemPointer,
    me: Me<'_>,
) -> PgResult<UniqueProbe> {
    use std::ops::ControlFlow::{Break, Continue};
    let Some(buf) = read_existing(env, rel, root.block)? else {
        return Ok(UniqueProbe::NotLive);
    };
    let mine = |xid: TransactionId| xid != crate::transam::INVALID_XID && me.xid == Some(xid);
    let page = buf.lock_shared();
    let found = walk_hot_chain(&Page::new(&page), root, |_, _, h| {
        let mask = h.infomask();
        let xmin = h.xmin();
        if mask & HEAP_XMIN_COMMITTED == 0 && !mine(xmin) {
            if mask & super::tuple::HEAP_XMIN_INVALID != 0 {
                return Ok(Continue(()));
            }
            match xmin_status(env.tx, xmin)? {
                XidStatus::InProgress => return Ok(Break(UniqueProbe::InProgress(xmin))),
                XidStatus::Committed => {}
                XidStatus::Aborted => return Ok(Continue(())),
            }
        }
        let xmax = h.xmax();
        if mask & HEAP_XMAX_INVALID != 0
            || xmax == crate::transam::INVALID_XID
            || xmax_is_locked_only(mask)
        {
            return Ok(Break(UniqueProbe::Live));
        }
        if mask & HEAP_XMAX_IS_MULTI != 0 {
            return Err(PgError::new(
                SqlState::DataCorrupted,
                format!("tuple has a multixact xmax {xmax} but multixacts are not supported"),
            ));
        }
        if mask & HEAP_XMAX_COMMITTED != 0 || mine(xmax) {
            return Ok(Continue(()));
        }
        Ok(match xmin_status(env.tx, xmax)? {
            XidStatus::InProgress => Break(UniqueProbe::InProgress(xmax)),
            XidStatus::Committed => Continue(()),
            XidStatus::Aborted => Break(UniqueProbe::Live),
        })
    })?;
    Ok(found.unwrap_or(UniqueProbe::NotLive))
}

/// Deletes the tuple at `tid` (`heap_delete`).
pub fn delete(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    w: &mut WriteXact<'_>,
) -> PgResult<ModifyResult> {
    modify(env, rel, tid, None, false, w).map(|(r, _)| r)
}

/// Replaces the tuple at `tid` by `new_tuple` (formed, header to be filled)
/// and returns what happened and, when done, the new version's address
/// (`heap_update`).
///
/// The update is HOT only if `hot_allowed` and the new version fits the old
/// one's page. The caller passes false when a column some index covers
/// changed: the new version then needs index entries of its own, so it must
/// be the root of a new chain rather than a member of the old one (it may
/// still land on the same page, as an ordinary tuple).
pub fn update(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    new_tuple: Vec<u8>,
    hot_allowed: bool,
    save_free: usize,
    w: &mut WriteXact<'_>,
) -> PgResult<(ModifyResult, Option<ItemPointer>)> {
    check_tuple_size(&new_tuple)?;
    modify(env, rel, tid, Some((new_tuple, save_free)), hot_allowed, w)
}

/// Sets xmax/cmax on the old version at `tid`, and its ctid to `new_ctid`,
/// or back to `tid` itself for a delete.
fn stamp_xmax(
    old: &mut [u8],
    tid: ItemPointer,
    w: &mut WriteXact<'_>,
    new_ctid: Option<ItemPointer>,
    hot: bool,
) -> PgResult<()> {
    let mut h = TupleHeaderMut::parse(old)?;
    let (xmin, old_cid, infomask, infomask2) = {
        let r = h.as_ref();
        (r.xmin(), r.cid(), r.infomask(), r.infomask2())
    };
    let (cid, combo) = if xmin == w.xid && infomask & HEAP_COMBOCID == 0 {
        (w.combocids.get_or_create(old_cid, w.cid), true)
    } else {
        (w.cid, false)
    };
    h.set_xmax(w.xid);
    h.set_cid(cid);
    h.clear_infomask(
        HEAP_XMAX_COMMITTED
            | HEAP_XMAX_INVALID
            | HEAP_XMAX_IS_MULTI
            | HEAP_LOCK_MASK
            | HEAP_XMAX_LOCK_ONLY
            | HEAP_COMBOCID,
    );
    if combo {
        h.add_infomask(HEAP_COMBOCID);
    }
    let mut f2 = infomask2 & HEAP_ONLY_TUPLE;
    match new_ctid {
        Some(ip) => {
            h.set_ctid(ip);
            if hot {
                f2 |= HEAP_HOT_UPDATED;
            }
        }
        None => {
            // A delete leaves no forward link: the ctid may still point at the
            // new version of an update that aborted, and a committed xmax with
            // a ctid elsewhere reads as an update (satisfies_update_at), which
            // would send a concurrent updater to that dead version or to
            // whatever row later reuses its line pointer.
            h.set_ctid(tid);
            f2 |= HEAP_KEYS_UPDATED;
        }
    }
    h.set_infomask2_flags(f2);
    Ok(())
}

fn prepare_new_version(new: &mut [u8], w: &WriteXact<'_>, hot: bool) -> PgResult<()> {
    let mut h = TupleHeaderMut::parse(new)?;
    h.set_xmin(w.xid);
    h.set_xmax(0);
    h.set_cid(w.cid);
    let mask = h.as_ref().infomask();
    h.set_infomask((mask & !super::tuple::HEAP_XACT_MASK) | HEAP_XMAX_INVALID | HEAP_UPDATED);
    h.set_infomask2_flags(if hot { HEAP_ONLY_TUPLE } else { 0 });
    Ok(())
}

/// `satisfies_update` for the tuple at `tid` on a page we hold exclusively,
/// recording the hint bits it learned; returns the verdict and the tuple's
/// ctid. `verb` names the operation in the error for a missing tuple.
fn check_for_change(
    page: &mut crate::buffer::BufferWriteGuard<'_>,
    tid: ItemPointer,
    verb: &str,
    w: &WriteXact<'_>,
    env: &HeapEnv<'_, '_>,
) -> PgResult<(TmResult, ItemPointer)> {
    let (result, hints, ctid) = {
        let p = Page::new(page);
        match p.item_id(tid.offset) {
            Some(id) if id.is_normal() => {}
            _ => {
                return Err(PgError::internal(format!(
                    "attempted to {verb} a tuple that is not there: {tid}"
                )));
            }
        }
        let h = TupleHeader::parse(p.get_item(tid.offset)?)?;
        let (r, hints) = satisfies_update_at(&h, tid, w.cid, w.me(), env.tx)?;
        (r, hints, h.ctid())
    };
    let hints = if page.commit_hints_allowed() {
        hints
    } else {
        hints & !(HEAP_XMIN_COMMITTED | HEAP_XMAX_COMMITTED)
    };
    if hints != 0 {
        let mut pm = PageMut::new(page);
        TupleHeaderMut::parse(pm.get_item_mut(tid.offset)?)?.add_infomask(hints);
        page.mark_dirty_hint()?;
    }
    Ok((result, ctid))
}

/// The check-wait-retry loop shared by delete and update.
fn modify(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    mut new_tuple: Option<(Vec<u8>, usize)>,
    hot_allowed: bool,
    w: &mut WriteXact<'_>,
) -> PgResult<(ModifyResult, Option<ItemPointer>)> {
    loop {
        let buf = env
            .bufmgr
            .read_buffer(tag(rel, tid.block), ReadMode::Normal, None)?;
        let mut page = buf.lock_exclusive();
        let (result, ctid) = check_for_change(&mut page, tid, "modify", w, env)?;
        match result {
            TmResult::Ok => {}
            TmResult::Invisible => {
                return Err(PgError::internal(format!(
                    "attempted to update invisible tuple {tid}"
                )));
            }
            TmResult::SelfModified => return Ok((ModifyResult::SelfModified, None)),
            // Our own row lock (a lock-only xmax of ours): we may change the row.
            TmResult::BeingModified(other) if other == w.xid => {}
            TmResult::BeingModified(other) => {
                drop(page);
                drop(buf);
                (w.wait_for_xid)(other)?;
                continue;
            }
            TmResult::Updated | TmResult::Deleted => {
                let deleted = result == TmResult::Deleted || ctid == tid;
                if w.transaction_snapshot {
                    return Err(concurrent_update_error(deleted));
                }
                drop(page);
                drop(buf);
                if deleted {
                    return Ok((ModifyResult::Gone, None));
                }
                // A chain that ends in a deleted version (or breaks) has no
                // newer row to re-check: the row is gone. Never hand out the
                // unverified ctid, whose line pointer may hold another row.
                return Ok((
                    latest_version_tid(env, rel, ctid, w)?
                        .map_or(ModifyResult::Gone, ModifyResult::Updated),
                    None,
                ));
            }
        }
        let before = page.before_image();
        super::visibilitymap::clear_for_change(env, rel, tid.block, &mut page)?;
        let Some((new, save_free)) = new_tuple.as_mut() else {
            let mut pm = PageMut::new(&mut page);
            stamp_xmax(pm.get_item_mut(tid.offset)?, tid, w, None, false)?;
            pm.set_prunable(w.xid);
            page.log_change(&before, PageOp::HeapDelete, w.xid)?;
            w.record(UndoRecord::Deleted { rel, tid });
            return Ok((ModifyResult::Done, None));
        };
        let need = maxalign(new.len());
        if PageMut::new(&mut page).as_page().heap_free_space() >= need {
            prepare_new_version(new, w, hot_allowed)?;
            let Some(ip) = add_to_page(&mut page, tid.block, new, need)? else {
                return Err(PgError::internal("page with room refused a tuple"));
            };
            let mut pm = PageMut::new(&mut page);
            stamp_xmax(pm.get_item_mut(tid.offset)?, tid, w, Some(ip), hot_allowed)?;
            pm.set_prunable(w.xid);
            let copy = version_copy(&before, &page, tid.offset, ip.offset)?;
            let op = if hot_allowed {
                PageOp::HeapHotUpdate
            } else {
                PageOp::HeapUpdate
            };
            page.log_change_copying(&before, op, w.xid, copy)?;
            w.record(UndoRecord::Updated {
                rel,
                old: tid,
                new: ip,
            });
            return Ok((ModifyResult::Done, Some(ip)));
        }
        // The new version goes to another page. Mark the old one as being
        // updated by us first (xmax set, ctid still self), so nobody else can
        // change it while we hold no lock on its page; then place the new
        // version and point the old one at it.
        {
            let mut pm = PageMut::new(&mut page);
            stamp_xmax(pm.get_item_mut(tid.offset)?, tid, w, None, false)?;
            pm.set_prunable(w.xid);
            page.log_change(&before, PageOp::HeapUpdate, w.xid)?;
        }
        drop(page);
        drop(buf);
        prepare_new_version(new, w, false)?;
        let ip = place_tuple(env, rel, new, Some(tid.block), w.xid, *save_free)?;
        let buf = env
            .bufmgr
            .read_buffer(tag(rel, tid.block), ReadMode::Normal, None)?;
        let mut page = buf.lock_exclusive();
        let before = page.before_image();
        let mut pm = PageMut::new(&mut page);
        let mut h = TupleHeaderMut::parse(pm.get_item_mut(tid.offset)?)?;
        h.set_ctid(ip);
        let f2 = h.as_ref().infomask2() & !HEAP_KEYS_UPDATED;
        h.set_infomask2_flags(f2);
        page.log_change(&before, PageOp::HeapUpdate, w.xid)?;
        w.record(UndoRecord::Updated {
            rel,
            old: tid,
            new: ip,
        });
        return Ok((ModifyResult::Done, Some(ip)));
    }
}

/// For the WAL record of an update on one page: the new version's column
/// data (after its header, which differs) as a copy of the old version's,
/// which `before` holds at `old`. The header bytes, and whatever columns
/// differ, are logged as literal bytes after the copy.
fn version_copy(
    before: &[u8; BLCKSZ],
    after: &[u8; BLCKSZ],
    old: OffsetNumber,
    new: OffsetNumber,
) -> PgResult<Option<wal::delta::Copy>> {
    let (Some(o), Some(n)) = (
        Page::new(before).item_id(old),
        Page::new(after).item_id(new),
    ) else {
        return Ok(None);
    };
    let old_hoff = TupleHeader::parse(Page::new(before).get_item(old)?)?.hoff();
    let new_hoff = TupleHeader::parse(Page::new(after).get_item(new)?)?.hoff();
    if old_hoff != new_hoff || !o.has_storage() || !n.has_storage() {
        return Ok(None);
    }
    let len = usize::from(o.len.min(n.len)).saturating_sub(new_hoff);
    Ok((len >= 16).then_some(wal::delta::Copy {
        dst: usize::from(n.off) + new_hoff,
        src: usize::from(o.off) + old_hoff,
        len,
    }))
}

/// Follows the update chain from `tid` to the newest version whose updater
/// committed (`heap_get_latest_tid` + the EvalPlanQual fetch): waits for a
/// running updater; returns None if the chain ends in a deleted or aborted
/// version.
pub fn latest_version_tid(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    w: &mut WriteXact<'_>,
) -> PgResult<Option<ItemPointer>> {
    chain_end(env, rel, tid, w, true)
}

/// [`latest_version_tid`]; with `wait_running` false, a version whose
/// updater is still running ends the walk (it is returned, and whoever locks
/// it meets that updater under its own wait policy).
fn chain_end(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    mut tid: ItemPointer,
    w: &mut WriteXact<'_>,
    wait_running: bool,
) -> PgResult<Option<ItemPointer>> {
    let mut prev_xmax: Option<TransactionId> = None;
    loop {
        if tid.block >= nblocks(env, rel)? {
            return Ok(None);
        }
        let (xmin, xmax, infomask, ctid) = {
            let buf = env
                .bufmgr
                .read_buffer(tag(rel, tid.block), ReadMode::Normal, None)?;
            let page = buf.lock_shared();
            let p = Page::new(&page);
            match p.item_id(tid.offset) {
                Some(id) if id.is_normal() => {}
                _ => return Ok(None),
            }
            let h = TupleHeader::parse(p.get_item(tid.offset)?)?;
            (h.xmin(), h.xmax(), h.infomask(), h.ctid())
        };
        // A version whose xmin is not the previous version's xmax belongs to
        // another chain (the slot was reused): the chain is broken.
        if prev_xmax.is_some_and(|x| x != xmin) {
            return Ok(None);
        }
        if xmin != w.xid && xmin_status(env.tx, xmin)? != XidStatus::Committed {
            return Ok(None);
        }
        if infomask & HEAP_XMAX_INVALID != 0 || infomask & HEAP_XMAX_LOCK_ONLY != 0 || xmax == 0 {
            return Ok(Some(tid));
        }
        if xmax == w.xid {
            return Ok(Some(tid));
        }
        if env.tx.is_in_progress(xmax) {
            if !wait_running {
                return Ok(Some(tid));
            }
            (w.wait_for_xid)(xmax)?;
            continue;
        }
        match env.tx.status(xmax)? {
            XidStatus::Committed if ctid != tid => {
                prev_xmax = Some(xmax);
                tid = ctid;
            }
            XidStatus::Committed => return Ok(None),
            _ => return Ok(Some(tid)),
        }
    }
}

fn xmin_status(tx: &Transam<'_>, xid: TransactionId) -> PgResult<XidStatus> {
    if tx.is_in_progress(xid) {
        return Ok(XidStatus::InProgress);
    }
    match tx.status(xid)? {
        XidStatus::Committed => Ok(XidStatus::Committed),
        _ => Ok(XidStatus::Aborted),
    }
}

/// The raw bytes of the tuple at `tid` whatever its visibility (for the
/// EvalPlanQual re-check of a version [`latest_version_tid`] returned).
pub fn fetch_any(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
) -> PgResult<Option<Vec<u8>>> {
    if tid.block >= nblocks(env, rel)? {
        return Ok(None);
    }
    let buf = env
        .bufmgr
        .read_buffer(tag(rel, tid.block), ReadMode::Normal, None)?;
    let page = buf.lock_shared();
    let p = Page::new(&page);
    match p.item_id(tid.offset) {
        Some(id) if id.is_normal() => Ok(Some(p.get_item(tid.offset)?.to_vec())),
        _ => Ok(None),
    }
}

/// The strength of a row lock (`SELECT ... FOR KEY SHARE | SHARE | NO KEY
/// UPDATE | UPDATE`), weakest first (PostgreSQL's `LockTupleMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowLockMode {
    KeyShare,
    Share,
    NoKeyUpdate,
    Update,
}

impl RowLockMode {
    /// The infomask lock bits (with `HEAP_XMAX_LOCK_ONLY`) and infomask2
    /// bits that record this lock in a tuple header.
    fn header_bits(self) -> (u16, u16) {
        match self {
            RowLockMode::KeyShare => (HEAP_XMAX_LOCK_ONLY | HEAP_XMAX_KEYSHR_LOCK, 0),
            RowLockMode::Share => (HEAP_XMAX_LOCK_ONLY | HEAP_XMAX_SHR_LOCK, 0),
            RowLockMode::NoKeyUpdate => (HEAP_XMAX_LOCK_ONLY | HEAP_XMAX_EXCL_LOCK, 0),
            RowLockMode::Update => (HEAP_XMAX_LOCK_ONLY | HEAP_XMAX_EXCL_LOCK, HEAP_KEYS_UPDATED),
        }
    }

    /// The lock a lock-only header records.
    fn from_header(infomask: u16, infomask2: u16) -> RowLockMode {
        match infomask & HEAP_LOCK_MASK {
            HEAP_XMAX_SHR_LOCK => RowLockMode::Share,
            HEAP_XMAX_KEYSHR_LOCK => RowLockMode::KeyShare,
            _ if infomask2 & HEAP_KEYS_UPDATED != 0 => RowLockMode::Update,
            _ => RowLockMode::NoKeyUpdate,
        }
    }
}

/// What to do when another transaction holds the row (PostgreSQL's
/// `LockWaitPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowLockWait {
    /// Wait for it to end, then look again.
    Block,
    /// `SKIP LOCKED`: report [`LockTupleResult::Skipped`].
    SkipLocked,
    /// `NOWAIT`: report [`LockTupleResult::WouldBlock`] (the caller raises
    /// 55P03 with the relation's name).
    NoWait,
}

/// What happened to a row that was to be locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockTupleResult {
    /// Our transaction holds the lock now (or already held one as strong).
    Locked,
    /// Held by another running transaction; `SKIP LOCKED`.
    Skipped,
    /// Held by running transaction `xid`; `NOWAIT`.
    WouldBlock(TransactionId),
    /// A concurrent committed transaction deleted it (READ COMMITTED: skip).
    Gone,
    /// A concurrent committed transaction updated it; the newest version is
    /// at this tid and is *not* locked yet (READ COMMITTED: re-check the
    /// quals on it, then lock it).
    Updated(ItemPointer),
    /// This very command already changed it (PostgreSQL ignores the row).
    SelfModified,
    /// Not visible to the command: inserted by this very command (INSERT ...
    /// ON CONFLICT meeting a row it proposed itself).
    Invisible,
}

/// Locks the tuple at `tid` for transaction `w` (`heap_lock_tuple`): xmax
/// becomes our xid with `HEAP_XMAX_LOCK_ONLY` and the mode's lock bits; the
/// tuple's data, xmin and cid are untouched, and it stays visible to all.
///
/// Without multixacts xmax names one transaction, so any lock or update held
/// by another running transaction is a conflict, whatever the two modes
/// (PostgreSQL lets FOR SHARE + FOR SHARE, and FOR KEY SHARE + anything but
/// FOR UPDATE, hold together): the second one waits. That is stricter, never
/// wrong. Our own lock is upgraded in place to the stronger mode.
pub fn lock_tuple(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    mode: RowLockMode,
    wait: RowLockWait,
    w: &mut WriteXact<'_>,
) -> PgResult<LockTupleResult> {
    loop {
        let buf = env
            .bufmgr
            .read_buffer(tag(rel, tid.block), ReadMode::Normal, None)?;
        let mut page = buf.lock_exclusive();
        let (result, ctid) = check_for_change(&mut page, tid, "lock", w, env)?;
        match result {
            TmResult::Ok => {}
            TmResult::Invisible => return Ok(LockTupleResult::Invisible),
            TmResult::SelfModified => return Ok(LockTupleResult::SelfModified),
            TmResult::BeingModified(other) if other == w.xid => {
                // Ours already: keep the stronger of the two locks.
                let (infomask, infomask2) = {
                    let h = TupleHeader::parse(Page::new(&page).get_item(tid.offset)?)?;
                    (h.infomask(), h.infomask2())
                };
                if RowLockMode::from_header(infomask, infomask2) >= mode {
                    return Ok(LockTupleResult::Locked);
                }
            }
            TmResult::BeingModified(other) => match wait {
                RowLockWait::Block => {
                    drop(page);
                    drop(buf);
                    (w.wait_for_xid)(other)?;
                    continue;
                }
                RowLockWait::SkipLocked => return Ok(LockTupleResult::Skipped),
                RowLockWait::NoWait => return Ok(LockTupleResult::WouldBlock(other)),
            },
            TmResult::Updated | TmResult::Deleted => {
                let deleted = result == TmResult::Deleted || ctid == tid;
                if w.transaction_snapshot {
                    // PostgreSQL's row locking says "update" for a delete too.
                    return Err(concurrent_update_error(false));
                }
                drop(page);
                drop(buf);
                if deleted {
                    return Ok(LockTupleResult::Gone);
                }
                // Blocking lockers wait for running updaters along the chain;
                // the others stop at such a version and meet its updater
                // when they lock it.
                let end = chain_end(env, rel, ctid, w, wait == RowLockWait::Block)?;
                return Ok(end.map_or(LockTupleResult::Gone, LockTupleResult::Updated));
            }
        }
        let before = page.before_image();
        let mut pm = PageMut::new(&mut page);
        stamp_lock(pm.get_item_mut(tid.offset)?, tid, w.xid, mode)?;
        page.log_change(&before, PageOp::HeapLock, w.xid)?;
        return Ok(LockTupleResult::Locked);
    }
}

/// Records `xid`'s lock of strength `mode` in the header of the tuple at `tid`.
/// The cid is left alone (it may hold our cmin); the ctid is reset to the
/// tuple itself, dropping a link left by an aborted update.
fn stamp_lock(
    tuple: &mut [u8],
    tid: ItemPointer,
    xid: TransactionId,
    mode: RowLockMode,
) -> PgResult<()> {
    let mut h = TupleHeaderMut::parse(tuple)?;
    let infomask2 = h.as_ref().infomask2();
    let (bits, bits2) = mode.header_bits();
    h.set_xmax(xid);
    h.clear_infomask(
        HEAP_XMAX_COMMITTED
            | HEAP_XMAX_INVALID
            | HEAP_XMAX_IS_MULTI
            | HEAP_LOCK_MASK
            | HEAP_XMAX_LOCK_ONLY,
    );
    h.add_infomask(bits);
    h.set_ctid(tid);
    h.set_infomask2_flags((infomask2 & HEAP_ONLY_TUPLE) | bits2);
    Ok(())
}

/// Takes back one change of transaction `xid` (ROLLBACK TO SAVEPOINT): an
/// inserted version is marked as never having existed (xmin invalid), a
/// deleted or updated one gets its xmax, cmax and ctid back as they were.
/// PostgreSQL gives each subtransaction its own xid and aborts that instead;
/// we have one xid per transaction and revert the tuples themselves, under
/// the page's exclusive lock, so no other backend ever sees the difference
/// (it sees the transaction as running either way).
pub fn undo(
    env: &HeapEnv<'_, '_>,
    rec: &UndoRecord,
    xid: TransactionId,
    combocids: &ComboCids,
) -> PgResult<()> {
    match *rec {
        UndoRecord::Inserted { rel, tid } => revert_insert(env, rel, tid, xid),
        UndoRecord::Deleted { rel, tid } => revert_xmax(env, rel, tid, xid, combocids),
        UndoRecord::Updated { rel, old, new } => {
            revert_insert(env, rel, new, xid)?;
            revert_xmax(env, rel, old, xid, combocids)
        }
    }
}

/// Reads and possibly rewrites, in place and outside any transaction's
/// visibility, the data (the bytes after the header) of the tuple at `tid`:
/// a sequence's one row, which `nextval` changes for everybody at once
/// (PostgreSQL's `nextval_internal` on the sequence's buffer). `f` sees the
/// current data and returns its result and, if the row is to change, the
/// new data of the same length; the change is WAL-logged under `xid`. The
/// page's exclusive lock serialises callers.
pub fn rewrite_in_place<R>(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    xid: TransactionId,
    f: impl FnOnce(&[u8]) -> PgResult<(R, Option<Vec<u8>>)>,
) -> PgResult<R> {
    let buf = env
        .bufmgr
        .read_buffer(tag(rel, tid.block), ReadMode::Normal, None)?;
    let mut page = buf.lock_exclusive();
    let before = page.before_image();
    let mut pm = PageMut::new(&mut page);
    if !pm
        .as_page()
        .item_id(tid.offset)
        .is_some_and(|id| id.is_normal())
    {
        return Err(PgError::internal(format!(
            "no tuple at {tid} of relation {rel:?}"
        )));
    }
    let item = pm.get_item_mut(tid.offset)?;
    let hoff = TupleHeader::parse(item)?.hoff();
    let (out, new) = f(&item[hoff..])?;
    let Some(new) = new else {
        return Ok(out);
    };
    if new.len() != item.len() - hoff {
        return Err(PgError::internal(
            "in-place rewrite changes the tuple's size",
        ));
    }
    item[hoff..].copy_from_slice(&new);
    page.log_change(&before, PageOp::HeapInplace, xid)?;
    Ok(out)
}

/// Changes the header of the tuple at `tid` for savepoint rollback. With
/// `gone_ok`, a line pointer that holds no tuple any more (DEAD, UNUSED or a
/// REDIRECT, because pruning removed a version whose insert was already
/// taken back) is left alone; otherwise it is an internal error: a version
/// we deleted or updated cannot have been pruned while we run.
fn with_tuple_mut(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    xid: TransactionId,
    gone_ok: bool,
    f: impl FnOnce(&mut TupleHeaderMut<'_>),
) -> PgResult<()> {
    let buf = env
        .bufmgr
        .read_buffer(tag(rel, tid.block), ReadMode::Normal, None)?;
    let mut page = buf.lock_exclusive();
    let before = page.before_image();
    let mut pm = PageMut::new(&mut page);
    match pm.as_page().item_id(tid.offset) {
        Some(id) if id.is_normal() => {}
        Some(_) if gone_ok => return Ok(()),
        _ => {
            return Err(PgError::internal(format!(
                "savepoint rollback: no tuple at {tid}"
            )));
        }
    }
    let mut h = TupleHeaderMut::parse(pm.get_item_mut(tid.offset)?)?;
    f(&mut h);
    page.log_change(&before, PageOp::HeapInplace, xid)?;
    Ok(())
}

fn revert_insert(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    xid: TransactionId,
) -> PgResult<()> {
    with_tuple_mut(env, rel, tid, xid, true, |h| {
        if h.as_ref().xmin() == xid {
            h.set_xmin(crate::transam::INVALID_XID);
            h.clear_infomask(super::tuple::HEAP_XMIN_COMMITTED);
            h.add_infomask(super::tuple::HEAP_XMIN_INVALID);
        }
    })
}

fn revert_xmax(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    tid: ItemPointer,
    xid: TransactionId,
    combocids: &ComboCids,
) -> PgResult<()> {
    with_tuple_mut(env, rel, tid, xid, false, |h| {
        let r = h.as_ref();
        if r.xmax() != xid {
            return;
        }
        let (mask, mask2, cid) = (r.infomask(), r.infomask2(), r.cid());
        if mask & HEAP_COMBOCID != 0
            && let Some((cmin, _)) = combocids.resolve(cid)
        {
            h.set_cid(cmin);
        }
        h.set_xmax(0);
        h.set_ctid(tid);
        h.clear_infomask(
            HEAP_COMBOCID
                | HEAP_XMAX_COMMITTED
                | HEAP_XMAX_IS_MULTI
                | HEAP_LOCK_MASK
                | HEAP_XMAX_LOCK_ONLY,
        );
        h.add_infomask(HEAP_XMAX_INVALID);
        h.set_infomask2_flags(mask2 & !(HEAP_KEYS_UPDATED | HEAP_HOT_UPDATED));
    })
}
