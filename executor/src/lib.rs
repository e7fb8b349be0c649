//! The executor: runs a [`planner::PlannedStmt`] and returns its rows.
//!
//! It owns expression evaluation ([`expr`]), casts ([`cast`]), value comparison
//! ([`compare`]) and the built-in functions and operators ([`functions`]), and the
//! [`ExecContext`] trait through which the backend lends it the session: user,
//! database, clocks, settings, interrupts, other backends and the WAL's
//! positions.
//!
//! It must never block without calling [`ExecContext::check_for_interrupts`] (so that
//! cancel requests and `statement_timeout` work), never panic on user data, and never
//! fake a result it cannot compute: unsupported cases fail with 0A000.
//!
//! Tables are reached only through the cursor-style storage methods of
//! [`ExecContext`] (`scan_begin`/`scan_next`/`scan_end`, `insert_row`,
//! `update_row`, `delete_row`, `lock_row`), so that the executor never touches pages,
//! snapshots or locks itself; the backend implements them over heap storage.
//!
//! Entry points: [`execute_statement`] (rows and the count for the command
//! tag) and [`execute`] (rows only). Queries run in [`query`] (scan or VALUES,
//! filter, [`agg`]regation, projection, DISTINCT, sort, LIMIT/OFFSET); INSERT,
//! UPDATE and DELETE, with READ COMMITTED re-checking of concurrently updated
//! rows, in [`modify`].

#![forbid(unsafe_code)]

pub mod agg;
pub mod cast;
/// Btree ordering of values lives in `types` (the index access method needs it too).
pub use types::compare;
pub mod expr;
pub mod functions;
pub mod in_range;
pub mod join;
pub mod modify;
mod orderedset;
pub mod query;
pub mod srf;
pub mod window;

use planner::{PlannedStmt, RelationDesc};
use types::datum::OutputOptions;
use types::{Datum, PgError, PgResult, SqlState};

/// A tuple identifier: where a row version lives (PostgreSQL's `ItemPointer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tid {
    pub block: u32,
    pub offset: u16,
}

/// A scan opened by [`ExecContext::scan_begin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScanId(pub u32);

/// What happened to an UPDATE or DELETE of one row version.
#[derive(Debug, Clone, PartialEq)]
pub enum ModifyOutcome {
    /// The row version was updated or deleted.
    Done,
    /// A concurrent transaction that committed deleted the row: skip it.
    Gone,
    /// A concurrent transaction that committed updated the row (READ COMMITTED):
    /// `tid` and `row` are its newest version. The executor re-checks the
    /// statement's WHERE on `row` and, if it still holds, recomputes the new row
    /// from it and retries on `tid` (PostgreSQL's EvalPlanQual).
    Updated { tid: Tid, row: Vec<Datum> },
}

/// The argument and result types of a user function's call (a
/// polymorphic function's resolved ones).
#[derive(Debug, Clone, PartialEq)]
pub struct CallTypes {
    pub args: Vec<u32>,
    pub ret: u32,
}

/// What a trigger fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerEvent {
    Insert,
    Update,
    Delete,
}

impl TriggerEvent {
    /// Its `pg_trigger.tgtype` bit.
    pub fn bit(self) -> i16 {
        match self {
            TriggerEvent::Insert => 4,
            TriggerEvent::Delete => 8,
            TriggerEvent::Update => 16,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TriggerEvent::Insert => "INSERT",
            TriggerEvent::Update => "UPDATE",
            TriggerEvent::Delete => "DELETE",
        }
    }
}

/// Whether the rows `event` changes in `rel` must be queued for AFTER
/// triggers: a row-level one, or any AFTER trigger with transition tables.
pub fn wants_after_rows(rel: &RelationDesc, event: TriggerEvent) -> bool {
    rel.triggers.iter().any(|t| {
        !t.is_before()
            && !t.is_instead()
            && t.fires_on(event.bit())
            && (t.is_row() || t.has_transition())
    })
}

/// Whether `rel` has enabled triggers of this kind.
pub fn has_triggers(rel: &RelationDesc, event: TriggerEvent, row: bool, before: bool) -> bool {
    rel.triggers.iter().any(|t| {
        t.is_row() == row && t.is_before() == before && !t.is_instead() && t.fires_on(event.bit())
    })
}

