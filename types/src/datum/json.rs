//! `json` and `jsonb`: input, output and the operators on both.
//!
//! The two types keep different things, so they have two representations:
//!
//! - `jsonb` is a parsed value, [`Jsonb`]: strings are decoded, numbers are
//!   [`Numeric`], object keys are sorted in jsonb's order (shorter keys first, then
//!   bytewise) and unique (the last duplicate given wins). Its text output is
//!   rebuilt from the value (`{"a": 1, "b": [1, 2]}`).
//! - `json` is the text as given. [`validate_json`] checks it on input; the
//!   operators parse it again into a [`JsonNode`] tree whose nodes point into the
//!   text, because `->` and `#>` return sub-values verbatim (white space kept,
//!   duplicate keys kept, the last duplicate answering).
//!
//! One lexer and one parser serve both. The lexer has two modes: validation (the
//! `json` input function) checks only the syntax of escapes, and decoding (`jsonb`
//! input and the `json` operators) also turns `\uXXXX` into characters, which is
//! where surrogate pairs are checked and `\u0000` is refused. Errors carry
//! PostgreSQL's DETAIL and its CONTEXT line, `JSON data, line N: <excerpt>`, the
//! excerpt being the line up to the end of the offending token, cut to under 50
//! bytes from the left (`...` marks a cut, and a trailing `...` says that the line
//! goes on).
//!
//! The parser keeps its own stack of open containers rather than recursing, so a
//! deeply nested document cannot overflow the thread's stack while it is read. The
//! functions over [`Jsonb`] values do recurse, and [`MAX_DEPTH`] bounds the nesting
//! they meet from the parser and from this module's operators.
//!
//! Comparison ([`Jsonb::compare`]) is jsonb's btree order:
//!
//! ```text
//!   top level:  []  <  null < strings < numbers < false < true  <  arrays  <  objects
//!   (an empty top-level array sorts below every scalar; nested, it is an ordinary array)
//!   arrays:     fewer elements first, then element by element
//!   objects:    fewer pairs first, then key 1, value 1, key 2, ... in stored key order
//! ```
//!
//! Short of PostgreSQL: numbers are [`Numeric`], so those it cannot hold (about 38
//! significant digits, scale 38) are refused or rounded as `numeric` input does.

use std::cmp::Ordering;
use std::fmt;
use std::fmt::Write as _;

use crate::datum::Numeric;
use crate::{PgError, PgResult, SqlState};

/// The deepest nesting of arrays and objects accepted. PostgreSQL's limit comes
/// from its stack size (it reads over 10000 levels with the default 2MB
/// `max_stack_depth`); ours keeps every recursive function here, and the derived
/// `Clone`, `PartialEq` and `Drop`, within half of a 2MB thread stack in an
/// unoptimised build.
pub const MAX_DEPTH: usize = 1000;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

fn syntax_error(detail: String, context: String) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        "invalid input syntax for type json",
    )
    .with_detail(detail)
    .with_context(context)
}

/// `22P05` untranslatable_character, which `\u0000` raises where text is wanted.
/// Until `errcodes.txt` lists 22P05 the code falls back to 22P02.
fn untranslatable_character() -> SqlState {
    SqlState::from_code("22P05").unwrap_or(SqlState::InvalidTextRepresentation)
}

fn stack_depth_error() -> PgError {
    PgError::new(SqlState::StatementTooComplex, "stack depth limit exceeded").with_hint(
        "Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), \
         after ensuring the platform's stack depth limit is adequate.",
    )
}

fn invalid_parameter(message: &str) -> PgError {
    PgError::new(SqlState::InvalidParameterValue, message)
}

fn path_not_integer(level: usize, step: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        format!(
            "path element at position {} is not an integer: \"{step}\"",
            level + 1
        ),
    )
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ObjectStart,
    ObjectEnd,
    ArrayStart,
    ArrayEnd,
    Comma,
    Colon,
    String,
    Number,
    True,
    False,
    Null,
    End,
}

/// A token: its kind, its byte range in the input, and for a string in decoding
/// mode its decoded value.
#[derive(Debug)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
    value: Option<String>,
}

/// What the lexer does with string escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escapes {
    /// Check their syntax only (`json` input).
    Validate,
    /// Decode them, checking surrogate pairs and refusing `\u0000`.
    Decode,
}

/// Bytes that make up a word: the keywords, and the extent of an invalid token.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    /// 1-based line of `pos`, counting `\n` only.
    line: usize,
    line_start: usize,
    escapes: Escapes,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str, escapes: Escapes) -> Lexer<'a> {
        Lexer {
            input,
            pos: 0,
            line: 1,
            line_start: 0,
            escapes,
        }
    }

    /// The CONTEXT line for an error whose token ends at `end`.
    fn context(&self, end: usize, at_end_of_input: bool) -> String {
        let line_start = self.line_start.min(end);
        let mut start = line_start;
        while end - start >= 50 {
            start += self.input[start..].chars().next().map_or(1, char::len_utf8);
        }
        // Cutting fewer than 4 bytes is not worth the "..."
        if start - line_start <= 3 {
            start = line_start;
        }
        let prefix = if start > line_start { "..." } else { "" };
        let goes_on = !at_end_of_input
            && end < self.input.len()
            && !matches!(self.input.as_bytes()[end], b'\n' | b'\r');
        let suffix = if goes_on { "..." } else { "" };
        format!(
            "JSON data, line {}: {prefix}{}{suffix}",
            self.line,
            &self.input[start..end]
        )
    }

    fn error(&self, detail: String, end: usize) -> PgError {
        syntax_error(detail, self.context(end, false))
    }

    fn invalid_token(&self, start: usize, end: usize) -> PgError {
        self.error(
            format!("Token \"{}\" is invalid.", &self.input[start..end]),
            end,
        )
    }

    /// A token that the grammar does not allow where it stands.
    fn unexpected(&self, token: &Token, expected: &str) -> PgError {
        if token.kind == Kind::End {
            return syntax_error(
                "The input string ended unexpectedly.".into(),
                self.context(token.end, true),
            );
        }
        self.error(
            format!(
                "Expected {expected}, but found \"{}\".",
                &self.input[token.start..token.end]
            ),
            token.end,
        )
    }

    fn expect_colon(&mut self) -> PgResult<()> {
        let token = self.next_token()?;
        if token.kind == Kind::Colon {
            Ok(())
        } else {
            Err(self.unexpected(&token, "\":\""))
        }
    }

    fn char_end(&self, pos: usize) -> usize {
        pos + self.input[pos..].chars().next().map_or(1, char::len_utf8)
    }

    fn next_token(&mut self) -> PgResult<Token> {
        let bytes = self.input.as_bytes();
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                _ => break,
            }
        }
        let start = self.pos;
        let Some(&first) = bytes.get(start) else {
            return Ok(self.token(Kind::End, start, start));
        };
        let single = match first {
            b'{' => Some(Kind::ObjectStart),
            b'}' => Some(Kind::ObjectEnd),
            b'[' => Some(Kind::ArrayStart),
            b']' => Some(Kind::ArrayEnd),
            b',' => Some(Kind::Comma),
            b':' => Some(Kind::Colon),
            _ => None,
        };
        if let Some(kind) = single {
            return Ok(self.token(kind, start, start + 1));
        }
        match first {
            b'"' => self.string(start),
            b'-' | b'0'..=b'9' => self.number(start),
            b if is_word_byte(b) => {
                let mut end = start;
                while end < bytes.len() && is_word_byte(bytes[end]) {
                    end += 1;
                }
                let kind = match &self.input[start..end] {
                    "true" => Kind::True,
                    "false" => Kind::False,
                    "null" => Kind::Null,
                    _ => return Err(self.invalid_token(start, end)),
                };
                Ok(self.token(kind, start, end))
            }
            // Punctuation we do not know: only that one (ASCII) character is named.
            _ => Err(self.invalid_token(start, start + 1)),
        }
    }

    fn token(&mut self, kind: Kind, start: usize, end: usize) -> Token {
        self.pos = end;
        Token {
            kind,
            start,
            end,
            value: None,
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, not followed by a word
    /// character. Each part is read even when an earlier one was malformed, and a
    /// malformed number is reported together with the word characters after it, so
    /// that the token named is PostgreSQL's (`1.5x`, `01`, `-.e1`).
    fn number(&mut self, start: usize) -> PgResult<Token> {
        let bytes = self.input.as_bytes();
        let digit_at = |p: usize| bytes.get(p).is_some_and(u8::is_ascii_digit);
        let digits_from = |mut p: usize| {
            while digit_at(p) {
                p += 1;
            }
            p
        };
        let mut p = start;
        if bytes[p] == b'-' {
            p += 1;
        }
        let mut ok = true;
        if bytes.get(p) == Some(&b'0') {
            p += 1;
        } else if digit_at(p) {
            p = digits_from(p);
        } else {
            ok = false;
        }
        if bytes.get(p) == Some(&b'.') {
            p += 1;
            ok &= digit_at(p);
            p = digits_from(p);
        }
        if matches!(bytes.get(p), Some(b'e' | b'E')) {
            p += 1;
            if matches!(bytes.get(p), Some(b'+' | b'-')) {
                p += 1;
            }
            ok &= digit_at(p);
            p = digits_from(p);
        }
        if !ok || bytes.get(p).is_some_and(|&b| is_word_byte(b)) {
            while bytes.get(p).is_some_and(|&b| is_word_byte(b)) {
                p += 1;
            }
            return Err(self.invalid_token(start, p));
        }
        Ok(self.token(Kind::Number, start, p))
    }

    /// A string token from its opening quote at `start`.
    fn string(&mut self, start: usize) -> PgResult<Token> {
        let input = self.input;
        let bytes = input.as_bytes();
        let decode = self.escapes == Escapes::Decode;
        let mut value = String::new();
        // A high surrogate waiting for its low half (decoding only).
        let mut high: Option<u32> = None;
        let low_expected = |lexer: &Self, end: usize| {
            lexer.error(
                "Unicode low surrogate must follow a high surrogate.".into(),
                end,
            )
        };
        let mut p = start + 1;
        let mut run = p;
        loop {
            let Some(&b) = bytes.get(p) else {
                return Err(self.invalid_token(start, bytes.len()));
            };
            match b {
                b'"' => {
                    if high.is_some() {
                        return Err(low_expected(self, p + 1));
                    }
                    if decode {
                        value.push_str(&input[run..p]);
                    }
                    p += 1;
                    break;
                }
                b'\\' => {
                    if decode {
                        value.push_str(&input[run..p]);
                    }
                    p += 1;
                    let Some(&e) = bytes.get(p) else {
                        return Err(self.invalid_token(start, bytes.len()));
                    };
                    if e == b'u' {
                        p += 1;
                        let mut code = 0u32;
                        for _ in 0..4 {
                            let Some(&h) = bytes.get(p) else {
                                return Err(self.invalid_token(start, bytes.len()));
                            };
                            let Some(d) = char::from(h).to_digit(16) else {
                                return Err(self.error(
                                    "\"\\u\" must be followed by four hexadecimal digits.".into(),
                                    self.char_end(p),
                                ));
                            };
                            code = code * 16 + d;
                            p += 1;
                        }
                        if decode {
                            self.decode_escape(code, &mut high, &mut value, p)?;
                        }
                    } else {
                        let end = self.char_end(p);
                        if high.is_some() {
                            return Err(low_expected(self, end));
                        }
                        let c = match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            _ => {
                                return Err(self.error(
                                    format!("Escape sequence \"\\{}\" is invalid.", &input[p..end]),
                                    end,
                                ));
                            }
                        };
                        if decode {
                            value.push(c);
                        }
                        p = end;
                    }
                    run = p;
                }
                0x00..=0x1f => {
                    return Err(self.error(
                        format!("Character with value 0x{b:02x} must be escaped."),
                        p,
                    ));
                }
                _ => {
                    if high.is_some() {
                        return Err(low_expected(self, self.char_end(p)));
                    }
                    p += 1;
                }
            }
        }
        let mut token = self.token(Kind::String, start, p);
        if decode {
            token.value = Some(value);
        }
        Ok(token)
    }

    /// Adds the character of a `\uXXXX` escape ending at `end` to `value`, pairing
    /// surrogates.
    fn decode_escape(
        &self,
        code: u32,
        high: &mut Option<u32>,
        value: &mut String,
        end: usize,
    ) -> PgResult<()> {
        let code = match code {
            0xD800..=0xDBFF => {
                if high.is_some() {
                    return Err(self.error(
                        "Unicode high surrogate must not follow a high surrogate.".into(),
                        end,
                    ));
                }
                *high = Some(code);
                return Ok(());
            }
            0xDC00..=0xDFFF => match high.take() {
                Some(h) => 0x10000 + ((h - 0xD800) << 10) + (code - 0xDC00),
                None => {
                    return Err(self.error(
                        "Unicode low surrogate must follow a high surrogate.".into(),
                        end,
                    ));
                }
            },
            _ => {
                if high.is_some() {
                    return Err(self.error(
                        "Unicode low surrogate must follow a high surrogate.".into(),
                        end,
                    ));
                }
                code
            }
        };
        if code == 0 {
            return Err(PgError::new(
                untranslatable_character(),
                "unsupported Unicode escape sequence",
            )
            .with_detail("\\u0000 cannot be converted to text.")
            .with_context(self.context(end, false)));
        }
        value.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
        Ok(())
    }
}

