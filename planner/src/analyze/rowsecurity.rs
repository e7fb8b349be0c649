//! Row-level security (PostgreSQL's `rewrite/rowsecurity.c`): the
//! policies of a table that has row security enabled, applied where a
//! statement reads or writes the table.
//!
//! The backend decides whether row security applies and which policies
//! concern the user ([`crate::CatalogView::row_security`]: the user is the
//! view owner for a table reached through a view). Here the policies'
//! expressions (SQL text) are combined as PostgreSQL combines them:
//!
//! ```text
//!   security qual (rows the command may see):
//!       (r1) AND (r2) ... AND ((p1) OR (p2) ...)     r: restrictive USING
//!       false when no permissive policy has one      p: permissive USING
//!
//!   check (rows the command may write), one per:
//!       (p1) OR (p2) ...       "new row violates row-level security
//!                               policy for table t"  (false if none)
//!       (ri)                   "... policy \"ri\" for table t"
//!       (WITH CHECK, else USING; only USING for the SELECT policies a
//!        write that reads the table must also pass)
//! ```
//!
//! - A table in FROM becomes the subquery `SELECT * FROM t WHERE
//!   <security qual>` (a security barrier: the policy is evaluated below
//!   every qual of the query, so a leaky function in WHERE never sees a
//!   hidden row). The subquery's own scan of `t` is not expanded again
//!   ([`Analyzer::rls_skip`]); a policy that reaches its own table again
//!   is 42P17.
//! - UPDATE and DELETE put the security qual of their command (and of
//!   SELECT when they read the table) before their WHERE.
//! - INSERT and UPDATE append the checks to the target's CHECK
//!   constraints under names marked [`RLS_CHECK_PREFIX`]; the executor
//!   tests them first, before NOT NULL and CHECK, as `ExecInsert` does.
//!
//! Not yet: the ON CONFLICT DO UPDATE existing-row check (`WCO_RLS_
//! CONFLICT_CHECK`), MERGE, `SELECT ... FOR UPDATE`'s UPDATE policies,
//! and system columns (`ctid`) of a table read under row security.

use std::sync::Arc;

use sqlparser::ast;
use types::{PgError, PgResult, SqlState};

use super::from::ScopeItem;
use super::{Analyzer, RangeEntry, scope_relation};
use crate::catalog::{PolicyDesc, RelationDesc};
use crate::expr::Expr;
use crate::plan::Source;

/// The name prefix of a row-level security check among a target's CHECK
/// constraints: then `u` (WITH CHECK) or `c` (USING expression), the
/// policy name (restrictive ones) and, after [`RLS_CHECK_SEPARATOR`], the
/// table's name.
pub const RLS_CHECK_PREFIX: &str = "\u{1}rls:";
pub const RLS_CHECK_SEPARATOR: char = '\u{2}';

/// The error of a failed row-level security check named `name` (a
/// [`RLS_CHECK_PREFIX`] name without the prefix).
pub fn check_violation(name: &str) -> PgError {
    let (kind, rest) = name.split_at(name.len().min(1));
    let (policy, table) = rest.split_once(RLS_CHECK_SEPARATOR).unwrap_or(("", rest));
    let using = if kind == "c" {
        " (USING expression)"
    } else {
        ""
    };
    let message = if policy.is_empty() {
        format!("new row violates row-level security policy{using} for table \"{table}\"")
    } else {
        format!(
            "new row violates row-level security policy \"{policy}\"{using} for table \"{table}\""
        )
    };
    PgError::new(SqlState::InsufficientPrivilege, message)
}

fn applies(p: &PolicyDesc, cmd: char) -> bool {
    p.cmd == '*' || p.cmd == cmd
}

