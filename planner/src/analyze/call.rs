//! CALL (PostgreSQL's `transformCallStmt` and `ExecuteCallStmt`): a
//! procedure call is planned as the query `SELECT * FROM proc(args)`, its
//! FROM function restricted to procedures (and procedures to it), so that
//! overloading, named and default arguments, coercions and the OUT / INOUT
//! result row are those of functions in FROM. The plan is marked as a CALL
//! ([`crate::PlannedStmt::call`]): the backend sends its row (none for a
//! procedure without output arguments) under the tag `CALL`, and PL/pgSQL
//! assigns the row to the variables given for the output arguments.

use sqlparser::ast::{self, Spanned};
use types::{PgError, PgResult, SqlState};

use super::Analyzer;
use crate::PlannedStmt;

/// What the call becomes before it is analyzed.
const PREFIX: &str = "SELECT * FROM ";

impl Analyzer<'_> {
    pub(crate) fn analyze_call(&mut self, f: &ast::Function) -> PgResult<PlannedStmt> {
        let text = format!("{PREFIX}{f}");
        let name_pos = self.pos(f.name.span());
        // Positions in the made-up query point into the client's CALL.
        let shift = |mut e: PgError| {
            e.position = match (e.position, name_pos) {
                (Some(p), Some(n)) if p > PREFIX.len() => Some(p - PREFIX.len() - 1 + n),
                _ => None,
            };
            e
        };
        let stmts = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(&text)
            .and_then(|mut p| p.parse_statements())
            .map_err(|e| PgError::new(SqlState::SyntaxError, format!("CALL: {e}")))?;
        let [stmt @ ast::Statement::Query(_)] = stmts.as_slice() else {
            return Err(PgError::new(
                SqlState::SyntaxError,
                "CALL takes one procedure call",
            ));
        };
        let mut sub =
            Analyzer::new(&text, &self.param_types, self.fixed_params).with_catalog(self.catalog);
        if let Some(v) = self.variables {
            sub = sub.with_variables(v);
        }
        sub.procedure_call = true;
        let mut planned = sub.analyze_statement(stmt).map_err(shift)?;
        let outputs = std::mem::take(&mut sub.call_outputs);
        if outputs.is_empty() {
            // No result row to describe (its one `void` column is dropped).
            planned.columns.clear();
        }
        planned.call = Some(outputs);
        Ok(planned)
    }
}
