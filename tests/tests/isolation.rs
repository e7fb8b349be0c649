//! Isolation anomalies between sessions: Martin Kleppmann's Hermitage test set
//! (<https://github.com/ept/hermitage>, `postgres.md`) run over the wire, one cluster per
//! test. Every expectation is PostgreSQL 15's: which statement blocks, which rows each
//! SELECT returns, which statement fails with 40001 (these tests also pass with
//! `OXIPG_TEST_AGAINST_PG15=1`).
//!
//! The scenarios live in `tests/isolation/*.spec`, one file per anomaly, one
//! `permutation` per isolation level, in a small line language (like PostgreSQL's
//! `src/test/isolation/specs`, but with the expected outcome written beside each step):
//!
//! ```text
//! # comment
//! setup create table {test} (id int, value int)      -- run before the sessions start
//! permutation read_committed                          -- one #[test] below per permutation
//! T1 begin; set transaction isolation level read committed  -- session T1 runs SQL
//! T2 update {test} set value = 12 where id = 1  => blocks
//! T1 commit
//! T2 await                                      => affected 1
//! T1 select * from {test}                       => (1,11) (2,21)
//! ```
//!
//! `{test}` is the table of the permutation, `<spec>_<permutation>`. A step's outcome
//! after `=>` is one of:
//!
//! - nothing or `ok`: the statement succeeds without waiting;
//! - `blocks`: the statement is still running after [`BLOCK_PROBE`]; the session's next
//!   step must be `await`, which gives the outcome once the blocker has finished;
//! - `(1,10) (2,20)` or `empty`: the rows returned, compared in sorted order (Hermitage
//!   tests what a transaction sees, not the order of a heap scan);
//! - `affected N`: the row count of INSERT, UPDATE or DELETE;
//! - `error 40001`: the statement fails with that SQLSTATE.
//!
//! A step not marked `blocks` that does not finish within [`STEP_TIMEOUT`] fails the test
//! as "blocked", a blocked one that finishes early fails it as "did not block".

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tests::{Cluster, sqlstate, within};
use tokio::task::JoinHandle;
use tokio_postgres::{Client, SimpleQueryMessage};

/// How long a statement expected to block must still be running.
const BLOCK_PROBE: Duration = Duration::from_millis(300);

/// How long a statement expected to finish (or an awaited one) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(3);

/// What a step is expected to do.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok,
    Blocks,
    Rows(Vec<String>),
    Affected(u64),
    Error(String),
}

/// One line of a permutation: a session and its statement (or `await`).
#[derive(Debug, Clone)]
struct Step {
    line: usize,
    session: String,
    sql: String,
    outcome: Outcome,
}

#[derive(Debug)]
struct Spec {
    setup: Vec<String>,
    permutations: BTreeMap<String, Vec<Step>>,
}

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("isolation")
}

fn parse_outcome(text: &str, where_: &str) -> Outcome {
    let text = text.trim();
    match text {
        "" | "ok" => Outcome::Ok,
        "blocks" => Outcome::Blocks,
        "empty" => Outcome::Rows(Vec::new()),
        _ if text.starts_with('(') => {
            let mut rows: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
            rows.sort();
            Outcome::Rows(rows)
        }
        _ => {
            if let Some(n) = text.strip_prefix("affected ") {
                Outcome::Affected(
                    n.trim()
                        .parse()
                        .unwrap_or_else(|_| panic!("{where_}: bad count {n:?}")),
                )
            } else if let Some(code) = text.strip_prefix("error ") {
                Outcome::Error(code.trim().to_owned())
            } else {
                panic!("{where_}: unknown outcome {text:?}")
            }
        }
    }
}

