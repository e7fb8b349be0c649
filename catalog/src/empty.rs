//! The catalogs of objects that cannot be made here yet (casts,
//! text search, extensions, event triggers, large objects, security
//! labels, default privileges), with PostgreSQL 15's OIDs and
//! columns and no rows, so that clients' catalog queries (pg_dump's,
//! psql's `\dx`, `\dL`, ...) run and find nothing to list; and
//! `pg_language` and `pg_extension`, which hold initdb's rows (the four
//! languages, and plpgsql as an extension), and the text search catalogs,
//! which hold the parser, templates, dictionaries and configurations that
//! are built in. The foreign-data catalogs (`pg_foreign_data_wrapper`,
//! `pg_foreign_server`, `pg_user_mapping`, `pg_foreign_table`) are defined
//! here too and written by the backend's `commands::foreigncmds`; so are
//! `pg_operator` (user operators, `commands::operatorcmds`) and
//! `pg_opfamily`, `pg_amop` and `pg_amproc` (user operator families and
//! classes, `commands::opclasscmds`), whose `regproc` columns (`oprcode`,
//! `oprrest`, `oprjoin`, `amproc`) hold function names as `pg_aggregate`'s
//! do, since the built-in functions have no OIDs here.
//!
//! As elsewhere ([`crate::system`]), `aclitem[]` columns hold their items'
//! text and the other `regproc` columns are kept as OIDs (their catalogs
//! have no rows to print).

use types::Datum;
use types::oid::{self, BOOL, CHAR, INT2, INT4, NAME, OID, TEXT, TEXT_ARRAY};

use crate::role::BOOTSTRAP_SUPERUSER_OID;
use crate::system::{CatalogDef, PG_CATALOG_NAMESPACE, PLPGSQL_LANGUAGE_OID, c};

pub const PG_AMOP: u32 = 2602;
pub const PG_AMPROC: u32 = 2603;
pub const PG_CAST: u32 = 2605;
pub const PG_CONVERSION: u32 = 2607;
pub const PG_DEFAULT_ACL: u32 = 826;
pub const PG_EVENT_TRIGGER: u32 = 3466;
pub const PG_EXTENSION: u32 = 3079;
pub const PG_FOREIGN_DATA_WRAPPER: u32 = 2328;
pub const PG_FOREIGN_SERVER: u32 = 1417;
pub const PG_FOREIGN_TABLE: u32 = 3118;
pub const PG_INIT_PRIVS: u32 = 3394;
pub const PG_LANGUAGE: u32 = 2612;
pub const PG_LARGEOBJECT_METADATA: u32 = 2995;
pub const PG_OPERATOR: u32 = 2617;
pub const PG_OPFAMILY: u32 = 2753;
pub const PG_RANGE: u32 = 3541;
pub const PG_SECLABEL: u32 = 3596;
pub const PG_SHSECLABEL: u32 = 3592;
pub const PG_TRANSFORM: u32 = 3576;
pub const PG_TS_CONFIG: u32 = 3602;
pub const PG_TS_DICT: u32 = 3600;
pub const PG_TS_PARSER: u32 = 3601;
pub const PG_TS_TEMPLATE: u32 = 3764;
pub const PG_USER_MAPPING: u32 = 1418;

/// `pg_extension`'s OID of plpgsql (PostgreSQL 15's initdb gives it this one).
pub const PLPGSQL_EXTENSION_OID: u32 = 13_559;
/// The language handler functions of plpgsql (call, inline, validator).
const PLPGSQL_HANDLERS: [u32; 3] = [13_560, 13_561, 13_562];

const fn def(
    oid: u32,
    name: &'static str,
    rowtype_oid: u32,
    columns: &'static [crate::system::ColumnDef],
) -> CatalogDef {
    CatalogDef {
        oid,
        name,
        rowtype_oid,
        columns,
        shared: false,
    }
}

