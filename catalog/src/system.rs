//! The system catalogs as heap relations: their OIDs, columns and the rows
//! initdb writes (PostgreSQL's `catalog/*.h` + `*.dat`).
//!
//! Every database has its own copy of the per-database catalogs in
//! `base/<db>/<catalog oid>`: the relfilenode of a system catalog is its OID
//! (PostgreSQL maps a few of them through `pg_filenode.map`; we never rewrite a
//! catalog, so the identity is enough).
//!
//! Columns carry PostgreSQL 15's names and order, limited to the types that can
//! be stored today: the array-, `aclitem`-, `regproc`- and `xid`-typed columns
//! (`relacl`, `reloptions`, `relfrozenxid`, `typinput`, ...) are not there yet
//! and arrive with array and reg* types (the SQL and client-tools issues).

use storage::heap::tuple::{Align, TupleDesc, type_storage};
use types::oid::{self, PG_NODE_TREE};
use types::{Datum, PgResult};

use crate::role::BOOTSTRAP_SUPERUSER_OID;

pub const PG_TYPE: u32 = 1247;
pub const PG_ATTRIBUTE: u32 = 1249;
pub const PG_CLASS: u32 = 1259;
pub const PG_ATTRDEF: u32 = 2604;
pub const PG_NAMESPACE: u32 = 2615;
pub const PG_INDEX: u32 = 2610;
pub const PG_DATABASE: u32 = 1262;
pub const PG_AUTHID: u32 = 1260;
pub const PG_SEQUENCE: u32 = 2224;
pub const PG_DEPEND: u32 = 2608;
pub const PG_CONSTRAINT: u32 = 2606;
pub const PG_REWRITE: u32 = 2618;
pub const PG_PROC: u32 = 1255;
pub const PG_AGGREGATE: u32 = 2600;
pub const PG_ENUM: u32 = 3501;
/// `pg_global`, the tablespace of shared catalogs.
pub const GLOBAL_TABLESPACE_OID: u32 = 1664;

pub const PG_CATALOG_NAMESPACE: u32 = 11;
pub const PG_TOAST_NAMESPACE: u32 = 99;
pub const PUBLIC_NAMESPACE: u32 = 2200;
/// `information_schema`, with PostgreSQL 15's OID (initdb makes it right
/// after the system views). Its views are the backend's
/// (`backend::infoschema`); its functions are rows of `pg_proc`
/// ([`information_schema_proc_rows`]).
pub const INFORMATION_SCHEMA_NAMESPACE: u32 = 13_207;
/// `pg_database_owner`, the owner of schema public in PostgreSQL 15.
pub const PG_DATABASE_OWNER: u32 = 6171;
/// The heap access method (`pg_am`).
pub const HEAP_AM_OID: u32 = 2;
/// The B-tree index access method (`pg_am`).
pub const BTREE_AM_OID: u32 = 403;
/// `pg_default`, the default tablespace.
pub const DEFAULT_TABLESPACE_OID: u32 = 1663;

/// One column of a system catalog.
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    pub name: &'static str,
    pub type_oid: u32,
}

pub(crate) const fn c(name: &'static str, type_oid: u32) -> ColumnDef {
    ColumnDef { name, type_oid }
}

/// A system catalog.
#[derive(Debug, Clone, Copy)]
pub struct CatalogDef {
    pub oid: u32,
    pub name: &'static str,
    /// `reltype`: its composite row type.
    pub rowtype_oid: u32,
    pub columns: &'static [ColumnDef],
    /// A shared catalog lives once per cluster, in `global/`.
    pub shared: bool,
}

use oid::{BOOL, CHAR, FLOAT4, INT2, INT4, NAME, OID};

pub const PG_NAMESPACE_DEF: CatalogDef = CatalogDef {
    oid: PG_NAMESPACE,
    name: "pg_namespace",
    rowtype_oid: 10047,
    columns: &[
        c("oid", OID),
        c("nspname", NAME),
        c("nspowner", OID),
        // aclitem[] in PostgreSQL: its items' text here (see crate::acl).
        c("nspacl", oid::TEXT_ARRAY),
    ],
    shared: false,
};

pub const PG_CLASS_DEF: CatalogDef = CatalogDef {
    oid: PG_CLASS,
    name: "pg_class",
    rowtype_oid: 83,
    columns: &[
        c("oid", OID),
        c("relname", NAME),
        c("relnamespace", OID),
        c("reltype", OID),
        c("reloftype", OID),
        c("relowner", OID),
        c("relam", OID),
        c("relfilenode", OID),
        c("reltablespace", OID),
        c("relpages", INT4),
        c("reltuples", FLOAT4),
        c("relallvisible", INT4),
        c("reltoastrelid", OID),
        c("relhasindex", BOOL),
        c("relisshared", BOOL),
        c("relpersistence", CHAR),
        c("relkind", CHAR),
        c("relnatts", INT2),
        c("relchecks", INT2),
        c("relhasrules", BOOL),
        c("relhastriggers", BOOL),
        c("relhassubclass", BOOL),
        c("relrowsecurity", BOOL),
        c("relforcerowsecurity", BOOL),
        c("relispopulated", BOOL),
        c("relreplident", CHAR),
        c("relispartition", BOOL),
        c("relrewrite", OID),
        // xid in PostgreSQL (no xid type here yet): 0, as PostgreSQL has
        // for relations without storage; nothing freezes by them.
        c("relfrozenxid", OID),
        c("relminmxid", OID),
        // aclitem[] in PostgreSQL: its items' text here (see crate::acl).
        c("relacl", oid::TEXT_ARRAY),
        c("reloptions", oid::TEXT_ARRAY),
        c("relpartbound", PG_NODE_TREE),
    ],
    shared: false,
};

pub const PG_ATTRIBUTE_DEF: CatalogDef = CatalogDef {
    oid: PG_ATTRIBUTE,
    name: "pg_attribute",
    rowtype_oid: 75,
    columns: &[
        c("attrelid", OID),
        c("attname", NAME),
        c("atttypid", OID),
        c("attstattarget", INT4),
        c("attlen", INT2),
        c("attnum", INT2),
        c("attndims", INT4),
        c("attcacheoff", INT4),
        c("atttypmod", INT4),
        c("attbyval", BOOL),
        c("attalign", CHAR),
        c("attstorage", CHAR),
        c("attcompression", CHAR),
        c("attnotnull", BOOL),
        c("atthasdef", BOOL),
        c("atthasmissing", BOOL),
        c("attidentity", CHAR),
        c("attgenerated", CHAR),
        c("attisdropped", BOOL),
        c("attislocal", BOOL),
        c("attinhcount", INT4),
        c("attcollation", OID),
        // aclitem[] in PostgreSQL: its items' text here (see crate::acl).
        c("attacl", oid::TEXT_ARRAY),
        // Always NULL: no column options or missing values.
        c("attoptions", oid::TEXT_ARRAY),
        c("attfdwoptions", oid::TEXT_ARRAY),
        c("attmissingval", oid::ANYARRAY),
    ],
    shared: false,
};

pub const PG_TYPE_DEF: CatalogDef = CatalogDef {
    oid: PG_TYPE,
    name: "pg_type",
    rowtype_oid: 71,
    columns: &[
        c("oid", OID),
        c("typname", NAME),
        c("typnamespace", OID),
        c("typowner", OID),
        c("typlen", INT2),
        c("typbyval", BOOL),
        c("typtype", CHAR),
        c("typcategory", CHAR),
        c("typispreferred", BOOL),
        c("typisdefined", BOOL),
        c("typdelim", CHAR),
        c("typrelid", OID),
        c("typelem", OID),
        c("typarray", OID),
        c("typalign", CHAR),
        c("typstorage", CHAR),
        c("typnotnull", BOOL),
        c("typbasetype", OID),
        c("typtypmod", INT4),
        c("typndims", INT4),
        c("typcollation", OID),
        // A domain's default: its SQL text in both (we keep no node trees).
        c("typdefaultbin", PG_NODE_TREE),
        c("typdefault", oid::TEXT),
        // aclitem[] in PostgreSQL; always NULL (default privileges) here.
        c("typacl", oid::TEXT_ARRAY),
    ],
    shared: false,
};

pub const PG_ATTRDEF_DEF: CatalogDef = CatalogDef {
    oid: PG_ATTRDEF,
    name: "pg_attrdef",
    rowtype_oid: 10001,
    columns: &[
        c("oid", OID),
        c("adrelid", OID),
        c("adnum", INT2),
        c("adbin", PG_NODE_TREE),
    ],
    shared: false,
};

pub const PG_DATABASE_DEF: CatalogDef = CatalogDef {
    oid: PG_DATABASE,
    name: "pg_database",
    rowtype_oid: 1248,
    columns: &[
        c("oid", OID),
        c("datname", NAME),
        c("datdba", OID),
        c("encoding", INT4),
        c("datlocprovider", CHAR),
        c("datistemplate", BOOL),
        c("datallowconn", BOOL),
        c("datconnlimit", INT4),
        // xid in PostgreSQL (no xid type here yet): the first normal
        // transaction and multixact ids; nothing freezes by them.
        c("datfrozenxid", OID),
        c("datminmxid", OID),
        c("dattablespace", OID),
        c("datcollate", oid::TEXT),
        c("datctype", oid::TEXT),
        c("daticulocale", oid::TEXT),
        c("datcollversion", oid::TEXT),
        // aclitem[] in PostgreSQL: its items' text here.
        c("datacl", oid::TEXT_ARRAY),
    ],
    shared: true,
};

pub const PG_INDEX_DEF: CatalogDef = CatalogDef {
    oid: PG_INDEX,
    name: "pg_index",
    rowtype_oid: 10007,
    columns: &[
        c("indexrelid", OID),
        c("indrelid", OID),
        c("indnatts", INT2),
        c("indnkeyatts", INT2),
        c("indisunique", BOOL),
        c("indnullsnotdistinct", BOOL),
        c("indisprimary", BOOL),
        c("indisexclusion", BOOL),
        c("indimmediate", BOOL),
        c("indisclustered", BOOL),
        c("indisvalid", BOOL),
        c("indcheckxmin", BOOL),
        c("indisready", BOOL),
        c("indislive", BOOL),
        c("indisreplident", BOOL),
        c("indkey", oid::INT2VECTOR),
        c("indcollation", oid::OIDVECTOR),
        c("indclass", oid::OIDVECTOR),
        c("indoption", oid::INT2VECTOR),
        c("indexprs", PG_NODE_TREE),
        c("indpred", PG_NODE_TREE),
    ],
    shared: false,
};

pub const PG_SEQUENCE_DEF: CatalogDef = CatalogDef {
    oid: PG_SEQUENCE,
    name: "pg_sequence",
    rowtype_oid: 10105,
    columns: &[
        c("seqrelid", OID),
        c("seqtypid", OID),
        c("seqstart", oid::INT8),
        c("seqincrement", oid::INT8),
        c("seqmax", oid::INT8),
        c("seqmin", oid::INT8),
        c("seqcache", oid::INT8),
        c("seqcycle", BOOL),
    ],
    shared: false,
};

/// What a `pg_sequence` row says: a sequence's parameters (its current value
/// is in the sequence relation itself, changed outside transactions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceRow {
    pub relid: u32,
    pub type_oid: u32,
    pub start: i64,
    pub increment: i64,
    pub max: i64,
    pub min: i64,
    pub cache: i64,
    pub cycle: bool,
}

impl SequenceRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.relid),
            Datum::Oid(self.type_oid),
            Datum::Int8(self.start),
            Datum::Int8(self.increment),
            Datum::Int8(self.max),
            Datum::Int8(self.min),
            Datum::Int8(self.cache),
            Datum::Bool(self.cycle),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> SequenceRow {
        let oid_at = |i: usize| match r.get(i) {
            Some(Datum::Oid(v)) => *v,
            _ => 0,
        };
        let i64_at = |i: usize| match r.get(i) {
            Some(Datum::Int8(v)) => *v,
            _ => 0,
        };
        SequenceRow {
            relid: oid_at(0),
            type_oid: oid_at(1),
            start: i64_at(2),
            increment: i64_at(3),
            max: i64_at(4),
            min: i64_at(5),
            cache: i64_at(6),
            cycle: matches!(r.get(7), Some(Datum::Bool(true))),
        }
    }
}

pub const PG_DEPEND_DEF: CatalogDef = CatalogDef {
    oid: PG_DEPEND,
    name: "pg_depend",
    rowtype_oid: 10051,
    columns: &[
        c("classid", OID),
        c("objid", OID),
        c("objsubid", INT4),
        c("refclassid", OID),
        c("refobjid", OID),
        c("refobjsubid", INT4),
        c("deptype", CHAR),
    ],
    shared: false,
};

/// `pg_depend.deptype`: dropped automatically with the referenced object
/// (a sequence OWNED BY a column).
pub const DEPENDENCY_AUTO: char = 'a';
/// `pg_depend.deptype`: part of the referenced object's implementation (an
/// identity column's sequence).
pub const DEPENDENCY_INTERNAL: char = 'i';
/// `pg_depend.deptype`: an ordinary dependency (a serial column's default
/// on its sequence).
pub const DEPENDENCY_NORMAL: char = 'n';

/// A `pg_depend` row: object (classid, objid, objsubid) depends on object
/// (refclassid, refobjid, refobjsubid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DependRow {
    pub classid: u32,
    pub objid: u32,
    pub objsubid: i32,
    pub refclassid: u32,
    pub refobjid: u32,
    pub refobjsubid: i32,
    pub deptype: char,
}

impl DependRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.classid),
            Datum::Oid(self.objid),
            Datum::Int4(self.objsubid),
            Datum::Oid(self.refclassid),
            Datum::Oid(self.refobjid),
            Datum::Int4(self.refobjsubid),
            ch(self.deptype),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> DependRow {
        let oid_at = |i: usize| match r.get(i) {
            Some(Datum::Oid(v)) => *v,
            _ => 0,
        };
        let i32_at = |i: usize| match r.get(i) {
            Some(Datum::Int4(v)) => *v,
            _ => 0,
        };
        DependRow {
            classid: oid_at(0),
            objid: oid_at(1),
            objsubid: i32_at(2),
            refclassid: oid_at(3),
            refobjid: oid_at(4),
            refobjsubid: i32_at(5),
            deptype: match r.get(6) {
                Some(Datum::Text(s)) => s.chars().next().unwrap_or('\0'),
                _ => '\0',
            },
        }
    }
}

