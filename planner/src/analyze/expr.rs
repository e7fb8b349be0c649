//! Expression analysis: sqlparser's `Expr` to the typed [`crate::Expr`], following
//! PostgreSQL's rules for literals, operators, functions and coercions.

use sqlparser::ast::{
    self, BinaryOperator, CastKind, DateTimeField, FunctionArg, FunctionArgExpr, FunctionArguments,
    ObjectNamePart, Spanned, TrimWhereField, UnaryOperator, Value,
};
use types::datum::Numeric;
use types::oid::{self, *};
use types::{Datum, PgError, PgResult, SqlState};

use super::Analyzer;
use super::coerce::{
    can_coerce_assignment, can_coerce_explicit, can_coerce_implicit, category, select_common_type,
};
use super::func::{self, Resolution};
use crate::expr::{BoolTestKind, Expr};

/// 42809 for CALL of a function (`sig`: the types of the arguments).
pub(crate) fn not_a_procedure(name: &str, sig: &[&str]) -> PgError {
    PgError::new(
        SqlState::WrongObjectType,
        format!("{name}({}) is not a procedure", sig.join(", ")),
    )
    .with_hint("To call a function, use SELECT.")
}

pub(crate) const FUNC_HINT: &str = "No function matches the given name and argument types. You might need to add explicit type casts.";
pub(crate) const OPER_HINT: &str = "No operator matches the given name and argument types. You might need to add explicit type casts.";
/// PostgreSQL's hint for a prefix operator (one argument type).
/// The identifier the raw parser puts before a user prefix operator (the
/// backend's `syntax::PREFIX_OPERATOR_MARKER`).
pub const PREFIX_OPERATOR_MARKER: &str = "\u{1}prefix operator";

const PREFIX_OPER_HINT: &str = "No operator matches the given name and argument type. You might need to add an explicit type cast.";

