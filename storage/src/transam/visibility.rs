//! Tuple visibility (PostgreSQL's `heapam_visibility.c`).
//!
//! SKELETON: signatures the heap access method codes against.

use types::PgResult;

use super::combocid::ComboCids;
use super::{Snapshot, Transam, TransactionId, CommandId};
use crate::heap::tuple::TupleHeader;

/// Hint bits a visibility check learned and the caller may set when it holds
/// the page exclusively (`HEAP_XMIN_COMMITTED`, ... as an infomask to OR in).
pub type Hints = u16;

/// The transaction asking: its xid (if it has one) and combo cids.
#[derive(Debug, Clone, Copy)]
pub struct Me<'c> {
    pub xid: Option<TransactionId>,
    pub combocids: &'c ComboCids,
}

/// `HeapTupleSatisfiesMVCC`: is the tuple visible to `snapshot`?
pub fn satisfies_mvcc(_t: &TupleHeader<'_>, _snapshot: &Snapshot, _me: Me<'_>, _tx: &Transam<'_>) -> PgResult<(bool, Hints)> {
    Ok((true, 0))
}

/// Result of `HeapTupleSatisfiesUpdate` (PostgreSQL's `TM_Result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TmResult {
    /// The tuple may be updated/deleted/locked now.
    Ok,
    /// Not visible to the command at all.
    Invisible,
    /// Updated or deleted by this very transaction at or after `curcid`.
    SelfModified,
    /// Updated or deleted by a committed transaction (follow t_ctid).
    Updated,
    /// Deleted by a committed transaction.
    Deleted,
    /// xmax is a running transaction: wait for it, then re-check.
    BeingModified(TransactionId),
}

/// `HeapTupleSatisfiesUpdate` for command `curcid` of `me`.
pub fn satisfies_update(_t: &TupleHeader<'_>, _curcid: CommandId, _me: Me<'_>, _tx: &Transam<'_>) -> PgResult<(TmResult, Hints)> {
    Ok((TmResult::Ok, 0))
}

/// Result of `HeapTupleSatisfiesVacuum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtsvResult {
    Live,
    /// Dead to everyone: may be removed.
    Dead,
    /// Deleted, but some snapshot (xmin >= oldest_xmin) may still see it.
    RecentlyDead,
    InsertInProgress,
    DeleteInProgress,
}

/// `HeapTupleSatisfiesVacuum` against `oldest_xmin`.
pub fn satisfies_vacuum(_t: &TupleHeader<'_>, _oldest_xmin: TransactionId, _tx: &Transam<'_>) -> PgResult<(HtsvResult, Hints)> {
    Ok((HtsvResult::Live, 0))
}
