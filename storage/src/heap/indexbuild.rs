//! The heap scan of an index build (PostgreSQL's
//! `heapam_index_build_range_scan`): every HOT chain of the table once, as
//! its root's tid and its newest version that is not dead to everyone.
//!
//! An index entry points at a chain's root line pointer (a normal tuple
//! that is not heap-only, or a REDIRECT), so the build walks each chain
//! from its root along the ctid links (same block, next xmin = previous
//! xmax) and indexes the newest member some snapshot may still see, under
//! the root's tid. The caller holds a lock that keeps writers out (CREATE
//! INDEX's ShareLock), so chains do not change during the scan. CREATE
//! INDEX CONCURRENTLY lets writers go on and indexes instead the member its
//! snapshot sees ([`Versions::Visible`]); what that snapshot misses, its
//! validation pass adds. Members of
//! a chain agree on the columns of the indexes that existed when they were
//! made; a new index over a column a HOT update changed indexes the newest
//! version only, and an older snapshot reading through the new index may
//! then miss the older version (PostgreSQL marks such an index
//! `indcheckxmin`; we do not yet).

use types::PgResult;

use super::heapam::{HeapEnv, nblocks};
use super::tuple::TupleHeader;
use crate::buffer::{BufferTag, ForkNumber, ReadMode};
use crate::page::{FIRST_OFFSET_NUMBER, ItemPointer, Page};
use crate::smgr::RelFileLocator;
use crate::transam::visibility::{HtsvResult, Me, satisfies_mvcc, satisfies_vacuum};
use crate::transam::{Snapshot, TransactionId};

/// Which version of each HOT chain a build indexes.
#[derive(Debug, Clone, Copy)]
pub enum Versions<'s> {
    /// The newest one that is not dead to every snapshot older than this
    /// xmin horizon (writers are locked out).
    NotDead(TransactionId),
    /// The one this snapshot sees, always live (writers go on).
    Visible(&'s Snapshot, Me<'s>),
}

/// What [`build_scan`] hands each chain to: (root tid, newest version, live).
pub type ChainVisitor<'f> = dyn FnMut(ItemPointer, &[u8], bool) -> PgResult<()> + 'f;

/// Calls `f(root, version, live)` for every HOT chain of `rel` with a
/// version `versions` picks; `live` is false when that version is only
/// recently dead (deleted, but an old snapshot may see it), which unique
/// checks ignore. `f` runs under the page's shared content lock (it must
/// not lock pages itself); `check_interrupts` runs between pages.
pub fn build_scan(
    env: &HeapEnv<'_, '_>,
    rel: RelFileLocator,
    versions: Versions<'_>,
    check_interrupts: &mut dyn FnMut() -> PgResult<()>,
    f: &mut ChainVisitor<'_>,
) -> PgResult<()> {
    let n = nblocks(env, rel)?;
    for block in 0..n {
        check_interrupts()?;
        {
            let buf = env.bufmgr.read_buffer(
                BufferTag::new(rel, ForkNumber::Main, block),
                ReadMode::Normal,
                None,
            )?;
            let page = buf.lock_shared();
            let p = Page::new(&page);
            if p.is_new() {
                continue;
            }
            let max = p.max_offset_number();
            for off in FIRST_OFFSET_NUMBER..=max {
                let Some(id) = p.item_id(off) else { continue };
                let start = if id.is_redirect() {
                    id.redirect_target()
                } else if id.is_normal() {
                    if TupleHeader::parse(p.get_item(off)?)?.is_heap_only() {
                        continue;
                    }
                    off
                } else {
                    continue;
                };
                let mut newest: Option<(&[u8], bool)> = None;
                let (mut cur, mut prev_xmax, mut steps) = (start, None, 0);
                while steps <= max {
                    steps += 1;
                    match p.item_id(cur) {
                        Some(i) if i.is_normal() => {}
                        _ => break,
                    }
                    let bytes = p.get_item(cur)?;
                    let h = TupleHeader::parse(bytes)?;
                    if prev_xmax.is_some_and(|x| x != h.xmin()) {
                        break;
                    }
                    match versions {
                        Versions::NotDead(oldest_xmin) => {
                            let (verdict, _) = satisfies_vacuum(&h, oldest_xmin, env.tx)?;
                            if verdict != HtsvResult::Dead {
                                newest = Some((bytes, verdict != HtsvResult::RecentlyDead));
                            }
                        }
                        Versions::Visible(snapshot, me) => {
                            if satisfies_mvcc(&h, snapshot, me, env.tx)?.0 {
                                newest = Some((bytes, true));
                                break;
                            }
                        }
                    }
                    let next = h.ctid();
                    if !h.is_hot_updated() || next.block != block || next.offset == cur {
                        break;
                    }
                    prev_xmax = Some(h.xmax());
                    cur = next.offset;
                }
                if let Some((bytes, live)) = newest {
                    f(ItemPointer::new(block, off), bytes, live)?;
                }
            }
        }
    }
    Ok(())
}
