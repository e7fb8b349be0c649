//! Type OIDs of the built-in types, as in `pg_type`, with the names PostgreSQL's
//! `format_type` prints and the `typlen` a RowDescription carries.
//!
//! Only the types the executor can hold in a [`crate::Datum`] are listed, plus the
//! pseudo-types (`unknown`, `void`, `record`) that appear in type resolution.

pub const BOOL: u32 = 16;
pub const BYTEA: u32 = 17;
pub const CHAR: u32 = 18;
pub const NAME: u32 = 19;
pub const INT8: u32 = 20;
pub const INT2: u32 = 21;
pub const INT4: u32 = 23;
pub const TEXT: u32 = 25;
pub const OID: u32 = 26;
/// `tid`: a row version's address (block, line pointer), the `ctid`.
pub const TID: u32 = 27;
/// `xid`: a 32-bit transaction id (`xmin`, `xmax`).
pub const XID: u32 = 28;
/// `cid`: a command id within a transaction (`cmin`, `cmax`).
pub const CID: u32 = 29;
/// `xid8`: a 64-bit transaction id (`pg_current_xact_id()`).
pub const XID8: u32 = 5069;
/// `pg_snapshot`: which transactions a snapshot saw as finished.
pub const PG_SNAPSHOT: u32 = 5038;
/// `txid_snapshot`: the older name of `pg_snapshot`, a type of its own.
pub const TXID_SNAPSHOT: u32 = 2970;
pub const FLOAT4: u32 = 700;
pub const FLOAT8: u32 = 701;
pub const UNKNOWN: u32 = 705;
pub const BPCHAR: u32 = 1042;
pub const VARCHAR: u32 = 1043;
pub const DATE: u32 = 1082;
pub const TIME: u32 = 1083;
pub const TIMETZ: u32 = 1266;
pub const TIMESTAMP: u32 = 1114;
pub const TIMESTAMPTZ: u32 = 1184;
pub const INTERVAL: u32 = 1186;
pub const NUMERIC: u32 = 1700;
pub const UUID: u32 = 2950;
pub const JSON: u32 = 114;
pub const JSONB: u32 = 3802;
/// `jsonpath`: an SQL/JSON path, held as its canonical text.
pub const JSONPATH: u32 = 4072;
/// `pg_lsn`: a WAL position, an unsigned 64-bit byte offset printed `X/X`.
pub const PG_LSN: u32 = 3220;
/// `inet` and `cidr`: network addresses (see [`crate::datum::inet`]).
pub const INET: u32 = 869;
pub const CIDR: u32 = 650;
/// `money`: a signed 64-bit count of cents.
pub const MONEY: u32 = 790;
pub const MONEY_ARRAY: u32 = 791;
/// `macaddr` (six bytes) and `macaddr8` (eight bytes).
pub const MACADDR: u32 = 829;
pub const MACADDR_ARRAY: u32 = 1040;
pub const MACADDR8: u32 = 774;
pub const MACADDR8_ARRAY: u32 = 775;
/// The geometric types (see [`crate::datum::geo`]).
pub const POINT: u32 = 600;
pub const LSEG: u32 = 601;
pub const PATH: u32 = 602;
pub const BOX: u32 = 603;
pub const POLYGON: u32 = 604;
pub const LINE: u32 = 628;
pub const CIRCLE: u32 = 718;
/// Is `t` one of the geometric types?
pub fn is_geometric(t: u32) -> bool {
    matches!(t, POINT | LSEG | PATH | BOX | POLYGON | LINE | CIRCLE)
}
pub const POINT_ARRAY: u32 = 1017;
pub const LSEG_ARRAY: u32 = 1018;
pub const PATH_ARRAY: u32 = 1019;
pub const BOX_ARRAY: u32 = 1020;
pub const POLYGON_ARRAY: u32 = 1027;
pub const LINE_ARRAY: u32 = 629;
pub const CIRCLE_ARRAY: u32 = 719;
/// `tsvector` and `tsquery`: full text search documents and queries.
pub const TSVECTOR: u32 = 3614;
pub const TSVECTOR_ARRAY: u32 = 3643;
pub const TSQUERY: u32 = 3615;
pub const TSQUERY_ARRAY: u32 = 3645;
/// `bit(n)` and `bit varying(n)`: a bit count and the bits (see
/// `datum::bits`); the type modifier is the length itself.
pub const BIT: u32 = 1560;
pub const BIT_ARRAY: u32 = 1561;
pub const VARBIT: u32 = 1562;
pub const VARBIT_ARRAY: u32 = 1563;
/// `regconfig`: a text search configuration, held as its name (the
/// configurations are built in).
pub const REGCONFIG: u32 = 3734;
pub const REGCONFIG_ARRAY: u32 = 3735;
pub const REGCLASS: u32 = 2205;
pub const REGTYPE: u32 = 2206;
/// `regproc`: a function, printed (and held here) as its name.
pub const REGPROC: u32 = 24;
pub const REGNAMESPACE: u32 = 4089;
pub const RECORD: u32 = 2249;
pub const RECORD_ARRAY: u32 = 2287;
pub const VOID: u32 = 2278;
/// `trigger`, the pseudo-type a trigger function returns.
pub const TRIGGER: u32 = 2279;
/// `pg_node_tree`: a stored expression (`pg_attrdef.adbin`); ours holds SQL text.
pub const PG_NODE_TREE: u32 = 194;
/// `pg_ndistinct`, `pg_dependencies`, `pg_mcv_list`: what ANALYZE found of
/// an extended statistics object (`pg_statistic_ext_data`), held as the
/// text they print.
pub const PG_NDISTINCT: u32 = 3361;
pub const PG_DEPENDENCIES: u32 = 3402;
pub const PG_MCV_LIST: u32 = 5017;
/// `int2vector` and `oidvector` (`pg_index.indkey`, `indclass`, ...): stored
/// and printed in their text form (`1 2`) until arrays exist.
pub const INT2VECTOR: u32 = 22;
pub const OIDVECTOR: u32 = 30;

