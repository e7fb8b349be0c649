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

use catalog::heap_catalog::{IndexInfo, RelationInfo};
use executor::{LockRowOutcome, ModifyOutcome, RowLockMode, RowLockWait, ScanId, Tid};
use planner::{CatalogView, ColumnDesc, IndexDesc, RelationDesc};
use storage::heap::heapam::{self, HeapScan, LockTupleResult, ModifyResult};
use storage::heap::tuple::{
    Attribute, Compression, TupleDesc, deform_tuple, deform_tuple_prefix, deform_tuple_prefix_into,
    deform_tuple_some_into, form_tuple,
};
use storage::nbtree;
use storage::nbtree::insert::{InsertOutcome, UniqueProbe};
use storage::nbtree::scan::{Bound, IndexScan};
use storage::page::ItemPointer;
use storage::smgr::RelFileLocator;
use storage::transam::Snapshot;
use storage::transam::visibility::Me;
use types::{Datum, PgError, PgResult, SqlState};

use crate::session::Session;

/// The planner's view of a relation from the catalog's, with the indexes
/// of plain columns only (see [`relation_desc_for`] for the others).
pub fn relation_desc(info: &RelationInfo) -> RelationDesc {
    RelationDesc {
        oid: info.oid,
        name: info.name.clone(),
        schema: info.namespace.clone(),
        // The planner reads a system view like a table; changing one fails
        // in the table access functions below. A view of SQL is expanded.
        relkind: if info.kind == 'v' && info.view_query.is_none() {
            'r'
        } else {
            info.kind
        },
        view_query: info.view_query.as_deref().map(Arc::from),
        alias: None,
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
                identity: c.identity,
                generated: c.generated,
            })
            .collect(),
        indexes: info
            .indexes
            .iter()
            .filter(|ix| ix.row.valid && ix.row.exprs.is_none() && ix.row.pred.is_none())
            .filter_map(|ix| {
                let columns = ix.row.keys[..ix.am.nkeyatts]
                    .iter()
                    .map(|&attnum| info.columns.iter().position(|c| c.attnum == attnum))
                    .collect::<Option<Vec<usize>>>()?;
                Some(IndexDesc {
                    exprs: vec![None; columns.len()],
                    predicate: None,
                    oid: ix.oid,
                    name: ix.name.clone(),
                    columns,
                    descending: ix.am.options.iter().map(|o| o.desc).collect(),
                    nulls_first: ix.am.options.iter().map(|o| o.nulls_first).collect(),
                    stored: ix
                        .row
                        .keys
                        .iter()
                        .filter_map(|&attnum| info.columns.iter().position(|c| c.attnum == attnum))
                        .collect(),
                    unique: ix.row.unique,
                })
            })
            .collect(),
        checks: Default::default(),
        generated: Default::default(),
        children: Vec::new(),
        partitioning: None,
        partition_check: None,
        triggers: Arc::new(enabled_triggers(&info.triggers, false)),
        stats: Arc::clone(&info.statistics),
        system_columns: false,
    }
}

/// [`relation_desc`] with the expression and partial indexes too, their
/// expressions and predicates analyzed (and cached by the session).
/// The enabled triggers of `triggers` for the executor (only the
/// row-level ones if `row_only`). `R` triggers fire only when
/// session_replication_role is replica, which is not supported.
fn enabled_triggers(
    triggers: &[catalog::system::TriggerRow],
    row_only: bool,
) -> Vec<planner::TriggerDesc> {
    triggers
        .iter()
        .filter(|t| matches!(t.enabled, 'O' | 'A'))
        .filter(|t| !row_only || t.tgtype & catalog::system::TRIGGER_TYPE_ROW != 0)
        .map(|t| planner::TriggerDesc {
            oid: t.oid,
            name: t.name.clone(),
            func: t.func,
            tgtype: t.tgtype,
            columns: t.columns.clone(),
            args: t.args.clone(),
            when: t.qual.as_deref().map(Arc::from),
            old_table: t.old_table.as_deref().map(Arc::from),
            new_table: t.new_table.as_deref().map(Arc::from),
        })
        .collect()
}

pub fn relation_desc_for(session: &mut Session, info: &RelationInfo) -> PgResult<RelationDesc> {
    let mut desc = relation_desc(info);
    // A partition fires its ancestors' row-level triggers too (PostgreSQL
    // clones them onto every partition).
    let mut parent = info.partition_parent;
    let mut inherited = Vec::new();
    while parent != 0 {
        let Some(p) = crate::relcache::relation_by_oid(session, parent)? else {
            break;
        };
        inherited.extend(enabled_triggers(&p.triggers, true));
        parent = p.partition_parent;
    }
    if !inherited.is_empty() {
        let mut all = (*desc.triggers).clone();
        all.extend(inherited);
        all.sort_by(|a, b| a.name.cmp(&b.name));
        desc.triggers = Arc::new(all);
    }
    desc.checks = crate::commands::constraints::check_exprs(session, info)?;
    desc.generated = generation_exprs(session, info)?;
    for ix in info
        .indexes
        .iter()
        .filter(|ix| ix.row.valid && (ix.row.exprs.is_some() || ix.row.pred.is_some()))
    {
        let Some(analyzed) = crate::index_exprs::of(session, info, ix)? else {
            continue;
        };
        let nkey = ix.am.nkeyatts;
        let mut next_expr = analyzed.exprs.iter();
        let mut columns = Vec::with_capacity(nkey);
        let mut exprs = Vec::with_capacity(nkey);
        for &attnum in &ix.row.keys[..nkey] {
            if attnum == 0 {
                columns.push(usize::MAX);
                exprs.push(next_expr.next().cloned());
            } else {
                columns.push(
                    info.columns
                        .iter()
                        .position(|c| c.attnum == attnum)
                        .unwrap_or(usize::MAX),
                );
                exprs.push(None);
            }
        }
        desc.indexes.push(IndexDesc {
            oid: ix.oid,
            name: ix.name.clone(),
            columns,
            descending: ix.am.options.iter().map(|o| o.desc).collect(),
            nulls_first: ix.am.options.iter().map(|o| o.nulls_first).collect(),
            stored: ix
                .row
                .keys
                .iter()
                .filter_map(|&attnum| {
                    info.columns
                        .iter()
                        .position(|c| c.attnum == attnum && attnum != 0)
                })
                .collect(),
            unique: ix.row.unique,
            exprs,
            predicate: analyzed.pred.clone(),
        });
    }
    Ok(desc)
}

/// The analyzed generation expressions of `info`'s stored generated
/// columns (cached by the session, as CHECK constraints are).
pub fn generation_exprs(
    session: &mut Session,
    info: &RelationInfo,
) -> PgResult<Arc<Vec<(usize, planner::Expr)>>> {
    if !info
        .columns
        .iter()
        .any(|c| c.generated != '\0' && !c.dropped)
    {
        return Ok(Arc::default());
    }
    if let Some(found) = session.relcache.generated.get(&info.oid) {
        return Ok(found.clone());
    }
    let desc = Arc::new(relation_desc(info));
    // An expression may name its own table (`tableoid = 't'::regclass`),
    // whose lookup comes back here: it finds no generation meanwhile.
    session.relcache.generated.insert(info.oid, Arc::default());
    let mut out = Vec::new();
    for (i, c) in info.columns.iter().enumerate() {
        if c.generated == '\0' || c.dropped {
            continue;
        }
        let Some(text) = &c.default else { continue };
        let catalog = SessionCatalog::new(session);
        match planner::analyze_generation_expression(desc.clone(), text, i, &catalog) {
            Ok(x) => out.push((i, x)),
            Err(e) => {
                session.relcache.generated.remove(&info.oid);
                return Err(e);
            }
        }
    }
    let out = Arc::new(out);
    session.relcache.generated.insert(info.oid, out.clone());
    Ok(out)
}

/// The session as the planner's catalog (lookups go through the relcache).
pub struct SessionCatalog<'s> {
    session: RefCell<&'s mut Session>,
}

impl<'s> SessionCatalog<'s> {
    pub fn new(session: &'s mut Session) -> SessionCatalog<'s> {
        SessionCatalog {
            session: RefCell::new(session),
        }
    }
}

impl CatalogView for SessionCatalog<'_> {
    fn row_security(
        &self,
        oid: u32,
        through: Option<u32>,
    ) -> PgResult<Option<Vec<planner::catalog::PolicyDesc>>> {
        let mut session = self.session.borrow_mut();
        row_security(&mut session, oid, through)
    }