fn lower_ident(id: &ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The SQL-standard functions written without parentheses.
pub(crate) fn special_value_function(name: &str) -> Option<(&'static str, u32)> {
    Some(match name {
        "current_user" | "user" | "current_role" => ("current_user", NAME),
        "session_user" => ("session_user", NAME),
        "current_catalog" => ("current_database", NAME),
        "current_schema" => ("current_schema", NAME),
        "current_date" => ("current_date", DATE),
        "current_timestamp" => ("now", TIMESTAMPTZ),
        "localtimestamp" => ("localtimestamp", TIMESTAMP),
        _ => return None,
    })
}

impl Analyzer<'_> {
    /// A column reference, bare or qualified (`t.a`, `schema.t.a`), resolved
    /// against the names in scope, else against those of the query levels
    /// around (nearest first: a correlated reference, an `OuterParam`);
    /// records its position for the grouping check.
    fn column_ref(
        &mut self,
        qualifier: &[String],
        column: &str,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let r = self.resolve_column(qualifier, column, pos);
        let variable = match self.variables {
            Some(v) => v.resolve_variable(qualifier, column),
            None => Ok(None),
        };
        if r.is_ok() {
            if matches!(variable, Ok(Some(_))) {
                // plpgsql.variable_conflict = error, PostgreSQL's default.
                let name = qualifier
                    .iter()
                    .map(String::as_str)
                    .chain([column])
                    .collect::<Vec<_>>()
                    .join(".");
                return Err(PgError::new(
                    SqlState::AmbiguousColumn,
                    format!("column reference \"{name}\" is ambiguous"),
                )
                .with_detail("It could refer to either a PL/pgSQL variable or a table column.")
                .or_position(pos));
            }
            return r;
        }
        // A SQL function's argument, when no column has the name.
        if qualifier.is_empty()
            && let Some(i) = self.param_names.iter().position(|n| n == column)
            && let Some(&type_oid) = self.param_types.get(i)
        {
            return Ok(Expr::Param { index: i, type_oid });
        }
        // A whole-row reference: `t` naming a FROM item, not a column.
        if qualifier.is_empty()
            && let Some(row) = self.whole_row(&[column.to_string()], pos)?
        {
            return Ok(row);
        }
        // A PL/pgSQL variable (one of an outer query level's columns would
        // be ambiguous too, but is rare enough to resolve as the variable).
        if let Some((index, type_oid, _typmod)) = variable? {
            if index >= self.param_types.len() {
                self.param_types.resize(index + 1, 0);
                self.param_positions.resize(index + 1, None);
            }
            self.param_types[index] = type_oid;
            if self.param_positions[index].is_none() {
                self.param_positions[index] = pos;
            }
            return Ok(Expr::Param { index, type_oid });
        }
        let Some(level) = (0..self.outer_scopes.len())
            .rev()
            .find(|&l| Self::scope_has_column(&self.outer_scopes[l], qualifier, column))
        else {
            return r;
        };
        // Resolve it there, as that level would (its positions are
        // recorded there, when the subquery is done).
        let outer = std::mem::take(&mut self.outer_scopes[level]);
        let saved_scope = std::mem::replace(&mut self.scope, outer);
        let saved_in_agg = std::mem::replace(&mut self.in_agg_arg, true);
        let e = self.resolve_column(qualifier, column, pos);
        self.in_agg_arg = saved_in_agg;
        self.outer_scopes[level] = std::mem::replace(&mut self.scope, saved_scope);
        let e = e?;
        let up = self.outer_scopes.len() - level;
        // The subqueries between that level and this one depend on it.
        for r in self.sub_reaches_out.iter_mut().skip(level + 1) {
            *r = true;
        }
        let params = &mut self.sub_params[level];
        let index = match params.iter().position(|(p, _)| *p == e) {
            Some(i) => i,
            None => {
                params.push((e.clone(), pos));
                params.len() - 1
            }
        };
        Ok(Expr::OuterParam {
            up,
            index,
            type_oid: e.type_oid(),
            typmod: e.typmod(),
        })
    }

    /// Transforms an expression and reports its 1-based position.
    pub fn transform(&mut self, e: &ast::Expr) -> PgResult<Expr> {
        let pos = self.pos(e.span());
        self.transform_inner(e).map_err(|err: PgError| {
            if err.code == SqlState::UndefinedColumn {
                err.or_position(pos)
            } else {
                err
            }
        })
    }

    fn transform_inner(&mut self, e: &ast::Expr) -> PgResult<Expr> {
        match e {
            ast::Expr::Value(v) => self.transform_value(&v.value, false, self.pos(v.span)),
            ast::Expr::Nested(inner) => self.transform(inner),
            ast::Expr::Identifier(id) => {
                if id.quote_style.is_none() {
                    let n = id.value.to_lowercase();
                    if let Some((imp, t)) = special_value_function(&n) {
                        return Ok(Expr::Call {
                            func: imp,
                            args: vec![],
                            type_oid: t,
                            strict: false,
                        });
                    }
                }
                if let Some((t, typmod)) = self.domain_value
                    && id.quote_style.is_none()
                    && id.value.eq_ignore_ascii_case("value")
                {
                    return Ok(Expr::Var {
                        index: 0,
                        type_oid: t,
                        typmod,
                    });
                }
                self.column_ref(&[], &lower_ident(id), self.pos(id.span))
            }
            ast::Expr::CompoundIdentifier(ids) => {
                let name = ids.iter().map(lower_ident).collect::<Vec<_>>();
                let pos = ids.first().and_then(|i| self.pos(i.span));
                match name.split_last() {
                    Some((col, qualifier)) if !qualifier.is_empty() => {
                        self.column_ref(qualifier, col, pos)
                    }
                    _ => Err(
                        PgError::new(SqlState::UndefinedColumn, "column does not exist")
                            .or_position(pos),
                    ),
                }
            }
            ast::Expr::UnaryOp { op, expr } => self.transform_unary(op, expr, e),
            ast::Expr::BinaryOp { left, op, right } => self.transform_binary(left, op, right),
            ast::Expr::Cast {
                kind,
                expr,
                data_type,
                format,
            } => {
                if format.is_some() {
                    return Err(PgError::feature_not_supported("CAST ... FORMAT"));
                }
                if matches!(kind, CastKind::TryCast | CastKind::SafeCast) {
                    return Err(PgError::syntax(
                        "syntax error at or near \"(\"",
                        self.pos(e.span()),
                    ));
                }
                // An unknown type name is reported at the name, as PostgreSQL does.
                let at = match data_type {
                    ast::DataType::Custom(name, _) => match name.0.first() {
                        Some(ast::ObjectNamePart::Identifier(id)) => self.pos(id.span),
                        _ => None,
                    },
                    _ => None,
                }
                .or_else(|| self.pos(e.span()));
                let (t, typmod) = super::typename::resolve_type_in(data_type, self.catalog)
                    .map_err(|err| err.or_position(at))?;
                let arg_pos = self.pos(expr.span());
                // a numeric literal cast to a float type is read as a float directly, so
                // that literals beyond our numeric range (1e100::float8) still work
                if matches!(t, FLOAT4 | FLOAT8)
                    && let Some(text) = numeric_literal_text(expr)
                {
                    let lit = Expr::Const {
                        value: Datum::Text(text),
                        type_oid: UNKNOWN,
                    };
                    return self.coerce(lit, t, typmod, true, arg_pos);
                }
                // ARRAY[] takes its type from the cast.
                if let ast::Expr::Array(a) = expr.as_ref()
                    && a.elem.is_empty()
                    && let Some(elem) = oid::element_of(t)
                {
                    return Ok(Expr::Const {
                        value: Datum::Array(Box::new(types::datum::ArrayValue::new(elem, vec![]))),
                        type_oid: t,
                    });
                }
                let arg = match expr.as_ref() {
                    ast::Expr::Array(a) if oid::element_of(t).is_some() => {
                        self.array_constructor_cast(a, t, self.pos(expr.span()))?
                    }
                    _ => self.transform(expr)?,
                };
                let from = arg.type_oid();
                if from != UNKNOWN && from != t && !can_coerce_explicit(from, t) {
                    // PostgreSQL points at the `::` (or CAST) of a cast it
                    // has no way to make, not at the value.
                    let at = match kind {
                        CastKind::DoubleColon => self.op_pos_between(
                            expr.span(),
                            sqlparser::tokenizer::Span::empty(),
                            &["::"],
                        ),
                        _ => self.byte_offset(expr.span().start).and_then(|end| {
                            let before = self.query_text.get(..end)?;
                            let at = before.to_ascii_lowercase().rfind("cast")?;
                            Some(self.query_text[..at].chars().count() + 1)
                        }),
                    };
                    return Err(PgError::new(
                        SqlState::CannotCoerce,
                        format!(
                            "cannot cast type {} to {}",
                            oid::type_name(from),
                            oid::format_type(t, typmod)
                        ),
                    )
                    .or_position(at.or(arg_pos)));
                }
                self.coerce(arg, t, typmod, true, arg_pos)
            }
            ast::Expr::TypedString(ts) => {
                let (t, typmod) = super::typename::resolve_type_in(&ts.data_type, self.catalog)?;
                let pos = self.pos(ts.value.span);
                let arg = self.transform_value(&ts.value.value, true, pos)?;
                self.coerce(arg, t, typmod, true, pos)
            }
            ast::Expr::Interval(iv) => {
                let typmod = super::typename::interval_literal_typmod(iv)?;
                let pos = self.pos(iv.value.span());
                let arg = self.transform(&iv.value)?;
                self.coerce(arg, INTERVAL, typmod, true, pos)
            }
            ast::Expr::IsNull(a) | ast::Expr::IsNotNull(a) => {
                let arg = self.transform(a)?;
                Ok(Expr::IsNull {
                    arg: Box::new(arg),
                    negated: matches!(e, ast::Expr::IsNotNull(_)),
                })
            }
            ast::Expr::IsTrue(a)
            | ast::Expr::IsNotTrue(a)
            | ast::Expr::IsFalse(a)
            | ast::Expr::IsNotFalse(a)
            | ast::Expr::IsUnknown(a)
            | ast::Expr::IsNotUnknown(a) => {
                let test = match e {
                    ast::Expr::IsTrue(_) => BoolTestKind::IsTrue,
                    ast::Expr::IsNotTrue(_) => BoolTestKind::IsNotTrue,
                    ast::Expr::IsFalse(_) => BoolTestKind::IsFalse,
                    ast::Expr::IsNotFalse(_) => BoolTestKind::IsNotFalse,
                    ast::Expr::IsUnknown(_) => BoolTestKind::IsUnknown,
                    _ => BoolTestKind::IsNotUnknown,
                };
                let name = match test {
                    BoolTestKind::IsTrue => "IS TRUE",
                    BoolTestKind::IsNotTrue => "IS NOT TRUE",
                    BoolTestKind::IsFalse => "IS FALSE",
                    BoolTestKind::IsNotFalse => "IS NOT FALSE",
                    BoolTestKind::IsUnknown => "IS UNKNOWN",
                    BoolTestKind::IsNotUnknown => "IS NOT UNKNOWN",
                };
                let arg = self.transform_bool(a, name)?;
                Ok(Expr::BoolTest {
                    arg: Box::new(arg),
                    test,
                })
            }
            ast::Expr::IsDistinctFrom(l, r) | ast::Expr::IsNotDistinctFrom(l, r) => {
                let negated = matches!(e, ast::Expr::IsNotDistinctFrom(..));
                let pos = self.op_pos(l, r, &["IS"]);
                let (lpos, rpos) = (self.pos(l.span()), self.pos(r.span()));
                let (lx, rx) = (self.transform(l)?, self.transform(r)?);
                Ok(match self.distinct_from((lx, lpos), (rx, rpos), pos)? {
                    Expr::DistinctFrom {
                        left, right, eq, ..
                    } => Expr::DistinctFrom {
                        left,
                        right,
                        eq,
                        negated,
                    },
                    other if negated => Expr::Not(Box::new(other)),
                    other => other,
                })
            }
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let pos = self.op_pos(expr, low, &["BETWEEN", "between"]);
                let ge = self.make_op(if *negated { "<" } else { ">=" }, expr, low, pos)?;
                let le = self.make_op(if *negated { ">" } else { "<=" }, expr, high, pos)?;
                Ok(if *negated {
                    Expr::Or(vec![ge, le])
                } else {
                    Expr::And(vec![ge, le])
                })
            }
            ast::Expr::In {
                expr,
                target,
                negated,
                ..
            } => {
                let list = match target {
                    ast::InTarget::List(list) => list,
                    ast::InTarget::Subquery(q) => {
                        let any = self.in_subquery(expr, q)?;
                        return Ok(if *negated {
                            Expr::Not(Box::new(any))
                        } else {
                            any
                        });
                    }
                    _ => {
                        return Err(PgError::feature_not_supported(
                            "IN with this right-hand side",
                        ));
                    }
                };
                let pos = self.op_pos(expr, list.first().unwrap_or(expr), &["IN", "in"]);
                // resolve all to a common type first, as PostgreSQL does
                let mut eqs = Vec::with_capacity(list.len());
                for item in list {
                    eqs.push(self.make_op("=", expr, item, pos)?);
                }
                let or = Expr::Or(eqs);
                Ok(if *negated {
                    Expr::Not(Box::new(or))
                } else {
                    or
                })
            }
            ast::Expr::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            }
            | ast::Expr::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                // `x LIKE ANY (array)`, `x LIKE ALL (array)` (which sqlparser
                // reads as a call of all()): the operator over the array.
                let all_arg = match pattern.as_ref() {
                    ast::Expr::Function(f)
                        if !*any && f.name.to_string().eq_ignore_ascii_case("all") =>
                    {
                        match &f.args {
                            ast::FunctionArguments::List(l) => match l.args.as_slice() {
                                [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(a))] => {
                                    Some(a)
                                }
                                _ => None,
                            },
                            _ => None,
                        }
                    }
                    _ => None,
                };
                if *any || all_arg.is_some() {
                    if escape_char.is_some() {
                        return Err(PgError::feature_not_supported("LIKE ANY ... ESCAPE"));
                    }
                    let op = match (matches!(e, ast::Expr::ILike { .. }), *negated) {
                        (false, false) => ast::BinaryOperator::PGLikeMatch,
                        (true, false) => ast::BinaryOperator::PGILikeMatch,
                        (false, true) => ast::BinaryOperator::PGNotLikeMatch,
                        (true, true) => ast::BinaryOperator::PGNotILikeMatch,
                    };
                    let array = all_arg.unwrap_or(pattern);
                    return self.scalar_array_op(expr, &op, array, *any, self.pos(e.span()));
                }
                // `x LIKE p ESCAPE e` is `x LIKE like_escape(p, e)`.
                let escaped;
                let pattern = match escape_char {
                    Some(esc) => {
                        escaped = sqlparser::parser::Parser::new(
                            &sqlparser::dialect::PostgreSqlDialect {},
                        )
                        .try_with_sql(&format!("pg_catalog.like_escape({pattern}, {esc})"))
                        .and_then(|mut p| p.parse_expr())
                        .map_err(|e| PgError::internal(format!("LIKE ... ESCAPE: {e}")))?;
                        &escaped
                    }
                    None => pattern,
                };
                let ilike = matches!(e, ast::Expr::ILike { .. });
                let op = match (ilike, negated) {
                    (false, false) => "~~",
                    (false, true) => "!~~",
                    (true, false) => "~~*",
                    (true, true) => "!~~*",
                };
                let pos = self.op_pos(
                    expr,
                    pattern,
                    &["LIKE", "like", "ILIKE", "ilike", "NOT", "not"],
                );
                self.make_op(op, expr, pattern, pos)
            }
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.transform_case(operand, conditions, else_result),
            ast::Expr::Function(f) => self.transform_function(f, e),
            ast::Expr::Position { expr, r#in } => {
                let pos = self.pos(e.span());
                let args = vec![
                    (self.transform(r#in)?, self.pos(r#in.span())),
                    (self.transform(expr)?, self.pos(expr.span())),
                ];
                self.call_function("position", args, pos)
            }
            ast::Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let pos = self.pos(e.span());
                let mut args = vec![(self.transform(expr)?, self.pos(expr.span()))];
                match (substring_from, substring_for) {
                    (Some(f), s) => {
                        args.push((self.transform(f)?, self.pos(f.span())));
                        if let Some(s) = s {
                            args.push((self.transform(s)?, self.pos(s.span())));
                        }
                    }
                    (None, Some(s)) => {
                        args.push((
                            Expr::Const {
                                value: Datum::Int4(1),
                                type_oid: INT4,
                            },
                            None,
                        ));
                        args.push((self.transform(s)?, self.pos(s.span())));
                    }
                    (None, None) => {}
                }
                self.call_function("substring", args, pos)
            }
            ast::Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                if trim_characters.is_some() {
                    return Err(PgError::feature_not_supported("TRIM with a character list"));
                }
                let name = match trim_where {
                    Some(TrimWhereField::Leading) => "ltrim",
                    Some(TrimWhereField::Trailing) => "rtrim",
                    _ => "btrim",
                };
                let mut args = vec![(self.transform(expr)?, self.pos(expr.span()))];
                if let Some(w) = trim_what {
                    args.push((self.transform(w)?, self.pos(w.span())));
                }
                self.call_function(name, args, self.pos(e.span()))
            }
            ast::Expr::Ceil { expr, field } | ast::Expr::Floor { expr, field } => {
                let name = if matches!(e, ast::Expr::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                if !matches!(
                    field,
                    ast::CeilFloorKind::DateTimeField(DateTimeField::NoDateTime)
                ) {
                    return Err(PgError::feature_not_supported(format!(
                        "{name} with a scale or field"
                    )));
                }
                let args = vec![(self.transform(expr)?, self.pos(expr.span()))];
                self.call_function(name, args, self.pos(e.span()))
            }
            ast::Expr::Extract { field, expr, .. } => {
                // `EXTRACT(field FROM x)` is `extract('field', x)`.
                let name = match field {
                    DateTimeField::Custom(ident) => ident.value.clone(),
                    other => other.to_string(),
                };
                let name = name.trim_matches('\'').to_ascii_lowercase();
                let field = Expr::Const {
                    value: Datum::Text(name),
                    type_oid: UNKNOWN,
                };
                // PostgreSQL points at the keyword, which has no span here.
                let pos = self.byte_offset(expr.span().start).and_then(|b| {
                    let at = self.query_text[..b].to_ascii_lowercase().rfind("extract")?;
                    Some(self.query_text[..at].chars().count() + 1)
                });
                let args = vec![
                    (field, None),
                    (self.transform(expr)?, self.pos(expr.span())),
                ];
                self.call_function_as("extract", "pg_catalog.extract", args, pos)
            }
            ast::Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                // `x AT TIME ZONE z` is `timezone(z, x)`.
                let args = vec![
                    (self.transform(time_zone)?, self.pos(time_zone.span())),
                    (self.transform(timestamp)?, self.pos(timestamp.span())),
                ];
                self.call_function("timezone", args, self.pos(time_zone.span()))
            }
            ast::Expr::Subquery(q) => {
                let pos = self.paren_pos(e.span());
                let (columns, plan, params) = self.analyze_sublink(q)?;
                let [column] = columns.as_slice() else {
                    return Err(PgError::syntax("subquery must return only one column", pos));
                };
                let type_oid = match column.type_oid {
                    UNKNOWN => TEXT,
                    t => t,
                };
                Ok(Expr::SubPlan {
                    kind: crate::expr::SubPlanKind::Scalar,
                    plan: Box::new(plan),
                    type_oid,
                    test: None,
                    params,
                })
            }
            ast::Expr::Exists { subquery, negated } => {
                let (_, plan, params) = self.analyze_sublink(subquery)?;
                let exists = Expr::SubPlan {
                    kind: crate::expr::SubPlanKind::Exists,
                    plan: Box::new(plan),
                    type_oid: BOOL,
                    test: None,
                    params,
                };
                Ok(if *negated {
                    Expr::Not(Box::new(exists))
                } else {
                    exists
                })
            }
            ast::Expr::Array(a) => self.array_constructor(a, self.pos(e.span())),
            ast::Expr::Tuple(items) => {
                let mut args = Vec::with_capacity(items.len());
                for item in items {
                    args.push(self.transform(item)?);
                }
                Ok(super::rowtypes::make_row(args))
            }
            ast::Expr::Collate { expr, collation } => {
                self.collate(expr, collation, self.pos(collation.span()))
            }
            ast::Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            } => self.scalar_array_op(left, compare_op, right, true, self.pos(e.span())),
            ast::Expr::AllOp {
                left,
                compare_op,
                right,
            } => self.scalar_array_op(left, compare_op, right, false, self.pos(e.span())),
            ast::Expr::SimilarTo {
                negated,
                expr,
                pattern,
                escape_char,
            } => {
                // `x SIMILAR TO p ESCAPE e` is `x ~ similar_to_escape(p, e)`.
                let call = match escape_char {
                    Some(esc) => format!("pg_catalog.similar_to_escape({pattern}, {esc})"),
                    None => format!("pg_catalog.similar_to_escape({pattern})"),
                };
                let escaped =
                    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
                        .try_with_sql(&call)
                        .and_then(|mut p| p.parse_expr())
                        .map_err(|e| PgError::internal(format!("SIMILAR TO: {e}")))?;
                let op = if *negated { "!~" } else { "~" };
                let pos = self.op_pos(expr, pattern, &["SIMILAR", "similar", "NOT", "not"]);
                self.make_op(op, expr, &escaped, pos)
            }
            ast::Expr::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                let pos = self.pos(e.span());
                let mut args = Vec::with_capacity(4);
                for a in [expr, overlay_what, overlay_from]
                    .into_iter()
                    .chain(overlay_for.as_ref())
                {
                    args.push((self.transform(a)?, self.pos(a.span())));
                }
                self.call_function("overlay", args, pos)
            }
            ast::Expr::IsNormalized {
                expr,
                form,
                negated,
            } => {
                // `x IS [NOT] [form] NORMALIZED` is `[NOT] is_normalized(x, 'form')`.
                let form = form.as_ref().map_or("NFC".to_string(), |f| f.to_string());
                let args = vec![
                    (self.transform(expr)?, self.pos(expr.span())),
                    (
                        Expr::Const {
                            value: Datum::Text(form),
                            type_oid: oid::TEXT,
                        },
                        None,
                    ),
                ];
                let call = self.call_function("is_normalized", args, self.pos(e.span()))?;
                Ok(if *negated {
                    Expr::Not(Box::new(call))
                } else {
                    call
                })
            }
            ast::Expr::CompoundFieldAccess { root, access_chain }
                if access_chain
                    .iter()
                    .all(|a| matches!(a, ast::AccessExpr::Subscript(_))) =>
            {
                self.array_subscript(root, access_chain, self.pos(e.span()))
            }
            ast::Expr::CompoundFieldAccess { root, access_chain }
                if access_chain
                    .iter()
                    .all(|a| matches!(a, ast::AccessExpr::Dot(ast::Expr::Identifier(_)))) =>
            {
                let mut x = self.transform(root)?;
                for a in access_chain {
                    if let ast::AccessExpr::Dot(ast::Expr::Identifier(id)) = a {
                        x = self.field_select(x, &lower_ident(id), self.pos(id.span))?;
                    }
                }
                Ok(x)
            }
            // `t.col[i]`: a qualified column name, then subscripts.
            ast::Expr::CompoundFieldAccess { root, access_chain }
                if matches!(**root, ast::Expr::Identifier(_))
                    && access_chain
                        .iter()
                        .position(|a| matches!(a, ast::AccessExpr::Subscript(_)))
                        .is_some_and(|k| {
                            k > 0
                                && access_chain[..k].iter().all(|a| {
                                    matches!(a, ast::AccessExpr::Dot(ast::Expr::Identifier(_)))
                                })
                                && access_chain[k..]
                                    .iter()
                                    .all(|a| matches!(a, ast::AccessExpr::Subscript(_)))
                        }) =>
            {
                let mut idents = Vec::new();
                if let ast::Expr::Identifier(id) = &**root {
                    idents.push(id.clone());
                }
                let mut subscripts = Vec::new();
                for a in access_chain {
                    match a {
                        ast::AccessExpr::Dot(ast::Expr::Identifier(id)) => idents.push(id.clone()),
                        other => subscripts.push(other.clone()),
                    }
                }
                let column = ast::Expr::CompoundIdentifier(idents);
                self.array_subscript(&column, &subscripts, self.pos(e.span()))
            }
            // `a[2].f`: subscripts, then fields of the element.
            ast::Expr::CompoundFieldAccess { root, access_chain }
                if access_chain
                    .iter()
                    .position(|a| !matches!(a, ast::AccessExpr::Subscript(_)))
                    .is_some_and(|k| {
                        k > 0
                            && access_chain[k..].iter().all(|a| {
                                matches!(a, ast::AccessExpr::Dot(ast::Expr::Identifier(_)))
                            })
                    }) =>
            {
                let k = access_chain
                    .iter()
                    .position(|a| !matches!(a, ast::AccessExpr::Subscript(_)))
                    .unwrap_or(access_chain.len());
                let mut x = self.array_subscript(root, &access_chain[..k], self.pos(e.span()))?;
                for a in &access_chain[k..] {
                    if let ast::AccessExpr::Dot(ast::Expr::Identifier(id)) = a {
                        x = self.field_select(x, &lower_ident(id), self.pos(id.span))?;
                    }
                }
                Ok(x)
            }
            ast::Expr::CompoundFieldAccess { .. } => {
                Err(PgError::feature_not_supported("field selection"))
            }
            ast::Expr::Wildcard(_) | ast::Expr::QualifiedWildcard(..) => Err(PgError::syntax(
                "syntax error at or near \"*\"",
                self.pos(e.span()),
            )),
            other => Err(PgError::feature_not_supported(format!(
                "expression {other}"
            ))),
        }
    }

    pub(crate) fn transform_value(
        &mut self,
        v: &Value,
        force_unknown: bool,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        match v {
            Value::Number(s, _) if !force_unknown => number_literal(s),
            Value::Number(s, _) => Ok(Expr::Const {
                value: Datum::Text(s.clone()),
                type_oid: UNKNOWN,
            }),
            Value::SingleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::UnicodeStringLiteral(s)
            | Value::NationalStringLiteral(s) => Ok(Expr::Const {
                value: Datum::Text(s.clone()),
                type_oid: UNKNOWN,
            }),
            Value::DollarQuotedString(d) => Ok(Expr::Const {
                value: Datum::Text(d.value.clone()),
                type_oid: UNKNOWN,
            }),
            // B'0101' and X'1F' are bit-string constants of type bit, as
            // PostgreSQL's lexer makes them (X'..' is not bytea).
            Value::SingleQuotedByteStringLiteral(s) => Ok(Expr::Const {
                value: Datum::Bit(Box::new(
                    types::datum::bits::BitString::parse(&format!("b{s}"))
                        .map_err(|e| e.or_position(pos))?,
                )),
                type_oid: BIT,
            }),
            Value::HexStringLiteral(s) => Ok(Expr::Const {
                value: Datum::Bit(Box::new(
                    types::datum::bits::BitString::parse(&format!("x{s}"))
                        .map_err(|e| e.or_position(pos))?,
                )),
                type_oid: BIT,
            }),
            Value::Boolean(b) => Ok(Expr::Const {
                value: Datum::Bool(*b),
                type_oid: BOOL,
            }),
            Value::Null => Ok(Expr::Const {
                value: Datum::Null,
                type_oid: UNKNOWN,
            }),
            Value::Placeholder(p) => self.param_ref(p, pos),
            Value::DoubleQuotedString(s) => Err(PgError::new(
                SqlState::UndefinedColumn,
                format!("column \"{s}\" does not exist"),
            )
            .or_position(pos)),
            other => Err(PgError::feature_not_supported(format!("literal {other}"))),
        }
    }

    fn param_ref(&mut self, p: &str, pos: Option<usize>) -> PgResult<Expr> {
        let n: usize = p
            .trim_start_matches('$')
            .parse()
            .map_err(|_| PgError::syntax(format!("syntax error at or near \"{p}\""), pos))?;
        if n == 0 || (self.fixed_params && n > self.param_types.len()) {
            return Err(PgError::new(
                SqlState::UndefinedParameter,
                format!("there is no parameter ${n}"),
            )
            .or_position(pos));
        }
        if n > 65535 {
            return Err(PgError::new(
                SqlState::UndefinedParameter,
                format!("there is no parameter ${n}"),
            )
            .or_position(pos));
        }
        if n > self.param_types.len() {
            self.param_types.resize(n, 0);
            self.param_positions.resize(n, None);
        }
        if self.param_positions[n - 1].is_none() {
            self.param_positions[n - 1] = pos;
        }
        let t = self.param_types[n - 1];
        Ok(Expr::Param {
            index: n - 1,
            type_oid: if t == 0 { UNKNOWN } else { t },
        })
    }

    /// Transforms an expression that must be boolean (`argument of AND must be ...`).
    pub fn transform_bool(&mut self, e: &ast::Expr, construct: &str) -> PgResult<Expr> {
        let pos = self.pos(e.span());
        let x = self.transform(e)?;
        self.coerce_bool(x, construct, pos)
    }

    pub fn coerce_bool(&mut self, x: Expr, construct: &str, pos: Option<usize>) -> PgResult<Expr> {
        let x = super::domain::strip_domain(x);
        let t = x.type_oid();
        if t == BOOL {
            return Ok(x);
        }
        if t == UNKNOWN {
            return self.coerce(x, BOOL, -1, false, pos);
        }
        Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!(
                "argument of {construct} must be type boolean, not type {}",
                oid::type_name(t)
            ),
        )
        .or_position(pos))
    }

    /// `expr COLLATE name`. Text compares byte-wise here, which is the "C"
    /// collation; so "C", "POSIX", "ucs_basic" and "default" are accepted
    /// and change nothing, and any other name is a collation this database
    /// does not have (42704).
    fn collate(
        &mut self,
        expr: &ast::Expr,
        collation: &ast::ObjectName,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let x = self.transform(expr)?;
        let x = if x.type_oid() == UNKNOWN {
            self.coerce(x, TEXT, -1, false, pos)?
        } else {
            x
        };
        let parts = super::name_parts(collation);
        let (schema, name) = match parts.as_slice() {
            [n] => (None, n.as_str()),
            [s, n] => (Some(s.as_str()), n.as_str()),
            _ => (None, ""),
        };
        let known = matches!(name, "C" | "POSIX" | "ucs_basic" | "default")
            && schema.is_none_or(|s| s == "pg_catalog");
        if !known {
            return Err(PgError::new(
                SqlState::UndefinedObject,
                format!(
                    "collation \"{}\" for encoding \"UTF8\" does not exist",
                    parts.join(".")
                ),
            )
            .or_position(pos));
        }
        if !matches!(x.type_oid(), TEXT | VARCHAR | BPCHAR | NAME | CHAR) {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "collations are not supported by type {}",
                    oid::type_name(x.type_oid())
                ),
            )
            .or_position(pos));
        }
        Ok(x)
    }

    /// Converts `x` to type `to` (with `typmod`), at parse time for literals.
    pub fn coerce(
        &mut self,
        x: Expr,
        to: u32,
        typmod: i32,
        explicit: bool,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let from = x.type_oid();
        if from == to && typmod < 0 {
            return Ok(x);
        }
        // Into a domain: to its base type, then through its constraints.
        if types::typcache::is_domain(to) {
            let (base, base_typmod) = types::typcache::base_type_and_typmod(to, typmod);
            let x = match self.coerce(x, base, base_typmod, explicit, pos) {
                Err(e) if e.code == SqlState::CannotCoerce => {
                    return Err(PgError::new(
                        SqlState::CannotCoerce,
                        format!(
                            "cannot cast type {} to {}",
                            oid::type_name(from),
                            oid::type_name(to)
                        ),
                    )
                    .or_position(pos));
                }
                other => other?,
            };
            return self.coerce_to_domain(x, to);
        }
        // Into an array of a domain: to the array of its base type, then
        // each element through the domain's constraints.
        if let Some(elem) = oid::element_of(to)
            && types::typcache::is_domain(elem)
        {
            let (base, base_typmod) = types::typcache::base_type_and_typmod(elem, typmod);
            let Some(base_array) = oid::array_of(base) else {
                return Err(PgError::new(
                    SqlState::CannotCoerce,
                    format!(
                        "cannot cast type {} to {}",
                        oid::type_name(from),
                        oid::type_name(to)
                    ),
                )
                .or_position(pos));
            };
            let x = self.coerce(x, base_array, base_typmod, explicit, pos)?;
            return match self.coerce_to_domain(x, elem)? {
                Expr::CoerceToDomain {
                    arg,
                    not_null,
                    checks,
                    ..
                } => Ok(Expr::CoerceToDomain {
                    arg,
                    domain: to,
                    not_null,
                    checks,
                }),
                other => Ok(other),
            };
        }
        // Into a range type over a domain: to the range, then each finite
        // bound through the domain's constraints (the domain's input
        // function does that in PostgreSQL's range_in).
        if from != to
            && !self.in_range_domain_coercion
            && let Some(elem) = oid::range_subtype(to)
            && types::typcache::is_domain(elem)
        {
            self.in_range_domain_coercion = true;
            let coerced = self.coerce(x, to, typmod, explicit, pos);
            self.in_range_domain_coercion = false;
            return match self.coerce_to_domain(coerced?, elem)? {
                Expr::CoerceToDomain {
                    arg,
                    not_null: _,
                    checks,
                    ..
                } => Ok(Expr::CoerceToDomain {
                    arg,
                    domain: to,
                    // A bound is never null (an infinite one is no value).
                    not_null: false,
                    checks,
                }),
                other => Ok(other),
            };
        }
        // Out of a domain: as its base type.
        if types::typcache::is_domain(from) {
            return self.coerce(super::domain::strip_domain(x), to, typmod, explicit, pos);
        }
        if let Expr::Param {
            index,
            type_oid: UNKNOWN,
        } = x
        {
            // A regclass parameter is read as text and looked up when the
            // cast runs (its input needs the catalogs).
            // TODO(regclass params): Describe says text where PostgreSQL
            // says regclass.
            if to == REGCLASS {
                self.param_types[index] = TEXT;
                let p = Expr::Param {
                    index,
                    type_oid: TEXT,
                };
                return self.coerce(p, REGCLASS, typmod, explicit, pos);
            }
            self.param_types[index] = to;
            let p = Expr::Param {
                index,
                type_oid: to,
            };
            return if typmod >= 0 {
                self.coerce(p, to, typmod, explicit, pos)
            } else {
                Ok(p)
            };
        }
        let x = match self.coerce_composite(x, to, explicit, pos)? {
            Ok(done) => return Ok(done),
            Err(x) => x,
        };
        if from == UNKNOWN
            && to == REGTYPE
            && let Expr::Const {
                value: Datum::Text(s),
                ..
            } = &x
        {
            // regtype input (`regtypein`): a type name, held as the name
            // regtype prints (see `executor::cast`).
            return Ok(Expr::Const {
                value: Datum::Text(self.regtype_literal(s).map_err(|e| e.or_position(pos))?),
                type_oid: REGTYPE,
            });
        }
        if from == UNKNOWN
            && to == REGNAMESPACE
            && let Expr::Const {
                value: Datum::Text(_),
                ..
            } = &x
        {
            // regnamespace input (`regnamespacein`): the schema's OID, looked
            // up when the expression runs.
            // TODO(regnamespace): typed oid, not regnamespace, so that it
            // prints as a number, as regnamespace values do here so far.
            return Ok(crate::expr::call("regnamespacein", vec![x], OID, true));
        }
        if from == UNKNOWN
            && let Expr::Const { value, .. } = &x
        {
            if to == REGCLASS
                && let Datum::Text(s) = value
            {
                // The name is looked up again when the cast runs; an error
                // here carries the literal's position, as PostgreSQL's does.
                self.check_regclass_literal(s, pos)?;
            }
            // A date/time literal that no DateStyle reads fails here, with
            // its position, though it is read when the cast runs.
            if let Datum::Text(s) = value
                && matches!(to, DATE | TIMESTAMP | TIMESTAMPTZ)
                && let Some(e) = fails_in_every_order(to, s)
            {
                return Err(e.or_position(pos));
            }
            let c = match value {
                Datum::Null => Expr::Const {
                    value: Datum::Null,
                    type_oid: to,
                },
                // timestamptz input depends on the session zone, and date input on
                // DateStyle's field order when the date is ambiguous: read those at
                // run time
                // regclass input looks the name up in the catalog, at run time.
                Datum::Text(_) if to == TIMESTAMPTZ || to == VOID || to == REGCLASS => Expr::Cast {
                    arg: Box::new(x.clone()),
                    from,
                    to,
                    typmod: -1,
                    explicit,
                },
                // The type modifier's fields decide what a bare number counts
                // (`'2' hour`), so the text is read with it. A leading minus
                // can read differently under IntervalStyle sql_standard: such
                // a value is read again at run time.
                Datum::Text(s) if to == INTERVAL => {
                    use types::datum::interval::{IntervalStyle, parse};
                    let iv = parse(s, typmod, IntervalStyle::Postgres)
                        .map_err(|e| e.or_position(pos))?;
                    if s.trim_start().starts_with('-')
                        && parse(s, typmod, IntervalStyle::SqlStandard).ok() != Some(iv)
                    {
                        return Ok(Expr::Cast {
                            arg: Box::new(x.clone()),
                            from,
                            to,
                            typmod,
                            explicit,
                        });
                    }
                    return Ok(Expr::Const {
                        value: Datum::Interval(iv),
                        type_oid: INTERVAL,
                    });
                }
                Datum::Text(s)
                    if (to == DATE || to == TIMESTAMP) && !order_independent(to, s)
                        || to == TIME && types::datum::datetime::is_relative_input(s) =>
                {
                    Expr::Cast {
                        arg: Box::new(x.clone()),
                        from,
                        to,
                        typmod: -1,
                        explicit,
                    }
                }
                Datum::Text(s) => Expr::Const {
                    value: Datum::from_text(to, s, &types::datum::OutputOptions::default())
                        .map_err(|e| e.or_position(pos))?,
                    type_oid: to,
                },
                _ => {
                    return Err(PgError::internal(
                        "unknown-typed constant that is not a string",
                    ));
                }
            };
            return if typmod >= 0 {
                self.coerce(c, to, typmod, explicit, pos)
            } else {
                Ok(c)
            };
        }
        let ok = if explicit {
            can_coerce_explicit(from, to)
        } else {
            can_coerce_implicit(from, to)
        };
        if !ok {
            return Err(PgError::new(
                SqlState::CannotCoerce,
                format!(
                    "cannot cast type {} to {}",
                    oid::type_name(from),
                    oid::format_type(to, typmod)
                ),
            )
            .or_position(pos));
        }
        Ok(Expr::Cast {
            arg: Box::new(x),
            from,
            to,
            typmod,
            explicit,
        })
    }

    fn transform_unary(
        &mut self,
        op: &UnaryOperator,
        operand: &ast::Expr,
        whole: &ast::Expr,
    ) -> PgResult<Expr> {
        let pos = self.pos(whole.span());
        // a minus sign before a numeric literal makes a negative literal
        if let (UnaryOperator::Minus, ast::Expr::Value(v)) = (op, operand)
            && let Value::Number(s, _) = &v.value
        {
            return number_literal(&format!("-{s}"));
        }
        let sym = match op {
            UnaryOperator::Not => {
                let x = self.transform_bool(operand, "NOT")?;
                return Ok(Expr::Not(Box::new(x)));
            }
            UnaryOperator::Minus => "-",
            UnaryOperator::Plus => "+",
            UnaryOperator::PGAbs => "@",
            UnaryOperator::PGSquareRoot => "|/",
            UnaryOperator::PGCubeRoot => "||/",
            UnaryOperator::BitwiseNot => "~",
            UnaryOperator::PGPrefixFactorial => "!!",
            UnaryOperator::AtDashAt => "@-@",
            UnaryOperator::DoubleAt => "@@",
            UnaryOperator::Hash => "#",
            UnaryOperator::QuestionDash => "?-",
            UnaryOperator::QuestionPipe => "?|",
            other => {
                return Err(PgError::feature_not_supported(format!(
                    "prefix operator {other}"
                )));
            }
        };
        let arg = self.transform(operand)?;
        if let Some(x) = self.user_operator(None, sym, None, (&arg, pos), pos, true)? {
            return Ok(x);
        }
        let arg = super::domain::strip_domain(arg);
        let t = arg.type_oid();
        let resolved = func::resolve(sym, &[t]);
        if !matches!(resolved, Resolution::Found(_))
            && let Some(x) = self.user_operator(None, sym, None, (&arg, pos), pos, false)?
        {
            return Ok(x);
        }
        match resolved {
            Resolution::Found(d) => {
                let a = self.coerce(arg, d.args[0], -1, false, pos)?;
                Ok(Expr::Call { func: d.imp, args: vec![a], type_oid: d.ret, strict: true })
            }
            Resolution::NotFound => Err(PgError::new(
                SqlState::UndefinedFunction,
                format!("operator does not exist: {sym} {}", oid::type_name(t)),
            )
            .with_hint(PREFIX_OPER_HINT)
            .or_position(pos)),
            Resolution::Ambiguous => Err(PgError::new(
                SqlState::AmbiguousFunction,
                format!("operator is not unique: {sym} {}", oid::type_name(t)),
            )
            .with_hint("Could not choose a best candidate operator. You might need to add explicit type casts.")
            .or_position(pos)),
        }
    }

    fn transform_binary(
        &mut self,
        left: &ast::Expr,
        op: &BinaryOperator,
        right: &ast::Expr,
    ) -> PgResult<Expr> {
        // A user prefix operator (`@#@ 24`): the parser's marker stands
        // for the missing left operand.
        if let (ast::Expr::Identifier(id), BinaryOperator::Custom(sym)) = (left, op)
            && id.quote_style.is_some()
            && id.value == PREFIX_OPERATOR_MARKER
        {
            let pos = self.pos(right.span());
            let arg = self.transform(right)?;
            for exact in [true, false] {
                if let Some(x) = self.user_operator(None, sym, None, (&arg, pos), pos, exact)? {
                    return Ok(x);
                }
            }
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!(
                    "operator does not exist: {sym} {}",
                    oid::type_name(arg.type_oid())
                ),
            )
            .with_hint(PREFIX_OPER_HINT)
            .or_position(pos));
        }
        let sym: String = match op {
            BinaryOperator::And | BinaryOperator::Or => {
                let name = if matches!(op, BinaryOperator::And) {
                    "AND"
                } else {
                    "OR"
                };
                let l = self.transform_bool(left, name)?;
                let r = self.transform_bool(right, name)?;
                let mut parts = Vec::new();
                for x in [l, r] {
                    match (x, op) {
                        (Expr::And(v), BinaryOperator::And) => parts.extend(v),
                        (Expr::Or(v), BinaryOperator::Or) => parts.extend(v),
                        (x, _) => parts.push(x),
                    }
                }
                return Ok(if matches!(op, BinaryOperator::And) {
                    Expr::And(parts)
                } else {
                    Expr::Or(parts)
                });
            }
            BinaryOperator::Plus => "+".into(),
            BinaryOperator::Minus => "-".into(),
            BinaryOperator::Multiply => "*".into(),
            BinaryOperator::Divide => "/".into(),
            BinaryOperator::Modulo => "%".into(),
            BinaryOperator::StringConcat => "||".into(),
            BinaryOperator::Gt => ">".into(),
            BinaryOperator::Lt => "<".into(),
            BinaryOperator::GtEq => ">=".into(),
            BinaryOperator::LtEq => "<=".into(),
            BinaryOperator::Eq => "=".into(),
            BinaryOperator::NotEq => "<>".into(),
            BinaryOperator::BitwiseOr => "|".into(),
            BinaryOperator::BitwiseAnd => "&".into(),
            BinaryOperator::BitwiseXor | BinaryOperator::PGExp => "^".into(),
            BinaryOperator::PGBitwiseXor => "#".into(),
            BinaryOperator::PGBitwiseShiftLeft => "<<".into(),
            BinaryOperator::PGBitwiseShiftRight => ">>".into(),
            BinaryOperator::PGLikeMatch => "~~".into(),
            BinaryOperator::PGILikeMatch => "~~*".into(),
            BinaryOperator::PGNotLikeMatch => "!~~".into(),
            BinaryOperator::PGNotILikeMatch => "!~~*".into(),
            BinaryOperator::PGStartsWith => "^@".into(),
            BinaryOperator::PGRegexMatch => "~".into(),
            BinaryOperator::PGRegexIMatch => "~*".into(),
            BinaryOperator::PGRegexNotMatch => "!~".into(),
            BinaryOperator::PGRegexNotIMatch => "!~*".into(),
            BinaryOperator::AtArrow => "@>".into(),
            BinaryOperator::ArrowAt => "<@".into(),
            BinaryOperator::PGOverlap => "&&".into(),
            BinaryOperator::Arrow => "->".into(),
            BinaryOperator::LongArrow => "->>".into(),
            BinaryOperator::HashArrow => "#>".into(),
            BinaryOperator::HashLongArrow => "#>>".into(),
            BinaryOperator::HashMinus => "#-".into(),
            BinaryOperator::Question => "?".into(),
            BinaryOperator::QuestionAnd => "?&".into(),
            BinaryOperator::QuestionPipe => "?|".into(),
            BinaryOperator::AtQuestion => "@?".into(),
            BinaryOperator::AtAt => "@@".into(),
            BinaryOperator::LtDashGt => "<->".into(),
            BinaryOperator::AndLt => "&<".into(),
            BinaryOperator::AndGt => "&>".into(),
            BinaryOperator::DoubleHash => "##".into(),
            BinaryOperator::LtLtPipe => "<<|".into(),
            BinaryOperator::PipeGtGt => "|>>".into(),
            BinaryOperator::AndLtPipe => "&<|".into(),
            BinaryOperator::PipeAndGt => "|&>".into(),
            BinaryOperator::LtCaret => "<^".into(),
            BinaryOperator::GtCaret => ">^".into(),
            BinaryOperator::QuestionHash => "?#".into(),
            BinaryOperator::QuestionDash => "?-".into(),
            BinaryOperator::QuestionDashPipe => "?-|".into(),
            BinaryOperator::QuestionDoublePipe => "?||".into(),
            BinaryOperator::TildeEq => "~=".into(),
            BinaryOperator::Custom(s) => s.clone(),
            // `OPERATOR(pg_catalog.~)`, as psql writes its catalog queries:
            // the built-in operators all live in pg_catalog.
            // (Another schema's operator is then not found, as there are none.)
            BinaryOperator::PGCustomBinaryOperator(parts) => match parts.as_slice() {
                [schema, op] if schema == "pg_catalog" => op.clone(),
                _ => parts.join("."),
            },
            BinaryOperator::Overlaps => {
                // `(s1, e1) OVERLAPS (s2, e2)`: the function overlaps(s1, e1, s2, e2)
                let pos = self.op_pos(left, right, &["OVERLAPS", "overlaps"]);
                let pair = |e: &ast::Expr| match e {
                    ast::Expr::Tuple(v) if v.len() == 2 => Some([v[0].clone(), v[1].clone()]),
                    _ => None,
                };
                let (Some(l), Some(r)) = (pair(left), pair(right)) else {
                    return Err(PgError::syntax(
                        "wrong number of parameters on left side of OVERLAPS expression",
                        pos,
                    ));
                };
                let mut args = Vec::with_capacity(4);
                for e in l.iter().chain(r.iter()) {
                    args.push((self.transform(e)?, self.pos(e.span())));
                }
                return self.call_function("overlaps", args, pos);
            }
            other => return Err(PgError::feature_not_supported(format!("operator {other}"))),
        };
        let pos = self.op_pos(left, right, &[sym.as_str()]);
        self.make_op(&sym, left, right, pos)
    }

    /// Position of an operator token: the first occurrence of one of `tokens`
    /// between the end of `left` and the start of `right`.
    fn op_pos(&self, left: &ast::Expr, right: &ast::Expr, tokens: &[&str]) -> Option<usize> {
        self.op_pos_between(left.span(), right.span(), tokens)
    }

    /// [`Self::op_pos`] between two spans.
    fn op_pos_between(
        &self,
        left: sqlparser::tokenizer::Span,
        right: sqlparser::tokenizer::Span,
        tokens: &[&str],
    ) -> Option<usize> {
        let start = self.byte_offset(left.end)?;
        let end = self
            .byte_offset(right.start)
            .unwrap_or(self.query_text.len());
        let (lo, hi) = if start <= end {
            (start, end)
        } else {
            (end, start)
        };
        let between = self.query_text.get(lo..hi)?;
        let found = tokens.iter().filter_map(|t| between.find(t)).min()?;
        Some(self.query_text[..lo + found].chars().count() + 1)
    }

    /// Builds a binary operator call with PostgreSQL's resolution.
    /// `lhs IN (subquery)`: the subquery's one column compared by the `=`
    /// operator the two types resolve to, as for `lhs = value`.
    /// A subquery compared with a row constructor: its one row (NULL
    /// without rows, 21000 with more) as a row of its columns.
    fn row_subquery(&mut self, q: &ast::Query, pos: Option<usize>) -> PgResult<Expr> {
        let (columns, mut plan, params) = self.analyze_sublink(q)?;
        if columns.len() == 1 || plan.targets.len() != columns.len() {
            let x = Expr::SubPlan {
                kind: crate::expr::SubPlanKind::Scalar,
                type_oid: match columns.first().map_or(TEXT, |c| c.type_oid) {
                    UNKNOWN => TEXT,
                    t => t,
                },
                plan: Box::new(plan),
                test: None,
                params,
            };
            if columns.len() == 1 {
                return Ok(x);
            }
            return Err(PgError::feature_not_supported(
                "a row compared with a subquery with hidden sort columns",
            )
            .or_position(pos));
        }
        let targets = std::mem::take(&mut plan.targets);
        let types: Vec<u32> = targets
            .iter()
            .map(|t| match t.type_oid() {
                UNKNOWN => TEXT,
                t => t,
            })
            .collect();
        plan.targets = vec![super::rowtypes::make_row(targets)];
        let sub = Expr::SubPlan {
            kind: crate::expr::SubPlanKind::Scalar,
            plan: Box::new(plan),
            type_oid: RECORD,
            test: None,
            params,
        };
        let args = types
            .iter()
            .enumerate()
            .map(|(i, &t)| Expr::Call {
                func: "record_field",
                args: vec![
                    sub.clone(),
                    Expr::Const {
                        value: Datum::Int4(i as i32),
                        type_oid: INT4,
                    },
                ],
                type_oid: t,
                strict: true,
            })
            .collect();
        Ok(super::rowtypes::make_row(args))
    }

    pub(crate) fn in_subquery(&mut self, lhs: &ast::Expr, q: &ast::Query) -> PgResult<Expr> {
        let lpos = self.pos(lhs.span());
        let l = self.transform(lhs)?;
        let pos = self.op_pos_between(lhs.span(), q.span(), &["IN", "in"]);
        let (columns, plan, params) = self.analyze_sublink(q)?;
        // `(a, b) IN (SELECT x, y ...)`: the subquery's rows as records,
        // the test field by field (NULL-propagating, as PostgreSQL's).
        if let Expr::Row {
            args,
            type_oid: RECORD,
            ..
        } = &l
            && columns.len() > 1
        {
            if args.len() != columns.len() {
                return Err(PgError::syntax(
                    if args.len() < columns.len() {
                        "subquery has too many columns"
                    } else {
                        "subquery has too few columns"
                    },
                    pos,
                ));
            }
            let mut tests = Vec::with_capacity(args.len());
            for (i, (a, c)) in args.iter().zip(&columns).enumerate() {
                let field = |side: usize, t: u32| Expr::Call {
                    func: "record_field",
                    args: vec![
                        Expr::Var {
                            index: side,
                            type_oid: RECORD,
                            typmod: -1,
                        },
                        Expr::Const {
                            value: Datum::Int4(i as i32),
                            type_oid: INT4,
                        },
                    ],
                    type_oid: t,
                    strict: true,
                };
                let lt = match a.type_oid() {
                    UNKNOWN => TEXT,
                    t => t,
                };
                let rt = match c.type_oid {
                    UNKNOWN => TEXT,
                    t => t,
                };
                tests.push(self.make_op_exprs(
                    "=",
                    (field(0, lt), lpos),
                    (field(1, rt), None),
                    pos,
                )?);
            }
            let l = match l {
                Expr::Row { args, .. } => super::rowtypes::make_row(
                    args.into_iter()
                        .map(|a| match a.type_oid() {
                            UNKNOWN => self.coerce(a, TEXT, -1, false, lpos),
                            _ => Ok(a),
                        })
                        .collect::<PgResult<_>>()?,
                ),
                other => other,
            };
            // The subquery's columns as one record per row.
            let mut plan = plan;
            if plan.targets.len() != columns.len() {
                return Err(PgError::feature_not_supported(
                    "a row IN a subquery with hidden sort columns",
                )
                .or_position(pos));
            }
            let targets = std::mem::take(&mut plan.targets);
            plan.targets = vec![super::rowtypes::make_row(targets)];
            return Ok(Expr::SubPlan {
                kind: crate::expr::SubPlanKind::Any,
                plan: Box::new(plan),
                type_oid: BOOL,
                test: Some(Box::new((l, Expr::And(tests)))),
                params,
            });
        }
        let [column] = columns.as_slice() else {
            return Err(PgError::syntax("subquery has too many columns", pos));
        };
        let rt = match column.type_oid {
            UNKNOWN => TEXT,
            t => t,
        };
        let var = |index, type_oid| Expr::Var {
            index,
            type_oid,
            typmod: -1,
        };
        let test =
            self.make_op_exprs("=", (var(0, l.type_oid()), lpos), (var(1, rt), None), pos)?;
        if test.type_oid() != BOOL {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                "operator of ANY/ALL must yield type boolean",
            ));
        }
        Ok(Expr::SubPlan {
            kind: crate::expr::SubPlanKind::Any,
            plan: Box::new(plan),
            type_oid: BOOL,
            test: Some(Box::new((l, test))),
            params,
        })
    }

    pub fn make_op(
        &mut self,
        sym: &str,
        left: &ast::Expr,
        right: &ast::Expr,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let lpos = self.pos(left.span());
        let rpos = self.pos(right.span());
        let is_row = |e: &ast::Expr| match e {
            ast::Expr::Tuple(_) => true,
            ast::Expr::Function(f) => f.name.to_string().eq_ignore_ascii_case("row"),
            _ => false,
        };
        // `(a, b) = (SELECT x, y ...)`: the subquery's row as a row
        // constructor of its fields, compared field by field (on the
        // right only, as PostgreSQL's grammar has it).
        let l = self.transform(left)?;
        let r = match right {
            ast::Expr::Subquery(q) if is_row(left) => self.row_subquery(q, rpos)?,
            _ => self.transform(right)?,
        };
        self.make_op_exprs(sym, (l, lpos), (r, rpos), pos)
    }

    /// The type a regtype literal names, as `format_type` prints it.
    fn regtype_literal(&self, text: &str) -> PgResult<String> {
        let t = text.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(oid::format_type(t.parse().unwrap_or(0), -1));
        }
        let dialect = sqlparser::dialect::PostgreSqlDialect {};
        let dt = sqlparser::parser::Parser::new(&dialect)
            .try_with_sql(t)
            .and_then(|mut p| p.parse_data_type())
            .map_err(|_| {
                PgError::new(
                    SqlState::SyntaxError,
                    format!("invalid type name \"{text}\""),
                )
            })?;
        let (t, typmod) = super::typename::resolve_type_in(&dt, self.catalog)?;
        Ok(oid::format_type(t, typmod))
    }

    pub fn make_op_exprs(
        &mut self,
        sym: &str,
        (l, lpos): (Expr, Option<usize>),
        (r, rpos): (Expr, Option<usize>),
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        // `OPERATOR(schema.op)` names the operator's schema.
        let (schema, sym) = match sym.rsplit_once('.') {
            Some((schema, op)) if !schema.is_empty() => (Some(schema), op),
            _ => (None, sym),
        };
        // A user operator declared for exactly these types comes first.
        if let Some(x) = self.user_operator(schema, sym, Some((&l, lpos)), (&r, rpos), pos, true)? {
            return Ok(x);
        }
        if let Some(schema) = schema
            && schema != "pg_catalog"
        {
            if let Some(x) =
                self.user_operator(Some(schema), sym, Some((&l, lpos)), (&r, rpos), pos, false)?
            {
                return Ok(x);
            }
            return Err(PgError::new(
                SqlState::UndefinedFunction,
                format!(
                    "operator does not exist: {} {schema}.{sym} {}",
                    oid::type_name(l.type_oid()),
                    oid::type_name(r.type_oid())
                ),
            )
            .with_hint(OPER_HINT)
            .or_position(pos));
        }
        // An element beside a range over a domain keeps the domain, which
        // is the range's subtype (`anyelement` binds to it exactly).
        let subtype_of = |t: u32| {
            oid::range_subtype(t).or_else(|| oid::multirange_range(t).and_then(oid::range_subtype))
        };
        let (lt0, rt0) = (l.type_oid(), r.type_oid());
        let keeps_domain = (types::typcache::is_domain(rt0) && subtype_of(lt0) == Some(rt0))
            || (types::typcache::is_domain(lt0) && subtype_of(rt0) == Some(lt0));
        let (l, r) = if keeps_domain {
            (l, r)
        } else {
            (
                super::domain::strip_domain(l),
                super::domain::strip_domain(r),
            )
        };
        let (lt, rt) = (l.type_oid(), r.type_oid());
        // The comparison operators of `anyenum`: both sides of one enum type.
        let enum_type = if types::typcache::is_enum(lt) && (rt == lt || rt == UNKNOWN) {
            Some(lt)
        } else if types::typcache::is_enum(rt) && lt == UNKNOWN {
            Some(rt)
        } else {
            None
        };
        let cmp = match sym {
            "=" => Some("eq"),
            "<>" | "!=" => Some("ne"),
            "<" => Some("lt"),
            "<=" => Some("le"),
            ">" => Some("gt"),
            ">=" => Some("ge"),
            _ => None,
        };
        if let Some(imp) = cmp
            && (types::datum::record::is_composite(lt) || types::datum::record::is_composite(rt))
        {
            return self.record_compare(sym, imp, (l, lpos), (r, rpos), pos);
        }
        if let (Some(t), Some(imp)) = (enum_type, cmp) {
            let a = self.coerce(l, t, -1, false, lpos)?;
            let b = self.coerce(r, t, -1, false, rpos)?;
            return Ok(Expr::Call {
                func: imp,
                args: vec![a, b],
                type_oid: BOOL,
                strict: true,
            });
        }
        let resolved = func::resolve(sym, &[lt, rt]);
        if !matches!(resolved, Resolution::Found(_)) {
            if let Some(x) =
                self.user_operator(None, sym, Some((&l, lpos)), (&r, rpos), pos, true)?
            {
                return Ok(x);
            }
            if let Some(x) =
                self.user_operator(None, sym, Some((&l, lpos)), (&r, rpos), pos, false)?
            {
                return Ok(x);
            }
        }
        // An array operand takes the array operators, unless a built-in
        // operator is declared for these types (`jsonb - text[]`).
        if (oid::element_of(lt).is_some() || oid::element_of(rt).is_some())
            && !matches!(resolved, Resolution::Found(_))
        {
            return self.array_op(sym, (l, lpos), (r, rpos), pos);
        }
        match resolved {
            Resolution::Found(d) => {
                let a = self.coerce(l, d.args[0], -1, false, lpos)?;
                let b = self.coerce(r, d.args[1], -1, false, rpos)?;
                Ok(Expr::Call { func: d.imp, args: vec![a, b], type_oid: d.ret, strict: true })
            }
            Resolution::NotFound if sym == "||" && is_textish(lt) != is_textish(rt) && lt != BYTEA && rt != BYTEA => {
                // anytextcat / textanycat: the non-string side goes through its output function
                let a = if is_textish(lt) { self.coerce(l, TEXT, -1, false, lpos)? } else { self.text_output(l, lpos)? };
                let b = if is_textish(rt) { self.coerce(r, TEXT, -1, false, rpos)? } else { self.text_output(r, rpos)? };
                Ok(Expr::Call { func: "textcat", args: vec![a, b], type_oid: TEXT, strict: true })
            }
            Resolution::NotFound => Err(PgError::new(
                SqlState::UndefinedFunction,
                format!("operator does not exist: {} {sym} {}", oid::type_name(lt), oid::type_name(rt)),
            )
            .with_hint(OPER_HINT)
            .or_position(pos)),
            Resolution::Ambiguous => Err(PgError::new(
                SqlState::AmbiguousFunction,
                format!("operator is not unique: {} {sym} {}", oid::type_name(lt), oid::type_name(rt)),
            )
            .with_hint("Could not choose a best candidate operator. You might need to add explicit type casts.")
            .or_position(pos)),
        }
    }

    /// A user operator `sym` (`pg_operator`) that takes these operands
    /// (`left` None for a prefix operator): with `exact`, one declared for
    /// exactly their types (an untyped literal taking the other side's);
    /// otherwise the one they reach by implicit casts. Its function is
    /// called with the operands coerced to its declared types; None when
    /// no operator fits.
    fn user_operator(
        &mut self,
        schema: Option<&str>,
        sym: &str,
        left: Option<(&Expr, Option<usize>)>,
        (r, rpos): (&Expr, Option<usize>),
        pos: Option<usize>,
        exact: bool,
    ) -> PgResult<Option<Expr>> {
        let ops = self.catalog.lookup_operators(schema, sym)?;
        if ops.is_empty() {
            return Ok(None);
        }
        let lt = left.map_or(0, |(l, _)| l.type_oid());
        let rt = r.type_oid();
        let (lt_eff, rt_eff) = match (lt, rt) {
            (UNKNOWN, t) if t != UNKNOWN => (t, t),
            (t, UNKNOWN) if t != UNKNOWN && left.is_some() => (t, t),
            other => other,
        };
        let fits = |have: u32, want: u32| {
            have == want || (!exact && (have == UNKNOWN || can_coerce_implicit(have, want)))
        };
        let chosen: Vec<_> = ops
            .iter()
            .filter(|o| o.function != "-")
            .filter(|o| {
                if exact {
                    o.left == lt_eff && o.right == rt_eff
                } else {
                    (left.is_none() && o.left == 0
                        || left.is_some() && o.left != 0 && fits(lt, o.left))
                        && fits(rt, o.right)
                }
            })
            .collect();
        // pg_catalog comes first on every search path: a built-in
        // operator of the same signature hides the user's.
        let signature = |o: &crate::OperatorDesc| match o.left {
            0 => vec![o.right],
            l => vec![l, o.right],
        };
        if let Some(o) = chosen.first()
            && let Resolution::Found(d) = func::resolve(sym, &signature(o))
            && d.args == signature(o)
        {
            return Ok(None);
        }
        let op = match chosen.as_slice() {
            [] => return Ok(None),
            [op] => (*op).clone(),
            _ if exact => chosen[0].clone(),
            _ => {
                let what = match left {
                    Some(_) => format!("{} {sym} {}", oid::type_name(lt), oid::type_name(rt)),
                    None => format!("{sym} {}", oid::type_name(rt)),
                };
                return Err(PgError::new(
                    SqlState::AmbiguousFunction,
                    format!("operator is not unique: {what}"),
                )
                .with_hint("Could not choose a best candidate operator. You might need to add explicit type casts.")
                .or_position(pos));
            }
        };
        let mut args = Vec::with_capacity(2);
        if let Some((l, lpos)) = left {
            args.push((self.coerce(l.clone(), op.left, -1, false, lpos)?, lpos));
        }
        args.push((self.coerce(r.clone(), op.right, -1, false, rpos)?, rpos));
        let (fschema, fname) = match op.function.rsplit_once('.') {
            Some((s, f)) => (Some(s.to_owned()), f.to_owned()),
            None => (None, op.function.clone()),
        };
        if let Some(x) = self.call_user_function(fschema.as_deref(), &fname, &args, &[], pos)? {
            return Ok(Some(x));
        }
        let types: Vec<u32> = args.iter().map(|(x, _)| x.type_oid()).collect();
        match func::exact_builtin(&fname, &types) {
            Some(d) => Ok(Some(Expr::Call {
                func: d.imp,
                args: args.into_iter().map(|(x, _)| x).collect(),
                type_oid: d.ret,
                strict: d.strict,
            })),
            None => self.call_function(&fname, args, pos).map(Some),
        }
    }

    /// An operator with an array operand: comparison, `||`, `@>`, `<@`, `&&`.
    fn array_op(
        &mut self,
        sym: &str,
        (l, lpos): (Expr, Option<usize>),
        (r, rpos): (Expr, Option<usize>),
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let (lt, rt) = (l.type_oid(), r.type_oid());
        let missing = || {
            PgError::new(
                SqlState::UndefinedFunction,
                format!(
                    "operator does not exist: {} {sym} {}",
                    oid::type_name(lt),
                    oid::type_name(rt)
                ),
            )
            .with_hint(OPER_HINT)
            .or_position(pos)
        };
        let call = |func: &'static str, args: Vec<Expr>, type_oid: u32, strict: bool| Expr::Call {
            func,
            args,
            type_oid,
            strict,
        };
        if sym == "||" {
            let (le, re) = (oid::element_of(lt), oid::element_of(rt));
            return match (le, re) {
                (Some(_), _) if rt == lt || rt == UNKNOWN => {
                    let r = self.coerce(r, lt, -1, false, rpos)?;
                    Ok(call("array_cat", vec![l, r], lt, false))
                }
                (Some(e), None) => {
                    let r = self.coerce(r, e, -1, false, rpos)?;
                    Ok(call("array_append", vec![l, r], lt, false))
                }
                (None, Some(e)) => {
                    let l = self.coerce(l, e, -1, false, lpos)?;
                    Ok(call("array_prepend", vec![l, r], rt, false))
                }
                // `numeric[] || integer[]`: both as arrays of their common
                // element type (anycompatiblearray).
                (Some(a), Some(b)) => {
                    let common =
                        select_common_type(&[(a, lpos), (b, rpos)], "||").map_err(|_| missing())?;
                    let t = oid::array_of(common).ok_or_else(missing)?;
                    let l = self.coerce(l, t, -1, false, lpos).map_err(|_| missing())?;
                    let r = self.coerce(r, t, -1, false, rpos).map_err(|_| missing())?;
                    Ok(call("array_cat", vec![l, r], t, false))
                }
                _ => Err(missing()),
            };
        }
        // Both sides arrays of one type (an untyped literal takes the other's).
        let t = if lt == UNKNOWN { rt } else { lt };
        if oid::element_of(t).is_none() {
            return Err(missing());
        }
        let l = self.coerce(l, t, -1, false, lpos).map_err(|_| missing())?;
        let r = self.coerce(r, t, -1, false, rpos).map_err(|_| missing())?;
        let imp = match sym {
            "=" => "eq",
            "<>" => "ne",
            "<" => "lt",
            "<=" => "le",
            ">" => "gt",
            ">=" => "ge",
            "@>" => "array_contains",
            "<@" => "array_contained",
            "&&" => "array_overlap",
            _ => return Err(missing()),
        };
        Ok(call(imp, vec![l, r], BOOL, true))
    }

    fn text_output(&mut self, x: Expr, pos: Option<usize>) -> PgResult<Expr> {
        if category(x.type_oid()) == 'P' {
            return Err(
                PgError::new(SqlState::UndefinedFunction, "operator does not exist")
                    .or_position(pos),
            );
        }
        self.coerce(x, TEXT, -1, true, pos)
    }

    fn transform_case(
        &mut self,
        operand: &Option<Box<ast::Expr>>,
        conditions: &[ast::CaseWhen],
        else_result: &Option<Box<ast::Expr>>,
    ) -> PgResult<Expr> {
        let mut whens = Vec::new();
        let mut results = Vec::new();
        for cw in conditions {
            let cond = match operand {
                Some(op) => {
                    let pos = self.pos(cw.condition.span());
                    self.make_op("=", op, &cw.condition, pos)?
                }
                None => self.transform_bool(&cw.condition, "CASE/WHEN")?,
            };
            whens.push(cond);
            results.push((self.transform(&cw.result)?, self.pos(cw.result.span())));
        }
        let else_x = match else_result {
            Some(e) => (self.transform(e)?, self.pos(e.span())),
            None => (
                Expr::Const {
                    value: Datum::Null,
                    type_oid: UNKNOWN,
                },
                None,
            ),
        };
        results.push(else_x);
        // PostgreSQL considers the ELSE branch first
        let mut order: Vec<(u32, Option<usize>)> = Vec::new();
        if let Some(last) = results.last() {
            order.push((last.0.type_oid(), last.1));
        }
        order.extend(
            results[..results.len() - 1]
                .iter()
                .map(|(x, p)| (x.type_oid(), *p)),
        );
        let t = select_common_type(&order, "CASE")?;
        let mut coerced = Vec::new();
        for (x, p) in results {
            coerced.push(self.coerce(x, t, -1, false, p)?);
        }
        let else_result = Box::new(
            coerced
                .pop()
                .ok_or_else(|| PgError::internal("CASE without ELSE"))?,
        );
        Ok(Expr::Case {
            whens: whens.into_iter().zip(coerced).collect(),
            else_result,
            type_oid: t,
        })
    }

    /// A call WITHIN GROUP, or one of an ordered-set aggregate without it:
    /// the aggregate, or PostgreSQL's error for a function that is no
    /// ordered-set aggregate (None: neither, the call goes on as usual).
    fn within_group(
        &mut self,
        name: &str,
        qualified: bool,
        f: &ast::Function,
        pos: Option<usize>,
    ) -> Option<PgResult<Expr>> {
        let osa = if qualified {
            None
        } else {
            super::agg::ordered_set_aggregate(name)
        };
        if f.within_group.is_empty() {
            // rank() and the like without WITHIN GROUP are window
            // functions; with as many arguments as direct and aggregated
            // ones together, the call is the aggregate without WITHIN GROUP.
            let nargs = match &f.args {
                FunctionArguments::List(l) => l.args.len(),
                _ => 0,
            };
            return match osa {
                Some(
                    crate::plan::AggFunc::PercentileCont | crate::plan::AggFunc::PercentileDisc,
                ) if nargs == 2 && f.over.is_none() => Some(Err(PgError::new(
                    SqlState::WrongObjectType,
                    format!("WITHIN GROUP is required for ordered-set aggregate {name}"),
                )
                .or_position(pos))),
                Some(crate::plan::AggFunc::Mode) if nargs == 1 && f.over.is_none() => {
                    Some(Err(PgError::new(
                        SqlState::WrongObjectType,
                        format!("WITHIN GROUP is required for ordered-set aggregate {name}"),
                    )
                    .or_position(pos)))
                }
                _ => None,
            };
        }
        if let Some(func) = osa {
            return Some(self.transform_ordered_set(func, name, f, pos));
        }
        let combined = f.within_group.len()
            + match &f.args {
                FunctionArguments::List(l) => l.args.len(),
                _ => 0,
            };
        let arity_fits = combined == 1 || (name == "string_agg" && combined == 2);
        if super::agg::is_aggregate(name) && arity_fits {
            return Some(Err(PgError::new(
                SqlState::WrongObjectType,
                format!("{name} is not an ordered-set aggregate, so it cannot have WITHIN GROUP"),
            )
            .or_position(pos)));
        }
        // Any other function is looked for with the direct and aggregated
        // arguments together, which none takes (PostgreSQL's resolution
        // fails before its WITHIN GROUP checks).
        let mut types = Vec::new();
        if let FunctionArguments::List(l) = &f.args {
            for a in &l.args {
                if let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = a {
                    match self.transform(e) {
                        Ok(x) => types.push(x.type_oid()),
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
        }
        for o in &f.within_group {
            match self.transform(&o.expr) {
                Ok(x) => types.push(x.type_oid()),
                Err(e) => return Some(Err(e)),
            }
        }
        let types: Vec<String> = types
            .iter()
            .map(|&t| oid::type_name(t).to_string())
            .collect();
        Some(Err(PgError::new(
            SqlState::UndefinedFunction,
            format!("function {name}({}) does not exist", types.join(", ")),
        )
        .with_hint(
            "No function matches the given name and argument types. You might need to add explicit type casts.",
        )
        .or_position(pos)))
    }

    fn transform_function(&mut self, f: &ast::Function, whole: &ast::Expr) -> PgResult<Expr> {
        let pos = self.pos(whole.span());
        let parts: Vec<String> = f
            .name
            .0
            .iter()
            .map(|p| match p {
                ObjectNamePart::Identifier(id) => lower_ident(id),
                ObjectNamePart::Function(pf) => pf.name.value.to_lowercase(),
            })
            .collect();
        let mut user_schema = None;
        let name = match parts.as_slice() {
            [n] => n.clone(),
            [schema, n] if schema == "pg_catalog" => n.clone(),
            [schema, n] => {
                // Only user functions live in other schemas.
                user_schema = Some(schema.clone());
                n.clone()
            }
            _ => {
                return Err(PgError::feature_not_supported(format!(
                    "function name {}",
                    f.name
                )));
            }
        };
        if let Some(r) = self.within_group(&name, user_schema.is_some(), f, pos) {
            return r;
        }
        let arg_list = match &f.args {
            FunctionArguments::None => {
                if let Some((imp, t)) = special_value_function(&name) {
                    return Ok(Expr::Call {
                        func: imp,
                        args: vec![],
                        type_oid: t,
                        strict: false,
                    });
                }
                return Err(PgError::new(
                    SqlState::UndefinedColumn,
                    format!("column \"{name}\" does not exist"),
                )
                .or_position(pos));
            }
            FunctionArguments::Subquery(q) if name == "array" => {
                let (columns, plan, params) = self.analyze_sublink(q)?;
                let [column] = columns.as_slice() else {
                    return Err(PgError::syntax("subquery must return only one column", pos));
                };
                let elem = match column.type_oid {
                    UNKNOWN => TEXT,
                    t => t,
                };
                if oid::is_array_type(elem) {
                    return Ok(Expr::SubPlan {
                        kind: crate::expr::SubPlanKind::ArrayOfArrays,
                        plan: Box::new(plan),
                        type_oid: elem,
                        test: None,
                        params,
                    });
                }
                let Some(type_oid) = oid::array_of(elem) else {
                    return Err(PgError::new(
                        SqlState::UndefinedObject,
                        format!(
                            "could not find array type for data type {}",
                            oid::type_name(elem)
                        ),
                    )
                    .or_position(pos));
                };
                return Ok(Expr::SubPlan {
                    kind: crate::expr::SubPlanKind::Array,
                    plan: Box::new(plan),
                    type_oid,
                    test: None,
                    params,
                });
            }
            FunctionArguments::Subquery(_) => {
                return Err(PgError::feature_not_supported("subqueries"));
            }
            FunctionArguments::List(l) => l,
        };
        if f.over.is_some() {
            return self.transform_window(&name, f, arg_list, pos);
        }
        // ROW(a, t.*, ...): a row constructor, `t.*` giving t's columns.
        if parts.len() == 1 && name == "row" {
            let mut args = Vec::with_capacity(arg_list.args.len());
            for a in &arg_list.args {
                match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => args.push(self.transform(e)?),
                    FunctionArg::Unnamed(FunctionArgExpr::QualifiedWildcard(q)) => {
                        let fields = self.star_fields(&super::name_parts(q), pos)?;
                        args.extend(fields.into_iter().map(|(_, e)| e));
                    }
                    _ => return Err(PgError::syntax("syntax error at or near \"*\"", pos)),
                }
            }
            return Ok(super::rowtypes::make_row(args));
        }
        // pg_typeof(x): the type analysis gave x, as regtype prints it.
        if name == "pg_typeof"
            && let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))] =
                arg_list.args.as_slice()
        {
            let x = self.transform(e)?;
            return Ok(Expr::Const {
                value: Datum::Text(oid::type_name(x.type_oid()).to_string()),
                type_oid: REGTYPE,
            });
        }
        if super::agg::is_aggregate(&name)
            || ((user_schema.is_some() || !func::name_exists(&name))
                && !self.user_aggregates(f)?.is_empty())
        {
            return self.transform_aggregate(&name, f, arg_list, pos);
        }
        if f.filter.is_some() {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                format!("FILTER specified, but {name} is not an aggregate function"),
            )
            .or_position(pos));
        }
        if arg_list.duplicate_treatment.is_some() || !arg_list.clauses.is_empty() {
            return Err(PgError::feature_not_supported("aggregate functions"));
        }
        let mut args = Vec::new();
        let mut named = Vec::new();
        let (list, variadic) = variadic_args(&arg_list.args, pos)?;
        for a in &list {
            match a.as_ref() {
                // normalize(s, NFC): the form is a keyword, passed as text.
                FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::Identifier(form)))
                    if name == "normalize"
                        && args.len() == 1
                        && form.quote_style.is_none()
                        && matches!(
                            form.value.to_ascii_uppercase().as_str(),
                            "NFC" | "NFD" | "NFKC" | "NFKD"
                        ) =>
                {
                    args.push((
                        Expr::Const {
                            value: Datum::Text(form.value.to_ascii_uppercase()),
                            type_oid: oid::TEXT,
                        },
                        None,
                    ))
                }
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => {
                    args.push((self.transform(e)?, self.pos(e.span())))
                }
                FunctionArg::Unnamed(FunctionArgExpr::QualifiedWildcard(q)) => {
                    let parts = super::name_parts(q);
                    match self.whole_row(&parts, pos)? {
                        Some(row) => args.push((row, pos)),
                        None => {
                            return Err(PgError::new(
                                SqlState::UndefinedTable,
                                format!(
                                    "missing FROM-clause entry for table \"{}\"",
                                    parts.join(".")
                                ),
                            )
                            .or_position(pos));
                        }
                    }
                }
                FunctionArg::Unnamed(_) => {
                    return Err(PgError::feature_not_supported("* arguments"));
                }
                FunctionArg::Named {
                    name: n,
                    arg: FunctionArgExpr::Expr(e),
                    ..
                }
                | FunctionArg::ExprNamed {
                    name: ast::Expr::Identifier(n),
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => {
                    let arg = (self.transform(e)?, self.pos(e.span()));
                    named.push((lower_ident(n), arg));
                }
                _ => return Err(PgError::feature_not_supported("named function arguments")),
            }
        }
        if variadic {
            return self.call_with_variadic_array(user_schema.as_deref(), &name, args, &named, pos);
        }
        if user_schema.is_none()
            && let Some(params) = builtin_params(&name)
            && (!named.is_empty() || args.len() < params.len())
            && let Some(all) = builtin_args(params, &args, &named)
        {
            args = all;
            named.clear();
        }
        // Named arguments (but jsonb_path_*'s) and other schemas than
        // pg_catalog: a user function.
        if user_schema.is_some() || (!named.is_empty() && !name.starts_with("jsonb_path_")) {
            if let Some(x) =
                self.call_user_function(user_schema.as_deref(), &name, &args, &named, pos)?
            {
                return Ok(x);
            }
            return Err(no_such_function(
                user_schema.as_deref(),
                &name,
                &args,
                &named,
                pos,
            ));
        }
        if !named.is_empty() {
            args = jsonb_path_named_args(args, named, || {
                let vars = types::datum::json::Jsonb::Object(Vec::new());
                let value = Datum::Jsonb(Box::new(vars));
                (
                    Expr::Const {
                        value,
                        type_oid: oid::JSONB,
                    },
                    None,
                )
            })?;
        }
        self.call_by_name(&name, args, pos)
    }

    /// A call whose last argument is `VARIADIC array`. The built-in
    /// functions PostgreSQL declares VARIADIC: those whose array is a path
    /// or a list of keys take it as it is; those of `"any"` elements
    /// (`format`, `concat`, `json_build_array`, ...) and the multirange
    /// constructors are resolved as if called with one element of it and
    /// take its elements as their trailing arguments when they run (the
    /// executor's `variadic_spread`). Else a VARIADIC user function takes
    /// the array as its parameter.
    fn call_with_variadic_array(
        &mut self,
        schema: Option<&str>,
        name: &str,
        args: Vec<(Expr, Option<usize>)>,
        named: &[(String, (Expr, Option<usize>))],
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        const PATH_OR_KEYS: &[&str] = &[
            "json_extract_path",
            "json_extract_path_text",
            "jsonb_extract_path",
            "jsonb_extract_path_text",
            "jsonb_delete",
        ];
        const OF_ANY: &[&str] = &[
            "concat",
            "concat_ws",
            "format",
            "json_build_array",
            "jsonb_build_array",
            "json_build_object",
            "jsonb_build_object",
            "num_nulls",
            "num_nonnulls",
        ];
        if schema.is_none() && named.is_empty() {
            if PATH_OR_KEYS.contains(&name) {
                return self.call_by_name(name, args, pos);
            }
            if let Some(x) = self.spread_variadic(name, &args, OF_ANY.contains(&name), pos)? {
                return Ok(x);
            }
        }
        self.variadic_call = true;
        let found = self.call_user_function(schema, name, &args, named, pos);
        self.variadic_call = false;
        if let Some(x) = found? {
            return Ok(x);
        }
        Err(no_such_function(schema, name, &args, named, pos))
    }

    /// [`Self::call_with_variadic_array`] of a built-in function whose
    /// VARIADIC elements become arguments: `of_any` for those declared
    /// `VARIADIC "any"`, else only a multirange constructor is one. None
    /// when `name` is neither.
    fn spread_variadic(
        &mut self,
        name: &str,
        args: &[(Expr, Option<usize>)],
        of_any: bool,
        pos: Option<usize>,
    ) -> PgResult<Option<Expr>> {
        let Some((array, array_pos)) = args.last().cloned() else {
            return Ok(None);
        };
        let array = super::domain::strip_domain(array);
        let array_type = array.type_oid();
        let Some(element) = oid::element_of(array_type) else {
            if of_any {
                return Err(PgError::new(
                    SqlState::InvalidParameterValue,
                    "VARIADIC argument must be an array",
                )
                .or_position(array_pos));
            }
            return Ok(None);
        };
        // Resolved with one element (none for json[b]_build_object, whose
        // arguments come in pairs).
        let mut probe: Vec<(Expr, Option<usize>)> = args[..args.len() - 1].to_vec();
        let fixed = probe.len();
        let placeholders = usize::from(!name.ends_with("build_object"));
        if placeholders == 1 {
            probe.push((
                Expr::Const {
                    value: Datum::Null,
                    type_oid: element,
                },
                array_pos,
            ));
        }
        let call = match self.call_by_name(name, probe, pos) {
            Ok(x) => x,
            Err(e) if of_any => return Err(e),
            Err(_) => return Ok(None),
        };
        let (func, mut call_args, type_oid) = match call {
            Expr::Call {
                func,
                args: call_args,
                type_oid,
                ..
            } if call_args.len() == fixed + placeholders
                && (of_any || func == "multirange_constructor") =>
            {
                (func, call_args, type_oid)
            }
            _ if of_any => {
                return Err(PgError::feature_not_supported(format!(
                    "VARIADIC arrays passed to {name}"
                ))
                .or_position(pos));
            }
            _ => return Ok(None),
        };
        // The array, of the element type the function takes.
        let taken = match placeholders {
            1 => call_args.pop().map_or(element, |x| x.type_oid()),
            _ => element,
        };
        let wanted = match taken {
            t if t == element => array_type,
            t => oid::array_of(t).unwrap_or(array_type),
        };
        let array = self.coerce(array, wanted, -1, false, array_pos)?;
        let mut spread = Vec::with_capacity(call_args.len() + 2);
        spread.push(Expr::Const {
            value: Datum::Text(func.to_string()),
            type_oid: oid::TEXT,
        });
        spread.extend(call_args);
        spread.push(array);
        Ok(Some(Expr::Call {
            func: "variadic_spread",
            args: spread,
            type_oid,
            strict: false,
        }))
    }

    /// A call of the function `name` (built-in or user) with analyzed
    /// arguments: the special forms (COALESCE, GREATEST, array and json
    /// functions ...), then user functions of names no built-in has, then
    /// the built-in ones.
    pub(crate) fn call_by_name(
        &mut self,
        name: &str,
        mut args: Vec<(Expr, Option<usize>)>,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        let name = name.to_string();
        // Functions take a domain's value as its base type; COALESCE,
        // GREATEST, LEAST and NULLIF keep a domain all their inputs share.
        if !matches!(name.as_str(), "coalesce" | "greatest" | "least" | "nullif") {
            args = args
                .into_iter()
                .map(|(x, p)| (super::domain::strip_domain(x), p))
                .collect();
        }
        // `int2vector` and `oidvector` stand for `int2[]` and `oid[]`.
        let mut args = args
            .into_iter()
            .map(|(x, p)| Ok((self.vector_as_array(x)?, p)))
            .collect::<PgResult<Vec<_>>>()?;
        // generate_subscripts(a, dim): the series of a's subscripts.
        if name == "generate_subscripts" && args.len() == 2 {
            let dim = args.pop().unwrap_or((Expr::null(INT4), None));
            let array = args.pop().unwrap_or((Expr::null(INT4), None));
            let lower = self.call_by_name("array_lower", vec![array.clone(), dim.clone()], pos)?;
            let upper = self.call_by_name("array_upper", vec![array, dim], pos)?;
            return self.call_by_name("generate_series", vec![(lower, pos), (upper, pos)], pos);
        }
        if let Some(x) = self.array_function(&name, &args, pos)? {
            return Ok(x);
        }
        if let Some(x) = self.unnest_call(&name, &args, pos)? {
            return Ok(x);
        }
        if let Some(x) = self.json_call(&name, &args, pos)? {
            return Ok(x);
        }
        match name.as_str() {
            "coalesce" => {
                let types: Vec<_> = args.iter().map(|(x, p)| (x.type_oid(), *p)).collect();
                let t = select_common_type(&types, "COALESCE")?;
                let mut v = Vec::new();
                for (x, p) in args {
                    v.push(self.coerce(x, t, -1, false, p)?);
                }
                Ok(Expr::Coalesce {
                    args: v,
                    type_oid: t,
                })
            }
            "greatest" | "least" => {
                let ctx = if name == "greatest" {
                    "GREATEST"
                } else {
                    "LEAST"
                };
                let types: Vec<_> = args.iter().map(|(x, p)| (x.type_oid(), *p)).collect();
                let t = select_common_type(&types, ctx)?;
                let lt = match func::resolve("<", &[t, t]) {
                    Resolution::Found(d) if d.args[0] == t => d.imp,
                    _ if types::typcache::is_enum(t) => "lt",
                    _ => {
                        return Err(PgError::new(
                            SqlState::UndefinedFunction,
                            format!(
                                "could not identify a comparison function for type {}",
                                oid::type_name(t)
                            ),
                        ));
                    }
                };
                let mut v = Vec::new();
                for (x, p) in args {
                    v.push(self.coerce(x, t, -1, false, p)?);
                }
                Ok(Expr::MinMax {
                    args: v,
                    greatest: name == "greatest",
                    lt,
                    type_oid: t,
                })
            }
            "nullif" if args.len() == 2 => {
                let mut it = args.into_iter();
                let (Some(l), Some(r)) = (it.next(), it.next()) else {
                    return Err(PgError::internal("nullif arity"));
                };
                let lt = l.0.type_oid();
                let eq = self.make_op_exprs("=", l, r, pos)?;
                let Expr::Call { func, mut args, .. } = eq else {
                    return Err(PgError::internal("nullif"));
                };
                let right = args.pop().ok_or_else(|| PgError::internal("nullif"))?;
                let left = args.pop().ok_or_else(|| PgError::internal("nullif"))?;
                let _ = lt;
                let t = left.type_oid();
                Ok(Expr::NullIf {
                    left: Box::new(left),
                    right: Box::new(right),
                    eq: func,
                    type_oid: t,
                })
            }
            _ => {
                // A name no built-in function has may be a user function's.
                if !func::name_exists(&name)
                    && let Some(x) = self.call_user_function(None, &name, &args, &[], pos)?
                {
                    return Ok(x);
                }
                self.call_function(&name, args, pos)
            }
        }
    }

    /// The user function named `name` whose arguments take these
    /// (exactly, else by implicit casts), with the arguments coerced to
    /// its types; None if there is none.
    pub(crate) fn choose_user_function(
        &mut self,
        schema: Option<&str>,
        name: &str,
        args: &[(Expr, Option<usize>)],
        named: &[(String, (Expr, Option<usize>))],
        pos: Option<usize>,
    ) -> PgResult<Option<(std::sync::Arc<crate::FunctionDesc>, Vec<Expr>)>> {
        let explicit_variadic = std::mem::take(&mut self.variadic_call);
        let mut declared = Vec::new();
        for f in self.catalog.lookup_functions(schema, name)? {
            match (f.variadic, explicit_variadic) {
                // `f(..., VARIADIC array)`: the array itself, to a VARIADIC
                // function only.
                (false, true) => {}
                (true, true) => declared.push(f),
                (false, false) => declared.push(f),
                // Else the trailing arguments fill the array (PostgreSQL's
                // expanded form; the array itself is not accepted, nor
                // named arguments).
                (true, false) if !named.is_empty() => {}
                (true, false) => match expand_variadic(&f, args.len()) {
                    Some(expanded) => declared.push(expanded),
                    // Too few arguments to fill it: its default, if any.
                    None => declared.push(f),
                },
            }
        }
        let supplied: Vec<&(Expr, Option<usize>)> =
            args.iter().chain(named.iter().map(|(_, a)| a)).collect();
        // Which supplied argument each parameter takes (None: its default).
        let arrange = |f: &crate::FunctionDesc| -> Option<Vec<Option<usize>>> {
            let n = f.arg_types.len();
            if args.len() > n {
                return None;
            }
            let mut slots: Vec<Option<usize>> =
                (0..n).map(|i| (i < args.len()).then_some(i)).collect();
            for (k, (arg_name, _)) in named.iter().enumerate() {
                let i = f.arg_names.iter().position(|a| a == arg_name)?;
                if slots[i].is_some() {
                    return None;
                }
                slots[i] = Some(args.len() + k);
            }
            let first_default = n.checked_sub(f.arg_defaults.len())?;
            slots
                .iter()
                .enumerate()
                .all(|(i, s)| s.is_some() || i >= first_default)
                .then_some(slots)
        };
        let fits = |f: &crate::FunctionDesc, exact: bool| {
            arrange(f).is_some_and(|slots| {
                slots.iter().enumerate().all(|(i, s)| match s {
                    None => true,
                    Some(k) => {
                        let have = supplied[*k].0.type_oid();
                        let want = f.arg_types[i];
                        want == have || (!exact && can_coerce_implicit(have, want))
                    }
                })
            })
        };
        // A polymorphic function takes the types its arguments give it.
        let mut candidates = Vec::with_capacity(declared.len());
        for f in &declared {
            let polymorphic = f.arg_types.iter().any(|&t| oid::is_polymorphic(t))
                || oid::is_polymorphic(f.ret_type)
                || f.out_columns.iter().any(|c| oid::is_polymorphic(c.1));
            if !polymorphic {
                candidates.push(f.clone());
                continue;
            }
            let Some(slots) = arrange(f) else {
                continue;
            };
            let actual: Vec<u32> = slots
                .iter()
                .enumerate()
                .map(|(i, s)| s.map_or(f.arg_types[i], |k| supplied[k].0.type_oid()))
                .collect();
            let Some((arg_types, ret_type)) =
                super::coerce::resolve_polymorphic(&f.arg_types, &actual, f.ret_type)
            else {
                continue;
            };
            let mut out_columns = Vec::with_capacity(f.out_columns.len());
            for (n, t) in &f.out_columns {
                match super::coerce::resolve_polymorphic(&f.arg_types, &actual, *t) {
                    Some((_, t)) => out_columns.push((n.clone(), t)),
                    None => continue,
                }
            }
            candidates.push(std::sync::Arc::new(crate::FunctionDesc {
                arg_types,
                ret_type,
                out_columns,
                ..(**f).clone()
            }));
        }
        let mut chosen: Vec<_> = candidates.iter().filter(|f| fits(f, true)).collect();
        if chosen.is_empty() {
            chosen = candidates.iter().filter(|f| fits(f, false)).collect();
        }
        let f = match chosen.as_slice() {
            [] => return Ok(None),
            [f] => (*f).clone(),
            _ => {
                return Err(PgError::new(
                    SqlState::AmbiguousFunction,
                    format!("function {name} is not unique"),
                )
                .with_hint("Could not choose a best candidate function. You might need to add explicit type casts.")
                .or_position(pos));
            }
        };
        let slots = arrange(&f).unwrap_or_default();
        // Procedures are called by CALL, and CALL calls nothing else.
        let calling = std::mem::take(&mut self.allow_procedure);
        if f.procedure != calling {
            let sig: Vec<&str> = supplied
                .iter()
                .map(|(x, _)| oid::type_name(x.type_oid()))
                .collect();
            return Err(match calling {
                true => not_a_procedure(name, &sig),
                false => PgError::new(
                    SqlState::WrongObjectType,
                    format!("{name}({}) is a procedure", sig.join(", ")),
                )
                .with_hint("To call a procedure, use CALL."),
            }
            .or_position(pos));
        }
        if calling {
            self.call_outputs = f.out_positions.iter().map(|&i| slots[i]).collect();
        }
        if !self.functions.contains(&f.oid) {
            self.functions.push(f.oid);
        }
        let first_default = f.arg_types.len() - f.arg_defaults.len();
        let mut coerced = Vec::with_capacity(slots.len());
        for (i, s) in slots.iter().enumerate() {
            if let Some((from, array)) = f.variadic_from
                && i == from
            {
                // The trailing arguments of the expanded form: one array.
                let element = f.arg_types[from];
                let mut elements = Vec::with_capacity(slots.len() - from);
                for k in slots[from..].iter().flatten() {
                    let (x, p) = supplied[*k];
                    elements.push(self.coerce(x.clone(), element, -1, false, *p)?);
                }
                let first_pos = slots[from].and_then(|k| supplied[k].1).or(pos);
                let array = match array {
                    oid::ANYARRAY | oid::ANYCOMPATIBLEARRAY => {
                        oid::array_of(element).ok_or_else(|| {
                            PgError::new(
                                SqlState::UndefinedObject,
                                format!(
                                    "could not find array type for data type {}",
                                    oid::type_name(element)
                                ),
                            )
                            .or_position(first_pos)
                        })?
                    }
                    t => t,
                };
                coerced.push(crate::expr::call("array", elements, array, false));
                break;
            }
            let want = f.arg_types[i];
            let x = match s {
                Some(k) => {
                    let (x, p) = supplied[*k];
                    self.coerce(x.clone(), want, -1, false, *p)?
                }
                None => {
                    let text = &f.arg_defaults[i - first_default];
                    let e = crate::parse_stored_expr(text, "argument default")?;
                    let x = self.transform(&e)?;
                    self.coerce(x, want, -1, false, None)?
                }
            };
            coerced.push(x);
        }
        let f = match f.variadic_from {
            // The caller sees the function as declared, with its array.
            Some((from, array)) => {
                let mut arg_types = f.arg_types[..from].to_vec();
                arg_types.push(coerced.last().map_or(array, Expr::type_oid));
                let mut arg_names = f.arg_names.clone();
                arg_names.truncate(from + 1);
                std::sync::Arc::new(crate::FunctionDesc {
                    arg_types,
                    arg_names,
                    variadic_from: None,
                    ..(*f).clone()
                })
            }
            None => f,
        };
        Ok(Some((f, coerced)))
    }

    /// A call of a user function named `name` in an expression (see
    /// [`Self::choose_user_function`]); None if there is none. An SQL
    /// function's body is analyzed here, with the arguments as its
    /// parameters; a PL/pgSQL one is called by the backend at run time.
    pub(crate) fn call_user_function(
        &mut self,
        schema: Option<&str>,
        name: &str,
        args: &[(Expr, Option<usize>)],
        named: &[(String, (Expr, Option<usize>))],
        pos: Option<usize>,
    ) -> PgResult<Option<Expr>> {
        let Some((f, coerced)) = self.choose_user_function(schema, name, args, named, pos)? else {
            return Ok(None);
        };
        if f.retset || !f.out_columns.is_empty() {
            // Rows: a set-returning function of the select list.
            let width = f.out_columns.len().max(1);
            let (type_oid, typmod) = match f.out_columns.as_slice() {
                [] => (f.ret_type, -1),
                [(_, t)] => (*t, -1),
                // A row of the OUT columns, whose fields `(f(...)).name` reads.
                columns => {
                    let fields: std::sync::Arc<[types::datum::RecordField]> = columns
                        .iter()
                        .map(|(name, t)| types::datum::RecordField {
                            name: name.clone(),
                            type_oid: *t,
                            typmod: -1,
                        })
                        .collect();
                    (
                        types::oid::RECORD,
                        types::typcache::register_record(&fields),
                    )
                }
            };
            let user = crate::plan::UserSetCall {
                oid: f.oid,
                strict: f.strict,
                width,
                retset: f.retset,
                arg_types: f.arg_types.clone(),
                ret_type: f.ret_type,
                record_typmod: typmod,
            };
            return self
                .user_set_ref(coerced, (type_oid, typmod), user, pos)
                .map(Some);
        }
        if f.language != crate::catalog::FunctionLanguage::Sql {
            return Ok(Some(Expr::UserCall {
                func: Box::new(crate::expr::UserFunctionRef {
                    oid: f.oid,
                    name: f.name.clone(),
                    arg_types: f.arg_types.clone(),
                }),
                args: coerced,
                type_oid: f.ret_type,
                strict: f.strict,
                volatile: f.volatile,
            }));
        }
        if self.function_depth >= crate::catalog::MAX_FUNCTION_DEPTH {
            return Err(PgError::new(
                SqlState::StatementTooComplex,
                "stack depth limit exceeded",
            )
            .with_hint("SQL functions here are expanded where they are called; this one calls itself too deeply."));
        }
        let (plan, relations, functions) =
            analyze_function_body(&f, self.catalog, self.function_depth + 1)?;
        for r in relations {
            self.merge_relation(r);
        }
        for oid in functions {
            if !self.functions.contains(&oid) {
                self.functions.push(oid);
            }
        }
        Ok(Some(Expr::SqlFunction {
            plan: Box::new(plan),
            args: coerced,
            type_oid: f.ret_type,
            strict: f.strict,
        }))
    }

    /// Resolves and builds a call of a built-in function.
    pub fn call_function(
        &mut self,
        name: &str,
        args: Vec<(Expr, Option<usize>)>,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        self.call_function_as(name, name, args, pos)
    }

    /// `call_function` of a call that errors name `shown` (the function a
    /// special syntax such as EXTRACT stands for).
    fn call_function_as(
        &mut self,
        name: &str,
        shown: &str,
        args: Vec<(Expr, Option<usize>)>,
        pos: Option<usize>,
    ) -> PgResult<Expr> {
        // No built-in function takes `int2vector` or `oidvector` as such:
        // they stand for the arrays `int2[]` and `oid[]` (`cardinality`,
        // `array_to_string`, `array_position` of `pg_index.indkey`).
        let args = args
            .into_iter()
            .map(|(x, p)| Ok((self.vector_as_array(x)?, p)))
            .collect::<PgResult<Vec<_>>>()?;
        let types: Vec<u32> = args.iter().map(|(x, _)| x.type_oid()).collect();
        if let Some(t) = enum_function_type(name, &types) {
            // enum_first / enum_last / enum_range over `anyenum`: the
            // arguments only tell the type (a NULL of it will do).
            let ret = if name == "enum_range" {
                oid::array_of(t).ok_or_else(|| PgError::internal("enum without an array type"))?
            } else {
                t
            };
            let mut out = Vec::with_capacity(args.len());
            for (x, p) in args {
                out.push(self.coerce(x, t, -1, false, p)?);
            }
            return Ok(Expr::Call {
                func: name_static(name),
                args: out,
                type_oid: ret,
                strict: false,
            });
        }
        let fmt_sig = || {
            types
                .iter()
                .map(|&t| oid::type_name(t))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match func::resolve(name, &types) {
            Resolution::Found(d) => {
                let mut out = Vec::with_capacity(args.len());
                for (i, (x, p)) in args.into_iter().enumerate() {
                    let target = d.args.get(i).copied().unwrap_or_else(|| if x.type_oid() == UNKNOWN { TEXT } else { x.type_oid() });
                    out.push(self.coerce(x, target, -1, false, p)?);
                }
                if let Some(columns) = d.returns_set {
                    let t = if columns.len() == 1 { d.ret } else { RECORD };
                    return self.set_ref(d.imp, out, t, pos);
                }
                Ok(Expr::Call { func: d.imp, args: out, type_oid: d.ret, strict: d.strict })
            }
            Resolution::NotFound if args.len() == 1 && function_style_cast(name).is_some() => {
                // `float8(x)`: a cast written as a call, where one exists.
                let Some(to) = function_style_cast(name) else {
                    return Err(PgError::internal("cast target lost"));
                };
                let from = types[0];
                if from != UNKNOWN && !super::coerce::can_coerce_explicit(from, to) {
                    return Err(PgError::new(
                        SqlState::UndefinedFunction,
                        format!("function {shown}({}) does not exist", fmt_sig()),
                    )
                    .with_hint(FUNC_HINT)
                    .or_position(pos));
                }
                let (x, p) = args.into_iter().next().ok_or_else(|| PgError::internal("no argument"))?;
                self.coerce(x, to, -1, true, p)
            }
            Resolution::NotFound if func::known_unsupported(name) => {
                Err(PgError::feature_not_supported(format!("function {name}()")).or_position(pos))
            }
            Resolution::NotFound => Err(PgError::new(
                SqlState::UndefinedFunction,
                format!("function {shown}({}) does not exist", fmt_sig()),
            )
            .with_hint(FUNC_HINT)
            .or_position(pos)),
            Resolution::Ambiguous => Err(PgError::new(
                SqlState::AmbiguousFunction,
                format!("function {shown}({}) is not unique", fmt_sig()),
            )
            .with_hint("Could not choose a best candidate function. You might need to add explicit type casts.")
            .or_position(pos)),
        }
    }
}

