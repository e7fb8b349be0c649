//! Descending the tree, inserting, splitting pages and checking uniqueness
//! (PostgreSQL's `nbtsearch.c` descent and `nbtinsert.c`). Rules in
//! `README.md`.

use std::cmp::Ordering;

use types::{Datum, PgError, PgResult, SqlState};
use wal::record::PageOp;

use super::IndexDesc;
use super::itup::{IndexTuple, ScanKey, compare, form_leaf, make_pivot, minus_infinity, separator};
use super::page::{
    BTP_LEAF, BTP_ROOT, META_BLOCK, Meta, Opaque, P_NONE, first_key, init_page, item, max_offset,
    opaque, read_meta, write_meta,
};
use crate::buffer::{BufferTag, ForkNumber, OwnedWriteGuard, PinnedBuffer, ReadMode};
use crate::heap::heapam::HeapEnv;
use crate::page::{AddItemFlags, ITEM_ID_SIZE, OffsetNumber, Page, PageMut, maxalign};
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};
use crate::transam::TransactionId;

pub(crate) fn tag(rel: RelFileLocator, block: BlockNumber) -> BufferTag {
    BufferTag::new(rel, ForkNumber::Main, block)
}

pub(crate) fn read<'e>(
    env: &'e HeapEnv<'_, '_>,
    rel: RelFileLocator,
    block: BlockNumber,
) -> PgResult<PinnedBuffer<'e>> {
    env.bufmgr
        .read_buffer(tag(rel, block), ReadMode::Normal, None)
        .map_err(PgError::from)
}

thread_local! {
    /// Per index file, the metapage's root as this backend last read it.
    static META_CACHE: std::cell::RefCell<std::collections::HashMap<RelFileLocator, Meta>> = Default::default();
}

fn cached_meta(rel: RelFileLocator) -> Option<Meta> {
    META_CACHE.with(|c| c.borrow().get(&rel).copied())
}

fn remember_meta(rel: RelFileLocator, meta: Meta) {
    META_CACHE.with(|c| c.borrow_mut().insert(rel, meta));
}

fn forget_meta(rel: RelFileLocator) {
    META_CACHE.with(|c| c.borrow_mut().remove(&rel));
}