    fn view_check_option(&self, oid: u32) -> PgResult<Option<char>> {
        let session = self.session.borrow_mut();
        let class = crate::relcache::with_reader(&session, |r| r.class_by_oid(oid))?;
        Ok(class.and_then(|(_, c)| {
            // The value as written; PostgreSQL reads it in any case.
            c.options.iter().find_map(|o| match o.split_once('=')? {
                ("check_option", v) if v.eq_ignore_ascii_case("local") => Some('l'),
                ("check_option", v) if v.eq_ignore_ascii_case("cascaded") => Some('c'),
                _ => None,
            })
        }))
    }

    fn planner_settings(&self) -> planner::settings::PlannerSettings {
        let session = self.session.borrow();
        planner::settings::PlannerSettings::from_lookup(
            |name| session.settings.get_bool(name),
            |name| {
                (session.settings.get_real(name))
                    .or_else(|| session.settings.get_int(name).map(f64::from))
            },
        )
    }

    fn lookup_type(&self, schema: Option<&str>, name: &str) -> PgResult<Option<u32>> {
        let mut session = self.session.borrow_mut();
        crate::commands::typecmds::lookup_type(&mut session, schema, name)
    }

    fn lookup_functions(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Vec<Arc<planner::FunctionDesc>>> {
        let mut session = self.session.borrow_mut();
        crate::commands::function::lookup(&mut session, schema, name)
    }

    fn lookup_aggregates(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Vec<Arc<planner::AggregateDesc>>> {
        let mut session = self.session.borrow_mut();
        crate::commands::aggregate::lookup(&mut session, schema, name)
    }

    fn lookup_operators(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Vec<Arc<planner::OperatorDesc>>> {
        let mut session = self.session.borrow_mut();
        crate::commands::operatorcmds::lookup(&mut session, schema, name)
    }

    fn check_foreign_scan(&self, oid: u32) -> PgResult<()> {
        // No wrapper here can scan: PostgreSQL fails at planning too.
        crate::commands::foreigncmds::check_foreign_scan(&self.session.borrow(), oid)
    }

    fn lookup_relation(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Option<Arc<RelationDesc>>> {
        let mut session = self.session.borrow_mut();
        crate::relcache::check_explicit_schema(&mut session, schema)?;
        let Some(info) = crate::relcache::lookup_relation(&mut session, schema, name)? else {
            return Ok(None);
        };
        crate::commands::temp::check_access(&mut session, &info)?;
        let mut desc = relation_desc_for(&mut session, &info)?;
        if !info.children.is_empty() || info.partition_parent != 0 || info.kind == 'p' {
            crate::commands::partition::describe(&mut session, &info, &mut desc, 0)?;
        }
        Ok(Some(Arc::new(desc)))
    }
}

/// An open index scan: the range being scanned, the ranges still to come,
/// the table (with the index at `pos` among its indexes) and its file.
pub struct OpenIndexScan {
    /// None between ranges (and when there is none: an IN list of NULLs).
    scan: Option<IndexScan>,
    rest: std::collections::VecDeque<executor::IndexRange>,
    info: Arc<RelationInfo>,
    pos: usize,
    heap: RelFileLocator,
    index_only: Option<IndexOnly>,
    /// Each range read from its upper end down.
    backward: bool,
    /// The xmin horizon for marking entries dead, read when first needed.
    horizon: Option<storage::transam::TransactionId>,
}

/// An index-only scan's state: where each index column goes in the table
/// row, and the last heap block whose visibility-map bit was read.
struct IndexOnly {
    places: Vec<Option<usize>>,
    last_vm: Option<(u32, bool)>,
}

fn range_scan(index: RelFileLocator, r: executor::IndexRange, backward: bool) -> IndexScan {
    let bound =
        |b: Option<(Vec<Datum>, bool)>| b.map(|(values, inclusive)| Bound { values, inclusive });
    if backward {
        IndexScan::begin_backward(index, bound(r.lower), bound(r.upper))
    } else {
        IndexScan::begin(index, bound(r.lower), bound(r.upper))
    }
}

/// The tids a bitmap scan or a Tid Scan fetches, from `heap`. A bitmap's
/// come from index entries, each the root of a HOT chain whose visible
/// member is the row; a Tid Scan's (`exact`) name row versions, fetched
/// as they are.
struct TidFetch {
    tids: std::collections::VecDeque<ItemPointer>,
    heap: RelFileLocator,
    exact: bool,
}

/// One open scan of a statement.
pub struct OpenScan {
    /// None for a system view, whose rows are computed when the scan begins.
    scan: Option<HeapScan>,
    /// An index scan instead.
    index: Option<OpenIndexScan>,
    /// A bitmap scan (or a Tid Scan) instead: the heap tids still to fetch,
    /// in heap order.
    bitmap: Option<TidFetch>,
    view_rows: std::collections::VecDeque<Vec<Datum>>,
    desc: TupleDesc,
    snapshot: Snapshot,
    relid: u32,
    returned: u64,
    /// Columns to decode; the rest of each row is NULL (see
    /// `ExecContext::scan_begin_columns`).
    columns: usize,
    /// Of those, the ones a plain seqscan decodes, when it skips some
    /// (`ExecContext::scan_begin_read`): the others are NULL too.
    read: Option<Box<[bool]>>,
    /// Each row carries the system columns after its own (see
    /// `RelationDesc::system_columns`).
    system: bool,
}

/// The system columns of the tuple at `ip` (`bytes`), in the order a scan
/// appends them: `ctid`, `xmin`, `cmin`, `xmax`, `cmax`. The xids are the
/// low 32 bits of ours, as PostgreSQL's `xid` type shows a 64-bit
/// transaction id (`txid_current()` modulo 2^32); cmin and cmax are both
/// the raw `t_cid`, as PostgreSQL prints them.
fn system_values(ip: ItemPointer, bytes: &[u8]) -> PgResult<[Datum; 5]> {
    let h = storage::heap::tuple::TupleHeader::parse(bytes)?;
    Ok([
        Datum::Tid(ip.block, ip.offset),
        Datum::Xid(h.xmin() as u32),
        Datum::Cid(h.cid()),
        Datum::Xid(h.xmax() as u32),
        Datum::Cid(h.cid()),
    ])
}

/// The system columns of a system view's row, which has no tuple: a
/// bootstrap row's values (frozen, never deleted).
fn view_system_values(n: u64) -> [Datum; 5] {
    [
        Datum::Tid(0, u16::try_from(n).unwrap_or(u16::MAX)),
        Datum::Xid(1),
        Datum::Cid(0),
        Datum::Xid(0),
        Datum::Cid(0),
    ]
}

/// Makes `row` full-width and appends the system columns of the tuple at
/// `ip` to it, when the scan carries them.
fn with_system(
    (system, natts): (bool, usize),
    ip: ItemPointer,
    bytes: &[u8],
    row: &mut Vec<Datum>,
) -> PgResult<()> {
    if system {
        row.resize(natts, Datum::Null);
        row.extend(system_values(ip, bytes)?);
    }
    Ok(())
}

/// The tuple descriptor of a relation as the planner described it.
fn tuple_desc(rel: &RelationDesc) -> PgResult<TupleDesc> {
    rel.columns
        .iter()
        .map(|c| Attribute::new(c.name.clone(), c.type_oid, c.typmod))
        .collect::<PgResult<Vec<_>>>()
        .map(TupleDesc::new)
}

/// The tuple descriptor of a table from its catalog description.
pub fn heap_tuple_desc(info: &RelationInfo) -> PgResult<TupleDesc> {
    info.columns
        .iter()
        .map(|c| Attribute::new(c.name.clone(), c.type_oid, c.typmod))
        .collect::<PgResult<Vec<_>>>()
        .map(TupleDesc::new)
}

/// The last descriptor [`writing_tuple_desc`] made: for which relation
/// description and default compression method.
type WritingDesc = (std::sync::Weak<RelationInfo>, Compression, Arc<TupleDesc>);

/// The tuple descriptor rows of table `info` are written with: each
/// column's `attstorage` and compression method (`attcompression`, else the
/// session's `default_toast_compression`), and the table's
/// `toast_tuple_target`, which say what [`form_tuple`] compresses.
pub fn writing_tuple_desc(session: &Session, info: &Arc<RelationInfo>) -> PgResult<Arc<TupleDesc>> {
    let default = session
        .settings
        .get_str("default_toast_compression")
        .and_then(|v| Compression::from_name(&v))
        .unwrap_or_default();
    // Rows are written one at a time: the last descriptor is kept for as
    // long as its relation's description lives (the relcache makes a new
    // one when the table changes) and the default method stays.
    thread_local! {
        static LAST: RefCell<Option<WritingDesc>> = const { RefCell::new(None) };
    }
    let cached = LAST.with(|last| match &*last.borrow() {
        Some((rel, method, desc))
            if *method == default && std::sync::Weak::ptr_eq(rel, &Arc::downgrade(info)) =>
        {
            Some(desc.clone())
        }
        _ => None,
    });
    if let Some(desc) = cached {
        return Ok(desc);
    }
    let desc = Arc::new(build_writing_tuple_desc(info, default)?);
    LAST.with(|last| *last.borrow_mut() = Some((Arc::downgrade(info), default, desc.clone())));
    Ok(desc)
}

fn build_writing_tuple_desc(info: &RelationInfo, default: Compression) -> PgResult<TupleDesc> {
    let mut desc = heap_tuple_desc(info)?;
    for (att, col) in desc.attrs.iter_mut().zip(&info.columns) {
        if col.storage != '\0' {
            att.storage = col.storage;
        }
        att.compression = match col.compression {
            'p' => Compression::Pglz,
            'l' => Compression::Lz4,
            _ => default,
        };
    }
    desc.toast_tuple_target = catalog::reloptions::int_option(&info.options, "toast_tuple_target")
        .map_or(0, |t| t as usize);
    Ok(desc)
}

/// The relation's file: the relcache knows its relfilenode (which TRUNCATE
/// changes); the planner's description is keyed by OID.
fn locator(session: &mut Session, rel: &RelationDesc) -> PgResult<RelFileLocator> {
    let info = crate::relcache::relation_by_oid(session, rel.oid)?.ok_or_else(|| {
        PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{}\" does not exist", rel.name),
        )
    })?;
    Ok(info.locator(session.database_oid))
}

fn to_ip(t: Tid) -> ItemPointer {
    ItemPointer::new(t.block, t.offset)
}

fn to_tid(ip: ItemPointer) -> Tid {
    Tid {
        block: ip.block,
        offset: ip.offset,
    }
}

pub fn scan_begin(session: &mut Session, rel: &RelationDesc) -> PgResult<ScanId> {
    scan_begin_columns(session, rel, rel.columns.len())
}

/// A scan whose rows need only their first `columns` columns decoded.
pub fn scan_begin_columns(
    session: &mut Session,
    rel: &RelationDesc,
    columns: usize,
) -> PgResult<ScanId> {
    check_scannable(session, rel)?;
    let desc = tuple_desc(rel)?;
    // The system columns after the row's are not decoded.
    let columns = columns.min(desc.natts());
    crate::xact::serializable_begin(session)?;
    let snapshot = crate::xact::statement_snapshot(session);
    let (scan, view_rows) = if crate::sysviews::is_view(rel.oid) {
        (None, crate::sysviews::rows(session, rel.oid)?)
    } else {
        let loc = locator(session, rel)?;
        // SERIALIZABLE: a seqscan takes a relation-level SIREAD lock.
        crate::xact::serializable_read(session, rel.oid)?;
        (
            Some(HeapScan::begin(&session.storage.heap_env(), loc)?),
            Default::default(),
        )
    };
    Ok(open_slot(
        session,
        OpenScan {
            scan,
            index: None,
            bitmap: None,
            view_rows,
            desc,
            snapshot,
            relid: rel.oid,
            returned: 0,
            columns,
            read: None,
            system: rel.system_columns,
        },
    ))
}

/// A scan whose rows need only the columns `read` marks decoded (of the
/// first `read.len()`); the others are NULL.
pub fn scan_begin_read(
    session: &mut Session,
    rel: &RelationDesc,
    read: &[bool],
) -> PgResult<ScanId> {
    let id = scan_begin_columns(session, rel, read.len())?;
    let read = &read[..read.len().min(rel.columns.len())];
    if read.contains(&false)
        && let Some(Some(open)) = session.scans.get_mut(id.0 as usize)
    {
        open.read = Some(read.into());
    }
    Ok(id)
}

/// 55000 for a scan of a materialized view that has no data (made or
/// refreshed WITH NO DATA), as PostgreSQL's `ExecOpenScanRelation` refuses it.
fn check_scannable(session: &mut Session, rel: &RelationDesc) -> PgResult<()> {
    if rel.relkind != 'm' {
        return Ok(());
    }
    if relation_info(session, rel)?.populated {
        return Ok(());
    }
    Err(PgError::new(
        SqlState::ObjectNotInPrerequisiteState,
        format!("materialized view \"{}\" has not been populated", rel.name),
    )
    .with_hint("Use the REFRESH MATERIALIZED VIEW command."))
}

/// What every index-driven scan of `rel` starts with: its row shape, the
/// statement's snapshot, and (SERIALIZABLE) a relation-level SIREAD lock,
/// as a seqscan takes.
fn start_index_read(session: &mut Session, rel: &RelationDesc) -> PgResult<(TupleDesc, Snapshot)> {
    check_scannable(session, rel)?;
    let desc = tuple_desc(rel)?;
    crate::xact::serializable_begin(session)?;
    let snapshot = crate::xact::statement_snapshot(session);
    crate::xact::serializable_read(session, rel.oid)?;
    Ok((desc, snapshot))
}

impl OpenScan {
    /// A scan of `relid` that reads rows of `desc` with `snapshot`, with no
    /// source yet (the caller sets one).
    fn reading(desc: TupleDesc, snapshot: Snapshot, rel: &RelationDesc) -> OpenScan {
        let columns = desc.natts();
        let relid = rel.oid;
        OpenScan {
            scan: None,
            index: None,
            bitmap: None,
            view_rows: Default::default(),
            desc,
            snapshot,
            relid,
            returned: 0,
            columns,
            read: None,
            system: rel.system_columns,
        }
    }
}

/// Opens a bitmap scan: the heap tids `bitmap` holds, fetched in heap
/// order. An index gone since planning makes it a seqscan (same rows).
pub fn bitmap_scan_begin(
    session: &mut Session,
    rel: &RelationDesc,
    bitmap: executor::BitmapRanges,
) -> PgResult<ScanId> {
    let info = crate::relcache::relation_by_oid(session, rel.oid)?.ok_or_else(|| {
        PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{}\" does not exist", rel.name),
        )
    })?;
    if !bitmap_indexes_exist(&info, &bitmap) {
        return scan_begin(session, rel);
    }
    let (desc, snapshot) = start_index_read(session, rel)?;
    let db = session.database_oid;
    let tids = {
        let mut reader = BitmapReader {
            env: session.storage.heap_env(),
            info: &info,
            db,
            interrupts: &session.interrupts,
            deadline: session.deadline,
        };
        reader.tids(bitmap, None)?.unwrap_or_default()
    };
    let mut open = OpenScan::reading(desc, snapshot, rel);
    open.bitmap = Some(TidFetch {
        tids: tids.into_iter().collect(),
        heap: info.locator(db),
        exact: false,
    });
    Ok(open_slot(session, open))
}

