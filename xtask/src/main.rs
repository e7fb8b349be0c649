//! Developer and user tasks: `cargo xtask <command>`.
//!
//! - `run-cluster [--data DIR] [--port N] [-- postmaster args]`: builds release
//!   binaries, initialises DIR if needed, runs the postmaster in the foreground,
//!   prints how to connect; Ctrl-C does a fast shutdown.
//! - `test`: builds the server binaries the process-level tests start, then runs
//!   every test of the workspace (cargo-nextest when installed).
//! - `slt [--complete]`: builds the server binaries, then runs the sqllogictest files
//!   (`tests/slt`) against our server and PostgreSQL 15 (`cargo test -p tests --test slt`);
//!   `--complete` first rewrites their expectations from PostgreSQL 15 (`SLT_COMPLETE=1`).
//! - `bench [--quick] [--only NAME[,NAME]] [--out DIR] [--list] [--no-build]`: builds release
//!   binaries, runs the workloads against our server and PostgreSQL 15 side by side,
//!   prints a table of ratios and writes `bench.json` and `ratios.svg` (see `bench.rs`).
//! - `plans [--out DIR] [--seed N] [--sales N] [--timeout SECS] [--runs N]
//!   [--planning-runs N] [--no-build]`: builds release binaries, loads one generated schema
//!   with skewed and correlated data into our server and PostgreSQL 15, runs a fixed query
//!   set under `EXPLAIN ANALYZE` on both and reports plan-shape agreement, the q-error of
//!   the row estimates, execution and planning times; writes `plans.json` and `qerror.svg`
//!   (see `plans.rs`).
//! - `crash [--cycles N] [--seed S] [--pg15]`: builds the server binaries, then runs the
//!   crash-recovery test (`cargo test -p tests --test crash`) with `OXIPG_CRASH_CYCLES` and
//!   `OXIPG_CRASH_SEED` set, showing its progress; `--pg15` runs it against PostgreSQL 15.
//! - `waldump DIR [--start LSN] [--limit N]`: lists the WAL records of a data or `pg_wal`
//!   directory as `pg_waldump` does (see `waldump.rs`).
//! - `regress [--source DIR] [--check] [--update] [--files SUBSTR] [--pg15] [--no-build]
//!   [--timeout SECS]`: runs PostgreSQL 15's own regression suite through psql as
//!   `pg_regress` does, against our server (or PostgreSQL 15 with `--pg15`), and reports
//!   files that match exactly and statements that match; `--check` fails unless every test
//!   in `tests/regress/passing.txt` is exact, `--update` rewrites that list (see `regress.rs`).

#![forbid(unsafe_code)]