// Array types: listed so that clients' type lookups see PostgreSQL's numbers; the
// executor has no array Datum yet.
pub const BOOL_ARRAY: u32 = 1000;
pub const BYTEA_ARRAY: u32 = 1001;
pub const INT2_ARRAY: u32 = 1005;
pub const INT4_ARRAY: u32 = 1007;
pub const TEXT_ARRAY: u32 = 1009;
pub const REGTYPE_ARRAY: u32 = 2211;
pub const VARCHAR_ARRAY: u32 = 1015;
pub const INT8_ARRAY: u32 = 1016;
pub const FLOAT4_ARRAY: u32 = 1021;
pub const FLOAT8_ARRAY: u32 = 1022;
pub const NUMERIC_ARRAY: u32 = 1231;
pub const PG_LSN_ARRAY: u32 = 3221;
pub const TID_ARRAY: u32 = 1010;
pub const XID_ARRAY: u32 = 1011;
pub const CID_ARRAY: u32 = 1012;
pub const XID8_ARRAY: u32 = 271;
pub const PG_SNAPSHOT_ARRAY: u32 = 5039;
pub const TXID_SNAPSHOT_ARRAY: u32 = 2949;
pub const INET_ARRAY: u32 = 1041;
pub const CIDR_ARRAY: u32 = 651;
pub const CHAR_ARRAY: u32 = 1002;
pub const NAME_ARRAY: u32 = 1003;
pub const BPCHAR_ARRAY: u32 = 1014;
pub const OID_ARRAY: u32 = 1028;
pub const TIMESTAMP_ARRAY: u32 = 1115;
pub const DATE_ARRAY: u32 = 1182;
pub const TIME_ARRAY: u32 = 1183;
pub const TIMETZ_ARRAY: u32 = 1270;
pub const TIMESTAMPTZ_ARRAY: u32 = 1185;
pub const INTERVAL_ARRAY: u32 = 1187;
pub const UUID_ARRAY: u32 = 2951;
pub const JSON_ARRAY: u32 = 199;
pub const JSONB_ARRAY: u32 = 3807;
pub const JSONPATH_ARRAY: u32 = 4073;

