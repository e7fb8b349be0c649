//! `cargo xtask plans [--out DIR] [--seed N] [--sales N] [--timeout SECS] [--no-build]`:
//! the planner's yardstick (issue 7). It loads one generated schema with skewed and
//! correlated data into our server and PostgreSQL 15, runs a fixed query set under
//! `EXPLAIN (ANALYZE, FORMAT JSON)` on both, and reports how often our plan has
//! PostgreSQL's shape and how far each server's row estimates are from the rows that
//! came out.
//!
//! 1. [`schema::generate`] makes the rows from a seed (the same rows on every run and
//!    machine); both servers get them through the same `\copy ... FROM` of the same
//!    files, then the same `CREATE INDEX` and `VACUUM ANALYZE` statements.
//! 2. Every query of [`queries::all`] runs on one connection per server: the session
//!    settings, then `EXPLAIN (ANALYZE, FORMAT JSON)` `--runs` times (the first warms
//!    the caches; the last is measured). PostgreSQL runs with
//!    `max_parallel_workers_per_gather = 0` and `jit = off`: ours has neither, and the
//!    comparison is of plans, not of workers. A query over `--timeout` is cancelled
//!    (`statement_timeout`); its plan then comes from a plain `EXPLAIN`, and it counts
//!    for the shapes but not for the q-errors or the times.
//! 3. [`explain`] turns each result into a normalized shape (node types, join types,
//!    strategies, relations) and per-node q-errors, `max(est/act, act/est)`.
//! 4. The join chains of 5, 12 and 20 tables are planned `--planning-runs` times more
//!    with `EXPLAIN (SUMMARY, FORMAT JSON)`: their median "Planning Time" is the
//!    planning figure. PostgreSQL's planning time covers the planner only (not parse
//!    analysis); ours covers what our EXPLAIN times as planning.
//! 5. The report: shape agreement (strict, and operators only), median and 95th
//!    percentile of the node q-errors for each server, the total execution time of the
//!    queries both finished and its ratio PostgreSQL/ours (above 1.0 we lead, as in
//!    `cargo xtask bench`), and the planning times. `plans.json` holds every query's
//!    shapes, estimates and times; `qerror.svg` draws each query's worst q-error.
//!
//! Times from `--no-build` with debug binaries laid out as release are not release
//! figures: shapes and q-errors do not depend on the build, times do.

mod explain;
mod queries;
mod schema;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::bench::Env;
use crate::bench::server::{self, Kind, Server};
use explain::{Explained, median, percentile};

/// Command-line options of `cargo xtask plans`.
#[derive(Debug)]
pub struct Options {
    /// Where to write plans.json, qerror.svg and the server logs.
    pub out: Option<PathBuf>,
    /// Use the release binaries already built.
    pub no_build: bool,
    /// The data generator's seed.
    pub seed: u64,
    /// Rows of the fact table.
    pub sales: u32,
    /// How long one query may run before it is cancelled.
    pub timeout: Duration,
    /// EXPLAIN ANALYZE runs per query; the last one is measured.
    pub runs: u32,
    /// Extra plain EXPLAIN runs of each join chain for its planning time.
    pub planning_runs: u32,
}

/// What one server gave for one query.
#[derive(Debug, Default)]
struct Outcome {
    shape: Option<String>,
    node_shape: Option<String>,
    q_errors: Vec<f64>,
    /// Estimated and actual rows of the root node.
    root_rows: Option<(f64, f64)>,
    planning_ms: Option<f64>,
    execution_ms: Option<f64>,
    timed_out: bool,
    error: Option<String>,
    /// Median planning time of the extra EXPLAIN runs (join chains).
    chain_planning_ms: Option<f64>,
}

impl Outcome {
    fn max_q(&self) -> Option<f64> {
        self.q_errors.iter().copied().reduce(f64::max)
    }
}

struct QueryResult {
    query: queries::Query,
    postgres: Outcome,
    ours: Outcome,
}

impl QueryResult {
    fn side(&self, kind: Kind) -> &Outcome {
        match kind {
            Kind::Postgres => &self.postgres,
            Kind::Ours => &self.ours,
        }
    }
}

