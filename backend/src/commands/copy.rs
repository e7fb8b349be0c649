//! COPY (PostgreSQL's `copy.c`, `copyfrom*.c`, `copyto.c`): rows between a
//! table (or a query) and text or CSV, over the protocol (`FROM STDIN`,
//! `TO STDOUT`) or in a server file.
//!
//! COPY FROM runs as one statement: its rows are parsed as they arrive (a
//! `CopyData` message may end mid-line; a CSV record may span lines) and
//! inserted through the plan of `INSERT INTO t (columns) VALUES ($1, ...)`,
//! so that defaults, NOT NULL, typmods, indexes and unique checks are the
//! INSERT path's. A bad row stops the COPY with PostgreSQL's CONTEXT
//! (`COPY t, line 2, column a: "x"`); nothing of it remains, as the
//! statement's transaction (or subtransaction work) is rolled back as any
//! failed statement's. The binary format carries each value in its type's
//! binary form (`Datum::to_binary` / `from_binary`), tuple by tuple.
//!
//! A plain table whose INSERT plan only places the fields and constant
//! defaults (no CHECK, domain, generated column, trigger, foreign key or
//! per-row default) skips the plan: [`DirectInsert`] forms the row from
//! the converted fields and hands it to the row buffer, as PostgreSQL's
//! `CopyFrom` fills its slot. A row the plan would refuse (a NULL in a NOT
//! NULL column) still goes through the plan, which reports it.

use std::borrow::Cow;
use std::io::Write as _;
use std::sync::Arc;

use sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement,
};
use types::datum::OutputOptions;
use types::{Datum, PgError, PgResult, SqlState};

use super::split_name;
use crate::session::Session;
use crate::utility::Outcome;

/// Text, CSV or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Csv,
    /// PostgreSQL's binary file format: the signature, flags and header
    /// extension, then per row a field count and each field's length (-1
    /// for NULL) and its type's binary (send / recv) form, then -1.
    Binary,
}

/// The binary format's signature (`PGCOPY\n\377\r\n\0`).
const BINARY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// The options of a COPY, with PostgreSQL's defaults per format.
#[derive(Debug, Clone)]
struct Options {
    format: Format,
    delimiter: char,
    null: String,
    header: bool,
    quote: char,
    escape: char,
    force_quote_all: bool,
    force_quote: Vec<String>,
    force_not_null: Vec<String>,
    force_null: Vec<String>,
}

fn bad_option(message: impl Into<String>) -> PgError {
    PgError::new(SqlState::FeatureNotSupported, message)
}

impl Options {
    fn parse(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> PgResult<Options> {
        let mut format = Format::Text;
        let (mut delimiter, mut null, mut header, mut quote, mut escape) =
            (None, None, false, None, None);
        let (mut force_quote_all, mut force_quote, mut force_not_null, mut force_null) =
            (false, Vec::new(), Vec::new(), Vec::new());
        let names = |ids: &[sqlparser::ast::Ident]| -> Vec<String> {
            ids.iter().map(crate::commands::ident).collect()
        };
        for o in options {
            match o {
                CopyOption::Format(f) => {
                    format = match f.value.to_lowercase().as_str() {
                        "text" => Format::Text,
                        "csv" => Format::Csv,
                        "binary" => Format::Binary,
                        other => {
                            return Err(PgError::new(
                                SqlState::InvalidParameterValue,
                                format!("COPY format \"{other}\" not recognized"),
                            ));
                        }
                    }
                }
                CopyOption::Freeze(_) => {}
                CopyOption::Delimiter(c) => delimiter = Some(*c),
                CopyOption::Null(s) => null = Some(s.clone()),
                CopyOption::Header(h) => header = *h,
                CopyOption::Quote(c) => quote = Some(*c),
                CopyOption::Escape(c) => escape = Some(*c),
                CopyOption::ForceQuote(cols)
                    if cols.is_empty()
                        || cols
                            .iter()
                            .any(|c| c.value == crate::syntax::FORCE_QUOTE_ALL_MARKER) =>
                {
                    force_quote_all = true
                }
                CopyOption::ForceQuote(cols) => force_quote = names(cols),
                CopyOption::ForceNotNull(cols) => force_not_null = names(cols),
                CopyOption::ForceNull(cols) => force_null = names(cols),
                CopyOption::Encoding(e) => {
                    let e = e.to_uppercase().replace(['-', '_'], "");
                    if e != "UTF8" && e != "SQLASCII" {
                        return Err(PgError::feature_not_supported(format!(
                            "COPY ENCODING other than UTF8 ({e})"
                        )));
                    }
                }
            }
        }
        for o in legacy {
            match o {
                CopyLegacyOption::Binary => format = Format::Binary,
                CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
                CopyLegacyOption::Null(s) => null = Some(s.clone()),
                CopyLegacyOption::Csv(opts) => {
                    format = Format::Csv;
                    for c in opts {
                        match c {
                            CopyLegacyCsvOption::Header => header = true,
                            CopyLegacyCsvOption::Quote(q) => quote = Some(*q),
                            CopyLegacyCsvOption::Escape(e) => escape = Some(*e),
                            CopyLegacyCsvOption::ForceQuote(cols) => force_quote = names(cols),
                            CopyLegacyCsvOption::ForceNotNull(cols) => force_not_null = names(cols),
                        }
                    }
                }
                _ => return Err(bad_option("this COPY option is not supported")),
            }
        }
        let csv = format == Format::Csv;
        if format == Format::Binary {
            let refuse = |what: &str| {
                Err(PgError::syntax(
                    format!("cannot specify {what} in BINARY mode"),
                    None,
                ))
            };
            if delimiter.is_some() {
                return refuse("DELIMITER");
            }
            if null.is_some() {
                return refuse("NULL");
            }
            if header {
                return Err(bad_option("cannot specify HEADER in BINARY mode"));
            }
        }
        if !csv {
            if quote.is_some() {
                return Err(bad_option("COPY quote available only in CSV mode"));
            }
            if escape.is_some() {
                return Err(bad_option("COPY escape available only in CSV mode"));
            }
            if force_quote_all || !force_quote.is_empty() {
                return Err(bad_option("COPY force quote available only in CSV mode"));
            }
            if !force_not_null.is_empty() {
                return Err(bad_option("COPY force not null available only in CSV mode"));
            }
            if !force_null.is_empty() {
                return Err(bad_option("COPY force null available only in CSV mode"));
            }
        }
        let delimiter = delimiter.unwrap_or(if csv { ',' } else { '\t' });
        if delimiter.len_utf8() != 1 || delimiter == '\n' || delimiter == '\r' {
            return Err(bad_option(
                "COPY delimiter must be a single one-byte character",
            ));
        }
        if !csv && (delimiter == '\\' || delimiter.is_ascii_alphanumeric()) {
            return Err(bad_option(format!(
                "COPY delimiter cannot be \"{delimiter}\""
            )));
        }
        let quote = quote.unwrap_or('"');
        Ok(Options {
            format,
            delimiter,
            null: null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() }),
            header,
            quote,
            escape: escape.unwrap_or(quote),
            force_quote_all,
            force_quote,
            force_not_null,
            force_null,
        })
    }
}

