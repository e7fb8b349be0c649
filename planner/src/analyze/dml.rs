//! INSERT, UPDATE and DELETE of one table.
//!
//! Values headed for a column go through assignment coercion
//! ([`Analyzer::assign`]): unknown literals are read as the column's type,
//! implicit and assignment casts apply (int8 to int4, numeric to integer, any
//! type to a string type), and the column's typmod is enforced at run time
//! (`value too long for type character varying(3)`). Anything else is 42804
//! with PostgreSQL's hint. Omitted columns and `DEFAULT` take the column's
//! default expression, whose SQL text comes from the catalog and is analyzed
//! here like any expression, or NULL. NOT NULL is the executor's job, because
//! the value is known only then.

use std::sync::Arc;

use sqlparser::ast::{self, Spanned};
use sqlparser::dialect::PostgreSqlDialect;
use types::oid::{self, UNKNOWN};
use types::{Datum, PgError, PgResult, SqlState};

use super::coerce::can_coerce_assignment;
use super::{Analyzer, RangeEntry, ident_name, name_parts};
use crate::Column;
use crate::catalog::{ColumnDesc, RelationDesc};
use crate::expr::Expr;
use crate::plan::{CommandKind, LockMode, ModifyTable, Plan, Source};
use crate::plan::{OnConflictAction, OnConflictPlan};

/// What DML analysis produces (see `PlannedStmt`).
pub(crate) type Analyzed = (CommandKind, Vec<Column>, Plan, Option<ModifyTable>);

fn is_default_keyword(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}

/// The default of domain `t`, or of the nearest domain under it with one.
pub(crate) fn domain_default_text(mut t: u32) -> Option<String> {
    while let Some(d) = types::typcache::domain(t) {
        let info = d.domain()?;
        if let Some(text) = &info.default {
            return Some(text.clone());
        }
        t = info.base;
    }
    None
}