/// The security qual of `cmd`'s policies as SQL text (see the module doc).
pub fn security_qual(policies: &[PolicyDesc], cmd: char) -> String {
    let permissive: Vec<&str> = policies
        .iter()
        .filter(|p| p.permissive && applies(p, cmd))
        .filter_map(|p| p.using.as_deref())
        .collect();
    if permissive.is_empty() {
        return "false".into();
    }
    let mut arms: Vec<String> = policies
        .iter()
        .filter(|p| !p.permissive && applies(p, cmd))
        .filter_map(|p| p.using.as_deref())
        .map(|u| format!("({u})"))
        .collect();
    arms.push(format!(
        "({})",
        permissive
            .iter()
            .map(|u| format!("({u})"))
            .collect::<Vec<_>>()
            .join(" OR ")
    ));
    arms.join(" AND ")
}

/// The checks of `cmd`'s policies: (restrictive policy's name or None,
/// SQL text); `force_using` takes USING even where WITH CHECK is given.
pub fn check_quals(
    policies: &[PolicyDesc],
    cmd: char,
    force_using: bool,
) -> Vec<(Option<String>, String)> {
    let qual = |p: &PolicyDesc| match (&p.with_check, force_using) {
        (Some(c), false) => Some(c.clone()),
        _ => p.using.clone(),
    };
    let permissive: Vec<String> = policies
        .iter()
        .filter(|p| p.permissive && applies(p, cmd))
        .filter_map(qual)
        .collect();
    if permissive.is_empty() {
        return vec![(None, "false".into())];
    }
    let mut out = vec![(
        None,
        permissive
            .iter()
            .map(|u| format!("({u})"))
            .collect::<Vec<_>>()
            .join(" OR "),
    )];
    for p in policies
        .iter()
        .filter(|p| !p.permissive && applies(p, cmd))
    {
        if let Some(q) = qual(p) {
            out.push((Some(p.name.clone()), q));
        }
    }
    out
}