/// The root and its level, from the metapage.
pub(crate) fn get_meta(env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<Meta> {
    let buf = read(env, rel, META_BLOCK)?;
    let page = buf.lock_shared();
    read_meta(&page)
}

/// The first offset at or after the page's first entry whose item orders
/// after `key` (max + 1 if none): for a search key without a tid, the
/// first entry >= the key (> with `nextkey`); for an insertion key, where
/// the new entry goes (`_bt_binsrch`).
pub(crate) fn first_greater(
    desc: &IndexDesc,
    page: &[u8; BLCKSZ],
    o: &Opaque,
    key: &ScanKey,
) -> PgResult<OffsetNumber> {
    let (mut lo, mut hi) = (first_key(o), max_offset(page) + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if compare(desc, key, item(page, mid)?)? == Ordering::Less {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}

/// On an internal page: the downlink whose range holds `key` (the last
/// entry <= key) and its offset.
pub(crate) fn choose_child(
    desc: &IndexDesc,
    page: &[u8; BLCKSZ],
    o: &Opaque,
    key: &ScanKey,
) -> PgResult<(OffsetNumber, BlockNumber)> {
    let off = first_greater(desc, page, o, key)?
        .saturating_sub(1)
        .max(first_key(o));
    if off > max_offset(page) {
        return Err(corrupt(format!(
            "internal page of index \"{}\" has no downlinks",
            desc.name
        )));
    }
    Ok((off, IndexTuple::parse(item(page, off)?)?.downlink()))
}

/// Whether `key` belongs right of this page: it has a right sibling and
/// the key is >= its high key (Lehman & Yao's move right), or the page was
/// deleted.
pub(crate) fn must_move_right(
    desc: &IndexDesc,
    page: &[u8; BLCKSZ],
    o: &Opaque,
    key: &ScanKey,
) -> PgResult<bool> {
    // A deleted page's range went to its right sibling.
    Ok(o.is_deleted()
        || (!o.is_rightmost() && compare(desc, key, item(page, 1)?)? != Ordering::Less))
}

pub(crate) fn corrupt(message: String) -> PgError {
    PgError::new(SqlState::IndexCorrupted, message)
}

/// One internal page passed on the way down and the downlink taken there.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StackEntry {
    pub block: BlockNumber,
    pub off: OffsetNumber,
}

/// Descends with shared locks, one page at a time, to the leaf where `key`
/// belongs; returns the path and the leaf's block, unlocked (the caller
/// locks it and moves right if it split meanwhile).
pub(crate) fn descend(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    key: &ScanKey,
) -> PgResult<(Vec<StackEntry>, BlockNumber)> {
    // The metapage is read once per backend while the root stays the same
    // internal page (PostgreSQL's cached rd_amcache); a root that is no
    // longer root, or a cached leaf root, sends us back to the metapage.
    let cached = cached_meta(rel);
    let mut from_cache = cached.is_some();
    let mut meta = match cached {
        Some(m) => m,
        None => get_meta(env, rel)?,
    };
    if meta.level == 0 {
        forget_meta(rel);
        return Ok((Vec::new(), meta.root));
    }
    remember_meta(rel, meta);
    let mut stack = Vec::new();
    let mut block = meta.root;
    let mut at_root = true;
    loop {
        // A remembered root that cannot be read as a page (the file is
        // another index's now) sends us back to the metapage too.
        let buf = match read(env, rel, block) {
            Ok(b) => Some(b),
            Err(e) if !(at_root && from_cache) => return Err(e),
            Err(_) => None,
        };
        let page = buf.as_ref().map(|b| b.lock_shared());
        let o = match page.as_ref().map(|p| opaque(p)) {
            Some(Ok(o)) => Some(o),
            Some(Err(e)) if !(at_root && from_cache) => return Err(e),
            _ => None,
        };
        // The root we went to must still be the root (else it split or the
        // metapage moved on since we read it).
        let current = match (page, o) {
            (Some(page), Some(o)) if !(at_root && (!o.is_root() || o.level != meta.level)) => {
                Some((page, o))
            }
            _ => None,
        };
        let Some((page, o)) = current else {
            from_cache = false;
            forget_meta(rel);
            meta = get_meta(env, rel)?;
            if meta.level == 0 {
                return Ok((Vec::new(), meta.root));
            }
            remember_meta(rel, meta);
            block = meta.root;
            continue;
        };
        at_root = false;
        if must_move_right(desc, &page, &o, key)? {
            block = o.next;
            continue;
        }
        if o.is_leaf() {
            return Ok((stack, block));
        }
        let (off, child) = choose_child(desc, &page, &o, key)?;
        stack.push(StackEntry { block, off });
        block = child;
        if o.level == 1 {
            return Ok((stack, block));
        }
    }
}

/// Descends to the leaf for `key` and locks it exclusively, moving right
/// (releasing each page before locking its sibling) until it is the page.
fn lock_leaf<'e>(
    env: &'e HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    key: &ScanKey,
) -> PgResult<(Vec<StackEntry>, OwnedWriteGuard<'e>)> {
    let (stack, mut block) = descend(env, rel, desc, key)?;
    loop {
        let leaf = OwnedWriteGuard::lock(read(env, rel, block)?);
        let o = opaque(&leaf)?;
        if !must_move_right(desc, &leaf, &o, key)? {
            return Ok((stack, leaf));
        }
        block = o.next;
    }
}

/// What a unique-index check learned about an existing entry's heap row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueProbe {
    /// No version of the row is live (or it is being inserted by a
    /// transaction that aborted): no conflict.
    NotLive,
    /// A live row (committed, or ours): a duplicate.
    Live,
    /// A transaction that is still running inserted or deleted it: wait
    /// for it and try again.
    InProgress(TransactionId),
}

/// The outcome of [`insert`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// A unique index already has a live entry with these key values,
    /// pointing at this heap tuple; nothing was inserted.
    Duplicate(crate::page::ItemPointer),
    /// A running transaction holds an entry with these key values: nothing
    /// was inserted; wait for it to end, then call again.
    Wait(TransactionId),
}

/// Tells whether no snapshot can see the heap row an entry points at.
pub type DeadCheck<'a> = &'a mut dyn FnMut(crate::page::ItemPointer) -> PgResult<bool>;

