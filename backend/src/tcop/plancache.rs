//! Plans of simple-protocol queries, reused across query strings that differ
//! only in numeric literals (PostgreSQL parses and plans every simple query
//! anew; we reach the same results with less work per statement).
//!
//! A query string qualifies only if it is one SELECT, INSERT, UPDATE or
//! DELETE in a small lexical subset: identifiers, quoted identifiers,
//! numbers, plain string literals, and the operators and punctuation
//! `=`, `<`, `>`, `<=`, `>=`, `<>`, `!=`, `+`, `-`, `*`, `/`, `%`, `::`, `(`,
//! `)`, `,`, `.` and a final `;`. A comment, a parameter, another operator,
//! an escape or prefixed string, or a string naming a moving date (`'now'`,
//! `'today'`, ...) disqualifies it ([`normalize`] says None).
//!
//! A number becomes a parameter only where a literal and a parameter of the
//! literal's type mean the same: after a comparison or arithmetic operator,
//! after BETWEEN and the AND that ends its range, or as an item of a VALUES
//! row, and not before a `::` cast
//! (`1e100::float8` reads its literal as float). A minus sign after an
//! operator or before a VALUES item joins its number, as the parser makes it
//! a negative literal (`-2147483648` is an int4); after a word it may be
//! either, so its number stays. Other numbers (`LIMIT 10`, `ORDER BY 1`,
//! `numeric(10, 2)`, `IN (1, 2)`, `SELECT 1`) stay in the text, and so do
//! string literals; with strings, DateStyle, TimeZone and IntervalStyle (how
//! date, time and interval strings read) join the key.
//!
//! The cache key is the text with parameters (`$1`, ...), the parameters'
//! types (int4, int8 or numeric, as the literal would be typed), the user
//! and `search_path`. An entry is made after the query ran the ordinary way
//! without error: its text is parsed and planned with those parameter
//! types; a statement that does not plan so is remembered as not cached.
//! A text is first only noted, and planned for the cache the second time
//! it runs, so that strings that never repeat cost no second planning. A
//! cached plan is re-made when the catalog changes, as a prepared
//! statement's is.

use std::sync::Arc;

use sqlparser::ast::Statement;
use types::oid::{INT4, INT8, NUMERIC};
use types::{Datum, PgResult};

use crate::session::{Prepared, Session};

/// Entries kept per session before the cache starts over.
const MAX_ENTRIES: usize = 256;

/// A query string with its numbers taken out.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The text with `$n` for each parameter.
    pub text: String,
    pub values: Vec<Datum>,
    pub types: Vec<u32>,
    /// The text has string literals (kept in it).
    pub strings: bool,
}

/// The session's cache: None remembers a key whose statement is not cached.
#[derive(Debug, Default)]
pub struct PlanCache {
    entries: types::fasthash::FastMap<String, Option<Arc<Prepared>>>,
    /// Keys run once so far, not planned for the cache yet.
    seen_once:
        std::collections::HashSet<String, std::hash::BuildHasherDefault<types::fasthash::Fnv>>,
}

/// What the previous significant token was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    Start,
    /// A number, a quoted identifier or `)`: a value ends here.
    Operand,
    /// An identifier or keyword: a value may end here (`x - 1`) or not
    /// (`SELECT -1`), so a minus after it is left alone.
    Word,
    /// A comparison or arithmetic operator.
    Operator,
    /// `-` after an operator or a row item: a sign, joined to its number.
    Sign,
    /// `-` after a word: binary or a sign, we cannot tell.
    Ambiguous,
    /// `(` or `,` before an item of a VALUES row.
    RowItem,
    Other,
}

