//! The catalog functions psql's describe commands call (`\d`, `\dt`, `\df`,
//! `\l`, ...): `pg_get_userbyid`, `pg_get_expr`, `pg_get_constraintdef`,
//! `pg_get_indexdef`, `pg_get_viewdef`, `pg_function_is_visible`,
//! `pg_get_function_result` / `_arguments`, `obj_description`,
//! `pg_encoding_to_char`.
//!
//! The ones that read catalogs ask the [`crate::ExecContext`]; deparsing
//! an expression is the planner's (`planner::deparse`), which the backend
//! calls with the relation at hand.

use types::{Datum, PgResult};

use crate::CatalogText;
use crate::expr::Evaluator;

fn text_or_null(t: Option<String>) -> Datum {
    t.map_or(Datum::Null, Datum::Text)
}

fn pretty_arg(args: &[Datum], i: usize) -> bool {
    matches!(args.get(i), Some(Datum::Bool(true)))
}

pub fn call(func: &str, args: &[Datum], ev: &mut Evaluator<'_>) -> PgResult<Option<Datum>> {
    Ok(Some(match (func, args) {
        ("pg_get_userbyid", [Datum::Oid(oid)]) => Datum::Text(
            ev.ctx
                .role_name(*oid)?
                .unwrap_or_else(|| format!("unknown (OID={oid})")),
        ),
        (
            "has_table_privilege"
            | "has_sequence_privilege"
            | "has_schema_privilege"
            | "has_database_privilege"
            | "has_function_privilege"
            | "has_type_privilege"
            | "has_language_privilege"
            | "has_foreign_data_wrapper_privilege"
            | "has_server_privilege"
            | "has_column_privilege"
            | "pg_has_role",
            _,
        ) => match ev.ctx.has_privilege(func, args)? {
            Some(b) => Datum::Bool(b),
            None => Datum::Null,
        },
        ("pg_function_is_visible", [Datum::Oid(oid)]) => match ev.ctx.function_visible(*oid)? {
            Some(v) => Datum::Bool(v),
            None => Datum::Null,
        },
        // `name[i]`: byte i of the 64 a name has (NUL, an empty "char",
        // past its end), NULL outside them.
        ("name_subscript", [Datum::Text(name), Datum::Int4(i)]) => match usize::try_from(*i) {
            Ok(i) if i < 64 => Datum::Text(
                name.as_bytes()
                    .get(i)
                    .map_or_else(String::new, |&b| char::from(b).to_string()),
            ),
            _ => Datum::Null,
        },
        ("pg_database_size", [Datum::Text(name)]) => ev
            .ctx
            .database_size(Some(name), 0)?
            .map_or(Datum::Null, Datum::Int8),
        ("pg_database_size", [Datum::Oid(oid)]) => ev
            .ctx
            .database_size(None, *oid)?
            .map_or(Datum::Null, Datum::Int8),
        ("regnamespacein", [Datum::Text(text)]) => {
            let t = text.trim();
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                Datum::Oid(t.parse().unwrap_or(0))
            } else {
                let name = planner::catalog::parse_qualified_name(t)?;
                let [name] = name.as_slice() else {
                    return Err(types::PgError::new(
                        types::SqlState::InvalidName,
                        "invalid name syntax",
                    ));
                };
                match ev.ctx.namespace_oid(name)? {
                    Some(oid) => Datum::Oid(oid),
                    None => {
                        return Err(types::PgError::new(
                            types::SqlState::InvalidSchemaName,
                            format!("schema \"{name}\" does not exist"),
                        ));
                    }
                }
            }
        }
        ("acldefault", [Datum::Text(kind), Datum::Oid(owner)]) => {
            let owner = ev
                .ctx
                .role_name(*owner)?
                .unwrap_or_else(|| format!("{owner}"));
            acl_default(kind, &owner)?
        }
        ("pg_encoding_to_char", [Datum::Int4(n)]) => Datum::Text(
            usize::try_from(*n)
                .ok()
                .and_then(|i| types::guc::ENCODINGS.get(i))
                .map_or_else(String::new, |s| (*s).to_owned()),
        ),
        ("obj_description" | "shobj_description", [Datum::Oid(oid), rest @ ..]) => {
            let catalog = match rest.first() {
                Some(Datum::Text(name)) => Some(name.as_str()),
                _ => None,
            };
            text_or_null(ev.ctx.catalog_text(CatalogText::Description {
                objoid: *oid,
                catalog,
                subid: 0,
                shared: func == "shobj_description",
            })?)
        }
        ("col_description", [Datum::Oid(oid), Datum::Int4(subid)]) => {
            text_or_null(ev.ctx.catalog_text(CatalogText::Description {
                objoid: *oid,
                catalog: Some("pg_class"),
                subid: *subid,
                shared: false,
            })?)
        }
        ("obj_description" | "shobj_description" | "col_description", _) => Datum::Null,
        ("pg_relation_is_publishable", [arg @ (Datum::Oid(_) | Datum::Text(_))]) => {
            let oid = match arg {
                Datum::Oid(oid) => *oid,
                Datum::Text(name) => ev.ctx.regclass_oid(name)?,
                _ => 0,
            };
            match ev.ctx.catalog_text(CatalogText::RelationPublishable(oid))? {
                Some(t) => Datum::Bool(t == "t"),
                None => Datum::Null,
            }
        }
        ("pg_relation_is_publishable", _) => Datum::Null,
        ("pg_get_triggerdef", [Datum::Oid(oid), rest @ ..]) => {
            text_or_null(ev.ctx.catalog_text(CatalogText::Trigger {
                oid: *oid,
                pretty: pretty_arg(rest, 0),
            })?)
        }
        ("pg_get_ruledef", [Datum::Oid(oid), rest @ ..]) => {
            text_or_null(ev.ctx.catalog_text(CatalogText::Rule {
                oid: *oid,
                pretty: pretty_arg(rest, 0),
            })?)
        }
        (
            name @ ("pg_get_statisticsobjdef" | "pg_get_statisticsobjdef_columns"),
            [Datum::Oid(oid)],
        ) => text_or_null(ev.ctx.catalog_text(CatalogText::Statistics {
            oid: *oid,
            columns_only: name == "pg_get_statisticsobjdef_columns",
        })?),
        ("pg_operator_is_visible", [Datum::Oid(oid)]) => {
            match ev.ctx.catalog_text(CatalogText::OperatorVisible(*oid))? {
                Some(t) => Datum::Bool(t == "t"),
                None => Datum::Null,
            }
        }
        ("pg_statistics_obj_is_visible", [Datum::Oid(oid)]) => {
            match ev.ctx.catalog_text(CatalogText::StatisticsVisible(*oid))? {
                Some(t) => Datum::Bool(t == "t"),
                None => Datum::Null,
            }
        }
        (
            "pg_get_triggerdef"
            | "pg_get_statisticsobjdef"
            | "pg_get_statisticsobjdef_columns"
            | "pg_statistics_obj_is_visible"
            | "pg_operator_is_visible"
            | "pg_get_ruledef",
            _,
        ) => Datum::Null,
        // A partition bound is stored as it prints.
        ("pg_get_expr", [Datum::Text(text), ..])
            if text == "DEFAULT" || text.starts_with("FOR VALUES ") =>
        {
            Datum::Text(text.clone())
        }
        ("pg_get_expr", [Datum::Text(text), Datum::Oid(relid), rest @ ..]) => {
            text_or_null(ev.ctx.catalog_text(CatalogText::Expr {
                text,
                relid: *relid,
                pretty: pretty_arg(rest, 0),
            })?)
        }
        ("pg_get_constraintdef", [Datum::Oid(oid), rest @ ..]) => {
            text_or_null(ev.ctx.catalog_text(CatalogText::Constraint {
                oid: *oid,
                pretty: pretty_arg(rest, 0),
            })?)
        }
        ("pg_get_indexdef", [Datum::Oid(oid), rest @ ..]) => {
            text_or_null(ev.ctx.catalog_text(CatalogText::Index {
                oid: *oid,
                column: match rest.first() {
                    Some(Datum::Int4(c)) => *c,
                    _ => 0,
                },
                pretty: pretty_arg(rest, 1),
            })?)
        }
        // The wrap column form is pretty; the others wrap every column.
        ("pg_get_viewdef", [Datum::Oid(oid), rest @ ..]) => {
            let (pretty, wrap) = match rest.first() {
                Some(Datum::Int4(w)) => (true, *w),
                _ => (pretty_arg(rest, 0), 0),
            };
            text_or_null(ev.ctx.catalog_text(CatalogText::View {
                oid: *oid,
                pretty,
                wrap,
            })?)
        }
        ("pg_get_viewdef", [Datum::Text(name), rest @ ..]) => {
            let oid = ev.ctx.regclass_oid(name)?;
            text_or_null(ev.ctx.catalog_text(CatalogText::View {
                oid,
                pretty: pretty_arg(rest, 0),
                wrap: 0,
            })?)
        }
        ("pg_get_function_result", [Datum::Oid(oid)]) => {
            text_or_null(ev.ctx.catalog_text(CatalogText::FunctionResult(*oid))?)
        }
        ("pg_get_partkeydef", [Datum::Oid(oid)]) => {
            text_or_null(ev.ctx.catalog_text(CatalogText::PartitionKey(*oid))?)
        }
        ("pg_get_partition_constraintdef", [Datum::Oid(oid)]) => text_or_null(
            ev.ctx
                .catalog_text(CatalogText::PartitionConstraint(*oid))?,
        ),
        ("pg_partition_root", [Datum::Text(name)]) => {
            let oid = ev.ctx.regclass_oid(name)?;
            match ev.ctx.partition_ancestors(oid)?.last() {
                Some(&root) => Datum::Text(ev.ctx.regclass_of(root)?),
                None => Datum::Null,
            }
        }
        ("pg_get_function_arguments", [Datum::Oid(oid)]) => {
            text_or_null(ev.ctx.catalog_text(CatalogText::FunctionArguments(*oid))?)
        }
        _ => return Ok(None),
    }))
}

