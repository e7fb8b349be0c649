//! `WITH` queries (common table expressions), PostgreSQL's
//! `parse_cte.c` in brief: each is analyzed once, where it is declared, as
//! a query level of its own, and a FROM item naming it (in the query or any
//! subquery of it, innermost declaration first) reads its rows. Names are
//! visible to the CTEs after them in the list, and in `WITH RECURSIVE` to
//! itself: a body of the form `non-recursive UNION [ALL] recursive`
//! reads, in its recursive term, the rows the previous round produced (a
//! work table); the overall column types must be the non-recursive term's.
//! A CTE that reads columns of a query around it is 0A000; MATERIALIZED
//! and NOT MATERIALIZED are accepted (each reference runs the query once
//! per execution of the query that names it).
//!
//! A data-modifying statement (INSERT, UPDATE, DELETE) is allowed in the
//! WITH of the top-level statement only. It becomes a
//! [`ModifyingCte`](crate::plan::ModifyingCte) of the planned statement,
//! which the executor runs first, to completion, whether or not anything
//! reads it; its RETURNING rows are a work table the references read.
//! Since it runs at the statement's command id, the main query and the
//! other WITH statements see the tables as they were before the statement
//! (PostgreSQL's single snapshot).

use sqlparser::ast::{self, SetExpr, Spanned};
use types::oid::{self, UNKNOWN};
use types::{PgError, PgResult, SqlState};

use super::coerce::select_common_type;
use super::{Analyzer, ident_name};
use crate::expr::Expr;
use crate::plan::{RecursiveUnion, Source};
use crate::{Column, Plan};

/// A CTE in scope: its columns (renamed by its column list) and the source
/// a reference reads.
#[derive(Debug, Clone)]
pub(crate) struct CteDef {
    pub name: String,
    pub columns: Vec<Column>,
    pub source: Source,
    pub width: usize,
    /// Whether a FROM item named it (for a recursive body: whether it is
    /// recursive at all).
    pub used: bool,
    /// For the work table of a recursive term: the query level of that
    /// term (a reference from a subquery inside it is an error).
    pub level: Option<usize>,
    /// A data-modifying statement without RETURNING (a reference to it
    /// is an error).
    pub no_returning: bool,
}

impl CteDef {
    /// A CTE whose references read `plan`'s rows (a query level of its own).
    fn query(name: &str, columns: Vec<Column>, plan: Plan) -> CteDef {
        let width = columns.len();
        CteDef {
            name: name.to_owned(),
            columns,
            source: Source::Subquery {
                plan: Box::new(plan),
                width,
                params: Vec::new(),
            },
            width,
            used: false,
            level: None,
            no_returning: false,
        }
    }
}

/// Renames `columns` by a column alias list (42P10 if it is too long).
pub(crate) fn renamed(
    what: &str,
    name: &str,
    mut columns: Vec<Column>,
    aliases: &[ast::TableAliasColumnDef],
) -> PgResult<Vec<Column>> {
    if aliases.len() > columns.len() {
        return Err(PgError::new(
            SqlState::InvalidColumnReference,
            format!(
                "{what} \"{name}\" has {} columns available but {} columns specified",
                columns.len(),
                aliases.len()
            ),
        ));
    }
    for (c, a) in columns.iter_mut().zip(aliases) {
        c.name = ident_name(&a.name);
    }
    Ok(columns)
}

