//! One client session's state: who it is, its settings, its transaction state,
//! prepared statements and portals.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use executor::ExecContext;
use planner::PlannedStmt;
use sqlparser::ast::Statement;
use storage::shmem::SharedMemory;
use types::guc::{GucSource, Settings};
use types::{Datum, PgError, PgResult, SqlState};

use crate::interrupt::Interrupts;

/// Transaction block state, as ReadyForQuery reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XactState {
    /// No transaction block ('I').
    Idle,
    /// Inside BEGIN ... ('T').
    InBlock,
    /// Inside a block that failed; only ROLLBACK (or COMMIT) is accepted ('E').
    Failed,
}

/// A statement made by Parse (or PREPARE).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub sql: String,
    pub stmt: Option<Statement>,
    pub plan: Option<PlannedStmt>,
    pub param_types: Vec<u32>,
    /// `tcop::catalog_version` when the plan was made.
    pub catalog_version: (u64, u64),
    /// Made by SQL PREPARE (else by a Parse message): `pg_prepared_statements.from_sql`.
    pub from_sql: bool,
    /// When it was prepared (microseconds since 2000-01-01 UTC).
    pub prepare_time: i64,
}

/// A portal made by Bind.
#[derive(Debug)]
pub struct Portal {
    /// Shared with the prepared statement: Bind does not copy the parse tree or plan.
    pub statement: std::sync::Arc<Prepared>,
    pub params: Vec<Datum>,
    pub result_formats: Vec<i16>,
    /// Rows not yet sent, once the portal has run (Execute with a row limit).
    pub pending: Option<std::collections::VecDeque<Vec<Datum>>>,
    pub sent: usize,
    pub tag: Option<String>,
}