/// The table (and columns) a COPY names.
struct Target {
    rel: std::sync::Arc<planner::RelationDesc>,
    /// Positions in `rel.columns` of the columns copied, in order.
    columns: Vec<usize>,
}

fn target(session: &mut Session, source: &CopySource) -> PgResult<Option<Target>> {
    let CopySource::Table {
        table_name,
        columns,
    } = source
    else {
        return Ok(None);
    };
    let (schema, name) = split_name(table_name)?;
    let catalog = crate::table_access::SessionCatalog::new(session);
    let found = planner::catalog::CatalogView::lookup_relation(&catalog, schema.as_deref(), &name)?;
    let rel = found.ok_or_else(|| {
        PgError::new(
            SqlState::UndefinedTable,
            format!("relation \"{name}\" does not exist"),
        )
    })?;
    if !matches!(rel.relkind, 'r' | 'p') {
        return Err(PgError::new(
            SqlState::WrongObjectType,
            format!(
                "cannot copy to or from relation \"{name}\" of kind '{}'",
                rel.relkind
            ),
        ));
    }
    let positions = if columns.is_empty() {
        (0..rel.columns.len())
            .filter(|&i| !rel.columns[i].dropped && rel.columns[i].generated == '\0')
            .collect()
    } else {
        let mut out: Vec<usize> = Vec::new();
        for c in columns {
            let c = crate::commands::ident(c);
            let Some(i) = rel.column_index(&c) else {
                return Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!("column \"{c}\" of relation \"{name}\" does not exist"),
                ));
            };
            if rel.columns[i].generated != '\0' {
                return Err(PgError::new(
                    SqlState::InvalidColumnReference,
                    format!("column \"{c}\" is a generated column"),
                )
                .with_detail("Generated columns cannot be used in COPY."));
            }
            if out.contains(&i) {
                return Err(PgError::new(
                    SqlState::DuplicateColumn,
                    format!("column \"{c}\" specified more than once"),
                ));
            }
            out.push(i);
        }
        out
    };
    Ok(Some(Target {
        rel,
        columns: positions,
    }))
}

