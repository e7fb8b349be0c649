//! POSIX regular expressions (`~`, `~*`, `!~`, `!~*`, `regexp_replace`,
//! `regexp_like`, `regexp_count`) on the `regex` crate.
//!
//! PostgreSQL's advanced regular expressions are translated where they
//! differ: `.` matches a newline (PostgreSQL is not newline-sensitive unless
//! asked with the `n` flag), `\m` `\M` `\y` `\Y` `\Z` are word start, word
//! end, word boundary, not a boundary and end of string; a replacement's
//! `\1`..`\9` and `\&` are the groups and the whole match. A pattern with
//! back references or look-around, which the crate refuses, is compiled by
//! `fancy-regex` instead (a backtracking matcher over the same syntax that
//! hands the plain parts to the crate). Compiled patterns are kept per
//! backend for the next row.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;
use types::datum::ArrayValue;
use types::{Datum, PgError, PgResult, SqlState};

use super::arg;

/// How a pattern is compiled (PostgreSQL's flags that change matching).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
struct Mode {
    case_insensitive: bool,
    newline_sensitive: bool,
    expanded: bool,
    /// `like_regex`'s own newline rules instead of `newline_sensitive`:
    /// (`.` matches a newline, `^` and `$` match at one).
    xquery: Option<(bool, bool)>,
}

thread_local! {
    /// Compiled patterns of this backend (cleared when it grows large).
    static CACHE: RefCell<HashMap<(String, Mode), Pattern>> = RefCell::new(HashMap::new());
}

/// A compiled pattern: by the regex crate, or by fancy-regex when it needs
/// back references or look-around.
#[derive(Clone)]
enum Pattern {
    Plain(Regex),
    Fancy(Box<fancy_regex::Regex>),
}

/// Where a match and each of its groups start and end (`None` for a group
/// that took no part).
type Spans = Vec<Option<(usize, usize)>>;

fn backtrack_error(e: fancy_regex::Error) -> PgError {
    invalid(e)
}

impl Pattern {
    fn is_match(&self, s: &str) -> PgResult<bool> {
        match self {
            Pattern::Plain(re) => Ok(re.is_match(s)),
            Pattern::Fancy(re) => re.is_match(s).map_err(backtrack_error),
        }
    }

    /// The spans of the first match in `s` at or after byte `pos` (with
    /// `^`, `\\m` and look-behind still seeing the text before `pos`).
    fn captures_at(&self, s: &str, pos: usize) -> PgResult<Option<Spans>> {
        Ok(match self {
            Pattern::Plain(re) => re.captures_at(s, pos).map(|caps| {
                (0..caps.len())
                    .map(|i| caps.get(i).map(|m| (m.start(), m.end())))
                    .collect()
            }),
            Pattern::Fancy(re) => {
                re.captures_from_pos(s, pos)
                    .map_err(backtrack_error)?
                    .map(|caps| {
                        (0..caps.len())
                            .map(|i| caps.get(i).map(|m| (m.start(), m.end())))
                            .collect()
                    })
            }
        })
    }

    /// The spans of the matches in `s` (only the first unless `global`).
    fn captures(&self, s: &str, global: bool) -> PgResult<Vec<Spans>> {
        self.captures_from(s, 0, global)
    }

    /// The spans of the matches in `s` from byte `from` on (only the first
    /// unless `global`), searched as PostgreSQL searches: the next search
    /// starts where a match ended, one character further after an empty
    /// match.
    fn captures_from(&self, s: &str, from: usize, global: bool) -> PgResult<Vec<Spans>> {
        let mut out = Vec::new();
        let mut pos = from;
        while pos <= s.len() {
            let Some(spans) = self.captures_at(s, pos)? else {
                break;
            };
            let Some((start, end)) = spans[0] else {
                break;
            };
            out.push(spans);
            if !global {
                break;
            }
            pos = if start == end {
                match s[end..].chars().next() {
                    Some(c) => end + c.len_utf8(),
                    None => break,
                }
            } else {
                end
            };
        }
        Ok(out)
    }

