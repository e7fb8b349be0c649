//! MERGE (PostgreSQL's `parse_merge.c`).
//!
//! The target comes first in scope (`Var` 0 ..), the source after it, as
//! for `UPDATE ... FROM`; the join condition and the WHEN MATCHED clauses
//! see both, the WHEN NOT MATCHED clauses only the source (their
//! expressions still index the same wide row, whose target part is NULL
//! then). The executor (`executor::merge`) does the join and picks the
//! actions.

use sqlparser::ast::{self, Spanned};
use types::{PgError, PgResult, SqlState};

use super::dml::{Analyzed, mentions_columns};
use super::{Analyzer, ident_name};
use crate::expr::Expr;
use crate::plan::{CommandKind, MergeAction, MergeActionKind, MergePlan, ModifyTable, Plan};

impl Analyzer<'_> {
    pub(crate) fn analyze_merge(&mut self, m: &ast::Merge) -> PgResult<Analyzed> {
        if let Some(out) = &m.output {
            // PostgreSQL 15's grammar has no RETURNING for MERGE.
            let word = out.to_string();
            let word = word.split_whitespace().next().unwrap_or("RETURNING");
            return Err(PgError::syntax(
                format!("syntax error at or near \"{word}\""),
                self.pos(out.span()),
            ));
        }
        // The target must be a plain or partitioned table.
        let named = self.range_entry(&m.table)?;
        if !matches!(named.rel.relkind, 'r' | 'p') {
            let what = match named.rel.relkind {
                'v' => "views",
                'm' => "materialized views",
                'f' => "foreign tables",
                'S' => "sequences",
                _ => "this relation kind",
            };
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!("cannot execute MERGE on relation \"{}\"", named.rel.name),
            )
            .with_detail(format!("This operation is not supported for {what}.")));
        }
        // Unreachable clauses and the privileges the actions need.
        let mut perms = 0;
        let mut terminal = [false, false];
        for c in &m.clauses {
            let which = match c.clause_kind {
                ast::MergeClauseKind::Matched => 0,
                ast::MergeClauseKind::NotMatched | ast::MergeClauseKind::NotMatchedByTarget => 1,
                ast::MergeClauseKind::NotMatchedBySource => {
                    return Err(PgError::feature_not_supported("WHEN NOT MATCHED BY SOURCE"));
                }
            };
            perms |= match (&c.action, which) {
                (ast::MergeAction::Update(_), 0) => catalog::acl::ACL_UPDATE,
                (ast::MergeAction::Delete { .. }, 0) => catalog::acl::ACL_DELETE,
                (ast::MergeAction::Insert(_), 1) => catalog::acl::ACL_INSERT,
                (ast::MergeAction::DoNothing { .. }, _) => catalog::acl::ACL_SELECT,
                (ast::MergeAction::Insert(_), _) => {
                    return Err(PgError::syntax(
                        "syntax error at or near \"INSERT\"",
                        self.pos(c.action.span()),
                    ));
                }
                (ast::MergeAction::Update(_), _) => {
                    return Err(PgError::syntax(
                        "syntax error at or near \"UPDATE\"",
                        self.pos(c.action.span()),
                    ));
                }
                (ast::MergeAction::Delete { .. }, _) => {
                    return Err(PgError::syntax(
                        "syntax error at or near \"DELETE\"",
                        self.pos(c.action.span()),
                    ));
                }
            };
            if terminal[which] {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "unreachable WHEN clause specified after unconditional WHEN clause",
                ));
            }
            if c.predicate.is_none() {
                terminal[which] = true;
            }
        }
        let (entry, rel) = self.dml_target(&m.table)?;
        let target_names: Vec<String> = entry.rel.columns.iter().map(|c| c.name.clone()).collect();
        let reads_target = |e: &ast::Expr| mentions_columns(e, &entry.refname, &target_names);
        let reads = reads_target(&m.on)
            || m.clauses.iter().any(|c| {
                c.clause_kind == ast::MergeClauseKind::Matched
                    && (c.predicate.as_ref().is_some_and(reads_target)
                        || matches!(&c.action, ast::MergeAction::Update(u)
                            if matches!(&u.kind, ast::MergeUpdateKind::Set(a)
                                if a.iter().any(|a| reads_target(&a.value)))))
            });
        self.require_privileges(
            entry.rel.oid,
            perms | if reads { catalog::acl::ACL_SELECT } else { 0 },
        );
        let start = entry.rel.columns.len();
        let target_name = entry.refname.clone();
        let source = self.merge_source(entry, &m.source).map_err(|mut e| {
            if e.message == format!("table name \"{target_name}\" specified more than once") {
                e.message = format!("name \"{target_name}\" specified more than once");
                e.detail =
                    Some("The name is used both as MERGE target table and data source.".into());
            }
            e
        })?;
        let saved = self.agg_forbidden.replace("MERGE WHEN");
        let join = self.transform_bool(&m.on, "JOIN/ON");
        self.agg_forbidden = saved;
        let join = join?;
        let both = self.scope.clone();
        let (mut matched, mut not_matched) = (Vec::new(), Vec::new());
        for c in &m.clauses {
            let is_matched = c.clause_kind == ast::MergeClauseKind::Matched;
            if !is_matched {
                self.scope = both
                    .iter()
                    .map(|i| match i.offset < start {
                        true => i.hidden(),
                        false => i.clone(),
                    })
                    .collect();
            }
            let action = self.merge_action(&rel, c);
            self.scope = both.clone();
            let action = action?;
            match is_matched {
                true => matched.push(action),
                false => not_matched.push(action),
            }
        }
        Ok((
            CommandKind::Merge,
            Vec::new(),
            Plan::empty(),
            Some(ModifyTable::Merge(Box::new(MergePlan {
                rel,
                source,
                join,
                matched,
                not_matched,
            }))),
        ))
    }

    /// The source's rows (full width, after the target in scope).
    fn merge_source(
        &mut self,
        target: super::RangeEntry,
        source: &ast::TableFactor,
    ) -> PgResult<Plan> {
        let item = ast::TableWithJoins {
            relation: source.clone(),
            joins: Vec::new(),
        };
        let start = target.rel.columns.len();
        let (src, width) = self.analyze_from_after(target, &[item])?;
        let mut targets: Vec<Expr> = (0..width)
            .map(|_| Expr::null(types::oid::UNKNOWN))
            .collect();
        for item in self
            .scope
            .iter()
            .filter(|i| i.join_columns.is_none() && i.offset >= start)
        {
            for (i, c) in item.entry.rel.columns.iter().enumerate() {
                if let Some(t) = targets.get_mut(item.offset - start + i) {
                    *t = Expr::Var {
                        index: item.offset - start + i,
                        type_oid: c.type_oid,
                        typmod: c.typmod,
                    };
                }
            }
        }
        let mut plan = Plan {
            source: src,
            targets,
            ..Plan::empty()
        };
        crate::joinpath::plan(&mut plan)?;
        let (plan, _) = crate::indexpath::apply(plan, None);
        Ok(plan)
    }

    fn merge_action(
        &mut self,
        rel: &std::sync::Arc<crate::catalog::RelationDesc>,
        c: &ast::MergeClause,
    ) -> PgResult<MergeAction> {
        let condition = match &c.predicate {
            Some(p) => {
                let saved = self.agg_forbidden.replace("MERGE WHEN");
                let r = self.transform_bool(p, "WHEN");
                self.agg_forbidden = saved;
                Some(r?)
            }
            None => None,
        };
        let kind = match &c.action {
            ast::MergeAction::DoNothing { .. } => MergeActionKind::Nothing,
            ast::MergeAction::Delete { .. } => MergeActionKind::Delete,
            ast::MergeAction::Update(u) => {
                if u.update_predicate.is_some() || u.delete_predicate.is_some() {
                    return Err(PgError::feature_not_supported("MERGE UPDATE ... WHERE"));
                }
                let ast::MergeUpdateKind::Set(items) = &u.kind else {
                    return Err(PgError::feature_not_supported("MERGE UPDATE SET *"));
                };
                MergeActionKind::Update(self.set_clause(rel, items, "UPDATE")?)
            }
            ast::MergeAction::Insert(ins) => {
                if ins.insert_predicate.is_some() {
                    return Err(PgError::feature_not_supported("MERGE INSERT ... WHERE"));
                }
                let ast::MergeInsertKind::Values(values) = &ins.kind else {
                    return Err(PgError::feature_not_supported("MERGE INSERT ROW"));
                };
                if values.rows.len() != 1 {
                    return Err(PgError::syntax(
                        "syntax error at or near \",\"",
                        values
                            .rows
                            .get(1)
                            .and_then(|r| r.first())
                            .and_then(|e| self.pos(e.span())),
                    ));
                }
                let mut targets: Vec<(usize, Option<usize>)> = Vec::new();
                if ins.columns.is_empty() {
                    targets.extend(
                        rel.columns
                            .iter()
                            .enumerate()
                            .filter(|(_, c)| !c.dropped)
                            .map(|(i, _)| (i, None)),
                    );
                    let width = values.rows[0].len();
                    if width < targets.len() {
                        targets.truncate(width);
                    }
                } else {
                    for name in &ins.columns {
                        let pos = self.pos(name.span());
                        let col = match name.0.as_slice() {
                            [ast::ObjectNamePart::Identifier(id)] => ident_name(id),
                            _ => {
                                return Err(PgError::feature_not_supported(
                                    "assignment to fields or subscripts",
                                )
                                .or_position(pos));
                            }
                        };
                        let Some(i) = rel.column_index(&col) else {
                            return Err(PgError::new(
                                SqlState::UndefinedColumn,
                                format!(
                                    "column \"{col}\" of relation \"{}\" does not exist",
                                    rel.name
                                ),
                            )
                            .or_position(pos));
                        };
                        if targets.iter().any(|(t, _)| *t == i) {
                            return Err(PgError::new(
                                SqlState::DuplicateColumn,
                                format!("column \"{col}\" specified more than once"),
                            )
                            .or_position(pos));
                        }
                        targets.push((i, pos));
                    }
                }
                for (i, _) in &targets {
                    self.note_column(rel.oid, *i, 'a');
                }
                self.insert_paths = Vec::new();
                let plan = self.insert_values(rel, &targets, values, None)?;
                let crate::plan::Source::Values(mut rows) = plan.source else {
                    return Err(PgError::internal("MERGE INSERT without a row"));
                };
                MergeActionKind::Insert(rows.pop().unwrap_or_default())
            }
        };
        Ok(MergeAction { condition, kind })
    }
}
