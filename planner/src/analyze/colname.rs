//! Output column names, as PostgreSQL's `FigureColname` chooses them.

use sqlparser::ast::{self, ObjectNamePart, TrimWhereField};
use types::oid;

use super::typename::resolve_type;

/// The name PostgreSQL gives an unaliased select-list expression.
pub fn figure_colname(e: &ast::Expr) -> String {
    figure(e).map_or_else(|| "?column?".to_string(), |(n, _)| n)
}

/// (name, strength): 2 for column references and functions, 1 for casts and CASE.
fn figure(e: &ast::Expr) -> Option<(String, u8)> {
    match e {
        ast::Expr::Identifier(id) => Some((
            if id.quote_style.is_some() {
                id.value.clone()
            } else {
                id.value.to_lowercase()
            },
            2,
        )),
        ast::Expr::CompoundIdentifier(ids) => ids.last().map(|id| (id.value.to_lowercase(), 2)),
        ast::Expr::Nested(inner) => figure(inner),
        ast::Expr::Collate { expr, .. } => figure(expr),
        ast::Expr::Function(f) => {
            let name = match f.name.0.last()? {
                ObjectNamePart::Identifier(id) => {
                    if id.quote_style.is_some() {
                        id.value.clone()
                    } else {
                        id.value.to_lowercase()
                    }
                }
                ObjectNamePart::Function(pf) => pf.name.value.to_lowercase(),
            };
            Some((name, 2))
        }
        ast::Expr::Cast {
            expr, data_type, ..
        } => match figure(expr) {
            Some((n, 2)) => Some((n, 2)),
            // An array type is named by its element type (`int4` for int[]).
            _ => match resolve_type(data_type) {
                Ok((t, _)) => {
                    let named = oid::element_of(t).unwrap_or(t);
                    Some((oid::internal_name(named).to_string(), 1))
                }
                // A user-defined type: named as written.
                Err(_) => user_type_name(data_type).map(|n| (n, 1)),
            },
        },
        ast::Expr::Array(_) => Some(("array".into(), 2)),
        // `(x).f` is named after its last field; an array subscript
        // keeps the name of what it subscripts.
        ast::Expr::CompoundFieldAccess { root, access_chain } => match access_chain
            .iter()
            .rev()
            .find(|a| !matches!(a, ast::AccessExpr::Subscript(_)))
        {
            Some(ast::AccessExpr::Dot(ast::Expr::Identifier(id))) => Some((
                match id.quote_style {
                    Some(_) => id.value.clone(),
                    None => id.value.to_lowercase(),
                },
                2,
            )),
            _ => figure(root),
        },
        ast::Expr::Tuple(_) => Some(("row".into(), 2)),
        ast::Expr::TypedString(ts) => match resolve_type(&ts.data_type) {
            Ok((t, _)) => Some((oid::internal_name(t).to_string(), 1)),
            Err(_) => user_type_name(&ts.data_type).map(|n| (n, 1)),
        },
        ast::Expr::Interval(_) => Some(("interval".into(), 1)),
        // `x AT TIME ZONE z` is a call of timezone(z, x)
        ast::Expr::AtTimeZone { .. } => Some(("timezone".into(), 2)),
        ast::Expr::Case { .. } => Some(("case".into(), 1)),
        ast::Expr::Exists { negated: false, .. } => Some(("exists".into(), 2)),
        // A scalar subquery is named after its first column.
        ast::Expr::Subquery(q) => match q.body.as_ref() {
            ast::SetExpr::Select(sel) => match sel.projection.first()? {
                ast::SelectItem::ExprWithAlias { alias, .. } => Some((
                    if alias.quote_style.is_some() {
                        alias.value.clone()
                    } else {
                        alias.value.to_lowercase()
                    },
                    2,
                )),
                ast::SelectItem::UnnamedExpr(e) => figure(e).map(|(n, _)| (n, 2)),
                _ => None,
            },
            _ => None,
        },
        ast::Expr::Position { .. } => Some(("position".into(), 2)),
        ast::Expr::Overlay { .. } => Some(("overlay".into(), 2)),
        ast::Expr::Substring { shorthand, .. } => Some((
            match shorthand {
                true => "substr".into(),
                false => "substring".into(),
            },
            2,
        )),
        ast::Expr::Trim { trim_where, .. } => Some((
            match trim_where {
                Some(TrimWhereField::Leading) => "ltrim",
                Some(TrimWhereField::Trailing) => "rtrim",
                _ => "btrim",
            }
            .into(),
            2,
        )),
        ast::Expr::Ceil { .. } => Some(("ceil".into(), 2)),
        ast::Expr::Floor { .. } => Some(("floor".into(), 2)),
        ast::Expr::Extract { .. } => Some(("extract".into(), 2)),
        _ => None,
    }
}

/// The (last part of the) name of a type the built-in table does not know,
/// as written: a user-defined type's column is named after it.
fn user_type_name(dt: &ast::DataType) -> Option<String> {
    match dt {
        ast::DataType::Custom(name, _) => match name.0.last()? {
            ast::ObjectNamePart::Identifier(id) if id.quote_style.is_some() => {
                Some(id.value.clone())
            }
            ast::ObjectNamePart::Identifier(id) => Some(id.value.to_lowercase()),
            _ => None,
        },
        ast::DataType::Array(
            ast::ArrayElemTypeDef::SquareBracket(inner, _)
            | ast::ArrayElemTypeDef::AngleBracket(inner),
        ) => user_type_name(inner),
        _ => None,
    }
}
