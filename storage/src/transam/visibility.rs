//! Tuple visibility (PostgreSQL's `heapam_visibility.c`).
//!
//! Each test reads xmin, then xmax, of a tuple header and decides from, in
//! order:
//!
//! 1. hint bits (`HEAP_XMIN_COMMITTED`, `HEAP_XMIN_INVALID`, `HEAP_XMAX_*`),
//!    trusted when set: they are only ever set for finished transactions;
//! 2. our own xid: then the command ids decide (cmin/cmax, through
//!    [`ComboCids`] when `HEAP_COMBOCID` is set);
//! 3. whether the xid is still running: [`XactOracle::is_in_progress`] for
//!    `satisfies_update` and `satisfies_vacuum`; for `satisfies_mvcc` the
//!    snapshot answers (`xid_in_snapshot`), exactly as PostgreSQL does, because
//!    an xid below the snapshot's xmax and not in its `xip` had finished when
//!    the snapshot was taken (see `Transam::snapshot`);
//! 4. only then the CLOG: committed, or else aborted. An xid that is neither
//!    running nor marked in CLOG crashed: it is aborted. That is why the CLOG
//!    is never asked first: a running transaction also reads "in progress".
//!
//! A lock-only xmax (`HEAP_XMAX_LOCK_ONLY`, or an exclusive lock bit alone as
//! in PostgreSQL's `HEAP_XMAX_IS_LOCKED_ONLY`) never hides a tuple.
//!
//! Hint bits learned are returned, never written: the caller ORs them into the
//! infomask when it holds the page exclusively. No hint is returned for an xid
//! that may still be running.
//!
//! Multixacts do not exist here: a tuple carries at most one locker or
//! updater in xmax, so two transactions cannot both hold a share lock on one
//! tuple. A header with `HEAP_XMAX_IS_MULTI` is reported as corrupted.

use types::{PgError, PgResult, SqlState};

use super::combocid::ComboCids;
use super::{CommandId, INVALID_XID, Snapshot, TransactionId, XactOracle, XidStatus};
use crate::heap::tuple::{
    HEAP_COMBOCID, HEAP_LOCK_MASK, HEAP_XMAX_COMMITTED, HEAP_XMAX_EXCL_LOCK, HEAP_XMAX_INVALID,
    HEAP_XMAX_IS_MULTI, HEAP_XMAX_LOCK_ONLY, HEAP_XMIN_COMMITTED, HEAP_XMIN_INVALID, TupleHeader,
};
use crate::page::ItemPointer;

/// Hint bits a visibility check learned and the caller may set when it holds
/// the page exclusively (`HEAP_XMIN_COMMITTED`, ... as an infomask to OR in).
pub type Hints = u16;

/// The transaction asking: its xid (if it has one) and combo cids.
#[derive(Debug, Clone, Copy)]
pub struct Me<'c> {
    pub xid: Option<TransactionId>,
    pub combocids: &'c ComboCids,
}

impl Me<'_> {
    fn is(&self, xid: TransactionId) -> bool {
        xid != INVALID_XID && self.xid == Some(xid)
    }
}

/// PostgreSQL's `HEAP_XMAX_IS_LOCKED_ONLY`: xmax only locks the tuple.
pub fn xmax_is_locked_only(infomask: u16) -> bool {
    infomask & HEAP_XMAX_LOCK_ONLY != 0
        || infomask & (HEAP_XMAX_IS_MULTI | HEAP_LOCK_MASK) == HEAP_XMAX_EXCL_LOCK
}

/// xmax means nothing: hinted invalid, or zero.
fn xmax_is_invalid(t: &TupleHeader<'_>) -> bool {
    t.infomask() & HEAP_XMAX_INVALID != 0 || t.xmax() == INVALID_XID
}

fn check_no_multi(t: &TupleHeader<'_>) -> PgResult<()> {
    if t.infomask() & HEAP_XMAX_IS_MULTI != 0 {
        return Err(PgError::new(
            SqlState::DataCorrupted,
            format!(
                "tuple has a multixact xmax {} but multixacts are not supported",
                t.xmax()
            ),
        ));
    }
    Ok(())
}

fn resolve_combo(t: &TupleHeader<'_>, me: Me<'_>) -> PgResult<(CommandId, CommandId)> {
    me.combocids
        .resolve(t.cid())
        .ok_or_else(|| PgError::internal(format!("unknown combo command id {}", t.cid())))
}

/// The inserting command id (`HeapTupleHeaderGetCmin`); meaningful only to
/// the inserting transaction.
fn cmin(t: &TupleHeader<'_>, me: Me<'_>) -> PgResult<CommandId> {
    if t.infomask() & HEAP_COMBOCID != 0 {
        Ok(resolve_combo(t, me)?.0)
    } else {
        Ok(t.cid())
    }
}