/// The query string `sql` with its numbers that may be parameters taken
/// out (see the module doc), or None if it does not qualify.
pub fn normalize(sql: &str) -> Option<Normalized> {
    let b = sql.as_bytes();
    let first = b.iter().position(|c| !c.is_ascii_whitespace())?;
    let head: String = b[first..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase() as char)
        .collect();
    if !matches!(head.as_str(), "select" | "insert" | "update" | "delete") {
        return None;
    }
    let mut out = Normalized {
        text: String::with_capacity(sql.len()),
        values: Vec::new(),
        types: Vec::new(),
        strings: false,
    };
    let mut prev = Prev::Start;
    // Parenthesis depth; whether a VALUES list is being read (at depth 0);
    // the depth of the VALUES row we are in, if any; where a sign starts.
    let mut depth = 0usize;
    let mut values_list = false;
    let mut row_depth: Option<usize> = None;
    let mut sign_at = 0usize;
    let mut in_between = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            out.text.push(c as char);
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            let word = &sql[start..i];
            out.text.push_str(word);
            if depth == 0 {
                values_list = word.eq_ignore_ascii_case("values");
            }
            // `BETWEEN 1 AND 5`: both bounds are values as after `>=`.
            prev = if word.eq_ignore_ascii_case("between") {
                in_between = true;
                Prev::Operator
            } else if in_between && word.eq_ignore_ascii_case("and") {
                in_between = false;
                Prev::Operator
            } else {
                Prev::Word
            };
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = i;
            let exact = scan_number(b, &mut i)?;
            let literal = &sql[start..i];
            let cast_follows = sql[i..].trim_start().starts_with("::");
            if matches!(prev, Prev::Operator | Prev::Sign | Prev::RowItem) && !cast_follows {
                let text = if prev == Prev::Sign {
                    out.text.truncate(sign_at);
                    format!("-{literal}")
                } else {
                    literal.to_owned()
                };
                let (value, type_oid) = literal_value(&text, exact)?;
                out.values.push(value);
                out.types.push(type_oid);
                out.text.push('$');
                out.text.push_str(&out.values.len().to_string());
            } else {
                out.text.push_str(literal);
            }
            prev = Prev::Operand;
            continue;
        }
        if c == b'\'' {
            // A plain string literal stays in the text. Not after a letter
            // (E'', B'', X'', U&''), not with a backslash (its meaning
            // follows standard_conforming_strings), not one of the date
            // words the analyzer turns into the time of analysis.
            if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'&') {
                return None;
            }
            let mut end = i + 1;
            loop {
                match b.get(end) {
                    None | Some(b'\\') => return None,
                    Some(b'\'') if b.get(end + 1) == Some(&b'\'') => end += 2,
                    Some(b'\'') => break,
                    Some(_) => end += 1,
                }
            }
            let body = sql[i + 1..end].to_ascii_lowercase();
            if ["now", "today", "tomorrow", "yesterday"]
                .iter()
                .any(|w| body.contains(w))
            {
                return None;
            }
            out.text.push_str(&sql[i..=end]);
            out.strings = true;
            i = end + 1;
            prev = Prev::Operand;
            continue;
        }
        if c == b'"' {
            let end = sql[i + 1..].find('"')? + i + 1;
            if b.get(end + 1) == Some(&b'"') {
                return None;
            }
            out.text.push_str(&sql[i..=end]);
            i = end + 1;
            prev = Prev::Operand;
            continue;
        }
        let two = b.get(i + 1).copied();
        let (len, kind) = match (c, two) {
            (b'-', Some(b'-')) | (b'/', Some(b'*')) => return None,
            (b'<', Some(b'=' | b'>')) | (b'>', Some(b'=')) | (b'!', Some(b'=')) => {
                (2, Prev::Operator)
            }
            (b':', Some(b':')) => (2, Prev::Other),
            (b'-', _) => match prev {
                Prev::Operand => (1, Prev::Operator),
                Prev::Word => (1, Prev::Ambiguous),
                _ => {
                    sign_at = out.text.len();
                    (1, Prev::Sign)
                }
            },
            (b'=' | b'<' | b'>' | b'+' | b'*' | b'/' | b'%', _) => (1, Prev::Operator),
            (b'(', _) => {
                depth += 1;
                if values_list && depth == 1 {
                    row_depth = Some(depth);
                }
                (
                    1,
                    if row_depth == Some(depth) {
                        Prev::RowItem
                    } else {
                        Prev::Other
                    },
                )
            }
            (b')', _) => {
                if row_depth == Some(depth) {
                    row_depth = None;
                }
                depth = depth.checked_sub(1)?;
                (1, Prev::Operand)
            }
            (b',', _) => (
                1,
                if row_depth == Some(depth) {
                    Prev::RowItem
                } else {
                    Prev::Other
                },
            ),
            (b'.', _) => (1, Prev::Other),
            // Only as the last thing: one statement.
            (b';', _) if sql[i + 1..].trim().is_empty() => (1, Prev::Other),
            _ => return None,
        };
        out.text.push_str(&sql[i..i + len]);
        i += len;
        prev = kind;
    }
    if depth != 0 {
        return None;
    }
    Some(out)
}

