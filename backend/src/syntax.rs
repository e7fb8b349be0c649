//! Raw parsing: query text to sqlparser statements, with PostgreSQL's syntax
//! error reports (`42601 syntax error at or near "x"` and the cursor position).

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use types::{PgError, PgResult, SqlState};

/// Nesting depth allowed before "stack depth limit exceeded".
const RECURSION_LIMIT: usize = 200;

/// Parses a query string into its statements (empty for `;;` or comments only).
pub fn parse(sql: &str) -> PgResult<Vec<Statement>> {
    Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| to_pg_error(sql, e))
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
        (Some("EOF") | None, None) | (Some("EOF"), _) => PgError::syntax("syntax error at end of input", Some(end)),
        (Some(tok), Some((l, c))) => {
            PgError::syntax(format!("syntax error at or near \"{tok}\""), char_position(sql, l, c))
        }
        (_, Some((l, c))) => {
            let pos = char_position(sql, l, c);
            let near: String = pos
                .and_then(|p| sql.chars().skip(p - 1).collect::<String>().split_whitespace().next().map(str::to_owned))
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
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
        let e = parse(&sql).expect_err("too deep");
        assert_eq!(e.code, SqlState::StatementTooComplex);
    }
}