/// The enum type of a call of `enum_first(anyenum)`, `enum_last(anyenum)`,
/// `enum_range(anyenum)` or `enum_range(anyenum, anyenum)` with these
/// argument types, if it is one.
fn enum_function_type(name: &str, types: &[u32]) -> Option<u32> {
    let is_enum = types::typcache::is_enum;
    match (name, types) {
        ("enum_first" | "enum_last" | "enum_range", [t]) if is_enum(*t) => Some(*t),
        ("enum_range", [a, b]) if is_enum(*a) && (b == a || *b == UNKNOWN) => Some(*a),
        ("enum_range", [a, b]) if is_enum(*b) && *a == UNKNOWN => Some(*b),
        _ => None,
    }
}

/// The expanded form of VARIADIC function `f` for a call of `positional`
/// positional arguments: its array parameter becomes as many parameters of
/// the element type as the trailing arguments (at least one).
/// [`crate::FunctionDesc::variadic_from`] tells
/// where they start and the array's declared type.
fn expand_variadic(
    f: &std::sync::Arc<crate::FunctionDesc>,
    positional: usize,
) -> Option<std::sync::Arc<crate::FunctionDesc>> {
    let from = f.arg_types.len().checked_sub(1)?;
    if positional <= from {
        return None;
    }
    let array = f.arg_types[from];
    let element = match array {
        oid::ANYARRAY => oid::ANYELEMENT,
        oid::ANYCOMPATIBLEARRAY => oid::ANYCOMPATIBLE,
        t => oid::element_of(t)?,
    };
    let mut arg_types = f.arg_types[..from].to_vec();
    arg_types.resize(positional, element);
    let mut arg_names = f.arg_names.clone();
    let last = arg_names.get(from).cloned().unwrap_or_default();
    arg_names.resize(positional, last);
    Some(std::sync::Arc::new(crate::FunctionDesc {
        arg_types,
        arg_names,
        arg_defaults: Vec::new(),
        variadic_from: Some((from, array)),
        ..(**f).clone()
    }))
}

