//! The built-in functions and operators, and overload resolution
//! (PostgreSQL's `func_select_candidate` / `oper_select_candidate`, simplified to the
//! built-in types: exact match, then implicit coercibility, then most exact
//! matches, preferred types, and the category of unknown-typed arguments).

use std::sync::OnceLock;

use types::oid::*;

use super::coerce::{can_coerce_implicit, category, is_preferred};

mod range;

/// One built-in function or operator signature.
#[derive(Debug, Clone)]
pub struct FuncDef {
    /// SQL name (`length`) or operator symbol (`+`); unary operators have one argument.
    pub name: &'static str,
    pub args: Vec<u32>,
    pub ret: u32,
    /// The implementation the executor dispatches on.
    pub imp: &'static str,
    /// `VARIADIC "any"`: any number of further arguments of any type.
    pub variadic_any: bool,
    /// Returns NULL on any NULL argument without being called.
    pub strict: bool,
    /// A set-returning function: the names and types of its columns (a
    /// single column is named after the function, its name here empty).
    /// `ret` is the first column's type.
    pub returns_set: Option<&'static [(&'static str, u32)]>,
}

fn def(name: &'static str, args: &[u32], ret: u32, imp: &'static str) -> FuncDef {
    FuncDef {
        name,
        args: args.to_vec(),
        ret,
        imp,
        variadic_any: false,
        strict: true,
        returns_set: None,
    }
}

/// The columns of a set-returning function (see [`FuncDef::returns_set`]).
type Columns = &'static [(&'static str, u32)];

/// A set-returning function of `columns` (see [`FuncDef::returns_set`]).
fn srf(
    name: &'static str,
    args: &[u32],
    columns: &'static [(&'static str, u32)],
    imp: &'static str,
) -> FuncDef {
    FuncDef {
        returns_set: Some(columns),
        ..def(name, args, columns[0].1, imp)
    }
}

const NUMS: [u32; 6] = [INT2, INT4, INT8, FLOAT4, FLOAT8, NUMERIC];
const INTS: [u32; 3] = [INT2, INT4, INT8];
const COMPARABLE: [u32; 31] = [
    BOOL,
    INT2,
    INT4,
    INT8,
    FLOAT4,
    FLOAT8,
    NUMERIC,
    TEXT,
    BPCHAR,
    NAME,
    BYTEA,
    DATE,
    TIME,
    TIMETZ,
    TIMESTAMP,
    TIMESTAMPTZ,
    INTERVAL,
    UUID,
    PG_LSN,
    TID,
    XID8,
    OID,
    JSONB,
    INET,
    MONEY,
    MACADDR,
    MACADDR8,
    TSVECTOR,
    TSQUERY,
    BIT,
    VARBIT,
];

/// `xid8`, `pg_snapshot` and the older `txid_*` functions over `bigint`
/// and `txid_snapshot` (PostgreSQL's `xid8funcs.c`).
fn transaction_id_functions(v: &mut Vec<FuncDef>) {
    v.push(def("xid8cmp", &[XID8, XID8], INT4, "xid8cmp"));
    v.push(def("xid", &[XID8], XID, "xid"));
    v.push(def("pg_current_xact_id", &[], XID8, "pg_current_xact_id"));
    v.push(def(
        "pg_current_xact_id_if_assigned",
        &[],
        XID8,
        "pg_current_xact_id_if_assigned",
    ));
    v.push(def("pg_xact_status", &[XID8], TEXT, "pg_xact_status"));
    v.push(def("txid_status", &[INT8], TEXT, "pg_xact_status"));
    v.push(def(
        "pg_current_snapshot",
        &[],
        PG_SNAPSHOT,
        "pg_current_snapshot",
    ));
    v.push(def(
        "txid_current_snapshot",
        &[],
        TXID_SNAPSHOT,
        "pg_current_snapshot",
    ));
    for (prefix, snapshot, xid) in [("pg", PG_SNAPSHOT, XID8), ("txid", TXID_SNAPSHOT, INT8)] {
        // The table is built once (see `catalog`): these names leak once.
        let name =
            |f: &str| -> &'static str { Box::leak(format!("{prefix}_{f}").into_boxed_str()) };
        v.push(def(
            name("snapshot_xmin"),
            &[snapshot],
            xid,
            "snapshot_xmin",
        ));
        v.push(def(
            name("snapshot_xmax"),
            &[snapshot],
            xid,
            "snapshot_xmax",
        ));
        let column: Columns = if xid == XID8 {
            &[("", XID8)]
        } else {
            &[("", INT8)]
        };
        v.push(srf(
            name("snapshot_xip"),
            &[snapshot],
            column,
            "snapshot_xip",
        ));
        v.push(def(
            name("visible_in_snapshot"),
            &[xid, snapshot],
            BOOL,
            "visible_in_snapshot",
        ));
    }
}

/// The functions behind the arithmetic operators and the built-in
/// aggregates, by their PostgreSQL names (`int4pl`, `float8mi`,
/// `int8inc`, ...): user aggregates name them as support functions.
fn support_functions(v: &mut Vec<FuncDef>) {
    const NAMED: [(u32, [&str; 8]); 6] = [
        (
            INT2,
            [
                "int2pl",
                "int2mi",
                "int2mul",
                "int2div",
                "int2um",
                "int2abs",
                "int2larger",
                "int2smaller",
            ],
        ),
        (
            INT4,
            [
                "int4pl",
                "int4mi",
                "int4mul",
                "int4div",
                "int4um",
                "int4abs",
                "int4larger",
                "int4smaller",
            ],
        ),
        (
            INT8,
            [
                "int8pl",
                "int8mi",
                "int8mul",
                "int8div",
                "int8um",
                "int8abs",
                "int8larger",
                "int8smaller",
            ],
        ),
        (
            FLOAT4,
            [
                "float4pl",
                "float4mi",
                "float4mul",
                "float4div",
                "float4um",
                "float4abs",
                "float4larger",
                "float4smaller",
            ],
        ),
        (
            FLOAT8,
            [
                "float8pl",
                "float8mi",
                "float8mul",
                "float8div",
                "float8um",
                "float8abs",
                "float8larger",
                "float8smaller",
            ],
        ),
        (
            NUMERIC,
            [
                "numeric_add",
                "numeric_sub",
                "numeric_mul",
                "numeric_div",
                "numeric_uminus",
                "numeric_abs",
                "numeric_larger",
                "numeric_smaller",
            ],
        ),
    ];
    for (t, names) in NAMED {
        for (name, imp) in names.iter().zip([
            "add", "sub", "mul", "div", "neg", "abs", "larger", "smaller",
        ]) {
            let args: &[u32] = if matches!(imp, "neg" | "abs") {
                &[t]
            } else {
                &[t, t]
            };
            v.push(def(name, args, t, imp));
        }
    }
    // avg(int2 / int4)'s transition state {count, sum} and final function.
    v.push(def(
        "int2_avg_accum",
        &[INT8_ARRAY, INT2],
        INT8_ARRAY,
        "int_avg_accum",
    ));
    v.push(def(
        "int4_avg_accum",
        &[INT8_ARRAY, INT4],
        INT8_ARRAY,
        "int_avg_accum",
    ));
    v.push(def("int8_avg", &[INT8_ARRAY], NUMERIC, "int8_avg"));
    v.push(def("int4inc", &[INT4], INT4, "inc"));
    v.push(def("int8inc", &[INT8], INT8, "inc"));
    // int8inc_any(int8, "any"): counts the rows whose argument is not NULL.
    v.push(FuncDef {
        variadic_any: true,
        ..def("int8inc_any", &[INT8], INT8, "inc")
    });
}

/// The network address types `inet` and `cidr` (PostgreSQL's `network.c`):
/// a `cidr` argument reaches the `inet` signatures through its implicit
/// (binary) cast, as in PostgreSQL, except where the two differ.
fn network_functions(v: &mut Vec<FuncDef>) {
    for (op, imp) in [
        ("<<", "network_sub"),
        ("<<=", "network_subeq"),
        (">>", "network_sup"),
        (">>=", "network_supeq"),
        ("&&", "network_overlap"),
        ("inet_same_family", "inet_same_family"),
    ] {
        v.push(def(op, &[INET, INET], BOOL, imp));
    }
    v.push(def("~", &[INET], INET, "inetnot"));
    v.push(def("&", &[INET, INET], INET, "inetand"));
    v.push(def("|", &[INET, INET], INET, "inetor"));
    v.push(def("+", &[INET, INT8], INET, "inetpl"));
    v.push(def("+", &[INT8, INET], INET, "int8pl_inet"));
    v.push(def("-", &[INET, INT8], INET, "inetmi_int8"));
    v.push(def("-", &[INET, INET], INT8, "inetmi"));
    v.push(def("network_cmp", &[INET, INET], INT4, "network_cmp"));
    v.push(def("network_larger", &[INET, INET], INET, "network_larger"));
    v.push(def(
        "network_smaller",
        &[INET, INET],
        INET,
        "network_smaller",
    ));
    v.push(def("abbrev", &[INET], TEXT, "inet_abbrev"));
    v.push(def("abbrev", &[CIDR], TEXT, "cidr_abbrev"));
    v.push(def("broadcast", &[INET], INET, "network_broadcast"));
    v.push(def("family", &[INET], INT4, "network_family"));
    v.push(def("host", &[INET], TEXT, "network_host"));
    v.push(def("hostmask", &[INET], INET, "network_hostmask"));
    v.push(def("masklen", &[INET], INT4, "network_masklen"));
    v.push(def("netmask", &[INET], INET, "network_netmask"));
    v.push(def("network", &[INET], CIDR, "network_network"));
    v.push(def("set_masklen", &[INET, INT4], INET, "inet_set_masklen"));
    v.push(def("set_masklen", &[CIDR, INT4], CIDR, "cidr_set_masklen"));
    v.push(def("inet_merge", &[INET, INET], CIDR, "inet_merge"));
}

