//! SQL behaviour as sqllogictest files: every `tests/slt/**/*.slt` file runs against our
//! server (test `oxipg`) and against PostgreSQL 15 (test `postgresql15`), one fresh cluster
//! of each per file. An expectation is PostgreSQL's behaviour: a failure in the
//! `postgresql15` lane means the file is wrong, a failure in the `oxipg` lane means we are.
//!
//! Running:
//! - `cargo build -p postmaster -p backend && cargo test -p tests --test slt`, or
//!   `cargo xtask slt`.
//! - `SLT_FILES=session` runs only the files whose path contains `session`.
//! - `SLT_COMPLETE=1` (or `cargo xtask slt --complete`) rewrites the expectations of the
//!   files from PostgreSQL 15's output (never from ours), then checks them against it again;
//!   the `oxipg` lane does nothing in that mode. Write the SQL with any expectation
//!   (`statement ok`, `query T` and an empty result), complete, and review the diff.
//!
//! The driver is tokio-postgres over the simple-query protocol, so a record behaves as it
//! would typed into psql, multi-statement strings included:
//! - values are the server's text output; NULL is printed `NULL`, the empty string
//!   `(empty)`, booleans `t`/`f`; columns are separated by one space and runs of spaces
//!   in a line do not matter when comparing (the crate's default normaliser).
//! - a record's column types are `I` (int2, int4, int8, oid), `R` (numeric, float4,
//!   float8) or `T` (anything else). The simple-query protocol does not report them to
//!   tokio-postgres, so after a single statement returned rows the same text is described
//!   once more (Parse/Describe, no execution) on the same connection; if that fails where
//!   the statement ran, the record fails. Several statements in one record returning rows
//!   give unknown types (`?`), which match any letters.
//! - `statement error <regex>` and `query error <regex>` match the primary message of the
//!   error (`division by zero`, no severity, no DETAIL); `statement error (22012)` matches
//!   the SQLSTATE instead, and the completion mode keeps that form (with PostgreSQL's
//!   SQLSTATE). A regex that still matches is kept by the completion; a new one is the
//!   escaped message.
//! - `connection <name>` opens another session; `onlyif postgres` / `skipif oxipg` select
//!   an engine. A statement gets 10 s; a connection the server closed is reopened for the
//!   next record, so one crash does not hide the rest of the file.
//!
//! What it must never do: take an expectation from our server, or link the server crates.

use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use sqllogictest::{
    AsyncDB, DBOutput, DefaultColumnType, ExpectedError, QueryExpect, Record, RecordOutput, Runner,
    StatementExpect,
};
use tests::Cluster;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// Set to `1` to rewrite the expectations of the files from PostgreSQL 15.
const COMPLETE_ENV: &str = "SLT_COMPLETE";

/// A substring: only the files whose path contains it run.
const FILTER_ENV: &str = "SLT_FILES";

/// How long one record may take before it fails (and its connection is dropped).
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which server a lane runs against; also the engine name for `onlyif` / `skipif`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Ours,
    Postgres,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Ours => "oxipg",
            Engine::Postgres => "postgres",
        }
    }

    fn start(self) -> Cluster {
        match self {
            // `Cluster::start` honours OXIPG_TEST_AGAINST_PG15 like the rest of the suite.
            Engine::Ours => Cluster::start(),
            Engine::Postgres => Cluster::reference(),
        }
    }
}

/// An error as the files see it: PostgreSQL's primary message, and its SQLSTATE.
#[derive(Debug)]
struct SltError {
    message: String,
    sqlstate: Option<String>,
}

impl SltError {
    fn client(message: String) -> SltError {
        SltError {
            message,
            sqlstate: None,
        }
    }
}

impl fmt::Display for SltError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SltError {}

impl From<tokio_postgres::Error> for SltError {
    fn from(e: tokio_postgres::Error) -> SltError {
        match e.as_db_error() {
            Some(db) => SltError {
                message: db.message().to_owned(),
                sqlstate: Some(db.code().code().to_owned()),
            },
            // No ErrorResponse: the connection broke, or the driver refused something.
            None => SltError::client(format!("client error: {e}")),
        }
    }
}

/// One session: a tokio-postgres client, reopened when the server closed it.
struct Session {
    conninfo: String,
    client: Option<Client>,
    engine: Engine,
}

impl Session {
    async fn open(conninfo: String, engine: Engine) -> Result<Session, SltError> {
        let mut session = Session {
            conninfo,
            client: None,
            engine,
        };
        session.client().await?;
        Ok(session)
    }