/// Who the session is and what it has.
pub struct Session {
    pub settings: Settings,
    /// Set while a foreign key's query is planned: row-level security
    /// does not apply to it (PostgreSQL runs those as the table's owner
    /// with `SECURITY_NOFORCE_RLS`).
    pub no_row_security: bool,
    /// The current user (`current_user`): the role of SET ROLE, else the
    /// session user. Owners of new objects and privilege checks use it.
    pub user: String,
    pub database: String,
    pub database_oid: u32,
    /// Whether the current user is a superuser.
    pub is_superuser: bool,
    /// The current user's role OID.
    pub user_oid: u32,
    /// Who logged in, and the session user of SET SESSION AUTHORIZATION
    /// (see [`crate::commands::user::sync_authorization`]).
    pub auth: crate::commands::user::Authorization,
    pub pid: i32,
    pub xact: XactState,
    pub xact_start: i64,
    pub stmt_start: i64,
    pub prepared: HashMap<String, std::sync::Arc<Prepared>>,
    pub portals: HashMap<String, Portal>,
    /// Cursors of DECLARE, by name.
    pub cursors: HashMap<String, crate::commands::portalcmds::Cursor>,
    pub shmem: &'static SharedMemory,
    pub interrupts: Interrupts,
    pub deadline: Option<Instant>,
    /// The running statement began outside a transaction block, so it runs in
    /// its own (implicit) transaction, ended by finish/fail_statement.
    pub implicit_xact: bool,
    /// The statements of one simple Query message with several of them share
    /// one implicit transaction block (PostgreSQL's), committed when the
    /// message ends ([`Session::end_implicit_block`]) and aborted whole by
    /// an error.
    pub implicit_block: bool,
    /// A statement of the implicit block left its transaction open for the
    /// next one.
    implicit_block_open: bool,
    /// Set by a top-level CALL (or DO) outside any transaction block, or by
    /// a CALL statement of a procedure that may itself commit, and taken by
    /// the procedure it calls: that procedure may COMMIT and ROLLBACK
    /// (PostgreSQL's non-atomic execution context).
    pub nonatomic_call: bool,
    /// The (relation, event) pairs whose rules are being applied, to
    /// find a rule that loops (`crate::rewrite`).
    pub rewrite_stack: Vec<(u32, char)>,
    /// The next DML statement is the original of a rewritten list: run it
    /// without its relation's rules again.
    pub rewrite_bypass: bool,
    /// NOTICE/WARNING messages waiting to be sent: (severity, sqlstate,
    /// text, detail).
    pub notices: Vec<(&'static str, &'static str, String, Option<String>)>,
    /// AFTER trigger events waiting for the end of their statement.
    pub after_triggers: Vec<crate::commands::trigger::AfterEvent>,
    /// Buffer pool, relation files and transaction status, for this process.
    pub storage: crate::xact::StorageEnv,
    /// The storage side of the current transaction.
    pub tx: crate::xact::TxState,
    /// Relations read from the catalog, valid for one catalog generation.
    pub relcache: crate::relcache::RelCache,
    /// Plans of simple queries, by their text without numbers.
    pub plan_cache: crate::tcop::plancache::PlanCache,
    /// The executor's open table scans, by ScanId.
    pub scans: Vec<Option<crate::table_access::OpenScan>>,
    /// A COPY FROM STDIN reading the client's data (its statement is open).
    pub copy_in: Option<Box<crate::commands::copy::CopyIn>>,
    /// While COPY FROM runs one row's INSERT: its table's row buffer, which
    /// `table_access::insert_row` of that table adds to instead of the heap.
    pub bulk_insert: Option<crate::table_access::BulkInsert>,
    /// Bumped by every catalog change this session makes (and by the abort
    /// of a transaction that made one): a plan made before is stale.
    pub local_catalog_version: u64,
    /// The last value `nextval` or `setval` gave each sequence in this
    /// session (`currval`), and the sequence used last (`lastval`).
    pub seq_values: HashMap<u32, i64>,
    pub last_sequence: Option<u32>,
    /// Plans of foreign-key queries, by (constraint OID, query), with the
    /// catalog version they were made at.
    pub ri_plans: HashMap<(u32, u8), RiPlan>,
    /// The key locks of an INSERT ... ON CONFLICT row being inserted
    /// (`table_access::find_conflict`).
    pub speculative: Vec<storage::lmgr::LockTag>,
    /// This session owns its temporary schema now (an earlier session's
    /// leftovers in it are gone).
    pub temp_claimed: bool,
    /// Temporary tables made ON COMMIT DELETE ROWS.
    pub on_commit_delete: Vec<u32>,
    /// The channels of committed LISTENs, in LISTEN order
    /// (`pg_listening_channels`; see [`crate::commands::async_notify`]).
    pub listen_channels: Vec<String>,
}

/// A foreign-key query's plan and the catalog version it was made at.
pub type RiPlan = ((u64, u64), std::sync::Arc<planner::PlannedStmt>);

/// Microseconds since 2000-01-01 UTC (PostgreSQL's timestamp epoch).
pub fn now_pg() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.as_micros() as i64 - 946_684_800_000_000
}

impl Session {
    /// A session before authentication (or a background process's): no
    /// user, no database, idle.
    pub fn new(
        settings: Settings,
        shmem: &'static SharedMemory,
        interrupts: Interrupts,
        storage: crate::xact::StorageEnv,
        pid: i32,
    ) -> Session {
        Session {
            settings,
            user: String::new(),
            database: String::new(),
            database_oid: 0,
            is_superuser: false,
            user_oid: 0,
            auth: Default::default(),
            pid,
            xact: XactState::Idle,
            xact_start: 0,
            stmt_start: 0,
            prepared: HashMap::new(),
            portals: HashMap::new(),
            cursors: HashMap::new(),
            shmem,
            interrupts,
            deadline: None,
            implicit_xact: false,
            implicit_block: false,
            implicit_block_open: false,
            nonatomic_call: false,
            rewrite_stack: Vec::new(),
            rewrite_bypass: false,
            notices: Vec::new(),
            no_row_security: false,
            after_triggers: Vec::new(),
            storage,
            tx: crate::xact::TxState::default(),
            relcache: crate::relcache::RelCache::default(),
            plan_cache: Default::default(),
            scans: Vec::new(),
            copy_in: None,
            local_catalog_version: 0,
            seq_values: HashMap::new(),
            last_sequence: None,
            ri_plans: HashMap::new(),
            speculative: Vec::new(),
            bulk_insert: None,
            temp_claimed: false,
            on_commit_delete: Vec::new(),
            listen_channels: Vec::new(),
        }
    }