/// At most this many heap rows are checked when a full leaf is cleared of
/// old versions.
const MAX_DEAD_CHECKS: usize = 256;

/// Inserts an entry for heap tuple `tid` with index columns `values`:
/// [`insert_entry`] without clearing old versions.
pub fn insert(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    values: &[Datum],
    tid: crate::page::ItemPointer,
    probe: Option<&mut dyn FnMut(crate::page::ItemPointer) -> PgResult<UniqueProbe>>,
) -> PgResult<InsertOutcome> {
    insert_entry(env, rel, desc, values, tid, probe, None)
}

/// Inserts an entry for heap tuple `tid` with index columns `values`
/// (`_bt_doinsert`). With `probe`, a unique index first checks the live
/// entries with equal keys (`_bt_check_unique`): `probe` tells whether the
/// heap row an entry points at is live. NULL keys never conflict unless
/// the index is NULLS NOT DISTINCT.
///
/// With `dead` (the caller's row is a new version whose old one has
/// entries too, as after an update that was not HOT), a leaf with no room
/// for the entry is first cleared of entries of old row versions: entries
/// with duplicate keys whose heap rows `dead` says no snapshot can see
/// (PostgreSQL's bottom-up deletion), so that version churn does not split
/// pages until VACUUM comes.
pub fn insert_entry(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    values: &[Datum],
    tid: crate::page::ItemPointer,
    probe: Option<&mut dyn FnMut(crate::page::ItemPointer) -> PgResult<UniqueProbe>>,
    dead: Option<DeadCheck<'_>>,
) -> PgResult<InsertOutcome> {
    let itup = form_leaf(desc, values, tid)?;
    let keys = values[..desc.nkeyatts].to_vec();
    let checking = desc.unique && (desc.nulls_not_distinct || !keys.iter().any(Datum::is_null));
    let probe = if checking { probe } else { None };
    let mut key = ScanKey {
        values: keys,
        tid: probe.is_none().then_some(tid),
        nextkey: false,
    };
    let (stack, mut leaf) = lock_leaf(env, rel, desc, &key)?;
    if let Some(probe) = probe {
        if let Some(outcome) = check_unique(env, rel, desc, &leaf, &key, probe)? {
            return Ok(outcome);
        }
        // Where this very entry goes may be further right: step right
        // locking each sibling before releasing the page held, so that no
        // other inserter of the key can slip between the check and the
        // insertion.
        key.tid = Some(tid);
        loop {
            let o = opaque(&leaf)?;
            if !must_move_right(desc, &leaf, &o, &key)? {
                break;
            }
            let next = OwnedWriteGuard::lock(read(env, rel, o.next)?);
            leaf = next;
        }
    }
    let mut ins = Insertion {
        env,
        rel,
        desc,
        held: Held::default(),
        stack,
    };
    ins.held.add(leaf);
    let page = ins.held.page(0);
    // A full leaf first drops the entries scans marked dead (PostgreSQL's
    // simple deletion), then, for a new row version, entries of old versions;
    // either is logged with the insertion (the held page's record covers it).
    let room = |page: &[u8; BLCKSZ]| Page::new(page).free_space() >= maxalign(itup.len());
    if !room(page) {
        delete_killed(page)?;
    }
    if let Some(dead) = dead
        && !room(page)
    {
        delete_old_versions(desc, page, dead)?;
    }
    let o = opaque(page)?;
    let off = first_greater(desc, page, &o, &key)?;
    let op = ins.place(0, off, itup)?;
    ins.held.log(op)?;
    Ok(InsertOutcome::Inserted)
}

/// Removes the entries of leaf `page` that scans marked dead.
fn delete_killed(page: &mut [u8; BLCKSZ]) -> PgResult<usize> {
    let killed: Vec<OffsetNumber> = (1..=max_offset(page))
        .filter(|&off| super::scan::is_killed(page, off))
        .collect();
    if killed.is_empty() {
        return Ok(0);
    }
    super::maint::remove_entries(page, |off, _| Ok(killed.contains(&off)))
}