/// Quotes an identifier for the SQL the COPY plans.
fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The state of a COPY FROM that is reading rows (from the client, or a
/// file read whole).
pub struct CopyIn {
    opts: Options,
    /// For CONTEXT: the table's name.
    table: String,
    names: Vec<String>,
    types: Vec<u32>,
    typmods: Vec<i32>,
    /// The columns' own types (a domain, where `types` has its base type).
    declared: Vec<u32>,
    /// The INSERT of one row, its values as parameters.
    insert: planner::PlannedStmt,
    /// The rows' way into the table without running `insert` (see
    /// [`DirectInsert`]), where the table allows it.
    direct: Option<DirectInsert>,
    /// The rows inserted but not yet in the heap, where the table allows
    /// ([`bulk_insert_allowed`]); between rows it is here, while a row's
    /// INSERT runs it is the session's.
    bulk: Option<crate::table_access::BulkInsert>,
    /// Bytes of a record not complete yet.
    pending: Vec<u8>,
    /// Lines read so far (the number of the line being parsed in errors).
    line: u64,
    rows: u64,
    header_done: bool,
    /// `\.` alone on a line seen: what follows is ignored.
    ended: bool,
    /// The first error: what follows is ignored until the end.
    pub failed: Option<PgError>,
    output: OutputOptions,
}

impl CopyIn {
    /// The number of columns, for the CopyInResponse.
    pub fn columns(&self) -> usize {
        self.names.len()
    }

    /// Whether the data is in the binary format (the CopyInResponse says so).
    pub fn binary(&self) -> bool {
        self.opts.format == Format::Binary
    }

    /// Takes more input; complete records are inserted now.
    pub fn feed(&mut self, session: &mut Session, data: &[u8]) {
        if self.failed.is_some() || self.ended {
            return;
        }
        self.pending.extend_from_slice(data);
        if let Err(e) = self.drain(session, false) {
            self.pending.clear();
            self.failed = Some(e);
        }
    }

    /// The input is complete: the last record (without its newline), then
    /// the row count, or the first error.
    pub fn finish(&mut self, session: &mut Session) -> PgResult<u64> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.drain(session, true)?;
        if let Some(bulk) = self.bulk.as_mut() {
            crate::table_access::flush_bulk_insert(session, bulk)?;
        }
        Ok(self.rows)
    }

    /// Runs the INSERT of one row (its table's row buffer lent to the
    /// session meanwhile; the fields apart, so that a caller may hold on to
    /// others).
    fn insert_row(
        insert: &planner::PlannedStmt,
        direct: Option<&DirectInsert>,
        bulk: &mut Option<crate::table_access::BulkInsert>,
        line: u64,
        session: &mut Session,
        params: Vec<Datum>,
    ) -> PgResult<()> {
        if let Some(b) = bulk.as_mut() {
            b.line = line;
        }
        let params = match direct {
            Some(d) if bulk.is_some() => match d.row(params) {
                Ok(row) => {
                    executor::ExecContext::check_for_interrupts(session)?;
                    session.bulk_insert = bulk.take();
                    let result = crate::table_access::insert_row(session, &d.rel, row);
                    *bulk = session.bulk_insert.take();
                    return result.map(|_| ());
                }
                Err(params) => params,
            },
            _ => params,
        };
        session.bulk_insert = bulk.take();
        let result = executor::execute_statement(insert, &params, session);
        *bulk = session.bulk_insert.take();
        session.scans.clear();
        result.map(|_| ())
    }

    /// Flushes the row buffer if it is full (its errors name their own line).
    fn flush_if_full(&mut self, session: &mut Session) -> PgResult<()> {
        match self.bulk.as_mut().filter(|b| b.is_full()) {
            Some(bulk) => crate::table_access::flush_bulk_insert(session, bulk),
            None => Ok(()),
        }
    }

    /// Parses and inserts every complete record in `pending` (with `eof`,
    /// also a last one without its line end).
    fn drain(&mut self, session: &mut Session, eof: bool) -> PgResult<()> {
        if self.opts.format == Format::Binary {
            return self.drain_binary(session, eof);
        }
        // The records are read in place: `pending` is set aside meanwhile.
        let mut pending = std::mem::take(&mut self.pending);
        let result = self.drain_records(session, &pending, eof);
        if let Ok(start) = result {
            pending.drain(..start);
        }
        self.pending = pending;
        result.map(|_| ())
    }

    /// The records of [`drain`](Self::drain) in `pending`; how many bytes
    /// they took.
    fn drain_records(
        &mut self,
        session: &mut Session,
        pending: &[u8],
        eof: bool,
    ) -> PgResult<usize> {
        let mut start = 0;
        while !self.ended {
            let rest = &pending[start..];
            if rest.is_empty() {
                break;
            }
            let Some((end, next)) = record_end(rest, &self.opts, eof) else {
                break;
            };
            start += next;
            // Checked with its line end, which PostgreSQL's message shows
            // when the bad bytes run up to it.
            let text = types::error::utf8_text(&rest[..next]).map_err(|e| {
                e.with_context(format!("COPY {}, line {}", self.table, self.line + 1))
            })?;
            let text = &text[..end];
            let text = text.strip_suffix('\r').unwrap_or(text);
            self.line += text.matches('\n').count() as u64 + 1;
            if !self.header_done {
                self.header_done = true;
                if self.opts.header {
                    continue;
                }
            }
            if text == "\\." {
                self.ended = true;
                break;
            }
            self.row(session, text)?;
        }
        Ok(start)
    }

    /// One record: its fields, their values, the insert.
    fn row(&mut self, session: &mut Session, text: &str) -> PgResult<()> {
        let context = |line: u64, extra: &str| format!("COPY {}, line {line}{extra}", self.table);
        let fields = match self.opts.format {
            Format::Text | Format::Binary => split_text(text, &self.opts),
            Format::Csv => split_csv(text, &self.opts),
        }
        .map_err(|e| e.with_context(context(self.line, &format!(": \"{}\"", clip(text)))))?;
        if fields.len() > self.names.len() {
            return Err(PgError::new(
                SqlState::BadCopyFileFormat,
                "extra data after last expected column",
            )
            .with_context(context(self.line, &format!(": \"{}\"", clip(text)))));
        }
        if fields.len() < self.names.len() {
            let missing = &self.names[fields.len()];
            return Err(PgError::new(
                SqlState::BadCopyFileFormat,
                format!("missing data for column \"{missing}\""),
            )
            .with_context(context(self.line, &format!(": \"{}\"", clip(text)))));
        }
        let mut params = Vec::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            let name = &self.names[i];
            let value = match f {
                Field::Null => Datum::Null,
                Field::Value { text: s, quoted } => {
                    let (s, quoted) = (s.as_ref(), *quoted);
                    let csv = self.opts.format == Format::Csv;
                    if csv
                        && !quoted
                        && s == self.opts.null
                        && self.opts.force_not_null.contains(name)
                    {
                        Datum::from_text(self.types[i], "", &self.output)
                    } else if csv
                        && quoted
                        && s == self.opts.null
                        && self.opts.force_null.contains(name)
                    {
                        Ok(Datum::Null)
                    } else {
                        Datum::from_text(self.types[i], s, &self.output)
                    }
                    .and_then(|v| match self.typmods[i] {
                        // The column's length or precision, checked as the
                        // type's input function does.
                        m if m >= 0 => executor::cast::apply_typmod(v, self.types[i], m, false),
                        _ => Ok(v),
                    })
                    .map_err(|e| {
                        e.with_context(context(
                            self.line,
                            &format!(", column {name}: \"{}\"", clip(s)),
                        ))
                    })?
                }
            };
            params.push(value);
        }
        let result = Self::insert_row(
            &self.insert,
            self.direct.as_ref(),
            &mut self.bulk,
            self.line,
            session,
            params,
        );
        // The row's constraints are checked while its line is at hand, so
        // PostgreSQL's context shows the line; index insertions (unique
        // checks) come later, from its batch, with the line number only.
        result.map_err(|e| {
            // A domain's constraint fails as the column's input does in
            // PostgreSQL (`domain_in`): the context names the column.
            if let Some(i) = self.domain_column_of(&e) {
                let value = match &fields[i] {
                    Field::Value { text, .. } => format!("\"{}\"", clip(text)),
                    Field::Null => "null input".to_owned(),
                };
                let extra = format!(", column {}: {value}", self.names[i]);
                return e.with_context(context(self.line, &extra));
            }
            let extra = if matches!(
                e.code,
                SqlState::NotNullViolation | SqlState::CheckViolation
            ) {
                format!(": \"{}\"", clip(text))
            } else {
                String::new()
            };
            e.with_context(context(self.line, &extra))
        })?;
        self.rows += 1;
        self.flush_if_full(session)
    }
}