    async fn client(&mut self) -> Result<&Client, SltError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            let connect = tokio_postgres::connect(&self.conninfo, NoTls);
            let (client, connection) = tokio::time::timeout(STATEMENT_TIMEOUT, connect)
                .await
                .map_err(|_| SltError::client("connect timed out".into()))?
                .map_err(|e| SltError::client(format!("connect failed: {e}")))?;
            tokio::spawn(connection);
            self.client = Some(client);
        }
        self.client
            .as_ref()
            .ok_or_else(|| SltError::client("no connection".into()))
    }

    /// The result types of `sql` (one statement that returned rows), by a Parse/Describe.
    async fn describe(
        client: &Client,
        sql: &str,
        columns: usize,
    ) -> Result<Vec<DefaultColumnType>, SltError> {
        let statement = tokio::time::timeout(STATEMENT_TIMEOUT, client.prepare(sql))
            .await
            .map_err(|_| SltError::client("describe timed out".into()))?
            .map_err(|e| {
                let e = SltError::from(e);
                SltError {
                    message: format!(
                        "the statement ran, but describing its result columns failed: {}",
                        e.message
                    ),
                    sqlstate: e.sqlstate,
                }
            })?;
        let types: Vec<DefaultColumnType> = statement
            .columns()
            .iter()
            .map(|c| column_type(c.type_()))
            .collect();
        if types.len() != columns {
            return Err(SltError::client(format!(
                "the statement returned {columns} columns, but Describe reports {}",
                types.len()
            )));
        }
        Ok(types)
    }
}

/// The sqllogictest letter of a PostgreSQL type.
fn column_type(ty: &Type) -> DefaultColumnType {
    match *ty {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => DefaultColumnType::Integer,
        Type::NUMERIC | Type::FLOAT4 | Type::FLOAT8 => DefaultColumnType::FloatingPoint,
        _ => DefaultColumnType::Text,
    }
}

#[async_trait]
impl AsyncDB for Session {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let client = self.client().await?;
        let messages = match tokio::time::timeout(STATEMENT_TIMEOUT, client.simple_query(sql)).await
        {
            Ok(Ok(messages)) => messages,
            Ok(Err(e)) => {
                // FATAL (or no ErrorResponse at all): the server is closing this session,
                // and the driver may not have seen the end of the stream yet.
                if e.as_db_error().is_none_or(|db| db.severity() != "ERROR") {
                    self.client = None;
                }
                return Err(e.into());
            }
            Err(_) => {
                // The session is in an unknown state: start the next record on a new one.
                self.client = None;
                return Err(SltError::client(format!(
                    "no answer within {} s",
                    STATEMENT_TIMEOUT.as_secs()
                )));
            }
        };
        let mut columns = None;
        let mut row_descriptions = 0;
        let mut completions = 0;
        let mut count = 0;
        let mut rows = Vec::new();
        for message in &messages {
            match message {
                SimpleQueryMessage::RowDescription(cols) => {
                    columns = Some(cols.len());
                    row_descriptions += 1;
                }
                SimpleQueryMessage::Row(row) => rows.push(
                    (0..row.len())
                        .map(|i| match row.get(i) {
                            None => "NULL".to_owned(),
                            Some("") => "(empty)".to_owned(),
                            Some(v) => v.to_owned(),
                        })
                        .collect(),
                ),
                SimpleQueryMessage::CommandComplete(n) => {
                    completions += 1;
                    count = *n;
                }
                _ => {}
            }
        }
        let Some(columns) = columns else {
            return Ok(DBOutput::StatementComplete(count));
        };
        let types = if row_descriptions == 1 && completions == 1 {
            let described = Session::describe(client, sql, columns).await;
            if described.is_err() && client.is_closed() {
                self.client = None;
            }
            described?
        } else {
            // Several statements (of possibly different widths): the text cannot be
            // described as one, and the column types are not checked.
            vec![DefaultColumnType::Any; columns]
        };
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {
        self.client = None;
    }

    fn engine_name(&self) -> &str {
        self.engine.name()
    }

    async fn sleep(dur: Duration) {
        tokio::time::sleep(dur).await;
    }

    fn error_sql_state(err: &SltError) -> Option<String> {
        err.sqlstate.clone()
    }
}

