//! The range types' functions and operators (PostgreSQL declares them once
//! over `anyrange` / `anyelement`; without polymorphic resolution they are
//! declared here for each built-in range type and its subtype).

use types::oid::{BOOL, INT4, RANGES, TEXT};

use super::{FuncDef, def};

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
    for &(r, elem, name, _) in RANGES {
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

/// Whether argument `i` of `f` is PostgreSQL's `anyelement` beside an
/// `anyrange`: it takes the range's subtype exactly, never through an
/// implicit cast (`numrange(1,5) @> 2` is 42883 there).
pub(super) fn polymorphic_arg(f: &FuncDef, i: usize) -> bool {
    matches!(
        (f.imp, i),
        ("range_contains_elem", 1) | ("elem_contained_by_range", 0)
    )
}
