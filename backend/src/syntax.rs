//! Raw parsing: query text to sqlparser statements, with PostgreSQL's syntax
//! error reports (`42601 syntax error at or near "x"` and the cursor position).

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token, TokenWithSpan, Tokenizer, Whitespace, Word};
use types::{PgError, PgResult, SqlState};

/// An unquoted word token, as the pre-parser writes into a statement.
fn word(value: &str, keyword: Keyword) -> Token {
    Token::Word(Word {
        value: value.into(),
        quote_style: None,
        keyword,
    })
}

/// Nesting depth allowed before "stack depth limit exceeded".
const RECURSION_LIMIT: usize = 200;

/// Parses a query string into its statements (empty for `;;` or comments only).
pub fn parse(sql: &str) -> PgResult<Vec<Statement>> {
    let dialect = PostgreSqlDialect {};
    // sqlparser reads U&'...' with the default escape character only: one
    // with another (UESCAPE) is replaced by the plain constant it stands
    // for, padded to the same length so that positions stay.
    let mut text = std::borrow::Cow::Borrowed(sql);
    let tokens = loop {
        match Tokenizer::new(&dialect, &text).tokenize_with_location() {
            Ok(tokens) => break tokens,
            Err(e) => match uescape_constant(&text, &e)? {
                Some(fixed) => text = std::borrow::Cow::Owned(fixed),
                None => {
                    return Err(literal_error(&text, &e)
                        .unwrap_or_else(|| to_pg_error(&text, ParserError::from(e))));
                }
            },
        }
    };
    let sql: &str = &text;
    check_policy_options(sql, &tokens)?;
    let tokens = rewrite_operator_runs(sql, tokens);
    let tokens = rewrite_prefix_operators(tokens);
    let tokens = rewrite_string_continuations(tokens);
    let tokens = rewrite_unicode_escapes(sql, tokens)?;
    let mut tokens = rewrite_rule_statements(tokens);
    let create_user = rewrite_create_user(&mut tokens);
    rewrite_alter_group(&mut tokens);
    let tokens = rewrite_checkpoint(tokens);
    let tokens = rewrite_reindex(tokens);
    let tokens = rewrite_key_locks(tokens);
    let tokens = rewrite_drop_index_concurrently(tokens);
    let tokens = rewrite_ctas_columns(tokens);
    let tokens = rewrite_table_like(tokens);
    let tokens = rewrite_copy_options(tokens);
    let tokens = rewrite_column_compression(tokens);
    let tokens = rewrite_partition_opclasses(tokens);
    let tokens = rewrite_procedures(tokens);
    let tokens = rewrite_variadic_calls(tokens);
    let tokens = rewrite_arg_modes(tokens);
    let tokens = rewrite_function_attributes(tokens);
    let tokens = rewrite_text_statements(tokens);
    let tokens = rewrite_trigger_args(tokens);
    let tokens = rewrite_isnull(tokens);
    let tokens = rewrite_substring_similar(tokens);
    let tokens = rewrite_view_check_option(tokens);
    let tokens = rewrite_matview_clauses(tokens);
    let tokens = rewrite_field_star(tokens);
    let tokens = rewrite_interval_precision(tokens);
    let tokens = rewrite_merge_default_values(tokens);
    let tokens = rewrite_insert_select_conflict(tokens);
    let tokens = rewrite_identity_sequence_name(tokens);
    let tokens = rewrite_subscript_targets(tokens);
    let tokens = rewrite_window_frames(tokens);
    let tokens = rewrite_search_cycle(tokens);
    let tokens = rewrite_table_command(tokens);
    let mut stmts = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| to_pg_error(sql, e))?;
    for i in create_user {
        if let Some(Statement::CreateRole(cr)) = stmts.get_mut(i) {
            cr.login.get_or_insert(true);
        }
    }
    Ok(stmts)
}

/// The characters PostgreSQL's lexer takes into an operator.
fn is_operator_char(c: char) -> bool {
    "+-*/<>=~!@#%^&|`?".contains(c)
}

/// PostgreSQL's operators in a run of operator characters: each the
/// longest run, except that a trailing `+` or `-` is left for the next
/// operator when the run has none of `~ ! @ # % ^ & | ` ?` (so that
/// `=-1` is `=` and a negative number, while `!=-` is one operator).
fn split_operator_run(run: &str) -> Vec<String> {
    let chars: Vec<char> = run.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let op = &chars[start..];
        let mut n = op.len();
        if n > 1
            && matches!(op[n - 1], '+' | '-')
            && !op[..n - 1].iter().any(|c| "~!@#%^&|`?".contains(*c))
        {
            while n > 1 && matches!(op[n - 1], '+' | '-') {
                n -= 1;
            }
        }
        out.push(op[..n].iter().collect());
        start += n;
    }
    out
}

/// sqlparser splits some runs of operator characters where PostgreSQL's
/// lexer reads one operator (`@+@`, `!~~~`, `##%`): such a run, its tokens
/// next to each other, becomes PostgreSQL's operators, each the token
/// sqlparser gives it alone, else a custom operator (which user operators
/// may be).
fn rewrite_operator_runs(sql: &str, tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let chars: Vec<char> = sql.chars().collect();
    let op_text = |t: &TokenWithSpan| -> Option<String> {
        if matches!(t.token, Token::Whitespace(_)) {
            return None;
        }
        // `!=` is sqlparser's `<>`: the text as written.
        let s = match t.token {
            Token::Neq => char_position(sql, t.span.start.line, t.span.start.column)
                .and_then(|p| chars.get(p.checked_sub(1)?))
                .map_or_else(
                    || "<>".to_owned(),
                    |c| if *c == '!' { "!=".into() } else { "<>".into() },
                ),
            _ => t.token.to_string(),
        };
        (!s.is_empty() && s.chars().all(is_operator_char)).then_some(s)
    };
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let Some(first) = op_text(&tokens[i]) else {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        };
        let mut texts = vec![first];
        let mut j = i + 1;
        while j < tokens.len()
            && let Some(t) = op_text(&tokens[j])
        {
            texts.push(t);
            j += 1;
        }
        let run: String = texts.concat();
        let ops = split_operator_run(&run);
        if ops == texts {
            out.extend_from_slice(&tokens[i..j]);
            i = j;
            continue;
        }
        let start = tokens[i].span.start;
        let mut column = start.column;
        for op in ops {
            let len = op.chars().count() as u64;
            let span = Span::new(
                sqlparser::tokenizer::Location::new(start.line, column),
                sqlparser::tokenizer::Location::new(start.line, column + len),
            );
            column += len;
            let alone = Tokenizer::new(&PostgreSqlDialect {}, &op).tokenize().ok();
            let token = match alone.as_deref() {
                Some([t]) if t.to_string() == op => t.clone(),
                _ => Token::CustomBinaryOperator(op),
            };
            out.push(TokenWithSpan::new(token, span));
        }
        i = j;
    }
    out
}

/// The left operand that stands for none before a user prefix operator
/// (see [`rewrite_prefix_operators`]): an identifier no one writes.
pub const PREFIX_OPERATOR_MARKER: &str = planner::analyze::expr::PREFIX_OPERATOR_MARKER;

/// sqlparser reads a custom operator (`@#@`, `!=-`) only between two
/// operands; PostgreSQL also as a prefix operator (`SELECT @#@ 24`). Where
/// one stands first in an expression (after SELECT, `(`, `,`, WHERE, AND,
/// ...), a marker identifier is put before it as its left operand, which
/// the analyzer reads as "none".
fn rewrite_prefix_operators(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    const STARTS: [&str; 16] = [
        "select",
        "where",
        "and",
        "or",
        "not",
        "then",
        "else",
        "when",
        "having",
        "by",
        "on",
        "return",
        "returning",
        "set",
        "values",
        "distinct",
    ];
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    // Operator names in DDL (DROP OPERATOR a (...), b (...)) are not
    // expressions: only a statement that has a query part is looked at.
    let mut in_query = false;
    let mut first_word = true;
    for t in tokens {
        match &t.token {
            Token::SemiColon => {
                in_query = false;
                first_word = true;
            }
            Token::Word(w) if w.quote_style.is_none() => {
                let v = w.value.to_ascii_lowercase();
                if matches!(v.as_str(), "select" | "values" | "returning")
                    || (first_word
                        && matches!(
                            v.as_str(),
                            "update" | "delete" | "insert" | "with" | "explain" | "return"
                        ))
                {
                    in_query = true;
                }
                first_word = false;
            }
            Token::Whitespace(_) => {}
            _ => first_word = false,
        }
        if in_query && matches!(t.token, Token::CustomBinaryOperator(_)) {
            let prev = out
                .iter()
                .rev()
                .find(|p| !matches!(p.token, Token::Whitespace(_)));
            let prefix = match prev.map(|p| &p.token) {
                None | Some(Token::LParen | Token::Comma | Token::SemiColon) => true,
                Some(Token::CustomBinaryOperator(_)) => true,
                Some(Token::Word(w)) => {
                    w.quote_style.is_none()
                        && STARTS.iter().any(|s| w.value.eq_ignore_ascii_case(s))
                }
                _ => false,
            };
            if prefix {
                out.push(TokenWithSpan::new(
                    Token::Word(Word {
                        value: PREFIX_OPERATOR_MARKER.into(),
                        quote_style: Some('"'),
                        keyword: Keyword::NoKeyword,
                    }),
                    Span::empty(),
                ));
            }
        }
        out.push(t);
    }
    out
}

/// `TABLE name` (PostgreSQL's shorthand for `SELECT * FROM name`) where a
/// query starts: at a statement's start, after `(`, `AS`, a set operation,
/// EXPLAIN and its options, or the WITH list. sqlparser reads it only inside
/// a query, so its words are replaced by `SELECT * FROM` (with the TABLE
/// word's position, so that positions of what follows stay).
fn rewrite_table_command(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is_kw = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == k);
    let mut at = Vec::new();
    let mut prev: Option<usize> = None;
    for (i, t) in tokens.iter().enumerate() {
        if matches!(t.token, Token::Whitespace(_) | Token::EOF) {
            continue;
        }
        if is_kw(&t.token, Keyword::TABLE) {
            let starts_query = match prev.map(|p| &tokens[p].token) {
                None | Some(Token::SemiColon | Token::LParen | Token::RParen) => true,
                Some(p) => [
                    Keyword::AS,
                    Keyword::UNION,
                    Keyword::INTERSECT,
                    Keyword::EXCEPT,
                    Keyword::ALL,
                    Keyword::DISTINCT,
                    Keyword::EXPLAIN,
                    Keyword::ANALYZE,
                    Keyword::VERBOSE,
                ]
                .iter()
                .any(|k| is_kw(p, *k)),
            };
            // A name must follow (not `TABLE (`, as in RETURNS TABLE (...)).
            let next = tokens[i + 1..]
                .iter()
                .find(|t| !matches!(t.token, Token::Whitespace(_)));
            let named = next.is_some_and(|n| matches!(n.token, Token::Word(_)));
            if starts_query && named {
                at.push(i);
            }
        }
        prev = Some(i);
    }
    for &i in at.iter().rev() {
        let span = tokens[i].span;
        let space = || TokenWithSpan::new(Token::Whitespace(Whitespace::Space), span);
        tokens.splice(
            i..=i,
            [
                TokenWithSpan::new(word("SELECT", Keyword::SELECT), span),
                space(),
                TokenWithSpan::new(Token::Mul, span),
                space(),
                TokenWithSpan::new(word("FROM", Keyword::FROM), span),
            ],
        );
    }
    tokens
}

/// `CREATE POLICY p ON t AS x`: PostgreSQL's grammar takes any word for
/// `x` and refuses all but PERMISSIVE and RESTRICTIVE with an error of its
/// own (sqlparser would call it a syntax error).
fn check_policy_options(sql: &str, tokens: &[TokenWithSpan]) -> PgResult<()> {
    let sig: Vec<&TokenWithSpan> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let word = |i: usize| match sig.get(i).map(|t| &t.token) {
        Some(Token::Word(w)) => Some(w),
        _ => None,
    };
    let is = |i: usize, s: &str| {
        word(i).is_some_and(|w| w.quote_style.is_none() && w.value.eq_ignore_ascii_case(s))
    };
    for start in 0..sig.len() {
        if !(is(start, "create") && is(start + 1, "policy") && is(start + 3, "on")) {
            continue;
        }
        // The table name: words joined by periods.
        let mut at = start + 4;
        while sig.get(at + 1).is_some_and(|t| t.token == Token::Period) {
            at += 2;
        }
        at += 1;
        if !is(at, "as") {
            continue;
        }
        if let Some(w) = word(at + 1)
            && !is(at + 1, "permissive")
            && !is(at + 1, "restrictive")
        {
            let name = if w.quote_style.is_some() {
                w.value.clone()
            } else {
                w.value.to_lowercase()
            };
            let l = sig[at + 1].span.start;
            return Err(PgError::new(
                SqlState::SyntaxError,
                format!("unrecognized row security option \"{name}\""),
            )
            .with_hint("Only PERMISSIVE or RESTRICTIVE policies are supported currently.")
            .or_position(char_position(sql, l.line, l.column)));
        }
    }
    Ok(())
}

/// PostgreSQL's old `ALTER GROUP g ADD USER a, b` and `ALTER GROUP g DROP
/// USER a` are `GRANT g TO a, b` and `REVOKE g FROM a`: the words are
/// replaced in place (the extra ones by whitespace, so positions stay).
fn rewrite_alter_group(tokens: &mut [TokenWithSpan]) {
    let is = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == k);
    let blank = || Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    let mut start = true;
    for i in 0..tokens.len() {
        if tokens[i].token == Token::SemiColon {
            start = true;
            continue;
        }
        if matches!(tokens[i].token, Token::Whitespace(_)) {
            continue;
        }
        if !std::mem::replace(&mut start, false) || !is(&tokens[i].token, Keyword::ALTER) {
            continue;
        }
        // ALTER GROUP name {ADD | DROP} USER
        let sig: Vec<usize> = (i..tokens.len())
            .filter(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
            .take(5)
            .collect();
        let [alter, group, _name, action, user] = sig[..] else {
            continue;
        };
        if !is(&tokens[group].token, Keyword::GROUP) || !is(&tokens[user].token, Keyword::USER) {
            continue;
        }
        let (verb, prep) = if is(&tokens[action].token, Keyword::ADD) {
            (word("GRANT", Keyword::GRANT), word("TO", Keyword::TO))
        } else if is(&tokens[action].token, Keyword::DROP) {
            (word("REVOKE", Keyword::REVOKE), word("FROM", Keyword::FROM))
        } else {
            continue;
        };
        tokens[alter].token = verb;
        tokens[group].token = blank();
        tokens[action].token = prep;
        tokens[user].token = blank();
    }
}

/// The field name the planner reads as `(x).*`, all fields of a composite
/// value (`planner::analyze::rowtypes`).
pub const FIELD_STAR: &str = "*";

/// sqlparser accepts `.*` only after a name; PostgreSQL also after a
/// parenthesized expression, `(x).*`. The `*` of `) . *` becomes the quoted
/// identifier `"*"` (same span), which parses as a field selection the
/// planner expands.
fn rewrite_field_star(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(i, _)| i)
        .collect();
    for w in significant.windows(3) {
        if tokens[w[0]].token == Token::RParen
            && tokens[w[1]].token == Token::Period
            && tokens[w[2]].token == Token::Mul
        {
            tokens[w[2]].token = Token::Word(Word {
                value: FIELD_STAR.into(),
                quote_style: Some('"'),
                keyword: Keyword::NoKeyword,
            });
        }
    }
    tokens
}

/// sqlparser reads `CREATE USER` in Snowflake's form; PostgreSQL's is `CREATE
/// ROLE` whose LOGIN defaults to true. The `USER` token of such statements
/// becomes `ROLE` (same span, so error positions stay right); returns the
/// indexes of those statements among the non-empty ones, for the caller to
/// default their LOGIN.
fn rewrite_create_user(tokens: &mut [TokenWithSpan]) -> Vec<usize> {
    let mut rewritten = Vec::new();
    let mut index = 0;
    let mut words: Vec<usize> = Vec::new(); // significant tokens of the current statement
    let significant = |t: &Token| !matches!(t, Token::Whitespace(_));
    for i in 0..tokens.len() {
        if tokens[i].token == Token::SemiColon {
            if !words.is_empty() {
                index += 1;
            }
            words.clear();
            continue;
        }
        if !significant(&tokens[i].token) {
            continue;
        }
        words.push(i);
        if words.len() == 3 {
            let kw = |j: usize| match &tokens[words[j]].token {
                Token::Word(w) if w.quote_style.is_none() => w.keyword,
                _ => Keyword::NoKeyword,
            };
            if kw(0) == Keyword::CREATE && kw(1) == Keyword::USER && kw(2) != Keyword::MAPPING {
                tokens[words[1]].token = Token::Word(Word {
                    value: "ROLE".into(),
                    quote_style: None,
                    keyword: Keyword::ROLE,
                });
                rewritten.push(index);
            }
        }
    }
    rewritten
}