pub use planner::{RowLockMode, RowLockWait};
pub use wal::Lsn;

/// What happened to a row that `SELECT ... FOR UPDATE/SHARE` was to lock.
#[derive(Debug, Clone, PartialEq)]
pub enum LockRowOutcome {
    /// The row version is locked by this transaction.
    Locked,
    /// Another transaction holds it and the policy is `SKIP LOCKED`.
    Skipped,
    /// A concurrent transaction that committed deleted it: leave it out.
    Gone,
    /// This very command already changed it.
    SelfModified,
    /// A concurrent transaction that committed updated it (READ COMMITTED):
    /// `tid` and `row` are its newest version, not locked yet. The executor
    /// re-checks WHERE on `row` and, if it holds, locks `tid` (EvalPlanQual).
    Updated { tid: Tid, row: Vec<Datum> },
}

fn tables_not_supported() -> PgError {
    PgError::new(
        SqlState::FeatureNotSupported,
        "tables are not supported by this session",
    )
}

/// One range of an index scan: the leading key values of each end and
/// whether the end is included (None: unbounded).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRange {
    pub lower: Option<(Vec<Datum>, bool)>,
    pub upper: Option<(Vec<Datum>, bool)>,
}

/// The heap tids of a bitmap heap scan: index scans with their ranges
/// evaluated, combined as the planner's [`planner::Bitmap`].
#[derive(Debug, Clone, PartialEq)]
pub enum BitmapRanges {
    /// Index oid and the ranges to read.
    Index(u32, Vec<IndexRange>),
    Or(Vec<BitmapRanges>),
    And(Vec<BitmapRanges>),
}

/// What a size function measures (`pg_relation_size` and friends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationSize<'a> {
    /// One fork: `main`, `fsm`, `vm` or `init`.
    Fork(&'a str),
    /// Every fork of the relation (`pg_table_size`; there is no TOAST).
    Table,
    /// Every fork of every index of the table (`pg_indexes_size`).
    Indexes,
    /// The table and its indexes (`pg_total_relation_size`).
    Total,
}

/// The WAL positions the `pg_current_wal_*lsn()` functions report, read from
/// shared memory at one moment (flush, then write, then insert, so that
/// `flush <= write <= insert` holds between them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalPositions {
    /// Where the next record will be inserted (`pg_current_wal_insert_lsn`).
    pub insert: wal::Lsn,
    /// WAL handed to the kernel up to here (`pg_current_wal_lsn`).
    pub write: wal::Lsn,
    /// WAL durable up to here (`pg_current_wal_flush_lsn`).
    pub flush: wal::Lsn,
}

/// What the executor needs from the session that runs it (implemented by the
/// backend's tcop).
/// What a sequence function does (see [`ExecContext::sequence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCall {
    Next,
    Curr,
    Last,
    /// `setval(seq, value, is_called)`.
    Set(i64, bool),
}

