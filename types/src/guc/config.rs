//! postgresql.conf: the lexer and parser, and applying the entries to a
//! [`Settings`] at start-up or on reload (SIGHUP).
//!
//! One entry per line: `name = value` or `name value`, `#` to end of line is a
//! comment. A name is an identifier or dotted identifiers (a placeholder); a
//! value is an identifier, an unquoted string (`abc-def`, `/tmp/x`), a number
//! with optional unit letters (`8MB`, `-12`, `0x1F`), a decimal (`12.5e3`) or a
//! single-quoted string with `''` and backslash escapes. The file itself is
//! read by the caller: this crate does no I/O, so `include` directives are
//! answered with 0A000.

use super::{GucContext, GucSource, Settings, index_of, table};
use crate::error::{PgError, PgResult, SqlState};

/// One `name = value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// As written (names are case-insensitive).
    pub name: String,
    /// The value, quotes removed and escapes resolved.
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

/// A configuration file that could not be used: every problem (each to be
/// logged at LOG, as PostgreSQL does) and the FATAL summary
/// `configuration file "F" contains errors` (F0000).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFileError {
    pub problems: Vec<PgError>,
    pub summary: Box<PgError>,
}

impl ConfigFileError {
    fn new(problems: Vec<PgError>, file_name: &str) -> ConfigFileError {
        ConfigFileError {
            problems,
            summary: Box::new(PgError::fatal(
                SqlState::ConfigFileError,
                format!("configuration file \"{file_name}\" contains errors"),
            )),
        }
    }
}

impl From<ConfigFileError> for PgError {
    fn from(e: ConfigFileError) -> PgError {
        *e.summary
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Id(String),
    QualifiedId(String),
    Str(String),
    Unquoted(String),
    Integer(String),
    Real(String),
    Equals,
    Other(String),
}

impl Token {
    fn text(&self) -> &str {
        match self {
            Token::Id(s)
            | Token::QualifiedId(s)
            | Token::Unquoted(s)
            | Token::Integer(s)
            | Token::Real(s) => s,
            Token::Str(raw) => raw,
            Token::Equals => "=",
            Token::Other(s) => s,
        }
    }
}

fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_letter_or_digit(c: char) -> bool {
    is_letter(c) || c.is_ascii_digit()
}

/// Length (in chars) of the longest match of each token class at `s`, the
/// earliest class winning ties, as the configuration lexer does.
fn next_token(s: &[char]) -> (Token, usize) {
    let text = |n: usize| s[..n].iter().collect::<String>();
    let mut best: Option<(usize, u8)> = None;
    let mut consider = |len: usize, class: u8| {
        if len > 0 && best.is_none_or(|(l, _)| len > l) {
            best = Some((len, class));
        }
    };
    // 0: identifier
    let id_len = |from: usize| -> usize {
        if from < s.len() && is_letter(s[from]) {
            let mut i = from + 1;
            while i < s.len() && (is_letter_or_digit(s[i]) || s[i] == '$') {
                i += 1;
            }
            i - from
        } else {
            0
        }
    };
    let id = id_len(0);
    consider(id, 0);
    // 1: qualified identifier
    if id > 0 {
        let mut i = id;
        let mut parts = 1;
        while i < s.len() && s[i] == '.' {
            let n = id_len(i + 1);
            if n == 0 {
                break;
            }
            i += 1 + n;
            parts += 1;
        }
        if parts > 1 {
            consider(i, 1);
        }
    }
    // 2: quoted string
    if s.first() == Some(&'\'') {
        let mut i = 1;
        let end = loop {
            match s.get(i) {
                None | Some('\n') => break None,
                Some('\\') if s.get(i + 1).is_some_and(|c| *c != '\n') => i += 2,
                Some('\\') => break None,
                Some('\'') if s.get(i + 1) == Some(&'\'') => i += 2,
                Some('\'') => break Some(i + 1),
                Some(_) => i += 1,
            }
        };
        if let Some(end) = end {
            consider(end, 2);
        }
    }
    // 3: unquoted string
    if s.first().is_some_and(|c| is_letter(*c)) {
        let mut i = 1;
        while i < s.len() && (is_letter_or_digit(s[i]) || "-._:/".contains(s[i])) {
            i += 1;
        }
        consider(i, 3);
    }
    // 4: integer with unit letters; 5: real
    let mut i = 0;
    if s.first().is_some_and(|c| *c == '+' || *c == '-') {
        i = 1;
    }
    let sign = i;
    {
        let mut j = sign;
        if s.get(j) == Some(&'0')
            && matches!(s.get(j + 1), Some('x') | Some('X'))
            && s.get(j + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            j += 2;
            while j < s.len() && s[j].is_ascii_hexdigit() {
                j += 1;
            }
        } else {
            while j < s.len() && s[j].is_ascii_digit() {
                j += 1;
            }
        }
        if j > sign {
            while j < s.len() && s[j].is_ascii_alphabetic() {
                j += 1;
            }
            consider(j, 4);
        }
    }
    {
        let mut j = sign;
        let mut digits = 0;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
            digits += 1;
        }
        if s.get(j) == Some(&'.') {
            j += 1;
            while j < s.len() && s[j].is_ascii_digit() {
                j += 1;
                digits += 1;
            }
            if digits > 0 {
                if matches!(s.get(j), Some('e') | Some('E')) {
                    let mut k = j + 1;
                    if matches!(s.get(k), Some('+') | Some('-')) {
                        k += 1;
                    }
                    if s.get(k).is_some_and(|c| c.is_ascii_digit()) {
                        while k < s.len() && s[k].is_ascii_digit() {
                            k += 1;
                        }
                        j = k;
                    }
                }
                consider(j, 5);
            }
        }
    }
    // 6: equals
    if s.first() == Some(&'=') {
        consider(1, 6);
    }
    match best {
        Some((n, 0)) => (Token::Id(text(n)), n),
        Some((n, 1)) => (Token::QualifiedId(text(n)), n),
        Some((n, 2)) => (Token::Str(text(n)), n),
        Some((n, 3)) => (Token::Unquoted(text(n)), n),
        Some((n, 4)) => (Token::Integer(text(n)), n),
        Some((n, 5)) => (Token::Real(text(n)), n),
        Some((n, _)) => (Token::Equals, n),
        None => (Token::Other(text(1)), 1),
    }
}