/// sqlparser has no CHECKPOINT statement. A statement that is just the word
/// `CHECKPOINT` becomes `CALL CHECKPOINT()` whose name token has an empty
/// span, which no token of the query text has, so [`is_checkpoint`] tells it
/// from a user's `CALL checkpoint()`.
fn rewrite_checkpoint(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    // The positions of lone CHECKPOINT words: the only significant token
    // between statement boundaries (the start, semicolons, the end).
    let mut lone = Vec::new();
    let mut first: Option<usize> = None;
    let mut count = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.token == Token::SemiColon {
            if let (1, Some(f)) = (count, first) {
                lone.push(f);
            }
            (first, count) = (None, 0);
        } else if significant(t) {
            first.get_or_insert(i);
            count += 1;
        }
    }
    if let (1, Some(f)) = (count, first) {
        lone.push(f);
    }
    lone.retain(|&i| matches!(&tokens[i].token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("checkpoint")));
    // Back to front, so that earlier positions stay valid.
    for &i in lone.iter().rev() {
        let span = tokens[i].span;
        tokens.splice(
            i..=i,
            [
                TokenWithSpan::new(word("CALL", Keyword::CALL), span),
                TokenWithSpan::new(word("CHECKPOINT", Keyword::NoKeyword), Span::empty()),
                TokenWithSpan::new(Token::LParen, span),
                TokenWithSpan::new(Token::RParen, span),
            ],
        );
    }
    tokens
}

/// sqlparser does not read `CREATE VIEW ... AS query WITH [CASCADED |
/// LOCAL] CHECK OPTION`: the clause becomes the equivalent option list
/// before AS, `WITH (check_option = 'cascaded')`, which it does read.
fn rewrite_view_check_option(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    for &start in statement_starts(&tokens).iter().rev() {
        if !word_is(&tokens[start], "create") {
            continue;
        }
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let sig: Vec<usize> = (start..end).filter(|&i| significant(&tokens[i])).collect();
        // CREATE [OR REPLACE] [TEMP | TEMPORARY] [RECURSIVE] VIEW
        let Some(view_at) = sig
            .iter()
            .take(6)
            .position(|&i| word_is(&tokens[i], "view"))
        else {
            continue;
        };
        let n = sig.len();
        if n < 4
            || !word_is(&tokens[sig[n - 1]], "option")
            || !word_is(&tokens[sig[n - 2]], "check")
        {
            continue;
        }
        let (with_at, kind) = if word_is(&tokens[sig[n - 3]], "with") {
            (n - 3, "cascaded")
        } else if n >= 5
            && word_is(&tokens[sig[n - 4]], "with")
            && (word_is(&tokens[sig[n - 3]], "cascaded") || word_is(&tokens[sig[n - 3]], "local"))
        {
            let k = if word_is(&tokens[sig[n - 3]], "local") {
                "local"
            } else {
                "cascaded"
            };
            (n - 4, k)
        } else {
            continue;
        };
        // The first AS outside parentheses after VIEW.
        let mut depth = 0usize;
        let mut as_at = None;
        for &i in &sig[view_at + 1..with_at] {
            match &tokens[i].token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                _ if depth == 0 && word_is(&tokens[i], "as") => {
                    as_at = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(as_at) = as_at else {
            continue;
        };
        let span = tokens[sig[with_at]].span;
        tokens.drain(sig[with_at]..end);
        let spanned_word = |value: &str, keyword| TokenWithSpan::new(word(value, keyword), span);
        let space = TokenWithSpan::new(
            Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
            span,
        );
        tokens.splice(
            as_at..as_at,
            [
                spanned_word("WITH", Keyword::WITH),
                TokenWithSpan::new(Token::LParen, span),
                spanned_word("check_option", Keyword::NoKeyword),
                TokenWithSpan::new(Token::Eq, span),
                TokenWithSpan::new(Token::SingleQuotedString(kind.into()), span),
                TokenWithSpan::new(Token::RParen, span),
                space,
            ],
        );
    }
    tokens
}

/// The option of `CREATE MATERIALIZED VIEW`'s option list that stands for
/// a clause sqlparser does not read (see [`rewrite_matview_clauses`]):
/// `WITH NO DATA` (the value `'true'`), `USING am` and `TABLESPACE ts` (the name).
pub const MATVIEW_NO_DATA_MARKER: &str = "\u{1}nodata";
pub const MATVIEW_USING_MARKER: &str = "\u{1}using";
pub const MATVIEW_TABLESPACE_MARKER: &str = "\u{1}tablespace";

/// sqlparser reads `CREATE MATERIALIZED VIEW name [(cols)] [WITH (...)] AS
/// query` but neither `USING am`, `TABLESPACE ts` before AS nor the final
/// `WITH [NO] DATA`: those clauses become marker options in the option
/// list (made or extended) before AS, which the command reads back.
fn rewrite_matview_clauses(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    for &start in statement_starts(&tokens).iter().rev() {
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let mut sig: Vec<usize> = (start..end).filter(|&i| significant(&tokens[i])).collect();
        // EXPLAIN [(options)] [ANALYZE] [VERBOSE] CREATE ...
        if word_is(&tokens[start], "explain") {
            let mut k = 1;
            if sig
                .get(1)
                .is_some_and(|&i| tokens[i].token == Token::LParen)
            {
                while k < sig.len() && tokens[sig[k]].token != Token::RParen {
                    k += 1;
                }
                k += 1;
            }
            while sig.get(k).is_some_and(|&i| {
                ["analyze", "analyse", "verbose"]
                    .iter()
                    .any(|w| word_is(&tokens[i], w))
            }) {
                k += 1;
            }
            sig.drain(..k.min(sig.len()));
        }
        if sig.len() < 4
            || !word_is(&tokens[sig[0]], "create")
            || !word_is(&tokens[sig[1]], "materialized")
            || !word_is(&tokens[sig[2]], "view")
        {
            continue;
        }
        // The first AS outside parentheses after VIEW.
        let mut depth = 0usize;
        let mut as_at = None;
        for (k, &i) in sig.iter().enumerate().skip(3) {
            match &tokens[i].token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                _ if depth == 0 && word_is(&tokens[i], "as") => {
                    as_at = Some(k);
                    break;
                }
                _ => {}
            }
        }
        let Some(as_k) = as_at else {
            continue;
        };
        let mut options: Vec<(&str, Option<String>)> = Vec::new();
        let mut remove: Vec<(usize, usize)> = Vec::new();
        // WITH [NO] DATA at the end.
        let n = sig.len();
        if n > as_k + 3 && word_is(&tokens[sig[n - 1]], "data") {
            if word_is(&tokens[sig[n - 2]], "with") {
                remove.push((sig[n - 2], end));
            } else if word_is(&tokens[sig[n - 2]], "no") && word_is(&tokens[sig[n - 3]], "with") {
                remove.push((sig[n - 3], end));
                options.push((MATVIEW_NO_DATA_MARKER, Some("true".to_owned())));
            }
        }
        // USING am and TABLESPACE ts before AS, and an option list to extend.
        let mut with_list = None;
        let mut depth = 0usize;
        let mut k = 3;
        while k < as_k {
            let i = sig[k];
            match &tokens[i].token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                _ if depth == 0
                    && (word_is(&tokens[i], "using") || word_is(&tokens[i], "tablespace"))
                    && k + 1 < as_k =>
                {
                    let name = match &tokens[sig[k + 1]].token {
                        Token::Word(w) if w.quote_style.is_some() => w.value.clone(),
                        Token::Word(w) => w.value.to_lowercase(),
                        _ => {
                            k += 1;
                            continue;
                        }
                    };
                    let marker = if word_is(&tokens[i], "using") {
                        MATVIEW_USING_MARKER
                    } else {
                        MATVIEW_TABLESPACE_MARKER
                    };
                    options.push((marker, Some(name)));
                    remove.push((i, sig[k + 1] + 1));
                    k += 2;
                    continue;
                }
                _ if depth == 0
                    && word_is(&tokens[i], "with")
                    && tokens[sig[k + 1]].token == Token::LParen =>
                {
                    with_list = Some(sig[k + 1]);
                }
                _ => {}
            }
            k += 1;
        }
        if options.is_empty() && remove.is_empty() {
            continue;
        }
        let span = tokens[sig[as_k]].span;
        let mut inserted: Vec<TokenWithSpan> = Vec::new();
        for (marker, value) in &options {
            inserted.push(TokenWithSpan::new(
                Token::Word(Word {
                    value: (*marker).into(),
                    quote_style: Some('"'),
                    keyword: Keyword::NoKeyword,
                }),
                span,
            ));
            if let Some(v) = value {
                inserted.push(TokenWithSpan::new(Token::Eq, span));
                inserted.push(TokenWithSpan::new(
                    Token::SingleQuotedString(v.clone()),
                    span,
                ));
            }
            inserted.push(TokenWithSpan::new(Token::Comma, span));
        }
        // Removals from the back keep the earlier positions valid.
        remove.sort_unstable();
        for &(from, to) in remove.iter().rev() {
            tokens.drain(from..to);
        }
        if options.is_empty() {
            continue;
        }
        let shift = |at: usize| {
            at - remove
                .iter()
                .filter(|r| r.1 <= at)
                .map(|r| r.1 - r.0)
                .sum::<usize>()
        };
        match with_list {
            Some(lparen) => {
                let at = shift(lparen) + 1;
                tokens.splice(at..at, inserted);
            }
            None => {
                inserted.pop();
                let at = shift(sig[as_k]);
                let mut list = vec![
                    TokenWithSpan::new(
                        Token::Word(Word {
                            value: "WITH".into(),
                            quote_style: None,
                            keyword: Keyword::WITH,
                        }),
                        span,
                    ),
                    TokenWithSpan::new(Token::LParen, span),
                ];
                list.extend(inserted);
                list.push(TokenWithSpan::new(Token::RParen, span));
                list.push(TokenWithSpan::new(
                    Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                    span,
                ));
                tokens.splice(at..at, list);
            }
        }
    }
    tokens
}

/// The positions of the significant tokens (no blanks) of the statement
/// that starts at `start`, up to its `;` or the end.
fn statement_words(tokens: &[TokenWithSpan], start: usize) -> Vec<usize> {
    let end = (start..tokens.len())
        .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
        .unwrap_or(tokens.len());
    (start..end)
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_) | Token::EOF))
        .collect()
}

/// Where each statement starts: the first significant token after the
/// start or a semicolon.
fn statement_starts(tokens: &[TokenWithSpan]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at_start = true;
    for (i, t) in tokens.iter().enumerate() {
        if t.token == Token::SemiColon {
            at_start = true;
        } else if at_start && !matches!(t.token, Token::Whitespace(_) | Token::EOF) {
            starts.push(i);
            at_start = false;
        }
    }
    starts
}

/// sqlparser has no REINDEX: `REINDEX [(options)] {INDEX | TABLE | SCHEMA |
/// DATABASE | SYSTEM} [CONCURRENTLY] name` becomes `CALL REINDEX_<KIND>(
/// [options,] ['CONCURRENTLY',] name)`, its marker word without a span so
/// that no user-written CALL is taken for it (see [`reindex_target`]).
fn rewrite_reindex(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let starts = statement_starts(&tokens);
    for &start in starts.iter().rev() {
        if !word_is(&tokens[start], "reindex") {
            continue;
        }
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let next = |from: usize| (from..end).find(|&i| significant(&tokens[i]));
        let Some(mut kind_at) = next(start + 1) else {
            continue;
        };
        // Options in parentheses: skipped here, refused at execution.
        let options = tokens[kind_at].token == Token::LParen;
        if options {
            let Some(close) = (kind_at..end).find(|&i| tokens[i].token == Token::RParen) else {
                continue;
            };
            let Some(k) = next(close + 1) else { continue };
            kind_at = k;
        }
        let Some(kind) = ["index", "table", "schema", "database", "system"]
            .into_iter()
            .find(|k| word_is(&tokens[kind_at], k))
        else {
            continue;
        };
        let concurrently = next(kind_at + 1).filter(|&i| word_is(&tokens[i], "concurrently"));
        let span = tokens[start].span;
        let word = |value: String, keyword| {
            Token::Word(Word {
                value,
                quote_style: None,
                keyword,
            })
        };
        tokens.insert(end, TokenWithSpan::new(Token::RParen, Span::empty()));
        if let Some(c) = concurrently {
            tokens.splice(
                c..=c,
                [
                    TokenWithSpan::new(
                        Token::SingleQuotedString("CONCURRENTLY".into()),
                        tokens[c].span,
                    ),
                    TokenWithSpan::new(Token::Comma, Span::empty()),
                ],
            );
        }
        let mut head = vec![
            TokenWithSpan::new(word("CALL".into(), Keyword::CALL), span),
            TokenWithSpan::new(
                word(
                    format!("REINDEX_{}", kind.to_uppercase()),
                    Keyword::NoKeyword,
                ),
                Span::empty(),
            ),
            TokenWithSpan::new(Token::LParen, span),
        ];
        if options {
            head.push(TokenWithSpan::new(
                Token::SingleQuotedString("OPTIONS".into()),
                span,
            ));
            head.push(TokenWithSpan::new(Token::Comma, Span::empty()));
        }
        tokens.splice(start..=kind_at, head);
    }
    tokens
}

/// sqlparser knows only FOR UPDATE and FOR SHARE: `FOR NO KEY UPDATE` and
/// `FOR KEY SHARE` become those, with the real strength carried as a first
/// `OF` name that no user can write (it holds a control character), which
/// the planner reads and strips (`planner::KEY_LOCK_MARKERS`).
fn rewrite_key_locks(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let mut edits: Vec<(usize, usize, &str)> = Vec::new(); // (first removed, the UPDATE/SHARE token, marker)
    for (n, &i) in significant.iter().enumerate() {
        if !word_is(&tokens[i], "for") {
            continue;
        }
        let at = |k: usize, w: &str| {
            significant
                .get(n + k)
                .is_some_and(|&j| word_is(&tokens[j], w))
        };
        if at(1, "no") && at(2, "key") && at(3, "update") {
            edits.push((
                significant[n + 1],
                significant[n + 3],
                planner::KEY_LOCK_MARKERS[0],
            ));
        } else if at(1, "key") && at(2, "share") {
            edits.push((
                significant[n + 1],
                significant[n + 2],
                planner::KEY_LOCK_MARKERS[1],
            ));
        }
    }
    for &(from, kw, marker) in edits.iter().rev() {
        let next =
            ((kw + 1)..tokens.len()).find(|&i| !matches!(tokens[i].token, Token::Whitespace(_)));
        let has_of = next.is_some_and(|i| word_is(&tokens[i], "of"));
        let mark = TokenWithSpan::new(
            Token::Word(Word {
                value: marker.into(),
                quote_style: Some('"'),
                keyword: Keyword::NoKeyword,
            }),
            Span::empty(),
        );
        let space = TokenWithSpan::new(
            Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
            Span::empty(),
        );
        match (has_of, next) {
            (true, Some(of)) => {
                // OF name -> OF <marker>.name
                tokens.splice(
                    of + 1..of + 1,
                    [
                        space.clone(),
                        mark,
                        TokenWithSpan::new(Token::Period, Span::empty()),
                    ],
                );
            }
            _ => {
                let of = TokenWithSpan::new(
                    Token::Word(Word {
                        value: "OF".into(),
                        quote_style: None,
                        keyword: Keyword::OF,
                    }),
                    Span::empty(),
                );
                tokens.splice(kw + 1..kw + 1, [space.clone(), of, space, mark]);
            }
        }
        // Drop NO KEY / KEY (with the whitespace after them).
        tokens.drain(from..kw);
    }
    tokens
}

/// The last name of a DROP INDEX that was written `DROP INDEX CONCURRENTLY`
/// (sqlparser has no such form): a name nobody can write, as it holds a
/// control character (see [`rewrite_drop_index_concurrently`]).
pub const DROP_CONCURRENTLY_MARKER: &str = "\u{1}concurrently";

/// `DROP INDEX CONCURRENTLY [IF EXISTS] name [, ...] [CASCADE | RESTRICT]`
/// becomes the same statement without CONCURRENTLY and with
/// [`DROP_CONCURRENTLY_MARKER`] as one more name after the others.
fn rewrite_drop_index_concurrently(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let starts = statement_starts(&tokens);
    for &start in starts.iter().rev() {
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let words: Vec<usize> = (start..end).filter(|&i| significant(&tokens[i])).collect();
        let [drop, index, concurrently, ..] = words[..] else {
            continue;
        };
        if !(word_is(&tokens[drop], "drop")
            && word_is(&tokens[index], "index")
            && word_is(&tokens[concurrently], "concurrently"))
        {
            continue;
        }
        let last = words[words.len() - 1];
        let at = if word_is(&tokens[last], "cascade") || word_is(&tokens[last], "restrict") {
            last
        } else {
            end
        };
        let space = TokenWithSpan::new(
            Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
            Span::empty(),
        );
        tokens.splice(
            at..at,
            [
                TokenWithSpan::new(Token::Comma, Span::empty()),
                TokenWithSpan::new(
                    Token::Word(Word {
                        value: DROP_CONCURRENTLY_MARKER.into(),
                        quote_style: Some('"'),
                        keyword: Keyword::NoKeyword,
                    }),
                    Span::empty(),
                ),
                space,
            ],
        );
        tokens.remove(concurrently);
    }
    tokens
}