impl Analyzer<'_> {
    /// Assignment coercion of `x` into column `col` (see the module doc).
    pub fn assign(&mut self, x: Expr, col: &ColumnDesc, pos: Option<usize>) -> PgResult<Expr> {
        // A domain column: assignment to its base type, then the domain's
        // constraints; a domain value is its base type's.
        if types::typcache::is_domain(col.type_oid) && x.type_oid() != col.type_oid {
            let (base, typmod) = types::typcache::base_type_and_typmod(col.type_oid, col.typmod);
            let base_col = ColumnDesc {
                type_oid: base,
                typmod,
                ..col.clone()
            };
            let from = x.type_oid();
            let x = match self.assign(x, &base_col, pos) {
                Err(e) if e.code == SqlState::DatatypeMismatch && from != UNKNOWN => {
                    return Err(PgError::new(
                        SqlState::DatatypeMismatch,
                        format!(
                            "column \"{}\" is of type {} but expression is of type {}",
                            col.name,
                            oid::type_name(col.type_oid),
                            oid::type_name(from)
                        ),
                    )
                    .with_hint("You will need to rewrite or cast the expression.")
                    .or_position(pos));
                }
                other => other?,
            };
            return self.coerce_to_domain(x, col.type_oid);
        }
        let x = super::domain::strip_domain(x);
        let (from, to) = (x.type_oid(), col.type_oid);
        // An array of a domain: each element into the domain.
        if from != to
            && from != UNKNOWN
            && oid::element_of(to).is_some_and(types::typcache::is_domain)
            && can_coerce_assignment(from, to)
        {
            return self.coerce(x, to, col.typmod, true, pos);
        }
        if from == UNKNOWN {
            return self.coerce(x, to, col.typmod, false, pos);
        }
        // A row constructor takes a composite column's type field by field.
        if from == oid::RECORD
            && matches!(x, Expr::Row { .. })
            && types::datum::record::fields_of(to).is_some()
        {
            return self.coerce(x, to, col.typmod, false, pos);
        }
        if from == to && (col.typmod < 0 || x.typmod() == col.typmod) {
            return Ok(x);
        }
        if !can_coerce_assignment(from, to) {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "column \"{}\" is of type {} but expression is of type {}",
                    col.name,
                    oid::format_type(to, col.typmod),
                    oid::format_type(from, x.typmod())
                ),
            )
            .with_hint("You will need to rewrite or cast the expression.")
            .or_position(pos));
        }
        Ok(Expr::Cast {
            arg: Box::new(x),
            from,
            to,
            typmod: col.typmod,
            explicit: false,
        })
    }

    /// The value of column `col` when none is given: its default, or NULL.
    pub fn default_value(&mut self, col: &ColumnDesc) -> PgResult<Expr> {
        let null = Expr::Const {
            value: Datum::Null,
            type_oid: col.type_oid,
        };
        // A generated column's value is computed by the executor from the
        // rest of the row (RelationDesc::generated); NULL holds its place.
        if col.dropped || col.generated != '\0' {
            return Ok(null);
        }
        // Without a default of its own, a domain column takes its
        // domain's (or NULL, which must pass the domain's NOT NULL).
        let domain_default;
        let text = match &col.default {
            Some(text) => text,
            None if types::typcache::is_domain(col.type_oid) => {
                domain_default = domain_default_text(col.type_oid);
                match &domain_default {
                    Some(text) => text,
                    None => {
                        let base = types::typcache::base_type(col.type_oid);
                        let null = Expr::Const {
                            value: Datum::Null,
                            type_oid: base,
                        };
                        return self.coerce_to_domain(null, col.type_oid);
                    }
                }
            }
            None => return Ok(null),
        };
        let parsed = sqlparser::parser::Parser::new(&PostgreSqlDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr())
            .map_err(|e| {
                PgError::internal(format!(
                    "default of column \"{}\" does not parse: {e}",
                    col.name
                ))
            })?;
        // the default is its own little statement: no columns, no parameters,
        // and positions in it mean nothing to the client
        let mut sub = Analyzer::new(text, &[], true).with_catalog(self.catalog);
        sub.agg_forbidden = Some("DEFAULT expressions");
        let unpositioned = |mut e: PgError| {
            e.position = None;
            e
        };
        let x = sub.transform(&parsed).map_err(unpositioned)?;
        sub.assign(x, col, None).map_err(unpositioned)
    }

    /// The target relation of a DML statement, locked RowExclusive: its
    /// entry for the scope (one table: its `tableoid` is a constant) and
    /// the relation to modify, with the descendants that UPDATE and DELETE
    /// reach unless the statement says ONLY.
    pub(super) fn dml_target(
        &mut self,
        t: &ast::TableFactor,
    ) -> PgResult<(RangeEntry, std::sync::Arc<RelationDesc>)> {
        let mut entry = self.range_entry(t)?;
        Self::check_modifiable(&entry.rel)?;
        self.add_relation(&entry.rel, LockMode::RowExclusive);
        let only = matches!(
            t,
            ast::TableFactor::Table {
                inheritance: Some(ast::TableInheritance::Only { .. }),
                ..
            }
        );
        let mut target = entry.rel.clone();
        if !entry.rel.children.is_empty() {
            let alone = std::sync::Arc::new(RelationDesc {
                children: Vec::new(),
                ..(*entry.rel).clone()
            });
            if only {
                target = alone.clone();
            } else {
                for d in crate::inherit::modified_descendants(&entry.rel) {
                    self.add_relation(&d, LockMode::RowExclusive);
                }
            }
            entry.rel = alone;
        }
        let target = self.with_view_checks(target)?;
        Ok((entry, target))
    }

    /// The target of an UPDATE or DELETE (without FROM / USING) of one
    /// table, when the statement may read its system columns: its scan
    /// carries them, and its scope entry reaches them.
    fn dml_system_columns(
        &self,
        mut entry: RangeEntry,
        rel: &std::sync::Arc<RelationDesc>,
    ) -> (RangeEntry, std::sync::Arc<RelationDesc>) {
        if !self.system_columns
            || rel.relkind != 'r'
            || !rel.children.is_empty()
            || rel.oid != entry.rel.oid
        {
            return (entry, rel.clone());
        }
        let mark = |r: &RelationDesc| {
            std::sync::Arc::new(RelationDesc {
                system_columns: true,
                ..r.clone()
            })
        };
        entry.rel = mark(&entry.rel);
        (entry, mark(rel))
    }

    /// RETURNING: a select list over the full-width row of the target.
    fn returning(
        &mut self,
        items: &Option<Vec<ast::SelectItem>>,
    ) -> PgResult<(Vec<Column>, Vec<Expr>)> {
        let Some(items) = items else {
            return Ok((vec![], vec![]));
        };
        let saved = self.agg_forbidden.replace("RETURNING");
        let r = self.analyze_select_list(items);
        self.agg_forbidden = saved;
        let (columns, targets) = r?;
        Ok((columns, targets.into_iter().map(|t| t.expr).collect()))
    }

    pub(crate) fn analyze_insert(&mut self, ins: &ast::Insert) -> PgResult<Analyzed> {
        let on_conflict = match &ins.on {
            None | Some(ast::OnInsert::OnConflict(_)) => ins.on.as_ref(),
            Some(_) => return Err(PgError::feature_not_supported("ON DUPLICATE KEY UPDATE")),
        };
        let overriding = ins.overriding.as_ref();
        if !ins.assignments.is_empty()
            || ins.partitioned.is_some()
            || ins.ignore
            || ins.replace_into
            || ins.or.is_some()
        {
            return Err(PgError::feature_not_supported("this form of INSERT"));
        }
        let ast::TableObject::TableName(name) = &ins.table else {
            return Err(PgError::feature_not_supported(
                "INSERT into a table function",
            ));
        };
        let rel = self.lookup_relation(name)?;
        Self::check_modifiable(&rel)?;
        self.add_relation(&rel, LockMode::RowExclusive);
        {
            use catalog::acl::{ACL_INSERT, ACL_SELECT, ACL_UPDATE};
            let do_update = matches!(&ins.on, Some(ast::OnInsert::OnConflict(oc))
                if matches!(oc.action, ast::OnConflictAction::DoUpdate(_)));
            let perms = ACL_INSERT
                | if do_update { ACL_UPDATE } else { 0 }
                | if ins.returning.is_some() {
                    ACL_SELECT
                } else {
                    0
                };
            self.require_privileges(rel.oid, perms);
        }
        let rel = self.with_view_checks(rel)?;
        let rel = self.with_row_security_checks(rel, 'a', ins.returning.is_some())?;
        let (refname, has_alias) = match &ins.table_alias {
            Some(a) => (ident_name(&a.alias), true),
            None => (rel.name.clone(), false),
        };
        let entry = RangeEntry {
            rel: rel.clone(),
            refname,
            has_alias,
        };
        // target columns: indexes into the full-width row, with positions
        let mut targets: Vec<(usize, Option<usize>)> = Vec::new();
        // Per target: the field path of `c.f` (empty for the column).
        let mut paths: Vec<Vec<String>> = Vec::new();
        self.insert_paths = Vec::new();
        if ins.columns.is_empty() {
            targets.extend(
                rel.columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| !c.dropped)
                    .map(|(i, _)| (i, None)),
            );
        } else {
            for c in &ins.columns {
                let pos = self.pos(c.span());
                // `c.f.g`: a field of a composite column.
                let parts: Vec<String> =
                    c.0.iter()
                        .map(|p| match p {
                            ast::ObjectNamePart::Identifier(id) => Ok(ident_name(id)),
                            _ => Err(PgError::feature_not_supported(
                                "assignment to fields or subscripts",
                            )
                            .or_position(pos)),
                        })
                        .collect::<PgResult<_>>()?;
                let Some((name, path)) = parts.split_first() else {
                    continue;
                };
                // `a[1:2]`: the subscripts are the path.
                let (name, path) = match super::array::split_subscripted(name) {
                    (column, Some(subscripts)) => (
                        column.to_string(),
                        vec![format!("{}{subscripts}", super::array::SUBSCRIPT_MARK)],
                    ),
                    (column, None) => (column.to_string(), path.to_vec()),
                };
                let Some(i) = rel.column_index(&name) else {
                    return Err(PgError::new(
                        SqlState::UndefinedColumn,
                        format!(
                            "column \"{name}\" of relation \"{}\" does not exist",
                            rel.name
                        ),
                    )
                    .or_position(pos));
                };
                if targets
                    .iter()
                    .zip(&paths)
                    .any(|((t, _), p)| *t == i && (p.is_empty() || path.is_empty()))
                {
                    return Err(PgError::new(
                        SqlState::DuplicateColumn,
                        format!("column \"{name}\" specified more than once"),
                    )
                    .or_position(pos));
                }
                targets.push((i, pos));
                paths.push(path);
            }
        }
        self.insert_paths = paths;
        let plan = match &ins.source {
            None => {
                // DEFAULT VALUES
                let row = rel
                    .columns
                    .iter()
                    .map(|c| self.default_value(c))
                    .collect::<PgResult<Vec<_>>>()?;
                identity_plan(vec![row], &rel)
            }
            Some(q) => match q.body.as_ref() {
                ast::SetExpr::Values(v)
                    if q.order_by.is_none() && q.limit_clause.is_none() && q.with.is_none() =>
                {
                    // without a column list, a short row fills the leading columns
                    let width = v.rows.first().map_or(0, |r| r.len());
                    if ins.columns.is_empty() && width < targets.len() {
                        targets.truncate(width);
                    }
                    if let Some(bad) = v.rows.iter().find(|r| r.len() != width) {
                        return Err(PgError::syntax(
                            "VALUES lists must all be the same length",
                            bad.first().and_then(|e| self.pos(e.span())),
                        ));
                    }
                    self.insert_values(&rel, &targets, v, overriding)?
                }
                _ => {
                    self.insert_select(&rel, &mut targets, ins.columns.is_empty(), q, overriding)?
                }
            },
        };
        for (i, _) in &targets {
            self.note_column(rel.oid, *i, 'a');
        }
        let on_conflict = match on_conflict {
            Some(ast::OnInsert::OnConflict(oc)) => Some(self.on_conflict(&rel, &entry, oc)?),
            _ => None,
        };
        self.set_scope(entry);
        let (columns, returning) = self.returning(&ins.returning)?;
        Ok((
            CommandKind::Insert,
            columns,
            plan,
            Some(ModifyTable::Insert {
                rel,
                returning,
                on_conflict,
            }),
        ))
    }

    /// INSERT ... VALUES: each row is coerced into the target columns on its own
    /// (no common type across rows), `DEFAULT` allowed.
    pub(super) fn insert_values(
        &mut self,
        rel: &Arc<RelationDesc>,
        targets: &[(usize, Option<usize>)],
        v: &ast::Values,
        overriding: Option<&ast::InsertOverriding>,
    ) -> PgResult<Plan> {
        let mut rows = Vec::with_capacity(v.rows.len());
        let saved = self.agg_forbidden.replace("VALUES");
        let r = (|| {
            for exprs in &v.rows {
                if exprs.len() > targets.len() {
                    return Err(PgError::syntax(
                        "INSERT has more expressions than target columns",
                        exprs.get(targets.len()).and_then(|e| self.pos(e.span())),
                    ));
                }
                if exprs.len() < targets.len() && !(v.rows.len() == 1 && exprs.is_empty()) {
                    return Err(PgError::syntax(
                        "INSERT has more target columns than expressions",
                        targets.get(exprs.len()).and_then(|t| t.1),
                    ));
                }
                let mut given: Vec<Option<Expr>> = vec![None; rel.columns.len()];
                for (k, (e, (col, tpos))) in exprs.iter().zip(targets).enumerate() {
                    let c = &rel.columns[*col];
                    if let Some(path) = self.insert_paths.get(k).filter(|p| !p.is_empty()).cloned()
                    {
                        let pos = self.pos(e.span());
                        let base = given[*col].take().unwrap_or_else(|| Expr::null(c.type_oid));
                        let value = self.transform(e)?;
                        given[*col] = Some(
                            self.assign_part(base, &c.name, c.typmod, &path, value, *tpos, pos)?,
                        );
                        continue;
                    }
                    let x = if is_default_keyword(e) || identity_overridden(c, overriding)? {
                        self.default_value(c)?
                    } else {
                        let pos = self.pos(e.span());
                        let x = self.transform(e)?;
                        self.assign(x, c, pos)?
                    };
                    given[*col] = Some(x);
                }
                let mut row = Vec::with_capacity(rel.columns.len());
                for (i, g) in given.into_iter().enumerate() {
                    row.push(match g {
                        Some(x) => x,
                        None => self.default_value(&rel.columns[i])?,
                    });
                }
                rows.push(row);
            }
            Ok(())
        })();
        self.agg_forbidden = saved;
        r?;
        Ok(identity_plan(rows, rel))
    }

    /// INSERT ... SELECT: the query's output columns map onto the target
    /// columns; the plan's targets become the full-width row.
    fn insert_select(
        &mut self,
        rel: &Arc<RelationDesc>,
        targets: &mut Vec<(usize, Option<usize>)>,
        implicit_columns: bool,
        q: &ast::Query,
        overriding: Option<&ast::InsertOverriding>,
    ) -> PgResult<Plan> {
        // As PostgreSQL does, the SELECT's unknown-typed outputs (`SELECT
        // NULL`, `SELECT 'x'`) are not made text: they take the column's
        // type below.
        // (DISTINCT compares them, as text.)
        let distinct = matches!(q.body.as_ref(), ast::SetExpr::Select(s) if s.distinct.is_some());
        let (columns, mut plan) = self.analyze_query_resolving(q, distinct)?;
        if implicit_columns && columns.len() < targets.len() {
            targets.truncate(columns.len());
        }
        // positions of the select-list items, for errors
        let item_pos: Vec<Option<usize>> = match q.body.as_ref() {
            ast::SetExpr::Select(s) => s.projection.iter().map(|i| self.pos(i.span())).collect(),
            _ => vec![],
        };
        if columns.len() > targets.len() {
            return Err(PgError::syntax(
                "INSERT has more expressions than target columns",
                item_pos.get(targets.len()).copied().flatten(),
            ));
        }
        if columns.len() < targets.len() {
            return Err(PgError::syntax(
                "INSERT has more target columns than expressions",
                targets.get(columns.len()).and_then(|t| t.1),
            ));
        }
        let width = columns.len();
        let mut given: Vec<Option<Expr>> = vec![None; rel.columns.len()];
        for (k, (col, tpos)) in targets.iter().enumerate() {
            let c = &rel.columns[*col];
            if identity_overridden(c, overriding)? {
                continue;
            }
            let x = plan.targets[k].clone();
            let pos = item_pos.get(k).copied().flatten();
            if let Some(path) = self.insert_paths.get(k).filter(|p| !p.is_empty()).cloned() {
                let base = given[*col].take().unwrap_or_else(|| Expr::null(c.type_oid));
                given[*col] =
                    Some(self.assign_part(base, &c.name, c.typmod, &path, x, *tpos, pos)?);
                continue;
            }
            given[*col] = Some(self.assign(x, c, pos)?);
        }
        let mut row = Vec::with_capacity(rel.columns.len());
        for (i, g) in given.into_iter().enumerate() {
            row.push(match g {
                Some(x) => x,
                None => self.default_value(&rel.columns[i])?,
            });
        }
        // the full-width row replaces the output columns; hidden sort columns
        // stay after it, so sort keys shift
        let hidden: Vec<Expr> = plan.targets.drain(width..).collect();
        let shift = rel.columns.len();
        for k in &mut plan.order_by {
            if k.column >= width {
                k.column = k.column - width + shift;
            } else {
                // a sort on an output column: keep it as a hidden column
                k.column += shift + hidden.len();
            }
        }
        let outputs = std::mem::take(&mut plan.targets);
        plan.targets = row;
        plan.targets.extend(hidden);
        plan.targets.extend(outputs);
        Ok(plan)
    }

    pub(crate) fn analyze_update(&mut self, upd: &ast::Update) -> PgResult<Analyzed> {
        if !upd.table.joins.is_empty() {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "joins are not supported",
            ));
        }
        if upd.or.is_some() || !upd.order_by.is_empty() || upd.limit.is_some() {
            return Err(PgError::feature_not_supported("this form of UPDATE"));
        }
        let (entry, mut rel) = self.dml_target(&upd.table.relation)?;
        let target_names: Vec<String> = entry.rel.columns.iter().map(|c| c.name.clone()).collect();
        let reads_target = |e: &ast::Expr| mentions_columns(e, &entry.refname, &target_names);
        let reads = upd.selection.as_ref().is_some_and(reads_target)
            || upd.returning.is_some()
            || upd.assignments.iter().any(|a| reads_target(&a.value));
        self.require_privileges(
            entry.rel.oid,
            catalog::acl::ACL_UPDATE | if reads { catalog::acl::ACL_SELECT } else { 0 },
        );
        let from = match &upd.from {
            Some(
                ast::UpdateTableFromKind::BeforeSet(f) | ast::UpdateTableFromKind::AfterSet(f),
            ) => Some(self.dml_from(entry, f)?),
            None => {
                let (entry, with_system) = self.dml_system_columns(entry, &rel);
                rel = with_system;
                self.set_scope(entry);
                None
            }
        };
        // PostgreSQL's order: WHERE, then RETURNING, then SET
        let secured = self.row_security_filter(&rel, 'w', reads)?;
        let rel = self.with_row_security_checks(rel, 'w', reads)?;
        let filter = and_filters(secured, self.dml_where(&upd.selection)?);
        let (columns, returning) = self.returning(&upd.returning)?;
        // RETURNING sees the new version, whose place is not known here.
        let natts = rel.columns.len();
        if rel.system_columns
            && returning.iter().any(|e| {
                let mut beyond = false;
                e.walk(&mut |x| {
                    beyond |= matches!(x, Expr::Var { index, .. } if *index >= natts);
                });
                beyond
            })
        {
            return Err(PgError::feature_not_supported(
                "system columns other than tableoid in UPDATE ... RETURNING",
            ));
        }
        let assignments = self.set_clause(&rel, &upd.assignments, "UPDATE")?;
        Ok((
            CommandKind::Update,
            columns,
            Plan::empty(),
            Some(ModifyTable::Update {
                rel,
                filter,
                assignments,
                returning,
                scan: None,
                from: from.map(Box::new),
            }),
        ))
    }

    /// A SET list (UPDATE, ON CONFLICT DO UPDATE): per assignment, the
    /// column's index in the full-width row and the value, coerced to the
    /// column (DEFAULT allowed).
    pub(super) fn set_clause(
        &mut self,
        rel: &RelationDesc,
        items: &[ast::Assignment],
        clause: &'static str,
    ) -> PgResult<Vec<(usize, Expr)>> {
        let mut assignments: Vec<(usize, Expr)> = Vec::new();
        let items = expand_multiple_assignments(items, &|span| self.pos(span))?;
        let saved = self.agg_forbidden.replace(clause);
        let r = (|| {
            for a in &items {
                let ast::AssignmentTarget::ColumnName(name) = &a.target else {
                    return Err(PgError::feature_not_supported("multiple-column UPDATE"));
                };
                let pos = self.pos(name.span());
                let col_name = match name.0.first() {
                    Some(ast::ObjectNamePart::Identifier(id)) => ident_name(id),
                    _ => String::new(),
                };
                // `a[1][2]`: the subscripts the raw parser folded into the
                // name are the path.
                let (col_name, subscripts) = match super::array::split_subscripted(&col_name) {
                    (column, Some(s)) => (
                        column.to_string(),
                        Some(format!("{}{s}", super::array::SUBSCRIPT_MARK)),
                    ),
                    (column, None) => (column.to_string(), None),
                };
                let parts = name.0.len() + usize::from(subscripts.is_some());
                let index = match (parts, rel.column_index(&col_name)) {
                    (1, Some(i)) => i,
                    (1, None) | (_, None) => {
                        return Err(PgError::new(
                            SqlState::UndefinedColumn,
                            format!(
                                "column \"{col_name}\" of relation \"{}\" does not exist",
                                rel.name
                            ),
                        )
                        .or_position(pos));
                    }
                    (_, Some(i)) => i,
                };
                self.note_column(rel.oid, index, 'w');
                // SET c.f = v: the row with field f replaced (several
                // fields of one column are assigned one after another).
                if parts > 1 {
                    let path: Vec<String> = match subscripts {
                        Some(s) => vec![s],
                        None => name.0[1..]
                            .iter()
                            .map(|p| match p {
                                ast::ObjectNamePart::Identifier(id) => ident_name(id),
                                _ => String::new(),
                            })
                            .collect(),
                    };
                    let c = &rel.columns[index];
                    let prior = assignments.iter().position(|(i, _)| *i == index);
                    let base = match prior {
                        Some(k) => assignments.remove(k).1,
                        None => Expr::Var {
                            index,
                            type_oid: c.type_oid,
                            typmod: c.typmod,
                        },
                    };
                    let vpos = self.pos(a.value.span());
                    let value = self.transform(&a.value)?;
                    let x = self.assign_part(base, &col_name, c.typmod, &path, value, pos, vpos)?;
                    assignments.push((index, x));
                    continue;
                }
                if assignments.iter().any(|(i, _)| *i == index) {
                    return Err(PgError::syntax(
                        format!("multiple assignments to same column \"{col_name}\""),
                        None,
                    ));
                }
                let c = &rel.columns[index];
                let x = if is_default_keyword(&a.value) {
                    self.default_value(c)?
                } else if c.generated != '\0' {
                    return Err(PgError::new(
                        SqlState::GeneratedAlways,
                        format!("column \"{}\" can only be updated to DEFAULT", c.name),
                    )
                    .with_detail(format!("Column \"{}\" is a generated column.", c.name)));
                } else if c.identity == 'a' {
                    return Err(PgError::new(
                        SqlState::GeneratedAlways,
                        format!("column \"{}\" can only be updated to DEFAULT", c.name),
                    )
                    .with_detail(format!(
                        "Column \"{}\" is an identity column defined as GENERATED ALWAYS.",
                        c.name
                    )));
                } else {
                    let vpos = self.pos(a.value.span());
                    let x = self.transform(&a.value)?;
                    self.assign(x, c, vpos)?
                };
                assignments.push((index, x));
            }
            Ok(())
        })();
        self.agg_forbidden = saved;
        r?;
        Ok(assignments)
    }

    /// `ON CONFLICT [target] DO NOTHING | DO UPDATE SET ... [WHERE ...]`:
    /// the unique indexes that decide a conflict, and the update, whose
    /// expressions read the existing row followed by the proposed one
    /// (`excluded`).
    fn on_conflict(
        &mut self,
        rel: &Arc<RelationDesc>,
        entry: &RangeEntry,
        oc: &ast::OnConflict,
    ) -> PgResult<OnConflictPlan> {
        let arbiters = match &oc.conflict_target {
            None => {
                if matches!(oc.action, ast::OnConflictAction::DoUpdate(_)) {
                    return Err(PgError::syntax(
                        "ON CONFLICT DO UPDATE requires inference specification or constraint name",
                        None,
                    )
                    .with_hint("For example, ON CONFLICT (column_name)."));
                }
                Vec::new()
            }
            Some(ast::ConflictTarget::Columns { columns, predicate }) => {
                let mut wanted = Vec::new();
                for c in columns {
                    let name = ident_name(c);
                    let Some(i) = rel.column_index(&name) else {
                        return Err(PgError::new(
                            SqlState::UndefinedColumn,
                            format!("column \"{name}\" does not exist"),
                        )
                        .or_position(self.pos(c.span)));
                    };
                    wanted.push(i);
                }
                wanted.sort_unstable();
                wanted.dedup();
                // The arbiter's columns are read (SELECT on them).
                for &i in &wanted {
                    self.note_column(rel.oid, i, 'r');
                }
                let found: Vec<u32> = rel
                    .indexes
                    .iter()
                    .filter(|ix| {
                        let mut cols = ix.columns.clone();
                        cols.sort_unstable();
                        ix.unique
                            && ix.exprs.iter().all(Option::is_none)
                            && (ix.predicate.is_none() || predicate.is_some())
                            && cols == wanted
                    })
                    .map(|ix| ix.oid)
                    .collect();
                if found.is_empty() {
                    return Err(PgError::new(
                        SqlState::InvalidColumnReference,
                        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
                    ));
                }
                found
            }
            Some(ast::ConflictTarget::OnConstraint(name)) => {
                let n = name_parts(name).pop().unwrap_or_default();
                match rel.indexes.iter().find(|ix| ix.name == n && ix.unique) {
                    Some(ix) => {
                        for &i in &ix.columns {
                            self.note_column(rel.oid, i, 'r');
                        }
                        vec![ix.oid]
                    }
                    None => {
                        return Err(PgError::new(
                            SqlState::UndefinedObject,
                            format!(
                                "constraint \"{n}\" for table \"{}\" does not exist",
                                rel.name
                            ),
                        ));
                    }
                }
            }
        };
        let action = match &oc.action {
            ast::OnConflictAction::DoNothing => OnConflictAction::Nothing,
            ast::OnConflictAction::DoUpdate(u) => {
                let width = rel.columns.len();
                let excluded = RangeEntry {
                    rel: rel.clone(),
                    refname: "excluded".into(),
                    has_alias: true,
                };
                self.scope = vec![
                    super::from::ScopeItem::base(entry.clone(), 0),
                    super::from::ScopeItem::base(excluded, width),
                ];
                let assignments = self.set_clause(rel, &u.assignments, "UPDATE")?;
                let filter = match &u.selection {
                    Some(w) => {
                        let saved = self.agg_forbidden.replace("WHERE");
                        let f = self.transform_bool(w, "WHERE");
                        self.agg_forbidden = saved;
                        Some(f?)
                    }
                    None => None,
                };
                OnConflictAction::Update {
                    assignments,
                    filter,
                }
            }
        };
        Ok(OnConflictPlan { arbiters, action })
    }

    /// `UPDATE t ... FROM items` / `DELETE FROM t USING items`: the target
    /// at `Var` 0 and the items after it in scope; returns the plan of the
    /// items' rows (their joins planned, each row full width), which the
    /// executor pairs with each target row.
    fn dml_from(
        &mut self,
        target: super::RangeEntry,
        items: &[ast::TableWithJoins],
    ) -> PgResult<Plan> {
        let start = target.rel.columns.len();
        let (source, from_width) = self.analyze_from_after(target, items)?;
        // Every column of the items' rows, typed as the scope knows them.
        let mut targets: Vec<Expr> = (0..from_width)
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
            source,
            targets,
            ..Plan::empty()
        };
        crate::joinpath::plan(&mut plan)?;
        let (plan, _) = crate::indexpath::apply(plan, None);
        Ok(plan)
    }

    fn dml_where(&mut self, w: &Option<ast::Expr>) -> PgResult<Option<Expr>> {
        let Some(w) = w else { return Ok(None) };
        let saved = self.agg_forbidden.replace("WHERE");
        let f = self.transform_bool(w, "WHERE");
        self.agg_forbidden = saved;
        f.map(Some)
    }

    pub(crate) fn analyze_delete(&mut self, del: &ast::Delete) -> PgResult<Analyzed> {
        if !del.tables.is_empty() {
            return Err(PgError::feature_not_supported("DELETE of several tables"));
        }
        if !del.order_by.is_empty() || del.limit.is_some() {
            return Err(PgError::feature_not_supported("this form of DELETE"));
        }
        let from = match &del.from {
            ast::FromTable::WithFromKeyword(v) | ast::FromTable::WithoutKeyword(v) => v,
        };
        let [target] = from.as_slice() else {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "joins are not supported",
            ));
        };
        if !target.joins.is_empty() {
            return Err(PgError::new(
                SqlState::FeatureNotSupported,
                "joins are not supported",
            ));
        }
        let (entry, mut rel) = self.dml_target(&target.relation)?;
        let target_names: Vec<String> = entry.rel.columns.iter().map(|c| c.name.clone()).collect();
        let reads = del
            .selection
            .as_ref()
            .is_some_and(|e| mentions_columns(e, &entry.refname, &target_names))
            || del.returning.is_some();
        self.require_privileges(
            entry.rel.oid,
            catalog::acl::ACL_DELETE | if reads { catalog::acl::ACL_SELECT } else { 0 },
        );
        let from = match &del.using {
            Some(using) => Some(self.dml_from(entry, using)?),
            None => {
                let (entry, with_system) = self.dml_system_columns(entry, &rel);
                rel = with_system;
                self.set_scope(entry);
                None
            }
        };
        let secured = self.row_security_filter(&rel, 'd', reads)?;
        let filter = and_filters(secured, self.dml_where(&del.selection)?);
        let (columns, returning) = self.returning(&del.returning)?;
        Ok((
            CommandKind::Delete,
            columns,
            Plan::empty(),
            Some(ModifyTable::Delete {
                rel,
                filter,
                returning,
                scan: None,
                from: from.map(Box::new),
            }),
        ))
    }
}