// Range types (`pg_range`), their arrays, and the pseudo-type their
// operator class is declared on.
pub const INT4RANGE: u32 = 3904;
pub const NUMRANGE: u32 = 3906;
pub const TSRANGE: u32 = 3908;
pub const TSTZRANGE: u32 = 3910;
pub const DATERANGE: u32 = 3912;
pub const INT8RANGE: u32 = 3926;
pub const INT4RANGE_ARRAY: u32 = 3905;
pub const NUMRANGE_ARRAY: u32 = 3907;
pub const TSRANGE_ARRAY: u32 = 3909;
pub const TSTZRANGE_ARRAY: u32 = 3911;
pub const DATERANGE_ARRAY: u32 = 3913;
pub const INT8RANGE_ARRAY: u32 = 3927;
pub const ANYRANGE: u32 = 3831;
/// `"any"`: an argument of any type, taken as it is (no polymorphism).
pub const ANY: u32 = 2276;
/// The polymorphic pseudo-types of function arguments and results.
pub const ANYELEMENT: u32 = 2283;
pub const ANYARRAY: u32 = 2277;
pub const ANYNONARRAY: u32 = 2776;
pub const ANYCOMPATIBLE: u32 = 5077;
pub const ANYCOMPATIBLEARRAY: u32 = 5078;
pub const ANYCOMPATIBLENONARRAY: u32 = 5079;
pub const ANYCOMPATIBLERANGE: u32 = 5080;
pub const ANYCOMPATIBLEMULTIRANGE: u32 = 4538;

/// Whether `oid` is one of the polymorphic pseudo-types.
pub fn is_polymorphic(oid: u32) -> bool {
    matches!(
        oid,
        ANYELEMENT
            | ANYARRAY
            | ANYNONARRAY
            | ANYENUM
            | ANYRANGE
            | ANYMULTIRANGE
            | ANYCOMPATIBLE
            | ANYCOMPATIBLEARRAY
            | ANYCOMPATIBLENONARRAY
            | ANYCOMPATIBLERANGE
            | ANYCOMPATIBLEMULTIRANGE
    )
}
/// The pseudo-type of the enum functions and operators (and `enum_ops`).
pub const ANYENUM: u32 = 3500;

/// (range type, subtype, name, discrete) of every built-in range type. The
/// discrete ones have a canonical form `[a,b)`.
pub const RANGES: &[(u32, u32, &str, bool)] = &[
    (INT4RANGE, INT4, "int4range", true),
    (NUMRANGE, NUMERIC, "numrange", false),
    (TSRANGE, TIMESTAMP, "tsrange", false),
    (TSTZRANGE, TIMESTAMPTZ, "tstzrange", false),
    (DATERANGE, DATE, "daterange", true),
    (INT8RANGE, INT8, "int8range", true),
];

/// The subtype of range type `oid`, if it is one.
pub fn range_subtype(oid: u32) -> Option<u32> {
    RANGES
        .iter()
        .find(|r| r.0 == oid)
        .map(|r| r.1)
        .or_else(|| crate::typcache::range_subtype(oid))
}

pub const INT4MULTIRANGE: u32 = 4451;
pub const NUMMULTIRANGE: u32 = 4532;
pub const TSMULTIRANGE: u32 = 4533;
pub const TSTZMULTIRANGE: u32 = 4534;
pub const DATEMULTIRANGE: u32 = 4535;
pub const INT8MULTIRANGE: u32 = 4536;
pub const INT4MULTIRANGE_ARRAY: u32 = 6150;
pub const NUMMULTIRANGE_ARRAY: u32 = 6151;
pub const TSMULTIRANGE_ARRAY: u32 = 6152;
pub const TSTZMULTIRANGE_ARRAY: u32 = 6153;
pub const DATEMULTIRANGE_ARRAY: u32 = 6155;
pub const INT8MULTIRANGE_ARRAY: u32 = 6157;
pub const ANYMULTIRANGE: u32 = 4537;

/// (multirange type, its range type, name) of every built-in multirange type.
pub const MULTIRANGES: &[(u32, u32, &str)] = &[
    (INT4MULTIRANGE, INT4RANGE, "int4multirange"),
    (NUMMULTIRANGE, NUMRANGE, "nummultirange"),
    (TSMULTIRANGE, TSRANGE, "tsmultirange"),
    (TSTZMULTIRANGE, TSTZRANGE, "tstzmultirange"),
    (DATEMULTIRANGE, DATERANGE, "datemultirange"),
    (INT8MULTIRANGE, INT8RANGE, "int8multirange"),
];

/// The range type of multirange type `oid`, if it is one.
pub fn multirange_range(oid: u32) -> Option<u32> {
    MULTIRANGES
        .iter()
        .find(|m| m.0 == oid)
        .map(|m| m.1)
        .or_else(|| crate::typcache::multirange_range(oid))
}