/// `PARTITION BY RANGE (a int4_ops, b text_pattern_ops)`: sqlparser reads
/// the key as a function call's arguments, where an operator class cannot
/// follow an argument, so each key's trailing opclass name is dropped
/// (every type here has one B-tree and one hash operator class, and text
/// compares bytewise whatever its opclass says).
fn rewrite_partition_opclasses(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let sig: Vec<usize> = (0..tokens.len())
        .filter(|&i| significant(&tokens[i]))
        .collect();
    let mut drop = Vec::new();
    for w in sig.windows(4) {
        let [p, b, strategy, open] = w else { continue };
        if !(word_is(&tokens[*p], "partition")
            && word_is(&tokens[*b], "by")
            && ["range", "list", "hash"]
                .iter()
                .any(|s| word_is(&tokens[*strategy], s))
            && tokens[*open].token == Token::LParen)
        {
            continue;
        }
        // The key list: elements at depth 1 up to the matching `)`.
        let mut depth = 0;
        let mut element: Vec<usize> = Vec::new();
        let start = sig.iter().position(|i| i == open).unwrap_or(0);
        for &i in &sig[start..] {
            match tokens[i].token {
                Token::LParen => {
                    depth += 1;
                    if depth == 1 {
                        continue;
                    }
                }
                Token::RParen => {
                    depth -= 1;
                }
                _ => {}
            }
            let end_of_element = depth == 0 || (depth == 1 && tokens[i].token == Token::Comma);
            if end_of_element {
                if let [.., before, last] = element.as_slice()
                    && matches!(&tokens[*last].token, Token::Word(x) if x.keyword == sqlparser::keywords::Keyword::NoKeyword || x.value.to_ascii_lowercase().ends_with("_ops"))
                    && (matches!(tokens[*before].token, Token::Word(_) | Token::RParen))
                    && !word_is(&tokens[*before], "collate")
                {
                    drop.push(*last);
                }
                element.clear();
                if depth == 0 {
                    break;
                }
                continue;
            }
            element.push(i);
        }
    }
    drop.sort_unstable();
    for i in drop.into_iter().rev() {
        tokens.remove(i);
    }
    tokens
}

/// The column list sqlparser is given for `FORCE_QUOTE *` of COPY (it
/// takes only a list): a name nobody can write.
pub const FORCE_QUOTE_ALL_MARKER: &str = "\u{1}all";

/// COPY options as PostgreSQL writes them that sqlparser does not read:
/// `FREEZE on`, `HEADER off` (booleans as on/off/1/0) become true/false,
/// and `FORCE_QUOTE *` becomes a list of [`FORCE_QUOTE_ALL_MARKER`].
fn rewrite_copy_options(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let starts = statement_starts(&tokens);
    for &start in starts.iter().rev() {
        if !word_is(&tokens[start], "copy") {
            continue;
        }
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let words: Vec<usize> = (start..end).filter(|&i| significant(&tokens[i])).collect();
        for pair in words.windows(2).rev() {
            let (option, value) = (pair[0], pair[1]);
            if word_is(&tokens[option], "freeze") || word_is(&tokens[option], "header") {
                let truth = match &tokens[value].token {
                    Token::Word(w) if w.quote_style.is_none() => {
                        match w.value.to_lowercase().as_str() {
                            "on" => Some(true),
                            "off" => Some(false),
                            _ => None,
                        }
                    }
                    Token::Number(n, _) if n == "1" || n == "0" => Some(n == "1"),
                    _ => None,
                };
                if let Some(t) = truth {
                    let word = if t { "true" } else { "false" };
                    tokens[value].token = Token::Word(Word {
                        value: word.into(),
                        quote_style: None,
                        keyword: if t { Keyword::TRUE } else { Keyword::FALSE },
                    });
                }
            } else if word_is(&tokens[option], "force_quote") && tokens[value].token == Token::Mul {
                let span = tokens[value].span;
                tokens.splice(
                    value..=value,
                    [
                        TokenWithSpan::new(Token::LParen, span),
                        TokenWithSpan::new(
                            Token::Word(Word {
                                value: FORCE_QUOTE_ALL_MARKER.into(),
                                quote_style: Some('"'),
                                keyword: Keyword::NoKeyword,
                            }),
                            span,
                        ),
                        TokenWithSpan::new(Token::RParen, span),
                    ],
                );
            }
        }
    }
    tokens
}

/// The start of the comment a column's `COMPRESSION method` clause becomes
/// (followed by the method's name): a text nobody writes, as it holds a
/// control character.
pub const COLUMN_COMPRESSION_MARKER: &str = "\u{1}compression ";

/// `COMPRESSION method` after a column's type in CREATE TABLE and ALTER
/// TABLE ... ADD [COLUMN] (which sqlparser does not read) becomes the column
/// option `COMMENT '<COLUMN_COMPRESSION_MARKER>method'`, which it does. A
/// word `compression` that starts a column definition (a column of that
/// name) or follows SET, INCLUDING or EXCLUDING is left alone.
fn rewrite_column_compression(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let starts = statement_starts(&tokens);
    for &start in starts.iter().rev() {
        let words = statement_words(&tokens, start);
        let is_table_ddl = (word_is(&tokens[start], "create") || word_is(&tokens[start], "alter"))
            && words.iter().take(6).any(|&i| word_is(&tokens[i], "table"));
        if !is_table_ddl {
            continue;
        }
        for k in (2..words.len().saturating_sub(1)).rev() {
            let (at, method) = (words[k], words[k + 1]);
            let prev = &tokens[words[k - 1]];
            let at_element_start = matches!(prev.token, Token::LParen | Token::Comma)
                || [
                    "add",
                    "column",
                    "set",
                    "including",
                    "excluding",
                    "table",
                    "exists",
                ]
                .iter()
                .any(|w| word_is(prev, w));
            if !word_is(&tokens[at], "compression") || at_element_start {
                continue;
            }
            let Token::Word(m) = &tokens[method].token else {
                continue;
            };
            let text = format!(
                "{COLUMN_COMPRESSION_MARKER}{}",
                if m.quote_style.is_some() {
                    format!("\"{}\"", m.value)
                } else {
                    m.value.clone()
                }
            );
            let span = tokens[at].span;
            tokens.splice(
                at..=method,
                [
                    TokenWithSpan::new(
                        Token::Word(Word {
                            value: "COMMENT".into(),
                            quote_style: None,
                            keyword: Keyword::COMMENT,
                        }),
                        span,
                    ),
                    TokenWithSpan::new(Token::Whitespace(Whitespace::Space), span),
                    TokenWithSpan::new(Token::SingleQuotedString(text), span),
                ],
            );
        }
    }
    tokens
}

/// The type sqlparser is given for each column of `CREATE TABLE name (a, b)
/// AS ...`, whose column list has names only (sqlparser requires types): a
/// name nobody can write, as it holds a control character.
pub const CTAS_COLUMN_MARKER: &str = "\u{1}ctas";

/// `CREATE TABLE [IF NOT EXISTS] name (a, b, ...) AS query` becomes the same
/// with [`CTAS_COLUMN_MARKER`] as the type of each column.
fn rewrite_ctas_columns(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let is_name = |t: &TokenWithSpan| matches!(&t.token, Token::Word(_));
    for &start in statement_starts(&tokens).iter().rev() {
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let w: Vec<usize> = (start..end)
            .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
            .collect();
        if w.len() < 6 || !word_is(&tokens[w[0]], "create") || !word_is(&tokens[w[1]], "table") {
            continue;
        }
        let mut k = 2;
        if w.len() > 5
            && word_is(&tokens[w[2]], "if")
            && word_is(&tokens[w[3]], "not")
            && word_is(&tokens[w[4]], "exists")
        {
            k = 5;
        }
        // The table name: a word, or schema.word.
        if !w.get(k).is_some_and(|&i| is_name(&tokens[i])) {
            continue;
        }
        k += 1;
        if w.get(k).is_some_and(|&i| tokens[i].token == Token::Period) {
            if !w.get(k + 1).is_some_and(|&i| is_name(&tokens[i])) {
                continue;
            }
            k += 2;
        }
        if w.get(k).is_none_or(|&i| tokens[i].token != Token::LParen) {
            continue;
        }
        // name (, name)* ) AS
        let mut columns = Vec::new();
        let mut j = k + 1;
        let closed = loop {
            match w.get(j) {
                Some(&i) if is_name(&tokens[i]) => columns.push(i),
                _ => break false,
            }
            match w.get(j + 1) {
                Some(&i) if tokens[i].token == Token::Comma => j += 2,
                Some(&i) if tokens[i].token == Token::RParen => break true,
                _ => break false,
            }
        };
        if !closed || !w.get(j + 2).is_some_and(|&i| word_is(&tokens[i], "as")) {
            continue;
        }
        for &i in columns.iter().rev() {
            tokens.splice(
                i + 1..i + 1,
                [
                    TokenWithSpan::new(
                        Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                        Span::empty(),
                    ),
                    TokenWithSpan::new(
                        Token::Word(Word {
                            value: CTAS_COLUMN_MARKER.into(),
                            quote_style: Some('"'),
                            keyword: Keyword::NoKeyword,
                        }),
                        Span::empty(),
                    ),
                ],
            );
        }
    }
    tokens
}

/// The start of the name of a column that stands for a `LIKE source
/// [INCLUDING | EXCLUDING option] ...` element of CREATE TABLE: the rest of
/// the name is the options (`INCLUDING DEFAULTS EXCLUDING INDEXES ...`), the
/// column's type is the source's name.
pub const LIKE_MARKER: &str = "\u{1}like";

/// `CREATE [TEMP | UNLOGGED] TABLE [IF NOT EXISTS] name (..., LIKE source
/// options, ...)`: sqlparser reads LIKE only as the single element, with
/// DEFAULTS as its only option, so each LIKE element becomes a column named
/// [`LIKE_MARKER`] and its options, of the source's name as type.
fn rewrite_table_like(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    for &start in statement_starts(&tokens).iter().rev() {
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let w: Vec<usize> = (start..end)
            .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
            .collect();
        if w.is_empty() || !word_is(&tokens[w[0]], "create") {
            continue;
        }
        let mut k = 1;
        while w.get(k).is_some_and(|&i| {
            ["global", "local", "temp", "temporary", "unlogged"]
                .iter()
                .any(|x| word_is(&tokens[i], x))
        }) {
            k += 1;
        }
        if !w.get(k).is_some_and(|&i| word_is(&tokens[i], "table")) {
            continue;
        }
        k += 1;
        if w.len() > k + 3
            && word_is(&tokens[w[k]], "if")
            && word_is(&tokens[w[k + 1]], "not")
            && word_is(&tokens[w[k + 2]], "exists")
        {
            k += 3;
        }
        // The name (word or schema.word), then the element list's `(`.
        k += 1;
        if w.get(k).is_some_and(|&i| tokens[i].token == Token::Period) {
            k += 2;
        }
        let open = k;
        if w.get(open)
            .is_none_or(|&i| tokens[i].token != Token::LParen)
        {
            continue;
        }
        // Top-level elements: [from, to) ranges of `w` positions.
        let mut elements = Vec::new();
        let mut depth = 0usize;
        let mut from = open + 1;
        for j in open + 1..w.len() {
            match tokens[w[j]].token {
                Token::LParen => depth += 1,
                Token::RParen if depth == 0 => {
                    elements.push((from, j));
                    break;
                }
                Token::RParen => depth -= 1,
                Token::Comma if depth == 0 => {
                    elements.push((from, j));
                    from = j + 1;
                }
                _ => {}
            }
        }
        for &(from, to) in elements.iter().rev() {
            if to <= from + 1 || !word_is(&tokens[w[from]], "like") {
                continue;
            }
            // LIKE name [. name] then (INCLUDING | EXCLUDING) word pairs.
            let mut j = from + 2;
            if j + 1 < to && tokens[w[j]].token == Token::Period {
                j += 2;
            }
            let name_end = j;
            let mut options = Vec::new();
            let mut ok = true;
            while j < to {
                let pair = (w.get(j), w.get(j + 1));
                match pair {
                    (Some(&a), Some(&b))
                        if j + 1 < to
                            && (word_is(&tokens[a], "including")
                                || word_is(&tokens[a], "excluding"))
                            && matches!(&tokens[b].token, Token::Word(x) if x.quote_style.is_none()) =>
                    {
                        options.push(format!("{} {}", tokens[a].token, tokens[b].token));
                        j += 2;
                    }
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                continue;
            }
            let span = tokens[w[from]].span;
            let mut replacement = vec![
                TokenWithSpan::new(
                    Token::Word(Word {
                        value: format!("{LIKE_MARKER} {}", options.join(" ")),
                        quote_style: Some('"'),
                        keyword: Keyword::NoKeyword,
                    }),
                    span,
                ),
                TokenWithSpan::new(
                    Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                    Span::empty(),
                ),
            ];
            replacement.extend(tokens[w[from + 1]..=w[name_end - 1]].iter().cloned());
            tokens.splice(w[from]..=w[to - 1], replacement);
        }
    }
    tokens
}

/// What a REINDEX statement asks for (see [`rewrite_reindex`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reindex {
    /// `INDEX`, `TABLE`, `SCHEMA`, `DATABASE` or `SYSTEM`.
    pub kind: String,
    /// The object's name parts (empty for `SYSTEM` without a name).
    pub name: Vec<String>,
    pub concurrently: bool,
    /// Parenthesized options were given.
    pub options: bool,
}

/// The REINDEX statement `stmt` stands for, if it is one.
pub fn reindex_target(stmt: &Statement) -> Option<Reindex> {
    use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Value};
    let Statement::Call(f) = stmt else {
        return None;
    };
    let [part] = f.name.0.as_slice() else {
        return None;
    };
    let id = part.as_ident()?;
    let kind = id
        .value
        .strip_prefix("REINDEX_")
        .filter(|_| id.span == Span::empty())?
        .to_owned();
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let mut r = Reindex {
        kind,
        name: Vec::new(),
        concurrently: false,
        options: false,
    };
    for arg in &list.args {
        let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg else {
            return None;
        };
        match e {
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) if s == "CONCURRENTLY" => r.concurrently = true,
                Value::SingleQuotedString(s) if s == "OPTIONS" => r.options = true,
                _ => return None,
            },
            Expr::Identifier(i) => r.name = vec![fold(i)],
            Expr::CompoundIdentifier(parts) => r.name = parts.iter().map(fold).collect(),
            _ => return None,
        }
    }
    Some(r)
}