pub const PG_CONSTRAINT_DEF: CatalogDef = CatalogDef {
    oid: PG_CONSTRAINT,
    name: "pg_constraint",
    rowtype_oid: 10003,
    columns: &[
        c("oid", OID),
        c("conname", NAME),
        c("connamespace", OID),
        c("contype", CHAR),
        c("condeferrable", BOOL),
        c("condeferred", BOOL),
        c("convalidated", BOOL),
        c("conrelid", OID),
        c("contypid", OID),
        c("conindid", OID),
        c("conparentid", OID),
        c("confrelid", OID),
        c("confupdtype", CHAR),
        c("confdeltype", CHAR),
        c("confmatchtype", CHAR),
        c("conislocal", BOOL),
        c("coninhcount", INT4),
        c("connoinherit", BOOL),
        // int2[] in PostgreSQL; stored like pg_index.indkey until arrays
        // can be.
        c("conkey", oid::INT2_ARRAY),
        c("confkey", oid::INT2_ARRAY),
        c("conbin", PG_NODE_TREE),
    ],
    shared: false,
};

pub const PG_REWRITE_DEF: CatalogDef = CatalogDef {
    oid: PG_REWRITE,
    name: "pg_rewrite",
    rowtype_oid: 10035,
    columns: &[
        c("oid", OID),
        c("rulename", NAME),
        c("ev_class", OID),
        c("ev_type", CHAR),
        c("ev_enabled", CHAR),
        c("is_instead", BOOL),
        c("ev_qual", PG_NODE_TREE),
        // A view's query as SQL text (PostgreSQL keeps a node tree).
        c("ev_action", PG_NODE_TREE),
    ],
    shared: false,
};

/// A `pg_rewrite` row of a rule made by CREATE RULE (a view's `_RETURN`
/// rule is [`view_rule_row`]). PostgreSQL keeps node trees in `ev_qual`
/// and `ev_action`; we keep SQL text: the qualification's expression
/// (`<>` when there is none) and the actions' statements separated by
/// `;` (`<>` for NOTHING), re-parsed when a statement is rewritten.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleRow {
    pub oid: u32,
    pub name: String,
    pub relid: u32,
    /// `1` SELECT, `2` UPDATE, `3` INSERT, `4` DELETE.
    pub ev_type: char,
    /// `O` enabled, `D` disabled (also `R`, `A` as PostgreSQL).
    pub enabled: char,
    pub is_instead: bool,
    pub qual: Option<String>,
    /// The actions' SQL text; empty for NOTHING.
    pub actions: String,
}

impl RuleRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.relid),
            ch(self.ev_type),
            ch(self.enabled),
            Datum::Bool(self.is_instead),
            Datum::Text(self.qual.clone().unwrap_or_else(|| "<>".into())),
            Datum::Text(if self.actions.is_empty() {
                "<>".into()
            } else {
                self.actions.clone()
            }),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> RuleRow {
        let text = |i: usize| match r.get(i) {
            Some(Datum::Text(s)) => s.clone(),
            _ => String::new(),
        };
        let chr = |i: usize| match r.get(i) {
            Some(Datum::Text(s)) => s.chars().next().unwrap_or(' '),
            _ => ' ',
        };
        let qual = text(6);
        let actions = text(7);
        RuleRow {
            oid: match r.first() {
                Some(Datum::Oid(v)) => *v,
                _ => 0,
            },
            name: text(1),
            relid: match r.get(2) {
                Some(Datum::Oid(v)) => *v,
                _ => 0,
            },
            ev_type: chr(3),
            enabled: chr(4),
            is_instead: matches!(r.get(5), Some(Datum::Bool(true))),
            qual: (qual != "<>" && !qual.is_empty()).then_some(qual),
            actions: if actions == "<>" {
                String::new()
            } else {
                actions
            },
        }
    }
}

/// A view's `_RETURN` rule: `pg_rewrite` row of relation `relid` whose
/// action is the SELECT `query`.
pub fn view_rule_row(oid: u32, relid: u32, query: &str) -> Vec<Datum> {
    vec![
        Datum::Oid(oid),
        Datum::Text("_RETURN".into()),
        Datum::Oid(relid),
        ch('1'),
        ch('O'),
        Datum::Bool(true),
        Datum::Text("<>".into()),
        Datum::Text(query.to_owned()),
    ]
}

pub const PG_PROC_DEF: CatalogDef = CatalogDef {
    oid: PG_PROC,
    name: "pg_proc",
    rowtype_oid: 81,
    columns: &[
        c("oid", OID),
        c("proname", NAME),
        c("pronamespace", OID),
        c("proowner", OID),
        c("prolang", OID),
        c("prokind", CHAR),
        c("provolatile", CHAR),
        c("proisstrict", BOOL),
        c("proretset", BOOL),
        c("pronargs", INT2),
        c("prorettype", OID),
        c("proargtypes", oid::OIDVECTOR),
        c("proargnames", oid::TEXT_ARRAY),
        c("prosrc", oid::TEXT),
        c("proallargtypes", oid::OID_ARRAY),
        c("proargmodes", oid::CHAR_ARRAY),
        c("pronargdefaults", INT2),
        c("proargdefaults", oid::TEXT_ARRAY),
        c("procost", FLOAT4),
        c("prorows", FLOAT4),
        c("prosecdef", BOOL),
        c("proleakproof", BOOL),
        c("proparallel", CHAR),
        c("proconfig", oid::TEXT_ARRAY),
        // The VARIADIC argument's element type (0 for none), then
        // PostgreSQL's columns we have nothing for (transforms, C functions
        // or SQL-standard bodies): NULL.
        c("provariadic", OID),
        c("protrftypes", oid::OID_ARRAY),
        c("probin", oid::TEXT),
        c("prosqlbody", PG_NODE_TREE),
        // aclitem[] in PostgreSQL: its items' text here (see crate::acl).
        c("proacl", oid::TEXT_ARRAY),
    ],
    shared: false,
};

/// `pg_language` OID of SQL-language functions.
pub const SQL_LANGUAGE_OID: u32 = 14;
/// `pg_language` OID of PL/pgSQL (PostgreSQL 15's initdb gives it this one).
pub const PLPGSQL_LANGUAGE_OID: u32 = 13_563;

/// What a `pg_proc` row says (user functions only: built-in functions are
/// not catalog rows here).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcRow {
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    pub owner: u32,
    pub volatility: char,
    pub strict: bool,
    pub ret_type: u32,
    /// `proargtypes`: the types of the input arguments.
    pub arg_types: Vec<u32>,
    /// `proargnames`: the names of all arguments, OUT ones too ("" for an
    /// unnamed one).
    pub arg_names: Vec<String>,
    pub body: String,
    /// `proallargtypes`: every argument's type, OUT ones too; empty (NULL)
    /// when all are IN.
    pub all_arg_types: Vec<u32>,
    /// `proargmodes`: `i` IN, `o` OUT, `b` INOUT, `v` VARIADIC, `t` TABLE
    /// column; empty (NULL) when all are IN.
    pub arg_modes: Vec<char>,
    /// The defaults of the last input arguments, as SQL text
    /// (`proargdefaults`; PostgreSQL stores expression trees).
    pub arg_defaults: Vec<String>,
    /// `prolang`: [`SQL_LANGUAGE_OID`] or [`PLPGSQL_LANGUAGE_OID`].
    pub language: u32,
    /// `prokind`: `f` function, `p` procedure.
    pub kind: char,
    /// `proretset`: the function returns a set (`RETURNS SETOF`, `TABLE`).
    pub retset: bool,
    /// `procost`: the planner's cost estimate, in units of cpu_operator_cost.
    pub cost: f32,
    /// `prorows`: the rows a set-returning function is estimated to give.
    pub rows: f32,
    /// `prosecdef`: SECURITY DEFINER.
    pub security_definer: bool,
    pub leakproof: bool,
    /// `proparallel`: `s` safe, `r` restricted, `u` unsafe.
    pub parallel: char,
    /// `proconfig`: the `name=value` settings the function runs with (its
    /// SET clauses), restored when it returns.
    pub config: Vec<String>,
    /// `proacl`: the items' text (see `crate::acl`); None is the default
    /// (EXECUTE for PUBLIC and the owner).
    pub acl: Option<Vec<String>>,
}

impl Eq for ProcRow {}

impl ProcRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.namespace),
            Datum::Oid(self.owner),
            Datum::Oid(self.language),
            ch(self.kind),
            ch(self.volatility),
            Datum::Bool(self.strict),
            Datum::Bool(self.retset),
            Datum::Int2(self.arg_types.len() as i16),
            Datum::Oid(self.ret_type),
            vector(&self.arg_types),
            Datum::Array(Box::new(types::datum::ArrayValue::new(
                oid::TEXT,
                self.arg_names.iter().cloned().map(Datum::Text).collect(),
            ))),
            Datum::Text(self.body.clone()),
            match self.all_arg_types.is_empty() {
                true => Datum::Null,
                false => Datum::Array(Box::new(types::datum::ArrayValue::new(
                    oid::OID,
                    self.all_arg_types.iter().map(|&t| Datum::Oid(t)).collect(),
                ))),
            },
            match self.arg_modes.is_empty() {
                true => Datum::Null,
                false => Datum::Array(Box::new(types::datum::ArrayValue::new(
                    oid::CHAR,
                    self.arg_modes.iter().map(|&m| ch(m)).collect(),
                ))),
            },
            Datum::Int2(self.arg_defaults.len() as i16),
            match self.arg_defaults.is_empty() {
                true => Datum::Null,
                false => Datum::Array(Box::new(types::datum::ArrayValue::new(
                    oid::TEXT,
                    self.arg_defaults.iter().cloned().map(Datum::Text).collect(),
                ))),
            },
            Datum::Float4(self.cost),
            Datum::Float4(self.rows),
            Datum::Bool(self.security_definer),
            Datum::Bool(self.leakproof),
            ch(self.parallel),
            match self.config.is_empty() {
                true => Datum::Null,
                false => Datum::Array(Box::new(types::datum::ArrayValue::new(
                    oid::TEXT,
                    self.config.iter().cloned().map(Datum::Text).collect(),
                ))),
            },
            Datum::Oid(self.variadic_element()),
            Datum::Null,
            Datum::Null,
            Datum::Null,
            acl_datum(&self.acl),
        ]
    }

    /// `provariadic`: the element type of the VARIADIC argument's array
    /// (`anyelement` for `anyarray`, `anycompatible` for
    /// `anycompatiblearray`); 0 when there is none.
    pub fn variadic_element(&self) -> u32 {
        let Some(i) = self.arg_modes.iter().position(|&m| m == 'v') else {
            return 0;
        };
        match self.all_arg_types.get(i).copied().unwrap_or(0) {
            oid::ANYARRAY => oid::ANYELEMENT,
            oid::ANYCOMPATIBLEARRAY => oid::ANYCOMPATIBLE,
            t => oid::element_of(t).unwrap_or(0),
        }
    }

    /// The names of the input arguments (IN, INOUT, VARIADIC), in order.
    pub fn in_arg_names(&self) -> Vec<String> {
        if self.arg_modes.is_empty() {
            return self.arg_names.clone();
        }
        self.arg_modes
            .iter()
            .enumerate()
            .filter(|(_, m)| matches!(m, 'i' | 'b' | 'v'))
            .map(|(i, _)| self.arg_names.get(i).cloned().unwrap_or_default())
            .collect()
    }

    /// The output columns of a function with OUT arguments or `RETURNS
    /// TABLE` (OUT, INOUT and TABLE ones): names and types; empty for
    /// one whose result is its return type alone.
    pub fn out_columns(&self) -> Vec<(String, u32)> {
        self.arg_modes
            .iter()
            .enumerate()
            .filter(|(_, m)| matches!(m, 'o' | 'b' | 't'))
            .map(|(i, _)| {
                (
                    self.arg_names.get(i).cloned().unwrap_or_default(),
                    self.all_arg_types.get(i).copied().unwrap_or(0),
                )
            })
            .collect()
    }

    pub fn from_datums(r: &[Datum]) -> ProcRow {
        let oid_at = |i: usize| match r.get(i) {
            Some(Datum::Oid(v)) => *v,
            _ => 0,
        };
        let text = |i: usize| match r.get(i) {
            Some(Datum::Text(s)) => s.clone(),
            _ => String::new(),
        };
        // The elements of array column `i` (empty for NULL).
        let elems = |i: usize| match r.get(i) {
            Some(Datum::Array(a)) => a.elems.clone(),
            _ => Vec::new(),
        };
        let texts = |i: usize| -> Vec<String> {
            elems(i)
                .into_iter()
                .map(|d| match d {
                    Datum::Text(s) => s,
                    _ => String::new(),
                })
                .collect()
        };
        ProcRow {
            oid: oid_at(0),
            name: text(1),
            namespace: oid_at(2),
            owner: oid_at(3),
            volatility: text(6).chars().next().unwrap_or('v'),
            strict: matches!(r.get(7), Some(Datum::Bool(true))),
            ret_type: oid_at(10),
            arg_types: parse_vector(r.get(11).unwrap_or(&Datum::Null)),
            arg_names: texts(12),
            body: text(13),
            language: match oid_at(4) {
                0 => SQL_LANGUAGE_OID,
                l => l,
            },
            kind: text(5).chars().next().unwrap_or('f'),
            retset: matches!(r.get(8), Some(Datum::Bool(true))),
            all_arg_types: elems(14)
                .into_iter()
                .map(|d| match d {
                    Datum::Oid(t) => t,
                    _ => 0,
                })
                .collect(),
            arg_modes: texts(15)
                .iter()
                .map(|m| m.chars().next().unwrap_or('i'))
                .collect(),
            arg_defaults: texts(17),
            cost: match r.get(18) {
                Some(Datum::Float4(v)) => *v,
                _ => 100.0,
            },
            rows: match r.get(19) {
                Some(Datum::Float4(v)) => *v,
                _ => 0.0,
            },
            security_definer: matches!(r.get(20), Some(Datum::Bool(true))),
            leakproof: matches!(r.get(21), Some(Datum::Bool(true))),
            parallel: text(22).chars().next().unwrap_or('u'),
            config: texts(23),
            acl: match r.get(28) {
                Some(Datum::Array(_)) => Some(texts(28)),
                _ => None,
            },
        }
    }
}

/// `pg_aggregate`: what makes a user aggregate (its `pg_proc` row has
/// `prokind` 'a'). The support functions are kept as the names they were
/// given (PostgreSQL's `regproc` columns print names too; `-` for none)
/// and resolved for the types of each call; `aggfnoid` is the aggregate's
/// `pg_proc` OID.
pub const PG_AGGREGATE_DEF: CatalogDef = CatalogDef {
    oid: PG_AGGREGATE,
    name: "pg_aggregate",
    rowtype_oid: 10027,
    columns: &[
        c("aggfnoid", OID),
        c("aggkind", CHAR),
        c("aggnumdirectargs", INT2),
        c("aggtransfn", NAME),
        c("aggfinalfn", NAME),
        c("aggcombinefn", NAME),
        c("aggserialfn", NAME),
        c("aggdeserialfn", NAME),
        c("aggmtransfn", NAME),
        c("aggminvtransfn", NAME),
        c("aggmfinalfn", NAME),
        c("aggfinalextra", BOOL),
        c("aggmfinalextra", BOOL),
        c("aggfinalmodify", CHAR),
        c("aggmfinalmodify", CHAR),
        c("aggsortop", OID),
        c("aggtranstype", OID),
        c("aggtransspace", INT4),
        c("aggmtranstype", OID),
        c("aggmtransspace", INT4),
        c("agginitval", oid::TEXT),
        c("aggminitval", oid::TEXT),
    ],
    shared: false,
};

