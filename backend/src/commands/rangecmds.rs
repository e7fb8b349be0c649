//! CREATE TYPE name AS RANGE (...) (PostgreSQL's `DefineRange` in
//! `commands/typecmds.c`).
//!
//! A user range type is four `pg_type` rows (the range `'r'`, its
//! multirange `'m'` and the array types of both) and a `pg_range` row
//! naming the subtype, the multirange type, the collation and the
//! optional subtype-difference function. Nothing else is catalogued: the
//! constructors `name(a, b [, flags])` and `multirange_name(range, ...)`,
//! the operators and the functions over `anyrange` are the planner's
//! per-type function table, which lists every range type of the type
//! cache (`planner::analyze::func`), so a range type made here works
//! wherever a built-in one does. The type cache loads the `pg_range` row
//! with the `pg_type` rows ([`super::typecmds::load_user_types`]), which is
//! how a stored value of the type is read again after a restart.
//!
//! DROP TYPE of the range takes its multirange along; DROP TYPE of the
//! multirange alone is 2BP01, as the multirange depends on its range
//! (`typecmds::drop_types_of`).
//!
//! Not here: CANONICAL (PostgreSQL requires a shell type made beforehand,
//! and a C function in practice; CREATE TYPE name; is not supported, so
//! the option is refused with PostgreSQL's message), SUBTYPE_OPCLASS
//! other than a btree operator class for the subtype by its `*_ops`
//! name, and subtype-difference functions that are built in (they are
//! checked and accepted, but `rngsubdiff` stays 0: built-in functions
//! have no `pg_proc` OID here).

use sqlparser::ast::{ObjectName, UserDefinedTypeRangeOption};

use catalog::heap_catalog::CatalogWriter;
use catalog::system::{RangeRow, RangeTypeOids};
use storage::page::ItemPointer;
use types::{PgError, PgResult, SqlState, oid};

use super::split_name;
use super::typecmds::{changed, resolve_type, type_name_taken};
use crate::relcache;
use crate::session::Session;
use crate::utility::Outcome;

/// The name PostgreSQL gives the multirange type of range type `name`
/// when none is specified: the first `range` in the name becomes
/// `multirange`, or `_multirange` is appended.
pub(crate) fn default_multirange_name(name: &str) -> String {
    match name.find("range") {
        Some(i) => format!("{}multi{}", &name[..i], &name[i..]),
        None => format!("{name}_multirange"),
    }
}

/// The built-in type a type keyword of the grammar stands for (`int` is
/// `pg_catalog.int4` wherever a type name may be written).
fn keyword_type(word: &str) -> Option<&'static str> {
    Some(match word {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "float" => "float8",
        "boolean" => "bool",
        "dec" | "decimal" | "numeric" => "numeric",
        "char" | "character" => "bpchar",
        "varchar" => "varchar",
        "bit" => "bit",
        "time" => "time",
        "timestamp" => "timestamp",
        "interval" => "interval",
        _ => return None,
    })
}

fn redundant() -> PgError {
    PgError::new(SqlState::SyntaxError, "conflicting or redundant options")
}

/// Whether `t` is a pseudo-type (`typtype 'p'`), which no range is over.
fn is_pseudo(t: u32) -> bool {
    catalog::system::BUILTIN_TYPES
        .iter()
        .any(|b| b.0 == t && b.8 == 'p')
        || matches!(
            t,
            oid::RECORD
                | oid::UNKNOWN
                | oid::ANYELEMENT
                | oid::ANYARRAY
                | oid::ANYNONARRAY
                | oid::ANYENUM
                | oid::ANYRANGE
                | oid::ANYMULTIRANGE
                | oid::ANY
                | oid::ANYCOMPATIBLE
                | oid::ANYCOMPATIBLEARRAY
                | oid::ANYCOMPATIBLENONARRAY
                | oid::ANYCOMPATIBLERANGE
                | oid::ANYCOMPATIBLEMULTIRANGE
                | oid::VOID
                | oid::TRIGGER
        )
}

/// The `*_ops` btree operator class names a subtype accepts (its
/// default one, by the type's internal name, and the text pattern ones).
fn opclass_accepts(opclass: &str, subtype: u32) -> bool {
    let base = types::typcache::base_type(subtype);
    let internal = oid::internal_name(base);
    opclass == format!("{internal}_ops")
        || (oid::is_string_type(base)
            && matches!(
                opclass,
                "text_ops" | "text_pattern_ops" | "varchar_ops" | "bpchar_ops"
            ))
        || (matches!(base, oid::INT2 | oid::INT4 | oid::INT8)
            && matches!(opclass, "int2_ops" | "int4_ops" | "int8_ops"))
        || (matches!(base, oid::FLOAT4 | oid::FLOAT8)
            && matches!(opclass, "float4_ops" | "float8_ops"))
}