pub(crate) fn fold(id: &sqlparser::ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// sqlparser has no ALTER SEQUENCE and no SET CONSTRAINTS: such a
/// statement becomes `CALL ALTER_SEQUENCE('<its text>')` (or
/// `SET_CONSTRAINTS`), the marker word without a span (see
/// [`text_statement`]); the command reads the text.
fn rewrite_text_statements(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let starts = statement_starts(&tokens);
    for &start in starts.iter().rev() {
        // A lone word (`VACUUM`) has no second one: its statement's end.
        let mut kind_at = (start + 1..tokens.len())
            .find(|&i| significant(&tokens[i]))
            .unwrap_or(tokens.len() - 1);
        // ALTER FOREIGN TABLE is ALTER TABLE (of a foreign table), except
        // for its OPTIONS (...), which the foreign-data commands read.
        let mut foreign_options = false;
        if word_is(&tokens[start], "alter") && word_is(&tokens[kind_at], "foreign") {
            let sig: Vec<usize> = (kind_at..tokens.len())
                .take_while(|&i| tokens[i].token != Token::SemiColon)
                .filter(|&i| significant(&tokens[i]))
                .take(8)
                .collect();
            if sig.len() > 2 && word_is(&tokens[sig[1]], "table") {
                let mut k = 2;
                if word_is(&tokens[sig[k]], "if") {
                    k += 2;
                }
                // the name: [schema .] name
                k += 1;
                if sig
                    .get(k)
                    .is_some_and(|&i| tokens[i].token == Token::Period)
                {
                    k += 2;
                }
                if sig.get(k).is_some_and(|&i| word_is(&tokens[i], "options")) {
                    foreign_options = true;
                } else {
                    tokens[kind_at].token =
                        Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
                    kind_at = sig[1];
                }
            }
        }
        let marker = if foreign_options
            || (word_is(&tokens[start], "import") && word_is(&tokens[kind_at], "foreign"))
        {
            FOREIGN_MARKER
        } else if ["vacuum", "analyze", "analyse"]
            .iter()
            .any(|w| word_is(&tokens[start], w))
        {
            VACUUM_MARKER
        } else if word_is(&tokens[start], "alter") && word_is(&tokens[kind_at], "sequence") {
            ALTER_SEQUENCE_MARKER
        } else if word_is(&tokens[start], "fetch") || word_is(&tokens[start], "move") {
            FETCH_MARKER
        } else if word_is(&tokens[start], "set") && word_is(&tokens[kind_at], "constraints") {
            SET_CONSTRAINTS_MARKER
        } else if word_is(&tokens[start], "do") {
            DO_MARKER
        } else if word_is(&tokens[start], "comment") && word_is(&tokens[kind_at], "on") {
            COMMENT_MARKER
        } else if ["create", "alter", "drop"]
            .iter()
            .any(|w| word_is(&tokens[start], w))
            && word_is(&tokens[kind_at], "domain")
        {
            DOMAIN_MARKER
        } else if ["create", "alter", "drop"]
            .iter()
            .any(|w| word_is(&tokens[start], w))
            && {
                // FOREIGN DATA WRAPPER, SERVER, USER MAPPING
                let sig: Vec<usize> = (kind_at..tokens.len())
                    .filter(|&i| significant(&tokens[i]))
                    .take(3)
                    .collect();
                let at = |k: usize, w: &str| sig.get(k).is_some_and(|&i| word_is(&tokens[i], w));
                (at(0, "foreign") && at(1, "data"))
                    || (word_is(&tokens[start], "create") && at(0, "foreign") && at(1, "table"))
                    || at(0, "server")
                    || (at(0, "user") && at(1, "mapping") && (at(2, "for") || at(2, "if")))
            }
        {
            FOREIGN_MARKER
        } else if ["create", "alter", "drop"]
            .iter()
            .any(|w| word_is(&tokens[start], w))
            && (word_is(&tokens[kind_at], "publication")
                || word_is(&tokens[kind_at], "subscription"))
        {
            PUBLICATION_MARKER
        } else if ["create", "alter", "drop"]
            .iter()
            .any(|w| word_is(&tokens[start], w))
            && (word_is(&tokens[kind_at], "aggregate") || {
                // CREATE OR REPLACE AGGREGATE
                let sig: Vec<usize> = (kind_at..tokens.len())
                    .filter(|&i| significant(&tokens[i]))
                    .take(3)
                    .collect();
                word_is(&tokens[start], "create")
                    && sig.len() == 3
                    && word_is(&tokens[sig[0]], "or")
                    && word_is(&tokens[sig[1]], "replace")
                    && word_is(&tokens[sig[2]], "aggregate")
            })
        {
            AGGREGATE_MARKER
        } else if ["create", "alter", "drop"]
            .iter()
            .any(|w| word_is(&tokens[start], w))
            && word_is(&tokens[kind_at], "statistics")
        {
            STATISTICS_MARKER
        } else if (word_is(&tokens[start], "drop") || word_is(&tokens[start], "reassign"))
            && word_is(&tokens[kind_at], "owned")
        {
            OWNED_MARKER
        } else if word_is(&tokens[start], "alter") && word_is(&tokens[kind_at], "default") {
            DEFAULT_PRIVILEGES_MARKER
        } else if (word_is(&tokens[start], "grant") || word_is(&tokens[start], "revoke")) && {
            let sig = statement_words(&tokens, start);
            sig.windows(2).any(|w| {
                word_is(&tokens[w[0]], "on")
                    && ["type", "domain", "language", "foreign"]
                        .iter()
                        .any(|k| word_is(&tokens[w[1]], k))
            })
        } {
            GRANT_ON_TYPE_MARKER
        } else if word_is(&tokens[start], "alter") && word_is(&tokens[kind_at], "type") && {
            let sig = statement_words(&tokens, start);
            sig.windows(2).any(|w| {
                (["add", "drop", "rename", "alter"]
                    .iter()
                    .any(|a| word_is(&tokens[w[0]], a))
                    && word_is(&tokens[w[1]], "attribute"))
                    || (word_is(&tokens[w[0]], "owner") && word_is(&tokens[w[1]], "to"))
                    || (word_is(&tokens[w[0]], "set") && word_is(&tokens[w[1]], "schema"))
            })
        } {
            ALTER_TYPE_ATTRIBUTE_MARKER
        } else if word_is(&tokens[start], "alter") && word_is(&tokens[kind_at], "table") && {
            let sig = statement_words(&tokens, start);
            sig.windows(2)
                .any(|w| word_is(&tokens[w[0]], "set") && word_is(&tokens[w[1]], "schema"))
        } {
            ALTER_TABLE_SET_SCHEMA_MARKER
        } else if word_is(&tokens[start], "alter") && word_is(&tokens[kind_at], "table") && {
            let sig = statement_words(&tokens, start);
            sig.windows(2)
                .any(|w| word_is(&tokens[w[0]], "set") && word_is(&tokens[w[1]], "statistics"))
        } {
            ALTER_TABLE_SET_STATISTICS_MARKER
        } else if word_is(&tokens[start], "alter") && word_is(&tokens[kind_at], "table") && {
            let sig = statement_words(&tokens, start);
            // ALTER [COLUMN] name DROP EXPRESSION (not DROP of a column
            // called expression).
            sig.windows(4).any(|w| {
                (word_is(&tokens[w[0]], "alter") || word_is(&tokens[w[0]], "column"))
                    && word_is(&tokens[w[2]], "drop")
                    && word_is(&tokens[w[3]], "expression")
            })
        } {
            ALTER_TABLE_DROP_EXPRESSION_MARKER
        } else if word_is(&tokens[start], "alter") && word_is(&tokens[kind_at], "table") && {
            let sig = statement_words(&tokens, start);
            // ALTER [COLUMN] name SET (...) / RESET (...) / SET STORAGE x /
            // SET COMPRESSION m
            sig.windows(4).any(|w| {
                (word_is(&tokens[w[0]], "alter") || word_is(&tokens[w[0]], "column"))
                    && ((word_is(&tokens[w[2]], "set") || word_is(&tokens[w[2]], "reset"))
                        && tokens[w[3]].token == Token::LParen
                        || word_is(&tokens[w[2]], "set")
                            && (word_is(&tokens[w[3]], "storage")
                                || word_is(&tokens[w[3]], "compression")))
            })
        } {
            ALTER_TABLE_COLUMN_OPTIONS_MARKER
        } else if word_is(&tokens[start], "alter") && word_is(&tokens[kind_at], "index") && {
            let sig = statement_words(&tokens, start);
            // SET (...) / RESET (...) of storage parameters
            sig.windows(2).any(|w| {
                (word_is(&tokens[w[0]], "set") || word_is(&tokens[w[0]], "reset"))
                    && tokens[w[1]].token == Token::LParen
            })
        } {
            ALTER_INDEX_OPTIONS_MARKER
        } else {
            continue;
        };
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        // A statement that reads its own end keeps its `;`, so that a
        // statement cut short is a syntax error at or near ";" as in
        // PostgreSQL.
        let text_end = if marker == STATISTICS_MARKER
            && tokens.get(end).is_some_and(|t| t.token == Token::SemiColon)
        {
            end + 1
        } else {
            end
        };
        let mut text: String = tokens[start..text_end]
            .iter()
            .map(|t| t.token.to_string())
            .collect();
        if marker == STATISTICS_MARKER {
            // Spaces in place of what precedes the statement, so that a
            // syntax error's position in the text is the one in the query.
            let before: usize = tokens[..start]
                .iter()
                .map(|t| t.token.to_string().chars().count())
                .sum();
            text.insert_str(0, &" ".repeat(before));
        }
        let span = tokens[start].span;
        tokens.splice(
            start..end,
            [
                TokenWithSpan::new(word("CALL", Keyword::CALL), span),
                TokenWithSpan::new(word(marker, Keyword::NoKeyword), Span::empty()),
                TokenWithSpan::new(Token::LParen, span),
                TokenWithSpan::new(Token::SingleQuotedString(text), span),
                TokenWithSpan::new(Token::RParen, span),
            ],
        );
    }
    tokens
}

/// The SET option that marks a CREATE FUNCTION made of `CREATE PROCEDURE`,
/// and the first name part that marks an ALTER FUNCTION made of `ALTER
/// PROCEDURE` (see [`rewrite_procedures`]).
pub const PROCEDURE_MARKER: &str = "\u{1}procedure";
/// The first name part of an ALTER FUNCTION made of `ALTER ROUTINE`.
pub const ROUTINE_MARKER: &str = "\u{1}routine";

/// sqlparser reads PostgreSQL's CREATE PROCEDURE as SQL Server's and has
/// no ALTER PROCEDURE: `CREATE [OR REPLACE] PROCEDURE name (args) ...`
/// becomes `CREATE ... FUNCTION name (args) SET "<marker>" TO DEFAULT ...`
/// (a procedure has no RETURNS, which then is the syntax error it is), and
/// `ALTER PROCEDURE | ROUTINE name ...` becomes `ALTER FUNCTION
/// "<marker>".name ...`; the commands take the markers out.
fn rewrite_procedures(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    if !tokens
        .iter()
        .any(|t| word_is(t, "procedure") || word_is(t, "routine"))
    {
        return tokens;
    }
    let word = |value: &str, keyword, quoted: bool| {
        Token::Word(Word {
            value: value.into(),
            quote_style: quoted.then_some('"'),
            keyword,
        })
    };
    let space = || Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    for start in statement_starts(&tokens).into_iter().rev() {
        let sig: Vec<usize> = (start..tokens.len())
            .filter(|&i| significant(&tokens[i]))
            .take(4)
            .collect();
        let create = word_is(&tokens[start], "create");
        let alter = word_is(&tokens[start], "alter");
        // DROP ROUTINE a, b: DROP FUNCTION "<marker>", a, b.
        if word_is(&tokens[start], "drop")
            && let Some(&kind) = sig.get(1)
            && word_is(&tokens[kind], "routine")
        {
            let span = tokens[kind].span;
            tokens[kind].token = word("FUNCTION", Keyword::FUNCTION, false);
            // After IF EXISTS, if any.
            let at = match (sig.get(2), sig.get(3)) {
                (Some(&i), Some(&e))
                    if word_is(&tokens[i], "if") && word_is(&tokens[e], "exists") =>
                {
                    e
                }
                _ => kind,
            };
            let marker = [
                TokenWithSpan::new(space(), span),
                TokenWithSpan::new(
                    word(ROUTINE_MARKER, Keyword::NoKeyword, true),
                    Span::empty(),
                ),
                TokenWithSpan::new(Token::Comma, Span::empty()),
            ];
            tokens.splice(at + 1..at + 1, marker);
            continue;
        }
        if !create && !alter {
            continue;
        }
        let kind_at = match sig.as_slice() {
            [_, or, replace, kind, ..]
                if create
                    && word_is(&tokens[*or], "or")
                    && word_is(&tokens[*replace], "replace") =>
            {
                *kind
            }
            [_, kind, ..] => *kind,
            _ => continue,
        };
        let marker = if word_is(&tokens[kind_at], "procedure") {
            PROCEDURE_MARKER
        } else if alter && word_is(&tokens[kind_at], "routine") {
            ROUTINE_MARKER
        } else {
            continue;
        };
        let span = tokens[kind_at].span;
        tokens[kind_at].token = word("FUNCTION", Keyword::FUNCTION, false);
        if alter {
            let marker_tokens = [
                TokenWithSpan::new(space(), span),
                TokenWithSpan::new(word(marker, Keyword::NoKeyword, true), Span::empty()),
                TokenWithSpan::new(Token::Period, Span::empty()),
            ];
            tokens.splice(kind_at + 1..kind_at + 1, marker_tokens);
            continue;
        }
        // After the argument list: the first parenthesis and its match.
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let Some(open) = (kind_at..end).find(|&i| tokens[i].token == Token::LParen) else {
            continue;
        };
        let mut depth = 0usize;
        let mut close = None;
        for (i, t) in tokens.iter().enumerate().take(end).skip(open) {
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(close) = close else {
            continue;
        };
        let set = [
            TokenWithSpan::new(space(), Span::empty()),
            TokenWithSpan::new(word("SET", Keyword::SET, false), Span::empty()),
            TokenWithSpan::new(space(), Span::empty()),
            TokenWithSpan::new(
                word(PROCEDURE_MARKER, Keyword::NoKeyword, true),
                Span::empty(),
            ),
            TokenWithSpan::new(space(), Span::empty()),
            TokenWithSpan::new(word("TO", Keyword::TO, false), Span::empty()),
            TokenWithSpan::new(space(), Span::empty()),
            TokenWithSpan::new(word("DEFAULT", Keyword::DEFAULT, false), Span::empty()),
        ];
        tokens.splice(close + 1..close + 1, set);
    }
    tokens
}

/// The first character of the names of the SET options that carry the
/// attributes of CREATE FUNCTION sqlparser does not read (see
/// [`rewrite_function_attributes`]).
pub const ATTRIBUTE_MARKER: char = '\u{1}';

/// sqlparser's CREATE FUNCTION has no `[NOT] LEAKPROOF`, `COST n`, `ROWS n`
/// nor `WINDOW`: after the argument list (and before a `RETURN` or `BEGIN
/// ATOMIC` body) each becomes `SET "<marker>name" TO value` (`'on'` /
/// `'off'`, the number, DEFAULT), which the command reads back.
fn rewrite_function_attributes(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    if !tokens.iter().any(|t| {
        ["leakproof", "cost", "rows", "window"]
            .iter()
            .any(|w| word_is(t, w))
    }) {
        return tokens;
    }
    let word = |value: &str, keyword, quoted: bool| {
        Token::Word(Word {
            value: value.into(),
            quote_style: quoted.then_some('"'),
            keyword,
        })
    };
    let space = || Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    for start in statement_starts(&tokens).into_iter().rev() {
        if !word_is(&tokens[start], "create") {
            continue;
        }
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let sig: Vec<usize> = (start..end).filter(|&i| significant(&tokens[i])).collect();
        let Some(kind) = sig
            .iter()
            .take(4)
            .position(|&i| word_is(&tokens[i], "function"))
        else {
            continue;
        };
        let Some(open) = sig[kind..]
            .iter()
            .position(|&i| tokens[i].token == Token::LParen)
            .map(|p| kind + p)
        else {
            continue;
        };
        // Past the argument list, at depth 0: (first, last, name, value).
        let mut depth = 0usize;
        let mut k = open;
        while k < sig.len() {
            match tokens[sig[k]].token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                _ => {}
            }
            k += 1;
            if depth == 0 {
                break;
            }
        }
        let mut found: Vec<(usize, usize, &str, Token)> = Vec::new();
        while k < sig.len() {
            let t = &tokens[sig[k]];
            if word_is(t, "return") || word_is(t, "begin") {
                break;
            }
            let next = sig.get(k + 1).map(|&i| &tokens[i]);
            if word_is(t, "not") && next.is_some_and(|n| word_is(n, "leakproof")) {
                found.push((
                    sig[k],
                    sig[k + 1],
                    "leakproof",
                    Token::SingleQuotedString("off".into()),
                ));
                k += 2;
                continue;
            }
            if word_is(t, "leakproof") {
                found.push((
                    sig[k],
                    sig[k],
                    "leakproof",
                    Token::SingleQuotedString("on".into()),
                ));
            } else if word_is(t, "window") {
                found.push((
                    sig[k],
                    sig[k],
                    "window",
                    word("DEFAULT", Keyword::DEFAULT, false),
                ));
            } else if (word_is(t, "cost") || word_is(t, "rows"))
                && let Some(Token::Number(n, long)) = next.map(|n| &n.token)
            {
                let name = if word_is(t, "cost") { "cost" } else { "rows" };
                found.push((sig[k], sig[k + 1], name, Token::Number(n.clone(), *long)));
                k += 2;
                continue;
            }
            k += 1;
        }
        for (first, last, name, value) in found.into_iter().rev() {
            let span = tokens[first].span;
            let set = [
                TokenWithSpan::new(word("SET", Keyword::SET, false), span),
                TokenWithSpan::new(space(), span),
                TokenWithSpan::new(
                    word(
                        &format!("{ATTRIBUTE_MARKER}{name}"),
                        Keyword::NoKeyword,
                        true,
                    ),
                    span,
                ),
                TokenWithSpan::new(space(), span),
                TokenWithSpan::new(word("TO", Keyword::TO, false), span),
                TokenWithSpan::new(space(), span),
                TokenWithSpan::new(value, span),
            ];
            tokens.splice(first..=last, set);
        }
    }
    tokens
}

/// `VARIADIC expr` as the last argument of a call (the array itself, not
/// its elements), which sqlparser does not read: the expression becomes the
/// argument of a call of [`planner::VARIADIC_MARKER`], which the analyzer
/// unwraps; `VARIADIC name => expr` wraps the named argument's value.
/// Signatures keep their VARIADIC (`rewrite_arg_modes` and sqlparser read
/// it): the parameter list of CREATE FUNCTION / PROCEDURE / AGGREGATE, and
/// every statement that names functions by signature (ALTER, DROP, COMMENT
/// ON, GRANT and REVOKE of a FUNCTION, PROCEDURE, AGGREGATE or ROUTINE).
fn rewrite_variadic_calls(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !tokens.iter().any(|t| word_is(t, "variadic")) {
        return tokens;
    }
    // (the VARIADIC token, where the marker's call opens, the parenthesis
    // that closes the argument list)
    let mut edits: Vec<(usize, usize, usize)> = Vec::new();
    for start in statement_starts(&tokens) {
        let words = statement_words(&tokens, start);
        let first_paren = words
            .iter()
            .position(|&i| tokens[i].token == Token::LParen)
            .unwrap_or(words.len());
        let names_functions = words[..first_paren].iter().any(|&i| {
            [
                "function",
                "functions",
                "procedure",
                "procedures",
                "aggregate",
                "routine",
                "routines",
            ]
            .iter()
            .any(|w| word_is(&tokens[i], w))
        });
        // Up to which word VARIADIC belongs to a signature.
        let signature_end = match names_functions {
            false => 0,
            true if word_is(&tokens[start], "create") => {
                let mut depth = 0usize;
                words[first_paren..]
                    .iter()
                    .position(|&i| {
                        match tokens[i].token {
                            Token::LParen => depth += 1,
                            Token::RParen => depth = depth.saturating_sub(1),
                            _ => {}
                        }
                        depth == 0
                    })
                    .map_or(words.len(), |k| first_paren + k)
            }
            true => words.len(),
        };
        // Open parentheses: where each is among `words`, and the VARIADIC
        // argument found in it.
        let mut open: Vec<(usize, Option<(usize, usize)>)> = Vec::new();
        for (n, &i) in words.iter().enumerate() {
            match tokens[i].token {
                Token::LParen => open.push((n, None)),
                Token::RParen => {
                    if let Some((_, Some((variadic, opens)))) = open.pop() {
                        edits.push((variadic, opens, i));
                    }
                }
                _ if n > signature_end
                    && word_is(&tokens[i], "variadic")
                    && n > 0
                    && matches!(tokens[words[n - 1]].token, Token::LParen | Token::Comma)
                    // A call: its parenthesis follows the function's name.
                    && open.last().is_some_and(|&(o, _)| {
                        o > 0 && matches!(tokens[words[o - 1]].token, Token::Word(_))
                    }) =>
                {
                    // `VARIADIC name => expr`: the call opens after the arrow.
                    let opens = match (words.get(n + 1), words.get(n + 2)) {
                        (Some(&name), Some(&arrow))
                            if matches!(tokens[name].token, Token::Word(_))
                                && tokens[arrow].token == Token::RArrow =>
                        {
                            arrow
                        }
                        _ => i,
                    };
                    if let Some(last) = open.last_mut() {
                        last.1 = Some((i, opens));
                    }
                }
                _ => {}
            }
        }
    }
    if edits.is_empty() {
        return tokens;
    }
    let marker = || {
        Token::Word(Word {
            value: planner::VARIADIC_MARKER.into(),
            quote_style: Some('"'),
            keyword: Keyword::NoKeyword,
        })
    };
    let mut out = Vec::with_capacity(tokens.len() + 3 * edits.len());
    for (i, t) in tokens.into_iter().enumerate() {
        let span = t.span;
        if edits.iter().any(|e| e.2 == i) {
            out.push(TokenWithSpan::new(Token::RParen, span));
        }
        match edits.iter().find(|e| e.0 == i) {
            // The VARIADIC word itself: the marker's call, or a space
            // before `name =>`.
            Some(e) if e.1 == i => {
                out.push(TokenWithSpan::new(marker(), span));
                out.push(TokenWithSpan::new(Token::LParen, span));
            }
            Some(_) => out.push(TokenWithSpan::new(
                Token::Whitespace(Whitespace::Space),
                span,
            )),
            None => {
                let opens = edits.iter().any(|e| e.1 == i && e.0 != i);
                out.push(t);
                if opens {
                    out.push(TokenWithSpan::new(marker(), span));
                    out.push(TokenWithSpan::new(Token::LParen, span));
                }
            }
        }
    }
    out
}

/// PostgreSQL takes an argument's mode before or after its name (`OUT b
/// int` and `b OUT int`); sqlparser only before: in the argument list of
/// CREATE FUNCTION (and so of CREATE PROCEDURE) `name mode type` becomes
/// `mode name type`.
fn rewrite_arg_modes(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let is_mode = |t: &TokenWithSpan| {
        ["in", "out", "inout", "variadic"]
            .iter()
            .any(|m| word_is(t, m))
    };
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    for start in statement_starts(&tokens) {
        if !word_is(&tokens[start], "create") {
            continue;
        }
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let sig: Vec<usize> = (start..end).filter(|&i| significant(&tokens[i])).collect();
        let Some(kind) = sig
            .iter()
            .take(4)
            .position(|&i| word_is(&tokens[i], "function"))
        else {
            continue;
        };
        let Some(open) = sig[kind..]
            .iter()
            .position(|&i| tokens[i].token == Token::LParen)
        else {
            continue;
        };
        let mut depth = 0usize;
        let mut arg_start = true;
        let mut k = kind + open;
        while k < sig.len() {
            let i = sig[k];
            match tokens[i].token {
                Token::LParen => {
                    depth += 1;
                    arg_start = depth == 1;
                    k += 1;
                    continue;
                }
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Token::Comma if depth == 1 => {
                    arg_start = true;
                    k += 1;
                    continue;
                }
                _ => {}
            }
            if arg_start
                && depth == 1
                && !is_mode(&tokens[i])
                && matches!(tokens[i].token, Token::Word(_))
                && let (Some(&m), Some(&after)) = (sig.get(k + 1), sig.get(k + 2))
                && is_mode(&tokens[m])
                && !matches!(tokens[after].token, Token::Comma | Token::RParen)
            {
                let name = tokens[i].token.clone();
                tokens[i].token = tokens[m].token.clone();
                tokens[m].token = name;
            }
            arg_start = false;
            k += 1;
        }
    }
    tokens
}

/// String constants continued on the next line (`'first' <newline>
/// 'second'`, the SQL standard's way to split a long constant), which
/// sqlparser reads as two constants: one constant. Only spaces, tabs and a
/// newline (then `--` comments) may separate the pieces.
fn rewrite_string_continuations(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if let Some(prev) = out.last_mut()
            && matches!(
                (&prev.token, &t.token),
                (Token::SingleQuotedString(_), Token::Whitespace(_))
                    | (Token::EscapedStringLiteral(_), Token::Whitespace(_))
            )
        {
            // Whitespace after a constant: horizontal space, a newline, then
            // any space or `--` comment, up to the next constant of the kind.
            let mut j = i;
            let mut newline = false;
            while let Some(Token::Whitespace(w)) = tokens.get(j).map(|t| &t.token) {
                match w {
                    Whitespace::Space | Whitespace::Tab => {}
                    Whitespace::Newline => newline = true,
                    Whitespace::SingleLineComment { prefix, .. } if newline && prefix == "--" => {}
                    _ => break,
                }
                j += 1;
            }
            let next = tokens.get(j).map(|t| &t.token);
            let joined = match (&mut prev.token, next) {
                (Token::SingleQuotedString(a), Some(Token::SingleQuotedString(b)))
                | (Token::EscapedStringLiteral(a), Some(Token::EscapedStringLiteral(b)))
                    if newline =>
                {
                    a.push_str(b);
                    true
                }
                _ => false,
            };
            if joined {
                i = j + 1;
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

/// `U&'...'` string constants and `U&"..."` identifiers with Unicode escapes
/// (`\XXXX`, `\+XXXXXX`, or another escape character given by a following
/// `UESCAPE 'c'`), which sqlparser reads as a word, `&` and a constant:
/// the constant or identifier they stand for, or PostgreSQL's error with
/// the position of the faulty escape.
fn rewrite_unicode_escapes(
    sql: &str,
    mut tokens: Vec<TokenWithSpan>,
) -> PgResult<Vec<TokenWithSpan>> {
    let is_u = |t: &Token| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("u"));
    let mut i = 0;
    while i < tokens.len() {
        // sqlparser reads U&'...' itself (with the default escape only), and
        // U&"..." as a word, `&` and a quoted identifier.
        let (ident, body_token) = if matches!(tokens[i].token, Token::UnicodeStringLiteral(_)) {
            (false, i)
        } else if i + 2 < tokens.len()
            && is_u(&tokens[i].token)
            && tokens[i + 1].token == Token::Ampersand
            && tokens[i].span.end == tokens[i + 1].span.start
            && tokens[i + 1].span.end == tokens[i + 2].span.start
            && matches!(&tokens[i + 2].token, Token::Word(w) if w.quote_style == Some('"'))
        {
            (true, i + 2)
        } else {
            i += 1;
            continue;
        };
        let next_solid = |from: usize| {
            (from..tokens.len()).find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
        };
        // An optional UESCAPE 'c'.
        let mut escape = '\\';
        let mut end = body_token + 1;
        if let Some(u) = next_solid(body_token + 1)
            && matches!(&tokens[u].token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("uescape"))
        {
            let e = next_solid(u + 1).unwrap_or(tokens.len() - 1);
            let at = position(sql, tokens[e].span);
            let Token::SingleQuotedString(c) = &tokens[e].token else {
                return Err(PgError::syntax(
                    format!(
                        "UESCAPE must be followed by a simple string literal at or near \"{}\"",
                        tokens[e].token
                    ),
                    at,
                ));
            };
            let mut chars = c.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None)
                    if !c.is_ascii_hexdigit()
                        && !matches!(c, '+' | '\'' | '"')
                        && !c.is_whitespace() =>
                {
                    escape = c;
                }
                _ => {
                    return Err(PgError::syntax(
                        format!(
                            "invalid Unicode escape character at or near \"{}\"",
                            tokens[e].token
                        ),
                        at,
                    ));
                }
            }
            end = e + 1;
        }
        // The body as written, after its opening quote.
        let quote_at = position(sql, tokens[i].span).map_or(1, |p| p + 2);
        let value = unicode_unescape(&quoted_body(sql, quote_at), escape)?;
        let span = tokens[i].span;
        tokens[i] = TokenWithSpan::new(
            if ident {
                Token::Word(Word {
                    value,
                    quote_style: Some('"'),
                    keyword: Keyword::NoKeyword,
                })
            } else {
                Token::SingleQuotedString(value)
            },
            span,
        );
        tokens.drain(i + 1..end);
        i += 1;
    }
    Ok(tokens)
}

/// The characters of the quoted text whose opening quote is character
/// `quote_at` (from 1) of `sql`, each with its position, up to the closing
/// quote (a doubled quote is one quote character).
fn quoted_body(sql: &str, quote_at: usize) -> Vec<(char, usize)> {
    let mut chars = sql.chars().enumerate().skip(quote_at - 1).peekable();
    let Some((_, quote)) = chars.next() else {
        return Vec::new();
    };
    let mut body = Vec::new();
    while let Some((k, c)) = chars.next() {
        if c == quote {
            if chars.peek().map(|&(_, d)| d) == Some(quote) {
                chars.next();
            } else {
                break;
            }
        }
        body.push((c, k + 1));
    }
    body
}

/// Where the last `U&'` before `stop` (a character position from 1) starts:
/// its index in `chars`.
fn unicode_constant_start(chars: &[char], stop: usize) -> Option<usize> {
    let ident_char = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    (0..stop.min(chars.len())).rev().find(|&k| {
        matches!(
            (chars.get(k), chars.get(k + 1), chars.get(k + 2)),
            (Some('u' | 'U'), Some('&'), Some('\''))
        ) && (k == 0 || !ident_char(chars[k - 1]))
    })
}

/// `sql` with the `U&'...' UESCAPE 'c'` constant the tokenizer stopped in
/// replaced by the plain constant it stands for (and spaces), or None if
/// the constant has no UESCAPE clause.
fn uescape_constant(
    sql: &str,
    e: &sqlparser::tokenizer::TokenizerError,
) -> PgResult<Option<String>> {
    let Some(stop) = char_position(sql, e.location.line, e.location.column) else {
        return Ok(None);
    };
    let chars: Vec<char> = sql.chars().collect();
    let Some(start) = unicode_constant_start(&chars, stop) else {
        return Ok(None);
    };
    let body = quoted_body(sql, start + 3);
    // Index of the closing quote, then `UESCAPE 'c'` after white space.
    let mut k = body.last().map_or(start + 3, |&(_, at)| at);
    let skip_space = |mut k: usize| {
        while chars.get(k).is_some_and(|c| c.is_whitespace()) {
            k += 1;
        }
        k
    };
    k = skip_space(k + 1);
    let word: String = chars.iter().skip(k).take(7).collect();
    if !word.eq_ignore_ascii_case("uescape") {
        return Ok(None);
    }
    k = skip_space(k + 7);
    let (Some('\''), Some(&c), Some('\'')) = (chars.get(k), chars.get(k + 1), chars.get(k + 2))
    else {
        return Ok(None);
    };
    if c.is_ascii_hexdigit() || matches!(c, '+' | '\'' | '"') || c.is_whitespace() {
        return Ok(None);
    }
    let value = unicode_unescape(&body, c)?;
    let end = k + 3;
    let mut constant = format!("'{}'", value.replace('\'', "''"));
    let width = end - start;
    let length = constant.chars().count();
    if length > width {
        return Ok(None);
    }
    constant.extend(std::iter::repeat_n(' ', width - length));
    let mut out: String = chars[..start].iter().collect();
    out.push_str(&constant);
    out.extend(&chars[end..]);
    Ok(Some(out))
}

/// PostgreSQL's error for a string constant sqlparser could not read: a
/// `U&'...'` or `E'...'` constant with a faulty Unicode escape. The
/// constant is the last one starting before where the tokenizer stopped.
fn literal_error(sql: &str, e: &sqlparser::tokenizer::TokenizerError) -> Option<PgError> {
    let stop = char_position(sql, e.location.line, e.location.column)?;
    let chars: Vec<char> = sql.chars().collect();
    let ident_char = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let start = (0..stop.min(chars.len())).rev().find(|&k| {
        let before_ok = k == 0 || !ident_char(chars[k - 1]);
        match (chars.get(k), chars.get(k + 1), chars.get(k + 2)) {
            (Some('u' | 'U'), Some('&'), Some('\'')) => before_ok,
            (Some('e' | 'E'), Some('\''), _) => before_ok,
            _ => false,
        }
    })?;
    if chars[start + 1] == '&' {
        unicode_unescape(&quoted_body(sql, start + 3), '\\').err()
    } else {
        escape_string_error(&chars, start + 2)
    }
}

/// The error in the Unicode escapes (`\uXXXX`, `\UXXXXXXXX`) of the
/// `E'...'` constant whose opening quote is at index `quote` of `chars`.
fn escape_string_error(chars: &[char], quote: usize) -> Option<PgError> {
    let hex = |from: usize, n: usize| -> Option<u32> {
        let digits = chars.get(from..from + n)?;
        digits
            .iter()
            .try_fold(0u32, |acc, c| c.to_digit(16).map(|d| acc * 16 + d))
    };
    // What PostgreSQL's lexer reads at index `k`: an escape, else one character.
    let near = |k: usize| -> String {
        let n = match (chars.get(k), chars.get(k + 1)) {
            (Some('\\'), Some('u')) if hex(k + 2, 4).is_some() => 6,
            (Some('\\'), Some('U')) if hex(k + 2, 8).is_some() => 10,
            _ => 1,
        };
        chars
            .get(k..k + n)
            .map(|c| c.iter().collect())
            .unwrap_or_default()
    };
    let invalid_pair = |k: usize| {
        PgError::syntax(
            format!("invalid Unicode surrogate pair at or near \"{}\"", near(k)),
            Some(k + 1),
        )
    };
    let mut pair_first = false;
    let mut k = quote + 1;
    while k < chars.len() {
        let c = chars[k];
        let escape = c == '\\' && matches!(chars.get(k + 1), Some('u' | 'U'));
        if pair_first && !escape {
            return Some(invalid_pair(k));
        }
        if c == '\'' {
            if chars.get(k + 1) == Some(&'\'') {
                k += 2;
                continue;
            }
            return None;
        }
        if c != '\\' {
            k += 1;
            continue;
        }
        if !escape {
            k += 2;
            continue;
        }
        let width = if chars[k + 1] == 'u' { 4 } else { 8 };
        let Some(code) = hex(k + 2, width) else {
            return Some(
                PgError::syntax("invalid Unicode escape", Some(k + 1))
                    .with_hint("Unicode escapes must be \\uXXXX or \\UXXXXXXXX."),
            );
        };
        if code == 0 || code > 0x10FFFF {
            return Some(PgError::syntax(
                format!("invalid Unicode escape value at or near \"{}\"", near(k)),
                Some(k + 1),
            ));
        }
        let second = (0xDC00..=0xDFFF).contains(&code);
        if second != pair_first {
            return Some(invalid_pair(k));
        }
        pair_first = (0xD800..=0xDBFF).contains(&code);
        k += 2 + width;
    }
    None
}

/// The text of a `U&` constant's body (each character with its position
/// in the statement, for errors) with its escapes decoded.
fn unicode_unescape(body: &[(char, usize)], escape: char) -> PgResult<String> {
    let invalid_pair = |at: usize| PgError::syntax("invalid Unicode surrogate pair", Some(at));
    let hex = |from: usize, n: usize| -> Option<u32> {
        let digits = body.get(from..from + n)?;
        digits
            .iter()
            .try_fold(0u32, |acc, &(c, _)| c.to_digit(16).map(|d| acc * 16 + d))
    };
    let mut out = String::with_capacity(body.len());
    let mut pair_first: Option<u32> = None;
    let mut i = 0;
    while i < body.len() {
        let (c, at) = body[i];
        if c != escape {
            if pair_first.is_some() {
                return Err(invalid_pair(at));
            }
            out.push(c);
            i += 1;
            continue;
        }
        if body.get(i + 1).map(|&(d, _)| d) == Some(escape) {
            if pair_first.is_some() {
                return Err(invalid_pair(at));
            }
            out.push(escape);
            i += 2;
            continue;
        }
        let (code, width) = if let Some(v) = hex(i + 1, 4) {
            (v, 5)
        } else if let (Some(('+', _)), Some(v)) = (body.get(i + 1), hex(i + 2, 6)) {
            (v, 8)
        } else {
            return Err(PgError::syntax("invalid Unicode escape", Some(at))
                .with_hint("Unicode escapes must be \\XXXX or \\+XXXXXX."));
        };
        if code == 0 || code > 0x10FFFF {
            return Err(PgError::syntax("invalid Unicode escape value", Some(at)));
        }
        let second = (0xDC00..=0xDFFF).contains(&code);
        let code = match pair_first.take() {
            Some(first) if second => 0x10000 + ((first - 0xD800) << 10) + (code - 0xDC00),
            Some(_) => return Err(invalid_pair(at)),
            None if second => return Err(invalid_pair(at)),
            None => code,
        };
        if (0xD800..=0xDBFF).contains(&code) {
            pair_first = Some(code);
        } else {
            out.push(char::from_u32(code).ok_or_else(|| invalid_pair(at))?);
        }
        i += width;
    }
    if pair_first.is_some() {
        let end = body.last().map_or(1, |&(_, at)| at + 1);
        return Err(invalid_pair(end));
    }
    Ok(out)
}

/// `SUBSTRING(s SIMILAR p ESCAPE e)`, which sqlparser does not read,
/// becomes `SUBSTRING(s FROM p FOR e)`: PostgreSQL reads both as the call
/// `substring(s, p, e)` (with text arguments, the SIMILAR substring).
fn rewrite_substring_similar(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is_word = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !tokens.iter().any(|t| is_word(&t.token, "similar")) {
        return tokens;
    }
    let mut i = 0;
    while i < tokens.len() {
        if !is_word(&tokens[i].token, "substring") {
            i += 1;
            continue;
        }
        let Some(open) = (i + 1..tokens.len())
            .find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
            .filter(|&j| tokens[j].token == Token::LParen)
        else {
            i += 1;
            continue;
        };
        let mut depth = 0usize;
        let mut similar = None;
        let mut escape = None;
        let mut j = open;
        while j < tokens.len() {
            match &tokens[j].token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                t if depth == 1 && similar.is_none() && is_word(t, "similar") => {
                    similar = Some(j);
                }
                t if depth == 1 && similar.is_some() && is_word(t, "escape") => {
                    escape = Some(j);
                }
                _ => {}
            }
            j += 1;
        }
        if let (Some(s), Some(e)) = (similar, escape) {
            tokens[s].token = word("FROM", Keyword::FROM);
            tokens[e].token = word("FOR", Keyword::FOR);
        }
        i = open + 1;
    }
    tokens
}