impl Analyzer<'_> {
    /// Declares the CTEs of a WITH clause in `self.ctes` (the caller drops
    /// them when its query is done).
    pub(super) fn analyze_with(&mut self, with: &ast::With) -> PgResult<()> {
        let names: Vec<String> = with
            .cte_tables
            .iter()
            .map(|c| ident_name(&c.alias.name))
            .collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(PgError::new(
                    SqlState::DuplicateAlias,
                    format!("WITH query name \"{name}\" specified more than once"),
                ));
            }
        }
        // In WITH RECURSIVE every query sees all of them: each is analyzed
        // after those it names (PostgreSQL's makeDependencyGraph).
        let order = match with.recursive {
            true => self.dependency_order(with, &names)?,
            false => (0..names.len()).collect(),
        };
        for i in order {
            let cte = &with.cte_tables[i];
            let name = names[i].clone();
            if cte.from.is_some() {
                return Err(PgError::feature_not_supported("WITH ... FROM"));
            }
            let rewritten;
            let mut cte = cte;
            let mut wrapped = false;
            if let Some(clauses) = self.search_cycle_clauses(cte)? {
                rewritten = self.rewrite_search_cycle(&name, cte, with.recursive, &clauses)?;
                cte = &rewritten;
                wrapped = true;
            }
            if matches!(
                cte.query.body.as_ref(),
                SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_)
            ) && !(with.recursive && self_reference(&cte.query, &name).is_some())
            {
                let def = self.modifying_cte(&name, cte, with)?;
                self.ctes.push(def);
                continue;
            }
            let def = match with.recursive {
                true => self.recursive_cte(&name, cte, wrapped)?,
                false => None,
            };
            let def = match def {
                Some(d) => d,
                None => self.plain_cte(&name, cte)?,
            };
            self.ctes.push(def);
        }
        Ok(())
    }

    /// The order to analyze the queries of a WITH RECURSIVE list in: each
    /// after the others it names, else in the order written; 0A000 for a
    /// cycle between them.
    fn dependency_order(&self, with: &ast::With, names: &[String]) -> PgResult<Vec<usize>> {
        let deps: Vec<Vec<usize>> = with
            .cte_tables
            .iter()
            .enumerate()
            .map(|(i, cte)| {
                let mut d = Vec::new();
                let _ = ast::visit_relations(&cte.query, |rel| {
                    if let [part] = rel.0.as_slice()
                        && let Some(id) = part.as_ident()
                        && let Some(j) = names.iter().position(|n| *n == ident_name(id))
                        && j != i
                        && !d.contains(&j)
                    {
                        d.push(j);
                    }
                    std::ops::ControlFlow::<()>::Continue(())
                });
                d
            })
            .collect();
        let mut done = vec![false; names.len()];
        let mut order = Vec::with_capacity(names.len());
        while order.len() < names.len() {
            let Some(next) =
                (0..names.len()).find(|&i| !done[i] && deps[i].iter().all(|&j| done[j]))
            else {
                let first = (0..names.len()).find(|&i| !done[i]).unwrap_or(0);
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    "mutual recursion between WITH items is not implemented",
                )
                .or_position(self.pos(with.cte_tables[first].alias.name.span)));
            };
            done[next] = true;
            order.push(next);
        }
        Ok(order)
    }

    /// `name AS (INSERT | UPDATE | DELETE ... [RETURNING ...])`.
    fn modifying_cte(&mut self, name: &str, cte: &ast::Cte, with: &ast::With) -> PgResult<CteDef> {
        let at = self.pos(cte.alias.name.span);
        let stmt = match cte.query.body.as_ref() {
            SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) => s,
            _ => {
                return Err(PgError::new(
                    SqlState::FeatureNotSupported,
                    "MERGE not supported in WITH query",
                )
                .or_position(at));
            }
        };
        if self.top_with != with as *const ast::With as usize {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "WITH clause containing a data-modifying statement must be at the top level",
            )
            .or_position(at));
        }
        // Its own analysis state: the view checks of a view it writes
        // through, the target's scope.
        let view_checks = std::mem::take(&mut self.view_checks);
        let cascade = std::mem::replace(&mut self.cascade_view_checks, false);
        let r = self.in_subquery_level(|a| a.analyze_dml(stmt));
        self.view_checks = view_checks;
        self.cascade_view_checks = cascade;
        let ((_, columns, plan, modify), params) = r?;
        let Some(modify) = modify else {
            return Err(PgError::internal(
                "a data-modifying WITH query without a table",
            ));
        };
        if !params.is_empty() {
            return Err(PgError::feature_not_supported(
                "a WITH query that reads columns of a query around it",
            ));
        }
        let (plan, modify) = crate::indexpath::apply(plan, Some(modify));
        let Some(modify) = modify else {
            return Err(PgError::internal(
                "a data-modifying WITH query lost its table",
            ));
        };
        let id = self.next_worktable;
        self.next_worktable += 1;
        self.modifying_ctes.push(crate::plan::ModifyingCte {
            id,
            name: name.to_owned(),
            plan,
            modify,
            referenced: false,
        });
        let no_returning = columns.is_empty();
        let columns = renamed("WITH query", name, columns, &cte.alias.columns)?;
        let width = columns.len();
        Ok(CteDef {
            name: name.to_owned(),
            columns,
            source: Source::WorkTable { id, width },
            width,
            used: false,
            level: None,
            no_returning,
        })
    }

    fn plain_cte(&mut self, name: &str, cte: &ast::Cte) -> PgResult<CteDef> {
        let (columns, plan, params) = self.analyze_subquery(&cte.query)?;
        if !params.is_empty() {
            return Err(PgError::feature_not_supported(
                "a WITH query that reads columns of a query around it",
            ));
        }
        let columns: Vec<Column> = columns
            .into_iter()
            .map(|c| Column {
                type_oid: if c.type_oid == UNKNOWN {
                    oid::TEXT
                } else {
                    c.type_oid
                },
                ..c
            })
            .collect();
        let columns = renamed("WITH query", name, columns, &cte.alias.columns)?;
        Ok(CteDef::query(name, columns, plan))
    }

    /// A `WITH RECURSIVE` body `a UNION [ALL] b` whose `b` names the CTE;
    /// None if it has another form or does not name itself (then it is a
    /// plain CTE).
    /// `wrapped`: the recursive term is a SEARCH / CYCLE rewrite's, whose
    /// recursive reference is one query level further in.
    fn recursive_cte(
        &mut self,
        name: &str,
        cte: &ast::Cte,
        wrapped: bool,
    ) -> PgResult<Option<CteDef>> {
        // PostgreSQL's checkWellFormedRecursion: a CTE that names itself
        // must be `non-recursive UNION [ALL] recursive`.
        let Some(_) = self_reference(&cte.query, name) else {
            return Ok(None);
        };
        let malformed = || {
            PgError::new(
                SqlState::InvalidRecursion,
                format!(
                    "recursive query \"{name}\" does not have the form non-recursive-term UNION [ALL] recursive-term"
                ),
            )
        };
        if matches!(
            cte.query.body.as_ref(),
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_)
        ) {
            return Err(PgError::new(
                SqlState::InvalidRecursion,
                format!("recursive query \"{name}\" must not contain data-modifying statements"),
            )
            .or_position(self.pos(cte.alias.name.span)));
        }
        let SetExpr::SetOperation {
            op: ast::SetOperator::Union,
            set_quantifier,
            left,
            right,
        } = cte.query.body.as_ref()
        else {
            return Err(malformed().or_position(self.pos(cte.alias.name.span)));
        };
        let not_implemented = |what: &str, at: Option<usize>| {
            PgError::new(
                SqlState::FeatureNotSupported,
                format!("{what} in a recursive query is not implemented"),
            )
            .or_position(at)
        };
        if let Some(ob) = &cte.query.order_by {
            let at = match &ob.kind {
                ast::OrderByKind::Expressions(items) => {
                    items.first().and_then(|o| self.pos(o.expr.span()))
                }
                ast::OrderByKind::All(_) => None,
            };
            return Err(not_implemented("ORDER BY", at));
        }
        if let Some(ast::LimitClause::LimitOffset { limit, offset, .. }) = &cte.query.limit_clause {
            if let Some(o) = offset {
                return Err(not_implemented("OFFSET", self.pos(o.value.span())));
            }
            if let Some(l) = limit {
                return Err(not_implemented("LIMIT", self.pos(l.span())));
            }
        }
        if !cte.query.locks.is_empty() {
            return Err(not_implemented("FOR UPDATE/SHARE", None));
        }
        if let Some(at) = self_reference(left, name) {
            return Err(PgError::new(
                SqlState::InvalidRecursion,
                format!(
                    "recursive reference to query \"{name}\" must not appear within its non-recursive term"
                ),
            )
            .or_position(self.pos(at)));
        }

        // The stored form of a SEARCH / CYCLE rewrite (a view's) too.
        let wrapped = wrapped || super::search_cycle::is_rewritten_term(right);
        let all = match set_quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            _ => return Ok(None),
        };
        let id = self.next_worktable;
        self.next_worktable += 1;
        let r = self.in_subquery_level(|a| {
            // The body's own WITH is in scope for both terms.
            let before = a.ctes.len();
            let r = a.recursive_terms(name, cte, left, right, id, all, wrapped);
            a.ctes.truncate(before);
            r
        })?;
        let (Some((columns, plan)), params) = r else {
            return Ok(None);
        };
        if !params.is_empty() {
            return Err(PgError::feature_not_supported(
                "a WITH query that reads columns of a query around it",
            ));
        }
        Ok(Some(CteDef::query(name, columns, plan)))
    }

    /// The two terms of a recursive query `left UNION [ALL] right`, in
    /// the query level of its own (see [`Self::recursive_cte`]).
    #[allow(clippy::too_many_arguments)]
    fn recursive_terms(
        &mut self,
        name: &str,
        cte: &ast::Cte,
        left: &SetExpr,
        right: &SetExpr,
        id: usize,
        all: bool,
        wrapped: bool,
    ) -> PgResult<Option<(Vec<Column>, Plan)>> {
        let a = self;
        if let Some(w) = &cte.query.with {
            a.analyze_with(w)?;
        }
        {
            let (left_columns, mut non_recursive) = a.set_operand(left)?;
            for t in &mut non_recursive.targets[..left_columns.len()] {
                if t.type_oid() == UNKNOWN {
                    let e = std::mem::replace(t, Expr::null(oid::TEXT));
                    *t = a.coerce(e, oid::TEXT, -1, false, None)?;
                }
            }
            let types: Vec<(u32, i32)> = non_recursive.targets[..left_columns.len()]
                .iter()
                .map(|t| (t.type_oid(), t.typmod()))
                .collect();
            let columns: Vec<Column> = left_columns
                .iter()
                .zip(&types)
                .map(|(c, &(type_oid, typmod))| Column {
                    name: c.name.clone(),
                    type_oid,
                    typmod,
                    table_oid: 0,
                    column_id: 0,
                })
                .collect();
            let columns = renamed("WITH query", name, columns, &cte.alias.columns)?;
            let width = columns.len();
            a.ctes.push(CteDef {
                name: name.to_owned(),
                columns: columns.clone(),
                source: Source::WorkTable { id, width },
                width,
                used: false,
                level: Some(a.outer_scopes.len() + usize::from(wrapped)),
                no_returning: false,
            });
            let r = a.set_operand(right);
            let used = a.ctes.pop().is_some_and(|c| c.used);
            let (right_columns, mut recursive) = r?;
            if !used {
                return Ok(None);
            }
            if recursive.aggregate.is_some() {
                // PostgreSQL points at the first aggregate call.
                let mut at = None;
                let _ = ast::visit_expressions(right, |e| {
                    if let ast::Expr::Function(f) = e
                        && super::agg::is_aggregate(&f.name.to_string().to_lowercase())
                    {
                        at = a.pos(f.name.span());
                        return std::ops::ControlFlow::Break(());
                    }
                    std::ops::ControlFlow::Continue(())
                });
                return Err(PgError::new(
                    SqlState::InvalidRecursion,
                    "aggregate functions are not allowed in a recursive query's recursive term",
                )
                .or_position(at));
            }
            if right_columns.len() != width {
                return Err(PgError::syntax(
                    "each UNION query must have the same number of columns",
                    None,
                ));
            }
            for (i, &(ltype, _)) in types.iter().enumerate() {
                let rtype = recursive.targets[i].type_oid();
                let common = select_common_type(&[(ltype, None), (rtype, None)], "UNION")?;
                if common != ltype {
                    return Err(PgError::new(
                        SqlState::DatatypeMismatch,
                        format!(
                            "recursive query \"{name}\" column {} has type {} in non-recursive term but type {} overall",
                            i + 1,
                            oid::type_name(ltype),
                            oid::type_name(common)
                        ),
                    )
                    .with_hint("Cast the output of the non-recursive term to the correct type."));
                }
                let e = std::mem::replace(&mut recursive.targets[i], Expr::null(ltype));
                recursive.targets[i] = a.coerce(e, ltype, -1, false, None)?;
            }
            let targets = super::column_vars(&columns);
            let plan = Plan {
                source: Source::RecursiveUnion(Box::new(RecursiveUnion {
                    id,
                    all,
                    non_recursive,
                    recursive,
                    width,
                })),
                targets,
                ..Plan::empty()
            };
            Ok(Some((columns, plan)))
        }
    }
}

