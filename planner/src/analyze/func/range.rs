//! The range types' functions and operators (PostgreSQL declares them once
//! over `anyrange` / `anyelement`; without polymorphic resolution they are
//! declared here for each built-in range type and its subtype).

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use types::oid::{BOOL, INT4, MULTIRANGES, RANGES, TEXT};

use super::{FuncDef, def, srf};

/// The operators of two ranges returning boolean, with the pg_proc name of
/// the function behind each (also callable by that name).
const RANGE_PREDICATES: &[(&str, &str)] = &[
    ("@>", "range_contains"),
    ("<@", "range_contained_by"),
    ("&&", "range_overlaps"),
    ("<<", "range_before"),
    (">>", "range_after"),
    ("&<", "range_overleft"),
    ("&>", "range_overright"),
    ("-|-", "range_adjacent"),
];

/// The operators of two ranges returning a range.
const RANGE_SET_OPERATORS: &[(&str, &str)] = &[
    ("+", "range_union"),
    ("*", "range_intersect"),
    ("-", "range_minus"),
];

pub(super) fn range_functions(v: &mut Vec<FuncDef>) {
    ranges(v);
    multiranges(v);
}

fn ranges(v: &mut Vec<FuncDef>) {
    for &(r, elem, name, _) in RANGES {
        range_defs(v, r, elem, name);
    }
}

/// The functions and operators of range type `r` over subtype `elem`,
/// whose constructor is `name`.
fn range_defs(v: &mut Vec<FuncDef>, r: u32, elem: u32, name: &'static str) {
    {
        for (op, imp) in [
            ("=", "eq"),
            ("<>", "ne"),
            ("<", "lt"),
            ("<=", "le"),
            (">", "gt"),
            (">=", "ge"),
        ] {
            v.push(def(op, &[r, r], BOOL, imp));
        }
        for (f, imp) in [
            ("range_eq", "eq"),
            ("range_ne", "ne"),
            ("range_lt", "lt"),
            ("range_le", "le"),
            ("range_gt", "gt"),
            ("range_ge", "ge"),
        ] {
            v.push(def(f, &[r, r], BOOL, imp));
        }
        v.push(def("range_cmp", &[r, r], INT4, "range_cmp"));
        for &(op, imp) in RANGE_PREDICATES {
            v.push(def(op, &[r, r], BOOL, imp));
            v.push(def(imp, &[r, r], BOOL, imp));
        }
        v.push(def("@>", &[r, elem], BOOL, "range_contains_elem"));
        v.push(def("<@", &[elem, r], BOOL, "elem_contained_by_range"));
        v.push(def(
            "range_contains_elem",
            &[r, elem],
            BOOL,
            "range_contains_elem",
        ));
        v.push(def(
            "elem_contained_by_range",
            &[elem, r],
            BOOL,
            "elem_contained_by_range",
        ));
        for &(op, imp) in RANGE_SET_OPERATORS {
            v.push(def(op, &[r, r], r, imp));
            v.push(def(imp, &[r, r], r, imp));
        }
        v.push(def("range_merge", &[r, r], r, "range_merge"));
        v.push(def("lower", &[r], elem, "range_lower"));
        v.push(def("upper", &[r], elem, "range_upper"));
        for f in [
            "isempty",
            "lower_inc",
            "upper_inc",
            "lower_inf",
            "upper_inf",
        ] {
            v.push(def(f, &[r], BOOL, f));
        }
        // The constructors take NULL for an infinite bound.
        v.push(FuncDef {
            strict: false,
            ..def(name, &[elem, elem], r, "range_constructor")
        });
        v.push(FuncDef {
            strict: false,
            ..def(name, &[elem, elem, TEXT], r, "range_constructor")
        });
    }
}

/// The operators between ranges and multiranges (and their pg_proc
/// names, by the kinds of the operands: `range_`, `multirange_`).
const MULTIRANGE_PREDICATES: &[(&str, &str, &str)] = &[
    ("&&", "overlaps", "mr_overlaps"),
    ("<<", "before", "mr_before"),
    (">>", "after", "mr_after"),
    ("&<", "overleft", "mr_overleft"),
    ("&>", "overright", "mr_overright"),
    ("-|-", "adjacent", "mr_adjacent"),
    ("@>", "contains", "mr_contains"),
    ("<@", "contained_by", "mr_contained_by"),
];

/// Leaks a pg_proc name built once (the table is built once).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The multirange types' functions and operators. The members of the
/// columns are one-column set-returning `unnest`.
fn multiranges(v: &mut Vec<FuncDef>) {
    for &(m, r, name) in MULTIRANGES {
        let elem = RANGES.iter().find(|x| x.0 == r).map_or(0, |x| x.1);
        multirange_defs(v, m, r, elem, name);
    }
}