fn parse_spec(name: &str) -> Spec {
    let path = spec_dir().join(format!("{name}.spec"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut spec = Spec {
        setup: Vec::new(),
        permutations: BTreeMap::new(),
    };
    let mut current: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let where_ = format!("{name}.spec:{}", i + 1);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (head, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        match head {
            "setup" => spec.setup.push(rest.trim().to_owned()),
            "permutation" => {
                let p = rest.trim().to_owned();
                assert!(
                    spec.permutations.insert(p.clone(), Vec::new()).is_none(),
                    "{where_}: permutation {p} twice"
                );
                current = Some(p);
            }
            session => {
                let p = current
                    .as_ref()
                    .unwrap_or_else(|| panic!("{where_}: step before any permutation"));
                let (sql, outcome) = match rest.split_once("=>") {
                    Some((sql, outcome)) => (sql, parse_outcome(outcome, &where_)),
                    None => (rest, Outcome::Ok),
                };
                let step = Step {
                    line: i + 1,
                    session: session.to_owned(),
                    sql: sql.trim().to_owned(),
                    outcome,
                };
                spec.permutations
                    .get_mut(p)
                    .expect("current permutation")
                    .push(step);
            }
        }
    }
    spec
}

/// What a statement did: its rows (`(a,b)` each, sorted), its row count, or its SQLSTATE.
#[derive(Debug)]
enum StepResult {
    Done {
        rows: Vec<String>,
        affected: Option<u64>,
        selected: bool,
    },
    Failed(String, String),
}

async fn run_statement(client: Arc<Client>, sql: String) -> StepResult {
    match client.simple_query(&sql).await {
        Ok(msgs) => {
            let mut rows = Vec::new();
            let mut affected = None;
            let mut selected = false;
            for m in msgs {
                match m {
                    SimpleQueryMessage::Row(r) => {
                        let cols: Vec<&str> =
                            (0..r.len()).map(|i| r.get(i).unwrap_or("null")).collect();
                        rows.push(format!("({})", cols.join(",")));
                    }
                    SimpleQueryMessage::RowDescription(_) => selected = true,
                    SimpleQueryMessage::CommandComplete(n) => affected = Some(n),
                    _ => {}
                }
            }
            rows.sort();
            StepResult::Done {
                rows,
                affected,
                selected,
            }
        }
        Err(e) => StepResult::Failed(
            sqlstate(&e).unwrap_or("?").to_owned(),
            e.as_db_error()
                .map(|d| d.message().to_owned())
                .unwrap_or_else(|| e.to_string()),
        ),
    }
}

fn check(where_: &str, expected: &Outcome, got: &StepResult) {
    let ok = match (expected, got) {
        (Outcome::Ok, StepResult::Done { .. }) => true,
        (Outcome::Rows(want), StepResult::Done { rows, selected, .. }) => *selected && rows == want,
        (
            Outcome::Affected(n),
            StepResult::Done {
                affected,
                selected: false,
                ..
            },
        ) => *affected == Some(*n),
        (Outcome::Error(code), StepResult::Failed(got, _)) => code == got,
        _ => false,
    };
    assert!(
        ok,
        "{where_}: expected {}, got {}",
        describe(expected),
        describe_result(got)
    );
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Ok => "success".into(),
        Outcome::Blocks => "to block".into(),
        Outcome::Rows(r) if r.is_empty() => "no rows".into(),
        Outcome::Rows(r) => format!("rows {}", r.join(" ")),
        Outcome::Affected(n) => format!("{n} rows affected"),
        Outcome::Error(c) => format!("error {c}"),
    }
}

fn describe_result(r: &StepResult) -> String {
    match r {
        StepResult::Done {
            selected: true,
            rows,
            ..
        } if rows.is_empty() => "no rows".into(),
        StepResult::Done {
            selected: true,
            rows,
            ..
        } => format!("rows {}", rows.join(" ")),
        StepResult::Done {
            affected: Some(n), ..
        } => format!("success ({n} rows affected)"),
        StepResult::Done { .. } => "success".into(),
        StepResult::Failed(code, msg) => format!("error {code} ({msg})"),
    }
}

/// Runs one permutation of `tests/isolation/<spec>.spec` on a fresh cluster.
async fn run(spec_name: &str, permutation: &str) {
    let spec = parse_spec(spec_name);
    let steps = spec
        .permutations
        .get(permutation)
        .unwrap_or_else(|| panic!("{spec_name}.spec has no permutation {permutation}"));
    let table = format!("{spec_name}_{permutation}");
    let subst = |sql: &str| sql.replace("{test}", &table);

    let cluster = Cluster::start();
    let setup = cluster.connect().await;
    for sql in &spec.setup {
        let sql = subst(sql);
        within(10, &sql, setup.batch_execute(&sql))
            .await
            .unwrap_or_else(|e| panic!("setup {sql}: {e}"));
    }

    let mut sessions: BTreeMap<String, Arc<Client>> = BTreeMap::new();
    let mut pending: BTreeMap<String, (Step, JoinHandle<StepResult>)> = BTreeMap::new();
    for step in steps {
        let where_ = format!(
            "{spec_name}.spec:{} [{permutation}] {} {}",
            step.line, step.session, step.sql
        );
        if step.sql == "await" {
            let (blocked, handle) = pending
                .remove(&step.session)
                .unwrap_or_else(|| panic!("{where_}: nothing is blocked in {}", step.session));
            let got = match tokio::time::timeout(STEP_TIMEOUT, handle).await {
                Ok(r) => r.expect("statement task"),
                Err(_) => panic!(
                    "{where_}: `{}` (line {}) still blocked after {STEP_TIMEOUT:?}",
                    blocked.sql, blocked.line
                ),
            };
            check(&where_, &step.outcome, &got);
            continue;
        }
        assert!(
            !pending.contains_key(&step.session),
            "{where_}: the session is blocked: await it first"
        );
        if !sessions.contains_key(&step.session) {
            sessions.insert(step.session.clone(), Arc::new(cluster.connect().await));
        }
        let client = Arc::clone(&sessions[&step.session]);
        let handle = tokio::spawn(run_statement(client, subst(&step.sql)));
        if step.outcome == Outcome::Blocks {
            tokio::time::sleep(BLOCK_PROBE).await;
            if handle.is_finished() {
                let got = handle.await.expect("statement task");
                panic!(
                    "{where_}: expected to block, but it did not: {}",
                    describe_result(&got)
                );
            }
            pending.insert(step.session.clone(), (step.clone(), handle));
        } else {
            let got = match tokio::time::timeout(STEP_TIMEOUT, handle).await {
                Ok(r) => r.expect("statement task"),
                Err(_) => panic!(
                    "{where_}: expected {}, but it blocked",
                    describe(&step.outcome)
                ),
            };
            check(&where_, &step.outcome, &got);
        }
    }
    assert!(
        pending.is_empty(),
        "{spec_name} [{permutation}]: never awaited: {:?}",
        pending.keys()
    );
}

/// One `#[tokio::test]` per permutation: `name => "spec", "permutation"`.
macro_rules! permutation {
    ($(#[$attr:meta])* $name:ident => $spec:literal, $perm:literal) => {
        $(#[$attr])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            run($spec, $perm).await
        }
    };
}

/// Every permutation of every spec file has its test function here (named
/// `<spec>_<permutation>`), so that none is silently skipped.
#[test]
fn every_permutation_has_a_test() {
    let source = include_str!("isolation.rs");
    let mut missing = Vec::new();
    let mut specs: Vec<_> = std::fs::read_dir(spec_dir())
        .expect("tests/isolation")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".spec")
                .map(str::to_owned)
        })
        .collect();
    specs.sort();
    assert!(!specs.is_empty());
    for name in specs {
        for p in parse_spec(&name).permutations.keys() {
            let declared = format!("{name}_{p} => \"{name}\", \"{p}\"");
            if !source.contains(&declared) {
                missing.push(format!("{name}_{p}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "permutations without a test: {missing:?}"
    );
}

permutation!(g0_read_committed => "g0", "read_committed");
permutation!(g0_repeatable_read => "g0", "repeatable_read");
permutation!(g0_serializable => "g0", "serializable");

permutation!(g1a_read_committed => "g1a", "read_committed");
permutation!(g1a_repeatable_read => "g1a", "repeatable_read");
permutation!(g1a_serializable => "g1a", "serializable");

permutation!(g1b_read_committed => "g1b", "read_committed");
permutation!(g1b_repeatable_read => "g1b", "repeatable_read");
permutation!(g1b_serializable => "g1b", "serializable");

permutation!(g1c_read_committed => "g1c", "read_committed");
permutation!(g1c_repeatable_read => "g1c", "repeatable_read");
permutation!(g1c_serializable => "g1c", "serializable");

permutation!(otv_read_committed => "otv", "read_committed");
permutation!(otv_repeatable_read => "otv", "repeatable_read");
permutation!(otv_serializable => "otv", "serializable");

permutation!(pmp_read_committed => "pmp", "read_committed");
permutation!(pmp_repeatable_read => "pmp", "repeatable_read");
permutation!(pmp_serializable => "pmp", "serializable");

permutation!(pmp_write_read_committed => "pmp_write", "read_committed");
permutation!(pmp_write_repeatable_read => "pmp_write", "repeatable_read");
permutation!(pmp_write_serializable => "pmp_write", "serializable");

permutation!(p4_read_committed => "p4", "read_committed");
permutation!(p4_repeatable_read => "p4", "repeatable_read");
permutation!(p4_serializable => "p4", "serializable");

permutation!(g_single_read_committed => "g_single", "read_committed");
permutation!(g_single_repeatable_read => "g_single", "repeatable_read");
permutation!(g_single_serializable => "g_single", "serializable");

permutation!(g_single_dependencies_read_committed => "g_single_dependencies", "read_committed");
permutation!(g_single_dependencies_repeatable_read => "g_single_dependencies", "repeatable_read");
permutation!(g_single_dependencies_serializable => "g_single_dependencies", "serializable");

permutation!(g_single_write_read_committed => "g_single_write", "read_committed");
permutation!(g_single_write_repeatable_read => "g_single_write", "repeatable_read");
permutation!(g_single_write_serializable => "g_single_write", "serializable");

permutation!(g2_item_read_committed => "g2_item", "read_committed");
permutation!(g2_item_repeatable_read => "g2_item", "repeatable_read");
permutation!(g2_item_serializable => "g2_item", "serializable");

permutation!(g2_read_committed => "g2", "read_committed");
permutation!(g2_repeatable_read => "g2", "repeatable_read");
permutation!(g2_serializable => "g2", "serializable");

permutation!(g2_two_edges_read_committed => "g2_two_edges", "read_committed");
permutation!(g2_two_edges_repeatable_read => "g2_two_edges", "repeatable_read");
permutation!(g2_two_edges_serializable => "g2_two_edges", "serializable");

permutation!(blocker_aborts_read_committed => "blocker_aborts", "read_committed");
permutation!(blocker_aborts_repeatable_read => "blocker_aborts", "repeatable_read");
permutation!(blocker_aborts_serializable => "blocker_aborts", "serializable");

permutation!(deadlock_read_committed => "deadlock", "read_committed");
permutation!(deadlock_repeatable_read => "deadlock", "repeatable_read");
permutation!(deadlock_serializable => "deadlock", "serializable");