/// The per-database catalogs of this module, in creation order.
pub const CATALOGS: [CatalogDef; 23] = [
    def(
        PG_AMOP,
        "pg_amop",
        10017,
        &[
            c("oid", OID),
            c("amopfamily", OID),
            c("amoplefttype", OID),
            c("amoprighttype", OID),
            c("amopstrategy", INT2),
            c("amoppurpose", CHAR),
            c("amopopr", OID),
            c("amopmethod", OID),
            c("amopsortfamily", OID),
        ],
    ),
    def(
        PG_AMPROC,
        "pg_amproc",
        10019,
        &[
            c("oid", OID),
            c("amprocfamily", OID),
            c("amproclefttype", OID),
            c("amprocrighttype", OID),
            c("amprocnum", INT2),
            c("amproc", NAME),
        ],
    ),
    def(
        PG_CAST,
        "pg_cast",
        10043,
        &[
            c("oid", OID),
            c("castsource", OID),
            c("casttarget", OID),
            c("castfunc", OID),
            c("castcontext", CHAR),
            c("castmethod", CHAR),
        ],
    ),
    def(
        PG_CONVERSION,
        "pg_conversion",
        10049,
        &[
            c("oid", OID),
            c("conname", NAME),
            c("connamespace", OID),
            c("conowner", OID),
            c("conforencoding", INT4),
            c("contoencoding", INT4),
            c("conproc", OID),
            c("condefault", BOOL),
        ],
    ),
    def(
        PG_DEFAULT_ACL,
        "pg_default_acl",
        10088,
        &[
            c("oid", OID),
            c("defaclrole", OID),
            c("defaclnamespace", OID),
            c("defaclobjtype", CHAR),
            c("defaclacl", TEXT_ARRAY),
        ],
    ),
    def(
        PG_EVENT_TRIGGER,
        "pg_event_trigger",
        10039,
        &[
            c("oid", OID),
            c("evtname", NAME),
            c("evtevent", NAME),
            c("evtowner", OID),
            c("evtfoid", OID),
            c("evtenabled", CHAR),
            c("evttags", TEXT_ARRAY),
        ],
    ),
    def(
        PG_EXTENSION,
        "pg_extension",
        10074,
        &[
            c("oid", OID),
            c("extname", NAME),
            c("extowner", OID),
            c("extnamespace", OID),
            c("extrelocatable", BOOL),
            c("extversion", TEXT),
            c("extconfig", oid::OID_ARRAY),
            c("extcondition", TEXT_ARRAY),
        ],
    ),
    def(
        PG_FOREIGN_DATA_WRAPPER,
        "pg_foreign_data_wrapper",
        10076,
        &[
            c("oid", OID),
            c("fdwname", NAME),
            c("fdwowner", OID),
            c("fdwhandler", OID),
            c("fdwvalidator", OID),
            c("fdwacl", TEXT_ARRAY),
            c("fdwoptions", TEXT_ARRAY),
        ],
    ),
    def(
        PG_FOREIGN_SERVER,
        "pg_foreign_server",
        10078,
        &[
            c("oid", OID),
            c("srvname", NAME),
            c("srvowner", OID),
            c("srvfdw", OID),
            c("srvtype", TEXT),
            c("srvversion", TEXT),
            c("srvacl", TEXT_ARRAY),
            c("srvoptions", TEXT_ARRAY),
        ],
    ),
    def(
        PG_FOREIGN_TABLE,
        "pg_foreign_table",
        10082,
        &[
            c("ftrelid", OID),
            c("ftserver", OID),
            c("ftoptions", TEXT_ARRAY),
        ],
    ),
    def(
        PG_INIT_PRIVS,
        "pg_init_privs",
        10090,
        &[
            c("objoid", OID),
            c("classoid", OID),
            c("objsubid", INT4),
            c("privtype", CHAR),
            c("initprivs", TEXT_ARRAY),
        ],
    ),
    def(
        PG_LANGUAGE,
        "pg_language",
        10021,
        &[
            c("oid", OID),
            c("lanname", NAME),
            c("lanowner", OID),
            c("lanispl", BOOL),
            c("lanpltrusted", BOOL),
            c("lanplcallfoid", OID),
            c("laninline", OID),
            c("lanvalidator", OID),
            c("lanacl", TEXT_ARRAY),
        ],
    ),
    def(
        PG_LARGEOBJECT_METADATA,
        "pg_largeobject_metadata",
        10023,
        &[c("oid", OID), c("lomowner", OID), c("lomacl", TEXT_ARRAY)],
    ),
    def(
        PG_OPERATOR,
        "pg_operator",
        10009,
        &[
            c("oid", OID),
            c("oprname", NAME),
            c("oprnamespace", OID),
            c("oprowner", OID),
            c("oprkind", CHAR),
            c("oprcanmerge", BOOL),
            c("oprcanhash", BOOL),
            c("oprleft", OID),
            c("oprright", OID),
            c("oprresult", OID),
            c("oprcom", OID),
            c("oprnegate", OID),
            c("oprcode", NAME),
            c("oprrest", NAME),
            c("oprjoin", NAME),
        ],
    ),
    def(
        PG_OPFAMILY,
        "pg_opfamily",
        10011,
        &[
            c("oid", OID),
            c("opfmethod", OID),
            c("opfname", NAME),
            c("opfnamespace", OID),
            c("opfowner", OID),
        ],
    ),
    def(
        PG_RANGE,
        "pg_range",
        10101,
        &[
            c("rngtypid", OID),
            c("rngsubtype", OID),
            c("rngmultitypid", OID),
            c("rngcollation", OID),
            c("rngsubopc", OID),
            c("rngcanonical", OID),
            c("rngsubdiff", OID),
        ],
    ),
    def(
        PG_SECLABEL,
        "pg_seclabel",
        10092,
        &[
            c("objoid", OID),
            c("classoid", OID),
            c("objsubid", INT4),
            c("provider", TEXT),
            c("label", TEXT),
        ],
    ),
    def(
        PG_TRANSFORM,
        "pg_transform",
        10103,
        &[
            c("oid", OID),
            c("trftype", OID),
            c("trflang", OID),
            c("trffromsql", OID),
            c("trftosql", OID),
        ],
    ),
    def(
        PG_TS_CONFIG,
        "pg_ts_config",
        10064,
        &[
            c("oid", OID),
            c("cfgname", NAME),
            c("cfgnamespace", OID),
            c("cfgowner", OID),
            c("cfgparser", OID),
        ],
    ),
    def(
        PG_TS_DICT,
        "pg_ts_dict",
        10068,
        &[
            c("oid", OID),
            c("dictname", NAME),
            c("dictnamespace", OID),
            c("dictowner", OID),
            c("dicttemplate", OID),
            c("dictinitoption", TEXT),
        ],
    ),
    def(
        PG_TS_PARSER,
        "pg_ts_parser",
        10070,
        &[
            c("oid", OID),
            c("prsname", NAME),
            c("prsnamespace", OID),
            c("prsstart", OID),
            c("prstoken", OID),
            c("prsend", OID),
            c("prsheadline", OID),
            c("prslextype", OID),
        ],
    ),
    def(
        PG_TS_TEMPLATE,
        "pg_ts_template",
        10072,
        &[
            c("oid", OID),
            c("tmplname", NAME),
            c("tmplnamespace", OID),
            c("tmplinit", OID),
            c("tmpllexize", OID),
        ],
    ),
    def(
        PG_USER_MAPPING,
        "pg_user_mapping",
        10080,
        &[
            c("oid", OID),
            c("umuser", OID),
            c("umserver", OID),
            c("umoptions", TEXT_ARRAY),
        ],
    ),
];

