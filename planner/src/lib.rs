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
pub mod deparse;
pub mod explain;
pub mod expr;
pub mod fold;
pub mod indexpath;
pub mod inherit;
pub mod joinorder;
pub mod joinpath;
pub mod plan;
pub mod selfuncs;
pub mod settings;
pub mod subselect;
pub mod tidpath;

pub use analyze::viewdef::{stored_view_query, view_definition};
pub use catalog::{
    AggregateDesc, CatalogView, ColumnDesc, EmptyCatalog, FunctionDesc, FunctionLanguage,
    IndexDesc, OperatorDesc, Partitioning, RelationDesc, SYSTEM_COLUMNS, TriggerDesc,
    VariableResolver, mentions_system_column,
};
pub use expr::{BoolTestKind, Expr};
pub use plan::{
    AggCall, AggFunc, Aggregate, Bitmap, ColumnUse, CommandKind, IndexBound, IndexScan, Join,
    JoinInput, JoinKind, LockMode, ModifyTable, ModifyingCte, MovingAggregate, OnConflictAction,
    OnConflictPlan, ParamIndexScan, Plan, RecursiveUnion, RelationLock, RowLockMode, RowLockWait,
    RowMark, Series, SetOp, SetOpKind, SortKey, Source, UserAggregate,
};
pub use plan::{
    FrameBound, FrameExclusion, FrameMode, WindowFrame, WindowFunc, WindowKind, WindowPlan,
};
pub use plan::{MergeAction, MergeActionKind, MergePlan, RegrKind};
pub use plan::{ModifyScan, TidScan, TidScanKind, TidValue};
use types::PgResult;

/// One output column, as RowDescription reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Column {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
    /// The table the column comes straight from (0 if none): PostgreSQL's
    /// `resorigtbl`, RowDescription's table OID.
    pub table_oid: u32,
    /// Its attribute number there (0 if none): `resorigcol`.
    pub column_id: i16,
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
    /// A CALL (see `analyze::call`): for each OUT / INOUT argument of the
    /// procedure, the index of the call argument that gives it (None: its
    /// default). Its plan makes one row: the output arguments, or one
    /// `void` column for a procedure without any.
    pub call: Option<Vec<Option<usize>>>,
    /// The data-modifying statements of the top-level WITH, in the order
    /// written: the executor runs them before `plan` / `modify`.
    pub modifying_ctes: Vec<ModifyingCte>,
    /// The user functions and procedures the statement calls (SQL ones
    /// expanded in place included, and those they call): the current
    /// user needs EXECUTE on each, checked with the relations' privileges.
    pub functions: Vec<u32>,
}

impl PlannedStmt {
    /// The command tag for `processed` rows (returned by SELECT, affected by DML):
    /// `SELECT n`, `INSERT 0 n`, `UPDATE n`, `DELETE n`.
    pub fn command_tag(&self, processed: u64) -> String {
        if self.call.is_some() {
            return "CALL".into();
        }
        match self.command {
            CommandKind::Select => format!("SELECT {processed}"),
            CommandKind::Insert => format!("INSERT 0 {processed}"),
            CommandKind::Update => format!("UPDATE {processed}"),
            CommandKind::Delete => format!("DELETE {processed}"),
            CommandKind::Merge => format!("MERGE {processed}"),
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
pub fn plan_simple_query(
    stmt: &sqlparser::ast::Statement,
    query_text: &str,
) -> PgResult<PlannedStmt> {
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
    analyze::Analyzer::new(query_text, param_types, false)
        .with_catalog(catalog)
        .analyze_statement(stmt)
}

/// Plans a statement of a PL/pgSQL function's body: names that are no
/// column resolve through `variables` to parameters (whose types it gives;
/// `param_types` are those known in advance).
pub fn plan_statement_with_variables(
    stmt: &sqlparser::ast::Statement,
    query_text: &str,
    param_types: &[u32],
    catalog: &dyn CatalogView,
    variables: &dyn catalog::VariableResolver,
) -> PgResult<PlannedStmt> {
    analyze::Analyzer::new(query_text, param_types, false)
        .with_catalog(catalog)
        .with_variables(variables)
        .analyze_statement(stmt)
}

/// The first `OF` names that carry `FOR NO KEY UPDATE` and `FOR KEY SHARE`
/// through sqlparser, which knows only FOR UPDATE and FOR SHARE (the
/// backend's pre-parser writes them; a control character keeps users from
/// writing one).
pub const KEY_LOCK_MARKERS: [&str; 2] = ["\u{1}no key", "\u{1}key"];

/// The function the raw parser (`backend::syntax`) wraps the argument of a
/// call's `VARIADIC expr` in: the array passed as the VARIADIC parameter
/// itself. The analyzer unwraps it and sets `Analyzer::variadic_call`.
pub const VARIADIC_MARKER: &str = "\u{1}variadic";

/// The start of the quoted window name that carries a frame's `EXCLUDE
/// CURRENT ROW | GROUP | TIES` through sqlparser, which has no EXCLUDE: the
/// backend's pre-parser writes the marker, the exclusion, a `\u{1}` and
/// the window's own name (empty when it has none).
pub const WINDOW_EXCLUDE_MARKER: &str = "\u{1}exclude ";

/// Parses the SQL text of a stored expression (`what` names it in the
/// 42601 of one that does not parse).
pub(crate) fn parse_stored_expr(text: &str, what: &str) -> PgResult<sqlparser::ast::Expr> {
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| {
            types::PgError::new(
                types::SqlState::SyntaxError,
                format!("{what} does not parse: {e}"),
            )
        })
}

/// An analyzer of an expression stored with `rel` (its SQL text): the
/// relation's columns in scope, aggregates and window functions refused
/// as in `forbidden` ("index expressions", ...), no parameters.
fn stored_expr_analyzer<'a>(
    rel: std::sync::Arc<RelationDesc>,
    text: &'a str,
    forbidden: &'static str,
) -> analyze::Analyzer<'a> {
    let mut a = analyze::Analyzer::new(text, &[], true);
    a.agg_forbidden = Some(forbidden);
    a.set_scope(analyze::RangeEntry {
        refname: rel.name.clone(),
        rel,
        has_alias: false,
    });
    a
}

