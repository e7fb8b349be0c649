//! The server log: every process writes lines to stderr in PostgreSQL's default
//! shape, `2026-11-25 08:40:14.093 UTC [22903] LOG:  message`.
//!
//! tracing levels map to PostgreSQL's: ERROR -> ERROR, WARN -> WARNING,
//! INFO -> LOG, DEBUG -> DEBUG1, TRACE -> DEBUG5.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

struct PgLogFormat {
    pid: u32,
}

fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let millis = now.subsec_millis();
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{millis:03} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl<S, N> FormatEvent<S, N> for PgLogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "ERROR",
            Level::WARN => "WARNING",
            Level::INFO => "LOG",
            Level::DEBUG => "DEBUG1",
            Level::TRACE => "DEBUG5",
        };
        write!(writer, "{} [{}] {level}:  ", timestamp(), self.pid)?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Maps `log_min_messages` to a tracing filter. LOG-level messages are printed
/// at every setting up to `error`, as in PostgreSQL, where LOG ranks above ERROR
/// in the server log.
pub fn filter_for(log_min_messages: &str) -> &'static str {
    match log_min_messages {
        "debug5" | "debug4" | "debug3" => "trace",
        "debug2" | "debug1" => "debug",
        "fatal" | "panic" => "error",
        _ => "info",
    }
}

/// Installs the process's log writer. `OXIPG_LOG` (a tracing filter) overrides
/// the level, for debugging.
pub fn init(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OXIPG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .event_format(PgLogFormat {
            pid: std::process::id(),
        })
        .try_init();
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamp_shape() {
        let t = super::timestamp();
        assert_eq!(t.len(), "2026-11-25 08:40:14.093 UTC".len(), "{t}");
        assert!(t.ends_with(" UTC") && t.as_bytes()[4] == b'-' && t.as_bytes()[10] == b' ');
    }
}