impl CopyIn {
    /// The binary format: the header once, then every complete tuple in
    /// `pending` (PostgreSQL's `CopyFromBinaryOneRow`).
    fn drain_binary(&mut self, session: &mut Session, eof: bool) -> PgResult<()> {
        let bad = |msg: &str| PgError::new(SqlState::BadCopyFileFormat, msg.to_owned());
        let mut start = 0;
        if !self.header_done {
            // signature, flags, header extension length, the extension
            let buf = &self.pending[..];
            if buf.len() < 19 || (buf.len() >= 19 && buf.len() < 19 + be_len(&buf[15..19])) {
                if eof {
                    return Err(match buf.len() >= 11 && &buf[..11] != BINARY_SIGNATURE {
                        true => bad("COPY file signature not recognized"),
                        false if buf.len() < 11 => bad("COPY file signature not recognized"),
                        false => bad("invalid COPY file header (missing length)"),
                    });
                }
                if buf.len() >= 11 && &buf[..11] != BINARY_SIGNATURE {
                    return Err(bad("COPY file signature not recognized"));
                }
                return Ok(());
            }
            // The header's errors carry no CONTEXT in PostgreSQL (they come
            // before the first line).
            if &buf[..11] != BINARY_SIGNATURE {
                return Err(bad("COPY file signature not recognized"));
            }
            let flags = u32::from_be_bytes([buf[11], buf[12], buf[13], buf[14]]);
            if flags & (1 << 16) != 0 {
                return Err(bad("invalid COPY file header (WITH OIDS)"));
            }
            if flags & 0xFFFE_0000 != 0 {
                return Err(bad("unrecognized critical flags in COPY file header"));
            }
            start = 19 + be_len(&buf[15..19]);
            self.header_done = true;
        }
        while !self.ended {
            let rest = &self.pending[start..];
            if rest.is_empty() {
                break;
            }
            let line = self.line + 1;
            let context = |extra: &str| format!("COPY {}, line {line}{extra}", self.table);
            if rest.len() < 2 {
                if eof {
                    return Err(bad("unexpected EOF in COPY data").with_context(context("")));
                }
                break;
            }
            let count = i16::from_be_bytes([rest[0], rest[1]]);
            if count == -1 {
                self.ended = true;
                start = self.pending.len();
                break;
            }
            if usize::try_from(count).ok() != Some(self.names.len()) {
                return Err(bad(&format!(
                    "row field count is {count}, expected {}",
                    self.names.len()
                ))
                .with_context(context("")));
            }
            // The whole tuple must be here before any of it is read.
            let mut pos = 2;
            let mut fields: Vec<Option<&[u8]>> = Vec::with_capacity(self.names.len());
            let mut complete = true;
            for _ in 0..self.names.len() {
                if rest.len() < pos + 4 {
                    complete = false;
                    break;
                }
                let len =
                    i32::from_be_bytes([rest[pos], rest[pos + 1], rest[pos + 2], rest[pos + 3]]);
                pos += 4;
                if len == -1 {
                    fields.push(None);
                    continue;
                }
                let Ok(len) = usize::try_from(len) else {
                    return Err(bad("invalid field size").with_context(context("")));
                };
                if rest.len() < pos + len {
                    complete = false;
                    break;
                }
                fields.push(Some(&rest[pos..pos + len]));
                pos += len;
            }
            if !complete {
                if eof {
                    let column = &self.names[fields.len()];
                    return Err(bad("unexpected EOF in COPY data")
                        .with_context(context(&format!(", column {column}"))));
                }
                break;
            }
            let mut params = Vec::with_capacity(fields.len());
            for (i, f) in fields.iter().enumerate() {
                let value = match f {
                    None => Datum::Null,
                    Some(bytes) => Datum::from_binary(self.types[i], bytes)
                        .map_err(|e| {
                            // A fixed-size value cut short reads past its
                            // field, as PostgreSQL's `pq_getmsg*` report it.
                            let len = types::oid::typlen(self.types[i]);
                            if len > 0 && bytes.len() < len as usize {
                                PgError::new(
                                    SqlState::ProtocolViolation,
                                    "insufficient data left in message",
                                )
                            } else {
                                e
                            }
                        })
                        .and_then(|v| match self.typmods[i] {
                            m if m >= 0 => executor::cast::apply_typmod(v, self.types[i], m, false),
                            _ => Ok(v),
                        })
                        .map_err(|e| {
                            e.with_context(context(&format!(", column {}", self.names[i])))
                        })?,
                };
                params.push(value);
            }
            start += pos;
            self.line += 1;
            let result = Self::insert_row(
                &self.insert,
                self.direct.as_ref(),
                &mut self.bulk,
                self.line,
                session,
                params,
            );
            result.map_err(|e| e.with_context(context("")))?;
            self.flush_if_full(session)?;
            self.rows += 1;
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// The column whose domain reports error `e` (`domain d does not
    /// allow null values`, `value for domain d violates ...`), if any.
    fn domain_column_of(&self, e: &PgError) -> Option<usize> {
        if !matches!(
            e.code,
            SqlState::NotNullViolation | SqlState::CheckViolation
        ) {
            return None;
        }
        let rest = e
            .message
            .strip_prefix("value for domain ")
            .or_else(|| e.message.strip_prefix("domain "))?;
        let name = rest.split(' ').next()?;
        self.declared.iter().position(|&t| {
            let mut t = t;
            while let Some(d) = types::typcache::domain(t) {
                if types::oid::type_name(t) == name {
                    return true;
                }
                t = d.domain().map_or(0, |i| i.base);
            }
            false
        })
    }
}

/// A big-endian 4-byte length (negative ones count as 0).
fn be_len(b: &[u8]) -> usize {
    let n = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    usize::try_from(n).unwrap_or(0)
}

/// A value for CONTEXT lines, cut as PostgreSQL cuts them.
fn clip(s: &str) -> String {
    match s.char_indices().nth(100) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// Where the record at the start of `buf` ends: (its length without the
/// line end, where the next begins). A CSV record's quoted fields may hold
/// line ends. None: not complete yet.
fn record_end(buf: &[u8], opts: &Options, eof: bool) -> Option<(usize, usize)> {
    let mut in_quotes = false;
    let (quote, escape) = (opts.quote as u8, opts.escape as u8);
    let csv = opts.format == Format::Csv;
    let mut i = 0;
    while i < buf.len() {
        let b = buf[i];
        if csv {
            if in_quotes {
                if b == escape && escape != quote && buf.get(i + 1) == Some(&quote) {
                    i += 2;
                    continue;
                }
                if b == quote {
                    in_quotes = false;
                }
            } else if b == quote {
                in_quotes = true;
            } else if b == b'\n' {
                return Some((i, i + 1));
            }
        } else if b == b'\\' {
            i += 2;
            continue;
        } else if b == b'\n' {
            return Some((i, i + 1));
        }
        i += 1;
    }
    eof.then_some((buf.len(), buf.len()))
}

/// A field: NULL, or text and whether it was quoted (CSV). The text is
/// the record's own where nothing in it was escaped.
enum Field<'a> {
    Null,
    Value { text: Cow<'a, str>, quoted: bool },
}

/// Splits a text-format line: fields between unescaped delimiters, the
/// null string (as written, before de-escaping) as NULL, backslash escapes
/// decoded. A field without a backslash is a slice of the line.
fn split_text<'a>(line: &'a str, opts: &Options) -> PgResult<Vec<Field<'a>>> {
    let bytes = line.as_bytes();
    if memchr::memchr(0, bytes).is_some() {
        return Err(PgError::new(
            SqlState::CharacterNotInRepertoire,
            "invalid byte sequence for encoding \"UTF8\": 0x00",
        ));
    }
    // One byte (`Options` refuses others), as is the backslash: both are
    // found a run at a time and never split a character.
    let delimiter = opts.delimiter as u8;
    let mut fields = Vec::new();
    // The field's start in `line`; how far it has been read; its decoded
    // bytes (up to `read`) once an escape made them differ from the raw ones.
    let (mut start, mut read) = (0, 0);
    let mut value: Option<Vec<u8>> = None;
    let field = |start: usize, end: usize, value: Option<Vec<u8>>| -> PgResult<Field<'a>> {
        // The null string is matched before escapes are decoded.
        let raw = &line[start..end];
        Ok(if raw == opts.null {
            Field::Null
        } else {
            Field::Value {
                text: match value {
                    None => Cow::Borrowed(raw),
                    Some(v) => Cow::Owned(types::error::utf8_string(v)?),
                },
                quoted: false,
            }
        })
    };
    while let Some(found) = memchr::memchr2(delimiter, b'\\', &bytes[read..]) {
        let at = read + found;
        if bytes[at] == delimiter {
            if let Some(v) = value.as_mut() {
                v.extend_from_slice(&bytes[read..at]);
            }
            fields.push(field(start, at, value.take())?);
            (start, read) = (at + 1, at + 1);
            continue;
        }
        let v = value.get_or_insert_with(Vec::new);
        v.extend_from_slice(&bytes[read..at]);
        let Some(&e) = bytes.get(at + 1) else {
            // A backslash at the end of the line stands for itself.
            v.push(b'\\');
            read = at + 1;
            break;
        };
        read = at + 2;
        let byte = match e {
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'0'..=b'7' => escaped_byte(bytes, &mut read, u32::from(e - b'0'), 8),
            b'x' if bytes.get(read).is_some_and(u8::is_ascii_hexdigit) => {
                escaped_byte(bytes, &mut read, 0, 16)
            }
            // Anything else stands for itself (the delimiter and the
            // backslash too); the rest of a longer character follows as
            // plain bytes.
            other => other,
        };
        v.push(byte);
    }
    if let Some(v) = value.as_mut() {
        v.extend_from_slice(&bytes[read..]);
    }
    fields.push(field(start, bytes.len(), value.take())?);
    Ok(fields)
}