/// The deleting command id (`HeapTupleHeaderGetCmax`); meaningful only to
/// the deleting transaction.
fn cmax(t: &TupleHeader<'_>, me: Me<'_>) -> PgResult<CommandId> {
    if t.infomask() & HEAP_COMBOCID != 0 {
        Ok(resolve_combo(t, me)?.1)
    } else {
        Ok(t.cid())
    }
}

/// `HeapTupleSatisfiesMVCC`: is the tuple visible to `snapshot`?
pub fn satisfies_mvcc(
    t: &TupleHeader<'_>,
    snapshot: &Snapshot,
    me: Me<'_>,
    tx: &impl XactOracle,
) -> PgResult<(bool, Hints)> {
    let mut hints: Hints = 0;
    let mask = t.infomask();
    let xmin = t.xmin();
    if mask & HEAP_XMIN_COMMITTED == 0 {
        if mask & HEAP_XMIN_INVALID != 0 {
            return Ok((false, 0));
        }
        if me.is(xmin) {
            if cmin(t, me)? >= snapshot.curcid {
                return Ok((false, 0)); // inserted by this or a later command
            }
            if xmax_is_invalid(t) || xmax_is_locked_only(mask) {
                return Ok((true, 0));
            }
            check_no_multi(t)?;
            if !me.is(t.xmax()) {
                // Nobody else can see our uncommitted row to delete it; a
                // stray xmax is ignored (PostgreSQL: an aborted subtransaction).
                return Ok((true, 0));
            }
            return Ok((cmax(t, me)? >= snapshot.curcid, 0));
        }
        if snapshot.xid_in_snapshot(xmin) {
            return Ok((false, 0));
        }
        match tx.status(xmin)? {
            XidStatus::Committed => hints |= HEAP_XMIN_COMMITTED,
            // Not running at snapshot time and not committed: aborted or crashed.
            XidStatus::Aborted | XidStatus::InProgress => return Ok((false, HEAP_XMIN_INVALID)),
        }
    } else if !t.xmin_frozen() && snapshot.xid_in_snapshot(xmin) {
        return Ok((false, 0)); // committed, but not for this snapshot
    }

    // xmin is committed and visible to us.
    if xmax_is_invalid(t) || xmax_is_locked_only(mask) {
        return Ok((true, hints));
    }
    check_no_multi(t)?;
    let xmax = t.xmax();
    if mask & HEAP_XMAX_COMMITTED == 0 {
        if me.is(xmax) {
            return Ok((cmax(t, me)? >= snapshot.curcid, hints));
        }
        if snapshot.xid_in_snapshot(xmax) {
            return Ok((true, hints));
        }
        match tx.status(xmax)? {
            XidStatus::Committed => hints |= HEAP_XMAX_COMMITTED,
            XidStatus::Aborted | XidStatus::InProgress => {
                return Ok((true, hints | HEAP_XMAX_INVALID));
            }
        }
    } else if snapshot.xid_in_snapshot(xmax) {
        return Ok((true, hints));
    }
    Ok((false, hints))
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
///
/// Without the tuple's own address this cannot tell an update from a delete
/// in PostgreSQL's way (t_ctid pointing elsewhere): it reports a committed
/// non-lock xmax as [`TmResult::Updated`] when t_ctid is valid and
/// [`TmResult::Deleted`] when it is not. Callers that know where the tuple
/// is should use [`satisfies_update_at`].
pub fn satisfies_update(
    t: &TupleHeader<'_>,
    curcid: CommandId,
    me: Me<'_>,
    tx: &impl XactOracle,
) -> PgResult<(TmResult, Hints)> {
    update_check(t, None, curcid, me, tx)
}

/// [`satisfies_update`] for the tuple at `self_tid`: a committed delete or
/// update is [`TmResult::Updated`] when t_ctid points at another tuple and
/// [`TmResult::Deleted`] when it points at the tuple itself (PostgreSQL's
/// convention: a tuple's t_ctid is its own address until an update).
pub fn satisfies_update_at(
    t: &TupleHeader<'_>,
    self_tid: ItemPointer,
    curcid: CommandId,
    me: Me<'_>,
    tx: &impl XactOracle,
) -> PgResult<(TmResult, Hints)> {
    update_check(t, Some(self_tid), curcid, me, tx)
}

fn update_check(
    t: &TupleHeader<'_>,
    self_tid: Option<ItemPointer>,
    curcid: CommandId,
    me: Me<'_>,
    tx: &impl XactOracle,
) -> PgResult<(TmResult, Hints)> {
    let mut hints: Hints = 0;
    let mask = t.infomask();
    let xmin = t.xmin();
    if mask & HEAP_XMIN_COMMITTED == 0 {
        if mask & HEAP_XMIN_INVALID != 0 {
            return Ok((TmResult::Invisible, 0));
        }
        if me.is(xmin) {
            if cmin(t, me)? >= curcid {
                return Ok((TmResult::Invisible, 0)); // inserted after this command started
            }
            if xmax_is_invalid(t) {
                return Ok((TmResult::Ok, 0));
            }
            check_no_multi(t)?;
            let xmax = t.xmax();
            if xmax_is_locked_only(mask) {
                // Locked, by us (in progress) or by a locker that is gone.
                return Ok((
                    if tx.is_in_progress(xmax) {
                        TmResult::BeingModified(xmax)
                    } else {
                        TmResult::Ok
                    },
                    0,
                ));
            }
            if !me.is(xmax) {
                return Ok((TmResult::Ok, 0));
            }
            return Ok((
                if cmax(t, me)? >= curcid {
                    TmResult::SelfModified
                } else {
                    TmResult::Invisible
                },
                0,
            ));
        }
        if tx.is_in_progress(xmin) {
            return Ok((TmResult::Invisible, 0));
        }
        match tx.status(xmin)? {
            XidStatus::Committed => hints |= HEAP_XMIN_COMMITTED,
            XidStatus::Aborted | XidStatus::InProgress => {
                return Ok((TmResult::Invisible, HEAP_XMIN_INVALID));
            }
        }
    }

    // xmin committed.
    if xmax_is_invalid(t) {
        return Ok((TmResult::Ok, hints));
    }
    let locked_only = xmax_is_locked_only(mask);
    if mask & HEAP_XMAX_COMMITTED != 0 {
        if locked_only {
            return Ok((TmResult::Ok, hints));
        }
        return Ok((updated_or_deleted(t, self_tid), hints));
    }
    check_no_multi(t)?;
    let xmax = t.xmax();
    if me.is(xmax) {
        if locked_only {
            return Ok((TmResult::BeingModified(xmax), hints));
        }
        return Ok((
            if cmax(t, me)? >= curcid {
                TmResult::SelfModified
            } else {
                TmResult::Invisible
            },
            hints,
        ));
    }
    if tx.is_in_progress(xmax) {
        return Ok((TmResult::BeingModified(xmax), hints));
    }
    match tx.status(xmax)? {
        XidStatus::Committed if !locked_only => {
            Ok((updated_or_deleted(t, self_tid), hints | HEAP_XMAX_COMMITTED))
        }
        // A finished locker, or an updater that aborted or crashed.
        _ => Ok((TmResult::Ok, hints | HEAP_XMAX_INVALID)),
    }
}

fn updated_or_deleted(t: &TupleHeader<'_>, self_tid: Option<ItemPointer>) -> TmResult {
    let ctid = t.ctid();
    let elsewhere = match self_tid {
        Some(me) => ctid.is_valid() && ctid != me,
        None => ctid.is_valid(),
    };
    if elsewhere {
        TmResult::Updated
    } else {
        TmResult::Deleted
    }
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
pub fn satisfies_vacuum(
    t: &TupleHeader<'_>,
    oldest_xmin: TransactionId,
    tx: &impl XactOracle,
) -> PgResult<(HtsvResult, Hints)> {
    let mut hints: Hints = 0;
    let mask = t.infomask();
    let xmin = t.xmin();
    if mask & HEAP_XMIN_COMMITTED == 0 {
        if mask & HEAP_XMIN_INVALID != 0 {
            return Ok((HtsvResult::Dead, 0));
        }
        if tx.is_in_progress(xmin) {
            if xmax_is_invalid(t) || xmax_is_locked_only(mask) {
                return Ok((HtsvResult::InsertInProgress, 0));
            }
            check_no_multi(t)?;
            // Inserted and deleted by the same running transaction.
            if t.xmax() == xmin {
                return Ok((HtsvResult::DeleteInProgress, 0));
            }
            return Ok((HtsvResult::InsertInProgress, 0));
        }
        match tx.status(xmin)? {
            XidStatus::Committed => hints |= HEAP_XMIN_COMMITTED,
            XidStatus::Aborted | XidStatus::InProgress => {
                return Ok((HtsvResult::Dead, HEAP_XMIN_INVALID));
            }
        }
    }

    // xmin committed.
    if xmax_is_invalid(t) {
        return Ok((HtsvResult::Live, hints));
    }
    if xmax_is_locked_only(mask) {
        // A lock never makes a tuple dead. Hint a finished locker away.
        if mask & HEAP_XMAX_COMMITTED == 0 && !tx.is_in_progress(t.xmax()) {
            hints |= HEAP_XMAX_INVALID;
        }
        return Ok((HtsvResult::Live, hints));
    }
    check_no_multi(t)?;
    let xmax = t.xmax();
    if mask & HEAP_XMAX_COMMITTED == 0 {
        if tx.is_in_progress(xmax) {
            return Ok((HtsvResult::DeleteInProgress, hints));
        }
        match tx.status(xmax)? {
            XidStatus::Committed => hints |= HEAP_XMAX_COMMITTED,
            XidStatus::Aborted | XidStatus::InProgress => {
                return Ok((HtsvResult::Live, hints | HEAP_XMAX_INVALID));
            }
        }
    }
    // Deleted by a committed transaction: dead once no snapshot can see it.
    if xmax >= oldest_xmin {
        return Ok((HtsvResult::RecentlyDead, hints));
    }
    Ok((HtsvResult::Dead, hints))
}