/// What a `pg_aggregate` row says (see [`PG_AGGREGATE_DEF`]); a support
/// function left out is `-`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AggregateRow {
    pub fnoid: u32,
    pub transfn: String,
    pub finalfn: String,
    pub combinefn: String,
    pub serialfn: String,
    pub deserialfn: String,
    pub mtransfn: String,
    pub minvtransfn: String,
    pub mfinalfn: String,
    pub finalextra: bool,
    pub mfinalextra: bool,
    /// `r` read-only, `s` shareable, `w` read-write.
    pub finalmodify: char,
    pub mfinalmodify: char,
    pub sortop: u32,
    pub transtype: u32,
    pub transspace: i32,
    pub mtranstype: u32,
    pub mtransspace: i32,
    pub initval: Option<String>,
    pub minitval: Option<String>,
}

impl AggregateRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        let text = |s: &Option<String>| s.clone().map_or(Datum::Null, Datum::Text);
        vec![
            Datum::Oid(self.fnoid),
            ch('n'),
            Datum::Int2(0),
            Datum::Text(self.transfn.clone()),
            Datum::Text(self.finalfn.clone()),
            Datum::Text(self.combinefn.clone()),
            Datum::Text(self.serialfn.clone()),
            Datum::Text(self.deserialfn.clone()),
            Datum::Text(self.mtransfn.clone()),
            Datum::Text(self.minvtransfn.clone()),
            Datum::Text(self.mfinalfn.clone()),
            Datum::Bool(self.finalextra),
            Datum::Bool(self.mfinalextra),
            ch(self.finalmodify),
            ch(self.mfinalmodify),
            Datum::Oid(self.sortop),
            Datum::Oid(self.transtype),
            Datum::Int4(self.transspace),
            Datum::Oid(self.mtranstype),
            Datum::Int4(self.mtransspace),
            text(&self.initval),
            text(&self.minitval),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> AggregateRow {
        let oid_at = |i: usize| match r.get(i) {
            Some(Datum::Oid(v)) => *v,
            _ => 0,
        };
        let text = |i: usize| match r.get(i) {
            Some(Datum::Text(s)) => Some(s.clone()),
            _ => None,
        };
        let name = |i: usize| text(i).unwrap_or_else(|| "-".into());
        let flag = |i: usize| matches!(r.get(i), Some(Datum::Bool(true)));
        let int = |i: usize| match r.get(i) {
            Some(Datum::Int4(v)) => *v,
            _ => 0,
        };
        let letter = |i: usize| text(i).and_then(|s| s.chars().next()).unwrap_or('r');
        AggregateRow {
            fnoid: oid_at(0),
            transfn: name(3),
            finalfn: name(4),
            combinefn: name(5),
            serialfn: name(6),
            deserialfn: name(7),
            mtransfn: name(8),
            minvtransfn: name(9),
            mfinalfn: name(10),
            finalextra: flag(11),
            mfinalextra: flag(12),
            finalmodify: letter(13),
            mfinalmodify: letter(14),
            sortop: oid_at(15),
            transtype: oid_at(16),
            transspace: int(17),
            mtranstype: oid_at(18),
            mtransspace: int(19),
            initval: text(20),
            minitval: text(21),
        }
    }
}

/// `pg_constraint.contype` values.
pub const CONSTRAINT_CHECK: char = 'c';
pub const CONSTRAINT_FOREIGN: char = 'f';
pub const CONSTRAINT_PRIMARY: char = 'p';
pub const CONSTRAINT_UNIQUE: char = 'u';

/// What a `pg_constraint` row says. `conbin` holds the CHECK expression as
/// SQL text (PostgreSQL stores a node tree and prints it with
/// `pg_get_constraintdef`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintRow {
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    pub kind: char,
    pub deferrable: bool,
    pub deferred: bool,
    pub validated: bool,
    pub relid: u32,
    /// The index of a primary key, unique or foreign key constraint (for a
    /// foreign key, the referenced table's unique index).
    pub index: u32,
    /// A foreign key's referenced table.
    pub frelid: u32,
    /// A foreign key's ON UPDATE / ON DELETE action (`a` NO ACTION, `r`
    /// RESTRICT, `c` CASCADE, `n` SET NULL, `d` SET DEFAULT) and match type
    /// (`s` SIMPLE, `f` FULL).
    pub fupdtype: char,
    pub fdeltype: char,
    pub fmatchtype: char,
    pub keys: Vec<i16>,
    pub fkeys: Vec<i16>,
    pub expr: Option<String>,
    /// `connoinherit`: a CHECK constraint that children do not get.
    pub no_inherit: bool,
    /// `coninhcount`: how many parents it was inherited from.
    pub inhcount: i32,
    /// `conislocal`: defined by the relation itself (not only inherited).
    pub is_local: bool,
    /// `contypid`: the domain of a domain constraint (0 for a table's).
    pub type_oid: u32,
}

impl ConstraintRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        let opt_ch = |c: char| if c == '\0' { ch(' ') } else { ch(c) };
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.namespace),
            ch(self.kind),
            Datum::Bool(self.deferrable),
            Datum::Bool(self.deferred),
            Datum::Bool(self.validated),
            Datum::Oid(self.relid),
            Datum::Oid(self.type_oid),
            Datum::Oid(self.index),
            Datum::Oid(0),
            Datum::Oid(self.frelid),
            opt_ch(self.fupdtype),
            opt_ch(self.fdeltype),
            opt_ch(self.fmatchtype),
            Datum::Bool(self.is_local),
            Datum::Int4(self.inhcount),
            Datum::Bool(self.no_inherit),
            int2_array(&self.keys),
            int2_array(&self.fkeys),
            match &self.expr {
                Some(e) => Datum::Text(e.clone()),
                None => Datum::Null,
            },
        ]
    }

    pub fn from_datums(r: &[Datum]) -> ConstraintRow {
        let oid = |i: usize| match r.get(i) {
            Some(Datum::Oid(o)) => *o,
            _ => 0,
        };
        let b = |i: usize| matches!(r.get(i), Some(Datum::Bool(true)));
        let chr = |i: usize| match r.get(i) {
            Some(Datum::Text(s)) => s.chars().next().filter(|c| *c != ' ').unwrap_or('\0'),
            _ => '\0',
        };
        let null = Datum::Null;
        ConstraintRow {
            oid: oid(0),
            name: match r.get(1) {
                Some(Datum::Text(s)) => s.clone(),
                _ => String::new(),
            },
            namespace: oid(2),
            kind: chr(3),
            deferrable: b(4),
            deferred: b(5),
            validated: b(6),
            relid: oid(7),
            type_oid: oid(8),
            index: oid(9),
            frelid: oid(11),
            fupdtype: chr(12),
            fdeltype: chr(13),
            fmatchtype: chr(14),
            keys: parse_vector(r.get(18).unwrap_or(&null)),
            fkeys: parse_vector(r.get(19).unwrap_or(&null)),
            expr: match r.get(20) {
                Some(Datum::Text(s)) => Some(s.clone()),
                _ => None,
            },
            no_inherit: b(17),
            inhcount: match r.get(16) {
                Some(Datum::Int4(n)) => *n,
                _ => 0,
            },
            is_local: b(15),
        }
    }
}

/// `pg_index.indoption` bits of a key column.
pub const INDOPTION_DESC: i16 = 1;
pub const INDOPTION_NULLS_FIRST: i16 = 2;

/// A `pg_index` row (what this server supports of it: plain column keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    pub index_oid: u32,
    pub table_oid: u32,
    /// Table column numbers: the key columns, then the INCLUDE columns.
    pub keys: Vec<i16>,
    pub nkeyatts: i16,
    pub unique: bool,
    pub nulls_not_distinct: bool,
    pub primary: bool,
    pub valid: bool,
    pub ready: bool,
    /// `indisreplident`: ALTER TABLE ... REPLICA IDENTITY USING INDEX chose it.
    pub replident: bool,
    /// One per key column: [`INDOPTION_DESC`] | [`INDOPTION_NULLS_FIRST`].
    pub options: Vec<i16>,
    pub collations: Vec<u32>,
    pub opclasses: Vec<u32>,
    /// `indexprs`: the expression columns (those with `keys` 0), as the SQL
    /// text of a select list (`lower(email), a + b`).
    pub exprs: Option<String>,
    /// `indpred`: a partial index's WHERE, as SQL text.
    pub pred: Option<String>,
}

fn vector<T: ToString>(v: &[T]) -> Datum {
    Datum::Text(v.iter().map(T::to_string).collect::<Vec<_>>().join(" "))
}