/// An error about stored text, which has no position in the statement.
fn unpositioned(mut e: types::PgError) -> types::PgError {
    e.position = None;
    e
}

/// Analyzes the SQL text of an index expression or predicate (`lower(email)`,
/// `deleted IS NULL`) over the columns of `rel`: no parameters, aggregates
/// or subqueries. Column references become `Var`s of `rel`'s full-width rows.
pub fn analyze_index_expression(rel: std::sync::Arc<RelationDesc>, text: &str) -> PgResult<Expr> {
    let parsed = parse_stored_expr(text, "index expression")?;
    stored_expr_analyzer(rel, text, "index expressions")
        .transform(&parsed)
        .map_err(unpositioned)
}

/// Analyzes the expression of a CHECK constraint of `rel` (SQL text): a
/// boolean expression over the row, without subqueries or aggregates.
pub fn analyze_check_expression(rel: std::sync::Arc<RelationDesc>, text: &str) -> PgResult<Expr> {
    use types::{PgError, SqlState};
    let parsed = parse_stored_expr(text, "check constraint")?;
    let mut a = stored_expr_analyzer(rel, text, "check constraints");
    let x = a.transform(&parsed).map_err(unpositioned)?;
    let mut subquery = false;
    x.walk(&mut |e| subquery |= matches!(e, Expr::SubPlan { .. }));
    if subquery {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "cannot use subquery in check constraint",
        ));
    }
    a.coerce_bool(x, "CHECK", None).map_err(unpositioned)
}

/// Analyzes a row-level security policy's USING or WITH CHECK expression
/// over `rel` (SQL text), as CREATE POLICY checks it: boolean ("argument
/// of POLICY must be type boolean"), no aggregates or window functions.
pub fn analyze_policy_expression(
    rel: std::sync::Arc<RelationDesc>,
    text: &str,
    catalog: &dyn CatalogView,
) -> PgResult<Expr> {
    let parsed = parse_stored_expr(text, "policy expression")?;
    let mut a = stored_expr_analyzer(rel, text, "policy expressions").with_catalog(catalog);
    let x = a.transform(&parsed).map_err(unpositioned)?;
    a.coerce_bool(x, "POLICY", None).map_err(unpositioned)
}

/// Analyzes an expression of a CREATE STATISTICS over `rel` (SQL text):
/// no aggregates or window functions.
pub fn analyze_statistics_expression(
    rel: std::sync::Arc<RelationDesc>,
    text: &str,
    catalog: &dyn CatalogView,
) -> PgResult<Expr> {
    let parsed = parse_stored_expr(text, "statistics expression")?;
    stored_expr_analyzer(rel, text, "statistics expressions")
        .with_catalog(catalog)
        .transform(&parsed)
        .map_err(unpositioned)
}

