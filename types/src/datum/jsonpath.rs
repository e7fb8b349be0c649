//! `jsonpath`: the SQL/JSON path language. Input (a lexer and a recursive
//! descent parser for PostgreSQL's grammar), the parsed tree, and the
//! canonical output text.
//!
//! A `jsonpath` value is held as [`crate::Datum::Text`] of its canonical
//! text: input parses, checks and prints it once, and the evaluator
//! (`executor::functions::jsonpath`) parses that text again. Printing is a
//! fixed point (`print(parse(print(p))) == print(p)`), so the value keeps
//! everything the tree has.
//!
//! The tree follows PostgreSQL's: an [`Item`] is one step with an optional
//! `next` step, so `$.a[*]` is `Root -> Key("a") -> AnyArray`. Operators hold
//! their operands as items of their own.
//!
//! ```text
//!   expr_or_predicate   := [strict | lax] (expr | predicate)
//!   predicate           := predicate || predicate | predicate && predicate
//!                        | ! delimited | expr cmp expr | expr starts with (string | $var)
//!                        | expr like_regex string [flag string] | delimited
//!                        | ( predicate ) is unknown
//!   delimited           := ( predicate ) | exists ( expr )
//!   expr                := accessor | ( expr ) | +expr | -expr | expr (+ - * / %) expr
//!   accessor            := primary | ( expr ) op | ( predicate ) op | accessor op
//!   op                  := .key | .* | .** [{n [to m]}] | [*] | [subscripts] | .method()
//!                        | .datetime([template]) | ? ( predicate )
//! ```
//!
//! Syntax errors name the token PostgreSQL's scanner last matched: the token
//! itself for operators, numbers and variables, the closing quote of a
//! string, and for a bare word what ended it (the blanks after it, or the end
//! of input when punctuation or the end ended it).
//!
//! Short of PostgreSQL: numbers are [`Numeric`] (about 38 significant
//! digits); `like_regex` patterns are checked only for balanced parentheses
//! at input (the evaluator compiles them).

use std::fmt::Write as _;

use crate::datum::Numeric;
use crate::datum::json::escape_string;
use crate::{PgError, PgResult, SqlState};

/// `like_regex` flags, as PostgreSQL stores them.
pub const REGEX_ICASE: u8 = 1;
pub const REGEX_DOTALL: u8 = 2;
pub const REGEX_MLINE: u8 = 4;
pub const REGEX_WSPACE: u8 = 8;
pub const REGEX_QUOTE: u8 = 16;

/// The deepest nesting the parser accepts (the evaluator and printer recurse).
const MAX_DEPTH: usize = 1000;

/// How much stack a recursive walk over a path (parsing, evaluating) may
/// use before it stops with "stack depth limit exceeded" (the message of
/// PostgreSQL's `max_stack_depth`, whose default is 2MB). Frames differ
/// between builds, so the guard measures the stack rather than counting
/// levels; half of PostgreSQL's limit leaves room on a 2MB thread stack.
const STACK_BUDGET: usize = 1024 * 1024;

fn stack_depth_error() -> PgError {
    PgError::new(SqlState::StatementTooComplex, "stack depth limit exceeded").with_hint(
        "Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), \
         after ensuring the platform's stack depth limit is adequate.",
    )
}

/// The stack position where a recursive walk started (see [`STACK_BUDGET`]).
#[derive(Debug, Clone, Copy)]
pub struct StackGuard(usize);

fn stack_position() -> usize {
    let here = 0u8;
    std::hint::black_box(&here) as *const u8 as usize
}

impl StackGuard {
    pub fn new() -> StackGuard {
        StackGuard(stack_position())
    }

    /// An error once the walk has used more than its budget of stack.
    pub fn check(self) -> PgResult<()> {
        if self.0.abs_diff(stack_position()) > STACK_BUDGET {
            Err(stack_depth_error())
        } else {
            Ok(())
        }
    }
}

impl Default for StackGuard {
    fn default() -> StackGuard {
        StackGuard::new()
    }
}

/// A parsed path: its mode and its expression.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    pub lax: bool,
    pub expr: Item,
}

/// One step of a path and the step after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub next: Option<Box<Item>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    And,
    Or,
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    StartsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Type,
    Size,
    Abs,
    Floor,
    Ceiling,
    Double,
    KeyValue,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Type => "type",
            Method::Size => "size",
            Method::Abs => "abs",
            Method::Floor => "floor",
            Method::Ceiling => "ceiling",
            Method::Double => "double",
            Method::KeyValue => "keyvalue",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    Null,
    Bool(bool),
    Numeric(Numeric),
    String(String),
    Variable(String),
    Key(String),
    Root,
    Current,
    Last,
    AnyArray,
    AnyKey,
    /// `.**{first to last}`; `u32::MAX` stands for `last`.
    Any {
        first: u32,
        last: u32,
    },
    /// `[a, b to c]`
    IndexArray(Vec<(Item, Option<Item>)>),
    Binary(BinaryOp, Box<Item>, Box<Item>),
    Plus(Box<Item>),
    Minus(Box<Item>),
    Not(Box<Item>),
    IsUnknown(Box<Item>),
    Exists(Box<Item>),
    Filter(Box<Item>),
    LikeRegex {
        expr: Box<Item>,
        pattern: String,
        flags: u8,
    },
    Method(Method),
    /// `.datetime([template])`
    Datetime(Option<String>),
}

impl BinaryOp {
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
            BinaryOp::Equal => "==",
            BinaryOp::NotEqual => "!=",
            BinaryOp::Less => "<",
            BinaryOp::Greater => ">",
            BinaryOp::LessOrEqual => "<=",
            BinaryOp::GreaterOrEqual => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::StartsWith => "starts with",
        }
    }

    fn is_predicate(self) -> bool {
        !matches!(
            self,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod
        )
    }
}

impl Item {
    fn new(kind: ItemKind) -> Item {
        Item { kind, next: None }
    }

    /// True for a predicate the grammar sees as one: a boolean item with no
    /// step after it (`(a > 1).type()` is an expression).
    fn is_predicate(&self) -> bool {
        self.next.is_none() && self.is_boolean()
    }

