//! The PL/pgSQL grammar (PostgreSQL's `pl_gram.y`, by hand): a function
//! body to a tree of [`Stmt`]s. SQL inside it (expressions, queries,
//! other statements) stays text, cut out of the body at the words and
//! symbols that end it, and is parsed by the SQL parser when it runs.
//!
//! The lexer knows just enough SQL to find those ends: string literals
//! (`'..'`, `E'..'`, dollar quotes), quoted identifiers, comments and
//! parentheses.

use types::{PgError, PgResult, SqlState};

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// An unquoted word, lower-cased.
    Word(String),
    /// A quoted identifier, as written inside the quotes.
    Quoted(String),
    /// A string literal's text.
    Str(String),
    Number,
    /// `$n`
    Param,
    /// Any other symbol: `;` `,` `(` `)` `[` `]` `:=` `..` `<<` `>>` `.`
    /// `=` and operators.
    Sym(String),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// A variable declaration of a block.
#[derive(Debug, Clone)]
pub struct Decl {
    pub name: String,
    /// The type as written (`integer`, `varchar(10)`, `t.col%type`,
    /// `record`), or the target of `ALIAS FOR`.
    pub type_text: String,
    pub alias_for: Option<String>,
    pub constant: bool,
    pub not_null: bool,
    pub default: Option<Expr>,
    /// A bound cursor: `name [NO SCROLL] CURSOR [(arg type, ...)] FOR query`.
    pub cursor: Option<CursorDecl>,
    pub line: usize,
}

/// The query (and parameters) of a bound cursor variable.
#[derive(Debug, Clone)]
pub struct CursorDecl {
    pub params: Vec<(String, String)>,
    pub query: Expr,
}

/// Where FETCH / MOVE go.
#[derive(Debug, Clone)]
pub enum Direction {
    Next,
    Prior,
    First,
    Last,
    Absolute(Expr),
    Relative(Expr),
}

/// An SQL expression or query as text, with where it starts in the body.
#[derive(Debug, Clone)]
pub struct Expr {
    pub text: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub label: Option<String>,
    pub decls: Vec<Decl>,
    pub body: Vec<Stmt>,
    pub handlers: Vec<Handler>,
}

/// `WHEN cond [OR cond ...] THEN stmts` of an EXCEPTION clause: each
/// condition a name (`division_by_zero`, `others`) or `SQLSTATE 'xxxxx'`.
#[derive(Debug, Clone)]
pub struct Handler {
    pub conditions: Vec<String>,
    pub body: Vec<Stmt>,
}

/// A target of `INTO` or of an assignment: a variable, or a field of a
/// record variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub parts: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum RaiseArg {
    /// `RAISE level 'format', args`
    Format(String, Vec<Expr>),
    /// `RAISE level condition_name` / `SQLSTATE 'xxxxx'`
    Condition(String),
    /// `RAISE level` with USING only, or a bare `RAISE` (re-raise).
    None,
}

#[derive(Debug, Clone)]
pub enum ForKind {
    /// `FOR i IN [REVERSE] lo .. hi [BY step]`
    Integer {
        var: String,
        reverse: bool,
        low: Expr,
        high: Expr,
        step: Option<Expr>,
    },
    /// `FOR target IN query` / `FOR target IN EXECUTE expr [USING ...]`
    Query {
        targets: Vec<Target>,
        query: Expr,
        dynamic: bool,
        using: Vec<Expr>,
    },
    /// `FOREACH var [SLICE n] IN ARRAY expr`
    Array {
        target: Target,
        slice: usize,
        array: Expr,
    },
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    Block(Block),
    Assign(Target, Expr),
    If {
        branches: Vec<(Expr, Vec<Stmt>)>,
        otherwise: Option<Vec<Stmt>>,
    },
    Case {
        subject: Option<Expr>,
        whens: Vec<(Expr, Vec<Stmt>)>,
        otherwise: Option<Vec<Stmt>>,
    },
    Loop {
        label: Option<String>,
        body: Vec<Stmt>,
    },
    While {
        label: Option<String>,
        cond: Expr,
        body: Vec<Stmt>,
    },
    For {
        label: Option<String>,
        kind: ForKind,
        body: Vec<Stmt>,
    },
    Exit {
        is_continue: bool,
        label: Option<String>,
        when: Option<Expr>,
    },
    Return(Option<Expr>),
    ReturnNext(Option<Expr>),
    ReturnQuery {
        query: Expr,
        dynamic: bool,
        using: Vec<Expr>,
    },
    Raise {
        level: String,
        arg: RaiseArg,
        options: Vec<(String, Expr)>,
    },
    Assert {
        cond: Expr,
        message: Option<Expr>,
    },
    Perform(Expr),
    /// Any other SQL statement, its `INTO` (with STRICT) cut out.
    Sql {
        sql: Expr,
        into: Vec<Target>,
        strict: bool,
    },
    Execute {
        query: Expr,
        into: Vec<Target>,
        strict: bool,
        using: Vec<Expr>,
    },
    GetDiagnostics {
        stacked: bool,
        items: Vec<(Target, String)>,
    },
    /// `OPEN c [(args)]` of a bound cursor, `OPEN c FOR query` /
    /// `FOR EXECUTE text [USING ...]` of a refcursor variable.
    Open {
        cursor: String,
        query: Option<Expr>,
        dynamic: bool,
        using: Vec<Expr>,
        args: Vec<(Option<String>, Expr)>,
    },
    Fetch {
        cursor: String,
        direction: Direction,
        into: Vec<Target>,
        is_move: bool,
    },
    Close(String),
    Null,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub kind: StmtKind,
    pub line: usize,
}