/// PostgreSQL's postfix `x ISNULL` and `x NOTNULL`, which sqlparser reads
/// as aliases: they become `IS NULL` and `IS NOT NULL`.
fn rewrite_isnull(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is_word = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !tokens
        .iter()
        .any(|t| is_word(t, "isnull") || is_word(t, "notnull"))
    {
        return tokens;
    }
    let space = || Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    let mut out = Vec::with_capacity(tokens.len() + 4);
    for t in tokens {
        let negated = is_word(&t, "notnull");
        if negated || is_word(&t, "isnull") {
            let span = t.span;
            out.push(TokenWithSpan::new(word("IS", Keyword::IS), span));
            out.push(TokenWithSpan::new(space(), span));
            if negated {
                out.push(TokenWithSpan::new(word("NOT", Keyword::NOT), span));
                out.push(TokenWithSpan::new(space(), span));
            }
            out.push(TokenWithSpan::new(word("NULL", Keyword::NULL), span));
        } else {
            out.push(t);
        }
    }
    out
}

/// The SEARCH and CYCLE clauses of a `WITH RECURSIVE` query (`name AS
/// (...) SEARCH DEPTH FIRST BY a SET ord CYCLE a SET c USING p`), which
/// sqlparser does not read, become whitespace; the analyzer reads them
/// back from the query text after the query's closing parenthesis
/// (`planner::analyze::search_cycle`).
///
/// Whether `sql` has such clauses:
pub fn has_search_cycle(sql: &str) -> bool {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location() else {
        return false;
    };
    let before = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .count();
    let after = rewrite_search_cycle(tokens)
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .count();
    before != after
}