/// Full text search (`tsvector_op.c`, `tsquery_op.c`, `to_tsany.c`,
/// `tsrank.c`). A `regconfig` value is the configuration's name.
fn tsearch_functions(v: &mut Vec<FuncDef>) {
    v.push(def("@@", &[TSVECTOR, TSQUERY], BOOL, "ts_match_vq"));
    v.push(def("@@", &[TSQUERY, TSVECTOR], BOOL, "ts_match_qv"));
    v.push(def("@@", &[TEXT, TSQUERY], BOOL, "ts_match_tq"));
    v.push(def("@@", &[TEXT, TEXT], BOOL, "ts_match_tt"));
    v.push(def("||", &[TSVECTOR, TSVECTOR], TSVECTOR, "ts_concat"));
    v.push(def(
        "tsvector_concat",
        &[TSVECTOR, TSVECTOR],
        TSVECTOR,
        "ts_concat",
    ));
    v.push(def("||", &[TSQUERY, TSQUERY], TSQUERY, "ts_query_or"));
    v.push(def("&&", &[TSQUERY, TSQUERY], TSQUERY, "ts_query_and"));
    v.push(def("!!", &[TSQUERY], TSQUERY, "ts_query_not"));
    v.push(def("<->", &[TSQUERY, TSQUERY], TSQUERY, "ts_query_phrase"));
    v.push(def(
        "tsquery_and",
        &[TSQUERY, TSQUERY],
        TSQUERY,
        "ts_query_and",
    ));
    v.push(def(
        "tsquery_or",
        &[TSQUERY, TSQUERY],
        TSQUERY,
        "ts_query_or",
    ));
    v.push(def("tsquery_not", &[TSQUERY], TSQUERY, "ts_query_not"));
    v.push(def(
        "tsquery_phrase",
        &[TSQUERY, TSQUERY],
        TSQUERY,
        "ts_query_phrase",
    ));
    v.push(def(
        "tsquery_phrase",
        &[TSQUERY, TSQUERY, INT4],
        TSQUERY,
        "ts_query_phrase_n",
    ));
    v.push(def("strip", &[TSVECTOR], TSVECTOR, "ts_strip"));
    v.push(def("length", &[TSVECTOR], INT4, "ts_length"));
    v.push(def(
        "setweight",
        &[TSVECTOR, CHAR],
        TSVECTOR,
        "ts_setweight",
    ));
    v.push(def(
        "setweight",
        &[TSVECTOR, CHAR, TEXT_ARRAY],
        TSVECTOR,
        "ts_setweight_by_filter",
    ));
    v.push(def("ts_delete", &[TSVECTOR, TEXT], TSVECTOR, "ts_delete"));
    v.push(def(
        "ts_delete",
        &[TSVECTOR, TEXT_ARRAY],
        TSVECTOR,
        "ts_delete_array",
    ));
    v.push(def(
        "tsvector_to_array",
        &[TSVECTOR],
        TEXT_ARRAY,
        "ts_to_array",
    ));
    v.push(def(
        "array_to_tsvector",
        &[TEXT_ARRAY],
        TSVECTOR,
        "ts_from_array",
    ));
    v.push(def(
        "ts_filter",
        &[TSVECTOR, CHAR_ARRAY],
        TSVECTOR,
        "ts_filter",
    ));
    v.push(def("numnode", &[TSQUERY], INT4, "ts_numnode"));
    v.push(def("querytree", &[TSQUERY], TEXT, "ts_querytree"));
    v.push(def("to_tsvector", &[TEXT], TSVECTOR, "ts_to_tsvector"));
    v.push(def(
        "to_tsvector",
        &[REGCONFIG, TEXT],
        TSVECTOR,
        "ts_to_tsvector_cfg",
    ));
    for (name, one, two) in [
        ("to_tsquery", "ts_to_tsquery", "ts_to_tsquery_cfg"),
        (
            "plainto_tsquery",
            "ts_plainto_tsquery",
            "ts_plainto_tsquery_cfg",
        ),
        (
            "phraseto_tsquery",
            "ts_phraseto_tsquery",
            "ts_phraseto_tsquery_cfg",
        ),
        (
            "websearch_to_tsquery",
            "ts_websearch_to_tsquery",
            "ts_websearch_to_tsquery_cfg",
        ),
    ] {
        v.push(def(name, &[TEXT], TSQUERY, one));
        v.push(def(name, &[REGCONFIG, TEXT], TSQUERY, two));
    }
    v.push(def(
        "get_current_ts_config",
        &[],
        REGCONFIG,
        "ts_get_current_config",
    ));
    v.push(def("ts_lexize", &[TEXT, TEXT], TEXT_ARRAY, "ts_lexize"));
    v.push(def("ts_headline", &[TEXT, TSQUERY], TEXT, "ts_headline"));
    v.push(def(
        "ts_headline",
        &[TEXT, TSQUERY, TEXT],
        TEXT,
        "ts_headline",
    ));
    v.push(def(
        "ts_headline",
        &[REGCONFIG, TEXT, TSQUERY],
        TEXT,
        "ts_headline_cfg",
    ));
    v.push(def(
        "ts_headline",
        &[REGCONFIG, TEXT, TSQUERY, TEXT],
        TEXT,
        "ts_headline_cfg",
    ));
    v.push(srf(
        "unnest",
        &[TSVECTOR],
        &[
            ("lexeme", TEXT),
            ("positions", INT2_ARRAY),
            ("weights", TEXT_ARRAY),
        ],
        "tsvector_unnest",
    ));
    v.push(def("@>", &[TSQUERY, TSQUERY], BOOL, "ts_query_contains"));
    v.push(def("<@", &[TSQUERY, TSQUERY], BOOL, "ts_query_contained"));
    v.push(def(
        "tsq_mcontains",
        &[TSQUERY, TSQUERY],
        BOOL,
        "ts_query_contains",
    ));
    v.push(def(
        "tsq_mcontained",
        &[TSQUERY, TSQUERY],
        BOOL,
        "ts_query_contained",
    ));
    for name in ["ts_rank", "ts_rank_cd"] {
        let imp = if name == "ts_rank" {
            "ts_rank"
        } else {
            "ts_rank_cd"
        };
        v.push(def(name, &[TSVECTOR, TSQUERY], FLOAT4, imp));
        v.push(def(name, &[TSVECTOR, TSQUERY, INT4], FLOAT4, imp));
        v.push(def(name, &[FLOAT4_ARRAY, TSVECTOR, TSQUERY], FLOAT4, imp));
        v.push(def(
            name,
            &[FLOAT4_ARRAY, TSVECTOR, TSQUERY, INT4],
            FLOAT4,
            imp,
        ));
    }
}