/// Splits one line (without its newline) into tokens, dropping blanks and
/// the comment.
fn tokenize_line(line: &str) -> Vec<Token> {
    let chars: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, ' ' | '\t' | '\r' | '\x0c') {
            i += 1;
            continue;
        }
        if c == '#' {
            break;
        }
        let (token, n) = next_token(&chars[i..]);
        tokens.push(token);
        i += n;
    }
    tokens
}

/// The contents of a quoted value: `''` is a quote; `\b \f \n \r \t`, octal
/// `\ooo`, and `\x` for any other x.
fn unquote(raw: &str) -> String {
    let inner: Vec<char> = raw
        .chars()
        .skip(1)
        .take(raw.chars().count().saturating_sub(2))
        .collect();
    let mut out = String::new();
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            '\\' if i + 1 < inner.len() => {
                let c = inner[i + 1];
                i += 2;
                match c {
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    '0'..='7' => {
                        let mut v = c.to_digit(8).unwrap_or(0);
                        let mut k = 0;
                        while k < 2 && i < inner.len() && ('0'..='7').contains(&inner[i]) {
                            v = v * 8 + inner[i].to_digit(8).unwrap_or(0);
                            i += 1;
                            k += 1;
                        }
                        out.push(char::from_u32(v & 0xff).unwrap_or('?'));
                    }
                    other => out.push(other),
                }
            }
            '\'' if inner.get(i + 1) == Some(&'\'') => {
                out.push('\'');
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn syntax_error(file_name: &str, line: usize, near: Option<&Token>) -> PgError {
    let place = match near {
        Some(t) => format!("near token \"{}\"", t.text()),
        None => "near end of line".to_string(),
    };
    PgError::new(
        SqlState::SyntaxError,
        format!("syntax error in file \"{file_name}\" line {line}, {place}"),
    )
}

/// Parses the text of a configuration file. Every syntax error is collected
/// (42601 `syntax error in file "F" line N, near token "T"` / `near end of
/// line`); `include`, `include_if_exists` and `include_dir` give 0A000.
pub fn parse_config_file(text: &str, file_name: &str) -> Result<Vec<ConfigEntry>, ConfigFileError> {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        let line_no = n + 1;
        let tokens = tokenize_line(line);
        let mut it = tokens.iter().peekable();
        let Some(first) = it.next() else { continue };
        let name = match first {
            Token::Id(s) | Token::QualifiedId(s) => s.clone(),
            other => {
                problems.push(syntax_error(file_name, line_no, Some(other)));
                continue;
            }
        };
        if it.peek() == Some(&&Token::Equals) {
            it.next();
        }
        let value = match it.next() {
            Some(Token::Str(raw)) => unquote(raw),
            Some(Token::Id(s))
            | Some(Token::Unquoted(s))
            | Some(Token::Integer(s))
            | Some(Token::Real(s)) => s.clone(),
            other => {
                problems.push(syntax_error(file_name, line_no, other));
                continue;
            }
        };
        if let Some(extra) = it.next() {
            problems.push(syntax_error(file_name, line_no, Some(extra)));
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "include" | "include_if_exists" | "include_dir"
        ) {
            problems.push(PgError::feature_not_supported(format!(
                "\"{lower}\" in file \"{file_name}\" line {line_no}"
            )));
            continue;
        }
        entries.push(ConfigEntry {
            name,
            value,
            line: line_no,
        });
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(ConfigFileError::new(problems, file_name))
    }
}

fn entry_error(settings: &mut Settings, entry: &ConfigEntry, file_name: &str) -> Option<PgError> {
    if index_of(&entry.name).is_none() && !entry.name.contains('.') {
        return Some(PgError::new(
            SqlState::UndefinedObject,
            format!(
                "unrecognized configuration parameter \"{}\" in file \"{file_name}\" line {}",
                entry.name, entry.line
            ),
        ));
    }
    settings
        .set(&entry.name, &entry.value, GucSource::ConfigFile, true)
        .err()
}

/// Applies parsed entries at server start (later lines win). Unknown names
/// give 42704 `unrecognized configuration parameter "x" in file "F" line N`;
/// bad values give the same messages as `SET`. Any problem makes the whole
/// file an error, which the postmaster reports as FATAL.
pub fn apply_config(
    settings: &mut Settings,
    entries: &[ConfigEntry],
    file_name: &str,
) -> Result<(), ConfigFileError> {
    let problems: Vec<PgError> = entries
        .iter()
        .filter_map(|e| entry_error(settings, e, file_name))
        .collect();
    settings.autotune();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigFileError::new(problems, file_name))
    }
}