/// Where `query` names `name` as a relation (an unqualified table name),
/// if it does; inside a query whose own WITH declares `name`, the name is
/// that CTE's.
pub(crate) fn self_reference<T: sqlparser::ast::Visit>(
    query: &T,
    name: &str,
) -> Option<sqlparser::tokenizer::Span> {
    use std::ops::ControlFlow;
    struct Finder<'a> {
        name: &'a str,
        /// per query being visited: whether its WITH declares the name
        shadowed: Vec<bool>,
    }
    impl sqlparser::ast::Visitor for Finder<'_> {
        type Break = sqlparser::tokenizer::Span;
        fn pre_visit_query(&mut self, q: &ast::Query) -> ControlFlow<Self::Break> {
            let declares = q.with.as_ref().is_some_and(|w| {
                w.cte_tables
                    .iter()
                    .any(|c| ident_name(&c.alias.name) == self.name)
            });
            self.shadowed.push(declares);
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &ast::Query) -> ControlFlow<Self::Break> {
            self.shadowed.pop();
            ControlFlow::Continue(())
        }
        fn pre_visit_relation(&mut self, rel: &ast::ObjectName) -> ControlFlow<Self::Break> {
            if let [part] = rel.0.as_slice()
                && let Some(id) = part.as_ident()
                && ident_name(id) == self.name
                && !self.shadowed.iter().any(|s| *s)
            {
                return ControlFlow::Break(id.span);
            }
            ControlFlow::Continue(())
        }
    }
    let mut finder = Finder {
        name,
        shadowed: Vec::new(),
    };
    match query.visit(&mut finder) {
        ControlFlow::Break(span) => Some(span),
        ControlFlow::Continue(()) => None,
    }
}