/// `42883 function name(types) does not exist` for a call of these
/// arguments (named ones as `name => type`).
fn no_such_function(
    schema: Option<&str>,
    name: &str,
    args: &[(Expr, Option<usize>)],
    named: &[(String, (Expr, Option<usize>))],
    pos: Option<usize>,
) -> PgError {
    let mut sig: Vec<String> = args
        .iter()
        .map(|(x, _)| oid::type_name(x.type_oid()).to_string())
        .collect();
    sig.extend(
        named
            .iter()
            .map(|(n, (x, _))| format!("{n} => {}", oid::type_name(x.type_oid()))),
    );
    let qualified = match schema {
        Some(s) => format!("{s}.{name}"),
        None => name.to_owned(),
    };
    PgError::new(
        SqlState::UndefinedFunction,
        format!("function {qualified}({}) does not exist", sig.join(", ")),
    )
    .with_hint(FUNC_HINT)
    .or_position(pos)
}

/// A call's arguments with the raw parser's wrapping of `VARIADIC expr`
/// ([`crate::VARIADIC_MARKER`]) taken off, and whether the last one had it
/// (only the last may: elsewhere it is PostgreSQL's syntax error).
pub(crate) fn variadic_args(
    args: &[FunctionArg],
    pos: Option<usize>,
) -> PgResult<(Vec<std::borrow::Cow<'_, FunctionArg>>, bool)> {
    let mut out = Vec::with_capacity(args.len());
    let mut variadic = false;
    for (k, a) in args.iter().enumerate() {
        match unwrap_variadic(a) {
            Some(inner) if k + 1 == args.len() => {
                variadic = true;
                out.push(inner);
            }
            Some(_) => return Err(PgError::syntax("syntax error at or near \",\"", pos)),
            None => out.push(std::borrow::Cow::Borrowed(a)),
        }
    }
    Ok((out, variadic))
}