    /// Where each match in `s` starts and ends.
    fn find_spans(&self, s: &str) -> PgResult<Vec<(usize, usize)>> {
        match self {
            Pattern::Plain(re) => Ok(re.find_iter(s).map(|m| (m.start(), m.end())).collect()),
            Pattern::Fancy(re) => re
                .find_iter(s)
                .map(|m| m.map(|m| (m.start(), m.end())).map_err(backtrack_error))
                .collect(),
        }
    }
}

fn invalid(msg: impl std::fmt::Display) -> PgError {
    PgError::new(
        SqlState::InvalidRegularExpression,
        format!("invalid regular expression: {msg}"),
    )
}

/// PostgreSQL's pattern in the crate's syntax.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                match (e, in_class) {
                    ('m', false) => out.push_str(r"\b{start}"),
                    ('M', false) => out.push_str(r"\b{end}"),
                    ('y', false) => out.push_str(r"\b"),
                    ('Y', false) => out.push_str(r"\B"),
                    ('Z', false) => out.push_str(r"\z"),
                    // backspace, and a synonym for a backslash
                    ('b', _) => out.push_str(r"\x08"),
                    ('B', _) => out.push_str(r"\\"),
                    (e, _) => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` right after `[` or `[^` is a member, not the end.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // [:alpha:] inside a class
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

fn compiled(pattern: &str, mode: Mode) -> PgResult<Pattern> {
    let key = (pattern.to_owned(), mode);
    if let Some(r) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(r);
    }
    let mut flags = String::from("(?");
    if mode.case_insensitive {
        flags.push('i');
    }
    match mode.xquery {
        Some((dot_all, multi_line)) => {
            if dot_all {
                flags.push('s');
            }
            if multi_line {
                flags.push('m');
            }
        }
        None if mode.newline_sensitive => flags.push('m'),
        None => flags.push('s'),
    }
    if mode.expanded {
        flags.push('x');
    }
    if flags == "(?" {
        flags.clear();
    } else {
        flags.push(')');
    }
    let source = format!("{flags}{}", translate(pattern));
    let re = match Regex::new(&source) {
        Ok(re) => Pattern::Plain(re),
        Err(regex::Error::Syntax(s))
            if s.contains("look-around") || s.contains("backreferences") =>
        {
            let re = fancy_regex::Regex::new(&source).map_err(|e| invalid(fancy_reason(&e)))?;
            Pattern::Fancy(Box::new(re))
        }
        Err(regex::Error::Syntax(s)) => return Err(invalid(pg_reason(&s))),
        Err(other) => return Err(invalid(other)),
    };
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(key, re.clone());
    });
    Ok(re)
}

/// `like_regex` of a jsonpath: XQuery's flags `i` (ignore case), `s` (`.`
/// matches a newline), `m` (`^` and `$` match at newlines), `q` (the
/// pattern is a literal string).
pub fn like_regex(
    text: &str,
    pattern: &str,
    icase: bool,
    dotall: bool,
    mline: bool,
    quote: bool,
) -> PgResult<bool> {
    let pattern = if quote {
        regex::escape(pattern)
    } else {
        pattern.to_owned()
    };
    let mode = Mode {
        case_insensitive: icase,
        xquery: Some((dotall || quote, mline && !quote)),
        ..Mode::default()
    };
    compiled(&pattern, mode)?.is_match(text)
}

/// PostgreSQL's words for the crate's syntax errors it has words for.
fn pg_reason(crate_message: &str) -> String {
    let last = crate_message.lines().last().unwrap_or("syntax").trim();
    let last = last.strip_prefix("error: ").unwrap_or(last);
    if last.contains("unclosed group") || last.contains("unopened group") {
        "parentheses () not balanced".into()
    } else if last.contains("unclosed character class") {
        "brackets [] not balanced".into()
    } else if last.contains("repetition operator missing expression") {
        "quantifier operand invalid".into()
    } else if last.contains("repetition count") || last.contains("repetition quantifier") {
        "invalid repetition count(s)".into()
    } else if last.contains("escape sequence") {
        "invalid escape \\ sequence".into()
    } else {
        last.to_owned()
    }
}

/// PostgreSQL's words for what fancy-regex refuses.
fn fancy_reason(e: &fancy_regex::Error) -> String {
    let text = e.to_string();
    if text.contains("back reference") || text.contains("backreference") {
        "invalid backreference number".into()
    } else {
        pg_reason(&text)
    }
}

/// The flags argument of `regexp_*`: the mode and whether `g` was given.
fn parse_flags(flags: &str, func: &str) -> PgResult<(Mode, bool)> {
    let mut mode = Mode::default();
    let mut global = false;
    for f in flags.chars() {
        match f {
            'g' if matches!(func, "regexp_replace" | "regexp_matches") => global = true,
            // The callers that refuse it say so with their own hint.
            'g' if matches!(func, "regexp_match") => global = true,
            'i' => mode.case_insensitive = true,
            'c' => mode.case_insensitive = false,
            'n' | 'm' => mode.newline_sensitive = true,
            's' => mode.newline_sensitive = false,
            'x' => mode.expanded = true,
            'g' => {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("{func}() does not support the \"global\" option"),
                ));
            }
            other => {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("invalid regular expression option: \"{other}\""),
                ));
            }
        }
    }
    Ok((mode, global))
}

/// `s` with the matches of `re` replaced
/// by `rep`, in which `\1`..`\9` stand for a group (empty if it took no
/// part), `\&` for the whole match and `\\` for one backslash; any other
/// backslash is kept with what follows it.
///
/// `from` is the byte where the search starts and `n` the match to replace
/// (`0`: every match; `1` with `global` false: the first).
fn replace(re: &Pattern, s: &str, rep: &str, from: usize, n: usize) -> PgResult<String> {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (i, spans) in re.captures_from(s, from, n != 1)?.into_iter().enumerate() {
        if n > 0 && i + 1 != n {
            continue;
        }
        let Some((start, end)) = spans[0] else {
            continue;
        };
        out.push_str(&s[last..start]);
        let mut chars = rep.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some(d @ '1'..='9') => {
                    let group = d as usize - '0' as usize;
                    if let Some(Some((a, b))) = spans.get(group) {
                        out.push_str(&s[*a..*b]);
                    }
                }
                Some('&') => out.push_str(&s[start..end]),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        last = end;
    }
    out.push_str(&s[last..]);
    Ok(out)
}

fn text(d: &Datum) -> PgResult<&str> {
    match d {
        Datum::Text(s) => Ok(s),
        other => Err(PgError::internal(format!("not text: {other:?}"))),
    }
}

/// The matches of `re` in `s` (the first only unless `global`), each as
/// the text[] of its capture groups (NULL for a group that took no part),
/// or of the whole match when the pattern has no groups.
fn matches(re: &Pattern, s: &str, global: bool) -> PgResult<Vec<Datum>> {
    Ok(re
        .captures(s, global)?
        .into_iter()
        .map(|spans| {
            let groups = if spans.len() == 1 {
                &spans[..]
            } else {
                &spans[1..]
            };
            let elems = groups
                .iter()
                .map(|g| g.map_or(Datum::Null, |(a, b)| Datum::Text(s[a..b].to_string())))
                .collect();
            Datum::Array(Box::new(ArrayValue::new(types::oid::TEXT, elems)))
        })
        .collect())
}

/// `s` split at the matches of `re`, as PostgreSQL splits: a zero-length
/// match at either end of the string or right after another match does
/// not split.
fn split(re: &Pattern, s: &str) -> PgResult<Vec<String>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut last_end = None;
    for (m_start, m_end) in re.find_spans(s)? {
        if m_start == m_end && (m_start == 0 || m_start == s.len() || Some(m_start) == last_end) {
            continue;
        }
        if m_start == m_end {
            // Split after one character.
            pieces.push(s[start..m_start].to_string());
            start = m_start;
        } else {
            pieces.push(s[start..m_start].to_string());
            start = m_end;
        }
        last_end = Some(m_end);
    }
    pieces.push(s[start..].to_string());
    Ok(pieces)
}

/// The optional positive integer argument `n` called `name`.
fn positive_arg(args: &[Datum], n: usize, name: &str) -> PgResult<Option<usize>> {
    match args.get(n) {
        Some(Datum::Int4(v)) if *v <= 0 => Err(bad_parameter(name, *v)),
        Some(Datum::Int4(v)) => Ok(Some(*v as usize)),
        _ => Ok(None),
    }
}

fn bad_parameter(name: &str, value: i32) -> PgError {
    PgError::new(
        SqlState::InvalidParameterValue,
        format!("invalid value for parameter \"{name}\": {value}"),
    )
}

/// Where character `n` (from 0) of `s` starts; the end of `s` for `n` its
/// length, `None` past it.
fn byte_of_char(s: &str, n: usize) -> Option<usize> {
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .nth(n)
}

/// A SIMILAR TO pattern as a POSIX regular expression matching the whole
/// string (PostgreSQL's `similar_to_escape`): `%` is `.*`, `_` is `.`, the
/// escape character (default backslash, none when empty) quotes the next
/// character, and two escape-double-quote separators mark the part that
/// SUBSTRING returns: `^(?:part1){1,1}?(part2){1,1}(?:part3)$`.
pub fn similar_to_regex(pattern: &str, escape: Option<&str>) -> PgResult<String> {
    let escape = match escape {
        None => Some('\\'),
        Some(e) => {
            let mut chars = e.chars();
            match (chars.next(), chars.next()) {
                (None, _) => None,
                (Some(c), None) => Some(c),
                _ => {
                    return Err(PgError::new(
                        SqlState::InvalidEscapeSequence,
                        "invalid escape string",
                    )
                    .with_hint("Escape string must be empty or one character."));
                }
            }
        }
    };
    let mut out = String::with_capacity(pattern.len() * 2 + 24);
    out.push_str("^(?:");
    let mut after_escape = false;
    let mut separators = 0;
    // Inside a bracket expression: its nesting depth, and how far into it
    // we are (1 right after `[`, 2 after a leading `^`, 3 further on, when
    // a `]` closes it).
    let mut depth = 0;
    let mut class_pos = 0;
    for c in pattern.chars() {
        if after_escape {
            after_escape = false;
            if c == '"' && depth == 0 {
                match separators {
                    0 => out.push_str("){1,1}?("),
                    1 => out.push_str("){1,1}(?:"),
                    _ => {
                        return Err(PgError::new(
                            SqlState::InvalidUseOfEscapeCharacter,
                            "SQL regular expression may not contain more than two escape-double-quote separators",
                        ));
                    }
                }
                separators += 1;
            } else {
                out.push('\\');
                out.push(c);
                class_pos = 3;
            }
        } else if Some(c) == escape {
            after_escape = true;
        } else if depth > 0 {
            if c == '\\' {
                out.push('\\');
            }
            out.push(c);
            match c {
                ']' if class_pos > 2 => depth -= 1,
                '[' => {
                    depth += 1;
                    class_pos = 3;
                }
                '^' => class_pos += 1,
                _ => class_pos = 3,
            }
        } else {
            match c {
                '[' => {
                    out.push('[');
                    depth = 1;
                    class_pos = 1;
                }
                '%' => out.push_str(".*"),
                '_' => out.push('.'),
                '(' => out.push_str("(?:"),
                '\\' | '.' | '^' | '$' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
    }
    out.push_str(")$");
    Ok(out)
}

/// `similar_to_regex`'s output with its first part's quantifiers made
/// lazy: PostgreSQL's engine takes `(?:part1){1,1}?` to make the whole part
/// match as little as it can, which the regex crate reads as one lazy
/// repetition of greedy quantifiers.
fn lazy_first_part(regex: &str) -> String {
    let Some(end) = regex.find("){1,1}?(") else {
        return regex.to_string();
    };
    let mut out = String::with_capacity(regex.len() + 8);
    let mut chars = regex[..end].chars().peekable();
    let mut in_class = false;
    let mut in_braces = false;
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '\\' => {
                if let Some(d) = chars.next() {
                    out.push(d);
                }
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => in_braces = true,
            '*' | '+' | '?' | '}' if !in_class && (c != '}' || in_braces) => {
                in_braces = false;
                // A `?` after `(` opens a group, not a quantifier.
                let opens_group = c == '?' && out[..out.len() - 1].ends_with('(');
                if !opens_group && chars.peek() != Some(&'?') {
                    out.push('?');
                }
            }
            _ => {}
        }
    }
    out.push_str(&regex[end..]);
    out
}

/// The set-returning regular expression functions: `regexp_matches`
/// (one text[] per match; all of them with the `g` flag) and
/// `regexp_split_to_table`.
pub fn rows(func: &str, args: &[Datum]) -> PgResult<Option<Vec<Datum>>> {
    let t = |n: usize| arg(args, n).and_then(text);
    Ok(Some(match func {
        "regexp_matches" => {
            let (mode, global) = parse_flags(if args.len() > 2 { t(2)? } else { "" }, func)?;
            matches(&compiled(t(1)?, mode)?, t(0)?, global)?
        }
        "regexp_split_to_table" => {
            let (mode, global) = parse_flags(if args.len() > 2 { t(2)? } else { "" }, func)?;
            if global {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "regexp_split_to_table() does not support the \"global\" option",
                ));
            }
            split(&compiled(t(1)?, mode)?, t(0)?)?
                .into_iter()
                .map(Datum::Text)
                .collect()
        }
        _ => return Ok(None),
    }))
}

pub fn call(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    let t = |n: usize| arg(args, n).and_then(text);
    Ok(Some(match func {
        "textregexeq" | "texticregexeq" | "textregexne" | "texticregexne" => {
            let mode = Mode {
                case_insensitive: func.starts_with("textic"),
                ..Mode::default()
            };
            let m = compiled(t(1)?, mode)?.is_match(t(0)?)?;
            Datum::Bool(m == func.ends_with("eq"))
        }
        // substring(text FROM pattern): the first parenthesized group's
        // text if the pattern has groups, else the whole match.
        "textregexsubstr" => match compiled(t(1)?, Mode::default())?
            .captures(t(0)?, false)?
            .first()
        {
            Some(spans) => {
                let span = if spans.len() > 1 { spans[1] } else { spans[0] };
                let s = t(0)?;
                span.map_or(Datum::Null, |(a, b)| Datum::Text(s[a..b].to_string()))
            }
            None => Datum::Null,
        },
        "regexp_like" => {
            let (mode, _) = parse_flags(if args.len() > 2 { t(2)? } else { "" }, func)?;
            Datum::Bool(compiled(t(1)?, mode)?.is_match(t(0)?)?)
        }
        "regexp_count" => {
            let start = positive_arg(args, 2, "start")?.unwrap_or(1);
            let (mode, _) = parse_flags(if args.len() > 3 { t(3)? } else { "" }, func)?;
            let s = t(0)?;
            let count = match byte_of_char(s, start - 1) {
                Some(from) => compiled(t(1)?, mode)?.captures_from(s, from, true)?.len(),
                None => 0,
            };
            Datum::Int4(count as i32)
        }
        // regexp_instr(s, p [, start [, n [, endoption [, flags [, subexpr]]]]])
        // and regexp_substr(s, p [, start [, n [, flags [, subexpr]]]]).
        "regexp_instr" | "regexp_substr" => {
            let instr = func == "regexp_instr";
            let start = positive_arg(args, 2, "start")?.unwrap_or(1);
            let n = positive_arg(args, 3, "n")?.unwrap_or(1);
            let endoption = if instr {
                match args.get(4) {
                    Some(Datum::Int4(e @ (0 | 1))) => *e == 1,
                    Some(Datum::Int4(e)) => return Err(bad_parameter("endoption", *e)),
                    _ => false,
                }
            } else {
                false
            };
            let flags_at = if instr { 5 } else { 4 };
            let subexpr = match args.get(flags_at + 1) {
                Some(Datum::Int4(e)) if *e < 0 => return Err(bad_parameter("subexpr", *e)),
                Some(Datum::Int4(e)) => *e as usize,
                _ => 0,
            };
            let (mode, global) = parse_flags(
                if args.len() > flags_at {
                    t(flags_at)?
                } else {
                    ""
                },
                func,
            )?;
            if global {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    format!("{func}() does not support the \"global\" option"),
                ));
            }
            let s = t(0)?;
            let re = compiled(t(1)?, mode)?;
            let found = match byte_of_char(s, start - 1) {
                Some(from) => re.captures_from(s, from, true)?,
                None => Vec::new(),
            };
            // Without a subexpression (or a pattern without groups) the
            // whole match counts as the one subexpression.
            let span = found.get(n - 1).and_then(|spans| {
                if subexpr == 0 || spans.len() == 1 {
                    (subexpr <= 1).then_some(spans[0]).flatten()
                } else {
                    spans.get(subexpr).copied().flatten()
                }
            });
            match (span, instr) {
                (Some((a, b)), true) => {
                    let at = if endoption { b } else { a };
                    Datum::Int4(s[..at].chars().count() as i32 + 1)
                }
                (None, true) => Datum::Int4(0),
                (Some((a, b)), false) => Datum::Text(s[a..b].to_string()),
                (None, false) => Datum::Null,
            }
        }
        "regexp_match" => {
            let (mode, global) = parse_flags(if args.len() > 2 { t(2)? } else { "" }, func)?;
            if global {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "regexp_match() does not support the \"global\" option",
                )
                .with_hint("Use the regexp_matches function instead."));
            }
            match matches(&compiled(t(1)?, mode)?, t(0)?, false)?
                .into_iter()
                .next()
            {
                Some(m) => m,
                None => Datum::Null,
            }
        }
        "regexp_split_to_array" => {
            let (mode, global) = parse_flags(if args.len() > 2 { t(2)? } else { "" }, func)?;
            if global {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "regexp_split_to_array() does not support the \"global\" option",
                ));
            }
            let pieces = split(&compiled(t(1)?, mode)?, t(0)?)?;
            Datum::Array(Box::new(ArrayValue::new(
                types::oid::TEXT,
                pieces.into_iter().map(Datum::Text).collect(),
            )))
        }
        // regexp_replace(s, p, r [, flags]) and
        // regexp_replace(s, p, r, start [, n [, flags]]).
        "regexp_replace" => {
            let (start, n, flags) = match args.get(3) {
                Some(Datum::Int4(_)) => {
                    let start = positive_arg(args, 3, "start")?.unwrap_or(1);
                    let n = match args.get(4) {
                        Some(Datum::Int4(n)) if *n < 0 => return Err(bad_parameter("n", *n)),
                        Some(Datum::Int4(n)) => Some(*n as usize),
                        _ => None,
                    };
                    (start, n, if args.len() > 5 { t(5)? } else { "" })
                }
                Some(_) => {
                    let flags = t(3)?;
                    if let Some(c) = flags.chars().next().filter(char::is_ascii_digit) {
                        return Err(PgError::new(
                            SqlState::InvalidParameterValue,
                            format!("invalid regular expression option: \"{c}\""),
                        )
                        .with_hint(
                            "If you meant to use regexp_replace() with a start parameter, cast the fourth argument to integer explicitly.",
                        ));
                    }
                    (1, None, flags)
                }
                None => (1, None, ""),
            };
            let (mode, global) = parse_flags(flags, func)?;
            let n = n.unwrap_or(if global { 0 } else { 1 });
            let s = t(0)?;
            match byte_of_char(s, start - 1) {
                Some(from) => Datum::Text(replace(&compiled(t(1)?, mode)?, s, t(2)?, from, n)?),
                None => Datum::Text(s.to_string()),
            }
        }
        "similar_to_escape" | "similar_escape" => {
            // similar_escape is not strict: a NULL escape is the default one.
            let pattern = match arg(args, 0)? {
                Datum::Null => return Ok(Some(Datum::Null)),
                d => text(d)?,
            };
            let escape = match args.get(1) {
                None => None,
                Some(Datum::Null) if func == "similar_escape" => None,
                Some(d) => Some(text(d)?),
            };
            Datum::Text(similar_to_regex(pattern, escape)?)
        }
        // substring(s SIMILAR p ESCAPE e), also written substring(s FROM p FOR e).
        "similar_substring" => {
            let regex = similar_to_regex(t(1)?, Some(t(2)?))?;
            let s = t(0)?;
            match compiled(&lazy_first_part(&regex), Mode::default())?
                .captures(s, false)?
                .first()
            {
                Some(spans) => {
                    let span = if spans.len() > 1 { spans[1] } else { spans[0] };
                    span.map_or(Datum::Null, |(a, b)| Datum::Text(s[a..b].to_string()))
                }
                None => Datum::Null,
            }
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Datum {
        Datum::Text(x.into())
    }

    #[test]
    fn operators_and_functions_match_as_postgres_does() {
        let eq = |a: &str, p: &str| call("textregexeq", &[s(a), s(p)]).ok().flatten();
        assert_eq!(eq("abc", "^a.c$"), Some(Datum::Bool(true)));
        assert_eq!(eq("a\nc", "a.c"), Some(Datum::Bool(true)));
        assert_eq!(eq("ABC", "abc"), Some(Datum::Bool(false)));
        assert_eq!(
            call("texticregexeq", &[s("ABC"), s("abc")]).ok().flatten(),
            Some(Datum::Bool(true))
        );
        assert_eq!(eq("foo bar", r"\mbar"), Some(Datum::Bool(true)));
        assert_eq!(eq("a]b", "[]]"), Some(Datum::Bool(true)));
        assert_eq!(
            call(
                "regexp_replace",
                &[s("foobarbaz"), s("b(..)"), s("X\\1Y"), s("g")]
            )
            .ok()
            .flatten(),
            Some(s("fooXarYXazY"))
        );
        assert_eq!(
            call("regexp_replace", &[s("abc"), s("b"), s("[\\&$]")])
                .ok()
                .flatten(),
            Some(s("a[b$]c"))
        );
        assert_eq!(
            call("regexp_count", &[s("ABCABCAXYaxy"), s("A.")])
                .ok()
                .flatten(),
            Some(Datum::Int4(3))
        );
        assert_eq!(
            call("regexp_instr", &[s("abcabc"), s("b"), Datum::Int4(3)])
                .ok()
                .flatten(),
            Some(Datum::Int4(5))
        );
        assert_eq!(
            call(
                "regexp_replace",
                &[s("aaa"), s("a"), s("X"), Datum::Int4(1), Datum::Int4(2)]
            )
            .ok()
            .flatten(),
            Some(s("aXa"))
        );
        assert!(call("textregexeq", &[s("a"), s("(")]).is_err());
        assert!(call("regexp_like", &[s("a"), s("a"), s("z")]).is_err());
    }

    #[test]
    fn similar_to_patterns_translate_as_postgres_does() {
        let r = |p: &str, e: Option<&str>| similar_to_regex(p, e).ok();
        assert_eq!(r("a_b%", None).as_deref(), Some("^(?:a.b.*)$"));
        assert_eq!(
            r("a#\"(b_d)#\"%", Some("#")).as_deref(),
            Some("^(?:a){1,1}?((?:b.d)){1,1}(?:.*)$")
        );
        assert_eq!(r("[]%]x.", None).as_deref(), Some("^(?:[]%]x\\.)$"));
        assert!(r("a#\"b#\"c#\"d", Some("#")).is_none());
        assert!(r("a", Some("xy")).is_none());
        assert_eq!(
            lazy_first_part("^(?:a*){1,1}?(.*){1,1}(?:g*)$"),
            "^(?:a*?){1,1}?(.*){1,1}(?:g*)$"
        );
        let sub = |p: &str| {
            call("similar_substring", &[s("abcdefg"), s(p), s("#")])
                .ok()
                .flatten()
        };
        assert_eq!(sub("a*#\"%#\"g*"), Some(s("abcdefg")));
        assert_eq!(sub("a#\"%#\"x|g"), Some(s("bcdef")));
    }
}