/// Applies a re-read configuration file on SIGHUP, in the postmaster or a
/// backend, and returns the messages to LOG. A changed postmaster-context
/// setting is not applied (55P02 `parameter "x" cannot be changed without
/// restarting the server`); a backend-context setting only affects new
/// sessions and is skipped. Values a session has `SET` stay in force, but
/// `RESET` and `ROLLBACK` now restore the file's value. Settings no longer
/// in the file are not yet put back to their defaults.
pub fn reload_config(
    settings: &mut Settings,
    entries: &[ConfigEntry],
    file_name: &str,
) -> Vec<PgError> {
    let mut messages = Vec::new();
    for entry in entries {
        let Some(i) = index_of(&entry.name) else {
            if let Some(e) = entry_error(settings, entry, file_name) {
                messages.push(e);
            }
            continue;
        };
        let def = &table::TABLE[i];
        match def.context {
            GucContext::Postmaster => {
                let mut scratch = settings.clone();
                let unchanged = scratch
                    .set(&entry.name, &entry.value, GucSource::Override, true)
                    .is_ok()
                    && scratch.show(def.name).ok() == settings.show(def.name).ok();
                if !unchanged {
                    messages.push(PgError::new(
                        SqlState::CantChangeRuntimeParam,
                        format!(
                            "parameter \"{}\" cannot be changed without restarting the server",
                            entry.name
                        ),
                    ));
                }
            }
            GucContext::Backend | GucContext::SuperuserBackend => {}
            _ => {
                if let Err(e) = settings.set(&entry.name, &entry.value, GucSource::ConfigFile, true)
                {
                    messages.push(e);
                }
            }
        }
    }
    messages
}

/// Convenience for the postmaster: parse and apply in one step.
pub fn load_config(settings: &mut Settings, text: &str, file_name: &str) -> PgResult<()> {
    let entries = parse_config_file(text, file_name)?;
    apply_config(settings, &entries, file_name)?;
    Ok(())
}