fn parse_vector<T: std::str::FromStr>(d: &Datum) -> Vec<T> {
    match d {
        Datum::Text(s) => s
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect(),
        Datum::Array(a) => a
            .elems
            .iter()
            .filter_map(|x| match x {
                Datum::Int2(v) => v.to_string().parse().ok(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An `int2[]` of column numbers (`pg_constraint.conkey`, as PostgreSQL
/// has it), NULL when there are none.
fn int2_array(v: &[i16]) -> Datum {
    if v.is_empty() {
        return Datum::Null;
    }
    Datum::Array(Box::new(types::datum::ArrayValue::new(
        oid::INT2,
        v.iter().map(|&k| Datum::Int2(k)).collect(),
    )))
}

impl IndexRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.index_oid),
            Datum::Oid(self.table_oid),
            Datum::Int2(self.keys.len() as i16),
            Datum::Int2(self.nkeyatts),
            Datum::Bool(self.unique),
            Datum::Bool(self.nulls_not_distinct),
            Datum::Bool(self.primary),
            Datum::Bool(false),
            Datum::Bool(true),
            Datum::Bool(false),
            Datum::Bool(self.valid),
            Datum::Bool(false),
            Datum::Bool(self.ready),
            Datum::Bool(true),
            Datum::Bool(self.replident),
            vector(&self.keys),
            vector(&self.collations),
            vector(&self.opclasses),
            vector(&self.options),
            self.exprs.clone().map_or(Datum::Null, Datum::Text),
            self.pred.clone().map_or(Datum::Null, Datum::Text),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> IndexRow {
        let oid = |i: usize| match r.get(i) {
            Some(Datum::Oid(o)) => *o,
            _ => 0,
        };
        let b = |i: usize| matches!(r.get(i), Some(Datum::Bool(true)));
        let v = |i: usize| r.get(i).unwrap_or(&Datum::Null);
        IndexRow {
            index_oid: oid(0),
            table_oid: oid(1),
            nkeyatts: match r.get(3) {
                Some(Datum::Int2(n)) => *n,
                _ => 0,
            },
            unique: b(4),
            nulls_not_distinct: b(5),
            primary: b(6),
            valid: b(10),
            ready: b(12),
            replident: b(14),
            keys: parse_vector(v(15)),
            collations: parse_vector(v(16)),
            opclasses: parse_vector(v(17)),
            options: parse_vector(v(18)),
            exprs: match v(19) {
                Datum::Text(t) => Some(t.clone()),
                _ => None,
            },
            pred: match v(20) {
                Datum::Text(t) => Some(t.clone()),
                _ => None,
            },
        }
    }
}

/// A B-tree operator class as PostgreSQL 15's `pg_opclass` has it: its oid
/// (the same in every PostgreSQL 15 cluster), name, the type it indexes
/// (`opcintype`) and whether it is that type's default.
///
/// Every class here orders its values as our comparison of the type does:
/// text is compared bytewise (the C collation), so `text_pattern_ops` and its
/// siblings, which PostgreSQL provides for LIKE prefixes under other
/// collations, order exactly as `text_ops` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BtreeOpclass {
    pub oid: u32,
    pub name: &'static str,
    pub input_type: u32,
    pub default: bool,
}

const fn opclass(oid: u32, name: &'static str, input_type: u32, default: bool) -> BtreeOpclass {
    BtreeOpclass {
        oid,
        name,
        input_type,
        default,
    }
}

/// The B-tree operator classes of the types we can index.
pub const BTREE_OPCLASSES: &[BtreeOpclass] = &[
    opclass(10003, "bool_ops", oid::BOOL, true),
    opclass(10006, "bytea_ops", oid::BYTEA, true),
    opclass(10007, "char_ops", oid::CHAR, true),
    opclass(10028, "name_ops", oid::NAME, true),
    opclass(3124, "int8_ops", oid::INT8, true),
    opclass(1979, "int2_ops", oid::INT2, true),
    opclass(1978, "int4_ops", oid::INT4, true),
    opclass(3126, "text_ops", oid::TEXT, true),
    opclass(10044, "varchar_ops", oid::TEXT, false),
    opclass(4217, "text_pattern_ops", oid::TEXT, false),
    opclass(4218, "varchar_pattern_ops", oid::TEXT, false),
    opclass(1981, "oid_ops", oid::OID, true),
    opclass(10012, "float4_ops", oid::FLOAT4, true),
    opclass(3123, "float8_ops", oid::FLOAT8, true),
    opclass(10004, "bpchar_ops", oid::BPCHAR, true),
    opclass(4219, "bpchar_pattern_ops", oid::BPCHAR, false),
    opclass(3122, "date_ops", oid::DATE, true),
    opclass(10038, "time_ops", oid::TIME, true),
    opclass(10041, "timetz_ops", oid::TIMETZ, true),
    opclass(3128, "timestamp_ops", oid::TIMESTAMP, true),
    opclass(3127, "timestamptz_ops", oid::TIMESTAMPTZ, true),
    opclass(10022, "interval_ops", oid::INTERVAL, true),
    opclass(3125, "numeric_ops", oid::NUMERIC, true),
    opclass(10065, "uuid_ops", oid::UUID, true),
    opclass(10088, "jsonb_ops", oid::JSONB, true),
    opclass(10067, "pg_lsn_ops", oid::PG_LSN, true),
    opclass(10050, "tid_ops", oid::TID, true),
    opclass(10053, "xid8_ops", oid::XID8, true),
    opclass(10015, "inet_ops", oid::INET, true),
    opclass(10009, "cidr_ops", oid::INET, false),
    opclass(10047, "money_ops", oid::MONEY, true),
    opclass(10024, "macaddr_ops", oid::MACADDR, true),
    opclass(10026, "macaddr8_ops", oid::MACADDR8, true),
    opclass(3626, "tsvector_ops", oid::TSVECTOR, true),
    opclass(3683, "tsquery_ops", oid::TSQUERY, true),
    opclass(10002, "bit_ops", oid::BIT, true),
    opclass(10043, "varbit_ops", oid::VARBIT, true),
    opclass(3901, "range_ops", oid::ANYRANGE, true),
    opclass(10080, "multirange_ops", oid::ANYMULTIRANGE, true),
    opclass(10050, "enum_ops", oid::ANYENUM, true),
    opclass(10090, "record_ops", oid::RECORD, true),
    opclass(10000, "array_ops", oid::ANYARRAY, true),
];

/// The type an operator class sees a column of `type_oid` as: varchar is
/// indexed as text (binary coercible), as in PostgreSQL.
fn opclass_input(type_oid: u32) -> u32 {
    // A domain is indexed as its base type.
    let type_oid = types::typcache::base_type(type_oid);
    if type_oid == oid::VARCHAR {
        oid::TEXT
    } else if type_oid == oid::CIDR {
        oid::INET
    } else if oid::range_subtype(type_oid).is_some() {
        oid::ANYRANGE
    } else if oid::multirange_range(type_oid).is_some() {
        oid::ANYMULTIRANGE
    } else if types::typcache::is_enum(type_oid) {
        oid::ANYENUM
    } else if types::datum::record::is_composite(type_oid) {
        oid::RECORD
    } else if oid::is_array_type(type_oid) {
        oid::ANYARRAY
    } else {
        type_oid
    }
}

/// The default B-tree operator class of a column type, or None if the type
/// has none.
pub fn btree_opclass(type_oid: u32) -> Option<u32> {
    let input = opclass_input(type_oid);
    BTREE_OPCLASSES
        .iter()
        .find(|c| c.default && c.input_type == input)
        .map(|c| c.oid)
}

/// The B-tree operator class named `name`.
pub fn btree_opclass_by_name(name: &str) -> Option<&'static BtreeOpclass> {
    BTREE_OPCLASSES.iter().find(|c| c.name == name)
}

/// The B-tree operator class with this oid.
pub fn btree_opclass_by_oid(oid: u32) -> Option<&'static BtreeOpclass> {
    BTREE_OPCLASSES.iter().find(|c| c.oid == oid)
}

/// Whether `class` can index a column of `type_oid`.
pub fn btree_opclass_accepts(class: &BtreeOpclass, type_oid: u32) -> bool {
    class.input_type == opclass_input(type_oid)
}

pub const PG_AM: u32 = 2601;
pub const PG_COLLATION: u32 = 3456;
pub const PG_INHERITS: u32 = 2611;
pub const PG_PARTITIONED_TABLE: u32 = 3350;
pub const PG_TRIGGER: u32 = 2620;
pub const PG_POLICY: u32 = 3256;
pub const PG_OPCLASS: u32 = 2616;
pub const PG_STATISTIC_EXT: u32 = 3381;
pub const PG_STATISTIC_EXT_DATA: u32 = 3429;
pub const PG_STATISTIC: u32 = 2619;
pub const PG_PUBLICATION: u32 = 6104;
pub const PG_PUBLICATION_NAMESPACE: u32 = 6237;
pub const PG_PUBLICATION_REL: u32 = 6106;
pub const PG_DESCRIPTION: u32 = 2609;
pub const PG_SHDESCRIPTION: u32 = 2396;
pub const PG_AUTH_MEMBERS: u32 = 1261;

/// `pg_am` (`amhandler`, a `regproc` in PostgreSQL, is kept as the
/// function's name, which is what `regproc` prints).
pub const PG_AM_DEF: CatalogDef = CatalogDef {
    oid: PG_AM,
    name: "pg_am",
    rowtype_oid: 10015,
    columns: &[
        c("oid", OID),
        c("amname", NAME),
        c("amhandler", NAME),
        c("amtype", CHAR),
    ],
    shared: false,
};

/// initdb's `pg_am` rows: (oid, amname, amhandler, amtype).
pub const ACCESS_METHODS: [(u32, &str, &str, char); 7] = [
    (HEAP_AM_OID, "heap", "heap_tableam_handler", 't'),
    (BTREE_AM_OID, "btree", "bthandler", 'i'),
    (405, "hash", "hashhandler", 'i'),
    (783, "gist", "gisthandler", 'i'),
    (2742, "gin", "ginhandler", 'i'),
    (4000, "spgist", "spghandler", 'i'),
    (3580, "brin", "brinhandler", 'i'),
];

pub const PG_COLLATION_DEF: CatalogDef = CatalogDef {
    oid: PG_COLLATION,
    name: "pg_collation",
    rowtype_oid: 10095,
    columns: &[
        c("oid", OID),
        c("collname", NAME),
        c("collnamespace", OID),
        c("collowner", OID),
        c("collprovider", CHAR),
        c("collisdeterministic", BOOL),
        c("collencoding", INT4),
        c("collcollate", oid::TEXT),
        c("collctype", oid::TEXT),
        c("colliculocale", oid::TEXT),
        c("collversion", oid::TEXT),
    ],
    shared: false,
};

/// The collations every PostgreSQL 15 database has: (oid, name, provider,
/// encoding, collate/ctype), with the oid initdb gives `ucs_basic`. Text
/// compares bytewise here, as under "C", whichever is named.
pub const COLLATIONS: [(u32, &str, char, i32, Option<&str>); 4] = [
    (DEFAULT_COLLATION_OID, "default", 'd', -1, None),
    (C_COLLATION_OID, "C", 'c', -1, Some("C")),
    (951, "POSIX", 'c', -1, Some("POSIX")),
    (12340, "ucs_basic", 'c', 6, Some("C")),
];

/// `DEFAULT_COLLATION_OID` and `C_COLLATION_OID`.
pub const DEFAULT_COLLATION_OID: u32 = 100;
pub const C_COLLATION_OID: u32 = 950;

/// The name of collation `oid`.
pub fn collation_name(oid: u32) -> Option<&'static str> {
    COLLATIONS.iter().find(|c| c.0 == oid).map(|c| c.1)
}

/// The collation `[pg_catalog.]name` names (PostgreSQL's
/// `get_collation_oid` for the UTF8 encoding).
pub fn collation_by_name(schema: Option<&str>, name: &str) -> Option<u32> {
    if schema.is_some_and(|s| s != "pg_catalog") {
        return None;
    }
    COLLATIONS.iter().find(|c| c.1 == name).map(|c| c.0)
}

pub const PG_INHERITS_DEF: CatalogDef = CatalogDef {
    oid: PG_INHERITS,
    name: "pg_inherits",
    rowtype_oid: 10005,
    columns: &[
        c("inhrelid", OID),
        c("inhparent", OID),
        c("inhseqno", INT4),
        c("inhdetachpending", BOOL),
    ],
    shared: false,
};

/// `pg_partitioned_table`: the partition key of each partitioned table.
/// `partattrs` holds the key's column numbers (0 for an expression, whose
/// SQL text is then in `partexprs`, one per line).
pub const PG_PARTITIONED_TABLE_DEF: CatalogDef = CatalogDef {
    oid: PG_PARTITIONED_TABLE,
    name: "pg_partitioned_table",
    rowtype_oid: 10099,
    columns: &[
        c("partrelid", OID),
        c("partstrat", CHAR),
        c("partnatts", INT2),
        c("partdefid", OID),
        c("partattrs", oid::INT2VECTOR),
        c("partclass", oid::OIDVECTOR),
        c("partcollation", oid::OIDVECTOR),
        c("partexprs", PG_NODE_TREE),
    ],
    shared: false,
};

/// A `pg_partitioned_table` row.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionedTableRow {
    pub relid: u32,
    /// `'r'` range, `'l'` list, `'h'` hash
    pub strategy: char,
    /// The key columns' numbers, 0 for an expression.
    pub attrs: Vec<i16>,
    /// The default partition, 0 if none.
    pub default_partition: u32,
    /// The key expressions' SQL text, in key order.
    pub exprs: Vec<String>,
}

impl PartitionedTableRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        let vector = |v: Vec<String>| Datum::Text(v.join(" "));
        vec![
            Datum::Oid(self.relid),
            ch(self.strategy),
            Datum::Int2(self.attrs.len() as i16),
            Datum::Oid(self.default_partition),
            vector(self.attrs.iter().map(|a| a.to_string()).collect()),
            vector(self.attrs.iter().map(|_| "0".to_string()).collect()),
            vector(self.attrs.iter().map(|_| "0".to_string()).collect()),
            if self.exprs.is_empty() {
                Datum::Null
            } else {
                Datum::Text(self.exprs.join("\n"))
            },
        ]
    }
}

/// `pg_trigger`: user triggers (foreign keys are checked without
/// PostgreSQL's internal RI triggers). `tgqual` holds the WHEN condition
/// as SQL text; `tgargs` the arguments, each ending in a NUL byte, as
/// PostgreSQL stores them.
pub const PG_TRIGGER_DEF: CatalogDef = CatalogDef {
    oid: PG_TRIGGER,
    name: "pg_trigger",
    rowtype_oid: 10037,
    columns: &[
        c("oid", OID),
        c("tgrelid", OID),
        c("tgparentid", OID),
        c("tgname", NAME),
        c("tgfoid", OID),
        c("tgtype", INT2),
        c("tgenabled", CHAR),
        c("tgisinternal", BOOL),
        c("tgconstrrelid", OID),
        c("tgconstrindid", OID),
        c("tgconstraint", OID),
        c("tgdeferrable", BOOL),
        c("tginitdeferred", BOOL),
        c("tgnargs", INT2),
        c("tgattr", oid::INT2VECTOR),
        c("tgargs", oid::BYTEA),
        c("tgqual", PG_NODE_TREE),
        c("tgoldtable", NAME),
        c("tgnewtable", NAME),
    ],
    shared: false,
};

/// `pg_trigger.tgtype` bits.
pub const TRIGGER_TYPE_ROW: i16 = 1;
pub const TRIGGER_TYPE_BEFORE: i16 = 2;
pub const TRIGGER_TYPE_INSERT: i16 = 4;
pub const TRIGGER_TYPE_DELETE: i16 = 8;
pub const TRIGGER_TYPE_UPDATE: i16 = 16;
pub const TRIGGER_TYPE_TRUNCATE: i16 = 32;
pub const TRIGGER_TYPE_INSTEAD: i16 = 64;

/// A `pg_trigger` row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TriggerRow {
    pub oid: u32,
    pub relid: u32,
    pub name: String,
    pub func: u32,
    /// `TRIGGER_TYPE_*` bits.
    pub tgtype: i16,
    /// `O` enabled, `D` disabled (also `R`, `A` as PostgreSQL).
    pub enabled: char,
    /// `UPDATE OF` columns (attnums).
    pub columns: Vec<i16>,
    pub args: Vec<String>,
    /// The WHEN condition's SQL text.
    pub qual: Option<String>,
    /// `REFERENCING OLD TABLE AS x` / `NEW TABLE AS y`.
    pub old_table: Option<String>,
    pub new_table: Option<String>,
}

