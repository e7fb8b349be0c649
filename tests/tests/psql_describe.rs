//! psql's describe commands (`\d table`, `\d+ table`, `\d index`, `\d
//! sequence`, `\d view`, `\d+ view` with its definition, `\dt`, `\di`,
//! `\ds`, `\dv`, `\dn`, `\df`, `\du`, `\l`, `\d`, partitioned tables,
//! partitions and inheritance) print exactly what
//! they print against PostgreSQL 15: the same objects are created on our
//! server and on a throwaway PostgreSQL 15, and psql's output of each
//! command is compared. Nothing here is expected text of our own.

use std::path::Path;
use std::process::Command;

use tests::{Cluster, PG15_BIN};

const SCHEMA: &str = "
CREATE TABLE dt (a int PRIMARY KEY, b text NOT NULL DEFAULT 'x',
                 c numeric(10,2) CHECK (c > 0), d varchar(20) UNIQUE, e serial);
CREATE INDEX dt_b_idx ON dt (b);
CREATE TABLE child (id bigint PRIMARY KEY, a int REFERENCES dt(a) ON DELETE CASCADE, note text);
CREATE TABLE t2 (x int CHECK (x > 0 AND x < 100), y text DEFAULT 'a''b', z bigint DEFAULT 5,
                 w numeric CHECK (w >= 0.5), UNIQUE (x, y));
CREATE INDEX t2_desc ON t2 (x DESC, y);
CREATE SEQUENCE s;
CREATE VIEW v AS SELECT a, b FROM dt WHERE a > 1;
CREATE VIEW v2 AS SELECT a AS x, b, a + 1 AS y, upper(b) FROM dt d WHERE a > 1 AND b <> 'q';
CREATE VIEW v3 AS SELECT * FROM dt;
CREATE FUNCTION addone(x int) RETURNS int LANGUAGE sql AS 'select x + 1';
CREATE TABLE pt (a int, b text) PARTITION BY RANGE (a);
CREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (1) TO (10);
CREATE TABLE pt2 PARTITION OF pt FOR VALUES FROM (10) TO (20) PARTITION BY LIST (b);
CREATE TABLE pt2a PARTITION OF pt2 FOR VALUES IN ('a', 'b');
CREATE TABLE pt2d PARTITION OF pt2 DEFAULT;
CREATE TABLE ih (x int);
CREATE TABLE ih1 (y int) INHERITS (ih);
";

const COMMANDS: &[&str] = &[
    "\\d dt",
    "\\d child",
    "\\d t2",
    "\\d dt_pkey",
    "\\d dt_b_idx",
    "\\d dt_d_key",
    "\\d t2_desc",
    "\\d s",
    "\\d v",
    "\\d+ v",
    "\\d+ v2",
    "\\d+ v3",
    "\\d+ dt",
    "\\d+ pt",
    "\\d pt1",
    "\\d+ pt2d",
    "\\d ih",
    "\\d+ ih1",
    "\\dt",
    "\\di",
    "\\ds",
    "\\dv",
    "\\dn",
    "\\df addone",
    "\\du",
    "\\l",
    "\\d",
];

/// psql's stdout and stderr for `-c command`.
fn psql(cluster: &Cluster, command: &str) -> String {
    let out = Command::new(Path::new(PG15_BIN).join("psql"))
        .args(["-X", "-d"])
        .arg(cluster.conninfo())
        .arg("-c")
        .arg(command)
        .output()
        .expect("psql runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn describe_commands_print_what_postgresql_prints() {
    if !tests::pg15_available() {
        eprintln!("skipped: PostgreSQL 15 is not installed in {PG15_BIN}");
        return;
    }
    let ours = Cluster::start();
    let reference = Cluster::reference();
    for cluster in [&ours, &reference] {
        let out = psql(cluster, SCHEMA);
        assert!(!out.contains("ERROR"), "schema: {out}");
    }
    let mut mismatches = Vec::new();
    for command in COMMANDS {
        let expected = psql(&reference, command);
        let actual = psql(&ours, command);
        if actual != expected {
            mismatches.push(format!(
                "{command}\n--- PostgreSQL 15:\n{expected}\n--- ours:\n{actual}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