/// The geometric types (PostgreSQL's `geo_ops.c`): every operator of
/// PostgreSQL 15's `pg_operator` over them and the named functions and
/// constructors of `pg_proc`. The implementation names are PostgreSQL's;
/// of the operators' functions only `circle_center` and `poly_center` are
/// callable by name (a name here would deparse the operator as a call).
fn geo_functions(v: &mut Vec<FuncDef>) {
    v.push(def(">^", &[BOX, BOX], BOOL, "box_above_eq"));
    v.push(def("<^", &[BOX, BOX], BOOL, "box_below_eq"));
    v.push(def("&&", &[BOX, BOX], BOOL, "box_overlap"));
    v.push(def("?#", &[BOX, BOX], BOOL, "box_overlap"));
    v.push(def(">=", &[BOX, BOX], BOOL, "box_ge"));
    v.push(def(">", &[BOX, BOX], BOOL, "box_gt"));
    v.push(def("=", &[BOX, BOX], BOOL, "box_eq"));
    v.push(def("<", &[BOX, BOX], BOOL, "box_lt"));
    v.push(def("<=", &[BOX, BOX], BOOL, "box_le"));
    v.push(def("|>>", &[POINT, POINT], BOOL, "point_above"));
    v.push(def(">^", &[POINT, POINT], BOOL, "point_above"));
    v.push(def("<<", &[POINT, POINT], BOOL, "point_left"));
    v.push(def(">>", &[POINT, POINT], BOOL, "point_right"));
    v.push(def("<<|", &[POINT, POINT], BOOL, "point_below"));
    v.push(def("<^", &[POINT, POINT], BOOL, "point_below"));
    v.push(def("~=", &[POINT, POINT], BOOL, "point_eq"));
    v.push(def("<@", &[POINT, BOX], BOOL, "on_pb"));
    v.push(def("<@", &[POINT, PATH], BOOL, "on_ppath"));
    v.push(def("@@", &[BOX], POINT, "box_center"));
    v.push(def("~=", &[BOX, BOX], BOOL, "box_same"));
    v.push(def("@>", &[BOX, BOX], BOOL, "box_contain"));
    v.push(def("<<", &[BOX, BOX], BOOL, "box_left"));
    v.push(def("&<", &[BOX, BOX], BOOL, "box_overleft"));
    v.push(def("&>", &[BOX, BOX], BOOL, "box_overright"));
    v.push(def(">>", &[BOX, BOX], BOOL, "box_right"));
    v.push(def("<@", &[BOX, BOX], BOOL, "box_contained"));
    v.push(def("@>", &[BOX, POINT], BOOL, "box_contain_pt"));
    v.push(def("@@", &[LSEG], POINT, "lseg_center"));
    v.push(def("@@", &[POLYGON], POINT, "poly_center"));
    v.push(def("poly_center", &[POLYGON], POINT, "poly_center"));
    v.push(def("<->", &[LINE, LINE], FLOAT8, "line_distance"));
    v.push(def("?#", &[LSEG, LINE], BOOL, "inter_sl"));
    v.push(def("?#", &[LINE, BOX], BOOL, "inter_lb"));
    v.push(def("~=", &[POLYGON, POLYGON], BOOL, "poly_same"));
    v.push(def("@>", &[POLYGON, POLYGON], BOOL, "poly_contain"));
    v.push(def("<<", &[POLYGON, POLYGON], BOOL, "poly_left"));
    v.push(def("&<", &[POLYGON, POLYGON], BOOL, "poly_overleft"));
    v.push(def("&>", &[POLYGON, POLYGON], BOOL, "poly_overright"));
    v.push(def(">>", &[POLYGON, POLYGON], BOOL, "poly_right"));
    v.push(def("<@", &[POLYGON, POLYGON], BOOL, "poly_contained"));
    v.push(def("&&", &[POLYGON, POLYGON], BOOL, "poly_overlap"));
    v.push(def("<->", &[BOX, POINT], FLOAT8, "dist_bp"));
    v.push(def("<->", &[LSEG, LSEG], FLOAT8, "lseg_distance"));
    v.push(def("#", &[LSEG, LSEG], POINT, "lseg_interpt"));
    v.push(def("<->", &[POINT, LSEG], FLOAT8, "dist_ps"));
    v.push(def("<->", &[POINT, BOX], FLOAT8, "dist_pb"));
    v.push(def("<->", &[LSEG, BOX], FLOAT8, "dist_sb"));
    v.push(def("##", &[POINT, LSEG], POINT, "close_ps"));
    v.push(def("##", &[POINT, BOX], POINT, "close_pb"));
    v.push(def("##", &[LSEG, BOX], POINT, "close_sb"));
    v.push(def("<@", &[POINT, LSEG], BOOL, "on_ps"));
    v.push(def("<->", &[PATH, PATH], FLOAT8, "path_distance"));
    v.push(def("<->", &[POINT, PATH], FLOAT8, "dist_ppath"));
    v.push(def("<@", &[LSEG, BOX], BOOL, "on_sb"));
    v.push(def("?#", &[LSEG, BOX], BOOL, "inter_sb"));
    v.push(def("<->", &[LSEG, POINT], FLOAT8, "dist_sp"));
    v.push(def("<->", &[BOX, LSEG], FLOAT8, "dist_bs"));
    v.push(def("<->", &[PATH, POINT], FLOAT8, "dist_pathp"));
    v.push(def("<->", &[LINE, POINT], FLOAT8, "dist_lp"));
    v.push(def("<->", &[LINE, LSEG], FLOAT8, "dist_ls"));
    v.push(def("<->", &[POINT, LINE], FLOAT8, "dist_pl"));
    v.push(def("<->", &[LSEG, LINE], FLOAT8, "dist_sl"));
    v.push(def("<->", &[CIRCLE, POLYGON], FLOAT8, "dist_cpoly"));
    v.push(def("<->", &[POLYGON, POLYGON], FLOAT8, "poly_distance"));
    v.push(def("<->", &[POLYGON, CIRCLE], FLOAT8, "dist_polyc"));
    v.push(def("<@", &[POINT, LINE], BOOL, "on_pl"));
    v.push(def("<@", &[LSEG, LINE], BOOL, "on_sl"));
    v.push(def("##", &[POINT, LINE], POINT, "close_pl"));
    v.push(def("?#", &[PATH, PATH], BOOL, "path_inter"));
    v.push(def("<->", &[BOX, BOX], FLOAT8, "box_distance"));
    v.push(def("#", &[BOX, BOX], BOX, "box_intersect"));
    v.push(def("<", &[PATH, PATH], BOOL, "path_n_lt"));
    v.push(def(">", &[PATH, PATH], BOOL, "path_n_gt"));
    v.push(def("=", &[PATH, PATH], BOOL, "path_n_eq"));
    v.push(def("<=", &[PATH, PATH], BOOL, "path_n_le"));
    v.push(def(">=", &[PATH, PATH], BOOL, "path_n_ge"));
    v.push(def("@-@", &[PATH], FLOAT8, "path_length"));
    v.push(def("<>", &[POINT, POINT], BOOL, "point_ne"));
    v.push(def("?|", &[POINT, POINT], BOOL, "point_vert"));
    v.push(def("?-", &[POINT, POINT], BOOL, "point_horiz"));
    v.push(def("<->", &[POINT, POINT], FLOAT8, "point_distance"));
    v.push(def("?#", &[LSEG, LSEG], BOOL, "lseg_intersect"));
    v.push(def("?||", &[LSEG, LSEG], BOOL, "lseg_parallel"));
    v.push(def("?-|", &[LSEG, LSEG], BOOL, "lseg_perp"));
    v.push(def("?|", &[LSEG], BOOL, "lseg_vertical"));
    v.push(def("?-", &[LSEG], BOOL, "lseg_horizontal"));
    v.push(def("=", &[LSEG, LSEG], BOOL, "lseg_eq"));
    v.push(def("+", &[CIRCLE, POINT], CIRCLE, "circle_add_pt"));
    v.push(def("-", &[CIRCLE, POINT], CIRCLE, "circle_sub_pt"));
    v.push(def("*", &[CIRCLE, POINT], CIRCLE, "circle_mul_pt"));
    v.push(def("/", &[CIRCLE, POINT], CIRCLE, "circle_div_pt"));
    v.push(def("+", &[BOX, POINT], BOX, "box_add"));
    v.push(def("-", &[BOX, POINT], BOX, "box_sub"));
    v.push(def("*", &[BOX, POINT], BOX, "box_mul"));
    v.push(def("/", &[BOX, POINT], BOX, "box_div"));
    v.push(def("@>", &[PATH, POINT], BOOL, "path_contain_pt"));
    v.push(def("@>", &[POLYGON, POINT], BOOL, "poly_contain_pt"));
    v.push(def("<@", &[POINT, POLYGON], BOOL, "pt_contained_poly"));
    v.push(def("#", &[PATH], INT4, "path_npoints"));
    v.push(def("+", &[PATH, PATH], PATH, "path_add"));
    v.push(def("+", &[PATH, POINT], PATH, "path_add_pt"));
    v.push(def("-", &[PATH, POINT], PATH, "path_sub_pt"));
    v.push(def("*", &[PATH, POINT], PATH, "path_mul_pt"));
    v.push(def("/", &[PATH, POINT], PATH, "path_div_pt"));
    v.push(def("+", &[POINT, POINT], POINT, "point_add"));
    v.push(def("-", &[POINT, POINT], POINT, "point_sub"));
    v.push(def("*", &[POINT, POINT], POINT, "point_mul"));
    v.push(def("/", &[POINT, POINT], POINT, "point_div"));
    v.push(def("#", &[POLYGON], INT4, "poly_npoints"));
    v.push(def("~=", &[CIRCLE, CIRCLE], BOOL, "circle_same"));
    v.push(def("@>", &[CIRCLE, CIRCLE], BOOL, "circle_contain"));
    v.push(def("<<", &[CIRCLE, CIRCLE], BOOL, "circle_left"));
    v.push(def("&<", &[CIRCLE, CIRCLE], BOOL, "circle_overleft"));
    v.push(def("&>", &[CIRCLE, CIRCLE], BOOL, "circle_overright"));
    v.push(def(">>", &[CIRCLE, CIRCLE], BOOL, "circle_right"));
    v.push(def("<@", &[CIRCLE, CIRCLE], BOOL, "circle_contained"));
    v.push(def("&&", &[CIRCLE, CIRCLE], BOOL, "circle_overlap"));
    v.push(def("<<|", &[CIRCLE, CIRCLE], BOOL, "circle_below"));
    v.push(def("|>>", &[CIRCLE, CIRCLE], BOOL, "circle_above"));
    v.push(def("=", &[CIRCLE, CIRCLE], BOOL, "circle_eq"));
    v.push(def("<>", &[CIRCLE, CIRCLE], BOOL, "circle_ne"));
    v.push(def("<", &[CIRCLE, CIRCLE], BOOL, "circle_lt"));
    v.push(def(">", &[CIRCLE, CIRCLE], BOOL, "circle_gt"));
    v.push(def("<=", &[CIRCLE, CIRCLE], BOOL, "circle_le"));
    v.push(def(">=", &[CIRCLE, CIRCLE], BOOL, "circle_ge"));
    v.push(def("<->", &[CIRCLE, CIRCLE], FLOAT8, "circle_distance"));
    v.push(def("@@", &[CIRCLE], POINT, "circle_center"));
    v.push(def("circle_center", &[CIRCLE], POINT, "circle_center"));
    v.push(def("<->", &[POINT, CIRCLE], FLOAT8, "dist_pc"));
    v.push(def("@>", &[CIRCLE, POINT], BOOL, "circle_contain_pt"));
    v.push(def("<@", &[POINT, CIRCLE], BOOL, "pt_contained_circle"));
    v.push(def("<>", &[LSEG, LSEG], BOOL, "lseg_ne"));
    v.push(def("<", &[LSEG, LSEG], BOOL, "lseg_lt"));
    v.push(def("<=", &[LSEG, LSEG], BOOL, "lseg_le"));
    v.push(def(">", &[LSEG, LSEG], BOOL, "lseg_gt"));
    v.push(def(">=", &[LSEG, LSEG], BOOL, "lseg_ge"));
    v.push(def("@-@", &[LSEG], FLOAT8, "lseg_length"));
    v.push(def("##", &[LINE, LSEG], POINT, "close_ls"));
    v.push(def("##", &[LSEG, LSEG], POINT, "close_lseg"));
    v.push(def("=", &[LINE, LINE], BOOL, "line_eq"));
    v.push(def("#", &[LINE, LINE], POINT, "line_interpt"));
    v.push(def("?#", &[LINE, LINE], BOOL, "line_intersect"));
    v.push(def("?||", &[LINE, LINE], BOOL, "line_parallel"));
    v.push(def("?-|", &[LINE, LINE], BOOL, "line_perp"));
    v.push(def("?|", &[LINE], BOOL, "line_vertical"));
    v.push(def("?-", &[LINE], BOOL, "line_horizontal"));
    v.push(def("<<|", &[BOX, BOX], BOOL, "box_below"));
    v.push(def("&<|", &[BOX, BOX], BOOL, "box_overbelow"));
    v.push(def("|&>", &[BOX, BOX], BOOL, "box_overabove"));
    v.push(def("|>>", &[BOX, BOX], BOOL, "box_above"));
    v.push(def("<<|", &[POLYGON, POLYGON], BOOL, "poly_below"));
    v.push(def("&<|", &[POLYGON, POLYGON], BOOL, "poly_overbelow"));
    v.push(def("|&>", &[POLYGON, POLYGON], BOOL, "poly_overabove"));
    v.push(def("|>>", &[POLYGON, POLYGON], BOOL, "poly_above"));
    v.push(def("&<|", &[CIRCLE, CIRCLE], BOOL, "circle_overbelow"));
    v.push(def("|&>", &[CIRCLE, CIRCLE], BOOL, "circle_overabove"));
    v.push(def("<->", &[POINT, POLYGON], FLOAT8, "dist_ppoly"));
    v.push(def("<->", &[CIRCLE, POINT], FLOAT8, "dist_cpoint"));
    v.push(def("<->", &[POLYGON, POINT], FLOAT8, "dist_polyp"));
    v.push(def("area", &[BOX], FLOAT8, "box_area"));
    v.push(def("area", &[PATH], FLOAT8, "path_area"));
    v.push(def("area", &[CIRCLE], FLOAT8, "circle_area"));
    v.push(def("bound_box", &[BOX, BOX], BOX, "boxes_bound_box"));
    v.push(def("box", &[POINT], BOX, "point_box"));
    v.push(def("box", &[POINT, POINT], BOX, "points_box"));
    v.push(def("box", &[CIRCLE], BOX, "circle_box"));
    v.push(def("box", &[POLYGON], BOX, "poly_box"));
    v.push(def("center", &[CIRCLE], POINT, "circle_center"));
    v.push(def("center", &[BOX], POINT, "box_center"));
    v.push(def("circle", &[POINT, FLOAT8], CIRCLE, "cr_circle"));
    v.push(def("circle", &[BOX], CIRCLE, "box_circle"));
    v.push(def("circle", &[POLYGON], CIRCLE, "poly_circle"));
    v.push(def("diagonal", &[BOX], LSEG, "box_diagonal"));
    v.push(def("diameter", &[CIRCLE], FLOAT8, "circle_diameter"));
    v.push(def("height", &[BOX], FLOAT8, "box_height"));
    v.push(def("isclosed", &[PATH], BOOL, "path_isclosed"));
    v.push(def("ishorizontal", &[LSEG], BOOL, "lseg_horizontal"));
    v.push(def("ishorizontal", &[POINT, POINT], BOOL, "point_horiz"));
    v.push(def("ishorizontal", &[LINE], BOOL, "line_horizontal"));
    v.push(def("isopen", &[PATH], BOOL, "path_isopen"));
    v.push(def("isparallel", &[LINE, LINE], BOOL, "line_parallel"));
    v.push(def("isparallel", &[LSEG, LSEG], BOOL, "lseg_parallel"));
    v.push(def("isperp", &[LSEG, LSEG], BOOL, "lseg_perp"));
    v.push(def("isperp", &[LINE, LINE], BOOL, "line_perp"));
    v.push(def("isvertical", &[POINT, POINT], BOOL, "point_vert"));
    v.push(def("isvertical", &[LINE], BOOL, "line_vertical"));
    v.push(def("isvertical", &[LSEG], BOOL, "lseg_vertical"));
    v.push(def("length", &[LSEG], FLOAT8, "lseg_length"));
    v.push(def("length", &[PATH], FLOAT8, "path_length"));
    v.push(def("line", &[POINT, POINT], LINE, "line_construct_pp"));
    v.push(def("lseg", &[POINT, POINT], LSEG, "lseg_construct"));
    v.push(def("lseg", &[BOX], LSEG, "box_diagonal"));
    v.push(def("npoints", &[PATH], INT4, "path_npoints"));
    v.push(def("npoints", &[POLYGON], INT4, "poly_npoints"));
    v.push(def("path", &[POLYGON], PATH, "poly_path"));
    v.push(def("pclose", &[PATH], PATH, "path_close"));
    v.push(def("point", &[LSEG], POINT, "lseg_center"));
    v.push(def("point", &[CIRCLE], POINT, "circle_center"));
    v.push(def("point", &[FLOAT8, FLOAT8], POINT, "construct_point"));
    v.push(def("point", &[BOX], POINT, "box_center"));
    v.push(def("point", &[POLYGON], POINT, "poly_center"));
    v.push(def("polygon", &[CIRCLE], POLYGON, "circle_poly12"));
    v.push(def("polygon", &[INT4, CIRCLE], POLYGON, "circle_poly"));
    v.push(def("polygon", &[PATH], POLYGON, "path_poly"));
    v.push(def("polygon", &[BOX], POLYGON, "box_poly"));
    v.push(def("popen", &[PATH], PATH, "path_open"));
    v.push(def("radius", &[CIRCLE], FLOAT8, "circle_radius"));
    v.push(def("slope", &[POINT, POINT], FLOAT8, "point_slope"));
    v.push(def("width", &[BOX], FLOAT8, "box_width"));
}