/// The decoded text of a string token already accepted by the decoding lexer.
fn decode_string(raw: &str) -> String {
    Lexer::new(raw, Escapes::Decode)
        .next_token()
        .ok()
        .and_then(|t| t.value)
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

/// What the parser builds: nothing (validation), a [`Jsonb`] or a [`JsonNode`].
/// `raw` arguments are the value's text in the input.
trait Builder<'a> {
    type Key;
    type Value;
    fn key(token: Token) -> Self::Key;
    fn scalar(token: Token, raw: &'a str) -> PgResult<Self::Value>;
    fn array(raw: &'a str, elems: Vec<Self::Value>) -> Self::Value;
    fn object(raw: &'a str, keys: Vec<Self::Key>, values: Vec<Self::Value>) -> Self::Value;
}

/// An open container on the parser's stack (byte offset of its bracket, and what
/// has been read of it; an object has one more key than values while a value is
/// being read).
enum Frame<K, V> {
    Array {
        start: usize,
        elems: Vec<V>,
    },
    Object {
        start: usize,
        keys: Vec<K>,
        values: Vec<V>,
    },
}

/// Parses a whole document: one value with only white space around it.
fn parse_document<'a, B: Builder<'a>>(input: &'a str, escapes: Escapes) -> PgResult<B::Value> {
    let mut lexer = Lexer::new(input, escapes);
    let mut stack: Vec<Frame<B::Key, B::Value>> = Vec::new();
    let mut token = lexer.next_token()?;
    loop {
        // `token` begins a value. The token after a scalar is read before the
        // scalar is converted, as PostgreSQL does (which error wins depends on it).
        let mut lookahead = None;
        let mut value = match token.kind {
            Kind::ArrayStart | Kind::ObjectStart => {
                if stack.len() >= MAX_DEPTH {
                    return Err(stack_depth_error());
                }
                let start = token.start;
                let next = lexer.next_token()?;
                match (token.kind, next.kind) {
                    (Kind::ArrayStart, Kind::ArrayEnd) => {
                        B::array(&input[start..next.end], Vec::new())
                    }
                    (Kind::ArrayStart, _) => {
                        stack.push(Frame::Array {
                            start,
                            elems: Vec::new(),
                        });
                        token = next;
                        continue;
                    }
                    (_, Kind::ObjectEnd) => {
                        B::object(&input[start..next.end], Vec::new(), Vec::new())
                    }
                    (_, Kind::String) => {
                        let key = B::key(next);
                        lexer.expect_colon()?;
                        stack.push(Frame::Object {
                            start,
                            keys: vec![key],
                            values: Vec::new(),
                        });
                        token = lexer.next_token()?;
                        continue;
                    }
                    _ => return Err(lexer.unexpected(&next, "string or \"}\"")),
                }
            }
            Kind::String | Kind::Number | Kind::True | Kind::False | Kind::Null => {
                lookahead = Some(lexer.next_token()?);
                let raw = &input[token.start..token.end];
                B::scalar(token, raw)?
            }
            _ => return Err(lexer.unexpected(&token, "JSON value")),
        };
        // `value` is complete: give it to the enclosing container, and close
        // containers for as long as their ends follow.
        loop {
            let next = match lookahead.take() {
                Some(next) => next,
                None => lexer.next_token()?,
            };
            match stack.last_mut() {
                None => {
                    if next.kind != Kind::End {
                        return Err(lexer.unexpected(&next, "end of input"));
                    }
                    return Ok(value);
                }
                Some(Frame::Array { elems, .. }) => {
                    elems.push(value);
                    match next.kind {
                        Kind::Comma => {
                            token = lexer.next_token()?;
                            break;
                        }
                        Kind::ArrayEnd => {}
                        _ => return Err(lexer.unexpected(&next, "\",\" or \"]\"")),
                    }
                }
                Some(Frame::Object { keys, values, .. }) => {
                    values.push(value);
                    match next.kind {
                        Kind::Comma => {
                            let key = lexer.next_token()?;
                            if key.kind != Kind::String {
                                return Err(lexer.unexpected(&key, "string"));
                            }
                            keys.push(B::key(key));
                            lexer.expect_colon()?;
                            token = lexer.next_token()?;
                            break;
                        }
                        Kind::ObjectEnd => {}
                        _ => return Err(lexer.unexpected(&next, "\",\" or \"}\"")),
                    }
                }
            }
            // The innermost container ended with `next`.
            value = match stack.pop() {
                Some(Frame::Array { start, elems }) => B::array(&input[start..next.end], elems),
                Some(Frame::Object {
                    start,
                    keys,
                    values,
                }) => B::object(&input[start..next.end], keys, values),
                None => return Err(PgError::internal("json parser lost its container stack")),
            };
        }
    }
}

/// Builds nothing: `json` input only checks the text.
struct Validation;

impl<'a> Builder<'a> for Validation {
    type Key = ();
    type Value = ();
    fn key(_: Token) {}
    fn scalar(_: Token, _: &'a str) -> PgResult<()> {
        Ok(())
    }
    fn array(_: &'a str, _: Vec<()>) {}
    fn object(_: &'a str, _: Vec<()>, _: Vec<()>) {}
}

fn parse_number(raw: &str) -> PgResult<Numeric> {
    Numeric::parse(raw).unwrap_or_else(|| {
        Err(PgError::internal(format!(
            "json number \"{raw}\" is not numeric input"
        )))
    })
}

struct JsonbBuilder;

impl<'a> Builder<'a> for JsonbBuilder {
    type Key = String;
    type Value = Jsonb;
    fn key(token: Token) -> String {
        token.value.unwrap_or_default()
    }
    fn scalar(token: Token, raw: &'a str) -> PgResult<Jsonb> {
        Ok(match token.kind {
            Kind::String => Jsonb::String(token.value.unwrap_or_default()),
            Kind::True => Jsonb::Bool(true),
            Kind::False => Jsonb::Bool(false),
            Kind::Null => Jsonb::Null,
            _ => Jsonb::Number(parse_number(raw)?),
        })
    }
    fn array(_: &'a str, elems: Vec<Jsonb>) -> Jsonb {
        Jsonb::Array(elems)
    }
    fn object(_: &'a str, keys: Vec<String>, values: Vec<Jsonb>) -> Jsonb {
        Jsonb::object(keys.into_iter().zip(values).collect())
    }
}

struct NodeBuilder;

impl<'a> Builder<'a> for NodeBuilder {
    type Key = String;
    type Value = JsonNode<'a>;
    fn key(token: Token) -> String {
        token.value.unwrap_or_default()
    }
    fn scalar(_: Token, raw: &'a str) -> PgResult<JsonNode<'a>> {
        Ok(JsonNode::Scalar(raw))
    }
    fn array(raw: &'a str, elems: Vec<JsonNode<'a>>) -> JsonNode<'a> {
        JsonNode::Array(raw, elems)
    }
    fn object(raw: &'a str, keys: Vec<String>, values: Vec<JsonNode<'a>>) -> JsonNode<'a> {
        JsonNode::Object(raw, keys.into_iter().zip(values).collect())
    }
}

/// `json_typeof` of `json` text (already validated): PostgreSQL looks at the first
/// token only, so strings that could not be decoded do not matter here.
pub fn json_typeof(s: &str) -> &'static str {
    match s
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .as_bytes()
        .first()
    {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    }
}

/// `json` input: checks that `s` is one JSON value, with PostgreSQL's errors. Unlike
/// `jsonb`, `json` accepts `\u0000` and unpaired surrogates in strings: it keeps the
/// text as given.
pub fn validate_json(s: &str) -> PgResult<()> {
    parse_document::<Validation>(s, Escapes::Validate)
}

// ---------------------------------------------------------------------------
// jsonb values and their output
// ---------------------------------------------------------------------------

/// A `jsonb` value. Object keys are in jsonb's order (shorter keys first, then
/// bytewise) with no duplicates; build objects with [`Jsonb::object`] to keep it
/// so. The derived `==` is structural (`1.0` and `1` differ); SQL equality is
/// [`Jsonb::compare`].
#[derive(Debug, Clone, PartialEq)]
pub enum Jsonb {
    Null,
    Bool(bool),
    Number(Numeric),
    String(String),
    Array(Vec<Jsonb>),
    Object(Vec<(String, Jsonb)>),
}

/// jsonb's order of object keys: by length, then bytewise.
fn key_order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn find_key<'v>(pairs: &'v [(String, Jsonb)], key: &str) -> Option<&'v Jsonb> {
    pairs
        .binary_search_by(|(k, _)| key_order(k, key))
        .ok()
        .map(|i| &pairs[i].1)
}

/// Appends `s` as a JSON string literal, escaped as PostgreSQL's json output does:
/// `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00XX`.
pub fn escape_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn indent(out: &mut String, level: usize) {
    out.extend(std::iter::repeat_n(' ', 4 * level));
}

impl Jsonb {
    /// `jsonb` input, with PostgreSQL's errors: 22P02 `invalid input syntax for type
    /// json` with its DETAIL and CONTEXT, 22P05 for `\u0000`.
    pub fn parse(s: &str) -> PgResult<Jsonb> {
        parse_document::<JsonbBuilder>(s, Escapes::Decode)
    }

    /// An object from pairs in any order: sorted into jsonb's key order, the last of
    /// duplicate keys kept.
    pub fn object(mut pairs: Vec<(String, Jsonb)>) -> Jsonb {
        // A stable sort keeps duplicates in the order given.
        pairs.sort_by(|a, b| key_order(&a.0, &b.0));
        let mut out: Vec<(String, Jsonb)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match out.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => out.push(pair),
            }
        }
        Jsonb::Object(out)
    }

    /// `jsonb` output: `{"a": 1, "b": [1, 2]}`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) {
        match self {
            Jsonb::Null => out.push_str("null"),
            Jsonb::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Jsonb::Number(n) => out.push_str(&n.to_text()),
            Jsonb::String(s) => escape_string(s, out),
            Jsonb::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_text(out);
                }
                out.push(']');
            }
            Jsonb::Object(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    escape_string(k, out);
                    out.push_str(": ");
                    v.write_text(out);
                }
                out.push('}');
            }
        }
    }

    /// `jsonb_pretty`: one element or pair a line, indented by 4 spaces a level;
    /// an empty container still spans two lines.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(0, &mut out);
        out
    }

    fn write_pretty(&self, level: usize, out: &mut String) {
        let (open, close, len) = match self {
            Jsonb::Array(items) => ('[', ']', items.len()),
            Jsonb::Object(pairs) => ('{', '}', pairs.len()),
            _ => return self.write_text(out),
        };
        out.push(open);
        out.push('\n');
        for i in 0..len {
            if i > 0 {
                out.push_str(",\n");
            }
            indent(out, level + 1);
            match self {
                Jsonb::Array(items) => items[i].write_pretty(level + 1, out),
                Jsonb::Object(pairs) => {
                    escape_string(&pairs[i].0, out);
                    out.push_str(": ");
                    pairs[i].1.write_pretty(level + 1, out);
                }
                _ => {}
            }
        }
        if len > 0 {
            out.push('\n');
        }
        indent(out, level);
        out.push(close);
    }

    /// What `->>` gives: `None` for JSON null, the string itself for a string, the
    /// text output otherwise.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Jsonb::Null => None,
            Jsonb::String(s) => Some(s.clone()),
            other => Some(other.to_text()),
        }
    }

    /// `jsonb_typeof`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Jsonb::Null => "null",
            Jsonb::Bool(_) => "boolean",
            Jsonb::Number(_) => "number",
            Jsonb::String(_) => "string",
            Jsonb::Array(_) => "array",
            Jsonb::Object(_) => "object",
        }
    }

    fn is_container(&self) -> bool {
        matches!(self, Jsonb::Array(_) | Jsonb::Object(_))
    }

    /// Elements or pairs of a container; 1 for a scalar (PostgreSQL stores a
    /// top-level scalar as a one-element array).
    fn count(&self) -> usize {
        match self {
            Jsonb::Array(items) => items.len(),
            Jsonb::Object(pairs) => pairs.len(),
            _ => 1,
        }
    }

    /// Nesting depth: 0 for a scalar, 1 for a container of scalars. Iterative, so
    /// that it can measure any value.
    fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut todo = vec![(self, 0usize)];
        while let Some((v, d)) = todo.pop() {
            match v {
                Jsonb::Array(items) => todo.extend(items.iter().map(|i| (i, d + 1))),
                Jsonb::Object(pairs) => todo.extend(pairs.iter().map(|(_, v)| (v, d + 1))),
                _ => {}
            }
            deepest = deepest.max(d + usize::from(v.is_container()));
        }
        deepest
    }

    fn check_depth(self) -> PgResult<Jsonb> {
        if self.depth() > MAX_DEPTH {
            Err(stack_depth_error())
        } else {
            Ok(self)
        }
    }
}