pub const PG_DB_ROLE_SETTING: u32 = 2964;

/// `pg_db_role_setting` (shared): ALTER DATABASE / ROLE ... SET; empty.
pub const PG_DB_ROLE_SETTING_DEF: CatalogDef = CatalogDef {
    oid: PG_DB_ROLE_SETTING,
    name: "pg_db_role_setting",
    rowtype_oid: 10054,
    columns: &[
        c("setdatabase", OID),
        c("setrole", OID),
        c("setconfig", TEXT_ARRAY),
    ],
    shared: true,
};

/// `pg_shseclabel` (shared): security labels of shared objects; empty.
pub const PG_SHSECLABEL_DEF: CatalogDef = CatalogDef {
    oid: PG_SHSECLABEL,
    name: "pg_shseclabel",
    rowtype_oid: 4066,
    columns: &[
        c("objoid", OID),
        c("classoid", OID),
        c("provider", TEXT),
        c("label", TEXT),
    ],
    shared: true,
};

/// The `pg_language` rows initdb writes: internal, c, sql (with their
/// validators' OIDs) and plpgsql.
pub fn language_rows() -> Vec<Vec<Datum>> {
    let [call, inline, validator] = PLPGSQL_HANDLERS;
    [
        (12, "internal", false, false, 0, 0, 2246),
        (13, "c", false, false, 0, 0, 2247),
        (
            crate::system::SQL_LANGUAGE_OID,
            "sql",
            false,
            true,
            0,
            0,
            2248,
        ),
        (
            PLPGSQL_LANGUAGE_OID,
            "plpgsql",
            true,
            true,
            call,
            inline,
            validator,
        ),
    ]
    .into_iter()
    .map(|(oid, name, ispl, trusted, call, inline, validator)| {
        vec![
            Datum::Oid(oid),
            Datum::Text(name.into()),
            Datum::Oid(BOOTSTRAP_SUPERUSER_OID),
            Datum::Bool(ispl),
            Datum::Bool(trusted),
            Datum::Oid(call),
            Datum::Oid(inline),
            Datum::Oid(validator),
            Datum::Null,
        ]
    })
    .collect()
}