fn build() -> Vec<FuncDef> {
    let mut v = Vec::new();
    for t in NUMS {
        v.push(def("+", &[t, t], t, "add"));
        v.push(def("-", &[t, t], t, "sub"));
        v.push(def("*", &[t, t], t, "mul"));
        v.push(def("/", &[t, t], t, "div"));
        v.push(def("-", &[t], t, "neg"));
        v.push(def("+", &[t], t, "uplus"));
        v.push(def("@", &[t], t, "abs"));
        v.push(def("abs", &[t], t, "abs"));
    }
    support_functions(&mut v);
    for t in [INT2, INT4, INT8, NUMERIC] {
        v.push(def("%", &[t, t], t, "mod"));
        v.push(def("mod", &[t, t], t, "mod"));
    }
    for t in INTS {
        v.push(def("&", &[t, t], t, "bitand"));
        v.push(def("|", &[t, t], t, "bitor"));
        v.push(def("#", &[t, t], t, "bitxor"));
        v.push(def("~", &[t], t, "bitnot"));
        v.push(def("<<", &[t, INT4], t, "shl"));
        v.push(def(">>", &[t, INT4], t, "shr"));
    }
    // xid compares for equality only, also with an int4 taken as an xid
    // (`xideqint4`); cid has `=` alone.
    for (op, imp) in [("=", "eq"), ("<>", "ne")] {
        v.push(def(op, &[XID, XID], BOOL, imp));
        v.push(def(op, &[XID, INT4], BOOL, imp));
    }
    v.push(def("=", &[CID, CID], BOOL, "eq"));
    // regtype values are type names here: equal names, equal types.
    for (op, imp) in [("=", "eq"), ("<>", "ne")] {
        v.push(def(op, &[REGTYPE, REGTYPE], BOOL, imp));
    }
    for t in COMPARABLE {
        for (op, imp) in [
            ("=", "eq"),
            ("<>", "ne"),
            ("<", "lt"),
            ("<=", "le"),
            (">", "gt"),
            (">=", "ge"),
        ] {
            // character(n) compares without its trailing spaces, which a
            // value coerced from a literal or parameter does not have.
            let imp = match t {
                BPCHAR => match imp {
                    "eq" => "bpchar_eq",
                    "ne" => "bpchar_ne",
                    "lt" => "bpchar_lt",
                    "le" => "bpchar_le",
                    "gt" => "bpchar_gt",
                    _ => "bpchar_ge",
                },
                _ => imp,
            };
            v.push(def(op, &[t, t], BOOL, imp));
        }
    }
    // The functions behind the comparison operators, by their pg_proc names.
    for (t, prefix) in [
        (BOOL, "bool"),
        (INT2, "int2"),
        (INT4, "int4"),
        (INT8, "int8"),
        (FLOAT4, "float4"),
        (FLOAT8, "float8"),
    ] {
        for imp in ["eq", "ne", "lt", "le", "gt", "ge"] {
            // The table is built once (see `catalog`), so these few names
            // are leaked once.
            let name: &'static str = Box::leak(format!("{prefix}{imp}").into_boxed_str());
            v.push(def(name, &[t, t], BOOL, imp));
        }
    }
    v.push(def("texteq", &[TEXT, TEXT], BOOL, "eq"));
    v.push(def("textne", &[TEXT, TEXT], BOOL, "ne"));
    v.push(def("^", &[FLOAT8, FLOAT8], FLOAT8, "pow"));
    v.push(def("^", &[NUMERIC, NUMERIC], NUMERIC, "pow"));
    v.push(def("|/", &[FLOAT8], FLOAT8, "sqrt"));
    v.push(def("||/", &[FLOAT8], FLOAT8, "cbrt"));
    v.push(def("||", &[TEXT, TEXT], TEXT, "textcat"));
    v.push(def("||", &[BYTEA, BYTEA], BYTEA, "byteacat"));
    for (op, imp) in [
        ("~~", "like"),
        ("!~~", "notlike"),
        ("~~*", "ilike"),
        ("!~~*", "notilike"),
    ] {
        v.push(def(op, &[TEXT, TEXT], BOOL, imp));
    }
    v.push(def("^@", &[TEXT, TEXT], BOOL, "starts_with"));
    for (op, imp) in [
        ("~", "textregexeq"),
        ("~*", "texticregexeq"),
        ("!~", "textregexne"),
        ("!~*", "texticregexne"),
    ] {
        v.push(def(op, &[TEXT, TEXT], BOOL, imp));
    }
    v.push(def(
        "regexp_replace",
        &[TEXT, TEXT, TEXT],
        TEXT,
        "regexp_replace",
    ));
    v.push(def(
        "regexp_replace",
        &[TEXT, TEXT, TEXT, TEXT],
        TEXT,
        "regexp_replace",
    ));
    for args in [
        &[TEXT, TEXT, TEXT, INT4][..],
        &[TEXT, TEXT, TEXT, INT4, INT4],
        &[TEXT, TEXT, TEXT, INT4, INT4, TEXT],
    ] {
        v.push(def("regexp_replace", args, TEXT, "regexp_replace"));
    }
    let instr_args: [&[u32]; 6] = [
        &[TEXT, TEXT],
        &[TEXT, TEXT, INT4],
        &[TEXT, TEXT, INT4, INT4],
        &[TEXT, TEXT, INT4, INT4, INT4],
        &[TEXT, TEXT, INT4, INT4, INT4, TEXT],
        &[TEXT, TEXT, INT4, INT4, INT4, TEXT, INT4],
    ];
    for args in instr_args {
        v.push(def("regexp_instr", args, INT4, "regexp_instr"));
    }
    let substr_args: [&[u32]; 5] = [
        &[TEXT, TEXT],
        &[TEXT, TEXT, INT4],
        &[TEXT, TEXT, INT4, INT4],
        &[TEXT, TEXT, INT4, INT4, TEXT],
        &[TEXT, TEXT, INT4, INT4, TEXT, INT4],
    ];
    for args in substr_args {
        v.push(def("regexp_substr", args, TEXT, "regexp_substr"));
    }
    // SIMILAR TO is `~` against similar_to_escape(pattern [, escape]).
    v.push(def("similar_to_escape", &[TEXT], TEXT, "similar_to_escape"));
    v.push(def(
        "similar_to_escape",
        &[TEXT, TEXT],
        TEXT,
        "similar_to_escape",
    ));
    v.push(FuncDef {
        strict: false,
        ..def("similar_escape", &[TEXT, TEXT], TEXT, "similar_escape")
    });
    v.push(def("regexp_like", &[TEXT, TEXT], BOOL, "regexp_like"));
    for args in [&[TEXT, TEXT][..], &[TEXT, TEXT, TEXT]] {
        v.push(def("regexp_match", args, TEXT_ARRAY, "regexp_match"));
        v.push(def(
            "regexp_split_to_array",
            args,
            TEXT_ARRAY,
            "regexp_split_to_array",
        ));
        v.push(srf(
            "regexp_matches",
            args,
            &[("", TEXT_ARRAY)],
            "regexp_matches",
        ));
        v.push(srf(
            "regexp_split_to_table",
            args,
            &[("", TEXT)],
            "regexp_split_to_table",
        ));
        v.push(FuncDef {
            strict: false,
            ..srf("string_to_table", args, &[("", TEXT)], "string_to_table")
        });
    }
    v.push(def("regexp_like", &[TEXT, TEXT, TEXT], BOOL, "regexp_like"));
    v.push(def("regexp_count", &[TEXT, TEXT], INT4, "regexp_count"));
    v.push(def(
        "regexp_count",
        &[TEXT, TEXT, INT4],
        INT4,
        "regexp_count",
    ));
    v.push(def(
        "regexp_count",
        &[TEXT, TEXT, INT4, TEXT],
        INT4,
        "regexp_count",
    ));
    // date/time arithmetic
    v.push(def("+", &[DATE, INT4], DATE, "date_pli"));
    v.push(def("+", &[INT4, DATE], DATE, "int4_pl_date"));
    v.push(def("-", &[DATE, INT4], DATE, "date_mii"));
    v.push(def("-", &[DATE, DATE], INT4, "date_mi"));
    v.push(def("+", &[DATE, INTERVAL], TIMESTAMP, "date_pl_interval"));
    v.push(def("-", &[DATE, INTERVAL], TIMESTAMP, "date_mi_interval"));
    v.push(def("+", &[DATE, TIME], TIMESTAMP, "date_pl_time"));
    v.push(def("+", &[DATE, TIMETZ], TIMESTAMPTZ, "date_pl_timetz"));
    v.push(def("+", &[TIMETZ, INTERVAL], TIMETZ, "timetz_pl_interval"));
    v.push(def("+", &[INTERVAL, TIMETZ], TIMETZ, "interval_pl_timetz"));
    v.push(def("-", &[TIMETZ, INTERVAL], TIMETZ, "timetz_mi_interval"));
    v.push(def("timezone", &[TEXT, TIMETZ], TIMETZ, "timezone"));
    v.push(def("timezone", &[INTERVAL, TIMETZ], TIMETZ, "timezone"));
    v.push(def(
        "+",
        &[TIMESTAMP, INTERVAL],
        TIMESTAMP,
        "ts_pl_interval",
    ));
    v.push(def(
        "-",
        &[TIMESTAMP, INTERVAL],
        TIMESTAMP,
        "ts_mi_interval",
    ));
    v.push(def(
        "+",
        &[TIMESTAMPTZ, INTERVAL],
        TIMESTAMPTZ,
        "ts_pl_interval",
    ));
    v.push(def(
        "-",
        &[TIMESTAMPTZ, INTERVAL],
        TIMESTAMPTZ,
        "ts_mi_interval",
    ));
    v.push(def(
        "+",
        &[INTERVAL, TIMESTAMPTZ],
        TIMESTAMPTZ,
        "interval_pl_ts",
    ));
    v.push(def("-", &[TIMESTAMP, TIMESTAMP], INTERVAL, "ts_mi"));
    v.push(def("-", &[TIMESTAMPTZ, TIMESTAMPTZ], INTERVAL, "ts_mi"));
    v.push(def("+", &[INTERVAL, INTERVAL], INTERVAL, "add"));
    v.push(def("-", &[INTERVAL, INTERVAL], INTERVAL, "sub"));
    v.push(def("-", &[INTERVAL], INTERVAL, "neg"));
    v.push(def("*", &[INTERVAL, FLOAT8], INTERVAL, "interval_mul"));
    v.push(def("*", &[FLOAT8, INTERVAL], INTERVAL, "mul_interval"));
    v.push(def("/", &[INTERVAL, FLOAT8], INTERVAL, "interval_div"));
    // WAL positions
    v.push(def("-", &[PG_LSN, PG_LSN], NUMERIC, "pg_lsn_mi"));
    v.push(def("+", &[PG_LSN, NUMERIC], PG_LSN, "pg_lsn_pli"));
    v.push(def("+", &[NUMERIC, PG_LSN], PG_LSN, "numeric_pl_pg_lsn"));
    v.push(def("-", &[PG_LSN, NUMERIC], PG_LSN, "pg_lsn_mii"));
    network_functions(&mut v);
    geo_functions(&mut v);
    // money (PostgreSQL's utils/adt/cash.c)
    v.push(def("+", &[MONEY, MONEY], MONEY, "cash_pl"));
    v.push(def("-", &[MONEY, MONEY], MONEY, "cash_mi"));
    v.push(def("/", &[MONEY, MONEY], FLOAT8, "cash_div_cash"));
    for t in [FLOAT4, FLOAT8, INT2, INT4, INT8] {
        v.push(def("*", &[MONEY, t], MONEY, "cash_mul"));
        v.push(def("*", &[t, MONEY], MONEY, "mul_cash"));
        v.push(def("/", &[MONEY, t], MONEY, "cash_div"));
    }
    v.push(def("cashlarger", &[MONEY, MONEY], MONEY, "cashlarger"));
    v.push(def("cashsmaller", &[MONEY, MONEY], MONEY, "cashsmaller"));
    v.push(def("cash_words", &[MONEY], TEXT, "cash_words"));
    // macaddr, macaddr8 (utils/adt/mac.c, mac8.c)
    for t in [MACADDR, MACADDR8] {
        v.push(def("~", &[t], t, "macaddr_not"));
        v.push(def("&", &[t, t], t, "macaddr_and"));
        v.push(def("|", &[t, t], t, "macaddr_or"));
        v.push(def("trunc", &[t], t, "macaddr_trunc"));
    }
    v.push(def(
        "macaddr8_set7bit",
        &[MACADDR8],
        MACADDR8,
        "macaddr8_set7bit",
    ));
    // bit strings (utils/adt/varbit.c); bit varying takes the bit ones
    // through its binary coercion, as in PostgreSQL.
    v.push(def("&", &[BIT, BIT], BIT, "bitstr_and"));
    v.push(def("|", &[BIT, BIT], BIT, "bitstr_or"));
    v.push(def("#", &[BIT, BIT], BIT, "bitstr_xor"));
    v.push(def("~", &[BIT], BIT, "bitstr_not"));
    v.push(def("<<", &[BIT, INT4], BIT, "bitstr_shl"));
    v.push(def(">>", &[BIT, INT4], BIT, "bitstr_shr"));
    v.push(def("||", &[VARBIT, VARBIT], VARBIT, "bitcat"));
    v.push(def("length", &[BIT], INT4, "bitstr_length"));
    v.push(def("bit_length", &[BIT], INT4, "bitstr_length"));
    v.push(def("bit_length", &[TEXT], INT4, "bytes_bit_length"));
    v.push(def("bit_length", &[BYTEA], INT4, "bytes_bit_length"));
    v.push(def("octet_length", &[BIT], INT4, "bitstr_octet_length"));
    v.push(def("bit_count", &[BIT], INT8, "bitstr_count"));
    v.push(def("substring", &[BIT, INT4], BIT, "bitstr_substr"));
    v.push(def("substring", &[BIT, INT4, INT4], BIT, "bitstr_substr"));
    v.push(def("overlay", &[BIT, BIT, INT4], BIT, "bitstr_overlay"));
    v.push(def(
        "overlay",
        &[BIT, BIT, INT4, INT4],
        BIT,
        "bitstr_overlay",
    ));
    v.push(def("position", &[BIT, BIT], INT4, "bitstr_position"));
    v.push(def("get_bit", &[BIT, INT4], INT4, "bitstr_get_bit"));
    v.push(def("set_bit", &[BIT, INT4, INT4], BIT, "bitstr_set_bit"));
    v.push(def("bitcmp", &[BIT, BIT], INT4, "bitstr_cmp"));
    v.push(def("get_bit", &[BYTEA, INT8], INT4, "bytea_get_bit"));
    v.push(def("set_bit", &[BYTEA, INT8, INT4], BYTEA, "bytea_set_bit"));
    v.push(def("get_byte", &[BYTEA, INT4], INT4, "bytea_get_byte"));
    v.push(def(
        "set_byte",
        &[BYTEA, INT4, INT4],
        BYTEA,
        "bytea_set_byte",
    ));
    v.push(def("bit_count", &[BYTEA], INT8, "bytea_bit_count"));
    v.push(def("varbitcmp", &[VARBIT, VARBIT], INT4, "bitstr_cmp"));
    v.push(def("overlay", &[TEXT, TEXT, INT4], TEXT, "textoverlay"));
    v.push(def(
        "overlay",
        &[TEXT, TEXT, INT4, INT4],
        TEXT,
        "textoverlay",
    ));
    // strings
    for (n, ret, imp) in [
        ("length", INT4, "length"),
        ("char_length", INT4, "length"),
        ("character_length", INT4, "length"),
        ("octet_length", INT4, "octet_length"),
        ("upper", TEXT, "upper"),
        ("lower", TEXT, "lower"),
        ("initcap", TEXT, "initcap"),
        ("reverse", TEXT, "reverse"),
        ("md5", TEXT, "md5"),
        ("ascii", INT4, "ascii"),
        ("quote_ident", TEXT, "quote_ident"),
        ("quote_literal", TEXT, "quote_literal"),
        ("btrim", TEXT, "btrim"),
        ("ltrim", TEXT, "ltrim"),
        ("rtrim", TEXT, "rtrim"),
    ] {
        v.push(def(n, &[TEXT], ret, imp));
    }
    // quote_nullable: quote_literal, or NULL unquoted for a NULL.
    v.push(FuncDef {
        strict: false,
        ..def("quote_nullable", &[TEXT], TEXT, "quote_nullable")
    });
    v.push(def("length", &[BYTEA], INT4, "octet_length"));
    v.push(def("octet_length", &[BYTEA], INT4, "octet_length"));
    v.push(def("md5", &[BYTEA], TEXT, "md5"));
    v.push(def("like_escape", &[TEXT, TEXT], TEXT, "like_escape"));
    // binary strings (utils/adt/varlena.c, encode.c, cryptohashfuncs.c)
    v.push(def("substring", &[BYTEA, INT4], BYTEA, "byteasubstr"));
    v.push(def("substring", &[BYTEA, INT4, INT4], BYTEA, "byteasubstr"));
    v.push(def("substr", &[BYTEA, INT4], BYTEA, "byteasubstr"));
    v.push(def("substr", &[BYTEA, INT4, INT4], BYTEA, "byteasubstr"));
    v.push(def("overlay", &[BYTEA, BYTEA, INT4], BYTEA, "byteaoverlay"));
    v.push(def(
        "overlay",
        &[BYTEA, BYTEA, INT4, INT4],
        BYTEA,
        "byteaoverlay",
    ));
    v.push(def("position", &[BYTEA, BYTEA], INT4, "byteapos"));
    v.push(def("btrim", &[BYTEA, BYTEA], BYTEA, "byteabtrim"));
    v.push(def("ltrim", &[BYTEA, BYTEA], BYTEA, "bytealtrim"));
    v.push(def("rtrim", &[BYTEA, BYTEA], BYTEA, "byteartrim"));
    v.push(def("~~", &[BYTEA, BYTEA], BOOL, "bytealike"));
    v.push(def("!~~", &[BYTEA, BYTEA], BOOL, "byteanlike"));
    v.push(def(
        "like_escape",
        &[BYTEA, BYTEA],
        BYTEA,
        "like_escape_bytea",
    ));
    v.push(def("encode", &[BYTEA, TEXT], TEXT, "binary_encode"));
    v.push(def("decode", &[TEXT, TEXT], BYTEA, "binary_decode"));
    for n in ["sha224", "sha256", "sha384", "sha512"] {
        v.push(def(n, &[BYTEA], BYTEA, n));
    }
    v.push(def("translate", &[TEXT, TEXT, TEXT], TEXT, "translate"));
    v.push(def("unistr", &[TEXT], TEXT, "unistr"));
    v.push(def("normalize", &[TEXT], TEXT, "normalize"));
    v.push(def("normalize", &[TEXT, TEXT], TEXT, "normalize"));
    v.push(def("is_normalized", &[TEXT], BOOL, "is_normalized"));
    v.push(def("is_normalized", &[TEXT, TEXT], BOOL, "is_normalized"));
    v.push(def("parse_ident", &[TEXT], TEXT_ARRAY, "parse_ident"));
    v.push(def("parse_ident", &[TEXT, BOOL], TEXT_ARRAY, "parse_ident"));
    for n in ["btrim", "ltrim", "rtrim"] {
        v.push(def(n, &[TEXT, TEXT], TEXT, n));
    }
    v.push(def("substr", &[TEXT, INT4], TEXT, "substr"));
    v.push(def("substr", &[TEXT, INT4, INT4], TEXT, "substr"));
    v.push(def("substring", &[TEXT, INT4], TEXT, "substr"));
    v.push(def("substring", &[TEXT, INT4, INT4], TEXT, "substr"));
    v.push(def("substring", &[TEXT, TEXT], TEXT, "textregexsubstr"));
    v.push(def(
        "substring",
        &[TEXT, TEXT, TEXT],
        TEXT,
        "similar_substring",
    ));
    v.push(def("position", &[TEXT, TEXT], INT4, "strpos"));
    v.push(def("strpos", &[TEXT, TEXT], INT4, "strpos"));
    v.push(def("replace", &[TEXT, TEXT, TEXT], TEXT, "replace"));
    v.push(def("repeat", &[TEXT, INT4], TEXT, "repeat"));
    v.push(def("left", &[TEXT, INT4], TEXT, "left"));
    v.push(def("right", &[TEXT, INT4], TEXT, "right"));
    v.push(def("lpad", &[TEXT, INT4], TEXT, "lpad"));
    v.push(def("lpad", &[TEXT, INT4, TEXT], TEXT, "lpad"));
    v.push(def("rpad", &[TEXT, INT4], TEXT, "rpad"));
    v.push(def("rpad", &[TEXT, INT4, TEXT], TEXT, "rpad"));
    v.push(def("chr", &[INT4], TEXT, "chr"));
    v.push(def("split_part", &[TEXT, TEXT, INT4], TEXT, "split_part"));
    v.push(def("starts_with", &[TEXT, TEXT], BOOL, "starts_with"));
    v.push(def("to_hex", &[INT4], TEXT, "to_hex"));
    v.push(def("to_hex", &[INT8], TEXT, "to_hex"));
    v.push(FuncDef {
        variadic_any: true,
        strict: false,
        ..def("concat", &[], TEXT, "concat")
    });
    v.push(FuncDef {
        variadic_any: true,
        strict: false,
        ..def("concat_ws", &[TEXT], TEXT, "concat_ws")
    });
    v.push(FuncDef {
        variadic_any: true,
        strict: false,
        ..def("format", &[TEXT], TEXT, "format")
    });
    // How many arguments are NULL, or not (of any types).
    for name in ["num_nulls", "num_nonnulls"] {
        v.push(FuncDef {
            variadic_any: true,
            strict: false,
            ..def(name, &[], INT4, name)
        });
    }
    // math
    for t in [FLOAT8, NUMERIC] {
        for (n, imp) in [
            ("ceil", "ceil"),
            ("ceiling", "ceil"),
            ("floor", "floor"),
            ("round", "round"),
            ("trunc", "trunc"),
            ("sqrt", "sqrt"),
            ("exp", "exp"),
            ("ln", "ln"),
            ("log", "log10"),
            ("log10", "log10"),
            ("sign", "sign"),
        ] {
            // numeric log(x) is its own SQL function in PostgreSQL (errors name it)
            let imp = if t == NUMERIC && n == "log" {
                "log"
            } else {
                imp
            };
            v.push(def(n, &[t], t, imp));
        }
        v.push(def("power", &[t, t], t, "pow"));
        v.push(def("pow", &[t, t], t, "pow"));
    }
    v.push(def("round", &[NUMERIC, INT4], NUMERIC, "round"));
    v.push(def("trunc", &[NUMERIC, INT4], NUMERIC, "trunc"));
    v.push(def("log", &[NUMERIC, NUMERIC], NUMERIC, "log"));
    v.push(def("div", &[NUMERIC, NUMERIC], NUMERIC, "div_trunc"));
    for t in [INT4, INT8, NUMERIC] {
        v.push(def("gcd", &[t, t], t, "gcd"));
        v.push(def("lcm", &[t, t], t, "lcm"));
    }
    v.push(def("scale", &[NUMERIC], INT4, "numeric_scale"));
    v.push(def("min_scale", &[NUMERIC], INT4, "min_scale"));
    v.push(def("trim_scale", &[NUMERIC], NUMERIC, "trim_scale"));
    v.push(def("factorial", &[INT8], NUMERIC, "factorial"));
    v.push(def("numeric_inc", &[NUMERIC], NUMERIC, "numeric_inc"));
    v.push(def("pg_lsn", &[NUMERIC], PG_LSN, "numeric_pg_lsn"));
    v.push(def(
        "width_bucket",
        &[FLOAT8, FLOAT8, FLOAT8, INT4],
        INT4,
        "width_bucket",
    ));
    v.push(def(
        "width_bucket",
        &[NUMERIC, NUMERIC, NUMERIC, INT4],
        INT4,
        "width_bucket",
    ));
    v.push(def("cbrt", &[FLOAT8], FLOAT8, "cbrt"));
    v.push(def("degrees", &[FLOAT8], FLOAT8, "degrees"));
    v.push(def("radians", &[FLOAT8], FLOAT8, "radians"));
    v.push(def("pi", &[], FLOAT8, "pi"));
    v.push(def("gen_random_uuid", &[], UUID, "gen_random_uuid"));
    v.push(def("random", &[], FLOAT8, "random"));
    // session and time
    for t in [DATE, TIME, TIMETZ, TIMESTAMP, TIMESTAMPTZ, INTERVAL] {
        v.push(def("extract", &[TEXT, t], NUMERIC, "extract"));
        v.push(def("date_part", &[TEXT, t], FLOAT8, "date_part"));
    }
    for t in [TIMESTAMP, TIMESTAMPTZ, INTERVAL] {
        v.push(def("date_trunc", &[TEXT, t], t, "date_trunc"));
    }
    v.push(def(
        "date_trunc",
        &[TEXT, TIMESTAMPTZ, TEXT],
        TIMESTAMPTZ,
        "date_trunc",
    ));
    // (s1, e1) OVERLAPS (s2, e2); an end may be an interval after its start.
    // Not strict: a NULL end can still give an answer.
    for t in [TIMESTAMP, TIMESTAMPTZ, TIME, TIMETZ] {
        for (e1, e2) in [(t, t), (INTERVAL, INTERVAL), (t, INTERVAL), (INTERVAL, t)] {
            v.push(FuncDef {
                strict: false,
                ..def("overlaps", &[t, e1, t, e2], BOOL, "overlaps")
            });
        }
    }
    v.push(def("make_date", &[INT4, INT4, INT4], DATE, "make_date"));
    v.push(def("make_time", &[INT4, INT4, FLOAT8], TIME, "make_time"));
    let ymdhms = [INT4, INT4, INT4, INT4, INT4, FLOAT8];
    v.push(def("make_timestamp", &ymdhms, TIMESTAMP, "make_timestamp"));
    v.push(def(
        "make_timestamptz",
        &ymdhms,
        TIMESTAMPTZ,
        "make_timestamptz",
    ));
    v.push(def(
        "make_timestamptz",
        &[INT4, INT4, INT4, INT4, INT4, FLOAT8, TEXT],
        TIMESTAMPTZ,
        "make_timestamptz",
    ));
    for t in [TIMESTAMP, TIMESTAMPTZ] {
        v.push(def("date_bin", &[INTERVAL, t, t], t, "date_bin"));
    }
    for f in ["justify_hours", "justify_days", "justify_interval"] {
        v.push(def(f, &[INTERVAL], INTERVAL, f));
    }
    v.push(def(
        "make_interval",
        &[INT4, INT4, INT4, INT4, INT4, INT4, FLOAT8],
        INTERVAL,
        "make_interval",
    ));
    v.push(def("timezone", &[TEXT, TIMESTAMP], TIMESTAMPTZ, "timezone"));
    v.push(def("timezone", &[TEXT, TIMESTAMPTZ], TIMESTAMP, "timezone"));
    for t in [TIMESTAMP, TIMESTAMPTZ] {
        v.push(def("age", &[t, t], INTERVAL, "age"));
        v.push(def("age", &[t], INTERVAL, "age"));
    }
    v.push(def("now", &[], TIMESTAMPTZ, "now"));
    v.push(def("transaction_timestamp", &[], TIMESTAMPTZ, "now"));
    v.push(def(
        "statement_timestamp",
        &[],
        TIMESTAMPTZ,
        "statement_timestamp",
    ));
    v.push(def("clock_timestamp", &[], TIMESTAMPTZ, "clock_timestamp"));
    v.push(def("version", &[], TEXT, "version"));
    v.push(def("current_database", &[], NAME, "current_database"));
    v.push(def("getdatabaseencoding", &[], NAME, "getdatabaseencoding"));
    v.push(def("current_schema", &[], NAME, "current_schema"));
    v.push(def(
        "current_schemas",
        &[BOOL],
        NAME_ARRAY,
        "current_schemas",
    ));
    v.push(def("current_setting", &[TEXT], TEXT, "current_setting"));
    v.push(def("set_config", &[TEXT, TEXT, BOOL], TEXT, "set_config"));
    v.push(def("to_regclass", &[TEXT], REGCLASS, "to_regclass"));
    v.push(def("to_regtype", &[TEXT], REGTYPE, "to_regtype"));
    v.push(def(
        "to_regnamespace",
        &[TEXT],
        types::oid::REGNAMESPACE,
        "to_regnamespace",
    ));
    v.push(def(
        "current_setting",
        &[TEXT, BOOL],
        TEXT,
        "current_setting",
    ));
    v.push(def("pg_backend_pid", &[], INT4, "pg_backend_pid"));
    v.push(def("pg_trigger_depth", &[], INT4, "pg_trigger_depth"));
    v.push(def("txid_current", &[], INT8, "txid_current"));
    transaction_id_functions(&mut v);
    v.push(def("nextval", &[REGCLASS], INT8, "nextval"));
    // The catalog functions psql and ORMs call.
    v.push(FuncDef {
        strict: false,
        ..def("format_type", &[OID, INT4], TEXT, "format_type")
    });
    v.push(def(
        "row_security_active",
        &[OID],
        BOOL,
        "row_security_active",
    ));
    v.push(def(
        "row_security_active",
        &[TEXT],
        BOOL,
        "row_security_active",
    ));
    v.push(def(
        "pg_table_is_visible",
        &[OID],
        BOOL,
        "pg_table_is_visible",
    ));
    v.push(def(
        "pg_type_is_visible",
        &[OID],
        BOOL,
        "pg_type_is_visible",
    ));
    // Collations all live in pg_catalog, which is always searched.
    v.push(def(
        "pg_collation_is_visible",
        &[OID],
        BOOL,
        "pg_collation_is_visible",
    ));
    // The catalogs of these objects are empty here (catalog::empty): there
    // is never one to see, and the functions say NULL, as PostgreSQL does
    // for an OID it does not know.
    v.push(def(
        "pg_operator_is_visible",
        &[OID],
        BOOL,
        "pg_operator_is_visible",
    ));
    for f in [
        "pg_opfamily_is_visible",
        "pg_conversion_is_visible",
        "pg_ts_config_is_visible",
        "pg_ts_dict_is_visible",
        "pg_ts_parser_is_visible",
        "pg_ts_template_is_visible",
    ] {
        v.push(def(f, &[OID], BOOL, "pg_unknown_object_is_visible"));
    }
    // The bytes of a database's directory (psql's `\l+`).
    v.push(def("pg_database_size", &[NAME], INT8, "pg_database_size"));
    v.push(def("pg_database_size", &[OID], INT8, "pg_database_size"));
    // No SQL-standard function bodies here (`prosqlbody` is NULL).
    v.push(def(
        "pg_get_function_sqlbody",
        &[OID],
        TEXT,
        "pg_get_function_sqlbody",
    ));
    // What psql's describe commands ask of the catalogs (the
    // deparsing ones are the backend's, see executor/src/functions/describe.rs).
    v.push(def("pg_get_userbyid", &[OID], NAME, "pg_get_userbyid"));
    // aclitem[] in PostgreSQL; ACLs are their items' text here.
    v.push(def(
        "acldefault",
        &[CHAR, OID],
        types::oid::TEXT_ARRAY,
        "acldefault",
    ));
    privilege_functions(&mut v);
    v.push(def(
        "pg_get_expr",
        &[PG_NODE_TREE, OID],
        TEXT,
        "pg_get_expr",
    ));
    v.push(def(
        "pg_get_expr",
        &[PG_NODE_TREE, OID, BOOL],
        TEXT,
        "pg_get_expr",
    ));
    v.push(def(
        "pg_get_constraintdef",
        &[OID],
        TEXT,
        "pg_get_constraintdef",
    ));
    v.push(def(
        "pg_get_constraintdef",
        &[OID, BOOL],
        TEXT,
        "pg_get_constraintdef",
    ));
    v.push(def("pg_get_indexdef", &[OID], TEXT, "pg_get_indexdef"));
    v.push(def(
        "pg_get_indexdef",
        &[OID, INT4, BOOL],
        TEXT,
        "pg_get_indexdef",
    ));
    v.push(FuncDef {
        variadic_any: true,
        strict: false,
        ..def(
            "satisfies_hash_partition",
            &[OID, INT4, INT4],
            BOOL,
            "satisfies_hash_partition",
        )
    });
    v.push(def("pg_get_partkeydef", &[OID], TEXT, "pg_get_partkeydef"));
    v.push(def(
        "pg_get_partition_constraintdef",
        &[OID],
        TEXT,
        "pg_get_partition_constraintdef",
    ));
    v.push(def(
        "pg_partition_root",
        &[REGCLASS],
        REGCLASS,
        "pg_partition_root",
    ));
    v.push(def("pg_get_viewdef", &[OID], TEXT, "pg_get_viewdef"));
    v.push(def("pg_get_viewdef", &[OID, BOOL], TEXT, "pg_get_viewdef"));
    v.push(def("pg_get_viewdef", &[OID, INT4], TEXT, "pg_get_viewdef"));
    v.push(def("pg_get_viewdef", &[TEXT], TEXT, "pg_get_viewdef"));
    v.push(def("pg_get_viewdef", &[TEXT, BOOL], TEXT, "pg_get_viewdef"));
    v.push(def("pg_get_ruledef", &[OID], TEXT, "pg_get_ruledef"));
    v.push(def("pg_get_ruledef", &[OID, BOOL], TEXT, "pg_get_ruledef"));
    v.push(def("pg_get_triggerdef", &[OID], TEXT, "pg_get_triggerdef"));
    v.push(def(
        "pg_get_triggerdef",
        &[OID, BOOL],
        TEXT,
        "pg_get_triggerdef",
    ));
    v.push(def(
        "pg_get_statisticsobjdef_columns",
        &[OID],
        TEXT,
        "pg_get_statisticsobjdef_columns",
    ));
    v.push(def(
        "pg_get_statisticsobjdef",
        &[OID],
        TEXT,
        "pg_get_statisticsobjdef",
    ));
    v.push(def(
        "pg_statistics_obj_is_visible",
        &[OID],
        BOOL,
        "pg_statistics_obj_is_visible",
    ));
    v.push(def(
        "pg_relation_is_publishable",
        &[REGCLASS],
        BOOL,
        "pg_relation_is_publishable",
    ));
    v.push(def(
        "pg_function_is_visible",
        &[OID],
        BOOL,
        "pg_function_is_visible",
    ));
    v.push(def(
        "pg_get_function_result",
        &[OID],
        TEXT,
        "pg_get_function_result",
    ));
    v.push(def(
        "pg_get_function_arguments",
        &[OID],
        TEXT,
        "pg_get_function_arguments",
    ));
    v.push(def(
        "obj_description",
        &[OID, NAME],
        TEXT,
        "obj_description",
    ));
    v.push(def("obj_description", &[OID], TEXT, "obj_description"));
    // A `regproc` column held as a name (`pg_operator.oprcode`, psql's
    // `\do`): the built-in function it names has no row to comment.
    v.push(def(
        "obj_description",
        &[NAME, NAME],
        TEXT,
        "obj_description",
    ));
    v.push(def(
        "col_description",
        &[OID, INT4],
        TEXT,
        "col_description",
    ));
    v.push(def(
        "shobj_description",
        &[OID, NAME],
        TEXT,
        "shobj_description",
    ));
    v.push(def(
        "pg_encoding_to_char",
        &[INT4],
        NAME,
        "pg_encoding_to_char",
    ));
    v.push(def("currval", &[REGCLASS], INT8, "currval"));
    v.push(def("lastval", &[], INT8, "lastval"));
    v.push(def("setval", &[REGCLASS, INT8], INT8, "setval"));
    v.push(def("setval", &[REGCLASS, INT8, BOOL], INT8, "setval"));
    v.push(def(
        "pg_get_serial_sequence",
        &[TEXT, TEXT],
        TEXT,
        "pg_get_serial_sequence",
    ));
    v.push(def(
        "txid_current_if_assigned",
        &[],
        INT8,
        "txid_current_if_assigned",
    ));
    v.push(def("pg_sleep", &[FLOAT8], VOID, "pg_sleep"));
    v.push(FuncDef {
        strict: false,
        ..def("pg_notify", &[TEXT, TEXT], VOID, "pg_notify")
    });
    v.push(def(
        "pg_notification_queue_usage",
        &[],
        FLOAT8,
        "pg_notification_queue_usage",
    ));
    v.push(srf(
        "pg_listening_channels",
        &[],
        &[("", TEXT)],
        "pg_listening_channels",
    ));
    v.push(def("pg_cancel_backend", &[INT4], BOOL, "pg_cancel_backend"));
    v.push(def(
        "pg_terminate_backend",
        &[INT4],
        BOOL,
        "pg_terminate_backend",
    ));
    v.push(def(
        "pg_terminate_backend",
        &[INT4, INT8],
        BOOL,
        "pg_terminate_backend",
    ));
    v.push(def(
        "pg_postmaster_start_time",
        &[],
        TIMESTAMPTZ,
        "pg_postmaster_start_time",
    ));
    // WAL
    v.push(def("pg_current_wal_lsn", &[], PG_LSN, "pg_current_wal_lsn"));
    v.push(def(
        "pg_current_wal_insert_lsn",
        &[],
        PG_LSN,
        "pg_current_wal_insert_lsn",
    ));
    v.push(def(
        "pg_current_wal_flush_lsn",
        &[],
        PG_LSN,
        "pg_current_wal_flush_lsn",
    ));
    v.push(def("pg_walfile_name", &[PG_LSN], TEXT, "pg_walfile_name"));
    // object sizes (the relation by name; regclass does not exist yet)
    for f in [
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_table_size",
        "pg_indexes_size",
    ] {
        v.push(def(f, &[TEXT], INT8, f));
        v.push(def(f, &[REGCLASS], INT8, f));
    }
    v.push(def(
        "pg_relation_size",
        &[TEXT, TEXT],
        INT8,
        "pg_relation_size",
    ));
    // amcheck's B-tree check (the index by name; regclass does not exist yet)
    v.push(def("bt_index_check", &[TEXT], VOID, "bt_index_check"));
    v.push(def("bt_index_check", &[TEXT, BOOL], VOID, "bt_index_check"));
    v.push(def(
        "pg_wal_lsn_diff",
        &[PG_LSN, PG_LSN],
        NUMERIC,
        "pg_lsn_mi",
    ));
    v.push(def("pg_is_in_recovery", &[], BOOL, "pg_is_in_recovery"));
    v.push(def("pg_size_pretty", &[INT8], TEXT, "pg_size_pretty"));
    v.push(def("pg_size_pretty", &[NUMERIC], TEXT, "pg_size_pretty"));
    json_functions(&mut v);
    range::range_functions(&mut v);
    tsearch_functions(&mut v);
    for t in [
        TIMESTAMP,
        TIMESTAMPTZ,
        INTERVAL,
        NUMERIC,
        INT4,
        INT8,
        FLOAT4,
        FLOAT8,
    ] {
        v.push(def("to_char", &[t, TEXT], TEXT, "to_char"));
    }
    v.push(def(
        "to_timestamp",
        &[TEXT, TEXT],
        TIMESTAMPTZ,
        "to_timestamp",
    ));
    v.push(def("to_timestamp", &[FLOAT8], TIMESTAMPTZ, "to_timestamp"));
    v.push(def("to_date", &[TEXT, TEXT], DATE, "to_date"));
    v.push(def("to_number", &[TEXT, TEXT], NUMERIC, "to_number"));
    // set-returning functions (unnest, polymorphic, is resolved apart)
    for (t, cols) in [
        (INT4, &[("", INT4)]),
        (INT8, &[("", INT8)]),
        (NUMERIC, &[("", NUMERIC)]),
    ] {
        v.push(srf("generate_series", &[t, t], cols, "generate_series"));
        v.push(srf("generate_series", &[t, t, t], cols, "generate_series"));
    }
    v.push(srf(
        "generate_series",
        &[TIMESTAMP, TIMESTAMP, INTERVAL],
        &[("", TIMESTAMP)],
        "generate_series_ts",
    ));
    v.push(srf(
        "generate_series",
        &[TIMESTAMPTZ, TIMESTAMPTZ, INTERVAL],
        &[("", TIMESTAMPTZ)],
        "generate_series_ts",
    ));
    v.push(srf(
        "pg_partition_ancestors",
        &[REGCLASS],
        &[("relid", REGCLASS)],
        "pg_partition_ancestors",
    ));
    // `name=value` items (reloptions, fdwoptions, ...) as rows.
    v.push(srf(
        "pg_options_to_table",
        &[TEXT_ARRAY],
        &[("option_name", TEXT), ("option_value", TEXT)],
        "pg_options_to_table",
    ));
    v.push(srf(
        "pg_partition_tree",
        &[REGCLASS],
        &[
            ("relid", REGCLASS),
            ("parentrelid", REGCLASS),
            ("isleaf", BOOL),
            ("level", INT4),
        ],
        "pg_partition_tree",
    ));
    v
}

