//! Range scans in index order (PostgreSQL's `nbtsearch.c` `_bt_first` /
//! `_bt_next`, forward only).
//!
//! A scan descends once to the first entry >= its lower bound, then walks
//! the leaf level by right-links. Each leaf is read under its shared lock
//! and the qualifying entries are copied out, so no lock or pin is held
//! between calls. A page that splits after it was copied moved only
//! entries the scan already has into a new right sibling, and the
//! right-link the scan follows is the one it read with the copy, which
//! leads past that new page; a page that split before it was read is read
//! with its new right-link. Entries inserted after a copy belong to
//! transactions the scan's snapshot cannot see.

use std::cmp::Ordering;
use std::collections::VecDeque;

use types::{Datum, PgResult};

use super::IndexDesc;
use super::insert::{descend, first_greater, must_move_right, read};
use super::itup::{IndexTuple, ScanKey, compare};
use super::page::{P_NONE, first_key, item, max_offset, opaque};
use crate::heap::heapam::HeapEnv;
use crate::page::{ItemPointer, OffsetNumber, Page, PageMut};
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};

/// One end of a scan: the leading key columns (in index order) and
/// whether entries equal to them qualify.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub values: Vec<Datum>,
    pub inclusive: bool,
}

/// An entry copied from a leaf: its heap tid, where its bytes are in the
/// scan's arena, and its place.
#[derive(Debug)]
struct Copied {
    tid: ItemPointer,
    bytes: std::ops::Range<usize>,
    place: Place,
}

/// Where an entry was read: its leaf, offset, and the leaf's LSN then.
#[derive(Debug, Clone, Copy)]
struct Place {
    block: BlockNumber,
    off: OffsetNumber,
    lsn: u64,
    tid: ItemPointer,
}

/// An open scan, forward or backward.
#[derive(Debug)]
pub struct IndexScan {
    rel: RelFileLocator,
    lower: Option<Bound>,
    /// The upper bound as a search key: entries it orders before are past it
    /// (an inclusive bound is `nextkey`, just above its equals).
    upper: Option<ScanKey>,
    started: bool,
    next_block: BlockNumber,
    items: VecDeque<Copied>,
    /// The bytes of the queued entries, one buffer for a whole leaf (an
    /// allocation per entry only for those the caller takes).
    arena: Vec<u8>,
    /// Where the entry [`Self::next`] returned last was, for [`Self::kill_last`].
    last: Option<Place>,
    /// Backward: from the upper bound down; `next_block` is then the page
    /// whose left neighbour comes next (`backward_from`).
    backward: bool,
    backward_from: BlockNumber,
}

impl IndexScan {
    /// A scan of the entries between `lower` and `upper` (None: unbounded).
    pub fn begin(rel: RelFileLocator, lower: Option<Bound>, upper: Option<Bound>) -> IndexScan {
        let upper = upper.map(|u| ScanKey {
            values: u.values,
            tid: None,
            nextkey: u.inclusive,
        });
        IndexScan {
            rel,
            lower,
            upper,
            started: false,
            next_block: P_NONE,
            items: VecDeque::new(),
            arena: Vec::new(),
            last: None,
            backward: false,
            backward_from: P_NONE,
        }
    }

    /// The same entries in the opposite order: from `upper` down to `lower`
    /// (an ORDER BY against the index's direction).
    pub fn begin_backward(
        rel: RelFileLocator,
        lower: Option<Bound>,
        upper: Option<Bound>,
    ) -> IndexScan {
        IndexScan {
            backward: true,
            ..IndexScan::begin(rel, lower, upper)
        }
    }

    /// The next entry: the heap tid it points at and the leaf tuple's bytes
    /// (read its columns with `IndexTuple::values`).
    pub fn next(
        &mut self,
        env: &HeapEnv<'_, '_>,
        desc: &IndexDesc,
    ) -> PgResult<Option<(ItemPointer, Vec<u8>)>> {
        loop {
            if let Some(c) = self.items.pop_front() {
                self.last = Some(c.place);
                let bytes = self.arena.get(c.bytes).unwrap_or_default().to_vec();
                return Ok(Some((c.tid, bytes)));
            }
            // Every queued entry was taken: the next leaf's go in afresh.
            self.arena.clear();
            if !self.started {
                self.started = true;
                if self.backward {
                    self.last_page(env, desc)?;
                } else {
                    self.first_page(env, desc)?;
                }
                continue;
            }
            if self.backward {
                if self.backward_from == P_NONE {
                    return Ok(None);
                }
                self.step_left(env, desc)?;
                continue;
            }
            if self.next_block == P_NONE {
                return Ok(None);
            }
            let block = self.next_block;
            let buf = read(env, self.rel, block)?;
            let page = buf.lock_shared();
            let o = opaque(&page)?;
            self.take(desc, &page, block, first_key(&o))?;
        }
    }