/// The byte an octal (`\\101`) or hex (`\\x41`) escape spells: `first` and up
/// to two more digits of `radix` from `at` on, which moves past them.
fn escaped_byte(bytes: &[u8], at: &mut usize, first: u32, radix: u32) -> u8 {
    let mut n = first;
    for _ in 0..2 {
        match bytes.get(*at).and_then(|&d| (d as char).to_digit(radix)) {
            Some(d) => {
                n = n * radix + d;
                *at += 1;
            }
            None => break,
        }
    }
    (n & 0xff) as u8
}

/// Splits a CSV record: quoted fields may hold delimiters, line ends and
/// doubled (or escaped) quotes; an unquoted field equal to the null string
/// is NULL.
fn split_csv<'a>(record: &'a str, opts: &Options) -> PgResult<Vec<Field<'a>>> {
    let mut fields = Vec::new();
    let mut chars = record.chars().peekable();
    loop {
        let mut value = String::new();
        let mut quoted = false;
        let mut unquoted_part = String::new();
        loop {
            match chars.peek().copied() {
                None => break,
                Some(c) if c == opts.delimiter => break,
                Some(c) if c == opts.quote => {
                    chars.next();
                    quoted = true;
                    loop {
                        match chars.next() {
                            None => {
                                return Err(PgError::new(
                                    SqlState::BadCopyFileFormat,
                                    "unterminated CSV quoted field",
                                ));
                            }
                            Some(c) if c == opts.escape && chars.peek() == Some(&opts.quote) => {
                                chars.next();
                                value.push(opts.quote);
                            }
                            Some(c)
                                if c == opts.escape
                                    && opts.escape != opts.quote
                                    && chars.peek() == Some(&opts.escape) =>
                            {
                                chars.next();
                                value.push(opts.escape);
                            }
                            Some(c) if c == opts.quote => break,
                            Some(c) => value.push(c),
                        }
                    }
                }
                Some(c) => {
                    chars.next();
                    value.push(c);
                    unquoted_part.push(c);
                }
            }
        }
        fields.push(if !quoted && unquoted_part == opts.null {
            Field::Null
        } else {
            Field::Value {
                text: Cow::Owned(value),
                quoted,
            }
        });
        if chars.next().is_none() {
            break;
        }
    }
    Ok(fields)
}

/// COPY TO: the rows as text or CSV lines, one per row (and the header).
fn format_rows(
    names: &[String],
    rows: &[Vec<Datum>],
    opts: &Options,
    output: &OutputOptions,
) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(rows.len() + 1);
    if opts.format == Format::Binary {
        // The header goes with the first row, and the trailer alone, as
        // PostgreSQL's CopyData messages carry them.
        let mut chunk = BINARY_SIGNATURE.to_vec();
        chunk.extend_from_slice(&0i32.to_be_bytes());
        chunk.extend_from_slice(&0i32.to_be_bytes());
        for row in rows {
            chunk.extend_from_slice(&(row.len() as i16).to_be_bytes());
            for v in row {
                match v {
                    Datum::Null => chunk.extend_from_slice(&(-1i32).to_be_bytes()),
                    v => {
                        let b = v.to_binary();
                        chunk.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        chunk.extend_from_slice(&b);
                    }
                }
            }
            out.push(std::mem::take(&mut chunk));
        }
        chunk.extend_from_slice(&(-1i16).to_be_bytes());
        out.push(chunk);
        return out;
    }
    let csv = opts.format == Format::Csv;
    let field = |s: &str, force: bool, line: &mut String| {
        if !csv {
            for c in s.chars() {
                match c {
                    '\\' => line.push_str("\\\\"),
                    '\n' => line.push_str("\\n"),
                    '\r' => line.push_str("\\r"),
                    '\t' => line.push_str("\\t"),
                    '\u{8}' => line.push_str("\\b"),
                    '\u{c}' => line.push_str("\\f"),
                    '\u{b}' => line.push_str("\\v"),
                    c if c == opts.delimiter => {
                        line.push('\\');
                        line.push(c);
                    }
                    c => line.push(c),
                }
            }
            return;
        }
        let needs = force
            || s == opts.null
            || s.contains(opts.delimiter)
            || s.contains(opts.quote)
            || s.contains('\n')
            || s.contains('\r')
            || s.starts_with("\\.");
        if !needs {
            line.push_str(s);
            return;
        }
        line.push(opts.quote);
        for c in s.chars() {
            if c == opts.quote || c == opts.escape {
                line.push(opts.escape);
            }
            line.push(c);
        }
        line.push(opts.quote);
    };
    if opts.header {
        let mut line = String::new();
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                line.push(opts.delimiter);
            }
            field(n, false, &mut line);
        }
        line.push('\n');
        out.push(line.into_bytes());
    }
    for row in rows {
        let mut line = String::new();
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                line.push(opts.delimiter);
            }
            match v {
                Datum::Null => line.push_str(&opts.null),
                v => {
                    let force = opts.force_quote_all
                        || names.get(i).is_some_and(|n| opts.force_quote.contains(n));
                    field(&v.to_text(output), force, &mut line)
                }
            }
        }
        line.push('\n');
        out.push(line.into_bytes());
    }
    out
}