/// Opens a Tid Scan: the row versions at `tids` (sorted), each fetched
/// as it is and returned if the snapshot sees it. A system view has no
/// heap: it is scanned whole (the caller's WHERE picks the rows).
pub fn tid_scan_begin(
    session: &mut Session,
    rel: &RelationDesc,
    tids: Vec<Tid>,
) -> PgResult<ScanId> {
    if crate::sysviews::is_view(rel.oid) {
        return scan_begin(session, rel);
    }
    let heap = locator(session, rel)?;
    let (desc, snapshot) = start_index_read(session, rel)?;
    let mut open = OpenScan::reading(desc, snapshot, rel);
    open.bitmap = Some(TidFetch {
        tids: tids.into_iter().map(to_ip).collect(),
        heap,
        exact: true,
    });
    Ok(open_slot(session, open))
}

/// Opens a Tid Range Scan: a sequential scan of blocks `first..=last`.
pub fn tid_range_scan_begin(
    session: &mut Session,
    rel: &RelationDesc,
    first: u32,
    last: u32,
) -> PgResult<ScanId> {
    let id = scan_begin(session, rel)?;
    if let Some(Some(open)) = session.scans.get_mut(id.0 as usize)
        && let Some(scan) = open.scan.as_mut()
    {
        scan.set_block_range(first, last);
    }
    Ok(id)
}

fn bitmap_indexes_exist(info: &RelationInfo, bitmap: &executor::BitmapRanges) -> bool {
    match bitmap {
        executor::BitmapRanges::Index(oid, _) => info.indexes.iter().any(|ix| ix.oid == *oid),
        executor::BitmapRanges::Or(parts) | executor::BitmapRanges::And(parts) => {
            parts.iter().all(|p| bitmap_indexes_exist(info, p))
        }
    }
}

/// Below this many tids an AND reads no further parts: fetching a few heap
/// rows and filtering them costs less than another index scan.
const BITMAP_AND_FEW: usize = 32;

/// Collects the tids of a bitmap.
struct BitmapReader<'a, 'e> {
    env: storage::heap::heapam::HeapEnv<'e, 'static>,
    info: &'a RelationInfo,
    db: u32,
    interrupts: &'a crate::interrupt::Interrupts,
    deadline: Option<std::time::Instant>,
}

