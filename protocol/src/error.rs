//! From our error report to the wire's ErrorResponse / NoticeResponse fields.

use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::response::NoticeResponse;
use types::PgError;

/// The ErrorResponse fields for a report.
pub fn error_info(e: &PgError) -> ErrorInfo {
    let mut info = ErrorInfo::new(
        e.severity.as_str().to_owned(),
        e.code.code().to_owned(),
        e.message.clone(),
    );
    info.detail = e.detail.clone();
    info.hint = e.hint.clone();
    info.position = e.position.map(|p| p.to_string());
    info.where_context = e.context.as_deref().map(str::to_owned);
    if let Some(o) = &e.object {
        info.schema = o.schema.clone();
        info.table = o.table.clone();
        info.column = o.column.clone();
        info.datatype = o.datatype.clone();
        info.constraint = o.constraint.clone();
    }
    info
}

/// A report as the error type pgwire's handlers return.
pub fn to_pgwire(e: &PgError) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(e)))
}

/// A NOTICE / WARNING message (severity word given by the caller).
pub fn notice(severity: &str, code: &str, message: &str) -> NoticeResponse {
    notice_with_detail(severity, code, message, None)
}

/// A NoticeResponse with a DETAIL field.
pub fn notice_with_detail(
    severity: &str,
    code: &str,
    message: &str,
    detail: Option<&str>,
) -> NoticeResponse {
    let mut fields = vec![
        (b'S', severity.to_owned()),
        (b'V', severity.to_owned()),
        (b'C', code.to_owned()),
        (b'M', message.to_owned()),
    ];
    if let Some(d) = detail {
        fields.push((b'D', d.to_owned()));
    }
    NoticeResponse::new(fields)
}

/// A complete ErrorResponse message as bytes, for the few places that must write
/// to a socket outside pgwire's framing (a FATAL sent to an idle session that is
/// being terminated, the 53300 of a backend that got no slot).
pub fn encode_error_response(e: &PgError) -> Vec<u8> {
    encode_report(b'E', e.severity.as_str(), e)
}

/// A NoticeResponse with severity `WARNING` carrying `e`'s fields, as bytes.
pub fn encode_warning(e: &PgError) -> Vec<u8> {
    encode_report(b'N', "WARNING", e)
}

fn encode_report(kind: u8, severity: &str, e: &PgError) -> Vec<u8> {
    let mut body = Vec::new();
    let mut field = |tag: u8, value: &str| {
        body.push(tag);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    };
    field(b'S', severity);
    field(b'V', severity);
    field(b'C', e.code.code());
    field(b'M', &e.message);
    if let Some(d) = &e.detail {
        field(b'D', d);
    }
    if let Some(h) = &e.hint {
        field(b'H', h);
    }
    if let Some(w) = &e.context {
        field(b'W', w);
    }
    if let Some(o) = &e.object {
        for (tag, value) in [
            (b's', &o.schema),
            (b't', &o.table),
            (b'c', &o.column),
            (b'd', &o.datatype),
            (b'n', &o.constraint),
        ] {
            if let Some(v) = value {
                field(tag, v);
            }
        }
    }
    body.push(0);
    let mut msg = Vec::with_capacity(body.len() + 5);
    msg.push(kind);
    msg.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    msg.extend_from_slice(&body);
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::SqlState;

    #[test]
    fn raw_error_response_layout() {
        let e = PgError::fatal(
            SqlState::AdminShutdown,
            "terminating connection due to administrator command",
        );
        let m = encode_error_response(&e);
        assert_eq!(m[0], b'E');
        let len = i32::from_be_bytes([m[1], m[2], m[3], m[4]]) as usize;
        assert_eq!(len, m.len() - 1);
        let text = String::from_utf8_lossy(&m[5..]);
        assert!(text.contains("SFATAL\0VFATAL\0C57P01\0Mterminating connection"));
        assert_eq!(*m.last().expect("non-empty"), 0);
        let info = error_info(&PgError::syntax("syntax error at end of input", Some(9)));
        assert_eq!(
            (info.code.as_str(), info.position.as_deref()),
            ("42601", Some("9"))
        );
    }
}
