//! The planner: turns a parsed statement into a [`PlannedStmt`] the executor runs.
//!
//! It owns parse analysis (binding sqlparser's AST to relations through a
//! [`catalog::CatalogView`], PostgreSQL's type-resolution rules for literals,
//! operators, functions, casts and assignments, output column names) and, as the
//! project grows, rewriting and optimisation. Today it plans:
//! - `SELECT` over no table or one table (optionally schema-qualified and
//!   aliased) with `WHERE`, aggregates (`count`, `sum`, `avg`, `min`, `max`),
//!   `GROUP BY`, `HAVING`, `ORDER BY`, `LIMIT`/`OFFSET`; `VALUES` lists;
//! - `INSERT ... VALUES | SELECT`, `UPDATE` and `DELETE` of one table, with
//!   defaults, assignment coercion and `RETURNING`.
//!
//! It must never evaluate anything that depends on the session or on time (that is
//! the executor's job: `now()`, `current_user`, timestamptz input in the session zone)
//! and never panic on user input: anything valid in PostgreSQL that is not supported
//! yet (joins, subqueries, ...) fails with 0A000 naming the feature.
//!
//! Entry points: [`plan_statement_in`] (extended protocol: parameter types may be
//! left unspecified and are inferred) and [`plan_simple_query_in`] (no parameters
//! allowed), against a catalog; [`plan_statement`] and [`plan_simple_query`] are
//! the same against [`catalog::EmptyCatalog`]. A [`PlannedStmt`] names the
//! relations to lock ([`PlannedStmt::relations`]) and makes its command tag
//! ([`PlannedStmt::command_tag`]). The typed expression tree is [`expr::Expr`];
//! plans are in [`plan`]; the built-in function catalog is [`analyze::func`].

#![forbid(unsafe_code)]

pub mod analyze;
pub mod catalog;
pub mod expr;
pub mod plan;

pub use catalog::{CatalogView, ColumnDesc, EmptyCatalog, RelationDesc};
pub use expr::{BoolTestKind, Expr};
pub use plan::{AggCall, AggFunc, Aggregate, CommandKind, LockMode, ModifyTable, Plan, RelationLock, SortKey, Source};
use types::PgResult;

/// One output column, as RowDescription reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
}

/// A planned statement: its result shape, its parameters' types, and the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStmt {
    /// The result columns (of the query, or of RETURNING; empty for DML without it).
    pub columns: Vec<Column>,
    /// The type of each `$n`, inferred where the caller gave 0.
    pub param_types: Vec<u32>,
    pub command: CommandKind,
    /// The query; for INSERT the rows to insert; unused (empty) for UPDATE and DELETE.
    pub plan: Plan,
    /// The table modification, for INSERT, UPDATE and DELETE.
    pub modify: Option<ModifyTable>,
    /// Every relation the statement reads or writes, with the lock the backend
    /// must take on it before execution (the strongest mode once per relation).
    pub relations: Vec<RelationLock>,
}

impl PlannedStmt {
    /// The command tag for `processed` rows (returned by SELECT, affected by DML):
    /// `SELECT n`, `INSERT 0 n`, `UPDATE n`, `DELETE n`.
    pub fn command_tag(&self, processed: u64) -> String {
        match self.command {
            CommandKind::Select => format!("SELECT {processed}"),
            CommandKind::Insert => format!("INSERT 0 {processed}"),
            CommandKind::Update => format!("UPDATE {processed}"),
            CommandKind::Delete => format!("DELETE {processed}"),
        }
    }
}

/// Plans a statement against no tables (see [`plan_statement_in`]).
pub fn plan_statement(
    stmt: &sqlparser::ast::Statement,
    query_text: &str,
    param_types: &[u32],
) -> PgResult<PlannedStmt> {
    plan_statement_in(stmt, query_text, param_types, &EmptyCatalog)
}

/// Plans a statement of the simple query protocol against no tables (see
/// [`plan_simple_query_in`]).
pub fn plan_simple_query(stmt: &sqlparser::ast::Statement, query_text: &str) -> PgResult<PlannedStmt> {
    plan_simple_query_in(stmt, query_text, &EmptyCatalog)
}

/// Plans a statement, resolving relation names through `catalog`.
/// `param_types[i]` is the type of `$i+1`, 0 if unspecified; parameters beyond
/// the slice are allowed and inferred, as PostgreSQL's Parse message allows.
/// `query_text` is the text the statement was parsed from, for error positions.
pub fn plan_statement_in(
    stmt: &sqlparser::ast::Statement,
    query_text: &str,
    param_types: &[u32],
    catalog: &dyn CatalogView,
) -> PgResult<PlannedStmt> {
    analyze::Analyzer::new(query_text, param_types, false).with_catalog(catalog).analyze_statement(stmt)
}

