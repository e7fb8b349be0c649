//! pg_dump and pg_restore of PostgreSQL 15 against our server: a schema of
//! tables (serial and identity columns, defaults, NOT NULL, CHECK, UNIQUE,
//! PRIMARY KEY, FOREIGN KEY, CHECK with IN), indexes (multi-column,
//! partial, on an expression), views (a join with GROUP BY and HAVING, a
//! UNION, subqueries, a view on a view), a sequence with its own increment and value,
//! rules (conditional INSTEAD NOTHING on a table, INSTEAD NOTHING on a
//! view), row-level security and its policies, comments and rows with NULLs and special characters is dumped
//! from our server and
//!
//! 1. restored with psql into PostgreSQL 15, whose own dump of it must be
//!    the same text (but for the lines that name versions) and whose tables
//!    must hold the same rows;
//! 2. restored into a fresh server of ours (the round trip), with the same
//!    rows and the same dump again;
//! 3. dumped in the custom format, listed by `pg_restore -l` and restored by
//!    pg_restore into a fresh server of ours.
//!
//! With `OXIPG_TEST_AGAINST_PG15=1` "ours" is PostgreSQL 15 too, so that the
//! expectations are checked against it.

use std::path::{Path, PathBuf};
use std::process::Command;

use tests::{Cluster, PG15_BIN};
use tokio_postgres::{Client, SimpleQueryMessage};

const SCHEMA: &str = r#"
CREATE TABLE customers (
    id serial PRIMARY KEY,
    name text NOT NULL,
    email varchar(100) UNIQUE,
    created date DEFAULT '2020-01-01',
    score numeric(10,2) CHECK (score >= 0),
    note text
);
CREATE TABLE orders (
    order_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    amount numeric DEFAULT 0,
    status text DEFAULT 'new' NOT NULL CHECK (status IN ('new', 'paid', 'shipped')),
    placed timestamp with time zone,
    CONSTRAINT amount_positive CHECK (amount >= 0)
);
CREATE INDEX orders_customer_status ON orders (customer_id, status);
CREATE INDEX orders_paid ON orders (placed) WHERE status = 'paid';
CREATE UNIQUE INDEX customers_lower_name ON customers (lower(name));
CREATE VIEW paid_orders AS
    SELECT o.customer_id, o.amount AS total FROM orders o WHERE o.status = 'paid';
CREATE VIEW customer_totals AS
    SELECT c.name, count(*) AS n, sum(o.amount) AS total
    FROM customers c JOIN orders o ON o.customer_id = c.id
    GROUP BY c.name HAVING count(*) > 0 ORDER BY c.name;
CREATE VIEW all_ids AS
    SELECT id FROM customers UNION SELECT customer_id FROM orders;
CREATE VIEW big_spenders AS
    SELECT name, total FROM customer_totals
    WHERE total > (SELECT avg(amount) FROM orders) AND name IN ('Alice', 'Bob');
CREATE VIEW orders_left AS
    SELECT c.id, o.status FROM customers c LEFT JOIN orders o ON c.id = o.customer_id
    WHERE EXISTS (SELECT 1 FROM orders x WHERE x.customer_id = c.id);
CREATE SEQUENCE ticket_seq INCREMENT BY 5 START WITH 100;
SELECT setval('ticket_seq', 215);
CREATE RULE orders_keep_zero AS ON DELETE TO orders WHERE old.customer_id = 0 DO INSTEAD NOTHING;
CREATE RULE paid_orders_ins AS ON INSERT TO paid_orders DO INSTEAD NOTHING;
COMMENT ON TABLE customers IS 'people who buy';
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_known ON orders USING (customer_id > 0);
CREATE POLICY orders_open ON orders AS RESTRICTIVE FOR UPDATE
    USING (status <> 'shipped') WITH CHECK (amount < 1000);
COMMENT ON COLUMN customers.email IS 'contact address';
INSERT INTO customers (name, email, score, note) VALUES
    ('Alice', 'a@x.org', 10.5, E'tab\there'),
    ('Bob', NULL, 0, NULL),
    ('Cé "quoted" \back', 'c@x.org', NULL, E'line1\nline2\\n, comma; ''q''');
INSERT INTO orders (customer_id, amount, status, placed) VALUES
    (1, 12.5, 'paid', '2024-01-02 03:04:05+00'),
    (2, 0, 'new', NULL),
    (3, 7, 'shipped', '2024-03-01 00:00:00+00');
"#;