/// The multirange type over range type `oid`, if it is one.
pub fn multirange_of(oid: u32) -> Option<u32> {
    MULTIRANGES
        .iter()
        .find(|m| m.1 == oid)
        .map(|m| m.0)
        .or_else(|| crate::typcache::multirange_of(oid))
}

/// Whether range type `oid` is discrete (has a canonical form).
pub fn range_is_discrete(oid: u32) -> bool {
    RANGES.iter().any(|r| r.0 == oid && r.3)
}

/// (element type, array type, SQL name, internal name) of every array type.
const ARRAYS: &[(u32, u32, &str, &str)] = &[
    (BOOL, BOOL_ARRAY, "boolean[]", "_bool"),
    (RECORD, RECORD_ARRAY, "record[]", "_record"),
    (BYTEA, BYTEA_ARRAY, "bytea[]", "_bytea"),
    (CHAR, CHAR_ARRAY, "\"char\"[]", "_char"),
    (NAME, NAME_ARRAY, "name[]", "_name"),
    (INT2, INT2_ARRAY, "smallint[]", "_int2"),
    (INT4, INT4_ARRAY, "integer[]", "_int4"),
    (TEXT, TEXT_ARRAY, "text[]", "_text"),
    (REGTYPE, REGTYPE_ARRAY, "regtype[]", "_regtype"),
    (BPCHAR, BPCHAR_ARRAY, "character[]", "_bpchar"),
    (VARCHAR, VARCHAR_ARRAY, "character varying[]", "_varchar"),
    (INT8, INT8_ARRAY, "bigint[]", "_int8"),
    (FLOAT4, FLOAT4_ARRAY, "real[]", "_float4"),
    (FLOAT8, FLOAT8_ARRAY, "double precision[]", "_float8"),
    (OID, OID_ARRAY, "oid[]", "_oid"),
    (
        TIMESTAMP,
        TIMESTAMP_ARRAY,
        "timestamp without time zone[]",
        "_timestamp",
    ),
    (DATE, DATE_ARRAY, "date[]", "_date"),
    (TIME, TIME_ARRAY, "time without time zone[]", "_time"),
    (TIMETZ, TIMETZ_ARRAY, "time with time zone[]", "_timetz"),
    (
        TIMESTAMPTZ,
        TIMESTAMPTZ_ARRAY,
        "timestamp with time zone[]",
        "_timestamptz",
    ),
    (INTERVAL, INTERVAL_ARRAY, "interval[]", "_interval"),
    (NUMERIC, NUMERIC_ARRAY, "numeric[]", "_numeric"),
    (UUID, UUID_ARRAY, "uuid[]", "_uuid"),
    (JSON, JSON_ARRAY, "json[]", "_json"),
    (JSONB, JSONB_ARRAY, "jsonb[]", "_jsonb"),
    (JSONPATH, JSONPATH_ARRAY, "jsonpath[]", "_jsonpath"),
    (PG_LSN, PG_LSN_ARRAY, "pg_lsn[]", "_pg_lsn"),
    (TID, TID_ARRAY, "tid[]", "_tid"),
    (XID, XID_ARRAY, "xid[]", "_xid"),
    (CID, CID_ARRAY, "cid[]", "_cid"),
    (XID8, XID8_ARRAY, "xid8[]", "_xid8"),
    (
        PG_SNAPSHOT,
        PG_SNAPSHOT_ARRAY,
        "pg_snapshot[]",
        "_pg_snapshot",
    ),
    (
        TXID_SNAPSHOT,
        TXID_SNAPSHOT_ARRAY,
        "txid_snapshot[]",
        "_txid_snapshot",
    ),
    (INET, INET_ARRAY, "inet[]", "_inet"),
    (CIDR, CIDR_ARRAY, "cidr[]", "_cidr"),
    (MONEY, MONEY_ARRAY, "money[]", "_money"),
    (MACADDR, MACADDR_ARRAY, "macaddr[]", "_macaddr"),
    (MACADDR8, MACADDR8_ARRAY, "macaddr8[]", "_macaddr8"),
    (POINT, POINT_ARRAY, "point[]", "_point"),
    (LSEG, LSEG_ARRAY, "lseg[]", "_lseg"),
    (PATH, PATH_ARRAY, "path[]", "_path"),
    (BOX, BOX_ARRAY, "box[]", "_box"),
    (POLYGON, POLYGON_ARRAY, "polygon[]", "_polygon"),
    (LINE, LINE_ARRAY, "line[]", "_line"),
    (CIRCLE, CIRCLE_ARRAY, "circle[]", "_circle"),
    (TSVECTOR, TSVECTOR_ARRAY, "tsvector[]", "_tsvector"),
    (TSQUERY, TSQUERY_ARRAY, "tsquery[]", "_tsquery"),
    (BIT, BIT_ARRAY, "bit[]", "_bit"),
    (VARBIT, VARBIT_ARRAY, "bit varying[]", "_varbit"),
    (REGCONFIG, REGCONFIG_ARRAY, "regconfig[]", "_regconfig"),
    (INT4RANGE, INT4RANGE_ARRAY, "int4range[]", "_int4range"),
    (NUMRANGE, NUMRANGE_ARRAY, "numrange[]", "_numrange"),
    (TSRANGE, TSRANGE_ARRAY, "tsrange[]", "_tsrange"),
    (TSTZRANGE, TSTZRANGE_ARRAY, "tstzrange[]", "_tstzrange"),
    (DATERANGE, DATERANGE_ARRAY, "daterange[]", "_daterange"),
    (INT8RANGE, INT8RANGE_ARRAY, "int8range[]", "_int8range"),
    (
        INT4MULTIRANGE,
        INT4MULTIRANGE_ARRAY,
        "int4multirange[]",
        "_int4multirange",
    ),
    (
        NUMMULTIRANGE,
        NUMMULTIRANGE_ARRAY,
        "nummultirange[]",
        "_nummultirange",
    ),
    (
        TSMULTIRANGE,
        TSMULTIRANGE_ARRAY,
        "tsmultirange[]",
        "_tsmultirange",
    ),
    (
        TSTZMULTIRANGE,
        TSTZMULTIRANGE_ARRAY,
        "tstzmultirange[]",
        "_tstzmultirange",
    ),
    (
        DATEMULTIRANGE,
        DATEMULTIRANGE_ARRAY,
        "datemultirange[]",
        "_datemultirange",
    ),
    (
        INT8MULTIRANGE,
        INT8MULTIRANGE_ARRAY,
        "int8multirange[]",
        "_int8multirange",
    ),
];