/// The argument inside the raw parser's wrapping of `VARIADIC expr`, if
/// `a` is one.
fn unwrap_variadic(a: &FunctionArg) -> Option<std::borrow::Cow<'_, FunctionArg>> {
    let marked = |e: &ast::Expr| -> Option<ast::Expr> {
        let ast::Expr::Function(f) = e else {
            return None;
        };
        let [part] = f.name.0.as_slice() else {
            return None;
        };
        if part.as_ident()?.value != crate::VARIADIC_MARKER {
            return None;
        }
        match &f.args {
            FunctionArguments::List(l) => match l.args.as_slice() {
                [FunctionArg::Unnamed(FunctionArgExpr::Expr(inner))] => Some(inner.clone()),
                _ => None,
            },
            _ => None,
        }
    };
    Some(std::borrow::Cow::Owned(match a {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(marked(e)?))
        }
        FunctionArg::Named {
            name,
            arg: FunctionArgExpr::Expr(e),
            operator,
        } => FunctionArg::Named {
            name: name.clone(),
            arg: FunctionArgExpr::Expr(marked(e)?),
            operator: operator.clone(),
        },
        FunctionArg::ExprNamed {
            name,
            arg: FunctionArgExpr::Expr(e),
            operator,
        } => FunctionArg::ExprNamed {
            name: name.clone(),
            arg: FunctionArgExpr::Expr(marked(e)?),
            operator: operator.clone(),
        },
        _ => return None,
    }))
}

