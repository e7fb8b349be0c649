//! Real client drivers against our server: psycopg 3 (and psycopg2), SQLAlchemy, Django,
//! node-postgres (and pg-cursor) and PostgreSQL's JDBC driver run the check programs under `tests/clients/`
//! against our server and against PostgreSQL 15, and every check must print the same line
//! on both. The programs print `name<TAB>what the driver saw`, so PostgreSQL's output is
//! the expectation and nothing here is expected text of our own.
//!
//! A driver that is not installed is skipped with the reason printed (CI stays green on a
//! fresh machine; `.ci/run` installs them best-effort):
//! - psycopg: `python3 -c 'import psycopg'` (`pip install 'psycopg[binary]' psycopg2-binary`);
//! - SQLAlchemy and Django, over psycopg 3: `python3 -c 'import sqlalchemy'` / `'import
//!   django'` (`pip install sqlalchemy django`);
//! - node-postgres: `tests/clients/js/node_modules/pg` (`npm install --prefix tests/clients/js`);
//! - JDBC: `/usr/share/java/postgresql.jar` (`apt-get install libpostgresql-jdbc-java`)
//!   and `javac`; the program is compiled at test time into a temporary directory.
//!
//! [`KNOWN_GAPS`] lists the checks that still differ on our server, each with its reason:
//! they are reported, not failed, and a gap that starts matching is reported too so that
//! it can be taken off the list. Any other difference fails the test. Each run prints a
//! table: driver, checks, how many match PostgreSQL 15.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tests::{Cluster, PG15_BIN};

/// Checks that still differ from PostgreSQL 15 on our server: `(driver, check, reason)`.
const KNOWN_GAPS: &[(&str, &str, &str)] = &[
    (
        "jdbc",
        "isolation_readonly",
        "default_session_isolation is not a setting",
    ),
    (
        "jdbc",
        "dbmd_get_columns",
        "array columns missing from getColumns",
    ),
    (
        "jdbc",
        "callable_function",
        "{? = call f(?)}: a void-typed parameter",
    ),
    (
        "django",
        "aggregate",
        "GROUP BY a primary key does not let the select list name the table's other columns",
    ),
];

/// Where the check programs live.
fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// One check program: how to run it against a cluster, or why it cannot run here.
struct Driver {
    name: &'static str,
    /// The command line, given the cluster's port (host is always 127.0.0.1).
    command: Box<dyn Fn(u16) -> Command>,
    /// Keeps a compiled program's directory alive as long as the driver.
    _scratch: Option<tempfile::TempDir>,
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.output().is_ok_and(|o| o.status.success())
}

fn psycopg() -> Result<Driver, String> {
    if !succeeds(Command::new("python3").args(["-c", "import psycopg"])) {
        return Err(
            "python3 with psycopg 3 is not installed (pip install 'psycopg[binary]')".into(),
        );
    }
    let script = clients_dir().join("python/psycopg_checks.py");
    Ok(Driver {
        name: "psycopg",
        command: Box::new(move |port| {
            let mut cmd = Command::new("python3");
            cmd.arg(&script).arg(format!(
                "host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=10"
            ));
            cmd
        }),
        _scratch: None,
    })
}

/// A Python check program that takes `HOST PORT`, when `module` imports (SQLAlchemy,
/// Django; both over psycopg 3).
fn python_program(
    name: &'static str,
    module: &str,
    install: &str,
    script: &str,
) -> Result<Driver, String> {
    if !succeeds(Command::new("python3").args(["-c", &format!("import psycopg, {module}")])) {
        return Err(format!(
            "python3 with psycopg 3 and {module} is not installed (pip install {install})"
        ));
    }
    let script = clients_dir().join("python").join(script);
    Ok(Driver {
        name,
        command: Box::new(move |port| {
            let mut cmd = Command::new("python3");
            cmd.arg(&script).arg("127.0.0.1").arg(port.to_string());
            cmd
        }),
        _scratch: None,
    })
}

fn node_postgres() -> Result<Driver, String> {
    let dir = clients_dir().join("js");
    if !succeeds(Command::new("node").arg("--version")) {
        return Err("node is not installed".into());
    }
    if !dir.join("node_modules/pg").is_dir() {
        return Err(format!(
            "node-postgres is not installed (npm install --prefix {})",
            dir.display()
        ));
    }
    Ok(Driver {
        name: "node-postgres",
        command: Box::new(move |port| {
            let mut cmd = Command::new("node");
            cmd.current_dir(&dir)
                .arg("pg_checks.js")
                .arg("127.0.0.1")
                .arg(port.to_string());
            cmd
        }),
        _scratch: None,
    })
}

/// Debian's libpostgresql-jdbc-java.
const JDBC_JAR: &str = "/usr/share/java/postgresql.jar";