/// The element type of array type `oid`, if it is one.
pub fn element_of(oid: u32) -> Option<u32> {
    ARRAYS
        .iter()
        .find(|a| a.1 == oid)
        .map(|a| a.0)
        .or_else(|| crate::typcache::element_of(oid))
}

/// Whether `oid` is a true array type (`integer[]`), not one that merely
/// has elements (`int2vector`, `point`, `name`).
pub fn is_array_type(oid: u32) -> bool {
    element_of(oid).is_some_and(|e| array_of(e) == Some(oid))
}

/// The type name as `format_type(oid, NULL)` prints it (`integer`, `character varying`).
pub fn type_name(oid: u32) -> &'static str {
    match oid {
        BOOL => "boolean",
        BYTEA => "bytea",
        CHAR => "\"char\"",
        NAME => "name",
        INT8 => "bigint",
        INT2 => "smallint",
        INT4 => "integer",
        TEXT => "text",
        OID => "oid",
        FLOAT4 => "real",
        FLOAT8 => "double precision",
        UNKNOWN => "unknown",
        BPCHAR => "character",
        VARCHAR => "character varying",
        DATE => "date",
        TIME => "time without time zone",
        TIMETZ => "time with time zone",
        TIMESTAMP => "timestamp without time zone",
        TIMESTAMPTZ => "timestamp with time zone",
        INTERVAL => "interval",
        NUMERIC => "numeric",
        UUID => "uuid",
        JSON => "json",
        JSONB => "jsonb",
        JSONPATH => "jsonpath",
        PG_LSN => "pg_lsn",
        TID => "tid",
        XID => "xid",
        CID => "cid",
        XID8 => "xid8",
        PG_SNAPSHOT => "pg_snapshot",
        TXID_SNAPSHOT => "txid_snapshot",
        INET => "inet",
        CIDR => "cidr",
        MONEY => "money",
        MACADDR => "macaddr",
        MACADDR8 => "macaddr8",
        POINT => "point",
        LSEG => "lseg",
        PATH => "path",
        BOX => "box",
        POLYGON => "polygon",
        LINE => "line",
        CIRCLE => "circle",
        TSVECTOR => "tsvector",
        TSQUERY => "tsquery",
        BIT => "bit",
        VARBIT => "bit varying",
        REGCONFIG => "regconfig",
        REGCLASS => "regclass",
        REGTYPE => "regtype",
        REGPROC => "regproc",
        REGNAMESPACE => "regnamespace",
        RECORD => "record",
        VOID => "void",
        TRIGGER => "trigger",
        PG_NODE_TREE => "pg_node_tree",
        PG_NDISTINCT => "pg_ndistinct",
        PG_DEPENDENCIES => "pg_dependencies",
        PG_MCV_LIST => "pg_mcv_list",
        INT2VECTOR => "int2vector",
        OIDVECTOR => "oidvector",
        ANYRANGE => "anyrange",
        ANYMULTIRANGE => "anymultirange",
        ANYENUM => "anyenum",
        ANYELEMENT => "anyelement",
        ANY => "\"any\"",
        ANYARRAY => "anyarray",
        ANYNONARRAY => "anynonarray",
        ANYCOMPATIBLE => "anycompatible",
        ANYCOMPATIBLEARRAY => "anycompatiblearray",
        ANYCOMPATIBLENONARRAY => "anycompatiblenonarray",
        ANYCOMPATIBLERANGE => "anycompatiblerange",
        ANYCOMPATIBLEMULTIRANGE => "anycompatiblemultirange",
        other if RANGES.iter().any(|r| r.0 == other) => {
            RANGES.iter().find(|r| r.0 == other).map_or("???", |r| r.2)
        }
        other if MULTIRANGES.iter().any(|m| m.0 == other) => MULTIRANGES
            .iter()
            .find(|m| m.0 == other)
            .map_or("???", |m| m.2),
        other => ARRAYS
            .iter()
            .find(|a| a.1 == other)
            .map(|a| a.2)
            .or_else(|| crate::typcache::type_name(other, false))
            .unwrap_or("???"),
    }
}