/// (See [`has_search_cycle`], which tells whether a text has such a
/// clause.)
fn rewrite_search_cycle(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !tokens
        .iter()
        .any(|t| word_is(&t.token, "search") || word_is(&t.token, "cycle"))
    {
        return tokens;
    }
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let tok = |k: usize| significant.get(k).map(|&i| &tokens[i].token);
    let mut blank = Vec::new();
    let mut k = 0;
    while k + 1 < significant.len() {
        if tok(k) != Some(&Token::RParen) {
            k += 1;
            continue;
        }
        let mut j = k + 1;
        loop {
            let start = j;
            let is_search = tok(j).is_some_and(|t| word_is(t, "search"))
                && tok(j + 1).is_some_and(|t| word_is(t, "depth") || word_is(t, "breadth"));
            let is_cycle = tok(j).is_some_and(|t| word_is(t, "cycle"))
                && tok(j + 1).is_some_and(|t| matches!(t, Token::Word(_)))
                && tok(j + 2).is_some_and(|t| *t == Token::Comma || word_is(t, "set"));
            if !is_search && !is_cycle {
                break;
            }
            // The clause ends with the name after SET (SEARCH) or USING
            // (CYCLE), at this parenthesis depth.
            let last_word = if is_search { "set" } else { "using" };
            let mut depth = 0usize;
            let mut end = None;
            let mut m = j + 1;
            while let Some(t) = tok(m) {
                match t {
                    Token::LParen => depth += 1,
                    Token::RParen if depth == 0 => break,
                    Token::RParen => depth -= 1,
                    Token::SemiColon => break,
                    t if depth == 0 && word_is(t, last_word) => {
                        end = Some(m + 1);
                        break;
                    }
                    _ => {}
                }
                m += 1;
            }
            let Some(end) = end.filter(|&e| e < significant.len()) else {
                break;
            };
            blank.extend(significant[start..=end].iter().copied());
            j = end + 1;
        }
        k = j.max(k + 1);
    }
    for i in blank {
        tokens[i].token = Token::Whitespace(Whitespace::Space);
    }
    tokens
}

/// Two parts of a window's frame clause that sqlparser does not read:
///
/// 1. `EXCLUDE CURRENT ROW | GROUP | TIES | NO OTHERS` becomes whitespace,
///    and the window's name (or, without one, a name put first in the
///    parentheses) becomes one quoted name,
///    `planner::WINDOW_EXCLUDE_MARKER`, the exclusion, a `\u{1}` and the
///    folded window name, which the analyzer reads back.
/// 2. A frame offset that starts with a string literal (`'1 year'::interval
///    PRECEDING`), which sqlparser reads as an INTERVAL literal only, is put
///    in parentheses.
///
/// A window's parentheses are those after OVER, or after AS (a WINDOW
/// clause's) whose content does not start a query.
fn rewrite_window_frames(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !tokens.iter().any(|t| {
        ["rows", "range", "groups"]
            .iter()
            .any(|w| word_is(&t.token, w))
    }) {
        return tokens;
    }
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_) | Token::EOF))
        .collect();
    let word_at = |tokens: &[TokenWithSpan], n: usize, w: &str| {
        significant
            .get(n)
            .is_some_and(|&i| word_is(&tokens[i].token, w))
    };
    // (insert before token index, token)
    let mut inserts: Vec<(usize, Token)> = Vec::new();
    // Per open parenthesis: (significant index of it, is a window, mode
    // keyword seen, significant index of an offset's open parenthesis).
    let mut stack: Vec<(usize, bool, bool)> = Vec::new();
    let mut wrap_open = false;
    let mut n = 0;
    while n < significant.len() {
        let i = significant[n];
        let in_window = stack.last().is_some_and(|s| s.1);
        match &tokens[i].token {
            Token::LParen => {
                let prev = n.checked_sub(1).map(|p| &tokens[significant[p]].token);
                let window = prev.is_some_and(|t| word_is(t, "over"))
                    || (prev.is_some_and(|t| word_is(t, "as"))
                        && ![
                            "select", "values", "with", "insert", "update", "delete", "table",
                        ]
                        .iter()
                        .any(|w| word_at(&tokens, n + 1, w))
                        && significant
                            .get(n + 1)
                            .is_some_and(|&j| tokens[j].token != Token::LParen));
                stack.push((n, window, false));
            }
            Token::RParen => {
                stack.pop();
            }
            Token::Word(_) if in_window => {
                let top = stack.len() - 1;
                if ["rows", "range", "groups"]
                    .iter()
                    .any(|w| word_is(&tokens[i].token, w))
                {
                    stack[top].2 = true;
                }
                let bound_start = stack[top].2
                    && ["rows", "range", "groups", "between", "and"]
                        .iter()
                        .any(|w| word_is(&tokens[i].token, w));
                if bound_start
                    && let Some(&j) = significant.get(n + 1)
                    && matches!(tokens[j].token, Token::SingleQuotedString(_))
                {
                    inserts.push((j, Token::LParen));
                    wrap_open = true;
                }
                if wrap_open
                    && (word_is(&tokens[i].token, "preceding")
                        || word_is(&tokens[i].token, "following"))
                {
                    inserts.push((i, Token::RParen));
                    wrap_open = false;
                }
                if word_is(&tokens[i].token, "exclude") {
                    let (kind, len) = if word_at(&tokens, n + 1, "current")
                        && word_at(&tokens, n + 2, "row")
                    {
                        ("current row", 3)
                    } else if word_at(&tokens, n + 1, "group") {
                        ("group", 2)
                    } else if word_at(&tokens, n + 1, "ties") {
                        ("ties", 2)
                    } else if word_at(&tokens, n + 1, "no") && word_at(&tokens, n + 1 + 1, "others")
                    {
                        ("no others", 3)
                    } else {
                        n += 1;
                        continue;
                    };
                    for k in n..n + len {
                        tokens[significant[k]].token = Token::Whitespace(Whitespace::Space);
                    }
                    if kind != "no others" {
                        let open = stack[top].0;
                        let first = significant[open + 1];
                        let named = match &tokens[first].token {
                            Token::Word(w) => {
                                w.quote_style.is_some()
                                    || !matches!(
                                        w.keyword,
                                        Keyword::PARTITION
                                            | Keyword::ORDER
                                            | Keyword::ROWS
                                            | Keyword::RANGE
                                            | Keyword::GROUPS
                                    )
                            }
                            _ => false,
                        };
                        let mut value = format!("{}{kind}\u{1}", planner::WINDOW_EXCLUDE_MARKER);
                        if named && let Token::Word(w) = &mut tokens[first].token {
                            if w.quote_style.is_some() {
                                value.push_str(&w.value);
                            } else {
                                value.push_str(&w.value.to_lowercase());
                            }
                            w.value = value;
                            w.quote_style = Some('"');
                            w.keyword = Keyword::NoKeyword;
                        } else {
                            inserts.push((
                                first,
                                Token::Word(Word {
                                    value,
                                    quote_style: Some('"'),
                                    keyword: Keyword::NoKeyword,
                                }),
                            ));
                            inserts.push((first, Token::Whitespace(Whitespace::Space)));
                        }
                    }
                    n += len;
                    continue;
                }
            }
            _ => {}
        }
        n += 1;
    }
    inserts.sort_by_key(|(i, _)| *i);
    for (i, t) in inserts.into_iter().rev() {
        let span = tokens[i].span;
        tokens.insert(i, TokenWithSpan::new(t, span));
    }
    tokens
}