impl TriggerRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        let mut args = Vec::new();
        for a in &self.args {
            args.extend_from_slice(a.as_bytes());
            args.push(0);
        }
        vec![
            Datum::Oid(self.oid),
            Datum::Oid(self.relid),
            Datum::Oid(0),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.func),
            Datum::Int2(self.tgtype),
            ch(self.enabled),
            Datum::Bool(false),
            Datum::Oid(0),
            Datum::Oid(0),
            Datum::Oid(0),
            Datum::Bool(false),
            Datum::Bool(false),
            Datum::Int2(self.args.len() as i16),
            vector(&self.columns),
            Datum::Bytea(args),
            self.qual.clone().map_or(Datum::Null, Datum::Text),
            self.old_table.clone().map_or(Datum::Null, Datum::Text),
            self.new_table.clone().map_or(Datum::Null, Datum::Text),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> TriggerRow {
        let oid_at = |i: usize| match r.get(i) {
            Some(Datum::Oid(v)) => *v,
            _ => 0,
        };
        TriggerRow {
            oid: oid_at(0),
            relid: oid_at(1),
            name: match r.get(3) {
                Some(Datum::Text(s)) => s.clone(),
                _ => String::new(),
            },
            func: oid_at(4),
            tgtype: match r.get(5) {
                Some(Datum::Int2(t)) => *t,
                _ => 0,
            },
            enabled: match r.get(6) {
                Some(Datum::Text(s)) => s.chars().next().unwrap_or('O'),
                _ => 'O',
            },
            columns: parse_vector(r.get(14).unwrap_or(&Datum::Null)),
            args: match r.get(15) {
                Some(Datum::Bytea(b)) => b
                    .split(|&c| c == 0)
                    .filter(|_| true)
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .take(match r.get(13) {
                        Some(Datum::Int2(n)) => *n as usize,
                        _ => 0,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            qual: match r.get(16) {
                Some(Datum::Text(s)) => Some(s.clone()),
                _ => None,
            },
            old_table: match r.get(17) {
                Some(Datum::Text(s)) => Some(s.clone()),
                _ => None,
            },
            new_table: match r.get(18) {
                Some(Datum::Text(s)) => Some(s.clone()),
                _ => None,
            },
        }
    }
}

/// `pg_policy`: the row-level security policies of CREATE POLICY
/// ([`PolicyRow`]).
pub const PG_POLICY_DEF: CatalogDef = CatalogDef {
    oid: PG_POLICY,
    name: "pg_policy",
    rowtype_oid: 10084,
    columns: &[
        c("oid", OID),
        c("polname", NAME),
        c("polrelid", OID),
        c("polcmd", CHAR),
        c("polpermissive", BOOL),
        c("polroles", oid::OID_ARRAY),
        c("polqual", PG_NODE_TREE),
        c("polwithcheck", PG_NODE_TREE),
    ],
    shared: false,
};

/// A `pg_policy` row. PostgreSQL keeps node trees in `polqual` and
/// `polwithcheck`; we keep the expressions' SQL text, parsed again where
/// a statement reads the table (as rules and views are).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyRow {
    pub oid: u32,
    pub name: String,
    pub relid: u32,
    /// `r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE, `*` ALL.
    pub cmd: char,
    pub permissive: bool,
    /// The roles it applies to; `0` stands for PUBLIC.
    pub roles: Vec<u32>,
    /// USING
    pub qual: Option<String>,
    /// WITH CHECK
    pub with_check: Option<String>,
}

impl PolicyRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.relid),
            ch(self.cmd),
            Datum::Bool(self.permissive),
            Datum::Array(Box::new(types::datum::ArrayValue::new(
                oid::OID,
                self.roles.iter().map(|r| Datum::Oid(*r)).collect(),
            ))),
            self.qual.clone().map_or(Datum::Null, Datum::Text),
            self.with_check.clone().map_or(Datum::Null, Datum::Text),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> PolicyRow {
        let oid_at = |i: usize| match r.get(i) {
            Some(Datum::Oid(v)) => *v,
            _ => 0,
        };
        let text = |i: usize| match r.get(i) {
            Some(Datum::Text(s)) => Some(s.clone()),
            _ => None,
        };
        PolicyRow {
            oid: oid_at(0),
            name: text(1).unwrap_or_default(),
            relid: oid_at(2),
            cmd: text(3).and_then(|s| s.chars().next()).unwrap_or('*'),
            permissive: !matches!(r.get(4), Some(Datum::Bool(false))),
            roles: match r.get(5) {
                Some(Datum::Array(a)) => a
                    .elems
                    .iter()
                    .filter_map(|e| match e {
                        Datum::Oid(o) => Some(*o),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            qual: text(6),
            with_check: text(7),
        }
    }
}

/// `pg_opclass`: the B-tree operator classes ([`BTREE_OPCLASSES`]), which
/// ORMs read to tell an index's non-default classes (`opcfamily` is 0: we
/// keep no operator families).
pub const PG_OPCLASS_DEF: CatalogDef = CatalogDef {
    oid: PG_OPCLASS,
    name: "pg_opclass",
    rowtype_oid: 10013,
    columns: &[
        c("oid", OID),
        c("opcmethod", OID),
        c("opcname", NAME),
        c("opcnamespace", OID),
        c("opcowner", OID),
        c("opcfamily", OID),
        c("opcintype", OID),
        c("opcdefault", BOOL),
        c("opckeytype", OID),
    ],
    shared: false,
};

/// The `pg_opclass` rows initdb writes.
pub fn opclass_rows() -> Vec<Vec<Datum>> {
    BTREE_OPCLASSES
        .iter()
        .map(|c| {
            vec![
                Datum::Oid(c.oid),
                Datum::Oid(BTREE_AM_OID),
                Datum::Text(c.name.into()),
                Datum::Oid(PG_CATALOG_NAMESPACE),
                Datum::Oid(BOOTSTRAP_SUPERUSER_OID),
                Datum::Oid(0),
                Datum::Oid(c.input_type),
                Datum::Bool(c.default),
                Datum::Oid(0),
            ]
        })
        .collect()
}

/// `pg_statistic`: what ANALYZE found of each column (one row per column;
/// up to five slots of a kind, operator, collation, numbers and values).
pub const PG_STATISTIC_DEF: CatalogDef = CatalogDef {
    oid: PG_STATISTIC,
    name: "pg_statistic",
    rowtype_oid: 10029,
    columns: &[
        c("starelid", OID),
        c("staattnum", INT2),
        c("stainherit", BOOL),
        c("stanullfrac", FLOAT4),
        c("stawidth", INT4),
        c("stadistinct", FLOAT4),
        c("stakind1", INT2),
        c("stakind2", INT2),
        c("stakind3", INT2),
        c("stakind4", INT2),
        c("stakind5", INT2),
        c("staop1", OID),
        c("staop2", OID),
        c("staop3", OID),
        c("staop4", OID),
        c("staop5", OID),
        c("stacoll1", OID),
        c("stacoll2", OID),
        c("stacoll3", OID),
        c("stacoll4", OID),
        c("stacoll5", OID),
        c("stanumbers1", oid::FLOAT4_ARRAY),
        c("stanumbers2", oid::FLOAT4_ARRAY),
        c("stanumbers3", oid::FLOAT4_ARRAY),
        c("stanumbers4", oid::FLOAT4_ARRAY),
        c("stanumbers5", oid::FLOAT4_ARRAY),
        c("stavalues1", oid::ANYARRAY),
        c("stavalues2", oid::ANYARRAY),
        c("stavalues3", oid::ANYARRAY),
        c("stavalues4", oid::ANYARRAY),
        c("stavalues5", oid::ANYARRAY),
    ],
    shared: false,
};

/// `pg_statistic_ext`: the extended statistics objects (CREATE
/// STATISTICS; see [`StatisticExtRow`]).
pub const PG_STATISTIC_EXT_DEF: CatalogDef = CatalogDef {
    oid: PG_STATISTIC_EXT,
    name: "pg_statistic_ext",
    rowtype_oid: 10031,
    columns: &[
        c("oid", OID),
        c("stxrelid", OID),
        c("stxname", NAME),
        c("stxnamespace", OID),
        c("stxowner", OID),
        c("stxstattarget", INT4),
        c("stxkeys", oid::INT2VECTOR),
        c("stxkind", oid::CHAR_ARRAY),
        c("stxexprs", PG_NODE_TREE),
    ],
    shared: false,
};

/// `pg_statistic_ext_data`: what ANALYZE found of each extended statistics
/// object, for the table alone (`stxdinherit` false) and with its
/// inheritance children (true). The values are kept as the text their
/// types print; `stxdexpr` (PostgreSQL's `pg_statistic[]`) is a text that
/// is always NULL here: no statistics of expressions are kept.
pub const PG_STATISTIC_EXT_DATA_DEF: CatalogDef = CatalogDef {
    oid: PG_STATISTIC_EXT_DATA,
    name: "pg_statistic_ext_data",
    rowtype_oid: 10033,
    columns: &[
        c("stxoid", OID),
        c("stxdinherit", BOOL),
        c("stxdndistinct", oid::PG_NDISTINCT),
        c("stxddependencies", oid::PG_DEPENDENCIES),
        c("stxdmcv", oid::PG_MCV_LIST),
        c("stxdexpr", oid::TEXT),
    ],
    shared: false,
};

/// One `pg_statistic_ext` row. `stxexprs` is kept as SQL text, the
/// expressions each in parentheses and separated by commas (`(a + 1),
/// (lower(b))`), as policies keep theirs; PostgreSQL keeps a node tree.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticExtRow {
    pub oid: u32,
    pub relid: u32,
    pub name: String,
    pub namespace: u32,
    pub owner: u32,
    /// `-1`: the columns' targets decide.
    pub stattarget: i32,
    /// The plain columns, ascending.
    pub keys: Vec<i16>,
    /// `d` ndistinct, `f` functional dependencies, `m` MCV list, `e`
    /// expression statistics.
    pub kinds: Vec<char>,
    pub exprs: Option<String>,
}

impl StatisticExtRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Oid(self.relid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.namespace),
            Datum::Oid(self.owner),
            Datum::Int4(self.stattarget),
            vector(&self.keys),
            Datum::Array(Box::new(types::datum::ArrayValue::new(
                oid::CHAR,
                self.kinds.iter().map(|&k| ch(k)).collect(),
            ))),
            self.exprs.clone().map_or(Datum::Null, Datum::Text),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> StatisticExtRow {
        let oid_at = |i: usize| match r.get(i) {
            Some(Datum::Oid(v)) => *v,
            _ => 0,
        };
        let text = |i: usize| match r.get(i) {
            Some(Datum::Text(s)) => Some(s.clone()),
            _ => None,
        };
        StatisticExtRow {
            oid: oid_at(0),
            relid: oid_at(1),
            name: text(2).unwrap_or_default(),
            namespace: oid_at(3),
            owner: oid_at(4),
            stattarget: match r.get(5) {
                Some(Datum::Int4(v)) => *v,
                _ => -1,
            },
            keys: parse_vector(r.get(6).unwrap_or(&Datum::Null)),
            kinds: match r.get(7) {
                Some(Datum::Array(a)) => a
                    .elems
                    .iter()
                    .filter_map(|e| match e {
                        Datum::Text(s) => s.chars().next(),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            exprs: text(8),
        }
    }
}

/// `pg_publication`: the publications (CREATE PUBLICATION; nothing is
/// replicated).
pub const PG_PUBLICATION_DEF: CatalogDef = CatalogDef {
    oid: PG_PUBLICATION,
    name: "pg_publication",
    rowtype_oid: 10107,
    columns: &[
        c("oid", OID),
        c("pubname", NAME),
        c("pubowner", OID),
        c("puballtables", BOOL),
        c("pubinsert", BOOL),
        c("pubupdate", BOOL),
        c("pubdelete", BOOL),
        c("pubtruncate", BOOL),
        c("pubviaroot", BOOL),
    ],
    shared: false,
};

pub const PG_PUBLICATION_NAMESPACE_DEF: CatalogDef = CatalogDef {
    oid: PG_PUBLICATION_NAMESPACE,
    name: "pg_publication_namespace",
    rowtype_oid: 10109,
    columns: &[c("oid", OID), c("pnpubid", OID), c("pnnspid", OID)],
    shared: false,
};

pub const PG_PUBLICATION_REL_DEF: CatalogDef = CatalogDef {
    oid: PG_PUBLICATION_REL,
    name: "pg_publication_rel",
    rowtype_oid: 10111,
    columns: &[
        c("oid", OID),
        c("prpubid", OID),
        c("prrelid", OID),
        c("prqual", PG_NODE_TREE),
        // int2vector in PostgreSQL; an int2[] here, which psql's casts
        // and subscripts of it need (int2vector is stored as text).
        c("prattrs", oid::INT2_ARRAY),
    ],
    shared: false,
};

/// `pg_description`: COMMENT ON's text for objects of this database
/// (`objsubid` is the column number of a column's comment, else 0); initdb
/// describes the built-in schemas ([`description_rows`]).
pub const PG_DESCRIPTION_DEF: CatalogDef = CatalogDef {
    oid: PG_DESCRIPTION,
    name: "pg_description",
    rowtype_oid: 10041,
    columns: &[
        c("objoid", OID),
        c("classoid", OID),
        c("objsubid", INT4),
        c("description", oid::TEXT),
    ],
    shared: false,
};

/// `pg_shdescription` (shared): COMMENT ON's text for databases and roles.
pub const PG_SHDESCRIPTION_DEF: CatalogDef = CatalogDef {
    oid: PG_SHDESCRIPTION,
    name: "pg_shdescription",
    rowtype_oid: 10062,
    columns: &[
        c("objoid", OID),
        c("classoid", OID),
        c("description", oid::TEXT),
    ],
    shared: true,
};

/// The `pg_description` rows initdb writes: the built-in schemas'
/// comments, and plpgsql's (as a language and as an extension).
pub fn description_rows() -> Vec<Vec<Datum>> {
    const PLPGSQL: &str = "PL/pgSQL procedural language";
    [
        (PG_CATALOG_NAMESPACE, PG_NAMESPACE, "system catalog schema"),
        (
            PG_TOAST_NAMESPACE,
            PG_NAMESPACE,
            "reserved schema for TOAST tables",
        ),
        (PUBLIC_NAMESPACE, PG_NAMESPACE, "standard public schema"),
        (PLPGSQL_LANGUAGE_OID, crate::empty::PG_LANGUAGE, PLPGSQL),
        (
            crate::empty::PLPGSQL_EXTENSION_OID,
            crate::empty::PG_EXTENSION,
            PLPGSQL,
        ),
    ]
    .into_iter()
    .map(|(oid, class, text)| {
        vec![
            Datum::Oid(oid),
            Datum::Oid(class),
            Datum::Int4(0),
            Datum::Text(text.into()),
        ]
    })
    .collect()
}

/// The `pg_shdescription` rows initdb writes: the bootstrap databases'
/// comments.
pub fn shdescription_rows() -> Vec<Vec<Datum>> {
    crate::database::BOOTSTRAP_DATABASES
        .iter()
        .filter_map(|d| {
            let text = match d.name {
                "template1" => "default template for new databases",
                "template0" => "unmodifiable empty database",
                "postgres" => "default administrative connection database",
                _ => return None,
            };
            Some(vec![
                Datum::Oid(d.oid),
                Datum::Oid(PG_DATABASE),
                Datum::Text(text.into()),
            ])
        })
        .collect()
}

/// `pg_auth_members`: one row per role membership (GRANT role TO member).
pub const PG_AUTH_MEMBERS_DEF: CatalogDef = CatalogDef {
    oid: PG_AUTH_MEMBERS,
    name: "pg_auth_members",
    rowtype_oid: 2843,
    columns: &[
        c("roleid", OID),
        c("member", OID),
        c("grantor", OID),
        c("admin_option", BOOL),
    ],
    shared: true,
};

/// The `pg_am` rows initdb writes.
/// A `pg_auth_members` row: `member` is a member of `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthMemberRow {
    pub role: u32,
    pub member: u32,
    pub grantor: u32,
    pub admin_option: bool,
}

impl AuthMemberRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.role),
            Datum::Oid(self.member),
            Datum::Oid(self.grantor),
            Datum::Bool(self.admin_option),
        ]
    }
}

pub fn access_method_rows() -> Vec<Vec<Datum>> {
    ACCESS_METHODS
        .iter()
        .map(|&(oid, name, handler, kind)| {
            vec![
                Datum::Oid(oid),
                Datum::Text(name.into()),
                Datum::Text(handler.into()),
                ch(kind),
            ]
        })
        .collect()
}

/// The `pg_collation` rows initdb writes.
pub fn collation_rows() -> Vec<Vec<Datum>> {
    COLLATIONS
        .iter()
        .map(|&(oid, name, provider, encoding, locale)| {
            let locale = || locale.map_or(Datum::Null, |l| Datum::Text(l.into()));
            vec![
                Datum::Oid(oid),
                Datum::Text(name.into()),
                Datum::Oid(PG_CATALOG_NAMESPACE),
                Datum::Oid(BOOTSTRAP_SUPERUSER_OID),
                ch(provider),
                Datum::Bool(true),
                Datum::Int4(encoding),
                locale(),
                locale(),
                Datum::Null,
                Datum::Null,
            ]
        })
        .collect()
}

/// `pg_enum`: the labels of user enums, one row per label.
pub const PG_ENUM_DEF: CatalogDef = CatalogDef {
    oid: PG_ENUM,
    name: "pg_enum",
    rowtype_oid: 10045,
    columns: &[
        c("oid", OID),
        c("enumtypid", OID),
        c("enumsortorder", FLOAT4),
        c("enumlabel", NAME),
    ],
    shared: false,
};

/// A `pg_enum` row.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumRow {
    pub oid: u32,
    pub type_oid: u32,
    pub sort_order: f32,
    pub label: String,
}

impl EnumRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Oid(self.type_oid),
            Datum::Float4(self.sort_order),
            Datum::Text(self.label.clone()),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> Option<EnumRow> {
        match r {
            [
                Datum::Oid(oid),
                Datum::Oid(type_oid),
                Datum::Float4(sort_order),
                Datum::Text(label),
            ] => Some(EnumRow {
                oid: *oid,
                type_oid: *type_oid,
                sort_order: *sort_order,
                label: label.clone(),
            }),
            _ => None,
        }
    }
}