/// The json and jsonb operators and functions (the polymorphic ones,
/// `to_json` and the builders, are resolved in `analyze::json`).
fn json_functions(v: &mut Vec<FuncDef>) {
    for (t, pre) in [(JSON, "json"), (JSONB, "jsonb")] {
        let name = |s: &str| -> &'static str { Box::leak(format!("{pre}{s}").into_boxed_str()) };
        v.push(def("->", &[t, TEXT], t, name("_object_field")));
        v.push(def("->", &[t, INT4], t, name("_array_element")));
        v.push(def("->>", &[t, TEXT], TEXT, name("_object_field_text")));
        v.push(def("->>", &[t, INT4], TEXT, name("_array_element_text")));
        v.push(def("#>", &[t, TEXT_ARRAY], t, name("_extract_path")));
        v.push(def(
            "#>>",
            &[t, TEXT_ARRAY],
            TEXT,
            name("_extract_path_text"),
        ));
        v.push(def(name("_typeof"), &[t], TEXT, name("_typeof")));
        v.push(def(
            name("_array_length"),
            &[t],
            INT4,
            name("_array_length"),
        ));
        v.push(def(name("_strip_nulls"), &[t], t, name("_strip_nulls")));
        for suffix in ["_extract_path", "_extract_path_text"] {
            let ret = if suffix.ends_with("text") { TEXT } else { t };
            v.push(def(name(suffix), &[t, TEXT_ARRAY], ret, name(suffix)));
        }
        let (elem, each): (Columns, Columns) = if t == JSON {
            (&[("value", JSON)], &[("key", TEXT), ("value", JSON)])
        } else {
            (&[("value", JSONB)], &[("key", TEXT), ("value", JSONB)])
        };
        v.push(srf(
            name("_array_elements"),
            &[t],
            elem,
            name("_array_elements"),
        ));
        v.push(srf(
            name("_array_elements_text"),
            &[t],
            &[("value", TEXT)],
            name("_array_elements_text"),
        ));
        v.push(srf(name("_each"), &[t], each, name("_each")));
        v.push(srf(
            name("_each_text"),
            &[t],
            &[("key", TEXT), ("value", TEXT)],
            name("_each_text"),
        ));
        v.push(srf(
            name("_object_keys"),
            &[t],
            &[("", TEXT)],
            name("_object_keys"),
        ));
    }
    v.push(def("@>", &[JSONB, JSONB], BOOL, "jsonb_contains"));
    v.push(def("<@", &[JSONB, JSONB], BOOL, "jsonb_contained"));
    v.push(def("?", &[JSONB, TEXT], BOOL, "jsonb_exists"));
    v.push(def("?|", &[JSONB, TEXT_ARRAY], BOOL, "jsonb_exists_any"));
    v.push(def("?&", &[JSONB, TEXT_ARRAY], BOOL, "jsonb_exists_all"));
    v.push(def("||", &[JSONB, JSONB], JSONB, "jsonb_concat"));
    v.push(def("-", &[JSONB, TEXT], JSONB, "jsonb_delete"));
    v.push(def("-", &[JSONB, INT4], JSONB, "jsonb_delete_index"));
    v.push(def("-", &[JSONB, TEXT_ARRAY], JSONB, "jsonb_delete_keys"));
    v.push(def(
        "jsonb_delete",
        &[JSONB, TEXT_ARRAY],
        JSONB,
        "jsonb_delete_keys",
    ));
    v.push(def("#-", &[JSONB, TEXT_ARRAY], JSONB, "jsonb_delete_path"));
    v.push(def("jsonb_pretty", &[JSONB], TEXT, "jsonb_pretty"));
    v.push(def(
        "jsonb_set",
        &[JSONB, TEXT_ARRAY, JSONB],
        JSONB,
        "jsonb_set",
    ));
    v.push(def(
        "jsonb_set",
        &[JSONB, TEXT_ARRAY, JSONB, BOOL],
        JSONB,
        "jsonb_set",
    ));
    v.push(def(
        "jsonb_insert",
        &[JSONB, TEXT_ARRAY, JSONB],
        JSONB,
        "jsonb_insert",
    ));
    v.push(def(
        "jsonb_insert",
        &[JSONB, TEXT_ARRAY, JSONB, BOOL],
        JSONB,
        "jsonb_insert",
    ));
    for (n, t) in [("json_object", JSON), ("jsonb_object", JSONB)] {
        v.push(def(n, &[TEXT_ARRAY], t, n));
        v.push(def(n, &[TEXT_ARRAY, TEXT_ARRAY], t, n));
    }
    for (n, imp) in [
        ("jsonb_exists", "jsonb_exists"),
        ("jsonb_exists_any", "jsonb_exists_any"),
        ("jsonb_exists_all", "jsonb_exists_all"),
    ] {
        let arg = if n == "jsonb_exists" {
            TEXT
        } else {
            TEXT_ARRAY
        };
        v.push(def(n, &[JSONB, arg], BOOL, imp));
    }
    jsonpath_functions(v);
    // The functions behind the operators, by their pg_proc names.
    let operators: Vec<FuncDef> = v
        .iter()
        .filter(|f| {
            matches!(
                f.imp,
                "jsonb_contains"
                    | "jsonb_contained"
                    | "jsonb_concat"
                    | "jsonb_delete"
                    | "jsonb_delete_path"
                    | "json_object_field"
                    | "json_object_field_text"
                    | "json_array_element"
                    | "json_array_element_text"
                    | "jsonb_object_field"
                    | "jsonb_object_field_text"
                    | "jsonb_array_element"
                    | "jsonb_array_element_text"
            ) && !f.name.starts_with(|c: char| c.is_ascii_alphabetic())
        })
        .map(|f| FuncDef {
            name: f.imp,
            ..f.clone()
        })
        .collect();
    v.extend(operators);
}