/// Reads the number at `b[*i]` (digits, a fraction, an exponent) and moves
/// past it; true if it is an integer. None if letters or another point
/// follow it (`123abc`), which this scanner leaves to the parser.
fn scan_number(b: &[u8], i: &mut usize) -> Option<bool> {
    let digits = |i: &mut usize| {
        let from = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > from
    };
    let mut exact = true;
    digits(i);
    if *i < b.len() && b[*i] == b'.' {
        exact = false;
        *i += 1;
        digits(i);
    }
    if *i < b.len() && (b[*i] == b'e' || b[*i] == b'E') {
        exact = false;
        *i += 1;
        if *i < b.len() && (b[*i] == b'+' || b[*i] == b'-') {
            *i += 1;
        }
        if !digits(i) {
            return None;
        }
    }
    if *i < b.len() && (b[*i].is_ascii_alphanumeric() || b[*i] == b'_' || b[*i] == b'.') {
        return None;
    }
    Some(exact)
}

/// The value and type a numeric literal's text has (as the analyzer's
/// `number_literal` reads it): int4, else int8, else numeric.
fn literal_value(text: &str, exact: bool) -> Option<(Datum, u32)> {
    if exact {
        if let Ok(v) = text.parse::<i32>() {
            return Some((Datum::Int4(v), INT4));
        }
        if let Ok(v) = text.parse::<i64>() {
            return Some((Datum::Int8(v), INT8));
        }
    }
    match types::datum::Numeric::parse(text) {
        Some(Ok(n)) => Some((Datum::Numeric(n), NUMERIC)),
        _ => None,
    }
}

impl PlanCache {
    fn key(session: &Session, n: &Normalized) -> String {
        let search_path = session.settings.get_str("search_path").unwrap_or_default();
        let mut key = String::with_capacity(n.text.len() + search_path.len() + 32);
        key.push_str(&n.text);
        key.push('\0');
        for t in &n.types {
            key.push_str(&t.to_string());
            key.push(',');
        }
        key.push('\0');
        key.push_str(&session.user_oid.to_string());
        key.push('\0');
        key.push_str(&search_path);
        if n.strings {
            // How the analyzer reads date, time and interval strings.
            for name in ["DateStyle", "TimeZone", "IntervalStyle"] {
                key.push('\0');
                key.push_str(&session.settings.get_str(name).unwrap_or_default());
            }
        }
        key
    }
}

/// The cached statement for `n`, if there is one.
pub fn lookup(session: &Session, n: &Normalized) -> Option<Arc<Prepared>> {
    let key = PlanCache::key(session, n);
    session.plan_cache.entries.get(&key).cloned().flatten()
}

/// Whether `n` was looked at before (cached or found not to be cacheable).
pub fn known(session: &Session, n: &Normalized) -> bool {
    let key = PlanCache::key(session, n);
    session.plan_cache.entries.contains_key(&key)
}

/// Makes the entry for `n` after its query ran without error: parsed and
/// planned with its parameters; remembered as not cached if that fails or
/// changes the parameters' types.
pub fn remember(session: &mut Session, n: &Normalized) {
    let key = PlanCache::key(session, n);
    let seen = &mut session.plan_cache.seen_once;
    if !seen.remove(&key) {
        if seen.len() >= MAX_ENTRIES {
            seen.clear();
        }
        seen.insert(key);
        return;
    }
    let entry = prepare(session, n).ok().flatten().map(Arc::new);
    if session.xact == crate::session::XactState::Idle {
        // Catalog lookups outside a transaction leave no snapshot behind.
        session.storage.transam.end_without_xid();
    }
    let cache = &mut session.plan_cache.entries;
    if cache.len() >= MAX_ENTRIES {
        cache.clear();
    }
    cache.insert(key, entry);
}