/// `SEQUENCE NAME s` among an identity column's sequence options (which
/// pg_dump writes in `ALTER COLUMN ... ADD GENERATED ... AS IDENTITY (...)`)
/// is dropped, as sqlparser does not read it: the sequence gets the name
/// PostgreSQL would choose, `<table>_<column>_seq`, which is what pg_dump
/// names unless the sequence was renamed.
/// TODO(identity sequence name): keep the name given.
fn rewrite_identity_sequence_name(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is_word = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !tokens.iter().any(|t| is_word(t, "identity")) {
        return tokens;
    }
    let significant = |tokens: &[TokenWithSpan], from: usize| {
        (from..tokens.len()).find(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
    };
    let mut out = tokens;
    let mut i = 0;
    while i < out.len() {
        // IDENTITY ( ... SEQUENCE NAME a.b ... )
        let open = if is_word(&out[i], "identity") {
            significant(&out, i + 1).filter(|&j| out[j].token == Token::LParen)
        } else {
            None
        };
        let Some(open) = open else {
            i += 1;
            continue;
        };
        let mut j = open + 1;
        while let Some(k) = significant(&out, j) {
            if out[k].token == Token::RParen {
                break;
            }
            let name = significant(&out, k + 1).filter(|&n| is_word(&out[n], "name"));
            if let (true, Some(n)) = (is_word(&out[k], "sequence"), name) {
                // The name: words joined by periods.
                let mut end = n;
                let mut want_word = true;
                while let Some(m) = significant(&out, end + 1) {
                    let ok = if want_word {
                        matches!(out[m].token, Token::Word(_))
                    } else {
                        out[m].token == Token::Period
                    };
                    if !ok {
                        break;
                    }
                    want_word = !want_word;
                    end = m;
                }
                for t in &mut out[k..=end] {
                    t.token = Token::Whitespace(Whitespace::Space);
                }
                j = end + 1;
            } else {
                j = k + 1;
            }
        }
        i = j;
    }
    out
}

/// `UPDATE t SET a[1][2:3] = x`, `INSERT INTO t (a[1]) ...`: sqlparser
/// reads no subscripts in an assignment target, so such a target becomes
/// one quoted name, the column's followed by
/// `planner::analyze::array::SUBSCRIPT_MARK` and the subscripts' text,
/// which the analyzer reads back. The tokens folded in become whitespace,
/// so positions stay.
fn rewrite_subscript_targets(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    if !tokens.iter().any(|t| t.token == Token::LBracket) {
        return tokens;
    }
    let plain = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.keyword == k);
    let next = |tokens: &[TokenWithSpan], from: usize| {
        (from..tokens.len()).find(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
    };
    // `INSERT INTO name [AS alias] (`: the column list opens at `at`.
    let opens_insert_columns = |tokens: &[TokenWithSpan], at: usize| {
        let before: Vec<&Token> = tokens[..at]
            .iter()
            .rev()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .take(10)
            .map(|t| &t.token)
            .collect();
        let mut k = if before.get(1).is_some_and(|t| plain(t, Keyword::AS)) {
            2
        } else {
            0
        };
        loop {
            if !matches!(before.get(k), Some(Token::Word(_))) {
                return false;
            }
            k += 1;
            if before.get(k) == Some(&&Token::Period) {
                k += 1;
            } else {
                break;
            }
        }
        before.get(k).is_some_and(|t| plain(t, Keyword::INTO))
            && before.get(k + 1).is_some_and(|t| plain(t, Keyword::INSERT))
    };
    // Where a target may start: after SET (UPDATE, ON CONFLICT DO UPDATE)
    // and after a comma of its list; after the `(` of an INSERT column list
    // and its commas.
    let mut starts = Vec::new();
    let mut depth = 0i32;
    let mut list: Option<i32> = None;
    for i in 0..tokens.len() {
        match &tokens[i].token {
            Token::LParen => {
                depth += 1;
                if list.is_none() && opens_insert_columns(&tokens, i) {
                    list = Some(depth);
                    starts.push(i + 1);
                }
            }
            Token::RParen => {
                if list == Some(depth) {
                    list = None;
                }
                depth -= 1;
            }
            Token::Comma if list == Some(depth) => starts.push(i + 1),
            Token::SemiColon => list = None,
            t if plain(t, Keyword::SET) => {
                list = Some(depth);
                starts.push(i + 1);
            }
            t if list == Some(depth)
                && (plain(t, Keyword::WHERE)
                    || plain(t, Keyword::FROM)
                    || plain(t, Keyword::RETURNING)) =>
            {
                list = None;
            }
            _ => {}
        }
    }
    for start in starts {
        let Some(name_at) = next(&tokens, start) else {
            continue;
        };
        let Token::Word(name) = &tokens[name_at].token else {
            continue;
        };
        let Some(open) = next(&tokens, name_at + 1).filter(|&b| tokens[b].token == Token::LBracket)
        else {
            continue;
        };
        // The subscripts: bracketed groups one after another.
        let mut last = None;
        let mut at = open;
        loop {
            let mut nesting = 0;
            let mut close = None;
            for (j, t) in tokens.iter().enumerate().skip(at) {
                match t.token {
                    Token::LBracket => nesting += 1,
                    Token::RBracket => {
                        nesting -= 1;
                        if nesting == 0 {
                            close = Some(j);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(close) = close else {
                break;
            };
            last = Some(close);
            match next(&tokens, close + 1) {
                Some(b) if tokens[b].token == Token::LBracket => at = b,
                _ => break,
            }
        }
        let Some(last) = last else {
            continue;
        };
        let column = if name.quote_style.is_none() {
            name.value.to_lowercase()
        } else {
            name.value.clone()
        };
        let text: String = tokens[open..=last]
            .iter()
            .map(|t| t.token.to_string())
            .collect();
        tokens[name_at].token = Token::Word(Word {
            value: format!("{column}{}{text}", planner::analyze::array::SUBSCRIPT_MARK),
            quote_style: Some('"'),
            keyword: Keyword::NoKeyword,
        });
        for t in &mut tokens[open..=last] {
            t.token = Token::Whitespace(Whitespace::Space);
        }
    }
    tokens
}

/// MERGE's `WHEN NOT MATCHED THEN INSERT DEFAULT VALUES`, which sqlparser
/// does not read, is `INSERT VALUES (DEFAULT)`: the first column's default
/// given, the others' by omission, which is the same row.
fn rewrite_merge_default_values(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is_word = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if !tokens.iter().any(|t| is_word(t, "merge")) {
        return tokens;
    }
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len() + 2);
    let mut iter = tokens.into_iter().peekable();
    while let Some(t) = iter.next() {
        let significant: Vec<&TokenWithSpan> = out
            .iter()
            .rev()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .take(2)
            .collect();
        let after_then_insert = matches!(significant.as_slice(), [ins, then]
            if is_word(ins, "insert") && is_word(then, "then"));
        if after_then_insert && is_word(&t, "default") {
            // Skip whitespace up to VALUES.
            let mut pending = Vec::new();
            while let Some(w) = iter.next_if(|w| matches!(w.token, Token::Whitespace(_))) {
                pending.push(w);
            }
            if let Some(values) = iter.next_if(|v| is_word(v, "values")) {
                let span = t.span;
                out.push(values);
                out.push(TokenWithSpan::new(
                    Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                    span,
                ));
                out.push(TokenWithSpan::new(Token::LParen, span));
                out.push(t);
                out.push(TokenWithSpan::new(Token::RParen, span));
                continue;
            }
            out.push(t);
            out.extend(pending);
            continue;
        }
        out.push(t);
    }
    out
}

/// `INSERT ... SELECT x ON CONFLICT ...`: sqlparser takes an ON that follows
/// a select item for the item's alias (ON is reserved in PostgreSQL), so the
/// source query from its first SELECT up to ON CONFLICT is put in
/// parentheses, which PostgreSQL's grammar reads as the same query. The
/// added parentheses have the INSERT's span, so positions stay.
fn rewrite_insert_select_conflict(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is = |t: &TokenWithSpan, k: Keyword| matches!(&t.token, Token::Word(w) if w.quote_style.is_none() && w.keyword == k);
    if !tokens.iter().any(|t| is(t, Keyword::CONFLICT)) {
        return tokens;
    }
    let significant = |tokens: &[TokenWithSpan], from: usize| {
        (from..tokens.len()).find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
    };
    // (SELECT index, ON index) pairs, innermost INSERTs included.
    let mut wraps: Vec<(usize, usize, Span)> = Vec::new();
    for i in 0..tokens.len() {
        if !is(&tokens[i], Keyword::INSERT) {
            continue;
        }
        let mut depth = 0usize;
        let mut select = None;
        let mut j = i + 1;
        while j < tokens.len() {
            match &tokens[j].token {
                Token::LParen => depth += 1,
                Token::RParen if depth == 0 => break,
                Token::RParen => depth -= 1,
                Token::SemiColon if depth == 0 => break,
                _ if depth == 0 && select.is_none() && is(&tokens[j], Keyword::SELECT) => {
                    select = Some(j);
                }
                _ if depth == 0
                    && is(&tokens[j], Keyword::ON)
                    && significant(&tokens, j + 1)
                        .is_some_and(|k| is(&tokens[k], Keyword::CONFLICT)) =>
                {
                    if let Some(sel) = select {
                        wraps.push((sel, j, tokens[i].span));
                    }
                    break;
                }
                _ => {}
            }
            j += 1;
        }
    }
    // Insert from the back so that earlier indexes stay valid.
    let mut inserts: Vec<(usize, Token, Span)> = Vec::new();
    for (sel, on, span) in wraps {
        inserts.push((sel, Token::LParen, span));
        inserts.push((on, Token::RParen, span));
    }
    inserts.sort_by_key(|(at, ..)| std::cmp::Reverse(*at));
    for (at, token, span) in inserts {
        tokens.insert(at, TokenWithSpan::new(token, span));
    }
    tokens
}

/// sqlparser reads `INTERVAL (p) 'text'` but drops the precision: it becomes
/// `CAST('text' AS INTERVAL (p))`, which PostgreSQL's grammar makes of it too.
fn rewrite_interval_precision(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is_interval = |t: &TokenWithSpan| matches!(&t.token, Token::Word(w) if w.keyword == Keyword::INTERVAL && w.quote_style.is_none());
    if !tokens.iter().any(is_interval) {
        return tokens;
    }
    let significant = |from: usize| {
        (from..tokens.len()).find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
    };
    let space = || Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if is_interval(&tokens[i]) {
            let open = significant(i + 1);
            let num = open.and_then(|j| significant(j + 1));
            let close = num.and_then(|j| significant(j + 1));
            let lit = close.and_then(|j| significant(j + 1));
            if let (Some(open), Some(num), Some(close), Some(lit)) = (open, num, close, lit)
                && tokens[open].token == Token::LParen
                && matches!(tokens[num].token, Token::Number(..))
                && tokens[close].token == Token::RParen
                && matches!(tokens[lit].token, Token::SingleQuotedString(_))
            {
                let span = tokens[i].span;
                out.push(TokenWithSpan::new(word("CAST", Keyword::CAST), span));
                out.push(TokenWithSpan::new(Token::LParen, span));
                out.push(tokens[lit].clone());
                out.push(TokenWithSpan::new(space(), span));
                out.push(TokenWithSpan::new(word("AS", Keyword::AS), span));
                out.push(TokenWithSpan::new(space(), span));
                out.push(tokens[i].clone());
                out.push(tokens[open].clone());
                out.push(tokens[num].clone());
                out.push(tokens[close].clone());
                out.push(TokenWithSpan::new(Token::RParen, span));
                i = lit + 1;
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

/// Marks a CREATE TRIGGER argument that [`rewrite_trigger_args`] turned
/// into a quoted identifier.
pub const TRIGGER_ARG_MARKER: &str = "\u{1}arg";

/// sqlparser reads `EXECUTE FUNCTION f(args)` of CREATE TRIGGER as a
/// function signature, which literal arguments are not: each argument
/// (a string, number or word) becomes the quoted identifier
/// [`TRIGGER_ARG_MARKER`] + its text, which it takes for a type name.
fn rewrite_trigger_args(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    for start in statement_starts(&tokens) {
        if !word_is(&tokens[start], "create") {
            continue;
        }
        let end = (start..tokens.len())
            .find(|&i| tokens[i].token == Token::SemiColon || tokens[i].token == Token::EOF)
            .unwrap_or(tokens.len());
        let sig: Vec<usize> = (start..end).filter(|&i| significant(&tokens[i])).collect();
        if !sig.iter().take(4).any(|&i| word_is(&tokens[i], "trigger")) {
            continue;
        }
        let Some(k) = sig.windows(2).position(|w| {
            word_is(&tokens[w[0]], "execute")
                && (word_is(&tokens[w[1]], "function") || word_is(&tokens[w[1]], "procedure"))
        }) else {
            continue;
        };
        // name [. name] ( args )
        let Some(open) = sig[k + 2..]
            .iter()
            .position(|&i| tokens[i].token == Token::LParen)
            .map(|p| k + 2 + p)
        else {
            continue;
        };
        let mut negative = false;
        for &i in &sig[open + 1..] {
            let text = match &tokens[i].token {
                Token::RParen => break,
                Token::Comma => continue,
                Token::Minus => {
                    negative = true;
                    tokens[i].token = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
                    continue;
                }
                Token::SingleQuotedString(v) => v.clone(),
                Token::Number(n, _) if negative => format!("-{n}"),
                Token::Number(n, _) => n.clone(),
                Token::Word(w) => w.value.clone(),
                _ => continue,
            };
            negative = false;
            tokens[i].token = Token::Word(Word {
                value: format!("{TRIGGER_ARG_MARKER}{text}"),
                quote_style: Some('"'),
                keyword: Keyword::NoKeyword,
            });
        }
    }
    tokens
}

const ALTER_SEQUENCE_MARKER: &str = "ALTER_SEQUENCE";
const SET_CONSTRAINTS_MARKER: &str = "SET_CONSTRAINTS";
const FETCH_MARKER: &str = "FETCH";
const OWNED_MARKER: &str = "OWNED";
const ALTER_TABLE_SET_SCHEMA_MARKER: &str = "ALTER_TABLE_SET_SCHEMA";
const ALTER_TABLE_DROP_EXPRESSION_MARKER: &str = "ALTER_TABLE_DROP_EXPRESSION";
const ALTER_TABLE_SET_STATISTICS_MARKER: &str = "ALTER_TABLE_SET_STATISTICS";
const ALTER_INDEX_OPTIONS_MARKER: &str = "ALTER_INDEX_OPTIONS";
const ALTER_TABLE_COLUMN_OPTIONS_MARKER: &str = "ALTER_TABLE_COLUMN_OPTIONS";
const DO_MARKER: &str = "DO";
const DOMAIN_MARKER: &str = "DOMAIN_STATEMENT";
const ALTER_TYPE_ATTRIBUTE_MARKER: &str = "ALTER_TYPE_ATTRIBUTE";
const PUBLICATION_MARKER: &str = "PUBLICATION_STATEMENT";
const FOREIGN_MARKER: &str = "FOREIGN_DATA_STATEMENT";
const AGGREGATE_MARKER: &str = "AGGREGATE_STATEMENT";
const COMMENT_MARKER: &str = "COMMENT_STATEMENT";
const VACUUM_MARKER: &str = "VACUUM_STATEMENT";
const RULE_MARKER: &str = "RULE_STATEMENT";
const DEFAULT_PRIVILEGES_MARKER: &str = "DEFAULT_PRIVILEGES_STATEMENT";
const GRANT_ON_TYPE_MARKER: &str = "GRANT_ON_TYPE_STATEMENT";
const STATISTICS_MARKER: &str = "STATISTICS_STATEMENT";

/// `CREATE [OR REPLACE] RULE`, `DROP RULE` and `ALTER RULE` (sqlparser has
/// none of them) become `CALL RULE_STATEMENT('<text>')` as the statements
/// of [`rewrite_text_statements`] do. This runs before the other passes:
/// a rule's action list `( cmd; cmd )` holds semicolons, so the statement
/// ends at the first semicolon outside parentheses.
fn rewrite_rule_statements(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_) | Token::EOF);
    let word_is = |t: &TokenWithSpan, w: &str| matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let mut i = 0;
    let mut at_start = true;
    while i < tokens.len() {
        if tokens[i].token == Token::SemiColon {
            at_start = true;
            i += 1;
            continue;
        }
        if !significant(&tokens[i]) {
            i += 1;
            continue;
        }
        if !std::mem::replace(&mut at_start, false) {
            i += 1;
            continue;
        }
        let start = i;
        let sig: Vec<usize> = (start..tokens.len())
            .filter(|&j| significant(&tokens[j]))
            .take(4)
            .collect();
        let is_rule = |k: usize| sig.get(k).is_some_and(|&j| word_is(&tokens[j], "rule"));
        let matched = (word_is(&tokens[start], "create")
            && (is_rule(1)
                || sig.get(1).is_some_and(|&j| word_is(&tokens[j], "or"))
                    && sig.get(2).is_some_and(|&j| word_is(&tokens[j], "replace"))
                    && is_rule(3)))
            || ((word_is(&tokens[start], "drop") || word_is(&tokens[start], "alter"))
                && is_rule(1));
        if !matched {
            i += 1;
            continue;
        }
        let mut depth = 0i32;
        let mut end = tokens.len();
        for (j, t) in tokens.iter().enumerate().skip(start) {
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                Token::SemiColon if depth <= 0 => {
                    end = j;
                    break;
                }
                Token::EOF => {
                    end = j;
                    break;
                }
                _ => {}
            }
        }
        let text: String = tokens[start..end]
            .iter()
            .map(|t| t.token.to_string())
            .collect();
        let span = tokens[start].span;
        tokens.splice(
            start..end,
            [
                TokenWithSpan::new(word("CALL", Keyword::CALL), span),
                TokenWithSpan::new(word(RULE_MARKER, Keyword::NoKeyword), Span::empty()),
                TokenWithSpan::new(Token::LParen, span),
                TokenWithSpan::new(Token::SingleQuotedString(text), span),
                TokenWithSpan::new(Token::RParen, span),
            ],
        );
        i = start + 5;
    }
    tokens
}

/// A statement kept as text for its command to read (see
/// [`rewrite_text_statements`]).
pub enum TextStatement {
    AlterSequence(String),
    SetConstraints(String),
    /// `FETCH ...` or `MOVE ...` (sqlparser's FETCH lacks PostgreSQL's forms)
    Fetch(String),
    /// `ALTER TABLE ... SET SCHEMA ...` (sqlparser has no such operation)
    AlterTableSetSchema(String),
    /// `ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION [IF EXISTS]`
    /// (sqlparser has no such operation)
    AlterTableDropExpression(String),
    /// `ALTER TABLE ... ALTER COLUMN ... SET STATISTICS n` (sqlparser has
    /// no such operation)
    AlterTableSetStatistics(String),
    /// `ALTER INDEX ... SET (...)` / `RESET (...)` (sqlparser's ALTER INDEX
    /// only renames)
    AlterIndexOptions(String),
    /// `ALTER TABLE ... ALTER [COLUMN] c SET (...) | RESET (...) | SET
    /// STORAGE x | SET COMPRESSION m` (sqlparser has none of them)
    AlterColumnOptions(String),
    /// `DO [LANGUAGE l] 'code'` (sqlparser has no DO)
    Do(String),
    /// `CREATE DOMAIN`, `ALTER DOMAIN`, `DROP DOMAIN` (sqlparser knows too
    /// little of PostgreSQL's forms)
    Domain(String),
    /// `DROP OWNED BY ...` and `REASSIGN OWNED BY ... TO ...`
    Owned(String),
    /// `ALTER TYPE ... ADD | DROP | RENAME | ALTER ATTRIBUTE ...`
    AlterTypeAttribute(String),
    /// `CREATE | ALTER | DROP PUBLICATION | SUBSCRIPTION ...` (sqlparser
    /// has none of them)
    Publication(String),
    /// `CREATE | ALTER | DROP FOREIGN DATA WRAPPER | SERVER | USER MAPPING`,
    /// `CREATE FOREIGN TABLE`, `ALTER FOREIGN TABLE ... OPTIONS` and
    /// `IMPORT FOREIGN SCHEMA` (sqlparser has none of them)
    Foreign(String),
    /// `CREATE [OR REPLACE] | ALTER | DROP AGGREGATE ...` (sqlparser has
    /// none of them)
    Aggregate(String),
    /// `COMMENT ON ...` (sqlparser reads no signatures and no
    /// `CONSTRAINT c ON t`)
    Comment(String),
    /// `VACUUM ...` and `ANALYZE ...` (sqlparser reads one table and no
    /// option lists)
    Vacuum(String),
    /// `CREATE [OR REPLACE] RULE`, `DROP RULE`, `ALTER RULE` (see
    /// [`rewrite_rule_statements`])
    Rule(String),
    /// `ALTER DEFAULT PRIVILEGES ...` (sqlparser has none)
    AlterDefaultPrivileges(String),
    /// `GRANT | REVOKE ... ON TYPE | DOMAIN | LANGUAGE ...` (sqlparser
    /// reads none of these object kinds)
    GrantOnType(String),
    /// `CREATE | ALTER | DROP STATISTICS ...` (sqlparser has none of them)
    Statistics(String),
}

/// One action of `ALTER TYPE name ... ATTRIBUTE` (see [`parse_alter_attribute`]).
#[derive(Debug, Clone)]
pub enum AttributeAction {
    Add {
        name: sqlparser::ast::Ident,
        data_type: sqlparser::ast::DataType,
    },
    Drop {
        name: sqlparser::ast::Ident,
        if_exists: bool,
    },
    Rename {
        name: sqlparser::ast::Ident,
        to: sqlparser::ast::Ident,
    },
    SetType {
        name: sqlparser::ast::Ident,
        data_type: sqlparser::ast::DataType,
    },
    /// `ALTER TYPE name OWNER TO role` (not an attribute action, but read
    /// here since sqlparser has no form of it).
    OwnerTo { role: sqlparser::ast::Ident },
    /// `ALTER TYPE name SET SCHEMA schema`.
    SetSchema { schema: sqlparser::ast::Ident },
}

/// `ALTER TYPE name {ADD ATTRIBUTE a type | DROP ATTRIBUTE [IF EXISTS] a |
/// RENAME ATTRIBUTE a TO b | ALTER ATTRIBUTE a [SET DATA] TYPE type}
/// [CASCADE | RESTRICT]`: the type's name, the action and whether CASCADE
/// was given (one action; several, comma-separated, are 0A000).
pub fn parse_alter_attribute(
    text: &str,
) -> PgResult<(sqlparser::ast::ObjectName, AttributeAction, bool)> {
    let dialect = PostgreSqlDialect {};
    let err = |e: ParserError| to_pg_error(text, e);
    let mut p = Parser::new(&dialect).try_with_sql(text).map_err(err)?;
    p.expect_keyword_is(Keyword::ALTER).map_err(err)?;
    p.expect_keyword_is(Keyword::TYPE).map_err(err)?;
    let type_name = p.parse_object_name(false).map_err(err)?;
    let whole = |p: &mut Parser, action: AttributeAction| -> PgResult<_> {
        if p.peek_token().token != Token::EOF {
            p.expected("end of statement", p.peek_token())
                .map_err(err)?;
        }
        Ok((type_name.clone(), action, false))
    };
    if p.parse_keywords(&[Keyword::OWNER, Keyword::TO]) {
        let role = p.parse_identifier().map_err(err)?;
        return whole(&mut p, AttributeAction::OwnerTo { role });
    }
    if p.parse_keywords(&[Keyword::SET, Keyword::SCHEMA]) {
        let schema = p.parse_identifier().map_err(err)?;
        return whole(&mut p, AttributeAction::SetSchema { schema });
    }
    let action = p
        .expect_one_of_keywords(&[Keyword::ADD, Keyword::DROP, Keyword::RENAME, Keyword::ALTER])
        .map_err(err)?;
    let attribute = p.parse_identifier().map_err(err)?;
    if !attribute.value.eq_ignore_ascii_case("attribute") {
        return Err(PgError::syntax(
            format!("syntax error at or near \"{}\"", attribute.value),
            None,
        ));
    }
    let action = match action {
        Keyword::ADD => {
            let name = p.parse_identifier().map_err(err)?;
            let data_type = p.parse_data_type().map_err(err)?;
            if p.parse_keyword(Keyword::COLLATE) {
                p.parse_object_name(false).map_err(err)?;
            }
            AttributeAction::Add { name, data_type }
        }
        Keyword::DROP => {
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let name = p.parse_identifier().map_err(err)?;
            AttributeAction::Drop { name, if_exists }
        }
        Keyword::RENAME => {
            let name = p.parse_identifier().map_err(err)?;
            p.expect_keyword_is(Keyword::TO).map_err(err)?;
            let to = p.parse_identifier().map_err(err)?;
            AttributeAction::Rename { name, to }
        }
        _ => {
            let name = p.parse_identifier().map_err(err)?;
            let _ = p.parse_keywords(&[Keyword::SET, Keyword::DATA]);
            p.expect_keyword_is(Keyword::TYPE).map_err(err)?;
            let data_type = p.parse_data_type().map_err(err)?;
            if p.parse_keyword(Keyword::COLLATE) {
                p.parse_object_name(false).map_err(err)?;
            }
            AttributeAction::SetType { name, data_type }
        }
    };
    let cascade = matches!(
        p.parse_one_of_keywords(&[Keyword::CASCADE, Keyword::RESTRICT]),
        Some(Keyword::CASCADE)
    );
    if p.consume_token(&Token::Comma) {
        return Err(PgError::feature_not_supported(
            "several actions in one ALTER TYPE",
        ));
    }
    if p.peek_token().token != Token::EOF {
        p.expected("end of statement", p.peek_token())
            .map_err(err)?;
    }
    Ok((type_name, action, cascade))
}

/// PostgreSQL's syntax error for a sqlparser error met reading `text`, a
/// statement kept as text (whose positions are the query's only where the
/// pre-parser pads it so: CREATE | ALTER | DROP STATISTICS).
pub fn text_syntax_error(text: &str, e: ParserError) -> PgError {
    to_pg_error(text, e)
}

/// Whether `stmt` is a client's `CALL procedure(...)`, not one of the
/// statements this module turns into a CALL of a marker.
pub fn is_procedure_call(stmt: &Statement) -> bool {
    matches!(stmt, Statement::Call(_))
        && text_statement(stmt).is_none()
        && reindex_target(stmt).is_none()
        && !is_checkpoint(stmt)
}

/// The statement `stmt` stands for, if it is one kept as text.
pub fn text_statement(stmt: &Statement) -> Option<TextStatement> {
    use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Value};
    let Statement::Call(f) = stmt else {
        return None;
    };
    let [part] = f.name.0.as_slice() else {
        return None;
    };
    let id = part.as_ident()?;
    if id.span != Span::empty() {
        return None;
    }
    let make = match id.value.as_str() {
        ALTER_SEQUENCE_MARKER => TextStatement::AlterSequence,
        SET_CONSTRAINTS_MARKER => TextStatement::SetConstraints,
        FETCH_MARKER => TextStatement::Fetch,
        ALTER_TABLE_SET_SCHEMA_MARKER => TextStatement::AlterTableSetSchema,
        ALTER_TABLE_DROP_EXPRESSION_MARKER => TextStatement::AlterTableDropExpression,
        ALTER_TABLE_SET_STATISTICS_MARKER => TextStatement::AlterTableSetStatistics,
        ALTER_INDEX_OPTIONS_MARKER => TextStatement::AlterIndexOptions,
        ALTER_TABLE_COLUMN_OPTIONS_MARKER => TextStatement::AlterColumnOptions,
        DO_MARKER => TextStatement::Do,
        DOMAIN_MARKER => TextStatement::Domain,
        OWNED_MARKER => TextStatement::Owned,
        ALTER_TYPE_ATTRIBUTE_MARKER => TextStatement::AlterTypeAttribute,
        PUBLICATION_MARKER => TextStatement::Publication,
        FOREIGN_MARKER => TextStatement::Foreign,
        AGGREGATE_MARKER => TextStatement::Aggregate,
        COMMENT_MARKER => TextStatement::Comment,
        VACUUM_MARKER => TextStatement::Vacuum,
        RULE_MARKER => TextStatement::Rule,
        DEFAULT_PRIVILEGES_MARKER => TextStatement::AlterDefaultPrivileges,
        GRANT_ON_TYPE_MARKER => TextStatement::GrantOnType,
        STATISTICS_MARKER => TextStatement::Statistics,
        _ => return None,
    };
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v)))] => match &v.value {
            Value::SingleQuotedString(s) => Some(make(s.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// The string literals of a statement kept as text, in order (a `DO`
/// block's code).
pub fn string_literals(text: &str) -> PgResult<Vec<String>> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .map_err(|e| to_pg_error(text, ParserError::from(e)))?;
    Ok(tokens
        .into_iter()
        .filter_map(|t| match t {
            Token::SingleQuotedString(s)
            | Token::EscapedStringLiteral(s)
            | Token::DollarQuotedString(sqlparser::ast::DollarQuotedString { value: s, .. }) => {
                Some(s)
            }
            _ => None,
        })
        .collect())
}

/// The words of a statement kept as text: identifiers (quoted ones with
/// their quotes), keywords, and numbers (with their sign).
pub fn words(text: &str) -> PgResult<Vec<String>> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .map_err(|e| to_pg_error(text, ParserError::from(e)))?;
    let mut out: Vec<String> = Vec::new();
    let mut minus = false;
    for t in tokens {
        match t {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::Minus => {
                minus = true;
                continue;
            }
            Token::Number(n, _) if minus => out.push(format!("-{n}")),
            Token::Number(n, _) => out.push(n),
            Token::Word(w) if w.quote_style == Some('"') => {
                out.push(format!("\"{}\"", w.value.replace('"', "\"\"")))
            }
            Token::Word(w) => out.push(w.value),
            Token::Plus => {}
            other => out.push(other.to_string()),
        }
        minus = false;
    }
    Ok(out)
}

/// Whether `stmt` is a CHECKPOINT command (see [`rewrite_checkpoint`]).
pub fn is_checkpoint(stmt: &Statement) -> bool {
    match stmt {
        Statement::Call(f) => {
            let parts = &f.name.0;
            parts.len() == 1
                && parts[0]
                    .as_ident()
                    .is_some_and(|id| id.value == "CHECKPOINT" && id.span == Span::empty())
        }
        _ => false,
    }
}

/// 1-based character position of (line, column) in `sql`, both 1-based.
fn char_position(sql: &str, line: u64, column: u64) -> Option<usize> {
    let mut pos = 0usize;
    for (i, l) in sql.split('\n').enumerate() {
        if i as u64 + 1 == line {
            return Some(pos + column as usize);
        }
        pos += l.chars().count() + 1;
    }
    None
}

/// PostgreSQL's cursor position (1-based, in characters) of where a parsed
/// node starts in `sql`.
pub fn position(sql: &str, span: Span) -> Option<usize> {
    match span.start.line {
        0 => None,
        line => char_position(sql, line, span.start.column),
    }
}

/// Splits "message at Line: L, Column: C" into the message and the location.
fn split_location(msg: &str) -> (&str, Option<(u64, u64)>) {
    if let Some(idx) = msg.rfind(" at Line: ") {
        let loc = &msg[idx + " at Line: ".len()..];
        if let Some((l, c)) = loc.split_once(", Column: ")
            && let (Ok(l), Ok(c)) = (l.trim().parse(), c.trim().parse())
        {
            return (&msg[..idx], Some((l, c)));
        }
    }
    (msg, None)
}

fn to_pg_error(sql: &str, e: ParserError) -> PgError {
    let text = match e {
        ParserError::RecursionLimitExceeded => {
            return PgError::new(SqlState::StatementTooComplex, "stack depth limit exceeded")
                .with_hint("Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), after ensuring the platform's stack depth limit is adequate.");
        }
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
    };
    let (msg, loc) = split_location(&text);
    let found = msg.rsplit_once(", found: ").map(|(_, f)| f.trim());
    let end = sql.chars().count() + 1;
    match (found, loc) {
        (Some("EOF") | None, None) | (Some("EOF"), _) => {
            PgError::syntax("syntax error at end of input", Some(end))
        }
        (Some(tok), Some((l, c))) => PgError::syntax(
            format!("syntax error at or near \"{tok}\""),
            char_position(sql, l, c),
        ),
        (_, Some((l, c))) => {
            let pos = char_position(sql, l, c);
            let near: String = pos
                .and_then(|p| {
                    sql.chars()
                        .skip(p - 1)
                        .collect::<String>()
                        .split_whitespace()
                        .next()
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            if near.is_empty() {
                PgError::syntax("syntax error at end of input", Some(end))
            } else {
                PgError::syntax(format!("syntax error at or near \"{near}\""), pos)
            }
        }
        (Some(tok), None) => PgError::syntax(format!("syntax error at or near \"{tok}\""), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_runs_split_as_postgresql_lexes_them() {
        assert_eq!(split_operator_run("=-"), ["=", "-"]);
        assert_eq!(split_operator_run("<>-"), ["<>", "-"]);
        assert_eq!(split_operator_run("*--"), ["*", "-", "-"]);
        assert_eq!(split_operator_run("!=-"), ["!=-"]);
        assert_eq!(split_operator_run("@+@"), ["@+@"]);
        assert_eq!(split_operator_run("+++"), ["+", "+", "+"]);
        // Whole statements: user operator names reach the parser as one token.
        for sql in [
            "CREATE OPERATOR @+@ (leftarg = int4, rightarg = int4, function = int4pl)",
            "CREATE OPERATOR !~~~ (leftarg = int4, rightarg = int4, function = f, negator = ~~~)",
            "DROP OPERATOR @-@@ (int4, int4)",
            "SELECT 1 @+@ 2, 1 =-1, 2 <>-1",
            "SELECT 2 !=/**/ 1",
            "CREATE OPERATOR !=- (rightarg = int8, procedure = factorial)",
            "SELECT @#@ 24, (!=- 10), 1 @#@ 2",
            "DROP OPERATOR @#@ (NONE, int8), !~~~ (int4, int4)",
        ] {
            parse(sql).expect(sql);
        }
        match parse("SELECT 1 @+@ 2").expect("op").first() {
            Some(Statement::Query(q)) => assert!(q.to_string().contains("1 @+@ 2"), "{q}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn syntax_errors_read_like_postgresql() {
        let e = parse("SELECT 1 FORM x").expect_err("bad");
        assert_eq!(e.code, SqlState::SyntaxError);
        assert_eq!(e.message, "syntax error at or near \"x\"");
        assert_eq!(e.position, Some(15));
        let e = parse("SELECT 1 +").expect_err("bad");
        assert_eq!(e.message, "syntax error at end of input");
        assert_eq!(e.position, Some(11));
        let e = parse("SELEC 1").expect_err("bad");
        assert_eq!(e.message, "syntax error at or near \"SELEC\"");
        assert_eq!(e.position, Some(1));
        assert!(parse(";;;").expect("empty").is_empty());
        assert!(parse("-- only a comment").expect("empty").is_empty());
        assert_eq!(parse("select 1; select 2").expect("two").len(), 2);
    }

    #[test]
    fn variadic_arguments_of_calls_are_wrapped_and_signatures_kept() {
        let marker = planner::VARIADIC_MARKER;
        let text = |sql: &str| {
            parse(sql)
                .expect("parses")
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            text("select f(1, variadic array[2, g(3)]), h(variadic x => y)"),
            [format!(
                "SELECT f(1, \"{marker}\"(ARRAY[2, g(3)])), h(x => \"{marker}\"(y))"
            )]
        );
        // Signatures keep VARIADIC; a call in a RETURN body is wrapped.
        let created = text(
            "create function f(variadic a int[]) returns int return g(variadic a); \
             drop function f(variadic int[]), g(int, variadic text[])",
        );
        assert!(
            created[0].contains("(VARIADIC a INT[])")
                && created[0].contains(&format!("g(\"{marker}\"(a))")),
            "{created:?}"
        );
        assert_eq!(
            created[1],
            "DROP FUNCTION f(VARIADIC INT[]), g(INT, VARIADIC TEXT[])"
        );
    }

    #[test]
    fn create_user_is_create_role_with_login() {
        let stmts = parse(
            ";; select 1; CREATE USER u1 WITH PASSWORD 'x'; create user u2 nologin; create role u3",
        )
        .expect("parses");
        let login: Vec<Option<bool>> = stmts
            .iter()
            .filter_map(|s| match s {
                Statement::CreateRole(cr) => Some(cr.login),
                _ => None,
            })
            .collect();
        assert_eq!(login, vec![Some(true), Some(false), None]);
        let e = parse("create user u1 password").expect_err("bad");
        assert_eq!(e.message, "syntax error at end of input");
    }

    #[test]
    fn checkpoint_is_recognised_only_as_a_statement_of_its_own() {
        let stmts = parse("CHECKPOINT; select 1;checkpoint ;\n Checkpoint").expect("parses");
        let found: Vec<bool> = stmts.iter().map(is_checkpoint).collect();
        assert_eq!(found, vec![true, false, true, true]);
        // A user's CALL of a procedure named checkpoint is not the command.
        let stmts = parse("call checkpoint()").expect("parses");
        assert!(!is_checkpoint(&stmts[0]));
        assert!(parse("checkpoint x").is_err());
        assert!(parse("\"checkpoint\"").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
        let e = parse(&sql).expect_err("too deep");
        assert_eq!(e.code, SqlState::StatementTooComplex);
    }
}
