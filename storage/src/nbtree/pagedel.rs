//! Deleting empty leaf pages and recycling them (PostgreSQL's `nbtpage.c`
//! `_bt_pagedel` and `_bt_getbuf`'s reuse of free pages). Rules in
//! `README.md` (rule 11).
//!
//! A leaf that VACUUM emptied is unlinked in one WAL record, under the
//! exclusive locks of its left sibling, itself and its right sibling (left
//! to right) and then its parent (bottom-up, as a split takes them): the
//! parent's downlink to it now leads to the right sibling, whose own
//! downlink goes, so the right sibling takes over its key range; the
//! siblings' links skip it; the page is marked deleted, keeps its
//! right-link for readers who still arrive at it, and records the next
//! transaction id as its `safexid`. Once every transaction running then has
//! ended (`safexid` < the oldest xmin), nobody can still hold a link to it,
//! and a split may take it as its new page (through the index's free-space
//! map, where VACUUM records it).

use types::PgResult;
use wal::record::PageOp;

use super::IndexDesc;
use super::insert::{Held, descend, read};
use super::itup::{IndexTuple, ScanKey, with_downlink};
use super::page::{
    BTP_DELETED, BTP_LEAF, Opaque, P_NONE, first_key, init_page, item, max_offset, opaque,
    set_opaque,
};
use crate::buffer::OwnedWriteGuard;
use crate::heap::freespace;
use crate::heap::heapam::HeapEnv;
use crate::page::{AddItemFlags, OffsetNumber, Page, PageMut};
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};
use crate::transam::TransactionId;

/// A leaf VACUUM found empty: its block and high key (to find its parent).
#[derive(Debug, Clone)]
pub struct EmptyLeaf {
    pub block: BlockNumber,
    pub high_key: Vec<u8>,
}

/// The empty leaf `page` at `block`, if it may be deleted: not the root,
/// not the rightmost of its level, not deleted already.
pub(crate) fn empty_leaf(page: &[u8; BLCKSZ], block: BlockNumber) -> PgResult<Option<EmptyLeaf>> {
    let o = opaque(page)?;
    if !o.is_leaf() || o.is_root() || o.is_rightmost() || o.is_deleted() {
        return Ok(None);
    }
    if max_offset(page) >= first_key(&o) {
        return Ok(None);
    }
    Ok(Some(EmptyLeaf {
        block,
        high_key: item(page, 1)?.to_vec(),
    }))
}

/// Unlinks the empty leaf `target` (see the module doc). Returns false,
/// changing nothing, when it cannot be done now: the leaf is no longer
/// empty, or it is the rightmost child of its parent (PostgreSQL would
/// delete the parent with it; we leave it, and internal pages, in place).
/// Only one VACUUM works on an index at a time, so no other deleter runs.
pub fn delete_empty_leaf(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    target: &EmptyLeaf,
) -> PgResult<bool> {
    // The parent, approximately: the descent toward the high key passes
    // through the page with the downlink to the right sibling.
    let high = IndexTuple::parse(&target.high_key)?;
    let key = ScanKey {
        values: high.keys(desc)?,
        tid: high.heap_tid(),
        nextkey: false,
    };
    let (mut stack, _) = descend(env, rel, desc, &key)?;
    let Some(parent_hint) = stack.pop() else {
        return Ok(false);
    };
    let prev = {
        let buf = read(env, rel, target.block)?;
        let page = buf.lock_shared();
        opaque(&page)?.prev
    };
    let mut held = Held::default();
    // The left sibling: the page whose right-link is the target (it may
    // have split since we read the link).
    let mut left = None;
    if prev != P_NONE {
        let mut block = prev;
        loop {
            let g = OwnedWriteGuard::lock(read(env, rel, block)?);
            let o = opaque(&g)?;
            if o.next == target.block {
                left = Some(held.add(g));
                break;
            }
            if o.is_rightmost() {
                return Ok(false);
            }
            block = o.next;
        }
    }
    let t = held.add(OwnedWriteGuard::lock(read(env, rel, target.block)?));
    let to = opaque(held.page(t))?;
    let left_block = left.map_or(P_NONE, |l| held.page(l).tag().block);
    if to.is_deleted()
        || to.is_root()
        || to.is_rightmost()
        || to.prev != left_block
        || max_offset(held.page(t)) >= first_key(&to)
    {
        return Ok(false);
    }
    let right_block = to.next;
    let r = held.add(OwnedWriteGuard::lock(read(env, rel, right_block)?));
    // The parent, moving right if it split since the descent.
    let mut block = parent_hint.block;
    let (p, off) = loop {
        let g = OwnedWriteGuard::lock(read(env, rel, block)?);
        let o = opaque(&g)?;
        let found = (first_key(&o)..=max_offset(&g)).find(|&off| {
            item(&g, off)
                .and_then(IndexTuple::parse)
                .is_ok_and(|it| it.downlink() == target.block)
        });
        if let Some(off) = found {
            break (held.add(g), off);
        }
        if o.is_rightmost() {
            return Ok(false);
        }
        block = o.next;
    };
    {
        let page = held.page(p);
        if off + 1 > max_offset(page)
            || IndexTuple::parse(item(page, off + 1)?)?.downlink() != right_block
        {
            // The rightmost child of its parent: its key range would have to
            // move to a page under another parent.
            return Ok(false);
        }
        redirect_downlink(page, off, right_block)?;
    }
    if let Some(l) = left {
        let page = held.page(l);
        let mut o = opaque(page)?;
        o.next = right_block;
        set_opaque(page, &o);
    }
    {
        let page = held.page(r);
        let mut o = opaque(page)?;
        o.prev = left_block;
        set_opaque(page, &o);
    }
    let safexid = env.tx.next_xid();
    mark_deleted(held.page(t), &to, safexid);
    held.log(PageOp::BtreeUnlinkPage)?;
    // A hint for splits: the page may be taken once safexid has passed.
    freespace::record(env, rel, target.block, BLCKSZ)?;
    Ok(true)
}