/// Removes from a full leaf the entries of row versions no snapshot can
/// see, looking only at entries whose keys equal a neighbour's (versions of
/// one row share its key) and at no more than [`MAX_DEAD_CHECKS`] of them.
fn delete_old_versions(
    desc: &IndexDesc,
    page: &mut [u8; BLCKSZ],
    dead: DeadCheck<'_>,
) -> PgResult<usize> {
    let o = opaque(page)?;
    let first = first_key(&o);
    let mut keys = Vec::new();
    for off in first..=max_offset(page) {
        keys.push(IndexTuple::parse(item(page, off)?)?.keys(desc)?);
    }
    let equal = |a: usize, b: usize| -> PgResult<bool> {
        Ok(super::itup::cmp_keys(desc, &keys[a], &keys[b])? == Ordering::Equal)
    };
    let mut duplicate = vec![false; keys.len()];
    for i in 1..keys.len() {
        if equal(i - 1, i)? {
            duplicate[i - 1] = true;
            duplicate[i] = true;
        }
    }
    let mut checks = 0;
    super::maint::remove_entries(page, |off, tid| {
        let i = usize::from(off - first);
        if !duplicate[i] || checks >= MAX_DEAD_CHECKS {
            return Ok(false);
        }
        checks += 1;
        dead(tid)
    })
}

/// Checks the entries equal to `key` from its first position on the leaf
/// held (and right siblings while their high key still equals it).
fn check_unique(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    leaf: &[u8; BLCKSZ],
    key: &ScanKey,
    probe: &mut dyn FnMut(crate::page::ItemPointer) -> PgResult<UniqueProbe>,
) -> PgResult<Option<InsertOutcome>> {
    let mut candidates = Vec::new();
    let mut next = collect_equal(desc, leaf, key, true, &mut candidates)?;
    while let Some(block) = next {
        let buf = read(env, rel, block)?;
        let page = buf.lock_shared();
        next = collect_equal(desc, &page, key, false, &mut candidates)?;
    }
    for tid in candidates {
        match probe(tid)? {
            UniqueProbe::NotLive => {}
            UniqueProbe::Live => return Ok(Some(InsertOutcome::Duplicate(tid))),
            UniqueProbe::InProgress(xid) => return Ok(Some(InsertOutcome::Wait(xid))),
        }
    }
    Ok(None)
}

/// Adds the heap tids of the entries of `page` whose keys equal `key`'s;
/// returns the right sibling if equal entries may continue there.
fn collect_equal(
    desc: &IndexDesc,
    page: &[u8; BLCKSZ],
    key: &ScanKey,
    search: bool,
    out: &mut Vec<crate::page::ItemPointer>,
) -> PgResult<Option<BlockNumber>> {
    let o = opaque(page)?;
    if o.is_deleted() {
        return Ok(Some(o.next));
    }
    let start = if search {
        first_greater(desc, page, &o, key)?
    } else {
        first_key(&o)
    };
    for off in start..=max_offset(page) {
        let t = IndexTuple::parse(item(page, off)?)?;
        if super::itup::cmp_keys(desc, &key.values, &t.keys(desc)?)? != Ordering::Equal {
            return Ok(None);
        }
        // An entry marked dead points at a row no snapshot sees: no conflict.
        if let Some(tid) = t.heap_tid()
            && !super::scan::is_killed(page, off)
        {
            out.push(tid);
        }
    }
    if o.is_rightmost() {
        return Ok(None);
    }
    let high = IndexTuple::parse(item(page, 1)?)?;
    let equal = super::itup::cmp_keys(desc, &key.values, &high.keys(desc)?)? == Ordering::Equal;
    Ok(equal.then_some(o.next))
}

/// The pages an insertion holds, with their images from before it changed
/// them: all are logged as one record at the end (a split and the
/// insertions it causes further up are atomic).
#[derive(Default)]
pub(crate) struct Held<'e> {
    pages: Vec<(OwnedWriteGuard<'e>, Box<[u8; BLCKSZ]>)>,
}

impl<'e> Held<'e> {
    pub(crate) fn add(&mut self, g: OwnedWriteGuard<'e>) -> usize {
        let before = g.before_image();
        self.pages.push((g, before));
        self.pages.len() - 1
    }

    pub(crate) fn page(&mut self, i: usize) -> &mut OwnedWriteGuard<'e> {
        &mut self.pages[i].0
    }

    pub(crate) fn log(mut self, op: PageOp) -> PgResult<()> {
        let (mut guards, befores): (Vec<&mut OwnedWriteGuard<'e>>, Vec<&[u8; BLCKSZ]>) =
            self.pages.iter_mut().map(|(g, b)| (g, &**b)).unzip();
        OwnedWriteGuard::log_changes(&mut guards, &befores, op)
    }
}