/// `acldefault(kind, owner)`: the ACL a NULL one stands for, for an object
/// kind given by PostgreSQL's letter (`r` table, `s` sequence, `d`
/// database, `f` function, `l` language, `L` large object, `n` schema,
/// `t` tablespace, `F` foreign data wrapper, `S` foreign server, `T` type,
/// `p` parameter).
fn acl_default(kind: &str, owner: &str) -> PgResult<Datum> {
    use catalog::acl::{self, AclItem, ObjectKind};
    let item = |grantee: &str, privs: u32| AclItem {
        grantee: grantee.to_owned(),
        grantor: owner.to_owned(),
        privs,
        grant_options: 0,
    };
    let items = match kind {
        "r" => acl::default_acl(ObjectKind::Table, owner),
        "s" => acl::default_acl(ObjectKind::Sequence, owner),
        "d" => acl::default_acl(ObjectKind::Database, owner),
        "f" => acl::default_acl(ObjectKind::Function, owner),
        "l" => acl::default_acl(ObjectKind::Language, owner),
        "n" => acl::default_acl(ObjectKind::Schema, owner),
        "T" => acl::default_acl(ObjectKind::Type, owner),
        "L" => vec![item(owner, acl::ACL_SELECT | acl::ACL_UPDATE)],
        "t" => vec![item(owner, acl::ACL_CREATE)],
        "F" | "S" => vec![item(owner, acl::ACL_USAGE)],
        "p" => Vec::new(),
        other => {
            return Err(types::PgError::new(
                types::SqlState::InternalError,
                format!("unrecognized object type abbreviation: {other}"),
            ));
        }
    };
    Ok(Datum::Array(Box::new(types::datum::ArrayValue::new(
        types::oid::TEXT,
        acl::to_texts(&items).into_iter().map(Datum::Text).collect(),
    ))))
}