/// The internal name of the type (`pg_type.typname`: `int4`, `varchar`, `timestamptz`).
/// A cast's output column is named after it (`SELECT 1::integer` is column `int4`).
pub fn internal_name(oid: u32) -> &'static str {
    match oid {
        BOOL => "bool",
        BYTEA => "bytea",
        CHAR => "char",
        NAME => "name",
        INT8 => "int8",
        INT2 => "int2",
        INT4 => "int4",
        TEXT => "text",
        OID => "oid",
        FLOAT4 => "float4",
        FLOAT8 => "float8",
        UNKNOWN => "unknown",
        BPCHAR => "bpchar",
        VARCHAR => "varchar",
        DATE => "date",
        TIME => "time",
        TIMETZ => "timetz",
        TIMESTAMP => "timestamp",
        TIMESTAMPTZ => "timestamptz",
        INTERVAL => "interval",
        NUMERIC => "numeric",
        UUID => "uuid",
        JSON => "json",
        JSONB => "jsonb",
        JSONPATH => "jsonpath",
        PG_LSN => "pg_lsn",
        TID => "tid",
        XID => "xid",
        CID => "cid",
        XID8 => "xid8",
        PG_SNAPSHOT => "pg_snapshot",
        TXID_SNAPSHOT => "txid_snapshot",
        INET => "inet",
        CIDR => "cidr",
        MONEY => "money",
        MACADDR => "macaddr",
        MACADDR8 => "macaddr8",
        POINT => "point",
        LSEG => "lseg",
        PATH => "path",
        BOX => "box",
        POLYGON => "polygon",
        LINE => "line",
        CIRCLE => "circle",
        TSVECTOR => "tsvector",
        TSQUERY => "tsquery",
        BIT => "bit",
        VARBIT => "varbit",
        REGCONFIG => "regconfig",
        REGCLASS => "regclass",
        REGTYPE => "regtype",
        REGPROC => "regproc",
        REGNAMESPACE => "regnamespace",
        RECORD => "record",
        VOID => "void",
        TRIGGER => "trigger",
        PG_NODE_TREE => "pg_node_tree",
        PG_NDISTINCT => "pg_ndistinct",
        PG_DEPENDENCIES => "pg_dependencies",
        PG_MCV_LIST => "pg_mcv_list",
        INT2VECTOR => "int2vector",
        OIDVECTOR => "oidvector",
        ANYRANGE => "anyrange",
        ANYMULTIRANGE => "anymultirange",
        ANYENUM => "anyenum",
        ANYELEMENT => "anyelement",
        ANY => "\"any\"",
        ANYARRAY => "anyarray",
        ANYNONARRAY => "anynonarray",
        ANYCOMPATIBLE => "anycompatible",
        ANYCOMPATIBLEARRAY => "anycompatiblearray",
        ANYCOMPATIBLENONARRAY => "anycompatiblenonarray",
        ANYCOMPATIBLERANGE => "anycompatiblerange",
        ANYCOMPATIBLEMULTIRANGE => "anycompatiblemultirange",
        other if RANGES.iter().any(|r| r.0 == other) => {
            RANGES.iter().find(|r| r.0 == other).map_or("???", |r| r.2)
        }
        other if MULTIRANGES.iter().any(|m| m.0 == other) => MULTIRANGES
            .iter()
            .find(|m| m.0 == other)
            .map_or("???", |m| m.2),
        other => ARRAYS
            .iter()
            .find(|a| a.1 == other)
            .map(|a| a.3)
            .or_else(|| crate::typcache::type_name(other, true))
            .unwrap_or("???"),
    }
}