fn add_at(page: &mut [u8; BLCKSZ], it: &[u8], off: OffsetNumber) -> PgResult<bool> {
    Ok(PageMut::new(page)
        .add_item(it, Some(off), AddItemFlags::default())?
        .is_some())
}

/// One insertion under way: the index, the pages it holds (all logged as
/// one record at the end) and the internal pages its descent passed.
struct Insertion<'e, 'd, 'x, 'y> {
    env: &'e HeapEnv<'x, 'y>,
    rel: RelFileLocator,
    desc: &'d IndexDesc,
    held: Held<'e>,
    stack: Vec<StackEntry>,
}

impl<'e> Insertion<'e, '_, '_, '_> {
    /// Puts `it` at `off` on held page `idx`, splitting it (and its parents)
    /// if it does not fit. Returns the kind of record that describes it all.
    fn place(&mut self, idx: usize, off: OffsetNumber, it: Vec<u8>) -> PgResult<PageOp> {
        let held = &mut self.held;
        let o = opaque(held.page(idx))?;
        if add_at(held.page(idx), &it, off)? {
            return Ok(if idx > 0 {
                PageOp::BtreeSplit
            } else if o.is_leaf() {
                PageOp::BtreeInsertLeaf
            } else {
                PageOp::BtreeInsertUpper
            });
        }
        self.split(idx, off, it)
    }
}

/// Bytes an item takes on a page, with its line pointer.
fn footprint(it: &[u8]) -> usize {
    maxalign(it.len()) + ITEM_ID_SIZE
}

const USABLE: usize = BLCKSZ - maxalign(crate::page::HEADER_SIZE) - super::page::SPECIAL_SIZE;

/// Where to split `items` (the page's entries with the new one in place):
/// the first index that goes right. A rightmost page that grows at its end
/// (ascending inserts) keeps its left half full to the fill factor (90%
/// for leaves, 70% above, as PostgreSQL); otherwise the split is even.
/// Both halves must fit with their high keys.
fn choose_split(
    desc: &IndexDesc,
    items: &[Vec<u8>],
    o: &Opaque,
    ascending: bool,
    old_high: Option<&[u8]>,
) -> PgResult<usize> {
    let total: usize = items.iter().map(|i| footprint(i)).sum();
    let target = if ascending {
        USABLE
            * if o.is_leaf() {
                desc.leaf_fillfactor
            } else {
                70
            }
            / 100
    } else {
        total / 2
    };
    let right_fixed = old_high.map_or(0, footprint);
    let mut best = None;
    let mut left = 0usize;
    for s in 1..items.len() {
        left += footprint(&items[s - 1]);
        let high = footprint(&make_pivot(desc, &items[s], 0, true)?);
        let right = total - left + right_fixed;
        if left + high <= USABLE && right <= USABLE {
            best = Some(s);
            if left >= target {
                break;
            }
        } else if best.is_some() {
            break;
        }
    }
    best.ok_or_else(|| {
        corrupt(format!(
            "could not find a split point for a page of index \"{}\"",
            desc.name
        ))
    })
}

/// A new page, locked: a deleted page nobody can reach any more
/// (`pagedel::reusable_page`), or one added at the end of the index.
pub(crate) fn new_page<'e>(
    env: &'e HeapEnv<'_, '_>,
    rel: RelFileLocator,
) -> PgResult<OwnedWriteGuard<'e>> {
    if let Some(g) = super::pagedel::reusable_page(env, rel)? {
        return Ok(g);
    }
    env.extension_lock.lock(rel)?;
    let pin = (|| {
        let block = env.store.smgr().nblocks(rel, ForkNumber::Main)?;
        env.store
            .smgr()
            .extend(rel, ForkNumber::Main, block, &[0u8; BLCKSZ], false)?;
        env.bufmgr
            .read_buffer(tag(rel, block), ReadMode::Zero, None)
            .map_err(PgError::from)
    })();
    env.extension_lock.unlock(rel);
    Ok(OwnedWriteGuard::lock(pin?))
}