impl BitmapReader<'_, '_> {
    /// The tids `bitmap` holds; None if it would hold more than `limit`
    /// entries (a part of an AND not worth reading to the end: the AND
    /// then goes without it, which only makes it less narrow).
    fn tids(
        &mut self,
        bitmap: executor::BitmapRanges,
        limit: Option<usize>,
    ) -> PgResult<Option<std::collections::BTreeSet<ItemPointer>>> {
        let mut out = std::collections::BTreeSet::new();
        match bitmap {
            executor::BitmapRanges::Index(oid, ranges) => {
                let Some(ix) = self.info.indexes.iter().find(|ix| ix.oid == oid) else {
                    return Ok(None);
                };
                for r in ranges {
                    let mut scan = range_scan(ix.locator(self.db), r, false);
                    while let Some((root, _)) = scan.next(&self.env, &ix.am)? {
                        out.insert(root);
                        if limit.is_some_and(|l| out.len() > l) {
                            return Ok(None);
                        }
                    }
                    self.interrupts.check(self.deadline)?;
                }
            }
            executor::BitmapRanges::Or(parts) => {
                for p in parts {
                    let Some(tids) = self.tids(p, limit)? else {
                        return Ok(None);
                    };
                    out.extend(tids);
                    if limit.is_some_and(|l| out.len() > l) {
                        return Ok(None);
                    }
                }
            }
            executor::BitmapRanges::And(parts) => {
                let mut parts = parts.into_iter();
                let Some(first) = parts.next() else {
                    return Ok(Some(out));
                };
                let Some(mut acc) = self.tids(first, limit)? else {
                    return Ok(None);
                };
                for p in parts {
                    if acc.len() <= BITMAP_AND_FEW {
                        break;
                    }
                    // A part reading far more entries than the tids left
                    // would cost more than the heap fetches it saves.
                    if let Some(tids) = self.tids(p, Some(acc.len() * 4))? {
                        acc.retain(|t| tids.contains(t));
                    }
                }
                out = acc;
            }
        }
        Ok(Some(out))
    }
}

/// Opens an index scan: the entries of index `index_oid` between the
/// bounds, each followed to the heap row its snapshot sees (through the
/// HOT chain the entry points at).
pub fn index_scan_begin(
    session: &mut Session,
    rel: &RelationDesc,
    index_oid: u32,
    ranges: Vec<executor::IndexRange>,
    index_only: bool,
    backward: bool,
) -> PgResult<ScanId> {
    let info = crate::relcache::relation_by_oid(session, rel.oid)?.ok_or_else(|| {
        PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{}\" does not exist", rel.name),
        )
    })?;
    let Some(pos) = info.indexes.iter().position(|ix| ix.oid == index_oid) else {
        // The index is gone since planning: a seqscan gives the same rows.
        return scan_begin(session, rel);
    };
    let (desc, snapshot) = start_index_read(session, rel)?;
    let heap_loc = info.locator(session.database_oid);
    let mut open = OpenScan::reading(desc, snapshot, rel);
    open.index = Some(OpenIndexScan {
        scan: None,
        rest: ranges.into(),
        // A row with its system columns needs its tuple.
        index_only: (index_only && !rel.system_columns).then(|| IndexOnly {
            places: info.indexes[pos]
                .row
                .keys
                .iter()
                .map(|&a| info.columns.iter().position(|c| c.attnum == a))
                .collect(),
            last_vm: None,
        }),
        info,
        pos,
        heap: heap_loc,
        backward,
        horizon: None,
    });
    Ok(open_slot(session, open))
}

/// Puts an open scan in the session's first free slot; its id.
fn open_slot(session: &mut Session, open: OpenScan) -> ScanId {
    let id = match session.scans.iter().position(Option::is_none) {
        Some(i) => i,
        None => {
            session.scans.push(None);
            session.scans.len() - 1
        }
    };
    session.scans[id] = Some(open);
    ScanId(id as u32)
}

pub fn scan_next(session: &mut Session, id: ScanId) -> PgResult<Option<(Tid, Vec<Datum>)>> {
    let env = session.storage.heap_env();
    let me = session.tx.me();
    let Some(Some(open)) = session.scans.get_mut(id.0 as usize) else {
        return Err(PgError::internal(format!("scan {} is not open", id.0)));
    };
    if let Some(fetch) = open.bitmap.as_mut() {
        while let Some(root) = fetch.tids.pop_front() {
            let found = if fetch.exact {
                heapam::fetch(&env, fetch.heap, root, &open.snapshot, me)?.map(|b| (root, b))
            } else {
                heapam::fetch_hot(&env, fetch.heap, root, &open.snapshot, me)?
            };
            if let Some((tid, bytes)) = found {
                open.returned += 1;
                let mut row = deform_tuple(&open.desc, &bytes)?;
                with_system((open.system, open.desc.natts()), tid, &bytes, &mut row)?;
                return Ok(Some((to_tid(tid), row)));
            }
        }
        return Ok(None);
    }
    if let Some(ix) = open.index.as_mut() {
        let index = &ix.info.indexes[ix.pos];
        loop {
            if let Some(scan) = ix.scan.as_mut() {
                while let Some((root, entry)) = scan.next(&env, &index.am)? {
                    if let Some(only) = ix.index_only.as_mut() {
                        let visible = match only.last_vm {
                            Some((block, v)) if block == root.block => v,
                            _ => {
                                let v = storage::heap::visibilitymap::is_all_visible(
                                    &env, ix.heap, root.block,
                                )?;
                                only.last_vm = Some((root.block, v));
                                v
                            }
                        };
                        if visible {
                            // All-visible: the entry's row is there and
                            // visible to every snapshot; the index has
                            // every column the query reads.
                            let values =
                                nbtree::itup::IndexTuple::parse(&entry)?.values(&index.am)?;
                            let mut row = vec![Datum::Null; open.desc.natts()];
                            for (v, place) in values.into_iter().zip(only.places.iter()) {
                                if let Some(p) = place {
                                    row[*p] = v;
                                }
                            }
                            open.returned += 1;
                            return Ok(Some((to_tid(root), row)));
                        }
                    }
                    if let Some((tid, bytes)) =
                        heapam::fetch_hot(&env, ix.heap, root, &open.snapshot, me)?
                    {
                        open.returned += 1;
                        let mut row = deform_tuple(&open.desc, &bytes)?;
                        if open.system {
                            row.extend(system_values(tid, &bytes)?);
                        }
                        return Ok(Some((to_tid(tid), row)));
                    }
                    // Invisible to us; if to everyone, later scans need not
                    // visit the heap for it (the entry is marked dead).
                    let horizon = *ix.horizon.get_or_insert_with(|| env.tx.oldest_xmin());
                    if heapam::chain_dead_to_all(&env, ix.heap, root, horizon)? {
                        scan.kill_last(&env)?;
                    }
                }
            }
            match ix.rest.pop_front() {
                Some(r) => {
                    ix.scan = Some(range_scan(
                        index.locator(session.database_oid),
                        r,
                        ix.backward,
                    ))
                }
                None => return Ok(None),
            }
        }
    }
    let Some(scan) = open.scan.as_mut() else {
        let system = open.system;
        let Some(mut row) = open.view_rows.pop_front() else {
            return Ok(None);
        };
        open.returned += 1;
        if system {
            row.extend(view_system_values(open.returned));
        }
        return Ok(Some((
            Tid {
                block: 0,
                offset: 0,
            },
            row,
        )));
    };
    match scan.next(&env, &open.snapshot, me)? {
        Some((ip, bytes)) => {
            open.returned += 1;
            if open.columns == 0 && !open.system {
                // The query reads no column (count(*)): nothing to decode, and
                // an empty row costs no allocation.
                return Ok(Some((to_tid(ip), Vec::new())));
            }
            let row = match &open.read {
                Some(read) => {
                    let mut row = Vec::new();
                    deform_tuple_some_into(&open.desc, bytes, read, &mut row)?;
                    row
                }
                None => {
                    let mut row = deform_tuple_prefix(&open.desc, bytes, open.columns)?;
                    row.resize(open.desc.natts(), Datum::Null);
                    row
                }
            };
            let mut row = row;
            with_system((open.system, open.desc.natts()), ip, bytes, &mut row)?;
            Ok(Some((to_tid(ip), row)))
        }
        None => Ok(None),
    }
}