/// The `pg_type` rows of a user enum `name` and of its array type `_name`
/// (PostgreSQL's `TypeCreate` for `DefineEnum`).
pub fn enum_type_rows(
    type_oid: u32,
    array_oid: u32,
    name: &str,
    namespace: u32,
    owner: u32,
) -> [Vec<Datum>; 2] {
    let row = |oid: u32,
               name: String,
               len: i16,
               by_val: bool,
               typtype,
               category,
               elem,
               array,
               storage| {
        vec![
            Datum::Oid(oid),
            Datum::Text(name),
            Datum::Oid(namespace),
            Datum::Oid(owner),
            Datum::Int2(len),
            Datum::Bool(by_val),
            ch(typtype),
            ch(category),
            Datum::Bool(false),
            Datum::Bool(true),
            ch(','),
            Datum::Oid(0),
            Datum::Oid(elem),
            Datum::Oid(array),
            ch('i'),
            ch(storage),
            Datum::Bool(false),
            Datum::Oid(0),
            Datum::Int4(-1),
            Datum::Int4(0),
            Datum::Oid(0),
            Datum::Null,
            Datum::Null,
            Datum::Null,
        ]
    };
    [
        row(
            type_oid,
            name.to_string(),
            4,
            true,
            'e',
            'E',
            0,
            array_oid,
            'p',
        ),
        row(
            array_oid,
            format!("_{name}"),
            -1,
            false,
            'b',
            'A',
            type_oid,
            0,
            'x',
        ),
    ]
}

/// What a domain's `pg_type` row says beyond its name (see
/// [`domain_type_rows`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DomainDef {
    pub base: u32,
    pub typmod: i32,
    pub not_null: bool,
    pub default: Option<String>,
    pub collation: u32,
}

/// `typcategory` of any type: the built-in table's, `A` for arrays, `E`
/// for enums, a domain's base type's, `U` otherwise.
pub fn type_category(type_oid: u32) -> char {
    let t = types::typcache::base_type(type_oid);
    BUILTIN_TYPES
        .iter()
        .find(|b| b.0 == t)
        .map(|b| b.2)
        .unwrap_or(if oid::element_of(t).is_some() {
            'A'
        } else if types::typcache::is_enum(t) {
            'E'
        } else {
            'U'
        })
}

/// The `pg_type` rows of a domain `name` and of its array type `_name`
/// (PostgreSQL's `TypeCreate` for `DefineDomain`): stored, aligned and
/// categorised as its base type.
pub fn domain_type_rows(
    type_oid: u32,
    array_oid: u32,
    name: &str,
    namespace: u32,
    owner: u32,
    def: &DomainDef,
) -> PgResult<[Vec<Datum>; 2]> {
    let (len, by_val, align) = type_storage(def.base).ok_or_else(|| {
        types::PgError::feature_not_supported(format!(
            "domains over type {}",
            oid::type_name(def.base)
        ))
    })?;
    let text = |s: &Option<String>| s.clone().map_or(Datum::Null, Datum::Text);
    let domain = vec![
        Datum::Oid(type_oid),
        Datum::Text(name.to_string()),
        Datum::Oid(namespace),
        Datum::Oid(owner),
        Datum::Int2(len),
        Datum::Bool(by_val),
        ch('d'),
        ch(type_category(def.base)),
        Datum::Bool(false),
        Datum::Bool(true),
        ch(','),
        Datum::Oid(0),
        Datum::Oid(0),
        Datum::Oid(array_oid),
        ch(align_char(align)),
        ch(type_storage_char(def.base)),
        Datum::Bool(def.not_null),
        Datum::Oid(def.base),
        Datum::Int4(def.typmod),
        Datum::Int4(0),
        Datum::Oid(def.collation),
        text(&def.default),
        text(&def.default),
        Datum::Null,
    ];
    let array = vec![
        Datum::Oid(array_oid),
        Datum::Text(format!("_{name}")),
        Datum::Oid(namespace),
        Datum::Oid(owner),
        Datum::Int2(-1),
        Datum::Bool(false),
        ch('b'),
        ch('A'),
        Datum::Bool(false),
        Datum::Bool(true),
        ch(','),
        Datum::Oid(0),
        Datum::Oid(type_oid),
        Datum::Oid(0),
        ch(if align == Align::Double { 'd' } else { 'i' }),
        ch('x'),
        Datum::Bool(false),
        Datum::Oid(0),
        Datum::Int4(-1),
        Datum::Int4(0),
        Datum::Oid(def.collation),
        Datum::Null,
        Datum::Null,
        Datum::Null,
    ];
    Ok([domain, array])
}

/// The `pg_type` rows of a composite type `name` (the row type of relation
/// `relid`) and of its array type `_name` (PostgreSQL's `TypeCreate` for a
/// relation's row type: category `C`, varlena, double-aligned).
pub fn composite_type_rows(
    type_oid: u32,
    array_oid: u32,
    relid: u32,
    name: &str,
    namespace: u32,
    owner: u32,
) -> [Vec<Datum>; 2] {
    let row = |oid: u32, name: String, typtype, category, relid, elem, array| {
        vec![
            Datum::Oid(oid),
            Datum::Text(name),
            Datum::Oid(namespace),
            Datum::Oid(owner),
            Datum::Int2(-1),
            Datum::Bool(false),
            ch(typtype),
            ch(category),
            Datum::Bool(false),
            Datum::Bool(true),
            ch(','),
            Datum::Oid(relid),
            Datum::Oid(elem),
            Datum::Oid(array),
            ch('d'),
            ch('x'),
            Datum::Bool(false),
            Datum::Oid(0),
            Datum::Int4(-1),
            Datum::Int4(0),
            Datum::Oid(0),
            // typdefaultbin, typdefault, typacl
            Datum::Null,
            Datum::Null,
            Datum::Null,
        ]
    };
    [
        row(type_oid, name.to_string(), 'c', 'C', relid, 0, array_oid),
        row(array_oid, format!("_{name}"), 'b', 'A', 0, type_oid, 0),
    ]
}

/// The OIDs and names of the four `pg_type` rows of CREATE TYPE ... AS
/// RANGE: the range type, its multirange type and their array types.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeTypeOids {
    pub range: u32,
    pub range_array: u32,
    pub multirange: u32,
    pub multirange_array: u32,
}

/// The `pg_type` rows of a range type `name` (`typtype 'r'`), its
/// multirange type `multirange_name` (`'m'`) and their array types
/// `_name`, `_multirange_name` (category `R`, varlena; `align` is the
/// subtype's, at least `i` as PostgreSQL's range header needs).
pub fn range_type_rows(
    oids: &RangeTypeOids,
    name: &str,
    multirange_name: &str,
    namespace: u32,
    multirange_namespace: u32,
    owner: u32,
    align: char,
) -> [Vec<Datum>; 4] {
    let row = |oid: u32, name: String, nsp: u32, typtype, category, elem, array| {
        vec![
            Datum::Oid(oid),
            Datum::Text(name),
            Datum::Oid(nsp),
            Datum::Oid(owner),
            Datum::Int2(-1),
            Datum::Bool(false),
            ch(typtype),
            ch(category),
            Datum::Bool(false),
            Datum::Bool(true),
            ch(','),
            Datum::Oid(0),
            Datum::Oid(elem),
            Datum::Oid(array),
            ch(align),
            ch('x'),
            Datum::Bool(false),
            Datum::Oid(0),
            Datum::Int4(-1),
            Datum::Int4(0),
            Datum::Oid(0),
            // typdefaultbin, typdefault, typacl
            Datum::Null,
            Datum::Null,
            Datum::Null,
        ]
    };
    [
        row(
            oids.range,
            name.to_string(),
            namespace,
            'r',
            'R',
            0,
            oids.range_array,
        ),
        row(
            oids.range_array,
            format!("_{name}"),
            namespace,
            'b',
            'A',
            oids.range,
            0,
        ),
        row(
            oids.multirange,
            multirange_name.to_string(),
            multirange_namespace,
            'm',
            'R',
            0,
            oids.multirange_array,
        ),
        row(
            oids.multirange_array,
            format!("_{multirange_name}"),
            multirange_namespace,
            'b',
            'A',
            oids.multirange,
            0,
        ),
    ]
}

/// A `pg_range` row (its `rngsubopc` is 0: operator classes are not
/// catalogued here).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeRow {
    pub range: u32,
    pub subtype: u32,
    pub multirange: u32,
    pub collation: u32,
    pub canonical: u32,
    pub subdiff: u32,
}

impl RangeRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.range),
            Datum::Oid(self.subtype),
            Datum::Oid(self.multirange),
            Datum::Oid(self.collation),
            Datum::Oid(0),
            Datum::Oid(self.canonical),
            Datum::Oid(self.subdiff),
        ]
    }

    pub fn from_datums(r: &[Datum]) -> Option<RangeRow> {
        let o = |i: usize| match r.get(i) {
            Some(Datum::Oid(o)) => Some(*o),
            _ => None,
        };
        Some(RangeRow {
            range: o(0)?,
            subtype: o(1)?,
            multirange: o(2)?,
            collation: o(3).unwrap_or(0),
            canonical: o(5).unwrap_or(0),
            subdiff: o(6).unwrap_or(0),
        })
    }
}

/// Every per-database catalog, in creation order: [`CORE_CATALOGS`], then
/// the ones kept for clients' queries ([`crate::empty::CATALOGS`]).
pub const CATALOGS: [CatalogDef; 50] = concat_catalogs(CORE_CATALOGS, crate::empty::CATALOGS);

const fn concat_catalogs<const A: usize, const B: usize, const N: usize>(
    a: [CatalogDef; A],
    b: [CatalogDef; B],
) -> [CatalogDef; N] {
    assert!(A + B == N);
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

/// The per-database catalogs of this module, in creation order.
pub const CORE_CATALOGS: [CatalogDef; 27] = [
    PG_TYPE_DEF,
    PG_ATTRIBUTE_DEF,
    PG_CLASS_DEF,
    PG_ATTRDEF_DEF,
    PG_NAMESPACE_DEF,
    PG_INDEX_DEF,
    PG_SEQUENCE_DEF,
    PG_DEPEND_DEF,
    PG_CONSTRAINT_DEF,
    PG_REWRITE_DEF,
    PG_PROC_DEF,
    PG_AM_DEF,
    PG_COLLATION_DEF,
    PG_INHERITS_DEF,
    PG_TRIGGER_DEF,
    PG_POLICY_DEF,
    PG_OPCLASS_DEF,
    PG_STATISTIC_EXT_DEF,
    PG_STATISTIC_EXT_DATA_DEF,
    PG_STATISTIC_DEF,
    PG_PUBLICATION_DEF,
    PG_PUBLICATION_NAMESPACE_DEF,
    PG_PUBLICATION_REL_DEF,
    PG_DESCRIPTION_DEF,
    PG_PARTITIONED_TABLE_DEF,
    PG_ENUM_DEF,
    PG_AGGREGATE_DEF,
];

pub const PG_AUTHID_DEF: CatalogDef = CatalogDef {
    oid: PG_AUTHID,
    name: "pg_authid",
    rowtype_oid: 2842,
    columns: &[
        c("oid", OID),
        c("rolname", NAME),
        c("rolsuper", BOOL),
        c("rolinherit", BOOL),
        c("rolcreaterole", BOOL),
        c("rolcreatedb", BOOL),
        c("rolcanlogin", BOOL),
        c("rolreplication", BOOL),
        c("rolbypassrls", BOOL),
        c("rolconnlimit", INT4),
        c("rolpassword", oid::TEXT),
        c("rolvaliduntil", oid::TIMESTAMPTZ),
    ],
    shared: true,
};

/// The shared catalogs (one copy in `global/`).
pub const SHARED_CATALOGS: [CatalogDef; 8] = [
    PG_DATABASE_DEF,
    PG_AUTHID_DEF,
    PG_AUTH_MEMBERS_DEF,
    PG_SUBSCRIPTION_DEF,
    PG_TABLESPACE_DEF,
    PG_SHDESCRIPTION_DEF,
    crate::empty::PG_SHSECLABEL_DEF,
    crate::empty::PG_DB_ROLE_SETTING_DEF,
];

pub const PG_TABLESPACE: u32 = 1213;

/// `pg_tablespace` (shared): initdb's `pg_default` and `pg_global`; we
/// create no others.
pub const PG_TABLESPACE_DEF: CatalogDef = CatalogDef {
    oid: PG_TABLESPACE,
    name: "pg_tablespace",
    rowtype_oid: 10056,
    columns: &[
        c("oid", OID),
        c("spcname", NAME),
        c("spcowner", OID),
        c("spcacl", oid::TEXT_ARRAY),
        c("spcoptions", oid::TEXT_ARRAY),
    ],
    shared: true,
};

/// The `pg_tablespace` rows initdb writes.
pub fn tablespace_rows() -> Vec<Vec<Datum>> {
    [
        (DEFAULT_TABLESPACE_OID, "pg_default"),
        (GLOBAL_TABLESPACE_OID, "pg_global"),
    ]
    .iter()
    .map(|&(oid, name)| {
        vec![
            Datum::Oid(oid),
            Datum::Text(name.into()),
            Datum::Oid(BOOTSTRAP_SUPERUSER_OID),
            Datum::Null,
            Datum::Null,
        ]
    })
    .collect()
}

// --- publications and subscriptions (backend/src/commands/publication.rs) ---

pub const PG_SUBSCRIPTION: u32 = 6100;

/// `pg_subscription` (shared): subscriptions created WITH (connect =
/// false); nothing replicates.
pub const PG_SUBSCRIPTION_DEF: CatalogDef = CatalogDef {
    oid: PG_SUBSCRIPTION,
    name: "pg_subscription",
    rowtype_oid: 6101,
    columns: &[
        c("oid", OID),
        c("subdbid", OID),
        c("subskiplsn", oid::PG_LSN),
        c("subname", NAME),
        c("subowner", OID),
        c("subenabled", BOOL),
        c("subbinary", BOOL),
        c("substream", BOOL),
        c("subtwophasestate", oid::CHAR),
        c("subdisableonerr", BOOL),
        c("subconninfo", oid::TEXT),
        c("subslotname", NAME),
        c("subsynccommit", oid::TEXT),
        c("subpublications", oid::TEXT_ARRAY),
    ],
    shared: true,
};

/// A `pg_authid` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthidRow {
    pub oid: u32,
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
    pub create_role: bool,
    pub create_db: bool,
    pub can_login: bool,
    pub replication: bool,
    pub bypass_rls: bool,
    pub conn_limit: i32,
    /// A SCRAM-SHA-256 or md5 verifier, never a cleartext password.
    pub password: Option<String>,
}

impl AuthidRow {
    /// A role with PostgreSQL's CREATE ROLE defaults.
    pub fn new(oid: u32, name: impl Into<String>) -> AuthidRow {
        AuthidRow {
            oid,
            name: name.into(),
            superuser: false,
            inherit: true,
            create_role: false,
            create_db: false,
            can_login: false,
            replication: false,
            bypass_rls: false,
            conn_limit: -1,
            password: None,
        }
    }

    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Bool(self.superuser),
            Datum::Bool(self.inherit),
            Datum::Bool(self.create_role),
            Datum::Bool(self.create_db),
            Datum::Bool(self.can_login),
            Datum::Bool(self.replication),
            Datum::Bool(self.bypass_rls),
            Datum::Int4(self.conn_limit),
            self.password
                .clone()
                .map(Datum::Text)
                .unwrap_or(Datum::Null),
            Datum::Null,
        ]
    }
}