impl<'e> Insertion<'e, '_, '_, '_> {
    /// Splits held page `idx` to make room for `it` at `off` (`_bt_split`),
    /// then inserts the downlink to the new right page into the parent.
    fn split(&mut self, idx: usize, off: OffsetNumber, it: Vec<u8>) -> PgResult<PageOp> {
        let (env, rel, desc) = (self.env, self.rel, self.desc);
        let held = &mut self.held;
        let left_block = held.page(idx).tag().block;
        let (o, old_high, mut items) = {
            let page = held.page(idx);
            let o = opaque(page)?;
            let old_high = if o.is_rightmost() {
                None
            } else {
                Some(item(page, 1)?.to_vec())
            };
            let items: Vec<Vec<u8>> = (first_key(&o)..=max_offset(page))
                .map(|i| item(page, i).map(<[u8]>::to_vec))
                .collect::<PgResult<_>>()?;
            (o, old_high, items)
        };
        let at = usize::from(off - first_key(&o));
        items.insert(at, it);
        let ascending = o.is_rightmost() && at == items.len() - 1;
        let s = choose_split(desc, &items, &o, ascending, old_high.as_deref())?;

        let right = new_page(env, rel)?;
        let right_block = right.tag().block;
        let right_idx = held.add(right);
        let separator = separator(desc, &items[s - 1], &items[s], right_block)?;
        let leaf_flag = o.flags & BTP_LEAF;

        // The right page: the old high key, then the upper half (on an internal
        // page the first entry becomes minus infinity: its key moves up).
        {
            let page = held.page(right_idx);
            init_page(
                page,
                &Opaque {
                    prev: left_block,
                    next: o.next,
                    level: o.level,
                    flags: leaf_flag,
                },
            );
            let mut n: OffsetNumber = 1;
            if let Some(h) = &old_high {
                add_page_item(page, h, &mut n)?;
            }
            for (j, t) in items[s..].iter().enumerate() {
                if j == 0 && !o.is_leaf() {
                    add_page_item(
                        page,
                        &minus_infinity(IndexTuple::parse(t)?.downlink()),
                        &mut n,
                    )?;
                } else {
                    add_page_item(page, t, &mut n)?;
                }
            }
        }
        // The left page, rebuilt: the separator as its high key, the lower half.
        {
            let page = held.page(idx);
            let lsn = crate::buffer::page_lsn(page);
            init_page(
                page,
                &Opaque {
                    prev: o.prev,
                    next: right_block,
                    level: o.level,
                    flags: o.flags & !BTP_ROOT,
                },
            );
            crate::buffer::set_page_lsn(page, lsn);
            let mut n: OffsetNumber = 1;
            add_page_item(
                page,
                &super::itup::with_downlink(&separator, P_NONE),
                &mut n,
            )?;
            for t in &items[..s] {
                add_page_item(page, t, &mut n)?;
            }
        }
        // The old right sibling now has the new page on its left.
        if o.next != P_NONE {
            let sib = OwnedWriteGuard::lock(read(env, rel, o.next)?);
            let i = held.add(sib);
            let page = held.page(i);
            let mut so = opaque(page)?;
            so.prev = right_block;
            super::page::set_opaque(page, &so);
        }
        if o.is_root() {
            self.new_root(left_block, separator, o.level + 1)?;
            return Ok(PageOp::BtreeNewRoot);
        }
        let (pidx, poff) = self.find_parent(left_block, o.level + 1, &separator)?;
        match self.place(pidx, poff + 1, separator)? {
            PageOp::BtreeNewRoot => Ok(PageOp::BtreeNewRoot),
            _ => Ok(PageOp::BtreeSplit),
        }
    }
}

fn add_page_item(page: &mut [u8; BLCKSZ], it: &[u8], n: &mut OffsetNumber) -> PgResult<()> {
    if !add_at(page, it, *n)? {
        return Err(PgError::internal(format!(
            "btree split: item of {} bytes does not fit its half",
            it.len()
        )));
    }
    *n += 1;
    Ok(())
}