/// [`scan_next`] into `row`, whose room the caller reuses from row to row:
/// a plain seqscan decodes the tuple in place (no allocation per row);
/// other scans move their row in. False at the end.
pub fn scan_next_into(
    session: &mut Session,
    id: ScanId,
    row: &mut Vec<Datum>,
) -> PgResult<Option<Tid>> {
    let plain = matches!(
        session.scans.get(id.0 as usize),
        Some(Some(open)) if open.scan.is_some() && open.bitmap.is_none() && open.index.is_none()
    );
    if !plain {
        return Ok(match scan_next(session, id)? {
            Some((tid, next)) => {
                *row = next;
                Some(tid)
            }
            None => None,
        });
    }
    let env = session.storage.heap_env();
    let me = session.tx.me();
    let Some(Some(open)) = session.scans.get_mut(id.0 as usize) else {
        return Err(PgError::internal(format!("scan {} is not open", id.0)));
    };
    let Some(scan) = open.scan.as_mut() else {
        return Ok(None);
    };
    match scan.next(&env, &open.snapshot, me)? {
        Some((ip, bytes)) => {
            open.returned += 1;
            if open.columns == 0 && !open.system {
                row.clear();
            } else if let Some(read) = &open.read {
                deform_tuple_some_into(&open.desc, bytes, read, row)?;
            } else {
                deform_tuple_prefix_into(&open.desc, bytes, open.columns, row)?;
            }
            with_system((open.system, open.desc.natts()), ip, bytes, row)?;
            Ok(Some(to_tid(ip)))
        }
        None => Ok(None),
    }
}

/// The full-width row [`scan_next_into`] returned last as `row`: a plain
/// seqscan that decoded fewer columns decodes its tuple whole now.
pub fn scan_row_whole(session: &mut Session, id: ScanId, row: &[Datum]) -> PgResult<Vec<Datum>> {
    match session.scans.get(id.0 as usize) {
        Some(Some(open))
            if open.bitmap.is_none()
                && open.index.is_none()
                && (open.columns < open.desc.natts() || open.read.is_some()) =>
        {
            match open.scan.as_ref() {
                Some(scan) => {
                    let mut whole = deform_tuple(&open.desc, scan.current())?;
                    // The system columns were appended already.
                    whole.extend_from_slice(row.get(open.desc.natts()..).unwrap_or_default());
                    Ok(whole)
                }
                None => Ok(row.to_vec()),
            }
        }
        _ => Ok(row.to_vec()),
    }
}