    /// Called before each statement: statement timestamp, statement_timeout,
    /// and the implicit transaction when no block is open.
    pub fn start_statement(&mut self) {
        self.interrupts.clear_cancel();
        self.stmt_start = now_pg();
        self.implicit_xact = self.xact == XactState::Idle;
        if self.implicit_xact && !self.implicit_block_open {
            self.xact_start = self.stmt_start;
            types::datum::datetime::set_transaction_start(self.xact_start);
            self.settings.begin_transaction();
        }
        // The end of the last transaction may have undone a SET ROLE.
        crate::commands::user::sync_authorization(self);
        let timeout_ms = self.settings.get_int("statement_timeout").unwrap_or(0);
        self.deadline =
            (timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
    }

    /// Whether a statement about to run at top level may end transactions
    /// inside a procedure it calls: not in a transaction block (explicit,
    /// or the implicit one of several statements in one Query).
    pub fn may_control_transactions(&self) -> bool {
        self.xact == XactState::Idle && self.implicit_xact && !self.implicit_block
    }

    /// Called after each statement that succeeded: ends the implicit transaction
    /// (unless the statement was BEGIN, which turns it into a block; COMMIT and
    /// ROLLBACK of a block end it themselves). A failed commit is the
    /// statement's error.
    pub fn finish_statement(&mut self) -> PgResult<()> {
        // The statement's AFTER triggers, then its foreign-key checks and
        // actions (PostgreSQL's AFTER triggers at the end of the query).
        crate::commands::trigger::fire_after(self, 0)?;
        crate::commands::foreign_keys::fire_pending(self)?;
        let result = crate::xact::command_counter_increment(self);
        self.deadline = None;
        // On error the caller's fail_statement aborts what is left.
        result?;
        if self.implicit_xact && self.xact == XactState::Idle {
            if self.implicit_block {
                self.implicit_block_open = true;
                return Ok(());
            }
            crate::xact::commit(self)?;
            self.settings.commit_transaction();
        }
        self.implicit_block_open = false;
        Ok(())
    }

    /// The end of a Query message: commits the implicit block its
    /// statements left open.
    pub fn end_implicit_block(&mut self) -> PgResult<()> {
        self.implicit_block = false;
        if !std::mem::take(&mut self.implicit_block_open) || self.xact != XactState::Idle {
            return Ok(());
        }
        match crate::xact::commit(self) {
            Ok(()) => {
                self.settings.commit_transaction();
                Ok(())
            }
            Err(e) => {
                self.settings.abort_transaction();
                Err(e)
            }
        }
    }

    /// Called when a statement failed: the transaction aborts at once (its
    /// locks are released and its changes gone), and a block waits for
    /// ROLLBACK in the failed state.
    pub fn fail_statement(&mut self) {
        self.deadline = None;
        self.after_triggers.clear();
        self.scans.clear();
        self.implicit_block_open = false;
        match self.xact {
            XactState::Idle if self.implicit_xact => {
                crate::xact::abort(self);
                self.settings.abort_transaction();
            }
            XactState::Idle => {}
            XactState::InBlock => {
                // With a savepoint, ROLLBACK TO may still rescue the work
                // before it: keep the transaction (and its locks) until then.
                if self.tx.savepoints.is_empty() {
                    crate::xact::abort(self);
                }
                self.xact = XactState::Failed;
            }
            XactState::Failed => {}
        }
    }

    /// Queues a NOTICE for the client (sent before the statement's result).
    pub fn notice(&mut self, code: &'static str, msg: impl Into<String>) {
        self.notices.push(("NOTICE", code, msg.into(), None));
    }

    pub fn warn(&mut self, code: &'static str, msg: impl Into<String>) {
        self.notices.push(("WARNING", code, msg.into(), None));
    }

    /// Applies a setting from the startup packet (`options=-c x=y`, or a
    /// parameter such as application_name).
    pub fn set_from_client(&mut self, name: &str, value: &str) -> PgResult<()> {
        self.settings
            .set(name, value, GucSource::Client, self.is_superuser)
    }
}

impl ExecContext for Session {
    fn trigger_depth(&self) -> i32 {
        crate::plpgsql::trigger_depth()
    }