/// A row security qual before the statement's WHERE: evaluated first, so
/// that WHERE never sees a row the policies hide.
fn and_filters(secured: Option<Expr>, filter: Option<Expr>) -> Option<Expr> {
    match (secured, filter) {
        (Some(s), Some(Expr::And(v))) => Some(Expr::And(std::iter::once(s).chain(v).collect())),
        (Some(s), Some(f)) => Some(Expr::And(vec![s, f])),
        (s, f) => s.or(f),
    }
}

/// `SET (a, b) = (x, y)` and `SET (a, b) = (SELECT ...)` as one
/// assignment per column: the row's values in order, or the subquery's
/// columns by position (each a scalar subquery over it, so the subquery
/// runs once per column where PostgreSQL runs it once).
fn expand_multiple_assignments(
    items: &[ast::Assignment],
    pos: &dyn Fn(sqlparser::tokenizer::Span) -> Option<usize>,
) -> PgResult<Vec<ast::Assignment>> {
    let mut out = Vec::with_capacity(items.len());
    for a in items {
        let ast::AssignmentTarget::Tuple(names) = &a.target else {
            out.push(a.clone());
            continue;
        };
        let one = |name: &ast::ObjectName, value: ast::Expr| ast::Assignment {
            target: ast::AssignmentTarget::ColumnName(name.clone()),
            value,
        };
        // (A row's span starts at its first value; PostgreSQL points at
        // its parenthesis.)
        let at = pos(a.value.span()).map(|p| match &a.value {
            ast::Expr::Tuple(_) => p.saturating_sub(1).max(1),
            _ => p,
        });
        let mismatch = || {
            PgError::new(
                SqlState::SyntaxError,
                "number of columns does not match number of values",
            )
            .or_position(at)
        };
        match &a.value {
            ast::Expr::Tuple(values) => {
                if values.len() != names.len() {
                    return Err(mismatch());
                }
                for (n, v) in names.iter().zip(values) {
                    out.push(one(n, v.clone()));
                }
            }
            ast::Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("row") => {
                let ast::FunctionArguments::List(list) = &f.args else {
                    return Err(mismatch());
                };
                if list.args.len() != names.len() {
                    return Err(mismatch());
                }
                for (n, arg) in names.iter().zip(&list.args) {
                    let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(v)) = arg else {
                        return Err(mismatch());
                    };
                    out.push(one(n, v.clone()));
                }
            }
            ast::Expr::Subquery(q) => {
                let cols: Vec<String> = (1..=names.len()).map(|i| format!("c{i}")).collect();
                for (i, n) in names.iter().enumerate() {
                    let text =
                        format!("(SELECT s.c{} FROM ({q}) AS s({}))", i + 1, cols.join(", "));
                    let v =
                        sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
                            .try_with_sql(&text)
                            .and_then(|mut p| p.parse_expr())
                            .map_err(|e| {
                                PgError::internal(format!("a SET subquery did not re-parse: {e}"))
                            })?;
                    out.push(one(n, v));
                }
            }
            _ => {
                return Err(PgError::new(
                    SqlState::SyntaxError,
                    "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression",
                )
                .or_position(at));
            }
        }
    }
    Ok(out)
}