/// The SQL/JSON path functions and operators. `vars` and `silent` have
/// PostgreSQL's defaults (`'{}'`, false) when left out (positionally).
fn jsonpath_functions(v: &mut Vec<FuncDef>) {
    v.push(def("@?", &[JSONB, JSONPATH], BOOL, "jsonb_path_exists_opr"));
    v.push(def("@@", &[JSONB, JSONPATH], BOOL, "jsonb_path_match_opr"));
    v.push(def(
        "jsonb_path_exists_opr",
        &[JSONB, JSONPATH],
        BOOL,
        "jsonb_path_exists_opr",
    ));
    v.push(def(
        "jsonb_path_match_opr",
        &[JSONB, JSONPATH],
        BOOL,
        "jsonb_path_match_opr",
    ));
    for tz in [false, true] {
        let name = |s: &str| -> &'static str {
            Box::leak(format!("{s}{}", if tz { "_tz" } else { "" }).into_boxed_str())
        };
        for args in [
            &[JSONB, JSONPATH][..],
            &[JSONB, JSONPATH, JSONB],
            &[JSONB, JSONPATH, JSONB, BOOL],
        ] {
            for (f, ret) in [
                ("jsonb_path_exists", BOOL),
                ("jsonb_path_match", BOOL),
                ("jsonb_path_query_array", JSONB),
                ("jsonb_path_query_first", JSONB),
            ] {
                let n = name(f);
                v.push(def(n, args, ret, n));
            }
            let n = name("jsonb_path_query");
            v.push(srf(n, args, &[("", JSONB)], n));
        }
    }
}