    fn before_row_triggers(
        &mut self,
        rel: &planner::RelationDesc,
        event: executor::TriggerEvent,
        old: Option<&[Datum]>,
        new: Option<Vec<Datum>>,
    ) -> PgResult<Option<Vec<Datum>>> {
        crate::commands::trigger::before_row(self, rel, event, old, new)
    }

    fn after_row_triggers(
        &mut self,
        rel: &planner::RelationDesc,
        event: executor::TriggerEvent,
        old: Option<Vec<Datum>>,
        new: Option<Vec<Datum>>,
    ) -> PgResult<()> {
        crate::commands::trigger::queue_after(self, rel, event, true, old, new);
        Ok(())
    }

    fn statement_triggers(
        &mut self,
        rel: &planner::RelationDesc,
        event: executor::TriggerEvent,
        before: bool,
    ) -> PgResult<()> {
        match before {
            true => crate::commands::trigger::before_statement(self, rel, event),
            false => {
                crate::commands::trigger::queue_after(self, rel, event, false, None, None);
                Ok(())
            }
        }
    }

    fn call_function(
        &mut self,
        oid: u32,
        args: Vec<Datum>,
        types: &executor::CallTypes,
    ) -> PgResult<Datum> {
        crate::plpgsql::call(self, oid, args, types).map(|r| r.value)
    }

    fn call_set_function(
        &mut self,
        oid: u32,
        args: Vec<Datum>,
        types: &executor::CallTypes,
        width: usize,
    ) -> PgResult<Vec<Vec<Datum>>> {
        let mut rows = crate::plpgsql::call(self, oid, args, types)?.rows;
        for r in &mut rows {
            r.resize(width, Datum::Null);
        }
        Ok(rows)
    }

    fn check_for_interrupts(&mut self) -> PgResult<()> {
        self.interrupts.check(self.deadline)
    }
    fn current_user(&self) -> &str {
        &self.user
    }
    fn session_user(&self) -> &str {
        if self.auth.session.name.is_empty() {
            &self.user
        } else {
            &self.auth.session.name
        }
    }
    fn database(&self) -> &str {
        &self.database
    }
    fn backend_pid(&self) -> i32 {
        self.pid
    }
    fn transaction_timestamp(&self) -> i64 {
        self.xact_start
    }
    fn statement_timestamp(&self) -> i64 {
        self.stmt_start
    }
    fn postmaster_start_time(&self) -> i64 {
        self.shmem.postmaster_start_time()
    }
    fn setting(&self, name: &str) -> PgResult<String> {
        self.settings.show(name)
    }
    fn to_reg(&mut self, func: &str, name: &str) -> PgResult<Option<String>> {
        crate::describe::to_reg(self, func, name)
    }
    fn set_config(&mut self, name: &str, value: &str, local: bool) -> PgResult<String> {
        let action = match local {
            true => types::guc::SetAction::Local,
            false => types::guc::SetAction::Set,
        };
        let name = name.to_ascii_lowercase();
        self.settings.set_option(
            &name,
            Some(value),
            types::guc::GucSource::Session,
            self.is_superuser,
            action,
        )?;
        self.settings.show(&name)
    }

    fn notify(&mut self, channel: &str, payload: &str) -> PgResult<()> {
        crate::commands::async_notify::notify(self, channel, payload)
    }

    fn listening_channels(&self) -> Vec<String> {
        self.listen_channels.clone()
    }

    fn notification_queue_usage(&self) -> f64 {
        crate::commands::async_notify::queue_usage(self)
    }