/// Plans a statement of the simple query protocol, where `$n` is an error
/// (42P02 `there is no parameter $1`), resolving relation names through `catalog`.
pub fn plan_simple_query_in(
    stmt: &sqlparser::ast::Statement,
    query_text: &str,
    catalog: &dyn CatalogView,
) -> PgResult<PlannedStmt> {
    analyze::Analyzer::new(query_text, &[], true).with_catalog(catalog).analyze_statement(stmt)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;
    use types::oid::*;
    use types::SqlState;

    fn plan(sql: &str, params: &[u32]) -> PgResult<PlannedStmt> {
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
        plan_statement(&stmts[0], sql, params)
    }

    fn cols(sql: &str) -> Vec<(String, u32)> {
        plan(sql, &[]).expect("plans").columns.into_iter().map(|c| (c.name, c.type_oid)).collect()
    }

    fn err(sql: &str) -> types::PgError {
        plan(sql, &[]).expect_err("fails")
    }

    #[test]
    fn column_names_and_types_match_postgres() {
        // names and types from PostgreSQL 15 (\gdesc)
        let c = cols(
            "select 1, 1::bigint, 'a'::character varying, cast(1 as double precision), now()::text, (1+2)::text, \
             true, null, interval '1 day', date '2020-01-01', trim(' a '), position('a' in 'b'), current_user, \
             case when true then 1 end, coalesce(1), greatest(1,2), nullif(1,2), -1, substring('abc' from 1), \
             2147483648, 1.5, 'a', version(), pg_backend_pid(), pg_sleep(0), current_database(), 1 AS x",
        );
        let want: Vec<(&str, u32)> = vec![
            ("?column?", INT4),
            ("int8", INT8),
            ("varchar", VARCHAR),
            ("float8", FLOAT8),
            ("now", TEXT),
            ("text", TEXT),
            ("?column?", BOOL),
            ("?column?", TEXT),
            ("interval", INTERVAL),
            ("date", DATE),
            ("btrim", TEXT),
            ("position", INT4),
            ("current_user", NAME),
            ("case", INT4),
            ("coalesce", INT4),
            ("greatest", INT4),
            ("nullif", INT4),
            ("?column?", INT4),
            ("substring", TEXT),
            ("?column?", INT8),
            ("?column?", NUMERIC),
            ("?column?", TEXT),
            ("version", TEXT),
            ("pg_backend_pid", INT4),
            ("pg_sleep", VOID),
            ("current_database", NAME),
            ("x", INT4),
        ];
        let got: Vec<(&str, u32)> = c.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn type_resolution() {
        assert_eq!(cols("select 1 + 1::int8")[0].1, INT8);
        assert_eq!(cols("select 1 + 1.5")[0].1, NUMERIC);
        assert_eq!(cols("select 1 + 1.5::float8")[0].1, FLOAT8);
        assert_eq!(cols("select 1::int2 + 1::int2")[0].1, INT2);
        assert_eq!(cols("select 'a' || 1")[0].1, TEXT);
        assert_eq!(cols("select abs('1')")[0].1, FLOAT8);
        assert_eq!(cols("select '1' + 2")[0].1, INT4);
        let p = plan("select 123.456::numeric(5,2)", &[]).unwrap();
        assert_eq!(analyze::describe_type(&p.columns[0]), "numeric(5,2)");
    }

    #[test]
    fn errors_carry_code_message_hint_and_position() {
        let e = err("select foo(1)");
        assert_eq!((e.code, e.message.as_str(), e.position), (SqlState::UndefinedFunction, "function foo(integer) does not exist", Some(8)));
        assert_eq!(
            e.hint.as_deref(),
            Some("No function matches the given name and argument types. You might need to add explicit type casts.")
        );
        let e = err("select 'a'::text + 1");
        assert_eq!((e.code, e.message.as_str(), e.position), (SqlState::UndefinedFunction, "operator does not exist: text + integer", Some(18)));
        let e = err("select 'a' + 'b'");
        assert_eq!((e.code, e.position), (SqlState::AmbiguousFunction, Some(12)));
        let e = err("select x");
        assert_eq!((e.code, e.message.as_str(), e.position), (SqlState::UndefinedColumn, "column \"x\" does not exist", Some(8)));
        let e = err("select * from t");
        assert_eq!((e.code, e.message.as_str(), e.position), (SqlState::UndefinedTable, "relation \"t\" does not exist", Some(15)));
        let e = err("select 'abc'::int");
        assert_eq!((e.code, e.position), (SqlState::InvalidTextRepresentation, Some(8)));
        let e = err("select abs('a')");
        assert_eq!((e.message.as_str(), e.position), ("invalid input syntax for type double precision: \"a\"", Some(12)));
        let e = err("select case when true then 1 else 'a'::text end");
        assert_eq!((e.code, e.position), (SqlState::DatatypeMismatch, Some(28)));
        let e = err("select now() + 1");
        assert_eq!(e.position, Some(14));
        let e = err("select extract(year from now())");
        assert_eq!(e.code, SqlState::FeatureNotSupported);
    }

    #[test]
    fn parameters_are_inferred() {
        assert_eq!(plan("select $1 + 1", &[]).unwrap().param_types, vec![INT4]);
        assert_eq!(plan("select $1", &[]).unwrap().param_types, vec![TEXT]);
        assert_eq!(plan("select $1::int8, $2", &[0, INT4]).unwrap().param_types, vec![INT8, INT4]);
        let e = plan("select $1 is null", &[]).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (SqlState::IndeterminateDatatype, "could not determine data type of parameter $1"));
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, "select $1").unwrap();
        let e = plan_simple_query(&stmts[0], "select $1").unwrap_err();
        assert_eq!((e.code, e.message.as_str(), e.position), (SqlState::UndefinedParameter, "there is no parameter $1", Some(8)));
    }
}