/// `has_*_privilege` and `pg_has_role`, in all of PostgreSQL's forms:
/// (user, object, privilege) with the user by name or OID, the object by
/// name or OID, and (object, privilege) for the current user; columns by
/// name or number.
fn privilege_functions(v: &mut Vec<FuncDef>) {
    for f in [
        "has_table_privilege",
        "has_sequence_privilege",
        "has_schema_privilege",
        "has_database_privilege",
        "has_function_privilege",
        "has_type_privilege",
        "has_language_privilege",
        "has_foreign_data_wrapper_privilege",
        "has_server_privilege",
        "pg_has_role",
    ] {
        let object = if f == "pg_has_role" { NAME } else { TEXT };
        for user in [NAME, OID] {
            for obj in [object, OID] {
                v.push(def(f, &[user, obj, TEXT], BOOL, f));
            }
        }
        v.push(def(f, &[object, TEXT], BOOL, f));
        v.push(def(f, &[OID, TEXT], BOOL, f));
    }
    let f = "has_column_privilege";
    for table in [TEXT, OID] {
        for column in [TEXT, INT2] {
            for user in [NAME, OID] {
                v.push(def(f, &[user, table, column, TEXT], BOOL, f));
            }
            v.push(def(f, &[table, column, TEXT], BOOL, f));
        }
    }
}