/// The subtype-difference function `name(subtype, subtype)`: a user
/// function (its OID) or a built-in one (0), which must return float8.
fn find_subtype_diff(session: &mut Session, name: &ObjectName, subtype: u32) -> PgResult<u32> {
    let (schema, fname) = split_name(name)?;
    let sub = oid::format_type(subtype, -1);
    let signature = format!("{fname}({sub}, {sub})");
    let must_return = || {
        PgError::new(
            SqlState::InvalidObjectDefinition,
            format!("range subtype diff function {signature} must return type double precision"),
        )
    };
    let namespace = match &schema {
        Some(s) => Some(relcache::namespace_oid(session, s)?.ok_or_else(|| {
            PgError::new(
                SqlState::InvalidSchemaName,
                format!("schema \"{s}\" does not exist"),
            )
        })?),
        None => None,
    };
    let path = relcache::search_path(session)?;
    let user = crate::relcache::with_reader(session, |r| r.functions(namespace, &fname))?;
    let found = user
        .iter()
        .filter(|(_, p)| p.arg_types == [subtype, subtype])
        .filter(|(_, p)| namespace.is_some() || path.contains(&p.namespace))
        .min_by_key(|(_, p)| path.iter().position(|&n| n == p.namespace));
    if let Some((_, p)) = found {
        if p.ret_type != oid::FLOAT8 {
            return Err(must_return());
        }
        if p.volatility != 'i' {
            return Err(PgError::new(
                SqlState::InvalidObjectDefinition,
                format!("range subtype diff function {signature} must be immutable"),
            ));
        }
        return Ok(p.oid);
    }
    if schema.as_deref().is_none_or(|s| s == "pg_catalog")
        && let Some(f) = planner::analyze::func::catalog()
            .iter()
            .find(|f| f.name == fname && f.args == [subtype, subtype] && !f.variadic_any)
    {
        if f.ret != oid::FLOAT8 {
            return Err(must_return());
        }
        return Ok(0);
    }
    Err(PgError::new(
        SqlState::UndefinedFunction,
        format!("function {signature} does not exist"),
    ))
}