/// A plan whose rows are the given full-width rows.
/// Whether INSERT writes column `c`'s default instead of the value given
/// (OVERRIDING USER VALUE on an identity column); 428C9 for a value given
/// to a GENERATED ALWAYS column without OVERRIDING SYSTEM VALUE.
fn identity_overridden(
    c: &crate::ColumnDesc,
    overriding: Option<&ast::InsertOverriding>,
) -> PgResult<bool> {
    if c.generated != '\0' {
        return Err(PgError::new(
            SqlState::GeneratedAlways,
            format!(
                "cannot insert a non-DEFAULT value into column \"{}\"",
                c.name
            ),
        )
        .with_detail(format!("Column \"{}\" is a generated column.", c.name)));
    }
    match (c.identity, overriding) {
        ('a', None) => Err(PgError::new(
            SqlState::GeneratedAlways,
            format!(
                "cannot insert a non-DEFAULT value into column \"{}\"",
                c.name
            ),
        )
        .with_detail(format!(
            "Column \"{}\" is an identity column defined as GENERATED ALWAYS.",
            c.name
        ))
        .with_hint("Use OVERRIDING SYSTEM VALUE to override.")),
        ('a' | 'd', Some(ast::InsertOverriding::User)) => Ok(true),
        _ => Ok(false),
    }
}

