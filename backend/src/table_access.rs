//! What the planner and executor see of the catalog and of tables: the
//! session as a [`planner::CatalogView`], and the executor's row cursor and
//! row changes on the heap (PostgreSQL's table access method glue,
//! `tableam.h`, for the heap).
//!
//! Each statement reads with the session's statement snapshot (a fresh one per
//! statement at READ COMMITTED, the transaction's at REPEATABLE READ and
//! above) at the current command id, so a statement never sees its own
//! changes; the command counter moves when the statement ends.

use std::cell::RefCell;
use std::sync::Arc;

use catalog::heap_catalog::RelationInfo;
use executor::{LockRowOutcome, ModifyOutcome, RowLockMode, RowLockWait, ScanId, Tid};
use planner::{CatalogView, ColumnDesc, RelationDesc};
use storage::heap::heapam::{self, HeapScan, LockTupleResult, ModifyResult};
use storage::heap::tuple::{Attribute, TupleDesc, deform_tuple, deform_tuple_prefix, form_tuple};
use storage::page::ItemPointer;
use storage::smgr::RelFileLocator;
use storage::transam::Snapshot;
use types::{Datum, PgError, PgResult, SqlState};

use crate::session::Session;

/// The planner's view of a relation from the catalog's.
pub fn relation_desc(info: &RelationInfo) -> RelationDesc {
    RelationDesc {
        oid: info.oid,
        name: info.name.clone(),
        schema: info.namespace.clone(),
        // The planner reads a system view like a table; changing one fails
        // in the table access functions below.
        relkind: if info.kind == 'v' { 'r' } else { info.kind },
        columns: info
            .columns
            .iter()
            .map(|c| ColumnDesc {
                name: c.name.clone(),
                type_oid: c.type_oid,
                typmod: c.typmod,
                not_null: c.not_null,
                default: c.default.clone(),
                attnum: c.attnum,
                dropped: c.dropped,
            })
            .collect(),
    }
}

/// The session as the planner's catalog (lookups go through the relcache).
pub struct SessionCatalog<'s> {
    session: RefCell<&'s mut Session>,
}

impl<'s> SessionCatalog<'s> {
    pub fn new(session: &'s mut Session) -> SessionCatalog<'s> {
        SessionCatalog { session: RefCell::new(session) }
    }
}

impl CatalogView for SessionCatalog<'_> {
    fn lookup_relation(&self, schema: Option<&str>, name: &str) -> PgResult<Option<Arc<RelationDesc>>> {
        let mut session = self.session.borrow_mut();
        let found = crate::relcache::lookup_relation(&mut session, schema, name)?;
        Ok(found.map(|info| Arc::new(relation_desc(&info))))
    }
}

/// One open scan of a statement.
pub struct OpenScan {
    /// None for a system view, whose rows are computed when the scan begins.
    scan: Option<HeapScan>,
    view_rows: std::collections::VecDeque<Vec<Datum>>,
    desc: TupleDesc,
    snapshot: Snapshot,
    relid: u32,
    returned: u64,
    /// Columns to decode; the rest of each row is NULL (see
    /// `ExecContext::scan_begin_columns`).
    columns: usize,
}

/// The tuple descriptor of a relation as the planner described it.
fn tuple_desc(rel: &RelationDesc) -> PgResult<TupleDesc> {
    rel.columns.iter().map(|c| Attribute::new(c.name.clone(), c.type_oid, c.typmod)).collect::<PgResult<Vec<_>>>().map(TupleDesc::new)
}

/// The relation's file: the relcache knows its relfilenode (which TRUNCATE
/// changes); the planner's description is keyed by OID.
fn locator(session: &mut Session, rel: &RelationDesc) -> PgResult<RelFileLocator> {
    let info = crate::relcache::relation_by_oid(session, rel.oid)?
        .ok_or_else(|| PgError::new(SqlState::UndefinedTable, format!("relation \"{}\" does not exist", rel.name)))?;
    Ok(info.locator(session.database_oid))
}

fn to_ip(t: Tid) -> ItemPointer {
    ItemPointer::new(t.block, t.offset)
}

