//! The enum support functions (PostgreSQL's `utils/adt/enum.c`):
//! `enum_first`, `enum_last`, `enum_range`. Their argument only carries
//! the enum type (a NULL of it will do), so they are not strict; the type
//! is the call's result type (its element type for `enum_range`), and the
//! labels come from [`types::typcache`]. Comparison operators are the
//! generic ones (`compare` orders labels by their sort order).

use types::typcache::{self, EnumLabel};
use types::{Datum, PgError, PgResult, SqlState, oid};

fn labels(enum_type: u32) -> PgResult<Vec<EnumLabel>> {
    let t = typcache::get(enum_type)
        .ok_or_else(|| PgError::feature_not_supported("could not determine actual enum type"))?;
    Ok(t.enum_labels().to_vec())
}

fn no_values(enum_type: u32) -> PgError {
    PgError::new(
        SqlState::ObjectNotInPrerequisiteState,
        format!("enum {} contains no values", oid::type_name(enum_type)),
    )
}

pub fn call(func: &str, args: &[Datum], ret: u32) -> PgResult<Option<Datum>> {
    Ok(Some(match func {
        "enum_first" | "enum_last" => {
            let l = labels(ret)?;
            let pick = if func == "enum_first" {
                l.first()
            } else {
                l.last()
            };
            let label = pick.ok_or_else(|| no_values(ret))?.oid;
            typcache::check_label_safe(label)?;
            Datum::Enum(label)
        }
        "enum_range" => {
            let elem = oid::element_of(ret)
                .ok_or_else(|| PgError::internal("enum_range without an array result"))?;
            let l = labels(elem)?;
            let position = |d: Option<&Datum>| match d {
                Some(Datum::Enum(v)) => l.iter().position(|x| x.oid == *v),
                _ => None,
            };
            let (from, to) = if args.len() == 2 {
                (
                    position(args.first()).unwrap_or(0),
                    position(args.get(1)).map_or(l.len(), |p| p + 1),
                )
            } else {
                (0, l.len())
            };
            let elems = l
                .get(from..to.max(from))
                .unwrap_or_default()
                .iter()
                .map(|x| typcache::check_label_safe(x.oid).map(|()| Datum::Enum(x.oid)))
                .collect::<PgResult<_>>()?;
            Datum::Array(Box::new(types::datum::ArrayValue::new(elem, elems)))
        }
        _ => return Ok(None),
    }))
}