pub fn catalog() -> &'static [FuncDef] {
    static CATALOG: OnceLock<Vec<FuncDef>> = OnceLock::new();
    CATALOG.get_or_init(build)
}

/// True if any function or operator of that name exists (any argument count).
pub fn name_exists(name: &str) -> bool {
    catalog().iter().any(|f| f.name == name)
        || range::user_range_functions().iter().any(|f| f.name == name)
}

/// PostgreSQL functions we know exist but do not implement: calling them is 0A000
/// rather than "does not exist".
pub fn known_unsupported(name: &str) -> bool {
    matches!(
        name,
        "date_part"
            | "array_agg"
            | "count"
            | "sum"
            | "avg"
            | "min"
            | "max"
            | "string_agg"
            | "bool_and"
            | "bool_or"
            | "array_length"
            | "unnest"
            | "generate_series"
            | "row_number"
            | "rank"
            | "json_build_object"
            | "jsonb_build_object"
            | "to_json"
            | "to_jsonb"
            | "pg_advisory_lock"
            | "inet_client_addr"
            | "inet_server_addr"
            | "isfinite"
            | "timeofday"
            | "setseed"
            | "string_to_array"
            | "pg_walfile_name_offset"
            | "pg_switch_wal"
            | "pg_create_restore_point"
            | "pg_last_wal_receive_lsn"
            | "pg_last_wal_replay_lsn"
            | "pg_stat_reset_shared"
    )
}

/// Result of resolution.
pub enum Resolution {
    Found(&'static FuncDef),
    NotFound,
    Ambiguous,
}

fn coercible_sig(f: &FuncDef, args: &[u32]) -> bool {
    if f.variadic_any {
        args.len() >= f.args.len()
            && f.args
                .iter()
                .zip(args)
                .all(|(&p, &a)| can_coerce_implicit(a, p))
    } else {
        f.args.len() == args.len()
            && f.args.iter().zip(args).enumerate().all(|(i, (&p, &a))| {
                can_coerce_implicit(a, p)
                    && (a == p || a == UNKNOWN || !range::polymorphic_arg(f, i))
            })
    }
}

/// The built-in function PostgreSQL calls `name` taking exactly `args`
/// (what `CREATE OPERATOR ... FUNCTION = name` may name): one of that name,
/// else the implementation of a built-in operator (`path_inter`, which
/// here is only the implementation of `?#`).
pub fn exact_builtin(name: &str, args: &[u32]) -> Option<&'static FuncDef> {
    let all = catalog();
    all.iter()
        .find(|f| f.name == name && !f.variadic_any && f.args == args && f.returns_set.is_none())
        .or_else(|| {
            all.iter().find(|f| {
                f.imp == name && !f.variadic_any && f.args == args && f.returns_set.is_none()
            })
        })
}

/// Picks the function or operator `name` for argument types `args` (`UNKNOWN` for
/// string literals and unspecified parameters).
pub fn resolve(name: &str, args: &[u32]) -> Resolution {
    let mut all: Vec<&'static FuncDef> = catalog().iter().filter(|f| f.name == name).collect();
    // The user range types' functions, when an argument is of one (or
    // for their constructors, by name).
    if types::typcache::has_range_types() {
        all.extend(
            range::user_range_functions()
                .into_iter()
                .filter(|f| f.name == name),
        );
    }
    let sig = |f: &FuncDef| {
        f.args
            .iter()
            .take(args.len())
            .cloned()
            .collect::<Vec<u32>>()
    };
    // exact match
    if let Some(f) = all.iter().find(|f| !f.variadic_any && f.args == args) {
        return Resolution::Found(f);
    }
    // binary operator with one unknown side: try the other side's type for both
    if args.len() == 2 && (args[0] == UNKNOWN) != (args[1] == UNKNOWN) {
        let known = if args[0] == UNKNOWN { args[1] } else { args[0] };
        if let Some(f) = all
            .iter()
            .find(|f| !f.variadic_any && f.args == [known, known])
        {
            return Resolution::Found(f);
        }
    }
    let mut cands: Vec<&'static FuncDef> =
        all.into_iter().filter(|f| coercible_sig(f, args)).collect();
    if cands.len() <= 1 {
        return cands
            .first()
            .map_or(Resolution::NotFound, |f| Resolution::Found(f));
    }
    let score = |f: &FuncDef, pred: &dyn Fn(u32, u32) -> bool| {
        sig(f)
            .iter()
            .zip(args)
            .filter(|&(&p, &a)| pred(p, a))
            .count()
    };
    let keep_max = |cands: Vec<&'static FuncDef>, pred: &dyn Fn(u32, u32) -> bool| {
        let best = cands.iter().map(|f| score(f, pred)).max().unwrap_or(0);
        cands
            .into_iter()
            .filter(|f| score(f, pred) == best)
            .collect::<Vec<_>>()
    };
    cands = keep_max(cands, &|p, a| a != UNKNOWN && p == a);
    if cands.len() == 1 {
        return Resolution::Found(cands[0]);
    }
    cands = keep_max(cands, &|p, a| a != UNKNOWN && p != a && is_preferred(p));
    if cands.len() == 1 {
        return Resolution::Found(cands[0]);
    }
    // unknown arguments: prefer the string category, else a category all agree on
    for (i, &a) in args.iter().enumerate() {
        if a != UNKNOWN {
            continue;
        }
        let cats: Vec<char> = cands
            .iter()
            .filter_map(|f| f.args.get(i).map(|&t| category(t)))
            .collect();
        let chosen = if cats.contains(&'S') {
            'S'
        } else if cats.windows(2).all(|w| w[0] == w[1]) {
            match cats.first() {
                Some(&c) => c,
                None => continue,
            }
        } else {
            return Resolution::Ambiguous;
        };
        cands.retain(|f| f.args.get(i).is_none_or(|&t| category(t) == chosen));
        if cands
            .iter()
            .any(|f| f.args.get(i).is_some_and(|&t| is_preferred(t)))
        {
            cands.retain(|f| f.args.get(i).is_none_or(|&t| is_preferred(t)));
        }
    }
    if cands.len() == 1 {
        return Resolution::Found(cands[0]);
    }
    // known arguments all of one type: assume the unknown ones are of it too
    let known: Vec<u32> = args.iter().cloned().filter(|&a| a != UNKNOWN).collect();
    if !known.is_empty() && known.len() < args.len() && known.iter().all(|&k| k == known[0]) {
        let t = known[0];
        let narrowed: Vec<_> = cands
            .iter()
            .cloned()
            .filter(|f| {
                args.iter().enumerate().all(|(i, &a)| {
                    a != UNKNOWN || f.args.get(i).is_none_or(|&p| can_coerce_implicit(t, p))
                })
            })
            .collect();
        if narrowed.len() == 1 {
            return Resolution::Found(narrowed[0]);
        }
    }
    if cands.is_empty() {
        Resolution::NotFound
    } else {
        Resolution::Ambiguous
    }
}
