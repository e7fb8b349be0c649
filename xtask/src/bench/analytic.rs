//! Analytic work over pgbench's tables, and a bulk `INSERT ... SELECT`.
//!
//! ```text
//!   workload              measured
//!   analytic_count        SELECT count(*) FROM pgbench_accounts, ms per query
//!   analytic_group_by     GROUP BY bid with count and sum, ms per query
//!   analytic_join_agg     tellers joined to every 100th account, GROUP BY teller, ms
//!   analytic_top_n        the first 10 accounts by a computed key (no index), ms
//!   analytic_self_join    each account joined to the next one by aid, ms
//!   insert_select         INSERT ... SELECT FROM generate_series, rows per second
//! ```
//!
//! The queries read only `aid` and `bid`, which the pgbench workloads that run before
//! them leave alone, so both servers must return the same rows: every run's output is
//! compared with the first one seen on either server, and a difference fails the
//! workload instead of timing a wrong answer. The tables are the ones the pgbench
//! workloads use, at [`Plan::pgbench_scale`](super::Plan), with their primary keys.

use std::sync::Mutex;

use serde_json::json;

use super::Env;
use super::tables::{ensure_pgbench_tables, median, psql_script, timings_ms};
use super::workloads::{Better, Sample, Target, Workload};

/// One analytic query, run [`Plan::query_reps`](super::Plan) times in one session.
pub struct Analytic {
    name: &'static str,
    what: &'static str,
    sql: &'static str,
    /// The output of the first run on either server, which every run must repeat.
    first: Mutex<Option<String>>,
}

/// The analytic queries, in the order they run.
pub fn analytic_workloads() -> Vec<Analytic> {
    let query = |name, what, sql| Analytic {
        name,
        what,
        sql,
        first: Mutex::new(None),
    };
    vec![
        query(
            "analytic_count",
            "count of all accounts",
            "SELECT count(*) FROM pgbench_accounts",
        ),
        query(
            "analytic_group_by",
            "accounts grouped by branch, with count and sum",
            "SELECT bid, count(*), sum(aid) FROM pgbench_accounts GROUP BY bid ORDER BY bid",
        ),
        query(
            "analytic_join_agg",
            "tellers joined to every 100th account of their branch, grouped by teller",
            "SELECT t.tid, count(*), max(a.aid) FROM pgbench_tellers t \
             JOIN pgbench_accounts a ON a.bid = t.bid WHERE a.aid % 100 = 0 \
             GROUP BY t.tid ORDER BY t.tid",
        ),
        query(
            "analytic_top_n",
            "the first 10 accounts by a computed key (a top-N sort, no index)",
            "SELECT aid FROM pgbench_accounts ORDER BY (aid * 7919) % 100003 DESC, aid LIMIT 10",
        ),
        query(
            "analytic_self_join",
            "each account joined to the next one by key, counted",
            "SELECT count(*) FROM pgbench_accounts a \
             JOIN pgbench_accounts b ON b.aid = a.aid + 1 WHERE b.bid = a.bid",
        ),
    ]
}

impl Analytic {
    /// Runs the query `reps` times; returns each run's milliseconds, having checked
    /// that every run printed what the first run on either server printed.
    fn run(&self, env: &Env, port: u16, reps: usize) -> Result<Vec<f64>, String> {
        let mut script = String::new();
        for _ in 0..reps {
            // The output of each run is marked off by its \timing line.
            script.push_str(&format!("\\timing on\n{};\n\\timing off\n", self.sql));
        }
        let out = psql_script(env, port, &script)?;
        let mut outputs = Vec::new();
        let mut current = String::new();
        for line in out.lines() {
            if line.starts_with("Time: ") {
                outputs.push(std::mem::take(&mut current));
            } else if !line.starts_with("Timing is") {
                current.push_str(line);
                current.push('\n');
            }
        }
        let times = timings_ms(&out);
        if times.len() != reps || outputs.len() != reps {
            return Err(format!(
                "expected {reps} runs with \\timing lines from psql, got {}: {out}",
                times.len()
            ));
        }
        let mut first = self
            .first
            .lock()
            .map_err(|_| "a previous run panicked".to_owned())?;
        let expected = first.get_or_insert_with(|| outputs[0].clone());
        if let Some(wrong) = outputs.iter().find(|o| *o != expected) {
            return Err(format!(
                "{} printed\n{wrong}where the first run printed\n{expected}",
                self.sql
            ));
        }
        Ok(times)
    }
}