/// A catalog object to print as SQL text, as PostgreSQL's `ruleutils.c`
/// deparses it (see [`ExecContext::catalog_text`]); `pretty` is the
/// functions' pretty flag (fewer parentheses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogText<'a> {
    /// `pg_get_expr(text, relid, pretty)`: a stored expression over the
    /// columns of relation `relid`.
    Expr {
        text: &'a str,
        relid: u32,
        pretty: bool,
    },
    /// `pg_get_constraintdef(oid, pretty)`.
    Constraint { oid: u32, pretty: bool },
    /// `pg_get_indexdef(oid, column, pretty)`: the CREATE INDEX statement,
    /// or with `column` > 0 that key column only.
    Index { oid: u32, column: i32, pretty: bool },
    /// `pg_get_viewdef(oid, pretty)`.
    View { oid: u32, pretty: bool, wrap: i32 },
    /// `pg_get_function_result(oid)`.
    FunctionResult(u32),
    /// `pg_get_function_arguments(oid)`.
    FunctionArguments(u32),
    /// `pg_get_partkeydef(oid)`: a partitioned table's key (`RANGE (a)`).
    PartitionKey(u32),
    /// `pg_get_partition_constraintdef(oid)`.
    PartitionConstraint(u32),
    /// `pg_get_triggerdef(oid, pretty)`.
    Trigger { oid: u32, pretty: bool },
    /// `pg_get_ruledef(oid, pretty)`.
    Rule { oid: u32, pretty: bool },
    /// `pg_get_statisticsobjdef(oid)` (the CREATE STATISTICS statement) or,
    /// with `columns_only`, `pg_get_statisticsobjdef_columns(oid)`.
    Statistics { oid: u32, columns_only: bool },
    /// `pg_statistics_obj_is_visible(oid)`: `"t"` or `"f"` (None if no
    /// such object).
    StatisticsVisible(u32),
    /// `pg_operator_is_visible(oid)`: `"t"` or `"f"` (None if no such
    /// operator).
    OperatorVisible(u32),
    /// `pg_relation_is_publishable(oid)`: `"t"` or `"f"` (None if no such
    /// relation).
    RelationPublishable(u32),
    /// `obj_description(oid, catalog)` (`catalog` None: the one-argument
    /// form), `col_description(oid, column)` (`subid` the column) and
    /// `shobj_description(oid, catalog)` (`shared`): COMMENT ON's text.
    Description {
        objoid: u32,
        catalog: Option<&'a str>,
        subid: i32,
        shared: bool,
    },
}

