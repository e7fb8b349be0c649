//! Table-driven test: every block of `tests/slt/select_no_from.slt` (expectations
//! taken from PostgreSQL 15) is parsed, planned and executed here, and the text
//! output, the column type letters and the error messages must match.

#![allow(clippy::unwrap_used)]

use executor::{ExecContext, execute};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use types::datum::OutputOptions;
use types::oid;
use types::{PgError, PgResult, SqlState};

struct MockCtx {
    warnings: Vec<String>,
}

impl ExecContext for MockCtx {
    fn check_for_interrupts(&mut self) -> PgResult<()> {
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
        match name.to_lowercase().as_str() {
            "extra_float_digits" => Ok("1".into()),
            "timezone" => Ok("Etc/UTC".into()),
            "search_path" => Ok("\"$user\", public".into()),
            _ => Err(PgError::new(
                SqlState::UndefinedObject,
                format!("unrecognized configuration parameter \"{name}\""),
            )),
        }
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
    fn warning(&mut self, msg: String) {
        self.warnings.push(msg);
    }
}

fn run(sql: &str) -> PgResult<(String, Vec<String>)> {
    let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .map_err(|e| PgError::syntax(e.to_string(), None))?;
    let plan = planner::plan_simple_query(&stmts[0], sql)?;
    let mut ctx = MockCtx { warnings: vec![] };
    let rows = execute(&plan, &[], &mut ctx)?;
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
    let lines = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|d| match d {
                    types::Datum::Null => "NULL".to_string(),
                    d => {
                        let s = d.to_text(&opts);
                        if s.is_empty() { "(empty)".into() } else { s }
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    Ok((letters, lines))
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
fn select_no_from_matches_postgres() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/slt/select_no_from.slt"
    );
    let text = std::fs::read_to_string(path).expect("slt file");
    let mut failures = Vec::new();
    let mut count = 0;
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| !l.starts_with('#')).collect();
        let Some(head) = lines.first() else { continue };
        count += 1;
        if let Some(msg) = head.strip_prefix("statement error ") {
            let sql = lines[1..].join("\n");
            let want = unescape(msg);
            match run(&sql) {
                Err(e) if e.message == want => {}
                Err(e) => failures.push(format!(
                    "{sql}\n  want error: {want}\n  got error:  {}",
                    e.message
                )),
                Ok((_, rows)) => failures.push(format!(
                    "{sql}\n  want error: {want}\n  got rows:   {rows:?}"
                )),
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
            match run(&sql) {
                Ok((got_letters, rows)) => {
                    if rows != want || got_letters != letters {
                        failures.push(format!(
                            "{sql}\n  want {letters} {want:?}\n  got  {got_letters} {rows:?}"
                        ));
                    }
                }
                Err(e) => failures.push(format!(
                    "{sql}\n  want {want:?}\n  got error {:?}: {}",
                    e.code, e.message
                )),
            }
        }
    }
    assert!(count > 100, "only {count} blocks read");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
