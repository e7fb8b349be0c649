//! Domains in analysis (PostgreSQL's `coerce_to_domain` and the domain
//! cases of `parse_coerce.c` and `parse_oper.c`).
//!
//! A domain is its base type with constraints. Analysis treats the two
//! directions of a coercion differently, as PostgreSQL does:
//!
//! 1. **Out of a domain** (an operator, a function argument, a cast to
//!    another type, CASE across types): the value is seen as its base type
//!    ([`strip_domain`], PostgreSQL's RelabelType), so that `d + 1` finds
//!    `int4 + int4` for a domain over int4. Nothing runs: the value is the
//!    base type's already.
//! 2. **Into a domain** (`x::d`, INSERT or UPDATE of a column of type `d`,
//!    a default): the value is first coerced to the base type (with the
//!    domain's typmod), then wrapped in [`Expr::CoerceToDomain`], which
//!    carries the NOT NULL flag and the analyzed CHECK expressions of the
//!    domain and of every domain under it, the lowest domain's first.
//!
//! A CHECK expression is kept as SQL text in the type cache and analyzed
//! here on each use, with `VALUE` reading `Var 0` of a one-column row of
//! the base type ([`Analyzer::domain_value`]).

use sqlparser::dialect::PostgreSqlDialect;
use types::typcache;
use types::{PgError, PgResult};

use super::Analyzer;
use crate::expr::Expr;

/// `x` seen as its domain's base type (unchanged when its type is no
/// domain).
pub fn strip_domain(x: Expr) -> Expr {
    let t = x.type_oid();
    if !typcache::is_domain(t) {
        return x;
    }
    let base = typcache::base_type(t);
    Expr::Cast {
        arg: Box::new(x),
        from: base,
        to: base,
        typmod: -1,
        explicit: false,
    }
}

impl Analyzer<'_> {
    /// `x`, already of `domain`'s base type, coerced into `domain`: its
    /// constraints and those of the domains it is over, checked.
    pub fn coerce_to_domain(&mut self, x: Expr, domain: u32) -> PgResult<Expr> {
        let (base, typmod) = typcache::base_type_and_typmod(domain, -1);
        let mut levels = Vec::new();
        let mut t = domain;
        while let Some(d) = typcache::domain(t) {
            let next = d.domain().map_or(0, |i| i.base);
            levels.push(d);
            t = next;
            if levels.len() > 64 {
                return Err(PgError::internal("domain chain too deep"));
            }
        }
        let not_null = levels
            .iter()
            .any(|d| d.domain().is_some_and(|i| i.not_null));
        let mut checks = Vec::new();
        for level in levels.iter().rev() {
            for c in level.domain().map_or(&[][..], |i| &i.checks) {
                checks.push((c.name.clone(), self.domain_check(&c.expr, base, typmod)?));
            }
        }
        Ok(Expr::CoerceToDomain {
            arg: Box::new(x),
            domain,
            not_null,
            checks,
        })
    }

    /// The CHECK expression `text` of a domain over `base` (with
    /// `typmod`), analyzed: a boolean over `VALUE` (`Var 0`).
    pub fn domain_check(&self, text: &str, base: u32, typmod: i32) -> PgResult<Expr> {
        let parsed = sqlparser::parser::Parser::new(&PostgreSqlDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr())
            .map_err(|e| PgError::internal(format!("domain check does not parse: {e}")))?;
        let mut sub = Analyzer::new(text, &[], true).with_catalog(self.catalog);
        sub.agg_forbidden = Some("check constraints");
        sub.domain_value = Some((base, typmod));
        sub.transform_bool(&parsed, "CHECK").map_err(|mut e| {
            e.position = None;
            e
        })
    }
}
