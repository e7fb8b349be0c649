//! Building an index from sorted entries (PostgreSQL's `nbtsort.c`),
//! VACUUM's bulk delete (`btbulkdelete`) and the structure check behind
//! `bt_index_check` (`contrib/amcheck`'s `verify_nbtree.c`).

use std::cmp::Ordering;

use types::{Datum, PgError, PgResult};
use wal::record::PageOp;

use super::IndexDesc;
use super::insert::{corrupt, get_meta, read, tag};
use super::itup::{
    IndexTuple, ScanKey, cmp_keys, compare, form_leaf, minus_infinity, separator, with_downlink,
};
use super::page::{
    BTP_LEAF, BTP_ROOT, META_BLOCK, Meta, Opaque, P_NONE, first_key, init_meta, init_page, item,
    max_offset, opaque,
};
use crate::buffer::{ForkNumber, OwnedWriteGuard, ReadMode};
use crate::heap::heapam::HeapEnv;
use crate::page::{AddItemFlags, ITEM_ID_SIZE, ItemPointer, OffsetNumber, PageMut, maxalign};
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};

/// Sorts entries into index order (key columns, then heap tid); each entry
/// may carry something of the caller's (`T`) along.
pub fn sort_entries<T>(
    desc: &IndexDesc,
    entries: &mut [(Vec<Datum>, ItemPointer, T)],
) -> PgResult<()> {
    let mut failed = None;
    entries.sort_unstable_by(|a, b| {
        match cmp_keys(desc, &a.0[..desc.nkeyatts], &b.0[..desc.nkeyatts]) {
            Ok(Ordering::Equal) => a.1.cmp(&b.1),
            Ok(o) => o,
            Err(e) => {
                failed.get_or_insert(e);
                Ordering::Equal
            }
        }
    });
    failed.map_or(Ok(()), Err)
}

const USABLE: usize = BLCKSZ - maxalign(crate::page::HEADER_SIZE) - super::page::SPECIAL_SIZE;

fn footprint(it: &[u8]) -> usize {
    maxalign(it.len()) + ITEM_ID_SIZE
}

/// The page being filled at one level of a bulk build.
struct LevelPage {
    block: BlockNumber,
    prev: BlockNumber,
    items: Vec<Vec<u8>>,
    used: usize,
}

/// Writes a sorted index bottom-up into an empty relation (`_bt_load`):
/// leaves filled to 90%, upper pages to 70%, each page's high key the
/// first entry of its right sibling, every page logged as its image.
/// `entries` must be sorted ([`sort_entries`]); `check_interrupts` runs
/// between pages.
pub fn build(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    entries: impl IntoIterator<Item = (Vec<Datum>, ItemPointer)>,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
) -> PgResult<()> {
    let mut entries = entries.into_iter();
    build_from(env, rel, desc, &mut || Ok(entries.next()), check_interrupts)
}

/// [`build`] from a fallible source of sorted entries (a merge of runs
/// read back from temporary files, `sort::Sorted`).
pub fn build_from(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    next: &mut dyn FnMut() -> PgResult<Option<(Vec<Datum>, ItemPointer)>>,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
) -> PgResult<()> {
    build_from_tuples(
        env,
        rel,
        desc,
        &mut || {
            next()?
                .map(|(values, tid)| form_leaf(desc, &values, tid))
                .transpose()
        },
        check_interrupts,
    )
}

/// [`build_from`] with the entries already formed as leaf tuples, sorted
/// (`sort::Sorted::next_tuple`).
pub fn build_from_tuples(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    next: &mut dyn FnMut() -> PgResult<Option<Vec<u8>>>,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
) -> PgResult<()> {
    let mut b = Builder {
        env,
        rel,
        desc,
        levels: Vec::new(),
        first: Vec::new(),
        next_block: META_BLOCK + 1,
    };
    while let Some(t) = next()? {
        b.add(0, t, check_interrupts)?;
    }
    b.finish()
}

struct Builder<'b, 'e, 'a> {
    env: &'b HeapEnv<'e, 'a>,
    rel: RelFileLocator,
    desc: &'b IndexDesc,
    levels: Vec<LevelPage>,
    /// The first (leftmost) page of each level.
    first: Vec<BlockNumber>,
    next_block: BlockNumber,
}