    fn first_page(&mut self, env: &HeapEnv<'_, '_>, desc: &IndexDesc) -> PgResult<()> {
        let key = match &self.lower {
            Some(b) => ScanKey {
                values: b.values.clone(),
                tid: None,
                nextkey: !b.inclusive,
            },
            None => ScanKey {
                values: Vec::new(),
                tid: None,
                nextkey: false,
            },
        };
        at_leaf(env, self.rel, desc, &key, |page, block, start| {
            self.take(desc, page, block, start)
        })
    }

    /// Backward: the page holding the last entry within the upper bound, and
    /// its entries from there down.
    fn last_page(&mut self, env: &HeapEnv<'_, '_>, desc: &IndexDesc) -> PgResult<()> {
        // Just past the last entry in range: after the bound's equals if it
        // is inclusive; an unbounded scan starts past everything.
        let key = self.upper.clone().unwrap_or(ScanKey {
            values: Vec::new(),
            tid: None,
            nextkey: true,
        });
        at_leaf(env, self.rel, desc, &key, |page, block, end| {
            self.take_backward(desc, page, block, end)
        })
    }

    /// Moves to the left neighbour of the page last read (Lehman & Yao have
    /// no reliable left-links: the page named may have split since, so walk
    /// right from it to the page whose right-link is ours; PostgreSQL's
    /// `_bt_walk_left`), and copies its entries from the last down. If our
    /// page was deleted since, its key range went to the first live page to
    /// its right, whose entries we have: the neighbour of that one is next.
    /// If the left neighbour was deleted, our left-link moved past it: a few
    /// steps right without finding ours send us back to read it again.
    fn step_left(&mut self, env: &HeapEnv<'_, '_>, desc: &IndexDesc) -> PgResult<()> {
        let mut from = self.backward_from;
        for _ in 0..1000 {
            let (prev, deleted, next) = {
                let buf = read(env, self.rel, from)?;
                let page = buf.lock_shared();
                let o = opaque(&page)?;
                (o.prev, o.is_deleted(), o.next)
            };
            if deleted {
                from = next;
                continue;
            }
            if prev == P_NONE {
                self.backward_from = P_NONE;
                return Ok(());
            }
            let mut block = prev;
            for _ in 0..4 {
                let buf = read(env, self.rel, block)?;
                let page = buf.lock_shared();
                let o = opaque(&page)?;
                if o.next == from && !o.is_deleted() {
                    return self.take_backward(desc, &page, block, max_offset(&page) + 1);
                }
                if o.next == P_NONE {
                    break;
                }
                block = o.next;
            }
        }
        Err(super::insert::corrupt(format!(
            "left sibling of block {} of index \"{}\" does not lead back to it",
            self.backward_from, desc.name
        )))
    }

    /// Copies the entries of `page` before offset `end`, last first, down
    /// to the lower bound; notes where to continue (nowhere past the bound).
    fn take_backward(
        &mut self,
        desc: &IndexDesc,
        page: &[u8; BLCKSZ],
        block: BlockNumber,
        end: u16,
    ) -> PgResult<()> {
        let o = opaque(page)?;
        self.backward_from = block;
        let lower = self.lower.as_ref().map(|b| ScanKey {
            values: b.values.clone(),
            tid: None,
            nextkey: !b.inclusive,
        });
        let first = first_key(&o);
        let lsn = crate::buffer::page_lsn(page);
        let mut off = end;
        while off > first {
            off -= 1;
            let bytes = item(page, off)?;
            if let Some(l) = &lower
                && compare(desc, l, bytes)? != Ordering::Less
            {
                self.backward_from = P_NONE;
                return Ok(());
            }
            self.copy(page, block, off, lsn, bytes)?;
        }
        if o.prev == P_NONE {
            self.backward_from = P_NONE;
        }
        Ok(())
    }