impl Stmt {
    /// The statement's name in a CONTEXT line (`at assignment`).
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            StmtKind::Block(_) => "statement block",
            StmtKind::Assign(..) => "assignment",
            StmtKind::If { .. } => "IF",
            StmtKind::Case { .. } => "CASE",
            StmtKind::Loop { .. } => "LOOP",
            StmtKind::While { .. } => "WHILE",
            StmtKind::For { kind, .. } => match kind {
                ForKind::Integer { .. } => "FOR with integer loop variable",
                ForKind::Query { dynamic: true, .. } => "FOR over EXECUTE statement",
                ForKind::Query { .. } => "FOR over SELECT rows",
                ForKind::Array { .. } => "FOREACH over array",
            },
            StmtKind::Exit {
                is_continue: false, ..
            } => "EXIT",
            StmtKind::Exit { .. } => "CONTINUE",
            StmtKind::Return(_) => "RETURN",
            StmtKind::ReturnNext(_) => "RETURN NEXT",
            StmtKind::ReturnQuery { .. } => "RETURN QUERY",
            StmtKind::Raise { .. } => "RAISE",
            StmtKind::Assert { .. } => "ASSERT",
            StmtKind::Perform(_) => "PERFORM",
            StmtKind::Sql { .. } => "SQL statement",
            StmtKind::Execute { .. } => "EXECUTE",
            StmtKind::GetDiagnostics { .. } => "GET DIAGNOSTICS",
            StmtKind::Open { .. } => "OPEN",
            StmtKind::Fetch { is_move: false, .. } => "FETCH",
            StmtKind::Fetch { .. } => "MOVE",
            StmtKind::Close(_) => "CLOSE",
            StmtKind::Null => "NULL",
        }
    }
}

/// Parses a function body (the text between the dollar quotes).
pub fn parse_body(body: &str) -> PgResult<Block> {
    let tokens = lex(body)?;
    let mut p = Parser {
        src: body,
        tokens,
        i: 0,
    };
    let label = p.label()?;
    let block = p.block(label)?;
    p.eat_sym(";");
    if p.i < p.tokens.len() {
        return Err(p.syntax_error());
    }
    Ok(block)
}

/// The statements of an SQL function's body, as text (split at the
/// semicolons outside literals, comments and parentheses).
pub fn split_statements(body: &str) -> PgResult<Vec<String>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut depth = 0i32;
    for t in lex(body)? {
        match &t.kind {
            Kind::Sym(s) if s == ";" && depth == 0 => {
                if let Some(st) = start.take() {
                    out.push(body[st..t.start].to_string());
                }
                continue;
            }
            Kind::Sym(s) if s == "(" => depth += 1,
            Kind::Sym(s) if s == ")" => depth -= 1,
            _ => {}
        }
        start.get_or_insert(t.start);
    }
    if let Some(st) = start {
        out.push(body[st..].trim_end().to_string());
    }
    Ok(out)
}

