//! Session information and server signalling functions: `current_user`,
//! `version()`, `current_setting()`, `pg_sleep()`, `pg_cancel_backend()`, ...

use std::time::{Duration, Instant};

use types::{Datum, PgError, PgResult, SqlState};

use crate::expr::Evaluator;
use crate::{RelationSize, SequenceCall};

/// The longest uninterrupted slice of `pg_sleep`.
const SLEEP_SLICE: Duration = Duration::from_millis(10);

/// Sleeps `secs` seconds in slices, checking for interrupts between them.
pub fn pg_sleep(secs: f64, ev: &mut Evaluator<'_>) -> PgResult<()> {
    if secs.is_nan() || secs <= 0.0 {
        return ev.ctx.check_for_interrupts();
    }
    let deadline = Instant::now()
        + Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(u32::MAX as u64));
    loop {
        ev.ctx.check_for_interrupts()?;
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(SLEEP_SLICE));
    }
}

/// The schemas of a fresh PostgreSQL database (what `current_schema` knows
/// when the context has no catalog).
pub const SCHEMAS: [&str; 4] = ["pg_catalog", "public", "information_schema", "pg_toast"];

/// Splits a `search_path` value into schema names as PostgreSQL does: commas between
/// names, spaces around them ignored, `"quoted"` names kept as written (`""` is a
/// quote), others lower-cased; names are truncated to 63 bytes. `None` if the list
/// is malformed (the GUC does not accept such a value).
pub fn split_search_path(path: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut chars = path.chars().peekable();
    let skip_spaces = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
    };
    skip_spaces(&mut chars);
    if chars.peek().is_none() {
        return Some(names);
    }
    loop {
        let mut name = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        name.push('"');
                    }
                    '"' => break,
                    c => name.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                name.push(c.to_ascii_lowercase());
                chars.next();
            }
            if name.is_empty() {
                return None;
            }
        }
        let mut end = name.len().min(63);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
        names.push(name);
        skip_spaces(&mut chars);
        match chars.next() {
            None => return Some(names),
            Some(',') => skip_spaces(&mut chars),
            Some(_) => return None,
        }
    }
}

/// `current_schema`: the first schema of `search_path` that exists, `"$user"` being
/// the current user's name; `None` (SQL NULL) if none does.
pub fn current_schema(search_path: &str, user: &str) -> PgResult<Option<String>> {
    current_schema_with(search_path, user, &mut |name| Ok(SCHEMAS.contains(&name)))
}

/// `current_schemas(implicit)`: the schemas of `search_path` that exist, in order,
/// `"$user"` being the current user's name; with `implicit`, `pg_catalog` first
/// when the path does not name it (PostgreSQL searches it first then).
// TODO(temp schemas): with `implicit`, the session's pg_temp_N schema comes first
// once it exists; we have no per-session temporary schema to name yet.
pub fn current_schemas_with(
    search_path: &str,
    user: &str,
    implicit: bool,
    exists: &mut dyn FnMut(&str) -> PgResult<bool>,
) -> PgResult<Vec<String>> {
    let names = split_search_path(search_path).ok_or_else(|| {
        PgError::new(
            SqlState::InvalidParameterValue,
            format!("invalid value for parameter \"search_path\": \"{search_path}\""),
        )
    })?;
    let mut out = Vec::new();
    if implicit && !names.iter().any(|n| n == "pg_catalog") {
        out.push("pg_catalog".to_owned());
    }
    for name in names {
        let name = if name == "$user" {
            user.to_string()
        } else {
            name
        };
        if name == "pg_temp" || name.starts_with("pg_temp_") {
            continue;
        }
        if !out.contains(&name) && exists(&name)? {
            out.push(name);
        }
    }
    Ok(out)
}