/// Decodes the columns `read` marks of the tuple a plain seqscan returned
/// last into `row`; other scans returned their rows whole.
pub fn scan_reread(
    session: &mut Session,
    id: ScanId,
    read: &[bool],
    row: &mut Vec<Datum>,
) -> PgResult<()> {
    match session.scans.get(id.0 as usize) {
        Some(Some(open)) if open.bitmap.is_none() && open.index.is_none() => {
            match open.scan.as_ref() {
                Some(scan) => {
                    let natts = open.desc.natts();
                    let system: Vec<Datum> = row.get(natts..).unwrap_or_default().to_vec();
                    let read = &read[..read.len().min(natts)];
                    deform_tuple_some_into(&open.desc, scan.current(), read, row)?;
                    row.extend(system);
                    Ok(())
                }
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

pub fn scan_end(session: &mut Session, id: ScanId) {
    if let Some(slot) = session.scans.get_mut(id.0 as usize)
        && let Some(open) = slot.take()
        && (open.scan.is_some() || open.index.is_some() || open.bitmap.is_some())
    {
        storage::pgstat::TableStats::new(session.shmem).scanned(
            session.database_oid,
            open.relid,
            open.returned,
        );
    }
}

fn count(session: &mut Session, relid: u32) -> &mut storage::pgstat::XactTableCounts {
    session.tx.counts.entry(relid).or_default()
}

pub fn insert_row(session: &mut Session, rel: &RelationDesc, row: Vec<Datum>) -> PgResult<Tid> {
    if crate::sysviews::is_view(rel.oid) {
        return Err(crate::sysviews::not_updatable(&rel.name, "insert into"));
    }
    if session
        .bulk_insert
        .as_ref()
        .is_some_and(|b| b.rel == rel.oid)
    {
        return buffer_row(session, rel, row);
    }
    let info = relation_info(session, rel)?;
    let loc = info.locator(session.database_oid);
    let desc = writing_tuple_desc(session, &info)?;
    let tuple = form_tuple(&desc, &row)?;
    let save_free = info.heap_save_free_space();
    let tid = crate::xact::with_write(session, |env, w| {
        heapam::insert(env, loc, tuple, save_free, w)
    })?;
    insert_index_entries(session, &info, &row, tid, false, None)?;
    crate::xact::serializable_write(session, rel.oid)?;
    count(session, rel.oid).inserted += 1;
    if has_foreign_keys(&info) {
        crate::commands::foreign_keys::row_inserted(session, &info, &row)?;
    }
    Ok(to_tid(tid))
}

/// COPY FROM's rows on their way into one table, formed but not yet in its
/// heap (PostgreSQL's `CopyMultiInsertBuffer`): [`insert_row`] of that
/// table only forms the tuple and adds it here, and [`flush_bulk_insert`]
/// puts the batch into the heap with [`heapam::multi_insert`] (one WAL record
/// per page filled), then makes each row's index entries in order.
///
/// Only for a plain table whose rows need nothing between being formed and
/// being stored that could tell them missing from the heap: no triggers, no
/// foreign keys, no volatile default (see `commands::copy`). While a row is
/// buffered, [`insert_row`] returns no real address for it.
#[derive(Debug)]
pub struct BulkInsert {
    /// The table's oid.
    pub rel: u32,
    /// For the context of an error of a flush: "COPY t, line N".
    table: String,
    /// The formed tuples, and the rows themselves where the table has
    /// indexes to make entries for.
    tuples: Vec<Vec<u8>>,
    rows: Vec<Vec<Datum>>,
    /// The input line of each buffered row.
    lines: Vec<u64>,
    /// The line of the row being inserted now (set by COPY).
    pub line: u64,
    bytes: usize,
    /// Learnt from the first row: the planner's description of the table,
    /// its tuple descriptor, and whether it has indexes (whose entries need
    /// the rows themselves).
    desc: Option<Arc<RelationDesc>>,
    tuple_desc: Option<Arc<TupleDesc>>,
    keep_rows: bool,
}

/// A flush is due at this many buffered rows or bytes (PostgreSQL's
/// `MAX_BUFFERED_TUPLES` and `MAX_BUFFERED_BYTES`).
const BULK_MAX_ROWS: usize = 1000;
const BULK_MAX_BYTES: usize = 64 * 1024;

impl BulkInsert {
    pub fn new(rel: u32, table: &str) -> BulkInsert {
        BulkInsert {
            rel,
            table: table.to_owned(),
            tuples: Vec::new(),
            rows: Vec::new(),
            lines: Vec::new(),
            line: 0,
            bytes: 0,
            desc: None,
            tuple_desc: None,
            keep_rows: false,
        }
    }

    /// Whether enough rows wait for a flush to be due.
    pub fn is_full(&self) -> bool {
        self.tuples.len() >= BULK_MAX_ROWS || self.bytes >= BULK_MAX_BYTES
    }
}

/// [`insert_row`] of COPY's table: the formed tuple joins the buffer.
fn buffer_row(session: &mut Session, rel: &RelationDesc, row: Vec<Datum>) -> PgResult<Tid> {
    if session
        .bulk_insert
        .as_ref()
        .is_some_and(|b| b.desc.is_none())
    {
        let info = relation_info(session, rel)?;
        let tuple_desc = writing_tuple_desc(session, &info)?;
        if let Some(bulk) = session.bulk_insert.as_mut() {
            bulk.desc = Some(Arc::new(rel.clone()));
            bulk.tuple_desc = Some(tuple_desc);
            bulk.keep_rows = !info.indexes.is_empty();
        }
    }
    count(session, rel.oid).inserted += 1;
    let Some(bulk) = session.bulk_insert.as_mut() else {
        return Err(PgError::internal("COPY's row buffer is gone"));
    };
    let Some(desc) = bulk.tuple_desc.as_ref() else {
        return Err(PgError::internal(
            "COPY's row buffer has no tuple descriptor",
        ));
    };
    let tuple = form_tuple(desc, &row)?;
    bulk.bytes += tuple.len();
    bulk.tuples.push(tuple);
    bulk.lines.push(bulk.line);
    if bulk.keep_rows {
        bulk.rows.push(row);
    }
    Ok(Tid {
        block: 0,
        offset: 0,
    })
}

/// Puts the buffered rows of `bulk` into their table's heap, a page at a
/// time, then makes their index entries (a unique violation names the line
/// of its row). The buffer is empty afterwards.
pub fn flush_bulk_insert(session: &mut Session, bulk: &mut BulkInsert) -> PgResult<()> {
    let Some(desc) = bulk.desc.clone() else {
        return Ok(());
    };
    if bulk.tuples.is_empty() {
        return Ok(());
    }
    let info = relation_info(session, &desc)?;
    let loc = info.locator(session.database_oid);
    let save_free = info.heap_save_free_space();
    let mut tuples = std::mem::take(&mut bulk.tuples);
    let rows = std::mem::take(&mut bulk.rows);
    let lines = std::mem::take(&mut bulk.lines);
    bulk.bytes = 0;
    let tids = crate::xact::with_write(session, |env, w| {
        heapam::multi_insert(env, loc, &mut tuples, save_free, w)
    })?;
    for ((row, tid), line) in rows.iter().zip(&tids).zip(&lines) {
        insert_index_entries(session, &info, row, *tid, false, None)
            .map_err(|e| e.with_context(format!("COPY {}, line {line}", bulk.table)))?;
    }
    crate::xact::serializable_write(session, desc.oid)?;
    // The buffers are used again for the next batch.
    tuples.clear();
    bulk.tuples = tuples;
    Ok(())
}

/// INSERT ... ON CONFLICT: see [`executor::ExecContext::find_conflict`].
/// Each arbiter index is searched for the proposed row's key; an entry
/// whose row is live leads to the newest version of that row, one whose
/// inserter or deleter is still running is waited for and the search
/// starts over. A NULL key conflicts with nothing (unless the index has
/// NULLS NOT DISTINCT).
///
/// Two sessions proposing the same new key must not both find nothing and
/// both insert (the second would fail with 23505, which ON CONFLICT never
/// reports). PostgreSQL inserts speculatively and takes the row back on a
/// conflict; we serialise the proposers instead: an exclusive lock on
/// (index, key hash) is taken before the search and, when nothing was found,
/// held until the row and its index entries are in
/// ([`end_speculative_insert`]). A proposer that comes later waits for it,
/// then finds the new entry, whose inserter it waits for in turn.
pub fn find_conflict(
    session: &mut Session,
    rel: &RelationDesc,
    arbiters: &[u32],
    row: &[Datum],
) -> PgResult<Option<(Tid, Vec<Datum>)>> {
    let info = relation_info(session, rel)?;
    let db = session.database_oid;
    let heap = info.locator(db);
    let exprs = crate::index_exprs::all_of(session, &info)?;
    'again: loop {
        for (ix, ex) in info.indexes.iter().zip(&exprs) {
            if !ix.row.unique
                || !ix.row.valid
                || (!arbiters.is_empty() && !arbiters.contains(&ix.oid))
            {
                continue;
            }
            let Some(values) = crate::index_exprs::entry(
                &mut crate::index_exprs::Immutable,
                &info,
                ix,
                ex.as_deref(),
                row,
            )?
            else {
                continue;
            };
            let key: Vec<Datum> = values[..ix.am.nkeyatts].to_vec();
            if !ix.row.nulls_not_distinct && key.iter().any(Datum::is_null) {
                continue;
            }
            let tag = speculative_tag(session, ix.oid, &key);
            if !session.speculative.contains(&tag) {
                crate::xact::lock(session, tag, storage::lmgr::LockMode::Exclusive, false)?;
                session.speculative.push(tag);
            }
            let mut candidates = Vec::new();
            {
                let env = session.storage.heap_env();
                let mut scan = IndexScan::begin(
                    ix.locator(db),
                    Some(Bound {
                        values: key.clone(),
                        inclusive: true,
                    }),
                    Some(Bound {
                        values: key,
                        inclusive: true,
                    }),
                );
                while let Some((t, _)) = scan.next(&env, &ix.am)? {
                    candidates.push(t);
                }
            }
            for t in candidates {
                let probe = {
                    let env = session.storage.heap_env();
                    heapam::unique_probe(&env, heap, t, session.tx.me())?
                };
                match probe {
                    heapam::UniqueProbe::NotLive => continue,
                    heapam::UniqueProbe::InProgress(xid) => {
                        // Not holding the key locks while waiting: that
                        // transaction may want them again.
                        end_speculative_insert(session);
                        crate::xact::with_write(session, |_, w| (w.wait_for_xid)(xid))?;
                        continue 'again;
                    }
                    heapam::UniqueProbe::Live => {
                        let latest = crate::xact::with_write(session, |env, w| {
                            heapam::latest_version_tid(env, heap, t, w)
                        })?;
                        let Some(tid) = latest else { continue };
                        let bytes = heapam::fetch_any(&session.storage.heap_env(), heap, tid)?;
                        if let Some(bytes) = bytes {
                            end_speculative_insert(session);
                            return Ok(Some((
                                to_tid(tid),
                                deform_tuple(&tuple_desc(rel)?, &bytes)?,
                            )));
                        }
                    }
                }
            }
        }
        return Ok(None);
    }
}

/// The lock that serialises proposers of `key` in index `index`.
fn speculative_tag(session: &Session, index: u32, key: &[Datum]) -> storage::lmgr::LockTag {
    let opts = types::datum::OutputOptions::default();
    let mut h: u32 = 0x811c_9dc5;
    for v in key {
        let text = if v.is_null() {
            "\0null".to_string()
        } else {
            v.to_text(&opts)
        };
        for b in text.bytes().chain([0xff]) {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
    }
    storage::lmgr::LockTag::Object {
        db: session.database_oid,
        class_oid: index,
        obj_oid: h,
        sub_id: 1,
    }
}

/// Releases the key locks of [`find_conflict`]: the proposed row is in (or
/// was not needed).
pub fn end_speculative_insert(session: &mut Session) {
    for tag in std::mem::take(&mut session.speculative) {
        session
            .storage
            .locks
            .borrow_mut()
            .release(tag, storage::lmgr::LockMode::Exclusive);
    }
}

/// Whether the table has foreign keys of its own (its new rows are checked).
fn has_foreign_keys(info: &RelationInfo) -> bool {
    info.constraints
        .iter()
        .any(|c| c.kind == catalog::system::CONSTRAINT_FOREIGN)
}

fn relation_info(session: &mut Session, rel: &RelationDesc) -> PgResult<Arc<RelationInfo>> {
    crate::relcache::relation_by_oid(session, rel.oid)?.ok_or_else(|| {
        PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{}\" does not exist", rel.name),
        )
    })
}

/// Adds the entries of heap tuple `tid` (holding `row`) to every index of
/// the table, checking unique indexes (`ExecInsertIndexTuples`): a live
/// duplicate is 23505; a duplicate a running transaction inserted or
/// deleted is waited for, then checked again. For a new version of an
/// updated row (`new_version`), a full leaf is first cleared of entries of
/// versions no snapshot can see. `only` limits the work to one index.
fn insert_index_entries(
    session: &mut Session,
    info: &RelationInfo,
    row: &[Datum],
    tid: ItemPointer,
    new_version: bool,
    only: Option<u32>,
) -> PgResult<()> {
    if info.indexes.is_empty() {
        return Ok(());
    }
    let db = session.database_oid;
    let heap = info.locator(db);
    let exprs = crate::index_exprs::all_of(session, info)?;
    for (ix, ex) in info
        .indexes
        .iter()
        .zip(&exprs)
        .filter(|(ix, _)| ix.row.ready && only.is_none_or(|o| o == ix.oid))
    {
        // A partial index leaves out rows its predicate rejects.
        let Some(values) = crate::index_exprs::entry(
            &mut crate::index_exprs::Immutable,
            info,
            ix,
            ex.as_deref(),
            row,
        )?
        else {
            continue;
        };
        let index = ix.locator(db);
        loop {
            let outcome = crate::xact::with_write(session, |env, w| {
                let me = Me {
                    xid: Some(w.xid),
                    combocids: w.combocids,
                };
                let mut probe = |t: ItemPointer| -> PgResult<UniqueProbe> {
                    Ok(
                        match heapam::unique_probe(
                            env,
                            heap,
                            t,
                            Me {
                                xid: me.xid,
                                combocids: me.combocids,
                            },
                        )? {
                            heapam::UniqueProbe::NotLive => UniqueProbe::NotLive,
                            heapam::UniqueProbe::Live => UniqueProbe::Live,
                            heapam::UniqueProbe::InProgress(x) => UniqueProbe::InProgress(x),
                        },
                    )
                };
                // The horizon is read once, and only if a full leaf asks.
                let mut oldest_xmin = None;
                let mut dead = |t: ItemPointer| -> PgResult<bool> {
                    let horizon = *oldest_xmin.get_or_insert_with(|| env.tx.oldest_xmin());
                    heapam::chain_dead_to_all(env, heap, t, horizon)
                };
                let outcome = nbtree::insert::insert_entry(
                    env,
                    index,
                    &ix.am,
                    &values,
                    tid,
                    Some(&mut probe),
                    new_version.then_some(&mut dead as nbtree::insert::DeadCheck<'_>),
                )?;
                if let InsertOutcome::Wait(xid) = outcome {
                    (w.wait_for_xid)(xid)?;
                }
                Ok(outcome)
            })?;
            match outcome {
                InsertOutcome::Inserted => break,
                InsertOutcome::Wait(_) => continue,
                InsertOutcome::Duplicate(_) => {
                    let mut e = duplicate_key(session, ix, &values);
                    // Under row-level security the key is not shown
                    // (PostgreSQL's BuildIndexValueDescription).
                    if row_security_hides(session, info.oid) {
                        e.detail = None;
                    }
                    return Err(e.with_table_constraint(&info.namespace, &info.name, &ix.name));
                }
            }
        }
    }
    Ok(())
}

/// The entry of heap row `tid` (holding `row`) in index `index_oid` of the
/// table, checked for uniqueness like any insertion's (CREATE INDEX
/// CONCURRENTLY's validation).
pub(crate) fn insert_entries_of_index(
    session: &mut Session,
    info: &RelationInfo,
    index_oid: u32,
    row: &[Datum],
    tid: ItemPointer,
) -> PgResult<()> {
    insert_index_entries(session, info, row, tid, false, Some(index_oid))
}

/// `23505 duplicate key value violates unique constraint` with the key in DETAIL.
pub fn duplicate_key(session: &Session, ix: &IndexInfo, values: &[Datum]) -> PgError {
    let opts = crate::tcop::output_options(session);
    let n = ix.am.nkeyatts;
    let names: Vec<&str> = ix.columns.iter().take(n).map(|c| c.name.as_str()).collect();
    let vals: Vec<String> = values
        .iter()
        .take(n)
        .map(|v| {
            if v.is_null() {
                "null".into()
            } else {
                v.to_text(&opts)
            }
        })
        .collect();
    PgError::new(
        SqlState::UniqueViolation,
        format!(
            "duplicate key value violates unique constraint \"{}\"",
            ix.name
        ),
    )
    .with_detail(format!(
        "Key ({})=({}) already exists.",
        names.join(", "),
        vals.join(", ")
    ))
}

/// The outcome for the executor; on a concurrent update, the newest
/// version's contents for its re-check.
fn outcome(
    session: &mut Session,
    rel: &RelationDesc,
    loc: RelFileLocator,
    r: ModifyResult,
) -> PgResult<ModifyOutcome> {
    Ok(match r {
        ModifyResult::Done => ModifyOutcome::Done,
        // PostgreSQL ignores a row the same command already changed.
        ModifyResult::Gone | ModifyResult::SelfModified => ModifyOutcome::Gone,
        ModifyResult::Updated(ip) => match heapam::fetch_any(&session.storage.heap_env(), loc, ip)?
        {
            Some(bytes) => ModifyOutcome::Updated {
                tid: to_tid(ip),
                row: deform_tuple(&tuple_desc(rel)?, &bytes)?,
            },
            None => ModifyOutcome::Gone,
        },
    })
}

pub fn update_row(
    session: &mut Session,
    rel: &RelationDesc,
    tid: Tid,
    row: Vec<Datum>,
) -> PgResult<ModifyOutcome> {
    if crate::sysviews::is_view(rel.oid) {
        return Err(crate::sysviews::not_updatable(&rel.name, "update"));
    }
    let info = relation_info(session, rel)?;
    let loc = info.locator(session.database_oid);
    let desc = writing_tuple_desc(session, &info)?;
    let tuple = form_tuple(&desc, &row)?;
    let foreign_keys = has_foreign_keys(&info) || !info.referenced_by.is_empty();
    let old_row = if info.indexes.is_empty() && !foreign_keys {
        None
    } else {
        match heapam::fetch_any(&session.storage.heap_env(), loc, to_ip(tid))? {
            Some(old) => Some(deform_tuple(&desc, &old)?),
            None => None,
        }
    };
    // HOT only if no index entry would change (columns, expressions, or
    // whether a partial index takes the row): compare with the old version.
    let hot_allowed = info.indexes.is_empty() || {
        match &old_row {
            Some(old) => {
                let exprs = crate::index_exprs::all_of(session, &info)?;
                let mut same = true;
                for (ix, ex) in info.indexes.iter().zip(&exprs) {
                    let ctx = &mut crate::index_exprs::Immutable;
                    if crate::index_exprs::entry(ctx, &info, ix, ex.as_deref(), old)?
                        != crate::index_exprs::entry(ctx, &info, ix, ex.as_deref(), &row)?
                    {
                        same = false;
                        break;
                    }
                }
                same
            }
            None => false,
        }
    };
    let save_free = info.heap_save_free_space();
    let (r, new_tid) = crate::xact::with_write(session, |env, w| {
        heapam::update(env, loc, to_ip(tid), tuple, hot_allowed, save_free, w)
    })?;
    if r == ModifyResult::Done {
        crate::xact::serializable_write(session, rel.oid)?;
    }
    if let Some(new_tid) = new_tid {
        let hot = hot_allowed && new_tid.block == tid.block;
        if !hot {
            insert_index_entries(session, &info, &row, new_tid, true, None)?;
        }
        let c = count(session, rel.oid);
        c.updated += 1;
        if hot {
            c.hot_updated += 1;
        }
        if foreign_keys && let Some(old) = &old_row {
            crate::commands::foreign_keys::row_updated(session, &info, old, &row)?;
        }
    }
    outcome(session, rel, loc, r)
}

pub fn delete_row(session: &mut Session, rel: &RelationDesc, tid: Tid) -> PgResult<ModifyOutcome> {
    if crate::sysviews::is_view(rel.oid) {
        return Err(crate::sysviews::not_updatable(&rel.name, "delete from"));
    }
    let info = relation_info(session, rel)?;
    let loc = info.locator(session.database_oid);
    // A referenced table's rows are read first: their keys go to the
    // foreign-key checks.
    let old_row = if info.referenced_by.is_empty() {
        None
    } else {
        match heapam::fetch_any(&session.storage.heap_env(), loc, to_ip(tid))? {
            Some(old) => Some(deform_tuple(&tuple_desc(rel)?, &old)?),
            None => None,
        }
    };
    let r = crate::xact::with_write(session, |env, w| heapam::delete(env, loc, to_ip(tid), w))?;
    if r == ModifyResult::Done {
        crate::xact::serializable_write(session, rel.oid)?;
        count(session, rel.oid).deleted += 1;
        if let Some(old) = &old_row {
            crate::commands::foreign_keys::row_deleted(session, &info, old)?;
        }
    }
    outcome(session, rel, loc, r)
}

/// Locks row version `tid` for `SELECT ... FOR UPDATE/SHARE`
/// (`heapam_tuple_lock`): NOWAIT's refusal becomes PostgreSQL's 55P03, a
/// concurrent update hands the newest version to the executor's re-check.
pub fn lock_row(
    session: &mut Session,
    rel: &RelationDesc,
    tid: Tid,
    mode: RowLockMode,
    wait: RowLockWait,
) -> PgResult<LockRowOutcome> {
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
    let r = crate::xact::with_write(session, |env, w| {
        heapam::lock_tuple(env, loc, to_ip(tid), mode, wait, w)
    })?;
    Ok(match r {
        LockTupleResult::Locked => LockRowOutcome::Locked,
        LockTupleResult::Skipped => LockRowOutcome::Skipped,
        LockTupleResult::WouldBlock(_) => {
            return Err(PgError::new(
                SqlState::LockNotAvailable,
                format!("could not obtain lock on row in relation \"{}\"", rel.name),
            ));
        }
        // PostgreSQL leaves out a row the same command already changed.
        LockTupleResult::Gone => LockRowOutcome::Gone,
        LockTupleResult::SelfModified | LockTupleResult::Invisible => LockRowOutcome::SelfModified,
        LockTupleResult::Updated(ip) => {
            match heapam::fetch_any(&session.storage.heap_env(), loc, ip)? {
                Some(bytes) => LockRowOutcome::Updated {
                    tid: to_tid(ip),
                    row: deform_tuple(&tuple_desc(rel)?, &bytes)?,
                },
                None => LockRowOutcome::Gone,
            }
        }
    })
}

/// `bt_index_check(name [, heapallindexed])` (amcheck): the index's
/// structure (`nbtree::maint::check`); every entry's key equal to the row
/// its heap tid leads to, if that row is still there; with
/// `heapallindexed`, every row not dead to everyone has its entry.
pub fn index_check(session: &mut Session, name: &str, heapallindexed: bool) -> PgResult<()> {
    let (schema, relname) = match name.split_once('.') {
        Some((s, n)) => (Some(s.to_owned()), n.to_owned()),
        None => (None, name.to_owned()),
    };
    let Some(rel) = crate::relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{name}\" does not exist"),
        ));
    };
    if rel.kind != 'i' {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!("\"{relname}\" is not an index"),
        ));
    }
    let Some((_, row)) = crate::relcache::with_reader(session, |r| r.index_row(rel.oid))? else {
        return Err(PgError::internal(format!(
            "cache lookup failed for index {}",
            rel.oid
        )));
    };
    crate::xact::lock_relation(session, row.table_oid, storage::lmgr::LockMode::AccessShare)?;
    let Some(table) = crate::relcache::relation_by_oid(session, row.table_oid)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation with OID {} does not exist", row.table_oid),
        ));
    };
    let Some(ix) = table.indexes.iter().find(|ix| ix.oid == rel.oid) else {
        return Err(PgError::internal(format!(
            "index \"{relname}\" is not among its table's indexes"
        )));
    };
    if !ix.row.valid {
        return Err(
            PgError::feature_not_supported(format!("cannot check index \"{relname}\""))
                .with_detail("Index is not valid."),
        );
    }
    let db = session.database_oid;
    let heap = table.locator(db);
    let desc = heap_tuple_desc(&table)?;
    let exprs = crate::index_exprs::of(session, &table, ix)?;
    let env = session.storage.heap_env();
    // Entries by heap tid, with their values, for the heapallindexed pass.
    let mut entries: std::collections::HashMap<ItemPointer, Vec<Vec<Datum>>> =
        std::collections::HashMap::new();
    nbtree::maint::check(&env, ix.locator(db), &ix.am, &mut |tid, values| {
        if heapallindexed {
            entries.entry(tid).or_default().push(values.to_vec());
        }
        Ok(())
    })?;
    if !heapallindexed {
        return Ok(());
    }
    let oldest_xmin = session.storage.transam.oldest_xmin();
    let interrupts = &session.interrupts;
    let deadline = session.deadline;
    storage::heap::indexbuild::build_scan(
        &env,
        heap,
        storage::heap::indexbuild::Versions::NotDead(oldest_xmin),
        &mut || interrupts.check(deadline),
        &mut |root, bytes, _| {
            let row = deform_tuple(&desc, bytes)?;
            let Some(want) = crate::index_exprs::entry(
                &mut crate::index_exprs::Immutable,
                &table,
                ix,
                exprs.as_deref(),
                &row,
            )?
            else {
                // Not in a partial index's range: no entry expected.
                return Ok(());
            };
            let found = entries
                .get(&root)
                .is_some_and(|vs| vs.iter().any(|v| v == &want));
            if !found {
                return Err(PgError::new(
                    SqlState::IndexCorrupted,
                    format!(
                        "heap tuple {root} from table \"{}\" lacks matching index tuple within index \"{}\"",
                        table.name, ix.name
                    ),
                ));
            }
            Ok(())
        },
    )
}