/// The functions and operators of multirange type `m` of range type `r`
/// over subtype `elem`, whose constructor is `name`.
fn multirange_defs(v: &mut Vec<FuncDef>, m: u32, r: u32, elem: u32, name: &'static str) {
    {
        for (op, imp) in [
            ("=", "eq"),
            ("<>", "ne"),
            ("<", "lt"),
            ("<=", "le"),
            (">", "gt"),
            (">=", "ge"),
        ] {
            v.push(def(op, &[m, m], BOOL, imp));
            v.push(def(leak(format!("multirange_{imp}")), &[m, m], BOOL, imp));
        }
        v.push(def("multirange_cmp", &[m, m], INT4, "multirange_cmp"));
        for &(op, what, imp) in MULTIRANGE_PREDICATES {
            for (a, b, proc) in [
                (r, m, format!("range_{what}_multirange")),
                (m, r, format!("multirange_{what}_range")),
                (m, m, format!("multirange_{what}_multirange")),
            ] {
                v.push(def(op, &[a, b], BOOL, imp));
                v.push(def(leak(proc), &[a, b], BOOL, imp));
            }
        }
        v.push(def("@>", &[m, elem], BOOL, "mr_contains_elem"));
        v.push(def("<@", &[elem, m], BOOL, "elem_contained_by_mr"));
        v.push(def(
            "multirange_contains_elem",
            &[m, elem],
            BOOL,
            "mr_contains_elem",
        ));
        v.push(def(
            "elem_contained_by_multirange",
            &[elem, m],
            BOOL,
            "elem_contained_by_mr",
        ));
        for (op, imp) in [
            ("+", "multirange_union"),
            ("-", "multirange_minus"),
            ("*", "multirange_intersect"),
        ] {
            v.push(def(op, &[m, m], m, imp));
            v.push(def(imp, &[m, m], m, imp));
        }
        v.push(def("range_merge", &[m], r, "multirange_merge"));
        v.push(def("lower", &[m], elem, "multirange_lower"));
        v.push(def("upper", &[m], elem, "multirange_upper"));
        for f in [
            "isempty",
            "lower_inc",
            "upper_inc",
            "lower_inf",
            "upper_inf",
        ] {
            v.push(def(f, &[m], BOOL, leak(format!("multirange_{f}"))));
        }
        v.push(def("multirange", &[r], m, "multirange_of_range"));
        // The constructor is variadic in PostgreSQL; here up to 16 members.
        v.push(def(name, &[], m, "multirange_constructor"));
        for n in 1..=16 {
            v.push(FuncDef {
                strict: false,
                ..def(name, &vec![r; n], m, "multirange_constructor")
            });
        }
        v.push(srf("unnest", &[m], leak_columns(r), "multirange_unnest"));
    }
}

/// The functions and operators of the user range types of the type
/// cache (CREATE TYPE ... AS RANGE), as [`range_functions`] lists them for
/// the built-in ones. Built once per range type (and name) and kept for
/// the life of the process, as the built-in table is.
pub(super) fn user_range_functions() -> Vec<&'static FuncDef> {
    type Key = (u32, u32, u32, &'static str, &'static str);
    static TABLES: OnceLock<RwLock<HashMap<Key, &'static [FuncDef]>>> = OnceLock::new();
    let tables = TABLES.get_or_init(Default::default);
    let mut out = Vec::new();
    for t in types::typcache::range_types() {
        let Some(info) = t.range() else {
            continue;
        };
        let name = types::typcache::intern(&t.name);
        let mr_name = types::oid::type_name(info.multirange);
        let key = (t.oid, info.subtype, info.multirange, name, mr_name);
        let known = match tables.read() {
            Ok(g) => g.get(&key).copied(),
            Err(p) => p.into_inner().get(&key).copied(),
        };
        let defs = match known {
            Some(d) => d,
            None => {
                let mut v = Vec::new();
                range_defs(&mut v, t.oid, info.subtype, name);
                multirange_defs(&mut v, info.multirange, t.oid, info.subtype, mr_name);
                let d: &'static [FuncDef] = Box::leak(v.into_boxed_slice());
                match tables.write() {
                    Ok(mut g) => g.insert(key, d),
                    Err(p) => p.into_inner().insert(key, d),
                };
                d
            }
        };
        out.extend(defs.iter());
    }
    out
}

/// The one unnamed column of `unnest(multirange)`.
fn leak_columns(r: u32) -> &'static [(&'static str, u32)] {
    Box::leak(vec![("", r)].into_boxed_slice())
}

/// Whether argument `i` of `f` is PostgreSQL's `anyelement` beside an
/// `anyrange`: it takes the range's subtype exactly, never through an
/// implicit cast (`numrange(1,5) @> 2` is 42883 there).
pub(super) fn polymorphic_arg(f: &FuncDef, i: usize) -> bool {
    matches!(
        (f.imp, i),
        ("range_contains_elem" | "mr_contains_elem", 1)
            | ("elem_contained_by_range" | "elem_contained_by_mr", 0)
    )
}