    fn signal_backend(&mut self, pid: i32, terminate: bool) -> PgResult<bool> {
        let Some(target) = self.shmem.proc_array().find_pid(pid) else {
            return Ok(false);
        };
        if !self.is_superuser {
            return Err(PgError::new(
                SqlState::InsufficientPrivilege,
                if terminate {
                    "permission denied to terminate process"
                } else {
                    "permission denied to cancel query"
                },
            ));
        }
        let sig = if terminate {
            nix::sys::signal::Signal::SIGTERM
        } else {
            nix::sys::signal::Signal::SIGINT
        };
        // A failure means the process is already gone: not a backend any more.
        Ok(nix::sys::signal::kill(nix::unistd::Pid::from_raw(target.pid), sig).is_ok())
    }
    fn warning(&mut self, msg: String) {
        self.notices.push(("WARNING", "01000", msg, None));
    }
    fn notice(&mut self, msg: String) {
        self.notices.push(("NOTICE", "00000", msg, None));
    }
    fn time_zone(&self) -> String {
        self.settings
            .get_str("TimeZone")
            .unwrap_or_else(|| "UTC".into())
    }
    fn extra_float_digits(&self) -> i32 {
        self.settings.get_int("extra_float_digits").unwrap_or(1)
    }
    fn date_style(&self) -> String {
        self.settings
            .get_str("DateStyle")
            .unwrap_or_else(|| "ISO, MDY".into())
    }
    fn interval_style(&self) -> String {
        self.settings
            .get_str("IntervalStyle")
            .unwrap_or_else(|| "postgres".into())
    }
    fn bytea_output(&self) -> String {
        self.settings
            .get_str("bytea_output")
            .unwrap_or_else(|| "hex".into())
    }
    fn wal_positions(&self) -> PgResult<executor::WalPositions> {
        // Flush, write, insert: each read is of a position at or beyond the one before.
        let xlog = &self.storage.xlog;
        let flush = xlog.flush_position();
        let write = xlog.write_position();
        let insert = xlog.insert_position();
        Ok(executor::WalPositions {
            insert,
            write,
            flush,
        })
    }
    fn xact_status(&mut self, xid: u64) -> PgResult<Option<&'static str>> {
        let transam = &self.storage.transam;
        if xid >= transam.next_xid() {
            return Err(PgError::new(
                types::SqlState::InvalidParameterValue,
                format!("transaction ID {xid} is in the future"),
            ));
        }
        if self.tx.xid == Some(xid) || transam.is_in_progress(xid) {
            return Ok(Some("in progress"));
        }
        Ok(Some(match transam.status(xid)? {
            storage::transam::XidStatus::Committed => "committed",
            // Neither committed nor running: it aborted, or the server
            // crashed before it ended.
            _ => "aborted",
        }))
    }
    fn current_snapshot(&mut self) -> PgResult<types::datum::snapshot::SnapshotValue> {
        let s = crate::xact::statement_snapshot(self);
        Ok(types::datum::snapshot::SnapshotValue {
            xmin: s.xmin,
            xmax: s.xmax,
            xip: s.xip,
        })
    }
    fn current_xid(&mut self, assign: bool) -> PgResult<Option<u64>> {
        if assign {
            // Allowed in a read-only transaction too, as in PostgreSQL.
            return crate::xact::ensure_xid(self).map(Some);
        }
        Ok(self.tx.xid)
    }
    fn scan_begin(&mut self, rel: &planner::RelationDesc) -> PgResult<executor::ScanId> {
        crate::table_access::scan_begin(self, rel)
    }
    fn schema_exists(&mut self, name: &str) -> PgResult<bool> {
        Ok(crate::relcache::namespace_oid(self, name)?.is_some())
    }
    fn scan_begin_columns(
        &mut self,
        rel: &planner::RelationDesc,
        columns: usize,
    ) -> PgResult<executor::ScanId> {
        crate::table_access::scan_begin_columns(self, rel, columns)
    }
    fn scan_begin_read(
        &mut self,
        rel: &planner::RelationDesc,
        read: &[bool],
    ) -> PgResult<executor::ScanId> {
        crate::table_access::scan_begin_read(self, rel, read)
    }
    fn index_scan_begin(
        &mut self,
        rel: &planner::RelationDesc,
        index_oid: u32,
        ranges: Vec<executor::IndexRange>,
        index_only: bool,
        backward: bool,
    ) -> PgResult<executor::ScanId> {
        crate::table_access::index_scan_begin(self, rel, index_oid, ranges, index_only, backward)
    }
    fn find_conflict(
        &mut self,
        rel: &planner::RelationDesc,
        arbiters: &[u32],
        row: &[Datum],
    ) -> PgResult<Option<(executor::Tid, Vec<Datum>)>> {
        crate::table_access::find_conflict(self, rel, arbiters, row)
    }
    fn end_speculative_insert(&mut self) {
        crate::table_access::end_speculative_insert(self);
    }
    fn sequence(&mut self, seq: &str, call: executor::SequenceCall) -> PgResult<i64> {
        use crate::commands::sequence;
        match call {
            executor::SequenceCall::Next => sequence::nextval(self, seq),
            executor::SequenceCall::Curr => sequence::currval(self, seq),
            executor::SequenceCall::Last => sequence::lastval(self),
            executor::SequenceCall::Set(v, called) => sequence::setval(self, seq, v, called),
        }
    }
    fn serial_sequence(&mut self, table: &str, column: &str) -> PgResult<Option<String>> {
        crate::commands::sequence::serial_sequence(self, table, column)
    }
    fn regclass_in(&mut self, text: &str) -> PgResult<String> {
        let oid = self.regclass_oid(text)?;
        crate::relcache::regclass_name(self, oid)
    }
    fn row_security_active(&mut self, rel: &Datum) -> PgResult<bool> {
        let oid = match rel {
            Datum::Oid(o) => *o,
            Datum::Text(t) => self.regclass_oid(t)?,
            _ => return Ok(false),
        };
        // Row security that `row_security = off` refuses is active too.
        match crate::table_access::row_security(self, oid, None) {
            Ok(p) => Ok(p.is_some()),
            Err(e) if e.code == SqlState::InsufficientPrivilege => Ok(true),
            Err(e) => Err(e),
        }
    }
    fn relation_visible(&mut self, oid: u32) -> PgResult<Option<bool>> {
        let Some(rel) = crate::relcache::relation_by_oid(self, oid)? else {
            return Ok(None);
        };
        let found = crate::relcache::lookup_relation(self, None, &rel.name)?;
        Ok(Some(found.is_some_and(|r| r.oid == oid)))
    }
    fn type_visible(&mut self, oid: u32) -> PgResult<bool> {
        let elem = types::typcache::element_of(oid);
        let Some(t) = types::typcache::get(elem.unwrap_or(oid)) else {
            return Ok(true);
        };
        let name = if elem.is_some() {
            format!("_{}", t.name)
        } else {
            t.name.clone()
        };
        Ok(crate::commands::typecmds::lookup_type(self, None, &name)? == Some(oid))
    }
    fn regclass_of(&mut self, oid: u32) -> PgResult<String> {
        crate::relcache::regclass_name(self, oid)
    }
    fn database_size(&mut self, name: Option<&str>, oid: u32) -> PgResult<Option<i64>> {
        crate::table_access::database_size(self, name, oid)
    }
    fn namespace_oid(&mut self, name: &str) -> PgResult<Option<u32>> {
        crate::relcache::namespace_oid(self, name)
    }
    fn regnamespace_of(&mut self, oid: u32) -> PgResult<String> {
        Ok(
            match crate::relcache::with_reader(self, |r| r.namespace_name(oid))? {
                Some(n) => crate::sysviews::quote_ident(&n),
                None => oid.to_string(),
            },
        )
    }
    fn regproc_of(&mut self, oid: u32) -> PgResult<String> {
        crate::describe::regproc_name(self, oid)
    }
    fn has_privilege(&mut self, func: &str, args: &[Datum]) -> PgResult<Option<bool>> {
        crate::acl::has_privilege(self, func, args)
    }
    fn role_name(&mut self, oid: u32) -> PgResult<Option<String>> {
        crate::describe::role_name(self, oid)
    }
    fn function_visible(&mut self, oid: u32) -> PgResult<Option<bool>> {
        crate::describe::function_visible(self, oid)
    }
    fn partition_tree(&mut self, oid: u32) -> PgResult<Vec<(u32, u32, bool, i32)>> {
        crate::describe::partition_tree(self, oid)
    }