/// Column types agree when the counts agree and each pair is equal or unknown (`?`); an
/// output whose types are all unknown (several statements) matches any expectation.
#[allow(clippy::ptr_arg)] // the crate's validator signature
fn types_match(actual: &Vec<DefaultColumnType>, expected: &Vec<DefaultColumnType>) -> bool {
    let unknown = |t: &DefaultColumnType| *t == DefaultColumnType::Any;
    (!actual.is_empty() && actual.iter().all(unknown))
        || (actual.len() == expected.len()
            && actual
                .iter()
                .zip(expected)
                .all(|(a, e)| a == e || unknown(a) || unknown(e)))
}

type SltRunner = Runner<
    Session,
    Box<dyn FnMut() -> futures::future::BoxFuture<'static, Result<Session, SltError>> + Send>,
>;

fn runner(cluster: &Cluster, engine: Engine) -> SltRunner {
    let conninfo = cluster.conninfo();
    let mut runner: SltRunner = Runner::new(Box::new(move || {
        let conninfo = conninfo.clone();
        Box::pin(Session::open(conninfo, engine))
    }));
    runner.with_column_validator(types_match);
    runner
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Every `.slt` file under `tests/slt`, sorted, as (absolute path, path from the workspace
/// root); only those matching `SLT_FILES` when it is set.
fn slt_files() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "slt") {
                out.push(path);
            }
        }
    }
    let root = workspace_root();
    let mut paths = Vec::new();
    walk(&root.join("tests/slt"), &mut paths);
    paths.sort();
    let filter = std::env::var(FILTER_ENV).unwrap_or_default();
    let files: Vec<(PathBuf, String)> = paths
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
            (p, name)
        })
        .filter(|(_, name)| name.contains(&filter))
        .collect();
    assert!(
        !files.is_empty(),
        "no .slt file under tests/slt matches {FILTER_ENV}={filter:?}"
    );
    files
}

fn parse(path: &Path, name: &str) -> Result<Vec<Record<DefaultColumnType>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let records = sqllogictest::parse_with_name(&text, name)
        .map_err(|e| format!("{name}: parse error: {e}"))?;
    if let Some(loc) = records.iter().find_map(|r| match r {
        Record::Include { loc, .. } => Some(loc),
        _ => None,
    }) {
        return Err(format!(
            "{loc}: include is not supported: one file, one cluster"
        ));
    }
    Ok(records)
}

/// Runs one file on a fresh cluster; every failing record, with its file:line.
async fn check_file(engine: Engine, path: &Path, name: &str) -> (usize, Vec<String>) {
    let records = match parse(path, name) {
        Ok(records) => records,
        Err(e) => return (0, vec![e]),
    };
    let cluster = engine.start();
    let mut runner = runner(&cluster, engine);
    let mut failures = Vec::new();
    let mut ran = 0;
    for record in records {
        match record {
            Record::Halt { .. } => break,
            Record::Statement { .. } | Record::Query { .. } => ran += 1,
            _ => {}
        }
        if let Err(e) = runner.run_async(record).await {
            failures.push(e.display(false).to_string());
        }
    }
    runner.shutdown_async().await;
    (ran, failures)
}

/// The expected SQLSTATE of a record written `statement error (XXXXX)` / `query error (XXXXX)`.
fn expected_sqlstate(record: &Record<DefaultColumnType>) -> Option<&str> {
    match record {
        Record::Statement {
            expected: StatementExpect::Error(ExpectedError::SqlState(s)),
            ..
        }
        | Record::Query {
            expected: QueryExpect::Error(ExpectedError::SqlState(s)),
            ..
        } => Some(s),
        _ => None,
    }
}

/// The record expecting an error with `sqlstate` instead of the one it expects.
fn with_sqlstate(
    mut record: Record<DefaultColumnType>,
    sqlstate: String,
) -> Record<DefaultColumnType> {
    match &mut record {
        Record::Statement {
            expected: StatementExpect::Error(e),
            ..
        }
        | Record::Query {
            expected: QueryExpect::Error(e),
            ..
        } => *e = ExpectedError::SqlState(sqlstate),
        _ => {}
    }
    record
}

fn actual_sqlstate(output: &RecordOutput<DefaultColumnType>) -> Option<String> {
    let error = match output {
        RecordOutput::Statement { error: Some(e), .. }
        | RecordOutput::Query { error: Some(e), .. } => e,
        _ => return None,
    };
    error.downcast_ref::<SltError>()?.sqlstate.clone()
}