fn to_tid(ip: ItemPointer) -> Tid {
    Tid { block: ip.block, offset: ip.offset }
}

pub fn scan_begin(session: &mut Session, rel: &RelationDesc) -> PgResult<ScanId> {
    scan_begin_columns(session, rel, rel.columns.len())
}

/// A scan whose rows need only their first `columns` columns decoded.
pub fn scan_begin_columns(session: &mut Session, rel: &RelationDesc, columns: usize) -> PgResult<ScanId> {
    let desc = tuple_desc(rel)?;
    crate::xact::serializable_begin(session)?;
    let snapshot = crate::xact::statement_snapshot(session);
    let (scan, view_rows) = if crate::sysviews::is_view(rel.oid) {
        (None, crate::sysviews::rows(session, rel.oid)?)
    } else {
        let loc = locator(session, rel)?;
        // SERIALIZABLE: a seqscan takes a relation-level SIREAD lock.
        crate::xact::serializable_read(session, rel.oid)?;
        (Some(HeapScan::begin(&session.storage.heap_env(), loc)?), Default::default())
    };
    let id = match session.scans.iter().position(Option::is_none) {
        Some(i) => i,
        None => {
            session.scans.push(None);
            session.scans.len() - 1
        }
    };
    session.scans[id] = Some(OpenScan { scan, view_rows, desc, snapshot, relid: rel.oid, returned: 0, columns });
    Ok(ScanId(id as u32))
}

pub fn scan_next(session: &mut Session, id: ScanId) -> PgResult<Option<(Tid, Vec<Datum>)>> {
    let env = session.storage.heap_env();
    let me = session.tx.me();
    let Some(Some(open)) = session.scans.get_mut(id.0 as usize) else {
        return Err(PgError::internal(format!("scan {} is not open", id.0)));
    };
    let Some(scan) = open.scan.as_mut() else {
        return Ok(open.view_rows.pop_front().map(|row| (Tid { block: 0, offset: 0 }, row)));
    };
    match scan.next(&env, &open.snapshot, me)? {
        Some((ip, bytes)) => {
            open.returned += 1;
            if open.columns == 0 {
                // The query reads no column (count(*)): nothing to decode, and
                // an empty row costs no allocation.
                return Ok(Some((to_tid(ip), Vec::new())));
            }
            let mut row = deform_tuple_prefix(&open.desc, bytes, open.columns)?;
            row.resize(open.desc.natts(), Datum::Null);
            Ok(Some((to_tid(ip), row)))
        }
        None => Ok(None),
    }
}

pub fn scan_end(session: &mut Session, id: ScanId) {
    if let Some(slot) = session.scans.get_mut(id.0 as usize)
        && let Some(open) = slot.take()
        && open.scan.is_some()
    {
        storage::pgstat::TableStats::new(session.shmem).scanned(session.database_oid, open.relid, open.returned);
    }
}

fn count(session: &mut Session, relid: u32) -> &mut storage::pgstat::XactTableCounts {
    session.tx.counts.entry(relid).or_default()
}

pub fn insert_row(session: &mut Session, rel: &RelationDesc, row: Vec<Datum>) -> PgResult<Tid> {
    if crate::sysviews::is_view(rel.oid) {
        return Err(crate::sysviews::not_updatable(&rel.name, "insert into"));
    }
    let loc = locator(session, rel)?;
    let tuple = form_tuple(&tuple_desc(rel)?, &row)?;
    let tid = crate::xact::with_write(session, |env, w| heapam::insert(env, loc, tuple, w))?;
    crate::xact::serializable_write(session, rel.oid)?;
    count(session, rel.oid).inserted += 1;
    Ok(to_tid(tid))
}