impl Workload for Analytic {
    fn name(&self) -> &'static str {
        self.name
    }
    fn description(&self) -> String {
        format!(
            "{} over pgbench's tables (scale from the plan): {}; ms per query",
            self.what, self.sql
        )
    }
    fn unit(&self) -> &'static str {
        "ms"
    }
    fn better(&self) -> Better {
        Better::Lower
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        ensure_pgbench_tables(env, t, env.plan.pgbench_scale)
    }
    fn warm_up(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        self.run(env, t.server()?.port, 1).map(|_| ())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        let times = self.run(env, t.server()?.port, env.plan.query_reps)?;
        let ms = median(&times);
        Ok(Sample {
            value: ms,
            detail: json!({ "ms": ms, "runs_ms": times }),
        })
    }
}

/// `INSERT INTO bench_insel SELECT ... FROM generate_series(1, N)`, N the scan
/// workloads' row count ([`Plan::seqscan_rows`](super::Plan)), into a table of
/// pgbench_accounts' shape emptied before each run: rows per second of the statement
/// (psql's `\timing`), its row count checked afterwards.
pub struct InsertSelect;

const INSERT_TABLE: &str = "bench_insel";

impl Workload for InsertSelect {
    fn name(&self) -> &'static str {
        "insert_select"
    }
    fn description(&self) -> String {
        format!(
            "INSERT INTO {INSERT_TABLE} SELECT ... FROM generate_series(1, N), N rows \
             (BENCH_SEQSCAN_ROWS) of pgbench_accounts' shape; rows per second"
        )
    }
    fn unit(&self) -> &'static str {
        "rows/s"
    }
    fn better(&self) -> Better {
        Better::Higher
    }
    fn prepare(&self, env: &Env, t: Target<'_>) -> Result<(), String> {
        psql_script(
            env,
            t.server()?.port,
            &format!(
                "DROP TABLE IF EXISTS {INSERT_TABLE};\n\
                 CREATE TABLE {INSERT_TABLE} (aid int NOT NULL, bid int, abalance int, filler char(84));\n"
            ),
        )
        .map(|_| ())
    }
    fn measure(&self, env: &Env, t: Target<'_>) -> Result<Sample, String> {
        let rows = env.plan.seqscan_rows;
        let port = t.server()?.port;
        let out = psql_script(
            env,
            port,
            &format!(
                "TRUNCATE {INSERT_TABLE};\nCHECKPOINT;\n\\timing on\n\
                 INSERT INTO {INSERT_TABLE} SELECT i, (i - 1) / 100000 + 1, 0, '' FROM generate_series(1, {rows}) i;\n\
                 \\timing off\nSELECT count(*) FROM {INSERT_TABLE};\n"
            ),
        )?;
        let ms = timings_ms(&out)
            .first()
            .copied()
            .ok_or_else(|| format!("no \\timing line for the INSERT: {out}"))?;
        let counted = out
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim();
        if counted != rows.to_string() {
            return Err(format!(
                "{INSERT_TABLE} holds {counted} rows after the INSERT, expected {rows}"
            ));
        }
        Ok(Sample {
            value: rows as f64 / (ms / 1000.0).max(1e-6),
            detail: json!({ "rows": rows, "ms": ms }),
        })
    }
    fn cleanup(&self, env: &Env, t: Target<'_>) {
        if let Ok(s) = t.server() {
            let _ = psql_script(
                env,
                s.port,
                &format!("DROP TABLE IF EXISTS {INSERT_TABLE};\n"),
            );
        }
    }
}