mod bench;
mod plans;
mod regress;
mod waldump;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "OxiPG developer tasks")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build release binaries and run a cluster in the foreground.
    RunCluster {
        /// Data directory (created and initialised if missing or empty).
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Port to listen on.
        #[arg(long, default_value_t = 5432)]
        port: u16,
        /// Extra arguments for the postmaster (e.g. -c shared_buffers=256MB).
        #[arg(last = true)]
        extra: Vec<String>,
    },
    /// Build the server binaries and run the whole test suite.
    Test {
        /// Extra arguments for the test runner (e.g. a test name filter).
        #[arg(last = true)]
        extra: Vec<String>,
    },
    /// Build the server binaries and run the sqllogictest files (tests/slt).
    Slt {
        /// Rewrite the files' expectations from PostgreSQL 15 first.
        #[arg(long)]
        complete: bool,
        /// Only the files whose path contains this.
        #[arg(long)]
        files: Option<String>,
    },
    /// Benchmark our server against PostgreSQL 15 (ratios; above 1.0 we lead).
    Bench {
        /// Fewer and shorter rounds (about two minutes).
        #[arg(long)]
        quick: bool,
        /// Only these workloads (comma-separated; see --list).
        #[arg(long, value_name = "NAME[,NAME]", value_delimiter = ',')]
        only: Vec<String>,
        /// Where to write bench.json, ratios.svg and the server logs
        /// (default target/bench/<UTC timestamp>/).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// List the workloads and exit.
        #[arg(long)]
        list: bool,
        /// Skip the release build: use the binaries already in target/release.
        #[arg(long)]
        no_build: bool,
    },
    /// Compare our plans and row estimates with PostgreSQL 15's over a generated schema.
    Plans {
        /// Where to write plans.json, qerror.svg and the server logs
        /// (default target/plans/<UTC timestamp>/).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Seed of the data generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Rows of the fact table (sales).
        #[arg(long, value_name = "N", default_value_t = 150_000,
              value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
        sales: u32,
        /// Seconds one query may run before it is cancelled (its plan still counts).
        #[arg(long, value_name = "SECS", default_value_t = 120,
              value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
        /// EXPLAIN ANALYZE runs per query on one connection; the last is measured.
        #[arg(long, value_name = "N", default_value_t = 2,
              value_parser = clap::value_parser!(u32).range(1..=100))]
        runs: u32,
        /// Plain EXPLAIN runs of each join chain; their median is its planning time.
        #[arg(long, value_name = "N", default_value_t = 5,
              value_parser = clap::value_parser!(u32).range(0..=1000))]
        planning_runs: u32,
        /// Skip the release build: use the binaries already in target/release.
        #[arg(long)]
        no_build: bool,
    },
    /// Kill the cluster under load, repeatedly, and check what recovery gives back
    /// (tests/tests/crash.rs).
    Crash {
        /// Kill-and-check cycles (OXIPG_CRASH_CYCLES; the test's default is 20).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        cycles: Option<u32>,
        /// Seed of every random choice (OXIPG_CRASH_SEED; the test's default is 1).
        #[arg(long)]
        seed: Option<u64>,
        /// Run against PostgreSQL 15 instead of our server, to check the test itself.
        #[arg(long)]
        pg15: bool,
    },
    /// List the WAL records of a data directory or a pg_wal directory (like pg_waldump).
    Waldump {
        /// A data directory (its pg_wal/ is read) or a pg_wal directory.
        dir: PathBuf,
        /// Start at this LSN (X/X) instead of the first segment file present.
        #[arg(long, value_name = "LSN")]
        start: Option<String>,
        /// Stop after this many records.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Run PostgreSQL 15's regression suite (src/test/regress) through psql, as pg_regress
    /// does, and report exact files and matching statements.
    Regress {
        /// PostgreSQL's source tree (default: $OXIPG_PG_SOURCE, ../pgsrc/postgresql-15-<version>,
        /// target/pgsrc/..., else fetched there with apt-get source).
        #[arg(long, value_name = "DIR")]
        source: Option<PathBuf>,
        /// Fail unless every test in tests/regress/passing.txt is exact.
        #[arg(long)]
        check: bool,
        /// Rewrite tests/regress/passing.txt with the tests exact in this run.
        #[arg(long)]
        update: bool,
        /// Only the tests whose name contains this (test_setup still runs first).
        #[arg(long, value_name = "SUBSTR")]
        files: Option<String>,
        /// Run against a throwaway PostgreSQL 15 instead of our server, to check the runner.
        #[arg(long)]
        pg15: bool,
        /// Skip the release build: use the binaries already in target/release.
        #[arg(long)]
        no_build: bool,
        /// Seconds one test file may run before psql is killed and the file fails.
        #[arg(long, value_name = "SECS", default_value_t = 120,
              value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
    },
}