/// The figures of the whole run.
#[derive(Debug, PartialEq)]
struct Summary {
    /// Queries with a plan from both servers.
    compared: usize,
    same_shape: usize,
    same_node_shape: usize,
    /// (median, p95, nodes) of the node q-errors, PostgreSQL then ours.
    q_postgres: Option<(f64, f64, usize)>,
    q_ours: Option<(f64, f64, usize)>,
    /// Execution times summed over the queries both servers finished.
    both_finished: usize,
    exec_postgres_ms: f64,
    exec_ours_ms: f64,
}

fn summarize(results: &[QueryResult]) -> Summary {
    let mut s = Summary {
        compared: 0,
        same_shape: 0,
        same_node_shape: 0,
        q_postgres: None,
        q_ours: None,
        both_finished: 0,
        exec_postgres_ms: 0.0,
        exec_ours_ms: 0.0,
    };
    for r in results {
        if let (Some(a), Some(b)) = (&r.postgres.shape, &r.ours.shape) {
            s.compared += 1;
            s.same_shape += usize::from(a == b);
            s.same_node_shape += usize::from(r.postgres.node_shape == r.ours.node_shape);
        }
        if let (Some(a), Some(b)) = (r.postgres.execution_ms, r.ours.execution_ms) {
            s.both_finished += 1;
            s.exec_postgres_ms += a;
            s.exec_ours_ms += b;
        }
    }
    let q = |kind: Kind| {
        let all: Vec<f64> = results
            .iter()
            .flat_map(|r| r.side(kind).q_errors.iter().copied())
            .collect();
        Some((median(&all)?, percentile(&all, 95.0)?, all.len()))
    };
    s.q_postgres = q(Kind::Postgres);
    s.q_ours = q(Kind::Ours);
    s
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

pub fn run(opts: &Options) -> Result<(), String> {
    let pg_start = crate::bench::pg_start_script();
    if !pg_start.is_file() {
        return Err(format!(
            "{} is missing: it starts the PostgreSQL 15 reference",
            pg_start.display()
        ));
    }
    let out_dir = match &opts.out {
        Some(d) => d.clone(),
        None => super::workspace_root()
            .join("target/plans")
            .join(crate::bench::report::timestamp()),
    };
    if opts.no_build {
        eprintln!("plans: using the release binaries already built (--no-build)");
    } else {
        super::build_release("plans")?;
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&interrupted)).map_err(|e| e.to_string())?;
    }
    // PostgreSQL runs as the postgres user: the scratch directory must be traversable.
    let work = tempfile::Builder::new()
        .prefix("oxipg-plans-")
        .tempdir_in("/tmp")
        .map_err(|e| format!("scratch directory: {e}"))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
    }
    let env = Env::for_task(
        "plans",
        work.path().to_path_buf(),
        crate::bench::release_dir(),
        pg_start,
        Arc::clone(&interrupted),
    )?;
    let started = Instant::now();
    let size = schema::Size {
        seed: opts.seed,
        sales: opts.sales,
    };
    env.status(&format!(
        "generating the data (seed {}, {} sales)",
        size.seed, size.sales
    ));
    let data_dir = env.work.join("data");
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let mut files = Vec::new();
    for t in schema::generate(size) {
        let path = data_dir.join(format!("{}.tsv", t.name));
        std::fs::write(&path, &t.copy_text).map_err(|e| format!("{}: {e}", path.display()))?;
        files.push((t.name, path, t.rows));
    }
    let script = load_script(&files);
    let script_path = env.work.join("load.sql");
    std::fs::write(&script_path, &script).map_err(|e| e.to_string())?;

    env.status("starting PostgreSQL 15");
    let pg = Server::start_pg(&env).map_err(|e| format!("PostgreSQL 15: {e}"))?;
    env.status("starting ours");
    let ours = Server::start_ours(&env).map_err(|e| format!("ours: {e}"))?;
    let mut load_secs = Vec::new();
    for s in [&pg, &ours] {
        env.status(&format!("loading {}", s.kind));
        let t = Instant::now();
        load(s, &script_path)?;
        load_secs.push((s.kind, t.elapsed().as_secs_f64()));
        env.check_interrupted()?;
    }

    let all = queries::all();
    let n = all.len();
    let mut results = Vec::new();
    for (i, q) in all.into_iter().enumerate() {
        let mut r = QueryResult {
            query: q,
            postgres: Outcome::default(),
            ours: Outcome::default(),
        };
        for s in [&pg, &ours] {
            env.check_interrupted()?;
            env.status(&format!("[{}/{n}] {} on {}", i + 1, r.query.name, s.kind));
            let o = measure(s, &r.query, opts);
            match s.kind {
                Kind::Postgres => r.postgres = o,
                Kind::Ours => r.ours = o,
            }
        }
        results.push(r);
    }
    env.status("stopping the servers");
    drop(ours);
    drop(pg);
    env.status_done();

    let summary = summarize(&results);
    print!("{}", table(&results, &summary, &load_secs));
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    save_logs(&env.work, &out_dir);
    write_json(
        &out_dir.join("plans.json"),
        opts,
        &results,
        &summary,
        &load_secs,
        started.elapsed(),
    )?;
    write_svg(&out_dir.join("qerror.svg"), &results)?;
    println!(
        "plans: {} queries in {:.0?}; figures in {}",
        results.len(),
        started.elapsed(),
        out_dir.display()
    );
    if interrupted.load(Ordering::Relaxed) {
        return Err("interrupted".into());
    }
    Ok(())
}