fn name_static(name: &str) -> &'static str {
    match name {
        "enum_first" => "enum_first",
        "enum_last" => "enum_last",
        _ => "enum_range",
    }
}

/// A SQL function's body as a plan over its arguments (`$1` ... or by
/// name): one query returning one column, coerced to the return type.
pub fn analyze_function_body(
    f: &crate::FunctionDesc,
    catalog: &dyn crate::CatalogView,
    depth: usize,
) -> PgResult<(crate::plan::Plan, Vec<crate::plan::RelationLock>, Vec<u32>)> {
    let stmts =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, &f.body)
            .map_err(|e| {
                PgError::syntax(
                    format!("syntax error in SQL function \"{}\": {e}", f.name),
                    None,
                )
            })?;
    let [stmt @ ast::Statement::Query(_)] = stmts.as_slice() else {
        return Err(PgError::feature_not_supported(
            "SQL function bodies other than one SELECT",
        ));
    };
    let mut a = super::Analyzer::new(&f.body, &f.arg_types, true).with_catalog(catalog);
    a.param_names = f.arg_names.clone();
    a.function_depth = depth;
    let mut planned = a.analyze_statement(stmt).map_err(|mut e| {
        e.position = None;
        e
    })?;
    if planned.columns.len() != 1 {
        return Err(PgError::new(
            SqlState::InvalidFunctionDefinition,
            format!(
                "return type mismatch in function declared to return {}",
                oid::type_name(f.ret_type)
            ),
        )
        .with_detail("Final statement must return exactly one column."));
    }
    let target = planned.plan.targets[0].clone();
    let have = target.type_oid();
    if have != f.ret_type && !(have == UNKNOWN || can_coerce_assignment(have, f.ret_type)) {
        return Err(PgError::new(
            SqlState::InvalidFunctionDefinition,
            format!(
                "return type mismatch in function declared to return {}",
                oid::type_name(f.ret_type)
            ),
        )
        .with_detail(format!("Actual return type is {}.", oid::type_name(have))));
    }
    planned.plan.targets[0] = a.coerce(target, f.ret_type, -1, false, None)?;
    Ok((planned.plan, planned.relations, planned.functions))
}

