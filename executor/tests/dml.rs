//! Tables through the executor's storage interface, with an in-memory fake of
//! the backend: a catalog ([`planner::CatalogView`]) and a row store behind
//! [`executor::ExecContext`]'s scan and modify methods.
//!
//! - `dml_slt_matches_postgres` runs every record of `tests/slt/dml.slt`
//!   (expectations from PostgreSQL 15) through planner and executor; the fake
//!   runs the DDL records (CREATE TABLE, TRUNCATE, DROP TABLE) itself.
//! - the `concurrent_*` tests make the store report rows changed by another
//!   transaction (`ModifyOutcome::Updated` / `Gone`) to drive the READ
//!   COMMITTED re-check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use executor::{
    ExecContext, LockRowOutcome, ModifyOutcome, RowLockMode, RowLockWait, ScanId, Tid,
    execute_statement,
};
use planner::{CatalogView, ColumnDesc, RelationDesc};
use sqlparser::ast::{ColumnOption, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use types::datum::OutputOptions;
use types::oid;
use types::{Datum, PgError, PgResult, SqlState};

/// One table: its description and its row versions (None once deleted).
struct Table {
    rel: Arc<RelationDesc>,
    rows: Vec<Option<Vec<Datum>>>,
}

/// The rows a scan returns, and how many it returned.
type Scan = (Vec<(Tid, Vec<Datum>)>, usize);

#[derive(Default)]
struct Fake {
    tables: HashMap<String, Table>,
    next_oid: u32,
    /// Open scans: a copy of the rows taken at scan_begin (the statement does
    /// not see its own changes), and the read position.
    scans: HashMap<u32, Scan>,
    next_scan: u32,
    /// Outcomes to report, once, for an update or delete of a tid (a
    /// concurrent transaction got there first).
    concurrent: HashMap<Tid, ModifyOutcome>,
    /// Row versions made by concurrent transactions after the statement's
    /// snapshot: scans do not see them.
    invisible: std::collections::HashSet<Tid>,
    interrupts_checked: u64,
    /// Row versions another transaction holds locked.
    held_by_others: std::collections::HashSet<Tid>,
    /// Outcomes to report, once, for a lock of a tid.
    concurrent_lock: HashMap<Tid, LockRowOutcome>,
    /// Every row version locked, in order.
    locked: Vec<Tid>,
}

fn tid_of(i: usize) -> Tid {
    Tid {
        block: (i / 100) as u32,
        offset: (i % 100) as u16 + 1,
    }
}

fn index_of(t: Tid) -> usize {
    t.block as usize * 100 + t.offset as usize - 1
}

/// An identifier as PostgreSQL folds it.
fn fold(id: &sqlparser::ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

impl Fake {
    fn table(&mut self, rel: &RelationDesc) -> PgResult<&mut Table> {
        self.tables
            .get_mut(&rel.name)
            .ok_or_else(|| PgError::internal("no such table in the fake"))
    }

    /// Runs CREATE TABLE / TRUNCATE / DROP TABLE; None for other statements.
    fn ddl(&mut self, stmt: &Statement, sql: &str) -> Option<PgResult<()>> {
        match stmt {
            Statement::CreateTable(ct) => {
                let name = match ct.name.0.last() {
                    Some(sqlparser::ast::ObjectNamePart::Identifier(id)) => fold(id),
                    _ => return Some(Err(PgError::internal("odd table name"))),
                };
                let mut columns = Vec::new();
                for (i, c) in ct.columns.iter().enumerate() {
                    let (type_oid, typmod) =
                        match planner::analyze::typename::resolve_type(&c.data_type) {
                            Ok(t) => t,
                            Err(e) => return Some(Err(e)),
                        };
                    let mut col = ColumnDesc {
                        name: fold(&c.name),
                        type_oid,
                        typmod,
                        not_null: false,
                        default: None,
                        attnum: i as i16 + 1,
                        dropped: false,
                        identity: '\0',
                        generated: '\0',
                    };
                    for o in &c.options {
                        match &o.option {
                            ColumnOption::NotNull => col.not_null = true,
                            ColumnOption::Default(e) => col.default = Some(e.to_string()),
                            _ => {}
                        }
                    }
                    columns.push(col);
                }
                self.next_oid += 1;
                let rel = RelationDesc {
                    oid: 16384 + self.next_oid,
                    name: name.clone(),
                    schema: "public".into(),
                    relkind: 'r',
                    columns,
                    indexes: vec![],
                    checks: Default::default(),
                    generated: Default::default(),
                    view_query: None,
                    alias: None,
                    children: Vec::new(),
                    partitioning: None,
                    partition_check: None,
                    triggers: Default::default(),
                    stats: Default::default(),
                    system_columns: false,
                };
                self.tables.insert(
                    name,
                    Table {
                        rel: Arc::new(rel),
                        rows: vec![],
                    },
                );
                Some(Ok(()))
            }
            _ => {
                let words: Vec<String> = sql.split_whitespace().map(|w| w.to_lowercase()).collect();
                match words
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice()
                {
                    ["truncate", name] | ["truncate", "table", name] => {
                        if let Some(t) = self.tables.get_mut(*name) {
                            t.rows.clear();
                        }
                        Some(Ok(()))
                    }
                    ["drop", "table", name] => {
                        let name = name.trim_matches('"');
                        let key = self
                            .tables
                            .keys()
                            .find(|k| k.to_lowercase() == name)
                            .cloned();
                        self.tables.remove(&key.unwrap_or_default());
                        Some(Ok(()))
                    }
                    _ => None,
                }
            }
        }
    }
}

impl CatalogView for Fake {
    fn lookup_relation(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> PgResult<Option<Arc<RelationDesc>>> {
        if schema.is_some_and(|s| s != "public") {
            return Ok(None);
        }
        Ok(self.tables.get(name).map(|t| t.rel.clone()))
    }
}

impl ExecContext for Fake {
    fn check_for_interrupts(&mut self) -> PgResult<()> {
        self.interrupts_checked += 1;
        Ok(())
    }
    fn current_user(&self) -> &str {
        "postgres"
    }
    fn session_user(&self) -> &str {
        "postgres"
    }
    fn database(&self) -> &str {
        "postgres"
    }
    fn backend_pid(&self) -> i32 {
        4242
    }
    fn transaction_timestamp(&self) -> i64 {
        0
    }
    fn statement_timestamp(&self) -> i64 {
        0
    }
    fn postmaster_start_time(&self) -> i64 {
        0
    }
    fn setting(&self, name: &str) -> PgResult<String> {
        Err(PgError::new(
            SqlState::UndefinedObject,
            format!("unrecognized configuration parameter \"{name}\""),
        ))
    }
    fn time_zone(&self) -> String {
        "Etc/UTC".into()
    }
    fn extra_float_digits(&self) -> i32 {
        1
    }
    fn date_style(&self) -> String {
        "ISO, MDY".into()
    }
    fn interval_style(&self) -> String {
        "postgres".into()
    }
    fn signal_backend(&mut self, _pid: i32, _terminate: bool) -> PgResult<bool> {
        Ok(false)
    }
    fn warning(&mut self, _msg: String) {}

    fn scan_begin(&mut self, rel: &RelationDesc) -> PgResult<ScanId> {
        let invisible = self.invisible.clone();
        let rows = self
            .table(rel)?
            .rows
            .iter()
            .enumerate()
            .filter(|(i, _)| !invisible.contains(&tid_of(*i)))
            .filter_map(|(i, r)| r.clone().map(|r| (tid_of(i), r)))
            .collect();
        self.next_scan += 1;
        self.scans.insert(self.next_scan, (rows, 0));
        Ok(ScanId(self.next_scan))
    }
    fn scan_next(&mut self, scan: ScanId) -> PgResult<Option<(Tid, Vec<Datum>)>> {
        let (rows, pos) = self
            .scans
            .get_mut(&scan.0)
            .ok_or_else(|| PgError::internal("no such scan"))?;
        let r = rows.get(*pos).cloned();
        *pos += 1;
        Ok(r)
    }
    fn scan_end(&mut self, scan: ScanId) {
        self.scans.remove(&scan.0);
    }
    fn insert_row(&mut self, rel: &RelationDesc, row: Vec<Datum>) -> PgResult<Tid> {
        assert_eq!(row.len(), rel.columns.len(), "rows are full-width");
        let t = self.table(rel)?;
        t.rows.push(Some(row));
        Ok(tid_of(t.rows.len() - 1))
    }
    fn update_row(
        &mut self,
        rel: &RelationDesc,
        tid: Tid,
        row: Vec<Datum>,
    ) -> PgResult<ModifyOutcome> {
        assert_eq!(row.len(), rel.columns.len(), "rows are full-width");
        if let Some(o) = self.concurrent.remove(&tid) {
            return Ok(o);
        }
        let t = self.table(rel)?;
        let slot = t
            .rows
            .get_mut(index_of(tid))
            .ok_or_else(|| PgError::internal("bad tid"))?;
        if slot.take().is_none() {
            return Err(PgError::internal("update of a dead row version"));
        }
        t.rows.push(Some(row));
        Ok(ModifyOutcome::Done)
    }
    fn lock_row(
        &mut self,
        _rel: &RelationDesc,
        tid: Tid,
        _mode: RowLockMode,
        wait: RowLockWait,
    ) -> PgResult<LockRowOutcome> {
        if let Some(o) = self.concurrent_lock.remove(&tid) {
            return Ok(o);
        }
        if self.held_by_others.contains(&tid) {
            return match wait {
                RowLockWait::SkipLocked => Ok(LockRowOutcome::Skipped),
                RowLockWait::NoWait => Err(PgError::new(
                    SqlState::LockNotAvailable,
                    "could not obtain lock on row",
                )),
                RowLockWait::Block => Err(PgError::internal("would wait forever")),
            };
        }
        self.locked.push(tid);
        Ok(LockRowOutcome::Locked)
    }
    fn delete_row(&mut self, rel: &RelationDesc, tid: Tid) -> PgResult<ModifyOutcome> {
        if let Some(o) = self.concurrent.remove(&tid) {
            return Ok(o);
        }
        let t = self.table(rel)?;
        let slot = t
            .rows
            .get_mut(index_of(tid))
            .ok_or_else(|| PgError::internal("bad tid"))?;
        if slot.take().is_none() {
            return Err(PgError::internal("delete of a dead row version"));
        }
        Ok(ModifyOutcome::Done)
    }
}

/// What a record produced: type letters and rows, or the processed count.
enum Output {
    Rows(String, Vec<String>),
    Count(u64),
}

fn run(fake: &mut Fake, sql: &str) -> PgResult<Output> {
    let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .map_err(|e| PgError::syntax(e.to_string(), None))?;
    let stmt = &stmts[0];
    if let Some(r) = fake.ddl(stmt, sql) {
        return r.map(|()| Output::Count(0));
    }
    let plan = planner::plan_simple_query_in(stmt, sql, &*fake)?;
    let result = execute_statement(&plan, &[], fake)?;
    assert_eq!(fake.scans.len(), 0, "every scan is closed");
    if plan.columns.is_empty() {
        return Ok(Output::Count(result.processed));
    }
    let letters: String = plan
        .columns
        .iter()
        .map(|c| match c.type_oid {
            oid::INT2 | oid::INT4 | oid::INT8 | oid::OID => 'I',
            oid::NUMERIC | oid::FLOAT4 | oid::FLOAT8 => 'R',
            _ => 'T',
        })
        .collect();
    let opts = OutputOptions {
        time_zone: "Etc/UTC".into(),
        ..OutputOptions::default()
    };
    let lines = result
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|d| match d {
                    Datum::Null => "NULL".to_string(),
                    d => {
                        let s = d.to_text(&opts);
                        if s.is_empty() { "(empty)".into() } else { s }
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    Ok(Output::Rows(letters, lines))
}

fn unescape(re: &str) -> String {
    let mut out = String::new();
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn dml_slt_matches_postgres() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/slt/dml.slt");
    let text = std::fs::read_to_string(path).expect("slt file");
    let mut fake = Fake::default();
    let mut failures = Vec::new();
    let mut count = 0;
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| !l.starts_with('#')).collect();
        let Some(head) = lines.first() else { continue };
        count += 1;
        if let Some(msg) = head.strip_prefix("statement error ") {
            let sql = lines[1..].join("\n");
            let want = unescape(msg);
            match run(&mut fake, &sql) {
                Err(e) if e.message == want => {}
                Err(e) => failures.push(format!(
                    "{sql}\n  want error: {want}\n  got error:  {}",
                    e.message
                )),
                Ok(_) => failures.push(format!("{sql}\n  want error: {want}\n  got success")),
            }
        } else if let Some(n) = head.strip_prefix("statement count ") {
            let sql = lines[1..].join("\n");
            match run(&mut fake, &sql) {
                Ok(Output::Count(got)) if got.to_string() == n => {}
                Ok(Output::Count(got)) => {
                    failures.push(format!("{sql}\n  want count {n}, got {got}"))
                }
                Ok(Output::Rows(..)) => failures.push(format!("{sql}\n  want count {n}, got rows")),
                Err(e) => failures.push(format!(
                    "{sql}\n  want count {n}, got error {:?}: {}",
                    e.code, e.message
                )),
            }
        } else if *head == "statement ok" {
            let sql = lines[1..].join("\n");
            if let Err(e) = run(&mut fake, &sql) {
                failures.push(format!(
                    "{sql}\n  want ok, got error {:?}: {}",
                    e.code, e.message
                ));
            }
        } else if let Some(letters) = head.strip_prefix("query ") {
            let sep = lines
                .iter()
                .position(|l| *l == "----")
                .unwrap_or(lines.len());
            let sql = lines[1..sep].join("\n");
            let want: Vec<String> = lines
                .get(sep + 1..)
                .unwrap_or(&[])
                .iter()
                .map(|s| s.to_string())
                .collect();
            match run(&mut fake, &sql) {
                Ok(Output::Rows(got_letters, rows)) => {
                    if rows != want || got_letters != letters {
                        failures.push(format!(
                            "{sql}\n  want {letters} {want:?}\n  got  {got_letters} {rows:?}"
                        ));
                    }
                }
                Ok(Output::Count(n)) => failures.push(format!("{sql}\n  want rows, got count {n}")),
                Err(e) => failures.push(format!(
                    "{sql}\n  want {want:?}\n  got error {:?}: {}",
                    e.code, e.message
                )),
            }
        }
    }
    assert!(count > 50, "only {count} blocks read");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A fake with table `acct (id int, n int NOT NULL)` holding `rows`.
fn fake_with(rows: &[(i32, i32)]) -> Fake {
    let mut fake = Fake::default();
    run(&mut fake, "CREATE TABLE acct (id int, n int NOT NULL)").unwrap();
    for (id, n) in rows {
        run(&mut fake, &format!("INSERT INTO acct VALUES ({id}, {n})")).unwrap();
    }
    fake
}

fn rows_of(fake: &Fake) -> Vec<Vec<Datum>> {
    fake.tables["acct"].rows.iter().flatten().cloned().collect()
}

fn exec(fake: &mut Fake, sql: &str) -> PgResult<executor::ExecResult> {
    let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
    let plan = planner::plan_simple_query_in(&stmts[0], sql, &*fake)?;
    execute_statement(&plan, &[], fake)
}

/// A concurrent transaction updated the row version at `old` to `new_row` and
/// committed after the statement's snapshot was taken: the statement's scan
/// still sees `old`, and updating or deleting it reports the newest version.
fn concurrently_update(fake: &mut Fake, old: Tid, new_row: Vec<Datum>) -> Tid {
    let t = fake.tables.get_mut("acct").unwrap();
    t.rows.push(Some(new_row.clone()));
    let new = tid_of(t.rows.len() - 1);
    fake.invisible.insert(new);
    fake.concurrent.insert(
        old,
        ModifyOutcome::Updated {
            tid: new,
            row: new_row,
        },
    );
    new
}

#[test]
fn concurrent_update_rechecks_where_and_recomputes_set() {
    let mut fake = fake_with(&[(1, 10), (2, 20)]);
    let new = concurrently_update(&mut fake, tid_of(0), vec![Datum::Int4(1), Datum::Int4(100)]);
    let r = exec(
        &mut fake,
        "UPDATE acct SET n = n + 1 WHERE id = 1 RETURNING n",
    )
    .unwrap();
    assert_eq!(r.processed, 1);
    // SET was recomputed from the newest version, not from the one scanned
    assert_eq!(r.rows, vec![vec![Datum::Int4(101)]]);
    assert!(fake.concurrent.is_empty());
    assert!(
        fake.tables["acct"].rows[index_of(new)].is_none(),
        "the retry updated the newest version"
    );
    let rows = rows_of(&fake);
    assert!(
        rows.contains(&vec![Datum::Int4(1), Datum::Int4(101)]),
        "{rows:?}"
    );
    assert!(
        rows.contains(&vec![Datum::Int4(2), Datum::Int4(20)]),
        "{rows:?}"
    );
}

#[test]
fn concurrent_update_that_no_longer_qualifies_is_skipped() {
    let mut fake = fake_with(&[(1, 10)]);
    // the concurrent transaction moved the row out of the WHERE
    let new = concurrently_update(&mut fake, tid_of(0), vec![Datum::Int4(1), Datum::Int4(99)]);
    let r = exec(&mut fake, "UPDATE acct SET n = 0 WHERE n = 10").unwrap();
    assert_eq!(r.processed, 0);
    assert!(
        fake.concurrent.is_empty(),
        "the executor asked exactly once"
    );
    assert_eq!(
        fake.tables["acct"].rows[index_of(new)],
        Some(vec![Datum::Int4(1), Datum::Int4(99)])
    );
}

#[test]
fn concurrently_deleted_rows_are_skipped() {
    let mut fake = fake_with(&[(1, 10), (2, 20)]);
    fake.concurrent.insert(tid_of(0), ModifyOutcome::Gone);
    let r = exec(&mut fake, "UPDATE acct SET n = n * 2 RETURNING id").unwrap();
    assert_eq!((r.processed, r.rows), (1, vec![vec![Datum::Int4(2)]]));
    fake.concurrent.insert(tid_of(0), ModifyOutcome::Gone);
    let r = exec(&mut fake, "DELETE FROM acct WHERE id = 1").unwrap();
    assert_eq!(r.processed, 0);
}

#[test]
fn concurrent_update_then_delete_deletes_the_newest_version() {
    let mut fake = fake_with(&[(1, 10)]);
    let new = concurrently_update(&mut fake, tid_of(0), vec![Datum::Int4(1), Datum::Int4(11)]);
    let r = exec(&mut fake, "DELETE FROM acct WHERE id = 1 RETURNING n").unwrap();
    assert_eq!(
        (r.processed, r.rows),
        (1, vec![vec![Datum::Int4(11)]]),
        "RETURNING shows the version deleted"
    );
    assert!(fake.tables["acct"].rows[index_of(new)].is_none());
    // a concurrent update that leaves the WHERE: nothing is deleted
    let mut fake = fake_with(&[(1, 10)]);
    concurrently_update(&mut fake, tid_of(0), vec![Datum::Int4(2), Datum::Int4(10)]);
    let r = exec(&mut fake, "DELETE FROM acct WHERE id = 1").unwrap();
    assert_eq!(r.processed, 0);
}

#[test]
fn not_null_detail_and_interrupt_checks() {
    let mut fake = fake_with(&[(1, 10)]);
    let e = exec(&mut fake, "UPDATE acct SET n = NULL").unwrap_err();
    assert_eq!(e.code, SqlState::NotNullViolation);
    assert_eq!(
        e.message,
        "null value in column \"n\" of relation \"acct\" violates not-null constraint"
    );
    assert_eq!(e.detail.as_deref(), Some("Failing row contains (1, null)."));
    let long = "x".repeat(70);
    run(&mut fake, "CREATE TABLE wide (a text, b int NOT NULL)").unwrap();
    let e = exec(&mut fake, &format!("INSERT INTO wide VALUES ('{long}')")).unwrap_err();
    assert_eq!(
        e.detail,
        Some(format!(
            "Failing row contains ({}..., null).",
            "x".repeat(64)
        ))
    );
    let before = fake.interrupts_checked;
    exec(&mut fake, "SELECT * FROM acct").unwrap();
    assert!(
        fake.interrupts_checked > before + 1,
        "the scan loop checks for interrupts"
    );
}

#[test]
fn without_storage_tables_are_feature_not_supported() {
    // the default ExecContext methods: a session that has no tables
    struct NoTables;
    impl ExecContext for NoTables {
        fn check_for_interrupts(&mut self) -> PgResult<()> {
            Ok(())
        }
        fn current_user(&self) -> &str {
            "u"
        }
        fn session_user(&self) -> &str {
            "u"
        }
        fn database(&self) -> &str {
            "d"
        }
        fn backend_pid(&self) -> i32 {
            1
        }
        fn transaction_timestamp(&self) -> i64 {
            0
        }
        fn statement_timestamp(&self) -> i64 {
            0
        }
        fn postmaster_start_time(&self) -> i64 {
            0
        }
        fn setting(&self, _: &str) -> PgResult<String> {
            Ok(String::new())
        }
        fn time_zone(&self) -> String {
            "UTC".into()
        }
        fn extra_float_digits(&self) -> i32 {
            1
        }
        fn date_style(&self) -> String {
            "ISO, MDY".into()
        }
        fn interval_style(&self) -> String {
            "postgres".into()
        }
        fn signal_backend(&mut self, _: i32, _: bool) -> PgResult<bool> {
            Ok(false)
        }
        fn warning(&mut self, _: String) {}
    }
    let fake = fake_with(&[]);
    let sql = "SELECT * FROM acct";
    let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
    let plan = planner::plan_simple_query_in(&stmts[0], sql, &fake).unwrap();
    let e = execute_statement(&plan, &[], &mut NoTables).unwrap_err();
    assert_eq!(e.code, SqlState::FeatureNotSupported);
}

#[test]
fn row_locks_are_taken_between_sort_and_limit() {
    let mut fake = fake_with(&[(3, 30), (1, 10), (4, 40), (2, 20)]);
    // id 1 is tid 1, id 2 is tid 3; another transaction holds id 1.
    fake.held_by_others.insert(tid_of(1));
    let r = exec(
        &mut fake,
        "SELECT id FROM acct ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .unwrap();
    assert_eq!(r.rows, vec![vec![Datum::Int4(2)]]);
    assert_eq!(fake.locked, vec![tid_of(3)], "LIMIT 1 locks one row");
    assert_eq!(
        exec(&mut fake, "SELECT id FROM acct FOR SHARE NOWAIT")
            .unwrap_err()
            .code,
        SqlState::LockNotAvailable
    );
    // Rows OFFSET skips are locked too (PostgreSQL's LockRows is below Limit).
    fake.held_by_others.clear();
    fake.locked.clear();
    let r = exec(
        &mut fake,
        "SELECT id FROM acct ORDER BY id OFFSET 1 LIMIT 2 FOR UPDATE",
    )
    .unwrap();
    assert_eq!(r.rows, vec![vec![Datum::Int4(2)], vec![Datum::Int4(3)]]);
    assert_eq!(fake.locked, vec![tid_of(1), tid_of(3), tid_of(0)]);
}

#[test]
fn row_lock_of_a_concurrently_updated_row_rechecks_where() {
    let mut fake = fake_with(&[(1, 10), (2, 20)]);
    let t = fake.tables.get_mut("acct").unwrap();
    t.rows.push(Some(vec![Datum::Int4(1), Datum::Int4(15)]));
    t.rows.push(Some(vec![Datum::Int4(2), Datum::Int4(5)]));
    let (new1, new2) = (tid_of(2), tid_of(3));
    fake.invisible.extend([new1, new2]);
    fake.concurrent_lock.insert(
        tid_of(0),
        LockRowOutcome::Updated {
            tid: new1,
            row: vec![Datum::Int4(1), Datum::Int4(15)],
        },
    );
    fake.concurrent_lock.insert(
        tid_of(1),
        LockRowOutcome::Updated {
            tid: new2,
            row: vec![Datum::Int4(2), Datum::Int4(5)],
        },
    );
    let r = exec(
        &mut fake,
        "SELECT id, n FROM acct WHERE n > 7 ORDER BY id FOR UPDATE",
    )
    .unwrap();
    // id 1 still qualifies and is returned as it is now; id 2 no longer does.
    assert_eq!(r.rows, vec![vec![Datum::Int4(1), Datum::Int4(15)]]);
    assert_eq!(
        fake.locked,
        vec![new1],
        "the newest version is the one locked"
    );
    // A concurrently deleted row is left out.
    fake.concurrent_lock.insert(tid_of(0), LockRowOutcome::Gone);
    let r = exec(&mut fake, "SELECT n FROM acct WHERE id = 1 FOR SHARE").unwrap();
    assert!(r.rows.is_empty());
}