fn prepare(session: &mut Session, n: &Normalized) -> PgResult<Option<Prepared>> {
    let mut stmts = crate::syntax::parse(&n.text)?;
    let Some(stmt) = stmts.pop() else {
        return Ok(None);
    };
    if !stmts.is_empty()
        || !matches!(
            stmt,
            Statement::Query(_)
                | Statement::Insert(_)
                | Statement::Update(_)
                | Statement::Delete(_)
                | Statement::Merge(_)
        )
    {
        return Ok(None);
    }
    let catalog_version = super::catalog_version(session);
    let plan = super::plan_query(session, &stmt, &n.text, Some(&n.types))?;
    if plan.param_types != n.types {
        return Ok(None);
    }
    Ok(Some(Prepared {
        sql: n.text.clone(),
        stmt: Some(stmt),
        plan: Some(plan),
        param_types: n.types.clone(),
        catalog_version,
        from_sql: false,
        prepare_time: crate::session::now_pg(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(sql: &str) -> Option<(String, Vec<Datum>)> {
        normalize(sql).map(|n| (n.text, n.values))
    }

    #[test]
    fn numbers_after_operators_and_in_values_rows_become_parameters() {
        assert_eq!(
            norm("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;"),
            Some((
                "SELECT abalance FROM pgbench_accounts WHERE aid = $1;".into(),
                vec![Datum::Int4(4711)]
            ))
        );
        assert_eq!(
            norm("UPDATE t SET a = a + -3421 WHERE id = 7"),
            Some((
                "UPDATE t SET a = a + $1 WHERE id = $2".into(),
                vec![Datum::Int4(-3421), Datum::Int4(7)]
            ))
        );
        assert_eq!(
            norm("INSERT INTO h (a, b, c) VALUES (1, -2, 3000000000), (4, 5.5, now())"),
            Some((
                "INSERT INTO h (a, b, c) VALUES ($1, $2, $3), ($4, $5, now())".into(),
                vec![
                    Datum::Int4(1),
                    Datum::Int4(-2),
                    Datum::Int8(3_000_000_000),
                    Datum::Int4(4),
                    literal_value("5.5", false).expect("numeric").0,
                ]
            ))
        );
        // After a word a minus may be a sign (`SELECT -1`): left alone.
        assert_eq!(
            norm("SELECT -1, x - 1, (x) - 2, 3 - 4, -x FROM t WHERE y >= -2147483648"),
            Some((
                "SELECT -1, x - 1, (x) - $1, 3 - $2, -x FROM t WHERE y >= $3".into(),
                vec![Datum::Int4(2), Datum::Int4(4), Datum::Int4(i32::MIN)]
            ))
        );
    }

    #[test]
    fn numbers_whose_place_gives_them_meaning_stay() {
        for sql in [
            "SELECT 1",
            "SELECT a FROM t ORDER BY 1 LIMIT 10 OFFSET 2",
            "SELECT a::numeric(10, 2) FROM t",
            "SELECT a FROM t WHERE a IN (1, 2)",
            "SELECT 1e100::float8",
            "SELECT a FROM t WHERE a = 1::int8",
            "INSERT INTO t VALUES (1) RETURNING (2)",
        ] {
            let n = normalize(sql).expect(sql);
            let want = sql.replace("VALUES (1)", "VALUES ($1)");
            assert_eq!(n.text, want, "{sql}");
        }
    }

    #[test]
    fn plain_strings_stay_in_the_text() {
        let n = normalize("INSERT INTO t VALUES (7, -3, 'x'), (8, 'it''s', 'a -- b')")
            .expect("qualifies");
        assert_eq!(
            n.text,
            "INSERT INTO t VALUES ($1, $2, 'x'), ($3, 'it''s', 'a -- b')"
        );
        assert!(n.strings);
        assert!(!normalize("SELECT 1").expect("qualifies").strings);
    }

    #[test]
    fn what_the_scanner_cannot_be_sure_of_is_not_cached() {
        for sql in [
            "SELECT E'a'",
            "SELECT 'a\\b'",
            "SELECT 'now'::timestamptz",
            "SELECT a FROM t WHERE d = 'Tomorrow'",
            "SELECT 'a",
            "SELECT 1 -- comment",
            "SELECT /* c */ 1",
            "SELECT $1",
            "SELECT 1; SELECT 2",
            "SELECT a[1] FROM t",
            "SELECT a FROM t WHERE b ~ c",
            "SELECT 123abc",
            "BEGIN",
            "VACUUM t",
            "SELECT (1",
        ] {
            assert_eq!(normalize(sql), None, "{sql}");
        }
    }
}