/// The workspace this xtask was run from. `cargo run` sets CARGO_MANIFEST_DIR
/// at run time; the compile-time value is only a fallback, because one build
/// of xtask may be reused from another checkout sharing the target directory.
fn workspace_root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(workspace_root());
    c
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("could not run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

/// Builds the release server binaries (`who` names the task in the message).
fn build_release(who: &str) -> Result<(), String> {
    eprintln!("{who}: building release binaries (postmaster, backend)...");
    run(cargo().args(["build", "--release", "-p", "postmaster", "-p", "backend"]))
}

fn run_cluster(data: &Path, port: u16, extra: &[String]) -> Result<(), String> {
    build_release("xtask")?;
    let data = if data.is_absolute() {
        data.to_path_buf()
    } else {
        workspace_root().join(data)
    };
    let exe = workspace_root().join("target/release/postmaster");
    // Ctrl-C reaches the whole foreground process group: the postmaster does a
    // fast shutdown on it, and we stay to wait for that instead of dying first.
    let interrupted = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, interrupted)
        .map_err(|e| e.to_string())?;
    eprintln!(
        "xtask: starting the cluster in {} on port {port}",
        data.display()
    );
    eprintln!("xtask: connect with   psql -h 127.0.0.1 -p {port} -U postgres postgres");
    eprintln!("xtask: stop with Ctrl-C (fast shutdown)");
    let status = Command::new(exe)
        .arg("-D")
        .arg(&data)
        .arg("-p")
        .arg(port.to_string())
        .args(extra)
        .status()
        .map_err(|e| format!("could not start the postmaster: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("postmaster exited with {status}"))
    }
}

fn test(extra: &[String]) -> Result<(), String> {
    eprintln!("xtask: building the server binaries the process-level tests start...");
    run(cargo().args(["build", "-p", "postmaster", "-p", "backend"]))?;
    let nextest = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if nextest {
        run(cargo()
            .args(["nextest", "run", "--workspace", "--no-fail-fast"])
            .args(extra))
    } else {
        eprintln!("xtask: cargo-nextest not found; using cargo test");
        run(cargo()
            .args(["test", "--workspace", "--no-fail-fast"])
            .args(extra))
    }
}

fn slt(complete: bool, files: Option<&str>) -> Result<(), String> {
    eprintln!("xtask: building the server binaries the sqllogictest runner starts...");
    run(cargo().args(["build", "-p", "postmaster", "-p", "backend"]))?;
    let mut cmd = cargo();
    cmd.args(["test", "-p", "tests", "--test", "slt"]);
    if complete {
        cmd.env("SLT_COMPLETE", "1");
    }
    if let Some(files) = files {
        cmd.env("SLT_FILES", files);
    }
    run(&mut cmd)
}

fn crash(cycles: Option<u32>, seed: Option<u64>, pg15: bool) -> Result<(), String> {
    let mut cmd = cargo();
    if pg15 {
        cmd.env("OXIPG_TEST_AGAINST_PG15", "1");
    } else {
        eprintln!("xtask: building the server binaries the crash test starts...");
        run(cargo().args(["build", "-p", "postmaster", "-p", "backend"]))?;
        cmd.env_remove("OXIPG_TEST_AGAINST_PG15");
    }
    // Unset variables leave the test's defaults, which it prints.
    for (name, value) in [
        ("OXIPG_CRASH_CYCLES", cycles.map(u64::from)),
        ("OXIPG_CRASH_SEED", seed),
    ] {
        match value {
            Some(v) => cmd.env(name, v.to_string()),
            None => cmd.env_remove(name),
        };
    }
    eprintln!(
        "xtask: running tests/tests/crash.rs against {} (progress: one line per cycle)...",
        if pg15 { "PostgreSQL 15" } else { "our server" }
    );
    // --nocapture: the test's progress lines, as they come.
    run(cmd.args([
        "test",
        "-p",
        "tests",
        "--test",
        "crash",
        "--",
        "--nocapture",
    ]))?;
    eprintln!("xtask: crash test passed");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Cmd::RunCluster { data, port, extra } => run_cluster(data, *port, extra),
        Cmd::Test { extra } => test(extra),
        Cmd::Slt { complete, files } => slt(*complete, files.as_deref()),
        Cmd::Bench {
            quick,
            only,
            out,
            list,
            no_build,
        } => bench::run(&bench::Options {
            quick: *quick,
            only: only.clone(),
            out: out.clone(),
            list: *list,
            no_build: *no_build,
        }),
        Cmd::Plans {
            out,
            seed,
            sales,
            timeout,
            runs,
            planning_runs,
            no_build,
        } => plans::run(&plans::Options {
            out: out.clone(),
            no_build: *no_build,
            seed: *seed,
            sales: *sales,
            timeout: std::time::Duration::from_secs(*timeout),
            runs: *runs,
            planning_runs: *planning_runs,
        }),
        Cmd::Crash { cycles, seed, pg15 } => crash(*cycles, *seed, *pg15),
        Cmd::Waldump { dir, start, limit } => waldump::run(&waldump::Options {
            dir: dir.clone(),
            start: start.clone(),
            limit: *limit,
        }),
        Cmd::Regress {
            source,
            check,
            update,
            files,
            pg15,
            no_build,
            timeout,
        } => regress::run(&regress::Options {
            source: source.clone(),
            check: *check,
            update: *update,
            files: files.clone(),
            pg15: *pg15,
            no_build: *no_build,
            timeout: std::time::Duration::from_secs(*timeout),
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cmd, clap::Error> {
        Cli::try_parse_from(std::iter::once("xtask").chain(args.iter().copied()))
            .map(|cli| cli.command)
    }

    #[test]
    fn crash_and_waldump_arguments() {
        assert!(matches!(
            parse(&["crash"]),
            Ok(Cmd::Crash {
                cycles: None,
                seed: None,
                pg15: false
            })
        ));
        assert!(matches!(
            parse(&["crash", "--cycles", "20", "--seed", "7", "--pg15"]),
            Ok(Cmd::Crash {
                cycles: Some(20),
                seed: Some(7),
                pg15: true
            })
        ));
        assert!(parse(&["crash", "--cycles", "0"]).is_err());
        assert!(parse(&["crash", "--seed", "-1"]).is_err());
        match parse(&["waldump", "data", "--start", "0/1000028", "--limit", "5"]) {
            Ok(Cmd::Waldump { dir, start, limit }) => {
                assert_eq!(
                    (dir, start.as_deref(), limit),
                    (PathBuf::from("data"), Some("0/1000028"), Some(5))
                );
            }
            Ok(_) => panic!("not waldump"),
            Err(e) => panic!("{e}"),
        }
        assert!(parse(&["waldump"]).is_err(), "DIR is required");
    }

    #[test]
    fn plans_arguments() {
        assert!(matches!(
            parse(&["plans"]),
            Ok(Cmd::Plans {
                out: None,
                seed: 1,
                sales: 150_000,
                timeout: 120,
                runs: 2,
                planning_runs: 5,
                no_build: false,
            })
        ));
        assert!(matches!(
            parse(&[
                "plans",
                "--sales",
                "1000",
                "--seed",
                "3",
                "--no-build",
                "--runs",
                "1"
            ]),
            Ok(Cmd::Plans {
                seed: 3,
                sales: 1000,
                runs: 1,
                no_build: true,
                ..
            })
        ));
        assert!(parse(&["plans", "--sales", "0"]).is_err());
        assert!(parse(&["plans", "--runs", "0"]).is_err());
    }

    #[test]
    fn regress_arguments() {
        match parse(&[
            "regress",
            "--files",
            "int",
            "--pg15",
            "--check",
            "--timeout",
            "30",
        ]) {
            Ok(Cmd::Regress {
                source: None,
                check: true,
                update: false,
                files,
                pg15: true,
                no_build: false,
                timeout: 30,
            }) => assert_eq!(files.as_deref(), Some("int")),
            Ok(_) => panic!("not the regress arguments given"),
            Err(e) => panic!("{e}"),
        }
        assert!(matches!(
            parse(&["regress"]),
            Ok(Cmd::Regress { timeout: 120, .. })
        ));
        assert!(parse(&["regress", "--timeout", "0"]).is_err());
    }
}