    /// True for the items whose value is a boolean of three-valued logic.
    pub fn is_boolean(&self) -> bool {
        match &self.kind {
            ItemKind::Binary(op, ..) => op.is_predicate(),
            ItemKind::Not(_)
            | ItemKind::IsUnknown(_)
            | ItemKind::Exists(_)
            | ItemKind::LikeRegex { .. } => true,
            _ => false,
        }
    }

    /// Appends `step` at the end of this item's chain.
    fn append(&mut self, step: Item) {
        let mut end = self;
        loop {
            match &mut end.next {
                Some(n) => end = n,
                slot @ None => {
                    *slot = Some(Box::new(step));
                    return;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

fn syntax_error(message: &str, near: Option<&str>) -> PgError {
    let text = match near {
        None => format!("{message} at end of jsonpath input"),
        Some(t) => format!("{message} at or near \"{t}\" of jsonpath input"),
    };
    PgError::new(SqlState::SyntaxError, text)
}

fn invalid_jsonpath(detail: &str) -> PgError {
    PgError::new(
        SqlState::InvalidTextRepresentation,
        "invalid input syntax for type jsonpath",
    )
    .with_detail(detail)
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    Is,
    To,
    Abs,
    Lax,
    Flag,
    Last,
    Null,
    Size,
    True,
    Type,
    With,
    False,
    Floor,
    Double,
    Exists,
    Starts,
    Strict,
    Ceiling,
    Unknown,
    Datetime,
    KeyValue,
    LikeRegex,
}

/// The keyword a bare word is: case-insensitive, but `null`, `true` and
/// `false` only in lower case.
fn keyword(word: &str) -> Option<Keyword> {
    let lower = word.to_ascii_lowercase();
    let k = match lower.as_str() {
        "is" => Keyword::Is,
        "to" => Keyword::To,
        "abs" => Keyword::Abs,
        "lax" => Keyword::Lax,
        "flag" => Keyword::Flag,
        "last" => Keyword::Last,
        "null" => Keyword::Null,
        "size" => Keyword::Size,
        "true" => Keyword::True,
        "type" => Keyword::Type,
        "with" => Keyword::With,
        "false" => Keyword::False,
        "floor" => Keyword::Floor,
        "double" => Keyword::Double,
        "exists" => Keyword::Exists,
        "starts" => Keyword::Starts,
        "strict" => Keyword::Strict,
        "ceiling" => Keyword::Ceiling,
        "unknown" => Keyword::Unknown,
        "datetime" => Keyword::Datetime,
        "keyvalue" => Keyword::KeyValue,
        "like_regex" => Keyword::LikeRegex,
        _ => return None,
    };
    if matches!(k, Keyword::Null | Keyword::True | Keyword::False) && word != lower {
        return None;
    }
    Some(k)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    And,
    Or,
    Not,
    AnyPath,
    Less,
    LessEqual,
    Equal,
    NotEqual,
    GreaterEqual,
    Greater,
    /// one of the special characters
    Char(char),
    Variable(String),
    String(String),
    /// a decimal or real number
    Numeric(String),
    Int(String),
    /// a bare word: identifier or keyword
    Word(String, Option<Keyword>),
    /// a word a comment ended, which the scanner drops
    Dropped,
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// What a syntax error at this token names (None: the end of input).
    near: Option<String>,
}

fn is_special(c: char) -> bool {
    "?%$.[]{}()|&!=<>@#,*:-+/".contains(c)
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}')
}

fn is_other(c: char) -> bool {
    !is_special(c) && !is_blank(c) && c != '\\' && c != '"'
}

struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Lexer<'a> {
        Lexer {
            s,
            b: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek_char(&self, at: usize) -> Option<char> {
        self.s.get(at..).and_then(|r| r.chars().next())
    }

    fn digits_from(&self, mut p: usize) -> usize {
        while self.b.get(p).is_some_and(u8::is_ascii_digit) {
            p += 1;
        }
        p
    }

    fn is_other_at(&self, p: usize) -> bool {
        self.peek_char(p).is_some_and(is_other)
    }

    fn other_run(&self, mut p: usize) -> usize {
        while let Some(c) = self.peek_char(p) {
            if !is_other(c) {
                break;
            }
            p += c.len_utf8();
        }
        p
    }

    /// The longest match of the number rules at `p` (its end and which rule),
    /// ties going to the earlier rule as in flex.
    fn number_at(&self, p: usize) -> Option<(usize, NumRule)> {
        let b = self.b;
        let int_end = match b.get(p) {
            Some(b'0') => Some(p + 1),
            Some(b'1'..=b'9') => Some(self.digits_from(p + 1)),
            _ => None,
        };
        let dec_end = match int_end {
            Some(e) if b.get(e) == Some(&b'.') => Some(self.digits_from(e + 1)),
            Some(_) => None,
            None if b.get(p) == Some(&b'.') && b.get(p + 1).is_some_and(u8::is_ascii_digit) => {
                Some(self.digits_from(p + 1))
            }
            None => None,
        };
        let exp = |base: usize| -> (Option<usize>, Option<usize>) {
            // (real end, realfail end)
            if !matches!(b.get(base), Some(b'e' | b'E')) {
                return (None, None);
            }
            let mut q = base + 1;
            let signed = matches!(b.get(q), Some(b'+' | b'-'));
            if signed {
                q += 1;
            }
            if b.get(q).is_some_and(u8::is_ascii_digit) {
                (Some(self.digits_from(q)), signed.then_some(q))
            } else {
                (None, signed.then_some(q))
            }
        };
        let mut real_end = None;
        let mut fail_end = None;
        for base in [dec_end, int_end].into_iter().flatten() {
            let (r, f) = exp(base);
            if real_end.is_none() {
                real_end = r;
            }
            if fail_end.is_none() {
                fail_end = f;
            }
        }
        // flex reads bytes: the junk is one byte, which a longer run of
        // "other" characters beats when that character takes several
        let junk = |e: Option<usize>| e.filter(|&e| self.is_other_at(e)).map(|e| e + 1);
        let candidates = [
            (real_end, NumRule::Real),
            (dec_end, NumRule::Decimal),
            (int_end, NumRule::Integer),
            (fail_end, NumRule::RealFail),
            (junk(int_end), NumRule::Junk),
            (junk(dec_end), NumRule::Junk),
            (junk(real_end), NumRule::Junk),
        ];
        let mut best: Option<(usize, NumRule)> = None;
        for (end, rule) in candidates {
            if let Some(e) = end
                && best.is_none_or(|(be, _)| e > be)
            {
                best = Some((e, rule));
            }
        }
        best
    }

    fn next(&mut self) -> PgResult<Token> {
        loop {
            let t = self.scan()?;
            if t.tok != Tok::Dropped {
                return Ok(t);
            }
        }
    }

    /// The next token, or `Dropped` for a word the scanner drops.
    fn scan(&mut self) -> PgResult<Token> {
        loop {
            let Some(c) = self.peek_char(self.pos) else {
                return Ok(Token {
                    tok: Tok::End,
                    near: None,
                });
            };
            if is_blank(c) {
                self.pos += 1;
                continue;
            }
            if self.s[self.pos..].starts_with("/*") {
                match self.s[self.pos + 2..].find("*/") {
                    Some(i) => {
                        self.pos += 2 + i + 2;
                        continue;
                    }
                    None => return Err(syntax_error("unexpected end of comment", None)),
                }
            }
            break;
        }
        let start = self.pos;
        let rest = &self.s[start..];
        let two = [
            ("&&", Tok::And),
            ("||", Tok::Or),
            ("**", Tok::AnyPath),
            ("<=", Tok::LessEqual),
            ("==", Tok::Equal),
            ("<>", Tok::NotEqual),
            ("!=", Tok::NotEqual),
            (">=", Tok::GreaterEqual),
        ];
        for (t, tok) in two {
            if rest.starts_with(t) {
                return Ok(self.token(tok, start, start + 2));
            }
        }
        let first = self.b[start];
        match first {
            b'!' => return Ok(self.token(Tok::Not, start, start + 1)),
            b'<' => return Ok(self.token(Tok::Less, start, start + 1)),
            b'>' => return Ok(self.token(Tok::Greater, start, start + 1)),
            b'$' => {
                if self.b.get(start + 1) == Some(&b'"') {
                    self.pos = start + 2;
                    let name = self.quoted()?;
                    return Ok(Token {
                        tok: Tok::Variable(name),
                        near: Some("\"".into()),
                    });
                }
                let end = self.other_run(start + 1);
                if end > start + 1 {
                    let name = self.s[start + 1..end].to_string();
                    return Ok(self.token(Tok::Variable(name), start, end));
                }
                return Ok(self.token(Tok::Char('$'), start, start + 1));
            }
            _ => {}
        }
        let number = self.number_at(start);
        if first == b'.' && number.is_none() {
            return Ok(self.token(Tok::Char('.'), start, start + 1));
        }
        if let Some((end, rule)) = number {
            // a run of "other" characters longer than the number is a word
            let word_end = self.other_run(start);
            if word_end <= end {
                let mut text_end = end;
                while !self.s.is_char_boundary(text_end) {
                    text_end += 1;
                }
                let end = text_end;
                let text = self.s[start..end].to_string();
                return match rule {
                    NumRule::Real | NumRule::Decimal => {
                        Ok(self.token(Tok::Numeric(text), start, end))
                    }
                    NumRule::Integer => Ok(self.token(Tok::Int(text), start, end)),
                    NumRule::RealFail => Err(syntax_error("invalid numeric literal", Some(&text))),
                    NumRule::Junk => Err(syntax_error(
                        "trailing junk after numeric literal",
                        Some(&text),
                    )),
                };
            }
        }
        let c = self.peek_char(start).unwrap_or(' ');
        if is_special(c) {
            return Ok(self.token(Tok::Char(c), start, start + 1));
        }
        if c == '"' {
            self.pos = start + 1;
            let s = self.quoted()?;
            return Ok(Token {
                tok: Tok::String(s),
                near: Some("\"".into()),
            });
        }
        self.word()
    }

    fn token(&mut self, tok: Tok, start: usize, end: usize) -> Token {
        self.pos = end;
        Token {
            tok,
            near: Some(self.s[start..end].to_string()),
        }
    }

    /// A bare word (with escapes), up to a blank, punctuation, a quote or the
    /// end; `Dropped` for a word a comment ends.
    fn word(&mut self) -> PgResult<Token> {
        let mut value = String::new();
        loop {
            let Some(c) = self.peek_char(self.pos) else {
                return Ok(Self::word_token(value, None));
            };
            if c == '\\' {
                self.escape(&mut value)?;
            } else if self.s[self.pos..].starts_with("/*") {
                // PostgreSQL's scanner drops a word that a comment ends
                // (`$.a/**/.b` reads as `$..b`).
                return Ok(Token {
                    tok: Tok::Dropped,
                    near: None,
                });
            } else if is_blank(c) {
                let start = self.pos;
                while self.peek_char(self.pos).is_some_and(is_blank) {
                    self.pos += 1;
                }
                let near = self.s[start..self.pos].to_string();
                return Ok(Self::word_token(value, Some(near)));
            } else if is_other(c) {
                value.push(c);
                self.pos += c.len_utf8();
            } else {
                // punctuation or a quote ends the word and starts the next token
                return Ok(Self::word_token(value, None));
            }
        }
    }

    fn word_token(value: String, near: Option<String>) -> Token {
        let kw = keyword(&value);
        Token {
            tok: Tok::Word(value, kw),
            near,
        }
    }

    /// The rest of a quoted string after its opening quote.
    fn quoted(&mut self) -> PgResult<String> {
        let mut value = String::new();
        loop {
            let Some(c) = self.peek_char(self.pos) else {
                return Err(syntax_error("unexpected end of quoted string", None));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(value);
                }
                '\\' => self.escape(&mut value)?,
                c => {
                    value.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// One escape sequence at `self.pos` (a backslash).
    fn escape(&mut self, out: &mut String) -> PgResult<()> {
        let start = self.pos;
        // (flex's `.` does not match a newline: `\` before one stands alone)
        let Some(e) = self.peek_char(start + 1).filter(|&c| c != '\n') else {
            return Err(syntax_error("unexpected end after backslash", Some("\\")));
        };
        match e {
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            'u' => return self.unicode(out),
            'x' => {
                let h1 = self
                    .b
                    .get(start + 2)
                    .and_then(|&b| char::from(b).to_digit(16));
                let h2 = self
                    .b
                    .get(start + 3)
                    .and_then(|&b| char::from(b).to_digit(16));
                match (h1, h2) {
                    (Some(a), Some(b)) => {
                        push_code(out, a * 16 + b)?;
                        self.pos = start + 4;
                        return Ok(());
                    }
                    _ => {
                        let end = start + 2 + usize::from(h1.is_some());
                        return Err(syntax_error(
                            "invalid hex character sequence",
                            Some(&self.s[start..end]),
                        ));
                    }
                }
            }
            other => out.push(other),
        }
        self.pos = start + 1 + e.len_utf8();
        Ok(())
    }

    /// A run of `\uXXXX` / `\u{X...}` escapes (surrogate pairs may span two).
    fn unicode(&mut self, out: &mut String) -> PgResult<()> {
        let start = self.pos;
        let mut high: Option<u32> = None;
        while self.s[self.pos..].starts_with("\\u") {
            let p = self.pos + 2;
            let (code, end) = if self.b.get(p) == Some(&b'{') {
                let mut q = p + 1;
                let mut code = 0u32;
                while q < p + 7 && self.b.get(q).is_some_and(u8::is_ascii_hexdigit) {
                    code = code * 16 + char::from(self.b[q]).to_digit(16).unwrap_or(0);
                    q += 1;
                }
                if q == p + 1 || self.b.get(q) != Some(&b'}') {
                    return Err(syntax_error(
                        "invalid unicode sequence",
                        Some(&self.s[start..q.min(self.s.len())]),
                    ));
                }
                (code, q + 1)
            } else {
                let mut q = p;
                let mut code = 0u32;
                while q < p + 4 && self.b.get(q).is_some_and(u8::is_ascii_hexdigit) {
                    code = code * 16 + char::from(self.b[q]).to_digit(16).unwrap_or(0);
                    q += 1;
                }
                if q < p + 4 {
                    return Err(syntax_error(
                        "invalid unicode sequence",
                        Some(&self.s[start..q]),
                    ));
                }
                (code, q)
            };
            self.pos = end;
            if (0xD800..0xDC00).contains(&code) {
                if high.is_some() {
                    return Err(invalid_jsonpath(
                        "Unicode high surrogate must not follow a high surrogate.",
                    ));
                }
                high = Some(code);
            } else if (0xDC00..0xE000).contains(&code) {
                let Some(h) = high.take() else {
                    return Err(invalid_jsonpath(
                        "Unicode low surrogate must follow a high surrogate.",
                    ));
                };
                push_code(out, 0x10000 + ((h - 0xD800) << 10) + (code - 0xDC00))?;
            } else {
                if high.is_some() {
                    return Err(invalid_jsonpath(
                        "Unicode low surrogate must follow a high surrogate.",
                    ));
                }
                push_code(out, code)?;
            }
        }
        if high.is_some() {
            return Err(invalid_jsonpath(
                "Unicode low surrogate must follow a high surrogate.",
            ));
        }
        Ok(())
    }
}

fn push_code(out: &mut String, code: u32) -> PgResult<()> {
    if code == 0 {
        return Err(PgError::new(
            SqlState::UntranslatableCharacter,
            "unsupported Unicode escape sequence",
        )
        .with_detail("\\u0000 cannot be converted to text."));
    }
    match char::from_u32(code) {
        Some(c) => {
            out.push(c);
            Ok(())
        }
        None => Err(PgError::new(
            SqlState::SyntaxError,
            "invalid Unicode code point",
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumRule {
    Real,
    Decimal,
    Integer,
    RealFail,
    Junk,
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

/// What a sub-expression may be where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Expr,
    Pred,
    Either,
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    tok: Token,
    depth: usize,
    stack: StackGuard,
}

fn parse_numeric(text: &str) -> PgResult<Numeric> {
    match Numeric::parse(text) {
        Some(r) => r,
        None => Err(PgError::new(
            SqlState::InvalidTextRepresentation,
            format!("invalid input syntax for type numeric: \"{text}\""),
        )),
    }
}

impl<'a> Parser<'a> {
    fn advance(&mut self) -> PgResult<Token> {
        let next = self.lexer.next()?;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    fn error(&self) -> PgError {
        syntax_error("syntax error", self.tok.near.as_deref())
    }

    fn is_char(&self, c: char) -> bool {
        self.tok.tok == Tok::Char(c)
    }

    fn is_keyword(&self, k: Keyword) -> bool {
        matches!(self.tok.tok, Tok::Word(_, Some(kw)) if kw == k)
    }

    fn expect_char(&mut self, c: char) -> PgResult<()> {
        if self.is_char(c) {
            self.advance()?;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn expect_keyword(&mut self, k: Keyword) -> PgResult<()> {
        if self.is_keyword(k) {
            self.advance()?;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn require(&self, item: &Item, pred: bool) -> PgResult<()> {
        if item.is_predicate() == pred {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn enter(&mut self) -> PgResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(stack_depth_error());
        }
        self.stack.check()
    }

    fn parse_or(&mut self, ctx: Ctx) -> PgResult<Item> {
        self.enter()?;
        let entered = self.depth;
        let mut left = self.parse_and(ctx)?;
        while ctx != Ctx::Expr && self.tok.tok == Tok::Or {
            self.require(&left, true)?;
            self.enter()?;
            self.advance()?;
            let right = self.parse_and(Ctx::Pred)?;
            self.require(&right, true)?;
            left = Item::new(ItemKind::Binary(
                BinaryOp::Or,
                Box::new(left),
                Box::new(right),
            ));
        }
        self.depth = entered - 1;
        Ok(left)
    }

    fn parse_and(&mut self, ctx: Ctx) -> PgResult<Item> {
        let entered = self.depth;
        let mut left = self.parse_not(ctx)?;
        while ctx != Ctx::Expr && self.tok.tok == Tok::And {
            self.require(&left, true)?;
            self.enter()?;
            self.advance()?;
            let right = self.parse_not(Ctx::Pred)?;
            self.require(&right, true)?;
            left = Item::new(ItemKind::Binary(
                BinaryOp::And,
                Box::new(left),
                Box::new(right),
            ));
        }
        self.depth = entered;
        Ok(left)
    }

    fn parse_not(&mut self, ctx: Ctx) -> PgResult<Item> {
        if ctx != Ctx::Expr && self.tok.tok == Tok::Not {
            self.advance()?;
            let inner = if self.is_char('(') {
                self.advance()?;
                let p = self.parse_or(Ctx::Pred)?;
                self.require(&p, true)?;
                self.expect_char(')')?;
                p
            } else if self.is_keyword(Keyword::Exists) {
                self.parse_exists()?
            } else {
                return Err(self.error());
            };
            return Ok(Item::new(ItemKind::Not(Box::new(inner))));
        }
        self.parse_comparison(ctx)
    }

    fn parse_exists(&mut self) -> PgResult<Item> {
        self.advance()?;
        self.expect_char('(')?;
        let e = self.parse_or(Ctx::Expr)?;
        self.require(&e, false)?;
        self.expect_char(')')?;
        Ok(Item::new(ItemKind::Exists(Box::new(e))))
    }

    fn comparison_op(&self) -> Option<BinaryOp> {
        Some(match self.tok.tok {
            Tok::Equal => BinaryOp::Equal,
            Tok::NotEqual => BinaryOp::NotEqual,
            Tok::Less => BinaryOp::Less,
            Tok::Greater => BinaryOp::Greater,
            Tok::LessEqual => BinaryOp::LessOrEqual,
            Tok::GreaterEqual => BinaryOp::GreaterOrEqual,
            _ => return None,
        })
    }

    fn parse_comparison(&mut self, ctx: Ctx) -> PgResult<Item> {
        let left = self.parse_additive(ctx)?;
        if ctx == Ctx::Expr {
            return Ok(left);
        }
        if let Some(op) = self.comparison_op() {
            self.require(&left, false)?;
            self.advance()?;
            let right = self.parse_additive(Ctx::Expr)?;
            self.require(&right, false)?;
            return Ok(Item::new(ItemKind::Binary(
                op,
                Box::new(left),
                Box::new(right),
            )));
        }
        if self.is_keyword(Keyword::Starts) || self.is_keyword(Keyword::LikeRegex) {
            return self.parse_string_predicate(left);
        }
        Ok(left)
    }

    /// `expr starts with (string | $var)` and `expr like_regex string [flag
    /// string]` (kept out of `parse_comparison` so that its frame, which
    /// every nesting level has, stays small).
    #[inline(never)]
    fn parse_string_predicate(&mut self, left: Item) -> PgResult<Item> {
        if self.is_keyword(Keyword::Starts) {
            self.require(&left, false)?;
            self.advance()?;
            self.expect_keyword(Keyword::With)?;
            let initial = match &self.tok.tok {
                Tok::String(s) => ItemKind::String(s.clone()),
                Tok::Variable(v) => ItemKind::Variable(v.clone()),
                _ => return Err(self.error()),
            };
            self.advance()?;
            return Ok(Item::new(ItemKind::Binary(
                BinaryOp::StartsWith,
                Box::new(left),
                Box::new(Item::new(initial)),
            )));
        }
        if self.is_keyword(Keyword::LikeRegex) {
            self.require(&left, false)?;
            self.advance()?;
            let Tok::String(pattern) = self.tok.tok.clone() else {
                return Err(self.error());
            };
            self.advance()?;
            let mut flags = 0u8;
            if self.is_keyword(Keyword::Flag) {
                self.advance()?;
                let Tok::String(f) = self.tok.tok.clone() else {
                    return Err(self.error());
                };
                for c in f.chars() {
                    flags |= match c {
                        'i' => REGEX_ICASE,
                        's' => REGEX_DOTALL,
                        'm' => REGEX_MLINE,
                        'x' => REGEX_WSPACE,
                        'q' => REGEX_QUOTE,
                        other => {
                            return Err(PgError::new(
                                SqlState::SyntaxError,
                                "invalid input syntax for type jsonpath",
                            )
                            .with_detail(format!(
                                "Unrecognized flag character \"{other}\" in LIKE_REGEX predicate."
                            )));
                        }
                    };
                }
                self.advance()?;
            }
            check_regex(&pattern, flags)?;
            return Ok(Item::new(ItemKind::LikeRegex {
                expr: Box::new(left),
                pattern,
                flags,
            }));
        }
        Err(self.error())
    }

    fn parse_additive(&mut self, ctx: Ctx) -> PgResult<Item> {
        // each operator deepens the tree on the left: it counts as a level
        let entered = self.depth;
        let mut left = self.parse_multiplicative(ctx)?;
        loop {
            let op = match self.tok.tok {
                Tok::Char('+') => BinaryOp::Add,
                Tok::Char('-') => BinaryOp::Sub,
                _ => {
                    self.depth = entered;
                    return Ok(left);
                }
            };
            self.require(&left, false)?;
            self.enter()?;
            self.advance()?;
            let right = self.parse_multiplicative(Ctx::Expr)?;
            self.require(&right, false)?;
            left = Item::new(ItemKind::Binary(op, Box::new(left), Box::new(right)));
        }
    }

    fn parse_multiplicative(&mut self, ctx: Ctx) -> PgResult<Item> {
        // each operator deepens the tree on the left: it counts as a level
        let entered = self.depth;
        let mut left = self.parse_unary(ctx)?;
        loop {
            let op = match self.tok.tok {
                Tok::Char('*') => BinaryOp::Mul,
                Tok::Char('/') => BinaryOp::Div,
                Tok::Char('%') => BinaryOp::Mod,
                _ => {
                    self.depth = entered;
                    return Ok(left);
                }
            };
            self.require(&left, false)?;
            self.enter()?;
            self.advance()?;
            let right = self.parse_unary(Ctx::Expr)?;
            self.require(&right, false)?;
            left = Item::new(ItemKind::Binary(op, Box::new(left), Box::new(right)));
        }
    }

    fn parse_unary(&mut self, ctx: Ctx) -> PgResult<Item> {
        let minus = match self.tok.tok {
            Tok::Char('+') => false,
            Tok::Char('-') => true,
            _ => return self.parse_accessor(ctx),
        };
        self.enter()?;
        self.advance()?;
        let arg = self.parse_unary(Ctx::Expr)?;
        self.require(&arg, false)?;
        self.depth -= 1;
        Ok(match (minus, arg) {
            (
                false,
                a @ Item {
                    kind: ItemKind::Numeric(_),
                    next: None,
                },
            ) => a,
            (
                true,
                Item {
                    kind: ItemKind::Numeric(n),
                    next: None,
                },
            ) => Item::new(ItemKind::Numeric(n.neg())),
            (false, a) => Item::new(ItemKind::Plus(Box::new(a))),
            (true, a) => Item::new(ItemKind::Minus(Box::new(a))),
        })
    }

    fn parse_accessor(&mut self, ctx: Ctx) -> PgResult<Item> {
        let kind = match &self.tok.tok {
            Tok::String(s) => ItemKind::String(s.clone()),
            Tok::Variable(v) => ItemKind::Variable(v.clone()),
            Tok::Numeric(n) | Tok::Int(n) => ItemKind::Numeric(parse_numeric(n)?),
            Tok::Word(_, Some(Keyword::Null)) => ItemKind::Null,
            Tok::Word(_, Some(Keyword::True)) => ItemKind::Bool(true),
            Tok::Word(_, Some(Keyword::False)) => ItemKind::Bool(false),
            Tok::Word(_, Some(Keyword::Last)) => ItemKind::Last,
            Tok::Char('$') => ItemKind::Root,
            Tok::Char('@') => ItemKind::Current,
            Tok::Word(_, Some(Keyword::Exists)) if ctx != Ctx::Expr => {
                return self.parse_exists();
            }
            Tok::Char('(') => {
                self.advance()?;
                let inner = self.parse_or(Ctx::Either)?;
                self.expect_char(')')?;
                if inner.is_predicate() {
                    if self.is_keyword(Keyword::Is) {
                        self.advance()?;
                        self.expect_keyword(Keyword::Unknown)?;
                        return Ok(Item::new(ItemKind::IsUnknown(Box::new(inner))));
                    }
                    if !self.at_accessor_op() {
                        return Ok(inner);
                    }
                }
                return self.parse_accessor_ops(inner);
            }
            _ => return Err(self.error()),
        };
        self.advance()?;
        self.parse_accessor_ops(Item::new(kind))
    }

    fn at_accessor_op(&self) -> bool {
        matches!(self.tok.tok, Tok::Char('.' | '[' | '?'))
    }

    fn parse_accessor_ops(&mut self, mut head: Item) -> PgResult<Item> {
        let mut steps = 0;
        while self.at_accessor_op() {
            steps += 1;
            if steps > MAX_DEPTH * 10 {
                self.depth = MAX_DEPTH;
                self.enter()?;
            }
            let step = self.parse_accessor_op()?;
            head.append(step);
        }
        Ok(head)
    }

    fn parse_accessor_op(&mut self) -> PgResult<Item> {
        match self.advance()?.tok {
            Tok::Char('.') => self.parse_dot(),
            Tok::Char('[') => {
                if self.is_char('*') {
                    self.advance()?;
                    self.expect_char(']')?;
                    return Ok(Item::new(ItemKind::AnyArray));
                }
                let mut elems = Vec::new();
                loop {
                    let from = self.parse_or(Ctx::Expr)?;
                    self.require(&from, false)?;
                    let to = if self.is_keyword(Keyword::To) {
                        self.advance()?;
                        let to = self.parse_or(Ctx::Expr)?;
                        self.require(&to, false)?;
                        Some(to)
                    } else {
                        None
                    };
                    elems.push((from, to));
                    if self.is_char(',') {
                        self.advance()?;
                        continue;
                    }
                    self.expect_char(']')?;
                    return Ok(Item::new(ItemKind::IndexArray(elems)));
                }
            }
            _ => {
                // '?'
                self.expect_char('(')?;
                let p = self.parse_or(Ctx::Pred)?;
                self.require(&p, true)?;
                self.expect_char(')')?;
                Ok(Item::new(ItemKind::Filter(Box::new(p))))
            }
        }
    }

    fn parse_dot(&mut self) -> PgResult<Item> {
        match self.tok.tok.clone() {
            Tok::Char('*') => {
                self.advance()?;
                Ok(Item::new(ItemKind::AnyKey))
            }
            Tok::AnyPath => {
                self.advance()?;
                if !self.is_char('{') {
                    return Ok(Item::new(ItemKind::Any {
                        first: 0,
                        last: u32::MAX,
                    }));
                }
                self.advance()?;
                let first = self.any_level()?;
                let last = if self.is_keyword(Keyword::To) {
                    self.advance()?;
                    self.any_level()?
                } else {
                    first
                };
                self.expect_char('}')?;
                Ok(Item::new(ItemKind::Any { first, last }))
            }
            Tok::String(s) => {
                self.advance()?;
                Ok(Item::new(ItemKind::Key(s)))
            }
            Tok::Word(w, kw) => {
                let method = match kw {
                    Some(Keyword::Type) => Some(Method::Type),
                    Some(Keyword::Size) => Some(Method::Size),
                    Some(Keyword::Abs) => Some(Method::Abs),
                    Some(Keyword::Floor) => Some(Method::Floor),
                    Some(Keyword::Ceiling) => Some(Method::Ceiling),
                    Some(Keyword::Double) => Some(Method::Double),
                    Some(Keyword::KeyValue) => Some(Method::KeyValue),
                    _ => None,
                };
                self.advance()?;
                if kw == Some(Keyword::Datetime) && self.is_char('(') {
                    self.advance()?;
                    let template = if let Tok::String(t) = &self.tok.tok {
                        let t = t.clone();
                        self.advance()?;
                        Some(t)
                    } else {
                        None
                    };
                    self.expect_char(')')?;
                    return Ok(Item::new(ItemKind::Datetime(template)));
                }
                if let Some(m) = method
                    && self.is_char('(')
                {
                    self.advance()?;
                    self.expect_char(')')?;
                    return Ok(Item::new(ItemKind::Method(m)));
                }
                Ok(Item::new(ItemKind::Key(w)))
            }
            _ => Err(self.error()),
        }
    }

    fn any_level(&mut self) -> PgResult<u32> {
        let level = match &self.tok.tok {
            Tok::Int(n) => match n.parse::<i32>() {
                Ok(v) => v as u32,
                Err(_) => {
                    return Err(PgError::new(
                        SqlState::NumericValueOutOfRange,
                        format!("value \"{n}\" is out of range for type integer"),
                    ));
                }
            },
            Tok::Word(_, Some(Keyword::Last)) => u32::MAX,
            _ => return Err(self.error()),
        };
        self.advance()?;
        Ok(level)
    }
}

/// The checks PostgreSQL's regex compiler makes that we can make without
/// compiling: balanced parentheses and brackets.
fn check_regex(pattern: &str, flags: u8) -> PgResult<()> {
    if flags & REGEX_QUOTE == 0 && flags & REGEX_WSPACE != 0 {
        return Err(PgError::new(
            SqlState::FeatureNotSupported,
            "XQuery \"x\" flag (expanded regular expressions) is not implemented",
        ));
    }
    if flags & REGEX_QUOTE != 0 {
        return Ok(());
    }
    let mut depth = 0i32;
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            break;
        }
    }
    let reason = if depth != 0 {
        "parentheses () not balanced"
    } else if in_class {
        "brackets [] not balanced"
    } else {
        return Ok(());
    };
    Err(PgError::new(
        SqlState::InvalidRegularExpression,
        format!("invalid regular expression: {reason}"),
    ))
}

/// Checks PostgreSQL makes on the whole tree: `@` only inside filters, `last`
/// only inside array subscripts.
fn check(item: &Item, nesting: u32, in_subscript: bool) -> PgResult<()> {
    let mut cur = Some(item);
    while let Some(it) = cur {
        match &it.kind {
            ItemKind::Current if nesting == 0 => {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "@ is not allowed in root expressions",
                ));
            }
            ItemKind::Last if !in_subscript => {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "LAST is allowed only in array subscripts",
                ));
            }
            ItemKind::Binary(_, l, r) => {
                check(l, nesting, in_subscript)?;
                check(r, nesting, in_subscript)?;
            }
            ItemKind::LikeRegex { expr, .. } => check(expr, nesting, in_subscript)?,
            ItemKind::Filter(a) => check(a, nesting + 1, in_subscript)?,
            ItemKind::Plus(a)
            | ItemKind::Minus(a)
            | ItemKind::Not(a)
            | ItemKind::IsUnknown(a)
            | ItemKind::Exists(a) => check(a, nesting, in_subscript)?,
            ItemKind::IndexArray(elems) => {
                for (from, to) in elems {
                    check(from, nesting, true)?;
                    if let Some(to) = to {
                        check(to, nesting, true)?;
                    }
                }
            }
            _ => {}
        }
        cur = it.next.as_deref();
    }
    Ok(())
}

impl JsonPath {
    /// `jsonpath_in`.
    pub fn parse(s: &str) -> PgResult<JsonPath> {
        let mut lexer = Lexer::new(s);
        let first = lexer.next()?;
        let mut p = Parser {
            lexer,
            tok: first,
            depth: 0,
            stack: StackGuard::new(),
        };
        let mut lax = true;
        let mut moded = false;
        if p.is_keyword(Keyword::Strict) || p.is_keyword(Keyword::Lax) {
            lax = p.is_keyword(Keyword::Lax);
            moded = true;
            p.advance()?;
        }
        if p.tok.tok == Tok::End {
            if moded {
                return Err(p.error());
            }
            return Err(PgError::new(
                SqlState::InvalidTextRepresentation,
                format!("invalid input syntax for type jsonpath: \"{s}\""),
            ));
        }
        let expr = p.parse_or(Ctx::Either)?;
        if p.tok.tok != Tok::End {
            return Err(p.error());
        }
        check(&expr, 0, false)?;
        Ok(JsonPath { lax, expr })
    }

    /// `jsonpath_out`: the canonical text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if !self.lax {
            out.push_str("strict ");
        }
        print_item(&mut out, &self.expr, false, true);
        out
    }
}

/// Parses and prints: the text a `jsonpath` value holds.
pub fn normalize(s: &str) -> PgResult<String> {
    Ok(JsonPath::parse(s)?.to_text())
}

fn priority(item: &Item) -> u8 {
    match &item.kind {
        ItemKind::Binary(op, ..) => match op {
            BinaryOp::Or => 0,
            BinaryOp::And => 1,
            BinaryOp::Equal
            | BinaryOp::NotEqual
            | BinaryOp::Less
            | BinaryOp::Greater
            | BinaryOp::LessOrEqual
            | BinaryOp::GreaterOrEqual
            | BinaryOp::StartsWith => 2,
            BinaryOp::Add | BinaryOp::Sub => 3,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 4,
        },
        ItemKind::Plus(_) | ItemKind::Minus(_) => 5,
        _ => 6,
    }
}

fn print_item(out: &mut String, item: &Item, in_key: bool, brackets: bool) {
    let mut cur = item;
    let (mut in_key, mut brackets) = (in_key, brackets);
    loop {
        print_step(out, cur, in_key, brackets);
        match &cur.next {
            Some(n) => {
                cur = n;
                in_key = true;
                brackets = true;
            }
            None => return,
        }
    }
}

/// One step of a chain, without the steps after it.
fn print_step(out: &mut String, item: &Item, in_key: bool, brackets: bool) {
    let has_next = item.next.is_some();
    let prio = priority(item);
    let operand = |out: &mut String, a: &Item| print_item(out, a, false, priority(a) <= prio);
    match &item.kind {
        ItemKind::Null => out.push_str("null"),
        ItemKind::Key(k) => {
            if in_key {
                out.push('.');
            }
            escape_string(k, out);
        }
        ItemKind::String(s) => escape_string(s, out),
        ItemKind::Variable(v) => {
            out.push('$');
            escape_string(v, out);
        }
        ItemKind::Numeric(n) => {
            if has_next {
                out.push('(');
            }
            out.push_str(&n.to_text());
            if has_next {
                out.push(')');
            }
        }
        ItemKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ItemKind::Binary(op, l, r) => {
            if brackets {
                out.push('(');
            }
            operand(out, l);
            out.push(' ');
            out.push_str(op.name());
            out.push(' ');
            operand(out, r);
            if brackets {
                out.push(')');
            }
        }
        ItemKind::LikeRegex {
            expr,
            pattern,
            flags,
        } => {
            if brackets {
                out.push('(');
            }
            operand(out, expr);
            out.push_str(" like_regex ");
            escape_string(pattern, out);
            if *flags != 0 {
                out.push_str(" flag \"");
                for (bit, c) in [
                    (REGEX_ICASE, 'i'),
                    (REGEX_DOTALL, 's'),
                    (REGEX_MLINE, 'm'),
                    (REGEX_WSPACE, 'x'),
                    (REGEX_QUOTE, 'q'),
                ] {
                    if flags & bit != 0 {
                        out.push(c);
                    }
                }
                out.push('"');
            }
            if brackets {
                out.push(')');
            }
        }
        ItemKind::Plus(a) | ItemKind::Minus(a) => {
            if brackets {
                out.push('(');
            }
            out.push(if matches!(item.kind, ItemKind::Plus(_)) {
                '+'
            } else {
                '-'
            });
            operand(out, a);
            if brackets {
                out.push(')');
            }
        }
        ItemKind::Filter(a) => {
            out.push_str("?(");
            print_item(out, a, false, false);
            out.push(')');
        }
        ItemKind::Not(a) => {
            out.push_str("!(");
            print_item(out, a, false, false);
            out.push(')');
        }
        ItemKind::IsUnknown(a) => {
            out.push('(');
            print_item(out, a, false, false);
            out.push_str(") is unknown");
        }
        ItemKind::Exists(a) => {
            out.push_str("exists (");
            print_item(out, a, false, false);
            out.push(')');
        }
        ItemKind::Current => out.push('@'),
        ItemKind::Root => out.push('$'),
        ItemKind::Last => out.push_str("last"),
        ItemKind::AnyArray => out.push_str("[*]"),
        ItemKind::AnyKey => {
            if in_key {
                out.push('.');
            }
            out.push('*');
        }
        ItemKind::IndexArray(elems) => {
            out.push('[');
            for (i, (from, to)) in elems.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                print_item(out, from, false, false);
                if let Some(to) = to {
                    out.push_str(" to ");
                    print_item(out, to, false, false);
                }
            }
            out.push(']');
        }
        ItemKind::Any { first, last } => {
            if in_key {
                out.push('.');
            }
            let (f, l) = (*first, *last);
            if f == 0 && l == u32::MAX {
                out.push_str("**");
            } else if f == l {
                if f == u32::MAX {
                    out.push_str("**{last}");
                } else {
                    let _ = write!(out, "**{{{f}}}");
                }
            } else if f == u32::MAX {
                let _ = write!(out, "**{{last to {l}}}");
            } else if l == u32::MAX {
                let _ = write!(out, "**{{{f} to last}}");
            } else {
                let _ = write!(out, "**{{{f} to {l}}}");
            }
        }
        ItemKind::Method(m) => {
            out.push('.');
            out.push_str(m.name());
            out.push_str("()");
        }
        ItemKind::Datetime(t) => {
            out.push_str(".datetime(");
            if let Some(t) = t {
                escape_string(t, out);
            }
            out.push(')');
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        match normalize(s) {
            Ok(t) => t,
            Err(e) => format!("ERROR: {}", e.message),
        }
    }

    #[test]
    fn canonical_output() {
        assert_eq!(norm("$.a[*] ? (@ > 1)"), "$.\"a\"[*]?(@ > 1)");
        assert_eq!(norm("strict $"), "strict $");
        assert_eq!(norm("$ < 1"), "($ < 1)");
        assert_eq!(norm("$--+1"), "($ - -1)");
        assert_eq!(norm("-(1).type()"), "(-(1).type())");
        assert_eq!(norm("(1 + 2).x"), "(1 + 2).\"x\"");
        assert_eq!(norm("$.a.**{2 to last}.b"), "$.\"a\".**{2 to last}.\"b\"");
        assert_eq!(
            norm("$.g ? ((@.x >= 123 || @.a == 4) is unknown)"),
            "$.\"g\"?((@.\"x\" >= 123 || @.\"a\" == 4) is unknown)"
        );
        assert_eq!(norm("$\"a b\".x"), "$\"a b\".\"x\"");
        assert_eq!(norm("1 * 2 + 4 % -3 != false"), "(1 * 2 + 4 % -3 != false)");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000));
        assert_eq!(norm(&deep), "ERROR: stack depth limit exceeded");
        let long = format!("1{}", " + 1".repeat(20_000));
        assert_eq!(norm(&long), "ERROR: stack depth limit exceeded");
        let chain = format!("${}", ".a".repeat(5_000));
        assert!(norm(&chain).starts_with("$.\"a\""));
    }

    #[test]
    fn errors() {
        assert_eq!(
            norm("1.type()"),
            "ERROR: trailing junk after numeric literal at or near \"1.t\" of jsonpath input"
        );
        assert_eq!(
            norm("$.a b"),
            "ERROR: syntax error at end of jsonpath input"
        );
        assert_eq!(
            norm("abc def"),
            "ERROR: syntax error at or near \" \" of jsonpath input"
        );
        assert_eq!(
            norm("last"),
            "ERROR: LAST is allowed only in array subscripts"
        );
        assert_eq!(norm("@ + 1"), "ERROR: @ is not allowed in root expressions");
        assert_eq!(
            norm("$.1"),
            "ERROR: syntax error at or near \".1\" of jsonpath input"
        );
        assert_eq!(
            norm(""),
            "ERROR: invalid input syntax for type jsonpath: \"\""
        );
    }
}