/// The outcome for the executor; on a concurrent update, the newest
/// version's contents for its re-check.
fn outcome(session: &mut Session, rel: &RelationDesc, loc: RelFileLocator, r: ModifyResult) -> PgResult<ModifyOutcome> {
    Ok(match r {
        ModifyResult::Done => ModifyOutcome::Done,
        // PostgreSQL ignores a row the same command already changed.
        ModifyResult::Gone | ModifyResult::SelfModified => ModifyOutcome::Gone,
        ModifyResult::Updated(ip) => match heapam::fetch_any(&session.storage.heap_env(), loc, ip)? {
            Some(bytes) => ModifyOutcome::Updated { tid: to_tid(ip), row: deform_tuple(&tuple_desc(rel)?, &bytes)? },
            None => ModifyOutcome::Gone,
        },
    })
}

pub fn update_row(session: &mut Session, rel: &RelationDesc, tid: Tid, row: Vec<Datum>) -> PgResult<ModifyOutcome> {
    if crate::sysviews::is_view(rel.oid) {
        return Err(crate::sysviews::not_updatable(&rel.name, "update"));
    }
    let loc = locator(session, rel)?;
    let tuple = form_tuple(&tuple_desc(rel)?, &row)?;
    let (r, new_tid) = crate::xact::with_write(session, |env, w| heapam::update(env, loc, to_ip(tid), tuple, true, w))?;
    if r == ModifyResult::Done {
        crate::xact::serializable_write(session, rel.oid)?;
    }
    if let Some(new_tid) = new_tid {
        let c = count(session, rel.oid);
        c.updated += 1;
        if new_tid.block == tid.block {
            c.hot_updated += 1;
        }
    }
    outcome(session, rel, loc, r)
}

pub fn delete_row(session: &mut Session, rel: &RelationDesc, tid: Tid) -> PgResult<ModifyOutcome> {
    if crate::sysviews::is_view(rel.oid) {
        return Err(crate::sysviews::not_updatable(&rel.name, "delete from"));
    }
    let loc = locator(session, rel)?;
    let r = crate::xact::with_write(session, |env, w| heapam::delete(env, loc, to_ip(tid), w))?;
    if r == ModifyResult::Done {
        crate::xact::serializable_write(session, rel.oid)?;
        count(session, rel.oid).deleted += 1;
    }
    outcome(session, rel, loc, r)
}

/// Locks row version `tid` for `SELECT ... FOR UPDATE/SHARE`
/// (`heapam_tuple_lock`): NOWAIT's refusal becomes PostgreSQL's 55P03, a
/// concurrent update hands the newest version to the executor's re-check.
pub fn lock_row(session: &mut Session, rel: &RelationDesc, tid: Tid, mode: RowLockMode, wait: RowLockWait) -> PgResult<LockRowOutcome> {
    let loc = locator(session, rel)?;
    let mode = match mode {
        RowLockMode::KeyShare => heapam::RowLockMode::KeyShare,
        RowLockMode::Share => heapam::RowLockMode::Share,
        RowLockMode::NoKeyUpdate => heapam::RowLockMode::NoKeyUpdate,
        RowLockMode::Update => heapam::RowLockMode::Update,
    };
    let wait = match wait {
        RowLockWait::Block => heapam::RowLockWait::Block,
        RowLockWait::SkipLocked => heapam::RowLockWait::SkipLocked,
        RowLockWait::NoWait => heapam::RowLockWait::NoWait,
    };
    let r = crate::xact::with_write(session, |env, w| heapam::lock_tuple(env, loc, to_ip(tid), mode, wait, w))?;
    Ok(match r {
        LockTupleResult::Locked => LockRowOutcome::Locked,
        LockTupleResult::Skipped => LockRowOutcome::Skipped,
        LockTupleResult::WouldBlock(_) => {
            return Err(PgError::new(SqlState::LockNotAvailable, format!("could not obtain lock on row in relation \"{}\"", rel.name)));
        }
        // PostgreSQL leaves out a row the same command already changed.
        LockTupleResult::Gone | LockTupleResult::SelfModified => LockRowOutcome::Gone,
        LockTupleResult::Updated(ip) => match heapam::fetch_any(&session.storage.heap_env(), loc, ip)? {
            Some(bytes) => LockRowOutcome::Updated { tid: to_tid(ip), row: deform_tuple(&tuple_desc(rel)?, &bytes)? },
            None => LockRowOutcome::Gone,
        },
    })
}