fn identity_plan(rows: Vec<Vec<Expr>>, rel: &RelationDesc) -> Plan {
    let targets = rel
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| Expr::Var {
            index: i,
            type_oid: c.type_oid,
            typmod: c.typmod,
        })
        .collect();
    Plan {
        source: Source::Values(rows),
        targets,
        ..Plan::empty()
    }
}

/// Whether an expression reads columns of the target (called `refname`,
/// with columns `columns`): then UPDATE and DELETE need SELECT too, as
/// PostgreSQL asks SELECT on every column a statement reads. A bare name
/// counts if the target has such a column, a qualified one if its
/// qualifier is the target (subqueries' names included: a name the target
/// shares with a subquery's table counts, erring on the side of asking).
pub(super) fn mentions_columns(e: &ast::Expr, refname: &str, columns: &[String]) -> bool {
    use std::ops::ControlFlow;
    let norm = |i: &ast::Ident| {
        if i.quote_style.is_some() {
            i.value.clone()
        } else {
            i.value.to_lowercase()
        }
    };
    let found = ast::visit_expressions(e, |x| match x {
        ast::Expr::Identifier(i) if columns.contains(&norm(i)) => ControlFlow::Break(()),
        ast::Expr::CompoundIdentifier(parts)
            if parts.len() >= 2 && norm(&parts[parts.len() - 2]) == refname =>
        {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    });
    found.is_break()
}