/// What each table holds, in a fixed order, as text.
const CONTENTS: &[&str] = &[
    "SELECT * FROM customers ORDER BY id",
    "SELECT * FROM orders ORDER BY order_id",
    "SELECT * FROM paid_orders ORDER BY customer_id",
    "SELECT * FROM customer_totals",
    "SELECT * FROM all_ids ORDER BY id",
    "SELECT * FROM big_spenders ORDER BY name",
    "SELECT * FROM orders_left ORDER BY id, status",
    "SELECT last_value, is_called FROM ticket_seq",
    "SELECT nextval('customers_id_seq'), nextval('ticket_seq')",
];

fn bin(name: &str) -> PathBuf {
    Path::new(PG15_BIN).join(name)
}

/// A file beside `cluster`'s data directory, removed with it.
fn scratch(cluster: &Cluster, name: &str) -> PathBuf {
    cluster
        .data_dir()
        .parent()
        .expect("the cluster's temporary directory")
        .join(name)
}

/// Runs a client program; panics with its stderr if it fails.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the client runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A plain-text dump of `cluster`'s postgres database, without the lines
/// that differ between any two dumps (versions, `\restrict` keys).
fn dump(cluster: &Cluster) -> String {
    let text = run(Command::new(bin("pg_dump"))
        .arg("-d")
        .arg(cluster.conninfo()));
    text.lines()
        .filter(|l| {
            !l.starts_with("-- Dumped from")
                && !l.starts_with("-- Dumped by")
                && !l.starts_with("\\restrict")
                && !l.starts_with("\\unrestrict")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Restores a plain-text dump with psql, stopping at the first error.
fn restore(cluster: &Cluster, dump_file: &Path) {
    run(Command::new(bin("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(cluster.conninfo())
        .arg("-f")
        .arg(dump_file));
}

async fn contents(c: &Client) -> Vec<Vec<Vec<Option<String>>>> {
    let mut out = Vec::new();
    for sql in CONTENTS {
        out.push(
            c.simple_query(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(r) => {
                        Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
                    }
                    _ => None,
                })
                .collect(),
        );
    }
    out
}

/// Our server with the schema and its rows; its dump, written to a file.
async fn source() -> (Cluster, String, PathBuf) {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute(SCHEMA).await.expect("the schema");
    let text = dump(&cluster);
    let file = scratch(&cluster, "dump.sql");
    std::fs::write(&file, &text).expect("write the dump");
    (cluster, text, file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_dump_restores_into_postgres_15() {
    let (ours, ours_dump, file) = source().await;
    let reference = Cluster::reference();
    restore(&reference, &file);
    let reference_dump = dump(&reference);
    assert_same_dump(&ours_dump, &reference_dump);
    // The rows, and where the sequences stand: the same on both.
    let expected = contents(&ours.connect().await).await;
    assert_eq!(contents(&reference.connect().await).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_dump_round_trip_into_our_server() {
    let (ours, ours_dump, file) = source().await;
    let copy = Cluster::start();
    restore(&copy, &file);
    assert_same_dump(&ours_dump, &dump(&copy));
    let expected = contents(&ours.connect().await).await;
    assert_eq!(contents(&copy.connect().await).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_dump_custom_format_and_pg_restore() {
    let (ours, _, _) = source().await;
    let archive = scratch(&ours, "dump.custom");
    run(Command::new(bin("pg_dump"))
        .args(["-Fc", "-f"])
        .arg(&archive)
        .arg("-d")
        .arg(ours.conninfo()));
    let listing = run(Command::new(bin("pg_restore")).arg("-l").arg(&archive));
    for entry in [
        "TABLE public customers postgres",
        "SEQUENCE SET public ticket_seq postgres",
        "VIEW public paid_orders postgres",
        "INDEX public orders_paid postgres",
        "FK CONSTRAINT public orders orders_customer_id_fkey postgres",
        "TABLE DATA public orders postgres",
        "RULE public orders orders_keep_zero postgres",
    ] {
        assert!(listing.contains(entry), "{entry} in\n{listing}");
    }
    let copy = Cluster::start();
    run(Command::new(bin("pg_restore"))
        .args(["--exit-on-error", "-d"])
        .arg(copy.conninfo())
        .arg(&archive));
    let expected = contents(&ours.connect().await).await;
    assert_eq!(contents(&copy.connect().await).await, expected);
}

/// Two dumps are the same text; on failure, the first line that differs.
fn assert_same_dump(left: &str, right: &str) {
    if left == right {
        return;
    }
    let (l, r): (Vec<_>, Vec<_>) = (left.lines().collect(), right.lines().collect());
    let at = l
        .iter()
        .zip(&r)
        .position(|(a, b)| a != b)
        .unwrap_or(l.len().min(r.len()));
    panic!(
        "the dumps differ at line {}:\n  ours:      {:?}\n  reference: {:?}\n--- ours ---\n{left}",
        at + 1,
        l.get(at),
        r.get(at)
    );
}