/// On internal page `page`: the downlink at `off` now leads to `child`, and
/// the entry after it (the old downlink to `child`) goes.
fn redirect_downlink(
    page: &mut [u8; BLCKSZ],
    off: OffsetNumber,
    child: BlockNumber,
) -> PgResult<()> {
    let o = opaque(page)?;
    let mut items = Vec::new();
    for i in 1..=max_offset(page) {
        let it = item(page, i)?;
        if i == off {
            items.push(with_downlink(it, child));
        } else if i != off + 1 {
            items.push(it.to_vec());
        }
    }
    refill(page, &o, &items)
}

/// Rewrites `page` with `items` (high key first, if any), keeping its
/// special space and LSN.
pub(crate) fn refill(page: &mut [u8; BLCKSZ], o: &Opaque, items: &[Vec<u8>]) -> PgResult<()> {
    let lsn = crate::buffer::page_lsn(page);
    init_page(page, o);
    crate::buffer::set_page_lsn(page, lsn);
    let mut p = PageMut::new(page);
    for it in items {
        p.add_item(it, None, AddItemFlags::default())?;
    }
    Ok(())
}

/// Formats `page` as deleted: no items, the same siblings, `safexid` in
/// pd_prune_xid.
fn mark_deleted(page: &mut [u8; BLCKSZ], o: &Opaque, safexid: TransactionId) {
    let lsn = crate::buffer::page_lsn(page);
    init_page(
        page,
        &Opaque {
            flags: (o.flags & BTP_LEAF) | BTP_DELETED,
            ..*o
        },
    );
    crate::buffer::set_page_lsn(page, lsn);
    PageMut::new(page).set_prune_xid(safexid);
}

/// A deleted page nobody can reach any more, locked, for a split to use
/// instead of extending the file (`_bt_getbuf`'s free-space-map lookup):
/// the map names candidates; each is taken only if its lock is free at once
/// (the caller holds other pages) and it is deleted with a safexid older
/// than every running transaction. Stale entries are cleared.
pub(crate) fn reusable_page<'e>(
    env: &'e HeapEnv<'_, '_>,
    rel: RelFileLocator,
) -> PgResult<Option<OwnedWriteGuard<'e>>> {
    let nblocks = env
        .store
        .smgr()
        .nblocks(rel, crate::buffer::ForkNumber::Main)?;
    let mut avoid = Vec::new();
    let mut horizon = None;
    for _ in 0..4 {
        let Some(block) = freespace::search(env, rel, BLCKSZ / 2, nblocks, &avoid)? else {
            return Ok(None);
        };
        avoid.push(block);
        let Some(g) = OwnedWriteGuard::try_lock(read(env, rel, block)?) else {
            continue;
        };
        let deleted = !Page::new(&g).is_new() && opaque(&g).is_ok_and(|o| o.is_deleted());
        if !deleted {
            drop(g);
            freespace::record(env, rel, block, 0)?;
            continue;
        }
        let oldest = *horizon.get_or_insert_with(|| env.tx.oldest_xmin());
        if Page::new(&g).prune_xid() < oldest {
            freespace::record(env, rel, block, 0)?;
            return Ok(Some(g));
        }
    }
    Ok(None)
}
