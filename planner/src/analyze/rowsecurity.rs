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

/// The start of the `alias` of the scan inside a row security subquery
/// (then the FROM item's alias, if it has one): the subquery may be
/// pulled up into its query ([`pull_up`], [`pull_up_input`]), and EXPLAIN
/// names the scan by the rest.
pub const RLS_SCAN_MARK: &str = "\u{1}rls";

/// The scanned relation of a pulled-up row security subquery, named as
/// its FROM item (None: no subquery of ours).
fn secured_scan(source: &Source) -> Option<Source> {
    let relabel = |rel: &Arc<RelationDesc>| {
        let rest = rel.alias.as_deref()?.strip_prefix(RLS_SCAN_MARK)?;
        Some(Arc::new(RelationDesc {
            alias: (!rest.is_empty()).then(|| rest.to_string()),
            ..(**rel).clone()
        }))
    };
    match source {
        Source::SeqScan(rel) => Some(Source::SeqScan(relabel(rel)?)),
        Source::IndexScan(rel, i) => Some(Source::IndexScan(relabel(rel)?, i.clone())),
        Source::Bitmap(rel, b) => Some(Source::Bitmap(relabel(rel)?, b.clone())),
        Source::TidScan(rel, t) => Some(Source::TidScan(relabel(rel)?, t.clone())),
        _ => None,
    }
}

/// The subquery's plan when it is a plain filtered scan of all the
/// table's columns (what can be pulled up), with its scan renamed.
fn plain_secured(source: &Source) -> Option<(Source, Option<Expr>)> {
    let Source::Subquery {
        plan: inner,
        params,
        ..
    } = source
    else {
        return None;
    };
    let scan = secured_scan(&inner.source)?;
    let rel = match &scan {
        Source::SeqScan(r)
        | Source::IndexScan(r, _)
        | Source::Bitmap(r, _)
        | Source::TidScan(r, _) => r,
        _ => return None,
    };
    let plain = params.is_empty()
        && inner.aggregate.is_none()
        && inner.windows.is_none()
        && inner.project_set.is_none()
        && inner.order_by.is_empty()
        && inner.limit.is_none()
        && inner.offset.is_none()
        && !inner.distinct
        && inner.row_lock.is_none()
        && inner.targets.len() == rel.columns.len()
        && inner
            .targets
            .iter()
            .enumerate()
            .all(|(i, t)| matches!(t, Expr::Var { index, .. } if *index == i));
    plain.then(|| (scan, inner.filter.clone()))
}

fn and_first(secured: Option<Expr>, filter: Option<Expr>) -> Option<Expr> {
    match (secured, filter) {
        (Some(s), Some(Expr::And(v))) => Some(Expr::And(std::iter::once(s).chain(v).collect())),
        (Some(s), Some(f)) => Some(Expr::And(vec![s, f])),
        (s, f) => s.or(f),
    }
}

/// A join input that is a row security subquery, pulled up: the scan,
/// filtered by the policy before the input's own filter.
pub fn pull_up_input(input: &mut crate::plan::JoinInput) {
    if let Some((scan, secured)) = plain_secured(&input.source) {
        input.source = scan;
        input.filter = and_first(secured, input.filter.take());
    }
}

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
    for p in policies.iter().filter(|p| !p.permissive && applies(p, cmd)) {
        if let Some(q) = qual(p) {
            out.push((Some(p.name.clone()), q));
        }
    }
    out
}

/// `SELECT ... FOR UPDATE | SHARE` of one table under row security: its
/// subquery (a plain filtered scan of all of the table's columns) is
/// pulled up into the query, the policy's qual before the query's WHERE,
/// so that the rows the scan returns can be locked.
pub(crate) fn pull_up_for_locking(plan: &mut crate::plan::Plan) {
    pull_up(plan, None);
}

/// Pulls up the row security subquery that is the whole FROM clause of
/// `plan` (see [`pull_up_for_locking`]); `oid` (when given) must be the
/// table's: the FROM item of a table under row security keeps its OID.
pub(crate) fn pull_up(plan: &mut crate::plan::Plan, oid: Option<u32>) {
    let Some((scan, secured)) = plain_secured(&plan.source) else {
        return;
    };
    if let (
        Some(o),
        Source::SeqScan(r) | Source::IndexScan(r, _) | Source::Bitmap(r, _) | Source::TidScan(r, _),
    ) = (oid, &scan)
        && r.oid != o
    {
        return;
    }
    plan.source = scan;
    plan.filter = and_first(secured, plan.filter.take());
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
        sample: Option<&str>,
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
        // An inheritance tree's rows carry their `tableoid` after the
        // columns, as the Append of its scans does.
        let tree = !only && !rel.children.is_empty();
        // TABLESAMPLE samples the table, before the policy.
        let text = format!(
            "SELECT *{} FROM {}{}.{}{} WHERE {qual}",
            if tree { ", tableoid" } else { "" },
            if only { "ONLY " } else { "" },
            quote(&rel.schema),
            quote(&rel.name),
            sample.map(|s| format!(" {}", s.trim())).unwrap_or_default()
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
        let (columns, mut plan, params) = r.map_err(|mut e| {
            e.position = None;
            e
        })?;
        let mark = |r: &Arc<RelationDesc>| {
            Arc::new(RelationDesc {
                alias: Some(format!(
                    "{RLS_SCAN_MARK}{}",
                    if entry.has_alias {
                        entry.refname.as_str()
                    } else {
                        ""
                    }
                )),
                ..(**r).clone()
            })
        };
        plan.source = match plan.source {
            Source::SeqScan(r) => Source::SeqScan(mark(&r)),
            Source::IndexScan(r, i) => Source::IndexScan(mark(&r), i),
            Source::Bitmap(r, b) => Source::Bitmap(mark(&r), b),
            Source::TidScan(r, t) => Source::TidScan(mark(&r), t),
            other => other,
        };
        let live: Vec<_> = rel.columns.iter().filter(|c| !c.dropped).collect();
        let scoped = scope_relation(
            &rel.name,
            rel.relkind,
            live.iter()
                .zip(&columns)
                .map(|(tc, c)| (tc.name.clone(), c.type_oid, c.typmod)),
        );
        // The table's OID and kind stay with the item (`tableoid`, the
        // columns' origin in RowDescription, the pull-up of `pull_up`).
        let scoped = Arc::new(RelationDesc {
            oid: rel.oid,
            schema: rel.schema.clone(),
            children: if tree {
                rel.children.clone()
            } else {
                Vec::new()
            },
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
        // The policy sees the target alone (not UPDATE ... FROM's items),
        // which comes first in the row.
        let target_only: Vec<ScopeItem> = self.scope.iter().take(1).cloned().collect();
        let saved_scope = std::mem::replace(&mut self.scope, target_only);
        let saved = self.agg_forbidden.replace("policy expressions");
        let r = self.transform_bool(&parsed, "POLICY");
        self.agg_forbidden = saved;
        self.scope = saved_scope;
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