/// The text search objects that exist (see `executor::functions::tsearch`):
/// the default parser, the simple and snowball templates, the simple and
/// english_stem dictionaries, the simple and english configurations, with
/// PostgreSQL 15's OIDs. The parser's and templates' functions are kept as
/// OIDs, as the other `regproc` columns here.
pub fn ts_parser_rows() -> Vec<Vec<Datum>> {
    vec![vec![
        Datum::Oid(3722),
        Datum::Text("default".into()),
        Datum::Oid(PG_CATALOG_NAMESPACE),
        Datum::Oid(3717),
        Datum::Oid(3718),
        Datum::Oid(3719),
        Datum::Oid(3720),
        Datum::Oid(3721),
    ]]
}

/// See [`ts_parser_rows`].
pub fn ts_template_rows() -> Vec<Vec<Datum>> {
    [
        (3727, "simple", 3725, 3726),
        (13150, "snowball", 13148, 13149),
    ]
    .into_iter()
    .map(|(oid, name, init, lexize)| {
        vec![
            Datum::Oid(oid),
            Datum::Text(name.into()),
            Datum::Oid(PG_CATALOG_NAMESPACE),
            Datum::Oid(init),
            Datum::Oid(lexize),
        ]
    })
    .collect()
}

/// See [`ts_parser_rows`].
pub fn ts_dict_rows() -> Vec<Vec<Datum>> {
    [
        (3765, "simple", 3727, None),
        (
            13163,
            "english_stem",
            13150,
            Some("language = 'english', stopwords = 'english'"),
        ),
    ]
    .into_iter()
    .map(|(oid, name, template, init)| {
        vec![
            Datum::Oid(oid),
            Datum::Text(name.into()),
            Datum::Oid(PG_CATALOG_NAMESPACE),
            Datum::Oid(BOOTSTRAP_SUPERUSER_OID),
            Datum::Oid(template),
            init.map_or(Datum::Null, |s: &str| Datum::Text(s.into())),
        ]
    })
    .collect()
}

/// See [`ts_parser_rows`].
pub fn ts_config_rows() -> Vec<Vec<Datum>> {
    types::datum::tsearch::CONFIGS
        .iter()
        .map(|&(name, oid)| {
            vec![
                Datum::Oid(oid),
                Datum::Text(name.into()),
                Datum::Oid(PG_CATALOG_NAMESPACE),
                Datum::Oid(BOOTSTRAP_SUPERUSER_OID),
                Datum::Oid(3722),
            ]
        })
        .collect()
}

/// The `pg_extension` row initdb writes: plpgsql 1.0 in pg_catalog.
pub fn extension_rows() -> Vec<Vec<Datum>> {
    vec![vec![
        Datum::Oid(PLPGSQL_EXTENSION_OID),
        Datum::Text("plpgsql".into()),
        Datum::Oid(BOOTSTRAP_SUPERUSER_OID),
        Datum::Oid(PG_CATALOG_NAMESPACE),
        Datum::Bool(false),
        Datum::Text("1.0".into()),
        Datum::Null,
        Datum::Null,
    ]]
}