pub trait ExecContext {
    /// Returns an error if the statement must stop (cancel request, statement
    /// timeout, termination). Called in every loop that can run long.
    fn check_for_interrupts(&mut self) -> PgResult<()>;
    fn current_user(&self) -> &str;
    fn session_user(&self) -> &str;
    fn database(&self) -> &str;
    fn backend_pid(&self) -> i32;
    /// Microseconds since 2000-01-01 UTC when the transaction started (`now()`).
    fn transaction_timestamp(&self) -> i64;
    /// Microseconds since 2000-01-01 UTC when the statement started.
    fn statement_timestamp(&self) -> i64;
    fn postmaster_start_time(&self) -> i64;
    /// `current_setting(name)`: SHOW's text, and SHOW's errors (42704
    /// `unrecognized configuration parameter "x"`).
    fn setting(&self, name: &str) -> PgResult<String>;
    /// `to_regclass(name)`, `to_regtype(name)`, `to_regnamespace(name)`
    /// (`func`): the object's name as its reg* type prints it, None (SQL
    /// NULL) if there is no such object; malformed names are errors.
    fn to_reg(&mut self, func: &str, name: &str) -> PgResult<Option<String>> {
        let _ = name;
        Err(PgError::feature_not_supported(format!(
            "{func} in this context"
        )))
    }
    /// `set_config(name, value, is_local)`: SET [LOCAL] name = value, then
    /// the new value as SHOW prints it.
    fn set_config(&mut self, name: &str, value: &str, local: bool) -> PgResult<String> {
        let _ = (name, value, local);
        Err(PgError::feature_not_supported("set_config in this context"))
    }
    fn time_zone(&self) -> String;
    fn extra_float_digits(&self) -> i32;
    fn date_style(&self) -> String;
    fn interval_style(&self) -> String;
    fn bytea_output(&self) -> String {
        "hex".into()
    }
    /// Signals backend `pid` (SIGINT-like cancel, or terminate). `Ok(false)` means
    /// `pid` is not a backend; the executor then emits PostgreSQL's WARNING itself.
    fn signal_backend(&mut self, pid: i32, terminate: bool) -> PgResult<bool>;
    /// Queues a WARNING (or NOTICE) for the client.
    fn warning(&mut self, msg: String);
    /// Queues a NOTICE for the client.
    fn notice(&mut self, msg: String) {
        let _ = msg;
    }
    /// `pg_notify(channel, payload)`: a NOTIFY sent when the transaction commits.
    fn notify(&mut self, channel: &str, payload: &str) -> PgResult<()> {
        let _ = (channel, payload);
        Err(PgError::feature_not_supported("pg_notify"))
    }
    /// `pg_listening_channels()`: the channels this session listens on.
    fn listening_channels(&self) -> Vec<String> {
        Vec::new()
    }
    /// `pg_notification_queue_usage()`: the fraction of the NOTIFY queue in use.
    fn notification_queue_usage(&self) -> f64 {
        0.0
    }
    /// `version()`.
    fn version(&self) -> String {
        let v = self
            .setting("server_version")
            .unwrap_or_else(|_| "15.0".into());
        format!(
            "PostgreSQL {v} (OxiPG) on {}-{}, compiled by rustc, 64-bit",
            std::env::consts::ARCH,
            std::env::consts::OS
        )
    }
    /// The row-level BEFORE triggers of `rel` for `event`, in name order,
    /// each seeing the row the one before returned: the row to store (for
    /// DELETE, an empty row to go on), or None when one of them returned
    /// NULL and the row is skipped.
    fn before_row_triggers(
        &mut self,
        rel: &RelationDesc,
        event: TriggerEvent,
        old: Option<&[Datum]>,
        new: Option<Vec<Datum>>,
    ) -> PgResult<Option<Vec<Datum>>> {
        let _ = (rel, event, old);
        Ok(Some(new.unwrap_or_default()))
    }
    /// The row-level AFTER triggers of `rel` for `event` on one row: queued,
    /// to fire when the statement ends.
    fn after_row_triggers(
        &mut self,
        rel: &RelationDesc,
        event: TriggerEvent,
        old: Option<Vec<Datum>>,
        new: Option<Vec<Datum>>,
    ) -> PgResult<()> {
        let _ = (rel, event, old, new);
        Ok(())
    }
    /// The statement-level triggers of `rel` for `event`: BEFORE ones fire
    /// now, AFTER ones are queued behind the statement's row events.
    fn statement_triggers(
        &mut self,
        rel: &RelationDesc,
        event: TriggerEvent,
        before: bool,
    ) -> PgResult<()> {
        let _ = (rel, event, before);
        Ok(())
    }
    /// How many trigger calls are running (`pg_trigger_depth()`).
    fn trigger_depth(&self) -> i32 {
        0
    }
    /// Calls user function `oid` (PL/pgSQL, or SQL run statement by
    /// statement) with `args` (already coerced to its argument types; a
    /// strict function's NULL arguments never get here).
    fn call_function(&mut self, oid: u32, args: Vec<Datum>, types: &CallTypes) -> PgResult<Datum> {
        let _ = (oid, args, types);
        Err(PgError::feature_not_supported(
            "user functions in this context",
        ))
    }
    /// Calls set-returning (or row-returning) user function `oid`: all its
    /// rows, each `width` values.
    fn call_set_function(
        &mut self,
        oid: u32,
        args: Vec<Datum>,
        types: &CallTypes,
        width: usize,
    ) -> PgResult<Vec<Vec<Datum>>> {
        let _ = (oid, args, types, width);
        Err(PgError::feature_not_supported(
            "user functions in this context",
        ))
    }
    /// The WAL's insert, write and flush positions now.
    fn wal_positions(&self) -> PgResult<WalPositions> {
        Err(PgError::feature_not_supported(
            "WAL functions in this context",
        ))
    }
    /// The transaction's id (`txid_current()`), assigning one if `assign`
    /// and there is none yet.
    fn current_xid(&mut self, assign: bool) -> PgResult<Option<u64>> {
        let _ = assign;
        Err(PgError::feature_not_supported(
            "transaction ids in this context",
        ))
    }