impl Builder<'_, '_, '_> {
    fn alloc(&mut self) -> BlockNumber {
        self.next_block += 1;
        self.next_block - 1
    }

    fn add(
        &mut self,
        level: usize,
        it: Vec<u8>,
        check_interrupts: &mut dyn FnMut() -> PgResult<()>,
    ) -> PgResult<()> {
        if level == self.levels.len() {
            let block = self.alloc();
            let mut page = LevelPage {
                block,
                prev: P_NONE,
                items: Vec::new(),
                used: 0,
            };
            if level > 0 {
                // The first downlink of a new level: minus infinity to the
                // leftmost page below.
                let first = minus_infinity(self.first[level - 1]);
                page.used += footprint(&first);
                page.items.push(first);
            }
            self.levels.push(page);
            self.first.push(block);
        }
        let fill = if level == 0 {
            self.desc.leaf_fillfactor
        } else {
            70
        };
        let lp = &self.levels[level];
        // The high key this page would get is a pivot made from `it`: its
        // key columns and a heap tid, at most 8 bytes more than `it`.
        let high = footprint(&it) + 8;
        let full = !lp.items.is_empty()
            && (lp.used + footprint(&it) > USABLE * fill / 100
                || lp.used + footprint(&it) + high > USABLE);
        if !full {
            let lp = &mut self.levels[level];
            lp.used += footprint(&it);
            lp.items.push(it);
            return Ok(());
        }
        check_interrupts()?;
        let last_left = lp.items.last().map(Vec::as_slice).unwrap_or(&[]);
        let high_key = separator(self.desc, last_left, &it, P_NONE)?;
        let next = self.alloc();
        let up = with_downlink(&high_key, next);
        let first = if level == 0 {
            it
        } else {
            minus_infinity(IndexTuple::parse(&it)?.downlink())
        };
        let done = std::mem::replace(
            &mut self.levels[level],
            LevelPage {
                block: next,
                prev: 0,
                items: Vec::new(),
                used: 0,
            },
        );
        {
            let lp = &mut self.levels[level];
            lp.prev = done.block;
            lp.used = footprint(&first);
            lp.items.push(first);
        }
        self.write(level, &done, Some(&high_key), next, false)?;
        self.add(level + 1, up, check_interrupts)
    }

    fn write(
        &mut self,
        level: usize,
        lp: &LevelPage,
        high: Option<&[u8]>,
        next: BlockNumber,
        root: bool,
    ) -> PgResult<()> {
        let mut flags = if level == 0 { BTP_LEAF } else { 0 };
        if root {
            flags |= BTP_ROOT;
        }
        let mut page = Box::new([0u8; BLCKSZ]);
        init_page(
            &mut page,
            &Opaque {
                prev: lp.prev,
                next,
                level: level as u32,
                flags,
            },
        );
        let mut p = PageMut::new(&mut page);
        for it in high.into_iter().chain(lp.items.iter().map(Vec::as_slice)) {
            if p.add_item(it, None, AddItemFlags::default())?.is_none() {
                return Err(PgError::internal(format!(
                    "index build: page of index \"{}\" overflowed",
                    self.desc.name
                )));
            }
        }
        write_page(self.env, self.rel, lp.block, &page, PageOp::NewPage)
    }

    fn finish(mut self) -> PgResult<()> {
        if self.levels.is_empty() {
            let block = self.alloc();
            self.levels.push(LevelPage {
                block,
                prev: P_NONE,
                items: Vec::new(),
                used: 0,
            });
            self.first.push(block);
        }
        let top = self.levels.len() - 1;
        for level in 0..=top {
            let lp = std::mem::replace(
                &mut self.levels[level],
                LevelPage {
                    block: 0,
                    prev: 0,
                    items: Vec::new(),
                    used: 0,
                },
            );
            self.write(level, &lp, None, P_NONE, level == top)?;
            if level == top {
                let mut meta = Box::new([0u8; BLCKSZ]);
                init_meta(
                    &mut meta,
                    &Meta {
                        root: lp.block,
                        level: top as u32,
                    },
                );
                write_page(self.env, self.rel, META_BLOCK, &meta, PageOp::BtreeMeta)?;
            }
        }
        Ok(())
    }
}

/// Puts a whole page into the relation through the buffer pool, logged as
/// its image (the file is extended with zeros up to it first).
fn write_page(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    block: BlockNumber,
    bytes: &[u8; BLCKSZ],
    op: PageOp,
) -> PgResult<()> {
    {
        let mut smgr = env.store.smgr();
        let n = smgr.nblocks(rel, ForkNumber::Main)?;
        if block >= n {
            smgr.extend(rel, ForkNumber::Main, block, &[0u8; BLCKSZ], false)?;
        }
    }
    let pin = env
        .bufmgr
        .read_buffer(tag(rel, block), ReadMode::Zero, None)?;
    let mut g = OwnedWriteGuard::lock(pin);
    g.copy_from_slice(bytes);
    // The page was all zeros: log it against that (its image).
    let zero = Box::new([0u8; BLCKSZ]);
    OwnedWriteGuard::log_changes(&mut [&mut g], &[&zero], op)
}

