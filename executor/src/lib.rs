//! The executor: runs a [`planner::PlannedStmt`] and returns its rows.
//!
//! It owns expression evaluation ([`expr`]), casts ([`cast`]), value comparison
//! ([`compare`]) and the built-in functions and operators ([`functions`]), and the
//! [`ExecContext`] trait through which the backend lends it the session: user,
//! database, clocks, settings, interrupts and other backends.
//!
//! It must never block without calling [`ExecContext::check_for_interrupts`] (so that
//! cancel requests and `statement_timeout` work), never panic on user data, and never
//! fake a result it cannot compute: unsupported cases fail with 0A000.
//!
//! Entry point: [`execute`]. Today plans have no tables: a list of rows of
//! expressions, an optional filter, sort keys and LIMIT/OFFSET.

#![forbid(unsafe_code)]

pub mod cast;
pub mod compare;
pub mod expr;
pub mod functions;

use planner::PlannedStmt;
use types::datum::OutputOptions;
use types::{Datum, PgError, PgResult, SqlState};

/// What the executor needs from the session that runs it (implemented by the
/// backend's tcop).
pub trait ExecContext {
    /// Returns an error if the statement must stop (cancel request, statement
    /// timeout, termination). Called in every loop that can run long.
    fn check_for_interrupts(&mut self) -> PgResult<()>;
    fn current_user(&self) -> &str;
    fn session_user(&self) -> &str;
    fn database(&self) -> &str;
    fn backend_pid(&self) -> i32;
    /// Microseconds since 2000-01-01 UTC when the transaction started (`now()`).
    fn transaction_timestamp(&self) -> i64;
    /// Microseconds since 2000-01-01 UTC when the statement started.
    fn statement_timestamp(&self) -> i64;
    fn postmaster_start_time(&self) -> i64;
    /// `current_setting(name)`: SHOW's text, and SHOW's errors (42704
    /// `unrecognized configuration parameter "x"`).
    fn setting(&self, name: &str) -> PgResult<String>;
    fn time_zone(&self) -> String;
    fn extra_float_digits(&self) -> i32;
    fn date_style(&self) -> String;
    fn interval_style(&self) -> String;
    fn bytea_output(&self) -> String {
        "hex".into()
    }
    /// Signals backend `pid` (SIGINT-like cancel, or terminate). `Ok(false)` means
    /// `pid` is not a backend; the executor then emits PostgreSQL's WARNING itself.
    fn signal_backend(&mut self, pid: i32, terminate: bool) -> PgResult<bool>;
    /// Queues a WARNING (or NOTICE) for the client.
    fn warning(&mut self, msg: String);
    /// `version()`.
    fn version(&self) -> String {
        let v = self.setting("server_version").unwrap_or_else(|_| "15.0".into());
        format!("PostgreSQL {v} (OxiPG) on {}-{}, compiled by rustc, 64-bit", std::env::consts::ARCH, std::env::consts::OS)
    }
    /// The settings that govern text output, gathered.
    fn output_options(&self) -> OutputOptions {
        OutputOptions {
            time_zone: self.time_zone(),
            extra_float_digits: self.extra_float_digits(),
            date_style: self.date_style(),
            interval_style: self.interval_style(),
            bytea_output: self.bytea_output(),
        }
    }
}

/// Runs a planned statement with the bound parameter values and returns its rows
/// (each as long as `plan.columns`).
pub fn execute(plan: &PlannedStmt, params: &[Datum], ctx: &mut dyn ExecContext) -> PgResult<Vec<Vec<Datum>>> {
    if params.len() != plan.param_types.len() {
        return Err(PgError::new(
            SqlState::ProtocolViolation,
            format!(
                "bind message supplies {} parameters, but prepared statement \"\" requires {}",
                params.len(),
                plan.param_types.len()
            ),
        ));
    }
    let mut ev = expr::Evaluator::new(params, ctx);
    let p = &plan.plan;
    let mut rows: Vec<Vec<Datum>> = Vec::new();
    for row in &p.rows {
        ev.ctx.check_for_interrupts()?;
        if let Some(f) = &p.filter
            && ev.eval(f)? != Datum::Bool(true) {
                continue;
            }
        let mut out = Vec::with_capacity(row.len());
        for e in row {
            out.push(ev.eval(e)?);
        }
        rows.push(out);
    }
    if !p.order_by.is_empty() && rows.len() > 1 {
        let mut err = None;
        rows.sort_by(|a, b| {
            for k in &p.order_by {
                let (x, y) = (&a[k.column], &b[k.column]);
                let o = match (x.is_null(), y.is_null()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => if k.nulls_first { std::cmp::Ordering::Less } else { std::cmp::Ordering::Greater },
                    (false, true) => if k.nulls_first { std::cmp::Ordering::Greater } else { std::cmp::Ordering::Less },
                    (false, false) => {
                        let o = compare::compare(x, y).unwrap_or_else(|e| {
                            err.get_or_insert(e);
                            std::cmp::Ordering::Equal
                        });
                        if k.descending { o.reverse() } else { o }
                    }
                };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        if let Some(e) = err {
            return Err(e);
        }
    }
    let offset = match &p.offset {
        Some(e) => match ev.eval(e)? {
            Datum::Int8(n) if n < 0 => {
                return Err(PgError::new(SqlState::InvalidRowCountInResultOffsetClause, "OFFSET must not be negative"));
            }
            Datum::Int8(n) => n as usize,
            _ => 0,
        },
        None => 0,
    };
    let limit = match &p.limit {
        Some(e) => match ev.eval(e)? {
            Datum::Int8(n) if n < 0 => {
                return Err(PgError::new(SqlState::InvalidRowCountInLimitClause, "LIMIT must not be negative"));
            }
            Datum::Int8(n) => Some(n as usize),
            _ => None,
        },
        None => None,
    };
    let width = plan.columns.len();
    Ok(rows
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .map(|mut r| {
            r.truncate(width);
            r
        })
        .collect())
}