fn lex(src: &str) -> PgResult<Vec<Token>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let unterminated = |what: &str| {
        PgError::new(
            SqlState::SyntaxError,
            format!("unterminated {what} in function body"),
        )
    };
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            if depth != 0 {
                return Err(unterminated("/* comment"));
            }
            continue;
        }
        let kind;
        if c == b'\'' || ((c == b'e' || c == b'E') && b.get(i + 1) == Some(&b'\'')) {
            let escapes = c != b'\'';
            i += if escapes { 2 } else { 1 };
            let text;
            (text, i) =
                quoted(src, i, b'\'', escapes).ok_or_else(|| unterminated("quoted string"))?;
            kind = Kind::Str(text);
        } else if c == b'"' {
            let text;
            (text, i) =
                quoted(src, i + 1, b'"', false).ok_or_else(|| unterminated("quoted identifier"))?;
            kind = Kind::Quoted(text);
        } else if c == b'$' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            kind = Kind::Param;
        } else if c == b'$' {
            // A dollar-quoted string: $tag$ ... $tag$.
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if b.get(j) != Some(&b'$') {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "syntax error at or near \"$\"",
                ));
            }
            let tag = &src[i..=j];
            let Some(close) = src[j + 1..].find(tag) else {
                return Err(unterminated("dollar-quoted string"));
            };
            kind = Kind::Str(src[j + 1..j + 1 + close].to_string());
            i = j + 1 + close + tag.len();
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            kind = Kind::Word(src[start..i].to_lowercase());
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                // `1..10`: the range's dots end the number.
                if b[i] == b'.' && b.get(i + 1) == Some(&b'.') {
                    break;
                }
                i += 1;
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                i += 1;
                if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                    i += 1;
                }
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            kind = Kind::Number;
        } else {
            let two = src.get(i..i + 2).unwrap_or("");
            let sym = match two {
                ":=" | ".." | "<<" | ">>" | "::" | "<=" | ">=" | "<>" | "!=" | "=>" => two,
                _ => &src[i..i + 1],
            };
            i += sym.len();
            kind = Kind::Sym(sym.to_string());
        }
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    Ok(out)
}