/// What [`bulk_delete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkDeleteStats {
    /// Entries removed.
    pub removed: u64,
    /// Empty leaves unlinked (`pagedel`).
    pub pages_deleted: u64,
}

/// Removes the leaf entries whose heap tid `dead` says is gone
/// (`btbulkdelete`): every leaf, left to right, under its exclusive lock,
/// each changed page logged. Then the leaves found empty are unlinked
/// (`pagedel::delete_empty_leaf`), each as far as it can be.
pub fn bulk_delete(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    dead: &dyn Fn(ItemPointer) -> bool,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
) -> PgResult<BulkDeleteStats> {
    let mut block = leftmost_leaf(env, rel)?;
    let mut stats = BulkDeleteStats::default();
    let mut empty = Vec::new();
    while block != P_NONE {
        check_interrupts()?;
        let mut g = OwnedWriteGuard::lock(read(env, rel, block)?);
        let o = opaque(&g)?;
        let before = g.before_image();
        let gone = remove_entries(&mut g, |_, tid| Ok(dead(tid)))?;
        if gone > 0 {
            OwnedWriteGuard::log_changes(&mut [&mut g], &[&before], PageOp::BtreeDelete)?;
            stats.removed += gone as u64;
        }
        empty.extend(super::pagedel::empty_leaf(&g, block)?);
        block = o.next;
    }
    for leaf in &empty {
        check_interrupts()?;
        if super::pagedel::delete_empty_leaf(env, rel, desc, leaf)? {
            stats.pages_deleted += 1;
        }
    }
    Ok(stats)
}

/// The heap tids of every leaf entry, sorted (CREATE INDEX CONCURRENTLY's
/// validation asks which rows the index has). Leaves are read left to
/// right, one shared lock at a time.
pub fn heap_tids(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
) -> PgResult<Vec<ItemPointer>> {
    let mut block = leftmost_leaf(env, rel)?;
    let mut tids = Vec::new();
    while block != P_NONE {
        check_interrupts()?;
        let buf = read(env, rel, block)?;
        let page = buf.lock_shared();
        let o = opaque(&page)?;
        for off in first_key(&o)..=max_offset(&page) {
            if let Some(tid) = IndexTuple::parse(item(&page, off)?)?.heap_tid() {
                tids.push(tid);
            }
        }
        block = o.next;
    }
    tids.sort_unstable();
    Ok(tids)
}

/// Rewrites leaf `page` without the entries `gone(offset, heap tid)`
/// names, keeping the high key, the order and the page LSN; the caller
/// holds the page's exclusive lock and logs the change. Returns how many
/// entries went.
pub(crate) fn remove_entries(
    page: &mut [u8; BLCKSZ],
    mut gone: impl FnMut(OffsetNumber, ItemPointer) -> PgResult<bool>,
) -> PgResult<usize> {
    let o = opaque(page)?;
    let mut keep = Vec::new();
    let mut removed = 0;
    for off in 1..=max_offset(page) {
        let bytes = item(page, off)?;
        let tid = if off >= first_key(&o) {
            IndexTuple::parse(bytes)?.heap_tid()
        } else {
            None
        };
        match tid {
            Some(tid) if gone(off, tid)? => removed += 1,
            _ => keep.push(bytes.to_vec()),
        }
    }
    if removed > 0 {
        super::pagedel::refill(page, &o, &keep)?;
    }
    Ok(removed)
}

/// The leftmost leaf: down the first downlink of every level.
fn leftmost_leaf(env: &HeapEnv<'_, '_>, rel: RelFileLocator) -> PgResult<BlockNumber> {
    let meta = get_meta(env, rel)?;
    let mut block = meta.root;
    loop {
        let buf = read(env, rel, block)?;
        let page = buf.lock_shared();
        let o = opaque(&page)?;
        if o.is_deleted() {
            // Read through a downlink just before the page was unlinked.
            block = o.next;
            continue;
        }
        if o.is_leaf() {
            return Ok(block);
        }
        block = IndexTuple::parse(item(&page, first_key(&o))?)?.downlink();
    }
}

/// What [`check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckReport {
    pub levels: u32,
    pub pages: u64,
    pub entries: u64,
}

