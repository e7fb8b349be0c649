//! Session information and server signalling functions: `current_user`,
//! `version()`, `current_setting()`, `pg_sleep()`, `pg_cancel_backend()`, ...

use std::time::{Duration, Instant};

use types::{Datum, PgError, PgResult, SqlState};

use crate::expr::Evaluator;

/// The longest uninterrupted slice of `pg_sleep`.
const SLEEP_SLICE: Duration = Duration::from_millis(10);

/// Sleeps `secs` seconds in slices, checking for interrupts between them.
pub fn pg_sleep(secs: f64, ev: &mut Evaluator<'_>) -> PgResult<()> {
    if secs.is_nan() || secs <= 0.0 {
        return ev.ctx.check_for_interrupts();
    }
    let deadline = Instant::now() + Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(u32::MAX as u64));
    loop {
        ev.ctx.check_for_interrupts()?;
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(SLEEP_SLICE));
    }
}

pub fn call(func: &str, args: &[Datum], ev: &mut Evaluator<'_>) -> PgResult<Option<Datum>> {
    Ok(Some(match (func, args) {
        ("current_user", []) => Datum::Text(ev.ctx.current_user().to_string()),
        ("session_user", []) => Datum::Text(ev.ctx.session_user().to_string()),
        ("current_database", []) => Datum::Text(ev.ctx.database().to_string()),
        // TODO(catalog): read search_path against pg_namespace once schemas exist
        ("current_schema", []) => Datum::Text("public".into()),
        ("version", []) => Datum::Text(ev.ctx.version()),
        ("pg_backend_pid", []) => Datum::Int4(ev.ctx.backend_pid()),
        ("current_setting", [Datum::Text(name)]) => Datum::Text(ev.ctx.setting(name)?),
        ("current_setting", [Datum::Text(name), Datum::Bool(missing_ok)]) => match ev.ctx.setting(name) {
            Ok(v) => Datum::Text(v),
            Err(e) if *missing_ok && e.code == SqlState::UndefinedObject => Datum::Null,
            Err(e) => return Err(e),
        },
        ("pg_sleep", [Datum::Float8(secs)]) => {
            pg_sleep(*secs, ev)?;
            Datum::Void
        }
        ("pg_cancel_backend" | "pg_terminate_backend", [Datum::Int4(pid), rest @ ..]) => {
            if let [Datum::Int8(timeout)] = rest
                && *timeout < 0 {
                    return Err(PgError::new(SqlState::InvalidParameterValue, "\"timeout\" must not be negative"));
                }
            let ok = ev.ctx.signal_backend(*pid, func == "pg_terminate_backend")?;
            if !ok {
                ev.ctx.warning(format!("PID {pid} is not a PostgreSQL backend process"));
            }
            Datum::Bool(ok)
        }
        _ => return Ok(None),
    }))
}