impl<'e> Insertion<'e, '_, '_, '_> {
    /// A new root above the old one (`_bt_newroot`): minus infinity down to
    /// the left half, the separator down to the right; the metapage points at it.
    fn new_root(&mut self, left: BlockNumber, separator: Vec<u8>, level: u32) -> PgResult<()> {
        let (env, rel) = (self.env, self.rel);
        let held = &mut self.held;
        let root = new_page(env, rel)?;
        let root_block = root.tag().block;
        let i = held.add(root);
        let page = held.page(i);
        init_page(
            page,
            &Opaque {
                prev: P_NONE,
                next: P_NONE,
                level,
                flags: BTP_ROOT,
            },
        );
        let mut n: OffsetNumber = 1;
        add_page_item(page, &minus_infinity(left), &mut n)?;
        add_page_item(page, &separator, &mut n)?;
        let meta = OwnedWriteGuard::lock(read(env, rel, META_BLOCK)?);
        let m = held.add(meta);
        write_meta(
            held.page(m),
            &Meta {
                root: root_block,
                level,
            },
        );
        Ok(())
    }

    /// Locks the parent of `child` (at `level`) exclusively and returns its
    /// place in `held` and the offset of the downlink to `child`
    /// (`_bt_getstackbuf`): from the page the descent passed through, moving
    /// right if it split since; if the descent did not pass through that
    /// level (the root split after it read the metapage), from a new descent
    /// toward the separator.
    fn find_parent(
        &mut self,
        child: BlockNumber,
        level: u32,
        separator: &[u8],
    ) -> PgResult<(usize, OffsetNumber)> {
        let (env, rel, desc) = (self.env, self.rel, self.desc);
        // The downlink is usually at or after the offset the descent used.
        let mut from = 0;
        let mut block = match self.stack.pop() {
            Some(e) => {
                from = e.off;
                e.block
            }
            None => {
                let t = IndexTuple::parse(separator)?;
                let key = ScanKey {
                    values: t.keys(desc)?,
                    tid: t.heap_tid(),
                    nextkey: false,
                };
                page_at_level(env, rel, desc, &key, level)?
            }
        };
        loop {
            let g = OwnedWriteGuard::lock(read(env, rel, block)?);
            let o = opaque(&g)?;
            // From where the descent went on, then (a page deletion moved
            // a downlink one to the left) the entries before it.
            let max = max_offset(&g);
            let start = first_key(&o).max(from);
            let mut found = None;
            for off in (start..=max).chain(first_key(&o)..start.min(max + 1)) {
                if IndexTuple::parse(item(&g, off)?)?.downlink() == child {
                    found = Some(off);
                    break;
                }
            }
            if let Some(off) = found {
                return Ok((self.held.add(g), off));
            }
            if o.is_rightmost() {
                return Err(corrupt(format!(
                    "failed to re-find parent key in index \"{}\" for split pages {child}",
                    desc.name
                )));
            }
            block = o.next;
            from = 0;
        }
    }
}

/// The page at `level` whose range holds `key`, by a fresh descent.
fn page_at_level(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    key: &ScanKey,
    level: u32,
) -> PgResult<BlockNumber> {
    let meta = get_meta(env, rel)?;
    let mut block = meta.root;
    loop {
        let buf = read(env, rel, block)?;
        let page = buf.lock_shared();
        let o = opaque(&page)?;
        if must_move_right(desc, &page, &o, key)? {
            block = o.next;
            continue;
        }
        if o.level == level {
            return Ok(block);
        }
        if o.level < level {
            return Err(corrupt(format!(
                "index \"{}\" has no level {level}",
                desc.name
            )));
        }
        block = choose_child(desc, &page, &o, key)?.1;
    }
}

/// A new, empty index: the metapage and an empty root leaf.
pub fn build_empty(env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<()> {
    let mut held = Held::default();
    let meta = new_page(env, rel)?;
    if meta.tag().block != META_BLOCK {
        return Err(PgError::internal("a new index file is not empty"));
    }
    let m = held.add(meta);
    let root = new_page(env, rel)?;
    let root_block = root.tag().block;
    let r = held.add(root);
    init_page(
        held.page(r),
        &Opaque {
            prev: P_NONE,
            next: P_NONE,
            level: 0,
            flags: BTP_LEAF | BTP_ROOT,
        },
    );
    super::page::init_meta(
        held.page(m),
        &Meta {
            root: root_block,
            level: 0,
        },
    );
    held.log(PageOp::BtreeMeta)
}