/// PostgreSQL 15's predefined roles (`pg_authid.dat`): name and OID.
pub const PREDEFINED_ROLES: [(&str, u32); 12] = [
    ("pg_database_owner", PG_DATABASE_OWNER),
    ("pg_read_all_data", PG_READ_ALL_DATA),
    ("pg_write_all_data", PG_WRITE_ALL_DATA),
    ("pg_monitor", 3373),
    ("pg_read_all_settings", 3374),
    ("pg_read_all_stats", 3375),
    ("pg_stat_scan_tables", 3377),
    ("pg_read_server_files", 4569),
    ("pg_write_server_files", 4570),
    ("pg_execute_server_program", 4571),
    ("pg_signal_backend", 4200),
    ("pg_checkpoint", 4544),
];

/// `pg_read_all_data`: SELECT on every table, USAGE on every schema.
pub const PG_READ_ALL_DATA: u32 = 6181;
/// `pg_write_all_data`: INSERT, UPDATE and DELETE on every table, USAGE
/// on every schema.
pub const PG_WRITE_ALL_DATA: u32 = 6182;

/// The `pg_authid` rows of the predefined roles.
pub fn predefined_roles() -> Vec<AuthidRow> {
    PREDEFINED_ROLES
        .iter()
        .map(|&(name, oid)| AuthidRow::new(oid, name))
        .collect()
}

/// initdb's memberships: pg_monitor is a member of pg_read_all_settings,
/// pg_read_all_stats and pg_stat_scan_tables.
pub fn predefined_memberships() -> Vec<AuthMemberRow> {
    [3374, 3375, 3377]
        .iter()
        .map(|&role| AuthMemberRow {
            role,
            member: 3373,
            grantor: BOOTSTRAP_SUPERUSER_OID,
            admin_option: false,
        })
        .collect()
}

/// The bootstrap superuser's `pg_authid` row (initdb's).
pub fn bootstrap_superuser(name: &str, verifier: Option<String>) -> AuthidRow {
    AuthidRow {
        superuser: true,
        create_role: true,
        create_db: true,
        can_login: true,
        replication: true,
        bypass_rls: true,
        password: verifier,
        ..AuthidRow::new(BOOTSTRAP_SUPERUSER_OID, name)
    }
}

/// A `pg_database` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseRow {
    pub oid: u32,
    pub name: String,
    pub owner: u32,
    pub is_template: bool,
    pub allow_connections: bool,
    pub conn_limit: i32,
    /// `datacl` as `aclitem` text (`=c/postgres`); empty is NULL, the
    /// owner's default privileges.
    pub acl: Vec<String>,
}

impl DatabaseRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.owner),
            // UTF8, libc provider, C.UTF-8 as initdb chooses here.
            Datum::Int4(6),
            ch('c'),
            Datum::Bool(self.is_template),
            Datum::Bool(self.allow_connections),
            Datum::Int4(self.conn_limit),
            Datum::Oid(3),
            Datum::Oid(1),
            Datum::Oid(DEFAULT_TABLESPACE_OID),
            Datum::Text("C.UTF-8".into()),
            Datum::Text("C.UTF-8".into()),
            Datum::Null,
            Datum::Null,
            if self.acl.is_empty() {
                Datum::Null
            } else {
                Datum::Array(Box::new(types::datum::ArrayValue::new(
                    oid::TEXT,
                    self.acl.iter().cloned().map(Datum::Text).collect(),
                )))
            },
        ]
    }
}

/// The `pg_database` rows initdb writes; `superuser` is the bootstrap
/// superuser's name (the templates' ACL names it: CONNECT for PUBLIC).
pub fn database_rows(superuser: &str) -> Vec<Vec<Datum>> {
    crate::database::BOOTSTRAP_DATABASES
        .iter()
        .map(|d| {
            DatabaseRow {
                oid: d.oid,
                name: d.name.into(),
                owner: BOOTSTRAP_SUPERUSER_OID,
                is_template: d.oid != 5,
                allow_connections: d.allow_connections,
                conn_limit: -1,
                acl: if d.oid == 5 {
                    Vec::new()
                } else {
                    vec![
                        format!("=c/{superuser}"),
                        format!("{superuser}=CTc/{superuser}"),
                    ]
                },
            }
            .to_datums()
        })
        .collect()
}

impl CatalogDef {
    /// The tuple descriptor of its rows.
    pub fn tuple_desc(&self) -> PgResult<TupleDesc> {
        let cols: Vec<(&str, u32)> = self.columns.iter().map(|c| (c.name, c.type_oid)).collect();
        TupleDesc::from_types(&cols)
    }

    /// The 0-based index of a column (a programming error if absent).
    pub fn col(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("{} has no column {name}", self.name))
    }
}

/// A built-in type's `pg_type` facts: (oid, typname, typcategory,
/// typispreferred, typelem, typarray, typstorage, typcollation, typtype).
type TypeRow = (u32, &'static str, char, bool, u32, u32, char, u32, char);

/// The built-in types that can be stored and queried today, with PostgreSQL
/// 15's OIDs, array types, categories and storage.
pub const BUILTIN_TYPES: &[TypeRow] = &[
    (oid::BOOL, "bool", 'B', true, 0, 1000, 'p', 0, 'b'),
    (oid::BYTEA, "bytea", 'U', false, 0, 1001, 'x', 0, 'b'),
    (oid::CHAR, "char", 'Z', false, 0, 1002, 'p', 0, 'b'),
    (
        oid::NAME,
        "name",
        'S',
        false,
        oid::CHAR,
        1003,
        'p',
        950,
        'b',
    ),
    (oid::INT8, "int8", 'N', false, 0, 1016, 'p', 0, 'b'),
    (oid::INT2, "int2", 'N', false, 0, 1005, 'p', 0, 'b'),
    (oid::INT4, "int4", 'N', false, 0, 1007, 'p', 0, 'b'),
    (oid::TEXT, "text", 'S', true, 0, 1009, 'x', 100, 'b'),
    (oid::OID, "oid", 'N', true, 0, 1028, 'p', 0, 'b'),
    (oid::TID, "tid", 'U', false, 0, oid::TID_ARRAY, 'p', 0, 'b'),
    (oid::XID, "xid", 'U', false, 0, oid::XID_ARRAY, 'p', 0, 'b'),
    (oid::CID, "cid", 'U', false, 0, oid::CID_ARRAY, 'p', 0, 'b'),
    (
        oid::XID8,
        "xid8",
        'U',
        false,
        0,
        oid::XID8_ARRAY,
        'p',
        0,
        'b',
    ),
    (
        oid::PG_SNAPSHOT,
        "pg_snapshot",
        'U',
        false,
        0,
        oid::PG_SNAPSHOT_ARRAY,
        'x',
        0,
        'b',
    ),
    (
        oid::TXID_SNAPSHOT,
        "txid_snapshot",
        'U',
        false,
        0,
        oid::TXID_SNAPSHOT_ARRAY,
        'x',
        0,
        'b',
    ),
    (
        oid::PG_NDISTINCT,
        "pg_ndistinct",
        'Z',
        false,
        0,
        0,
        'x',
        100,
        'b',
    ),
    (
        oid::PG_DEPENDENCIES,
        "pg_dependencies",
        'Z',
        false,
        0,
        0,
        'x',
        100,
        'b',
    ),
    (
        oid::PG_MCV_LIST,
        "pg_mcv_list",
        'Z',
        false,
        0,
        0,
        'x',
        100,
        'b',
    ),
    (
        PG_NODE_TREE,
        "pg_node_tree",
        'Z',
        false,
        0,
        0,
        'x',
        100,
        'b',
    ),
    (
        oid::INT2VECTOR,
        "int2vector",
        'A',
        false,
        oid::INT2,
        1006,
        'p',
        0,
        'b',
    ),
    (
        oid::OIDVECTOR,
        "oidvector",
        'A',
        false,
        oid::OID,
        1013,
        'p',
        0,
        'b',
    ),
    (oid::FLOAT4, "float4", 'N', false, 0, 1021, 'p', 0, 'b'),
    (oid::FLOAT8, "float8", 'N', true, 0, 1022, 'p', 0, 'b'),
    (oid::UNKNOWN, "unknown", 'X', false, 0, 0, 'p', 0, 'p'),
    (oid::BPCHAR, "bpchar", 'S', false, 0, 1014, 'x', 100, 'b'),
    (oid::VARCHAR, "varchar", 'S', false, 0, 1015, 'x', 100, 'b'),
    (oid::DATE, "date", 'D', false, 0, 1182, 'p', 0, 'b'),
    (oid::TIME, "time", 'D', false, 0, 1183, 'p', 0, 'b'),
    (oid::TIMETZ, "timetz", 'D', false, 0, 1270, 'p', 0, 'b'),
    (
        oid::TIMESTAMP,
        "timestamp",
        'D',
        false,
        0,
        1115,
        'p',
        0,
        'b',
    ),
    (
        oid::TIMESTAMPTZ,
        "timestamptz",
        'D',
        true,
        0,
        1185,
        'p',
        0,
        'b',
    ),
    (oid::INTERVAL, "interval", 'T', true, 0, 1187, 'p', 0, 'b'),
    (oid::NUMERIC, "numeric", 'N', false, 0, 1231, 'm', 0, 'b'),
    (oid::VOID, "void", 'P', false, 0, 0, 'p', 0, 'p'),
    (oid::UUID, "uuid", 'U', false, 0, 2951, 'p', 0, 'b'),
    (oid::JSON, "json", 'U', false, 0, 199, 'x', 0, 'b'),
    (oid::JSONB, "jsonb", 'U', false, 0, 3807, 'x', 0, 'b'),
    (oid::JSONPATH, "jsonpath", 'U', false, 0, 4073, 'x', 0, 'b'),
    (oid::PG_LSN, "pg_lsn", 'U', false, 0, 3221, 'p', 0, 'b'),
    (oid::INET, "inet", 'I', true, 0, 1041, 'm', 0, 'b'),
    (oid::CIDR, "cidr", 'I', false, 0, 651, 'm', 0, 'b'),
    (oid::MONEY, "money", 'N', false, 0, 791, 'p', 0, 'b'),
    (oid::MACADDR, "macaddr", 'U', false, 0, 1040, 'p', 0, 'b'),
    (oid::MACADDR8, "macaddr8", 'U', false, 0, 775, 'p', 0, 'b'),
    (
        oid::POINT,
        "point",
        'G',
        false,
        oid::FLOAT8,
        1017,
        'p',
        0,
        'b',
    ),
    (oid::LSEG, "lseg", 'G', false, oid::POINT, 1018, 'p', 0, 'b'),
    (oid::PATH, "path", 'G', false, 0, 1019, 'x', 0, 'b'),
    (oid::BOX, "box", 'G', false, oid::POINT, 1020, 'p', 0, 'b'),
    (oid::POLYGON, "polygon", 'G', false, 0, 1027, 'x', 0, 'b'),
    (oid::LINE, "line", 'G', false, oid::FLOAT8, 629, 'p', 0, 'b'),
    (oid::CIRCLE, "circle", 'G', false, 0, 719, 'p', 0, 'b'),
    (oid::TSVECTOR, "tsvector", 'U', false, 0, 3643, 'x', 0, 'b'),
    (oid::TSQUERY, "tsquery", 'U', false, 0, 3645, 'p', 0, 'b'),
    (oid::BIT, "bit", 'V', false, 0, 1561, 'x', 0, 'b'),
    (oid::VARBIT, "varbit", 'V', true, 0, 1563, 'x', 0, 'b'),
    (
        oid::REGCONFIG,
        "regconfig",
        'N',
        false,
        0,
        3735,
        'i',
        0,
        'b',
    ),
    (
        oid::INT4RANGE,
        "int4range",
        'R',
        false,
        0,
        3905,
        'x',
        0,
        'r',
    ),
    (oid::NUMRANGE, "numrange", 'R', false, 0, 3907, 'x', 0, 'r'),
    (oid::TSRANGE, "tsrange", 'R', false, 0, 3909, 'x', 0, 'r'),
    (
        oid::TSTZRANGE,
        "tstzrange",
        'R',
        false,
        0,
        3911,
        'x',
        0,
        'r',
    ),
    (
        oid::DATERANGE,
        "daterange",
        'R',
        false,
        0,
        3913,
        'x',
        0,
        'r',
    ),
    (
        oid::INT8RANGE,
        "int8range",
        'R',
        false,
        0,
        3927,
        'x',
        0,
        'r',
    ),
    (
        oid::INT4MULTIRANGE,
        "int4multirange",
        'R',
        false,
        0,
        6150,
        'x',
        0,
        'm',
    ),
    (
        oid::NUMMULTIRANGE,
        "nummultirange",
        'R',
        false,
        0,
        6151,
        'x',
        0,
        'm',
    ),
    (
        oid::TSMULTIRANGE,
        "tsmultirange",
        'R',
        false,
        0,
        6152,
        'x',
        0,
        'm',
    ),
    (
        oid::TSTZMULTIRANGE,
        "tstzmultirange",
        'R',
        false,
        0,
        6153,
        'x',
        0,
        'm',
    ),
    (
        oid::DATEMULTIRANGE,
        "datemultirange",
        'R',
        false,
        0,
        6155,
        'x',
        0,
        'm',
    ),
    (
        oid::INT8MULTIRANGE,
        "int8multirange",
        'R',
        false,
        0,
        6157,
        'x',
        0,
        'm',
    ),
];

fn ch(c: char) -> Datum {
    Datum::Text(c.to_string())
}

fn align_char(a: Align) -> char {
    a.letter()
}

/// The `typstorage` of a built-in type ('p' for unknown ones).
pub fn type_storage_char(type_oid: u32) -> char {
    let type_oid = types::typcache::base_type(type_oid);
    BUILTIN_TYPES
        .iter()
        .find(|t| t.0 == type_oid)
        .map(|t| t.6)
        .unwrap_or(if oid::element_of(type_oid).is_some() {
            // Arrays are varlena values that may be compressed and moved
            // out of line.
            'x'
        } else {
            'p'
        })
}

/// The default collation of a type's columns (100 = "default" for text types).
pub fn type_collation(type_oid: u32) -> u32 {
    BUILTIN_TYPES
        .iter()
        .find(|t| t.0 == type_oid)
        .map(|t| t.7)
        .unwrap_or(0)
}

/// The `pg_type` rows of the built-in types.
pub fn builtin_type_rows() -> Vec<Vec<Datum>> {
    BUILTIN_TYPES
        .iter()
        .filter_map(
            |&(oid, name, category, preferred, elem, array, storage, collation, typtype)| {
                let (len, by_val, align) = type_storage(oid)?;
                Some(vec![
                    Datum::Oid(oid),
                    Datum::Text(name.into()),
                    Datum::Oid(PG_CATALOG_NAMESPACE),
                    Datum::Oid(BOOTSTRAP_SUPERUSER_OID),
                    Datum::Int2(len),
                    Datum::Bool(by_val),
                    ch(typtype),
                    ch(category),
                    Datum::Bool(preferred),
                    Datum::Bool(true),
                    ch(','),
                    Datum::Oid(0),
                    Datum::Oid(elem),
                    Datum::Oid(array),
                    ch(align_char(align)),
                    ch(storage),
                    Datum::Bool(false),
                    Datum::Oid(0),
                    Datum::Int4(-1),
                    Datum::Int4(0),
                    Datum::Oid(collation),
                    Datum::Null,
                    Datum::Null,
                    Datum::Null,
                ])
            },
        )
        .collect()
}

/// The `pg_namespace` rows initdb writes.
pub fn namespace_rows() -> Vec<Vec<Datum>> {
    [
        (PG_CATALOG_NAMESPACE, "pg_catalog", BOOTSTRAP_SUPERUSER_OID),
        (PG_TOAST_NAMESPACE, "pg_toast", BOOTSTRAP_SUPERUSER_OID),
        (PUBLIC_NAMESPACE, "public", PG_DATABASE_OWNER),
        (
            INFORMATION_SCHEMA_NAMESPACE,
            "information_schema",
            BOOTSTRAP_SUPERUSER_OID,
        ),
    ]
    .iter()
    .map(|&(oid, name, owner)| {
        // Schema public: PostgreSQL 15's USAGE for all, CREATE for the
        // database owner only.
        let acl = if oid == PUBLIC_NAMESPACE {
            text_array(&[
                "pg_database_owner=UC/pg_database_owner",
                "=U/pg_database_owner",
            ])
        } else {
            Datum::Null
        };
        vec![
            Datum::Oid(oid),
            Datum::Text(name.into()),
            Datum::Oid(owner),
            acl,
        ]
    })
    .collect()
}

/// The functions of `information_schema` that clients call themselves, as
/// SQL-language rows of `pg_proc` with PostgreSQL 15's OIDs: JDBC's
/// getPrimaryKeys and getIndexInfo expand `pg_index.indkey` with
/// `_pg_expandarray(anyarray, OUT x anyelement, OUT n int)`, one row per
/// element with its 1-based position.
pub fn information_schema_proc_rows() -> Vec<Vec<Datum>> {
    let expandarray = ProcRow {
        oid: 13_208,
        name: "_pg_expandarray".into(),
        namespace: INFORMATION_SCHEMA_NAMESPACE,
        owner: BOOTSTRAP_SUPERUSER_OID,
        volatility: 'i',
        strict: true,
        ret_type: oid::RECORD,
        arg_types: vec![oid::ANYARRAY],
        arg_names: vec![String::new(), "x".into(), "n".into()],
        body: "select e.x, e.n::pg_catalog.int4 \
               from pg_catalog.unnest($1) with ordinality as e(x, n)"
            .into(),
        all_arg_types: vec![oid::ANYARRAY, oid::ANYELEMENT, oid::INT4],
        arg_modes: vec!['i', 'o', 'o'],
        arg_defaults: Vec::new(),
        language: SQL_LANGUAGE_OID,
        kind: 'f',
        retset: true,
        cost: 1.0,
        rows: 100.0,
        security_definer: false,
        leakproof: false,
        parallel: 's',
        config: Vec::new(),
        acl: None,
    };
    vec![expandarray.to_datums()]
}

/// A `text[]` datum (the stored form of an ACL, see [`crate::acl`]).
pub fn text_array(items: &[&str]) -> Datum {
    Datum::Array(Box::new(types::datum::ArrayValue::new(
        oid::TEXT,
        items.iter().map(|s| Datum::Text((*s).to_owned())).collect(),
    )))
}

/// An ACL as stored: NULL for the default.
pub fn acl_datum(acl: &Option<Vec<String>>) -> Datum {
    match acl {
        None => Datum::Null,
        Some(items) => text_array(&items.iter().map(String::as_str).collect::<Vec<_>>()),
    }
}

/// What a `pg_class` row says.
#[derive(Debug, Clone)]
pub struct ClassRow {
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    pub reltype: u32,
    pub owner: u32,
    pub relfilenode: u32,
    pub persistence: char,
    pub kind: char,
    pub natts: i16,
    pub shared: bool,
    /// `relhasindex`
    pub has_index: bool,
    /// `relchecks`: the number of CHECK constraints.
    pub checks: i16,
    /// `relhastriggers`: set by a foreign key on either side (PostgreSQL's
    /// RI triggers; never cleared, as VACUUM clears it lazily there).
    pub has_triggers: bool,
    /// `relhasrules`: set by CREATE RULE (a view has its `_RETURN` rule).
    pub has_rules: bool,
    /// `relhassubclass`: it has (or had) inheritance children or partitions.
    pub has_subclass: bool,
    /// `relrowsecurity` and `relforcerowsecurity`: ALTER TABLE ... ENABLE /
    /// FORCE ROW LEVEL SECURITY.
    pub row_security: bool,
    pub force_row_security: bool,
    /// `relispartition`
    pub is_partition: bool,
    /// `relreplident`: `'d'` default, `'n'` nothing, `'f'` full, `'i'` an
    /// index (`'\0'`: the default, `'n'` for a system catalog).
    pub replident: char,
    /// `relpartbound` of a partition, as `pg_get_expr` prints it
    /// (`FOR VALUES FROM (1) TO (10)`).
    pub partbound: Option<String>,
    /// `reloptions` (`check_option=cascaded` of a view).
    pub options: Vec<String>,
    /// `relacl`: the ACL items' text, None for the default.
    pub acl: Option<Vec<String>>,
    /// `relpages` and `reltuples`: the size VACUUM and ANALYZE last saw
    /// (-1 tuples: never counted).
    pub pages: i32,
    pub tuples: f32,
    /// `relallvisible`: the pages VACUUM last found all-visible.
    pub all_visible: i32,
    /// `relispopulated`: false only for a materialized view made or
    /// refreshed WITH NO DATA.
    pub populated: bool,
}

impl ClassRow {
    pub fn to_datums(&self) -> Vec<Datum> {
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.namespace),
            Datum::Oid(self.reltype),
            Datum::Oid(0),
            Datum::Oid(self.owner),
            Datum::Oid(match self.kind {
                'r' | 'm' => HEAP_AM_OID,
                'i' => BTREE_AM_OID,
                _ => 0,
            }),
            Datum::Oid(self.relfilenode),
            Datum::Oid(if self.shared {
                GLOBAL_TABLESPACE_OID
            } else {
                0
            }),
            Datum::Int4(self.pages),
            Datum::Float4(self.tuples),
            Datum::Int4(self.all_visible),
            Datum::Oid(0),
            Datum::Bool(self.has_index),
            Datum::Bool(self.shared),
            ch(self.persistence),
            ch(self.kind),
            Datum::Int2(self.natts),
            Datum::Int2(self.checks),
            // relhasrules: a view's _RETURN rule, or CREATE RULE
            Datum::Bool(matches!(self.kind, 'v' | 'm') || self.has_rules),
            Datum::Bool(self.has_triggers),
            Datum::Bool(self.has_subclass),
            Datum::Bool(self.row_security),
            Datum::Bool(self.force_row_security),
            Datum::Bool(self.populated),
            ch(match self.replident {
                '\0' if self.namespace == PG_CATALOG_NAMESPACE => 'n',
                '\0' => 'd',
                c => c,
            }),
            Datum::Bool(self.is_partition),
            Datum::Oid(0),
            Datum::Oid(0),
            Datum::Oid(0),
            acl_datum(&self.acl),
            if self.options.is_empty() {
                Datum::Null
            } else {
                Datum::Array(Box::new(types::datum::ArrayValue::new(
                    oid::TEXT,
                    self.options.iter().cloned().map(Datum::Text).collect(),
                )))
            },
            match &self.partbound {
                Some(b) => Datum::Text(b.clone()),
                None => Datum::Null,
            },
        ]
    }
}