/// Verifies the structure (`bt_index_check`): the metapage; on every level
/// from the root down, sibling links that agree both ways, entries in
/// strictly ascending order below the high key, each high key no greater
/// than the right sibling's first entry, each downlink's key no greater
/// than its child's first entry and the child one level down; and calls
/// `heap_check` with every leaf entry's heap tid and values (the caller
/// checks that the heap row matches). Errors are XX002.
pub fn check(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    heap_check: &mut dyn FnMut(ItemPointer, &[Datum]) -> PgResult<()>,
) -> PgResult<CheckReport> {
    let meta = get_meta(env, rel)?;
    let mut report = CheckReport {
        levels: meta.level + 1,
        ..Default::default()
    };
    let mut level_start = meta.root;
    loop {
        let mut block = level_start;
        let mut prev = P_NONE;
        let mut next_level_start = None;
        let mut prev_high: Option<Vec<u8>> = None;
        while block != P_NONE {
            let buf = read(env, rel, block)?;
            let page = buf.lock_shared();
            let o = opaque(&page)?;
            report.pages += 1;
            let name = &desc.name;
            if o.prev != prev {
                return Err(corrupt(format!(
                    "left link of block {block} of index \"{name}\" is {} instead of {prev}",
                    o.prev
                )));
            }
            if block == meta.root && (!o.is_root() || o.level != meta.level) {
                return Err(corrupt(format!(
                    "root block {block} of index \"{name}\" is not marked root at level {}",
                    meta.level
                )));
            }
            let fk = first_key(&o);
            let max = max_offset(&page);
            // The previous page's high key is no greater than our first entry.
            if let Some(h) = &prev_high
                && fk <= max
                && !(o.level > 0 && fk == max + 1)
            {
                let first = item(&page, fk)?;
                let t = IndexTuple::parse(first)?;
                if !(o.level > 0 && t.keys(desc)?.is_empty())
                    && cmp_tuples(desc, h, first)? == Ordering::Greater
                {
                    return Err(corrupt(format!(
                        "high key of the left sibling of block {block} of index \"{name}\" is greater than its first entry"
                    )));
                }
            }
            let mut last: Option<&[u8]> = None;
            for off in fk..=max {
                let it = item(&page, off)?;
                let t = IndexTuple::parse(it)?;
                if let Some(l) = last
                    && !(o.level > 0
                        && off == fk + 1
                        && IndexTuple::parse(l)?.keys(desc)?.is_empty())
                    && cmp_tuples(desc, l, it)? != Ordering::Less
                {
                    return Err(corrupt(format!(
                        "item order invariant violated for index \"{name}\": block {block}, offset {off}"
                    )));
                }
                if !o.is_rightmost() && cmp_tuples(desc, it, item(&page, 1)?)? != Ordering::Less {
                    return Err(corrupt(format!(
                        "high key invariant violated for index \"{name}\": block {block}, offset {off}"
                    )));
                }
                if o.is_leaf() {
                    report.entries += 1;
                    let tid = t.heap_tid().ok_or_else(|| {
                        corrupt(format!(
                            "leaf entry without a heap tid in block {block} of index \"{name}\""
                        ))
                    })?;
                    heap_check(tid, &t.values(desc)?)?;
                } else {
                    let child = t.downlink();
                    let cbuf = read(env, rel, child)?;
                    let cpage = cbuf.lock_shared();
                    let co = opaque(&cpage)?;
                    if co.is_deleted() {
                        return Err(corrupt(format!(
                            "downlink in block {block} of index \"{name}\" leads to deleted block {child}"
                        )));
                    }
                    if co.level + 1 != o.level {
                        return Err(corrupt(format!(
                            "downlink in block {block} of index \"{name}\" leads to block {child} at level {}",
                            co.level
                        )));
                    }
                    let cfk = first_key(&co);
                    if !t.keys(desc)?.is_empty() && cfk <= max_offset(&cpage) {
                        let cfirst = item(&cpage, cfk)?;
                        let cft = IndexTuple::parse(cfirst)?;
                        if !(co.level > 0 && cft.keys(desc)?.is_empty())
                            && cmp_tuples(desc, it, cfirst)? == Ordering::Greater
                        {
                            return Err(corrupt(format!(
                                "downlink key in block {block} of index \"{name}\" is greater than the first entry of child {child}"
                            )));
                        }
                    }
                    if next_level_start.is_none() {
                        next_level_start = Some(child);
                    }
                }
                last = Some(it);
            }
            prev_high = (!o.is_rightmost())
                .then(|| item(&page, 1).map(<[u8]>::to_vec))
                .transpose()?;
            prev = block;
            block = o.next;
        }
        match next_level_start {
            Some(b) => level_start = b,
            None => return Ok(report),
        }
    }
}

/// Orders two index tuples by (keys, heap tid).
fn cmp_tuples(desc: &IndexDesc, a: &[u8], b: &[u8]) -> PgResult<Ordering> {
    let ta = IndexTuple::parse(a)?;
    compare(
        desc,
        &ScanKey {
            values: ta.keys(desc)?,
            tid: ta.heap_tid(),
            nextkey: false,
        },
        b,
    )
}