    fn partition_ancestors(&mut self, oid: u32) -> PgResult<Vec<u32>> {
        crate::describe::partition_ancestors(self, oid)
    }

    fn catalog_text(&mut self, what: executor::CatalogText<'_>) -> PgResult<Option<String>> {
        crate::describe::catalog_text(self, what)
    }
    fn regclass_oid(&mut self, text: &str) -> PgResult<u32> {
        let t = text.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return t.parse::<u32>().map_err(|_| {
                PgError::new(
                    SqlState::NumericValueOutOfRange,
                    format!("value \"{t}\" is out of range for type oid"),
                )
            });
        }
        Ok(crate::relcache::regclass_lookup(self, text)?.oid)
    }
    fn relation_size(&mut self, name: &str, what: executor::RelationSize<'_>) -> PgResult<i64> {
        crate::table_access::relation_size(self, name, what)
    }
    fn bitmap_scan_begin(
        &mut self,
        rel: &planner::RelationDesc,
        bitmap: executor::BitmapRanges,
    ) -> PgResult<executor::ScanId> {
        crate::table_access::bitmap_scan_begin(self, rel, bitmap)
    }
    fn tid_scan_begin(
        &mut self,
        rel: &planner::RelationDesc,
        tids: Vec<executor::Tid>,
    ) -> PgResult<executor::ScanId> {
        crate::table_access::tid_scan_begin(self, rel, tids)
    }
    fn tid_range_scan_begin(
        &mut self,
        rel: &planner::RelationDesc,
        first: u32,
        last: u32,
    ) -> PgResult<executor::ScanId> {
        crate::table_access::tid_range_scan_begin(self, rel, first, last)
    }
    fn index_check(&mut self, name: &str, heapallindexed: bool) -> PgResult<()> {
        crate::table_access::index_check(self, name, heapallindexed)
    }
    fn scan_next(
        &mut self,
        scan: executor::ScanId,
    ) -> PgResult<Option<(executor::Tid, Vec<Datum>)>> {
        crate::table_access::scan_next(self, scan)
    }
    fn scan_next_into(
        &mut self,
        scan: executor::ScanId,
        row: &mut Vec<Datum>,
    ) -> PgResult<Option<executor::Tid>> {
        crate::table_access::scan_next_into(self, scan, row)
    }
    fn scan_row_whole(&mut self, scan: executor::ScanId, row: &[Datum]) -> PgResult<Vec<Datum>> {
        crate::table_access::scan_row_whole(self, scan, row)
    }
    fn scan_reread(
        &mut self,
        scan: executor::ScanId,
        read: &[bool],
        row: &mut Vec<Datum>,
    ) -> PgResult<()> {
        crate::table_access::scan_reread(self, scan, read, row)
    }
    fn scan_end(&mut self, scan: executor::ScanId) {
        crate::table_access::scan_end(self, scan)
    }
    fn insert_row(
        &mut self,
        rel: &planner::RelationDesc,
        row: Vec<Datum>,
    ) -> PgResult<executor::Tid> {
        crate::table_access::insert_row(self, rel, row)
    }
    fn update_row(
        &mut self,
        rel: &planner::RelationDesc,
        tid: executor::Tid,
        row: Vec<Datum>,
    ) -> PgResult<executor::ModifyOutcome> {
        crate::table_access::update_row(self, rel, tid, row)
    }
    fn delete_row(
        &mut self,
        rel: &planner::RelationDesc,
        tid: executor::Tid,
    ) -> PgResult<executor::ModifyOutcome> {
        crate::table_access::delete_row(self, rel, tid)
    }
    fn lock_row(
        &mut self,
        rel: &planner::RelationDesc,
        tid: executor::Tid,
        mode: executor::RowLockMode,
        wait: executor::RowLockWait,
    ) -> PgResult<executor::LockRowOutcome> {
        crate::table_access::lock_row(self, rel, tid, mode, wait)
    }
}