/// The text of a (possibly negated) numeric literal.
fn numeric_literal_text(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            Value::Number(s, _) => Some(s.clone()),
            _ => None,
        },
        ast::Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => numeric_literal_text(expr).map(|s| format!("-{s}")),
        _ => None,
    }
}

fn is_textish(t: u32) -> bool {
    matches!(t, TEXT | VARCHAR | BPCHAR | NAME | UNKNOWN | CHAR)
}

/// An integer literal is int4 if it fits, else int8, else numeric; anything with a
/// point or an exponent is numeric.
pub(crate) fn number_literal(s: &str) -> PgResult<Expr> {
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        if let Ok(v) = s.parse::<i32>() {
            return Ok(Expr::Const {
                value: Datum::Int4(v),
                type_oid: INT4,
            });
        }
        if let Ok(v) = s.parse::<i64>() {
            return Ok(Expr::Const {
                value: Datum::Int8(v),
                type_oid: INT8,
            });
        }
    }
    match Numeric::parse(s) {
        Some(n) => Ok(Expr::Const {
            value: Datum::Numeric(n?),
            type_oid: NUMERIC,
        }),
        None => Err(PgError::syntax(
            format!("trailing junk after numeric literal at or near \"{s}\""),
            None,
        )),
    }
}

/// The error of a date or timestamp literal that fails the same way in every
/// DateStyle field order (the relative words are left to run time).
fn fails_in_every_order(to: u32, s: &str) -> Option<PgError> {
    if types::datum::datetime::is_relative_input(s) {
        return None;
    }
    let read = |order: &str| {
        let opts = types::datum::OutputOptions {
            date_style: format!("ISO, {order}"),
            ..Default::default()
        };
        Datum::from_text(to, s, &opts).err()
    };
    let mdy = read("MDY")?;
    let same = |e: Option<PgError>| e.is_some_and(|e| e.message == mdy.message);
    (same(read("DMY")) && same(read("YMD"))).then_some(mdy)
}