/// Whether a statement is COPY ... FROM STDIN.
pub fn is_copy_from_stdin(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::Copy {
            to: false,
            target: CopyTarget::Stdin,
            ..
        }
    )
}

/// What a COPY statement asks for.
pub enum Copy {
    /// COPY ... FROM STDIN: the protocol layer sends CopyInResponse and
    /// feeds the data to this state.
    In(Box<CopyIn>),
    /// A finished COPY: TO STDOUT rows to send, or a command tag.
    Done(Outcome),
}

/// Runs a COPY statement (inside the statement `exec_statement` started).
pub fn copy(session: &mut Session, stmt: &Statement) -> PgResult<Copy> {
    let Statement::Copy {
        source,
        to,
        target: dest,
        options,
        legacy_options,
        payload,
    } = stmt
    else {
        return Err(PgError::internal("not a COPY statement"));
    };
    let opts = Options::parse(options, legacy_options)?;
    let file = match dest {
        CopyTarget::Stdin | CopyTarget::Stdout => None,
        CopyTarget::File { filename } => Some(filename.clone()),
        CopyTarget::Program { .. } => {
            return Err(PgError::feature_not_supported("COPY to or from a program"));
        }
    };
    if file.is_some() && !session.is_superuser {
        let (what, role) = match to {
            true => ("to", "pg_write_server_files"),
            false => ("from", "pg_read_server_files"),
        };
        return Err(PgError::new(
            SqlState::InsufficientPrivilege,
            format!(
                "must be superuser or have privileges of the {role} role to COPY {what} a file"
            ),
        )
        .with_hint(
            "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone.",
        ));
    }
    if let Some(f) = &file
        && !f.starts_with('/')
    {
        return Err(PgError::new(
            SqlState::InvalidName,
            format!(
                "relative path not allowed for COPY {} file",
                if *to { "to" } else { "from" }
            ),
        ));
    }
    if *to {
        return copy_to(session, source, &opts, file.as_deref()).map(Copy::Done);
    }
    let Some(t) = target(session, source)? else {
        return Err(PgError::syntax("syntax error at or near \"FROM\"", None));
    };
    crate::xact::check_writable(session, "COPY FROM")?;
    let attnums: Vec<i16> = t.columns.iter().map(|&i| i as i16 + 1).collect();
    crate::acl::require_column_privileges(session, t.rel.oid, catalog::acl::ACL_INSERT, &attnums)?;
    if crate::table_access::row_security(session, t.rel.oid, None)?.is_some() {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "COPY FROM not supported with row-level security",
        )
        .with_hint("Use INSERT statements instead."));
    }
    let mut state = begin_in(session, t, opts)?;
    match (&file, payload) {
        (Some(path), _) => {
            let data = std::fs::read(path).map_err(|e| {
                PgError::new(
                    if e.kind() == std::io::ErrorKind::NotFound {
                        SqlState::UndefinedFile
                    } else {
                        SqlState::IoError
                    },
                    format!("could not open file \"{path}\" for reading: {}", io_reason(&e)),
                )
                .with_hint("COPY FROM instructs the PostgreSQL server process to read a file. You may want a client-side facility such as psql's \\copy.")
            })?;
            state.feed(session, &data);
            let n = state.finish(session)?;
            Ok(Copy::Done(Outcome::Command(format!("COPY {n}"))))
        }
        (None, Some(_)) => Err(PgError::feature_not_supported(
            "COPY FROM STDIN with its data in the same query string",
        )),
        (None, None) => Ok(Copy::In(Box::new(state))),
    }
}

/// An io error as PostgreSQL words it (`%m`).
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}