fn parse_qual(text: &str) -> PgResult<ast::Expr> {
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| PgError::internal(format!("policy expression does not parse: {e}")))
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Analyzer<'_> {
    /// The policies that apply to `rel` here, or None (see
    /// [`crate::CatalogView::row_security`]).
    pub(crate) fn row_security(&mut self, rel: &RelationDesc) -> PgResult<Option<Vec<PolicyDesc>>> {
        if !matches!(rel.relkind, 'r' | 'p') || rel.oid == 0 {
            return Ok(None);
        }
        let through = self.expanding_views.last().copied();
        self.catalog.row_security(rel.oid, through)
    }

    fn enter_policy(&mut self, rel: &RelationDesc) -> PgResult<()> {
        if self.rls_expanding.contains(&rel.oid) {
            return Err(PgError::new(
                SqlState::InvalidObjectDefinition,
                format!(
                    "infinite recursion detected in policy for relation \"{}\"",
                    rel.name
                ),
            ));
        }
        self.rls_expanding.push(rel.oid);
        Ok(())
    }

    /// A table in FROM under row security: the subquery of its visible
    /// rows, with the table's live columns, or None when row security
    /// does not apply.
    pub(crate) fn row_security_scan(
        &mut self,
        entry: &RangeEntry,
        only: bool,
        earlier: &[ScopeItem],
    ) -> PgResult<Option<(Source, RangeEntry, usize)>> {
        if self.rls_skip == Some(entry.rel.oid) {
            self.rls_skip = None;
            return Ok(None);
        }
        let Some(policies) = self.row_security(&entry.rel)? else {
            return Ok(None);
        };
        let rel = entry.rel.clone();
        let qual = security_qual(&policies, 'r');
        let text = format!(
            "SELECT * FROM {}{}.{} WHERE {qual}",
            if only { "ONLY " } else { "" },
            quote(&rel.schema),
            quote(&rel.name)
        );
        let parsed = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(&text)
            .and_then(|mut p| p.parse_query())
            .map_err(|e| PgError::internal(format!("policy expression does not parse: {e}")))?;
        self.enter_policy(&rel)?;
        let outer: Vec<ScopeItem> = earlier.iter().map(ScopeItem::hidden).collect();
        let saved_scope = std::mem::replace(&mut self.scope, outer);
        let saved_ctes = std::mem::take(&mut self.ctes);
        let saved_skip = self.rls_skip.replace(rel.oid);
        let r = self.analyze_subquery(&parsed);
        self.rls_skip = saved_skip;
        self.scope = saved_scope;
        self.ctes = saved_ctes;
        self.rls_expanding.pop();
        let (columns, plan, params) = r.map_err(|mut e| {
            e.position = None;
            e
        })?;
        let live: Vec<_> = rel.columns.iter().filter(|c| !c.dropped).collect();
        let scoped = scope_relation(
            &rel.name,
            's',
            live.iter()
                .zip(&columns)
                .map(|(tc, c)| (tc.name.clone(), c.type_oid, c.typmod)),
        );
        let scoped = Arc::new(RelationDesc {
            oid: rel.oid,
            ..(*scoped).clone()
        });
        let width = columns.len();
        Ok(Some((
            Source::Subquery {
                plan: Box::new(plan),
                width,
                params,
            },
            RangeEntry {
                rel: scoped,
                refname: entry.refname.clone(),
                has_alias: entry.has_alias,
            },
            width,
        )))
    }

    /// The security qual of an UPDATE (`cmd` `w`) or DELETE (`d`) over
    /// the target in scope, with SELECT's when the statement `reads` the
    /// table; None when row security does not apply.
    pub(crate) fn row_security_filter(
        &mut self,
        rel: &RelationDesc,
        cmd: char,
        reads: bool,
    ) -> PgResult<Option<Expr>> {
        let Some(policies) = self.row_security(rel)? else {
            return Ok(None);
        };
        let mut text = security_qual(&policies, cmd);
        if reads {
            text = format!("({}) AND ({text})", security_qual(&policies, 'r'));
        }
        let parsed = parse_qual(&text)?;
        self.enter_policy(rel)?;
        let saved = self.agg_forbidden.replace("policy expressions");
        let r = self.transform_bool(&parsed, "POLICY");
        self.agg_forbidden = saved;
        self.rls_expanding.pop();
        r.map(Some).map_err(|mut e| {
            e.position = None;
            e
        })
    }

    /// `target` with the row-level security checks of an INSERT (`cmd`
    /// `a`) or UPDATE (`w`) appended to its CHECK constraints (with
    /// SELECT's USING when the statement `reads` the table).
    pub(crate) fn with_row_security_checks(
        &mut self,
        target: Arc<RelationDesc>,
        cmd: char,
        reads: bool,
    ) -> PgResult<Arc<RelationDesc>> {
        let Some(policies) = self.row_security(&target)? else {
            return Ok(target);
        };
        let mut quals = check_quals(&policies, cmd, false);
        if reads {
            quals.extend(check_quals(&policies, 'r', true));
        }
        let mut checks = Vec::new();
        self.enter_policy(&target)?;
        for (policy, text) in quals {
            let parsed = parse_qual(&text)?;
            let mut a = Analyzer::new(&text, &[], true).with_catalog(self.catalog);
            a.rls_expanding = self.rls_expanding.clone();
            a.expanding_views = self.expanding_views.clone();
            a.set_scope(RangeEntry {
                rel: target.clone(),
                refname: target.name.clone(),
                has_alias: false,
            });
            a.agg_forbidden = Some("policy expressions");
            let x = a.transform_bool(&parsed, "POLICY").map_err(|mut e| {
                e.position = None;
                e
            });
            let x = match x {
                Ok(x) => x,
                Err(e) => {
                    self.rls_expanding.pop();
                    return Err(e);
                }
            };
            for r in a.relations {
                self.merge_relation(r);
            }
            checks.push((
                format!(
                    "{RLS_CHECK_PREFIX}u{}{RLS_CHECK_SEPARATOR}{}",
                    policy.unwrap_or_default(),
                    target.name
                ),
                x,
            ));
        }
        self.rls_expanding.pop();
        checks.extend(target.checks.iter().cloned());
        Ok(Arc::new(RelationDesc {
            checks: Arc::new(checks),
            ..(*target).clone()
        }))
    }
}
