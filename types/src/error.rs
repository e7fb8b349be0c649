//! The one error type that crosses crate boundaries: PostgreSQL's `ereport()`.

use std::fmt;

include!(concat!(env!("OUT_DIR"), "/sqlstate.rs"));

/// How bad an error is, as in PostgreSQL's `elevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Aborts the current statement (and transaction); the session lives on.
    Error,
    /// Ends the session after the message is sent.
    Fatal,
    /// Ends every session: the postmaster restarts the cluster.
    Panic,
}

impl Severity {
    /// The severity word of the `S`/`V` fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
            Severity::Panic => "PANIC",
        }
    }
}

/// An error report: SQLSTATE, primary message, optional detail, hint and cursor
/// position (1-based character index into the query text, as PostgreSQL's `P` field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    pub severity: Severity,
    pub code: SqlState,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub position: Option<usize>,
    /// Where it happened (the CONTEXT line: `COPY t, line 2, column a: "x"`). A boxed
    /// `str`, as `object` is boxed, so that `PgResult` stays within 128 bytes.
    pub context: Option<Box<str>>,
    /// The object the error is about (PostgreSQL's `s`, `t`, `c`, `d` and `n` fields,
    /// which drivers expose as `diag.constraint_name`, `err.table`, ...). Boxed: most
    /// errors have none, and `PgResult` stays small.
    pub object: Option<Box<ErrorObject>>,
}

/// The schema, table, column, data type and constraint an error names
/// (`err_generic_string(PG_DIAG_SCHEMA_NAME, ...)`); each is sent when set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorObject {
    pub schema: Option<String>,
    pub table: Option<String>,
    pub column: Option<String>,
    pub datatype: Option<String>,
    pub constraint: Option<String>,
}

/// Result type used across the workspace.
pub type PgResult<T> = Result<T, PgError>;

impl PgError {
    /// An ERROR with the given SQLSTATE and message.
    pub fn new(code: SqlState, message: impl Into<String>) -> PgError {
        PgError {
            severity: Severity::Error,
            code,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            context: None,
            object: None,
        }
    }

    /// A FATAL report: the session ends after it is sent.
    pub fn fatal(code: SqlState, message: impl Into<String>) -> PgError {
        PgError {
            severity: Severity::Fatal,
            ..PgError::new(code, message)
        }
    }

    /// `0A000`: the statement or feature is valid PostgreSQL that we do not support yet.
    pub fn feature_not_supported(feature: impl fmt::Display) -> PgError {
        PgError::new(
            SqlState::FeatureNotSupported,
            format!("{feature} is not supported"),
        )
    }

    /// `XX000`: a broken invariant in this backend.
    pub fn internal(message: impl Into<String>) -> PgError {
        PgError::new(SqlState::InternalError, message)
    }

    /// `57014`: the statement was cancelled by the user.
    pub fn query_canceled() -> PgError {
        PgError::new(
            SqlState::QueryCanceled,
            "canceling statement due to user request",
        )
    }

