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
use crate::page::ItemPointer;
use crate::smgr::{BLCKSZ, BlockNumber, RelFileLocator};

/// One end of a scan: the leading key columns (in index order) and
/// whether entries equal to them qualify.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub values: Vec<Datum>,
    pub inclusive: bool,
}

/// An open forward scan.
#[derive(Debug)]
pub struct IndexScan {
    rel: RelFileLocator,
    lower: Option<Bound>,
    /// The upper bound as a search key: entries it orders before are past it
    /// (an inclusive bound is `nextkey`, just above its equals).
    upper: Option<ScanKey>,
    started: bool,
    next_block: BlockNumber,
    items: VecDeque<(ItemPointer, Vec<u8>)>,
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
            if let Some(x) = self.items.pop_front() {
                return Ok(Some(x));
            }
            if !self.started {
                self.started = true;
                self.first_page(env, desc)?;
                continue;
            }
            if self.next_block == P_NONE {
                return Ok(None);
            }
            let buf = read(env, self.rel, self.next_block)?;
            let page = buf.lock_shared();
            let o = opaque(&page)?;
            self.take(desc, &page, first_key(&o))?;
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
        let (_, mut block) = descend(env, self.rel, desc, &key)?;
        loop {
            let buf = read(env, self.rel, block)?;
            let page = buf.lock_shared();
            let o = opaque(&page)?;
            if must_move_right(desc, &page, &o, &key)? {
                block = o.next;
                continue;
            }
            let start = first_greater(desc, &page, &o, &key)?;
            return self.take(desc, &page, start);
        }
    }

    /// Copies the entries from `start` on that are within the upper bound;
    /// notes the right sibling, or the end if the bound was passed.
    fn take(&mut self, desc: &IndexDesc, page: &[u8; BLCKSZ], start: u16) -> PgResult<()> {
        let o = opaque(page)?;
        self.next_block = o.next;
        for off in start..=max_offset(page) {
            let bytes = item(page, off)?;
            let t = IndexTuple::parse(bytes)?;
            if let Some(u) = &self.upper
                && compare(desc, u, bytes)? == Ordering::Less
            {
                self.next_block = P_NONE;
                return Ok(());
            }
            if let Some(tid) = t.heap_tid() {
                self.items.push_back((tid, bytes.to_vec()));
            }
        }
        Ok(())
    }
}