/// `pg_relation_size` and friends: bytes on disk of relation `name`'s forks.
/// `pg_database_size`: the bytes of the files in the database's
/// directory (`base/<oid>`), found by name (`3D000` if there is no such
/// database) or by OID (None if there is none).
pub fn database_size(session: &mut Session, name: Option<&str>, oid: u32) -> PgResult<Option<i64>> {
    let databases = crate::relcache::with_reader(session, |r| r.databases())?;
    let found = databases
        .iter()
        .find(|(_, d)| name.map_or(d.oid == oid, |n| d.name == n))
        .map(|(_, d)| d.oid);
    let Some(db) = found else {
        return match name {
            Some(n) => Err(PgError::new(
                SqlState::InvalidCatalogName,
                format!("database \"{n}\" does not exist"),
            )),
            None => Ok(None),
        };
    };
    let dir = storage::smgr::database_dir(session.storage.store.smgr().data_dir(), db);
    let mut total = 0i64;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if let Ok(m) = e.metadata()
                && m.is_file()
            {
                total += i64::try_from(m.len()).unwrap_or(i64::MAX);
            }
        }
    }
    Ok(Some(total))
}

pub fn relation_size(
    session: &mut Session,
    name: &str,
    what: executor::RelationSize<'_>,
) -> PgResult<i64> {
    use storage::smgr::ForkNumber;
    let (schema, relname) = match name.split_once('.') {
        Some((s, n)) => (Some(s.to_owned()), n.to_owned()),
        None => (None, name.to_owned()),
    };
    let Some(rel) = crate::relcache::lookup_relation(session, schema.as_deref(), &relname)? else {
        return Err(PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{name}\" does not exist"),
        ));
    };
    if crate::sysviews::is_view(rel.oid) {
        return Ok(0);
    }
    let db = session.database_oid;
    let mut smgr = session.storage.store.smgr();
    let mut fork_size = |loc: RelFileLocator, fork: ForkNumber| -> PgResult<i64> {
        Ok(if smgr.exists(loc, fork)? {
            i64::from(smgr.nblocks(loc, fork)?) * storage::smgr::BLCKSZ as i64
        } else {
            0
        })
    };
    let forks = [ForkNumber::Main, ForkNumber::Fsm, ForkNumber::VisibilityMap];
    let table: i64 = forks
        .iter()
        .map(|f| fork_size(rel.locator(db), *f))
        .sum::<PgResult<i64>>()?;
    let mut indexes = 0i64;
    for ix in &rel.indexes {
        indexes += forks
            .iter()
            .map(|f| fork_size(ix.locator(db), *f))
            .sum::<PgResult<i64>>()?;
    }
    Ok(match what {
        executor::RelationSize::Fork(f) => {
            let fork = match f {
                "main" => ForkNumber::Main,
                "fsm" => ForkNumber::Fsm,
                "vm" => ForkNumber::VisibilityMap,
                "init" => ForkNumber::Init,
                _ => {
                    return Err(
                        PgError::new(SqlState::InvalidParameterValue, "invalid fork name")
                            .with_hint(
                                "Valid fork names are \"main\", \"fsm\", \"vm\", and \"init\".",
                            ),
                    );
                }
            };
            fork_size(rel.locator(db), fork)?
        }
        executor::RelationSize::Table => table,
        executor::RelationSize::Indexes => indexes,
        executor::RelationSize::Total => table + indexes,
    })
}