impl fmt::Display for Jsonb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

// ---------------------------------------------------------------------------
// Accessors: -> ->> #> ?
// ---------------------------------------------------------------------------

/// An array subscript given as text (`#>`, `#-`, `jsonb_set` paths), read as C's
/// `strtol` reads it: leading white space, an optional sign, decimal digits and
/// nothing after. `None` unless it fits an `int4`.
fn parse_index(s: &str) -> Option<i32> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i64 = 0;
    for b in digits.bytes() {
        v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    i32::try_from(if negative { -v } else { v }).ok()
}

/// The position of subscript `i` in an array of `len` elements, counting from the
/// end when negative.
fn resolve_index(len: usize, i: i64) -> Option<usize> {
    if i >= 0 {
        usize::try_from(i).ok().filter(|&i| i < len)
    } else {
        let back = usize::try_from(i.unsigned_abs()).ok()?;
        len.checked_sub(back)
    }
}

impl Jsonb {
    /// `-> text`: the value of `key` in an object.
    pub fn field(&self, key: &str) -> Option<&Jsonb> {
        match self {
            Jsonb::Object(pairs) => find_key(pairs, key),
            _ => None,
        }
    }

    /// `-> int`: an array element, negative counting from the end. As in
    /// PostgreSQL, a scalar answers subscripts 0 and -1 with itself.
    pub fn element(&self, i: i64) -> Option<&Jsonb> {
        match self {
            Jsonb::Array(items) => resolve_index(items.len(), i).map(|k| &items[k]),
            Jsonb::Object(_) => None,
            scalar => resolve_index(1, i).map(|_| scalar),
        }
    }