/// True if the date or timestamp literal `s` reads the same (or fails the same way)
/// in every DateStyle field order, so that it can be converted at parse time.
fn order_independent(to: u32, s: &str) -> bool {
    // `now`, `today`, ...: read in the session's zone when the cast runs
    if types::datum::datetime::is_relative_input(s) {
        return false;
    }
    let read = |order: &str| {
        let opts = types::datum::OutputOptions {
            date_style: format!("ISO, {order}"),
            ..Default::default()
        };
        Datum::from_text(to, s, &opts).map_err(|e| e.message)
    };
    let mdy = read("MDY");
    mdy == read("DMY") && mdy == read("YMD")
}

/// The type a one-argument call of `name` casts to (`int4(x)`, `text(x)`).
/// Not the types whose names PostgreSQL's grammar reads as a type with a
/// modifier (`numeric(3)`, `varchar(12)`, `time(...)`): those are not calls.
fn function_style_cast(name: &str) -> Option<u32> {
    [
        BOOL,
        INT2,
        INT4,
        INT8,
        FLOAT4,
        FLOAT8,
        TEXT,
        BPCHAR,
        NAME,
        DATE,
        TIMESTAMPTZ,
        UUID,
        OID,
        BYTEA,
        INET,
        CIDR,
        MONEY,
        MACADDR,
        MACADDR8,
        TSVECTOR,
        TSQUERY,
        REGCONFIG,
    ]
    .into_iter()
    .find(|&t| oid::internal_name(t) == name)
}

/// The arguments of a `jsonb_path_*` call with named ones (`silent => true`)
/// put in place: `(target, path, vars, silent)`, `vars` defaulting to `{}`
/// (`default_vars`) when `silent` is given.
/// The parameters of built-in functions that take arguments by name or
/// leave them out (PostgreSQL's `proargnames` and `proargdefaults`): each
/// name with its default (None for a parameter that must be given).
fn builtin_params(name: &str) -> Option<Vec<(&'static str, Option<Expr>)>> {
    let int0 = || {
        Some(Expr::Const {
            value: Datum::Int4(0),
            type_oid: INT4,
        })
    };
    match name {
        "make_interval" => Some(vec![
            ("years", int0()),
            ("months", int0()),
            ("weeks", int0()),
            ("days", int0()),
            ("hours", int0()),
            ("mins", int0()),
            (
                "secs",
                Some(Expr::Const {
                    value: Datum::Float8(0.0),
                    type_oid: FLOAT8,
                }),
            ),
        ]),
        "parse_ident" => Some(vec![
            ("str", None),
            (
                "strict",
                Some(Expr::Const {
                    value: Datum::Bool(true),
                    type_oid: BOOL,
                }),
            ),
        ]),
        _ => None,
    }
}

/// The arguments of a call of a function with [`builtin_params`]:
/// positional ones first, then the named ones in their places, the rest
/// defaults. None if a name is not a parameter or is given twice.
fn builtin_args(
    params: Vec<(&'static str, Option<Expr>)>,
    args: &[(Expr, Option<usize>)],
    named: &[(String, (Expr, Option<usize>))],
) -> Option<Vec<(Expr, Option<usize>)>> {
    if args.len() > params.len() {
        return None;
    }
    let mut slots: Vec<Option<(Expr, Option<usize>)>> = vec![None; params.len()];
    for (i, a) in args.iter().enumerate() {
        slots[i] = Some(a.clone());
    }
    for (n, a) in named {
        let i = params.iter().position(|(p, _)| p == n)?;
        if slots[i].is_some() {
            return None;
        }
        slots[i] = Some(a.clone());
    }
    // A parameter without a default must be given.
    slots
        .into_iter()
        .zip(params)
        .map(|(s, (_, d))| s.or_else(|| d.map(|d| (d, None))))
        .collect()
}

pub(crate) fn jsonb_path_named_args<T>(
    positional: Vec<T>,
    named: Vec<(String, T)>,
    default_vars: impl FnOnce() -> T,
) -> PgResult<Vec<T>> {
    const PARAMS: [&str; 4] = ["target", "path", "vars", "silent"];
    let mut slots: Vec<Option<T>> = vec![None, None, None, None];
    if positional.len() > PARAMS.len() {
        return Err(PgError::feature_not_supported("named function arguments"));
    }
    for (i, a) in positional.into_iter().enumerate() {
        slots[i] = Some(a);
    }
    for (n, e) in named {
        match PARAMS.iter().position(|&q| q == n) {
            Some(i) if slots[i].is_none() => slots[i] = Some(e),
            _ => return Err(PgError::feature_not_supported("named function arguments")),
        }
    }
    if slots[3].is_some() && slots[2].is_none() {
        slots[2] = Some(default_vars());
    }
    let mut out = Vec::new();
    for s in slots {
        match s {
            Some(a) => out.push(a),
            None => break,
        }
    }
    if out.len() < 2 {
        return Err(PgError::feature_not_supported("named function arguments"));
    }
    Ok(out)
}