fn jdbc() -> Result<Driver, String> {
    if !Path::new(JDBC_JAR).is_file() {
        return Err(format!(
            "{JDBC_JAR} is missing (apt-get install libpostgresql-jdbc-java)"
        ));
    }
    if !succeeds(Command::new("javac").arg("-version")) {
        return Err("javac is not installed".into());
    }
    let scratch = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let out = Command::new("javac")
        .arg("-d")
        .arg(scratch.path())
        .args(["-cp", JDBC_JAR])
        .arg(clients_dir().join("java/JdbcChecks.java"))
        .output()
        .map_err(|e| format!("javac: {e}"))?;
    assert!(
        out.status.success(),
        "JdbcChecks.java does not compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let classpath = format!("{JDBC_JAR}:{}", scratch.path().display());
    Ok(Driver {
        name: "jdbc",
        command: Box::new(move |port| {
            let mut cmd = Command::new("java");
            cmd.args(["-cp", &classpath, "JdbcChecks", "127.0.0.1"])
                .arg(port.to_string());
            cmd
        }),
        _scratch: Some(scratch),
    })
}

/// Runs a driver's checks against a cluster: check name -> result line. The programs run
/// in UTC (node-postgres and JDBC read `timestamp` values in the client's time zone), under
/// `timeout` so that a hung driver fails the test instead of hanging the suite.
fn run_checks(driver: &Driver, cluster: &Cluster) -> BTreeMap<String, String> {
    let inner = (driver.command)(cluster.port());
    let mut cmd = Command::new("timeout");
    cmd.arg("300")
        .arg(inner.get_program())
        .args(inner.get_args());
    if let Some(dir) = inner.get_current_dir() {
        cmd.current_dir(dir);
    }
    cmd.env("TZ", "UTC")
        .env("PGTZ", "UTC")
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE")
        .env_remove("PGOPTIONS");
    let out = cmd.output().expect("run the check program");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} checks exited with {} against {:?}\n--- stdout:\n{stdout}\n--- stderr:\n{}\n--- server log:\n{}",
        driver.name,
        out.status,
        cluster.flavor(),
        String::from_utf8_lossy(&out.stderr),
        cluster.log_tail(30)
    );
    stdout
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(name, result)| (name.to_owned(), result.to_owned()))
        .collect()
}

/// Runs one driver against our server (or PostgreSQL 15 with `OXIPG_TEST_AGAINST_PG15=1`)
/// and against PostgreSQL 15, and compares every check.
fn compare(driver: Result<Driver, String>, label: &str) {
    let driver = match driver {
        Ok(d) => d,
        Err(reason) => {
            eprintln!("skipped {label}: {reason}");
            return;
        }
    };
    if !tests::pg15_available() {
        eprintln!("skipped {label}: PostgreSQL 15 is not installed in {PG15_BIN}");
        return;
    }
    let ours = Cluster::start();
    let reference = Cluster::reference();
    let expected = run_checks(&driver, &reference);
    let actual = run_checks(&driver, &ours);
    assert!(!expected.is_empty(), "{label}: no check ran");

    let mut unexpected = Vec::new();
    let mut gaps = Vec::new();
    let mut closed = Vec::new();
    let mut matching = 0;
    for (name, want) in &expected {
        let got = actual.get(name).map_or("(missing)", String::as_str);
        let gap = KNOWN_GAPS
            .iter()
            .find(|(d, c, _)| *d == driver.name && c == name);
        if got == want {
            matching += 1;
            if gap.is_some() {
                closed.push(name.clone());
            }
        } else if let Some((_, _, reason)) = gap {
            gaps.push(format!(
                "{name}: {reason}\n    PostgreSQL 15: {want}\n    ours:          {got}"
            ));
        } else {
            unexpected.push(format!(
                "{name}\n    PostgreSQL 15: {want}\n    ours:          {got}"
            ));
        }
    }
    eprintln!(
        "| {} | {} checks | {} match PostgreSQL 15 | {} known gaps |",
        driver.name,
        expected.len(),
        matching,
        gaps.len()
    );
    for g in &gaps {
        eprintln!("known gap {g}");
    }
    for c in &closed {
        eprintln!(
            "known gap now matches, take it off KNOWN_GAPS: {} {c}",
            driver.name
        );
    }
    assert!(
        unexpected.is_empty(),
        "{label}: checks that differ from PostgreSQL 15:\n{}",
        unexpected.join("\n")
    );
}

#[test]
fn psycopg_matches_postgresql() {
    compare(psycopg(), "psycopg");
}

#[test]
fn sqlalchemy_matches_postgresql() {
    compare(
        python_program(
            "sqlalchemy",
            "sqlalchemy",
            "sqlalchemy",
            "sqlalchemy_checks.py",
        ),
        "sqlalchemy",
    );
}

#[test]
fn django_matches_postgresql() {
    compare(
        python_program("django", "django", "django", "django_checks.py"),
        "django",
    );
}

#[test]
fn node_postgres_matches_postgresql() {
    compare(node_postgres(), "node-postgres");
}

#[test]
fn jdbc_matches_postgresql() {
    compare(jdbc(), "jdbc");
}