/// `current_schema` against a catalog: `exists` says whether a schema exists.
pub fn current_schema_with(
    search_path: &str,
    user: &str,
    exists: &mut dyn FnMut(&str) -> PgResult<bool>,
) -> PgResult<Option<String>> {
    let names = split_search_path(search_path).ok_or_else(|| {
        PgError::new(
            SqlState::InvalidParameterValue,
            format!("invalid value for parameter \"search_path\": \"{search_path}\""),
        )
    })?;
    for name in names {
        let name = if name == "$user" {
            user.to_string()
        } else {
            name
        };
        if name == "pg_temp" || name.starts_with("pg_temp_") {
            // PostgreSQL creates the session's temporary schema here
            return Err(PgError::feature_not_supported("temporary schemas"));
        }
        if exists(&name)? {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

pub fn call(func: &str, args: &[Datum], ev: &mut Evaluator<'_>) -> PgResult<Option<Datum>> {
    Ok(Some(match (func, args) {
        ("current_user", []) => Datum::Text(ev.ctx.current_user().to_string()),
        ("session_user", []) => Datum::Text(ev.ctx.session_user().to_string()),
        ("current_database", []) => Datum::Text(ev.ctx.database().to_string()),
        // Every database is UTF8.
        ("getdatabaseencoding", []) => Datum::Text("UTF8".to_string()),
        ("current_schema", []) => {
            let path = ev.ctx.setting("search_path")?;
            let user = ev.ctx.current_user().to_owned();
            match current_schema_with(&path, &user, &mut |name| ev.ctx.schema_exists(name))? {
                Some(schema) => Datum::Text(schema),
                None => Datum::Null,
            }
        }
        ("current_schemas", [Datum::Bool(implicit)]) => {
            let path = ev.ctx.setting("search_path")?;
            let user = ev.ctx.current_user().to_owned();
            let names = current_schemas_with(&path, &user, *implicit, &mut |name| {
                ev.ctx.schema_exists(name)
            })?;
            Datum::Array(Box::new(types::datum::ArrayValue::new(
                types::oid::NAME,
                names.into_iter().map(Datum::Text).collect(),
            )))
        }
        ("version", []) => Datum::Text(ev.ctx.version()),
        ("pg_size_pretty", [Datum::Int8(n)]) => Datum::Text(size_pretty(i128::from(*n), None)),
        ("pg_size_pretty", [Datum::Numeric(n)]) => {
            let whole = n.round_to(0, true)?;
            match whole.to_i64_rounded() {
                Some(w) => Datum::Text(size_pretty(i128::from(w), Some(n))),
                None => {
                    return Err(PgError::new(
                        SqlState::NumericValueOutOfRange,
                        "value overflows numeric format",
                    ));
                }
            }
        }
        // A regclass of an OID no relation has prints as the number: its
        // size is NULL, as PostgreSQL's is.
        (
            "pg_relation_size" | "pg_total_relation_size" | "pg_table_size" | "pg_indexes_size",
            [Datum::Text(name), ..],
        ) if !name.is_empty() && name.chars().all(|c| c.is_ascii_digit()) => Datum::Null,
        ("pg_relation_size", [Datum::Text(name)]) => {
            Datum::Int8(ev.ctx.relation_size(name, RelationSize::Fork("main"))?)
        }
        ("pg_relation_size", [Datum::Text(name), Datum::Text(fork)]) => {
            Datum::Int8(ev.ctx.relation_size(name, RelationSize::Fork(fork))?)
        }
        ("pg_total_relation_size", [Datum::Text(name)]) => {
            Datum::Int8(ev.ctx.relation_size(name, RelationSize::Total)?)
        }
        ("pg_table_size", [Datum::Text(name)]) => {
            Datum::Int8(ev.ctx.relation_size(name, RelationSize::Table)?)
        }
        ("pg_indexes_size", [Datum::Text(name)]) => {
            Datum::Int8(ev.ctx.relation_size(name, RelationSize::Indexes)?)
        }
        ("bt_index_check", [Datum::Text(name)]) => {
            ev.ctx.index_check(name, false)?;
            Datum::Void
        }
        ("bt_index_check", [Datum::Text(name), Datum::Bool(heapallindexed)]) => {
            ev.ctx.index_check(name, *heapallindexed)?;
            Datum::Void
        }
        ("pg_backend_pid", []) => Datum::Int4(ev.ctx.backend_pid()),
        // Not strict: a NULL channel is an empty one, a NULL payload empty.
        ("pg_notify", [channel, payload]) => {
            let text = |d: &Datum| match d {
                Datum::Text(s) => s.clone(),
                _ => String::new(),
            };
            ev.ctx.notify(&text(channel), &text(payload))?;
            Datum::Void
        }
        ("pg_notification_queue_usage", []) => Datum::Float8(ev.ctx.notification_queue_usage()),
        ("pg_trigger_depth", []) => Datum::Int4(ev.ctx.trigger_depth()),
        ("format_type", [Datum::Null, _]) => Datum::Null,
        ("format_type", [Datum::Oid(t), typmod]) => {
            let typmod = match typmod {
                Datum::Int4(m) => *m,
                _ => -1,
            };
            Datum::Text(match types::oid::type_name(*t) {
                "???" if *t == 0 => "-".to_string(),
                "???" => "???".to_string(),
                _ => types::oid::format_type(*t, typmod),
            })
        }
        ("pg_collation_is_visible", [Datum::Oid(_)]) => Datum::Bool(true),
        ("pg_unknown_object_is_visible" | "pg_get_function_sqlbody", [_]) => Datum::Null,
        ("pg_type_is_visible", [Datum::Oid(t)]) => {
            if types::oid::type_name(*t) == "???" {
                Datum::Null
            } else {
                Datum::Bool(ev.ctx.type_visible(*t)?)
            }
        }
        ("row_security_active", [rel @ (Datum::Oid(_) | Datum::Text(_))]) => {
            Datum::Bool(ev.ctx.row_security_active(rel)?)
        }
        ("pg_table_is_visible", [Datum::Oid(rel)]) => match ev.ctx.relation_visible(*rel)? {
            Some(v) => Datum::Bool(v),
            None => Datum::Null,
        },
        ("nextval", [Datum::Text(seq)]) => Datum::Int8(ev.ctx.sequence(seq, SequenceCall::Next)?),
        ("currval", [Datum::Text(seq)]) => Datum::Int8(ev.ctx.sequence(seq, SequenceCall::Curr)?),
        ("lastval", []) => Datum::Int8(ev.ctx.sequence("", SequenceCall::Last)?),
        ("setval", [Datum::Text(seq), Datum::Int8(v), rest @ ..]) => {
            let is_called = !matches!(rest, [Datum::Bool(false)]);
            Datum::Int8(ev.ctx.sequence(seq, SequenceCall::Set(*v, is_called))?)
        }
        ("pg_get_serial_sequence", [Datum::Text(table), Datum::Text(column)]) => {
            match ev.ctx.serial_sequence(table, column)? {
                Some(name) => Datum::Text(name),
                None => Datum::Null,
            }
        }
        ("txid_current", []) => match ev.ctx.current_xid(true)? {
            Some(x) => Datum::Int8(x as i64),
            None => Datum::Null,
        },
        ("txid_current_if_assigned", []) => match ev.ctx.current_xid(false)? {
            Some(x) => Datum::Int8(x as i64),
            None => Datum::Null,
        },
        ("current_setting", [Datum::Text(name)]) => Datum::Text(ev.ctx.setting(name)?),
        ("to_regclass" | "to_regtype" | "to_regnamespace", [Datum::Text(name)]) => {
            ev.ctx.to_reg(func, name)?.map_or(Datum::Null, Datum::Text)
        }
        ("set_config", [Datum::Text(name), Datum::Text(value), Datum::Bool(local)]) => {
            Datum::Text(ev.ctx.set_config(name, value, *local)?)
        }
        ("current_setting", [Datum::Text(name), Datum::Bool(missing_ok)]) => {
            match ev.ctx.setting(name) {
                Ok(v) => Datum::Text(v),
                Err(e) if *missing_ok && e.code == SqlState::UndefinedObject => Datum::Null,
                Err(e) => return Err(e),
            }
        }
        ("pg_sleep", [Datum::Float8(secs)]) => {
            pg_sleep(*secs, ev)?;
            Datum::Void
        }
        ("pg_cancel_backend" | "pg_terminate_backend", [Datum::Int4(pid), rest @ ..]) => {
            if let [Datum::Int8(timeout)] = rest
                && *timeout < 0
            {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "\"timeout\" must not be negative",
                ));
            }
            let ok = ev
                .ctx
                .signal_backend(*pid, func == "pg_terminate_backend")?;
            if !ok {
                ev.ctx
                    .warning(format!("PID {pid} is not a PostgreSQL backend process"));
            }
            Datum::Bool(ok)
        }
        _ => return Ok(None),
    }))
}

/// `pg_size_pretty`: bytes below 10 kB, then kB, MB, GB, TB or PB, each
/// used below 20 of the next (half-rounded; one extra bit is kept for the
/// rounding). `exact`: a numeric size, whose bytes print as given.
fn size_pretty(size: i128, exact: Option<&types::datum::Numeric>) -> String {
    if size.unsigned_abs() < 10 * 1024 {
        return match exact {
            Some(n) => format!("{} bytes", n.to_text()),
            None => format!("{size} bytes"),
        };
    }
    let half_rounded = |x: i128| (x + if x < 0 { -1 } else { 1 }) / 2;
    let units = ["kB", "MB", "GB", "TB", "PB"];
    let mut s = size >> 9;
    for (i, unit) in units.iter().enumerate() {
        if s.unsigned_abs() < 20 * 1024 - 1 || i == units.len() - 1 {
            return format!("{} {unit}", half_rounded(s));
        }
        s >>= 10;
    }
    String::new()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Expectations from PostgreSQL 15 (`SET search_path ...; SELECT current_schema`).
    #[test]
    fn current_schema_follows_search_path() {
        let cs = |path: &str, user: &str| current_schema(path, user).unwrap();
        assert_eq!(
            cs("\"$user\", public", "postgres").as_deref(),
            Some("public")
        );
        assert_eq!(cs("nowhere", "postgres"), None);
        assert_eq!(cs("", "postgres"), None);
        assert_eq!(cs("\"\"", "postgres"), None);
        assert_eq!(
            cs("nowhere, pg_catalog", "postgres").as_deref(),
            Some("pg_catalog")
        );
        assert_eq!(cs("pg_toast", "postgres").as_deref(), Some("pg_toast"));
        assert_eq!(
            cs("information_schema", "postgres").as_deref(),
            Some("information_schema")
        );
        assert_eq!(cs("\"$user\"", "postgres"), None);
        assert_eq!(cs("PUBLIC", "postgres").as_deref(), Some("public"));
        assert_eq!(
            cs("\"PUBLIC\", Pg_Catalog", "postgres").as_deref(),
            Some("pg_catalog")
        );
        assert_eq!(
            cs("  \"$user\" ,  public ", "postgres").as_deref(),
            Some("public")
        );
        assert_eq!(
            cs("\"Mixed Case\", public", "postgres").as_deref(),
            Some("public")
        );
        // "$user" is the current user (SET ROLE changes it), not a literal name
        assert_eq!(
            cs("\"$user\", pg_catalog", "public").as_deref(),
            Some("public")
        );
        assert_eq!(cs("$user", "public").as_deref(), Some("public"));
        assert_eq!(
            current_schema("pg_temp, public", "postgres")
                .unwrap_err()
                .code,
            SqlState::FeatureNotSupported
        );
        assert_eq!(split_search_path("public,,x"), None);
        assert_eq!(split_search_path("public,\"x"), None);
        assert_eq!(cs("\"\", public", "postgres").as_deref(), Some("public"));
        assert_eq!(
            split_search_path("\"a\"\"b\", c").unwrap(),
            vec!["a\"b".to_string(), "c".to_string()]
        );
    }
}