/// Analyzes the generation expression of stored generated column
/// `column` of `rel` (SQL text from `pg_attrdef`): an immutable expression
/// over the row's other, non-generated columns, coerced to the column's
/// type (PostgreSQL's `cookDefault` and `check_nested_generated` rules).
/// Errors carry no position: the text is not the statement's.
pub fn analyze_generation_expression(
    rel: std::sync::Arc<RelationDesc>,
    text: &str,
    column: usize,
    catalog: &dyn CatalogView,
) -> PgResult<Expr> {
    use std::ops::ControlFlow;
    use types::{PgError, SqlState};
    let parsed = parse_stored_expr(text, "generation expression")?;
    let col = rel
        .columns
        .get(column)
        .cloned()
        .ok_or_else(|| PgError::internal("generated column beyond the relation"))?;
    // References PostgreSQL refuses before it looks at types: generated
    // columns (the column itself too), system columns other than tableoid,
    // and the whole row, which holds the column itself.
    let mut refused = None;
    let _ = sqlparser::ast::visit_expressions(&parsed, |e| {
        let name = match e {
            sqlparser::ast::Expr::Identifier(id) => Some(id),
            sqlparser::ast::Expr::CompoundIdentifier(parts) => parts.last(),
            _ => None,
        };
        let Some(id) = name else {
            return ControlFlow::Continue(());
        };
        let name = if id.quote_style.is_some() {
            id.value.clone()
        } else {
            id.value.to_lowercase()
        };
        let found = rel.columns.iter().find(|c| !c.dropped && c.name == name);
        refused = match found {
            Some(c) if c.generated != '\0' => Some(
                PgError::new(
                    SqlState::InvalidObjectDefinition,
                    format!(
                        "cannot use generated column \"{name}\" in column generation expression"
                    ),
                )
                .with_detail("A generated column cannot reference another generated column."),
            ),
            Some(_) => None,
            None if matches!(name.as_str(), "ctid" | "xmin" | "xmax" | "cmin" | "cmax") => {
                Some(PgError::new(
                    SqlState::InvalidObjectDefinition,
                    format!("cannot use system column \"{name}\" in column generation expression"),
                ))
            }
            None if name == rel.name && matches!(e, sqlparser::ast::Expr::Identifier(_)) => Some(
                PgError::new(
                    SqlState::InvalidObjectDefinition,
                    "cannot use whole-row variable in column generation expression",
                )
                .with_detail("This would cause the generated column to depend on its own value."),
            ),
            None => None,
        };
        match refused {
            Some(_) => ControlFlow::Break(()),
            None => ControlFlow::Continue(()),
        }
    });
    if let Some(e) = refused {
        return Err(e);
    }
    let mut a =
        stored_expr_analyzer(rel, text, "column generation expressions").with_catalog(catalog);
    let x = a.transform(&parsed).map_err(unpositioned)?;
    let (mut subquery, mut volatile) = (false, false);
    x.walk(&mut |e| match e {
        Expr::SubPlan { .. } => subquery = true,
        Expr::Call { func, .. }
            if expr::is_volatile_function(func)
                || matches!(
                    *func,
                    "now" | "statement_timestamp" | "transaction_timestamp" | "current_setting"
                ) =>
        {
            volatile = true
        }
        Expr::UserCall { volatile: true, .. } => volatile = true,
        _ => {}
    });
    if subquery {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "cannot use subquery in column generation expression",
        ));
    }
    if volatile {
        return Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            "generation expression is not immutable",
        ));
    }
    a.assign(x, &col, None).map_err(unpositioned)
}

/// Analyzes a stored expression of `rel` (SQL text: a default, CHECK or
/// index expression) to print it with [`deparse::deparse_expr`]: a
/// default is assigned to its column (`column`), as when it was stored.
pub fn analyze_stored_expression(
    rel: std::sync::Arc<RelationDesc>,
    text: &str,
    column: Option<usize>,
    catalog: &dyn CatalogView,
) -> PgResult<Expr> {
    let parsed = parse_stored_expr(text, "stored expression")?;
    let mut a = analyze::Analyzer::new(text, &[], true).with_catalog(catalog);
    let col = column.and_then(|i| rel.columns.get(i).cloned());
    a.set_scope(analyze::RangeEntry {
        refname: rel.name.clone(),
        rel,
        has_alias: false,
    });
    let x = a.transform(&parsed)?;
    match col {
        Some(c) => a.assign(x, &c, None),
        None => Ok(x),
    }
}

