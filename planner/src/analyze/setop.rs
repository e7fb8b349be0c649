//! `UNION`, `INTERSECT` and `EXCEPT` (PostgreSQL's `transformSetOperationStmt`):
//! each operand is analyzed as a query of its own at this level; their
//! columns pair up by position, each pair resolved to a common type by the
//! UNION/CASE rules (`select_common_type`, "UNION types integer and text
//! cannot be matched") and coerced to it in the operand's select list; the
//! result's column names are the leftmost operand's. ORDER BY of the whole
//! may name result columns or give their positions, nothing else.

use sqlparser::ast::{self, SetExpr, Spanned};
use types::{PgError, PgResult, SqlState};

use super::coerce::select_common_type;
use super::from::ScopeItem;
use super::{Analyzer, RangeEntry, Target, scope_relation};
use crate::expr::Expr;
use crate::plan::{SetOp, SetOpKind, Source};
use crate::{Column, Plan};

impl Analyzer<'_> {
    /// A query whose body is a set operation, with its ORDER BY.
    pub(super) fn analyze_set_operation(
        &mut self,
        body: &SetExpr,
        order_by: &[ast::OrderByExpr],
    ) -> PgResult<(Vec<Column>, Plan)> {
        let (columns, mut plan) = self.set_operand(body)?;
        // ORDER BY sees the result columns only, by name or position.
        let rel = scope_relation(
            "",
            's',
            columns
                .iter()
                .map(|c| (c.name.clone(), c.type_oid, c.typmod)),
        );
        self.scope = vec![ScopeItem {
            rel_visible: false,
            ..ScopeItem::base(
                RangeEntry {
                    rel,
                    refname: String::new(),
                    has_alias: false,
                },
                0,
            )
        }];
        let mut targets: Vec<Target> = plan
            .targets
            .drain(..)
            .map(|expr| Target {
                expr,
                var_positions: Vec::new(),
            })
            .collect();
        let keys = self.analyze_order_by(order_by, &columns, &mut targets)?;
        if let Some(k) = keys.iter().position(|k| k.column >= columns.len()) {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "invalid UNION/INTERSECT/EXCEPT ORDER BY clause",
            )
            .with_detail("Only result column names can be used, not expressions or functions.")
            .with_hint("Add the expression/function to every SELECT, or move the UNION into a FROM clause.")
            .or_position(self.pos(order_by[k].expr.span())));
        }
        plan.targets = targets.into_iter().map(|t| t.expr).collect();
        plan.order_by = keys;
        Ok((columns, plan))
    }

    /// One operand of a set operation (itself one, a SELECT, VALUES, TABLE
    /// or a parenthesized query): its columns and a plan of them.
    pub(super) fn set_operand(&mut self, body: &SetExpr) -> PgResult<(Vec<Column>, Plan)> {
        let (columns, plan) = match body {
            SetExpr::Select(s) => {
                let saved = std::mem::replace(&mut self.resolve_unknowns, false);
                let r = self.analyze_select(s, &[]);
                self.resolve_unknowns = saved;
                r?
            }
            SetExpr::Values(v) => self.analyze_values(v, &[])?,
            SetExpr::Table(t) => self.analyze_table_command(t, &[])?,
            SetExpr::Query(q) => self.analyze_query(q)?,
            SetExpr::SetOperation {
                op,
                set_quantifier,
                left,
                right,
            } => return self.set_operation(op, set_quantifier, left, right),
            _ => return Err(PgError::feature_not_supported("this kind of query")),
        };
        let (plan, _) = crate::indexpath::apply(plan, None);
        Ok((columns, plan))
    }

    fn set_operation(
        &mut self,
        op: &ast::SetOperator,
        quantifier: &ast::SetQuantifier,
        left: &SetExpr,
        right: &SetExpr,
    ) -> PgResult<(Vec<Column>, Plan)> {
        let kind = match op {
            ast::SetOperator::Union => SetOpKind::Union,
            ast::SetOperator::Intersect => SetOpKind::Intersect,
            ast::SetOperator::Except => SetOpKind::Except,
            ast::SetOperator::Minus => {
                return Err(PgError::syntax("syntax error at or near \"MINUS\"", None));
            }
        };
        let all = match quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            _ => {
                return Err(PgError::feature_not_supported(format!(
                    "this form of {}",
                    kind.name()
                )));
            }
        };
        let (left_columns, mut left) = self.set_operand(left)?;
        let (right_columns, mut right) = self.set_operand(right)?;
        if left_columns.len() != right_columns.len() {
            return Err(PgError::syntax(
                format!(
                    "each {} query must have the same number of columns",
                    kind.name()
                ),
                None,
            ));
        }
        let mut columns = Vec::with_capacity(left_columns.len());
        for (i, (l, r)) in left_columns.iter().zip(&right_columns).enumerate() {
            // The select lists' own types: an untyped literal is still
            // `unknown` there, and takes the other side's type.
            let (lt, rt) = (left.targets[i].type_oid(), right.targets[i].type_oid());
            let common = select_common_type(&[(lt, None), (rt, None)], kind.name())?;
            // Only UNION ALL does without an equality operator, which the
            // geometric types lack.
            if types::oid::is_geometric(common) && !(all && matches!(kind, SetOpKind::Union)) {
                return Err(PgError::new(
                    SqlState::UndefinedFunction,
                    format!(
                        "could not identify an equality operator for type {}",
                        types::oid::type_name(common)
                    ),
                ));
            }
            let typmod = if lt == rt && l.typmod == r.typmod {
                l.typmod
            } else {
                -1
            };
            for plan in [&mut left, &mut right] {
                let e = std::mem::replace(&mut plan.targets[i], Expr::null(common));
                plan.targets[i] = self.coerce(e, common, -1, false, None)?;
            }
            columns.push(Column {
                name: l.name.clone(),
                type_oid: common,
                typmod,
                table_oid: 0,
                column_id: 0,
            });
        }
        let width = columns.len();
        let targets = super::column_vars(&columns);
        Ok((
            columns,
            Plan {
                source: Source::SetOp(Box::new(SetOp {
                    kind,
                    all,
                    left,
                    right,
                    width,
                })),
                targets,
                ..Plan::empty()
            },
        ))
    }
}