    /// What became of transaction `xid` (`pg_xact_status`): `committed`,
    /// `aborted` or `in progress`; 22023 for an id not yet assigned.
    fn xact_status(&mut self, xid: u64) -> PgResult<Option<&'static str>> {
        let _ = xid;
        Err(PgError::feature_not_supported(
            "transaction status in this context",
        ))
    }
    /// The statement's snapshot (`pg_current_snapshot()`).
    fn current_snapshot(&mut self) -> PgResult<types::datum::snapshot::SnapshotValue> {
        Err(PgError::feature_not_supported("snapshots in this context"))
    }

    /// Whether schema `name` exists (`current_schema()`); without a catalog,
    /// the schemas of a fresh database.
    fn schema_exists(&mut self, name: &str) -> PgResult<bool> {
        Ok(functions::session::SCHEMAS.contains(&name))
    }

    /// As [`Self::scan_begin`], for a caller that reads only the first
    /// `columns` columns of each row: the others may come back as NULL
    /// without being decoded.
    fn scan_begin_columns(&mut self, rel: &RelationDesc, columns: usize) -> PgResult<ScanId> {
        let _ = columns;
        self.scan_begin(rel)
    }

    /// As [`Self::scan_begin_columns`] of `read.len()` columns, of which
    /// only those `read` marks need be decoded: the others may come back as
    /// NULL. [`Self::scan_row_whole`] decodes a row whole.
    fn scan_begin_read(&mut self, rel: &RelationDesc, read: &[bool]) -> PgResult<ScanId> {
        self.scan_begin_columns(rel, read.len())
    }

    /// Opens a scan of every row of `rel` visible to the statement's snapshot.
    /// Rows are full-width (one value per `rel.columns` entry, NULL for dropped
    /// columns). The scan does not see the statement's own changes.
    fn scan_begin(&mut self, rel: &RelationDesc) -> PgResult<ScanId> {
        let _ = rel;
        Err(tables_not_supported())
    }
    /// Opens a scan of the rows of `rel` whose entries in index `index_oid`
    /// lie in one of `ranges` (scanned one after the other; they do not
    /// overlap), visible to the statement's snapshot, full-width as
    /// [`Self::scan_begin`]. The caller still applies its whole WHERE to
    /// each row. With `index_only`, rows on heap pages the visibility map
    /// marks all-visible come from the index entry alone, with NULL in the
    /// columns the index does not store (the caller reads none of them).
    /// With `backward`, each range is read from its upper end down.
    /// Without index support a context may scan the whole relation instead.
    fn index_scan_begin(
        &mut self,
        rel: &RelationDesc,
        index_oid: u32,
        ranges: Vec<IndexRange>,
        index_only: bool,
        backward: bool,
    ) -> PgResult<ScanId> {
        let _ = (index_oid, ranges, index_only, backward);
        self.scan_begin(rel)
    }
    /// Opens a scan of the visible rows whose tids `bitmap` holds, each row
    /// once, in heap order; full-width rows as [`Self::scan_begin`]. The
    /// caller filters every row, so the scan may return more rows than an
    /// exact bitmap would. Without index support, the whole relation.
    fn bitmap_scan_begin(&mut self, rel: &RelationDesc, bitmap: BitmapRanges) -> PgResult<ScanId> {
        let _ = bitmap;
        self.scan_begin(rel)
    }
    /// Opens a scan of the rows at `tids` (sorted, without duplicates)
    /// visible to the statement's snapshot, in that order, full-width as
    /// [`Self::scan_begin`]: each tid is fetched as it is, a row version
    /// that was updated not followed to its successor (PostgreSQL's Tid
    /// Scan). The caller still applies its whole WHERE, so a context may
    /// scan the whole relation instead.
    fn tid_scan_begin(&mut self, rel: &RelationDesc, tids: Vec<Tid>) -> PgResult<ScanId> {
        let _ = tids;
        self.scan_begin(rel)
    }
    /// Opens a scan of the visible rows in heap blocks `first..=last`
    /// (PostgreSQL's Tid Range Scan), full-width as [`Self::scan_begin`];
    /// the caller's WHERE decides on the exact tids. A context may scan
    /// the whole relation instead.
    fn tid_range_scan_begin(
        &mut self,
        rel: &RelationDesc,
        first: u32,
        last: u32,
    ) -> PgResult<ScanId> {
        let _ = (first, last);
        self.scan_begin(rel)
    }
    /// The next row of a scan, or None at its end.
    fn scan_next(&mut self, scan: ScanId) -> PgResult<Option<(Tid, Vec<Datum>)>> {
        let _ = scan;
        Err(tables_not_supported())
    }
    /// The next row of a scan into `row` (its room reused from the row
    /// before, as PostgreSQL's slot) and its address, or None at the end:
    /// for a caller that only reads each row, a seqscan need not allocate
    /// per row.
    fn scan_next_into(&mut self, scan: ScanId, row: &mut Vec<Datum>) -> PgResult<Option<Tid>> {
        Ok(match self.scan_next(scan)? {
            Some((tid, next)) => {
                *row = next;
                Some(tid)
            }
            None => None,
        })
    }
    /// The full-width row that [`Self::scan_next_into`] returned last as
    /// `row`, every column decoded (a scan opened with
    /// [`Self::scan_begin_columns`] decodes the others now).
    fn scan_row_whole(&mut self, scan: ScanId, row: &[Datum]) -> PgResult<Vec<Datum>> {
        let _ = scan;
        Ok(row.to_vec())
    }
    /// Decodes the columns `read` marks of the row that
    /// [`Self::scan_next_into`] returned last into `row` (the others NULL):
    /// a seqscan opened to decode what its filter reads decodes the rest of
    /// a row that passed it.
    fn scan_reread(&mut self, scan: ScanId, read: &[bool], row: &mut Vec<Datum>) -> PgResult<()> {
        let _ = (scan, read, row);
        Ok(())
    }
    /// Closes a scan (also after an error, and before its end).
    fn scan_end(&mut self, scan: ScanId) {
        let _ = scan;
    }
    /// Inserts a full-width row (already checked against NOT NULL).
    fn insert_row(&mut self, rel: &RelationDesc, row: Vec<Datum>) -> PgResult<Tid> {
        let _ = (rel, row);
        Err(tables_not_supported())
    }
    /// Replaces row version `tid` by the full-width `row`.
    fn update_row(
        &mut self,
        rel: &RelationDesc,
        tid: Tid,
        row: Vec<Datum>,
    ) -> PgResult<ModifyOutcome> {
        let _ = (rel, tid, row);
        Err(tables_not_supported())
    }
    /// Deletes row version `tid`.
    fn delete_row(&mut self, rel: &RelationDesc, tid: Tid) -> PgResult<ModifyOutcome> {
        let _ = (rel, tid);
        Err(tables_not_supported())
    }
    /// Locks row version `tid` in `mode` for the transaction, waiting for (or,
    /// by `wait`, skipping or failing on) another transaction that holds it.
    fn lock_row(
        &mut self,
        rel: &RelationDesc,
        tid: Tid,
        mode: RowLockMode,
        wait: RowLockWait,
    ) -> PgResult<LockRowOutcome> {
        let _ = (rel, tid, mode, wait);
        Err(PgError::feature_not_supported("SELECT FOR UPDATE/SHARE"))
    }
    /// The size in bytes of relation `name` (see [`RelationSize`]).
    /// INSERT ... ON CONFLICT: a live row of `rel` whose key in one of the
    /// `arbiters` unique indexes (all unique indexes if empty) equals that
    /// of `row`: its newest version's tid and contents. Waits for a
    /// transaction that is inserting or deleting such a row.
    fn find_conflict(
        &mut self,
        rel: &RelationDesc,
        arbiters: &[u32],
        row: &[Datum],
    ) -> PgResult<Option<(Tid, Vec<Datum>)>> {
        let _ = (rel, arbiters, row);
        Err(tables_not_supported())
    }
    /// The row [`Self::find_conflict`] found no conflict for is in (or
    /// failed): what held other proposers of its key back is released.
    fn end_speculative_insert(&mut self) {}
    /// A sequence function on sequence `seq` (a `regclass` value's text).
    fn sequence(&mut self, seq: &str, call: SequenceCall) -> PgResult<i64> {
        let _ = (seq, call);
        Err(tables_not_supported())
    }
    /// `pg_get_serial_sequence(table, column)`.
    fn serial_sequence(&mut self, table: &str, column: &str) -> PgResult<Option<String>> {
        let _ = (table, column);
        Err(tables_not_supported())
    }
    /// `regclass` input: the relation `text` names (or its OID as digits),
    /// as `regclass` prints it; 42P01 if there is none.
    fn regclass_in(&mut self, text: &str) -> PgResult<String> {
        let _ = text;
        Err(tables_not_supported())
    }
    /// `pg_table_is_visible(oid)`: whether the search_path finds relation
    /// `oid` by its bare name; None if there is no such relation.
    fn relation_visible(&mut self, oid: u32) -> PgResult<Option<bool>> {
        let _ = oid;
        Err(tables_not_supported())
    }
    /// `row_security_active(relation)`: whether row-level security
    /// applies to the relation (by OID, or by name as `regclass` reads
    /// it) for the current user.
    fn row_security_active(&mut self, rel: &Datum) -> PgResult<bool> {
        let _ = rel;
        Err(tables_not_supported())
    }
    /// `pg_type_is_visible(oid)` of a user-defined type: whether the
    /// search_path finds it by its bare name (built-in types always are).
    fn type_visible(&mut self, oid: u32) -> PgResult<bool> {
        let _ = oid;
        Ok(true)
    }
    /// `has_table_privilege` and its kin, and `pg_has_role` (`func`), with
    /// their arguments as given: whether the user holds the privileges;
    /// None (SQL NULL) for an object given by OID that does not exist.
    fn has_privilege(&mut self, func: &str, args: &[Datum]) -> PgResult<Option<bool>> {
        let _ = args;
        Err(PgError::feature_not_supported(format!(
            "{func} in this context"
        )))
    }
    /// The name of role `oid` (`pg_get_userbyid`); None if there is none.
    fn role_name(&mut self, oid: u32) -> PgResult<Option<String>> {
        let _ = oid;
        Err(tables_not_supported())
    }
    /// `pg_function_is_visible(oid)`: whether the search_path finds
    /// function `oid` by its bare name; None if there is no such function.
    fn function_visible(&mut self, oid: u32) -> PgResult<Option<bool>> {
        let _ = oid;
        Err(tables_not_supported())
    }
    /// A catalog object as SQL text; None (SQL NULL) if it does not exist.
    fn catalog_text(&mut self, what: CatalogText<'_>) -> PgResult<Option<String>> {
        let _ = what;
        Err(tables_not_supported())
    }
    /// The partition tree below relation `oid` (PostgreSQL's
    /// `pg_partition_tree`): (relid, parent or 0, is a leaf, level), the
    /// relation first, then its descendants level by level; nothing for a
    /// relation that is neither partitioned nor a partition.
    fn partition_tree(&mut self, oid: u32) -> PgResult<Vec<(u32, u32, bool, i32)>> {
        let _ = oid;
        Ok(Vec::new())
    }
    /// The relation and its ancestors in a partition tree, nearest first
    /// (nothing for a relation that is not in one).
    fn partition_ancestors(&mut self, oid: u32) -> PgResult<Vec<u32>> {
        let _ = oid;
        Ok(Vec::new())
    }
    /// The `regnamespace` text of schema `oid`: its name, quoted as an
    /// identifier; the number if there is no such schema.
    fn regnamespace_of(&mut self, oid: u32) -> PgResult<String> {
        Ok(oid.to_string())
    }
    /// The `regproc` text of function `oid`: its name, qualified when the
    /// search_path does not find it; `-` for 0 and the number if there is
    /// no such function.
    fn regproc_of(&mut self, oid: u32) -> PgResult<String> {
        Ok(match oid {
            0 => "-".to_owned(),
            o => o.to_string(),
        })
    }
    /// `pg_database_size`: the bytes of the files of database `name` (or,
    /// for None, of database `oid`); None for an OID that names none.
    fn database_size(&mut self, name: Option<&str>, oid: u32) -> PgResult<Option<i64>> {
        let _ = (name, oid);
        Err(PgError::feature_not_supported(
            "pg_database_size in this context",
        ))
    }
    /// The OID of schema `name`, None if there is none.
    fn namespace_oid(&mut self, name: &str) -> PgResult<Option<u32>> {
        let _ = name;
        Err(tables_not_supported())
    }
    /// The `regclass` text of relation `oid` (the number if there is none).
    fn regclass_of(&mut self, oid: u32) -> PgResult<String> {
        Ok(oid.to_string())
    }
    /// The OID of the relation a `regclass` value names.
    fn regclass_oid(&mut self, text: &str) -> PgResult<u32> {
        let _ = text;
        Err(tables_not_supported())
    }
    fn relation_size(&mut self, name: &str, what: RelationSize<'_>) -> PgResult<i64> {
        let _ = (name, what);
        Err(PgError::feature_not_supported(
            "relation sizes in this context",
        ))
    }
    /// `bt_index_check(index [, heapallindexed])`: verifies the structure of
    /// B-tree index `name` and that its entries agree with the table (with
    /// `heapallindexed`, also that every live row has its entry); XX002 if not.
    fn index_check(&mut self, name: &str, heapallindexed: bool) -> PgResult<()> {
        let _ = (name, heapallindexed);
        Err(PgError::feature_not_supported(
            "bt_index_check in this context",
        ))
    }
    /// The settings that govern text output, gathered.
    fn output_options(&self) -> OutputOptions {
        OutputOptions {
            time_zone: self.time_zone(),
            extra_float_digits: self.extra_float_digits(),
            date_style: self.date_style(),
            interval_style: self.interval_style(),
            bytea_output: self.bytea_output(),
        }
    }
}