/// The psql script that creates and fills the schema on one server.
fn load_script(files: &[(&str, PathBuf, u32)]) -> String {
    let mut s = String::from("\\set ON_ERROR_STOP on\n");
    for stmt in schema::CREATE_TABLES {
        let _ = writeln!(s, "{stmt};");
    }
    for (name, path, _) in files {
        let _ = writeln!(s, "\\copy {name} FROM '{}'", path.display());
    }
    for stmt in schema::chain_statements() {
        let _ = writeln!(s, "{stmt};");
    }
    for stmt in schema::CREATE_INDEXES {
        let _ = writeln!(s, "{stmt};");
    }
    s.push_str("VACUUM ANALYZE;\n");
    s
}

fn load(s: &Server, script: &Path) -> Result<(), String> {
    let out = server::psql(s.port)
        .arg("-f")
        .arg(script)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "loading {} failed: {}",
            s.kind,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The session settings for a server (see the module doc).
fn settings(kind: Kind, timeout: Duration) -> Vec<String> {
    let mut v = vec![format!(
        "SET statement_timeout = '{}ms'",
        timeout.as_millis()
    )];
    if kind == Kind::Postgres {
        v.push("SET max_parallel_workers_per_gather = 0".into());
        v.push("SET jit = off".into());
    }
    v
}

/// Runs `statements` on one connection (psql -c each, stopping at the first error);
/// returns stdout, or the error text with whether it was the statement timeout.
fn psql_run(s: &Server, statements: &[String]) -> Result<String, (String, bool)> {
    let mut cmd: Command = server::psql(s.port);
    cmd.args(["-v", "ON_ERROR_STOP=1"]);
    for st in statements {
        cmd.arg("-c").arg(st);
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| (format!("psql: {e}"), false))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        let timeout = err.contains("statement timeout");
        Err((err, timeout))
    }
}

fn measure(s: &Server, q: &queries::Query, opts: &Options) -> Outcome {
    let mut o = Outcome::default();
    let mut stmts = settings(s.kind, opts.timeout);
    for _ in 0..opts.runs.max(1) {
        stmts.push(format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", q.sql));
    }
    let explained = match psql_run(s, &stmts) {
        Ok(text) => explain::parse_last(&text),
        Err((e, timeout)) => {
            o.timed_out = timeout;
            if !timeout {
                o.error = Some(e);
                return o;
            }
            // The plan without running it.
            let mut plain = settings(s.kind, opts.timeout);
            plain.push(format!("EXPLAIN (SUMMARY, FORMAT JSON) {}", q.sql));
            psql_run(s, &plain)
                .map_err(|(e, _)| e)
                .and_then(|text| explain::parse_last(&text))
        }
    };
    let e: Explained = match explained {
        Ok(e) => e,
        Err(e) => {
            o.error = Some(e);
            return o;
        }
    };
    o.shape = Some(explain::shape(&e.root));
    o.node_shape = Some(explain::node_shape(&e.root));
    o.planning_ms = e.planning_ms;
    if !o.timed_out {
        o.q_errors = explain::q_errors(&e.root);
        o.execution_ms = e.execution_ms;
        o.root_rows = e.root.actual_rows.map(|a| (e.root.plan_rows, a));
    }
    if q.chain.is_some() && opts.planning_runs > 0 {
        let mut stmts = settings(s.kind, opts.timeout);
        for _ in 0..opts.planning_runs {
            stmts.push(format!("EXPLAIN (SUMMARY, FORMAT JSON) {}", q.sql));
        }
        match psql_run(s, &stmts)
            .map_err(|(e, _)| e)
            .and_then(|text| explain::parse_all(&text))
        {
            Ok(all) => {
                let times: Vec<f64> = all.iter().filter_map(|e| e.planning_ms).collect();
                o.chain_planning_ms = median(&times);
            }
            Err(e) => o.error = Some(format!("planning runs: {e}")),
        }
    }
    o
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.digits$}"))
}