/// Plans a statement of the simple query protocol, where `$n` is an error
/// (42P02 `there is no parameter $1`), resolving relation names through `catalog`.
pub fn plan_simple_query_in(
    stmt: &sqlparser::ast::Statement,
    query_text: &str,
    catalog: &dyn CatalogView,
) -> PgResult<PlannedStmt> {
    analyze::Analyzer::new(query_text, &[], true)
        .with_catalog(catalog)
        .analyze_statement(stmt)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;
    use types::SqlState;
    use types::oid::*;

    fn plan(sql: &str, params: &[u32]) -> PgResult<PlannedStmt> {
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
        plan_statement(&stmts[0], sql, params)
    }

    fn cols(sql: &str) -> Vec<(String, u32)> {
        plan(sql, &[])
            .expect("plans")
            .columns
            .into_iter()
            .map(|c| (c.name, c.type_oid))
            .collect()
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
             2147483648, 1.5, 'a', version(), pg_backend_pid(), pg_sleep(0), current_database(), 1 AS x, \
             substr('abc', 1), extract(year from date '2020-01-01'), date_trunc('day', now())",
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
            ("substr", TEXT),
            ("extract", NUMERIC),
            ("date_trunc", TIMESTAMPTZ),
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
        assert_eq!(
            (e.code, e.message.as_str(), e.position),
            (
                SqlState::UndefinedFunction,
                "function foo(integer) does not exist",
                Some(8)
            )
        );
        assert_eq!(
            e.hint.as_deref(),
            Some(
                "No function matches the given name and argument types. You might need to add explicit type casts."
            )
        );
        let e = err("select 'a'::text + 1");
        assert_eq!(
            (e.code, e.message.as_str(), e.position),
            (
                SqlState::UndefinedFunction,
                "operator does not exist: text + integer",
                Some(18)
            )
        );
        let e = err("select 'a' + 'b'");
        assert_eq!(
            (e.code, e.position),
            (SqlState::AmbiguousFunction, Some(12))
        );
        let e = err("select x");
        assert_eq!(
            (e.code, e.message.as_str(), e.position),
            (
                SqlState::UndefinedColumn,
                "column \"x\" does not exist",
                Some(8)
            )
        );
        let e = err("select * from t");
        assert_eq!(
            (e.code, e.message.as_str(), e.position),
            (
                SqlState::UndefinedTable,
                "relation \"t\" does not exist",
                Some(15)
            )
        );
        let e = err("select 'abc'::int");
        assert_eq!(
            (e.code, e.position),
            (SqlState::InvalidTextRepresentation, Some(8))
        );
        let e = err("select abs('a')");
        assert_eq!(
            (e.message.as_str(), e.position),
            (
                "invalid input syntax for type double precision: \"a\"",
                Some(12)
            )
        );
        let e = err("select case when true then 1 else 'a'::text end");
        assert_eq!((e.code, e.position), (SqlState::DatatypeMismatch, Some(28)));
        let e = err("select now() + 1");
        assert_eq!(e.position, Some(14));
        let e = err("select 'abc' like any (array['a%']) escape '#'");
        assert_eq!(e.code, SqlState::FeatureNotSupported);
    }

    #[test]
    fn parameters_are_inferred() {
        assert_eq!(plan("select $1 + 1", &[]).unwrap().param_types, vec![INT4]);
        assert_eq!(plan("select $1", &[]).unwrap().param_types, vec![TEXT]);
        assert_eq!(
            plan("select $1::int8, $2", &[0, INT4]).unwrap().param_types,
            vec![INT8, INT4]
        );
        let e = plan("select $1 is null", &[]).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                SqlState::IndeterminateDatatype,
                "could not determine data type of parameter $1"
            )
        );
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, "select $1").unwrap();
        let e = plan_simple_query(&stmts[0], "select $1").unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str(), e.position),
            (
                SqlState::UndefinedParameter,
                "there is no parameter $1",
                Some(8)
            )
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod table_tests {
    use std::sync::Arc;

    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;
    use types::SqlState;
    use types::oid::*;

    use super::*;

    /// A catalog with `public.t (a int NOT NULL, b text DEFAULT 'x', <dropped>, c varchar(3), n bigint)`.
    struct Fake;

    impl CatalogView for Fake {
        fn lookup_relation(
            &self,
            schema: Option<&str>,
            name: &str,
        ) -> PgResult<Option<Arc<RelationDesc>>> {
            if name != "t" || schema.is_some_and(|s| s != "public") {
                return Ok(None);
            }
            let col = |name: &str, type_oid, typmod, attnum| ColumnDesc {
                name: name.into(),
                type_oid,
                typmod,
                not_null: false,
                default: None,
                attnum,
                dropped: false,
                identity: '\0',
                generated: '\0',
            };
            let columns = vec![
                ColumnDesc {
                    not_null: true,
                    ..col("a", INT4, -1, 1)
                },
                ColumnDesc {
                    default: Some("'x'".into()),
                    ..col("b", TEXT, -1, 2)
                },
                ColumnDesc {
                    dropped: true,
                    ..col("........pg.dropped.3........", INT4, -1, 3)
                },
                col("c", VARCHAR, 7, 4),
                col("n", INT8, -1, 5),
            ];
            // (a) unique, and (c, n DESC).
            let indexes = vec![
                IndexDesc {
                    oid: 20001,
                    name: "t_pkey".into(),
                    columns: vec![0],
                    descending: vec![false],
                    nulls_first: vec![false],
                    unique: true,
                    stored: vec![0],
                    exprs: vec![None],
                    predicate: None,
                },
                IndexDesc {
                    oid: 20002,
                    name: "t_c_n".into(),
                    columns: vec![3, 4],
                    descending: vec![false, true],
                    nulls_first: vec![false, true],
                    unique: false,
                    stored: vec![3, 4],
                    exprs: vec![None, None],
                    predicate: None,
                },
            ];
            let mut rel = RelationDesc {
                oid: 16384,
                name: "t".into(),
                schema: "public".into(),
                relkind: 'r',
                columns,
                indexes,
                checks: Default::default(),
                generated: Default::default(),
                view_query: None,
                alias: None,
                children: Vec::new(),
                partitioning: None,
                partition_check: None,
                triggers: Default::default(),
                stats: Default::default(),
                system_columns: false,
            };
            // (lower(b)) WHERE n > 0, analyzed as the backend does.
            let bare = Arc::new(rel.clone());
            rel.indexes.push(IndexDesc {
                oid: 20003,
                name: "t_lower_b".into(),
                columns: vec![usize::MAX],
                descending: vec![false],
                nulls_first: vec![false],
                unique: false,
                stored: vec![],
                exprs: vec![Some(analyze_index_expression(bare.clone(), "lower(b)")?)],
                predicate: Some(analyze_index_expression(bare, "n > 0")?),
            });
            Ok(Some(Arc::new(rel)))
        }
    }

    fn plan(sql: &str) -> PgResult<PlannedStmt> {
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
        plan_statement_in(&stmts[0], sql, &[], &Fake)
    }

    fn cols(sql: &str) -> Vec<(String, u32, i32)> {
        plan(sql)
            .unwrap()
            .columns
            .into_iter()
            .map(|c| (c.name, c.type_oid, c.typmod))
            .collect()
    }

    fn err(sql: &str) -> (SqlState, String, Option<usize>) {
        let e = plan(sql).expect_err("fails");
        (e.code, e.message, e.position)
    }

    #[test]
    fn a_scan_decodes_only_the_columns_the_query_reads() {
        let needed = |sql: &str| plan(sql).unwrap().plan.source_columns_needed();
        assert_eq!(needed("select count(*) from t"), 0);
        assert_eq!(needed("select a from t"), 1);
        assert_eq!(needed("select a from t where n > 0"), 5);
        assert_eq!(needed("select sum(n) from t group by b"), 5);
        assert_eq!(
            needed("select b, count(*) from t group by b having count(*) > 1"),
            2
        );
        assert_eq!(needed("select 1 from t order by c"), 4);
        assert_eq!(needed("select * from t"), 5);
    }

    #[test]
    fn index_scans_are_chosen_by_the_rule() {
        let scan = |sql: &str| match plan(sql).unwrap().plan.source {
            Source::IndexScan(_, s) => Some(s),
            _ => None,
        };
        let s = scan("select * from t where a = 5").expect("equality on the key");
        assert_eq!(
            (
                s.index_oid,
                s.lower.as_ref().map(|b| b.inclusive),
                s.upper.as_ref().map(|b| b.inclusive)
            ),
            (20001, Some(true), Some(true))
        );
        assert!(
            scan("select * from t where 5 = a and b = 'x'").is_some(),
            "commuted, with another condition"
        );
        assert!(
            scan("select * from t where a > 5").is_none(),
            "a one-sided range on the first column is a seqscan"
        );
        let s = scan("select * from t where a > 5 and a <= 9").expect("two-sided range");
        assert_eq!(
            (s.lower.unwrap().inclusive, s.upper.unwrap().inclusive),
            (false, true)
        );
        // The second column is DESC: a lower bound in value order is an upper one in index order.
        let s = scan("select * from t where c = 'ab' and n > 3").expect("equality then range");
        assert_eq!(s.index_oid, 20002);
        assert_eq!(s.lower.unwrap().values.len(), 1);
        assert_eq!(s.upper.unwrap().values.len(), 2);
        let s = scan("select * from t where a in (1, 2, 3)").expect("IN list");
        assert_eq!(s.in_list.len(), 3);
        assert!(
            scan("select * from t where a in (1, 2) or b = 'x'").is_none(),
            "an OR over two columns"
        );
        assert!(
            scan("select * from t where n = 1").is_none(),
            "not a first key column"
        );
        assert!(
            scan("select * from t where a + 0 = 1").is_none(),
            "an expression of the column"
        );
        assert!(
            scan("select * from t where n = 1::int4").is_none(),
            "a cross-type comparison casts the column"
        );
        // ORDER BY an index's columns: no sort; with LIMIT even without WHERE.
        let p = plan("select * from t order by a limit 5").unwrap();
        assert!(
            matches!(&p.plan.source, Source::IndexScan(_, s) if s.index_oid == 20001)
                && p.plan.order_by.is_empty()
        );
        let p = plan("select * from t order by a").unwrap();
        assert!(
            matches!(&p.plan.source, Source::SeqScan(_)) && !p.plan.order_by.is_empty(),
            "no LIMIT: seqscan and sort"
        );
        let p = plan("select * from t where c = 'x' order by n desc limit 1").unwrap();
        assert!(
            matches!(&p.plan.source, Source::IndexScan(_, s) if s.index_oid == 20002)
                && p.plan.order_by.is_empty(),
            "after an equality"
        );
        let p = plan("select * from t order by a desc limit 5").unwrap();
        assert!(
            matches!(&p.plan.source, Source::IndexScan(_, s) if s.backward)
                && p.plan.order_by.is_empty(),
            "a backward scan"
        );
        let p = plan("select * from t order by a desc nulls last limit 5").unwrap();
        assert!(
            !p.plan.order_by.is_empty(),
            "DESC NULLS LAST is neither direction of an ASC NULLS LAST index"
        );
        let p = plan("select * from t where a in (3, 1) order by a limit 5").unwrap();
        assert!(
            !p.plan.order_by.is_empty(),
            "IN-list probes come in value order, which is kept sorted"
        );
        // An OR whose every arm an index serves: a BitmapOr.
        let bitmap = |sql: &str| match plan(sql).unwrap().plan.source {
            Source::Bitmap(_, b) => Some(b),
            _ => None,
        };
        let shape = |b: &Bitmap| -> String {
            fn go(b: &Bitmap) -> String {
                match b {
                    Bitmap::Index(s) => s.index_oid.to_string(),
                    Bitmap::Or(p) => {
                        format!("or({})", p.iter().map(go).collect::<Vec<_>>().join(","))
                    }
                    Bitmap::And(p) => {
                        format!("and({})", p.iter().map(go).collect::<Vec<_>>().join(","))
                    }
                }
            }
            go(b)
        };
        let b = bitmap("select * from t where a = 1 or c = 'x'").expect("bitmap");
        assert_eq!(shape(&b), "or(20001,20002)");
        let b = bitmap("select * from t where b = 'y' and (a = 1 or a = 7 or c = 'x')")
            .expect("bitmap");
        assert_eq!(shape(&b), "or(20001,20001,20002)");
        // Equalities that different indexes serve: a BitmapAnd, unless one
        // scan finds a single row; a partial index counts when the whole
        // WHERE implies its predicate.
        let b =
            bitmap("select * from t where c = 'x' and lower(b) = 'y' and n > 0").expect("bitmap");
        assert_eq!(shape(&b), "and(20002,20003)");
        let b = bitmap("select * from t where (a = 1 or c = 'z') and lower(b) = 'y' and n > 0")
            .expect("bitmap");
        assert_eq!(shape(&b), "and(20003,or(20001,20002))");
        assert!(
            bitmap("select * from t where (a = 1 or a = 2) and c = 'x'").is_none(),
            "an IN list on a unique key finds a row per value"
        );
        assert!(
            bitmap("select * from t where a = 1 and c = 'x'").is_none(),
            "a is unique"
        );
        assert!(
            bitmap(
                "select * from t where c = 'x' and lower(b) = 'y' and n > 0 order by n desc limit 3"
            )
            .is_none(),
            "the first rows in the order of (c, n DESC) come from that index alone"
        );
        assert!(
            bitmap("select * from t where c = 'x' and lower(b) = 'y' and n > 0 order by n desc")
                .is_some(),
            "without a LIMIT every row is read anyway"
        );
        assert!(
            bitmap("select * from t where c = 'x' and lower(b) = 'y'").is_none(),
            "n > 0 not implied"
        );
        assert!(
            bitmap("select * from t where c = 'x' and lower(b) = 'y' and n > 0 for update")
                .is_none(),
            "rows to lock come through one index scan"
        );
        let p = plan("select * from t where a = 1 or b = 'x'").unwrap();
        assert!(
            matches!(&p.plan.source, Source::SeqScan(_)),
            "b has no index"
        );
        // LIKE with a fixed prefix: a range of an index on the column.
        assert!(scan("select * from t where c like 'ab%'").is_some());
        assert!(scan("select * from t where c like '%ab'").is_none());
        // An expression index, usable when WHERE implies its predicate.
        let s = scan("select * from t where lower(b) = 'x' and n > 0").expect("expression index");
        assert_eq!(s.index_oid, 20003);
        assert!(
            scan("select * from t where lower(b) = 'x'").is_none(),
            "the predicate is not implied"
        );
        assert!(
            scan("select * from t where upper(b) = 'x' and n > 0").is_none(),
            "another expression"
        );
        // Index-only: every column read is in the index.
        let only = |sql: &str| matches!(plan(sql).unwrap().plan.source, Source::IndexScan(_, s) if s.index_only);
        assert!(only("select a from t where a = 1"));
        assert!(only("select count(*) from t where a between 1 and 5"));
        assert!(only("select c, n from t where c = 'x' and n > 1"));
        assert!(
            !only("select b from t where a = 1"),
            "b is not in the index"
        );
        assert!(
            !only("select a from t where a = 1 for update"),
            "row locks need the heap"
        );
        let p = plan("update t set b = 'y' where a = 1").unwrap();
        assert!(matches!(
            p.modify,
            Some(ModifyTable::Update { scan: Some(_), .. })
        ));
        let p = plan("delete from t where c = 'z'").unwrap();
        assert!(matches!(
            p.modify,
            Some(ModifyTable::Delete { scan: Some(_), .. })
        ));
    }

    #[test]
    fn star_skips_dropped_columns_and_keeps_typmods() {
        let c = cols("select * from t");
        let want: Vec<(String, u32, i32)> = vec![
            ("a".into(), INT4, -1),
            ("b".into(), TEXT, -1),
            ("c".into(), VARCHAR, 7),
            ("n".into(), INT8, -1),
        ];
        assert_eq!(c, want);
        assert_eq!(cols("select x.*, x.a as z from public.t as x").len(), 5);
        let p = plan("select c from t").unwrap();
        assert_eq!(
            p.plan.targets,
            vec![Expr::Var {
                index: 3,
                type_oid: VARCHAR,
                typmod: 7
            }]
        );
        assert!(matches!(&p.plan.source, Source::SeqScan(r) if r.name == "t"));
    }

    #[test]
    fn aggregate_result_types_match_postgres() {
        let c: Vec<u32> = cols("select count(*), count(b), sum(a), sum(n), avg(a), avg(n), min(c), max(b), sum(1.5), avg(1.5::float4) from t")
            .into_iter()
            .map(|c| c.1)
            .collect();
        assert_eq!(
            c,
            vec![
                INT8, INT8, INT8, NUMERIC, NUMERIC, NUMERIC, TEXT, TEXT, NUMERIC, FLOAT8
            ]
        );
        let names: Vec<String> = cols("select count(*), sum(a), max(b) from t")
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(names, vec!["count", "sum", "max"]);
    }

    #[test]
    fn relations_and_locks_and_tags() {
        let p = plan("select a from t").unwrap();
        assert_eq!(
            (p.relations.len(), p.relations[0].mode, p.command_tag(3)),
            (1, LockMode::AccessShare, "SELECT 3".into())
        );
        let p = plan("insert into t (a) select a from t").unwrap();
        assert_eq!(
            p.relations.len(),
            1,
            "one entry per relation, the strongest lock"
        );
        assert_eq!(
            (p.relations[0].mode, p.command_tag(2)),
            (LockMode::RowExclusive, "INSERT 0 2".into())
        );
        let p = plan("update t set a = 1").unwrap();
        assert_eq!(
            (p.relations[0].mode, p.command_tag(0)),
            (LockMode::RowExclusive, "UPDATE 0".into())
        );
        let p = plan("delete from t").unwrap();
        assert_eq!(
            (p.relations[0].mode, p.command_tag(1)),
            (LockMode::RowExclusive, "DELETE 1".into())
        );
        assert!(plan("select 1").unwrap().relations.is_empty());
    }

    #[test]
    fn insert_fills_defaults_and_nulls_full_width() {
        let p = plan("insert into t (c, a) values ('ab', 1)").unwrap();
        let Source::Values(rows) = &p.plan.source else {
            panic!("values")
        };
        assert_eq!(rows[0].len(), 5, "full width, dropped column included");
        assert_eq!(
            rows[0][0],
            Expr::Const {
                value: Datum::Int4(1),
                type_oid: INT4
            }
        );
        assert_eq!(
            rows[0][1],
            Expr::Const {
                value: Datum::Text("x".into()),
                type_oid: TEXT
            }
        );
        assert_eq!(
            rows[0][2],
            Expr::Const {
                value: Datum::Null,
                type_oid: INT4
            }
        );
        assert_eq!(
            rows[0][4],
            Expr::Const {
                value: Datum::Null,
                type_oid: INT8
            }
        );
        assert!(matches!(p.modify, Some(ModifyTable::Insert { .. })));
        assert!(p.columns.is_empty());
        // parameters take the column's type
        let stmts = Parser::parse_sql(
            &PostgreSqlDialect {},
            "insert into t (n, a) values ($1, $2)",
        )
        .unwrap();
        let p = plan_statement_in(
            &stmts[0],
            "insert into t (n, a) values ($1, $2)",
            &[],
            &Fake,
        )
        .unwrap();
        assert_eq!(p.param_types, vec![INT8, INT4]);
    }

    use types::Datum;

    #[test]
    fn errors_carry_positions_like_postgres() {
        // positions from PostgreSQL 15 (\set VERBOSITY verbose)
        assert_eq!(
            err("select zz from t"),
            (
                SqlState::UndefinedColumn,
                "column \"zz\" does not exist".into(),
                Some(8)
            )
        );
        assert_eq!(
            err("select x.zz from t x"),
            (
                SqlState::UndefinedColumn,
                "column x.zz does not exist".into(),
                Some(8)
            )
        );
        assert_eq!(
            err("select * from nosuch"),
            (
                SqlState::UndefinedTable,
                "relation \"nosuch\" does not exist".into(),
                Some(15)
            )
        );
        assert_eq!(
            err("select * from other.t"),
            (
                SqlState::UndefinedTable,
                "relation \"other.t\" does not exist".into(),
                Some(15)
            )
        );
        assert_eq!(
            err("select t.a from t x"),
            (
                SqlState::UndefinedTable,
                "invalid reference to FROM-clause entry for table \"t\"".into(),
                Some(8)
            )
        );
        assert_eq!(
            err("select b, count(*) from t"),
            (
                SqlState::GroupingError,
                "column \"t.b\" must appear in the GROUP BY clause or be used in an aggregate function".into(),
                Some(8)
            )
        );
        assert_eq!(
            err("select a + 1, count(*) from t group by a + 2 order by b"),
            (
                SqlState::GroupingError,
                "column \"t.a\" must appear in the GROUP BY clause or be used in an aggregate function".into(),
                Some(8)
            )
        );
        assert_eq!(
            err("select a + 1 from t group by a + 1 order by n").2,
            Some(45)
        );
        assert_eq!(
            err("select count(*) from t group by count(*)"),
            (
                SqlState::GroupingError,
                "aggregate functions are not allowed in GROUP BY".into(),
                Some(33)
            )
        );
        assert_eq!(err("select sum(count(*)) from t").2, Some(12));
        assert_eq!(err("select 1 from t where max(a) > 1").2, Some(23));
        let e = plan("insert into t values (true)").unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str(), e.position, e.hint.as_deref()),
            (
                SqlState::DatatypeMismatch,
                "column \"a\" is of type integer but expression is of type boolean",
                Some(23),
                Some("You will need to rewrite or cast the expression.")
            )
        );
        assert_eq!(
            err("insert into t (a, a) values (1, 2)"),
            (
                SqlState::DuplicateColumn,
                "column \"a\" specified more than once".into(),
                Some(19)
            )
        );
        assert_eq!(err("insert into t (a) values (1, 2)").2, Some(30));
        assert_eq!(err("insert into t (a, b) values (1)").2, Some(19));
        assert_eq!(
            err("update t set zz = 1"),
            (
                SqlState::UndefinedColumn,
                "column \"zz\" of relation \"t\" does not exist".into(),
                Some(14)
            )
        );
        assert_eq!(err("update t set a = true").2, Some(18));
        assert_eq!(
            err("insert into t values ('x')"),
            (
                SqlState::InvalidTextRepresentation,
                "invalid input syntax for type integer: \"x\"".into(),
                Some(23)
            )
        );
        assert_eq!(
            err("select a from t limit a"),
            (
                SqlState::InvalidColumnReference,
                "argument of LIMIT must not contain variables".into(),
                Some(23)
            )
        );
        assert_eq!(err("select a from t offset 1 + n").2, Some(28));
        assert_eq!(
            err("select a from t limit count(*)"),
            (
                SqlState::GroupingError,
                "aggregate functions are not allowed in LIMIT".into(),
                Some(23)
            )
        );
        // PostgreSQL analyzes UPDATE's RETURNING before its SET list
        assert_eq!(
            err("update t set zz = 1 returning yy"),
            (
                SqlState::UndefinedColumn,
                "column \"yy\" does not exist".into(),
                Some(31)
            )
        );
        assert_eq!(
            err("insert into t values (1), (1, 2)"),
            (
                SqlState::SyntaxError,
                "VALUES lists must all be the same length".into(),
                Some(28)
            )
        );
        assert_eq!(
            err("update t set a = 1, a = 2").1,
            "multiple assignments to same column \"a\""
        );
        assert_eq!(
            err("select * from t full join t u on t.a < u.a").0,
            SqlState::FeatureNotSupported
        );
    }

    #[test]
    fn join_conditions_go_where_their_columns_are() {
        let var = |index: usize| Expr::Var {
            index,
            type_oid: types::oid::INT4,
            typmod: -1,
        };
        // WHERE: the equality hashes (and an index of the right side
        // serves it); a condition on one side filters that side.
        let p = plan("select * from t, t u where t.a = u.a and u.n > 5").unwrap();
        let Source::Join(j) = &p.plan.source else {
            panic!("no join: {:?}", p.plan.source)
        };
        assert_eq!(p.plan.filter, None);
        assert_eq!(j.hash_keys, vec![(var(0), var(0))]);
        assert_eq!(j.qual, None);
        assert!(j.left.filter.is_none());
        assert!(
            j.right
                .filter
                .as_ref()
                .is_some_and(|f| f.max_var() == Some(4))
        );
        assert_eq!(
            j.inner_index
                .as_ref()
                .map(|i| (i.index_oid, i.keys.clone())),
            Some((20001, vec![var(0)]))
        );
        // LEFT JOIN: a condition on the kept side stays in ON, one on the
        // padded side's columns in WHERE stays above the join.
        let p = plan("select * from t left join t u on t.a = u.a and t.n > 1 where u.b is null")
            .unwrap();
        let Source::Join(j) = &p.plan.source else {
            panic!("no join")
        };
        assert!(p.plan.filter.is_some());
        assert!(j.qual.as_ref().is_some_and(|q| q.max_var() == Some(4)));
        assert!(j.left.filter.is_none() && j.right.filter.is_none());
        // An equality on the left table's key picks its index scan.
        let p = plan("select * from t join t u on t.a = u.a where t.a = 3").unwrap();
        let Source::Join(j) = &p.plan.source else {
            panic!("no join")
        };
        assert!(matches!(&j.left.source, Source::IndexScan(_, s) if s.index_oid == 20001));
    }

    #[test]
    fn grouping_rewrites_over_the_aggregated_row() {
        let p =
            plan("select a, count(*) from t group by a having sum(n) > 1 order by max(b)").unwrap();
        let agg = p.plan.aggregate.as_ref().unwrap();
        assert_eq!(
            agg.group_by,
            vec![Expr::Var {
                index: 0,
                type_oid: INT4,
                typmod: -1
            }]
        );
        assert_eq!(
            agg.aggs.iter().map(|a| a.func).collect::<Vec<_>>(),
            vec![AggFunc::CountStar, AggFunc::Sum, AggFunc::Max]
        );
        assert_eq!(
            p.plan.targets[0],
            Expr::Var {
                index: 0,
                type_oid: INT4,
                typmod: -1
            }
        );
        assert_eq!(
            p.plan.targets[1],
            Expr::Var {
                index: 1,
                type_oid: INT8,
                typmod: -1
            }
        );
        assert_eq!(
            p.plan.targets.len(),
            3,
            "the ORDER BY aggregate is a hidden column"
        );
        // without FROM, aggregates work over the one empty row
        assert_eq!(cols("select count(*)")[0].1, INT8);
    }
}