/// The result of a statement: the rows it returns (of the query, or of
/// RETURNING) and the number of rows it processed, for the command tag
/// ([`PlannedStmt::command_tag`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ExecResult {
    pub rows: Vec<Vec<Datum>>,
    pub processed: u64,
}

/// Runs a planned statement with the bound parameter values.
pub fn execute_statement(
    plan: &PlannedStmt,
    params: &[Datum],
    ctx: &mut dyn ExecContext,
) -> PgResult<ExecResult> {
    if params.len() != plan.param_types.len() {
        return Err(PgError::new(
            SqlState::ProtocolViolation,
            format!(
                "bind message supplies {} parameters, but prepared statement \"\" requires {}",
                params.len(),
                plan.param_types.len()
            ),
        ));
    }
    let mut ev = expr::Evaluator::new(params, ctx);
    run_statement(&mut ev, plan)
}

/// Runs a planned statement as [`execute_statement`] does, counting rows
/// and loops (and, with `timing`, time) per plan node for EXPLAIN ANALYZE.
pub fn execute_instrumented(
    plan: &PlannedStmt,
    params: &[Datum],
    ctx: &mut dyn ExecContext,
    timing: bool,
) -> PgResult<(ExecResult, planner::explain::Instrumentation)> {
    let mut ev = expr::Evaluator::new(params, ctx);
    ev.instrument = Some(expr::Instrumenter {
        timing,
        stats: Default::default(),
    });
    let result = run_statement(&mut ev, plan)?;
    let stats = ev.instrument.take().map(|i| i.stats).unwrap_or_default();
    Ok((result, stats))
}