fn ms_cell(o: &Outcome) -> String {
    if o.timed_out {
        "timeout".into()
    } else if o.error.is_some() {
        "error".into()
    } else {
        fmt_opt(o.execution_ms, 1)
    }
}

/// The terminal report: one row per query, then the summary figures.
fn table(results: &[QueryResult], s: &Summary, load_secs: &[(Kind, f64)]) -> String {
    let mut rows = vec![[
        "query".to_owned(),
        "shape".to_owned(),
        "max q PG".to_owned(),
        "max q ours".to_owned(),
        "ms PG".to_owned(),
        "ms ours".to_owned(),
    ]];
    for r in results {
        let shape = match (&r.postgres.shape, &r.ours.shape) {
            (Some(a), Some(b)) if a == b => "same",
            (Some(_), Some(_)) if r.postgres.node_shape == r.ours.node_shape => "ops only",
            (Some(_), Some(_)) => "differs",
            _ => "-",
        };
        rows.push([
            r.query.name.clone(),
            shape.to_owned(),
            fmt_opt(r.postgres.max_q(), 1),
            fmt_opt(r.ours.max_q(), 1),
            ms_cell(&r.postgres),
            ms_cell(&r.ours),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(out, "{:<w$}", r[0], w = widths[0]);
        let _ = write!(out, "  {:<w$}", r[1], w = widths[1]);
        for c in 2..6 {
            let _ = write!(out, "  {:>w$}", r[c], w = widths[c]);
        }
        out.push('\n');
        if i == 0 {
            let total: usize = widths.iter().sum::<usize>() + 10;
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    for r in results {
        for (kind, o) in [(Kind::Postgres, &r.postgres), (Kind::Ours, &r.ours)] {
            if let Some(e) = &o.error {
                let _ = writeln!(out, "{} on {kind}: {}", r.query.name, one_line(e));
            }
        }
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "plan shape agreement: {}/{} queries ({:.1} %); operators only: {}/{} ({:.1} %)",
        s.same_shape,
        s.compared,
        pct(s.same_shape, s.compared),
        s.same_node_shape,
        s.compared,
        pct(s.same_node_shape, s.compared)
    );
    for (name, q) in [("PostgreSQL 15", s.q_postgres), ("ours", s.q_ours)] {
        match q {
            Some((m, p95, n)) => {
                let _ = writeln!(
                    out,
                    "q-error {name:<13}: median {m:.2}, p95 {p95:.1} over {n} plan nodes"
                );
            }
            None => {
                let _ = writeln!(out, "q-error {name:<13}: no executed nodes");
            }
        }
    }
    let ratio = if s.exec_ours_ms > 0.0 {
        format!("{:.2}x", s.exec_postgres_ms / s.exec_ours_ms)
    } else {
        "-".into()
    };
    let _ = writeln!(
        out,
        "execution time, {} queries both finished: PostgreSQL {:.1} ms, ours {:.1} ms, ratio {ratio} (PostgreSQL/ours: above 1.0 we lead)",
        s.both_finished, s.exec_postgres_ms, s.exec_ours_ms
    );
    for r in results {
        if let Some(n) = r.query.chain {
            let _ = writeln!(
                out,
                "planning time, {n}-table join: PostgreSQL {} ms, ours {} ms (median of the plain EXPLAIN runs)",
                fmt_opt(r.postgres.chain_planning_ms, 3),
                fmt_opt(r.ours.chain_planning_ms, 3)
            );
        }
    }
    for (kind, secs) in load_secs {
        let _ = writeln!(out, "load and VACUUM ANALYZE on {kind}: {secs:.1} s");
    }
    out
}

fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_owned()
}

fn outcome_json(o: &Outcome) -> Value {
    json!({
        "shape": o.shape,
        "operators": o.node_shape,
        "q_errors": o.q_errors,
        "max_q_error": o.max_q(),
        "root_rows_estimated_actual": o.root_rows.map(|(e, a)| [e, a]),
        "planning_ms": o.planning_ms,
        "execution_ms": o.execution_ms,
        "timed_out": o.timed_out,
        "error": o.error,
        "chain_planning_ms": o.chain_planning_ms,
    })
}

fn write_json(
    path: &Path,
    opts: &Options,
    results: &[QueryResult],
    s: &Summary,
    load_secs: &[(Kind, f64)],
    elapsed: Duration,
) -> Result<(), String> {
    let q = |v: Option<(f64, f64, usize)>| {
        v.map(|(m, p95, n)| json!({"median": m, "p95": p95, "nodes": n}))
    };
    let chains: Vec<Value> = results
        .iter()
        .filter_map(|r| {
            r.query.chain.map(|n| {
                json!({
                    "tables": n,
                    "postgres_ms": r.postgres.chain_planning_ms,
                    "ours_ms": r.ours.chain_planning_ms,
                })
            })
        })
        .collect();
    let queries: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "name": r.query.name,
                "sql": r.query.sql,
                "same_shape": r.postgres.shape.is_some() && r.postgres.shape == r.ours.shape,
                "same_operators": r.postgres.node_shape.is_some()
                    && r.postgres.node_shape == r.ours.node_shape,
                "postgres": outcome_json(&r.postgres),
                "ours": outcome_json(&r.ours),
            })
        })
        .collect();
    let doc = json!({
        "generated_utc": crate::bench::report::timestamp(),
        "commit": crate::bench::report::git_commit(),
        "postgres_version": crate::bench::pg_version(),
        "binaries": if opts.no_build { "as found (--no-build)" } else { "release" },
        "seed": opts.seed,
        "sales_rows": opts.sales,
        "timeout_secs": opts.timeout.as_secs_f64(),
        "runs": opts.runs,
        "planning_runs": opts.planning_runs,
        "elapsed_secs": elapsed.as_secs_f64(),
        "load_secs": load_secs
            .iter()
            .map(|(k, s)| (k.key().to_owned(), Value::from(*s)))
            .collect::<serde_json::Map<_, _>>(),
        "summary": {
            "queries_compared": s.compared,
            "same_shape": s.same_shape,
            "same_shape_pct": pct(s.same_shape, s.compared),
            "same_operators": s.same_node_shape,
            "same_operators_pct": pct(s.same_node_shape, s.compared),
            "q_error_postgres": q(s.q_postgres),
            "q_error_ours": q(s.q_ours),
            "queries_both_finished": s.both_finished,
            "execution_ms_postgres": s.exec_postgres_ms,
            "execution_ms_ours": s.exec_ours_ms,
            "execution_ratio_postgres_over_ours": (s.exec_ours_ms > 0.0)
                .then(|| s.exec_postgres_ms / s.exec_ours_ms),
            "planning_ms": chains,
        },
        "queries": queries,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

fn save_logs(work: &Path, out: &Path) {
    let logs = out.join("logs");
    for (from, to) in [
        ("ours.log", "ours.log"),
        ("postgres/server.log", "postgres.log"),
    ] {
        let src = work.join(from);
        if src.is_file() && std::fs::create_dir_all(&logs).is_ok() {
            let _ = std::fs::copy(&src, logs.join(to));
        }
    }
}

/// Each query's worst node q-error on both servers, side by side, on a log scale.
fn write_svg(path: &Path, results: &[QueryResult]) -> Result<(), String> {
    use plotters::prelude::*;

    let bars: Vec<(&str, f64, f64)> = results
        .iter()
        .map(|r| {
            (
                r.query.name.as_str(),
                r.postgres.max_q().unwrap_or(1.0),
                r.ours.max_q().unwrap_or(1.0),
            )
        })
        .collect();
    if bars.is_empty() {
        return Ok(());
    }
    let n = bars.len();
    let top = bars
        .iter()
        .map(|&(_, a, b)| a.max(b).log10())
        .fold(1.0, f64::max)
        * 1.1;
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let root = SVGBackend::new(path, ((60 + 28 * n).max(640) as u32, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "worst q-error per query: PostgreSQL 15 (blue), ours (orange)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(170)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..n as f64, 0f64..top)
        .map_err(|e| err(&e))?;
    let names: Vec<String> = bars.iter().map(|(n, _, _)| (*n).to_owned()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(2 * n + 1)
        .x_label_formatter(&|v| {
            if (v.fract() - 0.5).abs() < 1e-9 {
                names.get(v.floor() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_label_style(
            ("sans-serif", 11)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .y_desc("log10(q-error)")
        .draw()
        .map_err(|e| err(&e))?;
    let pg_color = RGBColor(51, 102, 204);
    let ours_color = RGBColor(230, 126, 34);
    chart
        .draw_series(bars.iter().enumerate().map(|(i, &(_, a, _))| {
            Rectangle::new(
                [(i as f64 + 0.1, 0.0), (i as f64 + 0.5, a.log10())],
                pg_color.filled(),
            )
        }))
        .map_err(|e| err(&e))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, &(_, _, b))| {
            Rectangle::new(
                [(i as f64 + 0.5, 0.0), (i as f64 + 0.9, b.log10())],
                ours_color.filled(),
            )
        }))
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(shape: &str, ops: &str, q: &[f64], ms: Option<f64>) -> Outcome {
        Outcome {
            shape: Some(shape.into()),
            node_shape: Some(ops.into()),
            q_errors: q.to_vec(),
            execution_ms: ms,
            ..Outcome::default()
        }
    }

    fn result(name: &str, postgres: Outcome, ours: Outcome) -> QueryResult {
        QueryResult {
            query: queries::Query {
                name: name.into(),
                sql: "SELECT 1".into(),
                chain: None,
            },
            postgres,
            ours,
        }
    }

    #[test]
    fn summary_counts_shapes_q_errors_and_times() {
        let results = vec![
            result(
                "a",
                outcome("Seq Scan:t", "Seq Scan", &[1.0, 2.0], Some(10.0)),
                outcome("Seq Scan:t", "Seq Scan", &[4.0], Some(30.0)),
            ),
            result(
                "b",
                outcome("Seq Scan:t", "Seq Scan", &[1.0], Some(5.0)),
                outcome("Seq Scan:u", "Seq Scan", &[8.0, 16.0], None),
            ),
            result(
                "c",
                outcome("Index Scan:t", "Index Scan", &[], Some(1.0)),
                Outcome {
                    error: Some("ERROR: x".into()),
                    ..Outcome::default()
                },
            ),
        ];
        let s = summarize(&results);
        assert_eq!(
            s,
            Summary {
                compared: 2,
                same_shape: 1,
                same_node_shape: 2,
                q_postgres: Some((1.0, 2.0, 3)),
                q_ours: Some((8.0, 16.0, 3)),
                both_finished: 1,
                exec_postgres_ms: 10.0,
                exec_ours_ms: 30.0,
            }
        );
        let text = table(&results, &s, &[(Kind::Ours, 1.0)]);
        assert!(
            text.contains("plan shape agreement: 1/2 queries (50.0 %)"),
            "{text}"
        );
        assert!(text.contains("ratio 0.33x"), "{text}");
        assert!(text.contains("c on ours: ERROR: x"), "{text}");
    }

    #[test]
    fn load_script_stops_on_error_and_analyzes() {
        let s = load_script(&[("region", PathBuf::from("/tmp/x/region.tsv"), 10)]);
        assert!(s.starts_with("\\set ON_ERROR_STOP on\n"));
        assert!(s.contains("\\copy region FROM '/tmp/x/region.tsv'\n"));
        assert!(s.contains("CREATE TABLE chain_20 "));
        assert!(s.ends_with("VACUUM ANALYZE;\n"));
    }
}