    /// `42601` syntax error at the given 1-based position.
    pub fn syntax(message: impl Into<String>, position: Option<usize>) -> PgError {
        PgError {
            position,
            ..PgError::new(SqlState::SyntaxError, message)
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> PgError {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_context(mut self, context: impl Into<String>) -> PgError {
        self.context = Some(context.into().into_boxed_str());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> PgError {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_position(mut self, position: usize) -> PgError {
        self.position = Some(position);
        self
    }

    /// Names the constraint a violation is about, with its table and schema (what
    /// PostgreSQL's `errtableconstraint` reports).
    pub fn with_table_constraint(
        mut self,
        schema: impl Into<String>,
        table: impl Into<String>,
        constraint: impl Into<String>,
    ) -> PgError {
        let object = self.object.get_or_insert_with(Box::default);
        object.schema = Some(schema.into());
        object.table = Some(table.into());
        object.constraint = Some(constraint.into());
        self
    }

    /// Names the column an error is about, with its table and schema
    /// (`errtablecol`).
    pub fn with_table_column(
        mut self,
        schema: impl Into<String>,
        table: impl Into<String>,
        column: impl Into<String>,
    ) -> PgError {
        let object = self.object.get_or_insert_with(Box::default);
        object.schema = Some(schema.into());
        object.table = Some(table.into());
        object.column = Some(column.into());
        self
    }

    /// Sets the position only if none is set yet (inner errors know better).
    pub fn or_position(mut self, position: Option<usize>) -> PgError {
        if self.position.is_none() {
            self.position = position;
        }
        self
    }
}

/// Text received as bytes, checked as PostgreSQL checks the server encoding
/// (UTF-8, `pg_verify_mbstr`): NUL is refused too.
pub fn utf8_text(bytes: &[u8]) -> PgResult<&str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if !bytes.contains(&0) => Ok(s),
        Ok(_) => Err(invalid_utf8_at(
            bytes,
            bytes.iter().position(|&b| b == 0).unwrap_or(0),
        )),
        Err(e) => Err(invalid_utf8_at(bytes, e.valid_up_to())),
    }
}

/// [`utf8_text`] of owned bytes, without copying them.
pub fn utf8_string(bytes: Vec<u8>) -> PgResult<String> {
    utf8_text(&bytes)?;
    // Checked just above.
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

/// `22021 invalid byte sequence for encoding "UTF8": 0xe9 0x62`: the bytes of
/// the character starting at `at`, as many as its first byte announces
/// (PostgreSQL's `report_invalid_encoding`).
fn invalid_utf8_at(bytes: &[u8], at: usize) -> PgError {
    let rest = &bytes[at.min(bytes.len())..];
    let announced = match rest.first() {
        Some(b) if b & 0xe0 == 0xc0 => 2,
        Some(b) if b & 0xf0 == 0xe0 => 3,
        Some(b) if b & 0xf8 == 0xf0 => 4,
        _ => 1,
    };
    let shown: Vec<String> = rest
        .iter()
        .take(announced)
        .map(|b| format!("0x{b:02x}"))
        .collect();
    PgError::new(
        SqlState::CharacterNotInRepertoire,
        format!(
            "invalid byte sequence for encoding \"UTF8\": {}",
            shown.join(" ")
        ),
    )
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:  {}", self.severity.as_str(), self.message)
    }
}

impl std::error::Error for PgError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_table_round_trips() {
        assert_eq!(SqlState::QueryCanceled.code(), "57014");
        assert_eq!(SqlState::TooManyConnections.name(), "too_many_connections");
        assert_eq!(
            SqlState::from_code("28P01"),
            Some(SqlState::InvalidPassword)
        );
        assert_eq!(SqlState::from_code("ZZZZZ"), None);
    }

    #[test]
    fn invalid_utf8_shows_the_bad_character() {
        assert_eq!(utf8_text(b"a\xc3\xa9b"), Ok("a\u{e9}b"));
        let message = |b: &[u8]| {
            utf8_text(b)
                .map(str::to_owned)
                .map_err(|e| (e.code, e.message))
        };
        let bad = |m: &str| {
            Err::<String, _>((
                SqlState::CharacterNotInRepertoire,
                format!("invalid byte sequence for encoding \"UTF8\": {m}"),
            ))
        };
        assert_eq!(message(b"a\xe9b"), bad("0xe9 0x62"));
        assert_eq!(message(b"x\xc3"), bad("0xc3"));
        assert_eq!(message(b"ab\0c"), bad("0x00"));
        assert_eq!(message(b"\xff\x41\x42"), bad("0xff"));
        assert_eq!(utf8_string(b"ok".to_vec()), Ok("ok".to_owned()));
    }

    #[test]
    fn builder_keeps_the_first_position() {
        let e = PgError::syntax("syntax error at end of input", Some(8)).or_position(Some(1));
        assert_eq!(e.position, Some(8));
        assert_eq!(e.to_string(), "ERROR:  syntax error at end of input");
    }
}