/// CREATE TYPE name AS RANGE (SUBTYPE = t, ...).
pub(crate) fn create_range_type(
    session: &mut Session,
    name: &ObjectName,
    options: &[UserDefinedTypeRangeOption],
) -> PgResult<Outcome> {
    crate::xact::check_writable(session, "CREATE TYPE")?;
    let mut subtype = None;
    let mut opclass = None;
    let mut collation = None;
    let mut canonical = None;
    let mut subdiff = None;
    let mut multirange_name = None;
    for o in options {
        let slot_taken = match o {
            UserDefinedTypeRangeOption::Subtype(t) => subtype.replace(t).is_some(),
            UserDefinedTypeRangeOption::SubtypeOpClass(n) => opclass.replace(n).is_some(),
            UserDefinedTypeRangeOption::Collation(n) => collation.replace(n).is_some(),
            UserDefinedTypeRangeOption::Canonical(n) => canonical.replace(n).is_some(),
            UserDefinedTypeRangeOption::SubtypeDiff(n) => subdiff.replace(n).is_some(),
            UserDefinedTypeRangeOption::MultirangeTypeName(n) => {
                multirange_name.replace(n).is_some()
            }
        };
        if slot_taken {
            return Err(redundant());
        }
    }
    let (schema, n) = split_name(name)?;
    let namespace = relcache::creation_namespace(session, schema.as_deref())?;
    if type_name_taken(session, namespace, name, &n)? {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("type \"{n}\" already exists"),
        ));
    }
    let Some(subtype_name) = subtype else {
        return Err(PgError::new(
            SqlState::SyntaxError,
            "type attribute \"subtype\" is required",
        ));
    };
    let (subtype, _) = resolve_type(session, subtype_name)?;
    if is_pseudo(subtype) {
        return Err(PgError::new(
            SqlState::DatatypeMismatch,
            format!("range subtype cannot be {}", oid::format_type(subtype, -1)),
        ));
    }
    crate::acl::require_type_usage(session, subtype)?;
    let subtype_collation = catalog::system::type_collation(types::typcache::base_type(subtype));
    let collation = match collation {
        Some(_) if subtype_collation == 0 => {
            return Err(PgError::new(
                SqlState::WrongObjectType,
                "range collation specified but subtype does not support collation",
            ));
        }
        Some(c) => {
            let (cschema, cname) = split_name(c)?;
            catalog::system::collation_by_name(cschema.as_deref(), &cname).ok_or_else(|| {
                PgError::new(
                    SqlState::UndefinedObject,
                    format!("collation \"{cname}\" for encoding \"UTF8\" does not exist"),
                )
            })?
        }
        None => subtype_collation,
    };
    if let Some(c) = opclass {
        let (_, cname) = split_name(c)?;
        let known = cname.ends_with("_ops");
        if !known {
            return Err(PgError::new(
                SqlState::UndefinedObject,
                format!("operator class \"{cname}\" does not exist for access method \"btree\""),
            ));
        }
        if !opclass_accepts(&cname, subtype) {
            return Err(PgError::new(
                SqlState::DatatypeMismatch,
                format!(
                    "operator class \"{cname}\" does not accept data type {}",
                    oid::format_type(subtype, -1)
                ),
            ));
        }
    }
    if canonical.is_some() {
        return Err(PgError::new(
            SqlState::InvalidObjectDefinition,
            "cannot specify a canonical function without a pre-created shell type",
        )
        .with_hint(
            "Create the type as a shell type, then create its canonicalization function, then do a full CREATE TYPE.",
        ));
    }
    let subdiff = match subdiff {
        Some(f) => find_subtype_diff(session, f, subtype)?,
        None => 0,
    };
    // The multirange type's name and schema.
    let (mr_namespace, mr_name) = match multirange_name {
        Some(m) => {
            // A type keyword (`int`) names the built-in type it stands for.
            if let [one] = m.0.as_slice()
                && one.as_ident().is_some_and(|i| i.quote_style.is_none())
                && let Some(kw) = one
                    .as_ident()
                    .and_then(|i| keyword_type(&i.value.to_lowercase()))
            {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!("type \"{kw}\" already exists"),
                ));
            }
            let (mschema, mname) = split_name(m)?;
            let mnsp = relcache::creation_namespace(session, mschema.as_deref())?;
            if type_name_taken(session, mnsp, m, &mname)? {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!("type \"{mname}\" already exists"),
                ));
            }
            (mnsp, mname)
        }
        None => {
            let mname = default_multirange_name(&n);
            let qualified = ObjectName::from(vec![sqlparser::ast::Ident::new(mname.clone())]);
            if type_name_taken(session, namespace, &qualified, &mname)? {
                return Err(PgError::new(
                    SqlState::DuplicateObject,
                    format!("type \"{mname}\" already exists"),
                )
                .with_detail(format!(
                    "Failed while creating a multirange type for type \"{n}\"."
                ))
                .with_hint(
                    "You can manually specify a multirange type name using the \"multirange_type_name\" attribute.",
                ));
            }
            (namespace, mname)
        }
    };
    if mr_namespace == namespace && mr_name == n {
        return Err(PgError::new(
            SqlState::DuplicateObject,
            format!("type \"{mr_name}\" already exists"),
        ));
    }
    let align = match storage::heap::tuple::type_storage(subtype) {
        Some((_, _, storage::heap::tuple::Align::Double)) => 'd',
        _ => 'i',
    };
    let oids = RangeTypeOids {
        range: session.storage.transam.new_oid()?,
        range_array: session.storage.transam.new_oid()?,
        multirange: session.storage.transam.new_oid()?,
        multirange_array: session.storage.transam.new_oid()?,
    };
    let type_rows = catalog::system::range_type_rows(
        &oids,
        &n,
        &mr_name,
        namespace,
        mr_namespace,
        session.user_oid,
        align,
    );
    let range_row = RangeRow {
        range: oids.range,
        subtype,
        multirange: oids.multirange,
        collation,
        canonical: 0,
        subdiff,
    };
    let db = session.database_oid;
    crate::xact::with_write(session, |env, w| {
        let cw = CatalogWriter { env, db_oid: db };
        cw.create_enum_type(w, &type_rows)?;
        cw.insert_row(range_def()?, &range_row.to_datums(), w)
            .map(|_| ())
    })?;
    changed(session)?;
    crate::acl::default_privileges::apply_to_type(session, oids.range)?;
    crate::acl::default_privileges::apply_to_type(session, oids.multirange)?;
    Ok(Outcome::Command("CREATE TYPE".into()))
}

/// The `pg_range` catalog's definition.
pub(crate) fn range_def() -> PgResult<&'static catalog::system::CatalogDef> {
    catalog::system::CATALOGS
        .iter()
        .find(|d| d.oid == catalog::empty::PG_RANGE)
        .ok_or_else(|| PgError::internal("pg_range is not a catalog"))
}

/// Every `pg_range` row with its tid.
pub(crate) fn range_rows(session: &Session) -> PgResult<Vec<(ItemPointer, RangeRow)>> {
    let def = range_def()?;
    let mut out = Vec::new();
    crate::relcache::with_reader(session, |r| {
        r.scan(def, |tid, row| {
            if let Some(rr) = RangeRow::from_datums(&row) {
                out.push((tid, rr));
            }
            Ok(true)
        })
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multirange_names_follow_postgresql() {
        assert_eq!(default_multirange_name("textrange"), "textmultirange");
        assert_eq!(default_multirange_name("my_range"), "my_multirange");
        assert_eq!(default_multirange_name("fr"), "fr_multirange");
        assert_eq!(default_multirange_name("rangerange"), "multirangerange");
    }
}