/// What a `pg_attribute` row says about one column.
#[derive(Debug, Clone)]
pub struct AttributeRow {
    pub relid: u32,
    pub name: String,
    pub type_oid: u32,
    pub attnum: i16,
    pub typmod: i32,
    pub not_null: bool,
    pub has_default: bool,
    pub dropped: bool,
    /// `attidentity`: `'a'` GENERATED ALWAYS, `'d'` BY DEFAULT, `'\0'` none.
    pub identity: char,
    /// `attgenerated`: `'s'` stored generated, `'\0'` none.
    pub generated: char,
    /// `attislocal`: defined by the relation itself (not only inherited).
    pub is_local: bool,
    /// `attinhcount`: how many parents it is inherited from.
    pub inhcount: i32,
    /// `attacl`: the column's privileges (GRANT SELECT (col) ...), None if
    /// it has none of its own.
    pub acl: Option<Vec<String>>,
    /// `attstattarget`: ALTER TABLE ... SET STATISTICS (-1: the default
    /// `default_statistics_target`).
    pub stat_target: i32,
    /// `attcollation` when a COLLATE clause chose another than the type's
    /// (None: the type's `typcollation`).
    pub collation: Option<u32>,
    /// `attfdwoptions`: a foreign table column's options (`name=value`).
    pub fdw_options: Option<Vec<String>>,
    /// `attoptions`: ALTER COLUMN ... SET (n_distinct = ...) and friends.
    pub options: Option<Vec<String>>,
    /// `attstorage` set by ALTER COLUMN ... SET STORAGE (`'\0'`: the
    /// type's `typstorage`).
    pub storage: char,
    /// `attcompression`: `'p'` pglz, `'l'` lz4 (COMPRESSION, SET
    /// COMPRESSION), `'\0'` none chosen.
    pub compression: char,
}

/// A column's `attcollation`: the one chosen, else its type's; none for a
/// type that has no collation.
pub fn column_collation(type_oid: u32, chosen: Option<u32>) -> u32 {
    match type_collation(type_oid) {
        0 => 0,
        default => chosen.unwrap_or(default),
    }
}

impl AttributeRow {
    pub fn to_datums(&self) -> PgResult<Vec<Datum>> {
        let (len, by_val, align) = type_storage(self.type_oid).ok_or_else(|| {
            types::PgError::feature_not_supported(format!(
                "storing values of type {} in a table",
                oid::type_name(self.type_oid)
            ))
        })?;
        Ok(vec![
            Datum::Oid(self.relid),
            Datum::Text(self.name.clone()),
            Datum::Oid(self.type_oid),
            Datum::Int4(self.stat_target),
            Datum::Int2(len),
            Datum::Int2(self.attnum),
            Datum::Int4(0),
            Datum::Int4(-1),
            Datum::Int4(self.typmod),
            Datum::Bool(by_val),
            ch(align_char(align)),
            ch(match self.storage {
                '\0' => type_storage_char(self.type_oid),
                c => c,
            }),
            Datum::Text(match self.compression {
                '\0' => String::new(),
                c => c.to_string(),
            }),
            Datum::Bool(self.not_null),
            Datum::Bool(self.has_default),
            Datum::Bool(false),
            Datum::Text(match self.identity {
                '\0' => String::new(),
                c => c.to_string(),
            }),
            Datum::Text(match self.generated {
                '\0' => String::new(),
                c => c.to_string(),
            }),
            Datum::Bool(self.dropped),
            Datum::Bool(self.is_local),
            Datum::Int4(self.inhcount),
            Datum::Oid(column_collation(self.type_oid, self.collation)),
            acl_datum(&self.acl),
            acl_datum(&self.options),
            acl_datum(&self.fdw_options),
            Datum::Null,
        ])
    }
}

/// The `pg_class` and `pg_attribute` rows describing the catalogs themselves.
pub fn catalog_self_description() -> (Vec<ClassRow>, Vec<AttributeRow>) {
    let mut classes = Vec::new();
    let mut attrs = Vec::new();
    for def in CATALOGS.iter().chain(SHARED_CATALOGS.iter()) {
        classes.push(ClassRow {
            oid: def.oid,
            name: def.name.into(),
            namespace: PG_CATALOG_NAMESPACE,
            reltype: def.rowtype_oid,
            owner: BOOTSTRAP_SUPERUSER_OID,
            relfilenode: def.oid,
            persistence: 'p',
            kind: 'r',
            natts: def.columns.len() as i16,
            shared: def.shared,
            has_index: false,
            checks: 0,
            has_triggers: false,
            has_rules: false,
            row_security: false,
            force_row_security: false,
            has_subclass: false,
            is_partition: false,
            replident: '\0',
            partbound: None,
            options: Vec::new(),
            acl: None,
            pages: 0,
            tuples: -1.0,
            all_visible: 0,
            populated: true,
        });
        for (i, col) in def.columns.iter().enumerate() {
            attrs.push(AttributeRow {
                relid: def.oid,
                name: col.name.into(),
                type_oid: col.type_oid,
                attnum: i as i16 + 1,
                typmod: -1,
                not_null: true,
                has_default: false,
                dropped: false,
                identity: '\0',
                generated: '\0',
                is_local: true,
                inhcount: 0,
                acl: None,
                stat_target: -1,
                collation: None,
                fdw_options: None,
                options: None,
                storage: '\0',
                compression: '\0',
            });
        }
    }
    (classes, attrs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_match_their_catalogs() {
        let check = |def: &CatalogDef, rows: Vec<Vec<Datum>>| {
            let desc = def.tuple_desc().unwrap();
            for r in rows {
                assert_eq!(r.len(), def.columns.len(), "{}", def.name);
                storage::heap::tuple::form_tuple(&desc, &r).unwrap();
            }
        };
        check(&PG_TYPE_DEF, builtin_type_rows());
        check(&PG_NAMESPACE_DEF, namespace_rows());
        check(&PG_DATABASE_DEF, database_rows("postgres"));
        check(
            &PG_AUTHID_DEF,
            vec![bootstrap_superuser("postgres", Some("SCRAM-SHA-256$4096:x".into())).to_datums()],
        );
        let (classes, attrs) = catalog_self_description();
        check(
            &PG_CLASS_DEF,
            classes.iter().map(ClassRow::to_datums).collect(),
        );
        check(
            &PG_ATTRIBUTE_DEF,
            attrs.iter().map(|a| a.to_datums().unwrap()).collect(),
        );
        assert_eq!(
            builtin_type_rows().len(),
            BUILTIN_TYPES.len(),
            "every built-in type is storable"
        );
    }
}