/// Rewrites the expectations of one file from a fresh PostgreSQL 15 cluster.
///
/// The crate's `update_test_file` would turn an `error (SQLSTATE)` into a message regex
/// (it checks errors without their SQLSTATE); this loop keeps it (with PostgreSQL's
/// SQLSTATE when the statement still fails), and otherwise applies the crate's own rule (`update_record_with_output`): a record whose expectation
/// still holds is written unchanged, else its output replaces it.
async fn complete_file(path: &Path, name: &str) -> Result<(), String> {
    let records = parse(path, name)?;
    let cluster = Engine::Postgres.start();
    let mut runner = runner(&cluster, Engine::Postgres);
    let mut out = String::new();
    let mut halted = false;
    for record in records {
        halted |= matches!(record, Record::Halt { .. });
        let updated = if halted {
            record
        } else {
            let output = runner.apply_record(record.clone()).await;
            match (expected_sqlstate(&record), actual_sqlstate(&output)) {
                (Some(expected), Some(actual)) if expected == actual => record,
                (Some(_), Some(actual)) => with_sqlstate(record, actual),
                _ => sqllogictest::update_record_with_output(
                    &record,
                    &output,
                    " ",
                    sqllogictest::default_validator,
                    sqllogictest::default_normalizer,
                    types_match,
                )
                .unwrap_or(record),
            }
        };
        writeln!(out, "{updated}").map_err(|e| e.to_string())?;
    }
    runner.shutdown_async().await;
    let out = format!("{}\n", out.trim_end_matches('\n'));
    let tmp = path.with_extension("slt.tmp");
    std::fs::write(&tmp, out).map_err(|e| format!("write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("rename to {}: {e}", path.display()))?;
    eprintln!("{name}: completed from PostgreSQL 15");
    Ok(())
}

fn completing() -> bool {
    std::env::var(COMPLETE_ENV).is_ok_and(|v| v == "1" || v == "true")
}

/// Runs every file on `engine` and fails with every failing record of every file.
async fn check_all(engine: Engine) {
    let mut report = String::new();
    let mut failed = 0;
    for (path, name) in slt_files() {
        let (ran, failures) = check_file(engine, &path, &name).await;
        eprintln!(
            "{name} on {}: {} of {ran} records passed",
            engine.name(),
            ran.saturating_sub(failures.len())
        );
        failed += failures.len();
        for f in failures {
            let _ = writeln!(report, "--- {}\n{}", engine.name(), f.trim_end());
        }
    }
    assert!(
        failed == 0,
        "{failed} sqllogictest records failed on {}:\n{report}",
        engine.name()
    );
}

/// The files against PostgreSQL 15: every expectation must hold there. With `SLT_COMPLETE=1`
/// the expectations are first rewritten from its output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql15() {
    if !tests::pg15_available() {
        assert!(
            !completing(),
            "{COMPLETE_ENV}=1 needs PostgreSQL 15 in {}",
            tests::PG15_BIN
        );
        eprintln!(
            "skipped: PostgreSQL 15 is not installed in {}",
            tests::PG15_BIN
        );
        return;
    }
    if completing() {
        let mut errors = Vec::new();
        for (path, name) in slt_files() {
            if let Err(e) = complete_file(&path, &name).await {
                errors.push(e);
            }
        }
        assert!(
            errors.is_empty(),
            "completion failed:\n{}",
            errors.join("\n")
        );
    }
    check_all(Engine::Postgres).await;
}

/// The files against our server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oxipg() {
    if completing() {
        eprintln!("skipped: {COMPLETE_ENV}=1 rewrites the files from PostgreSQL 15 only");
        return;
    }
    check_all(Engine::Ours).await;
}

#[test]
fn type_letters() {
    assert_eq!(column_type(&Type::INT8), DefaultColumnType::Integer);
    assert_eq!(
        column_type(&Type::NUMERIC),
        DefaultColumnType::FloatingPoint
    );
    assert_eq!(column_type(&Type::BOOL), DefaultColumnType::Text);
    let t = vec![DefaultColumnType::Text, DefaultColumnType::Integer];
    assert!(types_match(&t, &t));
    assert!(types_match(
        &vec![DefaultColumnType::Any, DefaultColumnType::Integer],
        &t
    ));
    assert!(!types_match(&vec![DefaultColumnType::Text], &t));
    assert!(!types_match(
        &vec![DefaultColumnType::Integer, DefaultColumnType::Integer],
        &t
    ));
    assert!(types_match(&vec![DefaultColumnType::Any], &t));
}
