//! `cargo xtask regress`: PostgreSQL 15's own regression suite (`src/test/regress` of its
//! source), run through psql against our server the way `pg_regress` runs it, scored per
//! file and per statement.
//!
//! Why: the suite is the widest statement of PostgreSQL's behaviour there is, about two
//! hundred files and tens of thousands of statements, each with PostgreSQL's exact output.
//! Our own tests (`tests/slt`) cover what we implement; this measures the distance to the
//! rest, and `tests/regress/passing.txt` keeps the files that already match from slipping
//! back (`--check`).
//!
//! What `pg_regress` does (`pg_regress.c`, `pg_regress_main.c`), and we do the same way:
//!
//! 1. One database `regression` for the whole run, created from `template0`, with
//!    `lc_messages`, `lc_monetary`, `lc_numeric`, `lc_time` 'C', `bytea_output` 'hex' and
//!    `timezone_abbreviations` 'Default' set on it by `ALTER DATABASE ... SET`.
//! 2. The environment: `PGTZ=America/Los_Angeles` (15.18's value; older minor releases used
//!    PST8PDT), `PGDATESTYLE="Postgres, MDY"`, `PGOPTIONS="-c intervalstyle=postgres_verbose"`,
//!    `LC_MESSAGES=C`, `PG_ABS_SRCDIR`, `PG_ABS_BUILDDIR`, `PG_LIBDIR`, `PG_DLSUFFIX`, and
//!    `PGAPPNAME=pg_regress/<test>` while a test runs.
//! 3. Each test is `psql -X -a -q -d regression -v HIDE_TABLEAM=on -v HIDE_TOAST_COMPRESSION=on
//!    < sql/<test>.sql > results/<test>.out 2>&1`. The script comes on stdin, not through
//!    `-f`: with `-f` psql prefixes every error with `psql:<file>:<line>:`, which the
//!    expected files do not have.
//! 4. A test passes when its output equals `expected/<test>.out` or an alternative
//!    `expected/<test>_N.out` (N = 0..9) byte for byte: on Unix pg_regress runs `diff` without
//!    options, so no difference is ignored. (`resultmap` only names files for Cygwin, MinGW
//!    and HP-UX.)
//!
//! Where we differ: tests run one at a time in the order of `parallel_schedule` (pg_regress
//! runs each line's group concurrently); a test that runs longer than the timeout is killed
//! and fails; a server that dies or stops answering is restarted; and where our server
//! lacks something steps 1 and 2 need, the nearest equivalent is used and the report says
//! so (`ALTER DATABASE ... SET` becomes the same settings in `PGOPTIONS`, say).
//!
//! Per-statement score. psql `-a` echoes every input line as it reads it, before running
//! what the line completes, so an output holds the script's own lines in order with the
//! results between them. [`split_blocks`] cuts the script where psql acts (a top-level
//! semicolon, a backslash command), by psql's lexical rules; [`cut_output`] finds each
//! block's echo in an output and gives it everything up to the next block's echo:
//!
//! ```text
//!   sql/x.sql             results/x.out
//!   -- comment            -- comment        <- block 0: its first line's echo
//!   SELECT 1;             SELECT 1;
//!                          ?column?
//!   SELECT 2;             ----------
//!                                 1
//!                         (1 row)
//!                                           <- psql's blank line after a table (psql
//!                                              skips empty script lines unechoed)
//!                         SELECT 2;         <- block 1: the echo of `SELECT 2;`
//! ```
//!
//! Block i of the output is compared with block i of the expected file that matches the
//! most blocks. A block whose echo cannot be found (psql died, the script stopped early, or
//! psql read lines differently, as when the server refuses a COPY and its data lines are
//! read as SQL) counts as not matching; the search goes on with the next block.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Read as _;
use std::net::TcpListener;
use std::ops::Range;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The PostgreSQL 15 installation whose psql runs the tests (and whose server `--pg15` uses).
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// `PG_LIBDIR`: where the tests look for `regress.so` (not installed by Debian's packages,
/// so the few tests that load it fail on PostgreSQL too, and always on ours).
const PG_LIBDIR: &str = "/usr/lib/postgresql/15/lib";
/// The database every test runs in, as pg_regress names it.
const DATABASE: &str = "regression";
/// pg_regress's settings for the test database (`create_database` in pg_regress.c).
const DATABASE_SETTINGS: &[(&str, &str)] = &[
    ("lc_messages", "C"),
    ("lc_monetary", "C"),
    ("lc_numeric", "C"),
    ("lc_time", "C"),
    ("bytea_output", "hex"),
    ("timezone_abbreviations", "Default"),
];
/// pg_regress's `PGTZ` in 15.18.
const PGTZ: &str = "America/Los_Angeles";
/// pg_regress's `PGOPTIONS` (it appends this to any the caller has).
const PGOPTIONS: &str = "-c intervalstyle=postgres_verbose";
/// Variables that would point psql elsewhere, change how it connects or translate its
/// messages; pg_regress clears the same ones (`initialize_environment`).
const PG_ENV_CLEARED: &[&str] = &[
    "PGCHANNELBINDING",
    "PGCLIENTENCODING",
    "PGCONNECT_TIMEOUT",
    "PGDATA",
    "PGDATABASE",
    "PGGSSENCMODE",
    "PGGSSLIB",
    "PGHOSTADDR",
    "PGKRBSRVNAME",
    "PGPASSFILE",
    "PGPASSWORD",
    "PGREQUIREPEER",
    "PGREQUIRESSL",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSSLCERT",
    "PGSSLCRL",
    "PGSSLCRLDIR",
    "PGSSLKEY",
    "PGSSLMAXPROTOCOLVERSION",
    "PGSSLMINPROTOCOLVERSION",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLSNI",
    "PGTARGETSESSIONATTRS",
    "LANGUAGE",
    "LC_ALL",
];
/// The test every other one builds on (it creates the shared tables); `--files` runs it
/// first even when it is not selected.
const SETUP_TEST: &str = "test_setup";

/// Command-line options of `cargo xtask regress`.
#[derive(Debug)]
pub struct Options {
    /// PostgreSQL's source tree (default: see [`find_source`]).
    pub source: Option<PathBuf>,
    /// Fail unless every test in `tests/regress/passing.txt` is exact.
    pub check: bool,
    /// Rewrite `tests/regress/passing.txt` from this run.
    pub update: bool,
    /// Only the tests whose name contains this.
    pub files: Option<String>,
    /// Run against a throwaway PostgreSQL 15 instead of our server.
    pub pg15: bool,
    /// Use the release binaries already built.
    pub no_build: bool,
    /// How long one test file may run before psql is killed and the file fails.
    pub timeout: Duration,
}

// ---------------------------------------------------------------------------------------
// Splitting a script into blocks, psql's way
// ---------------------------------------------------------------------------------------

/// The part of a test script that ends where psql acts (runs a statement or a backslash
/// command), with the comments and blank lines before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The script lines it spans (0-based), including COPY data lines after its statement.
    pub lines: Range<usize>,
    /// The lines psql echoes (in order, consecutive in its output), where the block begins
    /// in an output; empty only when nothing before it was echoed either.
    pub echo: Vec<usize>,
}

/// Where psql's lexer is between characters (`fe_utils/psqlscan.l`, reduced to what
/// decides where a statement ends).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Lex {
    Normal,
    /// `/* ... */`, which nests: `depth` is the number of enclosing comments.
    BlockComment {
        depth: u32,
    },
    /// A single-quoted literal; `escapes` for E'...' (and '...' with
    /// standard_conforming_strings off), where a backslash escapes the next character.
    Quoted {
        escapes: bool,
    },
    /// A dollar-quoted literal ended by `tag` (`$$` or `$name$`).
    Dollar {
        tag: Vec<u8>,
    },
    /// A double-quoted identifier.
    Identifier,
}

/// The tokens of the current statement that [`Splitter::statement_end`] looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// An identifier or keyword, lower-cased.
    Word(String),
    /// A single-quoted literal's text, as written.
    Literal(String),
    /// `\;`: psql sends the statements on both sides together, as one query string.
    Separator,
    Other(u8),
}

/// psql's scanner state carried from line to line.
struct Splitter {
    lex: Lex,
    paren_depth: u32,
    /// Depth of BEGIN ... END in a `CREATE [OR REPLACE] FUNCTION|PROCEDURE` body
    /// (BEGIN ATOMIC), where psql does not end the statement at a semicolon.
    begin_depth: u32,
    /// First letters of the statement's first four identifiers when they are one of
    /// create/or/replace/function/procedure, as psql records them to spot those bodies.
    identifiers: [u8; 4],
    identifier_count: usize,
    /// standard_conforming_strings as psql believes it (it follows the server's setting).
    std_strings: bool,
    /// Whether psql echoes input lines (the ECHO variable is `all`).
    echo: bool,
    tokens: Vec<Token>,
    /// The statement being read has more than white space and `--` comments.
    has_content: bool,
    /// COPY ... FROM STDIN statements sent whose data (lines up to `\.`) follows.
    copy_pending: usize,
}