    /// `#> text[]`: each step a key of an object or an integer subscript (negative
    /// counting from the end) of an array; `None` if a step misses. An empty path
    /// gives the value itself.
    pub fn path(&self, path: &[&str]) -> Option<&Jsonb> {
        let mut cur = self;
        for step in path {
            cur = match cur {
                Jsonb::Object(pairs) => find_key(pairs, step)?,
                Jsonb::Array(items) => {
                    let i = parse_index(step)?;
                    &items[resolve_index(items.len(), i64::from(i))?]
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    /// `? text`: a key of an object, a string element of an array, or an equal
    /// string scalar.
    pub fn exists(&self, key: &str) -> bool {
        match self {
            Jsonb::Object(pairs) => find_key(pairs, key).is_some(),
            Jsonb::Array(items) => items
                .iter()
                .any(|e| matches!(e, Jsonb::String(s) if s == key)),
            Jsonb::String(s) => s == key,
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------
// Ordering and containment
// ---------------------------------------------------------------------------

/// Rank of a value's type among values of different types.
fn type_rank(v: &Jsonb) -> u8 {
    match v {
        Jsonb::Null => 0,
        Jsonb::String(_) => 1,
        Jsonb::Number(_) => 2,
        Jsonb::Bool(_) => 3,
        Jsonb::Array(_) => 4,
        Jsonb::Object(_) => 5,
    }
}

/// Order of two values below the top level.
fn compare_values(a: &Jsonb, b: &Jsonb) -> Ordering {
    match (a, b) {
        (Jsonb::Null, Jsonb::Null) => Ordering::Equal,
        (Jsonb::Bool(x), Jsonb::Bool(y)) => x.cmp(y),
        (Jsonb::Number(x), Jsonb::Number(y)) => x.total_cmp(y),
        // strings compare as the C collation does
        (Jsonb::String(x), Jsonb::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Jsonb::Array(x), Jsonb::Array(y)) => {
            if x.len() != y.len() {
                return x.len().cmp(&y.len());
            }
            for (e, f) in x.iter().zip(y) {
                let o = compare_values(e, f);
                if o.is_ne() {
                    return o;
                }
            }
            Ordering::Equal
        }
        (Jsonb::Object(x), Jsonb::Object(y)) => {
            if x.len() != y.len() {
                return x.len().cmp(&y.len());
            }
            for ((k1, v1), (k2, v2)) in x.iter().zip(y) {
                let o = k1.as_bytes().cmp(k2.as_bytes());
                if o.is_ne() {
                    return o;
                }
                let o = compare_values(v1, v2);
                if o.is_ne() {
                    return o;
                }
            }
            Ordering::Equal
        }
        _ => type_rank(a).cmp(&type_rank(b)),
    }
}

/// Equality of two scalars as containment sees it (`1.0` equals `1`).
fn scalar_equal(a: &Jsonb, b: &Jsonb) -> bool {
    !a.is_container() && !b.is_container() && compare_values(a, b).is_eq()
}

/// Containment of one container in another of the same kind. (Plain loops keep
/// the stack frames per level few.)
fn deep_contains(val: &Jsonb, contained: &Jsonb) -> bool {
    match (val, contained) {
        (Jsonb::Object(vp), Jsonb::Object(cp)) => {
            if cp.len() > vp.len() {
                return false;
            }
            for (k, c) in cp {
                let found = match find_key(vp, k) {
                    None => false,
                    Some(v) if c.is_container() => deep_contains(v, c),
                    Some(v) => scalar_equal(v, c),
                };
                if !found {
                    return false;
                }
            }
            true
        }
        (Jsonb::Array(ve), Jsonb::Array(ce)) => {
            'wanted: for c in ce {
                for v in ve {
                    let found = if c.is_container() {
                        deep_contains(v, c)
                    } else {
                        scalar_equal(v, c)
                    };
                    if found {
                        continue 'wanted;
                    }
                }
                return false;
            }
            true
        }
        _ => false,
    }
}

impl Jsonb {
    /// jsonb's btree order (see the module doc). A top-level scalar sorts as a
    /// one-element array that is below every real array of one element, so an empty
    /// top-level array sorts below all scalars.
    pub fn compare(&self, other: &Jsonb) -> Ordering {
        match (self, other) {
            (Jsonb::Array(items), s) if !s.is_container() => {
                if items.is_empty() {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (s, Jsonb::Array(items)) if !s.is_container() => {
                if items.is_empty() {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            _ => compare_values(self, other),
        }
    }

    /// `@>`. Objects contain objects whose every pair they contain; arrays contain
    /// arrays whose every element equals (scalars) or is contained in (containers)
    /// one of theirs, and at the top level an array contains a scalar it has as an
    /// element. A scalar contains only an equal scalar.
    pub fn contains(&self, other: &Jsonb) -> bool {
        match (self, other) {
            (Jsonb::Object(_), Jsonb::Object(_)) | (Jsonb::Array(_), Jsonb::Array(_)) => {
                deep_contains(self, other)
            }
            (Jsonb::Object(_), _) | (_, Jsonb::Object(_)) | (_, Jsonb::Array(_)) => false,
            (Jsonb::Array(items), s) => items.iter().any(|v| scalar_equal(v, s)),
            (a, b) => scalar_equal(a, b),
        }
    }
}

// ---------------------------------------------------------------------------
// Modification: || - #- jsonb_set jsonb_insert jsonb_strip_nulls
// ---------------------------------------------------------------------------

/// What a path rewrite does at the end of its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathOp {
    /// `jsonb_set(..., false)`: replace an existing value only.
    Replace,
    /// `jsonb_set(..., true)`: replace, or add the last step.
    Create,
    /// `jsonb_insert(..., false)`
    InsertBefore,
    /// `jsonb_insert(..., true)`
    InsertAfter,
    /// `#-`
    Delete,
}

impl PathOp {
    fn creates(self) -> bool {
        matches!(
            self,
            PathOp::Create | PathOp::InsertBefore | PathOp::InsertAfter
        )
    }
}

/// One path rewrite (`#-`, `jsonb_set`, `jsonb_insert`). It recurses once a path
/// step, so its functions return plain values and leave an error in `error`
/// (checked after every nested call) rather than carry a large `Result` in each
/// frame.
struct Rewrite<'p> {
    path: &'p [&'p str],
    new: &'p Jsonb,
    op: PathOp,
    error: Option<PgError>,
}

impl Rewrite<'_> {
    fn run(path: &[&str], new: &Jsonb, op: PathOp, v: &Jsonb) -> PgResult<Jsonb> {
        let mut rewrite = Rewrite {
            path,
            new,
            op,
            error: None,
        };
        let value = rewrite.value(v, 0);
        rewrite.error.map_or(Ok(value), Err)
    }

    /// Rewrites `v` along `path[level..]`. A step that misses leaves the value as
    /// it is; a scalar met before the end of the path is left alone. (Inlined so
    /// that a level costs one frame, even unoptimised.)
    #[inline(always)]
    fn value(&mut self, v: &Jsonb, level: usize) -> Jsonb {
        match v {
            Jsonb::Object(pairs) => self.object(pairs, level),
            Jsonb::Array(items) => self.array(items, level),
            scalar => scalar.clone(),
        }
    }

    fn object(&mut self, pairs: &[(String, Jsonb)], level: usize) -> Jsonb {
        let key = self.path[level];
        let last = level + 1 == self.path.len();
        let mut out = Vec::with_capacity(pairs.len() + 1);
        let mut found = false;
        for (k, v) in pairs {
            if k != key {
                out.push((k.clone(), v.clone()));
                continue;
            }
            found = true;
            if !last {
                let nested = self.value(v, level + 1);
                if self.error.is_some() {
                    return Jsonb::Null;
                }
                out.push((k.clone(), nested));
                continue;
            }
            match self.op {
                PathOp::InsertBefore | PathOp::InsertAfter => {
                    self.error = Some(
                        invalid_parameter("cannot replace existing key")
                            .with_hint("Try using the function jsonb_set to replace key value."),
                    );
                    return Jsonb::Null;
                }
                PathOp::Delete => {}
                PathOp::Replace | PathOp::Create => out.push((k.clone(), self.new.clone())),
            }
        }
        if !found && last && self.op.creates() {
            out.push((key.to_owned(), self.new.clone()));
        }
        Jsonb::object(out)
    }

    fn array(&mut self, items: &[Jsonb], level: usize) -> Jsonb {
        let step = self.path[level];
        let Some(index) = parse_index(step) else {
            self.error = Some(path_not_integer(level, step));
            return Jsonb::Null;
        };
        let index = i64::from(index);
        // A negative subscript before the start prepends when creating.
        let target = resolve_index(items.len(), index);
        let before_start = index < 0 && target.is_none();
        let last = level + 1 == self.path.len();
        let creates = last && self.op.creates();
        let mut out = Vec::with_capacity(items.len() + 1);
        let mut done = false;
        if creates && (before_start || items.is_empty()) {
            out.push(self.new.clone());
            done = true;
        }
        for (i, item) in items.iter().enumerate() {
            if target != Some(i) {
                out.push(item.clone());
                continue;
            }
            done = true;
            if !last {
                let nested = self.value(item, level + 1);
                if self.error.is_some() {
                    return Jsonb::Null;
                }
                out.push(nested);
                continue;
            }
            match self.op {
                PathOp::Replace | PathOp::Create => out.push(self.new.clone()),
                PathOp::InsertBefore => {
                    out.push(self.new.clone());
                    out.push(item.clone());
                }
                PathOp::InsertAfter => {
                    out.push(item.clone());
                    out.push(self.new.clone());
                }
                PathOp::Delete => {}
            }
        }
        // A subscript past the end appends.
        if creates && !done {
            out.push(self.new.clone());
        }
        Jsonb::Array(out)
    }
}

impl Jsonb {
    /// `||`: two objects merge (the right one's keys win); otherwise both sides
    /// become arrays (a scalar or an object as one element) and are appended.
    pub fn concat(&self, other: &Jsonb) -> PgResult<Jsonb> {
        let is_object = |v: &Jsonb| matches!(v, Jsonb::Object(_));
        // An empty container next to one of its own kind is returned as the other.
        if is_object(self) == is_object(other) {
            if self.count() == 0 && other.is_container() {
                return Ok(other.clone());
            }
            if other.count() == 0 && self.is_container() {
                return Ok(self.clone());
            }
        }
        let as_elements = |v: &Jsonb| match v {
            Jsonb::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let result = match (self, other) {
            (Jsonb::Object(a), Jsonb::Object(b)) => {
                Jsonb::object(a.iter().chain(b).cloned().collect())
            }
            _ => {
                let mut items = as_elements(self);
                items.extend(as_elements(other));
                Jsonb::Array(items)
            }
        };
        result.check_depth()
    }

    fn refuse_scalar(&self, message: &str) -> PgResult<()> {
        if self.is_container() {
            Ok(())
        } else {
            Err(invalid_parameter(message))
        }
    }

    /// `- text`: removes a key from an object, or the equal strings from an array.
    pub fn delete_key(&self, key: &str) -> PgResult<Jsonb> {
        self.delete_keys(&[key])
    }

    /// `- text[]`: removes each key from an object, or the equal strings from an
    /// array.
    pub fn delete_keys(&self, keys: &[&str]) -> PgResult<Jsonb> {
        self.refuse_scalar("cannot delete from scalar")?;
        let listed = |s: &str| keys.contains(&s);
        Ok(match self {
            Jsonb::Object(pairs) => {
                Jsonb::Object(pairs.iter().filter(|(k, _)| !listed(k)).cloned().collect())
            }
            Jsonb::Array(items) => Jsonb::Array(
                items
                    .iter()
                    .filter(|e| !matches!(e, Jsonb::String(s) if listed(s)))
                    .cloned()
                    .collect(),
            ),
            scalar => scalar.clone(),
        })
    }

    /// `- int`: removes an array element, negative counting from the end; a
    /// subscript out of range changes nothing.
    pub fn delete_index(&self, i: i64) -> PgResult<Jsonb> {
        self.refuse_scalar("cannot delete from scalar")?;
        match self {
            Jsonb::Array(items) => {
                let mut items = items.clone();
                if let Some(k) = resolve_index(items.len(), i) {
                    items.remove(k);
                }
                Ok(Jsonb::Array(items))
            }
            _ => Err(invalid_parameter(
                "cannot delete from object using integer index",
            )),
        }
    }

    /// `#- text[]`: removes the value at the end of the path.
    pub fn delete_path(&self, path: &[&str]) -> PgResult<Jsonb> {
        self.refuse_scalar("cannot delete path in scalar")?;
        if self.count() == 0 || path.is_empty() {
            return Ok(self.clone());
        }
        Rewrite::run(path, &Jsonb::Null, PathOp::Delete, self)
    }

    /// `jsonb_set(target, path, new, create_missing)`: replaces the value at the
    /// end of the path; with `create_missing`, adds it when only the last step
    /// misses (a subscript past either end of an array adds at that end).
    pub fn set_path(&self, path: &[&str], new: Jsonb, create_missing: bool) -> PgResult<Jsonb> {
        self.refuse_scalar("cannot set path in scalar")?;
        if (self.count() == 0 && !create_missing) || path.is_empty() {
            return Ok(self.clone());
        }
        let op = if create_missing {
            PathOp::Create
        } else {
            PathOp::Replace
        };
        Rewrite::run(path, &new, op, self)?.check_depth()
    }

    /// `jsonb_insert(target, path, new, insert_after)`: inserts into an array
    /// before (or after) the subscripted element, or adds a new key to an object
    /// (an existing key is an error).
    pub fn insert_path(&self, path: &[&str], new: Jsonb, after: bool) -> PgResult<Jsonb> {
        self.refuse_scalar("cannot set path in scalar")?;
        if path.is_empty() {
            return Ok(self.clone());
        }
        let op = if after {
            PathOp::InsertAfter
        } else {
            PathOp::InsertBefore
        };
        Rewrite::run(path, &new, op, self)?.check_depth()
    }

    /// `jsonb_strip_nulls`: removes object fields whose value is null, at every
    /// level (array elements stay).
    pub fn strip_nulls(&self) -> Jsonb {
        match self {
            Jsonb::Object(pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    if *v != Jsonb::Null {
                        out.push((k.clone(), v.strip_nulls()));
                    }
                }
                Jsonb::Object(out)
            }
            Jsonb::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(item.strip_nulls());
                }
                Jsonb::Array(out)
            }
            scalar => scalar.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// json (text) values
// ---------------------------------------------------------------------------

/// A `json` value parsed for its operators. Every node keeps its text as written
/// (`raw`); objects keep duplicate keys, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonNode<'a> {
    /// A string (quotes and escapes as written), a number, `true`, `false` or
    /// `null`.
    Scalar(&'a str),
    /// Its text from `[` to `]`, and its elements.
    Array(&'a str, Vec<JsonNode<'a>>),
    /// Its text from `{` to `}`, and its pairs in the order written, keys decoded.
    Object(&'a str, Vec<(String, JsonNode<'a>)>),
}

impl<'a> JsonNode<'a> {
    /// Parses `json` text for `->`, `->>`, `#>` and `#>>`. Like PostgreSQL, which
    /// decodes every string on the way, it refuses `\u0000` and unpaired surrogates
    /// anywhere in the document.
    pub fn parse(s: &'a str) -> PgResult<JsonNode<'a>> {
        parse_document::<NodeBuilder>(s, Escapes::Decode)
    }

    /// The value's text as written, without the white space around it.
    ///
    /// One PostgreSQL answer is not a node's text: with an empty path on a top-level
    /// scalar, `#> '{}'` returns the whole input, white space included, and so does
    /// `#>> '{}'` for a number or boolean (`'  1 '::json #>> '{}'` is `  1 `).
    pub fn raw(&self) -> &'a str {
        match self {
            JsonNode::Scalar(raw) | JsonNode::Array(raw, _) | JsonNode::Object(raw, _) => raw,
        }
    }

    /// `-> text`: the value of the last pair with this key.
    pub fn field(&self, key: &str) -> Option<&JsonNode<'a>> {
        match self {
            JsonNode::Object(_, pairs) => pairs.iter().rev().find(|(k, _)| k == key).map(|p| &p.1),
            _ => None,
        }
    }

    /// `-> int`: an array element, negative counting from the end.
    pub fn element(&self, i: i64) -> Option<&JsonNode<'a>> {
        match self {
            JsonNode::Array(_, items) => resolve_index(items.len(), i).map(|k| &items[k]),
            _ => None,
        }
    }

    /// `#> text[]`, with PostgreSQL's answers where its streaming search differs
    /// from a walk down the tree:
    ///
    /// - with duplicate keys every matching branch is followed, and the last match
    ///   in the text wins;
    /// - a negative subscript at step `n` counts back from the end of the first
    ///   array at nesting depth `n` in the text that is long enough, whether or not
    ///   that array is on the path, and matches nothing in arrays before it
    ///   (`'[[1,2,3],[4,5]]' #> '{1,-1}'` finds nothing: -1 became 2 at `[1,2,3]`).
    pub fn path(&self, path: &[&str]) -> Option<&JsonNode<'a>> {
        self.walk(self, path, 0)
    }

    fn walk<'n>(
        &'n self,
        root: &JsonNode<'a>,
        path: &[&str],
        level: usize,
    ) -> Option<&'n JsonNode<'a>> {
        let Some(step) = path.get(level) else {
            return Some(self);
        };
        match self {
            JsonNode::Object(_, pairs) => pairs
                .iter()
                .rev()
                .filter(|(k, _)| k == step)
                .find_map(|(_, v)| v.walk(root, path, level + 1)),
            JsonNode::Array(_, items) => {
                let mut i = i64::from(parse_index(step)?);
                if i < 0 {
                    i += root.counting_array_len(self, level, i.unsigned_abs())?;
                }
                items
                    .get(usize::try_from(i).ok()?)?
                    .walk(root, path, level + 1)
            }
            JsonNode::Scalar(_) => None,
        }
    }

    /// For a negative subscript of `min_len` back at nesting depth `depth`: the
    /// length of the first array at that depth, in text order, with at least
    /// `min_len` elements, provided it is `target` or comes before it.
    fn counting_array_len(&self, target: &JsonNode<'a>, depth: usize, min_len: u64) -> Option<i64> {
        let mut todo = vec![(self, 0usize)];
        while let Some((node, d)) = todo.pop() {
            match node {
                JsonNode::Array(_, items) if d == depth => {
                    if items.len() as u64 >= min_len {
                        return i64::try_from(items.len()).ok();
                    }
                    if std::ptr::eq(node, target) {
                        return None;
                    }
                }
                JsonNode::Array(_, items) if d < depth => {
                    todo.extend(items.iter().rev().map(|i| (i, d + 1)));
                }
                JsonNode::Object(_, pairs) if d < depth => {
                    todo.extend(pairs.iter().rev().map(|(_, v)| (v, d + 1)));
                }
                _ => {}
            }
        }
        None
    }

    /// What `->>` gives: `None` for null, the decoded string for a string, the text
    /// as written otherwise.
    pub fn as_text(&self) -> Option<String> {
        match self {
            JsonNode::Scalar(raw) if raw.starts_with('n') => None,
            JsonNode::Scalar(raw) if raw.starts_with('"') => Some(decode_string(raw)),
            node => Some(node.raw().to_owned()),
        }
    }

    /// `json_typeof` of a parsed node. (`json_typeof` itself reads only the first
    /// token, so it answers for text that [`JsonNode::parse`] refuses: use
    /// [`json_typeof`].)
    pub fn type_name(&self) -> &'static str {
        match self {
            JsonNode::Array(..) => "array",
            JsonNode::Object(..) => "object",
            JsonNode::Scalar(raw) => match raw.as_bytes().first() {
                Some(b'"') => "string",
                Some(b't' | b'f') => "boolean",
                Some(b'n') => "null",
                _ => "number",
            },
        }
    }

    /// The `json` to `jsonb` cast.
    pub fn to_jsonb(&self) -> PgResult<Jsonb> {
        let mut error = None;
        let value = self.build_jsonb(&mut error);
        error.map_or(Ok(value), Err)
    }

    /// `to_jsonb` without a `Result` in each frame (they are large, and this
    /// recurses once a level); the first error goes to `error`.
    fn build_jsonb(&self, error: &mut Option<PgError>) -> Jsonb {
        match self {
            JsonNode::Scalar(raw) => match raw.as_bytes().first() {
                Some(b'"') => Jsonb::String(decode_string(raw)),
                Some(b't') => Jsonb::Bool(true),
                Some(b'f') => Jsonb::Bool(false),
                Some(b'n') => Jsonb::Null,
                _ => match parse_number(raw) {
                    Ok(n) => Jsonb::Number(n),
                    Err(e) => {
                        error.get_or_insert(e);
                        Jsonb::Null
                    }
                },
            },
            JsonNode::Array(_, items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(item.build_jsonb(error));
                }
                Jsonb::Array(out)
            }
            JsonNode::Object(_, pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    out.push((k.clone(), v.build_jsonb(error)));
                }
                Jsonb::object(out)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Tests: every expectation is PostgreSQL 15's answer to the same input.
// ---------------------------------------------------------------------------

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn j(s: &str) -> Jsonb {
        Jsonb::parse(s).unwrap()
    }

    /// `SELECT '<s>'::jsonb`
    fn round_trip(s: &str) -> String {
        j(s).to_text()
    }

    /// (SQLSTATE, DETAIL, CONTEXT) of a rejected input.
    fn report(e: PgError) -> (&'static str, String, String) {
        (
            e.code.code(),
            e.detail.unwrap_or_default(),
            e.context.map(String::from).unwrap_or_default(),
        )
    }

    fn jsonb_error(s: &str) -> (&'static str, String, String) {
        let e = Jsonb::parse(s).unwrap_err();
        assert_eq!(e.message, "invalid input syntax for type json", "{s}");
        report(e)
    }

    fn path<'p>(p: &[&'p str]) -> Vec<&'p str> {
        p.to_vec()
    }

    #[test]
    fn numbers_print_as_numeric_does() {
        assert_eq!(
            round_trip(
                "[1.0, 1e3, -0.5e-2, 1.50, 1e2, -0, -0.0, 0e10, 1E+2, 1e-2, \
                 12345678901234567890123456789012345678, 1.5e-20]"
            ),
            "[1.0, 1000, -0.005, 1.50, 100, 0, 0.0, 0, 100, 0.01, \
             12345678901234567890123456789012345678, 0.000000000000000000015]"
        );
        assert_eq!(round_trip(" null "), "null");
        assert_eq!(round_trip("true"), "true");
        assert_eq!(round_trip("\"x\""), "\"x\"");
    }

    #[test]
    fn objects_sort_keys_and_keep_the_last_duplicate() {
        assert_eq!(
            round_trip(r#"{"b":1, "a":2, "aa":3, "B":4, "é":5, "z":6, "":7}"#),
            r#"{"": 7, "B": 4, "a": 2, "b": 1, "z": 6, "aa": 3, "é": 5}"#
        );
        assert_eq!(
            round_trip(r#"{"a":1, "b":2, "a":3}"#),
            r#"{"a": 3, "b": 2}"#
        );
        assert_eq!(
            round_trip(r#"{"a":1, "b":{"c":[1,{"d":null}], "a":true}}"#),
            r#"{"a": 1, "b": {"a": true, "c": [1, {"d": null}]}}"#
        );
        assert_eq!(
            Jsonb::object(vec![
                ("bb".into(), Jsonb::Null),
                ("a".into(), Jsonb::Bool(true)),
                ("bb".into(), Jsonb::Bool(false)),
            ])
            .to_text(),
            r#"{"a": true, "bb": false}"#
        );
        for (s, out) in [
            ("[]", "[]"),
            ("{}", "{}"),
            ("[[]]", "[[]]"),
            ("[{}]", "[{}]"),
            (r#"{"a":{}}"#, r#"{"a": {}}"#),
        ] {
            assert_eq!(round_trip(s), out);
        }
    }

    #[test]
    fn strings_decode_escapes_and_print_escaped() {
        assert_eq!(
            round_trip(r#""x\"\\\/\b\f\n\r\t\u0001\u001f\u007f""#),
            "\"x\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\""
        );
        assert_eq!(
            j(r#""\u00e9\u20AC\ud83d\uDE00""#),
            Jsonb::String("é€😀".into())
        );
        assert_eq!(round_trip(r#""é€😀""#), r#""é€😀""#);
        let mut out = String::new();
        escape_string("\u{1b}\u{b}a\"", &mut out);
        assert_eq!(out, r#""\u001b\u000ba\"""#);
        assert_eq!(
            j(r#"{"a":"x\ny"}"#).field("a").unwrap().as_text().unwrap(),
            "x\ny"
        );
    }

    #[test]
    fn lexical_errors_name_the_token() {
        let cases: &[(&str, &str, &str)] = &[
            (
                r#"{"a":tru}"#,
                r#"Token "tru" is invalid."#,
                r#"JSON data, line 1: {"a":tru..."#,
            ),
            ("01", r#"Token "01" is invalid."#, "JSON data, line 1: 01"),
            (
                "-01",
                r#"Token "-01" is invalid."#,
                "JSON data, line 1: -01",
            ),
            ("1.", r#"Token "1." is invalid."#, "JSON data, line 1: 1."),
            ("-", r#"Token "-" is invalid."#, "JSON data, line 1: -"),
            ("--1", r#"Token "-" is invalid."#, "JSON data, line 1: -..."),
            ("-a", r#"Token "-a" is invalid."#, "JSON data, line 1: -a"),
            (
                "-.eg1",
                r#"Token "-.eg1" is invalid."#,
                "JSON data, line 1: -.eg1",
            ),
            // the token after a number is read before the number is converted
            (
                "[-1e50.0]",
                r#"Token "." is invalid."#,
                "JSON data, line 1: [-1e50....",
            ),
            (".5", r#"Token "." is invalid."#, "JSON data, line 1: ...."),
            ("1e", r#"Token "1e" is invalid."#, "JSON data, line 1: 1e"),
            (
                "1e+",
                r#"Token "1e+" is invalid."#,
                "JSON data, line 1: 1e+",
            ),
            (
                "1.e5",
                r#"Token "1.e5" is invalid."#,
                "JSON data, line 1: 1.e5",
            ),
            (
                "1e5.5",
                r#"Token "." is invalid."#,
                "JSON data, line 1: 1e5....",
            ),
            (
                "1.5x",
                r#"Token "1.5x" is invalid."#,
                "JSON data, line 1: 1.5x",
            ),
            (
                "1ée",
                r#"Token "1ée" is invalid."#,
                "JSON data, line 1: 1ée",
            ),
            (
                "truex",
                r#"Token "truex" is invalid."#,
                "JSON data, line 1: truex",
            ),
            (
                "True",
                r#"Token "True" is invalid."#,
                "JSON data, line 1: True",
            ),
            (
                "a_b",
                r#"Token "a_b" is invalid."#,
                "JSON data, line 1: a_b",
            ),
            ("é", r#"Token "é" is invalid."#, "JSON data, line 1: é"),
            (
                "[1,é]",
                r#"Token "é" is invalid."#,
                "JSON data, line 1: [1,é...",
            ),
            ("@", r#"Token "@" is invalid."#, "JSON data, line 1: @"),
            (
                "[1$]",
                r#"Token "$" is invalid."#,
                "JSON data, line 1: [1$...",
            ),
            (
                "[1,2]x",
                r#"Token "x" is invalid."#,
                "JSON data, line 1: [1,2]x",
            ),
            (
                "\u{c}1",
                "Token \"\u{c}\" is invalid.",
                "JSON data, line 1: \u{c}...",
            ),
            (
                r#""abc"#,
                r#"Token ""abc" is invalid."#,
                r#"JSON data, line 1: "abc"#,
            ),
            (
                r#""\u12"#,
                r#"Token ""\u12" is invalid."#,
                r#"JSON data, line 1: "\u12"#,
            ),
            (
                r#""\"#,
                r#"Token ""\" is invalid."#,
                r#"JSON data, line 1: "\"#,
            ),
            (
                r#""\ud800"#,
                r#"Token ""\ud800" is invalid."#,
                r#"JSON data, line 1: "\ud800"#,
            ),
        ];
        for (input, detail, context) in cases {
            let (code, d, c) = jsonb_error(input);
            assert_eq!(
                (code, d.as_str(), c.as_str()),
                ("22P02", *detail, *context),
                "{input}"
            );
        }
    }

    #[test]
    fn string_errors_point_into_the_string() {
        let cases: &[(&str, &str, &str)] = &[
            (
                r#""\x""#,
                r#"Escape sequence "\x" is invalid."#,
                r#"JSON data, line 1: "\x..."#,
            ),
            (
                r#""\é""#,
                r#"Escape sequence "\é" is invalid."#,
                r#"JSON data, line 1: "\é..."#,
            ),
            (
                r#""\u12""#,
                r#""\u" must be followed by four hexadecimal digits."#,
                r#"JSON data, line 1: "\u12""#,
            ),
            (
                r#""\u12g4""#,
                r#""\u" must be followed by four hexadecimal digits."#,
                r#"JSON data, line 1: "\u12g..."#,
            ),
            (
                r#""\u12é4""#,
                r#""\u" must be followed by four hexadecimal digits."#,
                r#"JSON data, line 1: "\u12é..."#,
            ),
            (
                "\"a\tb\"",
                "Character with value 0x09 must be escaped.",
                r#"JSON data, line 1: "a..."#,
            ),
            (
                "\"a\nb\"",
                "Character with value 0x0a must be escaped.",
                r#"JSON data, line 1: "a"#,
            ),
            (
                "\"\\ud800\t\"",
                "Character with value 0x09 must be escaped.",
                r#"JSON data, line 1: "\ud800..."#,
            ),
            (
                r#""\ud800""#,
                "Unicode low surrogate must follow a high surrogate.",
                r#"JSON data, line 1: "\ud800""#,
            ),
            (
                r#""\ud800x""#,
                "Unicode low surrogate must follow a high surrogate.",
                r#"JSON data, line 1: "\ud800x..."#,
            ),
            (
                r#""\udc00""#,
                "Unicode low surrogate must follow a high surrogate.",
                r#"JSON data, line 1: "\udc00..."#,
            ),
            (
                r#""\ud800\u0041""#,
                "Unicode low surrogate must follow a high surrogate.",
                r#"JSON data, line 1: "\ud800\u0041..."#,
            ),
            (
                r#""\ud800\n""#,
                "Unicode low surrogate must follow a high surrogate.",
                r#"JSON data, line 1: "\ud800\n..."#,
            ),
            (
                r#""\ud800\x""#,
                "Unicode low surrogate must follow a high surrogate.",
                r#"JSON data, line 1: "\ud800\x..."#,
            ),
            (
                r#""\ud800\u0000""#,
                "Unicode low surrogate must follow a high surrogate.",
                r#"JSON data, line 1: "\ud800\u0000..."#,
            ),
            (
                r#""\uD800\uDBFF""#,
                "Unicode high surrogate must not follow a high surrogate.",
                r#"JSON data, line 1: "\uD800\uDBFF..."#,
            ),
        ];
        for (input, detail, context) in cases {
            let (code, d, c) = jsonb_error(input);
            assert_eq!(
                (code, d.as_str(), c.as_str()),
                ("22P02", *detail, *context),
                "{input}"
            );
        }
    }

    #[test]
    fn nul_escape_is_refused_by_jsonb_only() {
        for (input, context) in [
            (r#""\u0000""#, r#"JSON data, line 1: "\u0000..."#),
            (r#""\u0000\ud800""#, r#"JSON data, line 1: "\u0000..."#),
        ] {
            let e = Jsonb::parse(input).unwrap_err();
            assert_eq!(e.code, untranslatable_character());
            assert_eq!(e.message, "unsupported Unicode escape sequence");
            assert_eq!(
                e.detail.as_deref(),
                Some(r#"\u0000 cannot be converted to text."#)
            );
            assert_eq!(e.context.as_deref(), Some(context));
        }
        // json keeps the text: escapes are only checked for their syntax
        for ok in [
            r#""\u0000""#,
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\ud800""#,
            r#""\ud800x""#,
        ] {
            assert!(validate_json(ok).is_ok(), "{ok}");
        }
        for (input, detail) in [
            (
                r#""\u12g4""#,
                r#""\u" must be followed by four hexadecimal digits."#,
            ),
            (r#""\x""#, r#"Escape sequence "\x" is invalid."#),
            ("-", r#"Token "-" is invalid."#),
        ] {
            let (code, d, _) = report(validate_json(input).unwrap_err());
            assert_eq!((code, d.as_str()), ("22P02", detail), "{input}");
        }
        let (_, d, c) = report(validate_json(r#""\u0041\u00""#).unwrap_err());
        assert_eq!(d, r#""\u" must be followed by four hexadecimal digits."#);
        assert_eq!(c, r#"JSON data, line 1: "\u0041\u00""#);
    }

    #[test]
    fn grammar_errors_say_what_was_expected() {
        let ended = "The input string ended unexpectedly.";
        let cases: &[(&str, &str, &str)] = &[
            (
                r#"{"a" 1}"#,
                r#"Expected ":", but found "1"."#,
                r#"JSON data, line 1: {"a" 1..."#,
            ),
            (
                r#"{"a"}"#,
                r#"Expected ":", but found "}"."#,
                r#"JSON data, line 1: {"a"}"#,
            ),
            (
                r#"{"a":1,}"#,
                r#"Expected string, but found "}"."#,
                r#"JSON data, line 1: {"a":1,}"#,
            ),
            (
                "[1,]",
                r#"Expected JSON value, but found "]"."#,
                "JSON data, line 1: [1,]",
            ),
            (
                "[,]",
                r#"Expected JSON value, but found ","."#,
                "JSON data, line 1: [,...",
            ),
            (
                "[:]",
                r#"Expected JSON value, but found ":"."#,
                "JSON data, line 1: [:...",
            ),
            (
                r#"{"a":}"#,
                r#"Expected JSON value, but found "}"."#,
                r#"JSON data, line 1: {"a":}"#,
            ),
            (
                "}",
                r#"Expected JSON value, but found "}"."#,
                "JSON data, line 1: }",
            ),
            (
                "{1:2}",
                r#"Expected string or "}", but found "1"."#,
                "JSON data, line 1: {1...",
            ),
            (
                "{,}",
                r#"Expected string or "}", but found ","."#,
                "JSON data, line 1: {,...",
            ),
            (
                r#"{"a":1 "b":2}"#,
                r#"Expected "," or "}", but found ""b""."#,
                r#"JSON data, line 1: {"a":1 "b"..."#,
            ),
            (
                "[1 2]",
                r#"Expected "," or "]", but found "2"."#,
                "JSON data, line 1: [1 2...",
            ),
            (
                "1 2",
                r#"Expected end of input, but found "2"."#,
                "JSON data, line 1: 1 2",
            ),
            (
                "[1,2]]",
                r#"Expected end of input, but found "]"."#,
                "JSON data, line 1: [1,2]]",
            ),
            (
                r#"{"a":1}}"#,
                r#"Expected end of input, but found "}"."#,
                r#"JSON data, line 1: {"a":1}}"#,
            ),
            (
                r#"{"a":1,"b"]"#,
                r#"Expected ":", but found "]"."#,
                r#"JSON data, line 1: {"a":1,"b"]"#,
            ),
            ("[1", ended, "JSON data, line 1: [1"),
            ("", ended, "JSON data, line 1: "),
            ("  ", ended, "JSON data, line 1:   "),
            ("{", ended, "JSON data, line 1: {"),
            (r#"{"a""#, ended, r#"JSON data, line 1: {"a""#),
            (r#"{"a":"#, ended, r#"JSON data, line 1: {"a":"#),
            (r#"["a","#, ended, r#"JSON data, line 1: ["a","#),
        ];
        for (input, detail, context) in cases {
            let (code, d, c) = jsonb_error(input);
            assert_eq!(
                (code, d.as_str(), c.as_str()),
                ("22P02", *detail, *context),
                "{input}"
            );
        }
    }

    #[test]
    fn error_context_counts_lines_and_cuts_long_ones() {
        let cases: &[(&str, &str)] = &[
            ("{\n\"a\":\n  tru\n}", "JSON data, line 3:   tru"),
            ("{\n\"a\":\n  1 2\n}", "JSON data, line 3:   1 2"),
            ("{\r\n\"a\":\r\n  1 2\r\n}", "JSON data, line 3:   1 2"),
            ("{\r\"a\":\r  1 2\r}", "JSON data, line 1: {\r\"a\":\r  1 2"),
            ("{\n\"a\":\n  1\n", "JSON data, line 4: "),
            ("  \n  [1,\n  2,\n  x]", "JSON data, line 4:   x..."),
            (
                r#"{"aaaaaaaaaaaaaaaaaaaa": 1, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 2, "c": tru, "d": 3}"#,
                r#"JSON data, line 1: ...bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 2, "c": tru..."#,
            ),
            (
                r#"{"aaaaaaaaaaaaaaaaaaaa": 1, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 2, "c": tru}"#,
                r#"JSON data, line 1: ...1, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 2, "c": tru..."#,
            ),
            (
                r#"["éééééééééééééééééééééééééééééééééééééééééééééééééé", tru]"#,
                r#"JSON data, line 1: ...ééééééééééééééééééééé", tru..."#,
            ),
            (
                "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,x]",
                "JSON data, line 1: ...,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,x...",
            ),
            (
                "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,2,x]",
                "JSON data, line 1: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,2,x...",
            ),
        ];
        for (input, context) in cases {
            let (code, _, c) = jsonb_error(input);
            assert_eq!((code, c.as_str()), ("22P02", *context), "{input:?}");
        }
    }

    #[test]
    fn nesting_is_bounded_without_overflowing_the_stack() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        // Run where the stack is as small as a test thread's default (2MB).
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let v = j(&deep(MAX_DEPTH));
                assert_eq!(v.to_text(), deep(MAX_DEPTH));
                assert_eq!(v.pretty().lines().count(), 2 * MAX_DEPTH);
                assert_eq!(v.compare(&v.clone()), Ordering::Equal);
                assert!(v.contains(&v));
                assert_eq!(v.strip_nulls(), v);
                let text = deep(MAX_DEPTH);
                let node = JsonNode::parse(&text).unwrap();
                assert_eq!(node.to_jsonb().unwrap(), v);
                let e = Jsonb::parse(&deep(MAX_DEPTH + 1)).unwrap_err();
                assert_eq!(e.code, SqlState::StatementTooComplex);
                assert_eq!(e.message, "stack depth limit exceeded");
                assert!(validate_json(&deep(100_000)).is_err());
                // operators do not build deeper values either
                let e = Jsonb::parse("{}")
                    .unwrap()
                    .set_path(&["a"], v, true)
                    .unwrap_err();
                assert_eq!(e.code, SqlState::StatementTooComplex);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn jsonb_accessors() {
        let v = j(r#"{"a":[1,{"b":"x\ny"}], "c":null, "d":1.50}"#);
        assert_eq!(v.field("a").unwrap().to_text(), r#"[1, {"b": "x\ny"}]"#);
        assert_eq!(
            v.field("a").unwrap().as_text().unwrap(),
            r#"[1, {"b": "x\ny"}]"#
        );
        assert_eq!(v.field("c"), Some(&Jsonb::Null));
        assert_eq!(v.field("c").unwrap().as_text(), None);
        assert_eq!(v.field("d").unwrap().as_text().unwrap(), "1.50");
        assert_eq!(v.field("x"), None);
        assert_eq!(v.path(&["a", "1", "b"]).unwrap().as_text().unwrap(), "x\ny");
        assert_eq!(
            v.path(&["a", "-1", "b"]).unwrap().as_text().unwrap(),
            "x\ny"
        );
        assert_eq!(v.path(&["a", "x"]), None);
        assert_eq!(v.path(&[]), Some(&v));
        // subscripts are read as strtol reads them
        let a = j("[1,[2, 3 ],3]");
        assert_eq!(a.path(&[" 1", "+1"]).unwrap().to_text(), "3");
        assert_eq!(a.path(&["1 ", "1"]), None);
        assert_eq!(j("[1,2]").path(&["-2"]).unwrap().to_text(), "1");
        assert_eq!(j("[1,2]").path(&["-2147483649"]), None);
        assert_eq!(j(r#"{"0":1}"#).path(&["0"]).unwrap().to_text(), "1");
        assert_eq!(j(r#"{"a":1}"#).path(&["a", "b"]), None);
        // -> int: negative from the end; a scalar answers 0 and -1 with itself
        assert_eq!(j("[1,2]").element(-2).unwrap().to_text(), "1");
        assert_eq!(j("[1,2]").element(-3), None);
        assert_eq!(j("[1,2]").element(2), None);
        assert_eq!(j(r#"{"a":1}"#).element(0), None);
        assert_eq!(j(r#""a""#).element(0).unwrap().to_text(), r#""a""#);
        assert_eq!(j(r#""a""#).element(-1).unwrap().to_text(), r#""a""#);
        assert_eq!(j("1").element(1), None);
        assert_eq!(j("1").element(-2), None);
        assert_eq!(j("null").element(0), Some(&Jsonb::Null));
        assert_eq!(j(r#""a""#).path(&["0"]), None);
        assert_eq!(j(r#""x""#).path(&[]).unwrap().as_text().unwrap(), "x");
        assert_eq!(j("[1]").field("a"), None);
        let types: Vec<_> = ["1", r#""1""#, "true", "null", "[]", "{}"]
            .iter()
            .map(|s| j(s).type_name())
            .collect();
        assert_eq!(
            types,
            ["number", "string", "boolean", "null", "array", "object"]
        );
    }

    #[test]
    fn exists_looks_at_keys_string_elements_and_string_scalars() {
        let cases = [
            (r#"{"a":1}"#, "a", true),
            (r#"["a","b"]"#, "a", true),
            (r#"["a",["b"]]"#, "b", false),
            (r#""a""#, "a", true),
            ("1", "1", false),
            (r#"{"b":{"a":1}}"#, "a", false),
            ("[1]", "1", false),
            (r#"{"a":null}"#, "a", true),
        ];
        for (v, key, expected) in cases {
            assert_eq!(j(v).exists(key), expected, "{v} ? {key}");
        }
    }

    #[test]
    fn containment_follows_postgresql() {
        let cases = [
            ("[1,2]", "1", true),
            ("1", "1", true),
            ("1", "1.0", true),
            ("1", "[1]", false),
            ("[1]", "[]", true),
            ("1", "[]", false),
            ("[]", "1", false),
            ("{}", "[]", false),
            ("[]", "{}", false),
            (r#"[{"a":1}]"#, r#"{"a":1}"#, false),
            (r#"{"a":1}"#, "{}", true),
            (r#"{"a":[1,2,3]}"#, r#"{"a":[1]}"#, true),
            (r#"{"a":[1,2]}"#, r#"{"a":1}"#, false),
            ("[1,[2,3]]", "[[2]]", true),
            ("[1,2]", "[[1]]", false),
            ("[[1,2]]", "[1]", false),
            ("[1,2]", "[1,1]", true),
            ("[1]", "[1,1,1]", true),
            (r#"{"a":{"b":1,"c":2}}"#, r#"{"a":{"b":1}}"#, true),
            (r#"{"a":{"b":1}}"#, r#"{"a":{"b":1,"c":2}}"#, false),
            (r#"[{"a":1,"b":2},{"c":3}]"#, r#"[{"a":1}]"#, true),
            (r#"[{"a":1,"b":2},{"c":3}]"#, r#"[{"a":1,"c":3}]"#, false),
            (r#""a""#, r#""a""#, true),
            (r#"["a"]"#, r#""a""#, true),
            (r#"{"a":"b"}"#, r#""a""#, false),
            ("[1,2,[3]]", "3", false),
            ("[1,2,[3]]", "[3]", false),
            ("[[1]]", "[[]]", true),
            ("[1]", "[[]]", false),
            ("[{}]", "[[]]", false),
            (r#"{"a":1}"#, r#"{"a":1.0}"#, true),
            (r#"{"a":null}"#, r#"{"a":null}"#, true),
            (r#"{"a":{}}"#, r#"{"a":[]}"#, false),
            (r#"{"a":[]}"#, r#"{"a":[]}"#, true),
            ("[null]", "null", true),
            ("null", "[null]", false),
            (r#"[1,"a"]"#, r#"["a"]"#, true),
            (r#"{"a":{"b":[1,{"c":2}]}}"#, r#"{"a":{"b":[{}]}}"#, true),
            ("[[1,2],[3]]", "[[1,3]]", false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(j(a).contains(&j(b)), expected, "{a} @> {b}");
        }
    }

    #[test]
    fn ordering_matches_order_by() {
        // SELECT string_agg(v::text, ' | ' ORDER BY v) over these values
        let mut values: Vec<Jsonb> = [
            "null",
            "true",
            "false",
            "1",
            "-1",
            "1.0",
            r#""a""#,
            r#""b""#,
            r#""aa""#,
            r#""""#,
            "[]",
            "[1]",
            "[null]",
            "[1,2]",
            "[[]]",
            "{}",
            r#"{"a":1}"#,
            r#"{"b":1}"#,
            r#"{"aa":1}"#,
            r#"{"a":1,"b":2}"#,
            r#"{"a":2}"#,
            r#"{"a":null}"#,
            "[true]",
            r#"["a"]"#,
            "[{}]",
            r#"{"a":[]}"#,
            r#"{"a":{}}"#,
            r#""é""#,
            r#""z""#,
            "[[1]]",
            "[1,1]",
            "[2]",
        ]
        .iter()
        .map(|s| j(s))
        .collect();
        values.sort_by(Jsonb::compare);
        let sorted: Vec<String> = values.iter().map(Jsonb::to_text).collect();
        assert_eq!(
            sorted.join(" | "),
            r#"[] | null | "" | "a" | "aa" | "b" | "z" | "é" | -1 | 1 | 1.0 | false | true | [null] | ["a"] | [1] | [2] | [true] | [[]] | [[1]] | [{}] | [1, 1] | [1, 2] | {} | {"a": null} | {"a": 1} | {"a": 2} | {"a": []} | {"a": {}} | {"aa": 1} | {"b": 1} | {"a": 1, "b": 2}"#
        );
        let cmp = |a: &str, b: &str| j(a).compare(&j(b));
        assert_eq!(cmp("1.0", "1"), Ordering::Equal);
        assert_eq!(cmp("[1.0]", "[1]"), Ordering::Equal);
        assert_eq!(cmp(r#"{"a":1.00}"#, r#"{"a":1}"#), Ordering::Equal);
        assert_eq!(cmp("[1,2]", "1"), Ordering::Greater);
        assert_eq!(cmp("[null]", "1"), Ordering::Greater);
        assert_eq!(cmp("{}", "1"), Ordering::Greater);
        assert_eq!(cmp("[[]]", "[null]"), Ordering::Greater);
        assert_eq!(cmp(r#"{"a":1,"c":2}"#, r#"{"b":1,"c":2}"#), Ordering::Less);
        assert_eq!(
            cmp(r#"{"a":3,"b":1}"#, r#"{"a":1,"c":0}"#),
            Ordering::Greater
        );
        assert_eq!(
            cmp(r#"{"aa":1, "b":2}"#, r#"{"b":1, "aa":2}"#),
            Ordering::Greater
        );
        assert_eq!(
            cmp(r#"{"b":1, "cc":2}"#, r#"{"aa":2, "b":1}"#),
            Ordering::Greater
        );
        assert_eq!(cmp(r#""a""#, r#""B""#), Ordering::Greater);
        assert_eq!(cmp(r#""ab""#, r#""b""#), Ordering::Less);
    }

    #[test]
    fn concat_merges_objects_and_appends_arrays() {
        let cases = [
            ("1", "2", "[1, 2]"),
            ("[1]", "2", "[1, 2]"),
            ("1", "[2]", "[1, 2]"),
            ("{}", r#"{"a":1}"#, r#"{"a": 1}"#),
            (r#"{"a":1}"#, "{}", r#"{"a": 1}"#),
            ("{}", "[]", "[{}]"),
            ("[]", "{}", "[{}]"),
            ("{}", "1", "[{}, 1]"),
            ("1", "{}", "[1, {}]"),
            ("[]", "1", "[1]"),
            ("1", "[]", "[1]"),
            ("[]", "[]", "[]"),
            ("{}", "{}", "{}"),
            (
                r#"{"a":1,"b":2}"#,
                r#"{"b":3,"c":4}"#,
                r#"{"a": 1, "b": 3, "c": 4}"#,
            ),
            ("[1,2]", "[3,[4]]", "[1, 2, 3, [4]]"),
            (r#"{"a":1}"#, "[1]", r#"[{"a": 1}, 1]"#),
            ("[1]", r#"{"a":1}"#, r#"[1, {"a": 1}]"#),
            ("null", "null", "[null, null]"),
            (r#""a""#, r#"{"b":1}"#, r#"["a", {"b": 1}]"#),
            (r#"{"b":1}"#, r#""a""#, r#"[{"b": 1}, "a"]"#),
            ("[]", "[1]", "[1]"),
            ("[1]", "[]", "[1]"),
            (
                r#"{"aa":1,"b":{"x":1}}"#,
                r#"{"b":{"y":2}}"#,
                r#"{"b": {"y": 2}, "aa": 1}"#,
            ),
        ];
        for (a, b, out) in cases {
            assert_eq!(j(a).concat(&j(b)).unwrap().to_text(), out, "{a} || {b}");
        }
    }

    #[test]
    fn deletes() {
        let scalar = j("1").delete_key("a").unwrap_err();
        assert_eq!(
            (scalar.code, scalar.message.as_str()),
            (SqlState::InvalidParameterValue, "cannot delete from scalar")
        );
        assert!(j(r#""a""#).delete_key("a").is_err());
        assert!(j("1").delete_keys(&[]).is_err());
        let del = |v: &str, k: &str| j(v).delete_key(k).unwrap().to_text();
        assert_eq!(del(r#"{"a":1,"b":2}"#, "a"), r#"{"b": 2}"#);
        assert_eq!(del(r#"["a","b","a",1,["a"]]"#, "a"), r#"["b", 1, ["a"]]"#);
        assert_eq!(del("{}", "a"), "{}");
        assert_eq!(del("[]", "a"), "[]");
        assert_eq!(del(r#"{"a":1}"#, "x"), r#"{"a": 1}"#);
        let dels = |v: &str, k: &[&str]| j(v).delete_keys(k).unwrap().to_text();
        assert_eq!(
            dels(r#"{"a":1,"b":2,"c":3}"#, &["a", "c", "x"]),
            r#"{"b": 2}"#
        );
        assert_eq!(dels(r#"["a","b",1]"#, &["a", "b"]), "[1]");
        assert_eq!(dels(r#"{"a":1}"#, &[]), r#"{"a": 1}"#);

        assert_eq!(
            j("1").delete_index(0).unwrap_err().message,
            "cannot delete from scalar"
        );
        for obj in [r#"{"a":1}"#, "{}"] {
            let e = j(obj).delete_index(0).unwrap_err();
            assert_eq!(e.code, SqlState::InvalidParameterValue);
            assert_eq!(e.message, "cannot delete from object using integer index");
        }
        let deli = |v: &str, i: i64| j(v).delete_index(i).unwrap().to_text();
        assert_eq!(deli("[]", 0), "[]");
        assert_eq!(deli("[1,2,3]", 0), "[2, 3]");
        assert_eq!(deli("[1,2,3]", -1), "[1, 2]");
        assert_eq!(deli("[1,2,3]", 3), "[1, 2, 3]");
        assert_eq!(deli("[1,2,3]", -3), "[2, 3]");
        assert_eq!(deli("[1,2,3]", -4), "[1, 2, 3]");
        assert_eq!(deli("[1]", 0), "[]");
    }

    #[test]
    fn delete_path() {
        for p in [path(&["a"]), path(&[])] {
            let e = j("1").delete_path(&p).unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (
                    SqlState::InvalidParameterValue,
                    "cannot delete path in scalar"
                )
            );
        }
        let ok = |v: &str, p: &[&str]| j(v).delete_path(p).unwrap().to_text();
        let doc = r#"{"a":[1,{"b":2,"c":3}]}"#;
        assert_eq!(ok(doc, &["a", "1", "b"]), r#"{"a": [1, {"c": 3}]}"#);
        assert_eq!(ok(doc, &["a", "-1"]), r#"{"a": [1]}"#);
        assert_eq!(ok(doc, &["a", "-3"]), r#"{"a": [1, {"b": 2, "c": 3}]}"#);
        assert_eq!(ok(doc, &["a", "5"]), r#"{"a": [1, {"b": 2, "c": 3}]}"#);
        assert_eq!(ok(r#"{"a":1}"#, &["a", "b"]), r#"{"a": 1}"#);
        assert_eq!(ok(r#"{"a":1}"#, &["a", "0"]), r#"{"a": 1}"#);
        assert_eq!(ok(r#"{"a":[1,2]}"#, &["a", " 1"]), r#"{"a": [1]}"#);
        assert_eq!(ok(r#"{"a":[1,2]}"#, &["a", "+1"]), r#"{"a": [1]}"#);
        assert_eq!(ok(r#"{"a":[1,2]}"#, &["a", "-0"]), r#"{"a": [2]}"#);
        assert_eq!(ok(r#"{"a":[1,2]}"#, &["b", "x"]), r#"{"a": [1, 2]}"#);
        assert_eq!(ok("{}", &["a"]), "{}");
        assert_eq!(ok("[]", &["a"]), "[]");
        assert_eq!(ok("[1,2]", &[]), "[1, 2]");
        assert_eq!(ok("[[1,2]]", &["1", "x"]), "[[1, 2]]");
        assert_eq!(ok("[1]", &["0", "x"]), "[1]");
        for (v, p, message) in [
            (
                "[1,2]",
                path(&["a"]),
                r#"path element at position 1 is not an integer: "a""#,
            ),
            (
                r#"{"a":[1,2]}"#,
                path(&["a", "x"]),
                r#"path element at position 2 is not an integer: "x""#,
            ),
            (
                r#"{"a":[1,2]}"#,
                path(&["a", "1 "]),
                r#"path element at position 2 is not an integer: "1 ""#,
            ),
            (
                r#"{"a":[1,2]}"#,
                path(&["a", "99999999999"]),
                r#"path element at position 2 is not an integer: "99999999999""#,
            ),
            (
                r#"{"a":[1,2]}"#,
                path(&["a", ""]),
                r#"path element at position 2 is not an integer: """#,
            ),
            (
                "[[1,2]]",
                path(&["0", "x"]),
                r#"path element at position 2 is not an integer: "x""#,
            ),
        ] {
            let e = j(v).delete_path(&p).unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (SqlState::InvalidTextRepresentation, message)
            );
        }
    }

    #[test]
    fn set_path() {
        let set = |v: &str, p: &[&str], new: &str, create: bool| {
            j(v).set_path(p, j(new), create).map(|r| r.to_text())
        };
        let ok = |v: &str, p: &[&str], new: &str, create: bool| set(v, p, new, create).unwrap();
        for p in [path(&["a"]), path(&[])] {
            let e = set("1", &p, "2", true).unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (SqlState::InvalidParameterValue, "cannot set path in scalar")
            );
        }
        assert_eq!(ok("[]", &[], "2", true), "[]");
        assert_eq!(ok("{}", &[], "2", true), "{}");
        assert_eq!(ok("{}", &["a"], "2", true), r#"{"a": 2}"#);
        assert_eq!(ok("{}", &["a"], "2", false), "{}");
        assert_eq!(ok("[]", &["0"], "2", true), "[2]");
        assert_eq!(ok("[]", &["5"], "2", true), "[2]");
        assert_eq!(ok("[]", &["-5"], "2", true), "[2]");
        assert_eq!(ok("[]", &["0"], "2", false), "[]");
        assert_eq!(ok("[1,2,3]", &["0"], "9", true), "[9, 2, 3]");
        assert_eq!(ok("[1,2,3]", &["-1"], "9", true), "[1, 2, 9]");
        assert_eq!(ok("[1,2,3]", &["3"], "9", true), "[1, 2, 3, 9]");
        assert_eq!(ok("[1,2,3]", &["10"], "9", true), "[1, 2, 3, 9]");
        assert_eq!(ok("[1,2,3]", &["-3"], "9", true), "[9, 2, 3]");
        assert_eq!(ok("[1,2,3]", &["-4"], "9", true), "[9, 1, 2, 3]");
        assert_eq!(ok("[1,2,3]", &["-4"], "9", false), "[1, 2, 3]");
        assert_eq!(ok("[1,2,3]", &["10"], "9", false), "[1, 2, 3]");
        assert_eq!(
            ok(r#"{"a":1,"b":2}"#, &["a"], "9", true),
            r#"{"a": 9, "b": 2}"#
        );
        assert_eq!(
            ok(r#"{"a":1,"b":2}"#, &["c"], "9", true),
            r#"{"a": 1, "b": 2, "c": 9}"#
        );
        assert_eq!(
            ok(r#"{"a":1,"b":2}"#, &["c"], "9", false),
            r#"{"a": 1, "b": 2}"#
        );
        assert_eq!(
            ok(r#"{"a":{"b":1}}"#, &["a", "c"], "9", true),
            r#"{"a": {"b": 1, "c": 9}}"#
        );
        assert_eq!(
            ok(r#"{"a":{"b":1}}"#, &["x", "c"], "9", true),
            r#"{"a": {"b": 1}}"#
        );
        assert_eq!(ok(r#"{"a":1}"#, &["a", "c"], "9", true), r#"{"a": 1}"#);
        assert_eq!(
            ok(r#"{"a":[1]}"#, &["a", "0", "c"], "9", true),
            r#"{"a": [1]}"#
        );
        assert_eq!(ok(r#"{"a":[1]}"#, &["b", "x"], "9", true), r#"{"a": [1]}"#);
        assert_eq!(
            ok(r#"{"a":[{"b":1}]}"#, &["a", "0", "b"], "[1,2]", true),
            r#"{"a": [{"b": [1, 2]}]}"#
        );
        assert_eq!(
            ok(
                r#"{"a":[{"b":1}]}"#,
                &["a", "-1", "c"],
                r#"{"x":null}"#,
                true
            ),
            r#"{"a": [{"b": 1, "c": {"x": null}}]}"#
        );
        assert_eq!(
            ok("[[1,2],[3]]", &["1", "5"], r#""x""#, true),
            r#"[[1, 2], [3, "x"]]"#
        );
        assert_eq!(
            ok("[[1,2],[3]]", &["1", "-5"], r#""x""#, true),
            r#"[[1, 2], ["x", 3]]"#
        );
        assert_eq!(ok("[1]", &["  0"], "5", true), "[5]");
        assert_eq!(ok(r#"{"a":[]}"#, &["a", "0"], "5", true), r#"{"a": [5]}"#);
        assert_eq!(
            ok(r#"{"a":{}}"#, &["a", "b"], "5", true),
            r#"{"a": {"b": 5}}"#
        );
        assert_eq!(ok(r#"{"a":{}}"#, &["a", "b"], "5", false), r#"{"a": {}}"#);
        assert_eq!(
            ok(r#"{"a":[1]}"#, &["a", "-2147483648"], r#""x""#, true),
            r#"{"a": ["x", 1]}"#
        );
        assert_eq!(
            ok(r#"{"a":[1]}"#, &["a", "2147483647"], r#""x""#, true),
            r#"{"a": [1, "x"]}"#
        );
        assert_eq!(ok(r#"{"a":[1]}"#, &["a"], "null", true), r#"{"a": null}"#);
        assert_eq!(
            ok(r#"{"a":[1]}"#, &["a", "0"], r#"{"z":1,"y":2}"#, true),
            r#"{"a": [{"y": 2, "z": 1}]}"#
        );
        // only the last step is created
        assert_eq!(ok("[1]", &["5", "0"], "9", true), "[1]");
        assert_eq!(ok("[]", &["0", "0"], "9", true), "[]");
        assert_eq!(
            ok(r#"{"a":[1]}"#, &["a", "-5", "x"], "9", true),
            r#"{"a": [1]}"#
        );
        assert_eq!(ok("{}", &["a", "b"], "1", true), "{}");
        // an empty array is returned early only when nothing is to be created
        assert_eq!(ok("[]", &["a"], "1", false), "[]");
        for (v, p, create, position) in [
            ("[]", path(&["a"]), true, 1),
            (r#"{"a":[1]}"#, path(&["a", "x"]), true, 2),
            (r#"{"a":[]}"#, path(&["a", "x"]), false, 2),
            (r#"{"a":[1]}"#, path(&["a", "2147483648"]), true, 2),
        ] {
            let e = set(v, &p, "1", create).unwrap_err();
            assert_eq!(e.code, SqlState::InvalidTextRepresentation);
            assert_eq!(
                e.message,
                format!(
                    "path element at position {position} is not an integer: \"{}\"",
                    p[position - 1]
                )
            );
        }
    }

    #[test]
    fn insert_path() {
        let ins = |v: &str, p: &[&str], new: &str, after: bool| {
            j(v).insert_path(p, j(new), after).map(|r| r.to_text())
        };
        let ok = |v: &str, p: &[&str], new: &str, after: bool| ins(v, p, new, after).unwrap();
        let e = ins("1", &["a"], "2", false).unwrap_err();
        assert_eq!(e.message, "cannot set path in scalar");
        assert_eq!(ok("[1]", &[], "2", false), "[1]");
        assert_eq!(ok(r#"{"a":1}"#, &[], "2", false), r#"{"a": 1}"#);
        for (v, p) in [
            (r#"{"a":1}"#, path(&["a"])),
            (r#"{"a":{"b":1}}"#, path(&["a", "b"])),
        ] {
            let e = ins(v, &p, r#""x""#, false).unwrap_err();
            assert_eq!(e.code, SqlState::InvalidParameterValue);
            assert_eq!(e.message, "cannot replace existing key");
            assert_eq!(
                e.hint.as_deref(),
                Some("Try using the function jsonb_set to replace key value.")
            );
        }
        assert_eq!(ok(r#"{"a":1}"#, &["b"], "2", false), r#"{"a": 1, "b": 2}"#);
        assert_eq!(ok(r#"{"a":1}"#, &["b"], "2", true), r#"{"a": 1, "b": 2}"#);
        assert_eq!(ok("{}", &["b"], "2", false), r#"{"b": 2}"#);
        assert_eq!(ok("[]", &["0"], "2", false), "[2]");
        assert_eq!(ok("[]", &["5"], "2", false), "[2]");
        assert_eq!(ok("[]", &["-5"], "2", true), "[2]");
        assert_eq!(ok("[1,2,3]", &["0"], "9", false), "[9, 1, 2, 3]");
        assert_eq!(ok("[1,2,3]", &["0"], "9", true), "[1, 9, 2, 3]");
        assert_eq!(ok("[1,2,3]", &["-1"], "9", false), "[1, 2, 9, 3]");
        assert_eq!(ok("[1,2,3]", &["-1"], "9", true), "[1, 2, 3, 9]");
        assert_eq!(ok("[1,2,3]", &["3"], "9", false), "[1, 2, 3, 9]");
        assert_eq!(ok("[1,2,3]", &["3"], "9", true), "[1, 2, 3, 9]");
        assert_eq!(ok("[1,2,3]", &["10"], "9", false), "[1, 2, 3, 9]");
        assert_eq!(ok("[1,2,3]", &["-4"], "9", true), "[9, 1, 2, 3]");
        assert_eq!(ok("[1,2,3]", &["-3"], "9", true), "[1, 9, 2, 3]");
        assert_eq!(ok("[1]", &["-5", "0"], "9", false), "[1]");
        assert_eq!(
            ok(r#"{"a":[1,2]}"#, &["a", "1"], r#""x""#, false),
            r#"{"a": [1, "x", 2]}"#
        );
        assert_eq!(
            ok(r#"{"a":{"b":[1]}}"#, &["a", "b", "0"], r#""x""#, true),
            r#"{"a": {"b": [1, "x"]}}"#
        );
        assert_eq!(
            ok(r#"{"a":{"b":[1]}}"#, &["a", "c", "0"], r#""x""#, false),
            r#"{"a": {"b": [1]}}"#
        );
        assert_eq!(
            ok(r#"{"a":1}"#, &["a", "0"], r#""x""#, false),
            r#"{"a": 1}"#
        );
        assert_eq!(
            ok(r#"{"a":{"b":1}}"#, &["a", "c"], r#""x""#, false),
            r#"{"a": {"b": 1, "c": "x"}}"#
        );
        for (v, p, position) in [
            ("[1]", path(&["x"]), 1),
            ("[]", path(&["a"]), 1),
            (r#"{"a":[1]}"#, path(&["a", "99999999999"]), 2),
        ] {
            let e = ins(v, &p, "1", false).unwrap_err();
            assert_eq!(
                e.message,
                format!(
                    "path element at position {position} is not an integer: \"{}\"",
                    p[position - 1]
                )
            );
        }
    }

    #[test]
    fn strip_nulls_and_pretty() {
        let strip = |s: &str| j(s).strip_nulls().to_text();
        assert_eq!(
            strip(r#"{"a":null,"b":[null,{"c":null,"d":1}],"e":{"f":null}}"#),
            r#"{"b": [null, {"d": 1}], "e": {}}"#
        );
        assert_eq!(strip("null"), "null");
        assert_eq!(strip("[null]"), "[null]");
        assert_eq!(strip(r#"{"a":null}"#), "{}");

        assert_eq!(
            j(r#"{"a":1, "b":[1,2,{"c":[]}], "d":{}, "e":{"f":null}}"#).pretty(),
            "{\n    \"a\": 1,\n    \"b\": [\n        1,\n        2,\n        {\n            \"c\": [\n            ]\n        }\n    ],\n    \"d\": {\n    },\n    \"e\": {\n        \"f\": null\n    }\n}"
        );
        assert_eq!(j("[]").pretty(), "[\n]");
        assert_eq!(j("{}").pretty(), "{\n}");
        assert_eq!(j("1").pretty(), "1");
        assert_eq!(j(r#""x""#).pretty(), r#""x""#);
        assert_eq!(j("[[],{}]").pretty(), "[\n    [\n    ],\n    {\n    }\n]");
        assert_eq!(
            j("[1,[2,[3]]]").pretty(),
            "[\n    1,\n    [\n        2,\n        [\n            3\n        ]\n    ]\n]"
        );
        assert_eq!(
            j(r#"{"a":"x\ny","b c":1.50,"é":[true,false,null]}"#).pretty(),
            "{\n    \"a\": \"x\\ny\",\n    \"é\": [\n        true,\n        false,\n        null\n    ],\n    \"b c\": 1.50\n}"
        );
        assert_eq!(
            format!("{}", j(r#"{"b":[1,2],"a":1}"#)),
            r#"{"a": 1, "b": [1, 2]}"#
        );
    }

    #[test]
    fn json_operators_return_text_verbatim() {
        let text = r#" {"a":[1,  2] , "b" : {"c" :  3 }, "d": "x\"y", "e": null, "f": 1e2 } "#;
        let v = JsonNode::parse(text).unwrap();
        assert_eq!(v.raw(), text.trim());
        assert_eq!(v.type_name(), "object");
        assert_eq!(v.field("a").unwrap().raw(), "[1,  2]");
        assert_eq!(v.field("b").unwrap().raw(), r#"{"c" :  3 }"#);
        assert_eq!(v.path(&["b", "c"]).unwrap().raw(), "3");
        assert_eq!(v.field("d").unwrap().raw(), r#""x\"y""#);
        assert_eq!(v.field("d").unwrap().as_text().unwrap(), r#"x"y"#);
        assert_eq!(v.field("e").unwrap().raw(), "null");
        assert_eq!(v.field("e").unwrap().as_text(), None);
        assert_eq!(v.field("f").unwrap().as_text().unwrap(), "1e2");
        assert_eq!(v.field("f").unwrap().to_jsonb().unwrap().to_text(), "100");
        assert_eq!(v.field("a").unwrap().as_text().unwrap(), "[1,  2]");
        assert_eq!(v.field("x"), None);
        assert_eq!(v.path(&[]).unwrap().raw(), text.trim());

        let dup = JsonNode::parse(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(dup.field("a").unwrap().raw(), "2");
        let dup = JsonNode::parse(r#"{"a":{"b":1},"a":{"c":2}}"#).unwrap();
        assert_eq!(dup.path(&["a", "c"]).unwrap().raw(), "2");
        assert_eq!(dup.path(&["a", "b"]).unwrap().raw(), "1");
        let escaped = JsonNode::parse(r#" {"ab": "x", "a\u0062": "y" } "#).unwrap();
        assert_eq!(escaped.field("ab").unwrap().as_text().unwrap(), "y");

        let a = JsonNode::parse(" [ 1 , 2 ] ").unwrap();
        assert_eq!(a.element(1).unwrap().raw(), "2");
        assert_eq!(a.element(-1).unwrap().raw(), "2");
        assert_eq!(a.element(-3), None);
        assert_eq!(a.element(2), None);
        let nested = JsonNode::parse("[1,[2, 3 ],3]").unwrap();
        assert_eq!(nested.path(&["1", " 1"]).unwrap().raw(), "3");
        assert_eq!(nested.path(&[" 1", "+1"]).unwrap().raw(), "3");
        assert_eq!(nested.path(&["1", "-1"]).unwrap().raw(), "3");
        assert_eq!(nested.path(&["1", "x"]), None);
        assert_eq!(nested.path(&["1 ", "1"]), None);
        assert_eq!(nested.path(&["2147483648"]), None);
        // a negative subscript is resolved at the first long enough array at its
        // depth, as PostgreSQL's streaming search does
        for (text, p, expected) in [
            (r#"{"x":[1,2,3], "a":[5,6]}"#, path(&["a", "-1"]), None),
            (r#"{"x":[1], "a":[5,6]}"#, path(&["a", "-2"]), Some("5")),
            (r#"{"x":[1,2,3], "a":[5,6]}"#, path(&["a", "-3"]), Some("5")),
            (r#"{"a":[5,6], "x":[1,2,3]}"#, path(&["a", "-1"]), Some("6")),
            (r#"[[1,2,3],{"k":[9]},[4,5]]"#, path(&["2", "-1"]), None),
            (r#"[{"k":[9,8,7,6]},[4,5]]"#, path(&["1", "-1"]), Some("5")),
            (r#"[[4,5],{"k":[9,8,7,6]}]"#, path(&["0", "-1"]), Some("5")),
            (r#"{"a":[1,2],"a":[3,4,5]}"#, path(&["a", "-1"]), Some("4")),
            ("[[1,2,3],[4,5]]", path(&["1", "-1"]), None),
            ("[[[0], {}], [], [1, [], false]]", path(&["-3", "-3"]), None),
            (
                "[[[0], {}], [], [1, [], false]]",
                path(&["-1", "-3"]),
                Some("1"),
            ),
        ] {
            let node = JsonNode::parse(text).unwrap();
            assert_eq!(
                node.path(&p).map(JsonNode::raw),
                expected,
                "{text} #> {p:?}"
            );
        }
        assert_eq!(
            JsonNode::parse("[[1,2,3],[4,5]]")
                .unwrap()
                .element(1)
                .unwrap()
                .element(-1)
                .unwrap()
                .raw(),
            "5"
        );
        assert_eq!(
            j("[[1,2,3],[4,5]]").path(&["1", "-1"]).unwrap().to_text(),
            "5"
        );
        let scalar = JsonNode::parse("  1  ").unwrap();
        assert_eq!(scalar.element(0), None);
        assert_eq!(scalar.path(&["0"]), None);
        assert_eq!(scalar.raw(), "1");
        assert_eq!(
            JsonNode::parse(r#"{"a":"\ud83d\ude00 \u00e9 \n"}"#)
                .unwrap()
                .field("a")
                .unwrap()
                .as_text()
                .unwrap(),
            "😀 é \n"
        );
        let types: Vec<_> = [" 1", r#""1""#, "false", "null", "[]", "{}"]
            .iter()
            .map(|s| JsonNode::parse(s).unwrap().type_name())
            .collect();
        assert_eq!(
            types,
            ["number", "string", "boolean", "null", "array", "object"]
        );
        // json_typeof reads the first token only
        let texts = [
            " 1",
            r#""\ud800""#,
            "false",
            "null",
            r#"[1, "\u0000"]"#,
            "\n {\"a\":1} ",
        ];
        let types: Vec<_> = texts.iter().map(|s| json_typeof(s)).collect();
        assert_eq!(
            types,
            ["number", "string", "boolean", "null", "array", "object"]
        );
        assert!(JsonNode::parse(texts[1]).is_err());
        assert_eq!(
            JsonNode::parse(r#"{"b":[1, "x"],"a":1,"b":true}"#)
                .unwrap()
                .to_jsonb()
                .unwrap()
                .to_text(),
            r#"{"a": 1, "b": true}"#
        );
    }

    #[test]
    fn json_operators_decode_every_string() {
        // `'...'::json -> ...` fails on any string it cannot decode, wherever it is
        for (input, code, detail, context) in [
            (
                r#"["\u0000", 1]"#,
                "22P05",
                r#"\u0000 cannot be converted to text."#,
                r#"JSON data, line 1: ["\u0000..."#,
            ),
            (
                r#"[1, "\u0000"]"#,
                "22P05",
                r#"\u0000 cannot be converted to text."#,
                r#"JSON data, line 1: [1, "\u0000..."#,
            ),
            (
                r#"{"\u0000":1, "a":2}"#,
                "22P05",
                r#"\u0000 cannot be converted to text."#,
                r#"JSON data, line 1: {"\u0000..."#,
            ),
            (
                r#"[1, "\ud800"]"#,
                "22P02",
                "Unicode low surrogate must follow a high surrogate.",
                r#"JSON data, line 1: [1, "\ud800"..."#,
            ),
            (
                r#"{"a":"\ud800\ud800"}"#,
                "22P02",
                "Unicode high surrogate must not follow a high surrogate.",
                r#"JSON data, line 1: {"a":"\ud800\ud800..."#,
            ),
        ] {
            let e = JsonNode::parse(input).unwrap_err();
            let expected_code = if code == "22P05" {
                untranslatable_character()
            } else {
                SqlState::InvalidTextRepresentation
            };
            assert_eq!(e.code, expected_code, "{input}");
            assert_eq!(e.detail.as_deref(), Some(detail), "{input}");
            assert_eq!(e.context.as_deref(), Some(context), "{input}");
        }
    }
}