/// PostgreSQL's `check_enable_rls` and `get_policies_for_relation` (see
/// [`CatalogView::row_security`]): the user is the owner of view
/// `through` unless that view is `security_invoker`, else the current
/// user. Superusers and BYPASSRLS roles bypass row security, and so does
/// the table's owner unless it is FORCEd.
pub fn row_security(
    session: &mut Session,
    oid: u32,
    through: Option<u32>,
) -> PgResult<Option<Vec<planner::catalog::PolicyDesc>>> {
    let Some(rel) = crate::relcache::relation_by_oid(session, oid)? else {
        return Ok(None);
    };
    if !rel.row_security || !matches!(rel.kind, 'r' | 'p') || session.no_row_security {
        return Ok(None);
    }
    let mut user = session.user_oid;
    if let Some(view) = through
        && let Some((_, class)) = crate::relcache::with_reader(session, |r| r.class_by_oid(view))?
    {
        let invoker = class.options.iter().any(|o| {
            o.strip_prefix("security_invoker=")
                .and_then(types::guc::parse_bool)
                .unwrap_or(false)
        });
        if !invoker {
            user = class.owner;
        }
    }
    let graph = crate::acl::RoleGraph::load(session)?;
    if graph.is_superuser(user) || graph.by_oid(user).is_some_and(|r| r.bypass_rls) {
        return Ok(None);
    }
    let owner = graph.has_privs_of(user, rel.owner);
    if owner && !rel.force_row_security {
        return Ok(None);
    }
    if session.settings.get_bool("row_security") == Some(false) {
        let e = PgError::new(
            SqlState::InsufficientPrivilege,
            format!(
                "query would be affected by row-level security policy for table \"{}\"",
                rel.name
            ),
        );
        return Err(if owner {
            e.with_hint(
                "To disable the policy for the table's owner, use ALTER TABLE NO FORCE ROW LEVEL SECURITY.",
            )
        } else {
            e
        });
    }
    Ok(Some(
        rel.policies
            .iter()
            .filter(|p| {
                p.roles
                    .iter()
                    .any(|r| *r == 0 || graph.has_privs_of(user, *r))
            })
            .map(|p| planner::catalog::PolicyDesc {
                name: p.name.clone(),
                cmd: p.cmd,
                permissive: p.permissive,
                using: p.qual.clone(),
                with_check: p.with_check.clone(),
            })
            .collect(),
    ))
}

/// Whether row-level security applies to relation `oid` for the current
/// user (PostgreSQL's `check_enable_rls(..., noError) == RLS_ENABLED`):
/// error messages then show no key values.
pub fn row_security_hides(session: &mut Session, oid: u32) -> bool {
    match row_security(session, oid, None) {
        Ok(p) => p.is_some(),
        Err(e) => e.code == SqlState::InsufficientPrivilege,
    }
}