impl Splitter {
    fn new() -> Splitter {
        Splitter {
            lex: Lex::Normal,
            paren_depth: 0,
            begin_depth: 0,
            identifiers: [0; 4],
            identifier_count: 0,
            std_strings: true,
            echo: true,
            tokens: Vec::new(),
            has_content: false,
            copy_pending: 0,
        }
    }

    /// Scans one line (without its newline); returns whether psql acts on it, that is
    /// whether a block ends here.
    fn scan_line(&mut self, line: &[u8]) -> bool {
        let mut acts = false;
        // Where the text of the literal being read starts on this line (a literal that
        // goes on from the line before: at 0).
        let mut literal_start = 0;
        let mut i = 0;
        while i < line.len() {
            let c = line[i];
            let next = line.get(i + 1).copied();
            match &mut self.lex {
                Lex::BlockComment { depth } => {
                    if c == b'/' && next == Some(b'*') {
                        *depth += 1;
                        i += 2;
                    } else if c == b'*' && next == Some(b'/') {
                        if *depth == 0 {
                            self.lex = Lex::Normal;
                        } else {
                            *depth -= 1;
                        }
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                Lex::Quoted { escapes } => {
                    if c == b'\\' && *escapes {
                        // Skips the escaped character; at the end of the line that is the
                        // newline, and the literal goes on on the next line.
                        i += 2;
                    } else if c == b'\'' && next == Some(b'\'') {
                        i += 2;
                    } else if c == b'\'' {
                        let text = String::from_utf8_lossy(&line[literal_start..i]).into_owned();
                        self.tokens.push(Token::Literal(text));
                        self.lex = Lex::Normal;
                        i += 1;
                    } else {
                        i += 1;
                    }
                }
                Lex::Dollar { tag } => {
                    if line[i..].starts_with(tag) {
                        i += tag.len();
                        self.lex = Lex::Normal;
                    } else {
                        i += 1;
                    }
                }
                Lex::Identifier => {
                    if c == b'"' && next == Some(b'"') {
                        i += 2;
                    } else {
                        if c == b'"' {
                            self.lex = Lex::Normal;
                        }
                        i += 1;
                    }
                }
                Lex::Normal => {
                    if c.is_ascii_whitespace() {
                        i += 1;
                        continue;
                    }
                    if c == b'-' && next == Some(b'-') {
                        // A comment to the end of the line.
                        break;
                    }
                    if c == b'/' && next == Some(b'*') {
                        self.lex = Lex::BlockComment { depth: 0 };
                        i += 2;
                        continue;
                    }
                    if c == b'\\' {
                        if next == Some(b';') || next == Some(b':') {
                            // `\;` and `\:` put the character into the query without
                            // their usual meaning: no end of statement here.
                            if next == Some(b';') {
                                self.identifier_count = 0;
                                self.tokens.push(Token::Separator);
                            }
                            self.has_content = true;
                            i += 2;
                            continue;
                        }
                        // A backslash command takes the rest of the line.
                        self.meta_command(&line[i + 1..]);
                        acts = true;
                        break;
                    }
                    self.has_content = true;
                    match c {
                        b'\'' => {
                            self.lex = Lex::Quoted {
                                escapes: !self.std_strings,
                            };
                            i += 1;
                            literal_start = i;
                        }
                        b'"' => {
                            self.lex = Lex::Identifier;
                            i += 1;
                        }
                        b'$' => {
                            if next.is_some_and(|n| n.is_ascii_digit()) {
                                // A parameter, $1.
                                i += 1;
                                while i < line.len() && is_ident_cont(line[i]) {
                                    i += 1;
                                }
                            } else if let Some(len) = dollar_tag_len(&line[i..]) {
                                self.lex = Lex::Dollar {
                                    tag: line[i..i + len].to_vec(),
                                };
                                i += len;
                            } else {
                                self.tokens.push(Token::Other(c));
                                i += 1;
                            }
                        }
                        b'(' => {
                            self.paren_depth += 1;
                            self.tokens.push(Token::Other(c));
                            i += 1;
                        }
                        b')' => {
                            self.paren_depth = self.paren_depth.saturating_sub(1);
                            self.tokens.push(Token::Other(c));
                            i += 1;
                        }
                        b';' => {
                            i += 1;
                            if self.paren_depth == 0 && self.begin_depth == 0 {
                                self.statement_end();
                                acts = true;
                            } else {
                                self.tokens.push(Token::Other(c));
                            }
                        }
                        _ if c.is_ascii_digit() => {
                            // A number, possibly with junk after it (`1e5`, `123abc`):
                            // nothing in it is an identifier to psql.
                            while i < line.len() && (is_ident_cont(line[i]) || line[i] == b'.') {
                                i += 1;
                            }
                        }
                        _ if is_ident_start(c) => {
                            let start = i;
                            while i < line.len() && is_ident_cont(line[i]) {
                                i += 1;
                            }
                            i = self.word(&line[start..i], &line[i..], i);
                            if let Lex::Quoted { .. } = self.lex {
                                literal_start = i;
                            }
                        }
                        _ => {
                            self.tokens.push(Token::Other(c));
                            i += 1;
                        }
                    }
                }
            }
        }
        acts
    }

    /// An identifier `word` at line position `end - word.len()`, followed by `rest`;
    /// returns where scanning continues. One-letter prefixes of literals (E'', B'', X'',
    /// N'', U&'' and U&"") are literals, as flex's longest match makes them.
    fn word(&mut self, word: &[u8], rest: &[u8], end: usize) -> usize {
        if word.len() == 1 && rest.first() == Some(&b'\'') {
            let escapes = match word[0].to_ascii_lowercase() {
                b'e' => Some(true),
                b'b' | b'x' => Some(false),
                b'n' => Some(!self.std_strings),
                _ => None,
            };
            if let Some(escapes) = escapes {
                self.lex = Lex::Quoted { escapes };
                return end + 1;
            }
        }
        if word.eq_ignore_ascii_case(b"u") && rest.starts_with(b"&'") {
            self.lex = Lex::Quoted { escapes: false };
            return end + 2;
        }
        if word.eq_ignore_ascii_case(b"u") && rest.starts_with(b"&\"") {
            self.lex = Lex::Identifier;
            return end + 2;
        }
        let lower = String::from_utf8_lossy(word).to_ascii_lowercase();
        // psql's heuristic for BEGIN ATOMIC bodies (the {identifier} rule of psqlscan.l).
        if self.identifier_count == 0 {
            self.identifiers = [0; 4];
        }
        if matches!(
            lower.as_str(),
            "create" | "function" | "procedure" | "or" | "replace"
        ) && self.identifier_count < self.identifiers.len()
        {
            self.identifiers[self.identifier_count] = lower.as_bytes()[0];
        }
        self.identifier_count += 1;
        let ids = self.identifiers;
        let in_routine = ids[0] == b'c'
            && (ids[1] == b'f'
                || ids[1] == b'p'
                || (ids[1] == b'o' && ids[2] == b'r' && (ids[3] == b'f' || ids[3] == b'p')));
        if in_routine && self.paren_depth == 0 {
            match lower.as_str() {
                "begin" => self.begin_depth += 1,
                // CASE ends with END too; it only matters inside a BEGIN.
                "case" if self.begin_depth >= 1 => self.begin_depth += 1,
                "end" => self.begin_depth = self.begin_depth.saturating_sub(1),
                _ => {}
            }
        }
        self.tokens.push(Token::Word(lower));
        end
    }

    /// A backslash command; `text` follows the backslash, to the end of the line.
    fn meta_command(&mut self, text: &[u8]) {
        let text = String::from_utf8_lossy(text);
        let mut args = text.split_whitespace();
        let command = args.next().unwrap_or("");
        let mut args = args.map(|a| a.trim_matches('\''));
        match command {
            // ECHO decides whether the following lines are echoed (only `all` echoes input).
            "set" if args.next() == Some("ECHO") => {
                self.echo = args.next().is_some_and(|v| v.eq_ignore_ascii_case("all"));
            }
            "unset" if args.next() == Some("ECHO") => self.echo = false,
            // \copy ... from stdin reads its data from the script, as COPY FROM STDIN does.
            "copy" => {
                let words: Vec<String> = text
                    .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                    .map(str::to_ascii_lowercase)
                    .collect();
                if words.windows(2).any(|w| w[0] == "from" && w[1] == "stdin") {
                    self.copy_pending += 1;
                }
            }
            // These send the query buffer; psql then resets its scanner.
            "g" | "gx" | "gset" | "gexec" | "gdesc" | "crosstabview" | "watch" => {
                self.statement_end();
                self.paren_depth = 0;
                self.begin_depth = 0;
            }
            // \r empties the query buffer.
            "r" | "reset" => {
                self.tokens.clear();
                self.has_content = false;
                self.identifier_count = 0;
                self.paren_depth = 0;
                self.begin_depth = 0;
            }
            _ => {}
        }
    }

    /// psql sends the statement(s) read so far: note COPY FROM STDIN (or STDOUT, which the
    /// grammar takes as a synonym), whose data lines follow, and changes of
    /// standard_conforming_strings, which change how psql reads literals.
    fn statement_end(&mut self) {
        let tokens = std::mem::take(&mut self.tokens);
        for statement in tokens.split(|t| *t == Token::Separator) {
            let word = |i: usize| match statement.get(i) {
                Some(Token::Word(w)) => Some(w.as_str()),
                _ => None,
            };
            match word(0) {
                // COPY (query) FROM is a syntax error: the server never asks for data.
                Some("copy") if statement.get(1) != Some(&Token::Other(b'(')) => {
                    let from_stdin = statement.windows(2).any(|w| {
                        w[0] == Token::Word("from".into())
                            && (w[1] == Token::Word("stdin".into())
                                || w[1] == Token::Word("stdout".into()))
                    });
                    if from_stdin {
                        self.copy_pending += 1;
                    }
                }
                Some("set") => {
                    let mut i = 1;
                    if matches!(word(i), Some("session" | "local")) {
                        i += 1;
                    }
                    if word(i) == Some("standard_conforming_strings") {
                        i += 1;
                        if word(i) == Some("to") || statement.get(i) == Some(&Token::Other(b'=')) {
                            i += 1;
                        }
                        let value = match statement.get(i) {
                            Some(Token::Word(w)) => Some(w.clone()),
                            Some(Token::Literal(l)) => Some(l.to_ascii_lowercase()),
                            _ => None,
                        };
                        match value.as_deref() {
                            Some("on" | "true" | "yes" | "1" | "default") => {
                                self.std_strings = true
                            }
                            Some("off" | "false" | "no" | "0") => self.std_strings = false,
                            _ => {}
                        }
                    }
                }
                Some("reset") => {
                    if matches!(word(1), Some("standard_conforming_strings" | "all")) {
                        self.std_strings = true;
                    }
                }
                _ => {}
            }
        }
        self.identifier_count = 0;
        self.has_content = false;
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_cont(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == b'$'
}

/// The length of a dollar-quote delimiter (`$$`, `$tag$`) at the start of `s`, if one is.
fn dollar_tag_len(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    if s.get(i).is_some_and(|&c| is_ident_start(c)) {
        i += 1;
        while s
            .get(i)
            .is_some_and(|&c| is_ident_start(c) || c.is_ascii_digit())
        {
            i += 1;
        }
    }
    (s.get(i) == Some(&b'$')).then_some(i + 1)
}

/// The lines of a text, without their newlines (a final newline ends the last line rather
/// than starting an empty one), as psql reads a script and as an output file is written.
fn lines_of(text: &[u8]) -> Vec<&[u8]> {
    if text.is_empty() {
        return Vec::new();
    }
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    text.split(|&b| b == b'\n').collect()
}

/// Cuts a script into the blocks psql's output can be cut into (see the module doc).
///
/// A block ends on the line where psql acts: a semicolon outside literals, comments,
/// parentheses and BEGIN ATOMIC bodies, or a backslash command (one line each). Comments
/// and blank lines go with the statement after them; lines after the last statement go
/// with it. What psql does not echo is in no block's `echo`: empty lines outside literals
/// and comments (psql skips them unread), data lines after COPY ... FROM STDIN up to `\.`
/// (they stay in the COPY's block), and lines read while `\set ECHO` is not `all` (a block
/// made only of those joins the block before it).
pub fn split_blocks(script: &[u8]) -> Vec<Block> {
    let lines = lines_of(script);
    let mut blocks: Vec<Block> = Vec::new();
    let mut sp = Splitter::new();
    let mut start = 0;
    let mut echo = Vec::new();
    // The block being read ended with COPY FROM STDIN and closes after the data.
    let mut awaiting_copy = false;
    let close =
        |blocks: &mut Vec<Block>, lines: Range<usize>, echo: Vec<usize>| match blocks.last_mut() {
            Some(last) if echo.is_empty() => last.lines.end = lines.end,
            _ => blocks.push(Block { lines, echo }),
        };
    for (i, line) in lines.iter().enumerate() {
        if sp.copy_pending > 0 {
            if *line == b"\\." {
                sp.copy_pending -= 1;
            }
            if sp.copy_pending == 0 && awaiting_copy {
                close(&mut blocks, start..i + 1, std::mem::take(&mut echo));
                start = i + 1;
                awaiting_copy = false;
            }
            continue;
        }
        if line.is_empty() && sp.lex == Lex::Normal {
            continue;
        }
        if sp.echo {
            echo.push(i);
        }
        if sp.scan_line(line) {
            if sp.copy_pending > 0 {
                awaiting_copy = true;
            } else {
                close(&mut blocks, start..i + 1, std::mem::take(&mut echo));
                start = i + 1;
            }
        }
    }
    if awaiting_copy {
        // The data ran to the end of the script.
        close(&mut blocks, start..lines.len(), echo);
    } else if start < lines.len() {
        // Lines after the last statement: psql sends an unfinished statement at the end of
        // its input. Comments alone join the last block; their echo follows its results,
        // so it is not where the block begins.
        match blocks.last_mut() {
            Some(last) if !sp.has_content => last.lines.end = lines.len(),
            _ => blocks.push(Block {
                lines: start..lines.len(),
                echo,
            }),
        }
    }
    blocks
}

/// Where each block lies in an output's lines: from its echo to the next block's, or `None`
/// for a block whose echo was not found. The first block also takes whatever precedes its
/// echo, so that output before the first statement counts against it.
pub fn cut_output(
    script_lines: &[&[u8]],
    blocks: &[Block],
    output: &[&[u8]],
) -> Vec<Option<Range<usize>>> {
    let mut starts: Vec<Option<usize>> = Vec::with_capacity(blocks.len());
    let mut cursor = 0;
    for block in blocks {
        let echo: Vec<&[u8]> = block
            .echo
            .iter()
            .filter_map(|&i| script_lines.get(i).copied())
            .collect();
        let found = (cursor..=output.len().saturating_sub(echo.len()))
            .find(|&at| output.get(at..at + echo.len()) == Some(echo.as_slice()));
        if let Some(at) = found {
            cursor = at + echo.len();
        }
        // A block not found is skipped and the next one looked for from the same place:
        // where psql went its own way (a COPY the server refused leaves its data lines to
        // be read as SQL), the blocks after it can still be found.
        starts.push(found);
    }
    (0..blocks.len())
        .map(|k| {
            let found = starts[k]?;
            let start = if k == 0 { 0 } else { found };
            let end = starts[k + 1..]
                .iter()
                .find_map(|s| *s)
                .unwrap_or(output.len());
            Some(start..end)
        })
        .collect()
}

/// For each block, whether `actual` holds the same text for it as `expected`.
pub fn matching_blocks(
    script: &[u8],
    blocks: &[Block],
    expected: &[u8],
    actual: &[u8],
) -> Vec<bool> {
    let script_lines = lines_of(script);
    let expected = lines_of(expected);
    let actual = lines_of(actual);
    let e = cut_output(&script_lines, blocks, &expected);
    let a = cut_output(&script_lines, blocks, &actual);
    e.iter()
        .zip(&a)
        .map(|(e, a)| match (e, a) {
            (Some(e), Some(a)) => expected[e.clone()] == actual[a.clone()],
            _ => false,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The suite: source, schedule, expected files
// ---------------------------------------------------------------------------------------

/// The installed PostgreSQL 15's upstream version (`15.18`), from `psql --version`.
fn installed_version() -> Result<String, String> {
    let out = Command::new(format!("{PG_BIN}/psql"))
        .arg("--version")
        .output()
        .map_err(|e| format!("could not run {PG_BIN}/psql --version: {e}"))?;
    // "psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(2)
        .filter(|v| v.starts_with("15."))
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "could not read a PostgreSQL 15 version from {PG_BIN}/psql --version: {:?}",
                String::from_utf8_lossy(&out.stdout).trim()
            )
        })
}

/// The Debian package version of the installed postgresql-15 (`15.18-0+deb12u1`).
fn installed_package_version() -> Result<String, String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "postgresql-15"])
        .output()
        .map_err(|e| format!("could not run dpkg-query: {e}"))?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() && !v.is_empty() {
        Ok(v)
    } else {
        Err(format!(
            "dpkg-query knows no installed postgresql-15: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// PostgreSQL's source tree: `--source`, else [`local_source`], else fetched into
/// `target/pgsrc` with `apt-get source` (which needs deb-src entries in apt's sources).
/// The source is never committed: it is 165 MB of someone else's tree.
fn find_source(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(dir) = given {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = local_source()? {
        return Ok(dir);
    }
    let name = format!("postgresql-15-{}", installed_version()?);
    let fetched = super::workspace_root().join("target/pgsrc");
    let package = installed_package_version()?;
    eprintln!(
        "regress: fetching the source of postgresql-15 {package} into {} (apt-get source)...",
        fetched.display()
    );
    fs::create_dir_all(&fetched).map_err(|e| format!("mkdir {}: {e}", fetched.display()))?;
    let status = Command::new("apt-get")
        .args(["source", "-qq", &format!("postgresql-15={package}")])
        .current_dir(&fetched)
        .status()
        .map_err(|e| format!("could not run apt-get source: {e}"))?;
    if status.success() && fetched.join(&name).is_dir() {
        Ok(fetched.join(&name))
    } else {
        Err(format!(
            "apt-get source postgresql-15={package} failed ({status}); it needs network access, \
             dpkg-dev and deb-src entries (`sed -i 's/^Types: deb$/Types: deb deb-src/' \
             /etc/apt/sources.list.d/debian.sources && apt-get update`), or give the source \
             with --source DIR or OXIPG_PG_SOURCE"
        ))
    }
}

/// The source tree already on this machine: `$OXIPG_PG_SOURCE`, else
/// `postgresql-15-<installed version>` in `../pgsrc` beside the workspace, `/work/pgsrc`
/// or `target/pgsrc` (where [`find_source`] fetches it).
fn local_source() -> Result<Option<PathBuf>, String> {
    if let Some(dir) = std::env::var_os("OXIPG_PG_SOURCE").filter(|d| !d.is_empty()) {
        return Ok(Some(PathBuf::from(dir)));
    }
    let name = format!("postgresql-15-{}", installed_version()?);
    let root = super::workspace_root();
    Ok([
        root.join("../pgsrc"),
        PathBuf::from("/work/pgsrc"),
        root.join("target/pgsrc"),
    ]
    .into_iter()
    .map(|dir| dir.join(&name))
    .find(|dir| dir.is_dir()))
}

/// One test of the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledTest {
    pub name: String,
    /// On an `ignore:` line: pg_regress reports its failure but does not count it.
    pub ignored: bool,
}

/// The tests of a `parallel_schedule`, flattened in order. Lines are `test: a b c` (a group
/// pg_regress runs concurrently), `ignore: a` and `#` comments.
pub fn parse_schedule(text: &str) -> Result<Vec<ScheduledTest>, String> {
    let mut tests: Vec<ScheduledTest> = Vec::new();
    let mut ignored = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(names) = line.strip_prefix("test:") {
            tests.extend(names.split_whitespace().map(|name| ScheduledTest {
                name: name.to_owned(),
                ignored: false,
            }));
        } else if let Some(names) = line.strip_prefix("ignore:") {
            ignored.extend(names.split_whitespace().map(str::to_owned));
        } else {
            return Err(format!("line {}: not a schedule line: {line:?}", n + 1));
        }
    }
    for t in &mut tests {
        t.ignored = ignored.contains(&t.name);
    }
    Ok(tests)
}

/// `expected/<test>.out` and its alternatives `expected/<test>_N.out` that exist, in the
/// order pg_regress tries them.
fn expected_files(regress: &Path, test: &str) -> Vec<PathBuf> {
    let dir = regress.join("expected");
    std::iter::once(dir.join(format!("{test}.out")))
        .chain((0..=9).map(|i| dir.join(format!("{test}_{i}.out"))))
        .filter(|p| p.is_file())
        .collect()
}

/// How one output compares with a test's expected files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub exact: bool,
    pub matched: usize,
    pub total: usize,
    /// The expected file compared with (equal, or matching the most blocks).
    pub best: Option<usize>,
}

/// Compares `actual` with each expected text: exact if one is equal; otherwise the
/// blocks of the one that matches most (the first of those on a tie).
pub fn compare(script: &[u8], expected: &[Vec<u8>], actual: &[u8]) -> Comparison {
    let blocks = split_blocks(script);
    let total = blocks.len();
    if let Some(i) = expected.iter().position(|e| e.as_slice() == actual) {
        return Comparison {
            exact: true,
            matched: total,
            total,
            best: Some(i),
        };
    }
    let mut best: Option<(usize, usize)> = None;
    for (i, e) in expected.iter().enumerate() {
        let m = matching_blocks(script, &blocks, e, actual)
            .iter()
            .filter(|&&ok| ok)
            .count();
        if best.is_none_or(|(_, bm)| m > bm) {
            best = Some((i, m));
        }
    }
    Comparison {
        exact: false,
        matched: best.map_or(0, |(_, m)| m),
        total,
        best: best.map(|(i, _)| i),
    }
}

// ---------------------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Ours,
    Pg15,
}

/// A running server, ours or a throwaway PostgreSQL 15; stopped on drop.
struct Server {
    target: Target,
    port: u16,
    data: PathBuf,
    log: PathBuf,
    /// Our `postmaster` binary.
    postmaster: PathBuf,
    /// `shared/pg15/start`, which initialises, starts and stops PostgreSQL 15.
    pg_start: PathBuf,
    /// Our postmaster (PostgreSQL is started through pg_ctl, which leaves no child of ours).
    child: Option<Child>,
    running: bool,
}

impl Server {
    fn start(&mut self, interrupted: &AtomicBool) -> Result<(), String> {
        match self.target {
            Target::Ours => {
                let log = open_append(&self.log)?;
                let log2 = log.try_clone().map_err(|e| e.to_string())?;
                // Its own process group: Ctrl-C reaches us and psql, and we stop the server
                // cleanly rather than have it die under a test.
                let child = Command::new(&self.postmaster)
                    .arg("-D")
                    .arg(&self.data)
                    .args(["-p", &self.port.to_string()])
                    .args(["-c", "listen_addresses=127.0.0.1"])
                    .args(["-c", "unix_socket_directories="])
                    .stdin(Stdio::null())
                    .stdout(log)
                    .stderr(log2)
                    .process_group(0)
                    .spawn()
                    .map_err(|e| format!("could not start {}: {e}", self.postmaster.display()))?;
                self.child = Some(child);
            }
            Target::Pg15 => {
                let out = Command::new(&self.pg_start)
                    .arg(self.port.to_string())
                    .arg(&self.data)
                    .stdin(Stdio::null())
                    .process_group(0)
                    .output()
                    .map_err(|e| format!("could not run {}: {e}", self.pg_start.display()))?;
                if !out.status.success() {
                    return Err(format!(
                        "{} {} {} failed: {}",
                        self.pg_start.display(),
                        self.port,
                        self.data.display(),
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                }
            }
        }
        self.running = true;
        // The first start of ours initialises the data directory.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if self.answers() {
                return Ok(());
            }
            if !self.alive() {
                return Err(format!(
                    "the server exited during start-up; the end of {}:\n{}",
                    self.log.display(),
                    tail(&self.log, 20)
                ));
            }
            if interrupted.load(Ordering::Relaxed) {
                return Err("interrupted".into());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the server did not answer on port {} within 120 s; the end of {}:\n{}",
                    self.port,
                    self.log.display(),
                    tail(&self.log, 20)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the postmaster process is still there.
    fn alive(&mut self) -> bool {
        match self.target {
            Target::Ours => self
                .child
                .as_mut()
                .is_some_and(|c| matches!(c.try_wait(), Ok(None))),
            Target::Pg15 => postmaster_of(&self.data).is_some(),
        }
    }

    /// Whether `select 1` in database postgres gets an answer within 10 s.
    fn answers(&self) -> bool {
        let mut cmd = self.psql();
        cmd.args(["-X", "-q", "-A", "-t", "-d", "postgres", "-c", "select 1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        matches!(run_with_timeout(&mut cmd, Duration::from_secs(10), None), Ok(Some(s)) if s.success())
    }

    /// `psql` pointed at this server over TCP, with nothing from the caller's environment
    /// that could send it elsewhere.
    fn psql(&self) -> Command {
        let mut c = Command::new(format!("{PG_BIN}/psql"));
        for var in PG_ENV_CLEARED {
            c.env_remove(var);
        }
        c.env("PGHOST", "127.0.0.1")
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", "postgres")
            .env("PGCONNECT_TIMEOUT", "10")
            .env("LC_MESSAGES", "C");
        c
    }

    /// Stops the server: a fast shutdown (SIGINT), then SIGQUIT, then SIGKILL.
    fn stop(&mut self) {
        if !std::mem::replace(&mut self.running, false) {
            return;
        }
        match self.target {
            Target::Ours => {
                if let Some(mut child) = self.child.take() {
                    stop_postmaster(child.id() as i32, Some(&mut child));
                }
            }
            Target::Pg15 => {
                let _ = Command::new(&self.pg_start)
                    .arg("--stop")
                    .arg(self.port.to_string())
                    .arg(&self.data)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .process_group(0)
                    .status();
                if let Some(pid) = postmaster_of(&self.data) {
                    stop_postmaster(pid, None);
                }
            }
        }
    }

    /// Stops whatever is left of the server and starts it again on the same data.
    fn restart(&mut self, interrupted: &AtomicBool) -> Result<(), String> {
        self.running = true;
        self.stop();
        self.start(interrupted)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn open_append(path: &Path) -> Result<File, String> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The running postmaster of a PostgreSQL data directory: the pid in the first line of
/// `postmaster.pid`, if that process runs on `data` (after a crash the file stays behind,
/// and its pid may since belong to anything).
fn postmaster_of(data: &Path) -> Option<i32> {
    let pid: i32 = fs::read_to_string(data.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let data = data.as_os_str().as_encoded_bytes();
    cmdline
        .split(|&b| b == 0)
        .any(|arg| arg == data)
        .then_some(pid)
}

fn process_exists(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
}

/// Signals `pid` and waits up to `timeout` for it to go (reaping `child` if given).
fn signal_and_wait(
    pid: i32,
    sig: Signal,
    child: &mut Option<&mut Child>,
    timeout: Duration,
) -> bool {
    let _ = kill(Pid::from_raw(pid), sig);
    let deadline = Instant::now() + timeout;
    loop {
        let gone = match child.as_deref_mut() {
            Some(c) => !matches!(c.try_wait(), Ok(None)),
            None => !process_exists(pid),
        };
        if gone {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Fast shutdown, then immediate shutdown, then SIGKILL of the process group.
fn stop_postmaster(pid: i32, mut child: Option<&mut Child>) {
    if signal_and_wait(pid, Signal::SIGINT, &mut child, Duration::from_secs(30))
        || signal_and_wait(pid, Signal::SIGQUIT, &mut child, Duration::from_secs(5))
    {
        return;
    }
    let _ = kill(Pid::from_raw(-pid), Signal::SIGKILL);
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    if let Some(c) = child {
        let _ = c.wait();
    }
}

/// Runs `cmd`, killing it after `timeout` (or when `interrupted` is set): `Ok(None)` if it
/// was killed.
fn run_with_timeout(
    cmd: &mut Command,
    timeout: Duration,
    interrupted: Option<&AtomicBool>,
) -> Result<Option<ExitStatus>, String> {
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not run {cmd:?}: {e}"))?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status)),
            Ok(None) => {}
            Err(e) => return Err(format!("could not wait for {cmd:?}: {e}")),
        }
        if Instant::now() > deadline || interrupted.is_some_and(|f| f.load(Ordering::Relaxed)) {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The last `n` lines of a log file, for error messages.
fn tail(path: &Path, n: usize) -> String {
    let mut s = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn free_port() -> Result<u16, String> {
    let l =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("could not find a free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("could not find a free port: {e}"))
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

/// What the tests run with, once the database exists.
struct Session {
    /// `src/test/regress` of the source (PG_ABS_SRCDIR).
    regress: PathBuf,
    /// This run's output directory (PG_ABS_BUILDDIR): results/, diffs/, report.txt.
    out: PathBuf,
    /// `PGOPTIONS`: pg_regress's, plus the database settings when `ALTER DATABASE ... SET`
    /// is missing.
    pgoptions: String,
    /// `PGTZ`, unless the server refuses it.
    pgtz: Option<&'static str>,
    /// Where this run differs from pg_regress because the server lacks something.
    deviations: Vec<String>,
}

impl Session {
    /// `psql` with pg_regress's environment for the tests.
    fn psql(&self, server: &Server, appname: &str) -> Command {
        let mut c = server.psql();
        c.env("PGDATESTYLE", "Postgres, MDY")
            .env("PGOPTIONS", &self.pgoptions)
            .env("PGAPPNAME", appname)
            .env("PG_ABS_SRCDIR", &self.regress)
            .env("PG_ABS_BUILDDIR", &self.out)
            .env("PG_LIBDIR", PG_LIBDIR)
            .env("PG_DLSUFFIX", ".so")
            .env_remove("PGCONNECT_TIMEOUT")
            .current_dir(&self.out);
        match self.pgtz {
            Some(tz) => c.env("PGTZ", tz),
            None => c.env_remove("PGTZ"),
        };
        c
    }
}

/// Runs `sql` (several statements in one query string, as pg_regress sends them) in
/// database `db`; the error text if it fails.
fn admin_sql(server: &Server, db: &str, env: Option<&Session>, sql: &str) -> Result<(), String> {
    let mut cmd = match env {
        Some(s) => s.psql(server, "pg_regress"),
        None => server.psql(),
    };
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql])
        .stdin(Stdio::null());
    let out = cmd
        .output()
        .map_err(|e| format!("could not run psql: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// Creates the `regression` database as pg_regress does, falling back to the nearest
/// equivalent where the server lacks a feature (and saying so in `session.deviations`).
fn create_database(server: &Server, session: &mut Session) -> Result<(), String> {
    let _ = admin_sql(
        server,
        "postgres",
        None,
        &format!("SET client_min_messages = warning; DROP DATABASE IF EXISTS \"{DATABASE}\""),
    );
    if let Err(e) = admin_sql(
        server,
        "postgres",
        None,
        &format!("CREATE DATABASE \"{DATABASE}\" TEMPLATE=template0"),
    ) {
        admin_sql(
            server,
            "postgres",
            None,
            &format!("CREATE DATABASE \"{DATABASE}\""),
        )
        .map_err(|e| format!("could not create database \"{DATABASE}\": {e}"))?;
        session.deviations.push(format!(
            "CREATE DATABASE ... TEMPLATE=template0 failed ({}); created from the default template",
            one_line(&e)
        ));
    }
    let alter: String = DATABASE_SETTINGS
        .iter()
        .map(|(k, v)| format!("ALTER DATABASE \"{DATABASE}\" SET {k} TO '{v}';"))
        .collect();
    if let Err(e) = admin_sql(server, "postgres", None, &alter) {
        for (k, v) in DATABASE_SETTINGS {
            let _ = write!(session.pgoptions, " -c {k}={v}");
        }
        session.deviations.push(format!(
            "ALTER DATABASE ... SET failed ({}); the same settings go in PGOPTIONS",
            one_line(&e)
        ));
    }
    // PGTZ reaches the server as a start-up parameter; a server that does not know the zone
    // refuses the connection, and then no test could run at all.
    if let Err(e) = admin_sql(server, DATABASE, Some(session), "select 1") {
        let tz = session.pgtz.take();
        admin_sql(server, DATABASE, Some(session), "select 1").map_err(|e2| {
            format!(
                "could not connect to database \"{DATABASE}\" with pg_regress's environment: {e2}"
            )
        })?;
        session.deviations.push(format!(
            "the server refuses PGTZ={} ({}); the tests run without PGTZ, in the server's default zone",
            tz.unwrap_or(""),
            one_line(&e)
        ));
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// How one test went.
struct Outcome {
    name: String,
    ignored: bool,
    comparison: Comparison,
    note: String,
    secs: f64,
}

impl Outcome {
    fn line(&self) -> String {
        let c = &self.comparison;
        let mut note = self.note.clone();
        if self.ignored {
            note = join_notes(&note, "pg_regress ignores its failure");
        }
        format!(
            "{:<28} {:<7} {:>5}/{:<5} {:>6.2} s  {}",
            self.name,
            if c.exact { "exact" } else { "differs" },
            c.matched,
            c.total,
            self.secs,
            note
        )
        .trim_end()
        .to_owned()
    }
}

fn join_notes(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_owned()
    } else {
        format!("{a}; {b}")
    }
}

/// Runs one test through psql, writes its result (and diff), compares.
fn run_test(
    server: &Server,
    session: &Session,
    test: &ScheduledTest,
    timeout: Duration,
    interrupted: &AtomicBool,
) -> Result<(Outcome, bool), String> {
    let started = Instant::now();
    let name = &test.name;
    let sql_path = session.regress.join("sql").join(format!("{name}.sql"));
    let result_path = session.out.join("results").join(format!("{name}.out"));
    let mut note = String::new();
    let script = fs::read(&sql_path).map_err(|e| format!("{}: {e}", sql_path.display()))?;
    let input = File::open(&sql_path).map_err(|e| format!("{}: {e}", sql_path.display()))?;
    let output =
        File::create(&result_path).map_err(|e| format!("{}: {e}", result_path.display()))?;
    let output2 = output.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = session.psql(server, &format!("pg_regress/{name}"));
    cmd.args([
        "-X",
        "-a",
        "-q",
        "-d",
        DATABASE,
        "-v",
        "HIDE_TABLEAM=on",
        "-v",
        "HIDE_TOAST_COMPRESSION=on",
    ])
    .stdin(input)
    .stdout(output)
    .stderr(output2);
    let status = run_with_timeout(&mut cmd, timeout, Some(interrupted))?;
    let timed_out = status.is_none();
    match status {
        None if interrupted.load(Ordering::Relaxed) => note = "interrupted".into(),
        None => note = format!("timed out after {} s", timeout.as_secs()),
        // psql exits with 2 when it loses the connection, 1 on a fatal error of its own.
        Some(s) if !s.success() => note = format!("psql {s}"),
        Some(_) => {}
    }
    let actual = fs::read(&result_path).map_err(|e| format!("{}: {e}", result_path.display()))?;
    let expected_paths = expected_files(&session.regress, name);
    let mut expected = Vec::new();
    for p in &expected_paths {
        expected.push(fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    if expected.is_empty() {
        note = join_notes(&note, "no expected file");
    }
    let comparison = compare(&script, &expected, &actual);
    if !comparison.exact
        && let Some(best) = comparison.best.and_then(|i| expected_paths.get(i))
    {
        write_diff(
            best,
            &result_path,
            &session.out.join("diffs").join(format!("{name}.diff")),
        )?;
    }
    Ok((
        Outcome {
            name: name.clone(),
            ignored: test.ignored,
            comparison,
            note,
            secs: started.elapsed().as_secs_f64(),
        },
        timed_out,
    ))
}

/// `diff -U3 expected actual`, with pg_regress's header line, into `to`.
fn write_diff(expected: &Path, actual: &Path, to: &Path) -> Result<(), String> {
    let out = Command::new("diff")
        .arg("-U3")
        .arg(expected)
        .arg(actual)
        .output()
        .map_err(|e| format!("could not run diff: {e}"))?;
    let mut text = format!("diff -U3 {} {}\n", expected.display(), actual.display()).into_bytes();
    text.extend_from_slice(&out.stdout);
    fs::write(to, text).map_err(|e| format!("{}: {e}", to.display()))
}

/// The tests `tests/regress/passing.txt` lists (comments and blank lines skipped).
fn read_passing(path: &Path) -> Result<Vec<String>, String> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn write_passing(path: &Path, tests: &[String]) -> Result<(), String> {
    let mut text = String::from(
        "# PostgreSQL 15 regression tests (src/test/regress) whose output from our server\n\
         # equals PostgreSQL's expected output exactly, one per line, sorted.\n\
         # `cargo xtask regress --check` fails if one of them stops matching;\n\
         # `cargo xtask regress --update` rewrites this file from a run (see README.md).\n\
         # Tests whose failure pg_regress ignores (random) are left out.\n",
    );
    for t in tests {
        text.push_str(t);
        text.push('\n');
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Where cargo put the release binaries: `$CARGO_TARGET_DIR/release` when that is set.
fn release_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(d) => super::workspace_root().join(d).join("release"),
        None => super::workspace_root().join("target/release"),
    }
}

fn pg_start_script() -> PathBuf {
    let beside = super::workspace_root().join("../shared/pg15/start");
    if beside.is_file() {
        beside
    } else {
        PathBuf::from("/work/shared/pg15/start")
    }
}

/// Empties (or creates) a directory; mode 0777 so that PostgreSQL, which runs as the
/// `postgres` user when we are root, can write there too (server-side COPY TO a file in
/// PG_ABS_BUILDDIR/results).
fn fresh_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("could not remove {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o777))
        .map_err(|e| format!("chmod {}: {e}", dir.display()))
}

fn percent(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

pub fn run(opts: &Options) -> Result<(), String> {
    if opts.update && opts.pg15 {
        return Err("--update records our server's results, not PostgreSQL's: drop --pg15".into());
    }
    let started = Instant::now();
    let source = find_source(opts.source.as_deref())?;
    let regress = fs::canonicalize(source.join("src/test/regress"))
        .map_err(|e| format!("{}/src/test/regress: {e}", source.display()))?;
    let schedule_path = regress.join("parallel_schedule");
    let schedule = fs::read_to_string(&schedule_path)
        .map_err(|e| format!("{}: {e}", schedule_path.display()))
        .and_then(|t| {
            parse_schedule(&t).map_err(|e| format!("{}: {e}", schedule_path.display()))
        })?;
    let tests: Vec<ScheduledTest> = schedule
        .iter()
        .filter(|t| opts.files.as_deref().is_none_or(|f| t.name.contains(f)))
        .cloned()
        .collect();
    if tests.is_empty() {
        return Err(format!(
            "no test of {} has a name containing {:?}",
            schedule_path.display(),
            opts.files.as_deref().unwrap_or("")
        ));
    }
    // The other tests read the tables test_setup creates.
    let setup_only = opts.files.is_some()
        && !tests.iter().any(|t| t.name == SETUP_TEST)
        && schedule.iter().any(|t| t.name == SETUP_TEST);

    let root = super::workspace_root();
    let passing_path = root.join("tests/regress/passing.txt");
    let passing = read_passing(&passing_path)?;
    if opts.check {
        let unknown: Vec<&String> = passing
            .iter()
            .filter(|p| !schedule.iter().any(|t| &t.name == *p))
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "{} lists tests that {} does not have: {unknown:?}",
                passing_path.display(),
                schedule_path.display()
            ));
        }
    }

    let target = if opts.pg15 {
        Target::Pg15
    } else {
        Target::Ours
    };
    let out = match target {
        Target::Ours => root.join("target/regress"),
        Target::Pg15 => root.join("target/regress/pg15"),
    };
    fs::create_dir_all(&out).map_err(|e| format!("mkdir {}: {e}", out.display()))?;
    fresh_dir(&out.join("results"))?;
    fresh_dir(&out.join("diffs"))?;
    let data = out.join("data");
    let old_data = fs::read_dir(&out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| {
            // This run's data directory and those a failed restart moved aside.
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n == "data" || n.starts_with("data.broken-")
            })
        });
    for dir in old_data {
        fs::remove_dir_all(&dir).map_err(|e| format!("could not remove {}: {e}", dir.display()))?;
    }
    let log = out.join("server.log");
    let _ = fs::remove_file(&log);

    let postmaster = release_dir().join("postmaster");
    let pg_start = pg_start_script();
    match target {
        Target::Ours if opts.no_build => {
            eprintln!("regress: using the release binaries already built (--no-build)");
        }
        Target::Ours => super::build_release("regress")?,
        Target::Pg15 => {}
    }
    match target {
        Target::Ours if !postmaster.is_file() => {
            return Err(format!(
                "{} is missing: build it (cargo build --release -p postmaster -p backend) or drop --no-build",
                postmaster.display()
            ));
        }
        Target::Pg15 if !pg_start.is_file() => {
            return Err(format!(
                "{} is missing: it starts the PostgreSQL 15 reference",
                pg_start.display()
            ));
        }
        _ => {}
    }

    // Ctrl-C: psql gets it too and ends; we stop the server and report what ran.
    let interrupted = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted))
        .map_err(|e| format!("could not install the SIGINT handler: {e}"))?;

    let mut server = Server {
        target,
        port: free_port()?,
        data: data.clone(),
        log: log.clone(),
        postmaster,
        pg_start,
        child: None,
        running: false,
    };
    let what = match target {
        Target::Ours => format!("our server ({})", server.postmaster.display()),
        Target::Pg15 => format!("PostgreSQL {}", installed_version()?),
    };
    eprintln!(
        "regress: {} tests of {} against {what}, port {}; output in {}",
        tests.len(),
        regress.display(),
        server.port,
        out.display()
    );
    server.start(&interrupted)?;
    let mut session = Session {
        regress: regress.clone(),
        out: out.clone(),
        pgoptions: PGOPTIONS.to_owned(),
        pgtz: Some(PGTZ),
        deviations: Vec::new(),
    };
    create_database(&server, &mut session)?;
    for d in &session.deviations {
        eprintln!("regress: the server lacks a feature pg_regress uses: {d}");
    }

    if setup_only {
        eprintln!("regress: running {SETUP_TEST} first (the tables other tests read); not counted");
        let setup = ScheduledTest {
            name: SETUP_TEST.into(),
            ignored: false,
        };
        run_test(&server, &session, &setup, opts.timeout, &interrupted)?;
    }

    let mut outcomes: Vec<Outcome> = Vec::new();
    let n = tests.len();
    let mut broken = 0;
    for (i, test) in tests.iter().enumerate() {
        if interrupted.load(Ordering::Relaxed) {
            break;
        }
        let (mut outcome, timed_out) =
            run_test(&server, &session, test, opts.timeout, &interrupted)?;
        // A hung test may leave a backend holding locks; a dead or silent server takes
        // every later test with it. Restart in all three cases.
        let restart_reason = if interrupted.load(Ordering::Relaxed) {
            None
        } else if timed_out {
            Some("server restarted")
        } else if !server.alive() {
            Some("the server died; restarted")
        } else if !server.answers() {
            Some("the server stopped answering; restarted")
        } else {
            None
        };
        if let Some(reason) = restart_reason {
            outcome.note = join_notes(&outcome.note, reason);
            if let Err(e) = server.restart(&interrupted) {
                // Crash recovery failed: go on with a fresh cluster rather than stop here.
                eprintln!(
                    "regress: restart failed: {e}\nregress: going on with a new data directory"
                );
                server.stop();
                broken += 1;
                let aside = out.join(format!("data.broken-{broken}"));
                let _ = fs::remove_dir_all(&aside);
                fs::rename(&data, &aside)
                    .map_err(|e| format!("could not move {} aside: {e}", data.display()))?;
                server.start(&interrupted)?;
                session.deviations.clear();
                session.pgoptions = PGOPTIONS.to_owned();
                session.pgtz = Some(PGTZ);
                create_database(&server, &mut session)?;
                outcome.note = join_notes(&outcome.note, "restart failed; new data directory");
            }
        }
        println!("[{:>3}/{n}] {}", i + 1, outcome.line());
        outcomes.push(outcome);
    }
    server.stop();
    let elapsed = started.elapsed();

    // The report.
    let exact = outcomes.iter().filter(|o| o.comparison.exact).count();
    let matched: usize = outcomes.iter().map(|o| o.comparison.matched).sum();
    let total: usize = outcomes.iter().map(|o| o.comparison.total).sum();
    let summary = format!(
        "files exact {exact} of {} ({:.1} %), queries matching {matched} of {total} ({:.1} %)",
        outcomes.len(),
        percent(exact, outcomes.len()),
        percent(matched, total)
    );
    println!("{summary}");
    let mut report = format!(
        "# cargo xtask regress: {} tests of {} against {what}\n",
        outcomes.len(),
        regress.display()
    );
    if outcomes.len() < n {
        let _ = writeln!(
            report,
            "# interrupted after {} of {n} tests",
            outcomes.len()
        );
    }
    for d in &session.deviations {
        let _ = writeln!(report, "# differs from pg_regress: {d}");
    }
    let _ = writeln!(
        report,
        "# test, exact or not, blocks (statements) matching, seconds, notes"
    );
    for o in &outcomes {
        let _ = writeln!(report, "{}", o.line());
    }
    let _ = writeln!(report, "{summary}");
    let _ = writeln!(report, "run time {:.0} s", elapsed.as_secs_f64());
    let report_path = out.join("report.txt");
    fs::write(&report_path, report).map_err(|e| format!("{}: {e}", report_path.display()))?;
    eprintln!(
        "regress: {:.0} s; report in {}, outputs in {}/results, diffs in {}/diffs",
        elapsed.as_secs_f64(),
        report_path.display(),
        out.display(),
        out.display()
    );
    if interrupted.load(Ordering::Relaxed) {
        return Err("interrupted".into());
    }

    let mut failure = None;
    if opts.check {
        let failed: Vec<&str> = passing
            .iter()
            .filter(|p| {
                outcomes
                    .iter()
                    .any(|o| &o.name == *p && !o.comparison.exact)
            })
            .map(String::as_str)
            .collect();
        let not_run = passing
            .iter()
            .filter(|p| !outcomes.iter().any(|o| &o.name == *p))
            .count();
        if not_run > 0 {
            eprintln!("regress: --check: {not_run} tests of passing.txt not selected by --files");
        }
        if failed.is_empty() {
            eprintln!(
                "regress: --check: all {} tests of {} are exact",
                passing.len() - not_run,
                passing_path.display()
            );
        } else {
            failure = Some(format!(
                "--check: tests listed in {} are no longer exact: {} (diffs in {}/diffs)",
                passing_path.display(),
                failed.join(", "),
                out.display()
            ));
        }
    }
    if opts.update {
        // Tests this run did not select keep their entries. Tests on an `ignore:` line
        // (random) may fail by design: pg_regress does not count them, nor does --check.
        let mut now: Vec<String> = passing
            .iter()
            .filter(|p| !outcomes.iter().any(|o| &o.name == *p))
            .cloned()
            .chain(
                outcomes
                    .iter()
                    .filter(|o| o.comparison.exact && !o.ignored)
                    .map(|o| o.name.clone()),
            )
            .collect();
        now.sort();
        now.dedup();
        write_passing(&passing_path, &now)?;
        eprintln!(
            "regress: wrote {} tests to {}",
            now.len(),
            passing_path.display()
        );
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocks of `script` as the script text of each.
    fn blocks_text(script: &str) -> Vec<String> {
        let lines: Vec<&str> = script.lines().collect();
        split_blocks(script.as_bytes())
            .iter()
            .map(|b| lines[b.lines.clone()].join("\n"))
            .collect()
    }

    #[test]
    fn statements_end_at_top_level_semicolons() {
        assert_eq!(
            blocks_text("-- first\nSELECT 1;\n\nSELECT\n  2;\nSELECT 3; SELECT 4;\n"),
            [
                "-- first\nSELECT 1;",
                "\nSELECT\n  2;",
                "SELECT 3; SELECT 4;"
            ]
        );
        // Semicolons in literals, quoted identifiers, comments and parentheses.
        assert_eq!(
            blocks_text(
                "SELECT 'a;b', \"c;d\", $$e;\nf$$, $x$ $$; $x$ /* g; /* h; */ i; */ -- j;\n;\n\
                 SELECT (1;\n2);\nSELECT E'\\';', 'k'';';\n"
            ),
            [
                "SELECT 'a;b', \"c;d\", $$e;\nf$$, $x$ $$; $x$ /* g; /* h; */ i; */ -- j;\n;",
                "SELECT (1;\n2);",
                "SELECT E'\\';', 'k'';';"
            ]
        );
        // $1 is a parameter and a$b$ an identifier, not dollar quotes.
        assert_eq!(
            blocks_text("SELECT $1, a$b$;\nSELECT 2;\n"),
            ["SELECT $1, a$b$;", "SELECT 2;"]
        );
    }

    #[test]
    fn backslash_commands_are_one_line_each() {
        assert_eq!(
            blocks_text("\\set x 1\nSELECT 1\n\\g\nSELECT 2 \\gset\nSELECT 3\\; SELECT 4;\n"),
            [
                "\\set x 1",
                "SELECT 1\n\\g",
                "SELECT 2 \\gset",
                "SELECT 3\\; SELECT 4;"
            ]
        );
    }

    #[test]
    fn begin_atomic_bodies_and_standard_strings() {
        let script = "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  \
                      SELECT CASE WHEN true THEN 2 END;\nEND;\nSELECT 'x';\n";
        assert_eq!(
            blocks_text(script),
            [
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  \
                 SELECT CASE WHEN true THEN 2 END;\nEND;",
                "SELECT 'x';"
            ]
        );
        // BEGIN outside a routine body is a transaction.
        assert_eq!(blocks_text("BEGIN;\nEND;\n"), ["BEGIN;", "END;"]);
        // With standard_conforming_strings off a backslash escapes a quote in '...'.
        assert_eq!(
            blocks_text(
                "SET standard_conforming_strings TO off;\nSELECT 'a\\';';\n\
                 RESET standard_conforming_strings;\nSELECT 'b\\';\n"
            ),
            [
                "SET standard_conforming_strings TO off;",
                "SELECT 'a\\';';",
                "RESET standard_conforming_strings;",
                "SELECT 'b\\';"
            ]
        );
    }

    #[test]
    fn copy_data_and_echo_off_stay_with_their_block() {
        let script = "COPY t FROM stdin;\n1\t;\n\\.\nSELECT 1;\n\\copy t from stdin\n2\n\\.\n\
                      select 0\\; copy t from stdin\\; copy t from stdin\\; select 1;\n3\n\\.\n4\n\\.\n\
                      SELECT 2;\n";
        let blocks = split_blocks(script.as_bytes());
        let lines: Vec<&str> = script.lines().collect();
        let text: Vec<(String, String)> = blocks
            .iter()
            .map(|b| {
                (
                    lines[b.lines.clone()].join("|"),
                    b.echo
                        .iter()
                        .map(|&i| lines[i])
                        .collect::<Vec<_>>()
                        .join("|"),
                )
            })
            .collect();
        assert_eq!(
            text,
            [
                (
                    "COPY t FROM stdin;|1\t;|\\.".into(),
                    "COPY t FROM stdin;".into()
                ),
                ("SELECT 1;".into(), "SELECT 1;".into()),
                (
                    "\\copy t from stdin|2|\\.".into(),
                    "\\copy t from stdin".into()
                ),
                (
                    "select 0\\; copy t from stdin\\; copy t from stdin\\; select 1;|3|\\.|4|\\."
                        .into(),
                    "select 0\\; copy t from stdin\\; copy t from stdin\\; select 1;".into()
                ),
                ("SELECT 2;".into(), "SELECT 2;".into()),
            ]
        );
        // Lines read with ECHO none join the block before; trailing comments the last one.
        let script = "SELECT 1;\n\\set ECHO none\nSELECT 2;\n\\set ECHO all\nSELECT 3;\n-- end\n";
        let blocks = split_blocks(script.as_bytes());
        assert_eq!(
            blocks,
            [
                Block {
                    lines: 0..1,
                    echo: vec![0]
                },
                Block {
                    lines: 1..4,
                    echo: vec![1]
                },
                Block {
                    lines: 4..6,
                    echo: vec![4]
                },
            ]
        );
        // An unfinished statement at the end is sent at the end of input: a block of its own.
        assert_eq!(
            blocks_text("SELECT 1;\nSELECT 2\n"),
            ["SELECT 1;", "SELECT 2"]
        );
        assert!(split_blocks(b"").is_empty());
        // psql skips empty lines unread, but not inside a literal or a comment.
        let script = "SELECT 1;\n\nSELECT 'a\n\nb', 2 /*\n\n*/;\n";
        assert_eq!(
            split_blocks(script.as_bytes()),
            [
                Block {
                    lines: 0..1,
                    echo: vec![0]
                },
                Block {
                    lines: 1..7,
                    echo: vec![2, 3, 4, 5, 6]
                },
            ]
        );
    }

    const SCRIPT: &str = "-- numbers\nSELECT 1;\n\nSELECT 2;\nSELECT 3;\n";
    const EXPECTED: &str = "-- numbers\nSELECT 1;\n ?column? \n----------\n        1\n(1 row)\n\n\
                            SELECT 2;\n ?column? \n----------\n        2\n(1 row)\n\n\
                            SELECT 3;\n ?column? \n----------\n        3\n(1 row)\n\n";

    #[test]
    fn outputs_are_cut_at_the_echo_of_each_block() {
        let script = SCRIPT.as_bytes();
        let blocks = split_blocks(script);
        assert_eq!(blocks.len(), 3);
        // The same output: every block matches.
        assert_eq!(
            matching_blocks(script, &blocks, EXPECTED.as_bytes(), EXPECTED.as_bytes()),
            [true, true, true]
        );
        // An error in the second block only.
        let actual = EXPECTED.replace(
            " ?column? \n----------\n        2\n(1 row)\n",
            "ERROR:  not supported\n",
        );
        assert_eq!(
            matching_blocks(script, &blocks, EXPECTED.as_bytes(), actual.as_bytes()),
            [true, false, true]
        );
        // psql lost the connection in the second block: the rest cannot be found.
        let cut = EXPECTED.find("        2").unwrap_or(0);
        let actual = format!(
            "{}server closed the connection unexpectedly\n",
            &EXPECTED[..cut]
        );
        assert_eq!(
            matching_blocks(script, &blocks, EXPECTED.as_bytes(), actual.as_bytes()),
            [true, false, false]
        );
        // A block whose echo is missing does not take the blocks after it along.
        let actual = EXPECTED.replace("SELECT 2;\n", "");
        assert_eq!(
            matching_blocks(script, &blocks, EXPECTED.as_bytes(), actual.as_bytes()),
            [false, false, true]
        );
        // Output before the first echo counts against the first block.
        let actual = format!("psql: warning\n{EXPECTED}");
        assert_eq!(
            matching_blocks(script, &blocks, EXPECTED.as_bytes(), actual.as_bytes()),
            [false, true, true]
        );
        // Nothing at all (psql could not connect).
        assert_eq!(
            matching_blocks(
                script,
                &blocks,
                EXPECTED.as_bytes(),
                b"psql: error: refused\n"
            ),
            [false, false, false]
        );
    }

    #[test]
    fn comparison_picks_the_best_alternative() {
        let script = SCRIPT.as_bytes();
        let other = EXPECTED.replace("        3", "        three");
        let actual = EXPECTED.replace("        1", "        one");
        // Exact against the alternative.
        let c = compare(
            script,
            &[other.clone().into_bytes(), EXPECTED.into()],
            EXPECTED.as_bytes(),
        );
        assert_eq!(
            c,
            Comparison {
                exact: true,
                matched: 3,
                total: 3,
                best: Some(1)
            }
        );
        // Not exact: blocks from the expected file that matches most.
        let c = compare(
            script,
            &[other.into_bytes(), EXPECTED.into()],
            actual.as_bytes(),
        );
        assert_eq!(
            c,
            Comparison {
                exact: false,
                matched: 2,
                total: 3,
                best: Some(1)
            }
        );
        // No expected file at all.
        let c = compare(script, &[], actual.as_bytes());
        assert_eq!(
            c,
            Comparison {
                exact: false,
                matched: 0,
                total: 3,
                best: None
            }
        );
    }

    #[test]
    fn schedule_is_flattened_in_order() {
        let s = "# comment\ntest: a\n\ntest: b c\nignore: c\ntest: d\n";
        let tests = parse_schedule(s).expect("a valid schedule");
        let names: Vec<(&str, bool)> = tests.iter().map(|t| (t.name.as_str(), t.ignored)).collect();
        assert_eq!(
            names,
            [("a", false), ("b", false), ("c", true), ("d", false)]
        );
        assert!(parse_schedule("tests: a\n").is_err());
    }

    /// The splitter against the real suite: in every expected file every block's echo is found,
    /// but where psql itself stops reading (`\quit` in the alternatives for a skipped test) or
    /// joins an echo to the line before (`\echo -n`). Needs PostgreSQL's source:
    /// `cargo test -p xtask -- --ignored`.
    #[test]
    #[ignore = "needs PostgreSQL's source (OXIPG_PG_SOURCE, ../pgsrc or target/pgsrc)"]
    fn every_block_of_the_expected_files_is_found() {
        let source = local_source()
            .expect("the installed PostgreSQL 15")
            .expect("PostgreSQL's source: set OXIPG_PG_SOURCE");
        let regress = source.join("src/test/regress");
        let schedule = fs::read_to_string(regress.join("parallel_schedule")).expect("a schedule");
        let mut incomplete = Vec::new();
        for test in parse_schedule(&schedule).expect("a valid schedule") {
            let script =
                fs::read(regress.join(format!("sql/{}.sql", test.name))).expect("a script");
            let script_lines = lines_of(&script);
            let blocks = split_blocks(&script);
            for path in expected_files(&regress, &test.name) {
                let expected = fs::read(&path).expect("an expected file");
                let missing = cut_output(&script_lines, &blocks, &lines_of(&expected))
                    .iter()
                    .filter(|b| b.is_none())
                    .count();
                if missing > 0 {
                    let quits = script_lines.iter().any(|l| l.starts_with(b"\\quit"));
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                    incomplete.push((name.unwrap_or_default(), quits, missing));
                }
            }
        }
        let unexplained: Vec<_> = incomplete
            .iter()
            .filter(|(name, quits, missing)| {
                // psql.sql has two `\echo -n`; a skipped test's alternative ends at `\quit`.
                let echo_n = name == "psql.out" && *missing == 2;
                let skipped = *quits && name.contains('_');
                !echo_n && !skipped
            })
            .collect();
        assert!(unexplained.is_empty(), "blocks not found: {unexplained:?}");
        // Not vacuous: the known cases were seen.
        assert!(incomplete.iter().any(|(name, _, _)| name == "psql.out"));
    }
}