/// The text of a literal quoted by `quote` whose body starts at byte `i`
/// (a doubled quote is one; with `escapes`, a backslash takes the next
/// character as it is), and the offset after its closing quote; None if
/// it does not end.
fn quoted(src: &str, mut i: usize, quote: u8, escapes: bool) -> Option<(String, usize)> {
    let b = src.as_bytes();
    let mut text = String::new();
    loop {
        let ch = *b.get(i)?;
        if ch == quote {
            if b.get(i + 1) == Some(&quote) {
                text.push(quote as char);
                i += 2;
                continue;
            }
            return Some((text, i + 1));
        }
        if escapes && ch == b'\\' && i + 1 < b.len() {
            i += 1;
        }
        let len = utf8_len(b[i]);
        text.push_str(&src[i..i + len]);
        i += len;
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    i: usize,
}

impl Parser<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.src[..offset.min(self.src.len())]
            .bytes()
            .filter(|&c| c == b'\n')
            .count()
            + 1
    }

    fn line(&self) -> usize {
        let offset = self.tokens.get(self.i).map_or(self.src.len(), |t| t.start);
        self.line_of(offset)
    }

    fn syntax_error(&self) -> PgError {
        match self.tokens.get(self.i) {
            Some(t) => PgError::new(
                SqlState::SyntaxError,
                format!("syntax error at or near \"{}\"", &self.src[t.start..t.end]),
            ),
            None => PgError::new(SqlState::SyntaxError, "syntax error at end of input"),
        }
    }

    fn peek_word(&self) -> Option<&str> {
        self.word_at(self.i)
    }

    fn word_at(&self, i: usize) -> Option<&str> {
        match self.tokens.get(i).map(|t| &t.kind) {
            Some(Kind::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn is_word(&self, w: &str) -> bool {
        self.peek_word() == Some(w)
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.tokens.get(self.i).map(|t| &t.kind), Some(Kind::Sym(x)) if x == s)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect_word(&mut self, w: &str) -> PgResult<()> {
        if self.eat_word(w) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn expect_sym(&mut self, s: &str) -> PgResult<()> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    /// An identifier (a word or a quoted identifier).
    fn ident(&mut self) -> PgResult<String> {
        match self.tokens.get(self.i).map(|t| t.kind.clone()) {
            Some(Kind::Word(w)) | Some(Kind::Quoted(w)) => {
                self.i += 1;
                Ok(w)
            }
            _ => Err(self.syntax_error()),
        }
    }

    /// `<<label>>` if one stands here.
    fn label(&mut self) -> PgResult<Option<String>> {
        if !self.eat_sym("<<") {
            return Ok(None);
        }
        let l = self.ident()?;
        self.expect_sym(">>")?;
        Ok(Some(l))
    }

    /// The SQL text from here up to (not including) the first token at
    /// parenthesis depth 0 that `stop` accepts; None at the end.
    fn text_until(&mut self, stop: &dyn Fn(&Kind) -> bool) -> PgResult<Expr> {
        let first = self.i;
        let mut depth = 0i32;
        let mut case_depth = 0i32;
        while let Some(t) = self.tokens.get(self.i) {
            if depth == 0 && case_depth == 0 && stop(&t.kind) {
                break;
            }
            match &t.kind {
                Kind::Sym(s) if s == "(" || s == "[" => depth += 1,
                Kind::Sym(s) if s == ")" || s == "]" => depth -= 1,
                // An SQL CASE expression holds WHEN/THEN/ELSE/END words.
                Kind::Word(w) if w == "case" => case_depth += 1,
                Kind::Word(w) if w == "end" && case_depth > 0 => case_depth -= 1,
                Kind::Sym(s) if s == ";" => return Err(self.syntax_error()),
                _ => {}
            }
            self.i += 1;
        }
        if self.i >= self.tokens.len() {
            return Err(PgError::new(
                SqlState::SyntaxError,
                "syntax error at end of input",
            ));
        }
        if self.i == first {
            return Err(self.syntax_error());
        }
        let start = self.tokens[first].start;
        let end = self.tokens[self.i - 1].end;
        Ok(Expr {
            text: self.src[start..end].to_string(),
            line: self.line_of(start),
        })
    }

    fn until_words(&mut self, words: &[&str]) -> PgResult<Expr> {
        self.text_until(&|k| matches!(k, Kind::Word(w) if words.contains(&w.as_str())))
    }

    fn until_semi(&mut self) -> PgResult<Expr> {
        self.text_until(&|k| matches!(k, Kind::Sym(s) if s == ";"))
    }

    /// Comma-separated expressions up to `;` (or one of `words`).
    fn expr_list(&mut self, words: &[&str]) -> PgResult<Vec<Expr>> {
        let mut out = Vec::new();
        loop {
            out.push(self.text_until(&|k| match k {
                Kind::Sym(s) => s == ";" || s == ",",
                Kind::Word(w) => words.contains(&w.as_str()),
                _ => false,
            })?);
            if !self.eat_sym(",") {
                return Ok(out);
            }
        }
    }

    fn block(&mut self, label: Option<String>) -> PgResult<Block> {
        let mut decls = Vec::new();
        if self.eat_word("declare") {
            while !self.is_word("begin") {
                if self.eat_word("declare") {
                    continue;
                }
                decls.push(self.decl()?);
            }
        }
        self.expect_word("begin")?;
        let body = self.stmts(&["end", "exception"])?;
        let mut handlers = Vec::new();
        if self.eat_word("exception") {
            while self.eat_word("when") {
                let mut conditions = Vec::new();
                loop {
                    if self.eat_word("sqlstate") {
                        match self.tokens.get(self.i).map(|t| t.kind.clone()) {
                            Some(Kind::Str(s)) => {
                                self.i += 1;
                                conditions.push(format!("sqlstate:{s}"));
                            }
                            _ => return Err(self.syntax_error()),
                        }
                    } else {
                        conditions.push(self.ident()?);
                    }
                    if !self.eat_word("or") {
                        break;
                    }
                }
                self.expect_word("then")?;
                let body = self.stmts(&["when", "end"])?;
                handlers.push(Handler { conditions, body });
            }
        }
        self.expect_word("end")?;
        if let Some(l) = &label
            && let Some(w) = self.peek_word()
            && w == l
        {
            self.i += 1;
        }
        Ok(Block {
            label,
            decls,
            body,
            handlers,
        })
    }

    fn decl(&mut self) -> PgResult<Decl> {
        let line = self.line();
        let name = self.ident()?;
        if self.eat_word("alias") {
            self.expect_word("for")?;
            let t = self
                .tokens
                .get(self.i)
                .cloned()
                .ok_or_else(|| self.syntax_error())?;
            self.i += 1;
            self.expect_sym(";")?;
            return Ok(Decl {
                name,
                type_text: String::new(),
                alias_for: Some(self.src[t.start..t.end].to_lowercase()),
                constant: false,
                not_null: false,
                default: None,
                cursor: None,
                line,
            });
        }
        let constant = self.eat_word("constant");
        if self.is_word("cursor")
            || (self.is_word("no") && self.word_at(self.i + 1) == Some("scroll"))
            || self.is_word("scroll")
        {
            self.eat_word("no");
            self.eat_word("scroll");
            self.expect_word("cursor")?;
            let mut params = Vec::new();
            if self.eat_sym("(") {
                loop {
                    let p = self.ident()?;
                    let t =
                        self.text_until(&|k| matches!(k, Kind::Sym(s) if s == "," || s == ")"))?;
                    params.push((p, t.text));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                self.expect_sym(")")?;
            }
            if !self.eat_word("for") {
                self.expect_word("is")?;
            }
            let query = self.until_semi()?;
            self.expect_sym(";")?;
            return Ok(Decl {
                name,
                type_text: "refcursor".into(),
                alias_for: None,
                constant,
                not_null: false,
                default: None,
                cursor: Some(CursorDecl { params, query }),
                line,
            });
        }
        let type_expr = self.text_until(&|k| match k {
            Kind::Sym(s) => s == ";" || s == ":=" || s == "=",
            Kind::Word(w) => matches!(w.as_str(), "not" | "default" | "collate"),
            _ => false,
        })?;
        if self.eat_word("collate") {
            self.ident()?;
        }
        let mut not_null = false;
        if self.eat_word("not") {
            self.expect_word("null")?;
            not_null = true;
        }
        let default = if self.eat_word("default") || self.eat_sym(":=") || self.eat_sym("=") {
            Some(self.until_semi()?)
        } else {
            None
        };
        self.expect_sym(";")?;
        Ok(Decl {
            name,
            type_text: type_expr.text,
            alias_for: None,
            constant,
            not_null,
            default,
            cursor: None,
            line,
        })
    }

    /// Statements up to one of the words `ends` (not consumed).
    fn stmts(&mut self, ends: &[&str]) -> PgResult<Vec<Stmt>> {
        let mut out = Vec::new();
        loop {
            match self.peek_word() {
                Some(w) if ends.contains(&w) => return Ok(out),
                None if self.i >= self.tokens.len() => {
                    return Err(PgError::new(
                        SqlState::SyntaxError,
                        "syntax error at end of input",
                    ));
                }
                _ => {}
            }
            out.push(self.stmt()?);
        }
    }

    fn stmt(&mut self) -> PgResult<Stmt> {
        let line = self.line();
        let label = self.label()?;
        let kind = match self.peek_word() {
            Some("declare" | "begin") => {
                let b = self.block(label)?;
                self.expect_sym(";")?;
                StmtKind::Block(b)
            }
            Some("loop") => {
                self.i += 1;
                let body = self.loop_body(&label)?;
                StmtKind::Loop { label, body }
            }
            Some("while") => {
                self.i += 1;
                let cond = self.until_words(&["loop"])?;
                self.expect_word("loop")?;
                let body = self.loop_body(&label)?;
                StmtKind::While { label, cond, body }
            }
            Some("for") => {
                self.i += 1;
                let kind = self.for_kind()?;
                let body = self.loop_body(&label)?;
                StmtKind::For { label, kind, body }
            }
            Some("foreach") => {
                self.i += 1;
                let target = self.target()?;
                let slice = if self.eat_word("slice") {
                    let t = self.until_words(&["in"])?;
                    t.text.trim().parse().map_err(|_| self.syntax_error())?
                } else {
                    0
                };
                self.expect_word("in")?;
                self.expect_word("array")?;
                let array = self.until_words(&["loop"])?;
                self.expect_word("loop")?;
                let body = self.loop_body(&label)?;
                StmtKind::For {
                    label,
                    kind: ForKind::Array {
                        target,
                        slice,
                        array,
                    },
                    body,
                }
            }
            _ if label.is_some() => return Err(self.syntax_error()),
            Some("if") => {
                self.i += 1;
                self.if_stmt()?
            }
            Some("case") => {
                self.i += 1;
                self.case_stmt()?
            }
            Some(w @ ("exit" | "continue")) => {
                let is_continue = w == "continue";
                self.i += 1;
                let label = match self.peek_word() {
                    Some("when") | None => None,
                    Some(_) => Some(self.ident()?),
                };
                let when = if self.eat_word("when") {
                    Some(self.until_semi()?)
                } else {
                    None
                };
                self.expect_sym(";")?;
                StmtKind::Exit {
                    is_continue,
                    label,
                    when,
                }
            }
            Some("return") => {
                self.i += 1;
                if self.eat_word("next") {
                    let e = if self.is_sym(";") {
                        None
                    } else {
                        Some(self.until_semi()?)
                    };
                    self.expect_sym(";")?;
                    StmtKind::ReturnNext(e)
                } else if self.eat_word("query") {
                    let dynamic = self.eat_word("execute");
                    let query = if dynamic {
                        self.text_until(&|k| match k {
                            Kind::Sym(s) => s == ";",
                            Kind::Word(w) => w == "using",
                            _ => false,
                        })?
                    } else {
                        self.until_semi()?
                    };
                    let using = if self.eat_word("using") {
                        self.expr_list(&[])?
                    } else {
                        Vec::new()
                    };
                    self.expect_sym(";")?;
                    StmtKind::ReturnQuery {
                        query,
                        dynamic,
                        using,
                    }
                } else {
                    let e = if self.is_sym(";") {
                        None
                    } else {
                        Some(self.until_semi()?)
                    };
                    self.expect_sym(";")?;
                    StmtKind::Return(e)
                }
            }
            Some("raise") => {
                self.i += 1;
                self.raise()?
            }
            Some("assert") => {
                self.i += 1;
                let mut list = self.expr_list(&[])?;
                self.expect_sym(";")?;
                let message = (list.len() > 1).then(|| list.remove(1));
                StmtKind::Assert {
                    cond: list.remove(0),
                    message,
                }
            }
            Some("perform") => {
                self.i += 1;
                let e = self.until_semi()?;
                self.expect_sym(";")?;
                StmtKind::Perform(e)
            }
            Some("execute") => {
                self.i += 1;
                let query = self.text_until(&|k| match k {
                    Kind::Sym(s) => s == ";",
                    Kind::Word(w) => w == "using" || w == "into",
                    _ => false,
                })?;
                let mut into = Vec::new();
                let mut strict = false;
                let mut using = Vec::new();
                loop {
                    if self.eat_word("into") {
                        strict = self.eat_word("strict");
                        into = self.targets()?;
                    } else if self.eat_word("using") {
                        using = self.expr_list(&["into"])?;
                    } else {
                        break;
                    }
                }
                self.expect_sym(";")?;
                StmtKind::Execute {
                    query,
                    into,
                    strict,
                    using,
                }
            }
            Some("get") => {
                self.i += 1;
                let stacked = self.eat_word("stacked");
                self.eat_word("current");
                self.expect_word("diagnostics")?;
                let mut items = Vec::new();
                loop {
                    let t = self.target()?;
                    if !self.eat_sym("=") {
                        self.expect_sym(":=")?;
                    }
                    let item = self.ident()?;
                    items.push((t, item));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                self.expect_sym(";")?;
                StmtKind::GetDiagnostics { stacked, items }
            }
            Some("null") if matches!(self.tokens.get(self.i + 1).map(|t| &t.kind), Some(Kind::Sym(s)) if s == ";") =>
            {
                self.i += 2;
                StmtKind::Null
            }
            Some("open") => {
                self.i += 1;
                let cursor = self.ident()?;
                let mut args = Vec::new();
                let mut query = None;
                let mut dynamic = false;
                let mut using = Vec::new();
                if self.eat_sym("(") {
                    loop {
                        // `name := value` or `name => value`, or positional.
                        let named = matches!(self.tokens.get(self.i + 1).map(|t| &t.kind), Some(Kind::Sym(s)) if s == ":=" || s == "=>");
                        let n = if named {
                            let n = self.ident()?;
                            self.i += 1;
                            Some(n)
                        } else {
                            None
                        };
                        let e = self
                            .text_until(&|k| matches!(k, Kind::Sym(s) if s == "," || s == ")"))?;
                        args.push((n, e));
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.expect_sym(")")?;
                } else {
                    self.eat_word("no");
                    self.eat_word("scroll");
                    if self.eat_word("for") {
                        dynamic = self.eat_word("execute");
                        let e = self.text_until(&|k| match k {
                            Kind::Sym(s) => s == ";",
                            Kind::Word(w) => dynamic && w == "using",
                            _ => false,
                        })?;
                        if self.eat_word("using") {
                            using = self.expr_list(&[])?;
                        }
                        query = Some(e);
                    }
                }
                self.expect_sym(";")?;
                StmtKind::Open {
                    cursor,
                    query,
                    dynamic,
                    using,
                    args,
                }
            }
            Some(w @ ("fetch" | "move")) => {
                let is_move = w == "move";
                self.i += 1;
                let direction = match self.peek_word() {
                    Some("next" | "forward") => {
                        self.i += 1;
                        Direction::Next
                    }
                    Some("prior" | "backward") => {
                        self.i += 1;
                        Direction::Prior
                    }
                    Some("first") => {
                        self.i += 1;
                        Direction::First
                    }
                    Some("last") => {
                        self.i += 1;
                        Direction::Last
                    }
                    Some(d @ ("absolute" | "relative")) => {
                        let absolute = d == "absolute";
                        self.i += 1;
                        let e = self.until_words(&["from", "in"])?;
                        if absolute {
                            Direction::Absolute(e)
                        } else {
                            Direction::Relative(e)
                        }
                    }
                    _ => Direction::Next,
                };
                if !self.eat_word("from") {
                    self.eat_word("in");
                }
                let cursor = self.ident()?;
                let into = if !is_move && self.eat_word("into") {
                    self.targets()?
                } else {
                    Vec::new()
                };
                self.expect_sym(";")?;
                StmtKind::Fetch {
                    cursor,
                    direction,
                    into,
                    is_move,
                }
            }
            Some("close") => {
                self.i += 1;
                let cursor = self.ident()?;
                self.expect_sym(";")?;
                StmtKind::Close(cursor)
            }
            _ => {
                if let Some(assign) = self.try_assignment()? {
                    assign
                } else {
                    self.sql_stmt()?
                }
            }
        };
        Ok(Stmt { kind, line })
    }

    fn loop_body(&mut self, label: &Option<String>) -> PgResult<Vec<Stmt>> {
        let body = self.stmts(&["end"])?;
        self.expect_word("end")?;
        self.expect_word("loop")?;
        if let Some(l) = label
            && self.peek_word() == Some(l.as_str())
        {
            self.i += 1;
        }
        self.expect_sym(";")?;
        Ok(body)
    }

    fn if_stmt(&mut self) -> PgResult<StmtKind> {
        let mut branches = Vec::new();
        let mut otherwise = None;
        let cond = self.until_words(&["then"])?;
        self.expect_word("then")?;
        let body = self.stmts(&["elsif", "elseif", "else", "end"])?;
        branches.push((cond, body));
        loop {
            if self.eat_word("elsif") || self.eat_word("elseif") {
                let cond = self.until_words(&["then"])?;
                self.expect_word("then")?;
                let body = self.stmts(&["elsif", "elseif", "else", "end"])?;
                branches.push((cond, body));
            } else if self.eat_word("else") {
                otherwise = Some(self.stmts(&["end"])?);
            } else {
                break;
            }
        }
        self.expect_word("end")?;
        self.expect_word("if")?;
        self.expect_sym(";")?;
        Ok(StmtKind::If {
            branches,
            otherwise,
        })
    }

    fn case_stmt(&mut self) -> PgResult<StmtKind> {
        let subject = if self.is_word("when") {
            None
        } else {
            Some(self.until_words(&["when"])?)
        };
        let mut whens = Vec::new();
        let mut otherwise = None;
        while self.eat_word("when") {
            let e = self.until_words(&["then"])?;
            self.expect_word("then")?;
            let body = self.stmts(&["when", "else", "end"])?;
            whens.push((e, body));
        }
        if self.eat_word("else") {
            otherwise = Some(self.stmts(&["end"])?);
        }
        self.expect_word("end")?;
        self.expect_word("case")?;
        self.expect_sym(";")?;
        Ok(StmtKind::Case {
            subject,
            whens,
            otherwise,
        })
    }

    fn for_kind(&mut self) -> PgResult<ForKind> {
        let targets = self.targets()?;
        self.expect_word("in")?;
        if self.eat_word("execute") {
            let query =
                self.text_until(&|k| matches!(k, Kind::Word(w) if w == "loop" || w == "using"))?;
            let using = if self.eat_word("using") {
                self.expr_list(&["loop"])?
            } else {
                Vec::new()
            };
            self.expect_word("loop")?;
            return Ok(ForKind::Query {
                targets,
                query,
                dynamic: true,
                using,
            });
        }
        let reverse = self.eat_word("reverse");
        // An integer loop has `..` at depth 0 before LOOP.
        let save = self.i;
        let first = self.text_until(&|k| match k {
            Kind::Sym(s) => s == "..",
            Kind::Word(w) => w == "loop",
            _ => false,
        })?;
        if self.eat_sym("..") {
            let [target] = targets.as_slice() else {
                return Err(self.syntax_error());
            };
            let high = self.until_words(&["by", "loop"])?;
            let step = if self.eat_word("by") {
                Some(self.until_words(&["loop"])?)
            } else {
                None
            };
            self.expect_word("loop")?;
            return Ok(ForKind::Integer {
                var: target.parts.join("."),
                reverse,
                low: first,
                high,
                step,
            });
        }
        if reverse {
            self.i = save;
            return Err(self.syntax_error());
        }
        self.expect_word("loop")?;
        Ok(ForKind::Query {
            targets,
            query: first,
            dynamic: false,
            using: Vec::new(),
        })
    }

    fn target(&mut self) -> PgResult<Target> {
        let mut parts = vec![self.ident()?];
        while self.eat_sym(".") {
            parts.push(self.ident()?);
        }
        Ok(Target { parts })
    }

    fn targets(&mut self) -> PgResult<Vec<Target>> {
        let mut out = vec![self.target()?];
        while self.eat_sym(",") {
            out.push(self.target()?);
        }
        Ok(out)
    }

    /// `target := expr;` (or `=`), if the statement is one.
    fn try_assignment(&mut self) -> PgResult<Option<StmtKind>> {
        let save = self.i;
        let Ok(target) = self.target() else {
            self.i = save;
            return Ok(None);
        };
        if self.is_sym("[") {
            return Err(PgError::feature_not_supported(
                "assignment to array elements in PL/pgSQL",
            ));
        }
        if !(self.eat_sym(":=") || self.eat_sym("=")) {
            self.i = save;
            return Ok(None);
        }
        let e = self.until_semi()?;
        self.expect_sym(";")?;
        Ok(Some(StmtKind::Assign(target, e)))
    }

    /// Any other SQL statement, with its `INTO [STRICT] targets` cut out.
    fn sql_stmt(&mut self) -> PgResult<StmtKind> {
        let first = self.i;
        let insert = self.is_word("insert") || self.is_word("merge");
        let mut depth = 0i32;
        let mut into: Option<(usize, usize, bool, Vec<Target>)> = None;
        let mut seen_into = false;
        while let Some(t) = self.tokens.get(self.i) {
            match &t.kind {
                Kind::Sym(s) if s == ";" && depth == 0 => break,
                Kind::Sym(s) if s == "(" || s == "[" => depth += 1,
                Kind::Sym(s) if s == ")" || s == "]" => depth -= 1,
                Kind::Word(w) if w == "into" && depth == 0 && into.is_none() => {
                    if insert && !seen_into {
                        seen_into = true;
                    } else {
                        let cut_start = t.start;
                        self.i += 1;
                        let strict = self.eat_word("strict");
                        let targets = self.targets()?;
                        let cut_end = self.tokens.get(self.i).map_or(self.src.len(), |t| t.start);
                        into = Some((cut_start, cut_end, strict, targets));
                        continue;
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
        if self.i >= self.tokens.len() {
            return Err(PgError::new(
                SqlState::SyntaxError,
                "syntax error at end of input",
            ));
        }
        let start = self.tokens[first].start;
        let end = self.tokens[self.i - 1].end;
        self.i += 1;
        let (text, strict, targets) = match into {
            Some((a, b, strict, targets)) => (
                format!("{} {}", &self.src[start..a], &self.src[b..end.max(b)]),
                strict,
                targets,
            ),
            None => (self.src[start..end].to_string(), false, Vec::new()),
        };
        Ok(StmtKind::Sql {
            sql: Expr {
                text: text.trim().to_string(),
                line: self.line_of(start),
            },
            into: targets,
            strict,
        })
    }

    fn raise(&mut self) -> PgResult<StmtKind> {
        let level = match self.peek_word() {
            Some(l @ ("debug" | "log" | "info" | "notice" | "warning" | "exception")) => {
                let l = l.to_string();
                self.i += 1;
                l
            }
            _ => "exception".to_string(),
        };
        let arg = match self.tokens.get(self.i).map(|t| t.kind.clone()) {
            Some(Kind::Str(fmt)) => {
                self.i += 1;
                let mut args = Vec::new();
                if self.eat_sym(",") {
                    args = self.expr_list(&["using"])?;
                }
                RaiseArg::Format(fmt, args)
            }
            Some(Kind::Word(w)) if w == "sqlstate" => {
                self.i += 1;
                match self.tokens.get(self.i).map(|t| t.kind.clone()) {
                    Some(Kind::Str(s)) => {
                        self.i += 1;
                        RaiseArg::Condition(format!("sqlstate:{s}"))
                    }
                    _ => return Err(self.syntax_error()),
                }
            }
            Some(Kind::Word(w)) if w != "using" => {
                self.i += 1;
                RaiseArg::Condition(w)
            }
            _ => RaiseArg::None,
        };
        let mut options = Vec::new();
        if self.eat_word("using") {
            loop {
                let name = self.ident()?;
                if !self.eat_sym("=") {
                    self.expect_sym(":=")?;
                }
                let e = self.text_until(&|k| matches!(k, Kind::Sym(s) if s == ";" || s == ","))?;
                options.push((name, e));
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        self.expect_sym(";")?;
        Ok(StmtKind::Raise {
            level,
            arg,
            options,
        })
    }
}