/// `format_type(oid, typmod)`: the name with its modifier, as `\gdesc` shows it
/// (`numeric(10,2)`, `character varying(5)`).
pub fn format_type(oid: u32, typmod: i32) -> String {
    if typmod < 0 {
        return type_name(oid).to_string();
    }
    match oid {
        NUMERIC if typmod >= 4 => {
            let t = typmod - 4;
            format!(
                "numeric({},{})",
                (t >> 16) & 0xffff,
                ((t & 0x7ff) ^ 1024) - 1024
            )
        }
        VARCHAR | BPCHAR if typmod >= 4 => format!("{}({})", type_name(oid), typmod - 4),
        BIT => format!("bit({typmod})"),
        VARBIT => format!("bit varying({typmod})"),
        TIME => format!("time({typmod}) without time zone"),
        TIMETZ => format!("time({typmod}) with time zone"),
        TIMESTAMP => format!("timestamp({typmod}) without time zone"),
        TIMESTAMPTZ => format!("timestamp({typmod}) with time zone"),
        INTERVAL => format!("interval{}", crate::datum::interval::typmod_suffix(typmod)),
        _ if element_of(oid).is_some() => {
            format!("{}[]", format_type(element_of(oid).unwrap_or(oid), typmod))
        }
        _ => type_name(oid).to_string(),
    }
}

/// `pg_type.typlen`: the fixed size in bytes, or -1 for varlena and -2 for C strings.
pub fn typlen(oid: u32) -> i16 {
    match oid {
        BOOL | CHAR => 1,
        INT2 => 2,
        INT4 | OID | FLOAT4 | DATE | REGCLASS | REGTYPE | REGPROC | REGNAMESPACE | XID | CID => 4,
        INT8 | FLOAT8 | TIME | TIMESTAMP | TIMESTAMPTZ | PG_LSN | MONEY | MACADDR8 | XID8 => 8,
        MACADDR | TID => 6,
        INTERVAL | UUID | POINT => 16,
        LSEG | BOX => 32,
        LINE | CIRCLE => 24,
        TIMETZ => 12,
        NAME => 64,
        UNKNOWN => -2,
        VOID => 4,
        t if crate::typcache::is_enum(t) => 4,
        t if crate::typcache::is_domain(t) => typlen(crate::typcache::base_type(t)),
        _ => -1,
    }
}

/// The array type whose elements are `oid`, if we list one.
pub fn array_of(oid: u32) -> Option<u32> {
    ARRAYS
        .iter()
        .find(|a| a.0 == oid)
        .map(|a| a.1)
        .or_else(|| crate::typcache::array_of(oid))
}

/// True for the types whose values a [`crate::Datum`] of kind `Text` holds.
pub fn is_string_type(oid: u32) -> bool {
    matches!(oid, TEXT | VARCHAR | BPCHAR | NAME | UNKNOWN)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_and_modifiers() {
        assert_eq!(type_name(INT4), "integer");
        assert_eq!(internal_name(TIMESTAMPTZ), "timestamptz");
        assert_eq!(format_type(NUMERIC, ((10 << 16) | 2) + 4), "numeric(10,2)");
        assert_eq!(format_type(VARCHAR, 5), "character varying(1)");
        assert_eq!(typlen(INTERVAL), 16);
    }
}