    /// Copies the entries from `start` on that are within the upper bound;
    /// notes the right sibling, or the end if the bound was passed.
    fn take(
        &mut self,
        desc: &IndexDesc,
        page: &[u8; BLCKSZ],
        block: BlockNumber,
        start: u16,
    ) -> PgResult<()> {
        let o = opaque(page)?;
        self.next_block = o.next;
        let lsn = crate::buffer::page_lsn(page);
        for off in start..=max_offset(page) {
            let bytes = item(page, off)?;
            if let Some(u) = &self.upper
                && compare(desc, u, bytes)? == Ordering::Less
            {
                self.next_block = P_NONE;
                return Ok(());
            }
            self.copy(page, block, off, lsn, bytes)?;
        }
        Ok(())
    }

    /// Queues the entry at `off` unless a scan marked it dead: its row is
    /// visible to no snapshot (PostgreSQL's `ignore_killed_tuples`).
    fn copy(
        &mut self,
        page: &[u8; BLCKSZ],
        block: BlockNumber,
        off: OffsetNumber,
        lsn: u64,
        bytes: &[u8],
    ) -> PgResult<()> {
        if is_killed(page, off) {
            return Ok(());
        }
        if let Some(tid) = IndexTuple::parse(bytes)?.heap_tid() {
            let start = self.arena.len();
            self.arena.extend_from_slice(bytes);
            self.items.push_back(Copied {
                tid,
                bytes: start..self.arena.len(),
                place: Place {
                    block,
                    off,
                    lsn,
                    tid,
                },
            });
        }
        Ok(())
    }

    /// Marks the entry [`Self::next`] returned last as dead, the caller
    /// having found that no snapshot can see any version of its row
    /// (PostgreSQL's `kill_prior_tuple`): later scans skip it and an
    /// insertion into a full leaf removes it. A hint: not logged, and left
    /// undone if the leaf's lock is busy; if the leaf changed since it was
    /// read, the entry is looked for by its heap tid.
    pub fn kill_last(&mut self, env: &HeapEnv<'_, '_>) -> PgResult<()> {
        let Some(place) = self.last.take() else {
            return Ok(());
        };
        let buf = read(env, self.rel, place.block)?;
        let Some(mut page) = buf.try_lock_exclusive() else {
            return Ok(());
        };
        let o = opaque(&page)?;
        if o.is_deleted() || !o.is_leaf() {
            return Ok(());
        }
        let holds = |page: &[u8; BLCKSZ], off: OffsetNumber| -> PgResult<bool> {
            Ok(IndexTuple::parse(item(page, off)?)?.heap_tid() == Some(place.tid))
        };
        let off = if crate::buffer::page_lsn(&page) == place.lsn
            && place.off <= max_offset(&page)
            && holds(&page, place.off)?
        {
            Some(place.off)
        } else {
            let mut found = None;
            for off in first_key(&o)..=max_offset(&page) {
                if holds(&page, off)? {
                    found = Some(off);
                    break;
                }
            }
            found
        };
        if let Some(off) = off
            && !is_killed(&page, off)
        {
            PageMut::new(&mut page).mark_dead_keep_storage(off)?;
            page.mark_dirty_hint()?;
        }
        Ok(())
    }
}

/// Descends to the leaf where `key` belongs, moving right past concurrent
/// splits, and hands `visit` that page under its shared lock, its block and
/// the offset of its first entry greater than `key`.
fn at_leaf<R>(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    desc: &IndexDesc,
    key: &ScanKey,
    visit: impl FnOnce(&[u8; BLCKSZ], BlockNumber, u16) -> PgResult<R>,
) -> PgResult<R> {
    let (_, mut block) = descend(env, rel, desc, key)?;
    loop {
        let buf = read(env, rel, block)?;
        let page = buf.lock_shared();
        let o = opaque(&page)?;
        if must_move_right(desc, &page, &o, key)? {
            block = o.next;
            continue;
        }
        let start = first_greater(desc, &page, &o, key)?;
        return visit(&page, block, start);
    }
}

/// Whether the entry at `off` of a leaf is marked dead ([`IndexScan::kill_last`]).
pub(crate) fn is_killed(page: &[u8; BLCKSZ], off: OffsetNumber) -> bool {
    Page::new(page).item_id(off).is_some_and(|id| id.is_dead())
}