/// Plans the row INSERT of a COPY FROM and locks the table.
fn begin_in(session: &mut Session, t: Target, opts: Options) -> PgResult<CopyIn> {
    let rel = &t.rel;
    let names: Vec<String> = t
        .columns
        .iter()
        .map(|&i| rel.columns[i].name.clone())
        .collect();
    let declared: Vec<u32> = t.columns.iter().map(|&i| rel.columns[i].type_oid).collect();
    // A domain column reads as its base type (with the domain's typmod);
    // the INSERT coerces the value into the domain.
    let (types, typmods): (Vec<u32>, Vec<i32>) = t
        .columns
        .iter()
        .map(|&i| {
            types::typcache::base_type_and_typmod(rel.columns[i].type_oid, rel.columns[i].typmod)
        })
        .unzip();
    for n in opts.force_not_null.iter().chain(&opts.force_null) {
        if !names.contains(n) {
            return Err(PgError::new(
                SqlState::InvalidColumnReference,
                format!("FORCE_NOT_NULL column \"{n}\" not referenced by COPY"),
            ));
        }
    }
    // COPY writes the values given to identity columns, GENERATED ALWAYS
    // ones too (pg_dump's data restores them so).
    let sql = format!(
        "INSERT INTO {}.{} ({}) OVERRIDING SYSTEM VALUE VALUES ({})",
        quote_ident(&rel.schema),
        quote_ident(&rel.name),
        names
            .iter()
            .map(|n| quote_ident(n))
            .collect::<Vec<_>>()
            .join(", "),
        (1..=names.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let stmts = crate::syntax::parse(&sql)?;
    let [stmt] = stmts.as_slice() else {
        return Err(PgError::internal(
            "COPY's INSERT did not parse as one statement",
        ));
    };
    session.tx.first_snapshot_taken = true;
    let insert = crate::tcop::plan_query(session, stmt, &sql, Some(&types))?;
    crate::tcop::lock_relations(session, &insert)?;
    let bulk = bulk_insert_allowed(session, &insert, &t.columns)?
        .then(|| crate::table_access::BulkInsert::new(rel.oid, &rel.name));
    let direct = match bulk {
        Some(_) => DirectInsert::of(&insert, &types, &typmods),
        None => None,
    };
    Ok(CopyIn {
        bulk,
        direct,
        table: rel.name.clone(),
        opts,
        names,
        types,
        typmods,
        declared,
        insert,
        pending: Vec::new(),
        line: 0,
        rows: 0,
        header_done: false,
        ended: false,
        failed: None,
        output: executor::ExecContext::output_options(session),
    })
}

/// COPY FROM's rows made straight from their fields (PostgreSQL's
/// `CopyFrom` forming the slot itself, no executor per row): the full-width
/// row takes each field's value (already of the column's type and typmod)
/// or a column's constant default, and goes to the row buffer. Only for a
/// table [`bulk_insert_allowed`] and whose INSERT plan does nothing else
/// with a row: no CHECK, generated column, domain, partition constraint,
/// or default that must be computed per row (a sequence's). A row with a
/// NULL for a NOT NULL column takes the INSERT plan, which reports it.
struct DirectInsert {
    rel: Arc<planner::RelationDesc>,
    /// Per column of the table, where its value comes from.
    columns: Vec<ColumnValue>,
}

enum ColumnValue {
    /// The COPY's field of this index.
    Field(usize),
    /// The column's default (NULL without one), the same for every row.
    Fixed(Datum),
}

impl DirectInsert {
    /// The direct way of COPY's INSERT plan `insert`, whose parameter `k`
    /// is the k-th field (of type `types[k]` and typmod `typmods[k]`,
    /// already applied), if its plan allows.
    fn of(insert: &planner::PlannedStmt, types: &[u32], typmods: &[i32]) -> Option<DirectInsert> {
        use planner::{Expr, Source};
        let Some(planner::ModifyTable::Insert {
            rel,
            returning,
            on_conflict: None,
        }) = &insert.modify
        else {
            return None;
        };
        let plan = &insert.plan;
        if rel.relkind != 'r'
            || !returning.is_empty()
            || !rel.checks.is_empty()
            || !rel.generated.is_empty()
            || rel.partition_check.is_some()
            || !rel.triggers.is_empty()
            || plan.filter.is_some()
            || plan.aggregate.is_some()
            || plan.limit.is_some()
            || plan.offset.is_some()
        {
            return None;
        }
        let Source::Values(rows) = &plan.source else {
            return None;
        };
        let [row] = rows.as_slice() else {
            return None;
        };
        let identity = plan.targets.len() == rel.columns.len()
            && plan
                .targets
                .iter()
                .enumerate()
                .all(|(i, t)| matches!(t, Expr::Var { index, .. } if *index == i));
        if !identity || row.len() != rel.columns.len() {
            return None;
        }
        let field = |e: &Expr, column: &planner::ColumnDesc| match e {
            Expr::Param { index, type_oid } => (types.get(*index) == Some(type_oid)
                && *type_oid == column.type_oid)
                .then_some(*index),
            // The length coercion of char(n) and the like: COPY applied it.
            Expr::Cast {
                arg,
                from,
                to,
                typmod,
                ..
            } if from == to && *to == column.type_oid => match arg.as_ref() {
                Expr::Param { index, type_oid }
                    if type_oid == to
                        && types.get(*index) == Some(to)
                        && typmods.get(*index) == Some(typmod) =>
                {
                    Some(*index)
                }
                _ => None,
            },
            _ => None,
        };
        let mut columns = Vec::with_capacity(row.len());
        for (e, column) in row.iter().zip(&rel.columns) {
            columns.push(match (e, field(e, column)) {
                (_, Some(k)) => ColumnValue::Field(k),
                (Expr::Const { value, .. }, None) => ColumnValue::Fixed(value.clone()),
                _ => return None,
            });
        }
        Some(DirectInsert {
            rel: rel.clone(),
            columns,
        })
    }

    /// The full-width row of the fields `params`, or them back when a NOT
    /// NULL column would be NULL (the INSERT plan reports that).
    fn row(&self, mut params: Vec<Datum>) -> Result<Vec<Datum>, Vec<Datum>> {
        let null_where_not_allowed =
            self.columns
                .iter()
                .zip(&self.rel.columns)
                .any(|(c, column)| match c {
                    _ if !column.not_null || column.dropped => false,
                    ColumnValue::Field(k) => params.get(*k).is_none_or(Datum::is_null),
                    ColumnValue::Fixed(v) => v.is_null(),
                });
        if null_where_not_allowed {
            return Err(params);
        }
        Ok(self
            .columns
            .iter()
            .map(|c| match c {
                ColumnValue::Field(k) => params
                    .get_mut(*k)
                    .map_or(Datum::Null, |v| std::mem::replace(v, Datum::Null)),
                ColumnValue::Fixed(v) => v.clone(),
            })
            .collect())
    }
}

/// Whether COPY FROM may buffer its rows and insert them a page at a time
/// (PostgreSQL's `CIM_MULTI`): a plain user table whose rows need nothing
/// between being formed and being stored that could find earlier rows
/// missing from the heap: no triggers, no foreign keys, no rules, and no
/// volatile default (other than a sequence's `nextval`) for a column the
/// COPY leaves out.
fn bulk_insert_allowed(
    session: &mut Session,
    insert: &planner::PlannedStmt,
    columns: &[usize],
) -> PgResult<bool> {
    let Some(planner::ModifyTable::Insert {
        rel,
        returning,
        on_conflict: None,
    }) = &insert.modify
    else {
        return Ok(false);
    };
    if rel.relkind != 'r'
        || rel.oid < storage::transam::FIRST_NORMAL_OBJECT_ID
        || !returning.is_empty()
    {
        return Ok(false);
    }
    if !rel.triggers.is_empty() {
        return Ok(false);
    }
    let Some(info) = crate::relcache::relation_by_oid(session, rel.oid)? else {
        return Ok(false);
    };
    if !info.triggers.is_empty()
        || info
            .constraints
            .iter()
            .any(|c| c.kind == catalog::system::CONSTRAINT_FOREIGN)
    {
        return Ok(false);
    }
    let stable_default =
        |d: &str| !d.contains('(') || (d.starts_with("nextval(") && d.matches('(').count() == 1);
    Ok(rel.columns.iter().enumerate().all(|(i, c)| {
        c.dropped
            || columns.contains(&i)
            || c.generated != '\0'
            || c.default.as_deref().is_none_or(stable_default)
    }))
}

/// COPY TO: the table's rows (or the query's) as lines, sent to the client
/// or written to a file.
fn copy_to(
    session: &mut Session,
    source: &CopySource,
    opts: &Options,
    file: Option<&str>,
) -> PgResult<Outcome> {
    let query_sql = match source {
        CopySource::Query(q) => q.to_string(),
        CopySource::Table { .. } => {
            let Some(t) = target(session, source)? else {
                return Err(PgError::internal("COPY without a table"));
            };
            let attnums: Vec<i16> = t.columns.iter().map(|&i| i as i16 + 1).collect();
            crate::acl::require_column_privileges(
                session,
                t.rel.oid,
                catalog::acl::ACL_SELECT,
                &attnums,
            )?;
            let rel = &t.rel;
            if rel.relkind == 'p' {
                return Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("cannot copy from partitioned table \"{}\"", rel.name),
                )
                .with_hint("Try the COPY (SELECT ...) TO variant."));
            }
            // The table's own rows, not its inheritance children's.
            format!(
                "SELECT {} FROM ONLY {}.{}",
                t.columns
                    .iter()
                    .map(|&i| quote_ident(&rel.columns[i].name))
                    .collect::<Vec<_>>()
                    .join(", "),
                quote_ident(&rel.schema),
                quote_ident(&rel.name)
            )
        }
    };
    let stmts = crate::syntax::parse(&query_sql)?;
    let [stmt] = stmts.as_slice() else {
        return Err(PgError::internal(
            "COPY's query did not parse as one statement",
        ));
    };
    let merge = match stmt {
        Statement::Merge(_) => true,
        Statement::Query(q) => matches!(q.body.as_ref(), sqlparser::ast::SetExpr::Merge(_)),
        _ => false,
    };
    if merge {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "MERGE not supported in COPY",
        ));
    }
    let outcome = crate::tcop::run_statement(session, stmt, &query_sql, None, &[])?;
    let Outcome::Rows { columns, rows, .. } = outcome else {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "COPY query must have a RETURNING clause",
        ));
    };
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let output = executor::ExecContext::output_options(session);
    let lines = format_rows(&names, &rows, opts, &output);
    let tag = format!("COPY {}", rows.len());
    match file {
        None => Ok(Outcome::CopyOut {
            columns: names.len(),
            data: lines,
            tag,
            binary: opts.format == Format::Binary,
        }),
        Some(path) => {
            let mut f = std::fs::File::create(path).map_err(|e| {
                PgError::new(
                    SqlState::IoError,
                    format!("could not open file \"{path}\" for writing: {}", io_reason(&e)),
                )
                .with_hint("COPY TO instructs the PostgreSQL server process to write a file. You may want a client-side facility such as psql's \\copy.")
            })?;
            for l in &lines {
                f.write_all(l).map_err(|e| {
                    PgError::new(
                        SqlState::IoError,
                        format!("could not write to COPY file: {}", io_reason(&e)),
                    )
                })?;
            }
            Ok(Outcome::Command(tag))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(format: Format) -> Options {
        let csv = format == Format::Csv;
        Options {
            format,
            delimiter: if csv { ',' } else { '\t' },
            null: if csv { String::new() } else { "\\N".into() },
            header: false,
            quote: '"',
            escape: '"',
            force_quote_all: false,
            force_quote: Vec::new(),
            force_not_null: Vec::new(),
            force_null: Vec::new(),
        }
    }

    fn show(fields: Vec<Field>) -> Vec<String> {
        fields
            .into_iter()
            .map(|f| match f {
                Field::Null => "NULL".into(),
                Field::Value { text, quoted } => {
                    format!("{}{text}", if quoted { "q:" } else { "" })
                }
            })
            .collect()
    }

    #[test]
    fn text_fields_decode_escapes_and_null() {
        let o = opts(Format::Text);
        let f = split_text("1\t\\N\ta\\tb\\\\c\t\\101\\x42\t", &o).map(show);
        assert_eq!(
            f.ok(),
            Some(vec![
                "1".to_owned(),
                "NULL".into(),
                "a\tb\\c".into(),
                "AB".into(),
                "".into()
            ])
        );
    }

    #[test]
    fn csv_fields_keep_quoted_delimiters_and_empty_strings() {
        let o = opts(Format::Csv);
        let f = split_csv("1,,\"\",\"a,\"\"b\"\"\nc\"", &o).map(show);
        assert_eq!(
            f.ok(),
            Some(vec![
                "1".to_owned(),
                "NULL".into(),
                "q:".into(),
                "q:a,\"b\"\nc".into()
            ])
        );
        assert!(split_csv("\"open", &o).is_err());
    }

    #[test]
    fn records_end_at_newlines_outside_csv_quotes() {
        let csv = opts(Format::Csv);
        assert_eq!(record_end(b"a,\"x\ny\"\nb", &csv, false), Some((7, 8)));
        assert_eq!(record_end(b"a,\"x\ny", &csv, false), None);
        let text = opts(Format::Text);
        assert_eq!(record_end(b"a\\\nb\nc", &text, false), Some((4, 5)));
        assert_eq!(record_end(b"abc", &text, true), Some((3, 3)));
    }

    #[test]
    fn output_escapes_as_postgres_does() {
        let o = opts(Format::Text);
        let rows = vec![vec![
            Datum::Text("a\tb\nc\\".into()),
            Datum::Null,
            Datum::Int4(7),
        ]];
        let out = format_rows(&[], &rows, &o, &OutputOptions::default());
        assert_eq!(out, vec![b"a\\tb\\nc\\\\\t\\N\t7\n".to_vec()]);
        let c = opts(Format::Csv);
        let rows = vec![vec![
            Datum::Text("x,y".into()),
            Datum::Text(String::new()),
            Datum::Null,
            Datum::Text("q\"".into()),
        ]];
        let out = format_rows(&[], &rows, &c, &OutputOptions::default());
        assert_eq!(out, vec![b"\"x,y\",\"\",,\"q\"\"\"\n".to_vec()]);
    }
}