fn run_statement(ev: &mut expr::Evaluator<'_>, plan: &PlannedStmt) -> PgResult<ExecResult> {
    // Data-modifying WITH queries that something reads run first, each to
    // completion; their RETURNING rows are the work tables their
    // references read. The others run after the main query. All run at
    // the statement's command id, so none sees another's changes.
    for cte in plan.modifying_ctes.iter().filter(|c| c.referenced) {
        let out = modify::run(ev, &cte.plan, &cte.modify)?;
        ev.set_worktable(cte.id, out.rows);
    }
    let result = match &plan.modify {
        None => {
            let rows = query::run(ev, &plan.plan, plan.columns.len())?;
            ExecResult {
                processed: rows.len() as u64,
                rows,
            }
        }
        Some(m) => modify::run(ev, &plan.plan, m)?,
    };
    for cte in plan.modifying_ctes.iter().filter(|c| !c.referenced) {
        modify::run(ev, &cte.plan, &cte.modify)?;
    }
    Ok(result)
}

/// Runs a planned statement and returns its rows (each as long as
/// `plan.columns`); see [`execute_statement`] for the processed count.
pub fn execute(
    plan: &PlannedStmt,
    params: &[Datum],
    ctx: &mut dyn ExecContext,
) -> PgResult<Vec<Vec<Datum>>> {
    execute_statement(plan, params, ctx).map(|r| r.rows)
}
